"""Certified bounds by branch and bound, and the certified hypotheses ‖f‖ ≤ B, Lip(f) ≤ L.

Branch and bound for sup_{x∈D} q_j(x) ≤ t_j (j = 1..k, one pass for several quantities): every
cell C of a cover of D gets rigorous upper bounds u_j(C) ≥ sup_C q_j; the cell with the largest
max_j u_j(C)/t_j is split, until every cell has u_j(C) ≤ t_j for all j (decided) or the budget
(cells evaluated, seconds) runs out. max_C u_j(C) is then a certified upper bound of sup_D q_j: the
cells cover D at every step, since a split cell is replaced by children that cover it.
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass, replace
from typing import Callable, Generic, Optional, Sequence, TypeVar

import sympy

from flint import arb, ctx

from .ball import PRECISION_BITS, CannotCertify, compile_arb, upper
from .budget import Budget  # declared with the other budgets (light: a theorem's declaration uses it)
from .cells import ball_boxes, face_cells
from .claims import ClaimResult, Evidence, Verdict
from .errors import InputError
from .precision import PrecisionPolicy
from .targets import Target, check_hypotheses, coordinates

Cell = TypeVar("Cell")
TIE = 1e-4  # a certified bound this close above the claim: a tie ball radii cannot settle; the claim stays sampled


@dataclass(frozen=True)
class Bounded(Generic[Cell]):
    """A branch-and-bound outcome: certified upper bounds per quantity (max over the final cover), the
    number of cells evaluated, the worst cell, whether every cell met its thresholds, and the time."""

    uppers: tuple[float, ...]
    cells: int
    worst: Optional[Cell]
    decided: bool
    seconds: float

    @property
    def upper(self) -> float:
        return self.uppers[0]


def branch_and_bound(initial: Sequence[Cell], bounds: Callable[[Cell], Sequence[float]], thresholds: Sequence[float],
                     split: Callable[[Cell], Sequence[Cell]], budget: Budget) -> Bounded[Cell]:
    """Split the worst cell (largest max_j u_j/t_j) until all u_j ≤ t_j or the budget ends (module doc).

    A non-finite upper bound (the enclosure failed, e.g. at a pole) counts as +inf and keeps splitting."""
    start = time.perf_counter()
    order = itertools.count()
    heap: list = []
    evaluated = 0

    def push(cell) -> None:
        nonlocal evaluated
        u = tuple(float(v) if math.isfinite(v) else math.inf for v in bounds(cell))
        evaluated += 1
        score = max(v / t if t > 0 else (math.inf if v > 0 else 0.0) for v, t in zip(u, thresholds))
        heapq.heappush(heap, (-score, next(order), u, cell))

    for cell in initial:
        push(cell)
    decided = False
    while heap:
        score, _, _, worst = heap[0]
        if -score <= 1:
            decided = True
            break
        if evaluated >= budget.cells or time.perf_counter() - start > budget.seconds:
            break
        heapq.heappop(heap)
        for child in split(worst):
            push(child)
    uppers = tuple(max((entry[2][j] for entry in heap), default=-math.inf) for j in range(len(thresholds)))
    return Bounded(uppers, evaluated, heap[0][3] if heap else None, decided, time.perf_counter() - start)


def target_functions(target: Target) -> list:
    """The components of f compiled to ball functions (CannotCertify names an unsupported node)."""
    xs = coordinates(target.m)
    return [compile_arb(c, xs) for c in target.components]


def bound_upper(target: Target, threshold: float, budget: Budget) -> Bounded:
    """Certified upper bound of sup_{x∈S^m} ‖f(x)‖, by branch and bound over face cells: on a cell C,
    ‖f‖ ≤ (Σ_j max|F_j(C)|²)^(1/2) for the ball enclosures F_j(C) ∋ f_j(x), x ∈ C."""
    functions = target_functions(target)

    def bounds(cell) -> tuple[float]:
        X = cell.enclosure
        return (_norm_upper([f(X) for f in functions]),)

    return branch_and_bound(face_cells(target.m, 4), bounds, (threshold,), lambda c: c.split(), budget)


def lipschitz_upper(target: Target, threshold: float, budget: Budget) -> Bounded:
    """Certified upper bound of the chordal Lipschitz constant of f on S^m:

        Lip(f) = sup_{x≠y ∈ S^m} ‖f(x) − f(y)‖/‖x − y‖ ≤ G = sup_{‖z‖≤1} ‖Df(z)‖_op.

    Why: the chord [x, y] lies in the closed unit ball (convex), and along it
    f(y) − f(x) = ∫_0^1 Df(x + t(y−x))(y − x) dt, so ‖f(y) − f(x)‖ ≤ sup ‖Df‖_op ‖y − x‖, and on a
    box ‖Df‖_op ≤ min(‖Df‖_F, (‖Df‖_1 ‖Df‖_∞)^(1/2)) from the entries' absolute upper bounds. This needs f continuous on the ball and C¹ off a null set of each chord, which
    holds where the enclosure of Df is finite (the functions compiled are continuous where defined;
    the kinks of Abs/Min/Max give sign/Heaviside factors enclosed by [−1, 1] / [0, 1]). The bound is
    computed by branch and bound over boxes of [−1, 1]^(m+1) meeting the ball; ‖Df‖_F on a box is
    bounded from the ball enclosures of the m+1 partial derivatives of each component (d = 1: the
    gradient's norm exactly). A target
    undefined somewhere in the ball (e.g. 1/‖x‖ at 0) gets no finite bound: INCONCLUSIVE, never PASS.
    """
    xs = coordinates(target.m)
    partials = [[compile_arb(sympy.diff(c, x), xs) for x in xs] for c in target.components]

    def bounds(box) -> tuple[float]:
        X = box.enclosure
        return (_operator_norm_upper([[g(X) for g in row] for row in partials]),)

    def split(box):
        return [b for b in box.split() if b.meets_unit_ball()]

    return branch_and_bound(ball_boxes(target.m, 4), bounds, (threshold,), split, budget)


def _operator_norm_upper(matrix) -> float:
    """An upper bound of ‖A‖_op over the matrices A with entries in the balls: ‖A‖_op² = λ_max(AAᵀ) ≤
    max_i ((AAᵀ)_ii + Σ_(j≠i) |(AAᵀ)_ij|) (Gershgorin), AAᵀ enclosed in ball arithmetic; exact for
    d = 1 (‖∇f‖²) and for components in disjoint variables."""
    with ctx.workprec(PRECISION_BITS):
        gram = [[sum((a * b for a, b in zip(r, q)), arb(0)) for q in matrix] for r in matrix]
        radius = 0.0
        for i, row in enumerate(gram):
            tops = [upper(abs(g)) if j != i else upper(g) for j, g in enumerate(row)]
            if not all(math.isfinite(t) for t in tops):
                return math.inf
            radius = max(radius, upper(sum((arb(t) for t in tops), arb(0))))
        return upper(arb(max(radius, 0.0)).sqrt())


def _norm_upper(balls) -> float:
    """An upper bound of (Σ_j t_j²)^(1/2) over t_j in the balls (+inf if one is not finite)."""
    tops = [upper(abs(b)) for b in balls]
    if not all(math.isfinite(t) for t in tops):
        return math.inf
    with ctx.workprec(PRECISION_BITS):
        return upper(sum((arb(t) ** 2 for t in tops), arb(0)).sqrt())


# ---------------------------------------------------------------------------------------------
HYPOTHESES = {"H.lipschitz": ("L", "--lipschitz", lipschitz_upper), "H.bound": ("B", "--bound", bound_upper)}


def certified_hypotheses(target: Target, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget,
                         certify: bool = True) -> list[ClaimResult]:
    """The hypotheses Lip(f) ≤ L and ‖f‖ ≤ B: sampled first (a witness above the claim refutes it,
    evidence sampled), then, unless refuted or ``certify`` is false, a certified upper bound u:

        u ≤ claimed → PASS (certified);   sampled < claimed < u → INCONCLUSIVE with both numbers.

    A target the ball back-end cannot enclose keeps its sampled verdict and says why."""
    sampled = check_hypotheses(target, policy, seed, samples)
    if not certify:
        return sampled
    claimed = {"H.lipschitz": target.lipschitz, "H.bound": target.bound}
    out = []
    for claim in sampled:
        name, flag, bounder = HYPOTHESES[claim.id]
        if claim.verdict is Verdict.FAIL:
            out.append(claim)
            continue
        try:
            bounded = bounder(target, float(claimed[claim.id]), budget)
        except CannotCertify as reason:
            out.append(replace(claim, detail="; ".join(filter(None, (claim.detail, f"{reason}; the claim stays sampled")))))
            continue
        out.append(decide_certified(claim, bounded, claimed[claim.id], name, flag))
    return out


def decide_certified(claim: ClaimResult, bounded: Bounded, claimed, name: str, flag: str) -> ClaimResult:
    """A hypothesis 'q ≤ claimed', sampled and not refuted, combined with a certified upper bound of q."""
    return combine(claim, bounded, claimed, f"claimed {name} = {claimed}",
                   f"pass {flag} auto, or a value ≥ the certified bound")


def combine(claim: ClaimResult, bounded: Bounded, bound, what: str, fix: str, index: int = 0) -> ClaimResult:
    """A sampled claim 'sup q ≤ bound' with the certified upper bound u = bounded.uppers[index]:
    a sampled FAIL (a witness confirmed in mpmath) stays FAIL; u ≤ bound → PASS (certified);
    otherwise INCONCLUSIVE with both numbers, never PASS."""
    if claim.verdict is Verdict.FAIL:
        return claim
    claim = replace(claim, cells=bounded.cells, seconds=(claim.seconds or 0.0) + bounded.seconds)  # sampling + B&B
    u = bounded.uppers[index]
    how = f"certified: branch and bound in ball arithmetic, {bounded.cells} cells"
    if math.isfinite(u) and _le_exact(u, bound):
        return replace(claim, verdict=Verdict.PASS, evidence=Evidence.CERTIFIED, value=u,
                       method=f"{how}; certified upper bound {u:.6g} ≤ {float(bound):.6g}; {claim.method}")
    budget = "" if bounded.decided else " (budget exhausted)"
    if u <= float(bound) * (1 + TIE):  # a tie: keep the sampled verdict and its advice
        note = (f"certified ≤ {u:.12g}, within {TIE:g} of the claim: ball arithmetic cannot settle a claim equal to the "
                "true value, so the claim stays sampled")
        return replace(claim, method=f"{how}; {claim.method}", detail="; ".join(filter(None, (claim.detail, note))))
    return replace(
        claim, verdict=Verdict.INCONCLUSIVE, evidence=Evidence.SAMPLED, method=f"{how}; {claim.method}",
        detail=f"{what} is neither refuted nor proved: certified ≤ {u:.6g}{budget}, sampled ≥ {claim.value:.6g}; {fix}")


def _le_exact(value: float, claimed) -> bool:
    """value ≤ claimed, compared exactly (a float is a binary rational)."""
    return bool(sympy.Rational(value) <= claimed)


def automatic_value(target: Target, which: str, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget):
    """``--lipschitz auto`` / ``--bound auto``: a certified upper bound of Lip(f) or sup‖f‖, refined
    until it is within 5% of the sampled lower bound (or the budget ends), rounded up to 6 digits."""
    claim_id = "H.lipschitz" if which == "lipschitz" else "H.bound"
    name, flag, bounder = HYPOTHESES[claim_id]
    sampled = {c.id: c for c in check_hypotheses(target, policy, seed, samples)}[claim_id]
    try:
        bounded = bounder(target, 1.05 * sampled.value, budget)
    except CannotCertify as reason:
        raise InputError(f"{flag} auto needs a certified bound, but {reason}; give {flag} explicitly") from None
    if not math.isfinite(bounded.upper):
        raise InputError(f"{flag} auto: no finite certified bound of {name} within the budget "
                         f"(is the target defined on the whole {'unit ball' if name == 'L' else 'sphere'}?); "
                         f"give {flag} explicitly")
    digits = 6 - 1 - math.floor(math.log10(bounded.upper)) if bounded.upper > 0 else 0
    scale = sympy.Integer(10) ** digits
    return sympy.ceiling(sympy.Rational(bounded.upper) * scale) / scale if bounded.upper > 0 else sympy.Rational(1, 10**6)
