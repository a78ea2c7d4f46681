"""Branch and bound: certified upper bounds of several quantities over a domain, by splitting cells.

For sup_{x∈D} q_j(x) ≤ t_j (j = 1..k, one pass for several quantities): every cell C of a cover of D
gets rigorous upper bounds u_j(C) ≥ sup_C q_j; the cell with the largest max_j u_j(C)/t_j is split,
until every cell has u_j(C) ≤ t_j for all j (decided) or the cell budget runs out (or the runaway guard
on wall-clock time stops it: ``Bounded.stopped_by_clock``, see ``verifier.budget.Budget``). max_C u_j(C) is then a certified upper bound of sup_D q_j: the cells cover D at every step, since
a split cell is replaced by children that cover it. A bound may be a float or an arb ball: a ball counts by its
upper end point (``verifier.ball.upper``), and the largest one is also kept exactly (``Bounded.texts``), so that a
bound far below the float64 range (e.g. a leakage of 10⁻¹²²⁹) is reported as itself, not as a subnormal float.

Cells may be bounded many at once (``many``, e.g. vectorised enclosures): each round then splits, worst first and
until the cell budget, every cell whose score s = max_j u_j/t_j exceeds max(1, s_worst/2), and bounds all their
children together. Deciding needs every cell above a threshold split in either order, so a decided outcome has the
same final cover and cell count as splitting one cell at a time; a cell far worse than the rest (a narrow bump) is
still chased alone, as one at a time would. With ``many`` absent the rounds split one cell each.
"""
from __future__ import annotations

import functools
import heapq
import itertools
import math
import time
from dataclasses import dataclass
from typing import Callable, Generic, Optional, Sequence, TypeVar

from flint import arb

from .ball import upper
from .budget import Budget
from .claims import decimal_text

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
    texts: tuple[Optional[str], ...] = ()  # per quantity, the largest arb bound's exact end point as decimal text

    @property
    def upper(self) -> float:
        return self.uppers[0]

    def text(self, index: int = 0) -> Optional[str]:
        """The certified upper bound of quantity ``index`` as decimal text when its bounds were arb balls, else None."""
        return self.texts[index] if index < len(self.texts) else None


def branch_and_bound(initial: Sequence[Cell], bounds: Callable[[Cell], Sequence[float]], thresholds: Sequence[float],
                     split: Callable[[Cell], Sequence[Cell]], budget: Budget,
                     many: Optional[Callable[[Sequence[Cell]], Sequence[Sequence[float]]]] = None) -> Bounded[Cell]:
    """Split the worst cell (largest max_j u_j/t_j) until all u_j ≤ t_j or the cell budget ends (module doc);
    the cells are visited in a fixed order (ties by insertion), so the outcome depends on the input alone unless
    the wall-clock guard ``budget.max_seconds`` stops it. ``many(cells)`` (optional) gives the bounds of a list
    of cells at once, the same as ``bounds`` of each: then each round splits the cells above max(1, s_worst/2).

    A non-finite upper bound (the enclosure failed, e.g. at a pole) counts as +inf and keeps splitting."""
    start = time.perf_counter()
    order = itertools.count()
    heap: list = []
    evaluated = 0
    evaluate = many if many is not None else (lambda cells: [bounds(cell) for cell in cells])

    def push(cells) -> None:
        nonlocal evaluated
        for cell, values in zip(cells, evaluate(cells)):
            exact = tuple(values)
            u = tuple(_float_upper(v) for v in exact)
            evaluated += 1
            score = max(v / t if t > 0 else (math.inf if v > 0 else 0.0) for v, t in zip(u, thresholds))
            heapq.heappush(heap, (-score, next(order), u, cell, exact))

    push(list(initial))
    decided = clock = False
    while heap:
        if -heap[0][0] <= 1:
            decided = True
            break
        if evaluated >= budget.cells:
            break
        if time.perf_counter() - start > budget.max_seconds:
            clock = True
            break
        cut = max(1.0, -heap[0][0] / 2)  # this round: the cells at least half as far above their thresholds as the worst
        children = list(split(heapq.heappop(heap)[3]))  # the worst always (its score may be +inf)
        while many is not None and heap and -heap[0][0] > cut and evaluated + len(children) < budget.cells:
            children.extend(split(heapq.heappop(heap)[3]))
        push(children)
    uppers = tuple(max((entry[2][j] for entry in heap), default=-math.inf) for j in range(len(thresholds)))
    texts = tuple(_largest_text([entry[4][j] for entry in heap]) for j in range(len(thresholds)))
    return Bounded(uppers, evaluated, heap[0][3] if heap else None, decided, time.perf_counter() - start, clock, texts)


def _float_upper(v) -> float:
    """A float ≥ the bound ``v`` (a float, or every number of an arb ball); +inf for a non-finite one."""
    if isinstance(v, arb):
        return upper(v)
    return float(v) if math.isfinite(v) else math.inf


def _largest_text(bounds: list) -> Optional[str]:
    """The largest of the final cover's bounds as decimal text, when they are finite arb balls (else None)."""
    if not bounds or not all(isinstance(v, arb) and v.is_finite() for v in bounds):
        return None
    return decimal_text(functools.reduce(arb.max, (v.upper() for v in bounds)))
