"""The estimated time and memory of checking an S1 instance, for the resource guards (verifier.budget).

The end-to-end search evaluates S sequences (``search.evaluated_sequences``) through all 3Q layers at
every one of the n positions, and keeps each layer's increments for the interval claims, so both its
time and its memory grow like S·n·depth:

    seconds ≈ FIXED_SECONDS + S·n·depth·SECONDS_PER_CELL,    bytes ≈ FIXED_BYTES + S·n·depth·BYTES_PER_CELL.

The constants are fitted on this 2-core machine from the difference of two runs of
``/usr/bin/time -f "%e s %M KB" verifier check seq2seq --target neighbour-products --points P`` at P = 2000
and P = 100 000 (n = 4, ε = 0.1, depth 24: +28 s, +1.15 GB) and at P = 2000 and P = 30 000 (n = 8, ε = 0.1,
depth 48: +29 s, +1.12 GB): 3.0·10⁻⁶ and 2.7·10⁻⁶ s, 123 and 104 bytes per sequence, position and layer;
the larger of each is used. The fixed parts (the per-head checks in mpmath) are not modelled beyond a
constant: the guard is for runs that scale with --points, the one input that is unbounded.
"""
from __future__ import annotations

from verifier.budget import Estimate

from .search import evaluated_sequences

SECONDS_PER_CELL = 3.0e-6
BYTES_PER_CELL = 123
FIXED_SECONDS = 20.0
FIXED_BYTES = 0.5 * 2**30


def cost_estimate(n: int, depth: int, points: int) -> Estimate:
    cells = evaluated_sequences(n, points) * n * depth
    return Estimate(
        seconds={"the per-head checks": FIXED_SECONDS, "the end-to-end search (--points, --n)": cells * SECONDS_PER_CELL},
        bytes={"the interpreter and the construction": FIXED_BYTES,
               "the layer increments of the searched sequences (--points, --n)": cells * BYTES_PER_CELL},
    )
