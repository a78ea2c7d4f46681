"""Sup-norm search on S^m: float64 scan → local refinement → high-precision evaluation.

For scalar quantities q_1..q_k on S^m (e.g. the error ‖H(x) − f(x)‖ and its parts), estimate
sup_x q(x) by
  1. a float64 scan of a dense point set (plus caller-supplied candidates such as covering witnesses);
  2. refinement of the ``refine`` worst scan points of each quantity by Nelder–Mead in tangent
     coordinates t ↦ (x + T_x t)/‖x + T_x t‖ (of the quantities named in ``refined``, default all: a caller whose
     verdicts rest elsewhere, e.g. on a certified bound, skips the float64 refinement of the others, which then
     keep their worst scan points);
  3. evaluation of the best ``verify`` refined points in mpmath at the working and at the check
     precision; for the quantities named in ``polish``, a compass search in mpmath at the working
     precision first moves the best point to the local maximum (:func:`polish_mp`, a pattern
     search with an evaluation cap).
The result is a *sampled* sup (a lower estimate of the true sup): the report says so, with the
number of points. The float64 value at the argmax must agree with the mpmath value (two paths).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import mpmath
import numpy as np
from scipy.optimize import minimize

from .domains import Sphere, to_sphere_mp
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
    method: str
    seconds: float = field(default=0.0, compare=False)  # wall time of the search that found it (shared by the quantities searched together)

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
    polish: Sequence[str] = (),
    refined: Sequence[str] | None = None,
) -> dict[str, SupResult]:
    """Sampled sup of each named quantity over S^m.

    ``quantities_f64(X)`` maps rows of X (P, m+1) to arrays (P,) per name; ``quantities_mp(x)`` maps a
    point (floats or mpf) to mpf values per name at the current mpmath precision (normalising x itself).
    The quantities named in ``polish`` get a final high-precision refinement (:func:`polish_mp`); only those named
    in ``refined`` (default: all) get the Nelder–Mead step.
    """
    began = time.perf_counter()
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
        refined_points = []
        for i in np.argsort(-scan[name], kind="stable")[:refine]:
            x0 = X[i]
            if refined is not None and name not in refined:
                refined_points.append((scan[name][i], x0))
                continue
            basis = sphere.tangent_basis(x0)

            def negative(t, basis=basis, x0=x0, name=name):
                return -float(quantities_f64(sphere.retract(x0, basis, t)[None, :])[name][0])

            simplex = np.vstack([np.zeros(sphere.m), step * np.eye(sphere.m)])
            opt = minimize(negative, np.zeros(sphere.m), method="Nelder-Mead",
                           options={"initial_simplex": simplex, "xatol": 1e-12, "fatol": 1e-15, "maxfev": 400})
            evaluations += opt.nfev
            best = sphere.retract(x0, basis, opt.x) if -opt.fun >= scan[name][i] else x0
            refined_points.append((max(-opt.fun, scan[name][i]), best))
        refined_points.sort(key=lambda item: -item[0])
        best_high = None
        for _, x in refined_points[:verify]:
            key = tuple(x)
            if key not in mp_cache:
                mp_cache[key] = policy.at_both(lambda _dps, x=x: quantities_mp(x))
            low, high = mp_cache[key]
            if best_high is None or high[name] > best_high[1][name]:
                best_high = (x, high, low)
        x, high, low = best_high
        method = ("sampled: float64 scan + Nelder-Mead refinement on the sphere" if refined is None or name in refined
                  else "sampled: float64 scan")
        if name in polish:
            x, polish_evaluations = polish_mp(lambda y, name=name: quantities_mp(y)[name], x, sphere, policy)
            evaluations += polish_evaluations
            low, high = policy.at_both(lambda _dps, x=x: quantities_mp(x))
            method += f" + compass search in mpmath at {policy.dps} digits"
            if polish_evaluations >= POLISH_EVALUATIONS:
                method += f" (stopped at its cap of {POLISH_EVALUATIONS} evaluations)"
        else:
            method += ", mpmath at the argmax"
        argmax = np.array([float(c) for c in x])
        value64 = float(quantities_f64(argmax[None, :])[name][0])
        evaluations += 1
        results[name] = SupResult(
            name=name,
            value=high[name],
            value_working=low[name],
            float64_value=value64,
            argmax=tuple(float(c) for c in argmax),
            points=len(X) + evaluations,
            dps=policy.dps,
            verify_dps=policy.verify_dps,
            precision_agrees=policy.agree(low[name], high[name]),
            float64_agrees=bool(abs(value64 - float(high[name])) <= FLOAT64_AGREEMENT * max(1.0, abs(value64))),
            method=method,
        )
    elapsed = time.perf_counter() - began
    return {name: replace(result, seconds=elapsed) for name, result in results.items()}


POLISH_EVALUATIONS = 3000  # the compass search's cap of mpmath evaluations (its value is a point value either way)


def polish_mp(quantity: Callable[[list], mpmath.mpf], x: np.ndarray, sphere: Sphere, policy: PrecisionPolicy,
              start: float = 1e-7, cap: int = POLISH_EVALUATIONS) -> tuple[list, int]:
    """High-precision local refinement: compass search with pattern moves (Hooke–Jeeves) in tangent
    coordinates at ``policy.dps`` digits.

    From t = 0 and step s = ``start``: an exploratory sweep tries t ± s·e_j for each j in turn and keeps
    every move that increases q(retract(t)), compared at full precision; after a sweep that moved from
    b to b', the pattern point b' + (b' − b) is explored the same way and kept if it beats b' (so the
    steps grow along a ridge that is not aligned with the axes, where plain compass moves zigzag at
    step s); when a sweep finds nothing, halve s. Stop when s < 10^(−dps/2): at a smooth maximum q
    changes by O(s²), so the value is then resolved to ~10^(−dps); or after ``cap`` evaluations (then
    the value is resolved less finely, see the evaluation count). Every value returned is q at a
    point, so it stays a lower estimate of the sup. Returns the point (mpf, on S^m at the working
    precision) and the number of evaluations.
    """
    with mpmath.workdps(policy.dps):
        x0 = to_sphere_mp(x)
        basis = [[mpmath.mpf(float(v)) for v in column] for column in sphere.tangent_basis(np.asarray(x, float)).T]
        evaluations = 0

        def value(t):
            nonlocal evaluations
            evaluations += 1
            return quantity(point(t))

        def point(t):
            return to_sphere_mp([c + mpmath.fsum(tj * b[i] for tj, b in zip(t, basis)) for i, c in enumerate(x0)])

        def explore(t, best, step):
            for j in range(sphere.m):
                for sign in (1, -1):
                    if evaluations >= cap:
                        return t, best
                    trial = list(t)
                    trial[j] += sign * step
                    trial_value = value(trial)
                    if trial_value > best:
                        t, best = trial, trial_value
                        break
            return t, best

        t = [mpmath.mpf(0)] * sphere.m
        best = value(t)
        step, stop = mpmath.mpf(start), mpmath.mpf(10) ** (-(policy.dps // 2))
        while step >= stop and evaluations < cap:
            moved, moved_best = explore(t, best, step)
            if moved_best <= best:
                step /= 2
                continue
            while evaluations < cap:  # pattern moves along b → b'
                pattern = [2 * a - b for a, b in zip(moved, t)]
                t, best = moved, moved_best
                moved, moved_best = explore(pattern, value(pattern), step)
                if moved_best <= best:
                    break
        return point(t), evaluations
