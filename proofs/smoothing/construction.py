"""E2's construction: κ from ε, the rule's size from the quadrature bound, the prefix, and the
evaluator of H − f = (f_κ − f) + (Q_f/Q_1 − f_κ) + (H − Q_f/Q_1)  (smoothing + quadrature + leakage).

Prefix token i = (κ p_i, ln w_i + β, f(p_i)); with T content tokens of score ⟨x, x⟩ + 1 = 2,
H(x) = Q_f(x)/(Q_1(x) + T e^{2−β}), Q_f = Σ w_i e^{κ⟨x,p_i⟩} f(p_i), Q_1 = Σ w_i e^{κ⟨x,p_i⟩}.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Optional

import mpmath
import numpy as np
import sympy

from verifier.attention import ClosedForm, Prefix
from verifier.ball import lower, upper
from verifier.branch_bound import Bounded
from verifier.budget import Budget, scan_chunk_rows
from verifier.domains import Sphere, to_sphere_mp
from verifier.errors import InputError
from verifier.precision import exact_to_mp
from verifier.reproducible import matmul
from verifier.supnorm import SupResult, sup_search

from proofs.h0.evaluator import H0Evaluator
from proofs.h0.inputs import H0Instance
from proofs.h0.construction import H0Construction

from . import formulas as F
from . import kernel
from .rules import QuadratureRule, constants_arb, minimal_size, rule

MAX_SIZE = 1 << 16


@dataclass(frozen=True)
class E2Parameters(H0Instance):
    """A validated instance of E2."""

    rule: str
    size: int  # the rule's size
    size_source: str  # "given", or how it was derived ("quadrature bound", "few-nodes tamper")
    tamper: Optional[str]
    evidence: str = "auto"  # --evidence: auto and certified certify E2.sup by branch and bound (certify.py)
    budget: Budget = Budget()
    proved: Mapping[str, Bounded] = field(default_factory=dict, compare=False)  # hypotheses certified by `auto`

    def to_json(self) -> dict:
        return {**super().to_json(), "rule": self.rule, "size": self.size, "size_source": self.size_source,
                "tamper": self.tamper, "evidence_mode": self.evidence, "cert_cells": self.budget.cells,
                "max_seconds": self.budget.max_seconds}


def cell_radius_f64(name: str, m: int, size: int) -> float:
    """h of a rule in float64, without building it (for the size search; the claims use the rule's own
    mpmath h, and a test checks that the two agree)."""
    if name == "partition":
        return np.sqrt(m) / size
    if m == 1:
        return 2 * np.sin(np.pi / (2 * size))
    z, omega = np.polynomial.legendre.leggauss(size)
    edges = np.clip(np.concatenate([[-1.0], -1 + np.cumsum(omega)]), -1, 1)
    s = np.sqrt(1 - z**2)
    half = np.pi / (2 * size)
    inner = np.minimum(z * edges[:-1] + s * np.sqrt(1 - edges[:-1] ** 2) * np.cos(half),
                       z * edges[1:] + s * np.sqrt(1 - edges[1:] ** 2) * np.cos(half))
    return float(np.sqrt(np.max(2 - 2 * inner)))


def kappa_of(params: E2Parameters) -> sympy.Expr:
    """κ(ε) = 2ac/(1−a²) (exact), or 1 under the small-kappa tamper."""
    if params.tamper == "small-kappa":
        return sympy.Integer(1)
    t = params.target
    return sympy.simplify(F.KAPPA.subs({F.eps: params.eps, F.L: t.lipschitz, F.m: params.dim}))


def smallest_rule_size(params: E2Parameters) -> int:
    """The smallest rule size whose quadrature bound (float64 search, with a 10⁻⁶ relative margin that the
    claim's mpmath value then confirms) is ≤ ε_q = 11ε/20: doubling, then bisection (the bound grows with h
    and h falls with the size). The few-nodes tamper takes the smallest rule instead."""
    m, name, t = params.dim, params.rule, params.target
    if params.tamper == "few-nodes":
        return minimal_size(name, m)
    kappa_value = float(sympy.N(kappa_of(params), 17))
    budget = float(F.SHARES[1].subs(F.eps, params.eps)) * (1 - 1e-6)

    def enough(size: int) -> bool:
        return F.quadrature_bound(m, kappa_value, cell_radius_f64(name, m, size), float(t.lipschitz), float(t.bound),
                                  float64=True) <= budget

    low, high = minimal_size(name, m) - 1, max(minimal_size(name, m), 4)
    while not enough(high):
        low, high = high, 2 * high
        if high > MAX_SIZE:
            raise InputError(f"no {name} rule up to size {MAX_SIZE} meets the quadrature bound; use a larger --eps")
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if enough(mid) else (mid, high)
    return high


@dataclass(frozen=True)
class E2Construction(H0Construction):
    """κ, the rule and the prefix of an instance (or a deliberately broken one under ``tamper``)."""

    params: E2Parameters

    def exact(self, expr) -> sympy.Expr:
        p = self.params
        return sympy.sympify(expr).subs({F.eps: p.eps, F.L: p.target.lipschitz, F.B: p.target.bound, F.T: p.context, F.m: p.dim})

    @cached_property
    def kappa(self) -> sympy.Expr:
        return kappa_of(self.params)

    def kappa_mp(self) -> mpmath.mpf:
        return exact_to_mp(self.kappa)

    @property
    def size(self) -> int:
        return self.params.size

    @cached_property
    def rule(self) -> QuadratureRule:
        return rule(self.params.rule, self.m, self.size)

    @property
    def prefix_length(self) -> int:
        return self.rule.prefix_length

    def beta_of(self, h, w_min) -> sympy.Expr:
        return self.exact(F.OFFSET.subs({F.kappa: self.kappa, F.h: h, F.w_min: w_min}))

    def rule_constants(self) -> tuple[sympy.Rational, sympy.Rational]:
        """(h̄, w̲): rationals with h ≤ h̄ and w_min ≥ w̲, the float end points of the rule's arb balls
        (rules.constants_arb); the bounds of V3 grow with h and the leakage bound falls with w_min, so every
        bound stays valid with them."""
        return self._rule_constants

    @cached_property
    def _rule_constants(self) -> tuple[sympy.Rational, sympy.Rational]:
        h, w_min = constants_arb(self.rule.name, self.m, self.size)
        return sympy.Rational(upper(h)), sympy.Rational(lower(w_min))

    @cached_property
    def beta(self) -> sympy.Expr:
        return self.beta_of(*self.rule_constants())

    def build_prefix_mp(self) -> tuple[list, Prefix]:
        """(the rule's points, the prefix (κp_i, ln w_i + β, f(p_i))) at the current precision (cached per precision
        by ``at_precision``)."""
        points, weights, _ = self.rule.at_precision()
        k = self.kappa_mp()
        b = exact_to_mp(self.beta)
        return points, Prefix(keys=[[k * c for c in p] for p in points], biases=[mpmath.log(w) + b for w in weights],
                              values=[self.params.target.mp(p) for p in points])


class E2Evaluator(H0Evaluator):
    """‖H − f‖ and the norms of its three parts, through the derived closed form of the head."""

    def __init__(self, construction: E2Construction, closed_form: ClosedForm):
        super().__init__(construction, closed_form)
        self._smoothed: dict = {}

    def _search_options(self) -> dict:
        p = self.c.params
        return dict(sphere=Sphere(p.dim), policy=p.policy, seed=p.seed, scan_points=p.points,
                    extra_points=self.rule_candidates(), chunk_rows=scan_chunk_rows(self.c.prefix_length + self.T))

    def rule_candidates(self) -> np.ndarray:
        """The rule's points, extra candidates of the scan: all of them up to --points, else every k-th, k = ⌈N/points⌉
        (so the scan evaluates at most 2·points rows of N tokens however long the prefix: at m = 2, ε = 0.3, 15 953 rows
        instead of 47 762)."""
        points = self.c.rule.float64[0]
        return points[::-(-len(points) // self.c.params.points)]

    def head_sups(self) -> dict[str, SupResult]:
        """Sampled sups of ‖H − f‖ and the leakage ‖H − Q_f/Q_1‖, from the head alone: mpmath at the best refined point of
        each (float64 agrees with mpmath to 10⁻⁸ there, so the float64 ranking picks it; each mpmath evaluation at both
        precisions costs seconds at N = 39 762 tokens)."""
        return sup_search(lambda X: self.parts_f64(X, smoothed=False), lambda x: self.parts_mp(x, smoothed=False),
                          ("error", "leakage"), verify=1, **self._search_options())

    def smoothed_sups(self) -> dict[str, SupResult]:
        """Sampled sups of the smoothing and quadrature parts, which need f_κ (by mpmath.quad at the verified points:
        the costly part, so one point each; skipped where the certified bounds decide both claims)."""
        return sup_search(self.parts_f64, self.parts_mp, ("smoothing", "quadrature"), verify=1, **self._search_options())

    def parts_f64(self, X: np.ndarray, smoothed: bool = True) -> dict[str, np.ndarray]:
        terms = self.terms_f64(X, self.c.float64[1])
        wp, vp, fx = terms.prefix_weights, terms.prefix_values, terms.target
        prefix = matmul(wp, vp)  # Σ_i w_i ν_i, shared by H (HeadTerms.output_f64's sum) and Q_f/Q_1
        ratio = prefix / wp.sum(axis=1, keepdims=True)  # Q_f/Q_1: the prefix tokens alone
        # H − Q_f/Q_1 = Σ_c w_c (ν_c − Q_f/Q_1): no cancellation, however small the content weights
        vectors = {"error": prefix + terms.content_sum_f64() - fx,
                   "leakage": np.einsum("pt,ptd->pd", terms.content_weights, terms.content_values - ratio[:, None, :])}
        if smoothed:
            f_kappa = kernel.smoothed_f64(self.target, X, float(self.c.kappa))
            vectors.update(smoothing=f_kappa - fx, quadrature=ratio - f_kappa)
        return {k: np.linalg.norm(v, axis=1) for k, v in vectors.items()}

    def parts_mp(self, x, smoothed: bool = True) -> dict[str, mpmath.mpf]:
        xm = to_sphere_mp(x)
        terms = self.terms_mp(xm, self.c.at_precision()[1])
        wp, vp, wc, vc, fx = terms.prefix_weights, terms.prefix_values, terms.content_weights, terms.content_values, terms.target
        d = self.target.d
        prefix = [mpmath.fdot(wp, [v[i] for v in vp]) for i in range(d)]  # Σ_i w_i ν_i, shared by H and Q_f/Q_1
        head = [p + mpmath.fdot(wc, [v[i] for v in vc]) for i, p in enumerate(prefix)]
        total = mpmath.fsum(wp)
        ratio = [p / total for p in prefix]
        diff = lambda a, b: mpmath.norm([u - v for u, v in zip(a, b)])  # noqa: E731
        parts = {"error": diff(head, fx),
                 "leakage": mpmath.norm([mpmath.fsum(w * (v[i] - ratio[i]) for w, v in zip(wc, vc)) for i in range(d)])}
        if smoothed:
            f_kappa = self.smoothed_mp(xm)
            parts.update(smoothing=diff(f_kappa, fx), quadrature=diff(ratio, f_kappa))
        return parts

    def smoothed_mp(self, xm: list) -> list:
        key = (tuple(float(v) for v in xm), mpmath.mp.dps)
        if key not in self._smoothed:
            self._smoothed[key] = kernel.smoothed_mp(self.target, xm, self.c.kappa_mp())
        return self._smoothed[key]
