"""Exercises of the LSTM and GRU chapter (lstm_gru.html): one LSTM step forward and backward, the
LSTM's dL/dW_hh and the GRU's dL/dh_0 over a sequence, in NumPy, in PyTorch's gate layout.

Batched, rows are samples: x_t (N, n), h_t and c_t (N, m). The LSTM's W_ih (4m, n), W_hh (4m, m)
and b (4m,) stack the blocks i, f, g (the candidate c~), o; the GRU's W_ih (3m, n), W_hh (3m, m),
b_ih and b_hh (3m,) stack r, u (PyTorch's z), h~ (PyTorch's n), with h_t = (1 - u) h~ + u h_{t-1}.
The solutions use the package's kernels (lstm.py, gru.py) or write the step out; the witnesses
are the complex step of a loss through a forward written here, or the kernel's forward.
"""

from __future__ import annotations

import numpy as np

from ..numeric import activations as activations_np
from ..numeric import gru as gru_np
from ..numeric import lstm as lstm_np
from ..symbolic import lstm_gru as lstm_gru_sym
from . import Exercise, Mistake, gradient_witness

#: The sizes (N, n, m) of the one-step exercises and (T, N, n, m) of the sequence exercises.
STEP_SIZES = ((3, 2, 4), (2, 5, 3), (1, 3, 2))
SEQUENCE_SIZES = ((4, 3, 2, 5), (3, 1, 4, 2), (5, 2, 3, 4))
#: The block order of a wrong layout: the LSTM's blocks read as i, f, o, g (the candidate's and the
#: output gate's swapped), the GRU's as u, r, h~ (Keras's GRU order: r and u swapped). As an index
#: array on the blocks, each its own inverse.
G_O_SWAPPED, KERAS_GRU = (0, 1, 3, 2), (1, 0, 2)


def _blocks(A, order):
    """A's row blocks (or entries, for a vector) permuted: block k of the result is block order[k]."""
    m = A.shape[0] // len(order)
    return np.concatenate([A[k * m:(k + 1) * m] for k in order])


def _lstm_weights(rng, n, m):
    return (rng.standard_normal((4 * m, n)) / np.sqrt(n), rng.standard_normal((4 * m, m)) / np.sqrt(m),
            0.5 * rng.standard_normal(4 * m))


def _step_inputs(rng, size):
    N, n, m = size
    return (rng.standard_normal((N, n)), 0.5 * rng.standard_normal((N, m)), rng.standard_normal((N, m)),
            *_lstm_weights(rng, n, m))


def _lstm_cell(x, h_prev, c_prev, W_ih, W_hh, b):
    """One LSTM step written out (PyTorch's layout), complex-safe: (h_t, c_t)."""
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f, g, o = np.split(a, 4, axis=1)
    c = activations_np.sigmoid(f) * c_prev + activations_np.sigmoid(i) * np.tanh(g)
    return activations_np.sigmoid(o) * np.tanh(c), c


# ------------------------------------------------------------------ one LSTM step forward

def lstm_step(x, h_prev, c_prev, W_ih, W_hh, b):
    """h_t = o_t ⊙ tanh(c_t), c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t, the gates from the blocks i, f, g, o of
    a = x W_ih^T + h_{t-1} W_hh^T + b (N, 4m)."""
    m = h_prev.shape[1]
    a = x @ W_ih.T + h_prev @ W_hh.T + b
    i, f = 1 / (1 + np.exp(-a[:, :m])), 1 / (1 + np.exp(-a[:, m:2 * m]))
    g, o = np.tanh(a[:, 2 * m:3 * m]), 1 / (1 + np.exp(-a[:, 3 * m:]))
    return o * np.tanh(f * c_prev + i * g)


def _step_variant(x, h_prev, c_prev, W_ih, W_hh, b, *, order=(0, 1, 2, 3), cell_tanh=True, candidate=np.tanh):
    """A wrong forward step: the blocks read in another order, no tanh on the cell, or another
    activation for the candidate."""
    a = x @ _blocks(W_ih, order).T + h_prev @ _blocks(W_hh, order).T + _blocks(b, order)
    i, f, g, o = np.split(a, 4, axis=1)
    c = activations_np.sigmoid(f) * c_prev + activations_np.sigmoid(i) * candidate(g)
    return activations_np.sigmoid(o) * (np.tanh(c) if cell_tanh else c)


def _agrees_with_lstm_forward(answer) -> bool:
    """The answer equals the kernel's lstm_forward run for one step (T = 1), at two sizes."""
    for size in ((2, 3, 4), (3, 1, 2)):
        x, h, c, W_ih, W_hh, b = _step_inputs(np.random.default_rng(21), size)
        want = lstm_np.lstm_forward(x[None], h, c, W_ih, W_hh, b)[0][0]
        got = np.asarray(answer(x, h, c, W_ih, W_hh, b), dtype=float)
        if got.shape != want.shape or np.max(np.abs(got - want)) > 1e-12 * np.max(np.abs(want)):
            return False
    return True


# ------------------------------------------------------------------ one LSTM step backward

def _one_step_inputs(rng, size):
    N, n, m = size
    return (rng.standard_normal((N, m)), rng.standard_normal((N, m)), *_step_inputs(rng, size))


def _one_step_loss(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """sum(dh ⊙ h_t) + sum(dc ⊙ c_t): its gradients on h_t and c_t are dh and dc."""
    h, c = _lstm_cell(x, h_prev, c_prev, W_ih, W_hh, b)
    return np.sum(dh * h) + np.sum(dc * c)


def _step_values(x, h_prev, c_prev, W_ih, W_hh, b):
    """(i, f, g, o, c_t, tanh(c_t), h_t) of one step, from the kernel's forward (T = 1)."""
    h, cache = lstm_np.lstm_forward(x[None], h_prev, c_prev, W_ih, W_hh, b)
    return (*np.split(cache.gates[0], 4, axis=1), cache.c[0], cache.tanh_c[0], h[0])


def dc_prev(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b):
    """dL/dc_{t-1} = (dc + dh ⊙ o ⊙ (1 - tanh^2(c_t))) ⊙ f_t, the gates from the kernel's forward."""
    _, f, _, o, _, tanh_c, _ = _step_values(x, h_prev, c_prev, W_ih, W_hh, b)
    return (dc + dh * o * (1 - tanh_c ** 2)) * f


def _dc_prev_variant(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b, *, through_h=True, fprime="tanh_c",
                     forget=True, order=(0, 1, 2, 3)):
    """dL/dc_{t-1} with one slip: the path through h_t dropped, tanh' taken at c_t (1 - c_t^2) or
    written through h_t (1 - h_t^2), f_t forgotten, or the blocks read in another order."""
    args = (x, h_prev, c_prev, _blocks(W_ih, order), _blocks(W_hh, order), _blocks(b, order))
    _, f, _, o, c, tanh_c, h = _step_values(*args)
    derivative = {"tanh_c": 1 - tanh_c ** 2, "c": 1 - c ** 2, "h": 1 - h ** 2}[fprime]
    total = dc + (dh * o * derivative if through_h else 0)
    return total * f if forget else total


# ------------------------------------------------------------------ the LSTM over a sequence

def _sequence_inputs(rng, size):
    T, N, n, m = size
    return (rng.standard_normal((T, N, m)), rng.standard_normal((T, N, n)), 0.5 * rng.standard_normal((N, m)),
            rng.standard_normal((N, m)), *_lstm_weights(rng, n, m))


def _lstm_loss(dh, x, h0, c0, W_ih, W_hh, b):
    """sum_t sum(dh_t ⊙ h_t) through the LSTM written out step by step (complex-safe)."""
    h, c, total = h0, c0, 0.0
    for t in range(len(x)):
        h, c = _lstm_cell(x[t], h, c, W_ih, W_hh, b)
        total = total + np.sum(dh[t] * h)
    return total


def dW_hh(dh, x, h0, c0, W_ih, W_hh, b):
    """dL/dW_hh = sum_t delta_t h_{t-1}^T (4m, m), in the batch Delta_t^T H_{t-1} summed over t (rows
    are samples), from the package's lstm_backward."""
    _, cache = lstm_np.lstm_forward(x, h0, c0, W_ih, W_hh, b)
    return lstm_np.lstm_backward(dh, cache).dW_hh


def _g_o_swapped_dW_hh(dh, x, h0, c0, W_ih, W_hh, b):
    """The gradient of the LSTM that reads the blocks as i, f, o, g: the kernel's gradient at the
    blocks so permuted, its blocks permuted back."""
    permuted = (_blocks(W_ih, G_O_SWAPPED), _blocks(W_hh, G_O_SWAPPED), _blocks(b, G_O_SWAPPED))
    return _blocks(dW_hh(dh, x, h0, c0, *permuted), G_O_SWAPPED)


def _dW_hh_variant(dh, x, h0, c0, W_ih, W_hh, b, *, cell_path=True, fprime="tanh_c", forget="next",
                   f_cell="prev"):
    """The LSTM's backward pass with one slip: the cell path dropped, tanh' at c_t, f_t in place
    of f_{t+1} on the cell path, or c_t in place of c_{t-1} in delta^f."""
    h, cache = lstm_np.lstm_forward(x, h0, c0, W_ih, W_hh, b)
    T, N, m = h.shape
    deltas = np.empty((T, N, 4 * m))
    dh_next, dc_next = np.zeros((N, m)), np.zeros((N, m))
    for t in range(T - 1, -1, -1):
        i, f, g, o = np.split(cache.gates[t], 4, axis=1)
        c, tanh_c = cache.c[t], cache.tanh_c[t]
        c_prev = cache.c[t - 1] if t > 0 else c0
        dh_t = dh[t] + dh_next
        derivative = 1 - tanh_c ** 2 if fprime == "tanh_c" else 1 - c ** 2
        arriving = dc_next if forget == "next" else dc_next * f
        dc = arriving + dh_t * o * derivative
        deltas[t] = np.concatenate([dc * g * i * (1 - i), dc * (c_prev if f_cell == "prev" else c) * f * (1 - f),
                                    dc * i * (1 - g ** 2), dh_t * tanh_c * o * (1 - o)], axis=1)
        dh_next = deltas[t] @ W_hh
        dc_next = 0 * dc if not cell_path else (dc * f if forget == "next" else dc)
    previous = np.concatenate([h0[None], h[:-1]])
    return np.einsum("tnk,tnj->kj", deltas, previous)


# ------------------------------------------------------------------ the GRU over a sequence

def _gru_inputs(rng, size):
    T, N, n, m = size
    return (rng.standard_normal((T, N, m)), rng.standard_normal((T, N, n)), rng.standard_normal((N, m)),
            rng.standard_normal((3 * m, n)) / np.sqrt(n), rng.standard_normal((3 * m, m)) / np.sqrt(m),
            0.5 * rng.standard_normal(3 * m), 0.5 * rng.standard_normal(3 * m))


def _gru_loss(dh, x, h0, W_ih, W_hh, b_ih, b_hh):
    """sum_t sum(dh_t ⊙ h_t) through the GRU written out step by step (complex-safe)."""
    h, total = h0, 0.0
    for t in range(len(x)):
        gi, gh = x[t] @ W_ih.T + b_ih, h @ W_hh.T + b_hh
        (ir, iu, ih), (hr, hu, hh) = np.split(gi, 3, axis=1), np.split(gh, 3, axis=1)
        r, u = activations_np.sigmoid(ir + hr), activations_np.sigmoid(iu + hu)
        candidate = np.tanh(ih + r * hh)
        h = (1 - u) * candidate + u * h
        total = total + np.sum(dh[t] * h)
    return total


def gru_dh0(dh, x, h0, W_ih, W_hh, b_ih, b_hh):
    """dL/dh_0 (N, m), from the package's gru_backward."""
    _, cache = gru_np.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    return gru_np.gru_backward(dh, cache).dh0


def _gru_keras(dh, x, h0, W_ih, W_hh, b_ih, b_hh):
    """dL/dh_0 of the GRU that reads the blocks as u, r, h~ (the kernel at the permuted blocks)."""
    return gru_dh0(dh, x, h0, *(_blocks(A, KERAS_GRU) for A in (W_ih, W_hh, b_ih, b_hh)))


def _gru_swapped(dh, x, h0, W_ih, W_hh, b_ih, b_hh):
    """dL/dh_0 of the GRU h_t = u h~ + (1 - u) h_{t-1}: PyTorch's GRU with the update gate's
    pre-activation negated (1 - sigma(a) = sigma(-a))."""
    sign = np.concatenate([np.ones(len(b_ih) // 3), -np.ones(len(b_ih) // 3), np.ones(len(b_ih) // 3)])
    return gru_dh0(dh, x, h0, W_ih * sign[:, None], W_hh * sign[:, None], b_ih * sign, b_hh * sign)


def _gru_direct(dh, x, h0, W_ih, W_hh, b_ih, b_hh, *, direct):
    """dL/dh_0 with the direct path's factor u_{t+1} ("next", the kernel's) replaced: "none" drops
    the path, "one minus" puts 1 - u_{t+1}, the candidate's weight, in its place."""
    _, cache = gru_np.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    T, N, m = cache.h.shape
    carry = np.zeros((N, m))
    for t in range(T - 1, -1, -1):
        r, u, n = np.split(cache.gates[t], 3, axis=1)
        h_prev = cache.h[t - 1] if t > 0 else h0
        g = dh[t] + carry
        da_n = g * (1 - u) * (1 - n ** 2)
        d_gh = np.concatenate([da_n * cache.gh_n[t] * r * (1 - r), g * (h_prev - n) * u * (1 - u), da_n * r], axis=1)
        carry = {"next": g * u, "none": 0 * g, "one minus": g * (1 - u)}[direct] + d_gh @ W_hh
    return carry


# ------------------------------------------------------------------ the forget bias of the figure

#: The gradient norm to reach at lag T_MEASURE, and the relative precision asked for the bias.
BIAS_TARGET, BIAS_TOLERANCE = 1e-3, 1e-4


def _kernel_pair(bias: float) -> tuple[np.ndarray, np.ndarray]:
    """(dL/dh_0, dL/dc_0) for L = u^T h_T over the figure's sequence from rest, from lstm_backward."""
    x, u, _ = lstm_gru_sym.driven_input()
    zeros = np.zeros((1, lstm_gru_sym.M_HIDDEN))
    h, cache = lstm_np.lstm_forward(x, zeros, zeros, *lstm_gru_sym._lstm(forget_bias=bias))
    dh = np.zeros_like(h)
    dh[-1] = u
    grads = lstm_np.lstm_backward(dh, cache)
    return grads.dh0, grads.dc0


def _threshold(norm_at) -> float:
    """The bias at which norm_at(bias) reaches BIAS_TARGET: the root of log(norm_at / BIAS_TARGET),
    which grows smoothly with the bias in [0, 3], by regula falsi (Illinois) in [1, 3], to a relative
    1e-10."""
    f = lambda b: float(np.log(norm_at(b) / BIAS_TARGET))  # noqa: E731
    lo, hi = 1.0, 3.0
    f_lo, f_hi, side = f(lo), f(hi), 0
    for _ in range(60):
        mid = hi - f_hi * (hi - lo) / (f_hi - f_lo)
        f_mid = f(mid)
        if f_mid < 0:
            lo, f_lo = mid, f_mid
            f_hi, side = (f_hi / 2 if side == -1 else f_hi), -1
        else:
            hi, f_hi = mid, f_mid
            f_lo, side = (f_lo / 2 if side == 1 else f_lo), 1
        if abs(f_mid) < 1e-12 or hi - lo < 1e-10 * hi:
            return mid
    raise RuntimeError("the bias's bisection did not converge")


def _lag_norm(bias: float, **kw) -> float:
    """The figure's gradient norm at lag T_MEASURE, from state_gradient_by_lag (the figure's function)."""
    x, u, _ = lstm_gru_sym.driven_input()
    params = lstm_gru_sym._lstm(forget_bias=bias)
    return float(lstm_gru_sym.state_gradient_by_lag("LSTM", x, params, u, [lstm_gru_sym.T_MEASURE], **kw)[0])


def _complex_step_norm(bias: float) -> float:
    """||(dL/dh_0, dL/dc_0)|| for L = u^T h_T, by the complex step through the LSTM written out
    here: one batch row per entry of (h_0, c_0), stepped by i 1e-30."""
    x, u, _ = lstm_gru_sym.driven_input()
    m = lstm_gru_sym.M_HIDDEN
    W_ih, W_hh, b = lstm_gru_sym._lstm(forget_bias=bias)
    start = 1e-30j * np.eye(2 * m)
    h, c = start[:, :m], start[:, m:]
    for t in range(len(x)):
        h, c = _lstm_cell(np.repeat(x[t], 2 * m, axis=0), h, c, W_ih, W_hh, b)
    return float(np.linalg.norm(np.imag(h @ u[0]) / 1e-30))


def _bias_witness(answer) -> bool:
    """A hair below the answer the complex-step norm is below the target, a hair above it is not."""
    bias = float(answer)
    return (_complex_step_norm(bias * (1 - BIAS_TOLERANCE / 10)) < BIAS_TARGET
            <= _complex_step_norm(bias * (1 + BIAS_TOLERANCE / 10)))


# ------------------------------------------------------------------ the exercises

_LAYOUT = (r"in PyTorch's layout: the rows of `W_ih` $\in \mathbb{R}^{4m \times n}$, "
           r"`W_hh` $\in \mathbb{R}^{4m \times m}$ and `b` $\in \mathbb{R}^{4m}$ are four blocks of $m$, "
           r"stacked in the order input gate $i$, forget gate $f$, candidate $\tilde c$, output gate $o$; "
           r"with $a = x_t W_{ih}^\top + h_{t-1} W_{hh}^\top + b$ (rows are the $N$ samples), "
           r"$i_t = \sigma(a^i)$, $f_t = \sigma(a^f)$, $\tilde c_t = \tanh(a^{\tilde c})$, "
           r"$o_t = \sigma(a^o)$, $c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$ and "
           r"$h_t = o_t \odot \tanh(c_t)$")

_LAYOUT_MISTAKE = ("the blocks are read in the order i, f, o, g (the candidate's and the output gate's "
                   "blocks swapped): PyTorch's layout, the book's, stacks input, forget, candidate, output")

EXERCISES = (
    Exercise(
        id="lstm_gru.lstm_step", chapter="lstm_gru", title="One LSTM step with stacked weights",
        statement=r"Write `lstm_step(x, h_prev, c_prev, W_ih, W_hh, b)` returning the new hidden state "
                  r"$h_t \in \mathbb{R}^{N \times m}$ of one LSTM step, for `x` $\in \mathbb{R}^{N \times n}$, "
                  r"`h_prev` and `c_prev` $\in \mathbb{R}^{N \times m}$, " + _LAYOUT + ".",
        hint=r"One product gives the four pre-activations, $a \in \mathbb{R}^{N \times 4m}$; block $k$ "
             r"is the columns $k m, \dots, (k + 1) m - 1$. The candidate goes through $\tanh$, the "
             r"three gates through $\sigma$, and $h_t$ takes $\tanh$ of the new cell.",
        signature="lstm_step(x, h_prev, c_prev, W_ih, W_hh, b) -> array (N, m)", solution=lstm_step,
        inputs=_step_inputs, sizes=STEP_SIZES, difficulty=1, witness=_agrees_with_lstm_forward,
        mistakes=(
            Mistake("candidate and output swapped", _LAYOUT_MISTAKE, "lstm_gru.html#pitfalls",
                    lambda *a: _step_variant(*a, order=G_O_SWAPPED)),
            Mistake("i and f swapped", "the input and forget blocks are swapped: the first block is the "
                    "input gate, the second the forget gate", "lstm_gru.html#the-lstm-cell",
                    lambda *a: _step_variant(*a, order=(1, 0, 2, 3))),
            Mistake("no tanh on the cell", "h_t = o_t ⊙ c_t: the cell goes through tanh first, "
                    "h_t = o_t ⊙ tanh(c_t)", "lstm_gru.html#the-lstm-cell",
                    lambda *a: _step_variant(*a, cell_tanh=False)),
            Mistake("sigmoid candidate", "the candidate goes through the sigmoid; it is tanh, so that "
                    "the cell can decrease as well as increase", "lstm_gru.html#the-lstm-cell",
                    lambda *a: _step_variant(*a, candidate=activations_np.sigmoid)),
        )),
    Exercise(
        id="lstm_gru.dc_prev", chapter="lstm_gru", title="The gradient on the previous cell state",
        statement=r"One LSTM step maps $(h_{t-1}, c_{t-1})$ to $(h_t, c_t)$ " + _LAYOUT + r". Write "
                  r"`dc_prev(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b)` returning "
                  r"$\partial L / \partial c_{t-1} \in \mathbb{R}^{N \times m}$ through this step, for the "
                  r"loss $L = \sum (dh \odot h_t) + \sum (dc \odot c_t)$: `dh` $\in \mathbb{R}^{N \times m}$ "
                  r"is the whole gradient on $h_t$ and `dc` $\in \mathbb{R}^{N \times m}$ the gradient that "
                  r"reaches $c_t$ from the next step, $h_{t-1}$ held fixed.",
        hint=r"$c_t$ is used twice, by $h_t$ and by the next step: "
             r"$\partial L / \partial c_t$ is `dc` plus $dh \odot o_t \odot (1 - \tanh^2(c_t))$; then "
             r"$c_t = f_t \odot c_{t-1} + \dots$ passes it to $c_{t-1}$ multiplied by $f_t$.",
        signature="dc_prev(dh, dc, x, h_prev, c_prev, W_ih, W_hh, b) -> array (N, m)", solution=dc_prev,
        inputs=_one_step_inputs, sizes=STEP_SIZES, difficulty=2,
        witness=gradient_witness(_one_step_loss, 4, _one_step_inputs, (2, 3, 4)),
        mistakes=(
            Mistake("path through h_t dropped", "only dc reaches c_{t-1}: c_t is also used by "
                    "h_t = o ⊙ tanh(c_t), whose gradient dh ⊙ o ⊙ (1 - tanh^2(c_t)) adds to it",
                    "lstm_gru.html#the-lstm-backward-pass-by-hand",
                    lambda *a: _dc_prev_variant(*a, through_h=False)),
            Mistake("tanh' at the wrong point", "tanh' is written 1 - c_t^2; at c_t it is "
                    "1 - tanh^2(c_t)", "lstm_gru.html#pitfalls", lambda *a: _dc_prev_variant(*a, fprime="c")),
            Mistake("tanh' through h_t", "tanh' is written 1 - h_t^2, the RNN's form; here h_t is "
                    "o_t ⊙ tanh(c_t), and the derivative is 1 - tanh^2(c_t)", "lstm_gru.html#pitfalls",
                    lambda *a: _dc_prev_variant(*a, fprime="h")),
            Mistake("f_t forgotten", "this is dL/dc_t; c_{t-1} enters c_t multiplied by the forget "
                    "gate f_t, so its gradient is dL/dc_t ⊙ f_t", "lstm_gru.html#the-lstm-backward-pass-by-hand",
                    lambda *a: _dc_prev_variant(*a, forget=False)),
            Mistake("candidate and output swapped", _LAYOUT_MISTAKE, "lstm_gru.html#pitfalls",
                    lambda *a: _dc_prev_variant(*a, order=G_O_SWAPPED)),
        )),
    Exercise(
        id="lstm_gru.dW_hh", chapter="lstm_gru", title="The LSTM's recurrent weight gradient",
        statement=r"Write `dW_hh(dh, x, h0, c0, W_ih, W_hh, b)` returning $\partial L / \partial W_{hh}$, "
                  r"shape $(4m, m)$ in the layout of `W_hh`, for the LSTM run over $T$ steps from "
                  r"`h0`, `c0` $\in \mathbb{R}^{N \times m}$ on `x` $\in \mathbb{R}^{T \times N \times n}$, "
                  + _LAYOUT + r"; `dh` $\in \mathbb{R}^{T \times N \times m}$ holds "
                  r"$\partial \ell_t / \partial h_t$, the gradient each $h_t$ receives from its own step.",
        hint=r"Backwards from $t = T$: $h_t$ receives $\partial \ell_t / \partial h_t$ and the next "
             r"step's $\delta_{t+1} W_{hh}$; $c_t$ receives the next step's "
             r"$\partial L / \partial c_{t+1} \odot f_{t+1}$ and $h_t$'s gradient through "
             r"$o_t \odot \tanh(c_t)$. Stack the four gates' $\delta$s like the rows of $W_{hh}$: "
             r"$\partial L / \partial W_{hh} = \sum_t \delta_t h_{t-1}^\top$, in the batch "
             r"$\sum_t \Delta_t^\top H_{t-1}$ with $\Delta_t \in \mathbb{R}^{N \times 4m}$ and "
             r"$H_{t-1} \in \mathbb{R}^{N \times m}$ one row per sample.",
        signature="dW_hh(dh, x, h0, c0, W_ih, W_hh, b) -> array (4m, m)", solution=dW_hh,
        inputs=_sequence_inputs, sizes=SEQUENCE_SIZES, difficulty=3,
        witness=gradient_witness(_lstm_loss, 5, _sequence_inputs, (4, 2, 3, 5)),
        mistakes=(
            Mistake("candidate and output swapped", _LAYOUT_MISTAKE, "lstm_gru.html#pitfalls", _g_o_swapped_dW_hh),
            Mistake("cell path dropped", "nothing reaches c_{t-1} from c_t: the cell path carries "
                    "dL/dc_t ⊙ f_t back to c_{t-1}", "lstm_gru.html#pitfalls",
                    lambda *a: _dW_hh_variant(*a, cell_path=False)),
            Mistake("tanh' at the wrong point", "tanh' of the cell is written 1 - c_t^2; at c_t it is "
                    "1 - tanh^2(c_t)", "lstm_gru.html#pitfalls", lambda *a: _dW_hh_variant(*a, fprime="c")),
            Mistake("f_t for f_t+1", "the cell path multiplies by f_t; the gradient of c_{t+1} reaches c_t "
                    "through the forget gate of step t + 1, the step that uses c_t", "lstm_gru.html#pitfalls",
                    lambda *a: _dW_hh_variant(*a, forget="this")),
            Mistake("c_t in delta^f", "delta^f_t uses c_t; f_t multiplies c_{t-1}, so "
                    "delta^f_t = dL/dc_t ⊙ c_{t-1} ⊙ f_t ⊙ (1 - f_t)", "lstm_gru.html#pitfalls",
                    lambda *a: _dW_hh_variant(*a, f_cell="this")),
        )),
    Exercise(
        id="lstm_gru.gru_dh0", chapter="lstm_gru", title="The GRU's initial state gradient",
        statement=r"Write `dh0(dh, x, h0, W_ih, W_hh, b_ih, b_hh)` returning $\partial L / \partial h_0 "
                  r"\in \mathbb{R}^{N \times m}$ for the GRU run over $T$ steps on "
                  r"`x` $\in \mathbb{R}^{T \times N \times n}$ from `h0` $\in \mathbb{R}^{N \times m}$, in "
                  r"PyTorch's layout: the rows of `W_ih` $\in \mathbb{R}^{3m \times n}$, "
                  r"`W_hh` $\in \mathbb{R}^{3m \times m}$, `b_ih` and `b_hh` $\in \mathbb{R}^{3m}$ are the "
                  r"blocks reset gate $r$, update gate $u$, candidate $\tilde h$; with "
                  r"$a^{ih} = x_t W_{ih}^\top + b_{ih}$ and $a^{hh} = h_{t-1} W_{hh}^\top + b_{hh}$, "
                  r"$r_t = \sigma(a^{ih,r} + a^{hh,r})$, $u_t = \sigma(a^{ih,u} + a^{hh,u})$, "
                  r"$\tilde h_t = \tanh(a^{ih,\tilde h} + r_t \odot a^{hh,\tilde h})$ and "
                  r"$h_t = (1 - u_t) \odot \tilde h_t + u_t \odot h_{t-1}$. `dh` "
                  r"$\in \mathbb{R}^{T \times N \times m}$ holds $\partial \ell_t / \partial h_t$.",
        hint=r"$h_{t-1}$ is used directly, weighted by $u_t$, and through $a^{hh}_t$: "
             r"$\partial L / \partial h_{t-1} = u_t \odot g_t + \delta^{hh}_t W_{hh}$, with $g_t$ the "
             r"whole gradient on $h_t$ and the candidate's block of $\delta^{hh}_t$ multiplied by $r_t$.",
        signature="dh0(dh, x, h0, W_ih, W_hh, b_ih, b_hh) -> array (N, m)", solution=gru_dh0,
        inputs=_gru_inputs, sizes=SEQUENCE_SIZES, difficulty=3,
        witness=gradient_witness(_gru_loss, 2, _gru_inputs, (4, 2, 3, 5)),
        mistakes=(
            Mistake("update convention swapped", "this is the GRU h_t = u_t ⊙ h~_t + (1 - u_t) ⊙ h_{t-1}; "
                    "PyTorch's, the book's, weighs the old state by u_t: h_t = (1 - u_t) ⊙ h~_t + u_t ⊙ h_{t-1}",
                    "lstm_gru.html#the-gru-cell", _gru_swapped),
            Mistake("Keras layout", "the blocks are read in the order u, r, h~ (Keras's): PyTorch's "
                    "layout, the book's, stacks reset, update, candidate", "lstm_gru.html#pitfalls",
                    _gru_keras),
            Mistake("direct path dropped", "only the path through W_hh reaches h_{t-1}: h_t also uses "
                    "h_{t-1} directly, which adds u_t ⊙ dL/dh_t", "lstm_gru.html#the-gru-backward-pass-by-hand",
                    lambda *a: _gru_direct(*a, direct="none")),
            Mistake("1 - u on the direct path", "the direct path carries (1 - u_t) ⊙ dL/dh_t, the "
                    "candidate's weight; h_{t-1} is weighted by u_t", "lstm_gru.html#pitfalls",
                    lambda *a: _gru_direct(*a, direct="one minus")),
        )),
    Exercise(
        id="lstm_gru.forget_bias", chapter="lstm_gru", kind="number", difficulty=2,
        title="The forget bias that keeps the gradient",
        statement=r"Take the measurement of the chapter's figure of the gradient against the lag: "
                  r"`x, u, _ = driven_input()` (the figure's sequence, $T = 100$, and its unit gradient on "
                  r"$h_T$) and `params = init_lstm(8, 32, np.random.default_rng(1), forget_bias=b)`, all "
                  r"from `derivations.symbolic.lstm_gru`. `state_gradient_by_lag('LSTM', x, params, u, "
                  r"[100])` is the norm of the gradient that reaches the LSTM's state $(h_0, c_0)$, lag 100. "
                  r"For a forget gate's bias $b$ between 0 and 3 it grows with $b$. Give the $b$ in $[0, 3]$ "
                  r"at which it equals $10^{-3}$, to a relative $10^{-4}$.",
        hint=r"At $b = 0$ the norm is about $10^{-20}$, at $b = 3$ about $0.7$; bisect on $b$ (thirteen "
             r"halvings of $[0, 3]$ put the midpoint within $2 \cdot 10^{-4}$ of the root, a relative $10^{-4}$). The logarithm of the norm rises smoothly but is not linear in $b$: its "
             r"$\log_{10}$ climbs about 13 per unit of $b$ near 0 and about 3 near 3, so a secant or "
             r"regula falsi step on it needs a few iterations, not one.",
        signature="the bias b", solution=_threshold(_lag_norm), witness=_bias_witness,
        tolerance=BIAS_TOLERANCE,
        mistakes=(
            Mistake("direct path alone", "this is the bias at which the direct path alone, the product "
                    "of the forget gates, carries 1e-3; the whole gradient, every path, reaches it at a "
                    "smaller bias", "lstm_gru.html#what-the-gates-do-to-the-gradient-measured",
                    _threshold(lambda b: _lag_norm(b, direct_only=True))),
            Mistake("h_0 only", "this measures the gradient on h_0 alone; the LSTM's state is the pair "
                    "(h_0, c_0), and the norm is that of both", "lstm_gru.html#what-the-gates-do-to-the-gradient-measured",
                    _threshold(lambda b: float(np.linalg.norm(_kernel_pair(b)[0])))),
            Mistake("c_0 only", "this measures the gradient on c_0 alone; the LSTM's state is the pair "
                    "(h_0, c_0), and the norm is that of both", "lstm_gru.html#what-the-gates-do-to-the-gradient-measured",
                    _threshold(lambda b: float(np.linalg.norm(_kernel_pair(b)[1])))),
        )),
)
