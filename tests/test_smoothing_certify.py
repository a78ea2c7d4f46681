"""Tests for proofs/smoothing/certify.py and the rule's balls: the prefix in ball form contains the mpmath
construction, H0's enclosure with per-token biases contains 50-digit values of ‖H − f‖ on random cells (and a
weakened one is caught), E2.sup and its split are certified on S¹, and never certified PASS under a negative control
(the grouped enclosure the branch and bound uses is tested in test_smoothing_groups.py)."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from flint import arb, ctx

from proofs.h0.enclosure import enclose_parts
from proofs.h0.head import h0_closed_form
from proofs.smoothing import THEOREM
from proofs.smoothing import certify as e2_certify
from proofs.smoothing.construction import E2Construction, E2Evaluator
from proofs.smoothing.rules import rule, rule_balls
from verifier.bounds import target_functions
from verifier.budget import Budget
from verifier.cells import FaceCell, dyadic_face_cells
from verifier.claims import Evidence, Verdict
from verifier.run import run


def _reference(value) -> arb:
    """A 40-digit mpmath value as a ball of radius 10^−35·max(1, |value|), which contains the true number."""
    with ctx.workprec(300):
        return arb(mpmath.nstr(value, 45), mpmath.nstr(mpmath.mpf(10) ** -35 * max(1, abs(value)), 5))


@pytest.mark.parametrize("name, m, size", [("gauss", 1, 7), ("gauss", 2, 3), ("partition", 1, 3), ("partition", 2, 2)])
def test_rule_balls_contain_the_mpmath_rule(name, m, size):
    """Every point coordinate and weight ball overlaps the 40-digit mpmath rule (same formulas, independent
    arithmetic); the balls shrunk to 16-bit midpoints do not (the check can fail)."""
    with mpmath.workdps(40):
        points, weights, _ = rule(name, m, size).at_precision()
        expected = [_reference(c) for p in points for c in p] + [_reference(w) for w in weights]
    ball_points, ball_weights = rule_balls(name, m, size)
    got = [c for p in ball_points for c in p] + list(ball_weights)
    assert len(got) == len(expected) and all(g.overlaps(e) for g, e in zip(got, expected))
    with ctx.workprec(16):
        shrunk = [(g.mid() + 0).mid() for g in got]  # the midpoint rounded to 16 bits, radius 0
    assert not all(g.overlaps(e) for g, e in zip(shrunk, expected))


def _setup(**options):
    params = THEOREM.parameters(**options)
    c = E2Construction(params)
    return c, E2Evaluator(c, h0_closed_form(params.dim, params.target.d)), e2_certify.prefix_balls(c), target_functions(params.target)


def _point_cell(cell: FaceCell) -> FaceCell:
    """The cell shrunk to its centre: an 'enclosure' that forgets how the error varies over the cell."""
    centre = tuple((a + b) / 2 for a, b in zip(cell.lo, cell.hi))
    return FaceCell(cell.axis, cell.sign, centre, centre)


@pytest.mark.parametrize("options", [{"dim": 1, "eps": "0.2"}, {"dim": 1, "eps": "0.2", "rule": "partition"},
                                     pytest.param({"dim": 2, "eps": "0.5"}, marks=pytest.mark.slow)])  # S²: 6 min
def test_error_inside_enclosure_at_random_points_of_random_cells(options, cell_point):
    """Soundness: on seeded random cells (the initial cover and its grandchildren), ‖H − f‖ at random points,
    by the mpmath closed form at 50 digits with the prefix (κp_i, ln w_i + β, f(p_i)), lies below the cell's bound.
    The same check catches a weakened enclosure (the bound at the cell's centre used for the whole cell)."""
    c, evaluator, prefix, functions = _setup(**options)
    rng = np.random.default_rng(5)
    cover = dyadic_face_cells(c.m, 8)
    cells = [cover[i] for i in rng.choice(len(cover), size=min(len(cover), 6), replace=False)]
    cells += [g for cell in cells[:2] for child in cell.split() for g in child.split()]
    excess_weakened = -np.inf
    for cell in cells:
        bound = enclose_parts(prefix, cell, functions)[0]
        weakened = enclose_parts(prefix, _point_cell(cell), functions)[0]
        with mpmath.workdps(50):
            for _ in range(4):
                error = evaluator.parts_mp(cell_point(cell, rng), smoothed=False)["error"]
                assert error <= bound, (cell, error, bound)
                excess_weakened = max(excess_weakened, float(error - mpmath.mpf(weakened)))
    assert excess_weakened > 0  # the weakened enclosure misses the true error somewhere


CERTIFIED_BY_BALLS = ("H.lipschitz", "H.bound", "E2.budget.smoothing", "E2.V1.smoothing", "E2.budget.quadrature",
                      "E2.V3.quadrature", "E2.budget.leakage", "E2.V3.leakage", "E2.sup")


def test_e2_sup_and_its_split_are_certified_on_the_circle():
    """The default instance: hypotheses (auto L, B), the split and the sup certified; f_κ is not sampled at all (the
    split's facts hold certified upper bounds, no sampled sup); V2 at the instance, the rule and the normaliser are
    certified in arb too, so only the framework's cross-checks (two paths, the mpmath normaliser) stay sampled."""
    result = run("smoothing", {"dim": 1, "eps": "0.2", "points": 2000})
    claims = {c.id: c for c in result.claims}
    assert result.verdict is Verdict.PASS
    assert all(claims[k].verdict is Verdict.PASS and claims[k].evidence is Evidence.CERTIFIED for k in CERTIFIED_BY_BALLS)
    assert claims["E2.sup"].cells and claims["E2.V3.quadrature"].cells
    assert {k for k, c in claims.items() if c.evidence is Evidence.SAMPLED} == {"F.two-paths", "F.normaliser"}
    facts = result.facts["sup_error"]
    assert facts["decided"] and facts["value"] <= facts["certified_upper"] <= 0.2
    split = result.facts["error_split"]
    assert all(split[p]["certified_upper"] <= split[p]["bound"] for p in ("smoothing", "quadrature"))
    assert "sup" not in split["smoothing"] and "sup" in split["leakage"]


def test_certification_never_passes_a_sup_above_eps():
    """Negative control below the sampled layer: the few-nodes prefix (sup error ≈ 0.5 > ε) run through the
    branch and bound alone ends undecided with an upper bound above ε, never below it."""
    c, _, _, _ = _setup(dim=1, eps="0.2", tamper="few-nodes")
    bounded = e2_certify.certify(c, e2_certify.Bounds.of(c), Budget(cells=2000)).bounded
    assert not bounded.decided and bounded.upper > 0.2


@pytest.mark.parametrize("tamper", ["few-nodes", "small-kappa"])
def test_tampered_sup_stays_fail_without_a_branch_and_bound(tamper):
    """A sup refuted by a confirmed witness stays FAIL (sampled) and the branch and bound is skipped, with the reason."""
    result = run("smoothing", {"dim": 1, "eps": "0.2", "tamper": tamper, "points": 500})
    sup = {c.id: c for c in result.claims}["E2.sup"]
    assert sup.verdict is Verdict.FAIL and sup.evidence is Evidence.SAMPLED and not sup.cells
    assert "refutes" in result.facts["sup_error"]["not_certified"]


def test_evidence_options():
    """--evidence sampled skips the branch and bound (and keeps L = B = 1, sampled); auto certifies on S¹ and S²."""
    sampled = run("smoothing", {"dim": 1, "eps": "0.2", "points": 1000, "evidence": "sampled"})
    claims = {c.id: c for c in sampled.claims}
    assert all(claims[k].evidence is Evidence.SAMPLED for k in ("E2.sup", "E2.V3.leakage", "E2.V1.smoothing", "H.lipschitz"))
    assert "--evidence sampled" in sampled.facts["sup_error"]["not_certified"]
    assert sampled.parameters["lipschitz"] == 1 and "sup" in sampled.facts["error_split"]["smoothing"]
    assert e2_certify.skip_reason(THEOREM.parameters(dim=2, eps="0.5", points=500)) is None


@pytest.mark.parametrize("tamper", ["few-nodes", "small-kappa"])
def test_tamper_modes_under_evidence_certified_never_pass(tamper):
    """Negative controls in certified mode: FAIL (or INCONCLUSIVE), never a certified PASS; the budget claim the tamper
    breaks is refuted by balls (certified FAIL), not by sampling."""
    result = run("smoothing", {"dim": 1, "eps": "0.2", "tamper": tamper, "points": 500, "evidence": "certified"})
    assert result.verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE)
    broken = {"few-nodes": "E2.budget.quadrature", "small-kappa": "E2.budget.smoothing"}[tamper]
    claim = {c.id: c for c in result.claims}[broken]
    assert (claim.verdict, claim.evidence) == (Verdict.FAIL, Evidence.CERTIFIED)


def test_the_second_order_bound_leaves_the_quadrature_room_on_the_sphere():
    """m = 2, ε = 0.3 (N = 39 762): S = min(L·E[ρ], (1 − A_m(κ))(G + M₂)) = 0.0145 against L·E[ρ] = 0.087, so the room
    (quadrature bound) − S for ‖H − f‖ + leakage is 0.149 instead of 0.076; a target the ball back-end cannot
    differentiate twice (Abs) falls back to L·E[ρ] (negative control: the room is then the old one)."""
    import sympy

    params = THEOREM.parameters(dim=2, eps="0.3", points=500)
    bounds = e2_certify.Bounds.of(E2Construction(params))
    assert bounds.second_order is not None and float(bounds.smoothing_error.upper()) < 0.015
    assert bounds.quadrature_room > 0.14
    first_order = e2_certify.smoothing_error_arb(2, bounds.kappa, bounds.lipschitz, None, 128)
    assert 0.08 < float(first_order.mid()) < float(bounds.quadrature.mid()) - 0.07
    abs_target = THEOREM.parameters(dim=2, eps="0.3", points=500, target="Abs(x0)/2", lipschitz="1", bound="1")
    fallback = e2_certify.Bounds.of(E2Construction(abs_target))
    assert fallback.second_order is None
    kappa = sympy.Rational(fallback.kappa)
    assert fallback.smoothing_error.upper() == e2_certify.smoothing_error_arb(2, kappa, fallback.lipschitz, None, 128).upper()


@pytest.mark.slow
def test_e2_and_its_split_are_certified_on_the_sphere():
    """m = 2, ε = 0.3 (N = 39 762 tokens, about 3 min under load): every claim the verdict rests on certified or exact,
    E2.V3.quadrature included (5 428 cells), and f_κ not sampled."""
    result = run("smoothing", {"dim": 2, "eps": "0.3"})
    claims = {c.id: c for c in result.claims}
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    assert all(claims[k].verdict is Verdict.PASS and claims[k].evidence is Evidence.CERTIFIED for k in CERTIFIED_BY_BALLS)
    assert "sup" not in result.facts["error_split"]["quadrature"]
