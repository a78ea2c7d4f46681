"""E2's cell enclosure by groups of tokens: a tree of spherical caps over the prefix, opened per cell (Barnes–Hut).

E2's prefix is long (N = 39 762 tokens at m = 2, ε = 0.3) and the kernel is wide against the rule's spacing, so a cell
of the branch and bound sees thousands of tokens with a non-negligible weight. Here tokens enter in groups G, each a
node of a binary tree over the points with

    a cap: a unit centre ĉ_G and an angle r_G ≥ ∠(ĉ_G, p_i) for i ∈ G   (a parent's r_G = max over its children of
           ∠(ĉ_G, ĉ_child) + r_child, by the triangle inequality of angles; a token is a leaf with r = 0),
    a mass M_G = Σ_(i∈G) e^(β_i − β̄)   (β̄ an exact point ≥ every bias β_i),
    a value hull [lo_Gj, hi_Gj] ∋ v_ij for i ∈ G and every component j.

For x in a face cell C of centre ĉ and angular radius ρ, every p ∈ G has ⟨x, p⟩ ∈ [cos_lo, cos_hi] =
``verifier.cells.angle_range(ĉ, ρ + r_G, ĉ_G)``, so with the scores s_i = κ⟨x, p_i⟩ + β_i and any shift σ

    W_G(x) = Σ_(i∈G) e^(s_i − σ) ∈ [M_G e^(κ cos_lo + β̄ − σ), M_G e^(κ cos_hi + β̄ − σ)],
    Σ_(i∈G) e^(s_i − σ)(v_ij − f_j(x)) = W_G(x)·(ū_Gj − f_j(x)),   ū_Gj ∈ [lo_Gj, hi_Gj] (a convex combination),

and H(x) − f(x) = Σ_G W_G (ū_G − f) + c·(0 − f) over Σ_G W_G + c, c = T e^(2 − σ) (T content tokens of score 2 and
value 0). So each component of H − f lies in the ratio range of these items (``proofs.h0.enclosure.ratio_range``: weights
in boxes, values in intervals, f_j(x) in its ball F_j over the cell), and

    ‖H − Q_f/Q_1‖ = c/(Σ_G W_G + c)·‖Q_f/Q_1‖ ≤ c/(Σ_G M_G e^(κ cos_lo + β̄ − σ) + c)·‖(max_i |v_ij|)_j‖

(Q_f/Q_1 is a convex combination of the v_i). Any set of nodes that partitions the tokens gives a valid bound; which
nodes are used is a choice made in floats: a node is opened unless r_G ≤ γ·(its float distance from the cell, at least
ρ) — caps small against their distance — so near tokens enter one by one and far ones in a few large groups.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, acos
from verifier.bounds import norm_ball
from verifier.cells import FaceCell, angle_range

from proofs.h0.enclosure import PrefixBalls, ratio_range

OPENING = 0.5  # γ: a group is used as one item when r_G ≤ γ·distance (the Barnes–Hut opening angle)
INF = arb("inf")


@dataclass(frozen=True)
class Node:
    """A group of tokens (module doc): cap centre (balls ∋ a unit vector) and angle r (an exact point), mass, value hull."""

    centre: tuple
    centre_f64: np.ndarray
    radius: arb
    radius_f64: float
    mass: arb
    lo: tuple  # per component, exact points
    hi: tuple
    children: tuple = ()


@dataclass(frozen=True)
class GroupedPrefix:
    """The prefix's token tree, λ = κ, β̄, T and the bound ‖(max_i |v_ij|)_j‖ of ‖Q_f/Q_1‖."""

    root: Node
    lam: arb
    bias_bound: arb
    context: int
    value_norm: arb

    @classmethod
    def of(cls, prefix: PrefixBalls) -> "GroupedPrefix":
        with ctx.workprec(PRECISION_BITS):
            bias_bound = prefix.bias_bound
            leaves = [_leaf(p, f, (b - bias_bound).exp(), v) for p, f, b, v in
                      zip(prefix.points, prefix.points_f64, prefix.biases, prefix.values)]
            root = _build(leaves, prefix.points_f64, np.arange(len(leaves)))
            value_norm = norm_ball([abs(lo).max(abs(hi)) for lo, hi in zip(root.lo, root.hi)])
            return cls(root, prefix.lam, bias_bound, prefix.context, value_norm)


def _leaf(point: list, point_f64: np.ndarray, mass: arb, values: list) -> Node:
    return Node(tuple(point), point_f64, arb(0), 0.0, mass, tuple(v.lower() for v in values), tuple(v.upper() for v in values))


def _build(leaves: list, floats: np.ndarray, index: np.ndarray) -> Node:
    """The tree over leaves[index]: split at the median of the widest float coordinate (a choice; the caps are proved)."""
    if len(index) == 1:
        return leaves[int(index[0])]
    coords = floats[index]
    axis = int(np.argmax(coords.max(axis=0) - coords.min(axis=0)))
    order = index[np.argsort(coords[:, axis], kind="stable")]
    half = len(order) // 2
    children = (_build(leaves, floats, order[:half]), _build(leaves, floats, order[half:]))
    return _parent(children)


def _parent(children: tuple) -> Node:
    mean = sum(float(c.mass.mid()) * c.centre_f64 for c in children)
    direction = mean / np.linalg.norm(mean) if np.linalg.norm(mean) > 0 else children[0].centre_f64
    norm = sum((arb(float(v)) ** 2 for v in direction), arb(0)).sqrt()
    centre = tuple(arb(float(v)) / norm for v in direction)
    radius = functools.reduce(arb.max, ((acos(_dot(centre, c.centre)) + c.radius).upper() for c in children))
    return Node(centre, np.asarray(direction, dtype=float), radius, float(radius), children[0].mass + children[1].mass,
                tuple(a.min(b) for a, b in zip(children[0].lo, children[1].lo)),
                tuple(a.max(b) for a, b in zip(children[0].hi, children[1].hi)), children)


def _dot(a: Sequence[arb], b: Sequence[arb]) -> arb:
    return functools.reduce(arb.__add__, (u * v for u, v in zip(a, b)))


def items(tree: GroupedPrefix, cell: FaceCell, opening: float = OPENING) -> list[Node]:
    """The nodes used for ``cell``: from the root, a node is kept when it is a leaf or r_G ≤ γ·max(ρ, d), d the float
    angle from the cell's centre to the cap minus ρ and r_G; else its children are examined (a partition of the tokens)."""
    centre = cell.centre_f64
    rho = float(cell.rho)
    out, stack = [], [tree.root]
    while stack:
        node = stack.pop()
        theta = math.acos(max(-1.0, min(1.0, float(np.dot(centre, node.centre_f64)))))
        if not node.children or node.radius_f64 <= opening * max(rho, theta - rho - node.radius_f64):
            out.append(node)
        else:
            stack.extend(node.children)
    return out


def enclose(tree: GroupedPrefix, cell: FaceCell, target: Sequence[Callable], opening: float = OPENING) -> tuple[arb, arb]:
    """Upper bounds (exact points, +inf where not finite) of sup over the cell of ‖H − f‖ and ‖H − Q_f/Q_1‖ (module doc)."""
    with ctx.workprec(PRECISION_BITS):
        centre, _, rho = cell.geometry
        F = [f(cell.enclosure) for f in target]
        if not all(v.is_finite() for v in F):
            return INF, INF
        nodes = items(tree, cell, opening)
        ranges = [angle_range(centre, rho + node.radius, node.centre) for node in nodes]
        lam, bias = tree.lam, tree.bias_bound
        shift = functools.reduce(arb.max, (lam * lo for lo, _ in ranges)).lower() + bias
        w_lo = [(node.mass * (lam * lo + bias - shift).exp()).lower() for node, (lo, _) in zip(nodes, ranges)]
        w_hi = [(node.mass * (lam * hi + bias - shift).exp()).upper() for node, (_, hi) in zip(nodes, ranges)]
        content = tree.context * (2 - shift).exp()
        if not (all(w.is_finite() for w in w_hi) and content.is_finite()):
            return INF, INF
        parts = []
        for j, f in enumerate(F):
            lo = [node.lo[j] - f for node in nodes] + [-f]
            hi = [node.hi[j] - f for node in nodes] + [-f]
            parts.append(ratio_range(w_lo + [content], w_hi + [content], lo, hi))
        error = norm_ball([abs(a).max(abs(b)) for a, b in parts])
        c_hi = content.upper()
        leak = c_hi / (functools.reduce(arb.__add__, w_lo, arb(0)) + c_hi) * tree.value_norm
        return tuple(v.upper() if v.is_finite() else INF for v in (error, leak))


def bounds(tree: GroupedPrefix, target: Sequence[Callable], opening: float = OPENING) -> Callable[[FaceCell], tuple]:
    """The branch and bound's quantities on a cell: (‖H − f‖, ‖H − Q_f/Q_1‖, their sum ≥ ‖Q_f/Q_1 − f‖)."""
    def quantities(cell: FaceCell) -> tuple[arb, arb, arb]:
        error, leak = enclose(tree, cell, target, opening)
        return error, leak, (error + leak).upper() if (error + leak).is_finite() else INF
    return quantities

