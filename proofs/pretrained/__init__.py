"""R1, E1's construction inside a real pretrained attention head (docs/pretrained.md).

Modules: ``weights`` (safetensors + config.json → per-layer, per-head weights), ``layer`` / ``realism`` / ``testing``
(the plain numpy layer, measured facts, a random test model), ``construction`` (frame E, affine reduction, exact rank,
minimum-norm keys, output frame), ``instance`` (one instance, built once), ``enclosure`` (the certified constants and
the branch and bound), ``evaluator`` (the sampled closed form), ``claims`` and ``check`` (the claims and facts),
``choices`` (the tamper modes), ``theorem`` (options and the registered object; light at import).
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
