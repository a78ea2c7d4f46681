"""Progress of long work (a sweep's rows, a report's instances), on stderr: stdout stays the command's output.

Whether the stream is a terminal is decided once, when the progress starts (``stream.isatty()``):
  - on a terminal, rich's live bar (description, bar, k/n, elapsed time), redrawn in place and erased at the end;
  - anywhere else (a CI log, a pipe, a file), where a redrawn bar is noise or nothing at all, one plain line per
    finished item, flushed at once: ``[k/n] text``.
"""
from __future__ import annotations

import sys
from typing import Optional, TextIO


class Progress:
    """``with Progress("report", 11) as progress:`` … ``progress.status("m1: check")`` … ``progress.done("m1: …")``.

    ``enabled`` False: silent (``--no-progress``); ``live`` forces the decision that ``stream.isatty()`` makes
    otherwise (tests)."""

    def __init__(self, title: str, total: int, stream: Optional[TextIO] = None, enabled: bool = True,
                 live: Optional[bool] = None) -> None:
        self.title, self.total, self.enabled = title, total, enabled
        self.stream = stream if stream is not None else sys.stderr
        self.live = enabled and (self.stream.isatty() if live is None else live)
        self.finished = 0
        self._bar = None

    def __enter__(self) -> "Progress":
        if self.live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

            self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=Console(file=self.stream, force_terminal=True), transient=True)
            self._bar.start()
            self._task = self._bar.add_task(self.title, total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def status(self, text: str) -> None:
        """What is being worked on now: the bar's description on a terminal; nothing in a log, which gets one line
        per finished item."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"{self.title}: {text}")

    def done(self, text: str) -> None:
        """One more item finished, ``text`` saying which and how it came out."""
        self.finished += 1
        if self._bar is not None:
            self._bar.update(self._task, completed=self.finished, description=f"{self.title}: {text}")
        elif self.enabled:
            print(f"[{self.finished}/{self.total}] {text}", file=self.stream, flush=True)
