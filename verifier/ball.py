"""Ball arithmetic (python-flint ``arb``): sympy expressions compiled to functions on balls.

An arb ball [m ± r] stands for every real number in it; every arb operation returns a ball that
contains the exact result for every choice of inputs in the input balls, rounding included. So
``compile_arb(f, xs)(X)`` for balls X_0..X_m is an *enclosure*: f(x) ∈ result for every x ∈ X.
Where f is undefined somewhere in X (log of a ball reaching 0, a pole of 1/x or tan), the result is
not finite, and every caller treats a non-finite enclosure as "not decided".

The compiler walks the sympy expression tree (never a string): Add, Mul, Pow with an integer or
rational exponent, Integer, Rational, Float, Symbol, π, e, sin, cos, tan, exp, log, sqrt, Abs, Min,
Max, sinh, cosh, tanh, atan, and the sign/Heaviside that sympy's derivatives of Abs/Max produce. A
node outside that list raises :class:`CannotCertify` naming it; the claims then stay sampled.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import sympy
from flint import arb, ctx

from .errors import InputError

PRECISION_BITS = 80  # arb working precision; the enclosures are rigorous at any precision, this keeps them tight


class CannotCertify(Exception):
    """The expression uses a function the ball back-end cannot enclose (the message names it)."""


def _min(*args: arb) -> arb:
    """Min(a_1, …, a_k) of balls: a ball containing min(t_1, …, t_k) for every t_i ∈ a_i."""
    return functools.reduce(lambda a, b: a.min(b), args)


def _max(*args: arb) -> arb:
    """Max(a_1, …, a_k) of balls: a ball containing max(t_1, …, t_k) for every t_i ∈ a_i."""
    return functools.reduce(lambda a, b: a.max(b), args)


def _abs(a: arb) -> arb:
    return abs(a)


def _sign(a: arb) -> arb:
    """sign(a) ⊂ [−1, 1]; exact where the ball excludes 0."""
    if a > 0:
        return arb(1)
    if a < 0:
        return arb(-1)
    return arb(0) if a.is_zero() else arb(0, 1)


def _heaviside(a: arb, *_: arb) -> arb:
    """Heaviside(a) ⊂ [0, 1]; exact where the ball excludes 0."""
    if a > 0:
        return arb(1)
    if a < 0:
        return arb(0)
    return arb("0.5", "0.5")


def _sqrt(a: arb) -> arb:
    return a.sqrt()


FUNCTIONS: dict[type, Callable[..., arb]] = {
    sympy.sin: lambda a: a.sin(), sympy.cos: lambda a: a.cos(), sympy.tan: lambda a: a.tan(),
    sympy.exp: lambda a: a.exp(), sympy.log: lambda a: a.log(), sympy.Abs: _abs,
    sympy.sinh: lambda a: a.sinh(), sympy.cosh: lambda a: a.cosh(), sympy.tanh: lambda a: a.tanh(),
    sympy.atan: lambda a: a.atan(), sympy.sign: _sign, sympy.Heaviside: _heaviside,
    sympy.Min: _min, sympy.Max: _max,
}


def arb_rational(q: sympy.Rational) -> arb:
    """The exact rational p/q as a ball (exact when q is a power of two, else a tight enclosure)."""
    q = sympy.Rational(q)
    return arb(int(q.p)) / arb(int(q.q))


def compile_arb(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[[Sequence[arb]], arb]:
    """f ↦ (X ↦ a ball containing f(x) for every x in the balls X), by walking the tree of ``expr``.

    Raises CannotCertify for a node the back-end does not enclose."""
    index = {s: i for i, s in enumerate(symbols)}

    def build(e: sympy.Basic) -> Callable[[Sequence[arb]], arb]:
        if isinstance(e, sympy.Symbol):
            if e not in index:
                raise CannotCertify(f"free symbol {e}")
            i = index[e]
            return lambda X: X[i]
        if isinstance(e, sympy.Rational):  # Integer included
            c = arb_rational(e)
            return lambda X: c
        if isinstance(e, sympy.Float):
            c = arb_rational(sympy.Rational(e))  # the binary value sympy holds, exactly
            return lambda X: c
        if e is sympy.pi:
            return lambda X: arb.pi()
        if e is sympy.E:
            return lambda X: arb(1).exp()
        if isinstance(e, sympy.Add):
            parts = [build(a) for a in e.args]
            return lambda X: _sum(p(X) for p in parts)
        if isinstance(e, sympy.Mul):
            parts = [build(a) for a in e.args]
            return lambda X: _product(p(X) for p in parts)
        if isinstance(e, sympy.Pow):
            return _power(build(e.base), e.exp, build)
        if e.func in FUNCTIONS:
            fn, parts = FUNCTIONS[e.func], [build(a) for a in e.args]
            return lambda X: fn(*(p(X) for p in parts))
        name = getattr(e.func, "__name__", type(e).__name__)
        raise CannotCertify(f"cannot certify: {name} (the ball back-end encloses polynomials, sin, cos, tan, exp, log, "
                            "sqrt, Abs, Min, Max, sinh, cosh, tanh, atan)")

    compiled = build(sympy.sympify(expr))

    def evaluate(X: Sequence[arb]) -> arb:
        with ctx.workprec(PRECISION_BITS):
            return compiled(X)

    return evaluate


def _sum(values) -> arb:
    out = arb(0)
    for v in values:
        out += v
    return out


def _product(values) -> arb:
    out = arb(1)
    for v in values:
        out *= v
    return out


def _power(base: Callable, exponent: sympy.Basic, build: Callable) -> Callable:
    """b^k for an integer k (b^(−k) = 1/b^k); b^(p/s) for a rational exponent as the real s-th root of
    b^p (not finite where the ball reaches below 0, where sympy's principal power is not real); any
    other exponent q as exp(q·log b), b > 0."""
    if isinstance(exponent, sympy.Integer):
        k = int(exponent)
        return (lambda X: _integer_power(base(X), k)) if k >= 0 else (lambda X: 1 / _integer_power(base(X), -k))
    if isinstance(exponent, sympy.Rational):
        p, s = int(exponent.p), int(exponent.q)
        whole = _power(base, sympy.Integer(p), build)
        return lambda X: _root(whole(X), s)
    exponent_fn = build(exponent)
    return lambda X: (exponent_fn(X) * base(X).log()).exp()


def _integer_power(a: arb, k: int) -> arb:
    """a^k; for even k from the end points (t^k is ≥ 0 and decreasing then increasing), so that a ball
    around 0 gives [0, max|t|^k] rather than a ball reaching below 0."""
    if k % 2 or not a.is_finite():
        return a**k
    low, high = lower(a), upper(a)
    if low >= 0 or high <= 0:
        return (arb(low) ** k).union(arb(high) ** k)
    return arb(0).union(arb(max(-low, high)) ** k).nonnegative_part()  # the union's rounding may reach below 0


def _root(a: arb, s: int) -> arb:
    """a^(1/s) for a ≥ 0 (a ball reaching below 0 gives a non-finite result)."""
    if not a >= 0:
        return arb("nan")
    return a.sqrt() if s == 2 else a.root(s)


def upper(a: arb) -> float:
    """A float ≥ every number in the ball a = [m ± r] (+inf if a is not finite): m + r in float64 if
    arb confirms it (then it is the exact end point whenever that is a float), else padded: float(r)
    is exact (30-bit radii), float(m) and the sum each round by at most half an ulp, so adding
    2·(ulp(m) + ulp(u)) and rounding once more upwards covers both."""
    if not a.is_finite():
        return math.inf
    m = float(a.mid())
    u = m + float(a.rad())
    if arb(u) >= a:
        return u
    return math.nextafter(u + 2 * (math.ulp(m) + math.ulp(u)), math.inf)


def lower(a: arb) -> float:
    """A float ≤ every number in the ball a (−inf if a is not finite)."""
    return -upper(-a)


def interval(lo: float, hi: float) -> arb:
    """A ball containing the float interval [lo, hi] (its ends may widen by arb's radius rounding,
    about 2⁻³⁰ of the radius)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise InputError(f"interval [{lo}, {hi}] is not a finite interval")
    return arb(lo).union(arb(hi))


def acos(a: arb) -> arb:
    """A ball containing arccos(t) for every t ∈ a ∩ [−1, 1] (arccos is decreasing: where the ball
    reaches past ±1, the union of its values at the clamped float end points)."""
    if a.is_finite() and a > -1 and a < 1:
        return a.acos()
    low, high = max(-1.0, lower(a)), min(1.0, upper(a))
    return arb(high).acos().union(arb(low).acos())


def sympy_number(value: sympy.Expr) -> arb:
    """A ball containing the exact sympy constant ``value`` (e.g. λ = (4/r²)·ln(8BN/ε))."""
    return compile_arb(value, ())(())
