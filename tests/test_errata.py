"""Errata: one test per claim of the source explanations, with the evidence the page shows."""

import ast
import sys
import dataclasses
import re
from pathlib import Path

import numpy as np
import sympy as sp
import pytest

from derivations.numeric import losses
from derivations.symbolic import errata as errata_sym

from .conftest import ROOT

#: The errata package: its __init__ (the verdicts' rules and the page) and the modules of claims.
ERRATA = Path(errata_sym.__file__).parent
DOC_LABELS = {m for page in (ROOT / "docs").glob("*.md")
              for m in re.findall(r"^\((\S+)\)=$", page.read_text(), re.M)}


@pytest.mark.parametrize("claim", errata_sym.CLAIMS, ids=[c.key for c in errata_sym.CLAIMS])
def test_claim_verdict_agrees_with_the_computed_evidence(claim):
    ev = claim.evidence()
    assert ev.book_holds, f"the book's statement failed: {ev.text}"
    assert errata_sym.consistent(claim, ev), (claim.verdict, errata_sym.DEFINITIONS[claim.verdict], ev)


def test_the_verdict_rule_follows_the_definitions():
    """consistent() by hand, on evidence made up for each case: a correct claim holds as
    written; an imprecise one fails as written but holds under a named condition; an incorrect
    one fails, and fails under any condition computed; one judged by argument has no source side."""
    claim = errata_sym.CLAIMS[0]
    E = errata_sym.Evidence
    cases = {
        "correct": [(E(True, True, ""), True), (E(False, True, ""), False), (E(True, False, ""), False),
                    (E(True, True, "", "if x", True), False)],
        "imprecise": [(E(False, True, "", "if x", True), True), (E(False, True, "", "if x", False), False),
                      (E(False, True, ""), False), (E(True, True, "", "if x", True), False),
                      (E(False, True, "", "", True), False)],
        "incorrect": [(E(False, True, ""), True), (E(False, True, "", "even if x", False), True),
                      (E(False, True, "", "if x", True), False), (E(True, True, ""), False),
                      (E(False, True, "", "even if x", None), False), (E(False, True, "", "", False), False),
                      (E(False, False, ""), False)],
    }
    for verdict, rows in cases.items():
        for ev, expected in rows:
            assert errata_sym.consistent(dataclasses.replace(claim, verdict=verdict), ev) is expected, (verdict, ev)
    argued = dataclasses.replace(claim, verdict="imprecise", argument="because")
    assert errata_sym.consistent(argued, E(None, True, ""))
    assert not errata_sym.consistent(argued, E(False, True, "")) and not errata_sym.consistent(argued, E(None, False, ""))


def _evidence_calls():
    """Each claim-judging function of errata.py with the Evidence(...) calls in its body."""
    for path in sorted(ERRATA.glob("*.py")):
        yield from _evidence_calls_in(ast.parse(path.read_text(encoding="utf-8")))


def _evidence_calls_in(tree):
    """Every function that builds Evidence (an evidence function, or a helper it returns through)."""
    for fn in tree.body:
        if isinstance(fn, ast.FunctionDef):
            calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Evidence"]
            if calls:
                yield fn.name, calls


def test_no_evidence_side_is_a_constant():
    """Both sides of every computed verdict, and the condition's verdict, are computed: no literal
    True/False/None in Evidence(...), except the source side None of a claim judged by argument."""
    argued = {c.evidence.__name__ for c in errata_sym.CLAIMS if c.argument}
    seen = 0
    for name, calls in _evidence_calls():
        for call in calls:
            args = call.args[:2] + call.args[4:5] + [k.value for k in call.keywords
                                                     if k.arg in ("source_holds", "book_holds", "holds_under_condition")]
            for i, arg in enumerate(args):
                if i == 0 and name in argued:
                    assert isinstance(arg, ast.Constant) and arg.value is None, name
                else:
                    assert not isinstance(arg, ast.Constant), f"{name}: a constant side ({ast.unparse(arg)})"
            seen += 1
    assert seen >= len({c.evidence for c in errata_sym.CLAIMS}) // 2


#: The five posts the claims come from; not part of the project (a machine without them skips
#: the verbatim test, not the rest).
SOURCE_FILES = ROOT.parent / "shared" / "sources"


@pytest.mark.skipif(not SOURCE_FILES.is_dir(), reason=f"the source posts are not here ({SOURCE_FILES})")
@pytest.mark.parametrize("claim", errata_sym.CLAIMS, ids=[c.key for c in errata_sym.CLAIMS])
def test_each_claim_quotes_its_source_verbatim(claim):
    lines = (SOURCE_FILES / errata_sym.SOURCES[claim.source][0]).read_text(encoding="utf-8").splitlines()
    for q in filter(None, (claim.quote, claim.contradicts)):
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


#: Claims whose correction no chapter derives (L2 regularization, Adam, the learning rate's role,
#: the gradient growth of a deep stack with batch normalization, dropout): unlinked rather than linked to a
#: chapter that does not discuss them.
UNLINKED = {"bptt-l2", "qa-adam", "ug-learning-rate", "hbvn-standardize-explode", "hbvn-dropout-weights",
            "hbvn-norm-keeps-gradients"}


def test_exactly_the_claims_no_chapter_discusses_are_unlinked():
    assert {c.key for c in errata_sym.CLAIMS if c.link is None} == UNLINKED


def test_counts_add_up():
    results = [(c, None) for c in errata_sym.CLAIMS]
    n = errata_sym.counts(results)
    assert n["checked"] + n["argued"] == len(errata_sym.CLAIMS) and n["checked"] == sum(n[v] for v in errata_sym.VERDICTS)
    assert n["argued"] == sum(bool(c.argument) for c in errata_sym.CLAIMS)
    assert sum(v["checked"] for v in errata_sym.per_source(results).values()) == n["checked"]


def test_markdown_groups_by_topic_with_incorrect_first():
    results = errata_sym.evaluate()
    md = errata_sym.markdown(results)
    order = {"**Incorrect**": 0, "**Imprecise**": 1, "Correct.": 2}
    for topic in errata_sym.TOPICS:
        block = md.split(f"### {topic}\n")[1].split("###")[0] if f"### {topic}\n" in md else ""
        verdicts = re.findall(r"^  (\*\*Incorrect\*\*|\*\*Imprecise\*\*|Correct\.)", block, re.M)
        assert [order[v] for v in verdicts] == sorted(order[v] for v in verdicts), topic
    assert len(re.findall(r"^- `", md, re.M)) == sum(not c.argument for c in errata_sym.CLAIMS)


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


# ---------------------------------------------------------------- each verdict depends on its evidence

PACKAGE = ERRATA.parents[1]


def _book_calls(evidence) -> list[tuple[str, str]]:
    """(module, name) of the package's functions (outside the errata) that the evidence calls
    directly, in the order first called."""
    seen = {}

    def profile(frame, event, arg):
        if event == "call" and frame.f_back is not None and Path(frame.f_back.f_code.co_filename).parent == ERRATA:
            where = Path(frame.f_code.co_filename)
            if where.parent != ERRATA and PACKAGE in where.parents:
                seen.setdefault((frame.f_globals["__name__"], frame.f_code.co_name), None)
    # functions behind a cache (functools.lru_cache) are traced uncached: a warm cache runs no body
    cached = [(m, n, f) for m, module in list(sys.modules.items())
              if m.startswith(PACKAGE.name + ".") and not m.startswith(errata_sym.__name__)
              for n, f in vars(module).items() if hasattr(f, "cache_info") and hasattr(f, "__wrapped__")]
    for m, n, f in cached:
        setattr(sys.modules[m], n, f.__wrapped__)
    sys.setprofile(profile)
    try:
        evidence()
    finally:
        sys.setprofile(None)
        for m, n, f in cached:
            setattr(sys.modules[m], n, f)
    return [(m, n) for m, n in seen if callable(getattr(sys.modules[m], n, None))]


def _matrix_or(fn):
    return lambda v: v.applyfunc(fn) if isinstance(v, sp.MatrixBase) else fn(v)


#: Wrong versions of a function's result, mildest first: a small error, a wrong scale, an offset,
#: reversed order (a list of layer norms read backwards), a missing transpose, nothing at all.
BREAKS = {
    "off by 0.1 %": _matrix_or(lambda v: v * (1 + sp.Rational(1, 1000)) + sp.Rational(1, 1000)
                               if isinstance(v, sp.Basic) else v * 1.001 + 1e-3),
    "ten times too large": lambda v: v * 10,
    "plus one": _matrix_or(lambda v: v + 1),
    "reversed": lambda v: v[::-1] if isinstance(v, np.ndarray) and v.ndim == 1 else v,
    "transposed": lambda v: v.T if isinstance(v, np.ndarray) else v,
    "zero": lambda v: v * 0,
}


def _broken(value, wrong):
    """``value`` with ``wrong`` applied to every real number, array or SymPy expression in it."""
    if isinstance(value, (bool, np.bool_, str, int, type(None))) and not isinstance(value, np.ndarray):
        return value
    if isinstance(value, (float, np.floating, sp.Basic, sp.MatrixBase)) or (
            isinstance(value, np.ndarray) and value.dtype.kind in "fc"):
        return wrong(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{f.name: _broken(getattr(value, f.name), wrong)
                                             for f in dataclasses.fields(value) if f.init})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_broken(v, wrong) for v in value))
    if isinstance(value, (tuple, list)):
        return type(value)(_broken(v, wrong) for v in value)
    if isinstance(value, dict):
        return {k: _broken(v, wrong) for k, v in value.items()}
    return value


def _red(claim) -> bool:
    """The claim's verdict no longer agrees with its evidence (or the evidence fails loudly)."""
    try:
        return not errata_sym.consistent(claim, claim.evidence())
    except Exception:
        return True


#: Claims that check the source's own arithmetic: no book function decides them, so the source's
#: stated numbers are changed instead (the verdict must change with them).
STATED_CHANGES = {
    "hbvn-zscore-arith": lambda v: tuple((x, m, sd, z * sp.Rational(11, 10)) for x, m, sd, z in v),
    "bptt-k-powers": lambda v: {kn: float(kn[0] ** kn[1]) for kn in v},   # the source, corrected
}

COMPUTED = [c for c in errata_sym.CLAIMS if not c.argument]


@pytest.mark.parametrize("claim", COMPUTED, ids=[c.key for c in COMPUTED])
def test_breaking_what_the_evidence_computes_changes_the_verdict(claim, monkeypatch):
    assert not _red(claim)
    if claim.key in STATED_CHANGES:
        monkeypatch.setitem(errata_sym.STATED, claim.key, STATED_CHANGES[claim.key](errata_sym.STATED[claim.key]))
        assert _red(claim), "changing the source's stated numbers left the verdict as it was"
        return
    calls = _book_calls(claim.evidence)
    assert calls, "the evidence calls none of the book's functions"
    for module, name in calls:
        real = getattr(sys.modules[module], name)
        for wrong in BREAKS.values():
            # the wrong version calls the function itself, not a cache in front of it
            monkeypatch.setattr(sys.modules[module], name, lambda *a, _real=getattr(real, "__wrapped__", real),
                                _wrong=wrong, **k: _broken(_real(*a, **k), _wrong))
            if _red(claim):
                return
        monkeypatch.setattr(sys.modules[module], name, real)
    pytest.fail(f"no wrong version of {calls} changes the verdict")
