"""Proofs at symbolic size (derivations.symbolic.index_notation): right formulas proved for
every size, wrong ones (a missing transpose, a dropped or doubled 1/N, a sign) refuted with a
small instance, and the symbolic-size derivative equal to the explicit one where both exist."""

import dataclasses

import pytest
import sympy as sp

from derivations.symbolic import backprop as bp
from derivations.symbolic import index_notation as ix

N, n, m, p = sp.symbols("N n m p", positive=True, integer=True)
X, W, b, G = sp.MatrixSymbol("X", N, n), sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("b", m, 1), sp.MatrixSymbol("G", N, m)
OUT = X * W.T + sp.OneMatrix(N, 1) * b.T          # the affine layer on a batch


@pytest.mark.parametrize("wrt, claim", [(W, G.T * X), (X, G * W), (b, G.T * sp.OneMatrix(N, 1))])
def test_affine_layer_at_symbolic_size(wrt, claim):
    c = ix.prove_vjp("t", "affine", OUT, wrt, G, claim, (N, n, m))
    assert c.passed and c.method == "symbolic size" and c.seconds > 0, c


@pytest.mark.parametrize("wrong, why", [
    ((G.T * X) / N, "a 1/N the sum does not have"),
    (-(G.T * X), "a sign"),
    ((X.T * G).T * 2, "a factor 2"),
])
def test_wrong_affine_gradient_refuted_with_an_instance(wrong, why):
    c = ix.prove_vjp("t", "affine", OUT, W, G, wrong, (N, n, m))
    assert not c.passed and c.detail.startswith("the difference is"), (why, c)
    assert "N = " in c.detail or "m = " in c.detail, c.detail


def test_missing_transpose_is_refuted_for_a_square_weight():
    # with W square (m = n) a missing transpose has the right shape: the proof must still fail
    Ws, Xs, Gs = sp.MatrixSymbol("W", n, n), sp.MatrixSymbol("X", N, n), sp.MatrixSymbol("G", N, n)
    out = Xs * Ws.T
    assert ix.prove_vjp("t", "square", out, Ws, Gs, Gs.T * Xs, (N, n)).passed
    c = ix.prove_vjp("t", "square", out, Ws, Gs, Xs.T * Gs, (N, n))
    assert not c.passed and "the difference is" in c.detail, c


def test_square_matrix_entries_are_two_cases_that_cover_every_entry():
    cases = ix.entry_cases(sp.MatrixSymbol("A", n, n))
    assert len(cases) == 2
    covered = {rc for rc in [(r, c) for r in range(3) for c in range(3)]
               if any(ix._solve_case(case, rc, {n: 3}) is not None for case in cases)}
    assert covered == {(r, c) for r in range(3) for c in range(3)}


def test_wrong_shape_is_refused():
    c = ix.prove_vjp("t", "shape", OUT, W, G, G * W, (N, n, m))
    assert not c.passed and "shape" in c.detail


def test_collapse_sums_a_delta_over_an_outer_limit():
    i, j = sp.symbols("i j", integer=True)
    a, u = sp.symbols("a u", integer=True, nonnegative=True)
    A = sp.MatrixSymbol("A", N, a + 1 + u)
    s = sp.Sum(sp.KroneckerDelta(j, a) * A[i, j], (i, 0, N - 1), (j, 0, a + u))   # j is the outer limit
    assert ix.is_zero(ix.collapse(s) - sp.Sum(A[i, a], (i, 0, N - 1)))


def test_instances_agree_and_catch_a_wrong_symbolic_derivative(monkeypatch):
    L = ix.inner(G, OUT)
    assert ix.instances_agree("t", "inst", L, W, {N: 2, n: 3, m: 2}).passed
    # a symbolic-size derivative silently 0 (sympy issue 27406's kind of failure) is caught
    monkeypatch.setattr(ix, "derivative_entry", lambda L, X, case: sp.Integer(0))
    assert not ix.instances_agree("t", "inst", L, W, {N: 2, n: 3, m: 2}).passed


def test_backprop_claims_all_proved_and_each_mutation_refuted():
    claims = bp.size_claims()
    assert {c.X.name for c in claims} >= {"W1", "b1", "W2", "b2", "Z1", "H", "Y_hat", "z1", "h", "y_hat"}
    for claim in claims:
        assert claim.prove("t").passed, claim.name
        for mutant in (-claim.claim, 2 * claim.claim):
            assert not dataclasses.replace(claim, claim=mutant).prove("t").passed, (claim.name, mutant)


@pytest.mark.parametrize("mutate, what", [
    (lambda g, S, N: g.closed_form / N, "a 1/N applied twice"),
    (lambda g, S, N: -g.closed_form, "a sign"),
    (lambda g, S, N: (S["H"].T * S["Delta2"]).T * 2, "a factor 2"),
])
def test_a_mutated_backprop_formula_fails_at_symbolic_and_at_explicit_size(mutate, what):
    """The same mutation of the displayed dL/dW2 = Delta2^T H turns both proofs red."""
    dims = bp.BATCH_DISPLAY_DIMS
    S, grads = bp.batched(*dims)
    g = next(x for x in grads if x.of == "W2")
    wrong = dataclasses.replace(g, closed_form=mutate(g, S, dims[0]))
    claim = next(c for c in bp.size_claims() if c.name.startswith("dL/dW2 = Delta2^T H"))
    assert not dataclasses.replace(claim, claim=wrong.closed_form).prove("t").passed, what
    for sizes in bp.BATCH_PROOF_SIZES:
        S_, grads_ = bp.batched(*sizes)
        mutated = [dataclasses.replace(x, closed_form=mutate(x, S_, sizes[0])) if x.of == "W2" else x
                   for x in grads_]
        verdicts = {c.name.split(":")[0]: c.passed for c in bp.prove(S_, mutated, sizes, batch=True)}
        assert verdicts.pop("dL/dW2 = Delta2^T H") is False and all(verdicts.values()), (what, sizes)


def test_a_product_of_two_sums_is_not_one_sum_over_a_shared_index():
    i = sp.Symbol("i", integer=True)
    x = sp.IndexedBase("x")
    square_of_sum = sp.Sum(x[i], (i, 0, n - 1)) * sp.Sum(x[i], (i, 0, n - 1))
    sum_of_squares = sp.Sum(x[i] ** 2, (i, 0, n - 1))
    assert not ix.is_zero(square_of_sum - sum_of_squares)
    assert ix.is_zero(square_of_sum - sp.Sum(x[i], (i, 0, n - 1)) ** 2)
