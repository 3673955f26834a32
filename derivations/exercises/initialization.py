"""Exercises of the initialization chapter (initialization.html): answered in SymPy."""

from __future__ import annotations

import sympy as sp

from . import Exercise, Mistake

n_in, n_out = sp.symbols("n_in n_out", positive=True, integer=True)

def _variance_is_xaviers(answer) -> bool:
    """The variance of U(-a, a), integrated, equals 2/(n_in + n_out)."""
    bound, x = sp.sympify(answer, locals={"n_in": n_in, "n_out": n_out}), sp.Symbol("x", real=True)
    variance = sp.integrate(x ** 2 / (2 * bound), (x, -bound, bound))
    return sp.simplify(variance - 2 / (n_in + n_out)) == 0


EXERCISES = (
    Exercise(
        id="initialization.xavier_uniform_bound", chapter="initialization", kind="symbolic",
        title="Xavier's uniform bound",
        statement="Weights drawn from U(-a, a) are to have Xavier's variance 2/(n_in + n_out). Give "
                  "a as an expression in n_in and n_out.",
        hint="The variance of U(-a, a) is a^2/3.",
        signature="an expression in n_in, n_out", solution=sp.sqrt(6 / (n_in + n_out)),
        symbols={"n_in": n_in, "n_out": n_out}, witness=_variance_is_xaviers,
        mistakes=(
            Mistake("the standard deviation as the bound", "this is the standard deviation "
                    "sqrt(2/(n_in + n_out)), not the bound: Var U(-a, a) = a^2/3, so a = sqrt(3) times it",
                    "initialization.html#pitfalls", sp.sqrt(2 / (n_in + n_out))),
            Mistake("fan-in only", "this is the bound for the fan-in variance 1/n_in, sqrt(3/n_in): "
                    "Xavier's variance averages the fan-in and the fan-out",
                    "initialization.html#pitfalls", sp.sqrt(3 / n_in)),
            Mistake("a^2/2", "the variance of U(-a, a) is a^2/3, not a^2/2",
                    "initialization.html#pitfalls", sp.sqrt(4 / (n_in + n_out))),
        )),
)
