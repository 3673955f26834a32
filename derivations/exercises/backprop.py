"""Exercises of the two-layer network chapter (backprop.html): batched gradients in NumPy, and
the backward pass's cost in SymPy.

The network and its loss are the chapter's: Z1 = X W1^T + b1, H = tanh(Z1),
Y_hat = H W2^T + b2, L = (1/N) sum_n 1/2 ||y_hat_n - y_n||^2; X (N, n), W1 (m, n), W2 (p, m).
The cost is the chapter's count of multiply-adds (symbolic.backprop.pass_costs), witnessed by the
count of NumPy's matrix products while the chapter's code runs (counted_passes).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..symbolic import backprop as backprop_sym
from . import Exercise, Mistake, gradient_witness

#: The sizes (N, n, m, p) at which an answer is tried: n != m != p, so that a transpose shows.
SIZES = ((4, 3, 5, 2), (7, 6, 4, 3), (1, 2, 3, 4))


def _inputs(rng, size):
    N, n, m, p = size
    return (rng.standard_normal((N, n)), rng.standard_normal((N, p)), rng.standard_normal((m, n)),
            rng.standard_normal(m), rng.standard_normal((p, m)), rng.standard_normal(p))


def _forward(X, Y, W1, b1, W2, b2):
    Z1 = X @ W1.T + b1
    H = np.tanh(Z1)
    return Z1, H, H @ W2.T + b2


def _delta1(X, Y, W1, b1, W2, b2, *, scale=1.0, fprime_at="Z1"):
    Z1, H, Y_hat = _forward(X, Y, W1, b1, W2, b2)
    Delta2 = scale * (Y_hat - Y) / len(X)
    at = Z1 if fprime_at == "Z1" else H
    return (Delta2 @ W2) * (1 - np.tanh(at) ** 2)


def _loss(X, Y, W1, b1, W2, b2):
    """The mean loss (1/N) sum_n 1/2 ||y_hat_n - y_n||^2, complex-step safe (the witnesses')."""
    return 0.5 * np.sum((_forward(X, Y, W1, b1, W2, b2)[2] - Y) ** 2) / len(X)


def dW1(X, Y, W1, b1, W2, b2):
    """dL/dW1 = Delta1^T X, Delta1 = (Delta2 W2) * tanh'(Z1), Delta2 = (Y_hat - Y)/N; (m, n)."""
    return _delta1(X, Y, W1, b1, W2, b2).T @ X


def dX(X, Y, W1, b1, W2, b2):
    """dL/dX = Delta1 W1; (N, n)."""
    return _delta1(X, Y, W1, b1, W2, b2) @ W1


_ARGS = (r"$X \in \mathbb{R}^{N \times n}$, $Y \in \mathbb{R}^{N \times p}$, "
         r"$W_1 \in \mathbb{R}^{m \times n}$, `b1` of shape $(m,)$, $W_2 \in \mathbb{R}^{p \times m}$, "
         r"`b2` of shape $(p,)$; the chapter's network $Z_1 = X W_1^\top + \mathbf{1} b_1^\top$, "
         r"$H = \tanh(Z_1)$, $\hat Y = H W_2^\top + \mathbf{1} b_2^\top$, with the mean loss "
         r"$L = \frac{1}{N} \sum_{s=1}^{N} \frac{1}{2} \lVert \hat y_s - y_s \rVert^2$ over the "
         r"samples $s$, the rows")


def db1(X, Y, W1, b1, W2, b2):
    """dL/db1 = Delta1^T 1, the rows of Delta1 summed over the batch; (m,)."""
    return _delta1(X, Y, W1, b1, W2, b2).sum(axis=0)


def _db1_no_fprime(X, Y, W1, b1, W2, b2):
    return ((_forward(X, Y, W1, b1, W2, b2)[2] - Y) / len(X) @ W2).sum(axis=0)


#: The widths n0, ..., n3 of the three-layer network of backprop.backward_cost.
n0, n1, n2, n3 = sp.symbols("n0 n1 n2 n3", positive=True, integer=True)
_WIDTHS = {str(s): s for s in (n0, n1, n2, n3)}
#: Widths at which the witness counts NumPy's multiply-adds (n0 n1 != n2 n3, so that every
#: catalogued count differs from the right one).
_COUNTED_WIDTHS = ((3, 5, 4, 2), (6, 2, 7, 3), (2, 8, 3, 5))


def _backward_cost(key="backward"):
    return backprop_sym.pass_costs(n0, n1, n2, n3)[key]


def _counts_agree(answer) -> bool:
    """The answer, at each of _COUNTED_WIDTHS, equals the multiply-adds NumPy's matrix products
    perform in the backward pass of the chapter's deep network code (counted while it runs)."""
    expr = sp.sympify(answer, locals=_WIDTHS)
    for widths in _COUNTED_WIDTHS:
        counted = backprop_sym.counted_passes(widths)["backward"]
        if expr.subs(dict(zip((n0, n1, n2, n3), widths))) != counted:
            return False
    return True


_F = n0 * n1 + n1 * n2 + n2 * n3

EXERCISES = (
    Exercise(
        id="backprop.dW1", chapter="backprop", title="The first layer's weight gradient, batched",
        statement=r"Write `dW1(X, Y, W1, b1, W2, b2)` returning $\partial L / \partial W_1$, shape "
                  r"$(m, n)$. Arguments: " + _ARGS + ".",
        hint=r"$\Delta_2 = (\hat Y - Y)/N$; $\Delta_1 = (\Delta_2 W_2) \odot f'(Z_1)$ with "
             r"$f = \tanh$; the weight gradient is an outer product summed over the batch, with "
             r"the shape of $W_1$.",
        signature="dW1(X, Y, W1, b1, W2, b2) -> array (m, n)", solution=dW1,
        inputs=_inputs, sizes=SIZES, difficulty=2, witness=gradient_witness(_loss, 2, _inputs, (5, 3, 4, 2)),
        mistakes=(
            Mistake("transposed", "the transpose of dL/dW1: X^T Delta1 has shape (n, m), W1 has (m, n)",
                    "backprop.html#pitfalls", lambda *a: dW1(*a).T),
            Mistake("no 1/N", "the 1/N of the mean loss is missing: this is the gradient of the sum",
                    "backprop.html#a-batch-of-samples", lambda *a: len(a[0]) * dW1(*a)),
            Mistake("1/N twice", "the 1/N is applied twice: it belongs in Delta2 only, the matrix "
                    "product already sums over the batch", "backprop.html#a-batch-of-samples",
                    lambda *a: dW1(*a) / len(a[0])),
            Mistake("f' at the output", "f' is taken at the activation H instead of the "
                    "pre-activation Z1", "backprop.html#pitfalls",
                    lambda *a: _delta1(*a, fprime_at="H").T @ a[0]),
            Mistake("sign", "the sign is flipped: Delta2 is Y_hat - Y, not Y - Y_hat",
                    "losses.html#mean-squared-error", lambda *a: -dW1(*a)),
        )),
    Exercise(
        id="backprop.dX", chapter="backprop", title="The gradient with respect to the input",
        statement=r"Write `dX(X, Y, W1, b1, W2, b2)` returning $\partial L / \partial X$, shape "
                  r"$(N, n)$: the product the backward pass usually skips. Arguments: " + _ARGS + ".",
        hint=r"The chain rule through $Z_1 = X W_1^\top + \mathbf{1} b_1^\top$: each sample's "
             r"$\delta_1^\top$, a row of $\Delta_1$, times $W_1$.",
        signature="dX(X, Y, W1, b1, W2, b2) -> array (N, n)", solution=dX,
        inputs=_inputs, sizes=SIZES, difficulty=1, witness=gradient_witness(_loss, 0, _inputs, (5, 3, 4, 2)),
        mistakes=(
            Mistake("no 1/N", "the 1/N of the mean loss is missing: this is the gradient of the sum",
                    "backprop.html#a-batch-of-samples", lambda *a: len(a[0]) * dX(*a)),
            Mistake("f' at the output", "f' is taken at the activation H instead of the "
                    "pre-activation Z1", "backprop.html#pitfalls",
                    lambda *a: _delta1(*a, fprime_at="H") @ a[2]),
            Mistake("no f'", "the activation's derivative is missing: Delta2 W2 is dL/dH, not dL/dZ1",
                    "hadamard.html#why-it-appears-in-backpropagation",
                    lambda X, Y, W1, b1, W2, b2: ((_forward(X, Y, W1, b1, W2, b2)[2] - Y) / len(X)) @ W2 @ W1),
        )),
    Exercise(
        id="backprop.db1", chapter="backprop", title="The first layer's bias gradient, batched",
        statement=r"Write `db1(X, Y, W1, b1, W2, b2)` returning $\partial L / \partial b_1$ as a 1-D "
                  r"array of shape $(m,)$, the shape of `b1`. Arguments: " + _ARGS + ".",
        hint=r"In $z_1 = W_1 x + b_1$ the bias has the coefficient 1 where the weight "
             r"$(W_1)_{ij}$ has $x_j$: each sample contributes its $\delta_1$, and the bias, shared "
             r"by all the samples, sums them, $\Delta_1^\top \mathbf{1}$.",
        signature="db1(X, Y, W1, b1, W2, b2) -> array (m,)", solution=db1,
        inputs=_inputs, sizes=SIZES, difficulty=1, witness=gradient_witness(_loss, 3, _inputs, (5, 3, 4, 2)),
        mistakes=(
            Mistake("mean taken again", "the rows of Delta1 are averaged: Delta1 already carries the "
                    "1/N of the mean loss, so the bias gradient is their sum", "backprop.html#a-batch-of-samples",
                    lambda *a: db1(*a) / len(a[0])),
            Mistake("batch axis kept", "the batch axis is kept: this is Delta1, one row per sample; "
                    "dL/db1 has the shape (m,) of b1, the sum of those rows",
                    "backprop.html#a-batch-of-samples", _delta1),
            Mistake("no 1/N", "the 1/N of the mean loss is missing: this is the gradient of the sum",
                    "backprop.html#a-batch-of-samples", lambda *a: len(a[0]) * db1(*a)),
            Mistake("no f'", "the activation's derivative is missing: Delta2 W2 is dL/dH, not dL/dZ1",
                    "hadamard.html#why-it-appears-in-backpropagation", _db1_no_fprime),
            Mistake("f' at the output", "f' is taken at the activation H instead of the "
                    "pre-activation Z1", "backprop.html#pitfalls",
                    lambda *a: _delta1(*a, fprime_at="H").sum(axis=0)),
        )),
    Exercise(
        id="backprop.backward_cost", chapter="backprop", kind="symbolic",
        title="The backward pass's cost, counted",
        statement=r"A network of $d = 3$ affine layers with widths $n_0, n_1, n_2, n_3$ "
                  r"($W_\ell \in \mathbb{R}^{n_\ell \times n_{\ell-1}}$) backpropagates one sample: it "
                  r"computes every weight gradient $\partial L / \partial W_\ell$, and the gradients "
                  r"they need, but not $\partial L / \partial x$. Count the multiply-adds of its matrix "
                  r"products (a product of an $a \times b$ and a $b \times c$ matrix costs $a b c$; the "
                  r"activations, $f'$, the Hadamard products, the biases and the loss are not "
                  r"counted). Give the count as an expression in `n0`, `n1`, `n2`, `n3`.",
        hint=r"The forward pass costs $F = n_0 n_1 + n_1 n_2 + n_2 n_3$. Going backwards, each layer "
             r"computes its weight gradient $\delta_\ell a_{\ell-1}^\top$, and passes "
             r"$W_\ell^\top \delta_\ell$ down to the layer below, if there is one that needs it.",
        signature="an expression in n0, n1, n2, n3", solution=_backward_cost(), symbols=_WIDTHS,
        difficulty=2, witness=_counts_agree,
        mistakes=(
            Mistake("dL/dx computed", "this is 2F, the cost with dL/dx: the first layer passes "
                    "nothing down, so its product W1^T delta1, n0 n1 multiply-adds, is skipped",
                    "backprop.html#why-backwards-counting-the-cost", _backward_cost("backward_with_dx")),
            Mistake("weight gradients only", "only the weight gradients are counted: every layer "
                    "above the first also passes W^T delta down, a second product the size of its "
                    "forward one", "backprop.html#why-backwards-counting-the-cost", _F),
            Mistake("the last layer skipped", "the last layer's product is dropped instead of the "
                    "first's: the output layer passes its delta down, it is the first layer that "
                    "has no one to pass it to", "backprop.html#why-backwards-counting-the-cost",
                    2 * _F - n2 * n3),
        )),
)
