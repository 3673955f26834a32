"""Exercises of the two-layer network chapter (backprop.html): batched gradients in NumPy.

The network and its loss are the chapter's: Z1 = X W1^T + b1, H = tanh(Z1),
Y_hat = H W2^T + b2, L = (1/N) sum_n 1/2 ||y_hat_n - y_n||^2; X (N, n), W1 (m, n), W2 (p, m).
"""

from __future__ import annotations

import numpy as np

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


_ARGS = ("X (N, n), Y (N, p), W1 (m, n), b1 (m,), W2 (p, m), b2 (p,); "
         "the chapter's network with f = tanh and the mean loss (1/N) sum 1/2 ||y_hat - y||^2")

EXERCISES = (
    Exercise(
        id="backprop.dW1", chapter="backprop", title="The first layer's weight gradient, batched",
        statement="Write `dW1(X, Y, W1, b1, W2, b2)` returning dL/dW1, shape (m, n). " + _ARGS + ".",
        hint="Delta2 = (Y_hat - Y)/N; Delta1 = (Delta2 W2) ⊙ f'(Z1); the weight gradient is an "
             "outer product summed over the batch, with the shape of W1.",
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
        statement="Write `dX(X, Y, W1, b1, W2, b2)` returning dL/dX, shape (N, n), the product the "
                  "backward pass usually skips. " + _ARGS + ".",
        hint="The chain rule through Z1 = X W1^T + b1: the row vector of each sample's delta times W1.",
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
)
