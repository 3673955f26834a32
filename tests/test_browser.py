"""The built book in a real browser (Debian's Chromium), every page, with the network unreachable.

Per page: math typeset with no MathJax errors, every image loaded, no console errors, nothing
requested outside 127.0.0.1, at 1280 and 390 px no equation, table or inline formula cut (see
MEASURE), figures on a light panel in dark mode, and a screenshot of its first screen (1280 x 900) under
_build/screenshots/ (full-page ones took 37 of the test's 61 s). Across the
book: every internal link resolves (HTTP 200, and its #fragment exists on the target page), and
the search page finds "sigmoid" and "BPTT".
"""

import html
import os
import re
import urllib.request
from urllib.parse import urldefrag, urljoin

import pytest

from derivations.symbolic.topics import TOPICS

from .browser import find_chromium, offline_page, serve
from .conftest import BOOKNAME, ROOT

pytestmark = pytest.mark.browser

PAGES = ["index", "notation", *TOPICS, "exercises", "proofs", "report", "api", "references"]
SHOTS = ROOT / "_build" / "screenshots"


@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("chromium not found: apt-get install chromium, then re-run")
    return path


@pytest.fixture(scope="module")
def site(book, chromium):
    """(base URL, page, console messages, internal links seen) shared by the module's tests."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(book.html) as url, offline_page(chromium, url) as page:
        console = []
        page.on("console", lambda m: console.append((m.type, m.text)))
        page.on("pageerror", lambda e: console.append(("error", str(e))))
        yield url, page, console, set()


#: What a reader sees of a page, measured in the browser: display equations wider than the
#: text column (and whether they scroll inside their own box), tables wider than the column,
#: inline formulas cut by their box, equation numbers over their equation, the height of a
#: bar above the page, and the page's own width against the viewport.
MEASURE = """() => {
  const column = (document.querySelector('article.bd-article') || document.body).getBoundingClientRect();
  const equations = [...document.querySelectorAll('mjx-container[display="true"]')].map(e => {
    const math = (e.querySelector('mjx-math') || e).getBoundingClientRect();
    const box = e.getBoundingClientRect();
    return {id: (e.closest('[id]') || {}).id || '', wide: math.width > box.width + 1 || box.right > column.right + 1,
            scrolls: ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)};
  });
  const tables = [...document.querySelectorAll('article table')].map(t => {
    const holder = t.closest('.pst-scrollable-table-container');
    return {id: (t.closest('section') || {}).id || '', wide: t.getBoundingClientRect().width > column.width + 1,
            scrolls: !!holder && ['auto', 'scroll'].includes(getComputedStyle(holder).overflowX)};
  });
  // inline math is clipped by its box (the theme hides its overflow): none may be wider
  const inline = [...document.querySelectorAll('span.math')].filter(s => {
    const math = s.querySelector('mjx-math');
    return math && math.getBoundingClientRect().right > s.getBoundingClientRect().right + 1;
  }).map(s => s.textContent.slice(0, 60));
  // an equation's number is beside or below its equation, never over it
  const overlap = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const numbers = [...document.querySelectorAll('div.math')].filter(d => {
    const no = d.querySelector('span.eqno'), box = d.querySelector('mjx-container');
    return no && box && overlap(no.getBoundingClientRect(), box.getBoundingClientRect());
  }).map(d => (d.closest('[id]') || {}).id || '');
  // no bar above the page (the theme's header with a second search field took 54 px, 16 on a phone)
  const header = [...document.querySelectorAll('header.bd-header')].map(h => h.getBoundingClientRect().height);
  return {equations, tables, inline, numbers, header, page: document.documentElement.scrollWidth, viewport: window.innerWidth};
}"""


def typeset(page) -> None:
    """Wait until MathJax has typeset the page's math (if it has any)."""
    if page.evaluate("() => document.querySelectorAll('.math').length > 0"):
        page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=20000)
        page.evaluate("() => MathJax.startup.promise")


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_offline(site, name):
    url, page, console, links = site
    console.clear()
    page.goto(f"{url}/{name}.html", wait_until="load")
    typeset(page)
    stats = page.evaluate("""() => ({
        math: document.querySelectorAll('.math').length,
        typeset: [...document.querySelectorAll('.math')].filter(e => e.querySelector('mjx-container')).length,
        errors: document.querySelectorAll('mjx-merror').length,
        images: [...document.querySelectorAll('img')].map(i => [i.src, i.complete, i.naturalWidth]),
        alts: [...document.querySelectorAll('article img')].map(i => i.alt),
        links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    })""")
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    fits = page.evaluate(MEASURE)               # at 1280 px nothing is wider than the text column
    # in dark mode a figure (black text on a transparent SVG) sits on a light, opaque panel
    panels = page.evaluate("""() => { document.documentElement.dataset.theme = 'dark';
        const out = [...document.querySelectorAll('article figure img')].map(i => getComputedStyle(i).backgroundColor);
        document.documentElement.dataset.theme = 'light'; return out; }""")
    light = [c for c in panels if (v := [float(x) for x in re.findall(r"[\d.]+", c)]) and len(v) == 3 and min(v) >= 200]
    assert len(light) == len(panels), panels
    assert [e["id"] for e in fits["equations"] if e["wide"]] == [], fits["equations"]
    assert [t["id"] for t in fits["tables"] if t["wide"]] == [], fits["tables"]
    assert fits["inline"] == [] and fits["numbers"] == [], (fits["inline"], fits["numbers"])
    assert all(h == 0 for h in fits["header"]), fits["header"]
    assert stats["typeset"] == stats["math"] and stats["errors"] == 0, stats
    bad = [i for i in stats["images"] if not (i[1] and i[2] > 0)]
    assert not bad, bad
    # every figure says what it shows: an alt text of words, not its file's name
    assert all(len(a.split()) >= 4 and not re.search(r"\.(svg|png|jpe?g)$", a) for a in stats["alts"]), stats["alts"]
    assert [c for c in console if c[0] == "error"] == []
    assert page.blocked == [], page.blocked   # nothing tried to leave 127.0.0.1
    links.update(h for h in stats["links"] if h.startswith(url))
    assert (SHOTS / f"{name}.png").stat().st_size > 20_000


def test_every_internal_link_resolves(site, book):
    # the links this process's browser saw (the page tests are shared by two processes), and
    # every page's links as built, resolved against the page as the browser resolves them
    url, _, _, links = site
    for name in PAGES:
        text = (book.html / f"{name}.html").read_text(encoding="utf-8")
        for href in re.findall(r'<a\b[^>]*\bhref="([^"]+)"', text):
            link = urljoin(f"{url}/{name}.html", html.unescape(href))
            if link.startswith(url):
                links.add(link)
    cache, broken = {}, []
    for link in sorted(links):
        target, fragment = urldefrag(link)
        if target not in cache:
            try:
                with urllib.request.urlopen(target) as r:
                    cache[target] = (r.status, r.read().decode("utf-8", "replace"))
            except urllib.error.HTTPError as e:
                cache[target] = (e.code, "")
        status, body = cache[target]
        if status != 200:
            broken.append((link, status))
        elif fragment and target.endswith(".html") and not re.search(rf'id="{re.escape(fragment)}"', body):
            broken.append((link, "missing #fragment"))
    assert len(cache) >= len(PAGES)
    assert not broken, broken[:20]


@pytest.mark.parametrize("term", ["sigmoid", "BPTT"])
def test_search_finds(site, term):
    url, page, console, _ = site
    console.clear()
    page.goto(f"{url}/search.html?q={term}", wait_until="load")
    page.wait_for_selector("#search-results li", timeout=20000)
    hits = page.evaluate("() => [...document.querySelectorAll('#search-results li a')].map(a => a.href)")
    assert hits, term
    assert [c for c in console if c[0] == "error"] == []
    page.screenshot(path=str(SHOTS / f"search-{term}.png"))





#: The smallest text of each SVG figure as drawn on the page, in CSS px: matplotlib draws a
#: glyph of s pt with the transform scale(s/100 -s/100), and the figure's width is in pt.
FIGURE_TEXT = """async () => { const out = [];
  for (const img of document.querySelectorAll('article img')) {
    if (!img.src.endsWith('.svg')) continue;
    const svg = await (await fetch(img.src)).text();
    const width = parseFloat(svg.match(/<svg[^>]*width="([0-9.]+)pt"/)[1]);
    const sizes = [...svg.matchAll(/scale\\(0?\\.([0-9]+) -0?\\.[0-9]+\\)/g)].map(m => parseFloat('0.' + m[1]) * 100);
    out.push({alt: img.alt, px: Math.min(...sizes) * img.getBoundingClientRect().width / width});
  } return out; }"""


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_a_phone(site, name):
    """At 390 px the page is no wider than the viewport, an equation or table wider than the
    column scrolls inside its own box (the page does not), no inline formula is cut, no
    equation number covers its equation, and every figure's text is at
    least 6 px; 1280 px is measured with the page's other checks, in test_page_renders_offline."""
    url, page, console, _ = site
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(f"{url}/{name}.html", wait_until="load")
        typeset(page)
        m = page.evaluate(MEASURE)
        figures = page.evaluate(FIGURE_TEXT)
    finally:
        page.set_viewport_size({"width": 1280, "height": 900})
    assert m["page"] <= m["viewport"], (m["page"], m["viewport"])
    assert all(e["scrolls"] for e in m["equations"] if e["wide"]), m["equations"]
    assert all(t["scrolls"] for t in m["tables"] if t["wide"]), m["tables"]
    assert m["inline"] == [] and m["numbers"] == [], (m["inline"], m["numbers"])   # none cut or covered
    assert all(h == 0 for h in m["header"]), m["header"]
    # every figure's smallest label (legend, tick, title) is at least 6 px tall on a phone
    assert all(6 <= f["px"] < 100 for f in figures), [(f["alt"][:40], f["px"]) for f in figures]   # < 100: text found


@pytest.mark.parametrize("term, page", [("Hadamard", "hadamard.html"), ("BPTT", "bptt.html"),
                                        ("batch norm", "normalization.html")])
def test_search_ranks_the_chapter_first(site, term, page):
    """A topic word finds its chapter first, above the API objects named after it."""
    url, p, console, _ = site
    p.goto(f"{url}/search.html?q={term}", wait_until="load")
    p.wait_for_selector("#search-results li", timeout=20000)
    p.wait_for_function("document.querySelector('#search-results p.search-summary') !== null", timeout=20000)
    first = p.evaluate("() => document.querySelector('#search-results li a').getAttribute('href')")
    assert first.split("#")[0] == page, first


@pytest.mark.parametrize("term, title", [("Hadamard", "The Hadamard product Overview"),
                                         ("batch norm", "Normalization: z-scores, batch norm"),
                                         ("sigmoid", "The sigmoid The logistic sigmoid")])
def test_search_snippet_is_the_pages_prose(site, term, title):
    """The first hit's snippet starts at its chapter's (or section's) title and prose, not the
    theme's buttons ("System Settings Light Dark") or its print-only table of contents."""
    url, p, console, _ = site
    p.goto(f"{url}/search.html?q={term}", wait_until="load")
    p.wait_for_selector("#search-results li:first-child p.context", timeout=20000)
    snippet = p.evaluate("() => document.querySelector('#search-results li:first-child p.context')"
                         ".textContent.replace(/\\s+/g, ' ').trim()")
    assert re.match(rf"(\d+\. )?{re.escape(title)}", snippet), snippet   # a chapter's or a section's
    assert "Settings" not in snippet and "Contents" not in snippet, snippet
    # inline math is typeset as on the pages (docs/_static/search_math.js), never shown as TeX
    p.wait_for_selector("#search-results p.search-summary", state="attached", timeout=20000)  # all hits in
    p.wait_for_function("document.querySelectorAll('#search-results p.context mjx-container').length > 0",
                        timeout=20000)
    p.evaluate("() => MathJax.startup.promise")
    texts = p.evaluate("() => [...document.querySelectorAll('#search-results p.context')].map(e => e.textContent)")
    assert [t for t in texts if "\\" in t] == []           # no TeX delimiter, whole or cut
    width = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    p.set_viewport_size({"width": 390, "height": 844})
    try:                                                    # nor wider than a phone
        p.wait_for_timeout(300)
        phone = p.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    finally:
        p.set_viewport_size({"width": 1280, "height": 900})
    assert width[0] <= width[1] and phone[0] <= phone[1], (width, phone)


# ----------------------------------------------------------------- the EPUB in an e-reader's page

#: The elements of a page that end right of its body's right edge, each but inside another such.
OVERFLOW = """() => {
  const right = document.documentElement.clientWidth;
  return [...document.querySelectorAll('body *')].filter(e => {
    const outside = x => x && x.getBoundingClientRect().right > right + 1 && x.getBoundingClientRect().width > 0;
    return outside(e) && !outside(e.parentElement);
  }).map(e => `${e.tagName.toLowerCase()}.${e.className} ends at ${Math.round(e.getBoundingClientRect().right)} px`);
}"""


def test_epub_chapters_fit_an_e_readers_page(site, book_format, tmp_path):
    """Each chapter of the EPUB, unzipped and opened at 600 px wide (a small e-reader's page):
    nothing, figure, code or formula, runs off its right edge (an e-reader does not scroll sideways).
    (In a context of its own of the module's browser: one Playwright per process.)"""
    import zipfile

    from derivations.exercises import CHAPTERS

    epub = book_format("epub").html / "epub" / f"{BOOKNAME}.epub"
    zipfile.ZipFile(epub).extractall(tmp_path)
    wide = {}
    context = site[1].context.browser.new_context(viewport={"width": 600, "height": 900})
    requested = []
    context.on("request", lambda r: requested.append(r.url))
    try:
        page = context.new_page()
        with serve(tmp_path) as url:
            for chapter in CHAPTERS:
                page.goto(f"{url}/{chapter}.xhtml", wait_until="load")
                if overflow := page.evaluate(OVERFLOW):
                    wide[chapter] = overflow[:5]
    finally:
        context.close()
    assert wide == {}
    assert [r for r in requested if not r.startswith(url)] == []   # an EPUB holds all it shows
