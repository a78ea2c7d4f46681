"""One R1 instance: the validated parameters and everything built from them, once (cached properties).

The E1 pieces (grid points p_i, N, λ, r, δ) come from ``proofs.single_head`` for the same (m, ε, f, L, B); the
real head's pieces from ``construction`` (frame, affine maps, prefix) and ``enclosure`` (the certified constants).
The offset is E1's rule with the real content: b = max(0, S + 1 + ln(4T(V_c + ‖U‖B)/ε) − λ(1 − δ²/2)), rounded up to
float64, where the 1 leaves room for the score error η (the leakage step needs η ≤ 1 at b > 0; claim R1.reduction
states η).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping, Optional

import numpy as np
from flint import arb, ctx

from verifier.ball import PRECISION_BITS, arb_rational, sympy_number, upper
from verifier.branch_bound import Bounded
from verifier.budget import Budget

from proofs.h0.inputs import H0Instance

from . import construction as C, enclosure as Z
from .weights import load_model

LEAK_SLACK = 1  # the room for η left in the offset b


@dataclass(frozen=True)
class R1Parameters(H0Instance):
    """A validated R1 instance: H0Instance's fields, then the model, layer, head and the run's choices."""

    weights: Optional[str] = None  # None: the packaged MiniLM
    layer: int = 0
    head: int = 0
    tamper: Optional[str] = None
    evidence: str = "auto"
    budget: Budget = Budget()
    proved: Mapping[str, Bounded] = field(default_factory=dict, compare=False)  # hypotheses certified by `auto`

    @property
    def certify(self) -> bool:
        return self.evidence != "sampled"

    def to_json(self) -> dict:
        return {**super().to_json(), "weights": self.weights or "packaged all-MiniLM-L6-v2", "layer": self.layer,
                "head": self.head, "tamper": self.tamper, "evidence_mode": self.evidence, "cert_cells": self.budget.cells,
                "max_seconds": self.budget.max_seconds}


@dataclass(frozen=True, eq=False)
class R1Instance:
    """Everything an R1 check needs, built lazily from ``params``."""

    params: R1Parameters

    @cached_property
    def model(self):
        return load_model(self.params.weights)

    @cached_property
    def layer(self):
        return self.model.layer(self.params.layer)

    @cached_property
    def head(self):
        return self.layer.head(self.params.head)

    @cached_property
    def solved_head(self):
        """The head the prefix is solved for: head h, or (h+1) mod H under ``--tamper other-head``."""
        h = self.params.head
        return self.layer.head((h + 1) % self.layer.num_heads if self.params.tamper == "other-head" else h)

    @cached_property
    def frame(self) -> C.Frame:
        return C.build_frame(self.model.hidden_size, self.params.dim, self.params.seed,
                             centred=self.params.tamper != "frame-not-centred")

    def affine(self, which: str, head=None) -> C.Affine:
        """The affine map of the query, key or value projection of ``head`` (default: head h)."""
        hw = head or self.head
        return C.affine(getattr(hw, f"W_{which}"), getattr(hw, f"b_{which}"), hw, self.frame)

    @cached_property
    def query(self) -> C.Affine:
        return self.affine("Q")

    @cached_property
    def key(self) -> C.Affine:
        return self.affine("K")

    @cached_property
    def value(self) -> C.Affine:
        return self.affine("V")

    @cached_property
    def e1(self):
        """E1's construction for the same (m, ε, f, T): grid, N, λ, r, δ."""
        from proofs.single_head.construction import E1Construction, E1Parameters

        p = self.params
        return E1Construction(E1Parameters(p.dim, p.eps, p.target, p.context, p.seed, p.policy, p.points, None))

    @cached_property
    def points(self) -> np.ndarray:
        """p_i in float64 (N × (m+1))."""
        return self.e1.grid.sphere_points()

    @cached_property
    def e1_balls(self):
        """E1's prefix in balls (points p_i, values f(p_i), λ, 1 − r²/2)."""
        from proofs.single_head.certify import prefix_balls

        return prefix_balls(self.e1)

    @cached_property
    def content(self) -> Z.ContentBounds:
        return Z.content_bounds(self.query, self.key, self.value, self.head.W_O, self.head.head_dim)

    @cached_property
    def output_M(self) -> np.ndarray:
        return C.output_frame(self.solved_head.W_O, self.params.target.d)

    @cached_property
    def unorm(self) -> arb:
        """A ball bounding ‖U‖, U = W_O^h M."""
        return Z.frame_norm(self.head.W_O, self.prefix.M)

    @cached_property
    def lam(self) -> arb:
        return self.e1_balls.lam

    @cached_property
    def delta(self) -> arb:
        return sympy_number(self.e1.delta)

    @cached_property
    def offset(self) -> float:
        """b (module doc), a float64 number at least the rule's value."""
        p = self.params
        with ctx.workprec(PRECISION_BITS):
            unorm = Z.frame_norm(self.solved_head.W_O, self.output_M)
            log_term = (4 * p.context * (self.content.value + unorm * arb_rational(p.target.bound)) / arb_rational(p.eps)).log()
            rule = self.content.score + LEAK_SLACK + log_term - self.lam * (1 - self.delta * self.delta / 2)
            return 0.0 if rule < 0 else upper(rule)

    @cached_property
    def prefix(self) -> C.Prefix:
        """The stored prefix (float32 keys and values; or the tamper's)."""
        return C.build_prefix(self.solved_head, self.frame, self.points, self.params.target.numpy(self.points),
                              float(self.lam.mid()), self.offset, self.output_M, self.params.tamper)

    @cached_property
    def eta(self) -> list[arb]:
        """η_i for the stored keys in head h."""
        return Z.score_errors(self.query, self.prefix.keys, self.e1_balls.points, self.lam, self.offset,
                              self.head.head_dim)

    @cached_property
    def eta_max(self) -> arb:
        with ctx.workprec(PRECISION_BITS):
            return max((e.upper() for e in self.eta), key=float)

    @cached_property
    def certificate(self) -> Z.Certificate:
        p = self.params
        omega = Z.value_errors(self.head.W_O, self.prefix.M, self.prefix.values, self.e1_balls.values)
        leak = Z.leak_bound(p.context, self.content.score, self.lam, self.delta, self.offset, self.eta_max,
                            self.content.value, self.unorm, arb_rational(p.target.bound))
        return Z.Certificate(self.unorm, omega, leak)

    def certify_sup(self) -> Bounded:
        """The branch and bound of ``enclosure.certify_sup`` for this instance."""
        balls = Z.prefix_balls(self.e1_balls.points, self.e1_balls.values, self.lam, self.offset, self.eta,
                               self.e1_balls.near_cos)
        return Z.certify_sup(balls, self.certificate, self.params.target, self.params.dim, self.e1.n,
                             float(self.params.eps), self.params.budget)
