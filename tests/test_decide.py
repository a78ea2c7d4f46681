"""Deciding a candidate size by its deciding claim alone: the hook (verifier.theorem.TheoremBase.decide, run through
verifier.run.run(decide=True)) and E1's (proofs/single_head/decide.py), with negative controls that must not PASS."""
from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

import proofs.single_head.decide as e1_decide
import proofs.single_head.theorem as e1_theorem
from verifier.claims import ClaimResult, Evidence, Kind, Verdict
from verifier.precision import PrecisionPolicy
from verifier.run import run
from verifier.theorem import Outcome, TheoremBase

# m = 1, ε = 0.4: the constructed grid is n = 8; at n = 4 the sampled sup is 0.20 ≤ ε while step 1 (covering ≤ δ) and
# step 3 (far ≤ ε/4) fail, and at n = 1 the sup is above ε.
TINY = {"dim": 1, "eps": "0.4", "points": "300"}
UNDERSIZED, REFUTED = "4", "1"


def _claims(result) -> dict[str, ClaimResult]:
    return {c.id: c for c in result.claims}


class _Plain(TheoremBase):
    name = "plain"
    statement = "a theorem without its own decide"

    def check(self, params):
        return Outcome((ClaimResult("X.sup", "x ≤ 1", Verdict.PASS, Kind.THEOREM, "by hand"),), {"n": params.n})


def test_the_default_decide_is_the_full_check():
    params = SimpleNamespace(policy=PrecisionPolicy(dps=15), seed=0, n=3, to_json=lambda: {})
    assert _Plain().decide(params) == _Plain().check(params)


def test_run_with_decide_calls_the_hook_instead_of_the_check(monkeypatch):
    theorem = e1_theorem.THEOREM
    monkeypatch.setattr(theorem, "check", lambda params: pytest.fail("decide=True ran the full check"))
    result = run("single-head", TINY, decide=True)
    assert set(_claims(result)) == {"H.lipschitz", "H.bound", "H0.closed-form", "E1.step5.sup"}
    assert result.facts["n"] == 8 and result.facts["prefix_length"] == 32 and result.facts["lambda"] > 0


def test_e1_decides_its_sup_certified_where_the_full_check_refutes_its_proof_steps():
    """Below the constructed size the proof's budgets fail while the theorem's claim holds: decide proves the claim
    (certified, a few hundred cells), and the full check agrees on it and FAILs on the steps (sampled witnesses)."""
    decided = run("single-head", {**TINY, "grid": UNDERSIZED}, decide=True)
    sup = _claims(decided)["E1.step5.sup"]
    assert decided.verdict is Verdict.PASS and decided.evidence is Evidence.CERTIFIED
    assert sup.verdict is Verdict.PASS and sup.evidence is Evidence.CERTIFIED and sup.cells < 5_000
    lower, upper = decided.facts["sup_error"]["lower"], decided.facts["sup_error"]["certified_upper"]
    assert lower <= upper <= 0.4 and sup.value == upper
    full = run("single-head", {**TINY, "grid": UNDERSIZED})
    claims = _claims(full)
    assert full.verdict is Verdict.FAIL and claims["E1.step3.far"].verdict is Verdict.FAIL
    assert claims["E1.step5.sup"].verdict is Verdict.PASS and claims["E1.step5.sup"].evidence is Evidence.CERTIFIED
    assert "E1.step3.far" in full.facts["sup_error"]["parts_not_certified"]


@pytest.mark.parametrize("tamper", ["small-lambda", "wrong-values"])
def test_a_tampered_construction_is_not_decided_pass(tamper):
    """Negative control: at ε = 0.2 the tamper modes break the construction's sup (at ε = 0.4 small-lambda still
    achieves it, and PASS is then right); its deciding claim must FAIL with a witness confirmed in mpmath."""
    result = run("single-head", {**TINY, "eps": "0.2", "tamper": tamper, "cert_cells": "5000"}, decide=True)
    sup = _claims(result)["E1.step5.sup"]
    assert sup.verdict is Verdict.FAIL and sup.witness is not None and result.verdict is Verdict.FAIL


def _blind_sampling(monkeypatch):
    """The sampled half blinded: E1.step5.sup always sampled PASS at half of ε (only the balls can now refute it)."""
    real = e1_theorem.sup_claim

    def blind(params, sups):
        claim = real(params, sups)
        return replace(claim, verdict=Verdict.PASS, value=float(params.eps) / 2, witness=None)

    monkeypatch.setattr(e1_theorem, "sup_claim", blind)


def test_the_certified_half_alone_never_passes_a_size_that_misses_eps(monkeypatch):
    """Negative control of the branch and bound: at n = 1 the sup exceeds ε, and with the sampling blinded the
    decision rests on the balls alone, which must not PASS (the worst cell's centre then refutes it in mpmath)."""
    _blind_sampling(monkeypatch)
    result = run("single-head", {**TINY, "grid": REFUTED, "cert_cells": "2000"}, decide=True)
    assert _claims(result)["E1.step5.sup"].verdict is Verdict.FAIL


def test_a_weakened_enclosure_is_caught_by_the_previous_test(monkeypatch):
    """The control of the control: enclosures of ‖H − f‖ halved make the same blinded decision a certified PASS, so
    the test above would catch such a bug."""
    _blind_sampling(monkeypatch)
    real = e1_decide.enclose_parts_many
    monkeypatch.setattr(e1_decide, "enclose_parts_many",
                        lambda prefix, cells, functions: [(parts[0] / 2, *parts[1:]) for parts in real(prefix, cells, functions)])
    result = run("single-head", {**TINY, "grid": REFUTED, "cert_cells": "2000"}, decide=True)
    sup = _claims(result)["E1.step5.sup"]
    assert sup.verdict is Verdict.PASS and sup.evidence is Evidence.CERTIFIED
