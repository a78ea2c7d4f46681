"""Benchmark: the whole certified check of E1 against the float64 dense scan of the same construction, in one run.

(a) ``verifier check single-head --dim M --eps E`` with default options (certified: ``--evidence auto``, the
    default target with certified constants), run in-process by ``verifier.run.run``, the whole check timed
    (parameters, sampled half, certification);
(b) the float64 scan of the same construction at 60 000 points of S^m: ``E1Evaluator.parts_f64`` (the sampled
    half's own scan: ‖H − f‖ and its three parts, over each point's near tokens) at the sphere's scan points,
    in the chunks ``sup_search`` uses; the construction and its closed form are built before the clock starts.

One untimed warm-up of both first (imports, sympy's caches), then the two alternate ``--repeat`` times; prints the
median wall times and the ratio (a)/(b) of the medians (the issue's target: ≤ 5 for m = 2, ε = 0.3), the verdict and
evidence, and the cells of the certified branch and bound.

    python benchmarks/bench_certified_vs_scan.py [--dim 2] [--eps 0.3] [--repeat 3] [--points 60000]
"""
from __future__ import annotations

import argparse
import statistics
import time

from verifier.budget import scan_chunk_rows
from verifier.domains import Sphere
from verifier.run import run

from proofs.h0.head import h0_closed_form
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator


def certified(dim: int, eps: str) -> tuple[float, dict]:
    start = time.perf_counter()
    result = run("single-head", {"dim": dim, "eps": eps})
    return time.perf_counter() - start, result.to_json()


def scanner(dim: int, eps: str, points: int):
    """The timed scan of (b), with everything it scans built beforehand."""
    params = THEOREM.parameters(dim=dim, eps=eps, evidence="sampled")
    construction = E1Construction(params)
    evaluator = E1Evaluator(construction, h0_closed_form(dim, params.target.d))
    X = Sphere(dim).scan_points(points, params.seed)
    rows = scan_chunk_rows(construction.prefix_length + params.context)

    def scan() -> float:
        start = time.perf_counter()
        for begin in range(0, len(X), rows):
            evaluator.parts_f64(X[begin:begin + rows])
        return time.perf_counter() - start

    return scan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=2)
    parser.add_argument("--eps", default="0.3")
    parser.add_argument("--points", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way (median)")
    args = parser.parse_args()
    scan = scanner(args.dim, args.eps, args.points)
    scan(), certified(args.dim, args.eps)  # warm-up, untimed
    times: dict[str, list[float]] = {"certified": [], "scan": []}
    for _ in range(args.repeat):
        seconds, result = certified(args.dim, args.eps)
        times["certified"].append(seconds)
        times["scan"].append(scan())
    check, dense = statistics.median(times["certified"]), statistics.median(times["scan"])
    sup = result["sup_error"]
    print(f"m = {args.dim}, ε = {args.eps}: certified check {check:.2f} s ({result['verdict']} {result['evidence']}; "
          f"{sup.get('cells')} cells), float64 scan at {args.points} points {dense:.2f} s; medians of {args.repeat}: "
          f"check {[round(t, 2) for t in times['certified']]}, scan {[round(t, 2) for t in times['scan']]}")
    print(f"    ratio certified check / float64 scan = {check / dense:.2f}")


if __name__ == "__main__":
    main()
