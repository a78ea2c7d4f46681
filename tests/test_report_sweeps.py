"""Sweeps in a report: sweep JSON read back and checked (with the configuration's line on bad input), shown as
tables and a log–log curve in report.json, index.html and report.md."""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from verifier import cli
from verifier.errors import InputError
from verifier.report.plots import check_figure, to_svg
from verifier.report.suite import read_suite
from verifier.report.sweeps import MAX_BYTES, read_sweep, sweep_figure, sweep_record

ROOT = Path(__file__).resolve().parents[1]


def sweep_json(**change) -> dict:
    rows = [{"eps": e, "eps_exact": s, "prefix_length": n, "size": n // 4, "temperature": 100.0 * n, "bound": n + 4,
             "sup_error": e / 4, "verdict": "PASS", "evidence": "sampled", "minimal_prefix_length": n // 3,
             "minimal_size": n // 12, "minimal_sup_error": e * 0.9, "minimal_evidence": "sampled", "tried": []}
            for e, s, n in ((0.2, "1/5", 60), (0.1, "1/10", 116), (0.05, "1/20", 228))]
    fit = {"slope": 0.98, "stderr": 0.01, "points": 3, "reference_exponent": 1.0, "reference": "m (E1)"}
    return {"theorem": "single-head", "dim": 1, "options": {}, "eps": ["0.2", "0.1", "0.05"], "rows": rows,
            "fits": {"prefix_length": fit, "minimal_prefix_length": fit,
                     "paper_rate": {**fit, "reference_exponent": 28.0, "reference": "P2: 4m²+14m+10"}}, "complete": True, "workers": "1",
            "command": "verifier sweep single-head --dim 1 --eps 0.2,0.1,0.05", **change}


def config(tmp_path, sweeps: str) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(f'name = "with-sweeps"\nsweeps = {sweeps}\n\n[[instance]]\ntheorem = "limitation"\nname = "l1"\n')
    return path


def test_the_committed_reference_sweeps_are_readable():
    for name in ("e1-m1", "e2-m1", "e1-m2", "e2-m2"):
        sweep = read_sweep(ROOT / "reports" / "sweeps" / f"{name}.json", f"sweeps/{name}.json", "test")
        figure = sweep_figure(sweep_record(sweep))
        check_figure(figure)
        assert figure["log"] and len(figure["series"]) == 3


def test_figure_is_a_log_log_curve_with_the_papers_rate_clipped(tmp_path):
    (tmp_path / "s.json").write_text(json.dumps(sweep_json()))
    record = sweep_record(read_sweep(tmp_path / "s.json", "s.json", "test"))
    figure = sweep_figure(record)
    constructed, smallest, paper = figure["series"]
    assert constructed["values"] == [60, 116, 228] and smallest["values"] == [20, 38, 76]
    assert paper["values"][0] == 60 and paper["values"][-1] == pytest.approx(60 * 4**28)  # ε^−28, normalised at ε = 0.2
    assert figure["y_max"] == 20 * max(paper["values"][:1] + constructed["values"])
    svg = to_svg(figure, salt="t")
    assert svg.startswith("<svg") and all(s["label"] in svg for s in figure["series"])
    without = json.loads(json.dumps(sweep_json()))
    del without["fits"]["paper_rate"]  # a theorem that declares no paper rate: no such curve
    (tmp_path / "t.json").write_text(json.dumps(without))
    assert len(sweep_figure(sweep_record(read_sweep(tmp_path / "t.json", "t.json", "test")))["series"]) == 2
    with pytest.raises(ValueError, match="positive"):  # a log–log curve cannot show a zero
        check_figure({**figure, "series": [{"label": "zero", "values": [0, 1, 2]}]})


@pytest.mark.parametrize("content,words", [
    (None, "cannot be read"),
    ("not json", "is not JSON"),
    (json.dumps({"rows": []}), "lacks theorem, dim, fits, complete"),
    (json.dumps(sweep_json(theorem="no-such")), "not registered"),
    (json.dumps(sweep_json(complete=False)), "interrupted"),
    (json.dumps(sweep_json(theorem=["single-head"])), "not registered"),  # unhashable: was TypeError, exit 4
    (json.dumps(sweep_json(rows=[1, 2])), "rows must be a list of records"),
    (json.dumps(sweep_json(fits=[])), "fits must map each curve to a record"),
    (json.dumps(sweep_json(rows=[{**sweep_json()["rows"][0], "eps": "0.2"}])), "malformed at rows/0/eps: '0.2' is not of type"),
    (json.dumps(sweep_json(dim="1")), "malformed at dim"),
    (json.dumps(sweep_json(rows=[{**sweep_json()["rows"][0], "prefix_length": 10**400}])), "cannot be drawn"),
    (json.dumps(sweep_json(rows=[{**sweep_json()["rows"][0], "minimal_prefix_length": -3}])), "cannot be drawn"),
    (json.dumps(sweep_json()).replace("0.98", "NaN", 1), "holds NaN"),
    ("[" * 100_000, "is not JSON"),
])
def test_a_bad_sweep_file_is_refused_with_the_line_before_any_work(tmp_path, content, words):
    if content is not None:
        (tmp_path / "s.json").write_text(content)
    with pytest.raises(InputError) as error:
        read_suite(config(tmp_path, '["s.json"]'))
    assert words in str(error.value) and "suite.toml:2" in str(error.value)


def test_sweeps_must_be_a_list_of_distinct_names(tmp_path):
    with pytest.raises(InputError, match="list of file names"):
        read_suite(config(tmp_path, '"s.json"'))
    (tmp_path / "a").mkdir()
    for p in ("s.json", "a/s.json"):
        (tmp_path / p).write_text(json.dumps(sweep_json()))
    with pytest.raises(InputError, match="same name"):
        read_suite(config(tmp_path, '["s.json", "a/s.json"]'))


def test_report_shows_the_sweep_in_every_format(tmp_path):
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "sweeps" / "e1-m1.json").write_text(json.dumps(sweep_json()))
    path = config(tmp_path, '["sweeps/e1-m1.json"]')
    suite = read_suite(path)
    assert 'sweeps = ["sweeps/e1-m1.json"]' in suite.to_toml()
    with contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(["report", "--config", str(path), "--out", str(tmp_path / "out")])
    assert status == 0
    folder = tmp_path / "out" / "with-sweeps"
    doc = json.loads((folder / "report.json").read_text())
    (sweep,) = doc["sweeps"]
    assert sweep["name"] == "e1-m1" and [r["prefix_length"] for r in sweep["rows"]] == [60, 116, 228]
    assert sweep["fits"]["prefix_length"]["slope"] == 0.98
    assert (folder / sweep["figure_file"]).read_text().startswith("<svg")
    html = (folder / "index.html").read_text()
    assert 'id="sweep-e1-m1"' in html and "Tightness sweeps" in html and html.count("<svg") >= 1
    markdown = (folder / "report.md").read_text()
    assert "## Tightness sweeps" in markdown and "| 1/10 | 116 |" in markdown and "(figures/sweep-e1-m1.svg)" in markdown


def test_a_device_or_huge_sweep_file_is_refused_before_it_is_read(tmp_path):
    """sweeps = ["/dev/zero"] ended in MemoryError after the whole suite ran: the size is checked before reading."""
    with pytest.raises(InputError, match="suite.toml:2: sweep file /dev/zero is not a regular file"):
        read_suite(config(tmp_path, '["/dev/zero"]'))
    (tmp_path / "big.json").write_text(" " * (MAX_BYTES + 1))
    with pytest.raises(InputError, match=f"is {MAX_BYTES + 1} bytes, more than {MAX_BYTES}"):
        read_suite(config(tmp_path, '["big.json"]'))


def test_the_cli_refuses_a_malformed_sweep_before_running_the_suite(tmp_path, capsys, monkeypatch):
    """A row whose eps is text passed the old checks and crashed the report (exit 4) after every instance had run."""
    from verifier.report import build

    monkeypatch.setattr(build, "run", lambda *a, **k: pytest.fail("an instance ran before the sweep file was checked"))
    (tmp_path / "s.json").write_text(json.dumps(sweep_json(rows=[{**sweep_json()["rows"][0], "eps": "0.2"}])))
    assert cli.main(["report", "--config", str(config(tmp_path, '["s.json"]')), "--out", str(tmp_path / "out")]) == 2
    assert "sweep file s.json is malformed at rows/0/eps" in capsys.readouterr().err
    assert cli.main(["report", "--config", str(config(tmp_path, '["/dev/zero"]')), "--out", str(tmp_path / "out")]) == 2
    assert "/dev/zero is not a regular file" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
