"""The formulas of E2 (the smoothing route), each written once as a sympy expression.

Symbols: ε, L, B, T (positive), the sphere dimension m, the concentration κ, the Bessel order ν, the
cell radius h of a quadrature rule, its smallest weight w_min, the offset β, and t = ⟨x, y⟩.

    K_κ(x, y) = C_m(κ)·e^{κ⟨x,y⟩},   C_m(κ) = κ^((m−1)/2) / ((2π)^((m+1)/2) I_((m−1)/2)(κ)),
    A_m(κ) = I_((m+1)/2)(κ) / I_((m−1)/2)(κ)                 (E⟨x, y⟩ under the kernel),
    V1:  |f_κ(x) − f(x)| ≤ L·√(2(1 − A_m(κ))),
    V2:  I_(ν+1)(κ)/I_ν(κ) ≥ κ / (ν + 1 + √(κ² + (ν+1)²))      (Amos-type, ν ≥ 0),

so with c = (m+1)/2 the smoothing error is at most L·√(2(1 − κ/(c + √(κ² + c²)))), which equals
ε_s = 2ε/5 exactly at  κ(ε) = 2ac/(1 − a²),  a = 1 − ε_s²/(2L²).

Quadrature (V3). A rule of points p_i with weights w_i = σ(V_i), the areas of cells V_i ∋ p_i that
partition S^m with ‖y − p_i‖ ≤ h on V_i, gives Q_f(x) = Σ w_i e^{κ⟨x,p_i⟩} f(p_i) and Q_1 likewise.
For y ∈ V_i and ρ = ‖x − y‖:  |⟨x,p_i⟩ − ⟨x,y⟩| ≤ hρ + h²/2  and  ‖f(p_i) − f(x)‖ ≤ min(2B, L(ρ+h)).
Writing G(ρ) = e^{κ(hρ + h²/2)}, g(ρ) = min(2B, L(ρ + h)) and E for the mean under the kernel,

    ‖Q_f/Q_1 − f_κ‖ ≤ L·h + E[(G−1)·g] + E[G−1]·E[G·g] / E[1/G]          (the quadrature bound).

Leakage: the prefix tokens (κp_i, ln w_i + β, f(p_i)) and T content tokens of score 2 give
H = Q_f/(Q_1 + T e^{2−β}); Q_1 ≥ w_min e^{κ(1 − h²/2)} (x lies in a cell), so

    ‖H − Q_f/Q_1‖ ≤ B·T·e^{2 − β − κ(1 − h²/2)} / w_min,   β = max(0, 2 + ln(BT/ε_l) − ln w_min − κ(1 − h²/2)),

which is ≤ ε_l (= ε_l when β > 0).

The budget (SHARES): smoothing ε_s = 2ε/5, quadrature ε_q = 11ε/20, leakage ε_l = ε/20; they sum to ε.
"""
from __future__ import annotations

import warnings
from functools import lru_cache

import mpmath
import numpy as np
import sympy

from verifier.claims import ClaimResult, Kind, claim_holds
from verifier.reproducible import NUMPY, exp

eps, L, B, T = sympy.symbols("epsilon L B T", positive=True)
m = sympy.Symbol("m", positive=True, integer=True)
kappa, h, w_min, t = sympy.symbols("kappa h w_min t", positive=True)
nu = sympy.Symbol("nu", nonnegative=True)
beta = sympy.Symbol("beta", nonnegative=True)
rho = sympy.Symbol("rho", nonnegative=True)

ORDER = (m - 1) / 2  # the Bessel order ν of the kernel on S^m
NORMALISER = kappa**ORDER / ((2 * sympy.pi) ** ((m + 1) / 2) * sympy.besseli(ORDER, kappa))
RESULTANT = sympy.besseli(ORDER + 1, kappa) / sympy.besseli(ORDER, kappa)
SMOOTHING_BOUND = L * sympy.sqrt(2 * (1 - RESULTANT))
AMOS_RATIO = kappa / (nu + 1 + sympy.sqrt(kappa**2 + (nu + 1) ** 2))
AMOS_SMOOTHING_BOUND = L * sympy.sqrt(2 * (1 - AMOS_RATIO.subs(nu, ORDER)))

SHARES = (2 * eps / 5, 11 * eps / 20, eps / 20)  # smoothing, quadrature, leakage
accuracy = sympy.Symbol("a", positive=True)  # the Amos ratio κ/(c + √(κ²+c²)) to reach, a ∈ (0, 1)
KAPPA_OF_ACCURACY = 2 * accuracy * ((m + 1) / 2) / (1 - accuracy**2)
ACCURACY = 1 - SHARES[0] ** 2 / (2 * L**2)  # ∈ [23/25, 1) for ε ∈ (0, L]
KAPPA = KAPPA_OF_ACCURACY.subs(accuracy, ACCURACY)

CHORD = sympy.sqrt(2 - 2 * t)  # ρ = ‖x − y‖ for t = ⟨x, y⟩
GROWTH = sympy.exp(kappa * (h * rho + h**2 / 2))  # G(ρ)
GAP = sympy.Min(2 * B, L * (rho + h))  # g(ρ)
# quadrature bound = L·h + E[(G−1)g] + E[G−1]·E[Gg]/E[1/G]; the four means are of these integrands:
QUADRATURE_MEANS = ((GROWTH - 1) * GAP, GROWTH - 1, GROWTH * GAP, 1 / GROWTH)

HALF_CHORD = 1 - h**2 / 2  # ⟨x, p⟩ ≥ 1 − h²/2 for the point p of x's cell
RAISED_OFFSET = 2 + sympy.log(B * T / SHARES[2]) - sympy.log(w_min) - kappa * HALF_CHORD  # makes LEAK_BOUND = ε_l exactly
OFFSET = sympy.Max(0, RAISED_OFFSET)
LEAK_BOUND = B * T * sympy.exp(2 - beta - kappa * HALF_CHORD) / w_min


def _breakpoints(kappa_value: float, pi, kinks: tuple = ()) -> list:
    """0, multiples of the kernel width 1/√κ below π, the given kinks of the integrand, and π."""
    width = 1 / kappa_value**0.5
    inner = [j * width for j in (1, 2, 4, 8, 16, 32) if j * width < pi] + [k for k in kinks if 0 < k < pi]
    return [0 * pi] + sorted(inner) + [pi]


def kernel_means_mp(integrands, m_value: int, kappa_value, kinks: tuple = ()) -> list:
    """E[φ(ρ)] under K_κ(x, ·) at the current precision for each φ of ρ = ‖x − y‖ (mpf → mpf).

    In the geodesic angle θ from x (ρ = 2 sin(θ/2)), dσ ∝ sin^(m−1)θ dθ and the kernel is e^{κ cos θ}:
    E[φ] = ∫_0^π e^{κ(cos θ − 1)} sin^(m−1)θ φ(ρ) dθ / ∫_0^π e^{κ(cos θ − 1)} sin^(m−1)θ dθ,
    integrated by mpmath.quad with breakpoints at multiples of the kernel width 1/√κ and at ``kinks``."""
    k = mpmath.mpf(kappa_value)
    points = _breakpoints(k, mpmath.pi, kinks)

    def density(theta):
        return mpmath.exp(k * (mpmath.cos(theta) - 1)) * mpmath.sin(theta) ** (m_value - 1)

    total = mpmath.quad(density, points)
    return [mpmath.quad(lambda th, f=f: density(th) * f(2 * mpmath.sin(th / 2)), points) / total for f in integrands]


def kernel_means_f64(integrands, m_value: int, kappa_value: float, kinks: tuple = ()) -> list:
    """The same means in float64 by scipy.integrate.quad (for searching a rule size only)."""
    from scipy.integrate import quad

    points = _breakpoints(kappa_value, np.pi, kinks)

    def density(theta):
        return exp(kappa_value * (np.cos(theta) - 1)) * np.sin(theta) ** (m_value - 1)

    def integral(f):
        return sum(quad(f, a, b, epsabs=0, epsrel=1e-12, limit=200)[0] for a, b in zip(points, points[1:]))

    total = integral(density)
    return [integral(lambda th, f=f: density(th) * f(2 * np.sin(th / 2))) / total for f in integrands]


@lru_cache(maxsize=None)
def _quadrature_integrands(modules: str) -> tuple:
    return tuple(sympy.lambdify((rho, kappa, h, L, B), e, modules=NUMPY if modules == "numpy" else modules)
                 for e in QUADRATURE_MEANS)


def quadrature_bound(m_value: int, kappa_value, h_value, lipschitz, bound, float64: bool = False):
    """L·h + E[(G−1)g] + E[G−1]·E[Gg]/E[1/G]: at the current mpmath precision, or in float64 (search only).
    g = min(2B, L(ρ+h)) has its kink at ρ = 2B/L − h, i.e. θ = 2 asin(ρ/2): a breakpoint of the quadrature."""
    if float64:
        k, hh, ll, bb = (float(v) for v in (kappa_value, h_value, lipschitz, bound))
        fs = [lambda r, f=f: f(r, k, hh, ll, bb) for f in _quadrature_integrands("numpy")]
        kink = 2 * bb / ll - hh
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            means = kernel_means_f64(fs, m_value, k, (2 * np.arcsin(kink / 2),) if 0 < kink < 2 else ())
        if not (np.all(np.isfinite(means)) and means[3] > 0):
            return float("inf")  # e^{κh·ρ} beyond float64: far too coarse a rule
    else:
        k, hh, ll, bb = (mpmath.mpf(v) for v in (kappa_value, h_value, lipschitz, bound))
        kink = 2 * bb / ll - hh
        means = kernel_means_mp([lambda r, f=f: f(r, k, hh, ll, bb) for f in _quadrature_integrands("mpmath")], m_value, k,
                                (2 * mpmath.asin(kink / 2),) if 0 < kink < 2 else ())
    return ll * hh + means[0] + means[1] * means[2] / means[3]


def _factor_radicands(expr: sympy.Expr) -> sympy.Expr:
    """√q → √(factor(expand(q))), so that perfect squares such as 4(u+1)² + ((u+1)²−1)² = (u²+2u+2)² come out."""
    return expr.replace(lambda e: e.is_Pow and e.exp == sympy.S.Half, lambda e: sympy.sqrt(sympy.factor(sympy.expand(e.base))))


def kappa_claim() -> ClaimResult:
    """κ(a) = 2ac/(1−a²) solves κ/(c + √(κ²+c²)) = a for every a ∈ (0, 1) (checked with a = 1/(1+u),
    u > 0), so with a = 1 − ε_s²/(2L²) the Amos form of the V1 bound equals ε_s = 2ε/5."""
    u = sympy.Symbol("u", positive=True)
    ratio = AMOS_RATIO.subs(nu, ORDER).subs(kappa, KAPPA_OF_ACCURACY)
    residual = sympy.simplify(_factor_radicands((ratio - accuracy).subs(accuracy, 1 / (1 + u))))
    bound = sympy.simplify(_factor_radicands(AMOS_SMOOTHING_BOUND.subs(kappa, KAPPA_OF_ACCURACY)).subs(accuracy, ACCURACY)
                           - SHARES[0]) if residual == 0 else None
    holds = residual == 0 and bound == 0
    return claim_holds(
        "E2.kappa", "κ(ε) = 2ac/(1−a²) with a = 1 − ε_s²/(2L²), c = (m+1)/2 gives the Amos ratio κ/(c + √(κ²+c²)) = a, "
        "so L·√(2(1 − κ/(c + √(κ²+c²)))) = ε_s = 2ε/5",
        holds, Kind.PROOF_STEP, "sympy: simplify(ratio(κ(a)) − a) = 0 for a = 1/(1+u), u > 0; then bound(κ(ε)) − ε_s = 0",
        detail="" if holds else f"residuals {residual}, {bound}",
    )
