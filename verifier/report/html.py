"""index.html: the report as one self-contained page (inline stylesheet, MathML, inline SVG, no script).

The first screen is the summary (summary.py): the verdict counts, a row per instance with its smallest margin, and
the matrix of instances × proof-step groups. Below it, per theorem, what a PASS proves; then each instance's claims
in folded groups (<details>, open where a claim did not pass), statements with their scripts as MathML
(mathtext.py). Anchors: #theorem-NAME, #instance-NAME, #INSTANCE-group-KEY and #INSTANCE-CLAIM_ID."""
from __future__ import annotations

from importlib.resources import files
from typing import Mapping

import jinja2
from markupsafe import Markup

from ..claims import Evidence
from .docs_links import local
from .format import effort, fact_rows, fact_tables, number, paper_claims, parameter_label
from .mathtext import to_html
from .studies import table_html
from .summary import figure_svg, groups, instances, overall, scope


FIT_LABELS = {"prefix_length": "N constructed", "minimal_prefix_length": "smallest N", "paper_rate": "paper's rate"}  # sweep fits


def verdict_label(verdict: str, evidence: str) -> str:
    """'PASS (exact)', 'PASS (sampled — not a proof)', or the bare FAIL / INCONCLUSIVE."""
    return f"PASS ({Evidence(evidence).label})" if verdict == "PASS" else verdict


def _environment() -> jinja2.Environment:
    templates = files(__package__).joinpath("templates")
    return jinja2.Environment(loader=jinja2.FunctionLoader(lambda name: templates.joinpath(name).read_text(encoding="utf-8")),
                              autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def render_html(doc: Mapping, svg: Mapping[str, str]) -> str:
    """The page for report data ``doc``; ``svg`` maps a figure's file (as in report.json) to its SVG document; links to
    docs/ go to the report folder's own copies (docs_links.local)."""
    env = _environment()
    return env.get_template("report.html.j2").render(
        doc=doc, svg=svg, stylesheet=Markup(env.loader.get_source(env, "report.css")[0].strip()),  # our own file: not escaped, or its quotes and > break
        summaries=instances(doc), overall=overall(doc), fit_labels=FIT_LABELS, summary_svg=figure_svg(doc), groups=groups, scope=scope, math=to_html,
        num=number, effort=effort, fact_rows=fact_rows, parameter_label=parameter_label, paper_claims=paper_claims, fact_tables=fact_tables, verdict_label=verdict_label, docs_href=local,
        study_table=table_html,
    )
