"""Benchmark: H0's cell enclosure with one λ against the same prefix given as free keys (per-token λ_i = ‖k_i‖), in
one run, with their ratio.

For E1's prefix at m = 1, ε = 0.05 (N = 228) and m = 2, ε = 0.3 (N = 1178), target sin(2·x0)/2: the branch and bound
of sup ‖H − f‖ to the threshold 1.1 × the sampled sup (tight, so that thousands of cells are bounded), once with the
exact one-λ prefix (``proofs.single_head.certify.prefix_balls``) and once with its float64 tokens as free keys
(``PrefixBalls.of_keys``: per-token scales, the tail's envelope, the per-token cutoff). One untimed warm-up, then the
two ways alternate ``--repeat`` times; prints the cells, the median times, the ratio per-token/one-λ and both upper
bounds.

    python benchmarks/bench_free_prefix.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from proofs.h0.enclosure import PrefixBalls, enclose_parts_many
from proofs.single_head import THEOREM
from proofs.single_head import certify as e1_certify
from proofs.single_head.construction import E1Construction
from verifier.bounds import target_functions
from verifier.branch_bound import branch_and_bound
from verifier.budget import Budget

INSTANCES = ((1, "0.05", 0.0167), (2, "0.3", 0.0576))  # (m, ε, threshold ≈ 1.1 × the sampled sup of E1's prefix)


def bound(prefix: PrefixBalls, c: E1Construction, functions, threshold: float):
    start = time.perf_counter()
    result = branch_and_bound(e1_certify.initial_cells(c.m, c.n), None, (threshold,), lambda cell: cell.split(),
                              Budget(cells=200_000), many=lambda cells: [p[:1] for p in enclose_parts_many(prefix, cells, functions)])
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way per instance (median)")
    repeat = parser.parse_args().repeat
    for dim, eps, threshold in INSTANCES:
        params = THEOREM.parameters(dim=dim, eps=eps)
        c = E1Construction(params)
        functions = target_functions(params.target)
        _, floats = c.float64
        ways = {"one λ": lambda: e1_certify.prefix_balls(c),
                "per-token": lambda: PrefixBalls.of_keys(floats.keys, floats.biases, floats.values, params.context)}
        bound(ways["one λ"](), c, functions, 10 * threshold)  # warm-up, untimed
        times: dict[str, list[float]] = {name: [] for name in ways}
        results = {}
        for _ in range(repeat):
            for name, make in ways.items():
                seconds, results[name] = bound(make(), c, functions, threshold)
                times[name].append(seconds)
        medians = {name: statistics.median(t) for name, t in times.items()}
        print(f"m = {dim}, ε = {eps}, N = {len(floats.keys)}, threshold {threshold}: " + "; ".join(
            f"{name} {medians[name]:.2f} s, {results[name].cells} cells, upper {results[name].upper:.6g}" for name in ways)
            + f"; ratio per-token/one λ = {medians['per-token'] / medians['one λ']:.2f}")


if __name__ == "__main__":
    main()
