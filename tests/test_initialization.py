"""Initialization: variance propagation on the algebra of expectations, the Xavier and He
variances, Monte Carlo, deep stacks against the mean-field recursion; the samplers' modes,
gains and uniform bounds, tanh's gain, and the tanh stack of the histograms (each new proof
with a mutation that must make it fail)."""

import math
import zlib

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

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


# ------------------------------------------------------------------ issue 19: samplers, modes, gains
init_np, init_sym = initialization_np, initialization_sym


@pytest.mark.parametrize("sampler", [init_np.xavier_normal, init_np.xavier_uniform, init_np.he_normal, init_np.he_uniform])
def test_every_sampler_returns_fan_out_by_fan_in(sampler, rng):
    W = sampler(7, 3, rng)
    assert W.shape == (3, 7)
    assert init_np.fans(W.shape) == (7, 3)


def test_fans_read_columns_as_fan_in_also_for_kernels():
    assert init_np.fans((16, 64)) == (64, 16)
    assert init_np.fans((8, 3, 5, 5)) == (75, 200)


@pytest.mark.parametrize("mode,fan", [("fan_in", 400), ("fan_out", 300), ("fan_avg", 350)])
def test_uniform_and_normal_samplers_have_the_variance_of_their_mode(mode, fan, rng):
    g = 1.7
    W = init_np.uniform_init(400, 300, rng, mode=mode, gain=g)
    a = init_np.uniform_bound(400, 300, mode=mode, gain=g)
    assert a == pytest.approx(g * math.sqrt(3 / fan))
    assert np.abs(W).max() <= a and np.abs(W).max() > 0.99 * a
    assert W.var() == pytest.approx(g * g / fan, rel=0.02)
    V = init_np.normal_init(400, 300, rng, mode=mode, gain=g)
    assert V.var() == pytest.approx(g * g / fan, rel=0.03)


def test_named_samplers_match_the_book_variances(rng):
    assert init_np.xavier_uniform(500, 200, rng).var() == pytest.approx(2 / 700, rel=0.02)
    assert init_np.he_uniform(500, 200, rng).var() == pytest.approx(2 / 500, rel=0.02)
    assert init_np.he_normal(500, 200, rng, mode="fan_out").var() == pytest.approx(2 / 200, rel=0.03)
    assert init_np.he_normal(500, 200, rng, negative_slope=0.5).var() == pytest.approx(2 / (1.25 * 500), rel=0.03)


def test_calculate_gain():
    assert init_np.calculate_gain("linear") == 1.0
    assert init_np.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init_np.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init_np.calculate_gain("tanh") == pytest.approx(5 / 3)


@pytest.mark.parametrize("call,error,message", [
    (lambda rng: init_np.normal_init(3, 2, rng, mode="fan_sum"), ValueError, "mode must be one of"),
    (lambda rng: init_np.uniform_init(3, 2, rng, gain=-1.0), ValueError, "gain must be >= 0"),
    (lambda rng: init_np.uniform_init(3, 2, rng, gain=True), TypeError, "gain must be a real number"),
    (lambda rng: init_np.calculate_gain("selu"), ValueError, "nonlinearity must be"),
    (lambda rng: init_np.fans((5,)), ValueError, "at least 2 dimensions"),
    (lambda rng: init_np.fans((5, 0)), ValueError, r"shape\[1\] must be a positive integer"),
    (lambda rng: init_np.xavier_uniform(0, 2, rng), ValueError, "n_in must be a positive integer"),
    (lambda rng: init_np.tanh_stack_forward(np.ones((2, 3)), [np.ones((4, 5))]), ValueError, "must have 3 columns"),
    (lambda rng: init_np.tanh_stack_forward(np.ones(3), [np.ones((4, 3))]), ValueError, "x"),
])
def test_bad_arguments_of_the_new_samplers(call, error, message, rng):
    with pytest.raises(error, match=message):
        call(rng)


def test_tanh_stack_backward_agrees_with_autograd(rng):
    Ws = [rng.standard_normal((5, 4)), rng.standard_normal((3, 5)), rng.standard_normal((3, 3))]
    x, r = rng.standard_normal((6, 4)), rng.standard_normal((6, 3))

    def loss(x_):
        h = x_
        for W in Ws:
            h = anp.tanh(anp.dot(h, W.T))
        return anp.sum(r * h)

    hs = init_np.tanh_stack_forward(x, Ws)
    np.testing.assert_allclose(init_np.tanh_stack_backward(r, hs, Ws)[0], grad(loss)(x), rtol=1e-12, atol=1e-14)


def test_the_stack_run_is_recomputed_independently():
    """The histogram run's numbers, recomputed with autograd from the same seeded draws."""
    g = 5 / 3
    run = init_sym.tanh_stack_run(g, 0)
    rng = np.random.default_rng([0, 5, zlib.crc32(repr(g).encode())])
    n = init_sym.HIST_WIDTH
    x = rng.standard_normal((init_sym.HIST_BATCH, n))
    Ws = [g / np.sqrt(n) * rng.standard_normal((n, n)) for _ in range(init_sym.HIST_DEPTH)]
    h = x
    for W, got in zip(Ws, run["h"]):
        h = np.tanh(h @ W.T)
        np.testing.assert_allclose(got, h, rtol=1e-12, atol=1e-15)
    r = rng.standard_normal(h.shape)

    def top(h1):
        for W in Ws[1:]:
            h1 = anp.tanh(anp.dot(h1, W.T))
        return anp.sum(r * h1)
    np.testing.assert_allclose(run["grad"][0], grad(top)(run["h"][0]), rtol=1e-10, atol=1e-12)


# mutation tests: each new proof fails when its claim or the code it guards is broken
def _failed(checks, start):
    return [c for c in checks if c.name.startswith(start) and not c.passed]


def test_uniform_variance_a_squared_over_2_is_refuted():
    a = init_sym.a_u
    assert all(c.passed for c in init_sym.uniform_step_checks())
    bad = init_sym.uniform_step_checks(claimed=a ** 2 / 2)
    assert _failed(bad, "Var U(-a, a), step 3") and _failed(bad, "Var U(-a, a) = a^2/3")


def test_uniform_bound_equal_to_the_standard_deviation_is_refuted():
    n, m, g = init_sym.n, init_sym.m, init_sym.gain
    bad = init_sym.uniform_bound_checks({"xavier": sp.sqrt(2 / (n + m)), "fan_in": g * sp.sqrt(1 / n), "fan_out": g * sp.sqrt(3 / m)})
    assert _failed(bad, "uniform bound: a^2/3 = 2/(n + m)") and _failed(bad, "uniform bound: a^2/3 = g^2/fan gives a = g sqrt(3/fan), mode fan_in")
    assert not _failed(bad, "uniform bound: a^2/3 = g^2/fan gives a = g sqrt(3/fan), mode fan_out")


def test_modes_with_swapped_fans_are_refuted(monkeypatch):
    assert all(c.passed for c in init_sym.mode_checks())
    n, m = init_sym.n, init_sym.m
    bad = init_sym.mode_checks({**init_sym.MODE_CLAIMS, "fan_in": (m / n, sp.Integer(1))})
    assert _failed(bad, "mode fan_in: forward factor")
    monkeypatch.setitem(init_sym.FAN, "fan_in", m)          # the code reads shape[0]
    assert _failed(init_sym.mode_checks(), "mode fan_in: forward factor")


def test_a_wrong_middle_step_of_a_mode_is_refuted():
    formula, _, result = init_sym.mode_steps("fan_in")
    wrong = sp.Mul(init_sym.m, 1 / init_sym.n, init_sym.ex2)     # the backward pass's m in the forward step
    assert not verify.symbolic_identity("t", "step", wrong, result).passed


def test_gains_wrong_claims_and_wrong_ratios_are_refuted(monkeypatch):
    assert all(c.passed for c in init_sym.gain_checks())
    bad = init_sym.gain_checks({**init_sym.GAIN_CLAIMS, "relu": sp.Integer(2)})
    assert _failed(bad, "gain of relu")
    monkeypatch.setitem(init_sym.SECOND_MOMENT_RATIO, "relu", sp.Integer(1))   # forgot the half ReLU drops
    bad = init_sym.gain_checks()
    assert _failed(bad, "gain of relu") and _failed(bad, "calculate_gain (NumPy)")


def test_tanh_gain_proofs_reject_wrong_claims():
    q = init_sym.q_s
    assert all(c.passed for c in init_sym.tanh_gain_checks())
    assert _failed(init_sym.tanh_gain_checks(small=1 + 2 * q), "tanh gain, small q*")
    g = 5 / 3     # q* = 1 is not 5/3's fixed point: the SymPy integral says so
    assert not verify.check_values("t", "q*", "closed-form", g * g * init_sym.tanh_moment_sympy(1.0), 1.0).passed
    # chi is below 1 at g = 1 (tanh' < 1): the grid's bound is not a constant verdict
    assert init_sym.tanh_chi(1.0, 0.5) < 1


def test_sampler_tolerances_are_derived_and_reject_the_wrong_variance(rng):
    assert init_sym.kurtosis("uniform") == sp.Rational(9, 5) and init_sym.kurtosis("normal") == 3
    W = init_np.xavier_uniform(400, 300, rng)
    assert init_sym.sampler_check("x", W, 2 / 700, "uniform").passed
    assert not init_sym.sampler_check("x", W, 2 / 400, "uniform").passed     # He's variance for Xavier's weights
    # the derived relative standard error matches the one the samples show
    sq = W.ravel() ** 2
    assert sq.std(ddof=1) / sq.mean() == pytest.approx(math.sqrt(4 / 5), rel=0.02)


def test_monte_carlo_modes_reject_the_other_mode():
    checks = init_sym.sampler_and_mode_checks(0)
    assert all(c.passed for c in checks)
    fwd, _ = init_sym.layer_factors(lambda r: init_np.normal_init(64, 16, r, mode="fan_out"), 0, "test")
    assert not init_sym._mc_check("fan_out as fan_in", fwd, 1.0).passed
    assert init_sym._mc_check("fan_out", fwd, 4.0).passed


def test_stack_checks_fail_with_a_wrong_mean_field(monkeypatch):
    assert all(c.passed for c in init_sym.hist_checks())
    original = init_sym.tanh_chi
    init_sym.tanh_stack_run.cache_clear()
    try:
        monkeypatch.setattr(init_sym, "tanh_chi", lambda g, q: 1.5 * original(g, q))
        assert _failed(init_sym.hist_checks(), "tanh stack, gain 5/3, depth 5, n = 256: log E[(dL/dh_l)^2]")
        monkeypatch.setattr(init_sym, "tanh_chi", original)
        init_sym.tanh_stack_run.cache_clear()
        run = init_sym.tanh_stack_run(3.0)
        # units counted at |h| > 0.9 against the prediction at 0.97: outside the allowance
        wrong = np.array([np.mean(np.abs(h) > 0.9) for h in run["h"]])
        assert np.max(np.abs(wrong - run["sat"])) > init_sym.SAT_TOL
    finally:
        init_sym.tanh_stack_run.cache_clear()


def test_new_exhibits_render_and_figures_have_at_most_two_panels(exhibits_of):
    e = exhibits_of("initialization")
    for key in ("fig_hist_1", "fig_hist_53", "fig_hist_3"):
        assert len(e[key].panels) == 2
    assert e["q53"] == "1.178"
