"""Exercises of the vanishing_exploding chapter (vanishing_exploding.html): the bound on a sigmoid
stack's gradient, the backward pass through a stack, and the mean-field estimate of a stack the
chapter's figure shows.

The chapter's stack, batched: h_l = f(h_{l-1} W_l^T), l = 1..d, h_0 (N, n), every W_l (n, n);
its gradient dL/dh_0 = W_1^T D_1 ... W_d^T D_d dL/dh_d, D_l = diag(f'(z_l)).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..symbolic import vanishing_exploding as ve
from . import Exercise, Mistake, gradient_witness

# ------------------------------------------------------------------ the bound of a sigmoid stack
r, d = sp.symbols("r d", positive=True)

#: The points (r, d) at which an answer is compared with the chapter's evaluated bound.
BOUND_POINTS = ((0.5, 1), (3.0, 2), (4.5, 7), (2.0, 5))


def _agrees_with_the_chapters_bound(answer) -> bool:
    """The answer equals the chapter's bound eq-gradient-bound, evaluated by ``bound_value``
    with every spectral norm r, max |sigma'| from SymPy's maximum and a unit upstream norm."""
    expr = sp.sympify(answer, locals={"r": r, "d": d})
    for rv, dv in BOUND_POINTS:
        want = float(ve.bound_value(np.full(dv, rv), ve.F_MAX["sigmoid"], [1.0])[0])
        got = complex(sp.N(expr.subs({r: rv, d: dv}), 20))
        if abs(got.imag) > 0 or abs(got.real - want) > 1e-12 * abs(want):
            return False
    return True


# ------------------------------------------------------------------ the backward pass of a stack
#: The sizes (N, n) at which an answer is tried.
SIZES = ((3, 4), (5, 2), (2, 6))


def _inputs(rng, size):
    N, n = size
    return (rng.standard_normal((N, n)), rng.standard_normal((N, n)),
            *(rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(3)))


def _stack_loss(dh3, h0, W1, W2, W3):
    """sum(dh3 * h_3): its gradient on h_3 is dh3 (the exercise's given gradient)."""
    h = h0
    for W in (W1, W2, W3):
        h = np.tanh(h @ W.T)
    return np.sum(dh3 * h)


def dh0(dh3, h0, W1, W2, W3):
    """dL/dh_0 (N, n): from the top, each layer multiplies by tanh'(z_l) = 1 - h_l^2, entry by
    entry (D_l), then by W_l^T (a row of the batch times W_l)."""
    hs = [h0]
    for W in (W1, W2, W3):
        hs.append(np.tanh(hs[-1] @ W.T))
    g = dh3
    for W, h in zip((W3, W2, W1), hs[:0:-1]):
        g = (g * (1 - h ** 2)) @ W
    return g


def _backward(dh3, h0, Ws, step):
    """The stack's backward pass with one layer's step replaced: step(g, W, h_l) -> dL/dh_{l-1}."""
    hs = [h0]
    for W in Ws:
        hs.append(np.tanh(hs[-1] @ W.T))
    g = dh3
    for W, h in zip(Ws[::-1], hs[:0:-1]):
        g = step(g, W, h)
    return g


def _wrong_side(dh3, h0, W1, W2, W3):
    return _backward(dh3, h0, (W1, W2, W3), lambda g, W, h: (g @ W) * (1 - h ** 2))


def _fprime_at_h(dh3, h0, W1, W2, W3):
    return _backward(dh3, h0, (W1, W2, W3), lambda g, W, h: (g * (1 - np.tanh(h) ** 2)) @ W)


def _transposed(dh3, h0, W1, W2, W3):
    return _backward(dh3, h0, (W1, W2, W3), lambda g, W, h: (g * (1 - h ** 2)) @ W.T)


def _no_fprime(dh3, h0, W1, W2, W3):
    return dh3 @ W3 @ W2 @ W1


# ------------------------------------------------------------------ the mean-field estimate
#: The figure's stack with too small weights: Var(w) = c / n, and its depth and width.
C_SMALL, DEPTH, WIDTH = ve.SCHEMES["too small"], ve.DEPTH, ve.WIDTH


def _within_the_mean_field_factor(answer) -> bool:
    """The figure's tanh stack with too small weights (the chapter's seeded run) has a measured
    ratio within the chapter's factor (3) of the answer, the agreement the chapter checks for
    every stack."""
    measured = ve.scheme_runs()[("tanh", "too small")].ratio
    value = float(sp.N(sp.sympify(answer))) if isinstance(answer, (str, sp.Basic)) else float(answer)
    return value > 0 and abs(np.log(value / measured)) <= np.log(ve.MEAN_FIELD_FACTOR)


EXERCISES = (
    Exercise(
        id="vanishing_exploding.sigmoid_bound", chapter="vanishing_exploding", kind="symbolic",
        title="The bound on a sigmoid stack's gradient",
        statement="A stack of $d$ sigmoid layers $h_\\ell = \\sigma(W_\\ell h_{\\ell-1})$ has "
                  "$\\lVert W_\\ell \\rVert_2 \\le r$ at every layer. The chapter bounds "
                  "$\\lVert \\partial L / \\partial h_0 \\rVert / \\lVert \\partial L / \\partial h_d \\rVert$ "
                  "by the product over the layers of $\\lVert W_\\ell \\rVert_2$ and of "
                  "$\\max\\lvert f' \\rvert$. Give that bound for this stack, as an expression in `r` "
                  "and `d` (for instance the string `\"r**d\"`).",
        hint="Each layer contributes $\\lVert W_\\ell^\\top \\rVert_2 \\lVert D_\\ell \\rVert_2$, and "
             "$\\lVert D_\\ell \\rVert_2$ is at most the maximum of $\\sigma'$. Where is $\\sigma'$ "
             "largest, and what is its value there? (For which $r$ does the bound stop decaying "
             "with $d$?)",
        signature="an expression in r, d", solution=(r * ve.F_MAX["sigmoid"]) ** d,
        symbols={"r": r, "d": d}, witness=_agrees_with_the_chapters_bound,
        mistakes=(
            Mistake("the activation's factor dropped", "the factor max |sigma'| = 1/4 per layer is "
                    "missing: r^d bounds a tanh or ReLU stack, whose max |f'| is 1",
                    "vanishing_exploding.html#the-bound-step-by-step", r ** d),
            Mistake("1/4 once", "the factor 1/4 is applied once: every layer's D_l contributes its "
                    "own max |sigma'|, so the bound has (1/4)^d",
                    "vanishing_exploding.html#the-bound-step-by-step", r ** d / 4),
            Mistake("sigma(0) for the maximum of sigma'", "1/2 is sigma(0), not the maximum of "
                    "sigma': max sigma' = sigma'(0) = sigma(0)(1 - sigma(0)) = 1/4",
                    "activations.html#the-sigmoid", (r / 2) ** d),
        )),
    Exercise(
        id="vanishing_exploding.dh0", chapter="vanishing_exploding",
        title="The gradient through a stack of three layers",
        statement="Write `dh0(dh3, h0, W1, W2, W3)` returning $\\partial L / \\partial h_0$, shape "
                  "$(N, n)$, for the stack of three tanh layers $h_\\ell = \\tanh(h_{\\ell-1} W_\\ell^\\top)$, "
                  "$\\ell = 1, 2, 3$, batched one sample per row: $h_0 \\in \\mathbb{R}^{N \\times n}$, "
                  "every $W_\\ell \\in \\mathbb{R}^{n \\times n}$, no biases, and "
                  "`dh3` $= \\partial L / \\partial h_3 \\in \\mathbb{R}^{N \\times n}$ is given.",
        hint="Per sample, the chapter's product of Jacobians: "
             "$W_1^\\top D_1 W_2^\\top D_2 W_3^\\top D_3 \\, \\partial L / \\partial h_3$ with "
             "$D_\\ell = \\operatorname{diag}(\\tanh'(z_\\ell))$ and $\\tanh'(z_\\ell) = 1 - h_\\ell^2$. "
             "With one sample per row, $W_\\ell^\\top D_\\ell g$ becomes `(g * (1 - h**2)) @ W`.",
        signature="dh0(dh3, h0, W1, W2, W3) -> array (N, n)", solution=dh0, inputs=_inputs, sizes=SIZES,
        difficulty=2, witness=gradient_witness(_stack_loss, 1, _inputs, (4, 3)),
        mistakes=(
            Mistake("the diagonal on the wrong side", "D_l is applied after W_l^T: D_l scales the "
                    "outputs of layer l, so it multiplies the gradient before W_l^T does",
                    "vanishing_exploding.html#pitfalls", _wrong_side),
            Mistake("f' at the output", "tanh' is evaluated at the activation h_l instead of the "
                    "pre-activation z_l: tanh'(z_l) = 1 - h_l^2", "hadamard.html#pitfalls", _fprime_at_h),
            Mistake("W for W^T", "each layer multiplies by W_l instead of W_l^T (with one sample per "
                    "row, g @ W_l.T instead of g @ W_l): the shapes agree because W_l is square",
                    "vanishing_exploding.html#by-hand-one-layer-at-a-time", _transposed),
            Mistake("no D_l", "the activations' derivatives are missing: this is the gradient of a "
                    "linear stack, W_1^T W_2^T W_3^T dL/dh_3",
                    "vanishing_exploding.html#by-hand-one-layer-at-a-time", _no_fprime),
        )),
    Exercise(
        id="vanishing_exploding.small_weights_estimate", chapter="vanishing_exploding", kind="number",
        title="The mean-field estimate of a stack with too small weights",
        statement=f"The tanh panel of the chapter's figure of gradient norms per layer has a stack with too small weights, "
                  f"$\\operatorname{{Var}}(w) = {C_SMALL:g}/n$, of depth $d = {DEPTH}$ and width "
                  f"$n = {WIDTH}$. Its pre-activations stay near zero, where $\\tanh' \\approx 1$: "
                  f"take the mean of $\\tanh'(z_\\ell)^2$ to be 1 at every layer. What ratio "
                  f"$\\lVert \\partial L / \\partial h_0 \\rVert / \\lVert \\partial L / \\partial h_d \\rVert$ "
                  f"does the chapter's mean-field estimate give? (A number, such as "
                  f"`1e-12` or the string `\"0.5**20\"`.)",
        hint="Each layer multiplies the gradient's norm, not its squared norm, by "
             "$\\sqrt{n \\operatorname{Var}(w)\\, \\overline{f'(z_\\ell)^2}}$.",
        signature="the ratio", solution=ve.mean_field_value(C_SMALL, np.ones(DEPTH)),
        tolerance=1e-4, witness=_within_the_mean_field_factor,
        mistakes=(
            Mistake("no square root", "c^d multiplies the squared norm: the norm's factor per "
                    "layer is the square root of n Var(w) times the mean of f'^2",
                    "vanishing_exploding.html#the-typical-case-a-mean-field-estimate",
                    ve.mean_field_value(C_SMALL, np.ones(DEPTH)) ** 2),
            Mistake("ReLU's half", "half of the units is ReLU's share of active units; tanh passes "
                    "every unit with a slope near 1 at small pre-activations",
                    "vanishing_exploding.html#the-typical-case-a-mean-field-estimate",
                    ve.mean_field_value(C_SMALL, np.full(DEPTH, 0.5))),
            Mistake("one layer short", "the product runs over all d layers, l = 1 to d: each of "
                    "them multiplies the gradient once",
                    "vanishing_exploding.html#the-typical-case-a-mean-field-estimate",
                    ve.mean_field_value(C_SMALL, np.ones(DEPTH - 1))),
        )),
)
