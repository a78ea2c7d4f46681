"""Benchmark: the E1 head (m = 1, ε = 0.05, default target) at the same 2 000 points, two ways.

(a) every point in mpmath at 30 digits (the error ‖H(x) − f(x)‖ and its parts);
(b) what the tool does (E1Evaluator.sups): float64 scan of the same points plus the prefix's
    farthest-point candidates, Nelder–Mead refinement of the worst, mpmath compass-search polish of
    ‖H − f‖, and mpmath at 30 and 60 digits at the best points.
Prints both times, the ratio (a)/(b), and both sups (the tool's sup is ≥ the exhaustive one,
because refinement moves off the 2 000 points).

    python benchmarks/bench_supnorm.py
"""
from __future__ import annotations

import time

import mpmath

from proofs.h0.head import h0_closed_form
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator
from verifier.domains import Sphere, covering_radius

POINTS = 2_000


def main() -> None:
    params = THEOREM.parameters(dim=1, eps="0.05", points=POINTS)
    construction = E1Construction(params)
    evaluator = E1Evaluator(construction, h0_closed_form(1, params.target.d))
    X = Sphere(1).scan_points(POINTS, params.seed)  # the same points the tool's scan starts from
    rho = covering_radius(construction.float64[0], seed=params.seed)
    with mpmath.workdps(30):  # warm the caches so both ways time evaluation only
        evaluator.parts_mp(X[0])

    start = time.perf_counter()
    with mpmath.workdps(30):
        full = max(evaluator.parts_mp(x)["error"] for x in X)
    mp_time = time.perf_counter() - start

    start = time.perf_counter()
    tool = evaluator.sups(rho)["error"]
    tool_time = time.perf_counter() - start

    print(f"(a) mpmath, 30 digits, {POINTS} points:  {mp_time:8.2f} s   sup = {mpmath.nstr(full, 15)}")
    print(f"(b) the tool's sup search:            {tool_time:8.2f} s   sup = {mpmath.nstr(tool.value, 15)}"
          f"  ({tool.points} float64 points and evaluations)")
    print(f"ratio (a)/(b) = {mp_time / tool_time:.1f}")


if __name__ == "__main__":
    main()
