"""The command line: exit codes 0/1/2/3, the table, --json, list and report."""
import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verifier import cli
from verifier.claims import Evidence, Kind, Verdict
from verifier.errors import InputError
from verifier.report.suite import default_suite
from verifier.study import studies
from verifier.theorem import get, registry


def test_list_names_every_theorem(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    theorems = [line for line in lines if not line.startswith("study ")]
    assert [line.split(":")[0] for line in theorems] == list(registry())  # one line per theorem, sorted by name
    assert any(line.startswith("single-head: E1:") and "realises P1, P2" in line for line in lines)
    assert [line.split(":")[0] for line in lines[len(theorems):]] == [f"study {name}" for name in studies()]  # then studies


LIGHT_PROBE = """
import sys
from verifier.cli import main
{call}
heavy = ("matplotlib", "scipy", "flint", "rich", "dask", "sympy", "numpy", "mpmath")
print(" ".join(sorted({{name.split(".")[0] for name in sys.modules}} & set(heavy))))
print(" ".join(sorted(name for name in sys.modules if name.startswith("proofs."))))
"""


def _loaded_by(call: str) -> tuple[list[str], list[str]]:
    """(heavy packages, theorem modules) in sys.modules after ``call`` in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", LIGHT_PROBE.format(call=call)], capture_output=True, text=True, check=True).stdout
    heavy, modules = (line.split() for line in out.splitlines()[-2:])
    return heavy, modules


def test_list_and_help_load_no_heavy_module():
    """`verifier list` loads the theorems' declarations only, `--help` no theorem at all: no matplotlib, scipy,
    python-flint (nor sympy, which imports it), rich or dask (benchmarks/bench_cli.py times them)."""
    heavy, modules = _loaded_by("import contextlib, io\nwith contextlib.redirect_stdout(io.StringIO()):\n    assert main(['list']) == 0")
    assert heavy == []
    assert "proofs.single_head.theorem" in modules  # the declarations were loaded, and only they:
    assert not any(m.endswith((".construction", ".evaluator", ".certify", ".claims", ".checks", ".formulas", ".identity"))
                   for m in modules), modules
    heavy, modules = _loaded_by("import contextlib, io\ntry:\n    with contextlib.redirect_stdout(io.StringIO()):\n"
                                "        main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0")
    assert heavy == [] and modules == []


# --cert-cells 5000: a small budget that still decides the default instance (its auto constants and E1's own
# certified steps, 112 cells at m = 1, ε = 0.2)
def test_check_pass_writes_json(tmp_path, capsys):
    path = tmp_path / "out" / "r.json"
    assert cli.main(["check", "single-head", "--dim", "1", "--eps", "0.2", "--cert-cells", "5000", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "E1.step5.sup" in out and out.rstrip().splitlines()[-1].startswith("VERDICT: PASS")
    data = json.loads(path.read_text())
    assert data["verdict"] == "PASS"
    assert {"theorem", "verdict", "parameters", "prefix_length", "prefix_length_bound", "lambda", "sup_error",
            "claims", "environment", "wall_time_s"} <= set(data)
    assert {"dim", "eps", "target", "lipschitz", "bound", "seed", "dps"} <= set(data["parameters"])
    assert {"value", "argmax", "method", "points", "dps"} <= set(data["sup_error"])
    assert all({"id", "statement", "verdict", "value", "bound"} <= set(c) for c in data["claims"])
    assert data["command"] == f"verifier check single-head --dim 1 --eps 0.2 --cert-cells 5000 --json {path}"


@pytest.mark.parametrize("tamper", ["short-prefix", "small-lambda", "wrong-values"])
def test_tamper_exits_1_with_witness(tamper, capsys):
    assert cli.main(["check", "single-head", "--dim", "1", "--eps", "0.2", "--cert-cells", "5000", "--tamper", tamper]) == 1
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
    (["check", "nope", "--eps", "0.1"], "unknown theorem 'nope'; known theorems:"),
    (["check", "single-head", "--eps", "0.1", "--target", "sin(30*x0)", "--lipschitz", "3", "--bound", "1", "--cert-cells",
      "1000"], "pass --lipschitz ≥ 30"),  # B = 1 is attained: 1 000 cells, not 50 000, for its branch and bound
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
    assert cli.main(["check", "single-head", "--eps", "0.2", "--evidence", "sampled", "--points", "2000"]) == 3


EVERY_THEOREM = '''\
[[instance]]
theorem = "limitation"
name = "l1"

[[instance]]
theorem = "pretrained-head"
name = "r1"
dim = 1
eps = "0.2"
points = 2000
evidence = "sampled"

[[instance]]
theorem = "seq2seq"
name = "s1"
n = 2
eps = "0.1"
target = "neighbour-products"

[[instance]]
theorem = "single-head"
name = "e1"
dim = 1
eps = "0.2"
points = 2000
evidence = "sampled"

[[instance]]
theorem = "smoothing"
name = "e2"
dim = 1
eps = "0.4"
points = 1000
'''


def test_report_of_one_small_instance_per_theorem(tmp_path, capsys):
    """The fast twin of the quick report below (slow: its single-head S² and smoothing instances take 15 s): one cheap
    instance of every registered theorem goes through `report`, each PASSes, and the JSON lists every theorem."""
    config = tmp_path / "every.toml"
    config.write_text(EVERY_THEOREM)
    assert cli.main(["report", "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    lines = captured.out.rstrip().splitlines()
    (folder,) = (tmp_path / "out").iterdir()
    assert [line.split(":")[0] for line in lines[:-1]] == ["l1", "r1", "s1", "e1", "e2"]
    # stderr is not a terminal here (a CI log): one progress line per finished instance, none on stdout
    assert [re.sub(r"PASS \(.*\) in [\d.]+ s$", "PASS in T s", line) for line in captured.err.splitlines()] == [
        f"[{k}/5] {name}: PASS in T s" for k, name in enumerate(["l1", "r1", "s1", "e1", "e2"], 1)]
    assert lines[-1].startswith("5 instances: 5 PASS, 0 FAIL, 0 INCONCLUSIVE (PASS evidence: ")
    assert lines[-1].endswith(f" -> {folder / 'index.html'}")
    data = json.loads((folder / "report.json").read_text())
    assert [t["name"] for t in data["theorems"]] == list(registry())
    assert [[i["name"] for i in t["instances"]] for t in data["theorems"]] == [["l1"], ["r1"], ["s1"], ["e1"], ["e2"]]
    assert all(i["verdict"] == "PASS" for t in data["theorems"] for i in t["instances"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-[0-9a-f]{8}", folder.name)  # a configuration without a name


@pytest.mark.slow
def test_quick_report_covers_every_theorem(tmp_path, capsys):
    assert cli.main(["report", "--quick", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.rstrip().splitlines()
    (folder,) = tmp_path.iterdir()
    names = [e.name for e in default_suite(quick=True).entries]
    assert {"single-head-m1-eps0.2", "single-head-m2-eps0.5"} <= set(names)
    assert lines[-1].startswith(f"{len(names)} instances: {len(names)} PASS, 0 FAIL, 0 INCONCLUSIVE (PASS evidence: ")
    assert lines[-1].endswith(f" -> {folder / 'index.html'}")
    assert [line.split(":")[0] for line in lines[:-1]] == names
    data = json.loads((folder / "report.json").read_text())
    assert [i["name"] for t in data["theorems"] for i in t["instances"]] == names
    assert [t["name"] for t in data["theorems"]] == list(registry())
    assert re.fullmatch(r"\d{4}-\d\d-\d\d-[0-9a-f]{8}", folder.name) and data["configuration"]["source"] == "quick"


@pytest.mark.slow
def test_report_runs_every_default_instance(tmp_path, capsys):
    assert cli.main(["report", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    n = len(default_suite().entries)
    assert out.rstrip().splitlines()[-1].startswith(f"{n} instances: {n} PASS, 0 FAIL, 0 INCONCLUSIVE (PASS evidence: ")


def test_console_script_is_installed():
    beside = Path(sys.executable).parent / "verifier"  # this interpreter's own script, before any other on PATH
    script = str(beside) if beside.exists() else shutil.which("verifier")
    assert script is not None, "the `verifier` command is missing: run pip install -e '.[test]'"
    done = subprocess.run([script, "check", "single-head", "--eps", "0"], capture_output=True, text=True)
    assert done.returncode == 2 and "--eps must be > 0" in done.stderr


def test_unwritable_output_is_bad_input_before_any_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run", lambda *a, **k: pytest.fail("ran the check before validating the output path"))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(blocker / "r.json")]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {blocker / 'r.json'}" in err and "choose a writable --json path" in err  # names the file
    from verifier.report import build
    monkeypatch.setattr(build, "run_suite", lambda *a, **k: pytest.fail("ran the suite before validating the output path"))
    assert cli.main(["report", "--quick", "--out", str(blocker / "reports")]) == 2  # --quick: its suite validates in 1 s
    assert f"cannot write {blocker / 'reports'}" in capsys.readouterr().err


# --- input safety (issue: no user string is executed; every bad input is exit 2 before any work) ---------
INJECTION = "__import__('os').system('touch {path}')"


@pytest.mark.parametrize("option", ["--target", "--eps", "--lipschitz", "--bound"])
def test_injection_strings_never_run_in_any_option(option, tmp_path, capsys):
    path = tmp_path / "pwned"
    values = {"--target": "x0", "--eps": "0.1", "--lipschitz": "1", "--bound": "1"}
    values[option] = INJECTION.format(path=path)
    argv = ["check", "single-head", "--dim", "1"] + [a for item in values.items() for a in item]
    assert cli.main(argv) == 2
    assert not path.exists()
    assert option in capsys.readouterr().err


@pytest.mark.parametrize("argv, words", [
    (["--eps", "1e-300"], ["N ≈ 1.13e+301", "--max-prefix"]),
    (["--target", "x0", "--lipschitz", "1e300", "--bound", "1", "--eps", "0.1"], ["N ≈", "--max-prefix"]),
    (["--eps", "0.1", "--dps", "2200"], ["--dps must be ≤ 1000"]),
    (["--eps", "0.1", "--target", "sign(x0)", "--lipschitz", "1", "--bound", "1"], ["'sign' is not allowed"]),
    (["--eps", "0.1", "--target", "Heaviside(x0-0.3)", "--lipschitz", "1", "--bound", "1"], ["'Heaviside' is not allowed"]),
    (["--eps", "0.1", "--target", "floor(10*x0)/100", "--lipschitz", "1", "--bound", "1"], ["'floor' is not allowed"]),
    (["--eps", "0.1", "--target", "Integral(x0*t,(t,0,1))", "--lipschitz", "1", "--bound", "1"], ["'Integral' is not allowed"]),
    (["--eps", "0.1", "--target", "I*x0", "--lipschitz", "1", "--bound", "1"], ["'I' is not allowed"]),
    (["--eps", "0.1", "--target", "Matrix([x0])", "--lipschitz", "1", "--bound", "1"], ["'Matrix' is not allowed"]),
    (["--eps", "0.1", "--context", "1000000"], ["--max-seconds", "--context"]),
    (["--eps", "0.1", "--context", "10**30"], ["--context must be an integer", "written in digits"]),
    (["--eps", "0.1", "--points", "1000000000"], ["--max-memory", "--points"]),
    (["--eps", "0.1", "--dps", "900", "--max-seconds", "10"], ["--max-seconds 10", "--dps"]),
    (["--eps", "0.1", "--target", "0*x0", "--lipschitz", "1", "--bound", "1e-300"], ["8BN", "≤ ε", "--bound"]),
    (["--eps", "0.1", "--max-prefx", "3"], ["unrecognized arguments: --max-prefx"]),
])
def test_former_tracebacks_are_exit_2_with_the_fix(argv, words, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run", _validate_only)
    code = _main_catching_argparse(["check", "single-head", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert all(w in err for w in words), err
    assert "Traceback" not in err


def _main_catching_argparse(argv):
    try:
        return cli.main(argv)
    except SystemExit as exit_:  # argparse itself exits 2 on unknown flags
        return exit_.code


def _validate_only(name, options, command=None, require=None):
    """run() reduced to validation: bad input must be refused there, before any work."""
    from verifier.theorem import get

    get(name).parameters(**options)
    pytest.fail("bad input was accepted")


def test_finite_target_that_overflows_float64_is_accepted(capsys):
    # exp(800·x0)·exp(−800) ≤ 1 on the sphere although exp(800) overflows float64; its Lipschitz constant is about 17.2,
    # but the certified bound (≈ 800.0015) cannot go below 800, so L = 900 leaves the branch and bound its margin
    argv = ["check", "single-head", "--eps", "10", "--target", "exp(800*x0)*exp(-800)", "--lipschitz", "900", "--bound", "2",
            "--points", "2000"]
    assert cli.main(argv) == 0
    assert "VERDICT: PASS" in capsys.readouterr().out


def test_tight_constant_is_a_sampled_pass_that_says_so(capsys):
    """x0 on S¹: B = 1 is attained, so ball radii cannot reach it; the tie rule's refined maximum reaches it: PASS
    (sampled), the note says it is tight; --evidence certified turns that into INCONCLUSIVE naming the claim."""
    argv = ["check", "single-head", "--eps", "0.1", "--target", "x0", "--lipschitz", "1", "--bound", "1", "--cert-cells", "2000"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "VERDICT: PASS (sampled" in out and "the claim is attained (tight)" in out
    assert cli.main([*argv, "--evidence", "certified"]) == 3
    assert "INCONCLUSIVE: PASS rests on sampled evidence (H.bound" in capsys.readouterr().out


@pytest.mark.parametrize("path, word", [("/sys/r.json", "cannot write /sys/r.json"), ("/proc/r.json", "cannot write /proc/r.json")])
def test_unwritable_system_paths_are_refused_before_the_check(path, word, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run", lambda *a, **k: pytest.fail("ran the check before validating the output path"))
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", path]) == 2
    assert word in capsys.readouterr().err


def test_a_folder_as_json_is_refused_before_the_check(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli, "run", lambda *a, **k: pytest.fail("ran the check before validating the output path"))
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_unexpected_exception_is_internal_error_exit_4(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero somewhere deep")

    monkeypatch.setattr(cli, "run", broken)
    assert cli.main(["check", "single-head", "--eps", "0.2"]) == 4
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: division by zero somewhere deep" in err and "report it" in err


def test_long_inputs_are_cut_in_messages(capsys):
    target = "x0 + " * 20_000 + "bad"
    assert cli.main(["check", "single-head", "--eps", "0.1", "--target", target, "--lipschitz", "1", "--bound", "1"]) == 2
    assert len(capsys.readouterr().err) < 500


@pytest.mark.parametrize("command", ["check", "sweep"])
@pytest.mark.parametrize("theorem", ["single-head", "smoothing", "seq2seq", "limitation"])
def test_help_of_every_theorem_lists_its_flags(command, theorem, capsys):
    """--help is exit 0 and lists every declared flag (a '%' in a help text once made argparse crash)."""
    if command == "sweep" and getattr(get(theorem), "sizing", None) is None:
        pytest.skip(f"{theorem} declares no construction family to sweep")
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, theorem, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    swept = {"eps", get(theorem).sizing.option} if command == "sweep" else set()
    flags = [option.flag for option in get(theorem).options if option.name not in swept]
    assert flags and all(flag in out for flag in flags)


# --- issue 19: bad input is exit 2, output files never lie, framework errors are exit 4 -------------------
@pytest.mark.parametrize("argv, words", [
    (["--eps", "1e-4400"], "--eps: the exponent of '1e-4400' is beyond ±1000"),
    (["--lipschitz", "1e5000"], "--lipschitz: the exponent of '1e5000' is beyond ±1000"),
    (["--target", "(-8)**(1/3)*x0"], "the non-real number '(-8)**(1/3)' is not allowed"),
    (["--target", "0**(x0**2)"], "the derivative of target '0**(x0**2)' is not finite"),
])
def test_numbers_past_the_text_limit_and_complex_targets_are_exit_2(argv, words, capsys):
    """Each was exit 4 (ValueError: integer string conversion; TypeError: complex; LinAlgError: SVD of NaN)."""
    options = {"--dim": "1", "--eps": "0.1", "--target": "sin(x0)", "--lipschitz": "1", "--bound": "1"}
    options.update(zip(argv[::2], argv[1::2]))
    assert cli.main(["check", "single-head", *[a for item in options.items() for a in item]]) == 2
    captured = capsys.readouterr()
    assert words in captured.err and "internal error" not in captured.err


def _light_run(real_run=cli.run):
    """A cheap real run (the limitation theorem, 2 s) whatever the command asked for."""
    return lambda *args, **kwargs: real_run("limitation", {}, command=kwargs.get("command"))


def _stale(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"verdict": "PASS", "stale": true}')
    return path


@pytest.mark.parametrize("failure, status", [
    (InputError("--eps must be > 0"), 2), (ZeroDivisionError("deep"), 4), (KeyboardInterrupt(), 130),
    (ConnectionRefusedError(111, "Connection refused"), 4),
])
def test_check_json_from_an_earlier_run_does_not_survive_a_run_that_did_not_finish(failure, status, tmp_path, monkeypatch):
    """A stale --json file stayed in place (it was only opened for appending) when the run was refused, crashed or was
    interrupted: a reader would take it for this run's result."""
    def broken(*args, **kwargs):
        raise failure

    path = _stale(tmp_path / "r.json")
    monkeypatch.setattr(cli, "run", broken)
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(path)]) == status
    assert not path.exists() and list(tmp_path.iterdir()) == []  # no stale file, no temporary one


def test_check_json_refused_by_its_options_leaves_no_stale_file(tmp_path, capsys):
    path = _stale(tmp_path / "r.json")
    assert cli.main(["check", "single-head", "--eps", "0", "--json", str(path)]) == 2
    assert "--eps must be > 0" in capsys.readouterr().err and not path.exists()


def test_check_json_is_replaced_whole_on_success(tmp_path, monkeypatch, capsys):
    path = _stale(tmp_path / "r.json")
    monkeypatch.setattr(cli, "run", _light_run())
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["theorem"] == "limitation" and "stale" not in data
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # the temporary file was renamed, none is left


def test_sweep_json_from_an_earlier_run_does_not_survive_a_failed_sweep(tmp_path, monkeypatch, capsys):
    """An unreachable scheduler (an OSError without a file name) printed 'cannot write None: None' and left the stale
    --json; now the message names the real cause and the stale file is gone."""
    import verifier.sweep

    def unreachable(*args, **kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1 after 5 s")

    path, plot = _stale(tmp_path / "s.json"), _stale(tmp_path / "p.png")
    monkeypatch.setattr(verifier.sweep, "run_sweep", unreachable)
    argv = ["sweep", "single-head", "--dim", "1", "--eps", "0.2", "--json", str(path), "--plot", str(tmp_path / "p")]
    assert cli.main(argv) == 4
    err = capsys.readouterr().err
    assert "None" not in err and "Timed out trying to connect to tcp://127.0.0.1:1" in err and "not a verdict" in err
    assert not path.exists() and not plot.exists()
    _stale(path)
    assert cli.main([*argv[:5], "0.2,0.2", *argv[6:]]) == 2  # refused input: the stale file goes too
    assert "lists a value twice" in capsys.readouterr().err and not path.exists()


def test_a_framework_error_in_a_sweep_row_is_exit_4(monkeypatch, capsys):
    """A sweep whose rows carry framework errors (``sweep_row``'s ``framework_errors``) exits 4 naming them; the same
    rows without them exit by their verdicts (the control); undecided sizes are shown in the table."""
    import verifier.sweep

    row = {"eps": 0.2, "eps_exact": "1/5", "prefix_length": 60, "bound": 64, "minimal_prefix_length": 32,
           "undecided_prefix_lengths": [20, 24], "temperature": 1.0, "sup_error": 0.05, "minimal_sup_error": 0.1,
           "verdict": "FAIL", "evidence": "sampled", "framework_errors": ["size 8: F.two-paths"]}

    def sweep(rows):
        return lambda *a, **kw: verifier.sweep.SweepResult("single-head", 1, {}, ["0.2"], rows, {}, True, "1 worker",
                                                           0.0, {})

    argv = ["sweep", "single-head", "--dim", "1", "--eps", "0.2", "--no-progress"]
    monkeypatch.setattr(verifier.sweep, "run_sweep", sweep([row]))
    assert cli.main(argv) == 4
    captured = capsys.readouterr()
    assert "verifier: FRAMEWORK ERROR: ε = 1/5, size 8: F.two-paths" in captured.err
    assert "32 (20, 24 undecided)" in captured.out
    monkeypatch.setattr(verifier.sweep, "run_sweep", sweep([{**row, "framework_errors": []}]))
    assert cli.main(argv) == 1 and "FRAMEWORK" not in capsys.readouterr().err


def test_a_failed_write_names_its_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "run", _light_run())
    real_replace = cli.os.replace

    def full_disk(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli.os, "replace", full_disk)
    path = tmp_path / "r.json"
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(path)]) == 2
    assert f"cannot write {path}: No space left on device" in capsys.readouterr().err
    monkeypatch.setattr(cli.os, "replace", real_replace)
    assert list(tmp_path.iterdir()) == []


REPORT = '[[instance]]\ntheorem = "limitation"\nname = "l1"\n'


def _report(tmp_path, extra: str = "") -> list[str]:
    (tmp_path / "suite.toml").write_text('name = "r"\n' + extra + REPORT)
    return ["report", "--config", str(tmp_path / "suite.toml"), "--out", str(tmp_path / "out")]


@pytest.mark.parametrize("failure, status", [(InputError("refuted"), 2), (ZeroDivisionError("deep"), 4),
                                             (KeyboardInterrupt(), 130)])
def test_a_report_from_an_earlier_run_does_not_survive_a_run_that_did_not_finish(failure, status, tmp_path, monkeypatch,
                                                                                 capsys):
    from verifier.report import build

    argv = _report(tmp_path)
    assert cli.main(argv) == 0
    folder = tmp_path / "out" / "r"
    assert sorted(p.name for p in folder.iterdir()) == sorted(build.REPORT_FILES)

    def broken(*args, **kwargs):
        raise failure

    monkeypatch.setattr(build, "run", broken)
    assert cli.main([*argv, "--replace"]) == status  # --replace: the earlier report goes before the run starts
    assert list((tmp_path / "out").iterdir()) == []  # neither the earlier report nor a partial one


def test_report_no_progress_keeps_stderr_empty(tmp_path, capsys):
    assert cli.main([*_report(tmp_path), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out.startswith("l1: PASS")
    assert cli.main([*_report(tmp_path), "--replace"]) == 0
    assert re.fullmatch(r"\[1/1\] l1: PASS \(certified\) in [\d.]+ s\n", capsys.readouterr().err)


def test_a_report_interrupted_while_written_leaves_no_folder(tmp_path, monkeypatch, capsys):
    from verifier.report import build

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(build, "render_html", interrupted)  # after the figures, report.json and report.md
    assert cli.main(_report(tmp_path)) == 130
    assert list((tmp_path / "out").iterdir()) == []


def test_a_report_folder_with_other_files_is_not_deleted(tmp_path, capsys):
    folder = tmp_path / "out" / "r"
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("mine")
    assert cli.main([*_report(tmp_path), "--replace"]) == 2
    assert "is not a report folder" in capsys.readouterr().err and (folder / "notes.txt").read_text() == "mine"


def _framework_failure(kind: Kind, real_run=cli.run):
    """A real (cheap) run whose first claim is replaced by a FAIL of ``kind``."""
    def run(*args, **kwargs):
        result = real_run("limitation", {}, command=kwargs.get("command"))
        first = dataclasses.replace(result.claims[0], kind=kind, verdict=Verdict.FAIL)
        return dataclasses.replace(result, claims=(first, *result.claims[1:]), verdict=Verdict.FAIL)
    return run


def test_a_failed_framework_claim_is_exit_4_not_a_fail_of_the_theorem(tmp_path, monkeypatch, capsys):
    """Two computations of the verifier that disagree are a bug in the verifier: exit 4 with the claim named, the table
    printed and --json written; the same FAIL on a proof step stays exit 1 (the control)."""
    monkeypatch.setattr(cli, "run", _framework_failure(Kind.FRAMEWORK))
    path = tmp_path / "r.json"
    assert cli.main(["check", "single-head", "--eps", "0.2", "--json", str(path)]) == 4
    captured = capsys.readouterr()
    claim = json.loads(path.read_text())["claims"][0]["id"]
    assert (f"verifier: FRAMEWORK ERROR: {claim}: two computations of the verifier disagree; this is a bug in the "
            "verifier, not a verdict on the theorem") in captured.err
    assert "VERDICT: FAIL" in captured.out
    monkeypatch.setattr(cli, "run", _framework_failure(Kind.PROOF_STEP))
    assert cli.main(["check", "single-head", "--eps", "0.2"]) == 1
    assert "FRAMEWORK" not in capsys.readouterr().err


def test_a_failed_framework_claim_under_unproven_hypotheses_is_inconclusive(monkeypatch, capsys):
    """A run whose hypotheses are not established is INCONCLUSIVE (verifier.run): a target outside them (one that jumps)
    also makes float64 and mpmath disagree, so its framework FAIL is no FRAMEWORK ERROR: exit 3."""
    framework_failure = _framework_failure(Kind.FRAMEWORK)
    monkeypatch.setattr(cli, "run", lambda *a, **kw: dataclasses.replace(framework_failure(*a, **kw), verdict=Verdict.INCONCLUSIVE))
    assert cli.main(["check", "single-head", "--eps", "0.2"]) == 3
    assert "FRAMEWORK ERROR" not in capsys.readouterr().err


def test_a_failed_framework_claim_in_a_report_is_exit_4(tmp_path, monkeypatch, capsys):
    from verifier.report import build

    monkeypatch.setattr(build, "run", _framework_failure(Kind.FRAMEWORK))
    assert cli.main(_report(tmp_path)) == 4
    err = capsys.readouterr().err
    assert "verifier: FRAMEWORK ERROR: l1/" in err and "not a verdict on the theorem" in err
    assert json.loads((tmp_path / "out" / "r" / "report.json").read_text())["verdict"] == "FAIL"  # still written
    monkeypatch.setattr(build, "run", _framework_failure(Kind.PROOF_STEP))
    assert cli.main(_report(tmp_path)) == 1


# --- issue 20: --help marks required options, argparse refuses their absence -------------------------------
def _theorem_with_a_required_option():
    from verifier.inputs import integer, parse_number
    from verifier.options import Option
    from verifier.theorem import Sizing, TheoremBase

    class Declared(TheoremBase):
        name, statement = "declared", "a theorem with a required option"
        options = (Option("eps", "target accuracy", parse_number, required=True), Option("dim", "dimension", integer(1), 1),
                   Option("n", "sequence length", integer(1), required=True), Option("grid", "size", integer(1)))
        sizing = Sizing("grid", "grid", "X.sup", lambda m: m, "m", "lambda")

    return Declared()


@pytest.mark.parametrize("build", [cli.theorem_parser, cli.sweep_parser])
def test_help_marks_required_options_and_a_missing_one_is_exit_2(build, capsys):
    parser = build(_theorem_with_a_required_option())
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())  # argparse wraps help lines
    assert "--n N sequence length (required)" in text and "--eps EPS" in text
    assert "--dim DIM dimension; default 1" in text and "(required)" not in text.split("--dim DIM")[1].split("--")[0]
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--eps", "0.1"] if build is cli.theorem_parser else ["--eps", "0.1,0.05"])
    assert exit_info.value.code == 2
    assert "the following arguments are required: --n" in capsys.readouterr().err


@pytest.mark.parametrize("theorem, flags", [("single-head", ["--eps"]), ("smoothing", ["--eps"]),
                                            ("seq2seq", ["--n", "--eps"])])
def test_help_of_a_registered_theorem_marks_its_required_options(theorem, flags, capsys):
    with pytest.raises(SystemExit):
        cli.main(["check", theorem, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert all(re.search(rf"{flag} \S+ [^-]*\(required\)", text) for flag in flags), text


def test_report_progress_on_a_terminal_is_the_live_bar():
    """suite_progress, run_suite's callback, on a stream that is a terminal: the bar (k/n, the step), no plain lines."""
    import io
    from types import SimpleNamespace

    from verifier.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    entries = [SimpleNamespace(name="l1"), SimpleNamespace(name="e1")]
    with Progress("report", 2, stream=stream) as progress:
        step = cli.suite_progress(progress)
        for k, entry in enumerate(entries):
            step(k, entry, "check", None)
            step(k, entry, "figures", SimpleNamespace(verdict=Verdict.PASS, evidence=Evidence.CERTIFIED, wall_time_s=1.0))
    text = stream.getvalue()
    assert "2/2" in text and "report: e1: figures" in text and "[1/2]" not in text
