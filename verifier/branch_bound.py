"""Branch and bound: certified upper bounds of several quantities over a domain, by splitting cells.

For sup_{x∈D} q_j(x) ≤ t_j (j = 1..k, one pass for several quantities): every cell C of a cover of D
gets rigorous upper bounds u_j(C) ≥ sup_C q_j; the cell with the largest max_j u_j(C)/t_j is split,
until every cell has u_j(C) ≤ t_j for all j (decided) or the cell budget runs out (or the runaway guard
on wall-clock time stops it: ``Bounded.stopped_by_clock``, see ``verifier.budget.Budget``). max_C u_j(C) is then a certified upper bound of sup_D q_j: the cells cover D at every step, since
a split cell is replaced by children that cover it.
"""
from __future__ import annotations

import heapq
import itertools
import math
import time
from dataclasses import dataclass
from typing import Callable, Generic, Optional, Sequence, TypeVar

from .budget import Budget

Cell = TypeVar("Cell")


@dataclass(frozen=True)
class Bounded(Generic[Cell]):
    """A branch-and-bound outcome: certified upper bounds per quantity (max over the final cover), the
    number of cells evaluated, the worst cell, whether every cell met its thresholds, whether the runaway
    guard on wall-clock time stopped it (then the outcome depends on the machine), and the time."""

    uppers: tuple[float, ...]
    cells: int
    worst: Optional[Cell]
    decided: bool
    seconds: float
    stopped_by_clock: bool = False

    @property
    def upper(self) -> float:
        return self.uppers[0]


def branch_and_bound(initial: Sequence[Cell], bounds: Callable[[Cell], Sequence[float]], thresholds: Sequence[float],
                     split: Callable[[Cell], Sequence[Cell]], budget: Budget) -> Bounded[Cell]:
    """Split the worst cell (largest max_j u_j/t_j) until all u_j ≤ t_j or the cell budget ends (module doc);
    the cells are visited in a fixed order (ties by insertion), so the outcome depends on the input alone unless
    the wall-clock guard ``budget.max_seconds`` stops it.

    A non-finite upper bound (the enclosure failed, e.g. at a pole) counts as +inf and keeps splitting."""
    start = time.perf_counter()
    order = itertools.count()
    heap: list = []
    evaluated = 0

    def push(cell) -> None:
        nonlocal evaluated
        u = tuple(float(v) if math.isfinite(v) else math.inf for v in bounds(cell))
        evaluated += 1
        score = max(v / t if t > 0 else (math.inf if v > 0 else 0.0) for v, t in zip(u, thresholds))
        heapq.heappush(heap, (-score, next(order), u, cell))

    for cell in initial:
        push(cell)
    decided = clock = False
    while heap:
        score, _, _, worst = heap[0]
        if -score <= 1:
            decided = True
            break
        if evaluated >= budget.cells:
            break
        if time.perf_counter() - start > budget.max_seconds:
            clock = True
            break
        heapq.heappop(heap)
        for child in split(worst):
            push(child)
    uppers = tuple(max((entry[2][j] for entry in heap), default=-math.inf) for j in range(len(thresholds)))
    return Bounded(uppers, evaluated, heap[0][3] if heap else None, decided, time.perf_counter() - start, clock)
