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
it, the appendices A, B, ...; the page that holds the bibliography (its citations), the back
matter.
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


def _toctree_groups(app) -> list[tuple[bool, list[str]]]:
    """(numbered, docnames) of each toctree of the root page, in order."""
    root = app.env.get_doctree(app.config.root_doc)
    return [(bool(t.get("numbered")), [doc for _, doc in t["entries"]])
            for t in root.findall(addnodes.toctree)]


def _as_book(app, doctree, docname) -> None:
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    book = next(iter(doctree.findall(nodes.section)))      # the root page's title section
    wrappers = [c for c in book.findall(nodes.compound) if "toctree-wrapper" in c["classes"]]
    groups = _toctree_groups(app)
    if len(wrappers) != len(groups) or sum(numbered for numbered, _ in groups) != 1:
        raise RuntimeError(f"latex_book: expected the root page's toctrees, one of them "
                           f":numbered:, found {len(groups)} toctrees and {len(wrappers)} wrappers")
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
    for (numbered, _), wrapper in zip(groups, wrappers):
        if numbered:
            book += _latex(r"\mainmatter")
            matter = "main"
        elif matter == "main":
            book += _latex(r"\appendix")
            matter = "appendix"
        book += wrapper
    for page in list(book.findall(addnodes.start_of_file)):
        if next(iter(page.findall(nodes.citation)), None) is not None:
            page.parent.insert(page.parent.index(page), _latex(r"\backmatter"))


def _source_version(root: Path) -> str:
    """The release and, in a git checkout, the commit (marked when the tree has changes)."""
    from derivations import __version__

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "--short=12", "HEAD")
        changed = " with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
        return f"{__version__}, commit {commit}{changed}"
    except (OSError, subprocess.SubprocessError):
        return f"{__version__} (not a git checkout)"


def _title_page(app) -> None:
    if app.builder.name != "latex":
        return
    # the build's own date, not SOURCE_DATE_EPOCH (conf.py fixes that for the figures' bytes)
    built = datetime.datetime.now(datetime.timezone.utc).strftime("%-d %B %Y")
    app.builder.context["release"] = _source_version(Path(app.confdir))
    app.builder.context["releasename"] = "Version"
    app.builder.context["date"] = f"Built on {built}"


def setup(app):
    app.connect("builder-inited", _title_page)
    app.connect("doctree-resolved", _as_book)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
