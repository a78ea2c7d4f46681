"""The paper's own rate that several theorems' sweeps compare with (P2), as a sympy expression in m.

P2: the prefix length of the Jackson-type construction grows like ε^−(4m² + 14m + 10) on S^m.
"""
import sympy

m = sympy.Symbol("m", positive=True, integer=True)
P2_EXPONENT = 4 * m**2 + 14 * m + 10


def p2_exponent(dim: int) -> int:
    """4m² + 14m + 10 at m = ``dim``."""
    return int(P2_EXPONENT.subs(m, dim))
