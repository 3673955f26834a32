"""Exercises of the losses chapter (losses.html): softmax cross-entropy's gradient in NumPy.

The mean softmax cross-entropy over a batch: logits Z (N, C), targets Q (N, C) with rows on
the simplex, L = -(1/N) sum_n sum_c q_nc log softmax(z_n)_c.
"""

from __future__ import annotations

import numpy as np

from . import Exercise, Mistake, gradient_witness

#: The sizes (N, C) at which an answer is tried.
SIZES = ((4, 3), (1, 5), (6, 2))


def _inputs(rng, size):
    N, C = size
    Q = rng.random((N, C))
    return rng.standard_normal((N, C)) * 2, Q / Q.sum(axis=1, keepdims=True)


def _softmax(Z):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _loss(Z, Q):
    """The mean softmax cross-entropy, complex-step safe (the shift by the row maximum uses its real part)."""
    shifted = Z - np.max(Z.real, axis=1, keepdims=True)
    return -np.sum(Q * (shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True)))) / len(Z)


def dZ(Z, Q):
    """dL/dZ = (softmax(Z) - Q)/N, (N, C)."""
    return (_softmax(Z) - Q) / len(Z)


EXERCISES = (
    Exercise(
        id="losses.softmax_ce_dZ", chapter="losses", title="Softmax cross-entropy's gradient",
        statement="Write `dZ(Z, Q)` returning dL/dZ, shape (N, C), for the mean softmax "
                  "cross-entropy L = -(1/N) sum_n sum_c Q_nc log softmax(Z_n)_c; Z (N, C) are "
                  "logits, each row of Q (N, C) a target distribution (non-negative, summing to 1).",
        hint="Through the softmax's Jacobian the sum over classes collapses; where does the "
             "targets' summing to 1 enter?",
        signature="dZ(Z, Q) -> array (N, C)", solution=dZ, inputs=_inputs, sizes=SIZES, difficulty=2,
        witness=gradient_witness(_loss, 0, _inputs, (4, 3)),
        mistakes=(
            Mistake("no 1/N", "the 1/N of the mean is missing: this is the gradient of the summed loss",
                    "losses.html#softmax-and-cross-entropy", lambda Z, Q: _softmax(Z) - Q),
            Mistake("sign", "the sign is flipped: the gradient is softmax(Z) - Q, not Q - softmax(Z)",
                    "losses.html#softmax-and-cross-entropy", lambda Z, Q: -dZ(Z, Q)),
            Mistake("logits for probabilities", "the logits are used in place of the probabilities: "
                    "the gradient is softmax(Z) - Q, not Z - Q", "losses.html#softmax-and-cross-entropy",
                    lambda Z, Q: (Z - Q) / len(Z)),
            Mistake("the gradient through log only", "only the log's derivative, -Q/softmax(Z): the "
                    "chain rule through the softmax's Jacobian is missing",
                    "losses.html#softmax-and-cross-entropy", lambda Z, Q: -Q / _softmax(Z) / len(Z)),
        )),
)
