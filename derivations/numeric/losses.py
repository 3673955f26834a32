"""Loss functions with their gradients, averaged over the batch, stable for any logits.

Each returns ``(loss, gradient)``, the gradient with respect to the first argument and of
its shape. Logits of +-1e4 give finite losses and gradients with no RuntimeWarning: the
cross-entropies are computed from logits through log-sum-exp, never through exp(z) or
log(p) of a probability that has under- or overflowed.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import class_labels, float_array, ndim, same_shape
from .activations import sigmoid

__all__ = ["mse", "log_softmax", "softmax", "softmax_cross_entropy",
           "binary_cross_entropy_with_logits"]


def mse(y_hat: ArrayLike, y: ArrayLike) -> tuple[float, np.ndarray]:
    """Mean squared error over all n entries: L = (1/n) sum_i (y_hat_i - y_i)^2.

    Returns (L, dL/dy_hat) with dL/dy_hat = (2/n)(y_hat - y), a vector like y_hat (no sum).
    Any shape; for a batch (N, K), n = N K, as in PyTorch's ``MSELoss()``.
    """
    y_hat, y = float_array(y_hat, "y_hat"), float_array(y, "y")
    same_shape(y_hat, "y_hat", y, "y")
    if y_hat.size == 0:
        raise ValueError("y_hat must not be empty")
    diff = y_hat - y
    n = diff.size
    return float(np.sum(diff**2) / n), 2 * diff / n


def log_softmax(logits: ArrayLike) -> np.ndarray:
    """log softmax(z)_k = z_k - logsumexp(z), along the last axis, shifted by max(z)."""
    z = float_array(logits, "logits")
    shifted = z - np.max(z, axis=-1, keepdims=True)   # <= 0: exp cannot overflow
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def softmax(logits: ArrayLike) -> np.ndarray:
    """softmax(z)_k = exp(z_k) / sum_j exp(z_j), along the last axis, computed stably."""
    return np.exp(log_softmax(logits))


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> tuple[float, np.ndarray]:
    """L = (1/N) sum_n -log softmax(z_n)[label_n], for logits (N, C) and integer labels (N,).

    Returns (L, dL/dlogits) with dL/dlogits = (softmax(z) - onehot(labels)) / N, shape (N, C).
    """
    z = float_array(logits, "logits")
    ndim(z, "logits", 2, "(N, C)")
    N, C = z.shape
    if N == 0 or C == 0:
        raise ValueError(f"logits must have N >= 1 rows and C >= 1 classes, got {z.shape}")
    labels = class_labels(labels, "labels", (N,), C)
    logp = log_softmax(z)
    rows = np.arange(N)
    loss = -np.sum(logp[rows, labels]) / N
    dz = np.exp(logp)
    dz[rows, labels] -= 1
    return float(loss), dz / N


def binary_cross_entropy_with_logits(logits: ArrayLike, targets: ArrayLike) -> tuple[float, np.ndarray]:
    """L = mean of -[t log sigma(z) + (1 - t) log(1 - sigma(z))] over all entries.

    Computed as max(z, 0) - z t + log(1 + e^-abs(z)). Targets may be soft, in [0, 1].
    Returns (L, dL/dz) with dL/dz = (sigma(z) - t) / n, n the number of entries.
    """
    z, t = float_array(logits, "logits"), float_array(targets, "targets")
    same_shape(z, "logits", t, "targets")
    if z.size == 0:
        raise ValueError("logits must not be empty")
    if np.any((t < 0) | (t > 1)):
        raise ValueError("targets must lie in [0, 1]")
    n = z.size
    per_entry = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    return float(np.sum(per_entry) / n), (sigmoid(z) - t) / n
