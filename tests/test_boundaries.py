"""Boundaries and defaults that mutation testing showed no test pinned down."""

import re

import numpy as np
import pytest

from derivations import verify
from derivations.numeric import backprop, clipping, gradient_descent, losses, normalization
from derivations.numeric._validate import real_number


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


# ---------------------------------------------------------------- from the 2026-11-23 mutation run

def test_require_lists_each_failure_on_its_own_line_detail_only_when_there_is_one():
    a = verify.Check("t", "a", "central-difference", 1.0, 1e-7, False)
    b = verify.Check("t", "b", "complex-step", 2.0, 1e-12, False, "along 4 random directions")
    with pytest.raises(verify.CheckFailed) as e:
        verify.require([a, b])
    assert str(e.value) == ("check failed:\n"
                            "  t: a [central-difference] error 1 > tol 1e-07\n"
                            "  t: b [complex-step] error 2 > tol 1e-12 (along 4 random directions)")


def test_numeric_derivatives_use_the_step_they_are_given():
    # a central difference of x^3 is exact up to h^2: (f(x+h) - f(x-h)) / 2h = 3x^2 + h^2
    x = np.array([0.5, 2.0])
    cube = lambda v: np.sum(v**3)  # noqa: E731
    np.testing.assert_allclose(verify.numeric_gradient(cube, x, step=0.1), 3 * x**2 + 0.01, rtol=1e-12)
    np.testing.assert_allclose(verify.directional_derivative(cube, x, np.array([1.0, 0.0]), "central-difference", 0.1),
                               3 * 0.25 + 0.01, rtol=1e-12)
    exact = lambda g: g * 3 * x**2  # noqa: E731
    assert verify.check_vjp("t", "n", cube, exact, x, dout=np.float64(1.0)).passed
    coarse = verify.check_vjp("t", "n", cube, exact, x, dout=np.float64(1.0), step=0.1)
    assert not coarse.passed and coarse.error == pytest.approx(0.01 / (2 * 12 + 0.01), rel=1e-6)  # rel_error
    big = np.linspace(0.5, 1.5, 100)   # checked along random directions: the step still reaches them
    coarse = verify.check_vjp("t", "n", cube, lambda g: g * 3 * big**2, big, dout=np.float64(1.0), step=0.1)
    assert not coarse.passed and coarse.error > 1e-4
    with pytest.raises(ValueError, match="'central-difference' or 'complex-step', got 'forward'"):
        verify.directional_derivative(cube, x, x, "forward")


def test_check_vjp_checks_in_full_up_to_and_including_the_limit():
    for size, how in ((verify.FULL_CHECK_MAX_SIZE, "in full"),
                      (verify.FULL_CHECK_MAX_SIZE + 1, f"along {verify.N_DIRECTIONS} random directions")):
        x = R(size)
        assert verify.check_vjp("t", "n", np.sin, lambda g: g * np.cos(x), x).detail == how


def test_check_vjp_uses_the_tolerance_and_the_generator_it_is_given():
    x = R(5)
    c = verify.check_vjp("t", "n", np.sin, lambda g: g * np.cos(x), x, tol=1e-3)
    assert c.tolerance == 1e-3 and c.passed
    off = lambda g: g * np.cos(x) * (1 + 1e-6)  # noqa: E731  (wrong by 1e-6, relative)
    assert verify.check_vjp("t", "n", np.sin, off, x, tol=1e-5).passed
    assert not verify.check_vjp("t", "n", np.sin, off, x).passed
    # the random upstream gradient comes from rng: two generators, two different errors
    errs = {verify.check_vjp("t", "n", np.sin, off, x, rng=np.random.default_rng(s)).error for s in (1, 2)}
    assert len(errs) == 2


def test_an_exact_match_passes_even_at_zero_tolerance():
    x = R(3)
    c = verify.check_values("t", "n", "symbolic", x, x.copy())
    assert (c.error, c.tolerance, c.passed) == (0.0, 0.0, True)


def test_layer_gradient_norms_draws_its_upstream_gradient_from_rng():
    from derivations.numeric import vanishing_exploding as vanishing_exploding_np
    x, weights = R(4, 3), [R(3, 3), R(3, 3)]
    norms = [vanishing_exploding_np.layer_gradient_norms(x, weights, rng=np.random.default_rng(s)) for s in (1, 2)]
    assert not np.allclose(norms[0], norms[1])
    np.testing.assert_array_equal(vanishing_exploding_np.layer_gradient_norms(x, weights), vanishing_exploding_np.layer_gradient_norms(x, weights, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match=r"weights\[1\] must have shape \(n, n\) = \(3, 3\), got \(3, 2\)"):
        vanishing_exploding_np.stack_forward(x, [R(3, 3), R(3, 2)])


def test_two_layer_init_uses_the_scale_it_is_given():
    p = backprop.two_layer_init(400, 300, 200, np.random.default_rng(0), scale=2.0)
    assert p["W1"].std() == pytest.approx(2.0, rel=0.02) and p["W2"].std() == pytest.approx(2.0, rel=0.02)


def test_eps_must_be_a_positive_number_not_a_bool():
    for fwd in (normalization.batchnorm_forward, normalization.layernorm_forward):
        with pytest.raises(TypeError, match="eps must be a real number, got bool"):
            fwd(R(4, 3), np.ones(3), np.zeros(3), eps=True)


@pytest.mark.parametrize("value,kw,error,message", [
    (True, {}, TypeError, "x must be a real number, got bool"),
    ("1", {}, TypeError, "x must be a real number, got str"),
    (np.array([1.0]), {}, TypeError, "x must be a real number, got ndarray"),
    (float("nan"), {}, ValueError, "x must be finite, got nan"),
    (float("inf"), {"positive": True}, ValueError, "x must be finite, got inf"),
    (0.0, {"positive": True}, ValueError, "x must be positive, got 0.0"),
    (-1e-300, {"nonnegative": True}, ValueError, "x must be >= 0, got -1e-300"),
])
def test_real_number_refuses_what_no_scalar_argument_may_be(value, kw, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        real_number(value, "x", **kw)


@pytest.mark.parametrize("value,kw", [(0, {"nonnegative": True}), (np.float32(2.5), {"positive": True}),
                                      (np.int64(-3), {}), (1e-300, {"positive": True})])
def test_real_number_returns_a_python_float(value, kw):
    out = real_number(value, "x", **kw)
    assert type(out) is float and out == float(value)


def test_messages_report_the_sizes_that_were_expected():
    with pytest.raises(ValueError, match=r"b must have shape \(D_out,\) = \(2,\), got \(3,\)"):
        backprop.affine_forward(R(4, 3), R(2, 3), R(3))
    with pytest.raises(ValueError, match="got N = 1"):
        normalization.batchnorm_forward(R(1, 5), np.ones(5), np.zeros(5))


def test_sgd_names_its_data_arguments():
    from derivations.numeric import initialization
    params = {"W": R(1, 2), "b": R(1)}
    X, Y = R(6, 2), R(6, 1)
    for bad_X, bad_Y, name in ((X * np.nan, Y, "X"), (X, Y * np.nan, "Y")):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            gradient_descent.sgd(gradient_descent.least_squares_loss_and_grads, params, bad_X, bad_Y,
                                 0.1, 1, 2, np.random.default_rng(0))
    for args, name in (((0, 3), "n_in"), ((3, 0), "n_out")):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            initialization.xavier_variance(*args)
    with pytest.raises(ValueError, match="y_hat must not be empty"):
        losses.mse(np.empty((0, 2)), np.empty((0, 2)))


def test_type_errors_name_the_type_that_was_given():
    from derivations.numeric import activations, rnn
    cases = [
        (lambda: activations.leaky_relu(R(3), alpha="0.1"), "alpha must be a real number, got str"),
        (lambda: gradient_descent.gd_step({"W": R(2)}, {"W": R(2)}, "0.1"), "lr must be a real number, got str"),
        (lambda: clipping.clip_grad_norm({"W": R(2)}, "1"), "max_norm must be a real number, got str"),
        (lambda: gradient_descent.gd_step([R(2)], {"W": R(2)}, 0.1), "params must be a dict of arrays, got list"),
        (lambda: rnn.rnn_loss_and_grads((R(2),), R(3, 1, 2), R(3, 1, 1), R(1, 2)), r"got tuple"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3,\), params\['W'\] has \(2,\)"):
        gradient_descent.gd_step({"W": R(2)}, {"W": R(3)}, 0.1)


def test_rel_error_of_unsigned_integers_does_not_wrap_around():
    assert verify.rel_error(np.array([1], np.uint8), np.array([2], np.uint8)) == pytest.approx(1 / 3)


def test_an_exact_vjp_passes_at_zero_tolerance():
    # the complex step of a linear map is exact: Im(2 (x + i h)) / h = 2
    x = R(3)
    c = verify.check_vjp("t", "n", lambda v: 2 * v, lambda g: 2 * g, x, dout=np.ones(3),
                         method="complex-step", tol=0.0)
    assert (c.error, c.passed) == (0.0, True)


def test_gd_step_names_a_grads_argument_that_is_not_a_dict():
    with pytest.raises(TypeError, match=r"\bgrads\b must be a dict of arrays, got list"):
        gradient_descent.gd_step({"W": R(2)}, [R(2)], 0.1)


def test_rel_error_of_empty_arrays_is_zero():
    assert verify.rel_error(np.empty((0, 3)), np.empty((0, 3))) == 0.0


def test_python_floats_and_lists_are_accepted_as_float_arrays():
    from derivations.numeric import activations
    from derivations.numeric._validate import float_array
    x = float_array(0.5, "x")
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.shape == () and x == 0.5
    assert activations.sigmoid(0.0) == 0.5
    np.testing.assert_array_equal(activations.relu([-1.0, 2.0]), [0.0, 2.0])
    with pytest.raises(ValueError, match=r"\bx contains NaN"):
        float_array(float("nan"), "x")


def test_check_gradient_passes_its_options_on():
    x = R(4)
    c = verify.check_gradient("t", "g", lambda v: np.sum(np.sin(v)), np.cos(x), x, method="complex-step", tol=1e-14)
    assert (c.method, c.tolerance, c.passed) == ("complex-step", 1e-14, True)
