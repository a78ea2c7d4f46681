"""proofs/pretrained/construction.py: the exact frame, the affine reduction, the exact rank, the minimum-norm keys and
the output frame, on a random BERT-layout model the test writes (and the packaged MiniLM where named)."""
from fractions import Fraction

import numpy as np
import pytest

from proofs.pretrained import construction as C
from proofs.pretrained.testing import write_random_bert
from proofs.pretrained.weights import load_model


@pytest.fixture(scope="module")
def head(tmp_path_factory):
    return load_model(write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4)).layer(1).head(2)


def layernorm(head, r):
    return head.ln_gamma * (r - r.mean()) / np.sqrt(r.var() + head.ln_eps) + head.ln_beta


def test_rational_is_exact():
    values = np.array([[0.1, -3.5e-30], [7.0, 2.0**-140]])
    R = C.rational(values)
    assert all(Fraction(int(R[i, j].p), int(R[i, j].q)) == Fraction(values[i, j]) for i in range(2) for j in range(2))


@pytest.mark.parametrize("m", [1, 2, 3])
def test_frame_is_exactly_centred_and_orthogonal(m):
    frame = C.build_frame(64, m, seed=5)
    assert frame.column_sums() == [0] * (m + 1) and frame.gram_off_diagonal() == [0] * (m * (m + 1))
    E = frame.float64
    assert np.allclose(E.T @ E, np.eye(m + 1), atol=1e-15) and np.allclose(E.sum(axis=0), 0, atol=1e-14)
    assert not np.allclose(C.build_frame(64, m, seed=6).float64, E)  # the seed chooses the frame


def test_uncentred_frame_is_caught():
    """Negative control: without the centring the column sums are not 0 (E x then has a mean)."""
    frame = C.build_frame(64, 1, seed=5, centred=False)
    assert any(frame.column_sums()) and frame.gram_off_diagonal() == [0, 0]


def test_affine_reduction_matches_layernorm(head):
    frame = C.build_frame(64, 2, seed=0)
    query = C.affine(head.W_Q, head.b_Q, head, frame)
    X = np.random.default_rng(1).standard_normal((20, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    for x in X:
        exact = head.W_Q @ layernorm(head, frame.float64 @ x) + head.b_Q
        assert np.allclose(query.A_f64 @ x + query.c_f64, exact, rtol=0, atol=1e-12)


def test_affine_reduction_fails_for_an_uncentred_frame(head):
    """Negative control: the same comparison breaks when E's columns are not orthogonal to 1."""
    frame = C.build_frame(64, 2, seed=0, centred=False)
    query = C.affine(head.W_Q, head.b_Q, head, frame)
    x = frame.float64.sum(axis=0) / np.linalg.norm(frame.float64.sum(axis=0))
    exact = head.W_Q @ layernorm(head, frame.float64 @ x) + head.b_Q
    assert np.max(np.abs(query.A_f64 @ x + query.c_f64 - exact)) > 1e-3


def test_exact_rank(head):
    frame = C.build_frame(64, 1, seed=0)
    assert C.exact_rank(C.affine(head.W_Q, head.b_Q, head, frame)) == 3
    degenerate = np.zeros_like(head.W_Q)
    degenerate[0] = head.W_Q[0]  # one non-zero row: rank [A c] ≤ 2 < m + 2
    assert C.exact_rank(C.affine(degenerate, head.b_Q, head, frame)) < 3


def test_min_norm_keys_solve_their_equations(head):
    frame = C.build_frame(64, 1, seed=0)
    query = C.affine(head.W_Q, head.b_Q, head, frame)
    points = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, -1.0]])
    keys = C.min_norm_keys(query.A_f64, query.c_f64, points, 500.0, 2.0, head.head_dim)
    Ac = np.column_stack([query.A_f64, query.c_f64])
    want = np.sqrt(head.head_dim) * np.column_stack([500.0 * points, np.full(3, 2.0)])
    assert np.allclose(keys @ Ac, want, rtol=1e-10)
    projector = Ac @ np.linalg.pinv(Ac)  # minimum norm: every k_i lies in the column space of [A c]
    assert np.allclose(keys @ projector.T, keys, rtol=1e-10)


def test_output_frame_is_orthonormal_in_the_column_space(head):
    M = C.output_frame(head.W_O, 2)
    U = np.asarray(head.W_O, np.float64) @ M
    assert np.allclose(U.T @ U, np.eye(2), atol=1e-12)


def test_bfloat16_keys_lose_precision(head):
    frame = C.build_frame(64, 1, seed=0)
    points = np.array([[1.0, 0.0], [0.0, 1.0]])
    M = C.output_frame(head.W_O, 1)
    f32 = C.build_prefix(head, frame, points, np.array([[0.1], [0.2]]), 1e3, 0.0, M, None)
    bf16 = C.build_prefix(head, frame, points, np.array([[0.1], [0.2]]), 1e3, 0.0, M, "bfloat16-keys")
    gap32, gap16 = (np.max(np.abs(p.keys - f32.keys.astype(np.float64))) for p in (f32, bf16))
    assert gap32 == 0 and gap16 > 1e-4 * np.max(np.abs(f32.keys))
    assert np.array_equal(f32.values, bf16.values)
