"""Exercises that grade the reader's answer and name the mistake.

``EXERCISES`` maps an exercise id (``"backprop.dW1"``) to its :class:`Exercise`: the chapter, the
statement, the signature of the expected answer, the reference ``solution`` in the same form as
a reader's answer, and the catalogued :class:`Mistake` s. ``grade(exercise_id, answer)`` returns
a :class:`Grade`:

* a **numeric** exercise takes a callable (NumPy arrays in, an array out) and compares it with
  the solution entry by entry on random inputs of several shapes (an answer that works at one
  shape only fails);
* a **symbolic** exercise takes a SymPy expression or a string SymPy parses, and proves it equal
  to the solution (``verify.symbolic_identity``).

A wrong answer is compared with each catalogued mistake in the same way: if it equals one, the
grade names it and links the section that explains it; if it equals none, the grade says
"not one of the catalogued mistakes" and gives the worst entry, never a guessed diagnosis. Bad input (not callable, the
wrong signature or output shape, an exception or a NaN in the reader's code, a string SymPy
cannot parse) gets a grade that says so; the grader does not raise.
"""

from __future__ import annotations

import inspect
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
import sympy as sp

from .. import verify

__all__ = ["Mistake", "Exercise", "Grade", "EXERCISES", "grade", "relative_error", "RTOL", "exhibits", "label"]

#: The entry-wise tolerance of a numeric grade, relative to the largest entry of the solution
#: (an answer computed by another float64 formula of the same quantity agrees to about 1e-14).
RTOL = 1e-9


@dataclass(frozen=True)
class Mistake:
    """A known wrong answer: its ``answer`` (the same form as a reader's), one sentence saying
    what was done, and the book's section that explains it (a page and anchor, "backprop.html#...")."""

    name: str
    diagnosis: str
    section: str
    answer: Any


@dataclass(frozen=True)
class Exercise:
    """One exercise. ``kind`` is "numeric" (``signature`` names a function: ``inputs(rng, size)``
    draws its arguments at one of ``sizes``) or "symbolic" (``symbols`` are the names a string
    answer may use)."""

    id: str
    chapter: str
    title: str
    statement: str
    hint: str
    signature: str
    solution: Any
    mistakes: tuple[Mistake, ...] = ()
    kind: str = "numeric"
    inputs: Callable | None = None
    sizes: tuple = ()
    symbols: dict = field(default_factory=dict)
    difficulty: int = 1
    seeds: int = 2


class Grade(NamedTuple):
    """``correct``; ``diagnosis``: one sentence (the mistake's, or what was wrong with the
    input); ``detail``: the worst entry, the section to read, or the reader's traceback."""

    correct: bool
    diagnosis: str
    detail: str = ""

    def __str__(self) -> str:
        head = "correct" if self.correct else "incorrect"
        return f"{head}: {self.diagnosis}" + (f"\n{self.detail}" if self.detail else "")


def relative_error(got: np.ndarray, want: np.ndarray) -> tuple[float, tuple]:
    """The largest absolute difference of got and want, relative to want's largest absolute
    entry, and the index of that entry."""
    diff = np.abs(got - want)
    scale = max(float(np.max(np.abs(want))), 1e-300) if want.size else 1.0
    index = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return (float(diff[index]) / scale if diff.size else 0.0), tuple(int(i) for i in index)


class _Rejected(Exception):
    """The reader's answer could not be evaluated (the message is the grade's diagnosis)."""

    def __init__(self, diagnosis: str, detail: str = ""):
        super().__init__(diagnosis)
        self.diagnosis, self.detail = diagnosis, detail


def _their_traceback(e: BaseException) -> str:
    """The traceback of an exception raised by the reader's code, without the grader's frame."""
    tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
    return "".join(traceback.format_exception(type(e), e, tb))


def _call(answer: Callable, args: tuple, expected_shape: tuple) -> np.ndarray:
    try:
        out = answer(*args)
    except Exception as e:   # the reader's code: reported (its own frames only), never raised
        raise _Rejected(f"your function raised {type(e).__name__}: {e}", _their_traceback(e)) from None
    try:
        out = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        raise _Rejected(f"your function returned {type(out).__name__}, not an array of numbers") from None
    if out.shape != expected_shape:
        raise _Rejected(f"your function returned shape {out.shape}; the answer has shape {expected_shape}")
    if not np.all(np.isfinite(out)):
        raise _Rejected("your function returned NaN or inf on finite inputs")
    return out


def _check_signature(answer, exercise: Exercise, n_args: int) -> None:
    if not callable(answer):
        raise _Rejected(f"the answer must be a function {exercise.signature}, got {type(answer).__name__}")
    try:
        inspect.signature(answer).bind(*range(n_args))
    except TypeError:
        raise _Rejected(f"the answer must take {n_args} arguments: {exercise.signature}") from None
    except ValueError:   # a builtin without a signature: try it
        pass


def _cases(exercise: Exercise):
    for size in exercise.sizes:
        for seed in range(exercise.seeds):
            rng = np.random.default_rng(1000 * seed + sum(size))
            yield size, exercise.inputs(rng, size)


def _grade_numeric(exercise: Exercise, answer) -> Grade:
    cases = list(_cases(exercise))
    want = [np.asarray(exercise.solution(*args), dtype=float) for _, args in cases]
    try:
        _check_signature(answer, exercise, len(cases[0][1]))
        got = [_call(answer, args, w.shape) for (_, args), w in zip(cases, want)]
    except _Rejected as r:
        shape_rejected = r.diagnosis.startswith("your function returned shape")
        diagnosed = _diagnose_numeric(exercise, answer, cases) if shape_rejected else None
        return diagnosed or Grade(False, r.diagnosis, r.detail)
    errors = [relative_error(g, w) for g, w in zip(got, want)]
    worst = int(np.argmax([e for e, _ in errors]))
    if errors[worst][0] <= RTOL:
        sizes = sorted({s for s, _ in cases})
        return Grade(True, f"equals the solution entry by entry at {len(cases)} random inputs, sizes {sizes}")
    diagnosed = _diagnose_numeric(exercise, answer, cases, got)
    if diagnosed:
        return diagnosed
    (size, _), (err, index) = cases[worst], errors[worst]
    return Grade(False, "not one of the catalogued mistakes",
                 f"worst entry {index} at size {size}: {got[worst][index]:.6g} where the solution "
                 f"has {want[worst][index]:.6g} (relative error {err:.2e})")


def _diagnose_numeric(exercise: Exercise, answer, cases, got=None) -> Grade | None:
    """The first mistake the answer equals at every case (None if none)."""
    for mistake in exercise.mistakes:
        ok = True
        for k, (_, args) in enumerate(cases):
            expected = np.asarray(mistake.answer(*args), dtype=float)
            try:
                mine = got[k] if got is not None and got[k].shape == expected.shape else _call(answer, args, expected.shape)
            except _Rejected:
                ok = False
                break
            if relative_error(mine, expected)[0] > RTOL:
                ok = False
                break
        if ok:
            return Grade(False, mistake.diagnosis, f"read: {mistake.section}")
    return None


def _parse(answer, exercise: Exercise) -> sp.Expr:
    if isinstance(answer, sp.Basic):
        return answer
    if not isinstance(answer, str):
        raise _Rejected(f"the answer must be a SymPy expression or a string, got {type(answer).__name__}")
    try:
        return sp.sympify(answer, locals=exercise.symbols)
    except (sp.SympifyError, SyntaxError, TypeError, ValueError) as e:
        raise _Rejected(f"SymPy cannot parse the answer {answer!r}: {e}") from None


def _equal(a: sp.Expr, b: sp.Expr) -> bool:
    return verify.symbolic_identity("exercises", "grade", a, b).passed


def _grade_symbolic(exercise: Exercise, answer) -> Grade:
    try:
        expr = _parse(answer, exercise)
    except _Rejected as r:
        return Grade(False, r.diagnosis)
    unknown = sorted(str(s) for s in expr.free_symbols - set(exercise.symbols.values()))
    if unknown:
        return Grade(False, f"the answer uses {', '.join(unknown)}; it may use only "
                            f"{', '.join(exercise.symbols)}")
    if _equal(expr, exercise.solution):
        return Grade(True, "proved equal to the solution by SymPy")
    for mistake in exercise.mistakes:
        if _equal(expr, mistake.answer):
            return Grade(False, mistake.diagnosis, f"read: {mistake.section}")
    return Grade(False, "not one of the catalogued mistakes",
                 f"your answer minus the solution is {sp.simplify(expr - exercise.solution)}, not 0")


def grade(exercise_id: str, answer) -> Grade:
    """Grade ``answer`` to the exercise ``exercise_id`` (a key of :data:`EXERCISES`)."""
    if exercise_id not in EXERCISES:
        return Grade(False, f"no exercise {exercise_id!r}; the exercises are {', '.join(EXERCISES)}")
    exercise = EXERCISES[exercise_id]
    if exercise.kind == "symbolic":
        return _grade_symbolic(exercise, answer)
    return _grade_numeric(exercise, answer)


def _registry() -> dict[str, Exercise]:
    from . import (activations, backprop, bptt, clipping, gradient_descent, hadamard, initialization,
                   losses, normalization)
    out = {}
    for module in (activations, hadamard, backprop, losses, gradient_descent, initialization, normalization,
                   bptt, clipping):
        for e in module.EXERCISES:
            out[e.id] = e
    return out


#: Every exercise, by id, in the book's order.
EXERCISES: dict[str, Exercise] = _registry()


def exhibits() -> dict:
    """What the exercises page shows: every exercise with its difficulty (stars), what it asks,
    the form of its answer and its chapter; and the counts."""
    from ..book import Markdown, Table
    from . import examples, notebooks

    stars = "\N{BLACK STAR}"
    rows = [[f"`{e.id}` {stars * e.difficulty}",
             f"{e.title} ({'a function' if e.kind == 'numeric' else 'an expression'}; "
             f"{{doc}}`chapter <{e.chapter}>`)"]
            for e in EXERCISES.values()]
    return {"exercise_table": Table(["exercise", "what (the answer; where)"], rows),
            "example_code": Markdown("```python\n" + inspect.getsource(examples.dX_forgot_1_over_N).rstrip() + "\n```"),
            "exercise_list": Markdown("\n\n".join(_exercise_text(e) for e in EXERCISES.values())),
            "notebook_links": Markdown(", ".join(
                f'<a href="{notebooks.filename(c)}" download>{c}</a>' for c in notebooks.chapters())),
            "n_exercises": str(len(EXERCISES)),
            "n_mistakes": str(sum(len(e.mistakes) for e in EXERCISES.values()))}


def _solution_text(e: Exercise) -> str:
    """The reference solution as the page shows it: a function's source, an expression's LaTeX."""
    if e.kind == "symbolic":
        from ..symbolic.common import tex
        return f"$$\n{tex(e.solution)}\n$$"
    return "```python\n" + inspect.getsource(e.solution).rstrip() + "\n```"


def label(e: Exercise) -> str:
    """The exercise's label on the exercises page, for {ref} from its chapter: exercise-<id>."""
    return "exercise-" + e.id.replace(".", "-").replace("_", "-").lower()


def _exercise_text(e: Exercise) -> str:
    """One exercise in MyST: its id as a heading, the statement, and the hint, the solution and
    the catalogued mistakes in collapsed boxes."""
    mistakes = "\n".join(f"* {m.diagnosis}" for m in e.mistakes)
    return (f"({label(e)})=\n### `{e.id}`: {e.title}\n\n{e.statement}\n\n"
            f"Grade it with `grade(\"{e.id}\", your_answer)` or "
            f"`python -m derivations grade {e.id} file.py`.\n\n"
            f":::{{dropdown}} Hint\n{e.hint}\n:::\n\n"
            f"::::{{dropdown}} Solution\n{_solution_text(e)}\n::::\n\n"
            f":::{{dropdown}} The mistakes the grader names\n{mistakes}\n:::")
