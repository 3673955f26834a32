"""z-score, batch normalization and layer normalization, forward and backward.

Conventions: the variance is the population (biased) variance, 1/n; ``eps`` is added to
the variance inside the square root, in the forward and the backward pass alike. Batch
norm normalizes x (N, D) over the batch, axis 0: in training mode with the batch's own
statistics, in inference mode with running ones (:class:`RunningStats`, PyTorch's
conventions); :func:`batchnorm2d_forward` normalizes a feature map (N, C, H, W) per channel,
over (N, H, W), as PyTorch's BatchNorm2d. Layer norm normalizes over the trailing axes of x that ``gamma``'s shape
names (PyTorch's ``normalized_shape``), for any leading shape. ``gamma`` and ``beta`` have
shape (D,) for batch norm, the normalized shape for layer norm.

The statistics are accumulated in float64, or complex128 for complex input: complex128 is
accepted for the complex step, and every kernel is the analytic continuation of the real
one (the variance is the mean of xc * xc, not of abs(xc)^2). Speed: the kernels allocate
little more than the arrays they return, update their own arrays in place, and check x and
dout for NaN and inf through a sum they compute anyway (``_validate.finite_by_sum``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._validate import (accumulation_dtype, cache_of, complex_if, float_array, float_array_unscanned, finite_by_sum,
                        frozen, frozen_copies, ndim, real_number, too_large, working_precision)

__all__ = ["zscore", "NormCache", "RunningStats", "batchnorm_forward", "batchnorm_backward",
           "ChannelCache", "batchnorm2d_forward", "batchnorm2d_backward", "layernorm_forward", "layernorm_backward"]


def zscore(x: ArrayLike) -> np.ndarray:
    """(x - mean) / std over all entries of a 1-D array, population std (1/n); for complex
    input std = sqrt(mean((x - mean)^2)), the analytic continuation."""
    x = float_array(x, "x")
    ndim(x, "x", 1, "(n,)")
    if x.size < 2:
        raise ValueError(f"x must have at least 2 entries to be standardized, got {x.size}")
    out_dtype = x.dtype
    x = x.astype(accumulation_dtype(x), copy=False)   # float16 squares overflow above 256
    xc = x - x.mean()
    # For float64 x this is x.std() to the bit (NumPy's std squares and sums the same way); for
    # complex x, xc * xc rather than abs(xc)^2 keeps it analytic.
    std = np.sqrt(np.mean(xc * xc))
    if std.real == 0:       # a complex step off a constant x has std = 0 + i(...): refused too
        raise ValueError("x is constant: its standard deviation is 0")
    return (xc / std).astype(out_dtype, copy=False)


class NormCache(NamedTuple):
    """What the backward passes need: x_hat, 1/sqrt(var + eps) (broadcastable against x_hat),
    gamma, the normalized axes ((0,) for batch norm, the trailing ones as negative numbers for
    layer norm) and whether the statistics were running ones (batch norm in inference mode:
    constants, so the backward pass has no path through them)."""

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    axis: tuple[int, ...]
    running: bool = False


class RunningStats(NamedTuple):
    """Batch norm's running estimates of each feature's mean and variance, both (D,)."""

    mean: np.ndarray
    var: np.ndarray

    @classmethod
    def start(cls, D: int, dtype: np.dtype | type = np.float64) -> RunningStats:
        """PyTorch's initial estimates for D features: mean 0, variance 1."""
        if isinstance(D, bool) or not isinstance(D, (int, np.integer)) or D < 1:
            raise ValueError(f"D must be a positive integer, got {D!r}")
        return cls(np.zeros(D, dtype), np.ones(D, dtype))


# ------------------------------------------------------------------ sums in the statistics' precision

def _sum_down(a: np.ndarray, acc) -> np.ndarray:
    """Sums over axis 0 of a 2-D array, in dtype ``acc``."""
    if a.dtype == acc:
        # a matrix-vector product with ones (BLAS) is the fastest float64 sum down the rows
        with np.errstate(over="ignore", invalid="ignore"):    # inf - inf: finite_by_sum reports it
            return np.ones(a.shape[0], acc) @ a
    return np.add.reduce(a, axis=0, dtype=acc)


def _einsum(spec: str, *arrays: np.ndarray, acc=None) -> np.ndarray:
    """np.einsum accumulating in ``acc`` (when the arrays are not already in it): sums of
    products without the products as temporaries, and elementwise products whose broadcast
    factor is a column, faster than np.multiply's. It raises no RuntimeWarning on an overflow
    (its results are checked where they must be finite), and it does not conjugate: analytic
    for complex input."""
    same = acc is None or all(a.dtype == acc for a in arrays)
    return np.einsum(spec, *arrays, dtype=None if same else acc)


# ------------------------------------------------------------------ the kernels' cores

def _normalize(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float, axis: int):
    """out, x_hat, inv_std, mean, var for a 2-D x normalized over ``axis``: 0 for batch norm,
    1 for layer norm (the normalized axes flattened into one); gamma and beta 1-D along x's
    last axis. x_hat and inv_std (keepdims) in x's working precision; mean and var in
    float64 (complex128)."""
    x = working_precision(x)
    acc = accumulation_dtype(x)
    n = x.shape[axis]
    # The statistics are accumulated in float64: a float32 sum down a column of 4096 rows with
    # mean 1e3 is off by ~1e-3 (measured 2.6e-3 in the normalized output). Layer norm sums
    # each row on its own, so a sample's statistics are the same in any batch, to the bit.
    total = _sum_down(x, acc) if axis == 0 else _einsum("ij->i", x, acc=acc)
    if not finite_by_sum(total, x, "x"):
        raise too_large(x, "x", "its sum over the normalized axes")
    keep = (None, slice(None)) if axis == 0 else (slice(None), None)    # the statistics, broadcast
    mean = total / n
    xc = np.subtract(x, mean[keep].astype(x.dtype, copy=False))         # ours: becomes x_hat in place
    var = _einsum("ij,ij->j" if axis == 0 else "ij,ij->i", xc, xc, acc=acc) / n     # biased: 1/n
    if not np.isfinite(var).all():
        raise too_large(x, "x", "its variance")
    inv_std = (1.0 / np.sqrt(var + eps))[keep].astype(x.dtype, copy=False)
    xc *= inv_std
    out = np.multiply(xc, gamma, dtype=np.result_type(xc, gamma, beta))
    out += beta
    return out, xc, inv_std, mean, var


def _backward(dout: ArrayLike, cache: NormCache, forward: str):
    """(dx, dgamma, dbeta): the sums accumulated in float64, the gradients in the dtype of dout
    and gamma (complex when x was)."""
    cache = cache_of(cache, NormCache, forward)
    batch = forward == "batchnorm_forward"
    if (cache.axis == (0,)) != batch:
        other = "layernorm_forward" if batch else "batchnorm_forward"
        raise TypeError(f"cache must be the NormCache that {forward} returns, got one of {other}")
    dout = float_array_unscanned(dout, "dout")
    x_hat, gamma = cache.x_hat, cache.gamma
    if dout.shape != x_hat.shape:
        raise ValueError(f"dout must have the shape of x, {x_hat.shape}, got {dout.shape}")
    out_dtype = complex_if(np.result_type(dout, gamma), x_hat)   # a step through x reaches every output
    d = dout.astype(np.promote_types(dout.dtype, x_hat.dtype), copy=False)
    features = gamma.size
    d, x_hat, gamma = d.reshape(-1, features), x_hat.reshape(-1, features), gamma.reshape(features)
    inv_std = cache.inv_std.reshape(1, features) if batch else cache.inv_std.reshape(-1, 1)
    acc, work = accumulation_dtype(d, x_hat), np.result_type(d, gamma)
    dbeta = _sum_down(d, acc)
    finite_by_sum(dbeta, dout, "dout")     # an overflow of dbeta alone is an honest inf, not an error
    dgamma = _einsum("ij,ij->j", d, x_hat, acc=acc)
    if cache.running:
        # the statistics were constants: the output is affine in x
        dx = np.multiply(d, (gamma * inv_std).astype(work, copy=False))
    elif batch:
        # dx = gamma inv_std (dout - (dbeta + x_hat dgamma) / N): with gamma constant down a
        # column, the sums of g = dout gamma over the batch are gamma dbeta and gamma dgamma
        N = d.shape[0]
        dx = np.multiply(x_hat, (dgamma / N).astype(work, copy=False), dtype=work)
        dx += (dbeta / N).astype(work, copy=False)
        np.subtract(d, dx, out=dx)
        dx *= (gamma * inv_std).astype(work, copy=False)
    else:
        # llm.c's form, dx = inv_std (g - mean(g) - x_hat mean(g x_hat)) with g = dout gamma, by
        # row; inv_std joins gamma in the first product (one pass for both), so the means come
        # out multiplied by it too
        dx = _einsum("ij,j,i->ij", d, gamma, inv_std[:, 0], acc=work)
        mean_g = _einsum("ij->i", dx, acc=acc) / features
        mean_gx = _einsum("ij,ij->i", dx, x_hat, acc=acc) / features
        dx -= mean_g[:, None].astype(work, copy=False)
        dx -= _einsum("ij,i->ij", x_hat, mean_gx.astype(work, copy=False))
    shape = cache.gamma.shape
    return (dx.reshape(dout.shape).astype(out_dtype, copy=False),
            dgamma.reshape(shape).astype(out_dtype, copy=False), dbeta.reshape(shape).astype(out_dtype, copy=False))


# ------------------------------------------------------------------ batch norm

def _affine_params(gamma, beta, D: int):
    gamma, beta = float_array(gamma, "gamma"), float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (D,):
            raise ValueError(f"{name} must have shape (D,) = ({D},), got {p.shape}")
    return gamma, beta


def _running_stats(running, D: int) -> RunningStats:
    if not isinstance(running, tuple) or len(running) != 2:
        raise TypeError(f"running must be a RunningStats(mean, var), got {type(running).__name__}")
    stats = RunningStats(float_array(running[0], "running.mean"), float_array(running[1], "running.var"))
    for name, a in zip(("running.mean", "running.var"), stats):
        if a.shape != (D,):
            raise ValueError(f"{name} must have shape (D,) = ({D},), got {a.shape}")
    if np.any(stats.var.real < 0):
        raise ValueError("running.var must be >= 0")
    return stats


def batchnorm_forward(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float = 1e-5, *,
                      running: RunningStats | None = None, momentum: float = 0.1, training: bool = True
                      ) -> tuple[np.ndarray, NormCache] | tuple[np.ndarray, NormCache, RunningStats]:
    """y = gamma x_hat + beta, x_hat = (x - mean) / sqrt(var + eps) per feature; x (N, D).

    Training mode (the default): mean and var are the batch's, var biased (1/N). N must be at
    least 2: with one sample, x - mean is exactly 0, the output is beta whatever x is, and the
    gradient with respect to x is 0; PyTorch refuses it too. Returns (y, cache); given
    ``running``, a :class:`RunningStats`, also the running statistics after this batch, as
    PyTorch updates them: (1 - momentum) running + momentum batch, the variance unbiased
    (N/(N - 1)) there although the normalization uses the biased one: (y, cache, running').

    ``training=False`` (inference): mean and var are ``running``'s, required; y is then affine
    in x, any N. Returns (y, cache, running), ``running`` unchanged. The arrays of
    ``running`` are never modified: updated statistics are new arrays.
    """
    x = float_array_unscanned(x, "x")
    ndim(x, "x", 2, "(N, D)")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"training must be True or False, got {type(training).__name__}")
    if training and x.shape[0] < 2:
        raise ValueError(f"x must have N >= 2 rows for batch statistics, got N = {x.shape[0]}: "
                         "with N = 1 the output is beta for every input and dL/dx is 0")
    D = x.shape[1]
    if D == 0:
        raise ValueError(f"x must have at least one feature (D >= 1), got shape {x.shape}")
    gamma, beta = _affine_params(gamma, beta, D)
    eps = real_number(eps, "eps", positive=True)
    if running is None:
        if not training:
            raise ValueError("running must be given when training is False: inference normalizes "
                             "with the running statistics")
    else:
        stats = _running_stats(running, D)
        momentum = real_number(momentum, "momentum")
        if not 0 <= momentum <= 1:
            raise ValueError(f"momentum must lie in [0, 1], got {momentum}")
    if not training:
        return (*_inference(x, gamma, beta, eps, stats), running)
    out, x_hat, inv_std, mean, var = _normalize(x, gamma, beta, eps, axis=0)
    cache = NormCache(*frozen(x_hat, inv_std), *frozen_copies(gamma), (0,))
    out = out.astype(np.result_type(x, gamma, beta), copy=False)
    if running is None:
        return out, cache
    N, dtype = x.shape[0], np.result_type(*stats, x)
    updated = RunningStats(((1 - momentum) * stats.mean + momentum * mean).astype(dtype, copy=False),
                           ((1 - momentum) * stats.var + momentum * (N / (N - 1)) * var).astype(dtype, copy=False))
    return out, cache, updated


def _inference(x, gamma, beta, eps, running: RunningStats):
    """Batch norm with the running statistics: y = gamma (x - mean) / sqrt(var + eps) + beta."""
    given = float_array(x, "x")                     # the full scan: no sum of x to fold it into
    x = working_precision(given)
    work = np.result_type(x, *(a for a in running if a.dtype.kind == "c"))
    inv_std = (1.0 / np.sqrt(running.var + eps)).astype(work, copy=False)[None, :]
    x_hat = np.subtract(x, running.mean.astype(work, copy=False), dtype=work)
    x_hat *= inv_std
    out = np.multiply(x_hat, gamma, dtype=np.result_type(x_hat, gamma, beta))
    out += beta
    cache = NormCache(*frozen(x_hat, inv_std), *frozen_copies(gamma), (0,), running=True)
    return out.astype(complex_if(np.result_type(given, gamma, beta), x_hat), copy=False), cache


def batchnorm_backward(dout: ArrayLike, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for :func:`batchnorm_forward`; shapes (N, D), (D,), (D,). Inference
    mode: dx = dout gamma / sqrt(running var + eps)."""
    return _backward(dout, cache, "batchnorm_forward")


# ------------------------------------------------------------------ batch norm per channel (N, C, H, W)

class ChannelCache(NamedTuple):
    """What :func:`batchnorm2d_backward` needs: the cache of the (N H W, C) batch norm the
    feature map was reshaped into, and the map's shape (N, C, H, W)."""

    rows: NormCache
    shape: tuple[int, int, int, int]


def _channels_last(a: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N H W, C): one row per sample and position, one column per channel."""
    return a.transpose(0, 2, 3, 1).reshape(-1, a.shape[1])


def _channels_first(a: np.ndarray, shape) -> np.ndarray:
    """(N H W, C) -> (N, C, H, W), the inverse of :func:`_channels_last`."""
    N_, C, H, W = shape
    return a.reshape(N_, H, W, C).transpose(0, 3, 1, 2)


def batchnorm2d_forward(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike, eps: float = 1e-5, *,
                        running: RunningStats | None = None, momentum: float = 0.1, training: bool = True
                        ) -> tuple[np.ndarray, ChannelCache] | tuple[np.ndarray, ChannelCache, RunningStats]:
    """Batch norm of a feature map x (N, C, H, W) per channel, PyTorch's BatchNorm2d: the
    statistics of channel c are over its N H W values x[:, c, :, :]; gamma and beta (C,).

    It is :func:`batchnorm_forward` on the (N H W, C) matrix with one row per sample and
    position (the channel axis moved last before reshaping), with the same ``eps``,
    ``running``, ``momentum`` and ``training`` (the running variance's unbiased factor is then
    N H W / (N H W - 1)). Returns (y, cache), or (y, cache, running) as batchnorm_forward does.
    """
    x = float_array_unscanned(x, "x")
    ndim(x, "x", 4, "(N, C, H, W)")
    N_, C, H, W = x.shape
    if C == 0:
        raise ValueError(f"x must have at least one channel (C >= 1), got shape {x.shape}")
    if training and N_ * H * W < 2:
        raise ValueError(f"x must have N H W >= 2 values per channel for batch statistics, got shape {x.shape}: "
                         "with one value the output is beta for every input and dL/dx is 0")
    gamma, beta = float_array(gamma, "gamma"), float_array(beta, "beta")
    for name, p in (("gamma", gamma), ("beta", beta)):
        if p.shape != (C,):
            raise ValueError(f"{name} must have shape (C,) = ({C},), one entry per channel, got {p.shape}")
    result = batchnorm_forward(_channels_last(x), gamma, beta, eps, running=running, momentum=momentum,
                               training=training)
    out = _channels_first(result[0], x.shape)
    return (out, ChannelCache(result[1], x.shape), *result[2:])


def batchnorm2d_backward(dout: ArrayLike, cache: ChannelCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for :func:`batchnorm2d_forward`; shapes (N, C, H, W), (C,), (C,):
    :func:`batchnorm_backward` of dout reshaped as x was."""
    cache = cache_of(cache, ChannelCache, "batchnorm2d_forward")
    dout = float_array_unscanned(dout, "dout")
    if dout.shape != cache.shape:
        raise ValueError(f"dout must have the shape of x, {cache.shape}, got {dout.shape}")
    dx, dgamma, dbeta = batchnorm_backward(_channels_last(dout), cache.rows)
    return _channels_first(dx, cache.shape), dgamma, dbeta


# ------------------------------------------------------------------ layer norm

def layernorm_forward(x: ArrayLike, gamma: ArrayLike, beta: ArrayLike,
                      eps: float = 1e-5) -> tuple[np.ndarray, NormCache]:
    """y = gamma x_hat + beta, x_hat normalized over the trailing axes of x named by gamma's shape.

    gamma and beta have the normalized shape: (D,) normalizes the last axis, (H, W) the last
    two; x is ``(..., *gamma.shape)``, with at least 2 entries normalized together. PyTorch's
    ``layer_norm(x, gamma.shape, gamma, beta, eps)``.
    """
    x = float_array_unscanned(x, "x")
    gamma, beta = float_array(gamma, "gamma"), float_array(beta, "beta")
    k = gamma.ndim
    if k == 0:
        raise ValueError("gamma must have at least one axis: its shape is the normalized shape, got a scalar")
    if beta.shape != gamma.shape:
        raise ValueError(f"beta must have the shape of gamma, {gamma.shape}, got {beta.shape}")
    if x.shape[x.ndim - k:] != gamma.shape:
        raise ValueError(f"x must end with the shape of gamma, {gamma.shape} (the normalized shape), "
                         f"got shape {x.shape}")
    if gamma.size < 2:
        where = "its last axis" if k == 1 else f"its last {k} axes"
        raise ValueError(f"x must have at least 2 features on {where}, got shape {x.shape}")
    eps = real_number(eps, "eps", positive=True)
    flat = x.reshape(-1, gamma.size)                 # a view for contiguous x
    out, x_hat, inv_std, _, _ = _normalize(flat, gamma.reshape(-1), beta.reshape(-1), eps, axis=1)
    frozen(x_hat, inv_std)
    lead = x.shape[:x.ndim - k]
    cache = NormCache(x_hat.reshape(x.shape), inv_std.reshape(lead + (1,) * k), *frozen_copies(gamma),
                      tuple(range(-k, 0)))
    return out.reshape(x.shape).astype(np.result_type(x, gamma, beta), copy=False), cache


def layernorm_backward(dout: ArrayLike, cache: NormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dx, dgamma, dbeta) for :func:`layernorm_forward`; shapes ``(..., *gamma.shape)``, gamma's, gamma's."""
    return _backward(dout, cache, "layernorm_forward")
