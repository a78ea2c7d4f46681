"""verifier/report/grids.py: `verifier grid --json` results shown in a report (table + heat map), checked when the
configuration is read."""
import json

import pytest

from verifier.errors import InputError
from verifier.grid import GridResult
from verifier.report.grids import grid_record, read_grid
from verifier.report.suite import read_suite


def grid_json(rows=None, **changes):
    rows = rows if rows is not None else [
        {"cell": {"tokens": t, "seed": s}, "verdict": v, "evidence": e, "reason": why, "claims": [],
         "framework_errors": [], "facts": facts}
        for t, s, v, e, why, facts in [("2", "0", "PASS", "certified", None, {"content_scale": 1}),
                                       ("2", "1", "PASS", "certified", None, {"content_scale": 1}),
                                       ("3", "0", "FAIL", "exact", None, {"content_scale": 2}),
                                       ("3", "1", "NOT BUILT", None, "the rank condition fails", {})]]
    data = GridResult("limitation", {"dps": "30"}, {"tokens": ["2", "3"], "seed": ["0", "1"]}, rows, ["content_scale"],
                      "content_scale", True, "here", 1.0, {}, "verifier grid limitation …").to_json()
    return {**data, **changes}


def write(tmp_path, data, name="audit.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_record_of_a_grid(tmp_path):
    grid = read_grid(write(tmp_path, grid_json()), "audit.json", "suite.toml:2")
    record = grid_record(grid)
    assert record["verdict"] == "FAIL" and record["counts"] == {"PASS": 2, "FAIL": 1, "NOT BUILT": 1}
    assert record["columns"] == ["content_scale"] and record["column_labels"][0].startswith("content score factor")
    assert record["rows"][3] == {"cell": {"tokens": "3", "seed": "1"}, "verdict": "NOT BUILT", "evidence": None,
                                 "reason": "the rank condition fails", "facts": {"content_scale": None}}
    assert record["figure_file"] == "figures/grid-audit.svg"
    one_axis = grid_record(read_grid(write(tmp_path, grid_json(axes={"tokens": ["2", "3"]},
                                                               rows=[{**r, "cell": {"tokens": r["cell"]["tokens"]}}
                                                                     for r in grid_json()["rows"][::2]])),
                                     "audit.json", "w"))
    assert one_axis["figure_file"] is None  # a heat map needs two varied options


@pytest.mark.parametrize("content, message", [
    ("{", "is not JSON"),
    (json.dumps({"kind": "sweep"}), "is not a `verifier grid --json` result"),
    (json.dumps(grid_json(theorem="nope")), "not registered"),
    (json.dumps(grid_json(complete=False)), "interrupted"),
    (json.dumps(grid_json(rows=[])), "interrupted"),
    (json.dumps(grid_json(columns=7)), "malformed"),
    (json.dumps(grid_json(rows=[{"cell": {"tokens": "2", "seed": "0"}, "verdict": "MAYBE", "evidence": None,
                                 "reason": None, "facts": {}}])), "is malformed"),
])
def test_a_bad_grid_file_is_refused_with_the_fix(tmp_path, content, message):
    with pytest.raises(InputError, match=message):
        read_grid(write(tmp_path, content), "audit.json", "suite.toml:2")


def test_column_labels():
    from verifier.report.grids import column_label

    labels = {"sup_error": "sup error", "sup_error.value": "value", "rank": "rank [A c]"}
    assert column_label(labels, "rank") == "rank [A c]"
    assert column_label(labels, "sup_error.value") == "sup error: value"
    assert column_label(labels, "sup_error.points") == "sup error: points"
    assert column_label(labels, "other") == "other"


def test_a_missing_grid_file_is_refused(tmp_path):
    with pytest.raises(InputError, match="verifier grid … --json PATH"):
        read_grid(tmp_path / "none.json", "none.json", "suite.toml:2")


def test_suite_reads_grids_and_writes_them_back(tmp_path):
    (tmp_path / "audits").mkdir()
    write(tmp_path / "audits", grid_json())
    config = tmp_path / "suite.toml"
    config.write_text('grids = ["audits/audit.json"]\n\n[[instance]]\ntheorem = "limitation"\n')
    suite = read_suite(config)
    assert [g.name for g in suite.grids] == ["audit"]
    assert 'grids = ["audits/audit.json"]' in suite.to_toml()
    config.write_text(suite.to_toml())
    assert read_suite(config).digest == suite.digest
    config.write_text('grids = "audits/audit.json"\n\n[[instance]]\ntheorem = "limitation"\n')
    with pytest.raises(InputError, match="suite.toml:1: grids must be a list"):
        read_suite(config)


def test_report_shows_the_grid(tmp_path):
    from datetime import datetime, timezone

    from verifier.report.build import run_suite, write_report

    (tmp_path / "audits").mkdir()
    write(tmp_path / "audits", grid_json())
    config = tmp_path / "suite.toml"
    config.write_text('name = "g"\ngrids = ["audits/audit.json"]\n\n[[instance]]\ntheorem = "limitation"\n')
    suite = read_suite(config)
    folder = write_report(run_suite(suite, "test"), suite, tmp_path / "out" / "g", "test", 0.0,
                          datetime(2026, 1, 1, tzinfo=timezone.utc))
    doc = json.loads((folder / "report.json").read_text())
    assert doc["grids"][0]["verdict"] == "FAIL"
    html = (folder / "index.html").read_text()
    assert 'id="grid-audit"' in html and 'href="#grid-audit"' in html and "the rank condition fails" in html
    assert (folder / "figures" / "grid-audit.svg").exists()
    markdown = (folder / "report.md").read_text()
    assert "## Audits" in markdown and "| 3 | 1 | — | NOT BUILT: the rank condition fails |" in markdown
