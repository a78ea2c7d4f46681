"""The fitting protocol of the O1 study: the best prefix of N tokens, or tanh network of W units, that a fixed,
seeded budget of L-BFGS finds for a target f on S^m.

Points. The fit set: on S¹ the angles θ_j = 2πj/P_fit (P_fit = 512, the kinks of |x0| among them), on S^m, m ≥ 2,
``Sphere.scan_points`` (P_fit = 2048: half a Fibonacci lattice, half seeded uniform) plus the sign points (where
kinks such as |x0| sit). The check set is denser and contains the fit set: on S¹ θ_j = 2πj/8192, on S^m 16·P_fit
scan points (another seed) plus the sign points. The reported ``sampled_error`` = max over the check set of
‖model(x) − f(x)‖ is a lower estimate of the sup error, never a bound: the certificate (certificate.py) decides.

Optimisation. From each start (starts.py: for a prefix the E1 and E2 constructions, E2 on S¹ and S² only where its
rules exist, and seeded random prefixes; for a network least-squares and random networks), every parameter is fitted
by L-BFGS (lbfgs.py) on the power mean J_q = ((1/P) Σ_p ‖model(x_p) − f(x_p)‖^{2q})^{1/q} of the squared residuals
over the fit set (surrogate.py, with its analytic gradient), in stages q = 1, 8, 64, 512, 4096, each from the
previous one's end with at most ``STAGE_ITERATIONS`` iterations, on J_q divided by its value at the stage's start
(so that the optimiser's absolute gradient and relative decrease tolerances mean the same for errors of 10⁻¹ and of
10⁻⁴). q = 1 is the least-squares fit (a well-conditioned start); the later stages move the weight to the worst
points. The minimax polish is the last stages themselves: P^{−1/q}·max r ≤ J_q ≤ max r, so at q = 4096 and
P ≤ 4096 the surrogate is within a factor 1.002 of the fit set's max squared error (0.1 % in the error), and only the
near-worst points (the minimax problem's active set) keep a visible gradient (the others' powers fall below 10⁻¹⁵⁰
and are dropped). This keeps one optimiser with an exact gradient rather than an epigraph SLSQP with P constraints,
whose dense least-squares subproblems cost O(P·n²) per iteration for n parameters.

After each stage the check-set error is measured; the fit stops as soon as it is ≤ ``goal`` (the study passes
about 0.8ε, leaving room for the certificate), otherwise every start runs all stages and the model with the smallest
check-set error is returned (the first on ties). Budgets count iterations and evaluations, never seconds.

Determinism. Starts, surrogate and optimiser use IEEE-754 operations, numpy's fixed-order sums and
``verifier.reproducible``'s exp and matmul only (no BLAS, no LAPACK, no threads), so the same (target, size, goal,
seed) gives the same model, bit for bit, on every machine. That is why the optimiser is lbfgs.py rather than
scipy's L-BFGS-B: its BLAS/LAPACK calls round by the CPU's kernel (measured: with OPENBLAS_CORETYPE=SandyBridge
two of three scipy fits gave other models, check-set errors 0.016085 → 0.016053 and 0.007218 → 0.006237) and wake
OpenBLAS's threads at every step. benchmarks/bench_fit_optimiser.py, same protocol, whole budgets: on its 6 cases
lbfgs.py was better by more than 5 % in 2 and worse in 1, scipy's run 9 times slower (OpenBLAS's default threads,
load average 4–5); on the study's 35 distinct smallest sizes and predecessors (``--full``) 5 better, 5 worse, the
rest equal. tests/test_prefix_training_fit.py checks the same JSON under another CPU's settings. The certified
verdict never depends on the fit.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterator, Union

import numpy as np

from verifier.domains import Sphere
from verifier.errors import InputError
from verifier.targets import Target

from . import starts as S
from .lbfgs import minimise
from .models import FreePrefix, TanhNetwork
from .surrogate import (FitData, network_objective, network_of, network_vector, prefix_objective, prefix_of,
                        prefix_vector)

STAGES = (0, 3, 6, 9, 12)  # log2 of the power-mean orders q = 1, 8, 64, 512, 4096
STAGE_ITERATIONS = 150
CIRCLE_FIT_POINTS = 512  # P_fit on S¹
SCAN_FIT_POINTS = 2048  # P_fit on S^m, m ≥ 2 (plus the sign points)
CHECK_FACTOR = 16
RANDOM_PREFIXES = 3
NETWORK_STARTS = (("lstsq", 3), ("random", 1))
MAX_SIZE = 1024

Model = Union[FreePrefix, TanhNetwork]


@dataclass(frozen=True, eq=False)
class Fit:
    """A fitted model, its check-set max error (a lower estimate of its sup error), the start it came from, the
    seed and the objective evaluations spent."""

    model: Model
    sampled_error: float
    start: str
    seed: int
    evaluations: int

    def to_json(self) -> dict:
        return {"model": self.model.to_json(), "sampled_error": self.sampled_error,
                "sampled_error_hex": float.hex(self.sampled_error), "evidence": "sampled (a lower estimate of the sup)",
                "start": self.start, "seed": self.seed, "evaluations": self.evaluations}


def fit_points(m: int, seed: int) -> np.ndarray:
    """The fit set (module docstring)."""
    if m == 1:
        return _angles(CIRCLE_FIT_POINTS)
    sphere = Sphere(m)
    return np.vstack([sphere.scan_points(SCAN_FIT_POINTS, seed), sphere.sign_points()])


def check_points(m: int, seed: int) -> np.ndarray:
    """The check set, denser than the fit set and containing it on S¹ (module docstring)."""
    if m == 1:
        return _angles(CHECK_FACTOR * CIRCLE_FIT_POINTS)
    sphere = Sphere(m)
    return np.vstack([sphere.scan_points(CHECK_FACTOR * SCAN_FIT_POINTS, seed + 1), sphere.sign_points()])


def _angles(count: int) -> np.ndarray:
    theta = 2 * np.pi * np.arange(count) / count
    return np.column_stack([np.cos(theta), np.sin(theta)])


def _check_inputs(target: Target, size: int, size_name: str, goal: float, seed: int) -> None:
    if not isinstance(target, Target):
        raise InputError("a fit needs a verifier.targets.Target (Target.parse(text, m, L, B))")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= MAX_SIZE:
        raise InputError(f"a fit needs an integer {size_name} with 1 ≤ {size_name} ≤ {MAX_SIZE}; got {size!r}")
    if not (isinstance(goal, (int, float)) and math.isfinite(goal) and goal > 0):
        raise InputError(f"a fit needs a goal > 0 (the sampled error to stop at, e.g. 0.8·ε); got {goal!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(f"a fit needs an integer seed ≥ 0; got {seed!r}")


def fit_prefix(target: Target, N: int, goal: float, seed: int, context: int = 1) -> Fit:
    """The best N-token H0 prefix (T = ``context`` content tokens) found for ``target`` (module docstring)."""
    _check_inputs(target, N, "N", goal, seed)
    if isinstance(context, bool) or not isinstance(context, (int, np.integer)) or context < 1:
        raise InputError(f"a prefix needs T ≥ 1 content tokens (context); got {context!r}")
    m, d = target.m, target.d
    X = fit_points(m, seed)

    def starts() -> Iterator[tuple[str, Model]]:
        yield "e1", S.e1_start(target, N, context)
        if m <= 2:  # E2's quadrature rules exist on S¹ and S² only
            yield "e2", S.e2_start(target, N, context)
        for i in range(1, RANDOM_PREFIXES + 1):
            yield f"random-{i}", S.random_prefix(target, N, seed, i, context)

    return _fit(target, FitData(X, target.numpy(X)), starts(),
                lambda theta, data, q: prefix_objective(theta, data, N, context, q), prefix_vector,
                lambda theta: prefix_of(theta, N, m, d, context), goal, seed)


def fit_network(target: Target, W: int, goal: float, seed: int) -> Fit:
    """The best tanh network of W units found for ``target`` (module docstring)."""
    _check_inputs(target, W, "W", goal, seed)
    m, d = target.m, target.d
    X = fit_points(m, seed)
    F = target.numpy(X)

    def starts() -> Iterator[tuple[str, Model]]:
        index = 0
        for kind, count in NETWORK_STARTS:
            for i in range(1, count + 1):
                index += 1
                yield f"{kind}-{i}", (S.lstsq_network(target, X, F, W, seed, index) if kind == "lstsq"
                                      else S.random_network(target, W, seed, index))

    return _fit(target, FitData(X, F), starts(), lambda theta, data, q: network_objective(theta, data, W, q),
                network_vector,
                lambda theta: network_of(theta, W, m, d), goal, seed)


def _fit(target: Target, data: FitData, starts: Iterator[tuple[str, Model]], objective: Callable,
         to_vector: Callable, of_vector: Callable, goal: float, seed: int) -> Fit:
    """Every start through the stages on the fit set ``data`` (module docstring); the best model by check-set
    error."""
    check = check_points(target.m, seed)
    F_check = target.numpy(check)

    def check_error(model: Model) -> float:
        R = model(check) - F_check
        return float(np.max(np.sqrt(np.sum(R * R, axis=1))))

    best: Fit | None = None
    evaluations = 0
    for name, start in starts:
        model, error = start, check_error(start)
        if best is None or error < best.sampled_error:
            best = Fit(model, error, name, seed, evaluations)
        theta = to_vector(start)
        for q in STAGES:
            if best.sampled_error <= goal:
                return Fit(best.model, best.sampled_error, best.start, seed, evaluations)
            scale = objective(theta, data, q)[0]
            if not 0 < scale < math.inf:
                break
            result = minimise(partial(_scaled, objective=objective, data=data, q=q, scale=scale), theta,
                              STAGE_ITERATIONS)
            evaluations += result.evaluations + 1
            if np.all(np.isfinite(result.x)):
                theta = result.x
                model = of_vector(theta)
                error = check_error(model)
                if error < best.sampled_error:
                    best = Fit(model, error, name, seed, evaluations)
    return Fit(best.model, best.sampled_error, best.start, seed, evaluations)


def _scaled(theta: np.ndarray, objective: Callable, data: FitData, q: int, scale: float) -> tuple[float, np.ndarray]:
    """(J_q/scale, ∇J_q/scale): a stage's objective relative to its value at the stage's start."""
    value, grad = objective(theta, data, q)
    return value / scale, grad / scale
