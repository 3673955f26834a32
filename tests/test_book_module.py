"""derivations.book: the exhibits a page glues, as plain data, and their rendering."""

import numpy as np
import pytest

from derivations import book, verify


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


# ----------------------------------------------------------------------------- what is proved

def test_an_equation_is_proved_or_a_definition_not_both():
    assert book.Equation("x", proofs=("a",)).proofs == ("a",)
    assert book.Equation("x", definition=True).definition
    with pytest.raises(ValueError, match="not both"):
        book.Equation("x", proofs=("a",), definition=True)
    with pytest.raises(TypeError, match="tuple"):
        book.Equation("x", proofs="a check")


def test_proving_checks_match_names_and_prefixes_and_refuse_unknown_ones():
    checks = [verify.Check("t", "dW = G^T X: index notation, any N", "symbolic size", 0, 0, True),
              verify.Check("t", "dW = G^T X: SymPy diff, N = 2", "symbolic", 0, 0, True),
              verify.Check("t", "db = 1^T G", "symbolic", 0, 0, True)]
    eq = book.Equation("x", proofs=("dW = G^T X:", "db = 1^T G"))
    assert book.proving_checks(eq, checks) == checks
    with pytest.raises(ValueError, match="no check is named 'dV'"):
        book.proving_checks(book.Equation("x", proofs=("dV",)), checks)


def test_proof_kind_strongest_first():
    def c(method):
        return verify.Check("t", method, method, 0, 0, True)
    assert book.proof_kind([c("symbolic"), c("symbolic size"), c("induction")]) == "by induction; any size; exact"
    assert book.proof_kind([c("symbolic size, instantiated")]) == "any size"
    assert book.proof_kind([c("symbolic")]) == "exact"
    assert book.proof_kind([c("complex-step"), c("bound")]) == "numerically"


def test_displayed_equations_read_names_and_labels_in_order():
    page = "\n".join(["text", "```{glue:math} eq_a", ":label: eq-a", "```", "",
                      "```{glue:math} eq_b", "```", "```{glue:md} not_math", "```",
                      "```{glue:math}  eq_c  ", ":label:  eq-c", "```"])
    assert book.displayed_equations(page) == [("eq_a", "eq-a"), ("eq_b", ""), ("eq_c", "eq-c")]


def test_every_exhibited_equation_names_its_proofs_and_they_pass(checks_of, exhibits_of):
    from derivations.symbolic.topics import TOPICS
    for topic in TOPICS:
        checks = checks_of(topic)
        for name, value in exhibits_of(topic).items():
            if not isinstance(value, book.Equation):
                continue
            assert value.proofs or value.definition, f"{topic}: {name} names no proof and is no definition"
            proving = book.proving_checks(value, checks)
            assert all(c.passed for c in proving), (topic, name)


def test_proofs_summary_counts_each_formula_once_by_its_strongest_kind():
    rows = [{"kind": k} for k in ("by induction; any size; exact", "any size; exact", "exact",
                                  "numerically", "definition", "exact")]
    table = book.proofs_summary({"backprop": rows})
    assert table.rows == [["{doc}`1 <backprop>`", "6", "1", "1", "2", "1", "1"]]
    assert book.chapter_title("---\nx: 1\n---\n\n(label)=\n# The title\n\n## Not it\n") == "The title"


def test_check_names_share_their_statement():
    checks = [verify.Check("t", n, "symbolic", 0, 0, True) for n in
              ("dW = G^T X: SymPy diff, N = 2", "dW = G^T X: index notation, any N", "a lemma")]
    assert book.check_names(checks) == "dW = G^T X: SymPy diff, N = 2; index notation, any N · a lemma"
