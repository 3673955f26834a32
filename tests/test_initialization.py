"""Initialization: variance propagation, the Xavier and He variances, Monte Carlo."""

import numpy as np
import pytest

from derivations.numeric import initialization as ini
from derivations.symbolic import initialization as I


def test_all_registered_checks_pass():
    failed = [c for c in I.checks(seed=13) if not c.passed]
    assert not failed, failed


def test_derived_variances():
    assert I.preactivation_variance(2) == 2 * I.sigma_w**2 * I.sigma_x**2
    assert I.relu_second_moment() == I.sigma**2 / 2
    assert I.xavier_from_conditions() == 2 / (I.n_in + I.n_out)
    assert I.he_from_condition() == 2 / I.n_in
    assert ini.xavier_variance(300, 100) == 2 / 400
    assert ini.he_variance(50) == 2 / 50


def test_samplers_have_the_right_shape_and_variance(rng):
    W = ini.he_normal(500, 200, rng)
    assert W.shape == (200, 500)
    assert W.var() == pytest.approx(2 / 500, rel=0.03)
    W = ini.xavier_normal(500, 200, rng)
    assert W.var() == pytest.approx(2 / 700, rel=0.03)


def test_monte_carlo_tolerance_rejects_a_factor_of_two():
    assert I.MC_TOL < 0.5


@pytest.mark.parametrize("call,message", [
    (lambda rng: ini.he_normal(0, 3, rng), "n_in must be a positive integer"),
    (lambda rng: ini.xavier_variance(3, 2.5), "n_out must be a positive integer"),
    (lambda rng: ini.normal_weights(3, 3, -1.0, rng), "variance must be finite and >= 0"),
])
def test_bad_input(call, message, rng):
    with pytest.raises(ValueError, match=message):
        call(rng)


def test_smallest_valid_sizes_and_zero_variance(rng):
    assert ini.xavier_variance(1, 1) == 1.0 and ini.he_variance(1) == 2.0
    assert ini.he_normal(1, 1, rng).shape == (1, 1)
    np.testing.assert_array_equal(ini.normal_weights(3, 2, 0.0, rng), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        ini.normal_weights(0, 2, 1.0, rng)
    with pytest.raises(ValueError, match="n_out must be a positive integer"):
        ini.normal_weights(2, 0, 1.0, rng)
