"""Certified upper bounds of the hypotheses' quantities: sup_{S^m} ‖f‖ and the chordal Lipschitz constant of f."""
from __future__ import annotations

import math

import sympy
from flint import arb, ctx

from .ball import PRECISION_BITS, compile_arb, upper
from .branch_bound import Bounded, branch_and_bound
from .budget import Budget
from .cells import ball_boxes, face_cells
from .targets import Target, coordinates


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
