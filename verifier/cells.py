"""Cells for branch and bound: boxes of the cube-face parametrisation of S^m, and boxes of R^(m+1).

A face cell is the gnomonic image on S^m of a box on a face of the cube [−1, 1]^(m+1):

    C = { y/‖y‖ : y_a = s, y_k ∈ [lo_k, hi_k] for k ≠ a }   (face axis a, sign s = ±1).

The 2(m+1) faces cover S^m (m = 1: the cells are arcs of the circle). Box corners are dyadic
floats, so bisection is exact. Geometry used by the enclosures, every number a ball:

* centre ĉ = y_c/‖y_c‖ of the box's centre y_c; angular radius ρ = max_{x∈C} ∠(ĉ, x), attained at a
  vertex: {y : ⟨ĉ, y⟩ ≥ cos ρ·‖y‖} is a convex cone for ρ ≤ π/2, so it contains the box once it
  contains its corners (all of a face lies within 90° of any point of it);
* for any p ∈ S^m with θ_p = ∠(ĉ, p), the triangle inequality of angles gives, for every x ∈ C,
  ⟨x, p⟩ ∈ [cos(min(π, θ_p + ρ)), cos(max(0, θ_p − ρ))].

``FaceCell.geometry``/``enclosure`` give these for one cell in balls (arb); :class:`FaceGeometry` for many cells
at once in rigorous float intervals (``verifier.intervals``), the cosines above written with cos θ_p = ⟨ĉ, p⟩,
cos ρ and sin ρ alone (cos(θ ∓ ρ) = cos θ cos ρ ± sin θ sin ρ, no arccos).
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from flint import arb, ctx

from .ball import PRECISION_BITS, acos, integer_power, interval
from .intervals import Intervals, dot, down, up


@dataclass(frozen=True)
class FaceCell:
    """The gnomonic image of the box Π_k [lo_k, hi_k] on the face y_axis = sign (see the module)."""

    axis: int
    sign: int
    lo: tuple[float, ...]
    hi: tuple[float, ...]

    @property
    def m(self) -> int:
        return len(self.lo)

    def _lift(self, free) -> list:
        """The point of R^(m+1) with y_axis = sign and the free coordinates ``free``."""
        out = list(free)
        out.insert(self.axis, self.sign)
        return out

    def split(self) -> list["FaceCell"]:
        """The 2^m boxes of the bisected box (exact: dyadic midpoints)."""
        mid = [(a + b) / 2 for a, b in zip(self.lo, self.hi)]
        children = []
        for choice in itertools.product((0, 1), repeat=self.m):
            lo = tuple(self.lo[k] if c == 0 else mid[k] for k, c in enumerate(choice))
            hi = tuple(mid[k] if c == 0 else self.hi[k] for k, c in enumerate(choice))
            children.append(FaceCell(self.axis, self.sign, lo, hi))
        return children

    @property
    def centre_f64(self) -> np.ndarray:
        y = np.array(self._lift((a + b) / 2 for a, b in zip(self.lo, self.hi)), dtype=float)
        return y / np.linalg.norm(y)

    @cached_property
    def geometry(self) -> tuple[list[arb], arb, arb]:
        """(ĉ as balls, cos ρ as an exact point ≤ the cosine of the angle from ĉ to every corner, ρ as an
        exact point ≥ the angular radius), all in ball arithmetic."""
        with ctx.workprec(PRECISION_BITS):
            centre = _normalise([arb(v) for v in self._lift((a + b) / 2 for a, b in zip(self.lo, self.hi))])
            cosines = [_dot(centre, _normalise([arb(v) for v in self._lift(corner)]))
                       for corner in itertools.product(*zip(self.lo, self.hi))]
            cos_rho_low = functools.reduce(arb.min, cosines).lower().min(arb(1))
            return centre, cos_rho_low, acos(cos_rho_low).upper()

    @property
    def rho(self) -> arb:
        return self.geometry[2]

    @cached_property
    def enclosure(self) -> list[arb]:
        """Balls containing every point x of the cell: the interval extension of y/‖y‖ intersected
        with the box ĉ ± 2 sin(ρ/2) (the chord radius); ‖y‖² = 1 + Σ_k y_k² over the box's free
        coordinates, each y_k² ∈ [min over the interval, max over the interval], in ball arithmetic."""
        with ctx.workprec(PRECISION_BITS):
            box = [interval(a, b) for a, b in zip(self.lo, self.hi)]
            norm = functools.reduce(arb.__add__, (integer_power(v, 2) for v in box), arb(1)).sqrt()
            centre, _, rho = self.geometry
            chord = 2 * (rho / 2).sin()
            return [(v / norm).intersection(ck + arb(0, 1) * chord) for v, ck in zip(self._lift(box), centre)]


@dataclass(frozen=True)
class FaceGeometry:
    """The geometry of many face cells at once, in rigorous float intervals (``verifier.intervals``), row c for cell c:

    * ``centres`` ∋ ĉ, the normalised box centre y_c/‖y_c‖ (shape (C, m+1));
    * ``cos_rho`` ≤ cos∠(ĉ, v) for every corner v of the box, clamped to [−1, 1]; so ρ̄ = arccos(cos_rho) ≥ ρ,
      and ``sin_rho`` ≥ sin ρ̄ = (1 − cos_rho²)^(1/2);
    * ``boxes`` ⊇ every point x of the cell: y/‖y‖ over the box (‖y‖² = 1 + Σ_k y_k², each y_k² over its interval)
      intersected with ĉ ± (2 − 2·cos_rho)^(1/2), the chord of ρ̄;
    * ``centres_f64``: ĉ in floats, for choices only.
    """

    centres: Intervals
    cos_rho: np.ndarray
    sin_rho: np.ndarray
    boxes: Intervals
    centres_f64: np.ndarray

    @classmethod
    def of(cls, cells: Sequence[FaceCell]) -> "FaceGeometry":
        lo, hi = np.array([c.lo for c in cells], dtype=float), np.array([c.hi for c in cells], dtype=float)
        axis, sign = np.array([c.axis for c in cells]), np.array([c.sign for c in cells], dtype=float)
        y = _lift_many(axis, sign, (lo + hi) / 2)  # dyadic: exact
        centres = Intervals.point(y) / _norms(Intervals.point(y))[:, None]
        cos_rho = np.full(len(cells), np.inf)
        for corner in itertools.product(*zip(lo.T, hi.T)):  # each a tuple of m arrays (C,)
            v = Intervals.point(_lift_many(axis, sign, np.column_stack(corner)))
            cos_rho = np.minimum(cos_rho, (dot(centres, v) / _norms(v)).lo)
        cos_rho = np.clip(cos_rho, -1.0, 1.0)
        sin_rho = up(np.sqrt(np.maximum(0.0, up(1.0 - down(cos_rho * cos_rho)))))
        free = Intervals(_lift_many(axis, sign, lo), _lift_many(axis, sign, hi))
        boxes = free / _norms(free)[:, None]
        chord = up(np.sqrt(np.maximum(0.0, up(2.0 - down(2.0 * cos_rho)))))
        near = Intervals(down(centres.lo - chord[:, None]), up(centres.hi + chord[:, None]))
        mids = y / np.linalg.norm(y, axis=1, keepdims=True)
        return cls(centres, cos_rho, sin_rho, boxes.intersect(near), mids)

    def cos_upper(self, c_hi: np.ndarray) -> np.ndarray:
        """A float ≥ ⟨x, p⟩ for every x of cell c and every unit p with ⟨ĉ, p⟩ ≤ c_hi (shape (C, K)): with θ = ∠(ĉ, p)
        ≥ θ₀ = arccos(c_hi), ∠(x, p) ≥ θ − ρ̄, so ⟨x, p⟩ ≤ cos(max(0, θ₀ − ρ̄)) = 1 if c_hi ≥ cos ρ̄, else
        c_hi·cos ρ̄ + (1 − c_hi²)^(1/2)·sin ρ̄ (cos is decreasing on [0, π])."""
        c = np.minimum(c_hi, 1.0)
        cos_rho, sin_rho = self.cos_rho[:, None], self.sin_rho[:, None]
        value = up(up(c * cos_rho) + up(_sine_upper(c) * sin_rho))
        return np.where(c >= cos_rho, 1.0, np.minimum(value, 1.0))

    def cos_lower(self, c_lo: np.ndarray) -> np.ndarray:
        """A float ≤ ⟨x, p⟩ for every x of cell c and every unit p with ⟨ĉ, p⟩ ≥ c_lo: θ ≤ θ₁ = arccos(c_lo), so
        ⟨x, p⟩ ≥ cos(min(π, θ₁ + ρ̄)) = −1 if c_lo ≤ −cos ρ̄, else c_lo·cos ρ̄ − (1 − c_lo²)^(1/2)·sin ρ̄."""
        c = np.maximum(c_lo, -1.0)
        cos_rho, sin_rho = self.cos_rho[:, None], self.sin_rho[:, None]
        value = down(down(c * cos_rho) - up(_sine_upper(c) * sin_rho))
        return np.where(c <= -cos_rho, -1.0, np.maximum(value, -1.0))

    def angle_ranges(self, points: Intervals) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) floats with low ≤ ⟨x, p⟩ ≤ high for every x of cell c and every p in the interval vector
        points[c, j] (shape (C, K, m+1)): ⟨ĉ, p⟩ enclosed, then :meth:`cos_lower` and :meth:`cos_upper`."""
        inner = dot(Intervals(self.centres.lo[:, None, :], self.centres.hi[:, None, :]), points)
        return self.cos_lower(inner.lo), self.cos_upper(inner.hi)


def _sine_upper(c: np.ndarray) -> np.ndarray:
    """A float ≥ (1 − c²)^(1/2) for floats c ∈ [−1, 1]."""
    return up(np.sqrt(np.maximum(0.0, up(1.0 - down(c * c)))))


def _norms(y: Intervals) -> Intervals:
    """‖y‖ over the interval vectors y (rows)."""
    total = y[:, 0].square()
    for k in range(1, y.lo.shape[1]):
        total = total + y[:, k].square()
    return total.sqrt()


def _lift_many(axis: np.ndarray, sign: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Rows of R^(m+1) with y_axis = sign and the free coordinates ``free`` (shape (C, m)) in order."""
    C, m = free.shape
    out = np.empty((C, m + 1))
    rows = np.arange(C)
    out[rows, axis] = sign
    k = np.arange(m)[None, :]
    out[rows[:, None], k + (k >= axis[:, None])] = free
    return out


def dyadic_face_cells(m: int, per_edge_at_most: float) -> list[FaceCell]:
    """:func:`face_cells` with per_edge the largest power of two ≤ max(1, per_edge_at_most) (an initial cover whose
    cells are about as wide as a construction's grid or rule cells)."""
    return face_cells(m, 2 ** max(0, int(math.floor(math.log2(max(1, per_edge_at_most))))))


def face_cells(m: int, per_edge: int) -> list[FaceCell]:
    """All 2(m+1)·per_edge^m face cells of an even subdivision (per_edge a power of two keeps the
    corners dyadic)."""
    edges = np.linspace(-1.0, 1.0, per_edge + 1)
    cells = []
    for axis in range(m + 1):
        for sign in (-1, 1):
            for index in itertools.product(range(per_edge), repeat=m):
                cells.append(FaceCell(axis, sign, tuple(float(edges[i]) for i in index),
                                      tuple(float(edges[i + 1]) for i in index)))
    return cells


@dataclass(frozen=True)
class Box:
    """An axis-parallel box Π_k [lo_k, hi_k] of R^(m+1) (for bounds over the unit ball)."""

    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def split(self) -> list["Box"]:
        mid = [(a + b) / 2 for a, b in zip(self.lo, self.hi)]
        return [Box(tuple(self.lo[k] if c == 0 else mid[k] for k, c in enumerate(choice)),
                    tuple(mid[k] if c == 0 else self.hi[k] for k, c in enumerate(choice)))
                for choice in itertools.product((0, 1), repeat=len(self.lo))]

    @property
    def enclosure(self) -> list[arb]:
        return [interval(a, b) for a, b in zip(self.lo, self.hi)]

    def meets_unit_ball(self) -> bool:
        """False only if every point of the box has ‖z‖ > 1 (decided exactly on the float corners)."""
        nearest = [0.0 if a <= 0 <= b else min(abs(a), abs(b)) for a, b in zip(self.lo, self.hi)]
        with ctx.workprec(PRECISION_BITS):
            return not sum((arb(v) ** 2 for v in nearest), arb(0)) > 1

    @property
    def centre_f64(self) -> np.ndarray:
        return np.array([(a + b) / 2 for a, b in zip(self.lo, self.hi)])


def ball_boxes(m: int, per_edge: int) -> list[Box]:
    """The boxes of an even subdivision of [−1, 1]^(m+1) that meet the closed unit ball."""
    edges = np.linspace(-1.0, 1.0, per_edge + 1)
    boxes = [Box(tuple(float(edges[i]) for i in index), tuple(float(edges[i + 1]) for i in index))
             for index in itertools.product(range(per_edge), repeat=m + 1)]
    return [b for b in boxes if b.meets_unit_ball()]


def _dot(a: list[arb], b: list[arb]) -> arb:
    out = arb(0)
    for u, v in zip(a, b):
        out += u * v
    return out


def _normalise(y: list[arb]) -> list[arb]:
    norm = _dot(y, y).sqrt()
    return [v / norm for v in y]


def angle_range(centre: list[arb], rho: arb, p: list[arb]) -> tuple[arb, arb]:
    """Balls (lo, hi) with lo ≤ ⟨x, p⟩ ≤ hi for every x within angle ρ of ĉ (see the module)."""
    theta = acos(_dot(centre, p))
    far = theta + rho
    low = arb(-1) if not far < math.pi else far.cos()
    near = theta - rho
    high = arb(1) if not near > 0 else near.cos()
    return low, high
