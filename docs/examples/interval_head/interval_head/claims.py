"""The claims of one instance: the target's hypotheses, the proof's steps, the theorem, and the two paths."""
from __future__ import annotations

import mpmath
import numpy as np
import sympy

from verifier.attention import forward_matrix_mp, forward_matrix_numpy
from verifier.claims import ClaimResult, Kind, TwoPaths, claim_exp_le, claim_holds, claim_le, claim_sup_le
from verifier.claims import two_paths_claim as framework_two_paths
from verifier.errors import InputError
from verifier.exact_sign import log_form

from . import formulas as F
from .construction import Construction, Parameters
from .evaluator import Evaluator


def hypotheses(params: Parameters) -> list[ClaimResult]:
    """H.bound and H.lipschitz, sampled on a uniform grid of ``points`` points: the largest |h(z)| and the largest
    difference quotient |h(z') − h(z)|/|z' − z| of neighbours (each a lower bound of the true B and L), re-read
    in mpmath at both precisions at the worst point."""
    h, policy = params.target, params.policy
    z = np.linspace(0, 1, params.points)
    values = h.numpy(z)
    if not np.all(np.isfinite(values)):
        bad = float(z[int(np.argmin(np.isfinite(values)))])
        raise InputError(f"--target {h.text!r} is not finite at z = {bad:.6g}; give a target defined on all of [0, 1]")
    i = int(np.argmax(np.abs(values)))
    j = int(np.argmax(np.abs(np.diff(values)) / np.diff(z)))
    bound = policy.at_both(lambda _: abs(h.mp(z[i])))
    slope = policy.at_both(lambda _: abs(h.mp(z[j + 1]) - h.mp(z[j])) / (mpmath.mpf(z[j + 1]) - mpmath.mpf(z[j])))
    how = f"sampled: {params.points} grid points, mpmath at {policy.dps} and {policy.verify_dps} digits at the worst"
    return [
        claim_le("H.bound", f"|h(z)| ≤ B = {h.bound} on [0, 1]", bound[1], h.bound, policy.tolerance, Kind.HYPOTHESIS,
                 how, witness=(float(z[i]),), precision_agrees=policy.agree(*bound)),
        claim_le("H.lipschitz", f"|h(z) − h(z')| ≤ L·|z − z'| with L = {h.lipschitz}", slope[1], h.lipschitz,
                 policy.tolerance, Kind.HYPOTHESIS, how + " pair of neighbours", witness=(float(z[j]), float(z[j + 1])),
                 precision_agrees=policy.agree(*slope)),
    ]


def two_paths_claim(evaluator: Evaluator, sups: dict) -> ClaimResult:
    """F.two-paths by the framework's one rule (verifier.claims.two_paths_claim): the derived closed form against the
    plain matrix forward pass, float64 at 512 points and mpmath at the argmax of the error, and the float64 error
    against its mpmath value there; the value scale is the target's bound B."""
    c, head, params = evaluator.c, evaluator.head, evaluator.c.params

    def matrix_f64(z: np.ndarray) -> np.ndarray:
        queries = np.column_stack([z, np.ones_like(z), np.zeros_like(z)])  # e(z) = (z, 1, 0)
        return forward_matrix_numpy(head, queries, c.float64.tokens(), np.empty((len(z), 0, 3)))[:, 0]

    def closed_mp(t) -> list:
        return [evaluator.cf.output_mp([mpmath.mpf(t)], c.at_precision(), [])[0]]

    def matrix_mp(t) -> list:
        prefix = c.at_precision()
        tokens = [[k[0], b, v[0]] for k, b, v in zip(prefix.keys, prefix.biases, prefix.values)]
        return [forward_matrix_mp(head, [mpmath.mpf(t), 1, 0], tokens)[0]]

    paths = TwoPaths(evaluator.output_f64, matrix_f64, np.linspace(0, 1, 512), closed_mp, matrix_mp, sups["error"].argmax[0])
    return framework_two_paths(paths, {"error": sups["error"]}, params.target.bound, params.policy)


def instance_claims(c: Construction, evaluator: Evaluator, sups: dict) -> list[ClaimResult]:
    """The proof, step by step, then the theorem (see the docs page for the proof)."""
    params, tol = c.params, c.params.policy.tolerance
    eps, half = params.eps, params.eps / 2
    values = {F.lam: c.lam, F.N: c.N}
    return [
        claim_holds("IH.grid", "step 1: N = K + 1 grid points a_i = i/K cover [0, 1] within δ = 1/(2K) ≤ r/√2",
                    bool(c.delta**2 <= c.r**2 / 2), Kind.PROOF_STEP,
                    f"exact rationals: K = {c.K}, δ² = {c.delta**2}, r²/2 = {c.r**2 / 2}",
                    value=float(c.delta), bound=float(c.r / sympy.sqrt(2))),
        claim_sup_le("IH.near", "step 2: the tokens within r = ε/(2L) of z contribute at most L·r = ε/2",
                     sups["near"], half, tol, Kind.PROOF_STEP),
        claim_exp_le("IH.far-bound", "step 3 (bound): 2BN·e^{−λr²/4} ≤ ε/2",
                     params.exact(log_form(F.BUDGET[1]).subs(values)), params.exact(log_form(F.eps / 2)),
                     Kind.PROOF_STEP, "exact sympy numbers with the construction's N and λ"),
        claim_sup_le("IH.far", "step 3: the tokens farther than r contribute at most ε/2", sups["far"], half, tol,
                     Kind.PROOF_STEP),
        F.budget_identity_claim(),
        claim_sup_le("IH.sup", "the theorem: sup over [0, 1] of |H(z) − h(z)| ≤ ε", sups["error"], eps, tol, Kind.THEOREM),
        two_paths_claim(evaluator, sups),
    ]
