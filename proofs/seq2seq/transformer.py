"""A small prefixed transformer: a residual stream of named registers and one fixed head per layer.

Residual stream. Each of the n positions carries a vector of D = n + 3 + R scalar registers:

    x (the input token x_p ∈ [0,1]),  one (= 1),  pos_1..pos_n (the one-hot e_p),  slot (= 0 in content
    tokens; prefix tokens put their value there),  and R named work registers (0 at the start).

A layer holds one head with fixed ("pretrained") weights (W_Q, W_K, W_V) and, optionally, a prefix of
free D-vectors s_i; the head attends over prefix + the n stream tokens and adds W_V·(attention output)
to the stream: t_p ← t_p + Σ_j softmax_j(⟨W_Q t_p, W_K τ_j⟩) W_V τ_j  over τ ∈ (s_1..s_N, t_1..t_n).

Two fixed heads (docs/seq2seq.md):

* **token-wise head** (read register z, write register w): W_Q = W_K = the rows reading (z, one, pos_1..pos_n),
  W_V = e_w e_slotᵀ. A prefix token with (z, one, pos, slot) = (λa, −λa²/2 + β, γ e_q, v) scores
      ⟨(z, 1, e_p), (λa, −λa²/2 + β, γ e_q)⟩ = λz²/2 − λ(z − a)²/2 + β + γ[q = p],
  so among prefix tokens the softmax is the Gaussian kernel e^{−λ(z−a)²/2} (λz²/2 cancels) and γ
  selects the tokens of the query's own position; a content token t_c scores z·z_c + 1 + [c = p] and
  carries value slot = 0. With the grid a_i = lo + i(hi − lo)/K and v = h_q(a_i) the head realises
  z ↦ h_p(z) on [lo, hi] at every position p (:class:`TokenwisePrefix`; bound: proofs.seq2seq).
* **mixing head** (read u, write s): W_Q = W_K = 0, so attention is uniform over the n tokens, and
  W_V = n·e_s e_uᵀ: it writes Σ_c u_c (the mean × n) into s at every position. No prefix.

Back-ends: the plain matrix forward pass in float64 (log-sum-exp, every token); the *windowed closed
form* in float64 and mpmath, which evaluates a token-wise head through its scores and values derived
symbolically from the matrices (:func:`derive_tokenwise`) over the prefix tokens within ``w`` grid
steps of z only; and a sympy forward pass for small n (:meth:`Transformer.forward_sympy`).
Window: with Δ = (hi − lo)/K and c the grid index nearest z (clipped to 0..K), every prefix token
(i, q) with |i − c| > w scores at least λΔ²(w² + w)/2 below the token (c, p) (also for z outside
[lo, hi]), so the tokens left out carry a fraction τ ≤ N·e^{−λΔ²(w²+w)/2} of the attention and move
the output by at most 2·max|v|·τ; w is one more than the least integer with τ ≤ 10^−TAIL_DIGITS
(the nearest index is found in float64).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping, Optional, Sequence

import mpmath
import numpy as np
import sympy

from verifier.attention import Head, softmax_mp, softmax_numpy, softmax_sympy, tail_log_budget
from verifier.errors import InputError
from verifier.precision import exact_to_mp

TAIL_DIGITS = 300  # the windowed closed form leaves out attention mass ≤ 10^−300 (far below any check precision)
Z = sympy.Symbol("z", real=True)  # the register value a token-wise head reads


# ---------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenwisePrefix:
    """The prefix of a token-wise head: tokens (i, q), i = 0..K, q = 1..n, index (q−1)(K+1) + i, with

        read = λa_i,  one = −λa_i²/2 + β,  pos_q = γ,  slot = h_q(a_i),   a_i = lo + i(hi − lo)/K.

    ``targets`` are the sympy expressions h_1..h_n in :data:`Z`; λ, β, γ are exact sympy numbers.
    """

    lo: sympy.Rational
    hi: sympy.Rational
    cells: int
    lam: sympy.Expr
    beta: sympy.Expr
    gamma: sympy.Expr
    targets: tuple[sympy.Expr, ...]
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __len__(self) -> int:
        return len(self.targets) * (self.cells + 1)

    @cached_property
    def constants_f64(self) -> tuple[float, ...]:
        return tuple(float(sympy.N(e, 20)) for e in (self.lo, self.hi, self.lam, self.beta, self.gamma))

    @cached_property
    def grid_numpy(self) -> np.ndarray:
        lo, hi = self.constants_f64[:2]
        return lo + (hi - lo) * np.arange(self.cells + 1) / self.cells

    @cached_property
    def values_numpy(self) -> np.ndarray:
        """h_q(a_i) in float64, shape (n, K+1)."""
        a = self.grid_numpy
        out = []
        for h in self.targets:
            f = sympy.lambdify(Z, h, modules="numpy")
            out.append(np.broadcast_to(np.asarray(f(a), float), a.shape))
        return np.array(out)

    @cached_property
    def window(self) -> int:
        """One more than the least w with N·e^{−λΔ²(w²+w)/2} ≤ 10^−TAIL_DIGITS (at most K)."""
        lo, hi, lam = self.constants_f64[:3]
        step2 = ((hi - lo) / self.cells) ** 2
        need = 2 * tail_log_budget(len(self), TAIL_DIGITS) / (lam * step2)
        w = math.ceil((-1 + math.sqrt(1 + 4 * need)) / 2) + 1  # + 1: the nearest index is found in float64
        return int(min(w, self.cells))

    def window_indices(self, z: np.ndarray) -> np.ndarray:
        """Grid indices within ``window`` of the index nearest z (clipped), shape (*z.shape, 2w+1);
        duplicates at the ends are marked −1."""
        lo, hi = self.constants_f64[:2]
        c = np.clip(np.rint((np.asarray(z, float) - lo) / (hi - lo) * self.cells), 0, self.cells).astype(np.int64)
        start = np.clip(c - self.window, 0, max(self.cells - 2 * self.window, 0))
        idx = start[..., None] + np.arange(2 * self.window + 1)
        return np.where(idx <= self.cells, idx, -1)

    def tokens_numpy(self, stream: Stream, read: str) -> np.ndarray:
        """Every prefix token as a D-vector, float64, shape (N, D)."""
        lo, hi, lam, beta, gamma = self.constants_f64
        a = self.grid_numpy
        S = np.zeros((len(self), stream.dim))
        for q in range(len(self.targets)):
            rows = slice(q * (self.cells + 1), (q + 1) * (self.cells + 1))
            S[rows, stream.index(read)] = lam * a
            S[rows, stream.index("one")] = -lam * a * a / 2 + beta
            S[rows, stream.index(f"pos_{q + 1}")] = gamma
            S[rows, stream.index("slot")] = self.values_numpy[q]
        return S

    def tokens_mp(self, stream: Stream, read: str) -> list[list]:
        """Every prefix token as a D-vector at the current precision (cached per precision)."""
        key = ("tokens", read, mpmath.mp.dps)
        if key not in self._cache:
            lo, step, lam, beta, gamma = self.constants_mp()
            tokens = []
            for q in range(len(self.targets)):
                for i in range(self.cells + 1):
                    a, s = lo + i * step, [mpmath.mpf(0)] * stream.dim
                    s[stream.index(read)], s[stream.index("one")] = lam * a, -lam * a * a / 2 + beta
                    s[stream.index(f"pos_{q + 1}")], s[stream.index("slot")] = gamma, self.value_mp(q, i)
                    tokens.append(s)
            self._cache[key] = tokens
        return self._cache[key]

    def constants_mp(self) -> tuple:
        """(lo, step, λ, β, γ) at the current precision (cached per precision)."""
        key = ("constants", mpmath.mp.dps)
        if key not in self._cache:
            self._cache[key] = tuple(exact_to_mp(e) for e in (self.lo, (self.hi - self.lo) / self.cells, self.lam, self.beta,
                                                              self.gamma))
        return self._cache[key]

    def value_mp(self, q: int, i: int) -> mpmath.mpf:
        """h_q(a_i) at the current precision (q = 0..n−1; cached)."""
        key = (mpmath.mp.dps, q, i)
        if key not in self._cache:
            fkey = ("f", q)
            if fkey not in self._cache:
                self._cache[fkey] = sympy.lambdify(Z, self.targets[q], modules="mpmath")
            lo, step = self.constants_mp()[:2]
            self._cache[key] = mpmath.mpf(self._cache[fkey](lo + i * step))
        return self._cache[key]


@dataclass(frozen=True)
class Layer:
    """One layer: a fixed head reading register ``read`` and writing ``write``, and an optional prefix."""

    name: str
    kind: str  # "tokenwise" or "mixing"
    read: str
    write: str
    head: Head
    prefix: Optional[TokenwisePrefix] = None


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TokenwiseClosedForm:
    """Scores and values of a token-wise head at a query of position p, derived from its matrices:

        σ_prefix(z; s_read, s_one, s_pos_p),   σ_content(z; z_c, [c = p]),   ν_prefix(s_slot),   ν_content(t_slot).
    """

    z: sympy.Symbol
    s: tuple[sympy.Symbol, ...]  # generic prefix token (D symbols)
    t: tuple[sympy.Symbol, ...]  # generic content token (D symbols)
    prefix_score: sympy.Expr  # at a query of the derivation's position p
    content_score_same: sympy.Expr  # content token at the query's own position
    content_score_other: sympy.Expr  # content token at another position (n ≥ 2; else None)
    prefix_value: sympy.Expr  # the written register's increment per unit attention
    content_value: sympy.Expr

    @cached_property
    def numeric(self) -> dict:
        """The derived expressions as functions of the registers they depend on, for numpy and mpmath."""
        s_read, s_one, s_pos, s_slot = self.s[0], self.s[1], self.s[2], self.s[3]
        zc, t_slot = self.t[0], self.t[3]
        other = self.content_score_other if self.content_score_other is not None else self.content_score_same
        out = {}
        for modules in ("numpy", "mpmath"):
            out[modules] = (
                sympy.lambdify((self.z, s_read, s_one, s_pos), self.prefix_score, modules=modules),
                sympy.lambdify((self.z, zc), self.content_score_same, modules=modules),
                sympy.lambdify((self.z, zc), other, modules=modules),
                sympy.lambdify((s_slot,), self.prefix_value, modules=modules),
                sympy.lambdify((t_slot,), self.content_value, modules=modules),
            )
        return out


def derive_tokenwise(stream: Stream, layer: Layer, position: int = 1) -> TokenwiseClosedForm:
    """Derive the per-token scores and values of a token-wise layer from (W_Q, W_K, W_V) in sympy.

    Query: a generic stream token at ``position`` (one = 1, pos = e_position, every other register a
    symbol); prefix token: D symbols; content token: a generic stream token at the same position or at
    another one. The symbols are ordered (read, one, pos_position, slot, the rest) so that the derived
    expressions are functions of (z, s_read, s_one, s_pos) etc. (The passes use the form derived at
    position 1; proofs check that every position gives the same.)"""
    pos = f"pos_{position}"
    order = [layer.read, "one", pos, "slot"] + [nm for nm in stream.names if nm not in (layer.read, "one", pos, "slot")]
    def generic(prefix: str) -> list:
        symbols = {nm: sympy.Symbol(f"{prefix}_{nm}", real=True) for nm in order}
        return [symbols[nm] for nm in stream.names], tuple(symbols[nm] for nm in order)

    def stream_token(prefix: str, position: int) -> tuple[list, tuple]:
        vec, syms = generic(prefix)
        vec = [1 if nm == "one" else (int(nm == f"pos_{position}") if nm.startswith("pos_") else v)
               for nm, v in zip(stream.names, vec)]
        return vec, syms

    head = layer.head
    query, qsyms = stream_token("q", position)
    s_vec, s_syms = generic("s")
    q = head.W_Q * sympy.Matrix(query)
    def score(token):
        return sympy.expand((q.T * head.W_K * sympy.Matrix(token))[0, 0])
    same, t_syms = stream_token("t", position)
    other = stream_token("t", position % stream.n + 1)[0] if stream.n >= 2 else None
    w = stream.index(layer.write)
    return TokenwiseClosedForm(
        z=qsyms[0], s=s_syms, t=t_syms,
        prefix_score=score(s_vec),
        content_score_same=score(same),
        content_score_other=score(other) if other is not None else None,
        prefix_value=sympy.expand((head.W_V * sympy.Matrix(s_vec))[w, 0]),
        content_value=sympy.expand((head.W_V * sympy.Matrix(same))[w, 0]),
    )


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
