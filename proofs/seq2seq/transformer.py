"""S1's small prefixed transformer: the layers in order on a stream, and its four forward passes.

Back-ends: the plain matrix forward pass in float64 (log-sum-exp, every token) and in mpmath; the *windowed
closed form* in float64 and mpmath, which evaluates a token-wise head through its scores and values derived
symbolically from the matrices (tokenwise_form.py) over the prefix tokens within ``w`` grid steps of z only
(the window and the attention it leaves out: prefix.py); and a sympy forward pass for small n
(:meth:`Transformer.forward_sympy`).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Callable, Mapping, Optional, Sequence

import mpmath
import numpy as np
import sympy

from verifier.attention import Head, softmax_mp, softmax_numpy, softmax_sympy
from verifier.errors import InputError
from verifier.precision import exact_to_mp

from .stream import Layer, Stream
from .tokenwise_form import TokenwiseClosedForm, derive_tokenwise


def _matrix_layer_numpy(head: Head, T: np.ndarray, prefix: Optional[np.ndarray], rows: Optional[Sequence[int]] = None) -> np.ndarray:
    """The plain matrix pass of one layer on streams T (P, n, D): every token, float64 log-sum-exp; the
    rows ``rows`` of W_V·(attention output) only, when given (the registers the layer can write)."""
    W_Q, W_K, W_V = head.numpy_weights
    if rows is not None:
        W_V = W_V[list(rows)]
    # np.einsum (its own loops, one thread) rather than BLAS matmul: these products are small, and threaded
    # BLAS on a loaded machine made the dense pass 30× slower (18 s against 0.5 s, n = 6, 157 000 prefix tokens).
    q = np.einsum("pia,ba->pib", T, W_Q)
    scores = np.einsum("pia,pja->pij", q, np.einsum("pja,ba->pjb", T, W_K))
    values = np.einsum("pja,da->pjd", T, W_V)
    if prefix is not None and len(prefix):
        keys, prefix_values = np.einsum("ka,ba->kb", prefix, W_K), np.einsum("ka,da->kd", prefix, W_V)
        scores = np.concatenate([np.einsum("pib,kb->pik", q, keys), scores], axis=-1)
        w = softmax_numpy(scores)
        N = len(prefix)
        return np.einsum("pik,kd->pid", w[..., :N], prefix_values) + np.einsum("pij,pjd->pid", w[..., N:], values)
    return np.einsum("pij,pjd->pid", softmax_numpy(scores), values)


def _sparse_rows(W: sympy.Matrix) -> list[list[tuple[int, mpmath.mpf]]]:
    """The non-zero entries of each row of W, as (column, mpf)."""
    return [[(j, exact_to_mp(W[i, j])) for j in range(W.cols) if W[i, j] != 0] for i in range(W.rows)]


def _matrix_layer_mp(head: Head, T: list[list], rows: Sequence[int], prefix: Sequence[Sequence] = ()) -> list[list]:
    """The plain matrix pass of a layer at the current mpmath precision: registers ``rows`` of W_V·(attention
    output) at every position, attending over the ``prefix`` tokens (D-vectors) and the stream tokens T (the
    weights are exact rationals, applied row by row)."""
    W_Q, W_K = _sparse_rows(head.W_Q), _sparse_rows(head.W_K)
    W_V = [_sparse_rows(head.W_V)[r] for r in rows]

    def apply(W: list, t: Sequence) -> list:  # one entry: the product itself (the sum of one term)
        return [row[0][1] * t[row[0][0]] if len(row) == 1 else mpmath.fsum(c * t[j] for j, c in row) for row in W]

    tokens = [*prefix, *T]
    keys = [[(i, v) for i, v in enumerate(apply(W_K, t)) if v] for t in tokens]  # exact zeros add nothing to a score
    values = [apply(W_V, t) for t in tokens]
    out = []
    for t in T:
        qv = apply(W_Q, t)
        w = softmax_mp([mpmath.fsum(qv[i] * v for i, v in k) for k in keys])
        out.append([mpmath.fsum(wj * v[i] for wj, v in zip(w, values)) for i in range(len(rows))])
    return out


@dataclass(frozen=True)
class Attention:
    """A token-wise head's attention at K queries: prefix tokens of the window (K, W, n) by grid index and
    position q, their grid points a (K, W; NaN where the window runs past the grid), content tokens (K, n)."""

    prefix_weights: np.ndarray
    prefix_values: np.ndarray
    grid: np.ndarray
    content_weights: np.ndarray
    content_values: np.ndarray


@dataclass(frozen=True)
class Transformer:
    """The layers in order on a stream; ``forward_*`` return the final stream and every layer's increment
    of its written register (P, n) per layer (float64) or a list of n values per layer (mpmath)."""

    stream: Stream
    layers: tuple[Layer, ...]

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def total_prefix_length(self) -> int:
        return sum(len(layer.prefix) for layer in self.layers if layer.prefix is not None)

    @cached_property
    def closed_forms(self) -> dict[str, TokenwiseClosedForm]:
        return {layer.name: derive_tokenwise(self.stream, layer) for layer in self.layers if layer.kind == "tokenwise"}

    def forward_matrix_numpy(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The plain matrix forward pass (every prefix token) in float64; X (P, n) ∈ [0,1]^n."""
        T = self.stream.embed_numpy(X)
        increments = []
        for layer in self.layers:
            prefix = layer.prefix.tokens_numpy(self.stream, layer.read) if layer.prefix is not None else None
            out = _matrix_layer_numpy(layer.head, T, prefix)
            increments.append(out[..., self.stream.index(layer.write)])
            T = T + out
        return T, increments

    def forward_numpy(self, X: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """The windowed closed form in float64 for token-wise layers (matrix pass for the rest)."""
        T = self.stream.embed_numpy(X)
        increments = []
        for layer in self.layers:
            w = self.stream.index(layer.write)
            if layer.kind == "tokenwise" and layer.prefix is not None:
                inc = self._tokenwise_numpy(layer, T[..., self.stream.index(layer.read)], T[..., self.stream.index("slot")])
            else:
                inc = _matrix_layer_numpy(layer.head, T, None, rows=(w,))[..., 0]
            increments.append(inc)
            T = T.copy()
            T[..., w] += inc
        return T, increments

    def _tokenwise_numpy(self, layer: Layer, z: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Head output at every position of streams whose registers (read, slot) are (z, slots), each (P, n)."""
        P, n = z.shape
        att = self.tokenwise_attention_numpy(layer, z.reshape(-1), np.tile(np.arange(n), P),
                                             np.repeat(z, n, axis=0), np.repeat(slots, n, axis=0))
        out = np.einsum("kwq,kwq->k", att.prefix_weights, att.prefix_values) + np.einsum("kc,kc->k", att.content_weights,
                                                                                        att.content_values)
        return out.reshape(P, n)

    def tokenwise_attention_numpy(self, layer: Layer, zq: np.ndarray, p: np.ndarray, zc: np.ndarray,
                                  slots: np.ndarray) -> "Attention":
        """The attention of a token-wise head at K queries: query register zq (K,) at position p (K,, 0-based)
        over the window's prefix tokens and the n content tokens with registers zc, slots (K, n), from
        the derived scores and values (:func:`derive_tokenwise`), float64 log-sum-exp."""
        pre = layer.prefix
        score_p, score_same, score_other, nu_p, nu_c = self.closed_forms[layer.name].numeric["numpy"]
        _, _, lam, beta, gamma = pre.constants_f64
        n = self.stream.n
        idx = pre.window_indices(zq)  # (K, W)
        valid = idx >= 0
        a = pre.grid_numpy[np.where(valid, idx, 0)]  # (K, W)
        own = (np.arange(n)[None, :] == p[:, None])[:, None, :]  # (K, 1, n): token position q = p
        scores = score_p(zq[:, None, None], lam * a[..., None], -lam * a[..., None] ** 2 / 2 + beta, gamma * own)
        scores = np.where(valid[..., None], np.broadcast_to(scores, (*idx.shape, n)), -np.inf)  # (K, W, n)
        values = np.broadcast_to(np.asarray(nu_p(pre.values_numpy.T[np.where(valid, idx, 0)]), float), scores.shape)
        same = np.arange(n)[None, :] == p[:, None]
        content = np.where(same, score_same(zq[:, None], zc), score_other(zq[:, None], zc))  # (K, n)
        weights = softmax_numpy(np.concatenate([scores.reshape(len(zq), -1), content], axis=-1))
        split = scores.shape[1] * n
        return Attention(weights[:, :split].reshape(scores.shape), values, np.where(valid, a, np.nan), weights[:, split:],
                         np.broadcast_to(np.asarray(nu_c(slots), float), zc.shape))

    def forward_mp(self, x: Sequence) -> tuple[list[list], list[list]]:
        """The windowed closed form at the current mpmath precision for one sequence x (floats or mpf)."""
        T = self.stream.embed([mpmath.mpf(v) if not isinstance(v, mpmath.mpf) else v for v in x])
        T = [[mpmath.mpf(v) for v in row] for row in T]
        increments = []
        for layer in self.layers:
            w = self.stream.index(layer.write)
            if layer.kind == "tokenwise" and layer.prefix is not None:
                z = [row[self.stream.index(layer.read)] for row in T]
                slots = [row[self.stream.index("slot")] for row in T]
                inc = [self._tokenwise_mp(layer, z, slots, p) for p in range(self.stream.n)]
            else:
                inc = [out[0] for out in _matrix_layer_mp(layer.head, T, (w,))]
            increments.append(inc)
            for row, d in zip(T, inc):
                row[w] += d
        return T, increments

    def forward_matrix_mp(self, x: Sequence) -> list[list]:
        """The plain matrix forward pass (every prefix token, every non-zero row of W_V) at the current mpmath
        precision for one sequence x; the final stream."""
        T = [[mpmath.mpf(v) for v in row] for row in self.stream.embed([mpmath.mpf(v) for v in x])]
        for layer in self.layers:
            prefix = layer.prefix.tokens_mp(self.stream, layer.read) if layer.prefix is not None else ()
            rows = [i for i in range(layer.head.W_V.rows) if any(layer.head.W_V.row(i))]
            for row, out in zip(T, _matrix_layer_mp(layer.head, T, rows, prefix)):
                for i, v in zip(rows, out):
                    row[i] += v
        return T

    def _tokenwise_mp(self, layer: Layer, z: list, slots: list, p: int) -> mpmath.mpf:
        prefix, content = self.tokenwise_attention_mp(layer, z[p], p, z, slots)
        return mpmath.fsum(w * v for w, v, _, _ in prefix) + mpmath.fsum(w * v for w, v in content)

    def tokenwise_attention_mp(self, layer: Layer, zq, p: int, zc: Sequence, slots: Sequence) -> tuple[list, list]:
        """The same attention at the current mpmath precision for one query: ([(weight, value, a_i, q)] over the
        window's prefix tokens, [(weight, value)] over the content tokens)."""
        pre = layer.prefix
        score_p, score_same, score_other, nu_p, nu_c = self.closed_forms[layer.name].numeric["mpmath"]
        lo, step, lam, beta, gamma = pre.constants_mp()
        scores, values, meta = [], [], []
        for i in pre.window_indices(np.array([float(zq)]))[0]:
            if i < 0:
                continue
            a = lo + int(i) * step
            for q in range(self.stream.n):
                scores.append(score_p(zq, lam * a, -lam * a * a / 2 + beta, gamma if q == p else 0))
                values.append(nu_p(pre.value_mp(q, int(i))))
                meta.append((a, q))
        for c in range(self.stream.n):
            scores.append((score_same if c == p else score_other)(zq, zc[c]))
            values.append(nu_c(slots[c]))
        w = softmax_mp(scores)
        k = len(meta)
        return ([(wi, vi, a, q) for wi, vi, (a, q) in zip(w[:k], values[:k], meta)], list(zip(w[k:], values[k:])))

    def forward_sympy(self, x: Sequence[sympy.Expr], ideal: Mapping[str, Callable[[sympy.Expr, int], sympy.Expr]]) -> list[list]:
        """A sympy forward pass: layers without an entry in ``ideal`` run the plain matrix pass on the
        symbolic stream (their output is *derived*); ``ideal[name](z, p)`` replaces a layer's output at
        position p (1-based) by a given expression in the register value z it reads."""
        T = [list(row) for row in self.stream.embed(list(x))]
        for layer in self.layers:
            r, w = self.stream.index(layer.read), self.stream.index(layer.write)
            if layer.name in ideal:
                inc = [ideal[layer.name](row[r], p + 1) for p, row in enumerate(T)]
            else:
                if layer.prefix is not None:
                    raise InputError(f"layer {layer.name} has a prefix: give its ideal output for the sympy pass")
                head = layer.head
                keys = [head.W_K * sympy.Matrix(row) for row in T]
                vals = [head.W_V * sympy.Matrix(row) for row in T]
                inc = []
                for row in T:
                    qv = head.W_Q * sympy.Matrix(row)
                    out = softmax_sympy([((qv.T * k)[0, 0], v) for k, v in zip(keys, vals)])
                    inc.append(sympy.simplify(out[w, 0]))
            for row, d in zip(T, inc):
                row[w] = row[w] + d
        return T
