"""docs/adding-a-theorem.md, end to end: the worked example docs/examples/interval_head is copied to a temporary
folder, made visible by its entry point (a dist-info folder beside the package on PYTHONPATH: what pip would
write, without pip, offline), and run through `verifier list` (loading its light declaration only), `check` (and
its negative control), `report` and `pytest --proofs` in subprocesses (the registry is cached per process, and the
main project's must not change)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from verifier.theorem import ENTRY_POINT_GROUP, registry

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "docs" / "examples" / "interval_head"
NAME = "interval-head"
CLAIMS = ("H.bound", "H.lipschitz", "IH.grid", "IH.near", "IH.far-bound", "IH.far", "IH.budget", "IH.sup", "F.two-paths")


def install(site: Path) -> None:
    """Copy the example package into ``site`` with a dist-info folder holding its METADATA and the entry points of
    its pyproject.toml: importlib.metadata finds entry points in dist-info folders on sys.path."""
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shutil.copytree(EXAMPLE / "interval_head", site / "interval_head", ignore=shutil.ignore_patterns("__pycache__"))
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    lines = [f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items())
             for group, points in project["entry-points"].items()]
    (dist / "entry_points.txt").write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    site = tmp_path_factory.mktemp("site")
    install(site)
    paths = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def verdicts(path: Path) -> dict[str, str]:
    return {c["id"]: c["verdict"] for c in json.loads(path.read_text(encoding="utf-8"))["claims"]}


def test_the_main_project_does_not_register_the_example():
    assert NAME not in registry()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert NAME not in tomllib.loads(pyproject)["project"]["entry-points"][ENTRY_POINT_GROUP]


LIST_PROBE = """
import contextlib, io, sys
from verifier.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    assert main(["list"]) == 0
print(out.getvalue(), end="")
heavy = {"matplotlib", "scipy", "flint", "rich", "dask", "sympy", "numpy", "mpmath"}
print("heavy:", *sorted({name.split(".")[0] for name in sys.modules} & heavy))
print("loaded:", *sorted(name for name in sys.modules if name.startswith("interval_head")))
"""


def test_list_shows_the_example_and_loads_only_its_declaration(env, tmp_path):
    """`verifier list` loads every registered theorem, so a theorem's declaration module stays light (no numpy,
    sympy, scipy, …): the example's theorem.py imports its construction and checks inside the methods."""
    done = run(env, tmp_path, "-c", LIST_PROBE)
    assert done.returncode == 0, done.stderr
    *listed, heavy, loaded = done.stdout.splitlines()
    names = [line.split(":")[0] for line in listed]
    assert NAME in names and set(registry()) <= set(names)
    assert heavy == "heavy:"
    assert loaded.split()[1:] == ["interval_head", "interval_head.choices", "interval_head.theorem"]


def test_check_passes_on_every_claim(env, tmp_path):
    done = run(env, tmp_path, "-m", "verifier.cli", "check", NAME, "--json", "result.json")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "VERDICT: PASS (sampled — not a proof)" in done.stdout
    assert verdicts(tmp_path / "result.json") == {c: "PASS" for c in CLAIMS}


def test_the_negative_control_fails_where_the_proof_says(env, tmp_path):
    """λ = 1 instead of λ(N): the far tokens' bound and share, hence the theorem, FAIL; the rest still holds."""
    done = run(env, tmp_path, "-m", "verifier.cli", "check", NAME, "--tamper", "small-lambda", "--json", "result.json")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "VERDICT: FAIL" in done.stdout
    failed = {c for c, v in verdicts(tmp_path / "result.json").items() if v == "FAIL"}
    assert failed == {"IH.far-bound", "IH.far", "IH.sup"}, done.stdout


def test_report_of_the_example_configuration(env, tmp_path):
    shutil.copy(EXAMPLE / "interval-head.toml", tmp_path)
    done = run(env, tmp_path, "-m", "verifier.cli", "report", "--config", "interval-head.toml", "--out", "out")
    assert done.returncode == 0, done.stdout + done.stderr
    folder = tmp_path / "out" / "interval-head"
    assert (folder / "index.html").is_file() and (folder / "report.md").is_file()
    doc = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert [t["name"] for t in doc["theorems"]] == [NAME] and doc["verdict"] == "PASS"
    assert sorted(p.name for p in (folder / "figures").glob("*.svg")) == ["sin-eps0.1-error.svg", "tanh-eps0.05-error.svg"]


def test_pytest_proofs_collects_and_passes_every_claim_of_the_default_instances(env, tmp_path):
    done = run(env, tmp_path, "-m", "pytest", "--proofs", "--proofs-theorem", NAME, "-p", "no:cacheprovider", "-q")
    assert done.returncode == 0, done.stdout + done.stderr
    instances = 3  # IntervalHead.default_instances()
    assert re.search(rf"\b{instances * len(CLAIMS)} passed\b", done.stdout), done.stdout
