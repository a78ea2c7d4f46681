"""Tests for verifier.report.render: the terminal table and the summary line."""
from __future__ import annotations

import dataclasses

import pytest

from verifier.claims import Kind, Verdict
from verifier.report import render_table, summary_line
from verifier.run import TheoremResult, run

BANNER = "FRAMEWORK ERROR"


# cert_cells 5000: a small budget that still decides the default instance (E1's certified steps need 112 cells)
@pytest.fixture(scope="module")
def passed() -> TheoremResult:
    return run("single-head", {"dim": 1, "eps": "0.2", "cert_cells": "5000"},
               command="verifier check single-head --dim 1 --eps 0.2 --cert-cells 5000")


@pytest.fixture(scope="module")
def failed() -> TheoremResult:
    return run("single-head", {"dim": 1, "eps": "0.2", "tamper": "wrong-values", "cert_cells": "5000"})


@pytest.fixture(scope="module")
def framework_broken(passed) -> TheoremResult:
    claims = tuple(dataclasses.replace(c, verdict=Verdict.FAIL, detail="FRAMEWORK ERROR: paths disagree")
                   if c.id == "F.two-paths" else c for c in passed.claims)
    return dataclasses.replace(passed, claims=claims, verdict=Verdict.FAIL)


# ---------------------------------------------------------------------------------------------
def test_table_lists_every_claim_and_verdict(passed):
    text = render_table(passed)
    lines = text.splitlines()
    for c in passed.claims:
        assert any(line.strip().startswith(c.id + " ") for line in lines), c.id
    n = len(passed.claims)
    assert lines[-1].startswith(f"VERDICT: PASS (certified) ({n} claims: {n} PASS)")
    assert "wall time" in lines[-1]
    assert lines[0].startswith("single-head: ")
    assert "dim=1" in lines[0] and "tamper" not in lines[0]  # None-valued parameters are left out
    assert "prefix length N = 60" in text
    assert "sup error" in text
    assert BANNER not in text
    assert "witness x" not in text  # witnesses are shown only for claims that did not pass


def test_table_of_failed_run(failed):
    text = render_table(failed)
    lines = text.splitlines()
    assert lines[-1].startswith("VERDICT: FAIL")
    fails = sum(c.verdict is Verdict.FAIL for c in failed.claims)
    assert f"{fails} FAIL" in lines[-1]
    assert "tamper=wrong-values" in lines[0]
    assert text.count("witness x =") == sum(c.verdict is not Verdict.PASS and c.witness is not None
                                            for c in failed.claims) >= 1
    # a FAIL of the theorem is not a framework error
    assert BANNER not in text


def test_framework_error_banner(framework_broken):
    text = render_table(framework_broken)
    assert BANNER in text
    assert "not trustworthy" in text
    assert text.splitlines()[-1].startswith("VERDICT: FAIL")
    assert any(c.kind is Kind.FRAMEWORK and c.verdict is Verdict.FAIL for c in framework_broken.claims)


def test_summary_line(passed, failed):
    assert summary_line([passed, failed]) == "2 instances: 1 PASS, 1 FAIL, 0 INCONCLUSIVE (PASS evidence: 1 certified)"
    assert summary_line([passed, passed, failed]) == "3 instances: 2 PASS, 1 FAIL, 0 INCONCLUSIVE (PASS evidence: 2 certified)"
    inconclusive = dataclasses.replace(passed, verdict=Verdict.INCONCLUSIVE)
    one = summary_line([inconclusive])
    assert one.startswith("1 instance") and one.endswith(": 0 PASS, 0 FAIL, 1 INCONCLUSIVE")
    assert summary_line([]) == "0 instances: 0 PASS, 0 FAIL, 0 INCONCLUSIVE"


def test_table_of_result_without_claims(passed):
    empty = dataclasses.replace(passed, claims=(), verdict=Verdict.combine([]))
    text = render_table(empty)
    assert text.splitlines()[-1].startswith("VERDICT: INCONCLUSIVE (0 claims")


def test_table_labels_facts_with_their_own_theorems_labels(passed):
    """E2's prefix_length_bound (the rule's own N) is not shown under E1's label 2(m+1)(n+1)^m."""
    from verifier.theorem import get

    e2 = dataclasses.replace(passed, theorem="smoothing", facts={"prefix_length": 12, "prefix_length_bound": 12, "rule_size": 6})
    text = render_table(e2)
    labels = get("smoothing").fact_labels
    assert f"{labels['prefix_length_bound']} = 12" in text and f"{labels['rule_size']} = 6" in text
    assert "2(m+1)(n+1)^m" not in text
    assert "bound 2(m+1)(n+1)^m = " in render_table(passed)


def test_table_says_why_a_pass_on_weaker_evidence_is_inconclusive(passed):
    """--require / --evidence certified: every claim PASS, the verdict INCONCLUSIVE, and the table says why."""
    reason = "PASS rests on sampled evidence (H.lipschitz); --evidence certified makes it INCONCLUSIVE"
    required = dataclasses.replace(passed, verdict=Verdict.INCONCLUSIVE, facts={**passed.facts, "required_evidence": reason})
    assert f"  INCONCLUSIVE: {reason}" in render_table(required).splitlines()
    assert "INCONCLUSIVE:" not in render_table(passed)
