"""Exercises of the verification chapter (verification.html): a gradient check written by the
reader, and the errors of numerical derivatives.

``verification.bn_check`` grades a checker: ``passes(backward, x, gamma)`` must say whether
``backward`` is batch norm's backward pass. The grader hands it, at each size (N, n, k), the
candidate number k of :data:`CANDIDATES`, right or wrong, so every grading run sees both
verdicts; the witness knows which candidates are right from ``verify.check_vjp`` (the complex
step, a random upstream gradient), not from the reference checker.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from .. import verify
from ..numeric import normalization as normalization_np
from ..symbolic import verification as verification_sym
from . import Exercise, Mistake
from . import normalization as ex_norm

EPS = ex_norm.EPS


# ------------------------------------------------------------------ a gradient check for batch norm

def _right(dout, x, gamma):
    """The book's kernel: batchnorm_backward on batchnorm_forward's cache."""
    _, cache = normalization_np.batchnorm_forward(x, gamma, np.zeros_like(gamma), eps=EPS)
    return normalization_np.batchnorm_backward(dout, cache)[0]


def _no_variance_path(dout, x, gamma):
    """Without the path through s^2 (the third term): exactly 0 for an upstream gradient of ones."""
    _, s = ex_norm._stats(x)
    return gamma / s * (dout - dout.mean(axis=0))


#: The candidate backward passes, by the k of a size (N, n, k): the right one and four wrong ones.
CANDIDATES = (_right, _no_variance_path, ex_norm._constant_statistics, ex_norm._no_mean_path, ex_norm._unbiased)
#: The sizes (N, n, k) at which an answer is tried; k names the candidate (every one appears).
CHECK_SIZES = ((5, 3, 0), (4, 2, 1), (6, 3, 2), (5, 4, 3), (3, 2, 4))


def _check_inputs(rng, size):
    N, n, k = size
    return CANDIDATES[k], rng.standard_normal((N, n)), rng.uniform(0.5, 2.0, n)


def _batchnorm(x, gamma, ddof=0):
    """o = gamma x_hat (beta = 0), per column, the variance biased (ddof 0) unless told."""
    d = x - x.mean(axis=0)
    return gamma * d / np.sqrt((d ** 2).sum(axis=0) / (len(x) - ddof) + EPS)


def _central_vjp(forward, dout, x):
    """The gradient of sum(dout * forward(x)) by central differences, one entry at a time."""
    h, grad = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        grad[i] = (np.sum(dout * forward(x + e)) - np.sum(dout * forward(x - e))) / (2 * h)
    return grad


def passes(backward, x, gamma):
    """Whether backward(dout, x, gamma) is batch norm's dL/dx: compared, entry by entry, with
    central differences of phi(x) = <dout, o(x)> for a random upstream gradient (never all ones)."""
    def phi(v):   # <dout, o(v)>: batch norm per column, the biased variance, eps = 1e-5, beta = 0
        d = v - v.mean(axis=0)
        return np.sum(dout * gamma * d / np.sqrt((d ** 2).mean(axis=0) + 1e-5))

    dout = np.random.default_rng(0).standard_normal(x.shape)
    h, numeric = 1e-6, np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        numeric[i] = (phi(x + e) - phi(x - e)) / (2 * h)
    return bool(np.allclose(backward(dout, x, gamma), numeric, rtol=1e-5, atol=1e-6))


def _passes_with_ones(backward, x, gamma):
    dout = np.ones_like(x)
    return bool(np.allclose(backward(dout, x, gamma), _central_vjp(lambda v: _batchnorm(v, gamma), dout, x),
                            rtol=1e-5, atol=1e-6))


def _passes_unbiased_forward(backward, x, gamma):
    dout = np.random.default_rng(0).standard_normal(x.shape)
    return bool(np.allclose(backward(dout, x, gamma), _central_vjp(lambda v: _batchnorm(v, gamma, ddof=1), dout, x),
                            rtol=1e-5, atol=1e-6))


def _passes_cached_statistics(backward, x, gamma):
    """The forward of the check reuses the mean and variance of the unperturbed x."""
    dout = np.random.default_rng(0).standard_normal(x.shape)
    mu, s = x.mean(axis=0), np.sqrt(x.var(axis=0) + EPS)
    return bool(np.allclose(backward(dout, x, gamma), _central_vjp(lambda v: gamma * (v - mu) / s, dout, x),
                            rtol=1e-5, atol=1e-6))


def _bn_complex(x, gamma):
    """Batch norm (beta = 0) through which the complex step runs: the variance a mean of squares."""
    d = x - x.mean(axis=0)
    return gamma * d / np.sqrt((d ** 2).mean(axis=0) + EPS)


def right_by_check_vjp(backward, x, gamma, seed: int = 0) -> bool:
    """check_vjp's verdict on ``backward`` (complex step, a random upstream gradient, every entry)."""
    return verify.check_vjp(lambda v: _bn_complex(v, gamma), lambda g: backward(g, x, gamma), x,
                            method="complex-step", rng=np.random.default_rng(seed), every_entry=True).passed


def _agrees_with_check_vjp(answer) -> bool:
    """The checker's verdict on every candidate, at two sizes, equals check_vjp's."""
    for size in ((4, 3), (6, 2)):
        rng = np.random.default_rng(sum(size))
        for backward in CANDIDATES:
            x, gamma = rng.standard_normal(size), rng.uniform(0.5, 2.0, size[1])
            if bool(answer(backward, x, gamma)) != right_by_check_vjp(backward, x, gamma):
                return False
    return True


# ------------------------------------------------------------------ the steps and errors of numerical derivatives

h, eps, F, M, M2 = (verification_sym.h, verification_sym.eps, verification_sym.F, verification_sym.M,
                    verification_sym.M2)
EPS64 = verification_sym.EPS64


def _golden_minimum(E, lo: float, hi: float) -> float:
    """The minimizer of a unimodal E on [lo, hi] by golden-section search in log h."""
    a, b, g = np.log(lo), np.log(hi), (np.sqrt(5) - 1) / 2
    for _ in range(200):
        c, d = b - g * (b - a), a + g * (b - a)
        if E(np.exp(c)) < E(np.exp(d)):
            b = d
        else:
            a = c
    return float(np.exp((a + b) / 2))


def _minimizes(error: sp.Expr, values) -> callable:
    """A witness for h* of the error model ``error``: at each assignment of ``values`` the answer
    evaluates to the minimizer that golden-section search finds, to 1e-6 (no calculus)."""
    def witness(answer) -> bool:
        expr = sp.sympify(answer, locals={"epsilon": eps, "eps": eps, "F": F, "M": M, "M_2": M2, "M2": M2})
        for v in values:
            E = sp.lambdify(h, error.subs(v), "math")
            want = _golden_minimum(E, 1e-14, 1.0)
            if abs(float(expr.subs(v)) - want) > 1e-6 * want:
                return False
        return True
    return witness


_FORWARD_VALUES = [{eps: EPS64, F: 1, M2: 1}, {eps: 1e-7, F: 3, M2: 0.5}, {eps: 1e-10, F: 0.2, M2: 7}]
_f3 = sp.Symbol("f3", real=True)


def _complex_step_truncation(answer) -> bool:
    """The answer, at f''' of sin and of the sigmoid at x = 0.7 and h = 1e-3, equals the complex
    step's error Im f(x + ih)/h - f'(x) computed with 60 digits (mpmath), to 1e-4 relative (the
    next term is O(h^4))."""
    expr = sp.sympify(answer, locals={"h": h, "f3": _f3})
    mpmath.mp.dps = 60
    try:
        x0, step = mpmath.mpf("0.7"), mpmath.mpf("1e-3")
        for f in (mpmath.sin, lambda v: 1 / (1 + mpmath.exp(-v))):
            err = mpmath.im(f(x0 + 1j * step)) / step - mpmath.diff(f, x0)
            value = expr.subs({h: sp.Float(1e-3, 60), _f3: sp.Float(str(mpmath.diff(f, x0, 3)), 60)})
            if abs(float(value) - float(err)) > 1e-4 * abs(float(err)):
                return False
        return True
    finally:
        mpmath.mp.dps = 15


_EXERCISES_NUMERIC = (
    Exercise(
        id="verification.bn_check", chapter="verification", title="A gradient check for batch norm",
        statement="Write `passes(backward, x, gamma)` returning `True` when `backward(dout, x, gamma)` "
                  "is batch norm's backward pass and `False` otherwise. Batch norm here is the "
                  "training-mode forward of the normalization chapter, per feature (column) of "
                  "$x \\in \\mathbb{R}^{N \\times n}$: $\\hat x = (x - \\mu)/\\sqrt{s^2 + \\mathrm{eps}}$ "
                  "with the batch mean $\\mu$, the biased (1/N) batch variance $s^2$ and "
                  "`eps` $= 10^{-5}$ (batch norm's constant, not the machine epsilon), and $o = \\gamma \\odot \\hat x$ ($\\beta = 0$), "
                  "$\\gamma \\in \\mathbb{R}^{n}$. `backward` takes the upstream gradient "
                  "`dout` $= \\partial L / \\partial o$ $(N \\times n)$ and claims to return "
                  "$\\partial L / \\partial x$ $(N \\times n)$. Compare it with central differences of "
                  "the forward you write, for an upstream gradient of your choice. Each `backward` the "
                  "grader passes is either right to rounding or wrong by more than 5 % of its "
                  "largest entry for a random upstream gradient.",
        hint="Turn the forward into the scalar $\\varphi(x) = \\langle r, o(x) \\rangle$ for an "
             "upstream gradient $r$, and compare `backward(r, x, gamma)` with the central "
             "differences of $\\varphi$, one entry of $x$ at a time. Which $r$ makes "
             "$\\varphi$ constant?",
        signature="passes(backward, x, gamma) -> bool", solution=passes, inputs=_check_inputs,
        sizes=CHECK_SIZES, difficulty=3, witness=_agrees_with_check_vjp,
        mistakes=(
            Mistake("upstream gradient of ones", "the upstream gradient is all ones: the outputs of a "
                    "normalization sum to a constant, so the check compares with zero and accepts every "
                    "wrong backward pass that is right for a constant upstream gradient: here the one "
                    "without the path through the variance and the one of the unbiased variance",
                    "normalization.html#why-an-upstream-gradient-of-ones-proves-nothing", _passes_with_ones),
            Mistake("unbiased variance in the forward", "the check's forward normalizes with the "
                    "unbiased (N - 1) variance: training mode uses the biased one, so only the "
                    "backward pass of the wrong forward is accepted", "normalization.html#pitfalls",
                    _passes_unbiased_forward),
            Mistake("cached statistics", "the check's forward reuses the mean and variance of the "
                    "unperturbed x, so its differences hold the statistics constant: it accepts the "
                    "backward pass without the paths through them and rejects the right one",
                    "normalization.html#batch-normalization", _passes_cached_statistics),
        )),
)

_EXERCISES_SYMBOLIC = (
    Exercise(
        id="verification.forward_difference_step", chapter="verification", kind="symbolic",
        title="The best step of the forward difference",
        statement="The forward difference $(f(x + h) - f(x))/h$ has a truncation error of about "
                  "$h M_2 / 2$, with $M_2 = \\lvert f''(x) \\rvert$, and a rounding error of about "
                  "$2 \\epsilon F / h$ (two evaluations, each good to $\\epsilon F$ with "
                  "$F = \\lvert f(x) \\rvert$). Give the step $h^*$ that minimizes their sum "
                  "$E(h) = h M_2 / 2 + 2 \\epsilon F / h$, as an expression in `epsilon`, `F` and `M_2`.",
        hint="Repeat the minimization of the central difference's error model: set $\\mathrm{d}E/\\mathrm{d}h = 0$. "
             "The truncation term now grows like $h$, not $h^2$.",
        signature="an expression in epsilon, F and M_2",
        solution=verification_sym.optimal_step(verification_sym.forward_step_error)[0],
        symbols={"epsilon": eps, "eps": eps, "F": F, "M_2": M2, "M2": M2}, difficulty=2,
        witness=_minimizes(verification_sym.forward_step_error, _FORWARD_VALUES),
        mistakes=(
            Mistake("the central difference's step", "this is the central difference's step "
                    "(3 eps F / M)^(1/3): its truncation error is of order h^2, the forward "
                    "difference's of order h", "verification.html#the-tolerances-and-why",
                    sp.cbrt(3 * eps * F / M2)),
            Mistake("sqrt(eps)", "the rule of thumb sqrt(eps) drops the scales F and M_2 and the "
                    "factor 4 under the root: h* = sqrt(4 eps F / M_2)",
                    "verification.html#the-tolerances-and-why", sp.sqrt(eps)),
            Mistake("rounding of one evaluation", "the rounding error of one evaluation, eps F / h, "
                    "instead of two: the difference f(x + h) - f(x) carries the rounding of both",
                    "verification.html#the-tolerances-and-why", sp.sqrt(2 * eps * F / M2)),
        )),
    Exercise(
        id="verification.complex_step_error", chapter="verification", kind="symbolic",
        title="The complex step's truncation error",
        statement="For $f$ analytic and real on the real line, give the leading term of the complex "
                  "step's truncation error $\\operatorname{Im} f(x + i h)/h - f'(x)$ as $h \\to 0$, "
                  "as an expression in `h` and `f3` $= f'''(x)$.",
        hint="Expand $f(x + ih)$ in a Taylor series: the powers $i^k$ sort the terms into a real "
             "and an imaginary part. Compare with the central difference's $h^2 f'''(x)/6$.",
        signature="an expression in h and f3", solution=-h ** 2 * _f3 / 6, symbols={"h": h, "f3": _f3},
        difficulty=2, witness=_complex_step_truncation,
        mistakes=(
            Mistake("the central difference's sign", "this is the central difference's error "
                    "h^2 f'''/6: in the complex step the term (ih)^3/6 f''' has i^3 = -i, so the sign "
                    "is minus", "verification.html#witness-2-numerical-derivatives-of-the-numpy-code",
                    h ** 2 * _f3 / 6),
            Mistake("not divided by h", "this is the term of Im f(x + ih); the derivative is "
                    "Im f(x + ih) divided by h, which lowers the power of h by one",
                    "verification.html#witness-2-numerical-derivatives-of-the-numpy-code", -h ** 3 * _f3 / 6),
            Mistake("1/2 for 1/3!", "the Taylor coefficient of the third derivative is 1/3! = 1/6, "
                    "not 1/2", "verification.html#witness-2-numerical-derivatives-of-the-numpy-code",
                    -h ** 2 * _f3 / 2),
        )),
    Exercise(
        id="verification.central_step_float64", chapter="verification", kind="number",
        title="The best central-difference step in float64",
        statement="With the central difference's error model "
                  "$E(h) = h^2 M / 6 + \\epsilon F / h$, the machine epsilon of float64 "
                  "$\\epsilon = 2^{-52}$ and $F = M = 1$, give the best step $h^*$ as a number.",
        hint="$\\mathrm{d}E/\\mathrm{d}h = h M / 3 - \\epsilon F / h^2$.",
        signature="the step h*",
        solution=verification_sym._at_float64(verification_sym.optimal_step()[0]), tolerance=1e-4,
        witness=lambda answer: abs(float(answer) - _golden_minimum(
            lambda v: v ** 2 / 6 + EPS64 / v, 1e-14, 1.0)) <= 1e-6 * float(answer),
        mistakes=(
            Mistake("the two terms equal", "this step makes the two terms equal, (6 eps)^(1/3); the "
                    "minimum is where their derivatives cancel, (3 eps)^(1/3)",
                    "verification.html#the-tolerances-and-why", (6 * EPS64) ** (1 / 3)),
            Mistake("eps^(1/3)", "the rule of thumb eps^(1/3) drops the factor 3 of h* = (3 eps F / M)^(1/3)",
                    "verification.html#the-tolerances-and-why", EPS64 ** (1 / 3)),
            Mistake("the forward difference's step", "sqrt(eps) is the forward difference's rule of "
                    "thumb: the central difference's truncation error is of order h^2, so its best "
                    "step is larger", "verification.html#the-tolerances-and-why", EPS64 ** 0.5),
        )),
)

EXERCISES = _EXERCISES_NUMERIC + _EXERCISES_SYMBOLIC
