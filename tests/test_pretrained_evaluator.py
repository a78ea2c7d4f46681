"""proofs/pretrained/evaluator.py: the real head's closed form in float64 agrees with mpmath and with the plain layer
pass (proofs/pretrained/layer.py); a different head or an unprefixed layer disagrees (the comparison can fail)."""
import numpy as np
import pytest

from pretrained_helpers import instance
from proofs.pretrained.evaluator import R1Evaluator
from proofs.pretrained.layer import self_attention
from proofs.pretrained.testing import write_random_bert
from verifier.domains import Sphere


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory):
    return R1Evaluator(instance(write_random_bert(tmp_path_factory.mktemp("bert"), hidden=64, heads=4), context=3))


def test_float64_and_mpmath_agree(evaluator):
    X = Sphere(1).uniform(6, 2)
    f64 = evaluator.parts_f64(X)
    for k, x in enumerate(X):
        mp = evaluator.parts_mp(x)
        for name in ("error", "near", "far"):
            assert abs(float(mp[name]) - f64[name][k]) <= 1e-9


def layer_output(i, X, head):
    return np.array([self_attention(i.layer, np.tile(i.frame.float64 @ x, (i.params.context, 1)), head=head,
                                    prefix_keys=i.prefix.keys, prefix_values=i.prefix.values).per_head[i.params.head][0]
                     for x in X])


def test_closed_form_equals_the_layer_pass(evaluator):
    X = Sphere(1).uniform(20, 4)
    i = evaluator.i
    assert np.max(np.abs(evaluator.output_f64(X) - layer_output(i, X, i.params.head))) < 1e-12


def test_the_prefix_in_another_head_is_seen(evaluator):
    """Negative control: the layer pass with the prefix in head h+1 differs from the closed form of head h."""
    X = Sphere(1).uniform(20, 4)
    i = evaluator.i
    assert np.max(np.abs(evaluator.output_f64(X) - layer_output(i, X, (i.params.head + 1) % 4))) > 1e-3


def test_error_is_small_near_the_sampled_sup(evaluator):
    sups = evaluator.sups()
    assert sups["error"].precision_agrees and float(sups["error"].value) <= float(evaluator.i.params.eps)
    assert float(sups["error"].value) >= float(sups["near"].value) - float(sups["far"].value) - 1e-9
