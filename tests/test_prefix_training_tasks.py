"""The study's tasks end to end on the smooth target at ε = 0.2 (fit, certify, search): each count is backed by a
certificate that re-checks from its stored model, the same seed gives the same result, and the negative controls
(a token removed, values moved) never come out PASS."""
import json

import numpy as np
import pytest
import sympy

from verifier.claims import Evidence, Verdict
from verifier.targets import Target

from proofs.prefix_training.certificate import certify, recheck
from proofs.prefix_training.models import FreePrefix, model_from_json
from proofs.prefix_training.study import STUDY

TASKS = {t["kind"]: t for t in STUDY.tasks({"quick": "on", "cert_cells": "20000"}) if t["eps"] == "0.2"}
SMOOTH = Target.parse("sin(2*x0)/2", 1, "1", "1/2")
EPS = sympy.Rational(1, 5)


@pytest.fixture(scope="module")
def done():
    return {kind: STUDY.run_task(task) for kind, task in TASKS.items()}


def test_e1_counts_are_the_reference_sweeps(done):
    e1 = done["e1"]
    assert e1["construction"]["best"]["N"] == 60 and e1["construction"]["found"]
    family = e1["family"]
    assert family["best"]["N"] == 20 and family["decided"]  # reports/sweeps/e1-m1.json: smallest N 20 at ε = 1/5
    assert [t["size"] for t in family["tried"] if t["status"] != "found"] == [1, 2, 4]
    assert set(e1["files"]) == {"certificates/smooth-eps0.2-e1-5.json", "certificates/smooth-eps0.2-e1-15.json"}


@pytest.mark.parametrize("kind", ["e1", "prefix", "network"])
def test_every_count_rechecks_from_its_stored_certificate(done, kind):
    result = done[kind]
    search = result["family"] if kind == "e1" else result
    stored = result["files"][search["best"]["certificate"]]
    assert stored["verdict"] == "PASS" and stored["evidence"] == "certified"
    again = recheck(json.loads(json.dumps(stored)))
    assert again.verdict is Verdict.PASS and again.evidence is Evidence.CERTIFIED
    assert again.certified_upper == stored["certified_upper"]
    assert float(stored["certified_upper"]) <= 0.2 and stored["sampled_max"] <= float(stored["certified_upper"])


def test_the_same_seed_gives_the_same_result(done):
    assert json.dumps(STUDY.run_task(TASKS["prefix"]), sort_keys=True) == json.dumps(done["prefix"], sort_keys=True)


def _found_prefix(done, kind):
    result = done[kind]
    search = result["family"] if kind == "e1" else result
    return model_from_json(result["files"][search["best"]["certificate"]]["model"])


def _without(prefix: FreePrefix, i: int) -> FreePrefix:
    keep = np.arange(prefix.N) != i
    return FreePrefix(prefix.keys[keep], prefix.biases[keep], prefix.values[keep], prefix.context)


def test_the_optimised_prefix_with_any_token_removed_is_never_pass(done):
    prefix = _found_prefix(done, "prefix")
    for i in range(prefix.N):
        assert certify(SMOOTH, _without(prefix, i), EPS, cells=20_000).verdict is not Verdict.PASS, i


def test_the_smallest_e1_member_with_its_token_nearest_the_worst_point_removed_is_not_pass(done):
    """E1's grid has tokens to spare (the corner tokens of the cube surface are close to their neighbours), so the
    control removes the token nearest the certificate's witness, where the error is largest."""
    stored = done["e1"]["files"][done["e1"]["family"]["best"]["certificate"]]
    prefix = model_from_json(stored["model"])
    nearest = int(np.argmax(prefix.keys @ np.array(stored["witness"])))
    assert certify(SMOOTH, _without(prefix, nearest), EPS, cells=20_000).verdict is not Verdict.PASS


@pytest.mark.parametrize("kind", ["e1", "prefix"])
def test_a_found_prefix_with_its_values_moved_past_eps_fails(done, kind):
    prefix = _found_prefix(done, kind)
    moved = FreePrefix(prefix.keys, prefix.biases, prefix.values + 0.25, prefix.context)
    certificate = certify(SMOOTH, moved, EPS, cells=20_000)
    assert certificate.verdict is Verdict.FAIL and certificate.sampled_max > 0.2
