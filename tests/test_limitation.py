"""Tests for proofs/limitation/: L1 passes, its negative control fails, the pieces are right."""
from __future__ import annotations

import random

import mpmath
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from flint import arb, ctx

from proofs.limitation import THEOREM, identity as L1
from verifier.attention import Head, forward_matrix_mp
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
    assert by_id["L1.numeric"].evidence is Evidence.CERTIFIED
    assert result.evidence is Evidence.CERTIFIED  # the run says no more than its weakest claim
    assert by_id["L1.numeric"].value < 1e-25


def test_negative_control_fails_every_claim():
    result = run("limitation", {"tamper": "rescaled-content"})
    assert result.verdict is Verdict.FAIL
    assert [c.verdict for c in result.claims] == [Verdict.FAIL] * 3
    numeric = result.claims[-1]
    assert numeric.evidence is Evidence.CERTIFIED  # the gap ball lies wholly above the allowed gap
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


def _reference(value) -> arb:
    """The 50-digit mpmath ``value`` as a ball of radius 10^−45·max(1, |value|): the true number lies in it (mpmath's
    rounding at 50 digits is far below), so a sound enclosure of that number must overlap it."""
    with ctx.workprec(400):
        return arb(mpmath.nstr(value, 55), mpmath.nstr(mpmath.mpf(10) ** -45 * max(1, abs(value)), 5))


def test_one_dimensional_example_by_hand():
    """D = e = d = 1, W = 1: scores σ(t) = x_j·t, values t; n = 1 content token x = 1, prefix s = 2."""
    inst = L1.Instance(Head(sympy.Matrix([[1]]), sympy.Matrix([[1]]), sympy.Matrix([[1]])), ((1,),), ((2,),))
    with mpmath.workdps(50), ctx.workprec(200):
        alpha = mpmath.e**2 / (mpmath.e**2 + mpmath.e)
        expected = (1 - alpha) * 1 + alpha * 2
        assert L1.prefixed_output_arb(inst, 0)[0].overlaps(_reference(expected))
        assert L1.decomposition_arb(inst, 0)[0].overlaps(_reference(expected))
        tampered = (2 * mpmath.e**2 + mpmath.e**2) / (mpmath.e**2 + mpmath.e**2)  # content score 1 → 2
        assert L1.prefixed_output_arb(inst, 0, content_scale=2)[0].overlaps(_reference(tampered))
    assert sympy.simplify(L1.prefix_share_sympy(inst, 0) - sympy.exp(2) / (sympy.exp(2) + sympy.E)) == 0


def _decomposition_mp(inst: L1.Instance, j: int) -> list:
    """An independent mpmath evaluation of (1 − α_j)·H_content + α_j·H_prefix (α_j from the exponentials directly)."""
    def scores(tokens):
        q = [sum(inst.head.W_Q[a, b] * inst.content[j][b] for b in range(inst.head.token_dim)) for a in range(inst.head.W_Q.rows)]
        return [mpmath.fsum(mpmath.mpf(q[a]) * sum(inst.head.W_K[a, b] * t[b] for b in range(inst.head.token_dim))
                            for a in range(len(q))) for t in tokens]
    P = mpmath.fsum(mpmath.exp(s) for s in scores(inst.prefix))
    C = mpmath.fsum(mpmath.exp(s) for s in scores(inst.content))
    alpha = P / (P + C)
    alone, prefixed = (forward_matrix_mp(inst.head, inst.content[j], part) for part in (inst.content, inst.prefix))
    return [(1 - alpha) * a + alpha * p for a, p in zip(alone, prefixed)]


@pytest.mark.parametrize("seed", range(6))
def test_enclosures_contain_independent_50_digit_values(seed):
    """Soundness: at random instances and positions, every ball of both sides contains the 50-digit mpmath value
    (the left side by the mpmath forward pass, the right side by an independent decomposition), at a coarse and a
    fine precision."""
    inst = L1.random_instance(random.Random(seed))
    for j in range(len(inst.content)):
        with mpmath.workdps(50):
            left, right = forward_matrix_mp(inst.head, inst.content[j], [*inst.prefix, *inst.content]), _decomposition_mp(inst, j)
        for bits in (24, 200):
            with ctx.workprec(bits):
                assert all(b.overlaps(_reference(v)) for b, v in zip(L1.prefixed_output_arb(inst, j), left))
                assert all(b.overlaps(_reference(v)) for b, v in zip(L1.decomposition_arb(inst, j), right))


def test_a_weakened_enclosure_is_caught():
    """The soundness check above catches an enclosure that lost its rounding error: the left side's balls at 24 bits
    shrunk to their midpoints miss the 50-digit value."""
    inst = L1.random_instance(random.Random(0))
    with mpmath.workdps(50):
        left = forward_matrix_mp(inst.head, inst.content[0], [*inst.prefix, *inst.content])
    with ctx.workprec(24):
        weakened = [arb(b.mid()) for b in L1.prefixed_output_arb(inst, 0)]
    assert not all(b.overlaps(_reference(v)) for b, v in zip(weakened, left))


def test_gap_ball_is_tiny_at_each_precision():
    inst = L1.random_instance(random.Random(3))
    for bits in (100, 270):
        with ctx.workprec(bits):
            assert L1.relative_gap_arb(inst, 0) < arb(2) ** -(bits - 20)


def test_the_ball_precision_is_the_check_precision():
    assert L1.ball_bits(THEOREM.parameters().policy) == 200  # ⌈60·log₂10⌉ = ⌈199.3⌉


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
    with ctx.workprec(100):
        for j in range(n):
            assert L1.relative_gap_arb(inst, j) < arb(10) ** -25
