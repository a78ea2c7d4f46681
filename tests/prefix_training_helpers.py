"""Shared helpers of the prefix-training certificate tests: stand-ins for the study's fitter (least squares on random
features) and an independent 50-digit evaluation of a free prefix's error."""
import mpmath
import numpy as np

from proofs.prefix_training.models import FreePrefix, TanhNetwork
from verifier.domains import Sphere
from verifier.targets import Target


def fitted_network(target: Target, W: int, scale: float, seed: int = 0) -> TanhNetwork:
    """Amplitudes by least squares on random weights and offsets (a stand-in for the study's fitter)."""
    rng = np.random.default_rng(seed)
    w, c = rng.normal(size=(W, target.m + 1)) * scale, rng.uniform(-scale, scale, size=W)
    X = Sphere(target.m).uniform(4000, seed + 1)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.tanh(X @ w.T + c), np.ones(len(X))]), target.numpy(X), rcond=None)
    return TanhNetwork(w, c, coef[:-1], coef[-1])


def fitted_prefix(target: Target, N: int, seed: int = 0) -> FreePrefix:
    """Broad tokens (key norms 2 … 12, β_i = −‖k_i‖) with values by ridge least squares: values up to ≈ 15 that
    cancel, as an optimiser may leave them."""
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(N, target.m + 1))
    keys = directions / np.linalg.norm(directions, axis=1, keepdims=True) * rng.uniform(2, 12, size=(N, 1))
    biases = -np.linalg.norm(keys, axis=1)
    X = Sphere(target.m).uniform(4000, seed + 1)
    E = np.exp(X @ keys.T + biases)
    w = E / (E.sum(axis=1, keepdims=True) + np.e ** 2)
    values = np.linalg.solve(w.T @ w + 1e-3 * np.eye(N), w.T @ target.numpy(X))
    return FreePrefix(keys, biases, values, 1)


def prefix_error_50_digits(prefix: FreePrefix, target: Target, x) -> mpmath.mpf:
    """‖H(x) − f(x)‖ at 50 digits straight from the closed form (no shift, no code of the module under test)."""
    with mpmath.workdps(50):
        x = [mpmath.mpf(v) for v in x]
        x = [v / mpmath.norm(x) for v in x]
        weights = [mpmath.exp(mpmath.fsum(a * mpmath.mpf(k) for a, k in zip(x, key)) + mpmath.mpf(b))
                   for key, b in zip(prefix.keys.tolist(), prefix.biases.tolist())]
        total = mpmath.fsum(weights) + prefix.context * mpmath.e ** 2
        H = [mpmath.fsum(w * mpmath.mpf(v[j]) for w, v in zip(weights, prefix.values.tolist())) / total
             for j in range(prefix.d)]
        return mpmath.norm([h - f for h, f in zip(H, target.mp(x))])
