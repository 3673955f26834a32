"""Exercises of the clipping chapter (clipping.html): norm clipping in NumPy."""

from __future__ import annotations

import numpy as np

from ..numeric import clipping as clipping_np
from . import Exercise, Mistake

#: The sizes (n,) at which an answer is tried; the threshold is above the norm in some draws
#: and below it in others (the seeds are fixed: the tests check that both happen).
SIZES = ((3,), (7,), (2,))


def _inputs(rng, size):
    g = rng.standard_normal(size)
    return g, float(np.linalg.norm(g) * rng.choice([0.5, 2.0]))


def clip(g, c):
    """g min(1, c / norm(g)): the gradient unchanged below the threshold c, scaled to norm c above it."""
    return g * min(1.0, c / np.linalg.norm(g))


def _agrees_with_the_kernel(answer) -> bool:
    """The answer equals the book's kernel, clip_grad_norm, below and above the threshold."""
    rng = np.random.default_rng(11)
    for c_over_norm in (0.5, 2.0):
        g = rng.standard_normal(5)
        c = c_over_norm * float(np.linalg.norm(g))
        want = clipping_np.clip_grad_norm({"g": g}, c)[0]["g"]
        if not np.allclose(answer(g, c), want, rtol=1e-5, atol=0):
            return False
    return True


EXERCISES = (
    Exercise(
        id="clipping.clip_norm", chapter="clipping", title="Clipping a gradient's norm",
        statement="Write `clip(g, c)` returning the gradient g (n,) clipped to the norm c > 0: "
                  "unchanged when its norm is at most c, scaled to norm c otherwise.",
        hint="One factor, min(1, c / norm(g)), multiplies every entry: the direction is kept.",
        signature="clip(g, c) -> array (n,)", solution=clip, inputs=_inputs, sizes=SIZES, witness=_agrees_with_the_kernel,
        mistakes=(
            Mistake("value clipping", "each entry is clipped to [-c, c]: that is value clipping, "
                    "which changes the direction; norm clipping scales the whole vector",
                    "clipping.html#norm-clipping-and-value-clipping", lambda g, c: np.clip(g, -c, c)),
            Mistake("always rescaled", "the gradient is scaled to norm c even when its norm is below "
                    "c: clipping only shrinks", "clipping.html#norm-clipping-and-value-clipping",
                    lambda g, c: g * c / np.linalg.norm(g)),
        )),
)
