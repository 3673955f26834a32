"""Exercises of the normalization chapter (normalization.html): backward passes in NumPy.

Batch norm in training mode, per feature (column) of x (N, D): x_hat = (x - mu)/s with
s = sqrt(var + eps), var the biased (1/N) batch variance, o = gamma x_hat + beta; in inference
mode the running statistics m_r, v_r replace the batch's. Layer norm normalizes each sample
(row) over its features instead, with a gamma per feature.
"""

from __future__ import annotations

import numpy as np

from .. import verify
from ..numeric import normalization as normalization_np
from . import Exercise, Mistake, gradient_witness

EPS = 1e-5
#: The sizes (N, D) at which an answer is tried.
SIZES = ((5, 3), (8, 1), (2, 4))


def _inputs(rng, size):
    N, D = size
    return (rng.standard_normal((N, D)), rng.normal(1.0, 2.0, (N, D)), rng.normal(1.0, 0.5, D))


def _stats(x, ddof=0):
    mu = x.mean(axis=0)
    s = np.sqrt(x.var(axis=0, ddof=ddof) + EPS)
    return (x - mu) / s, s


def _loss(dout, x, gamma):
    """sum(dout * o) for o = gamma x_hat (beta drops out), complex-step safe: the variance is a mean
    of squares, not np.var (which takes absolute values)."""
    d = x - x.mean(axis=0)
    return np.sum(dout * gamma * d / np.sqrt((d ** 2).mean(axis=0) + EPS))


def dx(dout, x, gamma):
    """dL/dx = gamma/s (dout - mean(dout) - x_hat mean(dout x_hat)), per column; (N, n)."""
    s = np.sqrt(x.var(axis=0) + EPS)
    x_hat = (x - x.mean(axis=0)) / s
    return gamma / s * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0))


def _constant_statistics(dout, x, gamma):
    return gamma / _stats(x)[1] * dout


def _no_mean_path(dout, x, gamma):
    x_hat, s = _stats(x)
    return gamma / s * (dout - x_hat * (dout * x_hat).mean(axis=0))


def _unbiased(dout, x, gamma):
    N = len(x)
    x_hat, s = _stats(x, ddof=1)
    return gamma / s * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).sum(axis=0) / (N - 1))


# ------------------------------------------------------------------ layer norm: per sample (row)
#: The sizes (N, n) at which a layer-norm answer is tried.
LN_SIZES = ((4, 3), (2, 5), (6, 4))


def _row_stats(x, ddof=0):
    mu = x.mean(axis=1, keepdims=True)
    s = np.sqrt(x.var(axis=1, ddof=ddof, keepdims=True) + EPS)
    return (x - mu) / s, s


def _ln_loss(dout, x, gamma):
    """sum(dout * o) for layer norm's o = gamma x_hat (beta drops out), complex-step safe."""
    d = x - x.mean(axis=1, keepdims=True)
    return np.sum(dout * gamma * d / np.sqrt((d ** 2).mean(axis=1, keepdims=True) + EPS))


def layernorm_dx(dout, x, gamma):
    """dL/dx for layer norm, per row: with g = gamma dout (the gradient on x_hat),
    (g - mean(g) - x_hat mean(g x_hat)) / s, the means over the row's n features; (N, n)."""
    mu = x.mean(axis=1, keepdims=True)
    s = np.sqrt(x.var(axis=1, keepdims=True) + EPS)
    x_hat, g = (x - mu) / s, gamma * dout
    return (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / s


def _ln_batch_axis(dout, x, gamma):
    return dx(dout, x, gamma)


def _ln_gamma_outside(dout, x, gamma):
    x_hat, s = _row_stats(x)
    return gamma / s * (dout - dout.mean(axis=1, keepdims=True)
                        - x_hat * (dout * x_hat).mean(axis=1, keepdims=True))


def _ln_no_mean_path(dout, x, gamma):
    x_hat, s = _row_stats(x)
    g = dout * gamma
    return (g - x_hat * (g * x_hat).mean(axis=1, keepdims=True)) / s


def _ln_unbiased(dout, x, gamma):
    n = x.shape[1]
    x_hat, s = _row_stats(x, ddof=1)
    g = dout * gamma
    return (g - g.mean(axis=1, keepdims=True) - x_hat * (g * x_hat).sum(axis=1, keepdims=True) / (n - 1)) / s


# ------------------------------------------------------------------ batch norm: dL/dgamma
#: The sizes (N, n) at which a dgamma answer is tried.
DGAMMA_SIZES = ((5, 3), (2, 4), (7, 2))


def _dgamma_inputs(rng, size):
    N, n = size
    return rng.standard_normal((N, n)), rng.normal(1.0, 2.0, (N, n))


def dgamma(dout, x):
    """dL/dgamma = sum over the batch of dout x_hat, per feature; (n,)."""
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + EPS)
    return (dout * x_hat).sum(axis=0)


def _dgamma_witness(answer) -> bool:
    """The answer agrees with the complex step, in gamma, of sum(dout * o) for o from the book's
    kernel batchnorm_forward (x-hat taken from it with gamma = 1, beta = 0), at two sizes."""
    for seed, size in ((11, (6, 3)), (12, (3, 5))):
        dout, x = _dgamma_inputs(np.random.default_rng(seed), size)
        n = x.shape[1]
        x_hat = normalization_np.batchnorm_forward(x, np.ones(n), np.zeros(n), eps=EPS)[0]
        got = np.asarray(answer(dout, x), dtype=float)
        if got.shape != (n,):
            return False
        gamma = np.random.default_rng(seed).normal(1.0, 0.5, n)
        if not verify.check_gradient(lambda g: np.sum(dout * (g * x_hat)), got, gamma,
                                     method="complex-step").passed:
            return False
    return True


# ------------------------------------------------------------------ batch norm in inference mode
#: The sizes (N, n) at which an inference-mode answer is tried.
EVAL_SIZES = ((4, 3), (1, 5), (6, 2))


def _eval_inputs(rng, size):
    """dout, x, gamma, and running statistics m_r and v_r; the running variances are small
    (0.01 to 0.1), so that where eps goes shows in the gradient."""
    N, n = size
    return (rng.standard_normal((N, n)), rng.normal(1.0, 0.2, (N, n)), rng.normal(1.0, 0.5, n),
            rng.normal(1.0, 0.1, n), rng.uniform(0.01, 0.1, n))


def _eval_loss(dout, x, gamma, m_r, v_r):
    """sum(dout * o) for o the book's inference-mode batchnorm_forward (beta = 0)."""
    running = normalization_np.RunningStats(m_r, v_r)
    return np.sum(dout * normalization_np.batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=EPS,
                                                            running=running, training=False)[0])


def inference_dx(dout, x, gamma, m_r, v_r):
    """dL/dx in inference mode: the running statistics are constants, so the layer is the affine
    map gamma (x - m_r)/sqrt(v_r + eps) + beta, entry by entry; (N, n)."""
    return gamma * dout / np.sqrt(v_r + EPS)


def _eval_training_formula(dout, x, gamma, m_r, v_r):
    return dx(dout, x, gamma)            # with N = 1 it gives 0


EXERCISES = (
    Exercise(
        id="normalization.batchnorm_dx", chapter="normalization",
        title="Batch norm's backward pass",
        statement="Write `dx(dout, x, gamma)` returning $\\partial L / \\partial x$, shape $(N, n)$, "
                  "for batch norm in training mode: each feature (column) of $x \\in \\mathbb{R}^{N \\times n}$ "
                  "is normalized with its batch mean $\\mu$ and its biased batch variance $s^2$ (dividing "
                  "by $N$), $\\hat x = (x - \\mu)/\\sqrt{s^2 + \\epsilon}$ with $\\epsilon = 10^{-5}$, and "
                  "$o = \\gamma \\hat x + \\beta$; `dout` $= \\partial L / \\partial o \\in \\mathbb{R}^{N \\times n}$, "
                  "`gamma` $\\in \\mathbb{R}^{n}$.",
        hint="Three paths from $x_i$ to the loss: directly, through $\\mu$, through $s^2$; the "
             "deviations $x_i - \\mu$ sum to zero.",
        signature="dx(dout, x, gamma) -> array (N, n)", solution=dx, inputs=_inputs, sizes=SIZES,
        difficulty=3, witness=gradient_witness(_loss, 1, _inputs, (6, 3)),
        mistakes=(
            Mistake("statistics held constant", "the mean and the variance are treated as constants: "
                    "only the first of the three terms", "normalization.html#batch-normalization",
                    _constant_statistics),
            Mistake("no path through the mean", "the path through the mean is missing (the term "
                    "-mean(dL/do))", "normalization.html#batch-normalization", _no_mean_path),
            Mistake("unbiased variance", "the gradient of batch norm with the unbiased (N - 1) "
                    "variance: training mode normalizes with the biased one",
                    "normalization.html#pitfalls", _unbiased),
        )),
    Exercise(
        id="normalization.layernorm_dx", chapter="normalization",
        title="Layer norm's backward pass",
        statement="Write `layernorm_dx(dout, x, gamma)` returning $\\partial L / \\partial x$, shape $(N, n)$, "
                  "for layer norm: each sample (row) of $x \\in \\mathbb{R}^{N \\times n}$ is normalized "
                  "with the mean $\\mu$ and the biased variance $s^2$ (dividing by $n$) of its own $n$ "
                  "features, $\\hat x = (x - \\mu)/\\sqrt{s^2 + \\epsilon}$ with $\\epsilon = 10^{-5}$, "
                  "and $o = \\gamma \\odot \\hat x + \\beta$ with a scale and a shift per feature, "
                  "`gamma` $\\in \\mathbb{R}^{n}$; `dout` $= \\partial L / \\partial o \\in \\mathbb{R}^{N \\times n}$.",
        hint="Batch norm's three-term formula, applied to each row instead of each column; with a "
             "$\\gamma_j$ per feature, the gradient on $\\hat x_j$ is $\\gamma_j \\, \\partial L / \\partial o_j$, "
             "and that is what the means over the features average.",
        signature="layernorm_dx(dout, x, gamma) -> array (N, n)", solution=layernorm_dx, inputs=_inputs, sizes=LN_SIZES,
        difficulty=2, witness=gradient_witness(_ln_loss, 1, _inputs, (5, 4)),
        mistakes=(
            Mistake("batch norm's axis", "the statistics are taken per feature over the batch, as "
                    "batch norm does: layer norm normalizes each sample over its own features",
                    "normalization.html#layer-normalization", _ln_batch_axis),
            Mistake("gamma outside the means", "gamma multiplies the result instead of dL/do: with a "
                    "gamma per feature, the means over the features average gamma_j dL/do_j",
                    "normalization.html#layer-normalization", _ln_gamma_outside),
            Mistake("no path through the mean", "the path through the sample's mean is missing (the "
                    "term -mean over the features of gamma dL/do)",
                    "normalization.html#batch-normalization", _ln_no_mean_path),
            Mistake("unbiased variance", "the gradient of layer norm with the unbiased (n - 1) "
                    "variance: layer norm divides by the number of features n",
                    "normalization.html#pitfalls", _ln_unbiased),
        )),
    Exercise(
        id="normalization.batchnorm_dgamma", chapter="normalization",
        title="Batch norm's scale gradient",
        statement="Write `dgamma(dout, x)` returning $\\partial L / \\partial \\gamma$, shape $(n,)$, "
                  "for batch norm in training mode on $x \\in \\mathbb{R}^{N \\times n}$ (per feature, "
                  "the biased batch variance, $\\epsilon = 10^{-5}$, $o = \\gamma \\hat x + \\beta$ with "
                  "one $\\gamma$ and one $\\beta$ per feature); "
                  "`dout` $= \\partial L / \\partial o \\in \\mathbb{R}^{N \\times n}$.",
        hint="Every sample's output uses the same $\\gamma_j$, so its gradient collects a term from "
             "each of them; $\\partial L / \\partial \\beta$ is the same sum without the factor.",
        signature="dgamma(dout, x) -> array (n,)", solution=dgamma, inputs=_dgamma_inputs,
        sizes=DGAMMA_SIZES, witness=_dgamma_witness,
        mistakes=(
            Mistake("the mean over the batch", "the 1/N is extra: dL/dgamma sums the samples' "
                    "contributions over the batch, it does not average them",
                    "normalization.html#batch-normalization", lambda dout, x: dgamma(dout, x) / len(x)),
            Mistake("x for x-hat", "gamma multiplies the normalized x-hat, not x: the factor is "
                    "(x - mu)/sqrt(s^2 + eps)", "normalization.html#batch-normalization",
                    lambda dout, x: (dout * x).sum(axis=0)),
            Mistake("summed over the features", "the sum runs over the features (axis 1), giving "
                    "one number per sample: gamma has one entry per feature, summed over the batch (axis 0)",
                    "normalization.html#batch-normalization",
                    lambda dout, x: (dout * _stats(x)[0]).sum(axis=1)),
        )),
    Exercise(
        id="normalization.inference_dx", chapter="normalization",
        title="Batch norm's backward pass in inference mode",
        statement="Write `inference_dx(dout, x, gamma, m_r, v_r)` returning $\\partial L / \\partial x$, shape "
                  "$(N, n)$, for batch norm in inference mode, "
                  "$o = \\gamma (x - m_r)/\\sqrt{v_r + \\epsilon} + \\beta$ per feature, with the running "
                  "mean and variance `m_r`, `v_r` $\\in \\mathbb{R}^{n}$ and $\\epsilon = 10^{-5}$; "
                  "$x \\in \\mathbb{R}^{N \\times n}$ (a batch of any size, one sample included), "
                  "`gamma` $\\in \\mathbb{R}^{n}$, `dout` $= \\partial L / \\partial o \\in \\mathbb{R}^{N \\times n}$.",
        hint="What do $m_r$ and $v_r$ depend on? The layer's Jacobian is diagonal.",
        signature="inference_dx(dout, x, gamma, m_r, v_r) -> array (N, n)", solution=inference_dx, inputs=_eval_inputs,
        sizes=EVAL_SIZES, witness=gradient_witness(_eval_loss, 1, _eval_inputs, (5, 3)),
        mistakes=(
            Mistake("the training formula", "the training-mode formula, with paths through the "
                    "batch's mean and variance: in inference mode the running statistics are "
                    "constants and the layer acts on each entry alone",
                    "normalization.html#bn-inference", _eval_training_formula),
            Mistake("eps dropped", "eps is missing: the forward pass divides by sqrt(v_r + eps), "
                    "and so does its derivative", "normalization.html#what-epsilon-does",
                    lambda dout, x, gamma, m_r, v_r: gamma * dout / np.sqrt(v_r)),
            Mistake("eps outside the root", "eps is added to the standard deviation: it belongs "
                    "under the square root, sqrt(v_r + eps)", "normalization.html#what-epsilon-does",
                    lambda dout, x, gamma, m_r, v_r: gamma * dout / (np.sqrt(v_r) + EPS)),
            Mistake("the variance for the standard deviation", "the gradient is divided by "
                    "v_r + eps, the variance, instead of its square root",
                    "normalization.html#bn-inference",
                    lambda dout, x, gamma, m_r, v_r: gamma * dout / (v_r + EPS)),
        )),
)
