"""Tests for proofs/h0/head.py: H0's matrices and the closed form derived from them."""
from __future__ import annotations

import pytest
import sympy

from proofs.h0.head import h0_closed_form, h0_head
from verifier.errors import InputError


@pytest.mark.parametrize("m,d", [(1, 1), (2, 1), (1, 3), (3, 2)])
def test_h0_shapes_and_entries(m, d):
    h = h0_head(m, d)
    D = m + 2 + d
    assert h.W_Q.shape == (m + 2, D) and h.W_K.shape == (m + 2, D) and h.W_V.shape == (d, D)
    assert h.token_dim == D and h.value_dim == d
    assert h.W_Q == h.W_K
    assert h.W_Q[:, : m + 2] == sympy.eye(m + 2) and h.W_Q[:, m + 2:] == sympy.zeros(m + 2, d)
    assert h.W_V[:, m + 2:] == sympy.eye(d) and h.W_V[:, : m + 2] == sympy.zeros(d, m + 2)
    WQ, WK, WV = h.numpy_weights
    assert WQ.shape == (m + 2, D) and WV.shape == (d, D) and WQ.dtype == float


@pytest.mark.parametrize("m,d", [(0, 1), (1, 0), (-1, 2)])
def test_h0_rejects_bad_dimensions(m, d):
    with pytest.raises(InputError, match="m ≥ 1 and d ≥ 1"):
        h0_head(m, d)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("d", [1, 2])
def test_derive_closed_form_h0(m, d):
    cf = h0_closed_form(m, d)
    x, k, b, v, u = cf.x, cf.k, cf.b, cf.v, cf.u
    assert len(x) == len(k) == len(u) == m + 1 and len(v) == d
    assert sympy.expand(cf.prefix_score - (sum(xi * ki for xi, ki in zip(x, k)) + b)) == 0
    assert sympy.expand(cf.content_score - (sum(xi * ui for xi, ui in zip(x, u)) + 1)) == 0
    assert (cf.prefix_value - sympy.Matrix(v)).expand() == sympy.zeros(d, 1)
    assert cf.content_value == sympy.zeros(d, 1)
