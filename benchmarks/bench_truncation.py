"""Benchmark: the sampled sup search of E1 at m = 3, ε = 0.5 (N = 8080), dense against truncated: dense
sums over all N prefix tokens, in mpmath and in the float64 scan, against sums over the tokens near x
(mpmath: the others weigh < 10^−(dps+5); float64 scan: per group of rows, < 10^−20, see
``E1Evaluator.parts_f64``).

Both run the same search (E1Evaluator.sups: float64 scan, Nelder–Mead, mpmath compass polish and
the values at 30 and 60 digits); prints both times, the ratio dense/truncated (target ≥ 5) and the
two sups, which must agree to the working precision.

    python benchmarks/bench_truncation.py
"""
from __future__ import annotations

import time

import mpmath

from proofs.h0.head import h0_closed_form
from proofs.single_head import THEOREM
from proofs.single_head.construction import E1Construction
from proofs.single_head.evaluator import E1Evaluator
from verifier.domains import covering_radius


def main() -> None:
    params = THEOREM.parameters(dim=3, eps="0.5")
    construction = E1Construction(params)
    closed_form = h0_closed_form(3, params.target.d)
    rho = covering_radius(construction.float64[0], seed=params.seed)
    times, sups = {}, {}
    for name, truncate in (("dense", False), ("truncated", True)):
        evaluator = E1Evaluator(construction, closed_form, truncate=truncate)
        start = time.perf_counter()
        sups[name] = evaluator.sups(rho)["error"]
        times[name] = time.perf_counter() - start
        print(f"{name:9s}: {times[name]:8.2f} s   sup = {mpmath.nstr(sups[name].value, 20)}")
    print(f"ratio dense/truncated = {times['dense'] / times['truncated']:.1f}; "
          f"sups differ by {mpmath.nstr(abs(sups['dense'].value - sups['truncated'].value), 3)}")


if __name__ == "__main__":
    main()
