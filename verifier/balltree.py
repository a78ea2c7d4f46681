"""A ball tree over points given as balls, with certified radii: the points near a query point, and a
proved lower bound of the distance from it to all the others.

Every node has a centre c (an exact point) and a radius R with ‖c − p‖ ≤ R for every point p of the node
and every number in p's balls, computed bottom-up in ball arithmetic:

    leaf:   R = max_i upper ‖c − p_i‖,      parent:   R = max_children upper(‖c − c_child‖ + R_child).

A query (q, cut) walks down from the root; a node whose ball lies certainly beyond the cut,
lower(‖q − c‖ − R) > cut, is left out whole (by the triangle inequality ‖q − p‖ ≥ ‖q − c‖ − R for each
of its points), every other leaf gives its points. So every point not returned is at distance at
least D = min over the nodes left out of lower(‖q − c‖ − R) > cut from every point of the balls q.
Floats only shape the tree (median splits of the float midpoints, node centres at float means);
each bound is ball arithmetic.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
from flint import arb, arb_mat, ctx

from .ball import PRECISION_BITS, integer_power

LEAF_SIZE = 8
ZERO = arb(0)


@dataclass(frozen=True)
class Node:
    """A ball {p : ‖p − centre‖ ≤ radius} holding the points ``members`` (all of the subtree's) and, unless it
    is a leaf, its ``children``."""

    centre: tuple[arb, ...]
    radius: arb
    members: tuple[int, ...]
    children: tuple["Node", ...]
    centre_f64: tuple[float, ...]  # the same centre and radius as floats: for choosing which test to run
    radius_f64: float
    block: Optional[arb_mat] = None  # a leaf's points as rows, so that one product gives every ⟨q, p⟩
    squares: tuple[arb, ...] = ()  # a leaf's ‖p‖²


def distance(a: Sequence[arb], b: Sequence[arb]) -> arb:
    """A ball containing ‖s − t‖ for every s, t in the balls a, b."""
    return functools.reduce(arb.__add__, (integer_power(u - v, 2) for u, v in zip(a, b))).sqrt()


def _squared_distance(a: Sequence[arb], b: Sequence[arb]) -> arb:
    """A ball containing ‖s − t‖² for every s, t in the balls a, b (its lower end may reach below 0 where
    the balls meet; that only keeps a node in)."""
    out = arb(0)
    for u, v in zip(a, b):
        d = u - v
        out += d * d
    return out


@dataclass(frozen=True)
class BallTree:
    """The tree over ``points`` (lists of balls); see the module."""

    points: tuple
    floats: tuple  # the points' float midpoints, to choose which tests to run
    root: Node

    @classmethod
    def build(cls, points: Sequence[Sequence[arb]]) -> "BallTree":
        points = tuple(tuple(p) for p in points)
        floats = np.array([[float(c.mid()) for c in p] for p in points])
        with ctx.workprec(PRECISION_BITS):
            return cls(points, tuple(map(tuple, floats.tolist())), _node(points, floats, np.arange(len(points))))

    def query(self, q: Sequence[arb], cut: float) -> list[int]:
        """The indices (sorted) of the points not certainly beyond ``cut`` from q: every other point p has
        ‖x − p‖ > cut for every x in the balls q, proved as ‖q − c‖² > (cut + R)² for a node, ‖q − p‖² > cut²
        for a point of a leaf as ‖q‖² + ‖p‖² − 2⟨q, p⟩ with the leaf's ⟨q, p⟩ from one arb_mat product (no
        square root). Floats choose: a node or point that floats place clearly
        within the cut is kept without a test (keeping is always sound), the others are tested in balls."""
        inside: list[int] = []
        q_f64 = [float(v.mid()) for v in q]
        keep = (1 - 1e-6) * cut  # below this in floats: clearly within the cut, no proof needed
        with ctx.workprec(PRECISION_BITS):
            cut_ball = arb(cut)
            cut_squared = cut_ball * cut_ball
            column = arb_mat([[v] for v in q])
            q_squared = _squared_distance(q, [ZERO] * len(q))
            stack = [self.root]
            while stack:
                node = stack.pop()
                gap = math.dist(q_f64, node.centre_f64)
                if gap + node.radius_f64 <= keep:  # the whole node clearly within the cut: kept untested
                    inside.extend(node.members)
                    continue
                if gap > (1 - 1e-6) * (cut + node.radius_f64):
                    reach = cut_ball + node.radius
                    if _squared_distance(q, node.centre) > reach * reach:
                        continue
                if node.children:
                    stack.extend(node.children)
                    continue
                dots = None
                for k, i in enumerate(node.members):
                    if math.dist(q_f64, self.floats[i]) > keep:
                        dots = node.block * column if dots is None else dots
                        if q_squared + node.squares[k] - 2 * dots[k, 0] > cut_squared:
                            continue
                    inside.append(i)
        return sorted(inside)


def _node(points: tuple, floats: np.ndarray, index: np.ndarray) -> Node:
    """The subtree over points[index]: split at the median of the widest float coordinate."""
    centre = tuple(arb(float(v)) for v in floats[index].mean(axis=0))
    if len(index) <= LEAF_SIZE:
        radius = functools.reduce(arb.max, (distance(points[i], centre).upper() for i in index))
        members = [points[i] for i in index]
        return Node(centre, radius, tuple(int(i) for i in index), (), _floats(centre), float(radius),
                    arb_mat([list(p) for p in members]), tuple(_squared_distance(p, [ZERO] * len(p)) for p in members))
    spread = floats[index].max(axis=0) - floats[index].min(axis=0)
    order = index[np.argsort(floats[index, int(np.argmax(spread))], kind="stable")]
    half = len(order) // 2
    children = (_node(points, floats, order[:half]), _node(points, floats, order[half:]))
    radius = functools.reduce(arb.max, ((distance(child.centre, centre) + child.radius).upper() for child in children))
    return Node(centre, radius, tuple(int(i) for i in index), children, _floats(centre), float(radius))


def _floats(balls) -> tuple[float, ...]:
    return tuple(float(v) for v in balls)
