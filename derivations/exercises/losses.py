"""Exercises of the losses chapter (losses.html): the gradients of softmax cross-entropy and of the
mean squared error in NumPy, binary cross-entropy's gradient through the sigmoid in SymPy, and
where the naive softmax cross-entropy of the chapter's figure overflows.

The mean softmax cross-entropy over a batch: logits Z (N, C), targets Q (N, C) with rows on
the simplex, L = -(1/N) sum_n sum_c q_nc log softmax(z_n)_c. The mean squared error over all
N p entries of Y_hat (N, p), as ``numeric.losses.mse`` and PyTorch's ``MSELoss()``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..numeric import losses as losses_np
from ..symbolic import losses as losses_sym
from .. import verify
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


#: The sizes (N, p) at which an MSE answer is tried.
MSE_SIZES = ((4, 3), (1, 5), (6, 2))


def _mse_inputs(rng, size):
    return rng.standard_normal(size), rng.standard_normal(size)


def _mse_loss(Y_hat, Y):
    """The book's kernel's loss, the mean over all N p entries (complex-step safe)."""
    return losses_np.mse(Y_hat, Y)[0]


def dY_hat(Y_hat, Y):
    """dL/dY_hat = 2 (Y_hat - Y) / (N p), a matrix like Y_hat: one entry per output, no sum."""
    return 2 * (Y_hat - Y) / Y_hat.size


def _mse_summed(Y_hat, Y):
    """The pitfall: each row's errors summed, every output of a sample given the same error."""
    return np.broadcast_to(dY_hat(Y_hat, Y).sum(axis=1, keepdims=True), Y_hat.shape)


z, y = losses_sym.zs, losses_sym.t
_sigma = losses_sym.sigma
#: The points (z, y) at which a BCE answer is compared with the complex step of the kernel's loss.
_BCE_Z, _BCE_Y = (-3.0, -0.5, 0.4, 2.5), (0.0, 0.3, 1.0)


def _bce_agrees_with_the_kernel(answer) -> bool:
    """The answer, at each target of _BCE_Y, agrees with the complex-step derivative in z of the
    loss that ``binary_cross_entropy_with_logits`` computes (one logit at a time)."""
    expr = sp.sympify(answer, locals={"z": z, "y": y})
    for target in _BCE_Y:
        df = sp.lambdify(z, expr.subs(y, target), "numpy")

        def loss(v, target=target):
            return np.array([losses_np.binary_cross_entropy_with_logits(np.array([u]), np.array([target]))[0]
                             for u in np.ravel(v)]).reshape(np.shape(v))
        if not verify.check_derivative(loss, lambda v: np.broadcast_to(df(v), np.shape(v)), np.array(_BCE_Z),
                                       method="complex-step").passed:
            return False
    return True


#: The relative tolerance of the overflow exercise.
OVERFLOW_TOLERANCE = 1e-4


def _naive_fails_from(answer) -> bool:
    """The figure's naive softmax cross-entropy is finite just below the answer and not just above
    it (a relative OVERFLOW_TOLERANCE either side)."""
    s = float(sp.N(sp.sympify(answer))) if isinstance(answer, (str, sp.Basic)) else float(answer)
    return (bool(np.isfinite(losses_sym.naive_softmax_ce(s * (1 - OVERFLOW_TOLERANCE))))
            and not np.isfinite(losses_sym.naive_softmax_ce(s * (1 + OVERFLOW_TOLERANCE))))


EXERCISES = (
    Exercise(
        id="losses.softmax_ce_dZ", chapter="losses", title="Softmax cross-entropy's gradient",
        statement=r"Write `dZ(Z, Q)` returning $\partial L / \partial Z$, shape $(N, C)$, for the mean "
                  r"softmax cross-entropy $L = -\frac{1}{N} \sum_n \sum_k Q_{nk} \log \hat Y_{nk}$, "
                  r"$\hat Y$ the softmax of each row of the logits $Z \in \mathbb{R}^{N \times C}$; each "
                  r"row of $Q \in \mathbb{R}^{N \times C}$ is a target distribution (non-negative, "
                  r"summing to 1).",
        hint=r"Through the softmax's Jacobian $\operatorname{diag}(\hat y) - \hat y \hat y^\top$ the sum "
             r"over the classes collapses; where does $\sum_k q_k = 1$ enter?",
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
    Exercise(
        id="losses.mse_dY_hat", chapter="losses", title="The mean squared error's gradient, batched",
        statement=r"Write `dY_hat(Y_hat, Y)` returning $\partial L / \partial \hat Y$, shape $(N, p)$, "
                  r"for the mean squared error over all $N p$ entries, "
                  r"$L = \frac{1}{N p} \sum_{n, i} (\hat Y_{ni} - Y_{ni})^2$ (the convention of `mse` "
                  r"and of PyTorch's `MSELoss()`: no $\frac{1}{2}$ in front); "
                  r"$\hat Y, Y \in \mathbb{R}^{N \times p}$.",
        hint=r"Each entry $\hat Y_{ni}$ appears in one term of the sum, and nowhere else.",
        signature="dY_hat(Y_hat, Y) -> array (N, p)", solution=dY_hat, inputs=_mse_inputs, sizes=MSE_SIZES,
        difficulty=1, witness=gradient_witness(_mse_loss, 0, _mse_inputs, (4, 3)),
        mistakes=(
            Mistake("the half mean's factor", "the factor 2 of the square is missing: (Y_hat - Y)/(N p) "
                    "is the gradient of the half mean, the convention with a 1/2 in front, not of the "
                    "mean asked for", "losses.html#mean-squared-error",
                    lambda Y_hat, Y: (Y_hat - Y) / Y_hat.size),
            Mistake("divided by N only", "divided by N only: the mean runs over all N p entries, so "
                    "the gradient is divided by N p", "losses.html#mean-squared-error",
                    lambda Y_hat, Y: 2 * (Y_hat - Y) / len(Y_hat)),
            Mistake("summed over the outputs", "each sample's errors are summed: the gradient is a "
                    "matrix with one entry per output, and no sum over i", "losses.html#pitfalls",
                    _mse_summed),
            Mistake("sign", "the sign is flipped: the gradient is 2 (Y_hat - Y)/(N p), not "
                    "2 (Y - Y_hat)/(N p)", "losses.html#mean-squared-error",
                    lambda Y_hat, Y: -dY_hat(Y_hat, Y)),
        )),
    Exercise(
        id="losses.bce_dz", chapter="losses", kind="symbolic",
        title="Binary cross-entropy's gradient through the sigmoid",
        statement=r"For one logit $z$ and a target $y \in [0, 1]$, binary cross-entropy through the "
                  r"sigmoid is $L = -y \log \sigma(z) - (1 - y) \log(1 - \sigma(z))$, "
                  r"$\sigma(z) = 1/(1 + e^{-z})$. Give $\partial L / \partial z$ as an expression in "
                  r"`z` and `y` (write $\sigma(z)$ out, e.g. as `1/(1 + exp(-z))`).",
        hint=r"The chain rule through $\sigma$, with $\sigma'(z) = \sigma(z)(1 - \sigma(z))$: the "
             r"derivatives of the two logarithms have $\sigma$ and $1 - \sigma$ in their "
             r"denominators.",
        signature="an expression in z, y", solution=losses_sym.bce_gradient, symbols={"z": z, "y": y},
        difficulty=2, witness=_bce_agrees_with_the_kernel,
        mistakes=(
            Mistake("sign", "the sign is flipped: the gradient is sigma(z) - y, not y - sigma(z)",
                    "losses.html#sigmoid-and-binary-cross-entropy", y - _sigma),
            Mistake("the gradient in sigma", "this is dL/dsigma, the gradient with respect to the "
                    "probability: the chain rule through the sigmoid multiplies it by "
                    "sigma' = sigma (1 - sigma)", "losses.html#sigmoid-and-binary-cross-entropy",
                    -y / _sigma + (1 - y) / (1 - _sigma)),
            Mistake("the squared error's gradient", "(sigma(z) - y) sigma'(z) is the gradient of the "
                    "squared error through the sigmoid; in cross-entropy the logarithms cancel sigma'",
                    "losses.html#sigmoid-and-binary-cross-entropy",
                    (_sigma - y) * _sigma * (1 - _sigma)),
        )),
    Exercise(
        id="losses.naive_overflow", chapter="losses", kind="number",
        title="Where the naive softmax cross-entropy overflows",
        statement=r"The left panel of the chapter's figure computes softmax cross-entropy naively, "
                  r"$-\log(e^{z_3} / \sum_j e^{z_j})$, exponentials first, in float64, at the logits "
                  r"$z = (s, -s, 0)$ with the third class the label. From which $s > 0$ on does it "
                  r"return inf? Give $s$ to a relative $10^{-4}$.",
        hint=r"Which of the exponentials overflows first, and at which exponent does float64, whose "
             r"largest number is about $1.8 \times 10^{308}$, overflow?",
        signature="the smallest s at which the naive loss is inf",
        solution=losses_sym.first_failure(losses_sym.naive_softmax_ce), tolerance=OVERFLOW_TOLERANCE,
        difficulty=1, witness=_naive_fails_from,
        mistakes=(
            Mistake("float32", "that is where e^s overflows float32, whose largest number is about "
                    "3.4e38; the figure computes in float64", "losses.html#why-frameworks-fuse-the-loss-with-its-activation",
                    float(np.log(np.finfo(np.float32).max))),
            Mistake("the decimal exponent", "that is the decimal exponent of float64's largest "
                    "number, log10 of 1.8e308; e^s overflows where s exceeds its natural logarithm",
                    "losses.html#why-frameworks-fuse-the-loss-with-its-activation",
                    float(np.log10(np.finfo(np.float64).max))),
            Mistake("the binary exponent", "that is the binary exponent of float64's overflow, 2^1024; "
                    "e^s reaches 2^1024 at s = 1024 ln 2", "losses.html#why-frameworks-fuse-the-loss-with-its-activation",
                    1024.0),
        )),
)
