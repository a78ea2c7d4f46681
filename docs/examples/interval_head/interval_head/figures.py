"""What a report shows of one instance: H − h on [0, 1] with the ±ε band and the prefix points marked."""
from __future__ import annotations

import numpy as np

from .construction import Construction, Parameters
from .evaluator import Evaluator


def report_figures(params: Parameters) -> list[dict]:
    c = Construction(params)
    evaluator = Evaluator(c)
    z = np.linspace(0, 1, 4001)
    error = evaluator.output_f64(z) - params.target.numpy(z)
    at_grid = evaluator.output_f64(c.grid_f64) - params.target.numpy(c.grid_f64)
    eps = float(params.eps)
    return [{
        "id": "error", "kind": "curve", "title": f"H − h on [0, 1] (ε = {eps:g}, N = {c.N})",
        "caption": "float64 closed form at 4001 points; the band is ±ε; dots: the prefix points a_i",
        "x": {"label": "z", "values": z.tolist()},
        "series": [{"label": "H − h", "values": error.tolist()}],
        "band": {"low": -eps, "high": eps, "label": "±ε"},
        "markers": {"label": "prefix points", "x": c.grid_f64.tolist(), "y": at_grid.tolist()},
    }]
