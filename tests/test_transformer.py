"""Tests for S1's transformer: the stream and the fixed heads (proofs/seq2seq/stream.py), the token-wise prefix
(prefix.py), the derived closed form (tokenwise_form.py) and the four passes (transformer.py)."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from verifier.errors import InputError
from proofs.seq2seq.prefix import TokenwisePrefix, Z
from proofs.seq2seq.stream import Layer, Stream, mixing_head, single_token_head, tokenwise_head
from proofs.seq2seq.tokenwise_form import derive_tokenwise
from proofs.seq2seq.transformer import Transformer

FAST = settings(max_examples=15, deadline=None, derandomize=True)


def small_model(n=3, lam=40, beta=1, gamma=6, cells=8, lo=sympy.Rational(-1, 2), hi=sympy.Integer(1)):
    """A token-wise layer (x → u) with arbitrary smooth targets, a mixing layer (u → s) and a second token-wise layer (s → y)."""
    stream = Stream(n, ("u", "s", "y"))
    targets = tuple(sympy.sin((p + 1) * Z) + p * Z**2 / 3 for p in range(n))
    first = TokenwisePrefix(sympy.Integer(0), sympy.Integer(1), cells, sympy.Integer(lam), sympy.Integer(beta),
                            sympy.Integer(gamma), targets)
    second = TokenwisePrefix(lo, hi * n, cells, sympy.Integer(lam), sympy.Integer(beta), sympy.Integer(gamma),
                             tuple(sympy.cos(Z) * (p + 1) for p in range(n)))
    layers = (Layer("a", "tokenwise", "x", "u", tokenwise_head(stream, "x", "u"), first),
              Layer("m", "mixing", "u", "s", mixing_head(stream, "u", "s")),
              Layer("b", "tokenwise", "s", "y", tokenwise_head(stream, "s", "y"), second))
    return Transformer(stream, layers)


def test_stream_layout_and_embedding():
    stream = Stream(3, ("u", "y"))
    assert stream.names == ("x", "one", "pos_1", "pos_2", "pos_3", "slot", "u", "y") and stream.dim == 8
    T = stream.embed_numpy(np.array([[0.1, 0.2, 0.3]]))
    assert T.shape == (1, 3, 8)
    assert np.array_equal(T[0], np.array(stream.embed([0.1, 0.2, 0.3]), float))
    assert np.array_equal(T[0, :, 2:5], np.eye(3)) and np.all(T[0, :, 1] == 1) and np.all(T[0, :, 5:] == 0)


@pytest.mark.parametrize("work", [("x",), ("u", "u"), ("slot",)])
def test_stream_refuses_clashing_registers(work):
    with pytest.raises(InputError, match="distinct"):
        Stream(2, work)


def test_derived_tokenwise_closed_form():
    model = small_model()
    cf = derive_tokenwise(model.stream, model.layers[0])
    s_read, s_one, s_pos, s_slot = cf.s[:4]
    assert sympy.expand(cf.prefix_score - (cf.z * s_read + s_one + s_pos)) == 0
    assert sympy.expand(cf.content_score_same - (cf.z * cf.t[0] + 2)) == 0
    assert sympy.expand(cf.content_score_other - (cf.z * cf.t[0] + 1)) == 0
    assert cf.prefix_value == s_slot and cf.content_value == cf.t[3]


def test_prefix_tokens_layout():
    model = small_model(n=2, cells=4)
    layer = model.layers[0]
    S = layer.prefix.tokens_numpy(model.stream, "x")
    assert S.shape == (2 * 5, model.stream.dim)
    a = np.linspace(0, 1, 5)
    i = model.stream.index
    assert np.allclose(S[:5, i("x")], 40 * a) and np.allclose(S[:5, i("one")], -40 * a**2 / 2 + 1)
    assert np.all(S[:5, i("pos_1")] == 6) and np.all(S[:5, i("pos_2")] == 0) and np.all(S[5:, i("pos_2")] == 6)
    assert np.allclose(S[5:, i("slot")], np.sin(2 * a) + a**2 / 3)


def test_windowed_closed_form_equals_matrix_pass():
    model = small_model()
    X = np.random.default_rng(1).random((40, 3))
    windowed, inc_w = model.forward_numpy(X)
    matrix, inc_m = model.forward_matrix_numpy(X)
    assert np.max(np.abs(windowed - matrix)) < 1e-12
    for a, b in zip(inc_w, inc_m):
        assert np.max(np.abs(a - b)) < 1e-12


@FAST
@given(st.floats(-3, 4), st.integers(0, 2), st.floats(1, 400))
def test_window_keeps_every_token_that_matters(z, p, lam):
    """Queries inside and outside the interval, weak and sharp kernels: the window loses nothing visible."""
    model = small_model(lam=lam, cells=30)
    layer = model.layers[2]
    zc = np.array([[z, 0.3, -0.2]])
    zc[0, p] = z
    att = model.tokenwise_attention_numpy(layer, np.array([z]), np.array([p]), zc, np.zeros((1, 3)))
    windowed = float((att.prefix_weights * att.prefix_values).sum() + (att.content_weights * att.content_values).sum())
    T = np.zeros((1, 3, model.stream.dim))
    T[0, :, model.stream.index("one")] = 1
    T[0, :, 2:5] = np.eye(3)
    T[0, :, model.stream.index("s")] = zc[0]
    from proofs.seq2seq.transformer import _matrix_layer_numpy
    dense = _matrix_layer_numpy(layer.head, T, layer.prefix.tokens_numpy(model.stream, "s"))[0, p, model.stream.index("y")]
    assert windowed == pytest.approx(dense, rel=1e-12, abs=1e-12)


def test_mpmath_pass_agrees_with_float64_and_between_precisions():
    model = small_model()
    x = [0.21, 0.77, 0.5]
    T64, _ = model.forward_numpy(np.array([x]))
    with mpmath.workdps(30):
        T30, _ = model.forward_mp(x)
    with mpmath.workdps(60):
        T60, _ = model.forward_mp(x)
    y = model.stream.index("y")
    for p in range(3):
        assert float(T30[p][y]) == pytest.approx(T64[0, p, y], abs=1e-12)
        assert abs(T30[p][y] - T60[p][y]) < mpmath.mpf(10) ** -25


def test_mixing_head_writes_the_sum_and_the_broken_one_reads_token_one():
    stream = Stream(3, ("u", "s"))
    T = stream.embed_numpy(np.zeros((1, 3)))
    T[0, :, stream.index("u")] = [1.0, 2.0, 4.0]
    for head, expected in ((mixing_head(stream, "u", "s"), 7.0), (single_token_head(stream, "u", "s"), 3.0)):
        model = Transformer(stream, (Layer("m", "mixing", "u", "s", head),))
        from proofs.seq2seq.transformer import _matrix_layer_numpy
        out = _matrix_layer_numpy(head, T, None)
        assert np.allclose(out[0, :, stream.index("s")], expected)
        with mpmath.workdps(30):
            from proofs.seq2seq.transformer import _matrix_layer_mp
            mp_out = _matrix_layer_mp(head, [[mpmath.mpf(v) for v in row] for row in T[0]], (stream.index("s"),))
        assert [float(v) for (v,) in mp_out] == pytest.approx([expected] * 3, abs=1e-12)
        assert model.depth == 1


def test_sympy_pass_derives_the_mixing_and_uses_the_ideal_heads():
    model = small_model(n=2)
    x = sympy.symbols("x1:3", real=True)
    ideal = {"a": lambda z, p: z**2 * p, "b": lambda z, p: 3 * z + p}
    T = model.forward_sympy(x, ideal)
    y = model.stream.index("y")
    s = x[0] ** 2 * 1 + x[1] ** 2 * 2  # Σ_c u_c from the derived mixing layer
    assert [sympy.simplify(T[p][y] - (3 * s + p + 1)) for p in range(2)] == [0, 0]
    with pytest.raises(InputError, match="ideal output"):
        model.forward_sympy(x, {"a": ideal["a"]})


def test_the_mpmath_matrix_pass_matches_the_float64_one_and_the_windowed_form():
    """Transformer.forward_matrix_mp (every prefix token, every non-zero row of W_V) agrees with the float64 matrix
    pass to float64 rounding and with the windowed closed form in mpmath far below float64's."""
    from proofs.seq2seq.construction import Construction
    from proofs.seq2seq.ridge import SHIPPED

    tr = Construction(SHIPPED["neighbour-products"](2), sympy.Rational(1, 5)).transformer
    x = np.array([0.3, 0.8])
    with mpmath.workdps(30):
        matrix = tr.forward_matrix_mp(x)
        windowed = tr.forward_mp(x)[0]
        assert max(abs(a - b) for ra, rb in zip(matrix, windowed) for a, b in zip(ra, rb)) < mpmath.mpf(10) ** -25
    reference = tr.forward_matrix_numpy(x[None, :])[0][0]
    assert np.allclose(np.array(matrix, dtype=float), reference, rtol=0, atol=1e-12)
