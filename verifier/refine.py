"""Locally refined sampled maxima of the hypotheses' quantities, for the tie rule of ``verifier.certify``.

A claimed constant that equals the true one (L = 1 for sin(2·x0)/2) cannot be reached by ball radii: the
certified upper bound lands just above it. Such a claim is accepted only if a sampled maximum, refined
locally in mpmath (``verifier.supnorm.polish_mp``, the sup search's polish), reaches it. The quantities:

    B:  q_B(x) = ‖f(x)‖,                        sup_{S^m} q_B = sup ‖f‖;
    L:  q_L(x) = ‖Df(x) P_x‖_op,  P_x = I − x xᵀ,  sup_{S^m} q_L ≤ Lip(f) (chordal),

the second because for y → x on S^m along a unit tangent u, ‖f(y) − f(x)‖/‖y − x‖ → ‖Df(x)u‖ (the chord
and the arc agree to first order), and ‖Df(x) P_x‖_op = max_{u ⊥ x, ‖u‖ = 1} ‖Df(x)u‖. Each value is q at a
point: a lower estimate of the sup (sampled evidence), computed at the working and at the check precision.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import mpmath
import numpy as np

from .domains import Sphere, to_sphere_mp
from .precision import PrecisionPolicy
from .supnorm import polish_mp
from .targets import Target


@dataclass(frozen=True)
class Refined:
    """A locally refined sampled maximum: q at ``point`` at the check precision, whether it agrees with the
    working precision's value, and the polish's mpmath evaluations."""

    value: mpmath.mpf
    agrees_with_check: bool
    point: tuple[float, ...]
    evaluations: int


def norm_quantity(target: Target) -> Callable[[list], mpmath.mpf]:
    """q_B(x) = ‖f(x)‖ at the current mpmath precision (x on S^m, mpf)."""
    return lambda x: mpmath.norm(target.mp(x))


def slope_quantity(target: Target) -> Callable[[list], mpmath.mpf]:
    """q_L(x) = ‖Df(x) P_x‖_op = λ_max(A Aᵀ)^(1/2), A = Df(x)(I − x xᵀ), at the current mpmath precision."""
    n = target.m + 1

    def q(x) -> mpmath.mpf:
        jacobian = mpmath.matrix(target.jacobian_mp(x))
        projection = mpmath.eye(n) - mpmath.matrix(x) * mpmath.matrix(x).T
        a = jacobian * projection
        eigenvalues, _ = mpmath.eigsy(a * a.T)
        return mpmath.sqrt(max(max(eigenvalues), mpmath.mpf(0)))

    return q


def refine_maximum(quantity: Callable[[list], mpmath.mpf], start, m: int, policy: PrecisionPolicy) -> Refined:
    """``quantity`` polished from ``start`` (``polish_mp`` at the working precision), then evaluated at the
    polished point at both precisions."""
    point, evaluations = polish_mp(quantity, np.asarray(start, dtype=float), Sphere(m), policy)
    low, high = policy.at_both(lambda _dps: quantity(to_sphere_mp(point)))
    return Refined(high, policy.agree(low, high), tuple(float(v) for v in point), evaluations)
