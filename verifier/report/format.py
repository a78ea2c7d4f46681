"""How values read in every report format: numbers, facts (flat rows and tables), claim margins."""
from __future__ import annotations

from typing import Any, Mapping, Optional

def number(value: Any) -> str:
    """'—' for None; scientific notation for floats below 1e-3 or from 1e5 on; 12 significant digits otherwise."""
    if value is None:
        return "—"
    if isinstance(value, float) and value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.6e}"
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def effort(claim: Mapping[str, Any]) -> str:
    """What a claim's evidence cost: '20966 points; 488 cells; 1.25 s' ('—' for a claim decided without sampling
    or branch and bound, e.g. an exact one, or one not timed separately)."""
    parts = [f"{claim[key]} {key}" for key in ("points", "cells") if claim.get(key) is not None]
    if claim.get("seconds") is not None:
        parts.append(f"{claim['seconds']:.3g} s")
    return "; ".join(parts) or "—"


def is_table(value: Any) -> bool:
    """A fact that is a non-empty list of records (e.g. a depth table, a sweep, the layers of a network) reads as
    a table whose columns are the records' keys."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def fact_rows(facts: Mapping[str, Any], labels: Optional[Mapping[str, str]] = None) -> list[tuple[str, str]]:
    """(label, value) rows of the facts that are not tables, labelled by ``labels`` (the instance's theorem's
    ``fact_labels``) where it has one, else by the fact's name; a nested record becomes 'name.key' rows."""
    labels, rows = labels or {}, []
    for name, value in facts.items():
        if is_table(value):
            continue
        if isinstance(value, Mapping):
            rows += [(f"{name}.{k}", number(v)) for k, v in value.items()]
        else:
            rows.append((labels.get(name, name), number(value)))
    return rows


def fact_tables(facts: Mapping[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(name, columns, rows) for every fact that is a table; the columns are all keys in order of appearance,
    a record without a key shows '—' there."""
    tables = []
    for name, value in facts.items():
        if is_table(value):
            columns = list(dict.fromkeys(k for record in value for k in record))
            tables.append((name, columns, [[number(record.get(k)) for k in columns] for record in value]))
    return tables


def paper_claims(doc: Mapping) -> list[tuple[str, list[str], list[tuple[str, str, str, str]]]]:
    """For every paper claim (P1, P2, …) some theorem realises: (claim, the theorems, and the checked claims
    whose id starts with it as (instance, claim id, verdict, evidence))."""
    found: dict[str, tuple[list, list]] = {}
    for theorem in doc["theorems"]:
        for p in theorem["realises"]:
            theorems, checked = found.setdefault(p, ([], []))
            theorems.append(theorem["name"])
            checked += [(i["name"], c["id"], c["verdict"], c["evidence"]) for i in theorem["instances"] for c in i["claims"]
                        if c["id"].split(".")[0] == p]
    return [(p, theorems, checked) for p, (theorems, checked) in sorted(found.items())]
