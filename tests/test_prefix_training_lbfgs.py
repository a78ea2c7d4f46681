"""The reproducible L-BFGS: it minimises (a quadratic, Rosenbrock's valley), stops by its rules, survives
non-finite trial points, and gives the same bits twice."""
import numpy as np

from proofs.prefix_training.lbfgs import minimise


def rosenbrock(x):
    value = float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))
    grad = np.zeros_like(x)
    grad[:-1] = -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    grad[1:] += 200 * (x[1:] - x[:-1] ** 2)
    return value, grad


def test_quadratic_minimum():
    A = np.diag([1.0, 10.0, 100.0])
    b = np.array([1.0, -2.0, 3.0])
    result = minimise(lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(3), 100, gtol=1e-10, ftol=0.0)
    np.testing.assert_allclose(result.x, np.linalg.solve(A, b), rtol=1e-8)


def test_rosenbrock_valley_and_a_wrong_gradient():
    result = minimise(rosenbrock, np.array([-1.2, 1.0, -0.5, 0.8]), 500, gtol=1e-9, ftol=0.0)
    np.testing.assert_allclose(result.x, 1.0, atol=1e-5)
    assert result.evaluations > 20
    # negative control: with the gradient's sign flipped no step is ever accepted
    wrong = minimise(lambda x: (rosenbrock(x)[0], -rosenbrock(x)[1]), np.array([-1.2, 1.0]), 50)
    np.testing.assert_array_equal(wrong.x, [-1.2, 1.0])


def test_budget_and_tolerances_stop_it():
    start = np.array([-1.2, 1.0])
    assert minimise(rosenbrock, start, 0).evaluations == 1
    short, long = minimise(rosenbrock, start, 3), minimise(rosenbrock, start, 300)
    assert short.value > long.value and short.evaluations < long.evaluations


def test_non_finite_trials_are_halved_away():
    """f = (x − 3)² − log(1 − x), infinite for x ≥ 1: the first trial from 0 (step 1 along −g/‖g‖_∞) is x = 1."""
    infinite = []

    def barrier(x):
        if x[0] >= 1:
            infinite.append(x[0])
            return np.inf, np.zeros(1)
        return float((x[0] - 3) ** 2 - np.log(1 - x[0])), np.array([2 * (x[0] - 3) + 1 / (1 - x[0])])
    result = minimise(barrier, np.array([0.0]), 100, gtol=1e-12, ftol=0.0)
    assert infinite[0] == 1.0
    np.testing.assert_allclose(result.x, [2 - np.sqrt(6) / 2], rtol=1e-9)


def test_same_bits_twice():
    a, b = (minimise(rosenbrock, np.array([0.3, -0.7, 2.0]), 60) for _ in range(2))
    assert a.x.tobytes() == b.x.tobytes() and a.evaluations == b.evaluations
