"""LSTM forward and backward against HIPS autograd and central differences (the
proofs are in test_lstm_gru.py)."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from derivations import verify
from derivations.numeric import lstm


def params(D, H, rng, forget_bias=0.0):
    b = 0.1 * rng.standard_normal(4 * H)
    b[H:2 * H] += forget_bias
    return (rng.standard_normal((4 * H, D)) / np.sqrt(D), rng.standard_normal((4 * H, H)) / np.sqrt(H), b)


def autograd_lstm(x, h0, c0, W_ih, W_hh, b):
    H = h0.shape[1]
    sig = lambda z: 1 / (1 + anp.exp(-z))  # noqa: E731
    h, c, hs = h0, c0, []
    for t in range(x.shape[0]):
        a = anp.dot(x[t], W_ih.T) + anp.dot(h, W_hh.T) + b
        i, f, g, o = sig(a[:, :H]), sig(a[:, H:2 * H]), anp.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c = f * c + i * g
        h = o * anp.tanh(c)
        hs.append(h)
    return anp.stack(hs)


@pytest.mark.parametrize("T,N,D,H", [(1, 1, 2, 3), (6, 3, 4, 5), (40, 2, 3, 4)])
def test_lstm_backward_against_autograd(T, N, D, H, rng):
    W_ih, W_hh, b = params(D, H, rng)
    x, h0, c0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h, cache = lstm.lstm_forward(x, h0, c0, W_ih, W_hh, b)
    np.testing.assert_allclose(h, autograd_lstm(x, h0, c0, W_ih, W_hh, b), rtol=1e-12, atol=1e-14)
    dh = rng.standard_normal(h.shape)
    got = lstm.lstm_backward(dh, cache)
    args = (x, h0, c0, W_ih, W_hh, b)
    for k, g in enumerate(got):
        assert g.shape == args[k].shape
        ref = grad(lambda *a: anp.sum(dh * autograd_lstm(*a)), k)(*args)
        np.testing.assert_allclose(g, ref, rtol=1e-9, atol=1e-13)


def test_lstm_backward_against_central_differences(rng):
    T, N, D, H = 8, 2, 3, 4
    W_ih, W_hh, b = params(D, H, rng, forget_bias=1.0)
    x, h0, c0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    h, cache = lstm.lstm_forward(x, h0, c0, W_ih, W_hh, b)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dc0, dW_ih, dW_hh, db = lstm.lstm_backward(dh, cache)
    cases = {"c0": (dc0, c0, lambda v: lstm.lstm_forward(x, h0, v, W_ih, W_hh, b)[0]),
             "W_hh": (dW_hh, W_hh, lambda v: lstm.lstm_forward(x, h0, c0, W_ih, v, b)[0]),
             "b": (db, b, lambda v: lstm.lstm_forward(x, h0, c0, W_ih, W_hh, v)[0])}
    for name, (g, arg, f) in cases.items():
        c = verify.check_vjp(f, lambda _, g=g: g, arg, name=name, topic="t", dout=dh)
        assert c.passed, (name, c)


@pytest.mark.parametrize("bad,message", [
    ({"c0": np.zeros((3, 4))}, r"c0 must have shape \(2, 4\)"),
    ({"W_ih": np.zeros((12, 3))}, r"W_ih must have shape \(16, 3\)"),
    ({"b": np.zeros(12)}, r"b must have shape \(16,\)"),
    ({"x": np.zeros((0, 2, 3))}, r"at least one time step \(T >= 1\)"),
])
def test_bad_input(bad, message, rng):
    W_ih, W_hh, b = params(3, 4, rng)
    kw = dict(x=rng.standard_normal((5, 2, 3)), h0=np.zeros((2, 4)), c0=np.zeros((2, 4)),
              W_ih=W_ih, W_hh=W_hh, b=b)
    kw.update(bad)
    with pytest.raises(ValueError, match=message):
        lstm.lstm_forward(**kw)
