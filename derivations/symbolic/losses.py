"""Losses in SymPy: MSE and its conventions, softmax cross-entropy, binary cross-entropy.

Proved: the MSE gradient is the vector c (y_hat - y) (no sum), with c = 2, 1, 2/n or 1/n by
convention, at two sizes n so that no size can be printed into the general formula; the
softmax Jacobian is diag(p) - p p^T and the gradient of cross-entropy through softmax is
y_hat - q for any target q on the simplex (y_hat sum(q) - q otherwise), y_hat = softmax(z), at two class counts C;
through the sigmoid it is sigma(z) - y; the stable forms the NumPy code uses (log-sum-exp,
BCE with logits) equal the textbook ones exactly. :func:`exhibits` is what the page shows,
every formula printed from the expression a check proved.
"""

from __future__ import annotations

import warnings

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Panel, Table, aligned
from ..numeric import losses as losses_np
from .common import explicit, tex, vector

__all__ = ["MSE_CONVENTIONS", "mse_loss", "mse_gradient_factor", "softmax_expr",
           "softmax_jacobian_formula", "cross_entropy", "ce_gradient_formula", "bce",
           "bce_gradient", "bce_stable", "checks", "exhibits"]

TOPIC = "losses"
#: The sizes at which the general-n MSE formulas and the general-C softmax ones are proved.
N_SIZES = (2, 5)
C_SIZES = (3, 4)

p_out, C = sp.symbols("p C", positive=True, integer=True)
i = sp.Symbol("i", positive=True, integer=True)
yh_i, y_i = sp.IndexedBase(r"\hat{y}"), sp.IndexedBase("y")
zs, t = sp.symbols("z y", real=True)      # one logit and its (soft) target y
m = sp.Symbol("c", real=True)             # any shift c of the log-sum-exp
_pos = sp.Symbol("u", positive=True)

#: The MSE conventions in use, each name with its c in L = c sum_i (y_hat_i - y_i)^2.
MSE_CONVENTIONS = {"sum": sp.Integer(1), "half sum": sp.Rational(1, 2),
                   "mean": 1 / p_out, "half mean": 1 / (2 * p_out)}


def mse_loss(scale, size=p_out):
    """c sum_{i=1}^{size} (y_hat_i - y_i)^2, as an unevaluated sum over indexed symbols."""
    return scale * sp.Sum((yh_i[i] - y_i[i]) ** 2, (i, 1, size))


def mse_gradient_factor(scale):
    """The claimed dL/dy_hat_i = factor (y_hat_i - y_i): 2c."""
    return 2 * scale


def _mse_gradient_at(scale, size: int) -> tuple[sp.Matrix, sp.Matrix]:
    """At n = size: SymPy's gradient of the expanded sum, and the claimed one."""
    L = mse_loss(scale, size).subs(p_out, size).doit()
    yh = [yh_i[k] for k in range(1, size + 1)]
    got = sp.Matrix([sp.diff(L, v) for v in yh])
    want = sp.Matrix([mse_gradient_factor(scale).subs(p_out, size) * (yh_i[k] - y_i[k])
                      for k in range(1, size + 1)])
    return got, want


# softmax and cross-entropy: the displayed formulas are matrix-symbol expressions; the proofs
# expand them on explicit logits (common.explicit), so the display and the proof cannot differ
def _p(size):
    return sp.MatrixSymbol(r"\hat{y}", size, 1)


def _q(size):
    return sp.MatrixSymbol("q", size, 1)


def softmax_jacobian_formula(size=C):
    """d softmax(z) / dz = diag(p) - p p^T, p = softmax(z) a column of length size."""
    p = _p(size)
    return sp.DiagMatrix(p) - p * p.T


def ce_gradient_formula(size=C):
    """dL/dz = p - q (q on the simplex)."""
    return _p(size) - _q(size)


def softmax_expr(zv: sp.Matrix) -> sp.Matrix:
    """softmax(z)_k = e^{z_k} / sum_j e^{z_j}, for an explicit column z."""
    e = zv.applyfunc(sp.exp)
    return e / sum(e)


def cross_entropy(zv: sp.Matrix, target: sp.Matrix):
    """-sum_k target_k log softmax(z)_k."""
    p = softmax_expr(zv)
    return -sum(target[k] * sp.log(p[k]) for k in range(len(zv)))


def on_simplex(expr, q: sp.Matrix):
    """Substitute q_C = 1 - q_1 - ... - q_{C-1}: the target is a probability distribution."""
    return expr.subs(q[-1], 1 - sum(q[:-1]))


# BCE is displayed with sigma as a function; the proofs substitute its definition into the
# very expressions displayed
_sigma = sp.Function("sigma")
sigma = 1 / (1 + sp.exp(-zs))
bce_display = -(t * sp.log(_sigma(zs)) + (1 - t) * sp.log(1 - _sigma(zs)))
bce_gradient_display = sp.Add(_sigma(zs), -t, evaluate=False)
#: BCE of one logit z against the target y, -(y log sigma(z) + (1 - y) log(1 - sigma(z))).
bce = bce_display.subs(_sigma(zs), sigma)
#: Its gradient dL/dz = sigma(z) - y.
bce_gradient = bce_gradient_display.subs(_sigma(zs), sigma)
#: The stable form the NumPy code uses, max(z, 0) - z y + log(1 + e^(-abs(z))).
bce_stable = sp.Add(sp.Max(zs, 0), -zs * t, sp.log(1 + sp.exp(-sp.Abs(zs))), evaluate=False)

j = sp.Symbol("j", positive=True, integer=True)
z_j = sp.IndexedBase("z")
logsumexp = sp.log(sp.Sum(sp.exp(z_j[j]), (j, 1, C)))
logsumexp_shifted = m + sp.log(sp.Sum(sp.exp(z_j[j] - m), (j, 1, C)))


# --------------------------------------------------------------- numbers the page states
#: The label of the confidently wrong prediction in the page's figure (logits (s, -s, 0),
#: so the third class, label 2, is not the largest).
WRONG_LABEL = 2


def naive_softmax_ce(s):
    """-log(e^{z_2} / sum_j e^{z_j}) at z = (s, -s, 0): exp first, then log (the pitfall)."""
    with np.errstate(all="ignore"):
        e = np.exp(np.array([s, -s, 0.0]))
        return float(-np.log(e[WRONG_LABEL] / e.sum()))


def naive_bce(s):
    """-log(sigma(-s)) computed as -log(1 / (1 + e^s)) (the pitfall), target 1."""
    with np.errstate(all="ignore"):
        return float(-np.log(1 / (1 + np.exp(s))))


def first_failure(f, lo=1.0, hi=1e4) -> float:
    """The smallest s in [lo, hi] at which f(s) is not finite, by bisection to one ulp
    (f finite at lo, not at hi, and monotone in that sense)."""
    if not np.isfinite(f(lo)) or np.isfinite(f(hi)):
        raise ValueError("first_failure: f must be finite at lo and not at hi")
    while np.nextafter(lo, hi) < hi:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if np.isfinite(f(mid)) else (lo, mid)
    return hi


EXP_OVERFLOW = float(np.log(np.finfo(np.float64).max))   # e^s overflows for s above this
BIG = 1e4


def _big_logit_losses():
    """The fused losses at logits of +-1e4 (raising on any RuntimeWarning) and their exact
    values: CE of (1e4, -1e4, 0) with label 1 is 2e4, BCE of (1e4, -1e4, 1e4) against
    (0, 1, 1) is (1e4 + 1e4 + 0) / 3 up to e^-1e4."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ce, dce = losses_np.softmax_cross_entropy(np.array([[BIG, -BIG, 0.0]]), np.array([1]))
        bce_, dbce = losses_np.binary_cross_entropy_with_logits(np.array([BIG, -BIG, BIG]),
                                                          np.array([0.0, 1.0, 1.0]))
    big = sp.Integer(int(BIG))
    logits, onehot = sp.Matrix([big, -big, 0]), sp.Matrix([0, 1, 0])
    exact_ce = cross_entropy(logits, onehot).evalf(50)
    exact_dce = (softmax_expr(logits) - onehot).evalf(50)
    zb, tb = [big, -big, big], [0, 1, 1]
    exact_bce = sum(bce.subs({zs: a, t: b}) for a, b in zip(zb, tb)).evalf(4400) / 3  # e^-1e4 ~ 1e-4343
    exact_dbce = [bce_gradient.subs({zs: a, t: b}).evalf(50) / 3 for a, b in zip(zb, tb)]
    return ((ce, float(exact_ce), dce, np.array(exact_dce, dtype=float).ravel()),
            (bce_, float(exact_bce), dbce, np.array(exact_dbce, dtype=float)))


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the MSE, softmax and BCE gradients and the stable forms proved
    at two sizes each, NumPy compared."""
    rng = np.random.default_rng(seed)
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731
    out = []
    for conv, scale in MSE_CONVENTIONS.items():
        for size in N_SIZES:
            out.append(ident(f"MSE as {conv}: dL/dy_hat is the vector {mse_gradient_factor(scale)} "
                             f"(y_hat - y), p = {size}", *_mse_gradient_at(scale, size)))
    for size in C_SIZES:
        z, q = vector("z", size), vector("q", size)
        p = softmax_expr(z)
        P, Q = _p(size), _q(size)
        J = p.jacobian(z)
        out.append(ident(f"softmax Jacobian = diag(y_hat) - y_hat y_hat^T, C = {size}",
                         J, explicit(softmax_jacobian_formula(size), {P: p})))
        out.append(ident(f"every row and column of the softmax Jacobian sums to 0, C = {size}",
                         sp.Matrix.hstack(J * sp.ones(size, 1), J.T * sp.ones(size, 1)), sp.zeros(size, 2)))
        grad = sp.Matrix([sp.diff(cross_entropy(z, q), zk) for zk in z])
        out.append(ident(f"dL/dz = y_hat sum(q) - q for any q, C = {size}", grad, p * sum(q) - q))
        out.append(ident(f"dL/dz = y_hat - q for q on the simplex, C = {size}",
                         on_simplex(grad, q), on_simplex(explicit(ce_gradient_formula(size), {P: p, Q: q}), q)))
        out.append(ident(f"log-sum-exp is unchanged by any shift c, C = {size}",
                         logsumexp.subs(C, size).doit(), logsumexp_shifted.subs(C, size).doit()))
    out.append(ident("dL/dz of BCE(sigma(z), y) = sigma(z) - y", sp.diff(bce, zs), bce_gradient))
    # saturated on the wrong side (z = -20, y = 1): BCE's gradient stays near -1, while the
    # squared error through the sigmoid, (sigma - y) sigma', vanishes
    wrong_side = {zs: -20, t: 1}
    squared_through_sigmoid = sp.diff((sigma - t) ** 2 / 2, zs)
    out.append(verify.check_bound(TOPIC, "saturated on the wrong side (z = -20, y = 1) the BCE gradient is below -0.99",
                                  float(bce_gradient.subs(wrong_side)), -0.99))
    out.append(verify.check_bound(TOPIC, "there the squared error through the sigmoid has a gradient below 1e-8 in size",
                                  abs(float(squared_through_sigmoid.subs(wrong_side))), 1e-8))
    for half, sub in (("z>0", _pos), ("z<0", -_pos)):
        out.append(ident(f"BCE with logits max(z,0) - z y + log(1 + e^-|z|) is exact for {half}",
                         bce.subs(zs, sub), bce_stable.subs(zs, sub)))
    # where the naive forms fail, against where e^s overflows
    out.append(verify.check_values(TOPIC, "naive softmax CE first fails where e^s overflows",
                                   "float64", first_failure(naive_softmax_ce), EXP_OVERFLOW))
    out.append(verify.check_values(TOPIC, "naive BCE first fails where e^s overflows",
                                   "float64", first_failure(naive_bce), EXP_OVERFLOW))
    (ce, exact_ce, dce, exact_dce), (bce_, exact_bce, dbce, exact_dbce) = _big_logit_losses()
    out.append(verify.check_values(TOPIC, "softmax_cross_entropy at logits +-1e4 equals the exact loss",
                                   "sympy-vs-numpy", ce, exact_ce))
    out.append(verify.check_values(TOPIC, "binary_cross_entropy_with_logits at logits +-1e4 equals the exact loss",
                                   "sympy-vs-numpy", bce_, exact_bce))
    out.append(verify.check_values(TOPIC, "their gradients at logits +-1e4 equal the exact ones",
                                   "sympy-vs-numpy", np.concatenate([dce.ravel(), dbce]),
                                   np.concatenate([exact_dce, exact_dbce])))
    # the NumPy losses against SymPy's values, and their gradients against central differences
    size = C_SIZES[0]
    Z = rng.standard_normal((1, size))
    label = int(rng.integers(size))
    onehot = sp.Matrix([1 if k == label else 0 for k in range(size)])
    sym_ce = float(cross_entropy(sp.Matrix(Z[0]), onehot))
    ce, _ = losses_np.softmax_cross_entropy(Z, np.array([label]))
    out.append(verify.check_values(TOPIC, "softmax_cross_entropy equals SymPy's value",
                                   "sympy-vs-numpy", ce, sym_ce))
    zt = rng.standard_normal(2)
    sym_bce = float(bce.subs({zs: zt[0], t: sp.Float(0.3)}))
    nb, _ = losses_np.binary_cross_entropy_with_logits(zt[:1], np.array([0.3]))
    out.append(verify.check_values(TOPIC, "binary_cross_entropy_with_logits equals SymPy's value",
                                   "sympy-vs-numpy", nb, sym_bce))
    for shape in [(4, 3), (50, 10)]:
        Yh, Yt = rng.standard_normal(shape), rng.standard_normal(shape)
        _, g = losses_np.mse(Yh, Yt)
        out.append(verify.check_gradient(lambda v: losses_np.mse(v, Yt)[0], g, Yh,
                                         name=f"mse gradient, shape {shape}", topic=TOPIC, rng=rng,
                                         method="complex-step", every_entry=True))
        logits = 3 * rng.standard_normal(shape)
        labels = rng.integers(0, shape[1], size=shape[0])
        _, g = losses_np.softmax_cross_entropy(logits, labels)
        out.append(verify.check_gradient(lambda v: losses_np.softmax_cross_entropy(v, labels)[0], g, logits,
                                         name=f"softmax_cross_entropy gradient, shape {shape}", topic=TOPIC, rng=rng,
                                         method="complex-step", every_entry=True))
        targets = rng.uniform(0, 1, shape)   # soft labels
        _, g = losses_np.binary_cross_entropy_with_logits(logits, targets)
        out.append(verify.check_gradient(lambda v: losses_np.binary_cross_entropy_with_logits(v, targets)[0], g,
                                         logits,
                                         name=f"binary_cross_entropy_with_logits gradient, soft targets, shape {shape}",
                                         topic=TOPIC, rng=rng, method="complex-step", every_entry=True))
    return out


def _naive_vs_fused_figure() -> Figure:
    scales = np.geomspace(1, BIG, 200)
    fused_ce = [losses_np.softmax_cross_entropy(np.array([[s, -s, 0.0]]), np.array([WRONG_LABEL]))[0]
                for s in scales]
    fused_bce = [losses_np.binary_cross_entropy_with_logits(np.array([-s]), np.array([1.0]))[0]
                 for s in scales]
    panels = []
    for k, (title, naive, fused) in enumerate([("softmax cross-entropy", naive_softmax_ce, fused_ce),
                                               ("binary cross-entropy", naive_bce, fused_bce)]):
        values = np.array([naive(s) for s in scales])
        ok = np.isfinite(values)
        panels.append(Panel(
            curves=[Curve(scales, np.array(fused), "from logits (stable)" if k == 0 else None),
                    Curve(scales[ok], values[ok], "exp, then log (naive)" if k == 0 else None, "--")],
            title=title, xlabel="logit scale s", ylabel="loss" if k == 0 else "",
            xscale="log", yscale="log", vlines=[first_failure(naive)], legend_loc="upper left"))
    return Figure(panels, size=(8, 3.2))


def exhibits() -> dict:
    """What the losses page shows, each formula printed from the expression a check proved."""
    def times(c, expr):   # c (expr), printed from the two objects the checks use
        return (tex(expr) if c == 1 else
                rf"{tex(c)} \left({tex(expr)}\right)" if expr.is_Add else f"{tex(c)} {tex(expr)}")
    residual = yh_i[i] - y_i[i]
    total = sp.Sum(residual ** 2, (i, 1, p_out))
    table = Table(["convention", "$L$", r"$\partial L / \partial \hat y_i$"], [
        (conv, f"${times(scale, total)}$", f"${times(mse_gradient_factor(scale), residual)}$")
        for conv, scale in MSE_CONVENTIONS.items()])
    mean = MSE_CONVENTIONS["mean"]
    eq_mse = (rf"L = {times(mean, total)}, \qquad \frac{{\partial L}}{{\partial \hat y_i}} = "
              rf"{times(mse_gradient_factor(mean), residual)}")
    jac = tex(softmax_jacobian_formula())
    first, *rest = bce_display.as_ordered_terms()       # the loss's terms, one per row (a phone's width)
    bce_rows = [rf"L &= {tex(first)}", *(rf"&\quad {{}} - {tex(-u)}" if u.could_extract_minus_sign()
                                         else rf"&\quad {{}} + {tex(u)}" for u in rest)]
    bce_rows[-1] += ","
    bce_rows.append(rf"\frac{{\partial L}}{{\partial z}} &= {tex(bce_gradient_display, order='none')}")
    (ce, *_), (bce_, *_) = _big_logit_losses()
    return {
        "eq_mse": Equation(eq_mse),
        "mse_conventions": table,
        "n_sizes": " and ".join(map(str, N_SIZES)),
        "c_sizes": " and ".join(map(str, C_SIZES)),
        "eq_softmax_jac": Equation(rf"\frac{{\partial \hat y}}{{\partial z}} = {jac}"),
        "eq_ce_grad": Equation(rf"\frac{{\partial L}}{{\partial z}} = {tex(ce_gradient_formula())}"
                               r"\qquad \text{whenever } \textstyle\sum_k q_k = 1"),
        "eq_bce": Equation(aligned(bce_rows)),
        "eq_logsumexp": Equation(rf"{tex(logsumexp)} = {tex(logsumexp_shifted)}"),
        "eq_bce_logits": Equation(rf"L = {tex(bce_stable, order='none')}"),
        "fig_naive": _naive_vs_fused_figure(),
        "exp_overflow": f"{EXP_OVERFLOW:.2f}",
        "first_bad_ce": f"{first_failure(naive_softmax_ce):.2f}",
        "first_bad_bce": f"{first_failure(naive_bce):.2f}",
        "wrong_label": str(WRONG_LABEL),
        "big_ce": f"{ce:.1f}",
        "big_bce": f"{bce_:.1f}",
    }
