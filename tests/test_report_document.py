"""verifier.report.document and docs_links: closed forms as MathML/LaTeX, claim records, links into docs/."""
from __future__ import annotations

import sympy

from verifier.report import docs_links
from verifier.report.document import math, without_timing
from verifier.theorem import registry


def test_math_is_presentation_mathml_and_latex():
    x, L = sympy.symbols("x L", positive=True)
    out = math(sympy.Eq(sympy.Symbol("r"), x / (2 * L)))
    assert out["mathml"].startswith('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"><mrow><mi>r</mi>')
    assert "<mfrac>" in out["mathml"] and out["mathml"].endswith("</math>")
    assert out["latex"] == r"r = \frac{x}{2 L}"


def test_without_timing_drops_only_timing_fields():
    doc = {"wall_time_s": 1, "generated_at": "t", "a": [{"wall_time_s": 2, "b": 3}]}
    assert without_timing(doc) == {"a": [{"b": 3}]}


def test_links_fall_back_to_the_most_specific_documented_section():
    assert docs_links.slug("E1.step3.far-bound") == "e1-step3-far-bound"
    assert docs_links.link("E1.step3.far-bound") == "docs/single-head.md#e1-step3-far-bound"
    assert docs_links.link("E1.step9.unknown") == "docs/single-head.md#e1"
    assert docs_links.link("no-such-thing") is None
    assert "ih-near" not in docs_links.anchors()  # shown in a code span of adding-a-theorem.md as an example, not an anchor
    assert docs_links.local("docs/single-head.md#e1-step3") == "docs/single-head.html#e1-step3"


def test_every_theorem_and_every_single_head_claim_has_its_section():
    for name in registry():
        assert docs_links.link(name), f"docs/ has no section for theorem {name}"
    for claim in ("H.lipschitz", "H.bound", "H0.closed-form", "F.two-paths", "E1.size", "E1.step1.covering", "E1.step2.near",
                  "E1.step3.far-bound", "E1.step3.far", "E1.step4.leak-bound", "E1.step4.leak", "E1.step5.sup",
                  "P1.via-E1", "P2.via-E1"):
        link = docs_links.link(claim)
        assert link and link.endswith("#" + docs_links.slug(claim)), (claim, link)


def test_formulas_of_single_head_are_sympy_expressions():
    formulas = registry()["single-head"].report_formulas()
    assert formulas and all(isinstance(label, str) and isinstance(expr, sympy.Basic) for label, expr in formulas)
