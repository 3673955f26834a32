"""Losses: SymPy proofs, central differences, autograd, extreme logits, any rank and the smallest
size, bad input."""

import warnings

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import verify
from derivations.numeric import losses as losses_np


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)


def test_mse_gradient_is_a_vector_not_a_sum(rng):
    y_hat, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    loss, g = losses_np.mse(y_hat, y)
    assert loss == pytest.approx(np.mean((y_hat - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(g, 2 * (y_hat - y) / 12, rtol=1e-14)
    np.testing.assert_allclose(g, grad(lambda v: anp.mean((v - y) ** 2))(y_hat), rtol=1e-13)


def test_softmax_cross_entropy_against_autograd(rng):
    z = 3 * rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    onehot = np.eye(4)[labels]

    def naive(v):
        logp = v - anp.log(anp.sum(anp.exp(v), axis=1, keepdims=True))
        return -anp.sum(onehot * logp) / v.shape[0]
    loss, g = losses_np.softmax_cross_entropy(z, labels)
    assert loss == pytest.approx(naive(z), rel=1e-13)
    np.testing.assert_allclose(g, grad(naive)(z), rtol=1e-11, atol=1e-15)
    np.testing.assert_allclose(losses_np.softmax(z).sum(axis=1), 1.0, rtol=1e-15)


def test_bce_with_logits_against_autograd_with_soft_targets(rng):
    z = 3 * rng.standard_normal((5, 3))
    t = rng.uniform(0, 1, (5, 3))

    def naive(v):
        s = 1 / (1 + anp.exp(-v))
        return -anp.mean(t * anp.log(s) + (1 - t) * anp.log(1 - s))
    loss, g = losses_np.binary_cross_entropy_with_logits(z, t)
    assert loss == pytest.approx(naive(z), rel=1e-12)
    np.testing.assert_allclose(g, grad(naive)(z), rtol=1e-10, atol=1e-15)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(N=st.integers(1, 8), C=st.integers(1, 7), seed=st.integers(0, 2**16), scale=st.sampled_from([0.1, 3.0, 30.0]))
def test_cross_entropy_gradients_central_difference_random_shapes(N, C, seed, scale):
    rng = np.random.default_rng(seed)
    z = scale * rng.standard_normal((N, C))
    labels = rng.integers(0, C, N)
    loss, g = losses_np.softmax_cross_entropy(z, labels)
    assert g.shape == z.shape and np.isfinite(loss)
    np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-15)     # p - onehot sums to zero
    c = verify.check_gradient(lambda v: losses_np.softmax_cross_entropy(v, labels)[0], g, z, name="ce", topic="t")
    assert c.passed, c
    t = rng.uniform(0, 1, (N, C))
    loss, g = losses_np.binary_cross_entropy_with_logits(z, t)
    c = verify.check_gradient(lambda v: losses_np.binary_cross_entropy_with_logits(v, t)[0], g, z, name="bce",
                              topic="t")
    assert c.passed, c


def test_extreme_logits_are_finite_without_warnings():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [1e4, 1e4, 1e4]])
    loss, g = losses_np.softmax_cross_entropy(z, np.array([1, 0, 2]))
    assert loss == pytest.approx((2e4 + 2e4 + np.log(3)) / 3)
    assert np.isfinite(g).all()
    loss, g = losses_np.binary_cross_entropy_with_logits(np.array([1e4, -1e4, 1e4, -1e4]),
                                                 np.array([0.0, 1.0, 1.0, 0.0]))
    assert loss == pytest.approx(2e4 / 4) and np.isfinite(g).all()
    np.testing.assert_allclose(g, [0.25, -0.25, 0.0, 0.0])


BAD = [
    (lambda: losses_np.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), r"labels must lie in \[0, 2\]"),
    (lambda: losses_np.softmax_cross_entropy(np.zeros((2, 3)), np.array([-1, 0])), r"labels must lie in"),
    (lambda: losses_np.softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), r"labels must be integers"),
    (lambda: losses_np.softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 1, 2])), r"labels must have shape \(2,\)"),
    (lambda: losses_np.softmax_cross_entropy(np.zeros(3), np.array([0])), r"logits must be 2-D"),
    (lambda: losses_np.softmax_cross_entropy(np.array([[0.0, np.nan]]), np.array([0])), r"logits contains NaN"),
    (lambda: losses_np.softmax_cross_entropy(np.zeros((0, 3)), np.zeros(0, dtype=int)), r"logits must have N >= 1"),
    (lambda: losses_np.binary_cross_entropy_with_logits(np.zeros(3), np.array([0.0, 1.5, 1.0])), r"targets must lie in \[0, 1\]"),
    (lambda: losses_np.binary_cross_entropy_with_logits(np.zeros(3), np.zeros(2)), r"logits and targets must have the same shape"),
    (lambda: losses_np.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0)), r"logits must not be empty"),
    (lambda: losses_np.mse(np.zeros((2, 3)), np.zeros((3, 2))), r"y_hat and y must have the same shape"),
    (lambda: losses_np.mse(np.zeros(2), np.array([1.0, np.inf])), r"y contains NaN or infinite"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input_raises_a_value_error_naming_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_log_softmax_acts_on_the_last_axis_of_any_rank():
    z = R(2, 3, 4)
    flat = losses_np.log_softmax(z.reshape(6, 4)).reshape(2, 3, 4)
    np.testing.assert_allclose(losses_np.log_softmax(z), flat, rtol=1e-14)


def test_smallest_accepted_size_of_mse():
    assert losses_np.mse(np.array([2.0]), np.array([0.5]))[0] == 2.25


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_losses_keep_their_promise_in_every_float_dtype(dtype):
    """Logits of +-1e4 give finite losses and gradients, no RuntimeWarning, in every float dtype
    (float16 cross-entropy over a batch was inf: a float16 sum of eight losses of 2e4); the
    gradient keeps the logits' dtype, the loss is summed in float64. Hand-computed: each row of
    [1e4, -1e4, 0] with label 1 costs 2e4, so the mean is 2e4 and dL/dz = (onehot(0) - onehot(1)) / 8."""
    z = np.tile(np.array([[1e4, -1e4, 0.0]], dtype=dtype), (8, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss, grad = losses_np.softmax_cross_entropy(z, np.ones(8, dtype=int))
        bce, bce_grad = losses_np.binary_cross_entropy_with_logits(z, np.full(z.shape, 0.3, dtype=dtype))
        mse, mse_grad = losses_np.mse(z, np.zeros_like(z))
        logp = losses_np.log_softmax(z)
    assert loss == 2e4 and grad.dtype == dtype and np.array_equal(grad, np.tile(np.array([[1, -1, 0]], dtype) / 8, (8, 1)))
    # BCE per row: 0.7e4 (z = 1e4, t = 0.3) + 0.3e4 (z = -1e4) + log 2 (z = 0); mean over 24 entries
    assert bce == pytest.approx((1e4 + np.log(2)) / 3, rel=1e-3 if dtype == np.float16 else 1e-9)
    assert bce_grad.dtype == dtype and np.all(np.isfinite(bce_grad))
    assert mse == pytest.approx(2e8 / 3) and mse_grad.dtype == dtype and logp.dtype == dtype


# ------------------------------------------------------------------ the complex step (issue 17, item 2)

def test_gradients_equal_the_complex_step_of_the_losses(rng):
    """Each loss's gradient against Im L(z + ih e_k)/h, entry by entry, with logits on both
    sides of 0 and far out (the branches of the stable forms are taken on the real part, so
    the step does not switch them); the targets of MSE and BCE take the step too."""
    z = np.concatenate([3 * rng.standard_normal((4, 3)), [[40.0, -40.0, 0.0]]])
    labels, t, y = np.array([0, 2, 1, 1, 0]), rng.uniform(0, 1, z.shape), rng.standard_normal(z.shape)
    cases = [(losses_np.softmax_cross_entropy, labels), (losses_np.binary_cross_entropy_with_logits, t),
             (losses_np.mse, y)]
    for loss, other in cases:
        g = loss(z, other)[1]
        np.testing.assert_allclose(g, verify.numeric_gradient(lambda v: loss(v, other)[0], z, "complex-step"),
                                   rtol=1e-13, atol=1e-16)
    # with respect to the targets: dL/dt = -z/n (BCE), dL/dy = -(2/n)(y_hat - y) (MSE)
    bce_of_targets = lambda v: losses_np.binary_cross_entropy_with_logits(z, v)[0]  # noqa: E731
    np.testing.assert_allclose(verify.numeric_gradient(bce_of_targets, t, "complex-step"), -z / z.size, rtol=1e-13)
    np.testing.assert_allclose(verify.numeric_gradient(lambda v: losses_np.mse(z, v)[0], y, "complex-step"),
                               -2 * (z - y) / z.size, rtol=1e-13)


def test_log_softmax_and_softmax_are_analytic(rng):
    """The complex step through log_softmax and softmax equals autograd's gradient."""
    z, w = 4 * rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    for f, ref in ((losses_np.log_softmax, lambda v: v - anp.log(anp.sum(anp.exp(v), axis=1, keepdims=True))),
                   (losses_np.softmax, lambda v: anp.exp(v) / anp.sum(anp.exp(v), axis=1, keepdims=True))):
        np.testing.assert_allclose(verify.numeric_gradient(lambda v: np.sum(w * f(v)), z, "complex-step"),
                                   grad(lambda v: anp.sum(w * ref(v)))(z), rtol=1e-12, atol=1e-15)


def test_complex_input_returns_a_complex_loss_and_gradient(rng):
    z = rng.standard_normal((4, 3))
    for loss, other in ((losses_np.softmax_cross_entropy, np.array([0, 1, 2, 0])),
                        (losses_np.binary_cross_entropy_with_logits, rng.uniform(0, 1, z.shape)),
                        (losses_np.mse, rng.standard_normal(z.shape))):
        real_loss, real_grad = loss(z, other)
        value, g = loss(z + 0j, other)
        assert type(value) is complex and value.imag == 0 and value.real == pytest.approx(real_loss, rel=1e-15)
        assert g.dtype == np.complex128 and not g.imag.any()
        np.testing.assert_allclose(g.real, real_grad, rtol=1e-15, atol=1e-17)
        assert type(real_loss) is float


def test_real_input_gives_the_results_of_the_former_formulas(rng):
    """The complex-safe forms (max and abs along the real part's sign) compute, for real input,
    exactly what the former ones did: np.maximum(z, 0), e^-abs(z), activations.sigmoid, and
    log-sum-exp shifted by max(z)."""
    from derivations.numeric.activations import sigmoid
    z, t = 5 * rng.standard_normal((6, 4)), rng.uniform(0, 1, (6, 4))
    z[0, :2] = 0.0, -0.0
    loss, g = losses_np.binary_cross_entropy_with_logits(z, t)
    assert loss == float(np.sum(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))), dtype=np.float64) / z.size)
    np.testing.assert_array_equal(g, (sigmoid(z) - t) / z.size)
    shifted = z - np.max(z, axis=-1, keepdims=True)
    np.testing.assert_array_equal(losses_np.log_softmax(z), shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)))
    y = rng.standard_normal(z.shape)
    loss, g = losses_np.mse(z, y)
    assert loss == float(np.sum(np.square(z - y), dtype=np.float64) / z.size)
    np.testing.assert_array_equal(g, 2 * (z - y) / z.size)


# ------------------------------------------------------------------ the fast cross-entropy (issue 17, item 7)

def test_softmax_cross_entropy_against_log_softmax_large_batch(rng):
    """The loss and gradient computed in place from exp(z - max) against the definition through
    log_softmax (an independent route: its own shift, sum and log) on 512 x 100 logits."""
    z = 6 * rng.standard_normal((512, 100))
    labels = rng.integers(0, 100, 512)
    loss, g = losses_np.softmax_cross_entropy(z, labels)
    logp = losses_np.log_softmax(z)
    assert loss == pytest.approx(-np.mean(logp[np.arange(512), labels]), rel=1e-14)
    np.testing.assert_allclose(g, (np.exp(logp) - np.eye(100)[labels]) / 512, rtol=1e-13, atol=1e-18)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, "both"])
def test_cross_entropy_finds_nan_and_inf_through_its_row_sums(bad):
    """-inf has no trace in max(z) or exp(z - max): the row sums catch it, and inf - inf."""
    z = R(4, 3)
    z[2, 1:] = (np.inf, -np.inf) if bad == "both" else bad
    with pytest.raises(ValueError, match="^logits contains NaN or infinite values$"):
        losses_np.softmax_cross_entropy(z, np.array([0, 1, 2, 0]))


def test_cross_entropy_of_finite_logits_whose_row_sum_overflows():
    """1e308 twice in a row overflows the row sum that checks for NaN/inf; the logits are finite,
    and the loss is computed, by hand: each row has two equal maxima and its label on one of
    them, so it costs log 2, and its gradient is (1/2, 1/2, 0) - onehot, over N = 2."""
    z = np.array([[1e308, 1e308, 0.0], [1e308, 0.0, 1e308]])
    loss, g = losses_np.softmax_cross_entropy(z, np.array([0, 2]))
    assert loss == pytest.approx(np.log(2), rel=1e-15)
    np.testing.assert_allclose(g, [[-0.25, 0.25, 0.0], [0.25, 0.0, -0.25]], rtol=1e-15)


def test_cross_entropy_does_not_modify_the_logits(rng):
    z = rng.standard_normal((5, 4))
    z.flags.writeable = False
    loss, g = losses_np.softmax_cross_entropy(z, np.array([0, 1, 2, 3, 0]))
    assert np.isfinite(loss) and g.flags.writeable and not np.shares_memory(g, z)
