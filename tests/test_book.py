"""The built book: strict build, glued formulas, figures, the report, no stale pages."""

import html
import posixpath
import re
import time

import pytest

from derivations.book import Equation, displayed_equations
from derivations.symbolic import activations as activations_sym
from derivations.symbolic import backprop as backprop_sym
from derivations.symbolic import errata as errata_sym
from derivations.symbolic import hadamard as hadamard_sym
from derivations.symbolic.topics import TOPICS

from .conftest import BOOKNAME, EPUBCHECK_JAR, ROOT, copy_project, executed, make_html, make_html_command, run_group, tree_digest

pytestmark = pytest.mark.book
PAGES = ["index", "notation", *TOPICS, "proofs", "report", "api", "references"]
NOTEBOOKS = {*TOPICS, "exercises", "proofs", "report"}

#: A passed row's result cell: "pass", or "pass (k of n unresolved)" when a numerical method
#: could not resolve some entries (reported, not counted).
PASSED = re.compile(r">pass( \(\d+ of \d+ unresolved\))?<")


def read(build, page):
    # docutils turns ' into a typographic apostrophe and ... into an ellipsis; undo them for comparisons
    return (build.html / f"{page}.html").read_text(encoding="utf-8").replace(
        "\u2019", "'").replace("\u2018", "'").replace("\u2026", "...")


def test_every_page_is_built_without_traceback_or_stderr(book):
    for page in PAGES:
        text = read(book, page)
        assert "Traceback" not in text, page
        assert 'class="output stderr"' not in text and 'class="output traceback"' not in text, page


def test_role_main_is_the_article_alone(book):
    """Search snippets are the text of a page's first [role="main"] (Sphinx's searchtools.js):
    docs/_templates/layout.html puts it on the article, not on the theme's <main>, which also
    holds the header buttons, the tables of contents and the footer."""
    for page in PAGES:
        text = read(book, page)
        assert re.findall(r'<[^>]*role="main"[^>]*>', text) == [
            '<article class="bd-article" role="main">'], page
        assert "<main" not in text, page


def test_the_build_log_has_no_warnings(book):
    """A reader cannot act on a warning in the log (the kernels' unencrypted-TCP notice was 15 lines
    of it): the build prints none; Sphinx's own warnings are errors (-W) and fail it."""
    assert [line for line in book.log.splitlines() if "WARNING" in line or "Warning:" in line] == []


def test_activations_page_shows_the_glued_derivatives(book):
    text = read(book, "activations")
    for a in activations_sym.ACTIVATIONS.values():
        assert html.escape(Equation(activations_sym.derivative_latex(a)).display(), quote=False) in text, a.name
    # numbered equations that are cross-referenced
    assert 'id="equation-eq-sigmoid-grad"' in text
    assert 'href="#equation-eq-sigmoid-grad"' in text
    # glued numbers in the prose
    assert '<span class="pasted-text">1/4</span>' in text


def test_activation_figures_exist_and_are_referenced(book):
    text = read(book, "activations")
    for name in activations_sym.ACTIVATIONS:
        m = re.search(rf'<figure[^>]*id="fig-{name.replace("_", "-")}".*?<img[^>]+src="([^"]+)"',
                      text, re.S)
        assert m, f"no figure fig-{name}"
        image = book.html / m.group(1)
        assert image.is_file() and image.stat().st_size > 5000, image
        assert image.read_bytes().lstrip().startswith((b"<?xml", b"<svg")), image


@pytest.mark.parametrize("topic", TOPICS)
def test_verified_box_lists_the_pages_checks(book, checks_of, topic):
    text = read(book, topic)
    box = text[text.index('id="verified"'):]
    # collapsed by default, its count and status on the summary line a reader sees
    summary = re.search(r'<summary[^>]*>(.*?)</summary>', box, re.S).group(1)
    assert re.search(rf"{len(checks_of(topic))} checks of this page, all passed", re.sub(r"<[^>]+>", "", summary))
    assert re.search(r'<details class="[^"]*sd-dropdown[^"]*"(?![^>]*\bopen\b)', box), "the box is open"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", box, re.S)
    checks = checks_of(topic)
    assert len(rows) - 1 == len(checks)
    assert all(PASSED.search(r) for r in rows[1:])
    for row, check in zip(rows[1:], checks):
        assert html.escape(check.name, quote=False) in row
    # every check the prose cites ({check} role) is one of them (the build verifies it too)
    cited = re.findall(r'<a class="[^"]*check-ref[^"]*"[^>]*>\s*<span[^>]*>\u2713 (.*?)</span>', text)
    names = {html.escape(c.name, quote=False).replace("\u2019", "'") for c in checks}
    assert set(cited) <= names, set(cited) - names


def test_feed_forward_pages_show_the_proved_formulas(book, exhibits_of):
    backprop = read(book, "backprop")
    S, grads = backprop_sym.single_sample(*backprop_sym.DISPLAY_DIMS)
    for g in grads:
        assert html.escape(backprop_sym.gradient_latex(g, S), quote=False) in backprop, g.name
    hadamard = read(book, "hadamard")
    for name in hadamard_sym.PROPERTIES:   # as glued: set in rows (test_hadamard: each holds its property)
        shown = exhibits_of("hadamard")[f"eq_{name}"]
        assert html.escape(shown.display(), quote=False) in hadamard, name


@pytest.mark.parametrize("page,figures", [
    ("hadamard", 1), ("backprop", 1), ("computational_graph", 4), ("losses", 1), ("gradient_descent", 3),
    ("verification", 1), ("vanishing_exploding", 1), ("initialization", 4), ("normalization", 1),
    ("residual", 1), ("bptt", 1), ("clipping", 1), ("lstm_gru", 3)])
def test_figures_of_the_other_pages_exist(book, page, figures):
    srcs = re.findall(r'<figure[^>]*>.*?<img[^>]+src="([^"]+)"', read(book, page), re.S)
    assert len(srcs) == figures
    for src in srcs:
        assert (book.html / src).stat().st_size > 5000


def test_errata_page_has_a_row_per_claim_and_links_the_wrong_ones(book):
    text = read(book, "errata")
    section = text[text.index('id="the-claims-by-topic"'):text.index('id="claims-judged-by-argument"')]
    rows = re.findall(r"<li>(.*?)</li>", section, re.S)
    rows = [r.replace("\u2019", "'") for r in rows]  # undo smart quotes
    computed = [c for c in errata_sym.CLAIMS if not c.argument]
    assert len(rows) == len(computed)
    for claim in computed:
        row = next(r for r in rows if html.escape(claim.claim, quote=False).replace("\u2019", "'") in r)
        assert claim.verdict.capitalize() in row and f">{claim.key}<" in row
        if claim.verdict != "correct" and claim.link:
            assert re.search(r'<a class="reference internal" href="[a-z_]+\.html', row), claim.key
    argued = text[text.index('id="claims-judged-by-argument"'):text.index('id="the-claims-in-the-sources-words"')]
    assert all(f">{c.key}<" in argued for c in errata_sym.CLAIMS if c.argument)
    assert 'href="errata.html"' in read(book, "index")
    words = text[text.index('id="the-claims-in-the-sources-words"'):text.index('id="what-was-not-checked"')]
    assert all(f">{c.key}<" in words for c in errata_sym.CLAIMS)


def test_report_lists_every_check_as_passed(book, checks_of):
    text = read(book, "report")
    # one collapsed section per topic, its summary line giving the topic and its count
    summaries = [re.sub(r"<[^>]+>", "", s).strip() for s in re.findall(r"<summary[^>]*>(.*?)</summary>", text, re.S)]
    assert summaries == [f"{t}: {len(checks_of(t))} checks, all passed" for t in TOPICS], summaries
    rows = [r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", text, re.S) if "<th" not in r]
    checks = [c for topic in TOPICS for c in checks_of(topic)]
    assert len(rows) == len(checks)
    for row, check in zip(rows, checks):
        # every cell but the topic (the section's), errors included, as the session ran them
        cells = [html.escape(c, quote=False) for c in check.row()[1:]]
        assert all(c in row for c in cells) and PASSED.search(row), (cells, row)
    assert "FAIL" not in text


def test_math_is_served_from_the_book_not_a_cdn(book):
    assert (book.html / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert list((book.html / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    for page in PAGES:
        srcs = re.findall(r'<script[^>]+src="([^"]+)"', read(book, page))
        assert not [s for s in srcs if "://" in s or s.startswith("//")], (page, srcs)
        if 'class="math' in read(book, page):
            assert "_static/mathjax/tex-chtml.js" in " ".join(srcs), page


def test_bibliography_cites_primary_papers(book):
    text = read(book, "references")
    for needle in ("Learning representations by back-propagating errors",
                   "Rectified linear units", "complex-step derivative approximation",
                   "Backpropagation through time: what it does and how to do it"):
        assert needle in text


# ----------------------------------------------------------------- a copy of the project


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("project") / "book")


def test_edits_re_execute_exactly_the_pages_that_need_it(book_project, book, book_format, check_store):
    """It edits the project the session's book was built in and builds it again (the other
    tests read the book's HTML as first built, kept apart: conftest.book; the PDF and the EPUB
    are built from the project before it is edited: conftest.book_format)."""
    project = book_project
    book_format("pdf", check=False), book_format("epub", check=False)
    assert executed(book.log) == NOTEBOOKS
    before = tree_digest(book.html)

    t0 = time.perf_counter()
    again = make_html(project, check_store)
    assert again.returncode == 0 and executed(again.log) == set()
    no_change = time.perf_counter() - t0

    page = project / "docs" / "activations.md"
    page.write_text(page.read_text().replace(
        "## The sigmoid\n", "## The sigmoid\n\nA sentence added by the freshness test.\n"))
    text_edit = make_html(project, check_store)
    assert text_edit.returncode == 0 and executed(text_edit.log) == set()
    assert "Using cached notebook" in text_edit.log
    assert "A sentence added by the freshness test." in read(text_edit, "activations")

    module = project / "derivations" / "numeric" / "normalization.py"
    module.write_text(module.read_text() + "\n# an edit the cache cannot see\n")
    module_edit = make_html(project, check_store)
    assert module_edit.returncode == 0, module_edit.log[-3000:]
    # exactly the pages importing numeric.normalization: directly (the chapter, and the
    # errata page's evidence), through the deep stacks, which can batch-normalize their layers
    # (the vanishing/exploding and residual chapters), the computational-graph chapter (its
    # graph of batch norm), (the report and the proofs page) through the registry of every
    # symbolic topic, or (every chapter, whose Exercises section imports derivations.exercises,
    # and the exercises page) through the exercises' registry, which can import every chapter's
    # exercises, the normalization chapter's among them; the index, notation, API and references
    # pages execute nothing
    from derivations.exercises import CHAPTERS
    assert executed(module_edit.log) == set(CHAPTERS) | {"errata", "report", "proofs", "exercises"}
    # Reproducible execution: the pages ran again and wrote the same bytes (their
    # figures, the errata table, the report); only the page whose text was edited changed,
    # and the proofs page's measured times (the proofs ran again)
    after = tree_digest(module_edit.html)
    differ = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert [k for k in differ if not k.startswith(("_sources/", "searchindex"))] in (
        ["activations.html"], ["activations.html", "proofs.html"]), differ[:10]
    # (its time cells, and the ?v=<checksum> a rewritten page adds to its static links: tree_digest)
    untimed = re.compile(r"<td[^>]*>(<p>)?\d+\.\d\d(\s|&nbsp;|\u00a0)s(</p>)?</td>|\?v=[0-9a-f]+")
    assert untimed.sub("", read(module_edit, "proofs")) == untimed.sub("", read(book, "proofs"))
    print(f"no-change rebuild {no_change:.1f} s")


def test_proofs_page_has_a_row_per_displayed_equation_and_each_links_back(book):
    proofs = read(book, "proofs")
    for topic in TOPICS:
        source = (ROOT / "docs" / f"{topic}.md").read_text(encoding="utf-8")
        page = read(book, topic)
        for name, label in displayed_equations(source):
            assert label, f"{topic}: {name} is displayed without a label (no number, no row link)"
            assert f'id="proof-{label}"' in proofs, (topic, label)
            # the row links to the equation, the equation links back to the row
            assert f'href="{topic}.html#equation-{label.lower()}"' in proofs, (topic, label)   # Sphinx's ids are lower case
            assert f'href="proofs.html#proof-{label}"' in page, (topic, label)
    assert "proof status" not in read(book, "api")


def test_breaking_a_formula_fails_make_html(project):
    module = project / "derivations" / "numeric" / "activations.py"
    source = module.read_text()
    assert "return z / (1 + z) ** 2" in source
    module.write_text(source.replace("return z / (1 + z) ** 2", "return z / (1 + z)"))
    try:
        returncode, log = run_group(*make_html_command(project), timeout=300)
    finally:
        module.write_text(source)
    # a failing build must fail, not hang
    assert returncode != -9, "make html with a broken formula did not finish in 300 s:\n" + log[-5000:]
    assert returncode != 0
    # the log names the page that failed and shows the failing cell's error: a failed check
    # names the check, its method and its error; a page's own assertion shows its line
    assert re.search(r"ExecutionError: \S+/docs/\w+\.md", log), log[-8000:]
    # (pages run in parallel: the first page to fail may be the errata page, whose evidence
    # uses the same function, or the activations chapter)
    named_check = re.search(r"CheckFailed.*?check failed:\s*\n\s*\w+: [^\n]+ \[[\w-]+\] "
                            r"error \S+ > tol", log, re.S)
    assert named_check, log[-8000:]


def test_every_catalogued_mistake_links_a_section_that_exists(book):
    from derivations.exercises import EXERCISES
    for e in EXERCISES.values():
        for m in e.mistakes:
            page, anchor = m.section.split("#")
            assert f'id="{anchor}"' in read(book, page.removesuffix(".html")), (e.id, m.section)


def test_each_chapter_notebook_is_beside_the_html_and_linked(book):
    from derivations.exercises import notebooks
    page = read(book, "exercises")
    for chapter in notebooks.chapters():
        path = book.html / notebooks.filename(chapter)
        assert path.read_text(encoding="utf-8") == notebooks.notebook_json(chapter), chapter
        assert f'href="{notebooks.filename(chapter)}"' in page, chapter
        assert f'href="{notebooks.filename(chapter)}"' in read(book, chapter), chapter


def test_each_exercise_is_in_its_chapter_and_linked_from_the_index(book):
    from derivations.exercises import EXERCISES, label
    index = read(book, "exercises")
    for e in EXERCISES.values():
        assert f'id="{label(e)}"' in read(book, e.chapter), e.id
        assert f'href="{e.chapter}.html#{label(e)}"' in index, e.id


def _outputs(cell) -> list:
    """A code cell's outputs without their execution counts (what a reader sees)."""
    return [{k: v for k, v in o.items() if k != "execution_count"} for o in cell.get("outputs", [])]


@pytest.mark.parametrize("chapter", __import__("derivations.exercises", fromlist=["CHAPTERS"]).CHAPTERS)
def test_each_chapter_offers_its_executed_notebook_which_runs_again_to_the_same_outputs(
        book, check_store, tmp_path, monkeypatch, chapter):
    """The page's download menu offers its executed notebook (outputs included, beside the .md);
    downloaded into an empty folder and run top to bottom in a fresh kernel of the project's venv,
    it runs without error and every output it holds comes out the same."""
    import nbformat
    from nbclient import NotebookClient

    from derivations.provenance import STORE_ENV

    assert f'href="_sources/{chapter}.ipynb"' in read(book, chapter) and \
        f'href="_sources/{chapter}.md"' in read(book, chapter)
    downloaded = book.html / "_sources" / f"{chapter}.ipynb"
    stored = nbformat.read(downloaded, as_version=4)
    nbformat.validate(stored)
    fresh = nbformat.read(downloaded, as_version=4)
    monkeypatch.setenv(STORE_ENV, str(check_store))    # the checks its first cell runs: read, not redone
    NotebookClient(fresh, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    # the visible cells' outputs (some chapters show none: their code cells are all hidden glue)
    shown = [(k, _outputs(c)) for k, c in enumerate(stored.cells) if c.cell_type == "code" and c.get("outputs")]
    for k, outputs in shown:
        assert _outputs(fresh.cells[k]) == outputs, (chapter, k)


def _toctrees(caption: str | None = None) -> list[str]:
    """The pages of docs/index.md's toctrees (only the one of that caption, if given), in order."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    head = r"```\{toctree\}\n" + (rf":caption: {caption}\n" if caption else "")
    return [line.strip() for block in re.findall(head + r"(.*?)```", index, re.S)
            for line in block.splitlines() if line.strip() and not line.startswith(":")]


def _chapters() -> list[str]:
    """The pages of docs/index.md's Chapters toctree, in order."""
    return _toctrees("Chapters")


def test_make_epub_writes_a_valid_epub_of_every_chapter_with_mathml_and_figures(book_format):
    """``make epub`` (which runs epubcheck itself) after ``make html``: epubcheck finds no error;
    every chapter is in the EPUB with its math as MathML (no MathJax), every numbered equation of
    its HTML page keeps its number, and every image a page shows is in the EPUB."""
    import subprocess

    build = book_format("epub")
    assert "updating environment: 0 added, 0 changed, 0 removed" in build.log, build.log[-3000:]
    check = subprocess.run(["java", "-jar", str(EPUBCHECK_JAR), str(build.html / "epub" / f"{BOOKNAME}.epub")],
                           capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, check.stdout + check.stderr
    files, pages = _epub(build)
    chapters = _chapters()
    assert len(chapters) == 14 and {f"{c}.xhtml" for c in chapters} <= set(pages), sorted(pages)
    for chapter in chapters:
        xhtml = pages[f"{chapter}.xhtml"]
        assert "<math" in xhtml, chapter
        assert not re.search(r"<script[^>]*mathjax", xhtml, re.I) and "mathjax/" not in xhtml, chapter
        html_page = (build.html / "html" / f"{chapter}.html").read_text(encoding="utf-8")
        numbers = re.findall(r'<span class="eqno">(\([\d.]+\))', html_page)
        assert numbers, chapter
        missing = [n for n in numbers if f'<span class="eqno">{n}</span>' not in xhtml]
        assert not missing, (chapter, missing)
    assert not any(name.startswith("_static/mathjax/") or name.endswith(".js") for name in files)
    for name, xhtml in pages.items():
        for src in re.findall(r'<img [^>]*src="([^"]+)"', xhtml):
            assert posixpath.normpath(posixpath.join(posixpath.dirname(name), src)) in files, (name, src)
    assert sum(name.startswith("_images/") and name.endswith(".svg") for name in files) >= 20


def _epub(build) -> tuple[set[str], dict[str, str]]:
    """The EPUB's file names and its pages' XHTML."""
    import zipfile

    with zipfile.ZipFile(build.html / "epub" / f"{BOOKNAME}.epub") as epub:
        files = set(epub.namelist())
        return files, {n: epub.read(n).decode("utf-8") for n in files if n.endswith((".xhtml", ".ncx", ".css"))}


def test_epub_menu_lists_every_page_of_the_index_with_its_sections(book_format):
    """The index's toctrees are all hidden (the index lists the chapters in its own words); the
    e-reader's menu (nav.xhtml, and toc.ncx for EPUB 2 readers) lists the front page and every
    page of them, in order, each with its sections, a chapter with its number as its heading."""
    import xml.etree.ElementTree as ET

    _, pages = _epub(book_format("epub"))
    x = "{http://www.w3.org/1999/xhtml}"
    menu = ET.fromstring(pages["nav.xhtml"]).find(f".//{x}nav/{x}ol")
    top = [li.find(f"{x}a") for li in menu.findall(f"{x}li")]
    assert [a.get("href") for a in top] == [f"{p}.xhtml" for p in ["index", *_toctrees()]]
    chapters = _chapters()
    for a in top:
        page = a.get("href").removesuffix(".xhtml")
        heading = re.search(r"<h1>(.*?)</h1>", pages[f"{page}.xhtml"], re.S).group(1)
        assert a.text == html.unescape(re.sub(r"<[^>]+>", "", heading)).strip(), (a.text, heading)
        if page in chapters:
            assert a.text.startswith(f"{chapters.index(page) + 1}. "), a.text
    sections = {li.find(f"{x}a").get("href"): [s.find(f"{x}a").get("href") for s in li.findall(f"{x}ol/{x}li")]
                for li in menu.findall(f"{x}li")}
    for chapter in chapters:
        entries = sections[f"{chapter}.xhtml"]
        assert len(entries) >= 5 and all(e.startswith(f"{chapter}.xhtml#") for e in entries), chapter
        assert f"{chapter}.xhtml#pitfalls" in entries or f"{chapter}.xhtml#bptt-pitfalls" in entries
        ids = set(re.findall(r'<section id="([^"]+)"', pages[f"{chapter}.xhtml"]))
        assert {e.split("#")[1] for e in entries} <= ids, chapter
    assert not any(li.findall(f"{x}ol/{x}li/{x}ol") for li in menu.findall(f"{x}li")), "sections only"
    ncx = ET.fromstring(pages["toc.ncx"])
    n = "{http://www.daisy.org/z3986/2005/ncx/}"
    srcs = [p.find(f"{n}content").get("src") for p in ncx.find(f"{n}navMap").findall(f"{n}navPoint")]
    assert srcs == [f"{p}.xhtml" for p in ["index", *_toctrees()]]


#: docutils' accent marks (\hat, \tilde, \bar, ...; \overline) over an <mover>'s base
ACCENT_MARKS = set("´ˉ˘ˇ˙¨`ˆ˚~→") | {"˙˙˙", "˙˙˙˙", "_", "←", "↔", "^"}


def test_epub_sets_an_accented_letters_subscript_beside_it(book_format):
    """x̂ᵢ is ``<msub><mover>x ˆ</mover> i</msub>``: no accent is the upper mark of an
    ``<munderover>`` (docutils' layout of ``\\hat{x}_i``, which puts the i under the x)."""
    import xml.etree.ElementTree as ET

    m = "{http://www.w3.org/1998/Math/MathML}"
    _, pages = _epub(book_format("epub"))
    accented = {}
    for name, xhtml in pages.items():
        if not name.endswith(".xhtml") or "<math" not in xhtml:
            continue
        root = ET.fromstring(xhtml)
        under = [e for e in root.iter(f"{m}munderover") if e[2].tag == f"{m}mo" and e[2].text in ACCENT_MARKS
                 and (e[2].get("stretchy") == "false" or e[2].get("accent") == "true")]
        assert not under, (name, len(under), ET.tostring(under[0], encoding="unicode"))
        accented[name] = sum(e.tag in (f"{m}msub", f"{m}msubsup") and e[0].tag == f"{m}mover"
                             and e[0].get("accent") == "true" for e in root.iter())
    # the pages the reviewer found them set under: x̂ᵢ, ŷₖ, c̃ₜ, ... now beside
    for page in ["losses", "normalization", "lstm_gru", "bptt", "backprop", "errata"]:
        assert accented[f"{page}.xhtml"] >= 5, (page, accented[f"{page}.xhtml"])


def test_epub_aligned_equations_line_up_at_their_relations_in_display_style(book_format):
    """Every ``aligned`` table's columns are right, left, right, ... (each ``a &= b`` meets at the
    "="), without space inside a pair, and its cells in display style; the EPUB's stylesheet
    aligns them too, for readers that ignore MathML's columnalign."""
    import xml.etree.ElementTree as ET

    m = "{http://www.w3.org/1998/Math/MathML}"
    _, pages = _epub(book_format("epub"))
    tables = 0
    for chapter in _chapters():
        for table in ET.fromstring(pages[f"{chapter}.xhtml"]).iter(f"{m}mtable"):
            if table.get("class") != "ams-align":
                continue
            tables += 1
            columns = max(len(row) for row in table.findall(f"{m}mtr"))
            assert table.get("columnalign", "").split() == ["right", "left"] * (columns // 2) + ["right"] * (columns % 2)
            assert table.get("displaystyle") == "true", chapter
            if columns > 1:
                assert table.get("columnspacing").split()[0] == "0", chapter
    assert tables >= 50
    # an equation of the LSTM's backward pass: the rows' "=" in the second column, left-aligned
    lstm = ET.fromstring(pages["lstm_gru.xhtml"])
    assert any(t.get("columnalign") == "right left" and t.find(f"{m}mtr/{m}mtd[2]/{m}mo").text == "="
               for t in lstm.iter(f"{m}mtable") if t.find(f"{m}mtr/{m}mtd[2]/{m}mo") is not None)
    css = pages["_static/book.css"]
    assert "mtable.ams-align > mtr > mtd:nth-child(odd) { text-align: right; }" in css
    assert "mtable.ams-align > mtr > mtd:nth-child(even) { text-align: left; }" in css
    assert '_static/book.css' in pages["lstm_gru.xhtml"]
