"""Exercises of the gradient descent chapter (gradient_descent.html): answered in SymPy."""

from __future__ import annotations

import sympy as sp

from . import Exercise, Mistake

a = sp.Symbol("a", positive=True)

EXERCISES = (
    Exercise(
        id="gradient_descent.step_bound", chapter="gradient_descent", kind="symbolic",
        title="The largest step size that converges",
        statement="Gradient descent w <- w - eta f'(w) on f(w) = a w^2 / 2, a > 0, converges from "
                  "every start exactly when 0 < eta < eta_max. Give eta_max as an expression in a.",
        hint="One step multiplies w by 1 - eta a; when does that factor have modulus below 1?",
        signature="an expression in a", solution=2 / a, symbols={"a": a},
        mistakes=(
            Mistake("the best step", "1/a is the step that reaches the minimum in one step, not the "
                    "largest that converges: up to 2/a the factor 1 - eta a stays inside (-1, 1)",
                    "gradient_descent.html#one-dimension-the-contraction-factor", 1 / a),
            Mistake("the curvature inverted", "the bound is inversely proportional to the "
                    "curvature a: a steeper quadratic needs a smaller step",
                    "gradient_descent.html#one-dimension-the-contraction-factor", 2 * a),
        )),
)
