"""Tests for verifier/attention.py: heads, the derived closed form, and the numeric back-ends (on H0, proofs/h0/head.py,
and on random heads)."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy
from flint import arb, ctx
from hypothesis import example, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from verifier.attention import (
    Head,
    Prefix,
    derive_closed_form,
    embedding,
    embedding_numpy,
    forward_matrix_arb,
    forward_matrix_mp,
    forward_matrix_numpy,
    forward_matrix_sympy,
    softmax_mp,
    softmax_numpy,
    softmax_sympy,
    weighted_sum_mp,
)
from verifier.ball import arb_rational
from verifier.domains import Sphere
from verifier.errors import InputError

from proofs.h0.head import h0_closed_form, h0_head
from proofs.single_head.grid import CubeSurfaceGrid

FAST = settings(max_examples=20, deadline=None, derandomize=True)


# --------------------------------------------------------------------------- helpers


def embed_numpy(X: np.ndarray, d: int) -> np.ndarray:
    """e(x) = (x, 1, 0_d) for the last axis of X."""
    ones = np.ones(X.shape[:-1] + (1,))
    zeros = np.zeros(X.shape[:-1] + (d,))
    return np.concatenate([X, ones, zeros], axis=-1)


def random_instance(rng, m, d, N=5, T=3, P=6, scale=1.0):
    sphere = Sphere(m)
    X = sphere.uniform(P, int(rng.integers(2**31)))
    prefix = Prefix(
        scale * rng.standard_normal((N, m + 1)), rng.standard_normal(N), rng.standard_normal((N, d))
    )
    content = np.stack([sphere.uniform(T, int(rng.integers(2**31))) for _ in range(P)])  # (P, T, m+1)
    return X, prefix, content


def matrix_path(head, X, prefix, content, d):
    return forward_matrix_numpy(head, embed_numpy(X, d), prefix.tokens(), embed_numpy(content, d))


def random_integer_head(rng, m, d, key_reads_value=True):
    D = m + 2 + d
    rows = m + 2
    W_Q = rng.integers(-2, 3, (rows, D))
    W_K = rng.integers(-2, 3, (rows, D))
    if not key_reads_value:
        W_K[:, m + 2:] = 0
    W_V = rng.integers(-2, 3, (d, D))
    return Head(*(sympy.Matrix(W.tolist()) for W in (W_Q, W_K, W_V)))


# --------------------------------------------------------------------------- Head


@pytest.mark.parametrize(
    "shapes",
    [
        ((3, 5), (3, 4), (1, 5)),  # W_K has other column count
        ((3, 5), (2, 5), (1, 5)),  # W_Q and W_K rows differ
        ((3, 5), (3, 5), (1, 6)),  # W_V columns differ
    ],
)
def test_mismatched_head_shapes(shapes):
    with pytest.raises(InputError, match="head shapes do not match.*; W_Q and W_K need the same shape and all three the same number of columns$"):
        Head(*(sympy.ones(*s) for s in shapes))


def test_closed_form_rejects_wrong_token_dimension():
    with pytest.raises(InputError, match="tokens of dimension 5, but m\\+2\\+d = 4$"):
        derive_closed_form(h0_head(2, 1), 1, 1)


def test_prefix_length_mismatch():
    with pytest.raises(InputError, match="^a prefix needs as many keys, biases and values as tokens$"):
        Prefix(np.zeros((3, 2)), np.zeros(2), np.zeros((3, 1)))


def test_embedding():
    assert embedding([0.6, 0.8], 2) == [0.6, 0.8, 1, 0, 0]


# --------------------------------------------------------------------------- derived closed form


def test_closed_form_output_matches_claims_h0_formula():
    m, d = 2, 1
    cf = h0_closed_form(m, d)
    out = cf.output(2, 1)
    R = lambda name: sympy.Symbol(name, real=True)
    x = sympy.symbols("x0:3", real=True)
    score = lambda i: sum(x[j] * R(f"k{j}_{i}") for j in range(3)) + R(f"b_{i}")
    content = sum(x[j] * R(f"u{j}_0") for j in range(3)) + 1
    num = sympy.exp(score(0)) * R("v0_0") + sympy.exp(score(1)) * R("v0_1")
    den = sympy.exp(score(0)) + sympy.exp(score(1)) + sympy.exp(content)
    expected = num / den
    assert out.shape == (1, 1)
    assert sympy.simplify(out[0, 0] - expected) == 0
    # a wrong formula (content value 1 instead of 0) is detected
    assert sympy.simplify(out[0, 0] - (num + sympy.exp(content)) / den) != 0


@FAST
@given(seed=st.integers(0, 2**31), m=st.integers(1, 2), d=st.integers(1, 2))
def test_h0_closed_form_equals_matrix_forward_pass(seed, m, d):
    rng = np.random.default_rng(seed)
    head = h0_head(m, d)
    cf = derive_closed_form(head, m, d)
    X, prefix, content = random_instance(rng, m, d, scale=3.0)
    closed = cf.output_numpy(X, prefix, content)
    assert closed.shape == (len(X), d)
    assert np.allclose(closed, matrix_path(head, X, prefix, content, d), rtol=1e-12, atol=1e-12)
    # explicit H0 formula of docs/h0.md, in plain numpy
    sp = X @ prefix.keys.T + prefix.biases
    sc = np.einsum("pa,pta->pt", X, content) + 1
    top = np.maximum(sp.max(axis=1), sc.max(axis=1))[:, None]
    wp, wc = np.exp(sp - top), np.exp(sc - top)
    explicit = (wp @ prefix.values) / (wp.sum(axis=1) + wc.sum(axis=1))[:, None]
    assert np.allclose(closed, explicit, rtol=1e-12, atol=1e-12)


@FAST
@given(seed=st.integers(0, 2**31), m=st.integers(1, 2), d=st.integers(1, 2))
def test_general_head_closed_form_equals_matrix_path_when_keys_ignore_values(seed, m, d):
    """A random-integer head whose W_K does not read the value coordinates of a token."""
    rng = np.random.default_rng(seed)
    head = random_integer_head(rng, m, d, key_reads_value=False)
    cf = derive_closed_form(head, m, d)
    X, prefix, content = random_instance(rng, m, d, scale=0.5)
    closed = cf.output_numpy(X, prefix, content)
    plain = matrix_path(head, X, prefix, content, d)
    assert np.allclose(closed, plain, rtol=1e-12, atol=1e-12)
    # and in mpmath at 30 digits
    with mpmath.workdps(30):
        mpf = lambda a: [mpmath.mpf(float(t)) for t in a]
        pre_mp = Prefix([mpf(k) for k in prefix.keys], mpf(prefix.biases), [mpf(v) for v in prefix.values])
        for p in range(2):
            x = mpf(X[p])
            us = [mpf(u) for u in content[p]]
            a = cf.output_mp(x, pre_mp, us)
            tokens = [k + [b] + v for k, b, v in zip(pre_mp.keys, pre_mp.biases, pre_mp.values)]
            tokens += [embedding(u, d) for u in us]
            ref = forward_matrix_mp(head, embedding(x, d), tokens)
            assert len(a) == len(ref) == d
            assert all(abs(s - t) < mpmath.mpf(10) ** -25 for s, t in zip(a, ref))
            assert np.allclose([float(s) for s in a], closed[p], rtol=1e-12, atol=1e-12)


def both_mp_paths(head, cf, X, prefix, content, d):
    """H at X[0] at the current precision through the closed form and through the matrix pass."""
    mpf = lambda a: [mpmath.mpf(float(t)) for t in a]  # noqa: E731
    pre_mp = Prefix([mpf(k) for k in prefix.keys], mpf(prefix.biases), [mpf(v) for v in prefix.values])
    x, us = mpf(X[0]), [mpf(u) for u in content[0]]
    tokens = [k + [b] + v for k, b, v in zip(pre_mp.keys, pre_mp.biases, pre_mp.values)]
    tokens += [embedding(u, d) for u in us]
    return cf.output_mp(x, pre_mp, us), forward_matrix_mp(head, embedding(x, d), tokens)


@pytest.mark.parametrize("backend", ["numpy", "mp"])
def test_general_head_closed_form_equals_matrix_path(backend):
    m, d = 2, 1
    rng = np.random.default_rng(0)
    head = random_integer_head(rng, m, d, key_reads_value=True)
    cf = derive_closed_form(head, m, d)
    assert any(s in cf.prefix_score.free_symbols for s in cf.v)  # the key reads the value part
    X, prefix, content = random_instance(rng, m, d, scale=0.5)
    if backend == "numpy":
        closed = cf.output_numpy(X, prefix, content)
        assert np.allclose(closed, matrix_path(head, X, prefix, content, d), rtol=1e-12, atol=1e-12)
    else:
        with mpmath.workdps(30):
            a, ref = both_mp_paths(head, cf, X, prefix, content, d)
            assert all(abs(s - t) < mpmath.mpf(10) ** -25 for s, t in zip(a, ref))


@FAST
@given(seed=st.integers(0, 2**31))
def test_h0_output_mp_equals_forward_matrix_mp(seed):
    m, d = 1, 2
    rng = np.random.default_rng(seed)
    head = h0_head(m, d)
    cf = derive_closed_form(head, m, d)
    X, prefix, content = random_instance(rng, m, d, N=4, T=2, P=1, scale=5.0)
    with mpmath.workdps(30):
        a, ref = both_mp_paths(head, cf, X, prefix, content, d)
        assert all(abs(s - t) < mpmath.mpf(10) ** -25 for s, t in zip(a, ref))
    assert np.allclose([float(s) for s in a], cf.output_numpy(X, prefix, content)[0], rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- softmax


@FAST
@given(
    scores=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=8),
                      elements=st.floats(-50, 50)),
    c=st.floats(-1e4, 1e4),
)
@example(scores=np.array([[0.0, 1.0, -3.0], [5.0, 5.0, 5.0]]), c=1e4)
@example(scores=np.array([[1000.0, 999.0, 0.0]]), c=1e4)
def test_softmax_numpy_shift_invariant_and_normalised(scores, c):
    w = softmax_numpy(scores)
    w_shift = softmax_numpy(scores + c)
    assert np.all(np.isfinite(w_shift)) and np.all(w_shift >= 0) and np.all(w_shift <= 1)
    assert np.allclose(w.sum(axis=1), 1, atol=1e-12)
    assert np.allclose(w_shift.sum(axis=1), 1, atol=1e-12)
    assert np.allclose(w, w_shift, atol=1e-9)
    # and it is the softmax: ratios of weights are exponentials of score differences
    top = scores.max(axis=1, keepdims=True)
    assert np.allclose(w, w.max(axis=1, keepdims=True) * np.exp(scores - top), rtol=1e-9, atol=1e-300)
    assert np.allclose(w.max(axis=1), 1 / np.exp(scores - top).sum(axis=1), rtol=1e-12)


def test_softmax_numpy_huge_scores_do_not_overflow():
    s = np.array([[1e5, 1e5 - 1.0, -1e5], [800.0, 0.0, 800.0]])
    with np.errstate(over="raise", invalid="raise"):
        w = softmax_numpy(s)
    e = 1 / (1 + np.exp(-1.0))
    assert np.allclose(w[0], [e, 1 - e, 0.0], atol=1e-15)
    assert np.allclose(w[1], [0.5, 0.0, 0.5], atol=1e-15)


def test_softmax_mp_and_weighted_sum():
    with mpmath.workdps(40):
        scores = [mpmath.mpf(1000), mpmath.mpf(1000), mpmath.mpf(0)]
        w = softmax_mp(scores)
        tiny = mpmath.exp(-1000)
        assert abs(mpmath.fsum(w) - 1) < mpmath.mpf(10) ** -39
        assert abs(w[0] - 1 / (2 + tiny)) < mpmath.mpf(10) ** -39
        assert abs(w[2] / tiny - 1 / (2 + tiny)) < mpmath.mpf(10) ** -38
        out = weighted_sum_mp(w, [[mpmath.mpf(1)], [mpmath.mpf(3)], [mpmath.mpf(7)]])
        assert len(out) == 1
        assert abs(out[0] - (4 + 7 * tiny) / (2 + tiny)) < mpmath.mpf(10) ** -38
    # shift invariance at a precision where exp(1e6) is finite only through log-sum-exp
    with mpmath.workdps(30):
        a = softmax_mp([mpmath.mpf(1), mpmath.mpf(2)])
        b = softmax_mp([mpmath.mpf(10) ** 6 + 1, mpmath.mpf(10) ** 6 + 2])
        assert all(abs(p - q) < mpmath.mpf(10) ** -22 for p, q in zip(a, b))


def _random_forward_pass(seed: int, bits: int, shrink: bool = False) -> tuple[list, list]:
    """(arb forward pass at ``bits`` of a random head with rational weights and tokens, scores up to ~10²; the
    50-digit mpmath value as balls widened by 10^−45, which contain the true value). ``shrink``: the arb balls
    replaced by their midpoints, an enclosure that lost its rounding error."""
    rng = np.random.default_rng(seed)
    rational = lambda: sympy.Rational(int(rng.integers(-3000, 3001)), 1000)  # noqa: E731
    D, e, d = (int(k) for k in rng.integers(1, 5, size=3))
    head = Head(*(sympy.Matrix(rows, D, lambda a, b: rational()) for rows in (e, e, d)))
    query, tokens = [rational() for _ in range(D)], [[rational() for _ in range(D)] for _ in range(int(rng.integers(1, 6)))]
    with mpmath.workdps(50):
        expected = forward_matrix_mp(head, query, tokens)
    with ctx.workprec(400):
        reference = [arb(mpmath.nstr(v, 55), mpmath.nstr(mpmath.mpf(10) ** -45 * max(1, abs(v)), 5)) for v in expected]
    ball = lambda values: [arb_rational(v) for v in values]  # noqa: E731
    with ctx.workprec(bits):
        got = forward_matrix_arb(head, ball(query), [ball(t) for t in tokens])
    return ([arb(g.mid()) for g in got] if shrink else got), reference


@settings(max_examples=20, deadline=None, database=None)
@given(seed=st.integers(0, 2**31), bits=st.sampled_from([16, 53, 200]))
def test_forward_matrix_arb_encloses_the_50_digit_forward_pass(seed, bits):
    """Soundness at every scale: the arb forward pass at 16, 53 or 200 bits overlaps the 50-digit mpmath value."""
    got, reference = _random_forward_pass(seed, bits)
    assert all(g.overlaps(r) for g, r in zip(got, reference))


def test_a_forward_pass_without_its_rounding_error_is_caught():
    """The negative control of the soundness test: midpoints at 16 bits miss the 50-digit value."""
    got, reference = _random_forward_pass(0, 16, shrink=True)
    assert not all(g.overlaps(r) for g, r in zip(got, reference))


# --------------------------------------------------------------------------- prefix permutation


@FAST
@given(seed=st.integers(0, 2**31), perm=st.permutations(list(range(6))))
def test_permuting_prefix_tokens_leaves_output_unchanged(seed, perm):
    m, d = 2, 2
    rng = np.random.default_rng(seed)
    head = h0_head(m, d)
    cf = derive_closed_form(head, m, d)
    X, prefix, content = random_instance(rng, m, d, N=6, T=2, P=5, scale=4.0)
    permuted = prefix.permuted(perm)
    assert len(permuted) == 6
    assert np.array_equal(permuted.tokens(), prefix.tokens()[list(perm)])
    base = cf.output_numpy(X, prefix, content)
    assert np.allclose(cf.output_numpy(X, permuted, content), base, rtol=1e-12, atol=1e-12)
    assert np.allclose(matrix_path(head, X, permuted, content, d), base, rtol=1e-12, atol=1e-12)
    # list-valued (mp-style) prefixes permute the same way
    as_lists = Prefix([list(k) for k in prefix.keys], list(prefix.biases), [list(v) for v in prefix.values])
    assert np.array_equal(as_lists.permuted(perm).tokens(), permuted.tokens())


def test_permutation_is_not_vacuous():
    # Swapping the values of two prefix tokens (but not their keys) must change H.
    m, d = 1, 1
    cf = h0_closed_form(m, d)
    rng = np.random.default_rng(4)
    X, prefix, content = random_instance(rng, m, d, N=3, T=1, P=4, scale=4.0)
    swapped = Prefix(prefix.keys, prefix.biases, prefix.values[[1, 0, 2]])
    assert not np.allclose(cf.output_numpy(X, swapped, content), cf.output_numpy(X, prefix, content))


# --------------------------------------------------------------------------- large λ


def test_output_numpy_with_huge_lambda_is_finite_and_selects_nearest():
    """E1-like prefix: keys λ p_i with λ = 1e5 on a grid; the output is a convex combination of values."""
    m, d, lam = 2, 1, 1e5
    grid = CubeSurfaceGrid.build(m, 3)
    P = grid.sphere_points()
    values = np.sin(3 * P[:, :1]) + P[:, 1:2]
    prefix = Prefix(lam * P, np.full(len(P), 2.0), values)
    head = h0_head(m, d)
    cf = derive_closed_form(head, m, d)
    rng = np.random.default_rng(0)
    X = np.vstack([Sphere(m).uniform(200, 1), P[:10]])
    content = np.stack([Sphere(m).uniform(2, int(s)) for s in rng.integers(2**31, size=len(X))])
    with np.errstate(over="raise", invalid="raise"):
        H = cf.output_numpy(X, prefix, content)
    assert np.all(np.isfinite(H))
    lo, hi = min(values.min(), 0.0), max(values.max(), 0.0)
    assert np.all(H >= lo - 1e-12) and np.all(H <= hi + 1e-12)
    # at a grid point the weight concentrates on that point's token: H(p_j) = f(p_j)
    assert np.allclose(H[-10:], values[:10], atol=1e-12)
    # the matrix forward pass agrees (scores ~1e5, so rounding of the scores is ~1e-11)
    assert np.allclose(H, matrix_path(head, X, prefix, content, d), atol=1e-8)


@pytest.mark.parametrize("m, d", [(1, 1), (2, 2)])
def test_sympy_matrix_forward_pass_equals_the_derived_closed_form(m, d):
    """Three-way consistency in sympy: H over two generic prefix tokens and one content token, from the
    plain matrices, equals ClosedForm.output(2, 1) identically."""
    head = h0_head(m, d)
    cf = derive_closed_form(head, m, d)
    sym = lambda name: sympy.Symbol(name, real=True)  # noqa: E731
    prefix = [[sym(f"k{j}_{i}") for j in range(m + 1)] + [sym(f"b_{i}")] + [sym(f"v{j}_{i}") for j in range(d)]
              for i in range(2)]
    content = embedding([sym(f"u{j}_0") for j in range(m + 1)], d)
    matrix = forward_matrix_sympy(head, embedding(cf.x, d), prefix + [content])
    assert sympy.simplify(matrix - cf.output(2, 1)) == sympy.zeros(d, 1)
    wrong = forward_matrix_sympy(Head(head.W_Q, head.W_K, 2 * head.W_V), embedding(cf.x, d), prefix + [content])
    assert sympy.simplify(wrong - cf.output(2, 1)) != sympy.zeros(d, 1)  # negative control


# --------------------------------------------------------------------------- gaps found by mutation testing


def test_closed_form_symbols_are_real_and_the_default_output_has_one_token_each():
    """Tokens are real vectors: s = (k, b, v) ∈ R^(m+1) × R × R^d, so a real symbol built elsewhere
    (e.g. k0 in a proof module) is the same symbol as the closed form's."""
    m, d = 1, 1
    cf = h0_closed_form(m, d)
    assert all(s.is_real for s in (*cf.x, *cf.k, cf.b, *cf.v, *cf.u))
    k0, b = sympy.Symbol("k0", real=True), sympy.Symbol("b", real=True)
    assert cf.prefix_score.subs({k0: 0, b: 0}) == cf.prefix_score.subs({cf.k[0]: 0, cf.b: 0})
    assert cf.output() == cf.output(1, 1)


def test_softmax_sympy_of_one_term_is_its_value():
    s, v = sympy.Symbol("s", real=True), sympy.Matrix([sympy.Symbol("v", real=True), 2])
    assert sympy.simplify(softmax_sympy([(s, v)]) - v) == sympy.zeros(2, 1)


def test_softmax_numpy_normalises_along_the_last_axis_of_a_3d_array():
    """The transformer module passes (P, i, j) score arrays: each last-axis row is one softmax."""
    scores = np.random.default_rng(1).standard_normal((3, 4, 5)) * 4
    w = softmax_numpy(scores)
    assert np.allclose(w.sum(axis=-1), 1, atol=1e-12)
    for p in range(3):
        assert np.allclose(w[p], softmax_numpy(scores[p]), atol=1e-15)


def mp_prefix(prefix: Prefix) -> Prefix:
    mpf = lambda a: [mpmath.mpf(float(t)) for t in a]  # noqa: E731
    return Prefix([mpf(k) for k in prefix.keys], mpf(prefix.biases), [mpf(v) for v in prefix.values])


def test_mp_prefix_tokens_and_numpy_paths_are_float64():
    """An mpf-list prefix (the high-precision form) gives float64 tokens and the same float64 output."""
    m, d = 2, 1
    X, prefix, content = random_instance(np.random.default_rng(5), m, d)
    as_mp = mp_prefix(prefix)
    assert as_mp.tokens().dtype == np.float64
    assert np.array_equal(as_mp.tokens(), prefix.tokens())
    cf = h0_closed_form(m, d)
    out = cf.output_numpy(X, as_mp, content)
    assert out.dtype == np.float64
    assert np.allclose(out, cf.output_numpy(X, prefix, content), rtol=1e-14, atol=1e-14)


def test_permuted_keeps_the_kind_of_its_entries():
    X, prefix, content = random_instance(np.random.default_rng(6), 1, 1, N=3)
    order = [2, 0, 1]
    assert isinstance(prefix.permuted(order).keys, np.ndarray)
    with mpmath.workdps(40):
        exact = Prefix([[mpmath.mpf(1) / 3, mpmath.mpf(i)] for i in range(3)], [mpmath.mpf(i) for i in range(3)],
                       [[mpmath.mpf(i) / 7] for i in range(3)])
        permuted = exact.permuted(order)
        assert isinstance(permuted.keys, list) and permuted.keys == [exact.keys[i] for i in order]
        assert all(isinstance(c, mpmath.mpf) for row in permuted.keys for c in row)


def test_mp_closed_form_of_a_rational_head_keeps_full_precision():
    """Weights with entries 1/3 are compiled for mpmath as exact rationals (not as float64 1/3):
    the closed form and the matrix pass agree to 45 digits at 50."""
    m, d = 1, 1
    third = sympy.Rational(1, 3)
    W = sympy.Matrix([[third, 1, 0, third], [0, third, 1, 0], [1, 0, third, third]])
    head = Head(W, 2 * W, sympy.Matrix([[third, third, 1, third]]))
    cf = derive_closed_form(head, m, d)
    X, prefix, content = random_instance(np.random.default_rng(7), m, d, N=3, T=2, P=1, scale=0.5)
    with mpmath.workdps(50):
        a, ref = both_mp_paths(head, cf, X, prefix, content, d)
        assert all(abs(s - t) < mpmath.mpf(10) ** -45 for s, t in zip(a, ref))


def test_embedding_numpy_along_the_last_axis():
    X = Sphere(2).uniform(6, 8).reshape(2, 3, 3)
    E = embedding_numpy(X, 2)
    assert E.shape == (2, 3, 6)
    assert np.array_equal(E, embed_numpy(X, 2))
    assert np.array_equal(embedding_numpy(X[0], 2)[1], embedding(X[0, 1], 2))
