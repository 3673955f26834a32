"""A vanilla RNN, time-major, forward and backward through time (BPTT).

h_t = tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h) for t = 1..T, with x (T, N, n), h0 (N, m),
W_hx (m, n), W_hh (m, m), b_h (m,) (n inputs, m hidden units, N sequences, rows are
samples); the hidden states h have shape (T, N, m). The backward pass takes the upstream
gradient on every hidden state, dh (T, N, m), and returns the gradients in the order of the
forward's arguments; ``bptt_deltas`` is its recursion.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._recurrent import input_projections, sequence_arguments, upstream_gradient
from ._validate import class_labels, float_array, frozen_copies, ndim, scalar, sum_of_squares
from .losses import softmax_cross_entropy

__all__ = ["RNNCache", "RNNGrads", "rnn_forward", "rnn_backward", "rnn_backward_chunked", "bptt_deltas",
           "rnn_loss_and_grads", "RNN_PARAMS", "TRUNCATIONS"]

#: The parameters of rnn_loss_and_grads, in the order of the forward pass.
RNN_PARAMS = ("W_hx", "W_hh", "b_h", "W_hy", "b_y")
#: The two forms of truncated BPTT, a sliding window per step or chunks with the state detached.
TRUNCATIONS = ("sliding", "chunked")


class RNNCache(NamedTuple):
    """Inputs, initial state, weights and all hidden states (the minimum BPTT needs)."""

    x: np.ndarray
    h0: np.ndarray
    W_hx: np.ndarray
    W_hh: np.ndarray
    h: np.ndarray


class RNNGrads(NamedTuple):
    """The gradients of :func:`rnn_backward`, by name, each of its argument's shape."""

    dx: np.ndarray
    dh0: np.ndarray
    dW_hx: np.ndarray
    dW_hh: np.ndarray
    db_h: np.ndarray


def rnn_forward(x: ArrayLike, h0: ArrayLike, W_hx: ArrayLike, W_hh: ArrayLike,
                b_h: ArrayLike) -> tuple[np.ndarray, RNNCache]:
    """Run the RNN over T steps; returns (h (T, N, m), cache)."""
    x, h0, w, (T, N, n, m) = sequence_arguments(
        x, h0, {"W_hx": W_hx, "W_hh": W_hh, "b_h": b_h},
        lambda N, n, m: {"W_hx": (m, n), "W_hh": (m, m), "b_h": (m,)})
    W_hx, W_hh = w["W_hx"], w["W_hh"]
    h = np.empty((T, N, m), dtype=x.dtype)
    xw = input_projections(x, W_hx, w["b_h"])
    prev = h0
    for t in range(T):
        prev = np.matmul(prev, W_hh.T, out=h[t])
        prev += xw[t]
        np.tanh(prev, out=prev)
    return h, RNNCache(*frozen_copies(x, h0, W_hx, W_hh, h))


def bptt_deltas(dh: ArrayLike, h: ArrayLike, W_hh: ArrayLike,
                fprime: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The BPTT recursion, the one implementation in the package: (deltas, dL/dh_0).

    Backwards from delta_{T+1} = 0, for t = T, ..., 1 (rows are samples, so the row vector
    delta_{t+1} W_hh is the column W_hh^T delta_{t+1}):

        delta_t = f'(z_t) ⊙ (dh_t + delta_{t+1} W_hh),

    with ``dh`` (T, N, m) the gradient every hidden state receives from its own step (the
    output layer's W_hy^T e_t), ``h`` (T, N, m) the hidden states and ``W_hh`` (m, m).
    f'(z_t), the activation's derivative at the pre-activation z_t, is tanh'(z_t) = 1 - h_t^2
    (written through h_t) unless ``fprime`` (its values, shaped like ``h``) is given. Returns
    deltas (T, N, m), deltas[t - 1] = dL/dz_t, and dL/dh_0 = delta_1 W_hh (N, m).
    """
    dh, h, W_hh = float_array(dh, "dh"), float_array(h, "h"), float_array(W_hh, "W_hh")
    ndim(h, "h", 3, "(T, N, m)")
    if h.shape[0] == 0:
        raise ValueError("h must have at least one time step (T >= 1)")
    if dh.shape != h.shape:
        raise ValueError(f"dh must have the shape of h, {h.shape}, got {dh.shape}")
    if W_hh.shape != (h.shape[2],) * 2:
        raise ValueError(f"W_hh must have shape {(h.shape[2],) * 2}, got {W_hh.shape}")
    if fprime is None:
        fprime = 1 - h ** 2
    else:
        fprime = float_array(fprime, "fprime")
        if fprime.shape != h.shape:
            raise ValueError(f"fprime must have the shape of h, {h.shape}, got {fprime.shape}")
    return _recursion(dh, fprime, W_hh)


def _recursion(dh, fprime, W_hh):
    """bptt_deltas without the validation (for the backward passes below)."""
    # dL/dz_t for every step, and dL/dh_t arriving from step t+1, in the arguments' common dtype
    # (complex when h or W_hh is: the complex step through the parameters)
    dtype = np.result_type(dh, fprime, W_hh)
    deltas = np.empty(dh.shape, dtype=dtype)
    carry = np.zeros(dh.shape[1:], dtype=dtype)
    for t in range(dh.shape[0] - 1, -1, -1):
        delta = deltas[t] = (dh[t] + carry) * fprime[t]
        carry = delta @ W_hh
    return deltas, carry


def _sums(deltas, x, h_prev, W_hx):
    """(dx, dW_hx, dW_hh, db_h) from the deltas: the sums over time as single matrix
    products over all steps (h_prev[t] is h_{t-1}, starting with h_0)."""
    T, N, m = deltas.shape
    d2 = deltas.reshape(T * N, m)
    dx = (d2 @ W_hx).reshape(x.shape)
    return dx, d2.T @ x.reshape(T * N, -1), d2.T @ h_prev.reshape(T * N, m), d2.sum(axis=0)


def rnn_backward(dh: ArrayLike, cache: RNNCache, truncate: int | None = None) -> RNNGrads:
    """RNNGrads(dx, dh0, dW_hx, dW_hh, db_h) given dL/dh_t for every t, shape (T, N, m).

    The deltas dL/dz_t come from ``bptt_deltas`` (tanh'(z_t) = 1 - h_t^2, the derivative
    at the pre-activation written through h_t); the weight gradients sum over t = 1..T, and
    dW_hh's sum includes the h_0 term delta_1 h_0^T.
    With ``truncate = k`` (truncated BPTT), the gradient arriving at step s is carried back
    through the k steps s, s-1, ..., s-k+1 only: of the Jacobian products dh_s/dh_t it keeps
    those of 0 to k-1 factors. ``None`` is full BPTT; any k >= T is full BPTT too.
    """
    cache, dh = upstream_gradient(dh, cache, RNNCache, "rnn_forward")
    _check_truncate(truncate, "truncate")
    x, h0, W_hx, W_hh, h = cache
    fprime = 1 - h ** 2
    h_prev = np.concatenate([h0[None], h[:-1]])
    if truncate is None or truncate >= h.shape[0]:
        deltas, dh0 = _recursion(dh, fprime, W_hh)
        dx, dW_hx, dW_hh, db_h = _sums(deltas, x, h_prev, W_hx)
        return RNNGrads(dx, dh0, dW_hx, dW_hh, db_h)
    return _truncated(dh, x, h0, W_hx, W_hh, fprime, h_prev, int(truncate))


def _check_truncate(k, name: str, allow_none: bool = True):
    if k is None and allow_none:
        return
    if not (isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1):
        raise ValueError(f"{name} must be a positive integer{' or None' if allow_none else ''}, got {k!r}")


def rnn_backward_chunked(dh: ArrayLike, cache: RNNCache, chunk: int) -> RNNGrads:
    """Truncated BPTT as frameworks run it: RNNGrads(dx, dh0, dW_hx, dW_hh, db_h) with the steps
    cut into chunks 1..k, k+1..2k, ... of ``chunk`` = k steps, and no gradient crossing a chunk's
    start (the carried state is detached: a constant to the next chunk).

    Each chunk runs the BPTT recursion over its own steps, from delta = 0 after its last step,
    and what it would send back to the state before it is dropped (kept as dL/dh_0 for the first
    chunk only). The forward values are those of ``rnn_forward`` (detaching changes no value).
    So the gradient arriving at step s keeps the Jacobian products dh_s/dh_t for t in s's chunk:
    between 0 and k-1 factors, by s's place in its chunk. Any k >= T is full BPTT.
    """
    cache, dh = upstream_gradient(dh, cache, RNNCache, "rnn_forward")
    _check_truncate(chunk, "chunk", allow_none=False)
    x, h0, W_hx, W_hh, h = cache
    fprime = 1 - h ** 2
    h_prev = np.concatenate([h0[None], h[:-1]])
    dtype = np.result_type(dh, fprime, W_hh)
    deltas = np.empty(dh.shape, dtype=dtype)
    dh0 = None
    for lo in range(0, h.shape[0], int(chunk)):
        hi = lo + int(chunk)
        deltas[lo:hi], carry = _recursion(dh[lo:hi], fprime[lo:hi], W_hh)
        if lo == 0:
            dh0 = carry                   # the first chunk's start is h_0 itself
    dx, dW_hx, dW_hh, db_h = _sums(deltas, x, h_prev, W_hx)
    return RNNGrads(dx, dh0, dW_hx, dW_hh, db_h)


def _truncated(dh, x, h0, W_hx, W_hh, fprime, h_prev, k: int):
    """Each dh[s] alone through the recursion over its window s-k+1..s, the results summed."""
    T = dh.shape[0]
    dx = np.zeros_like(x)
    dW_hx, dW_hh = np.zeros_like(W_hx), np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0], dtype=W_hh.dtype)
    dh0 = np.zeros_like(h0)
    for s in range(T):
        lo = max(s - k + 1, 0)
        upstream = np.zeros_like(dh[lo:s + 1])
        upstream[-1] = dh[s]
        deltas, carry = _recursion(upstream, fprime[lo:s + 1], W_hh)
        g = _sums(deltas, x[lo:s + 1], h_prev[lo:s + 1], W_hx)
        dx[lo:s + 1] += g[0]
        dW_hx += g[1]
        dW_hh += g[2]
        db_h += g[3]
        if lo == 0:
            dh0 += carry
    return RNNGrads(dx, dh0, dW_hx, dW_hh, db_h)


def rnn_loss_and_grads(params: dict, x: ArrayLike, targets: ArrayLike, h0: ArrayLike, loss: str = "mse",
                       truncate: int | None = None,
                       truncation: str = "sliding") -> tuple[float, dict[str, np.ndarray]]:
    """L = sum_t l(y_hat_t, y_t), averaged over the batch, with the prediction
    y_hat_t = h_t W_hy^T + b_y (W_hy (p, m), b_y (p,)) and the target y_t.

    ``loss="mse"``: l = 1/2 ||y_hat_t - y_t||^2, targets (T, N, p).
    ``loss="ce"``: softmax cross-entropy of the logits y_hat_t, targets integer classes (T, N).
    ``truncate``: as in :func:`rnn_backward`; with ``truncation="chunked"`` the chunks of
    :func:`rnn_backward_chunked` instead of the sliding window. Returns (L, grads) with grads
    keyed like ``RNN_PARAMS`` plus ``h0``.
    """
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {', '.join(map(repr, TRUNCATIONS))}, got {truncation!r}")
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays keyed {', '.join(RNN_PARAMS)}, got {type(params).__name__}")
    if set(params) != set(RNN_PARAMS):
        raise ValueError(f"params must have the keys {', '.join(RNN_PARAMS)}, got {', '.join(sorted(map(str, params)))}")
    W_hy, b_y = float_array(params["W_hy"], "params['W_hy']"), float_array(params["b_y"], "params['b_y']")
    h, cache = rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    T, N, m = h.shape
    if W_hy.ndim != 2 or W_hy.shape[1] != m or b_y.shape != (W_hy.shape[0],):
        raise ValueError(f"W_hy must have shape (p, m = {m}) and b_y (p,), got {W_hy.shape} and {b_y.shape}")
    y_hat = h @ W_hy.T + b_y                                    # (T, N, p)
    if loss == "mse":
        targets = float_array(targets, "targets")
        if targets.shape != y_hat.shape:
            raise ValueError(f"targets must have shape (T, N, p) = {y_hat.shape}, got {targets.shape}")
        e = (y_hat - targets) / N                               # e_t = dL/dy_hat_t
        value = 0.5 * sum_of_squares(y_hat - targets) / N
    elif loss == "ce":
        targets = class_labels(targets, "targets", (T, N), y_hat.shape[2])
        value, e_flat = softmax_cross_entropy(y_hat.reshape(T * N, -1), targets.reshape(T * N))
        value, e = value * T, e_flat.reshape(y_hat.shape) * T   # sum over t of batch means
    else:
        raise ValueError(f"loss must be 'mse' or 'ce', got {loss!r}")
    dW_hy = np.einsum("tnp,tnm->pm", e, h)
    db_y = e.sum(axis=(0, 1))
    dh = e @ W_hy                                               # W_hy^T e_t, batched
    if truncation == "chunked" and truncate is not None:
        _, dh0, dW_hx, dW_hh, db_h = rnn_backward_chunked(dh, cache, truncate)
    else:
        _, dh0, dW_hx, dW_hh, db_h = rnn_backward(dh, cache, truncate)
    return scalar(value), {"W_hx": dW_hx, "W_hh": dW_hh, "b_h": db_h, "W_hy": dW_hy, "b_y": db_y,
                          "h0": dh0}
