"""The certificate of one approximator's sup error: sup_{x∈S^m} ‖model(x) − f(x)‖ ≤ ε, decided without trusting
the optimiser that produced the model.

The model is a ``FreePrefix`` (H0 with free tokens) or a ``TanhNetwork`` (``proofs.prefix_training.models``); its
parameters are floats, hence exact rationals, and the certificate is about the real function they define (exact exp
and tanh, no float64 evaluation). The verdict:

1. **Sampling** (``verifier.supnorm.sup_search``, seeded): a float64 scan of S^m, Nelder–Mead refinement of the worst
   points, the best re-evaluated in mpmath at the policy's two precisions. A value > ε at both precisions (agreeing)
   is a witness: **FAIL** (evidence sampled: the point is real, the sup is at least that). Its value is a lower
   estimate of the sup whatever the verdict.
2. Otherwise **branch and bound** over face cells (``verifier.branch_bound``, the budget in cells): each cell C gets a
   rigorous upper bound u(C) ≥ sup_C ‖model − f‖, and max_C u(C) over the final cover is a certified upper bound u of
   the sup. u ≤ ε (compared exactly, u as the decimal text rounded up that the certificate stores) → **PASS**
   (certified). Else the worst cell's centre is evaluated in mpmath: > ε at both precisions → FAIL (sampled), else
   **INCONCLUSIVE** with both numbers (a budget that ran out, or an enclosure too loose: never PASS).

The cell bounds:

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
  ∇e is small. (The vectorised network part is about ten times faster than compiling the network's sympy expression
  to balls cell by cell: 0.58 s against 6.4 s for W = 30, 2 268 cells, under load.)
"""
from __future__ import annotations

import decimal
import functools
import math
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import mpmath
import numpy as np
import sympy
from flint import arb, ctx

from proofs.h0.enclosure import PrefixBalls, enclose_parts_many
from proofs.prefix_training.models import FreePrefix, TanhNetwork, model_from_json
from proofs.h0.enclosure import norm_upper
from verifier.ball import PRECISION_BITS, CannotCertify, compile_arb, compile_arb_gradient, interval, lower, upper
from verifier.bounds import target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import CLOCK_STOP, Budget
from verifier.cells import FaceCell, FaceGeometry, dyadic_face_cells
from verifier.claims import Evidence, Verdict, decide_le
from verifier.domains import Sphere, to_sphere_mp
from verifier.errors import InputError
from verifier.inputs import parse_integer, parse_number
from verifier.intervals import Intervals, dot, exp_bounds, sum_lower, sum_upper
from verifier.precision import PrecisionPolicy
from verifier.supnorm import sup_search
from verifier.targets import Target, coordinates

DEFAULT_CELLS = 50_000  # the branch and bound's cell budget (what decides an INCONCLUSIVE, never seconds)
CENTRED_TOKENS = 512  # prefixes up to this length also get the centred form (every token on every cell)
CENTRED_ELEMENTS = 1 << 18  # cells × tokens × (m+1) × d per vectorised pass of the centred form
SCAN_POINTS = 20_000  # the float64 scan of S^m before refinement
POLICY = PrecisionPolicy(dps=30)  # mpmath at 30 and 60 digits
UPPER_DIGITS = 17  # significant digits of the stored upper bound (rounded up: the text is itself a bound)


@dataclass(frozen=True)
class Certificate:
    """One model's verdict on sup ‖model − f‖ ≤ ε with what it rests on (module doc), stored beside a study's count."""

    verdict: Verdict
    evidence: Evidence  # certified for PASS; sampled for FAIL (a witness) and INCONCLUSIVE
    eps: str  # ε exactly, as p/q text
    target: str
    m: int
    model: dict  # the model's to_json(): exact hex floats
    sampled_max: float  # mpmath value of ‖model − f‖ at ``witness``: a lower estimate of the sup
    witness: list  # the point of sampled_max (floats, normalised in mpmath)
    certified_upper: Optional[str]  # a decimal ≥ the sup (exact text, rounded up), None if no branch and bound ran
    cells: int  # cells the branch and bound evaluated (0 if it did not run)
    cell_budget: int
    precision_bits: int  # the ball arithmetic's working precision
    seed: int
    detail: str

    def to_json(self) -> dict:
        return {"verdict": self.verdict.value, "evidence": self.evidence.value, "eps": self.eps, "target": self.target,
                "m": self.m, "model": self.model, "sampled_max": self.sampled_max, "witness": list(self.witness),
                "certified_upper": self.certified_upper, "cells": self.cells, "cell_budget": self.cell_budget,
                "precision_bits": self.precision_bits, "seed": self.seed, "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict) -> "Certificate":
        try:
            return cls(Verdict(data["verdict"]), Evidence(data["evidence"]), str(data["eps"]), str(data["target"]),
                       int(data["m"]), dict(data["model"]), float(data["sampled_max"]),
                       [float(v) for v in data["witness"]],
                       None if data["certified_upper"] is None else str(data["certified_upper"]), int(data["cells"]),
                       int(data["cell_budget"]), int(data["precision_bits"]), int(data["seed"]), str(data["detail"]))
        except (KeyError, TypeError, ValueError) as error:
            raise InputError(f"stored certificate: missing or malformed field ({error}); store Certificate.to_json()") from None


def certify(target: Target, model, eps: sympy.Rational, cells: int = DEFAULT_CELLS, seed: int = 0) -> Certificate:
    """The verdict on sup_{S^m} ‖model − f‖ ≤ ε (module doc). Bad input (a model of another m or d, ε ≤ 0, a cell
    budget < 1, a target the ball back-end cannot enclose) raises InputError before any sampling."""
    eps = parse_number(eps, "eps")
    cells = parse_integer(cells, "cells", 1)
    seed = parse_integer(seed, "seed", 0)
    if not isinstance(model, (FreePrefix, TanhNetwork)):
        raise InputError(f"certify takes a FreePrefix or a TanhNetwork, got {type(model).__name__}")
    if (model.m, model.d) != (target.m, target.d):
        raise InputError(f"the model maps S^{model.m} to R^{model.d} but the target S^{target.m} to R^{target.d}; "
                         "certify a model of the target's m and d")
    try:
        bounds, initial = _cell_bounds(model, target)
    except CannotCertify as reason:
        raise InputError(f"the target cannot be enclosed in ball arithmetic ({reason}); certify a target built from "
                         "the supported functions") from None
    common = dict(eps=str(eps), target=target.text, m=target.m, model=model.to_json(), cell_budget=cells,
                  precision_bits=PRECISION_BITS, seed=seed)
    digits = f"mpmath at {POLICY.dps} and {POLICY.verify_dps} digits"

    sup = sup_search(lambda X: {"error": error_f64(model, target, X)},
                     lambda x: {"error": error_mp(model, target, x)}, ["error"], Sphere(target.m), POLICY, seed,
                     scan_points=SCAN_POINTS)["error"]
    sampled = (float(sup.value), list(sup.argmax))
    if sup.precision_agrees and decide_le(sup.value, eps, POLICY.tolerance) is Verdict.FAIL:
        return Certificate(Verdict.FAIL, Evidence.SAMPLED, sampled_max=sampled[0], witness=sampled[1],
                           certified_upper=None, cells=0,
                           detail=f"‖model − f‖ = {mpmath.nstr(sup.value, 10)} > ε at the witness ({sup.method}; "
                                  f"{sup.points} points; {digits})", **common)

    bounded = branch_and_bound(initial, lambda cell: bounds([cell])[0], (_float_below(eps),),
                               lambda cell: cell.split(), Budget(cells=cells), many=bounds)
    upper = decimal_up(bounded.uppers[0])
    upper_value = sympy.Rational(upper) if math.isfinite(bounded.uppers[0]) else sympy.oo
    how = f"branch and bound in ball arithmetic ({PRECISION_BITS} bits), {bounded.cells} cells"
    with mpmath.workdps(POLICY.verify_dps):
        unsound = upper_value is not sympy.oo and mpmath.mpf(upper) < sup.value
    if unsound:
        raise RuntimeError(f"FRAMEWORK ERROR: certified upper bound {upper} below the sampled value "
                           f"{mpmath.nstr(sup.value, 20)} at {sampled[1]} (an enclosure is unsound)")
    if upper_value <= eps:
        return Certificate(Verdict.PASS, Evidence.CERTIFIED, sampled_max=sampled[0], witness=sampled[1],
                           certified_upper=upper, cells=bounded.cells,
                           detail=f"certified: {how}; sup ≤ {upper} ≤ ε; sampled ≥ {sampled[0]:.10g} ({digits})",
                           **common)
    centre = _worst_centre(bounded, model, target, eps)
    if centre is not None:
        value, point = centre
        return Certificate(Verdict.FAIL, Evidence.SAMPLED, sampled_max=max(value, sampled[0]), witness=point,
                           certified_upper=upper, cells=bounded.cells,
                           detail=f"‖model − f‖ = {value:.10g} > ε at the centre of the worst cell ({how}; {digits})",
                           **common)
    stop = CLOCK_STOP if bounded.stopped_by_clock else "every cell met ε" if bounded.decided else "cell budget exhausted"
    return Certificate(Verdict.INCONCLUSIVE, Evidence.SAMPLED, sampled_max=sampled[0], witness=sampled[1],
                       certified_upper=upper, cells=bounded.cells,
                       detail=f"neither proved nor refuted: certified ≤ {upper}, sampled ≥ {sampled[0]:.10g} ({how}, "
                              f"{stop}); raise the cell budget", **common)


def recheck(stored: dict) -> Certificate:
    """Certify a stored certificate's model again from its JSON alone: the target re-read by the safe reader
    (``Target.parse``; its L and B are not used by a sup error), the model from its exact hex floats, the same ε,
    cell budget and seed. The same verdict is expected."""
    try:
        target = Target.parse(stored["target"], int(stored["m"]), 1, 1)
        model = model_from_json(stored["model"])
        eps, cells, seed = stored["eps"], stored["cell_budget"], stored["seed"]
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(f"stored certificate: missing or malformed field ({error}); store Certificate.to_json()") from None
    return certify(target, model, eps, cells, seed)


def error_f64(model, target: Target, X: np.ndarray) -> np.ndarray:
    """‖model(x) − f(x)‖ at the rows of X in float64 (the scan: a choice of where to look, never a verdict)."""
    return np.sqrt(np.sum((model(X) - target.numpy(X)) ** 2, axis=1))


def error_mp(model, target: Target, x) -> mpmath.mpf:
    """‖model(x) − f(x)‖ at the current mpmath precision, x normalised to S^m there; the model's floats exactly."""
    x = to_sphere_mp(x)
    return mpmath.norm([a - b for a, b in zip(_model_mp(model, x), target.mp(x))])


def _model_mp(model, x: list) -> list:
    """The model at the point x in mpmath: H0's closed form with scores shifted by max(max_i s_i, 2), or the network."""
    if isinstance(model, FreePrefix):
        scores = [mpmath.fsum(a * mpmath.mpf(float(k)) for a, k in zip(x, key)) + mpmath.mpf(float(b))
                  for key, b in zip(model.keys, model.biases)]
        top = max(max(scores), mpmath.mpf(2))
        weights = [mpmath.exp(s - top) for s in scores]
        total = mpmath.fsum(weights) + model.context * mpmath.exp(2 - top)
        return [mpmath.fsum(w * mpmath.mpf(float(v[j])) for w, v in zip(weights, model.values)) / total
                for j in range(model.d)]
    hidden = [mpmath.tanh(mpmath.fsum(a * mpmath.mpf(float(w)) for a, w in zip(x, row)) + mpmath.mpf(float(c)))
              for row, c in zip(model.weights, model.offsets)]
    return [mpmath.fsum(h * mpmath.mpf(float(a[j])) for h, a in zip(hidden, model.amplitudes))
            + mpmath.mpf(float(model.constant[j])) for j in range(model.d)]


def _cell_bounds(model, target: Target) -> tuple[Callable[[Sequence[FaceCell]], list], list[FaceCell]]:
    """The bounds of many cells at once (each a 1-tuple: an upper bound of sup_C ‖model − f‖) and the first cover:
    about one cell per token (prefix), or per_edge ≥ 4 with about one cell per unit (network)."""
    m = target.m
    if isinstance(model, FreePrefix):
        return _prefix_bounds(model, target), dyadic_face_cells(m, (model.N / (2 * (m + 1))) ** (1 / m))
    return _network_bounds(model, target), dyadic_face_cells(m, max(4.0, (model.W / (2 * (m + 1))) ** (1 / m)))


def _prefix_bounds(prefix: FreePrefix, target: Target) -> Callable[[Sequence[FaceCell]], list]:
    """The prefix's cell bounds: H0's enclosure (``proofs.h0.enclosure``, keys of any norm), and for N ≤ CENTRED_TOKENS
    the smaller of it and the centred form of the module doc (every token on every cell)."""
    functions = target_functions(target)
    balls = PrefixBalls.of_keys(prefix.keys, prefix.biases, prefix.values, prefix.context)
    centred = _prefix_centred(prefix, target) if prefix.N <= CENTRED_TOKENS else None

    def bounds(cells: Sequence[FaceCell]) -> list:
        ratio = [upper(parts[0]) for parts in enclose_parts_many(balls, cells, functions)]
        if centred is None:
            return [(u,) for u in ratio]
        rows = max(1, CENTRED_ELEMENTS // (prefix.N * (prefix.m + 1) * prefix.d))
        second = np.concatenate([centred(cells[start:start + rows]) for start in range(0, len(cells), rows)])
        return [(min(u, float(v)),) for u, v in zip(ratio, second)]

    return bounds


def _prefix_centred(prefix: FreePrefix, target: Target) -> Callable[[Sequence[FaceCell]], np.ndarray]:
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
        error = _centred(H_mid - f_mid, slope, box - Intervals.point(mid))
        size = np.maximum(np.abs(error.lo), np.abs(error.hi))
        return np.where(np.all(np.isfinite(size), axis=1), norm_upper(np.nan_to_num(size)), math.inf)

    return bounds


def _hull(V: Intervals, shape: tuple) -> Intervals:
    """[min(0, min_i v_ij), max(0, max_i v_ij)] per component j: H̃ is a convex combination of the v_i and 0."""
    lo, hi = np.minimum(0.0, np.min(V.lo, axis=0)), np.maximum(0.0, np.max(V.hi, axis=0))
    return Intervals(np.broadcast_to(lo, shape), np.broadcast_to(hi, shape))


def _network_bounds(network: TanhNetwork, target: Target) -> Callable[[Sequence[FaceCell]], list]:
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
        error = _centred(e_mid, slope, box - Intervals.point(mid)).intersect(plain)
        size = np.maximum(np.abs(error.lo), np.abs(error.hi))
        finite = np.all(np.isfinite(size), axis=1)
        return [(float(v),) if ok else (math.inf,) for v, ok in zip(norm_upper(np.where(finite[:, None], size, 0.0)), finite)]

    return bounds


def _centred(value: Intervals, slope: Intervals, offset: Intervals) -> Intervals:
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


def _worst_centre(bounded: Bounded, model, target: Target, eps) -> Optional[tuple[float, list]]:
    """(value, point) if ‖model − f‖ > ε at the worst cell's centre at both precisions (agreeing), else None."""
    if bounded.worst is None:
        return None
    x = bounded.worst.centre_f64
    low, high = POLICY.at_both(lambda _dps: error_mp(model, target, x))
    if POLICY.agree(low, high) and decide_le(high, eps, POLICY.tolerance) is Verdict.FAIL:
        return float(high), [float(v) for v in x]
    return None


def decimal_up(value: float) -> str:
    """The float ``value`` (exact) as decimal text of UPPER_DIGITS significant digits rounded up: a number ≥ it."""
    if not math.isfinite(value):
        return "inf"
    context = decimal.Context(prec=UPPER_DIGITS, rounding=decimal.ROUND_CEILING)
    return str(context.plus(decimal.Decimal(value)))


def _float_below(eps: sympy.Rational) -> float:
    """The largest float ≤ ε: the branch and bound's threshold, so that a cell it accepts is below ε exactly."""
    f = float(eps)
    return f if sympy.Rational(f) <= eps else math.nextafter(f, -math.inf)
