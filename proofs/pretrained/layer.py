"""The plain numpy forward pass of a whole BERT self-attention layer, with a prefix in one head.

For the stream r ∈ R^{T×D} before the layer's LayerNorm (rows are tokens):

    u = γ ⊙ (r − mean r)/√(var r + ε_LN) + β                         (per row; var is the biased variance)
    q_h = u W_Q^hᵀ + b_Q^h,  k_h = u W_K^hᵀ + b_K^h,  v_h = u W_V^hᵀ + b_V^h        (T × d_h, each head h)
    K_h = [P_K; k_h],  V_h = [P_V; v_h]                                  (the prefix rows P_K, P_V (N × d_h) in head
                                                                           ``head`` only: prefix-tuning at the layer)
    α_h = softmax_rows(q_h K_hᵀ / √d_h),   z_h = α_h V_h,   o_h = z_h W_O^hᵀ  (T × D)
    total = Σ_h o_h + b_O                                               (the layer's multi-head attention output)

This is the second of F.two-paths' two paths: it shares no code with the theorem's closed form. The arithmetic is
``dtype``'s: float64, float32, or bfloat16 emulated in numpy (every weight and every intermediate result is rounded
to bfloat16 after each operation; sums and products are carried out in float32 first, as bfloat16 hardware
accumulates in float32). :func:`round_bfloat16` rounds float32 to the nearest bfloat16, ties to even.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Union

import numpy as np

from .weights import LayerWeights

DTYPES = ("float64", "float32", "bfloat16")


@dataclass(frozen=True, eq=False)
class AttentionOutput:
    """The layer's attention output split by head: ``per_head[h]`` = o_h (T × D, the output bias excluded) and
    ``bias`` = b_O."""

    per_head: np.ndarray  # (H, T, D)
    bias: np.ndarray  # (D,)

    @property
    def total(self) -> np.ndarray:
        """Σ_h o_h + b_O (T × D): the layer's multi-head attention output (summed in the parts' own float type,
        not rounded again)."""
        return self.per_head.sum(axis=0) + self.bias


def round_bfloat16(values: np.ndarray) -> np.ndarray:
    """``values`` (as float32) rounded to the nearest bfloat16 (8 exponent bits, 7 mantissa bits), ties to even,
    returned as float32: the bits b become (b + 0x7FFF + bit 16 of b) with the low 16 bits cleared. ±∞ stays ±∞;
    a finite value past bfloat16's largest rounds to ±∞ (as the hardware does); NaN stays NaN."""
    single = np.ascontiguousarray(values, dtype=np.float32)
    bits = single.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)
    return np.where(np.isnan(single), single, rounded)


def rounding(dtype: Union[str, type]) -> tuple[type, Callable[[np.ndarray], np.ndarray]]:
    """The numpy type the arithmetic runs in and the rounding applied after each operation, for ``dtype``
    (float64, float32 or "bfloat16"); ValueError naming the choices otherwise."""
    try:
        name = "bfloat16" if isinstance(dtype, str) and dtype == "bfloat16" else np.dtype(dtype).name
    except TypeError:
        name = str(dtype)
    if name == "float64":
        return np.float64, lambda a: np.asarray(a, dtype=np.float64)
    if name == "float32":
        return np.float32, lambda a: np.asarray(a, dtype=np.float32)
    if name == "bfloat16":
        return np.float32, round_bfloat16
    raise ValueError(f"dtype {dtype!r}: choose one of {', '.join(DTYPES)}")


def self_attention(layer: LayerWeights, residual: np.ndarray, *, head: Optional[int] = None,
                   prefix_keys: Optional[np.ndarray] = None, prefix_values: Optional[np.ndarray] = None,
                   dtype: Union[str, type] = np.float64) -> AttentionOutput:
    """The layer's attention output for the stream ``residual`` (T × D, before the LayerNorm), with the prefix
    keys and values (N × d_h) inserted in head ``head`` (module docstring), computed in ``dtype``."""
    if (prefix_keys is None) != (prefix_values is None) or (prefix_keys is not None and head is None):
        raise ValueError("a prefix needs head, prefix_keys and prefix_values together")
    kind, r = rounding(dtype)
    x = r(residual)
    if x.ndim != 2 or x.shape[1] != layer.query_weight.shape[1]:
        raise ValueError(f"residual must be T × {layer.query_weight.shape[1]}, got {x.shape}")
    centred = r(x - r(x.mean(axis=1, keepdims=True)))
    variance = r((centred * centred).mean(axis=1, keepdims=True))
    normed = r(centred / r(np.sqrt(r(variance + kind(layer.ln_eps)))))
    u = r(r(normed * r(layer.ln_gamma)) + r(layer.ln_beta))
    scale = r(np.sqrt(kind(layer.head_dim)))
    outputs = []
    for h in range(layer.num_heads):
        w = layer.head(h)
        q, k, v = (r(r(u @ r(weight).T) + r(bias)) for weight, bias in ((w.W_Q, w.b_Q), (w.W_K, w.b_K), (w.W_V, w.b_V)))
        if h == head and prefix_keys is not None:
            k = np.concatenate([r(prefix_keys), k])
            v = np.concatenate([r(prefix_values), v])
        scores = r(r(q @ k.T) / scale)
        weights = r(np.exp(r(scores - scores.max(axis=1, keepdims=True))))
        alpha = r(weights / r(weights.sum(axis=1, keepdims=True)))
        outputs.append(r(r(alpha @ v) @ r(w.W_O).T))
    return AttentionOutput(np.stack(outputs), r(layer.output_bias))
