"""The docs pages a report links to, rendered to HTML into the report folder (``docs/NAME.html``), so every link
works offline and in a browser (which would show a raw ``.md`` file as source).

The pages are docs/*.md rendered by markdown-it-py (CommonMark with tables; raw HTML kept, so the sections'
``<a id="…"></a>`` anchors survive). Rendered are the pages the report's claims and theorems link to and, page by
page, every docs page those link to; a link between two of them is rewritten from ``X.md#a`` to ``X.html#a``.
A link to anything else in the repository (a folder, a source or TOML file) becomes its repository path as code
text: offline it has nowhere to point. Links to the web (http, https, mailto) stay links.
"""
from __future__ import annotations

import html
import posixpath
from pathlib import PurePosixPath
from typing import Iterable, Mapping, Optional
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from .docs_links import DOCS

_STYLE = ("body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; color: #1d1d1f; }"
          " code, pre { font: 0.88em ui-monospace, monospace; background: #f4f4f6; } pre { padding: 0.6rem; overflow-x: auto; }"
          " table { border-collapse: collapse; } th, td { border: 1px solid #d6d6da; padding: 0.2rem 0.45rem; text-align: left; }"
          " nav { font-size: 0.9rem; color: #555; }")


def html_path(page: str) -> str:
    """'my-theorem.md' (a path under docs/) → 'docs/my-theorem.html' (its place in the report folder)."""
    return f"docs/{PurePosixPath(page).with_suffix('.html')}"


def pages_linked(links: Iterable[Optional[str]]) -> list[str]:
    """The docs pages (paths under docs/, e.g. 'my-theorem.md') that ``links`` ('docs/FILE.md#anchor', from
    report.json) name, and every docs page they link to, transitively; sorted."""
    todo = sorted({link.partition("#")[0].removeprefix("docs/") for link in links if link})
    found: set[str] = set()
    while todo:
        page = todo.pop()
        if page in found or not (DOCS / page).is_file():
            continue
        found.add(page)
        todo += [target for target, _ in _local_links(page) if target.endswith(".md")]
    return sorted(found)


def _local_links(page: str) -> list[tuple[str, str]]:
    """(target path under docs/, anchor) of every relative link of ``page``."""
    tokens = markdown_parser().parse((DOCS / page).read_text(encoding="utf-8"))
    out = []
    for token in (t for block in tokens for t in (block.children or ())):
        if token.type == "link_open":
            resolved = _resolve(page, token.attrGet("href") or "")
            if resolved is not None:
                out.append(resolved)
    return out


def _resolve(page: str, href: str) -> Optional[tuple[str, str]]:
    """A relative ``href`` of ``page`` as (path under docs/, anchor); None for a web link or a fragment of the page."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return posixpath.normpath(posixpath.join(posixpath.dirname(page), unquote(parts.path))), parts.fragment


def markdown_parser(raw_html: bool = True) -> MarkdownIt:
    """CommonMark with tables; ``raw_html`` keeps HTML in the text (the docs' anchors), else it is escaped as text."""
    return MarkdownIt("commonmark", {"html": raw_html}).enable("table")


def render_page(page: str, rendered: Iterable[str]) -> str:
    """The HTML document of docs/``page``; links to the pages in ``rendered`` point at their HTML copies."""
    rendered = set(rendered)
    md = markdown_parser()
    tokens = md.parse((DOCS / page).read_text(encoding="utf-8"))
    here = posixpath.dirname(html_path(page))
    for block in tokens:
        children = block.children or []
        for k, token in enumerate(children):
            if token.type != "link_open":
                continue
            resolved = _resolve(page, token.attrGet("href") or "")
            if resolved is None:
                continue
            target, anchor = resolved
            if target in rendered:
                token.attrSet("href", posixpath.relpath(html_path(target), here) + (f"#{anchor}" if anchor else ""))
            else:  # nowhere to point offline: the repository path as code, the link text kept
                close = next(j for j in range(k + 1, len(children)) if children[j].type == "link_close")
                token.type, token.tag, token.attrs = "html_inline", "", {}
                token.content = "<span>"
                children[close].type, children[close].tag = "html_inline", ""
                children[close].content = f" (<code>docs/{html.escape(target)}</code> in the repository)</span>"
    body = md.renderer.render(tokens, md.options, {})
    title = next((tokens[k + 1].content for k, t in enumerate(tokens) if t.type == "heading_open"), page)
    title = _strip_tags(title)
    back = posixpath.relpath("index.html", here)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{_STYLE}</style>\n</head>\n<body>\n<nav><a href=\"{back}\">← the report</a> · docs/{html.escape(page)}"
            f"</nav>\n{body}</body>\n</html>\n")


def _strip_tags(text: str) -> str:
    """A heading's text without its inline HTML (the ``<a id>`` anchors)."""
    out, depth = [], 0
    for ch in text:
        depth += ch == "<"
        if not depth:
            out.append(ch)
        depth -= ch == ">" and depth > 0
    return "".join(out).strip()


def render_docs(links: Iterable[Optional[str]]) -> Mapping[str, str]:
    """Report-folder path → HTML of every docs page :func:`pages_linked` finds for ``links``."""
    pages = pages_linked(links)
    return {html_path(page): render_page(page, pages) for page in pages}
