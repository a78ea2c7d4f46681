"""E1 certified: the construction in ball form, and branch and bound of its sup error over S^m.

The prefix certified is the exact construction of E1: p_i = g_i/‖g_i‖ for the integer cube-surface
vectors g_i = 2j − n (j ∈ {0..n}^(m+1)), v_i = f(p_i), λ = (4/r²)·ln(8BN/ε), β as in formulas.py, each
enclosed in a ball from its exact value. On every face cell, ``proofs.h0.enclosure`` bounds
‖H − f‖, ‖near‖, ‖far‖ and ‖leak‖; ``verifier.branch_bound.branch_and_bound`` splits until each bound is
below its claim (ε, ε/2, ε/4, ε/4) or the budget ends, bounding each round's cells together
(``proofs.h0.enclosure.enclose_parts_many``). Step 1 (covering) is certified the same way: on a cell,
min_p ‖x − p‖ ≤ (2 − 2 max_p min_{x∈C} ⟨x, p⟩)^(1/2) over the cell's nearest prefix points, in rigorous float
intervals for many cells at once (``verifier.cells.FaceGeometry``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import mpmath
import numpy as np
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, CannotCertify, sympy_number
from verifier.cells import FaceCell, FaceGeometry, dyadic_face_cells
from verifier.bounds import target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.certify import combine
from verifier.claims import Verdict, decide_le
from verifier.intervals import down, up
from proofs.h0.enclosure import NAMES, PrefixBalls, enclose_parts, enclose_parts_many

MAX_CERTIFIED_DIM = 3
TIGHT = 1.05  # --tight: the certified upper bound within 5% of the sampled lower bound


def why_not_certifiable(params) -> Optional[str]:
    """None if the instance can be certified, else the reason (the claims then stay sampled)."""
    if params.dim > MAX_CERTIFIED_DIM:
        return f"cannot certify: m = {params.dim} > {MAX_CERTIFIED_DIM} (face cells are implemented up to S^3)"
    if params.tamper == "short-prefix":
        return "cannot certify: the short-prefix negative control has no exact ball form"
    try:
        target_functions(params.target)
    except CannotCertify as reason:
        return str(reason)
    return None


def prefix_balls(construction) -> PrefixBalls:
    """The exact E1 prefix (or its small-lambda / wrong-values tamper) as balls."""
    c = construction
    functions = target_functions(c.params.target)
    with ctx.workprec(PRECISION_BITS):
        points = []
        for row in c.grid.indices:
            g = [arb(2 * int(j) - c.n) for j in row]
            norm = sum((v * v for v in g), arb(0)).sqrt()
            points.append([v / norm for v in g])
        values = [[c.value_sign * f(p) for f in functions] for p in points]
        r = sympy_number(c.r)
        return PrefixBalls(points, values, sympy_number(c.lam), [sympy_number(c.beta)] * len(points), c.params.context,
                           1 - r * r / 2)


@dataclass(frozen=True)
class CertifiedSups:
    """Certified upper bounds per part (NAMES order), the branch and bound that produced them."""

    bounded: Bounded
    thresholds: tuple[float, ...]

    def upper(self, name: str) -> float:
        return self.bounded.uppers[NAMES.index(name)]

    def upper_text(self, name: str) -> str:
        """The certified upper bound of part ``name`` as decimal text: its exact arb end point (a leakage of 10⁻¹²²⁹
        prints as itself, not as the subnormal float above it)."""
        return self.bounded.text(NAMES.index(name)) or repr(self.upper(name))

    def worst_cell(self) -> Optional[dict]:
        cell = self.bounded.worst
        if cell is None:
            return None
        return {"face_axis": cell.axis, "face_sign": cell.sign, "lo": list(cell.lo), "hi": list(cell.hi),
                "centre": cell.centre_f64.tolist()}


def initial_cells(m: int, n: int) -> list[FaceCell]:
    """Face cells about one grid spacing wide: per_edge = the power of two ≤ n."""
    return dyadic_face_cells(m, n)


def certify_sups(construction, budget, lower_error: float, tight: bool) -> CertifiedSups:
    """Branch and bound of the four parts; with ``tight`` the error's threshold is min(ε, 1.05·lower)."""
    c = construction
    eps = float(c.params.eps)
    thresholds = (min(eps, TIGHT * lower_error) if tight else eps, eps / 2, eps / 4, eps / 4)
    prefix = prefix_balls(c)
    functions = target_functions(c.params.target)
    bounded = branch_and_bound(initial_cells(c.m, c.n), lambda cell: enclose_parts(prefix, cell, functions),
                               thresholds, lambda cell: cell.split(), budget,
                               many=lambda cells: enclose_parts_many(prefix, cells, functions))
    return CertifiedSups(bounded, thresholds)


def certify_covering(construction, budget) -> Bounded:
    """Branch and bound of sup_x min_p ‖x − p‖ ≤ δ over face cells (module doc)."""
    c = construction
    prefix = prefix_balls(c)
    delta = float(c.delta)
    k = min(prefix.N, 4 * (c.m + 1))

    def bounds(cells) -> list[tuple[float]]:
        geometry = FaceGeometry.of(cells)
        _, index = prefix.tree.query(geometry.centres_f64, k=k)
        low, _ = geometry.angle_ranges(prefix.floats.points[index.reshape(len(cells), -1)])
        best = np.max(low, axis=1)  # ≤ max_p min_{x∈C} ⟨x, p⟩ over the k nearest p
        return [(float(v),) for v in up(np.sqrt(np.maximum(0.0, up(2.0 - down(2.0 * best)))))]

    return branch_and_bound(initial_cells(c.m, c.n), lambda cell: bounds([cell])[0], (delta,), lambda cell: cell.split(),
                            budget, many=bounds)


def certified_claims(claims: list, construction, params, evaluator, sups: dict) -> tuple[list, dict]:
    """The sampled claims of steps 1–5 upgraded by certification where it decides them (see
    ``verifier.certify.combine``), and the certified facts for the JSON ``sup_error``."""
    c = construction
    by_id = {claim.id: k for k, claim in enumerate(claims)}
    lower_error = float(sups["error"].value)
    if claims[by_id["E1.step5.sup"]].verdict is Verdict.FAIL:  # refuted by a witness confirmed in mpmath
        return list(claims), {"lower": lower_error, "certified_upper": None,
                              "not_certified": "the sampled witness already refutes the sup claim"}
    result = certify_sups(c, params.budget, lower_error, params.tight)
    fix = "raise --cert-cells, or use a smaller --eps"
    parts = {"E1.step2.near": ("near", "ε/2"), "E1.step3.far": ("far", "ε/4"), "E1.step4.leak": ("leak", "ε/4"),
             "E1.step5.sup": ("error", "ε")}
    bounds = {"near": params.eps / 2, "far": params.eps / 4, "leak": params.eps / 4, "error": params.eps}
    out = list(claims)
    for claim_id, (name, text) in parts.items():
        k = by_id[claim_id]
        out[k] = combine(out[k], result.bounded, bounds[name], f"sup ‖{name}‖ ≤ {text}", fix, NAMES.index(name))
    k = by_id["E1.step5.sup"]
    if out[k].verdict is Verdict.INCONCLUSIVE and result.bounded.worst is not None:
        out[k] = witness_at(out[k], evaluator, result.bounded.worst, params)
    covering = certify_covering(c, params.budget)
    k = by_id["E1.step1.covering"]
    if out[k].verdict is not Verdict.FAIL:
        out[k] = combine(out[k], covering, c.delta, "covering radius ≤ δ", fix)
    facts = {"lower": lower_error, "certified_upper": result.upper("error"), "cells": result.bounded.cells,
             "decided": result.bounded.decided,
             "worst_cell": result.worst_cell(),
             "parts_certified_upper": {name: result.upper_text(name) for name in NAMES}}
    if params.tight:
        facts["interval"] = [lower_error, result.upper("error")]
    return out, facts


def witness_at(claim, evaluator, cell, params):
    """FAIL with a witness if ‖H − f‖ > ε at the worst cell's centre at both precisions (mpmath)."""
    x = cell.centre_f64
    low, high = params.policy.at_both(lambda _dps: evaluator.parts_mp(x)["error"])
    verdict = decide_le(high, params.eps, params.policy.tolerance)
    if verdict is Verdict.FAIL and params.policy.agree(low, high):
        return replace(claim, verdict=Verdict.FAIL, value=float(high), witness=tuple(float(v) for v in x),
                       detail=f"‖H − f‖ = {mpmath.nstr(high, 8)} > ε at the centre of the worst certified cell "
                              f"(mpmath at {params.policy.dps} and {params.policy.verify_dps} digits)")
    return claim
