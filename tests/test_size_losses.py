"""Losses at symbolic size (derivations.symbolic.losses.size_claims): every gradient proved for
every size, and each classic mistake (the MSE factor of another convention or of a size, a
dropped 1/N, a sign, softmax's p p^T with the wrong sign, a non-symmetric Jacobian not
transposed) refuted at symbolic size and on explicit entries alike."""

import dataclasses

import pytest
import sympy as sp

from derivations import verify
from derivations.symbolic import losses as ls
from derivations.symbolic.common import vector


@pytest.fixture(scope="module")
def claims():
    return {c.name: c for c in ls.size_claims() + ls.simplex_claims()}


def claim_named(claims, start):
    (c,) = [c for name, c in claims.items() if name.startswith(start)]
    return c


def test_every_claim_is_proved_and_agrees_with_its_instances(claims):
    for claim in claims.values():
        for c in claim.checks(ls.TOPIC):
            assert c.passed and c.seconds > 0, c
            assert c.method in ("symbolic size", "symbolic size, instantiated"), c


@pytest.mark.parametrize("wrong, why", [(1 / ls.p_out, "1/p: the half mean's"), (sp.Integer(2), "2: the sum's"),
                                        (sp.Rational(2, 3), "2/3: 2/p with p = 3 printed in")])
def test_mse_factor_of_another_convention_is_refuted(monkeypatch, wrong, why):
    monkeypatch.setattr(ls, "mse_gradient_factor", lambda scale: wrong)
    mean = ls.MSE_CONVENTIONS["mean"]
    (claim,) = [c for c in ls.size_claims() if c.name.startswith("MSE as mean")]
    c = claim.prove(ls.TOPIC)
    assert not c.passed and c.detail.startswith("the difference is"), (why, c)
    # and the explicit proofs at both sizes (2/3 is 2/p at neither p = 2 nor p = 5)
    assert not any(verify.symbolic_identity("t", "x", *ls._mse_gradient_at(mean, size)).passed
                   for size in ls.N_SIZES), why


def test_every_mse_convention_fails_with_the_means_factor(claims):
    for conv in ("sum", "half sum", "half mean"):
        claim = claim_named(claims, f"MSE as {conv}:")
        assert not dataclasses.replace(claim, claim=2 / ls.p_out * (ls.y_hat_col - ls.y_col)).prove("t").passed


def test_dropped_or_doubled_one_over_n_in_the_batch_mean_is_refuted(claims, monkeypatch):
    general = claims[ls.CE_BATCH_GENERAL]
    for wrong in (general.claim * ls.N, general.claim / ls.N):
        c = dataclasses.replace(general, claim=wrong).prove("t")
        assert not c.passed and "N = " in c.detail, c
    simplex = claim_named(claims, ls.CE_BATCH + ":")
    c = dataclasses.replace(simplex, rhs=ls.P_batch - ls.Q).prove("t")
    assert not c.passed and "N = " in c.detail, c
    # the explicit proof of the displayed formula without 1/N fails too (at N = 2)
    monkeypatch.setattr(ls, "ce_batch_gradient", ls.P_batch - ls.Q)
    assert not [c for c in ls.explicit_batch_proofs() if c.name.startswith(ls.CE_BATCH)][0].passed


def test_the_simplex_gradient_is_wrong_for_targets_off_the_simplex(claims):
    c = dataclasses.replace(claims[ls.CE_BATCH_GENERAL],
                            claim=ls.ce_batch_gradient.xreplace({ls.P_batch: ls.softmax_of_rows(ls.Z)})).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c


def test_a_sign_flip_of_p_minus_y_is_refuted(claims, monkeypatch):
    for start in ("dL/dz = y_hat sum(q) - q for any q", ls.CE_BATCH_GENERAL, ls.BCE_BATCH):
        claim = claim_named(claims, start)
        assert not dataclasses.replace(claim, claim=-claim.claim).prove("t").passed, start
    one = claim_named(claims, "dL/dz = y_hat - q for q on the simplex")
    assert not dataclasses.replace(one, rhs=-one.rhs).prove("t").passed
    # explicitly: at C = 3 the gradient is not q - y_hat on the simplex
    z, q = vector("z", 3), vector("q", 3)
    p = ls.softmax_expr(z)
    grad = sp.Matrix([sp.diff(ls.cross_entropy(z, q), zk) for zk in z])
    assert not verify.symbolic_identity("t", "x", ls.on_simplex(grad, q), ls.on_simplex(q - p, q)).passed
    monkeypatch.setattr(ls, "bce_batch_gradient", -ls.bce_batch_gradient)
    assert not [c for c in ls.explicit_batch_proofs() if c.name.startswith(ls.BCE_BATCH)][0].passed


def test_dropped_one_over_nc_in_the_mean_bce_is_refuted(claims):
    claim = claims[ls.BCE_BATCH]
    c = dataclasses.replace(claim, claim=claim.claim * ls.N * ls.C).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c


def test_softmax_jacobian_with_the_wrong_sign_of_p_pT_is_refuted(claims):
    jac = claim_named(claims, "softmax Jacobian")
    Pz, g = ls.softmax_of_column(ls.z_col), ls.g_col
    wrong = sp.DiagMatrix(Pz) + Pz * Pz.T
    c = dataclasses.replace(jac, claim=wrong.T * g).prove("t")
    assert not c.passed and "C = " in c.detail, c
    z = vector("z", 3)
    p = ls.softmax_expr(z)
    assert not verify.symbolic_identity("t", "x", p.jacobian(z), sp.diag(*p) + p * p.T).passed


def test_a_non_symmetric_jacobian_must_be_transposed(claims):
    # log-softmax's Jacobian I - 1 p^T is not symmetric: J g in place of J^T g is refuted
    logsm = claim_named(claims, "log-softmax Jacobian")
    Pz, g, C = ls.softmax_of_column(ls.z_col), ls.g_col, ls.C
    J = sp.Identity(C) - sp.OneMatrix(C, 1) * Pz.T
    c = dataclasses.replace(logsm, claim=J * g).prove("t")
    assert not c.passed and c.detail.startswith("the difference is"), c
    z = vector("z", 3)
    p = ls.softmax_expr(z)
    J3 = sp.eye(3) - sp.ones(3, 1) * p.T
    assert verify.symbolic_identity("t", "x", p.applyfunc(sp.log).jacobian(z), J3).passed
    assert not verify.symbolic_identity("t", "x", p.applyfunc(sp.log).jacobian(z), J3.T).passed
    # softmax's own Jacobian is symmetric: there the transpose changes nothing (both pass)
    jac = claim_named(claims, "softmax Jacobian")
    assert dataclasses.replace(jac, claim=ls.softmax_jacobian_formula().xreplace({ls._p(C): Pz}) * g).prove("t").passed


@pytest.mark.parametrize("rhs", [ls.m + sp.log(sp.Sum(sp.exp(ls.z_j[ls.j] + ls.m), (ls.j, 1, ls.C))),
                                 -ls.m + sp.log(sp.Sum(sp.exp(ls.z_j[ls.j] - ls.m), (ls.j, 1, ls.C)))])
def test_a_wrong_log_sum_exp_shift_is_refuted(rhs):
    assert ls.prove_logsumexp_shift().passed
    c = ls.prove_logsumexp_shift(rhs=rhs)
    assert not c.passed and c.detail, c


def test_the_displayed_batch_formulas_are_the_proved_ones(exhibits_of):
    ex = exhibits_of("losses")
    assert r"\frac{1}{N} \left(\hat{Y} - Q\right)" in ex["eq_ce_batch"].tex
    assert ls.CE_BATCH in ex["eq_ce_batch"].proofs and ls.BCE_BATCH in ex["eq_bce_batch"].proofs
