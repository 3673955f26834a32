"""Inline math in search snippets, typeset as on the pages.

Sphinx's search page shows under each hit a snippet of the hit page's text, in which inline
math is its TeX source (``\\(W\\)``). On the search page only, this loads MathJax (Sphinx's own
mathjax extension adds it to any page it is told has math) and ``search_math.js``, which
typesets each snippet once the search has written it.
"""

from __future__ import annotations


def _search_page_has_math(app, pagename, templatename, context, doctree) -> None:
    if pagename == "search" and app.builder.format == "html":
        context["has_maths_elements"] = True      # read by sphinx.ext.mathjax (priority 500)
        app.add_js_file("search_math.js", defer="defer")


def setup(app):
    app.connect("html-page-context", _search_page_has_math, priority=400)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
