"""Tests for verifier/domains.py: S^m samplers, its sign points and covering radii."""
from __future__ import annotations

import itertools
import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.spatial import cKDTree

from verifier.domains import CoveringRadius, Sphere, covering_radius, normalise_rows
from verifier.errors import InputError

FAST = settings(max_examples=20, deadline=None, derandomize=True)
seeds = st.integers(0, 2**32 - 1)


def nearest_distance(points: np.ndarray, probe: np.ndarray) -> np.ndarray:
    return cKDTree(points).query(probe)[0]


# --------------------------------------------------------------------------- Sphere


@pytest.mark.parametrize("m", [0, -1, 1.0, True, "2", None])
def test_sphere_rejects_bad_dimension(m):
    with pytest.raises(InputError, match="m ≥ 1"):
        Sphere(m)


def test_sphere_accepts_numpy_integer():
    assert Sphere(np.int64(3)).ambient_dim == 4


@FAST
@given(m=st.integers(1, 4), seed=seeds, count=st.integers(2, 300))
def test_uniform_and_scan_points_lie_on_the_sphere(m, seed, count):
    s = Sphere(m)
    U = s.uniform(count, seed)
    S = s.scan_points(count, seed)
    assert U.shape == (count, m + 1)
    assert S.shape == (count, m + 1)
    assert np.all(np.isfinite(S))
    assert np.max(np.abs(np.linalg.norm(U, axis=1) - 1)) < 1e-12
    assert np.max(np.abs(np.linalg.norm(S, axis=1) - 1)) < 1e-12


@FAST
@given(m=st.integers(1, 4), seed=seeds)
def test_same_seed_same_points(m, seed):
    s = Sphere(m)
    assert np.array_equal(s.uniform(50, seed), s.uniform(50, seed))
    assert np.array_equal(s.scan_points(64, seed), s.scan_points(64, seed))
    assert not np.array_equal(s.uniform(50, seed), s.uniform(50, seed + 1))


def test_scan_points_rejects_tiny_count():
    with pytest.raises(InputError, match="at least 2"):
        Sphere(2).scan_points(1, 0)


def test_uniform_is_roughly_uniform():
    # Mean of uniform points on S^2 is ~0 and E[x_i^2] = 1/3.
    X = Sphere(2).uniform(20000, 7)
    assert np.all(np.abs(X.mean(axis=0)) < 0.03)
    assert np.allclose((X**2).mean(axis=0), 1 / 3, atol=0.02)


def test_scan_points_even_layer_for_m1_is_equiangular():
    X = Sphere(1).scan_points(16, 0)[:8]
    theta = np.mod(np.arctan2(X[:, 1], X[:, 0]), 2 * np.pi)
    assert np.allclose(np.sort(theta), 2 * np.pi * np.arange(8) / 8, atol=1e-12)


@FAST
@given(m=st.integers(1, 4), seed=seeds)
def test_tangent_basis_and_retract(m, seed):
    s = Sphere(m)
    x = s.uniform(1, seed)[0]
    B = s.tangent_basis(x)
    assert B.shape == (m + 1, m)
    assert np.allclose(B.T @ B, np.eye(m), atol=1e-12)
    assert np.allclose(x @ B, 0, atol=1e-12)
    t = np.random.default_rng(seed).standard_normal(m) * 0.1
    y = s.retract(x, B, t)
    assert abs(np.linalg.norm(y) - 1) < 1e-12
    assert np.allclose(s.retract(x, B, np.zeros(m)), x, atol=1e-15)


# --------------------------------------------------------------------------- covering_radius


@FAST
@given(k=st.integers(1, 200), offset=st.floats(0, 2 * math.pi))
def test_covering_radius_exact_for_equally_spaced_circle_points(k, offset):
    theta = offset + 2 * math.pi * np.arange(k) / k
    pts = np.column_stack([np.cos(theta), np.sin(theta)])
    cr = covering_radius(pts)
    assert cr.method == "exact-gaps"
    assert cr.value == pytest.approx(2 * math.sin(math.pi / (2 * k)), rel=1e-9, abs=1e-12)
    # the witness attains the value
    assert abs(np.linalg.norm(cr.witness) - 1) < 1e-12
    assert nearest_distance(pts, cr.witness[None])[0] == pytest.approx(cr.value, rel=1e-9, abs=1e-12)


@FAST
@given(seed=seeds, count=st.integers(2, 40))
def test_covering_radius_m1_random_points_bounds_dense_probe(seed, count):
    pts = Sphere(1).uniform(count, seed)
    cr = covering_radius(pts)
    probe = Sphere(1).scan_points(20000, seed + 1)
    sampled = nearest_distance(pts, probe).max()
    assert cr.value >= sampled - 1e-12
    assert cr.value - sampled < 1e-3
    assert nearest_distance(pts, cr.witness[None])[0] == pytest.approx(cr.value, rel=1e-9)


def test_covering_radius_method_names():
    assert covering_radius(Sphere(1).uniform(10, 0)).method == "exact-gaps"
    assert covering_radius(Sphere(2).uniform(40, 0)).method == "spherical-voronoi"
    cr3 = covering_radius(Sphere(3).uniform(40, 0), samples=5000)
    assert cr3.method == "sampled" and cr3.samples == 5000


def test_covering_radius_rejects_bad_shapes():
    for bad in (np.ones(3), np.ones((4, 1)), np.empty((0, 3))):
        with pytest.raises(InputError, match="covering_radius"):
            covering_radius(bad)


def _origin_strictly_inside(points: np.ndarray) -> bool:
    """Independent check: 0 ∈ int conv(P) iff no unit u has ⟨u, p⟩ ≥ 0 for all p (probe directions)."""
    dirs = Sphere(2).uniform(20000, 12345)
    return bool(np.all((points @ dirs.T).min(axis=0) < -1e-9))


@FAST
@given(seed=seeds, count=st.integers(8, 60))
def test_spherical_voronoi_radius_bounds_every_sample(seed, count):
    pts = Sphere(2).uniform(count, seed)
    cr = covering_radius(pts)
    if not _origin_strictly_inside(pts):  # rare for ≥ 8 uniform points: the method must then fall back
        assert cr.method == "sampled"
        return
    assert cr.method == "spherical-voronoi"
    probe = Sphere(2).uniform(20000, seed + 1)
    sampled = nearest_distance(pts, probe).max()
    # The exact sup bounds every sample from above, and a dense sample comes close to it.
    assert cr.value >= sampled - 1e-12
    assert cr.value - sampled < 0.05
    assert abs(np.linalg.norm(cr.witness) - 1) < 1e-12
    assert nearest_distance(pts, cr.witness[None])[0] == pytest.approx(cr.value, rel=1e-9)


def test_octahedron_covering_radius_negative_control():
    """The 6 points ±e_i: the farthest points are the cube directions (±1,±1,±1)/√3."""
    octa = np.vstack([np.eye(3), -np.eye(3)])
    cr = covering_radius(octa)
    expected = math.sqrt(2 - 2 / math.sqrt(3))
    assert cr.method == "spherical-voronoi"
    assert cr.value == pytest.approx(expected, rel=1e-12)
    assert np.allclose(np.abs(cr.witness), 1 / math.sqrt(3), atol=1e-9)
    # The 8 cube vertices are the dual configuration: same covering radius.
    cube = covering_radius(normalise_rows(np.array(list(itertools.product((-1, 1), repeat=3)), dtype=float)))
    assert cube.value == pytest.approx(expected, rel=1e-12)


def test_covering_radius_hemisphere_falls_back_to_sampling():
    # All points in the upper hemisphere: the Voronoi-vertex argument does not apply.
    pts = Sphere(2).uniform(50, 3)
    pts[:, 2] = np.abs(pts[:, 2]) + 0.1
    pts = normalise_rows(pts)
    cr = covering_radius(pts, seed=1, samples=20000)
    assert cr.method == "sampled"
    assert cr.value > 1.0  # the south pole is far from every point


def test_covering_radius_is_deterministic():
    pts = Sphere(3).uniform(30, 5)
    a = covering_radius(pts, seed=9, samples=5000)
    b = covering_radius(pts, seed=9, samples=5000)
    assert a.value == b.value and np.array_equal(a.witness, b.witness)
    assert isinstance(a, CoveringRadius)


def test_farthest_point_candidates_contain_the_covering_witness():
    from verifier.domains import farthest_point_candidates
    circle = Sphere(1).uniform(12, 4)
    mids, method = farthest_point_candidates(circle)
    assert method == "exact-gaps" and mids.shape == (12, 2)
    assert np.allclose(np.linalg.norm(mids, axis=1), 1)
    sphere_pts = Sphere(2).sign_points()
    cands, method = farthest_point_candidates(sphere_pts)
    assert method == "spherical-voronoi"
    assert any(np.allclose(c, covering_radius(sphere_pts).witness) for c in cands)
    assert farthest_point_candidates(Sphere(3).uniform(30, 0)) is None
    hemisphere = np.abs(Sphere(2).uniform(30, 0)) * [1, 1, 1]  # all in the positive octant
    assert farthest_point_candidates(hemisphere) is None


def test_to_sphere_mp_normalises_at_the_current_precision():
    from verifier.domains import to_sphere_mp
    with mpmath.workdps(50):
        x = to_sphere_mp([3.0, 4.0])
        assert abs(x[0] - mpmath.mpf(3) / 5) < mpmath.mpf(10) ** -49
        assert abs(mpmath.norm(x) - 1) < mpmath.mpf(10) ** -49


# --------------------------------------------------------------------------- gaps found by mutation testing


GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))  # 2π/φ², the azimuth step of a Fibonacci lattice


def test_scan_points_even_layer_for_m2_is_a_fibonacci_lattice():
    """K = count//2 points: heights z_k = 1 − (2k+1)/K (equal-area bands), azimuth advancing by the
    golden angle (either orientation; the mirror image covers equally), so the layer covers S^2 evenly."""
    K = 200
    X = Sphere(2).scan_points(2 * K, 0)[:K]
    assert np.allclose(X[:, 2], 1 - (2 * np.arange(K) + 1) / K, atol=1e-15)
    step = np.mod(np.diff(np.arctan2(X[:, 1], X[:, 0])), 2 * math.pi)
    assert np.allclose(step, step[0], atol=1e-9)
    assert min(abs(step[0] - GOLDEN_ANGLE), abs(step[0] - (2 * math.pi - GOLDEN_ANGLE))) < 1e-9
    # Even coverage: ρ·√K ≈ 2.73 for the Fibonacci lattice (≈ 2.2 is optimal); a poorer angle exceeds 2.8.
    assert covering_radius(X).value * math.sqrt(K) < 2.8


def test_scan_points_even_layer_for_odd_count_m1():
    # count = 17: the even layer is the K = 8 equiangular points, then 9 random ones.
    X = Sphere(1).scan_points(17, 0)[:8]
    theta = np.mod(np.arctan2(X[:, 1], X[:, 0]), 2 * np.pi)
    assert np.allclose(np.sort(theta), 2 * np.pi * np.arange(8) / 8, atol=1e-12)


def test_retract_is_the_normalised_step_along_the_basis():
    s = Sphere(2)
    x = s.uniform(1, 3)[0]
    B = s.tangent_basis(x)
    t = np.array([0.3, -0.2])
    y = x + B @ t
    assert np.allclose(s.retract(x, B, t), y / np.linalg.norm(y), atol=1e-15)


@pytest.mark.parametrize("m", [1, 2, 3])
def test_sign_points_are_the_normalised_nonzero_points_of_the_ternary_cube(m):
    """{−1, 0, 1}^(m+1) \\ {0} normalised, each once, grouped by the first non-zero coordinate; each has exact zeros."""
    P = Sphere(m).sign_points()
    expected = {tuple(r) for r in itertools.product((-1, 0, 1), repeat=m + 1) if any(r)}
    signs = [tuple(int(v) for v in np.sign(row)) for row in P]
    assert len(P) == 3 ** (m + 1) - 1 and set(signs) == expected and len(set(signs)) == len(signs)
    assert np.allclose(np.linalg.norm(P, axis=1), 1, atol=1e-15)
    first = [next(i for i, v in enumerate(sg) if v) for sg in signs]
    assert first == sorted(first) and signs[0] == (-1,) + (-1,) * m and signs[-1] == (0,) * m + (1,)


def test_to_sphere_mp_keeps_mpf_input_exact():
    """mpf entries are used as they are (not rounded through float64)."""
    from verifier.domains import to_sphere_mp
    with mpmath.workdps(50):
        x = [mpmath.mpf(1) / 3, mpmath.mpf(1) / 7, mpmath.sqrt(2)]
        norm = mpmath.sqrt(mpmath.fsum(c * c for c in x))
        assert all(abs(a - c / norm) < mpmath.mpf(10) ** -48 for a, c in zip(to_sphere_mp(x), x))


def test_exact_methods_report_no_samples():
    assert covering_radius(Sphere(1).uniform(10, 0)).samples == 0
    assert covering_radius(Sphere(2).uniform(40, 0)).samples == 0


def test_regular_tetrahedron_is_exact():
    """4 points (the fewest not in a closed hemisphere): the farthest points are the antipodes −v, at
    distance √(2 − 2·(1/3)) = √(4/3) from the three other vertices."""
    tetra = normalise_rows(np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=float))
    cr = covering_radius(tetra)
    assert cr.method == "spherical-voronoi"
    assert cr.value == pytest.approx(math.sqrt(4 / 3), rel=1e-12)


def test_points_on_a_great_circle_or_a_closed_hemisphere_fall_back_to_sampling():
    from verifier.domains import farthest_point_candidates
    theta = 2 * np.pi * np.arange(6) / 6
    equator = np.column_stack([np.cos(theta), np.sin(theta), np.zeros(6)])  # coplanar: no hull
    # a square pyramid: 0 lies on its base, so P is in a closed (not an open) hemisphere
    pyramid = np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 1]], dtype=float)
    for pts in (equator, pyramid):
        assert farthest_point_candidates(pts) is None
        cr = covering_radius(pts, seed=2, samples=20000)
        assert cr.method == "sampled"
        assert math.sqrt(2) - 0.05 < cr.value <= math.sqrt(2) + 1e-12  # the south pole is at distance √2
