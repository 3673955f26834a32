"""Exercises of the activations chapter (activations.html): derivatives, answered in SymPy, and
the largest value of the sigmoid's derivative."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..numeric import activations as activations_np
from ..symbolic.activations import ACTIVATIONS, derivative, derivative_maximum
from . import Exercise, Mistake, derivative_witness

z = sp.Symbol("z", real=True)
#: tanh(z), the variable of an answer written from the forward output.
t = sp.Symbol("t", real=True)
sigma = 1 / (1 + sp.exp(-z))
_POINTS = [-3.0, -0.5, 0.0, 1.2, 4.0]


def _tanh_derivative_in_t(answer) -> bool:
    """The answer, with t = tanh(z), agrees with the complex step of np.tanh."""
    expr = sp.sympify(answer, locals={"t": t}).subs(t, sp.tanh(z))
    return derivative_witness(np.tanh, z, _POINTS)(expr)


def _largest_derivative(answer) -> bool:
    """The answer is the largest complex-step derivative of the sigmoid's definition on a grid of
    [-10, 10] that contains 0, to 1e-12."""
    grid = np.linspace(-10, 10, 20001)
    largest = float(np.max(np.imag(activations_np.sigmoid(grid + 1e-20j)) / 1e-20))
    return abs(float(answer) - largest) <= 1e-12 * largest


EXERCISES = (
    Exercise(
        id="activations.sigmoid_prime", chapter="activations", kind="symbolic",
        title="The sigmoid's derivative",
        statement="Give the derivative $\\sigma'(z)$ of the sigmoid $\\sigma(z) = 1/(1 + e^{-z})$ as an "
                  "expression in $z$ (a SymPy expression, or a string SymPy parses, such as "
                  "`\"z*exp(-z)\"`).",
        hint="The chain rule on $(1 + e^{-z})^{-1}$; the result can be written "
             "$\\sigma(z)(1 - \\sigma(z))$.",
        signature="an expression in z", solution=derivative(ACTIVATIONS["sigmoid"]), symbols={"z": z},
        witness=derivative_witness(activations_np.sigmoid, z, _POINTS),
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
    Exercise(
        id="activations.tanh_prime", chapter="activations", kind="symbolic",
        title="tanh's derivative from its output",
        statement="The backward pass of $h = \\tanh(z)$ has the forward output $t = \\tanh(z)$ at hand. "
                  "Give $\\tanh'(z)$ as an expression in $t$ alone.",
        hint="Differentiate $\\tanh(z) = (e^z - e^{-z})/(e^z + e^{-z})$ with the quotient rule; "
             "the numerator becomes a difference of squares.",
        signature="an expression in t = tanh(z)",
        solution=ACTIVATIONS["tanh"].textbook.subs(sp.tanh(z), t), symbols={"t": t},
        witness=_tanh_derivative_in_t,
        mistakes=(
            Mistake("the sigmoid's form", "t(1 - t) is the form of the sigmoid's derivative, "
                    "σ(1 - σ); tanh's is 1 - tanh^2", "activations.html#the-hyperbolic-tangent",
                    t * (1 - t)),
            Mistake("sign", "1 + tanh^2 has the wrong sign: tanh' lies in (0, 1], and 1 + t^2 is at "
                    "least 1", "activations.html#the-hyperbolic-tangent", 1 + t ** 2),
            Mistake("square missing", "1 - tanh, not squared: the quotient rule's numerator is a "
                    "difference of squares, divided by the square of the denominator",
                    "activations.html#the-hyperbolic-tangent", 1 - t),
        )),
    Exercise(
        id="activations.softplus_prime", chapter="activations", kind="symbolic",
        title="Softplus's derivative",
        statement="Give the derivative of softplus, $\\log(1 + e^z)$, as an expression in $z$.",
        hint="The chain rule through $\\log u$ with $u = 1 + e^z$; then divide numerator and "
             "denominator by $e^z$ and compare with the sigmoid.",
        signature="an expression in z", solution=derivative(ACTIVATIONS["softplus"]), symbols={"z": z},
        witness=derivative_witness(lambda v: np.log(1 + np.exp(v)), z, _POINTS),
        mistakes=(
            Mistake("inner derivative missing", "the inner derivative e^z is missing: 1/(1 + e^z) is "
                    "only the log's derivative, (log u)' = u'/u", "activations.html#softplus",
                    1 / (1 + sp.exp(z))),
            Mistake("the log's derivative missing", "e^z is the inner derivative alone: the log "
                    "contributes the factor 1/(1 + e^z)", "activations.html#softplus", sp.exp(z)),
            Mistake("the sigmoid's derivative", "σ(z)(1 - σ(z)) is the sigmoid's derivative, softplus's "
                    "second: softplus' is the sigmoid itself", "activations.html#softplus",
                    sigma * (1 - sigma)),
        )),
    Exercise(
        id="activations.sigmoid_prime_max", chapter="activations", kind="number",
        title="The largest derivative of the sigmoid",
        statement="The dotted line of the sigmoid's figure marks the largest value of $\\sigma'(z)$ "
                  "over the real line. Give that value as a number.",
        hint="$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$, a product of two numbers whose sum is 1.",
        signature="the maximum of sigma'", solution=derivative_maximum(ACTIVATIONS["sigmoid"])[1],
        witness=_largest_derivative, tolerance=1e-4,
        mistakes=(
            Mistake("sigma(0)", "1/2 is the sigmoid's value at 0, where its derivative is largest; "
                    "the derivative there is σ(0)(1 - σ(0))", "activations.html#the-sigmoid", 0.5),
            Mistake("tanh's maximum", "1 is the largest derivative of tanh; the sigmoid's is a "
                    "quarter of it", "activations.html#the-hyperbolic-tangent", 1.0),
        )),
)
