"""Tests for proofs/h0/enclosure.py: the parts' enclosures against mpmath (the far part's cap, every scale), and
the ratio range against exact rationals."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from proofs.h0 import enclosure as head_enclosure
from proofs.h0.enclosure import NAMES, enclose_parts, ratio_range
from proofs.h0.head import h0_closed_form
from proofs.single_head import THEOREM
from proofs.single_head import certify as e1_certify
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator
from verifier.ball import compile_arb, lower, upper
from verifier.cells import FaceGeometry
from verifier.targets import coordinates


def _setup(dim, eps):
    params = THEOREM.parameters(dim=dim, eps=eps)
    c = E1Construction(params)
    evaluator = E1Evaluator(c, h0_closed_form(dim, params.target.d))
    functions = [compile_arb(e, coordinates(dim)) for e in params.target.components]
    return c, evaluator, e1_certify.prefix_balls(c), functions


def _undecided_cells(prefix, cells) -> list:
    """Cells with at least one token that is near on part of the cell and far on the rest."""
    geometry = FaceGeometry.of(cells)
    index, _ = head_enclosure._neighbours(prefix, geometry)
    near_lo, near_hi = prefix.floats.near_cos.lo[0], prefix.floats.near_cos.hi[0]
    out = []
    for c, cell in enumerate(cells):
        row = FaceGeometry(geometry.centres[[c]], geometry.cos_rho[[c]], geometry.sin_rho[[c]], geometry.boxes[[c]],
                           geometry.centres_f64[[c]])
        low, high = row.angle_ranges(prefix.floats.points[index[c]][None])
        if np.any((low < near_hi) & (high >= near_lo)):
            out.append(cell)
    return out


def _undecided_or_far(prefix, cell) -> bool:
    """Whether some token may be far (‖x − p‖ > r) somewhere on the cell: every token's angle range checked."""
    low, _ = FaceGeometry.of([cell]).angle_ranges(prefix.floats.points[np.arange(prefix.N)][None])
    return bool(np.any(low < prefix.floats.near_cos.hi[0]))


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
    original = head_enclosure._far_weights
    monkeypatch.setattr(head_enclosure, "_far_weights", lambda a, b, cap, unsure: original(a, b, 0 * cap, unsure))
    assert _worst_far_excess(c, evaluator, prefix, cells, functions) > 0


# --------------------------------------------------------------------------- every scale


def _scaled(exponent: int):
    """The instance ε = 4s, f = s·sin(2·x0)/2, L = 1.0001s, B = s for s = 10^exponent (λ, β, r the same at every s)."""
    params = THEOREM.parameters(dim=1, eps=f"4e{exponent}", target=f"1e{exponent}*sin(2*x0)/2",
                                lipschitz=f"1.0001e{exponent}", bound=f"1e{exponent}")
    c = E1Construction(params)
    return params, c, E1Evaluator(c, h0_closed_form(1, 1), truncate=False), e1_certify.prefix_balls(c)


def _mp_parts_on_circle(evaluator, points: int) -> dict:
    """max over `points` equally spaced x ∈ S¹ of each part, by the mpmath evaluator at 60 digits."""
    with mpmath.workdps(60):
        worst = {name: mpmath.mpf(0) for name in NAMES}
        for k in range(points):
            t = 2 * mpmath.pi * k / points
            parts = evaluator.parts_mp([mpmath.cos(t), mpmath.sin(t)])
            worst = {name: max(worst[name], parts[name]) for name in NAMES}
        return worst


def test_certified_parts_scale_with_the_instance_and_contain_the_mpmath_values():
    """The certified path at s = 10⁻²⁵⁰, 1, 10²⁵⁰: every bound is finite, non-zero, s times the same number,
    and above the 60-digit mpmath value (the old leak bound squared ‖f‖ in float64: 0 at s = 10⁻²⁵⁰ while the
    leak is 4.5·10⁻²⁵²). s times the same number up to 10⁻⁶: the thresholds tried carry a slack of up to 10⁻⁷
    of max |u|, and 10^±250 are not powers of two."""
    scaled = {}
    for exponent in (-250, 0, 250):
        params, c, evaluator, _ = _scaled(exponent)
        certified = e1_certify.certify_sups(c, params.budget, 0.0, False)
        assert certified.bounded.decided
        truth = _mp_parts_on_circle(evaluator, 256)
        for name in NAMES:
            bound = certified.upper(name)
            assert 0 < bound < math.inf and truth[name] <= bound, (exponent, name, bound, truth[name])
        assert truth["leak"] > 0
        scaled[exponent] = [certified.upper(name) / 10.0**exponent for name in NAMES]
    for name, values in zip(NAMES, zip(*scaled.values())):
        assert max(values) / min(values) - 1 < 1e-6, (name, values)  # the slack of the threshold proofs: 1e-10 of max |u|


@pytest.mark.parametrize("exponent", [-250, 250])
def test_parts_inside_enclosure_at_extreme_scales(exponent, cell_point):
    """At random points of random cells, the 60-digit parts lie below the cell's bounds, at 10^±250."""
    _, _, evaluator, prefix = _scaled(exponent)
    functions = [compile_arb(e, coordinates(1)) for e in evaluator.c.params.target.components]
    rng = np.random.default_rng(23)
    cells = [g for cell in e1_certify.initial_cells(1, 1) for child in cell.split() for g in child.split()]
    for cell in [cells[i] for i in rng.choice(len(cells), size=6, replace=False)]:
        bounds = enclose_parts(prefix, cell, functions)
        assert all(0 < b < math.inf for name, b in zip(NAMES, bounds) if name != "far")
        assert 0 <= bounds[NAMES.index("far")] < math.inf  # exactly 0 on a cell where no token can be far (r ≈ 2 here):
        assert bounds[NAMES.index("far")] > 0 or not _undecided_or_far(prefix, cell)  # then the far part is 0 too
        with mpmath.workdps(60):
            for _ in range(3):
                parts = evaluator.parts_mp(cell_point(cell, rng))
                for name, bound in zip(NAMES, bounds):
                    assert parts[name] <= bound, (name, cell)


# --------------------------------------------------------------------------- the ratio range


def _exact_ratio(w, u) -> Fraction:
    return sum(Fraction(a) * Fraction(b) for a, b in zip(w, u)) / sum(Fraction(a) for a in w)


def _ratio_cases(scale: float, count: int):
    rng = np.random.default_rng(7)
    for _ in range(count):
        k = int(rng.integers(1, 8))
        a = rng.random(k) * rng.choice([1e-30, 1.0], size=k)
        b = a + rng.random(k) * rng.choice([1.0, 1e20], size=k)
        u_lo = rng.normal(size=k) * scale
        u_hi = u_lo + 0.1 * rng.random(k) * scale
        yield rng, a, b, u_lo, u_hi


def _vertices(a, b, k):
    return [np.where(bits, b, a) for bits in np.array(np.meshgrid(*[[0, 1]] * k)).T.reshape(-1, k).astype(bool)]


@pytest.mark.parametrize("scale", [1e-300, 1.0, 1e300])
def test_ratio_range_contains_every_weighting_exactly_at_every_scale(scale):
    """Σ w u / Σ w, computed in exact rationals, lies in [lo, hi] for random w, u in the boxes and at every
    vertex; hi is within 10⁻⁹ (relative to max |u|) of the best vertex: tight, not only sound."""
    for rng, a, b, u_lo, u_hi in _ratio_cases(scale, 40):
        lo, hi = ratio_range(a, b, u_lo, u_hi)
        low, high = Fraction(lower(lo)), Fraction(upper(hi))
        for _ in range(20):
            w = a + (b - a) * rng.random(len(a))
            u = u_lo + (u_hi - u_lo) * rng.random(len(a))
            assert low <= _exact_ratio(w, u) <= high
        best = max(_exact_ratio(w, u_hi) for w in _vertices(a, b, len(a)))
        assert best <= high <= best + Fraction(1e-9) * Fraction(float(np.max(np.abs(u_hi))))


def test_a_threshold_taken_without_its_proof_is_caught(monkeypatch):
    """Negative control: a threshold guessed 1% of max |u| too low and accepted without the ball-arithmetic
    proof gives a bound below the best vertex; the real proof rejects the same guess (the bound stays sound)."""
    original = head_enclosure._threshold_guess
    monkeypatch.setattr(head_enclosure, "_threshold_guess", lambda *args: original(*args) - 0.01)

    def worst_gap() -> Fraction:
        gap = Fraction(-1)
        for _, a, b, u_lo, u_hi in _ratio_cases(1.0, 40):
            _, hi = ratio_range(a, b, u_lo, u_hi)
            best = max(_exact_ratio(w, u_hi) for w in _vertices(a, b, len(a)))
            gap = max(gap, best - Fraction(upper(hi)))
        return gap

    assert worst_gap() <= 0
    monkeypatch.setattr(head_enclosure, "_certifies", lambda *args: True)
    assert worst_gap() > 0
