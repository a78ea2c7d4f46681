"""The study's result from task results: rows, fits, verdict, schema, table and figures (no fitting, no certifying:
the task results are made up in the shape proofs/prefix_training/tasks.py returns)."""
import math

import jsonschema
import pytest

from proofs.prefix_training.study import STUDY
from proofs.prefix_training.tables import assemble, figures, markdown

OPTIONS = STUDY.read({})


def found(size, parameters, key, N=None):
    best = {"size": size, "parameters": parameters, "status": "found", "certified_upper": "0.01", "sampled_max": 0.009,
            "certificate": f"certificates/{key}-{size}.json", **({"N": N} if N else {})}
    return {"found": True, "decided": True, "best": best, "tried": [dict(best, certificate=None)]}


EPS = {"0.2": "1/5", "0.1": "1/10", "0.05": "1/20"}


def results(rate=1.0, drop=None):
    """Task results for the smooth target: parameters ∝ (1/ε)^rate for every approximator (drop: one task missing)."""
    out = []
    for text, e in EPS.items():
        scale = (1 / float(text)) ** rate
        key = f"smooth-eps{text}"
        e1 = {"construction": found(8, round(40 * scale) * 4, key + "-e1", N=round(40 * scale)),
              "family": found(5, round(20 * scale) * 4, key + "-e1", N=round(20 * scale))}
        prefix = found(round(4 * scale), round(4 * scale) * 4, key + "-prefix")
        network = found(round(3 * scale), round(3 * scale) * 4 + 1, key + "-network")
        for kind, body in (("e1", e1), ("prefix", prefix), ("network", network)):
            if drop != (e, kind):
                out.append({"key": f"{key}-{kind}", "target": "smooth", "eps_exact": e, "kind": kind, **body})
    return out


def complete(result):
    """The fields the core adds (verifier.study.run_study), so that the result can be checked against the schema."""
    return {**result, "study": "prefix-vs-training", "options": {}, "complete": True, "command": "verifier study …",
            "workers": "here", "environment": {}, "wall_time_s": 1.0, "task_wall_times_s": {"a": 0.5}}


def test_rows_fits_and_verdict():
    result = assemble(OPTIONS, results())
    assert result["verdict"] == "PASS" and result["not_found"] == []
    assert [r["eps_exact"] for r in result["rows"]] == ["1/5", "1/10", "1/20"]
    row = result["rows"][1]
    assert row["e1_construction"]["tokens"] == 400 and row["e1_family"]["tokens"] == 200
    assert row["prefix"]["tokens"] == row["prefix"]["size"] == 40 and row["network"]["tokens"] is None
    assert row["network"]["certificate"] == "certificates/smooth-eps0.1-network-30.json"
    for fit in result["fits"]["smooth"].values():
        assert fit["points"] == 3 and math.isclose(fit["slope"], 1.0, abs_tol=0.01)
    jsonschema.validate(complete(result), STUDY.schema)


def test_a_missing_count_makes_the_study_inconclusive_and_is_named():
    result = assemble(OPTIONS, results(drop=("1/10", "network")))
    assert result["verdict"] == "INCONCLUSIVE"
    assert result["not_found"] == ["smooth ε = 1/10: optimised tanh network"]
    assert result["rows"][1]["network"]["found"] is False and result["fits"]["smooth"]["network"]["points"] == 2
    jsonschema.validate(complete(result), STUDY.schema)
    assert "Not found: smooth ε = 1/10: optimised tanh network" in markdown(result)
    (figure,) = figures(result)
    assert [s["label"].split(" (")[0] for s in figure["series"]] == ["E1 construction", "smallest E1-family member",
                                                                      "optimised prefix"]
    assert "optimised tanh network" in figure["caption"]


def test_the_schema_rejects_a_found_count_without_its_certificate():
    result = complete(assemble(OPTIONS, results()))
    result["rows"][0]["prefix"]["certificate"] = None
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, STUDY.schema)


def test_table_shows_parameters_sizes_and_slopes():
    text = markdown(assemble(OPTIONS, results()))
    assert "| `sin(2*x0)/2` on S^1 | 1/10 | 1600 (N = 400) | 800 (N = 200) | 160 (N = 40) | 121 (W = 30) |" in text
    assert "1.00 ± 0.00" in text and "upper bounds of the true minima" in text


def test_figures_are_log_log_curves_the_report_can_draw():
    from verifier.report.plots import check_figure

    (figure,) = figures(assemble(OPTIONS, results()))
    check_figure(figure)
    assert figure["log"] and figure["x"]["values"] == [5.0, 10.0, 20.0] and len(figure["series"]) == 4


@pytest.mark.parametrize("options, message", [
    ({"targets": "smooth,wavy"}, "wavy"), ({"quick": "yes"}, "--quick"), ({"max_prefix": "0"}, "--max-prefix"),
])
def test_bad_options_are_refused_before_any_task(options, message):
    from verifier.errors import InputError

    with pytest.raises(InputError, match=message):
        STUDY.tasks(options)


def test_tasks_cover_every_target_eps_and_kind():
    tasks = STUDY.tasks({})
    assert len(tasks) == (3 * 5 + 3) * 3 and len({t["key"] for t in tasks}) == len(tasks)
    quick = STUDY.tasks({"quick": "on"})
    assert [t["key"] for t in quick] == [f"smooth-eps{e}-{k}" for e in ("0.2", "0.1") for k in ("e1", "prefix", "network")]
    assert {t["max_size"] for t in tasks if t["kind"] == "network"} == {256}


def test_the_studys_cell_budget_is_the_certificates_default():
    from proofs.prefix_training.certificate import DEFAULT_CELLS

    assert STUDY.read({})["cert_cells"] == DEFAULT_CELLS
