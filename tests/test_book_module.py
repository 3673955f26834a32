"""derivations.book: the exhibits a page glues, as plain data, and their rendering."""

import numpy as np
import pytest

from derivations import book


def test_table_markdown_exactly():
    t = book.Table(["a", "b|c"], [("1", "$x$"), ("2", "y")], align="lr")
    assert t.markdown() == "| a | b\\|c |\n|---|---:|\n| 1 | $x$ |\n| 2 | y |"
    with pytest.raises(ValueError, match="columns"):
        book.Table(["a", "b"], [("1",)]).markdown()
    with pytest.raises(ValueError, match="columns"):
        book.Table(["a", "b"], [("1", "2")], align="l").markdown()


def test_render_draws_every_panel_curve_and_marker():
    x = np.linspace(1, 10, 5)
    fig = book.render(book.Figure([
        book.Panel([book.Curve(x, x**2, "square"), book.Curve(x, x, None, "o")],
                   xscale="log", yscale="log", vlines=[2.0], hlines=[3.0], title="t", ylim=(1, 100)),
        book.Panel(image=np.eye(3) - 2, colorbar="value", cmap="RdBu_r")], size=(6, 3)))
    first, second = fig.axes[:2]
    assert len(first.lines) == 4                        # two curves, one vline, one hline
    assert first.get_xscale() == "log" and first.get_title() == "t"
    assert first.get_ylim() == (1, 100)
    assert first.get_legend().get_texts()[0].get_text() == "square"
    assert len(second.images) == 1 and len(fig.axes) == 3   # the colour bar's axes
    assert second.images[0].get_clim() == (-2, 2)              # a diverging map centred on 0
    assert tuple(fig.get_size_inches()) == (6, 3)


def test_an_unknown_exhibit_is_refused():
    with pytest.raises(TypeError, match="cannot glue a int"):
        book._displayable(3)
    assert book._displayable("7") == "7"
    assert book._displayable(book.Equation("x^2")).data == "x^2"


@pytest.mark.parametrize("tex, rows", [
    ("a = b = c", ["a &= b", "&= c"]),                                   # a chain
    (r"a = b, \qquad c \le d", ["a &= b,", r"c &\le d"]),                  # two statements
    (r"a = b \qquad \text{whenever } c = 1", None),                       # a condition stays
    (r"\sum_{i=1}^{n} x_i = \left(a = b\right)", None),                    # relations in groups
    (r"\Bigl\lVert x \Bigr\rVert \approx y = z", [r"\Bigl\lVert x \Bigr\rVert &\approx y", "&= z"]),
    (r"\begin{cases} 1 & z > 0 \\ 0 & z = 0 \end{cases} = f", None),     # one top-level relation
    (r"a &= b \\ c &= d", None),                                           # rows of its own
    (r"x_{1} = \frac{1}{2}", None),
])
def test_an_equation_is_set_one_relation_per_row(tex, rows):
    assert book.relation_rows(tex) == (rows or [tex])
    shown = book.Equation(tex).display()
    assert shown == (book.aligned(rows) if rows else tex)


def test_unbalanced_equations_are_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        book.relation_rows(r"\left( a = b")


def test_every_glued_equation_keeps_its_formula_when_set_in_rows(exhibits_of):
    """Setting a page's equation in rows only adds alignment: the same symbols in the same order."""
    from derivations.symbolic.topics import MODULES

    bare = lambda s: "".join(s.replace(r"\qquad", "").replace("&", "").split())  # noqa: E731
    split = 0
    for topic in MODULES:
        for name, value in exhibits_of(topic).items():
            if isinstance(value, book.Equation):
                rows = book.relation_rows(value.tex)
                split += len(rows) > 1
                assert bare("".join(rows)) == bare(value.tex), (topic, name)
    assert split >= 6          # the chains and paired statements of five chapters
