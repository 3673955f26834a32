"""Vanishing and exploding gradients: the gradient at a layer is a product of Jacobians.

For a stack h_k = f(z_k), z_k = W_k h_{k-1}, the gradient of L with respect to h_0 is

    dL/dh_0 = W_1^T D_1 W_2^T D_2 ... W_L^T D_L dL/dh_L,   D_k = diag(f'(z_k)),

proved by SymPy on an explicit stack of depth 3 and width 2 for an undefined f. Its norm
is at most prod_k norm2(W_k) max(abs(f'))^L norm(dL/dh_L); for the sigmoid, max(abs(f')) = 1/4.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import activations as act
from ..numeric import vanishing_exploding as num
from ..provenance import stored_checks
from .common import matrix, vector

TOPIC = "vanishing_exploding"
DEPTH_PROOF, WIDTH_PROOF = 3, 2
#: The depth of the simulated stacks, and their width.
DEPTH, WIDTH = 30, 128

_f = sp.Function("f")
_t = sp.Symbol("t", real=True)


def _fprime(z):
    return sp.diff(_f(_t), _t).subs(_t, z)


def jacobian_product_proof():
    """(SymPy's dL/dh_0, the product of transposed Jacobians) for depth 3, width 2."""
    Ws = [matrix(f"w{k + 1}", WIDTH_PROOF, WIDTH_PROOF) for k in range(DEPTH_PROOF)]
    h0, g = vector("h0", WIDTH_PROOF), vector("g", WIDTH_PROOF)
    h, zs = h0, []
    for W in Ws:
        z = W * h
        zs.append(z)
        h = z.applyfunc(_f)
    L = (g.T * h)[0, 0]
    derived = sp.Matrix([sp.diff(L, v) for v in h0])
    product = g
    for W, z in zip(reversed(Ws), reversed(zs)):
        product = W.T * sp.diag(*z.applyfunc(_fprime)) * product
    return derived, product


def sigmoid_bound(depth: int) -> sp.Rational:
    """max(abs(sigma'))^depth = (1/4)^depth, the activations' share of the bound."""
    return sp.Rational(1, 4) ** depth


def simulate(activation: str, scheme: str, rng, depth: int = DEPTH, width: int = WIDTH,
             n_samples: int = 64) -> np.ndarray:
    """Gradient norm at each layer l = 0..depth of a freshly initialized stack."""
    weights = num.init_stack(depth, width, scheme, rng)
    x = rng.standard_normal((n_samples, width))
    return num.layer_gradient_norms(x, weights, activation, rng=rng)


def mean_derivative_per_layer(x, weights, activation: str) -> np.ndarray:
    """The mean of f'(z_l) over the batch and units, at each layer l = 1..L."""
    _, cache = num.stack_forward(x, weights, activation)
    f_grad = num.ACTIVATIONS[activation][1]
    return np.array([float(np.mean(f_grad(z))) for z in cache[0]])


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = [verify.symbolic_identity(
        TOPIC, f"dL/dh_0 = W1^T D1 W2^T D2 W3^T D3 g (depth {DEPTH_PROOF}, width {WIDTH_PROOF}, f undefined)",
        *jacobian_product_proof())]
    for activation in num.ACTIVATIONS:
        for residual in (False, True):
            weights = num.init_stack(3, 6, "he", rng)
            x = rng.standard_normal((3, 6))
            dout = rng.standard_normal((3, 6))
            _, cache = num.stack_forward(x, weights, activation, residual)
            dx = num.stack_backward(dout, cache)[0]
            kind = "residual" if residual else "plain"
            out.append(verify.check_vjp(
                TOPIC, f"stack_backward, {kind} {activation} stack of depth 3, width 6, He init",
                lambda v: num.stack_forward(v, weights, activation, residual)[0],
                lambda g: dx, x, dout=dout))
    # the bound ||dL/dh_0|| <= prod ||W_k||_2 (1/4)^L ||dL/dh_L|| for a sigmoid stack, per sample
    weights = num.init_stack(DEPTH, 64, "xavier", rng)
    x = rng.standard_normal((1, 64))
    out_, cache = num.stack_forward(x, weights, "sigmoid")
    dout = rng.standard_normal(out_.shape)
    g0 = num.stack_backward(dout, cache)[0]
    bound = np.prod([np.linalg.norm(W, 2) for W in weights]) * float(sigmoid_bound(DEPTH)) * np.linalg.norm(dout)
    ratio = float(np.linalg.norm(g0) / bound)
    out.append(verify.Check(TOPIC, f"sigmoid stack, depth {DEPTH}: ||dL/dh_0|| / its bound "
                            "(the error column) is at most 1", "bound", ratio, 1.0, ratio <= 1.0))
    return out
