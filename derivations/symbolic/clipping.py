"""Gradient clipping: norm clipping keeps the gradient's direction, elementwise clipping does not.

SymPy proves that scaling by a positive factor leaves the cosine with the original at 1;
the NumPy functions are checked against their closed forms; and :func:`train_rnn` runs the
seeded experiment of the book's page.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import clipping as num
from ..numeric import gradient_descent as gd
from ..numeric import rnn
from ..provenance import stored_checks
from .bptt import init_rnn
from .common import vector

TOPIC = "clipping"


def cosine_squared(a, b):
    """cos^2 of the angle between column vectors a and b (no square roots to undo)."""
    return (a.T * b)[0, 0] ** 2 / ((a.T * a)[0, 0] * (b.T * b)[0, 0])


def angle_degrees(a: dict, b: dict) -> float:
    """The angle between two gradient dicts seen as single vectors, in degrees."""
    u = np.concatenate([np.ravel(a[k]) for k in sorted(a)])
    v = np.concatenate([np.ravel(b[k]) for k in sorted(b)])
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    # Kahan's form: accurate near 0 and 180 degrees, where arccos of the cosine is not
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def echo_task(rng, T: int = 30, N: int = 32, delay: int = 3):
    """Inputs x (T, N, 1) and targets y_t = x_{t - delay} (zero before): a memory task."""
    x = rng.standard_normal((T, N, 1))
    y = np.zeros_like(x)
    y[delay:] = x[:-delay]
    return x, y


def train_rnn(x, y, hidden: int, lr: float, steps: int, max_norm: float | None, seed: int = 1,
              radius: float = 1.2):
    """Full-batch GD on the echo task; returns the loss per step, NaN from a divergence on.

    A diverging run ends when the forward pass overflows (floating-point errors are raised,
    not silently turned into inf) or the numeric code refuses a non-finite value.
    """
    params = init_rnn(x.shape[2], hidden, y.shape[2], np.random.default_rng(seed), radius=radius)
    h0 = np.zeros((x.shape[1], hidden))
    losses = np.full(steps, np.nan)
    norms = np.full(steps, np.nan)
    with np.errstate(over="raise", invalid="raise"):
        for k in range(steps):
            try:
                loss, grads = rnn.rnn_loss_and_grads(params, x, y, h0)
                grads.pop("h0")
                norm = num.global_norm(grads)
            except (FloatingPointError, ValueError):
                break
            losses[k], norms[k] = loss, norm
            if max_norm is not None:
                grads, _ = num.clip_grad_norm(grads, max_norm)
            try:
                params = gd.gd_step(params, grads, lr)
            except (FloatingPointError, ValueError):
                break
    return losses, norms


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    g = vector("g", 3)
    c = sp.Symbol("c", positive=True)
    # cos^2 = 1 and g . (c g) = c |g|^2 > 0 together give cos = 1: the same direction
    out = [verify.symbolic_identity(TOPIC, "cos^2(g, c g) = 1 for every c > 0 (and g . c g > 0): "
                                    "scaling keeps the direction", cosine_squared(g, c * g), 1)]
    grads = {"W": 3 * rng.standard_normal((4, 5)), "b": rng.standard_normal(4)}
    total = np.sqrt(np.sum(grads["W"] ** 2) + np.sum(grads["b"] ** 2))
    clipped, reported = num.clip_grad_norm(grads, 1.0)
    for name, got, want in (
            ("clip_grad_norm reports the global norm before clipping", reported, total),
            ("clipped global norm = max_norm * total / (total + 1e-6)",
             num.global_norm(clipped), total / (total + 1e-6)),
            ("clip_grad_norm scales W and b by the same factor",
             clipped["W"] / grads["W"], np.full(grads["W"].shape, clipped["b"][0] / grads["b"][0]))):
        out.append(verify.check_values(TOPIC, name, "closed-form", got, want))
    same, _ = num.clip_grad_norm(grads, 10 * total)
    tol = verify.TOLERANCES["closed-form"]
    err = max(verify.rel_error(same[k], grads[k]) for k in grads)  # each array on its own scale
    out.append(verify.Check(TOPIC, "below max_norm, clip_grad_norm changes nothing", "closed-form",
                            err, tol, err <= tol))
    ang = angle_degrees(grads, clipped)
    out.append(verify.Check(TOPIC, "norm clipping: angle to the unclipped gradient (degrees)",
                            "closed-form", ang / 180, tol, ang / 180 <= tol))
    return out
