"""Exercises that grade the reader's answer and name the mistake.

``EXERCISES`` maps an exercise id (``"backprop.dW1"``) to its :class:`Exercise`: the chapter, the
statement, the signature of the expected answer, the reference ``solution`` in the same form as
a reader's answer, and the catalogued :class:`Mistake` s. ``grade(exercise_id, answer)`` returns
a :class:`Grade`:

* a **numeric** exercise takes a callable (NumPy arrays in, an array out) and compares it with
  the solution entry by entry on random inputs of several shapes (an answer that works at one
  shape only fails);
* a **symbolic** exercise takes a SymPy expression or a string SymPy parses, and proves it equal
  to the solution (``verify.symbolic_identity``);
* a **number** exercise (predict a number the book computes) takes a number, or a string SymPy
  evaluates to one, and compares it with the solution to the exercise's relative ``tolerance``.

A wrong answer is compared with each catalogued mistake in the same way: if it equals one, the
grade names it and links the section that explains it; if it equals none, the grade says
"not one of the catalogued mistakes" and gives the worst entry, never a guessed diagnosis. Bad input (not callable, the
wrong signature or output shape, an exception or a NaN in the reader's code, a string SymPy
cannot parse) gets a grade that says so; the grader does not raise.

Each exercise also names its ``witness``: an independent computation of the same quantity (the
complex step of the loss, SymPy's derivative, the book's kernel) that accepts the reference
solution and rejects every catalogued mistake. The chapter pages call :func:`chapter_exhibits`,
which runs them: a solution that is wrong fails the book's build.
"""

from __future__ import annotations

import inspect
import re
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
import sympy as sp

from .. import verify

__all__ = ["Mistake", "Exercise", "Grade", "EXERCISES", "CHAPTERS", "grade", "relative_error", "RTOL",
           "exhibits", "chapter_exhibits", "chapter_exercises", "find", "witnessed", "label",
           "gradient_witness", "derivative_witness"]

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
    draws its arguments at one of ``sizes``), "symbolic" (``symbols`` are the names a string
    answer may use) or "number" (the answer is a number, right to the relative ``tolerance``).
    ``statement`` and ``hint`` are Markdown with ``$...$`` math; ``witness(answer)`` is the
    independent check (a ``verify`` result or a bool) that the solution passes and each mistake
    fails."""

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
    witness: Callable | None = None
    tolerance: float = RTOL
    names: dict = field(default_factory=dict)   # a symbol's LaTeX where its name is not it (lamda_min)
    whole: bool = False                          # a number exercise whose answer is a whole number, exactly


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
    if errors[worst][0] <= exercise.tolerance:
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
            if relative_error(mine, expected)[0] > exercise.tolerance:
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
    if any("lamda" in name for name in exercise.symbols):   # SymPy's spelling of λ, which Python reserves
        answer = re.sub(r"\blambda", "lamda", answer)
    try:
        # decimals as the rationals they write (0.25 is 1/4, x**0.5 is sqrt(x)), before SymPy
        # evaluates 6**0.5 to a float that no longer equals sqrt(6)
        return sp.sympify(answer, locals=exercise.symbols, rational=True)
    except (sp.SympifyError, SyntaxError, TypeError, ValueError) as e:
        keyword = " (lambda is a Python keyword: write lamda for λ)" if "lambda" in answer else ""
        raise _Rejected(f"SymPy cannot parse the answer {answer!r}{keyword}: {e}") from None


#: The random points at which an identity SymPy cannot prove is tested, the digits it is
#: evaluated to, and the digits the two sides must agree to.
POINTS, DIGITS, AGREE = 5, 60, 40
#: Seconds SymPy is given to decide an answer (where the platform can interrupt it).
TIME_LIMIT = 30


def _numerically_equal(a: sp.Expr, b: sp.Expr) -> bool:
    """``a`` and ``b`` agree to AGREE significant digits (relative to the larger) at POINTS
    random points of their symbols (positive ones positive), evaluated to DIGITS digits."""
    rng = np.random.default_rng(0)
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    for _ in range(POINTS):
        point = {x: sp.Rational(int(rng.integers(100, 2000)), 1000) * (1 if x.is_positive or x.is_nonnegative
                                                                       else int(rng.choice([-1, 1])))
                 for x in symbols}
        va, vb = (sp.N(v.xreplace(point), DIGITS) for v in (a, b))
        if not (va.is_number and vb.is_number) or any(v.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for v in (va, vb)):
            return False
        # in SymPy's DIGITS-digit numbers: a Python complex would keep only 16
        if sp.Abs(va - vb) > sp.Float(10, DIGITS) ** -AGREE * sp.Max(sp.Abs(va), sp.Abs(vb)):
            return False
    return True


class _OutOfTime(Exception):
    pass


def _time_limited(fn: Callable, *args):
    """``fn(*args)``, interrupted after TIME_LIMIT seconds (_OutOfTime) where a signal can do it:
    the main thread on a platform with SIGALRM; elsewhere without a limit."""
    import signal
    import threading
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        return fn(*args)

    def interrupt(signum, frame):
        raise _OutOfTime()
    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _equal(a: sp.Expr, b: sp.Expr) -> str:
    """"proved" (SymPy proves a = b, as written or with both rewritten in exponentials, which
    settles forms with cosh or tanh), "numerically" (SymPy cannot prove it, but a and b agree
    to AGREE digits at POINTS random points) or "" (not equal)."""
    if verify.symbolic_identity("exercises", "grade", a, b).passed:
        return "proved"
    rewritten = (sp.sympify(a).rewrite(sp.exp), sp.sympify(b).rewrite(sp.exp))
    if verify.symbolic_identity("exercises", "grade", *rewritten).passed:
        return "proved"
    try:
        return "numerically" if _numerically_equal(sp.sympify(a), sp.sympify(b)) else ""
    except (TypeError, ValueError):
        return ""


def _grade_symbolic(exercise: Exercise, answer) -> Grade:
    try:
        expr = _parse(answer, exercise)
    except _Rejected as r:
        return Grade(False, r.diagnosis)
    unknown = sorted(str(s) for s in expr.free_symbols - set(exercise.symbols.values()))
    if unknown:
        return Grade(False, f"the answer uses {', '.join(unknown)}; it may use only "
                            f"{', '.join(exercise.symbols)}")
    # an expression's decimals as the rationals they write, as a string's (_parse); sums and
    # integrals the answer leaves unevaluated, evaluated
    expr = sp.nsimplify(expr, rational=True) if expr.has(sp.Float) else expr
    try:
        return _time_limited(_decide_symbolic, exercise, expr.doit())
    except _OutOfTime:
        return Grade(False, f"SymPy could not decide within {TIME_LIMIT} s whether the answer equals the "
                            "solution; write it in a simpler closed form")


def _decide_symbolic(exercise: Exercise, expr: sp.Expr) -> Grade:
    verdict = _equal(expr, exercise.solution)
    if verdict == "proved":
        return Grade(True, "proved equal to the solution by SymPy")
    if verdict == "numerically":
        return Grade(True, f"equal to the solution to {AGREE} digits at {POINTS} random points "
                           "(SymPy could not prove the identity)")
    for mistake in exercise.mistakes:
        if _equal(expr, mistake.answer):
            return Grade(False, mistake.diagnosis, f"read: {mistake.section}")
    return Grade(False, "not one of the catalogued mistakes",
                 f"your answer minus the solution is {sp.simplify(expr - exercise.solution)}, not 0")


def _number(answer, exercise: Exercise) -> float:
    if isinstance(answer, (str, sp.Basic)):
        expr = _parse(answer, exercise)
        if expr.free_symbols:
            raise _Rejected(f"the answer must be a number; it uses {', '.join(sorted(map(str, expr.free_symbols)))}")
        try:
            return float(sp.N(expr, 30))
        except TypeError:
            raise _Rejected(f"the answer {answer!r} is not a real number") from None
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        raise _Rejected(f"the answer must be a number (or a string SymPy evaluates), got {type(answer).__name__}")
    return float(answer)


def _near(value: float, want: float, tolerance: float) -> bool:
    return abs(value - want) <= tolerance * abs(want)


def _grade_number(exercise: Exercise, answer) -> Grade:
    try:
        value = _number(answer, exercise)
    except _Rejected as r:
        return Grade(False, r.diagnosis)
    if not np.isfinite(value):
        return Grade(False, "the answer is NaN or inf")
    want = float(exercise.solution)
    if exercise.whole and not value.is_integer():
        return Grade(False, f"the answer is a whole number, and {value:g} is not one")
    tolerance = 0.0 if exercise.whole else exercise.tolerance     # a count: exactly
    if _near(value, want, tolerance):
        return Grade(True, "equals the solution" if exercise.whole else f"equals the solution to a relative {tolerance:g}")
    for mistake in exercise.mistakes:
        if _near(value, float(mistake.answer), tolerance):
            return Grade(False, mistake.diagnosis, f"read: {mistake.section}")
    return Grade(False, "not one of the catalogued mistakes",
                 f"your answer {value:g} is not the solution" if exercise.whole else
                 f"your answer {value:.6g} is off the solution by a relative {abs(value - want) / abs(want):.2e}")


def grade(exercise_id: str, answer) -> Grade:
    """Grade ``answer`` to the exercise ``exercise_id`` (a key of ``EXERCISES``)."""
    exercise = find(exercise_id)
    if exercise is None:
        return Grade(False, f"no exercise {exercise_id!r}; the exercises are {', '.join(_every_exercise())}")
    if exercise.kind == "symbolic":
        return _grade_symbolic(exercise, answer)
    if exercise.kind == "number":
        return _grade_number(exercise, answer)
    return _grade_numeric(exercise, answer)


def gradient_witness(loss: Callable, wrt: int, inputs: Callable, size: tuple, seed: int = 11) -> Callable:
    """A witness for an answer that is the gradient of the scalar ``loss(*args)`` with respect to
    ``args[wrt]`` (``args`` the answer's own arguments, drawn by ``inputs`` at ``size``): the answer
    agrees with the complex step of ``loss`` entry by entry (``verify.check_gradient``)."""
    def witness(answer) -> bool:
        args = inputs(np.random.default_rng(seed), size)
        got = np.asarray(answer(*args), dtype=float)
        if got.shape != np.shape(args[wrt]):
            return False
        return verify.check_gradient(lambda v: loss(*args[:wrt], v, *args[wrt + 1:]), got, args[wrt],
                                     method="complex-step").passed
    return witness


def derivative_witness(f: Callable, symbol: sp.Symbol, points) -> Callable:
    """A witness for an expression in ``symbol`` claimed to be the derivative of the NumPy function
    ``f``: its values at ``points`` agree with the complex step of ``f`` (``verify.check_derivative``)."""
    def witness(answer) -> bool:
        expr = sp.sympify(answer, locals={str(symbol): symbol})
        df = sp.lambdify(symbol, expr, "numpy")
        x = np.asarray(points, dtype=float)
        return verify.check_derivative(f, lambda v: np.broadcast_to(df(v), np.shape(v)), x,
                                       method="complex-step").passed
    return witness


#: The chapters, in the book's order; each has a module here of the same name.
CHAPTERS = ("verification", "activations", "hadamard", "backprop", "computational_graph", "losses",
            "gradient_descent", "vanishing_exploding", "initialization", "normalization", "residual",
            "bptt", "clipping", "lstm_gru")


#: The exercises of the chapters imported so far, by id. A chapter's module is imported when
#: one of its exercises is asked for (a chapter's page and the command line import one chapter's;
#: ``EXERCISES`` imports them all).
_LOADED: dict[str, Exercise] = {}
_IMPORTED: set[str] = set()


def _load(chapter: str) -> None:
    if chapter in _IMPORTED:
        return
    import importlib
    for e in importlib.import_module(f"{__name__}.{chapter}").EXERCISES:
        if e.id in _LOADED or e.chapter != chapter or not e.id.startswith(chapter + "."):
            raise ValueError(f"exercise {e.id!r}: a duplicate id, or not in its module's chapter {chapter!r}")
        _LOADED[e.id] = e
    _IMPORTED.add(chapter)


def chapter_exercises(chapter: str) -> list[Exercise]:
    """The chapter's exercises, in its order (imports its module only)."""
    if chapter not in CHAPTERS:
        raise ValueError(f"no chapter {chapter!r}; the chapters are {', '.join(CHAPTERS)}")
    _load(chapter)
    return [e for e in _LOADED.values() if e.chapter == chapter]


def find(exercise_id: str) -> Exercise | None:
    """The exercise of that id (its chapter is the id's first part), or None."""
    chapter = exercise_id.split(".")[0]
    if chapter in CHAPTERS:
        _load(chapter)
    return _LOADED.get(exercise_id)


def _every_exercise() -> dict[str, Exercise]:
    """Every exercise, by id, in the book's order (imports every chapter's module)."""
    for chapter in CHAPTERS:
        _load(chapter)
    ordered = sorted(_LOADED.items(), key=lambda item: CHAPTERS.index(item[1].chapter))
    _LOADED.clear()
    _LOADED.update(ordered)
    globals()["EXERCISES"] = _LOADED
    return _LOADED


def __getattr__(name: str):
    """``EXERCISES``: :func:`_every_exercise`, on first use."""
    if name != "EXERCISES":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _every_exercise()


def witnessed(e: Exercise) -> list[str]:
    """What is wrong with the exercise's own witness, as sentences (empty: nothing): the reference
    solution must pass it and grade correct, each catalogued mistake must fail it and be
    diagnosed as itself."""
    def passes(answer) -> bool:
        result = e.witness(answer)
        return bool(getattr(result, "passed", result))

    problems = []
    if e.witness is None:
        return [f"{e.id}: no witness"]
    if not passes(e.solution):
        problems.append(f"{e.id}: the reference solution fails its witness")
    if not grade(e.id, e.solution).correct:
        problems.append(f"{e.id}: the reference solution does not grade correct")
    for m in e.mistakes:
        if passes(m.answer):
            problems.append(f"{e.id}: the mistake {m.name!r} passes the witness")
        if grade(e.id, m.answer).diagnosis != m.diagnosis:
            problems.append(f"{e.id}: the mistake {m.name!r} is not diagnosed as itself")
    return problems


def _stars(e: Exercise) -> str:
    return "\N{BLACK STAR}" * e.difficulty


_KIND = {"numeric": "a function", "symbolic": "an expression", "number": "a number"}


def exhibits() -> dict:
    """What the exercises page shows: every exercise under its chapter, linked to its place there,
    with its difficulty (stars), the form of its answer and its id; and the counts."""
    from ..book import Markdown
    from . import examples, notebooks

    def item(e: Exercise) -> str:
        return f"* {{ref}}`{e.title} <{label(e)}>` {_stars(e)} ({_KIND[e.kind]}; `{e.id}`)"

    everything = _every_exercise()
    chapters = dict.fromkeys(e.chapter for e in everything.values())
    index = "\n\n".join(f"{{doc}}`{c}`\n\n" + "\n".join(item(e) for e in everything.values() if e.chapter == c)
                         for c in chapters)
    return {"exercise_index": Markdown(index),
            "example_code": Markdown("```python\n" + inspect.getsource(examples.dX_forgot_1_over_N).rstrip() + "\n```"),
            "notebook_links": Markdown(", ".join(
                f'<a href="{notebooks.filename(c)}" download="">{c}</a>' for c in notebooks.chapters())),
            "n_exercises": str(len(everything)),
            "n_chapters": str(len(chapters)),
            "n_mistakes": str(sum(len(e.mistakes) for e in everything.values()))}


def chapter_exhibits(chapter: str) -> dict:
    """A chapter's graded exercises as its Exercises section shows them (``chapter_exercises``):
    each with its statement, how to grade it, and the hint, the solution and the mistakes the
    grader names in collapsed boxes. Runs every exercise's witness first, and raises if one
    fails: a wrong solution or an undiagnosed mistake fails the book's build."""
    from ..book import Markdown
    from . import notebooks

    exercises = chapter_exercises(chapter)
    problems = [p for e in exercises for p in witnessed(e)]
    if problems:
        raise RuntimeError("; ".join(problems))
    intro = (f"Each exercise below is graded: write the answer, then "
             f"`grade(\"<id>\", answer)` (from `derivations.exercises`) or "
             f"`python -m derivations grade <id> answer.py` says whether it is right, and names the "
             f"mistake when it is one the book has catalogued. "
             f"All the book's exercises are listed on {{doc}}`the exercises page <exercises>`.")
    # the notebook is a download beside the HTML: the EPUB and the PDF have no such file
    download = (f":::{{only}} builder_html\n"
                f'<a href="{notebooks.filename(chapter)}" download="">Download them as a notebook</a>.\n'
                f":::")
    return {"chapter_exercises": Markdown("\n\n".join([intro, download,
                                                         *(_exercise_text(e) for e in exercises)]))}


def number_tex(x: float) -> str:
    """A number as the page prints it: 10 significant digits, a power of ten as 10^{k} (never
    Python's 1e-30)."""
    x = float(x)
    if x == 0 or 1e-3 <= abs(x) < 1e10:
        return f"{x:.10g}"
    mantissa, exponent = f"{x:.9e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\times {power}"


def _names(code) -> set[str]:
    """The global names a code object uses, with those of the functions, lambdas and
    comprehensions nested in it."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _names(const)
    return names


def _source_with_helpers(fn: Callable) -> str:
    """``fn``'s source, preceded by what it uses from its module: the imports of the modules
    it names (numpy, the book's kernels), the constants, and the module's own functions it calls
    (theirs too, recursively), so that the solution shown runs as it is."""
    module = inspect.getmodule(fn)
    imports, constants, helpers, seen = [], [], [], set()

    def visit(f):
        for name in sorted(_names(f.__code__)):
            if name in seen:
                continue
            seen.add(name)
            value = f.__globals__.get(name)
            if inspect.ismodule(value):
                parent, _, child = value.__name__.rpartition(".")
                imports.append(f"import {value.__name__} as {name}" if not parent else
                               f"from {parent} import {child}" + (f" as {name}" if name != child else ""))
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                constants.append(f"{name} = {value!r}")
            elif inspect.isfunction(value) and inspect.getmodule(value) is module and value is not fn:
                visit(value)
                helpers.append(inspect.getsource(value).rstrip())
    visit(fn)
    parts = ["\n".join(sorted(imports)), "\n".join(constants), *helpers, inspect.getsource(fn).rstrip()]
    return "\n\n\n".join(part for part in parts if part)


def _solution_text(e: Exercise) -> str:
    """The reference solution as the page shows it: a function's source with what it uses from
    its module, an expression's LaTeX, a number."""
    if e.kind == "symbolic":
        from ..symbolic.common import tex
        return f"$$\n{tex(e.solution, e.names)}\n$$"
    if e.kind == "number":
        return f"${sp.latex(e.solution) if isinstance(e.solution, sp.Basic) else number_tex(e.solution)}$"
    return "```python\n" + _source_with_helpers(e.solution) + "\n```"


#: A derivative's prime after a function's name in a diagnosis (f', sigma', tanh''), which the page
#: prints as a prime: Sphinx's smart quotes would make it an apostrophe.
_PRIME = re.compile(r"(\b(?:f|g|u|sigma|tanh|relu|ReLU|phi|psi|softplus)|[\u03c3\u03c6)])('+)(?![a-z])")


def _page_text(diagnosis: str) -> str:
    """A diagnosis (plain text, as the terminal prints it) as the page shows it: primes as
    primes, and Markdown's emphasis characters escaped (h_t + ... h_{t-1} is not italics)."""
    text = _PRIME.sub(lambda m: m.group(1) + "\u2032" * len(m.group(2)), diagnosis)
    return re.sub(r"([_*\\`])", r"\\\1", text)


def label(e: Exercise) -> str:
    """The exercise's label in its chapter, for {ref}: exercise-<id>."""
    return "exercise-" + e.id.replace(".", "-").replace("_", "-").lower()


def _exercise_text(e: Exercise) -> str:
    """One exercise in MyST: its title (with its label) as a heading, the statement, the id to
    grade it with, and the hint, the solution and the catalogued mistakes in collapsed boxes."""
    mistakes = "\n".join(f"* {_page_text(m.diagnosis)}" for m in e.mistakes)
    answer = {"numeric": f"a function `{e.signature}`",
              "symbolic": f"{e.signature} (a SymPy expression, or a string SymPy parses)",
              "number": f"{e.signature}: " + ("a whole number" if e.whole else
                        f"a number, or a string SymPy evaluates, right to a relative ${number_tex(e.tolerance)}$")}[e.kind]
    return (f"({label(e)})=\n### {e.title} {_stars(e)}\n\n{e.statement}\n\n"
            f"Answer: {answer}; grade it as `{e.id}`.\n\n"
            f":::{{dropdown}} Hint\n{e.hint}\n:::\n\n"
            f"::::{{dropdown}} Solution\n{_solution_text(e)}\n::::\n\n"
            f":::{{dropdown}} The mistakes the grader names\n{mistakes}\n:::")
