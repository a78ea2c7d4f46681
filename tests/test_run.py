"""Tests for verifier.run: run(), TheoremResult.to_json, HypothesisRefuted and environment()."""
from __future__ import annotations

import json
from dataclasses import replace
import subprocess
import sys

import mpmath
import numpy as np
import pytest
import scipy
import sympy

from verifier.claims import ClaimResult, Evidence, Kind, Verdict
from verifier.errors import InputError
from verifier.report.document import without_timing
from verifier.run import PACKAGES, HypothesisRefuted, TheoremResult, environment, refutation_message, run
from verifier.theorem import get

BASE = {"dim": 1, "eps": "0.2"}
EXPECTED_IDS = {
    "H.lipschitz", "H.bound", "H0.closed-form", "F.two-paths", "E1.size",
    "E1.step1.covering", "E1.step2.near", "E1.step3.far-bound", "E1.step3.far",
    "E1.step4.leak-bound", "E1.step4.leak", "E1.step5.sup", "P1.via-E1", "P2.via-E1",
}
TAMPERS = ("short-prefix", "small-lambda", "wrong-values")


@pytest.fixture(scope="module")
def result() -> TheoremResult:
    return run("single-head", BASE)


@pytest.fixture(scope="module")
def second() -> TheoremResult:
    return run("single-head", dict(BASE), command="verifier check single-head --dim 1 --eps 0.2")


@pytest.fixture(scope="module", params=TAMPERS)
def tampered(request) -> tuple[str, TheoremResult]:
    # 5 000 cells: a small budget that still decides the default target's auto constants
    return request.param, run("single-head", {**BASE, "tamper": request.param, "cert_cells": "5000"})


def _claim(result: TheoremResult, claim_id: str) -> ClaimResult:
    (claim,) = [c for c in result.claims if c.id == claim_id]
    return claim


# ---------------------------------------------------------------------------------------------
def test_default_instance_passes(result):
    assert result.verdict is Verdict.PASS
    assert result.theorem == "single-head"
    assert all(c.verdict is Verdict.PASS for c in result.claims), [(c.id, c.verdict) for c in result.claims]


def test_claim_ids_unique_and_complete(result):
    ids = [c.id for c in result.claims]
    assert len(ids) == len(set(ids))
    assert EXPECTED_IDS <= set(ids)
    # hypotheses come first, before the construction's claims
    assert ids[:2] == ["H.lipschitz", "H.bound"]


def test_claim_values_respect_bounds(result):
    for claim_id in ("E1.step1.covering", "E1.step2.near", "E1.step3.far", "E1.step4.leak", "E1.step5.sup", "E1.size"):
        c = _claim(result, claim_id)
        assert c.value is not None and c.bound is not None
        assert c.value <= c.bound, claim_id
    sup = _claim(result, "E1.step5.sup")
    assert sup.bound == pytest.approx(0.2)
    assert sup.kind is Kind.THEOREM
    assert _claim(result, "F.two-paths").kind is Kind.FRAMEWORK


def test_to_json_structure(result):
    j = result.to_json()
    for key in ("theorem", "verdict", "parameters", "prefix_length", "prefix_length_bound", "lambda",
                "sup_error", "claims", "environment", "wall_time_s"):
        assert key in j, key
    assert j["theorem"] == "single-head"
    assert j["verdict"] == "PASS"
    p = j["parameters"]
    for key in ("dim", "eps", "target", "lipschitz", "bound", "seed", "dps"):
        assert key in p, key
    assert p["dim"] == 1 and p["eps"] == pytest.approx(0.2) and p["seed"] == 0 and p["dps"] == 30
    assert p["target"] == "sin(2*x0)/2" and p["lipschitz"] == 1.00001 and p["bound"] == 0.500001  # certified (auto)
    assert isinstance(j["prefix_length"], int) and j["prefix_length"] <= j["prefix_length_bound"]
    assert j["lambda"] > 0
    s = j["sup_error"]
    for key in ("value", "argmax", "method", "points", "dps"):
        assert key in s, key
    step5 = _claim(result, "E1.step5.sup")  # certified: the claim's value is the certified upper bound
    assert step5.value == pytest.approx(s["certified_upper"] if step5.evidence.value == "certified" else s["value"])
    assert s["lower"] == pytest.approx(s["value"]) and s["certified_upper"] >= s["lower"]
    assert len(s["argmax"]) == 2 and abs(np.linalg.norm(s["argmax"]) - 1) < 1e-9
    assert s["dps"] == 30 and s["points"] >= 20_000
    assert len(j["claims"]) == len(result.claims)
    for cj, c in zip(j["claims"], result.claims):
        for key in ("id", "statement", "verdict", "value", "bound"):
            assert key in cj, key
        assert cj["id"] == c.id and cj["verdict"] == c.verdict.value
    env = j["environment"]
    assert "python" in env and "packages" in env
    assert isinstance(j["wall_time_s"], float) and j["wall_time_s"] > 0
    assert j["command"] is None


def test_to_json_is_serialisable(result):
    text = json.dumps(result.to_json())
    back = json.loads(text)
    assert back["verdict"] == "PASS"
    assert [c["id"] for c in back["claims"]] == [c.id for c in result.claims]


def test_deterministic(result, second):
    assert second.verdict is result.verdict
    assert [(c.id, c.verdict, c.value, c.bound, c.witness) for c in second.claims] == \
           [(c.id, c.verdict, c.value, c.bound, c.witness) for c in result.claims]
    assert second.facts == result.facts
    assert second.parameters == result.parameters


@pytest.fixture(scope="module")
def busy() -> TheoremResult:
    """The default instance run while two busy-loop processes keep both cores of a 2-core machine busy."""
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        return run("single-head", dict(BASE))
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def test_certified_verdict_does_not_depend_on_the_machines_load(result, busy):
    """Budgets count cells, not seconds: the same certified JSON, timing fields removed, with the CPU busy."""
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    assert without_timing(busy.to_json()) == without_timing(result.to_json())


def test_command_recorded(second):
    assert second.command == "verifier check single-head --dim 1 --eps 0.2"
    assert second.to_json()["command"] == second.command


# ---------------------------------------------------------------------------------------------
# cert_cells: B = 1 is attained, so the branch and bound of H.bound would spend its whole 50 000 cells (about 5 s)
REFUTED = {"dim": 1, "eps": "0.1", "target": "sin(30*x0)", "lipschitz": "3", "bound": "1", "cert_cells": "1000"}


def test_false_lipschitz_constant_refuted(monkeypatch):
    theorem = get("single-head")

    def must_not_run(params):
        raise AssertionError("check() ran although the hypotheses were refuted")

    monkeypatch.setattr(theorem, "check", must_not_run)
    with pytest.raises(HypothesisRefuted) as info:
        run("single-head", REFUTED)
    err = info.value
    assert isinstance(err, InputError)
    message = str(err)
    assert "pass --lipschitz ≥ 30" in message
    assert "H.lipschitz" in message
    lip = [c for c in err.claims if c.id == "H.lipschitz"]
    assert len(lip) == 1 and lip[0].verdict is Verdict.FAIL
    assert lip[0].bound == 3.0 and lip[0].value > 3.0
    assert lip[0].value == pytest.approx(30, rel=1e-3)  # |d/dθ sin(30 cos θ)| ≤ 30, attained at x0 = 0
    assert lip[0].witness is not None


def test_refutation_message_lists_each_failure():
    failed = [ClaimResult("H.lipschitz", "f is L-Lipschitz", Verdict.FAIL, Kind.HYPOTHESIS, "sampled",
                          value=7.5, bound=2.0, witness=(1.0, 0.0), detail="pass --lipschitz ≥ 7.5"),
              ClaimResult("H.bound", "‖f‖ ≤ B", Verdict.FAIL, Kind.HYPOTHESIS, "sampled", value=4.0, bound=1.0)]
    message = refutation_message(failed)
    assert "H.lipschitz" in message and "H.bound" in message
    assert "Fix: pass --lipschitz ≥ 7.5" in message  # the claim's own fix
    assert "Fix: correct the claimed value" in message  # a generic fix when the claim names none
    assert "[1.0, 0.0]" in message


@pytest.mark.parametrize("options,needle", [
    ({"dim": 1, "eps": "0"}, "--eps"),
    ({"dim": 1, "eps": "-1"}, "--eps"),
    ({"dim": 1, "eps": "nan"}, "--eps"),
    ({"dim": 1, "eps": "inf"}, "--eps"),
    ({"dim": "0", "eps": "0.2"}, "--dim"),
    ({"dim": 1, "eps": "0.2", "tamper": "bogus"}, "--tamper"),
    ({"dim": 1, "eps": "0.2", "target": "x0"}, "--lipschitz"),
    ({"dim": 1}, "--eps"),
], ids=["eps0", "eps-neg", "eps-nan", "eps-inf", "dim0", "tamper", "no-lipschitz", "no-eps"])
def test_bad_input_raises_input_error_before_work(options, needle, monkeypatch):
    theorem = get("single-head")
    monkeypatch.setattr(theorem, "hypotheses", lambda params: pytest.fail("hypotheses ran on bad input"))
    monkeypatch.setattr(theorem, "check", lambda params: pytest.fail("check ran on bad input"))
    with pytest.raises(InputError) as info:
        run("single-head", options)
    assert needle in str(info.value)
    assert not isinstance(info.value, HypothesisRefuted)


def test_unknown_theorem():
    with pytest.raises(InputError, match="single-head"):
        run("no-such-theorem", BASE)


# ---------------------------------------------------------------------------------------------
def test_tamper_fails_with_witness_on_circle(tampered):
    mode, r = tampered
    assert r.verdict is Verdict.FAIL, mode
    sup = _claim(r, "E1.step5.sup")
    assert sup.verdict is Verdict.FAIL, mode
    assert sup.value > sup.bound
    assert sup.witness is not None and len(sup.witness) == 2
    assert abs(np.linalg.norm(sup.witness) - 1) < 1e-9
    assert r.parameters["tamper"] == mode
    # the framework itself is still sound: a tampered construction is a FAIL of the theorem, not of the verifier
    assert _claim(r, "F.two-paths").verdict is Verdict.PASS
    assert r.to_json()["verdict"] == "FAIL"


# ---------------------------------------------------------------------------------------------
def test_environment():
    env = environment()
    assert env["python"] == sys.version.split()[0]
    assert isinstance(env["platform"], str) and env["platform"]
    assert set(env["packages"]) == set(PACKAGES)
    assert env["packages"]["sympy"] == sympy.__version__
    assert env["packages"]["mpmath"] == mpmath.__version__
    assert env["packages"]["numpy"] == np.__version__
    assert env["packages"]["scipy"] == scipy.__version__
    assert env["packages"]["prefix-verifier"] is not None  # installed in editable mode
    json.dumps(env)


def test_environment_names_every_package_a_verdict_rests_on_and_the_machine():
    """python-flint backs every certified verdict: the record names it (it was missing), and the machine."""
    import os

    import flint
    import gmpy2

    env = environment()
    assert {"python-flint", "mpmath", "gmpy2", "sympy", "numpy", "scipy"} <= set(env["packages"])
    assert env["packages"]["python-flint"] == flint.__version__ and env["packages"]["gmpy2"] == gmpy2.version()
    assert env["machine"]["logical_cores"] == os.cpu_count() and env["machine"]["cpu"]
    assert "weights" not in env  # no model is used yet
    assert environment({"model.safetensors": "sha256:ab"})["weights"] == {"model.safetensors": "sha256:ab"}


def test_cpu_model_reads_model_name_and_falls_back(tmp_path):
    import platform

    from verifier.run import cpu_model

    (tmp_path / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t: fpu\n")
    assert cpu_model(str(tmp_path / "cpuinfo")) == "Example CPU @ 2.0GHz"
    (tmp_path / "none").write_text("processor\t: 0\n")
    fallback = platform.processor() or platform.machine() or "unknown"
    assert cpu_model(str(tmp_path / "none")) == fallback == cpu_model(str(tmp_path / "missing"))


def test_environment_recorded_in_result(result):
    assert result.environment == environment()


def test_refutation_message_says_how_the_value_was_found():
    exact = ClaimResult("H.lipschitz.outer", "Φ is L-Lipschitz", Verdict.FAIL, Kind.HYPOTHESIS, "exact", value=2.5,
                        bound=1.0, evidence=Evidence.EXACT)
    sampled = ClaimResult("H.bound", "‖f‖ ≤ B", Verdict.FAIL, Kind.HYPOTHESIS, "sampled", value=4.0, bound=1.0)
    message = refutation_message([exact, sampled])
    assert "the exact value is 2.5" in message and "sampling found 4" in message
    assert message.count("sampling found") == 1


@pytest.mark.parametrize("theorem,options", [("single-head", {"dim": 1, "eps": "0.2"}), ("seq2seq", {"n": 2, "eps": "0.1",
                                                                                                   "target": "running-mean"})])
def test_claim_times_lie_within_the_run(theorem, options, request):
    """A claim's seconds (its sampling and branch and bound) is ≥ 0 and at most the run's wall time; the sampled
    sups carry their search's time (a loop variable once overwrote the start time and gave −6104 s)."""
    result = request.getfixturevalue("result") if (theorem, options) == ("single-head", BASE) else run(theorem, options)
    timed = [c for c in result.claims if c.seconds is not None]
    assert timed and all(0 <= c.seconds <= result.wall_time_s for c in timed)
    assert all(c.points for c in result.claims if c.id.endswith(".sup"))


def test_a_fail_while_a_hypothesis_is_unproven_is_inconclusive(monkeypatch):
    """The theorem says nothing outside its hypotheses: a FAIL with H.lipschitz INCONCLUSIVE refutes neither it nor the
    verifier (INCONCLUSIVE, the reason in the facts); with every hypothesis PASS the same FAIL stays FAIL (the control)."""
    theorem = get("single-head")
    real = theorem.hypotheses

    def unproven(params):
        return [replace(c, verdict=Verdict.INCONCLUSIVE) if c.id == "H.lipschitz" else c for c in real(params)]

    options = {**BASE, "tamper": "wrong-values", "cert_cells": "5000"}
    assert run("single-head", options).verdict is Verdict.FAIL
    monkeypatch.setattr(theorem, "hypotheses", unproven)
    result = run("single-head", options)
    assert result.verdict is Verdict.INCONCLUSIVE and any(c.verdict is Verdict.FAIL for c in result.claims)
    assert "not established" in result.facts["unproven_hypotheses"] and "H.lipschitz" in result.facts["unproven_hypotheses"]
