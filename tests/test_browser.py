"""The built book in a real browser (Debian's Chromium), with the network unreachable."""

import os

import pytest

from .browser import find_chromium, offline_page, serve
from .conftest import ROOT

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium(install=True)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed and could not be installed (apt-get)")
        pytest.skip("chromium not found: apt-get install chromium (as root), then re-run")
    return path


def test_activations_page_renders_math_and_figures_offline(book, chromium):
    shots = ROOT / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    with serve(book.html) as url, offline_page(chromium, url) as page:
        console = []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("error", str(e))))
        page.goto(f"{url}/activations.html", wait_until="load")
        page.wait_for_function(
            "window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")
        stats = page.evaluate("""() => ({
            math: document.querySelectorAll('.math').length,
            typeset: [...document.querySelectorAll('.math')]
                       .filter(e => e.querySelector('mjx-container')).length,
            errors: document.querySelectorAll('mjx-merror').length,
            images: [...document.querySelectorAll('img')].map(i => [i.src, i.complete, i.naturalWidth]),
        })""")
        page.screenshot(path=str(shots / "activations.png"), full_page=True)
        blocked = list(page.blocked)
    assert stats["math"] > 30 and stats["typeset"] == stats["math"], stats
    assert stats["errors"] == 0
    figures = [i for i in stats["images"] if "_images/" in i[0]]
    assert len(figures) >= 5 and all(ok and width > 0 for _, ok, width in figures), figures
    assert [c for c in console if c[0] == "error"] == []
    assert blocked == []  # nothing tried to leave 127.0.0.1
    assert (shots / "activations.png").stat().st_size > 50_000
