"""Deep stacks of layers: forward, backward, and the gradient norm at every layer.

A plain stack computes h_{l+1} = f(W_l h_l); a residual stack h_{l+1} = h_l + f(W_l h_l);
with ``batchnorm`` each pre-activation is batch-normalized first, h_{l+1} = f(BN(W_l h_l))
(gamma = 1, beta = 0, training mode). Batches are rows, h_l of shape (N, n); every W_l has
shape (n, n). The backward pass of either is the product of the layers' Jacobians applied to
the upstream gradient.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import numpy as np
from numpy.typing import ArrayLike

from ._validate import cache_of, float_array, frozen, frozen_copies, ndim, sum_of_squares
from .backprop import activation_pair
from .initialization import he_variance, normal_weights, xavier_variance
from .normalization import batchnorm_backward, batchnorm_forward

__all__ = ["INIT_SCHEMES", "init_stack", "StackCache", "stack_forward", "stack_backward", "layer_gradient_norms"]

#: The initialization schemes of a square stack, as name -> Var(w) for width n.
INIT_SCHEMES = {
    "too small": lambda n: 0.01 / n,
    "xavier": lambda n: xavier_variance(n, n),
    "he": lambda n: he_variance(n),
    "too large": lambda n: 16.0 / n,
}


def init_stack(depth: int, width: int, scheme: str, rng: np.random.Generator) -> list[np.ndarray]:
    """``depth`` weight matrices (width, width) drawn with the variance of ``scheme``."""
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(INIT_SCHEMES)}, got {scheme!r}")
    var = INIT_SCHEMES[scheme](width)
    return [normal_weights(width, width, var, rng) for _ in range(depth)]


class StackCache(NamedTuple):
    """What :func:`stack_backward` needs: every layer's pre-activation z_l (N, n), the weights,
    the activation's name, whether the layers are residual, and batch norm's caches (or None)."""

    zs: list
    weights: list
    activation: str
    residual: bool
    norms: list | None


def stack_forward(x: ArrayLike, weights: Sequence[ArrayLike], activation: str = "tanh", residual: bool = False,
                  batchnorm: bool = False) -> tuple[np.ndarray, StackCache]:
    """Returns (h_L, cache) for h_{l+1} = [h_l +] f(h_l W_l^T), x of shape (N, n); with
    ``batchnorm``, h_{l+1} = [h_l +] f(BN(h_l W_l^T)) over the batch's N rows."""
    h = float_array(x, "x")
    ndim(h, "x", 2, "(N, n)")
    f, _ = activation_pair(activation)
    zs, norms, checked = [], [], []
    for l, W in enumerate(weights):
        W = float_array(W, f"weights[{l}]")
        checked.append(W)
        if W.shape != (h.shape[1], h.shape[1]):
            raise ValueError(f"weights[{l}] must have shape (n, n) = {(h.shape[1],) * 2}, got {W.shape}")
        z = h @ W.T
        if batchnorm:
            z, norm_cache = batchnorm_forward(z, np.ones(z.shape[1], z.dtype), np.zeros(z.shape[1], z.dtype))
            norms.append(norm_cache)
        zs.append(z)
        h = h + f(z) if residual else f(z)
    return h, StackCache(frozen(*zs), frozen_copies(*checked), activation, residual, norms if batchnorm else None)


def stack_backward(dout: ArrayLike, cache: StackCache) -> list[np.ndarray]:
    """Gradients dL/dh_l for l = 0..L (a list, input first) given dout = dL/dh_L."""
    zs, weights, activation, residual, norms = cache_of(cache, StackCache, "stack_forward")
    _, f_grad = activation_pair(activation)
    g = float_array(dout, "dout")
    if zs and g.shape != zs[-1].shape:
        raise ValueError(f"dout must have the shape of the stack's output, {zs[-1].shape}, got {g.shape}")
    grads = [g]
    for l in reversed(range(len(zs))):
        dz = g * f_grad(zs[l])                     # diag(f'(z)), batched
        if norms is not None:
            dz = batchnorm_backward(dz, norms[l])[0]   # then BN's Jacobian, over the batch
        through = dz @ weights[l]                  # then W^T
        g = g + through if residual else through
        grads.append(g)
    return grads[::-1]


def layer_gradient_norms(x: ArrayLike, weights: Sequence[ArrayLike], activation: str = "tanh",
                         residual: bool = False, rng: np.random.Generator | None = None,
                         batchnorm: bool = False) -> np.ndarray:
    """||dL/dh_l|| (Frobenius, over the batch) for l = 0..L, with a random upstream gradient."""
    rng = np.random.default_rng(0) if rng is None else rng
    out, cache = stack_forward(x, weights, activation, residual, batchnorm)
    grads = stack_backward(rng.standard_normal(out.shape), cache)
    return np.sqrt([sum_of_squares(g) for g in grads])    # analytic under the complex step
