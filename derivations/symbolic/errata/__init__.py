"""Every checkable claim of the five source explanations, with the code that judges it.

Each :class:`Claim` paraphrases one statement of a source (``../shared/sources``), records
the book's verdict and the correct statement, and has an ``evidence`` function that
computes, with the book's own code, (a) whether the source's statement holds as written
and (b) whether the book's correct statement holds. The verdict is consistent with the
evidence when the book's statement holds, and the source's holds exactly for claims judged
correct. The errata page shows the evidence; the tests assert the consistency, claim by claim.

Claims are declared where they are judged: the ``@judges(...)`` decorator above each evidence
function lists the claims that function decides, and :data:`CLAIMS` collects them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np
import sympy as sp

from ... import verify
from ...book import Markdown, Table

__all__ = ["Evidence", "Quote", "Claim", "CLAIMS", "DEFINITIONS", "consistent", "evaluate", "checks", "exhibits"]

TOPIC = "errata"
#: Source key -> (file in ../shared/sources, origin as given in its README).
SOURCES = {
    "HBVN": ("hadamard-backprop-vanishing-normalization.zh.txt",
             "blog.csdn.net/aketoshknight/article/details/143149226"),
    "UG": ("unstable-gradients.zh.txt", "blog.csdn.net/lzm12278828/article/details/143936443"),
    "FBLG": ("forward-backward-losses-gradient-descent.zh.txt", "a reposted CSDN article"),
    "BPTT": ("bptt-derivation.zh-hant.txt", "a reposted CSDN article (traditional characters)"),
    "QA": ("gru-lstm-input-normalization.zh.txt", "a Q&A page"),
}
VERDICTS = ("incorrect", "imprecise", "correct")
#: Topic groups in the book's order, with the page label each links to.
TOPICS = {"Hadamard product and backprop": "hadamard", "Activations": "activations",
          "Losses": "losses", "Gradient descent": "gradient-descent",
          "Vanishing and exploding gradients": "vanishing-exploding",
          "Initialization": "initialization", "Normalization": "normalization",
          "Residual connections": "residual", "BPTT": "bptt", "Gradient clipping": "clipping",
          "LSTM and GRU": "lstm-gru"}


@dataclass(frozen=True)
class Evidence:
    """What a claim's evidence computed: whether the source's statement holds as written (in the
    source's own setting, and as tight as it is stated), whether the book's correct statement
    holds, and, for an imprecise claim, the condition the source leaves out and whether the
    source's statement holds under it."""

    source_holds: bool   # the source's statement, as written, checked by computation
    book_holds: bool     # the book's correct statement, checked by computation
    text: str            # what was computed (markdown, one line)
    condition: str = ""  # the condition the source leaves out (imprecise claims), or "" (none)
    holds_under_condition: bool | None = None   # the source's statement computed under it


@dataclass(frozen=True)
class Quote:
    """Where a claim stands in its source file (``../shared/sources``): the line (1-based), the
    section heading above it, the source's own words (verbatim, a part of that line) and an
    English translation of them."""

    line: int
    heading: str
    text: str
    translation: str


@dataclass(frozen=True)
class Claim:
    """One claim of a source: its paraphrase, the book's verdict and correct statement, its
    evidence, and the sentence of the source it paraphrases."""

    key: str
    source: str
    topic: str
    claim: str           # paraphrase in English
    verdict: str
    correct: str         # the correct statement or value (markdown)
    evidence: Callable[[], Evidence]
    # the label of the book section that derives the right result ("": the topic's chapter);
    # None when no chapter discusses it: no link rather than a link to a chapter that does not
    section: str | None = ""
    quote: Quote | None = None
    # the source's other statement of the same rule, where it disagrees with this one
    contradicts: Quote | None = None
    # a claim judged by argument (markdown): its source side is not computed, and it is listed
    # apart and not counted among the computed verdicts
    argument: str = ""

    @property
    def link(self) -> str | None:
        """The label a non-correct claim links to, its section or else its topic's chapter (None
        when no chapter of the book discusses it)."""
        return None if self.section is None else self.section or TOPICS[self.topic]


_DECLARED: list[Claim] = []   # every claim, in the order the @judges decorators below declare them


def judges(*specs):
    """Declare the claims the decorated evidence function judges, one tuple
    ``(key, source, topic, claim, verdict, correct, section, quote[, contradicts[, argument]])`` per claim: the
    :class:`Claim` fields but ``evidence``, which is the decorated function. Returns the
    function unchanged."""
    def register(evidence: Callable[[], Evidence]) -> Callable[[], Evidence]:
        _DECLARED.extend(Claim(*spec[:6], evidence, *spec[6:]) for spec in specs)
        return evidence
    return register


def _rng(k=0):
    return np.random.default_rng(1000 + k)


def _close(a, b, tol=1e-12) -> bool:
    return bool(np.shape(a) == np.shape(b) and verify.rel_error(a, b) <= tol)


#: The source's stated numbers that claims check as arithmetic (a test perturbs them: the verdict
#: must change): x, mu, sigma and the stated z-score (HBVN lines 424-425); the k-powers example's
#: four values (BPTT lines 217, 223, 237, 243).
STATED = {
    "hbvn-zscore-arith": ((100, 50, 20, sp.Rational(5, 2)), (10, 50, 20, -2)),
    "bptt-k-powers": {(sp.Rational(1, 2), 10): 0.00098, (sp.Rational(1, 2), 20): 0.00000095,
                      (sp.Rational(3, 2), 10): 57.67, (sp.Rational(3, 2), 20): 33252.32},
}


# ------------------------------------------------------------------ the claims

# The modules that declare the claims (each @judges adds to _DECLARED as it is imported): the
# first reading, by topic, and the sentence-by-sentence pass over each source.
from . import bptt, by_topic, fblg, hbvn, qa, ug  # noqa: E402,F401
from .unchecked import UNCHECKED  # noqa: E402

#: Every checkable claim of the five sources, declared above with its evidence; grouped by
#: source, in ``SOURCES`` order, and each source's in the order declared.
#:
#: :meta hide-value:
CLAIMS: tuple[Claim, ...] = tuple(sorted(_DECLARED, key=lambda c: list(SOURCES).index(c.source)))


#: What each verdict means; :func:`consistent` applies these definitions to the computed evidence.
DEFINITIONS = {
    "incorrect": "the statement is false as written, in the source's own setting: a wrong formula "
                 "(a wrong number, a derivative at the wrong point, an orientation that contradicts the "
                 "source's own stated convention) or a qualitative statement the computation contradicts; "
                 "where a condition is computed (\"even when …\"), the statement fails under it too",
    "imprecise": "the statement is false as written but true under a condition the source leaves "
                 "out, or true only as a loose bound (a range wider than the truth, presented as the "
                 "range); the evidence names that condition and computes the statement under it",
    "correct": "the computation confirms the statement as written, in the source's own setting",
}


def consistent(claim: Claim, ev: Evidence) -> bool:
    """The recorded verdict agrees with the computed evidence, by :data:`DEFINITIONS`: the
    book's statement holds, and the source's holds as written exactly for a "correct" claim;
    an "imprecise" claim names a condition under which it holds; an "incorrect" one does not
    hold under any condition its evidence computes. A claim judged by argument has no computed
    source side."""
    if not ev.book_holds:
        return False
    if claim.argument:
        return ev.source_holds is None and not ev.condition
    if claim.verdict == "correct":
        return bool(ev.source_holds) and not ev.condition
    if ev.source_holds:
        return False
    if claim.verdict == "imprecise":
        return bool(ev.condition) and ev.holds_under_condition is not None and bool(ev.holds_under_condition)
    # incorrect: a condition, if named, is computed and fails; none named, none computed
    if ev.condition:
        return ev.holds_under_condition is not None and not ev.holds_under_condition
    return ev.holds_under_condition is None


def evaluate(claims=CLAIMS) -> list[tuple[Claim, Evidence]]:
    """Each claim with the Evidence its ``evidence`` function
    computes, as (claim, evidence) pairs."""
    return [(c, c.evidence()) for c in claims]


@lru_cache(maxsize=1)
def _evaluated() -> tuple[tuple[Claim, Evidence], ...]:
    """Every claim evaluated once per process: the page's checks and its tables share it."""
    return tuple(evaluate())


def counts(results) -> dict[str, int]:
    """How many claims: computed ("checked") by verdict, and judged by argument ("argued")."""
    computed = [c for c, _ in results if not c.argument]
    out = {"checked": len(computed)}
    out.update({v: sum(c.verdict == v for c in computed) for v in VERDICTS})
    out["argued"] = len(results) - len(computed)
    return out


def per_source(results) -> dict[str, dict[str, int]]:
    return {s: counts([(c, e) for c, e in results if c.source == s]) for s in SOURCES}


def verdict_text(claim: Claim, ev: Evidence) -> str:
    """The verdict as the page states it, with the condition that made it so."""
    if claim.verdict == "correct":
        return "Correct."
    if claim.verdict == "imprecise":
        return f"**Imprecise**: holds {ev.condition}."
    return "**Incorrect**" + (f": fails even {ev.condition}." if ev.condition else ".")


def _entry(c: Claim, e: Evidence) -> list[str]:
    """One claim as a list item: where it is, what it says, the verdict, the right statement
    (linked to the section that derives it) and the evidence."""
    fix = "" if c.correct == "As stated." else c.correct
    if c.verdict != "correct" and c.link:
        fix += f" (See {{ref}}`{c.link}`.)"
    return [f"- `{c.key}` ({c.source}, line {c.quote.line}): {c.claim}  ",
            f"  {verdict_text(c, e)} {fix}".rstrip() + "  ",
            f"  *Evidence:* {e.text}", ""]


def markdown(results) -> str:
    """The computed verdicts, a list per topic in the book's order, incorrect claims first."""
    lines = []
    order = {v: i for i, v in enumerate(VERDICTS)}
    for topic in TOPICS:
        rows = sorted([(c, e) for c, e in results if c.topic == topic and not c.argument],
                      key=lambda r: order[r[0].verdict])
        if not rows:
            continue
        lines += [f"### {topic}", ""]
        for c, e in rows:
            lines += _entry(c, e)
    return "\n".join(lines)


def argued_markdown(results) -> str:
    """The claims judged by argument: each with its verdict, correct statement and argument."""
    lines = []
    for c, e in results:
        if c.argument:
            lines.append(f"- **{c.source}** `{c.key}`: {c.claim} **{c.verdict}**. {c.correct}  \n"
                         f"  {c.argument} *Computed:* {e.text}")
    return "\n".join(lines)


def definitions_markdown() -> str:
    """The verdicts' definitions, as :func:`consistent` applies them."""
    return "\n".join(f"* **{v}**: {d};" if i < len(VERDICTS) - 1 else f"* **{v}**: {d}."
                      for i, (v, d) in enumerate(DEFINITIONS.items()))


def _escaped(text: str) -> str:
    """``text`` shown as written in MyST markdown: its markup characters escaped."""
    return "".join("\\" + ch if ch in "\\`*_[]<>$|#" else ch for ch in text)


def quotes_markdown(claims=CLAIMS) -> str:
    """Every claim's sentence in its source's own words, where it stands (line and heading of
    the file) and its English translation: by source, in the order of the text."""
    lines = []
    for key in SOURCES:
        lines += [f"**{key}**", ""]
        for c in sorted((c for c in claims if c.source == key), key=lambda c: c.quote.line):
            q = c.quote
            where = f"line {q.line}" + (f", under “{_escaped(q.heading)}”" if q.heading else "")
            lines.append(f"- `{c.key}` ({where}): {_escaped(q.text)}  \n  *{_escaped(q.translation)}*")
            if c.contradicts:
                k = c.contradicts
                lines[-1] += (f"  \n  It contradicts line {k.line}: {_escaped(k.text)}  \n"
                              f"  *{_escaped(k.translation)}*")
        lines.append("")
    return "\n".join(lines)


def unchecked_markdown() -> str:
    """The sentences not judged, with their reasons: a collapsed list per source."""
    lines = []
    for key, rows in UNCHECKED.items():
        lines += [f":::{{dropdown}} {key}: {len(rows)} sentences", ""]
        for q, reason in rows:
            where = f"line {q.line}" + (f", under “{_escaped(q.heading)}”" if q.heading else "")
            lines.append(f"- ({where}) {_escaped(q.text)}  \n  *{_escaped(q.translation)}*  \n  "
                         f"Not judged: {_escaped(reason)}")
        lines += ["", ":::", ""]
    return "\n".join(lines)


def checks(seed: int = 0, results=None) -> list[verify.Check]:
    """One check per claim: its recorded verdict agrees with the computed evidence.
    ``results`` from :func:`evaluate` are used when given."""
    out = []
    for c, e in (_evaluated() if results is None else results):
        ok = consistent(c, e)
        out.append(verify.Check(TOPIC, f"{c.source} {c.key}: {c.verdict}", "computed",
                                0.0 if ok else np.inf, float("nan"), ok, e.text))
    return out


def exhibits() -> dict:
    """What the errata page shows: the counts, the table per source and the claims' table."""
    results = _evaluated()
    out = {f"n_{k}": str(v) for k, v in counts(results).items()}
    by_source = per_source(results)
    labels = {"checked": "computed", **{v: v for v in VERDICTS}, "argued": "argued"}
    rows = [(f"**{label}**" if k == "checked" else label, *(str(by_source[s][k]) for s in SOURCES))
            for k, label in labels.items()]
    out["sources_table"] = Table(["claims", *SOURCES], rows, align="l" + "r" * len(SOURCES))
    out["sources_list"] = Markdown("\n".join(f"- **{key}**: `{name}`, from {origin}"
                                             for key, (name, origin) in SOURCES.items()))
    out["errata_table"] = Markdown(markdown(results))
    out["argued"] = Markdown(argued_markdown(results))
    out["definitions"] = Markdown(definitions_markdown())
    out["unchecked"] = Markdown(unchecked_markdown())
    unlinked = [c for c in CLAIMS if c.verdict != "correct" and not c.argument and c.link is None]
    out["n_unlinked"] = str(len(unlinked))
    out["unlinked"] = Markdown(", ".join(f"`{c.key}`" for c in unlinked))
    out["n_unchecked"] = str(sum(len(rows) for rows in UNCHECKED.values()))
    out["quotes"] = Markdown(quotes_markdown())
    return out
