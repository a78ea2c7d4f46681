"""Ball arithmetic (python-flint ``arb``): sympy expressions compiled to functions on balls, with or
without their gradients.

An arb ball [m ± r] stands for every real number in it; every arb operation returns a ball that
contains the exact result for every choice of inputs in the input balls, rounding included. So
``compile_arb(f, xs)(X)`` for balls X_0..X_m is an *enclosure*: f(x) ∈ result for every x ∈ X.
Where f is undefined somewhere in X (log of a ball reaching 0, a pole of 1/x or tan), the result is
not finite, and every caller treats a non-finite enclosure as "not decided".

``compile_arb_gradient(f, xs)(X)`` encloses (f(x), ∇f(x)) by forward-mode differentiation in ball
arithmetic while walking the same tree: every node carries its value ball u and the balls of its
partials ∂u/∂x_k, combined by the chain rule node by node (no symbolic derivative, no
simplification, so d/dx atan(tan(u)) = u'·(1 + tan²u)/(1 + tan²u) is enclosed from the balls and is not
finite where tan u is not). The partials of a node are set to NaN wherever the value ball of that node
is not finite: a gradient enclosure is finite only on boxes where f and every subexpression of f are
finite, so f is continuous there. At a kink the gradient is Clarke's generalised gradient: for Abs
the slope sign(u) ⊂ [−1, 1]; for Min/Max the convex hull of the gradients of the arguments that may
attain it, kept as a list of alternative boxes (∇f in the hull of their union; sums and products
combine them pairwise, a chain rule scales each; past MAX_ALTERNATIVES they merge into one box), so
at the kink of Max(x0, x1) the norm bound is max(‖(1, 0)‖, ‖(0, 1)‖) = 1, not ‖([0, 1], [0, 1])‖ = √2. The
mean value inequality ‖f(y) − f(x)‖ ≤ sup ‖ξ‖·‖y − x‖ over those gradients ξ on the segment then holds
(Lebourg's mean value theorem), and a norm, being convex, is largest on the hull at one of its boxes.

The compiler walks the sympy expression tree (never a string): Add, Mul, Pow with an integer or
rational exponent (any other exponent q as exp(q·log b)), Integer, Rational, Float, Symbol, π, e, sin,
cos, tan, exp, log, sqrt, Abs, Min, Max, sinh, cosh, tanh, atan. A node outside that list raises
:class:`CannotCertify` naming it; the claims then stay sampled.
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import sympy
from flint import arb, ctx

from .errors import InputError

PRECISION_BITS = 80  # arb working precision; the enclosures are rigorous at any precision, this keeps them tight

Jet = tuple  # (value ball u, gradients: alternatives (∂u/∂x_0, …, ∂u/∂x_m) as balls, ∇u in the hull of their union);
#              the gradients are the empty tuple when none is asked for
MAX_ALTERNATIVES = 8  # past this many, a node's alternatives are merged into one box
NAN = arb("nan")


class CannotCertify(Exception):
    """The expression uses a function the ball back-end cannot enclose (the message names it)."""


def _sign(a: arb) -> arb:
    """sign(a) ⊂ [−1, 1]; exact where the ball excludes 0 (the slope of |t| on a)."""
    if a > 0:
        return arb(1)
    if a < 0:
        return arb(-1)
    return arb(0, 1)


# f ↦ (value, slope): the value ball f(a), and a ball containing f'(t) for every t ∈ a given the value ball
UNARY: dict[type, tuple[Callable[[arb], arb], Callable[[arb, arb], arb]]] = {
    sympy.sin: (lambda a: a.sin(), lambda a, v: a.cos()),
    sympy.cos: (lambda a: a.cos(), lambda a, v: -a.sin()),
    sympy.tan: (lambda a: a.tan(), lambda a, v: 1 + v * v),
    sympy.exp: (lambda a: a.exp(), lambda a, v: v),
    sympy.log: (lambda a: a.log(), lambda a, v: 1 / a),
    sympy.Abs: (lambda a: abs(a), lambda a, v: _sign(a)),
    sympy.sinh: (lambda a: a.sinh(), lambda a, v: a.cosh()),
    sympy.cosh: (lambda a: a.cosh(), lambda a, v: a.sinh()),
    sympy.tanh: (lambda a: a.tanh(), lambda a, v: 1 - v * v),
    sympy.atan: (lambda a: a.atan(), lambda a, v: 1 / (1 + a * a)),
}


def arb_rational(q: sympy.Rational) -> arb:
    """The exact rational p/q as a ball (exact when q is a power of two, else a tight enclosure)."""
    q = sympy.Rational(q)
    return arb(int(q.p)) / arb(int(q.q))


def compile_arb(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[[Sequence[arb]], arb]:
    """f ↦ (X ↦ a ball containing f(x) for every x in the balls X), by walking the tree of ``expr``.

    Raises CannotCertify for a node the back-end does not enclose."""
    compiled = _compile(expr, symbols, gradient=False)

    def evaluate(X: Sequence[arb]) -> arb:
        with ctx.workprec(PRECISION_BITS):
            return compiled(X)[0]

    return evaluate


def compile_arb_gradient(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> Callable[[Sequence[arb]], Jet]:
    """f ↦ (X ↦ (F, alternatives)) with f(x) ∈ F and ∇f(x) (Clarke's generalised gradient at a kink) in
    the convex hull of the boxes G = (G_0, …, G_m) of ``alternatives``, for every x in the balls X (module
    doc: forward mode; a single NaN box where a subexpression's enclosure is not finite)."""
    compiled = _compile(expr, symbols, gradient=True)

    def evaluate(X: Sequence[arb]) -> Jet:
        with ctx.workprec(PRECISION_BITS):
            return compiled(X)

    return evaluate


def _compile(expr: sympy.Expr, symbols: Sequence[sympy.Symbol], gradient: bool) -> Callable[[Sequence[arb]], Jet]:
    """The tree of ``expr`` as a function of the balls X returning the jet (value, gradients); without
    ``gradient`` the gradients are the empty tuple and cost nothing."""
    n = len(symbols)
    index = {s: i for i, s in enumerate(symbols)}
    zero = ((arb(0),) * n,) if gradient else ()

    def constant(c: arb) -> Callable:
        return lambda X: (c, zero)

    def build(e: sympy.Basic) -> Callable[[Sequence[arb]], Jet]:
        if isinstance(e, sympy.Symbol):
            if e not in index:
                raise CannotCertify(f"free symbol {e}")
            i = index[e]
            seed = (tuple(arb(int(k == i)) for k in range(n)),) if gradient else ()
            return lambda X: (X[i], seed)
        if isinstance(e, sympy.Rational):  # Integer included
            return constant(arb_rational(e))
        if isinstance(e, sympy.Float):
            return constant(arb_rational(sympy.Rational(e)))  # the binary value sympy holds, exactly
        if e is sympy.pi:
            return lambda X: (arb.pi(), zero)
        if e is sympy.E:
            return lambda X: (arb(1).exp(), zero)
        if isinstance(e, sympy.Add):
            parts = [build(a) for a in e.args]
            return lambda X: functools.reduce(_add, (p(X) for p in parts))
        if isinstance(e, sympy.Mul):
            parts = [build(a) for a in e.args]
            return lambda X: functools.reduce(_mul, (p(X) for p in parts))
        if isinstance(e, sympy.Pow):
            return _power(build(e.base), e.exp, build)
        if e.func in UNARY:
            (value, slope), part = UNARY[e.func], build(e.args[0])
            return lambda X: _chain(part(X), value, slope)
        if e.func in (sympy.Min, sympy.Max):
            parts, pick = [build(a) for a in e.args], e.func is sympy.Max
            return lambda X: _extremum([p(X) for p in parts], pick)
        name = getattr(e.func, "__name__", type(e).__name__)
        raise CannotCertify(f"cannot certify: {name} (the ball back-end encloses polynomials, sin, cos, tan, exp, log, "
                            "sqrt, Abs, Min, Max, sinh, cosh, tanh, atan)")

    return build(sympy.sympify(expr))


def _finite(value: arb, gradients: tuple) -> Jet:
    """The jet, its gradient NaN if the value ball is not finite (the node may be discontinuous there);
    more than MAX_ALTERNATIVES alternatives are merged into one box (the hull of a union of boxes lies in
    the box of their componentwise union)."""
    if not gradients:
        return value, gradients
    n = len(gradients[0])
    if not value.is_finite():
        return value, ((NAN,) * n,)
    if len(gradients) > MAX_ALTERNATIVES:
        return value, (tuple(functools.reduce(arb.union, column) for column in zip(*gradients)),)
    return value, gradients


def _add(a: Jet, b: Jet) -> Jet:
    """(u + v)' = u' + v': hull(A) + hull(B) = hull of the pairwise sums."""
    return _finite(a[0] + b[0], tuple(tuple(x + y for x, y in zip(g, h)) for g in a[1] for h in b[1]))


def _mul(a: Jet, b: Jet) -> Jet:
    """(uv)' = u'v + uv' (at each x, u and v are numbers in their balls: a linear map of the hulls)."""
    u, v = a[0], b[0]
    return _finite(u * v, tuple(tuple(du * v + u * dv for du, dv in zip(g, h)) for g in a[1] for h in b[1]))


def _chain(a: Jet, value: Callable[[arb], arb], slope: Callable[[arb, arb], arb]) -> Jet:
    """g(u) and g'(u)·u' for a unary g given as (value, slope)."""
    u, gradients = a
    v = value(u)
    if not gradients:
        return v, gradients
    if not (u.is_finite() and v.is_finite()):
        return v, ((NAN,) * len(gradients[0]),)
    s = slope(u, v)
    return _finite(v, tuple(tuple(s * d for d in g) for g in gradients))


def _extremum(jets: list[Jet], is_max: bool) -> Jet:
    """Max (or Min) of jets: the value from arb's max/min; the gradient in the hull of the gradients of
    the arguments that may attain it (an argument whose ball lies wholly below the Max is never it)."""
    values = [j[0] for j in jets]
    best = functools.reduce(lambda a, b: a.max(b) if is_max else a.min(b), values)
    if not jets[0][1]:
        return best, ()
    candidates = [j[1] for j in jets if not (j[0] < best if is_max else j[0] > best)]
    return _finite(best, tuple(g for gradients in candidates for g in gradients))


def _power(base: Callable, exponent: sympy.Basic, build: Callable) -> Callable:
    """b^q for a rational q (module doc of :func:`_rational_power`), slope q·b^(q−1); any other exponent q
    as exp(q·log b), b > 0, by the chain rule of exp, Mul and log."""
    if isinstance(exponent, sympy.Rational):
        q = sympy.Rational(exponent)
        factor = arb_rational(q)
        return lambda X: _chain(base(X), lambda a: _rational_power(a, q),
                                lambda a, v: factor * _rational_power(a, q - 1) if q != 0 else arb(0))
    exponent_fn = build(exponent)
    exp_rule, log_rule = UNARY[sympy.exp], UNARY[sympy.log]
    return lambda X: _chain(_mul(exponent_fn(X), _chain(base(X), *log_rule)), *exp_rule)


def _rational_power(a: arb, q: sympy.Rational) -> arb:
    """a^q for a rational q = p/s: a^k for an integer k (a^(−k) = 1/a^k); for s > 1 the real s-th root
    of a^p (not finite where the ball reaches below 0, where sympy's principal power is not real)."""
    p, s = int(q.p), int(q.q)
    whole = integer_power(a, p) if p >= 0 else 1 / integer_power(a, -p)
    return whole if s == 1 else _root(whole, s)


def integer_power(a: arb, k: int) -> arb:
    """a^k; for even k from the end points (t^k is ≥ 0 and decreasing then increasing), so that a ball
    around 0 gives [0, max|t|^k] rather than a ball reaching below 0."""
    if k % 2 or not a.is_finite():
        return a**k
    low, high = a.lower(), a.upper()
    if low >= 0 or high <= 0:
        return (low**k).union(high**k)
    return arb(0).union((-low).max(high) ** k).nonnegative_part()  # the union's rounding may reach below 0


def _root(a: arb, s: int) -> arb:
    """a^(1/s) for a ≥ 0 (a ball reaching below 0 gives a non-finite result)."""
    if not a >= 0:
        return NAN
    return a.sqrt() if s == 2 else a.root(s)


def upper(a: arb) -> float:
    """A float ≥ every number in the ball a = [m ± r] (+inf if a is not finite or above the float range):
    m + r in float64 if arb confirms it (then it is the exact end point whenever that is a float), else
    padded: float(r) is exact (30-bit radii), float(m) and the sum each round by at most half an ulp, so
    adding 2·(ulp(m) + ulp(u)) and rounding once more upwards covers both."""
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
    reaches past ±1, the union of its values at the clamped end points)."""
    if not a.is_finite():
        return arb(0).union(arb.pi())
    if a > -1 and a < 1:
        return a.acos()
    low, high = a.lower().max(arb(-1)), a.upper().min(arb(1))
    return high.acos().union(low.acos())


def sympy_number(value: sympy.Expr) -> arb:
    """A ball containing the exact sympy constant ``value`` (e.g. λ = (4/r²)·ln(8BN/ε))."""
    return compile_arb(value, ())(())
