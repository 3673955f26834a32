"""Answers as a reader might write them, for the exercises page to grade in front of the reader."""

from __future__ import annotations

import numpy as np


def dX_forgot_1_over_N(X, Y, W1, b1, W2, b2):
    """A reader's dL/dX for backprop.dX that forgets the mean loss's 1/N."""
    H = np.tanh(X @ W1.T + b1)
    Delta2 = H @ W2.T + b2 - Y          # the 1/N is missing
    return ((Delta2 @ W2) * (1 - H ** 2)) @ W1
