"""R1's check: every claim of docs/pretrained.md for one instance, and the facts the report and the audit read.

Order: weights, rank, reduction, content score, F.two-paths, steps 1–4, the sup (R1.sup, deciding). The sampled sups
come from ``evaluator``; where the instance is certifiable and the reduction holds, the branch and bound of
``enclosure`` upgrades steps 2, 3 and the sup (``verifier.certify.combine``) and E1's ball-tree covering certifies step 1.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from verifier.ball import upper
from verifier.claims import ClaimResult, Kind, Verdict, claim_sup_le, decimal_text
from verifier.certify import combine
from verifier.domains import Sphere, covering_radius

from . import claims as R
from .enclosure import NAMES, frame_norm, orthonormality_defect
from .evaluator import R1Evaluator
from .instance import R1Instance, R1Parameters
from .theorem import MAX_CERTIFIED_DIM

FIX = "raise --cert-cells, or use a smaller --eps"


def why_not_certified(params: R1Parameters, reduction: ClaimResult, sup: ClaimResult) -> str | None:
    """None if the sup is certified, else why not."""
    from proofs.single_head.certify import why_not_certifiable

    if not params.certify:
        return "certification skipped (--evidence sampled)"
    if params.dim > MAX_CERTIFIED_DIM:
        return f"m = {params.dim} > {MAX_CERTIFIED_DIM}: face cells are implemented up to S^3"
    if reduction.verdict is not Verdict.PASS:
        return "the enclosure rests on the reduction (R1.reduction), which did not pass"
    if sup.verdict is Verdict.FAIL:
        return "the sampled witness already refutes the sup claim"
    return why_not_certifiable(params)


def run(params: R1Parameters) -> tuple[list[ClaimResult], dict[str, Any]]:
    from proofs.single_head.certify import certify_covering
    from proofs.single_head.claims import covering_claim

    i = R1Instance(params)
    evaluator = R1Evaluator(i)
    sups = evaluator.sups()
    tol, eps = params.policy.tolerance, params.eps
    scan = Sphere(params.dim).scan_points(params.points, params.seed)
    reduction = R.reduction_claim(i)
    covering = replace(covering_claim(i.e1, covering_radius(i.points, seed=params.seed)), id="R1.step1.covering")
    steps = {
        "R1.step2.near": claim_sup_le("R1.step2.near", "step 2: near prefix points (‖x − p_i‖ ≤ r) contribute at most "
                                      "ε/2 (times ‖U‖)", sups["near"], eps / 2, tol, Kind.PROOF_STEP),
        "R1.step3.far": claim_sup_le("R1.step3.far", "step 3: far prefix points (‖x − p_i‖ > r) contribute at most ε/4 "
                                     "(times ‖U‖)", sups["far"], eps / 4, tol, Kind.PROOF_STEP),
        "R1.sup": claim_sup_le("R1.sup", f"R1: sup over S^{params.dim} of ‖o(x) − U f(x)‖ ≤ ε (head {params.head} of "
                               f"layer {params.layer}, output bias excluded)", sups["error"], eps, tol, Kind.THEOREM),
    }
    reason = why_not_certified(params, reduction, steps["R1.sup"])
    facts_cert: dict[str, Any] = {}
    if reason is None:
        bounded = i.certify_sup()
        for claim_id, name, bound, what in (("R1.sup", "error", eps, "sup ‖o − Uf‖ ≤ ε"),
                                            ("R1.step2.near", "near", eps / 2, "sup ‖U near‖ ≤ ε/2"),
                                            ("R1.step3.far", "far", eps / 4, "sup ‖U far‖ ≤ ε/4")):
            steps[claim_id] = combine(steps[claim_id], bounded, bound, what, FIX, NAMES.index(name))
        if covering.verdict is not Verdict.FAIL:
            covering = combine(covering, certify_covering(i.e1, params.budget), i.e1.delta, "covering radius ≤ δ", FIX)
        facts_cert = {"lower": float(sups["error"].value), "certified_upper": bounded.uppers[0], "cells": bounded.cells,
                      "decided": bounded.decided}
    sup = steps["R1.sup"]
    claims = [
        R.weights_claim(i), R.rank_claim(i), reduction, R.content_score_claim(i, evaluator, scan),
        R.two_paths(i, evaluator, sups), covering, steps["R1.step2.near"], steps["R1.step3.far"], R.leak_claim(i), sup,
    ]
    return claims, facts(i, sups, sup, facts_cert, reason)


def facts(i: R1Instance, sups: dict, sup: ClaimResult, certified: dict, reason: str | None) -> dict[str, Any]:
    """The instance's facts. The audit reads layer, head, rank, smallest_singular_value, prefix_length, lam,
    key_norm_ratio, value_norm_ratio, weights_sha256 and sup_error_bound (the certified upper bound of the sup error,
    or the sampled value when not certified: ``sup_error_evidence`` says which); ``sup_error`` is the sampled sup's
    record with the branch and bound's numbers, as for every theorem (verifier.theorem.SUP_LABELS, CERTIFIED_LABELS)."""
    from .construction import exact_rank, smallest_singular_value
    from .realism import arithmetic_errors, prefix_norm_ratios

    p = i.params
    witness = np.array([sups["error"].argmax])
    norms = prefix_norm_ratios(i.model, p.layer, p.head, i.prefix.keys, i.prefix.values)
    arithmetic = arithmetic_errors(i.layer, p.head, i.frame.float64, i.prefix.keys, i.prefix.values,
                                   np.asarray(i.head.W_O, np.float64) @ i.prefix.M, p.target.numpy(witness), witness,
                                   p.context)
    out = {
        "weights_sha256": i.model.sha256, "layer": p.layer, "head": p.head, "rank": exact_rank(i.query),
        "smallest_singular_value": smallest_singular_value(i.query), "prefix_length": i.e1.N,
        "lam": float(i.lam.mid()), "offset": i.offset, "frame_seed": p.seed, "eta": upper(i.eta_max),
        "content_score_bound": upper(i.content.score), "content_value_bound": upper(i.content.value),
        "frame_norm": upper(frame_norm(i.head.W_O, i.prefix.M)),
        "frame_defect": upper(orthonormality_defect(i.head.W_O, i.prefix.M)),
        "value_rounding": upper(i.certificate.omega), "leak_bound": decimal_text(i.certificate.leak.upper()),  # text: it is far below the float64 range
        "sup_error": {**sups["error"].to_json(), **certified, **({"not_certified": reason} if reason else {})},
        "sup_error_bound": certified.get("certified_upper", float(sups["error"].value)),
        "sup_error_evidence": sup.evidence.value,
        "key_norm_ratio": norms["key_norm_ratio"], "value_norm_ratio": norms["value_norm_ratio"],
        "key_norm_max": norms["key_norm_max"], "value_norm_max": norms["value_norm_max"],
        "norm_reference": norms["reference"],
        **{f"error_{dtype}": value for dtype, value in arithmetic.items()},
    }
    return out
