"""Grids (audits) in a report: the JSON that ``verifier grid … --json`` wrote, read back, checked, and shown as a table
(one row per cell: the varied options' values, the recorded columns' facts, the verdict) and, for two varied
options, a heat map with each cell's verdict marked (``verifier.grid.heat_map``).

A configuration lists grid files (paths relative to the configuration's folder)::

    grids = ["audits/my-audit.json"]

Each file must be a complete grid of a registered theorem, a regular file of at most MAX_BYTES whose record validates
against report.schema.json's ``grid`` and whose figure draws; anything else is an InputError naming the file and what
to do, raised when the configuration is read, before any computation.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

import jsonschema

from ..claims import Verdict
from ..errors import InputError
from ..grid import heat_map, row_verdict
from ..inputs import clip
from .sweeps import ResultFile, read_result_json
from ..theorem import get, registry

MAX_BYTES = 20_000_000  # a grid of 72 cells is ~0.3 MB; anything past this is not one


def read_grid(path: Path, source: str, where: str) -> ResultFile:
    """The grid JSON at ``path`` (configured as ``source`` at ``where``, 'FILE:LINE'), checked whole: its size before it
    is read, its kind, theorem and completeness, then its record against report.schema.json, then its figure drawn (so
    nothing about it can fail after the suite has run)."""
    fix = "give a file written by `verifier grid … --json PATH`, relative to the configuration's folder"
    data = read_result_json(path, f"{where}: grid file {source}", fix, MAX_BYTES)
    if not isinstance(data, dict) or data.get("kind") != "grid":
        raise InputError(f"{where}: grid file {source} is not a `verifier grid --json` result; {fix}")
    if data.get("theorem") not in registry():
        raise InputError(f"{where}: grid file {source} is of theorem {clip(data.get('theorem'))}, which is not registered "
                         f"(known: {', '.join(registry())})")
    if data.get("complete") is not True or not data.get("rows"):
        raise InputError(f"{where}: grid file {source} is an interrupted grid (complete: false); rerun the grid")
    grid = ResultFile(Path(source).stem, source, data)
    _check_drawable(grid, where)
    return grid


def _check_drawable(grid: ResultFile, where: str) -> None:
    """The report's record of ``grid`` valid against report.schema.json, and its heat map (if any) drawn once."""
    from .plots import to_svg
    from .schema import schema

    try:
        record = grid_record(grid)
    except (KeyError, TypeError, AttributeError, ValueError) as failure:
        raise InputError(f"{where}: grid file {grid.source} is malformed ({clip(str(failure), 120, quoted=False)}); "
                         "rerun `verifier grid … --json` to write it again") from None
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(
        {"$defs": schema()["$defs"], "$ref": "#/$defs/grid"}).iter_errors(record))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise InputError(f"{where}: grid file {grid.source} is malformed at {at}: {clip(error.message, 120, quoted=False)}; "
                         "rerun `verifier grid … --json` to write it again")
    figure = heat_map(record)
    if figure is not None:
        try:
            to_svg(figure, salt=record["figure_file"])
        except (ValueError, OverflowError, ZeroDivisionError) as failure:
            raise InputError(f"{where}: grid file {grid.source} cannot be drawn ({failure}); rerun `verifier grid … "
                             "--json` to write it again") from None


def column_label(labels: Mapping[str, str], fact: str) -> str:
    """A column's heading: the fact's label (``fact_labels``); for a dotted path, its record's label and the key's,
    e.g. 'sup ‖o − U f‖: value'."""
    head, _, key = fact.partition(".")
    if not key:
        return labels.get(fact, fact)
    return f"{labels.get(head, head)}: {labels.get(fact, key)}"


def grid_record(grid: ResultFile) -> dict:
    """What report.json holds of a grid: where it came from, its axes, columns (with the theorem's labels) and rows
    (each cell's values, verdict, evidence, the reason a cell was not built, and its facts of the columns and the
    map), the verdict counts and the heat map's file (None for other than two varied options)."""
    data = grid.data
    columns, map_fact = list(data["columns"]), data.get("map_fact")
    labels = get(data["theorem"]).fact_labels
    kept = columns + ([map_fact] if map_fact and map_fact not in columns else [])
    rows = [{"cell": dict(r["cell"]), "verdict": r["verdict"], "evidence": r["evidence"], "reason": r.get("reason"),
             "facts": {c: r["facts"].get(c) for c in kept}} for r in data["rows"]]
    counts: dict[str, int] = {}
    for r in data["rows"]:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    record = {
        "name": grid.name, "source": grid.source, "theorem": data["theorem"], "command": data.get("command"),
        "options": dict(data.get("options", {})), "axes": {k: list(v) for k, v in data["axes"].items()},
        "columns": columns, "column_labels": [column_label(labels, c) for c in columns], "map_fact": map_fact,
        "verdict": Verdict.combine(row_verdict(r) for r in data["rows"]).value, "counts": counts, "rows": rows, "figure_file": None,
    }
    if heat_map(record) is not None:
        record["figure_file"] = f"figures/grid-{grid.name}.svg"
    return record
