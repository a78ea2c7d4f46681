"""Tests for verifier/precision.py: the working/check precision policy."""
from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings, strategies as st

from verifier.errors import InputError
from verifier.precision import PrecisionPolicy, exact_to_mp

FAST = settings(max_examples=25, deadline=None, derandomize=True)


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize("dps", [14, 10, 0, -5])
def test_rejects_dps_below_float64(dps):
    with pytest.raises(InputError, match="dps"):
        PrecisionPolicy(dps=dps)


@pytest.mark.parametrize("dps", [15.0, "30", None])
def test_rejects_non_integer_dps(dps):
    with pytest.raises(InputError):
        PrecisionPolicy(dps=dps)


def test_accepts_dps_15():
    assert PrecisionPolicy(dps=15).dps == 15


@pytest.mark.parametrize("dps,check", [(30, 30), (30, 29), (30, 16), (50, 40), (20, -1)])
def test_rejects_check_dps_not_above_dps(dps, check):
    with pytest.raises(InputError, match="check_dps"):
        PrecisionPolicy(dps=dps, check_dps=check)


@pytest.mark.parametrize("dps", [15, 30, 47, 100])
def test_verify_dps_defaults_to_twice_dps(dps):
    assert PrecisionPolicy(dps=dps).verify_dps == 2 * dps


def test_explicit_check_dps_is_used():
    policy = PrecisionPolicy(dps=30, check_dps=31)
    assert policy.verify_dps == 31


@pytest.mark.parametrize("dps,guard", [(15, 5), (30, 5), (40, 10)])
def test_tolerance_is_ten_to_minus_dps_minus_guard(dps, guard):
    tol = PrecisionPolicy(dps=dps, guard=guard).tolerance
    with mpmath.workdps(2 * dps):
        assert mpmath.almosteq(tol, mpmath.mpf(10) ** (-(dps - guard)), rel_eps=mpmath.mpf(10) ** (-dps))


# --------------------------------------------------------------------------- at_both


def test_at_both_sets_mp_dps_inside_callback():
    policy = PrecisionPolicy(dps=30)
    seen = []

    def compute(d):
        seen.append((d, mpmath.mp.dps))
        return +mpmath.pi

    policy.at_both(compute)
    assert seen == [(30, 30), (60, 60)]


def test_at_both_really_computes_two_precisions():
    policy = PrecisionPolicy(dps=30)
    low, high = policy.at_both(lambda _d: +mpmath.pi)
    # The mantissas carry different numbers of bits (≈100 vs ≈200 bits).
    low_bits, high_bits = low._mpf_[3], high._mpf_[3]
    assert low_bits <= mpmath.libmp.dps_to_prec(30) + 1
    assert high_bits > low_bits + 50
    with mpmath.workdps(100):
        low_digits = mpmath.nstr(low, 90, strip_zeros=False)
        high_digits = mpmath.nstr(high, 90, strip_zeros=False)
        true_pi = mpmath.nstr(+mpmath.pi, 90, strip_zeros=False)
        # The 30-digit value agrees with π to ~30 digits only; the 60-digit one to ~60.
        err_low = abs(low - mpmath.pi)
        err_high = abs(high - mpmath.pi)
    assert low_digits != high_digits
    assert low_digits[:25] == high_digits[:25] == true_pi[:25]
    assert mpmath.mpf(10) ** -40 < err_low < mpmath.mpf(10) ** -29
    assert err_high < mpmath.mpf(10) ** -59
    # …and the two agree under the policy's tolerance.
    assert policy.agree(low, high)


def test_at_both_restores_global_precision():
    before = mpmath.mp.dps
    policy = PrecisionPolicy(dps=40)
    policy.at_both(lambda d: mpmath.sqrt(2))
    assert mpmath.mp.dps == before
    policy.agree(1, 1)
    _ = policy.tolerance
    assert mpmath.mp.dps == before


def test_at_both_restores_global_precision_on_exception():
    before = mpmath.mp.dps

    def boom(_d):
        raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        PrecisionPolicy(dps=33).at_both(boom)
    assert mpmath.mp.dps == before


# --------------------------------------------------------------------------- agree


@FAST
@given(dps=st.integers(15, 60), x=st.floats(-1e6, 1e6, allow_nan=False))
def test_agree_true_for_equal_values(dps, x):
    policy = PrecisionPolicy(dps=dps)
    assert policy.agree(x, x)
    assert policy.agree(mpmath.mpf(x), mpmath.mpf(x))


@FAST
@given(dps=st.integers(15, 60), x=st.floats(-1e6, 1e6, allow_nan=False), factor=st.floats(2, 1e3))
def test_agree_false_beyond_tolerance(dps, x, factor):
    policy = PrecisionPolicy(dps=dps)
    with mpmath.workdps(policy.verify_dps):
        high = mpmath.mpf(x)
        gap = factor * policy.tolerance * max(1, abs(high))
        assert not policy.agree(high + gap, high)
        assert not policy.agree(high - gap, high)
        # Well inside the tolerance band they agree.
        small = policy.tolerance * max(1, abs(high)) / factor
        assert policy.agree(high + small, high)


@FAST
@given(dps=st.integers(15, 50))
def test_at_both_values_agree_for_a_well_conditioned_function(dps):
    policy = PrecisionPolicy(dps=dps)
    low, high = policy.at_both(lambda _d: mpmath.exp(mpmath.mpf(1) / 3) * mpmath.log(7))
    assert policy.agree(low, high)
    # A value perturbed at the working precision's last digits no longer agrees.
    with mpmath.workdps(policy.verify_dps):
        assert not policy.agree(low + mpmath.mpf(10) ** (-(dps - policy.guard - 2)), high)


def test_agree_is_relative_for_large_values():
    policy = PrecisionPolicy(dps=20)  # tol = 1e-15
    with mpmath.workdps(policy.verify_dps):
        big = mpmath.mpf(10) ** 12
        assert policy.agree(big + mpmath.mpf("1e-4"), big)  # relative 1e-16
        assert not policy.agree(big + mpmath.mpf("1e-2"), big)  # relative 1e-14


@pytest.mark.parametrize("dps", [15, 30, 100])
def test_exact_to_mp_reads_an_exact_number_to_the_current_precision(dps):
    """400·ln 2400, 1/1800 and √2/20 at dps digits agree with mpmath's own evaluation at 3·dps digits to the last
    digit of dps (a 15-digit sympy default, or dps − 10 digits, would not)."""
    import sympy
    exact = [(400 * sympy.log(2400), lambda: 400 * mpmath.log(2400)), (sympy.Rational(1, 1800), lambda: mpmath.mpf(1) / 1800),
             (sympy.sqrt(2) / 20, lambda: mpmath.sqrt(2) / 20)]
    for value, independent in exact:
        with mpmath.workdps(3 * dps):
            truth = independent()
        with mpmath.workdps(dps):
            got = exact_to_mp(value)
            assert got.context.prec == mpmath.mp.prec
            assert abs(got - truth) <= abs(truth) * mpmath.mpf(2) ** (1 - mpmath.mp.prec)


def test_exact_to_mp_divides_a_rational_once():
    """A rational p/q is one correctly rounded division at the current precision (smoothing's rational_mp, merged)."""
    import sympy

    for digits in (15, 20, 57):
        with mpmath.workdps(digits):
            assert exact_to_mp(sympy.Rational(1, 3)) == mpmath.mpf(1) / 3
            assert exact_to_mp(sympy.Rational(-22, 7)) == mpmath.mpf(-22) / 7
            assert exact_to_mp(sympy.Integer(5)) == 5
            assert abs(exact_to_mp(sympy.pi) - mpmath.pi) <= mpmath.eps
