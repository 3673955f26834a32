"""The book as one PDF (make pdf): built from the HTML build's pages without executing or reading
any again, no LaTeX error, no undefined reference, the chapters and equations numbered as in the
HTML, the figures as vector graphics."""

import html
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest

from derivations import __version__

from .conftest import BOOKNAME, executed
from .test_book import read

pytestmark = pytest.mark.book   # (conftest.book_format skips them without TeX Live, and fails in CI)

# an error; a reference left undefined; a glyph no font has; a page whose content is taller than
# the page (a table that cannot break runs off it and loses its last rows)
LATEX_TROUBLE = re.compile(r"^! |Reference .* undefined|Citation .* undefined|There were undefined"
                           r"|Missing character|Overfull \\vbox", re.M)


@pytest.fixture(scope="module")
def pdf(book_format):
    return book_format("pdf")


@pytest.fixture(scope="module")
def latex(pdf) -> Path:
    return pdf.html / "latex"


@pytest.fixture(scope="module")
def text(latex) -> str:
    """The PDF's text (pdftotext, in reading order), ligatures undone and whitespace collapsed."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(latex / f"{BOOKNAME}.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    return " ".join(unicodedata.normalize("NFKC", out).split())


def _chapter_titles(book) -> list[tuple[str, str]]:
    """(number, title) of each chapter of the HTML, from its <title> ("4. The chain rule ...")."""
    from derivations.exercises import CHAPTERS
    titles = []
    for page in CHAPTERS:
        title = html.unescape(re.search(r"<title>(.*?) &#8212;", read(book, page)).group(1))
        number, name = title.split(". ", 1)
        titles.append((number, name))
    return titles


def _html_equations(book) -> dict[str, str]:
    """label (lower case) -> number, e.g. 'backprop:eq-hand-dh' -> '4.5', of every numbered
    equation of the HTML."""
    from derivations.symbolic.topics import TOPICS
    numbers = {}
    for page in TOPICS:
        for label, number in re.findall(r'id="equation-([^"]+)">\s*<span class="eqno">\(([^)<]+)\)',
                                        read(book, page)):
            numbers[f"{page}:{label}"] = number
    return numbers


def test_make_pdf_after_make_html_executes_and_reads_nothing_again(pdf):
    assert executed(pdf.log) == set()
    assert "updating environment: 0 added, 0 changed, 0 removed" in pdf.log, pdf.log[-3000:]


def test_the_pdf_has_no_latex_error_undefined_reference_missing_character_or_overfull_page(latex):
    log = (latex / f"{BOOKNAME}.log").read_text(encoding="utf-8", errors="replace")
    assert "Output written on" in log
    assert not LATEX_TROUBLE.findall(log), LATEX_TROUBLE.findall(log)[:10]


def test_the_title_page_names_the_version_and_the_build(text):
    assert f"Version {__version__}" in text[:400]
    assert re.search(r"Built on \d{1,2} \w+ \d{4} from (commit [0-9a-f]{12}|sources outside a git checkout)",
                     text[:400]), text[:400]


def test_the_contents_number_the_chapters_as_the_html_does(book, text):
    start = re.search("contents", text, re.I).start()      # (the heading's style may capitalise it)
    contents = text[start:text.index("Popular explanations", start)]   # the preface's first words
    for number, title in _chapter_titles(book):
        assert re.search(rf"\b{number} {re.escape(title)} \d+\b", contents), (number, title)


def _bookmarks(latex) -> list[tuple[int, str, str]]:
    """(level, destination, title) of each PDF bookmark, from hyperref's .out file (titles in
    UTF-16 with octal escapes)."""
    out = (latex / f"{BOOKNAME}.out").read_text(encoding="latin-1")
    def title(escaped: str) -> str:
        raw = re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), escaped.encode("latin-1"))
        return raw.decode("utf-16")
    return [(int(level), dest, title(t)) for level, dest, t in
            re.findall(r"\\BOOKMARK \[(\d+)\]\[-\]\{([^}]*)\}\{([^}]*)\}", out)]


def test_each_chapter_has_a_pdf_bookmark_to_its_numbered_chapter(book, latex):
    bookmarks = _bookmarks(latex)
    for number, title in _chapter_titles(book):
        assert (0, f"chapter.{number}", title) in bookmarks, (number, title)


def test_the_reference_pages_are_appendices_and_the_report_is_one_of_them(latex):
    appendices = [title for level, dest, title in _bookmarks(latex) if level == 0 and dest.startswith("appendix.")]
    assert "Verification report" in appendices, appendices
    assert "What popular explanations get wrong" in appendices, appendices


def test_every_numbered_equation_has_the_number_it_has_in_the_html(book, latex, text):
    html_numbers = _html_equations(book)
    assert len(html_numbers) > 100
    aux = (latex / f"{BOOKNAME}.aux").read_text(encoding="utf-8", errors="replace")
    latex_numbers = {label.lower(): number for label, number in
                     re.findall(r"\\newlabel\{equation:([^}]+)\}\{\{([^}]+)\}", aux)}
    assert {k: latex_numbers.get(k) for k in html_numbers} == html_numbers
    for number in set(html_numbers.values()):
        assert f"({number})" in text, number


def test_the_pdf_states_the_reports_check_count(book, text):
    count = re.search(r"(\d+) of (\d+) checks passed", html.unescape(re.sub(r"<[^>]+>", "", read(book, "report"))))
    assert count, "the report page states no count"
    assert count.group(0) in text


def test_every_figure_of_the_html_is_in_the_pdf_text_with_its_number(book, text):
    """(LaTeX can lose a float it cannot place: its caption would be missing from the text.)"""
    numbers = {n for p in book.html.glob("*.html")
               for n in re.findall(r'caption-number">Fig\. (\d+\.\d+) ', p.read_text(encoding="utf-8"))}
    assert len(numbers) > 20
    assert sorted(n for n in numbers if f"Fig. {n}:" not in text) == []


def test_every_figure_of_the_html_is_in_the_pdf_as_vector_graphics(book, latex):
    tex = (latex / f"{BOOKNAME}.tex").read_text(encoding="utf-8")
    figures = re.findall(r"\\sphinxincludegraphics(?:\[[^]]*\])?\{\{([^}]+)\}(\.\w+)\}", tex)
    in_html = sum(p.read_text(encoding="utf-8").count("<img ") for p in book.html.glob("*.html"))
    assert len(figures) == in_html > 20
    assert {ext for _, ext in figures} == {".pdf"}, sorted({ext for _, ext in figures})
    for stem, ext in figures:
        assert (latex / f"{stem}{ext}").stat().st_size > 1000, stem
