"""Upper bounds of sup_{x∈C} ‖model(x) − f(x)‖ on face cells C of S^m, many cells at once, for the two approximators of
``proofs.prefix_training.models`` (the branch and bound of ``proofs.prefix_training.certificate`` splits the cells):
every parameter is the exact binary rational of its float, every bound rigorous (ball arithmetic or rigorous float
intervals, ``verifier.intervals``).


* **Prefix**: H0's cell enclosure with keys of any norm (``proofs.h0.enclosure``: ⟨x, k_i⟩ = ‖k_i‖·⟨x, k_i/‖k_i‖⟩,
  per-token scales and biases, T content tokens of score 2 and value 0), of which only the error part is used; the
  near/far split is irrelevant here and its radius is set to r = 0 (``near_cos`` = 1). That enclosure is first order
  in the cell's size (weights in boxes), so for N ≤ CENTRED_TOKENS the bound is the smaller of it and a centred form
  (below) of the extension H̃(y) = Σ_i E_i(y) v_i / (Σ_i E_i(y) + T e²), E_i(y) = e^{⟨y, k_i⟩ + β_i}, which equals H on
  S^m (there the content score ⟨x, x⟩ + 1 is 2) and is smooth on R^(m+1), with

      ∇H̃(y) = Σ_i ŵ_i(y) (v_i − H̃(y)) k_iᵀ,   ŵ_i = E_i/(Σ_j E_j + T e²),

  enclosed over the box with ŵ_i ∈ [a_i/(Σ_j b_j + c), b_i/(Σ_j a_j + c)] (E_i ∈ [a_i, b_i] there) and H̃ in
  [Σ_i ŵ_i v_i] ∩ [min(0, min v), max(0, max v)] (a convex combination of the values and the content's 0); every token
  on every cell, in rigorous float intervals. Where the fitted values are large and cancel (|v_i| ≫ |f|) both forms
  need very small cells: such a prefix comes out INCONCLUSIVE, never PASS.
* **Network**: e_j(x) = Σ_u a_uj tanh(⟨w_u, x⟩ + c_u) + a_0j − f_j(x), every parameter the exact binary rational of
  its float. On a cell with enclosing box X ∋ x (``verifier.cells.FaceGeometry``) and a float point x̃ ∈ X (its
  midpoint), the mean value theorem along the segment [x̃, x] ⊂ X (Lebourg's, with Clarke's gradient at a kink of f)
  gives the centred form (used for the prefix's H̃ − f likewise)

      e_j(x) ∈ e_j(x̃) + Σ_k G_jk·(X_k − x̃_k),   G_j ⊇ {∇e_j(ξ) : ξ ∈ X},
      ∇e_j = Σ_u a_uj (1 − tanh²(⟨w_u, ξ⟩ + c_u)) w_u − ∇f_j,

  intersected with the plain enclosure e_j(X); ‖e‖ ≤ (Σ_j max|E_j|²)^(1/2). The network's terms are enclosed in
  rigorous float intervals for many cells and units at once (``verifier.intervals``: tanh t = 1 − 2/(e^{2t} + 1),
  increasing, from the rigorous exp; sums over the units with their rounding bounded), the target's f(x̃), f(X) and
  ∇f(X) by its ball compilation (``verifier.ball.compile_arb``/``compile_arb_gradient``, alternatives of a kink
  merged). The gradient of e is taken whole before it multiplies X − x̃, so where the amplitudes cancel the width
  is of order (Σ_u |a_u| ‖w_u‖²)·diam(X)², not Σ_u |a_u| ‖w_u‖·diam(X): cells stay few near the maxima of ‖e‖, where
  ∇e is small. (Vectorised, the network part is 10.9 times faster than the same centred form in balls cell by cell
  from the network's sympy expression: ``benchmarks/bench_network_cells.py``, W = 30, 2 048 cells, under load 8.)
"""
from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

import numpy as np
from flint import arb, ctx

from proofs.h0.enclosure import PrefixBalls, enclose_parts_many, norm_upper
from proofs.prefix_training.models import FreePrefix, TanhNetwork
from verifier.ball import PRECISION_BITS, compile_arb, compile_arb_gradient, interval, lower, upper
from verifier.bounds import target_functions
from verifier.cells import FaceCell, FaceGeometry, dyadic_face_cells
from verifier.intervals import Intervals, dot, exp_bounds, sum_lower, sum_upper
from verifier.targets import Target, coordinates

CENTRED_TOKENS = 512  # prefixes up to this length also get the centred form (every token on every cell)
CENTRED_ELEMENTS = 1 << 18  # cells × tokens × (m+1) × d per vectorised pass of the centred form


def cell_bounds(model, target: Target, threshold: float) -> tuple[Callable[[Sequence[FaceCell]], list], list[FaceCell]]:
    """The bounds of many cells at once (each a 1-tuple: an upper bound of sup_C ‖model − f‖) and the first cover:
    about one cell per token (prefix), or per_edge ≥ 4 with about one cell per unit (network). ``threshold`` (the
    branch and bound's) only saves work: a prefix's centred form is computed only where H0's enclosure is above it."""
    m = target.m
    if isinstance(model, FreePrefix):
        return prefix_bounds(model, target, threshold), dyadic_face_cells(m, (model.N / (2 * (m + 1))) ** (1 / m))
    return network_bounds(model, target), dyadic_face_cells(m, max(4.0, (model.W / (2 * (m + 1))) ** (1 / m)))


def prefix_bounds(prefix: FreePrefix, target: Target, threshold: float) -> Callable[[Sequence[FaceCell]], list]:
    """The prefix's cell bounds: H0's enclosure (``proofs.h0.enclosure``, keys of any norm), and for N ≤ CENTRED_TOKENS
    on the cells where that is above ``threshold``, the smaller of it and the centred form of the module doc (every
    token on every such cell)."""
    functions = target_functions(target)
    balls = PrefixBalls.of_keys(prefix.keys, prefix.biases, prefix.values, prefix.context)
    centred = prefix_centred(prefix, target) if prefix.N <= CENTRED_TOKENS else None
    rows = max(1, CENTRED_ELEMENTS // (prefix.N * (prefix.m + 1) * prefix.d))

    def bounds(cells: Sequence[FaceCell]) -> list:
        out = [upper(parts[0]) for parts in enclose_parts_many(balls, cells, functions)]
        above = [c for c, u in enumerate(out) if u > threshold]
        if centred is None or not above:
            return [(u,) for u in out]
        for start in range(0, len(above), rows):
            chunk = above[start:start + rows]
            for c, v in zip(chunk, centred([cells[c] for c in chunk])):
                out[c] = min(out[c], float(v))
        return [(u,) for u in out]

    return bounds


def prefix_centred(prefix: FreePrefix, target: Target) -> Callable[[Sequence[FaceCell]], np.ndarray]:
    """Per cell a float ≥ sup ‖H − f‖ by the centred form of H̃ − f (module doc), every token enclosed."""
    xs = coordinates(target.m)
    values = [compile_arb(f, xs) for f in target.components]
    gradients = [compile_arb_gradient(f, xs) for f in target.components]
    keys, biases, V = (Intervals.point(a) for a in (prefix.keys, prefix.biases, prefix.values))
    shift = float(np.max(np.sqrt(np.sum(prefix.keys ** 2, axis=1)) + prefix.biases))  # any float: it cancels
    with ctx.workprec(PRECISION_BITS):
        ball = prefix.context * (2 - arb(shift)).exp()
    content = Intervals(np.array(lower(ball)), np.array(upper(ball)))

    def weights(X: Intervals) -> Intervals:
        """e^{⟨y, k_i⟩ + β_i − shift} for y in the rows of X: (G, N)."""
        return (dot(keys[None], X[:, None, :]) + biases[None] - Intervals.point(shift)).exp()

    def bounds(cells: Sequence[FaceCell]) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow gives ±inf or NaN ends: the cell's bound is inf
            return _bounds(cells)

    def _bounds(cells: Sequence[FaceCell]) -> np.ndarray:
        box = FaceGeometry.of(cells).boxes
        mid = np.clip((box.lo + box.hi) / 2, box.lo, box.hi)
        f_mid, f_box, f_slope = _target_parts(values, gradients, box, mid)
        E_mid, E_box = weights(Intervals.point(mid)), weights(box)
        H_mid = _sum_units(E_mid[:, :, None] * V[None], axis=1) / (_sum_units(E_mid) + content)[:, None]  # (G, d)
        w_box = E_box / (_sum_units(E_box) + content)[:, None]  # ŵ_i over the box
        H_box = _sum_units(w_box[:, :, None] * V[None], axis=1)
        H_box = H_box.intersect(_hull(V, H_box.lo.shape))  # (G, d)
        spread = V[None] - H_box[:, None, :]  # v_i − H̃, (G, N, d)
        slope = _sum_units((w_box[:, :, None] * spread)[:, :, :, None] * keys[None, :, None, :], axis=1) - f_slope
        error = centred_form(H_mid - f_mid, slope, box - Intervals.point(mid))
        size = np.maximum(np.abs(error.lo), np.abs(error.hi))
        return np.where(np.all(np.isfinite(size), axis=1), norm_upper(np.nan_to_num(size)), math.inf)

    return bounds


def _hull(V: Intervals, shape: tuple) -> Intervals:
    """[min(0, min_i v_ij), max(0, max_i v_ij)] per component j: H̃ is a convex combination of the v_i and 0."""
    lo, hi = np.minimum(0.0, np.min(V.lo, axis=0)), np.maximum(0.0, np.max(V.hi, axis=0))
    return Intervals(np.broadcast_to(lo, shape), np.broadcast_to(hi, shape))


def network_bounds(network: TanhNetwork, target: Target) -> Callable[[Sequence[FaceCell]], list]:
    """The network's cell bounds (module doc's centred form), many cells at once: the network part in rigorous float
    intervals on numpy arrays (``verifier.intervals``: cells × units per operation), the target's value at x̃ and
    gradient over the box by its ball compilation, cell by cell."""
    xs = coordinates(target.m)
    values = [compile_arb(f, xs) for f in target.components]
    gradients = [compile_arb_gradient(f, xs) for f in target.components]
    a = Intervals.point(network.amplitudes.T)  # (d, W)
    slopes = Intervals.point(network.amplitudes.T[:, :, None]) * Intervals.point(network.weights[None])  # a_uj w_uk

    def bounds(cells: Sequence[FaceCell]) -> list:
        box = FaceGeometry.of(cells).boxes  # (G, m+1) ⊇ every point of each cell
        mid = np.clip((box.lo + box.hi) / 2, box.lo, box.hi)  # x̃: floats inside the box
        f_mid, f_box, f_slope = _target_parts(values, gradients, box, mid)
        h_mid, h_box = _tanh(_pre_activation(network, Intervals.point(mid))), _tanh(_pre_activation(network, box))
        sech2 = Intervals.point(1.0) - h_box.square()  # tanh' = 1 − tanh² over the box, (G, W)
        constant = Intervals.point(network.constant)
        e_mid = _sum_units(a[None] * h_mid[:, None, :]) + constant - f_mid  # (G, d)
        plain = _sum_units(a[None] * h_box[:, None, :]) + constant - f_box
        slope = _sum_units(slopes[None] * sech2[:, None, :, None], axis=2) - f_slope  # (G, d, m+1) ⊇ ∇e over the box
        error = centred_form(e_mid, slope, box - Intervals.point(mid)).intersect(plain)
        size = np.maximum(np.abs(error.lo), np.abs(error.hi))
        finite = np.all(np.isfinite(size), axis=1)
        return [(float(v),) if ok else (math.inf,) for v, ok in zip(norm_upper(np.where(finite[:, None], size, 0.0)), finite)]

    return bounds


def centred_form(value: Intervals, slope: Intervals, offset: Intervals) -> Intervals:
    """e(x̃) + Σ_k G_k·(X_k − x̃_k): value (G, d), slope (G, d, m+1), offset (G, m+1)."""
    for k in range(offset.lo.shape[1]):
        value = value + slope[:, :, k] * offset[:, None, k]
    return value


def _pre_activation(network: TanhNetwork, X: Intervals) -> Intervals:
    """⟨w_u, x⟩ + c_u for x in the rows of X: shape (G, W)."""
    return dot(Intervals.point(network.weights)[None], X[:, None, :]) + Intervals.point(network.offsets)[None]


def _tanh(T: Intervals) -> Intervals:
    """tanh over the intervals T: 1 − 2/(e^{2t} + 1), increasing, so its interval extension from the rigorous exp
    (``verifier.intervals.exp_bounds``) at the ends encloses it; clamped to [−1, 1]."""
    one = Intervals.point(1.0)
    value = one - Intervals.point(2.0) / (Intervals(exp_bounds(2 * T.lo)[0], exp_bounds(2 * T.hi)[1]) + one)
    return Intervals(np.maximum(value.lo, -1.0), np.minimum(value.hi, 1.0))


def _sum_units(terms: Intervals, axis: int = -1) -> Intervals:
    """Σ over the units (``axis``) of intervals, with the float sums' rounding bounded (``sum_lower``/``sum_upper``)."""
    return Intervals(sum_lower(terms.lo, axis), sum_upper(terms.hi, axis))


def _target_parts(values: list, gradients: list, box: Intervals, mid: np.ndarray) -> tuple:
    """Per cell, as float intervals: f(x̃) (G, d), f over the box (G, d), and a box ⊇ ∇f over the box (G, d, m+1)
    (the alternatives of a kink merged); NaN where an enclosure is not finite."""
    G, m1, d = len(mid), mid.shape[1], len(values)
    out = [np.full(shape, np.nan) for shape in ((2, G, d), (2, G, d), (2, G, d, m1))]
    with ctx.workprec(PRECISION_BITS):
        for c in range(G):
            X = [interval(lo, hi) for lo, hi in zip(box.lo[c], box.hi[c])]
            centre = [arb(float(v)) for v in mid[c]]
            for j, (value, gradient) in enumerate(zip(values, gradients)):
                plain, alternatives = gradient(X)
                slope = [functools.reduce(arb.union, column) for column in zip(*alternatives)]
                for part, ball in ((0, [value(centre)]), (1, [plain]), (2, slope)):
                    for k, b in enumerate(ball):
                        index = (c, j, k) if part == 2 else (c, j)
                        out[part][(0, *index)], out[part][(1, *index)] = lower(b), upper(b)
    return tuple(Intervals(lo, hi) for lo, hi in out)
