"""A ball tree over points given as balls, with certified radii: the points near a query point, and a
proved lower bound of the distance from it to all the others.

Every node has a centre c (an exact point) and a radius R with ‖c − p‖ ≤ R for every point p of the node
and every number in p's balls, computed bottom-up in ball arithmetic:

    leaf:   R = max_i upper ‖c − p_i‖,      parent:   R = max_children upper(‖c − c_child‖ + R_child).

A query (q, cut), :func:`query_many` for many q at once in rigorous float intervals (``verifier.intervals``;
q and the points are interval vectors), tests the leaves: a leaf (centre c, radius R) whose ball lies certainly
beyond the cut, ‖q̄ − c‖ > cut + R + ρ_q (q̄ the midpoint of q, ρ_q its radius; decided in floats with a
proved margin, :func:`_beyond`), is left out whole (by the triangle inequality ‖q − p‖ ≥ ‖q − c‖ − R for
each of its points); each point p of the other leaves is left out by the same test with its own midpoint
and radius in place of (c, R). So every point not returned is farther than the cut from every point of q.
Floats only shape the tree (median splits of the float midpoints, node centres at float means); each radius
is ball arithmetic, each test a float comparison whose roundings the margin is proved to cover.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from flint import arb, ctx

from .ball import PRECISION_BITS, integer_power, upper
from .intervals import Intervals, up

LEAF_SIZE = 8


@dataclass(frozen=True)
class Node:
    """A ball {p : ‖p − centre‖ ≤ radius} holding the points ``members`` (all of the subtree's) and, unless it
    is a leaf, its ``children``."""

    centre: tuple[arb, ...]
    radius: arb
    members: tuple[int, ...]
    children: tuple["Node", ...]
    centre_f64: tuple[float, ...]  # the same centre and radius as floats
    radius_f64: float


def distance(a: Sequence[arb], b: Sequence[arb]) -> arb:
    """A ball containing ‖s − t‖ for every s, t in the balls a, b."""
    return functools.reduce(arb.__add__, (integer_power(u - v, 2) for u, v in zip(a, b))).sqrt()


@dataclass(frozen=True)
class BallTree:
    """The tree over ``points`` (lists of balls); see the module."""

    points: tuple
    root: Node

    @classmethod
    def build(cls, points: Sequence[Sequence[arb]]) -> "BallTree":
        points = tuple(tuple(p) for p in points)
        floats = np.array([[float(c.mid()) for c in p] for p in points])
        with ctx.workprec(PRECISION_BITS):
            return cls(points, _node(points, floats, np.arange(len(points))))

    @cached_property
    def leaves(self) -> "Leaves":
        return _leaves(self)


@dataclass(frozen=True)
class Leaves:
    """The tree's leaves as arrays: centres (exact floats), radii (floats ≥ R), members padded with −1 to LEAF_SIZE,
    and every point (rows of ``points``) as a float midpoint and a radius."""

    centres: np.ndarray
    radii: np.ndarray
    members: np.ndarray
    point_mids: np.ndarray  # the points' float midpoints
    point_radii: np.ndarray  # floats ≥ the distance from each midpoint to every number of the point's balls


def _leaves(tree: "BallTree") -> Leaves:
    nodes, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        if node.children:
            stack.extend(node.children)
        else:
            nodes.append(node)
    members = np.full((len(nodes), LEAF_SIZE), -1)
    for row, node in enumerate(nodes):
        members[row, :len(node.members)] = node.members
    with ctx.workprec(PRECISION_BITS):
        lo = np.array([[-upper(-v) for v in p] for p in tree.points])
        hi = np.array([[upper(v) for v in p] for p in tree.points])
    return Leaves(np.array([node.centre_f64 for node in nodes]), np.array([upper(node.radius) for node in nodes]),
                  members, *_radius(Intervals(lo, hi)))


MARGIN = 2.0 ** -40  # relative margin of the float distance tests: far above the few roundings they cover


def _radius(box: Intervals) -> tuple[np.ndarray, np.ndarray]:
    """(m̄, ρ) per row of the interval vectors ``box``: the float midpoints and a float ρ ≥ max ‖b − m̄‖ over b in
    the box (interval arithmetic)."""
    mid = (box.lo + box.hi) / 2
    half = Intervals(np.zeros_like(mid), up(np.maximum(box.hi - mid, mid - box.lo)))
    total = half[..., 0].square()
    for k in range(1, mid.shape[-1]):
        total = total + half[..., k].square()
    return mid, total.sqrt().hi


def _beyond(mid: np.ndarray, rho: np.ndarray, centres: np.ndarray, radii: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """True where every point within ρ of m̄ is proved farther than the cut from every point within R of c (arrays
    broadcast; vectors on the last axis): ‖m̄ − c‖ > cut + R + ρ, tested on plain floats as s·(1 − MARGIN) >
    T·(1 + MARGIN) with s = fl Σ_k (m̄_k − c_k)² and T = fl (cut + R + ρ)² (T > 2⁻⁹⁰⁰): every operation is correctly
    rounded, so s is within (1 + u)^(m+4) of ‖m̄ − c‖², T within (1 + u)^4 of its exact value and the two products
    within 1 + u, all far inside the margin (absolute errors of underflowing squares, ≤ (m+1)·2⁻¹⁰⁷⁴, far below
    MARGIN·T). Then ‖q − p‖ ≥ ‖m̄ − c‖ − ρ − R > cut (the triangle inequality)."""
    gap = mid - centres
    s = np.einsum("...k,...k->...", gap, gap)
    T = (cut + radii + rho) ** 2
    return (s * (1 - MARGIN) > T * (1 + MARGIN)) & (T > 2.0 ** -900)


def query_many(tree: "BallTree", centres: Intervals, cuts: np.ndarray, chunk: int = 256) -> list[np.ndarray]:
    """For each row q of ``centres`` (interval vectors) and its cut: the indices (sorted) of the points not proved
    beyond the cut from every point of q (module doc; the leaves' test, then the points of the leaves kept)."""
    leaves = tree.leaves
    cuts = np.asarray(cuts, dtype=float)
    out: list[np.ndarray] = []
    for start in range(0, len(cuts), chunk):
        q = centres[start:start + chunk]
        cut = cuts[start:start + chunk]
        mid, rho = _radius(q)
        rows, leaf = np.nonzero(~_beyond(mid[:, None, :], rho[:, None], leaves.centres[None], leaves.radii[None], cut[:, None]))
        rows, index = np.repeat(rows, LEAF_SIZE), leaves.members[leaf].ravel()
        rows, index = rows[index >= 0], index[index >= 0]
        near = ~_beyond(mid[rows], rho[rows], leaves.point_mids[index], leaves.point_radii[index], cut[rows])
        rows, index = rows[near], index[near]
        order = np.lexsort((index, rows))
        rows, index = rows[order], index[order]
        out.extend(np.split(index, np.searchsorted(rows, np.arange(1, len(cut)))))
    return out


def _node(points: tuple, floats: np.ndarray, index: np.ndarray) -> Node:
    """The subtree over points[index]: split at the median of the widest float coordinate."""
    centre = tuple(arb(float(v)) for v in floats[index].mean(axis=0))
    if len(index) <= LEAF_SIZE:
        radius = functools.reduce(arb.max, (distance(points[i], centre).upper() for i in index))
        return Node(centre, radius, tuple(int(i) for i in index), (), _floats(centre), float(radius))
    spread = floats[index].max(axis=0) - floats[index].min(axis=0)
    order = index[np.argsort(floats[index, int(np.argmax(spread))], kind="stable")]
    half = len(order) // 2
    children = (_node(points, floats, order[:half]), _node(points, floats, order[half:]))
    radius = functools.reduce(arb.max, ((distance(child.centre, centre) + child.radius).upper() for child in children))
    return Node(centre, radius, tuple(int(i) for i in index), children, _floats(centre), float(radius))


def _floats(balls) -> tuple[float, ...]:
    return tuple(float(v) for v in balls)
