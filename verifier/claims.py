"""Claims and verdicts: the plain data that runs produce and reports consume.

A claim "value ≤ bound" is decided at the working precision with tolerance tol (see
``PrecisionPolicy``):  value ≤ bound − tol·max(1,|bound|) → PASS;  value > bound + tol·max(1,|bound|)
→ FAIL;  otherwise INCONCLUSIVE (the precision cannot separate them). Such a claim is ``sampled``: a float
decision is never labelled ``exact`` or ``certified`` (exact numbers go through :func:`claim_le_certified`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Optional, Sequence

import mpmath
import numpy as np
import sympy

if TYPE_CHECKING:
    from flint import arb

    from .precision import PrecisionPolicy
    from .supnorm import SupResult


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"

    @staticmethod
    def combine(verdicts: Iterable["Verdict"]) -> "Verdict":
        """FAIL if any claim fails, else INCONCLUSIVE if any is, else PASS (no claims: INCONCLUSIVE)."""
        verdicts = list(verdicts)
        if not verdicts:
            return Verdict.INCONCLUSIVE
        if Verdict.FAIL in verdicts:
            return Verdict.FAIL
        if Verdict.INCONCLUSIVE in verdicts:
            return Verdict.INCONCLUSIVE
        return Verdict.PASS


class Evidence(str, Enum):
    """How a claim was decided, strongest first: ``exact`` (symbolic or integer arithmetic),
    ``certified`` (a rigorous enclosure over the whole domain), ``sampled`` (held at every point
    examined; not a proof). A run's evidence is the weakest of its claims'."""

    EXACT = "exact"
    CERTIFIED = "certified"
    SAMPLED = "sampled"

    @staticmethod
    def weakest(evidences: Iterable["Evidence"]) -> "Evidence":
        """The weakest evidence among ``evidences`` (none: sampled, which claims nothing)."""
        order = list(Evidence)
        return max(evidences, key=order.index, default=Evidence.SAMPLED)

    @property
    def label(self) -> str:
        """How a PASS on this evidence reads: 'certified', or 'sampled — not a proof'."""
        return "sampled — not a proof" if self is Evidence.SAMPLED else self.value


class Kind(str, Enum):
    """What a claim is about: the input's hypotheses, a proof step, the theorem, a paper claim, or the framework."""

    HYPOTHESIS = "hypothesis"
    PROOF_STEP = "proof-step"
    THEOREM = "theorem"
    PAPER = "paper"
    FRAMEWORK = "framework"


@dataclass(frozen=True)
class ClaimResult:
    """One checked claim: its statement, verdict, the measured value against the bound, how it was
    decided (``method``) and on what evidence (sampled unless a decider says more)."""

    id: str
    statement: str
    verdict: Verdict
    kind: Kind
    method: str
    value: Optional[float] = None
    bound: Optional[float] = None
    witness: Optional[tuple[float, ...]] = None
    detail: str = ""
    evidence: Evidence = Evidence.SAMPLED
    points: Optional[int] = None  # points examined by the sampling behind the claim
    cells: Optional[int] = None  # cells of the branch and bound that certified it
    seconds: Optional[float] = field(default=None, compare=False)  # wall time of that sampling / branch and bound (None: not timed separately)
    value_text: Optional[str] = None  # ``value`` to TEXT_DIGITS digits from its mpmath / exact number (:func:`decimal_text`)
    bound_text: Optional[str] = None  # ``bound`` likewise

    def __post_init__(self):
        """Keep a text only while it is the same number as its float: a ``replace(claim, value=u)`` (e.g. a certified
        upper bound taking the place of the sampled value) drops the sampled value's text instead of carrying it along.
        A text that underflows float64 (e^{−67000}) matches the float 0 it became."""
        for number, text in (("value", "value_text"), ("bound", "bound_text")):
            if getattr(self, text) is not None and not _same_number(getattr(self, text), getattr(self, number)):
                object.__setattr__(self, text, None)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "statement": self.statement,
            "kind": self.kind.value,
            "verdict": self.verdict.value,
            "evidence": self.evidence.value,
            "value": self.value,
            "bound": self.bound,
            "method": self.method,
            "witness": list(self.witness) if self.witness is not None else None,
            "detail": self.detail,
            "points": self.points,
            "cells": self.cells,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
            "value_text": self.value_text,
            "bound_text": self.bound_text,
        }


TEXT_DIGITS = 15  # significant digits of a claim's value_text / bound_text (mpmath's default precision, every claim's least)


def decimal_text(number) -> Optional[str]:
    """An mpmath, sympy (exact), python-flint ``arb`` (its midpoint, e.g. a ball's exact upper end point) or python
    number as a decimal string in scientific notation to TEXT_DIGITS significant digits, e.g. '5.23209e-27267'
    (trailing zeros dropped): its real size, where ``float(number)`` would underflow to 0 (or overflow to inf). None for
    None and for a plain float (the float is the number)."""
    from flint import arb

    if number is None or isinstance(number, float):
        return None
    if isinstance(number, arb):  # the midpoint m·2^e, exactly
        mantissa, exponent = number.mid().man_exp()
        number = mpmath.ldexp(mpmath.mpf(int(mantissa)), int(exponent))
    with mpmath.workdps(TEXT_DIGITS + 5):
        exact = mpmath.mpf(sympy.N(number, TEXT_DIGITS + 5)) if isinstance(number, sympy.Basic) else mpmath.mpf(number)
        return mpmath.nstr(exact, TEXT_DIGITS, min_fixed=0, max_fixed=0)


def _same_number(text: str, value: Optional[float]) -> bool:
    """True iff the decimal ``text`` (TEXT_DIGITS digits) is the float ``value``: equal to within 10⁻¹⁴ relative, or to
    within 2 units in the last place (a subnormal float)."""
    if value is None:
        return False
    rounded = float(mpmath.mpf(text))
    return abs(rounded - value) <= max(1e-14 * abs(value), 2 * math.ulp(max(abs(rounded), abs(value))))


def decide_le(value, bound, tolerance) -> Verdict:
    """PASS / FAIL / INCONCLUSIVE for 'value ≤ bound' at the given relative tolerance."""
    with mpmath.workdps(max(mpmath.mp.dps, int(-mpmath.log10(mpmath.mpf(tolerance))) + 20)):
        value, bound, tolerance = mpmath.mpf(value), mpmath.mpf(bound), mpmath.mpf(tolerance)
        slack = tolerance * max(1, abs(bound))
        if value <= bound - slack:
            return Verdict.PASS
        if value > bound + slack:
            return Verdict.FAIL
        return Verdict.INCONCLUSIVE


def claim_le(
    id: str,
    statement: str,
    value,
    bound,
    tolerance,
    kind: Kind,
    method: str,
    witness: Optional[Sequence[float]] = None,
    detail: str = "",
    precision_agrees: bool = True,
    evidence: Evidence = Evidence.SAMPLED,
    tie: str = "",
    points: Optional[int] = None,
) -> ClaimResult:
    """The claim 'value ≤ bound', decided by :func:`decide_le`; INCONCLUSIVE when the value was not
    reproduced at the check precision (``precision_agrees`` false), or when value and bound agree
    within the tolerance (then the note ``tie``, or a generic one, says what the user can do). ``points``: how many
    points the value was the largest of (shown as the claim's effort)."""
    verdict = decide_le(value, bound, tolerance) if precision_agrees else Verdict.INCONCLUSIVE
    disagreement = "" if precision_agrees else "the value differs between the working and the check precision: raise --dps"
    if precision_agrees and verdict is Verdict.INCONCLUSIVE:
        disagreement = tie or (f"value and bound agree within the tolerance {mpmath.nstr(mpmath.mpf(tolerance), 3)}, so this "
                               "precision cannot separate them: raise --dps, or the bound is attained (tight)")
    return ClaimResult(
        id=id,
        statement=statement,
        verdict=verdict,
        kind=kind,
        method=method,
        value=float(value),
        bound=float(bound),
        witness=tuple(float(w) for w in witness) if witness is not None else None,
        detail=_join(detail, disagreement, _underflow_note(value)),
        evidence=evidence,
        value_text=decimal_text(value),
        bound_text=decimal_text(bound),
        points=points,
    )


def _underflow_note(value) -> str:
    """Say so when a non-zero value prints as 0 in float64 (e.g. e^{−67000})."""
    with mpmath.workdps(20):
        exact = mpmath.mpf(sympy.N(value, 20)) if isinstance(value, sympy.Basic) else mpmath.mpf(value)
        return f"value {mpmath.nstr(exact, 6)} (below the float64 range)" if exact != 0 and float(exact) == 0 else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


def claim_holds(id: str, statement: str, holds: bool, kind: Kind, method: str, detail: str = "",
                evidence: Evidence = Evidence.EXACT, **numbers) -> ClaimResult:
    """A claim decided by a yes/no fact: PASS iff ``holds``; exact (symbolic identity, integer count)
    unless the caller says the fact was only sampled."""
    return ClaimResult(
        id=id,
        statement=statement,
        verdict=Verdict.PASS if holds else Verdict.FAIL,
        kind=kind,
        method=method,
        detail=detail,
        evidence=evidence,
        **numbers,
    )


def claim_identity(id: str, statement: str, residuals: Sequence, kind: Kind, method: str) -> ClaimResult:
    """A symbolic identity 'stated = derived': PASS iff every residual (stated − derived, already simplified by the
    caller's sympy rule, named in ``method``) is exactly 0; exact evidence. A FAIL names the first non-zero residuals."""
    nonzero = [r for r in residuals if r != 0]
    return claim_holds(id, statement, not nonzero, kind, method,
                       detail=f"non-zero residuals: {nonzero[:3]}" if nonzero else "")


def claim_sup_le(id: str, statement: str, sup: "SupResult", bound, tolerance, kind: Kind) -> ClaimResult:
    """The claim 'sup_x q(x) ≤ bound' from a sampled sup; INCONCLUSIVE if the two precisions disagree."""
    claim = claim_le(
        id, statement, sup.value, bound, tolerance, kind,
        f"{sup.method}; {sup.points} points; mpmath at {sup.dps} and {sup.verify_dps} digits",
        witness=sup.argmax, precision_agrees=sup.precision_agrees,
    )
    return replace(claim, points=sup.points, seconds=sup.seconds)


def claim_exp_le(id: str, statement: str, log_value: sympy.Expr, log_bound: sympy.Expr, kind: Kind, method: str) -> ClaimResult:
    """'e^a ≤ e^b' for exact numbers given by their logarithms a, b of the form s + Σ r_k·log q_k, decided
    by the exact sign of a − b (:func:`verifier.exact_sign.sign`: arb balls, then an exact test of
    equality), so that no power q^r is ever formed."""
    from .exact_sign import sign

    with mpmath.workdps(20):
        value, bound = (mpmath.exp(mpmath.mpf(sympy.N(x, 20))) for x in (log_value, log_bound))
    numbers = dict(value=float(value), bound=float(bound), detail=_underflow_note(value),
                   value_text=_exp_text(log_value), bound_text=_exp_text(log_bound))
    decided = sign(log_value - log_bound)
    if decided is None:
        return ClaimResult(id, statement, Verdict.INCONCLUSIVE, kind, method + "; ball arithmetic up to 2048 bits cannot "
                           "separate the two and the exact equality test does not apply", evidence=Evidence.CERTIFIED, **numbers)
    how = "equality proved with rational arithmetic" if decided == 0 else "sign of ln(value) − ln(bound) by arb balls"
    return ClaimResult(id, statement, Verdict.PASS if decided <= 0 else Verdict.FAIL, kind, f"{method}; {how}",
                       evidence=Evidence.EXACT if decided == 0 else Evidence.CERTIFIED, **numbers)


def _exp_text(log: sympy.Expr) -> str:
    """e^log as :func:`decimal_text`, for an exact ``log`` of any size: evaluated with enough digits for the integer
    part of ``log`` as well as TEXT_DIGITS of the result (e^{−62000} needs 5 more)."""
    with mpmath.workdps(20):
        size = int(mpmath.log10(abs(mpmath.mpf(sympy.N(log, 20))) + 1)) + 1
    with mpmath.workdps(TEXT_DIGITS + 5 + size):
        return decimal_text(mpmath.exp(mpmath.mpf(sympy.N(log, TEXT_DIGITS + 5 + size))))


def claim_le_certified(id: str, statement: str, value: sympy.Expr, bound: sympy.Expr, kind: Kind, method: str,
                       enclose: Optional[Callable[[int], "arb"]] = None) -> ClaimResult:
    """'value ≤ bound' for exact sympy numbers, never decided by a rounded float:

    * sympy proves value − bound = 0 (``simplify``): PASS on ``exact`` evidence;
    * else a ball D ∋ value − bound (python-flint ``arb``) excludes 0: PASS if D < 0, FAIL if D > 0, on
      ``certified`` evidence. The ball is ``enclose(bits)`` at 128, 512, 2048 bits when the caller gives one (for
      functions the ball compiler does not know, e.g. Bessel functions), else verifier.ball.sympy_number(value − bound)
      (at verifier.ball.PRECISION_BITS);
    * else INCONCLUSIVE (``certified`` evidence: balls were tried and could not separate the two numbers)."""
    from .ball import PRECISION_BITS, CannotCertify, sympy_number
    from .exact_sign import PRECISIONS_BITS, ball_sign

    numbers = dict(value=float(sympy.N(value, 17)), bound=float(sympy.N(bound, 17)), value_text=decimal_text(value),
                   bound_text=decimal_text(bound))
    if sympy.simplify(value - bound) == 0:
        return claim_holds(id, statement, True, kind, method + "; equality proved symbolically (sympy)", **numbers)
    note = _underflow_note(value)
    try:
        decided = (ball_sign(enclose, PRECISIONS_BITS) if enclose is not None  # sympy_number works at PRECISION_BITS
                   else ball_sign(lambda _bits: sympy_number(value - bound), (PRECISION_BITS,)))
    except CannotCertify as error:
        return ClaimResult(id, statement, Verdict.INCONCLUSIVE, kind, method, detail=_join(note, f"no ball enclosure: {error}"),
                           evidence=Evidence.CERTIFIED, **numbers)
    if decided is None:
        return ClaimResult(id, statement, Verdict.INCONCLUSIVE, kind, method + "; sign of value − bound by arb balls",
                           detail=_join(note, "the balls cannot separate value and bound and sympy does not prove them equal"),
                           evidence=Evidence.CERTIFIED, **numbers)
    return ClaimResult(id, statement, Verdict.PASS if decided < 0 else Verdict.FAIL, kind,
                       method + "; sign of value − bound by arb balls", detail=note, evidence=Evidence.CERTIFIED, **numbers)


# --------------------------------------------------------------------------------------------- F.two-paths
TWO_PATHS_FLOAT64 = 1e-10  # F.two-paths: the float64 paths' largest gap, relative to max(1, the value scale)


@dataclass(frozen=True)
class TwoPaths:
    """The two computations of a head's output that F.two-paths compares, supplied by a theorem: the derived
    closed form and the plain matrix forward pass, each in float64 on the rows of ``points`` (arrays of one
    shape) and at the current mpmath precision at the point ``at`` (vectors of mpf). ``what`` names the
    points in the statement (e.g. "points", "sequences"). The mpmath pair may be absent (``mp_skipped`` says
    why: e.g. a matrix pass over every prefix token too long in mpmath)."""

    closed_f64: Callable[[np.ndarray], np.ndarray]
    matrix_f64: Callable[[np.ndarray], np.ndarray]
    points: np.ndarray
    closed_mp: Optional[Callable[[object], Sequence]] = None
    matrix_mp: Optional[Callable[[object], Sequence]] = None
    at: object = None
    what: str = "points"
    mp_skipped: str = ""


def two_paths_claim(paths: TwoPaths, sups: Mapping[str, "SupResult"], scale: float, policy: "PrecisionPolicy") -> ClaimResult:
    """F.two-paths, one rule for every theorem: with s = max(1, ``scale``) (the size of the values, e.g. the bound B
    of the target), the closed form and the matrix pass agree to TWO_PATHS_FLOAT64·s in float64 at every point and
    to the precision's tolerance·s in mpmath (at ``policy.dps`` digits) at ``paths.at``; and every sup in ``sups``
    (those whose float64 and mpmath values must agree: continuous quantities) agrees between float64 and mpmath at
    its argmax. The value is the larger gap relative to s, the bound TWO_PATHS_FLOAT64."""
    s = max(1.0, float(scale))
    float64_gap = float(np.max(np.abs(np.asarray(paths.closed_f64(paths.points)) - np.asarray(paths.matrix_f64(paths.points)))))
    mp_gap = mpmath.mpf(0)
    if paths.closed_mp is not None:
        with mpmath.workdps(policy.dps):
            mp_gap = mpmath.norm([a - b for a, b in zip(paths.closed_mp(paths.at), paths.matrix_mp(paths.at))])
    disagreeing = [name for name, sup in sups.items() if not sup.float64_agrees]
    holds = float64_gap <= TWO_PATHS_FLOAT64 * s and mp_gap <= policy.tolerance * s and not disagreeing
    mp_text = "mpmath at the argmax" if paths.closed_mp is not None else "no mpmath pass"
    mp_gap_text = (f"mpmath gap {mpmath.nstr(mp_gap, 3)}" if paths.closed_mp is not None
                   else f"mpmath matrix pass not run: {paths.mp_skipped}")
    detail = "" if holds else (
        f"FRAMEWORK ERROR: closed form vs matrix pass differ by {float64_gap:.3g} (float64) / {mpmath.nstr(mp_gap, 5)} (mpmath); "
        f"float64 vs mpmath disagree for {disagreeing or 'none'}"
    )
    return claim_holds(
        "F.two-paths",
        f"the derived closed form and the plain matrix forward pass agree (float64 at {len(paths.points)} {paths.what}, "
        f"{mp_text}); float64 and mpmath agree at every sup argmax",
        holds, Kind.FRAMEWORK,
        f"sampled: max gap float64 {float64_gap:.3g} ≤ {TWO_PATHS_FLOAT64:g}·{s:g}; {mp_gap_text}",
        detail=detail, value=max(float64_gap, float(mp_gap)) / s, bound=TWO_PATHS_FLOAT64, evidence=Evidence.SAMPLED,
        points=len(paths.points),
    )
