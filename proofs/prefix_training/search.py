"""The smallest size at which a model is found (certified ≤ ε): sizes 1, 2, 4, … up to the cap until one is found,
then bisection of the gap below it (``verifier.sweep.Bracket``: the largest size not found below the smallest found
one, and the midpoints between them). Bisection assumes that being found is monotone in the size; for optimised
models it is not a fact (a local optimiser may miss at N and succeed at N − 1), so the size reported is the smallest
*found*, an upper bound of the true minimum, and ``decided`` only says that the size just below it was tried and not
found.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from verifier.claims import Verdict
from verifier.sweep import Bracket

FOUND, NOT_FOUND = Verdict.PASS.value, Verdict.FAIL.value  # as the bracket reads them: found; tried and not found


@dataclass(frozen=True)
class Search:
    """The outcome: the smallest size found (None: none up to the cap), the largest size not found below it, and
    whether they are adjacent (``decided``)."""

    found: Optional[int]
    largest_not_found: int

    @property
    def decided(self) -> bool:
        return self.found is not None and self.found - self.largest_not_found == 1


def smallest_found(found_at: Callable[[int], bool], cap: int) -> Search:
    """Search the sizes 1..cap (module doc); ``found_at(s)`` is called once per size tried."""
    verdicts: dict[int, str] = {}
    probe = 1
    while True:
        verdicts[probe] = FOUND if found_at(probe) else NOT_FOUND
        if verdicts[probe] == FOUND or probe == cap:
            break
        probe = min(2 * probe, cap)
    bracket = Bracket.of(verdicts)
    while (candidate := bracket.next_size()) is not None:
        verdicts[candidate] = FOUND if found_at(candidate) else NOT_FOUND
        bracket = Bracket.of(verdicts)
    return Search(bracket.high, bracket.low)
