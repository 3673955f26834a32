"""Helpers shared by the symbolic modules: explicit matrices of symbols, and LaTeX in the
book's notation (⊙ for the Hadamard product, ^⊤ for the transpose)."""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

# FORK_X and FORK_F (the fork rule's x and f) are left out: FORK_F is a SymPy function class,
# which autodoc would document as a class alias of a module-less "f".
__all__ = ["matrix", "vector", "tex", "explicit", "partial", "as_partials", "fork_rule"]


def matrix(name: str, rows: int, cols: int) -> sp.Matrix:
    """An explicit rows x cols matrix of real symbols name_ij (1-based), not a MatrixSymbol:
    SymPy differentiates these entry by entry, reliably."""
    return sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"{name}_{i + 1}{j + 1}", real=True))


def vector(name: str, n: int) -> sp.Matrix:
    """An explicit n x 1 column of real symbols name_i (1-based)."""
    return sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"{name}_{i + 1}", real=True))


class _BookLatex(LatexPrinter):
    def _print_ElementwiseApplyFunction(self, expr):
        # f applied entrywise is written f(W h), as the book does, not (d -> f(d))_odot(W h)
        lam, arg = expr.function, sp.Symbol("ARGUMENT")
        return self._print(lam.expr.xreplace({lam.variables[0]: arg})).replace(
            self._print(arg), self._print(expr.expr))

    def _nested_sums(self, expr) -> str:
        """The signs of a Sum's limits as nested sums with their ranges, the outermost (SymPy's
        last limit) first: a hand step's printer writes its body after them."""
        return "".join(rf"\sum_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}} "
                       for v, lo, hi in reversed(expr.limits))

    def _print_KroneckerDelta(self, expr, exp=None):
        # Iverson's bracket [i = j]: the letter delta is the book's gradient (delta_l = dL/dz_l);
        # in a group, so that its = is not a relation of the formula (book.relation_rows)
        return rf"{{[{self._print(expr.args[0])} = {self._print(expr.args[1])}]}}"

    def _print_MatAdd(self, expr):
        # SymPy orders a matrix sum's terms canonically (-y + y_hat); a book writes y_hat - y.
        terms = sorted(expr.args, key=lambda t: t.could_extract_minus_sign())
        out = self._print(terms[0])
        for t in terms[1:]:
            s = self._print(t)
            out += f" - {s[1:].lstrip()}" if s.startswith("-") else f" + {s}"
        return out


def tex(expr, names: dict | None = None, **settings) -> str:
    """LaTeX of ``expr`` in the book's notation; ``names`` renames symbols for display;
    ``settings`` go to SymPy's printer (``order="none"`` keeps an unevaluated sum's order)."""
    s = _BookLatex({"symbol_names": names or {}, **settings}).doprint(expr)
    return (s.replace(r"\circ", r"\odot").replace("^{T}", r"^{\top}")
            .replace(r"\operatorname{DiagMatrix}", r"\operatorname{diag}").replace(r"\mathbb{I}", "I")
            .replace(r"\operatorname{im}", r"\operatorname{Im}"))


def explicit(expr, values: dict) -> sp.Matrix:
    """A MatrixSymbol expression evaluated on explicit matrices: the bridge between the
    formula the page shows and the matrices SymPy proves it on. A 1 x 1 result (such as
    u^T M v) is returned as its single entry."""
    out = expr.xreplace(values).doit()
    if isinstance(out, sp.MatrixBase):
        out = sp.Matrix(out)
        return out[0, 0] if out.shape == (1, 1) else out
    return out


# ------------------------------------------------------------------ gradients add where paths fork
# A variable used twice: d/dx f(x, x) = f_1(x, x) + f_2(x, x), f undefined and f_k its derivative
# with respect to its k-th argument. SymPy differentiates f(x, x) by its own chain rule; its
# result, derivatives of f at a point, is written in the same partials f_k. The chapters that use
# the rule (the computational graph, residual connections, BPTT) each prove it from here.
FORK_X = sp.Symbol("x", real=True)
FORK_F = sp.Function("f")


def partial(k: int) -> type:
    """f_k, the derivative of f (``FORK_F``) with respect to its k-th argument (1-based), as a function."""
    return sp.Function(f"{FORK_F}_{k}")


def as_partials(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every derivative of f (``FORK_F``) at a point, Subs(Derivative(f(...), v), v, p)
    as SymPy writes it, replaced by f_k at that point (k the place of v among f's arguments)."""
    f = FORK_F

    def rewrite(s):
        d = s.expr
        if not (isinstance(d, sp.Derivative) and d.expr.func == f and len(d.variables) == 1):
            return s
        (v,) = d.variables
        args = d.expr.args
        return partial(args.index(v) + 1)(*[a.xreplace(dict(zip(s.variables, s.point))) for a in args])
    return expr.replace(lambda e: isinstance(e, sp.Subs), rewrite)


def fork_rule() -> tuple:
    """(d/dx f(x, x) unevaluated, as SymPy computes it in partials, the claim f_1(x, x) + f_2(x, x))."""
    x, f = FORK_X, FORK_F
    return sp.Derivative(f(x, x), x), as_partials(sp.diff(f(x, x), x)), partial(1)(x, x) + partial(2)(x, x)
