"""The Theorem interface and its registry.

A theorem module (under ``proofs/``) exposes one object satisfying :class:`Theorem` and registers it
in the ``verifier.theorems`` entry-point group of its package. The verifier finds theorems only
through that group, so it never imports ``proofs`` directly and third-party packages can add theorems.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import entry_points
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence, runtime_checkable

from .claims import ClaimResult
from .errors import InputError
from .options import Option

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
    """A checkable theorem: validated parameters → cheap hypothesis checks → the full claim list."""

    name: str
    statement: str
    realises: tuple[str, ...]  # the paper's claims (P1, P2, …) this theorem verifies
    options: tuple[Option, ...]  # declared once; the CLI, sweep and report configuration read them

    def parameters(self, **options: Any) -> Any:
        """Validate raw options (CLI strings or numbers, read by ``read_options(self.options, …)``) into a
        frozen parameter object; raise InputError.

        The object has ``policy`` (a PrecisionPolicy), ``seed: int`` and ``to_json() -> dict``."""

    def hypotheses(self, params: Any) -> Sequence[ClaimResult]:
        """Cheap checks of the theorem's hypotheses, run before any expensive work."""

    def check(self, params: Any) -> Outcome:
        """Build the construction and check every claim."""

    def default_instances(self) -> Sequence[tuple[str, Mapping[str, Any]]]:
        """Named option sets for ``verifier report``."""


def registry() -> dict[str, Theorem]:
    """All registered theorems by name, loaded from the ``verifier.theorems`` entry points (a copy)."""
    return dict(_load())


@lru_cache(maxsize=1)
def _load() -> dict[str, Theorem]:
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        theorem = ep.load()
        if not isinstance(theorem, Theorem) or theorem.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} ({ep.value}) is not a Theorem named {ep.name!r}")
        found[ep.name] = theorem
    return dict(sorted(found.items()))


def get(name: str) -> Theorem:
    """The theorem called ``name``; InputError naming the known theorems otherwise."""
    theorems = registry()
    if name not in theorems:
        known = ", ".join(theorems) or "none (is the package installed? run: pip install -e .)"
        raise InputError(f"unknown theorem {name!r}; known theorems: {known} (see `verifier list`)")
    return theorems[name]


__all__ = ["Outcome", "Sizing", "Theorem", "registry", "get", "ENTRY_POINT_GROUP"]
