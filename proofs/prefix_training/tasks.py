"""The study's tasks, one per target, ε and kind, each run on a worker (``verifier.study.run_task``):

* ``e1``: the E1 construction at ε (its own grid n) and the smallest grid n of the E1 family whose prefix is
  certified, both as stored prefixes (``FreePrefix.of``: keys λp_i, the bias β, values f(p_i) rounded to float64);
* ``prefix``: the smallest N whose optimised prefix (``fit.fit_prefix``) is certified;
* ``network``: the smallest W whose optimised tanh network (``fit.fit_network``) is certified.

A size is *found* when its model is certified ≤ ε (``certificate.certify``: PASS, certified); a fit whose sampled
error is above ε is not certified (it would be refuted by its own sample) and counts as not found. Every size tried is
listed with what happened; the found model's certificate is returned as a file (``certificates/KEY-SIZE.json``),
which includes the model's exact parameters, so the count can be re-checked without the optimiser.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping

import sympy

from verifier.claims import Evidence, Verdict
from verifier.targets import Target

from .models import FreePrefix
from .search import smallest_found
from .study import CONTEXT, GOAL, target_spec


def run_task(task: Mapping[str, Any]) -> dict:
    """The task's result (plain data; ``files`` holds the certificates backing its counts)."""
    spec = target_spec(task["target"])
    target = Target.parse(spec.text, spec.m, spec.lipschitz, spec.bound)
    eps = sympy.Rational(task["eps_exact"])
    run = {"e1": _e1, "prefix": _fitted, "network": _fitted}[task["kind"]]
    return {"key": task["key"], "target": task["target"], "eps_exact": task["eps_exact"], "kind": task["kind"],
            **run(task, spec, target, eps)}


class _Tried:
    """The sizes tried by a search, each with its outcome, and the certificates of the found ones."""

    def __init__(self, task: Mapping[str, Any], target: Target, eps: sympy.Rational):
        self.task, self.target, self.eps = task, target, eps
        self.rows: dict[int, dict] = {}
        self.found: dict[int, Any] = {}

    def certify(self, size: int, model, extra: Mapping[str, Any]) -> bool:
        from .certificate import certify

        certificate = certify(self.target, model, self.eps, cells=self.task["cells"], seed=self.task["seed"])
        found = certificate.verdict is Verdict.PASS and certificate.evidence is Evidence.CERTIFIED
        self.rows[size] = {"size": size, "parameters": model.parameter_count, **extra,
                           "status": "found" if found else f"not found: certificate {certificate.verdict.value}",
                           "verdict": certificate.verdict.value, "evidence": certificate.evidence.value,
                           "sampled_max": certificate.sampled_max, "certified_upper": certificate.certified_upper,
                           "cells": certificate.cells}
        if found:
            self.found[size] = certificate
        return found

    def once(self, attempt: Callable[[int], bool]) -> Callable[[int], bool]:
        """``attempt`` run at most once per size: a size tried already answers from its record."""
        return lambda size: size in self.found if size in self.rows else attempt(size)

    def record(self, size: int) -> dict:
        """The found size's record and its certificate file name."""
        return {**self.rows[size], "certificate": self.file_name(size)}

    def file_name(self, size: int) -> str:
        return f"certificates/{self.task['key']}-{size}.json"

    def files(self, *sizes) -> dict:
        return {self.file_name(s): self.found[s].to_json() for s in sizes if s in self.found}

    def tried(self) -> list[dict]:
        return [self.rows[s] for s in sorted(self.rows)]


def _search(tried: _Tried, found_at: Callable[[int], bool], cap: int) -> dict:
    search = smallest_found(found_at, cap)
    return {"found": search.found is not None, "decided": search.decided, "cap": cap,
            "largest_not_found": search.largest_not_found or None,
            **({"best": tried.record(search.found)} if search.found is not None else {}),
            "tried": tried.tried(), "files": tried.files(search.found)}


def _e1(task: Mapping[str, Any], spec, target: Target, eps: sympy.Rational) -> dict:
    """The E1 construction at ε and the smallest certified member of its family (grid n)."""
    from proofs.single_head.construction import E1Construction
    from proofs.single_head.theorem import THEOREM

    params = THEOREM.parameters(dim=spec.m, eps=task["eps"], target=spec.text, lipschitz=spec.lipschitz,
                                bound=spec.bound, context=CONTEXT, evidence="sampled", seed=task["seed"])
    tried = _Tried(task, target, eps)

    @tried.once
    def at(n: int) -> bool:
        construction = E1Construction(replace(params, grid=n))
        return tried.certify(n, FreePrefix.of(construction.float64[1], CONTEXT), {"N": construction.N})

    own = E1Construction(params)
    constructed = at(own.n)
    construction = {"found": constructed, "decided": False, "tried": [tried.rows[own.n]],
                    **({"best": tried.record(own.n)} if constructed else {})}
    family = _search(tried, at, own.n) if constructed else {"found": False, "decided": False, "tried": tried.tried(),
                                                            "files": {}}
    files = {**family.pop("files"), **tried.files(own.n)}
    best = family.get("best")
    return {"construction": construction, "family": family, "files": files,
            "summary": f"E1 N = {own.N} ({'certified' if constructed else 'not certified'}), smallest family N "
                       f"{best['N'] if best else '—'}"}


def _fitted(task: Mapping[str, Any], spec, target: Target, eps: sympy.Rational) -> dict:
    """The smallest N (prefix) or W (network) whose fitted model is certified."""
    from .fit import fit_network, fit_prefix

    tried = _Tried(task, target, eps)
    goal = GOAL * float(eps)

    @tried.once
    def at(size: int) -> bool:
        fit = (fit_prefix(target, size, goal, task["seed"], context=CONTEXT) if task["kind"] == "prefix"
               else fit_network(target, size, goal, task["seed"]))
        extra = {"fit_sampled_error": fit.sampled_error, "start": fit.start, "evaluations": fit.evaluations}
        if fit.sampled_error > float(eps):
            tried.rows[size] = {"size": size, "parameters": fit.model.parameter_count, **extra,
                                "status": "not found: the fit's sampled error is above ε"}
            return False
        return tried.certify(size, fit.model, extra)

    result = _search(tried, at, task["max_size"])
    name = "N" if task["kind"] == "prefix" else "W"
    best = result.get("best")
    return {**result, "summary": f"{task['kind']}: smallest {name} found "
                                 f"{best['size'] if best else '— (none up to ' + str(task['max_size']) + ')'}"}
