"""Rigorous enclosures of the H0 head's error ‖H − f‖ and its parts near/far/leak on a face cell.

H0 with prefix tokens (λp_i, β_i, v_i) (unit p_i; E1 has one bias β for every token, E2 the biases
ln w_i + β) and T content tokens equal to x (score ⟨x,x⟩+1 = 2, value 0):

    H(x) − f(x) = Σ_i ŵ_i (v_i − f(x)) + ĉ·(0 − f(x)),   ŵ_i = e^{s_i}/Z, ĉ = T e²/Z,
    s_i = λ⟨x, p_i⟩ + β_i,   Z = Σ_i e^{s_i} + T e².

**Keys of any norm** (a free prefix, e.g. an optimised one): a key k_i ∈ R^(m+1) gives the score ⟨x, k_i⟩ + β_i =
λ_i⟨x, p_i⟩ + β_i with λ_i = ‖k_i‖ ≥ 0 and the unit p_i = k_i/‖k_i‖ (both balls, :meth:`PrefixBalls.of_keys`; a key 0
has λ_i = 0 and any unit p_i, e.g. e_0: its score is β_i at every x). Every bound below then takes the token's own
λ_i where the one λ stood: the scores' ends λ_i·[lo, hi] + β_i, the far cap e^{λ_i(1 − r²/2) + β_i − ref}, the shift
ref = max_i (λ_i + β_i). The tail (below) bounds the left-out tokens' scores by the upper envelope

    L(c) = max_i (λ_i c + β_i)   at c = the cosine bound of the left-out tokens (λ_i ≥ 0: λ_i⟨x, p_i⟩ ≤ λ_i c),

which takes, for each sign of c, the right λ with its own bias (for c ≥ 0 it is at most λ_max c + max β, for c < 0 at
most λ_min c + max β; the envelope is tighter than both where large λ_i come with low β_i). L is convex (a maximum of
affine functions), so on [g_k, g_{k+1}] of the exact grid g_k = −1 + 2k/K it lies below its chord:
L(c) ≤ U_k + t·(U_{k+1} − U_k), t = (c − g_k)/(g_{k+1} − g_k), with floats U_k ≥ L(g_k) computed once over all tokens
(rounded up); O(1) per cell. With one λ for every token (E1, E2, R1) the envelope is the line λc + max β and the
code takes that line directly, as before.

Many cells are enclosed at once (:func:`enclose_parts_many`): the cells' geometry, the tokens' angle ranges, weights
and values and the ratio ranges are rigorous float64 intervals on numpy arrays (``verifier.intervals``: every
operation rounded outward, exp built from IEEE operations with its error bounded), one row per cell; the target
f(x) on each cell, the constants (λ, β_i, v_i, 1 − r²/2 enter as the float ends of their arb balls) and the leak
are arb balls. So the bounds contain the truth at every scale (f, v and ε of 10⁻²⁵⁰ or 10²⁵⁰ alike); floats
without a rounding bound only choose which tokens to enclose one by one and where to try a threshold, never
enter a bound. Facts that keep the enclosures tight at large λ:

* **Shift.** The normalised weights do not change when one number is subtracted from every score;
  we subtract ref = λ + max_i β_i ≥ every score (one float for all cells), so every weight e^{s_i − ref} ≤ 1
  and nothing overflows.
* **Angles.** On a cell with centre ĉ and angular radius ρ (see ``verifier.cells.FaceGeometry``),
  ⟨x, p⟩ ∈ [cos(min(π, θ_p + ρ)), cos(max(0, θ_p − ρ))], θ_p = ∠(ĉ, p), written with cos θ_p = ⟨ĉ, p⟩ and
  cos ρ, sin ρ alone (no arccos).
* **O(k) per cell.** Only the k tokens that ``verifier.balltree`` cannot place beyond a cutoff chord c
  of ĉ are enclosed one by one; every other token has ‖ĉ − p‖ > c (proved in interval arithmetic on the
  tree's leaves), so ⟨ĉ, p⟩ < 1 − c²/2 = cos θ_c and ⟨x, p⟩ ≤ cos(max(0, θ_c − ρ)). The N − k enter together as one
  item of weight in [0, tail], tail = (N − k)·e^{λ cos(max(0, θ_c − ρ)) + max_i β_i − ref} (keys of any norm:
  (N − k)·e^{L(cos(max(0, θ_c − ρ))) − ref}), with values in [−V, V] − f (V ≥ every |v_ij|). The cutoff is a float
  choice: one λ takes θ_c from the nearest token's angle θ* (θ_c − ρ ≥ ((θ* + ρ)² + 2G/λ)^(1/2), G the tail's log
  budget); per-token λ_i take the largest grid cosine c* with U(c*) ≤ (a float estimate of the best token's score on
  the cell, from its nearest tokens) − G and θ_c = arccos(c*) + ρ (all tokens where there is none); a poor choice
  costs time, never soundness.
* **Ratio range.** For weights w_i in a box [a_i, b_i] and values u_i, max Σ w_i u_i / Σ w_i is
  attained with w_i = b_i for u_i above the maximum R* and a_i below it (a threshold in the sorted
  values), and R bounds it iff g(R) = Σ_i max(a_i (u_i − R), b_i (u_i − R)) ≤ 0 (given Σ w_i > 0).
  We locate R* in float64 by the O(k log k) threshold scan on values scaled to [−1, 1] (a choice
  only), and *prove* the bound by evaluating g(R) in floats with its rounding bounded
  (``verifier.intervals.dot_upper``); ``ratio_range`` does the same for one item list in ball arithmetic. The
  minimum is the maximum for −u.
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

The values u_i = v_i − f are the interval differences of the value balls and the target's enclosure on
the cell. Each component of a vector quantity is enclosed so; the norm bound is
(Σ_j max(|lo_j|, |hi_j|)²)^(1/2) = M·(Σ_j (t_j/M)²)^(1/2), M = max_j t_j, rounded up (no overflow at 10²⁵⁰).
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
from verifier.ball import PRECISION_BITS, interval, lower, upper
from verifier.balltree import BallTree, query_many
from verifier.bounds import norm_ball
from verifier.cells import FaceCell, FaceGeometry
from verifier.intervals import Intervals, dot_upper, down, exp_bounds, sum_lower, up

TAIL_DIGITS = 9  # the cutoff is chosen so that the tail weighs about 10^−9 relative to the best token
GROUP_ELEMENTS = 1 << 17  # cells × tokens per vectorised pass: the arrays stay in the cache
SLACKS = (1e-13, 1e-10, 1e-7)  # thresholds tried above the float guess, relative to max |u|
ZERO = arb(0)
INF = arb("inf")


@dataclass(frozen=True)
class PrefixBalls:
    """A prefix on H0 in ball form: unit points p_i, values v_i, λ and the biases β_i (balls), T, and 1 − r²/2.
    λ is one ball for every token, or a list of N balls λ_i ≥ 0 (keys of any norm, :meth:`of_keys`)."""

    points: list  # list of lists of arb: p_i, each of norm 1
    values: list  # list of lists of arb: v_i
    lam: arb  # or a list of arb: λ_i per token
    biases: list  # list of arb: β_i
    context: int
    near_cos: arb  # 1 − r²/2: ‖x − p‖ ≤ r ⇔ ⟨x, p⟩ ≥ 1 − r²/2

    @classmethod
    def of_keys(cls, keys: np.ndarray, biases: np.ndarray, values: np.ndarray, context: int,
                near_cos: arb | None = None) -> "PrefixBalls":
        """The tokens (k_i, β_i, v_i) given as floats (exact as balls) with keys of any norm (module doc):
        λ_i = ‖k_i‖ and p_i = k_i/‖k_i‖ in balls; a key 0 gets λ_i = 0 and p_i = e_0. ``near_cos`` defaults to 1
        (r = 0: no token is near, so the near/far split widens no cutoff; only the parts near/far read it)."""
        with ctx.workprec(PRECISION_BITS):
            points, scales = [], []
            for key in np.asarray(keys, dtype=float):
                row = [arb(float(v)) for v in key]
                if not np.any(key):
                    points.append([arb(1)] + [arb(0)] * (len(row) - 1))
                    scales.append(arb(0))
                    continue
                norm = functools.reduce(arb.__add__, (v * v for v in row)).sqrt()
                points.append([v / norm for v in row])
                scales.append(norm)
            return cls(points, [[arb(float(v)) for v in row] for row in np.asarray(values, dtype=float)], scales,
                       [arb(float(b)) for b in np.asarray(biases, dtype=float)], context,
                       arb(1) if near_cos is None else near_cos)

    @property
    def per_token(self) -> bool:
        """True if every token has its own λ_i (a list), False for one λ."""
        return isinstance(self.lam, (list, tuple))

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

    @cached_property
    def floats(self) -> "PrefixFloats":
        return PrefixFloats.of(self)


@dataclass(frozen=True)
class PrefixFloats:
    """The prefix's balls as float intervals (their ends: lower ≤ ball ≤ upper), and the one shift of every score."""

    points: Intervals  # (N, m+1)
    values: Intervals  # (N, d)
    biases: Intervals  # (N,)
    lam: Intervals  # (1,) one λ, or (N,) per token
    near_cos: Intervals  # (1,)
    value_bound: float  # ≥ V
    bias_bound: float  # ≥ max β_i
    shift: float  # ref of the module doc, a float near max_i (λ_i + β_i) (any float is valid: it cancels)
    content: arb  # T·e^{2 − shift}, the content weight, as a ball (it may be far below the float range)
    envelope: np.ndarray | None = None  # per-token λ_i: U_k ≥ L(g_k) on the grid (module doc); None for one λ

    @classmethod
    def of(cls, prefix: PrefixBalls) -> "PrefixFloats":
        def ends(balls) -> Intervals:
            return Intervals(np.array([lower(b) for b in balls]), np.array([upper(b) for b in balls]))

        biases = ends(prefix.biases)
        if prefix.per_token:
            lam = ends(prefix.lam)
            shift, envelope = float(np.max(up(lam.hi + biases.hi))), _envelope(lam, biases)
        else:
            lam, envelope = ends([prefix.lam]), None
            shift = float(prefix.lam.mid()) + upper(prefix.bias_bound)
        with ctx.workprec(PRECISION_BITS):
            content = prefix.context * (2 - arb(shift)).exp()
        m1, d = len(prefix.points[0]), len(prefix.values[0])
        points, values = ends([c for p in prefix.points for c in p]), ends([v for row in prefix.values for v in row])
        return cls(Intervals(points.lo.reshape(-1, m1), points.hi.reshape(-1, m1)),
                   Intervals(values.lo.reshape(-1, d), values.hi.reshape(-1, d)), biases,
                   lam, ends([prefix.near_cos]), upper(prefix.value_bound), upper(prefix.bias_bound),
                   shift, content, envelope)

    def token_lam(self, idx: np.ndarray) -> tuple:
        """The ends (lo, hi) of λ for the tokens ``idx``: arrays per token, or the one λ's two floats."""
        if self.envelope is None:
            return self.lam.lo[0], self.lam.hi[0]
        return self.lam.lo[idx], self.lam.hi[idx]

    def tail_exponent(self, tail_cos: np.ndarray) -> np.ndarray:
        """Floats ≥ (the largest score of a token with ⟨x, p⟩ ≤ tail_cos) − shift: λ·c + max β − shift for one λ,
        L(c) − shift with the envelope's chord for per-token λ_i (module doc)."""
        if self.envelope is None:
            return _score(self, tail_cos, self.bias_bound, True, self.token_lam(None))
        return up(_envelope_upper(self.envelope, tail_cos) - self.shift)


ENVELOPE_STEPS = 1024  # K: the grid g_k = −1 + 2k/K of the tail's envelope (a power of two: every g_k is exact)
CHUNK = 1 << 20  # array elements per float pass of the envelope over all tokens
NEAREST = 16  # tokens nearest to a cell's centre whose scores estimate the best one (per-token λ_i: a choice)


def envelope_grid() -> np.ndarray:
    """The exact floats g_k = −1 + k·(2/K), k = 0..K."""
    return -1.0 + np.arange(ENVELOPE_STEPS + 1) * (2.0 / ENVELOPE_STEPS)


def _envelope(lam: Intervals, biases: Intervals) -> np.ndarray:
    """Floats U_k ≥ L(g_k) = max_i (λ_i g_k + β_i) for every λ_i, β_i in their intervals (rounded up), k = 0..K."""
    g = envelope_grid()
    out = np.full(len(g), -np.inf)
    step = max(1, CHUNK // len(g))
    for start in range(0, len(lam.lo), step):
        lo, hi = lam.lo[start:start + step, None], lam.hi[start:start + step, None]
        scores = up(up(np.maximum(lo * g, hi * g)) + biases.hi[start:start + step, None])
        out = np.maximum(out, np.max(scores, axis=0))
    return out


def _envelope_upper(U: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Floats ≥ L(c') for every c' ≤ c (L is non-decreasing as every λ_i ≥ 0): c clipped to [−1, 1] (an upper bound of
    a cosine stays one), g_k ≤ c ≤ g_{k+1} located by exact comparisons, and the chord U_k + t·(U_{k+1} − U_k) with
    t = (c − g_k)/h ∈ [t_lo, t_hi] taken at the end that maximises it, every step rounded up (module doc)."""
    g = envelope_grid()
    h = g[1] - g[0]
    c = np.clip(c, -1.0, 1.0)
    k = np.clip(np.searchsorted(g, c, side="right") - 1, 0, len(g) - 2)
    t_lo = np.maximum(0.0, down(down(c - g[k]) / h))
    t_hi = np.minimum(1.0, up(up(c - g[k]) / h))
    rise = up(U[k + 1] - U[k])
    with np.errstate(invalid="ignore"):
        return up(U[k] + up(np.where(rise >= 0, t_hi * rise, t_lo * rise)))


NAMES = ("error", "near", "far", "leak")


def enclose_parts(prefix: PrefixBalls, cell: FaceCell, target: Sequence[Callable]) -> tuple[arb, arb, arb, arb]:
    """Upper bounds of sup_{x∈cell} of ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖: :func:`enclose_parts_many` of one cell."""
    return enclose_parts_many(prefix, [cell], target)[0]


def enclose_parts_many(prefix: PrefixBalls, cells: Sequence[FaceCell], target: Sequence[Callable]) -> list[tuple]:
    """For each cell, upper bounds of sup_{x∈cell} of ‖H − f‖, ‖near‖, ‖far‖, ‖leak‖ (see the module): each an exact
    arb number (so a leak of 10⁻¹²²⁹ stays itself), +inf where the enclosure is not finite."""
    if not cells:
        return []
    geometry = FaceGeometry.of(cells)
    F = [_target_enclosure(geometry.boxes[c], target) for c in range(len(cells))]
    index, tail_cos = _neighbours(prefix, geometry)
    out: list = [None] * len(cells)
    order = sorted(range(len(cells)), key=lambda c: len(index[c]))
    start = 0
    while start < len(order):
        width = max(1, len(index[order[start]]))
        stop = start + 1
        while stop < len(order) and (stop - start + 1) * max(width, len(index[order[stop]])) <= GROUP_ELEMENTS:
            width = max(width, len(index[order[stop]]))
            stop += 1
        group = order[start:stop]
        for c, bounds in zip(group, _enclose_group(prefix, geometry, group, [index[c] for c in group], tail_cos[group],
                                                   [F[c] for c in group])):
            out[c] = bounds
        start = stop
    return out


def _target_enclosure(box: Intervals, target: Sequence[Callable]):
    """Balls F_j ∋ f_j(x) for every x of the cell's box, or None where not finite."""
    if not (np.all(np.isfinite(box.lo)) and np.all(np.isfinite(box.hi)) and np.all(box.lo <= box.hi)):
        return None
    X = [interval(a, b) for a, b in zip(box.lo, box.hi)]
    F = [f(X) for f in target]
    return F if all(v.is_finite() for v in F) else None


def _enclose_group(prefix: PrefixBalls, geometry: FaceGeometry, rows: list[int], index: list, tail_cos: np.ndarray,
                   F: list) -> list[tuple]:
    """The bounds of the cells ``rows`` (their neighbours ``index``), all tokens padded to one width (weight 0)."""
    P = prefix.floats
    G, K = len(rows), max(1, max(len(i) for i in index))
    idx, valid = np.zeros((G, K), dtype=np.int64), np.zeros((G, K), dtype=bool)
    for g, i in enumerate(index):
        idx[g, :len(i)], valid[g, :len(i)] = i, True
    sub = FaceGeometry(geometry.centres[rows], geometry.cos_rho[rows], geometry.sin_rho[rows], geometry.boxes[rows],
                       geometry.centres_f64[rows])
    low, high = sub.angle_ranges(P.points[idx])
    lam = P.token_lam(idx)
    a = np.where(valid, exp_bounds(_score(P, low, P.biases.lo[idx], False, lam))[0], 0.0)
    b = np.where(valid, exp_bounds(_score(P, high, P.biases.hi[idx], True, lam))[1], 0.0)
    far_cap = exp_bounds(_score(P, np.full((G, K), P.near_cos.hi[0]), P.biases.hi[idx], True, lam))[1]
    outside = np.array([prefix.N - len(i) for i in index], dtype=float)
    tail = np.where(outside > 0, up(outside * exp_bounds(P.tail_exponent(tail_cos))[1]), 0.0)
    c_lo, c_hi = lower(P.content), upper(P.content)
    near = valid & (low >= P.near_cos.hi[0])
    far = ~valid | (high < P.near_cos.lo[0])
    unsure = ~(near | far)
    ok = np.array([f is not None for f in F]) & np.all(np.isfinite(b), axis=1) & np.isfinite(tail)
    d = len(prefix.values[0])
    F_lo = np.array([[lower(v) for v in f] if f is not None else [0.0] * d for f in F])
    F_hi = np.array([[upper(v) for v in f] if f is not None else [0.0] * d for f in F])
    column = np.ones((G, 1))
    W_lo = np.hstack([a, c_lo * column, 0 * column])
    W_hi = np.hstack([b, c_hi * column, tail[:, None]])
    far_lo, far_hi = _far_weights(a, b, far_cap, unsure)
    far_lo, far_hi = np.hstack([far_lo, c_lo * column, 0 * column]), np.hstack([far_hi, c_hi * column, tail[:, None]])
    zeros = np.zeros((G, K))
    parts = {"error": [], "near": [], "far": []}
    for j in range(d):
        f_lo, f_hi = F_lo[:, j:j + 1], F_hi[:, j:j + 1]
        u_lo = np.where(valid, down(P.values.lo[idx, j] - f_hi), 0.0)
        u_hi = np.where(valid, up(P.values.hi[idx, j] - f_lo), 0.0)
        tail_lo, tail_hi = down(-P.value_bound - f_hi), up(P.value_bound - f_lo)
        parts["error"].append(ratio_range_many(W_lo, W_hi, np.hstack([u_lo, -f_hi, tail_lo]), np.hstack([u_hi, -f_lo, tail_hi])))
        near_lo = np.where(near, u_lo, np.where(unsure, np.minimum(u_lo, 0.0), 0.0))
        near_hi = np.where(near, u_hi, np.where(unsure, np.maximum(u_hi, 0.0), 0.0))
        parts["near"].append(ratio_range_many(W_lo, W_hi, np.hstack([near_lo, 0 * column, 0 * column]),
                                              np.hstack([near_hi, 0 * column, 0 * column])))
        far_u_lo, far_u_hi = np.where(far | unsure, u_lo, 0.0), np.where(far | unsure, u_hi, 0.0)
        parts["far"].append(ratio_range_many(far_lo, far_hi, np.hstack([far_u_lo, zeros, 0 * column, tail_lo]),
                                             np.hstack([far_u_hi, zeros, 0 * column, tail_hi])))
    norms = {name: norm_upper(np.column_stack([np.maximum(np.abs(lo), np.abs(hi)) for lo, hi in ranges]))
             for name, ranges in parts.items()}
    sum_a = sum_lower(a)
    out = []
    with ctx.workprec(PRECISION_BITS):
        for g in range(G):
            if not ok[g]:
                out.append((INF,) * 4)
                continue
            leak = P.content.upper() / (arb(max(0.0, sum_a[g])) + P.content.upper()) * norm_ball(F[g])
            out.append(tuple(arb(float(norms[name][g])) if math.isfinite(norms[name][g]) else INF
                             for name in ("error", "near", "far")) + (leak.upper() if leak.is_finite() else INF,))
    return out


def _far_weights(a: np.ndarray, b: np.ndarray, far_cap: np.ndarray, unsure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The far part's weight boxes, two columns per token (module doc: far means not near): a token near or far on
    the whole cell keeps [a_i, b_i] (its value is u_i if far, 0 if near) and a second item of weight 0; an undecided
    one splits into a far item [0, min(b_i, c_far)] with its values and a near item [max(0, a_i − min(b_i, c_far)),
    b_i] with value 0."""
    cap = np.minimum(b, far_cap)
    return (np.hstack([np.where(unsure, 0.0, a), np.where(unsure, np.maximum(0.0, down(a - cap)), 0.0)]),
            np.hstack([np.where(unsure, cap, b), np.where(unsure, b, 0.0)]))


def _score(P: PrefixFloats, cosines: np.ndarray, biases, upper_end: bool, lam: tuple) -> np.ndarray:
    """A float ≤ (or with ``upper_end`` ≥) λ·c + β − shift for the floats c and β, λ in [lam[0], lam[1]] (floats, or
    arrays that broadcast with c: a token's own λ_i)."""
    if upper_end:
        product = up(np.maximum(lam[0] * cosines, lam[1] * cosines))
        return up(up(product + biases) - P.shift)
    product = down(np.minimum(lam[0] * cosines, lam[1] * cosines))
    return down(down(product + biases) - P.shift)


def norm_upper(t: np.ndarray) -> np.ndarray:
    """A float ≥ (Σ_j t_j²)^(1/2) for each row of the floats t ≥ 0: M·(Σ_j up(t_j/M)²)^(1/2), M = max_j t_j
    (no overflow at large scales), every step rounded up; +inf or NaN stays not finite."""
    M = np.max(t, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.where(M[:, None] > 0, up(t / M[:, None]), 0.0)
        total = up(q[:, 0] * q[:, 0])
        for k in range(1, t.shape[1]):
            total = up(total + up(q[:, k] * q[:, k]))
        return np.where(M > 0, up(M * up(np.sqrt(total))), M)


def _neighbours(prefix: PrefixBalls, geometry: FaceGeometry) -> tuple[list[np.ndarray], np.ndarray]:
    """Per cell, the tokens the leaves of the ball tree cannot place beyond the cutoff chord c of ĉ, and a float ≥
    ⟨x, p⟩ for every x in the cell and every token p left out (module doc; −1 where none is left out). The cutoff is
    chosen in floats so that the tail weighs about 10^−TAIL_DIGITS of the best token; only its proof is rigorous."""
    rho = np.arccos(geometry.cos_rho) * (1 + 1e-9) + 1e-12
    r_angle = 2 * math.asin(min(1.0, math.sqrt(max(0.0, 2 - 2 * float(prefix.near_cos.mid()))) / 2))
    if prefix.per_token:
        theta_cut = _cutoff_per_token(prefix, geometry, rho)
    else:
        lam = float(prefix.lam.mid())
        nearest, _ = prefix.tree.query(geometry.centres_f64)
        theta_star = 2 * np.arcsin(np.minimum(1.0, nearest / 2))
        budget = tail_log_budget(prefix.N, TAIL_DIGITS) * 2 / lam
        theta_cut = rho + np.sqrt((theta_star + rho) ** 2 + budget)
    theta_cut = np.maximum(theta_cut, r_angle + 2 * rho + 1e-6)
    every = theta_cut >= math.pi
    chord = 2 * np.sin(np.minimum(theta_cut, math.pi) / 2)
    index: list = [np.arange(prefix.N)] * len(chord)
    some = np.flatnonzero(~every)
    for row, found in zip(some, query_many(prefix.balltree, geometry.centres[some], chord[some])):
        index[row] = found
    tail_cos = geometry.cos_upper(up(1.0 - down(chord * chord) / 2)[:, None])[:, 0]
    return index, np.where(every, -1.0, tail_cos)


def _cutoff_per_token(prefix: PrefixBalls, geometry: FaceGeometry, rho: np.ndarray) -> np.ndarray:
    """Per cell, the cutoff angle θ_c for per-token λ_i, in floats (a choice, module doc): a lower estimate of the
    best token's score on the cell, the larger of max_i (λ_i cos(min(π, θ_i + ρ)) + β_i) over the NEAREST tokens to ĉ
    (θ_i = ∠(ĉ, p_i), cos(θ_i + ρ) = cos θ_i cos ρ − sin θ_i sin ρ) and max_i (β_i − λ_i) (every token's least score),
    less the log budget G; then the largest grid cosine c* with U(c*) below it, θ_c = arccos(c*) + ρ (π, i.e. every
    token, where even U(−1) is above it). A best token outside the nearest ones only widens the cutoff."""
    P = prefix.floats
    lam, beta = (P.lam.lo + P.lam.hi) / 2, (P.biases.lo + P.biases.hi) / 2
    _, index = prefix.tree.query(geometry.centres_f64, k=min(prefix.N, NEAREST))
    index = index.reshape(len(rho), -1)
    cosines = np.clip(np.einsum("gk,gjk->gj", geometry.centres_f64, prefix.points_f64[index]), -1.0, 1.0)
    r = rho[:, None]
    reach = np.where(cosines <= -np.cos(r), -1.0, cosines * np.cos(r) - np.sqrt(1 - cosines * cosines) * np.sin(r))
    best = np.maximum(np.max(lam[index] * reach + beta[index], axis=1), np.max(beta - lam))
    level = best - tail_log_budget(prefix.N, TAIL_DIGITS)
    k = np.searchsorted(np.maximum.accumulate(P.envelope), level, side="right") - 1
    c_star = envelope_grid()[np.maximum(k, 0)]
    return np.where(k >= 0, np.arccos(c_star) + rho, math.pi)


def ratio_range_many(A: np.ndarray, B: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row by row, floats [L, R] ⊇ { Σ w_i u_i / Σ w_i : w_i ∈ [A_i, B_i] ∩ [0, ∞), u_i ∈ [lo_i, hi_i] } given
    Σ w_i > 0 (module doc: the threshold guess in floats, g(R) ≤ 0 proved with rounding bounded)."""
    A = np.maximum(A, 0.0)
    return -_ratio_max_many(A, B, -lo), _ratio_max_many(A, B, hi)


def _ratio_max_many(A: np.ndarray, B: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row by row, a float ≥ max Σ w_i u_i / Σ w_i over w ∈ Π[A_i, B_i] (items with B_i = 0 weigh nothing)."""
    weighs = B > 0
    with np.errstate(invalid="ignore"):
        ceiling = np.max(np.where(weighs, u, -np.inf), axis=1)
        ceiling = np.where(np.isnan(ceiling), np.inf, ceiling)
        u = np.where(weighs, u, 0.0)
        scale = np.max(np.abs(u), axis=1)
        usable = np.isfinite(ceiling) & (scale > 0) & np.isfinite(scale)
        safe = np.where(usable, scale, 1.0)
        guess = _threshold_guess(A, B, np.where(usable[:, None], u / safe[:, None], 0.0))
        result = ceiling.copy()
        pending = usable & np.isfinite(guess)
        for slack in SLACKS:
            R = up((guess + slack) * safe)
            d = u - R[:, None]  # correctly rounded: the sign of u_i − R exactly, so the maximising weight is exact
            g = dot_upper(np.where(d > 0, B, A), d)
            proved = pending & (g <= 0) & (R < ceiling)
            result = np.where(proved, R, result)
            pending &= ~proved
        return result


def _threshold_guess(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Row by row, max over thresholds t of (Σ_{first t} b_i u_i + Σ_{rest} a_i u_i)/(Σ_{first t} b_i + Σ_{rest} a_i),
    u sorted decreasing, in float64 (a choice of where to try; NaN or ±inf if the floats overflow)."""
    order = np.argsort(-u, axis=1, kind="stable")
    us, aa, bb = (np.take_along_axis(v, order, axis=1) for v in (u, a, b))
    with np.errstate(all="ignore"):
        zero = np.zeros((len(u), 1))
        num = np.hstack([zero, np.cumsum((bb - aa) * us, axis=1)]) + np.sum(aa * us, axis=1, keepdims=True)
        den = np.hstack([zero, np.cumsum(bb - aa, axis=1)]) + np.sum(aa, axis=1, keepdims=True)
        return np.max(np.where(den > 0, num / den, -np.inf), axis=1)


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
    guess = float(_threshold_guess(floats[0][None], floats[1][None], (values / scale)[None])[0])
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


def _certifies(A: list[arb], B: list[arb], u: list[arb], R: arb) -> bool:
    """True only if g(R) = Σ_i max(A_i (u_i − R), B_i (u_i − R)) ≤ 0, evaluated in ball arithmetic (u_i and
    R exact points, so the comparison u_i > R that picks the maximising weight is exact)."""
    total = arb(0)
    for a, b, v in zip(A, B, u):
        total += (b if v > R else a) * (v - R)
    return bool(total <= 0)
