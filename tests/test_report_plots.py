"""verifier.report.plots: figure data is checked, drawn as deterministic SVG, and summarised for report.json."""
from __future__ import annotations

import numpy as np
import pytest

from verifier.report.plots import check_figure, summary, to_svg

CURVE = {"id": "c", "kind": "curve", "title": "a curve", "x": {"label": "θ", "values": [0.0, 1.0, 2.0]},
         "series": [{"label": "e", "values": [0.1, -0.3, 0.2]}], "band": {"low": -0.5, "high": 0.5, "label": "±ε"},
         "markers": {"label": "p", "x": [1.0], "y": [-0.3]}}
MAP = {"id": "m", "kind": "map", "title": "a map", "x": {"label": "φ", "values": [0.0, 1.0, 2.0]},
       "y": {"label": "lat", "values": [0.0, 1.0]}, "z": [[0.0, 0.1, 0.2], [0.3, -0.7, 0.5]], "z_label": "‖e‖"}
TABLE = {"id": "t", "kind": "table", "title": "depths", "columns": ["n", "depth"], "rows": [[1, 9], [2, 15]]}


@pytest.mark.parametrize("figure", [CURVE, MAP])
def test_svg_is_deterministic_and_inline_ready(figure):
    svg = to_svg(figure, salt="x")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "<?xml" not in svg
    assert svg == to_svg(figure, salt="x")
    assert figure["title"] in svg  # text stays text (svg.fonttype none)
    assert "<dc:date>" not in svg


def test_summary_keeps_tables_and_the_largest_value_of_plots():
    assert summary(TABLE) == {"id": "t", "kind": "table", "title": "depths", "caption": "", "columns": ["n", "depth"],
                              "rows": [[1, 9], [2, 15]]}
    assert summary(CURVE)["max_abs"] == 0.3 and summary(MAP)["max_abs"] == 0.7
    assert "z" not in summary(MAP) and "series" not in summary(CURVE)


@pytest.mark.parametrize("broken", [
    {**CURVE, "kind": "pie"},
    {**CURVE, "title": ""},
    {**CURVE, "series": [{"label": "e", "values": [0.1, 0.2]}]},
    {**MAP, "z": np.zeros((3, 2)).tolist()},
    {**TABLE, "rows": [[1, 2, 3]]},
])
def test_malformed_figures_are_rejected(broken):
    with pytest.raises(ValueError):
        check_figure(broken)
