"""Benchmark: the certified against the sampled check of E1, in one run, with their ratios.

For m = 1, ε = 0.05 and m = 2, ε = 0.3 (default target sin(2·x0)/2, --lipschitz/--bound auto so
that the hypotheses can be certified): the whole ``verifier check`` run with ``--evidence sampled``
and with ``--evidence auto`` (sampling, then branch and bound in ball arithmetic). One untimed
warm-up run first (imports, sympy's compile caches: a one-time cost that would otherwise land on
whichever run goes first), then the two ways alternate ``--repeat`` times; prints the median wall
times, the ratio certified/sampled of the medians (target ≤ 3) and the certified upper bound
against the sampled sup.

    python benchmarks/bench_certify.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from verifier.run import run

INSTANCES = ((1, "0.05"), (2, "0.3"))


def timed(options: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    result = run("single-head", options)
    return time.perf_counter() - start, result.to_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way per instance (median)")
    repeat = parser.parse_args().repeat
    timed({"dim": 1, "eps": "0.2", "target": "sin(2*x0)/2", "lipschitz": "auto", "bound": "auto"})  # warm-up, untimed
    for dim, eps in INSTANCES:
        base = {"dim": dim, "eps": eps, "target": "sin(2*x0)/2", "lipschitz": "auto", "bound": "auto"}
        times: dict[str, list[float]] = {"sampled": [], "auto": []}
        for _ in range(repeat):
            for mode in times:
                seconds, result = timed({**base, "evidence": mode})
                times[mode].append(seconds)
                if mode == "auto":
                    certified = result
                else:
                    sampled = result
        sampled_time, certified_time = statistics.median(times["sampled"]), statistics.median(times["auto"])
        sup = certified["sup_error"]
        print(f"m = {dim}, ε = {eps}: sampled {sampled_time:7.2f} s ({sampled['verdict']} {sampled['evidence']}), "
              f"certified {certified_time:7.2f} s ({certified['verdict']} {certified['evidence']}; "
              f"{sup['cells']} cells); medians of {repeat}: sampled {[round(t, 2) for t in times['sampled']]}, "
              f"certified {[round(t, 2) for t in times['auto']]}")
        print(f"    sup error: sampled {sup['lower']:.6g}, certified ≤ {sup['certified_upper']:.6g}; "
              f"ratio certified/sampled = {certified_time / sampled_time:.2f}")


if __name__ == "__main__":
    main()
