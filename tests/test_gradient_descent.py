"""Gradient descent: the contraction factor, the step-size limit, SGD, the smallest sizes
accepted, and bad input."""

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations.numeric import gradient_descent as gradient_descent_np
from derivations.symbolic import gradient_descent as gradient_descent_sym


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)


def test_stable_step_sizes_are_0_to_2_over_a():
    # in units of the curvature, x = eta a: 0 < eta a < 2
    assert gradient_descent_sym.stable_step_sizes() == sp.Interval.open(0, 2)
    assert sp.solveset(sp.Abs(gradient_descent_sym.contraction) < 1, gradient_descent_sym.eta, sp.S.Reals) == sp.Interval.open(0, 2 / gradient_descent_sym.a)
    assert sp.solve(gradient_descent_sym.contraction, gradient_descent_sym.eta) == [1 / gradient_descent_sym.a]
    assert gradient_descent_sym.regime_step_sizes() == list(gradient_descent_sym.REGIME_SETS)


def test_the_displayed_update_is_the_proved_one(exhibits_of):
    # the page's equation is printed from gd_update, which the 1-D step and the NumPy check use
    assert exhibits_of("gradient_descent")["eq_gd"].tex == r"\theta \leftarrow \theta - \eta \nabla_\theta L(\theta)"
    assert sp.simplify(gradient_descent_sym.step - (gradient_descent_sym.w_k - gradient_descent_sym.eta * gradient_descent_sym.a * (gradient_descent_sym.w_k - gradient_descent_sym.w_star))) == 0


def test_sgd_takes_a_schedule(rng):
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    p0 = {"W": np.zeros((1, 3)), "b": np.zeros(1)}
    schedule = lambda e: 0.2 / (1 + e)  # noqa: E731
    _, losses = gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p0, X, Y, schedule, 3, 5, np.random.default_rng(4))
    r, p, manual = np.random.default_rng(4), p0, [gradient_descent_np.least_squares_loss_and_grads(p0, X, Y)[0]]
    for e in range(3):
        p, _ = gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p, X, Y, schedule(e), 1, 5, r)
        manual.append(gradient_descent_np.least_squares_loss_and_grads(p, X, Y)[0])
    np.testing.assert_allclose(losses, manual, rtol=1e-14)
    with pytest.raises(ValueError, match="lr must be positive"):
        gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p0, X, Y, lambda e: -1.0, 1, 5, rng)


def test_descend_stops_where_the_numeric_code_refuses(rng):
    A = gradient_descent_sym.random_spd(3, rng)
    loss = lambda p, X, Y: (0.5 * float(p["w"] @ A @ p["w"]), {"w": A @ p["w"]})  # noqa: E731
    lr = 10 / np.linalg.eigvalsh(A).max()
    _, losses, refused, message = gradient_descent_sym.descend(loss, {"w": np.ones(3)}, None, None, lr, 2000)
    assert refused is not None and "NaN or infinite" in message
    assert len(losses) == refused and np.all(np.diff(losses[np.isfinite(losses)]) > 0)
    _, losses, refused, _ = gradient_descent_sym.descend(loss, {"w": np.ones(3)}, None, None, 1 / np.linalg.eigvalsh(A).max(), 50)
    assert refused is None and len(losses) == 50


@pytest.mark.parametrize("factor,converges", [(0.5, True), (1.9, True), (1.99, True), (2.01, False), (3.0, False)])
def test_quadratic_in_n_dimensions_obeys_two_over_lambda_max(factor, converges, rng):
    A = gradient_descent_sym.random_spd(6, rng, cond=50.0)
    lr = factor / np.linalg.eigvalsh(A).max()
    path = gradient_descent_sym.run_quadratic(A, rng.standard_normal(6), lr, 400)
    assert (np.linalg.norm(path[-1]) < np.linalg.norm(path[0])) == converges
    assert (gradient_descent_sym.spectral_radius(A, lr) < 1) == converges


def test_gd_step_is_theta_minus_lr_grad(rng):
    p = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    g = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    new = gradient_descent_np.gd_step(p, g, 0.1)
    for k in p:
        np.testing.assert_allclose(new[k], p[k] - 0.1 * g[k], rtol=1e-15)
    assert new["W"] is not p["W"]  # no mutation of the caller's arrays


def test_sgd_with_one_full_batch_is_gradient_descent(rng):
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    p0 = {"W": np.zeros((1, 3)), "b": np.zeros(1)}
    p_gd, l_gd = gradient_descent_np.gradient_descent(gradient_descent_np.least_squares_loss_and_grads, p0, X, Y, 0.3, 5)
    p_sgd, l_sgd = gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p0, X, Y, 0.3, 5, 20, rng)
    np.testing.assert_allclose(l_sgd[:5], l_gd, rtol=1e-12)
    for k in p0:
        np.testing.assert_allclose(p_sgd[k], p_gd[k], rtol=1e-12)


def test_least_squares_gradients_against_autograd(rng):
    X, Y = rng.standard_normal((30, 4)), rng.standard_normal((30, 2))
    p = {"W": rng.standard_normal((2, 4)), "b": rng.standard_normal(2)}
    loss, g = gradient_descent_np.least_squares_loss_and_grads(p, X, Y)
    f = lambda W, b: 0.5 * anp.sum((anp.dot(X, W.T) + b - Y) ** 2) / 30  # noqa: E731
    assert loss == pytest.approx(f(p["W"], p["b"]), rel=1e-14)
    np.testing.assert_allclose(g["W"], grad(f, 0)(p["W"], p["b"]), rtol=1e-12)
    np.testing.assert_allclose(g["b"], grad(f, 1)(p["W"], p["b"]), rtol=1e-12)


def test_bad_input(rng):
    p = {"w": np.ones(3)}
    with pytest.raises(ValueError, match="lr must be positive"):
        gradient_descent_np.gd_step(p, {"w": np.ones(3)}, -0.1)
    with pytest.raises(ValueError, match="lr must be finite"):
        gradient_descent_np.gd_step(p, {"w": np.ones(3)}, float("nan"))
    with pytest.raises(TypeError, match="lr must be a real number"):
        gradient_descent_np.gd_step(p, {"w": np.ones(3)}, "0.1")
    with pytest.raises(ValueError, match="grads must have the keys"):
        gradient_descent_np.gd_step(p, {"v": np.ones(3)}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['w'\] has shape \(2,\)"):
        gradient_descent_np.gd_step(p, {"w": np.ones(2)}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['w'\] contains NaN"):
        gradient_descent_np.gd_step(p, {"w": np.array([1.0, np.nan, 0.0])}, 0.1)
    X, Y = np.ones((4, 2)), np.ones((3, 1))
    with pytest.raises(ValueError, match="X and Y must have the same number of rows"):
        gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, {"W": np.ones((1, 2)), "b": np.ones(1)}, X, Y, 0.1, 1, 2, rng)
    with pytest.raises(ValueError, match=r"batch_size must be an integer in \[1, 4\]"):
        gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, {"W": np.ones((1, 2)), "b": np.ones(1)}, X, np.ones((4, 1)),
               0.1, 1, 0, rng)


def test_smallest_accepted_sizes():
    X, Y = R(4, 2), R(4, 1)
    p = {"W": R(1, 2), "b": np.zeros(1)}
    _, hist = gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p, X, Y, 0.01, 1, 1,
                                      np.random.default_rng(0))
    assert len(hist) == 2
    with pytest.raises(ValueError, match="lr must be positive"):
        gradient_descent_np.gd_step(p, p, 0.0)


def test_gd_step_names_a_grads_argument_that_is_not_a_dict():
    with pytest.raises(TypeError, match=r"\bgrads\b must be a dict of arrays, got list"):
        gradient_descent_np.gd_step({"W": R(2)}, [R(2)], 0.1)
