"""The report as plain data (what report.json holds and the HTML and Markdown render).

Each theorem's section comes from the theorem object (``statement``, ``realises``, ``fact_labels``,
``report_formulas()`` as sympy expressions, printed as MathML and LaTeX) and each instance's from its
TheoremResult (parameters, facts, claims) plus figure data (``report_figures(params)``, possibly none).
Per claim the document adds the margin ``bound − value`` (≥ 0 when the claim holds with room; as a decimal text
too where the value or bound has one, see ``ClaimResult.value_text``), the precision it was decided at, and the
link to its section in docs/. Facts are labelled by the theorem's ``fact_labels`` (and the core's RUN_LABELS, for
the facts verifier.run adds) with its ``fact_units``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import mpmath
import sympy
from sympy.printing.mathml import mathml

from ..claims import TEXT_DIGITS, ClaimResult, Evidence, Verdict, decimal_text
from ..run import TheoremResult
from ..theorem import RUN_LABELS, get
from . import docs_links
from .plots import summary
from .suite import Suite, SuiteEntry
from .grids import grid_record
from .studies import study_record
from .sweeps import sweep_record

SCHEMA_VERSION = 1
TIMING_KEYS = ("wall_time_s", "generated_at", "seconds")  # the only fields that differ between two runs of one configuration


@dataclass(frozen=True)
class InstanceRun:
    """One suite entry, its result, and its figure data (possibly none)."""

    entry: SuiteEntry
    result: TheoremResult
    figures: tuple[dict, ...]


def math(expr: sympy.Basic) -> dict:
    """A closed form as MathML (sympy's presentation printer, display block) and as LaTeX."""
    body = mathml(expr, printer="presentation")
    return {"mathml": f'<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">{body}</math>',
            "latex": sympy.latex(expr)}


def formulas(theorem) -> list[dict]:
    """The theorem's closed forms (its ``report_formulas()``, possibly none)."""
    return [{"label": label, **math(expr)} for label, expr in theorem.report_formulas()]


def _precision(result: TheoremResult, claim: ClaimResult) -> Optional[dict]:
    """The digits a non-exact claim was decided at (an exact claim needs none: its method says how)."""
    p = result.parameters
    if claim.evidence is Evidence.EXACT or "dps" not in p:
        return None
    return {"dps": p["dps"], "verify_dps": p.get("verify_dps")}


def margin_text(claim: ClaimResult) -> Optional[str]:
    """bound − value from the claim's decimal texts where it has them (floats elsewhere), in mpmath: two numbers below
    the float64 range (e^{−742} against e^{−67000}) have a margin that float64 would print as 0. None when a text is
    missing on both sides (the float margin is the number) or the claim has no numbers."""
    if claim.value is None or claim.bound is None or (claim.value_text is None and claim.bound_text is None):
        return None
    with mpmath.workdps(TEXT_DIGITS + 5):
        value, bound = (mpmath.mpf(text if text is not None else number)
                        for text, number in ((claim.value_text, claim.value), (claim.bound_text, claim.bound)))
        return decimal_text(bound - value)


def claim_record(result: TheoremResult, claim: ClaimResult) -> dict:
    """The claim as in ``ClaimResult.to_json`` plus its margin (float, and its decimal text from the value's and
    bound's texts), precision and docs link (its own section, else the theorem's)."""
    record = claim.to_json()
    has_numbers = claim.value is not None and claim.bound is not None
    record["margin"] = claim.bound - claim.value if has_numbers else None
    record["margin_text"] = margin_text(claim)
    record["precision"] = _precision(result, claim)
    record["docs"] = docs_links.link(claim.id) or docs_links.link(result.theorem)
    return record


def instance_record(run: InstanceRun) -> dict:
    result = run.result
    return {
        "name": run.entry.name,
        "options": dict(run.entry.options),
        "parameters": dict(result.parameters),
        "verdict": result.verdict.value,
        "evidence": result.evidence.value,
        "wall_time_s": round(result.wall_time_s, 3),
        "seed": result.parameters.get("seed"),
        "facts": dict(result.facts),
        "claims": [claim_record(result, c) for c in result.claims],
        "figures": [{**summary(f), "file": figure_file(run.entry.name, f)} for f in run.figures],
    }


def figure_file(instance: str, figure: dict) -> Optional[str]:
    """Where a drawn figure's SVG is written, relative to the report folder (tables are not drawn: None)."""
    return None if figure["kind"] == "table" else f"figures/{instance}-{figure['id']}.svg"


def _counts(items, key) -> dict:
    counts = Counter(key(i) for i in items)
    return {v.value: counts[v.value] for v in Verdict}


def build(runs: Sequence[InstanceRun], suite: Suite, name: str, command: str, generated_at: str, wall_time_s: float) -> dict:
    """The whole report as JSON-ready data (validated against report.schema.json before it is written)."""
    results = [r.result for r in runs]
    claims = [c for r in results for c in r.claims]
    theorems = []
    for theorem_name in dict.fromkeys(r.entry.theorem for r in runs):
        theorem = get(theorem_name)
        theorems.append({
            "name": theorem_name,
            "statement": theorem.statement,
            "realises": list(theorem.realises),
            "docs": docs_links.link(theorem_name),
            "formulas": formulas(theorem),
            "fact_labels": {**RUN_LABELS, **theorem.fact_labels},
            "fact_units": dict(theorem.fact_units),
            "instances": [instance_record(r) for r in runs if r.entry.theorem == theorem_name],
        })
    evidence = Counter(r.evidence.value for r in results if r.verdict is Verdict.PASS)
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "generated_at": generated_at,
        "command": command,
        "configuration": {"source": suite.source, "digest": suite.digest, "toml": suite.to_toml()},
        "verdict": Verdict.combine(r.verdict for r in results).value,
        "evidence": Evidence.weakest(r.evidence for r in results).value,
        "counts": {
            "instances": _counts(results, lambda r: r.verdict.value),
            "claims": _counts(claims, lambda c: c.verdict.value),
            "pass_evidence": {e.value: evidence[e.value] for e in Evidence},
        },
        "wall_time_s": round(wall_time_s, 3),
        "environment": dict(results[0].environment) if results else {},
        "theorems": theorems,
        "sweeps": [sweep_record(s) for s in suite.sweeps],
        "grids": [grid_record(g) for g in suite.grids],
        "studies": [study_record(s) for s in suite.studies],
    }


def without_timing(value: Any) -> Any:
    """``value`` with every timing/timestamp field (TIMING_KEYS) removed, recursively."""
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value
