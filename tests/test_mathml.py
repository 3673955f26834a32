"""The EPUB's MathML (docs/_ext/mathml.py), formula by formula: the layouts docutils' converter
gets wrong and the extension corrects. The whole EPUB is checked in test_book.py."""

import importlib.util
import xml.etree.ElementTree as ET

import pytest

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("epub_mathml", ROOT / "docs" / "_ext" / "mathml.py")
mathml = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mathml)

M = "{http://www.w3.org/1998/Math/MathML}"


def tree(tex: str, block: bool = False) -> ET.Element:
    return ET.fromstring(mathml.to_mathml(mathml.supported(tex), block))


def tags(element: ET.Element) -> list[str]:
    return [child.tag.removeprefix(M) for child in element]


@pytest.mark.parametrize("tex, base, mark, sub", [
    (r"\hat{x}_i", "x", "ˆ", "i"),
    (r"\hat y_k", "y", "ˆ", "k"),
    (r"\tilde c_t", "c", "~", "t"),
    (r"\hat{x}_{i}", "x", "ˆ", "i"),
    (r"\tilde{h}_{t}", "h", "~", "t"),
    (r"\bar{x}_j", "x", "ˉ", "j"),
    (r"\overline{y}_j", "y", "_", "j"),
])
def test_an_accented_letters_subscript_is_beside_it_not_under_it(tex, base, mark, sub):
    """docutils sets ``\\hat{x}_i`` as ``<munderover>`` x i ˆ, the subscript under the x as a
    limit; TeX (and the EPUB) as ``<msub><mover>x ˆ</mover> i</msub>``."""
    math = tree(tex)
    assert not list(math.iter(M + "munderover")) and not list(math.iter(M + "munder")), tex
    [msub] = math
    assert tags(msub) == ["mover", "mi"] and msub.tag == M + "msub", tex
    mover, index = msub
    assert [e.text for e in mover] == [base, mark] and index.text == sub, tex
    assert mover.get("accent") == ("false" if tex.startswith(r"\overline") else "true"), tex


def test_an_accented_letter_with_both_scripts_and_accents_in_a_formula_from_the_book():
    both = tree(r"\hat{x}_i^2")
    assert tags(both) == ["msubsup"] and tags(both[0]) == ["mover", "mi", "mn"]
    # normalization's backward pass, as SymPy prints it: every x̂ᵢ an msub of an mover
    formula = tree(r"\frac{\partial L}{\partial x_{i}} = \frac{1}{m \sigma} \left(m \frac{\partial L}"
                   r"{\partial \hat{x}_{i}} - \sum_{j=1}^{m} \frac{\partial L}{\partial \hat{x}_{j}}"
                   r" - \hat{x}_{i} \sum_{j=1}^{m} \frac{\partial L}{\partial \hat{x}_{j}} \hat{x}_{j}\right)",
                   block=True)
    accented = [e for e in formula.iter(M + "msub") if e[0].tag == M + "mover"]
    assert len(accented) == 5
    # the sums keep their limits under and over them
    sums = list(formula.iter(M + "munderover"))
    assert len(sums) == 2 and all(s[0].text == "∑" for s in sums)
    # nested: the inner accent's subscript too
    nested = tree(r"\hat{\hat{x}_i}_j")
    assert not list(nested.iter(M + "munderover")) and len(list(nested.iter(M + "msub"))) == 2


def test_a_braces_subscript_stays_a_limit_under_it():
    """``\\overbrace`` is a big operator in TeX: its subscript is a limit, under it."""
    assert tags(tree(r"\overbrace{a+b}_i")) == ["munderover"]


@pytest.mark.parametrize("tex, columns", [
    (r"\begin{aligned} a &= \sum_i b_i \\ &= \frac{c}{d} \end{aligned}", "right left"),
    (r"\begin{split} a &= b \\ &= c \end{split}", "right left"),
    (r"\begin{aligned} a &= b, \qquad & c &= d \\ e &= f \end{aligned}", "right left right left"),
    (r"a &= b \\ c &= d", "right left"),        # a display's rows, as docutils' "align*"
])
def test_aligned_columns_alternate_right_and_left_in_display_style(tex, columns):
    """amsmath's ``aligned``: a pair of columns meets at the ``&``, the left one flush right, the
    right one flush left, so the rows line up at their "="; its cells are in display style (a
    sum's limits under it, a fraction full size). docutils centres the columns, in text style."""
    math = tree(tex, block=True)
    [table] = math.iter(M + "mtable")
    assert table.get("class") == "ams-align"
    assert table.get("columnalign") == columns
    assert table.get("columnspacing").split()[0] == "0"
    assert table.get("displaystyle") == "true"          # MathML 3 allows it on <mtable>
    assert not list(math.iter(M + "mstyle")), "display style on the table itself, for MathML Core"
    if r"\sum" in tex:
        assert list(table.iter(M + "munder"))           # the limit under the sum


def test_other_tables_keep_their_own_layout():
    matrix = tree(r"\begin{pmatrix} a & b \\ c & d \end{pmatrix}", block=True)
    [table] = matrix.iter(M + "mtable")
    assert table.get("columnalign") is None and table.get("displaystyle") is None
    small = tree(r"\begin{smallmatrix} a \\ b \end{smallmatrix}")
    assert tags(small) == ["mstyle"] and small[0].get("scriptlevel") == "1"   # MathML 3: not on mtable
