"""What a page shows, as plain data, and how a page glues it (presentation only).

A topic's symbolic module computes everything its page shows in ``exhibits()``: a dict from
glue name to a ``str`` (glued as text), an :class:`Equation`, a :class:`Markdown` fragment, a
:class:`Table`, a :class:`Figure` or a :class:`Graph`. They are plain data, so the tests can read
what a page will show; only :func:`glue_page` imports IPython, myst-nb and matplotlib. A page's one
hidden cell is ``glue_page(topic_module)``: it runs the topic's checks (raising on a failure),
glues every exhibit, and glues the page's Verified box (``n_checks``, ``checks_table``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Sequence

import numpy as np

from . import verify
from .provenance import stored, stored_records

if TYPE_CHECKING:
    import matplotlib.figure


@dataclass(frozen=True)
class Equation:
    """Display math, as LaTeX printed from the object a check proved (``common.tex``).

    ``tex`` is what the checks and tests read; the page typesets :meth:`display`, the same
    formula set one relation per line so that it fits a narrow column.

    ``proofs`` names the checks of the page's topic that prove the formula: each entry is a
    check's name or the start of its name (``"dL/dW2 = delta2 h^T:"`` names the explicit proofs,
    the symbolic-size proof and its instances at once) and must match at least one check. A
    formula that states no claim (a model's definition, a criterion the book adopts) is a
    ``definition`` instead. The page "What is proved, and how" lists every displayed formula
    with these checks."""

    tex: str
    proofs: tuple[str, ...] = ()
    definition: bool = False

    def __post_init__(self):
        if self.proofs and self.definition:
            raise ValueError("equation: a definition is not proved; give proofs=... or "
                             f"definition=True, not both: {self.tex[:60]!r}")
        if isinstance(self.proofs, str):
            raise TypeError("equation: proofs is a tuple of check names, not one string")

    def display(self) -> str:
        """``tex`` one relation per row, aligned at the relations (:func:`relation_rows`)."""
        rows = relation_rows(self.tex)
        return self.tex if len(rows) == 1 else aligned(rows)


def proving_checks(equation: Equation, checks: Sequence[verify.Check]) -> list[verify.Check]:
    """The checks (of the equation's topic) that ``equation.proofs`` names, in their order;
    ValueError naming an entry that matches no check."""
    out = []
    for entry in equation.proofs:
        found = [c for c in checks if c.name == entry or c.name.startswith(entry)]
        if not found:
            raise ValueError(f"equation: no check is named {entry!r} or starts with it")
        out += [c for c in found if c not in out]
    return out


def aligned(rows: Sequence[str]) -> str:
    """Rows of display math aligned at each row's ``&`` (``a &= b``), one below the other."""
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


# Relations a display breaks before, and the tokens that open and close a group: a relation
# inside a group (a subscript's i = 1, a case's z > 0, a \left( ... \right)) is not broken at.
_RELATIONS = {"=", "<", ">", r"\le", r"\leq", r"\ge", r"\geq", r"\approx", r"\neq", r"\equiv"}
_OPEN = {"{", r"\left", r"\begin", r"\bigl", r"\Bigl", r"\biggl", r"\Biggl"}
_CLOSE = {"}", r"\right", r"\end", r"\bigr", r"\Bigr", r"\biggr", r"\Biggr"}
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|.", re.DOTALL)


def relation_rows(tex: str) -> list[str]:
    r"""The rows of ``tex`` set one relation per line: a top-level ``\qquad`` followed by a
    statement with a relation starts a row (a condition, ``\text{...}``, stays on its row), and
    so does each further top-level relation of a chain (``a = b = c`` is ``a &= b`` over ``&= c``). A formula with rows of its own (a
    top-level ``\\``) or a single relation is one row, unchanged."""
    depth, cuts, rels = 0, [], []          # cuts: (start, end) of each \qquad; rels: positions
    for m in _TOKEN.finditer(tex):
        t = m.group()
        if t in _OPEN:
            depth += 1
        elif t in _CLOSE:
            depth -= 1
        elif depth == 0 and t in ("\\\\", "&"):     # rows or alignment of its own
            return [tex]
        elif depth == 0 and t == r"\qquad":
            cuts.append(m.span())
        elif depth == 0 and t in _RELATIONS:
            rels.append(m.start())
    if depth != 0:
        raise ValueError(f"equation: unbalanced groups in {tex!r}")
    statements, start = [], 0                # (text, offset) between the \qquad cuts
    for a, b in cuts:
        statements.append((tex[start:a], start))
        start = b
    statements.append((tex[start:], start))
    rows: list[str] = []
    for text, offset in statements:
        inside = [r - offset for r in rels if offset <= r < offset + len(text)]
        if not inside or text.lstrip().startswith(r"\text"):   # a condition: stays on its row
            rows[-1:] = [(rows[-1] if rows else "") + r" \qquad " + text.strip()]
            continue
        pieces = [text[:inside[0]]] + [text[a:b] for a, b in zip(inside, inside[1:] + [len(text)])]
        rows.append(f"{pieces[0].strip()} &{pieces[1].strip()}")
        rows += [f"&{p.strip()}" for p in pieces[2:]]
    return rows if len(rows) > 1 else [tex]


@dataclass(frozen=True)
class Markdown:
    """A MyST fragment: prose with inline math or code, glued with ``{glue:md}``."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table of MyST cells; ``align`` is one of l, r, c per column (default: left)."""

    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    align: str = ""

    def markdown(self) -> str:
        align = self.align or "l" * len(self.header)
        if len(align) != len(self.header) or any(len(r) != len(self.header) for r in self.rows):
            raise ValueError(f"table: {len(self.header)} columns in the header, rows and align differ")
        rule = {"l": "---", "r": "---:", "c": ":---:"}
        cells = lambda r: "| " + " | ".join(str(c).replace("|", r"\|") for c in r) + " |"  # noqa: E731
        return "\n".join([cells(self.header), "|" + "|".join(rule[a] for a in align) + "|",
                          *map(cells, self.rows)])


@dataclass(frozen=True)
class Curve:
    """One line (``style`` a matplotlib format such as "-", "--", ":", "o") of a panel."""

    x: np.ndarray
    y: np.ndarray
    label: str | None = None
    style: str = "-"
    color: str | None = None


@dataclass(frozen=True)
class Panel:
    """One set of axes: curves, or an image (a heat map with a labelled colour bar)."""

    curves: Sequence[Curve] = ()
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    xscale: str = "linear"
    yscale: str = "linear"
    vlines: Sequence[float] = ()          # dotted markers, e.g. where a naive formula fails
    hlines: Sequence[float] = ()
    ylim: tuple[float, float] | None = None
    image: np.ndarray | None = None       # rows drawn top to bottom
    extent: tuple[float, float, float, float] | None = None
    colorbar: str = ""
    cmap: str | None = None               # a diverging map (e.g. "RdBu_r") is centred on 0
    legend_loc: str = "best"


@dataclass(frozen=True)
class Figure:
    """Panels side by side; ``size`` in inches (the pages scale it to the column)."""

    panels: Sequence[Panel]
    size: tuple[float, float] = (6.4, 3.2)
    sharey: bool = False


@dataclass(frozen=True)
class Node:
    """A node of a :class:`Graph` at grid position (x, y), y growing downwards: an operation
    (drawn in a box) or a value (plain text); ``label`` may hold mathtext ($W_1$)."""

    name: str
    label: str
    x: float
    y: float
    operation: bool = False


@dataclass(frozen=True)
class Edge:
    """An arrow of a :class:`Graph` from ``tail`` to ``head``, labelled with the value it carries
    forward and, below it, the gradient it carries back (either may be empty)."""

    tail: str
    head: str
    forward: str = ""
    backward: str = ""
    side: str = "right"                   # a vertical arrow's labels: "right" or "left" of it
    shift: tuple[float, float] = (0.0, 0.0)   # the labels moved off a slanted arrow, grid units


@dataclass(frozen=True)
class Graph:
    """A computational graph laid out on a grid (``unit`` inches per grid step): values forward
    in black, gradients backward in red; ``key``, in the bottom-left corner, says what the two are."""

    nodes: Sequence[Node]
    edges: Sequence[Edge]
    unit: tuple[float, float] = (1.3, 0.75)
    key: tuple[str, str] = ("value (forward)", "gradient (backward)")   # what black and red labels are

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise ValueError(f"graph: no node named {name!r}; the nodes are "
                         f"{', '.join(n.name for n in self.nodes)}")


#: The colour of gradients in a :class:`Graph` (values are black).
GRADIENT_COLOR = "#b03a2e"


def render_graph(graph: Graph) -> "matplotlib.figure.Figure":
    """The matplotlib figure of a :class:`Graph` (closed: it is only glued)."""
    import matplotlib.pyplot as plt

    xs, ys = [n.x for n in graph.nodes], [n.y for n in graph.nodes]
    width = (max(xs) - min(xs) + 1.8) * graph.unit[0]
    height = (max(ys) - min(ys) + 1.2) * graph.unit[1]
    fig, ax = plt.subplots(figsize=(width, height))
    ax.set_xlim(min(xs) - 0.8, max(xs) + 1.0)
    ax.set_ylim(max(ys) + 0.6, min(ys) - 0.6)
    ax.axis("off")
    boxes = {}
    for n in graph.nodes:
        style = (dict(boxstyle="round,pad=0.3", fc="#eef3f8", ec="0.3") if n.operation
                 else dict(boxstyle="square,pad=0.15", fc="white", ec="none"))
        boxes[n.name] = ax.text(n.x, n.y, n.label, ha="center", va="center", fontsize=11,
                                bbox=style, zorder=3)
    for e in graph.edges:
        tail, head = graph.node(e.tail), graph.node(e.head)
        ax.annotate("", xy=(head.x, head.y), xytext=(tail.x, tail.y),
                    arrowprops=dict(arrowstyle="-|>", color="0.35", lw=1.1, shrinkA=2, shrinkB=2,
                                    patchA=boxes[e.tail].get_bbox_patch(),
                                    patchB=boxes[e.head].get_bbox_patch()), zorder=3.5)
        mx, my = (tail.x + head.x) / 2 + e.shift[0], (tail.y + head.y) / 2 + e.shift[1]
        if abs(head.x - tail.x) > abs(head.y - tail.y):      # across: value above, gradient below
            spots = [(mx, my - 0.06, "center", "bottom"), (mx, my + 0.06, "center", "top")]
        else:                                                # down: both beside the arrow
            dx, ha = (0.08, "left") if e.side == "right" else (-0.08, "right")
            spots = [(mx + dx, my, ha, "bottom"), (mx + dx, my, ha, "top")]
        for text, (x, y, ha, va), color in zip((e.forward, e.backward), spots, ("black", GRADIENT_COLOR)):
            if text:
                ax.text(x, y, text, ha=ha, va=va, fontsize=10, color=color, zorder=4)
    for text, y, color in zip(graph.key, (0.25, 0.55), ("black", GRADIENT_COLOR)):
        if text:
            ax.text(min(xs) - 0.75, max(ys) + y, text, fontsize=10, va="bottom", color=color)
    fig.tight_layout(pad=0.1)
    plt.close(fig)
    return fig


def render(figure: Figure) -> "matplotlib.figure.Figure":
    """The matplotlib figure of a :class:`Figure` (closed: it is only glued)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(figure.panels), figsize=figure.size, squeeze=False,
                             sharey=figure.sharey)
    for ax, panel in zip(axes[0], figure.panels):
        if panel.image is not None:
            limits = {}
            if panel.cmap in ("RdBu_r", "RdBu", "coolwarm", "bwr", "seismic", "PuOr"):
                top = float(np.max(np.abs(panel.image))) or 1.0
                limits = {"vmin": -top, "vmax": top}
            im = ax.imshow(panel.image, aspect="auto", extent=panel.extent, origin="upper",
                           cmap=panel.cmap, **limits)
            fig.colorbar(im, ax=ax, label=panel.colorbar)
            ax.grid(False)
        for c in panel.curves:
            kw = {"lw": 2} if not any(m in c.style for m in "o.sx^") else {"ms": 4}
            ax.plot(c.x, c.y, c.style, label=c.label, color=c.color, **kw)
        for v in panel.vlines:
            ax.axvline(v, color="C3", lw=1, ls=":")
        for h in panel.hlines:
            ax.axhline(h, color="0.4", lw=1, ls=":")
        ax.set_xscale(panel.xscale)
        ax.set_yscale(panel.yscale)
        ax.set_xlabel(panel.xlabel)
        ax.set_ylabel(panel.ylabel)
        if panel.title:
            ax.set_title(panel.title, fontsize=10)
        if panel.ylim is not None:
            ax.set_ylim(*panel.ylim)
        if any(c.label for c in panel.curves):
            ax.legend(fontsize=10, loc=panel.legend_loc)   # 10 pt: at least 6 px on a phone
    fig.tight_layout()
    plt.close(fig)
    return fig


def _displayable(value):
    from IPython.display import Markdown as IMarkdown
    from IPython.display import Math

    if isinstance(value, str):
        return value
    if isinstance(value, Equation):
        return Math(value.display())
    if isinstance(value, Markdown):
        return IMarkdown(value.text)
    if isinstance(value, Table):
        return IMarkdown(value.markdown())
    if isinstance(value, Figure):
        return render(value)
    if isinstance(value, Graph):
        return render_graph(value)
    raise TypeError(f"exhibit: cannot glue a {type(value).__name__}; give a str, Equation, "
                    "Markdown, Table, Figure or Graph")


def glue_all(exhibits: dict) -> None:
    """Glue every exhibit under its name (not displayed where the cell is)."""
    from myst_nb import glue

    if any(isinstance(v, (Figure, Graph)) for v in exhibits.values()):  # matplotlib only when needed
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("svg")
    for name, value in exhibits.items():
        glue(name, _displayable(value), display=False)


def verified_box(checks: Sequence[verify.Check], *, with_topic: bool = False) -> dict:
    """The glue of a Verified box: the number of checks and their table."""
    return {"n_checks": str(len(checks)),
            "checks_table": Markdown(verify.markdown_table(checks, with_topic=with_topic))}


def topic_checks(module: ModuleType) -> list[verify.Check]:
    """``module.checks()`` (seed 0), or, when ``$DERIVATIONS_CHECK_STORE`` names a store, the
    results an earlier run (this build or a previous one) stored under the same key: sources,
    seed, versions, thread counts (``derivations.provenance.stored``)."""
    return stored(module.__name__, 0, module.checks)


def glue_page(module: ModuleType) -> None:
    """A topic page's one hidden cell: the topic's checks (:func:`topic_checks`; a failure
    raises and fails the build), then glue ``module.exhibits()`` and the Verified box. The
    page's equations and the checks that prove them are stored for the proofs page
    (:func:`topic_equations`)."""
    checks = verify.require(topic_checks(module))
    exhibits = module.exhibits()
    for equation in (v for v in exhibits.values() if isinstance(v, Equation)):
        proving_checks(equation, checks)      # a proof named that is not a check fails the build
    topic_equations(module, exhibits)
    glue_all({**exhibits, **verified_box(checks)})


def equation_records(exhibits: dict) -> list[dict]:
    """The equations among ``exhibits``: glue name, the names in ``proofs``, ``definition``."""
    return [{"name": k, "proofs": list(v.proofs), "definition": v.definition}
            for k, v in exhibits.items() if isinstance(v, Equation)]


def topic_equations(module: ModuleType, exhibits: dict | None = None) -> list[dict]:
    """:func:`equation_records` of ``module.exhibits()`` (``exhibits`` when the caller has
    them: its page), read from the store when a page stored them for the same sources, else
    computed and stored."""
    return stored_records(module.__name__, 0, lambda: equation_records(
        module.exhibits() if exhibits is None else exhibits), kind="equations")


_GLUE_MATH = re.compile(r"^```\{glue:math\}[ \t]+(\S+)[ \t]*\n(?::label:[ \t]+(\S+))?", re.MULTILINE)


def displayed_equations(page: str) -> list[tuple[str, str]]:
    """The equations a page's source displays, in order: (glue name, label or "")."""
    return [(m.group(1), m.group(2) or "") for m in _GLUE_MATH.finditer(page)]


#: The kind of proof each method of a check gives, strongest first. By induction (for every
#: sequence length or depth), at any size, exactly (a SymPy identity, at the sizes its check's
#: name gives, if any).
PROOF_KINDS = {"induction": "by induction", "symbolic size": "any size", "symbolic": "exact"}


def proof_kind(checks: Sequence[verify.Check]) -> str:
    """What the checks prove of a formula: "by induction", "any size", "exact" (each kind present,
    strongest first, joined by "; "), or "numerically" when no check is a proof."""
    methods = {c.method.split(",")[0] for c in checks}
    kinds = [text for method, text in PROOF_KINDS.items() if method in methods]
    return "; ".join(kinds) if kinds else "numerically"


def glue_report(topics: ModuleType) -> None:
    """The verification report's one hidden cell: every registered check of every topic
    (``topics`` is ``derivations.symbolic.topics``; each topic's by :func:`topic_checks`),
    raising on a failure, glued as one collapsed section per topic."""
    by_topic = {t: topic_checks(topics.MODULES[t]) for t in topics.TOPICS}
    checks = verify.require([c for t in topics.TOPICS for c in by_topic[t]])
    methods = sorted({c.method for c in checks})
    glue_all({"n_checks": str(len(checks)), "n_topics": str(len(topics.TOPICS)),
              "n_passed": str(sum(c.passed for c in checks)),
              "methods": Markdown(", ".join(f"`{m}`" for m in methods)),
              "report_table": Markdown(report_sections(by_topic))})


def report_sections(by_topic: dict) -> str:
    """The report as one collapsed section per topic: a summary line (the topic, its count,
    whether all passed) over the topic's table, which has no topic column."""
    lines = []
    for topic, checks in by_topic.items():
        failed = sum(not c.passed for c in checks)
        status = "all passed" if not failed else f"{failed} FAILED"
        lines += [f":::{{dropdown}} {topic}: {len(checks)} checks, {status}", "",
                  verify.markdown_table(checks, with_topic=False), "", ":::", ""]
    return "\n".join(lines)


def proof_rows(topics: ModuleType, docs: str) -> dict[str, list[dict]]:
    """Every equation every topic page displays (``docs``: the pages' directory), by topic, in
    the book's order: label, glue name, kind (:func:`proof_kind`, or "definition"), the proving
    checks and the time they took. ValueError for a displayed equation its topic does not
    exhibit, or a proof that names no check."""
    from pathlib import Path

    out = {}
    for topic in topics.TOPICS:
        page = Path(docs) / f"{topic}.md"
        if not page.exists():
            continue
        module = topics.MODULES[topic]
        records = {r["name"]: r for r in topic_equations(module)}
        checks = topic_checks(module)
        rows = []
        for name, label in displayed_equations(page.read_text(encoding="utf-8")):
            if name not in records:
                raise ValueError(f"{topic}: the page displays {name!r}, which its topic does not exhibit")
            r = records[name]
            if not (r["proofs"] or r["definition"]):
                raise ValueError(f"{topic}: {name!r} names no proof and is not marked a definition")
            proved = [] if r["definition"] else proving_checks(Equation("", tuple(r["proofs"])), checks)
            rows.append({"label": label, "name": name, "checks": proved,
                         "kind": "definition" if r["definition"] else proof_kind(proved),
                         "seconds": sum(c.seconds for c in proved)})
        out[topic] = rows
    return out


def proofs_table(rows: Sequence[dict]) -> Table:
    """One chapter's rows as a table: the equation (its number, a link), how it is proved, the
    checks that prove it (their names give the sizes of an exact proof), their time."""
    def eq(r):
        return (f'<span id="proof-{r["label"]}"></span>{{eq}}`{r["label"]}`' if r["label"]
                else f"`{r['name']}`")
    return Table(("equation", "proved", "by", "time"),
                 [(eq(r), r["kind"], check_names(r["checks"]),
                   f"{r['seconds']:.2f}\u00a0s" if r["seconds"] else "") for r in rows], align="lllr")


def check_names(checks: Sequence[verify.Check]) -> str:
    """The checks' names, those that share a statement (the text before ": ") written as the
    statement once and their particulars after it: "dL/dW2 = ...: SymPy diff of L, (n, m, p) =
    (3, 2, 2); index notation, any n, m, p"."""
    groups: dict = {}
    for c in checks:
        head, _, tail = c.name.partition(": ")
        groups.setdefault(head, []).append(tail)
    return " · ".join(head + (": " + "; ".join(t for t in tails if t) if any(tails) else "")
                      for head, tails in groups.items())


def proofs_summary(by_topic: dict) -> Table:
    """Per chapter (by its number, a link): how many displayed formulas are proved by
    induction, at any size (and not by induction), exactly only, only numerically, or are
    definitions: each formula once."""
    def count(rows, kind):      # each formula once, under the strongest kind of proof it has
        return sum(r["kind"].split("; ")[0] == kind for r in rows)
    kinds = ("by induction", "any size", "exact", "numerically", "definition")
    body = [[f"{{doc}}`{number} <{t}>`", str(len(rows)), *(str(count(rows, k)) for k in kinds)]
            for number, (t, rows) in enumerate(by_topic.items(), 1) if rows]
    return Table(("chapter", "all", "induction", "any size", "exact", "numeric", "definition"),
                 body, align="lrrrrrr")


def chapter_title(page: str) -> str:
    """A page's title: its first level-1 heading."""
    return next(line[2:].strip() for line in page.splitlines() if line.startswith("# "))


def glue_proofs(topics: ModuleType, docs: str) -> None:
    """The proofs page's one hidden cell: every displayed formula of every chapter, how it is
    proved (:func:`proof_rows`), glued as a summary and one table per chapter."""
    from pathlib import Path

    by_topic = proof_rows(topics, docs)
    every = [r for rows in by_topic.values() for r in rows]
    sections = []
    for number, (topic, rows) in enumerate(by_topic.items(), 1):
        if rows:
            title = chapter_title((Path(docs) / f"{topic}.md").read_text(encoding="utf-8"))
            sections += [f"::::{{dropdown}} {number}. {title}: {len(rows)} formulas", "",
                         proofs_table(rows).markdown(), "", "::::", ""]
    glue_all({"n_formulas": str(len(every)),
              "n_any_size": str(sum(r["kind"].startswith("any size") for r in every)),
              "n_induction": str(sum(r["kind"].startswith("by induction") for r in every)),
              "n_exact_only": str(sum(r["kind"] == "exact" for r in every)),
              "n_numerically": str(sum(r["kind"] == "numerically" for r in every)),
              "n_definitions": str(sum(r["kind"] == "definition" for r in every)),
              "proofs_summary": proofs_summary(by_topic),
              "proofs_tables": Markdown("\n".join(sections))})
