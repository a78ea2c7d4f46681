"""E2 certified: the quadrature prefix in ball form, one branch and bound for the sup error and the split, and the
split's claims from it.

E2's prefix is an H0 prefix with token-dependent biases: token i = (κ p_i, ln w_i + β, f(p_i)) with the rule's unit
points p_i and cell areas w_i (``rules.rule_balls``: balls containing the exact numbers of the rule's formulas), κ and β
enclosed from their exact sympy values. ``groups.enclose_many`` bounds, on every face cell, ‖H − f‖ and the leakage
‖H − Q_f/Q_1‖ from the same items (groups of tokens); ``verifier.branch_bound`` splits until each is below its
threshold or the cell budget ends. One pass decides (for every x ∈ S^m):

    E2.sup:             ‖H − f‖ ≤ u_err ≤ ε;
    E2.V3.leakage:      ‖H − Q_f/Q_1‖ ≤ u_leak ≤ B·T·e^{2−β−κ(1−h²/2)}/w_min;
    E2.V3.quadrature:   ‖Q_f/Q_1 − f_κ‖ ≤ ‖Q_f/Q_1 − H‖ + ‖H − f‖ + ‖f − f_κ‖ ≤ u_err+leak + S ≤ the quadrature bound;
    E2.V1.smoothing:    ‖f_κ(x) − f(x)‖ ≤ S ≤ L√(2(1 − A_m(κ))),
                        S = min(L·E[ρ], (1 − A_m(κ))·(G + M₂))   (no cells: both are the same at every x),

where u_err+leak is the branch and bound's bound of u_err + u_leak per cell, the quadrature bound is enclosed by
``means.quadrature_bound_arb``, ‖f_κ(x) − f(x)‖ ≤ E‖f(y) − f(x)‖ ≤ L·E[ρ] with L from H.lipschitz and E[ρ] by
``means.mean_chord_arb``, and (1 − A_m(κ))·(G + M₂) is the second-order bound of ``second_order`` (for targets twice
differentiable on the ball: G and M₂ bound Df and the Hessians there; it falls like 1/κ where L·E[ρ] falls like
1/√κ, which leaves the quadrature claim the room it needs on S^2: at m = 2, ε = 0.3, 0.0123 against 0.0870). A claim the balls do not decide keeps its sampled verdict (``verifier.certify.combine``).
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass, replace
from typing import Optional

import sympy
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, CannotCertify, arb_rational, lower, sympy_number, upper
from verifier.bounds import target_functions
from verifier.branch_bound import Bounded, branch_and_bound
from verifier.budget import Budget
from verifier.cells import dyadic_face_cells
from verifier.certify import combine
from verifier.claims import ClaimResult, Kind, Verdict, claim_le_certified
from verifier.targets import Target

from proofs.h0.enclosure import PrefixBalls

from . import formulas as F
from . import groups, kernel, means, second_order
from .claims import ball_ends
from .construction import E2Construction
from .rules import rule_balls

INITIAL_PER_EDGE = 2  # the first cover: 2 × 2^m... face cells; the grouped enclosure adapts, so the cover can be coarse
AUTO_MAX_DIM = 2  # --evidence auto certifies on S^1 and S^2
PARTS = ("error", "leakage/bound", "error+leakage")  # the branch and bound's quantities (the leakage relative to its
# bound, which may lie far below the float range: e^{−κ(1−h²/2)} with κ in the thousands)


def why_not_certifiable(target: Target) -> Optional[str]:
    """None if the target compiles to ball functions, else the reason (the claims then stay sampled)."""
    try:
        target_functions(target)
    except CannotCertify as reason:
        return str(reason)
    return None


def skip_reason(params) -> Optional[str]:
    """Why this instance is not certified (None: it is): --evidence sampled, a dimension above AUTO_MAX_DIM under auto,
    or a target the ball back-end cannot enclose."""
    if params.evidence == "sampled":
        return "certification skipped (--evidence sampled)"
    if params.evidence == "auto" and params.dim > AUTO_MAX_DIM:
        return f"certification on S^{params.dim} only with --evidence certified"
    return why_not_certifiable(params.target)


def prefix_balls(construction: E2Construction) -> PrefixBalls:
    """The exact E2 prefix as balls: points p_i, values f(p_i), λ = κ, biases ln w_i + β (``near_cos`` is
    1 − h²/2 with h the rule's cell radius; only the near/far split of ``proofs.h0.enclosure`` reads it)."""
    c = construction
    functions = target_functions(c.params.target)
    points, weights = rule_balls(c.rule.name, c.m, c.size)
    with ctx.workprec(PRECISION_BITS):
        beta, h = sympy_number(c.beta), sympy_number(c.rule_constants()[0])
        return PrefixBalls(points, [[f(p) for f in functions] for p in points], sympy_number(c.kappa),
                           [w.log() + beta for w in weights], c.params.context, 1 - h * h / 2)


def initial_cells(m: int) -> list:
    """The first cover of the branch and bound: INITIAL_PER_EDGE cells per cube edge."""
    return dyadic_face_cells(m, INITIAL_PER_EDGE)


@dataclass(frozen=True)
class Bounds:
    """E2's bounds for one instance: κ, L, B, h̄ and m (exact), the leakage bound (exact sympy), G + M₂ (``second_order``:
    a float, None where the target has no second-order bound), and as balls the quadrature bound and
    S = min(L·E[ρ], (1 − A_m(κ))·(G + M₂)) ≥ sup ‖f_κ − f‖ (module doc); V1's L√(2(1 − A_m(κ))) at any precision."""

    m: int
    kappa: sympy.Rational
    lipschitz: sympy.Rational
    leakage: sympy.Expr
    quadrature: arb
    second_order: Optional[float]
    smoothing_error: arb

    @classmethod
    def of(cls, c: E2Construction) -> "Bounds":
        t = c.params.target
        kappa, lipschitz = sympy.Rational(c.kappa), sympy.Rational(t.lipschitz)
        h, w_min = c.rule_constants()
        leakage = c.exact(F.LEAK_BOUND.subs({F.kappa: c.kappa, F.h: h, F.w_min: w_min, F.beta: c.beta}))
        quadrature = means.quadrature_bound_arb(c.m, kappa, h, lipschitz, sympy.Rational(t.bound), PRECISION_BITS)
        second = second_order.second_order_constant(t)
        error = smoothing_error_arb(c.m, kappa, lipschitz, second, PRECISION_BITS)
        return cls(c.m, kappa, lipschitz, leakage, quadrature, second, error)

    def smoothing_error_at(self, bits: int) -> arb:
        return smoothing_error_arb(self.m, self.kappa, self.lipschitz, self.second_order, bits)

    def smoothing_at(self, bits: int) -> arb:
        return kernel.smoothing_bound_arb(self.m, self.kappa, self.lipschitz, bits)

    @property
    def smoothing(self) -> sympy.Expr:
        """V1's bound L√(2(1 − A_m(κ))), exact."""
        return F.SMOOTHING_BOUND.subs({F.kappa: self.kappa, F.L: self.lipschitz, F.m: self.m})

    @property
    def quadrature_room(self) -> float:
        """The threshold of u_err+leak: a float ≤ (quadrature bound) − S, the largest float when the room is beyond
        the float range (an astronomical bound: any cell meets it), +inf (no splitting for it) when there is no room or
        the bound is not finite (the claim then stays sampled). A threshold only guides the splitting."""
        with ctx.workprec(PRECISION_BITS):
            room = self.quadrature.lower() - self.smoothing_error.upper()
            if not (room.is_finite() and room > 0):
                return math.inf
            return lower(room) if room < arb(sys.float_info.max) else sys.float_info.max


@dataclass(frozen=True)
class Certified:
    """The branch and bound of PARTS and the bounds it was run against."""

    bounded: Bounded
    bounds: Bounds

    @property
    def quadrature_upper(self) -> float:
        """A float ≥ u_err+leak + S ≥ sup ‖Q_f/Q_1 − f_κ‖."""
        with ctx.workprec(PRECISION_BITS):
            return upper(arb(self.bounded.uppers[PARTS.index("error+leakage")]) + self.bounds.smoothing_error)

    def part_uppers(self) -> dict[str, float]:
        """Certified upper bounds of the split's sups, for the facts ``error_split.<part>.certified_upper``."""
        with ctx.workprec(PRECISION_BITS):
            leakage = upper(arb(self.bounded.uppers[PARTS.index("leakage/bound")]) * sympy_number(self.bounds.leakage))
        return {"smoothing": upper(self.bounds.smoothing_error), "quadrature": self.quadrature_upper, "leakage": leakage}

    def sup_facts(self) -> dict:
        """The certified facts of the JSON ``sup_error``."""
        b = self.bounded
        return {"certified_upper": b.uppers[PARTS.index("error")], "cells": b.cells, "decided": b.decided}

    @property
    def decides_split(self) -> bool:
        """Whether the balls alone decide E2.V1.smoothing and E2.V3.quadrature (then f_κ need not be sampled)."""
        return (smoothing_margin(self.bounds, PRECISION_BITS) < 0
                and self.quadrature_upper <= lower(self.bounds.quadrature))


def certify(construction: E2Construction, bounds: Bounds, budget: Budget, sup_only: bool = False) -> Certified:
    """One branch and bound of (‖H − f‖, ‖H − Q_f/Q_1‖, their sum) against (ε, the leakage bound, the quadrature room);
    with ``sup_only`` (E2.sup alone, ``decide.py``) the cells are split for ε only (below the constructed size the
    leakage bound may be unreachable, and splitting for it would spend the whole cell budget on a claim not asked)."""
    c = construction
    tree = groups.GroupedPrefix.of(prefix_balls(c))
    parts = groups.bounds_many(tree, target_functions(c.params.target))
    with ctx.workprec(PRECISION_BITS):
        leakage = sympy_number(bounds.leakage)

    def quantities(cells) -> list[tuple[arb, arb, arb]]:
        with ctx.workprec(PRECISION_BITS):
            return [(error, (leak / leakage).upper(), total) for error, leak, total in parts(cells)]

    thresholds = (float(c.params.eps), math.inf, math.inf) if sup_only else (float(c.params.eps), 1.0, bounds.quadrature_room)
    bounded = branch_and_bound(initial_cells(c.m), lambda cell: quantities([cell])[0], thresholds, lambda cell: cell.split(),
                               budget, many=quantities)
    return Certified(bounded, bounds)


def smoothing_error_arb(m: int, kappa: sympy.Rational, lipschitz: sympy.Rational, second: Optional[float], bits: int) -> arb:
    """A ball whose upper end bounds sup ‖f_κ − f‖ ≤ S = min(L·E[ρ], (1 − A_m(κ))·(G + M₂)) (module doc; L·E[ρ] alone
    where ``second``, G + M₂, is None or not finite)."""
    with ctx.workprec(bits):
        first = arb_rational(lipschitz) * means.mean_chord_arb(m, kappa, bits)
        if second is None or not math.isfinite(second):
            return first
        return first.min((1 - kernel.resultant_arb(m, kappa, bits)) * arb(second))


def smoothing_margin(bounds: Bounds, bits: int) -> arb:
    """A ball ∋ S − L√(2(1 − A_m(κ))) (negative: V1 certified)."""
    return bounds.smoothing_error_at(bits) - bounds.smoothing_at(bits)


def upgraded(claims: list[ClaimResult], certified: Certified, eps: sympy.Rational) -> list[ClaimResult]:
    """E2.sup, E2.V3.leakage, E2.V3.quadrature and E2.V1.smoothing upgraded where the balls decide them (module doc)."""
    b, bounds = certified.bounded, certified.bounds
    fix = "raise --cert-cells, or use a smaller --eps"
    decide = {
        "E2.sup": lambda claim: combine(claim, b, eps, "sup ‖H − f‖ ≤ ε", fix, PARTS.index("error")),
        "E2.V3.leakage": lambda claim: combine(claim, b, 1, "sup ‖H − Q_f/Q_1‖/its bound ≤ 1", fix,
                                               PARTS.index("leakage/bound")),
        "E2.V3.quadrature": lambda claim: quadrature_claim(claim, certified),
        "E2.V1.smoothing": lambda claim: smoothing_claim(claim, bounds),
    }
    return [decide[claim.id](claim) if claim.id in decide else claim for claim in claims]


def quadrature_claim(claim: ClaimResult, certified: Certified) -> ClaimResult:
    """E2.V3.quadrature upgraded where u_err+leak + S ≤ the quadrature bound; elsewhere the sampled claim stays, with
    the certified number (the cells ran out, or there is no room: a bound above it refutes nothing)."""
    bound = sympy.Rational(lower(certified.bounds.quadrature))
    u = certified.quadrature_upper
    if claim.verdict is Verdict.FAIL or not (math.isfinite(u) and sympy.Rational(u) <= bound):
        note = (f"certified ≤ {u:.6g} (u_err+leak + S) does not reach the quadrature bound "
                f"{float(bound):.6g}: the claim stays sampled")
        return replace(claim, detail="; ".join(filter(None, (claim.detail, note))))
    return combine(claim, replace(certified.bounded, uppers=(u,), texts=()), bound,
                   "sup ‖Q_f/Q_1 − f_κ‖ ≤ the quadrature bound", "raise --cert-cells")


def smoothing_claim(claim: ClaimResult, bounds: Bounds) -> ClaimResult:
    """E2.V1.smoothing from S ≤ L√(2(1 − A_m(κ))), decided by balls (module doc); the sampled claim where they do not."""
    second = ("" if bounds.second_order is None or not math.isfinite(bounds.second_order) else
              f" and ≤ (1 − A_m(κ))·(G + M₂), G + M₂ ≤ {bounds.second_order:.6g} (Taylor to second order on the ball; "
              "Df and the Hessians by branch and bound over boxes)")
    value, bound = ball_ends(bounds.smoothing_error, bounds.smoothing_at(PRECISION_BITS))
    decided = claim_le_certified(
        claim.id, claim.statement, value, bound, Kind.PROOF_STEP, "certified for every x: ‖f_κ(x) − f(x)‖ ≤ E‖f(y) − f(x)‖ ≤ L·E[ρ] (Lip(f) ≤ L: H.lipschitz)"
        + second + "; E[ρ] by acb.integral, A_m(κ) by arb Bessel functions (value and bound shown as the ends of their balls)",
        enclose=lambda bits: smoothing_margin(bounds, bits))
    return decided if decided.verdict is Verdict.PASS else claim
