"""verifier/grid.py and `verifier grid`: a theorem checked at every combination of some options' values, on Dask."""
import json

import pytest

from verifier import grid
from verifier.cli import main, render_grid
from verifier.claims import Verdict
from verifier.errors import InputError


def test_parse_vary():
    assert grid.parse_vary("layer=0..3") == ("layer", ["0", "1", "2", "3"])
    assert grid.parse_vary("--cert-cells=5, 7") == ("cert_cells", ["5", "7"])
    assert grid.parse_vary("eps=0.2,0.1") == ("eps", ["0.2", "0.1"])
    for bad in ("layer", "layer=", "=1", "layer=3..1", "layer=1,1", f"layer=0..{grid.MAX_CELLS}"):
        with pytest.raises(InputError, match="--vary"):
            grid.parse_vary(bad)


def test_cells_first_axis_slowest():
    assert grid.cells({"a": ["0", "1"], "b": ["x", "y", "z"]}) == [
        {"a": "0", "b": "x"}, {"a": "0", "b": "y"}, {"a": "0", "b": "z"},
        {"a": "1", "b": "x"}, {"a": "1", "b": "y"}, {"a": "1", "b": "z"}]


def test_names_and_every_varied_value_are_validated_before_any_work():
    with pytest.raises(InputError, match="no option 'nope'"):
        grid.check_grid_options("limitation", {}, {"nope": ["1"]})
    with pytest.raises(InputError, match="both varied and fixed"):
        grid.check_grid_options("limitation", {"seed": "0"}, {"seed": ["1"]})
    with pytest.raises(InputError, match="at least one --vary"):
        grid.check_grid_options("limitation", {}, {})
    with pytest.raises(InputError, match="at most"):
        grid.check_grid_options("limitation", {}, {"tokens": [str(k) for k in range(200)], "seed": [str(k) for k in range(51)]})
    grid.check_grid_options("limitation", {}, {"tokens": ["2", "3"], "seed": ["0", "1"]})
    with pytest.raises(InputError, match="cell tokens=0, seed=0"):
        grid.validate("limitation", {}, {"tokens": ["2", "0"], "seed": ["0", "1"]})
    grid.validate("limitation", {}, {"tokens": ["2", "3"], "seed": ["0", "1"]})
    seen = []
    grid.validate("limitation", {}, {"tokens": ["2", "3"], "seed": ["0", "1", "2"]}, lambda items: seen.extend(items) or [None])
    assert seen == grid.validation_cells({"tokens": ["2", "3"], "seed": ["0", "1", "2"]})


def test_validation_cells_take_each_value_once():
    assert grid.validation_cells({"a": ["0", "1"], "b": ["x", "y", "z"]}) == [
        {"a": "0", "b": "x"}, {"a": "1", "b": "x"}, {"a": "0", "b": "y"}, {"a": "0", "b": "z"}]


def test_scalar_facts_flatten_records():
    assert grid.scalar_facts({"a": 1, "b": {"c": 2.5, "d": [1, 2], "e": {"f": "x"}}, "g": [3], "h": None}) == \
        {"a": 1, "b.c": 2.5, "b.e.f": "x", "h": None}


def test_a_cell_is_the_theorems_own_check_and_a_tampered_one_fails():
    honest, _ = grid.grid_cell("limitation", {"tokens": "2"}, {"seed": "0"})
    assert honest["verdict"] == "PASS" and honest["cell"] == {"seed": "0"}
    assert {c["id"] for c in honest["claims"]} >= {"L1.identity"}
    tampered, _ = grid.grid_cell("limitation", {"tokens": "2", "tamper": "rescaled-content"}, {"seed": "0"})
    assert tampered["verdict"] == "FAIL"  # the negative control: the grid reports it, and its verdict is FAIL
    assert Verdict.combine(grid.row_verdict(r) for r in (honest, tampered)) is Verdict.FAIL


def test_a_cell_that_cannot_be_built_is_reported_as_a_fail(monkeypatch):
    import verifier.run

    def refuse(theorem, options, **kwargs):
        raise InputError("the rank condition fails at this cell")

    monkeypatch.setattr(verifier.run, "run", refuse)
    row, _ = grid.grid_cell("limitation", {}, {"seed": "3"})
    assert row["verdict"] == grid.NOT_BUILT and row["reason"] == "the rank condition fails at this cell"
    assert grid.row_verdict(row) is Verdict.FAIL
    assert grid.table_rows(["seed"], ["x"], [row]) == [["3", None, "NOT BUILT: the rank condition fails at this cell"]]


def fake_grid(rows):
    return {"theorem": "limitation", "axes": {"tokens": ["2", "3"], "seed": ["0", "1", "2"]},
            "map_fact": "content_scale", "rows": rows}


def test_heat_map_marks_every_cells_verdict():
    rows = [{"cell": {"tokens": t, "seed": s}, "verdict": v, "evidence": "exact", "facts": {"content_scale": k}}
            for (t, s, v, k) in [("2", "0", "PASS", 1.0), ("2", "1", "FAIL", 2.0), ("3", "0", "INCONCLUSIVE", 3.0),
                                 ("3", "1", grid.NOT_BUILT, None)]]
    figure = grid.heat_map(fake_grid(rows))
    assert figure["kind"] == "map" and figure["y"]["values"] == [2.0, 3.0] and figure["x"]["values"] == [0.0, 1.0, 2.0]
    assert figure["cell_text"] == [["✓", "✗", ""], ["?", "✗", ""]]
    assert figure["z"][0][:2] == [1.0, 2.0] and figure["z"][1][0] == 3.0
    import math
    assert math.isnan(figure["z"][1][1]) and math.isnan(figure["z"][0][2])
    from verifier.report.plots import to_svg
    assert "✗" in to_svg(figure, salt="t")
    assert grid.heat_map({**fake_grid(rows), "axes": {"tokens": ["2", "3"]}}) is None


def test_fact_names_are_checked_before_work():
    grid.check_fact_names("limitation", ["content_scale"], "content_scale")
    with pytest.raises(InputError, match="reports no such fact"):
        grid.check_fact_names("limitation", ["nonsense"], None)


@pytest.mark.parametrize("argv, message", [
    (["--vary", "tokens"], "NAME=VALUES"),
    (["--vary", "tokens=2", "--plot", "x"], "two varied options"),
    (["--vary", "tokens=2", "--vary", "tokens=3"], "given twice"),
    (["--vary", "tokens=2", "--columns", "nonsense"], "no such fact"),
    (["--vary", "tokens=2,0"], "cell tokens=0"),
    (["--vary", "tokens=2", "--scheduler", "tcp://127.0.0.1:1"], "cannot connect to a Dask scheduler"),
])
def test_bad_input_exits_2_before_work(capsys, argv, message):
    assert main(["grid", "limitation", *argv]) == 2
    assert message in capsys.readouterr().err


def test_grid_command_writes_table_json_and_heat_map(tmp_path, capsys):
    out = tmp_path / "g.json"
    status = main(["grid", "limitation", "--vary", "tokens=2,3", "--vary", "seed=0", "--workers", "1", "--json", str(out),
                   "--plot", str(tmp_path / "map"), "--no-progress"])
    printed = capsys.readouterr().out
    assert status == 0
    assert "tokens  seed  content_scale" in printed and printed.count("PASS (certified)") == 2
    data = json.loads(out.read_text())
    assert data["complete"] and data["axes"] == {"tokens": ["2", "3"], "seed": ["0"]}
    assert [r["cell"] for r in data["rows"]] == [{"tokens": "2", "seed": "0"}, {"tokens": "3", "seed": "0"}]
    assert data["columns"] == ["content_scale"] and data["map_fact"] == "content_scale"
    assert (tmp_path / "map.png").stat().st_size > 1000 and (tmp_path / "map.svg").exists()
    import os
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask  # an ordinary file, not the temporary file's private mode


def test_render_grid_counts_verdicts():
    result = grid.GridResult("limitation", {"tokens": "2"}, {"seed": ["0", "1"]},
                             [{"cell": {"seed": "0"}, "verdict": "PASS", "evidence": "exact", "facts": {"content_scale": 1}},
                              {"cell": {"seed": "1"}, "verdict": "FAIL", "evidence": "exact", "facts": {}}],
                             ["content_scale"], None, True, "here", 1.0, {})
    text = render_grid(result)
    assert "VERDICT: FAIL (1 PASS, 1 FAIL)" in text and "tokens=2" in text
    assert result.verdict is Verdict.FAIL


def test_a_map_with_cell_texts_of_the_wrong_shape_is_refused():
    from verifier.report.plots import check_figure

    figure = grid.heat_map(fake_grid([]))
    check_figure(figure)
    with pytest.raises(ValueError, match="cell_text"):
        check_figure({**figure, "cell_text": figure["cell_text"][:1]})
