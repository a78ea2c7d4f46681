"""Reports: a TheoremResult rendered as JSON, Markdown and a terminal table."""
from .render import render_markdown, render_table, summary_line, write_report

__all__ = ["render_markdown", "render_table", "summary_line", "write_report"]
