"""Normalization in SymPy: z-scores, batch norm and layer norm, and their backward passes.

The backward passes are derived by differentiating L = sum_i g_i y_i (g a symbolic
upstream gradient) on an explicit batch of symbols, eps included, and proved equal to
the compact closed form

    dx = (gamma / (N sqrt(var + eps))) (N g - sum(g) - x_hat sum(g x_hat)).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import normalization as num
from ..provenance import stored_checks

TOPIC = "normalization"
N_PROOF = 3
EXAMPLE = (100, 50, 10, 5, 1)

gamma = sp.Symbol("gamma", positive=True)
beta = sp.Symbol("beta", real=True)
eps = sp.Symbol("epsilon", positive=True)
a_pos = sp.Symbol("a", positive=True)
b_any = sp.Symbol("b", real=True)


def stats(xs):
    """Population mean and variance (1/n) of a sequence of SymPy expressions."""
    n = len(xs)
    mu = sum(xs) / n
    return mu, sum((x - mu) ** 2 for x in xs) / n


def zscores(xs):
    mu, var = stats(xs)
    return [(x - mu) / sp.sqrt(var) for x in xs]


def skewness(xs):
    mu, var = stats(xs)
    return sum((x - mu) ** 3 for x in xs) / len(xs) / var ** sp.Rational(3, 2)


def worked_example():
    """The z-score example x = (100, 50, 10, 5, 1), exactly: mean, variance, std, z."""
    xs = [sp.Integer(v) for v in EXAMPLE]
    mu, var = stats(xs)
    return {"x": xs, "mean": mu, "var": var, "std": sp.sqrt(var), "z": zscores(xs)}


def normalized_batch(n: int = N_PROOF):
    """Symbols x_i, upstream g_i, and the normalization y_i = gamma x_hat_i + beta."""
    xs = list(sp.symbols(f"x1:{n + 1}", real=True))
    gs = list(sp.symbols(f"g1:{n + 1}", real=True))
    mu, var = stats(xs)
    s = sp.sqrt(var + eps)
    x_hat = [(x - mu) / s for x in xs]
    ys = [gamma * h + beta for h in x_hat]
    return xs, gs, x_hat, ys, s


def closed_form_dx(gs, x_hat, s, n):
    """The compact backward pass of batch norm (and of layer norm with a shared gamma)."""
    return [gamma / (n * s) * (n * gs[i] - sum(gs) - x_hat[i] * sum(g * h for g, h in zip(gs, x_hat)))
            for i in range(n)]


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    ident = lambda name, x, y: verify.symbolic_identity(TOPIC, name, x, y)  # noqa: E731
    out = []
    xs4 = list(sp.symbols("x1:5", real=True))
    z = zscores(xs4)
    out.append(ident("z-scores have mean 0 (n = 4 symbols)", sum(z) / 4, 0))
    out.append(ident("z-scores have variance 1 (n = 4 symbols)", stats(z)[1], 1))
    xs3 = list(sp.symbols("x1:4", real=True))
    out.append(ident("an affine map a x + b, a > 0, keeps the skewness (n = 3 symbols)",
                     skewness([a_pos * x + b_any for x in xs3]), skewness(xs3)))
    ex = worked_example()
    zs = num.zscore(np.array(EXAMPLE, dtype=float))
    out.append(verify.check_values(TOPIC, "zscore on (100, 50, 10, 5, 1) equals SymPy's exact values",
                                   "sympy-vs-numpy", zs, [float(v) for v in ex["z"]]))
    xs, gs, x_hat, ys, s = normalized_batch()
    L = sum(g * y for g, y in zip(gs, ys))
    derived = sp.Matrix([sp.diff(L, x) for x in xs])
    out.append(ident(f"batch norm dL/dx: SymPy diff = compact closed form (N = {N_PROOF}, eps symbolic)",
                     derived, sp.Matrix(closed_form_dx(gs, x_hat, s, N_PROOF))))
    out.append(ident("batch norm dL/dgamma = sum g x_hat", sp.diff(L, gamma),
                     sum(g * h for g, h in zip(gs, x_hat))))
    out.append(ident("batch norm dL/dbeta = sum g", sp.diff(L, beta), sum(gs)))
    ones = {g: 1 for g in gs}
    out.append(ident("an upstream gradient of all ones gives dL/dx = 0 exactly",
                     derived.subs(ones), sp.zeros(N_PROOF, 1)))
    # layer norm: per-feature gamma_j, so gamma stays inside the sums
    gam = list(sp.symbols(f"gamma1:{N_PROOF + 1}", positive=True))
    ys_ln = [gj * h + beta for gj, h in zip(gam, x_hat)]
    L_ln = sum(g * y for g, y in zip(gs, ys_ln))
    gg = [g * gj for g, gj in zip(gs, gam)]
    closed_ln = [1 / (N_PROOF * s) * (N_PROOF * gg[i] - sum(gg) - x_hat[i] * sum(a * h for a, h in zip(gg, x_hat)))
                 for i in range(N_PROOF)]
    out.append(ident(f"layer norm dL/dx with per-feature gamma: SymPy diff = closed form (D = {N_PROOF})",
                     sp.Matrix([sp.diff(L_ln, x) for x in xs]), sp.Matrix(closed_ln)))
    for shape in [(4, 3), (32, 20)]:
        x = 3 * rng.standard_normal(shape) + 1.5
        gm, bt = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
        dout = rng.standard_normal(shape)
        for kind, fwd, bwd in (("batchnorm", num.batchnorm_forward, num.batchnorm_backward),
                               ("layernorm", num.layernorm_forward, num.layernorm_backward)):
            _, cache = fwd(x, gm, bt, eps=1e-3)
            dx, dg, db = bwd(dout, cache)
            for what, arg, grad_, f in (
                    ("dx", x, dx, lambda v: fwd(v, gm, bt, eps=1e-3)[0]),
                    ("dgamma", gm, dg, lambda v: fwd(x, v, bt, eps=1e-3)[0]),
                    ("dbeta", bt, db, lambda v: fwd(x, gm, v, eps=1e-3)[0])):
                out.append(verify.check_vjp(TOPIC, f"{kind}_backward {what}, shape {shape}, eps = 1e-3",
                                            f, lambda g, grad_=grad_: grad_, arg, dout=dout))
    return out
