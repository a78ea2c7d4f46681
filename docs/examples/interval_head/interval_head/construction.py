"""The instance and the prefix: the target h on [0, 1], the grid a_i = i/K and the tokens (λa_i, −λa_i²/2, h(a_i)).

The head reads a query z as e(z) = (z, 1, 0) and a token (k, b, v) with score z·k + b and value v, so
prefix token i scores

    σ_i(z) = λ·a_i·z − λ·a_i²/2 = λz²/2 − λ(z − a_i)²/2,

and λz²/2 is the same for every token: the softmax weights are a Gaussian in the distance z − a_i.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Optional

import mpmath
import numpy as np
import sympy

from verifier.attention import Prefix
from verifier.errors import InputError
from verifier.expressions import read_expression
from verifier.inputs import clip, parse_number
from verifier.precision import PrecisionPolicy, exact_to_mp

from . import formulas as F

Z = sympy.Symbol("z", real=True)


@dataclass(frozen=True)
class Target:
    """h: [0, 1] → R read from text by the safe reader (variable z), with its claimed L and B."""

    text: str
    expr: sympy.Expr
    lipschitz: sympy.Rational
    bound: sympy.Rational

    @classmethod
    def parse(cls, text: str, lipschitz, bound) -> "Target":
        components = read_expression(text, {"z": Z}, "--target")
        if len(components) != 1:
            raise InputError(f"--target {clip(text)} has {len(components)} components; give one expression in z")
        expr = components[0]
        if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo, sympy.I):
            raise InputError(f"--target {clip(text)} is not a finite real expression; give one defined on [0, 1]")
        return cls(text, expr, parse_number(lipschitz, "--lipschitz"), parse_number(bound, "--bound"))

    @cached_property
    def _numpy(self):
        return sympy.lambdify(Z, self.expr, "numpy")  # an expression the reader built, never a string

    @cached_property
    def _mp(self):
        return sympy.lambdify(Z, self.expr, "mpmath")

    def numpy(self, z: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self._numpy(np.asarray(z, float)), float), np.shape(z)).copy()

    def mp(self, z) -> mpmath.mpf:
        return mpmath.mpf(self._mp(mpmath.mpf(z)))


@dataclass(frozen=True)
class Parameters:
    """A validated instance (exact where the math is exact)."""

    eps: sympy.Rational
    target: Target
    policy: PrecisionPolicy
    points: int
    tamper: Optional[str]
    grid: Optional[int] = None  # K overriding ⌈√2·L/ε⌉ (N and λ re-derived): the family `verifier sweep` bisects

    def exact(self, expr) -> sympy.Expr:
        """A formula of formulas.py with this instance's ε, L, B substituted."""
        return sympy.sympify(expr).subs({F.eps: self.eps, F.L: self.target.lipschitz, F.B: self.target.bound})

    def to_json(self) -> dict:
        return {"dim": 1, "eps": float(self.eps), "eps_exact": str(self.eps), "target": self.target.text,
                "lipschitz": float(self.target.lipschitz), "bound": float(self.target.bound), "points": self.points,
                **self.policy.to_json(), "tamper": self.tamper, "grid": self.grid}


@dataclass(frozen=True)
class Construction:
    """The prefix of an instance (with λ = 1 under ``--tamper small-lambda``)."""

    params: Parameters
    _mp_cache: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def K(self) -> int:
        return self.params.grid or int(self.params.exact(F.CELLS))

    @cached_property
    def N(self) -> int:
        return int(F.PREFIX_LENGTH.subs(F.K, self.K))

    @cached_property
    def r(self) -> sympy.Expr:
        return self.params.exact(F.R)

    @cached_property
    def delta(self) -> sympy.Expr:
        return F.DELTA.subs(F.K, self.K)

    @cached_property
    def lam(self) -> sympy.Expr:
        if self.params.tamper == "small-lambda":
            return sympy.Integer(1)
        return self.params.exact(F.TEMPERATURE.subs(F.N, self.N))

    @cached_property
    def grid(self) -> tuple[sympy.Rational, ...]:
        return tuple(sympy.Rational(i, self.K) for i in range(self.K + 1))

    def at_precision(self) -> Prefix:
        """The prefix (keys λa_i, biases −λa_i²/2, values h(a_i)) at the current mpmath precision (cached)."""
        dps = mpmath.mp.dps
        if dps not in self._mp_cache:
            lam = exact_to_mp(self.lam)
            a = [exact_to_mp(p) for p in self.grid]
            h = self.params.target
            self._mp_cache[dps] = Prefix([[lam * p] for p in a], [-lam * p * p / 2 for p in a], [[h.mp(p)] for p in a])
        return self._mp_cache[dps]

    @cached_property
    def float64(self) -> Prefix:
        """The prefix in float64, rounded from 20-digit values."""
        with mpmath.workdps(20):
            p = self.at_precision()
            return Prefix(np.array([[float(k[0])] for k in p.keys]), np.array([float(b) for b in p.biases]),
                          np.array([[float(v[0])] for v in p.values]))

    @cached_property
    def grid_f64(self) -> np.ndarray:
        return np.arange(self.K + 1) / self.K
