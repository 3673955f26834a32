"""LSTM and GRU backward passes, proved on small unrolled cases, and their gradient paths.

Column-vector convention, one sequence: a_t = W_ih x_t + W_hh h_{t-1} + b, gates in the
frameworks' order (LSTM i, f, g, o; GRU r, z, n). The loss is L = sum_t u_t^T h_t with
symbolic upstream gradients u_t, so dL/d(parameter) is exactly the vector-Jacobian product
that ``lstm_backward`` / ``gru_backward`` compute. SymPy differentiates L unrolled over
T = 2 steps (H = 2, D = 2, every entry a symbol) and compares with the backward recursion
written out below. The gates are written with SymPy's own tanh: sigma(a) = (1 + tanh(a/2))/2 exactly, so the backward's sigma(1-sigma)
is checked, not assumed.

The one-step Jacobians behind the gradient paths are proved the same way:

* LSTM: dc_t/dc_{t-1} = diag(f_t) + [diag(c_{t-1} ⊙ f_t(1-f_t)) W_hf + diag(g_t ⊙ i_t(1-i_t)) W_hi
  + diag(i_t ⊙ (1-g_t^2)) W_hg] diag(o_{t-1} ⊙ (1 - tanh^2 c_{t-1})),
  the direct path diag(f_t) plus the paths through h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1});
* GRU: dh_t/dh_{t-1} = diag(z_t) + diag((h_{t-1} - n_t) ⊙ z_t(1-z_t)) W_hz
  + diag((1-z_t) ⊙ (1-n_t^2)) [diag(r_t) W_hn + diag(gh_n ⊙ r_t(1-r_t)) W_hr],
  the direct path diag(z_t) plus the paths through the gates.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import gru as num_gru
from ..numeric import lstm as num_lstm
from ..provenance import stored_checks
from .common import matrix, vector

TOPIC = "lstm_gru"
T_PROOF, H_PROOF, D_PROOF = 2, 2, 1


def sigma(a):
    """The logistic sigmoid written exactly as (1 + tanh(a/2)) / 2, so that SymPy's tanh
    rule differentiates it and nothing about its derivative is assumed."""
    return (1 + sp.tanh(a / 2)) / 2


def _dsig(s):
    return s.applyfunc(lambda v: v * (1 - v))


def _dtanh(s):
    return s.applyfunc(lambda v: 1 - v**2)


def _had(*ms):
    out = ms[0]
    for m in ms[1:]:
        out = out.multiply_elementwise(m)
    return out


def _blocks(m, k):
    H = m.shape[0] // k
    return [m[j * H:(j + 1) * H, :] for j in range(k)]


# ---------------------------------------------------------------- LSTM

def lstm_step(x, h, c, W_ih, W_hh, b):
    """One LSTM step on column vectors: (h_t, c_t, gates (i, f, g, o))."""
    ai, af, ag, ao = _blocks(W_ih * x + W_hh * h + b, 4)
    i, f, o = ai.applyfunc(sigma), af.applyfunc(sigma), ao.applyfunc(sigma)
    g = ag.applyfunc(sp.tanh)
    c_new = _had(f, c) + _had(i, g)
    return _had(o, c_new.applyfunc(sp.tanh)), c_new, (i, f, g, o)


def lstm_unrolled(T=T_PROOF, H=H_PROOF, D=D_PROOF):
    P = {"W_ih": matrix("u", 4 * H, D), "W_hh": matrix("w", 4 * H, H), "b": vector("b", 4 * H),
         "h0": vector("s", H), "c0": vector("q", H)}
    xs = [vector(f"x{t}", D) for t in range(1, T + 1)]
    us = [vector(f"g{t}", H) for t in range(1, T + 1)]
    hs, cs, gates = [P["h0"]], [P["c0"]], [None]
    for t in range(T):
        h, c, gt = lstm_step(xs[t], hs[-1], cs[-1], P["W_ih"], P["W_hh"], P["b"])
        hs.append(h), cs.append(c), gates.append(gt)
    L = sum((u.T * h)[0, 0] for u, h in zip(us, hs[1:]))
    return P, xs, us, hs, cs, gates, L


def lstm_backward_symbolic(P, xs, us, hs, cs, gates):
    """The LSTM backward recursion of ``lstm_backward``, on column vectors.

    dh_t = u_t + W_hh^T da_{t+1}; dc_t = dh_t ⊙ o_t ⊙ (1 - tanh^2 c_t) + dc_{t+1} ⊙ f_{t+1};
    da_t stacks dc_t ⊙ g_t ⊙ i_t(1-i_t), dc_t ⊙ c_{t-1} ⊙ f_t(1-f_t), dc_t ⊙ i_t ⊙ (1-g_t^2)
    and dh_t ⊙ tanh(c_t) ⊙ o_t(1-o_t); dW_ih = sum da_t x_t^T, dW_hh = sum da_t h_{t-1}^T,
    db = sum da_t, dx_t = W_ih^T da_t, dh_0 = W_hh^T da_1, dc_0 = dc_1 ⊙ f_1.
    """
    T, H = len(xs), P["h0"].shape[0]
    da, dx = [None] * (T + 1), [None] * (T + 1)
    dh_next, dc_next = sp.zeros(H, 1), sp.zeros(H, 1)
    for t in range(T, 0, -1):
        i, f, g, o = gates[t]
        tc = cs[t].applyfunc(sp.tanh)
        dh = us[t - 1] + dh_next
        dc = _had(dh, o, _dtanh(tc)) + dc_next
        da[t] = sp.Matrix.vstack(_had(dc, g, _dsig(i)), _had(dc, cs[t - 1], _dsig(f)),
                                 _had(dc, i, _dtanh(g)), _had(dh, tc, _dsig(o)))
        dx[t] = P["W_ih"].T * da[t]
        dh_next, dc_next = P["W_hh"].T * da[t], _had(dc, f)
    return {"W_ih": sum((da[t] * xs[t - 1].T for t in range(1, T + 1)), sp.zeros(*P["W_ih"].shape)),
            "W_hh": sum((da[t] * hs[t - 1].T for t in range(1, T + 1)), sp.zeros(*P["W_hh"].shape)),
            "b": sum(da[1:], sp.zeros(*P["b"].shape)), "h0": dh_next, "c0": dc_next,
            **{f"x{t}": dx[t] for t in range(1, T + 1)}}


# ---------------------------------------------------------------- GRU

def gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """One GRU step on column vectors: (h_t, (r, z, n), gh_n)."""
    gi, gh = _blocks(W_ih * x + b_ih, 3), _blocks(W_hh * h + b_hh, 3)
    r, z = (gi[0] + gh[0]).applyfunc(sigma), (gi[1] + gh[1]).applyfunc(sigma)
    n = (gi[2] + _had(r, gh[2])).applyfunc(sp.tanh)
    return _had(z.applyfunc(lambda v: 1 - v), n) + _had(z, h), (r, z, n), gh[2]


def gru_unrolled(T=T_PROOF, H=H_PROOF, D=D_PROOF):
    P = {"W_ih": matrix("u", 3 * H, D), "W_hh": matrix("w", 3 * H, H), "b_ih": vector("b", 3 * H),
         "b_hh": vector("d", 3 * H), "h0": vector("s", H)}
    xs = [vector(f"x{t}", D) for t in range(1, T + 1)]
    us = [vector(f"g{t}", H) for t in range(1, T + 1)]
    hs, gates, ghn = [P["h0"]], [None], [None]
    for t in range(T):
        h, gt, gn = gru_step(xs[t], hs[-1], P["W_ih"], P["W_hh"], P["b_ih"], P["b_hh"])
        hs.append(h), gates.append(gt), ghn.append(gn)
    L = sum((u.T * h)[0, 0] for u, h in zip(us, hs[1:]))
    return P, xs, us, hs, gates, ghn, L


def gru_backward_symbolic(P, xs, us, hs, gates, ghn):
    """The GRU backward recursion of ``gru_backward``, on column vectors: with
    dh_t = u_t + (carry from t+1), da_n = dh_t ⊙ (1-z) ⊙ (1-n^2), da_z = dh_t ⊙ (h_{t-1} - n) ⊙ z(1-z),
    da_r = da_n ⊙ gh_n ⊙ r(1-r): d(gi) = [da_r; da_z; da_n], d(gh) = [da_r; da_z; da_n ⊙ r];
    the carry to h_{t-1} is dh_t ⊙ z + W_hh^T d(gh)."""
    T, H = len(xs), P["h0"].shape[0]
    dgi, dgh, dx = [None] * (T + 1), [None] * (T + 1), [None] * (T + 1)
    carry = sp.zeros(H, 1)
    for t in range(T, 0, -1):
        r, z, n = gates[t]
        dh = us[t - 1] + carry
        da_n = _had(dh, z.applyfunc(lambda v: 1 - v), _dtanh(n))
        da_z = _had(dh, hs[t - 1] - n, _dsig(z))
        da_r = _had(da_n, ghn[t], _dsig(r))
        dgi[t] = sp.Matrix.vstack(da_r, da_z, da_n)
        dgh[t] = sp.Matrix.vstack(da_r, da_z, _had(da_n, r))
        dx[t] = P["W_ih"].T * dgi[t]
        carry = _had(dh, z) + P["W_hh"].T * dgh[t]
    steps = range(1, T + 1)
    return {"W_ih": sum((dgi[t] * xs[t - 1].T for t in steps), sp.zeros(*P["W_ih"].shape)),
            "W_hh": sum((dgh[t] * hs[t - 1].T for t in steps), sp.zeros(*P["W_hh"].shape)),
            "b_ih": sum(dgi[1:], sp.zeros(*P["b_ih"].shape)),
            "b_hh": sum(dgh[1:], sp.zeros(*P["b_hh"].shape)), "h0": carry,
            **{f"x{t}": dx[t] for t in steps}}


@lru_cache(maxsize=1)
def derivations():
    """{model: (SymPy's gradients of the unrolled loss, the backward recursion's)}."""
    out = {}
    P, xs, us, hs, cs, gates, L = lstm_unrolled()
    args = {**P, **{f"x{t + 1}": x for t, x in enumerate(xs)}}
    out["LSTM"] = ({k: v.applyfunc(lambda e: sp.diff(L, e)) for k, v in args.items()},
                   lstm_backward_symbolic(P, xs, us, hs, cs, gates))
    P, xs, us, hs, gates, ghn, L = gru_unrolled()
    args = {**P, **{f"x{t + 1}": x for t, x in enumerate(xs)}}
    out["GRU"] = ({k: v.applyfunc(lambda e: sp.diff(L, e)) for k, v in args.items()},
                  gru_backward_symbolic(P, xs, us, hs, gates, ghn))
    return out


# ---------------------------------------------------------------- one-step Jacobians

def lstm_cell_jacobian():
    """(SymPy's dc_t/dc_{t-1}, the direct path diag(f_t), the paths through h_{t-1});
    the closed form of the module docstring is the sum of the last two."""
    H, D = H_PROOF, 1
    W_ih, W_hh, b = matrix("u", 4 * H, D), matrix("w", 4 * H, H), vector("b", 4 * H)
    x, c_prev, o_prev = vector("x", D), vector("q", H), vector("o", H)
    h_prev = _had(o_prev, c_prev.applyfunc(sp.tanh))
    _, c, (i, f, g, o) = lstm_step(x, h_prev, c_prev, W_ih, W_hh, b)
    derived = c.jacobian(c_prev)
    W_hi, W_hf, W_hg, _ = _blocks(W_hh, 4)
    through_h = (sp.diag(*_had(c_prev, _dsig(f))) * W_hf + sp.diag(*_had(g, _dsig(i))) * W_hi
                 + sp.diag(*_had(i, _dtanh(g))) * W_hg)
    return derived, sp.diag(*f), through_h * sp.diag(*_had(o_prev, _dtanh(c_prev.applyfunc(sp.tanh))))


def gru_hidden_jacobian():
    """(SymPy's dh_t/dh_{t-1}, the direct path diag(z_t), the paths through the gates)."""
    H, D = H_PROOF, 1
    W_ih, W_hh = matrix("u", 3 * H, D), matrix("w", 3 * H, H)
    b_ih, b_hh, x, h_prev = vector("b", 3 * H), vector("d", 3 * H), vector("x", D), vector("s", H)
    h, (r, z, n), gh_n = gru_step(x, h_prev, W_ih, W_hh, b_ih, b_hh)
    W_hr, W_hz, W_hn = _blocks(W_hh, 3)
    gates = (sp.diag(*_had(h_prev - n, _dsig(z))) * W_hz
             + sp.diag(*_had(z.applyfunc(lambda v: 1 - v), _dtanh(n)))
             * (sp.diag(*r) * W_hn + sp.diag(*_had(gh_n, _dsig(r))) * W_hr))
    return h.jacobian(h_prev), sp.diag(*z), gates


@lru_cache(maxsize=1)
def proofs() -> tuple[verify.Check, ...]:
    """The symbolic checks (about 10 s; they do not depend on a seed, so kept per process)."""
    out = []
    dims = f"T = {T_PROOF}, H = {H_PROOF}, D = {D_PROOF}, symbolic upstream gradients"
    for model, (derived, closed) in derivations().items():
        for k in derived:
            out.append(verify.symbolic_identity(
                TOPIC, f"{model} backward: dL/d{k} from the recursion ({dims})", derived[k], closed[k]))
    derived, direct, rest = lstm_cell_jacobian()
    out.append(verify.symbolic_identity(
        TOPIC, "LSTM dc_t/dc_{t-1} = diag(f_t) + paths through h_{t-1}", derived, direct + rest))
    derived, direct, rest = gru_hidden_jacobian()
    out.append(verify.symbolic_identity(
        TOPIC, "GRU dh_t/dh_{t-1} = diag(z_t) + paths through the gates", derived, direct + rest))
    return tuple(out)


# ---------------------------------------------------------------- numerics

def init_lstm(D, H, rng, forget_bias=0.0, scale=1.0):
    """(W_ih, W_hh, b) with N(0, scale^2/fan_in) weights and the forget-gate bias set."""
    b = np.zeros(4 * H)
    b[H:2 * H] = forget_bias
    return (scale * rng.standard_normal((4 * H, D)) / np.sqrt(D),
            scale * rng.standard_normal((4 * H, H)) / np.sqrt(H), b)


def init_gru(D, H, rng, update_bias=0.0, scale=1.0):
    """(W_ih, W_hh, b_ih, b_hh) with N(0, scale^2/fan_in) weights and the update-gate bias set."""
    b_ih = np.zeros(3 * H)
    b_ih[H:2 * H] = update_bias
    return (scale * rng.standard_normal((3 * H, D)) / np.sqrt(D),
            scale * rng.standard_normal((3 * H, H)) / np.sqrt(H), b_ih, np.zeros(3 * H))


def state_gradient_by_lag(model: str, x, params, u, lags=None):
    """||dL/d(state_k)|| for L = u^T h_T at the given lags T - k (default 0..T), as an array.

    The state is h_k for the RNN and GRU and (h_k, c_k) for the LSTM. Each value is the
    gradient with respect to the initial state of the rest of the sequence, restarted from
    the state of step k (which reproduces the same trajectory).
    """
    from ..numeric import rnn as num_rnn

    T, N, _ = x.shape
    H = u.shape[-1]
    zeros = np.zeros((N, H))
    if model == "LSTM":
        h, cache = num_lstm.lstm_forward(x, zeros, zeros, *params)
        states = [(zeros, zeros)] + [(h[t], cache.c[t]) for t in range(T)]
        forward, backward = num_lstm.lstm_forward, num_lstm.lstm_backward
    elif model == "GRU":
        h, _ = num_gru.gru_forward(x, zeros, *params)
        states = [(zeros,)] + [(h[t],) for t in range(T)]
        forward, backward = num_gru.gru_forward, num_gru.gru_backward
    elif model == "RNN":
        h, _ = num_rnn.rnn_forward(x, zeros, *params)
        states = [(zeros,)] + [(h[t],) for t in range(T)]
        forward, backward = num_rnn.rnn_forward, num_rnn.rnn_backward
    else:
        raise ValueError(f"model must be 'RNN', 'LSTM' or 'GRU', got {model!r}")
    norms = []
    for lag in (range(T + 1) if lags is None else lags):
        if lag == 0:
            norms.append(np.linalg.norm(u))
            continue
        k = T - lag
        dh = np.zeros((lag, N, H))
        dh[-1] = u
        _, cache = forward(x[k:], *states[k], *params)
        # (dx, dh0, [dc0,] ...): the state gradients follow dx
        state_grads = backward(dh, cache)[1:1 + len(states[k])]
        norms.append(np.sqrt(sum(np.sum(g**2) for g in state_grads)))
    return np.array(norms)


def _backward_checks(label: str, forward, backward, args: list, names: tuple, rng) -> list[verify.Check]:
    """``backward``'s gradient for every argument of ``forward`` against central differences,
    with a random upstream gradient on every hidden state."""
    h, cache = forward(*args)
    dh = rng.standard_normal(h.shape)
    grads = backward(dh, cache)
    out = []
    for j, name in enumerate(names):
        def f(v, j=j):
            return forward(*args[:j], v, *args[j + 1:])[0]
        out.append(verify.check_vjp(TOPIC, f"{label} d{name}, T = {len(args[0])}, random dh on every step",
                                    f, lambda _, j=j: grads[j], args[j], dout=dh, rng=rng))
    return out


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = list(proofs())
    T, N, D, H = 20, 3, 4, 5
    x = rng.standard_normal((T, N, D))
    h0, c0 = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    W_ih, W_hh, b = init_lstm(D, H, rng, forget_bias=1.0)
    b = b + 0.1 * rng.standard_normal(b.shape)
    out += _backward_checks("lstm_backward", num_lstm.lstm_forward, num_lstm.lstm_backward,
                            [x, h0, c0, W_ih, W_hh, b], ("x", "h0", "c0", "W_ih", "W_hh", "b"), rng)
    W_ih, W_hh, b_ih, b_hh = init_gru(D, H, rng)
    b_ih, b_hh = b_ih + 0.1 * rng.standard_normal(3 * H), 0.1 * rng.standard_normal(3 * H)
    out += _backward_checks("gru_backward", num_gru.gru_forward, num_gru.gru_backward,
                            [x, h0, W_ih, W_hh, b_ih, b_hh], ("x", "h0", "W_ih", "W_hh", "b_ih", "b_hh"), rng)
    return out


def rest_growth_rate(model: str, params) -> float:
    """Spectral radius of the state Jacobian at rest (zero input and state, g = n = 0):
    diag(f) + diag(i) W_hg diag(o) for the LSTM, similar to diag(f) + diag(i o) W_hg (the
    Jacobian of (h, c) has the same nonzero eigenvalues), diag(z) + diag((1 - z) r) W_hn for
    the GRU, with the gates at the sigmoids of their biases. The gradient norm
    grows or decays like this number to the power of the lag."""
    from ..numeric.activations import sigmoid

    if model == "LSTM":
        _, W_hh, b = params
        H = W_hh.shape[1]
        i, f, o = (sigmoid(b[j * H:(j + 1) * H]) for j in (0, 1, 3))
        J = np.diag(f) + np.diag(i * o) @ W_hh[2 * H:3 * H]
    elif model == "GRU":
        _, W_hh, b_ih, b_hh = params
        H = W_hh.shape[1]
        r, z = sigmoid(b_ih[:H] + b_hh[:H]), sigmoid(b_ih[H:2 * H] + b_hh[H:2 * H])
        J = np.diag(z) + np.diag((1 - z) * r) @ W_hh[2 * H:]
    else:
        raise ValueError(f"model must be 'LSTM' or 'GRU', got {model!r}")
    return float(np.max(np.abs(np.linalg.eigvals(J))))
