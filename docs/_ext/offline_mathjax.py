"""Serve MathJax from the book itself, so math renders with no internet.

The MathJax 3 files come from the PyPI package ``sphinx-mathjax-offline``; its own Sphinx
extension is not used (it declares no parallel safety, which fails a ``-j -W`` build, and
copies all 24 MB). Only what ``tex-chtml.js`` loads is copied: the combined TeX/CHTML
component, its TeX extensions (autoloaded), the CHTML fonts, and the menu and
accessibility modules the menu loads on demand.
"""

from __future__ import annotations

import posixpath
from importlib.util import find_spec
from pathlib import Path

from sphinx.util.fileutil import copy_asset

ENTRY = "tex-chtml.js"
KEEP = (ENTRY, "input/tex/extensions/", "output/chtml/", "ui/", "a11y/", "sre/", "adaptors/")


def mathjax_dir() -> Path:
    spec = find_spec("sphinx-mathjax-offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("MathJax files not found: pip install sphinx-mathjax-offline")
    path = Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax"
    if not (path / ENTRY).is_file():
        raise RuntimeError(f"MathJax files not found: no {ENTRY} in {path}")
    return path


def _use_local_mathjax(app, config) -> None:
    config.mathjax_path = f"mathjax/{ENTRY}"  # relative: resolved under _static/


def _copy(app, exc) -> None:
    # not for the EPUB, whose math is MathML (mathml.py)
    if exc is not None or getattr(app.builder, "math_renderer_name", None) != "mathjax":
        return
    src = mathjax_dir()

    def excluded(path: str) -> bool:
        rel = posixpath.normpath(path)  # copy_asset passes "./input/tex" and the like
        if (src / rel).is_dir():
            return not any(k.startswith(rel + "/") or rel.startswith(k) for k in KEEP)
        return not any(rel == k or (k.endswith("/") and rel.startswith(k)) for k in KEEP)

    copy_asset(src, Path(app.outdir) / "_static" / "mathjax", excluded=excluded)


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
