"""Tightness sweeps in a report: the JSON that ``verifier sweep … --json`` wrote, read back, checked, and shown
as a table, the fitted slopes and a log–log curve of N against 1/ε.

A configuration lists sweep files (paths relative to the configuration's folder)::

    sweeps = ["sweeps/first.json", "sweeps/second.json"]

Each file must be a complete sweep of a registered theorem, a regular file of at most MAX_BYTES whose
record validates against report.schema.json and whose figure draws; anything else is an InputError
naming the file and what to do, raised when the configuration is read, before any computation. The curve has the
constructed prefix length N(ε), the smallest N that still achieves ε, and the paper's rate
N(ε_max)·(ε_max/ε)^(4m²+14m+10) normalised at the largest ε (``verifier.sweep.paper_rate``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import jsonschema

from ..errors import InputError
from ..inputs import clip, read_small_file
from ..sweep import paper_rate
from ..theorem import registry

ROW_KEYS = ("eps", "eps_exact", "prefix_length", "minimal_prefix_length", "bound", "sup_error", "minimal_sup_error",
            "evidence", "temperature")
FIT_KEYS = ("slope", "stderr", "reference_exponent", "reference")
MAX_BYTES = 10_000_000  # a sweep of a hundred ε is ~0.5 MB; anything past this is not one


@dataclass(frozen=True)
class ResultFile:
    """One stored result shown in a report (a `verifier sweep` or `verifier grid` JSON, a `verifier study` result.json):
    its name (the file's stem; a study's folder name), the path as configured, and its data."""

    name: str
    source: str
    data: Mapping[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()[:12]


def read_sweep(path: Path, source: str, where: str) -> ResultFile:
    """The sweep JSON at ``path`` (configured as ``source`` at ``where``, 'FILE:LINE'), checked whole: its size before
    it is read, then its structure against report.schema.json's sweep, then its figure drawn (so nothing about it
    can fail after the suite has run)."""
    data = read_result_json(path, f"{where}: sweep file {source}", "give a file written by `verifier sweep … --json PATH`, "
                            "relative to the configuration's folder", MAX_BYTES)
    missing = [k for k in ("theorem", "dim", "rows", "fits", "complete") if not isinstance(data, dict) or k not in data]
    if missing:
        raise InputError(f"{where}: sweep file {source} lacks {', '.join(missing)}: not a `verifier sweep --json` result")
    if not isinstance(data["theorem"], str) or data["theorem"] not in registry():
        raise InputError(f"{where}: sweep file {source} is of theorem {clip(data['theorem'])}, which is not registered "
                         f"(known: {', '.join(registry())})")
    if data["complete"] is not True or not data["rows"]:
        raise InputError(f"{where}: sweep file {source} is an interrupted sweep (complete: false); rerun the sweep")
    if not isinstance(data["rows"], list) or not all(isinstance(row, dict) for row in data["rows"]):
        raise InputError(f"{where}: sweep file {source}: rows must be a list of records; rerun the sweep")
    if not isinstance(data["fits"], dict) or not all(isinstance(fit, dict) for fit in data["fits"].values()):
        raise InputError(f"{where}: sweep file {source}: fits must map each curve to a record; rerun the sweep")
    bad = [k for k in ROW_KEYS if any(k not in row for row in data["rows"])]
    if bad:
        raise InputError(f"{where}: sweep file {source}: rows lack {', '.join(bad)}; rerun the sweep with this version")
    sweep = ResultFile(Path(source).stem, source, data)
    _check_drawable(sweep, where)
    return sweep


def read_result_json(path: Path, label: str, fix: str, max_bytes: int) -> Any:
    """The JSON value of a stored result (a sweep's, a grid's, a study's) at ``path``, named ``label`` in messages
    (e.g. 'suite.toml:3: grid file audit.json'): a regular file of at most ``max_bytes`` (checked before reading:
    /dev/zero is never read) holding JSON without NaN or Infinity; otherwise InputError '<label> <what>; <fix>'."""
    try:
        text = read_small_file(Path(path), max_bytes)
    except InputError as reason:
        raise InputError(f"{label} {reason}; {fix}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise InputError(f"{label} is not JSON (or holds NaN or Infinity); {fix}") from None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def _check_drawable(sweep: ResultFile, where: str) -> None:
    """The report's record of ``sweep`` valid against report.schema.json, and its figure drawn once."""
    from .plots import to_svg
    from .schema import schema

    record = sweep_record(sweep)
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(
        {"$defs": schema()["$defs"], "$ref": "#/$defs/sweep"}).iter_errors(record))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise InputError(f"{where}: sweep file {sweep.source} is malformed at {at}: {clip(error.message, 120, quoted=False)}; "
                         "rerun `verifier sweep … --json` to write it again")
    try:
        to_svg(sweep_figure(record), salt=record["figure_file"])
    except (ValueError, OverflowError, ZeroDivisionError) as failure:
        raise InputError(f"{where}: sweep file {sweep.source} cannot be drawn ({failure}); rerun `verifier sweep … --json` "
                         "to write it again") from None


def sweep_record(sweep: ResultFile) -> dict:
    """What report.json holds of a sweep: where it came from, its rows and fits (plain numbers)."""
    data = sweep.data
    return {
        "name": sweep.name, "source": sweep.source, "theorem": data["theorem"], "dim": data["dim"],
        "command": data.get("command"), "options": data.get("options", {}),
        "rows": [{k: row[k] for k in ROW_KEYS} for row in data["rows"]],
        "fits": {curve: {k: fit.get(k) for k in FIT_KEYS} for curve, fit in data["fits"].items()},
        "figure_file": f"figures/sweep-{sweep.name}.svg",
    }


def sweep_figure(record: Mapping[str, Any]) -> dict:
    """The log–log curve of a sweep (a ``curve`` figure of verifier.report.plots with ``log`` axes)."""
    rows, m = record["rows"], record["dim"]
    x = [1 / r["eps"] for r in rows]
    series = [{"label": "constructed N(ε)", "values": [r["prefix_length"] for r in rows]}]
    if all(r["minimal_prefix_length"] for r in rows):
        series.append({"label": "smallest N achieving ε", "values": [r["minimal_prefix_length"] for r in rows]})
    top = 20 * max(v for s in series for v in s["values"])  # the paper's rate leaves the plot above this
    paper = record["fits"].get("paper_rate")
    if len(rows) > 1 and paper:
        e = paper["reference_exponent"]
        series.append({"label": f"paper's rate ε^−{e:g}, normalised at the largest ε", "values": paper_rate(rows, e)})
    return {"id": f"sweep-{record['name']}", "kind": "curve", "log": True, "y_max": top,
            "title": f"{record['theorem']} on S^{m}: prefix length against 1/ε",
            "caption": "log–log; sup errors as the sweep decided them (see the evidence column)",
            "x": {"label": "1/ε", "values": x}, "series": series}
