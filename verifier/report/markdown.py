"""report.md: the report for a pull request or an appendix (math as $…$, plots as SVG files beside it)."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from .docs_links import relative

from .format import effort, fact_rows, fact_tables, number, paper_claims
from .html import verdict_label


def _cell(text) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(columns, rows) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)] + [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]


def render_markdown(doc: Mapping, folder: Path) -> str:
    """The Markdown document of report data ``doc``; links to docs/ are made relative to ``folder``."""
    counts = doc["counts"]
    out = [f"# prefix-verifier report `{doc['name']}`: {verdict_label(doc['verdict'], doc['evidence'])}", "",
           f"Instances: {', '.join(f'{n} {v}' for v, n in counts['instances'].items())}; claims: "
           f"{', '.join(f'{n} {v}' for v, n in counts['claims'].items())}. Generated {doc['generated_at']} in "
           f"{number(doc['wall_time_s'])} s. Reproduce with `{doc['command']}`.", ""]
    out += ["## The paper's claims", "", "Each is checked through the explicit theorems that realise it.", ""]
    out += _table(["claim", "realised by", "checked as"], [
        (p, ", ".join(theorems), "; ".join(f"{i}: `{cid}` **{v}** ({e})" for i, cid, v, e in checked) or "—")
        for p, theorems, checked in paper_claims(doc)]) + [""]
    for t in doc["theorems"]:
        out += [f"## {t['name']}", "", t["statement"], "",
                f"Realises {', '.join(t['realises']) or '—'}." + (f" Statement and proof steps: [{t['docs']}]({relative(t['docs'], folder)})."
                                                               if t["docs"] else ""), ""]
        if t["formulas"]:
            out += ["### Closed forms", ""] + [f"- {f['label']}: ${f['latex']}$" for f in t["formulas"]] + [""]
        for i in t["instances"]:
            out += [f"### {i['name']}: {verdict_label(i['verdict'], i['evidence'])}", "",
                    f"Seed {i['seed']}; wall time {number(i['wall_time_s'])} s.", ""]
            out += _table(["parameter", "value"], [(k, f"`{v}`") for k, v in i["parameters"].items() if v is not None]) + [""]
            out += _table(["fact", "value"], fact_rows(i["facts"], t.get("fact_labels"))) + [""]
            for name, columns, rows in fact_tables(i["facts"]):
                out += [f"**{name}**", ""] + _table(columns, rows) + [""]
            out += _table(["claim", "verdict", "evidence", "value", "bound", "margin", "precision",
                                "points / cells, time", "method"], [
                (f"[`{c['id']}`]({relative(c['docs'], folder)})" if c["docs"] else f"`{c['id']}`", f"**{c['verdict']}**", c["evidence"],
                 number(c["value"]), number(c["bound"]), number(c["margin"]),
                 f"{c['precision']['dps']}/{c['precision']['verify_dps']} digits" if c["precision"] else "exact",
                 effort(c), c["method"] + (f"; **{c['detail']}**" if c["detail"] else ""))
                for c in i["claims"]]) + [""]
            for f in i["figures"]:
                if f["kind"] == "table":
                    out += [f"**{f['title']}**", ""] + _table(f["columns"], [[number(v) for v in r] for r in f["rows"]]) + [""]
                else:
                    out += [f"![{f['title']}]({f['file']})", "", f"*{f['title']}*: {f['caption']}", ""]
    if doc["sweeps"]:
        out += ["## Tightness sweeps", ""]
    for s in doc["sweeps"]:
        out += [f"### {s['theorem']} on S^{s['dim']} ({s['source']})", ""] + ([f"Made by `{s['command']}`.", ""] if s["command"] else [])
        out += _table(["ε", "N constructed", "λ or κ", "bound", "sup error", "smallest N", "its sup error", "evidence"], [
            (r["eps_exact"], r["prefix_length"], number(r["temperature"]), number(r["bound"]), number(r["sup_error"]),
             number(r["minimal_prefix_length"]), number(r["minimal_sup_error"]), r["evidence"]) for r in s["rows"]]) + [""]
        out += _table(["curve", "slope", "standard error", "reference exponent"], [
            (curve, number(f["slope"]), number(f["stderr"]), f"{number(f['reference_exponent'])} ({f['reference']})")
            for curve, f in s["fits"].items()]) + ["", f"![{s['name']}]({s['figure_file']})", ""]
    env = doc["environment"]
    out += ["## Environment and reproduction", "",
            f"Python {env['python']} on {env['platform']}; " + ", ".join(f"{k} {v}" for k, v in env["packages"].items()) + ".", "",
            f"Command: `{doc['command']}`. Configuration ({doc['configuration']['source']}, digest "
            f"{doc['configuration']['digest']}), for `--config`:", "", "```toml", doc["configuration"]["toml"].rstrip(), "```", ""]
    return "\n".join(out)
