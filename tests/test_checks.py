"""Every registered check of every topic: it passes, it is shown as named, and what a page
cites or glues exists.

One run per topic per session (seed 0, as its page runs them: ``conftest.checks_of``, by
whichever test process or page of the session's book asks first), shared with the tests of
``python -m derivations`` and of the built pages' Verified boxes and report.
"""

import ast
import html
import re

import pytest
from markdown_it.renderer import RendererHTML
from myst_parser.config.main import MdParserConfig
from myst_parser.parsers.mdit import create_md_parser

from derivations import verify
from derivations.symbolic.activations import ACTIVATIONS
from derivations.symbolic.topics import TOPICS

from .conftest import ROOT


@pytest.mark.parametrize("topic", TOPICS)
def test_every_check_passes(checks_of, topic):
    checks = checks_of(topic)
    assert checks, topic
    failed = [c for c in checks if not c.passed]
    assert not failed, failed


def conf_value(name: str):
    """A literal assigned in conf.py (read, not run: running it would set the build's
    environment variables in the test process)."""
    for node in ast.parse((ROOT / "conf.py").read_text()).body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [name]:
            return ast.literal_eval(node.value)
    raise KeyError(name)


def first_column(markdown: str) -> list[str]:
    """The first column of a Markdown table as the book's MyST parser renders it (HTML), with
    the extensions conf.py enables."""
    config = MdParserConfig(enable_extensions=set(conf_value("myst_enable_extensions")),
                            dmath_double_inline=conf_value("myst_dmath_double_inline"))
    rendered = create_md_parser(config, RendererHTML).render(markdown)
    return re.findall(r"<tr>\n<td>(.*?)</td>", rendered)


@pytest.mark.parametrize("topic", TOPICS)
def test_check_names_are_unique_and_shown_as_written(checks_of, topic):
    checks = checks_of(topic)
    names = [c.name for c in checks]
    assert len(names) == len(set(names))
    assert all(c.topic == topic for c in checks)
    # the Verified box shows each name as written: no emphasis, code or math made of it
    cells = first_column(verify.markdown_table(checks, with_topic=False))
    assert [html.unescape(c) for c in cells] == names and not [c for c in cells if "<" in c]
    assert not [n for n in names if "@" in n]  # kept out of {check} citations in Sphinx


def test_a_name_markdown_would_reformat_is_seen():
    bad = [verify.Check("t", "the *real* minimum of $x$", "m", 0.0, 0.0, True)]
    assert first_column(verify.markdown_table(bad, with_topic=False)) == [
        'the <em>real</em> minimum of <span class="math inline">x</span>']


def page(topic: str) -> str:
    return (ROOT / "docs" / f"{topic}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("topic", TOPICS)
def test_a_page_cites_only_its_checks(checks_of, topic):
    cited = set(re.findall(r"\{check\}`([^`]+)`", page(topic)))
    assert cited <= {c.name for c in checks_of(topic)}, cited - {c.name for c in checks_of(topic)}


@pytest.mark.parametrize("topic", TOPICS)
def test_a_page_glues_exactly_its_exhibits(exhibits_of, topic):
    glued = set(re.findall(r"\{glue:(?:text|md|math|figure)\}`?\s*(\w+)", page(topic)))
    glued |= set(re.findall(r"```\{glue:(?:math|md|figure)\} (\w+)", page(topic)))
    from derivations.exercises import CHAPTERS
    graded = {"chapter_exercises"} if topic in CHAPTERS else set()    # its Exercises section's cell
    assert glued == set(exhibits_of(topic)) | {"n_checks", "checks_table"} | graded   # + the Verified box's two


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_every_activation_has_its_checks(checks_of, name):
    assert len([c for c in checks_of("activations") if c.name.startswith(name)]) >= 5
