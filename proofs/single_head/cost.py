"""The estimated seconds and bytes of one E1 check, for the resource guards (verifier.budget)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from verifier.budget import SCAN_CELLS, Estimate

if TYPE_CHECKING:
    from .construction import E1Parameters

# mpmath work is ~MP_EVALUATIONS evaluations of all N + T tokens, each costing MP_TOKEN·(1 + (dps/140)²)
# per coordinate; the float64 scan costs SCAN_CELL per (point, token, coordinate); the target costs
# TARGET_NODE_F64 per (node, point) in float64 and TARGET_NODE_MP per node and mpmath evaluation.
MP_EVALUATIONS, MP_TOKEN, SCAN_CELL = 400, 4.2e-6, 1.5e-9
TARGET_NODE_F64, TARGET_NODE_MP = 1e-8, 6e-6
BYTES_PER_POINT, BYTES_PER_CELL = 100, 64


def cost_estimate(params: E1Parameters, N: int) -> Estimate:
    """The estimated seconds and bytes of checking ``params`` with N prefix tokens (see the constants)."""
    tokens, width = N + params.context, params.dim + 1 + params.target.d
    scan_points = params.points + 4096 + 512  # the sup scan, the hypothesis samples, the two-paths points
    nodes = params.target.size
    seconds = {
        "the float64 scan (--points, --context)": scan_points * tokens * width * SCAN_CELL,
        "the mpmath evaluations (--dps, --context)": MP_EVALUATIONS * tokens * width * MP_TOKEN * (1 + (params.policy.dps / 140) ** 2),
        "evaluating the target (--target)": nodes * (scan_points * TARGET_NODE_F64 + (2 * N + MP_EVALUATIONS) * TARGET_NODE_MP),
    }
    memory = {
        "the scan points (--points)": scan_points * BYTES_PER_POINT * (params.dim + 1),
        "the scan chunks": SCAN_CELLS * BYTES_PER_CELL * width,
        "the prefix in mpmath (--dps)": tokens * width * 4 * (80 + params.policy.dps),
    }
    return Estimate(seconds, memory)
