"""The committed reference report (reports/reference/) and the example suite in docs/reports.md."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from verifier.report import docs_links
from verifier.report.schema import validate
from verifier.report.suite import read_suite

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "reports" / "reference"


def test_reference_report_is_valid_and_made_from_the_committed_configuration():
    doc = json.loads((REFERENCE / "report.json").read_text())
    validate(doc)
    assert doc["command"] == "verifier report --config reports/reference.toml --out reports"
    assert doc["configuration"]["toml"] == read_suite(ROOT / "reports" / "reference.toml").to_toml()
    for theorem in doc["theorems"]:
        for instance in theorem["instances"]:
            for figure in instance["figures"]:
                assert figure["file"] is None or (REFERENCE / figure["file"]).is_file()


def test_every_docs_link_of_the_reference_report_resolves():
    doc = json.loads((REFERENCE / "report.json").read_text())
    links = {t["docs"] for t in doc["theorems"]} | {c["docs"] for t in doc["theorems"] for i in t["instances"] for c in i["claims"]}
    assert None not in links
    for link in links:
        path, anchor = link.split("#")
        assert f'<a id="{anchor}"></a>' in (ROOT / path).read_text(), link
        assert docs_links.anchors()[anchor] == path


def test_the_example_suite_in_the_docs_is_valid(tmp_path):
    text = (ROOT / "docs" / "reports.md").read_text()
    (example,) = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    (tmp_path / "suite.toml").write_text(example)
    (tmp_path / "sweeps").mkdir()  # the example names a reference sweep, relative to the configuration's folder
    shutil.copy(ROOT / "reports" / "sweeps" / "e1-m1.json", tmp_path / "sweeps")
    suite = read_suite(tmp_path / "suite.toml")
    assert [e.name for e in suite.entries] == ["m1-eps0.05", "single-head-2"]
    assert [s.name for s in suite.sweeps] == ["e1-m1"]
