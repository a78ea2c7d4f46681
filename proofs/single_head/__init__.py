"""E1, the explicit single-head Jackson bound on the H0 head (docs/single-head.md).

Modules: ``formulas`` (every E1 formula once, in sympy), ``grid`` (the cube-surface grid of prefix points),
``construction`` (parameters and the prefix), ``cost`` (the resource estimate), ``evaluator`` (the sampled error
split), ``claims`` (the claims beyond verifier.claims), ``certify`` (the ball-arithmetic sup error), ``choices`` (the
tamper modes), ``theorem`` (options and the registered object; light at import: each method imports the modules it runs).
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
