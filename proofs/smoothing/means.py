"""Means under the von Mises–Fisher kernel as arb balls (python-flint ``acb.integral``, rigorous quadrature).

In the geodesic angle θ from x (ρ = ‖x − y‖ = 2 sin(θ/2)) the kernel's density on [0, π] is e^{κ(cos θ − 1)} sin^(m−1)θ
(on S^1 the two signs of θ give the same integral), so for φ of ρ

    E[φ(ρ)] = ∫_0^π e^{κ(cos θ − 1)} sin^(m−1)θ φ(2 sin(θ/2)) dθ / ∫_0^π e^{κ(cos θ − 1)} sin^(m−1)θ dθ.

Every integrand here is entire in θ on each piece (exp, sin, polynomials), so ``acb.integral`` encloses each piece.
The quadrature bound's g = min(2B, L(ρ + h)) has one kink, at ρ_k = 2B/L − h; on each side of it g is one of its two
entire branches (which one is checked in ball arithmetic at the piece's end points, g's branches being monotone in θ),
and a piece [t₁, t₂] of width ~10⁻¹² around the kink is enclosed as (t₂ − t₁)·(the integrand's real ball on [t₁, t₂]).

    E[ρ]: the mean chord, with which ‖f_κ(x) − f(x)‖ ≤ E‖f(y) − f(x)‖ ≤ L·E[ρ] (V1 before Jensen);
    quadrature bound (formulas.py): L·h + E[(G−1)g] + E[G−1]·E[Gg]/E[1/G],  G = e^{κ(hρ + h²/2)}.

The integrands are those of ``formulas.QUADRATURE_MEANS`` (constant sympy expressions of the project, never user text),
compiled once per branch of g by ``sympy.lambdify`` to functions of balls.
"""
from __future__ import annotations

import math
from functools import lru_cache

import sympy
from flint import acb, arb, ctx

from verifier.ball import arb_rational

from . import formulas as F
from . import kernel

KINK_HALF_WIDTH = 1e-12  # half the width of the piece around g's kink enclosed without acb.integral


def _density(z, m: int, kappa):
    """e^{κ(cos θ − 1)} sin^(m−1)θ at a ball θ (arb or acb)."""
    value = (kappa * (z.cos() - 1)).exp()
    return value * z.sin() ** (m - 1) if m > 1 else value


def _chord(z):
    """ρ = 2 sin(θ/2)."""
    return 2 * (z / 2).sin()


def _breakpoints(kappa: float, kinks: tuple = ()) -> list:
    """0, multiples of the kernel width 1/√κ below π, the given points, π: where the integrand changes scale."""
    width = 1 / math.sqrt(kappa)
    inner = sorted({j * width for j in (1, 2, 4, 8, 16, 32) if j * width < math.pi - 1e-3} | {k for k in kinks if 0 < k < math.pi})
    return [0.0, *inner]


def _integral(func, a, b) -> arb:
    """∫_a^b func(θ) dθ for an entire func of acb balls (the real part of acb.integral's enclosure; a and b balls). The
    absolute tolerance is 2^(−20·prec), not acb.integral's 2^(−prec): a mean such as E[1/G] can lie far below 2^(−prec)
    (10^−449 for the few-nodes rule), and a ball around 0 would make the ratio of means NaN."""
    return acb.integral(lambda z, _analytic: func(z), a, b, abs_tol=arb(2) ** (-20 * ctx.prec)).real


def _integrate(func, points: list) -> arb:
    """∫_0^π func over the pieces between ``points`` (floats, first 0) and π."""
    ends = [arb(p) for p in points] + [arb.pi()]
    return sum((_integral(func, a, b) for a, b in zip(ends, ends[1:])), arb(0))


def kernel_total_arb(m: int, kappa: sympy.Rational, bits: int = 128) -> arb:
    """∫_{S^m} K_κ(x, y) dσ(y) = C_m(κ)·e^κ·∫ e^{κ(cos θ − 1)} sin^(m−1)θ dθ du as a ball (θ ∈ (−π, π] on S^1: twice the
    integral over [0, π]; on S^2 u runs over a circle of length 2π), C_m(κ) from arb Bessel functions (should be 1)."""
    with ctx.workprec(bits):
        k = arb_rational(kappa)
        radial = _integrate(lambda z: _density(z, m, k), _breakpoints(float(kappa)))
        return kernel.normaliser_arb(m, kappa, bits) * k.exp() * radial * (2 if m == 1 else 2 * arb.pi())


def mean_chord_arb(m: int, kappa: sympy.Rational, bits: int = 128) -> arb:
    """E[ρ] under K_κ on S^m (module doc), an arb ball containing it."""
    with ctx.workprec(bits):
        k = arb_rational(kappa)
        points = _breakpoints(float(kappa))
        return (_integrate(lambda z: _density(z, m, k) * _chord(z), points)
                / _integrate(lambda z: _density(z, m, k), points))


@lru_cache(maxsize=None)
def _branch_integrands(branch: str) -> tuple:
    """The four integrands of QUADRATURE_MEANS with g = min(2B, L(ρ+h)) replaced by one branch ("cap": 2B, "line":
    L(ρ+h)) or kept (None: a real-ball min), as functions (ρ, κ, h, L, B) of balls."""
    gap = {"cap": 2 * F.B, "line": F.L * (F.rho + F.h)}.get(branch, F.GAP)
    exprs = [e.subs(F.GAP, gap) for e in F.QUADRATURE_MEANS]
    functions = {"exp": lambda v: v.exp(), "Min": lambda a, b: a.min(b)}
    return tuple(sympy.lambdify((F.rho, F.kappa, F.h, F.L, F.B), e, modules=[functions]) for e in exprs)


def _pieces(kappa: float, h: arb, lipschitz: arb, bound: arb) -> list[tuple[float, float, str]]:
    """[0, π] cut at the kink of g: (start, end, branch) with end = π as math.pi, the branch checked in balls at the
    pieces' ends (g's line branch increases with θ); "kink" marks the narrow piece around the kink."""
    kink_rho = float((2 * bound / lipschitz - h).mid())
    if not 0 < kink_rho < 2:
        branch = "cap" if kink_rho <= 0 else "line"
        return [(p, q, branch) for p, q in zip(_breakpoints(kappa), [*_breakpoints(kappa)[1:], math.pi])]
    theta = 2 * math.asin(kink_rho / 2)
    t1, t2 = theta * (1 - KINK_HALF_WIDTH), min(math.pi, theta * (1 + KINK_HALF_WIDTH))
    if not (lipschitz * (_chord(arb(t1)) + h) <= 2 * bound and lipschitz * (_chord(arb(t2)) + h) >= 2 * bound):
        raise ArithmeticError(f"the kink of g = min(2B, L(ρ+h)) is not within [{t1}, {t2}]")  # never with 10⁻¹² of room
    below = [p for p in _breakpoints(kappa) if p < t1] + [t1]
    above = [t2] + [p for p in _breakpoints(kappa) if p > t2] + ([math.pi] if t2 < math.pi else [])
    return ([(p, q, "line") for p, q in zip(below, below[1:])] + [(t1, t2, "kink")]
            + [(p, q, "cap") for p, q in zip(above, above[1:])])


def quadrature_bound_arb(m: int, kappa: sympy.Rational, h: sympy.Rational, lipschitz: sympy.Rational,
                         bound: sympy.Rational, bits: int = 128) -> arb:
    """The quadrature bound L·h + E[(G−1)g] + E[G−1]·E[Gg]/E[1/G] (formulas.py) as an arb ball, for exact κ, h, L, B."""
    with ctx.workprec(bits):
        k, hh, ll, bb = (arb_rational(v) for v in (kappa, h, lipschitz, bound))
        sums = [arb(0)] * 5  # the four means' numerators, then the density's integral
        for start, end, branch in _pieces(float(kappa), hh, ll, bb):
            a, b = arb(start), (arb.pi() if end == math.pi else arb(end))
            if branch == "kink":  # width ~10⁻¹²: (b − a)·(the integrand's ball over [a, b])
                z = arb((a + b) / 2, (b - a) / 2)
                values = [f(_chord(z), k, hh, ll, bb) * _density(z, m, k) for f in _branch_integrands(None)]
                values.append(_density(z, m, k))
                sums = [s + (b - a) * v for s, v in zip(sums, values)]
                continue
            functions = _branch_integrands(branch)
            sums = [s + _integral(lambda z, f=f: f(_chord(z), k, hh, ll, bb) * _density(z, m, k), a, b) for s, f in
                    zip(sums, functions)] + [sums[4] + _integral(lambda z: _density(z, m, k), a, b)]
        means = [s / sums[4] for s in sums[:4]]
        return ll * hh + means[0] + means[1] * means[2] / means[3]
