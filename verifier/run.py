"""Run a theorem: validate, test the hypotheses, check every claim, and record the environment."""
from __future__ import annotations

import os
import platform
import sys
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from .claims import ClaimResult, Evidence, Kind, Verdict
from .errors import InputError
from .theorem import get

PACKAGES = ("prefix-verifier", "python-flint", "mpmath", "gmpy2", "sympy", "numpy", "scipy")  # every package a verdict rests on


class HypothesisRefuted(InputError):
    """The user's claimed hypotheses (Lipschitz constant, bound) were refuted by sampling."""

    def __init__(self, message: str, claims: tuple[ClaimResult, ...]):
        super().__init__(message)
        self.claims = claims


def environment(weights: Optional[Mapping[str, str]] = None) -> dict:
    """For the record: Python, platform, the machine (CPU model, logical cores), the version of every package in
    PACKAGES (None: not installed) and, where a model is used, its weights' hashes (file or model name → e.g.
    'sha256:…'; none yet)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    record = {"python": sys.version.split()[0], "platform": platform.platform(),
              "machine": {"cpu": cpu_model(), "logical_cores": os.cpu_count()}, "packages": versions}
    if weights:
        record["weights"] = dict(weights)
    return record


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The CPU's model name: the first 'model name' of ``cpuinfo`` (Linux), else platform.processor(), else
    platform.machine() (e.g. 'x86_64')."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and value.strip():
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


@dataclass(frozen=True)
class TheoremResult:
    """Everything a report needs about one theorem instance."""

    theorem: str
    verdict: Verdict
    parameters: Mapping[str, Any]
    claims: tuple[ClaimResult, ...]
    facts: Mapping[str, Any]
    environment: Mapping[str, Any]
    wall_time_s: float
    command: Optional[str] = None

    @property
    def framework_errors(self) -> list[str]:
        """The ids of the failed FRAMEWORK claims when the verdict is FAIL: two computations of the verifier that must
        agree did not, a bug in the verifier (CLI exit 4). Under unestablished hypotheses the verdict is INCONCLUSIVE
        and none counts: a target outside them (one that jumps) also makes float64 and mpmath disagree."""
        if self.verdict is not Verdict.FAIL:
            return []
        return [c.id for c in self.claims if c.kind is Kind.FRAMEWORK and c.verdict is Verdict.FAIL]

    @property
    def evidence(self) -> Evidence:
        """The weakest evidence of the claims the verdict rests on (see :func:`verdict_evidence`)."""
        return verdict_evidence(self.claims)

    def to_json(self) -> dict:
        return {
            "theorem": self.theorem,
            "verdict": self.verdict.value,
            "evidence": self.evidence.value,
            "parameters": dict(self.parameters),
            **self.facts,
            "claims": [c.to_json() for c in self.claims],
            "environment": dict(self.environment),
            "wall_time_s": round(self.wall_time_s, 3),
            "command": self.command,
        }


def verdict_evidence(claims) -> Evidence:
    """The weakest evidence among the claims that are not framework self-tests: a PASS says no more
    than its weakest claim. Framework claims (Kind.FRAMEWORK, e.g. two implementations agreeing at
    sampled points) cross-check the code, they are no premise of the theorem's verdict; they still
    count for the verdict (a framework FAIL fails the run) and show their own evidence."""
    return Evidence.weakest(c.evidence for c in claims if c.kind is not Kind.FRAMEWORK)


def meets(evidence: Evidence, required: Evidence) -> bool:
    """True iff ``evidence`` is at least as strong as ``required`` (exact ≥ certified ≥ sampled)."""
    order = list(Evidence)
    return order.index(evidence) <= order.index(required)


FOUND_BY = {Evidence.SAMPLED: "sampling found", Evidence.CERTIFIED: "ball arithmetic proved a value of",
            Evidence.EXACT: "the exact value is"}


def refutation_message(failed: list[ClaimResult]) -> str:
    lines = ["the theorem's hypotheses do not hold for this input; nothing else was checked:"]
    for c in failed:
        at = f" at x = {np.round(c.witness, 6).tolist()}" if c.witness is not None else ""
        lines.append(
            f"  {c.id}: claimed {c.bound:.6g}, but {FOUND_BY[c.evidence]} {c.value:.10g}{at} ({c.statement}). "
            f"Fix: {c.detail or 'correct the claimed value or change the input'}."
        )
    return "\n".join(lines)


def unproven_hypotheses(hypotheses: Sequence[ClaimResult], claims: Sequence[ClaimResult]) -> Optional[str]:
    """Why a FAIL refutes nothing, or None: some hypothesis is INCONCLUSIVE, and a theorem fails only where its
    hypotheses fail (a target outside them, e.g. one that jumps, also makes two computations disagree there)."""
    unproven = [c.id for c in hypotheses if c.verdict is Verdict.INCONCLUSIVE]
    if not unproven:
        return None
    failed = [c.id for c in claims if c.verdict is Verdict.FAIL]
    return (f"{', '.join(failed)} FAIL, but the hypotheses {', '.join(unproven)} are not established: a theorem fails only "
            "where its hypotheses fail, so this refutes neither the theorem nor the verifier (a target outside them, e.g. "
            "one that jumps, also makes float64 and mpmath disagree there); settle the hypotheses first")


def run(theorem_name: str, options: Mapping[str, Any], command: Optional[str] = None,
        require: Optional[Evidence] = None, decide: bool = False) -> TheoremResult:
    """Check one theorem instance. InputError (incl. HypothesisRefuted) comes before any expensive work.

    With ``decide``, the theorem's ``decide`` hook replaces ``check``: only its sizing's deciding claim and the claims
    that claim rests on (the sweep's candidate sizes), under the same hypotheses and rules below.

    With ``require`` (e.g. certified), a PASS resting on weaker evidence becomes INCONCLUSIVE; the option
    ``evidence = certified`` of a theorem that declares it requires certified evidence the same way. A FAIL while
    some hypothesis is INCONCLUSIVE is INCONCLUSIVE: the theorem says nothing outside its hypotheses."""
    start = time.perf_counter()
    theorem = get(theorem_name)
    params = theorem.parameters(**options)
    hypotheses = tuple(theorem.hypotheses(params))
    failed = [c for c in hypotheses if c.verdict is Verdict.FAIL]
    if failed:
        raise HypothesisRefuted(refutation_message(failed), hypotheses)
    outcome = theorem.decide(params) if decide else theorem.check(params)
    claims = hypotheses + tuple(outcome.claims)
    verdict = Verdict.combine(c.verdict for c in claims)
    facts = dict(outcome.facts)
    unproven = unproven_hypotheses(hypotheses, claims) if verdict is Verdict.FAIL else None
    if unproven:
        verdict, facts["unproven_hypotheses"] = Verdict.INCONCLUSIVE, unproven
    if options.get("evidence") == Evidence.CERTIFIED.value and (require is None or meets(Evidence.CERTIFIED, require)):
        require, flag = Evidence.CERTIFIED, "--evidence certified"
    else:
        flag = f"--require {require.value}" if require is not None else ""
    if require is not None and verdict is Verdict.PASS and not meets(verdict_evidence(claims), require):
        verdict = Verdict.INCONCLUSIVE
        weak = [c.id for c in claims if c.kind is not Kind.FRAMEWORK and not meets(c.evidence, require)]
        facts["required_evidence"] = (f"PASS rests on {verdict_evidence(claims).value} evidence ({', '.join(weak)}); "
                                      f"{flag} makes it INCONCLUSIVE")
    return TheoremResult(
        theorem=theorem.name,
        verdict=verdict,
        parameters=params.to_json(),
        claims=claims,
        facts=facts,
        environment=environment(),
        wall_time_s=time.perf_counter() - start,
        command=command,
    )
