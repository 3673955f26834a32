"""Exercises of the BPTT chapter (bptt.html): the recurrent weight's gradient in NumPy.

The chapter's RNN, batched: h_t = tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h), t = 1..T, for x
(T, N, n) and h_0 (N, m); the loss's gradient on every hidden state, dh (T, N, m), is given.
"""

from __future__ import annotations

import numpy as np

from ..numeric import rnn as rnn_np
from . import Exercise, Mistake, gradient_witness

#: The sizes (T, N, n, m) at which an answer is tried.
SIZES = ((5, 3, 2, 4), (3, 2, 4, 5), (6, 1, 3, 2))


def _inputs(rng, size):
    T, N, n, m = size
    return (rng.standard_normal((T, N, m)), rng.standard_normal((T, N, n)), rng.standard_normal((N, m)),
            rng.standard_normal((m, n)) / np.sqrt(n), 0.5 * rng.standard_normal((m, m)) / np.sqrt(m),
            rng.standard_normal(m))


def _loss(dh, x, h0, W_hx, W_hh, b_h):
    """sum_t sum(dh_t * h_t): its gradient on h_t is dh_t (the exercise's given gradients)."""
    h, total = h0, 0.0
    for t in range(len(x)):
        h = np.tanh(x[t] @ W_hx.T + h @ W_hh.T + b_h)
        total = total + np.sum(dh[t] * h)
    return total


def dW_hh(dh, x, h0, W_hx, W_hh, b_h):
    """dL/dW_hh = sum_t delta_t^T h_{t-1} (m, m), from the package's rnn_backward."""
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache).dW_hh


def _terms(dh, x, h0, W_hx, W_hh, b_h):
    """The per-step terms delta_t^T h_{t-1}, t = 1..T."""
    h, _ = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    deltas, _ = rnn_np.bptt_deltas(dh, h, W_hh)
    previous = np.concatenate([h0[None], h[:-1]])
    return [d.T @ p for d, p in zip(deltas, previous)]


def _window_one(dh, x, h0, W_hx, W_hh, b_h):
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache, truncate=1).dW_hh


EXERCISES = (
    Exercise(
        id="bptt.dW_hh", chapter="bptt", title="The recurrent weight's gradient",
        statement="Write `dW_hh(dh, x, h0, W_hx, W_hh, b_h)` returning dL/dW_hh, shape (m, m), for "
                  "the RNN h_t = tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h) over T steps, batched: "
                  "dh (T, N, m) is the loss's gradient on each h_t, x (T, N, n), h0 (N, m).",
        hint="W_hh is used at every step: its gradient is a sum over t of delta_t^T h_{t-1}, and "
             "delta_t collects the gradient from step t's own loss and from step t + 1.",
        signature="dW_hh(dh, x, h0, W_hx, W_hh, b_h) -> array (m, m)", solution=dW_hh, inputs=_inputs,
        sizes=SIZES, difficulty=3, witness=gradient_witness(_loss, 4, _inputs, (4, 2, 3, 5)),
        mistakes=(
            Mistake("transposed", "the transpose of dL/dW_hh: the outer products are delta_t^T h_{t-1}, "
                    "rows indexed by the output", "bptt.html#bptt-pitfalls", lambda *a: dW_hh(*a).T),
            Mistake("next step dropped", "each delta_t has only its own step's gradient: the gradient "
                    "arriving from step t + 1 through W_hh is missing", "bptt.html#bptt-pitfalls",
                    _window_one),
            Mistake("h_0 term dropped", "the first step's term delta_1^T h_0 is missing: the sum over "
                    "the uses of W_hh starts at t = 1", "bptt.html#bptt-pitfalls",
                    lambda *a: sum(_terms(*a)[1:])),
            Mistake("last step only", "only the last step's use of W_hh is counted: W_hh is used at "
                    "every step, and its gradient is the sum over all of them", "bptt.html#bptt-pitfalls",
                    lambda *a: _terms(*a)[-1]),
        )),
)
