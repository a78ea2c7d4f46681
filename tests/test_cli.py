"""The command line: exit codes 0/1/2/3, the table, --json, list and report."""
import dataclasses
import json
import shutil
import subprocess

import pytest

from verifier import cli
from verifier.claims import Verdict


def test_list_names_every_theorem(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("single-head: E1:") and "realises P1, P2" in out


def test_check_pass_writes_json(tmp_path, capsys):
    path = tmp_path / "out" / "r.json"
    assert cli.main(["check", "single-head", "--dim", "1", "--eps", "0.2", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "E1.step5.sup" in out and out.rstrip().splitlines()[-1].startswith("VERDICT: PASS")
    data = json.loads(path.read_text())
    assert data["verdict"] == "PASS"
    assert {"theorem", "verdict", "parameters", "prefix_length", "prefix_length_bound", "lambda", "sup_error",
            "claims", "environment", "wall_time_s"} <= set(data)
    assert {"dim", "eps", "target", "lipschitz", "bound", "seed", "dps"} <= set(data["parameters"])
    assert {"value", "argmax", "method", "points", "dps"} <= set(data["sup_error"])
    assert all({"id", "statement", "verdict", "value", "bound"} <= set(c) for c in data["claims"])
    assert data["command"] == f"verifier check single-head --dim 1 --eps 0.2 --json {path}"


@pytest.mark.parametrize("tamper", ["short-prefix", "small-lambda", "wrong-values"])
def test_tamper_exits_1_with_witness(tamper, capsys):
    assert cli.main(["check", "single-head", "--dim", "1", "--eps", "0.2", "--tamper", tamper]) == 1
    out = capsys.readouterr().out
    sup_line = out.splitlines()[[i for i, line in enumerate(out.splitlines()) if "E1.step5.sup" in line][0] + 1]
    assert "witness x = [" in sup_line
    assert "VERDICT: FAIL" in out


@pytest.mark.parametrize("argv, fix", [
    (["check", "single-head", "--eps", "0"], "--eps must be > 0"),
    (["check", "single-head", "--eps", "-1"], "--eps must be > 0"),
    (["check", "single-head", "--dim", "0", "--eps", "0.1"], "--dim must be ≥ 1"),
    (["check", "single-head", "--eps", "0.1", "--target", "nan*x0", "--lipschitz", "1", "--bound", "1"], "'nan' is not allowed"),
    (["check", "single-head", "--eps", "0.1", "--target", "log(x0)", "--lipschitz", "1", "--bound", "1"], "not finite"),
    (["check", "nope", "--eps", "0.1"], "known theorems: single-head"),
    (["check", "single-head", "--eps", "0.1", "--target", "sin(30*x0)", "--lipschitz", "3", "--bound", "1"],
     "pass --lipschitz ≥ 30"),
])
def test_bad_input_exits_2_naming_the_fix(argv, fix, capsys):
    assert cli.main(argv) == 2
    captured = capsys.readouterr()
    assert fix in captured.err and captured.out == ""


def test_inconclusive_exits_3(monkeypatch, capsys):
    real_run = cli.run

    def inconclusive(*args, **kwargs):
        result = real_run(*args, **kwargs)
        return dataclasses.replace(result, verdict=Verdict.INCONCLUSIVE)

    monkeypatch.setattr(cli, "run", inconclusive)
    assert cli.main(["check", "single-head", "--eps", "0.2"]) == 3


def test_report_writes_every_default_instance(tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == "4 instances: 4 PASS, 0 FAIL, 0 INCONCLUSIVE (PASS evidence: 4 sampled)"
    for name in ("single-head-m1-eps0.2", "single-head-m1-eps0.05", "single-head-m2-eps0.5", "single-head-m2-eps0.3"):
        assert json.loads((tmp_path / name / "report.json").read_text())["verdict"] == "PASS"
        assert (tmp_path / name / "report.md").read_text().startswith(f"# {name}: PASS (sampled — not a proof)")


def test_console_script_is_installed():
    script = shutil.which("verifier")
    assert script is not None, "the `verifier` command is missing: run pip install -e '.[test]'"
    done = subprocess.run([script, "check", "single-head", "--eps", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "--eps must be > 0" in done.stderr


def test_unwritable_output_is_bad_input_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run", lambda *a, **k: pytest.fail("ran the check before validating the output path"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(blocker / "r.json")]) == 2
    assert "choose a writable --json/--out path" in capsys.readouterr().err
    assert cli.main(["report", "--out", str(blocker / "reports")]) == 2
