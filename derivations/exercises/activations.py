"""Exercises of the activations chapter (activations.html): derivatives, answered in SymPy."""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import Exercise, Mistake, derivative_witness

z = sp.Symbol("z", real=True)
sigma = 1 / (1 + sp.exp(-z))

EXERCISES = (
    Exercise(
        id="activations.sigmoid_prime", chapter="activations", kind="symbolic",
        title="The sigmoid's derivative",
        statement="Give the derivative of the sigmoid σ(z) = 1/(1 + e^(-z)) as an expression in z "
                  "(a SymPy expression, or a string such as \"exp(-z)/(1 + exp(-z))**2\").",
        hint="The chain rule on (1 + e^(-z))^(-1); the result can be written σ(z)(1 - σ(z)).",
        signature="an expression in z", solution=sp.diff(sigma, z), symbols={"z": z},
        witness=derivative_witness(lambda v: 1 / (1 + np.exp(-v)), z, [-3.0, -0.5, 0.0, 1.2, 4.0]),
        mistakes=(
            Mistake("inner derivative's sign", "the inner derivative's sign is lost: the derivative "
                    "of e^(-z) is -e^(-z), so the two minus signs cancel", "activations.html#pitfalls",
                    -sp.diff(sigma, z)),
            Mistake("sigma (1 + sigma)", "σ(1 + σ) instead of σ(1 - σ)", "activations.html#the-sigmoid",
                    sigma * (1 + sigma)),
            Mistake("square missing", "the denominator (1 + e^(-z)) is not squared: the quotient "
                    "(or chain) rule squares it", "activations.html#the-sigmoid",
                    sp.exp(-z) / (1 + sp.exp(-z))),
        )),
)
