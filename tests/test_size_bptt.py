"""BPTT for every sequence length: the base (T = 1) and the step (T -> T + 1) of the induction
proved at symbolic sizes, and four wrong formulas (the h_0 term dropped, W_hh for W_hh^T, the
activation's derivative at the output, a sign) refuted by the base or the step and by the
explicit proofs on the unrolled loss."""

import pytest
import sympy as sp

from derivations import verify
from derivations.symbolic import bptt

ORIGINAL_MODEL = bptt.model


def _claims(kind):
    return {c.name: c for k, c in bptt.induction_claims() if k == kind}


def _failed(kind, part):
    """The names of the induction claims of ``kind`` whose name contains ``part`` and whose
    proof fails."""
    claims = [c for name, c in _claims(kind).items() if part in name]
    assert claims, (kind, part)
    return [c.name for c in claims if not c.prove("t").passed]


def _explicit_proofs_fail(key):
    """The explicit proof of dL/d``key`` on the unrolled loss (the first proof size) fails."""
    bptt.derivation.cache_clear()
    try:
        _, _, derived, closed, _ = bptt.derivation(bptt.PROOF_SIZES[0])
        return not verify.symbolic_identity("t", key, derived[key], closed[key]).passed
    finally:
        bptt.derivation.cache_clear()


def test_every_claim_of_the_induction_is_proved_and_instantiated():
    kinds = [k for k, _ in bptt.induction_claims()]
    assert set(kinds) == {"base", "step", "base and step"}
    for check in bptt.induction_checks():
        assert check.passed, check
    methods = {c.method for c in bptt.induction_checks()}
    assert methods == {"induction", "symbolic size, instantiated"}


def _with_recursion(monkeypatch, second_factor):
    """The model with the recursion's second factor replaced by ``second_factor(S)``."""
    def mutated(*sizes):
        S = ORIGINAL_MODEL(*sizes)
        S.delta_formula = sp.HadamardProduct(bptt.fprime_through_output(S.h), second_factor(S))
        return S
    monkeypatch.setattr(bptt, "model", mutated)


def test_w_hh_for_its_transpose_in_the_recursion_is_refuted_by_the_step(monkeypatch):
    _with_recursion(monkeypatch, lambda S: sp.MatAdd(S.W_hy.T * S.e, S.W_hh * S.delta_next))
    assert _failed("step", "dL/dz_1")
    assert not _failed("base", "dL/dz_1")          # delta_2 = 0: the base cannot see it
    assert _explicit_proofs_fail("W_hh")


def test_a_sign_in_the_recursion_is_refuted_by_the_step(monkeypatch):
    _with_recursion(monkeypatch, lambda S: sp.MatAdd(S.W_hy.T * S.e, -S.W_hh.T * S.delta_next))
    assert _failed("step", "dL/dz_1")
    assert _explicit_proofs_fail("W_hh")


def test_the_derivative_at_the_output_is_refuted_by_base_and_step(monkeypatch):
    monkeypatch.setattr(bptt, "fprime_through_output",
                        lambda h: sp.OneMatrix(*h.shape) - sp.HadamardPower(h.applyfunc(sp.tanh), 2))
    assert _failed("base", "dL/dz_1") and _failed("step", "dL/dz_1")
    assert _explicit_proofs_fail("W_hx")


def test_dropping_the_h0_term_is_refuted_by_base_and_step(monkeypatch):
    monkeypatch.setattr(bptt, "FIRST_STEP", 2)
    assert _failed("base and step", "dL/dW_hh")
    assert _failed("base", "dL/dW_hy")
    derived, wrong = bptt.wrong_h0_sum()              # the explicit proof: the sum from t = 2
    assert not verify.symbolic_identity("t", "h0", derived, wrong).passed


def test_the_upstream_is_the_h0_formula_one_step_later(monkeypatch):
    """The step's hypothesis is the model's own dL/dh_0: with it transposed wrongly, the
    claim dL/dh_0 = W_hh delta_1 fails too, so a wrong pair cannot pass together."""
    def mutated(*sizes):
        S = ORIGINAL_MODEL(*sizes)
        S.h0_grad = S.W_hh * S.delta_1
        S.delta_formula = sp.HadamardProduct(bptt.fprime_through_output(S.h),
                                             sp.MatAdd(S.W_hy.T * S.e, S.W_hh * S.delta_next))
        return S
    monkeypatch.setattr(bptt, "model", mutated)
    assert not _failed("step", "dL/dz_1")
    assert _failed("base and step", "dL/dh_0")


@pytest.mark.parametrize("kind", ["step", "base and step"])
def test_the_step_claims_are_instantiated_at_two_sizes(kind):
    for claim in _claims(kind).values():
        assert len(claim.instances) == 2, claim.name
