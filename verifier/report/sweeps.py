"""Tightness sweeps in a report: the JSON that ``verifier sweep … --json`` wrote, read back, checked, and shown
as a table, the fitted slopes and a log–log curve of N against 1/ε.

A configuration lists sweep files (paths relative to the configuration's folder)::

    sweeps = ["sweeps/first.json", "sweeps/second.json"]

Each file must be a complete sweep of a registered theorem; anything else is an InputError naming the
file and what to do, raised when the configuration is read, before any computation. The curve has the
constructed prefix length N(ε), the smallest N that still achieves ε, and the paper's rate
N(ε_max)·(ε_max/ε)^(4m²+14m+10) normalised at the largest ε (``verifier.sweep.paper_rate``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError
from ..sweep import paper_rate
from ..theorem import registry

ROW_KEYS = ("eps", "eps_exact", "prefix_length", "minimal_prefix_length", "bound", "sup_error", "minimal_sup_error",
            "evidence", "temperature")
FIT_KEYS = ("slope", "stderr", "reference_exponent", "reference")


@dataclass(frozen=True)
class SweepFile:
    """One sweep shown in a report: its name (the file's stem), the path as configured, and its data."""

    name: str
    source: str
    data: Mapping[str, Any]

    @property
    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.data, sort_keys=True).encode()).hexdigest()[:12]


def read_sweep(path: Path, source: str, where: str) -> SweepFile:
    """The sweep JSON at ``path`` (configured as ``source`` at ``where``, 'FILE:LINE'), checked."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"{where}: sweep file {source}: cannot read it ({error.strerror}); give a file written by "
                         "`verifier sweep … --json PATH`, relative to the configuration's folder") from None
    except ValueError:
        raise InputError(f"{where}: sweep file {source} is not JSON; give a file written by `verifier sweep … --json`") from None
    missing = [k for k in ("theorem", "dim", "rows", "fits", "complete") if not isinstance(data, dict) or k not in data]
    if missing:
        raise InputError(f"{where}: sweep file {source} lacks {', '.join(missing)}: not a `verifier sweep --json` result")
    if data["theorem"] not in registry():
        raise InputError(f"{where}: sweep file {source} is of theorem {data['theorem']!r}, which is not registered "
                         f"(known: {', '.join(registry())})")
    if not data["complete"] or not data["rows"]:
        raise InputError(f"{where}: sweep file {source} is an interrupted sweep (complete: false); rerun the sweep")
    bad = [k for k in ROW_KEYS if any(k not in row for row in data["rows"])]
    if bad:
        raise InputError(f"{where}: sweep file {source}: rows lack {', '.join(bad)}; rerun the sweep with this version")
    return SweepFile(Path(source).stem, source, data)


def sweep_record(sweep: SweepFile) -> dict:
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
