"""Rigorous enclosures of the H0 head's error ‖H − f‖ and its parts near/far/leak on a face cell.

H0 with prefix tokens (λp_i, β, v_i) and T content tokens equal to x (score ⟨x,x⟩+1 = 2, value 0):

    H(x) − f(x) = Σ_i ŵ_i (v_i − f(x)) + ĉ·(0 − f(x)),   ŵ_i = e^{s_i}/Z, ĉ = T e²/Z,
    s_i = λ⟨x, p_i⟩ + β,   Z = Σ_i e^{s_i} + T e².

Facts that keep the enclosures tight at large λ:

* **Shift.** The normalised weights do not change when one number is subtracted from every score;
  we subtract a lower bound ``ref`` of the cell's best score, so the weights e^{s_i − ref} are O(1)
  for the tokens that matter and nothing overflows.
* **Angles.** On a cell with centre ĉ and angular radius ρ (see ``verifier.cells``),
  ⟨x, p⟩ ∈ [cos(min(π, θ_p + ρ)), cos(max(0, θ_p − ρ))], θ_p = ∠(ĉ, p).
* **O(k) per cell.** Only the k tokens within a cutoff of ĉ (scipy cKDTree) are enclosed one by
  one; the other N − k have ⟨x, p⟩ ≤ cos(max(0, θ_cut − ρ)) and enter together as one item of
  weight in [0, tail], tail = (N − k)·e^{λ cos(max(0, θ_cut − ρ)) + β − ref}, with values in [−V, V]
  (V ≥ every |v_ij|). The tree's float64 distances err by far less than the margin 10⁻⁹ taken.
* **Ratio range.** For weights w_i in a box [a_i, b_i] and values u_i, max Σ w_i u_i / Σ w_i is
  attained with w_i = b_i for u_i above the maximum R* and a_i below it (a threshold in the sorted
  values): R ≥ R* iff g(R) = Σ_i (b_i (u_i − R)⁺ − a_i (R − u_i)⁺) ≤ 0. We locate R* in float64 by
  the O(k log k) threshold scan and *prove* the bound by checking g(R) ≤ 0 with its rounding error
  bounded (recursive summation: |fl(Σ t_i) − Σ t_i| ≤ γ_n Σ|t_i|, γ_n = nu/(1 − nu), u = 2⁻⁵³,
  each term's own two roundings included in n). The minimum is the maximum for −u.
* **Far means not near.** A token that is near on part of the cell and far on the rest (undecided,
  U) enters the far part only where ‖x − p_i‖ > r, i.e. ⟨x, p_i⟩ < 1 − r²/2, where its weight is
  below c_far = e^{λ(1 − r²/2) + β − ref}. So in the far part such a token is two items: w_i·1[far]
  ∈ [0, min(b_i, c_far)] with its value u_i, and the rest w_i·1[near] ∈ [max(0, a_i − min(b_i, c_far)), b_i]
  with value 0: every actual pair (w_i·1[far], w_i·1[near]) lies in that box, so the ratio range over
  it contains the far part. (The box model alone lets such a token weigh e^{λ cos(θ_i − ρ)} against
  the best token's e^{λ cos(θ_* + ρ)}, as if both extremes held at one x; at m = 3, ε = 0.5, ρ ≈ 0.07
  that put tokens at distance ≈ r at 14 times the best token's weight. The cap is at most
  e^{λ(1 − r²/2 − cos(θ_* + ρ))} times it.)

The values u_i = v_i − f (float differences of the float end points) are widened one ulp
outwards, which covers their rounding. Each component of a vector quantity is enclosed so; the norm
bound is (Σ_j max(|lo_j|, |hi_j|)²)^(1/2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Sequence

import numpy as np
from flint import arb, ctx
from scipy.spatial import cKDTree

from verifier.attention import tail_log_budget
from verifier.ball import PRECISION_BITS, lower, upper
from verifier.cells import FaceCell, angle_range

UNIT_ROUNDOFF = 2.0**-53
DISTANCE_MARGIN = 1e-9  # ≫ the float64 error of ‖c − p‖ for unit vectors (~1e-15)
TAIL_DIGITS = 9  # the cutoff is chosen so that the tail weighs about 10^−9 relative to the best token


@dataclass(frozen=True)
class PrefixBalls:
    """A prefix on H0 in ball form: exact points p_i (balls), value intervals, λ and β (balls), T."""

    points: list  # list of lists of arb: p_i
    points_f64: np.ndarray  # (N, m+1), for the neighbour search only
    values_lo: np.ndarray  # (N, d) floats ≤ v_ij
    values_hi: np.ndarray  # (N, d) floats ≥ v_ij
    lam: arb
    beta: arb
    context: int
    near_cos: arb  # 1 − r²/2: ‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2

    @classmethod
    def build(cls, points: list, values: list, lam: arb, beta: arb, context: int, near_cos: arb) -> "PrefixBalls":
        lo = np.array([[lower(v) for v in row] for row in values])
        hi = np.array([[upper(v) for v in row] for row in values])
        f64 = np.array([[float(c.mid()) for c in p] for p in points])
        return cls(points, f64, lo, hi, lam, beta, context, near_cos)

    @property
    def N(self) -> int:
        return len(self.points)

    @property
    def value_bound(self) -> float:
        """V ≥ |v_ij| for every token and component."""
        return float(max(np.max(np.abs(self.values_lo)), np.max(np.abs(self.values_hi))))

    @cached_property
    def tree(self) -> cKDTree:
        return cKDTree(self.points_f64)


NAMES = ("error", "near", "far", "leak")


def enclose_parts(prefix: PrefixBalls, cell: FaceCell, target: Sequence[Callable]) -> tuple[float, float, float, float]:
    """Upper bounds of sup_{x∈cell} of ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖ (see the module); +inf where the
    enclosure is not finite."""
    with ctx.workprec(PRECISION_BITS):
        centre, _, rho = cell.geometry
        F = [f(cell.enclosure) for f in target]
        f_lo = np.array([lower(v) for v in F])
        f_hi = np.array([upper(v) for v in F])
        if not (np.all(np.isfinite(f_lo)) and np.all(np.isfinite(f_hi))):
            return (math.inf,) * 4
        f_norm = math.sqrt(float(np.sum(np.maximum(np.abs(f_lo), np.abs(f_hi)) ** 2))) * (1 + 1e-12)
        index, tail_cos = _neighbours(prefix, cell)
        low_cos, high_cos = zip(*(angle_range(centre, rho, prefix.points[i]) for i in index)) if index else ((), ())
        lam, beta = prefix.lam, prefix.beta
        ref = max((lower(lam * c + beta) for c in low_cos), default=lower(lam + beta))
        shift = arb(ref)
        a = np.array([lower((lam * c + beta - shift).exp()) for c in low_cos])
        b = np.array([upper((lam * c + beta - shift).exp()) for c in high_cos])
        content = prefix.context * (2 - shift).exp()
        c_lo, c_hi = lower(content), upper(content)
        tail = upper((prefix.N - len(index)) * (lam * tail_cos + beta - shift).exp()) if len(index) < prefix.N else 0.0
        if not (np.all(np.isfinite(b)) and math.isfinite(c_hi) and math.isfinite(tail)):
            return (math.inf,) * 4
        near = np.array([bool(c >= prefix.near_cos) for c in low_cos], dtype=bool)
        far = np.array([bool(c < prefix.near_cos) for c in high_cos], dtype=bool)
        unsure = ~near & ~far
        V = prefix.value_bound
        weights_lo = np.concatenate([a, [c_lo, 0.0]])
        weights_hi = np.concatenate([b, [c_hi, tail]])
        far_cap = upper((lam * prefix.near_cos + beta - shift).exp())
        error, near_part, far_part = [], [], []
        for j in range(len(target)):
            u_lo = _down(prefix.values_lo[index, j] - f_hi[j])  # one ulp outwards covers the subtraction's rounding
            u_hi = _up(prefix.values_hi[index, j] - f_lo[j])
            tail_lo, tail_hi = float(_down(-V - f_hi[j])), float(_up(V - f_lo[j]))
            error.append(ratio_range(weights_lo, weights_hi, np.concatenate([u_lo, [-f_hi[j], tail_lo]]),
                                     np.concatenate([u_hi, [-f_lo[j], tail_hi]])))
            near_part.append(_part_range(weights_lo, weights_hi, u_lo, u_hi, near, unsure, (0.0, 0.0), (0.0, 0.0)))
            far_part.append(_far_range(a, b, far_cap, u_lo, u_hi, far, unsure, (c_lo, c_hi), tail, (tail_lo, tail_hi)))
        Z_lo = arb(float(np.sum(a))) * (1 - 2 * len(a) * UNIT_ROUNDOFF) + arb(c_lo)
        leak_bound = upper(arb(c_hi) / Z_lo * arb(f_norm))
        return (_norm(error), _norm(near_part), _norm(far_part), leak_bound)


def _down(x):
    return np.nextafter(x, -np.inf)


def _up(x):
    return np.nextafter(x, np.inf)


def _far_range(a, b, far_cap, u_lo, u_hi, far, unsure, content, tail, tail_values) -> tuple[float, float]:
    """Range of one component of the far part Σ_{‖x−p_i‖>r} ŵ_i (v_i − f): far tokens keep weight box
    and value interval, near ones value 0, an undecided token splits into a far item of weight
    [0, min(b_i, c_far)] with its values and a near item of value 0 (module doc: far means not near);
    content value 0, tail values ``tail_values``."""
    cap = np.minimum(b[unsure], far_cap)
    zero = np.zeros(int(np.sum(unsure)))
    w_lo = np.concatenate([a[~unsure], zero, np.maximum(0.0, _down(a[unsure] - cap)), [content[0], 0.0]])
    w_hi = np.concatenate([b[~unsure], cap, b[unsure], [content[1], tail]])
    lo = np.concatenate([np.where(far, u_lo, 0.0)[~unsure], u_lo[unsure], zero, [0.0, tail_values[0]]])
    hi = np.concatenate([np.where(far, u_hi, 0.0)[~unsure], u_hi[unsure], zero, [0.0, tail_values[1]]])
    return ratio_range(w_lo, w_hi, lo, hi)


def _part_range(w_lo, w_hi, u_lo, u_hi, member, unsure, extra_lo, extra_hi) -> tuple[float, float]:
    """Range of one component of a part Σ_{i in part} ŵ_i (v_i − f): members keep their value
    interval, tokens that may or may not belong get its hull with 0, the others value 0; ``extra``
    are the values of the content and tail items."""
    lo = np.where(member, u_lo, np.where(unsure, np.minimum(0.0, u_lo), 0.0))
    hi = np.where(member, u_hi, np.where(unsure, np.maximum(0.0, u_hi), 0.0))
    return ratio_range(w_lo, w_hi, np.concatenate([lo, extra_lo]), np.concatenate([hi, extra_hi]))


def _norm(ranges: list[tuple[float, float]]) -> float:
    with ctx.workprec(PRECISION_BITS):
        total = sum((arb(max(abs(lo), abs(hi))) ** 2 for lo, hi in ranges), arb(0))
        return upper(total.sqrt())


def _neighbours(prefix: PrefixBalls, cell: FaceCell) -> tuple[list[int], arb]:
    """The tokens within the cutoff chord of the cell's centre, and a ball whose upper end bounds
    ⟨x, p⟩ for every x in the cell and every token p outside (module doc)."""
    centre_f = cell.centre_f64
    rho = upper(cell.rho)
    lam = float(prefix.lam.mid())
    nearest, _ = prefix.tree.query(centre_f)
    theta_star = 2 * math.asin(min(1.0, nearest / 2))
    r_angle = 2 * math.asin(min(1.0, math.sqrt(max(0.0, 2 - 2 * float(prefix.near_cos.mid()))) / 2))
    budget = tail_log_budget(prefix.N, TAIL_DIGITS) * 2 / lam
    theta_cut = rho + math.sqrt((theta_star + rho) ** 2 + budget)
    theta_cut = max(theta_cut, r_angle + 2 * rho + 1e-6)
    if theta_cut >= math.pi:
        return list(range(prefix.N)), arb(-1)
    chord = 2 * math.sin(theta_cut / 2)
    index = sorted(prefix.tree.query_ball_point(centre_f, chord))
    with ctx.workprec(PRECISION_BITS):
        outside = 2 * (arb(chord - DISTANCE_MARGIN) / 2).asin()
        gap = outside - cell.rho
        return index, (gap.cos() if gap > 0 else arb(1))


def ratio_range(a: np.ndarray, b: np.ndarray, u_lo: np.ndarray, u_hi: np.ndarray) -> tuple[float, float]:
    """[lo, hi] ⊇ { Σ w_i u_i / Σ w_i : w_i ∈ [a_i, b_i], u_i ∈ [u_lo_i, u_hi_i] } (module doc; Σ a_i > 0)."""
    return -_ratio_max(a, b, -u_lo), _ratio_max(a, b, u_hi)


def _ratio_max(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> float:
    """A proved upper bound of max Σ w_i u_i / Σ w_i over w ∈ Π[a_i, b_i] (u exact floats)."""
    order = np.argsort(-u, kind="stable")
    us, aa, bb = u[order], a[order], b[order]
    # candidate t: the first t tokens (largest u) at b, the rest at a
    top_num = np.concatenate([[0.0], np.cumsum(bb * us)])
    top_den = np.concatenate([[0.0], np.cumsum(bb)])
    rest_num = np.concatenate([np.cumsum((aa * us)[::-1])[::-1], [0.0]])
    rest_den = np.concatenate([np.cumsum(aa[::-1])[::-1], [0.0]])
    den = top_den + rest_den
    with np.errstate(all="ignore"):
        ratios = np.where(den > 0, (top_num + rest_num) / den, -np.inf)
    guess = float(np.max(ratios))
    ceiling = float(np.max(u))
    if not math.isfinite(guess):
        return ceiling
    for slack in (1e-13, 1e-10, 1e-7):
        R = guess + slack * max(1.0, abs(guess))
        if R >= ceiling:
            return ceiling
        if _certifies(a, b, u, R):
            return R
    return ceiling  # Σ w u / Σ w ≤ max u always


def _certifies(a: np.ndarray, b: np.ndarray, u: np.ndarray, R: float) -> bool:
    """True only if g(R) = Σ_i (b_i (u_i − R)⁺ − a_i (R − u_i)⁺) ≤ 0 holds exactly: each term has two
    roundings (difference, product), the sum n − 1 more, so |error| ≤ γ_(n+2)·Σ|t̃_i| with margin."""
    diff = u - R
    terms = np.where(diff > 0, b * diff, a * diff)
    n = len(terms) + 2
    gamma = n * UNIT_ROUNDOFF / (1 - n * UNIT_ROUNDOFF)
    total = float(np.sum(terms))
    magnitude = float(np.sum(np.abs(terms)))
    return total + 2 * gamma * magnitude * (1 + 1e-6) + 1e-300 <= 0
