"""What the recurrent forwards (rnn, lstm, gru) share: their arguments checked, and the input
projections of all steps computed at once."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._validate import cache_of, complex_if, float_array, ndim


def sequence_arguments(x, h0, weights: dict, shapes: Callable[[int, int, int], dict]):
    """``x`` (T, N, n) and ``h0`` (N, m) as float arrays, and every array of ``weights`` (name ->
    value) as a float array of the shape ``shapes(N, n, m)[name]``, T >= 1; a clear error naming
    the argument otherwise. All are returned in one dtype, their common one (float32 arguments
    give a float32 recurrence and float32 outputs; any float64 argument makes it float64).
    Returns (x, h0, {name: array}, (T, N, n, m))."""
    x, h0 = float_array(x, "x"), float_array(h0, "h0")
    ndim(x, "x", 3, "(T, N, n)")
    ndim(h0, "h0", 2, "(N, m)")
    T, N, n = x.shape
    m = h0.shape[1]
    arrays = {name: float_array(value, name) for name, value in weights.items()}
    for name, shape in {"h0": (N, m), **shapes(N, n, m)}.items():
        got = h0.shape if name == "h0" else arrays[name].shape
        if got != shape:
            raise ValueError(f"{name} must have shape {shape} (T, N, n = {T}, {N}, {n}; m = {m}), "
                             f"got {got}")
    if T == 0:
        raise ValueError("x must have at least one time step (T >= 1)")
    if n == 0:
        raise ValueError(f"x must have at least one input feature (n >= 1), got shape {x.shape}")
    if m == 0:
        raise ValueError(f"h0 must have at least one hidden unit (m >= 1), got shape {h0.shape}")
    dtype = np.result_type(x, h0, *arrays.values())
    x, h0 = x.astype(dtype, copy=False), h0.astype(dtype, copy=False)
    arrays = {name: a.astype(dtype, copy=False) for name, a in arrays.items()}
    return x, h0, arrays, (T, N, n, m)


def upstream_gradient(dh, cache, kind: type, forward: str):
    """(cache, dh) for a recurrent backward: ``cache`` checked to be the ``kind`` that ``forward``
    returns, ``dh`` (T, N, m) as a float array of the hidden states' shape, in the forward's
    dtype; a clear error naming the argument otherwise."""
    cache = cache_of(cache, kind, forward)
    dh = float_array(dh, "dh")
    # the forward's dtype; complex when dh is (the complex step through a loss on top of h)
    dh = dh.astype(complex_if(cache.h.dtype, dh), copy=False)
    if dh.shape != cache.h.shape:
        raise ValueError(f"dh must have the shape of h, {cache.h.shape}, got {dh.shape}")
    return cache, dh


def input_projections(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x_t W^T + b for every step t at once, shape (T, N, k) for W (k, n): one matrix product
    (T N, n) (n, k), the bias added in place (a second array of that size costs more than the
    addition)."""
    T, N, n = x.shape
    xw = x.reshape(T * N, n) @ W.T
    xw += b
    return xw.reshape(T, N, W.shape[0])
