"""Residual connections: the Jacobian I + dF/dh and the identity path."""

import sympy as sp

from derivations import verify
from derivations.symbolic import residual as R


def test_all_registered_checks_pass():
    failed = [c for c in R.checks(seed=13) if not c.passed]
    assert not failed, failed


def test_residual_jacobian_is_proved_and_the_plain_one_refuted():
    derived, closed = R.residual_jacobian_proof()
    assert verify.symbolic_identity("t", "residual", derived, closed).passed
    assert not verify.symbolic_identity("t", "no identity", derived, closed - sp.eye(3)).passed


def test_residual_keeps_the_identity_path(rng):
    plain = R.simulate("sigmoid", "xavier", False, rng, depth=30, width=32)
    res = R.simulate("sigmoid", "xavier", True, rng, depth=30, width=32)
    assert plain[0] / plain[-1] < 1e-10
    assert 0.3 < res[0] / res[-1] < 3
