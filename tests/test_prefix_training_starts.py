"""The fits' starts: E1 and E2 at sizes in their families are the constructions' own prefixes, trimmed ones are
spread out, random starts are seeded, the reproducible least squares solve is a solve."""
import math

import numpy as np
import sympy

from proofs.prefix_training import starts as S
from proofs.prefix_training.fit import check_points
from verifier.precision import PrecisionPolicy
from verifier.targets import Target

TARGET = Target.parse("sin(2*x0)/2", 1, 1, 1)


def sampled_error(model, target=TARGET):
    X = check_points(target.m, 0)
    return float(np.max(np.abs(model(X) - target.numpy(X))))


def test_e1_start_in_the_family_is_e1s_own_prefix_with_its_error():
    """N = 16 = 4n on S¹ (n = 4): E1's own prefix at ε_n = 2√2/4, whose sampled error meets ε_n."""
    from proofs.single_head.construction import E1Construction, E1Parameters

    eps = 2 * sympy.sqrt(2) / 4
    own = E1Construction(E1Parameters(1, eps, TARGET, 1, 0, PrecisionPolicy(), 1, None, evidence="sampled"))
    assert own.N == 16
    start = S.e1_start(TARGET, 16, 1)
    prefix = own.float64[1]
    keys, biases, values = prefix.keys, prefix.biases, prefix.values
    assert np.array_equal(start.keys, keys) and np.array_equal(start.biases, biases)
    assert np.array_equal(start.values, values)
    assert sampled_error(start) == sampled_error(S.FreePrefix.of(own.float64[1], 1)) <= float(eps)


def test_e2_start_on_the_circle_is_e2s_prefix_at_eps_l():
    from proofs.smoothing.construction import E2Construction, E2Parameters

    own = E2Construction(E2Parameters(1, sympy.Integer(1), TARGET, 1, 0, PrecisionPolicy(), 1, "gauss", 12, "given",
                                      None, "sampled"))
    start = S.e2_start(TARGET, 12, 1)
    assert np.array_equal(start.keys, own.float64[1].keys) and np.array_equal(start.biases, own.float64[1].biases)


def test_trimmed_starts_have_n_spread_tokens():
    """N = 10 on S¹ trims E1's n = 3 member (12 tokens) and E2's 10-point rule is exact; on S² N = 30 trims E1's
    56 tokens: the kept directions are at least as far apart as the farthest-point rule promises."""
    for target, N in ((TARGET, 10), (Target.parse("x0*x1", 2, 1, 1), 30)):
        for start in (S.e1_start(target, N, 1), S.e2_start(target, N, 1)):
            assert start.N == N
            directions = start.keys / np.linalg.norm(start.keys, axis=1, keepdims=True)
            gram = directions @ directions.T - 2 * np.eye(N)
            assert np.max(gram) < 1 - 1e-3  # no token kept twice
    order = S.farthest_point_order(np.array([[1.0, 0], [0.99, math.sqrt(1 - 0.99 ** 2)], [-1.0, 0], [0, 1.0]]), 2)
    assert list(order) == [0, 2]


def test_random_prefix_is_seeded_and_scaled():
    a, b, c = (S.random_prefix(TARGET, 8, seed, 1, 2) for seed in (5, 5, 6))
    assert a.to_json() == b.to_json() != c.to_json()
    lam = (8 / (2 * math.pi)) ** 2
    np.testing.assert_allclose(np.linalg.norm(a.keys, axis=1), lam)
    np.testing.assert_allclose(a.biases, 2 + S.BIAS_MARGIN - lam + math.log(2))
    np.testing.assert_allclose(a.values, TARGET.numpy(a.keys / lam))


def test_solve_spd_is_a_solve():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(30, 9))
    G, B = A.T @ A + np.eye(9), rng.normal(size=(9, 2))
    np.testing.assert_allclose(S.solve_spd(G, B), np.linalg.solve(G, B), rtol=1e-10)


def test_lstsq_network_beats_its_random_twin():
    X = check_points(1, 0)[::16]
    F = TARGET.numpy(X)
    fitted, random = S.lstsq_network(TARGET, X, F, 6, 0, 1), S.random_network(TARGET, 6, 0, 1)
    assert np.array_equal(fitted.weights, random.weights)
    assert np.max(np.abs(fitted(X) - F)) < 0.1 < np.max(np.abs(random(X) - F))
