"""The committed study (reports/prefix-vs-training/, made by `verifier study prefix-vs-training`): its result is on
schema, every reported count has its certificate beside it (PASS, certified, ≤ ε, the model of that size), two of them
re-check from their stored parameters alone, and the stored optimised prefix with a token removed or its values moved
past ε is never PASS."""
import json
import shlex
from pathlib import Path

import jsonschema
import numpy as np
import pytest
import sympy

from verifier.claims import Evidence, Verdict
from verifier.targets import Target

from proofs.prefix_training.certificate import certify, recheck
from proofs.prefix_training.models import FreePrefix, model_from_json
from proofs.prefix_training.study import APPROXIMATORS, STUDY, TARGETS, target_spec

FOLDER = Path(__file__).resolve().parents[1] / "reports" / "prefix-vs-training"
RESULT = json.loads((FOLDER / "result.json").read_text(encoding="utf-8"))


def certificate(row, name):
    return json.loads((FOLDER / row[name]["certificate"]).read_text(encoding="utf-8"))


def row_of(target, eps_exact):
    return next(r for r in RESULT["rows"] if r["target"] == target and r["eps_exact"] == eps_exact)


def test_the_result_is_complete_and_on_schema():
    jsonschema.validate(RESULT, STUDY.schema)
    command = shlex.split(RESULT["command"])
    assert RESULT["complete"] and command[:3] == ["verifier", "study", "prefix-vs-training"]
    assert not {"--quick", "--targets", "--seed", "--cert-cells", "--max-prefix", "--max-width"} & set(command)  # defaults
    assert [(r["target"], r["eps_exact"]) for r in RESULT["rows"]] == [
        (t.id, str(sympy.Rational(e))) for t in TARGETS for e in t.eps]


def test_every_reported_count_is_backed_by_its_own_certificate():
    for row in RESULT["rows"]:
        for name in APPROXIMATORS:
            entry = row[name]
            if not entry["found"]:
                continue
            stored = certificate(row, name)
            model = model_from_json(stored["model"])
            assert stored["verdict"] == "PASS" and stored["evidence"] == "certified", (row["target"], row["eps_exact"], name)
            assert sympy.Rational(stored["certified_upper"]) <= sympy.Rational(row["eps_exact"])
            assert stored["eps"] == row["eps_exact"] and stored["target"] == target_spec(row["target"]).text
            assert model.parameter_count == entry["parameters"] and stored["certified_upper"] == entry["certified_upper"]


@pytest.mark.parametrize("name", ["prefix", "network"])
def test_two_stored_counts_recheck_from_their_parameters(name):
    row = row_of("kink", "1/100")
    stored = certificate(row, name)
    again = recheck(stored)
    assert again.verdict is Verdict.PASS and again.evidence is Evidence.CERTIFIED
    assert again.certified_upper == stored["certified_upper"]


def test_the_stored_optimised_prefix_fails_without_its_worst_token_or_with_its_values_moved():
    row = row_of("kink", "1/100")
    stored = certificate(row, "prefix")
    prefix = model_from_json(stored["model"])
    target, eps = Target.parse("Abs(x0) - 1/2", 1, "1", "1/2"), sympy.Rational(1, 100)
    nearest = int(np.argmax(prefix.keys @ np.array(stored["witness"]) + prefix.biases))
    keep = np.arange(prefix.N) != nearest
    removed = FreePrefix(prefix.keys[keep], prefix.biases[keep], prefix.values[keep], prefix.context)
    assert certify(target, removed, eps).verdict is not Verdict.PASS
    moved = FreePrefix(prefix.keys, prefix.biases, prefix.values + 2 * float(eps), prefix.context)
    assert certify(target, moved, eps).verdict is Verdict.FAIL
