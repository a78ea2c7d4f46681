"""Tests for proofs/smoothing/means.py: the arb enclosures of E[ρ] and of the quadrature bound contain independent
50-digit mpmath values (mpmath.quad of the same means, formulas.quadrature_bound), and a weakened enclosure is caught."""
import mpmath
import numpy as np
import pytest
import sympy
from flint import arb, ctx

from proofs.smoothing import formulas as F
from proofs.smoothing import means


def _ball(value) -> arb:
    """A 50-digit mpmath value as a ball of radius 10^−45·max(1, |value|): it contains the true number."""
    with ctx.workprec(300):
        return arb(mpmath.nstr(value, 55), mpmath.nstr(mpmath.mpf(10) ** -45 * max(1, abs(value)), 5))


def _random_instances(count: int, seed: int):
    """(m, κ, h, L, B) as exact rationals: κ from 1 to 10⁵, h up to min(0.3, 20/κ) (κh beyond that makes the bound
    astronomically large, far from any rule E2 uses), L and B from 1/4 to 4 (seeded)."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        m = int(rng.integers(1, 3))
        kappa = sympy.Rational(str(round(10 ** rng.uniform(0, 5), 3)))
        h = sympy.Rational(str(round(rng.uniform(0.0001, min(0.3, 20 / float(kappa))), 5)))
        lipschitz, bound = (sympy.Rational(str(round(2 ** rng.uniform(-2, 2), 3))) for _ in range(2))
        yield m, kappa, h, lipschitz, bound


@pytest.mark.parametrize("m, kappa, h, lipschitz, bound", list(_random_instances(6, 3)))
def test_quadrature_bound_contains_50_digit_values(m, kappa, h, lipschitz, bound):
    """The ball contains formulas.quadrature_bound at 50 digits (mpmath.quad, breakpoints at the kink) and is narrow;
    the negative control is below."""
    with mpmath.workdps(50):
        expected = _ball(F.quadrature_bound(m, kappa, h, lipschitz, bound))
    got = means.quadrature_bound_arb(m, kappa, h, lipschitz, bound)
    assert got.overlaps(expected) and got.rad() < 1e-10 * max(1, abs(float(got.mid())))


def test_weakened_quadrature_bound_is_caught(monkeypatch):
    """Negative control: with g's line branch used on both sides of the kink (g = L(ρ + h) where 2B < L(ρ + h)), the ball
    no longer contains the 50-digit value, so the containment check above can fail."""
    m, kappa, h, lipschitz, bound = 2, sympy.Integer(3), sympy.Rational(1, 5), sympy.Integer(1), sympy.Rational(1, 2)
    with mpmath.workdps(50):
        expected = _ball(F.quadrature_bound(m, kappa, h, lipschitz, bound))
    assert means.quadrature_bound_arb(m, kappa, h, lipschitz, bound).overlaps(expected)
    original = means._pieces
    monkeypatch.setattr(means, "_pieces", lambda *a: [(p, q, "line") for p, q, _ in original(*a)])
    assert not means.quadrature_bound_arb(m, kappa, h, lipschitz, bound).overlaps(expected)


@pytest.mark.parametrize("m", [1, 2])
@pytest.mark.parametrize("kappa", ["1/3", "7", "208", "55555"])
def test_mean_chord_contains_50_digit_values(m, kappa):
    """E[ρ] = ∫ e^{κ(cos θ−1)} sin^(m−1)θ · 2 sin(θ/2) dθ / ∫ e^{κ(cos θ−1)} sin^(m−1)θ dθ by mpmath.quad at 50 digits
    (formulas.kernel_means_mp) lies in the ball; the ball of E[ρ²] = 2(1 − A_m) (a different mean) does not."""
    k = sympy.Rational(kappa)
    with mpmath.workdps(50):
        expected = _ball(F.kernel_means_mp([lambda r: r], m, mpmath.mpf(k.p) / k.q)[0])
    got = means.mean_chord_arb(m, k)
    assert got.overlaps(expected) and got.rad() < 1e-20
    with ctx.workprec(128):  # Jensen: E[ρ] < √E[ρ²], strictly for a non-degenerate kernel
        second = (2 * (1 - (arb(k.p) / k.q).bessel_i(arb(m + 1) / 2) / (arb(k.p) / k.q).bessel_i(arb(m - 1) / 2)))
    assert not second.overlaps(expected) and got < second.sqrt()


@pytest.mark.parametrize("m, kappa", [(1, "3"), (1, "1249"), (2, "5/2"), (2, "208"), (2, "20000")])
def test_kernel_total_is_one_in_balls(m, kappa):
    """∫ K_κ dσ = 1: the ball (acb.integral × arb Bessel C_m(κ)) contains 1 and is narrower than 10⁻²⁵; with the
    normaliser of the other dimension (a wrong C_m) the ball excludes 1 (the check can fail)."""
    k = sympy.Rational(kappa)
    total = means.kernel_total_arb(m, k)
    assert total.overlaps(arb(1)) and total.rad() < 1e-25
    with ctx.workprec(128):
        wrong = total / means.kernel.normaliser_arb(m, k) * means.kernel.normaliser_arb(3 - m, k)
    assert not wrong.overlaps(arb(1))
