"""Benchmark: the certified against the sampled check of E1, in one run, with their ratios.

For m = 1, ε = 0.05 and m = 2, ε = 0.3 (default target sin(2·x0)/2, --lipschitz/--bound auto so
that the hypotheses can be certified): the whole ``verifier check`` run with ``--evidence sampled``
and with ``--evidence auto`` (sampling, then branch and bound in ball arithmetic). Prints both wall
times, the ratio certified/sampled (target ≤ 3) and the certified upper bound against the sampled sup.

    python benchmarks/bench_certify.py
"""
from __future__ import annotations

import time

from verifier.run import run

INSTANCES = ((1, "0.05"), (2, "0.3"))


def timed(options: dict) -> tuple[float, dict]:
    start = time.perf_counter()
    result = run("single-head", options)
    return time.perf_counter() - start, result.to_json()


def main() -> None:
    for dim, eps in INSTANCES:
        base = {"dim": dim, "eps": eps, "target": "sin(2*x0)/2", "lipschitz": "auto", "bound": "auto"}
        sampled_time, sampled = timed({**base, "evidence": "sampled"})
        certified_time, certified = timed({**base, "evidence": "auto"})
        sup = certified["sup_error"]
        print(f"m = {dim}, ε = {eps}: sampled {sampled_time:7.2f} s ({sampled['verdict']} {sampled['evidence']}), "
              f"certified {certified_time:7.2f} s ({certified['verdict']} {certified['evidence']}; "
              f"{sup['cells']} cells)")
        print(f"    sup error: sampled {sup['lower']:.6g}, certified ≤ {sup['certified_upper']:.6g}; "
              f"ratio certified/sampled = {certified_time / sampled_time:.2f}")


if __name__ == "__main__":
    main()
