"""proofs.seq2seq.certify: the cell enclosure of a token-wise head against independent 50-digit mpmath values, a
weakened enclosure caught by the same test, and the certified claims of the default instance."""
from __future__ import annotations

import random

import mpmath
import pytest
import sympy

from proofs.seq2seq import certify
from proofs.seq2seq.construction import Construction
from proofs.seq2seq.ridge import SHIPPED
from verifier.ball import upper
from verifier.budget import Budget

DIGITS = 50


def construction(target: str, tamper=None) -> Construction:
    return Construction(SHIPPED[target](2), sympy.Rational(1, 10), tamper)


def deviation_mp(c: Construction, name: str, z: float, p: int, zc: list[float]) -> mpmath.mpf:
    """H(z, p) − h_p(z) at 50 digits from the transformer's mpmath attention (derived scores, full softmax over the
    window; the tokens left out weigh ≤ 10^−300), with the content registers zc (zc[p] replaced by z)."""
    layer = next(layer for layer in c.transformer.layers if layer.name == name)
    with mpmath.workdps(DIGITS):
        zm = mpmath.mpf(z)
        keys = [mpmath.mpf(v) for v in zc]
        keys[p] = zm
        prefix, content = c.transformer.tokenwise_attention_mp(layer, zm, p, keys, [mpmath.mpf(0)] * c.n)
        H = mpmath.fsum(w * v for w, v, _, _ in prefix) + mpmath.fsum(w * v for w, v in content)
        return H - c.plan[name].targets_mp[p](zm)


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


def misses(c: Construction, name: str, seed: int, enclose) -> list:
    """The samples whose 50-digit deviation lies outside ``enclose(head, cell)`` = (lo, hi)."""
    layer = next(layer for layer in c.transformer.layers if layer.name == name)
    head = certify.head_balls(layer.prefix, c.plan[name].key_bound)
    out = []
    for cell, z, p, zc in samples(c, name, seed):
        lo, hi = enclose(head, cell)
        v = deviation_mp(c, name, z, p, zc)
        if not (mpmath.mpf(lo) <= v <= mpmath.mpf(hi)):
            out.append((cell, z, v, lo, hi))
    return out


def sound(head, cell):
    return tuple(float(x) for x in certify.deviation_range(certify.items(head, cell)))


def without_other(head, cell):
    parts = certify.items(head, cell)
    del parts["other"]
    return tuple(float(x) for x in certify.deviation_range(parts))


def at_centre(head, cell):
    mid = (cell.z0 + cell.z1) / 2
    return sound(head, certify.Cell(mid, mid, cell.p))


@pytest.mark.parametrize("target, name", [("neighbour-products", "psi2"), ("neighbour-products", "phi1"),
                                          ("mean-sine", "phi2")])
def test_enclosure_contains_50_digit_values(target, name):
    assert misses(construction(target), name, seed=1, enclose=sound) == []


def test_enclosure_sound_with_the_selection_removed():
    # γ = 0: the other position's tokens weigh as much as the own ones, so their item carries the deviation
    assert misses(construction("neighbour-products", "small-gamma"), "psi2", seed=2, enclose=sound) == []


def test_dropping_the_other_positions_is_caught():
    assert misses(construction("neighbour-products", "small-gamma"), "psi2", seed=2, enclose=without_other)


def test_the_centre_for_the_whole_cell_is_caught():
    assert misses(construction("neighbour-products"), "phi1", seed=1, enclose=at_centre)


def test_error_bound_is_the_larger_end():
    c = construction("neighbour-products")
    layer = next(layer for layer in c.transformer.layers if layer.name == "phi1")
    head = certify.head_balls(layer.prefix, c.plan["phi1"].key_bound)
    cell = certify.Cell(0.3, 0.31, 1)
    lo, hi = certify.deviation_range(certify.items(head, cell))
    assert certify.enclose_error(head, cell) == upper(abs(lo).max(abs(hi)))


def test_initial_cells_cover_the_interval():
    c = construction("mean-sine")
    plan = c.plan["phi1"]
    layer = next(layer for layer in c.transformer.layers if layer.name == "phi1")
    head = certify.head_balls(layer.prefix, plan.key_bound)
    cells = certify.initial_cells(head, plan.lo, plan.hi)
    for p in range(c.n):
        mine = [cell for cell in cells if cell.p == p]
        assert sympy.Rational(mine[0].z0) <= plan.lo and sympy.Rational(mine[-1].z1) >= plan.hi
        assert all(a.z1 == b.z0 for a, b in zip(mine, mine[1:]))
        assert len(mine) == plan.cells


def test_certified_head_sup_is_below_its_accuracy_and_above_the_sampled_value():
    c = construction("neighbour-products")
    layer = next(layer for layer in c.transformer.layers if layer.name == "psi2")
    bounded = certify.certify_head(c.plan["psi2"], layer.prefix, Budget(20_000))
    assert bounded.decided and sympy.Rational(bounded.upper) <= c.plan["psi2"].accuracy
    worst = max(abs(deviation_mp(c, "psi2", z, p, [0.0, 0.0])) for z in (0.0, 0.5, 1.0) for p in (0, 1))
    assert bounded.upper >= worst
