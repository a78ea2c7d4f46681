"""Resource guards: an estimate over the time or memory budget is bad input naming the option to raise."""
import pytest

from verifier.budget import Estimate, check_budget
from verifier.errors import InputError

SHRINK = "use fewer --points"


def test_within_budget_passes():
    check_budget(Estimate({"scan": 10.0}, {"points": 1e9}), 60, 2, SHRINK)


def test_over_time_names_the_largest_term_and_the_option():
    with pytest.raises(InputError, match=r"about 3 h \(mostly mpmath\), over the budget --max-seconds 60; use fewer --points, "
                                         r"or raise --max-seconds"):
        check_budget(Estimate({"scan": 1.0, "mpmath": 3 * 3600.0}, {"points": 1.0}), 60, 2, SHRINK)


def test_over_memory_is_checked_first():
    with pytest.raises(InputError, match=r"about 8 GiB of memory \(mostly points\), over the budget --max-memory 2"):
        check_budget(Estimate({"scan": 1e9}, {"points": 8 * 2**30}), 60, 2, SHRINK)
