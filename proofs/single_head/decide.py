"""E1 decided by its theorem claim alone (``verifier sweep``'s candidate sizes): E1.step5.sup,

    sup_{x∈S^m} ‖H(x) − f(x)‖ ≤ ε,

sampled (the float64 scan and its mpmath polish, as in the full check), then certified by a branch and bound of
‖H − f‖ alone: on every face cell ``proofs.h0.enclosure`` bounds ‖H − f‖, and cells are split until each bound is
≤ ε or the cell budget ends. The full check splits until near ≤ ε/2, far ≤ ε/4 and leak ≤ ε/4 as well, budgets
that fail below the constructed size while the sup holds, so there it spends its whole budget on claims the sweep
does not ask; here a cell is done as soon as its ‖H − f‖ is. The verdict is read as in the full check
(``verifier.certify.combine``): a sampled FAIL (a witness confirmed in mpmath) stays FAIL, a certified bound ≤ ε is a
certified PASS, else INCONCLUSIVE unless ‖H − f‖ > ε at the worst cell's centre at both precisions (FAIL).
"""
from __future__ import annotations

from verifier.bounds import target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.certify import combine
from verifier.claims import ClaimResult, Verdict

from proofs.h0.enclosure import NAMES, enclose_parts_many

from .certify import initial_cells, prefix_balls, witness_at

ERROR = NAMES.index("error")


def certify_error(construction, budget) -> Bounded:
    """Branch and bound of sup_{S^m} ‖H − f‖ ≤ ε alone (its upper bound is ``uppers[0]``)."""
    c = construction
    prefix, functions = prefix_balls(c), target_functions(c.params.target)

    def error(cells) -> list[tuple]:
        return [parts[ERROR:ERROR + 1] for parts in enclose_parts_many(prefix, cells, functions)]

    return branch_and_bound(initial_cells(c.m, c.n), lambda cell: error([cell])[0], (float(c.params.eps),),
                            lambda cell: cell.split(), budget, many=error)


def certified_sup(claim: ClaimResult, construction, params, evaluator) -> tuple[ClaimResult, dict]:
    """The sampled E1.step5.sup decided by :func:`certify_error` (module doc), and the certified facts of ``sup_error``."""
    lower = float(claim.value)
    if claim.verdict is Verdict.FAIL:  # refuted by a witness confirmed in mpmath
        return claim, {"lower": lower, "certified_upper": None,
                       "not_certified": "the sampled witness already refutes the sup claim"}
    bounded = certify_error(construction, params.budget)
    out = combine(claim, bounded, params.eps, "sup ‖H − f‖ ≤ ε", "raise --cert-cells, or use a smaller --eps")
    if out.verdict is Verdict.INCONCLUSIVE and bounded.worst is not None:
        out = witness_at(out, evaluator, bounded.worst, params)
    return out, {"lower": lower, "certified_upper": bounded.upper, "cells": bounded.cells, "decided": bounded.decided}
