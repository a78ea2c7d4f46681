"""E2, the smoothing route (docs/smoothing.md): von Mises–Fisher kernel, partition quadrature, prefix.

Modules: ``rules`` (quadrature rules that are partitions), ``kernel`` (C_m, A_m, f_κ, V2),
``construction`` (κ, rule size, prefix, evaluator of the error split), ``claims`` (E2's claims), ``choices`` (rule
names, tamper modes), ``theorem`` (the registered object; light at import: each method imports what it runs).
"""
from .theorem import THEOREM

__all__ = ["THEOREM"]
