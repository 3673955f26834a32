"""Gradient clipping over a dict of gradient arrays.

:func:`clip_grad_norm` rescales all gradients together when their global norm exceeds
``max_norm``, by PyTorch's factor max_norm / (total_norm + 1e-6), which keeps the direction
(PyTorch's ``clip_grad_norm_`` applies that factor whenever it is below 1, i.e. already for
total_norm > max_norm - 1e-6; this function leaves a norm at most max_norm unchanged);
:func:`clip_grad_value` clips every entry to [-c, c], which does not.
"""

from __future__ import annotations

import numpy as np

from ._validate import float_array, real_number, scalar, sum_of_squares

__all__ = ["global_norm", "clip_grad_norm", "clip_grad_value"]


def _grads(grads) -> dict:
    if not isinstance(grads, dict) or not grads:
        raise ValueError("grads must be a non-empty dict of arrays")
    return {k: float_array(v, f"grads['{k}']") for k, v in grads.items()}


def global_norm(grads: dict) -> float:
    """sqrt(sum over all arrays and entries of g^2): the norm of all gradients as one vector."""
    return scalar(np.sqrt(sum(sum_of_squares(g) for g in _grads(grads).values())))


def clip_grad_norm(grads: dict, max_norm: float) -> tuple[dict[str, np.ndarray], float]:
    """g <- g * max_norm / (total_norm + 1e-6) for every array when total_norm > max_norm.

    Returns (clipped, total_norm), total_norm measured before clipping. New arrays; the
    input dict is not modified. As in PyTorch, ``max_norm`` 0 zeroes every gradient and
    ``max_norm`` inf leaves them unchanged; a negative or NaN one is refused.
    """
    max_norm = real_number(max_norm, "max_norm", nonnegative=True, infinite=True)
    grads = _grads(grads)
    total = global_norm(grads)
    scale = max_norm / (total + 1e-6) if np.real(total) > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}, total


def clip_grad_value(grads: dict, clip_value: float) -> dict[str, np.ndarray]:
    """Each entry clipped to [-clip_value, clip_value] independently."""
    c = real_number(clip_value, "clip_value", positive=True)
    return {k: np.clip(g, -c, c) for k, g in _grads(grads).items()}
