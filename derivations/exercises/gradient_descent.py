"""Exercises of the gradient descent chapter (gradient_descent.html): answered in SymPy."""

from __future__ import annotations

import sympy as sp

from . import Exercise, Mistake

a = sp.Symbol("a", positive=True)

def _factor_is_minus_one(answer) -> bool:
    """At the bound the contraction factor 1 - eta a is -1 (w flips sign and keeps its size), for
    every a: checked at a = 1/3, 1, 7."""
    eta = sp.sympify(answer, locals={"a": a})
    return all(sp.simplify(1 - eta.subs(a, v) * v) == -1 for v in (sp.Rational(1, 3), 1, 7))


EXERCISES = (
    Exercise(
        id="gradient_descent.step_bound", chapter="gradient_descent", kind="symbolic",
        title="The largest step size that converges",
        statement="Gradient descent w <- w - eta f'(w) on f(w) = a w^2 / 2, a > 0, converges from "
                  "every start exactly when 0 < eta < eta_max. Give eta_max as an expression in a.",
        hint="One step multiplies w by 1 - eta a; when does that factor have modulus below 1?",
        signature="an expression in a", solution=2 / a, symbols={"a": a}, witness=_factor_is_minus_one,
        mistakes=(
            Mistake("the best step", "1/a is the step that reaches the minimum in one step, not the "
                    "largest that converges: up to 2/a the factor 1 - eta a stays inside (-1, 1)",
                    "gradient_descent.html#one-dimension-the-contraction-factor", 1 / a),
            Mistake("the curvature inverted", "the bound is inversely proportional to the "
                    "curvature a: a steeper quadratic needs a smaller step",
                    "gradient_descent.html#one-dimension-the-contraction-factor", 2 * a),
        )),
)
