"""The size search: doubling then bisection, each size tried once, 'not found' up to the cap."""
import pytest

from proofs.prefix_training.search import smallest_found


def recorder(threshold):
    calls = []

    def found_at(size):
        calls.append(size)
        return size >= threshold
    return found_at, calls


@pytest.mark.parametrize("threshold", [1, 2, 3, 7, 37, 64, 100])
def test_finds_the_threshold_of_a_monotone_predicate(threshold):
    found_at, calls = recorder(threshold)
    search = smallest_found(found_at, 100)
    assert search.found == threshold and search.decided
    assert len(calls) == len(set(calls))  # each size once
    assert len(calls) <= 2 * 7 + 1


def test_nothing_found_up_to_the_cap():
    found_at, calls = recorder(1000)
    search = smallest_found(found_at, 100)
    assert search.found is None and not search.decided
    assert calls == [1, 2, 4, 8, 16, 32, 64, 100]


def test_a_non_monotone_predicate_gives_a_found_size_not_the_minimum():
    search = smallest_found(lambda s: s in (3, 8, 9, 10, 11, 12, 13, 14, 15, 16), 20)
    assert search.found == 8 and search.largest_not_found == 7  # 3 is never tried: an upper bound, said in the docs
