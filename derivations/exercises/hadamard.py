"""Exercises of the Hadamard chapter (hadamard.html): the backward passes of elementwise layers,
of two of them in a row and of a gate, and the product rule of the Hadamard product."""

from __future__ import annotations

import numpy as np

from .. import verify
from ..numeric import activations as activations_np
from . import Exercise, Mistake, gradient_witness

#: The sizes (N, n) at which an answer is tried.
SIZES = ((4, 3), (1, 6), (5, 2))
#: The sizes (n, k) of the product rule's Jacobians.
JACOBIAN_SIZES = ((4, 3), (2, 5), (6, 1))


def _inputs(rng, size):
    return rng.standard_normal(size), 2 * rng.standard_normal(size)


def _gate_inputs(rng, size):
    return rng.standard_normal(size), 2 * rng.standard_normal(size), rng.standard_normal(size)


def _jacobian_inputs(rng, size):
    n, k = size
    return rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal((n, k)), rng.standard_normal((n, k))


def dz(dh, z):
    """dL/dz = dL/dh ⊙ sigma'(z), sigma' = sigma (1 - sigma), entry by entry; the shape of z."""
    s = 1 / (1 + np.exp(-z))
    return dh * s * (1 - s)


def dz_chain(dh, z):
    """dL/dz for h = tanh(sigma(z)): dL/dh ⊙ tanh'(sigma(z)) ⊙ sigma'(z); the shape of z."""
    s = 1 / (1 + np.exp(-z))
    return dh * (1 - np.tanh(s) ** 2) * s * (1 - s)


def ds(dh, s, c):
    """dL/ds for the gate h = sigma(s) ⊙ c: dL/dh ⊙ c ⊙ sigma'(s); the shape of s."""
    g = 1 / (1 + np.exp(-s))
    return dh * c * g * (1 - g)


def jacobian(a, b, Ja, Jb):
    """The Jacobian of a(s) ⊙ b(s): diag(b) Ja + diag(a) Jb, rows scaled by b and by a; (n, k)."""
    return b[:, None] * Ja + a[:, None] * Jb


def _product_rule_by_complex_step(answer) -> bool:
    """For a(s) = tanh(A s), b(s) = sin(B s) at a random s (k = 3, n = 4), the answer's Jacobian,
    given a, b and their Jacobians, passes check_vjp against the complex step of a(s) ⊙ b(s)."""
    rng = np.random.default_rng(3)
    A, B, s = rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    a, b = np.tanh(A @ s), np.sin(B @ s)
    Ja, Jb = (1 - a ** 2)[:, None] * A, np.cos(B @ s)[:, None] * B
    J = np.asarray(answer(a, b, Ja, Jb), dtype=float)
    if J.shape != (4, 3):
        return False
    return verify.check_vjp(lambda v: np.tanh(A @ v) * np.sin(B @ v), lambda g: J.T @ g, s,
                            method="complex-step", rng=rng).passed


_DH = "$\\partial L / \\partial h$ (`dh`, the shape of $h$)"

EXERCISES = (
    Exercise(
        id="hadamard.sigmoid_layer_dz", chapter="hadamard", title="An elementwise layer's backward pass",
        statement="For the layer $h = \\sigma(z)$, applied entry by entry to $z \\in \\mathbb{R}^{N \\times n}$, "
                  "write `dz(dh, z)` returning $\\partial L / \\partial z$ $(N \\times n)$ from "
                  + _DH + ".",
        hint="The layer's Jacobian is diagonal; its product with $\\partial L / \\partial h$ is a "
             "Hadamard product.",
        signature="dz(dh, z) -> array (N, n)", solution=dz, inputs=_inputs, sizes=SIZES,
        witness=gradient_witness(lambda dh, z: np.sum(dh / (1 + np.exp(-z))), 1, _inputs, (3, 4)),
        mistakes=(
            Mistake("f' at the output", "sigma' is evaluated at h = sigma(z), not at the "
                    "pre-activation z", "hadamard.html#pitfalls",
                    lambda dh, z: dz(dh, activations_np.sigmoid(z))),
            Mistake("sigma for sigma'", "the sigmoid itself is used where its derivative "
                    "sigma(1 - sigma) belongs", "activations.html#the-sigmoid",
                    lambda dh, z: dh * activations_np.sigmoid(z)),
            Mistake("tanh's derivative", "1 - sigma^2 has the form of tanh's derivative, "
                    "1 - tanh^2; the sigmoid's is sigma(1 - sigma)", "activations.html#the-sigmoid",
                    lambda dh, z: dh * (1 - activations_np.sigmoid(z) ** 2)),
        )),
    Exercise(
        id="hadamard.two_layers_dz", chapter="hadamard", title="Two elementwise layers in a row",
        statement="For $h = \\tanh(\\sigma(z))$, the sigmoid and then tanh applied entry by entry to "
                  "$z \\in \\mathbb{R}^{N \\times n}$, write `dz_chain(dh, z)` returning "
                  "$\\partial L / \\partial z$ $(N \\times n)$ from " + _DH + ".",
        hint="The Jacobian is the product $\\operatorname{diag}(\\tanh'(\\sigma(z)))\\,\\operatorname{diag}(\\sigma'(z))$, "
             "which is $\\operatorname{diag}(u)$ with $u = \\tanh'(\\sigma(z)) \\odot \\sigma'(z)$: each derivative at its "
             "own layer's input.",
        signature="dz_chain(dh, z) -> array (N, n)", solution=dz_chain, inputs=_inputs, sizes=SIZES,
        difficulty=2,
        witness=gradient_witness(lambda dh, z: np.sum(dh * np.tanh(1 / (1 + np.exp(-z)))), 1, _inputs, (3, 4)),
        mistakes=(
            Mistake("tanh' at z", "tanh' is evaluated at z; its layer's input is sigma(z)",
                    "hadamard.html#hadamard-two-rules", lambda dh, z: dh * activations_np.tanh_grad(z) * activations_np.sigmoid_grad(z)),
            Mistake("tanh' at the output", "tanh' is evaluated at the output h = tanh(sigma(z)); its "
                    "layer's input is sigma(z)", "hadamard.html#pitfalls",
                    lambda dh, z: dh * activations_np.tanh_grad(np.tanh(activations_np.sigmoid(z))) * activations_np.sigmoid_grad(z)),
            Mistake("sigma' missing", "only the outer layer's derivative: the chain rule multiplies "
                    "by the inner layer's sigma'(z) too", "hadamard.html#hadamard-two-rules",
                    lambda dh, z: dh * activations_np.tanh_grad(activations_np.sigmoid(z))),
        )),
    Exercise(
        id="hadamard.gate_ds", chapter="hadamard", title="A gate's backward pass",
        statement="A gate multiplies a signal $c$ by $\\sigma(s)$ entry by entry: $h = \\sigma(s) \\odot c$, "
                  "with $s, c \\in \\mathbb{R}^{N \\times n}$ (as the LSTM's gates do). Write "
                  "`ds(dh, s, c)` returning $\\partial L / \\partial s$ $(N \\times n)$ from " + _DH + ".",
        hint="Entry by entry $h_{ij} = \\sigma(s_{ij})\\, c_{ij}$, and $c$ does not depend on $s$.",
        signature="ds(dh, s, c) -> array (N, n)", solution=ds, inputs=_gate_inputs, sizes=SIZES,
        witness=gradient_witness(lambda dh, s, c: np.sum(dh * c / (1 + np.exp(-s))), 1, _gate_inputs, (3, 4)),
        mistakes=(
            Mistake("dL/dc", "dL/dh ⊙ sigma(s) is the gradient with respect to c, the other factor",
                    "hadamard.html#hadamard-two-rules", lambda dh, s, c: dh * activations_np.sigmoid(s)),
            Mistake("c missing", "the factor c is missing: it multiplies sigma(s) in the forward "
                    "pass, so it multiplies sigma'(s) in the backward pass",
                    "hadamard.html#hadamard-two-rules", lambda dh, s, c: dh * activations_np.sigmoid_grad(s)),
            Mistake("sigma' missing", "the sigmoid's derivative is missing: dL/dh ⊙ c is the "
                    "gradient with respect to the gate's value sigma(s), not its pre-activation s",
                    "hadamard.html#why-it-appears-in-backpropagation", lambda dh, s, c: dh * c),
        )),
    Exercise(
        id="hadamard.product_jacobian", chapter="hadamard", title="The product rule of the Hadamard product",
        statement="For $h = a(s) \\odot b(s)$, with $a, b : \\mathbb{R}^k \\to \\mathbb{R}^n$ and their "
                  "Jacobians $J_a, J_b \\in \\mathbb{R}^{n \\times k}$ at a point $s$, write "
                  "`jacobian(a, b, Ja, Jb)` returning the Jacobian $J_h \\in \\mathbb{R}^{n \\times k}$ "
                  "from the values `a`, `b` $(n,)$ and `Ja`, `Jb` $(n \\times k)$.",
        hint="Entry $i$ is $h_i = a_i(s)\\, b_i(s)$: the product rule, row by row; "
             "$\\operatorname{diag}(v)\\, J$ scales the rows of $J$ by $v$.",
        signature="jacobian(a, b, Ja, Jb) -> array (n, k)", solution=jacobian, inputs=_jacobian_inputs,
        sizes=JACOBIAN_SIZES, difficulty=2, witness=_product_rule_by_complex_step,
        mistakes=(
            Mistake("factors swapped", "each Jacobian is scaled by its own function: the product rule "
                    "scales Ja by b and Jb by a", "hadamard.html#hadamard-two-rules",
                    lambda a, b, Ja, Jb: a[:, None] * Ja + b[:, None] * Jb),
            Mistake("one term", "only one term of the product rule: b and a both depend on s",
                    "hadamard.html#hadamard-two-rules", lambda a, b, Ja, Jb: b[:, None] * Ja),
            Mistake("Hadamard of the Jacobians", "Ja ⊙ Jb has the right shape but is not the "
                    "derivative of a product: the product rule adds two terms",
                    "hadamard.html#hadamard-two-rules", lambda a, b, Ja, Jb: Ja * Jb),
        )),
)
