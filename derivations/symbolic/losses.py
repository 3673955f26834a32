"""Losses in SymPy: MSE and its conventions, softmax cross-entropy, binary cross-entropy.

Proved at symbolic size (:func:`size_claims`, index notation): the MSE gradient is the vector
c (y_hat - y) (no sum), c = 2, 1, 2/p or 1/p by convention, for every length p, and
2 (Y_hat - Y) / (N p) for the mean over a batch; softmax's Jacobian is diag(p) - p p^T and
log-softmax's I - 1 p^T for every class count C; the gradient of cross-entropy through
softmax is y_hat sum(q) - q for any target, y_hat - q on the simplex (the sum set to 1,
:func:`simplex_claims`), and (diag(Q 1) Y_hat - Q) / N, (Y_hat - Q) / N for the batch mean
at any N, C; the mean BCE over (N, C) logits has gradient (sigma(Z) - Y) / (N C); log-sum-exp
is unchanged by a shift for any C. Each is instantiated at an explicit size, and proved on
explicit entries too (N_SIZES, C_SIZES, BATCH_SIZES): the one-sample formulas at two sizes
each, the batch ones at N = 2 and 3. Through the sigmoid the gradient is sigma(z) - y; the
stable forms the NumPy code uses (log-sum-exp, BCE with logits) equal the textbook ones
exactly. The hand derivations (:func:`hand_checks`, :func:`bce_hand_checks`) prove each step
a student writes: the softmax Jacobian's entry y_hat_i (delta_ij - y_hat_j) by the quotient
rule, dL/dz_j through it down to y_hat_j sum_i q_i - q_j, then y_hat_j - q_j on the simplex (at
symbolic C), and sigma' = sigma (1 - sigma) and sigma(z) - y for BCE. :func:`exhibits` is what
the page shows, every formula printed from the expression a check proved.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Panel, Table, aligned
from ..numeric import losses as losses_np
from . import index_notation as ix
from .common import explicit, matrix, tex, vector

__all__ = ["size_claims", "simplex_claims", "hand_checks", "bce_hand_checks", "softmax_jacobian_steps",
           "ce_gradient_steps", "simplex_step", "sigma_prime_steps", "bce_gradient_steps", "MSE_CONVENTIONS", "mse_loss", "mse_gradient_factor", "softmax_expr",
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


def ce_gradient_general(size=C):
    """dL/dz = p sum(q) - q for any target q, sum(q) a 1 x 1 symbol."""
    return _p(size) * SUM_Q - _q(size)


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


# --------------------------------------------------------------- at symbolic size (index notation)
# The formulas above, proved for every size at once (derivations.symbolic.index_notation): the
# vectors and matrices are matrix symbols of symbolic size, softmax and sigma act on their
# entries (a FunctionMatrix), and each proof is cross-checked at explicit sizes.
N = sp.Symbol("N", positive=True, integer=True)
#: Explicit sizes at which each symbolic-size result is instantiated: p for the MSE, C for one
#: sample, (N, C) and (N, p) for a batch. A softmax or batch derivative is instantiated at one
#: size (a quarter to half a second each) and its formula proved on explicit entries at
#: another (C_SIZES; BATCH_SIZES, where N > 1 shows a dropped 1/N): two sizes in all.
N_INSTANCES = tuple((size,) for size in N_SIZES)
C_INSTANCES = ((C_SIZES[0],),)
BATCH_SIZES = ((2, 3),)
BATCH_INSTANCES = ((3, 2),)

y_hat_col, y_col = sp.MatrixSymbol("y_hat", p_out, 1), sp.MatrixSymbol("y", p_out, 1)
z_col, g_col = sp.MatrixSymbol("z", C, 1), sp.MatrixSymbol("g", C, 1)
Z, Q, Y_bce = (sp.MatrixSymbol(name, N, C) for name in "ZQY")
Y_hat_batch, Y_batch = sp.MatrixSymbol("Y_hat", N, p_out), sp.MatrixSymbol("Y", N, p_out)
#: Displayed names of the batch quantities: softmax(Z) and sigma(Z), row by row and entry by entry.
P_batch, S_batch = sp.MatrixSymbol(r"\hat{Y}", N, C), sp.MatrixSymbol(r"\sigma(Z)", N, C)
# the sums of the targets, 1 x 1 for one sample and N x 1 (row by row) for a batch: symbols in
# the general gradients, 1^T q and Q 1 in their proofs, 1 on the simplex
SUM_Q, ROWSUMS = sp.MatrixSymbol("sum_q", 1, 1), sp.MatrixSymbol("rowsums_Q", N, 1)
#: dL/dZ of the batch-mean cross-entropy for any targets, and on the simplex (as displayed).
ce_batch_general = (sp.DiagMatrix(ROWSUMS) * P_batch - Q) / N
ce_batch_gradient = (P_batch - Q) / N
#: dL/dZ of the mean BCE over all N C logits, as displayed.
bce_batch_gradient = (S_batch - Y_bce) / (N * C)


CE_BATCH_GENERAL = "batch mean: dL/dZ = (diag(Q 1) Y_hat - Q) / N for any Q"
CE_BATCH = "batch mean: dL/dZ = (Y_hat - Q) / N for rows of Q on the simplex"
BCE_BATCH = "mean BCE over (N, C) logits: dL/dZ = (sigma(Z) - Y) / (N C)"


def _entrywise(shape, f):
    """The matrix of the given (symbolic) shape whose entry (r, c) is f(r, c)."""
    r, c = sp.Dummy("r", integer=True), sp.Dummy("c", integer=True)
    return sp.FunctionMatrix(*shape, sp.Lambda((r, c), f(r, c)))


def softmax_of_column(z):
    """softmax(z) of a column z of symbolic length: e^{z_r} / sum_j e^{z_j}."""
    j = sp.Dummy("j", integer=True)
    total = sp.Sum(sp.exp(z[j, 0]), (j, 0, z.shape[0] - 1))
    return _entrywise(z.shape, lambda r, c: sp.exp(z[r, 0]) / total)


def softmax_of_rows(Zm):
    """softmax of each row of Zm (N x C): entry (r, c) is e^{Z_rc} / sum_j e^{Z_rj}."""
    j = sp.Dummy("j", integer=True)
    return _entrywise(Zm.shape, lambda r, c: sp.exp(Zm[r, c]) / sp.Sum(sp.exp(Zm[r, j]), (j, 0, Zm.shape[1] - 1)))


def _sum_entries(shape, f):
    """sum over every entry (r, c) of a matrix of the given shape of f(r, c)."""
    r, c = sp.Dummy("r", integer=True), sp.Dummy("c", integer=True)
    return sp.Sum(f(r, c), (r, 0, shape[0] - 1), (c, 0, shape[1] - 1))


def _mse_in_entries(scale):
    """The displayed c sum_{i=1}^p (y_hat_i - y_i)^2 with y_hat_i, y_i the entries i - 1 of
    the columns y_hat, y of symbolic length p."""
    columns = {yh_i: y_hat_col, y_i: y_col}
    return mse_loss(scale).replace(lambda e: isinstance(e, sp.Indexed) and e.base in columns,
                                   lambda e: columns[e.base][e.indices[0] - 1, 0])


def _mse_name(conv, scale):
    return f"MSE as {conv}: dL/dy_hat is the vector {mse_gradient_factor(scale)} (y_hat - y)"


def size_claims() -> list:
    """Every loss gradient of the page at symbolic size, as data (tests mutate the claims): the
    MSE in each convention (any p) and as the mean over a batch (any N, p); softmax's Jacobian,
    log-softmax's, and cross-entropy's gradient for one sample (any C) and for the batch mean
    (any N, C), for any targets and, substituted, on the simplex; the mean BCE (any N, C)."""
    P, Pz = softmax_of_rows(Z), softmax_of_column(z_col)
    q = _q(C)
    ce_one = -_sum_entries(q.shape, lambda r, c: q[r, 0] * sp.log(Pz[r, 0]))
    ce_batch = -_sum_entries(Z.shape, lambda r, c: Q[r, c] * sp.log(P[r, c])) / N
    one_C = sp.OneMatrix(C, 1)
    sig = _entrywise(Z.shape, lambda r, c: sigma.subs(zs, Z[r, c]))
    bce_mean = _sum_entries(Z.shape, lambda r, c: bce.subs({zs: Z[r, c], t: Y_bce[r, c]})) / (N * C)
    mse_batch = _sum_entries(Y_batch.shape, lambda r, c: (Y_hat_batch[r, c] - Y_batch[r, c]) ** 2) / (N * p_out)
    return [
        *(ix.GradientClaim(_mse_name(conv, scale), _mse_in_entries(scale), y_hat_col,
                           mse_gradient_factor(scale) * (y_hat_col - y_col), (p_out,), N_INSTANCES)
          for conv, scale in MSE_CONVENTIONS.items()),
        ix.GradientClaim("mse over a batch: dL/dY_hat = 2 (Y_hat - Y) / (N p)", mse_batch, Y_hat_batch,
                         2 * (Y_hat_batch - Y_batch) / (N * p_out), (N, p_out), BATCH_INSTANCES),
        ix.vjp_claim("softmax Jacobian = diag(y_hat) - y_hat y_hat^T, as J^T g for every g", Pz, z_col, g_col,
                     softmax_jacobian_formula().xreplace({_p(C): Pz}).T * g_col, (C,), C_INSTANCES),
        ix.vjp_claim("log-softmax Jacobian = I - 1 y_hat^T, as J^T g for every g",
                     _entrywise(z_col.shape, lambda r, c: sp.log(Pz[r, 0])), z_col, g_col,
                     (sp.Identity(C) - one_C * Pz.T).T * g_col, (C,), C_INSTANCES),
        ix.GradientClaim("dL/dz = y_hat sum(q) - q for any q", ce_one, z_col,
                         ce_gradient_general().xreplace({_p(C): Pz, SUM_Q: one_C.T * q}), (C,), C_INSTANCES),
        ix.GradientClaim(CE_BATCH_GENERAL, ce_batch, Z,
                         ce_batch_general.xreplace({P_batch: P, ROWSUMS: Q * one_C}), (N, C), BATCH_INSTANCES),
        ix.GradientClaim(BCE_BATCH, bce_mean, Z, bce_batch_gradient.xreplace({S_batch: sig}), (N, C),
                         BATCH_INSTANCES),
    ]


def simplex_claims() -> list:
    """The general cross-entropy gradients with the targets' sums set to 1 (the simplex) equal
    the displayed y_hat - q and (Y_hat - Q) / N: identities at symbolic size."""
    one_sample = ce_gradient_general().xreplace({SUM_Q: sp.OneMatrix(1, 1)})
    batch = ce_batch_general.xreplace({ROWSUMS: sp.OneMatrix(N, 1)})
    return [ix.IdentityClaim("dL/dz = y_hat - q for q on the simplex: y_hat sum(q) - q at sum(q) = 1",
                             one_sample, ce_gradient_formula(), (C,), C_INSTANCES),
            ix.IdentityClaim(f"{CE_BATCH}: the general gradient at Q 1 = 1", batch, ce_batch_gradient, (N, C), BATCH_INSTANCES)]


def prove_logsumexp_shift(lhs=logsumexp, rhs=logsumexp_shifted) -> verify.Check:
    """log sum_j e^{z_j} = c + log sum_j e^{z_j - c} for any C, in two steps: the shifted sum is
    e^{-c} times the sum (summand by summand, index notation), and log(e^{-c} T) = -c + log T
    for the sum T > 0."""
    start = time.perf_counter()
    name = "log-sum-exp is unchanged by any shift c: index notation, any C"
    (total,), (shifted,) = lhs.atoms(sp.Sum), rhs.atoms(sp.Sum)
    T = sp.Symbol("T", positive=True)           # the sum of exponentials is positive
    if not ix.is_zero(ix.collapse(shifted - sp.exp(-m) * total)):
        return verify.Check(TOPIC, name, "symbolic size", float("inf"), 0.0, False,
                            "the shifted sum is not e^-c times the sum")
    d = sp.expand_log(rhs.xreplace({shifted: sp.exp(-m) * T}) - lhs.xreplace({total: T}))
    if d != 0:
        return verify.Check(TOPIC, name, "symbolic size", float("inf"), 0.0, False,
                            f"with the shifted sum e^-c T the sides differ by {d}")
    return verify.Check(TOPIC, name, "symbolic size", 0.0, 0.0, True, seconds=time.perf_counter() - start)


def explicit_batch_proofs() -> list[verify.Check]:
    """The batch gradients proved on explicit entries at N >= 2 (where a dropped 1/N shows),
    as the one-sample formulas are: SymPy differentiates the loss summed row by row (entry by
    entry for BCE) and compares with the displayed formula on the same matrices; the
    cross-entropy's targets with each row's last entry 1 minus the others."""
    def prove(name, L, Zx, shown, constraint):
        grad = Zx.applyfunc(lambda v: sp.diff(L, v))
        return verify.symbolic_identity(TOPIC, name, grad.xreplace(constraint), shown.xreplace(constraint))

    out = []
    for rows, cols in BATCH_SIZES:
        at = {N: rows, C: cols}
        Zx, Qx, Yx = matrix("z", rows, cols), matrix("q", rows, cols), matrix("y", rows, cols)
        P = sp.Matrix.vstack(*[softmax_expr(Zx[r, :].T).T for r in range(rows)])
        ce_mean = sum(cross_entropy(Zx[r, :].T, Qx[r, :].T) for r in range(rows)) / rows
        simplex = {Qx[r, cols - 1]: 1 - sum(Qx[r, :cols - 1]) for r in range(rows)}
        out.append(verify.timed(prove, f"{CE_BATCH}, (N, C) = ({rows}, {cols})", ce_mean, Zx,
                                explicit(ce_batch_gradient.subs(at), {P_batch.subs(at): P, Q.subs(at): Qx}),
                                simplex))
        bce_mean = sum(bce.subs({zs: Zx[k], t: Yx[k]}) for k in range(rows * cols)) / (rows * cols)
        out.append(verify.timed(prove, f"{BCE_BATCH}, (N, C) = ({rows}, {cols})", bce_mean, Zx,
                                explicit(bce_batch_gradient.subs(at), {S_batch.subs(at): Zx.applyfunc(
                                    lambda v: sigma.subs(zs, v)), Y_bce.subs(at): Yx}), {}))
    return out


# --------------------------------------------------------------- by hand: the steps a student writes
# The softmax Jacobian and the cross-entropy gradient derived as on paper, entry by entry (1-based
# indices i, j, k over C classes), each equality of a displayed chain a check. A displayed step
# names its derivatives (dL/dz_j, dL/dy_hat_i, dy_hat_i/dz_j) and writes y_hat_i for the softmax;
# its meaning (:func:`in_logits`) binds those names to SymPy's derivatives and y_hat_i to
# e^{z_i} / sum_k e^{z_k}, so that every step is proved on functions of the logits.
k = sp.Symbol("k", positive=True, integer=True)
q_i = sp.IndexedBase("q")
_slack = sp.Symbol("u", nonnegative=True, integer=True)
#: C = j + u with u >= 0: the index j is in 1..C by construction (index_notation's device).
J_IN_RANGE = {C: j + _slack}
#: Where a wrong step is shown wrong: C = j + u written out, and the Jacobian's free index i
#: (in the gradient, i is bound by its sums).
HAND_INSTANCES = ({j: 2, _slack: 1}, {j: 1, _slack: 2})
JACOBIAN_INSTANCES = tuple({**v, i: w} for v in HAND_INSTANCES for w in (1, 2))
_exp_sum = sp.Sum(sp.exp(z_j[k]), (k, 1, C))
DL_DZ, DL_DYHAT, DYHAT_DZ = sp.symbols("dL_dz_j dL_dyhat_i dyhat_i_dz_j")
HAND_NAMES = {DL_DZ: r"\frac{\partial L}{\partial z_j}", DL_DYHAT: r"\frac{\partial L}{\partial \hat{y}_i}",
              DYHAT_DZ: r"\frac{\partial \hat{y}_i}{\partial z_j}"}
_delta = sp.KroneckerDelta(i, j)


def softmax_entry(r):
    """y_hat_r = e^{z_r} / sum_{k=1}^C e^{z_k}, in index notation."""
    return sp.exp(z_j[r]) / _exp_sum


def _ce_in_yhat():
    """L = -sum_{r=1}^C q_r log y_hat_r, a function of the probabilities (its index r is not the
    k of the softmax's sum, which it will contain)."""
    r = sp.Symbol("r", positive=True, integer=True)
    return -sp.Sum(q_i[r] * sp.log(yh_i[r]), (r, 1, C))


def _yhat_to_logits(e):
    return e.replace(lambda a: isinstance(a, sp.Indexed) and a.base == yh_i, lambda a: softmax_entry(a.indices[0]))


def in_logits(step):
    """A displayed step as a function of the logits: the named derivatives bound to SymPy's,
    y_hat_r to the softmax, and C = j + u."""
    meaning = {DL_DZ: sp.diff(_yhat_to_logits(_ce_in_yhat()), z_j[j]),
               DL_DYHAT: sp.diff(_ce_in_yhat(), yh_i[i]), DYHAT_DZ: sp.diff(softmax_entry(i), z_j[j])}
    e = _yhat_to_logits(step.xreplace(meaning)).xreplace(J_IN_RANGE)
    return e.replace(lambda d: isinstance(d, sp.Derivative), lambda d: d.doit())


def _product(*factors):
    return sp.Mul(*factors, evaluate=False)


#: The softmax Jacobian's entry, y_hat_i (delta_ij - y_hat_j), as displayed.
jacobian_entry = _product(yh_i[i], sp.Add(_delta, -yh_i[j], evaluate=False))


def softmax_jacobian_steps():
    """(reason, displayed step) of dy_hat_i/dz_j: the quotient rule on e^{z_i} / sum_k e^{z_k},
    then y_hat_i factored out; the first entry is the derivative itself, unevaluated."""
    return [(None, sp.Derivative(softmax_entry(i), z_j[j])),
            ("the quotient rule, d e^{z_i}/dz_j = delta_ij e^{z_i}, d sum_k e^{z_k}/dz_j = e^{z_j}",
             _product(sp.Add(_product(_delta, sp.exp(z_j[i]), _exp_sum), -_product(sp.exp(z_j[i]), sp.exp(z_j[j])),
                             evaluate=False), sp.Pow(_exp_sum, -2))),
            ("y_hat_i (delta_ij - y_hat_j), y_hat_i factored out", jacobian_entry)]


def ce_gradient_steps():
    """(reason, displayed step) of dL/dz_j for L = -sum_k q_k log y_hat_k: the chain rule, the
    two factors, the cancelled y_hat_i, the delta summed; any targets q."""
    return [(None, DL_DZ),
            ("the chain rule through y_hat", sp.Sum(DL_DYHAT * DYHAT_DZ, (i, 1, C))),
            ("dL/dy_hat_i = -q_i / y_hat_i and the Jacobian entry",
             -sp.Sum(_product(q_i[i] / yh_i[i], jacobian_entry), (i, 1, C))),
            ("y_hat_i cancelled", sp.Sum(sp.Add(-q_i[i] * _delta, _product(q_i[i], yh_i[j]), evaluate=False), (i, 1, C))),
            ("only i = j survives the delta; y_hat_j does not depend on i",
             sp.Add(-q_i[j], _product(yh_i[j], sp.Sum(q_i[i], (i, 1, C))), evaluate=False))]


#: The sum of the targets; on the simplex it is 1.
target_sum = sp.Sum(q_i[i], (i, 1, C))


def simplex_step():
    """(reason, displayed step): the last step of ce_gradient_steps at sum_i q_i = 1."""
    return ("sum_i q_i = 1 (q on the simplex)", sp.Add(yh_i[j], -q_i[j], evaluate=False))


HAND_JACOBIAN = "softmax Jacobian by hand"
HAND_CE = "dL/dz by hand"


def _chain_checks(name, steps, meaning=in_logits, instances=HAND_INSTANCES) -> list[verify.Check]:
    """One check per equality of a displayed chain: step k's side against step k - 1's, both
    as functions of the logits, at symbolic size."""
    return [ix.prove_identity(TOPIC, f"{name}, step {n}: {reason}: index notation, any C", meaning(before),
                              meaning(after), instances)
            for n, ((_, before), (reason, after)) in enumerate(zip(steps, steps[1:]), start=1)]


def hand_checks(jacobian=None, gradient=None, simplex=None) -> list[verify.Check]:
    """The hand derivations' steps proved (tests pass mutated steps): the softmax Jacobian's
    entry, the matrix it is an entry of, the cross-entropy gradient for any q and on the simplex."""
    jacobian = softmax_jacobian_steps() if jacobian is None else jacobian
    gradient = ce_gradient_steps() if gradient is None else gradient
    simplex = simplex_step() if simplex is None else simplex
    P = _p(C)
    as_column = jacobian[-1][1].replace(lambda a: isinstance(a, sp.Indexed) and a.base == yh_i,
                                        lambda a: P[a.indices[0], 0])   # 0-based, as SymPy's matrix
    out = _chain_checks(HAND_JACOBIAN, jacobian, instances=JACOBIAN_INSTANCES)
    out.append(ix.prove_identity(TOPIC, f"{HAND_JACOBIAN}: entry (i, j) of diag(y_hat) - y_hat y_hat^T is "
                                 "y_hat_i (delta_ij - y_hat_j): index notation, any C",
                                 ix.entry(softmax_jacobian_formula(), i, j), as_column,
                                 tuple({**v, C: v[j] + v[_slack]} for v in JACOBIAN_INSTANCES)))
    out += _chain_checks(HAND_CE, gradient)
    on_simplex_ = lambda e: in_logits(e.xreplace({target_sum: sp.Integer(1)}))  # noqa: E731
    out += _chain_checks(f"{HAND_CE} on the simplex", [gradient[-1], simplex], on_simplex_)
    return out


def chain_tex(steps, names=HAND_NAMES) -> str:
    """The displayed chain step_0 = step_1 = ..., one relation per row on the page."""
    return " = ".join(tex(e, names=names, order="none") for _, e in steps)


# BCE by hand: sigma' first, then the chain rule through sigma; scalar steps, proved with sigma's
# definition substituted (and the named derivatives bound to SymPy's)
DSIGMA_DZ, DL_DSIGMA, DL_DZ_BCE = sp.symbols("dsigma_dz dL_dsigma dL_dz")
#: sigma(z) as the BCE chain displays it, sigma for short (a phone's width).
SIGMA = sp.Symbol("sigma", positive=True)
_s = sp.Symbol("s", real=True)     # sigma, as the variable the loss is differentiated by
BCE_NAMES = {DSIGMA_DZ: r"\frac{d \sigma}{d z}", DL_DSIGMA: r"\frac{\partial L}{\partial \sigma}",
             DL_DZ_BCE: r"\frac{\partial L}{\partial z}"}
HAND_SIGMA = "sigma' by hand"
HAND_BCE = "BCE dL/dz by hand"


def in_sigma_definition(step):
    """A displayed BCE step with sigma(z) = 1 / (1 + e^{-z}) and the named derivatives bound."""
    meaning = {DSIGMA_DZ: sp.diff(sigma, zs), DL_DZ_BCE: sp.diff(bce, zs),
               DL_DSIGMA: sp.diff(bce_display.subs(_sigma(zs), _s), _s).subs(_s, sigma)}
    e = step.xreplace(meaning).subs(_sigma(zs), sigma).xreplace({SIGMA: sigma})
    return e.replace(lambda d: isinstance(d, sp.Derivative), lambda d: d.doit())


def sigma_prime_steps():
    """(reason, displayed step) of sigma'(z): the derivative of 1 / (1 + e^{-z}), then in sigma."""
    s_ = _sigma(zs)
    return [(None, sp.Derivative(1 / (1 + sp.exp(-zs)), zs)),
            ("the chain rule on (1 + e^{-z})^{-1}", sp.exp(-zs) / (1 + sp.exp(-zs)) ** 2),
            ("sigma(z) (1 - sigma(z)), as 1/(1 + e^{-z}) times e^{-z}/(1 + e^{-z})",
             _product(s_, sp.Add(1, -s_, evaluate=False)))]


def bce_gradient_steps():
    """(reason, displayed step) of dL/dz for BCE through the sigmoid, sigma(z) written sigma."""
    s_ = SIGMA
    return [(None, DL_DZ_BCE),
            ("the chain rule through sigma", _product(DL_DSIGMA, DSIGMA_DZ)),
            ("dL/dsigma and sigma'", _product(sp.Add(-t / s_, (1 - t) / (1 - s_), evaluate=False),
                                              s_, sp.Add(1, -s_, evaluate=False))),
            ("sigma and 1 - sigma cancelled", sp.Add(_product(-t, sp.Add(1, -s_, evaluate=False)),
                                                     _product(sp.Add(1, -t, evaluate=False), s_), evaluate=False)),
            ("the y sigma terms cancelled", sp.Add(s_, -t, evaluate=False))]


def bce_hand_checks(sigma_steps=None, gradient=None) -> list[verify.Check]:
    """One check per equality of the two BCE chains (tests pass mutated steps)."""
    out = []
    for name, steps in ((HAND_SIGMA, sigma_prime_steps() if sigma_steps is None else sigma_steps),
                        (HAND_BCE, bce_gradient_steps() if gradient is None else gradient)):
        out += [verify.timed(verify.symbolic_identity, TOPIC, f"{name}, step {n}: {reason}",
                             in_sigma_definition(before), in_sigma_definition(after))
                for n, ((_, before), (reason, after)) in enumerate(zip(steps, steps[1:]), start=1)]
    return out


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
    ident = lambda name, a, b: verify.timed(verify.symbolic_identity, TOPIC, name, a, b)  # noqa: E731
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
    out += [c for claim in size_claims() + simplex_claims() for c in claim.checks(TOPIC)]
    out += hand_checks() + bce_hand_checks()
    out.append(prove_logsumexp_shift())
    out += explicit_batch_proofs()
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
        "eq_mse": Equation(eq_mse, proofs=(_mse_name("mean", mean),)),
        "mse_conventions": table,
        "n_sizes": " and ".join(map(str, N_SIZES)),
        "c_sizes": " and ".join(map(str, C_SIZES)),
        "eq_hand_jacobian": Equation(r"\frac{\partial \hat y_i}{\partial z_j} = " + chain_tex(softmax_jacobian_steps()),
                                     proofs=(f"{HAND_JACOBIAN}, step",)),
        "eq_hand_ce": Equation(chain_tex(ce_gradient_steps()), proofs=(f"{HAND_CE}, step",)),
        "eq_hand_ce_simplex": Equation(chain_tex([ce_gradient_steps()[-1], simplex_step()]),
                                       proofs=(f"{HAND_CE} on the simplex",)),
        "eq_hand_sigma": Equation(r"\sigma'(z) = " + chain_tex(sigma_prime_steps(), BCE_NAMES),
                                  proofs=(f"{HAND_SIGMA}, step",)),
        "eq_hand_bce": Equation(chain_tex(bce_gradient_steps(), BCE_NAMES), proofs=(f"{HAND_BCE}, step",)),
        "eq_softmax_jac": Equation(rf"\frac{{\partial \hat y}}{{\partial z}} = {jac}",
                                   proofs=("softmax Jacobian = diag(y_hat) - y_hat y_hat^T",)),
        "eq_ce_grad": Equation(rf"\frac{{\partial L}}{{\partial z}} = {tex(ce_gradient_formula())}"
                               r"\qquad \text{whenever } \textstyle\sum_k q_k = 1",
                               proofs=("dL/dz = y_hat - q for q on the simplex", "dL/dz = y_hat sum(q) - q for any q")),
        "eq_ce_batch": Equation(rf"\frac{{\partial L}}{{\partial Z}} = {tex(ce_batch_gradient)}"
                                r"\qquad \text{whenever every row of } Q \text{ sums to } 1",
                                proofs=(CE_BATCH, CE_BATCH_GENERAL)),
        "eq_bce": Equation(aligned(bce_rows), proofs=("dL/dz of BCE(sigma(z), y) = sigma(z) - y",)),
        "eq_bce_batch": Equation(rf"\frac{{\partial L}}{{\partial Z}} = {tex(bce_batch_gradient)}",
                                 proofs=(BCE_BATCH,)),
        "eq_logsumexp": Equation(rf"{tex(logsumexp)} = {tex(logsumexp_shifted)}",
                                 proofs=("log-sum-exp is unchanged by any shift c",)),
        "eq_bce_logits": Equation(rf"L = {tex(bce_stable, order='none')}",
                                  proofs=("BCE with logits max(z,0) - z y + log(1 + e^-|z|) is exact",)),
        "fig_naive": _naive_vs_fused_figure(),
        "exp_overflow": f"{EXP_OVERFLOW:.2f}",
        "first_bad_ce": f"{first_failure(naive_softmax_ce):.2f}",
        "first_bad_bce": f"{first_failure(naive_bce):.2f}",
        "wrong_label": str(WRONG_LABEL),
        "big_ce": f"{ce:.1f}",
        "big_bce": f"{bce_:.1f}",
    }
