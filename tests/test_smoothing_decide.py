"""E2 decided by E2.sup alone (proofs/smoothing/decide.py, the theorem's decide hook): certified without f_κ or the
split, the same verdict as the full check, and tampered constructions not passed."""
from __future__ import annotations

import pytest

from proofs.smoothing.construction import E2Evaluator
from verifier.claims import Evidence, Verdict
from verifier.run import run

# m = 1, ε = 0.2, the gauss rule: the quadrature bound asks for 168 points, 14 achieve ε (E2.budget.quadrature FAILs
# there: the proof's split, not the theorem's claim) and 13 do not.
BASE = {"dim": 1, "eps": "0.2", "points": "1000"}


def _claims(result) -> dict:
    return {c.id: c for c in result.claims}


def test_e2_decides_its_sup_alone_certified_without_the_smoothed_target(monkeypatch):
    monkeypatch.setattr(E2Evaluator, "smoothed_sups", lambda self: pytest.fail("decide sampled f_κ"))
    result = run("smoothing", {**BASE, "size": "14"}, decide=True)
    claims = _claims(result)
    assert set(claims) == {"H.lipschitz", "H.bound", "H0.closed-form", "E2.sup"}
    assert claims["E2.sup"].verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    assert result.facts["rule_size"] == 14 and result.facts["prefix_length"] == 14 and result.facts["kappa"] > 0
    assert result.facts["sup_error"]["value"] <= result.facts["sup_error"]["certified_upper"] <= 0.2


def test_decide_and_the_full_check_agree_on_the_sup_claim():
    """At 14 points the full check FAILs on the split's budget while E2.sup holds in both; at 13 both refute E2.sup."""
    for size, verdict in (("14", Verdict.PASS), ("13", Verdict.FAIL)):
        decided = _claims(run("smoothing", {**BASE, "size": size}, decide=True))["E2.sup"]
        full = run("smoothing", {**BASE, "size": size})
        assert decided.verdict is _claims(full)["E2.sup"].verdict is verdict and full.verdict is Verdict.FAIL, size


@pytest.mark.parametrize("tamper", ["few-nodes", "small-kappa"])
def test_a_tampered_construction_is_not_decided_pass(tamper):
    """Negative control: on S¹ at ε = 0.2 both tamper modes push the head's error above ε (tests/test_smoothing.py);
    the decision must FAIL with a witness."""
    result = run("smoothing", {**BASE, "tamper": tamper, "points": "500"}, decide=True)
    sup = _claims(result)["E2.sup"]
    assert sup.verdict is Verdict.FAIL and sup.witness is not None and result.verdict is Verdict.FAIL


def test_the_decision_splits_cells_for_eps_alone():
    """The full check splits its cells until ‖H − f‖ ≤ ε, the leakage bound and the quadrature room all hold; the decision
    asks E2.sup only, so it stops with fewer cells, at a certified bound of ‖H − f‖ still ≤ ε."""
    decided, full = (run("smoothing", BASE, decide=decide).facts["sup_error"] for decide in (True, False))
    assert decided["decided"] and full["decided"] and decided["cells"] < full["cells"]
    assert full["certified_upper"] <= decided["certified_upper"] <= 0.2


def test_a_short_prefix_on_the_sphere_is_decided_token_by_token(monkeypatch):
    """m = 2, ε = 0.2, rule size 11 (N = 242, sampled sup 0.134): token by token the branch and bound proves E2.sup; with
    groups (negative control: the threshold lowered to 0) the bound stalls above ε (0.203) and the size stays
    INCONCLUSIVE, never FAIL, within the same 20 000 cells."""
    from proofs.smoothing import groups

    options = {"dim": 2, "eps": "0.2", "size": "11", "cert_cells": "20000", "points": "2000"}
    proved = _claims(run("smoothing", options, decide=True))["E2.sup"]
    assert proved.verdict is Verdict.PASS and proved.evidence is Evidence.CERTIFIED
    monkeypatch.setattr(groups, "TOKEN_BY_TOKEN", 0)
    assert _claims(run("smoothing", options, decide=True))["E2.sup"].verdict is Verdict.INCONCLUSIVE
