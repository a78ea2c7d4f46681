"""E2's cell enclosure by groups of tokens: a tree of spherical caps over the prefix, opened per cell (Barnes–Hut).

E2's prefix is long (N = 39 762 tokens at m = 2, ε = 0.3) and the kernel is wide against the rule's spacing, so a cell
of the branch and bound sees thousands of tokens with a non-negligible weight. Here tokens enter in groups G, each a
node of a binary tree over the points with

    a cap: a unit centre ĉ_G and an angle r_G ≥ ∠(ĉ_G, p_i) for i ∈ G   (held as cos r_G: a parent's cos r_G is the
           least of cos(∠(ĉ_G, ĉ_child) + r_child) over its children, by the triangle inequality of angles; a token is
           a leaf with r = 0),
    a mass M_G = Σ_(i∈G) e^(β_i − β̄)   (β̄ an exact point ≥ every bias β_i),
    a value hull [lo_Gj, hi_Gj] ∋ v_ij for i ∈ G and every component j.

For x in a face cell C of centre ĉ and angular radius ρ, every p ∈ G has ⟨x, p⟩ ∈ [cos_lo, cos_hi] with
cos_lo = cos(min(π, θ + ρ + r_G)) and cos_hi = cos(max(0, θ − ρ − r_G)), θ = ∠(ĉ, ĉ_G), so with the scores s_i = κ⟨x, p_i⟩ + β_i and any shift σ

    W_G(x) = Σ_(i∈G) e^(s_i − σ) ∈ [M_G e^(κ cos_lo + β̄ − σ), M_G e^(κ cos_hi + β̄ − σ)],
    Σ_(i∈G) e^(s_i − σ)(v_ij − f_j(x)) = W_G(x)·(ū_Gj − f_j(x)),   ū_Gj ∈ [lo_Gj, hi_Gj] (a convex combination),

and H(x) − f(x) = Σ_G W_G (ū_G − f) + c·(0 − f) over Σ_G W_G + c, c = T e^(2 − σ) (T content tokens of score 2 and
value 0). So each component of H − f lies in the ratio range of these items (``proofs.h0.enclosure.ratio_range_many``:
weights in boxes, values in intervals, f_j(x) in its ball F_j over the cell), and

    ‖H − Q_f/Q_1‖ = c/(Σ_G W_G + c)·‖Q_f/Q_1‖ ≤ c/(Σ_G M_G e^(κ cos_lo + β̄ − σ) + c)·‖(max_i |v_ij|)_j‖

(Q_f/Q_1 is a convex combination of the v_i). Any set of nodes that partitions the tokens gives a valid bound; which
nodes are used is a choice made in floats: a node is opened unless r_G ≤ γ·(its float distance from the cell, at least
ρ) — caps small against their distance — so near tokens enter one by one and far ones in a few large groups.

Many cells are enclosed at once (:func:`enclose_many`), in rigorous float64 interval arithmetic on numpy arrays
(``verifier.intervals``: every operation rounded outward, exp from IEEE operations with its error bounded), one row
per cell and one column per item: the cells' geometry is ``verifier.cells.FaceGeometry`` (centre ĉ, cos ρ̄ ≤ cos ρ);
a cap's angle enters as a float cos r̄_G ≤ cos r_G (and sin r̄_G above), so ⟨ĉ, p⟩ for p in the cap lies in
[cos(min(π, θ + r̄_G)), cos(max(0, θ − r̄_G))], θ = ∠(ĉ, ĉ_G), written with ⟨ĉ, ĉ_G⟩, cos r̄_G and sin r̄_G alone, and
FaceGeometry's cos_lower/cos_upper widen that by the cell's ρ̄ (∠(x, p) ≤ ∠(x, ĉ) + ∠(ĉ, p)). The target's balls F_j on
the cell's box and the leak (which may lie far below the float range: e^{−κ(1−h²/2)} with κ in the thousands) are arb
balls; floats without a rounding bound only choose the items, the shift σ and where the ratio range tries a threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, interval, lower, upper
from verifier.bounds import norm_ball
from verifier.cells import FaceCell, FaceGeometry
from verifier.intervals import Intervals, down, dot, sum_lower, up

from proofs.h0.enclosure import PrefixBalls, norm_upper, ratio_range_many

OPENING = 0.5  # γ: a group is used as one item when r_G ≤ γ·distance (the Barnes–Hut opening angle)
TOKEN_BY_TOKEN = 2048  # prefixes up to this length enter token by token (no groups; see chosen_rows)
GROUP_ELEMENTS = 1 << 17  # cells × items enclosed in one set of arrays
INF = arb("inf")


@dataclass(frozen=True)
class Table:
    """The tree's nodes, one row per node (the N tokens first, then the groups, children before parents), as float ends:
    the cap centre's enclosure (intervals ∋ a unit vector ĉ_G), cos r̄_G (every token p of the node has ⟨ĉ_G, p⟩ ≥ cos r̄_G,
    i.e. lies within the angle r̄_G) and sin r̄_G above, the mass M_G and the value hull; for the choice of items only,
    the float centres and angles r̄_G, and the children's rows (−1: a token)."""

    centres: Intervals  # (rows, m+1)
    cos_radius: np.ndarray
    sin_radius: np.ndarray
    mass: Intervals
    values: Intervals  # (rows, d)
    centres_f64: np.ndarray
    radius_f64: np.ndarray
    children: np.ndarray  # (rows, 2)

    def leaves(self, row: int) -> list[int]:
        """The tokens (rows < N) under ``row``."""
        if self.children[row, 0] < 0:
            return [row]
        return [leaf for child in self.children[row] for leaf in self.leaves(int(child))]


@dataclass(frozen=True)
class GroupedPrefix:
    """The prefix's token tree (:class:`Table`, ``root`` its row), λ = κ, β̄, T and the bound ‖(max_i |v_ij|)_j‖ of
    ‖Q_f/Q_1‖."""

    table: Table
    root: int
    lam: arb
    bias_bound: arb
    context: int
    value_norm: arb

    @classmethod
    def of(cls, prefix: PrefixBalls) -> "GroupedPrefix":
        if prefix.per_token:  # E2's prefix has one κ; the caps' weight bounds below use one scale for every token
            raise ValueError("the grouped enclosure takes one scale λ for every token (PrefixBalls.per_token is set)")
        with ctx.workprec(PRECISION_BITS):
            bias_bound = prefix.bias_bound
            biases = _ends([[b] for b in prefix.biases])[:, 0]
            mass = (biases - Intervals(np.array([lower(bias_bound)]), np.array([upper(bias_bound)]))).exp()
            table = _table(_ends(prefix.points), prefix.points_f64, mass, _ends(prefix.values))
            value_norm = norm_ball([arb(max(abs(lo), abs(hi))) for lo, hi in zip(table.values.lo[-1], table.values.hi[-1])])
            return cls(table, len(table.cos_radius) - 1, prefix.lam, bias_bound, prefix.context, value_norm)


def _ends(balls: Sequence[Sequence[arb]]) -> Intervals:
    """Float intervals ⊇ the balls (rows of balls): [down(down(m̃) − r̃), up(up(m̃) + r̃)] with m̃ the float of the
    midpoint (within one ulp: the midpoint lies in [down(m̃), up(m̃)]) and r̃ = up(float of the radius) ≥ the radius."""
    mid = np.array([[float(b.mid()) for b in row] for row in balls])
    rad = up(np.array([[float(b.rad()) for b in row] for row in balls]))
    return Intervals(down(down(mid) - rad), up(up(mid) + rad))


def _table(points: Intervals, floats: np.ndarray, mass: Intervals, values: Intervals) -> Table:
    """The tree over the tokens: median splits of the widest float coordinate (a choice), then the groups' caps, masses
    and hulls bottom up, all groups of one height at once: ĉ_G = D/‖D‖ for the float D = Σ_children mid(M)·ĉ_child
    (a choice; the interval division encloses the unit vector), cos r̄_G = min over the children of the cosine bound of
    their caps seen from ĉ_G (:func:`_cos_lower`: a token within r̄_child of ĉ_child is within r̄_G of ĉ_G), M_G the sum
    of the children's masses and the hull their union."""
    N = len(floats)
    children: list[tuple[int, int]] = []
    height = [0] * N

    def build(index: np.ndarray) -> int:
        if len(index) == 1:
            return int(index[0])
        coords = floats[index]
        axis = int(np.argmax(coords.max(axis=0) - coords.min(axis=0)))
        order = index[np.argsort(coords[:, axis], kind="stable")]
        left, right = build(order[: len(order) // 2]), build(order[len(order) // 2:])
        children.append((left, right))
        height.append(1 + max(height[left], height[right]))
        return N + len(children) - 1

    build(np.arange(N))
    rows = N + len(children)
    kids = np.vstack([np.full((N, 2), -1, dtype=np.int64), np.array(children, dtype=np.int64).reshape(-1, 2)])
    grow = lambda a, fill: np.vstack([a, np.full((rows - N, a.shape[1]), fill)])  # noqa: E731
    centres = Intervals(grow(points.lo, 0.0), grow(points.hi, 0.0))
    centres_f64 = grow(floats, 0.0)
    cos_radius, sin_radius = np.concatenate([np.ones(N), np.zeros(rows - N)]), np.zeros(rows)
    mass = Intervals(np.concatenate([mass.lo, np.zeros(rows - N)]), np.concatenate([mass.hi, np.zeros(rows - N)]))
    values = Intervals(grow(values.lo, 0.0), grow(values.hi, 0.0))
    height = np.array(height)
    for h in range(1, int(height.max(initial=0)) + 1):
        row = np.flatnonzero(height == h)
        a, b = kids[row, 0], kids[row, 1]
        mass.lo[row], mass.hi[row] = down(mass.lo[a] + mass.lo[b]), up(mass.hi[a] + mass.hi[b])
        D = ((mass.lo[a] + mass.hi[a]) / 2)[:, None] * centres_f64[a] + ((mass.lo[b] + mass.hi[b]) / 2)[:, None] * centres_f64[b]
        length = np.linalg.norm(D, axis=1)
        D = np.where(length[:, None] > 0, D, centres_f64[a])
        point = Intervals.point(D)
        norm = dot(point, point).sqrt()
        centre = point / Intervals(norm.lo[:, None], norm.hi[:, None])
        centres.lo[row], centres.hi[row] = centre.lo, centre.hi
        centres_f64[row] = D / np.linalg.norm(D, axis=1, keepdims=True)
        bounds = [_cos_lower(dot(centre, centres[k]).lo, cos_radius[k], sin_radius[k]) for k in (a, b)]
        cos_radius[row] = np.minimum(*bounds)
        sin_radius[row] = _sine_upper(cos_radius[row])
        values.lo[row], values.hi[row] = np.minimum(values.lo[a], values.lo[b]), np.maximum(values.hi[a], values.hi[b])
    return Table(centres, cos_radius, sin_radius, mass, values, centres_f64, np.arccos(cos_radius), kids)


def items(tree: GroupedPrefix, centre: Sequence[float], rho: float, opening: float = OPENING) -> list[int]:
    """The rows of the nodes used for one cell (:func:`chosen_rows`)."""
    return [int(k) for k in chosen_rows(tree, np.array([centre], dtype=float), np.array([rho]), opening)[0]]


def chosen_rows(tree: GroupedPrefix, centres: np.ndarray, rho: np.ndarray, opening: float = OPENING) -> list[np.ndarray]:
    """Per cell (float centre, angular radius ρ), the rows of the nodes used: from the root, a node is kept when it is a
    leaf or r_G ≤ γ·max(ρ, d), d the float angle from the cell's centre to the cap minus ρ and r_G; else its children are
    examined (a partition of the tokens). All cells descend together, one tree level per step.

    A prefix of at most TOKEN_BY_TOKEN tokens enters token by token on every cell: such short prefixes have tokens far
    apart against the kernel's width 1/√κ, and a group's weight box (e^{κ⟨x, p⟩} over its cap, a factor e^{κ·2 sin θ·r_G}
    wide) next to the dominant tokens keeps the bound above the error however small the cells (m = 2, ε = 0.2,
    N = 242: 0.203 at 80 000 cells against a sampled sup of 0.134)."""
    T = tree.table
    tokens = int(np.sum(T.children[:, 0] < 0))
    if tokens <= TOKEN_BY_TOKEN:
        return [np.arange(tokens) for _ in range(len(centres))]
    cell, node = np.arange(len(centres)), np.full(len(centres), tree.root)
    kept_cell, kept_node = [], []
    while len(cell):
        theta = np.arccos(np.clip(np.einsum("ij,ij->i", centres[cell], T.centres_f64[node]), -1.0, 1.0))
        r = T.radius_f64[node]
        keep = (T.children[node, 0] < 0) | (r <= opening * np.maximum(rho[cell], theta - rho[cell] - r))
        kept_cell.append(cell[keep])
        kept_node.append(node[keep])
        cell, node = np.repeat(cell[~keep], 2), T.children[node[~keep]].ravel()
    cells, nodes = np.concatenate(kept_cell), np.concatenate(kept_node)
    order = np.argsort(cells, kind="stable")
    return np.split(nodes[order], np.searchsorted(cells[order], np.arange(1, len(centres))))


def enclose(tree: GroupedPrefix, cell: FaceCell, target: Sequence[Callable], opening: float = OPENING) -> tuple[arb, arb]:
    """Upper bounds (exact points, +inf where not finite) of sup over the cell of ‖H − f‖ and ‖H − Q_f/Q_1‖:
    :func:`enclose_many` of one cell."""
    return enclose_many(tree, [cell], target, opening)[0]


def enclose_many(tree: GroupedPrefix, cells: Sequence[FaceCell], target: Sequence[Callable],
                 opening: float = OPENING) -> list[tuple[arb, arb]]:
    """For each cell, upper bounds (exact points, +inf where not finite) of sup over the cell of ‖H − f‖ and
    ‖H − Q_f/Q_1‖ (module doc), the cells in groups of at most GROUP_ELEMENTS cells × items."""
    if not cells:
        return []
    geometry = FaceGeometry.of(cells)
    chosen = chosen_rows(tree, geometry.centres_f64, np.arccos(geometry.cos_rho), opening)
    out: list = []
    start = 0
    while start < len(cells):
        stop, width = start + 1, len(chosen[start])
        while stop < len(cells) and (stop - start + 1) * max(width, len(chosen[stop])) <= GROUP_ELEMENTS:
            width = max(width, len(chosen[stop]))
            stop += 1
        out.extend(_enclose_group(tree, geometry, cells, list(range(start, stop)), chosen[start:stop], target))
        start = stop
    return out


def _enclose_group(tree: GroupedPrefix, geometry: FaceGeometry, cells: Sequence[FaceCell], rows: list[int],
                   chosen: list[list[int]], target: Sequence[Callable]) -> list[tuple[arb, arb]]:
    """The bounds of the cells ``rows`` with their items ``chosen`` (node rows), padded to one width with weight 0."""
    T = tree.table
    G, K = len(rows), max(len(c) for c in chosen)
    idx, valid = np.zeros((G, K), dtype=np.int64), np.zeros((G, K), dtype=bool)
    for g, c in enumerate(chosen):
        idx[g, :len(c)], valid[g, :len(c)] = c, True
    sub = FaceGeometry(geometry.centres[rows], geometry.cos_rho[rows], geometry.sin_rho[rows], geometry.boxes[rows],
                       geometry.centres_f64[rows])
    inner = dot(Intervals(sub.centres.lo[:, None, :], sub.centres.hi[:, None, :]), T.centres[idx])  # ⟨ĉ, ĉ_G⟩
    cap_lo = _cos_lower(inner.lo, T.cos_radius[idx], T.sin_radius[idx])  # ≤ ⟨ĉ, p⟩ for p in the cap
    cap_hi = _cos_upper(inner.hi, T.cos_radius[idx], T.sin_radius[idx])
    cos_lo, cos_hi = sub.cos_lower(cap_lo), sub.cos_upper(cap_hi)  # ≤ ⟨x, p⟩ ≤ for x in the cell
    lam = Intervals(np.array([lower(tree.lam)]), np.array([upper(tree.lam)]))
    bias = Intervals(np.array([lower(tree.bias_bound)]), np.array([upper(tree.bias_bound)]))
    shift = np.max(np.where(valid, float(tree.lam.mid()) * cos_lo, -np.inf), axis=1) + float(tree.bias_bound.mid())
    scores = Intervals(cos_lo, cos_hi) * lam + bias - Intervals.point(shift[:, None])
    with np.errstate(over="ignore"):  # e^score past the float range on a wide cell: +inf, the cell is then split
        weights = T.mass[idx] * scores.exp()
    w_lo, w_hi = np.where(valid, weights.lo, 0.0), np.where(valid, weights.hi, 0.0)
    content = (Intervals.point(np.full(G, 2.0)) - Intervals.point(shift)).exp() * Intervals.point(np.full(G, float(tree.context)))
    F = [_target_enclosure(geometry.boxes[r], target) for r in rows]
    ok = np.array([f is not None for f in F]) & np.all(np.isfinite(w_hi), axis=1) & np.isfinite(content.hi)
    d = T.values.lo.shape[1]
    F_lo = np.array([[lower(v) for v in f] if f is not None else [0.0] * d for f in F])
    F_hi = np.array([[upper(v) for v in f] if f is not None else [0.0] * d for f in F])
    W_lo, W_hi = np.hstack([w_lo, content.lo[:, None]]), np.hstack([w_hi, content.hi[:, None]])
    ranges = []
    for j in range(d):
        f_lo, f_hi = F_lo[:, j:j + 1], F_hi[:, j:j + 1]
        u_lo = np.where(valid, down(T.values.lo[idx, j] - f_hi), 0.0)
        u_hi = np.where(valid, up(T.values.hi[idx, j] - f_lo), 0.0)
        ranges.append(ratio_range_many(W_lo, W_hi, np.hstack([u_lo, -f_hi]), np.hstack([u_hi, -f_lo])))
    error = norm_upper(np.column_stack([np.maximum(np.abs(lo), np.abs(hi)) for lo, hi in ranges]))
    mass_lo = sum_lower(w_lo)
    out = []
    with ctx.workprec(PRECISION_BITS):
        for g, r in enumerate(rows):
            if not (ok[g] and math.isfinite(error[g])):
                out.append((INF, INF))
                continue
            c_hi = (tree.context * (2 - arb(float(shift[g]))).exp()).upper()
            leak = c_hi / (arb(max(0.0, float(mass_lo[g]))) + c_hi) * tree.value_norm
            out.append((arb(float(error[g])), leak.upper() if leak.is_finite() else INF))
    return out


def _sine_upper(c: np.ndarray) -> np.ndarray:
    """A float ≥ (1 − c²)^(1/2) for floats c ∈ [−1, 1]."""
    return up(np.sqrt(np.maximum(0.0, up(1.0 - down(c * c)))))


def _cos_upper(c_hi: np.ndarray, cos_r: np.ndarray, sin_r: np.ndarray) -> np.ndarray:
    """A float ≥ ⟨ĉ, p⟩ for every unit p within the angle r̄ = arccos(cos_r) of a unit q with ⟨ĉ, q⟩ ≤ c_hi (sin_r ≥
    sin r̄): with θ₀ = arccos(c_hi), ∠(ĉ, p) ≥ θ₀ − r̄, so ⟨ĉ, p⟩ ≤ 1 if c_hi ≥ cos r̄, else c_hi·cos r̄ + (1 − c_hi²)^(1/2)·
    sin r̄ (as ``verifier.cells.FaceGeometry.cos_upper`` with one angle per item)."""
    c = np.minimum(c_hi, 1.0)
    value = up(up(c * cos_r) + up(_sine_upper(c) * sin_r))
    return np.where(c >= cos_r, 1.0, np.minimum(value, 1.0))


def _cos_lower(c_lo: np.ndarray, cos_r: np.ndarray, sin_r: np.ndarray) -> np.ndarray:
    """A float ≤ ⟨ĉ, p⟩ for every unit p within r̄ of a unit q with ⟨ĉ, q⟩ ≥ c_lo: −1 if c_lo ≤ −cos r̄, else
    c_lo·cos r̄ − (1 − c_lo²)^(1/2)·sin r̄."""
    c = np.maximum(c_lo, -1.0)
    value = down(down(c * cos_r) - up(_sine_upper(c) * sin_r))
    return np.where(c <= -cos_r, -1.0, np.maximum(value, -1.0))


def _target_enclosure(box: Intervals, target: Sequence[Callable]):
    """Balls F_j ∋ f_j(x) for every x of the cell's box, or None where not finite."""
    if not (np.all(np.isfinite(box.lo)) and np.all(np.isfinite(box.hi)) and np.all(box.lo <= box.hi)):
        return None
    F = [f([interval(a, b) for a, b in zip(box.lo, box.hi)]) for f in target]
    return F if all(v.is_finite() for v in F) else None


def bounds_many(tree: GroupedPrefix, target: Sequence[Callable], opening: float = OPENING) -> Callable[[Sequence[FaceCell]], list]:
    """The branch and bound's quantities on many cells: (‖H − f‖, ‖H − Q_f/Q_1‖, their sum ≥ ‖Q_f/Q_1 − f‖) per cell."""
    def quantities(cells: Sequence[FaceCell]) -> list[tuple[arb, arb, arb]]:
        out = []
        with ctx.workprec(PRECISION_BITS):
            for error, leak in enclose_many(tree, cells, target, opening):
                total = error + leak
                out.append((error, leak, total.upper() if total.is_finite() else INF))
        return out
    return quantities
