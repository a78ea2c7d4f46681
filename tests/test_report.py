"""Tests for verifier.report.render: terminal table, Markdown, report files and the summary line."""
from __future__ import annotations

import dataclasses
import json

import pytest

from verifier.claims import Kind, Verdict
from verifier.report import render_markdown, render_table, summary_line, write_report
from verifier.run import TheoremResult, run

BANNER = "FRAMEWORK ERROR"


@pytest.fixture(scope="module")
def passed() -> TheoremResult:
    return run("single-head", {"dim": 1, "eps": "0.2"}, command="verifier check single-head --dim 1 --eps 0.2")


@pytest.fixture(scope="module")
def failed() -> TheoremResult:
    return run("single-head", {"dim": 1, "eps": "0.2", "tamper": "wrong-values"})


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
    assert lines[-1].startswith(f"VERDICT: PASS (sampled — not a proof) ({n} claims: {n} PASS)")
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


def test_markdown(passed):
    md = render_markdown(passed, "single-head-m1-eps0.2")
    lines = md.splitlines()
    assert lines[0] == "# single-head-m1-eps0.2: PASS (sampled — not a proof)"
    assert "## Claims" in lines
    start = lines.index("## Claims")
    assert lines[start + 2] == "| id | kind | verdict | evidence | value | bound | statement |"
    rows = [line for line in lines[start + 4:] if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [c.id for c in passed.claims]
    assert all("**PASS**" in row for row in rows)
    assert "## Parameters" in lines and "| dim | `1` |" in lines
    assert "## Sup error" in lines
    assert "## Environment" in lines
    assert "Command: `verifier check single-head --dim 1 --eps 0.2`" in md
    for c in passed.claims:
        assert f"- `{c.id}`: {c.method}." in md


def test_markdown_of_failed_run(failed):
    md = render_markdown(failed, "tampered")
    assert md.splitlines()[0] == "# tampered: FAIL"
    sup_row = [line for line in md.splitlines() if line.startswith("| `E1.step5.sup`")]
    assert len(sup_row) == 1 and "**FAIL**" in sup_row[0]
    assert "Command:" not in md  # no command was recorded


def test_write_report(passed, tmp_path):
    folder = write_report(passed, "single-head-m1-eps0.2", tmp_path / "out")
    assert folder == tmp_path / "out" / "single-head-m1-eps0.2"
    md, js = folder / "report.md", folder / "report.json"
    assert md.is_file() and js.is_file()
    data = json.loads(js.read_text())
    assert data["verdict"] == passed.verdict.value == "PASS"
    assert data["theorem"] == "single-head"
    assert [c["id"] for c in data["claims"]] == [c.id for c in passed.claims]
    assert data == json.loads(json.dumps(passed.to_json()))
    assert md.read_text() == render_markdown(passed, "single-head-m1-eps0.2")


def test_write_report_overwrites(passed, failed, tmp_path):
    write_report(passed, "x", tmp_path)
    folder = write_report(failed, "x", tmp_path)
    assert json.loads((folder / "report.json").read_text())["verdict"] == "FAIL"
    assert (folder / "report.md").read_text().startswith("# x: FAIL")


def test_summary_line(passed, failed):
    assert summary_line([passed, failed]) == "2 instances: 1 PASS, 1 FAIL, 0 INCONCLUSIVE (PASS evidence: 1 sampled)"
    assert summary_line([passed, passed, failed]) == "3 instances: 2 PASS, 1 FAIL, 0 INCONCLUSIVE (PASS evidence: 2 sampled)"
    inconclusive = dataclasses.replace(passed, verdict=Verdict.INCONCLUSIVE)
    one = summary_line([inconclusive])
    assert one.startswith("1 instance") and one.endswith(": 0 PASS, 0 FAIL, 1 INCONCLUSIVE")
    assert summary_line([]) == "0 instances: 0 PASS, 0 FAIL, 0 INCONCLUSIVE"


def test_table_of_result_without_claims(passed):
    empty = dataclasses.replace(passed, claims=(), verdict=Verdict.combine([]))
    assert render_markdown(empty, "empty").startswith("# empty: INCONCLUSIVE")
    text = render_table(empty)
    assert text.splitlines()[-1].startswith("VERDICT: INCONCLUSIVE (0 claims")
