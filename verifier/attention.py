"""Attention heads with a prefix: the matrices, the derived closed form, and three back-ends.

A head has weights (W_Q, W_K, W_V). At a query token t_q, over context tokens t_1..t_M,

    H(t_q) = Σ_j e^{σ_j} W_V t_j / Σ_j e^{σ_j},    σ_j = ⟨W_Q t_q, W_K t_j⟩.

The prefix tokens s_1..s_N are free vectors placed before the content tokens u_1..u_T. Token layout
(dimension m+2+d): a point x ∈ R^(m+1) enters as the query or content token e(x) = (x, 1, 0_d); a prefix
token is s = (k, b, v) ∈ R^(m+1) × R × R^d. Two
independent numeric paths evaluate H: the *matrix forward pass* (embed every token, multiply by the
weights, softmax) and the *closed form* derived symbolically from the matrices with one generic
prefix token and one generic content token (so the derivation does not grow with N). Softmax is
always evaluated as log-sum-exp: softmax(σ)_j = e^{σ_j − max σ} / Σ_l e^{σ_l − max σ}. The forward pass
also runs in ball arithmetic (python-flint ``arb``), where every output is a ball containing the true value.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import mpmath
import numpy as np
import sympy
from flint import arb, arb_mat

from .errors import InputError
from .reproducible import NUMPY, exp, matmul


@dataclass(frozen=True)
class Head:
    """A single attention head; the weights are exact sympy matrices of shape (·, D)."""

    W_Q: sympy.Matrix
    W_K: sympy.Matrix
    W_V: sympy.Matrix

    def __post_init__(self) -> None:
        D = self.W_Q.shape[1]
        if self.W_K.shape[1] != D or self.W_V.shape[1] != D or self.W_Q.shape[0] != self.W_K.shape[0]:
            raise InputError(
                f"head shapes do not match: W_Q {self.W_Q.shape}, W_K {self.W_K.shape}, W_V {self.W_V.shape}; "
                "W_Q and W_K need the same shape and all three the same number of columns"
            )

    @property
    def token_dim(self) -> int:
        return self.W_Q.shape[1]

    @property
    def value_dim(self) -> int:
        return self.W_V.shape[0]

    @cached_property
    def numpy_weights(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return tuple(np.array(W.tolist(), dtype=float) for W in (self.W_Q, self.W_K, self.W_V))


def embedding(x: Sequence, d: int) -> list:
    """e(x) = (x, 1, 0_d): the token of a point x ∈ R^(m+1) as a query or content token (entries as given)."""
    return list(x) + [1] + [0] * d


def embedding_numpy(X: np.ndarray, d: int) -> np.ndarray:
    """e(x) = (x, 1, 0_d) along the last axis of a float64 array."""
    return np.concatenate([X, np.ones((*X.shape[:-1], 1)), np.zeros((*X.shape[:-1], d))], axis=-1)


@dataclass(frozen=True)
class Prefix:
    """Prefix tokens s_i = (k_i, b_i, v_i), i = 1..N; entries are float64 arrays or mpf lists."""

    keys: Sequence  # (N, m+1)
    biases: Sequence  # (N,)
    values: Sequence  # (N, d)

    def __post_init__(self) -> None:
        if not (len(self.keys) == len(self.biases) == len(self.values)):
            raise InputError("a prefix needs as many keys, biases and values as tokens")

    def __len__(self) -> int:
        return len(self.keys)

    def tokens(self) -> np.ndarray:
        """The token vectors s_i = (k_i, b_i, v_i) as an (N, m+2+d) float64 array."""
        return np.column_stack([np.asarray(self.keys, float), np.asarray(self.biases, float), np.asarray(self.values, float)])

    def permuted(self, order: Sequence[int]) -> "Prefix":
        pick = lambda seq: [seq[i] for i in order] if isinstance(seq, list) else np.asarray(seq)[list(order)]
        return Prefix(pick(self.keys), pick(self.biases), pick(self.values))


@dataclass(frozen=True)
class ClosedForm:
    """Per-token score and value of the head at the query e(x), derived from the matrices:

        σ_prefix(x; k, b, v) = ⟨W_Q e(x), W_K (k, b, v)⟩,   ν_prefix(k, b, v) = W_V (k, b, v),
        σ_content(x; u)   = ⟨W_Q e(x), W_K e(u)⟩,        ν_content(u)      = W_V e(u),

    so that H(x) = (Σ_i e^{σ_prefix,i} ν_prefix,i + Σ_c e^{σ_content,c} ν_content,c) / (Σ_i e^{σ_prefix,i} + Σ_c e^{σ_content,c}).
    """

    x: tuple[sympy.Symbol, ...]
    k: tuple[sympy.Symbol, ...]
    b: sympy.Symbol
    v: tuple[sympy.Symbol, ...]
    u: tuple[sympy.Symbol, ...]
    prefix_score: sympy.Expr
    prefix_value: sympy.Matrix
    content_score: sympy.Expr
    content_value: sympy.Matrix

    def output(self, prefix_tokens: int = 1, content_tokens: int = 1) -> sympy.Matrix:
        """H(x) in sympy for generic symbolic tokens (N prefix, T content), from the per-token terms."""
        terms = []
        for i in range(prefix_tokens):
            rename = {s: sympy.Symbol(f"{s.name}_{i}", real=True) for s in (*self.k, self.b, *self.v)}
            terms.append((self.prefix_score.xreplace(rename), self.prefix_value.xreplace(rename)))
        for c in range(content_tokens):
            rename = {s: sympy.Symbol(f"{s.name}_{c}", real=True) for s in self.u}
            terms.append((self.content_score.xreplace(rename), self.content_value.xreplace(rename)))
        return softmax_sympy(terms)

    def _compile(self, modules) -> tuple:
        """(σ_prefix, σ_content, ν_prefix, ν_content) as functions for one numeric back-end."""
        prefix_args = (*self.k, self.b, *self.v)
        return (
            sympy.lambdify((*self.x, *prefix_args), self.prefix_score, modules=modules),
            sympy.lambdify((*self.x, *self.u), self.content_score, modules=modules),
            sympy.lambdify(prefix_args, list(self.prefix_value), modules=modules),
            sympy.lambdify(self.u, list(self.content_value), modules=modules),
        )

    @cached_property
    def _numpy(self) -> tuple:
        return self._compile(NUMPY)

    @cached_property
    def _mp(self) -> tuple:
        return self._compile("mpmath")

    def weights_numpy(self, X: np.ndarray, prefix: Prefix, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Softmax weights at the rows of X (P, m+1): prefix (P, N) and content (P, T); content is (P, T, m+1)."""
        score_p, score_c, _, _ = self._numpy
        K, b, V = (np.asarray(a, float) for a in (prefix.keys, prefix.biases, prefix.values))
        sp = score_p(*(X[:, j, None] for j in range(X.shape[1])), *(K[None, :, j] for j in range(K.shape[1])), b[None, :],
                     *(V[None, :, j] for j in range(V.shape[1])))
        sc = score_c(*(X[:, j, None] for j in range(X.shape[1])), *(content[:, :, j] for j in range(content.shape[2])))
        sp = np.broadcast_to(sp, (len(X), len(prefix)))
        sc = np.broadcast_to(sc, content.shape[:2])
        w = softmax_numpy(np.concatenate([sp, sc], axis=1))
        return w[:, : len(prefix)], w[:, len(prefix):]

    def values_numpy(self, prefix: Prefix, content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ν_prefix for every prefix token (N, d) and ν_content for every content token (P, T, d)."""
        _, _, nu_p, nu_c = self._numpy
        K, b, V = (np.asarray(a, float) for a in (prefix.keys, prefix.biases, prefix.values))
        vp = np.column_stack([np.broadcast_to(c, (len(K),)) for c in nu_p(*K.T, b, *V.T)])
        vc = np.stack([np.broadcast_to(c, content.shape[:2]) for c in nu_c(*np.moveaxis(content, -1, 0))], axis=-1)
        return vp, vc

    def output_numpy(self, X: np.ndarray, prefix: Prefix, content: np.ndarray) -> np.ndarray:
        """H at the rows of X through the closed form, float64 log-sum-exp, shape (P, d)."""
        wp, wc = self.weights_numpy(X, prefix, content)
        vp, vc = self.values_numpy(prefix, content)
        return matmul(wp, vp) + np.einsum("pt,ptd->pd", wc, vc)

    def weights_mp(self, x: Sequence, prefix: Prefix, content: Sequence[Sequence]) -> tuple[list, list]:
        """Softmax weights at the current mpmath precision: prefix (N) and content (T); entries are mpf."""
        score_p, score_c, _, _ = self._mp
        scores = [score_p(*x, *k, b, *v) for k, b, v in zip(prefix.keys, prefix.biases, prefix.values)]
        scores += [score_c(*x, *u) for u in content]
        w = softmax_mp(scores)
        return w[: len(prefix)], w[len(prefix):]

    def values_mp(self, prefix: Prefix, content: Sequence[Sequence]) -> tuple[list, list]:
        """ν_prefix for every prefix token and ν_content for every content token, at the current precision."""
        _, _, nu_p, nu_c = self._mp
        return [nu_p(*k, b, *v) for k, b, v in zip(prefix.keys, prefix.biases, prefix.values)], [nu_c(*u) for u in content]

    def output_mp(self, x: Sequence, prefix: Prefix, content: Sequence[Sequence]) -> list:
        """H(x) through the closed form at the current mpmath precision; prefix entries are mpf."""
        wp, wc = self.weights_mp(x, prefix, content)
        vp, vc = self.values_mp(prefix, content)
        return weighted_sum_mp(wp + wc, vp + vc)


def derive_closed_form(head: Head, m: int, d: int) -> ClosedForm:
    """Derive the per-token scores and values of ``head`` at the query e(x) = (x, 1, 0_d), x ∈ R^(m+1).

    Generic tokens: a prefix token s = (k, b, v) ∈ R^(m+1) × R × R^d and a content token e(u); ``head`` reads
    tokens of dimension m+2+d (m = 0 for points of R, as on an interval).
    """
    if head.token_dim != m + 2 + d:
        raise InputError(f"the head reads tokens of dimension {head.token_dim}, but m+2+d = {m + 2 + d}")
    x = sympy.symbols(f"x0:{m + 1}", real=True)
    k = sympy.symbols(f"k0:{m + 1}", real=True)
    b = sympy.Symbol("b", real=True)
    v = sympy.symbols(f"v0:{d}", real=True)
    u = sympy.symbols(f"u0:{m + 1}", real=True)
    query = head.W_Q * sympy.Matrix(embedding(x, d))
    s = sympy.Matrix([*k, b, *v])
    e_u = sympy.Matrix(embedding(u, d))
    return ClosedForm(
        x=x, k=k, b=b, v=v, u=u,
        prefix_score=sympy.expand((query.T * head.W_K * s)[0, 0]),
        prefix_value=head.W_V * s,
        content_score=sympy.expand((query.T * head.W_K * e_u)[0, 0]),
        content_value=head.W_V * e_u,
    )


def softmax_sympy(terms: Sequence[tuple[sympy.Expr, sympy.Matrix]]) -> sympy.Matrix:
    """Σ_j e^{σ_j} ν_j / Σ_j e^{σ_j} for symbolic (σ_j, ν_j)."""
    num = sum((sympy.exp(s) * v for s, v in terms), sympy.zeros(*terms[0][1].shape))
    den = sum(sympy.exp(s) for s, _ in terms)
    return num / den


def softmax_numpy(scores: np.ndarray) -> np.ndarray:
    """Row-wise softmax by log-sum-exp: e^{σ_j − max σ}/Σ_l e^{σ_l − max σ} (never exp of a raw score), with the
    exp of verifier.reproducible (the same bits on every machine)."""
    shifted = scores - scores.max(axis=-1, keepdims=True)
    w = exp(shifted)
    return w / w.sum(axis=-1, keepdims=True)


def tail_log_budget(tokens: float, digits: float) -> float:
    """G = ln(tokens) + digits·ln 10: when every one of ``tokens`` dropped tokens scores at least G below the best
    kept one, they weigh together at most tokens·e^{−G} = 10^−digits relative to it. Each cut of the tokens
    that matter (a point's near tokens, a cell's neighbours, a grid window) sizes its margin from it."""
    return math.log(tokens) + digits * math.log(10)


def softmax_mp(scores: Sequence) -> list:
    """e^{σ_j − max σ} / Σ_l e^{σ_l − max σ} at the current mpmath precision."""
    top = max(scores)
    weights = [mpmath.exp(s - top) for s in scores]
    total = mpmath.fsum(weights)
    return [w / total for w in weights]


def weighted_sum_mp(weights: Sequence, values: Sequence[Sequence]) -> list:
    """Σ_j w_j ν_j for mpf weights and value vectors."""
    return [mpmath.fsum(w * v[i] for w, v in zip(weights, values)) for i in range(len(values[0]))]


def forward_matrix_sympy(head: Head, query: Sequence, tokens: Sequence[Sequence]) -> sympy.Matrix:
    """The plain matrix forward pass in sympy for one query over (symbolic) tokens."""
    q = head.W_Q * sympy.Matrix(list(query))
    terms = [((q.T * head.W_K * sympy.Matrix(list(t)))[0, 0], head.W_V * sympy.Matrix(list(t))) for t in tokens]
    return softmax_sympy(terms)


def forward_matrix_numpy(head: Head, queries: np.ndarray, shared: np.ndarray, own: np.ndarray) -> np.ndarray:
    """The plain matrix forward pass in float64.

    queries (P, D): query tokens; shared (N, D): tokens every query sees (the prefix);
    own (P, T, D): each query's own context tokens. Returns (P, d_v).
    """
    W_Q, W_K, W_V = head.numpy_weights
    q = matmul(queries, W_Q.T)
    own_keys, own_values = np.einsum("ptb,ab->pta", own, W_K), np.einsum("ptb,db->ptd", own, W_V)
    scores = np.concatenate([matmul(q, matmul(shared, W_K.T).T), np.einsum("pa,pta->pt", q, own_keys)], axis=1)
    w = softmax_numpy(scores)
    N = len(shared)
    return matmul(w[:, :N], matmul(shared, W_V.T)) + np.einsum("pt,ptd->pd", w[:, N:], own_values)


def forward_matrix_mp(head: Head, query: Sequence, tokens: Sequence[Sequence]) -> list:
    """The plain matrix forward pass at the current mpmath precision for one query."""
    W_Q, W_K, W_V = (mpmath.matrix(W.tolist()) for W in (head.W_Q, head.W_K, head.W_V))
    q = W_Q * mpmath.matrix(list(query))
    scores, values = [], []
    for t in tokens:
        t = mpmath.matrix(list(t))
        key, val = W_K * t, W_V * t
        scores.append(mpmath.fsum(q[i] * key[i] for i in range(key.rows)))
        values.append([val[i] for i in range(val.rows)])
    return weighted_sum_mp(softmax_mp(scores), values)


def scores_arb(head: Head, query: Sequence[arb], tokens: Sequence[Sequence[arb]]) -> list[arb]:
    """σ_j = ⟨W_Q t_q, W_K t_j⟩ as balls at arb's current precision, the weights read exactly
    (``verifier.ball.arb_rational``)."""
    W_Q, W_K = (_arb_matrix(W) for W in (head.W_Q, head.W_K))
    q = W_Q * _arb_column(query)
    keys = [W_K * _arb_column(t) for t in tokens]
    return [sum((q[i, 0] * k[i, 0] for i in range(k.nrows())), arb(0)) for k in keys]


def values_arb(head: Head, tokens: Sequence[Sequence[arb]]) -> list[list[arb]]:
    """W_V t_j as balls, the weights read exactly."""
    W_V = _arb_matrix(head.W_V)
    return [[v[i, 0] for i in range(v.nrows())] for v in (W_V * _arb_column(t) for t in tokens)]


def softmax_arb(scores: Sequence[arb]) -> list[arb]:
    """Balls containing e^{σ_j − c} / Σ_l e^{σ_l − c} = softmax(σ)_j, with c the largest score's midpoint (an exact
    number: subtracting it only keeps the exponentials in range)."""
    shift = arb(max(s.mid() for s in scores))
    weights = [(s - shift).exp() for s in scores]
    total = sum(weights, arb(0))
    return [w / total for w in weights]


def weighted_sum_arb(weights: Sequence[arb], values: Sequence[Sequence[arb]]) -> list[arb]:
    """Σ_j w_j ν_j for balls."""
    return [sum((w * v[k] for w, v in zip(weights, values)), arb(0)) for k in range(len(values[0]))]


def forward_matrix_arb(head: Head, query: Sequence[arb], tokens: Sequence[Sequence[arb]]) -> list[arb]:
    """The plain matrix forward pass in ball arithmetic at arb's current precision, for one query:
    H = Σ_j softmax(σ)_j W_V t_j; every returned ball contains the true H_k."""
    return weighted_sum_arb(softmax_arb(scores_arb(head, query, tokens)), values_arb(head, tokens))


def _arb_matrix(W: sympy.Matrix) -> arb_mat:
    from .ball import arb_rational

    return arb_mat([[arb_rational(e) for e in row] for row in W.tolist()])


def _arb_column(t: Sequence[arb]) -> arb_mat:
    return arb_mat([[a] for a in t])
