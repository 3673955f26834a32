"""Exercises of the initialization chapter (initialization.html): variances and bounds answered in
SymPy, and a number the chapter's figure of deep stacks shows."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..symbolic import initialization as init_sym
from . import Exercise, Mistake

n_in, n_out = sp.symbols("n_in n_out", positive=True, integer=True)
#: The fan-in n, the fan-out m and leaky ReLU's slope alpha, the chapter's symbols.
n, m, alpha = init_sym.n, init_sym.m, init_sym.alpha
_t = sp.Symbol("t", real=True)
_v = sp.Symbol("v", positive=True)   # Var(z)


def _variance_is_xaviers(answer) -> bool:
    """The variance of U(-a, a), integrated, equals 2/(n_in + n_out)."""
    bound, x = sp.sympify(answer, locals={"n_in": n_in, "n_out": n_out}), sp.Symbol("x", real=True)
    variance = sp.integrate(x ** 2 / (2 * bound), (x, -bound, bound))
    return sp.simplify(variance - 2 / (n_in + n_out)) == 0


def _normal_second_moment(f) -> sp.Expr:
    """E[f(z)^2] for z ~ N(0, v), f given on t < 0 and t > 0 (a pair), integrated by SymPy."""
    pdf = sp.exp(-_t ** 2 / (2 * _v)) / sp.sqrt(2 * sp.pi * _v)
    negative, positive = f
    return sp.simplify(sp.integrate(negative ** 2 * pdf, (_t, -sp.oo, 0))
                       + sp.integrate(positive ** 2 * pdf, (_t, 0, sp.oo)))


def _keeps_the_variance(activation, symbols):
    """A witness: Var(w) = answer makes n Var(w) E[f(z)^2] equal Var(z) for a normal z, with
    E[f(z)^2] integrated by SymPy."""
    def witness(answer) -> bool:
        var_w = sp.sympify(answer, locals=symbols)
        return sp.simplify(n * var_w * _normal_second_moment(activation) - _v) == 0
    return witness


#: The figure's stack of ReLU layers with Xavier's variance (square layers: Var(w) = c/n).
RELU_XAVIER = "ReLU, Xavier (1/n)"
_ACTIVATION, C_XAVIER = init_sym.stacks()[RELU_XAVIER]
DEPTH, WIDTH = init_sym.DEPTH, init_sym.WIDTH


def _recursion(c: float, depth: int = DEPTH) -> float:
    """E[h_depth^2] by the mean-field recursion of the chapter's figure, from E[h_0^2] = 1."""
    return float(init_sym.mean_field_moments(c, init_sym._F[_ACTIVATION], depth, 1.0)[-1])


def _near_the_simulated_stack(answer) -> bool:
    """The figure's simulated ReLU stack with Xavier's variance (seeded) ends within the
    chapter's allowance, PROPAGATION_SD sqrt(2 d/n) in logarithm, of the answer: the agreement
    the chapter checks between every stack and its recursion."""
    measured = init_sym.stack_moments(_ACTIVATION, C_XAVIER)
    value = float(sp.N(sp.sympify(answer))) if isinstance(answer, (str, sp.Basic)) else float(answer)
    allowance = init_sym.PROPAGATION_SD * np.sqrt(2 * DEPTH / WIDTH)
    return value > 0 and abs(np.log(value / (measured[-1] / measured[0]))) <= allowance


_FANS = "$n$ the fan-in (inputs) and $m$ the fan-out (outputs) of $W \\in \\mathbb{R}^{m \\times n}$"

EXERCISES = (
    Exercise(
        id="initialization.xavier_uniform_bound", chapter="initialization", kind="symbolic",
        title="Xavier's uniform bound",
        statement="Weights drawn from $U(-a, a)$ are to have Xavier's variance "
                  "$2/(n_{\\text{in}} + n_{\\text{out}})$, with $n_{\\text{in}} = n$ the fan-in and "
                  "$n_{\\text{out}} = m$ the fan-out of $W \\in \\mathbb{R}^{m \\times n}$. Give $a$ as an expression in `n_in` and "
                  "`n_out` (for instance the string `\"sqrt(1/n_in)\"`).",
        hint="The variance of $U(-a, a)$ is $a^2/3$.",
        signature="an expression in n_in, n_out", solution=sp.sqrt(6 / (n_in + n_out)),
        symbols={"n_in": n_in, "n_out": n_out}, witness=_variance_is_xaviers,
        mistakes=(
            Mistake("the standard deviation as the bound", "this is the standard deviation "
                    "sqrt(2/(n_in + n_out)), not the bound: Var U(-a, a) = a^2/3, so a = sqrt(3) times it",
                    "initialization.html#pitfalls", sp.sqrt(2 / (n_in + n_out))),
            Mistake("fan-in only", "this is the bound for the fan-in variance 1/n_in, sqrt(3/n_in): "
                    "Xavier's variance averages the fan-in and the fan-out",
                    "initialization.html#xavier-glorot-initialization", sp.sqrt(3 / n_in)),
            Mistake("a^2/2", "the variance of U(-a, a) is a^2/3, not a^2/2",
                    "initialization.html#uniform-weights", sp.sqrt(4 / (n_in + n_out))),
        )),
    Exercise(
        id="initialization.he_variance", chapter="initialization", kind="symbolic",
        title="He's variance for ReLU",
        statement="A layer $z' = W \\operatorname{relu}(z)$ receives pre-activations $z$ that are "
                  "symmetric with mean zero; its weights are independent, with mean zero and "
                  "variance $\\operatorname{Var}(w)$, " + _FANS + ". Give the "
                  "$\\operatorname{Var}(w)$ for which $\\operatorname{Var}(z') = \\operatorname{Var}(z)$, "
                  "as an expression in `n` and `m`.",
        hint="$\\operatorname{Var}(z') = n \\operatorname{Var}(w)\\, \\mathbb{E}[x^2]$ for inputs "
             "$x = \\operatorname{relu}(z)$: the second moment of the inputs, not their variance. "
             "What share of $\\mathbb{E}[z^2]$ does ReLU keep?",
        signature="an expression in n, m", solution=2 / n, symbols={"n": n, "m": m},
        witness=_keeps_the_variance((sp.Integer(0), _t), {"n": n, "m": m}),
        mistakes=(
            Mistake("ReLU's half forgotten", "1/n keeps the second moment of an activation that "
                    "passes its input through; ReLU sets half of the pre-activations to zero and "
                    "halves the second moment, so it needs twice that",
                    "initialization.html#he-initialization", 1 / n),
            Mistake("Xavier's variance", "2/(n + m) is Xavier's variance, derived for an "
                    "activation that is the identity near zero and averaging the two passes; "
                    "ReLU with the forward pass asks for 2/n", "initialization.html#xavier-glorot-initialization",
                    2 / (n + m)),
            Mistake("the fan-out", "the forward pass sums over the n inputs, so its variance uses "
                    "the fan-in n; the fan-out m is the backward pass's",
                    "initialization.html#fan-in-or-fan-out", 2 / m),
            Mistake("the zero-mean form", "Var(x) was used where E[x^2] belongs, which gives this "
                    "for a normal z: ReLU's outputs have a positive mean, and Var(z') = n Var(w) E[x^2]",
                    "initialization.html#variance-through-one-layer", init_sym.he_from_zero_mean_form()),
        )),
    Exercise(
        id="initialization.leaky_relu_variance", chapter="initialization", kind="symbolic",
        title="The variance for leaky ReLU",
        statement="Leaky ReLU passes $z$ for $z > 0$ and $\\alpha z$ for $z < 0$, with a slope "
                  "$0 < \\alpha < 1$. For a layer $z' = W f(z)$ with symmetric zero-mean "
                  "pre-activations $z$ and independent zero-mean weights, " + _FANS + ", give the "
                  "$\\operatorname{Var}(w)$ for which $\\operatorname{Var}(z') = \\operatorname{Var}(z)$, "
                  "as an expression in `n` and `alpha`.",
        hint="Split $\\mathbb{E}[f(z)^2]$ into the two half-lines: a symmetric $z$ puts half of "
             "$\\mathbb{E}[z^2]$ on each, and the negative one is multiplied by $\\alpha^2$.",
        signature="an expression in n, alpha", solution=init_sym.leaky_he_variance(),
        symbols={"n": n, "alpha": alpha}, difficulty=2,
        witness=_keeps_the_variance((alpha * _t, _t), {"n": n, "alpha": alpha}),
        mistakes=(
            Mistake("He's variance", "2/n is He's variance for ReLU, whose negative half is zero; "
                    "leaky ReLU's negative half adds alpha^2 times its share of E[z^2]",
                    "initialization.html#gains", 2 / n),
            Mistake("the slope not squared", "the slope enters the second moment squared: the "
                    "negative half-line contributes alpha^2 E[z^2]/2, not alpha E[z^2]/2",
                    "initialization.html#gains", 2 / ((1 + alpha) * n)),
            Mistake("the halves not halved", "each half-line holds half of E[z^2]: E[f(z)^2] = "
                    "(1 + alpha^2)/2 E[z^2], not (1 + alpha^2) E[z^2]",
                    "initialization.html#he-initialization", 1 / ((1 + alpha ** 2) * n)),
        )),
    Exercise(
        id="initialization.relu_xavier_depth", chapter="initialization", kind="number",
        title="ReLU with Xavier's variance, twenty layers down",
        statement=f"The chapter's figure of deep stacks has a ReLU stack with Xavier's variance, "
                  f"$\\operatorname{{Var}}(w) = {C_XAVIER:g}/n$ for its square layers, of depth "
                  f"$d = {DEPTH}$. Starting from $\\mathbb{{E}}[h_0^2] = 1$, what mean square "
                  f"$\\mathbb{{E}}[h_{{{DEPTH}}}^2]$ does the mean-field recursion (the figure's dotted "
                  f"line) give at the last layer? (A number, such as `1e-3` or the string "
                  f"`\"0.5**10\"`.)",
        hint="$\\mathbb{E}[z_\\ell^2] = n \\operatorname{Var}(w)\\, \\mathbb{E}[h_{\\ell-1}^2]$, "
             "and ReLU keeps half of it.",
        signature="the mean square", solution=_recursion(C_XAVIER), tolerance=1e-4,
        witness=_near_the_simulated_stack,
        mistakes=(
            Mistake("Xavier keeps it", "Xavier's variance keeps the second moment of an activation "
                    "that passes its input through; ReLU halves it at every layer",
                    "initialization.html#deep-stacks", 1.0),
            Mistake("the norm's factor", "sqrt(1/2) per layer is the factor of a norm (a root mean "
                    "square); the figure shows the mean square, which ReLU halves at every layer",
                    "initialization.html#deep-stacks", _recursion(C_XAVIER) ** 0.5),
        )),
)
