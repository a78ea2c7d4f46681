"""The README names only files that exist in the project (a folder once went missing: it was git-ignored), and its
set-up command installs what `.ci/run` installs."""
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOP = ("benchmarks", "docs", "proofs", "reports", "tests", "verifier")
GENERATED = {"mutants/", "reports/DATE-HASH/index.html"}  # made by a command, not committed


def named_paths(text: str) -> set[str]:
    """Paths in the README: `TOP/...` in backticks, and the first word of a `python|sh TOP/...` command."""
    quoted = re.findall(r"`((?:%s)/[A-Za-z0-9_./-]*)`" % "|".join(TOP), text)
    commands = re.findall(r"(?:python|sh) ((?:%s)/[A-Za-z0-9_./-]+)" % "|".join(TOP), text)
    return (set(quoted) | set(commands)) - GENERATED


def uncommitted(paths: set[str], tracked: set[str]) -> list[str]:
    """The named files that are not tracked, and the named folders ('x/') that hold no tracked file."""
    folders = {"/".join(Path(t).parts[:k]) + "/" for t in tracked for k in range(1, len(Path(t).parts))}
    return sorted(p for p in paths if p not in tracked and p not in folders)


def test_every_path_the_readme_names_is_committed():
    paths = named_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(paths) > 20
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split())
    assert not uncommitted(paths, tracked), "README names files that are not committed"


def test_the_check_finds_a_missing_file():  # negative control
    paths = named_paths("see `reports/sweeps/` and `reports/nowhere/x.py`; run python benchmarks/none.py")
    assert paths == {"reports/sweeps/", "reports/nowhere/x.py", "benchmarks/none.py"}
    assert uncommitted(paths, {"reports/sweeps/make.sh", "benchmarks/bench.py"}) == ["benchmarks/none.py", "reports/nowhere/x.py"]
    assert uncommitted(paths, {"benchmarks/bench.py"}) == ["benchmarks/none.py", "reports/nowhere/x.py", "reports/sweeps/"]


def pip_installs(text: str) -> list[str]:
    """The arguments of every `pip install` in a text, in order ('-e ".[test]"', '--no-deps gt-…==0.1.0')."""
    return [" ".join(a for a in args.split() if a != "--quiet") for args in re.findall(r"pip install ([^&\n]+)", text)]


def test_the_readme_set_up_installs_what_ci_installs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    setup = next(line for line in readme.splitlines() if "verifier report" in line and "pip install" in line)
    ci = [a for a in pip_installs((ROOT / ".ci" / "run").read_text(encoding="utf-8")) if a != "--upgrade pip"]
    assert pip_installs(setup) == ci


def test_the_install_comparison_sees_a_missing_install():  # negative control
    assert pip_installs('pip install -e ".[test]" && verifier report') != pip_installs(
        'pip install --quiet -e ".[test]"\npip install --no-deps weights==1 && x')
