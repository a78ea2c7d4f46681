"""Tests for verifier/strategies.py: what each strategy draws, the guaranteed constants, the docs' doctests."""
from __future__ import annotations

import doctest
import math
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.attention import Head, Prefix
from verifier.claims import Verdict
from verifier.precision import PrecisionPolicy
from verifier.strategies import (LipschitzTarget, RidgeTerm, heads, lipschitz_targets, prefixes, sequences, sphere_points,
                                 sqrt_upper, tokens)
from verifier.targets import check_hypotheses, coordinates

DOCS = Path(__file__).resolve().parent.parent / "docs" / "strategies.md"
FAST = settings(max_examples=30, deadline=None, database=None)


def test_docs_examples_run_as_doctests():
    result = doctest.testfile(str(DOCS), module_relative=False)
    assert result.attempted >= 10 and result.failed == 0


@settings(max_examples=10, deadline=None, database=None)
@given(st.data())
def test_every_documented_strategy_is_public_and_draws_what_the_docs_say(data):
    """The strategies of the docs' table are exported (a star import gets each, as `__all__` says) and each draws
    the object its row names, of the requested size."""
    rows = [line for line in DOCS.read_text().splitlines() if line.startswith("| `")]
    documented = [name for line in rows for name in re.findall(r"`(\w+)\(", line)]
    assert documented == ["sphere_points", "lipschitz_targets", "prefixes", "heads", "tokens", "rationals", "sequences"]
    public: dict = {}
    exec("from verifier.strategies import *", public)  # a fixed string: the module's public names
    assert set(documented) <= set(public)
    draw = {name: data.draw(public[name](*args), label=name) for name, args in (
        ("sphere_points", (2,)), ("lipschitz_targets", (1, 2)), ("prefixes", (2, 3)), ("heads", (3, 2, 1)),
        ("tokens", (3,)), ("rationals", ()), ("sequences", (4,)))}
    assert len(draw["sphere_points"]) == 3 and abs(math.fsum(c * c for c in draw["sphere_points"]) - 1) < 1e-12
    assert isinstance(draw["lipschitz_targets"], LipschitzTarget) and draw["lipschitz_targets"].target().d == 2
    prefix = draw["prefixes"]
    assert isinstance(prefix, Prefix) and prefix.keys.shape[1] == 3 and prefix.values.shape[1] == 3
    head = draw["heads"]
    assert isinstance(head, Head) and (head.W_Q.shape, head.W_K.shape, head.W_V.shape) == ((2, 3), (2, 3), (1, 3))
    assert len(draw["tokens"]) == 3 and all(isinstance(t, sympy.Rational) for t in draw["tokens"])
    assert isinstance(draw["rationals"], sympy.Rational)
    assert len(draw["sequences"]) == 4 and all(0 <= t <= 1 for t in draw["sequences"])


@FAST
@given(st.integers(1, 4).flatmap(sphere_points))
def test_sphere_points_are_on_the_sphere(x):
    assert abs(math.fsum(c * c for c in x) - 1) < 1e-12


@FAST
@given(st.fractions(min_value=0, max_value=10**6))
def test_sqrt_upper_is_the_smallest_upper_bound_on_its_grid(value):
    root = sqrt_upper(value)
    assert root * root >= value
    assert (root - Fraction(1, 10**6)) ** 2 < value or root == 0


def _formula(terms) -> tuple[float, float]:
    """L_k = Σ|a|ω‖w‖ and B_k = Σ|a| in floating point, from the terms."""
    return (sum(float(abs(t.amplitude)) * t.frequency * math.sqrt(sum(c * c for c in t.direction)) for t in terms),
            sum(float(abs(t.amplitude)) for t in terms))


@FAST
@given(st.integers(1, 3).flatmap(lambda m: st.integers(1, 3).flatmap(lambda d: lipschitz_targets(m, d))))
def test_constants_are_tight_upper_bounds_of_the_formula(f):
    per = [_formula(terms) for terms in f.components]
    L = math.sqrt(sum(l * l for l, _ in per)) * 1.01  # the default margin 1/100
    B = math.sqrt(sum(b * b for _, b in per)) * 1.01
    assert L * (1 - 1e-12) <= float(f.lipschitz) <= L + 0.01 + 1e-4 * (1 + L)  # rounded up to hundredths
    assert B * (1 - 1e-12) <= float(f.bound) <= B + 0.01 + 1e-5 * (1 + B)
    assert (f.lipschitz * 100).denominator == 1 and (f.bound * 100).denominator == 1


@FAST
@given(st.integers(1, 3).flatmap(lambda m: lipschitz_targets(m, d=2)))
def test_text_reads_back_as_the_terms(f):
    target = f.target()
    xs = coordinates(f.m)
    fn = {"sin": sympy.sin, "cos": sympy.cos}
    for component, terms in zip(target.components, f.components):
        built = sum(sympy.Rational(t.amplitude.numerator, t.amplitude.denominator)
                    * fn[t.function](t.frequency * sum(c * x for c, x in zip(t.direction, xs))) for t in terms)
        assert sympy.simplify(component - built) == 0
    assert target.lipschitz == sympy.Rational(f.lipschitz.numerator, f.lipschitz.denominator)


@FAST
@given(lipschitz_targets(m=2, d=1))
def test_sampled_quotients_never_exceed_the_guaranteed_constant(f):
    target = f.target()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((400, 3))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    Y = X + 1e-3 * rng.standard_normal((400, 3))
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)
    quotients = np.linalg.norm(target.numpy(X) - target.numpy(Y), axis=1) / np.linalg.norm(X - Y, axis=1)
    assert quotients.max() <= float(f.lipschitz) * (1 + 1e-9)
    assert np.abs(target.numpy(X)).max() <= float(f.bound) * (1 + 1e-12)


def test_without_margin_an_attained_bound_is_inconclusive():
    """cos(x1) reaches its bound 1 at (1, 0), a point of the scan: with margin 0 the check cannot PASS."""
    f = LipschitzTarget(1, ((RidgeTerm(Fraction(1), 1, (0, 1), "cos"),),), margin=Fraction(0))
    bound = check_hypotheses(f.target(), PrecisionPolicy(dps=20), seed=0, samples=512)[1]
    assert bound.id == "H.bound" and bound.verdict is Verdict.INCONCLUSIVE
    with_margin = LipschitzTarget(1, f.components)
    assert check_hypotheses(with_margin.target(), PrecisionPolicy(dps=20), seed=0, samples=512)[1].verdict is Verdict.PASS


def test_a_claim_below_the_guarantee_is_refuted():
    """The negative control of the property in the docs: halve the constants and sampling refutes them."""
    f = LipschitzTarget(1, ((RidgeTerm(Fraction(1), 3, (1, 0), "sin"),),))
    honest = check_hypotheses(f.target(), PrecisionPolicy(dps=20), seed=0, samples=512)
    assert [c.verdict for c in honest] == [Verdict.PASS, Verdict.PASS]
    from verifier.targets import Target

    halved = Target.parse(f.text, 1, str(f.lipschitz / 2), str(f.bound / 2))
    assert [c.verdict for c in check_hypotheses(halved, PrecisionPolicy(dps=20), seed=0, samples=512)] == [Verdict.FAIL] * 2


def test_rotation_by_a_signed_permutation_maps_directions():
    term = RidgeTerm(Fraction(1, 2), 2, (1, -2, 0), "cos")
    swap_negate = ((0, -1, 0), (1, 0, 0), (0, 0, 1))  # R e0 = e1, R e1 = −e0
    assert term.rotated(swap_negate).direction == (2, 1, 0)
    f = LipschitzTarget(2, ((term,),))
    assert f.rotated(swap_negate).lipschitz == f.lipschitz and f.rotated(swap_negate).bound == f.bound


@FAST
@given(heads(token_dim=3, value_dim=2))
def test_heads_respect_fixed_dimensions(head):
    assert head.token_dim == 3 and head.value_dim == 2 and head.W_Q.shape == head.W_K.shape
    assert all(isinstance(e, sympy.Rational) and abs(e) <= 2 for W in (head.W_Q, head.W_K, head.W_V) for e in W)


@FAST
@given(heads())
def test_heads_draw_any_shapes_that_fit(head):
    e, D = head.W_Q.shape
    assert 1 <= e <= 4 and 1 <= D <= 4 and head.W_V.shape[1] == D


@FAST
@given(prefixes(2, d=3, max_length=5))
def test_prefixes_have_h0_shapes(prefix):
    assert 1 <= len(prefix) <= 5
    assert prefix.tokens().shape == (len(prefix), 2 + 1 + 1 + 3)
    assert np.all(np.isfinite(prefix.tokens())) and np.abs(prefix.tokens()).max() <= 10


@FAST
@given(sequences(), sequences(4), tokens(3))
def test_sequences_and_tokens(x, y, t):
    assert 1 <= len(x) <= 6 and len(y) == 4 and all(0 <= c <= 1 for c in (*x, *y))
    assert len(t) == 3 and all(isinstance(c, sympy.Rational) for c in t)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_dimension_is_refused(bad):
    with pytest.raises(ValueError, match="dimension"):
        sphere_points(bad)
    with pytest.raises(ValueError):
        lipschitz_targets(bad)
