"""Tests for verifier/intervals.py: every operation against exact rationals or 50-digit mpmath on random floats at
every scale, and each rounding step shown necessary by a weakened version that the same test catches."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest

from verifier import intervals
from verifier.intervals import Intervals, exp_bounds, sum_lower, sum_upper

RNG = np.random.default_rng(5)


def _random_intervals(scale: float, size: int = 400) -> Intervals:
    lo = RNG.normal(size=size) * scale
    return Intervals(lo, lo + RNG.random(size) * scale * RNG.choice([0.0, 1e-8, 1.0], size=size))


def _contains(box: Intervals, exact) -> bool:
    return all(Fraction(lo) <= t <= Fraction(hi) for lo, hi, t in zip(box.lo, box.hi, exact))


def _operations():
    """(name, interval operation, exact operation on Fractions at the two ends' choice points)."""
    return [("add", lambda a, b: a + b, lambda s, t: s + t), ("sub", lambda a, b: a - b, lambda s, t: s - t),
            ("mul", lambda a, b: a * b, lambda s, t: s * t)]


@pytest.mark.parametrize("scale", [1e-250, 1.0, 1e150])
def test_arithmetic_contains_the_exact_results_at_every_scale(scale):
    """a ∘ b holds the exact rational result for points chosen in a and b (their ends and a random inner point);
    division, square and sqrt likewise."""
    a, b = _random_intervals(scale), _random_intervals(scale)
    positive = Intervals(np.abs(b.lo) + scale, np.abs(b.lo) + scale + (b.hi - b.lo))
    for pick in (lambda v: v.lo, lambda v: v.hi, lambda v: v.lo + (v.hi - v.lo) * RNG.random(len(v.lo))):
        s, t, p = pick(a), pick(b), pick(positive)
        S, T, P = ([Fraction(float(x)) for x in v] for v in (s, t, p))
        for _, operation, exact in _operations():
            assert _contains(operation(a, b), [exact(x, y) for x, y in zip(S, T)])
        assert _contains(a / positive, [x / y for x, y in zip(S, P)])
        assert _contains(a.square(), [x * x for x in S])
        root = positive.sqrt()
        assert all(Fraction(lo) ** 2 <= y <= Fraction(hi) ** 2 for lo, hi, y in zip(root.lo, root.hi, P))


def test_without_outward_rounding_the_products_miss_the_exact_value(monkeypatch):
    """Negative control: with ``down``/``up`` the identity, some float product lies on the wrong side of the
    exact one, and the containment test above catches it."""
    a, b = _random_intervals(1.0), _random_intervals(1.0)
    monkeypatch.setattr(intervals, "down", lambda x: np.asarray(x))
    monkeypatch.setattr(intervals, "up", lambda x: np.asarray(x))
    S, T = [Fraction(float(x)) for x in a.lo], [Fraction(float(x)) for x in b.lo]
    point = Intervals.point(a.lo) * Intervals.point(b.lo)
    assert not _contains(point, [x * y for x, y in zip(S, T)])


def _exp_cases() -> np.ndarray:
    return np.concatenate([RNG.uniform(-750, 715, 3000), RNG.uniform(-1, 1, 500), RNG.normal(size=200) * 1e-12,
                           [0.0, -745.13, -745.2, -744.0, 709.78, 709.79, 5e-324, -5e-324, np.inf, -np.inf]])


def _exp_misses(t: np.ndarray) -> int:
    """How many e^t (50-digit mpmath) fall outside exp_bounds(t)."""
    lo, hi = exp_bounds(t)
    missed = 0
    with mpmath.workdps(50):
        for x, a, b in zip(t, lo, hi):
            e = mpmath.exp(mpmath.mpf(x)) if np.isfinite(x) else (mpmath.inf if x > 0 else mpmath.mpf(0))
            missed += not (a <= e <= b)
    return missed


def test_exp_bounds_contain_50_digit_values_and_are_tight():
    t = _exp_cases()
    assert _exp_misses(t) == 0
    lo, hi = exp_bounds(t)
    normal = (lo > 1e-300) & (hi < 1e300)
    assert np.all((hi[normal] - lo[normal]) / lo[normal] < 1e-13)  # tight: a few dozen ulps
    assert np.isnan(exp_bounds(np.array([np.nan]))[0][0])


def test_exp_without_its_error_term_is_caught(monkeypatch):
    """Negative control: dropping the Horner/Taylor error bound (ERROR = 0) leaves e^t outside at some t."""
    monkeypatch.setattr(intervals, "ERROR", 0.0)
    monkeypatch.setattr(intervals, "down", lambda x: np.asarray(x))
    monkeypatch.setattr(intervals, "up", lambda x: np.asarray(x))
    assert _exp_misses(_exp_cases()) > 0


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e300])
def test_sum_bounds_contain_the_exact_sum(scale):
    t = RNG.normal(size=(200, 37)) * (scale * RNG.choice([1e-10, 1e-20, 1.0], size=(200, 37)))
    exact = [sum(Fraction(float(v)) for v in row) for row in t]
    assert all(Fraction(lo) <= s <= Fraction(hi) for lo, hi, s in zip(sum_lower(t), sum_upper(t), exact))


def test_a_sum_without_its_rounding_bound_is_caught(monkeypatch):
    """Negative control: sum_upper with the rounding bound removed (u = 0, no outward steps) is the plain float sum,
    below the exact sum for some rows."""
    monkeypatch.setattr(intervals, "U", 0.0)
    monkeypatch.setattr(intervals, "up", lambda x: np.asarray(x))
    t = RNG.normal(size=(200, 37)) * RNG.choice([1.0, 1e-10, 1e10], size=(200, 37))
    exact = [sum(Fraction(float(v)) for v in row) for row in t]
    assert any(Fraction(float(s)) < e for s, e in zip(sum_upper(t), exact))


def _dot_cases(scale: float):
    """Rows of weights w ≥ 0 and values u at ``scale`` with a threshold R: the g(R) of the ratio range's proof."""
    w = RNG.random(size=(200, 23)) * RNG.choice([1.0, 1e-200, 1e-310], size=(200, 23))
    u = RNG.normal(size=(200, 23)) * scale
    R = RNG.normal(size=(200, 1)) * scale
    return w, u, R


@pytest.mark.parametrize("scale", [1e-250, 1.0, 1e250])
def test_dot_upper_bounds_the_exact_sum_of_weighted_differences(scale):
    """dot_upper(w, fl(u − R)) ≥ Σ w_i (u_i − R) computed in exact rationals (subnormal products included)."""
    w, u, R = _dot_cases(scale)
    bound = intervals.dot_upper(w, u - R)
    for row in range(len(w)):
        exact = sum(Fraction(float(a)) * (Fraction(float(b)) - Fraction(float(R[row, 0]))) for a, b in zip(w[row], u[row]))
        assert exact <= Fraction(float(bound[row]))


def test_dot_upper_without_its_rounding_bound_is_caught(monkeypatch):
    """Negative control: with u = 0, no underflow term and no outward step, the float dot product falls below the
    exact one for some rows."""
    monkeypatch.setattr(intervals, "U", 0.0)
    monkeypatch.setattr(intervals, "TINY", 0.0)
    monkeypatch.setattr(intervals, "up", lambda x: np.asarray(x))
    w, u, R = _dot_cases(1.0)
    bound = intervals.dot_upper(w, u - R)
    assert any(sum(Fraction(float(a)) * (Fraction(float(b)) - Fraction(float(R[row, 0]))) for a, b in zip(w[row], u[row]))
               > Fraction(float(bound[row])) for row in range(len(w)))
