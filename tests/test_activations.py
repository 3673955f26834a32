"""Activation functions: SymPy proofs, numerical derivatives, autograd, extremes, bad input."""

from pathlib import Path

import autograd.numpy as anp
import mpmath
import numpy as np
import pytest
import sympy as sp
from autograd import elementwise_grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derivations import verify
from derivations.numeric import activations as activations_np
from derivations.numeric._validate import DtypeError
from derivations.symbolic import activations as activations_sym

ROOT = Path(__file__).resolve().parents[1]
NAMES = list(activations_sym.ACTIVATIONS)
SMOOTH = [n for n in NAMES if activations_sym.ACTIVATIONS[n].analytic]
ALPHA = activations_sym.ALPHA

# The third witness: autograd differentiates forward functions written here, independently.
AUTOGRAD_FORWARD = {
    "sigmoid": lambda x: 1 / (1 + anp.exp(-x)),
    "tanh": anp.tanh,
    "relu": lambda x: anp.where(x > 0, x, 0.0),
    "leaky_relu": lambda x: anp.where(x > 0, x, ALPHA * x),
    "softplus": lambda x: anp.log1p(anp.exp(x)),
}


def away_from_kinks(x):
    return np.where(np.abs(x) < 1e-3, 1e-3, x)


@pytest.mark.parametrize("name", NAMES)
def test_sympy_derivative_equals_textbook_closed_form(name):
    a = activations_sym.ACTIVATIONS[name]
    c = verify.symbolic_identity("t", name, sp.diff(a.definition, activations_sym.x), a.closed_form)
    assert c.passed, c


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("shape", [(7,), (4, 5), (3, 20, 11)])
def test_central_difference(name, shape, rng):
    a = activations_sym.ACTIVATIONS[name]
    x = away_from_kinks(3 * rng.standard_normal(shape))
    c = verify.check_derivative(a.forward, a.grad, x, name=name, topic="t", rng=rng)
    assert c.passed, c


@pytest.mark.parametrize("name", SMOOTH)
def test_complex_step(name, rng):
    a = activations_sym.ACTIVATIONS[name]
    f = sp.lambdify(activations_sym.x, a.definition, "numpy")
    x = 4 * rng.standard_normal((5, 6))
    # atol eps: derivatives written as 1 - tanh^2 or s (1 - s) subtract numbers of size 1, so
    # their absolute rounding is eps (relative 1e-8 at tanh' = 3e-8); the complex step is exact
    c = verify.check_derivative(f, a.grad, x, name=name, topic="t", method="complex-step", rng=rng,
                                atol=np.finfo(np.float64).eps)
    assert c.passed and c.unresolved == 0, c


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_autograd(name, rng):
    x = away_from_kinks(4 * rng.standard_normal((6, 9)))
    expected = elementwise_grad(AUTOGRAD_FORWARD[name])(x)
    got = activations_sym.ACTIVATIONS[name].grad(x)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(activations_sym.ACTIVATIONS[name].forward(x), AUTOGRAD_FORWARD[name](x),
                               rtol=1e-12, atol=1e-15)


def test_kink_convention():
    zero = np.zeros(3)
    np.testing.assert_array_equal(activations_np.relu_grad(zero), 0.0)
    np.testing.assert_array_equal(activations_np.leaky_relu_grad(zero), ALPHA)
    np.testing.assert_array_equal(activations_np.leaky_relu_grad(zero, alpha=0.2), 0.2)
    np.testing.assert_array_equal(activations_np.leaky_relu(np.array([-2.0, 3.0]), alpha=0.2), [-0.4, 3.0])


def test_derived_ranges_and_maxima():
    x0, peak = activations_sym.derivative_maximum(activations_sym.ACTIVATIONS["sigmoid"])
    assert (x0, peak) == (0, sp.Rational(1, 4))
    assert activations_sym.derivative_maximum(activations_sym.ACTIVATIONS["tanh"]) == (0, 1)
    assert activations_sym.derivative_range(activations_sym.ACTIVATIONS["tanh"]) == sp.Interval.Lopen(0, 1)
    # numerically: the NumPy derivative never exceeds the derived maximum
    xs = np.linspace(-30, 30, 100001)
    assert activations_np.sigmoid_grad(xs).max() == pytest.approx(0.25, abs=1e-12)
    assert activations_np.tanh_grad(xs).max() == pytest.approx(1.0, abs=1e-12)


EXTREMES = np.array([-1e4, -1e3, -800.0, -40.0, 0.0, 40.0, 800.0, 1e3, 1e4])


@pytest.mark.parametrize("fname", activations_np.__all__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_extreme_inputs_are_finite_without_warnings(fname, dtype):
    x = EXTREMES.astype(dtype) if dtype != np.float16 else np.array([-6e4, -1e4, 0, 1e4, 6e4], dtype)
    y = getattr(activations_np, fname)(x)  # RuntimeWarnings are errors in this suite
    assert np.all(np.isfinite(y)) and y.dtype == dtype and y.shape == x.shape


def test_extreme_values_are_right():
    big = np.array([-1e4, 1e4])
    np.testing.assert_array_equal(activations_np.sigmoid(big), [0.0, 1.0])
    np.testing.assert_array_equal(activations_np.softplus(big), [0.0, 1e4])
    np.testing.assert_array_equal(activations_np.sigmoid_grad(big), [0.0, 0.0])
    np.testing.assert_array_equal(activations_np.tanh_grad(big), [0.0, 0.0])


@pytest.mark.parametrize("fname,exact", [
    ("sigmoid", lambda v: 1 / (1 + mpmath.exp(-v))),
    ("sigmoid_grad", lambda v: mpmath.exp(-v) / (1 + mpmath.exp(-v)) ** 2),
    ("tanh_grad", lambda v: mpmath.sech(v) ** 2),
    ("softplus", lambda v: mpmath.log(1 + mpmath.exp(v))),
])
def test_full_relative_accuracy_in_the_tails(fname, exact):
    # no cancellation: every value, however small, is right to a few ulps
    mpmath.mp.dps = 50
    xs = np.array([-700.0, -300.0, -50.0, -20.0, -1.5, 0.3, 2.0, 20.0, 50.0, 300.0])
    got = getattr(activations_np, fname)(xs)
    want = np.array([float(exact(mpmath.mpf(v))) for v in xs])
    nonzero = want != 0
    np.testing.assert_allclose(got[nonzero], want[nonzero], rtol=1e-14, atol=0)


BAD_DTYPES = [
    ("string", np.array(["1.0", "2.0"])),
    ("object", np.array([1.0, None], dtype=object)),
    ("integer", np.array([1, 2, 3])),
    ("bool", np.array([True, False])),
    ("complex64", np.array([1 + 2j], dtype=np.complex64)),
    ("python str", "3.0"),
]


@pytest.mark.parametrize("fname", activations_np.__all__)
@pytest.mark.parametrize("label,value", BAD_DTYPES, ids=[b[0] for b in BAD_DTYPES])
def test_bad_dtype_is_refused_naming_the_argument(fname, label, value):
    with pytest.raises(DtypeError, match=r"^x must be an array of real floats"):
        getattr(activations_np, fname)(value)
    assert issubclass(DtypeError, TypeError) and issubclass(DtypeError, ValueError)


@pytest.mark.parametrize("fname", activations_np.__all__)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(fname, bad):
    with pytest.raises(ValueError, match=r"^x contains NaN or infinite values"):
        getattr(activations_np, fname)(np.array([0.5, bad]))


@pytest.mark.parametrize("alpha", ["0.1", None, np.nan, True])
def test_bad_alpha_is_refused(alpha):
    with pytest.raises((TypeError, ValueError), match="alpha"):
        activations_np.leaky_relu_grad(np.ones(2), alpha=alpha)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    fname=st.sampled_from(activations_np.__all__),
    x=hnp.arrays(
        dtype=st.sampled_from([np.float32, np.float64]),
        shape=hnp.array_shapes(min_dims=0, max_dims=4, max_side=5),
        elements=st.floats(-1e4, 1e4, width=32),
    ),
)
def test_shape_and_dtype_are_kept_for_any_shape(fname, x):
    y = getattr(activations_np, fname)(x)
    assert y.shape == x.shape and y.dtype == x.dtype and np.all(np.isfinite(y))


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    name=st.sampled_from(NAMES),
    x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                 elements=st.floats(-8, 8).filter(lambda v: abs(v) > 1e-3)),
)
def test_derivative_matches_central_difference_property(name, x):
    a = activations_sym.ACTIVATIONS[name]
    h = 1e-6
    numeric = (a.forward(x + h) - a.forward(x - h)) / (2 * h)  # valid: the maps are elementwise
    np.testing.assert_allclose(a.grad(x), numeric, rtol=1e-6, atol=1e-9)


def test_derivative_latex_comes_from_the_checked_objects():
    tex = activations_sym.derivative_latex(activations_sym.ACTIVATIONS["sigmoid"])
    assert r"\left(1 - \sigma{\left(z \right)}\right) \sigma{\left(z \right)}" in tex
    assert tex.startswith(r"\frac{d}{d z} \sigma{\left(z \right)} =")


def test_a_wrong_textbook_derivative_is_refuted():
    # the closed-form check must go red when the textbook formula is wrong
    wrong = activations_sym._sigma(activations_sym.z) * (1 + activations_sym._sigma(activations_sym.z))
    c = verify.symbolic_identity("t", "wrong", activations_sym.derivative(activations_sym.ACTIVATIONS["sigmoid"]), wrong.subs(activations_sym._EXPAND))
    assert not c.passed


def test_every_activation_has_its_figure(exhibits_of):
    assert {f"fig_{n}" for n in NAMES} <= set(exhibits_of("activations"))


def test_the_float64_thresholds_equal_their_closed_forms():
    lim = activations_sym.float_limits()
    ln2 = np.log(2)
    assert lim["sigmoid=1"]["found"] == pytest.approx(53 * ln2, rel=1e-14)
    assert lim["sigmoid_grad=0"]["found"] == pytest.approx(1075 * ln2, rel=1e-14)
    assert lim["tanh_grad=0"]["found"] == pytest.approx(1075 * ln2 / 2, rel=1e-14)
    assert all(r["violations"] == 0 for r in lim.values())
    # the naive form gives up where the true value is still about 1e-16
    assert 1e-17 < float(lim["naive=0"]["exact_value"]) < 1e-15
    assert float(lim["tanh_grad=0"]["exact_value"]) < 1e-322


def test_first_true_refuses_a_bracket_that_does_not_bracket():
    with pytest.raises(ValueError, match="first_true"):
        activations_sym.first_true(lambda s: s > 5, 6.0, 10.0)


def test_the_product_of_layers_can_grow_although_tanh_prime_is_at_most_one():
    (ww, dwdw), (ww_exact, dwdw_exact) = activations_sym._tanh_product()
    assert ww == 0 and dwdw == pytest.approx(dwdw_exact, rel=1e-14) and dwdw > 0.3


def test_docstring_examples():
    import doctest

    result = doctest.testmod(activations_sym, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 1 and result.failed == 0


def test_leaky_relu_default_slope_is_one_hundredth():
    np.testing.assert_array_equal(activations_np.leaky_relu(np.array([-2.0, 0.0, 3.0])), [-0.02, 0.0, 3.0])
    np.testing.assert_array_equal(activations_np.leaky_relu_grad(np.array([-2.0, 3.0])), [0.01, 1.0])


def test_the_gates_sigmoid_matches_mpmath_in_place_and_in_the_tails():
    # numeric.activations._sigmoid (the LSTM/GRU gates, written in place): 1/(1 + e^-x)
    x = np.concatenate([np.linspace(-708, 708, 20001), [-1e4, -745.0, -710.0, 710.0, 1e4, 0.0]])
    exact = np.array([float(1 / (1 + mpmath.exp(-mpmath.mpf(v)))) for v in x])
    buf = x.copy()
    out = activations_np._sigmoid(buf, out=buf)
    assert out is buf
    normal = exact > np.finfo(float).tiny
    np.testing.assert_allclose(out[normal], exact[normal], rtol=4 * np.finfo(float).eps, atol=0)
    # below sigma(x) ~ 1e-308 (x < -709) the subnormal result is flushed to zero
    assert np.all(out[~normal] == 0) and np.all(exact[~normal] < 1e-307)
    # a strided view in place (as on the gate columns): the columns between are not touched
    a = np.linspace(-30, 30, 24).reshape(4, 6)
    before = a.copy()
    activations_np._sigmoid(a[:, ::2], out=a[:, ::2])
    np.testing.assert_allclose(a[:, ::2], activations_np.sigmoid(before[:, ::2]), rtol=4 * np.finfo(float).eps)
    np.testing.assert_array_equal(a[:, 1::2], before[:, 1::2])


def _mutated(act, k, row):
    rows, steps = activations_sym.HAND_STEPS[act]
    rows = list(rows)
    rows[k] = row
    return {act: (tuple(rows), steps)}


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "softplus"])
def test_the_hand_steps_are_proved_and_shown(act, exhibits_of):
    assert all(c.passed for c in activations_sym.hand_step_checks({act: activations_sym.HAND_STEPS[act]}))
    assert exhibits_of("activations")[f"eq_hand_{act}"].tex == activations_sym.hand_step_latex(act)
    # the chain starts at f'(z) and ends at the textbook form the page proves
    rows = activations_sym.HAND_STEPS[act][0]
    assert rows[0] == sp.Derivative(activations_sym.ACTIVATIONS[act].symbol(activations_sym.z), activations_sym.z)
    assert verify.symbolic_identity("t", "end", activations_sym.hand_step_value(rows[-1]),
                                    activations_sym.ACTIVATIONS[act].closed_form).passed


def test_a_dropped_sign_in_the_sigmoid_steps_is_refuted():
    checks = activations_sym.hand_step_checks(_mutated("sigmoid", 3, activations_sym.SIGN_DROPPED))
    assert [c.passed for c in checks] == [True, True, False, False, True]
    assert activations_sym.sign_dropped_check().passed


def test_the_quotient_rule_in_the_wrong_order_is_refuted():
    rows = activations_sym.HAND_STEPS["tanh"][0]
    numerator, denominator = rows[2].args[0], rows[2].args[1]
    first, second = numerator.args
    wrong = sp.Mul(sp.Add(-second, -first, evaluate=False), denominator, evaluate=False)
    checks = activations_sym.hand_step_checks(_mutated("tanh", 2, wrong))
    assert not checks[1].passed and not checks[2].passed
