"""How values read in every report format: numbers, facts (labelled rows and tables), claim effort.

One number format everywhere (:func:`number`): SIGNIFICANT_DIGITS significant digits, fixed-point for
10⁻³ ≤ |x| < 10⁵, scientific (``5.23209e-27267``) otherwise; integers in full. A claim's value, bound and margin
are printed from their decimal texts when report.json has them (``value_text``: the mpmath or exact number,
whose float64 may have underflowed to 0), else from the float. Facts are labelled by their theorem's
``fact_labels`` (dotted paths for keys of nested records and columns of tables) with its ``fact_units``; no
Python or JSON syntax reaches the page: yes/no for booleans, (a, b, c) for vectors, '—' for none.
"""
from __future__ import annotations

import numbers
import re
from typing import Any, Mapping, Optional

import mpmath

SIGNIFICANT_DIGITS = 6
_DECIMAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?", re.IGNORECASE)  # a decimal literal, e.g. a value_text


def number(value: Any) -> str:
    """'—' for None, 'yes'/'no' for booleans, integers in full, other numbers (float, mpmath, a decimal string such as
    a claim's value_text) to SIGNIFICANT_DIGITS digits, scientific below 10⁻³ and from 10⁵ on; other text as itself."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, str) and not _DECIMAL.fullmatch(value.strip()):
        return value
    if isinstance(value, (Mapping, list, tuple)):
        return fact_value(value)
    text = mpmath.nstr(mpmath.mpf(value.strip() if isinstance(value, str) else value), SIGNIFICANT_DIGITS,
                       min_fixed=-4, max_fixed=5)
    return re.sub(r"\.0(?=e|$)", "", text)  # 228.0 → 228, 1.0e+5 → 1e+5


PARAMETER_LABELS = {"eps": "ε", "eps_exact": "ε (exact)", "d": "output dimension d", "dps": "working digits",
                    "verify_dps": "check digits", "evidence_mode": "--evidence", "lipschitz": "L (--lipschitz)",
                    "bound": "B (--bound)", "dim": "sphere dimension m (--dim)"}


def parameter_label(key: str) -> str:
    """How a run parameter reads in a report: the shared ones by name (ε, L, B, digits), any other as the option flag
    the user types ('cert_cells' → '--cert-cells')."""
    return PARAMETER_LABELS.get(key, "--" + key.replace("_", "-"))


def claim_number(claim: Mapping[str, Any], key: str) -> str:
    """A claim's ``value``, ``bound`` or ``margin`` as :func:`number` prints it, from its decimal text when it has one."""
    text = claim.get(f"{key}_text")
    return number(text if text is not None else claim.get(key))


def fact_value(value: Any, unit: str = "") -> str:
    """A fact's value as text: a number (:func:`number`), a vector as (a, b, c), a record as 'key: value; …', followed
    by its unit."""
    if isinstance(value, (list, tuple)):
        text = "(" + ", ".join(_plain(v) for v in value) + ")"
    else:
        text = _plain(value)
    return f"{text} {unit}" if unit and value is not None else text


def _plain(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_plain(v) for v in value) + ")"
    if isinstance(value, Mapping):
        return "; ".join(f"{readable(k)}: {_plain(v)}" for k, v in value.items())
    return number(value)


def readable(key: str) -> str:
    """The fallback label of a fact without one: its key with '_' as spaces ('verify_dps' → 'verify dps')."""
    return str(key).replace("_", " ")


def is_table(value: Any) -> bool:
    """A fact that is a non-empty list of records (e.g. a depth table, a sweep, the layers of a network) reads as
    a table whose columns are the records' keys."""
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _label(path: str, labels: Mapping[str, str]) -> str:
    return labels.get(path) or readable(path.rsplit(".", 1)[-1])


def fact_rows(facts: Mapping[str, Any], labels: Optional[Mapping[str, str]] = None,
              units: Optional[Mapping[str, str]] = None) -> list[tuple[str, str]]:
    """(label, value) rows of the facts that are not tables, labelled by ``labels`` (the theorem's ``fact_labels``:
    a fact's name or the dotted path of a nested key, e.g. 'sup_error.argmax') and followed by their ``units``; a
    fact without a label reads as its key with spaces. A nested record's rows read 'record › key'."""
    labels, units, rows = labels or {}, units or {}, []

    def walk(path: str, item: Any, prefix: str) -> None:
        label = prefix + _label(path, labels)
        if isinstance(item, Mapping) and item:
            for k, v in item.items():
                walk(f"{path}.{k}", v, label + " › ")
        elif not is_table(item):
            rows.append((label, fact_value(item, units.get(path, ""))))

    for name, item in facts.items():
        if not is_table(item):
            walk(name, item, "")
    return rows


def fact_tables(facts: Mapping[str, Any], labels: Optional[Mapping[str, str]] = None,
                units: Optional[Mapping[str, str]] = None) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, columns, rows) for every fact that is a table: its label, its columns' labels ('name.column' in
    ``labels``, with the unit in parentheses) in order of appearance, a record without a key shows '—' there."""
    labels, units, tables = labels or {}, units or {}, []
    for name, item in facts.items():
        if is_table(item):
            keys = list(dict.fromkeys(k for record in item for k in record))
            columns = [_label(f"{name}.{k}", labels) + (f" ({units[f'{name}.{k}']})" if units.get(f"{name}.{k}") else "")
                       for k in keys]
            tables.append((_label(name, labels), columns, [[fact_value(record.get(k)) for k in keys] for record in item]))
    return tables


def unlabelled(facts: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """The paths of ``facts`` that ``labels`` does not label: every fact, every key of a nested record and every column
    of a table (what a theorem's ``fact_labels`` must cover)."""
    missing = []

    def walk(path: str, item: Any) -> None:
        if path not in labels:
            missing.append(path)
        if isinstance(item, Mapping):
            for k, v in item.items():
                walk(f"{path}.{k}", v)
        elif is_table(item):
            missing.extend(p for p in dict.fromkeys(f"{path}.{k}" for record in item for k in record) if p not in labels)

    for name, item in facts.items():
        walk(name, item)
    return missing


def effort(claim: Mapping[str, Any], facts: Optional[Mapping[str, Any]] = None) -> str:
    """What a claim's evidence rests on: '20966 points; 488 cells; 1.25 s' when it has its own counts; 'exact (no
    sampling)'; 'ball arithmetic (no sampled points)' for a certified claim without counts (exact numbers, or given
    instances enclosed in arb); for a sampled claim whose method is the instance's sup search
    (``facts['sup_error']['method']``), 'shares the sup search: N points'; else 'no point count recorded' (its method
    says what was computed)."""
    parts = [f"{claim[key]} {key}" for key in ("points", "cells") if claim.get(key) is not None]
    if claim.get("seconds") is not None:
        parts.append(f"{number(claim['seconds'])} s")
    if parts:
        return "; ".join(parts)
    if claim.get("evidence") == "exact":
        return "exact (no sampling)"
    if claim.get("evidence") == "certified":
        return "ball arithmetic (no sampled points)"
    sup = (facts or {}).get("sup_error")
    if isinstance(sup, Mapping) and sup.get("method") and claim.get("method", "").startswith(sup["method"]):
        return f"shares the sup search: {sup['points']} points"
    return "no point count recorded (see how it was checked)"


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
