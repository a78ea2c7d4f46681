"""report.md: text from files and the command line (sweep commands and file names, the configuration's path) is
escaped, so a name holding Markdown or HTML cannot change the document: checked by rendering it with markdown-it
(CommonMark with tables, raw HTML on, as GitHub reads it)."""
from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

from markdown_it import MarkdownIt

from test_report_sweeps import sweep_json
from verifier import cli
from verifier.report.markdown import _code, _text, render_markdown
from verifier.report.summary import instances

HOSTILE = "a|b`c <script>alert(1)</script> *x* [y](z) $m$ #"


def _rendered_tables(tokens) -> list[tuple[int, list[int]]]:
    """(header cells, cells per body row) of every table in markdown-it's tokens."""
    tables, header, rows = [], 0, None
    for token in tokens:
        if token.type == "table_open":
            header, rows = 0, []
        elif token.type == "th_open":
            header += 1
        elif token.type == "tr_open" and rows is not None and header:
            rows.append(0)
        elif token.type == "td_open":
            rows[-1] += 1
        elif token.type == "table_close":
            tables.append((header, rows))
            rows = None
    return tables


def test_text_and_code_keep_hostile_names_as_text():
    md = MarkdownIt("commonmark")
    assert md.renderInline(_text(HOSTILE)) == ("a|b`c &lt;script&gt;alert(1)&lt;/script&gt; *x* [y](z) $m$ #")
    assert md.renderInline(_code(HOSTILE)) == "<code>a|b`c &lt;script&gt;alert(1)&lt;/script&gt; *x* [y](z) $m$ #</code>"
    assert md.renderInline(_code("`x`")) == "<code>`x`</code>"
    assert md.renderInline("<script>") == "<script>"  # the control: unescaped, it would be raw HTML


def test_a_hostile_sweep_file_name_and_command_do_not_change_the_report(tmp_path):
    """The sweep's file name, its command and its ε text come from a file: before escaping, the heading carried raw
    <script> and a backtick in the command closed its code span."""
    name = "s|`<script>x"
    (tmp_path / f"{name}.json").write_text(json.dumps(sweep_json(command=f"verifier sweep {HOSTILE}")))
    (tmp_path / "suite.toml").write_text(f'name = "hostile"\nsweeps = [{json.dumps(name + ".json")}]\n\n'
                                         '[[instance]]\ntheorem = "limitation"\nname = "l1"\n')
    with contextlib.redirect_stdout(io.StringIO()):
        assert cli.main(["report", "--config", str(tmp_path / "suite.toml"), "--out", str(tmp_path / "out")]) == 0
    text = (tmp_path / "out" / "hostile" / "report.md").read_text()
    md = MarkdownIt("commonmark").enable("table")
    html = md.render(text)
    assert "<script" not in html  # every <script> stayed text
    assert f"<code>verifier sweep {HOSTILE}</code>".replace("<script>", "&lt;script&gt;").replace(
        "</script>", "&lt;/script&gt;") in html
    tables = _rendered_tables(md.parse(text))
    assert len(tables) >= 4 and all(rows and all(n == header for n in rows) for header, rows in tables)
    assert '<img src="figures/sweep-s%7C%60%3Cscript%3Ex.svg" alt="s|`&lt;script&gt;x"' in html
    assert (tmp_path / "out" / "hostile" / "figures" / f"sweep-{name}.svg").is_file()  # where the link points


def test_the_summary_and_the_groups_by_proof_step(tmp_path):
    """report.md opens with the summary (a row per instance, the instances × proof-step matrix) and what a PASS proves,
    and lists each instance's claims under one heading per group, every claim once."""
    doc = json.loads((Path(__file__).resolve().parents[1] / "reports" / "reference" / "report.json").read_text())
    text = render_markdown(doc, tmp_path)
    summaries = instances(doc)
    md = MarkdownIt("commonmark").enable("table")
    tables = _rendered_tables(md.parse(text))
    assert tables[0] == (5, [5] * len(summaries))  # the summary: theorem, instance, verdict, claims, smallest margin
    assert tables[1][1] == [tables[1][0]] * len(summaries)  # the matrix: a row per instance
    assert text.index("## Summary") < text.index("## What a PASS proves, and what it does not") < text.index("## The paper's claims")
    for s in summaries:
        assert f"| {s.name} | {s.verdict}" in text
        assert s.smallest is None or f"`{s.smallest.claim}`" in text.split("## What a PASS proves")[0]
    instance = doc["theorems"][0]["instances"][0]
    section = text.split(f"### {instance['name']}: ")[1].split("\n### ")[0]
    headings = [line for line in section.splitlines() if line.startswith("#### ")]
    assert [h.split(":")[0] for h in headings] == ["#### " + g.label for g in summaries[0].groups]
    for c in instance["claims"]:
        assert len(re.findall(rf"\| \[`{re.escape(c['id'])}`\]", section)) == 1, c["id"]
