"""The pages narrate and the package computes: rules read from the pages' sources.

No hand-typed display math (a display equation is glued from the object a check proved), no
assertion or function in a page (they belong in the topic's checks() and modules), and the
hidden code of all pages together within its budget. Whether every cited check exists is
verified by the build itself (docs/_ext/check_citations.py) and in test_book.py.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted((ROOT / "docs").glob("*.md"))
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)
#: Non-blank lines of hidden code (cells tagged remove-cell, remove-input or hide-input) in
#: all pages together.
HIDDEN_BUDGET = 150


def cells(page: Path) -> list[str]:
    return CELL.findall(page.read_text(encoding="utf-8"))


def prose(page: Path) -> str:
    """The page without its code cells and without glue directives' bodies."""
    return CELL.sub("", page.read_text(encoding="utf-8"))


def code_lines(cell: str) -> list[str]:
    return [line for line in cell.splitlines() if line.strip() and not line.startswith(":")]


def is_hidden(cell: str) -> bool:
    return bool(re.search(r"^:tags:.*\b(remove-cell|remove-input|hide-input)\b", cell, re.M))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_hand_typed_display_math(page):
    text = prose(page)
    found = [m.group(0).strip() for m in re.finditer(
        r"^\s*\$\$|^\s*```\{math\}|^\s*:::\{math\}|\\begin\{(equation|align|gather|multline)\*?\}|^\s*\\\[",
        text, re.M)]
    assert not found, f"{page.name}: display math typed by hand ({found[:3]}); glue an Equation"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_no_assertion_or_definition_in_a_page(page):
    for cell in cells(page):
        for line in code_lines(cell):
            assert not re.match(r"\s*(assert\b|def |class |lambda\b|.*\brequire\()", line), (
                f"{page.name}: {line.strip()!r}: an assertion belongs in the topic's checks(), "
                "a function in its module")


def test_hidden_code_within_budget():
    per_page = {p.stem: sum(len(code_lines(c)) for c in cells(p) if is_hidden(c)) for p in PAGES}
    assert sum(per_page.values()) <= HIDDEN_BUDGET, per_page


def test_the_rules_see_what_they_forbid(tmp_path):
    """The detectors above, on a page that breaks each rule (a rule that sees nothing passes)."""
    bad = tmp_path / "bad.md"
    bad.write_text("text\n\n$$\nx = 1\n$$\n\n```{code-cell} ipython3\n:tags: [remove-cell]\n\n"
                   "def f():\n    assert 1\n```\n", encoding="utf-8")
    with pytest.raises(AssertionError):
        test_no_hand_typed_display_math(bad)
    with pytest.raises(AssertionError):
        test_no_assertion_or_definition_in_a_page(bad)
    assert [len(code_lines(c)) for c in cells(bad) if is_hidden(c)] == [2]
