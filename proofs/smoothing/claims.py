"""E2's claims beyond verifier.claims: the normaliser (and the framework check F.normaliser), V2 (Amos), the rule, the two paths, and the error split
against its budget (docs/smoothing.md):

    |f_κ − f| ≤ L√(2(1 − A_m(κ))) ≤ ε_s   (V1, with V2 making it explicit in κ),
    ‖Q_f/Q_1 − f_κ‖ ≤ quadrature bound(κ, h) ≤ ε_q   (V3),   ‖H − Q_f/Q_1‖ ≤ leakage bound ≤ ε_l,
    ε_s + ε_q + ε_l = 2ε/5 + 11ε/20 + ε/20 = ε,   so   sup ‖H − f‖ ≤ ε.
"""
from __future__ import annotations

import math
from dataclasses import replace

import mpmath
import sympy
from flint import ctx

from verifier.attention import Head
from verifier.claims import ClaimResult, Evidence, Kind, Verdict, claim_holds, claim_le, claim_le_certified, claim_sup_le, decimal_text
from verifier.claims import two_paths_claim as framework_two_paths
from verifier.ball import PRECISION_BITS, arb_rational, compile_arb, lower, upper
from verifier.precision import PrecisionPolicy

from proofs.h0.two_paths import h0_paths

from . import formulas as F
from . import kernel, means
from .construction import E2Construction, E2Evaluator, E2Parameters
from .rules import area_gap_arb, exact_area_claim_value, separation_holds, separation_holds_arb

CERTIFIED_TOLERANCE = 1e-25  # an identity (∫ K_κ dσ = 1, Σ w_i = σ(S^m)) is certified when its ball lies within this of it


def normaliser_claim(c: E2Construction, policy: PrecisionPolicy) -> ClaimResult:
    """∫_{S^m} K_κ(x, y) dσ(y) = 1 with C_m(κ) from Bessel functions and the integral by mpmath.quad, at both
    precisions (C_m(κ), e^κ and the integral all at the same rounded κ, so the rounding of κ cancels)."""
    low, high = policy.at_both(lambda _d: kernel.kernel_total_mp(c.m, c.kappa_mp()))
    ball = means.kernel_total_arb(c.m, sympy.Rational(c.kappa))
    proved = bool(abs(ball - 1) < CERTIFIED_TOLERANCE)
    holds = policy.agree(low, 1) and policy.agree(high, 1) and proved
    return claim_holds(
        "E2.normaliser", f"∫ K_κ dσ = 1 on S^{c.m} with C_m(κ) = κ^((m−1)/2)/((2π)^((m+1)/2) I_((m−1)/2)(κ)), κ = {float(c.kappa):.6g}",
        holds, Kind.PROOF_STEP, f"mpmath.quad in the angle from x at {policy.dps} and {policy.verify_dps} digits; certified: "
        f"the integral by acb.integral and C_m(κ) by arb Bessel functions, |ball − 1| < {CERTIFIED_TOLERANCE:g}",
        detail="" if holds else f"integral {mpmath.nstr(high, 20)} (mpmath), {ball.str(20)} (arb)", value=float(high),
        bound=1.0, evidence=Evidence.CERTIFIED if holds else Evidence.SAMPLED,
    )


def normaliser_agreement_claim(c: E2Construction, policy: PrecisionPolicy) -> ClaimResult:
    """F.normaliser: two independent computations of C_m(κ) agree to the check precision p = verify_dps: mpmath
    (κ and I_ν(κ) at kernel.normaliser_digits(m, κ, p) digits, enough for p correct digits) lies in the arb ball
    (python-flint at as many bits). Both are meant to be right, so a disagreement is a FRAMEWORK ERROR, not a
    refuted proof step."""
    p = policy.verify_dps
    digits = kernel.normaliser_digits(c.m, c.kappa, p)
    bits = math.ceil(digits * math.log2(10)) + 64
    with mpmath.workdps(digits):
        value = kernel.normaliser_mp(c.m, c.kappa_mp())
    ball = kernel.normaliser_arb(c.m, sympy.Rational(c.kappa), bits)
    holds = kernel.arb_consistent(ball, value, p)
    return claim_holds(
        "F.normaliser", f"C_m(κ) by mpmath (Bessel I at {digits} digits) lies in its arb enclosure (python-flint, {bits} bits) "
        f"to {p} digits", holds, Kind.FRAMEWORK, "sampled: one κ, two independent computations of C_m(κ)",
        detail="" if holds else f"FRAMEWORK ERROR: C_m(κ) = {mpmath.nstr(value, 25)} (mpmath) is not in the arb ball {ball.str(25)}",
        evidence=Evidence.SAMPLED,
    )


def amos_claim(policy: PrecisionPolicy) -> ClaimResult:
    """V2 over ν ∈ {0, ½, …, 5} × κ ∈ [10⁻³, 10⁶] (37 log-spaced values): the smallest relative margin ≥ 0."""
    low, high, order, kappa_value = kernel.v2_smallest_margin(policy.dps, policy.verify_dps)
    where = f"ν = {mpmath.nstr(order, 3)}, κ = {mpmath.nstr(kappa_value, 6)}"
    return claim_le(
        "E2.V2.amos", "V2 (Amos-type): I_(ν+1)(κ)/I_ν(κ) ≥ κ/(ν + 1 + √(κ² + (ν+1)²)) for ν ∈ [0, 5], κ ∈ [10⁻³, 10⁶]",
        -high, 0, policy.tolerance, Kind.PROOF_STEP,
        f"sampled grid of {len(kernel.v2_grid())} (ν, κ) at {policy.verify_dps} digits; value = −(smallest relative margin "
        f"ratio/bound − 1) = −{mpmath.nstr(high, 6)} at {where}, re-evaluated at {policy.dps} digits",
        precision_agrees=policy.agree(low, high), points=len(kernel.v2_grid()),
        detail=f"smallest margin {mpmath.nstr(high, 6)} at {where}" + ("" if high > 0 else " — V2 FAILS here: the inequality as stated in docs/smoothing.md does not hold"),
    )


def ball_ends(value, bound) -> tuple[sympy.Rational, sympy.Rational]:
    """Rationals v̄ ≥ every number of the ball ``value`` and b̲ ≤ every number of the ball ``bound``: the numbers a claim
    decided by balls shows in place of exact Bessel expressions. The verdict comes from the enclosure of the exact
    value − bound; sympy's equality test (``claim_le_certified``) is then instant on two rationals instead of simplifying
    Bessel functions of large arguments (seconds each at m = 2), and equal ends would still mean value ≤ v̄ = b̲ ≤ bound."""
    return sympy.Rational(upper(value)), sympy.Rational(lower(bound))


def amos_instance_claim(c: E2Construction, grid: ClaimResult) -> ClaimResult:
    """V2 where the proof uses it, ν = (m−1)/2 at this κ: κ/(ν + 1 + √(κ² + (ν+1)²)) ≤ I_(ν+1)(κ)/I_ν(κ), decided by arb
    balls (certified); the grid claim ``grid`` (:func:`amos_claim`, sampled) is kept when it FAILs (the lemma is then
    refuted somewhere) and otherwise quoted in the detail."""
    if grid.verdict is Verdict.FAIL:
        return grid
    order, kappa = sympy.Rational(c.m - 1, 2), sympy.Rational(c.kappa)
    amos = compile_arb(F.AMOS_RATIO.subs(F.nu, order), (F.kappa,))

    def enclose(bits: int):
        with ctx.workprec(bits):
            return amos([arb_rational(kappa)]) - kernel.resultant_arb(c.m, kappa, bits)

    with ctx.workprec(PRECISION_BITS):
        value, bound = ball_ends(amos([arb_rational(kappa)]), kernel.resultant_arb(c.m, kappa, PRECISION_BITS))
    claim = claim_le_certified("E2.V2.amos", f"V2 at ν = (m−1)/2 = {order}, κ = {float(kappa):.6g}: "
                               "κ/(ν + 1 + √(κ² + (ν+1)²)) ≤ I_(ν+1)(κ)/I_ν(κ)", value, bound, Kind.PROOF_STEP,
                               "Bessel functions I_ν(κ) in python-flint arb (value and bound shown as the ends of their balls)",
                               enclose=enclose)
    return replace(claim, detail="; ".join(filter(None, (claim.detail, f"the lemma on its grid (sampled): {grid.detail}"))))


def rule_claim(c: E2Construction, policy: PrecisionPolicy) -> ClaimResult:
    """The rule is a partition with exact cell areas: Σ w_i = σ(S^m) (and, for Gauss–Legendre, the
    separation c_(j−1) < z_j < c_j that makes the bands cells of their nodes)."""
    low, high = policy.at_both(lambda _d: exact_area_claim_value(c.rule))
    gauss2 = (c.rule.name, c.m) == ("gauss", 2)
    separated = separation_holds(c.size) and separation_holds_arb(c.size) if gauss2 else True
    proved = bool(abs(area_gap_arb(c.rule.name, c.m, c.size)) < CERTIFIED_TOLERANCE)
    holds = policy.agree(low, 0) and policy.agree(high, 0) and separated and proved
    return claim_holds(
        "E2.V3.rule", f"the {c.rule.name} rule ({c.prefix_length} points) partitions S^{c.m} into cells of exact area w_i "
        "(h, the largest ‖y − p_i‖ on cell i, from the cell geometry)", holds, Kind.PROOF_STEP,
        f"Σ w_i − σ(S^{c.m}) = {mpmath.nstr(high, 3)} at {policy.verify_dps} digits; certified: |Σ w_i − σ(S^{c.m})| < "
        f"{CERTIFIED_TOLERANCE:g} for the rule's arb balls (rules.rule_balls)"
        + ("; Chebyshev–Markov–Stieltjes separation of the Gauss–Legendre nodes proved in arb balls" if gauss2 else ""),
        evidence=Evidence.CERTIFIED if holds else Evidence.SAMPLED,
    )


def two_paths_claim(evaluator: E2Evaluator, head: Head, sups: dict, params: E2Parameters) -> ClaimResult:
    """F.two-paths (verifier.claims) on H0 (proofs.h0.two_paths), mpmath at the sup error's argmax; every part of
    E2's split is continuous, so every sup must agree between float64 and mpmath."""
    return framework_two_paths(h0_paths(evaluator, head, sups["error"].argmax), sups, params.target.bound, params.policy)


def leakage_claim(sup, leak_bound: sympy.Expr, policy: PrecisionPolicy) -> ClaimResult:
    """‖H − Q_f/Q_1‖ ≤ its bound, decided on the ratio sup/bound ≤ 1 (both may lie far below 10^−dps)."""
    with mpmath.workdps(policy.verify_dps):
        bound = mpmath.mpf(sympy.N(leak_bound, policy.verify_dps))
        low, high = sup.value_working / bound, sup.value / bound
    return claim_le(
        "E2.V3.leakage", "‖H − Q_f/Q_1‖ ≤ B·T·e^{2−β−κ(1−h²/2)}/w_min (value: sup/bound, must be ≤ 1)", high, 1,
        policy.tolerance, Kind.PROOF_STEP,
        f"{sup.method}; {sup.points} points; mpmath at {sup.dps} and {sup.verify_dps} digits; sup {mpmath.nstr(sup.value, 6)}, "
        f"bound {mpmath.nstr(bound, 6)}", witness=sup.argmax, precision_agrees=sup.precision_agrees and policy.agree(low, high),
        points=sup.points,
    )


def leakage_budget_claim(c: E2Construction, leak_bound: sympy.Expr, share: sympy.Expr) -> ClaimResult:
    """B·T·e^{2−β−κ(1−h²/2)}/w_min ≤ ε_l with the rule's certified h̄ ≥ h, w̲ ≤ w_min (rationals): with β = 0 the exact
    numbers are compared (:func:`claim_le_certified`); with β > 0 (β the raised offset) the bound equals ε_l
    identically, which sympy proves on symbols."""
    statement = "B·T·e^{2−β−κ(1−h²/2)}/w_min ≤ ε_l = ε/20"
    if c.beta == 0:
        return claim_le_certified("E2.budget.leakage", statement, leak_bound, share, Kind.PROOF_STEP,
                                  "exact sympy numbers with the rule's h̄ ≥ h, w̲ ≤ w_min (arb end points)")
    identity = sympy.simplify(F.LEAK_BOUND.subs(F.beta, F.RAISED_OFFSET) - F.SHARES[2]) == 0
    return claim_holds("E2.budget.leakage", statement, identity, Kind.PROOF_STEP,
                       "β = 2 + ln(BT/ε_l) − ln w_min − κ(1−h²/2) > 0, and with it the bound equals ε_l: "
                       "sympy simplify(bound − ε_l) = 0 on symbols",
                       value=float(sympy.N(leak_bound, 17)), bound=float(share))


def smoothing_budget_claim(c: E2Construction, share: sympy.Expr) -> ClaimResult:
    """V1's bound L√(2(1 − A_m(κ))) ≤ ε_s, decided by arb balls of the Bessel functions (kernel.smoothing_bound_arb; the
    value shown is its ball's upper end, as in :func:`ball_ends`)."""
    kappa, lipschitz = sympy.Rational(c.kappa), sympy.Rational(c.params.target.lipschitz)
    value = sympy.Rational(upper(kernel.smoothing_bound_arb(c.m, kappa, lipschitz, PRECISION_BITS)))
    return claim_le_certified("E2.budget.smoothing", "V1's bound L√(2(1 − A_m(κ))) ≤ ε_s = 2ε/5", value, share,
                              Kind.PROOF_STEP, "Bessel functions I_ν(κ) in python-flint arb (the value shown: its ball's upper end)",
                              enclose=lambda bits: kernel.smoothing_bound_arb(c.m, kappa, lipschitz, bits) - arb_rational(share))


def quadrature_budget_claim(c: E2Construction, bounds, share: sympy.Expr) -> ClaimResult:
    """The quadrature bound ≤ ε_q, decided by its arb enclosure (means.quadrature_bound_arb: acb.integral)."""
    h = c.rule_constants()[0]
    t = c.params.target
    kappa, lipschitz, bound = sympy.Rational(c.kappa), sympy.Rational(t.lipschitz), sympy.Rational(t.bound)
    statement = f"the quadrature bound at h = {float(h):.6g} is ≤ ε_q = 11ε/20"
    method = "L·h + E[(G−1)g] + E[G−1]E[Gg]/E[1/G], the means by acb.integral (python-flint)"
    if not bounds.quadrature.is_finite():
        return ClaimResult("E2.budget.quadrature", statement, Verdict.INCONCLUSIVE, Kind.PROOF_STEP, method,
                           detail="acb.integral gave no finite enclosure of the bound", evidence=Evidence.CERTIFIED)
    return claim_le_certified("E2.budget.quadrature", statement, sympy.Float(decimal_text(bounds.quadrature), 20), share,
                              Kind.PROOF_STEP, method,
                              enclose=lambda bits: means.quadrature_bound_arb(c.m, kappa, h, lipschitz, bound, bits)
                              - arb_rational(share))


def not_sampled(claim_id: str, statement: str, bound: float) -> ClaimResult:
    """A split claim whose sampled search was skipped because the certified bounds decide it (certify.Certified.decides_split):
    INCONCLUSIVE until ``certify.upgraded`` decides it, so it never passes on no evidence."""
    return ClaimResult(claim_id, statement, Verdict.INCONCLUSIVE, Kind.PROOF_STEP,
                       "no sampled search of f_κ: the certified bound decides this claim", bound=bound, evidence=Evidence.SAMPLED)


def split_claims(c: E2Construction, sups: dict, bounds) -> tuple[list[ClaimResult], dict]:
    """Each part of the error against its own bound, and each bound against its share of ε (``bounds``: certify.Bounds).
    The smoothing and quadrature parts are sampled only when ``sups`` holds them (else :func:`not_sampled`)."""
    policy = c.params.policy
    tol = policy.tolerance
    quadrature_bound = lower(bounds.quadrature)  # the claims compare with a float ≤ the bound
    shares = [c.exact(s) for s in F.SHARES]
    v1 = "V1: |f_κ(x) − f(x)| ≤ L√(2(1 − A_m(κ)))"
    v3 = "V3: ‖Q_f/Q_1 − f_κ‖ ≤ the quadrature bound"
    claims = [
        smoothing_budget_claim(c, shares[0]),
        claim_sup_le("E2.V1.smoothing", v1 + " (f_κ by mpmath.quad)", sups["smoothing"], sympy.N(bounds.smoothing, 40), tol,
                     Kind.PROOF_STEP) if "smoothing" in sups else not_sampled("E2.V1.smoothing", v1, float(sympy.N(bounds.smoothing, 17))),
        quadrature_budget_claim(c, bounds, shares[1]),
        claim_sup_le("E2.V3.quadrature", v3, sups["quadrature"], quadrature_bound, tol, Kind.PROOF_STEP)
        if "quadrature" in sups else not_sampled("E2.V3.quadrature", v3, quadrature_bound),
        leakage_budget_claim(c, bounds.leakage, shares[2]),
        leakage_claim(sups["leakage"], bounds.leakage, policy),
        claim_holds("E2.budget", "ε_s + ε_q + ε_l = 2ε/5 + 11ε/20 + ε/20 = ε", sympy.simplify(sum(F.SHARES) - F.eps) == 0,
                    Kind.PROOF_STEP, "sympy"),
    ]
    part_bounds = {"smoothing": float(sympy.N(bounds.smoothing, 17)), "quadrature": quadrature_bound,
                   "leakage": float(sympy.N(bounds.leakage, 17))}
    split = {part: {**({"sup": float(sups[part].value)} if part in sups else {}), "bound": bound}
             for part, bound in part_bounds.items()}
    return claims, split
