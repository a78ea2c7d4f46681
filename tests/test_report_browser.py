"""The report in a real headless browser (Debian's chromium, driven by Playwright): the math renders as
MathML, the plots as SVG, no request leaves the machine; a screenshot is kept as a test artefact.

.ci/run installs chromium with apt-get; Playwright's own browser download is never used."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from verifier import cli

CHROMIUM = Path("/usr/bin/chromium")
ARTEFACTS = Path(os.environ.get("VERIFIER_TEST_ARTEFACTS", Path(__file__).resolve().parents[1] / "test-artefacts"))
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
    """Load ``page_path`` in headless chromium with every non-file request aborted; what rendered and what was requested."""
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
                                                       viewport={"width": 1280, "height": 900}, offline=True)
        try:
            page = context.new_page()
            page.route("**/*", only_local)
            page.goto(page_path.as_uri(), wait_until="load")
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
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        finally:
            context.close()
    return seen


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    _playwright()
    base = tmp_path_factory.mktemp("browser")
    (base / "suite.toml").write_text(CONFIG)
    assert cli.main(["report", "--config", str(base / "suite.toml"), "--out", str(base / "out")]) == 0
    return base / "out" / "browser" / "index.html"


def test_report_renders_math_and_plots_offline(page_path, tmp_path):
    seen = open_in_browser(page_path, tmp_path / "profile", ARTEFACTS / "report.png")
    math, plots = seen["math"], seen["plots"]
    assert math and all(m["mathml"] and m["width"] > 0 and m["height"] > 0 for m in math), math
    assert any(m["fractions"] for m in math)
    assert len(plots) == 2 and all(p["svg"] and p["width"] > 200 and p["height"] > 100 and p["paths"] > 10 for p in plots), plots
    assert seen["scripts"] == 0
    assert seen["requests"] == [page_path.as_uri()] and seen["blocked"] == []  # the page itself, nothing else
    assert (ARTEFACTS / "report.png").stat().st_size > 10_000
    shutil.copy(page_path, ARTEFACTS / "report.html")


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
