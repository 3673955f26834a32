"""Vanishing and exploding gradients: the Jacobian product, its bound, the simulations."""

import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad

from derivations import verify
from derivations.numeric import vanishing_exploding as ve
from derivations.symbolic import vanishing_exploding as V

AUTOGRAD_ACT = {"sigmoid": lambda z: 1 / (1 + anp.exp(-z)), "tanh": anp.tanh,
                "relu": lambda z: anp.where(z > 0, z, 0.0)}


def test_all_registered_checks_pass():
    failed = [c for c in V.checks(seed=13) if not c.passed]
    assert not failed, failed


def test_jacobian_product_is_proved_and_a_wrong_one_refuted():
    derived, product = V.jacobian_product_proof()
    assert verify.symbolic_identity("t", "product", derived, product).passed
    assert not verify.symbolic_identity("t", "twice", derived, 2 * product).passed


@pytest.mark.parametrize("activation", list(ve.ACTIVATIONS))
@pytest.mark.parametrize("residual", [False, True])
def test_stack_backward_against_autograd(activation, residual, rng):
    weights = ve.init_stack(5, 7, "he", rng)
    x, dout = rng.standard_normal((4, 7)), rng.standard_normal((4, 7))
    _, cache = ve.stack_forward(x, weights, activation, residual)
    grads = ve.stack_backward(dout, cache)
    assert len(grads) == 6 and all(g.shape == x.shape for g in grads)

    def phi(v):
        h = v
        for W in weights:
            z = anp.dot(h, W.T)
            h = h + AUTOGRAD_ACT[activation](z) if residual else AUTOGRAD_ACT[activation](z)
        return anp.sum(dout * h)
    np.testing.assert_allclose(grads[0], grad(phi)(x), rtol=1e-10, atol=1e-14)


def test_sigmoid_bound_and_measured_vanishing(rng):
    assert V.sigmoid_bound(30) == sp.Rational(1, 4) ** 30
    norms = V.simulate("sigmoid", "xavier", rng, depth=20, width=32)
    assert norms[0] / norms[-1] < 1e-6
    norms = V.simulate("relu", "he", rng, depth=20, width=128)
    assert 0.1 < norms[0] / norms[-1] < 10


BAD = [
    (lambda rng: ve.init_stack(3, 4, "orthogonal", rng), "scheme must be one of"),
    (lambda rng: ve.stack_forward(np.ones(4), [np.eye(4)]), r"x must be 2-D"),
    (lambda rng: ve.stack_forward(np.ones((2, 4)), [np.eye(3)]), r"weights\[0\] must have shape"),
    (lambda rng: ve.stack_forward(np.ones((2, 4)), [np.eye(4)], "gelu"), "activation must be one of"),
    (lambda rng: ve.stack_forward(np.full((2, 4), np.nan), [np.eye(4)]), "x contains NaN"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input(call, message, rng):
    with pytest.raises(ValueError, match=message):
        call(rng)
