"""How real is a prefix: measured facts (not claims) about a prefix built for head h of layer ℓ.

**Prefix norms against the model's own.** The reference activations are the model's own for its vocabulary: REFERENCE_TOKENS
token ids evenly spaced over the vocabulary (all of it when it is smaller), each presented alone as a one-token
sequence at position 0 with token type 0 (no [CLS] or [SEP]), pushed through the stored layers in full:

    r_0 = word[t] + position[0] + type[0]                                 (the stream before layer 0's LayerNorm)
    h_ℓ = LN_ℓ(r_ℓ)    a_ℓ = W_O (W_V h_ℓ + b_V) + b_O                      (one token attends only to itself)
    h'_ℓ = LN_attn(a_ℓ + h_ℓ)    r_{ℓ+1} = W_2 GELU(W_1 h'_ℓ + b_1) + b_2 + h'_ℓ

(post-LN BERT: LN_ℓ is ``embeddings.LayerNorm`` for ℓ = 0 and ``encoder.layer.(ℓ−1).output.LayerNorm`` after;
GELU(z) = z·Φ(z), BERT's exact ``gelu``). These are activations the model really computes (for one-token inputs),
so for every layer the reference is the model's own keys k(t) = W_K^h LN_ℓ(r_ℓ) + b_K^h and values
v(t) = W_V^h LN_ℓ(r_ℓ) + b_V^h at that layer. The facts are max_i ‖k_i‖ and max_i ‖v_i‖ of the prefix, the medians
of ‖k(t)‖ and ‖v(t)‖ over the reference tokens, and the ratios max prefix / median model.

**Arithmetic.** The error ‖o(x) − U f(x)‖ at given points x when the whole layer (all heads, the prefix in head h:
:func:`proofs.pretrained.layer.self_attention`) runs in float64, float32 or bfloat16 (weights, the prefix and every
activation rounded), the content being T copies of E x (the stream before the LayerNorm), o(x) head h's output.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from verifier.errors import InputError

from .layer import DTYPES, self_attention
from .weights import LayerWeights, Model

REFERENCE_TOKENS = 2048


def reference_tokens(vocab_size: int) -> np.ndarray:
    """REFERENCE_TOKENS token ids evenly spaced over 0 … V − 1 (rounded), or all V when V is smaller."""
    if vocab_size <= REFERENCE_TOKENS:
        return np.arange(vocab_size)
    return np.unique(np.linspace(0, vocab_size - 1, REFERENCE_TOKENS).round().astype(np.int64))


def layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    """γ ⊙ (x − mean x)/√(var x + ε) + β per row (biased variance), in float64."""
    centred = x - x.mean(axis=1, keepdims=True)
    return gamma * centred / np.sqrt((centred * centred).mean(axis=1, keepdims=True) + eps) + beta


def gelu(z: np.ndarray) -> np.ndarray:
    """z·Φ(z) = z (1 + erf(z/√2))/2: BERT's ``gelu``."""
    from scipy.special import erf

    return 0.5 * z * (1 + erf(z / np.sqrt(2)))


@lru_cache(maxsize=16)
def reference_stream(model: Model, ell: int) -> np.ndarray:
    """r_ℓ of the reference tokens (module docstring): the stream before layer ℓ's LayerNorm, float64, one row per
    token (cached per model and layer; r_ℓ is computed from r_{ℓ−1})."""
    if ell == 0:
        ids = reference_tokens(model.tensor("embeddings.word_embeddings.weight").shape[0])
        return (model.tensor("embeddings.word_embeddings.weight")[ids].astype(np.float64)
                + model.tensor("embeddings.position_embeddings.weight")[0]
                + model.tensor("embeddings.token_type_embeddings.weight")[0])
    activation = model.config.get("hidden_act", "gelu")
    if activation != "gelu":
        raise InputError(f"the model's hidden_act is {activation!r}; the reference activations past layer 0 need BERT's "
                         "'gelu' (use --layer 0, or a model with hidden_act 'gelu')")
    below, p = model.layer(ell - 1), f"encoder.layer.{ell - 1}."
    h = layer_norm(reference_stream(model, ell - 1), below.ln_gamma, below.ln_beta, below.ln_eps)
    attended = (h @ below.value_weight.T + below.value_bias) @ below.output_weight.T + below.output_bias
    t = model.tensor
    h2 = layer_norm(attended + h, t(p + "attention.output.LayerNorm.weight"), t(p + "attention.output.LayerNorm.bias"),
                    below.ln_eps)
    inner = gelu(h2 @ t(p + "intermediate.dense.weight").T + t(p + "intermediate.dense.bias"))
    return inner @ t(p + "output.dense.weight").T + t(p + "output.dense.bias") + h2


def model_keys_values(model: Model, ell: int, head: int) -> tuple[np.ndarray, np.ndarray]:
    """The keys and values (rows, d_h) head h of layer ℓ computes for the reference tokens."""
    layer = model.layer(ell)
    w = layer.head(head)
    u = layer_norm(reference_stream(model, ell), layer.ln_gamma, layer.ln_beta, layer.ln_eps)
    return u @ w.W_K.T + w.b_K, u @ w.W_V.T + w.b_V


def prefix_norm_ratios(model: Model, layer: int, head: int, keys: np.ndarray, values: np.ndarray) -> dict:
    """The prefix's largest key and value norms against the medians of the model's own at that head (module
    docstring): max prefix / median model."""
    own_keys, own_values = model_keys_values(model, layer, head)
    key_max = float(np.linalg.norm(np.asarray(keys, dtype=np.float64), axis=1).max())
    value_max = float(np.linalg.norm(np.asarray(values, dtype=np.float64), axis=1).max())
    key_median = float(np.median(np.linalg.norm(own_keys, axis=1)))
    value_median = float(np.median(np.linalg.norm(own_values, axis=1)))
    tokens = len(own_keys)
    return {
        "key_norm_max": key_max, "value_norm_max": value_max,
        "model_key_norm_median": key_median, "model_value_norm_median": value_median,
        "key_norm_ratio": key_max / key_median, "value_norm_ratio": value_max / value_median,
        "reference": f"{tokens} vocabulary tokens (evenly spaced ids), each alone at position 0, token type 0, "
                     f"through layers 0…{layer - 1} in full" if layer else
                     f"{tokens} vocabulary tokens (evenly spaced ids): word + position 0 + token type 0 embeddings",
    }


def arithmetic_errors(layer: LayerWeights, head: int, frame: np.ndarray, keys: np.ndarray, values: np.ndarray,
                      output_frame: np.ndarray, target_values: np.ndarray, points: np.ndarray, tokens: int) -> dict:
    """max over ``points`` x of ‖o(x) − U f(x)‖ with the layer run in each of DTYPES (module docstring): ``frame`` E
    (D × (m+1)), ``output_frame`` U (D × d), ``target_values`` f(x) (one row per point), ``tokens`` T content copies."""
    frame, points = np.asarray(frame, dtype=np.float64), np.atleast_2d(np.asarray(points, dtype=np.float64))
    targets = np.atleast_2d(np.asarray(target_values, dtype=np.float64)) @ np.asarray(output_frame, dtype=np.float64).T
    errors = {}
    for dtype in DTYPES:
        worst = 0.0
        for x, target in zip(points, targets):
            stream = np.tile(frame @ x, (tokens, 1))
            out = self_attention(layer, stream, head=head, prefix_keys=keys, prefix_values=values, dtype=dtype)
            worst = max(worst, float(np.linalg.norm(out.per_head[head].astype(np.float64) - target, axis=1).max()))
        errors[dtype] = worst
    return errors
