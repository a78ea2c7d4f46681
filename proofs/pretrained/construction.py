"""R1's construction on a real head: the frame E, the affine reduction, the prefix (k_i, v_i) and the output frame U.

**Frame.** B ∈ Z^{D×(m+1)}: seeded random integer columns, centred exactly (b ← D·r − (1ᵀr)·1, so 1ᵀb = 0) and made
orthogonal by fraction-free Gram–Schmidt (b_j ← n_k·b_j − ⟨b_j, b_k⟩·b_k, n_k = ‖b_k‖²; then divided by the gcd of its
entries). E = B·diag(n_j^{−1/2}) then has
orthonormal columns orthogonal to 1 *exactly* (irrational entries, held as B and n_j; ``float64`` is its rounding,
for sampled evaluations only). For x ∈ S^m, E x has mean 0 and ‖E x‖ = 1, so

    u(x) = LayerNorm(E x) = γ ⊙ E x / s + β,   s = √(1/D + ε_LN)          (exactly).

**Affine reduction.** For a projection (W, b_W) of head h: W u(x) + b_W = A_W x + c_W with
A_W = (W Γ B) diag(n^{−1/2}) / s and c_W = W β + b_W: W Γ B and c_W are exact rationals (the float32 weights are
dyadic), A_W is exact up to the column scales n_j^{−1/2}/s, which ball arithmetic encloses.

**Prefix.** With E1's p_i, N, λ and an offset b: the minimum-norm k_i with [A_Q c_Q]ᵀ k_i = √d_h (λ p_i, b) (possible iff
rank [A_Q c_Q] = m + 2; the rank is that of the rational [W_Q Γ B, c_Q], computed exactly). Output frame: W_O = P Σ Qᵀ
(SVD), M = Q_{:,1..d} Σ_{1..d}^{−1} (float64, so exact dyadic), U := W_O M (exact; its columns are orthonormal up to the
rounding of M, a defect certified in ``enclosure``), values v_i = M f(p_i). Keys and values are stored rounded to
float32 (``--tamper bfloat16-keys`` rounds the keys to bfloat16 instead, ``layer.round_bfloat16``), and the stored numbers are what is verified.

Negative controls (``--tamper``): ``other-head`` solves for head (h+1) mod H and inserts that prefix into head h;
``bfloat16-keys``; ``frame-not-centred`` skips the centring (LayerNorm is then not affine on the sphere).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Optional

import numpy as np
from flint import arb, arb_mat, ctx, fmpq_mat, fmpz_mat

from verifier.ball import PRECISION_BITS

from .layer import round_bfloat16
from .weights import HeadWeights

FRAME_ENTRY_BOUND = 2**20  # |entries| of the random integer columns before centring


def dyadic(array: np.ndarray) -> tuple[fmpz_mat, int]:
    """(Z, s) with array = Z·2^(−s) exactly (a 1-D array is a column); every float is a dyadic rational."""
    a = np.asarray(array, dtype=np.float64)
    a = a.reshape(-1, 1) if a.ndim == 1 else a
    mantissa, exponent = np.frexp(a)  # a = mantissa·2^exponent, |mantissa| ∈ [0.5, 1), 53 bits
    integers = (mantissa * 2.0**53).astype(np.int64)
    shift = int(53 - exponent.min()) if a.size else 0
    rows = [[int(v) << int(e - 53 + shift) for v, e in zip(row_i, row_e)] for row_i, row_e in zip(integers, exponent)]
    return fmpz_mat(rows), shift


def rational(array: np.ndarray) -> fmpq_mat:
    """The exact rational matrix of a float array (a 1-D array is a column)."""
    Z, s = dyadic(array)
    return fmpq_mat(Z) / (2**s)


@dataclass(frozen=True, eq=False)
class Frame:
    """E = B·diag(n^{−1/2}) (module doc): integer columns B (D×(m+1)), n_j = ‖b_j‖², and whether B was centred."""

    B: fmpz_mat
    norms2: tuple[int, ...]
    centred: bool

    @cached_property
    def float64(self) -> np.ndarray:
        """E rounded to float64 (for sampled evaluations and the plain forward pass only)."""
        columns = np.array(self.B.tolist(), dtype=object)  # b/√n = sign(b)·(b²/n)^(1/2), b²/n rounded once
        return np.array([[math.copysign(math.sqrt(Fraction(int(v) ** 2, n)), int(v)) for v, n in zip(row, self.norms2)]
                         for row in columns])

    def column_sums(self) -> list[int]:
        """1ᵀB, exactly (zero iff E x has mean 0 for every x)."""
        return [sum(int(v) for v in col) for col in np.array(self.B.tolist(), dtype=object).T]

    def gram_off_diagonal(self) -> list[int]:
        """The off-diagonal entries of BᵀB, exactly (all zero iff EᵀE = I)."""
        G = self.B.transpose() * self.B
        k = len(self.norms2)
        return [int(G[i, j]) for i in range(k) for j in range(k) if i != j]

    def scales(self, s: arb) -> list[arb]:
        """The column scales n_j^{−1/2}/s as balls."""
        with ctx.workprec(PRECISION_BITS):
            return [1 / (arb(n).sqrt() * s) for n in self.norms2]


def build_frame(D: int, m: int, seed: int, centred: bool = True) -> Frame:
    """The seeded frame of the module doc (``centred=False``: the negative control, columns not ⟂ 1)."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(-FRAME_ENTRY_BOUND, FRAME_ENTRY_BOUND + 1, size=(m + 1, D))
    columns: list[list[int]] = []
    for r in raw:
        b = [int(v) for v in r]
        if centred:
            total = sum(b)
            b = [D * v - total for v in b]
        for c in columns:
            n_c, dot = sum(v * v for v in c), sum(v * w for v, w in zip(b, c))
            b = [n_c * v - dot * w for v, w in zip(b, c)]
        common = math.gcd(*b) or 1  # dividing out the common factor keeps 1ᵀb = 0 and the orthogonality
        columns.append([v // common for v in b])
    B = fmpz_mat([[col[i] for col in columns] for i in range(D)])
    return Frame(B, tuple(sum(v * v for v in col) for col in columns), centred)


@dataclass(frozen=True, eq=False)
class Affine:
    """y(x) = A x + c on S^m for one projection of the head: A = P·diag(scales), P and c exact rationals."""

    P: fmpq_mat  # W Γ B (d_h × (m+1))
    c: fmpq_mat  # W β + b_W (d_h × 1)
    A: arb_mat  # balls of A
    c_ball: arb_mat
    ones: fmpq_mat  # W Γ 1 (d_h × 1): LayerNorm's mean term, for evaluations that do not assume the reduction

    @cached_property
    def A_f64(self) -> np.ndarray:
        return np.array([[float(v.mid()) for v in row] for row in self.A.tolist()])

    @cached_property
    def c_f64(self) -> np.ndarray:
        return np.array([float(row[0].mid()) for row in self.c_ball.tolist()])


def layernorm_scale(D: int, ln_eps: float) -> arb:
    """s = √(1/D + ε_LN) as a ball (ε_LN is the config's float64 number, read exactly)."""
    with ctx.workprec(PRECISION_BITS):
        return (arb(1) / D + arb(ln_eps)).sqrt()


def affine(weight: np.ndarray, bias: np.ndarray, head: HeadWeights, frame: Frame) -> Affine:
    """W u(x) + b_W = A x + c (module doc), exactly."""
    gamma = np.asarray(head.ln_gamma, dtype=np.float64)
    scaled = np.asarray(weight, np.float64) * gamma  # W Γ: a product of two float32 numbers is exact in float64
    WG = rational(scaled)
    P = WG * fmpq_mat(frame.B)
    c = rational(weight) * rational(head.ln_beta) + rational(bias)
    s = layernorm_scale(len(gamma), head.ln_eps)
    with ctx.workprec(PRECISION_BITS):
        scales = frame.scales(s)
        Pb = arb_mat(P)
        A = arb_mat([[Pb[i, j] * scales[j] for j in range(Pb.ncols())] for i in range(Pb.nrows())])
        return Affine(P, c, A, arb_mat(c), WG * fmpq_mat(len(gamma), 1, [1] * len(gamma)))


def exact_rank(query: Affine) -> int:
    """rank [A c] = rank [W Γ B, c] (column scales are non-zero), exactly in rationals."""
    rows = query.P.nrows()
    joined = fmpq_mat(rows, query.P.ncols() + 1,
                      [v for i in range(rows) for v in [*(query.P[i, j] for j in range(query.P.ncols())), query.c[i, 0]]])
    return joined.rank()


def min_norm_keys(query_A: np.ndarray, query_c: np.ndarray, points: np.ndarray, lam: float, b: float,
                  head_dim: int) -> np.ndarray:
    """Rows k_i: the minimum-norm solutions of [A c]ᵀ k = √d_h (λ p_i, b) (float64; their error is certified later)."""
    Ac = np.column_stack([query_A, query_c])
    targets = np.sqrt(head_dim) * np.column_stack([lam * points, np.full(len(points), b)])
    return targets @ np.linalg.pinv(Ac)  # (pinv(Acᵀ) t)ᵀ = tᵀ pinv(Ac)


def output_frame(W_O: np.ndarray, d: int) -> np.ndarray:
    """M (d_h × d, float64): U = W_O M has orthonormal columns (up to M's rounding) along W_O's top singular directions."""
    _, sigma, Vt = np.linalg.svd(np.asarray(W_O, np.float64), full_matrices=False)
    return Vt[:d].T / sigma[:d]


def smallest_singular_value(query: Affine) -> float:
    """σ_min([A c]) in float64 (a reported fact, not a claim)."""
    return float(np.linalg.svd(np.column_stack([query.A_f64, query.c_f64]), compute_uv=False)[-1])


@dataclass(frozen=True, eq=False)
class Prefix:
    """The stored prefix of head h: keys (N × d_h) and values (N × d_h) as float32, M (d_h × d) and the head it was
    solved for."""

    keys: np.ndarray
    values: np.ndarray
    M: np.ndarray
    solved_for: int


def build_prefix(head: HeadWeights, frame: Frame, points: np.ndarray, targets_at_points: np.ndarray, lam: float,
                 offset: float, M: np.ndarray, tamper: Optional[str]) -> Prefix:
    """k_i (solved for ``head``'s query), v_i = M f(p_i), rounded to their stored format (float32; bfloat16 keys under
    that tamper)."""
    query = affine(head.W_Q, head.b_Q, head, frame)
    keys = min_norm_keys(query.A_f64, query.c_f64, points, lam, offset, head.head_dim)
    values = targets_at_points @ M.T
    stored_keys = round_bfloat16(keys) if tamper == "bfloat16-keys" else keys.astype(np.float32)
    return Prefix(stored_keys, values.astype(np.float32), M, head.head)
