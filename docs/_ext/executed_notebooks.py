"""Each executed page offers its notebook, outputs included, in the page's download menu beside
its source: myst-nb writes the executed notebook to ``<build>/jupyter_execute/<page>.ipynb``;
this copies it to ``_sources/<page>.ipynb`` in the HTML and names it to sphinx-book-theme, whose
download menu lists a ``.ipynb`` for a page that has one (``ipynb_source``)."""

from __future__ import annotations

import shutil
from pathlib import Path


def _offer(app, pagename, templatename, context, doctree) -> None:
    if app.builder.format != "html" or app.builder.name == "epub":   # an EPUB has no downloads
        return
    executed = Path(app.outdir).parent / "jupyter_execute" / f"{pagename}.ipynb"
    if not executed.is_file():
        return
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or target.read_bytes() != executed.read_bytes():   # same bytes: untouched
        shutil.copyfile(executed, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app):
    # before sphinx-book-theme's add_header_buttons (priority 501), which reads ipynb_source
    app.connect("html-page-context", _offer, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
