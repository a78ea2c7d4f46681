"""Shared test helpers."""
import mpmath
import pytest


def _cell_point(cell, rng) -> list:
    """A random point of a face cell, built in mpmath at the current precision: the lift y with y_axis = sign
    and uniform free coordinates, normalised (independent of verifier.cells' own lift)."""
    t = [a + (b - a) * rng.random() for a, b in zip(cell.lo, cell.hi)]
    y = [mpmath.mpf(v) for v in t]
    y.insert(cell.axis, mpmath.mpf(cell.sign))
    norm = mpmath.norm(y)
    return [v / norm for v in y]


@pytest.fixture
def cell_point():
    """``cell_point(cell, rng)``: a random point of a face cell in mpmath (see ``_cell_point``)."""
    return _cell_point
