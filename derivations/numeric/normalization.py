"""z-score, batch normalization and layer normalization, forward and backward.

Conventions: the variance is the population (biased) variance, 1/n; ``eps`` is added to
the variance inside the square root, in the forward and the backward pass alike. Batch
norm (training mode) normalizes x (N, D) over the batch, axis 0; layer norm normalizes
over the last axis, for any leading shape. ``gamma`` and ``beta`` have shape (D,).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._validate import cache_of, float_array, frozen, frozen_copies, ndim, real_number, working_precision

__all__ = ["zscore", "NormCache", "batchnorm_forward", "batchnorm_backward",
           "layernorm_forward", "layernorm_backward"]


def zscore(x: ArrayLike) -> np.ndarray:
    """(x - mean) / std over all entries of a 1-D array, population std (1/n)."""
    x = float_array(x, "x")
    ndim(x, "x", 1, "(n,)")
    if x.size < 2:
        raise ValueError(f"x must have at least 2 entries to be standardized, got {x.size}")
    std = x.std()
    if std == 0:
        raise ValueError("x is constant: its standard deviation is 0")
    return (x - x.mean()) / std


class NormCache(NamedTuple):
    """What the backward passes need: x_hat, 1/sqrt(var + eps), gamma and the axis."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    axis: int


def _affine_params(gamma, beta, D: int):
    gamma, beta = float_array(gamma, "gamma"), float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (D,):
            raise ValueError(f"{name} must have shape (D,) = ({D},), got {p.shape}")
    return gamma, beta


def _normalize(x, gamma, beta, eps, axis):
    out_dtype = np.result_type(x, gamma, beta)
    x = working_precision(x)
    # The statistics are accumulated in float64: a float32 sum down a column of 4096 rows with
    # mean 1e3 is off by ~1e-3 (measured 2.6e-3 in the normalized output).
    mean = np.mean(x, axis=axis, keepdims=True, dtype=np.float64)
    xc = x - mean.astype(x.dtype)
    var = np.mean(np.square(xc), axis=axis, keepdims=True, dtype=np.float64)   # biased: 1/n
    inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype)
    x_hat = xc * inv_std
    out = (gamma * x_hat + beta).astype(out_dtype, copy=False)
    return out, NormCache(*frozen(x_hat, inv_std), *frozen_copies(gamma), axis)


def _backward(dout, cache: NormCache, forward: str, axis: int):
    """dx = (1/(n sqrt(var+eps))) (n g - sum(g) - x_hat sum(g x_hat)), g = dout * gamma; the
    sums accumulated in float64, the gradients in the dtype of dout and gamma."""
    cache = cache_of(cache, NormCache, forward)
    if cache.axis != axis:
        other = "layernorm_forward" if axis == 0 else "batchnorm_forward"
        raise TypeError(f"cache must be the NormCache that {forward} returns, got one of {other}")
    dout = float_array(dout, "dout")
    if dout.shape != cache.x_hat.shape:
        raise ValueError(f"dout must have the shape of x, {cache.x_hat.shape}, got {dout.shape}")
    out_dtype = np.result_type(dout, cache.gamma)
    work = cache.x_hat.dtype
    d = dout.astype(np.promote_types(dout.dtype, work), copy=False)
    ax = cache.axis
    n = dout.shape[ax]
    g = d * cache.gamma                                      # dL/dx_hat
    sum_g = np.sum(g, axis=ax, keepdims=True, dtype=np.float64).astype(g.dtype)
    sum_gx = np.sum(g * cache.x_hat, axis=ax, keepdims=True, dtype=np.float64).astype(g.dtype)
    dx = cache.inv_std / n * (n * g - sum_g - cache.x_hat * sum_gx)
    param_axes = tuple(range(dout.ndim - 1))                 # every axis but the features
    dgamma = np.sum(d * cache.x_hat, axis=param_axes, dtype=np.float64)
    dbeta = np.sum(d, axis=param_axes, dtype=np.float64)
    return tuple(a.astype(out_dtype, copy=False) for a in (dx, dgamma, dbeta))


def batchnorm_forward(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike,
                      eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """y = gamma x_hat + beta, x_hat = (x - mean_batch) / sqrt(var_batch + eps); x (N, D).

    Training mode: the statistics are the batch's own. N must be at least 2: with one
    sample, x - mean is exactly 0, the output is beta whatever x is, and the gradient with
    respect to x is 0; PyTorch refuses it too.
    """
    x = float_array(x, "x")
    ndim(x, "x", 2, "(N, D)")
    if x.shape[0] < 2:
        raise ValueError(f"x must have N >= 2 rows for batch statistics, got N = {x.shape[0]}: "
                         "with N = 1 the output is beta for every input and dL/dx is 0")
    if x.shape[1] == 0:
        raise ValueError(f"x must have at least one feature (D >= 1), got shape {x.shape}")
    gamma, beta = _affine_params(gamma, beta, x.shape[1])
    return _normalize(x, gamma, beta, real_number(eps, "eps", positive=True), axis=0)


def batchnorm_backward(dout: ArrayLike, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for :func:`batchnorm_forward`; shapes (N, D), (D,), (D,)."""
    return _backward(dout, cache, "batchnorm_forward", 0)


def layernorm_forward(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike,
                      eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """y = gamma x_hat + beta, x_hat normalized over the last axis (D features); x (..., D)."""
    x = float_array(x, "x")
    if x.ndim < 1 or x.shape[-1] < 2:
        raise ValueError(f"x must have at least 2 features on its last axis, got shape {x.shape}")
    gamma, beta = _affine_params(gamma, beta, x.shape[-1])
    return _normalize(x, gamma, beta, real_number(eps, "eps", positive=True), axis=-1)


def layernorm_backward(dout: ArrayLike, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for :func:`layernorm_forward`; shapes (..., D), (D,), (D,)."""
    return _backward(dout, cache, "layernorm_forward", -1)
