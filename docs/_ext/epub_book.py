"""The EPUB (``make epub``): what Sphinx's EPUB 3 builder needs so that the book passes epubcheck.

The HTML the book's pages are written as is valid HTML but not all of it valid in an EPUB, whose
pages are XHTML and whose package file (``content.opf``) must declare what each page holds:

* The e-reader's menu (``nav.xhtml``, ``toc.ncx``) names a chapter as its page's heading does,
  with its number (``1. How a formula is verified``), as the HTML's sidebar does; Sphinx's
  EPUB builder drops the numbers of a numbered toctree (:meth:`BookEpub.get_refnodes`).
* A page holding MathML (``mathml.py``) or inline SVG must say so in its manifest item
  (``properties="mathml svg"``); Sphinx's ``content.opf`` template has no such attribute, so
  :class:`BookEpub` (the ``epub`` builder) adds it after Sphinx wrote the file, from the pages.
* sphinx-design's dropdown icons are inline ``<svg>`` without a namespace, which in XHTML makes
  them unknown HTML elements: each gets the SVG namespace (:class:`SvgNamespace`).
* matplotlib writes the glyph of a space as a ``<path>`` without its required ``d``, which a
  browser ignores and epubcheck rejects, and a DOCTYPE naming the SVG 1.1 DTD, which EPUB 3
  forbids: the EPUB's copy of each figure gets ``d=""`` there and no DOCTYPE
  (:meth:`BookEpub.copy_image_files`). The HTML's figures are left as they are.
* myst-nb's stylesheet is written in CSS that epubcheck's parser rejects (``:is()``, ``:has()``,
  custom properties), and copied only after the EPUB was zipped: the EPUB's pages do not link
  it (:func:`_without_mystnb_css`); Sphinx's and the EPUB theme's stylesheets style the cells.
  The copy a previous build left in the output directory is removed before the EPUB's files
  are listed, or a second ``make epub`` would zip it in (:meth:`BookEpub.build_content`).
"""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path

from docutils import nodes
from sphinx.builders.epub3 import Epub3Builder
from sphinx.transforms.post_transforms import SphinxPostTransform

SVG_NS = 'xmlns="http://www.w3.org/2000/svg"'
#: a manifest item of a page, as Sphinx's content.opf template writes it
PAGE_ITEM = re.compile(r'(<item id="[^"]*" href="([^"]*\.xhtml)" media-type="application/xhtml\+xml") />')
#: matplotlib's glyph definitions: <path id="DejaVuSans-20" transform="scale(0.015625)"/>
PATH_WITHOUT_D = re.compile(r"<path(?![^>]*\sd=)(?=[\s/>])")
DOCTYPE = re.compile(r"<!DOCTYPE[^>]*>\s*")


def page_properties(xhtml: str) -> list[str]:
    """The EPUB manifest properties a page's XHTML calls for."""
    return [prop for prop, tag in (("mathml", "<math"), ("svg", "<svg")) if tag in xhtml]


class BookEpub(Epub3Builder):
    """Sphinx's EPUB 3 builder, with manifest properties and figures epubcheck accepts."""

    def build_content(self) -> None:
        for stale in Path(self.outdir, "_static").glob("mystnb.*.css"):    # a previous build's
            stale.unlink()
        super().build_content()
        opf = Path(self.outdir, "content.opf")

        def declare(m: re.Match) -> str:
            props = page_properties(Path(self.outdir, m.group(2)).read_text(encoding="utf-8"))
            return f'{m.group(1)} properties="{" ".join(props)}" />' if props else m.group(0)
        opf.write_text(PAGE_ITEM.sub(declare, opf.read_text(encoding="utf-8")), encoding="utf-8")

    def get_refnodes(self, doctree: nodes.Node, result: list[dict]) -> list[dict]:
        """Sphinx's entries of the menu, a numbered chapter's text preceded by its number."""
        before = len(result)
        result = super().get_refnodes(doctree, result)
        if isinstance(doctree, nodes.reference) and doctree.get("secnumber") and len(result) > before:
            number = ".".join(map(str, doctree["secnumber"])) + self.config.html_secnumber_suffix
            result[-1]["text"] = html.escape(number) + result[-1]["text"]
        return result

    def copy_image_files(self) -> None:
        super().copy_image_files()
        for dest in self.images.values():
            path = Path(self.outdir, self.imagedir, dest)
            if path.suffix == ".svg":
                text = path.read_text(encoding="utf-8")
                fixed = DOCTYPE.sub("", PATH_WITHOUT_D.sub('<path d=""', text), count=1)
                if fixed != text:
                    path.write_text(fixed, encoding="utf-8")


class SvgNamespace(SphinxPostTransform):
    """Inline SVG (sphinx-design's icons, written after its dropdown transform, priority 199)
    in the SVG namespace, as XHTML requires."""

    default_priority = 250
    builders = ("epub",)

    def run(self, **kwargs) -> None:
        for raw in list(self.document.findall(nodes.raw)):
            text = raw.astext()
            if "html" in raw.get("format", "").split() and text.lstrip().startswith("<svg") \
                    and SVG_NS not in text:
                raw.replace_self(nodes.raw("", text.replace("<svg", f"<svg {SVG_NS}", 1),
                                           format="html", classes=raw["classes"]))


def _without_mystnb_css(app, pagename, templatename, context, doctree) -> None:
    if app.builder.name == "epub" and "css_files" in context:
        context["css_files"] = [css for css in context["css_files"]
                                if not posixpath.basename(str(getattr(css, "filename", css))).startswith("mystnb.")]


def setup(app):
    app.add_builder(BookEpub, override=True)
    app.add_post_transform(SvgNamespace)
    app.connect("html-page-context", _without_mystnb_css)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
