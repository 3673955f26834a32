"""Hand derivations in index notation, each step a checked identity.

A student derives a gradient entry by entry: dL/dW_ij = sum_k dL/dy_k dy_k/dW_ij =
sum_k delta_k delta_ki x_j = delta_i x_j, hence dL/dW = delta x^T. A :class:`StepChain` holds
such a chain as the objects the page prints (sums kept as sums, Kronecker deltas kept, each
partial derivative a :class:`Partial`), and its checks prove every equality of the chain at
symbolic size with :func:`~derivations.symbolic.index_notation.prove_identity`: both sides are made computable by a
topic's ``evaluate`` (the partial derivatives taken by SymPy, named quantities replaced by their
definitions) and the sizes are written ``index + 1 + slack`` so the indices are in range by
construction. :func:`step_tex` prints the chain the way a blackboard does: ``(W_2)_{ij}``,
``h_j``, ``\\sum_k``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import verify
from .common import _BookLatex
from .index_notation import _opaque_entries, entry, prove_identity, scalar

__all__ = ["Partial", "entry_of", "step_tex", "definitions_written_in", "evaluator", "sums_written_out",
           "StepChain", "products_of_shape"]


class Partial(sp.Function):
    """The partial derivative of ``args[0]`` (the loss, or an entry) with respect to the entry
    ``args[1]``, as a page writes it; a topic's ``evaluate`` computes it."""

    nargs = 2

    def _latex(self, printer):
        a, b = (printer._print(x) for x in self.args)
        return rf"\frac{{\partial {a}}}{{\partial {b}}}"


def entry_of(M, i, j=0):
    """The entry (i, j) of the matrix expression M, kept unevaluated: (delta_2 h^T)_ij."""
    return MatrixElement(M, i, j)


def _compound(name: str) -> bool:
    # W_2, \delta_2, z_1, f'(z_1): a name with a subscript or an argument is put in parentheses
    return bool(re.search(r"_|\(|\s", name))


class _StepLatex(_BookLatex):
    """The book's LaTeX, with entries, sums and Kronecker deltas written as on paper."""

    def _print_MatrixElement(self, e):
        base = self._print(e.parent)
        if not isinstance(e.parent, sp.MatrixSymbol) or _compound(base):
            base = rf"\left({base}\right)" if not isinstance(e.parent, sp.MatrixSymbol) else f"({base})"
        indices = [e.i] if e.parent.shape[1] == 1 else [e.i, e.j]
        texts = [self._print(k) for k in indices]
        joined = "".join(texts) if all(len(t) == 1 for t in texts) else ", ".join(texts)
        return f"{base}_{{{joined}}}"

    def _print_Sum(self, e):
        body = self._print(e.function)
        if isinstance(e.function, sp.Add):
            body = rf"\left({body}\right)"
        return " ".join(rf"\sum_{{{self._print(v)}}}" for v, _, _ in reversed(e.limits)) + " " + body

    def _print_Function(self, e, exp=None):
        name = e.func.__name__
        if name.endswith("'") and len(e.args) == 1:     # f'(z), as a blackboard writes it
            return rf"{name}({self._print(e.args[0])})"
        return super()._print_Function(e, exp)


def _primed(expr):
    """f'(t) evaluated at a (SymPy's Subs of a derivative of an undefined f) written f'(a)."""
    def is_slope(e):
        return (isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative)
                and isinstance(e.expr.expr, AppliedUndef) and len(e.point) == 1)
    return expr.replace(is_slope, lambda e: sp.Function(e.expr.expr.func.__name__ + "'")(*e.point))


def step_tex(expr, names: dict | None = None) -> str:
    """LaTeX of one row of a hand derivation, in the book's notation (as ``common.tex``)."""
    s = _StepLatex({"symbol_names": names or {}}).doprint(_primed(sp.sympify(expr)))
    s = s.replace(r"\circ", r"\odot").replace("^{T}", r"^{\top}")
    return re.sub(r"\\operatorname\{([A-Za-z]+)'\}", lambda m: m.group(1) + "'", s)


def _index_form(defs: dict, q, i=None, j=0):
    """Entry (i, j) of quantity q's definition in index notation (a scalar's: the scalar)."""
    d = defs[q]
    return scalar(d) if not getattr(q, "is_Matrix", False) else entry(d, i, j)


def definitions_written_in(expr, defs: dict, order, down_to=None):
    """``expr`` with the entries of every quantity of ``order`` (the forward order, each
    defined in ``defs`` from the ones before it) after ``down_to`` replaced by their
    definitions, the last first: y_hat brings in h, and h then z1."""
    for q in reversed(order):
        if q == down_to:
            break
        if expr.has(q):
            expr = expr.replace(lambda t, q=q: isinstance(t, MatrixElement) and t.parent == q,
                                lambda t, q=q: _index_form(defs, q, t.i, t.j))
    return expr


def evaluator(defs: dict, order, loss, named: dict | None = None) -> Callable:
    """The function that makes a displayed row computable: an entry of a matrix expression
    becomes its index notation; an entry of a ``named`` matrix symbol what ``named`` gives for
    it (delta2_k: the partial derivative dL/dy_hat_k it stands for); each :class:`Partial`
    SymPy's derivative of its quantity (``loss``, or an entry) written out down to the
    variable; and then every quantity of ``order`` written out down to the inputs, so that
    each derivative is evaluated at the forward pass."""
    named = named or {}

    def partial(a, b):
        top = _index_form(defs, a) if a == loss else _index_form(defs, a.parent, a.i, a.j)
        d = sp.diff(definitions_written_in(top, defs, order, b.parent), b)
        # f'(z) at an entry z, written as SymPy writes it at an expression (a Subs), so that
        # z can be written out in turn (a derivative inside a Subs is one already)
        return d.replace(lambda e: (isinstance(e, sp.Derivative) and isinstance(e.expr, AppliedUndef)
                                    and isinstance(e.variables[0], MatrixElement)),
                         lambda e: _slope(e.expr.func, e.variables[0]))

    def evaluate(expr):
        expr = sp.sympify(expr)
        expr = expr.replace(lambda t: isinstance(t, MatrixElement) and not isinstance(t.parent, sp.MatrixSymbol),
                            lambda t: entry(t.parent, t.i, t.j))
        expr = expr.replace(lambda t: isinstance(t, MatrixElement) and t.parent in named,
                            lambda t: named[t.parent](t.i, t.j))
        expr = expr.replace(lambda t: isinstance(t, Partial), lambda t: partial(*t.args))
        return definitions_written_in(expr, defs, order)
    return evaluate


_s = sp.Symbol("s", real=True)


def _slope(f, at):
    """f'(at) as SymPy writes a derivative at an expression: Subs(d f(s)/ds, s, at)."""
    return sp.Subs(sp.diff(f(_s), _s), _s, at)


def sums_written_out(expr, values: dict):
    """``expr`` at the explicit sizes ``values`` (symbol -> integer) with every sum written out
    term by term, innermost first; nothing else is evaluated (index_notation.written_out also
    calls doit, which takes seconds on nested derivatives)."""
    def terms(t):
        *inner, (v, lo, hi) = t.limits
        body = sp.Sum(t.function, *inner) if inner else t.function
        return sp.Add(*[body.xreplace({v: lo + j}) for j in range(int(hi - lo) + 1)])

    def explicit(t):
        return isinstance(t, sp.Sum) and all((hi - lo).is_Integer for _, lo, hi in t.limits)
    e = sp.sympify(expr).xreplace({s: sp.Integer(v) for s, v in values.items()})
    while e.has(sp.Sum):
        new = e.replace(explicit, terms)
        if new == e:
            raise ValueError(f"sums_written_out: a sum's range is not explicit at {values}")
        e = new
    return e


@dataclass(frozen=True)
class StepChain:
    """A hand derivation rows[0] = rows[1] = ... in index notation, as data: ``steps[k]`` names
    the equality rows[k] = rows[k + 1] (its reason and the formula in plain text); ``sizes`` puts
    the indices in range (a size symbol -> index + 1 + slack); ``evaluate`` turns a displayed
    row into index notation SymPy can differentiate and sum; ``instances`` are explicit values
    of the free symbols where an undecided difference is evaluated. ``sizes`` may also be a
    tuple of such substitutions that together cover every entry (the entries (k, j) of a
    square matrix: k <= j, and k > j)."""

    name: str                 # e.g. "dL/dW2 by hand"
    rows: tuple
    steps: tuple
    sizes: dict | tuple
    evaluate: Callable
    size_names: str           # "n, m, p": the sizes the proof leaves symbolic
    instances: tuple = ()
    #: Explicit sizes (dicts for sums_written_out) at which each step is proved
    #: instead, written out, where SymPy cannot decide it at symbolic size.
    explicit: tuple = ()

    def __post_init__(self):
        if len(self.steps) != len(self.rows) - 1:
            raise ValueError(f"{self.name}: {len(self.rows)} rows need {len(self.rows) - 1} steps")

    def check_name(self, k: int) -> str:
        if self.explicit:
            return f"{self.name}, step {k + 1}, {self.steps[k]}: written out, {self.size_names}"
        return f"{self.name}, step {k + 1}, {self.steps[k]}: index notation, any {self.size_names}"

    def prove_step(self, topic: str, k: int) -> verify.Check:
        if self.explicit:
            return verify.timed(self._prove_written_out, topic, k)
        cases = (self.sizes,) if isinstance(self.sizes, dict) else self.sizes
        for case in cases:
            a, b = (self.evaluate(r).xreplace(case) for r in self.rows[k:k + 2])
            check = prove_identity(topic, self.check_name(k), a, b, self.instances)
            if not check.passed:
                break
        return check

    def _prove_written_out(self, topic: str, k: int) -> verify.Check:
        a, b = (self.evaluate(r) for r in self.rows[k:k + 2])
        # the difference with every entry, f(...) and f'(...) an opaque symbol (the same one
        # for the same expression): a polynomial, zero or not in a fraction of a second
        differences = _opaque_entries(sp.Tuple(*[sums_written_out(a - b, at) for at in self.explicit]))
        return verify.symbolic_identity(topic, self.check_name(k), sp.Matrix(list(differences)),
                                        sp.zeros(len(differences), 1))

    def checks(self, topic: str) -> list[verify.Check]:
        return [self.prove_step(topic, k) for k in range(len(self.steps))]

    def tex(self, names: dict | None = None, rows: slice = slice(None)) -> str:
        """The chain (or the rows ``rows`` of it) as one relation per row."""
        return " = ".join(step_tex(r, names) for r in self.rows[rows])


def products_of_shape(factors, shape) -> list:
    """Every product A B of two different factors, each as it is or transposed, whose inner
    sizes agree and whose shape is ``shape``: with sizes that are distinct symbols, the
    candidates for a gradient of that shape (the shape-matching check)."""
    out = []
    for F in factors:
        for G in factors:
            if F == G:
                continue
            for A in (F, F.T):
                for B in (G, G.T):
                    if A.shape[1] == B.shape[0] and (A.shape[0], B.shape[1]) == tuple(shape):
                        out.append(A * B)
    return out
