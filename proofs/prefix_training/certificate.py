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

The cell bounds are ``proofs.prefix_training.cell_bounds``'s (H0's enclosure with keys of any norm and a centred form
for a prefix, a centred form for a network).
"""
from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from typing import Optional

import mpmath
import numpy as np
import sympy

from proofs.prefix_training.cell_bounds import cell_bounds
from proofs.prefix_training.models import FreePrefix, TanhNetwork, model_from_json
from verifier.ball import PRECISION_BITS, CannotCertify
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import CLOCK_STOP, Budget
from verifier.claims import Evidence, Verdict, decide_le
from verifier.domains import Sphere, to_sphere_mp
from verifier.errors import InputError
from verifier.inputs import parse_integer, parse_number
from verifier.precision import PrecisionPolicy
from verifier.supnorm import sup_search
from verifier.targets import Target

DEFAULT_CELLS = 50_000  # the branch and bound's cell budget (what decides an INCONCLUSIVE, never seconds)
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
        bounds, initial = cell_bounds(model, target, _float_below(eps))
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
