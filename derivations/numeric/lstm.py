"""An LSTM in the layout of the common frameworks, forward and backward through time.

Input width n, hidden width m (``D`` and ``H`` in the code). The rows of W_ih, W_hh and b are
four blocks of m, in the order input gate i, forget gate f, candidate c~, output gate o:
with the pre-activations z_t = x_t W_ih^T + h_{t-1} W_hh^T + b (N, 4m), i = sigma(z[:, :m]),
f = sigma(z[:, m:2m]), c~ = tanh(z[:, 2m:3m]) (``g`` in the code), o = sigma(z[:, 3m:]),
c_t = f ⊙ c_{t-1} + i ⊙ c~ and h_t = o ⊙ tanh(c_t). Time-major: x (T, N, n), h0 and c0 (N, m), W_ih (4m, n),
W_hh (4m, m), b (4m,); h (T, N, m). The equations, proved, are those of the LSTM chapter.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._recurrent import input_projections, sequence_arguments, upstream_gradient
from ._validate import frozen, frozen_copies
from .activations import _sigmoid

__all__ = ["LSTMCache", "LSTMGrads", "lstm_forward", "lstm_backward"]


class LSTMCache(NamedTuple):
    """Inputs, weights, and per step the gates (T, N, 4H), cell states and tanh(c_t)."""

    x: np.ndarray
    h0: np.ndarray
    c0: np.ndarray
    W_ih: np.ndarray
    W_hh: np.ndarray
    h: np.ndarray
    c: np.ndarray
    gates: np.ndarray
    tanh_c: np.ndarray


class LSTMGrads(NamedTuple):
    """The gradients of :func:`lstm_backward`, by name, each of its argument's shape."""

    dx: np.ndarray
    dh0: np.ndarray
    dc0: np.ndarray
    dW_ih: np.ndarray
    dW_hh: np.ndarray
    db: np.ndarray


def lstm_forward(x: ArrayLike, h0: ArrayLike, c0: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike,
                 b: ArrayLike) -> tuple[np.ndarray, LSTMCache]:
    """Run the LSTM over T steps; returns (h (T, N, m), cache)."""
    x, h0, w, (T, N, D, H) = sequence_arguments(
        x, h0, {"c0": c0, "W_ih": W_ih, "W_hh": W_hh, "b": b},
        lambda N, n, m: {"c0": (N, m), "W_ih": (4 * m, n), "W_hh": (4 * m, m), "b": (4 * m,)})
    c0, W_ih, W_hh = w["c0"], w["W_ih"], w["W_hh"]
    h, c = np.empty((T, N, H), dtype=x.dtype), np.empty((T, N, H), dtype=x.dtype)
    gates, tanh_c = np.empty((T, N, 4 * H), dtype=x.dtype), np.empty((T, N, H), dtype=x.dtype)
    xw = input_projections(x, W_ih, w["b"])
    h_prev, c_prev = h0, c0
    for t in range(T):
        gt = gates[t]                                             # z_t, then the gates in place
        np.matmul(h_prev, W_hh.T, out=gt)
        gt += xw[t]
        _sigmoid(gt[:, :2 * H], out=gt[:, :2 * H])                # i, f
        np.tanh(gt[:, 2 * H:3 * H], out=gt[:, 2 * H:3 * H])       # g
        _sigmoid(gt[:, 3 * H:], out=gt[:, 3 * H:])                # o
        i, f, g, o = gt[:, :H], gt[:, H:2 * H], gt[:, 2 * H:3 * H], gt[:, 3 * H:]
        c_prev = np.multiply(f, c_prev, out=c[t])
        c_prev += i * g
        np.tanh(c_prev, out=tanh_c[t])
        h_prev = np.multiply(o, tanh_c[t], out=h[t])
    return h, LSTMCache(*frozen_copies(x, h0, c0, W_ih, W_hh, h), *frozen(c, gates, tanh_c))


def lstm_backward(dh: ArrayLike, cache: LSTMCache) -> LSTMGrads:
    """LSTMGrads(dx, dh0, dc0, dW_ih, dW_hh, db) given dl_t/dh_t for every t (the gradient
    reaching h_t from outside the recurrence), shape (T, N, m).

    Per step, with dh_t the total gradient on h_t and dc_{t+1} the gradient arriving at c_t
    from step t+1: dc_t = dc_{t+1} ⊙ f_{t+1} + dh_t ⊙ o ⊙ (1 - tanh^2 c_t); the gradients of the
    gates' values, dc_t ⊙ c~ (i), dc_t ⊙ c_{t-1} (f), dc_t ⊙ i (c~) and dh_t ⊙ tanh(c_t) (o),
    each through its activation's derivative at the pre-activation (sigma' = s(1 - s),
    tanh' = 1 - c~^2), which stack into dL/dz_t (``da`` in the code); dh_{t-1} = dL/dz_t W_hh.
    """
    cache, dh = upstream_gradient(dh, cache, LSTMCache, "lstm_forward")
    x, h0, c0, W_ih, W_hh, h, c, gates, tanh_c = cache
    T, N, H = h.shape
    D = x.shape[2]
    da_all = np.empty((T, N, 4 * H), dtype=h.dtype)               # dL/dz_t for every step
    dh_next, dc_next = np.zeros((N, H), dtype=h.dtype), np.zeros((N, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        gt = gates[t]
        i, f, g, o = gt[:, :H], gt[:, H:2 * H], gt[:, 2 * H:3 * H], gt[:, 3 * H:]
        c_prev = c[t - 1] if t > 0 else c0
        dh_t = dh[t] + dh_next
        dc = dc_next + dh_t * o * (1 - tanh_c[t] ** 2)
        da = da_all[t]
        da[:, :H] = dc * g * i * (1 - i)
        da[:, H:2 * H] = dc * c_prev * f * (1 - f)
        da[:, 2 * H:3 * H] = dc * i * (1 - g**2)
        da[:, 3 * H:] = dh_t * tanh_c[t] * o * (1 - o)
        dh_next = da @ W_hh
        dc_next = dc * f
    # the parameter gradients, summed over time, as single matrix products over all steps
    da2 = da_all.reshape(T * N, 4 * H)
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * N, H)
    dx = (da2 @ W_ih).reshape(T, N, D)
    return LSTMGrads(dx, dh_next, dc_next, da2.T @ x.reshape(T * N, D), da2.T @ h_prev, da2.sum(axis=0))
