"""E2 certified: the quadrature prefix in ball form, and branch and bound of its sup error over S^m.

E2's prefix is an H0 prefix with token-dependent biases: token i = (κ p_i, ln w_i + β, f(p_i)) with the rule's
unit points p_i and cell areas w_i (``rules.rule_balls``: balls containing the exact numbers of the rule's formulas),
κ and β enclosed from their exact sympy values. So ``proofs.h0.enclosure`` bounds ‖H − f‖ on every face cell
(λ = κ, β_i = ln w_i + β; T content tokens of score 2), and ``verifier.branch_bound`` splits until the bound is
below ε everywhere or the cell budget ends. The split of the error (smoothing, quadrature, leakage) involves f_κ,
a convolution the ball back-end does not enclose: those claims stay as they are (see the theorem).
"""
from __future__ import annotations

from typing import Optional

from flint import ctx

from verifier.ball import PRECISION_BITS, CannotCertify, sympy_number
from verifier.bounds import target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import Budget
from verifier.cells import dyadic_face_cells
from verifier.certify import combine
from verifier.claims import ClaimResult, Verdict
from verifier.targets import Target

from proofs.h0.enclosure import PrefixBalls, enclose_parts

from .construction import E2Construction
from .rules import rule_balls


def why_not_certifiable(target: Target) -> Optional[str]:
    """None if the target compiles to ball functions, else the reason (E2.sup then stays sampled)."""
    try:
        target_functions(target)
    except CannotCertify as reason:
        return str(reason)
    return None


def prefix_balls(construction: E2Construction) -> PrefixBalls:
    """The exact E2 prefix as balls: points p_i, values f(p_i), λ = κ, biases ln w_i + β (``near_cos`` is
    1 − h²/2 with h the rule's cell radius; only the near/far split reads it, which E2 does not claim)."""
    c = construction
    functions = target_functions(c.params.target)
    points, weights = rule_balls(c.rule.name, c.m, c.size)
    with ctx.workprec(PRECISION_BITS):
        beta, h = sympy_number(c.beta), sympy_number(c.rule_constants()[0])
        return PrefixBalls(points, [[f(p) for f in functions] for p in points], sympy_number(c.kappa),
                           [w.log() + beta for w in weights], c.params.context, 1 - h * h / 2)


def initial_cells(m: int, prefix_length: int) -> list:
    """Face cells about one rule cell wide: per_edge the power of two ≤ (N / (2(m+1)))^(1/m)."""
    return dyadic_face_cells(m, max(1.0, prefix_length / (2 * (m + 1))) ** (1 / m))


def certify_sup(construction: E2Construction, budget: Budget) -> Bounded:
    """Branch and bound of sup_{S^m} ‖H − f‖ ≤ ε (its upper bound is ``uppers[0]``)."""
    c = construction
    prefix = prefix_balls(c)
    functions = target_functions(c.params.target)
    return branch_and_bound(initial_cells(c.m, c.prefix_length), lambda cell: enclose_parts(prefix, cell, functions)[:1],
                            (float(c.params.eps),), lambda cell: cell.split(), budget)


AUTO_MAX_DIM = 1  # --evidence auto certifies on S^1 only: on S^2 a cell costs ~0.2 s (hundreds of tokens each)


def certified_sup(claim: ClaimResult, construction: E2Construction) -> tuple[ClaimResult, dict]:
    """The sampled claim E2.sup upgraded by :func:`certify_sup` where it decides it (``verifier.certify.combine``),
    and the certified facts for the JSON ``sup_error``. Skipped, with the reason in the facts, under
    ``--evidence sampled``, under ``--evidence auto`` on S^2 (AUTO_MAX_DIM: ε = 0.4 took 6 144 cells and 24 min on two
    busy cores; ``--evidence certified`` runs it), for a target the ball back-end cannot enclose, and when the sampled
    witness already refutes the claim (a FAIL stays a FAIL)."""
    params = construction.params
    reason = ("certification skipped (--evidence sampled)" if params.evidence == "sampled"
              else f"certification on S^{params.dim} only with --evidence certified (it takes tens of minutes there)"
              if params.evidence == "auto" and params.dim > AUTO_MAX_DIM
              else why_not_certifiable(params.target)
              or ("the sampled witness already refutes the sup claim" if claim.verdict is Verdict.FAIL else None))
    if reason:
        return claim, {"not_certified": reason}
    bounded = certify_sup(construction, params.budget)
    combined = combine(claim, bounded, params.eps, "sup ‖H − f‖ ≤ ε", "raise --cert-cells, or use a smaller --eps")
    return combined, {"certified_upper": bounded.upper, "cells": bounded.cells, "decided": bounded.decided}
