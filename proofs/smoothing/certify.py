"""E2 certified: the quadrature prefix in ball form, one branch and bound for the sup error and the split, and the
split's claims from it.

E2's prefix is an H0 prefix with token-dependent biases: token i = (κ p_i, ln w_i + β, f(p_i)) with the rule's unit
points p_i and cell areas w_i (``rules.rule_balls``: balls containing the exact numbers of the rule's formulas), κ and β
enclosed from their exact sympy values. ``groups.enclose`` bounds, on every face cell, ‖H − f‖ and the leakage
‖H − Q_f/Q_1‖ from the same items (groups of tokens); ``verifier.branch_bound`` splits until each is below its
threshold or the cell budget ends. One pass decides (for every x ∈ S^m):

    E2.sup:             ‖H − f‖ ≤ u_err ≤ ε;
    E2.V3.leakage:      ‖H − Q_f/Q_1‖ ≤ u_leak ≤ B·T·e^{2−β−κ(1−h²/2)}/w_min;
    E2.V3.quadrature:   ‖Q_f/Q_1 − f_κ‖ ≤ ‖Q_f/Q_1 − H‖ + ‖H − f‖ + ‖f − f_κ‖ ≤ u_err+leak + L·E[ρ] ≤ the quadrature bound;
    E2.V1.smoothing:    ‖f_κ(x) − f(x)‖ ≤ E‖f(y) − f(x)‖ ≤ L·E[ρ] ≤ L√(2(1 − A_m(κ)))   (no cells: E[ρ] is the same at
                        every x; ``means.mean_chord_arb``), with L from H.lipschitz,

where u_err+leak is the branch and bound's bound of u_err + u_leak per cell and the quadrature bound is enclosed by
``means.quadrature_bound_arb``. A claim the balls do not decide keeps its sampled verdict (``verifier.certify.combine``).
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
from verifier.claims import ClaimResult, Kind, Verdict, claim_le_certified, decimal_text
from verifier.targets import Target

from proofs.h0.enclosure import PrefixBalls

from . import formulas as F
from . import groups, kernel, means
from .construction import E2Construction
from .rules import rule_balls

INITIAL_PER_EDGE = 2  # the first cover: 2 × 2^m... face cells; the grouped enclosure adapts, so the cover can be coarse
AUTO_MAX_DIM = 2  # --evidence auto certifies on S^1 and S^2 (S^2, ε = 0.3: about 1 300 cells for E2.sup)
ROOM_MAX_DIM = 1  # the branch and bound splits for the quadrature room only on S^1: on S^2 (ε = 0.3) the room is ε/4,
# which takes ~16 times the cells of ε (the bound of ‖H − f‖ shrinks with the cells' radius); there the room decides
# E2.V3.quadrature only where the cells split for ε and the leakage happen to reach it, else f_κ is sampled
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
    """E2's bounds for one instance: κ, L, B, h̄ and m (exact), the leakage bound (exact sympy), and as balls the quadrature
    bound and L·E[ρ] (≥ sup ‖f_κ − f‖); V1's L√(2(1 − A_m(κ))) at any precision."""

    m: int
    kappa: sympy.Rational
    lipschitz: sympy.Rational
    leakage: sympy.Expr
    quadrature: arb
    mean_error: arb

    @classmethod
    def of(cls, c: E2Construction) -> "Bounds":
        t = c.params.target
        kappa, lipschitz = sympy.Rational(c.kappa), sympy.Rational(t.lipschitz)
        h, w_min = c.rule_constants()
        leakage = c.exact(F.LEAK_BOUND.subs({F.kappa: c.kappa, F.h: h, F.w_min: w_min, F.beta: c.beta}))
        quadrature = means.quadrature_bound_arb(c.m, kappa, h, lipschitz, sympy.Rational(t.bound), PRECISION_BITS)
        with ctx.workprec(PRECISION_BITS):
            mean_error = arb_rational(lipschitz) * means.mean_chord_arb(c.m, kappa, PRECISION_BITS)
        return cls(c.m, kappa, lipschitz, leakage, quadrature, mean_error)

    def mean_error_at(self, bits: int) -> arb:
        with ctx.workprec(bits):
            return arb_rational(self.lipschitz) * means.mean_chord_arb(self.m, self.kappa, bits)

    def smoothing_at(self, bits: int) -> arb:
        return kernel.smoothing_bound_arb(self.m, self.kappa, self.lipschitz, bits)

    @property
    def smoothing(self) -> sympy.Expr:
        """V1's bound L√(2(1 − A_m(κ))), exact."""
        return F.SMOOTHING_BOUND.subs({F.kappa: self.kappa, F.L: self.lipschitz, F.m: self.m})

    @property
    def quadrature_room(self) -> float:
        """The threshold of u_err+leak: a float ≤ (quadrature bound) − L·E[ρ], the largest float when the room is beyond
        the float range (an astronomical bound: any cell meets it), +inf (no splitting for it) when there is no room or
        the bound is not finite (the claim then stays sampled). A threshold only guides the splitting."""
        with ctx.workprec(PRECISION_BITS):
            room = self.quadrature.lower() - self.mean_error.upper()
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
        """A float ≥ u_err+leak + L·E[ρ] ≥ sup ‖Q_f/Q_1 − f_κ‖."""
        with ctx.workprec(PRECISION_BITS):
            return upper(arb(self.bounded.uppers[PARTS.index("error+leakage")]) + self.bounds.mean_error)

    def part_uppers(self) -> dict[str, float]:
        """Certified upper bounds of the split's sups, for the facts ``error_split.<part>.certified_upper``."""
        with ctx.workprec(PRECISION_BITS):
            leakage = upper(arb(self.bounded.uppers[PARTS.index("leakage/bound")]) * sympy_number(self.bounds.leakage))
        return {"smoothing": upper(self.bounds.mean_error), "quadrature": self.quadrature_upper, "leakage": leakage}

    def sup_facts(self) -> dict:
        """The certified facts of the JSON ``sup_error``."""
        b = self.bounded
        return {"certified_upper": b.uppers[PARTS.index("error")], "cells": b.cells, "decided": b.decided}

    @property
    def decides_split(self) -> bool:
        """Whether the balls alone decide E2.V1.smoothing and E2.V3.quadrature (then f_κ need not be sampled)."""
        return (smoothing_margin(self.bounds, PRECISION_BITS) < 0
                and self.quadrature_upper <= lower(self.bounds.quadrature))


def certify(construction: E2Construction, bounds: Bounds, budget: Budget) -> Certified:
    """One branch and bound of (‖H − f‖, ‖H − Q_f/Q_1‖, their sum) against (ε, the leakage bound, the quadrature room)."""
    c = construction
    tree = groups.GroupedPrefix.of(prefix_balls(c))
    parts = groups.bounds(tree, target_functions(c.params.target))
    with ctx.workprec(PRECISION_BITS):
        leakage = sympy_number(bounds.leakage)

    def quantities(cell) -> tuple[arb, arb, arb]:
        error, leak, total = parts(cell)
        with ctx.workprec(PRECISION_BITS):
            return error, (leak / leakage).upper(), total

    thresholds = (float(c.params.eps), 1.0, bounds.quadrature_room if c.m <= ROOM_MAX_DIM else math.inf)
    bounded = branch_and_bound(initial_cells(c.m), quantities, thresholds, lambda cell: cell.split(), budget)
    return Certified(bounded, bounds)


def smoothing_margin(bounds: Bounds, bits: int) -> arb:
    """A ball ∋ L·E[ρ] − L√(2(1 − A_m(κ))) (negative: V1 certified)."""
    return bounds.mean_error_at(bits) - bounds.smoothing_at(bits)


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
    """E2.V3.quadrature upgraded where u_err+leak + L·E[ρ] ≤ the quadrature bound; elsewhere the sampled claim stays, with
    the certified number: on S^m with m > ROOM_MAX_DIM the cells were not split for it, so a bound above it refutes nothing."""
    bound = sympy.Rational(lower(certified.bounds.quadrature))
    u = certified.quadrature_upper
    if claim.verdict is Verdict.FAIL or not (math.isfinite(u) and sympy.Rational(u) <= bound):
        note = (f"certified ≤ {u:.6g} (u_err+leak + L·E[ρ]) does not reach the quadrature bound "
                f"{float(bound):.6g}: the claim stays sampled")
        return replace(claim, detail="; ".join(filter(None, (claim.detail, note))))
    return combine(claim, replace(certified.bounded, uppers=(u,), texts=()), bound,
                   "sup ‖Q_f/Q_1 − f_κ‖ ≤ the quadrature bound", "raise --cert-cells")


def smoothing_claim(claim: ClaimResult, bounds: Bounds) -> ClaimResult:
    """E2.V1.smoothing from L·E[ρ] ≤ L√(2(1 − A_m(κ))), decided by balls (module doc); the sampled claim where they do not."""
    decided = claim_le_certified(
        claim.id, claim.statement, sympy.Float(decimal_text(bounds.mean_error.upper()), 20), bounds.smoothing,
        Kind.PROOF_STEP, "certified for every x: ‖f_κ(x) − f(x)‖ ≤ E‖f(y) − f(x)‖ ≤ L·E[ρ] (Lip(f) ≤ L: H.lipschitz), "
        "E[ρ] by acb.integral, A_m(κ) by arb Bessel functions", enclose=lambda bits: smoothing_margin(bounds, bits))
    return decided if decided.verdict is Verdict.PASS else claim
