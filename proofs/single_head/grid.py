"""E1's prefix points: the cube-surface grid with n cells per edge, projected onto S^m, and its covering bound √m/n."""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import mpmath
import numpy as np

from verifier.domains import Sphere, normalise_rows
from verifier.errors import InputError


@dataclass(frozen=True)
class CubeSurfaceGrid:
    """The cube-surface grid: points of {−1, −1+2/n, …, 1}^(m+1) on the surface of the cube, then normalised.

    A point is stored by its integer index j ∈ {0..n}^(m+1) (coordinate −1 + 2j/n), so it can be
    evaluated exactly at any precision. Count: N = (n+1)^(m+1) − (n−1)^(m+1). Every point of the
    sphere lies within the half-diagonal √m/n of a face cell from some grid point (radial
    projection onto S^m is non-expansive outside the ball), so ρ ≤ √m/n.
    """

    m: int
    n: int
    indices: np.ndarray = field(repr=False, compare=False)

    @classmethod
    def build(cls, m: int, n: int) -> "CubeSurfaceGrid":
        Sphere(m)
        if n < 1:
            raise InputError(f"the grid needs n ≥ 1 cells per edge; got {n}")
        # Enumerate the surface only: the first extreme coordinate is i (∈ {0, n}); those before it are
        # interior (1..n−1), those after it are free (0..n). Each surface point arises exactly once.
        pieces = [
            np.array(list(itertools.product(*[range(1, n)] * i, (0, n), *[range(n + 1)] * (m - i))), dtype=np.int64)
            for i in range(m + 1)
        ]
        return cls(m, n, np.vstack([p.reshape(-1, m + 1) for p in pieces]))

    @property
    def count(self) -> int:
        return len(self.indices)

    @property
    def proof_covering_bound(self) -> float:
        """√m/n: the bound on the covering radius ρ ≤ √m/n (the half-diagonal of a face cell, see the class)."""
        return math.sqrt(self.m) / self.n

    def sphere_points(self) -> np.ndarray:
        """The normalised grid points in float64, shape (N, m+1)."""
        return normalise_rows(-1 + 2 * self.indices / self.n)

    def sphere_points_mp(self) -> list[list[mpmath.mpf]]:
        """The normalised grid points at the current mpmath precision (exact rational start)."""
        out = []
        for row in self.indices:
            c = [mpmath.mpf(-self.n + 2 * int(j)) / self.n for j in row]
            norm = mpmath.sqrt(mpmath.fsum(ci * ci for ci in c))
            out.append([ci / norm for ci in c])
        return out
