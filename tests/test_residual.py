"""Residual connections: the Jacobian I + dF/dh, the product expansion, the identity path."""

import numpy as np
import pytest
import sympy as sp

from derivations import book, verify
from derivations.book import relation_rows
from derivations.symbolic import residual as residual_sym
from derivations.symbolic.common import FORK_X, fork_rule, partial


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


# ------------------------------------------------------------------ gradients add where paths fork
def test_the_fork_rule_and_the_hand_steps_pass_and_are_displayed(exhibits_of):
    checks = residual_sym.hand_checks()
    assert len(checks) == 6 and all(c.passed for c in checks), [c for c in checks if not c.passed]
    ex = exhibits_of("residual")
    assert ex["eq_fork"].tex.endswith("f_{1}{\\left(x,x \\right)} + f_{2}{\\left(x,x \\right)}")
    assert len(relation_rows(ex["eq_hand_residual"].tex)) == len(residual_sym.residual_hand_steps()) - 1


@pytest.mark.parametrize("wrong", ["one use only", "twice the first"])
def test_a_fork_rule_that_counts_one_use_is_refuted(wrong):
    _, got, _ = fork_rule()
    f1, x = partial(1), FORK_X
    claim = f1(x, x) if wrong == "one use only" else 2 * f1(x, x)
    (fork, *_) = residual_sym.hand_checks(fork=(got, claim))
    assert fork.name == residual_sym.FORK and not fork.passed, fork


def _failed(steps):
    return [c.name.split(":")[0] for c in residual_sym.hand_checks(steps=steps) if not c.passed]


def test_a_wrong_residual_step_is_refuted():
    r = residual_sym
    steps = r.residual_hand_steps()
    i, j, n = r._i, r._j, r.n
    mul = lambda *a: sp.Mul(*a, evaluate=False)  # noqa: E731
    wrongs = {
        # the skip forgotten: only the branch's path
        2: sp.Sum(mul(r.G_i[i], mul(r._fp(r.z_i[i]), r.W_ik[i, j])), (i, 1, n)),
        # W not transposed: W_ji in place of W_ij
        3: sp.Add(r.G_i[j], sp.Sum(mul(r.W_ik[j, i], r._fp(r.z_i[i]), r.G_i[i]), (i, 1, n)), evaluate=False),
        # the chain rule without the upstream gradient
        1: sp.Sum(r.DY_DX, (i, 1, n)),
    }
    for m, expr in wrongs.items():
        mutated = [*steps[:m], (steps[m][0], expr), *steps[m + 1:]]
        assert f"{r.HAND}, step {m}" in _failed(mutated), m
