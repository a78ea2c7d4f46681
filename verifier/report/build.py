"""Run a suite and write its report folder: index.html, report.md, report.json and figures/*.svg."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

from ..errors import InputError
from ..run import run
from ..theorem import get
from . import document
from .document import InstanceRun
from .html import render_html
from .markdown import render_markdown
from .plots import check_figure, to_svg
from .schema import validate
from .suite import Suite, SuiteEntry
from .sweeps import sweep_figure

Progress = Callable[[int, SuiteEntry, str], None]  # (index, entry, "check" | "figures"), called before each step


def run_suite(suite: Suite, command: str, progress: Optional[Progress] = None) -> list[InstanceRun]:
    """Check every instance, then compute its figure data (its theorem's ``report_figures``, possibly none)."""
    runs = []
    for k, entry in enumerate(suite.entries):
        if progress:
            progress(k, entry, "check")
        try:
            result = run(entry.theorem, entry.options, command=command)
        except InputError as error:  # e.g. a refuted hypothesis: found by sampling, so only now
            raise InputError(f"instance {entry.name!r}: {error}") from None
        theorem = get(entry.theorem)
        if progress:
            progress(k, entry, "figures")
        figures = tuple(theorem.report_figures(theorem.parameters(**entry.options)))
        for figure in figures:
            check_figure(figure)
        runs.append(InstanceRun(entry, result, figures))
    return runs


def default_name(suite: Suite, now: datetime) -> str:
    """The report's folder name: the configuration's own name, else the UTC date and the configuration's hash."""
    return suite.name or f"{now:%Y-%m-%d}-{suite.digest}"


def write_report(runs: list[InstanceRun], suite: Suite, out: Path, command: str, started: float,
                 now: Optional[datetime] = None) -> Path:
    """Write the report of ``runs`` to ``out/<name>/`` (replacing the files of an earlier one); returns the folder.

    report.json is validated against the shipped JSON Schema before anything is written."""
    now = now or datetime.now(timezone.utc)
    name = default_name(suite, now)
    folder = Path(out) / name
    doc = document.build(runs, suite, name, command, now.isoformat(timespec="seconds"), time.perf_counter() - started)
    validate(doc)
    svg = {path: to_svg(f, salt=path) for r in runs for f in r.figures if (path := document.figure_file(r.entry.name, f))}
    svg.update({s["figure_file"]: to_svg(sweep_figure(s), salt=s["figure_file"]) for s in doc["sweeps"]})
    (folder / "figures").mkdir(parents=True, exist_ok=True)
    for old in (folder / "figures").glob("*.svg"):
        old.unlink()
    for path, text in svg.items():
        (folder / path).write_text(text, encoding="utf-8")
    (folder / "report.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    (folder / "report.md").write_text(render_markdown(doc, folder), encoding="utf-8")
    (folder / "index.html").write_text(render_html(doc, svg, folder), encoding="utf-8")
    return folder
