"""Initialization in SymPy: variance propagation, and the Xavier and He variances.

For z = sum_i w_i x_i with independent zero-mean w_i, x_i, Var(z) = n_in Var(w) Var(x)
(computed by sympy.stats for n_in = 3 normal variables). Keeping Var(z) equal to Var(x)
forwards and the gradient's variance backwards gives Xavier's 2 / (n_in + n_out); for
ReLU, E[relu(z)^2] = Var(z) / 2 (integrated by SymPy) gives He's 2 / n_in. Monte Carlo
checks each with a stated tolerance.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.stats import Normal, variance

from .. import verify
from ..numeric import activations as act
from ..numeric import initialization as num
from ..provenance import stored_checks

TOPIC = "initialization"
N_IN_PROOF = 3
#: The number of Monte Carlo samples, and (MC_TOL) the relative error it allows:
#: about 5 standard errors of a variance estimated from this many samples.
MC_SAMPLES = 20000
MC_TOL = 5 * np.sqrt(2 / MC_SAMPLES)

sigma_w, sigma_x, sigma = sp.symbols("sigma_w sigma_x sigma", positive=True)
n_in, n_out = sp.symbols("n_in n_out", positive=True, integer=True)
var_w = sp.Symbol("Var_w", positive=True)
_t = sp.Symbol("t", real=True)


def preactivation_variance(n: int = N_IN_PROOF):
    """Var(sum_i w_i x_i) for n independent N(0, sigma_w^2) weights and N(0, sigma_x^2) inputs."""
    W = [Normal(f"w{i}", 0, sigma_w) for i in range(n)]
    X = [Normal(f"x{i}", 0, sigma_x) for i in range(n)]
    return sp.simplify(variance(sum(w * x for w, x in zip(W, X))))


def relu_second_moment():
    """E[relu(z)^2] for z ~ N(0, sigma^2): the integral of t^2 times the density over t > 0."""
    pdf = sp.exp(-_t**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)
    return sp.simplify(sp.integrate(_t**2 * pdf, (_t, 0, sp.oo)))


def xavier_from_conditions():
    """Solve ((n_in + n_out)/2) Var(w) = 1: the average of the forward condition
    n_in Var(w) = 1 and the backward condition n_out Var(w) = 1."""
    return sp.solve(sp.Eq((n_in + n_out) / 2 * var_w, 1), var_w)[0]


def he_from_condition():
    """Solve n_in Var(w) E[relu(z)^2]/Var(z) = 1 with E[relu(z)^2] = Var(z)/2."""
    ratio = relu_second_moment() / sigma**2
    return sp.solve(sp.Eq(n_in * var_w * ratio, 1), var_w)[0]


def _mc_check(name, estimate, expected) -> verify.Check:
    err = abs(estimate - expected) / abs(expected)
    return verify.Check(TOPIC, name, "monte-carlo", float(err), float(MC_TOL), bool(err <= MC_TOL))


def propagate(depth: int, width: int, variance_fn, activation, rng, n_samples: int = 512):
    """Second moment of the activations at each layer of a deep stack (no biases)."""
    h = rng.standard_normal((n_samples, width))
    moments = [float(np.mean(h**2))]
    for _ in range(depth):
        W = num.normal_weights(width, width, variance_fn(width), rng)
        h = activation(h @ W.T)
        moments.append(float(np.mean(h**2)))
    return np.array(moments)


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731
    out = [
        ident(f"Var(sum of {N_IN_PROOF} w_i x_i) = n_in Var(w) Var(x) (sympy.stats)",
              preactivation_variance(), N_IN_PROOF * sigma_w**2 * sigma_x**2),
        ident("E[relu(z)^2] = Var(z)/2 for z ~ N(0, sigma^2) (integrated)",
              relu_second_moment(), sigma**2 / 2),
        ident("Xavier: Var(w) = 2 / (n_in + n_out)", xavier_from_conditions(), 2 / (n_in + n_out)),
        ident("He: Var(w) = 2 / n_in", he_from_condition(), 2 / n_in),
    ]
    fan_in, sw, sx = 256, 0.07, 1.3
    w = sw * rng.standard_normal((MC_SAMPLES, fan_in))
    x = sx * rng.standard_normal((MC_SAMPLES, fan_in))
    z = np.sum(w * x, axis=1)
    out.append(_mc_check(f"Monte Carlo: Var(z) = n_in Var(w) Var(x), n_in = {fan_in}, "
                         f"{MC_SAMPLES} samples", z.var(), fan_in * sw**2 * sx**2))
    zs = 1.7 * rng.standard_normal(MC_SAMPLES)
    out.append(_mc_check(f"Monte Carlo: E[relu(z)^2] = Var(z)/2, {MC_SAMPLES} samples",
                         np.mean(act.relu(zs) ** 2), 1.7**2 / 2))
    W = num.he_normal(400, 300, rng)
    out.append(_mc_check("he_normal(400, 300): sample variance of the 120000 weights is 2/400",
                         W.var(), num.he_variance(400)))
    W = num.xavier_normal(400, 300, rng)
    out.append(_mc_check("xavier_normal(400, 300): sample variance of the 120000 weights is 2/700",
                         W.var(), num.xavier_variance(400, 300)))
    m = propagate(20, 256, num.he_variance, act.relu, rng)
    ratio = m[-1] / m[1]  # after the first ReLU, the second moment should stay put
    err = abs(np.log(ratio))
    out.append(verify.Check(TOPIC, "He + ReLU, depth 20: second moment of the last layer "
                            "over the first, |log ratio| (the error column)", "simulation",
                            float(err), 0.5, bool(err <= 0.5)))
    return out
