"""verifier.report.docs_html: the docs pages a report links to, rendered to HTML with their anchors and working links."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from verifier.report import docs_links
from verifier.report.docs_html import html_path, pages_linked, render_docs, render_page


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def test_pages_linked_follow_the_links_between_docs_pages():
    pages = pages_linked(["docs/limitation.md#l1", None])
    assert "limitation.md" in pages and "paper.md" in pages  # limitation.md links paper.md#p0
    assert pages == sorted(pages) and all(p.endswith(".md") for p in pages)
    assert pages_linked([]) == [] and pages_linked(["docs/no-such-page.md#x"]) == []
    assert html_path("single-head.md") == "docs/single-head.html"
    assert html_path("examples/interval_head/interval-head.md") == "docs/examples/interval_head/interval-head.html"


def test_every_documented_anchor_survives_in_the_rendered_page():
    """Each ``<a id>`` of docs/*.md (the targets of claim links) is an id of its page's HTML copy."""
    links = [f"{page}#{anchor}" for anchor, page in docs_links.anchors().items()]
    rendered = render_docs(links)
    parsed = {path: _parse(text) for path, text in rendered.items()}
    for link in links:
        path, _, anchor = docs_links.local(link).partition("#")
        assert path in rendered and anchor in parsed[path].ids, link


def test_links_between_rendered_pages_point_at_their_html_and_resolve():
    rendered = render_docs(["docs/single-head.md#e1", "docs/limitation.md#l1", "docs/seq2seq.md#s1"])
    for path, text in rendered.items():
        page = _parse(text)
        assert not [h for h in page.hrefs if re.search(r"\.md(#|$)", h)], path  # no raw markdown links left
        for href in page.hrefs:
            if re.match(r"[a-z]+:", href):
                continue  # a web link
            target, _, anchor = href.partition("#")
            resolved = (re.sub(r"[^/]+/\.\./", "", f"{path.rsplit('/', 1)[0]}/{target}") if target
                        else path)  # '#anchor': a section of the same page
            assert resolved == "index.html" or resolved in rendered, (path, href)
            if anchor and resolved in rendered:
                assert anchor in _parse(rendered[resolved]).ids, (path, href)


def test_a_link_to_a_page_not_rendered_becomes_its_repository_path():
    """Negative control: a link whose target is not in the folder is no dead link but the repository path as text."""
    text = render_page("adding-a-theorem.md", ["adding-a-theorem.md"])
    hrefs = _parse(text).hrefs
    assert "examples/interval_head/" not in hrefs and "examples/interval_head/interval-head.md" not in hrefs
    assert "<code>docs/examples/interval_head/interval-head.md</code> in the repository" in text
    assert hrefs[0] == "index.html" or hrefs[0] == "../index.html"


def test_raw_html_anchors_and_tables_render():
    text = render_page("single-head.md", ["single-head.md"])
    assert '<a id="e1-step3-far"></a>' in text and "<table>" in text and "<title>E1: " in text
    assert "&lt;a id=" not in text  # raw HTML is kept, not escaped
