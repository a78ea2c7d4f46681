"""Where the fits start: the E1 and E2 constructions and seeded random prefixes; seeded random and least-squares
networks. Every start is a function of (target, size, seed) only (T too for a prefix), built with IEEE-754
operations and ``verifier.reproducible``'s products (no LAPACK), so it has the same bits on every machine.

Prefix starts (N tokens, T content tokens):

* ``e1``: E1's construction (proofs/single_head) on the family member with the smallest grid n whose
  N_n = (n+1)^(m+1) − (n−1)^(m+1) ≥ N, at the accuracy for which n is E1's own grid, ε_n = min(L, 2√(2m)·L/n)
  (n = ⌈√m/δ⌉ with δ = ε/(2√2·L)); its tokens (λp_i, β, f(p_i)) trimmed to N by farthest-point sampling when
  N_n > N (the first token, then repeatedly the token farthest from those kept), so an N in the family gets E1's own
  prefix unchanged. (At the study's ε instead, λ = (4/r²)·ln(8BN/ε) is 10³–10⁶: a hard nearest-token switch whose
  keys and biases get no gradient, which the fit barely moves.)
* ``e2``: E2's construction (proofs/smoothing) at ε = L, its smoothest kernel κ(L) (E2's own rule at ε = L already
  has 34 points on S¹ and 3528 on S², more than the study's sizes), on the smallest ``gauss`` rule with at least
  N points (N equispaced points on S¹, 2n² product points on S²), tokens (κp_i, ln w_i + β, f(p_i)), trimmed
  likewise;
* ``random-i``: N points p_i farthest-point sampled from 8N seeded uniform points, keys λ₀p_i with the width
  heuristic λ₀ = s_i/h², h = (|S^m|/N)^{1/m} the points' typical spacing (a softmax bump of width about h) and
  s_i ∈ {1, 4, 1/4, …}, biases 10 − λ₀ + ln T (the token's own score λ₀ + b = 10 + ln T outweighs the T content
  tokens' 2 + ln T by e⁸) and values f(p_i).

Network starts (W units): directions u_j uniform on S^m, slopes s_j log-uniform in [1, W + 2], weights s_j·u_j and
offsets s_j·c_j with c_j uniform in [−1, 1] (the unit's transition ⟨u_j, x⟩ = −c_j crosses the sphere), then

* ``lstsq-i``: amplitudes and constant by ridge least squares on the fit set, (ΦᵀΦ + μI)a = ΦᵀF with Φ = (tanh
  units, 1) and μ = 10⁻¹⁰·tr(ΦᵀΦ), solved by a Cholesky factorisation written out here (LAPACK's is not bitwise
  reproducible);
* ``random-i``: amplitudes N(0, B²/W) and constant 0 (B the target's claimed bound).
"""
from __future__ import annotations

import math

import numpy as np
import sympy

from verifier.domains import Sphere
from verifier.precision import PrecisionPolicy
from verifier.reproducible import exp, matmul
from verifier.targets import Target

from .models import FreePrefix, TanhNetwork

RANDOM_SCALES = (1.0, 4.0, 0.25)  # s_i of random-i, cycled
BIAS_MARGIN = 8.0  # the prefix token's own score exceeds the content tokens' 2 + ln T by this


def farthest_point_order(points: np.ndarray, count: int) -> np.ndarray:
    """Indices of ``count`` rows of ``points`` (on S^m): row 0, then repeatedly the row whose largest inner product
    with the rows kept is smallest (the farthest from them; the first such row on ties)."""
    closest = matmul(points, points[0])
    chosen = [0]
    for _ in range(1, count):
        i = int(np.argmin(closest))
        chosen.append(i)
        closest = np.maximum(closest, matmul(points, points[i]))
    return np.array(chosen)


def _trimmed(prefix, N: int, context: int) -> FreePrefix:
    """A construction's float64 prefix (``verifier.attention.Prefix``) cut to N tokens by farthest-point order of
    its key directions."""
    free = FreePrefix.of(prefix, context)
    if free.N == N:
        return free
    keep = np.sort(farthest_point_order(free.keys / np.linalg.norm(free.keys, axis=1, keepdims=True), N))
    return FreePrefix(free.keys[keep], free.biases[keep], free.values[keep], context)


def e1_start(target: Target, N: int, context: int) -> FreePrefix:
    """The ``e1`` start (module docstring)."""
    from proofs.single_head.construction import E1Construction, E1Parameters

    m = target.m
    n = 1
    while (n + 1) ** (m + 1) - (n - 1) ** (m + 1) < N:
        n += 1
    L = sympy.Rational(target.lipschitz)
    eps = sympy.Min(L, 2 * sympy.sqrt(2 * m) * L / n)
    params = E1Parameters(m, eps, target, context, 0, PrecisionPolicy(), 1, None, grid=n, evidence="sampled")
    return _trimmed(E1Construction(params).float64[1], N, context)


def e2_start(target: Target, N: int, context: int) -> FreePrefix:
    """The ``e2`` start (module docstring)."""
    from proofs.smoothing.construction import E2Construction, E2Parameters
    from proofs.smoothing.rules import minimal_size, rule_prefix_length

    m = target.m
    size = minimal_size("gauss", m)
    while rule_prefix_length("gauss", m, size) < N:
        size += 1
    params = E2Parameters(m, sympy.Rational(target.lipschitz), target, context, 0, PrecisionPolicy(), 1, "gauss",
                          size, "given", None, "sampled")
    return _trimmed(E2Construction(params).float64[1], N, context)


def sphere_area(m: int) -> float:
    """|S^m| = 2π^{(m+1)/2}/Γ((m+1)/2)."""
    return 2 * math.pi ** ((m + 1) / 2) / math.gamma((m + 1) / 2)


def random_prefix(target: Target, N: int, seed: int, index: int, context: int) -> FreePrefix:
    """The ``random-<index>`` start (module docstring)."""
    m = target.m
    candidates = Sphere(m).uniform(8 * N, [seed, index])
    points = candidates[farthest_point_order(candidates, N)]
    lam = RANDOM_SCALES[(index - 1) % len(RANDOM_SCALES)] / (sphere_area(m) / N) ** (2 / m)
    biases = np.full(N, 2.0 + BIAS_MARGIN - lam + math.log(context))
    return FreePrefix(lam * points, biases, target.numpy(points), context)


def solve_spd(G: np.ndarray, B: np.ndarray) -> np.ndarray:
    """G⁻¹B for a symmetric positive definite G (n, n) and B (n, d): G = LLᵀ (Cholesky, column by column), then
    two triangular solves; element-wise operations and ``reproducible.matmul`` only."""
    n = len(G)
    L = np.zeros_like(G)
    for j in range(n):
        L[j, j] = math.sqrt(G[j, j] - float(np.sum(L[j, :j] * L[j, :j])))
        L[j + 1:, j] = (G[j + 1:, j] - matmul(L[j + 1:, :j], L[j, :j])) / L[j, j]
    Y = np.zeros_like(B)
    for j in range(n):
        Y[j] = (B[j] - matmul(L[j:j + 1, :j], Y[:j])[0]) / L[j, j]
    out = np.zeros_like(B)
    for j in range(n - 1, -1, -1):
        out[j] = (Y[j] - matmul(L[j + 1:, j:j + 1].T, out[j + 1:])[0]) / L[j, j]
    return out


def random_units(m: int, W: int, seed: int, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(weights s_j·u_j, offsets s_j·c_j) of the network starts (module docstring)."""
    rng = np.random.default_rng([seed, index])
    directions = Sphere(m).uniform(W, [seed, index, 0])
    slopes = exp(rng.uniform(0.0, 1.0, W) * math.log(W + 2.0))  # not np.power: CPU-dispatched
    return slopes[:, None] * directions, slopes * rng.uniform(-1.0, 1.0, W)


def lstsq_network(target: Target, X: np.ndarray, F: np.ndarray, W: int, seed: int, index: int) -> TanhNetwork:
    """The ``lstsq-<index>`` start on the fit set X with targets F (module docstring)."""
    weights, offsets = random_units(target.m, W, seed, index)
    probe = TanhNetwork(weights, offsets, np.eye(W), np.zeros(W))  # its outputs are the W hidden units
    Phi = np.column_stack([probe(X), np.ones(len(X))])
    G = matmul(Phi.T, Phi)
    G += 1e-10 * float(np.trace(G)) * np.eye(W + 1)
    solution = solve_spd(G, matmul(Phi.T, F))
    return TanhNetwork(weights, offsets, solution[:W], solution[W])


def random_network(target: Target, W: int, seed: int, index: int) -> TanhNetwork:
    """The ``random-<index>`` start (module docstring)."""
    weights, offsets = random_units(target.m, W, seed, index)
    rng = np.random.default_rng([seed, index, 1])
    amplitudes = rng.standard_normal((W, target.d)) * (float(target.bound) / math.sqrt(W))
    return TanhNetwork(weights, offsets, amplitudes, np.zeros(target.d))
