"""E1's construction: validated parameters and the prefix (λp_i, β, f(p_i)) on the cube-surface grid.

    r = ε/(2L),  δ = r/√2,  n = ⌈√m/δ⌉,  N = (n+1)^(m+1) − (n−1)^(m+1),
    λ = (4/r²)·ln(8BN/ε),   β = max(0, 2 + ln(4T(B+V_c)/ε) − λ(1 − δ²/2)),
    prefix token i = (λ p_i, β, f(p_i))   (formulas.py holds each formula once).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Optional

import mpmath
import sympy

from verifier.attention import Prefix
from verifier.branch_bound import Bounded
from verifier.budget import Budget
from verifier.precision import exact_to_mp

from proofs.h0.inputs import H0Instance
from proofs.h0.construction import H0Construction
from proofs.h0.target import DEFAULT_TARGET

from . import formulas as F
from .grid import CubeSurfaceGrid

CERTIFIED_DEFAULT = {"target": DEFAULT_TARGET[0], "lipschitz": "auto", "bound": "auto"}


@dataclass(frozen=True)
class E1Parameters(H0Instance):
    """A validated instance of E1 (everything exact where the math is exact)."""

    tamper: Optional[str]
    grid: Optional[int] = None  # n overriding ⌈√m/δ⌉ (N, λ, β re-derived from it): the sweep's construction family
    evidence: str = "auto"
    budget: Budget = Budget()
    tight: bool = False
    proved: Mapping[str, Bounded] = field(default_factory=dict, compare=False)  # hypotheses certified by `auto`

    @property
    def certify(self) -> bool:
        """Whether certification is attempted (``--evidence`` auto or certified)."""
        return self.evidence != "sampled"

    @property
    def substitutions(self) -> dict:
        """Values of the E1 symbols; V_c = 0 because H0's content value W_V e(u) is 0 (claim H0.closed-form)."""
        return {F.eps: self.eps, F.L: self.target.lipschitz, F.B: self.target.bound, F.T: self.context, F.V_c: 0, F.m: self.dim}

    def exact(self, expr) -> sympy.Expr:
        """An E1 formula with this instance's exact values substituted."""
        return sympy.sympify(expr).subs(self.substitutions)

    def to_json(self) -> dict:
        return {
            **super().to_json(), "tamper": self.tamper, "grid": self.grid, "evidence_mode": self.evidence,
            "cert_cells": self.budget.cells, "max_seconds": self.budget.max_seconds, "tight": self.tight,
        }


@dataclass(frozen=True)
class E1Construction(H0Construction):
    """The E1 prefix for an instance (or a deliberately broken one when ``params.tamper`` is set)."""

    params: E1Parameters

    @cached_property
    def n(self) -> int:
        return self.params.grid or int(self.exact(F.CELLS))

    @cached_property
    def N(self) -> int:
        """The theorem's prefix length N = (n+1)^(m+1) − (n−1)^(m+1)."""
        return int(self.exact(F.PREFIX_LENGTH.subs(F.n, self.n)))

    @cached_property
    def N_bound(self) -> int:
        """The theorem's bound 2(m+1)(n+1)^m on N."""
        return int(self.exact(F.PREFIX_LENGTH_BOUND.subs(F.n, self.n)))

    @cached_property
    def grid(self) -> CubeSurfaceGrid:
        return CubeSurfaceGrid.build(self.m, self.n)

    def exact(self, expr) -> sympy.Expr:
        return self.params.exact(expr)

    @cached_property
    def lam(self) -> sympy.Expr:
        """λ used: (4/r²)·ln(8BN/ε), or 1 under the small-lambda tamper."""
        return sympy.Integer(1) if self.params.tamper == "small-lambda" else self.exact(F.TEMPERATURE.subs(F.N, self.N))

    @cached_property
    def beta(self) -> sympy.Expr:
        return self.exact(F.OFFSET.subs(F.lam, self.lam))

    @cached_property
    def r(self) -> sympy.Expr:
        return self.exact(F.R)

    @cached_property
    def delta(self) -> sympy.Expr:
        return self.exact(F.DELTA)

    @property
    def value_sign(self) -> int:
        return -1 if self.params.tamper == "wrong-values" else 1

    def points_mp(self) -> list[list]:
        """Prefix points p_i at the current precision: the cube-surface grid (or a regular simplex of
        m+2 points under the short-prefix tamper)."""
        if self.params.tamper == "short-prefix":
            return regular_simplex_mp(self.m)
        return self.grid.sphere_points_mp()

    def build_prefix_mp(self) -> tuple[list, Prefix]:
        """(points, prefix) at the current mpmath precision (cached per precision by ``at_precision``)."""
        lam, beta = exact_to_mp(self.lam), exact_to_mp(self.beta)
        points = self.points_mp()
        f = self.params.target
        return points, Prefix(
            keys=[[lam * c for c in p] for p in points],
            biases=[beta] * len(points),
            values=[[self.value_sign * v for v in f.mp(p)] for p in points],
        )


def regular_simplex_mp(m: int) -> list[list]:
    """m+2 vertices of a regular simplex inscribed in S^m, at the current precision:
    e_1..e_(m+1) and c·(1,…,1) with c = (1 − √(m+2))/(m+1), centred and normalised."""
    k = m + 1
    c = (1 - mpmath.sqrt(k + 1)) / k
    vertices = [[mpmath.mpf(int(i == j)) for j in range(k)] for i in range(k)] + [[c] * k]
    centre = [mpmath.fsum(v[j] for v in vertices) / (k + 1) for j in range(k)]
    out = []
    for v in vertices:
        w = [a - b for a, b in zip(v, centre)]
        norm = mpmath.norm(w)
        out.append([a / norm for a in w])
    return out


# Cost model of one check (seconds, bytes), fitted on this 2-core machine to
# `verifier check single-head --eps 0.05 [--dps 100|300|1000] [--points 200000] [--context 1000|10000]`,
