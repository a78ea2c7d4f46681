"""Limited-memory BFGS with a backtracking line search, in IEEE-754 operations and numpy's fixed-order sums only: the
same iterates, bit for bit, on every machine (scipy's L-BFGS-B calls BLAS/LAPACK, whose kernels round differently
on different CPUs, and wakes OpenBLAS's threads at every step).

One iteration (Nocedal & Wright, Numerical Optimization, algorithms 7.4 and 3.1): with the last ``memory`` pairs
s_k = x_{k+1} − x_k, y_k = g_{k+1} − g_k (kept only when ⟨s_k, y_k⟩ > 10⁻¹⁰·‖s_k‖‖y_k‖), the two-loop recursion
gives the direction d = −H g, H the L-BFGS inverse Hessian with initial scaling γ = ⟨s, y⟩/⟨y, y⟩ of the newest
pair (γ = 1/‖g‖_∞ before the first); the step t = 1, ½, ¼, … is the first with
f(x + t d) ≤ f(x) + 10⁻⁴·t·⟨g, d⟩ (Armijo; a non-finite f counts as too large), at most ``HALVINGS`` halvings.
It stops after ``iterations`` iterations, when no step is accepted, when ‖g‖_∞ ≤ ``gtol`` or when the decrease
(f_k − f_{k+1})/max(|f_k|, |f_{k+1}|, 1) ≤ ``ftol`` (scipy's L-BFGS-B defaults: 10⁻⁵ and 2.2·10⁻⁹).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

HALVINGS = 40
ARMIJO = 1e-4


@dataclass(frozen=True, eq=False)
class Minimum:
    """Where the iteration ended, f there, and the evaluations of (f, ∇f) spent."""

    x: np.ndarray
    value: float
    evaluations: int


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sum(a * b))


def minimise(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, iterations: int,
             memory: int = 10, gtol: float = 1e-5, ftol: float = 2.220446049250313e-09) -> Minimum:
    """Minimise fun (returning f and ∇f) from x0 (module docstring)."""
    x = np.array(x0, dtype=float)
    f, g = fun(x)
    evaluations = 1
    pairs: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1/⟨s, y⟩)
    for _ in range(iterations):
        if not np.isfinite(f) or float(np.max(np.abs(g))) <= gtol:
            break
        d = _direction(g, pairs)
        slope = _dot(g, d)
        if not slope < 0:  # not a descent direction: restart from the gradient
            pairs.clear()
            d = _direction(g, pairs)
            slope = _dot(g, d)
        t = 1.0
        for _ in range(HALVINGS):
            x_new = x + t * d
            f_new, g_new = fun(x_new)
            evaluations += 1
            if np.isfinite(f_new) and f_new <= f + ARMIJO * t * slope:
                break
            t *= 0.5
        else:
            break
        s, y = x_new - x, g_new - g
        sy = _dot(s, y)
        if sy > 1e-10 * np.sqrt(_dot(s, s) * _dot(y, y)):
            pairs.append((s, y, 1.0 / sy))
            del pairs[:-memory]
        decrease = (f - f_new) / max(abs(f), abs(f_new), 1.0)
        x, f, g = x_new, f_new, g_new
        if decrease <= ftol:
            break
    return Minimum(x, f, evaluations)


def _direction(g: np.ndarray, pairs: list) -> np.ndarray:
    """−H g by the two-loop recursion."""
    q = g.copy()
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * _dot(s, q)
        alphas.append(alpha)
        q -= alpha * y
    if pairs:
        s, y, _ = pairs[-1]
        q *= _dot(s, y) / _dot(y, y)
    else:
        q /= max(float(np.max(np.abs(g))), 1e-300)
    for (s, y, rho), alpha in zip(pairs, reversed(alphas), strict=True):
        beta = rho * _dot(y, q)
        q += (alpha - beta) * s
    return -q
