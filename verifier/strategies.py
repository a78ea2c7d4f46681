"""Public hypothesis strategies for property-based tests of prefix constructions.

    sphere_points(m)            points x ∈ S^m (tuples of floats, ‖x‖ = 1 to rounding)
    lipschitz_targets(m, d)     targets f: S^m → R^d whose Lipschitz constant L and bound B are
                                *guaranteed* (computed, not claimed): sums of ridge sines
    prefixes(m, d)              prefixes (k_i, b_i, v_i) in verifier.attention's token layout, float64 arrays
    heads()                     general heads (W_Q, W_K, W_V) of any shapes, exact rational entries
    tokens(dim)                 token vectors in R^dim with exact rational entries
    sequences(n)                token sequences x ∈ [0, 1]^n (for sequence-to-sequence targets)

A ridge-sine target has components f_k(x) = Σ_t a_t·s_t(ω_t⟨w_t, x⟩) with s_t ∈ {sin, cos},
rational amplitudes a_t, integer frequencies ω_t ≥ 1 and integer directions w_t ≠ 0. Since
|s_t'| ≤ 1 and |s_t| ≤ 1, in the Euclidean (chordal) metric

    |f_k(x) − f_k(y)| ≤ L_k‖x − y‖,  L_k = Σ_t |a_t|·ω_t·‖w_t‖,     |f_k| ≤ B_k = Σ_t |a_t|,
    ‖f(x) − f(y)‖ ≤ (Σ_k L_k²)^½ ‖x − y‖,                             ‖f‖ ≤ (Σ_k B_k²)^½,

and the constants handed out are rational upper bounds of these square roots, raised by a relative
``margin`` (default 1/100) and rounded up to hundredths: the bound of cos(x1) is attained at x = (1, 0), and a constant that a
sampled value reaches is INCONCLUSIVE by design (the check cannot separate value and bound). A target's text uses
only integers, fractions p/q, + − * ( ) and sin, cos, so the project's target reader accepts it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Optional, Sequence

import numpy as np
import sympy
from hypothesis import strategies as st

from .attention import Head, Prefix
from .targets import Target

ROOT_DIGITS = 6  # rational upper bounds of square roots are k/10^6


def sqrt_upper(value: Fraction) -> Fraction:
    """The smallest k/10^6 ≥ √value (exact integer arithmetic)."""
    scale = 10**ROOT_DIGITS
    num, den = value.numerator * scale * scale, value.denominator
    root = math.isqrt(num // den)
    while Fraction(root, scale) ** 2 < value:
        root += 1
    return Fraction(root, scale)


@dataclass(frozen=True)
class RidgeTerm:
    """a·s(ω⟨w, x⟩) with s = sin or cos."""

    amplitude: Fraction
    frequency: int
    direction: tuple[int, ...]
    function: str  # "sin" or "cos"

    @property
    def lipschitz_squared_norm(self) -> int:
        """‖w‖² (an integer): the term's Lipschitz constant is |a|·ω·‖w‖."""
        return sum(c * c for c in self.direction)

    def text(self) -> str:
        """e.g. ``-3/4*sin(2*(x0 - 2*x2))``."""
        ridge = _signed_sum([(c, f"x{i}") for i, c in enumerate(self.direction)])
        return f"{_fraction_text(self.amplitude)}*{self.function}({self.frequency}*({ridge}))"

    def rotated(self, matrix: Sequence[Sequence[int]]) -> "RidgeTerm":
        """The term of f∘Rᵀ: ⟨w, Rᵀx⟩ = ⟨Rw, x⟩ (R an integer orthogonal matrix, e.g. a signed permutation)."""
        direction = tuple(sum(r * w for r, w in zip(row, self.direction)) for row in matrix)
        return RidgeTerm(self.amplitude, self.frequency, direction, self.function)


@dataclass(frozen=True)
class LipschitzTarget:
    """A ridge-sine target f: S^m → R^d with guaranteed constants (see the module docstring).

    ``text`` is the target as the user would type it; ``lipschitz`` and ``bound`` are rational upper
    bounds of its Lipschitz constant (chordal metric) and of sup ‖f‖; ``target()`` reads it."""

    m: int
    components: tuple[tuple[RidgeTerm, ...], ...]
    margin: Fraction = Fraction(1, 100)

    @property
    def d(self) -> int:
        return len(self.components)

    @property
    def text(self) -> str:
        parts = [" + ".join(t.text() for t in terms).replace("+ -", "- ") for terms in self.components]
        return parts[0] if self.d == 1 else "(" + ", ".join(parts) + ")"

    @property
    def lipschitz(self) -> Fraction:
        """(Σ_k L_k²)^½ rounded up, L_k = Σ_t |a_t|·ω_t·‖w_t‖ (each ‖w_t‖ rounded up)."""
        per_component = [sum(abs(t.amplitude) * t.frequency * sqrt_upper(Fraction(t.lipschitz_squared_norm)) for t in terms)
                         for terms in self.components]
        return self._combine(per_component)

    @property
    def bound(self) -> Fraction:
        """(Σ_k B_k²)^½ rounded up, B_k = Σ_t |a_t|."""
        return self._combine([sum(abs(t.amplitude) for t in terms) for terms in self.components])

    def _combine(self, values: list[Fraction]) -> Fraction:
        """(Σ_k v_k²)^½ rounded up (v_1 itself for d = 1), times 1 + margin, rounded up to hundredths."""
        combined = values[0] if self.d == 1 else sqrt_upper(sum(v * v for v in values))
        return _hundredths_up(combined * (1 + self.margin))

    def target(self) -> Target:
        """The :class:`~verifier.targets.Target` read from ``text`` with the guaranteed constants."""
        return Target.parse(self.text, self.m, _fraction_text(self.lipschitz), _fraction_text(self.bound))

    def rotated(self, matrix: Sequence[Sequence[int]]) -> "LipschitzTarget":
        """f∘Rᵀ for an integer orthogonal R (same constants up to the rounding of ‖Rw‖ = ‖w‖)."""
        return LipschitzTarget(self.m, tuple(tuple(t.rotated(matrix) for t in terms) for terms in self.components), self.margin)


def _hundredths_up(value: Fraction) -> Fraction:
    """The smallest k/100 ≥ value: constants with short denominators (a theorem's exact sympy arithmetic
    with a constant like 71417807/20000000 did not finish in 60 s, see the README)."""
    return Fraction(math.ceil(value * 100), 100)


def _signed_sum(terms: Sequence[tuple[int, str]]) -> str:
    """c_1·name_1 + c_2·name_2 + … written with signs and without unit coefficients: '2*x0 - x1'."""
    out = ""
    for c, name in terms:
        if c:
            sign = ("-" if c < 0 else "") if not out else (" - " if c < 0 else " + ")
            out += sign + (name if abs(c) == 1 else f"{abs(c)}*{name}")
    return out


def _fraction_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"


def _dimension(m: int) -> int:
    if not isinstance(m, int) or isinstance(m, bool) or m < 1:
        raise ValueError(f"the sphere dimension must be an integer m ≥ 1; got {m!r}")
    return m


# ---------------------------------------------------------------------------------------------
def sphere_points(m: int) -> st.SearchStrategy[tuple[float, ...]]:
    """Points of S^m ⊂ R^(m+1): a vector with entries in [−1, 1] and norm ≥ 1/4, normalised."""
    _dimension(m)
    vectors = st.lists(st.floats(-1, 1, allow_nan=False), min_size=m + 1, max_size=m + 1)
    return vectors.filter(lambda v: math.fsum(c * c for c in v) >= 1 / 16).map(
        lambda v: tuple(float(c) for c in np.asarray(v) / np.linalg.norm(v)))


def ridge_terms(m: int, max_frequency: int = 3, max_direction: int = 2) -> st.SearchStrategy[RidgeTerm]:
    """One term a·s(ω⟨w, x⟩): a = p/q with 1 ≤ |p| ≤ 4, q ∈ {1, 2, 4}; 1 ≤ ω ≤ ``max_frequency``;
    w ∈ {−max_direction..max_direction}^(m+1) \\ {0}."""
    _dimension(m)
    amplitude = st.builds(Fraction, st.integers(1, 4).flatmap(lambda p: st.sampled_from([p, -p])), st.sampled_from([1, 2, 4]))
    direction = st.lists(st.integers(-max_direction, max_direction), min_size=m + 1, max_size=m + 1).filter(any).map(tuple)
    return st.builds(RidgeTerm, amplitude, st.integers(1, max_frequency), direction, st.sampled_from(["sin", "cos"]))


def lipschitz_targets(m: int = 1, d: int = 1, max_terms: int = 3, max_frequency: int = 3,
                      max_direction: int = 2, margin: Fraction = Fraction(1, 100)) -> st.SearchStrategy[LipschitzTarget]:
    """Ridge-sine targets S^m → R^d with 1..``max_terms`` terms per component and guaranteed
    ``lipschitz`` and ``bound``, raised by the relative ``margin`` (see :class:`LipschitzTarget`)."""
    _dimension(m)
    if d < 1 or max_terms < 1 or margin < 0:
        raise ValueError(f"need d ≥ 1, max_terms ≥ 1 and margin ≥ 0; got d={d}, max_terms={max_terms}, margin={margin}")
    component = st.lists(ridge_terms(m, max_frequency, max_direction), min_size=1, max_size=max_terms).map(tuple)
    return st.lists(component, min_size=d, max_size=d).map(lambda cs: LipschitzTarget(m, tuple(cs), Fraction(margin)))


def prefixes(m: int, d: int = 1, min_length: int = 1, max_length: int = 8,
             magnitude: float = 10.0) -> st.SearchStrategy[Prefix]:
    """Prefixes of a head reading queries e(x) = (x, 1, 0_d), x ∈ S^m (verifier.attention's token layout): N tokens
    (k_i, b_i, v_i) ∈ R^(m+1) × R × R^d with entries in [−magnitude, magnitude], as float64 arrays."""
    _dimension(m)
    entry = st.floats(-magnitude, magnitude, allow_nan=False)

    def build(N: int) -> st.SearchStrategy[Prefix]:
        rows = lambda width: st.lists(st.lists(entry, min_size=width, max_size=width), min_size=N, max_size=N)  # noqa: E731
        return st.builds(lambda k, b, v: Prefix(np.array(k), np.array(b), np.array(v)),
                         rows(m + 1), st.lists(entry, min_size=N, max_size=N), rows(d))

    return st.integers(min_length, max_length).flatmap(build)


def rationals(limit: int = 2, denominator: int = 100) -> st.SearchStrategy[sympy.Rational]:
    """Exact rationals k/denominator in [−limit, limit]."""
    return st.integers(-limit * denominator, limit * denominator).map(lambda k: sympy.Rational(k, denominator))


def tokens(dim: int, limit: int = 2) -> st.SearchStrategy[tuple[sympy.Rational, ...]]:
    """A token vector in R^dim with exact rational entries in [−limit, limit]."""
    return st.lists(rationals(limit), min_size=dim, max_size=dim).map(tuple)


def heads(token_dim: Optional[int] = None, key_dim: Optional[int] = None, value_dim: Optional[int] = None,
          max_dim: int = 4, limit: int = 2) -> st.SearchStrategy[Head]:
    """General heads: W_Q, W_K ∈ R^(e×D), W_V ∈ R^(d×D) with exact rational entries in [−limit, limit];
    a dimension left None is drawn from 1..``max_dim``."""
    size = lambda fixed: st.just(fixed) if fixed is not None else st.integers(1, max_dim)  # noqa: E731

    def build(shape: tuple[int, int, int]) -> st.SearchStrategy[Head]:
        D, e, d = shape
        matrix = lambda rows: st.lists(tokens(D, limit), min_size=rows, max_size=rows).map(sympy.Matrix)  # noqa: E731
        return st.builds(Head, matrix(e), matrix(e), matrix(d))

    return st.tuples(size(token_dim), size(key_dim), size(value_dim)).flatmap(build)


def sequences(n: Optional[int] = None, max_length: int = 6) -> st.SearchStrategy[tuple[float, ...]]:
    """Token sequences x ∈ [0, 1]^n (n drawn from 1..``max_length`` when None)."""
    length = st.just(n) if n is not None else st.integers(1, max_length)
    return length.flatmap(lambda k: st.lists(st.floats(0, 1, allow_nan=False), min_size=k, max_size=k).map(tuple))


__all__ = ["LipschitzTarget", "RidgeTerm", "heads", "lipschitz_targets", "prefixes", "rationals", "ridge_terms",
           "sequences", "sphere_points", "sqrt_upper", "tokens"]
