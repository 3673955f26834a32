"""Exercises of the normalization chapter (normalization.html): batch norm's backward pass in NumPy.

Batch norm in training mode, per feature (column) of x (N, D): x_hat = (x - mu)/s with
s = sqrt(var + eps), var the biased (1/N) batch variance, o = gamma x_hat + beta.
"""

from __future__ import annotations

import numpy as np

from . import Exercise, Mistake, gradient_witness

EPS = 1e-5
#: The sizes (N, D) at which an answer is tried.
SIZES = ((5, 3), (8, 1), (2, 4))


def _inputs(rng, size):
    N, D = size
    return (rng.standard_normal((N, D)), rng.normal(1.0, 2.0, (N, D)), rng.normal(1.0, 0.5, D))


def _stats(x, ddof=0):
    mu = x.mean(axis=0)
    s = np.sqrt(x.var(axis=0, ddof=ddof) + EPS)
    return (x - mu) / s, s


def _loss(dout, x, gamma):
    """sum(dout * o) for o = gamma x_hat (beta drops out), complex-step safe: the variance is a mean
    of squares, not np.var (which takes absolute values)."""
    d = x - x.mean(axis=0)
    return np.sum(dout * gamma * d / np.sqrt((d ** 2).mean(axis=0) + EPS))


def dx(dout, x, gamma):
    """dL/dx = gamma/s (dout - mean(dout) - x_hat mean(dout x_hat)), per column; (N, D)."""
    x_hat, s = _stats(x)
    return gamma / s * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0))


def _constant_statistics(dout, x, gamma):
    return gamma / _stats(x)[1] * dout


def _no_mean_path(dout, x, gamma):
    x_hat, s = _stats(x)
    return gamma / s * (dout - x_hat * (dout * x_hat).mean(axis=0))


def _unbiased(dout, x, gamma):
    N = len(x)
    x_hat, s = _stats(x, ddof=1)
    return gamma / s * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).sum(axis=0) / (N - 1))


EXERCISES = (
    Exercise(
        id="normalization.batchnorm_dx", chapter="normalization",
        title="Batch norm's backward pass",
        statement="Write `dx(dout, x, gamma)` returning dL/dx for batch norm in training mode, per "
                  "feature (column) of x (N, D), with the biased batch variance and eps = 1e-5; "
                  "dout = dL/do (N, D), gamma (D,).",
        hint="Three paths from x_i to the loss: directly, through the mean, through the variance; "
             "the deviations from the batch mean sum to zero.",
        signature="dx(dout, x, gamma) -> array (N, D)", solution=dx, inputs=_inputs, sizes=SIZES,
        difficulty=3, witness=gradient_witness(_loss, 1, _inputs, (6, 3)),
        mistakes=(
            Mistake("statistics held constant", "the mean and the variance are treated as constants: "
                    "only the first of the three terms", "normalization.html#batch-normalization",
                    _constant_statistics),
            Mistake("no path through the mean", "the path through the mean is missing (the term "
                    "-mean(dL/do))", "normalization.html#batch-normalization", _no_mean_path),
            Mistake("unbiased variance", "the gradient of batch norm with the unbiased (N - 1) "
                    "variance: training mode normalizes with the biased one",
                    "normalization.html#pitfalls", _unbiased),
        )),
)
