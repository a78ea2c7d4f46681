"""Statements as math: the plain-text math markup of claim statements turned into HTML with inline MathML.

Statements are written as text with two kinds of script: ``base^arg`` (superscript) and ``base_arg``
(subscript), where ``arg`` is ``{…}`` or ``(…)`` (the outer delimiters only group: ``κ^((m−1)/2)`` is κ raised
to (m−1)/2) or a run of letters and digits with an optional leading sign (``S^m``, ``ε^−28``, ``N_E1``,
``w_min``). The base is what precedes the marker: a bracketed group ``(…)`` or ``[…]``, an operator name (``sup``,
``max``, ``lim``, ``softmax``, …), a run of digits before ``^`` (``10^−25``), an earlier script (``s_pos_p``),
or else the single letter before it (the p of ``λp_i``). A group with nothing before it gets an empty base; a marker
with no argument, a run with no base, or a marker after a longer word of ASCII letters (an identifier such as
``cert_cells``) is left as text. Scripts nest (``sup_{x∈S^m}``).

Each script becomes ``<math><msup>base arg</msup></math>`` (``<msub>`` for ``_``); inside it digits are ``<mn>``,
letters ``<mi>``, everything else ``<mo>``. All text is HTML-escaped; the result is ``markupsafe.Markup`` built
only from escaped pieces and the fixed tags above.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Union

from markupsafe import Markup, escape

OPERATORS = frozenset({"sup", "inf", "max", "min", "lim", "argmax", "argmin", "softmax", "ln", "log", "exp"})
_OPENERS = {")": "(", "]": "["}
_CLOSERS = {"{": "}", "(": ")"}
_RUN = re.compile(r"[−+-]?[0-9A-Za-z\u0370-\u03ff]+")
_TOKEN = re.compile(r"(?P<mn>[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]+(?:\.[0-9]+)?)|(?P<mi>[A-Za-z]{2,}|\w)|(?P<space>\s+)|(?P<mo>.)", re.S)


@dataclass(frozen=True)
class Script:
    """``base^arg`` (kind 'msup') or ``base_arg`` (kind 'msub'); base and arg are item lists."""

    kind: str
    base: tuple
    arg: tuple


Item = Union[str, Script]  # one character of text, or a script


def _argument(text: str, start: int) -> Optional[tuple[str, int]]:
    """The argument of a script marker whose argument starts at ``text[start]``, and the index after it: a group
    ``{…}`` or ``(…)`` without its delimiters (an unclosed one runs to the end), or a run; None if there is none."""
    if start < len(text) and text[start] in _CLOSERS:
        opener, closer, depth = text[start], _CLOSERS[text[start]], 0
        for k in range(start, len(text)):
            depth += (text[k] == opener) - (text[k] == closer)
            if depth == 0:
                return text[start + 1:k], k + 1
        return text[start + 1:], len(text)
    run = _RUN.match(text, start)
    return (run.group(), run.end()) if run else None


def _base_start(items: list[Item], marker: str) -> Optional[int]:
    """Where the base of a script ending ``items`` starts (module docstring), or None if it has none."""
    if not items:
        return None
    last = items[-1]
    if isinstance(last, Script):
        return len(items) - 1
    if last in _OPENERS:  # a bracketed group: back to its opener
        depth = 0
        for k in range(len(items) - 1, -1, -1):
            if isinstance(items[k], str):
                depth += (items[k] == last) - (items[k] == _OPENERS[last])
            if depth == 0:
                return k
        return None
    kind = str.isdigit if last.isdigit() else str.isalpha
    k = len(items)
    while k > 0 and isinstance(items[k - 1], str) and kind(items[k - 1]):
        k -= 1
    word = "".join(items[k:])
    if last.isdigit():
        return k if marker == "^" else None  # 10^−25, but x86_64 is a name
    if word in OPERATORS or len(word) == 1:
        return k
    return len(items) - 1 if word and not word.isascii() else None  # 'λp_i': the letter p; 'cert_cells': a name


def parse(text: str) -> list[Item]:
    """``text`` as a list of items: single characters and :class:`Script` nodes."""
    items: list[Item] = []
    k = 0
    while k < len(text):
        char = text[k]
        found = _argument(text, k + 1) if char in "^_" else None
        if found is not None:
            arg, after = found
            start = _base_start(items, char)
            if start is None and text[k + 1] in _CLOSERS:
                start = len(items)  # an explicit group with no base: an empty base, never a visible ^{
            if start is not None:
                base = tuple(items[start:])
                del items[start:]
                items.append(Script("msup" if char == "^" else "msub", base, tuple(parse(arg))))
                k = after
                continue
        items.append(char)
        k += 1
    return items


def _math_row(items: tuple[Item, ...]) -> str:
    """MathML for items inside a script: text tokens as mn / mi / mo (spaces as mspace), scripts nested."""
    out, text = [], []

    def flush():
        for m in _TOKEN.finditer("".join(text)):
            if m.lastgroup == "space":
                out.append('<mspace width="0.25em"></mspace>')
            else:
                out.append(f"<{m.lastgroup}>{escape(m.group())}</{m.lastgroup}>")
        text.clear()

    for item in items:
        if isinstance(item, Script):
            flush()
            out.append(_script(item))
        else:
            text.append(item)
    flush()
    return "<mrow>" + "".join(out) + "</mrow>"


def _script(node: Script) -> str:
    return f"<{node.kind}>{_math_row(node.base)}{_math_row(node.arg)}</{node.kind}>"


def to_html(text) -> Markup:
    """``text`` (a statement) as escaped HTML in which every script is an inline ``<math>`` element."""
    out, run = [], []
    for item in parse(str(text)):
        if isinstance(item, Script):
            out.append(str(escape("".join(run))))
            run.clear()
            out.append(f"<math>{_script(item)}</math>")
        else:
            run.append(item)
    out.append(str(escape("".join(run))))
    return Markup("".join(out))
