"""Writes one notebook per chapter with graded exercises beside the HTML
(``derivations.exercises.notebooks``), which the exercises page links for download: the HTML
only (an EPUB has no downloads, and the pages show the links to the HTML builder alone, in
``{only} builder_html`` blocks)."""

from __future__ import annotations

from pathlib import Path


def _write(app, exception) -> None:
    if exception is not None or app.builder.format != "html" or app.builder.name == "epub":
        return
    from derivations.exercises import notebooks

    for chapter in notebooks.chapters():
        path = Path(app.outdir) / notebooks.filename(chapter)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = notebooks.notebook_json(chapter)
        if not path.exists() or path.read_text(encoding="utf-8") != text:   # same bytes: untouched
            path.write_text(text, encoding="utf-8")


def setup(app):
    app.connect("build-finished", _write)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
