"""The formulas of E1, each written once as a sympy expression, and the claims decided on them alone.

Symbols: ε (eps), L, B, T, V_c (positive), the sphere dimension m, the grid size n, the prefix
length N, the temperature λ and the offset β. Numbers come from these by substitution
(``expr.subs(...)``), never from a second hand-typed copy.

    r = ε/(2L),  δ = r/√2,  n = ⌈√m/δ⌉,  N(n) = (n+1)^(m+1) − (n−1)^(m+1) ≤ 2(m+1)(n+1)^m,
    λ(N) = (4/r²)·ln(8BN/ε),  X = 2 + ln(4T(B+V_c)/ε),  β(λ) = max(0, X − λ(1 − δ²/2)),
    budget(λ, β, N) = (L·r,  2BN·e^{−λr²/4},  T(B+V_c)·e^{2 − λ(1−δ²/2) − β})   (near, far, leak).
"""
from __future__ import annotations

import sympy

from verifier.claims import ClaimResult, Kind, claim_holds, claim_identity

from .. import paper

eps, L, B, T, V_c = sympy.symbols("epsilon L B T V_c", positive=True)
m, n = sympy.symbols("m n", positive=True, integer=True)
N, lam, beta = sympy.symbols("N lambda beta", positive=True)

R = eps / (2 * L)
DELTA = R / sympy.sqrt(2)
CELLS = sympy.ceiling(sympy.sqrt(m) / DELTA)
PREFIX_LENGTH = (n + 1) ** (m + 1) - (n - 1) ** (m + 1)
PREFIX_LENGTH_BOUND = 2 * (m + 1) * (n + 1) ** m
TEMPERATURE = 4 / R**2 * sympy.log(8 * B * N / eps)
LEAKAGE_EXPONENT = 2 + sympy.log(4 * T * (B + V_c) / eps)
OFFSET = sympy.Max(0, LEAKAGE_EXPONENT - lam * (1 - DELTA**2 / 2))
BUDGET = (
    L * R,
    2 * B * N * sympy.exp(-lam * R**2 / 4),
    T * (B + V_c) * sympy.exp(2 - lam * (1 - DELTA**2 / 2) - beta),
)
P2_EXPONENT = paper.p2_exponent_expr()[1]  # in the same symbol m


def budget_identity_claim(temperature: sympy.Expr = TEMPERATURE) -> ClaimResult:
    """P1 through E1: with λ = λ(N) and β on its active branch β = X − λ(1−δ²/2), symbolically
    near = ε/2, far = ε/4, leak = ε/4 for every ε, L, B, N, T, V_c. (On the branch β = 0,
    λ(1−δ²/2) ≥ X, so leak ≤ ε/4 too.) ``temperature`` replaces λ(N) for negative controls."""
    active = {lam: temperature, beta: LEAKAGE_EXPONENT - temperature * (1 - DELTA**2 / 2)}
    targets = (eps / 2, eps / 4, eps / 4)
    residuals = [sympy.simplify(part.subs(active) - goal) for part, goal in zip(BUDGET, targets)]
    return claim_identity(
        "P1.via-E1",
        "P1 (density) through E1: for every ε ∈ (0, 4L] the construction's error budget "
        "L·r + 2BN·e^{−λr²/4} + T(B+V_c)e²·e^{−λ(1−δ²/2)−β} equals ε/2 + ε/4 + ε/4 = ε, identically in ε, L, B, N, T, V_c "
        "(replace L·r by ω(r) for a continuous f with modulus ω)",
        residuals, Kind.PAPER, "sympy: simplify(part − goal) = 0 for near, far, leak with λ = λ(N) and β on its active branch",
    )


def rate_claim(dim: int, lipschitz, exponent: sympy.Expr = P2_EXPONENT) -> ClaimResult:
    """P2 through E1: lim_{ε→0} N_up(ε)·ε^e = 0 for e = 4m²+14m+10, where the ceiling-free
    N_up(ε) = 2(m+1)(√m/δ + 2)^m ≥ 2(m+1)(n+1)^m ≥ N_E1(ε) (since n ≤ √m/δ + 1)."""
    e = sympy.sympify(exponent).subs(m, dim)
    upper = PREFIX_LENGTH_BOUND.subs(n, sympy.sqrt(m) / DELTA + 1).subs({m: dim, L: lipschitz})
    limit = sympy.limit(upper * eps**e, eps, 0, "+")
    own = sympy.limit(upper * eps**dim, eps, 0, "+")
    return claim_holds(
        "P2.via-E1",
        f"P2 (Jackson rate) through E1: N_E1(ε) = O(ε^−{e}); with N_E1 ≤ 2(m+1)(√m/δ+2)^m, "
        f"lim_(ε→0) N_E1·ε^{e} = {limit} (and lim N_E1·ε^{dim} = {sympy.nsimplify(own)}: E1's own rate is ε^−{dim})",
        limit == 0, Kind.PAPER, "sympy.limit of the closed-form upper bound on N_E1",
    )
