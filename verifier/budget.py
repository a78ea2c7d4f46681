"""Resource guards: a run's estimated time and memory, checked against a budget before any work.

A theorem estimates its cost from its parameters (prefix length, scan points, context, precision,
target size) as a sum of named terms; :func:`check_budget` refuses, with InputError naming the
option to raise and the options that shrink the run, an estimate over the budget. Defaults are
fitted to a 2-core, 24 GiB machine.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .errors import InputError
from .inputs import parse_number
from .options import Option

DEFAULT_SECONDS = 900
DEFAULT_MEMORY_GB = 12
SCAN_CELLS = 4_000_000  # rows × tokens per float64 scan chunk (32 MB per float64 array)
OPTIONS = (  # the two budget options, declared once for every theorem that estimates its cost
    Option("max_seconds", "refuse a run whose estimated time exceeds this many seconds, and stop a branch and bound "
           "that runs longer (a runaway guard: the claim then says its verdict depends on this machine)", parse_number,
           DEFAULT_SECONDS),
    Option("max_memory", "refuse a run whose estimated memory exceeds this many GiB", parse_number, DEFAULT_MEMORY_GB),
)


CLOCK_STOP = ("stopped by --max-seconds: the verdict depends on this machine's speed; raise it or the cell budget "
              "(--cert-cells) so that the cells decide")


@dataclass(frozen=True)
class Budget:
    """Limits of one branch and bound (verifier.branch_bound). ``cells``, the number of cells evaluated, is
    what decides a verdict: the same input gives the same cells, hence the same verdict, on any machine under
    any load. ``max_seconds`` is only a guard against runaway work (--max-seconds): a run it stops says so
    (CLOCK_STOP) and is INCONCLUSIVE; no documented instance reaches it on a 2-core machine."""

    cells: int = 400_000
    max_seconds: float = DEFAULT_SECONDS


@dataclass(frozen=True)
class Estimate:
    """Estimated cost of a run: seconds and bytes, each a sum of named terms (for the message)."""

    seconds: Mapping[str, float]
    bytes: Mapping[str, float]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    @property
    def total_bytes(self) -> float:
        return sum(self.bytes.values())


def scan_chunk_rows(tokens: int) -> int:
    """Rows per chunk of a float64 scan over ``tokens`` tokens, so that a chunk holds about SCAN_CELLS cells."""
    return max(1, SCAN_CELLS // tokens)


def _largest(terms: Mapping[str, float]) -> str:
    return max(terms, key=terms.get)


def check_budget(estimate: Estimate, max_seconds: float, max_memory_gb: float, shrink: str) -> None:
    """InputError if the estimate exceeds ``max_seconds`` or ``max_memory_gb``; ``shrink`` names the
    options that make the run smaller."""
    seconds, gigabytes = estimate.total_seconds, estimate.total_bytes / 2**30
    if gigabytes > max_memory_gb:
        raise InputError(
            f"this run would need about {gigabytes:.3g} GiB of memory (mostly {_largest(estimate.bytes)}), over the "
            f"budget --max-memory {max_memory_gb:g}; {shrink}, or raise --max-memory if the machine has the memory")
    if seconds > max_seconds:
        raise InputError(
            f"this run would take about {_duration(seconds)} (mostly {_largest(estimate.seconds)}), over the budget "
            f"--max-seconds {max_seconds:g}; {shrink}, or raise --max-seconds")


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.3g} h"
