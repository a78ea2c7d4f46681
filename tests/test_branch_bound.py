"""Branch and bound: decided by cells alone; the wall-clock guard only stops runaway work, and says so."""
from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from verifier.branch_bound import branch_and_bound
from verifier.budget import CLOCK_STOP, Budget
from verifier.certify import combine
from verifier.claims import ClaimResult, Evidence, Kind, Verdict


@dataclass(frozen=True)
class Interval:
    """A cell [lo, hi] of [0, 1] for q(x) = x, whose sup over the cell is hi."""

    lo: float
    hi: float

    def split(self):
        mid = (self.lo + self.hi) / 2
        return [Interval(self.lo, mid), Interval(mid, self.hi)]


def _bound(threshold: float, budget: Budget):
    return branch_and_bound([Interval(0.0, 0.5), Interval(0.5, 1.0)], lambda c: (c.hi,), (threshold,),
                            lambda c: c.split(), budget)


def test_decided_when_every_cell_meets_its_threshold():
    out = _bound(1.0, Budget(100))
    assert out.decided and not out.stopped_by_clock and out.uppers == (1.0,) and out.cells == 2


def test_the_cell_budget_stops_the_same_way_every_time():
    """sup x = 1 > 0.9 can never be decided: the cell budget ends it after exactly the same cells."""
    first, second = _bound(0.9, Budget(100)), _bound(0.9, Budget(100))
    assert not first.decided and not first.stopped_by_clock and first.cells == 100
    assert (first.uppers, first.cells, first.worst) == (second.uppers, second.cells, second.worst)


def test_the_clock_guard_stops_runaway_work_and_the_verdict_says_so():
    out = _bound(0.9, Budget(10**9, max_seconds=0))
    assert out.stopped_by_clock and not out.decided
    sampled = ClaimResult("q", "sup q ≤ 0.9", Verdict.PASS, Kind.PROOF_STEP, "sampled", value=0.8, bound=0.9,
                          evidence=Evidence.SAMPLED)
    claim = combine(sampled, out, 0.9, "sup q ≤ 0.9", "raise --cert-cells")
    assert claim.verdict is Verdict.INCONCLUSIVE and CLOCK_STOP in claim.detail
    budget_only = combine(sampled, _bound(0.9, Budget(50)), 0.9, "sup q ≤ 0.9", "raise --cert-cells")
    assert budget_only.verdict is Verdict.INCONCLUSIVE and "(cell budget exhausted)" in budget_only.detail
    assert CLOCK_STOP not in budget_only.detail


def test_an_arb_bound_below_the_float_range_is_kept_exactly():
    """Bounds given as arb balls: the float upper is the subnormal above them, the text is the largest exact end point
    (10⁻¹²²⁹·hi here), and a certified claim shows that text; float bounds carry no text."""
    from flint import arb

    tiny = arb("1e-1229")
    out = branch_and_bound([Interval(0.0, 0.5), Interval(0.5, 1.0)], lambda c: (tiny * arb(c.hi),), (0.25,),
                           lambda c: c.split(), Budget(100))
    assert out.decided and 0 < out.upper < 1e-300 and out.text() == "1.0e-1229"
    claim = ClaimResult("leak", "leak ≤ 1/4", Verdict.PASS, Kind.PROOF_STEP, "sampled", value=0.0, bound=0.25,
                        evidence=Evidence.SAMPLED, value_text="3.0e-1300")
    certified = combine(claim, out, 0.25, "leak", "")
    assert certified.evidence is Evidence.CERTIFIED and certified.value_text == "1.0e-1229"
    assert _bound(1.0, Budget(100)).text() is None
    assert combine(claim, _bound(1.0, Budget(100)), 1.0, "q", "").value_text is None  # never the sampled value's text


@pytest.mark.parametrize("many", [False, True])
def test_a_cell_without_a_finite_bound_is_split_not_stuck(many):
    """A bound of +inf (the enclosure failed there) scores +inf: the cell is split like any other, one at a time or in
    rounds (a round's cut max(1, s_worst/2) is then +inf, and the worst cell is split regardless)."""
    def bounds(cell):
        return (math.inf if cell.lo < 0.5 <= cell.hi and cell.hi - cell.lo > 1 / 64 else cell.hi - cell.lo,)

    out = branch_and_bound([Interval(0.0, 1.0)], bounds, (1 / 32,), lambda c: c.split(), Budget(cells=1000),
                           many=(lambda cells: [bounds(c) for c in cells]) if many else None)
    assert out.decided and out.upper <= 1 / 32
