"""The estimated time and memory of checking an E2 instance, for the resource guards (verifier.budget).

The sup search scans ``points`` float64 points through all N + T tokens, in chunks, so its time grows
like points·(N + T) and its memory stays that of the points themselves:

    seconds ≈ points·(N + T)·SECONDS_PER_CELL,    bytes ≈ FIXED_BYTES + points·(m + 1)·BYTES_PER_COORDINATE.

SECONDS_PER_CELL is fitted on this 2-core machine from the difference of two runs of
``/usr/bin/time -f "%e s %M KB" verifier check smoothing --dim 1 --eps 0.1 --points P`` at P = 8000 and
P = 400 000 (N = 336: +20.8 s, peak memory 307 → 377 MB): 1.6·10⁻⁷ s per point and token. The mpmath part
(f_κ by quadrature at the verified points; minutes on S^2) does not depend on --points and is not
modelled: the guard is for runs that scale with --points, the one input that is unbounded.
"""
from __future__ import annotations

from verifier.budget import Estimate

SECONDS_PER_CELL = 1.6e-7
BYTES_PER_COORDINATE = 8 * 4  # the points, their values and the scan's copies
FIXED_BYTES = 0.5 * 2**30


def cost_estimate(dim: int, prefix_length: int, context: int, points: int) -> Estimate:
    return Estimate(
        seconds={"the float64 scan (--points)": points * (prefix_length + context) * SECONDS_PER_CELL},
        bytes={"the interpreter and the rule": FIXED_BYTES, "the scan points (--points)": points * (dim + 1) * BYTES_PER_COORDINATE},
    )
