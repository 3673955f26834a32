"""Backprop by hand: the worked example recomputed in exact fractions, the L-layer code against
autograd, and each check of the chapter broken to see it fail."""

from dataclasses import replace
from fractions import Fraction

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations import book, verify
from derivations.numeric import backprop as backprop_np
from derivations.symbolic import computational_graph as cg
from derivations.symbolic.common import FORK_X, fork_rule, partial


def _by_hand():
    """The worked example in plain Python: exact fractions, loops over entries, no NumPy."""
    F = {k: [[Fraction(v) for v in row] for row in rows] for k, rows in cg.WORKED.items()}
    x = [r[0] for r in F["x"]]
    W1, b1, W2, b2, y = F["W1"], [r[0] for r in F["b1"]], F["W2"], F["b2"][0][0], F["y"][0][0]
    z1 = [sum(W1[i][j] * x[j] for j in range(2)) + b1[i] for i in range(2)]
    h = [max(z, Fraction(0)) for z in z1]
    y_hat = sum(W2[0][j] * h[j] for j in range(2)) + b2
    L = (y_hat - y) ** 2 / 2
    delta2 = y_hat - y
    dW2 = [[delta2 * h[j] for j in range(2)]]
    dh = [W2[0][j] * delta2 for j in range(2)]
    delta1 = [dh[i] * (1 if z1[i] > 0 else 0) for i in range(2)]
    dW1 = [[delta1[i] * x[j] for j in range(2)] for i in range(2)]
    col = lambda v: [[e] for e in v]   # noqa: E731
    return {"z1": col(z1), "h": col(h), "y_hat": [[y_hat]], "L": [[L]], "delta2": [[delta2]],
            "dW2": dW2, "db2": [[delta2]], "dh": col(dh), "delta1": col(delta1), "dW1": dW1,
            "db1": col(delta1)}


def test_worked_example_by_hand_in_fractions():
    got, want = cg.worked_numbers(), _by_hand()
    assert set(got) == set(want)
    for k, rows in want.items():
        assert got[k].shape == (len(rows), len(rows[0])), k
        assert got[k].tolist() == [[float(v) for v in r] for r in rows], k
        assert cg.exact_numbers()[k] == sp.Matrix(rows), k


def test_the_tables_print_the_numbers_by_hand():
    ex = cg.exhibits()
    want = _by_hand()
    text = ex["worked_forward"].markdown() + ex["worked_backward"].markdown()
    for k in (*cg.FORWARD, *cg.BACKWARD):
        for row in want[k]:
            for v in row:
                assert cg._number(v).replace("\N{MINUS SIGN}", "-") in text, (k, v)
    assert "0.5" in ex["worked_inputs"].markdown()


def test_the_graph_labels_carry_the_run_values():
    g = cg.two_layer_graph()
    labels = {(e.tail, e.head): (e.forward, e.backward) for e in g.edges}
    assert labels[("add1", "f")] == ("z\u2081 = (\N{MINUS SIGN}0.4, 1)\u1d40", "\u03b4\u2081 = (0, 2.25)\u1d40")
    assert labels[("W1", "mul1")][1] == "[0 0; 2.25 4.5]"
    assert labels[("loss", "L")] == ("L = 1.125", "1")
    fig = book.render_graph(g)
    assert len(fig.axes) == 1


def test_a_graph_with_an_unknown_node_is_refused():
    with pytest.raises(ValueError, match="no node named 'nowhere'"):
        book.render_graph(book.Graph([book.Node("a", "a", 0, 0)], [book.Edge("a", "nowhere")]))


def test_the_worked_check_fails_when_the_kernel_skips_relu_prime(monkeypatch):
    monkeypatch.setattr(cg, "elementwise_backward", lambda dout, z, f_grad: dout)
    assert not cg._worked_check().passed


def test_the_fork_rule_refutes_a_single_path():
    _, derived, claim = fork_rule()
    f1, x = partial(1), FORK_X
    assert verify.symbolic_identity(cg.TOPIC, "fork", derived, claim).passed
    assert f1(x, x) in claim.args
    for wrong in (f1(x, x), 2 * f1(x, x)):
        assert not verify.symbolic_identity(cg.TOPIC, "fork, one use", derived, wrong).passed


@pytest.mark.parametrize("wrong", ["no f'", "transposed"])
def test_a_wrong_layer_step_fails_its_proof(wrong):
    S = cg.LAYER
    if wrong == "no f'":
        claim, bad = cg.layer_claims()[3][3], S["W"].T * S["delta"]
    else:   # dL/dh_l-1 with W_l in place of W_l^T is not even the right shape; use W_l^T 2 delta_l
        claim, bad = cg.layer_claims()[2][3], 2 * S["W"].T * S["delta"]
    assert claim.prove(cg.TOPIC).passed
    assert not replace(claim, claim=bad).prove(cg.TOPIC).passed


def test_mlp_backward_against_autograd():
    rng = np.random.default_rng(11)
    widths = (4, 6, 5, 3)
    layers = backprop_np.mlp_init(widths, rng)
    X, Y = rng.standard_normal((7, 4)), rng.standard_normal((7, 3))

    def loss(flat):
        A = X
        for l in range(len(widths) - 1):
            Z = anp.dot(A, flat[2 * l].T) + flat[2 * l + 1]
            A = Z if l == len(widths) - 2 else anp.tanh(Z)
        return 0.5 * anp.sum((A - Y) ** 2) / len(X)

    flat = [a for pair in layers for a in pair]
    want = grad(loss)(flat)
    Y_hat, caches = backprop_np.mlp_forward(layers, X, "tanh")
    _, grads = backprop_np.mlp_backward((Y_hat - Y) / len(X), caches, "tanh")
    for g, w in zip([a for pair in grads for a in pair], want):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-15)


def test_mlp_refuses_bad_layers():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="layers must be a non-empty list"):
        backprop_np.mlp_forward([], np.zeros((1, 2)))
    with pytest.raises(ValueError, match="W2 must have n_1 = 3 columns"):
        backprop_np.mlp_forward([(np.zeros((3, 2)), np.zeros(3)), (np.zeros((2, 4)), np.zeros(2))],
                                np.zeros((1, 2)))
    with pytest.raises(ValueError, match="activation must be one of"):
        backprop_np.mlp_forward(backprop_np.mlp_init((2, 2), rng), np.zeros((1, 2)), "gelu")
    with pytest.raises(ValueError, match="widths must be at least two"):
        backprop_np.mlp_init((3,), rng)
    with pytest.raises(ValueError, match="caches must be the non-empty list"):
        backprop_np.mlp_backward(np.zeros((1, 2)), [])


def test_cached_bytes_counts_the_activations():
    rng = np.random.default_rng(0)
    _, caches = backprop_np.mlp_forward(backprop_np.mlp_init((5, 7, 3), rng), np.zeros((4, 5)))
    assert backprop_np.cached_bytes(caches) == {"activations": 8 * 4 * (5 + 7 + 7 + 3),
                                                "weights": 8 * (7 * 5 + 3 * 7)}
    assert cg.cache_bytes_formula((5, 7, 3), 4) == 8 * 4 * (5 + 7 + 7 + 3)


def test_the_fork_checks_fail_when_a_path_is_dropped(monkeypatch):
    assert all(c.passed for c in cg._fork_checks())
    paths = cg.batchnorm_paths
    monkeypatch.setattr(cg, "batchnorm_paths", lambda *a, **k: {**paths(*a, **k), "dx": paths(*a, **k)["dx_direct"]})
    monkeypatch.setattr(cg, "RNN_EXAMPLE", {**cg.RNN_EXAMPLE, "c": (0.5, -1.0, 1.0)})
    checks = cg._fork_checks()
    assert not checks[0].passed and checks[1].passed


def test_the_rnn_recursion_check_sees_a_missing_next_step(monkeypatch):
    run = cg.rnn_run()
    monkeypatch.setattr(cg, "rnn_run", lambda: {**run, "delta": (1 - run["h"] ** 2) * np.asarray(cg.RNN_EXAMPLE["c"])})
    checks = cg._fork_checks()
    assert not checks[1].passed and not checks[2].passed


def test_tracemalloc_measures_what_the_counts_say():
    """The peak of one training step grows per layer by the bytes counted for the layer (its
    activations, W's copy, dW and db), within 1 %; inference's peak stays within 1 KiB from 2
    to 10 layers (the page states both)."""
    counts, peaks = cg.memory_counts(), cg.memory_peaks()
    growth, counted = np.diff(peaks["train"])[1:], np.diff(counts["train"])[1:]
    assert np.max(np.abs(growth / counted - 1)) < 0.01, (growth, counted)
    assert np.ptp(peaks["infer"][1:]) < 1024, peaks["infer"]
