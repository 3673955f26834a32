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


# ------------------------------------------------------------------ hand steps

def _with_row(chain, k, row):
    import dataclasses
    rows = list(chain.rows)
    rows[k] = row
    return dataclasses.replace(chain, rows=tuple(rows))


def test_the_hand_steps_are_proved_and_shown(exhibits_of):
    chains = vanishing_exploding_sym.hand_steps()
    assert all(c.passed for key in ("layer", "jacobian") for c in chains[key].checks("t"))
    shown = exhibits_of("vanishing_exploding")
    names = vanishing_exploding_sym.hand_step_names()
    for key in ("layer", "jacobian", "depth3"):
        assert shown[f"eq_hand_{key}"].tex == chains[key.replace("depth3", "depth 3")].tex(names)
    assert r"W_{1}^{\top} D_{1} W_{2}^{\top} D_{2} W_{3}^{\top} D_{3}" in shown["eq_hand_depth3"].tex


def test_the_jacobian_with_the_diagonal_on_the_right_is_refuted_in_both_cases():
    # (W D)_kj = W_kj f'(z_j): wrong for every entry off the diagonal, k < j and k > j
    from derivations.symbolic.index_steps import entry_of
    chain = vanishing_exploding_sym.hand_steps()["jacobian"]
    last = chain.rows[-1]
    D, W = last.parent.args
    wrong = _with_row(chain, len(chain.rows) - 1, entry_of(W * D, last.i, last.j))
    assert not wrong.prove_step("t", len(wrong.steps) - 1).passed
    for case in chain.sizes:                     # each case alone refutes it
        import dataclasses
        assert not dataclasses.replace(wrong, sizes=case).prove_step("t", len(wrong.steps) - 1).passed


def test_the_layer_step_without_the_transpose_is_refuted():
    from derivations.symbolic.index_steps import entry_of
    chain = vanishing_exploding_sym.hand_steps()["layer"]
    JT, G = chain.rows[-1].parent.args          # J_ell^T and dL/dh_ell
    wrong = _with_row(chain, len(chain.rows) - 1, entry_of(JT.arg * G, chain.rows[-1].i))
    assert not wrong.prove_step("t", len(wrong.steps) - 1).passed


def test_the_unrolled_product_with_the_diagonal_first_is_refuted():
    # D_l W_l^T at every layer in place of W_l^T D_l, written out at width 2, depth 2
    import dataclasses

    import sympy as sp
    chain = vanishing_exploding_sym.hand_steps()["depth 2"]
    right = dataclasses.replace(chain, explicit=({vanishing_exploding_sym.n: 2, vanishing_exploding_sym._j: 1},))
    last = right.rows[-1]
    factors = list(last.args)
    swapped = [factors[1], factors[0], factors[3], factors[2], factors[4]]
    wrong = _with_row(right, len(right.rows) - 1, sp.MatMul(*swapped))
    assert right.prove_step("t", len(right.steps) - 1).passed
    assert not wrong.prove_step("t", len(wrong.steps) - 1).passed


def test_the_norm_facts_and_a_wrong_one(rng):
    a, b, eig, squares = vanishing_exploding_sym.norm_facts(2)
    assert verify.symbolic_identity("t", "charpoly", a, b).passed
    assert verify.symbolic_identity("t", "eig", sp.Matrix(eig), sp.Matrix(squares)).passed
    W = vanishing_exploding_sym.matrix("w", 2, 2)
    lam = sp.Symbol("lambda")
    assert not verify.symbolic_identity("t", "W W", a, (W * W).charpoly(lam).as_expr()).passed


def test_each_step_of_the_bound_is_what_the_rows_say(rng):
    terms = vanishing_exploding_sym.bound_step_terms("tanh", rng)
    assert terms.shape == (5, 6 * 8)
    np.testing.assert_allclose(terms[0], terms[1], rtol=1e-12)
    assert np.all(terms[1] <= terms[2] * (1 + 1e-12)) and np.all(terms[3] <= terms[4])
    # the bound is not an equality: the first inequality is strict somewhere
    assert np.any(terms[1] < 0.9 * terms[2])


def test_the_diagonal_on_the_wrong_side_pitfall():
    assert vanishing_exploding_sym.wrong_side_check(np.random.default_rng(19)).passed
