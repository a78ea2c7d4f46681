"""The exact sign of s + Σ r_k·log q_k: against mpmath at 120 digits, equality by rationals, undecided cases."""
import mpmath
import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy import Rational as Q, log

from verifier.exact_sign import log_form, log_linear_terms, sign

rationals = st.fractions(min_value=-50, max_value=50, max_denominator=10**6).map(lambda f: Q(f.numerator, f.denominator))
positives = st.fractions(min_value="1/1000", max_value=10**6, max_denominator=10**6).filter(lambda f: f > 0).map(
    lambda f: Q(f.numerator, f.denominator))


@settings(max_examples=80, deadline=None, derandomize=True)
@given(rationals, st.lists(st.tuples(rationals, positives), max_size=4))
def test_sign_agrees_with_an_independent_high_precision_value(s, terms):
    value = s + sum(r * log(q) for r, q in terms)
    with mpmath.workdps(120):
        reference = mpmath.mpf(s.p) / s.q + sum(mpmath.mpf(r.p) / r.q * mpmath.log(mpmath.mpf(q.p) / q.q) for r, q in terms)
    if abs(reference) > mpmath.mpf(10) ** -100:
        assert sign(value) == (1 if reference > 0 else -1)


def test_equality_is_proved_with_rationals():
    assert sign(log(Q(6)) - log(2) - log(3)) == 0
    assert sign(2 * log(Q(3, 7)) - log(Q(9, 49))) == 0
    assert sign(log(Q(6)) - log(2) - log(Q(3)) + Q(1, 10**9)) == 1


def test_what_neither_balls_nor_rationals_decide_is_undecided():
    # 10^-700 is below what 2048-bit balls resolve next to ln 6 − ln 2 − ln 3 = 0, and the constant is not 0
    assert sign(log(Q(6)) - log(2) - log(3) + Q(1, 10**700)) is None
    # 300·ln 2 − 100·ln 8 = 0, but Σ|a_k| = 400 is past the rational test's limit: undecided, never a guess
    assert sign(300 * log(Q(2)) - 100 * log(Q(8))) is None
    assert sign(30 * log(Q(2)) - 10 * log(Q(8))) == 0


def test_awkward_rational_exponent_is_decided_without_forming_the_power():
    # E1's leak with β = 0 and L = 71417807/20000000: a rational power whose exponent has a huge numerator
    r = Q(71417807, 20000000) ** 2 * 1600 * Q(123456789, 1000)
    assert sign(2 - r * log(Q(8 * 1132, 1)) - log(Q(1, 40))) == -1


def test_log_form_and_the_shapes_it_accepts():
    B, N = sympy.symbols("B N", positive=True)
    assert log_form(2 * B * N * sympy.exp(-N / 4)) == log(2) + log(B) + log(N) - N / 4
    assert log_linear_terms(Q(1, 2) + 3 * log(Q(5, 7))) == (Q(1, 2), [(3, Q(5, 7))])
    for bad in (sympy.pi, sympy.sqrt(2), log(sympy.pi), log(Q(-2), evaluate=False)):
        with pytest.raises(ValueError):
            log_linear_terms(bad)


def test_ball_sign_escalates_and_never_guesses():
    from flint import arb, ctx

    from verifier.exact_sign import ball_sign

    asked = []

    def e_minus_tiny_minus_e(bits):  # −10⁻⁵⁰⁰: separated from 0 only by the 2048-bit ball
        asked.append(bits)
        with ctx.workprec(bits):
            return arb(1).exp() - arb(10) ** -500 - arb(1).exp()

    assert ball_sign(e_minus_tiny_minus_e) == -1 and asked == [128, 512, 2048]
    assert ball_sign(lambda bits: arb(0, 1)) is None  # every ball contains 0: undecided
    assert ball_sign(lambda bits: arb(3)) == 1
