"""verifier study: the generic core (registry, Dask run, schema check, the output folder) on a toy study, on an
in-process scheduler (no worker process starts, so the monkeypatched registry is the workers' too)."""
import json
import logging
from pathlib import Path

import pytest

from verifier import cli, study as core
from verifier.errors import InputError
from verifier.inputs import integer
from verifier.options import Option, read_options


class Squares:
    """A toy study: the squares of 1..n, each task writing one file; PASS unless a square is 'missing'."""

    name = "squares"
    statement = "squares of the first n integers"
    options = (Option("n", "how many", integer(1, 100), 3), Option("missing", "a square to leave out", integer(0), 0))
    schema = {"type": "object", "required": ["verdict", "rows"],
              "properties": {"verdict": {"enum": ["PASS", "INCONCLUSIVE"]}, "rows": {"type": "array", "items": {"type": "integer"}}}}

    def tasks(self, options):
        o = read_options(self.options, options)
        return [{"key": f"k{i}", "i": i, "missing": o["missing"]} for i in range(1, o["n"] + 1)]

    def run_task(self, task):
        return {"square": task["i"] ** 2, "missing": task["i"] == task["missing"],
                "files": {f"files/{task['key']}.json": {"i": task["i"]}}, "summary": f"{task['i']}²"}

    def assemble(self, options, results):
        return {"verdict": "INCONCLUSIVE" if any(r["missing"] for r in results) else "PASS",
                "rows": [r["square"] for r in results]}

    def table(self, result):
        return "| square |\n|---|\n" + "\n".join(f"| {v} |" for v in result["rows"])

    def figures(self, result):
        return [{"id": "squares", "kind": "curve", "title": "squares", "log": True,
                 "x": {"label": "i", "values": list(range(1, len(result["rows"]) + 1))},
                 "series": [{"label": "i²", "values": result["rows"]}]}]


@pytest.fixture
def toy(monkeypatch):
    study = Squares()
    monkeypatch.setattr(core, "studies", lambda: {"squares": study})
    return study


@pytest.fixture(scope="module")
def scheduler():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        yield cluster.scheduler_address


def test_the_registered_study_satisfies_the_protocol():
    found = core.studies()
    assert "prefix-vs-training" in found and isinstance(found["prefix-vs-training"], core.Study)


def test_a_study_writes_its_folder(toy, scheduler, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["study", "squares", "--n", "4", "--out", str(out), "--scheduler", scheduler, "--no-progress"]) == 0
    data = json.loads((out / "result.json").read_text())
    assert data["rows"] == [1, 4, 9, 16] and data["verdict"] == "PASS" and data["complete"] is True
    assert data["study"] == "squares" and data["command"].startswith("verifier study squares --n 4")
    assert set(data["task_wall_times_s"]) == {"k1", "k2", "k3", "k4"}
    assert json.loads((out / "files" / "k3.json").read_text()) == {"i": 3}
    assert (out / "table.md").read_text().startswith("| square |")
    assert (out / "squares.png").stat().st_size > 0 and (out / "squares.svg").stat().st_size > 0
    assert "| 16 |" in capsys.readouterr().out
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary folder left


def test_an_inconclusive_study_exits_3(toy, scheduler, tmp_path):
    assert cli.main(["study", "squares", "--missing", "2", "--out", str(tmp_path / "r"), "--scheduler", scheduler,
                     "--no-progress"]) == 3


def test_progress_is_one_line_per_task_off_a_terminal(toy, scheduler, tmp_path, capsys):
    assert cli.main(["study", "squares", "--n", "2", "--out", str(tmp_path / "r"), "--scheduler", scheduler]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("[")]
    assert len(lines) == 2 and all("²" in line for line in lines)


@pytest.mark.parametrize("args, message", [
    (["study", "nothing"], "unknown study 'nothing'"),
    (["study", "squares", "--n", "0"], "--n"),
])
def test_bad_input_exits_2(toy, args, message, capsys):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_an_existing_folder_needs_replace_and_only_a_study_folder_is_replaced(toy, scheduler, tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert cli.main(["study", "squares", "--out", str(out), "--scheduler", scheduler, "--no-progress"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert cli.main(["study", "squares", "--out", str(out), "--replace", "--scheduler", scheduler, "--no-progress"]) == 2
    assert "not a study's result" in capsys.readouterr().err and (out / "notes.txt").exists()
    (out / "notes.txt").unlink()
    assert cli.main(["study", "squares", "--out", str(out), "--scheduler", scheduler, "--no-progress"]) == 0
    assert cli.main(["study", "squares", "--n", "2", "--out", str(out), "--replace", "--scheduler", scheduler,
                     "--no-progress"]) == 0
    assert json.loads((out / "result.json").read_text())["rows"] == [1, 4]
    assert not (out / "files" / "k3.json").exists()  # the old folder is replaced, not merged


def test_a_result_off_its_schema_is_an_internal_error_and_writes_nothing(toy, scheduler, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(Squares, "assemble", lambda self, options, results: {"verdict": "MAYBE", "rows": []})
    assert cli.main(["study", "squares", "--out", str(tmp_path / "r"), "--scheduler", scheduler, "--no-progress"]) == 4
    assert "does not match its schema" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_a_task_file_outside_the_folder_is_refused(toy, tmp_path):
    finished = core.StudyRun({"verdict": "PASS", "rows": [1, 4]}, {"../escape.json": {}}, True)
    with pytest.raises(ValueError, match="outside"):
        core.write_folder(toy, finished, tmp_path / "r")
    assert not (tmp_path / "escape.json").exists() and not (tmp_path / "r").exists()


def test_prepare_folder_refuses_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="is a file"):
        core.prepare_folder(Path(tmp_path / "f"), replace=True)
