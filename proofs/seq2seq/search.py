"""Sampled sup of an error over sequences x ∈ [0,1]^n: float64 scan → batched local search → mpmath.

1. Scan: the 2^n vertices of the cube (n ≤ 10), its centre, and ``points`` seeded uniform sequences.
2. Refine the ``refine`` worst by a batched random local search clipped to the cube: each round tries
   ``trials`` Gaussian moves of scale σ around every current point and keeps improvements; σ halves
   when a round improves nothing (from 1/(4√n) down to 10^−6).
3. Evaluate the best ``verify`` refined sequences in mpmath at the working and at the check precision.
The result is a lower estimate of the sup (sampled evidence), in the shape of verifier.supnorm.SupResult.
"""
from __future__ import annotations

import itertools
import time
from typing import Callable

import mpmath
import numpy as np

from verifier.precision import PrecisionPolicy
from verifier.supnorm import FLOAT64_AGREEMENT, SupResult

VERTICES_UP_TO = 10
REFINE, TRIALS, ROUNDS = 8, 24, 40


def evaluated_sequences(n: int, points: int) -> int:
    """How many sequences the search evaluates in float64: the scan (vertices, centre, ``points``) and the
    REFINE × ROUNDS × TRIALS moves of the local search."""
    return (2**n if n <= VERTICES_UP_TO else 0) + 1 + points + REFINE * ROUNDS * TRIALS


def scan_sequences(n: int, points: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    parts = [np.full((1, n), 0.5), rng.random((points, n))]
    if n <= VERTICES_UP_TO:
        parts.insert(0, np.array(list(itertools.product((0.0, 1.0), repeat=n))))
    return np.vstack(parts)


def sup_over_sequences(
    error_f64: Callable[[np.ndarray], np.ndarray],
    error_mp: Callable[[np.ndarray], mpmath.mpf],
    n: int,
    policy: PrecisionPolicy,
    seed: int,
    points: int = 2000,
    refine: int = REFINE,
    trials: int = TRIALS,
    rounds: int = ROUNDS,
    verify: int = 3,
    name: str = "error",
) -> tuple[SupResult, np.ndarray]:
    """The sampled sup of ``error_f64`` (rows of X (P, n) → (P,)) over [0,1]^n, checked in mpmath
    (``error_mp(x)`` at the current precision); returns the result and the scanned and refined sequences."""
    start = time.perf_counter()
    X = scan_sequences(n, points, seed)
    values = error_f64(X)
    rng = np.random.default_rng(seed + 1)
    order = np.argsort(-values, kind="stable")[:refine]
    current, best = X[order].copy(), values[order].copy()
    sigma = np.full(len(current), 0.25 / np.sqrt(n))
    evaluated = [X]
    for _ in range(rounds):
        moves = np.clip(current[:, None, :] + sigma[:, None, None] * rng.standard_normal((len(current), trials, n)), 0, 1)
        flat = moves.reshape(-1, n)
        evaluated.append(flat)
        trial_values = error_f64(flat).reshape(len(current), trials)
        k = np.argmax(trial_values, axis=1)
        improved = trial_values[np.arange(len(current)), k] > best
        current[improved] = moves[np.arange(len(current)), k][improved]
        best[improved] = trial_values[np.arange(len(current)), k][improved]
        sigma = np.where(improved, sigma, np.maximum(sigma / 2, 1e-6))
    ranked = np.argsort(-best, kind="stable")[:verify]
    checked = [(current[i], policy.at_both(lambda _dps, x=current[i]: error_mp(x))) for i in ranked]
    x, (low, high) = max(checked, key=lambda item: item[1][1])
    value64 = float(error_f64(x[None, :])[0])
    total = sum(len(e) for e in evaluated) + 1
    return SupResult(
        name=name, value=high, value_working=low, float64_value=value64, argmax=tuple(float(v) for v in x),
        points=total, dps=policy.dps, verify_dps=policy.verify_dps, precision_agrees=policy.agree(low, high),
        float64_agrees=bool(abs(value64 - float(high)) <= FLOAT64_AGREEMENT * max(1.0, abs(value64))),
        method=f"sampled: float64 scan of [0,1]^{n} (vertices, centre, {points} uniform) + batched local search "
               f"({refine} starts × {rounds} rounds × {trials} moves), mpmath at the best {verify}",
        seconds=time.perf_counter() - start,
    ), np.vstack([X, current])
