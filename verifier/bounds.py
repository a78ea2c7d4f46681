"""Certified upper bounds of the hypotheses' quantities: sup_{S^m} ‖f‖ and the chordal Lipschitz constant of f.

Every operation of a bound is done in ball arithmetic (arb); the one float is the final upper end
point handed to the branch and bound (a float ≥ every number in the ball, see ``verifier.ball.upper``).
"""
from __future__ import annotations

import functools
import itertools
import math

from flint import arb, arb_mat, ctx

from .ball import PRECISION_BITS, compile_arb, compile_arb_gradient, upper
from .branch_bound import Bounded, branch_and_bound
from .budget import Budget
from .cells import ball_boxes, face_cells
from .targets import Target, coordinates

MAX_COMBINATIONS = 64  # choices of one gradient box per component of f tried before merging


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
        return (upper(norm_ball([f(X) for f in functions])),)

    return branch_and_bound(face_cells(target.m, 4), bounds, (threshold,), lambda c: c.split(), budget)


def lipschitz_upper(target: Target, threshold: float, budget: Budget) -> Bounded:
    """Certified upper bound of the chordal Lipschitz constant of f on S^m:

        Lip(f) = sup_{x≠y ∈ S^m} ‖f(x) − f(y)‖/‖x − y‖ ≤ G = sup_{‖z‖≤1} ‖Df(z)‖_op.

    Why: the chord [x, y] lies in the closed unit ball (convex), and along it
    f(y) − f(x) = ∫_0^1 Df(x + t(y−x))(y − x) dt, so ‖f(y) − f(x)‖ ≤ sup ‖Df‖_op ‖y − x‖. This needs f
    continuous on the ball and differentiable off a null set of each chord with Df in the enclosure
    (Clarke's generalised gradient at the kinks of Abs/Min/Max). ``verifier.ball.compile_arb_gradient``
    encloses Df on a box by forward-mode differentiation of the expression tree as written (no
    symbolic derivative, no simplification) and gives a finite enclosure only where f and all its
    subexpressions are finite, hence continuous; a box without one keeps the bound +inf. So a target
    that is undefined or jumps somewhere in the ball (1/‖x‖ at 0, atan(tan(x0 + c)) at a pole of tan)
    gets no finite bound: INCONCLUSIVE or refuted by sampling, never PASS. The bound is computed by
    branch and bound over boxes of [−1, 1]^(m+1) meeting the ball, ‖Df‖_op on a box from
    :func:`jacobian_norm_ball`.
    """
    xs = coordinates(target.m)
    gradients = [compile_arb_gradient(c, xs) for c in target.components]

    def bounds(box) -> tuple[float]:
        X = box.enclosure
        return (upper(jacobian_norm_ball([g(X)[1] for g in gradients])),)

    def split(box):
        return [b for b in box.split() if b.meets_unit_ball()]

    return branch_and_bound(ball_boxes(target.m, 4), bounds, (threshold,), split, budget)


def jacobian_norm_ball(components) -> arb:
    """A ball whose upper end bounds ‖A‖_op over the Jacobians A whose row j lies in the convex hull of the
    boxes ``components[j]`` (``verifier.ball.compile_arb_gradient``): ‖·‖_op is convex, so its largest value
    over that hull is at one choice of a box per row; past MAX_COMBINATIONS choices each row's boxes are merged."""
    with ctx.workprec(PRECISION_BITS):
        if math.prod(len(c) for c in components) > MAX_COMBINATIONS:
            components = [[tuple(functools.reduce(arb.union, column) for column in zip(*c))] for c in components]
        return functools.reduce(arb.max, (operator_norm_ball(rows) for rows in itertools.product(*components)))


def operator_norm_ball(rows) -> arb:
    """A ball whose upper end bounds ‖A‖_op for every matrix A with entries in the balls ``rows``:
    ‖A‖_op² = λ_max(AAᵀ) ≤ max_i ((AAᵀ)_ii + Σ_(j≠i) |(AAᵀ)_ij|) (Gershgorin), AAᵀ enclosed by arb_mat's
    product; exact for d = 1 (‖∇f‖²) and for components in disjoint variables. NaN if an entry is not finite."""
    with ctx.workprec(PRECISION_BITS):
        if not all(v.is_finite() for row in rows for v in row):
            return arb("nan")
        a = arb_mat([list(row) for row in rows])
        gram = a * a.transpose()
        d = gram.nrows()
        discs = [functools.reduce(arb.__add__, (gram[i, j] if j == i else abs(gram[i, j]) for j in range(d)))
                 for i in range(d)]
        return functools.reduce(arb.max, discs).upper().nonnegative_part().sqrt()


def norm_ball(balls) -> arb:
    """A ball whose upper end bounds (Σ_j t_j²)^(1/2) over t_j in the balls (NaN if one is not finite)."""
    with ctx.workprec(PRECISION_BITS):
        return functools.reduce(arb.__add__, (abs(b).upper() ** 2 for b in balls)).sqrt()
