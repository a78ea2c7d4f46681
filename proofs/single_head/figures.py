"""What a report shows of E1: the derived and stated formulas, and figure data of the error on S¹ and S²."""
from __future__ import annotations

import numpy as np
import sympy

from verifier.budget import scan_chunk_rows

from proofs.h0.head import h0_closed_form

from . import formulas as F
from .construction import E1Construction, E1Parameters
from .evaluator import E1Evaluator


def report_formulas() -> list[tuple[str, sympy.Basic]]:
    """The closed forms a report shows: H0's per-token terms and H derived from the matrices (for
    m = 1, d = 1, one prefix and one content token), and the E1 formulas of formulas.py."""
    cf = h0_closed_form(1, 1)
    return [
        ("prefix score (derived)", sympy.Eq(sympy.Symbol("sigma_prefix"), cf.prefix_score)),
        ("content score (derived)", sympy.Eq(sympy.Symbol("sigma_content"), cf.content_score)),
        ("prefix value (derived)", sympy.Eq(sympy.Symbol("nu_prefix"), cf.prefix_value[0])),
        ("content value (derived)", sympy.Eq(sympy.Symbol("nu_content"), cf.content_value[0])),
        ("H(x) with one prefix token (k, b, v) and one content token u (derived)",
         sympy.Eq(sympy.Symbol("H"), cf.output(1, 1)[0])),
        ("radius", sympy.Eq(sympy.Symbol("r"), F.R)), ("covering radius", sympy.Eq(sympy.Symbol("delta"), F.DELTA)),
        ("grid cells per edge", sympy.Eq(F.n, F.CELLS)), ("prefix length", sympy.Eq(F.N, F.PREFIX_LENGTH)),
        ("bound on the prefix length", sympy.Le(F.PREFIX_LENGTH, F.PREFIX_LENGTH_BOUND)),
        ("temperature", sympy.Eq(F.lam, F.TEMPERATURE)), ("offset", sympy.Eq(F.beta, F.OFFSET)),
        ("error budget: near + far + leak", sympy.Eq(sympy.Symbol("budget"), sympy.Add(*F.BUDGET, evaluate=False))),
        ("P2's exponent", sympy.Eq(sympy.Symbol("e_P2"), F.P2_EXPONENT)),
    ]



def report_figures(params: E1Parameters) -> list[dict]:
    """Figure data (float64 scan of the construction): on S¹ the error H − f against θ with the ±ε
    band and the prefix points marked; on S² an equirectangular map of ‖H − f‖; none for m ≥ 3."""
    c = E1Construction(params)
    evaluator = E1Evaluator(c, h0_closed_form(params.dim, params.target.d))
    points, prefix = c.float64
    eps = float(params.eps)
    rows = scan_chunk_rows(c.prefix_length)

    def on_chunks(compute, X):
        return np.concatenate([compute(X[i:i + rows]) for i in range(0, len(X), rows)])

    def signed_error(X):
        return evaluator.cf.output_numpy(X, prefix, evaluator.content_f64(X)) - params.target.numpy(X)

    if params.dim == 1:
        theta = np.linspace(-np.pi, np.pi, 4097)
        error = on_chunks(signed_error, np.column_stack([np.cos(theta), np.sin(theta)]))
        marks = on_chunks(signed_error, points)[:, 0]
        return [{
            "id": "error-s1", "kind": "curve", "title": f"H − f on S¹ (ε = {eps:g}, N = {c.prefix_length})",
            "caption": "float64 closed form at 4097 angles; the band is ±ε; dots: the prefix points p_i",
            "x": {"label": "θ (x = (cos θ, sin θ))", "values": theta.tolist()},
            "series": [{"label": f"(H − f)_{j}" if params.target.d > 1 else "H − f", "values": error[:, j].tolist()}
                       for j in range(params.target.d)],
            "band": {"low": -eps, "high": eps, "label": "±ε"},
            "markers": {"label": "prefix points", "x": np.arctan2(points[:, 1], points[:, 0]).tolist(),
                        "y": marks.tolist()},
        }]
    if params.dim == 2:
        lon, lat = np.linspace(-np.pi, np.pi, 241), np.linspace(-np.pi / 2, np.pi / 2, 121)
        LON, LAT = np.meshgrid(lon, lat)
        X = np.column_stack([(np.cos(LAT) * np.cos(LON)).ravel(), (np.cos(LAT) * np.sin(LON)).ravel(), np.sin(LAT).ravel()])
        error = on_chunks(lambda chunk: evaluator.parts_f64(chunk)["error"], X).reshape(LAT.shape)
        return [{
            "id": "error-s2", "kind": "map", "title": f"‖H − f‖ on S² (ε = {eps:g}, N = {c.prefix_length})",
            "caption": f"equirectangular, float64 closed form on a 241 × 121 grid; max {error.max():.4g} against ε = {eps:g}; "
                       "dots: the prefix points p_i",
            "x": {"label": "longitude φ", "values": lon.tolist()}, "y": {"label": "latitude", "values": lat.tolist()},
            "z": error.tolist(), "z_label": "‖H − f‖",
            "markers": {"label": "prefix points", "x": np.arctan2(points[:, 1], points[:, 0]).tolist(),
                        "y": np.arcsin(np.clip(points[:, 2], -1, 1)).tolist()},
        }]
    return []
