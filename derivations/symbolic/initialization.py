"""Initialization in SymPy: variance propagation, and the Xavier and He variances.

For z = sum_{i=1}^n w_i x_i with zero-mean weights of variance Var(w), independent of each
other and of the inputs, Var(z) = n Var(w) E[x^2], whatever the inputs' mean and correlations:
proved for every n in index notation from the moment axioms (:func:`index_expectation`,
E[w_i w_j] = Var(w) delta_ij, E[x_i x_j] = M_ij, M_ii = E[x^2]), and again on the explicit
algebra of expectations (:func:`expectation`) at n = 3 and n = 5; the backward pass's
E[(W^T u)_j^2] = m Var(w) E[u^2] likewise, for every fan-out m. The textbook
form n Var(w) Var(x) holds only for zero-mean inputs, which ReLU outputs are not. For a
symmetric zero-mean z, E[relu(z)^2] = Var(z)/2 (proved for every even density, and integrated
for the normal one); with the general formula this gives He's 2/n, while the zero-mean form
would give 2 pi / ((pi - 1) n). Xavier's 2/(n + m) averages the forward and backward
conditions. Monte Carlo checks each with a tolerance of five standard errors computed from its
own samples, and deep stacks are compared with the mean-field recursion.

What an initializer asks for: the fan modes (fan_in keeps the forward second moment, fan_out
the backward one, fan_avg is Xavier's harmonic compromise), each step proved for any n and m;
the gains g of Var(w) = g^2 / fan (linear 1, ReLU sqrt(2), leaky ReLU sqrt(2/(1 + alpha^2)))
from E[f(z)^2] = r Var(z); for tanh, whose 5/3 is PyTorch's recommendation and not derived
here, the gain of a fixed point q* of the mean-field recursion and the gradient factor chi
there; Var U(-a, a) = a^2/3 in steps and the uniform bounds; the samplers by Monte Carlo
with tolerances derived from the kurtosis; and a deep tanh stack's activations, saturation
and gradients per layer against the mean-field recursions (the page's histograms).
:func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import functools
import math
import zlib
from dataclasses import replace

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table
from ..numeric import activations as activations_np
from ..numeric import initialization as initialization_np
from . import index_notation
from .common import tex

__all__ = ["variance_formula", "relu_second_moment_formula", "expectation",
           "preactivation_variance", "squared_norm_through_transpose", "relu_second_moment",
           "even_density_proof", "he_from_condition", "he_from_zero_mean_form",
           "xavier_from_conditions", "index_expectation", "size_claims", "size_checks", "checks", "exhibits",
           "uniform_moment_steps", "uniform_bound_for", "mode_variance", "mode_factors", "mode_steps",
           "gain_condition", "derived_gain", "gain_for_fixed_point", "tanh_small_q", "tanh_fixed_point", "tanh_chi",
           "kurtosis", "tanh_stack_run", "hist_figure"]

TOPIC = "initialization"
#: The fan-ins n at which the variance formula is proved on the algebra of expectations.
PROOF_SIZES = (3, 5)
#: The number of Monte Carlo samples, and the tolerance in standard errors.
MC_SAMPLES = 20000
MC_STANDARD_ERRORS = 5
#: (n, m) of the matrices drawn to check the samplers.
SAMPLER_SHAPE = (400, 300)
#: The deep stacks (depth, width, batch), and the widths and seeds of the finite-width study.
DEPTH, WIDTH, N_SAMPLES = 20, 256, 512
TRANSPOSE_SHAPES = ((2, 3), (3, 2))
DRIFT_WIDTHS, DRIFT_SEEDS, DRIFT_SAMPLES = (32, 256), 8, 128
#: A stack follows the mean-field recursion within this many times sqrt(2 l / n) after l layers,
#: an empirical scale of the compounded finite-width fluctuation.
PROPAGATION_SD = 4

n, m = sp.symbols("n m", positive=True, integer=True)      # fan-in, fan-out
var_w = sp.Symbol("v_w", positive=True)                    # Var(w)
ex2 = sp.Symbol("x_sq", positive=True)                     # E[x^2]
ex1 = sp.Symbol("x_mean", real=True)                       # E[x]
var_x = sp.Symbol("v_x", positive=True)                    # Var(x)
var_z = sp.Symbol("v_z", positive=True)                    # Var(z)
#: The symbols are named so that SymPy prints n Var(w) E[x^2] in this order.
_t = sp.Symbol("t", real=True)
_p = sp.Function("p")                                      # a density

NAMES = {var_w: r"\operatorname{Var}(w)", ex2: r"\mathbb{E}[x^2]", ex1: r"\mathbb{E}[x]",
         var_x: r"\operatorname{Var}(x)", var_z: r"\operatorname{Var}(z)"}

#: Var(z) = n Var(w) E[x^2], the statement that holds.
variance_formula = n * var_w * ex2
#: n Var(w) Var(x), the zero-mean form; VAR_X says what Var(x) is.
zero_mean_formula = n * var_w * var_x
VAR_X = {var_x: ex2 - ex1 ** 2}
#: What the zero-mean form misses, Var(z) - n Var(w) Var(x) = n Var(w) E[x]^2.
zero_mean_gap = n * var_w * ex1 ** 2
#: E[relu(z)^2] = Var(z) / 2 for a symmetric zero-mean z.
relu_second_moment_formula = var_z / 2


# ------------------------------------------------------------------ the algebra of expectations
def _weight_moment(k: int, symmetric: bool):
    """E[w^k] of one weight: 1, 0 (zero mean), Var(w), then a symbol mu_k (0 for odd k if the
    weights are symmetric)."""
    if k < 3:
        return (sp.Integer(1), sp.Integer(0), var_w)[k]
    return sp.Integer(0) if symmetric and k % 2 else sp.Symbol(f"mu_{k}")


def _input_moment(exponents) -> sp.Expr:
    """E[prod_i x_i^b_i] for inputs of any joint distribution whose entries share E[x] and
    E[x^2]: those two, and a separate symbol for every other joint moment."""
    nonzero = [(i, b) for i, b in enumerate(exponents) if b]
    if not nonzero:
        return sp.Integer(1)
    if len(nonzero) == 1 and nonzero[0][1] in (1, 2):
        return ex1 if nonzero[0][1] == 1 else ex2
    return sp.Symbol("M_" + "_".join(map(str, exponents)))


def expectation(expr, ws, xs, symmetric: bool = False) -> sp.Expr:
    """E[expr] for a polynomial in the weights ``ws`` and the inputs ``xs``.

    The weights are independent of each other and of the inputs (E factors over them), with
    zero mean and variance Var(w); the inputs may be correlated and of any mean, but share one
    E[x] and one E[x^2] (every other joint moment of the inputs is a symbol of its own)."""
    poly = sp.Poly(sp.expand(expr), *ws, *xs)
    total = sp.Integer(0)
    for monom, coeff in poly.terms():
        wpart = math.prod((_weight_moment(k, symmetric) for k in monom[:len(ws)]), start=sp.Integer(1))
        if wpart != 0:
            total += coeff * wpart * _input_moment(monom[len(ws):])
    return sp.expand(total)


def _unit(size: int):
    ws = sp.symbols(f"w1:{size + 1}", real=True)
    xs = sp.symbols(f"x1:{size + 1}", real=True)
    return ws, xs, sum(w * x for w, x in zip(ws, xs))


def preactivation_variance(size: int = PROOF_SIZES[0]) -> sp.Expr:
    """Var(z) = E[z^2] - E[z]^2 for z = sum_{i=1}^size w_i x_i, on the algebra of expectations."""
    ws, xs, z = _unit(size)
    return sp.expand(expectation(z ** 2, ws, xs) - expectation(z, ws, xs) ** 2)


def third_moment(size: int, symmetric: bool = True) -> sp.Expr:
    """E[z^3] for z = sum w_i x_i (0 when the weights are symmetric, whatever the inputs)."""
    ws, xs, z = _unit(size)
    return expectation(z ** 3, ws, xs, symmetric)


def squared_norm_through_transpose(rows: int, cols: int) -> tuple[sp.Expr, sp.Expr]:
    """(E norm(W^T u)^2, cols rows Var(w) E[u^2]) for W of shape (rows, cols) with independent
    zero-mean entries and u independent of W: the backward pass's version of the formula."""
    W = sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    u = sp.symbols(f"u1:{rows + 1}", real=True)
    sq = sum(e ** 2 for e in W.T * sp.Matrix(u))
    got = expectation(sq, list(W), u)
    # the inputs' moment symbols: E[u_i^2] is shared (ex2); compare with cols * rows Var(w) E[u^2]
    return got, cols * rows * var_w * ex2


# ------------------------------------------------------------------ the same at symbolic size
# Index notation: z = sum_{i=1}^n w_i x_i; the backward pass's W (m x n, W_ij) and the upstream
# gradient u (m entries). The moments are the model's axioms (MOMENT_AXIOMS, displayed).
_i, _j, _k = sp.symbols("i j k", integer=True, positive=True)
w_i = sp.IndexedBase("w", real=True)
x_i = sp.IndexedBase("x", real=True)
W_ij = sp.IndexedBase("W", real=True)
u_i = sp.IndexedBase("u", real=True)
eu2 = sp.Symbol("x_u_sq", positive=True)                   # E[u^2] (named to print after Var(w))
eu1 = sp.Symbol("x_u_mean", real=True)                     # E[u]
#: E[x_i x_j] and E[u_i u_k]: any correlation; their diagonal is E[x^2], E[u^2].
M_x, M_u = sp.IndexedBase("M"), sp.IndexedBase("N")
WEIGHTS = (w_i, W_ij)
#: input -> (E of an entry, E of a product of two entries, its diagonal)
INPUTS = {x_i: (ex1, M_x, ex2), u_i: (eu1, M_u, eu2)}
NAMES.update({eu2: r"\mathbb{E}[\delta^2]", eu1: r"\mathbb{E}[\delta]"})

z_sum = sp.Sum(w_i[_i] * x_i[_i], (_i, 1, n))
#: entry j of W^T u: sum_{i=1}^m W_ij u_i.
transpose_entry = sp.Sum(W_ij[_i, _j] * u_i[_i], (_i, 1, m))
#: E[(W^T u)_j^2] = m Var(w) E[u^2]: the backward pass's version of variance_formula.
backward_formula = m * var_w * eu2


def _weight_moment_ix(entries):
    """E of a product of weight entries: 1, 0 (zero mean), and for two entries
    Var(w) times a Kronecker delta for each index (independent entries, variance Var(w))."""
    if len(entries) > 2:
        raise ValueError("index_expectation: moments of order > 2 of the weights are not modelled")
    if len(entries) < 2:
        return sp.Integer(1 - len(entries))
    p, q = entries
    if p.base != q.base:
        return sp.Integer(0)        # two different weight matrices: independent, zero mean
    return var_w * math.prod((sp.KroneckerDelta(a, b) for a, b in zip(p.indices, q.indices)), start=sp.Integer(1))


def _input_moment_ix(entries):
    """E of a product of input entries: 1, the common mean, or the (any) joint moment M_ij."""
    if len(entries) > 2 or len({e.base for e in entries}) > 1:
        raise ValueError("index_expectation: only first and second moments of one input are modelled")
    if not entries:
        return sp.Integer(1)
    mean, second, _ = INPUTS[entries[0].base]
    return mean if len(entries) == 1 else second[entries[0].indices[0], entries[1].indices[0]]


def index_expectation(expr):
    """E[expr] for sums (over symbolic ranges) of products of weight and input entries, by the
    axioms: E is linear; the weights are independent of the inputs, so E factors into the
    weights' moment times the inputs'; E[w_p w_q] = Var(w) delta_pq (entrywise), E[w] = 0;
    E[x_i] = E[x], E[x_i x_j] = M_ij, whatever the correlation."""
    if isinstance(expr, sp.Sum):
        return sp.Sum(index_expectation(expr.function), *expr.limits)
    if isinstance(expr, sp.Add):
        return sp.Add(*map(index_expectation, expr.args))
    weights, inputs, rest = [], [], []
    for factor in sp.Mul.make_args(expr):
        base, power = factor.as_base_exp()
        if isinstance(base, sp.Indexed) and power.is_Integer and power > 0 and base.base in (*WEIGHTS, *INPUTS):
            (weights if base.base in WEIGHTS else inputs).extend([base] * int(power))
        else:
            rest.append(factor)
    return sp.Mul(*rest) * _weight_moment_ix(weights) * _input_moment_ix(inputs)


def squared(s: sp.Sum):
    """s^2 as one sum over two copies of s's summation variables (the second renamed)."""
    primed = {v: sp.Symbol(f"{v.name}'", **v.assumptions0) for v, *_ in s.limits}
    t = s.xreplace(primed)
    return sp.Sum(s.function * t.function, *s.limits, *t.limits)


def moment(expr):
    """E[expr] summed: the deltas collapsed over their ranges, then each M_ii replaced by the
    common second moment (the axiom M_ii = E[x^2]), then constant sums counted."""
    e = index_notation.collapse(index_expectation(expr))
    diagonal = {second: value for _, second, value in INPUTS.values()}
    e = e.replace(lambda t: isinstance(t, sp.Indexed) and t.base in diagonal and t.indices[0] == t.indices[1],
                  lambda t: diagonal[t.base])
    return sp.expand(e.doit())


def preactivation_variance_any_n():
    """Var(z) = E[z^2] - E[z]^2 for z = sum_{i=1}^n w_i x_i at symbolic n, from the axioms."""
    return moment(squared(z_sum)) - moment(z_sum) ** 2


def size_claims(he=None, backward=None) -> list[tuple]:
    """(name, derivation, claimed, instances) of the variance formulas at symbolic fan-in n and
    fan-out m: ``derivation()`` derives one side in index notation from the axioms (a thunk, so
    that the check's time includes it); ``he`` and ``backward`` replace the claimed He variance
    and backward formula (tests mutate them and see the proofs fail)."""
    at = [{n: 1, m: 2}, {n: 2, m: 3}]          # sizes at which a wrong claim is shown wrong
    backward = backward_formula if backward is None else backward
    entry_squared = squared(transpose_entry)
    return [
        ("Var(z) = n Var(w) E[x^2]: index notation, any n", preactivation_variance_any_n, variance_formula, at),
        ("Var(z) - n Var(w) Var(x) = n Var(w) E[x]^2: index notation, any n",
         lambda: preactivation_variance_any_n() - zero_mean_formula.subs(VAR_X), zero_mean_gap, at),
        ("E[(W^T u)_j^2] = m Var(w) E[u^2], W of shape (m, n): index notation, any m",
         lambda: moment(entry_squared), backward, at),
        ("E of the squared norm of W^T u = n m Var(w) E[u^2]: index notation, any n, m",
         lambda: moment(sp.Sum(entry_squared.function, *entry_squared.limits, (_j, 1, n))), n * backward_formula, at),
        ("He: Var(w) = 2/n: from the condition, any n", he_from_condition, 2 / n if he is None else he, at),
        ("Xavier: Var(w) = 2/(n + m): from the forward and backward conditions, any n, m",
         lambda: xavier_from_conditions(backward), 2 / (n + m), at),
    ]


def size_checks(**mutations) -> list[verify.Check]:
    """Each of :func:`size_claims` proved, its derivation timed with its proof."""
    return [verify.timed(lambda: index_notation.prove_identity(TOPIC, name, derive(), claimed, at))
            for name, derive, claimed, at in size_claims(**mutations)]


def backward_entry_moment(rows: int, cols: int) -> sp.Expr:
    """E[(W^T u)_1^2] for W of shape (rows, cols), on the explicit algebra of expectations (E[u^2]
    written E[x^2] there)."""
    W = sp.Matrix(rows, cols, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    u = sp.symbols(f"u1:{rows + 1}", real=True)
    return expectation((W.T * sp.Matrix(u))[0] ** 2, list(W), u).subs(ex2, eu2)


def _explicit_instances() -> list[verify.Check]:
    """The symbolic-size results at explicit sizes against the explicit algebra of expectations:
    Var(z) at n = PROOF_SIZES, the backward entry, He's and Xavier's variances from the
    explicit conditions."""
    out = []
    for (rows, cols) in TRANSPOSE_SHAPES:
        out.append(_timed_identity(f"E[(W^T u)_j^2] = m Var(w) E[u^2], W of shape (m, n) = ({rows}, {cols})",
                                   backward_entry_moment(rows, cols), backward_formula.subs(m, rows)))
    for size in PROOF_SIZES:
        explicit_he = sp.solve(sp.Eq(preactivation_variance(size).subs(ex2, relu_second_moment_formula), var_z), var_w)[0]
        out.append(_timed_identity(f"He: Var(w) = 2/n at n = {size}, from the explicit expectations",
                                   explicit_he, he_from_condition().subs(n, size)))
    for (rows, cols) in TRANSPOSE_SHAPES:       # W of shape (m, n): fan-out m = rows, fan-in n = cols
        forward, backward = preactivation_variance(cols) / ex2, backward_entry_moment(rows, cols) / eu2
        explicit_xavier = sp.solve(sp.Eq((forward + backward) / 2, 1), var_w)[0]
        out.append(_timed_identity(f"Xavier: Var(w) = 2/(n + m) at (n, m) = ({cols}, {rows}), from the explicit expectations",
                                   explicit_xavier, xavier_from_conditions().subs({n: cols, m: rows})))
    return out


def _timed_identity(name, a, b) -> verify.Check:
    return verify.timed(verify.symbolic_identity, TOPIC, name, a, b)


def _any_size(name, a, b) -> verify.Check:
    """a = b proved by SymPy with the sizes left as symbols (a solve for any n, m)."""
    return replace(_timed_identity(name, a, b), method="symbolic size")


# ------------------------------------------------------------------ ReLU and the He variance
def relu_second_moment():
    """E[relu(z)^2] for z ~ N(0, Var(z)): the integral of t^2 times the density over t > 0."""
    pdf = sp.exp(-_t ** 2 / (2 * var_z)) / sp.sqrt(2 * sp.pi * var_z)
    return sp.simplify(sp.integrate(_t ** 2 * pdf, (_t, 0, sp.oo)))


def relu_mean():
    """E[relu(z)] for z ~ N(0, Var(z))."""
    pdf = sp.exp(-_t ** 2 / (2 * var_z)) / sp.sqrt(2 * sp.pi * var_z)
    return sp.simplify(sp.integrate(_t * pdf, (_t, 0, sp.oo)))


def uniform_relu_second_moment():
    """(E[relu(z)^2], Var(z)) for z uniform on (-a, a)."""
    a = sp.Symbol("a", positive=True)
    e2 = sp.integrate(_t ** 2 / (2 * a), (_t, 0, a))
    return e2, sp.integrate(_t ** 2 / (2 * a), (_t, -a, a))


def even_density_proof():
    """For any density p with p(-t) = p(t): (E[relu(z)^2], E[z^2] / 2), the negative half-line
    of E[z^2] mapped onto the positive one by t -> -t."""
    positive = sp.Integral(_t ** 2 * _p(_t), (_t, 0, sp.oo))
    negative = sp.Integral(_t ** 2 * _p(_t), (_t, -sp.oo, 0))
    s = sp.Symbol("s", real=True)
    mirrored = negative.transform(-_t, s)          # s = -t: the same integral, over s > 0
    mirrored = mirrored.xreplace({_p(-s): _p(s)}).xreplace({s: _t})   # p is even; rename s to t
    return positive, (mirrored + positive) / 2


alpha = sp.Symbol("alpha", positive=True)    # leaky ReLU's slope for z < 0


def leaky_even_density_proof():
    """For any even density p: (E[leaky_relu(z)^2], (1 + alpha^2)/2 E[z^2]) (the exercise)."""
    positive, half = even_density_proof()
    s = sp.Symbol("s", real=True)
    negative = sp.Integral(alpha ** 2 * _t ** 2 * _p(_t), (_t, -sp.oo, 0)).transform(-_t, s)
    negative = negative.xreplace({_p(-s): _p(s)}).xreplace({s: _t})
    return sp.expand(positive + negative), sp.expand((1 + alpha ** 2) * half)


def leaky_he_variance():
    """Var(w) keeping Var(z) through leaky ReLU: n Var(w) (1 + alpha^2)/2 Var(z) = Var(z)."""
    return sp.solve(sp.Eq(variance_formula.subs(ex2, (1 + alpha ** 2) / 2 * var_z), var_z), var_w)[0]


def uniform_he_bound():
    """The a of weights uniform on (-a, a) (variance a^2/3) with He's variance (the exercise)."""
    a = sp.Symbol("a", positive=True)
    return sp.solve(sp.Eq(a ** 2 / 3, he_from_condition()), a)[0]


def he_from_condition():
    """Solve Var(z') = Var(z) for Var(w), with Var(z') = n Var(w) E[relu(z)^2]."""
    nxt = variance_formula.subs(ex2, relu_second_moment_formula)
    return sp.solve(sp.Eq(nxt, var_z), var_w)[0]


def he_from_zero_mean_form():
    """The same condition with the zero-mean form n Var(w) Var(relu(z)) (normal z): the wrong
    variance the textbook formula gives for ReLU."""
    nxt = zero_mean_formula.subs(VAR_X).subs({ex2: relu_second_moment(), ex1: relu_mean()})
    return sp.simplify(sp.solve(sp.Eq(nxt, var_z), var_w)[0])


def xavier_from_conditions(backward=None):
    """Solve the average of the forward gain Var(z) / E[x^2] = n Var(w) (variance_formula) and
    the backward gain E[(W^T u)_j^2] / E[u^2] = m Var(w) (``backward``, by default
    backward_formula) equal to 1."""
    backward = backward_formula if backward is None else backward
    return sp.solve(sp.Eq((variance_formula / ex2 + backward / eu2) / 2, 1), var_w)[0]


def both_conditions():
    """Solve the forward condition n Var(w) = 1 and the backward one m Var(w) = 1 together:
    they force m = n."""
    return sp.solve([sp.Eq(variance_formula / ex2, 1), sp.Eq(backward_formula / eu2, 1)], [var_w, m], dict=True)


# ------------------------------------------------------------------ Monte Carlo
def _mc_check(name, samples, expected) -> verify.Check:
    """The mean of ``samples`` against ``expected``: relative error, tolerance five standard
    errors of that mean (estimated from the samples themselves)."""
    samples = np.asarray(samples, dtype=float)
    se = samples.std(ddof=1) / np.sqrt(samples.size)
    err = abs(samples.mean() - expected) / abs(expected)
    tol = MC_STANDARD_ERRORS * se / abs(expected)
    return verify.Check(TOPIC, name, "monte-carlo", float(err), float(tol), bool(err <= tol))


#: The fan-in of the Monte Carlo unit.
MC_FAN_IN = 256
#: The standard deviation of the Monte Carlo unit's weights.
MC_SW = 0.07
#: The standard deviation of the normal variables whose ReLU feeds the Monte Carlo unit.
MC_SU = 1.3


@functools.lru_cache(maxsize=None)
def _mc_relu_unit(seed: int):
    """z = sum_i w_i relu(u_i) over MC_SAMPLES draws, and the inputs' E[x^2] and Var(x)."""
    rng = np.random.default_rng([seed, 1])
    w = MC_SW * rng.standard_normal((MC_SAMPLES, MC_FAN_IN))
    x = activations_np.relu(MC_SU * rng.standard_normal((MC_SAMPLES, MC_FAN_IN)))
    z = np.sum(w * x, axis=1)
    e2 = float(relu_second_moment().subs(var_z, MC_SU ** 2))
    e1 = float(relu_mean().subs(var_z, MC_SU ** 2))
    return z, e2, e2 - e1 ** 2


def mc_checks(seed: int) -> list[verify.Check]:
    rng = np.random.default_rng([seed, 2])
    z, e2, vx = _mc_relu_unit(seed)
    right = float(variance_formula.subs({n: MC_FAN_IN, var_w: MC_SW ** 2, ex2: e2}))
    wrong = float(zero_mean_formula.subs({n: MC_FAN_IN, var_w: MC_SW ** 2, var_x: vx}))
    dev = (z - z.mean()) ** 2 * MC_SAMPLES / (MC_SAMPLES - 1)
    out = [_mc_check(f"Monte Carlo: Var(z) = n Var(w) E[x^2] on ReLU inputs, n = {MC_FAN_IN}, "
                     f"{MC_SAMPLES} samples", dev, right)]
    bad = _mc_check("", dev, wrong)
    out.append(verify.Check(TOPIC, f"Monte Carlo rejects n Var(w) Var(x) on ReLU inputs, n = {MC_FAN_IN}",
                            "monte-carlo", bad.error, bad.tolerance, bool(bad.error > bad.tolerance)))
    out.append(_mc_check(f"Monte Carlo: P(z > 0) = 1/2 on ReLU inputs (z symmetric), {MC_SAMPLES} samples",
                         (z > 0).astype(float), 0.5))
    zs = 1.7 * rng.standard_normal(MC_SAMPLES)
    out.append(_mc_check(f"Monte Carlo: E[relu(z)^2] = Var(z)/2, z normal, {MC_SAMPLES} samples",
                         activations_np.relu(zs) ** 2, float(relu_second_moment_formula.subs(var_z, 1.7 ** 2))))
    zu = rng.uniform(-2.0, 2.0, MC_SAMPLES)
    out.append(_mc_check(f"Monte Carlo: E[relu(z)^2] = Var(z)/2, z uniform, {MC_SAMPLES} samples",
                         activations_np.relu(zu) ** 2, float(relu_second_moment_formula.subs(var_z, sp.Rational(4, 3)))))
    zt = rng.standard_normal(MC_SAMPLES)
    out.append(_mc_check(f"Monte Carlo: E[tanh(z)^2] at Var(z) = 1 equals SymPy's integral, {MC_SAMPLES} samples",
                         activations_np.tanh(zt) ** 2, tanh_second_moment()))
    fan_in, fan_out = SAMPLER_SHAPE
    W = initialization_np.he_normal(fan_in, fan_out, rng)
    out.append(_mc_check(f"he_normal({fan_in}, {fan_out}): the {W.size} weights have variance 2/n, n = {fan_in}",
                         W.ravel() ** 2, initialization_np.he_variance(fan_in)))
    W = initialization_np.xavier_normal(fan_in, fan_out, rng)
    out.append(_mc_check(f"xavier_normal({fan_in}, {fan_out}): the {W.size} weights have variance 2/(n + m), "
                         f"n = {fan_in}, m = {fan_out}", W.ravel() ** 2, initialization_np.xavier_variance(fan_in, fan_out)))
    return out


@functools.lru_cache(maxsize=None)
def tanh_second_moment() -> float:
    """E[tanh(z)^2] for z ~ N(0, 1), integrated numerically by SymPy (mpmath)."""
    pdf = sp.exp(-_t ** 2 / 2) / sp.sqrt(2 * sp.pi)
    return float(sp.Integral(sp.tanh(_t) ** 2 * pdf, (_t, -sp.oo, sp.oo)).evalf(20))


# ------------------------------------------------------------------ deep stacks
def propagate(depth: int, width: int, variance_fn, activation, rng, n_samples: int = 512):
    """Second moment of the activations at each layer of a deep stack (no biases)."""
    h = rng.standard_normal((n_samples, width))
    moments = [float(np.mean(h ** 2))]
    for _ in range(depth):
        W = initialization_np.normal_weights(width, width, variance_fn(width), rng)
        h = activation(h @ W.T)
        moments.append(float(np.mean(h ** 2)))
    return np.array(moments)


@functools.lru_cache(maxsize=None)
def _hermite_nodes(k: int = 201):
    u, wts = np.polynomial.hermite_e.hermegauss(k)
    return u, wts / np.sum(wts)


def mean_field_moments(c: float, activation, depth: int, m0: float = 1.0) -> np.ndarray:
    """The mean-field recursion q_l = c E[h_{l-1}^2] (the variance formula), E[h_l^2] =
    E[f(sqrt(q_l) u)^2] for u ~ N(0, 1) (Gauss-Hermite quadrature), from E[h_0^2] = m0."""
    u, wts = _hermite_nodes()
    out = [m0]
    for _ in range(depth):
        out.append(float(np.sum(wts * activation(np.sqrt(c * out[-1]) * u) ** 2)))
    return np.array(out)


def stacks() -> dict:
    """The stacks of the figure: label -> (activation name, c in Var(w) = c / n)."""
    c_wrong = float(he_from_zero_mean_form() * n)
    return {"ReLU, He (2/n)": ("relu", 2.0),
            "ReLU, Xavier (1/n)": ("relu", 1.0),
            f"ReLU, zero-mean form ({c_wrong:.2f}/n)": ("relu", c_wrong),
            "tanh, Xavier (1/n)": ("tanh", 1.0),
            "tanh, He (2/n)": ("tanh", 2.0)}


_F = {"relu": activations_np.relu, "tanh": activations_np.tanh}


@functools.lru_cache(maxsize=None)
def stack_moments(activation: str, c: float, width: int = WIDTH, depth: int = DEPTH,
                  n_samples: int = N_SAMPLES, seed: int = 0) -> np.ndarray:
    """Mean of h_l^2 at each layer l = 0..depth of a stack with Var(w) = c / width."""
    key = repr((activation, c, width, depth, n_samples)).encode()
    rng = np.random.default_rng([seed, zlib.crc32(key)])
    return propagate(depth, width, lambda k: c / k, _F[activation], rng, n_samples)


def propagation_runs(seed: int = 0) -> dict:
    """label -> (measured, mean-field) second moments per layer."""
    out = {}
    for label, (a, c) in stacks().items():
        measured = stack_moments(a, c, seed=seed)
        out[label] = (measured, mean_field_moments(c, _F[a], DEPTH, measured[0]))
    return out


@functools.lru_cache(maxsize=None)
def drift(seed: int = 0) -> dict:
    """width -> the standard deviation of log(E[h_l^2] / E[h_{l-1}^2]) over the layers l >= 2 of
    DRIFT_SEEDS ReLU stacks with He's variance (whose mean-field factor is exactly 1)."""
    out = {}
    for w in DRIFT_WIDTHS:
        steps = [np.diff(np.log(stack_moments("relu", 2.0, width=w, n_samples=DRIFT_SAMPLES,
                                              seed=seed * 1000 + k)[1:]))
                 for k in range(DRIFT_SEEDS)]
        out[w] = float(np.std(np.concatenate(steps), ddof=1))
    return out


def _fluctuation(width: int, depth: int) -> np.ndarray:
    """sqrt(2 l / n) for l = 1..depth, the empirical scale of the compounded finite-width
    fluctuation (measured by :func:`drift`, not derived)."""
    return np.sqrt(2 * np.arange(1, depth + 1) / width)


def below_identity_proof(f=sp.tanh):
    """((d/dz (z - f(z)), z - f(z) at 0), (f(z)^2, 0)): for f = tanh, z - tanh z vanishes at 0 and
    has a nonnegative derivative, so abs(tanh z) <= abs(z) for every z."""
    return (sp.Matrix([sp.diff(_t - f(_t), _t), (_t - f(_t)).subs(_t, 0)]),
            sp.Matrix([f(_t) ** 2, 0]))


# ------------------------------------------------------------------ uniform weights
a_u = sp.Symbol("a", positive=True)           # the bound of U(-a, a)
gain = sp.Symbol("g", positive=True)          # the gain in Var(w) = g^2 / fan
#: The density of U(-a, a) on its interval.
uniform_density = 1 / (2 * a_u)


def uniform_moment_steps():
    """The hand steps of Var U(-a, a): (the mean's integral, the variance's integral, an
    antiderivative F of its integrand, F(a) - F(-a) unevaluated, a^2/3), unevaluated."""
    mean = sp.Integral(_t * uniform_density, (_t, -a_u, a_u))
    second = sp.Integral(_t ** 2 * uniform_density, (_t, -a_u, a_u))
    F = _t ** 3 / (6 * a_u)
    ends = sp.Add(F.subs(_t, a_u), -F.subs(_t, -a_u), evaluate=False)
    return mean, second, F, ends, a_u ** 2 / 3


def uniform_step_checks(claimed=None) -> list[verify.Check]:
    """Each step of Var U(-a, a) = a^2/3 proved: E[w] = 0 (so Var(w) is the integral of
    t^2 p(t)); F' is the integrand (so the integral is F(a) - F(-a)); F(a) - F(-a) = a^2/3;
    and the integral itself evaluated by SymPy. ``claimed`` replaces a^2/3 (tests mutate it)."""
    mean, second, F, ends, result = uniform_moment_steps()
    result = result if claimed is None else claimed
    centred = sp.Integral((_t - mean) ** 2 * uniform_density, (_t, -a_u, a_u))
    return [
        _any_size("Var U(-a, a), step 1: E[w] = 0, so Var(w) = the integral of t^2/(2a) over (-a, a)",
                  sp.Matrix([mean.doit(), centred.doit()]), sp.Matrix([0, second.doit()])),
        _any_size("Var U(-a, a), step 2: t^3/(6a) is an antiderivative of t^2/(2a)",
                  sp.diff(F, _t), second.function),
        _any_size("Var U(-a, a), step 3: F(a) - F(-a) = a^2/3", ends.doit(), result),
        _any_size("Var U(-a, a) = a^2/3: the integral, evaluated by SymPy", second.doit(), result),
    ]


def uniform_bound_for(variance):
    """The a of U(-a, a) with the given variance: the positive root of a^2/3 = variance."""
    return sp.solve(sp.Eq(uniform_moment_steps()[-1], variance), a_u)[0]


#: The uniform bounds claimed: Xavier's, and a mode's with gain g (He's is g = sqrt(2), fan_in).
UNIFORM_BOUND_CLAIMS = {"xavier": sp.sqrt(6 / (n + m)), "fan_in": gain * sp.sqrt(3 / n),
                        "fan_out": gain * sp.sqrt(3 / m)}


def uniform_bound_checks(claims=None) -> list[verify.Check]:
    """a from a^2/3 = Var(w) for Xavier's variance and for g^2 / fan, against the claims."""
    claims = UNIFORM_BOUND_CLAIMS if claims is None else claims
    out = [_any_size("uniform bound: a^2/3 = 2/(n + m) gives Xavier's a = sqrt(6/(n + m)), any n, m",
                     uniform_bound_for(xavier_from_conditions()), claims["xavier"])]
    for mode in ("fan_in", "fan_out"):
        out.append(_any_size(f"uniform bound: a^2/3 = g^2/fan gives a = g sqrt(3/fan), mode {mode}, any n, m",
                             uniform_bound_for(mode_variance(mode, gain)), claims[mode]))
    return out


# ------------------------------------------------------------------ fan modes
#: The fan each mode divides by: W has shape (m, n), fan-in n (columns), fan-out m (rows).
FAN = {"fan_in": n, "fan_out": m, "fan_avg": (n + m) / 2}


def mode_variance(mode: str, g=1):
    """Var(w) = g^2 / fan of a mode."""
    return g ** 2 / FAN[mode]


def mode_factors(mode: str) -> tuple:
    """(forward, backward) factors of a layer initialized by ``mode`` (gain 1): E[z_i^2] / E[x^2]
    = n Var(w) (variance_formula), E[(W^T delta)_j^2] / E[delta^2] = m Var(w) (backward_formula)."""
    v = mode_variance(mode)
    return (sp.simplify((variance_formula / ex2).subs(var_w, v)),
            sp.simplify((backward_formula / eu2).subs(var_w, v)))


def mode_steps(mode: str = "fan_in", backward: bool = False) -> tuple:
    """The hand steps of a mode's factor: (the general formula, Var(w) substituted unevaluated,
    the result), for the forward pass (E[z_i^2]) or the backward pass (E[(W^T delta)_j^2])."""
    formula, k, moment_ = (backward_formula, m, eu2) if backward else (variance_formula, n, ex2)
    substituted = sp.Mul(k, sp.Pow(FAN[mode], -1, evaluate=False), moment_, evaluate=False)
    return formula, substituted, mode_factors(mode)[int(backward)] * moment_


#: The claims of the modes (tests replace them): mode -> (forward factor, backward factor).
MODE_CLAIMS = {"fan_in": (sp.Integer(1), m / n), "fan_out": (n / m, sp.Integer(1)),
               "fan_avg": (2 * n / (n + m), 2 * m / (n + m))}


def mode_checks(claims=None) -> list[verify.Check]:
    """Each mode's forward and backward factor, derived from the two formulas, against its
    claim, for any n and m; Xavier's variance as the harmonic mean of the other two; and the
    round trip's factor 1 - ((n - m)/(n + m))^2."""
    claims = MODE_CLAIMS if claims is None else claims
    out = []
    for mode, (fwd, bwd) in claims.items():
        formula, substituted, result = mode_steps(mode)
        got_f, got_b = mode_factors(mode)
        out.append(_any_size(f"mode {mode}: forward factor n Var(w) = {tex_plain(fwd)}, backward m Var(w) = {tex_plain(bwd)}, any n, m",
                             sp.Matrix([got_f, got_b]), sp.Matrix([fwd, bwd])))
        out.append(_any_size(f"mode {mode}: the steps n Var(w) E[x^2] = n (1/fan) E[x^2] = factor E[x^2], any n, m",
                             sp.Matrix([formula.subs(var_w, mode_variance(mode)), substituted.doit()]),
                             sp.Matrix([result, result])))
        formula, substituted, result = mode_steps(mode, backward=True)
        out.append(_any_size(f"mode {mode}: the backward steps m Var(w) E[u^2] = m (1/fan) E[u^2] = factor E[u^2], any n, m",
                             sp.Matrix([formula.subs(var_w, mode_variance(mode)), substituted.doit()]),
                             sp.Matrix([result, result])))
    harmonic = 2 / (1 / mode_variance("fan_in") + 1 / mode_variance("fan_out"))
    out.append(_any_size("Xavier's variance 2/(n + m) is the harmonic mean of 1/n (fan_in) and 1/m (fan_out), any n, m",
                         harmonic, mode_variance("fan_avg")))
    f, b = mode_factors("fan_avg")
    out.append(_any_size("fan_avg: the two factors sum to 2 and multiply to 1 - ((n - m)/(n + m))^2, any n, m",
                         sp.Matrix([f + b, f * b]), sp.Matrix([2, 1 - ((n - m) / (n + m)) ** 2])))
    return out


# ------------------------------------------------------------------ gains
#: E[f(z)^2] / Var(z) of each activation for a symmetric zero-mean z (proved above for ReLU
#: and leaky ReLU), and the gain each gives.
SECOND_MOMENT_RATIO = {"linear": sp.Integer(1), "relu": relu_second_moment_formula / var_z,
                       "leaky_relu": (1 + alpha ** 2) / 2}
GAIN_CLAIMS = {"linear": sp.Integer(1), "relu": sp.sqrt(2), "leaky_relu": sp.sqrt(2 / (1 + alpha ** 2))}


def gain_condition():
    """g^2 from the forward condition n (g^2/n) E[f(z)^2] = Var(z), E[f(z)^2] = r Var(z): 1/r."""
    r = sp.Symbol("r", positive=True)
    cond = sp.Eq(variance_formula.subs({var_w: gain ** 2 / n, ex2: r * var_z}), var_z)
    return r, sp.solve(cond, gain)[0]


def derived_gain(activation: str):
    """The gain of ``activation`` from :func:`gain_condition` and its second-moment ratio."""
    r, g = gain_condition()
    return sp.simplify(g.subs(r, SECOND_MOMENT_RATIO[activation]))


def gain_checks(claims=None) -> list[verify.Check]:
    """The condition solved for g, each gain derived against its claim, and the NumPy
    calculate_gain against the derived gains."""
    claims = GAIN_CLAIMS if claims is None else claims
    r, g = gain_condition()
    out = [_any_size("gain: n (g^2/n) E[f(z)^2] = Var(z) with E[f(z)^2] = r Var(z) gives g = 1/sqrt(r), any n",
                     g, 1 / sp.sqrt(r))]
    for act, claim in claims.items():
        out.append(_any_size(f"gain of {act}: g = {tex_plain(claim)} from E[f(z)^2] = ({tex_plain(SECOND_MOMENT_RATIO[act])}) Var(z)",
                             derived_gain(act), claim))
    slopes = (0.0, 0.01, 0.2)
    numeric = [initialization_np.calculate_gain("linear"), initialization_np.calculate_gain("relu")] + \
        [initialization_np.calculate_gain("leaky_relu", s) for s in slopes]
    exact = [float(derived_gain("linear")), float(derived_gain("relu"))] + \
        [float(derived_gain("leaky_relu").subs(alpha, s)) if s else float(derived_gain("relu")) for s in slopes]
    out.append(verify.check_values(TOPIC, "calculate_gain (NumPy) = the derived gains: linear, relu, "
                                   f"leaky_relu at slopes {', '.join(map(str, slopes))}",
                                   "sympy-vs-numpy", numeric, exact))
    return out


# tanh: no closed form. The mean-field recursion of the pre-activations' second moment,
# q' = g^2 E[tanh(sqrt(q) u)^2], u ~ N(0, 1), has a fixed point q* > 0 for g > 1.
q_s = sp.Symbol("q", positive=True)
_u = sp.Symbol("u", real=True)
_T = sp.Function("T")                       # T(q) = E[tanh(sqrt(q) u)^2]
TANH_GAIN = sp.Rational(5, 3)               # PyTorch's recommended value
#: The gains of the tanh stacks (1, PyTorch's 5/3, and one too large).
HIST_GAINS = (sp.Integer(1), TANH_GAIN, sp.Integer(3))


def gain_for_fixed_point():
    """g at which q* is a fixed point of q' = g^2 T(q): solve q* = g^2 T(q*) for g^2 > 0."""
    g2 = sp.Symbol("G", positive=True)
    return sp.sqrt(sp.solve(sp.Eq(q_s, g2 * _T(q_s)), g2)[0])


@functools.lru_cache(maxsize=None)
def gaussian_moment(k: int):
    """E[u^k] for u ~ N(0, 1), integrated by SymPy."""
    return sp.integrate(_u ** k * sp.exp(-_u ** 2 / 2) / sp.sqrt(2 * sp.pi), (_u, -sp.oo, sp.oo))


@functools.lru_cache(maxsize=None)
def tanh_small_q():
    """(E[tanh(sqrt(q) u)^2] to O(q^3), the gain of the fixed point q to O(q^2)): the series of
    tanh^2 integrated term by term against the normal density."""
    x = sp.Symbol("x", real=True)
    s = sp.series(sp.tanh(x) ** 2, x, 0, 6).removeO().subs(x, sp.sqrt(q_s) * _u)   # to O(q^3)
    poly = sp.Poly(sp.expand(s), _u)
    T2 = sp.expand(sum(c * gaussian_moment(k) for (k,), c in poly.terms()))
    g = gain_for_fixed_point().subs(_T(q_s), T2)
    return T2, sp.series(g, q_s, 0, 2).removeO()


def tanh_moment_quadrature(q: float, f=activations_np.tanh) -> float:
    """E[f(sqrt(q) u)^2], u ~ N(0, 1), by Gauss-Hermite quadrature (NumPy)."""
    u, wts = _hermite_nodes()
    return float(np.sum(wts * f(np.sqrt(q) * u) ** 2))


def tanh_moment_sympy(q: float, derivative: bool = False) -> float:
    """The same (E[tanh'(sqrt(q) u)^2] if ``derivative``): SymPy's integrand, integrated by
    mpmath's adaptive quadrature over each half-line (independent of the Gauss-Hermite nodes)."""
    import mpmath

    pdf = sp.exp(-_t ** 2 / 2) / sp.sqrt(2 * sp.pi)
    f = 1 - sp.tanh(sp.sqrt(q) * _t) ** 2 if derivative else sp.tanh(sp.sqrt(q) * _t)
    integrand = sp.lambdify(_t, f ** 2 * pdf, "mpmath")
    with mpmath.workdps(20):
        return float(mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf]))


@functools.lru_cache(maxsize=None)
def tanh_fixed_point(g: float, iterations: int = 300) -> float:
    """q* of q' = g^2 E[tanh(sqrt(q) u)^2] (quadrature), iterated from q = 1."""
    q = 1.0
    for _ in range(iterations):
        q = g * g * tanh_moment_quadrature(q)
    return q


def tanh_chi(g: float, q: float) -> float:
    """chi = g^2 E[tanh'(sqrt(q) u)^2]: the mean-field factor of the gradient's second moment
    per layer, backward, at pre-activation second moment q."""
    return g * g * tanh_moment_quadrature(q, activations_np.tanh_grad)


CHI_GRID = np.linspace(1.05, 3.0, 14)


def tanh_gain_checks(small=None) -> list[verify.Check]:
    """The tanh gain: the fixed-point condition solved for g; its small-q series; 5/3's fixed
    point by quadrature against SymPy's integral; the gain of q* = 1; chi > 1 on a grid of
    gains; and, below 1, the zero fixed point only (tanh^2 <= z^2, proved above). ``small``
    replaces the claimed series 1 + q (tests mutate it)."""
    T2, g_series = tanh_small_q()
    out = [_any_size("tanh gain: q* = g^2 T(q*) solved for g gives g = sqrt(q*/T(q*))",
                     gain_for_fixed_point(), sp.sqrt(q_s / _T(q_s))),
           _timed_identity("tanh gain, small q*: E[tanh(sqrt(q) u)^2] = q - 2 q^2 + O(q^3), so g = 1 + q* + O(q*^2)",
                           sp.Matrix([T2, g_series]), sp.Matrix([q_s - 2 * q_s ** 2, 1 + q_s if small is None else small]))]
    g = float(TANH_GAIN)
    q = tanh_fixed_point(g)
    out.append(verify.check_values(TOPIC, f"tanh gain 5/3: its fixed point q* = {q:.3f} (quadrature) solves "
                                   "q* = g^2 E[tanh(sqrt(q*) u)^2] with SymPy's integral", "closed-form",
                                   g * g * tanh_moment_sympy(q), q))
    out.append(verify.check_values(TOPIC, "tanh: the gain of the fixed point q* = 1 is 1/sqrt(E[tanh(u)^2]): "
                                   "quadrature against SymPy's integral", "closed-form",
                                   1 / np.sqrt(tanh_moment_quadrature(1.0)), 1 / np.sqrt(tanh_second_moment())))
    out.append(verify.check_values(TOPIC, f"tanh gain 5/3: chi = g^2 E[tanh'(sqrt(q*) u)^2] = {tanh_chi(g, q):.3f}, "
                                   "quadrature against SymPy's integral", "closed-form",
                                   tanh_chi(g, q), g * g * tanh_moment_sympy(q, derivative=True)))
    chis = np.array([tanh_chi(float(k), tanh_fixed_point(float(k))) for k in CHI_GRID])
    out.append(verify.check_bound(TOPIC, f"tanh: chi > 1 (1/chi < 1) at the fixed point for each of {CHI_GRID.size} "
                                  f"gains from {CHI_GRID[0]} to {CHI_GRID[-1]}", 1 / chis, 1.0, strict=True))
    return out


# ------------------------------------------------------------------ samplers and modes, Monte Carlo
@functools.lru_cache(maxsize=None)
def kurtosis(kind: str):
    """E[w^4] / E[w^2]^2 of zero-mean weights, integrated: 9/5 for U(-a, a), 3 for the normal."""
    if kind == "uniform":
        e = lambda k: sp.integrate(_t ** k * uniform_density, (_t, -a_u, a_u))   # noqa: E731
    else:
        s2 = sp.Symbol("s", positive=True)
        pdf = sp.exp(-_t ** 2 / (2 * s2 ** 2)) / sp.sqrt(2 * sp.pi * s2 ** 2)
        e = lambda k: sp.integrate(_t ** k * pdf, (_t, -sp.oo, sp.oo))            # noqa: E731
    return sp.simplify(e(4) / e(2) ** 2)


def sampler_check(name, W, variance, kind: str) -> verify.Check:
    """The mean of the squared weights against ``variance``, with a derived tolerance: N
    independent squares have Var(w^2) = (kappa - 1) Var(w)^2 (kappa = :func:`kurtosis`), so
    their mean's relative standard error is sqrt((kappa - 1) / N); MC_STANDARD_ERRORS of it."""
    sq = np.asarray(W, dtype=float).ravel() ** 2
    err = abs(sq.mean() - variance) / variance
    tol = MC_STANDARD_ERRORS * np.sqrt(float(kurtosis(kind) - 1) / sq.size)
    return verify.Check(TOPIC, name, "monte-carlo", float(err), float(tol), bool(err <= tol))


#: (n, m) of the layer the modes are simulated on, and the number of independent draws.
MODE_SHAPE, MODE_DRAWS = (64, 16), 1000


def layer_factors(draw, seed: int, key: str, n_: int = MODE_SHAPE[0], m_: int = MODE_SHAPE[1]):
    """Per independent draw b of W (``draw(rng)``, shape (m, n)), x ~ N(0, I_n) and
    delta ~ N(0, I_m): the means of z_i^2 (z = W x) and of (W^T delta)_j^2. Their means over
    the draws estimate the forward and backward factors (E[x^2] = E[delta^2] = 1). ``key``
    names the draws' own random stream."""
    rng = np.random.default_rng([seed, 3, zlib.crc32(repr((key, n_, m_)).encode())])
    fwd, bwd = np.empty(MODE_DRAWS), np.empty(MODE_DRAWS)
    for b in range(MODE_DRAWS):
        W = draw(rng)
        fwd[b] = np.mean((W @ rng.standard_normal(n_)) ** 2)
        bwd[b] = np.mean((W.T @ rng.standard_normal(m_)) ** 2)
    return fwd, bwd


def rejection(name, samples, wrong) -> verify.Check:
    """A Monte Carlo check that passes when the mean of ``samples`` is farther from ``wrong``
    than MC_STANDARD_ERRORS standard errors (the claim is rejected)."""
    bad = _mc_check(name, samples, wrong)
    return verify.Check(TOPIC, name, "monte-carlo", bad.error, bad.tolerance, bool(bad.error > bad.tolerance))


@functools.lru_cache(maxsize=None)
def sampler_and_mode_checks(seed: int = 0) -> tuple[verify.Check, ...]:
    """The uniform samplers' variance and bound, the kurtoses the tolerances use, the three
    modes' factors simulated against the derived ones, and the two pitfalls rejected."""
    rng = np.random.default_rng([seed, 4])
    fan_in, fan_out = SAMPLER_SHAPE
    out = [_any_size("kurtosis E[w^4]/E[w^2]^2: 9/5 for U(-a, a), 3 for N(0, s^2) (integrated)",
                     sp.Matrix([kurtosis("uniform"), kurtosis("normal")]), sp.Matrix([sp.Rational(9, 5), 3]))]
    for sampler, variance, bound, text in (
            (initialization_np.xavier_uniform, initialization_np.xavier_variance(fan_in, fan_out),
             uniform_bound_for(2 / (n + m)), "2/(n + m)"),
            (initialization_np.he_uniform, initialization_np.he_variance(fan_in), uniform_bound_for(2 / n), "2/n")):
        W = sampler(fan_in, fan_out, rng)
        label = f"{sampler.__name__}({fan_in}, {fan_out})"
        out.append(sampler_check(f"{label}: the {W.size} weights have variance {text}, n = {fan_in}, m = {fan_out}",
                                 W, variance, "uniform"))
        a = float(bound.subs({n: fan_in, m: fan_out}))
        out.append(verify.check_bound(TOPIC, f"{label}: every |w| <= a = {tex_plain(bound)} (SymPy's bound)",
                                      np.abs(W), a))
    W = initialization_np.he_normal(fan_in, fan_out, rng, mode="fan_out")
    out.append(sampler_check(f"he_normal({fan_in}, {fan_out}, mode=fan_out): variance 2/m, m = {fan_out}",
                             W, 2 / fan_out, "normal"))
    out.append(bound_as_std_check(seed))
    n_, m_ = MODE_SHAPE
    nin, nout = initialization_np.fans((m_, n_))
    for mode in ("fan_in", "fan_out", "fan_avg"):
        fwd, bwd = layer_factors(lambda r: initialization_np.normal_init(nin, nout, r, mode=mode), seed, mode)
        want_f, want_b = (float(x.subs({n: n_, m: m_})) for x in mode_factors(mode))
        out.append(_mc_check(f"Monte Carlo: mode {mode}, forward factor {want_f:.3g} and backward {want_b:.3g}, "
                             f"(n, m) = ({n_}, {m_}), {MODE_DRAWS} draws: forward", fwd, want_f))
        out.append(_mc_check(f"Monte Carlo: mode {mode}, forward factor {want_f:.3g} and backward {want_b:.3g}, "
                             f"(n, m) = ({n_}, {m_}), {MODE_DRAWS} draws: backward", bwd, want_b))
    wrong_fan_in = (m_, n_)[0]            # the pitfall: shape[0] of a weight of shape (m, n)
    fwd, _ = layer_factors(lambda r: initialization_np.normal_weights(n_, m_, 1 / wrong_fan_in, r), seed, "shape[0]")
    out.append(rejection(f"Monte Carlo rejects fan_in = shape[0] for W of shape (m, n) = ({m_}, {n_}): "
                         "the forward factor is n/m, not 1", fwd, 1.0))
    return tuple(out)


def bound_as_std_check(seed: int = 0) -> verify.Check:
    """The pitfall: U(-s, s) with s He's standard deviation sqrt(2/n) has variance s^2/3, and
    Monte Carlo rejects He's variance for it."""
    fan_in, fan_out = SAMPLER_SHAPE
    s = float(sp.sqrt(2 / n).subs(n, fan_in))
    w = np.random.default_rng([seed, 7]).uniform(-s, s, fan_in * fan_out)
    return rejection(f"Monte Carlo rejects U(-s, s) with s = sqrt(2/n), the standard deviation, as He's "
                     f"uniform: its variance is s^2/3, n = {fan_in}", w ** 2, s * s)


def tex_plain(expr) -> str:
    """A short plain-text form of ``expr`` for a check's name (sqrt(6)/sqrt(m + n))."""
    return str(expr).replace("**", "^").replace("*", " ")


# ------------------------------------------------------------------ a deep tanh stack, histograms
HIST_DEPTH, HIST_WIDTH, HIST_BATCH = 5, 256, 512
#: |h| above this counts as saturated (tanh' = 1 - h^2 < 0.06 there).
SATURATED = 0.97
#: The allowance for the saturated fraction against the mean-field one (absolute; empirical:
#: the runs differ by less than 0.005).
SAT_TOL = 0.02


@functools.lru_cache(maxsize=None)
def tanh_stack_run(g: float, seed: int = 0) -> dict:
    """One seeded run of a tanh stack (HIST_DEPTH layers of width HIST_WIDTH, weights
    normal_init with gain g, a batch of HIST_BATCH standard normal inputs, L = sum(r h_L) with
    r standard normal): the activations h_l and gradients dL/dh_l of layers 1..L, and the
    mean-field predictions of E[h_l^2], the saturated fraction and E[(dL/dh_l)^2]."""
    rng = np.random.default_rng([seed, 5, zlib.crc32(repr(g).encode())])
    x = rng.standard_normal((HIST_BATCH, HIST_WIDTH))
    Ws = [initialization_np.normal_init(HIST_WIDTH, HIST_WIDTH, rng, gain=g) for _ in range(HIST_DEPTH)]
    hs = initialization_np.tanh_stack_forward(x, Ws)
    r = rng.standard_normal(hs[-1].shape)
    grads = initialization_np.tanh_stack_backward(r, hs, Ws)
    q = [g * g * float(np.mean(x ** 2))]              # E[z_1^2] = n Var(w) E[x^2]
    for _ in range(HIST_DEPTH - 1):
        q.append(g * g * tanh_moment_quadrature(q[-1]))
    q = np.array(q)
    h2 = np.array([tanh_moment_quadrature(v) for v in q])
    u_sat = np.arctanh(SATURATED) / np.sqrt(q)
    sat = np.array([math.erfc(v / math.sqrt(2)) for v in u_sat])   # P(|u| > atanh(0.97)/sqrt(q))
    g2 = [float(np.mean(r ** 2))]                     # E[(dL/dh_L)^2], then backward by chi
    for v in q[:0:-1]:
        g2.append(g2[-1] * tanh_chi(g, v))
    return {"h": hs[1:], "grad": grads[1:], "h2": h2, "sat": sat, "grad2": np.array(g2[::-1]),
            "q": q}


def _layers(run, key):
    return np.array([float(np.mean(v ** 2)) for v in run[key]])


def saturated(run) -> np.ndarray:
    return np.array([float(np.mean(np.abs(h) > SATURATED)) for h in run["h"]])


def hist_checks(seed: int = 0) -> list[verify.Check]:
    """The stack's backward kernel against the complex step; per gain, the run's activations,
    saturated fractions and gradients against the mean-field predictions."""
    rng = np.random.default_rng([seed, 6])
    Ws = [initialization_np.normal_init(4, 4, rng, gain=2.0) for _ in range(3)]
    x = rng.standard_normal((2, 4))
    out = [verify.check_vjp(lambda x_: initialization_np.tanh_stack_forward(x_, Ws)[-1],
                            lambda d: initialization_np.tanh_stack_backward(d, initialization_np.tanh_stack_forward(x, Ws), Ws)[0],
                            x, method="complex-step", topic=TOPIC, rng=rng,
                            name="tanh stack backward, 3 layers of width 4: dL/dh_0 against the complex step")]
    L, w = HIST_DEPTH, HIST_WIDTH
    layers = np.arange(1, L + 1)
    for g in HIST_GAINS:
        run = tanh_stack_run(float(g), seed)
        label = f"tanh stack, gain {g}, depth {L}, n = {w}"
        out.append(verify.check_bound(
            TOPIC, f"{label}: log E[h_l^2] within {PROPAGATION_SD} sqrt(2 l/n) of the mean-field recursion",
            np.abs(np.log(_layers(run, "h") / run["h2"])) / np.sqrt(2 * layers / w), PROPAGATION_SD))
        out.append(verify.check_bound(
            TOPIC, f"{label}: log E[(dL/dh_l)^2] within {PROPAGATION_SD} sqrt(2 k/n) of the mean-field "
            "backward recursion, k = 2L - l layers passed",
            np.abs(np.log(_layers(run, "grad") / run["grad2"])) / np.sqrt(2 * (2 * L - layers) / w), PROPAGATION_SD))
        out.append(verify.check_bound(
            TOPIC, f"{label}: the saturated fraction (|h| > {SATURATED}) within {SAT_TOL} of the mean-field one",
            np.abs(saturated(run) - run["sat"]), SAT_TOL))
    return out


# ------------------------------------------------------------------ checks
def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the variance formulas proved at symbolic fan-in and fan-out
    and at the explicit sizes, He and Xavier solved from the conditions for any n and m (and at
    explicit sizes), Monte Carlo and deep-stack simulations within empirical tolerances."""
    ident = _timed_identity
    out = size_checks() + _explicit_instances()
    for size in PROOF_SIZES:
        out.append(ident(f"Var(z) = n Var(w) E[x^2] for z = sum of n w_i x_i, n = {size}: "
                         "zero-mean independent weights, inputs of any mean and correlation",
                         preactivation_variance(size), variance_formula.subs(n, size)))
    for size in PROOF_SIZES:
        out.append(ident(f"Var(z) - n Var(w) Var(x) = n Var(w) E[x]^2, n = {size}",
                         preactivation_variance(size) - zero_mean_formula.subs(VAR_X).subs(n, size),
                         zero_mean_gap.subs(n, size)))
    for size in PROOF_SIZES:
        out.append(ident(f"E[z^3] = 0 for symmetric weights, whatever the inputs, n = {size}",
                         third_moment(size), 0))
    for rows, cols in TRANSPOSE_SHAPES:
        out.append(ident(f"E of the squared norm of W^T u = n m Var(w) E[u^2], W of shape (m, n) = ({rows}, {cols})",
                         *squared_norm_through_transpose(rows, cols)))
    out.append(ident("E[relu(z)^2] = E[z^2]/2 for every even density p (t to -t, p(-t) = p(t))",
                     *even_density_proof()))
    out.append(ident("E[relu(z)^2] = Var(z)/2 for z normal (integrated)",
                     relu_second_moment(), relu_second_moment_formula))
    e2, vz = uniform_relu_second_moment()
    out.append(ident("E[relu(z)^2] = Var(z)/2 for z uniform on (-a, a) (integrated)",
                     e2, relu_second_moment_formula.subs(var_z, vz)))
    out.append(_any_size("the zero-mean form would give Var(w) = 2 pi / ((pi - 1) n) for ReLU",
                         he_from_zero_mean_form(), 2 * sp.pi / ((sp.pi - 1) * n)))
    out.append(ident("leaky ReLU: E[f(z)^2] = (1 + alpha^2)/2 E[z^2] for every even density p",
                     *leaky_even_density_proof()))
    out.append(_any_size("leaky ReLU: Var(w) = 2/((1 + alpha^2) n)", leaky_he_variance(), 2 / ((1 + alpha ** 2) * n)))
    out.append(_any_size("uniform weights on (-a, a) with He's variance: a = sqrt(6/n)", uniform_he_bound(), sp.sqrt(6 / n)))
    sols = both_conditions()
    out.append(_any_size("n Var(w) = 1 and m Var(w) = 1 together force m = n",
                         sp.Matrix([len(sols), sols[0][m]]), sp.Matrix([1, n])))
    out.append(ident("tanh'(0) = 1 and tanh(z) = z + O(z^3)",
                     sp.Matrix([sp.diff(sp.tanh(_t), _t).subs(_t, 0), sp.series(sp.tanh(_t), _t, 0, 3).removeO()]),
                     sp.Matrix([1, _t])))
    out.append(ident("d/dz (z - tanh z) = tanh(z)^2, and z - tanh z = 0 at z = 0",
                     *below_identity_proof(sp.tanh)))
    grid = np.linspace(-10, 10, 20001)
    out.append(verify.check_bound(TOPIC, "tanh(z)^2 <= z^2 on 20001 points of [-10, 10]",
                                  activations_np.tanh(grid) ** 2, grid ** 2))
    out.extend(mc_checks(seed))
    out += uniform_step_checks() + uniform_bound_checks() + mode_checks() + gain_checks() + tanh_gain_checks()
    out += list(sampler_and_mode_checks(seed)) + hist_checks(seed)
    for label, (measured, predicted) in propagation_runs(seed).items():
        out.append(verify.check_bound(
            TOPIC, f"{label}, depth {DEPTH}, n = {WIDTH}: log E[h_l^2] within {PROPAGATION_SD} "
            "sqrt(2 l/n) of the mean-field recursion",
            np.abs(np.log(measured[1:] / predicted[1:])) / _fluctuation(WIDTH, DEPTH), PROPAGATION_SD))
    spread = drift(seed)
    out.append(verify.check_bound(
        TOPIC, f"ReLU, He: the per-layer fluctuation of log E[h_l^2] is within a factor 2 of sqrt(2/n), "
        f"n = {DRIFT_WIDTHS[0]} and {DRIFT_WIDTHS[1]} ({DRIFT_SEEDS} stacks each)",
        [abs(np.log(spread[w] / np.sqrt(2 / w))) for w in DRIFT_WIDTHS], np.log(2)))
    return out


# ------------------------------------------------------------------ what the page shows
def _propagation_figure(runs) -> Figure:
    curves = []
    for k, (label, (measured, predicted)) in enumerate(runs.items()):
        layers = np.arange(len(measured))
        curves.append(Curve(layers, measured, label, "o", f"C{k}"))
        curves.append(Curve(layers, predicted, None, ":", f"C{k}"))
    return Figure([Panel(curves, xlabel="layer ℓ", ylabel=r"mean of $h_\ell^2$", yscale="log",
                         legend_loc="lower left")], size=(5.6, 3.8))


def _step_curve(values, edges):
    """A histogram as a step curve: (x, y) through the bins' edges, the density as height."""
    counts, _ = np.histogram(values, bins=edges, density=True)
    return np.repeat(edges, 2)[1:-1], np.repeat(counts, 2)


def hist_figure(g) -> Figure:
    """Two panels for the tanh stack of gain g: the histograms of the activations h_l and of
    the gradients dL/dh_l, one curve per layer."""
    run = tanh_stack_run(float(g), 0)
    top = 3 * max(float(v.std()) for v in run["grad"])
    panels = []
    for key, edges, xlabel, title in (
            ("h", np.linspace(-1, 1, 51), r"$h_\ell$", f"gain {g}: activations"),
            ("grad", np.linspace(-top, top, 51), r"$\partial L / \partial h_\ell$", "gradients")):
        # the legend goes where both panels of every gain are empty: the gradients' upper right
        curves = [Curve(*_step_curve(v.ravel(), edges), f"layer {k}" if key == "grad" else None, "-", f"C{k - 1}")
                  for k, v in enumerate(run[key], 1)]
        panels.append(Panel(curves, title=title, xlabel=xlabel, ylabel="density" if key == "h" else "",
                            legend_loc="upper right"))
    return Figure(panels, size=(6.4, 3.0))


def _mode_equation(mode: str, backward: bool, label: str, proof: str) -> Equation:
    """E[...] = k Var(w) E[...] = k (1/fan) E[...] = E[...]: the mode's steps, each side printed
    from the object the check proved."""
    formula, _, result = mode_steps(mode, backward)
    k, moment_ = (m, eu2) if backward else (n, ex2)
    lhs = r"\mathbb{E}\bigl[(W^\top \delta)_j^2\bigr]" if backward else r"\mathbb{E}[z_i^2]"
    middle = rf"{tex(k)} \cdot {tex(1 / FAN[mode])}\, {tex(moment_, names=NAMES)}"
    return Equation(rf"{lhs} = {tex(formula, names=NAMES)} = {middle} = {tex(result, names=NAMES)}",
                    proofs=(proof, f"mode {mode}: the {label}steps"))


def exhibits() -> dict:
    """What the initialization page shows, each formula printed from the expression a check
    proved."""
    runs = propagation_runs()
    labels = list(runs)
    he_label, xav_label, wrong_label = labels[0], labels[1], labels[2]
    z, e2, vx = _mc_relu_unit(0)
    mc = mc_checks(0)
    spread = drift()
    small, large = DRIFT_WIDTHS
    return {
        "eq_moments": Equation(
            rf"\mathbb{{E}}[w_i] = {tex(_weight_moment_ix([w_i[_i]]))}, \qquad "
            rf"\mathbb{{E}}[w_i w_j] = {tex(_weight_moment_ix([w_i[_i], w_i[_j]]), names=NAMES)}, \qquad "
            rf"\mathbb{{E}}[x_i] = {tex(_input_moment_ix([x_i[_i]]), names=NAMES)}, \qquad "
            rf"\mathbb{{E}}[x_i x_j] = {tex(_input_moment_ix([x_i[_i], x_i[_j]]))}, \qquad "
            rf"{tex(M_x[_i, _i])} = {tex(ex2, names=NAMES)}", definition=True),
        "eq_variance": Equation(rf"\operatorname{{Var}}(z) = {tex(variance_formula, names=NAMES)}",
                                proofs=("Var(z) = n Var(w) E[x^2]",)),
        "eq_zero_mean": Equation(rf"\operatorname{{Var}}(z) - {tex(zero_mean_formula, names=NAMES)} = "
                                 rf"{tex(zero_mean_gap, names=NAMES)}",
                                 proofs=("Var(z) - n Var(w) Var(x) = n Var(w) E[x]^2",)),
        "eq_backward": Equation(rf"\mathbb{{E}}\bigl[(W^\top \delta)_j^2\bigr] = {tex(backward_formula, names=NAMES)}",
                                proofs=("E[(W^T u)_j^2] = m Var(w) E[u^2], W of shape (m, n)",)),
        "eq_relu2": Equation(rf"\mathbb{{E}}\bigl[\operatorname{{relu}}(z)^2\bigr] = "
                             rf"{tex(relu_second_moment_formula, names=NAMES)}",
                             proofs=("E[relu(z)^2] = E[z^2]/2 for every even density p",
                                     "E[relu(z)^2] = Var(z)/2 for z normal", "E[relu(z)^2] = Var(z)/2 for z uniform")),
        "eq_xavier": Equation(rf"{NAMES[var_w]} = {tex(xavier_from_conditions())}",
                              proofs=("Xavier: Var(w) = 2/(n + m)",)),
        "eq_he": Equation(rf"{NAMES[var_w]} = {tex(he_from_condition())}", proofs=("He: Var(w) = 2/n",)),
        "proof_sizes": " and ".join(map(str, PROOF_SIZES)),
        "relu_mean": Markdown(rf"$\mathbb{{E}}[\operatorname{{relu}}(z)] = {tex(relu_mean(), names=NAMES)}$"),
        "relu_var_factor": f"{float(1 / 2 - 1 / (2 * sp.pi)):.3f}",
        "wrong_he": Markdown(f"${NAMES[var_w]} = {tex(he_from_zero_mean_form(), order='rev-lex')}$"),
        "wrong_he_c": f"{float(he_from_zero_mean_form() * n):.2f}",
        "mc_n": f"{MC_SAMPLES:,}",
        "mc_weights": f"{SAMPLER_SHAPE[0] * SAMPLER_SHAPE[1]:,}",
        "n_samples": str(N_SAMPLES),
        "mc_k": str(MC_STANDARD_ERRORS),
        "mc_fan_in": str(MC_FAN_IN),
        "mc_tol_min": f"{min(c.tolerance for c in mc):.1%}",
        "mc_tol_max": f"{max(c.tolerance for c in mc):.1%}",
        "mc_wrong_err": f"{mc[1].error:.0%}",
        "mc_wrong_tol": f"{mc[1].tolerance:.1%}",
        "tanh2": f"{tanh_second_moment():.3f}",
        "depth": str(DEPTH),
        "width": str(WIDTH),
        "fig_propagation": _propagation_figure(runs),
        "relu_he_last": f"{runs[he_label][0][-1]:.2f}",
        "relu_he_pred": f"{runs[he_label][1][-1]:.2f}",
        "relu_xavier_last": f"{runs[xav_label][0][-1]:.1e}",
        "relu_xavier_pred": f"{runs[xav_label][1][-1]:.1e}",
        "wrong_last": f"{runs[wrong_label][0][-1]:.0f}",
        "wrong_pred": f"{runs[wrong_label][1][-1]:.0f}",
        "wrong_step": f"{float(he_from_zero_mean_form() * n) / 2:.2f}",
        "tanh_xavier_last": f"{runs[labels[3]][0][-1]:.3f}",
        "tanh_he_last": f"{runs[labels[4]][0][-1]:.2f}",
        "prop_sd": str(PROPAGATION_SD),
        "sqrt2n_small": f"{np.sqrt(2 / small):.2f}",
        "sqrt2n_large": f"{np.sqrt(2 / large):.2f}",
        "drift_small_n": str(small),
        "drift_large_n": str(large),
        "drift_small": f"{spread[small]:.2f}",
        "drift_large": f"{spread[large]:.2f}",
        "drift_seeds": str(DRIFT_SEEDS),
        **standard_exhibits(),
    }


def standard_exhibits() -> dict:
    """The uniform weights, the fan modes, the gains and the tanh stack's histograms."""
    mean, second, F, _, result = uniform_moment_steps()
    bracket = rf"\Bigl[{tex(F)}\Bigr]_{{-a}}^{{a}}"
    g53 = float(TANH_GAIN)
    q53 = tanh_fixed_point(g53)
    fa, fb = mode_factors("fan_avg")
    runs = {g: tanh_stack_run(float(g), 0) for g in HIST_GAINS}
    T_names = {q_s: "q^*"}

    def arrow(values, fmt="{:.2f}"):
        return f"{fmt.format(values[0])} → {fmt.format(values[-1])}"
    hist_rows = [(f"${tex(g)}$", arrow([float(h.std()) for h in r["h"]]), f"{saturated(r)[-1]:.0%}",
                  arrow([float(v.std()) for v in r["grad"]])) for g, r in runs.items()]
    gain_rows = [("linear", "$1$", f"${tex(GAIN_CLAIMS['linear'])}$"),
                 ("ReLU", f"${tex(SECOND_MOMENT_RATIO['relu'])}$", f"${tex(GAIN_CLAIMS['relu'])}$"),
                 ("leaky ReLU", f"${tex(SECOND_MOMENT_RATIO['leaky_relu'])}$", f"${tex(GAIN_CLAIMS['leaky_relu'])}$"),
                 ("tanh", r"depends on $\operatorname{Var}(z)$", f"$5/3$ (PyTorch's choice)")]
    out = {
        "eq_uniform_var": Equation(rf"{NAMES[var_w]} = {tex(second)} = {bracket} = {tex(result)}",
                                   proofs=("Var U(-a, a)",)),
        "uniform_mean": Markdown(rf"$\mathbb{{E}}[w] = {tex(mean)} = {tex(mean.doit())}$"),
        "eq_xavier_uniform": Equation(rf"a = {tex(UNIFORM_BOUND_CLAIMS['xavier'])}",
                                      proofs=("uniform bound: a^2/3 = 2/(n + m)",)),
        "eq_gain_uniform": Equation(rf"a = {tex(UNIFORM_BOUND_CLAIMS['fan_in'])}",
                                    proofs=("uniform bound: a^2/3 = g^2/fan gives a = g sqrt(3/fan), mode fan_in",)),
        "eq_fan_in_forward": _mode_equation("fan_in", False, "", "Var(z) = n Var(w) E[x^2]"),
        "eq_fan_out_backward": _mode_equation("fan_out", True, "backward ",
                                              "E[(W^T u)_j^2] = m Var(w) E[u^2], W of shape (m, n)"),
        "modes_table": Table(("mode", "Var(w)", "forward", "backward"),
                             [(f"`{mode}`", f"${tex(sp.together(mode_variance(mode)))}$", f"${tex(f)}$", f"${tex(b)}$")
                              for mode, (f, b) in MODE_CLAIMS.items()], align="lccc"),
        "eq_xavier_round_trip": Equation(rf"{tex(fa * fb, order='rev-lex')} = {tex(1 - ((n - m) / (n + m)) ** 2, order='rev-lex')}",
                                         proofs=("fan_avg: the two factors",)),
        "mode_n": str(MODE_SHAPE[0]), "mode_m": str(MODE_SHAPE[1]), "mode_draws": f"{MODE_DRAWS:,}",
        "eq_gain": Equation(rf"g = {tex(gain_condition()[1])}", proofs=("gain: n (g^2/n) E[f(z)^2]",)),
        "gains_table": Table(("activation", "r", "gain g"), gain_rows, align="lcc"),
        "eq_tanh_gain": Equation(rf"g = \sqrt{{{tex(q_s / _T(q_s), names=T_names)}}}",
                                 proofs=("tanh gain: q* = g^2 T(q*)",)),
        "eq_tanh_small": Equation(rf"T(q) = {tex(tanh_small_q()[0] + sp.O(q_s ** 3))}",
                                  proofs=("tanh gain, small q*",)),
        "eq_tanh_small_gain": Equation(rf"g = {tex(tanh_small_q()[1] + sp.O(q_s ** 2), names=T_names)}",
                                       proofs=("tanh gain, small q*",)),
        "eq_tanh_recursion": Equation(r"q_{\ell+1} = g^2\, T(q_\ell), \qquad "
                                      r"T(q) = \mathbb{E}\bigl[\tanh(\sqrt{q}\, u)^2\bigr]", definition=True),
        "eq_chi": Equation(r"\chi = g^2\, \mathbb{E}\bigl[\tanh'(\sqrt{q^*}\, u)^2\bigr]", definition=True),
        "uniform_tol": f"{MC_STANDARD_ERRORS * np.sqrt(float(kurtosis('uniform') - 1) / math.prod(SAMPLER_SHAPE)):.1%}",
        "normal_tol": f"{MC_STANDARD_ERRORS * np.sqrt(float(kurtosis('normal') - 1) / math.prod(SAMPLER_SHAPE)):.1%}",
        "h53_sd": f"{np.sqrt(q53) / g53:.2f}",
        "q53": f"{q53:.3f}",
        "h53": f"{q53 / g53 ** 2:.3f}",
        "chi53": f"{tanh_chi(g53, q53):.3f}",
        "bwd_gain53": f"{g53 / np.sqrt(tanh_chi(g53, q53)):.3f}",
        "gain_q1": f"{1 / np.sqrt(tanh_second_moment()):.3f}",
        "chi_grid": f"{CHI_GRID[0]} to {CHI_GRID[-1]:g}",
        "hist_depth": str(HIST_DEPTH), "hist_width": str(HIST_WIDTH), "hist_batch": str(HIST_BATCH),
        "saturated": f"{SATURATED}", "sat_tol": f"{SAT_TOL}",
        "hist_table": Table(("gain", "std of h, layer 1 → 5", "saturated, layer 5", "std of ∂L/∂h, layer 1 → 5"),
                            hist_rows, align="cccc"),
        "wrong_bound_err": f"{bound_as_std_check(0).error:.0%}",
    }
    for g in HIST_GAINS:
        key = str(g).replace("/", "")
        out[f"fig_hist_{key}"] = hist_figure(g)
        run = runs[g]
        out[f"sat1_{key}"] = f"{saturated(run)[0]:.0%}"
        out[f"sat5_{key}"] = f"{saturated(run)[-1]:.0%}"
        out[f"grad_ratio_{key}"] = f"{float(run['grad'][0].std() / run['grad'][-1].std()):.2f}"
    return out
