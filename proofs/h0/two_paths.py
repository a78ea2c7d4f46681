"""F.two-paths on the H0 head (single-head and smoothing): the derived closed form and the plain matrix forward
pass of a construction's prefix with T content tokens (copies of x), in float64 at 512 seeded points of S^m and
in mpmath at a given point; ``verifier.claims.two_paths_claim`` compares them.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from verifier.attention import Head, embedding, embedding_numpy, forward_matrix_mp, forward_matrix_numpy
from verifier.claims import TwoPaths
from verifier.domains import Sphere, to_sphere_mp

from .evaluator import H0Evaluator

POINTS = 512  # float64 points of S^m (seed + 7)


def h0_paths(evaluator: H0Evaluator, head: Head, at: Sequence[float]) -> TwoPaths:
    """The two paths of ``evaluator``'s construction on ``head`` (the matrices; H0 for an honest check), float64 at
    POINTS points, mpmath at ``at`` (e.g. the argmax of the sup error)."""
    c, cf, d, T = evaluator.c, evaluator.cf, evaluator.target.d, evaluator.T
    _, prefix = c.float64

    def closed_f64(X: np.ndarray) -> np.ndarray:
        return cf.output_numpy(X, prefix, evaluator.content_f64(X))

    def matrix_f64(X: np.ndarray) -> np.ndarray:
        return forward_matrix_numpy(head, embedding_numpy(X, d), prefix.tokens(), embedding_numpy(evaluator.content_f64(X), d))

    def closed_mp(x) -> list:
        xm = to_sphere_mp(x)
        return cf.output_mp(xm, c.at_precision()[1], [xm] * T)

    def matrix_mp(x) -> list:
        xm = to_sphere_mp(x)
        prefix_mp = c.at_precision()[1]
        tokens = [list(k) + [b] + list(v) for k, b, v in zip(prefix_mp.keys, prefix_mp.biases, prefix_mp.values)]
        return forward_matrix_mp(head, embedding(xm, d), tokens + [embedding(xm, d)] * T)

    X = Sphere(c.params.dim).scan_points(POINTS, c.params.seed + 7)
    return TwoPaths(closed_f64, matrix_f64, X, closed_mp, matrix_mp, np.array(at))
