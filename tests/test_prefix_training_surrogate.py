"""The fits' surrogate: the power mean against its definition and its bounds, the analytic gradients against finite
differences, and the forward passes against the models' own evaluation (bit for bit)."""
import numpy as np
import pytest
from scipy.optimize import approx_fprime

from proofs.prefix_training.models import FreePrefix, TanhNetwork
from proofs.prefix_training.surrogate import (FitData, network_objective, network_of, network_vector, power_mean,
                                              prefix_objective, prefix_of, prefix_vector)

RNG = np.random.default_rng(3)
X = RNG.normal(size=(40, 3))
X /= np.linalg.norm(X, axis=1)[:, None]
DATA = FitData(X, RNG.normal(size=(40, 2)))
N, W, T = 5, 4, 2


@pytest.mark.parametrize("k", [0, 1, 3, 6])
def test_power_mean_is_its_definition_between_its_bounds(k):
    r = RNG.uniform(0, 2, size=50)
    q = 2 ** k
    value, grad = power_mean(r, k)
    np.testing.assert_allclose(value, np.mean(r ** q) ** (1 / q), rtol=1e-13)
    assert len(r) ** (-1 / q) * r.max() <= value <= r.max()
    np.testing.assert_allclose(grad, approx_fprime(r, lambda s: power_mean(s, k)[0], 1e-7), rtol=1e-5, atol=1e-8)


def test_power_mean_of_zero_residuals_is_zero():
    value, grad = power_mean(np.zeros(4), 3)
    assert value == 0.0 and not np.any(grad)


@pytest.mark.parametrize("k", [0, 3, 6])
def test_prefix_gradient_matches_finite_differences(k):
    theta = RNG.normal(size=N * (3 + 1 + 2))
    value, grad = prefix_objective(theta, DATA, N, T, k)
    fd = approx_fprime(theta, lambda t: prefix_objective(t, DATA, N, T, k)[0], 1e-7)
    assert value > 0
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-6 * np.max(np.abs(grad)))


@pytest.mark.parametrize("k", [0, 3, 6])
def test_network_gradient_matches_finite_differences(k):
    theta = RNG.normal(size=W * (3 + 1 + 2) + 2)
    value, grad = network_objective(theta, DATA, W, k)
    fd = approx_fprime(theta, lambda t: network_objective(t, DATA, W, k)[0], 1e-7)
    assert value > 0
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-6 * np.max(np.abs(grad)))


def test_a_wrong_gradient_is_caught():
    """Negative control of the finite-difference comparison: the gradient without the keys' block differs."""
    theta = RNG.normal(size=N * (3 + 1 + 2))
    grad = prefix_objective(theta, DATA, N, T, 3)[1]
    grad[:N * 3] = 0
    fd = approx_fprime(theta, lambda t: prefix_objective(t, DATA, N, T, 3)[0], 1e-7)
    assert not np.allclose(grad, fd, rtol=1e-4, atol=1e-6 * np.max(np.abs(fd)))


def test_forward_passes_are_the_models_bit_for_bit():
    """With k = 0 the surrogate is the mean squared residual of the model's own outputs (same operations)."""
    prefix = FreePrefix(RNG.normal(size=(N, 3)) * 30, RNG.normal(size=N), RNG.normal(size=(N, 2)), T)
    network = TanhNetwork(RNG.normal(size=(W, 3)), RNG.normal(size=W), RNG.normal(size=(W, 2)), RNG.normal(size=2))
    for model, objective in ((prefix, lambda t: prefix_objective(t, DATA, N, T, 0)),
                             (network, lambda t: network_objective(t, DATA, W, 0))):
        R = model(X) - DATA.F
        top = np.max(np.sum(R * R, axis=1))
        assert objective(prefix_vector(model) if model is prefix else network_vector(model))[0] == \
            top * (float(np.sum(np.sum(R * R, axis=1) / top)) / len(X))


def test_vectors_round_trip():
    prefix = FreePrefix(RNG.normal(size=(N, 3)), RNG.normal(size=N), RNG.normal(size=(N, 2)), T)
    back = prefix_of(prefix_vector(prefix), N, 2, 2, T)
    assert all(np.array_equal(a, b) for a, b in ((prefix.keys, back.keys), (prefix.biases, back.biases),
                                                 (prefix.values, back.values)))
    network = TanhNetwork(RNG.normal(size=(W, 3)), RNG.normal(size=W), RNG.normal(size=(W, 2)), RNG.normal(size=2))
    assert network_of(network_vector(network), W, 2, 2).to_json() == network.to_json()


def test_overflow_is_infinite_not_nan():
    theta = np.full(W * 6 + 2, 1e300)
    value, grad = network_objective(theta, DATA, W, 3)
    assert value == np.inf and not np.any(grad)
