"""Tests for proofs/limitation/: L1 passes, its negative control fails, the pieces are right."""
from __future__ import annotations

import random

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.limitation import THEOREM, identity as L1
from verifier.attention import Head
from verifier.claims import Evidence, Verdict
from verifier.cli import main
from verifier.errors import InputError
from verifier.run import run
from verifier.strategies import heads, tokens


def test_default_instance_passes_with_stated_evidence():
    result = run("limitation", {})
    assert result.verdict is Verdict.PASS
    by_id = {c.id: c for c in result.claims}
    assert set(by_id) == {"L1.identity", "P0.proportions", "L1.numeric"}
    assert by_id["L1.identity"].evidence is Evidence.EXACT and by_id["P0.proportions"].evidence is Evidence.EXACT
    assert by_id["L1.numeric"].evidence is Evidence.SAMPLED
    assert result.evidence is Evidence.SAMPLED  # the run says no more than its weakest claim
    assert by_id["L1.numeric"].value < 1e-25


def test_negative_control_fails_every_claim():
    result = run("limitation", {"tamper": "rescaled-content"})
    assert result.verdict is Verdict.FAIL
    assert [c.verdict for c in result.claims] == [Verdict.FAIL] * 3
    numeric = result.claims[-1]
    assert numeric.value > 1e-3 and "relative gap" in numeric.detail


def test_cli_exit_codes():
    assert main(["check", "limitation", "--instances", "3"]) == 0
    assert main(["check", "limitation", "--instances", "3", "--tamper", "rescaled-content"]) == 1
    assert main(["check", "limitation", "--tokens", "9"]) == 2


@pytest.mark.parametrize("raw", [{"tokens": "0"}, {"token_dim": "4"}, {"tamper": "other"}, {"dps": "10"}, {"nope": "1"}])
def test_bad_options_are_input_errors(raw):
    with pytest.raises(InputError):
        THEOREM.parameters(**raw)


def test_vanishes_tells_identities_from_non_identities():
    a, b = sympy.symbols("a b", real=True)
    ea, eb = sympy.exp(a), sympy.exp(b)
    assert L1.vanishes([ea / (ea + eb) + eb / (ea + eb) - 1])[0]
    assert L1.vanishes([sympy.exp(a * (b + 1)) - sympy.exp(a * b + a)])[0]  # exponents compared expanded
    holds, residuals = L1.vanishes([ea / (ea + eb) - sympy.Rational(1, 2)])
    assert not holds and residuals[0] != 0


def test_one_dimensional_example_by_hand():
    """D = e = d = 1, W = 1: scores σ(t) = x_j·t, values t; n = 1 content token x = 1, prefix s = 2."""
    inst = L1.Instance(Head(sympy.Matrix([[1]]), sympy.Matrix([[1]]), sympy.Matrix([[1]])), ((1,),), ((2,),))
    with mpmath.workdps(30):
        alpha = mpmath.e**2 / (mpmath.e**2 + mpmath.e)
        expected = (1 - alpha) * 1 + alpha * 2
        assert abs(L1.prefixed_output_mp(inst, 0)[0] - expected) < mpmath.mpf(10) ** -28
        assert abs(L1.decomposition_mp(inst, 0)[0] - expected) < mpmath.mpf(10) ** -28
        tampered = (2 * mpmath.e**2 + mpmath.e**2) / (mpmath.e**2 + mpmath.e**2)  # content score 1 → 2
        assert abs(L1.prefixed_output_mp(inst, 0, content_scale=2)[0] - tampered) < mpmath.mpf(10) ** -28
    assert sympy.simplify(L1.prefix_share_sympy(inst, 0) - sympy.exp(2) / (sympy.exp(2) + sympy.E)) == 0


def test_gap_is_at_rounding_level_at_each_precision():
    inst = L1.random_instance(random.Random(3))
    for digits in (30, 80):
        with mpmath.workdps(digits):
            assert L1.relative_gap_mp(inst, 0) < mpmath.mpf(10) ** -(digits - 5)


def test_random_instances_are_reproducible_and_of_random_shape():
    assert L1.random_instance(random.Random(7)) == L1.random_instance(random.Random(7))
    rng = random.Random(0)
    assert len({L1.random_instance(rng).shape() for _ in range(10)}) > 1


def test_same_inputs_same_numbers():
    a, b = run("limitation", {"seed": 4, "instances": 5}), run("limitation", {"seed": 4, "instances": 5})
    assert [c.to_json() for c in a.claims] == [c.to_json() for c in b.claims]


@settings(max_examples=25, deadline=None, database=None)
@given(heads(max_dim=3), st.integers(1, 3), st.integers(1, 3), st.data())
def test_identity_on_random_heads(head, n, N, data):
    """L1 as a property: any head from the public strategy, any rational tokens, every position."""
    D = head.token_dim
    inst = L1.Instance(head, tuple(data.draw(tokens(D)) for _ in range(n)), tuple(data.draw(tokens(D)) for _ in range(N)))
    with mpmath.workdps(30):
        for j in range(n):
            assert L1.relative_gap_mp(inst, j) < mpmath.mpf(10) ** -25
