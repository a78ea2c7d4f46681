"""proofs.seq2seq.certify: the cell enclosure of a token-wise head against independent 50-digit mpmath values, a
weakened enclosure caught by the same test, and the certified claims of the default instance."""
from __future__ import annotations

import itertools
import random
from dataclasses import replace
from types import SimpleNamespace

import mpmath
import pytest
import sympy

from proofs.seq2seq import certify, checks
from proofs.seq2seq import formulas as F
from proofs.seq2seq.choices import TAMPER_MODES
from proofs.seq2seq.construction import Construction
from proofs.seq2seq.ridge import SHIPPED, typed_form
from verifier.budget import Budget
from verifier.claims import ClaimResult, Evidence, Kind, Verdict
from verifier.precision import exact_to_mp
from verifier.run import run

DIGITS = 50


def construction(target: str, tamper=None) -> Construction:
    return Construction(SHIPPED[target](2), sympy.Rational(1, 10), tamper)


def layer_of(c: Construction, name: str):
    return next(layer for layer in c.transformer.layers if layer.name == name)


def head_of(c: Construction, name: str) -> certify.HeadBalls:
    return certify.head_balls(layer_of(c, name).prefix, c.plan[name].key_bound, c.plan[name].exact(F.R))


def deviation_mp(c: Construction, name: str, z: float, p: int, zc: list[float]) -> dict[str, mpmath.mpf]:
    """H(z, p) − h_p(z) ("error") and its signed parts near, far, other, leak at 50 digits from the transformer's mpmath
    attention (derived scores, softmax over the window; the tokens left out weigh ≤ 10^−300), with the content registers
    zc (zc[p] replaced by z)."""
    plan = c.plan[name]
    with mpmath.workdps(DIGITS):
        zm = mpmath.mpf(z)
        keys = [mpmath.mpf(v) for v in zc]
        keys[p] = zm
        prefix, content = c.transformer.tokenwise_attention_mp(layer_of(c, name), zm, p, keys, [mpmath.mpf(0)] * c.n)
        h, r = plan.targets_mp[p](zm), exact_to_mp(plan.exact(F.R))
        sums = {"near": [], "far": [], "other": [], "leak": [w * (v - h) for w, v in content]}
        for w, v, a, q in prefix:
            sums["other" if q != p else "near" if abs(zm - a) <= r else "far"].append(w * (v - h))
        parts = {k: mpmath.fsum(v) for k, v in sums.items()}
        return {"error": mpmath.fsum(parts.values()), **parts}


def samples(c: Construction, name: str, seed: int, cells: int = 12, points: int = 4):
    """Random cells (up to one grid step wide) of the head's interval, and random points of each with content
    registers uniform in [−Z, Z] or at ±Z: yields (cell, z, p, zc)."""
    plan = c.plan[name]
    rng = random.Random(seed)
    lo, hi, Zb = float(plan.lo), float(plan.hi), float(plan.key_bound)
    step = (hi - lo) / plan.cells
    for _ in range(cells):
        width = step * rng.uniform(0.05, 1.0)
        z0 = rng.uniform(lo, hi - width)
        cell = certify.Cell(z0, z0 + width, rng.randrange(c.n))
        for k in range(points):
            z = rng.uniform(cell.z0, cell.z1)
            zc = [rng.choice((-Zb, Zb)) if k % 2 else rng.uniform(-Zb, Zb) for _ in range(c.n)]
            yield cell, z, cell.p, zc


def misses(c: Construction, name: str, seed: int, weaken=lambda head, cell: certify.items(head, cell)) -> list:
    """The (sample, quantity) whose 50-digit value breaks the enclosure built from ``weaken(head, cell)`` (the honest
    items by default): |value| above its bound (certify.bounds) for the error and each part, or the signed error
    outside its ratio range."""
    head = head_of(c, name)
    out = []
    for cell, z, p, zc in samples(c, name, seed):
        values = deviation_mp(c, name, z, p, zc)
        parts = weaken(head, cell)
        lo, hi = certify.deviation_range(parts)
        if not mpmath.mpf(float(lo)) <= values["error"] <= mpmath.mpf(float(hi)):
            out.append((cell, z, "signed error", values["error"], lo, hi))
        for quantity, bound in zip(certify.QUANTITIES, certify.bounds(parts)):
            if abs(values[quantity]) > bound:
                out.append((cell, z, quantity, values[quantity], bound))
    return out


def without_other(head, cell):
    parts = certify.items(head, cell)
    del parts["other"]
    return parts


def at_centre(head, cell):
    mid = (cell.z0 + cell.z1) / 2
    return certify.items(head, certify.Cell(mid, mid, cell.p))


@pytest.mark.parametrize("target, name", [("neighbour-products", "psi2"), ("neighbour-products", "phi1"),
                                          ("mean-sine", "phi2")])
def test_enclosure_contains_50_digit_values(target, name):
    assert misses(construction(target), name, seed=1) == []


def test_enclosure_sound_with_the_selection_removed():
    # γ = 0: the other position's tokens weigh as much as the own ones, so their item carries the deviation
    assert misses(construction("neighbour-products", "small-gamma"), "psi2", seed=2) == []


def test_dropping_the_other_positions_is_caught():
    assert misses(construction("neighbour-products", "small-gamma"), "psi2", seed=2, weaken=without_other)


def test_the_centre_for_the_whole_cell_is_caught():
    assert misses(construction("neighbour-products"), "phi1", seed=1, weaken=at_centre)


@pytest.mark.parametrize("form", [SHIPPED["mean-sine"](2),  # an interval with an irrational end (sin(1/2)):
                                  typed_form(2, "(sin(t), t)", "(t, t)", "1", "1")])
def test_initial_cells_cover_the_interval(form):
    c = Construction(form, sympy.Rational(1, 10))
    plan = c.plan["phi1"]
    head = head_of(c, "phi1")
    cells = certify.initial_cells(head, plan.lo, plan.hi)
    for p in range(c.n):
        mine = [cell for cell in cells if cell.p == p]
        assert sympy.Rational(mine[0].z0) <= plan.lo and sympy.Rational(mine[-1].z1) >= plan.hi
        assert all(a.z1 == b.z0 for a, b in itertools.pairwise(mine))
        assert len(mine) == plan.cells


def test_certified_head_sup_is_below_its_accuracy_and_above_the_sampled_value():
    c = construction("neighbour-products")
    bounded = certify.certify_head(c.plan["psi2"], layer_of(c, "psi2").prefix, Budget(20_000))
    assert bounded.decided
    assert all(sympy.Rational(u) <= t for u, t in zip(bounded.uppers, certify.thresholds(c.plan["psi2"])))
    worst = max(abs(deviation_mp(c, "psi2", z, p, [0.0, 0.0])["error"]) for z in (0.0, 0.5, 1.0) for p in (0, 1))
    assert bounded.upper >= worst


# ------------------------------------------------------------------------------------------ the claims
def claims_of(result) -> dict:
    return {c.id: c for c in result.claims}


CERTIFIED_IDS = ("E1I.error", "E1I.near", "E1I.far", "E1I.other", "E1I.leak", "S1.intervals.cover", "S1.sup.composition",
                 "S1.sup", "S1.intervals", "S1.heads-in-context")


def test_default_instance_is_certified():
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "neighbour-products"})
    claims = claims_of(result)
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.CERTIFIED
    for cid in CERTIFIED_IDS:
        assert (claims[cid].verdict, claims[cid].evidence) == (Verdict.PASS, Evidence.CERTIFIED), cid
    sup = claims["S1.sup"]
    assert result.facts["sup_error"]["value"] <= sup.value == claims["S1.sup.composition"].value <= sup.bound
    assert all(layer["certified_sup"] <= layer["accuracy"] for layer in result.facts["layers"] if "accuracy" in layer)


@pytest.mark.parametrize("tamper", TAMPER_MODES)
def test_negative_controls_are_never_certified(tamper):
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "running-mean", "tamper": tamper})
    claims = claims_of(result)
    assert result.verdict is Verdict.FAIL
    assert claims["S1.sup"].verdict is Verdict.FAIL and claims["S1.sup.composition"].verdict is not Verdict.PASS


def test_sampled_evidence_leaves_every_claim_sampled():
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "running-mean", "evidence": "sampled"})
    claims = claims_of(result)
    assert result.verdict is Verdict.PASS and result.evidence is Evidence.SAMPLED
    assert all(claims[cid].evidence is Evidence.SAMPLED for cid in CERTIFIED_IDS if cid != "S1.intervals.cover")
    assert result.facts["layers"][0]["not_certified"] == "certification skipped (--evidence sampled)"
    assert "sampled" in result.facts["sup_error"]["not_certified"]


def test_an_undecided_head_leaves_the_claims_inconclusive_or_sampled():
    # one cell per head: the branch and bound stops on the initial cells, before they meet ε_h everywhere
    result = run("seq2seq", {"n": 2, "eps": "0.1", "target": "running-mean", "cert_cells": 1})
    claims = claims_of(result)
    assert claims["E1I.near"].verdict is Verdict.INCONCLUSIVE
    assert claims["S1.sup.composition"].verdict is not Verdict.PASS
    assert (claims["S1.sup"].verdict, claims["S1.sup"].evidence) == (Verdict.PASS, Evidence.SAMPLED)


def test_interval_cover_fails_for_a_narrowed_interval():
    c = construction("neighbour-products")
    assert checks.interval_cover_claim(c).verdict is Verdict.PASS
    narrowed = dict(c.plan, phi1=replace(c.plan["phi1"], lo=c.plan["phi1"].lo + sympy.Rational(1, 100)))
    fake = SimpleNamespace(form=c.form, plan=narrowed, n=c.n)
    claim = checks.interval_cover_claim(fake)
    assert claim.verdict is Verdict.FAIL and "phi1: lo ≤ S⁻ − nε_ψ" in claim.detail


def sampled_claim(verdict=Verdict.PASS) -> ClaimResult:
    return ClaimResult("S1.sup", "s", verdict, Kind.THEOREM, "sampled", value=0.01, bound=0.1)


@pytest.mark.parametrize("sampled, basis, expected", [
    (Verdict.PASS, [(Verdict.PASS, Evidence.CERTIFIED), (Verdict.PASS, Evidence.EXACT)], (Verdict.PASS, Evidence.CERTIFIED)),
    (Verdict.PASS, [(Verdict.PASS, Evidence.CERTIFIED), (Verdict.PASS, Evidence.SAMPLED)], (Verdict.PASS, Evidence.SAMPLED)),
    (Verdict.PASS, [(Verdict.INCONCLUSIVE, Evidence.CERTIFIED)], (Verdict.PASS, Evidence.SAMPLED)),
    (Verdict.FAIL, [(Verdict.PASS, Evidence.CERTIFIED)], (Verdict.FAIL, Evidence.SAMPLED)),
    (Verdict.INCONCLUSIVE, [(Verdict.PASS, Evidence.CERTIFIED)], (Verdict.PASS, Evidence.CERTIFIED)),
])
def test_a_sampled_claim_is_proved_only_by_certified_passing_parts(sampled, basis, expected):
    parts = [ClaimResult(f"part{k}", "p", v, Kind.PROOF_STEP, "m", evidence=e) for k, (v, e) in enumerate(basis)]
    claim = checks.proved_by(sampled_claim(sampled), parts, 0.02, 0.1)
    assert (claim.verdict, claim.evidence) == expected
