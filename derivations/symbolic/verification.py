"""The checking core checked: the step of the central difference, the relative error, and
the witnesses rejecting the mistakes popular derivations make.

Proved: the error model E(h) = h^2 M / 6 + eps F / h of the central difference has its
minimum at h* = (3 eps F / M)^(1/3). Measured: the best step of the central difference on
the sigmoid lies within a factor 10 of h*; the complex step stays at rounding level; a
random direction with standard normal entries resolves a directional derivative better
than a unit one; and the core rejects four wrong claims while accepting the right one.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel
from ..numeric import activations as activations_np
from .common import tex, vector

__all__ = ["step_error", "optimal_step", "rel_error_formula", "wrong_claims", "checks", "exhibits"]

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


def optimal_step():
    """h* solving dE/dh = 0, and E(h*)."""
    h_star = sp.solve(sp.diff(step_error, h), h)[0]
    return h_star, sp.simplify(step_error.subs(h, h_star))


def _at_float64(expr) -> float:
    return float(expr.subs({eps: EPS64, M: 1, F: 1}))


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
    """Four wrong claims of the kind the popular explanations make, and one right one, each
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
        verify.check_vjp(lambda W_: W_ @ xv, lambda g: np.outer(g, xv), W, name="dL/dW of W x as (dL/df) x^T",
                         topic="demo", rng=rng),
    )


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
    return out


def exhibits() -> dict:
    """What the verification page shows."""
    h_star, e_star = optimal_step()
    hs, cd, cs = step_sweep()
    num, den, floor, _ = rel_error_formula()
    normal, unit = direction_errors()
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
        "eq_rel_error": Equation(
            rf"\operatorname{{err}}(a, b) = \frac{{\max_i {tex(num)}}}"
            rf"{{\max\bigl(10^{{{int(np.log10(float(floor)))}}},\ \max_i \left({tex(den)}\right)\bigr)}}"),
        "eq_step": Equation(rf"E(h) = {tex(step_error)}, \qquad h^* = {tex(h_star)}, "
                            rf"\qquad E(h^*) = {tex(e_star)}"),
        "eps64": f"{EPS64:.1e}",
        "h_star_num": f"{_at_float64(h_star):.1e}",
        "E_star_num": f"{_at_float64(e_star):.1e}",
        "fig_steps": fig,
        "best_h": f"{hs[int(np.argmin(cd))]:.0e}",
        "n_demo": f"{N_DIRECTIONS_DEMO:,}",
        "dir_ratio": f"{unit / normal:.0f}",
        "normal_err": f"{normal:.1e}",
        "unit_err": f"{unit:.1e}",
        "demo_table": Markdown(verify.markdown_table(wrong_claims(), with_topic=False)),
    }
