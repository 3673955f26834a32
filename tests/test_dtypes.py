"""The dtype policy (issue 17, item 4), as the API page states it: every kernel returns its
outputs and gradients in the dtype of its inputs (float16, float32, float64); sums that form a
statistic (losses, norms) are accumulated in float64; the stable forms are finite, without a
warning, at |x| = 1e4 in every dtype; scalars come back as Python floats."""

import warnings

import numpy as np
import pytest

from derivations.numeric import activations, backprop, clipping, gradient_descent, gru, hadamard, lstm, rnn
from derivations.numeric import vanishing_exploding

DTYPES = [np.float16, np.float32, np.float64]


def arrays(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return lambda *shape: rng.standard_normal(shape).astype(dtype)


def dtypes_of(*arrays_):
    return {np.asarray(a).dtype for a in arrays_}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", activations.__all__)
def test_activations_keep_the_dtype_and_stay_finite_at_1e4(name, dtype):
    f = getattr(activations, name)
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                    # no overflow or invalid-value warning
        y = f(x)
    assert y.dtype == dtype and np.isfinite(y).all(), (name, y)


@pytest.mark.parametrize("dtype", DTYPES)
def test_layers_and_networks_keep_the_dtype(dtype):
    r = arrays(dtype)
    y, cache = backprop.affine_forward(r(3, 4), r(2, 4), r(2))
    assert dtypes_of(y, *backprop.affine_backward(r(3, 2), cache)) == {np.dtype(dtype)}
    assert hadamard.hadamard(r(2, 2), r(2, 2)).dtype == dtype
    params = {"W1": r(5, 4), "b1": r(5), "W2": r(3, 5), "b2": r(3)}
    loss, grads = backprop.two_layer_loss_and_grads(params, r(6, 4), r(6, 3))
    assert type(loss) is float and dtypes_of(*grads.values()) == {np.dtype(dtype)}
    loss, grads = gradient_descent.least_squares_loss_and_grads({"W": r(3, 4), "b": r(3)}, r(6, 4), r(6, 3))
    assert type(loss) is float and dtypes_of(*grads.values()) == {np.dtype(dtype)}
    h, cache = vanishing_exploding.stack_forward(r(4, 5), [r(5, 5), r(5, 5)])
    assert dtypes_of(h, *vanishing_exploding.stack_backward(r(4, 5), cache)) == {np.dtype(dtype)}
    clipped, total = clipping.clip_grad_norm({"a": r(3), "b": r(2, 2)}, 0.1)
    assert type(total) is float and dtypes_of(*clipped.values()) == {np.dtype(dtype)}
    assert clipping.clip_grad_value({"a": r(3)}, 0.1)["a"].dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
def test_recurrent_kernels_keep_the_dtype(dtype):
    r = arrays(dtype)
    h, cache = rnn.rnn_forward(r(4, 2, 3), r(2, 3), r(3, 3), r(3, 3), r(3))
    assert dtypes_of(h, *rnn.rnn_backward(r(4, 2, 3), cache)) == {np.dtype(dtype)}
    h, cache = lstm.lstm_forward(r(4, 2, 3), r(2, 3), r(2, 3), r(12, 3), r(12, 3), r(12))
    assert dtypes_of(h, *lstm.lstm_backward(r(4, 2, 3), cache)) == {np.dtype(dtype)}
    h, cache = gru.gru_forward(r(4, 2, 3), r(2, 3), r(9, 3), r(9, 3), r(9), r(9))
    assert dtypes_of(h, *gru.gru_backward(r(4, 2, 3), cache)) == {np.dtype(dtype)}
    params = {"W_hx": r(3, 3), "W_hh": r(3, 3), "b_h": r(3), "W_hy": r(2, 3), "b_y": r(2)}
    loss, grads = rnn.rnn_loss_and_grads(params, r(4, 2, 3), r(4, 2, 2), r(2, 3))
    assert type(loss) is float and dtypes_of(*grads.values()) == {np.dtype(dtype)}


def test_mixed_dtypes_give_their_common_dtype():
    h, cache = rnn.rnn_forward(*(a.astype(np.float32) for a in (np.ones((2, 1, 2)), np.zeros((1, 2)))),
                               np.eye(2), np.eye(2, dtype=np.float32), np.zeros(2, np.float32))
    assert h.dtype == np.float64 and dtypes_of(*rnn.rnn_backward(np.ones((2, 1, 2)), cache)) == {np.dtype(np.float64)}


def test_sums_of_squares_accumulate_in_float64():
    # float16 squares overflow above 256: the norm of (300, 400) is 500, not inf
    assert clipping.global_norm({"g": np.array([300.0, 400.0], np.float16)}) == 500.0
    clipped, total = clipping.clip_grad_norm({"g": np.array([300.0, 400.0], np.float16)}, 1.0)
    assert total == 500.0 and clipped["g"].dtype == np.float16 and np.isfinite(clipped["g"]).all()
    # float32: 1e6 values of 1 + 1e-4 u; a float32 (pairwise) sum of their squares is off by 1.7e-8
    rng = np.random.default_rng(0)
    g = (1 + 1e-4 * rng.standard_normal(10**6)).astype(np.float32)
    exact = np.sqrt(np.sum(g.astype(np.float64) ** 2))
    assert clipping.global_norm({"g": g}) == pytest.approx(exact, rel=1e-12)
    # a least-squares loss with residuals of 300 in float16 is finite
    loss, _ = gradient_descent.least_squares_loss_and_grads(
        {"W": np.zeros((1, 1), np.float16), "b": np.zeros(1, np.float16)}, np.ones((2, 1), np.float16),
        np.full((2, 1), 300.0, np.float16))
    assert loss == 0.5 * 300.0**2


@pytest.mark.parametrize("dtype", DTYPES)
def test_losses_and_normalizations_keep_the_dtype_and_stay_finite(dtype):
    from derivations.numeric import losses, normalization

    r = arrays(dtype)
    for fwd, bwd in ((normalization.batchnorm_forward, normalization.batchnorm_backward),
                     (normalization.layernorm_forward, normalization.layernorm_backward)):
        y, cache = fwd(r(6, 4), r(4), r(4))
        assert dtypes_of(y, *bwd(r(6, 4), cache)) == {np.dtype(dtype)}
    loss, g = losses.mse(r(3, 4), r(3, 4))
    assert type(loss) is float and g.dtype == dtype
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dtype=dtype)    # the stable forms' extremes
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, g = losses.softmax_cross_entropy(z, np.array([1, 0]))
        assert type(loss) is float and np.isfinite(loss) and g.dtype == dtype and np.isfinite(g).all()
        loss, g = losses.binary_cross_entropy_with_logits(z, np.ones_like(z))
        assert type(loss) is float and np.isfinite(loss) and g.dtype == dtype and np.isfinite(g).all()


def test_mixed_dtypes_follow_the_stated_rules():
    from derivations.numeric import losses

    f32, f64 = np.ones((2, 3), np.float32), np.full((2, 3), 0.5)
    # a loss: the gradient in the dtype of its first argument
    assert losses.mse(f32, f64)[1].dtype == np.float32 and losses.mse(f64, f32)[1].dtype == np.float64
    assert losses.binary_cross_entropy_with_logits(f32, f64)[1].dtype == np.float32
    # a recurrent backward pass: the dtype of the forward pass whose cache it is given
    _, cache = rnn.rnn_forward(*(np.ones(s, np.float32) for s in ((2, 1, 2), (1, 2), (2, 2), (2, 2), (2,))))
    assert dtypes_of(*rnn.rnn_backward(np.ones((2, 1, 2)), cache)) == {np.dtype(np.float32)}
    # the other backward passes: the common dtype of the upstream gradient and the cache
    _, cache = backprop.affine_forward(f32, np.ones((4, 3), np.float32), np.ones(4, np.float32))
    assert dtypes_of(*backprop.affine_backward(np.ones((2, 4), np.float32), cache)) == {np.dtype(np.float32)}
    assert dtypes_of(*backprop.affine_backward(np.ones((2, 4)), cache)) == {np.dtype(np.float64)}
    assert dtypes_of(*backprop.affine_backward(np.ones((2, 4), np.float16), cache)) == {np.dtype(np.float32)}
    _, cache = backprop.affine_forward(f32, np.ones((4, 3)), np.ones(4))      # x float32, W float64
    assert dtypes_of(*backprop.affine_backward(np.ones((2, 4), np.float32), cache)) == {np.dtype(np.float64)}
    # a deep stack with batch norm stays in float32 (its gamma and beta are made in z's dtype)
    h, cache = vanishing_exploding.stack_forward(np.ones((4, 3), np.float32) + np.eye(4, 3, dtype=np.float32),
                                                 [np.eye(3, dtype=np.float32)], batchnorm=True)
    assert h.dtype == np.float32
    assert dtypes_of(*vanishing_exploding.stack_backward(np.ones((4, 3), np.float32), cache)) == {np.dtype(np.float32)}


def test_zscore_of_float16_accumulates_in_float64():
    from derivations.numeric import normalization

    with warnings.catch_warnings():
        warnings.simplefilter("error")          # the float16 squares of 300..900 would overflow
        z = normalization.zscore(np.array([0.0, 300.0, 600.0, 900.0], np.float16))
    assert z.dtype == np.float16
    np.testing.assert_allclose(z, normalization.zscore(np.array([0.0, 300.0, 600.0, 900.0])), rtol=1e-3)


def test_bptt_deltas_and_gradient_norms_are_analytic():
    from derivations import verify

    rng = np.random.default_rng(2)
    dh, h, W = rng.standard_normal((3, 2, 3)), 0.5 * rng.standard_normal((3, 2, 3)), rng.standard_normal((3, 3))
    deltas, _ = rnn.bptt_deltas(dh, h + 1e-20j, W)
    assert deltas.dtype == np.complex128                  # the step reaches the deltas, not dropped
    x, weights = rng.standard_normal((4, 3)), [rng.standard_normal((3, 3))]
    c = verify.check_vjp(lambda v: vanishing_exploding.layer_gradient_norms(v, weights, rng=np.random.default_rng(0)),
                         lambda g: verify.numeric_gradient(
                             lambda v: float(g @ vanishing_exploding.layer_gradient_norms(
                                 v, weights, rng=np.random.default_rng(0))), x), x, method="complex-step")
    assert c.entries == 12 and c.unresolved == 0
