"""Benchmark: a fit with BLAS held to one thread (as ``proofs.prefix_training.fit`` runs it) against the same fit with
OpenBLAS's default threads, in one run.

(a) ``fit_network(sin(2*x0)/2 on S¹, W, goal 10⁻⁹, seed 0)`` as shipped: threadpoolctl limits BLAS to one thread
    around L-BFGS-B (whose small factorisations call BLAS/LAPACK at every iteration);
(b) the same call with that limit replaced by a no-op (OpenBLAS's own thread count).

The goal 10⁻⁹ is out of reach, so both run every start through every stage (the same evaluations). One untimed
warm-up of each, then the two alternate ``--repeat`` times; prints the median wall times, the ratio (b)/(a), whether
the two fits gave the same model (they should: the objective has no BLAS), and the load average before and after
(the ratio grows with the machine's load: idle threads are woken at every call).

    python benchmarks/bench_fit_threads.py [--width 3] [--repeat 3]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import time

from proofs.prefix_training import fit as FT
from verifier.targets import Target


def timed(target: Target, width: int, threads: bool) -> tuple[float, str]:
    original = FT.threadpool_limits
    if threads:
        FT.threadpool_limits = lambda **_: contextlib.nullcontext()
    try:
        start = time.perf_counter()
        fit = FT.fit_network(target, width, 1e-9, 0)
        return time.perf_counter() - start, json.dumps(fit.to_json())
    finally:
        FT.threadpool_limits = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    target = Target.parse("sin(2*x0)/2", 1, 1, 1)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    timed(target, args.width, False), timed(target, args.width, True)
    one, many, models = [], [], set()
    for _ in range(args.repeat):
        for threads, times in ((False, one), (True, many)):
            seconds, model = timed(target, args.width, threads)
            times.append(seconds)
            models.add(model)
    a, b = statistics.median(one), statistics.median(many)
    print(f"(a) one BLAS thread: {a:.2f} s   (b) default threads: {b:.2f} s   ratio (b)/(a) = {b / a:.1f}")
    print(f"same model in every run: {len(models) == 1}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
