"""The checking core checked: the step of the central difference, the per-entry criterion of
check_vjp, the relative error, and the witnesses rejecting the mistakes popular derivations make.

Proved: the error model E(h) = h^2 M / 6 + eps F / h of the central difference has its
minimum at h* = (3 eps F / M)^(1/3). Measured: the best step of the central difference on
the sigmoid lies within a factor 10 of h*; the complex step stays at rounding level; a
random direction with standard normal entries resolves a directional derivative better
than a unit one; and the core rejects seven wrong claims while accepting the right one.
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel
from ..numeric import activations as activations_np
from ..numeric import rnn as rnn_np
from .common import tex, vector

__all__ = ["step_error", "forward_step_error", "optimal_step", "entry_passes", "entry_unresolved", "resolution_central",
           "resolution_complex", "verdict_by_formula", "scaled_example", "vanishing_rnn_example", "EXAMPLES",
           "example_verdict",
           "rel_error_formula", "wrong_claims", "index_example", "index_steps", "index_checks", "pitfall_checks",
           "checks", "exhibits"]

TOPIC = "verification"

# the central difference's error model: truncation h^2 M / 6, rounding eps F / h
h, eps, M, F = sp.symbols("h epsilon M F", positive=True)
#: The central difference's error model E(h) = h^2 M / 6 + eps F / h (truncation plus rounding).
step_error = h**2 * M / 6 + eps * F / h
#: The machine epsilon of float64.
EPS64 = float(np.finfo(np.float64).eps)
#: The point at which the figure differentiates the sigmoid.
X0 = 0.7
#: The size of the input on which unit and standard normal directions are compared.
N_DIRECTIONS_DEMO = 10_000


#: The scale abs(f'') of the forward difference's truncation error.
M2 = sp.Symbol("M_2", positive=True)
#: The forward difference's error model E(h) = h M_2 / 2 + 2 eps F / h (truncation plus the
#: rounding of two evaluations, each good to eps F, divided by h).
forward_step_error = h * M2 / 2 + 2 * eps * F / h


def optimal_step(error: sp.Expr = step_error):
    """h* solving dE/dh = 0 for the error model ``error`` (the central difference's by default),
    and E(h*)."""
    h_star = sp.solve(sp.diff(error, h), h)[0]
    return h_star, sp.simplify(error.subs(h, h_star))


def _at_float64(expr) -> float:
    return float(expr.subs({eps: EPS64, M: 1, F: 1}))


# check_vjp's per-entry criterion: entry i of the claimed gradient, a_i, against the numerical
# derivative n_i, with the method's rounding at that entry, rho_i, estimated from the very
# evaluations the derivative makes (r is the upstream gradient, f^+_k = f_k(x + h e_i),
# f^-_k = f_k(x - h e_i), f~_k = f_k(x + i h e_i))
a_i, n_i = sp.symbols("a_i n_i", real=True)
r_tol, a_tol, rho_i = sp.symbols(r"r_{\mathrm{tol}} a_{\mathrm{tol}} \rho_i", nonnegative=True)
K = sp.Symbol("K", positive=True)
k, m_out = sp.symbols("k m", integer=True, positive=True)
r_up, f_plus, f_minus, f_complex = (sp.IndexedBase("r"), sp.IndexedBase("f^{+}"), sp.IndexedBase("f^{-}"),
                                    sp.IndexedBase(r"\tilde{f}"))
#: Entry i passes when ``|a_i - n_i| <= r_tol max(|a_i|, |n_i|) + rho_i + a_tol``.
entry_passes = sp.Le(sp.Abs(a_i - n_i),
                     sp.Add(r_tol * sp.Max(sp.Abs(a_i), sp.Abs(n_i)), rho_i, a_tol, evaluate=False))
#: Entry i is below the method's resolution (not verified by it) when
#: ``max(|a_i|, |n_i|) < rho_i / MAX_RESOLUTION`` (10 rho_i): the method sees it to worse than a tenth.
entry_unresolved = sp.StrictLessThan(sp.Max(sp.Abs(a_i), sp.Abs(n_i)),
                                     rho_i / sp.nsimplify(verify.MAX_RESOLUTION))
#: The central difference's rounding at entry i, ``rho_i``, is K eps times the magnitudes of the
#: terms of phi(x +- h e_i), over 2h.
resolution_central = K * eps * (sp.Sum(sp.Abs(r_up[k] * f_plus[k]), (k, 1, m_out))
                                + sp.Sum(sp.Abs(r_up[k] * f_minus[k]), (k, 1, m_out))) / (2 * h)
#: The complex step's rounding at entry i, ``rho_i``, is K eps times the magnitudes of the terms
#: of Im phi(x + i h e_i), over h.
resolution_complex = K * eps * sp.Sum(sp.Abs(r_up[k] * sp.im(f_complex[k])), (k, 1, m_out)) / h


@lru_cache(maxsize=None)
def _criterion_functions():
    """The displayed formulas as NumPy functions (SymPy's lambdify; sums over k = 1..m, so the
    arrays are padded with an entry 0 in front)."""
    return (sp.lambdify((r_up, f_plus, f_minus, m_out, K, eps, h), resolution_central, "numpy"),
            sp.lambdify((r_up, f_complex, m_out, K, eps, h), resolution_complex, "numpy"),
            sp.lambdify((a_i, n_i, r_tol, rho_i, a_tol), entry_passes, "numpy"),
            sp.lambdify((a_i, n_i, rho_i), entry_unresolved, "numpy"))


def verdict_by_formula(f, claimed: np.ndarray, x: np.ndarray, dout: np.ndarray, method: str,
                       rtol: float | None = None, atol: float = 0.0) -> tuple[float, float, int, bool]:
    """check_vjp's verdict on ``claimed``, the gradient for the one argument ``x`` checked entry
    by entry, computed from the displayed formulas instead of from verify's code: (error,
    tolerance, unresolved entries, passed), error and tolerance those of the worst resolved entry
    relative to ``max(|a_i|, |n_i|)``."""
    rho_c, rho_cs, passes, unresolved = _criterion_functions()
    rtol = verify.TOLERANCES[method] if rtol is None else rtol
    step = verify.CENTRAL_STEP if method == "central-difference" else verify.COMPLEX_STEP
    pad = lambda v: np.concatenate([[0], np.ravel(v)])  # noqa: E731
    r, m = pad(dout), int(np.size(dout))
    K_, worst, n_unresolved, ok = verify.RESOLUTION_FACTOR, (-1.0, 0.0, rtol), 0, True
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = 1.0
        if method == "central-difference":
            fp, fm = f(x + step * e), f(x - step * e)
            n = (np.sum(dout * fp) - np.sum(dout * fm)) / (2 * step)
            rho = rho_c(r, pad(fp), pad(fm), m, K_, EPS64, step)
        else:
            fc = f(x + 1j * step * e)
            n = np.sum(dout * np.imag(fc)) / step
            rho = rho_cs(r, pad(fc), m, K_, EPS64, step)
        a = claimed[i]
        if unresolved(a, n, rho):
            n_unresolved += 1
            continue
        ok = ok and bool(passes(a, n, rtol, rho, atol))
        scale = max(abs(a), abs(n))
        ratio = abs(a - n) / (rtol * scale + rho + atol) if rtol * scale + rho + atol > 0 else 0.0
        if ratio > worst[0]:
            worst = (ratio, abs(a - n) / scale if scale else 0.0, (rtol * scale + rho + atol) / scale if scale else rtol)
    resolved = n_unresolved < x.size
    return worst[1], worst[2], n_unresolved, ok and resolved


#: The outputs' scales of the example a whole-array error cannot judge.
SCALES = np.array([1e4, 1e4, 1e-3, 1e-3])


def scaled_example():
    """f(x) = s ⊙ sin(x), s = SCALES, at a fixed x and upstream r: (f, x, r, the right VJP, the
    VJP with its last entry doubled)."""
    x, r = np.array([0.3, -0.2, 0.5, 0.7]), np.array([0.7, -1.1, 0.4, 1.3])
    right = r * SCALES * np.cos(x)
    wrong = right.copy()
    wrong[-1] *= 2
    return (lambda v: SCALES * np.sin(v)), x, r, right, wrong


#: The vanishing RNN example: T steps, hidden size m, spectral radius of W_hh.
VANISHING_T, VANISHING_M, VANISHING_RADIUS = 60, 4, 0.5


@lru_cache(maxsize=None)
def vanishing_rnn_example(seed: int = 60):
    """A tanh RNN over T = 60 steps whose W_hh is 0.5 times an orthogonal matrix (spectral radius
    0.5), one input feature, a loss on the last step only: (f: x -> h, x, r, the right dL/dx from
    rnn_backward, the same with the first step's entry doubled)."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((VANISHING_M, VANISHING_M)))
    W_hh, W_hx = VANISHING_RADIUS * q, rng.standard_normal((VANISHING_M, 1))
    x, h0, b = 0.1 * rng.standard_normal((VANISHING_T, 1, 1)), np.zeros((1, VANISHING_M)), np.zeros(VANISHING_M)
    r = np.zeros((VANISHING_T, 1, VANISHING_M))
    r[-1] = rng.standard_normal((1, VANISHING_M))
    _, cache = rnn_np.rnn_forward(x, h0, W_hx, W_hh, b)
    right = rnn_np.rnn_backward(r, cache).dx
    wrong = right.copy()
    wrong[0] *= 2
    return (lambda v: rnn_np.rnn_forward(v, h0, W_hx, W_hh, b)[0]), x, r, right, wrong


def stale_backward_checks(seed: int = 5) -> tuple[verify.Check, verify.Check]:
    """tanh's backward with tanh' frozen at the checked point x (a stale cache), given to
    check_vjp (complex step; exact at x, it passes) and to check_second_order (it fails)."""
    rng = np.random.default_rng(seed)
    x, d = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    stale = d * activations_np.tanh_grad(x)
    return (verify.check_vjp(np.tanh, lambda g: stale, x, dout=d, method="complex-step"),
            verify.check_second_order(np.tanh, lambda z: stale + 0 * z, x, dout=d))


@lru_cache(maxsize=None)
def rounding_inside_f(draws: int = 100) -> float:
    """The largest central-difference error per entry, in units of eps (sum|r_k f^+_k| +
    sum|r_k f^-_k|) / 2h (the resolution with K = 1), through the two-layer tanh network of
    the tests (N = 1, n = 3, m = 4, p = 2), over ``draws`` random draws: how far the rounding
    inside f exceeds what the estimate sees of it."""
    from ..numeric import backprop as backprop_np

    worst = 0.0
    for seed in range(draws):
        rng = np.random.default_rng(seed)
        params = backprop_np.two_layer_init(3, 4, 2, rng, scale=1.0)
        params = {key: v + 0.3 * rng.standard_normal(v.shape) for key, v in params.items()}
        X, Y = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
        _, grads = backprop_np.two_layer_loss_and_grads(params, X, Y, "tanh")
        for key in backprop_np.PARAMS:
            p0 = params[key]
            for i in np.ndindex(p0.shape):
                e = np.zeros_like(p0)
                e[i] = verify.CENTRAL_STEP
                lp = backprop_np.two_layer_loss_and_grads({**params, key: p0 + e}, X, Y, "tanh")[0]
                lm = backprop_np.two_layer_loss_and_grads({**params, key: p0 - e}, X, Y, "tanh")[0]
                unit = EPS64 * (abs(lp) + abs(lm)) / (2 * verify.CENTRAL_STEP)
                worst = max(worst, abs((lp - lm) / (2 * verify.CENTRAL_STEP) - grads[key][i]) / unit)
    return worst


def _sigmoid_c(z):
    """The sigmoid's definition, which accepts complex input (the complex step needs it)."""
    return 1 / (1 + np.exp(-z))


@lru_cache(maxsize=None)
def step_sweep(points: int = 120):
    """Relative errors of the central difference and the complex step of sigma'(X0) over
    steps h from 1e-14 to 1e-1 (the complex step's floored at 1e-17 for the log plot)."""
    exact = float(activations_np.sigmoid_grad(np.array(X0)))
    hs = np.logspace(-14, -1, points)
    cd = np.abs((_sigmoid_c(X0 + hs) - _sigmoid_c(X0 - hs)) / (2 * hs) - exact) / exact
    cs = np.maximum(np.abs(np.imag(_sigmoid_c(X0 + 1j * hs)) / hs - exact) / exact, 1e-17)
    return hs, cd, cs


@lru_cache(maxsize=None)
def direction_errors(n: int = N_DIRECTIONS_DEMO, trials: int = 5, seed: int = 1):
    """Relative errors of central-difference directional derivatives of
    phi(x) = <g, tanh(x)> along standard normal directions and along the same directions
    scaled to unit length (median over ``trials``)."""
    rng = np.random.default_rng(seed)
    x, g = rng.standard_normal(n), rng.standard_normal(n)
    grad = (1 - np.tanh(x) ** 2) * g
    phi = lambda z: float(np.sum(np.tanh(z) * g))  # noqa: E731
    errs = {"normal": [], "unit": []}
    for _ in range(trials):
        v = rng.standard_normal(n)
        for kind, d in (("normal", v), ("unit", v / np.linalg.norm(v))):
            num = verify.directional_derivative(phi, x, d, "central-difference")
            errs[kind].append(abs(num - grad @ d) / abs(grad @ d))
    return float(np.median(errs["normal"])), float(np.median(errs["unit"]))


@lru_cache(maxsize=None)
def wrong_claims(seed: int = 0) -> tuple[verify.Check, ...]:
    """Seven wrong claims (four of the kind the popular explanations make, and the scaled
    example by both methods and the vanishing RNN, from ``entry_claims``) and one right one, each
    given to the checking core."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((4, 5))
    xv, W = rng.standard_normal(3), rng.standard_normal((3, 3))
    s = sp.Symbol("x")
    sig = 1 / (1 + sp.exp(-s))
    return (
        verify.check_derivative(activations_np.sigmoid,
                                lambda z: activations_np.sigmoid(z) * (1 + activations_np.sigmoid(z)), x,
                                name="sigmoid' claimed as sigma (1 + sigma)", topic="demo"),
        # f(W) = W x: dL/dW = (dL/df) x^T; the transposed claim has the right shape (3 x 3)
        verify.check_vjp(lambda W_: W_ @ xv, lambda g: np.outer(xv, g), W,
                         name="dL/dW of W x claimed as x (dL/df)^T (transposed)", topic="demo", rng=rng),
        verify.check_gradient(lambda z: 0.5 * np.sum(z**2), 2 * x, x, name="gradient of ||x||^2 / 2 claimed as 2x",
                              topic="demo"),
        verify.symbolic_identity("demo", "sigma' = sigma (1 + sigma), symbolically",
                                 sp.diff(sig, s), sig * (1 + sig)),
        *entry_claims(),
        verify.check_vjp(lambda W_: W_ @ xv, lambda g: np.outer(g, xv), W, name="dL/dW of W x as (dL/df) x^T",
                         topic="demo", rng=rng),
    )


#: The two examples of the per-entry criterion by name, each giving (f, x, r, right VJP, wrong VJP).
EXAMPLES = {"scaled": scaled_example, "rnn": vanishing_rnn_example}


@lru_cache(maxsize=None)
def example_verdict(example: str, method: str, which: str = "wrong") -> verify.Check:
    """check_vjp's verdict, every entry, on the right or the wrong VJP of an example of
    :data:`EXAMPLES` (computed once for the checks, the demo table and the page's numbers)."""
    f, x, r, right, wrong = EXAMPLES[example]()
    claim = right if which == "right" else wrong
    return verify.check_vjp(f, lambda g: claim, x, dout=r, method=method, every_entry=True)


def entry_claims() -> list[verify.Check]:
    """The wrong claims built from the examples: the scaled example's VJP with its last entry
    doubled (central differences, which only a per-entry criterion rejects; the complex step,
    which a whole-array error rejects too), and the vanishing RNN's dL/dx with its first step
    doubled (per entry only)."""
    return [dataclasses.replace(example_verdict("scaled", method), topic="demo",
                                name=f"VJP of s ⊙ sin(x), s = (1e4, 1e4, 1e-3, 1e-3), last entry doubled ({method})")
            for method in ("central-difference", "complex-step")] + [
        dataclasses.replace(example_verdict("rnn", "complex-step"), topic="demo",
                            name=f"dL/dx of a T = {VANISHING_T} RNN, spectral radius {VANISHING_RADIUS}, "
                                 "first step doubled")]


def rel_error_formula():
    """err(a, b) over entries a_i, b_i, as (numerator body, denominator body, floor, (a, b, i))."""
    i = sp.Symbol("i")
    a, b = sp.IndexedBase("a"), sp.IndexedBase("b")
    return sp.Abs(a[i] - b[i]), sp.Abs(a[i]) + sp.Abs(b[i]), sp.Float(1e-8), (a, b, i)


def rel_error_by_formula(x: np.ndarray, y: np.ndarray) -> float:
    """The displayed formula, evaluated entry by entry from its SymPy parts."""
    num, den, floor, (a, b, i) = rel_error_formula()
    vals = [(float(num.subs({a[i]: p, b[i]: q})), float(den.subs({a[i]: p, b[i]: q})))
            for p, q in zip(x.ravel(), y.ravel())]
    return max(v[0] for v in vals) / max(float(floor), max(v[1] for v in vals))


# ----------------------------------------------------------------------------- a proof at any size

#: The worked example's sizes: N samples, n inputs, m outputs, every one a symbol.
IX_SIZES = sp.symbols("N n m", positive=True, integer=True)


def index_example() -> dict:
    """The worked example of a proof at any size: Y = X W^T (X: N x n, W: m x n), the upstream
    gradient G (N x m), the claim dL/dW = G^T X and a wrong claim with a 1/N it does not have."""
    N, n, m = IX_SIZES
    X, W, G = sp.MatrixSymbol("X", N, n), sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("G", N, m)
    return {"X": X, "W": W, "G": G, "Y": X * W.T, "claim": G.T * X, "wrong": G.T * X / N}


def index_steps() -> dict:
    """The proof's own intermediate objects, for the page: the entry Y_ij, the scalar l whose
    gradient is the VJP, its derivative by one entry W_ab (Kronecker deltas), the deltas summed,
    and the claim's entry; the entry (a, b) in range by construction, m = a + 1 + u, n = b + 1 + s."""
    from . import index_notation as ix

    e = index_example()
    i, j = sp.symbols("i j", integer=True)
    case = ix.entry_cases(e["W"])[0]
    ell = ix.inner(e["G"], e["Y"])
    derivative = sp.diff(ell.xreplace(case.sizes), e["W"].xreplace(case.sizes)[case.indices])
    return {"entry": e["Y"][i, j], "ell": ell, "derivative": derivative, "summed": ix.collapse(derivative),
            "claim_entry": e["claim"].xreplace(case.sizes)[case.indices], "case": case}


def index_checks() -> list[verify.Check]:
    """The worked example proved at any size, its wrong claim refuted, and the symbolic-size
    derivative instantiated at two sizes against the explicit one."""
    from . import index_notation as ix

    e = index_example()
    claim = ix.vjp_claim("dL/dW = G^T X for Y = X W^T", e["Y"], e["W"], e["G"], e["claim"], IX_SIZES,
                         instances=((2, 3, 2), (3, 1, 2)))
    wrong = verify.timed(ix.prove_vjp, TOPIC, "dL/dW = G^T X / N", e["Y"], e["W"], e["G"], e["wrong"], IX_SIZES)
    refuted = verify.Check(TOPIC, "index notation refutes dL/dW = G^T X / N, at a small instance",
                           "symbolic size", 0.0 if not wrong.passed else np.inf, 0.0, not wrong.passed,
                           wrong.detail, seconds=wrong.seconds)
    return [*claim.checks(TOPIC), refuted]


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: h* proved, steps and
    rel_error measured, wrong claims rejected."""
    rng = np.random.default_rng(seed)
    out = []
    h_star, e_star = optimal_step()
    out.append(verify.symbolic_identity(TOPIC, "dE/dh = 0 at h* = (3 eps F / M)^(1/3)",
                                        sp.diff(step_error, h).subs(h, h_star), 0))
    out.append(verify.symbolic_identity(TOPIC, "d2E/dh2 = M > 0 at h*: h* is the minimum",
                                        sp.diff(step_error, h, 2).subs(h, h_star), M))
    hs, cd, cs = step_sweep()
    best = hs[int(np.argmin(cd))]
    out.append(verify.check_bound(TOPIC, "the best central-difference step of sigma'(0.7) is within a factor 10 of h*",
                                  abs(np.log10(best / _at_float64(h_star))), 1.0))
    out.append(verify.check_bound(TOPIC, "the step used is within a factor 10 of h*",
                                  abs(np.log10(verify.CENTRAL_STEP / _at_float64(h_star))), 1.0))
    out.append(verify.check_bound(TOPIC, "the tolerance is at least 1000 E(h*)",
                                  1000 * _at_float64(e_star), verify.TOLERANCES["central-difference"]))
    small = hs <= 1e-8
    out.append(verify.check_bound(TOPIC, "the complex step of sigma'(0.7) is within 2 eps for every h <= 1e-8",
                                  cs[small].max(), 2 * EPS64))
    large = hs >= 1e-4   # there its own truncation error, of order h^2, shows
    slope = np.polyfit(np.log10(hs[large]), np.log10(cs[large]), 1)[0]
    out.append(verify.check_bound(TOPIC, "the complex step's error grows like h^2 for h >= 1e-4 "
                                  "(slope within 0.05 of 2)", abs(slope - 2), 0.05))
    normal, unit = direction_errors()
    out.append(verify.check_bound(TOPIC, f"a unit direction resolves the derivative 10 times worse "
                                  f"than a standard normal one, n = {N_DIRECTIONS_DEMO}", 10 * normal, unit))
    # the per-entry criterion: check_vjp's verdicts are the displayed formulas'
    for example, label, cases in (
            ("scaled", "the scaled example", [(m, c) for m in ("central-difference", "complex-step")
                                              for c in ("right", "wrong")]),
            ("rnn", f"the T = {VANISHING_T} RNN", [("central-difference", "wrong"), ("complex-step", "wrong")])):
        f, x, r, right, wrong = EXAMPLES[example]()
        for method, which in cases:
            c = example_verdict(example, method, which)
            err, tol, unresolved, passed = verdict_by_formula(f, right if which == "right" else wrong, x, r, method)
            what = f"{label}, {which} VJP, {method}"
            out.append(verify.check_values(TOPIC, f"check_vjp's tolerance at the worst entry equals the displayed "
                                           f"criterion's: {what}", "sympy-vs-numpy", c.tolerance, tol))
            out.append(verify.check_values(TOPIC, f"check_vjp's unresolved count and verdict equal the displayed "
                                           f"criterion's: {what}", "float64", [c.unresolved, c.passed],
                                           [unresolved, passed]))
            if which == "wrong":
                out.append(verify.check_values(TOPIC, f"check_vjp's error at the worst entry equals the displayed "
                                               f"criterion's: {what}", "sympy-vs-numpy", c.error, err))
    f, x, r, right, wrong = scaled_example()
    out.append(verify.check_bound(TOPIC, "the whole-array relative error of the scaled example's wrong VJP is "
                                  "below the central difference's tolerance", verify.rel_error(wrong, right),
                                  verify.TOLERANCES["central-difference"]))
    out.append(verify.check_bound(TOPIC, "the whole-array relative error of the scaled example's wrong VJP exceeds "
                                  "the complex step's tolerance", verify.TOLERANCES["complex-step"],
                                  verify.rel_error(wrong, right), strict=True))
    f, x, r, right, wrong = vanishing_rnn_example()
    out.append(verify.check_bound(TOPIC, f"the T = {VANISHING_T} RNN's dL/dx at step 1 is below 1e-15 of its "
                                  "largest entry", abs(right[0, 0, 0]) / np.abs(right).max(), 1e-15))
    out.append(verify.check_bound(TOPIC, f"central differences leave at least half of the T = {VANISHING_T} "
                                  "RNN's dL/dx unresolved", VANISHING_T / 2,
                                  example_verdict("rnn", "central-difference").unresolved))
    out.append(verify.check_bound(TOPIC, f"the complex step resolves every entry of the T = {VANISHING_T} RNN's dL/dx",
                                  example_verdict("rnn", "complex-step").unresolved, 0))
    out.append(verify.check_bound(TOPIC, "the central difference's error through the two-layer tanh network "
                                  "stays below K units of eps sum|r f| / 2h (100 draws)", rounding_inside_f(),
                                  verify.RESOLUTION_FACTOR))
    first, second = stale_backward_checks()
    out.append(verify.check_bound(TOPIC, "check_vjp accepts tanh's backward with tanh' frozen at x",
                                  first.error, first.tolerance))
    out.append(verify.check_bound(TOPIC, "check_second_order rejects tanh's backward with tanh' frozen at x",
                                  second.tolerance, second.error, strict=True))
    # the relative error: the code against the displayed formula, and its floor
    for shape in [(50,), (3, 4)]:
        a, b = rng.standard_normal(shape), rng.standard_normal(shape)
        out.append(verify.check_values(TOPIC, f"rel_error equals the displayed formula, shape {shape}",
                                       "sympy-vs-numpy", verify.rel_error(a, b), rel_error_by_formula(a, b)))
    tiny = np.full(3, 1e-12)
    out.append(verify.check_values(TOPIC, "rel_error of tiny arrays is floored at 1e-8",
                                   "sympy-vs-numpy", verify.rel_error(np.zeros(3), tiny),
                                   rel_error_by_formula(np.zeros(3), tiny)))
    # the gradient of sum(normalized x) is zero: why the upstream gradient is never all ones
    for size in (3, 5):
        x = vector("x", size)
        mu = sum(x) / size
        var = sum((xi - mu) ** 2 for xi in x) / size
        xhat = [(xi - mu) / sp.sqrt(var + sp.Symbol("epsilon", positive=True)) for xi in x]
        out.append(verify.symbolic_identity(TOPIC, f"the sum of a normalized batch is 0, N = {size}",
                                            sum(xhat), 0))
    # the core rejects the wrong claims and accepts the right one
    *wrong, right = wrong_claims(seed)
    for c in wrong:
        out.append(verify.check_bound(TOPIC, f"rejected: {c.name}", c.tolerance, c.error, strict=True))
    out.append(verify.check_bound(TOPIC, f"accepted: {right.name}", right.error, right.tolerance))
    out += index_checks()
    out += pitfall_checks()
    return out


#: The steps at which the central difference is shown too small and too large, and the
#: distance from ReLU's kink, in units of the step, of the entry that straddles it.
BAD_STEPS = (1e-13, 1e-1)
KINK_OFFSET = 0.3


def central_difference_error(step: float, dtype=np.float64) -> float:
    """The relative error of the central difference of sigma'(X0) at ``step``, computed in
    ``dtype``, against the float64 derivative."""
    x, hh, two = dtype(X0), dtype(step), dtype(2)
    num = (_sigmoid_c(x + hh) - _sigmoid_c(x - hh)) / (two * hh)
    exact = float(activations_np.sigmoid_grad(np.array(X0)))
    return abs(float(num) - exact) / exact


def relu_at_kink() -> tuple[float, verify.Check]:
    """(the central difference of ReLU at 0; check_vjp's verdict on ReLU's right backward at an
    input with an entry KINK_OFFSET steps from the kink, by central differences)."""
    at_zero = verify.numeric_gradient(lambda v: float(np.sum(activations_np.relu(v))), np.array([0.0]))[0]
    x = np.array([KINK_OFFSET * verify.CENTRAL_STEP, 1.0, -2.0])
    near = verify.check_vjp(activations_np.relu, lambda g: g * activations_np.relu_grad(x), x,
                            rng=np.random.default_rng(0), every_entry=True)
    return float(at_zero), near


def pitfall_checks() -> list[verify.Check]:
    """The pitfalls of the page, measured: the central difference at ReLU's kink, at a step too
    small and too large, and in float32."""
    at_zero, near = relu_at_kink()
    tol = verify.TOLERANCES["central-difference"]
    small, large = BAD_STEPS
    return [verify.check_values(TOPIC, "the central difference of relu at its kink x = 0 is 0.5, the mean of its "
                                "two slopes", "float64", at_zero, 0.5),
            verify.check_bound(TOPIC, f"a right ReLU backward is rejected by central differences at an entry "
                               f"{KINK_OFFSET:g} h from the kink", near.tolerance, near.error, strict=True),
            verify.check_bound(TOPIC, f"the central difference of sigma'(0.7) misses its tolerance 100 times over at "
                               f"h = {small:g} and at h = {large:g}", np.full(2, 100 * tol),
                               [central_difference_error(small), central_difference_error(large)], strict=True),
            verify.check_bound(TOPIC, f"in float32 the central difference of sigma'(0.7) at h = {verify.CENTRAL_STEP:g} "
                               "misses its tolerance 1000 times over", 1000 * tol,
                               central_difference_error(verify.CENTRAL_STEP, np.float32), strict=True)]


def _index_tex(expr, names: dict) -> str:
    """LaTeX of an index-notation object, its bound variables renamed for the reader
    (``names``: a dummy's name -> the letter shown)."""
    rename = {d: sp.Symbol(names[d.name], integer=True) for d in expr.atoms(sp.Dummy) if d.name in names}
    return tex(expr.xreplace(rename))


def index_exhibits() -> dict:
    """The worked example of a proof at any size, printed from the proof's own objects."""
    st, e = index_steps(), index_example()
    bound = {"i": "i", "j": "j", "i_1": "k"}
    a, b = st["case"].indices
    wrong = next(c for c in index_checks() if c.name.startswith("index notation refutes"))
    return {
        "eq_ix_entry": Equation(rf"Y_{{ij}} = {_index_tex(st['entry'], bound)}", definition=True),
        "eq_ix_ell": Equation(rf"\ell = {_index_tex(st['ell'], bound)}", definition=True),
        "eq_ix_derivative": Equation(
            rf"\frac{{\partial \ell}}{{\partial W_{{{tex(a)}{tex(b)}}}}} = {_index_tex(st['derivative'], bound)}"
            rf" = {_index_tex(st['summed'], bound)} = ({tex(e['claim'])})_{{{tex(a)}{tex(b)}}}",
            proofs=("dL/dW = G^T X for Y = X W^T:",)),
        "ix_wrong_instance": wrong.detail.split(" at ")[1],
        "ix_wrong_value": wrong.detail.split(" at ")[0].removeprefix("the difference is "),
    }


def exhibits() -> dict:
    """What the verification page shows."""
    h_star, e_star = optimal_step()
    hs, cd, cs = step_sweep()
    num, den, floor, _ = rel_error_formula()
    normal, unit = direction_errors()
    scaled, rnn = scaled_example(), vanishing_rnn_example()
    scaled_cd, scaled_cs = (example_verdict("scaled", m) for m in ("central-difference", "complex-step"))
    rnn_cd, rnn_cs = (example_verdict("rnn", m) for m in ("central-difference", "complex-step"))
    fig = Figure([Panel(
        curves=[Curve(hs, cd, "central difference"), Curve(hs, cs, "complex step")],
        xlabel="step h", ylabel="relative error of σ'(0.7)", xscale="log", yscale="log",
        vlines=[verify.CENTRAL_STEP], hlines=[verify.TOLERANCES["central-difference"]])],
        size=(6.4, 3.4))
    return {
        "tol_cd": f"{verify.TOLERANCES['central-difference']:.0e}",
        "tol_cs": f"{verify.TOLERANCES['complex-step']:.0e}",
        "tol_sn": f"{verify.TOLERANCES['sympy-vs-numpy']:.0e}",
        "h_cd": f"{verify.CENTRAL_STEP:.0e}",
        "h_cs": f"{verify.COMPLEX_STEP:.0e}",
        "full_max": str(verify.FULL_CHECK_MAX_SIZE),
        "n_dirs": str(verify.N_DIRECTIONS),
        "eq_entry": Equation(tex(entry_passes, order="none"), proofs=("check_vjp's tolerance at the worst entry equals the displayed criterion's:",
                                    "check_vjp's unresolved count and verdict equal the displayed criterion's:")),
        "eq_unresolved": Equation(tex(entry_unresolved), proofs=("check_vjp's tolerance at the worst entry equals the displayed criterion's:",
                                    "check_vjp's unresolved count and verdict equal the displayed criterion's:")),
        "eq_rho_cd": Equation(tex(sp.Eq(rho_i, resolution_central)),
                              proofs=("check_vjp's tolerance at the worst entry equals the displayed criterion's: the scaled example, right VJP, central",
                                      "check_vjp's tolerance at the worst entry equals the displayed criterion's: the scaled example, wrong VJP, central")),
        "eq_rho_cs": Equation(tex(sp.Eq(rho_i, resolution_complex)),
                              proofs=("check_vjp's tolerance at the worst entry equals the displayed criterion's: the scaled example, right VJP, complex",
                                      "check_vjp's tolerance at the worst entry equals the displayed criterion's: the scaled example, wrong VJP, complex")),
        "K": f"{verify.RESOLUTION_FACTOR:g}",
        "rounding_units": f"{rounding_inside_f():.1f}",
        "scaled_rel_error": f"{verify.rel_error(scaled[4], scaled[3]):.1e}",
        # rho_i / max(|a_i|, |n_i|) at the doubled entry: the row's tolerance less r_tol
        "scaled_cd_res": f"{scaled_cd.tolerance - verify.TOLERANCES['central-difference']:.1e}",
        "scaled_cs_res": f"{scaled_cs.tolerance - verify.TOLERANCES['complex-step']:.0e}",
        "rnn_T": str(VANISHING_T),
        "rnn_radius": f"{VANISHING_RADIUS:g}",
        "rnn_ratio": f"{abs(rnn[3][0, 0, 0]) / np.abs(rnn[3]).max():.0e}",
        "rnn_rel_error": f"{verify.rel_error(rnn[4], rnn[3]):.0e}",
        "rnn_cd_unresolved": f"{rnn_cd.unresolved} of {rnn_cd.entries}",
        "rnn_cs_error": f"{rnn_cs.error:.2f}",
        "stale_error": f"{stale_backward_checks()[1].error:.2f}",
        "h_so": f"{verify.SECOND_ORDER_STEP:.0e}",
        "tol_so": f"{verify.TOLERANCES['second-order']:.0e}",
        "eq_rel_error": Equation(
            rf"\operatorname{{err}}(a, b) = \frac{{\max_i {tex(num)}}}"
            rf"{{\max\bigl(10^{{{int(np.log10(float(floor)))}}},\ \max_i \left({tex(den)}\right)\bigr)}}",
            proofs=("rel_error equals the displayed formula", "rel_error of tiny arrays is floored at 1e-8")),
        "eq_step": Equation(rf"E(h) = {tex(step_error)}, \qquad h^* = {tex(h_star)}, "
                            rf"\qquad E(h^*) = {tex(e_star)}",
                            proofs=("dE/dh = 0 at h*", "d2E/dh2 = M > 0 at h*")),
        "eps64": f"{EPS64:.1e}",
        "h_star_num": f"{_at_float64(h_star):.1e}",
        "E_star_num": f"{_at_float64(e_star):.1e}",
        "fig_steps": fig,
        "relu_kink_cd": f"{relu_at_kink()[0]:g}",
        "relu_kink_grad": f"{float(activations_np.relu_grad(np.array([0.0]))[0]):g}",
        "kink_offset": f"{KINK_OFFSET:g}",
        "bad_small": f"{BAD_STEPS[0]:g}", "bad_large": f"{BAD_STEPS[1]:g}",
        "err_small": f"{central_difference_error(BAD_STEPS[0]):.0e}",
        "err_large": f"{central_difference_error(BAD_STEPS[1]):.0e}",
        "err_f32": f"{central_difference_error(verify.CENTRAL_STEP, np.float32):.0e}",
        "h_star_f32": f"{float(h_star.subs({eps: float(np.finfo(np.float32).eps), M: 1, F: 1})):.0e}",
        "best_h": f"{hs[int(np.argmin(cd))]:.0e}",
        "n_demo": f"{N_DIRECTIONS_DEMO:,}",
        "dir_ratio": f"{unit / normal:.0f}",
        "normal_err": f"{normal:.1e}",
        "unit_err": f"{unit:.1e}",
        "demo_table": Markdown(verify.markdown_table(wrong_claims(), with_topic=False)),
        **index_exhibits(),
    }
