"""Domains: the sphere S^m, samplers and scan sets, covering radii.

S^m = {x ∈ R^(m+1) : ‖x‖ = 1}. On S^m, ⟨x, p⟩ = 1 − ‖x − p‖²/2 (chordal identity), so nearest in
Euclidean distance means largest inner product.

The covering radius of a finite P ⊂ S^m is  ρ(P) = sup_{x∈S^m} min_{p∈P} ‖x − p‖.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import mpmath
import numpy as np
from scipy.spatial import ConvexHull, SphericalVoronoi, cKDTree

from .errors import InputError
from .reproducible import matmul


def normalise_rows(X: np.ndarray) -> np.ndarray:
    """x ↦ x/‖x‖ row by row."""
    X = np.asarray(X, dtype=float)
    return X / np.linalg.norm(X, axis=-1, keepdims=True)


def to_sphere_mp(x) -> list:
    """The float (or mpf) point x normalised, x/‖x‖, at the current mpmath precision."""
    xm = [mpmath.mpf(float(v)) if not isinstance(v, mpmath.mpf) else v for v in x]
    norm = mpmath.norm(xm)
    return [v / norm for v in xm]


@dataclass(frozen=True)
class Sphere:
    """The unit sphere S^m ⊂ R^(m+1)."""

    m: int

    def __post_init__(self) -> None:
        if not isinstance(self.m, (int, np.integer)) or isinstance(self.m, bool) or self.m < 1:
            raise InputError(f"the sphere dimension must be an integer m ≥ 1 (S^m ⊂ R^(m+1)); got {self.m!r}")

    @property
    def ambient_dim(self) -> int:
        return self.m + 1

    def uniform(self, count: int, seed: int) -> np.ndarray:
        """``count`` points uniform on S^m: normalised standard Gaussians (seeded)."""
        rng = np.random.default_rng(seed)
        return normalise_rows(rng.standard_normal((count, self.ambient_dim)))

    def scan_points(self, count: int, seed: int) -> np.ndarray:
        """A dense scan set of about ``count`` points: a deterministic even layer plus a seeded random half.

        m = 1: equiangular θ_j = 2πj/K;  m = 2: Fibonacci lattice;  m ≥ 3: random only.
        """
        if count < 2:
            raise InputError(f"a scan needs at least 2 points; got {count}")
        half = count // 2
        if self.m == 1:
            theta = 2 * np.pi * np.arange(half) / half
            even = np.column_stack([np.cos(theta), np.sin(theta)])
        elif self.m == 2:
            k = np.arange(half) + 0.5
            z = 1 - 2 * k / half
            phi = np.pi * (1 + 5 ** 0.5) * k
            rho = np.sqrt(1 - z * z)
            even = np.column_stack([rho * np.cos(phi), rho * np.sin(phi), z])
        else:
            even = np.empty((0, self.ambient_dim))
        return np.vstack([even, self.uniform(count - len(even), seed)])

    def sign_points(self) -> np.ndarray:
        """The 3^(m+1) − 1 non-zero points of {−1, 0, 1}^(m+1), normalised: deterministic points of S^m with
        coordinates that vanish exactly (where poles such as 1/x0 or log(x1) sit, which a random scan almost
        surely misses). Ordered by the position i of the first non-zero coordinate, then its sign (−1 first),
        then the coordinates after it lexicographically (−1 < 0 < 1)."""
        k = self.ambient_dim
        rows = [(0,) * i + (sign,) + rest for i in range(k) for sign in (-1, 1)
                for rest in itertools.product((-1, 0, 1), repeat=k - 1 - i)]
        return normalise_rows(np.array(rows, dtype=float))

    def tangent_basis(self, x: np.ndarray) -> np.ndarray:
        """An orthonormal basis (columns, shape (m+1, m)) of the tangent space T_x S^m = x^⊥: the columns j ≠ i of
        the Householder reflection Q = I − 2vvᵀ/⟨v, v⟩, v = x + sign(x_i)‖x‖e_i, i the largest |x_i| (Q is
        orthogonal and Qe_i = −sign(x_i) x/‖x‖). Correctly rounded sums (math.fsum) and element-wise products, no
        LAPACK: the same bits on every machine (verifier.reproducible)."""
        v = [float(c) for c in x]
        i = max(range(len(v)), key=lambda j: abs(v[j]))
        v[i] += math.copysign(math.sqrt(math.fsum(c * c for c in v)), v[i])
        q = np.eye(len(v)) - np.multiply.outer(v, v) * (2 / math.fsum(c * c for c in v))
        return q[:, [j for j in range(len(v)) if j != i]]

    def retract(self, x: np.ndarray, basis: np.ndarray, t: np.ndarray) -> np.ndarray:
        """The point (x + basis·t)/‖x + basis·t‖: local coordinates t around x."""
        y = x + matmul(basis, t)
        return y / np.sqrt(np.sum(y * y))  # not np.linalg.norm: for a vector it is a BLAS dot


@dataclass(frozen=True)
class CoveringRadius:
    """ρ(P) = sup_x min_p ‖x − p‖ with the point x attaining it and how it was found.

    method: ``exact-gaps`` (m = 1, largest angular gap g gives ρ = 2 sin(g/4)), ``spherical-voronoi``
    (m = 2, max over Voronoi vertices and antipodes), or ``sampled`` (a lower estimate).
    """

    value: float
    witness: np.ndarray = field(repr=False)
    method: str
    samples: int = 0


def farthest_point_candidates(points: np.ndarray) -> tuple[np.ndarray, str] | None:
    """A finite set containing every local maximiser of x ↦ min_p ‖x − p‖ on S^m, and its name.

    m = 1: the midpoints of the angular gaps (``exact-gaps``). m = 2, P not within a closed
    hemisphere: the spherical Voronoi vertices and the antipodes −p (``spherical-voronoi``; inside a
    cell the distance to its point only grows towards −p). Otherwise None: no finite set is known.
    """
    points = _sphere_points(points)
    m = points.shape[1] - 1
    if m == 1:
        theta = np.sort(np.mod(np.arctan2(points[:, 1], points[:, 0]), 2 * np.pi))
        mid = theta + np.diff(np.append(theta, theta[0] + 2 * np.pi)) / 2
        return np.column_stack([np.cos(mid), np.sin(mid)]), "exact-gaps"
    if m == 2 and len(points) >= 4 and _origin_inside_hull(points):
        return normalise_rows(np.vstack([SphericalVoronoi(points).vertices, -points])), "spherical-voronoi"
    return None


def covering_radius(points: np.ndarray, seed: int = 0, samples: int = 200_000) -> CoveringRadius:
    """The covering radius of ``points`` ⊂ S^m: exact over :func:`farthest_point_candidates` where
    they are known (m = 1, 2), else the largest distance from ``samples`` random points (a lower estimate)."""
    points = _sphere_points(points)
    found = farthest_point_candidates(points)
    candidates, method = found if found is not None else (Sphere(points.shape[1] - 1).uniform(samples, seed), "sampled")
    dist, _ = cKDTree(points).query(candidates)
    i = int(np.argmax(dist))
    return CoveringRadius(float(dist[i]), candidates[i], method, samples if found is None else 0)


def _sphere_points(points: np.ndarray) -> np.ndarray:
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] < 2 or len(points) < 1:
        raise InputError(f"covering_radius needs an (N, m+1) array of sphere points, m ≥ 1; got shape {points.shape}")
    return points


def _origin_inside_hull(points: np.ndarray) -> bool:
    """True iff 0 is strictly inside conv(P): P is not contained in a closed hemisphere."""
    try:
        hull = ConvexHull(points)
    except Exception:  # degenerate (coplanar) sets: not a covering configuration
        return False
    return bool(np.all(hull.equations[:, -1] < -1e-12))
