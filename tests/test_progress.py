"""Progress on stderr: a live bar on a terminal, one line per finished item anywhere else (verifier/progress.py)."""
import io

from verifier.progress import Progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as sys.stderr does in an interactive shell."""

    def isatty(self) -> bool:
        return True


def _work(progress: Progress) -> None:
    with progress:
        progress.status("first: check")
        progress.done("first: PASS in 1.0 s")
        progress.status("second: check")
        progress.done("second: FAIL in 2.0 s")


def test_not_a_terminal_one_plain_line_per_finished_item():
    stream = io.StringIO()  # a CI log, a pipe: isatty() is False
    _work(Progress("report", 2, stream=stream))
    assert stream.getvalue() == "[1/2] first: PASS in 1.0 s\n[2/2] second: FAIL in 2.0 s\n"


def test_a_terminal_gets_the_live_bar_and_no_lines():
    stream = Terminal()
    progress = Progress("report", 2, stream=stream)
    assert progress.live  # decided by stream.isatty()
    _work(progress)
    text = stream.getvalue()
    assert "\x1b[" in text and "2/2" in text and "report: second: FAIL in 2.0 s" in text  # the bar, redrawn in place
    assert "[1/2]" not in text and "[2/2]" not in text


def test_the_decision_can_be_forced_and_disabled_is_silent():
    stream = Terminal()
    _work(Progress("sweep", 2, stream=stream, live=False))
    assert stream.getvalue().splitlines() == ["[1/2] first: PASS in 1.0 s", "[2/2] second: FAIL in 2.0 s"]
    for stream in (io.StringIO(), Terminal()):
        _work(Progress("sweep", 2, stream=stream, enabled=False))
        assert stream.getvalue() == ""
