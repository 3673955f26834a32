"""Backpropagation through time for a vanilla RNN, proved on the fully unrolled loss.

Model: a_t = W_hx x_t + W_hh h_{t-1} + b_h, h_t = tanh(a_t), y_t = W_hy h_t + b_y,
L = sum_t 1/2 ||y_t - target_t||^2. With e_t = y_t - target_t,

    delta_t = (1 - h_t^2) ⊙ (W_hy^T e_t + W_hh^T delta_{t+1}),   delta_{T+1} = 0,

(dL/da_t: the derivative of tanh at the pre-activation a_t, written through h_t), and

    dL/dW_hh = sum_{t=1..T} delta_t h_{t-1}^T   (the t = 1 term uses h_0),
    dL/dW_hx = sum_t delta_t x_t^T,  dL/db_h = sum_t delta_t,  dL/dh_0 = W_hh^T delta_1,
    dL/dW_hy = sum_t e_t h_t^T,      dL/db_y = sum_t e_t.

SymPy differentiates the loss unrolled over T = 3 steps with a 2-dimensional hidden state,
3-dimensional inputs and 2 outputs, all entries symbols, and compares.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import rnn as num
from ..provenance import stored_checks
from .common import matrix, vector

TOPIC = "bptt"
T_PROOF, H_PROOF, D_PROOF, K_PROOF = 3, 2, 3, 2
#: The sequence length of the numerical checks (the issue asks for T >= 50).
T_NUMERIC = 60


def unrolled(T=T_PROOF, H=H_PROOF, D=D_PROOF, K=K_PROOF):
    """Symbols, hidden states, outputs and the unrolled loss of the RNN."""
    P = {"W_hx": matrix("u", H, D), "W_hh": matrix("w", H, H), "b_h": vector("b", H),
         "W_hy": matrix("v", K, H), "b_y": vector("c", K), "h0": vector("s", H)}
    xs = [vector(f"x{t}", D) for t in range(1, T + 1)]
    ys_target = [vector(f"y{t}", K) for t in range(1, T + 1)]
    hs = [P["h0"]]
    for t in range(T):
        hs.append((P["W_hx"] * xs[t] + P["W_hh"] * hs[-1] + P["b_h"]).applyfunc(sp.tanh))
    outs = [P["W_hy"] * h + P["b_y"] for h in hs[1:]]
    errors = [o - y for o, y in zip(outs, ys_target)]
    L = sum((e.T * e)[0, 0] for e in errors) / 2
    return P, xs, hs, errors, L


def deltas(P, hs, errors) -> list:
    """delta_1..delta_T by the recursion (index 0 unused), delta_{T+1} = 0."""
    T = len(errors)
    d = [None] * (T + 2)
    d[T + 1] = sp.zeros(P["W_hh"].shape[0], 1)
    for t in range(T, 0, -1):
        back = P["W_hy"].T * errors[t - 1] + P["W_hh"].T * d[t + 1]
        d[t] = back.multiply_elementwise(hs[t].applyfunc(lambda h: 1 - h**2))
    return d


def closed_forms(P, xs, hs, errors):
    """The BPTT gradients from the recursion (the formulas of the module docstring)."""
    T = len(xs)
    d = deltas(P, hs, errors)[1:T + 1]
    return {
        "W_hh": sum((d[t] * hs[t].T for t in range(T)), sp.zeros(*P["W_hh"].shape)),
        "W_hx": sum((d[t] * xs[t].T for t in range(T)), sp.zeros(*P["W_hx"].shape)),
        "b_h": sum(d, sp.zeros(*P["b_h"].shape)),
        "h0": P["W_hh"].T * d[0],
        "W_hy": sum((errors[t] * hs[t + 1].T for t in range(T)), sp.zeros(*P["W_hy"].shape)),
        "b_y": sum(errors, sp.zeros(*P["b_y"].shape)),
    }


PLAIN = {"W_hh": "sum_t delta_t h_{t-1}^T, h_0 term included", "W_hx": "sum_t delta_t x_t^T",
         "b_h": "sum_t delta_t", "h0": "W_hh^T delta_1", "W_hy": "sum_t e_t h_t^T",
         "b_y": "sum_t e_t"}


@lru_cache(maxsize=1)
def derivation():
    """(symbols, hidden states, errors, SymPy's gradients of the unrolled loss, closed forms)."""
    P, xs, hs, errors, L = unrolled()
    derived = {k: P[k].applyfunc(lambda e: sp.diff(L, e)) for k in PLAIN}
    return P, xs, hs, errors, derived, closed_forms(P, xs, hs, errors)


def proofs() -> list[verify.Check]:
    *_, derived, closed = derivation()
    dims = f"T = {T_PROOF}, H = {H_PROOF}, D = {D_PROOF}, K = {K_PROOF}"
    return [verify.symbolic_identity(TOPIC, f"dL/d{k} = {PLAIN[k]} (unrolled loss, {dims})",
                                     derived[k], closed[k]) for k in PLAIN]


def wrong_h0_sum():
    """(SymPy's dL/dW_hh, the sum with its t = 1 term, the one with h_0, dropped)."""
    P, xs, hs, errors, derived, closed = derivation()
    return derived["W_hh"], closed["W_hh"] - deltas(P, hs, errors)[1] * hs[0].T


def hidden_jacobian(h_seq: np.ndarray, W_hh: np.ndarray, t: int, k: int) -> np.ndarray:
    """dh_t/dh_k = prod_{j=t..k+1} diag(1 - h_j^2) W_hh for one sequence (h_seq (T+1, H), index 0 = h_0)."""
    J = np.eye(W_hh.shape[0])
    for j in range(t, k, -1):
        J = J @ (np.diag(1 - h_seq[j] ** 2) @ W_hh)
    return J


def init_rnn(D, H, K, rng, radius: float = 0.9):
    """Random RNN parameters with W_hh scaled to spectral radius ``radius``."""
    W_hh = rng.standard_normal((H, H))
    W_hh *= radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    return {"W_hx": rng.standard_normal((H, D)) / np.sqrt(D), "W_hh": W_hh,
            "b_h": 0.1 * rng.standard_normal(H), "W_hy": rng.standard_normal((K, H)) / np.sqrt(H),
            "b_y": 0.1 * rng.standard_normal(K)}


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = proofs()
    derived, wrong = wrong_h0_sum()
    c = verify.symbolic_identity(TOPIC, "dropping the h_0 term from dL/dW_hh is refuted", derived, wrong)
    out.append(verify.Check(TOPIC, c.name, "symbolic", 0.0, 0.0, not c.passed,
                            "the wrong formula differs, as it must"))
    T, N, D, H, K = T_NUMERIC, 3, 4, 5, 2
    params = init_rnn(D, H, K, rng)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    for loss, targets in (("mse", rng.standard_normal((T, N, K))), ("ce", rng.integers(0, K, (T, N)))):
        _, grads = num.rnn_loss_and_grads(params, x, targets, h0, loss)
        for key in (*num.RNN_PARAMS, "h0"):
            def f(v, key=key):
                p = {**params, key: v} if key != "h0" else params
                return num.rnn_loss_and_grads(p, x, targets, v if key == "h0" else h0, loss)[0]
            arg = h0 if key == "h0" else params[key]
            # the loss sums T terms, so its rounding error is T times larger: a larger step
            out.append(verify.check_gradient(TOPIC, f"BPTT dL/d{key}, T = {T}, {loss} loss",
                                             f, grads[key], arg, rng=rng, step=1e-5))
    # rnn_backward on its own: random upstream gradient on every hidden state
    h, cache = num.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    dh = rng.standard_normal(h.shape)
    dx = num.rnn_backward(dh, cache)[0]
    out.append(verify.check_vjp(TOPIC, f"rnn_backward dx, T = {T}, random dh on every step",
                                lambda v: num.rnn_forward(v, h0, params["W_hx"], params["W_hh"], params["b_h"])[0],
                                lambda g: dx, x, dout=dh))
    return out
