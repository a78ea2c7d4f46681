"""Benchmark: the certified check of E2 (smoothing) against the sampled check of the same instance, in one run.

(a) ``verifier check smoothing --dim M --eps E`` with default options (``--evidence auto``: the hypotheses, E2.sup and
    its split certified; f_κ sampled only where the balls leave a split claim open), run in-process by
    ``verifier.run.run``, the whole check timed (parameters, hypotheses, sampled search, branch and bound);
(b) the same with ``--evidence sampled`` (no certification; the split's smoothing and quadrature parts sampled with
    f_κ by mpmath.quad, the hypotheses sampled with L = B = 1).

The two alternate ``--repeat`` times (the first pair also warms the caches: sympy's, the V2 grid's); prints each run's
wall time, the median of each way and the ratio (a)/(b) of the medians, with each run's verdict and evidence and the
certified branch and bound's cells. On a shared machine only the ratio means anything.

    python benchmarks/bench_smoothing.py [--dim 1] [--eps 0.1] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from verifier.run import run


def timed(dim: int, eps: str, evidence: str) -> tuple[float, dict]:
    start = time.perf_counter()
    result = run("smoothing", {"dim": dim, "eps": eps, "evidence": evidence})
    return time.perf_counter() - start, result.to_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=1)
    parser.add_argument("--eps", default="0.1")
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way (median)")
    args = parser.parse_args()
    times: dict[str, list[float]] = {"auto": [], "sampled": []}
    for _ in range(args.repeat):
        for evidence in times:
            seconds, data = timed(args.dim, args.eps, evidence)
            times[evidence].append(seconds)
            print(f"{evidence:8s} {seconds:8.2f} s  {data['verdict']} ({data['evidence']}), "
                  f"branch-and-bound cells {data['sup_error'].get('cells', '—')}", flush=True)
    certified, sampled = (statistics.median(times[k]) for k in ("auto", "sampled"))
    print(f"smoothing --dim {args.dim} --eps {args.eps}: certified {certified:.2f} s, sampled {sampled:.2f} s "
          f"(medians of {args.repeat}); ratio certified/sampled = {certified / sampled:.2f}")


if __name__ == "__main__":
    main()
