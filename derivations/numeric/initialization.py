"""Weight initialization: the Xavier/Glorot and He variances, and samplers.

Weights have shape (n_out, n_in), as everywhere in the book: the fan-in n_in is the number
of columns, the fan-out n_out the number of rows (PyTorch's ``nn.Linear.weight`` is stored
the same way, (out_features, in_features)). A sampler draws independent zero-mean entries of
standard deviation gain / sqrt(fan), the fan chosen by ``mode``: ``"fan_in"`` (n_in, keeps the
forward pass's second moment), ``"fan_out"`` (n_out, keeps the backward pass's) or
``"fan_avg"`` ((n_in + n_out) / 2, Xavier's compromise).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from numpy.typing import ArrayLike

from . import activations as activations_np
from ._validate import float_array, ndim, real_number

__all__ = ["xavier_variance", "he_variance", "xavier_normal", "he_normal", "normal_weights",
           "FAN_MODES", "calculate_gain", "fans", "fan", "init_std", "uniform_bound",
           "normal_init", "uniform_init", "xavier_uniform", "he_uniform",
           "tanh_stack_forward", "tanh_stack_backward"]

#: The fans a sampler can scale by.
FAN_MODES = ("fan_in", "fan_out", "fan_avg")


def _fan(n, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return int(n)


def xavier_variance(n_in: int, n_out: int) -> float:
    """Var(w) = 2 / (n_in + n_out): keeps activation and gradient variance on average (tanh)."""
    return 2.0 / (_fan(n_in, "n_in") + _fan(n_out, "n_out"))


def he_variance(n_in: int) -> float:
    """Var(w) = 2 / n_in: keeps the second moment of ReLU activations from layer to layer."""
    return 2.0 / _fan(n_in, "n_in")


def normal_weights(n_in: int, n_out: int, variance: float, rng: np.random.Generator) -> np.ndarray:
    """W of shape (n_out, n_in) with independent N(0, variance) entries."""
    variance = real_number(variance, "variance", nonnegative=True)
    return np.sqrt(variance) * rng.standard_normal((_fan(n_out, "n_out"), _fan(n_in, "n_in")))


# ------------------------------------------------------------------ gains, fans, modes
def calculate_gain(nonlinearity: str, negative_slope: float = 0.01) -> float:
    """The gain g of Var(w) = g^2 / fan: 1 for "linear", sqrt(2) for "relu",
    sqrt(2 / (1 + a^2)) for "leaky_relu" (slope a), and 5/3 for "tanh", PyTorch's recommended
    value, which its documentation gives without a derivation (the book's page compares it)."""
    if nonlinearity == "linear":
        return 1.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        a = real_number(negative_slope, "negative_slope")
        return math.sqrt(2.0 / (1.0 + a * a))
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    raise ValueError(f"nonlinearity must be 'linear', 'relu', 'leaky_relu' or 'tanh', got {nonlinearity!r}")


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape ``(n_out, n_in, *kernel)``: fan_in = n_in times the
    kernel's size (shape[1], not shape[0]), fan_out = n_out times it (PyTorch's rule)."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"a weight has shape (n_out, n_in, *kernel), at least 2 dimensions, got {shape}")
    for k, s in enumerate(shape):
        _fan(s, f"shape[{k}]")
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def fan(n_in: int, n_out: int, mode: str = "fan_in") -> float:
    """n_in ("fan_in"), n_out ("fan_out") or (n_in + n_out) / 2 ("fan_avg")."""
    n_in, n_out = _fan(n_in, "n_in"), _fan(n_out, "n_out")
    if mode == "fan_in":
        return float(n_in)
    if mode == "fan_out":
        return float(n_out)
    if mode == "fan_avg":
        return (n_in + n_out) / 2.0
    raise ValueError(f"mode must be one of {', '.join(FAN_MODES)}, got {mode!r}")


def init_std(n_in: int, n_out: int, *, mode: str = "fan_in", gain: float = 1.0) -> float:
    """The weights' standard deviation gain / sqrt(fan) (:func:`fan`)."""
    gain = real_number(gain, "gain", nonnegative=True)
    return gain / math.sqrt(fan(n_in, n_out, mode))


def uniform_bound(n_in: int, n_out: int, *, mode: str = "fan_in", gain: float = 1.0) -> float:
    """The a of U(-a, a) with the standard deviation of :func:`init_std`: Var U(-a, a) = a^2/3,
    so a = sqrt(3) std = gain sqrt(3 / fan) (not the standard deviation itself)."""
    return math.sqrt(3.0) * init_std(n_in, n_out, mode=mode, gain=gain)


def normal_init(n_in: int, n_out: int, rng: np.random.Generator, *, mode: str = "fan_in",
                gain: float = 1.0) -> np.ndarray:
    """W (n_out, n_in) with independent N(0, (gain / sqrt(fan))^2) entries."""
    std = init_std(n_in, n_out, mode=mode, gain=gain)
    return std * rng.standard_normal((int(n_out), int(n_in)))


def uniform_init(n_in: int, n_out: int, rng: np.random.Generator, *, mode: str = "fan_in",
                 gain: float = 1.0) -> np.ndarray:
    """W (n_out, n_in) with independent U(-a, a) entries, a = gain sqrt(3 / fan)
    (:func:`uniform_bound`): the same variance as :func:`normal_init`."""
    a = uniform_bound(n_in, n_out, mode=mode, gain=gain)
    return rng.uniform(-a, a, (int(n_out), int(n_in)))


def xavier_normal(n_in: int, n_out: int, rng: np.random.Generator, *, gain: float = 1.0) -> np.ndarray:
    """W (n_out, n_in) ~ N(0, gain^2 2 / (n_in + n_out)) (Glorot and Bengio, 2010)."""
    return normal_init(n_in, n_out, rng, mode="fan_avg", gain=gain)


def xavier_uniform(n_in: int, n_out: int, rng: np.random.Generator, *, gain: float = 1.0) -> np.ndarray:
    """W (n_out, n_in) ~ U(-a, a), a = gain sqrt(6 / (n_in + n_out)) (Glorot and Bengio, 2010)."""
    return uniform_init(n_in, n_out, rng, mode="fan_avg", gain=gain)


def he_normal(n_in: int, n_out: int, rng: np.random.Generator, *, mode: str = "fan_in",
              negative_slope: float = 0.0) -> np.ndarray:
    """W (n_out, n_in) ~ N(0, 2 / ((1 + a^2) fan)), a the leaky ReLU's slope (0: ReLU,
    variance 2 / n_in) (He et al., 2015)."""
    return normal_init(n_in, n_out, rng, mode=mode, gain=calculate_gain("leaky_relu", negative_slope))


def he_uniform(n_in: int, n_out: int, rng: np.random.Generator, *, mode: str = "fan_in",
               negative_slope: float = 0.0) -> np.ndarray:
    """W (n_out, n_in) ~ U(-a, a), a = sqrt(6 / ((1 + slope^2) fan)) (ReLU: sqrt(6 / n_in))."""
    return uniform_init(n_in, n_out, rng, mode=mode, gain=calculate_gain("leaky_relu", negative_slope))


# ------------------------------------------------------------------ a deep tanh stack
def _stack_weights(weights, width: int) -> list[np.ndarray]:
    out = []
    for k, W in enumerate(weights):
        W = float_array(W, f"weights[{k}]")
        ndim(W, f"weights[{k}]", 2, "(n_out, n_in)")
        if W.shape[1] != width:
            raise ValueError(f"weights[{k}] must have {width} columns (its layer's fan-in), got {W.shape}")
        out.append(W)
        width = W.shape[0]
    return out


def tanh_stack_forward(x: ArrayLike, weights: Sequence[ArrayLike]) -> list[np.ndarray]:
    """The activations [h_0, ..., h_L] of h_l = tanh(h_{l-1} W_l^T) (no biases) for a batch x
    (N, n_0) and weights W_l of shape (n_l, n_{l-1})."""
    x = float_array(x, "x")
    ndim(x, "x", 2, "(N, n_0)")
    hs = [x]
    for W in _stack_weights(weights, x.shape[1]):
        hs.append(activations_np.tanh(hs[-1] @ W.T))
    return hs


def tanh_stack_backward(dout: ArrayLike, hs: Sequence[np.ndarray], weights: Sequence[ArrayLike]) -> list[np.ndarray]:
    """[dL/dh_0, ..., dL/dh_L] from dout = dL/dh_L and the forward's activations: through
    tanh, dL/dz_l = dL/dh_l (1 - h_l^2); through the layer, dL/dh_{l-1} = dL/dz_l W_l."""
    if not isinstance(hs, (list, tuple)) or not hs:
        raise ValueError("hs must be the non-empty list of activations tanh_stack_forward returned")
    hs = [float_array(h, f"hs[{k}]") for k, h in enumerate(hs)]
    for k, h in enumerate(hs):
        ndim(h, f"hs[{k}]", 2, "(N, n_l)")
    weights = _stack_weights(weights, hs[0].shape[1])
    if len(hs) != len(weights) + 1 or any(h.shape != (hs[0].shape[0], W.shape[0]) for h, W in zip(hs[1:], weights)):
        raise ValueError(f"hs must hold h_0 and one activation (N, n_l) per weight: shapes "
                         f"{[h.shape for h in hs]} for weights {[W.shape for W in weights]}")
    dout = float_array(dout, "dout")
    if dout.shape != hs[-1].shape:
        raise ValueError(f"dout must have the shape of h_L, {hs[-1].shape}, got {dout.shape}")
    grads = [dout]
    for W, h in zip(reversed(weights), reversed(hs[1:])):
        grads.append((grads[-1] * (1 - h * h)) @ W)
    return grads[::-1]
