"""The von Mises–Fisher kernel on S^m: normaliser, mean resultant length, the smoothed target f_κ,
and the Amos-type inequality V2 (formulas from ``proofs.smoothing.formulas``).

In the geodesic angle θ from x and the direction u ∈ S^(m−1) of the tangent space, y = cos θ·x +
sin θ·u and dσ(y) = sin^(m−1)θ dθ du, so

    f_κ(x) = ∫ e^{κ(cos θ − 1)} f(y) sin^(m−1)θ dθ du / ∫ e^{κ(cos θ − 1)} sin^(m−1)θ dθ du

(the common e^κ cancels). m = 1: θ ∈ (−π, π], no u; m = 2: θ ∈ [0, π], u = (cos φ, sin φ).
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np
import sympy
from flint import arb, ctx

from verifier.ball import arb_rational
from verifier.domains import Sphere
from verifier.precision import GUARD_DIGITS
from verifier.reproducible import exp

from . import formulas as F

SCAN_THETA = 64  # Gauss–Legendre nodes in θ of the float64 f_κ (a scanning value only)
SCAN_PHI = 64  # equispaced φ of the float64 f_κ on S^2
TAIL = 14  # the float64 f_κ integrates θ ≤ TAIL/√κ, where e^{κ(cos θ − 1)} ≈ e^{−TAIL²/2}


@lru_cache(maxsize=None)
def _compiled(expr_name: str, m_value: int):
    expr = getattr(F, expr_name).subs(F.m, m_value)
    return sympy.lambdify((F.kappa,), expr, modules="mpmath")


def normaliser_mp(m: int, kappa) -> mpmath.mpf:
    """C_m(κ) = κ^((m−1)/2) / ((2π)^((m+1)/2) I_((m−1)/2)(κ)) at the current precision."""
    return _compiled("NORMALISER", m)(mpmath.mpf(kappa))


def resultant_mp(m: int, kappa) -> mpmath.mpf:
    """A_m(κ) = I_((m+1)/2)(κ) / I_((m−1)/2)(κ) at the current precision."""
    return _compiled("RESULTANT", m)(mpmath.mpf(kappa))


def normaliser_arb(m: int, kappa: sympy.Rational, bits: int = 256) -> arb:
    """C_m(κ) as an arb ball (python-flint) at ``bits`` bits, for a rational κ: an enclosure of the true
    value, independent of mpmath."""
    with ctx.workprec(bits):
        k = arb_rational(kappa)
        order = arb(m - 1) / 2
        return k**order / ((2 * arb.pi()) ** (arb(m + 1) / 2) * k.bessel_i(order))


def resultant_arb(m: int, kappa: sympy.Rational, bits: int) -> arb:
    """A_m(κ) = I_((m+1)/2)(κ) / I_((m−1)/2)(κ) as an arb ball at ``bits`` bits, for a rational κ."""
    with ctx.workprec(bits):
        k = arb_rational(kappa)
        return k.bessel_i(arb(m + 1) / 2) / k.bessel_i(arb(m - 1) / 2)


def smoothing_bound_arb(m: int, kappa: sympy.Rational, lipschitz: sympy.Rational, bits: int) -> arb:
    """V1's bound L·√(2(1 − A_m(κ))) as an arb ball at ``bits`` bits (1 − A_m(κ) ≈ m/(2κ) loses log₂ κ bits)."""
    with ctx.workprec(bits):
        return arb_rational(lipschitz) * (2 * (1 - resultant_arb(m, kappa, bits))).sqrt()


def normaliser_digits(m: int, kappa, dps: int) -> int:
    """Digits at which κ and C_m(κ) must be computed for C_m(κ) to be right to ``dps`` digits: rounding κ to
    p digits moves ln C_m(κ) by |κ·d ln C_m/dκ|·10^−p ≤ (κ + m)·10^−p (d ln C_m/dκ = (m−1)/(2κ) − I′_ν/I_ν and
    0 < I′_ν/I_ν ≤ 1 + ν/κ), so p = dps + ⌈log₁₀(κ + m)⌉ + GUARD_DIGITS."""
    return dps + math.ceil(math.log10(float(kappa) + m)) + GUARD_DIGITS


def arb_consistent(ball: arb, value: mpmath.mpf, dps: int) -> bool:
    """The ball is narrower than δ = |v|·10^(3−dps) and meets [v − δ, v + δ]: a value computed to ``dps`` digits
    is consistent with the enclosure (mid and radius read in mpmath at 100 digits, the radius rounded up). A
    wider ball decides nothing, so it is not consistent."""
    with mpmath.workdps(100):
        v = mpmath.mpf(value)
        mid = mpmath.mpf(ball.mid().str(90, radius=False))
        rad = mpmath.mpf(ball.rad().str(5, radius=False)) * (1 + mpmath.mpf(10) ** -4)
        delta = abs(v) * mpmath.mpf(10) ** (3 - dps)
        return rad <= delta and abs(v - mid) <= rad + delta


def smoothing_bound_mp(m: int, kappa, lipschitz) -> mpmath.mpf:
    """V1's bound L·√(2(1 − A_m(κ)))."""
    return mpmath.mpf(lipschitz) * mpmath.sqrt(2 * (1 - resultant_mp(m, kappa)))


def _theta_points(m: int, kappa) -> list:
    """Breakpoints for θ at multiples of the kernel width 1/√κ (both signs on S^1)."""
    width = 1 / mpmath.sqrt(mpmath.mpf(kappa))
    inner = [j * width for j in (1, 2, 4, 8, 16, 32) if j * width < mpmath.pi]
    positive = [mpmath.mpf(0)] + inner + [mpmath.pi]
    return positive if m == 2 else [-p for p in reversed(positive[1:])] + positive


def kernel_total_mp(m: int, kappa) -> mpmath.mpf:
    """∫_{S^m} K_κ(x, y) dσ(y) = C_m(κ)·e^κ·∫ e^{κ(cos θ − 1)} sin^(m−1)θ dθ du by mpmath.quad (should be 1)."""
    k = mpmath.mpf(kappa)
    radial = mpmath.quad(lambda th: mpmath.exp(k * (mpmath.cos(th) - 1)) * mpmath.sin(th) ** (m - 1), _theta_points(m, k))
    directions = 1 if m == 1 else 2 * mpmath.pi
    # C_m e^κ overflows nothing at mpmath's exponent range
    return normaliser_mp(m, k) * mpmath.exp(k) * radial * directions


def smoothed_mp(target, x: list, kappa) -> list:
    """f_κ(x) at the current precision, as d mpf: mpmath.quad in θ (breakpoints at multiples of 1/√κ);
    on S^2 the inner φ-integral of the smooth periodic integrand by the trapezoid rule, its number of
    points doubled from 32 until two successive values agree to 10^(−dps) (at most 4096)."""
    m, k = target.m, mpmath.mpf(kappa)
    frame = _frame_mp(x)
    thetas = _theta_points(m, k)

    def weight(theta):
        return mpmath.exp(k * (mpmath.cos(theta) - 1)) * mpmath.sin(theta) ** (m - 1)

    def ring(theta) -> list:
        """f at y(θ) (S^1), or its mean over the circle of directions at angle θ (S^2)."""
        c, s = mpmath.cos(theta), mpmath.sin(theta)
        if m == 1:
            return target.mp([c * a + s * b for a, b in zip(x, frame[0])])

        def mean(count):
            values = [target.mp([c * a + s * (mpmath.cos(2 * mpmath.pi * j / count) * b + mpmath.sin(2 * mpmath.pi * j / count) * e)
                                 for a, b, e in zip(x, *frame)]) for j in range(count)]
            return [mpmath.fsum(v[i] for v in values) / count for i in range(target.d)]

        count, previous = 32, mean(32)
        while count < 4096:
            count *= 2
            current = mean(count)
            if max(abs(a - b) for a, b in zip(current, previous)) <= mpmath.eps * 10:
                return current
            previous = current
        return current

    cache: dict = {}

    def component(theta, i):
        if theta not in cache:
            cache[theta] = ring(theta)
        return weight(theta) * cache[theta][i]

    out = [mpmath.quad(lambda th, i=i: component(th, i), thetas, method="gauss-legendre") for i in range(target.d)]
    total = mpmath.quad(weight, thetas, method="gauss-legendre")
    return [v / total for v in out]


def _frame_mp(x: list) -> list:
    """An orthonormal basis of x^⊥ at the current precision (Gram–Schmidt on the coordinate axes)."""
    basis = []
    for axis in sorted(range(len(x)), key=lambda j: abs(x[j])):
        v = [mpmath.mpf(int(j == axis)) for j in range(len(x))]
        for b in [x] + basis:
            dot = mpmath.fdot(v, b)
            v = [a - dot * c for a, c in zip(v, b)]
        basis.append([a / mpmath.norm(v) for a in v])
        if len(basis) == len(x) - 1:
            return basis
    return basis


@lru_cache(maxsize=None)
def _leggauss(n: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(n)


def smoothed_f64(target, X: np.ndarray, kappa: float, chunk: int = 128) -> np.ndarray:
    """f_κ at the rows of X in float64 (Gauss–Legendre in θ ≤ 14/√κ, trapezoid in φ), shape (P, d).
    A scanning value: verdicts use :func:`smoothed_mp`."""
    m = X.shape[1] - 1
    Theta = min(np.pi, TAIL / np.sqrt(kappa))
    nodes, gl = _leggauss(SCAN_THETA)
    if m == 1:
        theta, wt = Theta * nodes, Theta * gl
    else:
        theta, wt = Theta * (nodes + 1) / 2, Theta * gl / 2
    weight = wt * exp(kappa * (np.cos(theta) - 1)) * np.sin(theta) ** (m - 1)
    out = np.empty((len(X), target.d))
    sphere = Sphere(m)
    for start in range(0, len(X), chunk):
        rows = X[start : start + chunk]
        frames = np.stack([sphere.tangent_basis(x) for x in rows])  # (P, m+1, m)
        if m == 1:
            directions = frames[:, None, :, 0]  # (P, 1, 2)
        else:
            phi = 2 * np.pi * np.arange(SCAN_PHI) / SCAN_PHI
            directions = np.cos(phi)[None, :, None] * frames[:, None, :, 0] + np.sin(phi)[None, :, None] * frames[:, None, :, 1]
        Y = (np.cos(theta)[None, :, None, None] * rows[:, None, None, :]
             + np.sin(theta)[None, :, None, None] * directions[:, None, :, :])  # (P, θ, φ, m+1)
        values = target.numpy(Y.reshape(-1, m + 1)).reshape(*Y.shape[:3], target.d).mean(axis=2)
        out[start : start + chunk] = np.einsum("t,ptd->pd", weight, values) / weight.sum()
    return out


# ---------------------------------------------------------------------------------------------
V2_ORDERS = tuple(mpmath.mpf(j) / 2 for j in range(11))  # ν = 0, 1/2, …, 5
V2_KAPPAS_PER_DECADE = 4  # κ = 10^(−3 + k/4), k = 0..36: 10⁻³ … 10⁶


def v2_grid() -> list[tuple]:
    """The (ν, κ) grid of V2: ν ∈ {0, 1/2, …, 5} × κ log-spaced over [10⁻³, 10⁶]."""
    kappas = [mpmath.mpf(10) ** (mpmath.mpf(k) / V2_KAPPAS_PER_DECADE - 3) for k in range(9 * V2_KAPPAS_PER_DECADE + 1)]
    return [(n, k) for n in V2_ORDERS for k in kappas]


@lru_cache(maxsize=None)
def _amos():
    return sympy.lambdify((F.nu, F.kappa), F.AMOS_RATIO, modules="mpmath")


def amos_margin_mp(order, kappa) -> mpmath.mpf:
    """The relative margin of V2, I_(ν+1)(κ)/I_ν(κ) / (κ/(ν+1+√(κ²+(ν+1)²))) − 1, at the current precision."""
    ratio = mpmath.besseli(order + 1, kappa) / mpmath.besseli(order, kappa)
    return ratio / _amos()(order, kappa) - 1


@lru_cache(maxsize=4)
def v2_smallest_margin(dps: int, verify_dps: int) -> tuple:
    """(margin at dps, margin at verify_dps, ν, κ) at the grid point of smallest margin (at verify_dps)."""
    with mpmath.workdps(verify_dps):
        margins = [(amos_margin_mp(n, k), n, k) for n, k in v2_grid()]
        high, order, kappa = min(margins, key=lambda item: item[0])
    with mpmath.workdps(dps):
        low = amos_margin_mp(mpmath.mpf(order), mpmath.mpf(kappa))
    return low, high, order, kappa
