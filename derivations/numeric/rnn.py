"""A vanilla RNN, time-major, forward and backward through time (BPTT).

h_t = tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h) for t = 1..T, with x (T, N, D), h0 (N, H),
W_hx (H, D), W_hh (H, H), b_h (H,); the hidden states h have shape (T, N, H). The backward
pass takes the upstream gradient on every hidden state, dh (T, N, H), and returns the
gradients in the order of the forward's arguments.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validate import class_labels, float_array, ndim
from .losses import softmax_cross_entropy

__all__ = ["RNNCache", "rnn_forward", "rnn_backward", "rnn_loss_and_grads", "RNN_PARAMS"]

#: The parameters of rnn_loss_and_grads, in the order of the forward pass.
RNN_PARAMS = ("W_hx", "W_hh", "b_h", "W_hy", "b_y")


class RNNCache(NamedTuple):
    """Inputs, initial state, weights and all hidden states (the minimum BPTT needs)."""

    x: np.ndarray
    h0: np.ndarray
    W_hx: np.ndarray
    W_hh: np.ndarray
    h: np.ndarray


def rnn_forward(x, h0, W_hx, W_hh, b_h):
    """Run the RNN over T steps; returns (h (T, N, H), cache)."""
    x, h0 = float_array(x, "x"), float_array(h0, "h0")
    W_hx, W_hh, b_h = float_array(W_hx, "W_hx"), float_array(W_hh, "W_hh"), float_array(b_h, "b_h")
    ndim(x, "x", 3, "(T, N, D)")
    ndim(h0, "h0", 2, "(N, H)")
    T, N, D = x.shape
    H = h0.shape[1]
    for name, arr, shape in (("h0", h0, (N, H)), ("W_hx", W_hx, (H, D)), ("W_hh", W_hh, (H, H)),
                             ("b_h", b_h, (H,))):
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape} (T, N, D = {T}, {N}, {D}; H = {H}), "
                             f"got {arr.shape}")
    if T == 0:
        raise ValueError("x must have at least one time step (T >= 1)")
    h = np.empty((T, N, H))
    # the input projections of all steps in one matrix product: (T N, D) (D, H); the bias
    # added in place (a second array of that size costs more than the addition)
    xw = x.reshape(T * N, D) @ W_hx.T
    xw += b_h
    xw = xw.reshape(T, N, H)
    prev = h0
    for t in range(T):
        prev = np.matmul(prev, W_hh.T, out=h[t])
        prev += xw[t]
        np.tanh(prev, out=prev)
    return h, RNNCache(x, h0, W_hx, W_hh, h)


def rnn_backward(dh, cache: RNNCache, truncate: int | None = None):
    """(dx, dh0, dW_hx, dW_hh, db_h) given dL/dh_t for every t, shape (T, N, H).

    delta_t = (1 - h_t^2) ⊙ (dh_t + delta_{t+1} W_hh) is dL/da_t, a_t the pre-activation;
    the weight gradients sum over t = 1..T, and dW_hh's sum includes the h_0 term.
    With ``truncate = k``, the gradient arriving at step t is carried back through at
    most k steps (truncated BPTT); ``None`` is full BPTT.
    """
    dh = float_array(dh, "dh")
    if dh.shape != cache.h.shape:
        raise ValueError(f"dh must have the shape of h, {cache.h.shape}, got {dh.shape}")
    if truncate is not None and not (isinstance(truncate, (int, np.integer)) and truncate >= 1):
        raise ValueError(f"truncate must be a positive integer or None, got {truncate!r}")
    if truncate is not None:
        return _truncated(dh, cache, int(truncate))
    x, h0, W_hx, W_hh, h = cache
    T, N, H = h.shape
    D = x.shape[2]
    deltas = np.empty_like(h)                    # dL/da_t for every step
    carry = np.zeros_like(h0)                    # dL/dh_t arriving from step t+1
    for t in range(T - 1, -1, -1):
        # tanh'(a_t) = 1 - h_t^2: the derivative at the pre-activation, written through h_t
        delta = deltas[t] = (dh[t] + carry) * (1 - h[t] ** 2)
        carry = delta @ W_hh
    # the sums over time as single matrix products over all steps; h_prev starts with h_0,
    # so dW_hh includes the t = 1 term delta_1 h_0^T
    d2 = deltas.reshape(T * N, H)
    h_prev = np.concatenate([h0[None], h[:-1]]).reshape(T * N, H)
    dx = (d2 @ W_hx).reshape(T, N, D)
    return dx, carry, d2.T @ x.reshape(T * N, D), d2.T @ h_prev, d2.sum(axis=0)


def _truncated(dh, cache: RNNCache, k: int):
    """Each dh[s] carried back through steps s, s-1, ..., s-k+1 only (k steps of BPTT)."""
    x, h0, W_hx, W_hh, h = cache
    T = h.shape[0]
    dx = np.zeros_like(x)
    dW_hx, dW_hh = np.zeros_like(W_hx), np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dh0 = np.zeros_like(h0)
    for s in range(T):
        carry = dh[s]
        for t in range(s, max(s - k, -1), -1):
            delta = carry * (1 - h[t] ** 2)
            h_prev = h[t - 1] if t > 0 else h0
            dx[t] += delta @ W_hx
            dW_hx += delta.T @ x[t]
            dW_hh += delta.T @ h_prev
            db_h += delta.sum(axis=0)
            carry = delta @ W_hh
            if t == 0:
                dh0 += carry
    return dx, dh0, dW_hx, dW_hh, db_h


def rnn_loss_and_grads(params: dict, x, targets, h0, loss: str = "mse", truncate: int | None = None):
    """L = sum_t l(y_t, target_t), averaged over the batch, y_t = h_t W_hy^T + b_y.

    ``loss="mse"``: l = 1/2 ||y_t - target_t||^2, targets (T, N, K).
    ``loss="ce"``: softmax cross-entropy, targets are integer classes (T, N).
    Returns (L, grads) with grads keyed like ``RNN_PARAMS`` plus ``h0``.
    """
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays keyed {', '.join(RNN_PARAMS)}, got {type(params).__name__}")
    if set(params) != set(RNN_PARAMS):
        raise ValueError(f"params must have the keys {', '.join(RNN_PARAMS)}, got {', '.join(sorted(map(str, params)))}")
    W_hy, b_y = float_array(params["W_hy"], "params['W_hy']"), float_array(params["b_y"], "params['b_y']")
    h, cache = rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    T, N, H = h.shape
    if W_hy.ndim != 2 or W_hy.shape[1] != H or b_y.shape != (W_hy.shape[0],):
        raise ValueError(f"W_hy must have shape (K, H = {H}) and b_y (K,), got {W_hy.shape} and {b_y.shape}")
    y = h @ W_hy.T + b_y                                        # (T, N, K)
    if loss == "mse":
        targets = float_array(targets, "targets")
        if targets.shape != y.shape:
            raise ValueError(f"targets must have shape (T, N, K) = {y.shape}, got {targets.shape}")
        e = (y - targets) / N                                   # e_t = dL/dy_t
        value = 0.5 * np.sum((y - targets) ** 2) / N
    elif loss == "ce":
        targets = class_labels(targets, "targets", (T, N), y.shape[2])
        value, e_flat = softmax_cross_entropy(y.reshape(T * N, -1), targets.reshape(T * N))
        value, e = value * T, e_flat.reshape(y.shape) * T       # sum over t of batch means
    else:
        raise ValueError(f"loss must be 'mse' or 'ce', got {loss!r}")
    dW_hy = np.einsum("tnk,tnh->kh", e, h)
    db_y = e.sum(axis=(0, 1))
    dh = e @ W_hy                                               # W_hy^T e_t, batched
    _, dh0, dW_hx, dW_hh, db_h = rnn_backward(dh, cache, truncate)
    return float(value), {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y,
                          "h0": dh0}
