"""Residual connections: the Jacobian I + dF/dh, the product expansion, the identity path."""

import numpy as np
import pytest
import sympy as sp

from derivations import book, verify
from derivations.symbolic import residual as residual_sym


@pytest.mark.parametrize("width", residual_sym.PROOF_WIDTHS)
def test_residual_jacobian_is_proved_and_the_plain_one_refuted(width):
    derived, closed = residual_sym.residual_jacobian_proof(width)
    assert verify.symbolic_identity("t", "residual", derived, closed).passed
    assert not verify.symbolic_identity("t", "no identity", derived, closed - sp.eye(width)).passed


def test_product_expansion_without_a_term_is_refuted():
    lhs, rhs = residual_sym.product_expansion_proof(3)
    assert verify.symbolic_identity("t", "expansion", lhs, rhs).passed
    A = [residual_sym.matrix(f"a{k}", 2, 2) for k in (1, 2, 3)]
    assert not verify.symbolic_identity("t", "no triple", lhs, rhs - A[0] * A[1] * A[2]).passed


def test_the_displayed_model_is_the_differentiated_one(exhibits_of):
    shown = exhibits_of("residual")["eq_residual_model"].tex
    assert shown.startswith(r"h_\ell = h_{\ell-1} + f")


def test_residual_estimate_is_the_displayed_product(rng):
    msq = rng.uniform(0.01, 0.3, 6)
    assert residual_sym.residual_mean_field_value(2.0, msq) == pytest.approx(np.prod(np.sqrt(1 + 2.0 * msq)), rel=1e-13)


def test_residual_keeps_the_identity_path(rng):
    plain = residual_sym.simulate("sigmoid", "xavier", False, rng, depth=30, width=32)
    res = residual_sym.simulate("sigmoid", "xavier", True, rng, depth=30, width=32)
    assert plain[0] / plain[-1] < 1e-10
    assert 0.3 < res[0] / res[-1] < 3


def test_exhibits_are_plain_data(exhibits_of):
    for name, value in exhibits_of("residual").items():
        assert isinstance(value, (str, book.Equation, book.Table, book.Figure, book.Markdown)), name
