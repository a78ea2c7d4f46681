"""The prefixed H0 head at x through its derived closed form, shared by the evaluators of single-head and
smoothing: the softmax weights and values of the prefix tokens and of the T content tokens (copies of x,
score ⟨x, x⟩ + 1 = 2: the worst case for leakage) and f(x), in float64 and at the current mpmath precision,

    H(x) = Σ_i w_i ν_i + Σ_c w_c ν_c,   w = softmax of the derived scores.

Each theorem's evaluator splits H − f into its own parts from these terms.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np

from verifier.attention import ClosedForm, Prefix
from verifier.reproducible import matmul


@dataclass(frozen=True)
class HeadTerms:
    """The terms of H(x): prefix weights w_i and values ν_i, content weights w_c and values ν_c, and f(x)
    (float64 arrays with a leading row axis, or lists of mpf at one point)."""

    prefix_weights: Any
    prefix_values: Any
    content_weights: Any
    content_values: Any
    target: Any

    def output_f64(self) -> np.ndarray:
        """H at the rows: Σ_i w_i ν_i + Σ_c w_c ν_c, shape (P, d)."""
        return matmul(self.prefix_weights, self.prefix_values) + self.content_sum_f64()

    def content_sum_f64(self) -> np.ndarray:
        """Σ_c w_c ν_c at the rows, shape (P, d)."""
        return np.einsum("pt,ptd->pd", self.content_weights, self.content_values)


class H0Evaluator:
    """A construction's prefix on the H0 head, evaluated through the head's derived closed form."""

    def __init__(self, construction, closed_form: ClosedForm):
        self.c = construction
        self.cf = closed_form
        self.target = construction.params.target
        self.T = construction.params.context

    def content_f64(self, X: np.ndarray) -> np.ndarray:
        """The content tokens: T copies of x itself (score ⟨x,x⟩+1 = 2, the worst case for leakage)."""
        return np.repeat(X[:, None, :], self.T, axis=1)

    def terms_f64(self, X: np.ndarray, prefix: Prefix) -> HeadTerms:
        """The terms of H at the rows of X with the float64 ``prefix``."""
        content = self.content_f64(X)
        wp, wc = self.cf.weights_numpy(X, prefix, content)
        vp, vc = self.cf.values_numpy(prefix, content)
        return HeadTerms(wp, vp, wc, vc, self.target.numpy(X))

    def terms_mp(self, xm: Sequence, prefix: Prefix, prefix_values: Optional[list] = None) -> HeadTerms:
        """The terms of H at x ∈ S^m (mpf) with ``prefix`` at the current precision (``prefix_values``: its ν_i
        when the caller has them already)."""
        content = [xm] * self.T
        wp, wc = self.cf.weights_mp(xm, prefix, content)
        vp, vc = self.cf.values_mp(prefix, content)
        return HeadTerms(wp, vp if prefix_values is None else prefix_values, wc, vc, self.target.mp(xm))
