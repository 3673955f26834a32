"""Weight initialization: the Xavier/Glorot and He variances, and samplers.

Weights have shape (n_out, n_in), as everywhere in the book.
"""

from __future__ import annotations

import numpy as np

from ._validate import real_number

__all__ = ["xavier_variance", "he_variance", "xavier_normal", "he_normal", "normal_weights"]


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


def xavier_normal(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """W (n_out, n_in) ~ N(0, 2 / (n_in + n_out)) (Glorot and Bengio, 2010)."""
    return normal_weights(n_in, n_out, xavier_variance(n_in, n_out), rng)


def he_normal(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """W (n_out, n_in) ~ N(0, 2 / n_in) (He et al., 2015)."""
    return normal_weights(n_in, n_out, he_variance(n_in), rng)
