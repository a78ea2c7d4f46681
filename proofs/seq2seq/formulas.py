"""The formulas of S1, each written once as a sympy expression: the interval version of E1 (E1-I) for
one token-wise head, and the split of ε across the layers.

E1-I symbols: the head's accuracy ε_h, the Lipschitz constant L and bound B of its targets h_1..h_n on
the interval I = [lo, hi] of length ℓ, a bound Z on |register| at every position (content keys), the
sequence length n, the grid size K, and λ, γ, β:

    r = ε_h/(2L),  δ = r/√2,  K = ⌈ℓ/(2δ)⌉,  N = n(K+1),
    λ = (4/r²)·ln(8B(K+1)/ε_h),
    γ = λδ²/2 + ln(16Bn(K+1)/ε_h)                    (= ln(8B(K+1)/ε_h) + ln(16Bn(K+1)/ε_h)),
    β = max(0, Z² + 2 + λδ²/2 − γ + ln(8nB/ε_h)),
    budget = (L·r,  2B(K+1)e^{−λr²/4},  2B(n−1)(K+1)e^{λδ²/2−γ},  nB·e^{Z²+2+λδ²/2−β−γ})
             (near, far, other positions, leak) = (ε_h/2, ε_h/4, (n−1)/n·ε_h/8, ≤ ε_h/8).

Split of ε over Q terms (ρ = MARGIN, the margin of the domain on which Lip(Φ_{·,q}) is claimed):

    ε_q = ε/Q,  ε_Φ,q = ε_q/2,  ε_ψ,q = min(ρ, ε_q/(2L_Φ,q))/n,
    propagated bound = Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) ≤ Σ_q ε_q = ε.
"""
from __future__ import annotations

import sympy

from verifier.claims import ClaimResult, Kind, claim_identity

eps_h, L, B, Z, ell = sympy.symbols("epsilon_h L B Z ell", positive=True)
n, K = sympy.symbols("n K", positive=True, integer=True)
lam, gamma, beta = sympy.symbols("lambda gamma beta", positive=True)

MARGIN = sympy.Rational(1, 10)  # Lip(Φ_{·,q}) is claimed on [S_min − ρ, S_max + ρ], which contains the Φ head's interval

R = eps_h / (2 * L)
DELTA = R / sympy.sqrt(2)
CELLS = sympy.ceiling(ell / (2 * DELTA))
PREFIX_LENGTH = n * (K + 1)
TEMPERATURE = 4 / R**2 * sympy.log(8 * B * (K + 1) / eps_h)
SELECTION = lam * DELTA**2 / 2 + sympy.log(16 * B * n * (K + 1) / eps_h)
LEAKAGE_EXPONENT = Z**2 + 2 + lam * DELTA**2 / 2 - gamma + sympy.log(8 * n * B / eps_h)
OFFSET = sympy.Max(0, LEAKAGE_EXPONENT)
PARTS = ("near", "far", "other", "leak")
BUDGET = (
    L * R,
    2 * B * (K + 1) * sympy.exp(-lam * R**2 / 4),
    2 * B * (n - 1) * (K + 1) * sympy.exp(lam * DELTA**2 / 2 - gamma),
    n * B * sympy.exp(Z**2 + 2 + lam * DELTA**2 / 2 - beta - gamma),
)
GOALS = (eps_h / 2, eps_h / 4, (n - 1) / n * eps_h / 8, eps_h / 8)

eps, L_phi, Q, eps_psi = sympy.symbols("epsilon L_Phi Q epsilon_psi", positive=True)
TERM_ACCURACY = eps / Q
OUTER_ACCURACY = TERM_ACCURACY / 2
INNER_ACCURACY = sympy.Min(MARGIN, TERM_ACCURACY / (2 * L_phi)) / n
TERM_BOUND = OUTER_ACCURACY + L_phi * n * eps_psi  # error of one term's output at any position, ε_ψ = INNER_ACCURACY


def budget_identity_claim(temperature: sympy.Expr = TEMPERATURE, selection: sympy.Expr = SELECTION) -> ClaimResult:
    """E1-I, symbolically: with λ = λ(K), γ = γ(λ) and β on its active branch β = Z² + 2 + λδ²/2 − γ + ln(8nB/ε_h),
    near + far + other + leak = ε_h/2 + ε_h/4 + (n−1)/n·ε_h/8 + ε_h/8 ≤ ε_h identically in ε_h, L, B, Z, n, K.
    (On the branch β = 0 the leak exponent is ≤ 0, so leak ≤ ε_h/8 too.)"""
    active = {lam: temperature}
    active[gamma] = selection.subs(active)
    active[beta] = LEAKAGE_EXPONENT.subs(active)
    residuals = [sympy.simplify(part.subs(active) - goal) for part, goal in zip(BUDGET, GOALS)]
    return claim_identity(
        "E1I.budget-identity",
        "E1-I: the token-wise head's budget L·r + 2B(K+1)e^{−λr²/4} + 2B(n−1)(K+1)e^{λδ²/2−γ} + nB·e^{Z²+2+λδ²/2−β−γ} "
        "equals ε_h/2 + ε_h/4 + (n−1)/n·ε_h/8 + ε_h/8 ≤ ε_h identically in ε_h, L, B, Z, n, K",
        residuals, Kind.PROOF_STEP,
        "sympy: simplify(part − goal) = 0 for near, far, other positions, leak with λ = λ(K), γ = γ(λ), β on its active branch",
    )


def split_claim() -> ClaimResult:
    """S1's split: every term's bound ε_Φ,q + L_Φ,q·n·ε_ψ,q ≤ ε/Q on both branches of ε_ψ = min(ρ, ε_q/(2L_Φ))/n:
    equal to ε_q where ε_q/(2L_Φ) ≤ ρ, and ε_q + L_Φ(ρ − ε_q/(2L_Φ)) < ε_q where ρ < ε_q/(2L_Φ)."""
    small, large = (TERM_BOUND.subs(eps_psi, branch / n) for branch in (TERM_ACCURACY / (2 * L_phi), MARGIN))
    residuals = (sympy.simplify(small - TERM_ACCURACY),
                 sympy.simplify(large - TERM_ACCURACY - L_phi * (MARGIN - TERM_ACCURACY / (2 * L_phi))))
    return claim_identity(
        "S1.split",
        "S1: with ε_q = ε/Q, ε_Φ = ε_q/2 and ε_ψ = min(ρ, ε_q/(2L_Φ))/n, each term's error ε_Φ + L_Φ·n·ε_ψ ≤ ε_q, so the "
        "propagated bound Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) ≤ ε",
        residuals, Kind.PROOF_STEP,
        "sympy: on the branch ε_q/(2L_Φ) ≤ ρ the term bound minus ε_q simplifies to 0; on the branch ρ < ε_q/(2L_Φ) to "
        "L_Φ(ρ − ε_q/(2L_Φ)) < 0",
    )
