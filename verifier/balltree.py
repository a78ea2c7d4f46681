"""A ball tree over points given as balls, with certified radii: the points near a query point, and a
proved lower bound of the distance from it to all the others.

Every node has a centre c (an exact point) and a radius R with ‖c − p‖ ≤ R for every point p of the node
and every number in p's balls, computed bottom-up in ball arithmetic:

    leaf:   R = max_i upper ‖c − p_i‖,      parent:   R = max_children upper(‖c − c_child‖ + R_child).

A query (q, cut), :func:`query_many` for many q at once in rigorous float intervals (``verifier.intervals``;
q and the points are interval vectors), tests the leaves: a leaf (centre c, radius R) whose ball lies certainly
beyond the cut, lower(‖q − c‖²) > upper((cut + R)²), is left out whole (by the triangle inequality
‖q − p‖ ≥ ‖q − c‖ − R for each of its points); each point p of the other leaves is left out when
lower(‖q − p‖²) > upper(cut²). So every point not returned is farther than the cut from every point of q.
Floats only shape the tree (median splits of the float midpoints, node centres at float means); each radius
is ball arithmetic, each test interval arithmetic.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np
from flint import arb, ctx

from .ball import PRECISION_BITS, integer_power, upper
from .intervals import Intervals, down, up

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
    and every point as a float interval (rows of ``points``)."""

    centres: np.ndarray
    radii: np.ndarray
    members: np.ndarray
    points: Intervals


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
                  members, Intervals(lo, hi))


def _squared_gap_lower(q: Intervals, c: Intervals) -> np.ndarray:
    """A float ≤ ‖s − t‖² for every s in q and t in c (broadcast over leading axes, summed over the last)."""
    total = None
    for k in range(q.lo.shape[-1]):
        d = (q[..., k] - c[..., k]).square().lo
        total = d if total is None else down(total + d)
    return total


def query_many(tree: "BallTree", centres: Intervals, cuts: np.ndarray, chunk: int = 256) -> list[np.ndarray]:
    """For each row q of ``centres`` (interval vectors) and its cut: the indices (sorted) of the points not proved
    beyond the cut from every point of q (module doc; the leaves' test, then the points of the leaves kept)."""
    leaves = tree.leaves
    cuts = np.asarray(cuts, dtype=float)
    out: list[np.ndarray] = []
    for start in range(0, len(cuts), chunk):
        q = centres[start:start + chunk]
        cut = cuts[start:start + chunk]
        reach = up(cut[:, None] + leaves.radii[None, :])
        kept = _squared_gap_lower(Intervals(q.lo[:, None, :], q.hi[:, None, :]), Intervals.point(leaves.centres[None])) \
            <= up(reach * reach)
        rows, leaf = np.nonzero(kept)
        rows, index = np.repeat(rows, LEAF_SIZE), leaves.members[leaf].ravel()
        rows, index = rows[index >= 0], index[index >= 0]
        gap = _squared_gap_lower(q[rows], leaves.points[index])
        rows, index = rows[gap <= up(cut[rows] * cut[rows])], index[gap <= up(cut[rows] * cut[rows])]
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
