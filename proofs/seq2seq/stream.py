"""The residual stream of S1's transformer, its fixed heads, and a layer (a fixed head with an optional prefix).

Residual stream. Each of the n positions carries a vector of D = n + 3 + R scalar registers:

    x (the input token x_p ∈ [0,1]),  one (= 1),  pos_1..pos_n (the one-hot e_p),  slot (= 0 in content
    tokens; prefix tokens put their value there),  and R named work registers (0 at the start).

A layer holds one head with fixed ("pretrained") weights (W_Q, W_K, W_V) and, optionally, a prefix of
free D-vectors s_i; the head attends over prefix + the n stream tokens and adds W_V·(attention output)
to the stream: t_p ← t_p + Σ_j softmax_j(⟨W_Q t_p, W_K τ_j⟩) W_V τ_j  over τ ∈ (s_1..s_N, t_1..t_n).

Two fixed heads (docs/seq2seq.md):

* **token-wise head** (read register z, write register w): W_Q = W_K = the rows reading (z, one, pos_1..pos_n),
  W_V = e_w e_slotᵀ; its prefix (prefix.py) makes it realise z ↦ h_p(z) at every position p.
* **mixing head** (read u, write s): W_Q = W_K = 0, so attention is uniform over the n tokens, and
  W_V = n·e_s e_uᵀ: it writes Σ_c u_c (the mean × n) into s at every position. No prefix.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Optional, Sequence

import numpy as np
import sympy

from verifier.attention import Head
from verifier.errors import InputError

if TYPE_CHECKING:  # prefix.py lays its tokens out on a Stream
    from .prefix import TokenwisePrefix


@dataclass(frozen=True)
class Stream:
    """The register layout of the residual stream for sequences of length n."""

    n: int
    work: tuple[str, ...]  # the named work registers, after the fixed ones

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InputError(f"the sequence length must be n ≥ 1; got {self.n}")
        clash = set(self.work) & set(self.fixed)
        if clash or len(set(self.work)) != len(self.work):
            raise InputError(f"work registers must be distinct from each other and from {self.fixed}; got {self.work}")

    @property
    def fixed(self) -> tuple[str, ...]:
        return ("x", "one", *(f"pos_{p}" for p in range(1, self.n + 1)), "slot")

    @cached_property
    def names(self) -> tuple[str, ...]:
        return self.fixed + self.work

    @property
    def dim(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        return self.names.index(name)

    def embed_numpy(self, X: np.ndarray) -> np.ndarray:
        """Token p of a sequence x ∈ R^n ↦ (x_p, 1, e_p, 0, 0_R); X (P, n) → (P, n, D)."""
        X = np.asarray(X, float)
        T = np.zeros((*X.shape, self.dim))
        T[..., 0] = X
        T[..., 1] = 1
        T[..., 2:2 + self.n] = np.eye(self.n)
        return T

    def embed(self, x: Sequence) -> list[list]:
        """The same embedding for one sequence, entries taken as given (mpf or sympy)."""
        rows = []
        for p, xp in enumerate(x):
            row = [0] * self.dim
            row[0], row[1], row[2 + p] = xp, 1, 1
            rows.append(row)
        return rows


def _selector(stream: Stream, names: Sequence[str], scale: Sequence = ()) -> sympy.Matrix:
    """Rows e_name^T (times the given scales), shape (len(names), D)."""
    M = sympy.zeros(len(names), stream.dim)
    for row, name in enumerate(names):
        M[row, stream.index(name)] = scale[row] if scale else 1
    return M


def _writer(stream: Stream, write: str, read: str, factor=1) -> sympy.Matrix:
    """factor · e_write e_readᵀ (D × D): W_V of a head that adds factor × (register read) into ``write``."""
    M = sympy.zeros(stream.dim, stream.dim)
    M[stream.index(write), stream.index(read)] = factor
    return M


def tokenwise_head(stream: Stream, read: str, write: str) -> Head:
    """W_Q = W_K read (z, one, pos_1..pos_n); W_V moves the slot into ``write``."""
    qk = _selector(stream, (read, "one", *(f"pos_{p}" for p in range(1, stream.n + 1))))
    return Head(qk, qk, _writer(stream, write, "slot"))


def mixing_head(stream: Stream, read: str, write: str) -> Head:
    """W_Q = W_K = 0 (uniform attention), W_V = n·e_write e_readᵀ."""
    zero = sympy.zeros(1, stream.dim)
    return Head(zero, zero, _writer(stream, write, read, stream.n))


def single_token_head(stream: Stream, read: str, write: str, sharpness: int = 60) -> Head:
    """A broken mixing head (negative control): attends to token 1 only (score ``sharpness``·[c = 1])."""
    return Head(_selector(stream, ("one",)), _selector(stream, ("pos_1",), (sharpness,)), _writer(stream, write, read, stream.n))


@dataclass(frozen=True)
class Layer:
    """One layer: a fixed head reading register ``read`` and writing ``write``, and an optional prefix."""

    name: str
    kind: str  # "tokenwise" or "mixing"
    read: str
    write: str
    head: Head
    prefix: Optional[TokenwisePrefix] = None
