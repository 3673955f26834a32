"""Boundaries and defaults that mutation testing showed no test pinned down."""

import numpy as np
import pytest

from derivations import verify
from derivations.numeric import backprop, clipping, gradient_descent, losses, normalization


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)


def test_log_softmax_and_layernorm_act_on_the_last_axis_of_any_rank():
    z = R(2, 3, 4)
    flat = losses.log_softmax(z.reshape(6, 4)).reshape(2, 3, 4)
    np.testing.assert_allclose(losses.log_softmax(z), flat, rtol=1e-14)
    y, _ = normalization.layernorm_forward(z, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    y1, _ = normalization.layernorm_forward(z[0, 0], np.ones(4), np.zeros(4))   # a single 1-D vector
    np.testing.assert_allclose(y1, y[0, 0], rtol=1e-14)
    y2, _ = normalization.layernorm_forward(R(3, 2), np.ones(2), np.zeros(2))   # D = 2 is the minimum
    np.testing.assert_allclose(np.abs(y2), 1, rtol=1e-4)


def test_default_eps_is_1e_minus_5():
    x = R(4, 3)
    for fwd in (normalization.batchnorm_forward, normalization.layernorm_forward):
        np.testing.assert_array_equal(fwd(x, np.ones(3), np.zeros(3))[0], fwd(x, np.ones(3), np.zeros(3), eps=1e-5)[0])
        assert not np.array_equal(fwd(x, np.ones(3), np.zeros(3))[0], fwd(x, np.ones(3), np.zeros(3), eps=1e-3)[0])


def test_smallest_accepted_sizes():
    np.testing.assert_allclose(normalization.zscore(np.array([1.0, 3.0])), [-1.0, 1.0])
    assert losses.mse(np.array([2.0]), np.array([0.5]))[0] == 2.25
    X, Y = R(4, 2), R(4, 1)
    p = {"W": R(1, 2), "b": np.zeros(1)}
    _, hist = gradient_descent.sgd(gradient_descent.least_squares_loss_and_grads, p, X, Y, 0.01, 1, 1,
                                   np.random.default_rng(0))
    assert len(hist) == 2
    with pytest.raises(ValueError, match="lr must be positive"):
        gradient_descent.gd_step(p, p, 0.0)


def test_clipping_boundaries():
    g = {"W": np.array([3.0, 4.0])}                       # norm 5
    same, total = clipping.clip_grad_norm(g, 5.0)           # at the threshold: untouched
    assert total == 5.0 and np.array_equal(same["W"], g["W"])
    np.testing.assert_array_equal(clipping.clip_grad_value({"W": np.array([-3.0, 0.5, 4.0])}, 1.0)["W"],
                                  [-1.0, 0.5, 1.0])


def test_two_layer_init_default_scale_is_one_over_sqrt_fan_in():
    p = backprop.two_layer_init(400, 300, 200, np.random.default_rng(0))
    assert p["W1"].std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert p["W2"].std() == pytest.approx(1 / np.sqrt(300), rel=0.02)
    assert not p["b1"].any() and not p["b2"].any()


def test_params_errors_say_what_was_given():
    with pytest.raises(ValueError, match=r"got \['W1', 'b1'\]"):
        backprop.two_layer_forward({"W1": R(2, 2), "b1": R(2)}, R(3, 2))
    with pytest.raises(ValueError, match="got list"):
        backprop.two_layer_forward([R(2, 2)], R(3, 2))
    with pytest.raises(ValueError, match="params must be a dict with keys W, b"):
        gradient_descent.least_squares_loss_and_grads({"W": R(1, 2)}, R(3, 2), R(3, 1))
    with pytest.raises(ValueError, match="do not fit"):
        gradient_descent.least_squares_loss_and_grads({"W": R(1, 2), "b": R(2)}, R(3, 2), R(3, 1))


def test_check_vjp_reports_shape_mismatch_and_step():
    x = R(3)
    c = verify.check_vjp("t", "n", lambda v: v * 2, lambda g: np.ones(4), x)
    assert (c.topic, c.name, c.method, c.error, c.tolerance, c.passed) == ("t", "n", "central-difference", np.inf, 1e-7, False)
    c = verify.check_vjp("t", "n", lambda v: v * 2, lambda g: 2 * g, x, step=1e-5)
    assert c.passed and c.detail == "in full, h = 1e-05"
    big = R(100)
    c = verify.check_vjp("t", "n", lambda v: v * 2, lambda g: 2 * g, big)
    assert c.passed and c.detail == "along 4 random directions"
    with pytest.raises(ValueError, match="dout has shape"):
        verify.check_vjp("t", "n", lambda v: v, lambda g: g, x, dout=np.ones(2))
