"""IH, a worked example of a theorem package: a prefixed one-dimensional head on [0, 1] (interval-head.md).

Modules: ``formulas`` (every formula once, in sympy), ``construction`` (the instance and the prefix), ``evaluator``
(the error and its near/far split, the sup search on [0, 1]), ``claims``, ``cost``, ``figures``, ``theorem`` (options
and the registered object). The entry point ``interval-head = "interval_head:THEOREM"`` registers it.
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
