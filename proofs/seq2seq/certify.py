"""S1 certified: each token-wise head's sup error on its interval by one-dimensional cells in ball arithmetic.

A token-wise head at position p with query register z and prefix tokens (i, q) (proofs.seq2seq.prefix) computes

    H(z, p) = Σ_tokens e^{σ} ν / Σ_tokens e^{σ},
    prefix (i, q):  σ = λz a_i − λa_i²/2 + β + γ[q = p],   ν = h_q(a_i),
    content c:      σ = z·z_c + 1 + [c = p],               ν = 0,     z_p = z, z_c ∈ [−Z, Z] for c ≠ p

(S1.tokenwise.closed-form derives these from the matrices). Subtracting λz²/2 from every score (pointwise in z,
so the ratio is unchanged) the prefix score is −λ(z − a_i)²/2 + β + γ[q = p] and the content score
z·z_c + 1 + [c = p] − λz²/2. On a cell [z0, z1] at position p, with a common exact shift s (the largest lower
bound of a windowed token's score) and h = h_p(cell) the target's ball on the cell, H − h_p(z) = Σ w u / Σ w with

* each own-position token of the window (indices around the cell) one by one: the score lies in
  [β + γ − λd_max²/2, β + γ − λd_min²/2], d_min = the distance from a_i to the cell (a_i clamped into it),
  d_max = the distance to its farther end; weight in [e^{lo − s}, e^{hi − s}], value h_p(a_i) − h;
* the other own-position tokens as one item: they are at least d from the cell (d from the grid's nearest
  left-out neighbours, the grid being monotone), weight in [0, count·e^{β + γ − λd²/2 − s}], value in [−V, V] − h
  (V ≥ every |h_q(a_i)|);
* every other-position token as one item (score ≤ β): weight in [0, (n−1)(K+1)·e^{β − s}], value in [−V, V] − h;
* the n content tokens as one item: with t = |z| ∈ [t0, t1] on the cell and Z' = max(Z, t1) (so z_p = z and every
  z_c satisfy z·z_c ≤ Z'·t), the score is ≤ Z't + 2 − λt²/2 ≤ min(Z'²/(2λ), Z't1 − λt0²/2) + 2; weight in
  [0, n·e^{that − s}], value −h.

``proofs.h0.enclosure.ratio_range`` then encloses Σ w u / Σ w over the weight boxes and value intervals (in arb), and
|H − h_p| ≤ max(|lo|, |hi|) of it on the cell, for every z in the cell and every content z_c ∈ [−Z, Z].
``verifier.branch_bound`` splits cells (halves) from initial cells one grid step wide until every cell's bound is
≤ ε_h; the final cover's maximum is the head's certified sup. Floats only choose cells, windows and thresholds
(cell ends are floats, exact in arb); every bound is a ball.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional

from flint import arb, ctx

from verifier.ball import PRECISION_BITS, CannotCertify, arb_rational, compile_arb, lower, sympy_number, upper
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import Budget

from proofs.h0.enclosure import ratio_range

from .construction import HeadPlan
from .prefix import TokenwisePrefix, Z

TAIL = 40  # the window reaches far enough that the left-out own tokens weigh ≤ e^{−TAIL} of the cell's best token
ZERO = arb(0)


@dataclass(frozen=True)
class Cell:
    """z ∈ [z0, z1] (floats, exact in arb) at the position p (0-based)."""

    z0: float
    z1: float
    p: int

    def split(self) -> tuple["Cell", "Cell"]:
        mid = (self.z0 + self.z1) / 2
        return Cell(self.z0, mid, self.p), Cell(mid, self.z1, self.p)


@dataclass(frozen=True)
class HeadBalls:
    """A token-wise head's prefix in ball form: the grid a_i, the values h_q(a_i) (n × (K+1)), λ, β, γ, V ≥ every
    |h_q(a_i)|, the content bound Z, the targets as ball functions, and the window half-width (a choice)."""

    grid: tuple  # a_i = lo + i(hi − lo)/K as balls, i = 0..K
    values: tuple  # values[q][i] ∋ h_q(a_i)
    lam: arb
    beta: arb
    gamma: arb
    value_bound: arb
    key_bound: arb
    targets: tuple  # ball functions z ↦ h_q(z)
    lo: float
    step: float
    window: int

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def K(self) -> int:
        return len(self.grid) - 1


def head_balls(prefix: TokenwisePrefix, key_bound) -> HeadBalls:
    """The exact prefix of a token-wise head (lo, hi, K, λ, β, γ, targets; key bound Z) as balls. Raises
    CannotCertify for a target the ball compiler does not enclose."""
    functions = tuple(compile_arb(h, (Z,)) for h in prefix.targets)
    with ctx.workprec(PRECISION_BITS):
        lo, step = arb_rational(prefix.lo), arb_rational((prefix.hi - prefix.lo) / prefix.cells)
        grid = tuple(lo + i * step for i in range(prefix.cells + 1))
        values = tuple(tuple(f([a]) for a in grid) for f in functions)
        if not all(v.is_finite() for row in values for v in row):
            raise CannotCertify("a target's ball enclosure is not finite at a grid point")
        V = functools.reduce(arb.max, (abs(v).upper() for row in values for v in row))
        lam, beta, gamma = (sympy_number(e) for e in (prefix.lam, prefix.beta, prefix.gamma))
        lam_f, step_f = float(lam.mid()), float(step.mid())
        reach = math.sqrt(2 * (TAIL + math.log(len(prefix))) / lam_f) / step_f
        return HeadBalls(grid, values, lam, beta, gamma, V, sympy_number(key_bound), functions, float(lo.mid()), step_f,
                         int(min(prefix.cells, math.ceil(reach) + 1)))


def items(head: HeadBalls, cell: Cell) -> Optional[dict[str, tuple[list, list, list]]]:
    """The items of Σ w u / Σ w = H − h_p(z) on the cell, by name: "window" (each windowed own-position token),
    "rest" (the other own-position tokens), "other" (the other positions' tokens), "content"; each a triple
    (weight lower ends, weight upper ends, value balls) of lists (module doc). None where the target's enclosure
    on the cell or a weight is not finite."""
    with ctx.workprec(PRECISION_BITS):
        z0, z1, p = arb(cell.z0), arb(cell.z1), cell.p
        h = head.targets[p]([z0.union(z1)])
        if not h.is_finite():
            return None
        lam, top = head.lam, head.beta + head.gamma
        first = max(0, math.floor((cell.z0 - head.lo) / head.step) - head.window)
        last = min(head.K, math.ceil((cell.z1 - head.lo) / head.step) + head.window)
        window = head.grid[first:last + 1]
        high = [top - lam * d * d / 2 for d in ((z0 - a).max(a - z1).max(ZERO) for a in window)]  # a clamped into the cell
        low = [top - lam * d * d / 2 for d in (abs(z0 - a).max(abs(z1 - a)) for a in window)]  # the farther end
        shift = functools.reduce(arb.max, (e.lower() for e in low))
        spread = arb(0, 1) * head.value_bound - h  # [−V, V] − h
        out = {"window": ([(e - shift).exp() for e in low], [(e - shift).exp() for e in high],
                          [head.values[p][i] - h for i in range(first, last + 1)])}
        rest = head.K + 1 - len(window)
        if rest:
            sides = ([z0 - head.grid[first - 1]] if first > 0 else []) + ([head.grid[last + 1] - z1] if last < head.K else [])
            d = functools.reduce(arb.min, sides).lower().max(ZERO)
            out["rest"] = ([ZERO], [rest * (top - lam * d * d / 2 - shift).exp()], [spread])
        if head.n > 1:
            out["other"] = ([ZERO], [(head.n - 1) * (head.K + 1) * (head.beta - shift).exp()], [spread])
        t0 = z0.max(-z1).max(ZERO)  # min |z| on the cell (0 if the cell holds 0)
        t1 = abs(z0).max(abs(z1))
        Zc = head.key_bound.max(t1)
        exponent = (Zc * Zc / (2 * lam)).min(Zc * t1 - lam * t0 * t0 / 2) + 2
        out["content"] = ([ZERO], [head.n * (exponent - shift).exp()], [-h])
        if not all(w.is_finite() for _, w_hi, _ in out.values() for w in w_hi):
            return None
        return out


def deviation_range(parts: dict[str, tuple[list, list, list]]) -> tuple[arb, arb]:
    """Exact points [lo, hi] ⊇ the range of Σ w u / Σ w over the items' weight boxes and value balls
    (``proofs.h0.enclosure.ratio_range``)."""
    w_lo, w_hi, u = ([x for part in parts.values() for x in part[k]] for k in range(3))
    return ratio_range(w_lo, w_hi, u, u)


def enclose_error(head: HeadBalls, cell: Cell) -> float:
    """An upper bound of sup_{z ∈ cell} |H(z, p) − h_p(z)| over every content z_c ∈ [−Z, Z] (module doc); +inf where
    the enclosure is not finite."""
    parts = items(head, cell)
    if parts is None:
        return math.inf
    with ctx.workprec(PRECISION_BITS):
        lo, hi = deviation_range(parts)
        return upper(abs(lo).max(abs(hi)))


def initial_cells(head: HeadBalls, lo, hi) -> list[Cell]:
    """Cells one grid step wide covering [lo, hi] (exact rationals) at every position: the outer ends are floats
    ≤ lo and ≥ hi (verifier.ball's rounding), the inner ends the float grid, shared by neighbours."""
    with ctx.workprec(PRECISION_BITS):
        a, b = lower(arb_rational(lo)), upper(arb_rational(hi))
    ends = [a] + [head.lo + i * head.step for i in range(1, head.K)] + [b]
    return [Cell(ends[i], ends[i + 1], p) for p in range(head.n) for i in range(len(ends) - 1)]


def certify_head(plan: HeadPlan, prefix: TokenwisePrefix, budget: Budget) -> Bounded:
    """Branch and bound of sup_{z ∈ [lo, hi], p} |H(z, p) − h_p(z)| ≤ ε_h for the head built from ``prefix`` (its
    ``upper`` is the certified sup). Raises CannotCertify for a target the ball compiler does not enclose."""
    head = head_balls(prefix, plan.key_bound)
    return branch_and_bound(initial_cells(head, plan.lo, plan.hi), lambda cell: (enclose_error(head, cell),),
                            (float(plan.accuracy),), lambda cell: cell.split(), budget)


def why_not_certifiable(plan: HeadPlan, prefix: Optional[TokenwisePrefix]) -> Optional[str]:
    """None if the head can be certified, else the reason (its E1I.error part then stays sampled)."""
    if prefix is None:
        return f"{plan.name} has no prefix (negative control drop-prefix)"
    try:
        for h in plan.targets:
            compile_arb(h, (Z,))
    except CannotCertify as reason:
        return f"{plan.name}: {reason}"
    return None
