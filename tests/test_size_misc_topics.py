"""Issue 18 for residual connections, clipping and initialization: the formulas proved at
symbolic size (width n; K tensors of sizes n_k; fan-in n and fan-out m), and each deliberate
mistake refuted at symbolic size and by the explicit proof of the mutated formula."""

import dataclasses

import sympy as sp

from derivations import book, verify
from derivations.symbolic import clipping as clipping_sym
from derivations.symbolic import index_notation as ix
from derivations.symbolic import initialization as init_sym
from derivations.symbolic import residual as residual_sym


# ------------------------------------------------------------------ residual
def test_residual_backward_proved_at_any_width():
    for claim in residual_sym.size_claims():
        assert claim.prove("t").passed, claim.name


def test_residual_backward_without_the_identity_path_is_refuted():
    claim = residual_sym.size_claims()[1]                  # G + W^T (f'(W h) * G)
    branch_only = claim.claim.args[1]                      # W^T (f'(W h) * G): the plain layer's
    assert claim.claim.args[0] == residual_sym._G
    c = dataclasses.replace(claim, claim=branch_only).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c
    # the Jacobian without its identity is refuted too, at symbolic width and at width 2
    jac = residual_sym.size_claims()[0]
    c = dataclasses.replace(jac, claim=jac.claim - residual_sym._G).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c
    derived, closed = residual_sym.residual_jacobian_proof(2)
    assert not verify.symbolic_identity("t", "no identity", derived, closed - sp.eye(2)).passed


def test_residual_weight_gradient_transposed_is_refuted_although_square():
    claim = residual_sym.size_claims()[2]
    c = dataclasses.replace(claim, claim=claim.claim.T).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c


# ------------------------------------------------------------------ clipping
def test_clipping_claims_proved_for_any_number_of_tensors():
    for name, lhs, rhs in clipping_sym.size_claims():
        assert ix.prove_identity("t", name, lhs, rhs).passed, name


def test_clipping_with_one_tensors_norm_is_refuted():
    wrong = clipping_sym.size_claims(norm=clipping_sym.first_tensor_norm)
    instances = [clipping_sym._tensor_sizes((1, 1))]
    name, lhs, rhs = wrong[2]           # c^2 above the threshold
    c = ix.prove_identity("t", name, lhs, rhs, instances)
    assert not c.passed and c.detail.startswith("the difference is"), c
    name, lhs, rhs = wrong[0]           # for a c where both factors are 1 it holds: not proved
    assert not ix.prove_identity("t", name, lhs, rhs, instances).passed
    # explicitly: two tensors of 2 and 3 entries, the factor from the first tensor's norm
    g = clipping_sym.vector("g", 5)
    norm, first = sp.sqrt((g.T * g)[0, 0]), sp.sqrt((g[:2, :].T * g[:2, :])[0, 0])
    v = sp.Symbol("v", positive=True)
    clipped = g * clipping_sym.CLIP_FACTOR.subs({clipping_sym.g_norm: first, clipping_sym.c: norm / (1 + v)})
    assert not verify.symbolic_identity("t", "one tensor", (clipped.T * clipped)[0, 0], (norm / (1 + v)) ** 2).passed


def test_the_k_tensor_sums_are_the_stacked_vectors():
    # a sum over the wrong range (i from 0) is caught by the written-out comparison
    s = clipping_sym.stacked(clipping_sym.global_norm_squared, (1, 2))
    g = clipping_sym.vector("g", 3)
    assert sp.expand(s - (g.T * g)[0, 0]) == 0
    k, i = clipping_sym._k, clipping_sym._i
    shifted = sp.Sum(clipping_sym.g_ki[k, i] ** 2, (i, 0, clipping_sym.n_k[k] - 1), (k, 1, clipping_sym.K))
    assert sp.expand(clipping_sym.stacked(shifted, (1, 2)) - (g.T * g)[0, 0]) != 0


# ------------------------------------------------------------------ initialization
def _by_name(checks):
    return {c.name.split(":")[0]: c for c in checks}


def test_initialization_formulas_proved_at_any_fan_in_and_fan_out():
    assert all(c.passed and c.method == "symbolic size" for c in init_sym.size_checks())


def test_he_without_the_factor_2_is_refuted_at_any_n_and_at_n_3():
    c = _by_name(init_sym.size_checks(he=1 / init_sym.n))["He"]
    assert not c.passed and c.detail.startswith("the difference is"), c
    explicit = sp.solve(sp.Eq(init_sym.preactivation_variance(3).subs(init_sym.ex2, init_sym.var_z / 2),
                              init_sym.var_z), init_sym.var_w)[0]
    assert not verify.symbolic_identity("t", "He at 3", explicit, sp.Rational(1, 3)).passed


def test_fan_in_for_fan_out_in_the_backward_condition_is_refuted():
    swapped = init_sym.n * init_sym.var_w * init_sym.eu2
    checks = init_sym.size_checks(backward=swapped)
    for name in ("E[(W^T u)_j^2] = m Var(w) E[u^2], W of shape (m, n)", "Xavier"):
        c = _by_name(checks)[name]
        assert not c.passed and c.detail.startswith("the difference is"), c
    # explicitly, W of shape (m, n) = (2, 3): each entry of W^T u has m = 2 terms, not n = 3
    assert not verify.symbolic_identity("t", "swapped", init_sym.backward_entry_moment(2, 3),
                                        swapped.subs(init_sym.n, 3)).passed


def test_a_dropped_delta_axiom_is_caught():
    # E[w_i w_j] = Var(w) for every i, j (correlated weights): E[z^2] gets the cross terms
    original = init_sym._weight_moment_ix
    try:
        init_sym._weight_moment_ix = lambda e: original(e) if len(e) < 2 else init_sym.var_w
        c = _by_name(init_sym.size_checks())["Var(z) = n Var(w) E[x^2]"]
        assert not c.passed, c
    finally:
        init_sym._weight_moment_ix = original


# ------------------------------------------------------------------ every displayed formula
def test_every_equation_names_its_proofs_or_is_a_definition():
    for topic in (residual_sym, clipping_sym, init_sym):
        checks = topic.checks()
        for key, value in topic.exhibits().items():
            if isinstance(value, book.Equation):
                assert value.definition or value.proofs, (topic.TOPIC, key)
                assert all(c.passed for c in book.proving_checks(value, checks)), (topic.TOPIC, key)
