"""Initialization: variance propagation on the algebra of expectations, the Xavier and He
variances, Monte Carlo, deep stacks against the mean-field recursion."""

import numpy as np
import pytest
import sympy as sp

from derivations import book, verify
from derivations.numeric import activations as activations_np
from derivations.numeric import initialization as initialization_np
from derivations.symbolic import initialization as initialization_sym


def test_derived_variances():
    assert initialization_sym.preactivation_variance(2) == 2 * initialization_sym.var_w * initialization_sym.ex2
    assert initialization_sym.relu_second_moment() == initialization_sym.var_z / 2
    assert initialization_sym.xavier_from_conditions() == 2 / (initialization_sym.n + initialization_sym.m)
    assert initialization_sym.he_from_condition() == 2 / initialization_sym.n
    assert initialization_np.xavier_variance(300, 100) == 2 / 400
    assert initialization_np.he_variance(50) == 2 / 50


def test_the_zero_mean_form_is_refuted_for_inputs_with_a_mean():
    wrong = initialization_sym.zero_mean_formula.subs(initialization_sym.VAR_X).subs(initialization_sym.n, 3)
    assert not verify.symbolic_identity("t", "Var(x)", initialization_sym.preactivation_variance(3), wrong).passed
    assert verify.symbolic_identity("t", "Var(x), E[x] = 0", initialization_sym.preactivation_variance(3).subs(initialization_sym.ex1, 0),
                                    wrong.subs(initialization_sym.ex1, 0)).passed


def test_expectation_keeps_the_correlations_of_the_inputs():
    ws, xs = sp.symbols("w1:3"), sp.symbols("x1:3")
    # E[(x1 + x2)^2] = 2 E[x^2] + 2 E[x1 x2]: a free symbol for the cross moment
    e = initialization_sym.expectation((xs[0] + xs[1]) ** 2, ws, xs)
    assert e == 2 * initialization_sym.ex2 + 2 * sp.Symbol("M_1_1")
    # weights with a nonzero third moment give E[z^3] = n mu_3 E[x^3]
    assert initialization_sym.third_moment(3, symmetric=False) != 0 and initialization_sym.third_moment(3) == 0


def test_monte_carlo_tolerances_reject_a_factor_of_two():
    checks = initialization_sym.mc_checks(3)
    assert all(c.tolerance < 0.5 for c in checks)
    assert all(c.passed for c in checks)


def test_mean_field_recursion_of_relu_is_exact():
    np.testing.assert_allclose(initialization_sym.mean_field_moments(2.0, activations_np.relu, 5), np.ones(6), rtol=1e-12)
    np.testing.assert_allclose(initialization_sym.mean_field_moments(1.0, activations_np.relu, 5), 0.5 ** np.arange(6), rtol=1e-12)


def test_samplers_have_the_right_shape_and_variance(rng):
    W = initialization_np.he_normal(500, 200, rng)
    assert W.shape == (200, 500)
    assert W.var() == pytest.approx(2 / 500, rel=0.03)
    W = initialization_np.xavier_normal(500, 200, rng)
    assert W.var() == pytest.approx(2 / 700, rel=0.03)


def test_tanh_below_the_identity_is_proved_and_sin_is_not():
    assert verify.symbolic_identity("t", "tanh", *initialization_sym.below_identity_proof(sp.tanh)).passed
    # the same proof for sin fails: d/dz (z - sin z) = 1 - cos z, not sin(z)^2
    assert not verify.symbolic_identity("t", "sin", *initialization_sym.below_identity_proof(sp.sin)).passed


def test_exhibits_are_plain_data(exhibits_of):
    for name, value in exhibits_of("initialization").items():
        assert isinstance(value, (str, book.Equation, book.Table, book.Figure, book.Markdown)), name


@pytest.mark.parametrize("call,message", [
    (lambda rng: initialization_np.he_normal(0, 3, rng), "n_in must be a positive integer"),
    (lambda rng: initialization_np.xavier_variance(3, 2.5), "n_out must be a positive integer"),
    (lambda rng: initialization_np.normal_weights(3, 3, -1.0, rng), "variance must be >= 0"),
])
def test_bad_input(call, message, rng):
    with pytest.raises(ValueError, match=message):
        call(rng)


def test_smallest_valid_sizes_and_zero_variance(rng):
    assert initialization_np.xavier_variance(1, 1) == 1.0 and initialization_np.he_variance(1) == 2.0
    assert initialization_np.he_normal(1, 1, rng).shape == (1, 1)
    np.testing.assert_array_equal(initialization_np.normal_weights(3, 2, 0.0, rng), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        initialization_np.normal_weights(0, 2, 1.0, rng)
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        initialization_np.normal_weights(2, 0, 1.0, rng)
