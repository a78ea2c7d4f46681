"""Tests for verifier/ball.py: every enclosure (values and gradients) contains the value mpmath computes at 50 digits."""
from __future__ import annotations

import functools
import math
import random

import mpmath
import numpy as np
import pytest
import sympy
from flint import arb, ctx

from verifier.ball import (
    CannotCertify,
    acos,
    arb_rational,
    compile_arb,
    compile_arb_gradient,
    interval,
    lower,
    sympy_number,
    upper,
)
from verifier.errors import InputError

x, y, z = sympy.symbols("x y z", real=True)
XS = (x, y, z)


def contains(ball: arb, value) -> bool:
    """value (mpf or exact sympy number) lies in the ball: lower ≤ value ≤ upper, compared at 50 digits."""
    with mpmath.workdps(50):
        v = mpmath.mpf(value) if not isinstance(value, sympy.Basic) else mpmath.mpf(sympy.N(value, 50))
        return mpmath.mpf(lower(ball)) <= v <= mpmath.mpf(upper(ball))


def point(*values) -> list[arb]:
    return [arb(v) for v in values]


def reference(expr: sympy.Expr, *values) -> mpmath.mpf:
    """expr at the point, evaluated independently by sympy at 50 digits."""
    return mpmath.mpf(sympy.N(expr.subs(dict(zip(XS, map(sympy.Rational, values)))), 50))


# --------------------------------------------------------------------------- compile_arb at points


EXPRESSIONS = [
    x + y + z, x * y * z, x - 2 * y, x**3, x**-2, x ** sympy.Rational(1, 3), x ** sympy.Rational(3, 2),
    x ** sympy.Rational(-1, 2), x**y, sympy.sqrt(x), sympy.sin(x), sympy.cos(x), sympy.tan(x), sympy.exp(x),
    sympy.log(x), sympy.Abs(y - x), sympy.sinh(x), sympy.cosh(x), sympy.tanh(x), sympy.atan(x),
    sympy.Min(x, y, z), sympy.Max(x, y, z), sympy.pi * x, sympy.E + x, sympy.Rational(1, 3) * x,
    sympy.Float(0.1) + x, sympy.sin(2 * x) / 2 + sympy.cos(y) ** 2 - z**4,
]


@pytest.mark.parametrize("expr", EXPRESSIONS, ids=str)
@pytest.mark.parametrize("at", [(0.75, 1.25, 0.5), (1.5, 0.375, 2.0)])
def test_compiled_ball_contains_the_value_and_is_tight(expr, at):
    ball = compile_arb(expr, XS)(point(*at))
    ref = reference(expr, *at)
    assert contains(ball, ref)
    # tight, not just correct: float-level (constants that are not dyadic are rounded at 53 bits when
    # compiled, even powers go through float end points); the 80-bit work is tested below
    assert float(ball.rad()) <= 2.0**-48 * max(1.0, abs(float(ref)))


def test_compiled_ball_contains_the_function_on_a_wide_ball():
    """f(x) ∈ F(X) for every x in X = [0.5, 1.5] (dense samples), for a non-monotone f."""
    expr = sympy.sin(3 * x) * x**2 - sympy.Abs(x - 1)
    ball = compile_arb(expr, (x,))([interval(0.5, 1.5)])
    for i in range(101):
        t = 0.5 + i / 100
        assert contains(ball, reference(expr, t))


def test_precision_is_local_to_the_evaluation():
    before = ctx.prec
    ball = compile_arb(sympy.sin(x), (x,))(point(1))
    assert ctx.prec == before
    assert float(ball.rad()) < 2.0**-70  # worked at PRECISION_BITS = 80, not at the ambient 53


def test_even_power_of_a_ball_around_zero_is_not_negative():
    # [0, max|t|^k], never reaching below 0 (a bug before: the union [0, M] was rounded to about −1e-8)
    ball = compile_arb(x**2, (x,))([interval(-1.0, 3.0)])
    assert lower(ball) == 0 and upper(ball) == pytest.approx(9, rel=1e-7)
    neg = compile_arb(x**4, (x,))([interval(-3.0, -1.0)])
    assert lower(neg) == pytest.approx(1, rel=1e-6) and upper(neg) == pytest.approx(81, rel=1e-6)
    # so a root of it is decided: (x²)^(1/2) on [−0.5, 0.25] is [0, 0.5] (it was not finite)
    root = compile_arb(sympy.Pow(x**2, sympy.Rational(1, 2), evaluate=False), (x,))([interval(-0.5, 0.25)])
    assert root.is_finite() and contains(root, 0) and contains(root, 0.5)
    odd = compile_arb(x**3, (x,))([interval(-1.0, 2.0)])
    assert lower(odd) <= -1 and upper(odd) >= 8


def test_rational_power_of_a_ball_reaching_below_zero_is_not_finite():
    for expr in (x ** sympy.Rational(1, 3), sympy.sqrt(x), x ** sympy.Rational(3, 2)):
        f = compile_arb(expr, (x,))
        assert not f([interval(-0.5, 1.0)]).is_finite()
        inside = f([interval(0.45, 0.55)])
        assert inside.is_finite() and contains(inside, reference(expr, 0.45)) and contains(inside, reference(expr, 0.55))


def test_abs_min_max_are_continuous_and_enclose_their_kinks():
    """The value of Abs/Min/Max over a ball around the kink is the true range; sign and Heaviside are not
    compiled (no user target reaches them, and the gradient compiler never produces them)."""
    ball = compile_arb(sympy.Abs(x) + sympy.Max(x, y) - sympy.Min(x, 0), (x, y))([interval(-0.5, 0.5), arb(0)])
    assert lower(ball) <= 0 and upper(ball) >= 1.5 and upper(ball) < 1.5 + 1e-6
    for jump in (sympy.sign(x), sympy.Heaviside(x)):
        with pytest.raises(CannotCertify):
            compile_arb(jump, (x,))


def test_unsupported_nodes_and_free_symbols_cannot_be_certified():
    with pytest.raises(CannotCertify) as info:
        compile_arb(sympy.floor(x), (x,))
    assert str(info.value) == ("cannot certify: floor (the ball back-end encloses polynomials, sin, cos, tan, exp, log, "
                               "sqrt, Abs, Min, Max, sinh, cosh, tanh, atan)")
    with pytest.raises(CannotCertify, match="free symbol y"):
        compile_arb(x + y, (x,))


# --------------------------------------------------------------------------- numbers


def test_arb_rational_is_exact_for_dyadics_and_tight_otherwise():
    assert arb_rational(sympy.Rational(3, 8)).rad() == 0
    assert arb_rational(sympy.Rational(3, 8)) == arb(3) / 8
    third = arb_rational(sympy.Rational(1, 3))
    assert contains(third, sympy.Rational(1, 3)) and float(third.rad()) < 1e-15


def test_float_constants_are_the_binary_value_exactly():
    ball = compile_arb(sympy.Float(0.1) * x, (x,))(point(1))
    assert ball.rad() == 0 and contains(ball, sympy.Rational(0.1))


def test_sympy_number_encloses_lambda():
    lam = 4 / sympy.Rational(1, 40) ** 2 * sympy.log(8 * 228 / sympy.Rational(1, 20))
    ball = sympy_number(lam)
    assert contains(ball, lam)
    assert float(ball.rad()) < 1e-15 * float(lam)


# --------------------------------------------------------------------------- end points, intervals, acos


@pytest.mark.parametrize("p, q", [(1, 3), (2, 7), (-5, 11), (10**20 + 1, 3), (1, 10**30), (-1, 3 * 2**60)])
def test_upper_and_lower_are_float_bounds_within_a_few_ulps(p, q):
    a = arb(p) / q
    hi, lo = upper(a), lower(a)
    assert arb(hi) >= a and arb(lo) <= a  # the floats bound every number in the ball
    exact = p / q
    assert hi - lo <= 8 * math.ulp(exact) + 2 * float(a.rad())
    assert upper(arb(0.375)) == 0.375 == lower(arb(0.375))  # exact where the end point is a float


def test_upper_of_a_non_finite_ball_is_infinite():
    bad = arb("nan")
    assert upper(bad) == math.inf and lower(bad) == -math.inf


def test_interval_contains_its_ends_and_refuses_bad_ones():
    ball = interval(-0.25, 1.5)
    assert lower(ball) <= -0.25 and upper(ball) >= 1.5
    assert upper(ball) - 1.5 < 1e-9 and -0.25 - lower(ball) < 1e-9
    assert interval(1.0, 1.0) == 1  # a degenerate interval is a point
    for lo, hi in [(1.0, 0.0), (0.0, math.inf), (math.nan, 1.0)]:
        with pytest.raises(InputError, match="not a finite interval"):
            interval(lo, hi)


def test_acos_inside_and_clamped_at_the_ends():
    assert contains(acos(arb(0.5)), mpmath.acos(0.5)) and float(acos(arb(0.5)).rad()) < 1e-15
    near_one = acos(interval(0.9, 1.1))  # arccos on [0.9, 1] = [0, arccos 0.9]
    assert lower(near_one) <= 0 <= upper(near_one) and contains(near_one, mpmath.acos(0.9))
    assert upper(near_one) - math.acos(0.9) < 1e-8 and lower(near_one) > -1e-8  # interval() widens by ~2⁻³⁰
    near_minus_one = acos(interval(-1.1, -0.9))  # [arccos(−0.9), π]
    assert contains(near_minus_one, mpmath.pi) and contains(near_minus_one, mpmath.acos(-0.9))
    assert lower(near_minus_one) > math.acos(-0.9) - 1e-8 and upper(near_minus_one) < math.pi + 1e-8


def test_negative_powers_of_a_ball_around_zero_are_not_finite():
    for expr in (x**-1, x**-2, x**-3):
        assert not compile_arb(expr, (x,))([interval(-0.5, 1.0)]).is_finite()
    ball = compile_arb(x**-2, (x,))([interval(-2.0, -1.0)])  # [1/4, 1]
    assert contains(ball, 0.25) and contains(ball, 1) and lower(ball) > 0.24 and upper(ball) < 1.01


def test_upper_and_lower_bound_random_80_bit_balls():
    """Balls with 80-bit midpoints (float(mid) rounds) and radii that carry m + r across a binade: the padded
    branch of upper must still give a float ≥ every number in the ball."""
    rng = random.Random(0)
    for _ in range(2000):
        with ctx.workprec(80):
            a = arb(rng.randrange(1, 10**24)) / rng.randrange(1, 10**24)
            a = rng.choice([1, -1]) * (a + arb(0, rng.choice([0.0, 1e-30, 1e-17, 1e-3, 0.1, 0.5])))
        assert arb(upper(a)) >= a and arb(lower(a)) <= a


def test_acos_inside_the_open_interval_keeps_the_working_precision():
    """A ball strictly inside (−1, 1) gets arb's own arccos (80-bit tight), not the float end-point union."""
    with ctx.workprec(80):
        third = arb(1) / 3
        ball = acos(third)
    assert contains(ball, mpmath.acos(mpmath.mpf(1) / 3)) and float(ball.rad()) < 1e-20


# --------------------------------------------------------------------------- gradient enclosures vs mpmath


X0, X1, X2 = sympy.symbols("x0:3", real=True)
COORDINATES = (X0, X1, X2)
GRADIENT_CASES = [
    sympy.sin(2 * X0) / 2 + X1 * X2**3, sympy.exp(-3 * (X1 - sympy.Rational(1, 5)) ** 2) * sympy.cos(X0),
    sympy.atan(X0 * X2) + sympy.tanh(X1) * sympy.sinh(X0), sympy.sqrt(2 + X0) * sympy.log(3 + X1),
    sympy.Abs(X0 - X1) * sympy.cosh(X2), sympy.Max(X0, X1 ** 2, sympy.Rational(-1, 3)) - sympy.Min(X2, X0),
    (2 + X0) ** X1, (X0**2 + 1) ** sympy.Rational(-3, 2), sympy.tan(X0 / 2) / (2 + X1), X0 ** sympy.Rational(5, 3),
]


def _mp_gradient(expr):
    """∂f/∂x_k by sympy.diff, evaluated by mpmath (an independent path; valid away from kinks)."""
    return [sympy.lambdify(COORDINATES, sympy.diff(expr, x), modules="mpmath") for x in COORDINATES]


@pytest.mark.parametrize("expr", GRADIENT_CASES, ids=str)
def test_gradient_enclosure_contains_mpmath_derivatives_on_random_boxes(expr):
    rng = np.random.default_rng(19)
    value = sympy.lambdify(COORDINATES, expr, modules="mpmath")
    partials = _mp_gradient(expr)
    compiled = compile_arb_gradient(expr, COORDINATES)
    checked = 0
    for _ in range(40):
        lo = rng.uniform(-1, 0.9, size=3)
        hi = lo + rng.choice([1e-6, 1e-3, 0.1]) * rng.random(3)
        F, alternatives = compiled([interval(a, b) for a, b in zip(lo, hi)])
        if not F.is_finite():
            assert not any(g.is_finite() for G in alternatives for g in G)
            continue
        G = [functools.reduce(arb.union, column) for column in zip(*alternatives)]  # ∇f away from kinks is in each box's hull
        with mpmath.workdps(50):
            for _ in range(4):
                x = [mpmath.mpf(a) + (mpmath.mpf(b) - mpmath.mpf(a)) * mpmath.mpf(rng.random()) for a, b in zip(lo, hi)]
                assert lower(F) <= value(*x) <= upper(F)
                for g, d in zip(G, partials):
                    exact = d(*x)
                    if mpmath.isfinite(exact) and g.is_finite():
                        assert lower(g) <= exact <= upper(g), (expr, x)
                        checked += 1
    assert checked > 100


def test_gradient_of_a_kink_is_the_hull_of_its_one_sided_slopes():
    f = compile_arb_gradient(sympy.Abs(X0) + sympy.Max(X1, X2), COORDINATES)
    _, alternatives = f([interval(-0.1, 0.1), interval(-0.1, 0.1), interval(-0.1, 0.1)])
    assert len(alternatives) == 2  # Max's two candidates; Abs's slope sign(x0) ⊂ [−1, 1] within each
    (a0, a1, a2), (b0, b1, b2) = alternatives
    assert a0.contains(arb(-1).union(arb(1))) and b0.contains(arb(-1).union(arb(1)))
    assert (a1, a2, b1, b2) == (1, 0, 0, 1)
    _, alternatives = f([interval(0.2, 0.3), interval(0.5, 0.6), interval(-0.1, 0.1)])  # x1 > x2: slopes exact
    assert alternatives == ((1, 1, 0),)


def test_gradient_is_not_finite_where_a_subexpression_is_not():
    """atan(tan u) jumps at tan's pole: no finite gradient enclosure on a box around it; away from the pole
    the chain rule u'·(1 + tan²u)/(1 + tan²u) encloses 1 from the balls (not a symbolic 1)."""
    f = compile_arb_gradient(sympy.atan(sympy.tan(X0)), COORDINATES)
    _, (G,) = f([interval(1.5, 1.6), arb(0), arb(0)])
    assert not any(g.is_finite() for g in G)
    _, (G,) = f([interval(0.1, 0.2), arb(0), arb(0)])
    assert G[1] == 0 and G[2] == 0 and lower(G[0]) < 1 < upper(G[0]) and upper(G[0]) - lower(G[0]) < 0.1
    _, (G,) = f([arb(0.15), arb(0), arb(0)])
    assert G[0].contains(1) and float(G[0].rad()) < 1e-18
