"""The Hadamard product's properties at symbolic size (derivations.symbolic.hadamard.size_claims):
each proved for every m, n, its index-notation entries equal to SymPy's explicit matrices at
the explicit proofs' sizes, and a wrong form refuted at symbolic size and explicitly alike."""

import dataclasses

import pytest
import sympy as sp

from derivations.symbolic import hadamard as h
from derivations.symbolic import index_notation as ix

CLAIMS = {c.name.split(":")[0]: c for c in h.size_claims()}


@pytest.mark.parametrize("name", list(CLAIMS))
def test_property_at_symbolic_size(name):
    checks = CLAIMS[name].checks(h.TOPIC)
    assert len(checks) == 3 and all(c.passed for c in checks), checks
    assert checks[0].method == "symbolic size" and checks[0].name.endswith(
        "index notation, any " + CLAIMS[name].sizes_text())


# name -> a wrong right-hand side at symbolic size (display symbols, as PROPERTIES holds them)
WRONG = {
    "commutative": h.HP(h.A, h.A),
    "associative": h.HP(h.HP(h.A, h.B), h.B),
    "distributive": h.HP(h.A, h.B) + h.C,
    "identity": h.HP(h.A, h.A),
    "transpose": h.HP(h.B.T, h.B.T),
    "diagonal": h.HP(h.a, h.a),
    "trace": h.ONES_R.T * (h.A + h.B) * h.ONES_C,
    "jacobian": sp.DiagMatrix(h.z),
    "backprop": h.HP(h.dL_dh, h.z),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_property_refuted_at_symbolic_size_and_explicitly(name, monkeypatch):
    words, lhs, _ = h.PROPERTIES[name]
    monkeypatch.setitem(h.PROPERTIES, name, (words, lhs, WRONG[name]))
    (claim,) = [c for c in h.size_claims() if c.name.startswith(name + ":")]
    c = claim.prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c
    assert not h.prove(name).passed


@pytest.mark.parametrize("name", list(CLAIMS))
def test_sign_and_factor_refuted(name):
    claim = CLAIMS[name]
    field = "claim" if isinstance(claim, ix.GradientClaim) else "rhs"
    for mutant in (-getattr(claim, field), 2 * getattr(claim, field)):
        assert not dataclasses.replace(claim, **{field: mutant}).prove("t").passed, (name, mutant)


def test_the_layer_vjp_is_not_the_untransposed_product_with_a_full_matrix():
    # with a full Jacobian (a linear layer h = W z) the transpose matters: W g is refuted
    n = h.n
    W, g = sp.MatrixSymbol("W", n, n), h.dL_dh
    assert ix.prove_vjp("t", "linear", W * h.z, h.z, g, W.T * g, (n,)).passed
    c = ix.prove_vjp("t", "linear", W * h.z, h.z, g, W * g, (n,))
    assert not c.passed and c.detail.startswith("the difference is"), c


def test_instances_catch_a_wrong_index_notation_entry(monkeypatch):
    claim = CLAIMS["diagonal"]
    assert all(c.passed for c in claim.instance_checks("t"))
    monkeypatch.setattr(ix, "entry_in_case", lambda expr, case: sp.Integer(0))
    assert not any(c.passed for c in claim.instance_checks("t"))


def test_a_scalar_identity_is_one_entry():
    assert ix.result_cases((1, 1)) == [ix.Entry((0, 0), {}, ())]
    c = ix.prove_matrix_identity("t", "trace", sp.Trace(h.A.T * h.B), sp.Trace(h.B.T * h.A), (h.m, h.n))
    assert c.passed, c
