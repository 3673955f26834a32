"""Loss functions with their gradients, averaged over the batch, stable for any logits.

Each returns ``(loss, gradient)``, the gradient with respect to the first argument, of its
shape and dtype; the loss is a Python float summed in float64. Logits of +-1e4 give finite
losses and gradients with no RuntimeWarning in float16, float32 and float64: the
cross-entropies are computed from logits through log-sum-exp, never through exp(z) or log(p)
of a probability that has under- or overflowed, float16 input is computed in float32 (a
float16 z - max(z) overflows past 65504), and the batch sums are accumulated in float64 (a
float16 sum of a few losses of 2e4 is inf).

Complex128 input (the complex step) gives the analytic continuation: the loss is then a
Python complex, summed in complex128, the gradient complex, and the stabilizing choices
(the max subtracted in log-sum-exp, the branch of the logistic loss) are made on the real
part, so that they do not depend on the imaginary step.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._validate import (accumulation_dtype, class_labels, complex_if, float_array, float_array_unscanned,
                        finite_by_sum, ndim, same_shape, scalar, working_precision)

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
    diff = working_precision(y_hat) - working_precision(y)
    n = diff.size
    # np.square(diff) is diff * diff, not abs(diff)^2: analytic for complex input
    loss = np.sum(np.square(diff), dtype=accumulation_dtype(diff)) / n
    return scalar(loss), (2 * diff / n).astype(complex_if(y_hat.dtype, y), copy=False)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    # <= 0 in its real part: exp cannot overflow. The max of the real part: the shift cancels
    # in exact arithmetic, and for complex input it must not depend on the imaginary step.
    shifted = z - np.max(z.real, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def log_softmax(logits: ArrayLike) -> np.ndarray:
    """log softmax(z)_k = z_k - logsumexp(z), along the last axis, shifted by max(z); in the
    logits' dtype (computed in at least float32)."""
    z = float_array(logits, "logits")
    return _log_softmax(working_precision(z)).astype(z.dtype, copy=False)


def softmax(logits: ArrayLike) -> np.ndarray:
    """softmax(z)_k = exp(z_k) / sum_j exp(z_j), along the last axis, computed stably; in the
    logits' dtype (computed in at least float32)."""
    z = float_array(logits, "logits")
    return np.exp(_log_softmax(working_precision(z))).astype(z.dtype, copy=False)


def softmax_cross_entropy(logits: ArrayLike, labels: ArrayLike) -> tuple[float, np.ndarray]:
    """L = (1/N) sum_n -log softmax(z_n)[label_n], for logits (N, C) and integer labels (N,).

    Returns (L, dL/dlogits) with dL/dlogits = (softmax(z) - onehot(labels)) / N, shape (N, C).
    """
    given = float_array_unscanned(logits, "logits")
    ndim(given, "logits", 2, "(N, C)")
    N, C = given.shape
    if N == 0 or C == 0:
        raise ValueError(f"logits must have N >= 1 rows and C >= 1 classes, got {given.shape}")
    labels = class_labels(labels, "labels", (N,), C)
    z = working_precision(given)
    acc = accumulation_dtype(z)
    # The NaN/inf check of the logits, folded into row sums (a NaN or inf entry makes its row's
    # sum NaN or inf; np.einsum raises no warning on the way). If finite logits overflow the
    # sum, nothing below depends on it: finite_by_sum has scanned them, and the loss goes on.
    finite_by_sum(np.einsum("ij->i", z, dtype=None if z.dtype == acc else acc), z, "logits")
    rows = np.arange(N)
    # z - max(z) <= 0 (its real part), so exp cannot overflow; a difference beyond the float
    # range is -inf, whose exp is the 0 it rounds to. p is ours: it becomes dL/dz in place.
    with np.errstate(over="ignore"):
        p = np.subtract(z, np.max(z.real, axis=1, keepdims=True))
    shifted_label = p[rows, labels]
    np.exp(p, out=p)
    total = np.einsum("ij->i", p, dtype=None if p.dtype == acc else acc)     # >= 1: the max contributes 1
    # -log softmax(z)[label] = log(total) - shifted_label, a sum of two terms >= 0: no cancellation
    loss = (np.sum(np.log(total)) - np.sum(shifted_label, dtype=acc)) / N
    p *= (1 / (N * total)).astype(p.dtype, copy=False)[:, None]          # softmax / N
    p[rows, labels] -= 1 / N
    return scalar(loss), p.astype(given.dtype, copy=False)


def binary_cross_entropy_with_logits(logits: ArrayLike, targets: ArrayLike) -> tuple[float, np.ndarray]:
    """L = mean of -[t log sigma(z) + (1 - t) log(1 - sigma(z))] over all entries.

    Computed as max(z, 0) - z t + log(1 + e^-abs(z)), for complex z with max and abs taken
    along the sign of the real part (the analytic continuation). Targets may be soft, in
    [0, 1]. Returns (L, dL/dz) with dL/dz = (sigma(z) - t) / n, n the number of entries.
    """
    z, t = float_array(logits, "logits"), float_array(targets, "targets")
    same_shape(z, "logits", t, "targets")
    if z.size == 0:
        raise ValueError("logits must not be empty")
    if np.any((t.real < 0) | (t.real > 1)):
        raise ValueError("targets must lie in [0, 1]")
    n = z.size
    zw, tw = working_precision(z), working_precision(t)
    nonneg = zw.real >= 0
    e = np.exp(np.where(nonneg, -zw, zw))          # e^-abs(z): in (0, 1], never overflows
    per_entry = np.where(nonneg, zw, 0) - zw * tw + np.log1p(e)
    r = 1 / (1 + e)
    sigma = np.where(nonneg, r, e * r)             # activations.sigmoid's form: 1/(1 + e) or e/(1 + e)
    loss = np.sum(per_entry, dtype=accumulation_dtype(per_entry)) / n
    return scalar(loss), ((sigma - tw) / n).astype(complex_if(z.dtype, t), copy=False)
