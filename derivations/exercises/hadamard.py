"""Exercises of the Hadamard chapter (hadamard.html): an elementwise layer's backward pass."""

from __future__ import annotations

import numpy as np

from . import Exercise, Mistake, gradient_witness

#: The sizes (N, D) at which an answer is tried.
SIZES = ((4, 3), (1, 6), (5, 2))


def _inputs(rng, size):
    return rng.standard_normal(size), 2 * rng.standard_normal(size)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def dz(dh, z):
    """dL/dz = dL/dh ⊙ sigma'(z), sigma' = sigma (1 - sigma), entry by entry; the shape of z."""
    s = _sigmoid(z)
    return dh * s * (1 - s)


EXERCISES = (
    Exercise(
        id="hadamard.sigmoid_layer_dz", chapter="hadamard", title="An elementwise layer's backward pass",
        statement="For the layer h = sigmoid(z), applied entry by entry to z (N, D), write "
                  "`dz(dh, z)` returning dL/dz from dh = dL/dh (N, D).",
        hint="The layer's Jacobian is diagonal; its product with dL/dh is a Hadamard product.",
        signature="dz(dh, z) -> array (N, D)", solution=dz, inputs=_inputs, sizes=SIZES,
        witness=gradient_witness(lambda dh, z: np.sum(dh / (1 + np.exp(-z))), 1, _inputs, (3, 4)),
        mistakes=(
            Mistake("f' at the output", "sigma' is evaluated at h = sigma(z), not at the "
                    "pre-activation z", "hadamard.html#pitfalls",
                    lambda dh, z: dz(dh, _sigmoid(z))),
            Mistake("sigma for sigma'", "the sigmoid itself is used where its derivative "
                    "sigma(1 - sigma) belongs", "activations.html#the-sigmoid",
                    lambda dh, z: dh * _sigmoid(z)),
            Mistake("tanh's derivative", "1 - sigma^2 has the form of tanh's derivative, "
                    "1 - tanh^2; the sigmoid's is sigma(1 - sigma)", "activations.html#the-sigmoid",
                    lambda dh, z: dh * (1 - _sigmoid(z) ** 2)),
        )),
)
