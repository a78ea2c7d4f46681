"""The certified hypotheses ‖f‖ ≤ B, Lip(f) ≤ L, and the rule that turns a sampled claim and a
certified upper bound (``verifier.branch_bound``) into a verdict."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Callable, Mapping, Optional

import mpmath
import sympy

from .ball import CannotCertify
from .bounds import bound_upper, lipschitz_upper
from .branch_bound import Bounded
from .budget import CLOCK_STOP, Budget
from .claims import ClaimResult, Evidence, Verdict
from .errors import InputError
from .precision import PrecisionPolicy, exact_to_mp
from .refine import Refined, norm_quantity, refine_maximum, slope_quantity
from .targets import Target, check_hypotheses

TIE = 1e-4  # a certified bound this close above the claim is a tie: the claim may equal the true value (tie rule)

HYPOTHESES = {"H.lipschitz": ("L", "--lipschitz", lipschitz_upper, slope_quantity),
              "H.bound": ("B", "--bound", bound_upper, norm_quantity)}


def certified_hypotheses(target: Target, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget,
                         certify: bool = True, proved: Mapping[str, Bounded] = MappingProxyType({})) -> list[ClaimResult]:
    """The hypotheses Lip(f) ≤ L and ‖f‖ ≤ B: sampled first (a witness above the claim refutes it,
    evidence sampled), then, unless refuted or ``certify`` is false, a certified upper bound u:

        u ≤ claimed → PASS (certified);   otherwise the tie rule of :func:`combine`, or INCONCLUSIVE.

    ``proved`` holds the branch and bound that already certified a claimed value (``--lipschitz auto`` /
    ``--bound auto``, see :func:`automatic_value`): that claim is decided from it, not bounded a second time
    under a smaller budget. A target the ball back-end cannot enclose keeps its sampled verdict and says why."""
    sampled = check_hypotheses(target, policy, seed, samples)
    if not certify:
        return sampled
    claimed = {"H.lipschitz": target.lipschitz, "H.bound": target.bound}
    out = []
    for claim in sampled:
        name, flag, bounder, quantity = HYPOTHESES[claim.id]
        if claim.verdict is Verdict.FAIL:
            out.append(claim)
            continue
        try:
            bounded = proved[claim.id] if claim.id in proved else bounder(target, float(claimed[claim.id]), budget)
        except CannotCertify as reason:
            out.append(replace(claim, detail="; ".join(filter(None, (claim.detail, f"{reason}; the claim stays sampled")))))
            continue
        refined = TieCheck(lambda q=quantity, w=claim.witness: refine_maximum(q(target), w, target.m, policy),
                           policy, f"pass {flag} ≥ the refined value, or change the target")
        out.append(combine(claim, bounded, claimed[claim.id], f"claimed {name} = {claimed[claim.id]}",
                           f"pass {flag} auto, or a value ≥ the certified bound", tie=refined))
    return out


@dataclass(frozen=True)
class TieCheck:
    """How :func:`combine` settles a tie: ``refine()`` gives the locally refined sampled maximum (verifier.refine),
    compared with the claim at the check precision within the policy's tolerance (relative to max(1, |bound|));
    ``refuted_fix`` is the advice when it exceeds the claim."""

    refine: Callable[[], Refined]
    policy: PrecisionPolicy
    refuted_fix: str


def combine(claim: ClaimResult, bounded: Bounded, bound, what: str, fix: str, index: int = 0,
            tie: Optional[TieCheck] = None) -> ClaimResult:
    """A sampled claim 'sup q ≤ bound' with the certified upper bound u = bounded.uppers[index]:

        a sampled FAIL (a witness confirmed in mpmath) stays FAIL;   u ≤ bound → PASS (certified);
        bound < u ≤ bound·(1 + TIE), with ``tie`` → the tie rule;    otherwise INCONCLUSIVE with both numbers.

    The tie rule: ball radii cannot reach a claim equal to the true value, so the claim is decided by the
    locally refined sampled maximum r (``tie.refine()``, at both precisions, which must agree): r above the claim
    (beyond the tolerance) refutes it (FAIL, sampled witness); r equal to the claim within the tolerance keeps the
    sampled PASS (the constant is attained: tight); r below it leaves the claim INCONCLUSIVE with both numbers,
    never PASS. A branch and bound stopped by the wall-clock guard says so (``verifier.budget.CLOCK_STOP``)."""
    if claim.verdict is Verdict.FAIL:
        return claim
    claim = replace(claim, cells=bounded.cells, seconds=(claim.seconds or 0.0) + bounded.seconds)  # sampling + B&B
    u = bounded.uppers[index]
    how = f"certified: branch and bound in ball arithmetic, {bounded.cells} cells"
    if math.isfinite(u) and _le_exact(u, bound):
        text = bounded.text(index)  # the exact bound, when the enclosures were balls
        underflows = text is not None and float(mpmath.mpf(text)) == 0  # u is then the subnormal above it: show the text
        return replace(claim, verdict=Verdict.PASS, evidence=Evidence.CERTIFIED, value=0.0 if underflows else u,
                       value_text=text, method=f"{how}; certified upper bound {text or f'{u:.6g}'} ≤ {float(bound):.6g}; "
                                               f"{claim.method}")
    claim = replace(claim, method=f"{how}; {claim.method}")
    if tie is not None and math.isfinite(u) and u <= float(bound) * (1 + TIE):
        return _settle_tie(claim, u, bound, tie)
    budget = (f" ({CLOCK_STOP})" if bounded.stopped_by_clock else "" if bounded.decided
              else " (cell budget exhausted)")
    return replace(claim, verdict=Verdict.INCONCLUSIVE, evidence=Evidence.SAMPLED,
                   detail=f"{what} is neither refuted nor proved: certified ≤ {u:.6g}{budget}, sampled ≥ {claim.value:.6g}; {fix}")


def _settle_tie(claim: ClaimResult, u: float, bound, tie: TieCheck) -> ClaimResult:
    """The tie rule of :func:`combine`, with the certified upper bound ``u`` just above ``bound``."""
    refined = tie.refine()
    with mpmath.workdps(tie.policy.verify_dps):
        r = refined.value
        excess, slack = r - exact_to_mp(bound), tie.policy.tolerance * max(1, abs(exact_to_mp(bound)))
    numbers = (f"certified ≤ {u:.12g} (within {TIE:g} of the claim), refined sampled maximum {mpmath.nstr(r, 12)} "
               f"(mpmath compass search, {refined.evaluations} evaluations)")
    if not refined.agrees_with_check:
        return replace(claim, verdict=Verdict.INCONCLUSIVE, evidence=Evidence.SAMPLED,
                       detail=f"{numbers}, but the refined value differs between the working and the check precision: raise --dps")
    if excess > slack:
        return replace(claim, verdict=Verdict.FAIL, evidence=Evidence.SAMPLED, value=float(r), witness=refined.point,
                       detail=f"{tie.refuted_fix} ({numbers} exceeds the claim)")
    if excess >= -slack:  # PASS even when sampling alone could not separate the claim from its value (claim_le's tie)
        return replace(claim, verdict=Verdict.PASS, evidence=Evidence.SAMPLED,
                       detail=f"{numbers} reaches the claim within the tolerance: the claim is attained (tight), which "
                              "ball arithmetic cannot prove, so it stays sampled")
    return replace(claim, verdict=Verdict.INCONCLUSIVE, evidence=Evidence.SAMPLED,
                   detail=f"a tie the refinement does not settle: {numbers} is below the claim by more than the tolerance; "
                          "pass a slightly larger value to check the theorem with a margin")


def _le_exact(value: float, claimed) -> bool:
    """value ≤ claimed, compared exactly (a float is a binary rational)."""
    return bool(sympy.Rational(value) <= claimed)


@dataclass(frozen=True)
class Automatic:
    """``--lipschitz auto`` / ``--bound auto``: the value (exact rational) and the branch and bound that proved it."""

    value: sympy.Rational
    proof: Bounded


def automatic_value(target: Target, which: str, policy: PrecisionPolicy, seed: int, samples: int, budget: Budget) -> Automatic:
    """``--lipschitz auto`` / ``--bound auto``: a certified upper bound u of Lip(f) or sup‖f‖, refined until it
    is within 5% of the sampled lower bound (or the cell budget ends), rounded up to 6 digits; the branch and
    bound is kept as the proof of the hypothesis (``certified_hypotheses(proved=…)``)."""
    claim_id = "H.lipschitz" if which == "lipschitz" else "H.bound"
    name, flag, bounder, _ = HYPOTHESES[claim_id]
    sampled = _sampled_values(replace(target, lipschitz=sympy.Integer(1), bound=sympy.Integer(1)), policy, seed, samples)[claim_id]
    try:
        bounded = bounder(target, 1.05 * sampled.value, budget)
    except CannotCertify as reason:
        raise InputError(f"{flag} auto needs a certified bound, but {reason}; give {flag} explicitly") from None
    if not math.isfinite(bounded.upper):
        raise InputError(f"{flag} auto: no finite certified bound of {name} within the budget "
                         f"(is the target defined on the whole {'unit ball' if name == 'L' else 'sphere'}?); "
                         f"give {flag} explicitly")
    if bounded.upper <= 0:
        return Automatic(sympy.Rational(1, 10**6), bounded)
    digits = 6 - 1 - math.floor(math.log10(bounded.upper))
    scale = sympy.Integer(10) ** digits
    return Automatic(sympy.ceiling(sympy.Rational(bounded.upper) * scale) / scale, bounded)


@functools.lru_cache(maxsize=8)
def _sampled_values(target: Target, policy: PrecisionPolicy, seed: int, samples: int) -> Mapping[str, ClaimResult]:
    """The sampled hypotheses of f, whose values (sampled lower bounds of Lip(f) and sup ‖f‖) do not depend on the
    claimed L and B (``target`` carries placeholders): computed once for ``--lipschitz auto`` and ``--bound auto``."""
    return MappingProxyType({c.id: c for c in check_hypotheses(target, policy, seed, samples)})
