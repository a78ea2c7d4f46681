"""Figures of a report: plain data from a theorem, drawn as SVG with matplotlib.

A theorem may offer ``report_figures(params) -> Sequence[Mapping]``; each mapping is one figure
(plain numbers, so theorem modules need not import the report layer), of one of three kinds:

- ``curve``: ``x = {"label", "values"}``, ``series = [{"label", "values"}, …]``, optional
  ``band = {"low", "high", "label"}`` (a shaded horizontal band, e.g. ±ε),
  ``markers = {"label", "x", "y"}`` (points drawn on top, e.g. the prefix points), ``log`` (true: log–log
  axes, every value > 0) and ``y_max`` (the top of the y axis);
- ``map``: ``x`` and ``y`` axes as above, ``z`` a len(y) × len(x) grid, ``z_label``, optional
  ``markers`` (an equirectangular map of a function on S² is one: x longitude, y latitude), optional ``cell_text``
  (a len(y) × len(x) grid of short texts: then x and y are the centres of equally spaced cells, each labelled at its
  tick and written on, e.g. a heat map of an audit with each cell's verdict; NaN in z: a blank cell), optional
  ``z_min`` (the bottom of the colour scale, e.g. 0 for errors, so equal values do not read as a contrast);
- ``table``: ``columns`` (names) and ``rows`` (lists of numbers or text), drawn as a table, not a plot.

Every figure has ``id`` (a short slug, unique in its instance), ``title`` and an optional ``caption``.
The report's summary figure (:func:`matrix_svg`) is a matrix of coloured, linked cells.
Drawing is deterministic: fixed SVG ids and no date in the metadata, so the same data gives the same file.
"""
from __future__ import annotations

import io
from contextlib import contextmanager
from typing import Any, Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
import numpy as np  # noqa: E402

KINDS = ("curve", "map", "table")
STYLE = {"svg.fonttype": "none", "font.size": 9, "axes.grid": True, "grid.alpha": 0.3}


def check_figure(figure: Mapping[str, Any]) -> None:
    """Raise ValueError if ``figure`` is not a figure of a known kind with consistent data."""
    kind = figure.get("kind")
    if kind not in KINDS or not figure.get("id") or not figure.get("title"):
        raise ValueError(f"a figure needs id, title and kind in {KINDS}; got keys {sorted(figure)}")
    if kind == "curve":
        n = len(figure["x"]["values"])
        if not figure["series"] or any(len(s["values"]) != n for s in figure["series"]):
            raise ValueError(f"figure {figure['id']}: every series needs {n} values, one per x")
        if not all(_finite(v) for s in [figure["x"], *figure["series"]] for v in s["values"]):
            raise ValueError(f"figure {figure['id']}: a curve needs finite numbers")
        if figure.get("log") and not all(v > 0 for s in [figure["x"], *figure["series"]] for v in s["values"]):
            raise ValueError(f"figure {figure['id']}: a log–log curve needs positive values")
    elif kind == "map":
        z = np.asarray(figure["z"])
        if z.shape != (len(figure["y"]["values"]), len(figure["x"]["values"])):
            raise ValueError(f"figure {figure['id']}: z must be len(y) × len(x)")
        if "cell_text" in figure and np.shape(figure["cell_text"]) != z.shape:
            raise ValueError(f"figure {figure['id']}: cell_text must be len(y) × len(x), as z")
    elif any(len(row) != len(figure["columns"]) for row in figure["rows"]):
        raise ValueError(f"figure {figure['id']}: every row needs {len(figure['columns'])} cells")


def _finite(value: Any) -> bool:
    """A real number that float64 holds (not bool, NaN, ±inf or an int beyond 1.8e308)."""
    try:
        return not isinstance(value, bool) and bool(np.isfinite(float(value)))
    except (TypeError, ValueError, OverflowError):
        return False


def summary(figure: Mapping[str, Any]) -> dict:
    """What report.json records of a figure: its description, and the data itself only for tables
    (curves and maps are in their SVG file; their largest |value| is recorded)."""
    out = {k: figure[k] for k in ("id", "kind", "title") if k in figure}
    out["caption"] = figure.get("caption", "")
    if figure["kind"] == "table":
        out["columns"], out["rows"] = list(figure["columns"]), [list(r) for r in figure["rows"]]
    else:
        values = np.asarray(figure["z"]) if figure["kind"] == "map" else np.concatenate(
            [np.asarray(s["values"], dtype=float) for s in figure["series"]])
        out["max_abs"] = float(np.max(np.abs(values)))
    return out


def to_svg(figure: Mapping[str, Any], salt: str) -> str:
    """The figure drawn as an SVG document (curves and maps; tables are rendered as HTML/Markdown)."""
    with _drawn(figure, salt) as fig:
        return _svg_text(fig)


def save(figure: Mapping[str, Any], path, salt: str) -> list:
    """``figure`` (a curve or map) written to PATH.png (120 dpi) and PATH.svg, as :func:`to_svg` draws it; the paths."""
    from pathlib import Path

    written = []
    with _drawn(figure, salt) as fig:
        for suffix in (".png", ".svg"):
            out = Path(path).with_suffix(suffix)
            out.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(out, dpi=120, metadata={"Date": None, "Creator": None} if suffix == ".svg" else None)
            written.append(out)
    return written


@contextmanager
def _drawn(figure: Mapping[str, Any], salt: str):
    """The figure (curve or map) drawn on a matplotlib Figure, closed on leaving."""
    check_figure(figure)
    with plt.rc_context({**STYLE, "svg.hashsalt": salt}):
        fig, ax = plt.subplots(figsize=(7.5, 3.4 if figure["kind"] == "curve" else 3.9))
        try:
            (_curve if figure["kind"] == "curve" else _map)(fig, ax, figure)
            ax.set_title(figure["title"])
            fig.tight_layout()
            yield fig
        finally:
            plt.close(fig)


def _svg_text(fig, **options) -> str:
    """The figure as SVG text without a date, and without the XML prologue and DOCTYPE so it can sit inline in HTML."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, **options)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _curve(fig, ax, figure) -> None:
    x = np.asarray(figure["x"]["values"], dtype=float)
    if "band" in figure:
        band = figure["band"]
        ax.axhspan(band["low"], band["high"], color="tab:green", alpha=0.12, label=band.get("label"))
        for level in (band["low"], band["high"]):
            ax.axhline(level, color="tab:green", lw=0.8, ls="--")
    for series in figure["series"]:
        ax.plot(x, np.asarray(series["values"], dtype=float), lw=0.9, marker="o" if figure.get("log") else None, ms=3,
                label=series["label"])
    _markers(ax, figure)
    ax.set_xlabel(figure["x"]["label"])
    if figure.get("log"):  # a little room at both ends, so the end markers show whole
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(x.min() / 1.06, x.max() * 1.06)
    else:
        ax.set_xlim(x.min(), x.max())
    if "y_max" in figure:
        ax.set_ylim(top=figure["y_max"])
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)


def _map(fig, ax, figure) -> None:
    x, y = (np.asarray(figure[a]["values"], dtype=float) for a in ("x", "y"))
    z = np.asarray(figure["z"], dtype=float)
    cells = "cell_text" in figure
    extent = (x.min(), x.max(), y.min(), y.max())
    if cells:  # x and y are cell centres: the image reaches half a cell past the first and last
        dx, dy = (np.diff(v).mean() if len(v) > 1 else 1.0 for v in (x, y))
        extent = (x.min() - dx / 2, x.max() + dx / 2, y.min() - dy / 2, y.max() + dy / 2)
    image = ax.imshow(z, origin="lower", aspect="auto", cmap="viridis", extent=extent, interpolation="nearest",
                      vmin=figure.get("z_min"))
    bar = fig.colorbar(image, ax=ax, label=figure.get("z_label", ""))
    bar.formatter.set_useOffset(False)  # the values themselves, never '1e-8 + 4.99e-2'
    bar.update_ticks()
    if cells:
        ax.set_xticks(x, [f"{v:g}" for v in x], fontsize=7)
        ax.set_yticks(y, [f"{v:g}" for v in y], fontsize=7)
        for i, yi in enumerate(y):
            for j, xj in enumerate(x):  # black on viridis' light upper half, white on its dark lower half
                light = np.isfinite(z[i, j]) and image.norm(z[i, j]) > 0.5
                ax.text(xj, yi, figure["cell_text"][i][j], ha="center", va="center", fontsize=8,
                        color="black" if light else "white")
    _markers(ax, figure, color="white")
    ax.set_xlabel(figure["x"]["label"])
    ax.set_ylabel(figure["y"]["label"])
    ax.grid(False)


def _markers(ax, figure, color: str = "tab:red") -> None:
    if "markers" in figure:
        marks = figure["markers"]
        ax.plot(marks["x"], marks["y"], ls="none", marker=".", ms=3, color=color, label=marks.get("label"))


STATUS_COLOURS = {"PASS-exact": "#1b7837", "PASS-certified": "#5aae61", "PASS-sampled": "#d9f0d3", "INCONCLUSIVE": "#fdb863",
                  "FAIL": "#d73027"}  # a verdict and its evidence (summary.status) → the cell's fill
_DARK = {"PASS-exact", "PASS-certified", "FAIL"}  # fills that need white text


def matrix_svg(matrix: Mapping[str, Any], salt: str) -> str:
    """A matrix of cells as an SVG document: ``rows`` and ``columns`` (labels), ``cells`` (each with ``row``,
    ``column``, ``status`` — a key of STATUS_COLOURS —, ``text``, ``link`` and ``id``: the cell is a link, its
    SVG group has that id) and ``legend`` (status → label, for the statuses shown). Empty positions stay blank."""
    rows, columns = matrix["rows"], matrix["columns"]
    width, height = 0.8 * max(len(columns), 1), 0.27 * len(rows) + 0.5
    with plt.rc_context({**STYLE, "svg.hashsalt": salt, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            for cell in matrix["cells"]:
                box = Rectangle((cell["column"] + 0.04, cell["row"] + 0.07), 0.92, 0.86,
                                                   facecolor=STATUS_COLOURS[cell["status"]], edgecolor="#777", lw=0.4)
                box.set_url(cell["link"])
                box.set_gid(cell["id"])
                ax.add_patch(box)
                ax.text(cell["column"] + 0.5, cell["row"] + 0.5, cell["text"], ha="center", va="center", fontsize=7,
                        color="white" if cell["status"] in _DARK else "#1d1d1f")
            ax.set_xlim(0, max(len(columns), 1))
            ax.set_ylim(len(rows), 0)
            ax.set_xticks([j + 0.5 for j in range(len(columns))], columns, fontsize=7)
            ax.set_yticks([i + 0.5 for i in range(len(rows))], rows, fontsize=7.5)
            ax.xaxis.tick_top()
            ax.tick_params(length=0)
            for spine in ax.spines.values():
                spine.set_visible(False)
            shown = dict.fromkeys(c["status"] for c in matrix["cells"])
            handles = [Patch(facecolor=STATUS_COLOURS[s], edgecolor="#777", lw=0.4, label=matrix["legend"][s])
                       for s in STATUS_COLOURS if s in shown]
            ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0), ncol=len(handles) or 1, fontsize=7,
                      frameon=False, handlelength=1.2, columnspacing=1.0)
            return _svg_text(fig, bbox_inches="tight", pad_inches=0.05)  # the row labels' width is known only when drawn
        finally:
            plt.close(fig)
