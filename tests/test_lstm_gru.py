"""LSTM/GRU chapter: SymPy proofs, refuted shortcuts, and the gradient-path measurements."""

import numpy as np
import pytest

from derivations import verify
from derivations.numeric import rnn
from derivations.symbolic import bptt as B
from derivations.symbolic import lstm_gru as G


def test_all_registered_checks_pass():
    failed = [c for c in G.checks(seed=5) if not c.passed]
    assert not failed, failed


@pytest.mark.parametrize("jacobian", [G.lstm_cell_jacobian, G.gru_hidden_jacobian])
def test_the_direct_path_alone_is_refuted(jacobian):
    """diag(f_t) (or diag(z_t)) is not the whole one-step Jacobian: the other paths matter."""
    derived, direct, rest = jacobian()
    assert verify.symbolic_identity("t", "full", derived, direct + rest).passed
    assert not verify.symbolic_identity("t", "direct only", derived, direct).passed
    assert not verify.symbolic_identity("t", "without the direct path", derived, rest).passed


def test_proof_covers_every_argument_of_the_backward_passes():
    d = G.derivations()
    xs = {f"x{t}" for t in range(1, G.T_PROOF + 1)}
    assert set(d["LSTM"][0]) == {"W_ih", "W_hh", "b", "h0", "c0", *xs}
    assert set(d["GRU"][0]) == {"W_ih", "W_hh", "b_ih", "b_hh", "h0", *xs}
    for derived, closed in d.values():
        for k in derived:
            assert derived[k].shape == closed[k].shape, k


def test_rnn_state_gradient_equals_the_jacobian_product(rng):
    """Independent witness for the lag measurement: ||(dh_T/dh_k)^T u|| from the Jacobian product."""
    T, D, H = 25, 3, 6
    p = B.init_rnn(D, H, 1, rng, radius=1.2)
    x = rng.standard_normal((T, 1, D))
    u = rng.standard_normal((1, H))
    norms = G.state_gradient_by_lag("RNN", x, (p["W_hx"], p["W_hh"], p["b_h"]), u)
    h, _ = rnn.rnn_forward(x, np.zeros((1, H)), p["W_hx"], p["W_hh"], p["b_h"])
    hs = np.concatenate([np.zeros((1, H)), h[:, 0]])
    want = [np.linalg.norm(B.hidden_jacobian(hs, p["W_hh"], T, T - lag).T @ u[0]) for lag in range(T + 1)]
    np.testing.assert_allclose(norms, want, rtol=1e-10)


@pytest.mark.parametrize("model,kwargs", [("LSTM", {"forget_bias": 3.0}), ("LSTM", {}),
                                          ("GRU", {"scale": 3.0}), ("GRU", {"update_bias": 2.0})])
def test_growth_at_rest_is_the_spectral_radius(model, kwargs, rng):
    D, H, T = 4, 16, 200
    init = G.init_lstm if model == "LSTM" else G.init_gru
    params = init(D, H, np.random.default_rng(3), **kwargs)
    v = G.state_gradient_by_lag(model, np.zeros((T, 1, D)), params, rng.standard_normal((1, H)))
    rate = (v[T] / v[T // 2]) ** (1 / (T - T // 2))
    assert rate == pytest.approx(G.rest_growth_rate(model, params), rel=0.01)


def test_bad_model_name_raises():
    with pytest.raises(ValueError, match="model must be"):
        G.state_gradient_by_lag("LSTMX", np.zeros((2, 1, 1)), None, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="model must be"):
        G.rest_growth_rate("RNN", None)
