"""Render TheoremResults: a terminal table, a Markdown document, report.json, and a one-line summary."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterable, Sequence

from ..claims import ClaimResult, Evidence, Kind, Verdict
from ..run import TheoremResult

FACT_LABELS = (("prefix_length", "prefix length N"), ("prefix_length_bound", "bound 2(m+1)(n+1)^m"),
               ("n", "grid cells n"), ("lambda", "λ"), ("beta", "β"), ("r", "r = ε/(2L)"), ("delta", "δ = r/√2"))


def _number(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.6e}"
    return f"{value:.12g}" if isinstance(value, float) else str(value)


def _counts(claims: Iterable[ClaimResult]) -> str:
    counts = Counter(c.verdict.value for c in claims)
    return ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict if counts[v.value])


def verdict_label(result: TheoremResult) -> str:
    """'PASS (certified)', 'PASS (sampled — not a proof)', or the bare FAIL / INCONCLUSIVE."""
    return f"PASS ({result.evidence.label})" if result.verdict is Verdict.PASS else result.verdict.value


def render_table(result: TheoremResult) -> str:
    """A plain-text table of every claim, the key facts and the sup error, for the terminal."""
    p = result.parameters
    lines = [f"{result.theorem}: " + ", ".join(f"{k}={v}" for k, v in p.items() if v is not None)]
    facts = [f"{label} = {_number(result.facts[key])}" for key, label in FACT_LABELS if key in result.facts]
    if facts:
        lines.append("  " + "; ".join(facts))
    width = max((len(c.id) for c in result.claims), default=len("claim"))
    lines.append(f"  {'claim'.ljust(width)}  {'verdict':<12}  {'evidence':<9}  {'value':>16}  {'bound':>16}")
    for c in result.claims:
        lines.append(f"  {c.id.ljust(width)}  {c.verdict.value:<12}  {c.evidence.value:<9}  {_number(c.value):>16}  "
                     f"{_number(c.bound):>16}")
        if c.verdict is not Verdict.PASS and c.witness is not None:
            lines.append(f"  {''.ljust(width)}  witness x = {[round(w, 12) for w in c.witness]}")
        if c.detail:
            lines.append(f"  {''.ljust(width)}  {c.detail}")
    if "sup_error" in result.facts:
        s = result.facts["sup_error"]
        lines.append(f"  sup error {s['value_decimal']} at x = {[round(a, 12) for a in s['argmax']]}")
        lines.append(f"    ({s['method']}; {s['points']} points; {s['dps']} digits, checked at {s['verify_dps']})")
    if any(c.kind is Kind.FRAMEWORK and c.verdict is Verdict.FAIL for c in result.claims):
        lines.append("  !!! FRAMEWORK ERROR: two independent computations disagree; the verdict is not trustworthy !!!")
    undecided = [c.id for c in result.claims if c.verdict is Verdict.INCONCLUSIVE]
    if undecided:
        lines.append(f"  INCONCLUSIVE: {', '.join(undecided)} could not be decided; the note under each says why and what to change")
    lines.append(f"VERDICT: {verdict_label(result)} ({len(result.claims)} claims: {_counts(result.claims)}); "
                 f"wall time {result.wall_time_s:.1f} s")
    return "\n".join(lines)


def render_markdown(result: TheoremResult, name: str) -> str:
    """A Markdown report of one theorem instance: verdict, parameters, facts, every claim with its method."""
    out = [f"# {name}: {verdict_label(result)}", "",
           f"Theorem `{result.theorem}`. Claims: {_counts(result.claims)}. Wall time {result.wall_time_s:.1f} s.", ""]
    out += ["## Parameters", "", "| parameter | value |", "|---|---|"]
    out += [f"| {k} | `{v}` |" for k, v in result.parameters.items()]
    out += ["", "## Construction", "", "| quantity | value |", "|---|---|"]
    out += [f"| {label} | {_number(result.facts[key])} |" for key, label in FACT_LABELS if key in result.facts]
    if "sup_error" in result.facts:
        s = result.facts["sup_error"]
        out += ["", "## Sup error", "",
                f"sup ‖H − f‖ = **{s['value_decimal']}** at x = `{s['argmax']}`  ",
                f"method: {s['method']}; {s['points']} points; {s['dps']} digits, agreement with {s['verify_dps']} digits: "
                f"{s['precision_agrees']}; float64 agrees: {s['float64_agrees']}"]
    out += ["", "## Claims", "", "| id | kind | verdict | evidence | value | bound | statement |", "|---|---|---|---|---|---|---|"]
    for c in result.claims:
        out.append(f"| `{c.id}` | {c.kind.value} | **{c.verdict.value}** | {c.evidence.value} | {_number(c.value)} | "
                   f"{_number(c.bound)} | {c.statement} |")
    out += ["", "### How each claim was checked", ""]
    for c in result.claims:
        extra = f" Witness x = `{list(c.witness)}`." if c.witness is not None else ""
        note = f" **{c.detail}**" if c.detail else ""
        out.append(f"- `{c.id}`: {c.method}.{extra}{note}")
    env = result.environment
    out += ["", "## Environment", "", f"Python {env['python']} on {env['platform']}; "
            + ", ".join(f"{k} {v}" for k, v in env["packages"].items()), ""]
    if result.command:
        out += [f"Command: `{result.command}`", ""]
    return "\n".join(out)


def write_report(result: TheoremResult, name: str, out_dir: Path) -> Path:
    """Write ``out_dir/name/report.md`` and ``report.json``; returns the folder."""
    folder = Path(out_dir) / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n")
    (folder / "report.md").write_text(render_markdown(result, name))
    return folder


def summary_line(results: Sequence[TheoremResult]) -> str:
    """'4 instances: 4 PASS' style one-line summary of verdict counts."""
    counts = Counter(r.verdict.value for r in results)
    noun = "instance" if len(results) == 1 else "instances"
    evidence = Counter(r.evidence.value for r in results if r.verdict is Verdict.PASS)
    line = f"{len(results)} {noun}: " + ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict)
    return line + (" (PASS evidence: " + ", ".join(f"{evidence[e.value]} {e.value}" for e in Evidence if evidence[e.value]) + ")"
                   if evidence else "")
