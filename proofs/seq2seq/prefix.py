"""The prefix of S1's token-wise head: a grid of tokens realising z ↦ h_p(z) on [lo, hi] at every position p.

A prefix token with (z, one, pos, slot) = (λa, −λa²/2 + β, γ e_q, v) scores, at a query (z, 1, e_p),
    ⟨(z, 1, e_p), (λa, −λa²/2 + β, γ e_q)⟩ = λz²/2 − λ(z − a)²/2 + β + γ[q = p],
so among prefix tokens the softmax is the Gaussian kernel e^{−λ(z−a)²/2} (λz²/2 cancels) and γ
selects the tokens of the query's own position; a content token t_c scores z·z_c + 1 + [c = p] and
carries value slot = 0. With the grid a_i = lo + i(hi − lo)/K and v = h_q(a_i) the head realises
z ↦ h_p(z) on [lo, hi] at every position p (bound: proofs.seq2seq).

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

import mpmath
import numpy as np
import sympy

from verifier.attention import tail_log_budget
from verifier.precision import exact_to_mp
from verifier.reproducible import NUMPY

from .stream import Stream

TAIL_DIGITS = 300  # the windowed closed form leaves out attention mass ≤ 10^−300 (far below any check precision)
Z = sympy.Symbol("z", real=True)  # the register value a token-wise head reads


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
            f = sympy.lambdify(Z, h, modules=NUMPY)
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
