"""Backprop through affine layers and the two-layer network: SymPy, finite differences, autograd;
the network's initialization."""

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import verify
from derivations.numeric import backprop as backprop_np
from derivations.symbolic import backprop as backprop_sym

AUTOGRAD_ACT = {"sigmoid": lambda z: 1 / (1 + anp.exp(-z)), "tanh": anp.tanh,
                "relu": lambda z: anp.where(z > 0, z, 0.0)}


def test_a_transposed_formula_is_refuted():
    # dL/dW1 claimed as x delta1^T on a square hidden layer (n = m): same shape, wrong entries
    S, grads = backprop_sym.single_sample(2, 2, 2)
    inputs = backprop_sym._symbolic_inputs(S)
    V = backprop_sym.evaluate(backprop_sym.model(S) + backprop_sym.auxiliary(S, grads), inputs)
    derived = backprop_sym._diff_matrix(V[backprop_sym.LOSS], inputs[S["W1"]])
    wrong = backprop_sym.explicit(S["x"] * S["delta1"].T, V)
    right = backprop_sym.explicit(S["delta1"] * S["x"].T, V)
    # compared as prove() compares: f and f' as opaque symbols
    assert not verify.symbolic_identity("t", "transposed", *backprop_sym.opaque(derived, wrong)).passed
    assert verify.symbolic_identity("t", "right", *backprop_sym.opaque(derived, right)).passed


def test_a_changed_model_breaks_the_checks(monkeypatch):
    # the page prints model(); the proofs and the NumPy comparison use the same definitions,
    # so a change to the model (here: the output layer reads z1 instead of h) fails both
    rng = np.random.default_rng(0)
    assert backprop_sym.model_against_numpy("tanh", (3, 2, 2), rng).passed
    original = backprop_sym.model

    def changed(S, f=backprop_sym._f):
        defs = original(S, f)
        if "x" in S:
            defs[2] = (S["y_hat"], S["W2"] * S["z1"] + S["b2"])
        return defs

    monkeypatch.setattr(backprop_sym, "model", changed)
    assert not backprop_sym.model_against_numpy("tanh", (3, 2, 2), rng).passed
    assert not all(c.passed for c in backprop_sym.prove(*backprop_sym.single_sample(2, 1, 3), (2, 1, 3)))
    assert r"\hat{y} &= W_2 z_1 + b_2" in backprop_sym.model_latex(backprop_sym.single_sample(*backprop_sym.DISPLAY_DIMS)[0])


def test_a_different_activation_is_refuted(monkeypatch):
    monkeypatch.setitem(backprop_sym.SYMPY_ACTIVATIONS, "tanh", backprop_sym.SYMPY_ACTIVATIONS["sigmoid"])
    assert not backprop_sym.model_against_numpy("tanh", (3, 2, 2), np.random.default_rng(0)).passed


def autograd_two_layer(params, X, Y, activation):
    def loss(p):
        H = AUTOGRAD_ACT[activation](anp.dot(X, p["W1"].T) + p["b1"])
        Y_hat = anp.dot(H, p["W2"].T) + p["b2"]
        return 0.5 * anp.sum((Y_hat - Y) ** 2) / X.shape[0]
    return loss(params), grad(loss)(params)


@pytest.mark.parametrize("activation", list(backprop_np.ACTIVATION_PAIRS))
@pytest.mark.parametrize("dims", [(1, 3, 4, 2), (16, 7, 5, 3), (50, 20, 30, 4)])
def test_two_layer_gradients_agree_with_autograd_and_central_differences(activation, dims, rng):
    N, n, m, p = dims
    params = backprop_np.two_layer_init(n, m, p, rng, scale=1.0)
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    X, Y = rng.standard_normal((N, n)), rng.standard_normal((N, p))
    loss, grads = backprop_np.two_layer_loss_and_grads(params, X, Y, activation)
    ref_loss, ref = autograd_two_layer(params, X, Y, activation)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    for k in backprop_np.PARAMS:
        assert grads[k].shape == params[k].shape
        np.testing.assert_allclose(grads[k], ref[k], rtol=1e-10, atol=1e-14)
        c = verify.check_gradient(lambda v, k=k: backprop_np.two_layer_loss_and_grads({**params, k: v}, X, Y, activation)[0],
                                  grads[k], params[k], name=k, topic="t", rng=rng)
        assert c.passed, c


@settings(max_examples=30, deadline=None, derandomize=True)
@given(N=st.integers(1, 9), D_in=st.integers(1, 9), D_out=st.integers(1, 9), seed=st.integers(0, 2**16))
def test_affine_backward_for_random_shapes(N, D_in, D_out, seed):
    rng = np.random.default_rng(seed)
    x, W, b = rng.standard_normal((N, D_in)), rng.standard_normal((D_out, D_in)), rng.standard_normal(D_out)
    dout = rng.standard_normal((N, D_out))
    out, cache = backprop_np.affine_forward(x, W, b)
    assert out.shape == (N, D_out)
    dx, dW, db = backprop_np.affine_backward(dout, cache)
    assert (dx.shape, dW.shape, db.shape) == (x.shape, W.shape, b.shape)
    f = lambda x_, W_, b_: anp.sum(dout * (anp.dot(x_, W_.T) + b_))  # noqa: E731
    for got, argnum in ((dx, 0), (dW, 1), (db, 2)):
        np.testing.assert_allclose(got, grad(f, argnum)(x, W, b), rtol=1e-12, atol=1e-12)
    for got, arg, fn in ((dx, x, lambda v: backprop_np.affine_forward(v, W, b)[0]),
                         (dW, W, lambda v: backprop_np.affine_forward(x, v, b)[0]),
                         (db, b, lambda v: backprop_np.affine_forward(x, W, v)[0])):
        assert verify.check_vjp(fn, lambda g: got, arg, name="affine", topic="t", dout=dout).passed


def test_the_one_over_n_enters_once(rng):
    # the mean loss's gradient is the summed loss's gradient divided by N, exactly
    params = backprop_np.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
    _, g_mean = backprop_np.two_layer_loss_and_grads(params, X, Y)
    _, g_one = zip(*[backprop_np.two_layer_loss_and_grads(params, X[i:i + 1], Y[i:i + 1]) for i in range(10)])
    for k in backprop_np.PARAMS:
        np.testing.assert_allclose(g_mean[k], sum(g[k] for g in g_one) / 10, rtol=1e-12, atol=1e-15)


def test_pass_costs():
    c = backprop_sym.pass_costs(784, 256, 10)
    assert c["params"] == 784 * 256 + 256 + 256 * 10 + 10
    assert c["forward"] == 784 * 256 + 256 * 10
    assert c["backward"] == 2 * 256 * 10 + 784 * 256
    assert c["backward_with_dx"] == 2 * c["forward"]
    deep = backprop_sym.pass_costs(5, 4, 3, 2)
    assert deep["backward"] == 2 * deep["forward"] - 5 * 4


def test_the_counter_counts_matrix_products_only():
    A, Bm = np.ones((3, 4)), np.ones((4, 5))
    assert backprop_sym.count_multiply_adds(lambda a, b: a @ b, A, Bm) == 60
    assert backprop_sym.count_multiply_adds(lambda a, b: (a @ b).sum() + (a * 2).sum(), A, Bm) == 60
    assert backprop_sym.count_multiply_adds(lambda a, v: a @ v, A, np.ones(4)) == 12
    # a count that skipped the first layer's dL/dx would differ from one that computes it
    widths = (6, 5, 4, 3)
    assert backprop_sym.counted_passes(widths, input_grad=True)["backward"] - backprop_sym.counted_passes(widths)["backward"] == 30


@pytest.mark.parametrize("activation", list(backprop_np.ACTIVATION_PAIRS))
def test_deep_network_against_autograd(activation, rng):
    widths, N = (4, 6, 5, 3), 7
    layers = backprop_sym.deep_init(widths, rng)
    X, Y = rng.standard_normal((N, widths[0])), rng.standard_normal((N, widths[-1]))
    loss, grads, dX = backprop_sym.deep_loss_and_grads(layers, X, Y, activation, input_grad=True)

    def f(flat_layers, X_):
        A = X_
        for k, (W, b) in enumerate(flat_layers):
            A = anp.dot(A, W.T) + b
            if k < len(flat_layers) - 1:
                A = AUTOGRAD_ACT[activation](A)
        return 0.5 * anp.sum((A - Y) ** 2) / N

    assert loss == pytest.approx(f(layers, X), rel=1e-13)
    ref = grad(f, 0)(layers, X)
    for (dW, db), (rW, rb) in zip(grads, ref):
        np.testing.assert_allclose(dW, rW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(db, rb, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(dX, grad(f, 1)(layers, X), rtol=1e-10, atol=1e-14)
    # without dL/dX the parameter gradients are the same
    _, same, none = backprop_sym.deep_loss_and_grads(layers, X, Y, activation)
    assert none is None and all(np.array_equal(a, b) for g, h in zip(grads, same) for a, b in zip(g, h))


BAD = [
    (lambda p, X, Y: ({**p, "W1": p["W1"].T}, X, Y), r"params\['b1'\] must have shape \(3,\) to match params\['W1'\]"),
    (lambda p, X, Y: ({k: v for k, v in p.items() if k != "b2"}, X, Y), r"params must be a dict with keys"),
    (lambda p, X, Y: (p, X, Y[:, :1]), r"Y must have shape \(N, p\)"),
    (lambda p, X, Y: (p, X, Y[:-1]), r"Y must have shape \(N, p\)"),
    (lambda p, X, Y: (p, X[0], Y), r"X must be 2-D \(N, n\)"),
    (lambda p, X, Y: ({**p, "b1": p["b1"][:, None]}, X, Y), r"params\['b1'\] must have shape \(4,\)"),
    (lambda p, X, Y: ({**p, "b1": p["b1"][:-1]}, X, Y), r"params\['b1'\] must have shape \(4,\)"),
    (lambda p, X, Y: (p, X[:, :2], Y), r"X must have n = 3 columns"),
    (lambda p, X, Y: (p, np.where(X > 0, np.nan, X), Y), r"X contains NaN"),
    (lambda p, X, Y: ({**p, "W2": np.ones((2, 4), dtype=int)}, X, Y), r"params\['W2'\] must be an array of real floats"),
]


@pytest.mark.parametrize("mutate,message", BAD)
def test_bad_input_raises_naming_the_argument(mutate, message, rng):
    params = backprop_np.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    with pytest.raises(ValueError, match=message):
        backprop_np.two_layer_loss_and_grads(*mutate(params, X, Y))


def test_unknown_activation_and_bad_dout(rng):
    params = backprop_np.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    with pytest.raises(ValueError, match="activation must be one of sigmoid, tanh, relu, got 'softmax'"):
        backprop_np.two_layer_loss_and_grads(params, X, Y, "softmax")
    _, cache = backprop_np.affine_forward(X, params["W1"], params["b1"])
    with pytest.raises(ValueError, match=r"dout must have shape \(N, D_out\) = \(5, 4\)"):
        backprop_np.affine_backward(np.ones((4, 5)), cache)


def test_a_wrong_closed_form_is_refuted_by_prove():
    # dL/dz1 without the f'(z1) factor, and dL/dW2 with h instead of h^T (as a shape error)
    S, grads = backprop_sym.single_sample(2, 1, 3)
    wrong = [backprop_sym.Gradient(g.name, g.of, S["W2"].T * S["delta2"]) if g.of == "z1" else g for g in grads]
    verdicts = {c.name.split(" =")[0]: c.passed for c in backprop_sym.prove(S, wrong, (2, 1, 3))}
    assert verdicts["dL/dz1"] is False and verdicts["dL/dh"] is True
    # and the opaque symbols do not hide f': the right closed form passes, with it
    assert all(c.passed for c in backprop_sym.prove(S, grads, (2, 1, 3)))


def test_two_layer_init_default_scale_is_one_over_sqrt_fan_in():
    p = backprop_np.two_layer_init(400, 300, 200, np.random.default_rng(0))
    assert p["W1"].std() == pytest.approx(1 / np.sqrt(400), rel=0.02)
    assert p["W2"].std() == pytest.approx(1 / np.sqrt(300), rel=0.02)
    assert not p["b1"].any() and not p["b2"].any()


def test_two_layer_init_uses_the_scale_it_is_given():
    p = backprop_np.two_layer_init(400, 300, 200, np.random.default_rng(0), scale=2.0)
    assert p["W1"].std() == pytest.approx(2.0, rel=0.02) and p["W2"].std() == pytest.approx(2.0, rel=0.02)


# ----------------------------------------------------------------------------- hand steps

def _mutated_step(chain, k, row):
    """The chain with row k replaced: the checks of the equalities on either side of it."""
    import dataclasses
    rows = list(chain.rows)
    rows[k] = row
    mutated = dataclasses.replace(chain, rows=tuple(rows))
    return [mutated.prove_step("t", j) for j in (k - 1, k) if 0 <= j < len(mutated.steps)]


def test_the_hand_steps_are_proved_and_printed_from_the_chains(exhibits_of):
    chains = backprop_sym.hand_steps()
    assert all(c.passed for chain in chains.values() for c in chain.checks("t"))
    shown = exhibits_of("backprop")
    S = backprop_sym.single_sample(*backprop_sym.DISPLAY_DIMS)[0]
    assert shown["eq_hand_W2"].tex == chains["W2"].tex(backprop_sym._names(S))
    assert r"{[i = k]} (\delta_2)_{k} h_{j}" in shown["eq_hand_W2"].tex
    assert r"\left(\delta_2 h^{\top}\right)_{ij}" in shown["eq_hand_W2"].tex


def test_a_dropped_kronecker_delta_is_refuted():
    # dy_hat_k/dW2_ij taken as h_j for every k: step 2 (and the sum after it) fail
    import sympy as sp
    chain = backprop_sym.hand_steps()["W2"]
    (k, _, _), = chain.rows[2].limits
    d2, h = (backprop_sym.single_sample(*backprop_sym.DISPLAY_DIMS)[0][s] for s in ("delta2", "h"))
    j = sp.Symbol("j", integer=True, nonnegative=True)
    wrong = sp.Sum(d2[k, 0] * h[j, 0], chain.rows[2].limits[0])
    checks = _mutated_step(chain, 2, wrong)
    assert not any(c.passed for c in checks)
    assert all("the difference is" in c.detail or "undecided" in c.detail for c in checks)


@pytest.mark.parametrize("key", ["W2", "W1"])
def test_the_outer_product_read_transposed_is_refuted_at_the_last_step(key):
    # (delta x^T)_ji in place of (delta x^T)_ij: the last step fails at symbolic size
    from derivations.symbolic.index_steps import entry_of
    chain = backprop_sym.hand_steps()[key]
    last = chain.rows[-1]
    (check,) = _mutated_step(chain, len(chain.rows) - 1, entry_of(last.parent, last.j, last.i))
    assert not check.passed


def test_w2_without_the_transpose_is_refuted_at_the_last_step_of_dh():
    # W2 delta2 in place of W2^T delta2, with p = m so that it has the shape of h
    import dataclasses

    import sympy as sp
    from derivations.symbolic.index_steps import entry_of
    n, m, p = backprop_sym.DISPLAY_DIMS
    chain = backprop_sym.hand_steps()["h"]
    j = chain.rows[-1].i
    square = tuple(r.xreplace({p: m}) for r in chain.rows)
    W2, d2 = sp.MatrixSymbol("W2", m, m), sp.MatrixSymbol("delta2", m, 1)
    v = sp.Symbol("v", integer=True, nonnegative=True)
    right = dataclasses.replace(chain, rows=square, sizes={m: j + 1 + v})
    wrong = dataclasses.replace(right, rows=square[:-1] + (entry_of(W2 * d2, j),))
    assert right.prove_step("t", len(right.steps) - 1).passed
    assert not wrong.prove_step("t", len(wrong.steps) - 1).passed


def test_the_shape_match_finds_one_product_and_fails_for_a_wrong_claim(monkeypatch):
    assert all(c.passed for c in backprop_sym.shape_match_checks())
    S, grads = backprop_sym.single_sample(*backprop_sym.DISPLAY_DIMS)
    wrong = [backprop_sym.Gradient(g.name, g.of, S["h"] * S["delta2"].T) if g.of == "W2" else g for g in grads]
    monkeypatch.setattr(backprop_sym, "single_sample", lambda *dims: (S, wrong))
    failed = [c for c in backprop_sym.shape_match_checks() if not c.passed]
    assert len(failed) == 1 and "W2" in failed[0].name


def test_the_shape_match_of_a_square_layer_is_ambiguous():
    # with p = m, h delta2^T has the shape of W2 too: the check assumes distinct sizes
    import sympy as sp
    from derivations.symbolic.index_steps import products_of_shape
    m = sp.Symbol("m", positive=True, integer=True)
    d2, h = sp.MatrixSymbol("delta2", m, 1), sp.MatrixSymbol("h", m, 1)
    assert len(products_of_shape([d2, h], (m, m))) == 2


def test_the_dropped_delta_pitfall_measures_a_wrong_gradient():
    assert backprop_sym.dropped_delta_check(np.random.default_rng(19)).passed


def test_step_tex_writes_entries_sums_and_deltas_as_on_paper():
    import sympy as sp
    from derivations.symbolic.index_steps import Partial, StepChain, step_tex
    n = sp.Symbol("n", positive=True, integer=True)
    i, k = sp.symbols("i k", integer=True, nonnegative=True)
    W, x = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("x", n, 1)
    e = sp.Sum(Partial(sp.Symbol("L"), x[k, 0]) * W[k, i] * sp.KroneckerDelta(k, i), (k, 0, n - 1))
    assert step_tex(e, {W: "W_1"}) == r"\sum_{k} {[i = k]} \frac{\partial L}{\partial x_{k}} (W_1)_{ki}"
    with pytest.raises(ValueError, match="rows need"):
        StepChain("c", (e, e), (), {}, lambda r: r, "n")


def test_sums_written_out_writes_every_sum_and_refuses_a_symbolic_range():
    import sympy as sp
    from derivations.symbolic.index_steps import sums_written_out
    n, N = sp.symbols("n N", positive=True, integer=True)
    k, s = sp.symbols("k s", integer=True, nonnegative=True)
    x = sp.MatrixSymbol("x", n, n)
    e = sp.Sum(x[s, k] * sp.KroneckerDelta(k, 1), (k, 0, n - 1), (s, 0, n - 1))
    x2 = x.xreplace({n: 2})
    assert sums_written_out(e, {n: 2}) == x2[0, 1] + x2[1, 1]
    with pytest.raises(ValueError, match="not explicit"):
        sums_written_out(sp.Sum(x[k, k], (k, 0, N - 1)), {n: 2})
