"""Run a suite and write its report folder: index.html, report.md, report.json, figures/*.svg and docs/*.html (the docs
pages it links to), whole or not at all, and never over another report unless asked to (``replace``)."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from ..errors import InputError
from ..run import TheoremResult, run
from ..theorem import get
from . import document
from .docs_html import render_docs
from .document import InstanceRun
from .html import render_html
from .markdown import render_markdown
from .plots import check_figure, to_svg
from .schema import validate
from .suite import Suite, SuiteEntry
from ..grid import heat_map
from .studies import study_figures
from .sweeps import sweep_figure

REPORT_FILES = ("index.html", "report.md", "report.json", "figures", "docs")  # what a report writes
ADDED_FILES = ("first-screen.png",)  # what may sit beside them: a committed reference's screenshot (docs/reports.md)
Progress = Callable[[int, SuiteEntry, str, Optional[TheoremResult]], None]
# (index, entry, "check" | "figures", the instance's result once checked), called before each step


def run_suite(suite: Suite, command: str, progress: Optional[Progress] = None) -> list[InstanceRun]:
    """Check every instance, then compute its figure data (its theorem's ``report_figures``, possibly none)."""
    runs = []
    for k, entry in enumerate(suite.entries):
        if progress:
            progress(k, entry, "check", None)
        try:
            result = run(entry.theorem, entry.options, command=command)
        except InputError as error:  # e.g. a refuted hypothesis: found by sampling, so only now
            raise InputError(f"instance {entry.name!r}: {error}") from None
        theorem = get(entry.theorem)
        if progress:
            progress(k, entry, "figures", result)
        figures = tuple(theorem.report_figures(theorem.parameters(**entry.options)))
        for figure in figures:
            check_figure(figure)
        runs.append(InstanceRun(entry, result, figures))
    return runs


def default_name(suite: Suite, now: datetime) -> str:
    """The report's folder name: the configuration's own name, else the UTC date and the configuration's hash."""
    return suite.name or f"{now:%Y-%m-%d}-{suite.digest}"


def available(folder: Path) -> Path:
    """``folder`` if nothing is there, else the first of ``NAME-2``, ``NAME-3``, … beside it that is free: a new report
    never overwrites an earlier one (``--replace`` asks for that)."""
    folder, k = Path(folder), 2
    candidate = folder
    while os.path.lexists(candidate):
        candidate, k = folder.with_name(f"{folder.name}-{k}"), k + 1
    return candidate


def clear_earlier_report(folder: Path) -> None:
    """Remove the report an earlier run wrote to ``folder``, before this run starts: a run that is refused, fails or is
    interrupted must not leave it behind to be read as its own. InputError if ``folder`` holds anything a report
    does not (it is not ours to delete)."""
    if not folder.exists():
        return
    if not folder.is_dir() or any(p.name not in REPORT_FILES + ADDED_FILES for p in folder.iterdir()):
        raise InputError(f"--out: {folder} exists and is not a report folder (it holds files other than "
                         f"{', '.join(REPORT_FILES + ADDED_FILES)}); move it away or choose another --out")
    shutil.rmtree(folder)


def write_report(runs: list[InstanceRun], suite: Suite, folder: Path, command: str, started: float,
                 now: Optional[datetime] = None, replace: bool = False) -> Path:
    """Write the report of ``runs`` (named ``folder``'s name, ``default_name``) as ``folder``, or as the first free
    ``folder-2``, ``folder-3``, … when ``folder`` exists (:func:`available`); with ``replace``, over the earlier report in
    ``folder`` (only a report folder: :func:`clear_earlier_report`). Returns the folder written.

    report.json is validated against the shipped JSON Schema before anything is written; the files are written to a
    temporary sibling folder that is then renamed, so the folder holds a whole report or none."""
    now = now or datetime.now(timezone.utc)
    name, folder = Path(folder).name, Path(folder) if replace else available(Path(folder))
    doc = document.build(runs, suite, name, command, now.isoformat(timespec="seconds"), time.perf_counter() - started)
    validate(doc)
    svg = {path: to_svg(f, salt=path) for r in runs for f in r.figures if (path := document.figure_file(r.entry.name, f))}
    svg.update({s["figure_file"]: to_svg(sweep_figure(s), salt=s["figure_file"]) for s in doc["sweeps"]})
    svg.update({g["figure_file"]: to_svg(heat_map(g), salt=g["figure_file"]) for g in doc["grids"] if g["figure_file"]})
    svg.update({path: to_svg(figure, salt=path) for s in suite.studies for path, figure in study_figures(s)})
    docs = render_docs([t["docs"] for t in doc["theorems"]] + [c["docs"] for t in doc["theorems"] for i in t["instances"]
                                                               for c in i["claims"]] + [s["docs"] for s in doc["studies"]])
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    try:
        (staging / "figures").mkdir()
        for path, text in {**svg, **docs}.items():
            (staging / path).parent.mkdir(parents=True, exist_ok=True)
            (staging / path).write_text(text, encoding="utf-8")
        (staging / "report.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                                             encoding="utf-8")
        (staging / "report.md").write_text(render_markdown(doc, folder), encoding="utf-8")
        (staging / "index.html").write_text(render_html(doc, svg), encoding="utf-8")
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp makes it private; a report folder is an ordinary folder
        if replace:  # the earlier report (cleared by the CLI before its run, but a library caller may not)
            clear_earlier_report(folder)
        os.rename(staging, folder)  # fails rather than overwrite a folder another run wrote meanwhile
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return folder


def current_umask() -> int:
    """The process's umask (read by setting it and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
