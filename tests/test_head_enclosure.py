"""Soundness of the far part's cap (proofs.h0.enclosure: far means not near) against mpmath at 50 digits."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

from proofs.single_head import certify as e1_certify
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator
from proofs.h0 import enclosure as head_enclosure
from proofs.h0.head import h0_closed_form
from verifier.ball import compile_arb
from verifier.cells import angle_range
from proofs.h0.enclosure import NAMES, enclose_parts
from verifier.targets import coordinates


def _setup(dim, eps):
    params = THEOREM.parameters(dim=dim, eps=eps)
    c = E1Construction(params)
    evaluator = E1Evaluator(c, h0_closed_form(dim, params.target.d))
    functions = [compile_arb(e, coordinates(dim)) for e in params.target.components]
    return c, evaluator, e1_certify.prefix_balls(c), functions


def _undecided_cells(prefix, cells) -> list:
    """Cells with at least one token that is near on part of the cell and far on the rest."""
    out = []
    for cell in cells:
        centre, _, rho = cell.geometry
        index, _ = head_enclosure._neighbours(prefix, cell)
        for i in index:
            low, high = angle_range(centre, rho, prefix.points[i])
            if not (low >= prefix.near_cos) and not (high < prefix.near_cos):
                out.append(cell)
                break
    return out


def _threshold_points(c, cell) -> list:
    """On S¹: the points of the arc cell just beyond chord r from a prefix point (angle 2·asin(r/2) + 10⁻²⁰
    away), where that token is far and weighs the most it can as a far token."""
    with mpmath.workdps(50):
        points, _ = c.at_precision()
        reach = 2 * mpmath.asin(mpmath.mpf(str(c.r)) / 2) + mpmath.mpf(10) ** -20
        x = [[mpmath.cos(mpmath.atan2(p[1], p[0]) + s * reach), mpmath.sin(mpmath.atan2(p[1], p[0]) + s * reach)]
             for p in points for s in (1, -1)]
        t = [v[1 - cell.axis] / v[cell.axis] for v in x]  # the face coordinate y/|y_axis|
        return [v for v, u in zip(x, t) if v[cell.axis] * cell.sign > 0 and cell.lo[0] <= u <= cell.hi[0]]


def _worst_far_excess(c, evaluator, prefix, cells, functions) -> float:
    """max over the threshold points x of the cells of ‖far(x)‖ − (the cell's far bound), at 50 digits."""
    worst = -np.inf
    for cell in cells:
        bound = enclose_parts(prefix, cell, functions)[NAMES.index("far")]
        with mpmath.workdps(50):
            for x in _threshold_points(c, cell):
                worst = max(worst, float(evaluator.parts_mp(x)["far"] - mpmath.mpf(bound)))
    return worst


@pytest.mark.parametrize("dim,eps", [(1, "0.2"), (2, "0.5"), (3, "1")])
def test_parts_inside_enclosure_on_cells_with_undecided_tokens(dim, eps, cell_point):
    """On the initial (coarse) cells, where undecided tokens exist, every 50-digit part at random
    points lies below the cell's bound."""
    c, evaluator, prefix, functions = _setup(dim, eps)
    rng = np.random.default_rng(11)
    cells = e1_certify.initial_cells(dim, c.n)
    cells = _undecided_cells(prefix, [cells[i] for i in rng.choice(len(cells), size=min(len(cells), 24), replace=False)])
    assert cells
    for cell in cells[:8]:
        bounds = enclose_parts(prefix, cell, functions)
        with mpmath.workdps(50):
            for _ in range(3):
                parts = evaluator.parts_mp(cell_point(cell, rng))
                for name, bound in zip(NAMES, bounds):
                    assert parts[name] <= bound, (name, cell)


def test_dropping_undecided_tokens_from_the_far_part_is_caught(monkeypatch):
    """A deliberately weakened far enclosure (undecided tokens never far: cap 0) lies below the true
    far part at the points where an undecided token has just become far; the real one never does on
    the same cells and points."""
    c, evaluator, prefix, functions = _setup(1, "0.2")
    cells = [grandchild for cell in e1_certify.initial_cells(1, c.n) for child in cell.split() for grandchild in child.split()]
    cells = _undecided_cells(prefix, cells)[:40]  # fine enough that the certainly-far tokens' boxes are tight
    assert _worst_far_excess(c, evaluator, prefix, cells, functions) <= 0
    original = head_enclosure._far_range
    monkeypatch.setattr(head_enclosure, "_far_range", lambda a, b, cap, *rest: original(a, b, 0.0, *rest))
    assert _worst_far_excess(c, evaluator, prefix, cells, functions) > 0
