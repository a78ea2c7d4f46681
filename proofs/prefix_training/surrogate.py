"""The smooth surrogate of the sup error that the fits minimise, with its analytic gradient, for both models.

On a fit set x_1..x_P of S^m with targets F_p = f(x_p), the squared residuals r_p = ‖model(x_p) − F_p‖² are
combined by the power mean of order q = 2^k:

    J_q(r) = ((1/P) Σ_p r_p^q)^{1/q},     P^{−1/q}·max_p r_p ≤ J_q(r) ≤ max_p r_p,

so J_q → max_p r_p (the fit set's squared sup error) as q grows, while staying smooth. It is computed as
J = M·((1/P) Σ u_p^q)^{1/q} with M = max r and u = r/M ∈ [0, 1] (no overflow), u^q by k squarings and the
1/q-th root by k square roots: IEEE-754 operations only, the same bits on every machine (np.power is not:
numpy dispatches it to SIMD code on some CPUs). Powers u_p^j below 10⁻¹⁵⁰ are set to 0 along the way: their share of
J and of its gradient is below 10⁻¹⁵⁰ of the worst point's, and left alone they would pass through subnormal numbers,
which make every operation on them about a hundred times slower. Its gradient is

    ∂J/∂r_p = (J/M)·u_p^{q−1} / Σ_p' u_p'^q,   then ∂J/∂model(x_p) = 2·(∂J/∂r_p)·(model(x_p) − F_p).

The models' own gradients (chain rule through the formulas of models.py):

* prefix, s_pi = ⟨x_p, k_i⟩ + b_i, a_pi = e^{s_pi}/(Σ_j e^{s_pj} + T e²), H_p = Σ_i a_pi v_i, G_p = ∂J/∂H_p:
  ∂J/∂v_i = Σ_p a_pi G_p,  D_pi = ∂J/∂s_pi = a_pi ⟨G_p, v_i − H_p⟩,  ∂J/∂b_i = Σ_p D_pi,  ∂J/∂k_i = Σ_p D_pi x_p;
* network, t_pj = ⟨w_j, x_p⟩ + c_j, h_pj = tanh t_pj, g_p = Σ_j h_pj a_j + a_0, G_p = ∂J/∂g_p:
  ∂J/∂a_j = Σ_p h_pj G_p,  ∂J/∂a_0 = Σ_p G_p,  D_pj = (1 − h_pj²)⟨G_p, a_j⟩,  ∂J/∂c_j = Σ_p D_pj,
  ∂J/∂w_j = Σ_p D_pj x_p.

The forward passes are the models' own operations in the same order (``verifier.reproducible`` exp and matmul,
the same shift by the row's top score), so the fit set's residuals are the model's, bit for bit. Parameters travel
as one flat vector θ in a fixed order.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from verifier.reproducible import exp, matmul

from .models import FreePrefix, TanhNetwork


NEGLIGIBLE = 1e-150  # powers u^j below this are set to 0 (see the module docstring)


def power_mean(r: np.ndarray, order_log2: int) -> tuple[float, np.ndarray]:
    """(J_q(r), ∂J_q/∂r) for q = 2^order_log2 (module docstring); (0, 0) when every r_p is 0."""
    top = float(np.max(r))
    if top == 0.0:
        return 0.0, np.zeros_like(r)
    u = r / top
    below = np.ones_like(u)  # u^(q−1) = u·u²·…·u^(q/2)
    power = u.copy()
    for _ in range(order_log2):
        power[power < NEGLIGIBLE] = 0.0  # never subnormal: (10⁻¹⁵⁰)² is a normal number
        below *= power
        below[below < NEGLIGIBLE] = 0.0
        power *= power
    total = float(np.sum(power))
    mean = total / len(r)
    for _ in range(order_log2):
        mean = math.sqrt(mean)
    value = top * mean
    return value, (value / top) * below / total


@dataclass(frozen=True)
class FitData:
    """The fit set X (P, m+1) and the target's values F (P, d) there."""

    X: np.ndarray
    F: np.ndarray


def prefix_vector(model: FreePrefix) -> np.ndarray:
    """θ = (keys, biases, values) flattened."""
    return np.concatenate([model.keys.ravel(), model.biases, model.values.ravel()])


def prefix_of(theta: np.ndarray, N: int, m: int, d: int, context: int) -> FreePrefix:
    """The FreePrefix of a flat θ (inverse of :func:`prefix_vector`)."""
    k, b = N * (m + 1), N * (m + 2)
    return FreePrefix(theta[:k].reshape(N, m + 1).copy(), theta[k:b].copy(), theta[b:].reshape(N, d).copy(), context)


def network_vector(model: TanhNetwork) -> np.ndarray:
    """θ = (weights, offsets, amplitudes, constant) flattened."""
    return np.concatenate([model.weights.ravel(), model.offsets, model.amplitudes.ravel(), model.constant])


def network_of(theta: np.ndarray, W: int, m: int, d: int) -> TanhNetwork:
    """The TanhNetwork of a flat θ (inverse of :func:`network_vector`)."""
    w, c, a = W * (m + 1), W * (m + 2), W * (m + 2 + d)
    return TanhNetwork(theta[:w].reshape(W, m + 1).copy(), theta[w:c].copy(), theta[c:a].reshape(W, d).copy(),
                       theta[a:].copy())


def prefix_objective(theta: np.ndarray, data: FitData, N: int, context: int,
                     order_log2: int) -> tuple[float, np.ndarray]:
    """(J_q, ∂J_q/∂θ) of the prefix θ on the fit set (module docstring); (inf, 0) where θ overflows."""
    X, F = data.X, data.F
    m1, d = X.shape[1], F.shape[1]
    k, b = N * m1, N * (m1 + 1)
    keys, biases, values = theta[:k].reshape(N, m1), theta[k:b], theta[b:].reshape(N, d)
    with np.errstate(all="ignore"):
        scores = matmul(X, keys.T) + biases[None, :]
        top = np.maximum(np.max(scores, axis=1, keepdims=True), 2.0)
        weights = exp(scores - top)
        total = np.sum(weights, axis=1, keepdims=True) + context * exp(2.0 - top)
        H = matmul(weights, values) / total  # the model's own order of operations: the same bits
        a = weights / total
        R = H - F
        r = np.sum(R * R, axis=1)
        if not np.all(np.isfinite(r)):
            return math.inf, np.zeros_like(theta)
        value, dr = power_mean(r, order_log2)
        G = 2.0 * dr[:, None] * R
        D = a * (matmul(G, values.T) - np.sum(G * H, axis=1, keepdims=True))
        grad = np.concatenate([matmul(D.T, X).ravel(), np.sum(D, axis=0), matmul(a.T, G).ravel()])
    return value, grad


def network_objective(theta: np.ndarray, data: FitData, W: int, order_log2: int) -> tuple[float, np.ndarray]:
    """(J_q, ∂J_q/∂θ) of the network θ on the fit set (module docstring); (inf, 0) where θ overflows."""
    X, F = data.X, data.F
    m1, d = X.shape[1], F.shape[1]
    w, c, a_end = W * m1, W * (m1 + 1), W * (m1 + 1 + d)
    weights, offsets, amplitudes, constant = (theta[:w].reshape(W, m1), theta[w:c], theta[c:a_end].reshape(W, d),
                                              theta[a_end:])
    with np.errstate(all="ignore"):
        h = 1.0 - 2.0 / (exp(2.0 * (matmul(X, weights.T) + offsets[None, :])) + 1.0)
        R = matmul(h, amplitudes) + constant[None, :] - F
        r = np.sum(R * R, axis=1)
        if not np.all(np.isfinite(r)):
            return math.inf, np.zeros_like(theta)
        value, dr = power_mean(r, order_log2)
        G = 2.0 * dr[:, None] * R
        D = (1.0 - h * h) * matmul(G, amplitudes.T)
        grad = np.concatenate([matmul(D.T, X).ravel(), np.sum(D, axis=0), matmul(h.T, G).ravel(), np.sum(G, axis=0)])
    return value, grad
