"""report.md: the report for a pull request or an appendix (math as $…$, plots as SVG files beside it)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Mapping
from urllib.parse import quote

from .docs_links import relative

from .format import claim_number, effort, fact_rows, fact_tables, number, paper_claims, parameter_label
from .html import FIT_LABELS, verdict_label
from .summary import STATUS_LABELS, columns, group_label, groups, instances, overall, scope


_SPECIAL = re.compile(r"([\\`*_\[\]<>&#~$])")  # what Markdown (or the HTML inside it) would read as markup; | in _cell


def _text(value) -> str:
    """Text from a file or the command line shown as itself: every character Markdown or HTML would read as markup
    backslash-escaped (a name '<script>' or '**x**' stays text), newlines as spaces."""
    return _SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ").replace("\r", " ")


def _code(value) -> str:
    """``value`` as an inline code span, fenced by more backticks than it contains (a command with a ` in it)."""
    text = str(value).replace("\n", " ").replace("\r", " ")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[:1] in ("`", " ") or text[-1:] in ("`", " ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(text: str, language: str) -> list[str]:
    """A fenced code block of ``text``, its fence longer than any run of backticks inside."""
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return [fence + language, text, fence]


def _link(target: str) -> str:
    """A link destination: percent-encoded, so spaces, parentheses or brackets in a file name cannot end it."""
    return quote(target, safe="/#.-_~")


def _cell(text) -> str:
    """A table cell: | escaped (GitHub's tables split on it even inside code spans), newlines as spaces."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(columns, rows) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def _summary(doc: Mapping) -> list[str]:
    """The summary (summary.py) as tables: a row per instance with its smallest margin, the instances × proof-step
    groups matrix (verdict, evidence and claim count per cell), and per theorem what a PASS proves."""
    summaries = instances(doc)
    out = ["## Summary", ""] + _table(["theorem", "instance", "verdict", "claims", "smallest margin: claim, bound − value (relative)"], [
        (_text(s.theorem), _text(s.name), verdict_label(s.verdict, s.evidence),
         ", ".join([str(s.claims)] + [f"{n} {v}" for v, n in s.not_passed.items()]),
         f"{_code(s.smallest.claim)} {number(s.smallest.margin)}"
         + (f" ({number(s.smallest.relative)})" if s.smallest.relative is not None else "") + f", {s.smallest.evidence}"
         + (f" **{s.smallest.verdict}**" if s.smallest.verdict != "PASS" else "") if s.smallest else "—")
        for s in summaries]) + [""]
    keys = columns(summaries)
    out += ["Claims by proof step (verdict, weakest evidence, number of claims):", ""]
    out += _table(["instance"] + [group_label(k, short=True) for k in keys], [
        [_text(s.name)] + [next((f"{STATUS_LABELS[g.status]} ({len(g.claims)})" for g in s.groups if g.key == k), "—") for k in keys]
        for s in summaries]) + [""]
    out += ["## What a PASS proves, and what it does not", "",
            "Evidence: *exact* = symbolic or integer arithmetic; *certified* = a proof over the whole domain by ball arithmetic "
            "(arb); *sampled* = held at every point examined, a lower estimate of the sup found by search, not a proof.", ""]
    for t in doc["theorems"]:
        out += [f"### {_text(t['name'])}", ""] + [line for p in scope(t["name"]) for line in (_text(p), "")]
    return out


def _grids(doc: Mapping) -> list[str]:
    """The audits (``verifier grid`` results): per grid its counts, command, heat map and a row per cell."""
    out = ["## Audits", "", "Each cell is the theorem's own instance, decided by its claims as `verifier check` decides "
           "them; a cell that could not be built is reported (NOT BUILT) and counts as a FAIL.", ""] if doc.get("grids") else []
    for g in doc.get("grids", []):
        axes = list(g["axes"])
        out += [f"### {_text(g['theorem'])}: {_text(' × '.join(axes))} ({_text(g['source'])}): {g['verdict']}", "",
                f"{len(g['rows'])} cells: " + ", ".join(f"{n} {v}" for v, n in g["counts"].items()) + "."
                + (f" Made by {_code(g['command'])}." if g["command"] else ""), ""]
        if g["figure_file"]:
            out += [f"![{_text(g['name'])}]({_link(g['figure_file'])})", ""]
        out += _table([_text(a) for a in axes] + [_text(c) for c in g["column_labels"]] + ["verdict"], [
            [_text(r["cell"][a]) for a in axes] + [number(r["facts"][c]) for c in g["columns"]]
            + [(verdict_label(r["verdict"], r["evidence"]) if r["evidence"] else r["verdict"])
               + (f": {_text(r['reason'])}" if r["reason"] else "")] for r in g["rows"]]) + [""]
    return out


def _studies(doc: Mapping, folder) -> list[str]:
    """The studies (``verifier study`` results): per study its statement, verdict, command and run, its table (the
    study's own Markdown, as the study wrote it) and its figures."""
    out = ["## Studies", "", "Each study's table and figures are its own, drawn from its stored result; a study is shown "
           "as it was decided and does not change the report's verdict.", ""] if doc.get("studies") else []
    for s in doc.get("studies", []):
        run = ([f"Made by {_code(s['command'])}"] if s["command"] else []) + (
            [f"in {number(s['wall_time_s'])} s"] if s["wall_time_s"] is not None else []) + (
            [f"on {_text(s['workers'])}"] if s["workers"] else [])
        docs = f" What it counts and how: [{_text(s['docs'])}]({_link(relative(s['docs'], folder))})." if s["docs"] else ""
        out += [f"### {_text(s['study'])} ({_text(s['source'])}): {s['verdict']}", "", _text(s["statement"]) + docs, ""]
        out += [" ".join(run) + ".", ""] if run else []
        out += [s["table"].rstrip(), ""]
        for f in s["figures"]:
            out += [f"![{_text(f['title'])}]({_link(f['file'])})", "", f"*{_text(f['title'])}*"
                    + (f": {_text(f['caption'])}" if f["caption"] else ""), ""]
    return out


def render_markdown(doc: Mapping, folder: Path) -> str:
    """The Markdown document of report data ``doc``; links to docs/ are made relative to ``folder``. Text that comes
    from files or the command line (names, commands, targets, sweep files) is escaped (:func:`_text`, :func:`_code`)."""
    counts = doc["counts"]
    out = [f"# prefix-verifier report {_code(doc['name'])}: {verdict_label(overall(doc), doc['evidence'])}", "",
           f"Instances: {', '.join(f'{n} {v}' for v, n in counts['instances'].items())}; claims: "
           f"{', '.join(f'{n} {v}' for v, n in counts['claims'].items())}. Generated {doc['generated_at']} in "
           f"{number(doc['wall_time_s'])} s. Reproduce with {_code(doc['command'])}.", ""]
    out += _summary(doc)
    out += ["## The paper's claims", "", "Each is checked through the explicit theorems that realise it.", ""]
    out += _table(["claim", "realised by", "checked as"], [
        (_text(p), _text(", ".join(theorems)),
         "; ".join(f"{_text(i)}: {_code(cid)} **{v}** ({e})" for i, cid, v, e in checked) or "—")
        for p, theorems, checked in paper_claims(doc)]) + [""]
    for t in doc["theorems"]:
        out += [f"## {_text(t['name'])}", "", _text(t["statement"]), "",
                f"Realises {_text(', '.join(t['realises'])) or '—'}."
                + (f" Statement and proof steps: [{_text(t['docs'])}]({_link(relative(t['docs'], folder))})."
                   if t["docs"] else ""), ""]
        if t["formulas"]:
            out += ["### Closed forms", ""] + [f"- {_text(f['label'])}: ${f['latex']}$" for f in t["formulas"]] + [""]
        for i in t["instances"]:
            out += [f"### {_text(i['name'])}: {verdict_label(i['verdict'], i['evidence'])}", "",
                    f"Seed {i['seed']}; wall time {number(i['wall_time_s'])} s.", ""]
            out += _table(["parameter", "value"], [(_text(parameter_label(k)), _code(number(v))) for k, v in i["parameters"].items()
                                                  if v is not None]) + [""]
            out += _table(["fact", "value"], [(_text(k), _text(v)) for k, v in
                                               fact_rows(i["facts"], t.get("fact_labels"), t.get("fact_units"))]) + [""]
            for name, header, rows in fact_tables(i["facts"], t.get("fact_labels"), t.get("fact_units")):
                out += [f"**{_text(name)}**", ""] + _table([_text(c) for c in header], [[_text(v) for v in r] for r in rows]) + [""]
            for g in groups(i["claims"]):
                out += [f"#### {g.label}: {verdict_label(g.verdict, g.evidence)}", ""]
                out += _table(["claim", "verdict", "evidence", "value", "bound", "margin", "precision",
                                    "points / cells, time", "method"], [
                    (f"[{_code(c['id'])}]({_link(relative(c['docs'], folder))})" if c["docs"] else _code(c["id"]),
                     f"**{c['verdict']}**", c["evidence"], *(claim_number(c, key) for key in ("value", "bound", "margin")),
                     f"{c['precision']['dps']}/{c['precision']['verify_dps']} digits" if c["precision"] else "exact",
                     effort(c, i["facts"]), _text(c["method"]) + (f"; **{_text(c['detail'])}**" if c["detail"] else ""))
                    for c in g.claims]) + [""]
            for f in i["figures"]:
                if f["kind"] == "table":
                    out += [f"**{_text(f['title'])}**", ""] + _table([_text(c) for c in f["columns"]],
                                                                    [[_text(number(v)) for v in r] for r in f["rows"]]) + [""]
                else:
                    out += [f"![{_text(f['title'])}]({_link(f['file'])})", "", f"*{_text(f['title'])}*: {_text(f['caption'])}", ""]
    if doc["sweeps"]:
        out += ["## Tightness sweeps", ""]
    for s in doc["sweeps"]:
        out += [f"### {_text(s['theorem'])} on S^{s['dim']} ({_text(s['source'])})", ""]
        out += [f"Made by {_code(s['command'])}.", ""] if s["command"] else []
        out += _table(["ε", "N constructed", "λ or κ", "bound", "sup error", "smallest N", "its sup error", "evidence"], [
            (_text(r["eps_exact"]), r["prefix_length"], number(r["temperature"]), number(r["bound"]), number(r["sup_error"]),
             number(r["minimal_prefix_length"]), number(r["minimal_sup_error"]), r["evidence"]) for r in s["rows"]]) + [""]
        out += _table(["curve", "slope", "standard error", "reference exponent"], [
            (_text(FIT_LABELS.get(curve, curve)), number(f["slope"]), number(f["stderr"]), f"{number(f['reference_exponent'])} ({_text(f['reference'])})")
            for curve, f in s["fits"].items()]) + ["", f"![{_text(s['name'])}]({_link(s['figure_file'])})", ""]
    out += _grids(doc)
    out += _studies(doc, folder)
    env = doc["environment"]
    out += ["## Environment and reproduction", "",
            _text(f"Python {env['python']} on {env['platform']}; " + ", ".join(f"{k} {v}" for k, v in env["packages"].items())) + ".", "",
            *([_text(f"Machine: {env['machine']['cpu']}, {env['machine']['logical_cores']} logical cores."), ""]
              if env.get("machine") else []),
            f"Command: {_code(doc['command'])}. Configuration ({_text(doc['configuration']['source'])}, digest "
            f"{doc['configuration']['digest']}), for `--config`:", ""] + _fenced(doc["configuration"]["toml"].rstrip(), "toml") + [""]
    return "\n".join(out)
