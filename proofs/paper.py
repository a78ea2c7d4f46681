"""The paper's own rate that several theorems' sweeps compare with (P2), as a sympy expression in m.

P2: the prefix length of the Jackson-type construction grows like ε^−(4m² + 14m + 10) on S^m.

``m`` and ``P2_EXPONENT`` are built once, on first use (module ``__getattr__``): theorems name ``p2_exponent``
in their declaration, which ``verifier list`` loads without sympy.
"""


def _build() -> dict:
    """The module's sympy names, created on the first call."""
    if "P2_EXPONENT" not in globals():
        import sympy

        m = sympy.Symbol("m", positive=True, integer=True)
        globals().update(m=m, P2_EXPONENT=4 * m**2 + 14 * m + 10)
    return globals()


def __getattr__(name: str):
    if name in ("m", "P2_EXPONENT"):
        return _build()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def p2_exponent(dim: int) -> int:
    """4m² + 14m + 10 at m = ``dim``."""
    names = _build()
    return int(names["P2_EXPONENT"].subs(names["m"], dim))
