"""A second-order bound of the smoothing error ‖f_κ − f‖ on S^m, for targets twice differentiable on the unit ball.

For x, y ∈ S^m the chord z_t = x + t(y − x), t ∈ [0, 1], lies in the closed unit ball, and Taylor's theorem with
integral remainder gives, per component j,

    f_j(y) − f_j(x) = ∇f_j(x)·(y − x) + R_j,   R_j = ∫_0^1 (1 − t)·(y − x)ᵀ ∇²f_j(z_t) (y − x) dt,
    |R_j| ≤ ½ρ²·sup_{‖z‖≤1} ‖∇²f_j(z)‖_F   (ρ = ‖y − x‖; the Frobenius norm bounds the operator norm).

Under the von Mises–Fisher kernel centred at x, E[y] = A_m(κ)·x and E[ρ²] = 2(1 − A_m(κ)), so

    ‖f_κ(x) − f(x)‖ = ‖Df(x)·E[y − x] + E[R]‖ ≤ (1 − A_m(κ))·‖Df(x)·x‖ + ½·M₂·E[ρ²] ≤ (1 − A_m(κ))·(G + M₂),

with G ≥ sup_{‖z‖≤1} ‖Df(z)‖_op (``verifier.bounds.lipschitz_upper``) and M₂ ≥ (Σ_j sup_{‖z‖≤1} ‖∇²f_j(z)‖_F²)^(1/2).
For large κ, 1 − A_m(κ) ≈ m/(2κ): this bound falls like 1/κ where L·E[ρ] falls like 1/√κ.

The second derivatives are sympy's derivatives of the target's checked expression tree (``Target.components``, built
by the safe reader; never user text), compiled to ball functions. A target the ball back-end cannot differentiate
twice (Abs, Min and Max differentiate to sign, Heaviside, DiracDelta) gets no bound (None); one whose derivatives are
not finite on some box of the ball (sqrt or log at 0, a pole of tan) gets +inf: E2 then uses L·E[ρ] alone. Both
suprema are certified by branch and bound over boxes of [−1, 1]^(m+1) meeting the ball, within CELLS cells each
(a budget of cells: the same bound on every machine); the threshold only guides the splitting, and any final cover
gives a valid bound.
"""
from __future__ import annotations

import math
from typing import Optional

import numpy as np
import sympy
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, CannotCertify, compile_arb, upper
from verifier.bounds import lipschitz_upper, norm_ball
from verifier.branch_bound import branch_and_bound
from verifier.budget import Budget
from verifier.cells import ball_boxes
from verifier.targets import Target, coordinates

CELLS = 2_000  # cells of each branch and bound (G, then M₂)
MARGIN = 1.25  # the splitting aims at this factor above the largest value at the first boxes' centres


def hessian_functions(target: Target) -> list[list]:
    """Per component f_j, its second derivatives ∂²f_j/∂x_a∂x_b (a ≤ b) as ball functions with the weight 1 or 2
    of their entry pair in ‖∇²f_j‖_F² (CannotCertify where the ball back-end cannot enclose one)."""
    xs = coordinates(target.m)
    return [[(compile_arb(sympy.diff(c, xs[a], xs[b]), xs), 1 if a == b else 2)
             for a in range(len(xs)) for b in range(a, len(xs))] for c in target.components]


def _frobenius(entries: list, X: list) -> arb:
    """A ball whose upper end bounds ‖∇²f_j‖_F over the box X (NaN where an entry is not finite)."""
    with ctx.workprec(PRECISION_BITS):
        return sum((weight * abs(f(X)).upper() ** 2 for f, weight in entries), arb(0)).sqrt()


def hessian_upper(target: Target) -> Optional[float]:
    """M₂ ≥ (Σ_j sup_{‖z‖≤1} ‖∇²f_j(z)‖_F²)^(1/2) (module doc), +inf where not finite, None if not compilable."""
    try:
        components = hessian_functions(target)
    except CannotCertify:
        return None
    boxes = ball_boxes(target.m, 4)

    def bounds(box) -> tuple:
        return tuple(_frobenius(entries, box.enclosure) for entries in components)

    def at_centre(box) -> list[float]:
        point = [arb(float(v)) for v in box.centre_f64]
        return [float(_frobenius(entries, point).mid()) for entries in components]

    sampled = np.max([at_centre(box) for box in boxes], axis=0)
    thresholds = tuple(MARGIN * float(v) + 1e-12 for v in sampled)

    def split(box):
        return [b for b in box.split() if b.meets_unit_ball()]

    bounded = branch_and_bound(boxes, bounds, thresholds, split, Budget(CELLS))
    if not all(math.isfinite(u) for u in bounded.uppers):
        return math.inf
    with ctx.workprec(PRECISION_BITS):
        return upper(norm_ball([arb(u) for u in bounded.uppers]))


def gradient_upper(target: Target) -> float:
    """G ≥ sup_{‖z‖≤1} ‖Df(z)‖_op (``verifier.bounds.lipschitz_upper``, splitting towards MARGIN·L)."""
    return lipschitz_upper(target, MARGIN * float(target.lipschitz), Budget(CELLS)).upper


def second_order_constant(target: Target) -> Optional[float]:
    """G + M₂ (a float ≥ both bounds' sum), None where M₂ has no bound, +inf where a bound is not finite."""
    hessian = hessian_upper(target)
    if hessian is None:
        return None
    with ctx.workprec(PRECISION_BITS):
        total = arb(gradient_upper(target)) + arb(hessian)
        return upper(total) if total.is_finite() else math.inf
