"""Errata: one test per claim of the source explanations, with the evidence the page shows."""

import re

import numpy as np
import pytest

from derivations.numeric import losses
from derivations.symbolic import errata as errata_sym

from .conftest import ROOT

DOC_LABELS = {m for page in (ROOT / "docs").glob("*.md")
              for m in re.findall(r"^\((\S+)\)=$", page.read_text(), re.M)}


@pytest.mark.parametrize("claim", errata_sym.CLAIMS, ids=[c.key for c in errata_sym.CLAIMS])
def test_claim_verdict_agrees_with_the_computed_evidence(claim):
    ev = claim.evidence()
    assert ev.book_holds, f"the book's statement failed: {ev.text}"
    # a claim judged correct must hold as written; one judged wrong must fail as written
    assert bool(ev.source_holds) == (claim.verdict == "correct"), ev.text


#: The five posts the claims come from; not part of the project (a machine without them skips
#: the verbatim test, not the rest).
SOURCE_FILES = ROOT.parent / "shared" / "sources"


@pytest.mark.skipif(not SOURCE_FILES.is_dir(), reason=f"the source posts are not here ({SOURCE_FILES})")
@pytest.mark.parametrize("claim", errata_sym.CLAIMS, ids=[c.key for c in errata_sym.CLAIMS])
def test_each_claim_quotes_its_source_verbatim(claim):
    lines = (SOURCE_FILES / errata_sym.SOURCES[claim.source][0]).read_text(encoding="utf-8").splitlines()
    q = claim.quote
    assert q.text and q.text in lines[q.line - 1], (q.line, q.text)
    assert q.heading in [line.strip() for line in lines[:q.line]], q.heading   # a heading above it


def test_the_page_lists_every_claims_sentence_as_written():
    md = errata_sym.quotes_markdown()
    for c in errata_sym.CLAIMS:
        assert f"`{c.key}` (line {c.quote.line}" in md
        assert errata_sym._escaped(c.quote.text) in md and errata_sym._escaped(c.quote.translation) in md


def test_every_claim_is_located_and_translated():
    for c in errata_sym.CLAIMS:
        assert c.quote and c.quote.line >= 1 and c.quote.text and c.quote.translation, c.key


def test_claims_are_well_formed():
    keys = [c.key for c in errata_sym.CLAIMS]
    assert len(keys) == len(set(keys))
    for c in errata_sym.CLAIMS:
        assert c.source in errata_sym.SOURCES and c.verdict in errata_sym.VERDICTS and c.topic in errata_sym.TOPICS, c.key
        assert c.link in DOC_LABELS or c.key in UNLINKED, c.key
        # paraphrased in English: no copied Chinese text
        assert not re.search(r"[\u4e00-\u9fff]", c.claim + c.correct), c.key
    # every source was read and contributes claims, and each has at least one non-correct claim
    for s in errata_sym.SOURCES:
        verdicts = {c.verdict for c in errata_sym.CLAIMS if c.source == s}
        assert verdicts and verdicts != {"correct"}, s


#: Claims whose correction no chapter derives (L2 regularization, Adam, the learning rate's role):
#: unlinked rather than linked to a chapter that does not discuss them.
UNLINKED = {"bptt-l2", "qa-adam", "ug-learning-rate"}


def test_exactly_the_claims_no_chapter_discusses_are_unlinked():
    assert {c.key for c in errata_sym.CLAIMS if c.link is None} == UNLINKED


def test_counts_add_up():
    results = [(c, None) for c in errata_sym.CLAIMS]
    n = errata_sym.counts(results)
    assert n["checked"] == len(errata_sym.CLAIMS) == sum(n[v] for v in errata_sym.VERDICTS)
    assert sum(v["checked"] for v in errata_sym.per_source(results).values()) == n["checked"]


def test_markdown_groups_by_topic_with_incorrect_first():
    results = errata_sym.evaluate()
    md = errata_sym.markdown(results)
    for topic in errata_sym.TOPICS:
        block = md.split(f"### {topic}\n")[1].split("###")[0] if f"### {topic}\n" in md else ""
        verdicts = [v for v in re.findall(r"\| (\*\*incorrect\*\*|\*\*imprecise\*\*|correct) \|", block)]
        order = {"**incorrect**": 0, "**imprecise**": 1, "correct": 2}
        assert [order[v] for v in verdicts] == sorted(order[v] for v in verdicts), topic


def test_moving_the_book_toward_a_source_error_turns_a_claim_red(monkeypatch):
    """If losses.mse returned the source's summed derivative, the MSE claim would fail."""
    claim = next(c for c in errata_sym.CLAIMS if c.key == "fblg-mse-grad")
    assert claim.evidence().book_holds
    real = losses.mse

    def summed(y_hat, y):
        L, g = real(y_hat, y)
        return L, np.full_like(g, np.sum(g))
    monkeypatch.setattr(losses, "mse", summed)
    assert not claim.evidence().book_holds
