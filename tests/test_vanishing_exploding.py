"""Vanishing and exploding gradients: the Jacobian product, its bound, the estimate, the runs."""

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations import book, verify
from derivations.numeric import backprop as backprop_np
from derivations.numeric import vanishing_exploding as vanishing_exploding_np
from derivations.symbolic import vanishing_exploding as vanishing_exploding_sym


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)

AUTOGRAD_ACT = {"sigmoid": lambda z: 1 / (1 + anp.exp(-z)), "tanh": anp.tanh,
                "relu": lambda z: anp.where(z > 0, z, 0.0)}


def test_a_wrong_jacobian_product_is_refuted():
    # depth 2, width 2: smaller than the registered checks' sizes, where the right one is proved too
    derived, product = vanishing_exploding_sym.jacobian_product_proof(2, 2)
    assert verify.symbolic_identity("t", "product", derived, product).passed
    assert not verify.symbolic_identity("t", "twice", derived, 2 * product).passed


def test_changing_the_model_breaks_the_proof(monkeypatch):
    """The display and the proof share V.layer: a residual layer in its place fails the proof."""
    assert verify.symbolic_identity("t", "plain", *vanishing_exploding_sym.jacobian_product_proof(1, 2)).passed
    monkeypatch.setattr(vanishing_exploding_sym, "layer", lambda W, h, f=vanishing_exploding_sym._f: h + (W * h).applyfunc(f))
    assert not verify.symbolic_identity("t", "residual", *vanishing_exploding_sym.jacobian_product_proof(1, 2)).passed


def test_the_displayed_product_is_printed_from_the_proved_factors(exhibits_of):
    shown = exhibits_of("vanishing_exploding")["eq_jacobian_product"].tex
    for k in (1, 2, "d"):
        assert vanishing_exploding_sym.tex(sp.MatMul(*vanishing_exploding_sym.layer_factor(k))) in shown
    assert r"W_{1}^{\top} D_{1}" in shown


def test_bound_and_estimate_are_the_displayed_products(rng):
    norms, msq = rng.uniform(0.5, 3, 7), rng.uniform(0.01, 0.3, 7)
    np.testing.assert_allclose(vanishing_exploding_sym.bound_value(norms, 0.25, [2.0, 3.0]),
                               np.prod(norms) * 0.25 ** 7 * np.array([2.0, 3.0]), rtol=1e-13)
    assert vanishing_exploding_sym.mean_field_value(4.0, msq) == pytest.approx(np.prod(np.sqrt(4.0 * msq)), rel=1e-13)


@pytest.mark.parametrize("n", [9, 128])
def test_spectral_norms_are_the_largest_singular_values(n, rng):
    Ws = [rng.standard_normal((n, n)) / np.sqrt(n) for _ in range(3)]
    np.testing.assert_allclose(vanishing_exploding_sym.spectral_norms(Ws), [np.linalg.norm(W, 2) for W in Ws], rtol=1e-12)
    assert np.all(vanishing_exploding_sym.spectral_norms(Ws) <= [np.linalg.norm(W, 2) * (1 + 1e-13) for W in Ws])


@pytest.mark.parametrize("activation", list(backprop_np.ACTIVATION_PAIRS))
@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("batchnorm", [False, True])
def test_stack_backward_against_autograd(activation, residual, batchnorm, rng):
    weights = vanishing_exploding_np.init_stack(5, 7, "he", rng)
    x, dout = rng.standard_normal((4, 7)), rng.standard_normal((4, 7))
    _, cache = vanishing_exploding_np.stack_forward(x, weights, activation, residual, batchnorm)
    grads = vanishing_exploding_np.stack_backward(dout, cache)
    assert len(grads) == 6 and all(g.shape == x.shape for g in grads)

    def bn(z):                                   # training mode, gamma = 1, beta = 0, eps = 1e-5
        c = z - anp.mean(z, axis=0)
        return c / anp.sqrt(anp.mean(c ** 2, axis=0) + 1e-5)

    def phi(v):
        h = v
        for W in weights:
            z = anp.dot(h, W.T)
            z = bn(z) if batchnorm else z
            h = h + AUTOGRAD_ACT[activation](z) if residual else AUTOGRAD_ACT[activation](z)
        return anp.sum(dout * h)
    np.testing.assert_allclose(grads[0], grad(phi)(x), rtol=1e-10, atol=1e-14)


def test_sigmoid_bound_and_measured_vanishing(rng):
    assert vanishing_exploding_sym.sigmoid_bound(30) == sp.Rational(1, 4) ** 30
    assert vanishing_exploding_sym.sigmoid_derivative_maximum() == (0, sp.Rational(1, 4))
    norms = vanishing_exploding_sym.simulate("sigmoid", "xavier", rng, depth=20, width=32)
    assert norms[0] / norms[-1] < 1e-6
    norms = vanishing_exploding_sym.simulate("relu", "he", rng, depth=20, width=128)
    assert 0.1 < norms[0] / norms[-1] < 10


def test_runs_do_not_depend_on_the_order_of_the_calls():
    a = vanishing_exploding_sym.stack_run("tanh", 2.0, depth=5, width=16, n_samples=8, seed=3)
    vanishing_exploding_sym.stack_run.cache_clear()
    vanishing_exploding_sym.stack_run("relu", 2.0, depth=5, width=16, n_samples=8, seed=3)
    b = vanishing_exploding_sym.stack_run("tanh", 2.0, depth=5, width=16, n_samples=8, seed=3)
    np.testing.assert_array_equal(a.norms, b.norms)


def test_the_sigmoid_critical_variance_lies_in_the_crossing():
    lo, hi = vanishing_exploding_sym.CROSSING
    assert lo < vanishing_exploding_sym.critical_c() < hi
    assert vanishing_exploding_sym.mean_field_gain(vanishing_exploding_sym.critical_c())[0] == pytest.approx(1.0, abs=1e-9)


def test_positive_outputs_force_a_large_second_moment_and_centring_removes_it():
    # sigma has E[sigma(sqrt(s) xi)] = 1/2, so s >= c/4; sigma - 1/2 balances near c = 16 with s small
    for c in (4.0, 64.0, vanishing_exploding_sym.critical_c()):
        assert vanishing_exploding_sym.mean_field_fixed_point(c)[2] >= c / 4
    lo, hi = vanishing_exploding_sym.CENTRED_CROSSING
    assert vanishing_exploding_sym.mean_field_gain(lo, "centred sigmoid")[0] < 1 < vanishing_exploding_sym.mean_field_gain(hi, "centred sigmoid")[0]
    assert vanishing_exploding_sym.mean_field_fixed_point(float(hi), "centred sigmoid")[2] < 1
    # the uncentred sigmoid does not balance there
    assert vanishing_exploding_sym.mean_field_gain(hi, "sigmoid")[0] < 1


def test_exhibits_are_plain_data_without_nan(exhibits_of):
    for name, value in exhibits_of("vanishing_exploding").items():
        assert isinstance(value, (str, book.Equation, book.Table, book.Figure, book.Markdown)), name
        if isinstance(value, str):
            assert "nan" not in value.lower() and "inf" not in value.lower(), (name, value)


BAD = [
    (lambda rng: vanishing_exploding_np.init_stack(3, 4, "orthogonal", rng), "scheme must be one of"),
    (lambda rng: vanishing_exploding_np.stack_forward(np.ones(4), [np.eye(4)]), r"x must be 2-D"),
    (lambda rng: vanishing_exploding_np.stack_forward(np.ones((2, 4)), [np.eye(3)]), r"weights\[0\] must have shape"),
    (lambda rng: vanishing_exploding_np.stack_forward(np.ones((2, 4)), [np.eye(4)], "gelu"), "activation must be one of"),
    (lambda rng: vanishing_exploding_np.stack_forward(np.full((2, 4), np.nan), [np.eye(4)]), "x contains NaN"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input(call, message, rng):
    with pytest.raises(ValueError, match=message):
        call(rng)


def test_layer_gradient_norms_draws_its_upstream_gradient_from_rng():
    x, weights = R(4, 3), [R(3, 3), R(3, 3)]
    norms = [vanishing_exploding_np.layer_gradient_norms(x, weights, rng=np.random.default_rng(s)) for s in (1, 2)]
    assert not np.allclose(norms[0], norms[1])
    np.testing.assert_array_equal(vanishing_exploding_np.layer_gradient_norms(x, weights), vanishing_exploding_np.layer_gradient_norms(x, weights, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(n, n\) = \(3, 3\), got \(3, 2\)"):
        vanishing_exploding_np.stack_forward(x, [R(3, 3), R(3, 2)])
