"""Residual connections: the Jacobian of h + F(h) is I + dF/dh.

For a residual layer h' = h + f(W h), SymPy proves J = I + diag(f'(W h)) W on an explicit
width-3 layer with an undefined f. Across depth the Jacobians multiply; with the identity
in every factor the product contains the identity itself, so the gradient reaching an
early layer includes the upstream gradient unchanged.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import vanishing_exploding as num
from ..provenance import stored_checks
from .common import matrix, vector

TOPIC = "residual"
WIDTH_PROOF = 3
DEPTH, WIDTH = 50, 128

_f = sp.Function("f")
_t = sp.Symbol("t", real=True)


def residual_jacobian_proof():
    """(SymPy's Jacobian of h + f(W h), I + diag(f'(W h)) W), width 3, f undefined."""
    W, h = matrix("w", WIDTH_PROOF, WIDTH_PROOF), vector("h", WIDTH_PROOF)
    z = W * h
    out = h + z.applyfunc(_f)
    fprime = z.applyfunc(lambda zi: sp.diff(_f(_t), _t).subs(_t, zi))
    return out.jacobian(h), sp.eye(WIDTH_PROOF) + sp.diag(*fprime) * W


def two_layer_product_proof():
    """(I + A)(I + B) = I + A + B + AB on explicit 2 x 2 matrices of symbols."""
    A, B = matrix("a", 2, 2), matrix("b", 2, 2)
    I = sp.eye(2)
    return (I + A) * (I + B), I + A + B + A * B


def simulate(activation: str, scheme: str, residual: bool, rng, depth: int = DEPTH,
             width: int = WIDTH, n_samples: int = 64, branch_scale: float = 1.0) -> np.ndarray:
    """Gradient norm at each layer of a plain or residual stack (the residual branch's
    weights scaled by ``branch_scale``)."""
    weights = [branch_scale * W for W in num.init_stack(depth, width, scheme, rng)]
    x = rng.standard_normal((n_samples, width))
    return num.layer_gradient_norms(x, weights, activation, residual=residual, rng=rng)


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = [
        verify.symbolic_identity(TOPIC, "Jacobian of h + f(W h) = I + diag(f'(W h)) W (width 3)",
                                 *residual_jacobian_proof()),
        verify.symbolic_identity(TOPIC, "(I + A)(I + B) = I + A + B + AB: the identity survives the product",
                                 *two_layer_product_proof()),
    ]
    # numerically: the Jacobian of a residual layer, by central differences, is I + diag(f') W
    width = 5
    W = num.init_stack(1, width, "xavier", rng)
    h = rng.standard_normal((1, width))
    for activation, (f, f_grad) in num.ACTIVATIONS.items():
        z = h @ W[0].T
        claimed = np.eye(width) + np.diag(f_grad(z)[0]) @ W[0]
        numeric = np.array([verify.numeric_gradient(
            lambda v, i=i: num.stack_forward(v, W, activation, residual=True)[0][0, i], h)[0]
            for i in range(width)])
        out.append(verify.check_values(TOPIC, f"residual {activation} layer: Jacobian "
                                       "I + diag(f') W, full, against central differences",
                                       "central-difference", claimed, numeric))
    return out
