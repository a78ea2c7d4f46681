"""Tests for proofs/smoothing/groups.py: the caps contain their tokens, the items partition the prefix, and the cell
bounds of ‖H − f‖ and ‖H − Q_f/Q_1‖ contain 50-digit mpmath values at random points of random cells (a weakened
enclosure is caught by the same check)."""
from __future__ import annotations

from dataclasses import replace

import mpmath
import numpy as np
import pytest
from flint import arb, ctx

from proofs.h0.head import h0_closed_form
from proofs.smoothing import THEOREM, certify, groups
from proofs.smoothing.construction import E2Construction, E2Evaluator
from verifier.ball import acos, interval
from verifier.bounds import target_functions
from verifier.cells import dyadic_face_cells


def _setup(**options):
    params = THEOREM.parameters(points=500, **options)
    c = E2Construction(params)
    prefix = certify.prefix_balls(c)
    return c, E2Evaluator(c, h0_closed_form(params.dim, params.target.d)), prefix, groups.GroupedPrefix.of(prefix)


@pytest.fixture(scope="module")
def circle():
    return _setup(dim=1, eps="0.2")


def test_caps_contain_their_tokens(circle):
    """Every token of a group lies in its cap, ⟨ĉ_G, p_i⟩ ≥ cos r_G, checked in balls from the rule's balls p_i and the
    cap centre's float ends; the caps are not loose: some group has a token at an angle above 90% of r_G (so the check
    can fail)."""
    _, _, prefix, tree = circle
    T = tree.table
    farthest = []
    with ctx.workprec(128):
        for row in range(prefix.N, prefix.N + 150):
            centre = [interval(a, b) for a, b in zip(T.centres.lo[row], T.centres.hi[row])]
            cosines = [sum((a * b for a, b in zip(centre, prefix.points[k])), arb(0)) for k in T.leaves(row)]
            assert all(c >= T.cos_radius[row] for c in cosines)
            farthest.append(max(float(acos(c).mid()) for c in cosines) / T.radius_f64[row])
    assert max(farthest) > 0.9
    assert sorted(T.leaves(tree.root)) == list(range(prefix.N))


@pytest.mark.parametrize("token_by_token", [True, False])
def test_items_partition_the_tokens(circle, token_by_token, monkeypatch):
    """On any cell the items chosen hold every token exactly once (with groups: the threshold of token-by-token
    prefixes lowered below this prefix's 168 tokens)."""
    if not token_by_token:
        monkeypatch.setattr(groups, "TOKEN_BY_TOKEN", 0)
    _, _, prefix, tree = circle
    for cell in dyadic_face_cells(1, 4)[:3] + [dyadic_face_cells(1, 64)[5]]:
        held = sorted(k for row in groups.items(tree, cell.centre_f64, float(cell.rho)) for k in tree.table.leaves(row))
        assert held == list(range(prefix.N))


def _check_cells(c, evaluator, tree, functions, cells, rng, cell_point, weaken=None, opening=groups.OPENING):
    """max over random points of random cells of (mpmath value − bound) for the error and the leakage, at 50 digits."""
    excess = [-np.inf, -np.inf]
    for cell in cells:
        bound = groups.enclose(tree, weaken(cell) if weaken else cell, functions, opening)
        with mpmath.workdps(50):
            for _ in range(3):
                parts = evaluator.parts_mp(cell_point(cell, rng), smoothed=False)
                for k, name in enumerate(("error", "leakage")):
                    excess[k] = max(excess[k], float(parts[name] - mpmath.mpf(bound[k].mid().str(40, radius=False))))
    return excess


def _random_cells(m: int, rng, count: int = 5) -> list:
    cover = certify.initial_cells(m)
    cells = [cover[i] for i in rng.choice(len(cover), size=min(len(cover), count), replace=False)]
    return cells + [g for cell in cells[:2] for child in cell.split() for g in child.split()][: 2 * count]


def _point_cell(cell):
    """The cell shrunk to its centre: an 'enclosure' that forgets how the error varies over the cell."""
    centre = tuple((a + b) / 2 for a, b in zip(cell.lo, cell.hi))
    return replace(cell, lo=centre, hi=centre)


@pytest.mark.parametrize("options", [{"dim": 1, "eps": "0.2"}, {"dim": 1, "eps": "0.1", "rule": "partition"},
                                     pytest.param({"dim": 2, "eps": "0.9"}, marks=pytest.mark.slow)])  # S²: ~60 s
@pytest.mark.parametrize("token_by_token", [True, False])
def test_bounds_contain_50_digit_values_at_random_points_of_random_cells(options, token_by_token, cell_point, monkeypatch):
    """Soundness: ‖H − f‖ and ‖H − Q_f/Q_1‖ at random points of seeded random cells (mpmath closed form at 50 digits with
    the prefix (κp_i, ln w_i + β, f(p_i))) lie below the cell's bounds, token by token and with groups."""
    if not token_by_token:
        monkeypatch.setattr(groups, "TOKEN_BY_TOKEN", 0)
    c, evaluator, _, tree = _setup(**options)
    rng = np.random.default_rng(11)
    excess = _check_cells(c, evaluator, tree, target_functions(c.params.target), _random_cells(c.m, rng), rng, cell_point)
    assert max(excess) <= 0, excess


def test_weakened_enclosure_is_caught(circle, cell_point, monkeypatch):
    """Negative control: the bound at the cell's centre (with near-exact groups, γ = 0.02) used for the whole cell misses
    the true error somewhere."""
    monkeypatch.setattr(groups, "TOKEN_BY_TOKEN", 0)
    c, evaluator, _, tree = circle
    rng = np.random.default_rng(11)
    excess = _check_cells(c, evaluator, tree, target_functions(c.params.target), dyadic_face_cells(1, 4), rng, cell_point,
                          _point_cell, opening=0.02)
    assert excess[0] > 0


def test_a_prefix_with_per_token_scales_is_refused():
    """The caps' bounds take one scale for every token: a prefix with keys of any norm must not be grouped."""
    from proofs.h0.enclosure import PrefixBalls

    keys = np.array([[1.0, 0.0], [0.0, 3.0]])
    prefix = PrefixBalls.of_keys(keys, np.zeros(2), np.ones((2, 1)), 1)
    with pytest.raises(ValueError, match="one scale"):
        groups.GroupedPrefix.of(prefix)
