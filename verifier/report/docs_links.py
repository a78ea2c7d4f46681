"""Links from a report to the project's docs/: every claim to the section that states it.

docs/*.md mark their sections with explicit anchors ``<a id="t-step3-far"></a>``. A claim id
``T.step3.far`` is looked up as ``t-step3-far``, then ``t-step3``, then ``t``: the most specific
section that exists. Links are project-relative (``docs/t.md#t-step3-far``); the HTML points them at the
report folder's rendered copies (``docs/t.html#t-step3-far``, :func:`local`), the Markdown at the repository's pages
(:func:`relative`).
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Optional

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DOCS = PROJECT_ROOT / "docs"
_ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>')
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)  # code blocks and spans: an anchor shown there is an example, not one


@lru_cache(maxsize=1)
def anchors() -> dict[str, str]:
    """anchor → 'docs/FILE.md' for every explicit anchor in docs/ (empty if docs/ is not beside the package)."""
    found: dict[str, str] = {}
    for path in sorted(DOCS.glob("*.md")) if DOCS.is_dir() else ():
        for anchor in _ANCHOR.findall(_CODE.sub("", path.read_text(encoding="utf-8"))):
            found.setdefault(anchor, f"docs/{path.name}")
    return found


def slug(identifier: str) -> str:
    """'T.step3.far-bound' → 't-step3-far-bound'."""
    return re.sub(r"[^a-z0-9]+", "-", identifier.lower()).strip("-")


def link(identifier: str) -> Optional[str]:
    """'docs/FILE.md#ANCHOR' of the most specific documented section for a claim id or theorem name."""
    parts = slug(identifier).split("-")
    for k in range(len(parts), 0, -1):
        anchor = "-".join(parts[:k])
        if anchor in anchors():
            return f"{anchors()[anchor]}#{anchor}"
    return None


def local(link: str) -> str:
    """A project-relative docs link as the report folder's own copy (verifier.report.docs_html):
    'docs/my-theorem.md#t-step1' → 'docs/my-theorem.html#t-step1', relative to the folder's top (index.html)."""
    path, _, anchor = link.partition("#")
    return str(Path(path).with_suffix(".html").as_posix()) + "#" + anchor


def relative(link: str, folder: Path) -> str:
    """A project-relative docs link as seen from ``folder`` (where a report file is written): the page in the
    repository (report.md links these; index.html links the folder's own copies, :func:`local`)."""
    path, _, anchor = link.partition("#")
    return Path(os.path.relpath(PROJECT_ROOT / path, Path(folder).resolve())).as_posix() + "#" + anchor
