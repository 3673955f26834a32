"""LSTM/GRU chapter: the proofs, what they refute, and that the page cannot drift from them.

The model objects are what the page prints, what the proofs differentiate and what the NumPy
code is compared with; the mutation tests below change a model the way an author could
(an activation, where the reset gate acts, the gate order, a backward formula) and require
that a check fails.
"""

import numpy as np
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import implicit_multiplication, parse_expr, standard_transformations

from derivations import verify
from derivations.book import aligned
from derivations.numeric import gru as gru_np
from derivations.numeric import lstm as lstm_np
from derivations.numeric import rnn
from derivations.symbolic import lstm_gru as lstm_gru_sym


@pytest.mark.parametrize("model", [lstm_gru_sym.lstm_model(lstm_gru_sym.JACOBIAN_WIDTH, 1), lstm_gru_sym.gru_model(lstm_gru_sym.JACOBIAN_WIDTH, 1)],
                         ids=["LSTM", "GRU"])
def test_the_direct_path_alone_is_refuted(model):
    """diag(f_t) (or diag(u_t)) is not the whole one-step Jacobian, and neither are the others."""
    derived, direct, others, *_ = lstm_gru_sym.one_step_jacobian(model)
    assert verify.symbolic_identity("t", "full", derived, direct + others).passed
    assert not verify.symbolic_identity("t", "direct only", derived, direct).passed
    assert not verify.symbolic_identity("t", "without the direct path", derived, others).passed


def test_proof_covers_every_argument_of_the_backward_passes():
    for name, keys in (("LSTM", {"W_{ih}", "W_{hh}", "b", "h_0", "c_0", "x_t"}),
                       ("GRU", {"W_{ih}", "W_{hh}", "b_{ih}", "b_{hh}", "h_0", "x_t"})):
        for steps, width, inputs in lstm_gru_sym.PROOF_SIZES:
            derived, closed = lstm_gru_sym.derivations(name, steps, width, inputs)
            assert set(derived) == set(closed) == keys
            for k in keys:
                assert derived[k].shape == closed[k].shape, (name, k)
    assert len({s for s, _, _ in lstm_gru_sym.PROOF_SIZES}) == 2     # two lengths: no T can be printed in
    assert len({w for _, w, _ in lstm_gru_sym.PROOF_SIZES}) == 2     # and two hidden widths


# ------------------------------------------------------------------ mutations of the models

def _forward_matches_numpy(model, kind, rng):
    x = rng.standard_normal((3, 2))
    h0 = rng.standard_normal(2)
    if kind == "LSTM":
        p = lstm_gru_sym.init_lstm(2, 2, rng, forget_bias=0.5)
        p = (*p[:2], p[2] + 0.5 * rng.standard_normal(8))
        want = lstm_np.lstm_forward(x[:, None], h0[None], h0[None], *p)[0][:, 0]
        got = lstm_gru_sym.forward_from_display(model, x, {"h": h0, "c": h0}, dict(zip(("W_{ih}", "W_{hh}", "b"), p)))
    else:
        p = lstm_gru_sym.init_gru(2, 2, rng)
        p = (*p[:2], 0.5 * rng.standard_normal(6), 0.5 * rng.standard_normal(6))
        want = gru_np.gru_forward(x[:, None], h0[None], *p)[0][:, 0]
        stacked = dict(zip(("W_{ih}", "W_{hh}", "b_{ih}", "b_{hh}"), p))
        got = lstm_gru_sym.forward_from_display(model, x, {"h": h0}, stacked)
    return verify.check_values("t", "forward", "sympy-vs-numpy", want, got).passed


def _with_forward(model, key, rhs):
    forward = [(lhs, rhs if model.timed[lhs.name][0] == key else old) for lhs, old in model.forward]
    return lstm_gru_sym.replace(model, forward=forward)


def _recursion_holds(model, steps):
    """Does the model's displayed recursion give SymPy's derivative of its unrolled forward?"""
    build = lstm_gru_sym.lstm_model if model.name == "LSTM" else lstm_gru_sym.gru_model
    same_forward = lstm_gru_sym._rows(model.forward) == lstm_gru_sym._rows(build(model.width, model.inputs).forward)
    derived = (lstm_gru_sym.derivations(model.name, steps, model.width, model.inputs)[0] if same_forward
               else lstm_gru_sym.unrolled_gradients(model, steps))
    closed = lstm_gru_sym.recursion_gradients(model, steps)
    return all(verify.symbolic_identity("t", k, derived[k], closed[k]).passed for k in derived)


def test_unmutated_models_pass_the_mutation_harness(rng):
    for kind, build in (("LSTM", lstm_gru_sym.lstm_model), ("GRU", lstm_gru_sym.gru_model)):
        model = build(2, 2)
        assert _forward_matches_numpy(model, kind, rng)
        assert _recursion_holds(build(2, 1), 1)


def test_changing_the_candidate_activation_changes_the_display_and_fails(rng):
    model = lstm_gru_sym.lstm_model(2, 2)
    cand = model.lhs(r"\tilde{c}")
    arg = dict(model.forward)[cand].expr
    mutated = _with_forward(model, r"\tilde{c}", lstm_gru_sym.Apply(lstm_gru_sym.sigma, arg))
    assert lstm_gru_sym._rows(mutated.forward) != lstm_gru_sym._rows(model.forward)
    assert r"\tilde{c}_{t} &= \sigma\left(" in aligned(lstm_gru_sym._rows(mutated.forward))
    assert not _forward_matches_numpy(mutated, "LSTM", rng)
    small = lstm_gru_sym.lstm_model(2, 1)
    arg = dict(small.forward)[small.lhs(r"\tilde{c}")].expr
    small = _with_forward(small, r"\tilde{c}", lstm_gru_sym.Apply(lstm_gru_sym.sigma, arg))
    assert not _recursion_holds(small, 1)


def test_moving_the_reset_gate_before_the_product_fails(rng):
    """Cho et al.'s candidate, tanh(W_xh~ x + b_xh~ + W_hh~ (r ⊙ h_{t-1}) + b_hh~), is not what
    the code computes."""
    model = lstm_gru_sym.gru_model(2, 2)
    sym = lambda name, cols=1: sp.MatrixSymbol(name, 2, cols)  # noqa: E731
    reset_h = lstm_gru_sym.had(model.lhs("r"), sym("h_{t - 1}"))
    before = lstm_gru_sym.add(lstm_gru_sym.mul(sym(r"W_{x\tilde{h}}", 2), sym("x_{t}")), sym(r"b_{x\tilde{h}}"),
                   lstm_gru_sym.mul(sym(r"W_{h\tilde{h}}", 2), reset_h), sym(r"b_{h\tilde{h}}"))
    mutated = _with_forward(model, r"\tilde{h}", lstm_gru_sym.Apply(sp.tanh, before))
    assert lstm_gru_sym._rows(mutated.forward) != lstm_gru_sym._rows(model.forward)
    assert not _forward_matches_numpy(mutated, "GRU", rng)


def test_changing_the_displayed_gate_order_fails(rng):
    model = lstm_gru_sym.lstm_model(2, 2)
    stacking = list(model.stacking)
    for k, (sym, stack) in enumerate(stacking):
        blocks = [stack.blocks[j, 0] for j in range(stack.blocks.rows)]
        blocks[0], blocks[1] = blocks[1], blocks[0]
        stacking[k] = (sym, sp.BlockMatrix([[b] for b in blocks]))
    assert not _forward_matches_numpy(lstm_gru_sym.replace(model, stacking=stacking), "LSTM", rng)


@pytest.mark.parametrize("wrong", ["c", "h"])
def test_the_wrong_cell_derivative_fails_the_proof(wrong):
    """1 - c_t^2 or 1 - h_t^2 in place of 1 - tanh^2(c_t) (the pitfall) is refuted."""
    model = lstm_gru_sym.lstm_model(2, 1)
    dc, c = model.lhs("dc"), model.lhs("c")
    rhs = dict(model.backward)[dc]
    right = next(e for e in sp.preorder_traversal(rhs) if isinstance(e, lstm_gru_sym.Square)
                 and isinstance(e.base, lstm_gru_sym.Apply) and e.base.name == "tanh" and e.base.expr == c)
    wrong_rhs = rhs.xreplace({right: lstm_gru_sym.Square(model.lhs(wrong))})
    backward = [(lhs, wrong_rhs if lhs == dc else old) for lhs, old in model.backward]
    assert _recursion_holds(model, 1)
    assert not _recursion_holds(lstm_gru_sym.replace(model, backward=backward), 1)


def test_dropping_the_direct_path_of_the_gru_fails_the_proof():
    model = lstm_gru_sym.gru_model(2, 1)
    lhs0, rhs0 = model.gradients[-1]                      # dL/dh_0 = u_1 ⊙ dL/dh_1 + W_hh^T delta_hh_1
    assert isinstance(rhs0, sp.MatAdd) and len(rhs0.args) == 2
    gradients = model.gradients[:-1] + [(lhs0, rhs0.args[1])]
    assert not _recursion_holds(lstm_gru_sym.replace(model, gradients=gradients), 1)


# ------------------------------------------------------------------ the measurements

def test_rnn_state_gradient_equals_the_jacobian_product(rng):
    """Independent witness for the lag measurement: ||(dh_T/dh_k)^T u|| from the product of the
    one-step Jacobians diag(1 - h_t^2) W_hh."""
    T, n, m = 25, 3, 6
    params = lstm_gru_sym.init_rnn(n, m, rng, radius=1.2)
    x = rng.standard_normal((T, 1, n))
    u = rng.standard_normal((1, m))
    norms = lstm_gru_sym.state_gradient_by_lag("RNN", x, params, u)
    h, _ = rnn.rnn_forward(x, np.zeros((1, m)), *params)
    want, J = [np.linalg.norm(u)], np.eye(m)
    for k in range(T - 1, -1, -1):                       # J = dh_T / dh_k
        J = J @ (np.diag(1 - h[k, 0] ** 2) @ params[1])
        want.append(np.linalg.norm(J.T @ u[0]))
    np.testing.assert_allclose(norms, want, rtol=1e-10)


@pytest.mark.parametrize("model,kwargs", [("LSTM", {"forget_bias": 3.0}), ("LSTM", {}),
                                          ("GRU", {"scale": 3.0}), ("GRU", {"update_bias": 2.0})])
def test_growth_at_rest_is_the_spectral_radius(model, kwargs, rng):
    n, m, T = 4, 16, 200
    init = lstm_gru_sym.init_lstm if model == "LSTM" else lstm_gru_sym.init_gru
    params = init(n, m, np.random.default_rng(3), **kwargs)
    v = lstm_gru_sym.state_gradient_by_lag(model, np.zeros((T, 1, n)), params, rng.standard_normal((1, m)))
    rate = (v[T] / v[T // 2]) ** (1 / (T - T // 2))
    assert rate == pytest.approx(lstm_gru_sym.rest_growth_rate(model, params), rel=0.01)


def test_the_direct_path_closed_form_sees_an_off_by_one(rng):
    """The gate product over steps k+2..T instead of k+1..T is refuted by the backward pass."""
    runs, x, u = lstm_gru_sym.driven()
    run = runs["LSTM, forget bias 1"]
    lags = np.arange(1, 11)
    direct = lstm_gru_sym.state_gradient_by_lag("LSTM", x, run.params, u, lags, direct_only=True)
    np.testing.assert_allclose(direct, lstm_gru_sym.gate_product_by_lag("LSTM", x, run.params, u, lags), rtol=1e-10)
    shifted = lstm_gru_sym.gate_product_by_lag("LSTM", x, run.params, u, lags + 1)
    assert not np.allclose(direct, shifted, rtol=1e-3)


def test_parameter_count_names_are_the_proved_formulas():
    parse = lambda s: parse_expr(s, local_dict={"m": lstm_gru_sym.m, "n": lstm_gru_sym.n},  # noqa: E731
                                 transformations=standard_transformations + (implicit_multiplication,))
    for name, count in lstm_gru_sym.PARAMETER_COUNTS.items():
        assert sp.expand(parse(lstm_gru_sym.PARAMETER_COUNT_NAMES[name]) - count) == 0


def test_exhibits_show_the_models_and_every_number_is_text(exhibits_of):
    ex = exhibits_of("lstm_gru")
    assert ex["eq_lstm"].tex == aligned(lstm_gru_sym._rows(lstm_gru_sym.lstm_model().forward))
    assert r"\tilde{c}_{t} &= \tanh\left(" in ex["eq_lstm"].tex
    assert r"r_{t} \odot \left(W_{h\tilde{h}} h_{t - 1} + b_{h\tilde{h}}\right)" in ex["eq_gru"].tex
    assert r"\sum_{t=1}^{{T}}" in ex["eq_lstm_grads"].tex
    assert r"\sum_{t=1}^{\top}" not in ex["eq_lstm_grads"].tex
    for key in ("t_measure", "n_in", "m_hidden", "sig3", "rho_lstm3", "lstm3_lag"):
        assert isinstance(ex[key], str) and ex[key]


def test_bad_model_name_raises():
    with pytest.raises(ValueError, match="model must be"):
        lstm_gru_sym.state_gradient_by_lag("LSTMX", np.zeros((2, 1, 1)), None, np.zeros((1, 1)))
    with pytest.raises(ValueError, match="model must be"):
        lstm_gru_sym.rest_growth_rate("RNN", None)


def test_evaluate_refuses_what_it_cannot_evaluate_and_steps_that_do_not_exist():
    model = lstm_gru_sym.lstm_model(2, 1)
    env = lstm_gru_sym.Env(model, {}, 2)
    with pytest.raises(TypeError, match="cannot evaluate"):
        lstm_gru_sym.evaluate(sp.Inverse(sp.MatrixSymbol("A", 2, 2)), env, 1)
    with pytest.raises(KeyError, match="no value"):
        lstm_gru_sym.evaluate(model.lhs("h"), env, 1)               # h_1 before the forward pass ran
    assert lstm_gru_sym.evaluate(model.backward[0][1].args[1].args[1], env, 2) == sp.zeros(8, 1)   # delta_{T+1} = 0


def test_an_unrolled_gradient_off_by_a_tenth_of_a_percent_is_refuted_at_a_random_point():
    derived, closed = lstm_gru_sym.derivations("GRU", 1, 1, 1)
    assert verify.symbolic_identity("t", "h_0", derived["h_0"], closed["h_0"]).passed
    wrong = verify.symbolic_identity("t", "h_0", derived["h_0"], closed["h_0"] * sp.Rational(1001, 1000))
    assert not wrong.passed and "random point" in wrong.detail
