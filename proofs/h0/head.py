"""The H0 head, W_Q = W_K = [I_(m+2) | 0] and W_V = [0 | I_d] on tokens of dimension m+2+d, and its closed form.

At the query e(x) = (x, 1, 0_d) (x ∈ S^m) a prefix token s = (k, b, v) scores ⟨x, k⟩ + b and carries v; a content
token e(u) scores ⟨x, u⟩ + 1 and carries 0_d. These terms are derived from the matrices by
``verifier.attention.derive_closed_form``, and closed_form.py checks that they are the stated ones.
"""
from __future__ import annotations

import sympy

from verifier.attention import ClosedForm, Head, derive_closed_form
from verifier.errors import InputError


def h0_head(m: int, d: int) -> Head:
    """H0 for S^m and values in R^d: W_Q = W_K = [I_(m+2) | 0], W_V = [0 | I_d]."""
    if m < 1 or d < 1:
        raise InputError(f"H0 needs m ≥ 1 and d ≥ 1; got m={m}, d={d}")
    read_qk = sympy.Matrix.hstack(sympy.eye(m + 2), sympy.zeros(m + 2, d))
    read_v = sympy.Matrix.hstack(sympy.zeros(d, m + 2), sympy.eye(d))
    return Head(read_qk, read_qk, read_v)


def h0_closed_form(m: int, d: int) -> ClosedForm:
    """H0's per-token scores and values, derived from its matrices."""
    return derive_closed_form(h0_head(m, d), m, d)
