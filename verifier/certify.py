"""The certified hypotheses ‖f‖ ≤ B, Lip(f) ≤ L, and the rule that turns a sampled claim and a
certified upper bound (``verifier.branch_bound``) into a verdict."""
from __future__ import annotations

import math
from dataclasses import replace

import sympy

from .ball import CannotCertify
from .bounds import bound_upper, lipschitz_upper
from .branch_bound import Bounded
from .budget import Budget  # declared with the other budgets (light: a theorem's declaration uses it)
from .claims import ClaimResult, Evidence, Verdict
from .errors import InputError
from .precision import PrecisionPolicy
from .targets import Target, check_hypotheses

TIE = 1e-4  # a certified bound this close above the claim: a tie ball radii cannot settle; the claim stays sampled

HYPOTHESES = {"H.lipschitz": ("L", "--lipschitz", lipschitz_upper), "H.bound": ("B", "--bound", bound_upper)}


def certified_hypotheses(target: Target, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget,
                         certify: bool = True) -> list[ClaimResult]:
    """The hypotheses Lip(f) ≤ L and ‖f‖ ≤ B: sampled first (a witness above the claim refutes it,
    evidence sampled), then, unless refuted or ``certify`` is false, a certified upper bound u:

        u ≤ claimed → PASS (certified);   sampled < claimed < u → INCONCLUSIVE with both numbers.

    A target the ball back-end cannot enclose keeps its sampled verdict and says why."""
    sampled = check_hypotheses(target, policy, seed, samples)
    if not certify:
        return sampled
    claimed = {"H.lipschitz": target.lipschitz, "H.bound": target.bound}
    out = []
    for claim in sampled:
        name, flag, bounder = HYPOTHESES[claim.id]
        if claim.verdict is Verdict.FAIL:
            out.append(claim)
            continue
        try:
            bounded = bounder(target, float(claimed[claim.id]), budget)
        except CannotCertify as reason:
            out.append(replace(claim, detail="; ".join(filter(None, (claim.detail, f"{reason}; the claim stays sampled")))))
            continue
        out.append(decide_certified(claim, bounded, claimed[claim.id], name, flag))
    return out


def decide_certified(claim: ClaimResult, bounded: Bounded, claimed, name: str, flag: str) -> ClaimResult:
    """A hypothesis 'q ≤ claimed', sampled and not refuted, combined with a certified upper bound of q."""
    return combine(claim, bounded, claimed, f"claimed {name} = {claimed}",
                   f"pass {flag} auto, or a value ≥ the certified bound")


def combine(claim: ClaimResult, bounded: Bounded, bound, what: str, fix: str, index: int = 0) -> ClaimResult:
    """A sampled claim 'sup q ≤ bound' with the certified upper bound u = bounded.uppers[index]:
    a sampled FAIL (a witness confirmed in mpmath) stays FAIL; u ≤ bound → PASS (certified);
    otherwise INCONCLUSIVE with both numbers, never PASS."""
    if claim.verdict is Verdict.FAIL:
        return claim
    claim = replace(claim, cells=bounded.cells, seconds=(claim.seconds or 0.0) + bounded.seconds)  # sampling + B&B
    u = bounded.uppers[index]
    how = f"certified: branch and bound in ball arithmetic, {bounded.cells} cells"
    if math.isfinite(u) and _le_exact(u, bound):
        return replace(claim, verdict=Verdict.PASS, evidence=Evidence.CERTIFIED, value=u,
                       method=f"{how}; certified upper bound {u:.6g} ≤ {float(bound):.6g}; {claim.method}")
    budget = "" if bounded.decided else " (budget exhausted)"
    if u <= float(bound) * (1 + TIE):  # a tie: keep the sampled verdict and its advice
        note = (f"certified ≤ {u:.12g}, within {TIE:g} of the claim: ball arithmetic cannot settle a claim equal to the "
                "true value, so the claim stays sampled")
        return replace(claim, method=f"{how}; {claim.method}", detail="; ".join(filter(None, (claim.detail, note))))
    return replace(
        claim, verdict=Verdict.INCONCLUSIVE, evidence=Evidence.SAMPLED, method=f"{how}; {claim.method}",
        detail=f"{what} is neither refuted nor proved: certified ≤ {u:.6g}{budget}, sampled ≥ {claim.value:.6g}; {fix}")


def _le_exact(value: float, claimed) -> bool:
    """value ≤ claimed, compared exactly (a float is a binary rational)."""
    return bool(sympy.Rational(value) <= claimed)


def automatic_value(target: Target, which: str, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget):
    """``--lipschitz auto`` / ``--bound auto``: a certified upper bound of Lip(f) or sup‖f‖, refined
    until it is within 5% of the sampled lower bound (or the budget ends), rounded up to 6 digits."""
    claim_id = "H.lipschitz" if which == "lipschitz" else "H.bound"
    name, flag, bounder = HYPOTHESES[claim_id]
    sampled = {c.id: c for c in check_hypotheses(target, policy, seed, samples)}[claim_id]
    try:
        bounded = bounder(target, 1.05 * sampled.value, budget)
    except CannotCertify as reason:
        raise InputError(f"{flag} auto needs a certified bound, but {reason}; give {flag} explicitly") from None
    if not math.isfinite(bounded.upper):
        raise InputError(f"{flag} auto: no finite certified bound of {name} within the budget "
                         f"(is the target defined on the whole {'unit ball' if name == 'L' else 'sphere'}?); "
                         f"give {flag} explicitly")
    digits = 6 - 1 - math.floor(math.log10(bounded.upper)) if bounded.upper > 0 else 0
    scale = sympy.Integer(10) ** digits
    return sympy.ceiling(sympy.Rational(bounded.upper) * scale) / scale if bounded.upper > 0 else sympy.Rational(1, 10**6)
