"""Tests for verifier/bounds.py: certified sup‖f‖ and Lipschitz bounds, at every scale, for continuous
targets only (the gradient enclosures they rest on are tested in test_ball.py)."""
from __future__ import annotations

import math

import pytest
from flint import arb

from verifier import ball
from verifier.ball import upper
from verifier.bounds import bound_upper, jacobian_norm_ball, lipschitz_upper, norm_ball, operator_norm_ball
from verifier.budget import Budget
from verifier.claims import Evidence, Verdict
from verifier.run import run
from verifier.targets import Target

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
