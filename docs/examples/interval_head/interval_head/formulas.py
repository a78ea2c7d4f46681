"""The formulas of the interval head, each written once as a sympy expression.

Symbols: the accuracy ε, the target's Lipschitz constant L and bound B (positive), the number of grid
cells K and prefix tokens N, the temperature λ. Numbers come from these by substitution, never from a
second hand-typed copy.

    r = ε/(2L),  K = ⌈√2·L/ε⌉,  N = K + 1,  δ = 1/(2K) ≤ r/√2,
    λ(N) = (4/r²)·ln(4BN/ε),
    budget = (L·r,  2BN·e^{−λr²/4})   (near, far),  and  L·r + 2BN·e^{−λ(N)r²/4} = ε/2 + ε/2 = ε.
"""
from __future__ import annotations

import sympy

from verifier.claims import ClaimResult, Kind, claim_identity

eps, L, B = sympy.symbols("epsilon L B", positive=True)
K, N = sympy.symbols("K N", positive=True, integer=True)
lam = sympy.Symbol("lambda", positive=True)

R = eps / (2 * L)  # the near radius
CELLS = sympy.ceiling(sympy.sqrt(2) * L / eps)  # K: the smallest K with δ = 1/(2K) ≤ r/√2
PREFIX_LENGTH = K + 1  # the grid points a_i = i/K, i = 0..K
DELTA = 1 / (2 * K)  # every z ∈ [0, 1] is within δ of a grid point
TEMPERATURE = 4 / R**2 * sympy.log(4 * B * N / eps)
BUDGET = (L * R, 2 * B * N * sympy.exp(-lam * R**2 / 4))  # near, far


def budget_identity_claim(temperature: sympy.Expr = TEMPERATURE) -> ClaimResult:
    """IH.budget: with λ = λ(N), near + far = L·r + 2BN·e^{−λr²/4} is ε/2 + ε/2, identically in ε, L, B, N."""
    residuals = [sympy.simplify(part.subs(lam, temperature) - eps / 2) for part in BUDGET]
    return claim_identity(
        "IH.budget",
        "the error budget L·r + 2BN·e^{−λr²/4} with r = ε/(2L), λ = (4/r²)·ln(4BN/ε) equals ε/2 + ε/2 = ε, "
        "identically in ε, L, B, N",
        residuals, Kind.PROOF_STEP, "sympy: simplify(part − ε/2) = 0 for near and far with λ = λ(N)",
    )


def report_formulas() -> list[tuple[str, sympy.Basic]]:
    """What a report shows of the construction."""
    return [
        ("near radius", sympy.Eq(sympy.Symbol("r"), R)),
        ("grid cells", sympy.Eq(K, CELLS)),
        ("prefix length", sympy.Eq(N, PREFIX_LENGTH)),
        ("covering radius of the grid", sympy.Eq(sympy.Symbol("delta"), DELTA)),
        ("temperature", sympy.Eq(lam, TEMPERATURE)),
        ("error budget: near + far", sympy.Eq(sympy.Symbol("budget"), sympy.Add(*BUDGET, evaluate=False))),
    ]
