"""Rigorous enclosures of the H0 head's error ‖H − f‖ and its parts near/far/leak on a face cell.

H0 with prefix tokens (λp_i, β_i, v_i) (unit p_i; E1 has one bias β for every token, E2 the biases
ln w_i + β) and T content tokens equal to x (score ⟨x,x⟩+1 = 2, value 0):

    H(x) − f(x) = Σ_i ŵ_i (v_i − f(x)) + ĉ·(0 − f(x)),   ŵ_i = e^{s_i}/Z, ĉ = T e²/Z,
    s_i = λ⟨x, p_i⟩ + β_i,   Z = Σ_i e^{s_i} + T e².

Every number of a bound is a ball (python-flint ``arb``), so the bounds contain the truth at every
scale (f, v and ε of 10⁻²⁵⁰ or 10²⁵⁰ alike); floats only choose which tokens to enclose one by one and
where to try a threshold, never enter a bound. Facts that keep the enclosures tight at large λ:

* **Shift.** The normalised weights do not change when one number is subtracted from every score;
  we subtract a lower bound ``ref`` of the cell's best score, so the weights e^{s_i − ref} are O(1)
  for the tokens that matter and nothing overflows.
* **Angles.** On a cell with centre ĉ and angular radius ρ (see ``verifier.cells``),
  ⟨x, p⟩ ∈ [cos(min(π, θ_p + ρ)), cos(max(0, θ_p − ρ))], θ_p = ∠(ĉ, p).
* **O(k) per cell.** Only the k tokens that ``verifier.balltree`` cannot place beyond a cutoff chord c
  of ĉ are enclosed one by one; every other token has ‖ĉ − p‖ > c (proved in ball arithmetic by the
  tree), so θ_p > θ_c = 2·asin(c/2) and ⟨x, p⟩ ≤ cos(max(0, θ_c − ρ)). The N − k enter together as one
  item of weight in [0, tail], tail = (N − k)·e^{λ cos(max(0, θ_c − ρ)) + max_i β_i − ref}, with values in
  [−V, V] − f (V ≥ every |v_ij|).
* **Ratio range.** For weights w_i in a box [a_i, b_i] and values u_i, max Σ w_i u_i / Σ w_i is
  attained with w_i = b_i for u_i above the maximum R* and a_i below it (a threshold in the sorted
  values), and R bounds it iff g(R) = Σ_i max(a_i (u_i − R), b_i (u_i − R)) ≤ 0 (given Σ w_i > 0).
  We locate R* in float64 by the O(k log k) threshold scan on values scaled to [−1, 1] (a choice
  only), and *prove* the bound by evaluating g(R) in ball arithmetic. The minimum is the maximum for −u.
* **Far means not near.** A token that is near on part of the cell and far on the rest (undecided,
  U) enters the far part only where ‖x − p_i‖ > r, i.e. ⟨x, p_i⟩ < 1 − r²/2, where its weight is
  below c_far = e^{λ(1 − r²/2) + β_i − ref}. So in the far part such a token is two items: w_i·1[far]
  ∈ [0, min(b_i, c_far)] with its value u_i, and the rest w_i·1[near] ∈ [max(0, a_i − min(b_i, c_far)), b_i]
  with value 0: every actual pair (w_i·1[far], w_i·1[near]) lies in that box, so the ratio range over
  it contains the far part. (The box model alone lets such a token weigh e^{λ cos(θ_i − ρ)} against
  the best token's e^{λ cos(θ_* + ρ)}, as if both extremes held at one x; at m = 3, ε = 0.5, ρ ≈ 0.07
  that put tokens at distance ≈ r at 14 times the best token's weight. The cap is at most
  e^{λ(1 − r²/2 − cos(θ_* + ρ))} times it.)
* **Leak.** ‖ĉ f‖ ≤ c⁺/(Σ_i a_i + c⁺)·‖F‖ with c⁺ the content weight's upper end (c/(S + c) increases
  in c and decreases in S ≥ Σ a_i) and ‖F‖ from the enclosures F_j ∋ f_j(x).

The values u_i = v_i − f are the ball differences of the value balls and the target's enclosure on
the cell. Each component of a vector quantity is enclosed so; the norm bound is
(Σ_j max(|lo_j|, |hi_j|)²)^(1/2), in ball arithmetic.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np
from flint import arb, ctx
from scipy.spatial import cKDTree

from verifier.attention import tail_log_budget
from verifier.ball import PRECISION_BITS, upper
from verifier.balltree import BallTree
from verifier.bounds import norm_ball
from verifier.cells import FaceCell, angle_range

TAIL_DIGITS = 9  # the cutoff is chosen so that the tail weighs about 10^−9 relative to the best token
ZERO = arb(0)
INF = arb("inf")


@dataclass(frozen=True)
class PrefixBalls:
    """A prefix on H0 in ball form: unit points p_i, values v_i, λ and the biases β_i (balls), T, and 1 − r²/2."""

    points: list  # list of lists of arb: p_i, each of norm 1
    values: list  # list of lists of arb: v_i
    lam: arb
    biases: list  # list of arb: β_i
    context: int
    near_cos: arb  # 1 − r²/2: ‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2

    @cached_property
    def bias_bound(self) -> arb:
        """An exact point ≥ every β_i (the tail's bias)."""
        with ctx.workprec(PRECISION_BITS):
            return functools.reduce(arb.max, (b.upper() for b in self.biases))

    @property
    def N(self) -> int:
        return len(self.points)

    @cached_property
    def value_bound(self) -> arb:
        """V, an exact point ≥ |v_ij| for every token and component."""
        with ctx.workprec(PRECISION_BITS):
            return functools.reduce(arb.max, (abs(v).upper() for row in self.values for v in row))

    @cached_property
    def points_f64(self) -> np.ndarray:
        """(N, m+1) float midpoints, for choosing neighbours only."""
        return np.array([[float(c.mid()) for c in p] for p in self.points])

    @cached_property
    def tree(self) -> cKDTree:
        """scipy's tree over the float midpoints: nearest-token look-ups that choose, never bound."""
        return cKDTree(self.points_f64)

    @cached_property
    def balltree(self) -> BallTree:
        """The certified tree that proves which tokens are beyond a cutoff (``verifier.balltree``)."""
        return BallTree.build(self.points)


NAMES = ("error", "near", "far", "leak")


def enclose_parts(prefix: PrefixBalls, cell: FaceCell, target: Sequence[Callable]) -> tuple[arb, arb, arb, arb]:
    """Upper bounds of sup_{x∈cell} of ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖ (see the module): each the upper end point of
    a ball, an exact arb number (so a leak of 10⁻¹²²⁹ stays itself), +inf where the enclosure is not finite."""
    with ctx.workprec(PRECISION_BITS):
        centre, _, rho = cell.geometry
        F = [f(cell.enclosure) for f in target]
        if not all(v.is_finite() for v in F):
            return (INF,) * 4
        index, tail_cos = _neighbours(prefix, cell)
        low_cos, high_cos = zip(*(angle_range(centre, rho, prefix.points[i]) for i in index)) if index else ((), ())
        lam, beta = prefix.lam, [prefix.biases[i] for i in index]
        shift = functools.reduce(arb.max, (lam * c + b for c, b in zip(low_cos, beta)), lam + prefix.bias_bound).lower()
        a = [(lam * c + b - shift).exp().lower() for c, b in zip(low_cos, beta)]
        b = [(lam * c + b - shift).exp().upper() for c, b in zip(high_cos, beta)]
        content = prefix.context * (2 - shift).exp()
        tail = ((prefix.N - len(index)) * (lam * tail_cos + prefix.bias_bound - shift).exp() if len(index) < prefix.N
                else ZERO)
        if not (all(v.is_finite() for v in b) and content.is_finite() and tail.is_finite()):
            return (INF,) * 4
        c_lo, c_hi, tail = content.lower(), content.upper(), tail.upper()
        near = [bool(c >= prefix.near_cos) for c in low_cos]
        far = [bool(c < prefix.near_cos) for c in high_cos]
        unsure = [not (n or f) for n, f in zip(near, far)]
        far_cap = [(lam * prefix.near_cos + b - shift).exp().upper() for b in beta]
        w_lo, w_hi = a + [c_lo, ZERO], b + [c_hi, tail]
        spread = arb(0, 1) * prefix.value_bound  # [−V, V]
        error, near_part, far_part = [], [], []
        for j, f in enumerate(F):
            u = [prefix.values[i][j] - f for i in index]  # balls ∋ v_ij − f_j(x) for every x in the cell
            lo = [v.lower() for v in u] + [(-f).lower(), (spread - f).lower()]  # + the content's and the tail's
            hi = [v.upper() for v in u] + [(-f).upper(), (spread - f).upper()]
            error.append(_ratio_range(w_lo, w_hi, lo, hi))
            near_lo = [v if n else (v.min(ZERO) if s else ZERO) for v, n, s in zip(lo, near, unsure)]
            near_hi = [v if n else (v.max(ZERO) if s else ZERO) for v, n, s in zip(hi, near, unsure)]
            near_part.append(_ratio_range(w_lo, w_hi, near_lo + [ZERO, ZERO], near_hi + [ZERO, ZERO]))
            far_part.append(_far_range(a, b, far_cap, (lo, hi), far, unsure, (c_lo, c_hi), tail))
        leak = c_hi / (functools.reduce(arb.__add__, a, ZERO) + c_hi) * norm_ball(F)
        return tuple(v.upper() if v.is_finite() else INF for v in (_norm(error), _norm(near_part), _norm(far_part), leak))


def _far_range(a, b, far_cap, values, far, unsure, content, tail) -> tuple[arb, arb]:
    """Range of one component of the far part Σ_{‖x−p_i‖>r} ŵ_i (v_i − f) (all exact end points; ``values``
    = (lo, hi) of the tokens, then the content's and the tail's; ``far_cap`` the tokens' c_far): far tokens keep
    weight box and value interval, near ones value 0, an undecided token splits into a far item of weight [0, min(b_i, c_far)]
    with its values and a near item of weight [max(0, a_i − min(b_i, c_far)), b_i] and value 0 (module
    doc: far means not near); content value 0, tail its values."""
    lo, hi = values
    w_lo, w_hi, u_lo, u_hi = [content[0], ZERO], [content[1], tail], [ZERO, lo[-1]], [ZERO, hi[-1]]
    for a_i, b_i, cap_i, v_lo, v_hi, f, s in zip(a, b, far_cap, lo, hi, far, unsure):
        if s:
            cap = b_i.min(cap_i)
            w_lo += [ZERO, (a_i - cap).lower()]
            w_hi += [cap, b_i]
            u_lo += [v_lo, ZERO]
            u_hi += [v_hi, ZERO]
        else:
            w_lo.append(a_i)
            w_hi.append(b_i)
            u_lo.append(v_lo if f else ZERO)
            u_hi.append(v_hi if f else ZERO)
    return _ratio_range(w_lo, w_hi, u_lo, u_hi)


def _norm(ranges: list[tuple[arb, arb]]) -> arb:
    """(Σ_j max(|lo_j|, |hi_j|)²)^(1/2) as a ball (lo_j, hi_j exact points)."""
    return norm_ball([abs(lo).max(abs(hi)) for lo, hi in ranges])


def _neighbours(prefix: PrefixBalls, cell: FaceCell) -> tuple[list[int], arb]:
    """The tokens the ball tree cannot place beyond the cutoff chord of ĉ, and a ball whose upper end
    bounds ⟨x, p⟩ for every x in the cell and every token p left out (module doc). The cutoff is chosen
    in floats so that the tail weighs about 10^−TAIL_DIGITS of the best token; only its proof is in balls."""
    centre, _, rho = cell.geometry
    rho_f = upper(rho)
    lam = float(prefix.lam.mid())
    nearest, _ = prefix.tree.query(cell.centre_f64)
    theta_star = 2 * math.asin(min(1.0, nearest / 2))
    r_angle = 2 * math.asin(min(1.0, math.sqrt(max(0.0, 2 - 2 * float(prefix.near_cos.mid()))) / 2))
    budget = tail_log_budget(prefix.N, TAIL_DIGITS) * 2 / lam
    theta_cut = rho_f + math.sqrt((theta_star + rho_f) ** 2 + budget)
    theta_cut = max(theta_cut, r_angle + 2 * rho_f + 1e-6)
    if theta_cut >= math.pi:
        return list(range(prefix.N)), arb(-1)
    chord = 2 * math.sin(theta_cut / 2)
    index = prefix.balltree.query(centre, chord)
    with ctx.workprec(PRECISION_BITS):
        gap = 2 * (arb(chord) / 2).asin() - rho  # every token left out is more than 2·asin(chord/2) from ĉ
        return index, (gap.cos() if gap > 0 else arb(1))


def ratio_range(w_lo: Sequence, w_hi: Sequence, u_lo: Sequence, u_hi: Sequence) -> tuple[arb, arb]:
    """Exact points [lo, hi] ⊇ { Σ w_i u_i / Σ w_i : w_i ∈ [w_lo_i, w_hi_i] ∩ [0, ∞), u_i ∈ [u_lo_i, u_hi_i] }
    given Σ w_i > 0 (module doc), where each bound is a ball or a float and [s, t] runs from the lower end
    of s to the upper end of t."""
    with ctx.workprec(PRECISION_BITS):
        return _ratio_range([arb(w).lower() for w in w_lo], [arb(w).upper() for w in w_hi],
                            [arb(v).lower() for v in u_lo], [arb(v).upper() for v in u_hi])


def _ratio_range(A: list[arb], B: list[arb], lo: list[arb], hi: list[arb]) -> tuple[arb, arb]:
    """:func:`ratio_range` on exact end points (A_i, B_i weights, lo_i, hi_i values)."""
    A = [w if w >= 0 else ZERO for w in A]  # weights are ≥ 0
    floats = np.array([float(w) for w in A]), np.array([float(w) for w in B])
    return -_ratio_max(A, B, [-v for v in lo], floats), _ratio_max(A, B, hi, floats)


def _ratio_max(A: list[arb], B: list[arb], u: list[arb], floats: tuple[np.ndarray, np.ndarray]) -> arb:
    """A proved upper bound (exact point) of max Σ w_i u_i / Σ w_i over w ∈ Π[A_i, B_i] (exact points;
    ``floats`` their float copies, to choose the threshold)."""
    values = np.array([float(v) for v in u])
    ceiling = _maximum(u, values)  # Σ w u / Σ w ≤ max u always
    scale = float(np.max(np.abs(values)))
    if not (0 < scale < math.inf):
        return ceiling
    guess = _threshold_guess(*floats, values / scale)
    if not math.isfinite(guess):
        return ceiling
    for slack in (1e-13, 1e-10, 1e-7):
        R = (arb(guess + slack) * scale).upper()
        if R >= ceiling:
            return ceiling
        if _certifies(A, B, u, R):
            return R
    return ceiling


def _maximum(u: list[arb], floats: np.ndarray) -> arb:
    """max u_i of exact points: the one the floats point at, confirmed by exact comparisons."""
    top = u[int(np.argmax(floats))]
    return top if all(v <= top for v in u) else functools.reduce(arb.max, u)


def _threshold_guess(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> float:
    """max over thresholds t of (Σ_{first t} b_i u_i + Σ_{rest} a_i u_i)/(Σ_{first t} b_i + Σ_{rest} a_i),
    u sorted decreasing, in float64 (a choice of where to try; NaN or ±inf if the floats overflow)."""
    order = np.argsort(-u, kind="stable")
    us, aa, bb = u[order], a[order], b[order]
    with np.errstate(all="ignore"):
        num = np.concatenate([[0.0], np.cumsum((bb - aa) * us)]) + np.einsum("i,i->", aa, us)
        den = np.concatenate([[0.0], np.cumsum(bb - aa)]) + np.sum(aa)
        return float(np.max(np.where(den > 0, num / den, -np.inf)))


def _certifies(A: list[arb], B: list[arb], u: list[arb], R: arb) -> bool:
    """True only if g(R) = Σ_i max(A_i (u_i − R), B_i (u_i − R)) ≤ 0, evaluated in ball arithmetic (u_i and
    R exact points, so the comparison u_i > R that picks the maximising weight is exact)."""
    total = arb(0)
    for a, b, v in zip(A, B, u):
        total += (b if v > R else a) * (v - R)
    return bool(total <= 0)
