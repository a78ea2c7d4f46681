"""proofs/pretrained/realism.py: the prefix's norms against the model's own keys and values, and the error of the
forward pass in float64 / float32 / bfloat16."""
import numpy as np
import pytest

from proofs.pretrained import realism
from proofs.pretrained.layer import self_attention
from proofs.pretrained.testing import write_random_bert
from proofs.pretrained.weights import load_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load_model(write_random_bert(tmp_path_factory.mktemp("bert"), layers=3, vocab=40))


def test_reference_tokens():
    assert list(realism.reference_tokens(5)) == [0, 1, 2, 3, 4]
    ids = realism.reference_tokens(30522)
    assert len(ids) == realism.REFERENCE_TOKENS and ids[0] == 0 and ids[-1] == 30521
    assert np.all(np.diff(ids) > 0)


def test_layer_zero_reference_is_the_embeddings(model):
    t = model.tensor
    expected = t("embeddings.word_embeddings.weight")[7] + t("embeddings.position_embeddings.weight")[0] + \
        t("embeddings.token_type_embeddings.weight")[0]
    np.testing.assert_allclose(realism.reference_stream(model, 0)[7], expected, rtol=1e-6)


def test_deeper_reference_is_the_one_token_forward_pass(model):
    """r_1 of a token = the layer-0 attention of the one-token sequence (layer.self_attention: a second path), then
    the residual, LayerNorm, GELU feed-forward and residual written out here."""
    token = 11
    r0 = realism.reference_stream(model, 0)[token:token + 1]
    layer, t, p = model.layer(0), model.tensor, "encoder.layer.0."
    h = realism.layer_norm(r0, layer.ln_gamma, layer.ln_beta, layer.ln_eps)
    a = self_attention(layer, r0).total
    h2 = realism.layer_norm(a + h, t(p + "attention.output.LayerNorm.weight"), t(p + "attention.output.LayerNorm.bias"),
                            layer.ln_eps)
    z = h2 @ t(p + "intermediate.dense.weight").T.astype(np.float64) + t(p + "intermediate.dense.bias")
    from math import erf, sqrt
    g = z * 0.5 * (1 + np.vectorize(erf)(z / sqrt(2)))
    expected = g @ t(p + "output.dense.weight").T.astype(np.float64) + t(p + "output.dense.bias") + h2
    np.testing.assert_allclose(realism.reference_stream(model, 1)[token], expected[0], rtol=1e-9, atol=1e-9)
    assert not np.allclose(realism.reference_stream(model, 2)[token], expected[0], atol=1e-3)  # a layer further on


def test_prefix_norm_ratios_against_the_models_own(model):
    keys, values = realism.model_keys_values(model, 1, 2)
    own = realism.prefix_norm_ratios(model, 1, 2, keys, values)
    norms = np.linalg.norm(keys, axis=1)
    assert own["key_norm_max"] == pytest.approx(norms.max())
    assert own["model_key_norm_median"] == pytest.approx(np.median(norms))
    assert own["key_norm_ratio"] == pytest.approx(norms.max() / np.median(norms))
    scaled = realism.prefix_norm_ratios(model, 1, 2, 1000 * keys[:3], 10 * values[:3])
    assert scaled["key_norm_ratio"] == pytest.approx(1000 * np.linalg.norm(keys[:3], axis=1).max() / np.median(norms))
    assert scaled["value_norm_ratio"] == pytest.approx(10 * np.linalg.norm(values[:3], axis=1).max()
                                                       / own["model_value_norm_median"])
    assert "through layers 0…0" in own["reference"]
    assert "position 0" in realism.prefix_norm_ratios(model, 0, 2, keys, values)["reference"]
    other = realism.prefix_norm_ratios(model, 1, 3, keys, values)  # another head's keys: another median
    assert other["model_key_norm_median"] != pytest.approx(own["model_key_norm_median"])


def test_packaged_layer_zero_reference():
    packaged = load_model()
    facts = realism.prefix_norm_ratios(packaged, 0, 0, np.ones((2, 32)), np.ones((2, 32)))
    assert facts["key_norm_max"] == pytest.approx(np.sqrt(32))
    assert 0.1 < facts["model_key_norm_median"] < 100  # the packaged model's own key norms are of order one to ten
    assert "2048 vocabulary tokens" in facts["reference"]


def head_output(layer, head, x_stream, keys, values):
    """Head ``head``'s output for one content token (one row of the stream), written out in float64."""
    w = layer.head(head)
    u = realism.layer_norm(x_stream[None], layer.ln_gamma, layer.ln_beta, layer.ln_eps)[0]
    q = w.W_Q @ u + w.b_Q
    K = np.vstack([keys, w.W_K @ u + w.b_K])
    V = np.vstack([values, w.W_V @ u + w.b_V])
    s = K @ q / np.sqrt(w.head_dim)
    a = np.exp(s - s.max())
    return w.W_O @ (a / a.sum() @ V)


def test_arithmetic_errors(model):
    layer, head, D = model.layer(1), 1, model.hidden_size
    rng = np.random.default_rng(3)
    frame, _ = np.linalg.qr(rng.standard_normal((D, 2)))
    output_frame, _ = np.linalg.qr(rng.standard_normal((D, 1)))
    keys, values = (rng.standard_normal((5, model.head_dim)) * 3).astype(np.float32), \
        rng.standard_normal((5, model.head_dim)).astype(np.float32)
    points = np.array([[1.0, 0.0], [0.6, 0.8]])
    outputs = [head_output(layer, head, frame @ x, keys.astype(np.float64), values.astype(np.float64)) for x in points]
    targets = np.array([[output_frame[:, 0] @ o] for o in outputs])  # f(x) = Uᵀ o(x): the error is o's part off U
    errors = realism.arithmetic_errors(layer, head, frame, keys, values, output_frame, targets, points, tokens=1)
    expected = max(np.linalg.norm(o - output_frame @ f) for o, f in zip(outputs, targets))
    assert errors["float64"] == pytest.approx(expected, rel=1e-9)
    assert abs(errors["float32"] - expected) < 1e-5 * np.abs(outputs).max()
    assert abs(errors["bfloat16"] - expected) > abs(errors["float32"] - expected)
    # with a prefix, T copies of the content token weigh T times one copy: the error depends on T
    assert realism.arithmetic_errors(layer, head, frame, keys, values, output_frame, targets, points, 4)["float64"] \
        != pytest.approx(expected, rel=1e-6)
    # negative control: a target off by 1 along U shows an error of at least about 1
    worse = realism.arithmetic_errors(layer, head, frame, keys, values, output_frame, targets + 1, points, tokens=1)
    assert worse["float64"] >= 1 - 1e-9
