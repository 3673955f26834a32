"""The PDF typeset as a book (the LaTeX builder only): a preface, the front matter, the chapters
numbered as in the HTML, the appendices, the bibliography, and a title page that says when the
PDF was built and from which sources.

The root page (docs/index.md) is the book's introduction; its last section holds the toctrees:
"Before you start" (the notation, unnumbered in the HTML), "Chapters" (``:numbered:``, 1 to 14)
and "Reference" (unnumbered). Sphinx's LaTeX builder would make the root's sections chapters and
every page a section of the last one. Here, once the whole book is one doctree, the introduction
becomes the chapter "Preface" and each toctree's pages become chapters: before the numbered
toctree, the front matter (unnumbered, roman page numbers); the numbered toctree, the main matter
(chapters 1, 2, ... in the HTML's order, so that LaTeX's equation 4.3 is the HTML's (4.3)); after
it, the appendices A, B, ...; the page of the bibliography directive, the back matter. No section
is numbered (conf.py's preamble), as in the HTML (its toctree is :numbered: 1): "4.3" is only
ever an equation or a figure.

The generated tables (the checks, the proofs) get column widths and may break across pages.
"""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

PREFACE = "Preface"


def _latex(command: str) -> nodes.raw:
    return nodes.raw("", f"\n{command}\n", format="latex")


# Relative column widths of the book's generated tables, by their headers: LaTeX would give the
# long names of the checks (the formulas' proofs) as little of the line as a number, and break
# an error such as -3.5e-01 at its minus sign.
COLUMN_WIDTHS = {
    ("check", "method", "error", "tolerance", "result"): (5.0, 1.9, 1.6, 1.6, 1.2),
    ("equation", "proved", "by", "time"): (1.6, 2.0, 8.0, 1.0),
}


def _set_tables(doctree) -> None:
    """The generated tables (COLUMN_WIDTHS) get their column widths and may break across pages:
    Sphinx gives a table of fewer than 30 rows LaTeX's tabulary, which cannot, and a proofs
    table of tall rows ran off the page and lost its last rows. (The short tables of numbers
    keep tabulary, which sets them no wider than they need.)"""
    for table in doctree.findall(nodes.table):
        thead = next(iter(table.findall(nodes.thead)), None)
        heads = tuple(e.astext().strip() for e in thead.findall(nodes.entry)) if thead else ()
        if heads in COLUMN_WIDTHS:
            widths = COLUMN_WIDTHS[heads]
            for colspec, width in zip(table.findall(nodes.colspec), widths):
                colspec["colwidth"] = round(100 * width / sum(widths))
            table["classes"] += ["longtable", "colwidths-given"]


def _numbered_toctrees(app) -> list[bool]:
    """Whether each toctree of the root page is :numbered:, in order."""
    root = app.env.get_doctree(app.config.root_doc)
    return [bool(t.get("numbered")) for t in root.findall(addnodes.toctree)]


def _as_book(app, doctree, docname) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    book = next(iter(doctree.findall(nodes.section)))      # the root page's title section
    wrappers = [c for c in book.findall(nodes.compound) if "toctree-wrapper" in c["classes"]]
    numbered = _numbered_toctrees(app)
    if len(wrappers) != len(numbered) or sum(numbered) != 1:
        raise RuntimeError(f"latex_book: expected the root page's toctrees, one of them "
                           f":numbered:, found {len(numbered)} toctrees and {len(wrappers)} wrappers")
    for wrapper in wrappers:
        wrapper.parent.remove(wrapper)

    preface = nodes.section(ids=["preface"], names=["preface"])
    preface += nodes.title(PREFACE, PREFACE)
    for child in list(book.children):
        if not isinstance(child, nodes.title):
            book.remove(child)
            preface += child
    book += preface

    matter = "front"
    for is_numbered, wrapper in zip(numbered, wrappers):
        if is_numbered:
            book += _latex(r"\mainmatter")
            matter = "main"
        elif matter == "main":
            book += _latex(r"\appendix")
            matter = "appendix"
        book += wrapper
    bibliographies = {key.docname for key in app.env.get_domain("cite").bibliographies}
    for page in list(book.findall(addnodes.start_of_file)):
        if page["docname"] in bibliographies:
            page.parent.insert(page.parent.index(page), _latex(r"\backmatter"))
    _set_tables(doctree)


def _commit(root: Path) -> str:
    """The sources' git commit, marked when the checkout has uncommitted changes, or why none."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
        return f"commit {commit}{changed}"
    except (OSError, subprocess.SubprocessError):
        return "sources outside a git checkout"


def _title_page(app) -> None:
    """The title page: "Version <release>" (derivations.__version__, also in the page headers)
    and "Built on <date> from <commit>"; the build's own date, not SOURCE_DATE_EPOCH (conf.py
    fixes that for the figures' bytes)."""
    if app.builder.name != "latex":
        return
    built = datetime.datetime.now(datetime.timezone.utc).strftime("%-d %B %Y")
    app.builder.context["releasename"] = "Version"
    app.builder.context["date"] = f"Built on {built} from {_commit(Path(app.confdir))}"


def setup(app):
    app.connect("builder-inited", _title_page)
    app.connect("doctree-resolved", _as_book)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
