"""The study's two approximators: their formulas against plain numpy, parameter counts, exact JSON, bad input."""
import numpy as np
import pytest

from proofs.prefix_training.models import FreePrefix, TanhNetwork, model_from_json
from verifier.errors import InputError

RNG = np.random.default_rng(7)
X = RNG.normal(size=(50, 3))
X /= np.linalg.norm(X, axis=1)[:, None]


def prefix(N=6, m=2, d=2, T=3):
    return FreePrefix(RNG.normal(size=(N, m + 1)) * 4, RNG.normal(size=N), RNG.normal(size=(N, d)), T)


def network(W=5, m=2, d=2):
    return TanhNetwork(RNG.normal(size=(W, m + 1)), RNG.normal(size=W), RNG.normal(size=(W, d)), RNG.normal(size=d))


def test_prefix_is_the_h0_closed_form():
    p = prefix()
    s = np.exp(X @ p.keys.T + p.biases)
    expected = s @ p.values / (s.sum(axis=1, keepdims=True) + p.context * np.e ** 2)
    np.testing.assert_allclose(p(X), expected, rtol=1e-13, atol=1e-15)
    assert p.parameter_count == 6 * (2 + 2 + 2)


def test_prefix_survives_huge_keys():
    p = FreePrefix(np.array([[900.0, 0, 0], [-900.0, 0, 0]]), np.zeros(2), np.array([[1.0], [-1.0]]))
    out = p(np.array([[1.0, 0, 0], [-1.0, 0, 0]]))
    np.testing.assert_allclose(out[:, 0], [1.0, -1.0])


def test_network_is_the_tanh_sum():
    g = network()
    np.testing.assert_allclose(g(X), np.tanh(X @ g.weights.T + g.offsets) @ g.amplitudes + g.constant, rtol=1e-13, atol=1e-14)
    assert g.parameter_count == 5 * (2 + 2) + 2 * 5 + 2


@pytest.mark.parametrize("model", [prefix(), network()])
def test_json_round_trip_is_exact(model):
    again = model_from_json(model.to_json())
    assert type(again) is type(model)
    assert np.array_equal(again(X), model(X))


def test_changed_json_changes_the_model():
    p = prefix()
    data = p.to_json()
    data["values"][0][0] = float.hex(float.fromhex(data["values"][0][0]) + 1e-9)
    assert not np.array_equal(model_from_json(data)(X), p(X))


@pytest.mark.parametrize("change", [
    lambda d: d.update(kind="tree"),
    lambda d: d.update(biases=["zero"] * len(d["biases"])),
])
def test_bad_stored_model_is_refused(change):
    data = prefix().to_json()
    change(data)
    with pytest.raises(InputError):
        model_from_json(data)


def test_bad_shapes_are_refused():
    with pytest.raises(InputError, match="tokens"):
        FreePrefix(np.zeros((2, 2)), np.zeros(3), np.zeros((2, 1)))
    with pytest.raises(InputError, match="finite"):
        FreePrefix(np.array([[np.inf, 0.0]]), np.zeros(1), np.zeros((1, 1)))
    with pytest.raises(InputError, match="units"):
        TanhNetwork(np.zeros((2, 2)), np.zeros(2), np.zeros((3, 1)), np.zeros(1))



def test_e1_construction_as_free_prefix_is_the_same_head():
    from verifier.attention import derive_closed_form

    from proofs.h0.head import h0_head
    from proofs.single_head.construction import E1Construction
    from proofs.single_head.theorem import THEOREM

    params = THEOREM.parameters(dim=1, eps="0.2", evidence="sampled", context=2)
    c = E1Construction(params)
    free = FreePrefix.of(c.float64[1], params.context)
    assert free.N == c.N and free.parameter_count == c.N * 4
    cf = derive_closed_form(h0_head(1, 1), 1, 1)
    Y = X[:, :2] / np.linalg.norm(X[:, :2], axis=1)[:, None]
    np.testing.assert_allclose(free(Y), cf.output_numpy(Y, c.float64[1], np.repeat(Y[:, None, :], 2, axis=1)), atol=1e-13)
