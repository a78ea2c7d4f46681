"""Sup-norm search on S^m: float64 scan → local refinement → high-precision evaluation.

For scalar quantities q_1..q_k on S^m (e.g. the error ‖H(x) − f(x)‖ and its parts), estimate
sup_x q(x) by
  1. a float64 scan of a dense point set (plus caller-supplied candidates such as covering witnesses);
  2. refinement of the ``refine`` worst scan points of each quantity by Nelder–Mead in tangent
     coordinates t ↦ (x + T_x t)/‖x + T_x t‖;
  3. evaluation of the best refined points in mpmath at the working and at the check precision.
The result is a *sampled* sup (a lower estimate of the true sup): the report says so, with the
number of points. The float64 value at the argmax must agree with the mpmath value (two paths).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import mpmath
import numpy as np
from scipy.optimize import minimize

from .domains import Sphere
from .precision import PrecisionPolicy

FLOAT64_AGREEMENT = 1e-8  # |q_float64 − q_mp| allowed, relative to max(1, |q|)


@dataclass(frozen=True)
class SupResult:
    """The sampled sup of one quantity: value at both precisions, argmax and how it was searched."""

    name: str
    value: mpmath.mpf  # at the check precision
    value_working: mpmath.mpf  # at the working precision
    float64_value: float
    argmax: tuple[float, ...]
    points: int
    dps: int
    verify_dps: int
    precision_agrees: bool
    float64_agrees: bool
    method: str = "sampled: float64 scan + Nelder-Mead refinement on the sphere, mpmath at the argmax"

    def to_json(self) -> dict:
        return {
            "value": float(self.value),
            "value_decimal": mpmath.nstr(self.value_working, self.dps),
            "argmax": list(self.argmax),
            "method": self.method,
            "points": self.points,
            "dps": self.dps,
            "verify_dps": self.verify_dps,
            "float64_value": self.float64_value,
            "precision_agrees": self.precision_agrees,
            "float64_agrees": self.float64_agrees,
        }


def sup_search(
    quantities_f64: Callable[[np.ndarray], Mapping[str, np.ndarray]],
    quantities_mp: Callable[[np.ndarray], Mapping[str, mpmath.mpf]],
    names: Sequence[str],
    sphere: Sphere,
    policy: PrecisionPolicy,
    seed: int,
    scan_points: int = 20_000,
    refine: int = 8,
    verify: int = 3,
    extra_points: np.ndarray | None = None,
    chunk_rows: int = 2048,
) -> dict[str, SupResult]:
    """Sampled sup of each named quantity over S^m.

    ``quantities_f64(X)`` maps rows of X (P, m+1) to arrays (P,) per name; ``quantities_mp(x)`` maps a
    float64 point to mpf values per name at the current mpmath precision (normalising x itself).
    """
    X = sphere.scan_points(scan_points, seed)
    if extra_points is not None and len(extra_points):
        X = np.vstack([X, np.asarray(extra_points, float).reshape(-1, sphere.ambient_dim)])
    scan = {name: np.empty(len(X)) for name in names}
    for start in range(0, len(X), chunk_rows):
        part = quantities_f64(X[start : start + chunk_rows])
        for name in names:
            scan[name][start : start + chunk_rows] = part[name]
    step = (4 * np.pi / len(X)) ** (1 / sphere.m)
    mp_cache: dict[tuple, tuple] = {}
    results = {}
    for name in names:
        evaluations = 0
        refined = []
        for i in np.argsort(-scan[name], kind="stable")[:refine]:
            x0 = X[i]
            basis = sphere.tangent_basis(x0)

            def negative(t, basis=basis, x0=x0, name=name):
                return -float(quantities_f64(sphere.retract(x0, basis, t)[None, :])[name][0])

            simplex = np.vstack([np.zeros(sphere.m), step * np.eye(sphere.m)])
            opt = minimize(negative, np.zeros(sphere.m), method="Nelder-Mead",
                           options={"initial_simplex": simplex, "xatol": 1e-12, "fatol": 1e-15, "maxfev": 400})
            evaluations += opt.nfev
            best = sphere.retract(x0, basis, opt.x) if -opt.fun >= scan[name][i] else x0
            refined.append((max(-opt.fun, scan[name][i]), best))
        refined.sort(key=lambda item: -item[0])
        best_high = None
        for value64, x in refined[:verify]:
            key = tuple(x)
            if key not in mp_cache:
                mp_cache[key] = policy.at_both(lambda _dps, x=x: quantities_mp(x))
            low, high = mp_cache[key]
            if best_high is None or high[name] > best_high[1][name]:
                best_high = (x, high, low, value64)
        x, high, low, value64 = best_high
        results[name] = SupResult(
            name=name,
            value=high[name],
            value_working=low[name],
            float64_value=value64,
            argmax=tuple(float(c) for c in x),
            points=len(X) + evaluations,
            dps=policy.dps,
            verify_dps=policy.verify_dps,
            precision_agrees=policy.agree(low[name], high[name]),
            float64_agrees=bool(abs(value64 - float(high[name])) <= FLOAT64_AGREEMENT * max(1.0, abs(value64))),
        )
    return results
