"""Gradient descent and minibatch SGD on parameter dicts, and a least-squares model to run them on.

A ``loss_and_grads(params, X, Y) -> (loss, grads)`` function (such as
:func:`derivations.numeric.backprop.two_layer_loss_and_grads`) is all they need; ``grads``
has the keys and shapes of ``params``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import float_array, ndim, real_number, scalar, sum_of_squares
from .backprop import affine_backward, affine_forward

__all__ = ["gd_step", "gradient_descent", "sgd", "least_squares_loss_and_grads"]


def gd_step(params: dict, grads: dict, lr: float) -> dict:
    """theta <- theta - lr * dL/dtheta for every parameter; returns new arrays."""
    lr = real_number(lr, "lr", positive=True)
    for name, d in (("params", params), ("grads", grads)):
        if not isinstance(d, dict):
            raise TypeError(f"{name} must be a dict of arrays, got {type(d).__name__}")
    if set(params) != set(grads):
        raise ValueError(f"grads must have the keys of params {sorted(params)}, got {sorted(grads)}")
    out = {}
    for k, p in params.items():
        p = float_array(p, f"params['{k}']")
        g = float_array(grads[k], f"grads['{k}']")
        if g.shape != np.shape(p):
            raise ValueError(f"grads['{k}'] has shape {g.shape}, params['{k}'] has {np.shape(p)}")
        out[k] = p - lr * g
    return out


def gradient_descent(loss_and_grads: Callable, params: dict, X: ArrayLike, Y: ArrayLike, lr: float,
                     steps: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Full-batch gradient descent; returns (params, losses) with losses[k] the loss before step k."""
    losses = []
    for _ in range(steps):
        loss, grads = loss_and_grads(params, X, Y)
        losses.append(loss)
        params = gd_step(params, grads, lr)
    return params, np.array(losses)


def sgd(loss_and_grads: Callable, params: dict, X: ArrayLike, Y: ArrayLike, lr: float | Callable[[int], float],
        epochs: int, batch_size: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Minibatch SGD: each epoch shuffles the N rows and steps once per batch.

    ``lr`` is a positive number, or a function of the epoch e = 0, 1, ... returning one (a
    decaying schedule such as ``lambda e: 0.05 / (1 + e)``).
    Returns (params, epoch_losses) where epoch_losses[e] is the full-data loss before
    epoch e (and the last entry after the final epoch), comparable with gradient descent.
    """
    X, Y = float_array(X, "X"), float_array(Y, "Y")
    if len(X) != len(Y):
        raise ValueError(f"X and Y must have the same number of rows, got {len(X)} and {len(Y)}")
    if not (isinstance(batch_size, (int, np.integer)) and 1 <= batch_size <= len(X)):
        raise ValueError(f"batch_size must be an integer in [1, {len(X)}], got {batch_size!r}")
    losses = [loss_and_grads(params, X, Y)[0]]
    for epoch in range(epochs):
        rate = lr(epoch) if callable(lr) else lr
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            idx = order[start:start + batch_size]
            _, grads = loss_and_grads(params, X[idx], Y[idx])
            params = gd_step(params, grads, rate)
        losses.append(loss_and_grads(params, X, Y)[0])
    return params, np.array(losses)


def least_squares_loss_and_grads(params: dict, X: ArrayLike, Y: ArrayLike) -> tuple[float, dict[str, np.ndarray]]:
    """L = (1/N) sum_i 1/2 ||W x_i + b - y_i||^2 for params W (p, n), b (p,); X (N, n), Y (N, p)."""
    if not isinstance(params, dict) or set(params) != {"W", "b"}:
        raise ValueError(f"params must be a dict with keys W, b, got {params!r:.60}")
    X, W, b = float_array(X, "X"), float_array(params["W"], "params['W']"), float_array(params["b"], "params['b']")
    ndim(X, "X", 2, "(N, n)")
    ndim(W, "params['W']", 2, "(p, n)")
    if X.shape[1] != W.shape[1] or b.shape != (W.shape[0],):
        raise ValueError(f"X (N, n), params['W'] (p, n) and params['b'] (p,) do not fit: "
                         f"got {X.shape}, {W.shape}, {b.shape}")
    Y_hat, cache = affine_forward(X, W, b)
    Y = float_array(Y, "Y")
    if Y.shape != Y_hat.shape:
        raise ValueError(f"Y must have shape (N, p) = {Y_hat.shape}, got {Y.shape}")
    diff = Y_hat - Y
    N = len(Y)
    _, dW, db = affine_backward(diff / N, cache)
    return scalar(0.5 * sum_of_squares(diff) / N), {"W": dW, "b": db}
