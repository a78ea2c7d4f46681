"""The Theorem interface and its registry.

A theorem module (under ``proofs/``) exposes one object satisfying :class:`Theorem` (an instance of a
subclass of :class:`TheoremBase`, which supplies the optional hooks' defaults) and registers it
in the ``verifier.theorems`` entry-point group of its package. The verifier finds theorems only
through that group, so it never imports ``proofs`` directly and third-party packages can add theorems.

``verifier list`` loads every registered theorem, so the module defining a theorem object stays light at import
(its declaration: options, sizing, labels; no numpy, sympy, scipy or python-flint): each method imports the
construction and checks it runs (tests/test_cli.py pins this for the registered theorems).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Protocol, Sequence, runtime_checkable

from .errors import InputError
from .options import Option

if TYPE_CHECKING:  # the registry stays light (no sympy): `verifier list` loads every theorem's declaration only
    from .claims import ClaimResult

ENTRY_POINT_GROUP = "verifier.theorems"


@dataclass(frozen=True)
class Outcome:
    """What checking a theorem instance produced: the claims and the instance's key facts (JSON-ready)."""

    claims: tuple[ClaimResult, ...]
    facts: Mapping[str, Any]


@dataclass(frozen=True)
class Sizing:
    """How a theorem exposes its construction family to the sweep: the declared option that sets the
    size (with everything else re-derived), the fact that reports the size used, the claim that decides
    'achieves ε', the fact holding λ or κ, and the reference exponents of N in 1/ε."""

    option: str
    fact: str
    claim: str
    exponent: Callable[[int], Any]  # the rate the minimal prefix lengths are compared with
    exponent_label: str
    temperature: str
    construction_exponent: Callable[[int], Any] = lambda m: m  # the rate of the bound-driven construction
    paper_exponent: Optional[Callable[[int], Any]] = None  # the paper's rate the sweep also fits (None: none)
    paper_exponent_label: str = ""


@runtime_checkable
class Theorem(Protocol):
    """A checkable theorem: validated parameters → cheap hypothesis checks → the full claim list.

    Every member below is part of the protocol; the optional ones have defaults in :class:`TheoremBase`,
    which a theorem object subclasses (the core calls every hook unconditionally, never ``hasattr``).
    Required: ``name``, ``statement``, ``realises``, ``options``, ``parameters``, ``hypotheses``, ``check``,
    ``default_instances``. Optional (defaults in TheoremBase): ``sizing``, ``decide``, ``fact_labels``, ``fact_units``,
    ``quick_instances``, ``report_formulas``, ``report_figures``."""

    name: str
    """The registered name (equal to the entry point's name), e.g. ``my-theorem``."""
    statement: str
    """One paragraph: the theorem as checked, shown by ``verifier list`` and in reports."""
    realises: tuple[str, ...]
    """The paper's claims (P1, P2, …) this theorem verifies."""
    options: tuple[Option, ...]
    """The declared options, once; the CLI, sweep, report configuration and pytest plugin read them."""
    sizing: Optional[Sizing]
    """The construction family ``verifier sweep`` bisects, or None: the theorem cannot be swept."""
    fact_labels: Mapping[str, str]
    """Fact name → the label reports show for it (the terminal table shows the labelled top-level facts, in this
    order); a key of a nested record and a column of a table fact are labelled by their dotted path
    (``sup_error.argmax`` → 'argmax x*', ``layers.lambda`` → 'λ'). Every fact a theorem reports has a label
    (tests/test_report_format.py checks the default instances'); a fact without one reads as its key with spaces."""
    fact_units: Mapping[str, str]
    """Fact name or dotted path → its unit as reports print it after the value ('s', 'digits', 'cells')."""

    def parameters(self, **options: Any) -> Any:
        """Validate raw options (CLI strings or numbers, read by ``read_options(self.options, …)``) into a
        frozen parameter object; raise InputError.

        The object has ``policy`` (a PrecisionPolicy), ``seed: int`` and ``to_json() -> dict``."""

    def hypotheses(self, params: Any) -> Sequence[ClaimResult]:
        """Cheap checks of the theorem's hypotheses, run before any expensive work (possibly none)."""

    def check(self, params: Any) -> Outcome:
        """Build the construction and check every claim: the claims and the instance's facts."""

    def decide(self, params: Any) -> Outcome:
        """Decide the deciding claim of the sizing (``sizing.claim``) alone, for the sweep's candidate sizes: an Outcome
        holding that claim and every claim its verdict rests on (the theorem's hypotheses are run before, as for
        ``check``), with the facts the sweep reads (``prefix_length``, ``sizing.fact``, ``sizing.temperature``). It never
        contradicts ``check`` (a PASS there is no FAIL here and the reverse); with less else to prove, it may decide
        the claim where ``check`` runs out of cells."""

    def default_instances(self) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """Named option sets (instance name, options) for ``verifier report``; at least one."""

    def quick_instances(self) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """The named option sets of ``verifier report --quick`` (a reduced suite)."""

    def report_formulas(self) -> Sequence[tuple[str, Any]]:
        """(label, sympy expression) pairs: the closed forms a report shows as MathML and LaTeX."""

    def report_figures(self, params: Any) -> Sequence[Mapping[str, Any]]:
        """Figure data of one instance as plain mappings (kinds in verifier/report/plots.py)."""


class TheoremBase:
    """The base class of theorem objects: the optional hooks of :class:`Theorem` with their defaults.

    A subclass sets ``name``, ``statement``, ``realises``, ``options`` and implements ``parameters``,
    ``hypotheses``, ``check`` and ``default_instances``; it overrides an optional hook to offer more."""

    name: str
    statement: str
    realises: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    sizing: Optional[Sizing] = None  # cannot be swept
    fact_labels: Mapping[str, str] = MappingProxyType({})  # every fact shown by its name
    fact_units: Mapping[str, str] = MappingProxyType({})  # no units

    def parameters(self, **options: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement parameters(**options)")

    def hypotheses(self, params: Any) -> Sequence[ClaimResult]:
        raise NotImplementedError(f"{type(self).__name__} must implement hypotheses(params) (return [] if none)")

    def check(self, params: Any) -> Outcome:
        raise NotImplementedError(f"{type(self).__name__} must implement check(params)")

    def decide(self, params: Any) -> Outcome:
        """Default: the full check (its claims include the deciding one); a theorem overrides it to check less."""
        return self.check(params)

    def default_instances(self) -> Sequence[tuple[str, Mapping[str, Any]]]:
        raise NotImplementedError(f"{type(self).__name__} must implement default_instances()")

    def quick_instances(self) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """Default: the first of ``default_instances()``."""
        return list(self.default_instances())[:1]

    def report_formulas(self) -> Sequence[tuple[str, Any]]:
        """Default: no closed forms."""
        return ()

    def report_figures(self, params: Any) -> Sequence[Mapping[str, Any]]:
        """Default: no figures."""
        return []


# The labels of facts the core writes, for a theorem's ``fact_labels`` and ``fact_units`` (``nested(name, …)``):
SUP_LABELS = {  # verifier.supnorm.SupResult.to_json, a sampled sup (e.g. the fact ``sup_error``)
    "value": "value", "value_decimal": "value at the working precision",
    "argmax": "argmax x*", "method": "search", "points": "points examined", "dps": "working precision",
    "verify_dps": "check precision", "float64_value": "float64 value at x*", "precision_agrees": "the two precisions agree",
    "float64_agrees": "float64 and mpmath agree at x*",
}
SUP_UNITS = {"points": "points", "dps": "digits", "verify_dps": "digits"}
CERTIFIED_LABELS = {  # a sampled sup with its branch and bound (verifier.certify), e.g. added to ``sup_error``
    "lower": "lower bound (sampled)", "certified_upper": "certified upper bound", "cells": "branch-and-bound cells",
    "decided": "branch and bound decided", "not_certified": "not certified because", "interval": "sup between",
}
CERTIFIED_UNITS = {"cells": "cells"}
RUN_LABELS = {  # verifier.run: why a verdict is INCONCLUSIVE
    "required_evidence": "INCONCLUSIVE: weaker evidence than required",
    "unproven_hypotheses": "INCONCLUSIVE: hypotheses not established",
}


def nested(name: str, labels: Mapping[str, str]) -> dict[str, str]:
    """``labels`` of a record's keys as the dotted paths of the fact ``name`` (``nested('sup_error', SUP_LABELS)``)."""
    return {f"{name}.{key}": label for key, label in labels.items()}


def registry() -> dict[str, Theorem]:
    """All registered theorems by name, loaded from the ``verifier.theorems`` entry points (a copy)."""
    return dict(_load())


@lru_cache(maxsize=1)
def _load() -> dict[str, Theorem]:
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        theorem = ep.load()
        if not isinstance(theorem, Theorem) or theorem.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} ({ep.value}) is not a Theorem named {ep.name!r} "
                            "(subclass verifier.theorem.TheoremBase for the optional hooks' defaults)")
        found[ep.name] = theorem
    return dict(sorted(found.items()))


def get(name: str) -> Theorem:
    """The theorem called ``name``; InputError naming the known theorems otherwise."""
    theorems = registry()
    if name not in theorems:
        known = ", ".join(theorems) or "none (is the package installed? run: pip install -e .)"
        raise InputError(f"unknown theorem {name!r}; known theorems: {known} (see `verifier list`)")
    return theorems[name]


__all__ = ["Outcome", "Sizing", "Theorem", "TheoremBase", "registry", "get", "ENTRY_POINT_GROUP", "SUP_LABELS", "SUP_UNITS",
           "CERTIFIED_LABELS", "CERTIFIED_UNITS", "RUN_LABELS", "nested"]
