"""Losses in SymPy: MSE and its conventions, softmax cross-entropy, binary cross-entropy.

Proved on explicit symbols: the MSE gradient is the vector (2/n)(y_hat - y) (no sum); the
gradient of cross-entropy through softmax is p - y for any target on the simplex; through
the sigmoid it is sigma(z) - t; and the stable forms the NumPy code uses (log-sum-exp,
BCE with logits) equal the textbook ones exactly.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import losses as num
from ..provenance import stored_checks
from .common import vector

TOPIC = "losses"
N_MSE = 3   # components of the MSE proof
C = 3       # classes of the softmax proof

yh, y = vector("yhat", N_MSE), vector("y", N_MSE)
z = vector("z", C)
q = vector("q", C)                        # a target distribution on the simplex
zs, t = sp.symbols("z t", real=True)      # one logit and its (soft) target
m = sp.Symbol("m", real=True)             # any shift of the log-sum-exp
_pos = sp.Symbol("u", positive=True)

#: The MSE conventions in use, as LaTeX prefix -> (c in L = c sum (y_hat - y)^2, gradient factor).
MSE_CONVENTIONS = {
    r"\sum_i": (sp.Integer(1), 2),
    r"\frac{1}{2}\sum_i": (sp.Rational(1, 2), 1),
    r"\frac{1}{n}\sum_i": (sp.Rational(1, N_MSE), sp.Rational(2, N_MSE)),
    r"\frac{1}{2n}\sum_i": (sp.Rational(1, 2 * N_MSE), sp.Rational(1, N_MSE)),
}


def mse_loss(scale=sp.Rational(1, N_MSE)):
    return scale * sum((a - b) ** 2 for a, b in zip(yh, y))


def softmax_expr(zv: sp.Matrix) -> sp.Matrix:
    e = zv.applyfunc(sp.exp)
    return e / sum(e)


def cross_entropy(zv: sp.Matrix, target: sp.Matrix):
    """-sum_k target_k log softmax(z)_k."""
    p = softmax_expr(zv)
    return -sum(target[k] * sp.log(p[k]) for k in range(len(zv)))


def on_simplex(expr):
    """Substitute q_C = 1 - q_1 - ... - q_{C-1}: the target is a probability distribution."""
    return expr.subs(q[-1], 1 - sum(q[:-1]))


sigma = 1 / (1 + sp.exp(-zs))
bce = -(t * sp.log(sigma) + (1 - t) * sp.log(1 - sigma))
bce_stable = sp.Max(zs, 0) - zs * t + sp.log(1 + sp.exp(-sp.Abs(zs)))
logsumexp = sp.log(sum(sp.exp(zk) for zk in z))
logsumexp_shifted = m + sp.log(sum(sp.exp(zk - m) for zk in z))


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731
    out = []
    for conv, (scale, factor) in MSE_CONVENTIONS.items():
        L = mse_loss(scale)
        grad = sp.Matrix([sp.diff(L, v) for v in yh])
        plain = conv.replace(r"\frac{1}{2}", "1/2 ").replace(r"\frac{1}{n}", "1/n ") \
                    .replace(r"\frac{1}{2n}", "1/(2n) ").replace(r"\sum_i", "sum")
        out.append(ident(f"MSE as {plain.strip()}: gradient is the vector {factor} (y_hat - y), n = {N_MSE}",
                         grad, factor * (yh - y)))
    p = softmax_expr(z)
    J = p.jacobian(z)
    out.append(ident(f"softmax Jacobian = diag(p) - p p^T, C = {C}", J, sp.diag(*p) - p * p.T))
    L = cross_entropy(z, q)
    grad = sp.Matrix([sp.diff(L, zk) for zk in z])
    out.append(ident(f"d/dz cross_entropy(softmax(z), q) = p sum(q) - q for any q, C = {C}",
                     grad, p * sum(q) - q))
    out.append(ident(f"d/dz cross_entropy(softmax(z), q) = p - q for q on the simplex, C = {C}",
                     on_simplex(grad), on_simplex(p - q)))
    out.append(ident("d/dz BCE(sigma(z), t) = sigma(z) - t", sp.diff(bce, zs), sigma - t))
    out.append(ident(f"log-sum-exp is unchanged by any shift m, C = {C}", logsumexp, logsumexp_shifted))
    for half, sub in (("z>0", _pos), ("z<0", -_pos)):
        out.append(ident(f"BCE with logits max(z,0) - z t + log(1 + e^-|z|) is exact for {half}",
                         bce.subs(zs, sub), bce_stable.subs(zs, sub)))
    # the NumPy losses against SymPy's values, and their gradients against central differences
    Z = rng.standard_normal((1, C))
    label = int(rng.integers(C))
    onehot = sp.Matrix([1 if k == label else 0 for k in range(C)])
    sym_ce = float(cross_entropy(sp.Matrix(Z[0]), onehot))
    ce, _ = num.softmax_cross_entropy(Z, np.array([label]))
    out.append(verify.check_values(TOPIC, "softmax_cross_entropy equals SymPy's value",
                                   "sympy-vs-numpy", ce, sym_ce))
    zt = rng.standard_normal(2)
    sym_bce = float(bce.subs({zs: zt[0], t: sp.Float(0.3)}))
    nb, _ = num.binary_cross_entropy_with_logits(zt[:1], np.array([0.3]))
    out.append(verify.check_values(TOPIC, "binary_cross_entropy_with_logits equals SymPy's value",
                                   "sympy-vs-numpy", nb, sym_bce))
    for shape in [(4, 3), (50, 10)]:
        Yh, Yt = rng.standard_normal(shape), rng.standard_normal(shape)
        _, g = num.mse(Yh, Yt)
        out.append(verify.check_gradient(TOPIC, f"mse gradient, shape {shape}",
                                         lambda v: num.mse(v, Yt)[0], g, Yh, rng=rng))
        logits = 3 * rng.standard_normal(shape)
        labels = rng.integers(0, shape[1], size=shape[0])
        _, g = num.softmax_cross_entropy(logits, labels)
        out.append(verify.check_gradient(
            TOPIC, f"softmax_cross_entropy gradient, shape {shape}",
            lambda v: num.softmax_cross_entropy(v, labels)[0], g, logits, rng=rng))
        targets = rng.uniform(0, 1, shape)   # soft labels
        _, g = num.binary_cross_entropy_with_logits(logits, targets)
        out.append(verify.check_gradient(
            TOPIC, f"binary_cross_entropy_with_logits gradient, soft targets, shape {shape}",
            lambda v: num.binary_cross_entropy_with_logits(v, targets)[0], g, logits, rng=rng))
    return out
