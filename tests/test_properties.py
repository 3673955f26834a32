"""Property tests: every public numeric function on shapes and values drawn by Hypothesis.

Values stay inside each function's domain and away from kinks (ReLU at 0); ranks 1-4 where
the function is elementwise. Each property compares two independently obtained results (a
closed form, an identity, central differences), with an atol where values can be ~0.
Derandomized when CI is set (tests/conftest.py).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derivations import verify
from derivations.numeric import (activations as activations_np, backprop, clipping, gradient_descent, gru, hadamard,
                                 initialization, losses, lstm, normalization, rnn, vanishing_exploding)

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5)
reals = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)
seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 4)


def arrays(elements=reals, shape=shapes):
    return hnp.arrays(np.float64, shape, elements=elements)


def assert_vjp(f, claimed, x, dout, rtol=1e-6):
    """Central differences of phi(x) = sum(dout * f(x)) against a claimed J^T dout, entry by
    entry. The atol is the rounding floor of a central difference, eps |phi| / h ~ 1e-10 |phi|,
    so tiny gradients (saturated units) are compared at the accuracy they can have."""
    phi = lambda z: float(np.sum(dout * f(z)))  # noqa: E731
    numeric = verify.numeric_gradient(phi, np.asarray(x, dtype=float))
    assert np.shape(claimed) == np.shape(x)
    np.testing.assert_allclose(claimed, numeric, rtol=rtol, atol=1e-8 * max(1.0, abs(phi(x))))


# ---------------------------------------------------------------- activations

@given(arrays())
def test_sigmoid_and_its_derivative(x):
    s = activations_np.sigmoid(x)
    np.testing.assert_allclose(s, 1 / (1 + np.exp(-x)), rtol=1e-12, atol=1e-300)
    # sigma(x) sigma(-x) = sigma(1 - sigma) without the cancellation in 1 - sigma for large x
    np.testing.assert_allclose(activations_np.sigmoid_grad(x), s * activations_np.sigmoid(-x), rtol=1e-12, atol=1e-300)
    assert s.shape == x.shape and np.all((s >= 0) & (s <= 1))


@given(arrays())
def test_tanh_and_softplus(x):
    np.testing.assert_allclose(activations_np.tanh_grad(x), 1 / np.cosh(x) ** 2, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(activations_np.softplus(x), np.log1p(np.exp(x)), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(activations_np.softplus_grad(x), activations_np.sigmoid(x), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(activations_np.tanh(x), np.tanh(x), rtol=1e-15)


@given(arrays(st.floats(0.01, 30) | st.floats(-30, -0.01)), st.floats(0.001, 0.5))
def test_relu_family_away_from_the_kink(x, alpha):
    np.testing.assert_array_equal(activations_np.relu(x), np.where(x > 0, x, 0.0))
    np.testing.assert_array_equal(activations_np.relu_grad(x), (x > 0).astype(float))
    np.testing.assert_allclose(activations_np.leaky_relu(x, alpha), np.where(x > 0, x, alpha * x), rtol=1e-15)
    np.testing.assert_allclose(activations_np.leaky_relu_grad(x, alpha), np.where(x > 0, 1.0, alpha), rtol=1e-15)


@given(arrays(st.floats(-4, 4)), seeds)   # beyond, f' ~ 1e-6 drowns in rounding relative to f
def test_activation_derivatives_against_central_differences(x, seed):
    rng = np.random.default_rng(seed)
    g = rng.standard_normal(x.shape)
    for f, df in ((activations_np.sigmoid, activations_np.sigmoid_grad), (activations_np.tanh, activations_np.tanh_grad), (activations_np.softplus, activations_np.softplus_grad)):
        assert_vjp(f, g * df(x), x, g)


# ---------------------------------------------------------------- hadamard

@given(st.data())
def test_hadamard_and_its_backward(data):
    shape = data.draw(shapes)
    a, b = data.draw(arrays(shape=shape)), data.draw(arrays(shape=shape))
    np.testing.assert_array_equal(hadamard.hadamard(a, b), hadamard.hadamard(b, a))
    np.testing.assert_allclose(hadamard.hadamard(a, b), (np.diag(a.ravel()) @ b.ravel()).reshape(shape), rtol=1e-15)
    np.testing.assert_allclose(hadamard.elementwise_backward(a, b, activations_np.tanh_grad), a / np.cosh(b) ** 2,
                               rtol=1e-12, atol=1e-300)


# ---------------------------------------------------------------- losses

@given(dims, dims, seeds, st.floats(0.1, 20))
@example(N=1, C=4, seed=43998305, scale=15.0)  # L = 6.6e-9: the reference's log(p) has only 8 digits
def test_softmax_family(N, C, seed, scale):
    rng = np.random.default_rng(seed)
    z = scale * rng.standard_normal((N, C + 1))
    p = losses.softmax(z)
    np.testing.assert_allclose(p.sum(axis=-1), 1, rtol=1e-12)
    np.testing.assert_allclose(losses.softmax(z + 123.0), p, rtol=1e-10, atol=1e-300)   # shift invariance
    np.testing.assert_allclose(losses.log_softmax(z), np.log(p), rtol=1e-9, atol=1e-9)
    labels = rng.integers(0, C + 1, N)
    L, dz = losses.softmax_cross_entropy(z, labels)
    # log(p) of a p within eps of 1 is off by ~eps absolutely (the naive reference, not the
    # loss, loses the relative digits when the right class dominates): hence the atol
    np.testing.assert_allclose(L, -np.mean(np.log(p[np.arange(N), labels])), rtol=1e-9, atol=1e-14)
    assert_vjp(lambda v: losses.softmax_cross_entropy(v, labels)[0], dz, z, 1.0)


@given(dims, dims, seeds)
def test_mse_and_bce(N, K, seed):
    rng = np.random.default_rng(seed)
    yh, y = rng.standard_normal((N, K)), rng.standard_normal((N, K))
    L, g = losses.mse(yh, y)
    np.testing.assert_allclose(L, np.mean((yh - y) ** 2), rtol=1e-12)
    assert_vjp(lambda v: losses.mse(v, y)[0], g, yh, 1.0)
    z, t = 5 * rng.standard_normal((N, K)), rng.random((N, K))
    L, g = losses.binary_cross_entropy_with_logits(z, t)
    s = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(L, np.mean(-(t * np.log(s) + (1 - t) * np.log(1 - s))), rtol=1e-9)
    assert_vjp(lambda v: losses.binary_cross_entropy_with_logits(v, t)[0], g, z, 1.0)


# ---------------------------------------------------------------- affine layer and the two-layer network

@given(dims, dims, dims, seeds)
def test_affine_backward_against_central_differences(N, Din, Dout, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((N, Din)), rng.standard_normal((Dout, Din)), rng.standard_normal(Dout)
    out, cache = backprop.affine_forward(x, W, b)
    np.testing.assert_allclose(out, x @ W.T + b, rtol=1e-12)
    dout = rng.standard_normal(out.shape)
    dx, dW, db = backprop.affine_backward(dout, cache)
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)
    for arg, grad, f in ((x, dx, lambda v: backprop.affine_forward(v, W, b)[0]),
                         (W, dW, lambda v: backprop.affine_forward(x, v, b)[0]),
                         (b, db, lambda v: backprop.affine_forward(x, W, v)[0])):
        assert_vjp(f, grad, arg, dout)


@given(dims, dims, dims, dims, seeds, st.sampled_from(["sigmoid", "tanh"]))
def test_two_layer_gradients_against_central_differences(N, D, H, K, seed, activation):
    rng = np.random.default_rng(seed)
    p = backprop.two_layer_init(D, H, K, rng)
    X, Y = rng.standard_normal((N, D)), rng.standard_normal((N, K))
    L, grads = backprop.two_layer_loss_and_grads(p, X, Y, activation)
    f1 = activations_np.sigmoid if activation == "sigmoid" else np.tanh
    np.testing.assert_allclose(backprop.two_layer_forward(p, X, activation),
                               f1(X @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"], rtol=1e-12, atol=1e-15)
    for k in backprop.PARAMS:
        f = lambda v, k=k: backprop.two_layer_loss_and_grads({**p, k: v}, X, Y, activation)[0]  # noqa: E731
        assert_vjp(f, grads[k], p[k], 1.0)


# ---------------------------------------------------------------- gradient descent

@given(dims, dims, seeds, st.floats(1e-4, 1.0))
def test_gd_step_and_least_squares(D, K, seed, lr):
    rng = np.random.default_rng(seed)
    p = {"W": rng.standard_normal((K, D)), "b": rng.standard_normal(K)}
    X, Y = rng.standard_normal((7, D)), rng.standard_normal((7, K))
    L, g = gradient_descent.least_squares_loss_and_grads(p, X, Y)
    np.testing.assert_allclose(L, 0.5 * np.mean(np.sum((X @ p["W"].T + p["b"] - Y) ** 2, axis=1)), rtol=1e-12)
    for k in p:
        f = lambda v, k=k: gradient_descent.least_squares_loss_and_grads({**p, k: v}, X, Y)[0]  # noqa: E731
        assert_vjp(f, g[k], p[k], 1.0)
    new = gradient_descent.gd_step(p, g, lr)
    for k in p:
        np.testing.assert_allclose(new[k], p[k] - lr * g[k], rtol=1e-15)


# ---------------------------------------------------------------- deep stacks

@given(st.integers(1, 4), dims, dims, seeds, st.sampled_from(["tanh", "sigmoid"]), st.booleans())
def test_stack_backward_against_central_differences(depth, n, N, seed, activation, residual):
    rng = np.random.default_rng(seed)
    weights = vanishing_exploding.init_stack(depth, n, "xavier", rng)
    x = rng.standard_normal((N, n))
    out, cache = vanishing_exploding.stack_forward(x, weights, activation, residual)
    dout = rng.standard_normal(out.shape)
    grads = vanishing_exploding.stack_backward(dout, cache)
    assert len(grads) == depth + 1 and all(g.shape == x.shape for g in grads)
    f = lambda v: vanishing_exploding.stack_forward(v, weights, activation, residual)[0]  # noqa: E731
    assert_vjp(f, grads[0], x, dout)
    norms = vanishing_exploding.layer_gradient_norms(x, weights, activation, residual, rng=np.random.default_rng(1))
    assert norms.shape == (depth + 1,) and np.all(norms >= 0)


# ---------------------------------------------------------------- initialization

@given(st.integers(1, 400), st.integers(1, 400))
def test_initialization_variances(n_in, n_out):
    assert initialization.xavier_variance(n_in, n_out) == pytest.approx(2 / (n_in + n_out), rel=1e-15)
    assert initialization.he_variance(n_in) == pytest.approx(2 / n_in, rel=1e-15)
    W = initialization.he_normal(n_in, n_out, np.random.default_rng(n_in * 1000 + n_out))
    assert W.shape == (n_out, n_in)


# ---------------------------------------------------------------- normalization

# N = 2 (or D = 2 for layer norm) normalizes to +-1 whatever x is: the gradient is O(eps) and
# central differences only see rounding there (tests/test_normalization.py checks it with autograd)
@given(st.integers(3, 6), st.integers(1, 5), seeds, st.floats(0.1, 10))
def test_batchnorm_and_layernorm(N, D, seed, scale):
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal((N, D)) + rng.standard_normal(D)
    assume(np.all(x.std(axis=0) > 1e-3 * scale) and np.all(x.std(axis=1) > 1e-3 * scale))
    gamma, beta = rng.standard_normal(D), rng.standard_normal(D)
    for fwd, bwd, axis in ((normalization.batchnorm_forward, normalization.batchnorm_backward, 0),
                           (normalization.layernorm_forward, normalization.layernorm_backward, 1)):
        if axis == 1 and D < 3:
            continue
        eps = 1e-5
        y, cache = fwd(x, np.ones(D), np.zeros(D), eps=eps)
        var = x.var(axis=axis)
        np.testing.assert_allclose(y.mean(axis=axis), 0, atol=1e-10)
        np.testing.assert_allclose(y.var(axis=axis), var / (var + eps), rtol=1e-9)
        y, cache = fwd(x, gamma, beta)
        dout = rng.standard_normal(y.shape)
        dx, dgamma, dbeta = bwd(dout, cache)
        assert (dx.shape, dgamma.shape, dbeta.shape) == (x.shape, (D,), (D,))
        f = lambda v, fwd=fwd: fwd(v, gamma, beta)[0]  # noqa: E731
        assert_vjp(f, dx, x, dout)


@given(hnp.arrays(np.float64, st.integers(2, 30), elements=st.floats(-1e3, 1e3)))
def test_zscore(x):
    assume(x.std() > 1e-6 * max(1.0, np.abs(x).max()))
    z = normalization.zscore(x)
    np.testing.assert_allclose(z.mean(), 0, atol=1e-9)
    np.testing.assert_allclose(z.std(), 1, rtol=1e-9)


# ---------------------------------------------------------------- clipping

@given(st.dictionaries(st.sampled_from(["W", "b", "U"]), arrays(st.floats(-100, 100)), min_size=1),
       st.floats(0.01, 100))
def test_clipping(grads, c):
    total = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    assert clipping.global_norm(grads) == pytest.approx(total, rel=1e-12, abs=1e-300)
    clipped, norm = clipping.clip_grad_norm(grads, c)
    assert norm == pytest.approx(total, rel=1e-12, abs=1e-300)
    assert clipping.global_norm(clipped) <= max(c, 0) * (1 + 1e-9) or total <= c
    for k in grads:   # same direction: a non-negative multiple
        scale = 1.0 if total <= c else c / (total + 1e-6)
        np.testing.assert_allclose(clipped[k], grads[k] * scale, rtol=1e-12, atol=1e-300)
    by_value = clipping.clip_grad_value(grads, c)
    for k in grads:
        np.testing.assert_array_equal(by_value[k], np.clip(grads[k], -c, c))


# ---------------------------------------------------------------- recurrent networks

rec_dims = st.tuples(st.integers(1, 6), st.integers(1, 3), st.integers(1, 3), st.integers(1, 4))


@given(rec_dims, seeds)
def test_rnn_backward_against_central_differences(dims_, seed):
    T, N, D, H = dims_
    rng = np.random.default_rng(seed)
    args = [rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((H, D)),
            rng.standard_normal((H, H)) / np.sqrt(H), rng.standard_normal(H)]
    h, cache = rnn.rnn_forward(*args)
    dh = rng.standard_normal(h.shape)
    grads = rnn.rnn_backward(dh, cache)
    for j, g in enumerate(grads):
        assert g.shape == args[j].shape
        f = lambda v, j=j: rnn.rnn_forward(*args[:j], v, *args[j + 1:])[0]  # noqa: E731
        assert_vjp(f, g, args[j], dh)
    targets = rng.standard_normal((T, N, 2))
    params = {"W_hx": args[2], "W_hh": args[3], "b_h": args[4], "W_hy": rng.standard_normal((2, H)),
              "b_y": rng.standard_normal(2)}
    L, g = rnn.rnn_loss_and_grads(params, args[0], targets, args[1])
    f = lambda v: rnn.rnn_loss_and_grads({**params, "W_hy": v}, args[0], targets, args[1])[0]  # noqa: E731
    assert_vjp(f, g["W_hy"], params["W_hy"], 1.0)


@given(rec_dims, seeds)
def test_lstm_and_gru_backward_against_central_differences(dims_, seed):
    T, N, D, H = dims_
    rng = np.random.default_rng(seed)
    x, h0, c0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    largs = [x, h0, c0, rng.standard_normal((4 * H, D)), rng.standard_normal((4 * H, H)) / np.sqrt(H),
             rng.standard_normal(4 * H)]
    gargs = [x, h0, rng.standard_normal((3 * H, D)), rng.standard_normal((3 * H, H)) / np.sqrt(H),
             rng.standard_normal(3 * H), rng.standard_normal(3 * H)]
    for fwd, bwd, args in ((lstm.lstm_forward, lstm.lstm_backward, largs), (gru.gru_forward, gru.gru_backward, gargs)):
        h, cache = fwd(*args)
        dh = rng.standard_normal(h.shape)
        grads = bwd(dh, cache)
        for j, g in enumerate(grads):
            assert g.shape == args[j].shape
            f = lambda v, j=j, fwd=fwd, args=args: fwd(*args[:j], v, *args[j + 1:])[0]  # noqa: E731
            assert_vjp(f, g, args[j], dh)
