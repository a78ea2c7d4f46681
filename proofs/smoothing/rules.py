"""Quadrature rules on S^m that are partitions: points p_i in cells V_i with weights w_i = σ(V_i).

Every rule here comes with a cell radius h: ‖y − p_i‖ ≤ h for every y ∈ V_i (the quadrature bound of
V3 rests on it) and its smallest weight w_min (the leakage offset rests on it).

- ``gauss`` on S^1: N equispaced points θ_i = 2πi/N, arcs of length 2π/N, h = 2 sin(π/(2N)).
- ``gauss`` on S^2: Gauss–Legendre nodes z_j (weights ω_j) in cos θ × n_φ = 2n equispaced φ. By the
  Chebyshev–Markov–Stieltjes separation theorem z_j lies in the band c_(j−1) < z < c_j with
  c_j = −1 + Σ_(k≤j) ω_k, whose area is ω_j (Archimedes), so the weights ω_j·2π/n_φ are exact cell
  areas; h is the largest distance from a node to a corner of its band × sector (the farthest point,
  since ⟨p, y⟩ is concave in z along the sector's edge).
- ``partition`` (the paper's route), m = 1, 2: the faces of the cube [−1, 1]^(m+1) cut into n^m
  cells of side 2/n, projected to S^m; p_i is the projected centre and w_i the exact spherical area
  (m = 1: arctan b − arctan a; m = 2: the solid angle Σ ± arctan(xy/√(1+x²+y²)) over the corners),
  h = √m/n (the half-diagonal; radial projection to S^m is non-expansive outside the ball).
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
from flint import arb, ctx

from verifier.errors import InputError

from .choices import RULES


@dataclass(frozen=True)
class QuadratureRule:
    """A partition rule on S^m of a given size; points, weights and h are computed at any precision."""

    name: str
    m: int
    size: int  # N points (gauss, m = 1), n nodes in cos θ (gauss, m = 2), n cells per cube edge (partition)
    _build: Callable[[], tuple[list, list, mpmath.mpf]] = field(repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def at_precision(self) -> tuple[list, list, mpmath.mpf]:
        """(points, weights, h) at the current mpmath precision, cached per precision."""
        dps = mpmath.mp.dps
        if dps not in self._cache:
            self._cache[dps] = self._build()
        return self._cache[dps]

    @property
    def float64(self) -> tuple[np.ndarray, np.ndarray]:
        """(points (N, m+1), weights (N,)) rounded from 20-digit values."""
        if "f64" not in self._cache:
            with mpmath.workdps(20):
                points, weights, _ = self.at_precision()
                self._cache["f64"] = (np.array([[float(c) for c in p] for p in points]), np.array([float(w) for w in weights]))
        return self._cache["f64"]

    @property
    def prefix_length(self) -> int:
        return len(self.float64[1])


def minimal_size(name: str, m: int) -> int:
    """The smallest size of a rule: 3 points on S^1, 2 Gauss nodes on S^2, 1 cell per cube edge."""
    return 3 if (name, m) == ("gauss", 1) else (2 if name == "gauss" else 1)


def rule(name: str, m: int, size: int) -> QuadratureRule:
    """The rule ``name`` of the given size on S^m (InputError for unknown or too small ones)."""
    if name not in RULES or m not in (1, 2):
        raise InputError(f"--rule {name} is available for m = 1, 2 (choose {' | '.join(RULES)}); got m = {m}")
    if size < minimal_size(name, m):
        raise InputError(f"the {name} rule on S^{m} needs --size ≥ {minimal_size(name, m)}; got {size}")
    build = {("gauss", 1): _equispaced, ("gauss", 2): _gauss_product}.get((name, m), _partition)
    return QuadratureRule(name, m, size, lambda: build(m, size))


def rule_prefix_length(name: str, m: int, size: int) -> int:
    """The number of points of a rule, without building it."""
    if name == "gauss":
        return size if m == 1 else 2 * size * size
    return 2 * (m + 1) * size**m


def _equispaced(m: int, N: int) -> tuple[list, list, mpmath.mpf]:
    points = [[mpmath.cos(2 * mpmath.pi * i / N), mpmath.sin(2 * mpmath.pi * i / N)] for i in range(N)]
    return points, [2 * mpmath.pi / N] * N, 2 * mpmath.sin(mpmath.pi / (2 * N))


def gauss_legendre_mp(n: int) -> tuple[list, list]:
    """Gauss–Legendre nodes and weights on [−1, 1] at the current precision (Newton from numpy's nodes):
    P_n(z_j) = 0, ω_j = 2 / ((1 − z_j²) P_n'(z_j)²), P_n'(z) = n(z P_n(z) − P_(n−1)(z))/(z² − 1)."""
    start, _ = np.polynomial.legendre.leggauss(n)
    nodes, weights = [], []
    for z0 in start:
        z = mpmath.mpf(float(z0))
        for _ in range(100):
            p, q = mpmath.legendre(n, z), mpmath.legendre(n - 1, z)
            dp = n * (z * p - q) / (z * z - 1)
            step = p / dp
            z -= step
            if abs(step) < mpmath.eps * 4:
                break
        p, q = mpmath.legendre(n, z), mpmath.legendre(n - 1, z)
        dp = n * (z * p - q) / (z * z - 1)
        nodes.append(z)
        weights.append(2 / ((1 - z * z) * dp * dp))
    return nodes, weights


def band_edges(weights: list) -> list:
    """c_0 = −1, c_j = −1 + Σ_(k≤j) ω_k: the bands of the Gauss rule (c_n = 1 up to rounding)."""
    edges = [mpmath.mpf(-1)]
    for w in weights:
        edges.append(edges[-1] + w)
    return edges


def _gauss_product(m: int, n: int) -> tuple[list, list, mpmath.mpf]:
    z, omega = gauss_legendre_mp(n)
    edges = band_edges(omega)
    n_phi = 2 * n
    half = mpmath.pi / n_phi
    points, weights, h = [], [], mpmath.mpf(0)
    phis = [2 * mpmath.pi * (k + mpmath.mpf(1) / 2) / n_phi for k in range(n_phi)]
    circle = [(mpmath.cos(phi), mpmath.sin(phi)) for phi in phis]  # the same φ_k in every band: computed once
    for j in range(n):
        s = mpmath.sqrt(1 - z[j] ** 2)
        for c in (edges[j], edges[j + 1]):
            c = min(max(c, mpmath.mpf(-1)), mpmath.mpf(1))
            inner = z[j] * c + s * mpmath.sqrt(1 - c * c) * mpmath.cos(half)
            h = max(h, mpmath.sqrt(max(2 - 2 * inner, 0)))
        weight = omega[j] * 2 * mpmath.pi / n_phi
        for cos_phi, sin_phi in circle:
            points.append([s * cos_phi, s * sin_phi, z[j]])
            weights.append(weight)
    return points, weights, h


def _cell_area(m: int, lower: list, upper: list) -> mpmath.mpf:
    """σ of the projection of the face cell Π[lower_k, upper_k] (on a face at distance 1) to S^m."""
    if m == 1:
        return mpmath.atan(upper[0]) - mpmath.atan(lower[0])

    def corner(x, y):
        return mpmath.atan(x * y / mpmath.sqrt(1 + x * x + y * y))

    (a1, a2), (b1, b2) = lower, upper
    return corner(b1, b2) - corner(a1, b2) - corner(b1, a2) + corner(a1, a2)


def _partition(m: int, n: int) -> tuple[list, list, mpmath.mpf]:
    points, weights = [], []
    for axis in range(m + 1):
        for sign in (-1, 1):
            for cell in itertools.product(range(n), repeat=m):
                lower = [mpmath.mpf(-n + 2 * j) / n for j in cell]
                upper = [mpmath.mpf(-n + 2 * j + 2) / n for j in cell]
                centre = [(a + b) / 2 for a, b in zip(lower, upper)]
                x = centre[:axis] + [mpmath.mpf(sign)] + centre[axis:]
                norm = mpmath.norm(x)
                points.append([c / norm for c in x])
                weights.append(_cell_area(m, lower, upper))
    return points, weights, mpmath.sqrt(m) / n


CONSTANTS_BITS = 128  # precision of the balls of h, w_min and the rule's points and weights


def constants_arb(name: str, m: int, size: int) -> tuple[arb, arb]:
    """Balls containing the cell radius h and the smallest weight w_min of a rule, from the formulas above in
    python-flint ``arb`` (independent of the mpmath construction): S^1 gauss h = 2 sin(π/(2N)), w = 2π/N; S^2 gauss
    the Gauss–Legendre nodes and weights as balls (``arb.legendre_p_root``), the band edges c_j = −1 + Σ_(k≤j) ω_k
    (c_n = 1 exactly, as Σ ω_k = 2) and h the largest node-to-corner distance; partition h = √m/n and w_min the
    smallest cell area over the n^m cells of a face (every face has the same cells)."""
    with ctx.workprec(CONSTANTS_BITS):
        if (name, m) == ("gauss", 1):
            return 2 * (arb.pi() / (2 * size)).sin(), 2 * arb.pi() / size
        if name == "gauss":
            return _gauss_product_arb(size)
        return arb(m).sqrt() / size, functools.reduce(lambda a, b: a.min(b), (area for _, area in _face_cells_arb(m, size)))


def rule_balls(name: str, m: int, size: int) -> tuple[list[list[arb]], list[arb]]:
    """The rule's points p_i and weights w_i as balls containing the exact ones (same formulas as the mpmath
    construction, in ``arb`` at CONSTANTS_BITS): S^1 gauss (cos 2πi/N, sin 2πi/N), 2π/N; S^2 gauss
    (√(1−z_j²) cos φ_k, √(1−z_j²) sin φ_k, z_j), φ_k = 2π(k + ½)/n_φ, weights ω_j·2π/n_φ; partition the projected
    face-cell centres and the cells' exact areas. The points have norm 1 exactly (the balls contain unit vectors)."""
    with ctx.workprec(CONSTANTS_BITS):
        if (name, m) == ("gauss", 1):
            angles = [2 * arb.pi() * i / size for i in range(size)]
            return [[t.cos(), t.sin()] for t in angles], [2 * arb.pi() / size] * size
        if name == "gauss":
            z, omega = _legendre_arb(size)
            n_phi = 2 * size
            points, weights = [], []
            for z_j, w_j in zip(z, omega):
                s = (1 - z_j * z_j).sqrt()
                for k in range(n_phi):
                    phi = 2 * arb.pi() * (2 * k + 1) / (2 * n_phi)
                    points.append([s * phi.cos(), s * phi.sin(), z_j])
                    weights.append(w_j * 2 * arb.pi() / n_phi)
            return points, weights
        points, weights = [], []
        for axis in range(m + 1):
            for sign in (-1, 1):
                for (lower_, upper_), area in _face_cells_arb(m, size):
                    centre = [(a + b) / 2 for a, b in zip(lower_, upper_)]
                    x = centre[:axis] + [arb(sign)] + centre[axis:]
                    norm = sum((c * c for c in x), arb(0)).sqrt()
                    points.append([c / norm for c in x])
                    weights.append(area)
        return points, weights


def _face_cells_arb(m: int, size: int) -> list[tuple[tuple[list, list], arb]]:
    """((lower, upper), area) of the size^m cells of one cube face, in the order of ``_partition``; the area of the
    projection to S^m: m = 1 arctan b − arctan a, m = 2 the solid angle Σ ± arctan(xy/√(1+x²+y²)) over the corners."""
    side = [(arb(-size + 2 * j) / size, arb(-size + 2 * j + 2) / size) for j in range(size)]

    def corner(x, y):
        return (x * y / (1 + x * x + y * y).sqrt()).atan()

    cells = []
    for cell in itertools.product(side, repeat=m):
        lower_, upper_ = [a for a, _ in cell], [b for _, b in cell]
        if m == 1:
            area = upper_[0].atan() - lower_[0].atan()
        else:
            (a1, a2), (b1, b2) = lower_, upper_
            area = corner(b1, b2) - corner(a1, b2) - corner(b1, a2) + corner(a1, a2)
        cells.append(((lower_, upper_), area))
    return cells


def _legendre_arb(n: int) -> tuple[list[arb], list[arb]]:
    """Gauss–Legendre nodes z_j (increasing) and weights ω_j on [−1, 1] as balls (``arb.legendre_p_root``)."""
    roots = [arb.legendre_p_root(n, k, weight=True) for k in reversed(range(n))]
    return [r[0] for r in roots], [r[1] for r in roots]


def _gauss_product_arb(n: int) -> tuple[arb, arb]:
    """(h, w_min) of the S^2 Gauss rule with n nodes in cos θ and 2n sectors, as balls (see ``_gauss_product``)."""
    z, omega = _legendre_arb(n)
    edges = [arb(-1)]
    for w in omega[:-1]:
        edges.append(edges[-1] + w)
    edges.append(arb(1))
    cos_half = (arb.pi() / (2 * n)).cos()
    h = arb(0)
    for j in range(n):
        s = (1 - z[j] ** 2).sqrt()
        for c in (edges[j], edges[j + 1]):
            inner = z[j] * c + s * (1 - c * c).nonnegative_part().sqrt() * cos_half
            h = h.max((2 - 2 * inner).nonnegative_part().sqrt())
    w_min = functools.reduce(lambda a, b: a.min(b), omega) * 2 * arb.pi() / (2 * n)
    return h, w_min


def area_gap_arb(name: str, m: int, size: int) -> arb:
    """Σ w_i − σ(S^m) as a ball, from ``rule_balls``' weights (σ(S^1) = 2π, σ(S^2) = 4π)."""
    _, weights = rule_balls(name, m, size)
    with ctx.workprec(CONSTANTS_BITS):
        return functools.reduce(arb.__add__, weights, arb(0)) - (2 if m == 1 else 4) * arb.pi()


def separation_holds_arb(n: int) -> bool:
    """c_(j−1) < z_j < c_j for every j, proved in balls (the nodes and weights of ``arb.legendre_p_root``)."""
    with ctx.workprec(CONSTANTS_BITS):
        z, omega = _legendre_arb(n)
        edges = [arb(-1)]
        for w in omega:
            edges.append(edges[-1] + w)
        return all(edges[j] < z[j] < edges[j + 1] for j in range(n))


def exact_area_claim_value(rule_: QuadratureRule) -> mpmath.mpf:
    """|Σ w_i − σ(S^m)| at the current precision (σ(S^1) = 2π, σ(S^2) = 4π): the cells tile the sphere."""
    _, weights, _ = rule_.at_precision()
    area = 2 * mpmath.pi if rule_.m == 1 else 4 * mpmath.pi
    return abs(mpmath.fsum(weights) - area)


def separation_holds(n: int) -> bool:
    """Chebyshev–Markov–Stieltjes for the n-point Gauss–Legendre rule: c_(j−1) < z_j < c_j for every j."""
    z, omega = gauss_legendre_mp(n)
    edges = band_edges(omega)
    return all(edges[j] < z[j] < edges[j + 1] for j in range(n))
