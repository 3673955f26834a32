"""Normalization at symbolic size (issue 18): batch norm's and layer norm's gradients proved
for any N (and n), their instances at explicit sizes, and wrong formulas refuted at symbolic
size as well as at an explicit size."""

import dataclasses

import pytest
import sympy as sp

from derivations.symbolic import normalization as nz

CLAIMS = nz.size_claims()
BN_DX = [c for c in CLAIMS if c.name.startswith("batch norm dL/dx =")]
LN_DX = [c for c in CLAIMS if c.name.startswith("layer norm dL/dx")]
T = nz.BN_TERMS
BN_MUTANTS = {   # (BN_COEFF, BN_TERMS) of a wrong three-term formula
    "the mean term's 1/N dropped": (nz.BN_COEFF, (T[0], nz.N * T[1], T[2])),
    "the mean term doubled": (nz.BN_COEFF, (T[0], 2 * T[1], T[2])),
    "the mean term's sign flipped": (nz.BN_COEFF, (T[0], -T[1], T[2])),
    "the variance term's sign flipped": (nz.BN_COEFF, (T[0], T[1], -T[2])),
    "x-hat_k replaced by x_k": (nz.BN_COEFF, (T[0], T[1], T[2].xreplace({nz.x_hat[nz.i]: nz.x[nz.i]}))),
    "eps dropped": (nz.gamma / (nz.N * nz.s), T),
}


def test_every_claim_is_proved_and_names_its_sizes():
    assert {c.scope for c in CLAIMS} >= {"general N", "general n", "entry (k, c) of an N x n batch, general N, n"}
    for claim in CLAIMS:
        assert claim.instances, (claim.name, claim.scope)     # each with its explicit witnesses
        check = claim.prove("t")
        assert check.passed and check.method == "symbolic size", (check.name, check.detail)
    names = [c.name for claim in BN_DX for c in claim.checks("t")]
    assert "batch norm dL/dx = the three-term formula: explicit entries, (N, n) = (2, 2)" in names
    assert "batch norm dL/dx = the three-term formula: the general-N derivative at N = 3 equals the explicit one" in names


@pytest.mark.parametrize("what", list(BN_MUTANTS))
def test_a_wrong_batch_norm_formula_is_refuted_at_symbolic_and_explicit_size(monkeypatch, what):
    coeff, terms = BN_MUTANTS[what]
    monkeypatch.setattr(nz, "BN_COEFF", coeff)
    monkeypatch.setattr(nz, "BN_TERMS", terms)
    for claim in BN_DX:
        assert not claim.prove("t").passed, (what, claim.scope)
        assert not claim.explicit("t", claim.instances[0]).passed, (what, claim.scope)
        # the instance compares derivatives, not the formula: the mutation does not touch it
        assert claim.instance("t", claim.instances[0]).passed


@pytest.mark.parametrize("what", ["sign", "eps dropped", "gamma_k for gamma_j"])
def test_a_wrong_layer_norm_formula_is_refuted_at_symbolic_and_explicit_size(monkeypatch, what):
    terms, coeff = nz.LN_TERMS, nz.LN_COEFF
    if what == "sign":
        terms = (terms[0], -terms[1], terms[2])
    elif what == "eps dropped":
        coeff = 1 / (nz.n * nz.s)
    else:
        terms = (terms[0], terms[1].xreplace({nz.gamma_i[nz.j]: nz.gamma_i[nz.i]}), terms[2])
    monkeypatch.setattr(nz, "LN_COEFF", coeff)
    monkeypatch.setattr(nz, "LN_TERMS", terms)
    for claim in LN_DX:
        assert not claim.prove("t").passed, (what, claim.scope)
        assert not claim.explicit("t", claim.instances[0]).passed, (what, claim.scope)


def test_every_claim_scaled_or_negated_is_refuted():
    for claim in CLAIMS:
        for factor in (-1, 2):
            mutant = dataclasses.replace(claim, claim=lambda *q, f=claim.claim, a=factor: a * f(*q))
            assert not mutant.prove("t").passed, (claim.name, claim.scope, factor)


def test_batch_norm_features_do_not_mix():
    """Column c's formula with the statistics of another column d is refuted: the proof at
    entry (k, c) of the batch sees which column the statistics come from."""
    d = sp.Symbol("d", positive=True, integer=True)
    claim = next(c for c in BN_DX if c.scope.startswith("entry"))
    wrong = dataclasses.replace(claim, claim=lambda q, f: nz.per_column(nz.definitions(nz.bn_dx(q)), f)
                                .replace(lambda t: isinstance(t, sp.Indexed) and t.base == nz.x and t.indices[0] != q,
                                         lambda t: nz.x[t.indices[0], d]))
    assert not wrong.prove("t").passed


def test_an_instance_catches_a_symbolic_size_derivative_that_is_silently_zero(monkeypatch):
    claim = BN_DX[0]
    assert claim.instance("t", (2,)).passed
    monkeypatch.setattr(nz.SizeClaim, "derivative", lambda self: sp.Integer(0) * self.L)
    assert not claim.instance("t", (2,)).passed


def test_power_sums_keep_the_indices_of_their_entries():
    m, j, c = nz.m_, nz.l_, nz.c
    inner = nz.sum_out(sp.Sum(nz.x[m, j] ** 2, (m, 1, nz.N)))
    assert isinstance(inner, sp.Indexed) and inner.indices == (j,)
    picked = nz.sum_out(sp.Sum(sp.KroneckerDelta(j, c) * sp.Sum(nz.x[m, j] ** 2, (m, 1, nz.N)), (j, 1, nz.n)))
    assert picked == inner.xreplace({j: c})
    # two limits in one Sum: the inner one first
    both = nz.sum_out(sp.Sum(nz.x[m, j], (m, 1, nz.N), (j, 1, nz.n)))
    assert isinstance(both, sp.Symbol) and both.name.startswith("Sum(")


def test_the_variance_is_the_population_one_and_the_unbiased_derivative_is_refuted():
    plain = lambda e: nz.canonical(nz._plain(nz.sum_out(nz.definitions(e))))[0]  # noqa: E731
    dvar = plain(sp.diff(nz.definitions(nz.s ** 2), nz.x[nz.k]))
    assert dvar == plain(2 * (nz.x[nz.k] - nz.mu) / nz.N)
    assert dvar != plain(2 * (nz.x[nz.k] - nz.mu) / (nz.N - 1))
    assert plain(sp.diff(nz.mean(), nz.x[nz.k])) == 1 / nz.N
