"""The ``{check}`` role: a sentence names the check that backs it, and the build verifies it.

``{check}`name of the check``` renders as a link to the page's
Verified box. Once the page is resolved (its Verified box glued from the checks the page
ran), every cited name must be the name of a row of that box; a citation of a check that
does not exist, or that the page did not run, is a warning, which the strict build turns
into a failure.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

VERIFIED_SECTION = "verified"   # the id of the "## Verified" heading of every topic page


_PLAIN_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "..."})


def _plain(text: str) -> str:
    """Whitespace collapsed, typographic quotes and ellipses undone (docutils "smartens" the
    table's)."""
    return " ".join(text.split()).translate(_PLAIN_QUOTES)


def check_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    node = nodes.reference(rawtext, "", refuri=f"#{VERIFIED_SECTION}", classes=["check-ref"])
    node["check_name"] = _plain(text)
    node += nodes.inline("", f"✓ {node['check_name']}")
    return [node], []


def _verified_names(page: list) -> set[str] | None:
    """The check names in the Verified box's table (its second column), or None if no box."""
    for section in page:
        if not isinstance(section, nodes.section) or VERIFIED_SECTION not in section["ids"]:
            continue
        names = set()
        for table in section.findall(nodes.table):
            for row in table.findall(nodes.row):
                entries = list(row.findall(nodes.entry))
                if len(entries) >= 2:
                    names.add(_plain(entries[0 if len(entries) == 5 else 1].astext()))
        return names
    return None


def _own_nodes(node) -> list:
    """The nodes of one page: all under ``node`` but the pages inlined into it. (The LaTeX
    builder makes the whole book one doctree, each page in a ``start_of_file`` node; its nodes'
    ``parent`` still names the page's own doctree, so a page is found going down, not up.)"""
    found = []
    for child in node.children:
        if not isinstance(child, addnodes.start_of_file):
            found.append(child)
            if isinstance(child, nodes.Element):
                found.extend(_own_nodes(child))
    return found


def _verify_citations(app, doctree, docname) -> None:
    for page in (doctree, *doctree.findall(addnodes.start_of_file)):
        own = _own_nodes(page)
        cited = [n for n in own if isinstance(n, nodes.reference) and "check_name" in n]
        if cited:
            _verify_page(_verified_names(own), cited)


def _verify_page(names: set[str] | None, cited: list) -> None:
    for ref in cited:
        if names is None:
            logger.warning("check %r is cited, but the page has no Verified box",
                           ref["check_name"], location=ref)
        elif ref["check_name"] not in names:
            logger.warning("check %r is cited, but the page's checks() has no check of that "
                           "name", ref["check_name"], location=ref)


def setup(app):
    app.add_role("check", check_role)
    app.connect("doctree-resolved", _verify_citations)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
