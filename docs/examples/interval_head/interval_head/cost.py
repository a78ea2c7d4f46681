"""The estimated seconds and bytes of one check, for the resource guards (verifier.budget.check_budget)."""
from __future__ import annotations

from verifier.budget import Estimate

# Fitted on a 2-core machine to `verifier check interval-head --eps 0.1 | 0.01 | 0.002` and `--eps 0.01 --dps 100`
# (0.1 s, 0.7 s, 6.1 s, 1.2 s): the float64 scan costs SCAN_CELL per (point, token, part); mpmath evaluates all N
# tokens about MP_EVALUATIONS times (sups and two paths, at both precisions), MP_TOKEN·(1 + (dps/50)²) each.
SCAN_CELL, MP_EVALUATIONS, MP_TOKEN, BYTES_PER_CELL = 2.5e-8, 40, 6.3e-6, 64
FIXED_SECONDS = 0.2  # sympy: the closed form and the budget identity
CHUNK_CELLS = 2_000_000  # rows × prefix tokens of one float64 chunk of the scan (16 MB per array)


def cost_estimate(points: int, prefix_length: int, dps: int) -> Estimate:
    scan = 3 * (points + prefix_length) * prefix_length  # the three parts and their refinement
    return Estimate(
        seconds={"the float64 scan (--points)": scan * SCAN_CELL,
                 "the mpmath evaluations (--dps)": MP_EVALUATIONS * prefix_length * MP_TOKEN * (1 + (dps / 50) ** 2),
                 "sympy": FIXED_SECONDS},
        bytes={"the scan chunks": CHUNK_CELLS * BYTES_PER_CELL, "the scan points (--points)": 8 * points},
    )
