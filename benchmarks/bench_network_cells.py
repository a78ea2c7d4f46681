"""Benchmark: a tanh network's cell bounds vectorised in rigorous float intervals against the same centred form in ball
arithmetic cell by cell (the network's sympy expression compiled by ``verifier.ball``), in one run, with their ratio.

The network: least squares on W = 30 random units (weights ×5) for sin(6·x0)/6 on S¹ (amplitudes up to ≈ 10² that
cancel), the cells: the 2 048 arcs of an even subdivision. Way 1 is ``proofs.prefix_training.cell_bounds`` (cells ×
units per numpy operation); way 2 builds e = Σ_u a_u tanh(⟨w_u, x⟩ + c_u) + a_0 − f in sympy from the exact rationals
of the floats and evaluates e(x̃) + Σ_k G_k (X_k − x̃_k) ∩ e(X) per cell with ``compile_arb``/``compile_arb_gradient``.
One untimed warm-up, then the two ways alternate ``--repeat`` times; prints the median times, the ratio and the
largest relative difference of the bounds (the same form on slightly different boxes and midpoints:
``FaceGeometry.boxes`` against ``FaceCell.enclosure``).

    python benchmarks/bench_network_cells.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import functools
import statistics
import time

import numpy as np
import sympy
from flint import arb, ctx

from proofs.prefix_training.cell_bounds import network_bounds
from proofs.prefix_training.models import TanhNetwork
from verifier.ball import PRECISION_BITS, compile_arb, compile_arb_gradient, upper
from verifier.bounds import norm_ball
from verifier.cells import face_cells
from verifier.domains import Sphere
from verifier.targets import Target, coordinates


def network(target: Target, W: int, scale: float, seed: int = 0) -> TanhNetwork:
    rng = np.random.default_rng(seed)
    w, c = rng.normal(size=(W, 2)) * scale, rng.uniform(-scale, scale, size=W)
    X = Sphere(1).uniform(4000, seed + 1)
    coef, *_ = np.linalg.lstsq(np.column_stack([np.tanh(X @ w.T + c), np.ones(len(X))]), target.numpy(X), rcond=None)
    return TanhNetwork(w, c, coef[:-1], coef[-1])


def ball_bounds(net: TanhNetwork, target: Target):
    """Way 2: the centred form in balls, cell by cell, from the sympy expression."""
    xs, R = coordinates(1), sympy.Rational
    hidden = [sympy.tanh(sympy.Add(*(R(float(w)) * x for w, x in zip(row, xs)), R(float(c))))
              for row, c in zip(net.weights, net.offsets)]
    errors = [sympy.Add(*(R(float(a[j])) * h for a, h in zip(net.amplitudes, hidden)), R(float(net.constant[j])), -f)
              for j, f in enumerate(target.components)]
    compiled = [(compile_arb(e, xs), compile_arb_gradient(e, xs)) for e in errors]

    def bounds(cells) -> list:
        out = []
        for cell in cells:
            X = cell.enclosure
            with ctx.workprec(PRECISION_BITS):
                centre, parts = [arb(x.mid()) for x in X], []
                for value, gradient in compiled:
                    plain, alternatives = gradient(X)
                    slopes = [functools.reduce(arb.union, column) for column in zip(*alternatives)]
                    centred = value(centre) + sum((g * (x - c) for g, x, c in zip(slopes, X, centre)), arb(0))
                    parts.append(centred.intersection(plain))
                out.append((upper(norm_ball(parts)),))
        return out

    return bounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternating runs of each way (median)")
    repeat = parser.parse_args().repeat
    target = Target.parse("sin(6*x0)/6", 1, 1, 1)
    net = network(target, 30, 5.0)
    cells = face_cells(1, 512)
    ways = {"intervals": network_bounds(net, target), "balls": ball_bounds(net, target)}
    for way in ways.values():
        way(cells[:16])  # warm-up, untimed
    times: dict[str, list[float]] = {name: [] for name in ways}
    bounds = {}
    for _ in range(repeat):
        for name, way in ways.items():
            start = time.perf_counter()
            bounds[name] = np.array([b[0] for b in way(cells)])
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    gap = float(np.max(np.abs(bounds["intervals"] - bounds["balls"]) / bounds["balls"]))
    print(f"W = 30, max |a| = {np.abs(net.amplitudes).max():.3g}, {len(cells)} cells: intervals {medians['intervals']:.3f} s, "
          f"balls {medians['balls']:.3f} s (medians of {repeat}); ratio balls/intervals = "
          f"{medians['balls'] / medians['intervals']:.1f}; largest relative difference of the bounds {gap:.2e}")


if __name__ == "__main__":
    main()
