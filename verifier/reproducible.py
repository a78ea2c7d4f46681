"""Float64 arithmetic whose every bit is the same on every machine: what the sampled searches evaluate.

A sampled search (scan, Nelder–Mead, candidate ranking) branches on comparisons of float64 values, so a
last-bit difference changes its path, the point it ends at and its number of evaluations. Two library
routines give different last bits on different CPUs of the same architecture:

* BLAS products (``A @ B``, ``np.dot``, ``np.linalg.qr``): OpenBLAS picks its kernel (Haswell, SkylakeX, …)
  and its threads at run time, and each kernel sums in its own order;
* numpy's vectorised transcendental functions: on AVX-512 CPUs ``np.exp`` (and ``log``, ``arctan``, …)
  run numpy's own SIMD code, elsewhere the C library's, and the two differ in the last bit.

The replacements here use only IEEE-754 operations (+, −, ×, ÷, rounding to integers: each correctly
rounded, hence identical everywhere) and numpy's einsum loops, which are not dispatched on CPU features
and sum in a fixed order:

    exp(x) = 2^k · p(r),   k = rint(x·log₂e),   r = (x − k·ln2_hi) − k·ln2_lo,   |r| ≤ ln2/2 + 2⁻²⁰,
    p(r) = Σ_{j ≤ 13} r^j/j!  (Horner; the Taylor remainder is below 4·10⁻¹⁸ relative),

within one unit in the last place on tests/test_reproducible.py's sample (float64 values are scanning values,
checked against mpmath); 2^k is applied as two exact powers of two so that subnormal results are rounded once.
``matmul`` replaces ``@``, ``top_singular`` replaces ``np.linalg.svd`` where only the top direction is needed, and
``NUMPY`` is sympy.lambdify's float64 modules with this exp. What stays: other numpy functions a target may use
(log, arctan, …; sin, cos and sqrt agreed with the C library on AVX-512 and without it), and different package
versions, which may change any float64 result.
"""
from __future__ import annotations

import math

import numpy as np

LOG2E = 1.4426950408889634
LN2_HI = 6.93147180369123816490e-01  # ln 2 with its low 21 bits zero: k·LN2_HI is exact for |k| < 2^21
LN2_LO = 1.90821492927058770002e-10  # ln 2 − LN2_HI
TAYLOR = tuple(1 / math.factorial(j) for j in range(13, -1, -1))  # 1/13!, …, 1/1!, 1/0!
OVERFLOW = 709.782712893384  # ln(largest float64): exp of more is inf
UNDERFLOW = -745.1332191019412  # ≈ ln(smallest subnormal / 2): exp of this and of less is 0


def exp(x) -> np.ndarray:
    """e^x element-wise in float64 (see the module docstring), bit for bit the same on every machine; a float for a
    scalar x (the same operations on Python floats: scipy's quad calls it point by point)."""
    if np.ndim(x) == 0:
        return _exp_scalar(float(x))
    x = np.asarray(x, dtype=float)
    out = np.empty_like(x)
    flat, result = x.reshape(-1), out.reshape(-1)
    for start in range(0, flat.size, BLOCK):
        result[start:start + BLOCK] = _exp_block(flat[start:start + BLOCK])
    return out


BLOCK = 1 << 15  # elements per pass: the temporaries stay in the cache


def _exp_block(x: np.ndarray) -> np.ndarray:
    y = np.clip(x, UNDERFLOW, OVERFLOW)  # NaN stays NaN
    k = np.rint(y * LOG2E)
    r = y - k * LN2_HI
    r -= k * LN2_LO
    p = np.full_like(r, TAYLOR[0])
    for c in TAYLOR[1:]:
        p *= r
        p += c
    half = np.floor(k * 0.5)
    k -= half
    with np.errstate(invalid="ignore"):  # NaN exponents: the NaN of p carries through
        p *= _power_of_two(half)
        p *= _power_of_two(k)
    p[x > OVERFLOW] = np.inf
    p[x < UNDERFLOW] = 0.0
    return p


def _exp_scalar(x: float) -> float:
    if math.isnan(x):
        return x
    if x > OVERFLOW or x < UNDERFLOW:
        return math.inf if x > 0 else 0.0
    k = float(round(x * LOG2E))  # round half to even, as np.rint
    r = x - k * LN2_HI
    r -= k * LN2_LO
    p = TAYLOR[0]
    for c in TAYLOR[1:]:
        p = p * r + c
    half = math.floor(k * 0.5)
    return p * math.ldexp(1.0, half) * math.ldexp(1.0, int(k) - half)


def _power_of_two(k: np.ndarray) -> np.ndarray:
    """2^k for integers −1022 ≤ k ≤ 1023 (float64 arrays), built from the exponent bits (exact); a NaN k gives
    some finite number (the caller's p is NaN there already)."""
    return ((k.astype(np.int64) + 1023) << 52).view(np.float64)


def top_singular(a: np.ndarray, steps: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """The largest singular value σ₁ and a unit right singular vector v of each matrix a[p] (shape (P, d, m)), by
    power iteration on G = aᵀa from the coordinate vector of G's largest diagonal entry, v ← Gv/‖Gv‖ ``steps``
    times, and σ₁ = ‖av‖ (exact in one step when a has rank 1, e.g. d = 1; otherwise the error in v shrinks like
    (σ₂/σ₁)^(2·steps)). Einsum and element-wise operations only: np.linalg.svd's LAPACK runs on BLAS kernels."""
    g = np.einsum("pdi,pdj->pij", a, a)
    v = np.zeros(g.shape[:2])
    v[np.arange(len(v)), np.argmax(np.einsum("pii->pi", g), axis=1)] = 1.0
    for _ in range(steps):
        w = np.einsum("pij,pj->pi", g, v)
        norm = np.sqrt(np.einsum("pi,pi->p", w, w))[:, None]
        v = np.where(norm > 0, w / np.where(norm > 0, norm, 1.0), v)
    av = np.einsum("pdi,pi->pd", a, v)
    return np.sqrt(np.einsum("pd,pd->p", av, av)), v


NUMPY = [{"exp": exp}, "numpy"]  # sympy.lambdify's modules for float64: numpy, with the exp above


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for 2-d arrays (or a 2-d a and a 1-d b), summed in einsum's fixed order rather than by BLAS."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return np.einsum("ij,j->i" if b.ndim == 1 else "ij,jk->ik", a, b)
