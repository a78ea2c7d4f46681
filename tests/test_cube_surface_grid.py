"""Tests for proofs/single_head/grid.py: E1's cube-surface grid, its exact points and its covering bound √m/n."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from proofs.single_head.grid import CubeSurfaceGrid
from verifier.domains import Sphere, covering_radius, normalise_rows
from verifier.errors import InputError


@pytest.mark.parametrize("m", [1, 2, 3])
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_grid_count(m, n):
    g = CubeSurfaceGrid.build(m, n)
    assert g.count == (n + 1) ** (m + 1) - (n - 1) ** (m + 1)
    assert g.count <= 2 * (m + 1) * (n + 1) ** m
    idx = g.indices
    assert idx.shape == (g.count, m + 1)
    assert idx.min() >= 0 and idx.max() <= n
    # every row is on a face of the cube, and no row is repeated
    assert np.all(np.any((idx == 0) | (idx == n), axis=1))
    assert len({tuple(r) for r in idx}) == g.count


@pytest.mark.parametrize("m,n", [(0, 3), (-1, 3), (1, 0), (2, -2)])
def test_grid_rejects_bad_input(m, n):
    with pytest.raises(InputError):
        CubeSurfaceGrid.build(m, n)


def test_grid_proof_bound():
    assert CubeSurfaceGrid.build(3, 4).proof_covering_bound == pytest.approx(math.sqrt(3) / 4, rel=1e-15)


@pytest.mark.parametrize("m,n", [(1, 3), (2, 4), (3, 2)])
def test_sphere_points_mp_agree_with_float64(m, n):
    g = CubeSurfaceGrid.build(m, n)
    P = g.sphere_points()
    assert np.max(np.abs(np.linalg.norm(P, axis=1) - 1)) < 1e-12
    with mpmath.workdps(40):
        Q = g.sphere_points_mp()
        norms = [mpmath.norm(row) for row in Q]
        assert all(abs(nm - 1) < mpmath.mpf(10) ** -38 for nm in norms)
    Qf = np.array([[float(c) for c in row] for row in Q])
    assert Qf.shape == P.shape
    assert np.max(np.abs(Qf - P)) < 1e-15
    # the grid points are the radial projections of −1 + 2j/n
    raw = -1 + 2 * g.indices / n
    assert np.allclose(normalise_rows(raw), P, atol=1e-15)


@pytest.mark.parametrize("m,n", [(1, 1), (1, 4), (1, 17), (2, 1), (2, 2), (2, 5), (2, 9), (3, 1), (3, 3), (3, 5)])
def test_grid_covering_radius_within_proof_bound(m, n):
    g = CubeSurfaceGrid.build(m, n)
    cr = covering_radius(g.sphere_points(), seed=0, samples=20000)
    assert cr.method == {1: "exact-gaps", 2: "spherical-voronoi", 3: "sampled"}[m]
    assert 0 < cr.value <= g.proof_covering_bound + 1e-12


def test_grid_covering_radius_m1_is_exact():
    # n = 1: the 4 cube vertices (±1, ±1)/√2 — equally spaced, ρ = 2 sin(π/8).
    cr = covering_radius(CubeSurfaceGrid.build(1, 1).sphere_points())
    assert cr.value == pytest.approx(2 * math.sin(math.pi / 8), rel=1e-12)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(m=st.integers(1, 3), n=st.integers(1, 9), seed=st.integers(0, 2**32 - 1))
def test_covering_radius_bound_holds_for_random_rotated_grids(m, n, seed):
    """E1 step 1 on random grids: ρ(Q·P) = ρ(P) ≤ √m/n for any rotation Q (ρ is rotation invariant)."""
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((m + 1, m + 1)))
    grid = CubeSurfaceGrid.build(m, n)
    rotated = covering_radius(grid.sphere_points() @ q.T, seed=seed, samples=20000)
    assert rotated.value <= grid.proof_covering_bound + 1e-12
    if m < 3:  # exact methods: rotation changes nothing
        assert rotated.value == pytest.approx(covering_radius(grid.sphere_points()).value, rel=1e-9)


def test_grid_indices_are_integers_and_bad_n_is_named():
    for m, n in [(1, 1), (2, 1), (2, 3)]:
        assert CubeSurfaceGrid.build(m, n).indices.dtype == np.int64
    with pytest.raises(InputError, match="n ≥ 1 cells per edge; got 0"):
        CubeSurfaceGrid.build(2, 0)


@pytest.mark.parametrize("m", [1, 2, 3, 4])
def test_the_n2_grid_is_the_spheres_sign_points(m):
    """The n = 2 grid is {−1, 0, 1}^(m+1) \\ {0}, normalised: verifier.domains' sign points, bit for bit and in order."""
    assert np.array_equal(CubeSurfaceGrid.build(m, 2).sphere_points(), Sphere(m).sign_points())


def test_octahedron_is_far_coarser_than_a_fine_grid():
    """The 6 points ±e_i (covering radius √(2 − 2/√3)) against the n = 4 grid on S²: a covering check with
    δ = √2/4 must fail for the octahedron."""
    octa = covering_radius(np.vstack([np.eye(3), -np.eye(3)]))
    fine = CubeSurfaceGrid.build(2, 4)
    assert octa.value > 2 * fine.proof_covering_bound
    assert octa.value > covering_radius(fine.sphere_points()).value
