"""Studies in a report: the result.json that ``verifier study NAME --out DIR`` wrote, read back, checked, and shown
with the study's statement, the command that reproduces it, its verdict, its table (the study's own
``table(result)``, Markdown) and its figures (the study's own ``figures(result)``, drawn as SVG).

A configuration lists study results (paths relative to the configuration's folder)::

    studies = ["my-study/result.json"]

A study's section is named by the folder its result.json is in (``my-study``). Each file must be the result of a
complete run of a registered study (``verifier.study.studies()``): a regular file of at most MAX_BYTES, valid
against that study's own ``schema``, whose table renders, whose record validates against report.schema.json's
``study`` and whose figures draw; anything else is an InputError naming the file and what to do, raised when the
configuration is read, before any computation. The core names no study: everything shown comes through the
``Study`` protocol's attributes and methods.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Mapping

import jsonschema
from markupsafe import Markup

from ..errors import InputError
from ..inputs import clip
from .. import study as study_registry
from . import docs_links
from .sweeps import ResultFile, read_result_json

MAX_BYTES = 20_000_000  # a study's result.json is ~0.1 MB; anything past this is not one
_BROKEN = (LookupError, StopIteration, TypeError, AttributeError, ValueError, ArithmeticError)  # a study's table or
# figures, or the drawing, failing on a result its schema accepted: the file cannot be shown (an InputError naming it)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")  # a folder name that can name figure files and anchors


def read_study(path: Path, source: str, where: str) -> ResultFile:
    """The study result at ``path`` (configured as ``source`` at ``where``, 'FILE:LINE'), checked whole: its size
    before it is read, its study (registered) and completeness, then the result against the study's own schema, then
    its record against report.schema.json and its figures drawn (so nothing about it can fail after the suite has
    run)."""
    label = f"{where}: study file {source}"
    fix = "give the result.json that `verifier study NAME --out DIR` wrote (DIR/result.json), relative to the " \
          "configuration's folder"
    data = read_result_json(path, label, fix, MAX_BYTES)
    if not isinstance(data, dict) or not isinstance(data.get("study"), str):
        raise InputError(f"{label} is not the result of a `verifier study` (it names no study); {fix}")
    known = study_registry.studies()
    if data["study"] not in known:
        raise InputError(f"{label} is of study {clip(data['study'])}, which is not registered "
                         f"(known: {', '.join(known) or 'none (pip install -e .)'})")
    rerun = f"rerun `verifier study {data['study']} … --out DIR --replace` to write it again"
    if data.get("complete") is not True:
        raise InputError(f"{label} is an interrupted study (complete: false); {rerun}")
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(known[data["study"]].schema).iter_errors(data))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise InputError(f"{label} does not match study {data['study']}'s schema at {at}: "
                         f"{clip(error.message, 120, quoted=False)}; {rerun}")
    name = Path(os.path.abspath(path)).parent.name
    if not _NAME.fullmatch(name):
        raise InputError(f"{label}: its folder's name {clip(name)} names the study's section and figure files, so it must "
                         "be 1–80 letters, digits, '.', '_' or '-'; rename the folder")
    study = ResultFile(name, source, data)
    _check_shown(study, label, rerun)
    return study


def _check_shown(study: ResultFile, label: str, rerun: str) -> None:
    """The report's record of ``study`` (its table and figures, from the study's own methods) valid against
    report.schema.json, and every figure drawn once."""
    from .plots import to_svg
    from .schema import schema

    try:
        record = study_record(study)
    except _BROKEN as failure:
        raise InputError(f"{label} cannot be shown ({clip(str(failure), 120, quoted=False)}); {rerun}") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(
        {"$defs": schema()["$defs"], "$ref": "#/$defs/study"}).iter_errors(record))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise InputError(f"{label} is malformed for the report at {at}: {clip(error.message, 120, quoted=False)}; {rerun}")
    for path, figure in study_figures(study):
        try:
            to_svg(figure, salt=path)
        except _BROKEN as failure:
            raise InputError(f"{label}: its figure {figure.get('id')!r} cannot be drawn "
                             f"({clip(str(failure), 120, quoted=False)}); {rerun}") from None


def figure_file(name: str, figure: Mapping[str, Any]) -> str:
    """Where the report writes a study's figure: figures/study-NAME-ID.svg."""
    return f"figures/study-{name}-{figure['id']}.svg"


def study_figures(study: ResultFile) -> list[tuple[str, dict]]:
    """(file, figure data) of each figure the study draws of its result (its ``figures(result)``)."""
    return [(figure_file(study.name, f), f) for f in study_registry.get_study(study.data["study"]).figures(study.data)]


def study_record(study: ResultFile) -> dict:
    """What report.json holds of a study: where it came from, the study's statement and docs section (the anchor named
    after the study, as for a theorem: ``verifier.report.docs_links``), the command, options, workers and
    wall time of its run, its verdict, its table (Markdown, the study's ``table(result)``) and its figures' summaries
    (verifier.report.plots.summary) with their files."""
    from .plots import summary

    data, declared = study.data, study_registry.get_study(study.data["study"])
    return {
        "name": study.name, "source": study.source, "study": data["study"], "statement": declared.statement,
        "docs": docs_links.link(data["study"]),
        "command": data.get("command"), "options": dict(data.get("options") or {}), "workers": data.get("workers"),
        "wall_time_s": data.get("wall_time_s"), "verdict": data["verdict"], "table": declared.table(data),
        "figures": [{**summary(f), "file": path} for path, f in study_figures(study)],
    }


def table_html(markdown: str) -> Markup:
    """A study's Markdown table as HTML, by the parser that renders the docs pages (docs_html), raw HTML off: text
    in the table that looks like markup stays text."""
    from .docs_html import markdown_parser

    return Markup(markdown_parser(raw_html=False).render(markdown))
