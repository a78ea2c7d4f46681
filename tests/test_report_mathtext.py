"""verifier.report.mathtext: statement markup → HTML with inline MathML (msup / msub), everything escaped."""
from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest
from markupsafe import Markup

from verifier.report.mathtext import Script, parse, to_html

REFERENCE = Path(__file__).resolve().parents[1] / "reports" / "reference" / "report.json"
LEFT_OVER = re.compile(r"[\^_][{(]")  # a script marker that was not turned into math


def _tree(html: str) -> ElementTree.Element:
    """The HTML fragment parsed as XML (what to_html emits is well-formed), for looking at its structure."""
    return ElementTree.fromstring(f"<p>{html}</p>")


def _text(element: ElementTree.Element) -> str:
    return "".join(element.itertext())


def test_superscripts_and_subscripts_become_msup_and_msub():
    p = _tree(to_html("far weight e^{−λr²/4} on S^m, ratio I_(ν+1)(κ), rate ε^−28"))
    sups, subs = p.findall(".//msup"), p.findall(".//msub")
    assert [(_text(s[0]), _text(s[1])) for s in sups] == [("e", "−λr²/4"), ("S", "m"), ("ε", "−28")]
    assert [(_text(s[0]), _text(s[1])) for s in subs] == [("I", "ν+1")]
    assert _text(p) == "far weight e−λr²/4 on Sm, ratio Iν+1(κ), rate ε−28"  # the (κ) after I_(ν+1) stays text
    assert len(p.findall("math")) == 4


def test_grouping_parentheses_are_dropped_and_bracketed_bases_kept():
    p = _tree(to_html("N = (n+1)^(m+1) and κ^((m−1)/2) on [0,1]^n"))
    assert [(_text(s[0]), _text(s[1])) for s in p.findall(".//msup")] == [("(n+1)", "m+1"), ("κ", "(m−1)/2"), ("[0,1]", "n")]


def test_scripts_nest_and_operator_names_are_bases():
    p = _tree(to_html("sup_{x∈S^m} ‖H − f‖ and softmax_i(s) and 10^−25"))
    outer = p.find("math/msub")
    assert _text(outer[0]) == "sup" and outer[1].find("msup") is not None  # S^m inside the subscript
    assert [_text(m) for m in p.findall("math")] == ["supx∈Sm", "softmaxi", "10−25"]


def test_tokens_inside_math():
    row = _tree(to_html("e^{2x+ab}")).find("math/msup")[1]
    assert [(c.tag, c.text) for c in row] == [("mn", "2"), ("mi", "x"), ("mo", "+"), ("mi", "ab")]


def test_identifiers_and_bare_markers_stay_text():
    for text in ("cert_cells", "x86_64", "a ^b", "trailing_", "^"):
        assert str(to_html(text)) == text
        assert parse(text) == list(text)


def test_everything_is_escaped():
    html = to_html('a < b & "c" ^{<&>} <script>x_1</script>')
    assert isinstance(html, Markup)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<mo>&lt;</mo><mo>&amp;</mo><mo>&gt;</mo>" in html
    assert str(html).startswith("a &lt; b &amp; &#34;c&#34; ")
    _tree(html)  # well-formed: no raw < or & anywhere


def test_the_negative_control_leaves_markup_that_the_check_sees():
    """The check used on the page (LEFT_OVER) finds the markup in plain escaped text, and not in to_html's output."""
    text = "2BN·e^{−λr²/4} ≤ ε/4 with I_(ν+1)(κ)"
    assert LEFT_OVER.search(str(Markup.escape(text)))
    assert not LEFT_OVER.search(_text(_tree(to_html(text))))


def test_every_statement_of_the_reference_report_leaves_no_markup():
    doc = json.loads(REFERENCE.read_text())
    texts = [t["statement"] for t in doc["theorems"]] + [
        c[key] for t in doc["theorems"] for i in t["instances"] for c in i["claims"] for key in ("statement", "method", "detail")]
    scripts = 0
    for text in texts:
        html = to_html(text)
        tree = _tree(html)
        assert not LEFT_OVER.search(_text(tree)), text
        scripts += len(tree.findall(".//msup")) + len(tree.findall(".//msub"))
    assert scripts > 100


@pytest.mark.parametrize("text", ["x^{a", "x_(a(b)", "e^{{}}"])
def test_unclosed_groups_run_to_the_end(text):
    tree = _tree(to_html(text))
    assert tree.find("math") is not None and not LEFT_OVER.search(_text(tree))
    assert isinstance(parse(text)[-1], Script)


def test_an_empty_group_is_still_a_script():
    for text in ("e^{}", "‖x‖_()"):
        tree = _tree(to_html(text))
        assert tree.find("math") is not None and not LEFT_OVER.search(_text(tree)), text
