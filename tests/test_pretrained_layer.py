"""proofs/pretrained/layer.py: the numpy forward pass of a BERT self-attention layer, per head, with a prefix in one
head, in float64 / float32 / emulated bfloat16."""
import numpy as np
import pytest

from proofs.pretrained.layer import AttentionOutput, round_bfloat16, rounding, self_attention
from proofs.pretrained.testing import write_random_bert
from proofs.pretrained.weights import load_model


@pytest.fixture(scope="module")
def random_model(tmp_path_factory):
    return load_model(write_random_bert(tmp_path_factory.mktemp("bert")))


@pytest.fixture(scope="module")
def packaged():
    return load_model()


def full_attention(layer, residual, head=None, prefix_keys=None, prefix_values=None):
    """The usual multi-head attention in one piece: LayerNorm, the D×D projections as single matmuls, a reshape to
    (H, T, d_h), the prefix concatenated in one head, one softmax, the concatenated heads through output.dense."""
    H, d = layer.num_heads, layer.head_dim
    x = residual.astype(np.float64)
    mu, var = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    u = layer.ln_gamma * (x - mu) / np.sqrt(var + layer.ln_eps) + layer.ln_beta
    T = len(u)

    def split(weight, bias):
        return (u @ weight.T.astype(np.float64) + bias).reshape(T, H, d).transpose(1, 0, 2)

    q, k, v = split(layer.query_weight, layer.query_bias), split(layer.key_weight, layer.key_bias), \
        split(layer.value_weight, layer.value_bias)
    z = np.empty((H, T, d))
    for h in range(H):
        keys, values = (np.vstack([prefix_keys, k[h]]), np.vstack([prefix_values, v[h]])) if h == head else (k[h], v[h])
        s = q[h] @ keys.T / np.sqrt(d)
        a = np.exp(s - s.max(1, keepdims=True))
        z[h] = (a / a.sum(1, keepdims=True)) @ values
    return z.transpose(1, 0, 2).reshape(T, H * d) @ layer.output_weight.T.astype(np.float64) + layer.output_bias


def residual_of(model, T=5, seed=1):
    return np.random.default_rng(seed).standard_normal((T, model.hidden_size))


def prefix_of(model, N=3, seed=2):
    rng = np.random.default_rng(seed)
    return 3 * rng.standard_normal((N, model.head_dim)), rng.standard_normal((N, model.head_dim))


@pytest.mark.parametrize("which", ["random_model", "packaged"])
@pytest.mark.parametrize("ell", [0, 1])
def test_heads_plus_bias_reproduce_the_full_layer(request, which, ell):
    model = request.getfixturevalue(which)
    layer, r = model.layer(ell), residual_of(model)
    out = self_attention(layer, r)
    assert out.per_head.shape == (model.num_heads, len(r), model.hidden_size)
    np.testing.assert_allclose(out.total, full_attention(layer, r), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("which", ["random_model", "packaged"])
def test_prefix_goes_into_one_head_only(request, which):
    model = request.getfixturevalue(which)
    layer, r, head = model.layer(1), residual_of(model), model.num_heads - 1
    keys, values = prefix_of(model)
    plain = self_attention(layer, r)
    prefixed = self_attention(layer, r, head=head, prefix_keys=keys, prefix_values=values)
    np.testing.assert_allclose(prefixed.total, full_attention(layer, r, head, keys, values), rtol=1e-10, atol=1e-10)
    others = [h for h in range(model.num_heads) if h != head]
    np.testing.assert_array_equal(prefixed.per_head[others], plain.per_head[others])
    assert np.abs(prefixed.per_head[head] - plain.per_head[head]).max() > 1e-3


def test_the_comparison_catches_a_wrong_layer(random_model):
    """Negative controls of the comparison above: the prefix in another head, or output.dense's columns of two heads
    swapped, are told apart from the layer."""
    layer, r = random_model.layer(0), residual_of(random_model)
    keys, values = prefix_of(random_model)
    wrong_head = self_attention(layer, r, head=0, prefix_keys=keys, prefix_values=values).total
    assert not np.allclose(wrong_head, full_attention(layer, r, 1, keys, values), rtol=1e-6, atol=1e-6)
    d = layer.head_dim
    swapped = layer.output_weight.copy()
    swapped[:, :d], swapped[:, d:2 * d] = layer.output_weight[:, d:2 * d], layer.output_weight[:, :d]
    from dataclasses import replace
    assert not np.allclose(self_attention(replace(layer, output_weight=swapped), r).total, full_attention(layer, r),
                           rtol=1e-6, atol=1e-6)


def test_a_dominant_prefix_key_takes_the_head():
    """A prefix key far along every query makes head h's output W_O^h v of that prefix token (softmax over the prefix
    and content positions together)."""
    from proofs.pretrained.testing import random_bert_tensors
    from proofs.pretrained.weights import LayerWeights

    t = random_bert_tensors(layers=1, hidden=16, heads=2)
    p = "encoder.layer.0.attention."
    layer = LayerWeights(0, 2, 8, t[p + "self.query.weight"], t[p + "self.query.bias"], t[p + "self.key.weight"],
                         t[p + "self.key.bias"], t[p + "self.value.weight"], t[p + "self.value.bias"],
                         t[p + "output.dense.weight"], t[p + "output.dense.bias"], t["embeddings.LayerNorm.weight"],
                         t["embeddings.LayerNorm.bias"], 1e-12)
    r = np.random.default_rng(0).standard_normal((4, 16))
    q = plain_queries(layer, r, 1)
    key = 1e4 * np.linalg.lstsq(q, np.ones(len(q)), rcond=None)[0]  # ⟨q_t, key⟩ = 10⁴ for every token t
    value = np.arange(8.0)
    out = self_attention(layer, r, head=1, prefix_keys=key[None], prefix_values=value[None])
    np.testing.assert_allclose(out.per_head[1], np.tile(layer.head(1).W_O @ value, (4, 1)), rtol=1e-9, atol=1e-9)


def plain_queries(layer, r, h):
    x = r - r.mean(1, keepdims=True)
    u = layer.ln_gamma * x / np.sqrt(x.var(1, keepdims=True) + layer.ln_eps) + layer.ln_beta
    w = layer.head(h)
    return u @ w.W_Q.T.astype(np.float64) + w.b_Q


@pytest.mark.parametrize("value, expected", [
    (1.0, 1.0),
    (1 + 2.0 ** -8, 1.0),                          # a tie: to the even neighbour 1
    (1 + 3 * 2.0 ** -8, 1 + 2.0 ** -6),            # a tie between 1 + 2⁻⁷ (odd) and 1 + 2⁻⁶ (even)
    (1 + 2.0 ** -8 + 2.0 ** -20, 1 + 2.0 ** -7),   # just past the tie: up
    (-(1 + 2.0 ** -8 + 2.0 ** -20), -(1 + 2.0 ** -7)),
    (3.14159265, 3.140625),                        # π: 0x40490FDB → 0x40490000
    (0.1, 0.10009765625),                          # 0x3DCCCCCD → 0x3DCD0000 (up: past the tie)
    (2.0 ** -130, 2.0 ** -130),                    # a subnormal with few bits is kept
    (3.4e38, np.inf),                              # past bfloat16's largest, 3.3895e38: to infinity
    (-np.inf, -np.inf),
    (0.0, 0.0),
])
def test_round_bfloat16_known_values(value, expected):
    got = round_bfloat16(np.array([value]))
    assert got.dtype == np.float32
    assert got[0] == np.float32(expected)
    assert (got.view(np.uint32)[0] & 0xFFFF) == 0


def test_round_bfloat16_keeps_nan_and_is_idempotent():
    assert np.isnan(round_bfloat16(np.array([np.nan])))[0]
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    once = round_bfloat16(x)
    np.testing.assert_array_equal(round_bfloat16(once), once)
    assert np.all(np.abs(once - x) <= np.abs(x) * 2.0 ** -8)  # half an ulp of 8 significant bits


def test_dtypes_round_every_step(random_model):
    layer, r = random_model.layer(1), residual_of(random_model)
    keys, values = prefix_of(random_model)
    runs = {dtype: self_attention(layer, r, head=2, prefix_keys=keys, prefix_values=values, dtype=dtype)
            for dtype in (np.float64, np.float32, "bfloat16")}
    outs = {dtype: run.per_head[2] for dtype, run in runs.items()}
    assert outs[np.float32].dtype == np.float32
    for part in (runs["bfloat16"].per_head, runs["bfloat16"].bias):  # every result is a bfloat16 number
        assert np.all(part.view(np.uint32) & 0xFFFF == 0)
    scale = np.abs(outs[np.float64]).max()
    e32 = np.abs(outs[np.float32] - outs[np.float64]).max() / scale
    e16 = np.abs(outs["bfloat16"] - outs[np.float64]).max() / scale
    assert 0 < e32 < 1e-5
    assert 1e-4 < e16 < 0.1
    assert e16 > 100 * e32


def test_bad_arguments():
    with pytest.raises(ValueError, match="float64, float32, bfloat16"):
        rounding("float16")
    with pytest.raises(ValueError, match="float64, float32, bfloat16"):
        rounding("nonsense")


def test_total_is_heads_plus_bias():
    out = AttentionOutput(np.ones((3, 2, 4)), np.arange(4.0))
    np.testing.assert_array_equal(out.total, 3 + np.arange(4.0)[None].repeat(2, 0))
