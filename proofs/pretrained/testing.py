"""A small random BERT-layout model for tests: ``write_random_bert(folder)`` writes ``model.safetensors`` and
``config.json`` with every tensor a BERT encoder stores (the layout of all-MiniLM-L6-v2, PyTorch ``[out, in]``
matrices), so the loader, the layer's forward pass, the realism facts and the audit run on data the tests make
themselves, in milliseconds.

Entries are float32 draws of a seeded generator: matrices N(0, 1/D) (so scores stay of order one), biases N(0, 0.02²),
LayerNorm γ = 1 + N(0, 0.1²) and β = N(0, 0.1²), embeddings N(0, 1). The same arguments give the same bytes.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

MAX_POSITIONS = 16
TYPE_VOCAB = 2


def random_bert_tensors(*, layers: int = 2, hidden: int = 64, heads: int = 4, vocab: int = 50, seed: int = 0) -> dict[str, np.ndarray]:
    """The tensors of a random BERT encoder by their stored names (float32, ``[out, in]`` matrices)."""
    if hidden % heads:
        raise ValueError(f"hidden {hidden} is not a multiple of heads {heads}")
    rng = np.random.default_rng(seed)
    inner = 4 * hidden  # the intermediate (feed-forward) width, as in BERT

    def matrix(rows: int, cols: int) -> np.ndarray:
        return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)

    def bias(n: int) -> np.ndarray:
        return (0.02 * rng.standard_normal(n)).astype(np.float32)

    def layer_norm(prefix: str) -> dict[str, np.ndarray]:
        return {f"{prefix}.weight": (1 + 0.1 * rng.standard_normal(hidden)).astype(np.float32),
                f"{prefix}.bias": (0.1 * rng.standard_normal(hidden)).astype(np.float32)}

    tensors = {
        "embeddings.word_embeddings.weight": rng.standard_normal((vocab, hidden)).astype(np.float32),
        "embeddings.position_embeddings.weight": rng.standard_normal((MAX_POSITIONS, hidden)).astype(np.float32),
        "embeddings.token_type_embeddings.weight": rng.standard_normal((TYPE_VOCAB, hidden)).astype(np.float32),
        "embeddings.position_ids": np.arange(MAX_POSITIONS, dtype=np.int64)[None, :],
        **layer_norm("embeddings.LayerNorm"),
    }
    for ell in range(layers):
        p = f"encoder.layer.{ell}"
        for name in ("query", "key", "value"):
            tensors[f"{p}.attention.self.{name}.weight"] = matrix(hidden, hidden)
            tensors[f"{p}.attention.self.{name}.bias"] = bias(hidden)
        tensors[f"{p}.attention.output.dense.weight"] = matrix(hidden, hidden)
        tensors[f"{p}.attention.output.dense.bias"] = bias(hidden)
        tensors.update(layer_norm(f"{p}.attention.output.LayerNorm"))
        tensors[f"{p}.intermediate.dense.weight"] = matrix(inner, hidden)
        tensors[f"{p}.intermediate.dense.bias"] = bias(inner)
        tensors[f"{p}.output.dense.weight"] = matrix(hidden, inner)
        tensors[f"{p}.output.dense.bias"] = bias(hidden)
        tensors.update(layer_norm(f"{p}.output.LayerNorm"))
    return tensors


def write_random_bert(folder, *, layers: int = 2, hidden: int = 64, heads: int = 4, vocab: int = 50,
                      seed: int = 0) -> Path:
    """Write ``folder/model.safetensors`` and ``folder/config.json`` of a random BERT encoder; returns ``folder``."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(random_bert_tensors(layers=layers, hidden=hidden, heads=heads, vocab=vocab, seed=seed),
              str(folder / "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_size": hidden,
              "num_attention_heads": heads, "num_hidden_layers": layers, "intermediate_size": 4 * hidden,
              "layer_norm_eps": 1e-12, "vocab_size": vocab, "max_position_embeddings": MAX_POSITIONS,
              "type_vocab_size": TYPE_VOCAB, "hidden_act": "gelu", "position_embedding_type": "absolute"}
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return folder
