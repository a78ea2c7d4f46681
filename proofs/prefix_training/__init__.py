"""O1, prefix versus training: the fewest parameters of an H0 prefix and of a one-hidden-layer tanh network whose
sup error against a target on S^m is certified ≤ ε (docs/prefix-training.md).

Modules: ``models`` (the free prefix and the tanh network), ``surrogate``, ``starts`` and ``fit`` (the optimisers),
``certificate`` (the certified verdict of one model), ``cell_bounds`` (its cell enclosures: H0's with keys of any
norm, centred forms), ``search`` (the smallest size found), ``tasks`` (one task of the study), ``tables`` (the result,
table and figures), ``study`` (the registered study; light at import).
"""
from .study import STUDY

__all__ = ["STUDY"]
