"""Reports: the terminal table and summary line of a run, and the suite report (HTML, Markdown, JSON + SVG plots)."""
from .render import render_table, summary_line, verdict_label

__all__ = ["render_table", "summary_line", "verdict_label"]
