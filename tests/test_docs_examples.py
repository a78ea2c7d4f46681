"""The documented examples run as written: every ``verifier …`` command in a code block of README.md or docs/*.md,
run in a temporary folder as a new user would, ends with the outcome written next to it.

The docs are the single source: the commands are read from the Markdown code blocks (fenced or indented), and each
one carries its documented outcome as a trailing comment that ends with ``exit N`` or ``(exit N)``, optionally
preceded by the verdict, with the evidence of a PASS first in the parentheses::

    verifier list                                                   # exit 0
    verifier check limitation --tamper rescaled-content             # the negative control: FAIL (exit 1)
    verifier check single-head --dim 1 --eps 0.05                   # PASS (certified, exit 0)

A verdict word must agree with the exit status (PASS 0, FAIL 1, INCONCLUSIVE 3); the evidence (``exact``,
``certified``, ``sampled``) is checked against the ``VERDICT:`` line of ``verifier check``. A synopsis such as
``verifier report [--out DIR] [--config FILE]`` (an optional ``[--…]`` part) is not a runnable example.

A figure the docs quote from a command's output is written in its comment as ``prints "…"`` (one or more quoted
texts, comma-separated, before the outcome); each must appear in what the command prints (runs of spaces read as
one), so a count, N, λ or ratio that changes fails the test. Times vary from machine to machine and are never
quoted this way (a quoted text with a time in it is reported)::

    verifier check limitation     # prints "L1.numeric", "3 claims: 3 PASS"; PASS (exit 0)

Running them: a file the command names that exists in the project (``reports/reference.toml``) is copied with its
top-level folder into the temporary folder; a ``--config NAME`` that does not exist in the project is the suite
configuration the docs show (the one TOML code block with ``[[instance]]`` tables); a ``--scheduler`` address is the
user's placeholder and is replaced by the address of a local Dask cluster that the test starts; commands shown in
docs/adding-a-theorem.md run with its worked example installed (as that page tells the reader to do first). The
commands that finish in seconds (``verifier list``, ``check limitation``, and bad input, which stops before any
work) run in the default test run; the others are marked slow.
"""
from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
EXIT = {"PASS": 0, "FAIL": 1, "INCONCLUSIVE": 3}
PRINTS = re.compile(r'\bprints\s+((?:"[^"]*"\s*,?\s*)+)')
TIME = re.compile(r"\d\s*(?:s|ms|min|h|seconds|minutes)\b")
OUTCOME = re.compile(r"(?:\b(?P<verdict>PASS|FAIL|INCONCLUSIVE)\s+)?"
                     r"(?:\((?:(?P<evidence>exact|certified|sampled),\s*)?exit (?P<code>\d+)\)|\bexit (?P<bare>\d+))\s*$")
SHELL_BLOCKS = ("", "sh", "bash", "console", "shell")  # the languages of fenced blocks that may show commands
INSTALLS_THE_EXAMPLE = "adding-a-theorem.md"


@dataclass(frozen=True)
class Outcome:
    """A documented outcome: the exit status, and the verdict and evidence where the docs name them."""

    code: int
    verdict: Optional[str] = None
    evidence: Optional[str] = None
    prints: tuple[str, ...] = ()  # texts the command's output must contain


@dataclass(frozen=True)
class Example:
    """One ``verifier …`` command of the docs, where it is shown, and its documented outcome (None: none given)."""

    file: str
    line: int
    command: str
    comment: str
    outcome: Optional[Outcome]

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.command)

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.command}"


def code_blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, lines) of each code block that may show shell commands: fenced blocks without a
    language or in a shell language, and indented blocks (4 spaces, after a blank line)."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        fence = re.match(r"^(```+|~~~+)\s*(\S*)", lines[i])
        if fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1))), len(lines))
            if fence.group(2) in SHELL_BLOCKS:
                yield i + 2, lines[i + 1:end]
            i = end + 1
        elif lines[i].startswith("    ") and (i == 0 or not lines[i - 1].strip()):
            end = i
            while end < len(lines) and (lines[end].startswith("    ") or not lines[end].strip()):
                end += 1
            yield i + 1, [line[4:] for line in lines[i:end]]
            i = end
        else:
            i += 1


def split_comment(line: str) -> tuple[str, str]:
    """The command and its trailing comment: the first ``#`` after a space outside quotes starts the comment."""
    quote = None
    for k, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (k == 0 or line[k - 1].isspace()):
            return line[:k].rstrip(), line[k + 1:].strip()
    return line.rstrip(), ""


def read_outcome(comment: str) -> Optional[Outcome]:
    """The outcome at the end of a comment, ``… exit N`` or ``… [VERDICT ]([EVIDENCE, ]exit N)``; None if it names
    none."""
    found = OUTCOME.search(comment)
    if not found:
        return None
    quoted = PRINTS.search(comment[:found.start()])
    prints = tuple(re.findall(r'"([^"]*)"', quoted[1])) if quoted else ()
    return Outcome(int(found["code"] or found["bare"]), found["verdict"], found["evidence"], prints)


def examples(text: str, file: str) -> list[Example]:
    """The ``verifier`` commands of a Markdown text's code blocks (``$ `` prompts and ``\\`` continuations read)."""
    found = []
    for first, lines in code_blocks(text):
        k = 0
        while k < len(lines):
            start, line = k, lines[k].strip()
            while line.endswith("\\") and k + 1 < len(lines):
                k += 1
                line = line[:-1].rstrip() + " " + lines[k].strip()
            k += 1
            line = line[2:] if line.startswith("$ ") else line
            command, comment = split_comment(line)
            if re.match(r"verifier(\s|$)", command) and "[--" not in command:
                found.append(Example(file, first + start, command, comment, read_outcome(comment)))
    return found


def documented() -> list[Example]:
    return [e for path in DOCS for e in examples(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]


def suite_configuration() -> str:
    """The suite configuration the docs show: the one TOML code block with ``[[instance]]`` tables."""
    blocks = [block for path in DOCS
              for block in re.findall(r"^```toml\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)
              if re.search(r"^\[\[instance\]\]", block, re.M)]
    assert len(blocks) == 1, f"expected one suite configuration in the docs, found {len(blocks)}"
    return blocks[0]


def problems(found: list[Example]) -> list[str]:
    """Commands without a documented outcome, and outcomes that contradict themselves."""
    out = []
    for e in found:
        o = e.outcome
        if o is None:
            out.append(f"{e}: no documented outcome (end its comment with e.g. '# PASS (exit 0)')")
        elif o.verdict and EXIT[o.verdict] != o.code:
            out.append(f"{e}: {o.verdict} is exit {EXIT[o.verdict]}, not exit {o.code}")
        elif o.evidence and (o.verdict != "PASS" or e.argv[1] != "check"):
            out.append(f"{e}: an evidence is documented only for the PASS of a `verifier check`")
        out += [f"{e}: prints {text!r} quotes a time, which differs between machines (quote a count or a ratio)"
                for text in (o.prints if o else ()) if TIME.search(text)]
    return out


def is_fast(e: Example) -> bool:
    """Finishes in seconds: the list, the limitation check (symbolic, small), and bad input (refused before any work)."""
    return e.argv[1] == "list" or e.argv[1:3] == ["check", "limitation"] or (e.outcome is not None and e.outcome.code == 2)


# ---------------------------------------------------------------------------------------------
def test_every_documented_command_has_its_outcome():
    found = documented()
    assert len(found) >= 10 and {e.file for e in found} >= {"README.md", "docs/adding-a-theorem.md"}
    assert not problems(found), "\n".join(problems(found))


def test_the_extraction_reads_every_form_and_finds_a_missing_outcome():  # negative control of the check above
    text = "\n".join([
        "Text `verifier check inline` is prose.", "",
        "    verifier list                       # exit 0",
        "    verifier check x --eps 0.1          # a comment without an outcome",
        "    verifier report [--out DIR]", "",
        "```", "$ verifier check y --target \"a # b\" \\", "    --bound 1   # the negative control: FAIL (exit 1)",
        "verifier: error: output", "```", "",
        "```python", "verifier check z", "```", "",
        "    verifier check w   # PASS (certified, exit 3)",
        "    verifier list      # PASS (sampled, exit 0)",
        '    verifier check v   # prints "N = 228", "3 claims: 3 PASS"; PASS (exit 0)',
        '    verifier check u   # prints "wall time 1.8 s"; exit 0',
    ])
    found = examples(text, "x.md")
    assert [(e.line, e.command, e.outcome) for e in found] == [
        (3, "verifier list", Outcome(0)),
        (4, "verifier check x --eps 0.1", None),
        (8, 'verifier check y --target "a # b" --bound 1', Outcome(1, "FAIL")),
        (17, "verifier check w", Outcome(3, "PASS", "certified")),
        (18, "verifier list", Outcome(0, "PASS", "sampled")),
        (19, "verifier check v", Outcome(0, "PASS", None, ("N = 228", "3 claims: 3 PASS"))),
        (20, "verifier check u", Outcome(0, None, None, ("wall time 1.8 s",))),
    ]
    assert found[2].argv == ["verifier", "check", "y", "--target", "a # b", "--bound", "1"]
    reported = problems(found)
    assert len(reported) == 4 and "x.md:4: verifier check x --eps 0.1: no documented outcome" in reported[0]
    assert "PASS is exit 0, not exit 3" in reported[1] and "only for the PASS of a `verifier check`" in reported[2]
    assert "x.md:20: verifier check u: prints 'wall time 1.8 s' quotes a time" in reported[3]


def test_a_quoted_figure_must_be_what_the_command_prints(tmp_path):
    """A ``prints "…"`` text is compared with the output (spaces normalised); the negative control quotes a figure
    the command does not print (E9 for E1, P3 for P2), and the run fails saying so."""
    right = examples('    verifier list   # prints "single-head: E1:", "[realises P1,   P2]"; exit 0', "x.md")[0]
    wrong = examples('    verifier list   # prints "single-head: E9:", "[realises P1, P3]"; exit 0', "x.md")[0]
    run_example(right, tmp_path, None)
    with pytest.raises(AssertionError, match=r"the docs quote \['single-head: E9:', '\[realises P1, P3\]'\]"):
        run_example(wrong, tmp_path, None)


def test_the_suite_configuration_shown_reads_in_a_fresh_folder(tmp_path):
    """The configuration of docs/reports.md, saved as suite.toml in an empty folder, is read without error (what
    `verifier report --config suite.toml` does before any work: a file it names must be there)."""
    from verifier.report.suite import read_suite

    path = tmp_path / "suite.toml"
    path.write_text(suite_configuration(), encoding="utf-8")
    assert read_suite(path).entries


# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def example_env(tmp_path_factory) -> dict:
    """The environment with docs/adding-a-theorem.md's worked example installed (tests/test_adding_a_theorem.py)."""
    import os

    from test_adding_a_theorem import install

    site = tmp_path_factory.mktemp("site")
    install(site)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}


def prepare(e: Example, folder: Path, scheduler: Optional[str]) -> list[str]:
    """The command's argv for a fresh folder: the files it names there, a local scheduler for a placeholder one."""
    argv = e.argv
    for k, arg in enumerate(argv[1:], 1):
        source = ROOT / arg
        if argv[k - 1] == "--scheduler":
            argv[k] = scheduler
        elif not Path(arg).is_absolute() and ".." not in Path(arg).parts and source.is_file():
            top = Path(arg).parts[0]
            if not (folder / top).exists():
                shutil.copytree(ROOT / top, folder / top, ignore=shutil.ignore_patterns("__pycache__"))
        elif argv[k - 1] == "--config":
            (folder / arg).write_text(suite_configuration(), encoding="utf-8")
    return [sys.executable, "-m", "verifier.cli", *argv[1:]]


def run_example(e: Example, folder: Path, env: Optional[dict], scheduler: Optional[str] = None) -> None:
    done = subprocess.run(prepare(e, folder, scheduler), cwd=folder, env=env, capture_output=True, text=True,
                          timeout=3600)
    said = f"{e}\nexit {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == e.outcome.code, said
    printed = " ".join((done.stdout + done.stderr).split())
    missing = [text for text in e.outcome.prints if " ".join(text.split()) not in printed]
    assert not missing, f"the docs quote {missing}, which the command did not print\n{said}"
    if e.argv[1] == "check" and e.outcome.verdict:
        verdict = re.search(r"^VERDICT: (\w+)(?: \((\w+))?", done.stdout, re.M)
        assert verdict and verdict[1] == e.outcome.verdict, said
        assert e.outcome.evidence in (None, verdict[2]), said


def _params(fast: bool) -> list:
    return [pytest.param(e, id=f"{e.file}:{e.line}") for e in documented() if e.outcome and is_fast(e) == fast]


@pytest.mark.parametrize("example", _params(fast=True))
def test_fast_documented_command_ends_as_documented(example, tmp_path, request):
    env = request.getfixturevalue("example_env") if example.file.endswith(INSTALLS_THE_EXAMPLE) else None
    run_example(example, tmp_path, env)


@pytest.mark.slow
@pytest.mark.parametrize("example", _params(fast=False))
def test_documented_command_ends_as_documented(example, tmp_path, request):
    env = request.getfixturevalue("example_env") if example.file.endswith(INSTALLS_THE_EXAMPLE) else None
    if "--scheduler" not in example.argv:
        run_example(example, tmp_path, env)
        return
    import logging

    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster:
        run_example(example, tmp_path, env, cluster.scheduler_address)
