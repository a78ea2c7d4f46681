"""E1's claims that are not a one-line call of verifier.claims: H0's closed form, the two paths, the covering."""
from __future__ import annotations

from dataclasses import replace

import sympy

from verifier.attention import Head
from verifier.claims import ClaimResult, Kind, Verdict, claim_le, two_paths_claim as framework_two_paths
from verifier.domains import CoveringRadius

from proofs.h0.two_paths import h0_paths

from .construction import E1Construction, E1Parameters
from .evaluator import CONTINUOUS_PARTS, E1Evaluator


def two_paths_claim(evaluator: E1Evaluator, head: Head, sups: dict, params: E1Parameters) -> ClaimResult:
    """F.two-paths (verifier.claims) on H0 (proofs.h0.two_paths), mpmath at the sup's argmax. Only the continuous
    quantities must agree between float64 and mpmath: near/far jump where ‖x − p_i‖ = r, and refinement climbs to
    that edge, where float64 and mpmath may classify p_i differently."""
    return framework_two_paths(h0_paths(evaluator, head, sups["error"].argmax), {name: sups[name] for name in CONTINUOUS_PARTS},
                               params.target.bound, params.policy)


def covering_claim(construction: E1Construction, rho: CoveringRadius) -> ClaimResult:
    """Step 1: the realised covering radius ρ of the prefix points is ≤ δ."""
    delta = float(construction.delta)
    statement = f"step 1 (covering): every x ∈ S^{construction.m} has a prefix point within δ = r/√2"
    if rho.method != "sampled":
        return claim_le("E1.step1.covering", statement, rho.value, delta, 1e-9, Kind.PROOF_STEP,
                        f"{rho.method} (float64 geometry; margin must exceed 1e-9)", witness=rho.witness)
    # m ≥ 3: sampling only gives a lower estimate; a PASS needs the proof's bound √m/n ≤ δ for the E1 grid.
    is_grid = construction.params.tamper != "short-prefix"
    proof_bound = sympy.sqrt(construction.m) / construction.n
    proof_ok = is_grid and bool(proof_bound <= construction.delta)
    claim = claim_le("E1.step1.covering", statement, rho.value, delta, 1e-9, Kind.PROOF_STEP,
                     f"sampled lower estimate ({rho.samples} points) + the proof bound √m/n = {float(proof_bound):.6g} "
                     f"({'applies' if is_grid else 'does not apply: not the E1 grid'})", witness=rho.witness)
    if claim.verdict is Verdict.PASS and not proof_ok:
        return replace(claim, verdict=Verdict.INCONCLUSIVE, detail="sampling cannot prove a covering radius")
    return claim

