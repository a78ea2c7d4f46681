"""Tests for verifier/balltree.py: the tokens left out are beyond the cut (mpmath at 50 digits), the ones
within it are all returned; a tree whose radii are too small is caught."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from flint import arb

from verifier import balltree
from verifier.balltree import BallTree, query_many
from verifier.intervals import Intervals


def _sphere(count: int, m: int, seed: int) -> np.ndarray:
    points = np.random.default_rng(seed).normal(size=(count, m + 1))
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _misplaced(tree: BallTree, floats: np.ndarray, queries: np.ndarray, cut: float) -> tuple[int, int]:
    """(points within cut that were left out, points returned): distances in mpmath at 50 digits between the
    exact float points and the query."""
    missing = returned = 0
    found = query_many(tree, Intervals.point(queries), np.full(len(queries), cut))
    with mpmath.workdps(50):
        for q, inside in zip(queries, found):
            inside = set(inside.tolist())
            returned += len(inside)
            for i, p in enumerate(floats):
                close = mpmath.sqrt(mpmath.fsum((mpmath.mpf(a) - mpmath.mpf(b)) ** 2 for a, b in zip(p, q))) <= cut
                missing += close and i not in inside
    return missing, returned


@pytest.mark.parametrize("m,count", [(1, 50), (2, 600), (3, 400)])
def test_every_point_left_out_is_beyond_the_cut(m, count):
    floats = _sphere(count, m, m)
    tree = BallTree.build([[arb(v) for v in p] for p in floats])
    for cut in (0.05, 0.3, 1.2):
        missing, returned = _misplaced(tree, floats, _sphere(8, m, 100 + m), cut)
        assert missing == 0 and returned < 8 * count  # sound, and it does leave points out


def test_query_returns_exactly_the_points_within_the_cut_away_from_ties():
    floats = _sphere(300, 2, 5)
    tree = BallTree.build([[arb(v) for v in p] for p in floats])
    q = _sphere(1, 2, 6)[0]
    distances = np.linalg.norm(floats - q, axis=1)
    assert set(_query(tree, [q], 0.4)) == set(np.flatnonzero(distances <= 0.4).tolist())


def _query(tree: BallTree, q, cut: float, radius: float = 0.0) -> list[int]:
    """query_many of one query: the interval vector q ± radius."""
    q = np.array(q, dtype=float)
    return query_many(tree, Intervals(q - radius, q + radius), np.array([cut]))[0].tolist()


def test_point_balls_are_honoured():
    """A point given as a ball counts as near whenever some number in it is near: (0 ± 0.05, 1) is 0.07 from
    (0.12, 1) at its nearest (0.12 at its midpoint)."""
    tree = BallTree.build([[arb(1), arb(0)], [arb(0, 0.05), arb(1)]])
    assert _query(tree, [[0.12, 1]], 0.1) == [1] == _query(tree, [[-0.12, 1]], 0.1)
    assert _query(tree, [[0.7, 1]], 0.1) == []


def test_query_balls_are_honoured():
    """A query given as an interval vector gets every point within the cut of some point of it: (0.3 ± 0.1, 1)
    reaches (0.12, 1) at 0.08 (0.18 from its midpoint)."""
    tree = BallTree.build([[arb(0.12), arb(1)]])
    assert _query(tree, [[0.3, 1]], 0.1) == [] and _query(tree, [[0.3, 1]], 0.1, radius=0.1) == [0]


def test_radii_too_small_are_caught(monkeypatch):
    """Negative control: nodes whose radii are halved leave out points within the cut."""
    floats = _sphere(600, 2, 2)
    original = balltree.distance
    monkeypatch.setattr(balltree, "distance", lambda a, b: original(a, b) / 2)
    tree = BallTree.build([[arb(v) for v in p] for p in floats])
    missing, _ = _misplaced(tree, floats, _sphere(8, 2, 102), 0.3)
    assert missing > 0


def test_a_leaf_test_without_its_margin_is_caught(monkeypatch):
    """Negative control of the leaves' float test: a margin of the wrong sign (leaves left out 10% inside the reach)
    loses points within the cut; the real margin loses none on the same queries."""
    floats = _sphere(600, 2, 3)
    tree = BallTree.build([[arb(v) for v in p] for p in floats])
    queries = _sphere(8, 2, 103)
    assert _misplaced(tree, floats, queries, 0.3)[0] == 0
    monkeypatch.setattr(balltree, "MARGIN", -0.1)
    assert _misplaced(tree, floats, queries, 0.3)[0] > 0
