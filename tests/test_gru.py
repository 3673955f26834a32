"""GRU forward and backward against HIPS autograd and central differences (the
proofs are in test_lstm_gru.py)."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad

from derivations import verify
from derivations.numeric import gru


def params(D, H, rng):
    return (rng.standard_normal((3 * H, D)) / np.sqrt(D), rng.standard_normal((3 * H, H)) / np.sqrt(H),
            0.1 * rng.standard_normal(3 * H), 0.1 * rng.standard_normal(3 * H))


def autograd_gru(x, h0, W_ih, W_hh, b_ih, b_hh):
    H = h0.shape[1]
    sig = lambda v: 1 / (1 + anp.exp(-v))  # noqa: E731
    h, hs = h0, []
    for t in range(x.shape[0]):
        gi = anp.dot(x[t], W_ih.T) + b_ih
        gh = anp.dot(h, W_hh.T) + b_hh
        r = sig(gi[:, :H] + gh[:, :H])
        z = sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = anp.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        hs.append(h)
    return anp.stack(hs)


@pytest.mark.parametrize("T,N,D,H", [(1, 1, 2, 3), (6, 3, 4, 5), (40, 2, 3, 4)])
def test_gru_backward_against_autograd(T, N, D, H, rng):
    W_ih, W_hh, b_ih, b_hh = params(D, H, rng)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    h, cache = gru.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    args = (x, h0, W_ih, W_hh, b_ih, b_hh)
    np.testing.assert_allclose(h, autograd_gru(*args), rtol=1e-12, atol=1e-14)
    dh = rng.standard_normal(h.shape)
    got = gru.gru_backward(dh, cache)
    for k, g in enumerate(got):
        assert g.shape == args[k].shape
        ref = grad(lambda *a: anp.sum(dh * autograd_gru(*a)), k)(*args)
        np.testing.assert_allclose(g, ref, rtol=1e-9, atol=1e-13)


def test_gru_backward_against_central_differences(rng):
    T, N, D, H = 8, 2, 3, 4
    W_ih, W_hh, b_ih, b_hh = params(D, H, rng)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    h, cache = gru.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dW_ih, dW_hh, db_ih, db_hh = gru.gru_backward(dh, cache)
    cases = {"h0": (dh0, h0, lambda v: gru.gru_forward(x, v, W_ih, W_hh, b_ih, b_hh)[0]),
             "W_hh": (dW_hh, W_hh, lambda v: gru.gru_forward(x, h0, W_ih, v, b_ih, b_hh)[0]),
             "b_hh": (db_hh, b_hh, lambda v: gru.gru_forward(x, h0, W_ih, W_hh, b_ih, v)[0])}
    for name, (g, arg, f) in cases.items():
        c = verify.check_vjp(f, lambda _, g=g: g, arg, name=name, topic="t", dout=dh)
        assert c.passed, (name, c)


@pytest.mark.parametrize("bad,message", [
    ({"W_ih": np.zeros((12, 2))}, r"W_ih must have shape \(12, 3\)"),
    ({"b_hh": np.zeros(9)}, r"b_hh must have shape \(12,\)"),
    ({"h0": np.zeros(4)}, r"h0 must be 2-D \(N, m\), got shape \(4,\)"),
])
def test_bad_input(bad, message, rng):
    W_ih, W_hh, b_ih, b_hh = params(3, 4, rng)
    kw = dict(x=rng.standard_normal((5, 2, 3)), h0=np.zeros((2, 4)), W_ih=W_ih, W_hh=W_hh,
              b_ih=b_ih, b_hh=b_hh)
    kw.update(bad)
    with pytest.raises(ValueError, match=message):
        gru.gru_forward(**kw)


def test_the_hand_steps_in_numpy_against_autograd(rng):
    """The page's hand steps for one step, written out in NumPy from the forward values (column
    vectors, one sequence): dL/dh_0 = u_1 ⊙ dL/dh_1 + W_hh^T delta^hh_1 with the deltas of the
    values and activations, against autograd's gradient of h_1 with respect to h_0."""
    D, H = 3, 4
    W_ih, W_hh, b_ih, b_hh = params(D, H, rng)
    x, h0 = rng.standard_normal((1, 1, D)), rng.standard_normal((1, H))
    g = rng.standard_normal(H)                                    # dL/dh_1
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    ai, ah = W_ih @ x[0, 0] + b_ih, W_hh @ h0[0] + b_hh          # a^ih_1, a^hh_1
    r, u = sig(ai[:H] + ah[:H]), sig(ai[H:2 * H] + ah[H:2 * H])
    cand = np.tanh(ai[2 * H:] + r * ah[2 * H:])
    d_cand = g * (1 - u) * (1 - cand**2)                          # dL/dh~ ⊙ tanh'
    d_u = g * (h0[0] - cand) * u * (1 - u)                        # u's two uses, through sigma
    d_r = d_cand * ah[2 * H:] * r * (1 - r)                       # r is a factor of a^h~
    delta_hh = np.concatenate([d_r, d_u, r * d_cand])             # the reset gate on the hh block only
    by_hand = u * g + W_hh.T @ delta_hh
    ref = grad(lambda v: anp.sum(g * autograd_gru(x, v, W_ih, W_hh, b_ih, b_hh)[0]))(h0)[0]
    np.testing.assert_allclose(by_hand, ref, rtol=1e-12, atol=1e-14)
    wrong = (1 - u) * g + W_hh.T @ delta_hh                       # the candidate's weight on the direct path
    assert np.max(np.abs(wrong - ref)) > 1e-3
