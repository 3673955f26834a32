"""The ``{check}`` role: a sentence names the check that backs it, and the build verifies it.

``{check}`name of the check``` renders as a link to the page's
Verified box. Once the page is resolved (its Verified box glued from the checks the page
ran), every cited name must be the name of a row of that box; a citation of a check that
does not exist, or that the page did not run, is a warning, which the strict build turns
into a failure.
"""

from __future__ import annotations

from docutils import nodes
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


def _verified_names(doctree) -> set[str] | None:
    """The check names in the Verified box's table (its second column), or None if no box."""
    for section in doctree.findall(nodes.section):
        if VERIFIED_SECTION not in section["ids"]:
            continue
        names = set()
        for table in section.findall(nodes.table):
            for row in table.findall(nodes.row):
                entries = list(row.findall(nodes.entry))
                if len(entries) >= 2:
                    names.add(_plain(entries[0 if len(entries) == 5 else 1].astext()))
        return names
    return None


def _verify_citations(app, doctree, docname) -> None:
    cited = [r for r in doctree.findall(nodes.reference) if "check_name" in r]
    if not cited:
        return
    names = _verified_names(doctree)
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
