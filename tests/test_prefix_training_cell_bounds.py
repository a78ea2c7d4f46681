"""Tests for proofs/prefix_training/cell_bounds.py: the network's and the prefix's centred forms against 50-digit
values at random points of random cells, each with its first-order term removed caught."""
import mpmath
import numpy as np

from proofs.prefix_training import cell_bounds
from proofs.prefix_training.certificate import error_mp
from proofs.prefix_training.models import TanhNetwork
from verifier.targets import Target

from prefix_training_helpers import fitted_network, fitted_prefix, prefix_error_50_digits

SIN2 = Target.parse("sin(2*x0)/2", 1, 1, 1)


def _network_excess(net: TanhNetwork, cell_point) -> float:
    """max over 3 random 50-digit points of 12 random cells of ‖e(x)‖ − (the cell's bound)."""
    bounds, initial = cell_bounds.cell_bounds(net, SIN2, 0.0)
    rng = np.random.default_rng(4)
    cells = [child for cell in initial for child in cell.split()]
    cells = [cells[i] for i in rng.choice(len(cells), size=12, replace=False)]
    worst = -np.inf
    for cell, (bound,) in zip(cells, bounds(cells)):
        with mpmath.workdps(50):
            for _ in range(3):
                worst = max(worst, float(error_mp(net, SIN2, cell_point(cell, rng)) - mpmath.mpf(bound)))
    return worst


def test_network_bound_contains_50_digit_values_on_cells(cell_point, monkeypatch):
    """The centred form of a fitted network's error (amplitudes up to ≈ 30 that cancel) on random cells lies above
    the 50-digit error at random points; without its first-order term (e(x̃) alone: unsound) it does not."""
    net = fitted_network(SIN2, 10, 2.0)
    assert np.abs(net.amplitudes).max() > 10
    assert _network_excess(net, cell_point) <= 0
    monkeypatch.setattr(cell_bounds, "centred_form", lambda value, slope, offset: value)
    assert _network_excess(net, cell_point) > 0


def test_prefix_centred_form_contains_50_digit_values_on_cells(cell_point, monkeypatch):
    """The prefix's centred form alone (not its minimum with H0's enclosure) lies above the 50-digit error at random
    points of random S² cells; without its first-order term (H̃(x̃) − f(x̃) alone: unsound) it does not."""
    target = Target.parse("x0*x1", 2, 1, 1)
    prefix = fitted_prefix(target, 24)
    assert np.abs(prefix.values).max() > 3
    centred = cell_bounds.prefix_centred(prefix, target)
    rng = np.random.default_rng(6)
    cells = [child for cell in cell_bounds.cell_bounds(prefix, target, 0.0)[1] for child in cell.split()]
    cells = [cells[i] for i in rng.choice(len(cells), size=12, replace=False)]

    def excess() -> float:
        worst = -np.inf
        for cell, bound in zip(cells, centred(cells)):
            with mpmath.workdps(50):
                for _ in range(3):
                    value = prefix_error_50_digits(prefix, target, cell_point(cell, rng))
                    worst = max(worst, float(value - mpmath.mpf(float(bound))))
        return worst

    assert excess() <= 0
    monkeypatch.setattr(cell_bounds, "centred_form", lambda value, slope, offset: value)
    assert excess() > 0
