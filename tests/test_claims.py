"""Tests for verifier/claims.py: verdicts, the 'value ≤ bound' decision and the JSON form."""
from __future__ import annotations

import dataclasses
import json

import mpmath
import sympy
import pytest
from hypothesis import given, settings, strategies as st

from verifier.claims import (
    ClaimResult,
    Evidence,
    claim_identity,
    Kind,
    Verdict,
    claim_le_certified,
    claim_holds,
    claim_le,
    claim_sup_le,
    decide_le,
)
from verifier.precision import PrecisionPolicy

FAST = settings(max_examples=60, deadline=None, derandomize=True)
P, F, I = Verdict.PASS, Verdict.FAIL, Verdict.INCONCLUSIVE


# --------------------------------------------------------------------------- Verdict.combine


@pytest.mark.parametrize(
    "verdicts,expected",
    [
        ([], I),
        ([P], P),
        ([P, P, P], P),
        ([F], F),
        ([I], I),
        ([P, I], I),
        ([P, I, F], F),
        ([I, F, I], F),
        ([F, P], F),
        ([I, I], I),
    ],
)
def test_combine_table(verdicts, expected):
    assert Verdict.combine(verdicts) is expected


def test_combine_accepts_a_generator():
    assert Verdict.combine(v for v in [P, P, F]) is F
    assert Verdict.combine(iter([])) is I


@FAST
@given(st.lists(st.sampled_from(list(Verdict)), max_size=12))
def test_combine_property(verdicts):
    out = Verdict.combine(verdicts)
    if F in verdicts:
        assert out is F
    elif I in verdicts or not verdicts:
        assert out is I
    else:
        assert out is P and all(v is P for v in verdicts)
    # Order does not matter.
    assert Verdict.combine(list(reversed(verdicts))) is out


# --------------------------------------------------------------------------- decide_le


@pytest.mark.parametrize(
    "value,bound,tol,expected",
    [
        (0.5, 1, 1e-10, P),
        (1 - 1e-9, 1, 1e-10, P),
        (1 - 1e-11, 1, 1e-10, I),
        (1, 1, 1e-10, I),
        (1 + 1e-11, 1, 1e-10, I),
        (1 + 1e-9, 1, 1e-10, F),  # negative control: above the bound → FAIL
        (2, 1, 1e-10, F),
        (1e9, 1, 1e-10, F),
        # relative slack for |bound| > 1: slack = tol·|bound| = 1e-4
        (1e6 + 5e-5, 1e6, 1e-10, I),
        (1e6 + 2e-4, 1e6, 1e-10, F),
        (1e6 - 2e-4, 1e6, 1e-10, P),
        # absolute slack for |bound| < 1: slack = tol = 1e-6
        (1e-3 + 5e-7, 1e-3, 1e-6, I),
        (1e-3 + 2e-6, 1e-3, 1e-6, F),
        # negative bounds use |bound|
        (-5 + 4e-10, -5, 1e-10, I),
        (-5 + 6e-10, -5, 1e-10, F),
        (-5 - 6e-10, -5, 1e-10, P),
    ],
)
def test_decide_le_band(value, bound, tol, expected):
    with mpmath.workdps(30):
        assert decide_le(value, bound, tol) is expected


@FAST
@given(
    bound=st.floats(-1e6, 1e6, allow_nan=False),
    tol_exp=st.integers(3, 12),
    k=st.floats(1.5, 1e3),
)
def test_decide_le_property(bound, tol_exp, k):
    with mpmath.workdps(40):
        tol = mpmath.mpf(10) ** -tol_exp
        b = mpmath.mpf(bound)
        slack = tol * max(1, abs(b))
        assert decide_le(b - k * slack, b, tol) is P
        assert decide_le(b + k * slack, b, tol) is F
        assert decide_le(b + slack / k, b, tol) is I
        assert decide_le(b - slack / k, b, tol) is I
        assert decide_le(b, b, tol) is I


def test_decide_le_at_policy_precision():
    policy = PrecisionPolicy(dps=30)  # tol = 1e-25
    with mpmath.workdps(policy.verify_dps):
        one = mpmath.mpf(1)
        assert decide_le(one + mpmath.mpf("1e-20"), 1, policy.tolerance) is F
        assert decide_le(one - mpmath.mpf("1e-20"), 1, policy.tolerance) is P
        assert decide_le(one, 1, policy.tolerance) is I


def test_decide_le_does_not_depend_on_global_precision():
    policy = PrecisionPolicy(dps=30)
    with mpmath.workdps(policy.verify_dps):
        above = mpmath.mpf(1) + mpmath.mpf("1e-20")
    with mpmath.workdps(15):  # mpmath's default global precision, as in check_hypotheses
        assert decide_le(1, 1, policy.tolerance) is I
        assert decide_le(above, 1, policy.tolerance) is F


# --------------------------------------------------------------------------- ClaimResult / claim_le / claim_holds

JSON_KEYS = {"id", "statement", "kind", "verdict", "value", "bound", "method", "witness", "detail", "evidence", "points", "cells", "seconds",
             "value_text", "bound_text"}


def test_claim_le_builds_result_and_json():
    r = claim_le(
        "E1.step1", "covering radius ≤ δ", 0.25, 0.5, 1e-10, Kind.PROOF_STEP, "exact-gaps",
        witness=[0.6, 0.8], detail="m=1",
    )
    assert r.verdict is P
    assert r.value == 0.25 and r.bound == 0.5
    assert r.witness == (0.6, 0.8)
    j = r.to_json()
    assert set(j) == JSON_KEYS
    assert j["verdict"] == "PASS" and j["kind"] == "proof-step"
    assert j["witness"] == [0.6, 0.8]
    assert j["id"] == "E1.step1" and j["method"] == "exact-gaps" and j["detail"] == "m=1"
    # plain data: serialisable, and round-trips through json
    assert json.loads(json.dumps(j)) == j


def test_claim_le_negative_control_fails():
    r = claim_le("x", "value ≤ bound", 3, 2, 1e-10, Kind.THEOREM, "sampled")
    assert r.verdict is F
    assert r.to_json()["verdict"] == "FAIL"
    assert r.to_json()["witness"] is None


def test_claim_le_values_are_floats_even_from_mpf():
    with mpmath.workdps(50):
        r = claim_le("x", "s", mpmath.mpf(1) / 3, mpmath.mpf(1), mpmath.mpf("1e-30"), Kind.HYPOTHESIS, "m")
    assert type(r.value) is float and type(r.bound) is float
    assert r.value == pytest.approx(1 / 3, rel=1e-15)
    json.dumps(r.to_json())


def test_claim_holds():
    ok = claim_holds("L1.identity", "identity holds", True, Kind.THEOREM, "sympy")
    bad = claim_holds("N.count", "N = formula", False, Kind.PROOF_STEP, "integer", value=3.0, bound=2.0)
    assert ok.verdict is P and bad.verdict is F
    assert bad.value == 3.0 and bad.bound == 2.0
    assert set(bad.to_json()) == JSON_KEYS
    assert bad.to_json()["kind"] == "proof-step"


def test_claim_result_is_frozen_and_comparable():
    a = ClaimResult("a", "s", P, Kind.PAPER, "m")
    b = ClaimResult("a", "s", P, Kind.PAPER, "m")
    assert a == b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.verdict = F  # type: ignore[misc]


def test_enum_values_are_strings():
    assert {v.value for v in Verdict} == {"PASS", "FAIL", "INCONCLUSIVE"}
    assert Verdict("FAIL") is F
    assert Kind.FRAMEWORK.value == "framework" and Kind.HYPOTHESIS.value == "hypothesis"


# --------------------------------------------------------------------------- claim_le_certified / claim_sup_le


def test_claim_le_certified_symbolic_equality_is_exact():
    # value == bound exactly: equality must be proved symbolically (balls would only say "cannot separate").
    r = claim_le_certified("eq", "√8 ≤ 2√2", sympy.sqrt(8), 2 * sympy.sqrt(2), Kind.PROOF_STEP, "sympy")
    assert (r.verdict, r.evidence) == (P, Evidence.EXACT)
    assert "symbolically" in r.method
    assert r.value == pytest.approx(2 * 2**0.5, rel=1e-15)


def test_claim_le_certified_decides_by_balls_and_says_certified():
    below = claim_le_certified("lt", "π ≤ 22/7", sympy.pi, sympy.Rational(22, 7), Kind.THEOREM, "m")
    above = claim_le_certified("gt", "22/7 ≤ π", sympy.Rational(22, 7), sympy.pi, Kind.THEOREM, "m")
    assert (below.verdict, below.evidence) == (P, Evidence.CERTIFIED) and "arb balls" in below.method
    assert (above.verdict, above.evidence) == (F, Evidence.CERTIFIED)  # negative control


def test_a_value_equal_to_its_bound_up_to_1e_40_is_never_exact():
    """The old decider read value − bound as a 50-digit float with a tolerance and called the result exact: 1 + 10⁻⁴⁰
    against 1 was INCONCLUSIVE on 'exact' evidence, and √2·(1 + 10⁻⁴⁰) against √2 too. Balls see the difference."""
    for value, bound in ((1 + sympy.Rational(1, 10**40), sympy.Integer(1)),
                         (sympy.sqrt(2) * (1 + sympy.Rational(1, 10**40)), sympy.sqrt(2)),
                         (sympy.pi, sympy.pi + sympy.Rational(1, 10**40))):
        claim = claim_le_certified("b", "value ≤ bound", value, bound, Kind.THEOREM, "m")
        assert claim.evidence is Evidence.CERTIFIED
        assert claim.verdict is (F if value > bound else P)


def test_balls_that_cannot_separate_give_inconclusive_never_exact():
    from flint import arb, ctx

    def one_minus_tiny_minus_one(bits):
        with ctx.workprec(bits):
            return 1 - arb(10) ** -400 - 1

    wide = claim_le_certified("w", "e ≤ e + 10⁻³⁰⁰ (a ball around 0)", sympy.E, sympy.E + sympy.Rational(1, 10**300),
                              Kind.PROOF_STEP, "m", enclose=lambda _bits: arb(0, 1e-200))
    assert (wide.verdict, wide.evidence) == (I, Evidence.CERTIFIED) and "cannot separate" in wide.detail
    unknown = claim_le_certified("u", "I_0(3) ≤ 5", sympy.besseli(0, 3), sympy.Integer(5), Kind.PROOF_STEP, "m")
    assert (unknown.verdict, unknown.evidence) == (I, Evidence.CERTIFIED) and "besseli" in unknown.detail
    tight = claim_le_certified("t", "1 − 10⁻⁴⁰⁰ ≤ 1 by a caller's ball", 1 - sympy.Rational(1, 10**400), sympy.Integer(1),
                               Kind.PROOF_STEP, "m", enclose=one_minus_tiny_minus_one)
    assert (tight.verdict, tight.evidence) == (P, Evidence.CERTIFIED)  # the 2048-bit ball separates what 128 bits cannot


def _sup(value, agrees=True):
    from types import SimpleNamespace

    return SimpleNamespace(
        value=mpmath.mpf(value), value_working=mpmath.mpf(value), float64_value=float(value),
        argmax=(1.0, 0.0), points=1000, dps=30, verify_dps=60, precision_agrees=agrees,
        float64_agrees=True, method="sampled", seconds=0.5,
    )


def test_claim_sup_le():
    tol = mpmath.mpf("1e-25")
    ok = claim_sup_le("E1.sup", "sup ≤ ε", _sup("0.01"), 0.05, tol, Kind.THEOREM)
    bad = claim_sup_le("E1.sup", "sup ≤ ε", _sup("0.08"), 0.05, tol, Kind.THEOREM)
    unsure = claim_sup_le("E1.sup", "sup ≤ ε", _sup("0.01", agrees=False), 0.05, tol, Kind.THEOREM)
    assert ok.verdict is P and bad.verdict is F
    # precision disagreement overrides even a clear PASS
    assert unsure.verdict is I and "--dps" in unsure.detail
    assert ok.witness == (1.0, 0.0)
    assert "1000 points" in ok.method and "30" in ok.method and "60" in ok.method


def test_underflowing_values_are_reported_not_silently_zero():
    with mpmath.workdps(30):
        tiny = mpmath.exp(-70000)
    c = claim_le("x", "tiny ≤ 1", tiny, 1, mpmath.mpf(10) ** -25, Kind.PROOF_STEP, "m")
    assert c.value == 0.0 and "e-30401" in c.detail and "below the float64 range" in c.detail
    e = claim_le_certified("y", "exact tiny ≤ 1", sympy.exp(-70000), sympy.Integer(1), Kind.PROOF_STEP, "m")
    assert e.verdict is Verdict.PASS and "e-30401" in e.detail
    assert claim_le("z", "zero", 0, 1, 1e-25, Kind.PROOF_STEP, "m").detail == ""


def test_a_value_not_reproduced_at_the_check_precision_is_inconclusive():
    """Even far below its bound, a value whose two precisions disagree decides nothing."""
    c = claim_le("x", "0.1 ≤ 1", 0.1, 1, 1e-25, Kind.PROOF_STEP, "m", precision_agrees=False)
    assert c.verdict is I and "raise --dps" in c.detail
    assert claim_le("x", "0.1 ≤ 1", 0.1, 1, 1e-25, Kind.PROOF_STEP, "m").verdict is P


def test_evidence_weakest_and_labels():
    from verifier.claims import Evidence

    assert Evidence.weakest([Evidence.EXACT, Evidence.CERTIFIED]) is Evidence.CERTIFIED
    assert Evidence.weakest([Evidence.EXACT, Evidence.SAMPLED, Evidence.CERTIFIED]) is Evidence.SAMPLED
    assert Evidence.weakest([]) is Evidence.SAMPLED
    assert Evidence.SAMPLED.label == "sampled — not a proof" and Evidence.CERTIFIED.label == "certified"


def test_deciders_state_their_evidence():
    from verifier.claims import Evidence

    assert claim_holds("a", "s", True, Kind.PAPER, "sympy").evidence is Evidence.EXACT
    assert claim_le("a", "s", 0.1, 1, 1e-20, Kind.PROOF_STEP, "scan").evidence is Evidence.SAMPLED
    assert claim_le_certified("a", "s", sympy.Rational(1, 3), sympy.Rational(1, 2), Kind.PROOF_STEP, "m").evidence \
        is Evidence.CERTIFIED


def test_claim_exp_le_decides_from_the_logarithms():
    from verifier.claims import claim_exp_le

    log = sympy.log
    equal = claim_exp_le("eq", "e^{ln 6} ≤ 2·3", log(sympy.Integer(6)), log(sympy.Integer(2)) + log(sympy.Integer(3)),
                         Kind.PROOF_STEP, "exact")
    below = claim_exp_le("lt", "e^{−10^6 ln 7} ≤ 1/2", -10**6 * log(sympy.Integer(7)), -log(sympy.Integer(2)), Kind.PROOF_STEP, "exact")
    above = claim_exp_le("gt", "e ≤ 2", sympy.Integer(1), log(sympy.Integer(2)), Kind.PROOF_STEP, "exact")  # negative control
    assert (equal.verdict, equal.evidence.value) == (P, "exact") and "rational" in equal.method
    assert (below.verdict, below.evidence.value) == (P, "certified") and "below the float64 range" in below.detail
    assert above.verdict is F and above.value == pytest.approx(mpmath.e) and above.bound == 2
    undecided = claim_exp_le("u", "300 ln 2 vs 100 ln 8", 300 * log(sympy.Integer(2)), 100 * log(sympy.Integer(8)),
                             Kind.PROOF_STEP, "exact")
    assert undecided.verdict is I and undecided.evidence is Evidence.CERTIFIED  # balls tried, nothing proved exactly


def test_claim_sup_le_carries_the_points_and_time_of_its_search():
    claim = claim_sup_le("E1.sup", "sup ≤ ε", _sup("0.01"), 0.05, mpmath.mpf("1e-25"), Kind.THEOREM)
    assert (claim.points, claim.seconds, claim.cells) == (1000, 0.5, None)
    assert claim.to_json()["points"] == 1000 and claim.to_json()["seconds"] == 0.5


def test_two_paths_claim_one_rule_relative_to_the_value_scale():
    """F.two-paths: float64 gap ≤ 10⁻¹⁰·max(1, scale), mpmath gap ≤ tolerance·max(1, scale), the named sups agree;
    value = the larger gap / max(1, scale) against 10⁻¹⁰; the mpmath pair may be absent (and the claim says so)."""
    import numpy as np

    from verifier.claims import TWO_PATHS_FLOAT64, TwoPaths, two_paths_claim
    from verifier.precision import PrecisionPolicy
    from verifier.supnorm import SupResult

    policy = PrecisionPolicy(dps=20)
    X = np.linspace(0, 1, 7)[:, None]
    sup = SupResult(name="error", value=mpmath.mpf(1), value_working=mpmath.mpf(1), float64_value=1.0, argmax=(0.5,),
                    points=7, dps=20, verify_dps=40, precision_agrees=True, float64_agrees=True, method="test")

    def paths(f64_shift=0.0, mp_shift=0):
        return TwoPaths(lambda P: 3 * P, lambda P: 3 * P + f64_shift, X, lambda x: [3 * mpmath.mpf(x[0])],
                        lambda x: [3 * mpmath.mpf(x[0]) + mp_shift], at=X[3])

    honest = two_paths_claim(paths(), {"error": sup}, 3, policy)
    assert (honest.id, honest.verdict, honest.kind, honest.value, honest.bound) == (
        "F.two-paths", Verdict.PASS, Kind.FRAMEWORK, 0.0, TWO_PATHS_FLOAT64)
    assert honest.statement.startswith("the derived closed form and the plain matrix forward pass agree (float64 at 7 points, "
                                       "mpmath at the argmax)")
    # the same gaps pass at scale 3 and fail at scale 1
    for f64_shift, mp_shift in ((2e-10, 0), (0, 2 * policy.tolerance)):
        assert two_paths_claim(paths(f64_shift, mp_shift), {"error": sup}, 3, policy).verdict is Verdict.PASS
        failed = two_paths_claim(paths(f64_shift, mp_shift), {"error": sup}, 0.5, policy)
        assert failed.verdict is Verdict.FAIL and failed.detail.startswith("FRAMEWORK ERROR: closed form vs matrix pass")
    assert two_paths_claim(paths(2e-10), {"error": sup}, 3, policy).value == pytest.approx(2e-10 / 3)
    disagreeing = two_paths_claim(paths(), {"error": dataclasses.replace(sup, float64_agrees=False)}, 1, policy)
    assert disagreeing.verdict is Verdict.FAIL and disagreeing.detail.endswith("float64 vs mpmath disagree for ['error']")
    alone = two_paths_claim(TwoPaths(lambda P: P, lambda P: P, X, what="sequences", mp_skipped="too long"), {}, 1, policy)
    assert alone.verdict is Verdict.PASS and "(float64 at 7 sequences, no mpmath pass)" in alone.statement
    assert alone.method.endswith("mpmath matrix pass not run: too long")


def test_claim_identity_passes_only_when_every_residual_is_exactly_zero():
    x = sympy.Symbol("x")
    ok = claim_identity("T.id", "sin² + cos² = 1", [sympy.simplify(sympy.sin(x) ** 2 + sympy.cos(x) ** 2 - 1)],
                               Kind.PROOF_STEP, "sympy: simplify")
    assert ok.verdict is Verdict.PASS and ok.evidence is Evidence.EXACT and ok.detail == ""
    wrong = claim_identity("T.id", "x² = x", [0, sympy.expand(x**2 - x), 0, 1, 2, 3], Kind.PROOF_STEP, "m")
    assert wrong.verdict is Verdict.FAIL and wrong.detail == "non-zero residuals: [x**2 - x, 1, 2]"


def test_no_float_decider_is_labelled_exact_anywhere():
    """Grep-style audit of verifier/ and proofs/ (and the documented example theorem): the old 50-digit-float decider
    claim_exact_le is gone, and 'exact' evidence is assigned only in verifier/claims.py, by claim_holds (its callers
    pass yes/no facts from sympy or integers, or say sampled) and by claim_exp_le's rational equality test."""
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[1]
    sources = [p for folder in ("verifier", "proofs", "docs/examples") for p in (root / folder).rglob("*.py")]
    assert len(sources) > 30
    assign = re.compile(r"evidence\s*(:\s*Evidence\s*)?=\s*Evidence\.EXACT")
    for path in sources:
        text = path.read_text()
        assert "claim_exact_le" not in text, path
        where = [line for line in text.splitlines() if assign.search(line) or "Evidence.EXACT if" in line]
        if path.relative_to(root).as_posix() == "verifier/claims.py":
            assert len(where) == 2, where  # claim_holds' default, claim_exp_le's equality branch
        else:
            assert not where, (path, where)


# --------------------------------------------------------------------------- value_text / bound_text: the real number
def test_an_underflowing_value_keeps_its_real_size_in_scientific_notation():
    """e^{−10⁶ ln 7} = 7^{−10⁶} ≈ 9.12e−845099 is 0 in float64; its text is the number, checked against an independent
    mpmath power at 30 digits (negative control: the float is 0, which the text must not be)."""
    from verifier.claims import claim_exp_le

    claim = claim_exp_le("lt", "7^{−10^6} ≤ 1/2", -10**6 * sympy.log(sympy.Integer(7)), -sympy.log(sympy.Integer(2)),
                         Kind.PROOF_STEP, "exact")
    with mpmath.workdps(30):
        expected = mpmath.mpf(7) ** (-10**6)
        assert mpmath.almosteq(mpmath.mpf(claim.value_text), expected, rel_eps=mpmath.mpf(10) ** -15)
    assert claim.value == 0.0 and claim.value_text.endswith("e-845099") and float(claim.value_text) == 0.0
    assert mpmath.mpf(claim.bound_text) == mpmath.mpf("0.5") and claim.to_json()["value_text"] == claim.value_text


def test_value_text_of_mpmath_and_exact_values_but_not_of_plain_floats():
    tiny = mpmath.mpf("5.23209e-27267")
    claim = claim_le("leak", "leak ≤ ε/4", tiny, sympy.Rational(1, 80), mpmath.mpf("1e-25"), Kind.PROOF_STEP, "sampled")
    assert claim.value == 0.0 and claim.value_text.startswith("5.23209") and claim.value_text.endswith("e-27267")
    assert claim.bound_text == "1.25e-2" and claim.bound == 0.0125
    plain = claim_le("x", "x ≤ 1", 0.5, 1.0, 1e-10, Kind.PROOF_STEP, "float")
    assert plain.value_text is None and plain.bound_text is None  # a float is its own number
    exact = claim_le_certified("c", "1/3 ≤ 1/2", sympy.Rational(1, 3), sympy.Rational(1, 2), Kind.PROOF_STEP, "exact")
    assert exact.value_text == "3.33333333333333e-1" and exact.verdict is P


def test_a_replaced_value_drops_the_stale_text():
    """A certified upper bound u replacing the sampled value (verifier.certify.combine) must not print the sampled
    value's text: a text is kept only while it is the same number as its float."""
    claim = claim_le("leak", "leak ≤ ε/4", mpmath.mpf("5.23209e-27267"), 0.0125, mpmath.mpf("1e-25"), Kind.PROOF_STEP, "s")
    upper = dataclasses.replace(claim, value=3.5e-323)
    assert claim.value_text is not None and upper.value_text is None
    kept = dataclasses.replace(claim, verdict=Verdict.INCONCLUSIVE)
    assert kept.value_text == claim.value_text  # the same value: its text stays
