"""The paper's own rate that several theorems' sweeps compare with (P2), as a sympy expression in m.

P2: the prefix length of the Jackson-type construction grows like ε^−(4m² + 14m + 10) on S^m.

The expression is built on first use (:func:`p2_exponent_expr`): theorems name ``p2_exponent`` in their
declaration, which ``verifier list`` loads without sympy.
"""
from __future__ import annotations

from functools import lru_cache

P2_LABEL = "P2: 4m²+14m+10"  # how a sweep names the rate


@lru_cache(maxsize=1)
def p2_exponent_expr():
    """(m, 4m² + 14m + 10) with m the positive integer sympy symbol ``m``."""
    import sympy

    m = sympy.Symbol("m", positive=True, integer=True)
    return m, 4 * m**2 + 14 * m + 10


def p2_exponent(dim: int) -> int:
    """4m² + 14m + 10 at m = ``dim``."""
    m, exponent = p2_exponent_expr()
    return int(exponent.subs(m, dim))
