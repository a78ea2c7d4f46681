"""verifier.report.summary: groups by proof step, the smallest margin, the summary figure, what a PASS proves; and the
summary on the page (a FAIL never shown as PASS)."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from verifier.report import summary
from verifier.report.html import render_html
from verifier.report.markdown import render_markdown
from verifier.report.plots import STATUS_COLOURS
from verifier.theorem import registry

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reports" / "reference" / "report.json"
SVG = "{http://www.w3.org/2000/svg}"


def claim(id, kind="proof-step", verdict="PASS", evidence="sampled", value=None, bound=None) -> dict:
    margin = None if value is None or bound is None else bound - value
    return {"id": id, "kind": kind, "verdict": verdict, "evidence": evidence, "value": value, "bound": bound, "margin": margin}


def small_doc() -> dict:
    """Two instances of a theorem 't': 'a' passes; 'b' has a claim that fails although its instance verdict says PASS."""
    a = [claim("H.lipschitz", "hypothesis", evidence="certified", value=0.5, bound=1.0),   # relative margin 0.5
         claim("F.two-paths", "framework", value=0.999, bound=1.0),                        # 0.001: a framework claim counts too
         claim("T.size", evidence="exact", value=4.0, bound=4.0),                         # exact, margin 0: proved, not chosen
         claim("T.normaliser", value=1.0, bound=1.0),                                    # value = bound: an equality check
         claim("T.step1.cover", evidence="certified", value=0.9, bound=1.0),              # 0.1
         claim("T.step2.near", value=-0.01, bound=0.0),                                   # bound 0: absolute margin 0.01
         claim("T.step2.far-bound", evidence="exact", value=0.25, bound=0.25),
         claim("T.sup", "theorem", evidence="certified", value=0.02, bound=0.1),
         claim("P1.via-T", "paper", evidence="exact")]
    b = [claim("H.lipschitz", "hypothesis", value=0.5, bound=1.0),
         claim("T.step2.near", verdict="FAIL", value=1.2, bound=1.0),
         claim("T.step3.leak", verdict="INCONCLUSIVE", value=1.0, bound=1.0),
         claim("T.sup", "theorem", value=0.2, bound=1.0)]
    return {"verdict": "PASS", "theorems": [{"name": "t", "instances": [
        {"name": "a", "verdict": "PASS", "evidence": "certified", "claims": a},
        {"name": "b", "verdict": "PASS", "evidence": "sampled", "claims": b}]}]}


def test_claims_are_grouped_by_proof_step_in_order():
    a, b = summary.instances(small_doc())
    assert [(g.key, [c["id"] for c in g.claims]) for g in a.groups] == [
        ("hypotheses", ["H.lipschitz"]), ("framework", ["F.two-paths"]), ("other", ["T.size", "T.normaliser"]),
        ("step-1", ["T.step1.cover"]), ("step-2", ["T.step2.near", "T.step2.far-bound"]), ("sup", ["T.sup"]),
        ("paper", ["P1.via-T"])]
    assert [g.status for g in a.groups] == ["PASS-certified", "PASS-sampled", "PASS-sampled", "PASS-certified", "PASS-sampled",
                                            "PASS-certified", "PASS-exact"]
    assert not any(g.open for g in a.groups)  # all passed: folded
    assert [(g.key, g.status, g.open) for g in b.groups] == [
        ("hypotheses", "PASS-sampled", False), ("step-2", "FAIL", True), ("step-3", "INCONCLUSIVE", True), ("sup", "PASS-sampled", False)]
    assert summary.group_label("step-12") == "step 12" and summary.group_label("sup") == "sup (end to end)"


def test_the_smallest_margin_is_chosen_among_the_numerically_decided_claims():
    a, b = summary.instances(small_doc())
    assert (a.smallest.claim, a.smallest.relative) == ("F.two-paths", pytest.approx(0.001))
    without = copy.deepcopy(small_doc())
    del without["theorems"][0]["instances"][0]["claims"][1]  # no F.two-paths: the next smallest
    assert summary.instances(without)[0].smallest.claim == "T.step2.near"  # absolute 0.01 (its bound is 0) < 0.1
    only_exact = [claim("T.size", evidence="exact", value=4.0, bound=4.0), claim("T.x", value=1.0, bound=1.0)]
    assert summary.smallest_margin(only_exact) is None  # proved equalities and equality checks: no margin to show
    assert (b.smallest.claim, b.smallest.margin, b.smallest.verdict) == ("T.step2.near", pytest.approx(-0.2), "FAIL")


def test_a_failing_claim_is_never_summarised_as_pass():
    """Negative control: instance 'b' says PASS but holds a FAIL claim; the summary, the page and report.md say FAIL."""
    doc = small_doc()
    a, b = summary.instances(doc)
    assert (a.verdict, b.verdict) == ("PASS", "FAIL") and b.not_passed == {"FAIL": 1, "INCONCLUSIVE": 1}
    assert summary.overall(doc) == "FAIL"
    inconclusive = copy.deepcopy(doc)
    inconclusive["theorems"][0]["instances"][1]["claims"][1]["verdict"] = "PASS"
    assert summary.overall(inconclusive) == "INCONCLUSIVE"
    del inconclusive["theorems"][0]["instances"][1]
    assert summary.overall(inconclusive) == "PASS"  # the control: with nothing failing, PASS


@pytest.fixture(scope="module")
def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def _page(doc, tmp_path) -> str:
    return render_html(doc, {f: "<svg></svg>" for f in _svg_files(doc)})


def _svg_files(doc) -> list[str]:
    return [f["file"] for t in doc["theorems"] for i in t["instances"] for f in i["figures"] if f.get("file")] + [
        s["figure_file"] for s in doc["sweeps"]] + [g["figure_file"] for g in doc.get("grids", []) if g.get("figure_file")] + [
        f["file"] for s in doc.get("studies", []) for f in s["figures"]]


def _summary_section(page: str) -> str:
    return page[page.index("<header>"):page.index('<section id="scope">')]


def test_the_page_and_markdown_summarise_a_failed_claim_as_fail(reference, tmp_path):
    """The reference report, and the same with one claim turned FAIL (its instance's verdict left PASS, as a buggy or
    edited report.json could have it): the header, the summary row and the figure's cell say FAIL, its group is open."""
    passed = _page(reference, tmp_path)
    assert re.search(r'<h1>.*<span class="verdict PASS">', passed) and 'class="verdict FAIL"' not in _summary_section(passed)
    doc = copy.deepcopy(reference)
    instance = doc["theorems"][0]["instances"][0]
    target = next(c for c in instance["claims"] if c["id"].endswith(".sup"))
    target.update(verdict="FAIL", value=2 * target["bound"], margin=-target["bound"])
    page = _page(doc, tmp_path)
    head = _summary_section(page)
    assert re.search(r'<h1>.*<span class="verdict FAIL">FAIL</span></h1>', head)
    row = re.search(rf'<tr class="(\w+)"><td><a href="#theorem-[^"]+">[^<]+</a></td><td><a href="#instance-{re.escape(instance["name"])}">',
                    head)
    assert row.group(1) == "FAIL"
    assert f'<a href="#{instance["name"]}-{target["id"]}" class="cid">{target["id"]}</a>' in head  # the smallest margin
    assert f'<details class="group" id="{instance["name"]}-group-sup" open>' in page
    cell = _cell(summary.figure_svg(doc), f"summary-{instance['name']}-sup")
    assert cell == STATUS_COLOURS["FAIL"]
    md = render_markdown(doc, tmp_path)
    assert md.startswith("# prefix-verifier report") and ": FAIL" in md.splitlines()[0]
    assert f"| {instance['name']} | FAIL |" in md


def _cell(svg: str, gid: str) -> str:
    """The fill colour of the summary figure's cell with SVG id ``gid``."""
    tree = ElementTree.fromstring(svg)
    group = next(e for e in tree.iter() if e.get("id") == gid)
    path = next(e for e in group.iter(f"{SVG}path"))
    return re.search(r"fill: (#[0-9a-f]{6})", path.get("style")).group(1)


def test_the_figure_has_one_linked_cell_per_instance_and_group_in_its_colour(reference):
    data = summary.matrix(reference)
    summaries = summary.instances(reference)
    assert data["rows"] == [s.name for s in summaries]
    assert len(data["cells"]) == sum(len(s.groups) for s in summaries)
    svg = summary.figure_svg(reference)
    tree = ElementTree.fromstring(svg)
    links = {e.get("{http://www.w3.org/1999/xlink}href") for e in tree.iter(f"{SVG}a")}
    for s in summaries:
        for g in s.groups:
            assert _cell(svg, f"summary-{s.name}-{g.key}") == STATUS_COLOURS[g.status]
            assert f"#{s.name}-group-{g.key}" in links
    assert len({c["id"] for c in data["cells"]}) == len(data["cells"])
    assert summary.figure_svg(reference) == svg  # deterministic


def test_every_registered_theorem_says_what_a_pass_proves():
    for name in registry():
        paragraphs = summary.scope(name)
        assert len(paragraphs) >= 1 and all(len(p) > 200 for p in paragraphs), name
        text = " ".join(paragraphs)
        assert "PASS" in text and not re.search(r"[*`\[\]#]", text), name  # plain words: shown as text on the page
    assert summary.scope("no-such-theorem") == []


def test_the_page_shows_each_theorems_scope_from_its_docs_page(reference, tmp_path):
    page = _page(reference, tmp_path)
    for t in reference["theorems"]:
        first = summary.scope(t["name"])[0]
        assert first.split(":")[0].replace("'", "&#39;") in page, t["name"]
    assert page.index('id="summary"') < page.index('id="scope"') < page.index('id="paper-claims"')
