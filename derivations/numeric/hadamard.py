"""The Hadamard (elementwise) product and the backward pass of an elementwise map.

NumPy's ``*`` broadcasts: a (3, 1) column times a (1, 3) row is a (3, 3) outer product,
not an error. :func:`hadamard` refuses operands of different shapes, which is what the
mathematics requires.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.typing import ArrayLike

from ._validate import float_array, same_shape

__all__ = ["hadamard", "elementwise_backward"]


def hadamard(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """(a ⊙ b)_ij = a_ij b_ij for a and b of the same shape (no broadcasting)."""
    a, b = float_array(a, "a"), float_array(b, "b")
    same_shape(a, "a", b, "b")
    return a * b


def elementwise_backward(dout: ArrayLike, z: ArrayLike, f_grad: Callable) -> np.ndarray:
    """dL/dz = dL/dh ⊙ f'(z) for h = f(z) elementwise: the VJP of a diagonal Jacobian.

    ``dout`` is dL/dh, ``z`` the pre-activation (same shape), ``f_grad`` the elementwise
    derivative, e.g. :func:`derivations.numeric.activations.sigmoid_grad`.
    """
    dout, z = float_array(dout, "dout"), float_array(z, "z")
    same_shape(dout, "dout", z, "z")
    return dout * f_grad(z)
