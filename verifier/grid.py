"""Grids (audits): one theorem checked at every combination of some options' values, on Dask's distributed scheduler.

``verifier grid THEOREM --vary NAME=VALUES [--vary …] [THEOREM's other options]``: VALUES is ``a..b`` (the integers
a, a+1, …, b) or a comma-separated list; the cells are the product of the varied options' values, the first varied
option slowest. Every cell is the theorem's own instance with those values and every other option as given, checked
by ``verifier.run.run`` exactly as ``verifier check`` would. Before any check, the option names are checked and
every varied value is validated by the theorem's ``parameters`` (each value once, the other varied options at their
first value: :func:`validation_cells`, run on the workers, since ``parameters`` may certify hypotheses), so a bad
value is bad input (exit 2) for the whole grid; a combination the theorem still refuses when its cell runs is
reported as NOT BUILT (below).

A row is plain data, the same on any worker: the cell's values, its verdict and evidence, each claim's verdict,
evidence, value and bound, the framework errors, and the instance's scalar facts (numbers, strings, booleans; the
scalars of a nested record by dotted path, e.g. ``sup_error.value``). A cell whose instance cannot be built (the
theorem raises InputError while checking it) is reported, never dropped: verdict NOT BUILT with the reason, and it
counts as a FAIL in the grid's verdict (the worst of its rows').

``columns`` (facts shown in the table, default: the theorem's labelled scalar facts) and ``map_fact`` (the fact a
two-axis grid's heat map shows, default: the first column) are recorded with the rows, so a report shows the same.
"""
from __future__ import annotations

import itertools
import math
import re
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

from .claims import Verdict
from .errors import InputError
from .inputs import clip
from .theorem import get

NOT_BUILT = "NOT BUILT"
MAX_CELLS = 10_000
_RANGE = re.compile(r"\s*(-?\d+)\s*\.\.\s*(-?\d+)\s*")


def parse_vary(text: str) -> tuple[str, list[str]]:
    """'layer=0..5' → ('layer', ['0', …, '5']); 'eps=0.2,0.1' → ('eps', ['0.2', '0.1']). Values stay raw text, read
    later by the option's own reader; InputError naming the form otherwise."""
    name, sep, values = str(text).partition("=")
    name = name.strip().lstrip("-").replace("-", "_")
    if not sep or not name or not values.strip():
        raise InputError(f"--vary {clip(text)}: write NAME=VALUES, e.g. --vary layer=0..5 or --vary eps=0.2,0.1")
    span = _RANGE.fullmatch(values)
    if span:
        low, high = int(span.group(1)), int(span.group(2))
        if high < low or high - low >= MAX_CELLS:
            raise InputError(f"--vary {clip(text)}: the range a..b needs a ≤ b and fewer than {MAX_CELLS} values")
        items = [str(v) for v in range(low, high + 1)]
    else:
        items = [v.strip() for v in values.split(",") if v.strip()]
    if len(set(items)) != len(items):
        raise InputError(f"--vary {clip(text)} lists a value twice; give distinct values")
    return name, items


def cells(axes: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """The product of the axes' values, the first axis slowest: one option mapping per cell."""
    names = list(axes)
    return [dict(zip(names, values)) for values in itertools.product(*(axes[n] for n in names))]


def check_grid_options(theorem_name: str, options: Mapping[str, Any], axes: Mapping[str, Sequence[str]]) -> None:
    """Before any work: each varied name a declared option not also given a fixed value, at most MAX_CELLS cells."""
    theorem = get(theorem_name)
    declared = {o.name for o in theorem.options}
    if not axes:
        raise InputError("a grid needs at least one --vary NAME=VALUES, e.g. --vary layer=0..5")
    for name in axes:
        if name not in declared:
            raise InputError(f"--vary {name}: theorem {theorem_name} has no option {clip(name)}; it takes "
                             f"{', '.join(sorted(declared))}")
        if name in options:
            raise InputError(f"--{name.replace('_', '-')} is both varied and fixed; give it once")
    count = math.prod(len(values) for values in axes.values())
    if count > MAX_CELLS:
        raise InputError(f"the grid has {count} cells; at most {MAX_CELLS}: vary fewer values")


def validation_cells(axes: Mapping[str, Sequence[str]]) -> list[dict[str, str]]:
    """Every varied value once: the first cell, then each other value of each axis with the other axes at their
    first value (Σ (len − 1) + 1 cells, not the product)."""
    first = {name: values[0] for name, values in axes.items()}
    return [first] + [{**first, name: value} for name, values in axes.items() for value in values[1:]]


def refusal(theorem_name: str, options: Mapping[str, Any], cell: Mapping[str, str]) -> Optional[str]:
    """Why the theorem's ``parameters`` refuses the cell (the InputError's text, naming the cell), or None."""
    try:
        get(theorem_name).parameters(**options, **cell)
    except InputError as error:
        return f"cell {describe_cell(cell)}: {error}"
    return None


def validate(theorem_name: str, options: Mapping[str, Any], axes: Mapping[str, Sequence[str]],
             refusals: Optional[Callable[[list], list]] = None) -> None:
    """InputError with the first refusal among :func:`validation_cells`; ``refusals(cells)`` computes :func:`refusal`
    of each (default: here, one after another; :func:`run_grid` runs them on its workers)."""
    items = validation_cells(axes)
    found = [r for r in (refusals(items) if refusals else [refusal(theorem_name, options, c) for c in items]) if r]
    if found:
        raise InputError(found[0])


def describe_cell(cell: Mapping[str, str]) -> str:
    """'layer=0, head=3'."""
    return ", ".join(f"{k}={v}" for k, v in cell.items())


def scalar_facts(facts: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """The scalar facts (numbers, strings, booleans, None) by name, a nested record's by dotted path."""
    out: dict[str, Any] = {}
    for key, value in facts.items():
        if isinstance(value, Mapping):
            out.update(scalar_facts(value, f"{prefix}{key}."))
        elif value is None or isinstance(value, (int, float, str, bool)):
            out[f"{prefix}{key}"] = value
    return out


def grid_cell(theorem_name: str, options: Mapping[str, Any], cell: Mapping[str, str]) -> tuple[dict, float]:
    """One cell's row (module docstring) and its wall time."""
    from .run import run  # run imports the registry; keep the module import light for workers

    start = time.perf_counter()
    try:
        result = run(theorem_name, {**options, **cell})
    except InputError as error:
        row = {"cell": dict(cell), "verdict": NOT_BUILT, "evidence": None, "reason": str(error).splitlines()[0][:300],
               "claims": [], "framework_errors": [], "facts": {}}
        return row, time.perf_counter() - start
    claims = [{"id": c.id, "verdict": c.verdict.value, "evidence": c.evidence.value, "value": c.value, "bound": c.bound}
              for c in result.claims]
    row = {"cell": dict(cell), "verdict": result.verdict.value, "evidence": result.evidence.value, "reason": None,
           "claims": claims, "framework_errors": list(result.framework_errors), "facts": scalar_facts(result.facts)}
    return row, time.perf_counter() - start


def row_verdict(row: Mapping[str, Any]) -> Verdict:
    """A row's verdict; NOT BUILT counts as FAIL."""
    return Verdict.FAIL if row["verdict"] == NOT_BUILT else Verdict(row["verdict"])


def check_fact_names(theorem_name: str, columns: Sequence[str], map_fact: Optional[str]) -> None:
    """Before any work: every requested column and the map fact is a fact the theorem labels (``fact_labels``: a
    top-level name, or a dotted path under one); InputError listing them otherwise."""
    labelled = get(theorem_name).fact_labels
    for name in [*columns, *([map_fact] if map_fact else [])]:
        if name not in labelled and name.split(".")[0] not in labelled:
            raise InputError(f"--columns/--map {clip(name)}: theorem {theorem_name} reports no such fact; its facts: "
                             f"{', '.join(k for k in labelled if '.' not in k)}")


def default_columns(theorem_name: str, rows: Sequence[Mapping[str, Any]], axes: Sequence[str]) -> list[str]:
    """The theorem's labelled facts (``fact_labels`` order) that some row holds as a scalar, the varied options
    excluded."""
    present = {key for row in rows for key in row["facts"]}
    return [key for key in get(theorem_name).fact_labels if key in present and key not in axes]


@dataclass
class GridResult:
    theorem: str
    options: dict
    axes: dict
    rows: list
    columns: list
    map_fact: Optional[str]
    complete: bool
    workers: str
    wall_time_s: float
    row_wall_times: dict  # describe_cell → seconds (kept out of the rows, which must not depend on where they ran)
    command: Optional[str] = None

    @property
    def verdict(self) -> Verdict:
        return Verdict.combine(row_verdict(r) for r in self.rows)

    def to_json(self) -> dict:
        from .run import environment

        return {"kind": "grid", "theorem": self.theorem, "options": self.options, "axes": self.axes, "rows": self.rows,
                "columns": self.columns, "map_fact": self.map_fact, "complete": self.complete, "workers": self.workers,
                "command": self.command, "environment": environment(), "wall_time_s": round(self.wall_time_s, 3),
                "row_wall_times_s": {k: round(v, 3) for k, v in self.row_wall_times.items()}}


def run_grid(theorem_name: str, options: Mapping[str, Any], axes: Mapping[str, Sequence[str]], workers: int = 1,
             scheduler: Optional[str] = None, progress: bool = True, command: Optional[str] = None,
             columns: Optional[Sequence[str]] = None, map_fact: Optional[str] = None) -> GridResult:
    """Check every cell on Dask (``scheduler`` address, else a LocalCluster of ``workers`` processes), rows in cell
    order. Ctrl-C cancels the outstanding cells and returns the rows finished so far (``complete`` false). Progress on
    stderr (:mod:`verifier.progress`): a live bar on a terminal, else one line per finished cell."""
    from .sweep import collect, dask_client

    start = time.perf_counter()
    check_grid_options(theorem_name, options, axes)
    grid = cells(axes)
    found: dict[int, dict] = {}
    times: dict[str, float] = {}

    def finished(future, result) -> str:
        row, seconds = result
        found[futures[future]], times[describe_cell(row["cell"])] = row, seconds
        extra = f" ({row['evidence']})" if row["evidence"] else f": {row['reason']}"
        return f"{describe_cell(row['cell'])}: {row['verdict']}{extra} in {seconds:.1f} s"

    with dask_client(workers, scheduler) as (client, where):
        validate(theorem_name, options, axes, lambda items: client.gather(client.map(
            refusal, [theorem_name] * len(items), [dict(options)] * len(items), items, pure=False)))
        futures = {client.submit(grid_cell, theorem_name, dict(options), cell, pure=False,
                                 key=f"grid-{theorem_name}-{k}-{time.time_ns()}"): k for k, cell in enumerate(grid)}
        complete = collect(client, list(futures), f"grid {theorem_name}", progress, finished)
    rows = [found[k] for k in sorted(found)]
    shown = list(columns) if columns else default_columns(theorem_name, rows, list(axes))
    chosen_map = map_fact or (shown[0] if shown and len(axes) == 2 else None)
    return GridResult(theorem_name, dict(options), {k: list(v) for k, v in axes.items()}, rows, shown, chosen_map,
                      complete, where, time.perf_counter() - start, times, command)


def table_rows(axes: Sequence[str], columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """The grid as table rows: the cell's values, the columns' facts (None where absent), the verdict (with its
    evidence, or NOT BUILT's reason)."""
    out = []
    for row in rows:
        verdict = f"{row['verdict']} ({row['evidence']})" if row["evidence"] else f"{row['verdict']}: {row['reason']}"
        out.append([row["cell"][a] for a in axes] + [row["facts"].get(c) for c in columns] + [verdict])
    return out


def heat_map(data: Mapping[str, Any]) -> Optional[dict]:
    """The heat map of a two-axis grid (a ``map`` figure of verifier.report.plots, from a GridResult's JSON): rows
    the first axis' values, columns the second's, colour the ``map_fact`` (blank where a row lacks it; the scale from
    0 when no value is negative), each cell
    marked with its verdict (✓ PASS, ✗ FAIL or NOT BUILT, ? INCONCLUSIVE). None for another number of axes or
    without a map fact."""
    axes, fact = list(data["axes"]), data.get("map_fact")
    if len(axes) != 2 or not fact:
        return None
    ys, xs = data["axes"][axes[0]], data["axes"][axes[1]]
    by_cell = {(r["cell"][axes[0]], r["cell"][axes[1]]): r for r in data["rows"]}
    marks = {Verdict.PASS: "✓", Verdict.FAIL: "✗", Verdict.INCONCLUSIVE: "?"}
    z, text = [], []
    for y in ys:
        rows = [by_cell.get((y, x)) for x in xs]
        z.append([_number_or_nan(r["facts"].get(fact)) if r else float("nan") for r in rows])
        text.append([marks[row_verdict(r)] if r else "" for r in rows])
    label = get(data["theorem"]).fact_labels.get(fact, fact)
    values = [v for row in z for v in row if math.isfinite(v)]
    scale = {"z_min": 0.0} if values and min(values) >= 0 else {}  # errors and ratios from 0: equal values look equal
    return {**scale, "id": f"grid-{fact.replace('.', '-')}", "kind": "map", "title": f"{data['theorem']}: {label} by "
            f"{axes[0]} and {axes[1]}", "caption": "cell marks: ✓ PASS, ✗ FAIL or not built, ? INCONCLUSIVE; blank: "
            "no value", "x": {"label": axes[1], "values": [_number_or_index(v, k) for k, v in enumerate(xs)]},
            "y": {"label": axes[0], "values": [_number_or_index(v, k) for k, v in enumerate(ys)]},
            "z": z, "z_label": label, "cell_text": text}


def _number_or_nan(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else float("nan")


def _number_or_index(value: str, k: int) -> float:
    try:
        return float(value)
    except ValueError:
        return float(k)
