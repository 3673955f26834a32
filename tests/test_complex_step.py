"""The complex step through the package's own kernels (issue 17, item 2): every forward accepts
complex128 and is analytic in it, so its backward is checked entry by entry against
Im f(x + ih e_i) / h, which subtracts nothing and resolves a 1e-20 gradient as well as a 1.
Every entry must be resolved (``unresolved == 0``), ReLU's exact zeros included."""

import numpy as np
import pytest

from derivations import verify
from derivations.numeric import activations, backprop, clipping, gradient_descent, gru, hadamard, lstm, rnn
from derivations.numeric import vanishing_exploding
from derivations.symbolic import verification


def assert_complex_step(f, vjp, *args, **kwargs):
    c = verify.check_vjp(f, vjp, *args, method="complex-step", every_entry=True, **kwargs)
    assert c.passed and c.unresolved == 0, c
    return c


@pytest.mark.parametrize("name", [n for n in activations.__all__ if not n.endswith("_grad")])
def test_activation_derivatives(name, rng):
    f, df = getattr(activations, name), getattr(activations, name + "_grad")
    x = 4 * rng.standard_normal((5, 6))
    x[0, :3] = [-30.0, 30.0, -1e-3]           # both tails and near the kink
    # atol eps: 1 - s and the like subtract numbers of size 1 (see test_activations)
    c = verify.check_derivative(f, df, x, method="complex-step", atol=np.finfo(np.float64).eps)
    assert c.passed and c.unresolved == 0, c


def test_complex_input_gives_the_analytic_continuation_and_real_input_is_unchanged(rng):
    x = 3 * rng.standard_normal(40)
    h = 1e-20
    for name in ("sigmoid", "tanh", "relu", "leaky_relu", "softplus"):
        f, df = getattr(activations, name), getattr(activations, name + "_grad")
        z = f(x + 1j * h)
        assert z.dtype == np.complex128
        # the value: to a few ulp (NumPy's complex log1p is log(1 + z), whose real part loses
        # eps / |softplus| in the left tail; the derivative, in the imaginary part, does not)
        np.testing.assert_allclose(z.real, f(x), rtol=1e-13, atol=0)
        np.testing.assert_allclose(z.imag / h, df(x), rtol=1e-13, atol=1e-300)   # the derivative


def test_affine_and_hadamard(rng):
    x, W, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    _, cache = backprop.affine_forward(x, W, b)
    assert_complex_step(lambda x, W, b: backprop.affine_forward(x, W, b)[0],
                        lambda g: tuple(backprop.affine_backward(g, cache)), x, W, b)
    a, c = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    assert_complex_step(hadamard.hadamard, lambda g: (g * c, g * a), a, c)
    z = rng.standard_normal((3, 4))
    assert_complex_step(activations.sigmoid,
                        lambda g: hadamard.elementwise_backward(g, z, activations.sigmoid_grad), z)


@pytest.mark.parametrize("activation", list(backprop.ACTIVATION_PAIRS))
def test_two_layer_network_and_least_squares(activation, rng):
    params = backprop.two_layer_init(4, 5, 3, rng, scale=1.0)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    X, Y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    _, grads = backprop.two_layer_loss_and_grads(params, X, Y, activation)
    for k in backprop.PARAMS:
        assert_complex_step(lambda v, k=k: backprop.two_layer_loss_and_grads({**params, k: v}, X, Y, activation)[0],
                            lambda g, k=k: g * grads[k], params[k], dout=np.float64(1.0))
    p = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(3)}
    _, grads = gradient_descent.least_squares_loss_and_grads(p, X, Y)
    for k in p:
        assert_complex_step(lambda v, k=k: gradient_descent.least_squares_loss_and_grads({**p, k: v}, X, Y)[0],
                            lambda g, k=k: g * grads[k], p[k], dout=np.float64(1.0))


def test_global_norm_is_analytic(rng):
    grads = {"a": rng.standard_normal((2, 3)), "b": rng.standard_normal(4)}
    norm = clipping.global_norm(grads)
    assert_complex_step(lambda a: clipping.global_norm({**grads, "a": a}), lambda g: g * grads["a"] / norm,
                        grads["a"], dout=np.float64(1.0))


def sequence(rng, T=4, N=2, n=3, m=3):
    return rng.standard_normal((T, N, n)), rng.standard_normal((N, m))


def test_rnn(rng):
    x, h0 = sequence(rng)
    W_hx, W_hh, b = rng.standard_normal((3, 3)), 0.5 * rng.standard_normal((3, 3)), rng.standard_normal(3)
    _, cache = rnn.rnn_forward(x, h0, W_hx, W_hh, b)
    assert_complex_step(lambda *a: rnn.rnn_forward(*a)[0], lambda g: tuple(rnn.rnn_backward(g, cache)),
                        x, h0, W_hx, W_hh, b)


def test_lstm(rng):
    x, h0 = sequence(rng)
    c0, W_ih, W_hh, b = (rng.standard_normal((2, 3)), rng.standard_normal((12, 3)),
                         rng.standard_normal((12, 3)), rng.standard_normal(12))
    _, cache = lstm.lstm_forward(x, h0, c0, W_ih, W_hh, b)
    assert_complex_step(lambda *a: lstm.lstm_forward(*a)[0], lambda g: tuple(lstm.lstm_backward(g, cache)),
                        x, h0, c0, W_ih, W_hh, b)


def test_gru(rng):
    x, h0 = sequence(rng)
    W_ih, W_hh, b_ih, b_hh = (rng.standard_normal((9, 3)), rng.standard_normal((9, 3)),
                              rng.standard_normal(9), rng.standard_normal(9))
    _, cache = gru.gru_forward(x, h0, W_ih, W_hh, b_ih, b_hh)
    assert_complex_step(lambda *a: gru.gru_forward(*a)[0], lambda g: tuple(gru.gru_backward(g, cache)),
                        x, h0, W_ih, W_hh, b_ih, b_hh)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("residual", [False, True])
def test_deep_stack(activation, residual, rng):
    x = rng.standard_normal((4, 5))
    weights = vanishing_exploding.init_stack(3, 5, "he", rng)
    _, cache = vanishing_exploding.stack_forward(x, weights, activation, residual)
    assert_complex_step(lambda v: vanishing_exploding.stack_forward(v, weights, activation, residual)[0],
                        lambda g: vanishing_exploding.stack_backward(g, cache)[0], x)


def test_a_wrong_gradient_at_the_first_step_of_a_vanishing_rnn_fails_only_entry_by_entry():
    # the verification page's example: T = 60, spectral radius 0.5, a loss on the last step;
    # right is rnn_backward's dL/dx, wrong the same with the first step's gradient doubled
    f, x, dout, right, wrong = verification.vanishing_rnn_example()
    assert 0 < abs(right[0, 0, 0]) < 1e-15 * np.abs(right).max()
    c = verify.check_vjp(f, lambda g: right, x, dout=dout, method="complex-step")
    assert c.passed and c.unresolved == 0, c
    c = verify.check_vjp(f, lambda g: wrong, x, dout=dout, method="complex-step")
    assert not c.passed and "worst entry v[0, 0, 0]" in c.detail and c.error == pytest.approx(0.5, rel=1e-9), c
    # central differences cannot see the early steps: reported unresolved, not passed
    c = verify.check_vjp(f, lambda g: wrong, x, dout=dout)
    assert c.passed and c.unresolved >= len(x) // 2, c
    # a whole-array error, scaled by the largest entry, passes the wrong gradient
    assert verify.rel_error(wrong, right) < 1e-15


# ------------------------------------------------------------ second order: the gradient of a VJP

def second_order(f, grad, x, **kwargs):
    c = verify.check_second_order(f, grad, x, **kwargs)
    assert c.passed and c.unresolved == 0 and c.method == "second-order", c
    return c


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus"])
def test_second_order_activations(name, rng):
    f, df = getattr(activations, name), getattr(activations, name + "_grad")
    x, d = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    second_order(f, lambda z: d * df(z), x, dout=d)


@pytest.mark.parametrize("activation", list(backprop.ACTIVATION_PAIRS))
def test_second_order_two_layer_network(activation, rng):
    params = backprop.two_layer_init(4, 5, 3, rng, scale=1.0)
    X, Y = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))
    for k in ("W1", "W2"):   # b2 enters linearly: its gradient's derivative in b2 is constant
        second_order(lambda v, k=k: backprop.two_layer_loss_and_grads({**params, k: v}, X, Y, activation)[0],
                     lambda v, k=k: backprop.two_layer_loss_and_grads({**params, k: v}, X, Y, activation)[1][k],
                     params[k], dout=np.float64(1.0))


def test_second_order_recurrent_kernels(rng):
    x, h0 = sequence(rng)
    dh = rng.standard_normal((4, 2, 3))
    W_hx, W_hh, b = rng.standard_normal((3, 3)), 0.5 * rng.standard_normal((3, 3)), rng.standard_normal(3)
    second_order(lambda v: rnn.rnn_forward(v, h0, W_hx, W_hh, b)[0],
                 lambda v: rnn.rnn_backward(dh, rnn.rnn_forward(v, h0, W_hx, W_hh, b)[1]).dx, x, dout=dh)
    c0, W_ih, W_hh4, b4 = (rng.standard_normal((2, 3)), rng.standard_normal((12, 3)),
                           rng.standard_normal((12, 3)), rng.standard_normal(12))
    second_order(lambda v: lstm.lstm_forward(x, h0, c0, W_ih, v, b4)[0],
                 lambda v: lstm.lstm_backward(dh, lstm.lstm_forward(x, h0, c0, W_ih, v, b4)[1]).dW_hh, W_hh4, dout=dh)
    W_ih3, W_hh3, b_ih, b_hh = (rng.standard_normal((9, 3)), rng.standard_normal((9, 3)),
                                rng.standard_normal(9), rng.standard_normal(9))
    second_order(lambda v: gru.gru_forward(x, v, W_ih3, W_hh3, b_ih, b_hh)[0],
                 lambda v: gru.gru_backward(dh, gru.gru_forward(x, v, W_ih3, W_hh3, b_ih, b_hh)[1]).dh0, h0, dout=dh)


def test_second_order_rejects_a_backward_right_only_at_the_point():
    # tanh's backward with tanh' frozen at x (a stale cache): exact at x, so check_vjp passes it;
    # its derivative in x is 0 instead of d * tanh''(x), and the second-order check fails
    rng = np.random.default_rng(5)
    x, d = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    stale = d * activations.tanh_grad(x)
    assert verify.check_vjp(np.tanh, lambda g: stale, x, dout=d, method="complex-step").passed
    c = verify.check_second_order(np.tanh, lambda z: stale + 0 * z, x, dout=d)
    assert not c.passed and c.error == pytest.approx(1.0) and "claimed 0, numeric " in c.detail, c
    c = verify.check_second_order(np.tanh, lambda z: d * activations.tanh_grad(np.real(z)), x, dout=d)
    assert not c.passed and c.detail.startswith("grad must return a complex array of x's shape (3, 4), got float64"), c


def test_second_order_normalization_and_losses(rng):
    from derivations.numeric import losses, normalization

    x, d = 2 * rng.standard_normal((5, 3)) + 1, rng.standard_normal((5, 3))
    gm, bt = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    for fwd, bwd in ((normalization.batchnorm_forward, normalization.batchnorm_backward),
                     (normalization.layernorm_forward, normalization.layernorm_backward)):
        second_order(lambda v, fwd=fwd: fwd(v, gm, bt)[0], lambda v, fwd=fwd, bwd=bwd: bwd(d, fwd(v, gm, bt)[1])[0],
                     x, dout=d)
    labels = rng.integers(0, 3, 5)
    second_order(lambda z: losses.softmax_cross_entropy(z, labels)[0],
                 lambda z: losses.softmax_cross_entropy(z, labels)[1], x, dout=np.float64(1.0))
    t = rng.uniform(0, 1, (5, 3))
    second_order(lambda z: losses.binary_cross_entropy_with_logits(z, t)[0],
                 lambda z: losses.binary_cross_entropy_with_logits(z, t)[1], x, dout=np.float64(1.0))
