"""O1, prefix versus training (``verifier study prefix-vs-training``): for each target f on S^m and ε, the parameter
counts of four approximators whose sup error ‖g − f‖ is **certified** ≤ ε (docs/prefix-training.md):

* the E1 construction at ε (N tokens, N·(m+2+d) parameters, as a stored prefix);
* the smallest member of the E1 family (grid n, N = (n+1)^(m+1) − (n−1)^(m+1)) whose prefix is certified;
* the smallest N whose optimised H0 prefix (every key, bias and value free) is certified;
* the smallest width W whose optimised tanh network (W(m+2) + dW + d parameters) is certified.

A size is searched by :func:`proofs.prefix_training.search.smallest_found`: 1, 2, 4, … up to the cap until one is
certified, then bisection (which assumes that being found is monotone in the size: an assumption, not a fact). A
size whose optimisation or certification did not reach ε is *not found*, never *impossible*: the optimised counts
are certified **upper bounds** of the true minima (the optimiser is local); no lower bound is claimed. Each count
is backed by the certificate of its own model (``certificates/…json``, the model's exact parameters included).

Fits: per target and approximator, least squares of log(parameters) against log(1/ε) (``verifier.sweep.loglog_fit``:
slope ± standard error). This module is the declaration (light at import); the work is in ``tasks``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping, Sequence

from verifier.errors import InputError
from verifier.inputs import choice, integer, text
from verifier.options import Option, read_options


@dataclass(frozen=True)
class StudyTarget:
    """A target of the study: an id, its text (read by the safe reader), S^m, its exact L and B, and its ε list."""

    id: str
    text: str
    m: int
    lipschitz: str
    bound: str
    eps: tuple[str, ...]


S1_EPS = ("0.2", "0.1", "0.05", "0.02", "0.01")
TARGETS = (  # L and B by hand: |x0|, sin(2x0)/2, sin(6x0)/6 have |f'| ≤ 1; ∇(x0x1) = (x1, x0) has norm ≤ 1 on the ball
    StudyTarget("kink", "Abs(x0) - 1/2", 1, "1", "1/2", S1_EPS),
    StudyTarget("smooth", "sin(2*x0)/2", 1, "1", "1/2", S1_EPS),
    StudyTarget("rough", "sin(6*x0)/6", 1, "1", "1/6", S1_EPS),
    StudyTarget("product", "x0*x1", 2, "1", "1/2", ("0.4", "0.3", "0.2")),
)
QUICK = {"smooth": ("0.2", "0.1")}  # --quick: one target, two ε (a smoke run of every step)
KINDS = ("e1", "prefix", "network")
APPROXIMATORS = {  # result key → label
    "e1_construction": "E1 construction", "e1_family": "smallest E1-family member",
    "prefix": "optimised prefix", "network": "optimised tanh network",
}
GOAL = 0.8  # the fits aim at sampled error ≤ 0.8ε, leaving room for the certified bound
CONTEXT = 1  # T, the content tokens of H0 (as the theorems' default)


def _targets_option(raw: Any, name: str) -> tuple[str, ...]:
    ids = [t.strip() for t in text(raw, name).split(",") if t.strip()]
    known = [t.id for t in TARGETS]
    unknown = [t for t in ids if t not in known]
    if not ids or unknown:
        raise InputError(f"{name}: unknown target(s) {', '.join(unknown) or '(none given)'}; choose from {', '.join(known)}")
    return tuple(dict.fromkeys(ids))


class PrefixVsTraining:
    """The registered study object (``verifier.study.Study``)."""

    name = "prefix-vs-training"
    statement = ("O1: the fewest parameters whose sup error is certified ≤ ε, for the E1 construction, the E1 family, "
                 "an optimised H0 prefix and an optimised one-hidden-layer tanh network, on S¹ and S² targets; "
                 "the optimised counts are certified upper bounds of the true minima")
    options = (
        Option("targets", "comma-separated target ids: " + ", ".join(f"{t.id} = {t.text} on S^{t.m}" for t in TARGETS),
               _targets_option, ",".join(t.id for t in TARGETS)),
        Option("quick", "on: only the smooth target at ε = 0.2, 0.1 (a smoke run)", choice("on", "off"), "off"),
        Option("seed", "seed of every fit's starts and of the certificates' sampling", integer(0), 0),
        Option("cert_cells", "cells of each certificate's branch and bound (the budget that decides a verdict)",
               integer(1, 10_000_000), 50_000),
        Option("max_prefix", "largest prefix length N searched", integer(1, 100_000), 512),
        Option("max_width", "largest network width W searched", integer(1, 100_000), 256),
    )

    @cached_property
    def schema(self) -> dict:
        return json.loads((Path(__file__).parent / "study.schema.json").read_text(encoding="utf-8"))

    def read(self, options: Mapping[str, Any]) -> dict:
        return read_options(self.options, options)

    def tasks(self, options: Mapping[str, Any]) -> list[dict]:
        """One task per target, ε and kind (e1: the construction and the family's smallest member; prefix; network),
        the targets read by the safe reader here (bad input before any work)."""
        from verifier.inputs import parse_number
        from verifier.targets import Target

        o = self.read(options)
        chosen = QUICK if o["quick"] == "on" else {t: None for t in o["targets"]}
        out = []
        for spec in TARGETS:
            if spec.id not in chosen:
                continue
            Target.parse(spec.text, spec.m, spec.lipschitz, spec.bound)
            for eps in chosen[spec.id] or spec.eps:
                for kind in KINDS:
                    out.append({"key": f"{spec.id}-eps{eps}-{kind}", "target": spec.id, "eps": eps,
                                "eps_exact": str(parse_number(eps, "--eps")), "kind": kind, "seed": o["seed"],
                                "cells": o["cert_cells"], "max_size": o["max_width" if kind == "network" else "max_prefix"]})
        return out

    def run_task(self, task: Mapping[str, Any]) -> dict:
        from .tasks import run_task

        return run_task(task)

    def assemble(self, options: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict:
        from .tables import assemble

        return assemble(self.read(options), results)

    def table(self, result: Mapping[str, Any]) -> str:
        from .tables import markdown

        return markdown(result)

    def figures(self, result: Mapping[str, Any]) -> list[dict]:
        from .tables import figures

        return figures(result)


def target_spec(target_id: str) -> StudyTarget:
    return next(t for t in TARGETS if t.id == target_id)


STUDY = PrefixVsTraining()
