"""LSTM and GRU for every sequence length: the induction's base and step proved at symbolic
sizes, and wrong recursions refuted by them (the explicit proofs on the unrolled loss refute
the same mutations: tests/test_lstm_gru.py)."""

import sympy as sp

from derivations.symbolic import lstm_gru as lg


def _failed(model, part):
    claims = [c for _, c in lg.induction_claims(model) if part in c.name]
    assert claims, part
    return [c.name for c in claims if not c.prove("t").passed]


def _replace_backward(model, key, rhs_of):
    lhs = model.lhs(key)
    model.backward = [(l, rhs_of(model, r) if l == lhs else r) for l, r in model.backward]
    return model


def test_every_claim_is_proved():
    for build in (lg.lstm_model, lg.gru_model):
        for kind, claim in lg.induction_claims(build()):
            assert claim.prove("t").passed, claim.name


def test_a_sign_in_the_carry_is_refuted_by_the_step():
    model = lg.lstm_model()
    model = _replace_backward(model, "dh", lambda m, r: lg.add(r.args[0], lg.neg(r.args[1])))
    assert _failed(model, "step T -> T + 1: the recursion's dL/dh_1")
    assert not _failed(model, "base T = 1")
    model = _replace_backward(lg.gru_model(), "dh", lambda m, r: lg.add(r.args[0], lg.neg(r.args[1]), r.args[2]))
    assert _failed(model, "step T -> T + 1: the recursion's dL/dh_1")


def test_dropping_the_h0_term_is_refuted():
    model = lg.gru_model()
    lhs, total = model.gradients[1]                     # dL/dW_hh = sum_t delta^hh_t h_{t-1}^T
    model.gradients[1] = (lhs, sp.Sum(total.function, (lg.t, 2, lg.T)))
    assert _failed(model, "dL/dW_hh")
