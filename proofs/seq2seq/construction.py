"""S1's construction: for a ridge form and ε, the prefixed transformer of depth 3Q with the ε budget split.

Per term q = 1..Q (registers u_q, s_q and the output register y):

    psi_q (token-wise, reads x, writes u_q):  h_p = ψ_{p,q} on I = [0, 1],        accuracy ε_ψ,q, Z = 1;
    mix_q (mixing, reads u_q, writes s_q):    s_q = Σ_c u_q(c) at every position (exact);
    phi_q (token-wise, reads s_q, writes y):  h_p = Φ_{p,q} on I_q = [S_min − nε_ψ, S_max + nε_ψ], accuracy ε_Φ,q,
                                              Z = max(|lo|, |hi|) of I_q.

Since |u_q(c) − ψ_{c,q}(x_c)| ≤ ε_ψ,q at every c, s_q lies within nε_ψ,q ≤ ρ of S_q(x) ∈ [S_min, S_max], hence in I_q
⊆ D_q, and |Φ_{p,q}(s_q) − Φ_{p,q}(S_q)| ≤ L_Φ,q·n·ε_ψ,q. So at every position j

    |y_j − g_j(x)| ≤ Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q) =: propagated bound ≤ ε     (formulas.split_claim).

Each token-wise head is built by E1-I (formulas) with L_h = max(L, ε_h) (any constant ≥ L is one) and
B_h = max(ε_h, max_p (|h_p(mid I)| + L·ℓ/2)) over the h_p ≠ 0 (a bound on |h_p| on I from the Lipschitz hypothesis).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Optional

import numpy as np
import sympy

from . import formulas as F
from .prefix import TokenwisePrefix, Z
from .ridge import T, RidgeForm, values_numpy
from .stream import Layer, Stream, mixing_head, single_token_head, tokenwise_head
from .transformer import Transformer



@dataclass(frozen=True)
class HeadPlan:
    """One token-wise head of E1-I with every constant exact."""

    name: str
    read: str
    write: str
    targets: tuple[sympy.Expr, ...]  # h_1..h_n in Z
    lo: sympy.Rational
    hi: sympy.Rational
    lipschitz_claimed: sympy.Rational
    accuracy: sympy.Rational  # ε_h
    key_bound: sympy.Rational  # Z

    @property
    def n(self) -> int:
        return len(self.targets)

    @cached_property
    def targets_mp(self) -> tuple:
        """h_1..h_n as functions at the current mpmath precision."""
        return tuple(sympy.lambdify(Z, h, "mpmath") for h in self.targets)

    def targets_numpy(self, z: np.ndarray, p: np.ndarray) -> np.ndarray:
        """h_{p_k}(z_k) in float64 for positions p (0-based), z and p of one shape."""
        out = np.empty(np.shape(z))
        for q, h in enumerate(self.targets):
            out[p == q] = values_numpy(h, z[p == q], Z)
        return out

    @cached_property
    def lipschitz(self) -> sympy.Rational:
        return sympy.Max(self.lipschitz_claimed, self.accuracy)

    @cached_property
    def bound(self) -> sympy.Expr:
        mid, half = (self.lo + self.hi) / 2, (self.hi - self.lo) / 2
        values = [abs(h.subs(Z, mid)) + self.lipschitz_claimed * half for h in self.targets if h != 0]
        return sympy.Max(self.accuracy, *values)

    @cached_property
    def substitutions(self) -> dict:
        return {F.eps_h: self.accuracy, F.L: self.lipschitz, F.B: self.bound, F.Z: self.key_bound, F.n: self.n,
                F.ell: self.hi - self.lo}

    def exact(self, expr) -> sympy.Expr:
        return sympy.sympify(expr).subs(self.substitutions)

    @cached_property
    def cells(self) -> int:
        return int(self.exact(F.CELLS))

    @cached_property
    def lam(self) -> sympy.Expr:
        return self.exact(F.TEMPERATURE.subs(F.K, self.cells))

    @cached_property
    def gamma(self) -> sympy.Expr:
        return self.exact(F.SELECTION.subs({F.K: self.cells, F.lam: self.lam}))

    @cached_property
    def beta(self) -> sympy.Expr:
        return self.exact(F.OFFSET.subs({F.K: self.cells, F.lam: self.lam, F.gamma: self.gamma}))

    @property
    def prefix_length(self) -> int:
        return self.n * (self.cells + 1)

    def budget(self, gamma: Optional[sympy.Expr] = None) -> tuple[sympy.Expr, ...]:
        """The four part bounds of E1-I with this head's constants (γ replaced under a tamper)."""
        gamma = self.gamma if gamma is None else gamma
        values = {F.K: self.cells, F.lam: self.lam, F.gamma: gamma, F.beta: self.beta}
        return tuple(self.exact(part.subs(values)) for part in F.BUDGET)

    def goals(self) -> tuple[sympy.Expr, ...]:
        return tuple(self.exact(goal) for goal in F.GOALS)

    def prefix(self, gamma: Optional[sympy.Expr] = None) -> TokenwisePrefix:
        return TokenwisePrefix(self.lo, self.hi, self.cells, self.lam, self.beta, self.gamma if gamma is None else gamma,
                               self.targets)

    def to_json(self) -> dict:
        number = lambda e: float(sympy.N(e, 17))  # noqa: E731
        return {"name": self.name, "interval": [number(self.lo), number(self.hi)], "accuracy": number(self.accuracy),
                "lipschitz": number(self.lipschitz), "bound": number(self.bound), "key_bound": number(self.key_bound),
                "cells": self.cells, "prefix_length": self.prefix_length, "lambda": number(self.lam),
                "gamma": number(self.gamma), "beta": number(self.beta)}


@dataclass(frozen=True)
class Construction:
    """The transformer for (form, ε), the plan of every token-wise head and the budget."""

    form: RidgeForm
    eps: sympy.Rational
    tamper: Optional[str] = None

    @property
    def n(self) -> int:
        return self.form.n

    def accuracies(self, q: int) -> tuple[sympy.Expr, sympy.Expr]:
        """(ε_ψ,q, ε_Φ,q) for term q (0-based)."""
        values = {F.eps: self.eps, F.Q: self.form.Q, F.n: self.n}
        L_phi = self.form.lip_outer[q]
        outer = F.OUTER_ACCURACY.subs(values)
        inner = F.MARGIN / self.n if L_phi == 0 else F.INNER_ACCURACY.subs({**values, F.L_phi: L_phi})
        return sympy.nsimplify(inner), outer

    @cached_property
    def propagated_bound(self) -> sympy.Expr:
        """Σ_q (ε_Φ,q + L_Φ,q·n·ε_ψ,q)."""
        total = sympy.Integer(0)
        for q in range(self.form.Q):
            inner, outer = self.accuracies(q)
            total += outer + self.form.lip_outer[q] * self.n * inner
        return total

    @cached_property
    def plans(self) -> tuple[HeadPlan, ...]:
        plans = []
        for q in range(self.form.Q):
            inner, outer = self.accuracies(q)
            plans.append(HeadPlan(f"psi{q + 1}", "x", f"u{q + 1}", tuple(f.subs(T, Z) for f in self.form.inner[q]),
                                  sympy.Integer(0), sympy.Integer(1), self.form.lip_inner[q], inner, sympy.Integer(1)))
            s_lo, s_hi = self.form.inner_range(q)
            lo, hi = s_lo - self.n * inner, s_hi + self.n * inner
            plans.append(HeadPlan(f"phi{q + 1}", f"s{q + 1}", "y", tuple(f.subs(T, Z) for f in self.form.outer[q]),
                                  lo, hi, self.form.lip_outer[q], outer, sympy.Max(abs(lo), abs(hi))))
        return tuple(plans)

    @cached_property
    def plan(self) -> dict[str, HeadPlan]:
        return {p.name: p for p in self.plans}

    @property
    def total_prefix_length(self) -> int:
        return sum(p.prefix_length for p in self.plans) - (self.plan["phi1"].prefix_length if self.tamper == "drop-prefix" else 0)

    @cached_property
    def stream(self) -> Stream:
        Q = self.form.Q
        return Stream(self.n, tuple(f"u{q}" for q in range(1, Q + 1)) + tuple(f"s{q}" for q in range(1, Q + 1)) + ("y",))

    @cached_property
    def transformer(self) -> Transformer:
        """Three layers per term; under a tamper: phi1 without prefix, γ = 0, or mixing heads that see one token."""
        layers = []
        gamma = sympy.Integer(0) if self.tamper == "small-gamma" else None
        for q in range(1, self.form.Q + 1):
            for name in (f"psi{q}", f"mix{q}", f"phi{q}"):
                if name.startswith("mix"):
                    make = single_token_head if self.tamper == "single-token-mixing" else mixing_head
                    layers.append(Layer(name, "mixing", f"u{q}", f"s{q}", make(self.stream, f"u{q}", f"s{q}")))
                    continue
                plan = self.plan[name]
                prefix = None if (self.tamper == "drop-prefix" and name == "phi1") else plan.prefix(gamma)
                layers.append(Layer(name, "tokenwise", plan.read, plan.write, tokenwise_head(self.stream, plan.read, plan.write),
                                    prefix))
        return Transformer(self.stream, tuple(layers))
