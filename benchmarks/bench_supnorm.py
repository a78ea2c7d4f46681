"""Benchmark: the E1 head (m = 1, ε = 0.05, default target) at the same 2 000 points, two ways.

(a) every point in mpmath at 30 digits (the error ‖H(x) − f(x)‖ and its parts);
(b) what the tool does: float64 scan of all points, Nelder–Mead refinement of the worst, mpmath at
    30 and 60 digits at the best refined points.
Prints both times, the ratio (a)/(b), and both sups (the refined sup is ≥ the exhaustive one,
because refinement moves off the 2 000 points).

    python benchmarks/bench_supnorm.py
"""
from __future__ import annotations

import time

import mpmath

from proofs.single_head import PARTS, E1Construction, E1Evaluator, THEOREM
from verifier.attention import Head, derive_closed_form
from verifier.domains import Sphere
from verifier.supnorm import sup_search

POINTS = 2_000


def main() -> None:
    params = THEOREM.parameters(dim=1, eps="0.05", points=POINTS)
    head = Head.h0(1, params.target.d)
    evaluator = E1Evaluator(E1Construction(params), derive_closed_form(head, 1, params.target.d))
    sphere = Sphere(1)
    X = sphere.scan_points(POINTS, params.seed)
    with mpmath.workdps(30):  # warm the 30-digit prefix cache so (a) times evaluation only
        evaluator.c.at_precision()
    _ = evaluator.c.float64  # and the float64 prefix

    start = time.perf_counter()
    with mpmath.workdps(30):
        full = max(evaluator.parts_mp(x)["error"] for x in X)
    mp_time = time.perf_counter() - start

    start = time.perf_counter()
    tool = sup_search(evaluator.parts_f64, evaluator.parts_mp, PARTS, sphere, params.policy, params.seed,
                      scan_points=POINTS)["error"]
    tool_time = time.perf_counter() - start

    print(f"(a) mpmath, 30 digits, {POINTS} points:        {mp_time:8.2f} s   sup = {mpmath.nstr(full, 15)}")
    print(f"(b) float64 scan + refinement + mpmath 30/60:  {tool_time:8.2f} s   sup = {mpmath.nstr(tool.value, 15)}"
          f"  ({tool.points} evaluations)")
    print(f"ratio (a)/(b) = {mp_time / tool_time:.1f}")


if __name__ == "__main__":
    main()
