"""A GRU in the layout of the common frameworks, forward and backward through time.

Input width n, hidden width m (``D`` and ``H`` in the code). The rows of W_ih, W_hh, b_ih
and b_hh are three blocks of m, in the order reset gate r, update gate u (``z`` in the code),
candidate h~ (``n`` in the code): with gi = x_t W_ih^T + b_ih and gh = h_{t-1} W_hh^T + b_hh
(N, 3m), r = sigma(gi_r + gh_r), u = sigma(gi_u + gh_u), h~ = tanh(gi_h~ + r ⊙ gh_h~) (the
reset gate after the product, as in PyTorch), and h_t = (1 - u) ⊙ h~ + u ⊙ h_{t-1}.
Time-major: x (T, N, n), h0 (N, m), W_ih (3m, n), W_hh (3m, m), b_ih and b_hh (3m,);
h (T, N, m). The equations, proved, are those of the LSTM and GRU chapter.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._recurrent import input_projections, sequence_arguments, upstream_gradient
from ._validate import frozen, frozen_copies
from .activations import _sigmoid

__all__ = ["GRUCache", "GRUGrads", "gru_forward", "gru_backward"]


class GRUCache(NamedTuple):
    """Inputs, weights, and per step the gates r, u, h~ (T, N, 3m) and W_hh~ h_{t-1} + b_hh~
    (``gh_n``, T, N, m)."""

    x: np.ndarray
    h0: np.ndarray
    W_ih: np.ndarray
    W_hh: np.ndarray
    h: np.ndarray
    gates: np.ndarray
    gh_n: np.ndarray


class GRUGrads(NamedTuple):
    """The gradients of :func:`gru_backward`, by name, each of its argument's shape."""

    dx: np.ndarray
    dh0: np.ndarray
    dW_ih: np.ndarray
    dW_hh: np.ndarray
    db_ih: np.ndarray
    db_hh: np.ndarray


def gru_forward(x: ArrayLike, h0: ArrayLike, W_ih: ArrayLike, W_hh: ArrayLike, b_ih: ArrayLike,
                b_hh: ArrayLike) -> tuple[np.ndarray, GRUCache]:
    """Run the GRU over T steps; returns (h (T, N, m), cache)."""
    x, h0, w, (T, N, D, H) = sequence_arguments(
        x, h0, {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh},
        lambda N, n, m: {"W_ih": (3 * m, n), "W_hh": (3 * m, m), "b_ih": (3 * m,), "b_hh": (3 * m,)})
    W_ih, W_hh, b_hh = w["W_ih"], w["W_hh"], w["b_hh"]
    h, gates, gh_n = (np.empty(shape, dtype=x.dtype) for shape in ((T, N, H), (T, N, 3 * H), (T, N, H)))
    gi_all = input_projections(x, W_ih, w["b_ih"])
    h_prev = h0
    for t in range(T):
        gi = gi_all[t]
        gh = h_prev @ W_hh.T
        gh += b_hh
        gt = gates[t]
        np.add(gi[:, :2 * H], gh[:, :2 * H], out=gt[:, :2 * H])
        _sigmoid(gt[:, :2 * H], out=gt[:, :2 * H])                     # r, z
        r, z = gt[:, :H], gt[:, H:2 * H]
        gh_n[t] = gh[:, 2 * H:]
        n = gt[:, 2 * H:] = np.tanh(gi[:, 2 * H:] + r * gh_n[t])
        h_prev = h[t] = (1 - z) * n + z * h_prev
    return h, GRUCache(*frozen_copies(x, h0, W_ih, W_hh, h), *frozen(gates, gh_n))


def gru_backward(dh: ArrayLike, cache: GRUCache) -> GRUGrads:
    """GRUGrads(dx, dh0, dW_ih, dW_hh, db_ih, db_hh) given dl_t/dh_t for every t (the gradient
    reaching h_t from outside the recurrence), shape (T, N, m).

    Per step, with ``g`` the total gradient on h_t: the candidate receives g ⊙ (1 - u), the
    update gate g ⊙ (h_{t-1} - h~), and h_{t-1} the direct path g ⊙ u; then through tanh and
    sigma at their pre-activations, and r ⊙ gh_n splits into dr = da_h~ ⊙ gh_n and
    d(gh_n) = da_h~ ⊙ r.
    """
    cache, dh = upstream_gradient(dh, cache, GRUCache, "gru_forward")
    x, h0, W_ih, W_hh, h, gates, gh_n = cache
    T, N, H = h.shape
    D = x.shape[2]
    d_gi_all, d_gh_all = np.empty((T, N, 3 * H), dtype=h.dtype), np.empty((T, N, 3 * H), dtype=h.dtype)
    carry = np.zeros((N, H), dtype=h.dtype)
    for t in range(T - 1, -1, -1):
        gt = gates[t]
        r, z, n = gt[:, :H], gt[:, H:2 * H], gt[:, 2 * H:]
        h_prev = h[t - 1] if t > 0 else h0
        g = dh[t] + carry
        da_n = g * (1 - z) * (1 - n**2)                     # dL/d(gi_n + r ⊙ gh_n)
        d_gi, d_gh = d_gi_all[t], d_gh_all[t]
        d_gi[:, :H] = d_gh[:, :H] = da_n * gh_n[t] * r * (1 - r)           # r
        d_gi[:, H:2 * H] = d_gh[:, H:2 * H] = g * (h_prev - n) * z * (1 - z)  # z
        d_gi[:, 2 * H:] = da_n
        d_gh[:, 2 * H:] = da_n * r
        carry = g * z + d_gh @ W_hh
    # the parameter gradients, summed over time, as single matrix products over all steps
    gi2, gh2 = d_gi_all.reshape(T * N, 3 * H), d_gh_all.reshape(T * N, 3 * H)
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * N, H)
    dx = (gi2 @ W_ih).reshape(T, N, D)
    return GRUGrads(dx, carry, gi2.T @ x.reshape(T * N, D), gh2.T @ h_prev, gi2.sum(axis=0), gh2.sum(axis=0))
