"""Benchmark: R1's certified branch and bound on a real head, the cells of each round bounded together (the vectorised
H0 enclosure, ``enclose_parts_many``) against one cell at a time (``enclose_parts``), in one run.

The instance (packaged all-MiniLM-L6-v2, default target with certified constants) and its certified constants are
built before either clock starts; both runs split the same cells (the same bounds), so the ratio compares only how
the cells are enclosed. Prints both wall times, the cells, the certified sup bounds and the ratio (one-at-a-time /
together).

    python benchmarks/bench_pretrained.py [--layer 0] [--head 0] [--dim 2] [--eps 0.3]
"""
from __future__ import annotations

import argparse
import time

from flint import ctx

from verifier.ball import PRECISION_BITS
from verifier.bounds import target_functions
from verifier.branch_bound import branch_and_bound
from verifier.cells import dyadic_face_cells

from proofs.h0.enclosure import enclose_parts
from proofs.pretrained import THEOREM, enclosure as Z
from proofs.pretrained.instance import R1Instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="0")
    parser.add_argument("--head", default="0")
    parser.add_argument("--dim", default="2")
    parser.add_argument("--eps", default="0.3")
    a = parser.parse_args()
    params = THEOREM.parameters(layer=a.layer, head=a.head, dim=a.dim, eps=a.eps)
    i = R1Instance(params)
    c, eps = i.certificate, float(params.eps)
    balls = Z.prefix_balls(i.e1_balls.points, i.e1_balls.values, i.lam, i.offset, i.eta, i.e1_balls.near_cos)
    functions = target_functions(params.target)

    def one(cell):
        error, near, far, _ = enclose_parts(balls, cell, functions)
        with ctx.workprec(PRECISION_BITS):
            return (c.unorm * error + c.omega + c.leak).upper(), (c.unorm * near).upper(), (c.unorm * far).upper()

    start = time.perf_counter()
    together = Z.certify_sup(balls, c, params.target, params.dim, i.e1.n, eps, params.budget)
    t_together = time.perf_counter() - start
    start = time.perf_counter()
    alone = branch_and_bound(dyadic_face_cells(params.dim, i.e1.n), one, (eps, eps / 2, eps / 4), lambda cell: cell.split(),
                             params.budget)
    t_alone = time.perf_counter() - start
    print(f"layer {a.layer} head {a.head}, m = {a.dim}, ε = {a.eps}, N = {i.e1.N}")
    print(f"together:        {t_together:8.2f} s, {together.cells} cells, sup ≤ {together.uppers[0]:.6g}")
    print(f"one at a time:   {t_alone:8.2f} s, {alone.cells} cells, sup ≤ {alone.uppers[0]:.6g}")
    print(f"ratio (one at a time / together): {t_alone / t_together:.1f}")


if __name__ == "__main__":
    main()
