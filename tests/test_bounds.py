"""Tests for verifier/bounds.py: certified sup‖f‖ and Lipschitz bounds, at every scale, for continuous
targets only; the gradient enclosures they rest on against mpmath at 50 digits."""
from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest
import sympy
from flint import arb

from verifier import ball
from verifier.ball import compile_arb_gradient, interval, lower, upper
from verifier.bounds import bound_upper, jacobian_norm_ball, lipschitz_upper, norm_ball, operator_norm_ball
from verifier.budget import Budget
from verifier.claims import Evidence, Verdict
from verifier.run import run
from verifier.targets import Target, coordinates

JUMP = "atan(tan(x0+2.5707963))/10"  # = (x0 + 2.5707963 − kπ)/10: slope 1/10, but a jump of π/10 at x0 = π/2 − 2.5707963 ∈ S¹


# --------------------------------------------------------------------------- continuous targets only


def test_a_target_that_jumps_gets_no_finite_lipschitz_bound():
    """sympy simplifies d/dx atan(tan(x0 + c))/10 to 1/10, so the old bound was a certified 0.1; the tree as
    written has tan's pole on the ball, so no box around it gets a finite gradient enclosure."""
    bounded = lipschitz_upper(Target.parse(JUMP, 1, "0.1", "1"), 0.1, Budget(3000))
    assert not bounded.decided and bounded.upper == math.inf
    assert bounded.worst is not None  # the box left undecided contains the pole x0 = π/2 − 2.5707963
    pole = math.pi / 2 - 2.5707963
    assert bounded.worst.lo[0] <= pole <= bounded.worst.hi[0]


@pytest.mark.slow
@pytest.mark.parametrize("claimed", ["0.1", "0.11"])  # the old code: PASS sampled (a tie with its 0.1) and PASS certified
def test_a_target_that_jumps_is_never_a_certified_pass_through_run(claimed):
    result = run("single-head", {"dim": 1, "eps": "0.2", "target": JUMP, "lipschitz": claimed, "bound": "1"})
    claim = {c.id: c for c in result.claims}["H.lipschitz"]
    assert not (claim.verdict is Verdict.PASS and claim.evidence is Evidence.CERTIFIED), claim


@pytest.mark.parametrize("text,m,true", [
    ("sin(2*x0)/2", 1, 1.0),     # tangential derivative −cos(2 cos θ)·sin θ: 1 at θ = π/2
    ("x0*x1", 2, 1.0),           # sin(2θ)/2 on the equator: 1; ‖∇‖ = ‖(x1, x0)‖ ≤ 1 on the ball
    ("Abs(x0)", 1, 1.0),         # |cos θ|: slope ≤ 1, attained at θ = π/2 (the kink's one-sided slopes ±1)
    ("Max(x0, 0.3) + x1/4", 1, math.hypot(1, 0.25)),  # gradient (1, 1/4) where x0 > 0.3: chords there
])
def test_continuous_targets_get_finite_bounds_within_a_few_percent(text, m, true):
    """The negative control of the test above: smooth targets and Abs/Max kinks keep tight certified bounds."""
    bounded = lipschitz_upper(Target.parse(text, m, 1, 1), 1.02 * true, Budget(20_000))
    assert bounded.decided and true <= bounded.upper <= 1.02 * true


@pytest.mark.parametrize("text,true", [("Max(x0, x1)", 1.0), ("Max(x0, Abs(x1))", 1.0), ("Min(x0, x1/2)", 1.0)])
def test_min_max_kinks_keep_their_alternatives(text, true, monkeypatch):
    """At the kink of Max(x0, x1) the gradient lies in the hull of (1, 0) and (0, 1): the bound is their
    largest norm, 1 (the true chordal constant). Negative control: merging the alternatives into one box
    (what the symbolic Heaviside factors did) gives ‖([0, 1], [0, 1])‖ = √2 on every box along the kink."""
    target = Target.parse(text, 1, 1, 1)
    bounded = lipschitz_upper(target, 1.01 * true, Budget(2000))
    assert bounded.decided and true <= bounded.upper <= 1.01 * true
    monkeypatch.setattr(ball, "MAX_ALTERNATIVES", 1)
    merged = lipschitz_upper(target, 1.01 * true, Budget(2000))
    assert not merged.decided and merged.upper > 1.1 * true  # √2, √2, √(5/4)


# --------------------------------------------------------------------------- every scale


@pytest.mark.parametrize("bounder,true", [(lipschitz_upper, 1.0), (bound_upper, 0.5)])
def test_bounds_scale_with_the_target(bounder, true):
    """f = s·sin(2·x0)/2 for s = 10⁻²⁵⁰, 1, 10²⁵⁰: each certified bound is s times the same number (the
    old Lipschitz bound squared floats: 4.97e-162 at s = 10⁻²⁵⁰, no longer a bound of anything scaled)."""
    uppers = {}
    for exponent in (-250, 0, 250):
        scale = 10.0**exponent
        target = Target.parse(f"1e{exponent}*sin(2*x0)/2", 1, 1, 1)
        bounded = bounder(target, 1.001 * true * scale, Budget(20_000))
        assert bounded.decided and 0 < bounded.upper < math.inf
        uppers[exponent] = bounded.upper / scale
    assert all(true <= u <= 1.001 * true for u in uppers.values()), uppers
    assert max(uppers.values()) / min(uppers.values()) - 1 < 1e-6, uppers


def test_norm_and_operator_norm_balls_do_not_square_floats():
    tiny = [arb(3e-200), arb(-4e-200)]
    assert upper(norm_ball(tiny)) == pytest.approx(5e-200, rel=1e-12)
    assert upper(operator_norm_ball([tiny])) == pytest.approx(5e-200, rel=1e-12)
    huge = [[arb(3e200), arb(0)], [arb(0), arb(-4e200)]]
    assert upper(operator_norm_ball(huge)) == pytest.approx(4e200, rel=1e-12)
    assert not operator_norm_ball([[arb("nan"), arb(1)]]).is_finite() and upper(norm_ball([arb("nan")])) == math.inf
    # a row in the hull of (1, 0) and (0, 1), the other in the hull of (0, 1): worst choice ‖[[0, 1], [0, 1]]‖ = √2
    rows = [[(arb(1), arb(0)), (arb(0), arb(1))], [(arb(0), arb(1))]]
    assert upper(jacobian_norm_ball(rows)) == pytest.approx(math.sqrt(2), rel=1e-12)


# --------------------------------------------------------------------------- gradient enclosures vs mpmath


X0, X1, X2 = coordinates(2)
GRADIENT_CASES = [
    sympy.sin(2 * X0) / 2 + X1 * X2**3, sympy.exp(-3 * (X1 - sympy.Rational(1, 5)) ** 2) * sympy.cos(X0),
    sympy.atan(X0 * X2) + sympy.tanh(X1) * sympy.sinh(X0), sympy.sqrt(2 + X0) * sympy.log(3 + X1),
    sympy.Abs(X0 - X1) * sympy.cosh(X2), sympy.Max(X0, X1 ** 2, sympy.Rational(-1, 3)) - sympy.Min(X2, X0),
    (2 + X0) ** X1, (X0**2 + 1) ** sympy.Rational(-3, 2), sympy.tan(X0 / 2) / (2 + X1), X0 ** sympy.Rational(5, 3),
]


def _mp_gradient(expr):
    """∂f/∂x_k by sympy.diff, evaluated by mpmath (an independent path; valid away from kinks)."""
    return [sympy.lambdify(coordinates(2), sympy.diff(expr, x), modules="mpmath") for x in coordinates(2)]


@pytest.mark.parametrize("expr", GRADIENT_CASES, ids=str)
def test_gradient_enclosure_contains_mpmath_derivatives_on_random_boxes(expr):
    rng = np.random.default_rng(19)
    value = sympy.lambdify(coordinates(2), expr, modules="mpmath")
    partials = _mp_gradient(expr)
    compiled = compile_arb_gradient(expr, coordinates(2))
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
    f = compile_arb_gradient(sympy.Abs(X0) + sympy.Max(X1, X2), coordinates(2))
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
    f = compile_arb_gradient(sympy.atan(sympy.tan(X0)), coordinates(2))
    _, (G,) = f([interval(1.5, 1.6), arb(0), arb(0)])
    assert not any(g.is_finite() for g in G)
    _, (G,) = f([interval(0.1, 0.2), arb(0), arb(0)])
    assert G[1] == 0 and G[2] == 0 and lower(G[0]) < 1 < upper(G[0]) and upper(G[0]) - lower(G[0]) < 0.1
    _, (G,) = f([arb(0.15), arb(0), arb(0)])
    assert G[0].contains(1) and float(G[0].rad()) < 1e-18
