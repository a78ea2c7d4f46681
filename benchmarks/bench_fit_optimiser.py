"""Benchmark: the fits' own L-BFGS (``proofs.prefix_training.lbfgs``, bitwise reproducible) against scipy's L-BFGS-B
in the same protocol, in one run.

For each case (target, kind, size) below, ``fit_prefix``/``fit_network`` with an unreachable goal (10⁻⁹: every start
through every stage, the whole budget) runs twice: (a) as shipped, (b) with each stage's ``minimise`` replaced by
``scipy.optimize.minimize(method="L-BFGS-B", maxiter=STAGE_ITERATIONS)`` (its default tolerances, the ones lbfgs.py
copies; OpenBLAS's threads as the environment sets them). Prints per case the check-set errors, the evaluations and
the wall times, then the number of cases where each is better by more than 5 % and the ratio of total times (b)/(a),
with the load average (the machine is shared).

    python benchmarks/bench_fit_optimiser.py [--full]    (--full: the study's 36 smallest sizes and predecessors)
"""
from __future__ import annotations

import argparse
import os
import time
import types

from scipy.optimize import minimize

from proofs.prefix_training import fit as FT
from verifier.targets import Target

CASES = [(1, "Abs(x0) - 1/2", "prefix", 4), (1, "sin(6*x0)/6", "prefix", 10), (2, "x0*x1", "prefix", 4),
         (1, "Abs(x0) - 1/2", "network", 42), (1, "sin(6*x0)/6", "network", 6), (2, "x0*x1", "network", 3)]
SIZES = {"Abs(x0) - 1/2": {"prefix": (2, 3, 4, 31, 32), "network": (1, 2, 3, 4, 41, 42, 128, 129)},
         "sin(2*x0)/2": {"prefix": (1, 2, 3), "network": (1, 2)},
         "sin(6*x0)/6": {"prefix": (3, 4, 9, 10), "network": (2, 3, 4, 5, 6, 20, 21)},
         "x0*x1": {"prefix": (1, 2, 3, 4), "network": (1, 2, 3)}}
FULL = [(2 if text == "x0*x1" else 1, text, kind, n) for text, kinds in SIZES.items() for kind, ns in kinds.items()
        for n in ns]


def scipy_minimise(fun, x0, iterations):
    result = minimize(fun, x0, jac=True, method="L-BFGS-B", options={"maxiter": iterations})
    return types.SimpleNamespace(x=result.x, evaluations=result.nfev)


def timed(case, optimiser):
    m, text, kind, size = case
    target = Target.parse(text, m, 1, 1)
    original, FT.minimise = FT.minimise, optimiser
    try:
        start = time.perf_counter()
        fit = (FT.fit_prefix if kind == "prefix" else FT.fit_network)(target, size, 1e-9, 0)
        return fit, time.perf_counter() - start
    finally:
        FT.minimise = original


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    totals, wins = [0.0, 0.0], [0, 0]
    for case in FULL if args.full else CASES:
        (a, ta), (b, tb) = timed(case, FT.minimise), timed(case, scipy_minimise)
        totals[0] += ta
        totals[1] += tb
        wins[0] += a.sampled_error < 0.95 * b.sampled_error
        wins[1] += b.sampled_error < 0.95 * a.sampled_error
        print(f"{case}: (a) lbfgs.py {a.sampled_error:.4g} in {a.evaluations} evaluations, {ta:.2f} s;"
              f" (b) L-BFGS-B {b.sampled_error:.4g} in {b.evaluations}, {tb:.2f} s")
    print(f"better by > 5 %: (a) {wins[0]} cases, (b) {wins[1]} cases; time (b)/(a) = {totals[1] / totals[0]:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
