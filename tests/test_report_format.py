"""verifier.report.format: numbers, fact rows and fact tables as every report format shows them."""
from verifier.report.format import fact_rows, fact_tables, is_table, number, paper_claims


def test_numbers():
    assert number(None) == "—" and number(3) == "3" and number(0.0) == "0"
    assert number(0.25) == "0.25" and number(1e-5) == "1.000000e-05" and number(123456.0) == "1.234560e+05"


def test_facts_split_into_rows_and_tables():
    facts = {"prefix_length": 60, "sup_error": {"value": 0.05, "points": 10}, "depths": [{"n": 1, "depth": 9}, {"n": 2, "depth": 15}],
             "ragged": [{"a": 1}, {"b": 2}]}
    assert fact_rows(facts, {"prefix_length": "prefix length N"}) == [("prefix length N", "60"), ("sup_error.value", "0.05"),
                                                                      ("sup_error.points", "10")]
    assert fact_rows(facts)[0] == ("prefix_length", "60")  # no labels: the fact's name
    assert fact_tables(facts) == [("depths", ["n", "depth"], [["1", "9"], ["2", "15"]]),
                                  ("ragged", ["a", "b"], [["1", "—"], ["—", "2"]])]
    assert is_table(facts["depths"]) and not is_table([]) and not is_table([1, 2]) and not is_table(facts["sup_error"])


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
    from verifier.report.format import effort

    assert effort({"points": 20966, "cells": 488, "seconds": 1.254}) == "20966 points; 488 cells; 1.25 s"
    assert effort({"points": 100, "cells": None, "seconds": None}) == "100 points"
    assert effort({"points": None, "cells": None, "seconds": None}) == "—"


def test_facts_are_labelled_by_their_own_theorem():
    """E2's prefix_length_bound is the rule's N, not E1's 2(m+1)(n+1)^m: each theorem labels its own facts."""
    from verifier.theorem import get

    facts = {"prefix_length": 12, "prefix_length_bound": 12, "rule_size": 12}
    e1, e2 = get("single-head").fact_labels, get("smoothing").fact_labels
    assert dict(fact_rows(facts, e1))["bound 2(m+1)(n+1)^m"] == "12"
    e2_rows = dict(fact_rows(facts, e2))
    assert e2_rows[e2["prefix_length_bound"]] == "12" and e2_rows[e2["rule_size"]] == "12"
    assert "bound 2(m+1)(n+1)^m" not in e2_rows and "2(m+1)" not in e2["prefix_length_bound"]
