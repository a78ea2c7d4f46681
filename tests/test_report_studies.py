"""verifier/report/studies.py: `verifier study` results (DIR/result.json) shown in a report (statement, command,
verdict, the study's own table and figures), checked when the configuration is read. Two studies: the toy study of
tests/test_study.py registered by monkeypatching, and the real prefix-vs-training, its result assembled by its own
``tables.assemble`` from task results shaped as proofs/prefix_training/tasks.py returns them."""
from __future__ import annotations

import contextlib
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from verifier import cli, study as core
from verifier.errors import InputError
from verifier.report import studies as report_studies
from verifier.report.studies import read_study, study_figures, study_record, table_html
from verifier.report.suite import read_suite

from test_study import Squares

RUN_KEYS = {"complete": True, "workers": "LocalCluster of 1 worker(s)", "environment": {}, "wall_time_s": 12.5,
            "task_wall_times_s": {}}


@pytest.fixture
def toy(monkeypatch):
    """The registry with the toy study added to the registered ones."""
    study = Squares()
    known = {**core.studies(), "squares": study}
    monkeypatch.setattr(core, "studies", lambda: dict(known))
    return study


def squares_result(n: int = 4, **changes) -> dict:
    study = Squares()
    options = {"n": n, "missing": 0}
    result = study.assemble(options, [study.run_task(t) for t in study.tasks(options)])
    return {**result, "study": "squares", "options": options, "command": f"verifier study squares --n {n} --out squares",
            **RUN_KEYS, **changes}


def write_study(folder: Path, study, result: dict) -> Path:
    """The folder `verifier study` writes (result.json, table.md, figures as PNG and SVG) for ``result``."""
    core.check_result(study, result)
    core.write_folder(study, core.StudyRun(result, {}, True), folder)
    return folder / "result.json"


def write_result(folder: Path, result: dict) -> Path:
    """Only the folder's result.json (all the report reads)."""
    folder.mkdir(parents=True)
    (folder / "result.json").write_text(json.dumps(result))
    return folder / "result.json"


def entry(size: int, parameters: int, key: str, tokens: bool) -> dict:
    """A found model's record as tasks._Tried.record returns it."""
    return {"size": size, "parameters": parameters, **({"N": size} if tokens else {}), "status": "found",
            "certificate": f"certificates/{key}-{size}.json", "certified_upper": "0.09", "sampled_max": 0.05}


def prefix_training_result() -> dict:
    """prefix-vs-training's result.json for the smooth target at ε = 0.2, 0.1 from fake task results."""
    from proofs.prefix_training import tables
    from proofs.prefix_training.study import STUDY

    results = []
    for eps, eps_exact, scale in (("0.2", "1/5", 1), ("0.1", "1/10", 2)):
        key = f"smooth-eps{eps}"
        construction = entry(8 * scale, 24 * scale, f"{key}-e1", True)
        family = entry(4 * scale, 12 * scale, f"{key}-e1", True)
        results += [
            {"key": f"{key}-e1", "target": "smooth", "eps_exact": eps_exact, "kind": "e1",
             "construction": {"found": True, "decided": False, "tried": [construction], "best": construction},
             "family": {"found": True, "decided": True, "tried": [family], "best": family}},
            *({"key": f"{key}-{kind}", "target": "smooth", "eps_exact": eps_exact, "kind": kind, "found": True,
               "decided": True, "tried": [best], "best": best}
              for kind, best in (("prefix", entry(2 * scale, 6 * scale, f"{key}-prefix", True)),
                                 ("network", entry(3 * scale, 10 * scale, f"{key}-network", False)))),
        ]
    options = STUDY.read({"quick": "on"})
    return {**tables.assemble(options, results), "study": "prefix-vs-training", "options": {"quick": "on"},
            "command": "verifier study prefix-vs-training --quick on --out prefix-vs-training", **RUN_KEYS}


def config(tmp_path: Path, studies: str) -> Path:
    path = tmp_path / "suite.toml"
    path.write_text(f'name = "with-studies"\nstudies = {studies}\n\n[[instance]]\ntheorem = "limitation"\nname = "l1"\n')
    return path


def test_a_report_shows_each_study_in_every_format(toy, tmp_path):
    from proofs.prefix_training.study import STUDY

    from verifier.report.build import run_suite, write_report

    write_study(tmp_path / "squares", toy, squares_result())
    write_study(tmp_path / "prefix-vs-training", STUDY, prefix_training_result())
    suite = read_suite(config(tmp_path, '["squares/result.json", "prefix-vs-training/result.json"]'))
    assert [s.name for s in suite.studies] == ["squares", "prefix-vs-training"]
    folder = write_report(run_suite(suite, "test"), suite, tmp_path / "out" / "with-studies", "test", 0.0,
                          datetime(2026, 1, 1, tzinfo=timezone.utc))
    doc = json.loads((folder / "report.json").read_text())
    squares, real = doc["studies"]
    assert squares["verdict"] == "PASS" and squares["statement"] == Squares.statement
    assert squares["command"] == "verifier study squares --n 4 --out squares" and squares["wall_time_s"] == 12.5
    assert squares["table"] == toy.table(squares_result()) and "| 16 |" in squares["table"]
    assert squares["figures"] == [{"id": "squares", "kind": "curve", "title": "squares", "caption": "", "max_abs": 16.0,
                                   "file": "figures/study-squares-squares.svg"}]
    assert real["verdict"] == "PASS" and [f["id"] for f in real["figures"]] == ["params-smooth"]
    assert "optimised prefix" in real["table"] and "6 (N = 2)" in real["table"]
    assert doc["verdict"] == "PASS"  # a stored study does not change the report's verdict
    for study in (squares, real):
        for figure in study["figures"]:
            assert (folder / figure["file"]).read_text().startswith("<svg")
    html = (folder / "index.html").read_text()
    assert 'href="#studies"' in html and 'id="study-squares"' in html and 'id="study-prefix-vs-training"' in html
    assert 'id="study-prefix-vs-training-params-smooth"' in html and "<td>16</td>" in html
    assert "<code>verifier study squares --n 4 --out squares</code>" in html and "in 12.5 s on LocalCluster" in html
    assert html.count("<svg") >= 3 and "E1 construction (slope" in html  # the summary figure and the two plots inline
    markdown = (folder / "report.md").read_text()
    assert "## Studies" in markdown and "### squares (squares/result.json): PASS" in markdown
    assert "| 16 |" in markdown and "![squares](figures/study-squares-squares.svg)" in markdown
    assert "![parameters certified to reach ε: sin(2\\*x0)/2 on S^1](figures/study-prefix-vs-training-params-smooth.svg)" \
        in markdown


def test_the_toml_lists_the_studies_and_the_digest_sees_their_content(toy, tmp_path):
    path = write_result(tmp_path / "squares", squares_result())
    suite = read_suite(config(tmp_path, '["squares/result.json"]'))
    assert 'studies = ["squares/result.json"]' in suite.to_toml()
    (tmp_path / "again.toml").write_text(suite.to_toml())
    assert read_suite(tmp_path / "again.toml").digest == suite.digest
    path.write_text(json.dumps(squares_result(n=3)))
    assert read_suite(config(tmp_path, '["squares/result.json"]')).digest != suite.digest


def test_the_figures_are_the_studys_own(toy, tmp_path):
    study = read_study(write_result(tmp_path / "squares", squares_result(n=3)), "squares/result.json", "w")
    ((path, figure),) = study_figures(study)
    assert path == "figures/study-squares-squares.svg" and figure == toy.figures(squares_result(n=3))[0]
    assert study_record(study)["figures"][0]["file"] == path


SQUARES_PATH = "squares/result.json"


@pytest.mark.parametrize("content, words", [
    (None, "cannot be read"),
    ("{", "is not JSON"),
    (json.dumps(squares_result()).replace("12.5", "NaN"), "holds NaN"),
    (json.dumps([1, 2]), "names no study"),
    (json.dumps(squares_result(study=None)), "names no study"),
    (json.dumps(squares_result(study="nothing")), "of study 'nothing', which is not registered"),
    (json.dumps(squares_result(complete=False)), "interrupted study (complete: false)"),
    (json.dumps(squares_result(rows=["1"])), "does not match study squares's schema at rows/0"),
    (json.dumps(squares_result(verdict="MAYBE")), "does not match study squares's schema at verdict"),
    (json.dumps(squares_result(rows=[0, 1])), "its figure 'squares' cannot be drawn"),  # log axes: 0 has no place
    (json.dumps(squares_result(command=7)), "is malformed for the report at command"),
])
def test_a_bad_study_file_is_refused_naming_it_before_any_work(toy, tmp_path, content, words):
    if content is not None:
        (tmp_path / "squares").mkdir()
        (tmp_path / SQUARES_PATH).write_text(content)
    with pytest.raises(InputError) as error:
        read_suite(config(tmp_path, f'["{SQUARES_PATH}"]'))
    assert words in str(error.value) and f"suite.toml:2: study file {SQUARES_PATH}" in str(error.value)


def test_a_study_file_over_the_size_limit_is_not_read(toy, tmp_path, monkeypatch):
    path = write_result(tmp_path / "squares", squares_result())
    monkeypatch.setattr(report_studies, "MAX_BYTES", path.stat().st_size - 1)
    with pytest.raises(InputError, match=rf"study file {SQUARES_PATH} is {path.stat().st_size} bytes, more than"):
        read_suite(config(tmp_path, f'["{SQUARES_PATH}"]'))


def test_a_folder_whose_name_cannot_name_files_is_refused(toy, tmp_path):
    write_result(tmp_path / "my study", squares_result())
    with pytest.raises(InputError, match="its folder's name 'my study' .* rename the folder"):
        read_suite(config(tmp_path, '["my study/result.json"]'))


def test_two_studies_of_one_folder_name_are_refused(toy, tmp_path):
    for parent in ("a", "b"):
        write_result(tmp_path / parent / "squares", squares_result())
    with pytest.raises(InputError, match="suite.toml:2: two of the studies files have the same name"):
        read_suite(config(tmp_path, '["a/squares/result.json", "b/squares/result.json"]'))
    with pytest.raises(InputError, match="suite.toml:2: studies must be a list of file names"):
        read_suite(config(tmp_path, '"a/squares/result.json"'))


def test_a_refused_study_is_exit_2_and_no_report(toy, tmp_path, capsys):
    (tmp_path / "squares").mkdir()
    (tmp_path / SQUARES_PATH).write_text(json.dumps(squares_result(complete=False)))
    with contextlib.redirect_stdout(io.StringIO()):
        status = cli.main(["report", "--config", str(config(tmp_path, f'["{SQUARES_PATH}"]')), "--out", str(tmp_path / "out")])
    assert status == 2 and "interrupted study" in capsys.readouterr().err
    assert not (tmp_path / "out" / "with-studies").exists()


def test_the_table_is_rendered_with_raw_html_as_text():
    rendered = table_html("| target | ε |\n|---|---|\n| <script>alert(1)</script> | `a<b` |")
    assert "<table>" in rendered and "<th>target</th>" in rendered
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered and "<code>a&lt;b</code>" in rendered


@pytest.mark.parametrize("method, broken, words", [
    ("figures", lambda self, result: [{"id": "t", "kind": "table", "title": "t", "columns": ["a"], "rows": [[1]]}],
     "is malformed for the report at figures/0"),  # a study cannot draw a table (verifier.study.write_folder cannot)
    ("table", lambda self, result: result["no such key"], "cannot be shown ('no such key')"),
])
def test_a_result_the_study_cannot_show_is_refused(toy, tmp_path, monkeypatch, method, broken, words):
    write_result(tmp_path / "squares", squares_result())
    monkeypatch.setattr(Squares, method, broken)
    with pytest.raises(InputError) as error:
        read_suite(config(tmp_path, f'["{SQUARES_PATH}"]'))
    assert words in str(error.value) and f"study file {SQUARES_PATH}" in str(error.value)


def test_an_inconclusive_study_is_shown_as_inconclusive(toy, tmp_path):
    from verifier.report.markdown import _studies

    inconclusive = squares_result(verdict="INCONCLUSIVE")
    record = study_record(read_study(write_result(tmp_path / "squares", inconclusive), SQUARES_PATH, "w"))
    assert record["verdict"] == "INCONCLUSIVE"
    assert "### squares (squares/result.json): INCONCLUSIVE" in _studies({"studies": [record]}, tmp_path)
    assert _studies({"studies": []}, tmp_path) == []  # no studies: no section


def test_a_real_study_result_its_table_cannot_show_is_refused(tmp_path):
    """prefix-vs-training's table looks each fitted target up among its targets: one it does not know cannot be shown."""
    result = prefix_training_result()
    result["fits"] = {"unknown": result["fits"]["smooth"]}
    write_result(tmp_path / "prefix-vs-training", result)
    with pytest.raises(InputError, match="study file prefix-vs-training/result.json cannot be shown"):
        read_suite(config(tmp_path, '["prefix-vs-training/result.json"]'))


def test_a_registered_study_links_to_its_docs_section():
    """The section named after the study (as for a theorem): prefix-vs-training's page, rendered into the report."""
    from verifier.report import docs_links

    assert docs_links.link("prefix-vs-training") == "docs/prefix-training.md#prefix-vs-training"
    assert docs_links.link("squares") is None  # a study without a section gets no link
    folder = Path(__file__).resolve().parents[1] / "reports" / "reference"
    (record,) = json.loads((folder / "report.json").read_text())["studies"]
    assert record["docs"] == "docs/prefix-training.md#prefix-vs-training"
    assert 'href="docs/prefix-training.html#prefix-vs-training"' in (folder / "index.html").read_text()
    assert (folder / "docs" / "prefix-training.html").is_file()
