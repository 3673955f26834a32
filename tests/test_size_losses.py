"""Losses at symbolic size (derivations.symbolic.losses.size_claims): every gradient proved for
every size, and each classic mistake (the MSE factor of another convention or of a size, a
dropped 1/N, a sign, softmax's p p^T with the wrong sign, a non-symmetric Jacobian not
transposed) refuted at symbolic size and on explicit entries alike."""

import dataclasses

import pytest
import sympy as sp

from derivations import verify
from derivations.book import relation_rows
from derivations.symbolic import index_notation as ix
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


# ------------------------------------------------------------------ the hand derivations
def _replace_step(steps, n, expr):
    """The chain ``steps`` with step n's displayed side replaced by ``expr`` (its reason kept)."""
    return [*steps[:n], (steps[n][0], expr), *steps[n + 1:]]


def test_every_hand_step_is_proved_and_the_page_shows_them(exhibits_of):
    checks = ls.hand_checks() + ls.bce_hand_checks()
    assert len(checks) == 14 and all(c.passed for c in checks), [c for c in checks if not c.passed]
    ex = exhibits_of("losses")
    for key, prefix in (("eq_hand_jacobian", ls.HAND_JACOBIAN), ("eq_hand_ce", ls.HAND_CE),
                        ("eq_hand_sigma", ls.HAND_SIGMA), ("eq_hand_bce", ls.HAND_BCE)):
        assert ex[key].proofs == (f"{prefix}, step",)
    assert ex["eq_hand_ce"].tex == ls.chain_tex(ls.ce_gradient_steps())
    assert len(relation_rows(ex["eq_hand_ce"].tex)) == len(ls.ce_gradient_steps()) - 1


def _failed_steps(checks):
    return [c.name.split(":")[0] for c in checks if not c.passed]


@pytest.mark.parametrize("n, wrong, why", [
    (1, lambda s: s.xreplace({sp.Pow(ls._exp_sum, -2): sp.Pow(ls._exp_sum, -1)}), "the denominator not squared"),
    (2, lambda s: ls._product(ls.yh_i[ls.i], sp.Add(ls._delta, ls.yh_i[ls.j], evaluate=False)), "+ y_hat_j"),
    (2, lambda s: ls._product(ls.yh_i[ls.i], sp.Add(1, -ls.yh_i[ls.j], evaluate=False)), "the delta dropped"),
])
def test_a_wrong_softmax_jacobian_step_is_refuted(n, wrong, why):
    steps = ls.softmax_jacobian_steps()
    checks = ls.hand_checks(jacobian=_replace_step(steps, n, wrong(steps[n][1])))
    failed = _failed_steps(checks)
    assert f"{ls.HAND_JACOBIAN}, step {n}" in failed, (why, failed)
    bad = next(c for c in checks if c.name.startswith(f"{ls.HAND_JACOBIAN}, step {n}"))
    assert bad.detail.startswith("the difference is"), (why, bad)


def test_a_wrong_cross_entropy_step_is_refuted():
    steps = ls.ce_gradient_steps()
    wrongs = {
        # the chain rule summed over j instead of i (the Jacobian transposed)
        1: sp.Sum(ls.DL_DYHAT * ls.DYHAT_DZ, (ls.j, 1, ls.C)),
        # dL/dy_hat_i = +q_i / y_hat_i: a sign lost
        2: sp.Sum(ls._product(ls.q_i[ls.i] / ls.yh_i[ls.i], ls.jacobian_entry), (ls.i, 1, ls.C)),
        # the delta summed to q_i instead of q_j
        4: sp.Add(-ls.q_i[ls.i], ls._product(ls.yh_i[ls.j], ls.target_sum), evaluate=False),
    }
    for n, expr in wrongs.items():
        failed = _failed_steps(ls.hand_checks(gradient=_replace_step(steps, n, expr)))
        assert f"{ls.HAND_CE}, step {n}" in failed, (n, failed)


def test_the_simplex_step_needs_the_simplex():
    # y_hat_j - q_j is not the gradient for any q: without the sum set to 1 the step fails
    steps = ls.ce_gradient_steps()
    reason, last = ls.simplex_step()
    off = ix.prove_identity("t", "x", ls.in_logits(steps[-1][1]), ls.in_logits(last), ls.HAND_INSTANCES)
    assert not off.passed and off.detail.startswith("the difference is"), off
    # and on the simplex a wrong last step (q_j / 2) is refuted
    wrong = (reason, sp.Add(ls.yh_i[ls.j], -ls.q_i[ls.j] / 2, evaluate=False))
    assert f"{ls.HAND_CE} on the simplex, step 1" in _failed_steps(ls.hand_checks(simplex=wrong))


def test_a_wrong_bce_step_is_refuted():
    s_ = ls._sigma(ls.zs)
    sig = ls.sigma_prime_steps()
    wrong_sig = _replace_step(sig, 2, ls._product(s_, sp.Add(1, s_, evaluate=False)))   # sigma (1 + sigma)
    assert f"{ls.HAND_SIGMA}, step 2" in _failed_steps(ls.bce_hand_checks(sigma_steps=wrong_sig))
    bce = ls.bce_gradient_steps()                                      # sigma(z) written sigma
    wrong_bce = _replace_step(bce, 4, sp.Add(ls.t, -ls.SIGMA, evaluate=False))          # y - sigma
    assert f"{ls.HAND_BCE}, step 4" in _failed_steps(ls.bce_hand_checks(gradient=wrong_bce))
    wrong_chain = _replace_step(bce, 1, ls.DL_DSIGMA)                                     # sigma' dropped
    assert f"{ls.HAND_BCE}, step 1" in _failed_steps(ls.bce_hand_checks(gradient=wrong_chain))
