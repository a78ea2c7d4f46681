"""Tests for verifier/cells.py: face cells and boxes, every enclosure against mpmath at 50 digits, at coarse
and very fine cells (the old squared corners were float64 products)."""
from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from verifier.ball import lower, upper
from verifier.cells import Box, FaceCell, FaceGeometry, ball_boxes, dyadic_face_cells, face_cells
from verifier.intervals import Intervals


def _angle(a, b):
    return mpmath.acos(max(-1, min(1, mpmath.fsum(x * y for x, y in zip(a, b)))))


def _random_cells(m: int, rng, fine: bool) -> list[FaceCell]:
    """Random face cells, widths from 1/2 down to 2⁻⁴⁰ (fine) at dyadic corners."""
    out = []
    for _ in range(6):
        width = 2.0 ** -int(rng.integers(30, 41)) if fine else 0.5
        lo = tuple(float(np.floor(rng.uniform(-1, 1 - width) / width) * width) for _ in range(m))
        out.append(FaceCell(int(rng.integers(m + 1)), int(rng.choice([-1, 1])), lo, tuple(a + width for a in lo)))
    return out


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("fine", [False, True])
def test_enclosure_and_radius_contain_the_cell(m, fine, cell_point):
    rng = np.random.default_rng(m + 10 * fine)
    for cell in _random_cells(m, rng, fine):
        balls = cell.enclosure
        centre, _, rho = cell.geometry
        with mpmath.workdps(50):
            c = [mpmath.mpf(v.mid()) for v in centre]
            for _ in range(6):
                x = cell_point(cell, rng)
                assert all(lower(b) <= v <= upper(b) for b, v in zip(balls, x))
                assert _angle(c, x) <= upper(rho) + 1e-40  # ĉ's own ball radius is ~1e-24
        width = cell.hi[0] - cell.lo[0]
        assert all(upper(b) - lower(b) <= 4 * width + 1e-15 for b in balls)  # tight: about the cell's size


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("fine", [False, True])
def test_face_geometry_contains_every_point_and_inner_product(m, fine, cell_point):
    """FaceGeometry of many cells at once (float intervals), against 50-digit mpmath at random points of random
    cells: the box holds x, ∠(ĉ, x) ≤ arccos(cos_rho), and angle_ranges hold ⟨x, p⟩ for random unit p."""
    rng = np.random.default_rng(20 + m + 10 * fine)
    cells = _random_cells(m, rng, fine)
    geometry = FaceGeometry.of(cells)
    p = rng.normal(size=(len(cells), 4, m + 1))
    p /= np.linalg.norm(p, axis=2, keepdims=True)
    low, high = geometry.angle_ranges(Intervals.point(p))
    with mpmath.workdps(50):
        for c, cell in enumerate(cells):
            centre = [mpmath.mpf(v) for v in geometry.centres.lo[c]]
            assert np.all(geometry.centres.hi[c] - geometry.centres.lo[c] <= 1e-14)  # tight: a few ulps
            for _ in range(6):
                x = cell_point(cell, rng)
                assert all(lo <= v <= hi for lo, hi, v in zip(geometry.boxes.lo[c], geometry.boxes.hi[c], x))
                assert _angle(centre, x) <= mpmath.acos(mpmath.mpf(geometry.cos_rho[c])) + 1e-14
                assert geometry.sin_rho[c] >= mpmath.sqrt(1 - mpmath.mpf(geometry.cos_rho[c]) ** 2)
                for j in range(p.shape[1]):
                    inner = mpmath.fsum(a * mpmath.mpf(b) for a, b in zip(x, p[c, j]))
                    assert low[c, j] <= inner <= high[c, j]
            width = cell.hi[0] - cell.lo[0]
            assert np.all(geometry.boxes.hi[c] - geometry.boxes.lo[c] <= 4 * width + 1e-15)  # tight: about the cell's size


def test_angle_ranges_of_half_the_radius_are_caught(cell_point):
    """Negative control: the same geometry with ρ̄ halved (cos and sin of ρ̄/2) misses some ⟨x, p⟩; the real one
    holds them all on the same points."""
    rng = np.random.default_rng(3)
    cells = face_cells(2, 4)[:20]
    geometry = FaceGeometry.of(cells)
    half = np.arccos(geometry.cos_rho) / 2
    halved = FaceGeometry(geometry.centres, np.cos(half), np.sin(half), geometry.boxes, geometry.centres_f64)
    p = np.tile(np.array([0.3, -0.5, 0.8]) / np.linalg.norm([0.3, -0.5, 0.8]), (len(cells), 1, 1))
    ranges = {"real": geometry.angle_ranges(Intervals.point(p)), "halved": halved.angle_ranges(Intervals.point(p))}
    missed = {"real": 0, "halved": 0}
    with mpmath.workdps(50):
        for c, cell in enumerate(cells):
            for _ in range(10):
                x = cell_point(cell, rng)
                inner = mpmath.fsum(a * mpmath.mpf(b) for a, b in zip(x, p[c, 0]))
                for name, (low, high) in ranges.items():
                    missed[name] += not (low[c, 0] <= inner <= high[c, 0])
    assert missed["real"] == 0 and missed["halved"] > 0


def test_split_covers_the_cell_exactly():
    cell = FaceCell(1, -1, (-0.5, 0.25), (0.0, 0.75))
    children = cell.split()
    assert len(children) == 4 and {c.axis for c in children} == {1} and {c.sign for c in children} == {-1}
    assert sorted((c.lo, c.hi) for c in children) == [((-0.5, 0.25), (-0.25, 0.5)), ((-0.5, 0.5), (-0.25, 0.75)),
                                                      ((-0.25, 0.25), (0.0, 0.5)), ((-0.25, 0.5), (0.0, 0.75))]
    assert len(face_cells(2, 4)) == 2 * 3 * 16


def test_boxes_meeting_the_ball():
    boxes = ball_boxes(1, 4)
    assert len(boxes) == 16  # every box of the 4×4 grid of [−1, 1]² meets the disc (the corner ones at ‖·‖ = 1/√2·…)
    assert Box((0.75, 0.75), (1.0, 1.0)).meets_unit_ball() is False  # nearest corner at ‖(3/4, 3/4)‖ > 1
    assert Box((0.5, 0.5), (1.0, 1.0)).meets_unit_ball() is True
    tiny = Box((0.6, 0.8), (0.6 + 2.0**-40, 0.8 + 2.0**-40))  # (0.6, 0.8) is a float rounding of a unit vector
    assert tiny.meets_unit_ball() is (Fraction(0.6) ** 2 + Fraction(0.8) ** 2 <= 1)  # decided exactly
    for box in boxes:
        for corner in itertools.product(*zip(box.lo, box.hi)):
            assert all(lower(b) <= v <= upper(b) for b, v in zip(box.enclosure, corner))


def test_a_neighbours_enclosure_misses_the_cells_points(cell_point):
    """Negative control of the containment test: the points of a cell checked against its sibling's enclosure."""
    rng = np.random.default_rng(9)
    first, second = FaceCell(0, 1, (0.0, 0.0), (0.25, 0.25)).split()[:2]
    with mpmath.workdps(50):
        points = [cell_point(first, rng) for _ in range(20)]
        assert all(lower(b) <= v <= upper(b) for p in points for b, v in zip(first.enclosure, p))
        assert not all(lower(b) <= v <= upper(b) for p in points for b, v in zip(second.enclosure, p))


def test_dyadic_face_cells_take_the_power_of_two_at_most_the_width():
    assert [len(dyadic_face_cells(1, w)) for w in (0.5, 1, 3.9, 4, 57)] == [4 * k for k in (1, 1, 2, 4, 32)]
