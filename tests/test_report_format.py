"""verifier.report.format: numbers, fact rows and fact tables as every report format shows them."""
import re

import pytest

from verifier.report.format import (SIGNIFICANT_DIGITS, claim_number, effort, fact_rows, fact_tables, is_table, number,
                                    paper_claims, unlabelled)

PYTHON_SYNTAX = r"\b(True|False|None)\b|[{}]|'\w*'\s*[:,]|\[[^\]]*, "  # a dict, list or bool as Python prints it


def test_numbers_in_one_format_with_their_precision():
    assert number(None) == "—" and number(3) == "3" and number(0.0) == "0" and number(228.0) == "228"
    assert number(0.25) == "0.25" and number(1e-5) == "1e-5" and number(123456.0) == "1.23456e+5"
    assert number(62794.05114939349) == "62794.1" and number(0.0151161984487) == "0.0151162" and number(0.001) == "0.001"
    assert number(True) == "yes" and number(False) == "no"  # never True/False on the page
    assert number("gauss") == "gauss" and number("1/10") == "1/10"  # text stays text


def test_an_underflowing_value_prints_its_real_number_never_the_float_artefact():
    """The value of e^{−67000}-size claims: report.json's float is 0 (or 3.5e-323), its text the number."""
    claim = {"value": 0.0, "value_text": "5.23209e-27267", "bound": 0.0125, "bound_text": "1.25e-2", "margin": 0.0125,
             "margin_text": "1.25e-2"}
    assert claim_number(claim, "value") == "5.23209e-27267"
    assert claim_number(claim, "bound") == "0.0125" and claim_number(claim, "margin") == "0.0125"
    assert claim_number({"value": 3.5e-323, "value_text": None}, "value") == "3.45846e-323"  # no text: the float
    assert claim_number({"value": None}, "value") == "—"


def test_the_page_states_the_digits_it_prints():
    from importlib.resources import files

    template = files("verifier.report").joinpath("templates/report.html.j2").read_text(encoding="utf-8")
    assert f"{SIGNIFICANT_DIGITS} significant digits" in template


def test_facts_split_into_labelled_rows_and_tables():
    facts = {"prefix_length": 60, "sup_error": {"value": 0.05, "points": 10, "argmax": [0.6, -0.8], "agrees": True,
                                                "cell": {"lo": [-0.5]}},
             "depths": [{"n": 1, "depth": 9}, {"n": 2, "depth": 15}], "ragged": [{"a": 1}, {"b": 2}]}
    labels = {"prefix_length": "prefix length N", "sup_error": "sup error", "sup_error.argmax": "argmax x*",
              "sup_error.cell": "worst cell", "depths": "depth table", "depths.n": "tokens n"}
    units = {"prefix_length": "tokens", "sup_error.points": "points", "depths.depth": "layers"}
    assert fact_rows(facts, labels, units) == [
        ("prefix length N", "60 tokens"), ("sup error › value", "0.05"), ("sup error › points", "10 points"),
        ("sup error › argmax x*", "(0.6, -0.8)"), ("sup error › agrees", "yes"), ("sup error › worst cell › lo", "(-0.5)")]
    assert fact_rows(facts)[0] == ("prefix length", "60")  # no label: the key with spaces
    assert fact_tables(facts, labels, units) == [("depth table", ["tokens n", "depth (layers)"], [["1", "9"], ["2", "15"]]),
                                                 ("ragged", ["a", "b"], [["1", "—"], ["—", "2"]])]
    assert is_table(facts["depths"]) and not is_table([]) and not is_table([1, 2]) and not is_table(facts["sup_error"])


def test_no_python_or_json_syntax_in_fact_text():
    facts = {"flag": False, "none": None, "vector": [1.5, [2, 3]], "record": {"inner": {"deep": True}},
             "table": [{"interval": [0.0, 1.0], "meta": {"a_b": None}, "ok": True}]}
    texts = [t for row in fact_rows(facts) for t in row]
    texts += [t for _, columns, rows in fact_tables(facts) for t in columns + [v for r in rows for v in r]]
    assert not [t for t in texts if re.search(PYTHON_SYNTAX, t)], texts
    assert ("flag", "no") in fact_rows(facts) and ("vector", "(1.5, (2, 3))") in fact_rows(facts)


def test_unlabelled_names_every_path_without_a_label():
    facts = {"a": 1, "r": {"x": 1, "s": {"y": 2}}, "t": [{"c": 1}, {"d": 2}]}
    assert unlabelled(facts, {}) == ["a", "r", "r.x", "r.s", "r.s.y", "t", "t.c", "t.d"]
    assert unlabelled(facts, dict.fromkeys(["a", "r", "r.x", "r.s", "r.s.y", "t", "t.c", "t.d"], "L")) == []


def test_paper_claims_gather_the_claims_that_realise_them():
    claim = lambda cid, v="PASS": {"id": cid, "verdict": v, "evidence": "exact"}  # noqa: E731
    doc = {"theorems": [
        {"name": "a", "realises": ["P2", "P1"], "instances": [{"name": "a1", "claims": [claim("P1.via-E1"), claim("E1.size"),
                                                                                          claim("P2.via-E1", "FAIL")]}]},
        {"name": "b", "realises": ["P1"], "instances": [{"name": "b1", "claims": [claim("P10.x")]}]},
    ]}
    assert paper_claims(doc) == [("P1", ["a", "b"], [("a1", "P1.via-E1", "PASS", "exact")]),
                                 ("P2", ["a"], [("a1", "P2.via-E1", "FAIL", "exact")])]


def test_effort_names_points_cells_and_time():

    assert effort({"points": 20966, "cells": 488, "seconds": 1.254}) == "20966 points; 488 cells; 1.254 s"
    assert effort({"points": 100, "cells": None, "seconds": None}) == "100 points"
    assert effort({"points": None, "cells": None, "seconds": None, "evidence": "exact"}) == "exact (no sampling)"
    assert effort({"points": None, "cells": None, "seconds": None, "evidence": "certified"}) == "ball arithmetic (no sampled points)"


def test_effort_of_a_sampled_claim_without_its_own_count_says_what_it_rests_on():
    facts = {"sup_error": {"method": "sampled: float64 scan + Nelder-Mead", "points": 20943}}
    shared = {"points": None, "cells": None, "seconds": None, "evidence": "sampled",
              "method": "sampled: float64 scan + Nelder-Mead; 9097 points; mpmath at 20 and 40 digits"}
    assert effort(shared, facts) == "shares the sup search: 20943 points"
    other = dict(shared, method="mpmath.quad in the angle at 20 and 40 digits")  # negative control: not that search
    assert effort(other, facts) == effort(shared) == "no point count recorded (see how it was checked)"
    assert "—" not in effort(other, facts)


def test_facts_are_labelled_by_their_own_theorem():
    """E2's prefix_length_bound is the rule's N, not E1's 2(m+1)(n+1)^m: each theorem labels its own facts."""
    from verifier.theorem import get

    facts = {"prefix_length": 12, "prefix_length_bound": 12, "rule_size": 12}
    e1, e2 = get("single-head").fact_labels, get("smoothing").fact_labels
    assert dict(fact_rows(facts, e1))["bound 2(m+1)(n+1)^m"] == "12"
    e2_rows = dict(fact_rows(facts, e2))
    assert e2_rows[e2["prefix_length_bound"]] == "12" and e2_rows[e2["rule_size"]] == "12"
    assert "bound 2(m+1)(n+1)^m" not in e2_rows and "2(m+1)" not in e2["prefix_length_bound"]


def _labels(theorem_name: str) -> dict:
    from verifier.theorem import RUN_LABELS, get

    return {**RUN_LABELS, **get(theorem_name).fact_labels}


def test_every_fact_of_the_reference_report_has_its_theorems_label_and_reads_as_text():
    """The committed reference report holds every registered theorem's facts: each is declared (a new fact without a
    label is caught, the control below) and its rows and tables carry no Python or JSON syntax."""
    import json
    from pathlib import Path

    from verifier.theorem import get, registry

    doc = json.loads((Path(__file__).parents[1] / "reports" / "reference" / "report.json").read_text(encoding="utf-8"))
    assert {t["name"] for t in doc["theorems"]} == set(registry())
    for t in doc["theorems"]:
        theorem = get(t["name"])
        for i in t["instances"]:
            assert unlabelled(i["facts"], _labels(t["name"])) == [], (t["name"], i["name"])
            assert unlabelled({**i["facts"], "new_fact": 1}, _labels(t["name"])) == ["new_fact"]
            texts = [s for row in fact_rows(i["facts"], theorem.fact_labels, theorem.fact_units) for s in row]
            texts += [s for title, columns, rows in fact_tables(i["facts"], theorem.fact_labels, theorem.fact_units)
                      for s in [title, *columns, *(v for r in rows for v in r)]]
            assert not [s for s in texts if re.search(PYTHON_SYNTAX, s)], (t["name"], i["name"])


@pytest.mark.slow
def test_every_fact_of_every_default_instance_has_a_declared_label():
    """The slow twin of the test above: every default instance of every registered theorem, run now (about 2 min)."""
    from verifier.run import run
    from verifier.theorem import registry

    for name, theorem in registry().items():
        for instance, options in theorem.default_instances():
            assert unlabelled(run(name, options).facts, _labels(name)) == [], (name, instance)


def test_the_facts_of_a_sampled_single_head_run_are_labelled():
    """A fast run outside the reference report's options (evidence sampled: the sup record says why not certified)."""
    from verifier.run import run

    facts = run("single-head", {"dim": 1, "eps": "0.4", "evidence": "sampled", "points": "500"}).facts
    assert "not_certified" in facts["sup_error"] and unlabelled(facts, _labels("single-head")) == []


def test_parameters_read_as_their_names_or_the_flags_a_user_types():
    from verifier.report.format import parameter_label

    assert parameter_label("eps") == "ε" and parameter_label("cert_cells") == "--cert-cells"
    assert parameter_label("verify_dps") == "check digits" and "_" not in parameter_label("max_seconds")
