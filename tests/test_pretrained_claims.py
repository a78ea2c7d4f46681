"""proofs/pretrained/claims.py: each R1 claim passes on the honest construction and fails on its negative control."""
from types import SimpleNamespace

import numpy as np
import pytest
from flint import arb

from pretrained_helpers import instance
from proofs.pretrained import claims as R
from proofs.pretrained import construction as C
from proofs.pretrained.evaluator import R1Evaluator
from proofs.pretrained.testing import write_random_bert
from verifier.claims import Evidence, Kind, Verdict
from verifier.domains import Sphere


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4)


@pytest.fixture(scope="module")
def honest(folder):
    return instance(folder)


def test_claim_ball_le():
    assert R.claim_ball_le("x", "s", arb("0.5 +/- 0.1"), 1, Kind.PROOF_STEP, "m").verdict is Verdict.PASS
    assert R.claim_ball_le("x", "s", arb("2 +/- 0.1"), 1, Kind.PROOF_STEP, "m").verdict is Verdict.FAIL
    assert R.claim_ball_le("x", "s", arb("1 +/- 0.1"), 1, Kind.PROOF_STEP, "m").verdict is Verdict.INCONCLUSIVE
    tiny = R.claim_ball_le("x", "s", arb("1e-5000"), 1, Kind.PROOF_STEP, "m")
    assert tiny.value == 0.0 and tiny.value_text.startswith("1.0e-5000") and tiny.evidence is Evidence.CERTIFIED


def test_weights_and_rank(honest):
    assert R.weights_claim(honest).verdict is Verdict.PASS
    assert R.rank_claim(honest).verdict is Verdict.PASS


def test_rank_fails_for_a_degenerate_query(honest):
    degenerate = np.zeros_like(honest.head.W_Q)
    fake = SimpleNamespace(query=C.affine(degenerate, honest.head.b_Q, honest.head, honest.frame),
                           params=SimpleNamespace(dim=1, head=2))
    assert R.rank_claim(fake).verdict is Verdict.FAIL


def test_reduction(folder, honest):
    assert R.reduction_claim(honest).verdict is Verdict.PASS
    uncentred = R.reduction_claim(instance(folder, tamper="frame-not-centred"))
    assert uncentred.verdict is Verdict.FAIL and uncentred.evidence is Evidence.EXACT and "1ᵀB" in uncentred.detail
    other = R.reduction_claim(instance(folder, tamper="other-head"))
    assert other.verdict is Verdict.FAIL and other.value > 1


def test_content_score(honest):
    evaluator, X = R1Evaluator(honest), Sphere(1).scan_points(2000, 0)
    assert R.content_score_claim(honest, evaluator, X).verdict is Verdict.PASS
    understated = arb(float(np.median(evaluator.content_score_f64(X))))
    assert R.content_score_claim(honest, evaluator, X, bound=understated).verdict is Verdict.FAIL


def test_leak(honest):
    claim = R.leak_claim(honest)
    assert claim.verdict is Verdict.PASS and claim.evidence is Evidence.CERTIFIED


def test_two_paths(honest):
    evaluator = R1Evaluator(honest)
    sups = evaluator.sups()
    assert R.two_paths(honest, evaluator, sups).verdict is Verdict.PASS

    class Shifted(R1Evaluator):  # negative control: a closed form off by 1e-6
        def output_f64(self, X):
            return super().output_f64(X) + 1e-6

    assert R.two_paths(honest, Shifted(honest), sups).verdict is Verdict.FAIL
