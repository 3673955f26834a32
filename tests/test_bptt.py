"""BPTT: SymPy on the unrolled loss, long sequences against finite differences and autograd."""

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations import verify
from derivations.numeric import rnn
from derivations.symbolic import bptt as bptt_sym


def test_dropping_the_h0_term_is_refuted():
    derived, wrong = bptt_sym.wrong_h0_sum()
    assert not verify.symbolic_identity("t", "no h0", derived, wrong).passed


def autograd_rnn_loss(params, x, targets, h0):
    def loss(p, h_init):
        h, total = h_init, 0.0
        for t in range(x.shape[0]):
            h = anp.tanh(anp.dot(x[t], p["W_hx"].T) + anp.dot(h, p["W_hh"].T) + p["b_h"])
            y = anp.dot(h, p["W_hy"].T) + p["b_y"]
            total = total + 0.5 * anp.sum((y - targets[t]) ** 2)
        return total / x.shape[1]
    return loss(params, h0), grad(loss, 0)(params, h0), grad(loss, 1)(params, h0)


@pytest.mark.parametrize("T,N,D,H,K", [(1, 1, 2, 3, 1), (7, 2, 3, 4, 2), (50, 3, 5, 8, 3)])
def test_bptt_against_autograd(T, N, D, H, K, rng):
    params = bptt_sym.init_rnn(D, H, K, rng)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    targets = rng.standard_normal((T, N, K))
    loss, grads = rnn.rnn_loss_and_grads(params, x, targets, h0)
    ref_loss, ref, ref_h0 = autograd_rnn_loss(params, x, targets, h0)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    for k in rnn.RNN_PARAMS:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["h0"], ref_h0, rtol=1e-10, atol=1e-13)


def test_rnn_backward_shapes_and_central_differences(rng):
    T, N, D, H = 12, 3, 4, 6
    p = bptt_sym.init_rnn(D, H, 2, rng)
    x, h0 = rng.standard_normal((T, N, D)), rng.standard_normal((N, H))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    assert h.shape == (T, N, H)
    dh = rng.standard_normal(h.shape)
    dx, dh0, dW_hx, dW_hh, db_h = rnn.rnn_backward(dh, cache)
    assert (dx.shape, dh0.shape, dW_hx.shape, dW_hh.shape, db_h.shape) == (
        x.shape, h0.shape, p["W_hx"].shape, p["W_hh"].shape, p["b_h"].shape)
    fwd = {"h0": lambda v: rnn.rnn_forward(x, v, p["W_hx"], p["W_hh"], p["b_h"])[0],
           "W_hh": lambda v: rnn.rnn_forward(x, h0, p["W_hx"], v, p["b_h"])[0],
           "W_hx": lambda v: rnn.rnn_forward(x, h0, v, p["W_hh"], p["b_h"])[0]}
    for name, got, arg in (("h0", dh0, h0), ("W_hh", dW_hh, p["W_hh"]), ("W_hx", dW_hx, p["W_hx"])):
        c = verify.check_vjp(fwd[name], lambda g, got=got: got, arg, name=name, topic="t", dout=dh)
        assert c.passed, (name, c)


def test_truncation(rng):
    T = 15
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 4))
    targets = rng.standard_normal((T, 2, 2))
    _, full = rnn.rnn_loss_and_grads(p, x, targets, h0)
    _, same = rnn.rnn_loss_and_grads(p, x, targets, h0, truncate=T)
    for k in full:
        np.testing.assert_allclose(same[k], full[k], rtol=1e-12, atol=1e-15)
    _, one = rnn.rnn_loss_and_grads(p, x, targets, h0, truncate=1)
    assert verify.rel_error(one["W_hh"], full["W_hh"]) > 1e-3
    # truncate = 1: each step's own error only, no carry through W_hh
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    _, _, _, dW_hh, _ = rnn.rnn_backward(dh, cache, truncate=1)
    prev = np.concatenate([h0[None], h[:-1]])
    np.testing.assert_allclose(dW_hh, np.einsum("tnh,tnk->hk", dh * (1 - h**2), prev), rtol=1e-12)


def test_cross_entropy_variant(rng):
    p = bptt_sym.init_rnn(3, 4, 3, rng)
    x, h0 = rng.standard_normal((6, 2, 3)), rng.standard_normal((2, 4))
    labels = rng.integers(0, 3, (6, 2))
    loss, g = rnn.rnn_loss_and_grads(p, x, labels, h0, loss="ce")
    c = verify.check_gradient(lambda v: rnn.rnn_loss_and_grads({**p, "W_hh": v}, x, labels, h0, "ce")[0], g["W_hh"],
                              p["W_hh"], name="ce", topic="t")
    assert c.passed


BAD = [
    (lambda p, x, h0: rnn.rnn_forward(x[0], h0, p["W_hx"], p["W_hh"], p["b_h"]), r"x must be 3-D \(T, N, n\)"),
    (lambda p, x, h0: rnn.rnn_forward(x, h0[:1], p["W_hx"], p["W_hh"], p["b_h"]), r"h0 must have shape \(2, 4\)"),
    (lambda p, x, h0: rnn.rnn_forward(x, h0, p["W_hx"].T, p["W_hh"], p["b_h"]), r"W_hx must have shape \(4, 3\)"),
    (lambda p, x, h0: rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"][:, :3], p["b_h"]), r"W_hh must have shape"),
    (lambda p, x, h0: rnn.rnn_forward(x[:0], h0, p["W_hx"], p["W_hh"], p["b_h"]), r"at least one time step"),
    (lambda p, x, h0: rnn.rnn_loss_and_grads(p, x, np.zeros((4, 2, 2)), h0), r"targets must have shape \(T, N, p\)"),
    (lambda p, x, h0: rnn.rnn_loss_and_grads(p, x, np.zeros((4, 2), int), h0, "ce"), r"targets must have shape \(5, 2\), got \(4, 2\)"),
    (lambda p, x, h0: rnn.rnn_loss_and_grads(p, x, np.zeros((5, 2, 2)), h0, "hinge"), r"loss must be 'mse' or 'ce'"),
    (lambda p, x, h0: rnn.rnn_loss_and_grads(p, x, np.zeros((5, 2, 2)), h0, truncate=0), r"truncate must be a positive"),
    (lambda p, x, h0: rnn.rnn_forward(np.full_like(x, np.nan), h0, p["W_hx"], p["W_hh"], p["b_h"]), r"x contains NaN"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input(call, message, rng):
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    with pytest.raises(ValueError, match=message):
        call(p, x, h0)


def test_truncated_backward_returns_every_gradient(rng):
    """All five outputs of rnn_backward under truncation: k >= T is full BPTT, k = 1 is local."""
    T = 9
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 4))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    for got, want in zip(rnn.rnn_backward(dh, cache, truncate=T + 3), rnn.rnn_backward(dh, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    dx, dh0, dW_hx, dW_hh, db_h = rnn.rnn_backward(dh, cache, truncate=1)
    delta = dh * (1 - h**2)                     # no carry: each step's own delta
    np.testing.assert_allclose(dx, delta @ p["W_hx"], rtol=1e-12)
    np.testing.assert_allclose(dh0, delta[0] @ p["W_hh"], rtol=1e-12)
    np.testing.assert_allclose(dW_hx, np.einsum("tnh,tnd->hd", delta, x), rtol=1e-12)
    np.testing.assert_allclose(db_h, delta.sum(axis=(0, 1)), rtol=1e-12)


def test_bptt_deltas_is_the_recursion_of_rnn_backward(rng):
    T, N, n, m = 7, 2, 3, 4
    p = bptt_sym.init_rnn(n, m, 2, rng)
    x, h0 = rng.standard_normal((T, N, n)), rng.standard_normal((N, m))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    deltas, dh0 = rnn.bptt_deltas(dh, h, p["W_hh"])
    dx, dh0_b, dW_hx, dW_hh, db_h = rnn.rnn_backward(dh, cache)
    np.testing.assert_array_equal(dh0, dh0_b)
    np.testing.assert_allclose(dW_hh, np.einsum("tnm,tnk->mk", deltas, np.concatenate([h0[None], h[:-1]])),
                               rtol=1e-13)
    np.testing.assert_allclose(db_h, deltas.sum(axis=(0, 1)), rtol=1e-13)
    # delta_t = f'(z_t) (dh_t + W_hh^T delta_{t+1}), written out for the last two steps
    np.testing.assert_allclose(deltas[-1], dh[-1] * (1 - h[-1] ** 2), rtol=1e-15)
    np.testing.assert_allclose(deltas[-2], (dh[-2] + deltas[-1] @ p["W_hh"]) * (1 - h[-2] ** 2), rtol=1e-13)
    # fprime replaces 1 - h^2: with ones, the recursion is linear
    lin, _ = rnn.bptt_deltas(dh, h, p["W_hh"], fprime=np.ones_like(h))
    np.testing.assert_allclose(lin[-2], dh[-2] + dh[-1] @ p["W_hh"], rtol=1e-13)


@pytest.mark.parametrize("args,message", [
    (lambda h, W: (h, h[0], W), r"h must be 3-D"),
    (lambda h, W: (h[:, :1], h, W), r"dh must have the shape of h"),
    (lambda h, W: (h, h, W[:, :2]), r"W_hh must have shape \(4, 4\)"),
    (lambda h, W: (h, h, W, h[:1]), r"fprime must have the shape of h"),
    (lambda h, W: (h[:0], h[:0], W), r"at least one time step"),
    (lambda h, W: (np.full_like(h, np.nan), h, W), r"dh contains NaN"),
    (lambda h, W: (h.astype(int), h, W), r"dh must be an array of real floats"),
])
def test_bptt_deltas_bad_input(args, message, rng):
    h, W = np.tanh(rng.standard_normal((5, 2, 4))), rng.standard_normal((4, 4))
    with pytest.raises(ValueError, match=message):
        rnn.bptt_deltas(*args(h, W))


def test_the_display_and_the_checks_move_with_the_model(monkeypatch, rng):
    """The model's activation is defined once: the displayed equation and the check against
    the NumPy code both change when it does (the issue's tanh -> sigmoid)."""
    assert r"h_{t} &= \tanh{\left(z_{t} \right)}" in bptt_sym.exhibits()["eq_rnn"].tex
    sym, npy = bptt_sym.model_against_numpy(bptt_sym.PROOF_SIZES[0], np.random.default_rng(0))
    assert verify.rel_error(sym["h"], npy["h"]) < 1e-13
    monkeypatch.setattr(bptt_sym, "ACTIVATION", lambda a: 1 / (1 + sp.exp(-a)))
    bptt_sym.derivation.cache_clear()
    try:
        assert r"h_{t} &= \frac{1}{1 + e^{- z_{t}}}" in bptt_sym.exhibits()["eq_rnn"].tex
        sym, npy = bptt_sym.model_against_numpy(bptt_sym.PROOF_SIZES[0], np.random.default_rng(0))
        assert verify.rel_error(sym["h"], npy["h"]) > 1e-3
        S2 = bptt_sym.model(2, 2, 2)
        A = bptt_sym.vector("a", 2)
        assert not verify.symbolic_identity(
            "t", "f'", bptt_sym.evaluate(bptt_sym.fprime_through_output(S2.h), {S2.h: bptt_sym.evaluate(S2.state, {S2.a: A})}),
            A.applyfunc(lambda u: sp.diff(bptt_sym.ACTIVATION(u), u))).passed
    finally:
        bptt_sym.derivation.cache_clear()


def test_window_k_keeps_products_of_at_most_k_minus_1_factors(rng):
    """Off by one in either direction is caught: window k is not the brute-force sum of k + 1."""
    T, N, m = 6, 1, 3
    p = bptt_sym.init_rnn(2, m, 2, rng)
    x, h0 = rng.standard_normal((T, N, 2)), rng.standard_normal((N, m))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    for k in (1, 2, 4):
        got = rnn.rnn_backward(dh, cache, truncate=k)[3]
        np.testing.assert_allclose(got, bptt_sym.truncated_by_brute_force(h0, h, p["W_hh"], dh, k), rtol=1e-12)
        assert verify.rel_error(got, bptt_sym.truncated_by_brute_force(h0, h, p["W_hh"], dh, k + 1)) > 1e-6


def test_evaluate_refuses_what_it_cannot_expand():
    X = sp.MatrixSymbol("X", 2, 2)
    with pytest.raises(TypeError, match="no explicit form for Inverse"):
        bptt_sym.evaluate(X.I, {X: sp.eye(2)})


def test_names_other_modules_use_are_kept():
    """errata.py uses init_rnn, hidden_jacobian and wrong_h0_sum."""
    derived, wrong = bptt_sym.wrong_h0_sum()
    assert derived.shape == wrong.shape == (bptt_sym.PROOF_SIZES[0][2],) * 2
    J = bptt_sym.hidden_jacobian(np.zeros((4, 3)), 2 * np.eye(3), 3, 1)
    np.testing.assert_array_equal(J, 4 * np.eye(3))


def test_the_tables_report_the_frobenius_relative_error():
    a, G = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[1.0, 0.0], [0.0, 2.0]])
    assert bptt_sym.frobenius_error(a, G) == pytest.approx(np.sqrt(4 + 9 + 4) / np.sqrt(5), rel=1e-15)
    assert bptt_sym.frobenius_error(3 * G, G) == pytest.approx(2.0, rel=1e-15)   # not capped at 1


# ----------------------------------------------------------------- truncation in chunks

def autograd_chunk_losses(params, x, targets, h0, k):
    """The sum of the chunks' losses, each chunk's start state the full forward's state there,
    taken as a constant (autograd sees plain numbers): the objective of the chunked truncation."""
    h, _ = rnn.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])

    def loss(p, h_init):
        total = 0.0
        for lo in range(0, x.shape[0], k):
            s = h_init if lo == 0 else h[lo - 1]
            for t in range(lo, min(lo + k, x.shape[0])):
                s = anp.tanh(anp.dot(x[t], p["W_hx"].T) + anp.dot(s, p["W_hh"].T) + p["b_h"])
                y = anp.dot(s, p["W_hy"].T) + p["b_y"]
                total = total + 0.5 * anp.sum((y - targets[t]) ** 2)
        return total / x.shape[1]
    return loss(params, h0), grad(loss, 0)(params, h0), grad(loss, 1)(params, h0)


@pytest.mark.parametrize("T,k", [(1, 1), (7, 1), (7, 3), (12, 4), (12, 5), (9, 9), (9, 20)])
def test_chunked_truncation_against_autograd(T, k, rng):
    params = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 4))
    targets = rng.standard_normal((T, 2, 2))
    loss, grads = rnn.rnn_loss_and_grads(params, x, targets, h0, truncate=k, truncation="chunked")
    ref_loss, ref, ref_h0 = autograd_chunk_losses(params, x, targets, h0, k)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    for key in rnn.RNN_PARAMS:
        np.testing.assert_allclose(grads[key], ref[key], rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads["h0"], ref_h0, rtol=1e-10, atol=1e-13)


def test_chunks_of_k_at_least_T_are_full_bptt_and_k_1_is_the_window_1(rng):
    T = 9
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 4))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    for k in (T, T + 4):
        for got, want in zip(rnn.rnn_backward_chunked(dh, cache, k), rnn.rnn_backward(dh, cache)):
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    for got, want in zip(rnn.rnn_backward_chunked(dh, cache, 1), rnn.rnn_backward(dh, cache, truncate=1)):
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    # in between, the chunks keep fewer products than the window: their gradients differ
    assert verify.rel_error(rnn.rnn_backward_chunked(dh, cache, 3).dW_hh,
                            rnn.rnn_backward(dh, cache, truncate=3).dW_hh) > 1e-6


def test_chunks_keep_exactly_the_products_within_each_chunk(rng):
    """The brute-force sum of the kept products: chunks, not windows, and not one step more."""
    T, N, m = 7, 1, 3
    p = bptt_sym.init_rnn(2, m, 2, rng)
    x, h0 = rng.standard_normal((T, N, 2)), rng.standard_normal((N, m))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    for k in (2, 3, 5):
        got = rnn.rnn_backward_chunked(dh, cache, k).dW_hh
        np.testing.assert_allclose(got, bptt_sym.truncated_by_brute_force(h0, h, p["W_hh"], dh, k, chunked=True),
                                   rtol=1e-12)
        assert verify.rel_error(got, bptt_sym.truncated_by_brute_force(h0, h, p["W_hh"], dh, k)) > 1e-6
    assert bptt_sym.same_chunk(3, 1, 3) and not bptt_sym.same_chunk(4, 3, 3)


@pytest.mark.parametrize("T,k", [(8, 3), (10, 1), (10, 4), (5, 2)])
def test_recursion_steps_counted_match_their_formulas(T, k, rng):
    p = bptt_sym.init_rnn(2, 3, 2, rng)
    x, h0 = rng.standard_normal((T, 1, 2)), rng.standard_normal((1, 3))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    dh = rng.standard_normal(h.shape)
    original = rnn._recursion
    assert bptt_sym.recursion_steps(dh, cache, k) == bptt_sym.steps_formula(T, k)
    assert rnn._recursion is original               # the counter is removed again
    undetached, _ = bptt_sym.undetached_chunks(dh, cache, k)
    for got, want in zip(undetached, rnn.rnn_backward(dh, cache)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("call,message", [
    (lambda dh, cache: rnn.rnn_backward_chunked(dh, cache, 0), r"chunk must be a positive integer, got 0"),
    (lambda dh, cache: rnn.rnn_backward_chunked(dh, cache, None), r"chunk must be a positive integer, got None"),
    (lambda dh, cache: rnn.rnn_backward_chunked(dh, cache, 2.0), r"chunk must be a positive integer"),
    (lambda dh, cache: rnn.rnn_backward_chunked(dh, cache, True), r"chunk must be a positive integer"),
    (lambda dh, cache: rnn.rnn_backward_chunked(dh[:2], cache, 2), r"dh must have the shape of h"),
])
def test_chunked_bad_input(call, message, rng):
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    h, cache = rnn.rnn_forward(x, h0, p["W_hx"], p["W_hh"], p["b_h"])
    with pytest.raises(ValueError, match=message):
        call(np.ones_like(h), cache)


def test_unknown_truncation_is_refused(rng):
    p = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((5, 2, 3)), rng.standard_normal((2, 4))
    with pytest.raises(ValueError, match=r"truncation must be one of 'sliding', 'chunked', got 'window'"):
        rnn.rnn_loss_and_grads(p, x, np.zeros((5, 2, 2)), h0, truncate=2, truncation="window")


# ----------------------------------------------------------------- the hand steps, mutated

def _passes(check):
    return check.passed


def test_every_hand_step_passes_and_is_named_on_an_equation():
    checks = bptt_sym.hand_checks()
    assert all(c.passed for c in checks), [c.name for c in checks if not c.passed]
    shown = [name for k, eq in bptt_sym.hand_exhibits().items() if k.startswith("eq_") for name in eq.proofs]
    for name in bptt_sym.HAND_NAMES.values():
        assert any(c.name.startswith(name) for c in checks), name
        assert name in shown, name


def test_the_fork_rule_with_one_use_is_refuted():
    _, derived, claim = bptt_sym.fork_rule()
    first = claim.args[0]
    assert verify.symbolic_identity("t", "both uses", derived, claim).passed
    assert not verify.symbolic_identity("t", "one use", derived, first).passed
    assert not verify.symbolic_identity("t", "twice the first", derived, 2 * first).passed


def test_the_fork_at_h_t_without_the_next_step_is_refuted():
    rows = bptt_sym.hand_rows()
    assert bptt_sym._fork_h_check(rows, 2, 1).passed
    rows["h"][2] = sp.Integer(0)                    # the next step's path forgotten
    assert not bptt_sym._fork_h_check(rows, 2, 1).passed


def _symbolic(name_part):
    return [c for c in bptt_sym._symbolic_hand_checks(bptt_sym.hand_rows()) if name_part in c.name]


def test_w_hh_for_its_transpose_fails_the_last_row_of_step_1(monkeypatch):
    original = bptt_sym.model

    def mutated(*sizes):
        S = original(*sizes)
        S.delta_formula = sp.HadamardProduct(bptt_sym.fprime_through_output(S.h),
                                             sp.MatAdd(S.W_hy.T * S.e, S.W_hh * S.delta_next))
        return S
    assert all(map(_passes, _symbolic("the two sums are entry i")))
    monkeypatch.setattr(bptt_sym, "model", mutated)
    assert not any(map(_passes, _symbolic("the two sums are entry i")))


def test_the_derivative_at_the_output_fails_the_activation_step(monkeypatch):
    assert all(map(_passes, _symbolic("dh_t,k/dz_t,i")))
    monkeypatch.setattr(bptt_sym, "fprime_through_output",
                        lambda h: sp.OneMatrix(*h.shape) - sp.HadamardPower(h.applyfunc(sp.tanh), 2))
    assert not any(map(_passes, _symbolic("dh_t,k/dz_t,i")))


def test_a_sigmoid_model_fails_the_activation_step_as_displayed(monkeypatch):
    monkeypatch.setattr(bptt_sym, "ACTIVATION", lambda a: 1 / (1 + sp.exp(-a)))
    assert not any(map(_passes, _symbolic("dh_t,k/dz_t,i")))


def test_the_shared_weight_steps_refute_their_mutations():
    rows = bptt_sym.hand_rows()
    t, T = bptt_sym.ti, bptt_sym.T_SYM
    sizes = bptt_sym.USE_SIZES[0]
    assert all(map(_passes, bptt_sym._uses_checks(rows, sizes)))
    last_only = rows["W"][1].function.xreplace({t: T})            # one use, not the sum over t
    mutated = {**rows, "W": [rows["W"][0], last_only, *rows["W"][2:]]}
    first, _ = bptt_sym._uses_checks(mutated, sizes)
    assert not first.passed
    # h_t for h_{t-1}: the local derivative of z_t is refuted at symbolic size
    w = rows["W"]
    wrong = w[3].xreplace({bptt_sym.H_[t - 1, bptt_sym.ib]: bptt_sym.H_[t, bptt_sym.ib]})
    values, upstream = bptt_sym._values(rows["model"])
    values = {**values, ("h", t): sp.MatrixSymbol("h_t", bptt_sym.m, 1)}
    assert not bptt_sym.prove_hand_step("t", w[2], wrong, values, upstream, (bptt_sym.ia, bptt_sym.ib),
                                        (bptt_sym.m, bptt_sym.m)).passed


def test_the_hand_rows_print_as_a_student_writes_them():
    ex = bptt_sym.hand_exhibits()
    assert r"\frac{\partial L}{\partial z_{t+1,r}}" in ex["eq_hand_fork"].tex
    assert r"[a = r]" in ex["eq_hand_z"].tex and r"h_{t-1,b}" in ex["eq_hand_w_sum"].tex
    assert r"\sum_{t=1}^{T}" in ex["eq_hand_w"].tex and r"^{\top}" not in ex["eq_hand_w"].tex


def test_the_chunks_complex_step_check_refutes_the_window_and_full_bptt(rng):
    """The check's objective holds each chunk's start state constant: the window's gradient and
    full BPTT's, which let gradients cross a chunk's start, fail it."""
    T, k = 10, 4
    params = bptt_sym.init_rnn(3, 4, 2, rng)
    x, h0 = rng.standard_normal((T, 2, 3)), rng.standard_normal((2, 4))
    targets = rng.standard_normal((T, 2, 2))

    def f(v):
        return bptt_sym.chunk_losses({**params, "W_hh": v}, x, targets, h0, k)
    for kwargs, passes in (({"truncate": k, "truncation": "chunked"}, True), ({"truncate": k}, False), ({}, False)):
        g = rnn.rnn_loss_and_grads(params, x, targets, h0, **kwargs)[1]["W_hh"]
        c = verify.check_gradient(f, g, params["W_hh"], name="chunks", topic="t", rng=rng, method="complex-step",
                                  every_entry=True)
        assert c.passed == passes, (kwargs, c)
