"""Normalization in SymPy: the z-score, batch norm and layer norm, and their backward passes,
proved at a general size (N samples, n features), not at a substituted one.

The page's formulas are SymPy objects written with display symbols (the mean mu, the standard
deviation s, the normalized input x-hat, the output o and the upstream gradient dL/do); the
proofs substitute the definitions of mu, s and x-hat, as sums over 1..N of the indexed entries
x_i, into those very objects, so a change of the model changes the display and the proof
together. SymPy differentiates the sums with respect to one entry x_k (its derivative is a sum
of Kronecker deltas); :func:`sum_out` then evaluates every sum over 1..N by linearity
(Sum_i delta_ik f(i) = f(k) for 1 <= k <= N, the sum of a constant is N times it, and every
other product of entries becomes an opaque power-sum symbol such as Sum_i x_i^2), and
:func:`normal_form` writes sqrt(s^2 + eps) as a symbol r, eliminates eps through
s^2 + eps = r^2 and cancels. Two sides with the same normal form are equal for every N and
every batch, since the power sums are left free.

:func:`exhibits` is what the page shows, every formula printed from the object a check proved,
every number computed here.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from typing import Callable

import numpy as np
import sympy as sp
from sympy import KroneckerDelta

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table, aligned
from ..numeric import normalization as normalization_np
from .common import tex

__all__ = ["normalized", "bn_output", "ln_output", "bn_dx", "ln_dx", "jacobian_entry",
           "definitions", "sum_out", "normal_form", "canonical", "worked_example", "checks",
           "exhibits"]

TOPIC = "normalization"
EXAMPLE = (100, 50, 10, 5, 1)
#: The sizes at which the NumPy kernels are compared with the displayed formulas, entry by entry.
N_NUMERIC, n_NUMERIC = 5, 4
#: The shapes (N, n) at which the backward passes are checked against central differences.
VJP_SHAPES = ((4, 3), (32, 20))
#: The eps of the page's figure, batchnorm_forward's default.
EPS_DEFAULT = 1e-5

# ------------------------------------------------------------------ the display symbols
N = sp.Symbol("N", positive=True, integer=True)        # number of values (z-score), batch size (batch norm)
n = sp.Symbol("n", positive=True, integer=True)        # number of features (layer norm)
i, j, k = sp.symbols("i j k", positive=True, integer=True)
x = sp.IndexedBase("x", real=True)
x_hat = sp.IndexedBase(r"\hat{x}", real=True)
gamma_i = sp.IndexedBase("gamma", positive=True)        # layer norm: one scale per feature
beta_i = sp.IndexedBase("beta", real=True)
mu = sp.Symbol("mu", real=True)
s = sp.Symbol("s", positive=True)                      # the standard deviation: s^2 is the variance
eps = sp.Symbol("epsilon", positive=True)
gamma = sp.Symbol("gamma", positive=True)
beta = sp.Symbol("beta", real=True)
a_pos = sp.Symbol("a", positive=True)
b_any = sp.Symbol("b", real=True)
rho = sp.Symbol("r", real=True)                        # a correlation coefficient


class Upstream(sp.Function):
    """dL/do_i, the upstream gradient of the normalization's output o_i (a function of i only)."""

    is_real = True

    def _latex(self, printer, exp=None):
        out = rf"\frac{{\partial L}}{{\partial o_{{{printer._print(self.args[0])}}}}}"
        return rf"\left({out}\right)^{{{printer._print(exp)}}}" if exp is not None else out


def _add(*terms):
    """A sum printed in the order written (tex(..., order="none"))."""
    return sp.Add(*terms, evaluate=False)


def mean(size=N):
    return sp.Sum(x[i], (i, 1, size)) / size


def variance(size=N):
    """s^2 = (1/size) sum_i (x_i - mu)^2, the population variance, with mu a symbol."""
    return sp.Sum(_add(x[i], -mu) ** 2, (i, 1, size)) / size


def normalized(q, with_eps=True):
    """x-hat_q = (x_q - mu) / sqrt(s^2 + eps) (batch and layer
    norm), or (x_q - mu) / s (z-score)."""
    return _add(x[q], -mu) / (sp.sqrt(_add(s ** 2, eps)) if with_eps else s)


def bn_output(q):
    """Batch norm's output o_q = gamma x-hat_q + beta: q = 1..N runs over the batch, for one
    feature, whose gamma and beta are scalars."""
    return _add(gamma * x_hat[q], beta)


def ln_output(q):
    """Layer norm's output o_q = gamma_q x-hat_q + beta_q: q = 1..n runs over the features of one
    sample, each with its own gamma_q and beta_q."""
    return _add(sp.Mul(gamma_i[q], x_hat[q], evaluate=False), beta_i[q])


BN_COEFF = gamma / (N * sp.sqrt(_add(s ** 2, eps)))
LN_COEFF = 1 / (n * sp.sqrt(_add(s ** 2, eps)))
#: The three terms of batch norm's backward pass (direct, through mu, through s^2).
BN_TERMS = (N * Upstream(i), -sp.Sum(Upstream(j), (j, 1, N)),
            -x_hat[i] * sp.Sum(Upstream(j) * x_hat[j], (j, 1, N)))
LN_TERMS = (n * gamma_i[i] * Upstream(i), -sp.Sum(gamma_i[j] * Upstream(j), (j, 1, n)),
            -x_hat[i] * sp.Sum(sp.Mul(gamma_i[j], Upstream(j), x_hat[j], evaluate=False), (j, 1, n)))


def bn_dx(q=i):
    """The displayed dL/dx_q of batch norm (q over the batch, one feature)."""
    return (BN_COEFF * _add(*BN_TERMS)).xreplace({i: q})


def ln_dx(q=i):
    """The displayed dL/dx_q of layer norm (q over the features, one sample)."""
    return (LN_COEFF * _add(*LN_TERMS)).xreplace({i: q})


BN_DGAMMA = sp.Sum(Upstream(i) * x_hat[i], (i, 1, N))
BN_DBETA = sp.Sum(Upstream(i), (i, 1, N))
#: The Jacobian d x-hat / d x (N x N) of batch norm as a matrix expression, a coefficient
#: times I - (1/N) 1 1^T - (1/N) x-hat x-hat^T.
X_HAT, ONES, EYE = (sp.MatrixSymbol(r"\hat{x}", N, 1), sp.MatrixSymbol(r"\mathbf{1}", N, 1),
                    sp.MatrixSymbol("I", N, N))
JACOBIAN_COEFF = 1 / sp.sqrt(_add(s ** 2, eps))
JACOBIAN_MATRIX = sp.MatAdd(EYE, -ONES * ONES.T / N, -X_HAT * X_HAT.T / N)


def jacobian_entry(q=i, r=k):
    """Entry (q, r) of the displayed Jacobian: I_qr = delta_qr, 1_q = 1, x-hat_q the entry."""
    e = (JACOBIAN_COEFF * JACOBIAN_MATRIX)[q, r]
    return e.replace(lambda t: isinstance(t, sp.matrices.expressions.matexpr.MatrixElement),
                     lambda t: (KroneckerDelta(t.i, t.j) if t.parent == EYE else
                                sp.Integer(1) if t.parent == ONES else x_hat[t.i]))


#: sum_i x-hat_i dL/dx_i, which vanishes only when eps = 0.
XHAT_DOT_DX_COEFF = gamma * eps / _add(s ** 2, eps) ** sp.Rational(3, 2)
BN_XHAT_DOT_DX = XHAT_DOT_DX_COEFF * BN_DGAMMA
XHAT_DOT_DX_CHECK = "sum of x-hat times dL/dx = gamma eps (s2 + eps)^(-3/2) sum of dL/do x-hat, general N"
#: The batch variance of x-hat (its mean is 0), below 1 because of eps.
XHAT_SECOND_MOMENT = sp.Sum(x_hat[i] ** 2, (i, 1, N)) / N
XHAT_VARIANCE = s ** 2 / _add(s ** 2, eps)
XHAT_VARIANCE_CHECK = "x-hat has batch variance s2/(s2 + eps), general N"


def definitions(expr, size=N, with_eps=True):
    """``expr`` with x-hat, s and mu replaced by their definitions over ``size`` entries."""
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base == x_hat,
                        lambda e: normalized(e.indices[0], with_eps))
    return expr.subs(s, sp.sqrt(variance(size))).subs(mu, mean(size))


# ------------------------------------------------------------------ sums over 1..size, evaluated
_IOTA = sp.Symbol("iota", positive=True, integer=True)
_POWER_SUMS: dict = {}
_R = sp.Symbol("r", positive=True)


#: Placeholders for the indices a power sum keeps: sum_m x_mj^2 is one function of j.
_SLOTS = sp.symbols("slot0:4", integer=True)


def _power_sum(product, v, size):
    """sum_{v = 1..size} ``product`` as an opaque symbol, the same symbol for the same sum; a
    sum whose entries carry other indices (x_vj, G_vj) is an opaque function of them, S[j]."""
    kept = sorted(({s for t in product.atoms(sp.Indexed) for q in t.indices for s in q.free_symbols}
                   | {s for t in product.atoms(Upstream) for s in t.args[0].free_symbols}) - {v}, key=str)
    key = (product.xreplace({v: _IOTA, **dict(zip(kept, _SLOTS))}), size)
    if key not in _POWER_SUMS:
        name = f"Sum({key[0]}, iota=1..{size})"
        _POWER_SUMS[key] = sp.IndexedBase(name, real=True) if kept else sp.Symbol(name, real=True)
    return _POWER_SUMS[key][tuple(kept)] if kept else _POWER_SUMS[key]


def _sum_over(f, v, size):
    total = []
    for term in sp.Add.make_args(sp.expand(f)):
        dep, free = [], []
        for factor in sp.Mul.make_args(term):
            (dep if v in factor.free_symbols else free).append(factor)
        dep, free = sp.Mul(*dep), sp.Mul(*free)
        deltas = [d for d in dep.atoms(KroneckerDelta) if v in d.args]
        if deltas:                       # sum_v delta(v, w) f(v) = f(w), for 1 <= w <= size
            d = deltas[0]
            other = d.args[1] if d.args[0] == v else d.args[0]
            rest = dep.replace(lambda e: e == d or (e.is_Pow and e.base == d), lambda e: sp.Integer(1))
            total.append(free * rest.xreplace({v: other}))
        elif dep == 1:
            total.append(size * free)
        else:
            for factor in sp.Mul.make_args(dep):
                if not (factor.as_base_exp()[1].is_Integer and factor.as_base_exp()[1] > 0):
                    raise ValueError(f"sum_out: cannot sum {dep} over {v}")
            total.append(free * _power_sum(dep, v, size))
    return sp.Add(*total)


def sum_out(expr):
    """Every ``Sum(f, (v, 1, size))`` in ``expr`` evaluated by linearity: sum_v delta(v, w) f(v)
    = f(w) (w an index in 1..size), the sum of a term free of v is size times it, and each other
    product of entries becomes an opaque power-sum symbol. Innermost sums first."""
    if isinstance(expr, sp.MatrixBase):
        return expr.applyfunc(sum_out)
    if isinstance(expr, sp.Sum):
        f = sum_out(expr.function)
        for v, lo, hi in expr.limits:     # Sum(f, inner, outer): the inner limit first
            if lo != 1:
                raise ValueError(f"sum_out: sums start at 1, got {lo}")
            f = _sum_over(f, v, hi)
        return f
    if not expr.args or isinstance(expr, (sp.Indexed, sp.Symbol)):
        return expr
    return expr.func(*[sum_out(a) for a in expr.args])


def _plain(expr):
    """Entries x_k, dL/do_k, gamma_k and Kronecker deltas at free indices -> plain symbols
    (a substitution, so an identity of the result is an identity of ``expr``)."""
    atoms = expr.atoms(sp.Indexed, Upstream, KroneckerDelta)
    return expr.xreplace({a: sp.Symbol(f"<{a}>", real=True) for a in atoms})


def normal_form(expr, radicand, eliminate, root=_R):
    """``expr`` (its sums evaluated by :func:`sum_out`) as a rational function: every power of
    c times ``radicand`` (also summed out; c >= 0 free of the sums) written as c^p ``root``^2p,
    and ``eliminate`` (a symbol the radicand is linear in) solved from radicand = root^2.
    :func:`canonical` then puts such functions in lowest terms. Other radicals are left as
    they are: they can only make an identity fail, never pass."""
    A = sp.expand(_plain(sum_out(radicand)))
    slope = sp.diff(A, eliminate)
    if slope == 0 or sp.diff(slope, eliminate) != 0:
        raise ValueError(f"normal_form: the radicand is not linear in {eliminate}")
    solution = (root ** 2 - A.subs(eliminate, 0)) / slope
    e = _plain(sum_out(expr))
    # the power sums, S or S[j] (a plain symbol <S[j]> once _plain has named the entries)
    sums = {t for t in e.free_symbols | A.free_symbols if t.name.startswith(("Sum(", "<Sum("))} | {eliminate}

    ratios = {}

    def power(t):
        if t.base not in ratios:
            ratios[t.base] = sp.factor(sp.cancel(sp.expand(t.base) / A))
        c = ratios[t.base]
        if c.free_symbols & sums or not c.is_nonnegative:
            return t          # not a power of the radicand: left as it is (an identity then fails)
        return c ** t.exp * root ** (2 * t.exp)
    e = e.replace(
        lambda t: t.is_Pow and t.exp.is_Rational and not t.exp.is_Integer and t.base.free_symbols & sums,
        power)
    e = e.replace(lambda t: t.is_Pow and t.exp.is_Integer and sp.expand(t.base) == A,
                  lambda t: root ** (2 * t.exp))
    return e.xreplace({eliminate: solution})


def canonical(*exprs):
    """Rational functions (of the same generators) as canonical expressions: each is converted
    into one field of fractions of sparse polynomials, p/q in lowest terms, and back. Equal
    rational functions come out as the same expression; SymPy's sparse polynomials do this far
    faster than ``cancel`` on expression trees, also when the two differ."""
    from sympy.polys.fields import field

    exprs = [sp.sympify(e) for e in exprs]
    # anything not rational in the symbols (sqrt(N), a function) is an opaque generator
    opaque = {t: sp.Dummy() for e in exprs for t in e.atoms(sp.Pow, sp.Function)
              if not (t.is_Pow and t.exp.is_Integer)}
    exprs = [e.xreplace(opaque) for e in exprs]
    gens = sorted(set().union(*(e.free_symbols for e in exprs)), key=sp.default_sort_key)
    if not gens:
        return exprs
    K = field(gens, sp.QQ)[0]
    back = {d: t for t, d in opaque.items()}
    return [K.from_expr(e).as_expr().xreplace(back) for e in exprs]


def _bn(expr, size=N):
    """Normal form of a batch-norm (or layer-norm) expression over ``size`` entries."""
    return normal_form(definitions(expr, size), definitions(_add(s ** 2, eps), size), eps)


def _square_sum(size):
    return _power_sum(x[_IOTA] ** 2, _IOTA, size)


def _z(expr, size=N, transform=None):
    """Normal form of a z-score expression (no eps) over ``size`` entries, after ``transform``
    of the entries x_i if given: sqrt(s^2) is a symbol r and the definition of s^2 is solved
    for sum_i x_i^2."""
    e = definitions(expr, size, with_eps=False)
    if transform is not None:
        e = e.replace(lambda t: isinstance(t, sp.Indexed) and t.base == x, transform)
    return normal_form(e, definitions(variance(size), size), _square_sum(size))


# ------------------------------------------------------------------ a batch X of N x n, entry by entry
m_, l_ = sp.symbols("m l", positive=True, integer=True)    # summation indices: the sample, the feature
c = sp.Symbol("c", positive=True, integer=True)             # the feature (column) of the entry x_kc
G = sp.IndexedBase("G", real=True)                           # dL/do of a batch, N x n
m_r, v_r = sp.Symbol("m_r", real=True), sp.Symbol("v_r", positive=True)   # running mean, variance
m_r_i, v_r_i = sp.IndexedBase("m_r", real=True), sp.IndexedBase("v_r", positive=True)


def inference_output(q):
    """Batch norm in inference mode, one feature: o_q = gamma (x_q - m_r)/sqrt(v_r + eps) + beta."""
    return _add(gamma * _add(x[q], -m_r) / sp.sqrt(_add(v_r, eps)), beta)


def inference_dx(q=k):
    """Its gradient: dL/dx_q = gamma dL/do_q / sqrt(v_r + eps)."""
    return gamma * Upstream(q) / sp.sqrt(_add(v_r, eps))


def per_column(expr, col):
    """A one-feature batch-norm expression (x_q, dL/do_q, scalar gamma, beta, m_r, v_r) as the
    same expression for column ``col`` of a batch: x_q -> x_q,col, dL/do_q -> G_q,col, gamma ->
    gamma_col, beta -> beta_col, m_r -> m_r,col, v_r -> v_r,col."""
    expr = expr.xreplace({gamma: gamma_i[col], beta: beta_i[col], m_r: m_r_i[col], v_r: v_r_i[col]})
    expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == x and len(t.indices) == 1,
                        lambda t: x[t.indices[0], col])
    return expr.replace(Upstream, lambda q: G[q, col])


def per_row(expr, row):
    """A one-sample layer-norm expression (x_q, dL/do_q over the features) as the same
    expression for row ``row`` of a batch: x_q -> x_row,q, dL/do_q -> G_row,q."""
    expr = expr.replace(lambda t: isinstance(t, sp.Indexed) and t.base == x and len(t.indices) == 1,
                        lambda t: x[row, t.indices[0]])
    return expr.replace(Upstream, lambda q: G[row, q])


def _same_rational(topic, name, a, b, radicand, method):
    """a = b as rational functions: each side's sums evaluated and, with a ``radicand``,
    sqrt(radicand) a symbol r (:func:`normal_form`); other radicals stay opaque generators."""
    if radicand is not None:
        a, b = normal_form(a, radicand, eps), normal_form(b, radicand, eps)
    else:
        a, b = _plain(sum_out(a)), _plain(sum_out(b))
    return replace(verify.symbolic_identity(topic, name, *canonical(a, b)), method=method)


def _explicit_sums(expr, sizes: dict):
    """``expr`` at explicit sizes (size symbol -> integer): every sum written out, and every
    power sum of :func:`sum_out` replaced by the sum it stands for."""
    by_symbol = {v: key for key, v in _POWER_SUMS.items()}

    def written(S, kept=()):
        product, size = by_symbol[S]
        product = product.xreplace({**dict(zip(_SLOTS, kept)), **sizes})
        return sp.Add(*(product.xreplace({_IOTA: w}) for w in range(1, int(size.xreplace(sizes)) + 1)))
    e = expr.xreplace({S: written(S) for S in expr.free_symbols if S in by_symbol})
    e = e.xreplace({t: written(t.base, t.indices) for t in e.atoms(sp.Indexed) if t.base in by_symbol})
    return _write_out(e.xreplace(sizes))


def _write_out(expr):
    """Every sum over an explicit range written out as the sum of its terms, innermost first."""
    def terms(t):
        f = t.function
        for v, lo, hi in t.limits:
            f = sp.Add(*(f.xreplace({v: w}) for w in range(int(lo), int(hi) + 1)))
        return f
    return expr.replace(lambda t: isinstance(t, sp.Sum), terms)


@dataclass(frozen=True)
class SizeClaim:
    """A claimed derivative dL/d(wrt) = ``claim`` of a normalization, at symbolic size, as data:
    ``L`` a scalar with sums over 1..N (and 1..n), the entry ``wrt(*indices)`` and the
    ``claim(*indices)`` functions of the entry's symbolic ``indices`` (index -> the size it runs
    over). Its checks prove it at symbolic size, prove it at the explicit sizes ``instances``
    and compare the symbolic-size derivative there with the explicit one; tests mutate
    ``claim`` (or the formula it reads) and see every proof fail."""

    name: str                 # the formula, e.g. "batch norm dL/dx = the three-term formula"
    scope: str                # the sizes it holds for, e.g. "general N"
    L: sp.Basic
    wrt: Callable
    claim: Callable
    radicand: Callable | None  # indices -> the s^2 + eps of the entry's statistics, None: no root to eliminate
    indices: tuple            # ((index, size symbol), ...)
    instances: tuple = ()     # explicit sizes, in the order of ``sizes``
    outer: sp.Symbol | None = None   # both sides sums over this index (1..N) with equal summands

    @cached_property
    def sizes(self) -> tuple:
        return tuple(size for size in (N, n) if size in self.L.free_symbols)

    def derivative(self):
        """SymPy's derivative of L with respect to the entry, with symbolic indices and sizes."""
        return sp.diff(self.L, self.wrt(*(q for q, _ in self.indices)))

    def prove(self, topic: str, derivative=None) -> verify.Check:
        start = time.perf_counter()
        idx = [q for q, _ in self.indices]
        got, want = self.derivative() if derivative is None else derivative, self.claim(*idx)
        if self.outer is not None:          # sum_m F_m = sum_m H_m: F_m = H_m for every m
            if not all(isinstance(e, sp.Sum) and e.limits[-1] == (self.outer, 1, N) for e in (got, want)):
                return verify.Check(topic, f"{self.name}: {self.scope}", "symbolic size", float("inf"), 0.0, False,
                                    f"not two sums over {self.outer} = 1..N")
            got, want = (sp.Sum(e.function, *e.limits[:-1]) if len(e.limits) > 1 else e.function for e in (got, want))
        check = _same_rational(topic, f"{self.name}: {self.scope}", got, want,
                               self.radicand(*idx) if self.radicand else None, "symbolic size")
        return replace(check, seconds=time.perf_counter() - start)

    def _values(self, size: tuple) -> dict:
        return dict(zip(self.sizes, size))

    def _entries(self, values: dict):
        return list(itertools.product(*(range(1, values[size] + 1) for _, size in self.indices)))

    def _at(self, values):
        text = ", ".join(map(str, self.sizes))
        shown = ", ".join(map(str, values.values()))
        return (f"{text} = {shown}" if len(values) == 1 else f"({text}) = ({shown})"), (
            text if len(values) == 1 else f"({text})")

    def written_derivatives(self, size: tuple) -> list:
        """SymPy's derivatives of L written out at explicit sizes, one per explicit entry."""
        values = self._values(size)
        L = _write_out(self.L.xreplace(values))
        return [sp.diff(L, self.wrt(*e)) for e in self._entries(values)]

    def _roots(self, values, at):
        root = self.radicand(*(q for q, _ in self.indices)) if self.radicand and self.outer is None else None
        return [None if root is None else _write_out(root.xreplace({**a, **values})) for a in at]

    def explicit(self, topic: str, size: tuple, derivatives=None) -> verify.Check:
        """The claim proved at explicit sizes: SymPy's derivative of L written out, with respect
        to each explicit entry, against the claim written out."""
        start = time.perf_counter()
        values = self._values(size)
        idx = [q for q, _ in self.indices]
        claim = self.claim(*idx)
        at = [dict(zip(idx, e)) for e in self._entries(values)]
        want = [_write_out(claim.xreplace({**a, **values})) for a in at]
        check = self._compare(topic, f"{self.name}: explicit entries, {self._at(values)[0]}",
                              derivatives or self.written_derivatives(size), want, self._roots(values, at), "symbolic")
        return replace(check, seconds=time.perf_counter() - start)

    def instance(self, topic: str, size: tuple, derivatives=None, general=None) -> verify.Check:
        """The symbolic-size derivative, its sums evaluated, at explicit sizes and entries,
        against SymPy's derivative of L written out: a guard against a derivative (or a sum
        evaluation) at symbolic size that is silently wrong."""
        start = time.perf_counter()
        values = self._values(size)
        idx = [q for q, _ in self.indices]
        general = self.derivative() if general is None else general
        if self.outer is not None:          # the sums inside the outer one evaluated
            inner = sp.Sum(general.function, *general.limits[:-1]) if len(general.limits) > 1 else general.function
            general = sp.Sum(sum_out(inner), general.limits[-1])
        else:
            general = sum_out(general)
        at = [dict(zip(idx, e)) for e in self._entries(values)]
        got = [_explicit_sums(general.xreplace(a), values) for a in at]
        where, text = self._at(values)
        check = self._compare(topic, f"{self.name}: the general-{text} derivative at {where} equals the explicit one",
                              got, derivatives or self.written_derivatives(size), self._roots(values, at),
                              "symbolic size, instantiated")
        return replace(check, seconds=time.perf_counter() - start)

    @staticmethod
    def _compare(topic, name, got, want, roots, method):
        for a, b, root in zip(got, want, roots):
            check = _same_rational(topic, name, a, b, root, method)
            if not check.passed:
                return check
        return check

    def checks(self, topic: str) -> list[verify.Check]:
        start = time.perf_counter()
        general = self.derivative()          # shared by the proof and the instances
        out = [self.prove(topic, general)]
        out[0] = replace(out[0], seconds=time.perf_counter() - start)
        for size in self.instances:
            # the written-out derivatives are shared by the two checks (their time counted in the first)
            start = time.perf_counter()
            derivatives = self.written_derivatives(size)
            first = self.explicit(topic, size, derivatives)
            out += [replace(first, seconds=time.perf_counter() - start), self.instance(topic, size, derivatives, general)]
        return out


#: The formulas the size claims prove, the start of their checks' names (the page's Equations cite them).
JACOBIAN_NAME = "dx-hat/dx = (I - 1 1^T/N - x-hat x-hat^T/N)/sqrt(s2 + eps)"
BN_DX_NAME = "batch norm dL/dx = the three-term formula"
BN_DGAMMA_NAME = "batch norm dL/dgamma = sum of dL/do x-hat"
BN_DBETA_NAME = "batch norm dL/dbeta = sum of dL/do"
LN_DX_NAME = "layer norm dL/dx with per-feature gamma = the formula"
INFERENCE_NAME = "batch norm in inference mode: dL/dx = gamma dL/do / sqrt(v_r + eps)"
INFERENCE_DGAMMA_NAME = "batch norm in inference mode: dL/dgamma = sum of dL/do (x - m_r)/sqrt(v_r + eps)"
INFERENCE_DBETA_NAME = "batch norm in inference mode: dL/dbeta = sum of dL/do"
INFERENCE_DGAMMA = sp.Sum(Upstream(i) * _add(x[i], -m_r) / sp.sqrt(_add(v_r, eps)), (i, 1, N))


def size_claims() -> list[SizeClaim]:
    """Batch norm's and layer norm's gradients at symbolic size: one feature (batch norm, N) or
    one sample (layer norm, n), and every entry of an N x n batch."""
    A_bn, A_ln = definitions(_add(s ** 2, eps)), definitions(_add(s ** 2, eps), n)
    L_bn = definitions(sp.Sum(Upstream(i) * bn_output(i), (i, 1, N)))
    L_bn2 = sp.Sum(sp.Sum(per_column(definitions(Upstream(m_) * bn_output(m_)), l_), (m_, 1, N)), (l_, 1, n))
    L_ln = definitions(sp.Sum(Upstream(i) * ln_output(i), (i, 1, n)), n)
    L_ln2 = sp.Sum(sp.Sum(per_row(definitions(Upstream(l_) * ln_output(l_), n), m_), (l_, 1, n)), (m_, 1, N))
    L_inf = sp.Sum(Upstream(i) * inference_output(i), (i, 1, N))
    L_inf2 = sp.Sum(sp.Sum(per_column(Upstream(m_) * inference_output(m_), l_), (m_, 1, N)), (l_, 1, n))
    batch = "entry (k, c) of an N x n batch, general N, n"
    return [
        # the Jacobian as u^T (dx-hat/dx) for every u (u = dL/do): u = e_i gives row i
        SizeClaim(JACOBIAN_NAME, "u^T dx-hat/dx for every u, general N", definitions(sp.Sum(Upstream(i) * x_hat[i], (i, 1, N))),
                  lambda q: x[q], lambda q: definitions(sp.Sum(Upstream(i) * jacobian_entry(i, q), (i, 1, N))),
                  lambda q: A_bn, ((k, N),), ((2,), (3,))),
        SizeClaim(BN_DX_NAME, "general N", L_bn, lambda q: x[q], lambda q: definitions(bn_dx(q)),
                  lambda q: A_bn, ((k, N),), ((2,), (3,))),
        SizeClaim(BN_DX_NAME, batch, L_bn2, lambda q, f: x[q, f],
                  lambda q, f: per_column(definitions(bn_dx(q)), f), lambda q, f: per_column(A_bn, f),
                  ((k, N), (c, n)), ((2, 2),)),
        SizeClaim(BN_DGAMMA_NAME, "general N", L_bn, lambda: gamma, lambda: definitions(BN_DGAMMA), lambda: A_bn, (),
                  ((2,), (3,))),
        SizeClaim(BN_DGAMMA_NAME, "feature c of an N x n batch, general N, n", L_bn2, lambda f: gamma_i[f],
                  lambda f: per_column(definitions(BN_DGAMMA), f), lambda f: per_column(A_bn, f), ((c, n),), ((2, 2),)),
        SizeClaim(BN_DBETA_NAME, "general N", L_bn, lambda: beta, lambda: BN_DBETA, None, (), ((2,), (3,))),
        SizeClaim(BN_DBETA_NAME, "feature c of an N x n batch, general N, n", L_bn2, lambda f: beta_i[f],
                  lambda f: per_column(BN_DBETA, f), None, ((c, n),), ((2, 2),)),
        SizeClaim(LN_DX_NAME, "general n", L_ln, lambda q: x[q], lambda q: definitions(ln_dx(q), n),
                  lambda q: A_ln, ((k, n),), ((2,), (3,))),
        SizeClaim(LN_DX_NAME, batch, L_ln2, lambda r, f: x[r, f],
                  lambda r, f: per_row(definitions(ln_dx(f), n), r), lambda r, f: per_row(A_ln, r),
                  ((k, N), (c, n)), ((2, 2),)),
        SizeClaim("layer norm dL/dgamma = sum over the batch of dL/do x-hat", "feature c of an N x n batch, general N, n",
                  L_ln2, lambda f: gamma_i[f],
                  lambda f: sp.Sum(per_row(definitions(Upstream(f) * x_hat[f], n), m_), (m_, 1, N)),
                  lambda f: per_row(A_ln, m_), ((c, n),), ((2, 2),), outer=m_),
        SizeClaim("layer norm dL/dbeta = sum over the batch of dL/do", "feature c of an N x n batch, general N, n",
                  L_ln2, lambda f: beta_i[f], lambda f: sp.Sum(G[m_, f], (m_, 1, N)), None, ((c, n),), ((2, 2),),
                  outer=m_),
        SizeClaim(INFERENCE_NAME, "general N", L_inf, lambda q: x[q], inference_dx, None, ((k, N),), ((2,),)),
        SizeClaim(INFERENCE_NAME, batch, L_inf2, lambda q, f: x[q, f], lambda q, f: per_column(inference_dx(q), f), None,
                  ((k, N), (c, n)), ((2, 2),)),
        SizeClaim(INFERENCE_DGAMMA_NAME, "general N", L_inf, lambda: gamma, lambda: INFERENCE_DGAMMA, None, (), ((2,),)),
        SizeClaim(INFERENCE_DBETA_NAME, "general N", L_inf, lambda: beta, lambda: BN_DBETA, None, (), ((2,),)),
    ]


# ------------------------------------------------------------------ batch norm's backward pass by hand
class Partial(sp.Function):
    """A derivative the hand steps show unevaluated, d(top)/d(wrt), ``wrt`` an entry x_q or
    x-hat_q; :func:`with_derivatives` replaces it by SymPy's derivative of the definitions."""

    is_real = True

    def _latex(self, printer, exp=None):
        top, wrt = (printer._print(a) for a in self.args)
        out = rf"\frac{{\partial {top}}}{{\partial {wrt}}}"
        return rf"\left({out}\right)^{{{printer._print(exp)}}}" if exp is not None else out


L_sym = sp.Symbol("L")


def bn_loss(q=j):
    """sum_q dL/do_q o_q over the batch, the dL/do_q held fixed: by the chain rule its
    derivative with respect to any variable is dL/d(that variable)."""
    return sp.Sum(Upstream(q) * bn_output(q), (q, 1, N))


def _derivative_of(top, wrt):
    """SymPy's derivative of ``top`` (mu, s^2, x-hat_q or L) with respect to ``wrt``: an entry
    x_q through the definitions, or x-hat_q with the x-hat held as variables."""
    f = bn_loss() if top == L_sym else top
    return sp.diff(definitions(f), wrt) if wrt.base == x else sp.diff(f, wrt)


def with_derivatives(expr):
    """``expr`` with every :class:`Partial` replaced by the derivative it stands for."""
    return expr.replace(lambda t: isinstance(t, Partial), lambda t: _derivative_of(*t.args))


def _sqrt_var_eps(power=1):
    return _add(s ** 2, eps) ** (sp.Rational(power, 2))


#: The hand steps of d x-hat_i / d x_k: the quotient rule, the statistics' derivatives
#: substituted, x-hat recognized. Each relation of the chain is a check.
DXHAT_STEPS = (
    Partial(x_hat[i], x[k]),
    _add(KroneckerDelta(i, k), -Partial(mu, x[k])) / _sqrt_var_eps()
    - _add(x[i], -mu) * Partial(s ** 2, x[k]) / (2 * _sqrt_var_eps(3)),
    _add(KroneckerDelta(i, k), -1 / N) / _sqrt_var_eps() - _add(x[i], -mu) * _add(x[k], -mu) / (N * _sqrt_var_eps(3)),
    _add(KroneckerDelta(i, k), -1 / N, -x_hat[i] * x_hat[k] / N) / _sqrt_var_eps(),
)
DXHAT_STEP_NAMES = (
    "hand step dx-hat_i/dx_k 1: the quotient rule through x_k, mu and s2, general N",
    "hand step dx-hat_i/dx_k 2: dmu/dx_k = 1/N and ds2/dx_k = 2 (x_k - mu)/N substituted, general N",
    "hand step dx-hat_i/dx_k 3: (x_i - mu)(x_k - mu)/(s2 + eps) = x-hat_i x-hat_k, general N",
)
#: dL/dx-hat_i = gamma dL/do_i: o_i = gamma x-hat_i + beta is the only output x-hat_i enters.
DL_DXHAT = (Partial(L_sym, x_hat[i]), gamma * Upstream(i))
DL_DXHAT_NAME = "hand step: dL/dx-hat_i = gamma dL/do_i, general N"
#: The chain rule for dL/dx_k, then the Jacobian entry, then the collection into three terms.
BN_SUM_TERMS = (sp.Sum(sp.Mul(Upstream(i), KroneckerDelta(i, k), evaluate=False), (i, 1, N)),
                sp.Mul(-1 / N, sp.Sum(Upstream(i), (i, 1, N)), evaluate=False),
                sp.Mul(-x_hat[k] / N, sp.Sum(sp.Mul(Upstream(i), x_hat[i], evaluate=False), (i, 1, N)), evaluate=False))
BN_SUM_COEFF = gamma / _sqrt_var_eps()
DX_STEPS = (
    Partial(L_sym, x[k]),
    sp.Sum(Partial(L_sym, x_hat[i]) * Partial(x_hat[i], x[k]), (i, 1, N)),
    sp.Sum(sp.Mul(gamma, Upstream(i), Partial(x_hat[i], x[k]), evaluate=False), (i, 1, N)),
    sp.Sum(sp.Mul(gamma, Upstream(i), DXHAT_STEPS[-1], evaluate=False), (i, 1, N)),
    BN_SUM_COEFF * _add(*BN_SUM_TERMS),
)
DX_STEP_NAMES = (
    "hand step dL/dx_k 1: the chain rule through every x-hat_i, general N",
    "hand step dL/dx_k 2: dL/dx-hat_i = gamma dL/do_i substituted, general N",
    "hand step dL/dx_k 3: the Jacobian entry substituted, general N",
    "hand step dL/dx_k 4: the sum split into three sums, general N",
    "hand step dL/dx_k 5: only i = k survives the delta: the three-term formula, general N",
)


def hand_step_checks() -> list[verify.Check]:
    """Each relation of the hand derivations proved at general N: both sides with their
    unevaluated derivatives replaced (:func:`with_derivatives`), then in normal form."""
    def same(name, a, b, bn=True):
        form = (lambda e: _bn(with_derivatives(e))) if bn else (lambda e: _plain(sum_out(with_derivatives(e))))
        return replace(verify.timed(lambda: verify.symbolic_identity(TOPIC, name, *canonical(form(a), form(b)))),
                       method="symbolic size")
    out = [same(name, a, b) for name, a, b in zip(DXHAT_STEP_NAMES, DXHAT_STEPS, DXHAT_STEPS[1:])]
    out.append(same(DL_DXHAT_NAME, *DL_DXHAT, bn=False))
    steps = DX_STEPS + (bn_dx(k),)
    out += [same(name, a, b) for name, a, b in zip(DX_STEP_NAMES, steps, steps[1:])]
    return out


def raw_terms(size: int = 3) -> tuple:
    """The terms of SymPy's derivative of the loss written out at ``size`` samples, with
    respect to x_1, expanded: what the hand steps collect into three."""
    # cached with the functions that define the model: a test that changes one gets its own terms
    return _raw_terms(size, variance, mean, bn_output, normalized)


@lru_cache(maxsize=None)
def _raw_terms(size, *model) -> tuple:
    L = _write_out(definitions(bn_loss(), size).xreplace({N: size}))
    return sp.Add.make_args(sp.expand(sp.diff(L, x[1])))


RAW_SIZE = 3


def raw_terms_check() -> verify.Check:
    size = RAW_SIZE
    terms = raw_terms(size)
    want = _write_out(definitions(bn_dx(1), size).xreplace({N: size}))
    root = _write_out(definitions(_add(s ** 2, eps), size).xreplace({N: size}))
    return _same_rational(TOPIC, f"the {len(terms)} raw terms of SymPy's expanded dL/dx_1 at N = {size} sum to "
                          "the three-term formula", sp.Add(*terms), want, root, "symbolic")


# ------------------------------------------------------------------ inference mode, by hand
o = sp.IndexedBase("o", real=True)
momentum_sym = sp.Symbol(r"\alpha", positive=True)
#: dL/dx_k in inference mode: the chain rule over the outputs, the diagonal Jacobian, the delta.
INF_STEPS = (
    sp.Sum(sp.Mul(Upstream(i), Partial(o[i], x[k]), evaluate=False), (i, 1, N)),
    sp.Sum(sp.Mul(Upstream(i), gamma * KroneckerDelta(i, k) / sp.sqrt(_add(v_r, eps)), evaluate=False), (i, 1, N)),
    inference_dx(k),
)
INF_STEP_NAMES = (
    "inference mode by hand 1: do_i/dx_k = gamma delta_ik / sqrt(v_r + eps), a diagonal Jacobian, general N",
    "inference mode by hand 2: only i = k survives the delta, general N",
)


def inference_step_checks() -> list[verify.Check]:
    """The inference-mode steps at general N; the chain rule's left side is SymPy's
    derivative of sum_i dL/do_i o_i, o_i the inference-mode output."""
    L_inf = sp.Sum(Upstream(i) * inference_output(i), (i, 1, N))

    def form(e):
        e = e.replace(lambda t: isinstance(t, Partial), lambda t: sp.diff(inference_output(t.args[0].indices[0]), t.args[1]))
        return _plain(sum_out(e))
    pairs = ((sp.diff(L_inf, x[k]), INF_STEPS[0]), (INF_STEPS[0], INF_STEPS[1]), (INF_STEPS[1], INF_STEPS[2]))
    names = ("inference mode by hand 0: dL/dx_k = sum_i dL/do_i do_i/dx_k, general N",) + INF_STEP_NAMES
    return [replace(verify.timed(lambda a=a, b=b, name=name: verify.symbolic_identity(
        TOPIC, name, *canonical(form(a), form(b)))), method="symbolic size") for name, (a, b) in zip(names, pairs)]


def running_update(size=N):
    """PyTorch's update of the running statistics after a batch: (m_r', v_r'), the variance
    unbiased, size/(size - 1) s^2."""
    keep = _add(1, -momentum_sym)
    return (_add(sp.Mul(keep, m_r, evaluate=False), sp.Mul(momentum_sym, mu, evaluate=False)),
            _add(sp.Mul(keep, v_r, evaluate=False), sp.Mul(momentum_sym, size / _add(size, -1), s ** 2, evaluate=False)))


def _all_sign_batches(size):
    return [np.array(signs, dtype=float) for signs in itertools.product((-1.0, 1.0), repeat=size)]


@lru_cache(maxsize=None)
def variance_bias(sizes=(2, 3, 4, 5)):
    """Per batch size N: the mean over all 2^N batches of +-1 samples (variance 1) of the
    biased batch variance s^2 (exact, SymPy), and of the running variance batchnorm_forward
    keeps with momentum 1 (the unbiased N/(N - 1) s^2), and of the biased one it normalizes with."""
    out = {}
    for size in sizes:
        batches = _all_sign_batches(size)
        exact = sum(stats([sp.Integer(int(v)) for v in b])[1] for b in batches) / len(batches)
        kept = [normalization_np.batchnorm_forward(b[:, None], np.ones(1), np.zeros(1), momentum=1.0,
                                                   running=normalization_np.RunningStats.start(1))[2].var[0]
                for b in batches]
        out[size] = (exact, float(np.mean(kept)), float(np.mean([b.var() for b in batches])))
    return out


#: The data of the train/eval measurements: D features with these means and standard deviations.
POP_MEAN, POP_STD = np.array([3.0, -1.0, 0.5, 10.0]), np.array([2.0, 0.5, 1.0, 3.0])
GAP_SIZES, GAP_STEPS, GAP_BATCHES = (4, 16, 64), 300, 50


@lru_cache(maxsize=None)
def train_eval_gap(seed: int = 11):
    """Running statistics from GAP_STEPS training batches (momentum 0.1) for each batch size in
    GAP_SIZES, then GAP_BATCHES fresh batches of that size through the layer in both modes
    (gamma 1, beta 0): per size, (the running mean's and variance's largest relative error,
    the mean |o_train - o_eval| over the fresh batches, and the output of one sample in
    training mode as its batch changes: the largest change over the fresh batches)."""
    rng = np.random.default_rng(seed)
    D = len(POP_MEAN)
    gm, bt = np.ones(D), np.zeros(D)
    draw = lambda size: POP_MEAN + POP_STD * rng.standard_normal((size, D))  # noqa: E731
    out = {}
    for size in GAP_SIZES:
        running = normalization_np.RunningStats.start(D)
        for _ in range(GAP_STEPS):
            running = normalization_np.batchnorm_forward(draw(size), gm, bt, running=running)[2]
        probe = draw(1)
        gaps, probe_out = [], []
        for _ in range(GAP_BATCHES):
            batch = draw(size)
            batch[0] = probe[0]
            train = normalization_np.batchnorm_forward(batch, gm, bt)[0]
            evaluated = normalization_np.batchnorm_forward(batch, gm, bt, running=running, training=False)[0]
            gaps.append(np.abs(train - evaluated).mean())
            probe_out.append(train[0])
        out[size] = (float(np.max(np.abs(running.mean - POP_MEAN) / POP_STD)),
                     float(np.max(np.abs(running.var / POP_STD ** 2 - 1))), float(np.mean(gaps)),
                     float(np.ptp(np.array(probe_out), axis=0).max()))
    return out


def mode_mixups(seed: int = 12):
    """The two wrong backward passes: the training formula (three terms) through an
    inference-mode forward pass, and the inference one (diagonal) through a training-mode
    forward pass, each against the complex step of its forward pass (worst relative error)."""
    rng = np.random.default_rng(seed)
    X, dout = 2 * rng.standard_normal((6, 3)) + 1, rng.standard_normal((6, 3))
    gm, bt = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    running = normalization_np.RunningStats(rng.standard_normal(3), rng.uniform(0.5, 2, 3))
    fwd_eval = lambda v: normalization_np.batchnorm_forward(v, gm, bt, running=running, training=False)[0]  # noqa: E731
    fwd_train = lambda v: normalization_np.batchnorm_forward(v, gm, bt)[0]  # noqa: E731
    eval_cache = normalization_np.batchnorm_forward(X, gm, bt, running=running, training=False)[1]
    train_cache = normalization_np.batchnorm_forward(X, gm, bt)[1]
    wrong_in_eval = normalization_np.batchnorm_backward(dout, eval_cache._replace(running=False))[0]
    wrong_in_train = normalization_np.batchnorm_backward(dout, train_cache._replace(running=True))[0]
    errors = [verify.check_vjp(f, lambda g, d=d: d, X, name="wrong", topic=TOPIC, dout=dout, method="complex-step",
                               every_entry=True).error
              for f, d in ((fwd_eval, wrong_in_eval), (fwd_train, wrong_in_train))]
    return tuple(errors)


# ------------------------------------------------------------------ per channel: (N, C, H, W)
H_, W_ = sp.symbols("H W", positive=True, integer=True)
n4, c4, h4, w4 = sp.symbols("n c h w", positive=True, integer=True)
MAP_SHAPES = ((2, 3, 2, 2), (3, 2, 3, 4))


def channel_statistics():
    """mu_c and s_c^2 of channel c of an (N, C, H, W) map: over its N H W values."""
    size = sp.Mul(N, H_, W_, evaluate=False)
    total = lambda f: sp.Sum(sp.Sum(sp.Sum(f, (w4, 1, W_)), (h4, 1, H_)), (n4, 1, N))  # noqa: E731
    entry = x[n4, c4, h4, w4]
    return (sp.Mul(1 / size, total(entry), evaluate=False),
            sp.Mul(1 / size, total(_add(entry, -sp.Indexed(sp.IndexedBase("mu"), c4)) ** 2), evaluate=False))


C_ = sp.Symbol("C", positive=True, integer=True)
p4, q4 = sp.symbols("p q", positive=True, integer=True)      # the entry x_kcpq differentiated: sample k, position (p, q)
G4 = sp.IndexedBase("G", real=True)                          # dL/do of a feature map, (N, C, H, W)


def _map_indices(v):
    """The (n, h, w) a batch index v of the one-feature formulas becomes on a feature map."""
    return sp.symbols(f"n_{v} h_{v} w_{v}", positive=True, integer=True)


def per_map(expr, col=c4, at=((k, (k, p4, q4)),), size=None):
    """A one-feature batch-norm expression (sums over 1..N, entries x_q, dL/do_q) as the same
    expression for channel ``col`` of an (N, C, H, W) feature map: a sum over q becomes sums
    over (n, h, w), x_q -> x_nchw, dL/do_q -> G_nchw, the free index k -> (k, p, q), and N
    where it counts the values (outside the sums' limits) -> N H W, or ``size`` if given."""
    count = N * H_ * W_ if size is None else size

    def go(e, env):
        if isinstance(e, sp.Sum):
            (v, _, _), = e.limits
            n_, h_, w_ = _map_indices(v)
            inner = go(e.function, {**env, v: (n_, h_, w_)})
            return sp.Sum(sp.Sum(sp.Sum(inner, (w_, 1, W_)), (h_, 1, H_)), (n_, 1, N))
        if isinstance(e, sp.Indexed) and e.base == x:
            a, b, d = env[e.indices[0]]
            return x[a, col, b, d]
        if isinstance(e, Upstream):
            a, b, d = env[e.args[0]]
            return G4[a, col, b, d]
        if e == N:
            return count
        if not e.args:
            return e
        return e.func(*[go(t, env) for t in e.args])
    return go(expr, dict(at))


#: The per-channel claims, the start of their checks' names.
MAP_STATS_NAME = "per-channel mu_c and s_c^2 are the batch's mu and s2 over the N H W values (n, h, w) of channel c"
MAP_DX_NAME = "per-channel batch norm dL/dx = the three-term formula with N H W values per channel"
MAP_EXPLICIT = {N: 2, C_: 1, H_: 1, W_: 2}
#: The entries (k, p, q) written out: two samples, two positions (one channel: the general-size proof
#: covers the channels not mixing; each entry costs ~0.1 s).
MAP_ENTRIES = ((1, 1, 2), (2, 1, 1))


def map_claims():
    """(L, claim, radicand) for the per-channel backward pass: L = sum over every entry of an
    (N, C, H, W) map of dL/do o, o normalized per channel; the claim eq-bn-backward mapped to
    channel c (:func:`per_map`); the radicand s_c^2 + eps."""
    cp = sp.Symbol("cprime", positive=True, integer=True)
    L = sp.Sum(per_map(definitions(bn_loss()), cp, ()).xreplace({gamma: gamma_i[cp], beta: beta_i[cp]}), (cp, 1, C_))
    claim = per_map(definitions(bn_dx(k))).xreplace({gamma: gamma_i[c4]})
    return L, claim, per_map(definitions(_add(s ** 2, eps)))


def map_checks() -> list[verify.Check]:
    """The per-channel formulas at general N, C, H, W, and written out at MAP_EXPLICIT."""
    start = time.perf_counter()
    mu_c, var_c = channel_statistics()
    mean_c = per_map(mean(), at=())
    shown = sp.Matrix([mu_c, var_c.xreplace({sp.Indexed(sp.IndexedBase("mu"), c4): mean_c})])
    mapped = sp.Matrix([mean_c, per_map(definitions(variance()), at=())])
    plain = lambda m: m.applyfunc(lambda e: _plain(sum_out(e)))  # noqa: E731
    a, b = plain(shown), plain(mapped)
    out = [replace(verify.symbolic_identity(TOPIC, f"{MAP_STATS_NAME}, general N, H, W",
                                            sp.Matrix(canonical(*a)), sp.Matrix(canonical(*b))),
                   method="symbolic size", seconds=time.perf_counter() - start)]
    start = time.perf_counter()
    L, claim, radicand = map_claims()
    got = sp.diff(L, x[k, c4, p4, q4])
    out.append(replace(_same_rational(TOPIC, f"{MAP_DX_NAME}: entry (k, c, p, q) of an (N, C, H, W) map, general N, C, H, W",
                                      got, claim, radicand, "symbolic size"), seconds=time.perf_counter() - start))
    start = time.perf_counter()
    sizes = MAP_EXPLICIT
    written = _write_out(L.xreplace(sizes))
    col = sizes[C_]           # the last channel: the sums over the others must drop out
    entries = MAP_ENTRIES
    got = [sp.diff(written, x[a_, col, p_, q_]) for a_, p_, q_ in entries]
    at = [{k: a_, c4: col, p4: p_, q4: q_} for a_, p_, q_ in entries]
    want = [_write_out(claim.xreplace(e).xreplace(sizes)) for e in at]
    roots = [_write_out(radicand.xreplace(e).xreplace(sizes)) for e in at]
    shape = ", ".join(str(sizes[v]) for v in (N, C_, H_, W_))
    which = " and ".join(f"({a_}, {col}, {p_}, {q_})" for a_, p_, q_ in entries)
    out.append(replace(SizeClaim._compare(TOPIC, f"{MAP_DX_NAME}: explicit entries {which}, "
                                          f"(N, C, H, W) = ({shape})", got, want, roots, "symbolic"),
                       seconds=time.perf_counter() - start))
    return out


def _feature_map(shape, seed):
    """A feature map with a different mean and scale per channel, and a spatial ramp along W
    shared by every sample (a pattern that normalizing over the wrong axes erases)."""
    rng = np.random.default_rng(seed)
    N_, C, H, W = shape
    ramp = np.linspace(-2, 2, W)[None, None, None, :]
    scale, shift = np.geomspace(0.5, 3, C)[None, :, None, None], np.linspace(-3, 4, C)[None, :, None, None]
    return scale * (rng.standard_normal(shape) + ramp) + shift


def wrong_axes(shape=(8, 3, 4, 5), seed: int = 13):
    """Per-channel batch norm of a feature map against two mistakes: x.reshape(-1, C) without
    moving C last (rows that mix channels), and BatchNorm1d's statistics over N alone, per
    (c, h, w). Returns (largest gap of the reshape mistake, largest |channel mean| it leaves,
    the range over positions of the batch-mean output per channel, right and over N alone)."""
    X = _feature_map(shape, seed)
    C = shape[1]
    ones, zeros = np.ones(C), np.zeros(C)
    right = normalization_np.batchnorm2d_forward(X, ones, zeros)[0]
    mixed = normalization_np.batchnorm_forward(X.reshape(-1, C), ones, zeros)[0].reshape(shape)
    flat = X.reshape(shape[0], -1)
    over_n = normalization_np.batchnorm_forward(flat, np.ones(flat.shape[1]), np.zeros(flat.shape[1]))[0].reshape(shape)
    spread = lambda y: float(np.ptp(y.mean(axis=0), axis=(1, 2)).min())  # noqa: E731
    return (float(np.abs(mixed - right).max()), float(np.abs(mixed.mean(axis=(0, 2, 3))).max()),
            spread(right), float(np.abs(over_n.mean(axis=0)).max()))


# ------------------------------------------------------------------ the z-score, exactly
def stats(xs):
    """Population mean and variance (1/n) of a sequence of SymPy expressions."""
    m = len(xs)
    mu_ = sum(xs) / m
    return mu_, sum((v - mu_) ** 2 for v in xs) / m


def zscores(xs):
    mu_, var = stats(xs)
    return [(v - mu_) / sp.sqrt(var) for v in xs]


def skewness(xs):
    mu_, var = stats(xs)
    return sum((v - mu_) ** 3 for v in xs) / len(xs) / var ** sp.Rational(3, 2)


def worked_example():
    """The z-score example x = (100, 50, 10, 5, 1), exactly: mean, variance, std, z."""
    xs = [sp.Integer(v) for v in EXAMPLE]
    mu_, var = stats(xs)
    return {"x": xs, "mean": mu_, "var": var, "std": sp.sqrt(var), "z": zscores(xs)}


# ------------------------------------------------------------------ numbers the page states
def backward_without_variance_path(dout, cache: normalization_np.NormCache):
    """A wrong batch-norm backward pass that drops the third term (the path through s^2):
    the bug the all-ones test cannot see."""
    N_ = dout.shape[0]
    g = dout * cache.gamma
    return cache.inv_std / N_ * (N_ * g - g.sum(axis=0))


@lru_cache(maxsize=None)
def all_ones_test(seed: int = 0):
    """The common test (central differences of sum(out), compared with an absolute tolerance)
    against batchnorm_backward and the wrong backward pass, and the same against a random
    upstream gradient. Returns the numbers the page states."""
    rng = np.random.default_rng(seed)
    X = 2 * rng.standard_normal((16, 5)) + 1
    gm, bt = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    _, cache = normalization_np.batchnorm_forward(X, gm, bt)
    ones = np.ones_like(X)
    fwd = lambda v: normalization_np.batchnorm_forward(v, gm, bt)[0]  # noqa: E731
    numeric_ones = verify.numeric_gradient(lambda v: fwd(v).sum(), X)
    wrong = verify.check_vjp(fwd, lambda g: backward_without_variance_path(g, cache), X, name="wrong", topic=TOPIC,
                             dout=rng.standard_normal(X.shape), every_entry=True)
    return {"dx_ones": float(np.abs(normalization_np.batchnorm_backward(ones, cache)[0]).max()),
            "numeric_ones": float(np.abs(numeric_ones).max()),
            "wrong_ones_gap": float(np.abs(backward_without_variance_path(ones, cache) - numeric_ones).max()),
            "wrong_random_error": wrong.error}


def _bn_jacobian(X, eps_):
    """d x-hat / d x of one feature (X of shape (N, 1)), from batchnorm_backward: row m is the
    backward pass of the upstream gradient e_m."""
    _, cache = normalization_np.batchnorm_forward(X, np.ones(1), np.zeros(1), eps=eps_)
    rows = [normalization_np.batchnorm_backward(np.eye(len(X))[:, [m]], cache)[0][:, 0] for m in range(len(X))]
    return np.array(rows)


@lru_cache(maxsize=None)
def eps_sweep(size: int = 16, seed: int = 3):
    """For batches of one feature with standard deviations s from 1e-4 to 10 (eps = 1e-5):
    s^2, the spectral norm of d x-hat / d x and the batch variance of x-hat, from the NumPy
    kernels; and the same spectral norm for a batch of two."""
    z = normalization_np.zscore(np.random.default_rng(seed).standard_normal(size))
    scales = np.geomspace(1e-4, 10, 11)
    s2, norm, var_hat = [], [], []
    for sc in scales:
        X = (sc * z)[:, None]
        out, _ = normalization_np.batchnorm_forward(X, np.ones(1), np.zeros(1), eps=EPS_DEFAULT)
        s2.append(X.var())
        norm.append(np.linalg.norm(_bn_jacobian(X, EPS_DEFAULT), 2))
        var_hat.append(out.var())
    two_s2, two_norm = [], []
    for sc in scales:
        X = np.array([[sc], [-sc]])
        two_s2.append(X.var())
        two_norm.append(np.linalg.norm(_bn_jacobian(X, EPS_DEFAULT), 2))
    return tuple(map(np.array, (s2, norm, var_hat, two_s2, two_norm)))


def _hessian_linear(size, width=2):
    """SymPy's Hessian of the mean squared error of a linear model w^T x + b on ``size`` samples,
    and (2/size) A^T A with A = [X 1]."""
    X = sp.Matrix(size, width, lambda r, c: sp.Symbol(f"x_{r + 1}{c + 1}", real=True))
    y = sp.Matrix(size, 1, lambda r, _: sp.Symbol(f"y_{r + 1}", real=True))
    w = sp.Matrix(width + 1, 1, lambda r, _: sp.Symbol(f"w_{r + 1}", real=True))
    A = X.row_join(sp.ones(size, 1))
    L = sum((sum(A[r, c] * w[c] for c in range(width + 1)) - y[r]) ** 2 for r in range(size)) / size
    return sp.hessian(L, list(w)), 2 * A.T * A / size


#: The three data sets of two features, COND_N samples each, as (scales, means, correlation).
COND_N = 1000
DATASETS = {"scales 1, 100": ((1.0, 100.0), (0.0, 0.0), 0.0),
            "means 10, 0": ((1.0, 1.0), (10.0, 0.0), 0.0),
            "scales 1, 100, correlated": ((1.0, 100.0), (0.0, 0.0), 0.9)}


def _kappa(X):
    A = np.column_stack([X, np.ones(len(X))])
    ev = np.linalg.eigvalsh(A.T @ A / len(X))
    return ev[-1] / ev[0]


def standardized_hessian(r):
    """(2/N) A^T A, A = [Z 1], for two standardized features with sample correlation r: the
    matrix whose characteristic polynomial the page's check factors (SymPy r, or a float)."""
    return 2 * sp.Matrix([[1, r, 0], [r, 1, 0], [0, 0, 1]])


@lru_cache(maxsize=None)
def standardized(seed: int = 5):
    """Per data set: (X, Z), the raw data and each feature standardized by ``zscore``."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, (scales, means, corr) in DATASETS.items():
        u = rng.standard_normal((COND_N, 2))
        u[:, 1] = corr * u[:, 0] + np.sqrt(1 - corr ** 2) * u[:, 1]
        X = u * np.array(scales) + np.array(means)
        out[name] = (X, np.column_stack([normalization_np.zscore(X[:, c]) for c in range(2)]))
    return out


@lru_cache(maxsize=None)
def conditioning(seed: int = 5):
    """Per data set: kappa of the Hessian before and after standardizing each feature, and the
    sample correlation r of the two features."""
    return {name: (_kappa(X), _kappa(Z), float(np.corrcoef(X.T)[0, 1]))
            for name, (X, Z) in standardized(seed).items()}


def _at_size(expr, size_symbol, size, values: dict, env=None) -> float:
    """``expr`` evaluated in floating point at a concrete size: every sum over 1..size_symbol
    is a Python loop, ``values`` maps an IndexedBase (or Upstream) to a sequence (1-based
    entries) and a symbol to a number."""
    env = env or {}
    ev = lambda e, more=None: _at_size(e, size_symbol, size, values, {**env, **(more or {})})  # noqa: E731
    if isinstance(expr, sp.Sum):
        if len(expr.limits) > 1:          # Sum(f, inner, outer): the inner limit first
            return sum_out(sp.Sum(sp.Sum(expr.function, expr.limits[0]), *expr.limits[1:]))
        (v, lo, hi), = expr.limits
        if lo != 1 or hi != size_symbol:
            raise ValueError(f"_at_size: a sum over 1..{size_symbol} expected, got {expr.limits}")
        return sum(ev(expr.function, {v: m}) for m in range(1, size + 1))
    if isinstance(expr, (sp.Indexed, Upstream)):
        seq = values[expr.base if isinstance(expr, sp.Indexed) else Upstream]
        return float(seq[int(expr.args[-1].xreplace(env)) - 1])
    if isinstance(expr, sp.Symbol):
        return float(env[expr] if expr in env else size if expr == size_symbol else values[expr])
    if isinstance(expr, KroneckerDelta):
        a, b = (int(arg.xreplace(env)) for arg in expr.args)
        return float(a == b)
    if expr.is_Number:
        return float(expr)
    if expr.is_Add:
        return sum(ev(a) for a in expr.args)
    if expr.is_Mul:
        return float(np.prod([ev(a) for a in expr.args]))
    if expr.is_Pow:
        return ev(expr.base) ** ev(expr.exp)
    raise ValueError(f"_at_size: cannot evaluate {expr}")


# ------------------------------------------------------------------ checks
def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the z-score, batch and layer norm formulas proved at general
    size, NumPy compared."""
    rng = np.random.default_rng(seed)
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731

    def same(name, sides):
        """A proof at general size: ``sides()`` the two normal forms, compared as rational functions."""
        return replace(verify.timed(lambda: verify.symbolic_identity(TOPIC, name, *canonical(*sides()))),
                       method="symbolic size")
    out = []

    # the z-score, general N
    Z = lambda q: normalized(q, with_eps=False)  # noqa: E731
    out.append(same("z-scores have mean 0, general N", lambda: (_z(sp.Sum(Z(i), (i, 1, N)) / N), 0)))
    out.append(same("z-scores have variance 1, general N", lambda: (_z(sp.Sum(Z(i) ** 2, (i, 1, N)) / N), 1)))
    out.append(same("gaps between z-scores are the gaps of x divided by s, general N",
                    lambda: (_z(Z(i) - Z(j)), _z((x[i] - x[j]) / s))))
    affine = lambda t: a_pos * t + b_any  # noqa: E731
    out.append(same("the z-scores of a x + b are those of x for a > 0, general N",
                    lambda: (_z(Z(k), transform=affine), _z(Z(k)))))
    skew = sp.Sum(Z(i) ** 3, (i, 1, N)) / N            # the skewness: the mean of z^3
    out.append(same("an affine map a x + b with a > 0 keeps the skewness, general N",
                    lambda: (_z(skew, transform=affine), _z(skew))))
    ex = worked_example()
    out.append(verify.check_values(TOPIC, "zscore on (100, 50, 10, 5, 1) equals SymPy's exact values",
                                   "sympy-vs-numpy", normalization_np.zscore(np.array(EXAMPLE, dtype=float)),
                                   [float(v) for v in ex["z"]]))

    # batch norm, general N: the statistics' derivatives (the population variance, 1/N)
    plain = lambda e: _plain(sum_out(definitions(e)))  # noqa: E731
    out.append(same("the deviations from the batch mean sum to 0, general N",
                    lambda: (plain(sp.Sum(_add(x[i], -mu), (i, 1, N))), 0)))
    out.append(same("dmu/dx_k = 1/N, general N", lambda: (plain(sp.diff(mean(), x[k])), 1 / N)))
    out.append(same("ds2/dx_k = 2 (x_k - mu)/N, general N",
                    lambda: (plain(sp.diff(definitions(s ** 2), x[k])), plain(2 * _add(x[k], -mu) / N))))
    # the gradients, one feature and every entry of a batch, with their explicit instances
    out += [c for claim in size_claims() for c in claim.checks(TOPIC)]
    # the three paths: x-hat as a function of x, mu and V = s^2 held apart
    L = sp.Sum(Upstream(i) * bn_output(i), (i, 1, N))     # sum_i dL/do_i o_i: its gradient is dL/dx
    V = sp.Symbol("V", positive=True)
    L_paths = L.replace(lambda e: isinstance(e, sp.Indexed) and e.base == x_hat,
                        lambda e: normalized(e.indices[0])).subs(s, sp.sqrt(V))
    back = lambda e: _bn(e.subs(V, s ** 2))  # noqa: E731
    paths = {"held fixed": lambda: sp.diff(L_paths, x[k]),
             "through mu": lambda: sp.diff(L_paths, mu) * sp.diff(mean(), x[k]),
             "through s2": lambda: sp.diff(L_paths, V) * sp.diff(variance(), x[k])}
    for term, (name, path) in enumerate(paths.items()):
        out.append(same(f"term {term + 1} of the formula is the path with mu and s2 {name}, general N"
                        if term == 0 else f"term {term + 1} of the formula is the path {name}, general N",
                        lambda path=path, term=term: (back(path()), _bn((BN_COEFF * BN_TERMS[term]).xreplace({i: k})))))
    out.append(same("ds2/dmu = 0 at the batch mean, general N", lambda: (_bn(sp.diff(variance(), mu)), 0)))
    out.append(same("the gradient sums to zero over the batch, general N",
                    lambda: (_bn(sp.Sum(bn_dx(i), (i, 1, N))), 0)))
    out.append(same(XHAT_DOT_DX_CHECK,
                    lambda: (_bn(sp.Sum(x_hat[i] * bn_dx(i), (i, 1, N))), _bn(BN_XHAT_DOT_DX))))
    out.append(same("an upstream gradient of all ones gives dL/dx = 0, general N",
                    lambda: (_bn(bn_dx(k).replace(Upstream, lambda q: sp.Integer(1))), 0)))
    out.append(same("x-hat has batch mean 0, general N", lambda: (_bn(sp.Sum(x_hat[i], (i, 1, N)) / N), 0)))
    out.append(same(XHAT_VARIANCE_CHECK,
                    lambda: (_bn(XHAT_SECOND_MOMENT), _bn(XHAT_VARIANCE))))
    A_bn = definitions(_add(s ** 2, eps))
    out.append(same(f"{JACOBIAN_NAME}: entry (i, k), general N",
                    lambda: (normal_form(sp.diff(definitions(x_hat[i]), x[k]), A_bn, eps), _bn(jacobian_entry()))))
    # the chain rule through that Jacobian: dL/dx_k = sum_i gamma dL/do_i dx-hat_i/dx_k
    out.append(same("dL/dx = the Jacobian of x-hat (transposed) times gamma dL/do is the three-term formula, general N",
                    lambda: (_bn(sp.Sum(gamma * Upstream(i) * jacobian_entry(i, k), (i, 1, N))), _bn(bn_dx(k)))))
    scaled = lambda t: a_pos * t  # noqa: E731
    # x-hat(a x; eps) = x-hat(x; eps / a^2), proved in the form x-hat(a x; a^2 eps) = x-hat(x; eps)
    lhs = definitions(x_hat[k]).replace(lambda t: isinstance(t, sp.Indexed) and t.base == x, scaled)
    out.append(same("x-hat of a x = x-hat of x with eps replaced by eps/a^2, general N",
                    lambda: (normal_form(lhs.subs(eps, a_pos ** 2 * eps), A_bn, eps), _bn(x_hat[k]))))
    no_eps = lambda e: normal_form(e.subs(eps, 0), definitions(s ** 2), _square_sum(N))  # noqa: E731
    dx0 = definitions(bn_dx(k))
    out.append(same("with eps = 0, dL/dx at a x is dL/dx at x divided by a, general N",
                    lambda: (no_eps(dx0.replace(lambda t: isinstance(t, sp.Indexed) and t.base == x, scaled)),
                             no_eps(dx0 / a_pos))))
    one = sp.Symbol("x_1", real=True)
    out.append(ident("with N = 1, o = beta and dL/dx = 0",
                     sp.Matrix([definitions(bn_output(1), 1).doit().subs(x[1], one),
                                sp.diff(definitions(bn_output(1), 1).doit().subs(x[1], one), one)]),
                     sp.Matrix([beta, 0])))
    two = definitions(x_hat[1], 2).doit()
    out.append(ident("with N = 2, x-hat-2 = -x-hat-1 and x-hat-1 squared = s2/(s2 + eps)",
                     sp.Matrix([definitions(x_hat[2], 2).doit(), two ** 2]),
                     sp.Matrix([-two, definitions(s ** 2 / _add(s ** 2, eps), 2).doit()])))

    # layer norm, general n (its gradients are among size_claims above)
    ones_ln = ln_dx(k).replace(Upstream, lambda q: sp.Integer(1))
    out.append(same("layer norm, all-ones upstream gradient and equal gamma-i: dL/dx = 0, general n",
                    lambda: (_bn(ones_ln.replace(lambda t: isinstance(t, sp.Indexed) and t.base == gamma_i,
                                                 lambda t: gamma), n), 0)))
    X = rng.standard_normal((5, n_NUMERIC))
    _, cache = normalization_np.layernorm_forward(X, rng.uniform(0.5, 2, n_NUMERIC), np.zeros(n_NUMERIC))
    out.append(verify.check_bound(
        TOPIC, "layer norm, all-ones upstream gradient and unequal gamma-i: dL/dx is not zero (above 0.01)",
        0.01, np.abs(normalization_np.layernorm_backward(np.ones_like(X), cache)[0]).max()))

    # the NumPy kernels against the displayed formulas, entry by entry
    xs = rng.standard_normal(N_NUMERIC) * 2 + 1
    up = rng.standard_normal(N_NUMERIC)
    gm, bt, e_ = 1.5, -0.5, 1e-3
    o_np, cache = normalization_np.batchnorm_forward(xs[:, None], np.array([gm]), np.array([bt]), eps=e_)
    dx_np = normalization_np.batchnorm_backward(up[:, None], cache)[0][:, 0]
    vals = {x: xs, Upstream: up, gamma: gm, beta: bt, eps: e_}
    out.append(verify.check_values(
        TOPIC, f"batchnorm_forward equals the displayed o, N = {N_NUMERIC}", "sympy-vs-numpy", o_np[:, 0],
        [_at_size(definitions(bn_output(q)), N, N_NUMERIC, vals) for q in range(1, N_NUMERIC + 1)]))
    out.append(verify.check_values(
        TOPIC, f"batchnorm_backward equals the displayed dL/dx, N = {N_NUMERIC}", "sympy-vs-numpy", dx_np,
        [_at_size(definitions(bn_dx(q)), N, N_NUMERIC, vals) for q in range(1, N_NUMERIC + 1)]))
    xl, ul = rng.standard_normal(n_NUMERIC) * 3, rng.standard_normal(n_NUMERIC)
    gl, bl = rng.uniform(0.5, 2, n_NUMERIC), rng.standard_normal(n_NUMERIC)
    o_ln, cache = normalization_np.layernorm_forward(xl[None, :], gl, bl, eps=e_)
    dx_ln = normalization_np.layernorm_backward(ul[None, :], cache)[0][0]
    vals = {x: xl, Upstream: ul, gamma_i: gl, beta_i: bl, eps: e_}
    out.append(verify.check_values(
        TOPIC, f"layernorm_forward equals the displayed o, n = {n_NUMERIC}", "sympy-vs-numpy", o_ln[0],
        [_at_size(definitions(ln_output(q), n), n, n_NUMERIC, vals) for q in range(1, n_NUMERIC + 1)]))
    out.append(verify.check_values(
        TOPIC, f"layernorm_backward equals the displayed dL/dx, n = {n_NUMERIC}", "sympy-vs-numpy", dx_ln,
        [_at_size(definitions(ln_dx(q), n), n, n_NUMERIC, vals) for q in range(1, n_NUMERIC + 1)]))

    # the backward passes against the complex step, entry by entry, eps included
    for shape in VJP_SHAPES:
        X = 3 * rng.standard_normal(shape) + 1.5
        gm, bt = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
        dout = rng.standard_normal(shape)
        for kind, fwd, bwd in (("batchnorm", normalization_np.batchnorm_forward, normalization_np.batchnorm_backward),
                               ("layernorm", normalization_np.layernorm_forward, normalization_np.layernorm_backward)):
            _, cache = fwd(X, gm, bt, eps=1e-3)
            dx, dg, db = bwd(dout, cache)
            for what, arg, grad_, f in (
                    ("dx", X, dx, lambda v: fwd(v, gm, bt, eps=1e-3)[0]),
                    ("dgamma", gm, dg, lambda v: fwd(X, v, bt, eps=1e-3)[0]),
                    ("dbeta", bt, db, lambda v: fwd(X, gm, v, eps=1e-3)[0])):
                out.append(verify.check_vjp(f, lambda g, grad_=grad_: grad_, arg,
                                            name=f"{kind}_backward {what}, shape {shape}, eps = 1e-3", topic=TOPIC,
                                            dout=dout, method="complex-step", every_entry=True))

    # one sample against the others
    X = rng.standard_normal((6, 4))
    gm, bt = rng.uniform(0.5, 2, 4), rng.standard_normal(4)
    moved = X.copy()
    moved[1] += 1.0
    change = np.abs(normalization_np.batchnorm_forward(moved, gm, bt)[0][0] - normalization_np.batchnorm_forward(X, gm, bt)[0][0]).max()
    out.append(verify.check_bound(TOPIC, "batch norm: moving sample 2 changes the output of sample 1",
                                  0.01, change))
    rows = np.vstack([normalization_np.layernorm_forward(X[r:r + 1], gm, bt)[0] for r in range(len(X))])
    out.append(verify.check_bound(TOPIC, "layer norm of a batch = layer norm of each sample alone (exactly)",
                                  np.abs(normalization_np.layernorm_forward(X, gm, bt)[0] - rows).max(), 0.0))

    # the all-ones upstream gradient
    t = all_ones_test()
    out.append(verify.check_bound(TOPIC, "batchnorm_backward of an all-ones upstream gradient is below 1e-13",
                                  t["dx_ones"], 1e-13))
    out.append(verify.check_bound(TOPIC, "central differences of the sum of the outputs are below 1e-7",
                                  t["numeric_ones"], 1e-7))
    out.append(verify.check_bound(TOPIC, "the backward pass without the s2 path passes the all-ones test (1e-6)",
                                  t["wrong_ones_gap"], 1e-6))
    out.append(verify.check_bound(TOPIC, "the backward pass without the s2 path fails a random upstream "
                                  "gradient (error above 0.1)", 0.1, t["wrong_random_error"]))

    # eps: the figure's curves against the formulas
    s2_, norm, var_hat, two_s2, two_norm = eps_sweep()
    sq = sp.Symbol("q", positive=True)             # s^2 as a number
    at = {eps: EPS_DEFAULT}
    out.append(verify.check_against_sympy(
        TOPIC, "spectral norm of dx-hat/dx = 1/sqrt(s2 + eps), N = 16, 11 values of s", norm,
        (1 / sp.sqrt(_add(s ** 2, eps))).subs(at).subs(s ** 2, sq), sq, s2_))
    out.append(verify.check_against_sympy(
        TOPIC, "spectral norm of dx-hat/dx = eps/(s2 + eps)^(3/2), N = 2, 11 values of s", two_norm,
        (eps / _add(s ** 2, eps) ** sp.Rational(3, 2)).subs(at).subs(s ** 2, sq), sq, two_s2))
    out.append(verify.check_against_sympy(
        TOPIC, "batch variance of batchnorm_forward's x-hat = s2/(s2 + eps), N = 16, 11 values of s", var_hat,
        (s ** 2 / _add(s ** 2, eps)).subs(at).subs(s ** 2, sq), sq, s2_))

    # input normalization and conditioning
    for size in (3, 5):
        out.append(ident(f"Hessian of the MSE of a linear model w x + b = (2/N) A^T A, A = [X 1], N = {size}",
                         *_hessian_linear(size)))
    lam = sp.Symbol("lambda")
    H_std = standardized_hessian(rho)
    data = standardized()
    out.append(verify.check_values(
        TOPIC, "standardized data: (2/N) A^T A = 2 on the diagonal, 2r between the features, 0 against 1, "
        "3 data sets", "float64",
        np.concatenate([(2 * A.T @ A / len(A)).ravel() for A in (np.column_stack([Z, np.ones(len(Z))])
                                                                    for _, Z in data.values())]),
        np.concatenate([np.array(standardized_hessian(float(np.corrcoef(X.T)[0, 1])), dtype=float).ravel()
                        for X, _ in data.values()])))
    out.append(ident("standardized features with correlation r: the Hessian's eigenvalues are 2(1 - r), 2, 2(1 + r)",
                     H_std.charpoly(lam).as_expr(),
                     sp.expand((lam - 2 * (1 - rho)) * (lam - 2) * (lam - 2 * (1 + rho)))))
    kappas = conditioning()
    out.append(verify.check_values(
        TOPIC, "kappa after standardizing = (1 + abs(r))/(1 - abs(r)), 3 data sets", "closed-form",
        [v[1] for v in kappas.values()], [(1 + abs(v[2])) / (1 - abs(v[2])) for v in kappas.values()]))

    # PyTorch's conventions: layer norm over the trailing axes gamma's shape names, batch
    # norm's running statistics and its inference mode (the statistics are then constants)
    X = 3 * rng.standard_normal((3, 4, 5)) + 1.5
    gm, bt, dout = rng.uniform(0.5, 2, (4, 5)), rng.standard_normal((4, 5)), rng.standard_normal(X.shape)
    mean_np, var_np = X.mean(axis=(1, 2), keepdims=True), X.var(axis=(1, 2), keepdims=True)
    out.append(verify.check_values(TOPIC, "layer norm over the last two axes equals gamma (x - mu) / sqrt(var + eps) "
                                   "+ beta with mu and var over both axes, shape (3, 4, 5)", "float64",
                                   normalization_np.layernorm_forward(X, gm, bt, eps=1e-3)[0],
                                   gm * (X - mean_np) / np.sqrt(var_np + 1e-3) + bt))
    dx = normalization_np.layernorm_backward(dout, normalization_np.layernorm_forward(X, gm, bt, eps=1e-3)[1])[0]
    out.append(verify.check_vjp(lambda v: normalization_np.layernorm_forward(v, gm, bt, eps=1e-3)[0], lambda g: dx, X,
                                name="layernorm_backward over the last two axes dx, shape (3, 4, 5), eps = 1e-3",
                                topic=TOPIC, dout=dout, method="complex-step", every_entry=True))
    xs, up = rng.standard_normal(N_NUMERIC) * 2 + 1, rng.standard_normal(N_NUMERIC)
    gm, bt, e_, mr, vr = 1.5, -0.5, 1e-3, 0.25, 1.75
    running = normalization_np.RunningStats(np.array([mr]), np.array([vr]))
    o_np, cache, _ = normalization_np.batchnorm_forward(xs[:, None], np.array([gm]), np.array([bt]), eps=e_,
                                                        running=running, training=False)
    vals = {gamma: gm, beta: bt, eps: e_, m_r: mr, v_r: vr}
    out.append(verify.check_values(
        TOPIC, f"batchnorm_forward in inference mode equals gamma (x - m_r)/sqrt(v_r + eps) + beta, N = {N_NUMERIC}",
        "sympy-vs-numpy", o_np[:, 0], [float(inference_output(1).subs(vals).subs(x[1], v)) for v in xs]))
    out.append(verify.check_values(
        TOPIC, f"batchnorm_backward in inference mode equals gamma dL/do / sqrt(v_r + eps), N = {N_NUMERIC}",
        "sympy-vs-numpy", normalization_np.batchnorm_backward(up[:, None], cache)[0][:, 0],
        [float(inference_dx().subs(vals).subs(Upstream(k), u)) for u in up]))
    X, dout = 2 * rng.standard_normal((4, 3)) + 1, rng.standard_normal((4, 3))
    running = normalization_np.RunningStats(rng.standard_normal(3), rng.uniform(0.5, 2, 3))
    gm, bt = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    inference = lambda v: normalization_np.batchnorm_forward(v, gm, bt, eps=1e-3, running=running,  # noqa: E731
                                                             training=False)
    dx, dg, db = normalization_np.batchnorm_backward(dout, inference(X)[1])
    out.append(verify.check_vjp(lambda v: inference(v)[0], lambda g: dx, X,
                                name="batchnorm_backward in inference mode dx, shape (4, 3), eps = 1e-3", topic=TOPIC,
                                dout=dout, method="complex-step", every_entry=True))
    for what, arg, grad_, f in (
            ("dgamma", gm, dg, lambda v: normalization_np.batchnorm_forward(X, v, bt, eps=1e-3, running=running,
                                                                            training=False)[0]),
            ("dbeta", bt, db, lambda v: normalization_np.batchnorm_forward(X, gm, v, eps=1e-3, running=running,
                                                                           training=False)[0])):
        out.append(verify.check_vjp(f, lambda g, grad_=grad_: grad_, arg,
                                    name=f"batchnorm_backward in inference mode {what}, shape (4, 3), eps = 1e-3",
                                    topic=TOPIC, dout=dout, method="complex-step", every_entry=True))
    # the running statistics after one batch, exactly: PyTorch's update with the unbiased variance
    batch, r_mean, r_var, m_ = [sp.Integer(v) for v in (3, 1, 4, 1, 5)], sp.Rational(1, 2), sp.Integer(2), sp.Rational(1, 10)
    mu_, var_ = stats(batch)
    size = len(batch)
    want = [(1 - m_) * r_mean + m_ * mu_, (1 - m_) * r_var + m_ * sp.Rational(size, size - 1) * var_]
    _, _, updated = normalization_np.batchnorm_forward(
        np.array(batch, dtype=float)[:, None], np.ones(1), np.zeros(1), momentum=float(m_),
        running=normalization_np.RunningStats(np.array([float(r_mean)]), np.array([float(r_var)])))
    out.append(verify.check_values(
        TOPIC, "running statistics after a batch: (1 - alpha) r + alpha mu, and for the variance (1 - alpha) v + alpha N/(N - 1) s2, "
        "alpha = 0.1, N = 5", "sympy-vs-numpy", [updated.mean[0], updated.var[0]], [float(w) for w in want]))
    out += hand_step_checks()
    out.append(raw_terms_check())
    out += inference_step_checks()
    out += train_eval_checks()
    out += channel_checks(rng)
    out += map_checks()
    return out


def train_eval_checks() -> list[verify.Check]:
    """Inference mode against training mode: the variance's bias, the gap, the mixed-up
    backward passes, a sample's output in any batch."""
    out = []
    bias = variance_bias()
    sizes = ", ".join(map(str, bias))
    out.append(verify.symbolic_identity(
        TOPIC, f"over all 2^N batches of +-1 samples the batch variance s2 averages to (N - 1)/N, N = {sizes} (exact)",
        sp.Matrix([b[0] for b in bias.values()]), sp.Matrix([sp.Rational(size - 1, size) for size in bias])))
    out.append(verify.check_values(
        TOPIC, f"batchnorm_forward's running variance (momentum 1) averages to 1 over all 2^N batches of +-1 samples, "
        f"N = {sizes}", "float64", [b[1] for b in bias.values()], np.ones(len(bias))))
    out.append(verify.check_values(
        TOPIC, f"the biased variance batchnorm_forward normalizes with averages to (N - 1)/N over all 2^N batches "
        f"of +-1 samples, N = {sizes}", "float64", [b[2] for b in bias.values()], [(size - 1) / size for size in bias]))
    gap = train_eval_gap()
    a, b, c_ = GAP_SIZES
    out.append(verify.check_bound(TOPIC, f"mean |o_train - o_eval| shrinks as the batch grows, N = {a}, {b}, {c_}",
                                  [gap[b][2], gap[c_][2]], [gap[a][2], gap[b][2]], strict=True))
    out.append(verify.check_bound(TOPIC, f"in training mode a sample's output changes with its batch (by more than 0.1), "
                                  f"N = {c_}", 0.1, gap[c_][3]))
    rng = np.random.default_rng(14)
    X, gm, bt = rng.standard_normal((6, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    running = normalization_np.RunningStats(rng.standard_normal(3), rng.uniform(0.5, 2, 3))
    evaluate = lambda v: normalization_np.batchnorm_forward(v, gm, bt, running=running, training=False)[0]  # noqa: E731
    alone = np.vstack([evaluate(X[r:r + 1]) for r in range(len(X))])
    out.append(verify.check_bound(TOPIC, "in inference mode a sample's output is the same in any batch, "
                                  "a batch of one too (exactly)", np.abs(evaluate(X) - alone).max(), 0.0))
    in_eval, in_train = mode_mixups()
    out.append(verify.check_bound(TOPIC, "the training backward pass through an inference-mode forward pass fails the "
                                  "complex step (error above 0.1)", 0.1, in_eval))
    out.append(verify.check_bound(TOPIC, "the inference backward pass through a training-mode forward pass fails the "
                                  "complex step (error above 0.1)", 0.1, in_train))
    return out


def channel_checks(rng) -> list[verify.Check]:
    """batchnorm2d against the batch-norm formulas with N H W samples per channel, the complex
    step, and the two wrong choices of axes."""
    out = []
    shape = MAP_SHAPES[0]
    N_, C, H, W = shape
    X = _feature_map(shape, 15)
    gm, bt, dout = rng.uniform(0.5, 2, C), rng.standard_normal(C), rng.standard_normal(shape)
    e_ = 1e-3
    y, cache = normalization_np.batchnorm2d_forward(X, gm, bt, eps=e_)
    dx, dg, db = normalization_np.batchnorm2d_backward(dout, cache)
    size = N_ * H * W
    want_o, want_dx = [], []
    for ch in range(C):     # channel ch's N H W values, in (n, h, w) order, as one batch
        vals = {x: X[:, ch].ravel(), Upstream: dout[:, ch].ravel(), gamma: gm[ch], beta: bt[ch], eps: e_}
        want_o += [_at_size(definitions(bn_output(q)), N, size, vals) for q in range(1, size + 1)]
        want_dx += [_at_size(definitions(bn_dx(q)), N, size, vals) for q in range(1, size + 1)]
    per_channel = lambda a: np.concatenate([a[:, ch].ravel() for ch in range(C)])  # noqa: E731
    out.append(verify.check_values(
        TOPIC, f"batchnorm2d_forward equals the displayed o with the N H W values of each channel as the batch, "
        f"shape {shape}", "sympy-vs-numpy", per_channel(y), want_o))
    out.append(verify.check_values(
        TOPIC, f"batchnorm2d_backward equals the displayed dL/dx with the N H W values of each channel as the batch, "
        f"shape {shape}", "sympy-vs-numpy", per_channel(dx), want_dx))
    for what, arg, grad_, f in (("dx", X, dx, lambda v: normalization_np.batchnorm2d_forward(v, gm, bt, eps=e_)[0]),
                                ("dgamma", gm, dg, lambda v: normalization_np.batchnorm2d_forward(X, v, bt, eps=e_)[0]),
                                ("dbeta", bt, db, lambda v: normalization_np.batchnorm2d_forward(X, gm, v, eps=e_)[0])):
        out.append(verify.check_vjp(f, lambda g, grad_=grad_: grad_, arg, name=f"batchnorm2d_backward {what}, "
                                    f"shape {shape}, eps = 1e-3", topic=TOPIC, dout=dout, method="complex-step",
                                    every_entry=True))
    big = MAP_SHAPES[1]
    Xb, db_out = _feature_map(big, 16), rng.standard_normal(big)
    gb, bb = rng.uniform(0.5, 2, big[1]), rng.standard_normal(big[1])
    dxb = normalization_np.batchnorm2d_backward(db_out, normalization_np.batchnorm2d_forward(Xb, gb, bb, eps=e_)[1])[0]
    out.append(verify.check_vjp(lambda v: normalization_np.batchnorm2d_forward(v, gb, bb, eps=e_)[0], lambda g: dxb, Xb,
                                name=f"batchnorm2d_backward dx, shape {big}, eps = 1e-3", topic=TOPIC, dout=db_out,
                                method="complex-step", every_entry=True))
    # the running variance: unbiased over the channel's N H W values
    _, _, running = normalization_np.batchnorm2d_forward(X, gm, bt, running=normalization_np.RunningStats.start(C))
    flat = [X[:, ch].ravel() for ch in range(C)]
    out.append(verify.check_values(
        TOPIC, f"batchnorm2d running variance: 0.9 + 0.1 (N H W)/(N H W - 1) s_c^2 over the channel, shape {shape}",
        "float64", running.var, [0.9 + 0.1 * np.var(v, ddof=1) for v in flat]))
    # a map of 1 x 1 positions is a batch of C-vectors: batchnorm2d is then batchnorm_forward
    Xv, dv = rng.standard_normal((5, C)) * 2 + 1, rng.standard_normal((5, C))
    y2, cache2 = normalization_np.batchnorm2d_forward(Xv[:, :, None, None], gm, bt)
    y1, cache1 = normalization_np.batchnorm_forward(Xv, gm, bt)
    out.append(verify.check_bound(
        TOPIC, f"with H = W = 1 per-channel batch norm is the batch norm of vectors (output and dx exactly), shape (5, {C}, 1, 1)",
        max(np.abs(y2[:, :, 0, 0] - y1).max(), np.abs(normalization_np.batchnorm2d_backward(dv[:, :, None, None], cache2)[0][:, :, 0, 0]
                                                      - normalization_np.batchnorm_backward(dv, cache1)[0]).max()), 0.0))
    # normalizing over the wrong axes
    mixed_gap, mixed_mean, spread_right, spread_n = wrong_axes()
    out.append(verify.check_bound(TOPIC, "x.reshape(-1, C) without moving C last differs from per-channel batch norm "
                                  "(by more than 0.5)", 0.5, mixed_gap))
    out.append(verify.check_bound(TOPIC, "x.reshape(-1, C) without moving C last leaves channel means away from 0 "
                                  "(above 0.1)", 0.1, mixed_mean))
    out.append(verify.check_bound(TOPIC, "per-channel batch norm keeps a spatial pattern the batch shares "
                                  "(its batch mean ranges over more than 1 in every channel)", 1.0, spread_right))
    out.append(verify.check_bound(TOPIC, "statistics over N alone erase it (batch mean below 1e-12 at every position)",
                                  spread_n, 1e-12))
    return out


# ------------------------------------------------------------------ what the page shows
def _eps_figure() -> Figure:
    s2_, norm, var_hat, two_s2, two_norm = eps_sweep()
    sd = np.sqrt(s2_)
    fine = np.geomspace(sd[0], sd[-1], 200)
    return Figure([
        Panel([Curve(fine, 1 / fine, None, ":", "0.5"),
               Curve(fine, 1 / np.sqrt(fine ** 2 + EPS_DEFAULT), r"$1/\sqrt{s^2 + \epsilon}$"),
               Curve(sd, norm, "measured, $N = 16$", "o"),
               Curve(fine, EPS_DEFAULT / (fine ** 2 + EPS_DEFAULT) ** 1.5,
                     r"$\epsilon / (s^2 + \epsilon)^{3/2}$", "--", "C2"),
               Curve(np.sqrt(two_s2), two_norm, "measured, $N = 2$", "s", "C2")],
              title=r"(a) spectral norm of $\partial \hat{x} / \partial x$", xlabel="batch standard deviation $s$",
              xscale="log", yscale="log", hlines=[1 / np.sqrt(EPS_DEFAULT)], ylim=(1e-12, 1e6),
              legend_loc="lower left"),
        Panel([Curve(fine, fine ** 2 / (fine ** 2 + EPS_DEFAULT), r"$s^2 / (s^2 + \epsilon)$"),
               Curve(sd, var_hat, "measured, $N = 16$", "o")],
              title=r"(b) batch variance of $\hat{x}$", xlabel="batch standard deviation $s$",
              xscale="log", legend_loc="upper left"),
    ], size=(7.2, 3.3))


def exhibits() -> dict:
    """What the normalization page shows, each formula printed from the object a check proved."""
    T = lambda e, **kw: tex(e, order="none", fold_frac_powers=True, **kw)  # noqa: E731
    ex = worked_example()
    z_num = normalization_np.zscore(np.array(EXAMPLE, dtype=float))
    sample_var = sum((v - ex["mean"]) ** 2 for v in ex["x"]) / (len(EXAMPLE) - 1)
    table = Table(["$x_i$", r"$\hat x_i$ (exact)", r"$\hat x_i$"],
                  [(str(v), f"${sp.latex(ze)}$", f"{zn:.4f}") for v, ze, zn in zip(EXAMPLE, ex["z"], z_num)],
                  align="rcr")
    ones = all_ones_test()
    kap = conditioning()
    cond = Table(["data", r"$\kappa$ raw", r"$\kappa$ std.", "$r$"],
                 [(name, f"{a:,.0f}", f"{b:.2f}", f"{r:.3f}") for name, (a, b, r) in kap.items()], align="lrrr")
    dL = lambda v: rf"\frac{{\partial L}}{{\partial {v}}}"  # noqa: E731
    mean_ = lambda size: T(mean(size), long_frac_ratio=1)  # noqa: E731
    var_ = lambda size: T(variance(size), long_frac_ratio=1)  # noqa: E731

    def backward(coeff, terms):   # coeff (t1 + t2 + t3), one term per line
        return (rf"{dL('x_{i}')} &= {T(coeff)} \Biggl({T(terms[0])} \\ "
                + r" \\ ".join(rf"&\qquad {T(t)}" for t in terms[1:]) + r"\Biggr)")
    def chain(steps):
        return " = ".join(T(e) for e in steps)

    def bracket(lhs, coeff, terms):   # lhs &= coeff ( t1 \\ t2 \\ t3 ), one term per row
        return ([rf"{lhs} &= {T(coeff)} \Bigl({T(terms[0])}"] + [rf"&\qquad {T(t)}" for t in terms[1:-1]]
                + [rf"&\qquad {T(terms[-1])} \Bigr)"])
    dL_dxk = T(DX_STEPS[0])
    collect = bracket(dL_dxk, BN_SUM_COEFF, BN_SUM_TERMS)
    collect += bracket("", BN_COEFF, tuple(t.xreplace({i: k}) for t in BN_TERMS))
    gap = train_eval_gap()
    gap_table = Table(["$N$", r"$m_r$ error", r"$v_r$ error", "mean gap", "sample moves"],
                      [(str(size), f"{a:.3f}", f"{b:.3f}", f"{c_:.3f}", f"{d:.2f}") for size, (a, b, c_, d) in gap.items()],
                      align="rrrrr")
    in_eval, in_train = mode_mixups()
    mixed_gap, mixed_mean, spread_right, spread_n = wrong_axes()
    mu_c, var_c = channel_statistics()

    def channel_mean(e):      # 1/(N H W) and the sums over n, h, w (outermost first), then the summand
        size, total = e.args
        sums = " ".join(rf"\sum_{{{T(v)}=1}}^{{{T(hi)}}}" for v, _, hi in reversed(total.limits))
        assert size == 1 / (N * H_ * W_)
        return rf"\frac{{1}}{{{T(N)} {T(H_)} {T(W_)}}} {sums} {T(total.function)}"
    mu_sym = sp.Indexed(sp.IndexedBase("mu"), c4)
    m_new, v_new = running_update()
    return {
        "eq_bn_dxhat_steps": Equation(chain(DXHAT_STEPS), proofs=DXHAT_STEP_NAMES),
        "eq_dl_dxhat": Equation(chain(DL_DXHAT), proofs=(DL_DXHAT_NAME,)),
        "eq_bn_chain": Equation(chain(DX_STEPS[:4]), proofs=DX_STEP_NAMES[:3]),
        "eq_bn_collect": Equation(aligned(collect), proofs=DX_STEP_NAMES[3:]),
        "raw_terms": str(len(raw_terms(RAW_SIZE))),
        "raw_size": str(RAW_SIZE),
        "eq_running": Equation(aligned([rf"m_{{r}} &\leftarrow {T(m_new)},", rf"v_{{r}} &\leftarrow {T(v_new)}"]),
                               definition=True),
        "eq_inference": Equation(rf"o_{{i}} = {T(inference_output(i))}", definition=True),
        "eq_inference_steps": Equation(f"{dL_dxk} = {chain(INF_STEPS)}",
                                       proofs=("inference mode by hand", f"{INFERENCE_NAME}:")),
        "eq_inference_params": Equation(aligned([rf"{dL(T(gamma))} &= {T(INFERENCE_DGAMMA)},",
                                                 rf"{dL(T(beta))} &= {T(BN_DBETA)}"]),
                                        proofs=(f"{INFERENCE_DGAMMA_NAME}:", f"{INFERENCE_DBETA_NAME}:")),
        "gap_table": gap_table,
        "gap_steps": str(GAP_STEPS),
        "gap_batches": str(GAP_BATCHES),
        "gap_first": f"{gap[GAP_SIZES[0]][2]:.2f}",
        "gap_last": f"{gap[GAP_SIZES[-1]][2]:.2f}",
        "mixup_eval": f"{in_eval:.2f}",
        "mixup_train": f"{in_train:.2f}",
        "eq_channel_stats": Equation(aligned([rf"{T(mu_sym)} &= {channel_mean(mu_c)},",
                                              rf"{T(sp.Indexed(sp.IndexedBase('s'), c4) ** 2)} &= {channel_mean(var_c)}"]
                                             ), definition=True),
        "map_shape": Markdown("$({})$".format(", ".join(map(str, MAP_SHAPES[0])))),
        "map_shape_big": Markdown("$({})$".format(", ".join(map(str, MAP_SHAPES[1])))),
        "map_values": str(MAP_SHAPES[0][0] * MAP_SHAPES[0][2] * MAP_SHAPES[0][3]),
        "mixed_gap": f"{mixed_gap:.2f}",
        "mixed_mean": f"{mixed_mean:.2f}",
        "spread_right": f"{spread_right:.2f}",
        "spread_n": f"{spread_n:.0e}",
        "eq_zscore": Equation(aligned([rf"\mu &= {mean_(N)},", rf"s^{{2}} &= {var_(N)},",
                                       rf"{T(x_hat[i])} &= {T(normalized(i, with_eps=False))}"]), definition=True),
        "ex_x": ", ".join(str(v) for v in EXAMPLE),
        "ex_mean": Markdown(f"$\\mu = {sp.latex(ex['mean'])} = {float(ex['mean']):.1f}$"),
        "ex_var": Markdown(f"$s^2 = {sp.latex(ex['var'])} = {float(ex['var']):.2f}$"),
        "ex_std": Markdown(f"$s = {sp.latex(ex['std'])} \\approx {float(ex['std']):.4f}$"),
        "ex_table": table,
        "ex_sample_var": f"{float(sample_var):.2f}",
        "ex_mean_z": f"{abs(z_num.mean()):.0e}",
        "ex_var_z": f"{z_num.var():.15f}",
        "eq_bn_forward": Equation(aligned([rf"\mu &= {mean_(N)},", rf"s^{{2}} &= {var_(N)},",
                                           rf"{T(x_hat[i])} &= {T(normalized(i))},", rf"o_{{i}} &= {T(bn_output(i))}"]),
                                  definition=True),
        "eq_bn_backward": Equation(aligned([backward(BN_COEFF, BN_TERMS) + ",",
                                            rf"{dL(T(gamma))} &= {T(BN_DGAMMA)},", rf"{dL(T(beta))} &= {T(BN_DBETA)}"]),
                                   proofs=(f"{BN_DX_NAME}:", f"{BN_DGAMMA_NAME}:", f"{BN_DBETA_NAME}:")),
        "eq_jacobian": Equation(rf"\frac{{\partial \hat x}}{{\partial x}} = "   # the matrix times 1/sqrt(.)
                                rf"\frac{{{tex(JACOBIAN_MATRIX)}}}{{{T(1 / JACOBIAN_COEFF)}}}",
                                proofs=(f"{JACOBIAN_NAME}:",)),
        "eq_xhat_dx": Equation(rf"\sum_{{i=1}}^{{N}} {T(x_hat[i])} {dL('x_{i}')} = {T(XHAT_DOT_DX_COEFF)} "
                               rf"{dL(T(gamma))}",    # dL/dgamma: BN_DGAMMA, by eq-bn-backward
                               proofs=(XHAT_DOT_DX_CHECK,)),
        "eq_var_xhat": Equation(rf"{T(XHAT_SECOND_MOMENT, long_frac_ratio=1)} = {T(XHAT_VARIANCE)}",
                                proofs=(XHAT_VARIANCE_CHECK,)),
        "eq_ln": Equation(aligned([rf"o_{{i}} &= {T(ln_output(i))},", backward(LN_COEFF, LN_TERMS)]),
                          proofs=(f"{LN_DX_NAME}:",)),
        "dx_ones": f"{ones['dx_ones']:.0e}",
        "numeric_ones": f"{ones['numeric_ones']:.0e}",
        "wrong_ones_gap": f"{ones['wrong_ones_gap']:.0e}",
        "wrong_random_error": f"{ones['wrong_random_error']:.2f}",
        "inv_sqrt_eps": f"{1 / np.sqrt(EPS_DEFAULT):.0f}",
        "eps_default": f"{EPS_DEFAULT:.0e}".replace("e-0", "e-"),
        "fig_eps": _eps_figure(),
        "conditioning": cond,
        "cond_n": str(COND_N),
        "cond_corr": f"{DATASETS['scales 1, 100, correlated'][2]:g}",
        "n_numeric": str(N_NUMERIC),
        "vjp_shapes": Markdown(" and ".join(f"$({a}, {b})$" for a, b in VJP_SHAPES)),
        "ln_numeric": str(n_NUMERIC),
    }
