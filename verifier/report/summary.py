"""The summary a reviewer reads first, computed from the report data (``doc``, as document.build returns it).

Per instance: its verdict and evidence, its claims grouped by proof step, and the claim with the smallest
margin. A claim's group comes from its kind and id (as the theorems name them, e.g. T.step3.far, T.sup, P1.via-T):

    kind hypothesis → hypotheses;  kind framework → framework;  kind paper → paper claims;
    an id ending in '.sup' → sup (end to end);  an id with a segment 'stepN' → step N;  otherwise → other claims.

A group's verdict is Verdict.combine of its claims' and its evidence the weakest of theirs. The margin of a claim
is bound − value (document.claim_record), relative = margin / |bound| where the bound is not 0. The smallest
margin is the one with the smallest relative margin (the absolute one where the bound is 0) among the claims
decided numerically — certified or sampled — and the claims that did not pass. Not chosen: an exact PASS (proved,
so a zero margin there, a budget spent exactly by construction, is no risk) and a PASS whose value equals its bound
(an equality check such as ∫ K dσ = 1, where bound − value is not a distance to failure).

Per theorem, "What a PASS proves, and what it does not" is read from its docs page: the section after the anchor
``<a id="NAME-scope"></a>`` up to the next heading (one source, docs/*.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..claims import Evidence, Verdict
from . import docs_links
from .plots import matrix_svg

GROUPS = {"hypotheses": ("hypotheses", "hypotheses"), "framework": ("framework", "framework"),
          "other": ("other claims", "other"), "sup": ("sup (end to end)", "sup"), "paper": ("paper claims", "paper")}
_KIND_GROUP = {"hypothesis": "hypotheses", "framework": "framework", "paper": "paper"}
_STEP = re.compile(r"step(\d+)")
STATUS_LABELS = {"PASS-exact": "PASS, exact", "PASS-certified": "PASS, certified", "PASS-sampled": "PASS, sampled",
                 "INCONCLUSIVE": "INCONCLUSIVE", "FAIL": "FAIL"}


def group_key(claim: Mapping[str, Any]) -> str:
    """'hypotheses', 'framework', 'paper', 'sup', 'step-N' or 'other' (see the module docstring)."""
    if claim["kind"] in _KIND_GROUP:
        return _KIND_GROUP[claim["kind"]]
    parts = claim["id"].split(".")
    if parts[-1] == "sup":
        return "sup"
    steps = [int(m.group(1)) for p in parts[1:] if (m := _STEP.fullmatch(p))]
    return f"step-{steps[0]}" if steps else "other"


def _order(key: str) -> tuple:
    if key.startswith("step-"):
        return (3, int(key[5:]))
    return ({"hypotheses": 0, "framework": 1, "other": 2, "sup": 4, "paper": 5}[key], 0)


def group_label(key: str, short: bool = False) -> str:
    """'step 3', 'sup (end to end)', … (short: the figure's column label)."""
    if key.startswith("step-"):
        return f"step {key[5:]}"
    return GROUPS[key][1 if short else 0]


def status(verdict: str, evidence: str) -> str:
    """The colour class of a verdict: 'PASS-exact', 'PASS-certified', 'PASS-sampled', 'FAIL' or 'INCONCLUSIVE'."""
    return f"PASS-{evidence}" if verdict == Verdict.PASS.value else verdict


@dataclass(frozen=True)
class Group:
    """The claims of one instance in one group, with their combined verdict and weakest evidence."""

    key: str
    claims: tuple
    verdict: str
    evidence: str

    @property
    def label(self) -> str:
        return group_label(self.key)

    @property
    def status(self) -> str:
        return status(self.verdict, self.evidence)

    @property
    def open(self) -> bool:
        """Shown unfolded: the group holds a claim that did not pass."""
        return any(c["verdict"] != Verdict.PASS.value for c in self.claims)


@dataclass(frozen=True)
class Margin:
    """The smallest margin of an instance: the claim, bound − value, and margin / |bound| (None where the bound is 0)."""

    claim: str
    margin: float
    relative: Optional[float]
    verdict: str
    evidence: str


@dataclass(frozen=True)
class InstanceSummary:
    theorem: str
    name: str
    verdict: str
    evidence: str
    groups: tuple
    smallest: Optional[Margin]

    @property
    def claims(self) -> int:
        return sum(len(g.claims) for g in self.groups)

    @property
    def not_passed(self) -> dict:
        """FAIL and INCONCLUSIVE → how many claims (those present)."""
        counts = {v.value: sum(c["verdict"] == v.value for g in self.groups for c in g.claims) for v in Verdict}
        return {v: n for v, n in counts.items() if n and v != Verdict.PASS.value}


def groups(claims) -> tuple:
    """The claims by group, groups in the order hypotheses, framework, other, step 1, 2, …, sup, paper."""
    found: dict[str, list] = {}
    for c in claims:
        found.setdefault(group_key(c), []).append(c)
    return tuple(Group(key, tuple(cs), Verdict.combine(Verdict(c["verdict"]) for c in cs).value,
                       Evidence.weakest(Evidence(c["evidence"]) for c in cs).value)
                 for key, cs in sorted(found.items(), key=lambda item: _order(item[0])))


def smallest_margin(claims) -> Optional[Margin]:
    """The claim with the smallest margin among those decided numerically or not passed (module docstring)."""
    candidates = [Margin(c["id"], c["margin"], c["margin"] / abs(c["bound"]) if c["bound"] else None, c["verdict"], c["evidence"])
                  for c in claims if c["margin"] is not None and (c["verdict"] != Verdict.PASS.value or (
                      c["evidence"] != Evidence.EXACT.value and c["margin"] != 0))]
    return min(candidates, key=lambda m: m.margin if m.relative is None else m.relative, default=None)


def shown_verdict(verdict: str, claims) -> str:
    """A verdict as the summary shows it: combined with its claims' verdicts, so never PASS above a claim that did not
    pass (a report whose instance verdict disagrees with its claims is shown by the worse of the two)."""
    return Verdict.combine([Verdict(verdict)] + [Verdict(c["verdict"]) for c in claims]).value


def instances(doc: Mapping) -> list[InstanceSummary]:
    """One summary per instance, theorems and instances in the report's order."""
    return [InstanceSummary(t["name"], i["name"], shown_verdict(i["verdict"], i["claims"]), i["evidence"], groups(i["claims"]),
                            smallest_margin(i["claims"]))
            for t in doc["theorems"] for i in t["instances"]]


def overall(doc: Mapping) -> str:
    """The report's verdict as the summary shows it: never PASS above an instance or claim that did not pass."""
    return Verdict.combine([Verdict(doc["verdict"])] + [Verdict(s.verdict) for s in instances(doc)]).value


def columns(summaries) -> list[str]:
    """The group keys present in any instance, in group order: the figure's columns."""
    return sorted({g.key for s in summaries for g in s.groups}, key=_order)


def matrix(doc: Mapping) -> dict:
    """The summary figure's data: rows = instances, columns = groups, one cell per (instance, group) present, its
    status (colour class), claim count, link to the group and SVG id ``summary-{instance}-{group}``."""
    summaries = instances(doc)
    keys = columns(summaries)
    cells = [{"row": r, "column": keys.index(g.key), "status": g.status, "text": str(len(g.claims)),
              "link": f"#{s.name}-group-{g.key}", "id": f"summary-{s.name}-{g.key}"}
             for r, s in enumerate(summaries) for g in s.groups]
    return {"rows": [s.name for s in summaries], "columns": [group_label(k, short=True) for k in keys], "cells": cells,
            "legend": STATUS_LABELS}


def figure_svg(doc: Mapping) -> str:
    """The summary figure as an SVG document (deterministic: the same doc gives the same text)."""
    return matrix_svg(matrix(doc), salt="summary")


def scope(theorem: str) -> list[str]:
    """The paragraphs of the theorem's 'What a PASS proves, and what it does not' section in docs/ (none if its page
    has no ``NAME-scope`` anchor, or docs/ is not beside the package)."""
    anchor = f"{docs_links.slug(theorem)}-scope"
    page = docs_links.anchors().get(anchor)
    if page is None:
        return []
    lines = (docs_links.PROJECT_ROOT / page).read_text(encoding="utf-8").splitlines()
    start = next(k for k, line in enumerate(lines) if f'<a id="{anchor}"></a>' in line)
    body = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        body.append(line)
    return [" ".join(p.split()) for p in "\n".join(body).split("\n\n") if p.strip()]
