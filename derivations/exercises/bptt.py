"""Exercises of the BPTT chapter (bptt.html): the recurrent weight's gradient, dL/dh_0 and truncated
BPTT's gradient in NumPy, and the powers of W_hh in a number.

The chapter's RNN, batched: h_t = tanh(x_t W_hx^T + h_{t-1} W_hh^T + b_h), t = 1..T, for x
(T, N, n) and h_0 (N, m); the loss's gradient on every hidden state, dh (T, N, m), is given.
"""

from __future__ import annotations

import numpy as np

from ..numeric import rnn as rnn_np
from ..symbolic import bptt as bptt_sym
from . import Exercise, Mistake, gradient_witness

#: The sizes (T, N, n, m) at which an answer is tried.
SIZES = ((5, 3, 2, 4), (3, 2, 4, 5), (6, 1, 3, 2))
#: The sizes (T, N, n, m, k) of the truncation exercise: a window k of 2 to 4 steps, below T - 1
#: (so that a window one step longer is not yet full BPTT).
WINDOW_SIZES = ((7, 2, 4, 5, 3), (8, 3, 1, 4, 2), (6, 1, 2, 3, 4))


def _inputs(rng, size):
    T, N, n, m = size
    return (rng.standard_normal((T, N, m)), rng.standard_normal((T, N, n)), rng.standard_normal((N, m)),
            rng.standard_normal((m, n)) / np.sqrt(n), 0.5 * rng.standard_normal((m, m)) / np.sqrt(m),
            rng.standard_normal(m))


def _window_inputs(rng, size):
    T, N, n, m, k = size
    return (*_inputs(rng, (T, N, n, m)), k)


def _loss(dh, x, h0, W_hx, W_hh, b_h):
    """sum_t sum(dh_t * h_t): its gradient on h_t is dh_t (the exercise's given gradients)."""
    h, total = h0, 0.0
    for t in range(len(x)):
        h = np.tanh(x[t] @ W_hx.T + h @ W_hh.T + b_h)
        total = total + np.sum(dh[t] * h)
    return total


def dW_hh(dh, x, h0, W_hx, W_hh, b_h):
    """dL/dW_hh = sum_t delta_t h_{t-1}^T (m, m), in the batch sum_t Delta_t^T H_{t-1} (rows are
    samples), from the package's rnn_backward."""
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache).dW_hh


def dh0(dh, x, h0, W_hx, W_hh, b_h):
    """dL/dh_0 = delta_1 W_hh (N, m), rows the samples, from the package's rnn_backward."""
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache).dh0


def dW_hh_window(dh, x, h0, W_hx, W_hh, b_h, k):
    """Truncated BPTT's dL/dW_hh with a sliding window of k steps (m, m), from rnn_backward."""
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache, truncate=k).dW_hh


def _deltas(dh, x, h0, W_hx, W_hh, b_h, *, W=None, fprime=None):
    """(deltas, dL/dh_0) of bptt_deltas, optionally with another matrix or f' (the mistakes')."""
    h, _ = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.bptt_deltas(dh, h, W_hh if W is None else W, None if fprime is None else fprime(h))


def _terms(dh, x, h0, W_hx, W_hh, b_h, *, state="previous"):
    """The per-step terms Delta_t^T H_{t-1}, t = 1..T (or Delta_t^T H_t, state="own": the pitfall)."""
    h, _ = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    deltas, _ = rnn_np.bptt_deltas(dh, h, W_hh)
    previous = np.concatenate([h0[None], h[:-1]]) if state == "previous" else h
    return [d.T @ p for d, p in zip(deltas, previous)]


def _window(dh, x, h0, W_hx, W_hh, b_h, k=1):
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward(dh, cache, truncate=k)


def _window_one(*args):
    return _window(*args).dW_hh


def _chunked(dh, x, h0, W_hx, W_hh, b_h, k):
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
    return rnn_np.rnn_backward_chunked(dh, cache, k).dW_hh


def _agrees_with_the_jacobian_products(answer) -> bool:
    """The answer equals the sum of the kept Jacobian products dh_s/dh_t, s - t = 0..k-1, written
    out one by one (bptt.truncated_by_brute_force), at two sizes."""
    for size in ((6, 2, 3, 4, 2), (7, 3, 2, 5, 3)):
        args = _window_inputs(np.random.default_rng(5), size)
        dh, x, h0, W_hx, W_hh, b_h, k = args
        h, _ = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b_h)
        want = bptt_sym.truncated_by_brute_force(h0, h, W_hh, dh, k)
        got = np.asarray(answer(*args), dtype=float)
        if got.shape != want.shape or np.max(np.abs(got - want)) > 1e-10 * np.max(np.abs(want)):
            return False
    return True


#: The matrix of the powers exercise: init_rnn(3, 6, 2, default_rng(POWERS_SEED), radius=0.9)'s W_hh.
POWERS_SEED, POWERS_RADIUS, POWERS_MAX = 1, 0.9, 30


def _powers_matrix() -> np.ndarray:
    return bptt_sym.init_rnn(3, 6, 2, np.random.default_rng(POWERS_SEED), radius=POWERS_RADIUS)["W_hh"]


def _power_norms(norm=lambda A: np.linalg.norm(A, 2)) -> list[float]:
    """||W_hh^j|| for j = 1..POWERS_MAX (the spectral norm unless ``norm``)."""
    W = _powers_matrix()
    return [norm(np.linalg.matrix_power(W, j)) for j in range(1, POWERS_MAX + 1)]


def _stays_below_one_from(norms) -> int:
    """The smallest j such that norms[i - 1] < 1 for every i = j..POWERS_MAX."""
    return 1 + max((j for j, v in enumerate(norms, 1) if v >= 1), default=0)


def _first_below_one(norms) -> int:
    return next(j for j, v in enumerate(norms, 1) if v < 1)


def _powers_witness(answer) -> bool:
    """The spectral norms recomputed another way, from the largest eigenvalue of P^T P with P the
    product of j copies of W_hh built one factor at a time: below 1 at every j >= answer, and
    not below 1 at answer - 1."""
    j0 = float(answer)
    if j0 != int(j0) or not 1 <= j0 <= POWERS_MAX:
        return False
    W, P, norms = _powers_matrix(), np.eye(6), []
    for _ in range(POWERS_MAX):
        P = P @ W
        norms.append(float(np.sqrt(np.max(np.linalg.eigvalsh(P.T @ P)))))
    j0 = int(j0)
    return all(v < 1 for v in norms[j0 - 1:]) and (j0 == 1 or norms[j0 - 2] >= 1)


_RNN = (r"for the RNN $h_t = \tanh(x_t W_{hx}^\top + h_{t-1} W_{hh}^\top + b_h)$, $t = 1, \dots, T$, "
        r"batched (rows are the $N$ sequences): `dh` $\in \mathbb{R}^{T \times N \times m}$ holds the "
        r"loss's gradient $\partial \ell_t / \partial h_t$ on each hidden state from its own step, "
        r"`x` $\in \mathbb{R}^{T \times N \times n}$, `h0` $\in \mathbb{R}^{N \times m}$, "
        r"`W_hx` $\in \mathbb{R}^{m \times n}$, `W_hh` $\in \mathbb{R}^{m \times m}$, "
        r"`b_h` $\in \mathbb{R}^m$")

EXERCISES = (
    Exercise(
        id="bptt.dW_hh", chapter="bptt", title="The recurrent weight's gradient",
        statement=r"Write `dW_hh(dh, x, h0, W_hx, W_hh, b_h)` returning $\partial L / \partial W_{hh}$, "
                  r"shape $(m, m)$, " + _RNN + ".",
        hint=r"$W_{hh}$ is used at every step: its gradient is $\sum_{t=1}^{T} \delta_t h_{t-1}^\top$, "
             r"in the batch $\sum_t \Delta_t^\top H_{t-1}$ ($\Delta_t$ and $H_{t-1}$ one row per "
             r"sample), and $\delta_t$ collects the gradient from step $t$'s own loss and from step "
             r"$t + 1$.",
        signature="dW_hh(dh, x, h0, W_hx, W_hh, b_h) -> array (m, m)", solution=dW_hh, inputs=_inputs,
        sizes=SIZES, difficulty=3, witness=gradient_witness(_loss, 4, _inputs, (4, 2, 3, 5)),
        mistakes=(
            Mistake("transposed", "the transpose of dL/dW_hh: the outer products are delta_t h_{t-1}^T "
                    "(in the batch Delta_t^T H_{t-1}), rows indexed by the output",
                    "bptt.html#the-recursion-and-the-gradients", lambda *a: dW_hh(*a).T),
            Mistake("h_t for h_t-1", "delta_t is paired with h_t, the state after its step: W_hh "
                    "multiplies the state before it, so the terms are delta_t h_{t-1}^T",
                    "bptt.html#bptt-pitfalls", lambda *a: sum(_terms(*a, state="own"))),
            Mistake("next step dropped", "each delta_t has only its own step's gradient: the gradient "
                    "arriving from step t + 1 through W_hh is missing", "bptt.html#bptt-pitfalls",
                    _window_one),
            Mistake("h_0 term dropped", "the first step's term delta_1 h_0^T is missing: the sum over "
                    "the uses of W_hh starts at t = 1", "bptt.html#bptt-pitfalls",
                    lambda *a: sum(_terms(*a)[1:])),
            Mistake("last step only", "only the last step's use of W_hh is counted: W_hh is used at "
                    "every step, and its gradient is the sum over all of them", "bptt.html#bptt-pitfalls",
                    lambda *a: _terms(*a)[-1]),
        )),
    Exercise(
        id="bptt.dh0", chapter="bptt", title="The initial state's gradient",
        statement=r"Write `dh0(dh, x, h0, W_hx, W_hh, b_h)` returning $\partial L / \partial h_0$, "
                  r"shape $(N, m)$ (row $b$ the gradient on sequence $b$'s initial state), " + _RNN + ".",
        hint=r"Run the recursion $\delta_t = (1 - h_t^{\odot 2}) \odot g_t$, with "
             r"$g_t = \partial \ell_t / \partial h_t + W_{hh}^\top \delta_{t+1}$, back to $t = 1$ (with $\delta_{T+1} = 0$); $h_0$ is used "
             r"once, by $z_1 = W_{hx} x_1 + W_{hh} h_0 + b_h$. With rows as samples, "
             r"$W_{hh}^\top \delta$ is the row vector $\delta W_{hh}$.",
        signature="dh0(dh, x, h0, W_hx, W_hh, b_h) -> array (N, m)", solution=dh0, inputs=_inputs,
        sizes=SIZES, difficulty=2, witness=gradient_witness(_loss, 2, _inputs, (4, 2, 3, 5)),
        mistakes=(
            Mistake("W_hh for W_hh^T", "W_hh is used where W_hh^T belongs: with rows as samples the "
                    "gradient goes back as delta W_hh, not delta W_hh^T", "bptt.html#bptt-pitfalls",
                    lambda *a: _deltas(*a, W=a[4].T)[1]),
            Mistake("f' at the output", "tanh' is taken at h_t, 1 - tanh(h_t)^2, instead of at the "
                    "pre-activation z_t, where it is 1 - h_t^2", "bptt.html#bptt-pitfalls",
                    lambda *a: _deltas(*a, fprime=lambda h: 1 - np.tanh(h) ** 2)[1]),
            Mistake("next step dropped", "each delta_t has only its own step's gradient: what arrives "
                    "from step t + 1 through W_hh is missing, so only step 1's loss reaches h_0",
                    "bptt.html#bptt-pitfalls", lambda *a: _window(*a).dh0),
            Mistake("delta_1", "this is delta_1 = dL/dz_1; h_0 enters z_1 through W_hh, so dL/dh_0 "
                    "is one product more, delta_1 W_hh", "bptt.html#the-recursion-and-the-gradients",
                    lambda *a: _deltas(*a)[0][0]),
        )),
    Exercise(
        id="bptt.window", chapter="bptt", title="Truncated BPTT with a sliding window",
        statement=r"Write `dW_hh_window(dh, x, h0, W_hx, W_hh, b_h, k)` returning truncated BPTT's "
                  r"$\partial L / \partial W_{hh}$, shape $(m, m)$, with a sliding window of $k$ steps "
                  r"(`rnn_backward(dh, cache, truncate=k)`): the gradient "
                  r"$\partial \ell_s / \partial h_s$ of each step $s$ is carried back through the $k$ "
                  r"steps $s, s-1, \dots, s-k+1$ only (those that exist), and the results are summed "
                  r"over $s$; " + _RNN + r"; $1 \le k < T$.",
        hint=r"Window $k$ keeps the Jacobian products $\partial h_s / \partial h_t$ for the lags "
             r"$s - t = 0, \dots, k-1$, products of at most $k - 1$ one-step Jacobians. Run the "
             r"recursion once for every $s$, with $\partial \ell_s / \partial h_s$ alone on step $s$, "
             r"over the steps $\max(1, s-k+1), \dots, s$, and add each run's "
             r"$\sum_t \delta_t^\top h_{t-1}$.",
        signature="dW_hh_window(dh, x, h0, W_hx, W_hh, b_h, k) -> array (m, m)", solution=dW_hh_window,
        inputs=_window_inputs, sizes=WINDOW_SIZES, difficulty=3, witness=_agrees_with_the_jacobian_products,
        mistakes=(
            Mistake("chunks", "this is the chunked truncation, the steps cut into chunks of k with the "
                    "state detached at each chunk's start; the sliding window carries every step back "
                    "k steps", "bptt.html#bptt-truncation", _chunked),
            Mistake("k + 1 steps", "the window is one step too long: it carries each step back through "
                    "k Jacobian factors (k + 1 steps), where window k keeps k - 1",
                    "bptt.html#bptt-truncation", lambda *a: dW_hh_window(*a[:-1], a[-1] + 1)),
            Mistake("full BPTT", "this is full BPTT's gradient: the truncation to k steps is not "
                    "applied", "bptt.html#bptt-truncation", lambda *a: dW_hh(*a[:-1])),
            Mistake("k = 1", "only each step's own term is kept, as with k = 1: the window of k steps "
                    "keeps the lags 0 to k - 1", "bptt.html#bptt-truncation",
                    lambda *a: _window_one(*a[:-1])),
        )),
    Exercise(
        id="bptt.powers", chapter="bptt", kind="number", title="When the powers of W_hh stay small",
        statement=r"The chapter's bound $\lVert \partial h_t / \partial h_j \rVert_2 \le "
                  r"(\gamma \lVert W_{hh} \rVert_2)^{t-j}$ uses the spectral norm $\lVert W_{hh} \rVert_2$, "
                  r"not the spectral radius $\rho(W_{hh})$. Take $W_{hh}$ = `init_rnn(3, 6, 2, np.random.default_rng(1), "
                  r"radius=0.9)['W_hh']` (from `derivations.symbolic.bptt`; $\rho(W_{hh}) = 0.9$) and "
                  r"compute the spectral norms $\lVert W_{hh}^{\,j} \rVert_2$ for $j = 1, \dots, 30$. "
                  r"Give the smallest $j$ such that $\lVert W_{hh}^{\,i} \rVert_2 < 1$ for every "
                  r"$i = j, \dots, 30$.",
        hint=r"`np.linalg.norm(A, 2)` is the spectral norm (the default, `np.linalg.norm(A)`, is the "
             r"Frobenius norm). The sequence of norms need not fall monotonically: a norm can dip "
             r"below 1 and rise above it again.",
        signature="the integer j", solution=_stays_below_one_from(_power_norms()), witness=_powers_witness, whole=True,
        mistakes=(
            Mistake("first dip", "this is the first j with a norm below 1; the norms rise above 1 "
                    "again after it, and the answer is the j from which they stay below 1",
                    "bptt.html#why-gradients-vanish-or-explode-over-time",
                    _first_below_one(_power_norms())),
            Mistake("last above", "this is the last j with a norm of at least 1; the answer is the "
                    "one after it", "bptt.html#why-gradients-vanish-or-explode-over-time",
                    _stays_below_one_from(_power_norms()) - 1),
            Mistake("spectral radius", "the spectral radius 0.9 is below 1, but the norms of the "
                    "powers are not bounded by its powers: the bound needs the spectral norm",
                    "bptt.html#bptt-truncation", 1),
        )),
)
