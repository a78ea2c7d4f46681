"""E2 decided by its theorem claim alone (``verifier sweep``'s candidate sizes): E2.sup,

    sup_{x∈S^m} ‖H(x) − f(x)‖ ≤ ε,

sampled from the head alone (no f_κ, which only the split's claims read) and, where the instance is certified
(``certify.skip_reason``), upgraded by the branch and bound of ``certify.certify`` as in the full check
(``certify.upgraded``), its cells split for ε alone (``sup_only``). The split's claims (V1 smoothing, V3 quadrature and leakage, their budgets), V2 (Amos's
inequality), the rule's and the normaliser's checks bound the parts of the error on the way to the theorem; E2.sup
bounds the error itself, so its verdict rests on none of them: only on the hypotheses (run before, as for the full
check) and on the H0 closed form through which the head is evaluated (exact).
"""
from __future__ import annotations

import sympy

from verifier.attention import derive_closed_form
from verifier.claims import Kind, Verdict, claim_sup_le
from verifier.theorem import Outcome

from proofs.h0.closed_form import closed_form_claim
from proofs.h0.head import h0_head

from . import certify
from .construction import E2Construction, E2Evaluator


def decide(params) -> Outcome:
    """The closed form (exact) and E2.sup (sampled, certified where the instance is), with the facts a sweep reads:
    κ, the rule's size, N and the record ``sup_error``."""
    m = params.dim
    cf = derive_closed_form(h0_head(m, params.target.d), m, params.target.d)
    c = E2Construction(params)
    error = E2Evaluator(c, cf).head_sups()["error"]
    sup = claim_sup_le("E2.sup", f"E2: sup over S^{m} of ‖H(x) − f(x)‖ ≤ ε", error, params.eps, params.policy.tolerance,
                       Kind.THEOREM)
    reason = certify.skip_reason(params) or (
        "the sampled witness already refutes the sup claim" if sup.verdict is Verdict.FAIL else None)
    proof = None if reason else certify.certify(c, certify.Bounds.of(c), params.budget, sup_only=True)
    if proof is not None:
        (sup,) = certify.upgraded([sup], proof, params.eps)
    facts = {"kappa": float(sympy.N(c.kappa, 17)), "rule": c.rule.name, "rule_size": c.size,
             "prefix_length": c.prefix_length, "prefix_length_bound": c.prefix_length,
             "sup_error": {**error.to_json(), **(proof.sup_facts() if proof else {"not_certified": reason})}}
    return Outcome((closed_form_claim(cf), sup), facts)
