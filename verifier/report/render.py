"""Render TheoremResults for the terminal: a table of one run, and a one-line summary of many."""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from ..inputs import clip
from ..claims import ClaimResult, Evidence, Verdict
from ..run import TheoremResult
from ..theorem import get
from .format import claim_number, number as _number



def _counts(claims: Iterable[ClaimResult]) -> str:
    counts = Counter(c.verdict.value for c in claims)
    return ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict if counts[v.value])


def verdict_label(result: TheoremResult) -> str:
    """'PASS (certified)', 'PASS (sampled — not a proof)', or the bare FAIL / INCONCLUSIVE."""
    return f"PASS ({result.evidence.label})" if result.verdict is Verdict.PASS else result.verdict.value


def render_table(result: TheoremResult) -> str:
    """A plain-text table of every claim, the key facts (those its theorem labels, in its ``fact_labels`` order)
    and the sup error, for the terminal."""
    p = result.parameters
    lines = [f"{result.theorem}: " + ", ".join(f"{k}={clip(v, 80, quoted=False)}" for k, v in p.items() if v is not None)]
    labels = get(result.theorem).fact_labels
    facts = [f"{label} = {_number(result.facts[key])}" for key, label in labels.items()
             if key in result.facts and not isinstance(result.facts[key], (dict, list))]
    if facts:
        lines.append("  " + "; ".join(facts))
    width = max((len(c.id) for c in result.claims), default=len("claim"))
    lines.append(f"  {'claim'.ljust(width)}  {'verdict':<12}  {'evidence':<9}  {'value':>16}  {'bound':>16}")
    for c in result.claims:
        record = c.to_json()
        lines.append(f"  {c.id.ljust(width)}  {c.verdict.value:<12}  {c.evidence.value:<9}  {claim_number(record, 'value'):>16}  "
                     f"{claim_number(record, 'bound'):>16}")
        if c.verdict is not Verdict.PASS and c.witness is not None:
            lines.append(f"  {''.ljust(width)}  witness x = {[round(w, 12) for w in c.witness]}")
        if c.detail:
            lines.append(f"  {''.ljust(width)}  {c.detail}")
    if "sup_error" in result.facts:
        s = result.facts["sup_error"]
        lines.append(f"  sup error {s['value_decimal']} at x = {[round(a, 12) for a in s['argmax']]}")
        lines.append(f"    ({s['method']}; {s['points']} points; {s['dps']} digits, checked at {s['verify_dps']})")
    if result.framework_errors:
        lines.append("  !!! FRAMEWORK ERROR: two independent computations disagree; the verdict is not trustworthy !!!")
    undecided = [c.id for c in result.claims if c.verdict is Verdict.INCONCLUSIVE]
    for why in ("required_evidence", "unproven_hypotheses"):  # why the verdict is INCONCLUSIVE (verifier.run)
        if why in result.facts:
            lines.append(f"  INCONCLUSIVE: {result.facts[why]}")
    if undecided:
        lines.append(f"  INCONCLUSIVE: {', '.join(undecided)} could not be decided; the note under each says why and what to change")
    lines.append(f"VERDICT: {verdict_label(result)} ({len(result.claims)} claims: {_counts(result.claims)}); "
                 f"wall time {result.wall_time_s:.1f} s")
    return "\n".join(lines)


def summary_line(results: Sequence[TheoremResult]) -> str:
    """'4 instances: 4 PASS' style one-line summary of verdict counts."""
    counts = Counter(r.verdict.value for r in results)
    noun = "instance" if len(results) == 1 else "instances"
    evidence = Counter(r.evidence.value for r in results if r.verdict is Verdict.PASS)
    line = f"{len(results)} {noun}: " + ", ".join(f"{counts[v.value]} {v.value}" for v in Verdict)
    return line + (" (PASS evidence: " + ", ".join(f"{evidence[e.value]} {e.value}" for e in Evidence if evidence[e.value]) + ")"
                   if evidence else "")
