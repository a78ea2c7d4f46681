"""The two approximators the study compares, as frozen parameter sets with their float64 evaluation and an exact
JSON form (each float as its hexadecimal text, so a stored model is re-read bit for bit).

* **A free H0 prefix** of N tokens (k_i, b_i, v_i): keys k_i ∈ R^(m+1) of any norm, biases b_i, values v_i ∈ R^d,
  with T content tokens equal to x (score ⟨x, x⟩ + 1 = 2, value 0, as in H0's closed form):

      H(x) = Σ_i e^{⟨x,k_i⟩+b_i} v_i / (Σ_i e^{⟨x,k_i⟩+b_i} + T e²),   N·(m+2+d) parameters.

* **A one-hidden-layer tanh network** of width W:

      g(x) = Σ_j a_j tanh(⟨w_j, x⟩ + c_j) + a_0,   W·(m+2) + d·W + d parameters

  (w_j ∈ R^(m+1) and c_j: W(m+2); a_j ∈ R^d: dW; a_0 ∈ R^d: d).

The float64 evaluations use ``verifier.reproducible`` (IEEE-only exp, einsum products without BLAS) so that the
same parameters give the same bits on every machine; they are for fitting and scanning, never for a verdict.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from verifier.attention import Prefix
from verifier.errors import InputError
from verifier.reproducible import exp, matmul


def _hex_rows(a: np.ndarray) -> list:
    """An array as nested lists of float.hex texts (exact)."""
    return np.vectorize(float.hex, otypes=[object])(np.asarray(a, float)).tolist()


def _read_hex(rows, shape_name: str) -> np.ndarray:
    """Nested lists of float.hex texts back to a float64 array (InputError names a malformed entry)."""
    try:
        return np.vectorize(float.fromhex, otypes=[float])(np.array(rows, dtype=object)).astype(float)
    except (TypeError, ValueError) as error:
        raise InputError(f"stored model: '{shape_name}' must hold float.hex texts ({error})") from None


@dataclass(frozen=True, eq=False)
class FreePrefix:
    """An H0 prefix with free tokens: keys (N, m+1), biases (N,), values (N, d), and T content tokens."""

    keys: np.ndarray
    biases: np.ndarray
    values: np.ndarray
    context: int = 1

    def __post_init__(self) -> None:
        N = len(self.keys)
        if N < 1 or self.keys.ndim != 2 or self.biases.shape != (N,) or self.values.ndim != 2 or len(self.values) != N:
            raise InputError("a prefix needs N ≥ 1 tokens with keys (N, m+1), biases (N,) and values (N, d)")
        if self.context < 1:
            raise InputError("a prefix needs T ≥ 1 content tokens")
        if not all(np.all(np.isfinite(a)) for a in (self.keys, self.biases, self.values)):
            raise InputError("a prefix's keys, biases and values must be finite")

    @classmethod
    def of(cls, prefix: Prefix, context: int) -> "FreePrefix":
        """A construction's float64 prefix (``verifier.attention.Prefix``: keys λp_i, biases, values) as free tokens."""
        return cls(*(np.array(a, dtype=float) for a in (prefix.keys, prefix.biases, prefix.values)), context)

    @property
    def m(self) -> int:
        return self.keys.shape[1] - 1

    @property
    def d(self) -> int:
        return self.values.shape[1]

    @property
    def N(self) -> int:
        return len(self.keys)

    @property
    def parameter_count(self) -> int:
        """N·(m+2+d): every key, bias and value entry."""
        return self.N * (self.m + 2 + self.d)

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """H at the rows of X (P, m+1), shape (P, d), in float64 with the scores shifted by their row maximum."""
        scores = matmul(X, self.keys.T) + self.biases[None, :]
        top = np.maximum(np.max(scores, axis=1, keepdims=True), 2.0)
        weights = exp(scores - top)
        total = np.sum(weights, axis=1, keepdims=True) + self.context * exp(2.0 - top)
        return matmul(weights, self.values) / total

    def to_json(self) -> dict:
        return {"kind": "prefix", "N": self.N, "m": self.m, "d": self.d, "context": self.context,
                "keys": _hex_rows(self.keys), "biases": _hex_rows(self.biases), "values": _hex_rows(self.values)}

    @classmethod
    def from_json(cls, data: dict) -> "FreePrefix":
        return cls(_read_hex(data["keys"], "keys"), _read_hex(data["biases"], "biases"),
                   _read_hex(data["values"], "values"), int(data["context"]))


@dataclass(frozen=True, eq=False)
class TanhNetwork:
    """g(x) = Σ_j a_j tanh(⟨w_j, x⟩ + c_j) + a_0: weights w (W, m+1), offsets c (W,), amplitudes a (W, d),
    constant a_0 (d,)."""

    weights: np.ndarray
    offsets: np.ndarray
    amplitudes: np.ndarray
    constant: np.ndarray

    def __post_init__(self) -> None:
        W = len(self.weights)
        if (W < 1 or self.weights.ndim != 2 or self.offsets.shape != (W,) or self.amplitudes.ndim != 2
                or len(self.amplitudes) != W or self.constant.shape != (self.amplitudes.shape[1],)):
            raise InputError("a network needs W ≥ 1 units with weights (W, m+1), offsets (W,), amplitudes (W, d) "
                             "and a constant (d,)")
        if not all(np.all(np.isfinite(a)) for a in (self.weights, self.offsets, self.amplitudes, self.constant)):
            raise InputError("a network's parameters must be finite")

    @property
    def m(self) -> int:
        return self.weights.shape[1] - 1

    @property
    def d(self) -> int:
        return self.amplitudes.shape[1]

    @property
    def W(self) -> int:
        return len(self.weights)

    @property
    def parameter_count(self) -> int:
        """W·(m+2) + d·W + d."""
        return self.W * (self.m + 2) + self.d * self.W + self.d

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """g at the rows of X (P, m+1), shape (P, d): tanh(t) = 1 − 2/(e^{2t} + 1) with the reproducible exp."""
        t = matmul(X, self.weights.T) + self.offsets[None, :]
        hidden = 1.0 - 2.0 / (exp(2.0 * t) + 1.0)
        return matmul(hidden, self.amplitudes) + self.constant[None, :]

    def to_json(self) -> dict:
        return {"kind": "network", "W": self.W, "m": self.m, "d": self.d, "weights": _hex_rows(self.weights),
                "offsets": _hex_rows(self.offsets), "amplitudes": _hex_rows(self.amplitudes),
                "constant": _hex_rows(self.constant)}

    @classmethod
    def from_json(cls, data: dict) -> "TanhNetwork":
        return cls(*(_read_hex(data[name], name) for name in ("weights", "offsets", "amplitudes", "constant")))


def model_from_json(data: dict):
    """A stored FreePrefix or TanhNetwork by its "kind"."""
    kinds = {"prefix": FreePrefix, "network": TanhNetwork}
    if data.get("kind") not in kinds:
        raise InputError(f"stored model: kind must be one of {sorted(kinds)}, got {data.get('kind')!r}")
    return kinds[data["kind"]].from_json(data)
