"""Under each numbered equation of a chapter, a link to its row on the proofs page.

The page "What is proved, and how" (``proofs``, glued by ``derivations.book.glue_proofs``)
has one row per displayed equation, with the anchor ``proof-<label>``; this extension adds,
below every labelled display equation of a page that glues a topic (``glue_page``), a small
link to that row (its proof, or that it is a definition). A page without such equations, or the proofs page itself, is left as it is.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes

PROOFS_DOC = "proofs"
TOPIC_PAGE = "glue_page("     # a chapter: its hidden cell glues a topic's exhibits


def _add_links(app, doctree, docname) -> None:
    if app.builder.format != "html" or docname == PROOFS_DOC or PROOFS_DOC not in app.env.found_docs:
        return
    if TOPIC_PAGE not in Path(app.env.doc2path(docname)).read_text(encoding="utf-8"):
        return
    target = app.builder.get_relative_uri(docname, PROOFS_DOC)
    for block in list(doctree.findall(nodes.math_block)):
        label = block.get("label")
        if not label:
            continue
        link = nodes.reference("", "", refuri=f"{target}#proof-{label}", classes=["proof-link"])
        link += nodes.inline("", "proof status")
        block.parent.insert(block.parent.index(block) + 1,
                            nodes.paragraph("", "", link, classes=["proof-link"]))


def setup(app):
    app.connect("doctree-resolved", _add_links)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
