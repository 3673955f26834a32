"""Backpropagation through time for a vanilla RNN, proved on the fully unrolled loss.

The model and the formulas the page displays are matrix-symbol expressions, defined once
(:func:`model`): z_t = W_hx x_t + W_hh h_{t-1} + b_h, h_t = tanh(z_t) (:data:`ACTIVATION`),
y_hat_t = W_hy h_t + b_y, L = sum_t 1/2 ||y_hat_t - y_t||^2 (y_t the target), and with
e_t = y_hat_t - y_t the recursion

    delta_t = (1 - h_t^{⊙2}) ⊙ (W_hy^T e_t + W_hh^T delta_{t+1}),   delta_{T+1} = 0,

and the gradients dL/dW_hh = sum_{t=1..T} delta_t h_{t-1}^T (the h_0 term included),
dL/dW_hx = sum_t delta_t x_t^T, dL/db_h = sum_t delta_t, dL/dh_0 = W_hh^T delta_1,
dL/dW_hy = sum_t e_t h_t^T, dL/db_y = sum_t e_t. The proofs evaluate these very expressions
on explicit matrices of symbols, unroll the loss over T steps and differentiate it, at two
sizes (:data:`PROOF_SIZES`); the checks evaluate them on numbers against the NumPy code
(``numeric.rnn``, whose ``bptt_deltas`` is the package's one implementation of the
recursion). So a change to the model (tanh -> sigmoid) changes the
displayed equations and fails the checks. :func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import replace
from functools import lru_cache
from types import SimpleNamespace

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Panel, Table, aligned
from ..numeric import rnn as rnn_np
from .common import FORK_X, _BookLatex, fork_rule, matrix, tex, vector
from .index_notation import GradientClaim, prove_identity, result_cases, vjp_claim

__all__ = ["ACTIVATION", "PROOF_SIZES", "model", "unroll", "deltas", "closed_forms", "derivation",
           "induction_claims", "wrong_h0_sum", "init_rnn", "hidden_jacobian", "checks", "exhibits"]

TOPIC = "bptt"
#: The activation of the model, h_t = f(z_t) entrywise.
ACTIVATION = sp.tanh
#: The sizes (T, n, m, p) of the two unrolled proofs, steps and input, hidden, output widths.
PROOF_SIZES = ((3, 3, 2, 2), (2, 2, 3, 1))
#: The first step of the sums over time (the h_0 term, t = 1, included).
FIRST_STEP = 1
#: The widths m at which the one-step Jacobian is proved.
JACOBIAN_WIDTHS = (2, 3)
#: A mistake must move dL/dW_hh by more than this (relative).
MISTAKE_THRESHOLD = 1e-3
#: The sequence length of the numerical gradient checks.
T_NUMERIC = 60

n, m, p = sp.symbols("n m p", positive=True, integer=True)


def fprime_through_output(h):
    """f'(z) written through the output h = f(z), entrywise; for tanh, 1 - h^{⊙2}."""
    return sp.OneMatrix(*h.shape) - sp.HadamardPower(h, 2)


def model(n=n, m=m, p=p):
    """The RNN's symbols and every formula of the page, as matrix-symbol expressions of the
    sizes given (symbols for display, integers for the proofs)."""
    M = lambda name, rows, cols=1: sp.MatrixSymbol(name, rows, cols)  # noqa: E731
    s = SimpleNamespace(
        W_hx=M("W_{hx}", m, n), W_hh=M("W_{hh}", m, m), b_h=M("b_h", m), W_hy=M("W_{hy}", p, m),
        b_y=M("b_y", p), x=M("x_t", n), h_prev=M("h_{t-1}", m), a=M("z_t", m), h=M("h_t", m),
        y_hat=M(r"\hat y_t", p), y=M("y_t", p), e=M("e_t", p), delta=M(r"\delta_t", m),
        delta_next=M(r"\delta_{t+1}", m), delta_1=M(r"\delta_1", m), h_0=M("h_0", m))
    s.pre = sp.MatAdd(s.W_hx * s.x, s.W_hh * s.h_prev, s.b_h, evaluate=False)    # z_t
    s.state = s.a.applyfunc(ACTIVATION)                                         # h_t
    s.output = sp.MatAdd(s.W_hy * s.h, s.b_y, evaluate=False)                  # y_hat_t
    s.error = sp.MatAdd(s.y_hat, -s.y, evaluate=False)        # e_t, and the residual of the loss
    s.delta_formula = sp.HadamardProduct(
        fprime_through_output(s.h), sp.MatAdd(s.W_hy.T * s.e, s.W_hh.T * s.delta_next, evaluate=False))
    s.delta_end = sp.ZeroMatrix(m, 1)                                           # delta_{T+1}
    s.grads = {"W_hh": s.delta * s.h_prev.T, "W_hx": s.delta * s.x.T, "b_h": s.delta,
               "W_hy": s.e * s.h.T, "b_y": s.e}
    s.h0_grad = s.W_hh.T * s.delta_1
    s.jacobian_step = sp.DiagMatrix(fprime_through_output(s.h)) * s.W_hh       # dh_t/dh_{t-1}
    return s


def evaluate(expr, values: dict) -> sp.Matrix:
    """A matrix-symbol expression on explicit matrices ``values`` {MatrixSymbol: Matrix}, as an
    explicit Matrix: products, sums, transposes, Hadamard products and powers, diag and
    entrywise functions, each computed as the explicit operation it denotes."""
    def ev(e):
        if e in values:
            return sp.Matrix(values[e])
        if isinstance(e, sp.MatrixBase):
            return sp.Matrix(e)
        if not getattr(e, "is_Matrix", False):
            return e                                                    # a scalar factor
        if isinstance(e, sp.MatAdd):
            return sum((ev(a) for a in e.args), sp.zeros(*e.shape))
        if isinstance(e, sp.MatMul):
            out = sp.Integer(1)
            for a in e.args:
                out = out * ev(a)
            return out
        if isinstance(e, sp.Transpose):
            return ev(e.arg).T
        if isinstance(e, sp.HadamardProduct):
            out = ev(e.args[0])
            for a in e.args[1:]:
                out = out.multiply_elementwise(ev(a))
            return out
        if isinstance(e, sp.HadamardPower):
            return ev(e.base).applyfunc(lambda u: u ** e.exp)
        if isinstance(e, sp.DiagMatrix):
            return sp.diag(*ev(e.args[0]))
        if isinstance(e, sp.matrices.expressions.applyfunc.ElementwiseApplyFunction):
            return ev(e.expr).applyfunc(e.function)
        if isinstance(e, sp.OneMatrix):
            return sp.ones(*e.shape)
        if isinstance(e, sp.ZeroMatrix):
            return sp.zeros(*e.shape)
        raise TypeError(f"evaluate: no explicit form for {type(e).__name__} ({e})")
    return ev(expr)


def half_squared_norm(r: sp.Matrix):
    """1/2 ||r||^2 = 1/2 r^T r of an explicit column."""
    return (r.T * r)[0, 0] / 2


def _parameters(T_, n_, m_, p_, values=None):
    """Explicit matrices: symbols, or the numbers in ``values`` (NumPy arrays)."""
    if values is not None:
        return ({k: sp.Matrix(v) for k, v in values["params"].items()},
                [sp.Matrix(v) for v in values["x"]], [sp.Matrix(v) for v in values["y"]])
    P = {"W_hx": matrix("u", m_, n_), "W_hh": matrix("w", m_, m_), "b_h": vector("b", m_),
         "W_hy": matrix("v", p_, m_), "b_y": vector("c", p_), "h0": vector("s", m_)}
    return (P, [vector(f"x{t}", n_) for t in range(1, T_ + 1)],
            [vector(f"y{t}", p_) for t in range(1, T_ + 1)])


def unroll(T_, n_, m_, p_, values=None):
    """The model unrolled over the given number of steps: (model, params, inputs, states
    h_0..h_T, errors, L), every step built from the model's expressions, on symbols or on
    ``values``."""
    S = model(n_, m_, p_)
    P, xs, ys = _parameters(T_, n_, m_, p_, values)
    hs, errors, L = [P["h0"]], [], 0
    for t in range(T_):
        a = evaluate(S.pre, {S.W_hx: P["W_hx"], S.x: xs[t], S.W_hh: P["W_hh"], S.h_prev: hs[-1],
                             S.b_h: P["b_h"]})
        hs.append(evaluate(S.state, {S.a: a}))
        y_hat = evaluate(S.output, {S.W_hy: P["W_hy"], S.h: hs[-1], S.b_y: P["b_y"]})
        errors.append(evaluate(S.error, {S.y_hat: y_hat, S.y: ys[t]}))
        L += half_squared_norm(errors[-1])
    return S, P, xs, hs, errors, L


def deltas(S, P, hs, errors) -> dict:
    """delta_1..delta_{T+1} by the displayed recursion, from delta_{T+1} (the model's delta_end)."""
    T_ = len(errors)
    d = {T_ + 1: evaluate(S.delta_end, {})}
    for t in range(T_, 0, -1):
        d[t] = evaluate(S.delta_formula, {S.h: hs[t], S.e: errors[t - 1], S.W_hy: P["W_hy"],
                                          S.W_hh: P["W_hh"], S.delta_next: d[t + 1]})
    return d


def closed_forms(S, P, xs, hs, errors, first: int = FIRST_STEP) -> dict:
    """The displayed gradient formulas, summed over t = first..T."""
    T_ = len(errors)
    d = deltas(S, P, hs, errors)
    out = {}
    for k, summand in S.grads.items():
        terms = [evaluate(summand, {S.delta: d[t], S.h_prev: hs[t - 1], S.x: xs[t - 1],
                                    S.e: errors[t - 1], S.h: hs[t]}) for t in range(first, T_ + 1)]
        out[k] = sum(terms, sp.zeros(*summand.shape))
    out["h0"] = evaluate(S.h0_grad, {S.W_hh: P["W_hh"], S.delta_1: d[1]})
    return out


PLAIN = {"W_hh": "sum_t delta_t h_{t-1}^T, h_0 term included", "W_hx": "sum_t delta_t x_t^T",
         "b_h": "sum_t delta_t", "h0": "W_hh^T delta_1", "W_hy": "sum_t e_t h_t^T",
         "b_y": "sum_t e_t"}


def sizes_text(sizes) -> str:
    return "T = {}, n = {}, m = {}, p = {}".format(*sizes)


@lru_cache(maxsize=None)
def derivation(sizes=PROOF_SIZES[0]):
    """(model, params, SymPy's gradients of the unrolled loss, the displayed closed forms,
    the W_hh sum without its t = 1 term) at ``sizes`` = (T, n, m, p)."""
    S, P, xs, hs, errors, L = unroll(*sizes)
    derived = {k: P[k].applyfunc(lambda v: sp.diff(L, v)) for k in PLAIN}
    wrong = closed_forms(S, P, xs, hs, errors, first=FIRST_STEP + 1)["W_hh"]
    return S, P, derived, closed_forms(S, P, xs, hs, errors), wrong


# ------------------------------------------------------------- hand steps
# The derivation as a student writes it, entry by entry: each row of the page's chains is a
# SymPy object built unevaluated (sums kept as sums, derivatives as derivatives), printed by
# hand_tex and proved equal to the next row. Indices are 1-based on the page; an entry h_{t,a}
# is the Indexed h[t, a], which the proofs map to the model's matrix symbols (0-based entries).
#: The steps' indices, the sequence length: t a step, (a, b) an entry, r a summation index
#: (on this page k is the truncation's length and j an earlier step).
ti, ia, ib, ir = sp.symbols("t a b r", integer=True, positive=True)
T_SYM = sp.Symbol("T", integer=True, positive=True)
#: The loss, a scalar whose derivatives the rows name.
LOSS = sp.Symbol("L")
H_, YHAT_, Z_, E_, DELTA_ = (sp.IndexedBase(s) for s in ("h", r"\hat y", "z", "e", r"\delta"))
W_HY_, W_HH_ = sp.IndexedBase("W_{hy}"), sp.IndexedBase("W_{hh}")
#: The use of W_hh at step t, W_hh^{(t)}[t, a, b] = its (a, b) entry (the fork rule's copies).
W_USE_ = sp.IndexedBase(r"W_{hh}^{(\cdot)}")
#: The sizes of the explicit hand steps (the fork and the chain rule, with arbitrary functions),
#: (m, p) for the fork at h_t, m for f' and (T, n, m, p) for the uses of W_hh.
FORK_SIZES = ((2, 1), (3, 2))
FPRIME_WIDTHS = (2, 3)
USE_SIZES = ((2, 1, 2, 1), (3, 1, 2, 1))


class _HandLatex(_BookLatex):
    """The book's printer with the hand steps' notation: dA/dB as a partial-derivative fraction,
    h[t, a] as h_{t,a} (a named matrix in parentheses), nested sums with their ranges."""

    def _print_Derivative(self, expr):
        (var, order), = expr.variable_count
        if order != 1:
            return super()._print_Derivative(expr)
        d = "d" if expr.expr.free_symbols == {var} else r"\partial"       # d/dx F(x, x): a total derivative
        return rf"\frac{{{d} {self._print(expr.expr)}}}{{{d} {self._print(var)}}}"

    def _print_Indexed(self, expr):
        # an index t + 1 in the usual order (SymPy's default, not the rows' "none"), unspaced
        name, idx = expr.base.label.name, [sp.latex(i).replace(" ", "") for i in expr.indices]
        if name == W_USE_.label.name:
            return rf"(W_{{hh}}^{{({idx[0]})}})_{{{','.join(idx[1:])}}}"
        return rf"({name})_{{{','.join(idx)}}}" if "_" in name else rf"{name}_{{{','.join(idx)}}}"

    def _print_Sum(self, expr):
        body = self._print(expr.function)
        return self._nested_sums(expr) + (rf"\left({body}\right)" if isinstance(expr.function, sp.Add) else body)


def hand_tex(expr) -> str:
    """LaTeX of a hand step's row, its terms and factors in the order built."""
    return _HandLatex({"order": "none"}).doprint(expr)


def _product(*factors):
    return sp.Mul(*factors, evaluate=False)


def _d(a, b):
    return sp.Derivative(a, b)


def _sum(body, index, top, bottom=1):
    return sp.Sum(body, (index, bottom, top))


def _entry_of(values: dict, x):
    """The entry an Indexed x names: values[(name, time)] or values[(name, None)] (a column or a
    matrix expression), at the remaining indices made 0-based."""
    name, idx = x.base.label.name, list(x.indices)
    key = (name, idx[0]) if (name, idx[0]) in values else (name, None)
    if key not in values:
        raise KeyError(f"hand step: no value for {x}")
    rest = idx[1:] if key[1] is not None else idx
    M = values[key]
    return M[rest[0] - 1, rest[1] - 1] if len(rest) == 2 else M[rest[0] - 1, 0]


def index_form(expr, values: dict, upstream: dict):
    """A displayed row in index notation: dL/dx -> the entry of ``upstream`` (the gradient a
    definition names: e_t, delta_{t+1}, ...), dA/dB -> SymPy's derivative of A's entry of
    ``values`` with respect to B's, every other entry -> its entry of ``values``."""
    # the page's 1-based sums made 0-based like the model's entries (a sum over t stays: its
    # terms are named by t, and the proofs compare the t-th terms)
    expr = expr.replace(lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.limits[0][0] != ti and e.limits[0][1] == 1,
                        lambda e: sp.Sum(e.function.xreplace({e.limits[0][0]: e.limits[0][0] + 1}),
                                         (e.limits[0][0], e.limits[0][1] - 1, e.limits[0][2] - 1)))

    def derivative(d):
        if d.expr == LOSS:
            return _entry_of(upstream, d.variables[0])
        return sp.diff(_entry_of(values, d.expr), _entry_of(values, d.variables[0]))
    # one pass: the values put in (SymPy's derivatives of arbitrary functions) are not rows' derivatives
    expr = expr.replace(lambda d: isinstance(d, sp.Derivative) and isinstance(d.variables[0], sp.Indexed), derivative)
    return expr.replace(lambda x: isinstance(x, sp.Indexed), lambda x: _entry_of(values, x))


def prove_hand_step(name: str, a, b, values: dict, upstream: dict, indices, shape) -> verify.Check:
    """Rows a = b for every entry at symbolic size: the entry ``indices`` (display symbols) of a
    result of ``shape`` run over every case of index_notation.result_cases (an m x m result: the
    entries above and below the diagonal), each case's difference zero by prove_identity. A sum
    over t outermost on both rows is proved termwise (the same t-th term)."""
    if isinstance(a, sp.Sum) and isinstance(b, sp.Sum) and a.limits == b.limits and a.limits[0][0] == ti:
        a, b = a.function, b.function
    start = time.perf_counter()
    for case in result_cases(shape):
        sub = {**case.sizes, **{s: c + 1 for s, c in zip(indices, case.indices)}}
        lhs, rhs = (sp.sympify(index_form(r, values, upstream)).xreplace(sub) for r in (a, b))
        check = prove_identity(TOPIC, name, lhs, rhs)
        if not check.passed:
            return check
    return replace(check, seconds=time.perf_counter() - start)


FORK = "fork rule: d/dx f(x, x) = f_1(x, x) + f_2(x, x), f undefined"


def fork_checks() -> list[verify.Check]:
    """The fork rule (common.fork_rule) for an undefined f, and for one concrete f (SymPy's
    derivative of f(x, x) against its two partial derivatives at (x, x))."""
    _, derived, claim = fork_rule()
    out = [verify.timed(verify.symbolic_identity, TOPIC, FORK, derived, claim)]
    x, u, v = FORK_X, *sp.symbols("u v", real=True)
    f = sp.sin(u) * sp.exp(v) + u * v ** 3
    at = {u: x, v: x}
    out.append(verify.symbolic_identity(TOPIC, "fork rule on f(u, v) = sin(u) exp(v) + u v^3: d/dx f(x, x) = f_1 + f_2",
                                        sp.diff(f.xreplace(at), x), (sp.diff(f, u) + sp.diff(f, v)).xreplace(at)))
    return out


def _step_model():
    """The model's symbols, with z_{t+1} = W_hx x_{t+1} + W_hh h_t + b_h (the next step's
    pre-activation, from the model's z_t)."""
    S = model()
    S.x_next = sp.MatrixSymbol("x_{t+1}", n, 1)
    S.z_next = S.pre.xreplace({S.h_prev: S.h, S.x: S.x_next})
    S.g = sp.MatrixSymbol(r"\bar h_t", m, 1)        # dL/dh_t, a given column in the activation's step
    return S


def hand_rows() -> dict:
    """The rows of the three chains: name -> list of rows (display objects), and the vector
    forms they end in (matrix expressions of the model)."""
    S = _step_model()
    t, a, b, r = ti, ia, ib, ir
    h_out = _sum(_product(_d(LOSS, YHAT_[t, r]), _d(YHAT_[t, r], H_[t, a])), r, p)
    h_next = _sum(_product(_d(LOSS, Z_[t + 1, r]), _d(Z_[t + 1, r], H_[t, a])), r, m)
    h_rows = [_d(LOSS, H_[t, a]), h_out, h_next,
              sp.Add(_sum(_product(E_[t, r], W_HY_[r, a]), r, p), _sum(_product(DELTA_[t + 1, r], W_HH_[r, a]), r, m),
                     evaluate=False),
              S.delta_formula.args[1]]                      # W_hy^T e_t + W_hh^T delta_{t+1}, entry a
    fp = lambda s: fprime_through_output(S.h)[0, 0].xreplace({S.h[0, 0]: H_[t, s]})  # noqa: E731
    z_rows = [_d(LOSS, Z_[t, a]), _sum(_product(_d(LOSS, H_[t, r]), _d(H_[t, r], Z_[t, a])), r, m),
              _sum(_product(_d(LOSS, H_[t, r]), sp.KroneckerDelta(r, a), fp(a)), r, m),
              _product(fp(a), _d(LOSS, H_[t, a]))]
    w_rows = [_d(LOSS, W_HH_[a, b]), _sum(_d(LOSS, W_USE_[t, a, b]), t, T_SYM),
              _sum(_sum(_product(_d(LOSS, Z_[t, r]), _d(Z_[t, r], W_USE_[t, a, b])), r, m), t, T_SYM),
              _sum(_sum(_product(DELTA_[t, r], sp.KroneckerDelta(r, a), H_[t - 1, b]), r, m), t, T_SYM),
              _sum(_product(DELTA_[t, a], H_[t - 1, b]), t, T_SYM),
              S.grads["W_hh"]]                              # delta_t h_{t-1}^T, entry (a, b), summed over t
    return {"h": h_rows, "z": z_rows, "W": w_rows, "model": S}


def _values(S) -> tuple[dict, dict]:
    """(values, upstream) of index_form for the steps at symbolic size: every entry the rows name
    mapped to the model's matrix symbols, and dL/dx to the gradient its definition names."""
    values = {("h", ti): S.h, ("h", ti - 1): S.h_prev, (r"\hat y", ti): S.output, ("z", ti + 1): S.z_next,
              ("e", ti): S.e, (r"\delta", ti + 1): S.delta_next, (r"\delta", ti): S.delta,
              ("W_{hy}", None): S.W_hy, ("W_{hh}", None): S.W_hh, (W_USE_.label.name, ti): S.W_hh,
              ("z", ti): S.pre}
    upstream = {(r"\hat y", ti): S.e, ("z", ti + 1): S.delta_next, ("z", ti): S.delta, ("h", ti): S.g}
    return values, upstream


def _with_h_of_z(S) -> dict:
    """The values for the activation's rows: h_t = f(z_t) entrywise (the model's state), its
    entries f of z_t's, and the pre-activation z_t a free column."""
    return {**_values(S)[0], ("h", ti): S.state, ("z", ti): S.a}


HAND_NAMES = {
    ("h", 1): "hand step, fork at h_t: dL/dh_t,a = sum over the output path + sum over the next-step path",
    ("h", 2): "hand step, fork at h_t: the two paths' sums are sum_r e_t,r (W_hy)_ra + sum_r delta_t+1,r (W_hh)_ra",
    ("h", 3): "hand step, fork at h_t: the two sums are entry a of W_hy^T e_t + W_hh^T delta_t+1",
    ("z", 1): "hand step, activation: dL/dz_t,a = sum_r dL/dh_t,r dh_t,r/dz_t,a",
    ("z", 2): "hand step, activation: dh_t,r/dz_t,a = [a = r] (1 - h_t,a^2)",
    ("z", 3): "hand step, activation: only r = a survives, dL/dz_t,a = (1 - h_t,a^2) dL/dh_t,a",
    ("W", 1): "hand step, shared W_hh: dL/dW_hh is the sum of the gradients of its T uses (fork rule)",
    ("W", 2): "hand step, shared W_hh: the use at step t reaches L only through z_t (chain rule)",
    ("W", 3): "hand step, shared W_hh: dz_t,r/d(W_hh^(t))_ab = [a = r] h_t-1,b",
    ("W", 4): "hand step, shared W_hh: only r = a survives",
    ("W", 5): "hand step, shared W_hh: sum_t delta_t,a h_t-1,b is entry (a, b) of sum_t delta_t h_t-1^T",
}


def _symbolic_hand_checks(rows) -> list[verify.Check]:
    """The rows that follow from definitions and index arithmetic, proved at symbolic size."""
    S = rows["model"]
    values, upstream = _values(S)
    h, z, w = rows["h"], rows["z"], rows["W"]
    out = [prove_hand_step(HAND_NAMES["h", 2] + ": index notation, any m, p", sp.Add(h[1], h[2], evaluate=False),
                           h[3], values, upstream, (ia,), (m, 1)),
           prove_hand_step(HAND_NAMES["h", 3] + ": index notation, any m, p", h[3], _matrix_entry(h[4], ia),
                           values, upstream, (ia,), (m, 1))]
    zvalues = _with_h_of_z(S)
    for step in (2, 3):
        out.append(prove_hand_step(HAND_NAMES["z", step] + ": index notation, any m", z[step - 1], z[step],
                                   zvalues, upstream, (ia,), (m, 1)))
    for step in (3, 4):
        out.append(prove_hand_step(HAND_NAMES["W", step] + ": index notation, any n, m", w[step - 1], w[step],
                                   values, upstream, (ia, ib), (m, m)))
    out.append(verify.symbolic_identity(TOPIC, "dL/dh_t = W_hy^T e_t + W_hh^T delta_t+1 has the shape of h_t "
                                        "(general m, p)", sp.Matrix([h[4].shape]), sp.Matrix([S.h.shape])))
    out.append(prove_hand_step(HAND_NAMES["W", 5] + ": index notation, any m", w[4],
                               _sum(_matrix_entry(w[5], ia, ib), ti, T_SYM), values, upstream, (ia, ib), (m, m)))
    return out


def _matrix_entry(M, a, b=None):
    """Entry (a, b) (1-based display indices) of a matrix expression of the model."""
    return M[a - 1, 0 if b is None else b - 1]


def _written_out(expr, sizes: dict):
    """A row at explicit sizes and indices (``sizes``: symbol -> integer): every sum written out
    term by term, nothing else evaluated (a derivative stays a derivative)."""
    def terms(s):
        out = [s.function]
        for v, lo, hi_ in s.limits:         # innermost first; ranges are sizes, not indices
            out = [f.xreplace({v: val}) for f in out for val in range(int(lo), int(hi_) + 1)]
        return sp.Add(*out)
    return expr.xreplace(sizes).replace(lambda s: isinstance(s, sp.Sum), terms)


def _function_of(name: str, args: sp.Matrix):
    """An arbitrary scalar function of the entries of ``args`` (SymPy's undefined function)."""
    return sp.Function(name)(*args)


def _gradient_at(f, args: sp.Matrix, at: dict) -> sp.Matrix:
    """The column of df/d(args) at the point ``at`` (SymPy's Subs where f is arbitrary)."""
    return sp.Matrix([sp.diff(f, a).subs(at) for a in args])


def _entries_checked(name: str, lhs_rows, rhs_rows, sizes: dict, entries, values, upstream, final=None):
    """lhs = rhs at explicit ``sizes``, for every entry of ``entries`` ({display index: value}),
    the rows written out and interpreted by index_form on explicit matrices; ``final`` substitutes
    in both sides at the end."""
    got, want = [], []
    for at in entries:
        for rows, out in ((lhs_rows, got), (rhs_rows, want)):
            e = index_form(_written_out(rows, {**sizes, **at}), values, upstream)
            out.append(e.xreplace(final) if final else e)
    return verify.symbolic_identity(TOPIC, name, sp.Matrix(got), sp.Matrix(want))


def _fork_h_check(rows, m_: int, p_: int) -> verify.Check:
    """Row 1 of the fork at h_t at (m, p): L = l(y_hat_t) + R(z_{t+1}), l and R arbitrary
    functions (R: the steps after t, which see h_t only through z_{t+1})."""
    S = model(2, m_, p_)
    hs = vector("h", m_)
    y_hat = evaluate(S.output, {S.W_hy: matrix("v", p_, m_), S.h: hs, S.b_y: vector("c", p_)})
    z_next = evaluate(S.pre, {S.W_hx: matrix("u", m_, 2), S.x: vector("x", 2), S.W_hh: matrix("w", m_, m_),
                              S.h_prev: hs, S.b_h: vector("b", m_)})
    Y, Zn = vector("Y", p_), vector("Z", m_)
    ell, R = _function_of("ell", Y), _function_of("R", Zn)
    at = {**dict(zip(Y, y_hat)), **dict(zip(Zn, z_next))}
    values = {("h", ti): hs, (r"\hat y", ti): y_hat, ("z", ti + 1): z_next}
    upstream = {("h", ti): sp.Matrix([sp.diff(ell.subs(at) + R.subs(at), v) for v in hs]),
                (r"\hat y", ti): _gradient_at(ell, Y, at), ("z", ti + 1): _gradient_at(R, Zn, at)}
    h = rows["h"]
    return _entries_checked(f"{HAND_NAMES['h', 1]}, any loss of y_hat_t and of z_t+1, "
                            f"(m, p) = ({m_}, {p_})", h[0], sp.Add(h[1], h[2], evaluate=False),
                            {m: m_, p: p_}, [{ia: r} for r in range(1, m_ + 1)], values, upstream)


def _activation_check(rows, m_: int) -> verify.Check:
    """Row 1 of the activation's step at width m: L an arbitrary function of h_t = f(z_t)."""
    S = model(1, m_, 1)
    zs, Hs = vector("z", m_), vector("H", m_)
    h_of_z = evaluate(S.state, {S.a: zs})
    loss = _function_of("Lambda", Hs)
    at = dict(zip(Hs, h_of_z))
    values = {("h", ti): h_of_z, ("z", ti): zs}
    upstream = {("z", ti): sp.Matrix([sp.diff(loss.subs(at), v) for v in zs]), ("h", ti): _gradient_at(loss, Hs, at)}
    z = rows["z"]
    return _entries_checked(f"{HAND_NAMES['z', 1]}, any loss of h_t, m = {m_}", z[0], z[1], {m: m_},
                            [{ia: r} for r in range(1, m_ + 1)], values, upstream)


def unrolled_uses(T_, n_, m_, p_, free_step=None):
    """The model's loss unrolled over T steps with its own copy W_hh^(t) at every step (the
    uses of the shared weight), on symbols: (L, uses, params, pre-activations z_1..z_T). With
    ``free_step`` = t, z_t is a free column zeta instead (the rest of the loss as a function of
    z_t); the pre-activations returned are those computed."""
    S = model(n_, m_, p_)
    P, xs, ys = _parameters(T_, n_, m_, p_)
    uses = [matrix(f"w{t}", m_, m_) for t in range(1, T_ + 1)]
    h, L, pre = P["h0"], 0, []
    for t in range(T_):
        a = evaluate(S.pre, {S.W_hx: P["W_hx"], S.x: xs[t], S.W_hh: uses[t], S.h_prev: h, S.b_h: P["b_h"]})
        pre.append(a)
        if free_step == t + 1:
            a = vector("zeta", m_)
        h = evaluate(S.state, {S.a: a})
        e = evaluate(S.error, {S.y_hat: evaluate(S.output, {S.W_hy: P["W_hy"], S.h: h, S.b_y: P["b_y"]}), S.y: ys[t]})
        L += half_squared_norm(e)
    return L, uses, P, pre


def _uses_checks(rows, sizes) -> list[verify.Check]:
    """Rows 1 and 2 of the shared W_hh at (T, n, m, p): the loss with a copy of W_hh per step,
    differentiated with respect to W_hh, to each copy, and to each z_t (the rest of the loss as
    a function of a free z_t), all copies then set to W_hh."""
    T_, n_, m_, p_ = sizes
    L, uses, P, pre = unrolled_uses(*sizes)
    shared = dict(zip([u for U in uses for u in U], [w for _ in uses for w in P["W_hh"]]))
    zeta = vector("zeta", m_)
    dz = {}
    for t in range(1, T_ + 1):
        L_free = unrolled_uses(*sizes, free_step=t)[0]
        dz[("z", t)] = _gradient_at(L_free, zeta, dict(zip(zeta, pre[t - 1]))).xreplace(shared)
    L_shared = L.xreplace(shared)
    values = {**{("z", t): pre[t - 1] for t in range(1, T_ + 1)},
              **{(W_USE_.label.name, t): uses[t - 1] for t in range(1, T_ + 1)}}
    upstream = {("W_{hh}", None): P["W_hh"].applyfunc(lambda w: sp.diff(L_shared, w)),
                **{(W_USE_.label.name, t): uses[t - 1].applyfunc(lambda w: sp.diff(L, w)) for t in range(1, T_ + 1)},
                **dz}
    entries = [{ia: r, ib: c} for r in range(1, m_ + 1) for c in range(1, m_ + 1)]
    w, dims = rows["W"], sizes_text(sizes)
    return [_entries_checked(f"{HAND_NAMES['W', step]}, unrolled loss, {dims}", w[step - 1], w[step],
                             {T_SYM: T_, m: m_}, entries, values, upstream, shared) for step in (1, 2)]


def hand_checks() -> list[verify.Check]:
    """Every step of the three chains: the fork rule itself, the steps that are the chain rule
    with arbitrary functions (explicit sizes), the steps of index arithmetic (symbolic size)."""
    rows = hand_rows()
    out = fork_checks()
    out += [verify.timed(_fork_h_check, rows, *s) for s in FORK_SIZES]
    out += [verify.timed(_activation_check, rows, w) for w in FPRIME_WIDTHS]
    for s in USE_SIZES:
        start = time.perf_counter()
        checks = _uses_checks(rows, s)
        out += [replace(c, seconds=(time.perf_counter() - start) / len(checks)) for c in checks]
    return out + _symbolic_hand_checks(rows)


# ------------------------------------------------------------- every T: induction over the length
#: The explicit sizes at which the step's proofs are instantiated: (m, p) for those at the
#: pre-activation and the output, (n, m) for those at z_1's definition (m = 2: W_hh is not
#: symmetric). The base's proofs are the step's with delta_2 = 0 and are not instantiated.
INDUCTION_INSTANCES = {"m, p": ((2, 1), (2, 2)), "n, m": ((1, 2), (3, 2))}
#: What step 1 adds to each sum over t, in plain text (the check names).
STEP_1_TERMS = {"W_hy": "e_1 h_1^T", "b_y": "e_1", "W_hh": "delta_1 h_0^T (the h_0 term)",
                "W_hx": "delta_1 x_1^T", "b_h": "delta_1"}


def _sum_from_first(summand, step: int = 1):
    """The terms of step ``step`` in a sum over t = FIRST_STEP..T: the summand, or a zero
    matrix when the sum starts after that step."""
    return summand if FIRST_STEP <= step else sp.ZeroMatrix(*summand.shape)


def induction_claims() -> list[tuple[str, GradientClaim]]:
    """The base (T = 1) and the step (T -> T + 1) of the induction over the sequence length, as
    claims at symbolic sizes n, m, p, each (kind, claim) with kind "base", "step" or "base and step".

    The step adds a step in front: L_{T+1}(theta, h_0) = l_1 + L_T(theta, h_1), h_1 the first
    step's state. By the hypothesis the gradient L_T sends back to its initial state h_1 is the
    model's dL/dh_0 formula one step later, W_hh^T delta_2, with delta_2 a free vector and the
    W_hh in it held fixed (a separate symbol V: the chain rule treats that gradient as a
    constant). So the step's claims are vector-Jacobian products of the first step alone:
    dPhi/dz_1 = delta_1 by the model's recursion, for Phi = l_1 + (V^T delta_2)^T h_1 with h_1 =
    f(z_1), z_1 free; dPhi/dW_hy, dPhi/db_y; and the VJP of z_1 = W_hx x_1 + W_hh h_0 + b_h
    with delta_1, the new step's terms of the sums and dL/dh_0. The base is the same with
    delta_2 = the model's delta_{T+1}."""
    S = model()
    V = sp.MatrixSymbol("V", m, m)                  # W_hh inside the later steps' gradient, held fixed
    D = sp.MatrixSymbol(r"\delta_2", m, 1)           # what the later steps send back
    h = S.state                                      # h_1 = f(z_1), z_1 = S.a free
    e = S.error.xreplace({S.y_hat: S.output.xreplace({S.h: h})})
    loss = sp.MatMul(sp.Rational(1, 2), e.T, e)      # l_1 = 1/2 ||e_1||^2
    upstream = S.h0_grad.xreplace({S.W_hh: V, S.delta_1: D})
    at_step_1 = {S.h: h, S.e: e}
    mp, nm = (m, p), (n, m)
    out = []
    for kind, phi, later in (("base", loss, S.delta_end), ("step", sp.MatAdd(loss, upstream.T * h), D)):
        delta_1 = S.delta_formula.xreplace({S.W_hh: V, S.delta_next: later}).xreplace(at_step_1)
        label = "BPTT induction, base T = 1: " if kind == "base" else "BPTT induction, step T -> T + 1: "
        instances = INDUCTION_INSTANCES["m, p"] if kind == "step" else ()
        out.append((kind, GradientClaim(label + "dL/dz_1 = delta_1 by the recursion", phi, S.a, delta_1, mp,
                                        instances)))
        for k in ("W_hy", "b_y"):
            claim = _sum_from_first(S.grads[k].xreplace(at_step_1))
            out.append((kind, GradientClaim(f"{label}step 1 adds {STEP_1_TERMS[k]} to dL/d{k}", phi,
                                            getattr(S, k), claim, mp, instances)))
    pre = S.pre.xreplace({S.h_prev: S.h_0})          # z_1 = W_hx x_1 + W_hh h_0 + b_h
    first = {S.delta: S.delta_1, S.h_prev: S.h_0}
    label = "BPTT induction, base and step: z_1's VJP with delta_1 "      # z_1 = W_hx x_1 + W_hh h_0 + b_h
    for k in ("W_hh", "W_hx", "b_h"):
        claim = _sum_from_first(S.grads[k].xreplace(first))
        out.append(("base and step", vjp_claim(f"{label}adds {STEP_1_TERMS[k]} to dL/d{k}", pre,
                                               getattr(S, k), S.delta_1, claim, nm, INDUCTION_INSTANCES["n, m"])))
    out.append(("base and step", vjp_claim(f"{label}gives dL/dh_0 = W_hh^T delta_1", pre, S.h_0, S.delta_1,
                                           S.h0_grad, nm, INDUCTION_INSTANCES["n, m"])))
    return out


def induction_checks() -> list[verify.Check]:
    """Each claim of the induction proved at symbolic size (method "induction": with the
    induction over T the proof covers every T) and instantiated at explicit sizes."""
    out = []
    for _, claim in induction_claims():
        proof = claim.prove(TOPIC)
        out += [replace(proof, method="induction"), *claim.instance_checks(TOPIC)]
    return out


def wrong_h0_sum():
    """(SymPy's dL/dW_hh, the sum with its t = 1 term, the one with h_0, dropped)."""
    _, _, derived, _, wrong = derivation()
    return derived["W_hh"], wrong


def init_rnn(n, m, p, rng, radius: float = 0.9):
    """Random RNN parameters (n inputs, m hidden units, p outputs), W_hh scaled to spectral
    radius ``radius`` (its spectral norm is larger in general)."""
    W_hh = rng.standard_normal((m, m))
    W_hh *= radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    return {"W_hx": rng.standard_normal((m, n)) / np.sqrt(n), "W_hh": W_hh,
            "b_h": 0.1 * rng.standard_normal(m), "W_hy": rng.standard_normal((p, m)) / np.sqrt(m),
            "b_y": 0.1 * rng.standard_normal(p)}


def hidden_jacobian(h_seq: np.ndarray, W_hh: np.ndarray, t: int, j: int) -> np.ndarray:
    """dh_t/dh_j = prod_{i=t..j+1} diag(1 - h_i^2) W_hh (the factor of step t leftmost) for one
    sequence, h_seq (T+1, m) with index 0 = h_0: a product of t - j one-step Jacobians."""
    J = np.eye(W_hh.shape[0])
    for i in range(t, j, -1):
        J = J @ (np.diag(1 - h_seq[i] ** 2) @ W_hh)
    return J


# ------------------------------------------------------------- the model against NumPy

def _numeric_instance(sizes, rng):
    """Random numbers for the unrolled model (one sequence, N = 1)."""
    T_, n_, m_, p_ = sizes
    params = init_rnn(n_, m_, p_, rng)
    h0 = rng.standard_normal(m_)
    x, y = rng.standard_normal((T_, n_)), rng.standard_normal((T_, p_))
    return params, h0, x, y


def model_against_numpy(sizes, rng):
    """(SymPy's states, loss and closed-form gradients of the displayed model on numbers, and
    the NumPy code's), each as arrays."""
    params, h0, x, y = _numeric_instance(sizes, rng)
    values = {"params": {**{k: v.reshape(v.shape[0], -1) for k, v in params.items()}, "h0": h0[:, None]},
              "x": [v[:, None] for v in x], "y": [v[:, None] for v in y]}
    S, P, xs, hs, errors, L = unroll(*sizes, values=values)
    grads = closed_forms(S, P, xs, hs, errors)
    sym = {"h": np.array([np.array(h, dtype=float).ravel() for h in hs[1:]]), "L": float(L),
           "grads": {k: np.array(g, dtype=float).reshape(np.shape(params.get(k, h0)))
                     for k, g in grads.items()},
           "W_hh from t = 2": np.array(closed_forms(S, P, xs, hs, errors, first=FIRST_STEP + 1)["W_hh"],
                                       dtype=float)}
    h, _ = rnn_np.rnn_forward(x[:, None], h0[None], params["W_hx"], params["W_hh"], params["b_h"])
    L_num, g_num = rnn_np.rnn_loss_and_grads(params, x[:, None], y[:, None], h0[None])
    return sym, {"h": h[:, 0], "L": L_num, "grads": {**g_num, "h0": g_num["h0"][0]}}


# ------------------------------------------------------------- four common mistakes
#: (T, N, n, m, p, seed) of the mistakes' RNN.
MISTAKES_RNN = (30, 4, 3, 5, 2, 4)
MISTAKES = {
    "at the output": r"$\tanh'(h_t)$ in place of $1 - h_t^2$",
    "h_t for h_t-1": r"$\delta_t h_t^\top$ in place of $\delta_t h_{t-1}^\top$",
    "h_0 term dropped": r"the sum started at $t = 2$",
    "W_hh for W_hh^T": r"$W_{hh}$ in place of $W_{hh}^\top$ in the recursion",
    "next step dropped": r"$W_{hh}^\top \delta_{t+1}$ left out of the recursion",
    "last step only": r"$\delta_T h_{T-1}^\top$ alone, not summed over $t$",
}


def frobenius_error(v: np.ndarray, G: np.ndarray) -> float:
    """||v - G||_F / ||G||_F: the error of v relative to the reference G (the tables' metric)."""
    return float(np.linalg.norm(v - G) / np.linalg.norm(G))


def bptt_deltas_without_carry(dh, h):
    """The deltas with h_t's second use forgotten: delta_t = f'(z_t) ⊙ dh_t, nothing from step
    t+1 (the recursion of bptt_deltas with a zero W_hh)."""
    return rnn_np.bptt_deltas(dh, h, np.zeros((h.shape[2],) * 2))[0]


@lru_cache(maxsize=1)
def mistakes():
    """dL/dW_hh with each mistake, against the verified gradient G: ({mistake: ||v - G||_F / ||G||_F},
    whether the same slip with W_hx, m x n, is a shape error)."""
    T_, N, n_, m_, p_, seed = MISTAKES_RNN
    rng = np.random.default_rng(seed)
    params = init_rnn(n_, m_, p_, rng)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    targets = rng.standard_normal((T_, N, p_))
    _, grads = rnn_np.rnn_loss_and_grads(params, x, targets, h0)
    h, _ = rnn_np.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    dh = ((h @ params["W_hy"].T + params["b_y"] - targets) / N) @ params["W_hy"]   # W_hy^T e_t
    prev = np.concatenate([h0[None], h[:-1]])
    W = params["W_hh"]
    right, _ = rnn_np.bptt_deltas(dh, h, W)
    at_output, _ = rnn_np.bptt_deltas(dh, h, W, fprime=1 - np.tanh(h) ** 2)
    untransposed, _ = rnn_np.bptt_deltas(dh, h, W.T)
    total = lambda d, hp: np.einsum("tnm,tnk->mk", d, hp)  # noqa: E731
    variants = {"at the output": total(at_output, prev), "h_t for h_t-1": total(right, h),
                "h_0 term dropped": total(right[1:], prev[1:]),
                "W_hh for W_hh^T": total(untransposed, prev),
                "next step dropped": total(bptt_deltas_without_carry(dh, h), prev),
                "last step only": total(right[-1:], prev[-1:])}
    try:
        right @ params["W_hx"].T     # the slip of W_hh for W_hh^T, made with W_hx: (m,) by (n, m)
        shape_error = False
    except ValueError:
        shape_error = True
    return {k: frobenius_error(v, grads["W_hh"]) for k, v in variants.items()}, shape_error


# ------------------------------------------------------------- Jacobian products over time
#: (m, T, seed) of the figure's RNN, and the spectral norms of its W_hh = norm * Q, Q orthogonal.
LAG_RNN = (32, 60, 8)
LAG_NORMS = (0.5, 0.9, 1.0, 1.1, 1.5)


def lag_orthogonal() -> np.ndarray:
    """The figure's orthogonal matrix Q (W_hh = r Q has spectral norm and radius r)."""
    m_, _, seed = LAG_RNN
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((m_, m_)))[0]


@lru_cache(maxsize=1)
def lag_norms():
    """{spectral norm r: (||dh_T/dh_{T-lag}||_2 for lag =
    0..T-1, mean of 1 - h_t^2 over the run)}."""
    m_, T_, seed = LAG_RNN
    rng = np.random.default_rng(seed)
    rng.standard_normal((m_, m_))                          # Q's draws, see lag_orthogonal
    Q = lag_orthogonal()
    xs = 0.1 * rng.standard_normal((T_, 1, m_))
    out = {}
    for r in LAG_NORMS:
        W = r * Q
        h, _ = rnn_np.rnn_forward(xs, np.zeros((1, m_)), np.eye(m_), W, np.zeros(m_))
        hs = np.concatenate([np.zeros((1, m_)), h[:, 0]])
        out[r] = (np.array([np.linalg.norm(hidden_jacobian(hs, W, T_, T_ - lag), 2) for lag in range(T_)]),
                  float(np.mean(1 - hs[1:] ** 2)))
    return out


#: The bound (gamma ||W_hh||_2)^(t - j) of the Jacobian products, gamma = max f'.
GAMMA, SPECTRAL_NORM = sp.Symbol(r"\gamma", positive=True), sp.Symbol(r"\lVert W_{hh} \rVert_2", positive=True)
_t, _j = sp.symbols("t j", integer=True)
JACOBIAN_BOUND = sp.Pow(GAMMA * SPECTRAL_NORM, sp.Add(_t, -_j, evaluate=False), evaluate=False)


def jacobian_bound(norm: float, lags) -> np.ndarray:
    """The displayed bound at gamma = max f' (SymPy), ||W_hh||_2 = norm, for t - j = lags."""
    f = sp.lambdify((GAMMA, SPECTRAL_NORM, _t, _j), JACOBIAN_BOUND, "numpy")
    return np.asarray(f(float(gamma()), norm, np.asarray(lags, dtype=float), 0.0), dtype=float)


def counterexample():
    """W with W^2 = 0 and D = diag(1, 1/10) (a tanh' can be that): D W D W is not 0."""
    W = sp.Matrix([[1, 1], [-1, -1]]) / 2
    D = sp.diag(1, sp.Rational(1, 10))
    return W, D, W * W, D * W * D * W


@lru_cache(maxsize=1)
def gamma():
    """max f', by SymPy: the largest value of f' at the zeros of f'' (the check of the page
    compares it with the largest value on a grid of [-4, 4]: a cross-check of SymPy's answer,
    not a proof that no larger value exists outside the grid)."""
    z = sp.Symbol("z", real=True)
    fp = sp.diff(ACTIVATION(z), z)
    return sp.Max(*[fp.subs(z, c) for c in sp.solveset(sp.diff(fp, z), z, sp.S.Reals)])


#: Factors per step and numbers of steps of the powers table.
POWERS = ((sp.Rational(1, 2), 10), (sp.Rational(1, 2), 20), (sp.Rational(3, 2), 10), (sp.Rational(3, 2), 20))


# ------------------------------------------------------------- truncated BPTT
#: (T, N, n, m, p, seed) of the truncation experiment, and its windows k.
TRUNC_RNN = (40, 4, 3, 6, 2, 9)
TRUNC_WINDOWS = (1, 5, 10, 20, 40)


@lru_cache(maxsize=1)
def truncation():
    """(rho(W_hh), ||W_hh||_2, {form: {k: ||v - G||_F / ||G||_F}}) for the two forms of
    TRUNCATIONS: the truncated dL/dW_hh v of each window or chunk length k against full BPTT's G."""
    T_, N, n_, m_, p_, seed = TRUNC_RNN
    rng = np.random.default_rng(seed)
    params = init_rnn(n_, m_, p_, rng, radius=0.9)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    targets = rng.standard_normal((T_, N, p_))
    _, full = rnn_np.rnn_loss_and_grads(params, x, targets, h0)
    errors = {form: {k: frobenius_error(rnn_np.rnn_loss_and_grads(params, x, targets, h0, truncate=k,
                                                                  truncation=form)[1]["W_hh"], full["W_hh"])
                     for k in TRUNC_WINDOWS} for form in rnn_np.TRUNCATIONS}
    W = params["W_hh"]
    return float(np.max(np.abs(np.linalg.eigvals(W)))), float(np.linalg.norm(W, 2)), errors


def same_chunk(s: int, t: int, k: int) -> bool:
    """Whether steps s and t (1-based) fall in the same chunk 1..k, k+1..2k, ... of length k."""
    return (s - 1) // k == (t - 1) // k


def truncated_by_brute_force(h0, h, W_hh, dh, k: int, chunked: bool = False) -> np.ndarray:
    """dL/dW_hh of truncated BPTT as a sum of explicit Jacobian products: each dh_s reaches
    z_t through dh_s/dh_t, kept for lags s - t = 0..k-1 (products of 0 to k-1 factors), or,
    ``chunked``, for the steps t <= s of s's own chunk of length k."""
    T_, N, _ = h.shape
    out = np.zeros_like(W_hh)
    for b in range(N):
        hs = np.concatenate([h0[b][None], h[:, b]])          # index t = h_t, 0 = h_0
        for s in range(1, T_ + 1):
            for t in range(max(1, s - k + 1), s + 1):
                if chunked and not same_chunk(s, t, k):
                    continue
                delta = (1 - hs[t] ** 2) * (hidden_jacobian(hs, W_hh, s, t).T @ dh[s - 1, b])
                out += np.outer(delta, hs[t - 1])
    return out


def chunk_losses(params, x, targets, h0, k: int, loss: str = "mse") -> float:
    """The sum of the chunks' losses, each chunk run from its start state as a constant: the
    state the full forward reaches there, computed from ``params`` with the imaginary parts
    dropped (a complex step through it does not reach the next chunk); h0 for the first chunk.
    Its gradient is what the chunked truncation computes, by its definition."""
    real = {key: np.real(v) for key, v in params.items()}
    h, _ = rnn_np.rnn_forward(np.real(x), np.real(h0), real["W_hx"], real["W_hh"], real["b_h"])
    total = 0.0
    for lo in range(0, x.shape[0], k):
        start = h0 if lo == 0 else h[lo - 1]
        total = total + rnn_np.rnn_loss_and_grads(params, x[lo:lo + k], targets[lo:lo + k], start, loss)[0]
    return total


@contextmanager
def counting_recursion_steps():
    """Count the steps the package's BPTT recursion runs (``numeric.rnn._recursion``, which the
    full, sliding and chunked backward passes all call): yields a list whose one entry is the
    count so far."""
    original, count = rnn_np._recursion, [0]

    def counted(dh, fprime, W_hh):
        count[0] += dh.shape[0]
        return original(dh, fprime, W_hh)
    rnn_np._recursion = counted
    try:
        yield count
    finally:
        rnn_np._recursion = original


def undetached_chunks(dh, cache, k: int):
    """Chunks without the detach, every chunk's graph kept: chunk c's backward pass goes back
    through every step before it, to h_0. Each chunk's dh alone, through rnn_backward over the
    steps from 1 to the chunk's end; returns (the summed RNNGrads, the recursion steps run)."""
    T_ = dh.shape[0]
    total = None
    with counting_recursion_steps() as count:
        for lo in range(0, T_, k):
            hi = min(lo + k, T_)
            upstream = np.zeros_like(dh[:hi])
            upstream[lo:hi] = dh[lo:hi]
            prefix = rnn_np.RNNCache(cache.x[:hi], cache.h0, cache.W_hx, cache.W_hh, cache.h[:hi])
            g = rnn_np.rnn_backward(upstream, prefix)
            g = g._replace(dx=np.concatenate([g.dx, np.zeros_like(cache.x[hi:])]))
            total = g if total is None else rnn_np.RNNGrads(*(a + b for a, b in zip(total, g)))
    return total, count[0]


def recursion_steps(dh, cache, k: int) -> dict:
    """{form: the recursion steps its backward pass runs} for full BPTT, the sliding window and
    the chunks of length k, and the chunks without the detach."""
    out = {}
    for form, run in (("full", lambda: rnn_np.rnn_backward(dh, cache)),
                      ("sliding", lambda: rnn_np.rnn_backward(dh, cache, truncate=k)),
                      ("chunked", lambda: rnn_np.rnn_backward_chunked(dh, cache, k))):
        with counting_recursion_steps() as count:
            run()
        out[form] = count[0]
    out["not detached"] = undetached_chunks(dh, cache, k)[1]
    return out


def steps_formula(T_: int, k: int) -> dict:
    """The step counts in closed form (1 <= k <= T): T for full BPTT and for the chunks (each step
    once); sum_s min(s, k) = T k - k (k - 1) / 2 for the sliding window; sum_c min(c k, T) for the
    chunks without the detach."""
    chunks = -(-T_ // k)
    return {"full": T_, "sliding": T_ * k - k * (k - 1) // 2, "chunked": T_,
            "not detached": sum(min(c * k, T_) for c in range(1, chunks + 1))}


def _proof_checks() -> list[verify.Check]:
    """The derivative through h_t, the unrolled proofs at two sizes, the induction over T, the
    shapes, the Jacobian."""
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731
    S2 = model(2, 2, 2)
    A = vector("z", 2)
    out = [ident("f'(z_t) = 1 - h_t^2 with h_t = tanh(z_t): the derivative at the pre-activation",
                 evaluate(fprime_through_output(S2.h), {S2.h: evaluate(S2.state, {S2.a: A})}),
                 A.applyfunc(lambda u: sp.diff(ACTIVATION(u), u)))]
    grid = np.linspace(-4, 4, 801)
    out.append(verify.check_values(TOPIC, "gamma = max f' (SymPy) equals the largest tanh' on a grid",
                                   "sympy-vs-numpy", float(gamma()), np.max(1 - np.tanh(grid) ** 2)))
    for sizes in PROOF_SIZES:
        start = time.perf_counter()
        _, _, derived, closed, _ = derivation(sizes)
        shared = (time.perf_counter() - start) / len(PLAIN)    # the unrolled derivative, in equal parts
        for k in PLAIN:
            c = verify.timed(ident, f"dL/d{k} = {PLAIN[k]} (unrolled loss, {sizes_text(sizes)})", derived[k], closed[k])
            out.append(replace(c, seconds=c.seconds + shared))
    S, P, _, closed, wrong = derivation(PROOF_SIZES[0])
    zero_h0 = {v: 0 for v in P["h0"]}
    out.append(ident(f"with h_0 = 0 the sum from t = 2 is dL/dW_hh ({sizes_text(PROOF_SIZES[0])})",
                     closed["W_hh"].xreplace(zero_h0), wrong.xreplace(zero_h0)))
    S = model()
    out.append(ident("each summand has the shape of its parameter (general n, m, p)",
                     sp.Matrix([S.grads[k].shape for k in S.grads] + [S.h0_grad.shape]),
                     sp.Matrix([getattr(S, k).shape for k in S.grads] + [S.h_0.shape])))
    out += hand_checks()
    out += induction_checks()
    for width in JACOBIAN_WIDTHS:
        S = model(2, width, 2)
        h_prev, W = vector("s", width), matrix("w", width, width)
        a = evaluate(S.pre, {S.W_hx: matrix("u", width, 2), S.x: vector("x", 2), S.W_hh: W,
                             S.h_prev: h_prev, S.b_h: vector("b", width)})
        h = evaluate(S.state, {S.a: a})
        out.append(ident(f"dh_t/dh_t-1 = diag(1 - h_t^2) W_hh, m = {width}",
                         h.jacobian(h_prev), evaluate(S.jacobian_step, {S.h: h, S.W_hh: W})))
    return out


def _numeric_checks(rng) -> list[verify.Check]:
    """The displayed model on numbers against the NumPy code; the NumPy code on long
    sequences against central differences; the product of one-step Jacobians."""
    sym, npy = model_against_numpy(PROOF_SIZES[0], rng)
    dims = sizes_text(PROOF_SIZES[0])
    out = [verify.check_values(TOPIC, f"the displayed model gives rnn_forward's states ({dims})",
                               "sympy-vs-numpy", npy["h"], sym["h"]),
           verify.check_values(TOPIC, f"the displayed loss equals rnn_loss_and_grads's ({dims})",
                               "sympy-vs-numpy", npy["L"], sym["L"]),
           verify.check_values(TOPIC, f"the displayed gradients equal rnn_loss_and_grads's ({dims})",
                               "sympy-vs-numpy", np.concatenate([npy["grads"][k].ravel() for k in PLAIN]),
                               np.concatenate([sym["grads"][k].ravel() for k in PLAIN])),
           verify.check_bound(TOPIC, f"summing dL/dW_hh from t = 2 (h_0 term dropped) is refuted ({dims})",
                              1e-3, verify.rel_error(sym["W_hh from t = 2"], sym["grads"]["W_hh"]), strict=True)]
    T_, N, n_, m_, p_ = T_NUMERIC, 3, 4, 5, 2
    params = init_rnn(n_, m_, p_, rng)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    for loss, targets in (("mse", rng.standard_normal((T_, N, p_))), ("ce", rng.integers(0, p_, (T_, N)))):
        _, grads = rnn_np.rnn_loss_and_grads(params, x, targets, h0, loss)
        for key in (*rnn_np.RNN_PARAMS, "h0"):
            def f(v, key=key):
                q = {**params, key: v} if key != "h0" else params
                return rnn_np.rnn_loss_and_grads(q, x, targets, v if key == "h0" else h0, loss)[0]
            arg = h0 if key == "h0" else params[key]
            out.append(verify.check_gradient(f, grads[key], arg, name=f"BPTT dL/d{key}, T = {T_}, {loss} loss",
                                             topic=TOPIC, rng=rng, method="complex-step", every_entry=True))
    W_hx, W, b_h = params["W_hx"], params["W_hh"], params["b_h"]
    h, cache = rnn_np.rnn_forward(x, h0, W_hx, W, b_h)
    dh = rng.standard_normal(h.shape)
    dx = rnn_np.rnn_backward(dh, cache).dx
    out.append(verify.check_vjp(lambda v: rnn_np.rnn_forward(v, h0, W_hx, W, b_h)[0], lambda g: dx, x,
                                name=f"rnn_backward dx, T = {T_}, random dh on every step", topic=TOPIC, dout=dh,
                                method="complex-step", every_entry=True))
    # dh_t/dh_j of the first sequence, t - j = lag, against the forward pass from h_j = h_0
    lag = 8
    J = hidden_jacobian(np.concatenate([h0[:1], h[:, 0]]), W, lag, 0)
    out.append(verify.check_vjp(lambda v: rnn_np.rnn_forward(x[:lag, :1], v[None], W_hx, W, b_h)[0][-1, 0],
                                lambda g: J.T @ g, h0[0],
                                name=f"dh_t/dh_j = product of one-step Jacobians, step t leftmost (t - j = {lag})",
                                topic=TOPIC, dout=rng.standard_normal(m_), method="complex-step", every_entry=True))
    return out


def _experiment_checks(rng) -> list[verify.Check]:
    """What the page's tables and figure show."""
    errors, shape_error = mistakes()
    out = [verify.check_bound(TOPIC, f"mistake '{k}' moves dL/dW_hh by more than {MISTAKE_THRESHOLD:g} (relative)",
                              MISTAKE_THRESHOLD, err, strict=True) for k, err in errors.items()]
    out.append(verify.Check(TOPIC, f"the W_hh-for-W_hh^T slip made with W_hx (m = {MISTAKES_RNN[3]}, "
                            f"n = {MISTAKES_RNN[2]}) is a shape error", "shape", 0.0, 0.0, shape_error))
    norms = lag_norms()
    lags = np.arange(LAG_RNN[1])
    out.append(verify.check_bound(
        TOPIC, "Jacobian norm at most (spectral norm of W_hh)^(t-j), every lag, the five W_hh of the figure",
        np.concatenate([norms[r][0] for r in LAG_NORMS]),
        np.concatenate([jacobian_bound(r, lags) * (1 + 1e-12) for r in LAG_NORMS])))
    rise, grow = LAG_NORMS[3], LAG_NORMS[4]
    n_rise, n_grow = norms[rise][0], norms[grow][0]
    out.append(verify.check_bound(TOPIC, f"spectral norm {rise}: the Jacobian norm rises above 1, then falls below 1",
                                  [1.0, n_rise[-1]], [n_rise.max(), 1.0], strict=True))
    out.append(verify.check_bound(TOPIC, f"spectral norm {grow}: the Jacobian norm is largest at the last lag",
                                  n_grow[:-1], n_grow[-1], strict=True))
    Q = lag_orthogonal()
    out.append(verify.check_values(
        TOPIC, f"a scaled orthogonal W_hh alone meets the bound: spectral norm of W_hh^(t-j), norm {grow}",
        "closed-form", [np.linalg.norm(np.linalg.matrix_power(grow * Q, L), 2) for L in lags],
        jacobian_bound(grow, lags)))
    means = [norms[r][1] for r in LAG_NORMS]
    out.append(verify.check_bound(TOPIC, "the mean of 1 - h_t^2 falls as the spectral norm of W_hh grows",
                                  means[1:], means[:-1], strict=True))
    _, _, WW, DWDW = counterexample()
    out.append(verify.symbolic_identity(TOPIC, "W W = 0 for the counterexample W", WW, sp.zeros(2, 2)))
    z = sp.Symbol("z", real=True)
    fp = sp.diff(ACTIVATION(z), z)
    Dc = counterexample()[1]
    out.append(verify.symbolic_identity(
        TOPIC, "D = diag(1, 1/10) are tanh' values, at z = 0 and z = atanh(sqrt(9/10))",
        sp.Matrix([fp.subs(z, 0), fp.subs(z, sp.atanh(sp.sqrt(sp.Rational(9, 10))))]), sp.Matrix([Dc[0, 0], Dc[1, 1]])))
    out.append(verify.check_bound(TOPIC, "a smaller factor can give a larger product: spectral norm of "
                                  "D W D W above that of W W", float(WW.norm(2)), float(DWDW.norm(2)), strict=True))
    rho, norm2, trunc = truncation()
    out.append(verify.check_bound(TOPIC, "truncation experiment: spectral radius of W_hh below 1, spectral "
                                  "norm above 1", [rho, 1.0], [1.0, norm2], strict=True))
    errs = [trunc["sliding"][k] for k in TRUNC_WINDOWS]
    out.append(verify.check_bound(TOPIC, "the truncation error falls as the window k grows",
                                  errs[1:], errs[:-1], strict=True))
    errs = [trunc["chunked"][k] for k in TRUNC_WINDOWS]
    out.append(verify.check_bound(TOPIC, "the chunked truncation's error falls as the chunk length k grows",
                                  errs[1:], errs[:-1], strict=True))
    inner = [k for k in TRUNC_WINDOWS if 1 < k < TRUNC_RNN[0]]
    out.append(verify.check_bound(TOPIC, f"chunks of k = {', '.join(map(str, inner))} steps err more than the "
                                  "sliding window of the same k", [trunc["sliding"][k] for k in inner],
                                  [trunc["chunked"][k] for k in inner], strict=True))
    out.append(verify.check_values(TOPIC, "chunks of k = 1 step are the window k = 1 (the same gradient)",
                                   "float64", trunc["chunked"][1], trunc["sliding"][1]))
    out += _chunk_checks(rng)
    # the window's semantics, against a brute-force sum of the kept Jacobian products
    T_, N, n_, m_ = 8, 2, 3, 4
    params = init_rnn(n_, m_, 2, rng)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    h, cache = rnn_np.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    dh = rng.standard_normal(h.shape)
    for k in (1, 3, T_):
        out.append(verify.check_values(
            TOPIC, f"window k = {k} keeps the Jacobian products of 0 to k-1 factors (brute-force sum, T = {T_})",
            "sympy-vs-numpy", rnn_np.rnn_backward(dh, cache, truncate=k).dW_hh,
            truncated_by_brute_force(h0, h, params["W_hh"], dh, k)))
    out.append(verify.check_values(TOPIC, f"window k = T gives full BPTT (T = {T_})", "sympy-vs-numpy",
                                   rnn_np.rnn_backward(dh, cache, truncate=T_).dW_hh, rnn_np.rnn_backward(dh, cache).dW_hh))
    return out


#: (T, N, n, m, chunk length k) of the chunked truncation's gradient check.
CHUNK_RNN = (20, 2, 3, 4, 6)


def _chunk_checks(rng) -> list[verify.Check]:
    """The chunked truncation: against the brute-force sum of its kept Jacobian products, equal to
    full BPTT for k >= T, against the complex step on the sum of the chunks' losses with each
    chunk's start state a constant, and the recursion steps each form runs."""
    T_, N, n_, m_ = 8, 2, 3, 4
    params = init_rnn(n_, m_, 2, rng)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    h, cache = rnn_np.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    dh = rng.standard_normal(h.shape)
    out = [verify.check_values(
        TOPIC, f"chunks of k = {k} keep the Jacobian products within each chunk (brute-force sum, T = {T_})",
        "sympy-vs-numpy", rnn_np.rnn_backward_chunked(dh, cache, k).dW_hh,
        truncated_by_brute_force(h0, h, params["W_hh"], dh, k, chunked=True)) for k in (1, 3, T_)]
    full = rnn_np.rnn_backward(dh, cache)
    for k in (T_, T_ + 3):
        out.append(verify.check_values(TOPIC, f"chunks of k = {k} >= T give full BPTT, every gradient (T = {T_})",
                                       "float64", np.concatenate([g.ravel() for g in rnn_np.rnn_backward_chunked(dh, cache, k)]),
                                       np.concatenate([g.ravel() for g in full])))
    k = 3
    steps, formula = recursion_steps(dh, cache, k), steps_formula(T_, k)
    out.append(verify.check_values(
        TOPIC, f"recursion steps run: T for full BPTT and for chunks, T k - k(k-1)/2 for the sliding window, "
        f"sum_c min(c k, T) without the detach (T = {T_}, k = {k})", "float64", [steps[f] for f in formula],
        [formula[f] for f in formula]))
    undetached, _ = undetached_chunks(dh, cache, k)
    out.append(verify.check_values(
        TOPIC, f"chunks without the detach, each chunk's graph kept, compute full BPTT (T = {T_}, k = {k})",
        "float64", np.concatenate([g.ravel() for g in undetached]), np.concatenate([g.ravel() for g in full])))
    T_, N, n_, m_, k = CHUNK_RNN
    params = init_rnn(n_, m_, 2, rng)
    x, h0 = rng.standard_normal((T_, N, n_)), rng.standard_normal((N, m_))
    targets = rng.standard_normal((T_, N, 2))
    _, grads = rnn_np.rnn_loss_and_grads(params, x, targets, h0, truncate=k, truncation="chunked")
    for key in (*rnn_np.RNN_PARAMS, "h0"):
        def f(v, key=key):
            q = {**params, key: v} if key != "h0" else params
            return chunk_losses(q, x, targets, v if key == "h0" else h0, k)
        out.append(verify.check_gradient(
            f, grads[key], h0 if key == "h0" else params[key],
            name=f"chunked truncation dL/d{key} is the gradient of the chunks' losses, start states constant "
                 f"(T = {T_}, k = {k})", topic=TOPIC, rng=rng, method="complex-step", every_entry=True))
    return out


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the BPTT formulas proved on the unrolled loss at the two sizes
    of PROOF_SIZES, NumPy compared, the experiments of the page run."""
    rng = np.random.default_rng(seed)
    return _proof_checks() + _numeric_checks(rng) + _experiment_checks(rng)


# ------------------------------------------------------------------ what the page shows

def _entrywise_tex(e) -> str:
    """f(a) for an entrywise application f(a) of the model: the function's own LaTeX."""
    var = e.function.variables[0]
    return tex(e.function.expr, names={var: tex(e.expr)})


def _sum_over_time(body: str) -> str:
    return rf"\sum_{{t={FIRST_STEP}}}^{{T}} {body}"


def _lag_figure() -> Figure:
    norms = lag_norms()
    lags = np.arange(LAG_RNN[1])
    curves = [Curve(lags, norms[r][0], rf"$\|W_{{hh}}\|_2 = {r}$", color=f"C{i}") for i, r in enumerate(LAG_NORMS)]
    # each norm's bound, dotted in its colour: the caption says every curve stays below it
    curves += [Curve(lags, jacobian_bound(r, lags), None, ":", f"C{i}") for i, r in enumerate(LAG_NORMS)]
    return Figure([Panel(curves, xlabel="lag t - j", ylabel=r"$\|\partial h_t / \partial h_j\|_2$",
                         yscale="log", legend_loc="lower left")], size=(6.4, 3.4))


def hand_exhibits() -> dict:
    """The hand steps' equations, one chain each, every row printed from the object its check
    proves (the vector forms from the model's expressions)."""
    rows = hand_rows()
    h, z, w = (rows[k] for k in "hzW")
    lhs, _, rhs = fork_rule()
    first, second = rhs.args
    row = lambda a, b: rf"{hand_tex(a)} &= {hand_tex(b)}"  # noqa: E731
    more = lambda b: rf"&= {hand_tex(b)}"  # noqa: E731
    plus = lambda b: rf"&\quad + {hand_tex(b)}"  # noqa: E731
    names = lambda key, steps: tuple(HAND_NAMES[key, s] for s in steps)  # noqa: E731
    return {
        "eq_fork_rule": Equation(aligned([row(lhs, first), plus(second)]), proofs=("fork rule: ",)),
        "eq_hand_fork": Equation(aligned([row(h[0], h[1]), plus(h[2])]), proofs=names("h", (1,))),
        "eq_hand_h": Equation(aligned([row(h[0], h[3].args[0]), plus(h[3].args[1]),
                                       rf"&= \left({tex(h[4])}\right)_{{a}}"]), proofs=names("h", (2, 3))),
        "eq_hand_z": Equation(aligned([row(z[0], z[1]), more(z[2]), more(z[3])]), proofs=names("z", (1, 2, 3))),
        "eq_hand_w": Equation(aligned([row(w[0], w[1]), more(w[2])]), proofs=names("W", (1, 2))),
        "eq_hand_w_sum": Equation(aligned([row(w[0], w[3]), more(w[4]),
                                           rf"&= \Bigl({_sum_over_time(tex(w[5]))}\Bigr)_{{a,b}}"]),
                                  proofs=names("W", (3, 4, 5))),
        "fork_sizes": " and ".join(f"(m, p) = ({a}, {b})" for a, b in FORK_SIZES),
        "fprime_widths": " and ".join(map(str, FPRIME_WIDTHS)),
        "use_sizes": " and ".join(sizes_text(s) for s in USE_SIZES),
    }


def exhibits() -> dict:
    """What the BPTT page shows, each formula printed from the expression a check proved."""
    S = model()
    loss = _sum_over_time(rf"\tfrac12 \lVert {tex(S.error)} \rVert^2")
    eq_rnn = aligned([rf"{tex(S.a)} &= {tex(S.pre, order='none')}", rf"{tex(S.h)} &= {_entrywise_tex(S.state)}",
                      rf"{tex(S.y_hat)} &= {tex(S.output, order='none')}", rf"L &= {loss}"])
    if not (isinstance(S.delta_formula, sp.HadamardProduct) and len(S.delta_formula.args) == 2):
        raise TypeError("exhibits: the recursion is displayed as a Hadamard product of two factors over two rows")
    factors = [rf"\left({tex(f, order='none')}\right)" for f in S.delta_formula.args]
    eq_delta = aligned([rf"{tex(S.delta)} &= {factors[0]}", rf"&\qquad \odot {factors[1]}",
                        rf"\delta_{{T+1}} &= {tex(S.delta_end)},", rf"{tex(S.e)} &= {tex(S.error)}"])
    d = lambda k: rf"\frac{{\partial L}}{{\partial {tex(getattr(S, k))}}}"  # noqa: E731
    g = lambda k: rf"{d(k)} &= {_sum_over_time(tex(S.grads[k]))}"  # noqa: E731
    eq_grads = aligned([*(g(k) for k in ("W_hh", "W_hx", "b_h")), rf"{d('h_0')} &= {tex(S.h0_grad)}",
                        *(g(k) for k in ("W_hy", "b_y"))])
    dh = lambda a, b: rf"\frac{{\partial {a}}}{{\partial {b}}}"  # noqa: E731
    eq_jac = aligned([rf"{dh('h_t', 'h_{t-1}')} &= {tex(S.jacobian_step)}",
                      rf"{dh('h_t', 'h_j')} &= \prod_{{i=j+1}}^{{t}} {dh('h_i', 'h_{i-1}')}",
                      rf"\Bigl\lVert {dh('h_t', 'h_j')} \Bigr\rVert_2 &\le {tex(JACOBIAN_BOUND, order='none')}",
                      rf"{tex(GAMMA)} &= \max_z f'(z) = {tex(gamma())}"])
    Wc, Dc, WW, DWDW = counterexample()
    eq_counter = aligned([rf"W &= {tex(Wc)}", rf"D &= {tex(Dc)}",
                          rf"\lVert D W D W \rVert_2 &= {tex(DWDW.norm(2))} \approx {float(DWDW.norm(2)):.2f}"])
    errors, _ = mistakes()
    norms = lag_norms()
    rise, grow = LAG_NORMS[3], LAG_NORMS[4]
    n_rise, n_grow = norms[rise][0], norms[grow][0]
    rho, norm2, trunc = truncation()
    powers = Table([r"factor per step $r$", r"steps $t - j$", r"$r^{t-j}$ (exact)", r"$r^{t-j}$"],
                   [(f"${tex(r)}$", str(k), f"${tex(r ** k)}$", f"{float(r ** k):.4g}") for r, k in POWERS],
                   align="rrrr")
    recursion = ("dL/dW_hh = ", "dL/dW_hx = ", "dL/db_h = ", "dL/dh0 = ", "f'(z_t) = 1 - h_t^2",
                 "BPTT induction")
    return {
        **hand_exhibits(),
        "eq_rnn": Equation(eq_rnn, definition=True),
        "eq_bptt_delta": Equation(eq_delta, proofs=recursion),
        "eq_bptt_grads": Equation(eq_grads, proofs=(*recursion, "dL/dW_hy = ", "dL/db_y = ",
                                                    "each summand has the shape of its parameter")),
        "eq_rnn_jacobian": Equation(eq_jac, proofs=("dh_t/dh_t-1 = diag(1 - h_t^2) W_hh",
                                                    "dh_t/dh_j = product of one-step Jacobians",
                                                    "Jacobian norm at most", "gamma = max f'")),
        "eq_counterexample": Equation(eq_counter, proofs=("W W = 0 for the counterexample W",
                                                          "D = diag(1, 1/10) are tanh' values",
                                                          "a smaller factor can give a larger product")),
        "proof_sizes": " and ".join(sizes_text(s) for s in PROOF_SIZES),
        "T_num": str(T_NUMERIC),
        "gamma": tex(gamma()),
        "mistakes_table": Table(["mistake", r"$\lVert v - G \rVert_F / \lVert G \rVert_F$"],
                                [(MISTAKES[k], f"{v:.3g}") for k, v in errors.items()], align="lr"),
        "mT": str(MISTAKES_RNN[0]), "m_m": str(MISTAKES_RNN[3]),
        "fig_lag": _lag_figure(),
        "lag_m": str(LAG_RNN[0]), "lag_T": str(LAG_RNN[1]),
        "r_rise": f"{rise}", "r_grow": f"{grow}", "r_low": f"{LAG_NORMS[0]}",
        "peak_rise": f"{n_rise.max():.2f}", "peak_lag_rise": str(int(np.argmax(n_rise))),
        "last_grow": f"{n_grow[-1]:.0f}", "last_lag": str(LAG_RNN[1] - 1),
        "bound_grow": f"{float(jacobian_bound(grow, [LAG_RNN[1] - 1])[0]):.1e}",
        "mean_fp_low": f"{norms[LAG_NORMS[0]][1]:.2f}", "mean_fp_grow": f"{norms[grow][1]:.2f}",
        "jac_widths": " and ".join(map(str, JACOBIAN_WIDTHS)),
        "mistake_threshold": f"{MISTAKE_THRESHOLD:g}",
        "n_formulas": str(len(PLAIN)), "n_other_proofs": str(len(PLAIN) * len(PROOF_SIZES) - 1),
        "powers_table": powers,
        "tT": str(TRUNC_RNN[0]), "t_m": str(TRUNC_RNN[3]),
        "trunc_rho": f"{rho:.2f}", "trunc_norm": f"{norm2:.2f}",
        "trunc_table": Table(["$k$", "sliding window", "chunks"],
                             [(str(k), f"{trunc['sliding'][k]:.1e}", f"{trunc['chunked'][k]:.1e}")
                              for k in TRUNC_WINDOWS], align="rrr"),
    }
