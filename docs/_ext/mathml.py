"""Math as MathML, for the EPUB: e-readers run no JavaScript, so MathJax would show raw TeX.

This registers the HTML math renderer ``mathml``, which converts each formula with docutils'
own LaTeX-to-MathML converter (``docutils.utils.math.latex2mathml``) when the page is written,
and selects it for the EPUB builder only (``epub_math_renderer``, which Sphinx's HTML builders
read before ``html_math_renderer``); the HTML keeps MathJax.

docutils parses the book's formulas but for a few amsmath commands. Each is rewritten to an
equivalent it knows, before the conversion, only where the rewrite means the same:

* ``\\dots`` by amsmath's own rule, from the token that follows it: ``\\cdots`` before a binary
  operator or a relation (``a + \\dots + b``), ``\\ldots`` otherwise (``1, \\dots, n``);
* ``\\substack{a \\\\ b}`` (lines centred in script style, as SymPy writes a sum over two
  indices) by ``\\begin{smallmatrix} a \\\\ b \\end{smallmatrix}``;
* a style declaration (``\\textstyle``) that is not the first thing in its group, whose scope
  is the rest of the group, by a group of its own around that rest: ``a \\textstyle b`` is
  ``a {\\textstyle b}``; not rewritten (so failing) when the rest crosses a cell (``&``, ``\\\\``);
* a sized delimiter pair split over the lines of an alignment (``\\Biggl( a \\\\ b \\Biggr)``,
  which TeX allows since ``\\Biggl`` opens no group, but docutils nests the rows in): each line
  closes and reopens it with the empty delimiter, ``\\Biggl( a \\Biggr. \\\\ \\Biggl. b \\Biggr)``
  (after the ``&`` that begins the next line, if any);
* ``split`` (which docutils does not know) by ``aligned``, the same layout in a display: its
  rows' columns right and left, aligned at the ``&``.

Two of docutils' layouts are corrected in the tree it builds, before it is written:

* an accent with a subscript (``\\hat{x}_i``, ``\\tilde c_t``, ``\\overline{y}_j``): docutils turns
  the accent's ``<mover>`` and the subscript into one ``<munderover>``, which sets the subscript
  *under* the letter, as for a limit; TeX sets it beside the accented letter, as
  ``<msub><mover>x ˆ</mover> i</msub>`` does (:func:`accent_scripts`). ``\\overbrace`` is a
  big operator in TeX, whose subscript is a limit under it: left as docutils writes it.
  (No TeX gives docutils that structure: ``{\\hat{x}}_i`` is parsed as ``\\hat{x}_i``.)
* an ``aligned`` environment (and the rows of a display, which docutils writes as one): its
  ``<mtable class="ams-align">`` has centred columns and cells in text style; amsmath's columns
  alternate right and left, meeting without space at the ``&`` (so the rows line up at their
  "="), and its cells are in display style (:func:`aligned_tables`). Readers that ignore
  MathML's ``columnalign`` (Chromium's MathML Core) align the cells by the EPUB's stylesheet
  (``book.css``, ``mtable.ams-align``).

docutils writes MathML Core; EPUB 3 asks for MathML 3, in which only ``<mstyle>`` and
``<math>`` take ``displaystyle`` and ``scriptlevel`` (and ``<mtable>`` ``displaystyle``, its cells'
style): any other element with them is wrapped in an ``<mstyle>`` that carries them
(:func:`mathml3`), and the invisible function application is the character itself, not the HTML
entity ``&ApplyFunction;``, unknown to XHTML.

A formula docutils still cannot convert fails the build, named with its page and line: the
EPUB never shows raw TeX in place of a formula.
"""

from __future__ import annotations

import re

from docutils import nodes
from docutils.utils.math import MathError, mathml_elements, toplevel_code
from docutils.utils.math.latex2mathml import accents, over, parse_latex_math
from sphinx.locale import _
from sphinx.util import logging
from sphinx.util.math import get_node_equation_number

logger = logging.getLogger(__name__)

#: What follows a ``\dots`` that amsmath centres (``\dotsb``): binary operators and relations.
CENTRED_BEFORE = re.compile(
    r"\s*([-+=<>*/]|\\(cdot|times|pm|mp|circ|odot|otimes|oplus|le|leq|ge|geq|ne|neq|approx"
    r"|equiv|sim|simeq|to|in)(?![a-zA-Z]))")
DOTS = re.compile(r"\\dots(?![a-zA-Z])")
SUBSTACK = re.compile(r"\\substack\s*\{")
DECLARATION = re.compile(r"\\(displaystyle|textstyle|scriptstyle|scriptscriptstyle)(?![a-zA-Z])")


def _dots(tex: str) -> str:
    return DOTS.sub(lambda m: r"\cdots" if CENTRED_BEFORE.match(tex, m.end()) else r"\ldots", tex)


def _group_end(tex: str, i: int) -> int:
    """The index of the ``}`` that closes the group open at ``i`` (just after its ``{``); the
    length of ``tex`` if the group is the whole formula and not closed."""
    depth = 0
    while i < len(tex):
        if tex[i] == "\\":
            i += 2
            continue
        if tex[i] == "{":
            depth += 1
        elif tex[i] == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return len(tex)


def _substack(tex: str) -> str:
    while m := SUBSTACK.search(tex):
        end = _group_end(tex, m.end())
        tex = (tex[:m.start()] + r"\begin{smallmatrix}" + tex[m.end():end] + r"\end{smallmatrix}"
               + tex[end + 1:])
    return tex


def _declarations(tex: str) -> str:
    for m in reversed(list(DECLARATION.finditer(tex))):
        if not tex[:m.start()].rstrip().endswith("{") and tex[:m.start()].strip():
            end = _group_end(tex, m.end())
            rest = tex[m.start():end]
            if "&" not in rest and r"\\" not in rest and r"\end" not in rest:
                tex = tex[:m.start()] + "{" + rest + "}" + tex[end:]
    return tex


SIZED = re.compile(r"\\(big|Big|bigg|Bigg)([lr])(?![a-zA-Z])\s*(\\[a-zA-Z]+|\\.|.)|\\\\|\\[{}]|\\begin|\\end|[{}]")


def _sized_across_rows(tex: str) -> str:
    out, last, open_, depth = [], 0, [], 0     # open_: (size, depth) of the unclosed \Xl
    for m in SIZED.finditer(tex):
        token = m.group(0)
        if m.group(2) == "l":
            open_.append((m.group(1), depth))
        elif m.group(2) == "r":
            if open_:
                open_.pop()
        elif token in ("{", r"\begin"):
            depth += 1
        elif token in ("}", r"\end"):
            depth -= 1
        elif token == "\\\\" and open_ and all(d == depth for _, d in open_):
            closing = "".join(rf"\{size}r. " for size, _ in reversed(open_))
            opening = "".join(rf" \{size}l." for size, _ in open_)
            cells = re.compile(r"[\s&]*").match(tex, m.end()).end()   # reopened in the line's cell
            out += [tex[last:m.start()], closing, tex[m.start():cells], opening + " "]
            last = cells
    return "".join(out) + tex[last:]


SPLIT = re.compile(r"\\(begin|end)\s*\{split\}")


def supported(tex: str) -> str:
    """``tex`` with the amsmath commands docutils lacks rewritten to their equivalents."""
    tex = SPLIT.sub(r"\\\1{aligned}", tex)
    return _sized_across_rows(_declarations(_substack(_dots(tex))))


#: docutils' accents (``\hat``: ``<mo stretchy="false">ˆ</mo>`` in ``<mover accent="true">``) and
#: the other marks it sets over a base (``\overline``: ``<mo accent="true">_</mo>`` in ``<mover
#: accent="false">``), whose subscript TeX sets beside; not ``\overbrace``, a limit's operator
ACCENTS = frozenset(accents.values())
OVER_MARKS = frozenset(mark for name, (mark, _) in over.items() if name != "overbrace")


def _mover_of(mark: mathml_elements.MathElement) -> dict | None:
    """The attributes of the ``<mover>`` docutils made for ``mark``, the third child of an
    ``<munderover>``, if it is an accent's or an over-mark's; None if it is an upper limit."""
    if mark.tag != "mo":
        return None
    if mark.get("stretchy") == "false" and mark.text in ACCENTS:
        return {"accent": True}
    if mark.get("accent") == "true" and mark.text in OVER_MARKS:
        return {"accent": False}
    return None


def accent_scripts(tree: mathml_elements.MathElement) -> None:
    """``<munderover>`` base sub mark ``</munderover>`` that docutils made of an accented base and
    its subscript: ``<msub>`` of the accented base and the subscript, or ``<msubsup>`` if a
    superscript followed (which docutils put in an ``<msup>`` around the ``<munderover>``)."""
    parents = {child: parent for parent in tree.iter() for child in parent}
    for node in reversed(list(tree.iter("munderover"))):     # the innermost first
        accent = _mover_of(node[2]) if len(node) == 3 else None
        if accent is None:
            continue
        base, sub, mark = list(node)
        accented = mathml_elements.mover(base, mark, **accent)
        parent = parents[node]
        if parent.tag == "msup" and parent[0] is node:    # \hat{x}_i^2
            node, fixed = parent, mathml_elements.msubsup(accented, sub, parent[1])
            parent = parents[node]
        else:
            fixed = mathml_elements.msub(accented, sub)
        parent[list(parent).index(node)] = fixed
        parents.update({fixed: parent} | {child: fixed for child in fixed})


def aligned_tables(tree: mathml_elements.MathElement) -> None:
    """Every ``<mtable class="ams-align">`` (``aligned``, or a display's rows) laid out as amsmath's
    ``aligned``: its columns right, left, right, left, ... (a pair of columns is one ``a &= b``),
    no space between the two columns of a pair and 1em between pairs (amsmath's
    ``\\minalignsep``, 10 pt), its cells in display style. The table's class, which the EPUB's
    stylesheet aligns by, is docutils'."""
    for table in tree.iter("mtable"):
        if "ams-align" not in table.get("class", "").split():
            continue
        columns = max((len(row) for row in table if row.tag == "mtr"), default=1)
        table.set("columnalign", " ".join(["right", "left"][k % 2] for k in range(max(columns, 1))))
        if columns > 1:
            table.set("columnspacing", " ".join(["0", "1em"][k % 2] for k in range(columns - 1)))
        table.set("displaystyle", True)


#: the attributes of layout style, and the elements MathML 3 allows them on (``<mtable>``:
#: ``displaystyle``, the style of its cells)
STYLE = ("displaystyle", "scriptlevel")
STYLED = {"math": STYLE, "mstyle": STYLE, "mtable": ("displaystyle",)}


def mathml3(tree: mathml_elements.MathElement) -> None:
    """Moves ``displaystyle`` and ``scriptlevel`` of any element that may not have them (MathML 3:
    :data:`STYLED`) to an ``<mstyle>`` around it, or around its content if it is a table cell."""
    for parent in list(tree.iter()):
        for i, child in enumerate(list(parent)):
            moved = [a for a in STYLE if a in child.attrib and a not in STYLED.get(child.tag, ())]
            if not moved:
                continue
            style = mathml_elements.mstyle(**{a: child.attrib.pop(a) for a in moved})
            if child.tag in ("mtd", "mtr"):
                for grandchild in list(child):
                    child.remove(grandchild)
                    style.append(grandchild)
                child.append(style)
            else:
                parent[i] = style
                style.append(child)


def to_mathml(tex: str, block: bool) -> str:
    """docutils' ``tex2mathml``, with :func:`mathml3` applied before the tree is written."""
    tree = mathml_elements.math(xmlns="http://www.w3.org/1998/Math/MathML")
    node = tree
    if block:
        tree.set("display", "block")
        if len(toplevel_code(tex).split(r"\\")) > 1:    # rows: an "align*", as tex2mathml
            node = mathml_elements.mtd()
            tree.append(mathml_elements.mtable(mathml_elements.mtr(node), CLASS="ams-align",
                                               displaystyle=True))
    parse_latex_math(node, tex)
    accent_scripts(tree)
    aligned_tables(tree)
    mathml3(tree)
    tree.indent_xml()
    return tree.toxml().replace("&ApplyFunction;", "&#x2061;")


def mathml(translator, node: nodes.Element, tex: str, block: bool) -> str:
    """The MathML of ``tex``; logs an error naming the formula (which fails the build) if
    docutils cannot convert it."""
    try:
        return to_mathml(supported(tex), block)
    except MathError as error:
        logger.error("formula not convertible to MathML (%s): %s", error, tex,
                     location=node, type="mathml")
        return '<span class="math-error"></span>'


def visit_math(self, node: nodes.math) -> None:
    self.body.append(self.starttag(node, "span", "", CLASS="math"))
    self.body.append(mathml(self, node, node.astext(), block=False) + "</span>")
    raise nodes.SkipNode


def visit_displaymath(self, node: nodes.math_block) -> None:
    """As ``sphinx.ext.mathjax`` writes a display: the number in ``<span class="eqno">`` first,
    the id on the ``<div>``; formulas separated by blank lines are rows of one alignment."""
    self.body.append(self.starttag(node, "div", CLASS="math"))
    if node["number"]:
        self.body.append(f'<span class="eqno">({get_node_equation_number(self, node)})')
        self.add_permalink_ref(node, _("Link to this equation"))
        self.body.append("</span>")
    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    self.body.append(mathml(self, node, r" \\ ".join(parts), block=True) + "</div>\n")
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mathml", (visit_math, None), (visit_displaymath, None))
    # read by the EPUB builder before html_math_renderer (Builder.get_builder_config); its own
    # rebuild scope, so that `make epub` after `make html` reads no page again
    app.add_config_value("epub_math_renderer", "mathml", "epub", types=frozenset({str}))
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1"}
