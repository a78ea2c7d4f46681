"""The report in a real headless browser (Debian's chromium, driven by Playwright): the summary (verdict counts and
its figure) is on the first screen (1280 × 900), the math renders as MathML and the plots as SVG once every <details> is
opened, no visible text outside code looks like Python or JSON (True, False, {', }), no request leaves the machine;
screenshots of the first screen and of the whole page are kept as test artefacts.

.ci/run installs chromium with apt-get; Playwright's own browser download is never used."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from verifier import cli

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("VERIFIER_TEST_ARTEFACTS", Path(__file__).resolve().parents[1] / "test-artefacts"))
VIEWPORT = {"width": 1280, "height": 900}
FORBIDDEN = re.compile(r"True|False|\{'|\}")  # Python or JSON syntax: never in the page's visible text outside code
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# cert_cells = 5000: a small budget that still decides the default target's auto constants; E1's certified steps need 112 cells at m1. m2 (there for its S² map) is sampled: the
# page renders the same kinds of math and plot, without 4 s of branch and bound
CONFIG = '''\
name = "browser"

[[instance]]
theorem = "single-head"
name = "m1"
dim = 1
eps = "0.2"
points = 2000
cert_cells = 5000

[[instance]]
theorem = "single-head"
name = "m2"
dim = 2
eps = "0.5"
points = 2000
evidence = "sampled"
'''


def _playwright():
    """The Playwright API, or a skip (a failure under CI, where .ci/run installs both) when it or chromium is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if sync_playwright is None or not CHROMIUM.exists():
        missing = "the playwright package (pip install -e '.[test]')" if sync_playwright is None else f"{CHROMIUM} (apt-get install chromium)"
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"the browser test needs {missing}")
    return sync_playwright


def open_in_browser(page_path: Path, profile: Path, screenshot: Path | None = None) -> dict:
    """Load ``page_path`` in headless chromium with every non-file request aborted; what rendered and what was requested.

    First as loaded: the boxes of the verdict counts (#counts) and the summary figure (its SVG) in the first viewport,
    and a screenshot of that viewport (``screenshot`` with '-first' added). Then with every <details> opened: the math,
    the plots, the visible text without <pre> and <code> (``text``), and a full-page screenshot (``screenshot``)."""
    sync_playwright = _playwright()
    seen = {"requests": [], "blocked": []}

    def only_local(route):
        seen["requests"].append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            seen["blocked"].append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=str(CHROMIUM), headless=True, args=ARGS,
                                                       viewport=VIEWPORT, offline=True)
        try:
            page = context.new_page()
            page.route("**/*", only_local)
            page.goto(page_path.as_uri(), wait_until="load")
            seen["first_screen"] = page.evaluate("""() => Object.fromEntries([['counts', '#counts'], ['figure', '#summary-figure svg']]
                .map(([name, selector]) => {
                    const element = document.querySelector(selector);
                    if (!element) return [name, null];
                    const box = element.getBoundingClientRect();
                    return [name, {top: box.top, left: box.left, bottom: box.bottom, right: box.right, width: box.width,
                                   height: box.height, text: element.innerText ?? element.textContent}];
                }))""")
            if screenshot:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot.with_name(screenshot.stem + "-first" + screenshot.suffix)))
            page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
            seen["text"] = page.evaluate("""() => {
                const hide = document.createElement('style');
                hide.textContent = 'pre, code { display: none !important; }';
                document.head.appendChild(hide);
                const text = document.body.innerText;
                hide.remove();
                return text;
            }""")
            seen["math"] = page.evaluate("""() => [...document.querySelectorAll('math')].map(m => {
                const box = m.getBoundingClientRect();
                return {mathml: m instanceof MathMLElement, width: box.width, height: box.height,
                        fractions: m.querySelectorAll('mfrac').length};
            })""")
            seen["plots"] = page.evaluate("""() => [...document.querySelectorAll('figure.plot svg')].map(s => {
                const box = s.getBoundingClientRect();
                return {svg: s instanceof SVGSVGElement, width: box.width, height: box.height,
                        paths: s.querySelectorAll('path').length};
            })""")
            seen["scripts"] = page.evaluate("document.scripts.length")
            if screenshot:
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return seen


def summary_on_first_screen(seen: dict) -> list[str]:
    """What of the summary is missing from the first viewport (empty: the verdict counts and the figure are in it)."""
    missing = []
    for name, box in seen["first_screen"].items():
        if box is None or box["width"] <= 0 or box["height"] <= 0:
            missing.append(f"{name}: not rendered")
        elif box["top"] < 0 or box["left"] < 0 or box["bottom"] > VIEWPORT["height"] or box["right"] > VIEWPORT["width"]:
            missing.append(f"{name}: at {box}, outside {VIEWPORT}")
    return missing


def forbidden_text(seen: dict) -> list[str]:
    """Each visible line (outside <pre> and <code>) with text that looks like Python or JSON."""
    return [line for line in seen["text"].splitlines() if FORBIDDEN.search(line)]


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    _playwright()
    base = tmp_path_factory.mktemp("browser")
    (base / "suite.toml").write_text(CONFIG)
    assert cli.main(["report", "--config", str(base / "suite.toml"), "--out", str(base / "out")]) == 0
    return base / "out" / "browser" / "index.html"


def test_report_renders_math_and_plots_offline(page_path, tmp_path):
    seen = open_in_browser(page_path, tmp_path / "profile", ARTEFACTS / "report.png")
    assert summary_on_first_screen(seen) == []
    assert re.search(r"\d+ instances: \d+ PASS, \d+ FAIL, \d+ INCONCLUSIVE", seen["first_screen"]["counts"]["text"])
    assert (ARTEFACTS / "report-first.png").stat().st_size > 10_000
    assert forbidden_text(seen) == []
    assert not re.search(r"[\^_][{(]", seen["text"])  # every script of a statement became MathML
    math, plots = seen["math"], seen["plots"]
    assert math and all(m["mathml"] and m["width"] > 0 and m["height"] > 0 for m in math), math
    assert any(m["fractions"] for m in math)
    assert len(plots) == 2 and all(p["svg"] and p["width"] > 200 and p["height"] > 100 and p["paths"] > 10 for p in plots), plots
    assert seen["scripts"] == 0
    assert seen["requests"] == [page_path.as_uri()] and seen["blocked"] == []  # the page itself, nothing else
    assert (ARTEFACTS / "report.png").stat().st_size > 10_000
    shutil.copy(page_path, ARTEFACTS / "report.html")


def test_the_first_screen_and_text_checks_see_a_page_that_fails_them(page_path, tmp_path):
    """Negative controls: the same page with a tall block above the summary, and with 'True' and a dict in its text
    (and the same inside <code>, which is allowed) is caught by the checks."""
    page = page_path.read_text()
    pushed = tmp_path / "pushed.html"
    pushed.write_text(page.replace('<section id="summary">', '<div style="height: 1200px"></div><section id="summary">'))
    seen = open_in_browser(pushed, tmp_path / "profile")
    assert [line.split(":")[0] for line in summary_on_first_screen(seen)] == ["figure"]
    raw = tmp_path / "raw.html"
    raw.write_text(page.replace("</body>", "<p>proved: True, facts {'a': 1}</p><p><code>{'kept': True}</code></p></body>"))
    seen = open_in_browser(raw, tmp_path / "profile")
    assert forbidden_text(seen) == ["proved: True, facts {'a': 1}"]


def test_the_request_check_sees_a_page_that_reaches_out(page_path, tmp_path):
    """Negative control: the same page with one external image is caught (the request is aborted, never sent)."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text(page_path.read_text().replace("</body>", '<img src="http://127.0.0.1:9/pixel.png"></body>'))
    seen = open_in_browser(leaky, tmp_path / "profile")
    assert seen["blocked"] == ["http://127.0.0.1:9/pixel.png"]


def test_the_committed_reference_report_renders_every_theorem_and_sweep_offline(tmp_path):
    """The reference report (all four theorems, the four reference sweeps) in the browser: MathML, every plot an SVG
    with content (the sweeps' log–log curves included), no script, no request beyond the page."""
    page = Path(__file__).resolve().parents[1] / "reports" / "reference" / "index.html"
    seen = open_in_browser(page, tmp_path / "profile", ARTEFACTS / "reference.png")
    sweeps = page.read_text().count('<section class="sweep"')
    assert sweeps == 4
    assert seen["math"] and all(m["mathml"] and m["width"] > 0 for m in seen["math"])
    assert len(seen["plots"]) >= sweeps + 2 and all(p["svg"] and p["width"] > 200 and p["paths"] > 5 for p in seen["plots"])
    assert seen["scripts"] == 0 and seen["requests"] == [page.as_uri()] and seen["blocked"] == []


def test_the_committed_reference_report_shows_its_summary_first(tmp_path):
    """The reference report's first screen holds its verdict counts and summary figure, and its text no Python or JSON."""
    page = Path(__file__).resolve().parents[1] / "reports" / "reference" / "index.html"
    seen = open_in_browser(page, tmp_path / "profile")  # its screenshots: the test above (reference-first.png)
    assert summary_on_first_screen(seen) == []
    assert forbidden_text(seen) == []
