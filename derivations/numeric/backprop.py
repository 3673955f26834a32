"""Affine layers and the two-layer network, forward and backward, batched.

Conventions (docs/notation.md): a batch is the rows of ``x`` (N, D_in); a weight matrix has
shape (D_out, D_in) as in the column-vector math W x; so the batched layer is
``out = x W^T + b``. The two-layer network has n inputs, a hidden layer of width m and p
outputs: W1 (m, n), b1 (m,), W2 (p, m), b2 (p,); X (N, n), its hidden activations H (N, m),
Y (N, p). Every backward returns gradients in the order of its forward's arguments, each
with the shape of its argument.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import activations as activations_np
from ._validate import cache_of, float_array, frozen_copies, ndim, scalar, sum_of_squares
from .hadamard import elementwise_backward

__all__ = ["AffineCache", "AffineGrads", "affine_forward", "affine_backward", "ACTIVATION_PAIRS",
           "activation_pair", "two_layer_forward", "two_layer_loss_and_grads", "two_layer_init",
           "PARAMS", "LayerCache", "mlp_init", "mlp_forward", "mlp_backward", "cached_bytes"]

#: Activation name -> (f, f'), the options of the two-layer network.
ACTIVATION_PAIRS = {
    "sigmoid": (activations_np.sigmoid, activations_np.sigmoid_grad),
    "tanh": (activations_np.tanh, activations_np.tanh_grad),
    "relu": (activations_np.relu, activations_np.relu_grad),
}
#: The parameters of the two-layer network, in the order of the forward pass.
PARAMS = ("W1", "b1", "W2", "b2")


class AffineCache(NamedTuple):
    """What :func:`affine_backward` needs: the input (N, D_in) and the weights (D_out, D_in)."""

    x: np.ndarray
    W: np.ndarray


class AffineGrads(NamedTuple):
    """The gradients of :func:`affine_backward`, by name: dx (N, D_in), dW (D_out, D_in),
    db (D_out,)."""

    dx: np.ndarray
    dW: np.ndarray
    db: np.ndarray


def affine_forward(x: ArrayLike, W: ArrayLike, b: ArrayLike) -> tuple[np.ndarray, AffineCache]:
    """out = x W^T + b for x (N, D_in), W (D_out, D_in), b (D_out,); returns (out, cache)."""
    x, W, b = float_array(x, "x"), float_array(W, "W"), float_array(b, "b")
    ndim(x, "x", 2, "(N, D_in)")
    ndim(W, "W", 2, "(D_out, D_in)")
    ndim(b, "b", 1, "(D_out,)")
    if W.shape[1] != x.shape[1]:
        raise ValueError(f"W must have shape (D_out, D_in) with D_in = x.shape[1] = {x.shape[1]}, "
                         f"got W {W.shape}")
    if b.shape[0] != W.shape[0]:
        raise ValueError(f"b must have shape (D_out,) = ({W.shape[0]},), got {b.shape}")
    return x @ W.T + b, AffineCache(*frozen_copies(x, W))


def affine_backward(dout: ArrayLike, cache: AffineCache) -> AffineGrads:
    """AffineGrads: dx = dout W (N, D_in), dW = dout^T x (D_out, D_in), db = dout^T 1 (D_out,)."""
    cache = cache_of(cache, AffineCache, "affine_forward")
    dout = float_array(dout, "dout")
    expected = (cache.x.shape[0], cache.W.shape[0])
    if dout.shape != expected:
        raise ValueError(f"dout must have shape (N, D_out) = {expected}, got {dout.shape}")
    # every gradient in the common dtype of dout and the cache (dout @ W, dout^T x and the sum
    # would each take their own pair's)
    dtype = np.result_type(dout, cache.x, cache.W)
    return AffineGrads(*(g.astype(dtype, copy=False) for g in (dout @ cache.W, dout.T @ cache.x, dout.sum(axis=0))))


def _check_params(params) -> dict:
    if not isinstance(params, dict) or set(params) != set(PARAMS):
        got = sorted(params) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"params must be a dict with keys {', '.join(PARAMS)}, got {got}")
    p = {k: float_array(params[k], f"params['{k}']") for k in PARAMS}
    ndim(p["W1"], "params['W1']", 2, "(m, n)")
    ndim(p["W2"], "params['W2']", 2, "(p, m)")
    (m, _), p_out = p["W1"].shape, p["W2"].shape[0]
    for k, shape in (("b1", (m,)), ("W2", (p_out, m)), ("b2", (p_out,))):
        if p[k].shape != shape:
            raise ValueError(f"params['{k}'] must have shape {shape} to match params['W1'] "
                             f"{p['W1'].shape}, got {p[k].shape}")
    return p


def _check_X(X, W1: np.ndarray) -> np.ndarray:
    X = float_array(X, "X")
    ndim(X, "X", 2, "(N, n)")
    if X.shape[1] != W1.shape[1]:
        raise ValueError(f"X must have n = {W1.shape[1]} columns (params['W1'] is {W1.shape}), got {X.shape}")
    return X


def activation_pair(activation: str) -> tuple[Callable[[ArrayLike], np.ndarray], Callable[[ArrayLike], np.ndarray]]:
    """(f, f') of the named activation (a key of ACTIVATION_PAIRS), or an error naming it."""
    if activation not in ACTIVATION_PAIRS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATION_PAIRS)}, got {activation!r}")
    return ACTIVATION_PAIRS[activation]


def two_layer_forward(params: dict, X: ArrayLike, activation: str = "sigmoid") -> np.ndarray:
    """Y_hat = f(X W1^T + b1) W2^T + b2 for X (N, n); returns Y_hat (N, p)."""
    p = _check_params(params)
    f, _ = activation_pair(activation)
    Z1, _ = affine_forward(_check_X(X, p["W1"]), p["W1"], p["b1"])
    Y_hat, _ = affine_forward(f(Z1), p["W2"], p["b2"])
    return Y_hat


def two_layer_loss_and_grads(params: dict, X: ArrayLike, Y: ArrayLike,
                             activation: str = "sigmoid") -> tuple[float, dict[str, np.ndarray]]:
    """Loss (1/N) sum_n 1/2 ||y_hat_n - y_n||^2 and its gradients, keyed like ``params``.

    params: W1 (m, n), b1 (m,), W2 (p, m), b2 (p,); X (N, n); Y (N, p).
    The 1/N enters once, in dL/dY_hat = (Y_hat - Y) / N; every other gradient is a sum
    over the batch.
    """
    p = _check_params(params)
    f, f_grad = activation_pair(activation)
    Z1, cache1 = affine_forward(_check_X(X, p["W1"]), p["W1"], p["b1"])                # (N, m)
    H = f(Z1)                                                       # (N, m)
    Y_hat, cache2 = affine_forward(H, p["W2"], p["b2"])             # (N, p)
    Y = float_array(Y, "Y")
    if Y.shape != Y_hat.shape:
        raise ValueError(f"Y must have shape (N, p) = {Y_hat.shape}, got {Y.shape}")
    N = Y.shape[0]
    diff = Y_hat - Y
    loss = 0.5 * sum_of_squares(diff) / N
    dH, dW2, db2 = affine_backward(diff / N, cache2)               # Delta2 = (Y_hat - Y) / N
    dZ1 = elementwise_backward(dH, Z1, f_grad)                      # Delta1 = (Delta2 W2) ⊙ f'(Z1)
    # the first layer's dL/dX is not needed: only its weight and bias gradients
    dW1, db1 = dZ1.T @ cache1.x, dZ1.sum(axis=0)
    return scalar(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def two_layer_init(n: int, m: int, p: int, rng: np.random.Generator,
                   scale: float | None = None) -> dict[str, np.ndarray]:
    """Random parameters for n inputs, m hidden units and p outputs: weights N(0, scale^2)
    (default 1/sqrt(fan_in)), biases zero."""
    s1 = 1 / np.sqrt(n) if scale is None else scale
    s2 = 1 / np.sqrt(m) if scale is None else scale
    return {"W1": s1 * rng.standard_normal((m, n)), "b1": np.zeros(m),
            "W2": s2 * rng.standard_normal((p, m)), "b2": np.zeros(p)}


# ---------------------------------------------------------------- d layers: the general algorithm

class LayerCache(NamedTuple):
    """What layer l of :func:`mlp_forward` keeps for :func:`mlp_backward`: its affine cache
    (the layer's input A_{l-1} and W_l) and its pre-activation Z_l (N, n_l)."""

    affine: AffineCache
    Z: np.ndarray


def _check_layers(layers) -> list[tuple[np.ndarray, np.ndarray]]:
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError("layers must be a non-empty list of (W, b) pairs, "
                         f"got {type(layers).__name__} {layers!r:.60}")
    out = []
    for l, pair in enumerate(layers, start=1):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"layers[{l - 1}] must be a pair (W, b), got {type(pair).__name__}")
        W, b = float_array(pair[0], f"layers[{l - 1}][0] (W{l})"), float_array(pair[1], f"layers[{l - 1}][1] (b{l})")
        ndim(W, f"W{l}", 2, f"(n_{l}, n_{l - 1})")
        if out and W.shape[1] != out[-1][0].shape[0]:
            raise ValueError(f"W{l} must have n_{l - 1} = {out[-1][0].shape[0]} columns "
                             f"(W{l - 1} has that many rows), got {W.shape}")
        out.append((W, b))
    return out


def mlp_forward(layers: Sequence[tuple[ArrayLike, ArrayLike]], X: ArrayLike, activation: str = "tanh") -> tuple[np.ndarray, list[LayerCache]]:
    """A_d for A_0 = X (N, n_0), Z_l = A_{l-1} W_l^T + b_l, A_l = f(Z_l) for l < d and
    A_d = Z_d; ``layers`` is [(W_1, b_1), ..., (W_d, b_d)], W_l (n_l, n_{l-1}), b_l (n_l,).
    Returns A_d (N, n_d) and the per-layer caches that :func:`mlp_backward` reads."""
    layers = _check_layers(layers)
    f, _ = activation_pair(activation)
    A, caches = float_array(X, "X"), []
    ndim(A, "X", 2, "(N, n_0)")
    if A.shape[1] != layers[0][0].shape[1]:
        raise ValueError(f"X must have n_0 = {layers[0][0].shape[1]} columns (W1 is {layers[0][0].shape}), got {A.shape}")
    for l, (W, b) in enumerate(layers, start=1):
        Z, affine = affine_forward(A, W, b)          # keeps A_{l-1} and W_l
        caches.append(LayerCache(affine, Z))         # ... and Z_l, for f'(Z_l)
        A = Z if l == len(layers) else f(Z)          # the output layer is affine
    return A, caches


def mlp_backward(dA: ArrayLike, caches: list[LayerCache], activation: str = "tanh"
                 ) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """From dL/dA_d (N, n_d), layer by layer from the last: Delta_d = dL/dA_d,
    Delta_l = (Delta_{l+1} W_{l+1}) * f'(Z_l), dL/dW_l = Delta_l^T A_{l-1},
    dL/db_l = Delta_l^T 1. Returns dL/dX (N, n_0) and [(dL/dW_l, dL/db_l) for l = 1..d]."""
    _, f_grad = activation_pair(activation)
    if not isinstance(caches, list) or not caches:
        raise ValueError("caches must be the non-empty list mlp_forward returned")
    dA = float_array(dA, "dA")
    expected = cache_of(caches[-1], LayerCache, "mlp_forward").Z.shape
    if dA.shape != expected:
        raise ValueError(f"dA must have shape (N, n_d) = {expected}, the output's, got {dA.shape}")
    grads = []
    for l in range(len(caches), 0, -1):
        cache = cache_of(caches[l - 1], LayerCache, "mlp_forward")
        dZ = dA if l == len(caches) else elementwise_backward(dA, cache.Z, f_grad)
        dA, dW, db = affine_backward(dZ, cache.affine)   # dA is dL/dA_{l-1}
        grads.append((dW, db))
    return dA, grads[::-1]


def mlp_init(widths: Sequence[int], rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Layers for widths (n_0, ..., n_d): W_l (n_l, n_{l-1}) with entries N(0, 1/n_{l-1}),
    b_l = 0."""
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must be at least two positive sizes (n_0, ..., n_d), got {widths}")
    return [(rng.standard_normal((m, n)) / np.sqrt(n), np.zeros(m)) for n, m in zip(widths, widths[1:])]


def cached_bytes(caches: list[LayerCache]) -> dict[str, int]:
    """The bytes the caches of :func:`mlp_forward` hold: "activations" (each layer's input
    A_{l-1} and pre-activation Z_l, which grow with the batch) and "weights" (the copies of W_l)."""
    return {"activations": sum(c.affine.x.nbytes + c.Z.nbytes for c in caches),
            "weights": sum(c.affine.W.nbytes for c in caches)}
