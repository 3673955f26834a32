"""LSTM and GRU: the models as SymPy objects, their backward passes proved on the unrolled
loss, the paths of the gradient through time, and the measurements the page shows.

Each model is one :class:`Model` (:func:`lstm_model`, :func:`gru_model`): its forward
equations, the stacking of the per-gate blocks into the frameworks' matrices, the backward
recursion and the parameter gradients, all SymPy matrix expressions in the book's notation
(inputs of width n, hidden states of width m; LSTM gates i, f, o, candidate c~, cell c; GRU
reset r, update u, candidate h~). The page prints these objects (:func:`exhibits`); the proofs
evaluate the very same expressions on explicit matrices of symbols (``evaluate``) and
compare them with SymPy's own derivative of the unrolled loss; the NumPy code is checked
against the same forward equations evaluated in floating point, block by block in the order
the displayed stacking gives. A change to a model (an activation, a term, the gate order)
changes what the page shows and fails a check.

The loss is L = sum_t l_t, where l_t depends on h_t (an output layer and its loss); the proofs
take l_t = e_t^T h_t with symbolic e_t = dl_t/dh_t, which covers every such loss, because the
gradient of L is linear in the vectors dl_t/dh_t. The sigmoid is evaluated as
1/2 + tanh(a/2)/2, an exact identity (checked), so SymPy differentiates it by the tanh rule
and the backward's sigma(1 - sigma) is checked, not assumed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.hadamard import HadamardPower, HadamardProduct
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import verify
from ..book import Curve, Edge, Equation, Figure, Graph, Markdown, Node, Panel, Table, aligned
from ..numeric import gru as gru_np
from ..numeric import lstm as lstm_np
from ..numeric import rnn as rnn_np
from ..numeric.activations import sigmoid as np_sigmoid
from .common import _BookLatex, matrix, tex, vector
from .index_notation import GradientClaim, IdentityClaim, inner, prove_identity, scalar, vjp_claim, written_out

__all__ = ["Model", "lstm_model", "gru_model", "unrolled_gradients", "recursion_gradients",
           "one_step_jacobian", "rest_jacobian", "init_lstm", "init_gru", "state_gradient_by_lag",
           "checks", "exhibits"]

TOPIC = "lstm_gru"

#: The sizes as the page shows them (input width n, hidden width m, sequence length T) and
#: the step t.
n, m, T = sp.symbols("n m T", positive=True, integer=True)
t = sp.Symbol("t", integer=True)
#: The sizes (T, m, n) at which the unrolled proofs run. Two lengths T, so that no length printed into
#: the sums over time can pass, and two hidden and input widths, so that a transpose missing
#: from a weight's or an input's gradient cannot pass either (at m = n = 1 every matrix is a
#: scalar; the widths appear in no displayed formula but the parameter counts, which are
#: proved for symbolic n and m). Carrying the gradient back through two steps is proved at
#: m = 1, one step with non-commuting matrices at m = 2 (both together cost five times more).
PROOF_SIZES = ((2, 1, 1), (1, 2, 2))
#: The hidden width of the one-step Jacobian proofs (input width 1).
JACOBIAN_WIDTH = 2

# ---------------------------------------------------------------- the vocabulary

#: The sigmoid as the page prints it (the proofs evaluate it with :func:`logistic`).
sigma = sp.Function("sigma")


def logistic(a):
    """The sigmoid written exactly as 1/2 + tanh(a/2)/2, so that SymPy's tanh rule
    differentiates it and nothing about its derivative is assumed."""
    return sp.Rational(1, 2) + sp.tanh(a / 2) / 2


#: How the proofs evaluate each activation the models apply.
APPLIED_FUNCTIONS = {"sigma": logistic, "tanh": sp.tanh}
_LATEX_NAMES = {"sigma": r"\sigma", "tanh": r"\tanh"}


class Apply(ElementwiseApplyFunction):
    """A function applied entrywise to a vector expression, printed as sigma(...), tanh(...)."""

    @property
    def name(self) -> str:
        f = self.function
        return (f.expr.func if isinstance(f, sp.Lambda) else f).__name__

    def _latex(self, printer):
        return rf"{_LATEX_NAMES[self.name]}\left({printer._print(self.expr)}\right)"


class Square(HadamardPower):
    """The entrywise square, printed v^2 (tanh^2(c) for a function)."""

    def __new__(cls, base, exp=2):
        return super().__new__(cls, base, sp.Integer(exp))

    def _latex(self, printer):
        base = self.base
        if isinstance(base, Apply):
            return rf"{_LATEX_NAMES[base.name]}^{{2}}\left({printer._print(base.expr)}\right)"
        return rf"{printer._print(base)}^{{2}}"


def had(*factors):
    """The Hadamard product of the factors, in the order given (nested products flattened)."""
    flat = []
    for f in factors:
        flat.extend(f.args if isinstance(f, HadamardProduct) else [f])
    return HadamardProduct(*flat, evaluate=False)


def add(*terms):
    return sp.MatAdd(*terms, evaluate=False)


def mul(*factors):
    """The matrix product of the factors, kept as written (``*`` would reorder the sums in it)."""
    return sp.MatMul(*factors, evaluate=False)


def neg(v):
    return sp.MatMul(sp.S.NegativeOne, v, evaluate=False)


def one_minus(v):
    return add(sp.OneMatrix(*v.shape), neg(v))


def dsigma(v):
    """sigma' at the pre-activation, written through the gate's value v: v (1 - v)."""
    return had(v, one_minus(v))


def dtanh(v):
    """tanh' at the pre-activation, written through the value v: 1 - v^2."""
    return one_minus(Square(v))


def diag(v):
    return sp.DiagMatrix(v)


# ---------------------------------------------------------------- the models

@dataclass
class Model:
    """A recurrent cell as SymPy matrix expressions.

    ``forward`` and ``backward`` are (lhs, rhs) pairs for one step t, evaluated in order
    (forward for t = 1..T, backward for t = T..1); ``stacking`` gives each stacked matrix of
    the code as a column of per-gate blocks; ``gradients`` the parameter and input
    gradients; ``jacobian`` the one-step Jacobian of the state that carries the direct path,
    as (lhs, direct path, the other paths); ``rest`` that Jacobian at rest and the gate values
    it uses. ``timed`` maps the name of every time-indexed symbol to (quantity, step), the step
    an expression in t; every other symbol is a parameter.
    """

    name: str
    gates: tuple
    forward: list
    stacking: list
    backward: list
    gradients: list
    jacobian: tuple
    rest: tuple
    timed: dict = field(default_factory=dict)
    states: tuple = ()
    width: object = m
    inputs: object = n

    def lhs(self, key: str):
        """The left-hand side of the forward or backward equation of quantity ``key``."""
        return next(l for l, _ in self.forward + self.backward if self.timed[l.name][0] == key)


class _Timed:
    """Time-indexed symbols of one model: ``q("c", t - 1)`` is the symbol c_{t-1}."""

    def __init__(self, formats: dict, rows: dict):
        self.formats, self.rows, self.timed = formats, rows, {}

    def __call__(self, key: str, when):
        when = sp.sympify(when)
        w = sp.latex(when)
        name = self.formats[key].format(w=w)
        self.timed[name] = (key, when)
        return sp.MatrixSymbol(name, self.rows[key], 1)


def _esc(g: str) -> str:
    return g.replace("{", "{{").replace("}", "}}")


def _delta(g):
    return r"\delta^{{" + _esc(g) + r"}}_{{{w}}}"


def _d(of):
    return r"\frac{{\partial L}}{{\partial " + of + r"_{{{w}}}}}"


def lstm_model(m=m, n=n) -> Model:
    """The LSTM in the frameworks' layout (PyTorch's ``nn.LSTM``, with one bias vector)."""
    gates = ("i", "f", r"\tilde{c}", "o")
    act = {"i": sigma, "f": sigma, r"\tilde{c}": sp.tanh, "o": sigma}
    formats = {"x": "x_{{{w}}}", "h": "h_{{{w}}}", "c": "c_{{{w}}}",
               "dl": r"\frac{{\partial \ell_{{{w}}}}}{{\partial h_{{{w}}}}}",
               "dh": _d("h"), "dc": _d("c"), "dx": _d("x"), "delta": r"\delta_{{{w}}}",
               **{g: _esc(g) + "_{{{w}}}" for g in gates}, **{"d" + g: _delta(g) for g in gates}}
    rows = {k: m for k in formats} | {"x": n, "dx": n, "delta": 4 * m}
    q = _Timed(formats, rows)
    Wx = {g: sp.MatrixSymbol(f"W_{{x{g}}}", m, n) for g in gates}
    Wh = {g: sp.MatrixSymbol(f"W_{{h{g}}}", m, m) for g in gates}
    b = {g: sp.MatrixSymbol(f"b_{{{g}}}", m, 1) for g in gates}
    W_ih, W_hh = sp.MatrixSymbol("W_{ih}", 4 * m, n), sp.MatrixSymbol("W_{hh}", 4 * m, m)
    bias = sp.MatrixSymbol("b", 4 * m, 1)
    i, f, ct, o = (q(g, t) for g in gates)
    forward = [(q(g, t), Apply(act[g], add(Wx[g] * q("x", t), Wh[g] * q("h", t - 1), b[g])))
               for g in gates]
    forward += [(q("c", t), add(had(f, q("c", t - 1)), had(i, ct))),
                (q("h", t), had(o, Apply(sp.tanh, q("c", t))))]
    stacking = [(W_ih, sp.BlockMatrix([[Wx[g]] for g in gates])),
                (W_hh, sp.BlockMatrix([[Wh[g]] for g in gates])),
                (bias, sp.BlockMatrix([[b[g]] for g in gates]))]
    dh, dc = q("dh", t), q("dc", t)
    backward = [
        (dh, add(q("dl", t), W_hh.T * q("delta", t + 1))),
        (dc, add(had(dh, o, dtanh(Apply(sp.tanh, q("c", t)))), had(q("dc", t + 1), q("f", t + 1)))),
        (q("di", t), had(dc, ct, dsigma(i))),
        (q("df", t), had(dc, q("c", t - 1), dsigma(f))),
        (q(r"d\tilde{c}", t), had(dc, i, dtanh(ct))),
        (q("do", t), had(dh, Apply(sp.tanh, q("c", t)), dsigma(o))),
        (q("delta", t), sp.BlockMatrix([[q("d" + g, t)] for g in gates])),
    ]
    delta = q("delta", t)
    total = lambda term: sp.Sum(term, (t, 1, T))  # noqa: E731
    gradients = [
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial W_{ih}}", 4 * m, n), total(delta * q("x", t).T)),
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial W_{hh}}", 4 * m, m), total(delta * q("h", t - 1).T)),
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial b}", 4 * m, 1), total(delta)),
        (q("dx", t), W_ih.T * delta),
        (q("dh", 0), W_hh.T * q("delta", 1)),
        (q("dc", 0), had(q("dc", 1), q("f", 1))),
    ]
    # one step: dc_t/dc_{t-1}, with h_{t-1} = o_{t-1} ⊙ tanh(c_{t-1}) (the forward at t-1)
    c_prev, o_prev = q("c", t - 1), q("o", t - 1)
    through_h = add(mul(diag(had(c_prev, dsigma(f))), Wh["f"]), mul(diag(had(ct, dsigma(i))), Wh["i"]),
                    mul(diag(had(i, dtanh(ct))), Wh[r"\tilde{c}"]))
    jacobian = (sp.MatrixSymbol(r"\frac{\partial c_{t}}{\partial c_{t - 1}}", m, m), diag(f),
                mul(through_h, diag(had(o_prev, dtanh(Apply(sp.tanh, c_prev))))))
    # at rest (x = 0, h = 0, c = 0, b_c~ = 0): the gates at the sigmoids of their biases
    rest_gates = {g: Apply(sigma, b[g]) for g in ("i", "f", "o")}
    rest = (add(diag(f), mul(diag(i), Wh[r"\tilde{c}"], diag(o_prev))),
            {i: rest_gates["i"], f: rest_gates["f"], o_prev: rest_gates["o"]})
    return Model("LSTM", gates, forward, stacking, backward, gradients, jacobian, rest, q.timed,
                 ("h", "c"), m, n)


def gru_model(m=m, n=n) -> Model:
    """The GRU in the frameworks' layout (PyTorch's ``nn.GRU``: the reset gate multiplies
    W_hh~ h_{t-1} + b_hh~, after the product)."""
    gates = ("r", "u", r"\tilde{h}")
    formats = {"x": "x_{{{w}}}", "h": "h_{{{w}}}",
               "dl": r"\frac{{\partial \ell_{{{w}}}}}{{\partial h_{{{w}}}}}",
               "dh": _d("h"), "dx": _d("x"), "delta_ih": r"\delta^{{ih}}_{{{w}}}",
               "delta_hh": r"\delta^{{hh}}_{{{w}}}",
               **{g: _esc(g) + "_{{{w}}}" for g in gates}, **{"d" + g: _delta(g) for g in gates}}
    rows = {k: m for k in formats} | {"x": n, "dx": n, "delta_ih": 3 * m, "delta_hh": 3 * m}
    q = _Timed(formats, rows)
    Wx = {g: sp.MatrixSymbol(f"W_{{x{g}}}", m, n) for g in gates}
    Wh = {g: sp.MatrixSymbol(f"W_{{h{g}}}", m, m) for g in gates}
    bx = {g: sp.MatrixSymbol(f"b_{{x{g}}}", m, 1) for g in gates}
    bh = {g: sp.MatrixSymbol(f"b_{{h{g}}}", m, 1) for g in gates}
    W_ih, W_hh = sp.MatrixSymbol("W_{ih}", 3 * m, n), sp.MatrixSymbol("W_{hh}", 3 * m, m)
    b_ih, b_hh = sp.MatrixSymbol("b_{ih}", 3 * m, 1), sp.MatrixSymbol("b_{hh}", 3 * m, 1)
    x, h_prev = q("x", t), q("h", t - 1)
    r, u, ht = (q(g, t) for g in gates)
    cand = r"\tilde{h}"
    recurrent_cand = add(Wh[cand] * h_prev, bh[cand])       # what the reset gate multiplies
    forward = [(r, Apply(sigma, add(Wx["r"] * x, bx["r"], Wh["r"] * h_prev, bh["r"]))),
               (u, Apply(sigma, add(Wx["u"] * x, bx["u"], Wh["u"] * h_prev, bh["u"]))),
               (ht, Apply(sp.tanh, add(Wx[cand] * x, bx[cand], had(r, recurrent_cand)))),
               (q("h", t), add(had(one_minus(u), ht), had(u, h_prev)))]
    stacking = [(W_ih, sp.BlockMatrix([[Wx[g]] for g in gates])),
                (W_hh, sp.BlockMatrix([[Wh[g]] for g in gates])),
                (b_ih, sp.BlockMatrix([[bx[g]] for g in gates])),
                (b_hh, sp.BlockMatrix([[bh[g]] for g in gates]))]
    dh = q("dh", t)
    d_r, d_u, d_ht = q("dr", t), q("du", t), q(r"d\tilde{h}", t)
    backward = [
        (dh, add(q("dl", t), had(q("u", t + 1), q("dh", t + 1)), W_hh.T * q("delta_hh", t + 1))),
        (d_ht, had(dh, one_minus(u), dtanh(ht))),
        (d_u, had(dh, add(h_prev, neg(ht)), dsigma(u))),
        (d_r, had(d_ht, recurrent_cand, dsigma(r))),
        (q("delta_ih", t), sp.BlockMatrix([[d_r], [d_u], [d_ht]])),
        (q("delta_hh", t), sp.BlockMatrix([[d_r], [d_u], [had(r, d_ht)]])),
    ]
    total = lambda term: sp.Sum(term, (t, 1, T))  # noqa: E731
    d_ih, d_hh = q("delta_ih", t), q("delta_hh", t)
    gradients = [
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial W_{ih}}", 3 * m, n), total(d_ih * x.T)),
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial W_{hh}}", 3 * m, m), total(d_hh * h_prev.T)),
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial b_{ih}}", 3 * m, 1), total(d_ih)),
        (sp.MatrixSymbol(r"\frac{\partial L}{\partial b_{hh}}", 3 * m, 1), total(d_hh)),
        (q("dx", t), W_ih.T * d_ih),
        (q("dh", 0), add(had(q("u", 1), q("dh", 1)), W_hh.T * q("delta_hh", 1))),
    ]
    through_gates = add(mul(diag(had(add(h_prev, neg(ht)), dsigma(u))), Wh["u"]),
                        mul(diag(had(one_minus(u), dtanh(ht))),
                            add(mul(diag(r), Wh[cand]), mul(diag(had(recurrent_cand, dsigma(r))), Wh["r"]))))
    jacobian = (sp.MatrixSymbol(r"\frac{\partial h_{t}}{\partial h_{t - 1}}", m, m), diag(u), through_gates)
    # at rest (x = 0, h = 0, b_xh~ = b_hh~ = 0): r and u at the sigmoids of their two biases
    rest = (add(diag(u), mul(diag(had(one_minus(u), r)), Wh[cand])),
            {r: Apply(sigma, add(bx["r"], bh["r"])), u: Apply(sigma, add(bx["u"], bh["u"]))})
    return Model("GRU", gates, forward, stacking, backward, gradients, jacobian, rest, q.timed, ("h",), m, n)


# ---------------------------------------------------------------- evaluation

class Env:
    """Values of a model's symbols, parameters by name and time-indexed quantities by step."""

    def __init__(self, model: Model, params: dict, steps: int):
        self.model, self.params, self.steps = model, dict(params), steps
        self.seq: dict[str, dict[int, sp.Matrix]] = {}

    def set(self, sym, s: int, value):
        key, when = self.model.timed[sym.name]
        self.seq.setdefault(key, {})[int(when.subs(t, s))] = value

    def value(self, sym, s: int):
        if sym.name in self.params:
            return self.params[sym.name]
        key, when = self.model.timed[sym.name]
        k = int(when.subs(t, s))
        if k in self.seq.get(key, {}):
            return self.seq[key][k]
        if k > self.steps:                       # nothing arrives from after the last step
            return sp.zeros(*sym.shape)
        raise KeyError(f"{self.model.name}: no value of {sym.name} at step {s}")


def evaluate(expr, env: Env, s: int = 0):
    """``expr`` (one of a model's matrix expressions) on the explicit values of ``env`` at step
    ``s``: every operation the page prints, carried out entry by entry."""
    if isinstance(expr, sp.MatrixSymbol):
        return env.value(expr, s)
    if isinstance(expr, Square):
        return evaluate(expr.base, env, s).applyfunc(lambda v: v**2)
    if isinstance(expr, Apply):
        return evaluate(expr.expr, env, s).applyfunc(APPLIED_FUNCTIONS[expr.name])
    if isinstance(expr, HadamardProduct):
        out = evaluate(expr.args[0], env, s)
        for a in expr.args[1:]:
            out = out.multiply_elementwise(evaluate(a, env, s))
        return out
    if isinstance(expr, sp.MatAdd):
        parts = [evaluate(a, env, s) for a in expr.args]
        out = parts[0]
        for p in parts[1:]:
            out = out + p
        return out
    if isinstance(expr, sp.MatMul):
        out = sp.Integer(1)
        for a in expr.args:
            out = out * evaluate(a, env, s)
        return out
    if isinstance(expr, sp.Transpose):
        return evaluate(expr.arg, env, s).T
    if isinstance(expr, sp.DiagMatrix):
        return sp.diag(*evaluate(expr.args[0], env, s))
    if isinstance(expr, sp.BlockMatrix):
        b = expr.blocks
        return sp.Matrix.vstack(*[sp.Matrix.hstack(*[evaluate(b[i, j], env, s) for j in range(b.cols)])
                                  for i in range(b.rows)])
    if isinstance(expr, sp.OneMatrix):
        return sp.ones(*expr.shape)
    if isinstance(expr, sp.ZeroMatrix):
        return sp.zeros(*expr.shape)
    if isinstance(expr, sp.Sum):
        term, (_, lo, hi) = expr.function, expr.limits[0]   # summed over the step t
        lo, hi = (int(v.subs(T, env.steps)) for v in (lo, hi))
        out = None
        for k in range(lo, hi + 1):
            v = evaluate(term, env, k)
            out = v if out is None else out + v
        return out
    if expr.is_number:
        return expr
    raise TypeError(f"evaluate: cannot evaluate a {type(expr).__name__}")


def blocks_of(stack: sp.BlockMatrix, value) -> dict:
    """The per-gate blocks of a stacked matrix ``value`` (SymPy or NumPy), by name, in the
    order the displayed stacking gives."""
    out, row = {}, 0
    for k in range(stack.blocks.rows):
        block = stack.blocks[k, 0]
        rows = block.shape[0]
        out[block.name] = value[row:row + rows, :]
        row += rows
    return out


def _params(model: Model, stacked: dict) -> dict:
    """Parameter values by name: the stacked matrices and their per-gate blocks."""
    out = dict(stacked)
    for sym, stack in model.stacking:
        out.update(blocks_of(stack, stacked[sym.name]))
    return out


def run_forward(model: Model, env: Env, xs: list, states: dict):
    """Evaluate the forward equations for t = 1..len(xs) from the initial ``states``."""
    for key, v in states.items():
        env.seq.setdefault(key, {})[0] = v
    env.seq["x"] = {k + 1: x for k, x in enumerate(xs)}
    for s in range(1, len(xs) + 1):
        for lhs, rhs in model.forward:
            env.set(lhs, s, evaluate(rhs, env, s))


def run_backward(model: Model, env: Env, dls: list):
    """Evaluate the backward recursion for t = T..1, with dl_t/dh_t = ``dls[t-1]``."""
    env.seq["dl"] = {k + 1: e for k, e in enumerate(dls)}
    for s in range(len(dls), 0, -1):
        for lhs, rhs in model.backward:
            env.set(lhs, s, evaluate(rhs, env, s))


# ---------------------------------------------------------------- the proofs

def _stacked_symbols(model: Model, prefix: str = "") -> dict:
    """Explicit matrices of symbols for the stacked parameters (the code's arguments)."""
    letters = iter("uwbd")
    return {sym.name: matrix(prefix + next(letters), *sym.shape) for sym, _ in model.stacking}


@lru_cache(maxsize=None)
def derivations(model_name: str, steps: int, width: int, inputs: int):
    """(SymPy's derivatives of the unrolled loss, the displayed recursion's gradients), each
    {gradient name: matrix}, for the model unrolled over ``steps`` steps of hidden width
    ``width`` and input width ``inputs``, every weight, bias, input, initial state and
    dl_t/dh_t a symbol."""
    model = (lstm_model if model_name == "LSTM" else gru_model)(width, inputs)
    return unrolled_gradients(model, steps), recursion_gradients(model, steps)


def _unrolled(model: Model, steps: int):
    """The forward equations evaluated over ``steps`` steps on explicit symbols: (env, the
    stacked parameters, the inputs, the initial states, the symbols dl_t/dh_t)."""
    stacked = _stacked_symbols(model)
    env = Env(model, _params(model, stacked), steps)
    xs = [vector(f"x{s}", model.inputs) for s in range(1, steps + 1)]
    states = {key: vector(f"{key}0", model.width) for key in model.states}
    dls = [vector(f"e{s}", model.width) for s in range(1, steps + 1)]
    run_forward(model, env, xs, states)
    return env, stacked, xs, states, dls


def unrolled_gradients(model: Model, steps: int) -> dict:
    """SymPy's derivatives of L = sum_t e_t^T h_t, the forward equations unrolled, with respect
    to the stacked parameters, the initial states (h_0, c_0) and the inputs (x_t, one column
    per step)."""
    env, stacked, xs, states, dls = _unrolled(model, steps)
    L = sum((e.T * env.seq["h"][s])[0, 0] for s, e in enumerate(dls, start=1))
    grad = lambda v: v.applyfunc(lambda e: sp.diff(L, e))  # noqa: E731
    out = {name: grad(v) for name, v in stacked.items()}
    out |= {f"{key}_0": grad(v) for key, v in states.items()}
    out["x_t"] = sp.Matrix.hstack(*map(grad, xs))
    return out


def recursion_gradients(model: Model, steps: int) -> dict:
    """The same gradients from the displayed backward recursion and gradient formulas,
    evaluated on the same symbols."""
    env, _, _, _, dls = _unrolled(model, steps)
    run_backward(model, env, dls)
    out = {}
    for lhs, rhs in model.gradients:
        if lhs.name in model.timed:
            key, when = model.timed[lhs.name]
            if when.has(t):                     # one gradient per step: dL/dx_t
                out["x_t"] = sp.Matrix.hstack(*[evaluate(rhs, env, s) for s in range(1, steps + 1)])
            else:                               # dL/dh_0, dL/dc_0
                out[f"{key[1:]}_{int(when)}"] = evaluate(rhs, env)
        else:                                   # \frac{\partial L}{\partial W_{ih}} -> W_{ih}
            out[lhs.name[len(r"\frac{\partial L}{\partial "):-1]] = evaluate(rhs, env)
    return out


def _plain(name: str) -> str:
    """A parameter's LaTeX name in plain text, for check names: W_{ih} -> W_ih."""
    return name.replace("{", "").replace("}", "")


def one_step_jacobian(model: Model):
    """(SymPy's Jacobian of the state that carries the direct path, the displayed direct
    path, the displayed other paths), on explicit symbols at hidden width JACOBIAN_WIDTH,
    input width 1. For the LSTM, h_{t-1} is the forward's h at step t-1 from a free c_{t-1}
    and o_{t-1}."""
    stacked = _stacked_symbols(model)
    env = Env(model, _params(model, stacked), 1)
    mw = model.width
    env.seq["x"] = {1: vector("x", 1)}
    if model.name == "LSTM":
        c_prev, o_prev = vector("q", mw), vector("o", mw)
        env.seq["c"], env.seq["o"] = {0: c_prev}, {0: o_prev}
        env.set(model.lhs("h"), 0, evaluate(dict(model.forward)[model.lhs("h")], env, 0))
        state = c_prev
    else:
        state = vector("s", mw)
        env.seq["h"] = {0: state}
    for lhs, rhs in model.forward:
        env.set(lhs, 1, evaluate(rhs, env, 1))
    key = "c" if model.name == "LSTM" else "h"
    derived = env.seq[key][1].jacobian(state)
    _, direct, others = model.jacobian
    return derived, evaluate(direct, env, 1), evaluate(others, env, 1), env, stacked


@lru_cache(maxsize=None)
def jacobians(model_name: str):
    """:func:`one_step_jacobian` of the model at hidden width JACOBIAN_WIDTH, input width 1
    (kept per process: the proofs and the checks share it)."""
    return one_step_jacobian((lstm_model if model_name == "LSTM" else gru_model)(JACOBIAN_WIDTH, 1))


def rest_jacobian(model: Model, jacobian=None):
    """(SymPy's one-step Jacobian at rest, the displayed rest Jacobian): zero input and
    state, zero candidate biases, the gates at the sigmoids of their biases (for the LSTM,
    o_{t-1} too: the previous step was at rest). ``jacobian`` is the model's
    :func:`one_step_jacobian`, if already computed."""
    derived, _, _, env, stacked = jacobian or one_step_jacobian(model)
    formula, gate_values = model.rest
    at_rest = {s: 0 for s in env.seq["x"][1]}
    for sym, stack in model.stacking:
        if sym.name.startswith("b"):            # the candidate's bias block
            for name, block in blocks_of(stack, stacked[sym.name]).items():
                if r"\tilde" in name:
                    at_rest.update({s: 0 for s in block})
    at_rest.update({s: 0 for s in env.seq[model.states[-1]][0]})
    rest_env = Env(model, env.params, 1)
    for sym, value in gate_values.items():
        rest_env.set(sym, 1, evaluate(value, env, 1))
    if model.name == "LSTM":
        o_prev = next(sym for sym in gate_values if model.timed[sym.name][1] == t - 1)
        at_rest.update(dict(zip(env.seq["o"][0], rest_env.value(o_prev, 1))))
    return derived.xreplace(at_rest), evaluate(formula, rest_env, 1).xreplace(at_rest)


def parameter_count(model: Model):
    """The number of parameters, from the shapes of the stacked matrices (a polynomial in
    the model's widths when they are symbols)."""
    return sp.expand(sum(sym.shape[0] * sym.shape[1] for sym, _ in model.stacking))


#: The displayed parameter counts as functions of the widths, their plain-text form for the
#: checks' names, and the limit of their ratio as the hidden width grows.
PARAMETER_COUNTS = {"LSTM": 4 * m * (n + m + 1), "GRU": 3 * m * (n + m + 2)}
PARAMETER_COUNT_NAMES = {"LSTM": "4m(n + m + 1)", "GRU": "3m(n + m + 2)"}
PARAMETER_RATIO_LIMIT = sp.Rational(3, 4)


@lru_cache(maxsize=1)
def proofs() -> tuple[verify.Check, ...]:
    """The symbolic checks (they do not depend on a seed, so kept per process)."""
    ident = lambda name, a, b: verify.symbolic_identity(TOPIC, name, a, b)  # noqa: E731
    a = sp.Symbol("a", real=True)
    out = [ident("sigma(a) = 1/2 + tanh(a/2)/2 equals 1/(1 + e^-a)", logistic(a).rewrite(sp.exp),
                 1 / (1 + sp.exp(-a)))]
    for steps, width, inputs in PROOF_SIZES:
        dims = f"T = {steps}, m = {width}, n = {inputs}"
        for name in ("LSTM", "GRU"):
            derived, closed = derivations(name, steps, width, inputs)
            for k in derived:
                out.append(ident(f"{name} backward: dL/d{_plain(k)} from the recursion, {dims}",
                                 derived[k], closed[k]))
    for model, lhs in ((lstm_model(JACOBIAN_WIDTH, 1), "dc_t/dc_t-1 = diag(f_t) + the paths through h_t-1"),
                       (gru_model(JACOBIAN_WIDTH, 1), "dh_t/dh_t-1 = diag(u_t) + the paths through the gates")):
        derived, direct, others, *_ = jacobians(model.name)
        out.append(ident(f"{model.name} {lhs}, m = {JACOBIAN_WIDTH}", derived, direct + others))
        derived, formula = rest_jacobian(model, jacobians(model.name))
        out.append(ident(f"{model.name} {lhs.split(' =')[0]} at rest, m = {JACOBIAN_WIDTH}", derived, formula))
    for steps in (lstm_hand_steps(), gru_hand_steps()):
        for step in steps.values():
            for claim in step.claims:
                out += claim.checks(TOPIC)
    for claim in activation_claims():
        out += claim.checks(TOPIC)
    out += weight_checks() + weight_checks("GRU") + _pitfall_checks()
    for build in (lstm_model, gru_model):
        for _, claim in induction_claims(build()):
            out += [replace(claim.prove(TOPIC), method="induction"), *claim.instance_checks(TOPIC)]
    for name, build in (("LSTM", lstm_model), ("GRU", gru_model)):
        out.append(ident(f"{name} parameter count {PARAMETER_COUNT_NAMES[name]}, any n and m",
                         parameter_count(build()), PARAMETER_COUNTS[name]))
    out.append(ident(f"GRU/LSTM parameter ratio tends to {PARAMETER_RATIO_LIMIT} as m grows, any n",
                     sp.limit(parameter_count(gru_model()) / parameter_count(lstm_model()), m, sp.oo),
                     PARAMETER_RATIO_LIMIT))
    return tuple(out)


# ---------------------------------------------------------------- every T: induction over the length
#: The explicit size at which the proofs are instantiated: m for those at the gates, (n, m) for the
#: pre-activations' part of dL/dx_1 and dL/dh_0 (one size each, and the blocks' terms, one product
#: each, not at all: time; the unrolled proofs at PROOF_SIZES are the second witness).
INDUCTION_INSTANCES = {"m": ((2,),), "n, m": ((1, 2),)}
_a = sp.Dummy("a", real=True)


def _concrete(expr):
    """``expr`` with each activation as the proofs evaluate it (sigma as 1/2 + tanh(a/2)/2)."""
    return expr.replace(lambda e: isinstance(e, Apply),
                        lambda e: ElementwiseApplyFunction(sp.Lambda(_a, APPLIED_FUNCTIONS[e.name](_a)), e.expr))


def _collapse_blocks(expr):
    """Products of block matrices multiplied out block by block (W_hh^T delta = sum_g W_hg^T delta^g);
    products with a zero matrix dropped."""
    expr = expr.replace(lambda e: isinstance(e, sp.MatMul) and e.has(sp.BlockMatrix), sp.block_collapse)
    zero = lambda e: isinstance(e, sp.ZeroMatrix)  # noqa: E731
    expr = expr.replace(lambda e: isinstance(e, sp.MatMul) and any(map(zero, e.args)),
                        lambda e: sp.ZeroMatrix(*e.shape))
    return expr.replace(lambda e: isinstance(e, sp.MatAdd) and any(map(zero, e.args)),
                        lambda e: (sp.MatAdd(*[a for a in e.args if not zero(a)], evaluate=False)
                                   if any(not zero(a) for a in e.args) else sp.ZeroMatrix(*e.shape)))


def _at(model: Model, expr, steps: dict):
    """``expr`` with each time-indexed symbol replaced by its value in ``steps`` {offset: {key:
    value}}: offset -1, 0, 1 for steps t - 1, t, t + 1 (in a gradient formula, steps 0 and 1)."""
    rep = {}
    for s in expr.atoms(sp.MatrixSymbol):
        if s.name in model.timed:
            key, when = model.timed[s.name]
            offset = int(when - t) if when.has(t) else int(when) - 1
            if key in steps.get(offset, {}):
                rep[s] = steps[offset][key]
    return _collapse_blocks(expr.xreplace(rep))


def _stacked_blocks(model: Model) -> dict:
    """Stacked matrix -> its per-gate blocks, in the displayed order."""
    return {sym: [stack.blocks[k, 0] for k in range(stack.blocks.rows)] for sym, stack in model.stacking}


def _delta_of(model: Model) -> dict:
    """Stacked bias -> the key of the delta its gradient sums (dL/db = sum_t delta_t)."""
    stacks = dict(model.stacking)
    out = {}
    for lhs, rhs in model.gradients:
        if isinstance(rhs, sp.Sum) and isinstance(rhs.function, sp.MatrixSymbol):
            bias = next(s for s in stacks if lhs.name.endswith(f"{{\\partial {s.name}}}"))
            out[bias] = model.timed[rhs.function.name][0]
    return out


def _first_term(total):
    """The term of step 1 in a sum over t = lo..T: the summand at t = 1, or zero when lo > 1."""
    summand, (_, lo, _) = total.function, total.limits[0]
    return summand.xreplace({t: 1}) if lo <= 1 else sp.ZeroMatrix(*summand.shape)


def induction_claims(model: Model) -> list[tuple[str, GradientClaim]]:
    """The base (T = 1) and the step (T -> T + 1) of the induction over the length for the
    model's backward recursion, as claims at symbolic m (and n), each (kind, claim).

    The step adds a step in front, as for the RNN (docs/bptt.md): by the hypothesis the T later
    steps send back to their initial states the model's own dL/dh_0 (and dL/dc_0) formulas one
    step later, built of free vectors (delta_2, dL/dc_2, f_2, ...) and W_hh held fixed (blocks
    V). The first step is split at its pre-activations (the chain rule joins the parts): (1) at
    the gates, the pre-activations free (the weight blocks zero and each bias block renamed
    a_g, so that a pre-activation is its own variable), the recursion's deltas are the
    gradients of Phi = (dl_1 + G_h)^T h_1 (+ G_c^T c_1) with respect to them, and the initial
    states' formulas, at zero weights, the gradients with respect to the states; (2) the
    vector-Jacobian products of the pre-activations' definitions with free deltas are the
    gradient formulas' terms of step 1. The base is (1) with nothing from later steps."""
    mw = model.width
    blocks = _stacked_blocks(model)
    weights = [b for sym, bs in blocks.items() if sym.name.startswith("W") for b in bs]
    W_hh = next(sym for sym in blocks if sym.name == "W_{hh}")
    pre = {b: sp.MatrixSymbol("a" + b.name[1:], mw, 1) for sym, bs in blocks.items() if sym.name.startswith("b")
           for b in bs}
    at_rest = {w: sp.ZeroMatrix(*w.shape) for w in weights} | pre   # a pre-activation is its own variable
    held = sp.BlockMatrix([[sp.MatrixSymbol(w.name.replace("W", "V", 1), mw, mw)] for w in blocks[W_hh]])

    def later_values(zero: bool) -> dict:
        """The quantities of step t + 1 the recursion reads: free vectors, or zero (the base)."""
        out = {}
        for lhs, rhs in model.backward:
            for s in rhs.atoms(sp.MatrixSymbol):
                if s.name in model.timed and model.timed[s.name][1] == t + 1:
                    key = model.timed[s.name][0]
                    rows = s.shape[0] // mw
                    vec = lambda k: (sp.ZeroMatrix(mw, 1) if zero  # noqa: E731
                                     else sp.MatrixSymbol(f"{key}^{{later}}_{{{k}}}", mw, 1))
                    out[key] = vec(0) if rows == 1 else sp.BlockMatrix([[vec(k)] for k in range(rows)])
        return out

    initial = {k: sp.MatrixSymbol(f"{k}_0", mw, 1) for k in model.states}
    state_grads = {model.timed[lhs.name][0][1:]: rhs for lhs, rhs in model.gradients
                   if lhs.name in model.timed and model.timed[lhs.name][1] == 0}
    stacked = {sym: sp.BlockMatrix([[b] for b in bs]) for sym, bs in blocks.items()}
    dl, y = sp.MatrixSymbol(r"\frac{\partial \ell_1}{\partial h_1}", mw, 1), sp.MatrixSymbol("Y", mw, 1)
    out, now = [], {}
    for kind in ("base", "step"):
        later = later_values(kind == "base")
        now = {"x": sp.MatrixSymbol("x_1", model.inputs, 1), "dl": dl}
        steps = {-1: initial, 0: now, 1: later}
        for lhs, rhs in model.forward:
            now[model.timed[lhs.name][0]] = _concrete(_at(model, rhs.xreplace(at_rest), steps))
        dh = _at(model, dict(model.backward)[model.lhs("dh")].xreplace({W_hh: held}), steps)
        # what reaches h_1: its own loss's gradient, and (step) the hypothesis's dL/dh_0 one step later
        want = dl if kind == "base" else sp.MatAdd(dl, _at(model, state_grads["h"].xreplace({W_hh: held}), {0: later}))
        name = (f"{model.name} induction, base T = 1: the recursion's dL/dh_1 is dl_1/dh_1" if kind == "base" else
                f"{model.name} induction, step T -> T + 1: the recursion's dL/dh_1 is dl_1/dh_1 + the hypothesis's "
                "dL/dh_0 one step later")
        out.append((kind, GradientClaim(name, inner(dh, y), y, want, (mw,),
                                        INDUCTION_INSTANCES["m"] if kind == "step" else ())))
    # (1) at the gates: dL/dh_1 = g (free: its value is proved above), dL/dc_1's carry from step 2
    # free vectors (zero in the base: the proofs hold for every value of them)
    g = sp.MatrixSymbol("g_1", mw, 1)
    now["dh"] = g
    for lhs, rhs in model.backward:
        key = model.timed[lhs.name][0]
        if key != "dh":
            now[key] = _concrete(_at(model, rhs.xreplace(at_rest), steps))
    phi = inner(g, now["h"])
    for key, rhs in state_grads.items():
        if key != "h":          # the cell state's carry: the hypothesis's dL/dc_0 one step later
            phi += inner(_at(model, rhs, {0: later}), now[key])
    label = f"{model.name} induction, base and step: "
    for bias, key in _delta_of(model).items():
        for k, b in enumerate(blocks[bias]):
            out.append(("base and step", GradientClaim(f"{label}dL/d{_plain(pre[b].name)} = block {k + 1} of the "
                                                       f"recursion's {key}_1", phi, pre[b], now[key].blocks[k, 0],
                                                       (mw,), INDUCTION_INSTANCES["m"])))
    for key, rhs in state_grads.items():
        claim = _concrete(_at(model, rhs.xreplace(stacked).xreplace(at_rest), {0: now}))
        out.append(("base and step", GradientClaim(f"{label}dL/d{key}_0 at fixed pre-activations = the d{key}_0 "
                                                   "formula at zero weights", phi, initial[key], claim, (mw,),
                                                   INDUCTION_INSTANCES["m"])))
    # (2) the pre-activations' definitions, stack by stack: block k is the sum of W_k v (v = x_1 or
    # h_0, for each weight stack whose gradient sums delta v^T) and b_k
    x, h0 = now["x"], initial["h"]
    deltas = _delta_of(model)
    free = {key: [sp.MatrixSymbol(f"Delta^{{{key}}}_{{{k}}}", mw, 1) for k in range(len(blocks[b]))]
            for b, key in deltas.items()}
    inputs = {-1: {"h": h0}, 0: {"x": x}}
    terms = {key: [[b_k] for b_k in blocks[b]] for b, key in deltas.items()}
    weight_terms = []
    for lhs, rhs in model.gradients:
        if isinstance(rhs, sp.Sum) and not isinstance(rhs.function, sp.MatrixSymbol):     # sum_t delta_t v^T
            weight = next(s for s in blocks if lhs.name.endswith(f"{{\\partial {s.name}}}"))
            delta, v = rhs.function.args
            key, value = model.timed[delta.name][0], _at(model, v.T, inputs)
            for k, w in enumerate(blocks[weight]):
                terms[key][k].append(w * value)
            weight_terms.append((weight, delta, rhs))
    lin = sum((inner(free[key][k], sp.MatAdd(*ts)) for key, rows in terms.items() for k, ts in enumerate(rows)),
              sp.Integer(0))
    label = f"{model.name} induction, base and step: the pre-activations' VJP gives "
    both = INDUCTION_INSTANCES["n, m"]
    sizes = (model.inputs, mw)
    for weight, delta, rhs in weight_terms:
        for k, w in enumerate(blocks[weight]):
            claim = _at(model, _first_term(rhs).xreplace({_at_step(delta, 1): free[model.timed[delta.name][0]][k]}),
                        inputs | {0: {"x": x}})
            out.append(("base and step", GradientClaim(f"{label}block {k + 1} of the step-1 term of "
                                                       f"dL/d{_plain(weight.name)}", lin, w, claim, sizes)))
    for b, key in deltas.items():
        for k, b_k in enumerate(blocks[b]):
            out.append(("base and step", GradientClaim(f"{label}block {k + 1} of the step-1 term of dL/d{_plain(b.name)}",
                                                       lin, b_k, free[key][k], sizes)))
    as_blocks = {key: sp.BlockMatrix([[f] for f in fs]) for key, fs in free.items()}
    for lhs, rhs in model.gradients:
        if lhs.name in model.timed and model.timed[lhs.name][0] in ("dx", "dh"):
            key, when = model.timed[lhs.name]
            others = {s: sp.ZeroMatrix(*s.shape) for s in rhs.atoms(sp.MatrixSymbol)
                      if s.name in model.timed and model.timed[s.name][0] not in free}   # the direct path: (1)
            claim = _at(model, rhs.xreplace(stacked | others), {0: as_blocks, 1: as_blocks})
            X = x if key == "dx" else h0
            out.append(("base and step", GradientClaim(f"{label}the pre-activation part of dL/d{_plain(X.name)}",
                                                       lin, X, claim, sizes, both)))
    return out


def _at_step(sym, step):
    """The symbol of ``sym``'s quantity at step ``step`` (an integer), as the gradient formulas name it."""
    return sym.xreplace({t: step}) if sym.has(t) else sym


# ---------------------------------------------------------------- the LSTM backward pass by hand

@dataclass(frozen=True)
class HandStep:
    """One step of the hand derivation as the page shows it: ``lhs = rows[0] = rows[1] = ...``
    (SymPy objects, kept unevaluated), and the claims (index notation, symbolic size) that
    prove its equalities."""

    lhs: object
    rows: tuple
    claims: tuple


def _sym(name: str, rows=m, cols=1):
    return sp.MatrixSymbol(name, rows, cols)


def _jacobian(of: str, by: str, rows=m, cols=m):
    """A Jacobian as the page names it (display only: the claims prove what it multiplies)."""
    return _sym(rf"\left(\frac{{\partial {of}}}{{\partial {by}}}\right)", rows, cols)


def _hand_symbols(model: Model) -> dict:
    """The model's symbols by name, and the few of steps t + 1 the hand steps add."""
    out = {s.name: s for lhs, rhs in model.forward + model.backward for e in (lhs, rhs)
           for s in e.atoms(sp.MatrixSymbol)}
    out |= {sym.name: sym for sym, _ in model.stacking}
    out |= {name: _sym(name, model.width) for g in model.gates
            for name in (f"{g}_{{t + 1}}", rf"\delta^{{{g}}}_{{t + 1}}")}
    out["x_{t + 1}"] = _sym("x_{t + 1}", model.inputs)
    return out


#: Plain-text names of the hand steps' quantities, for the checks' names.
_PLAIN = {"i": "i", "f": "f", "o": "o", r"\tilde{c}": "c̃", "r": "r", "u": "u", r"\tilde{h}": "h̃"}


def _proved(expr):
    """``expr`` as the claims read it: each activation as the proofs evaluate it."""
    return _concrete(expr)


def lstm_hand_steps(model: Model | None = None) -> dict[str, HandStep]:
    """The LSTM backward recursion derived step by step, as the page shows it: dL/dh_t (h_t's
    two uses add), dL/dc_t (the cell path), the gradients of the gate values, the deltas at the
    pre-activations. Each claim's scalar is Phi = sum over a quantity's uses u of
    (dL/du)^T u(quantity): its gradient is dL/d(quantity) by the chain rule, with the later
    gradients free vectors (so the claim holds for every loss)."""
    L_ = model or lstm_model()
    fw, bw = dict(L_.forward), dict(L_.backward)
    S = _hand_symbols(L_)
    mw, nw = L_.width, L_.inputs
    sizes = (mw,) if not isinstance(mw, sp.Symbol) else (m,)
    h, c, c_prev = L_.lhs("h"), L_.lhs("c"), S["c_{t - 1}"]
    i, f, ct, o = (L_.lhs(g) for g in L_.gates)
    dh, dc = L_.lhs("dh"), L_.lhs("dc")
    dl, delta_next = S[r"\frac{\partial \ell_{t}}{\partial h_{t}}"], S[r"\delta_{t + 1}"]
    dc_next, f_next = S[r"\frac{\partial L}{\partial c_{t + 1}}"], S["f_{t + 1}"]
    W_ih, W_hh, b = S["W_{ih}"], S["W_{hh}"], S["b"]
    G = _sym("g", mw)                                   # an upstream gradient, any value
    tanh_c = Apply(sp.tanh, c)
    # the uses of h_t: l_t and the pre-activations of step t + 1; of c_t: h_t and c_{t+1}
    a_next = add(mul(W_ih, S["x_{t + 1}"]), mul(W_hh, h), b)
    c_next = add(had(f_next, c), had(S["i_{t + 1}"], S[r"\tilde{c}_{t + 1}"]))
    both = (nw, mw) if isinstance(nw, sp.Symbol) else sizes
    out = {}
    J_a = _jacobian("a_{t + 1}", "h_{t}", 4 * mw, mw)
    out["h"] = HandStep(dh, (add(dl, mul(J_a.T, delta_next)), bw[dh]), (
        GradientClaim("LSTM by hand, dL/dh_t: the gradients of h_t's two uses, l_t and a_t+1, add",
                      inner(dl, h) + inner(delta_next, a_next), h, bw[dh], both, ((1, 2),)),
        vjp_claim("LSTM by hand, dL/dh_t: (da_t+1/dh_t)^T delta_t+1 = W_hh^T delta_t+1",
                  a_next, h, delta_next, mul(W_hh.T, delta_next), both, ((1, 2),))))
    dtanh_c = dtanh(tanh_c)
    diagonal = add(mul(diag(had(o, dtanh_c)), dh), mul(diag(f_next), dc_next))
    out["c"] = HandStep(dc, (add(mul(_jacobian("h_{t}", "c_{t}").T, dh), mul(_jacobian("c_{t + 1}", "c_{t}").T, dc_next)),
                             diagonal, bw[dc]), (
        GradientClaim("LSTM by hand, dL/dc_t: the gradients of c_t's two uses, h_t and c_t+1, add",
                      inner(dh, _proved(fw[h])) + inner(dc_next, c_next), c, _proved(bw[dc]), sizes, ((2,),)),
        vjp_claim("LSTM by hand, dL/dc_t: (dh_t/dc_t)^T g = diag(o_t ⊙ (1 - tanh^2(c_t))) g",
                  _proved(fw[h]), c, G, _proved(mul(diag(had(o, dtanh_c)), G)), sizes),
        vjp_claim("LSTM by hand, dL/dc_t: (dc_t+1/dc_t)^T g = diag(f_t+1) g",
                  c_next, c, G, mul(diag(f_next), G), sizes),
        IdentityClaim("LSTM by hand, dL/dc_t: the diagonal Jacobians' products are the ⊙ products of the recursion",
                      _proved(diagonal), _proved(bw[dc]), sizes, ((2,),))))
    # the gate values: c_t = f ⊙ c_t-1 + i ⊙ c~ and h_t = o ⊙ tanh(c_t); each factor of a ⊙
    # product receives the other factor times the gradient of the product
    uses = {"i": (fw[c], dc, ct, "dL/dc_t ⊙ c̃_t"), "f": (fw[c], dc, c_prev, "dL/dc_t ⊙ c_t-1"),
            r"\tilde{c}": (fw[c], dc, i, "dL/dc_t ⊙ i_t"), "o": (fw[h], dh, tanh_c, "dL/dh_t ⊙ tanh(c_t)")}
    gate = dict(zip(L_.gates, (i, f, ct, o)))
    value_grads = {}
    for g, (use, upstream, other, plain) in uses.items():
        lhs = _sym(rf"\frac{{\partial L}}{{\partial {g}_{{t}}}}", mw)      # of the value, not the pre-activation
        value_grads[g] = lhs
        out[f"value {g}"] = HandStep(lhs, (had(upstream, other),), (
            vjp_claim(f"LSTM by hand: dL/d{_PLAIN[g]}_t = {plain}",
                      _proved(use), gate[g], upstream, _proved(had(upstream, other)), sizes),))
    # the deltas: through each gate's activation at its pre-activation a^g_t
    for g in L_.gates:
        d = L_.lhs("d" + g)
        a_g = _sym(rf"a^{{{g}}}_{{t}}", mw)
        act = sp.tanh if g == r"\tilde{c}" else sigma
        use, upstream, *_ = uses[g]
        value = gate[g]
        local = dtanh(value) if act is sp.tanh else dsigma(value)
        at_a = {value: Apply(act, a_g)}
        out[f"delta {g}"] = HandStep(d, (had(value_grads[g], local), bw[d]), (
            GradientClaim(f"LSTM by hand: delta^{_PLAIN[g]}_t is the gradient at {_PLAIN[g]}_t's pre-activation",
                          inner(upstream, _proved(use.xreplace(at_a))), a_g, _proved(bw[d].xreplace(at_a)), sizes,
                          ((2,),)),))
    return out


#: The entry of dL/dW_hh the hand steps derive, its indices j (a row of the stacked 4m) and k
#: (a hidden unit), and the step and row summed over; the sizes R = 4m (the stacked rows),
#: m, T at which the proof instantiates them.
_j, _k = sp.symbols("j k", integer=True, positive=True)
_l, _p = sp.symbols("l p", integer=True, positive=True)
WEIGHT_INSTANCES = ((2, 1), (3, 2))          # (T, m)


#: Per model, the stacked pre-activation that W_hh enters (its delta, its name, its bias, whether
#: W_ih x_t enters it too) and the number of gate blocks stacked in it.
_WEIGHT_STACKS = {"LSTM": (r"\delta", "a", "b", True, 4), "GRU": (r"\delta^{hh}", "a^{hh}", "b_{hh}", False, 3)}


def weight_steps(model_name: str = "LSTM"):
    """dL/d(W_hh)_jk in index notation, step by step: (lhs, rows, the pre-activation a_t,l written
    out). The entries are 1-based; delta_t,l is entry l of delta_t, h_t-1,k entry k of h_t-1, and
    KroneckerDelta(l, j) the derivative of (W_hh)_lp by (W_hh)_jk at p = k. For the GRU, delta and
    a are delta^hh and a^hh = W_hh h_t-1 + b_hh (3m rows)."""
    d_name, a_name, b_name, with_input, gates = _WEIGHT_STACKS[model_name]
    delta, h, x = sp.IndexedBase(d_name), sp.IndexedBase("h"), sp.IndexedBase("x")
    a, b = sp.IndexedBase(a_name), sp.IndexedBase(b_name)
    W_hh, W_ih = sp.IndexedBase("W_{hh}"), sp.IndexedBase("W_{ih}")
    rows = gates * m
    a_tl = sp.Sum(W_hh[_l, _p] * h[t - 1, _p], (_p, 1, m)) + b[_l]
    if with_input:
        a_tl = sp.Sum(W_ih[_l, _p] * x[t, _p], (_p, 1, n)) + a_tl
    over = lambda e: sp.Sum(sp.Sum(e, (_l, 1, rows)), (t, 1, T))  # noqa: E731
    lhs = sp.Symbol(r"\frac{\partial L}{\partial (W_{hh})_{j,k}}")
    product = lambda *factors: sp.Mul(*factors, evaluate=False)  # noqa: E731  (kept in the order written)
    steps = (over(product(delta[t, _l], sp.Derivative(a[t, _l], W_hh[_j, _k]))),
             over(product(delta[t, _l], sp.KroneckerDelta(_l, _j), h[t - 1, _k])),
             sp.Sum(product(delta[t, _j], h[t - 1, _k]), (t, 1, T)))
    return lhs, steps, {a[t, _l]: a_tl}, (delta, W_hh)


class _IndexLatex(_BookLatex):
    """Index notation as a student writes it: nested sums, one per limit, the outer first;
    factors in the order given; d a_t,l / d (W_hh)_jk as one fraction."""

    def _print_Sum(self, expr):
        return self._nested_sums(expr) + self._print(expr.function)

    def _print_Derivative(self, expr):
        (var, _), = expr.variable_count
        return rf"\frac{{\partial {self._print(expr.expr)}}}{{\partial {self._print(var)}}}"

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        base = f"({base})" if "_" in base else base
        return f"{base}_{{{','.join(tex(i) for i in expr.indices)}}}"


def _index_tex(expr) -> str:
    return _IndexLatex({"symbol_names": {T: "{T}"}, "order": "none"}).doprint(expr)


def weight_checks(model_name: str = "LSTM") -> list[verify.Check]:
    """Each equality of :func:`weight_steps` at symbolic size (T, the stacked rows (4m for the
    LSTM, 3m for the GRU) and m left as symbols, the entry (j, k) in range by construction), and
    the chain's end against SymPy's derivative of sum_t delta_t^T a_t written out at the explicit
    (T, m) of WEIGHT_INSTANCES: W_hh is used at every step, and the steps' terms add."""
    lhs, steps, definition, (delta, W_hh) = weight_steps(model_name)
    rows = _WEIGHT_STACKS[model_name][-1] * m
    d, a = {"LSTM": ("delta", "a"), "GRU": ("delta^hh", "a^hh")}[model_name]
    u, s = sp.symbols("u s", integer=True, nonnegative=True)
    in_range = {rows: _j + u, m: _k + s}             # 1 <= j <= rows, 1 <= k <= m, for any sizes
    proved = [steps[0].xreplace(definition).doit(), *steps[1:]]
    label = f"{model_name} by hand, dL/d(W_hh)_jk: "
    names = (f"sum over t and l of {d}_t,l d{a}_t,l/d(W_hh)_jk = of {d}_t,l [l = j] h_t-1,k",
             f"only l = j survives: sum over t of {d}_t,j h_t-1,k")
    out = [prove_identity(TOPIC, f"{label}{name}, any T, m", a_.xreplace(in_range), b_.xreplace(in_range),
                          ({T: 2, u: 0, s: 0, _j: 1, _k: 1},))
           for name, a_, b_ in zip(names, proved, proved[1:])]
    got, want = [], []
    for T_, m_ in WEIGHT_INSTANCES:
        phi = written_out(sp.Sum(sp.Sum(delta[t, _l] * definition[next(iter(definition))], (_l, 1, rows)),
                                 (t, 1, T)), {T: T_, m: m_, n: 1})
        for j_, k_ in itertools.product(range(1, int(rows.subs(m, m_)) + 1), range(1, m_ + 1)):
            got.append(sp.diff(phi, W_hh[j_, k_]))
            want.append(written_out(steps[-1].xreplace({_j: j_, _k: k_}), {T: T_}))
    sizes = " and ".join(f"(T, m) = ({T_}, {m_})" for T_, m_ in WEIGHT_INSTANCES)
    out.append(verify.symbolic_identity(TOPIC, f"{label}W_hh is used at every step: SymPy's derivative of sum_t "
                                        f"{d}_t^T {a}_t is sum over t of {d}_t,j h_t-1,k, {sizes}",
                                        sp.Matrix(got), sp.Matrix(want)))
    return out

#: The pitfalls the hand steps expose, as wrong right-hand sides of a hand step's claim:
#: (hand step, the wrong formula in words, a function of the step's symbols giving it).
PITFALL_WIDTH = 2


def _wrong_cell_path(S, X):
    """dL/dc_t with f_t in place of f_t+1 on the cell path."""
    dh, dc_next = S[r"\frac{\partial L}{\partial h_{t}}"], S[r"\frac{\partial L}{\partial c_{t + 1}}"]
    c, o, f = S["c_{t}"], S["o_{t}"], S["f_{t}"]
    return add(had(dh, o, dtanh(Apply(sp.tanh, c))), had(dc_next, f))


def _wrong_forget_delta(S, X):
    """delta^f_t with c_t in place of c_t-1 (X the forget gate's pre-activation)."""
    dc, c = S[r"\frac{\partial L}{\partial c_{t}}"], S["c_{t}"]
    return had(dc, c, dsigma(Apply(sigma, X)))


PITFALLS = (("c", "f_t in place of f_t+1 on the cell path", _wrong_cell_path),
            ("delta f", "c_t in place of c_t-1 in delta^f_t", _wrong_forget_delta))


def refuted_by(step: HandStep, wrong, seed: int = 0) -> float:
    """The largest entry of |dPhi/dX - wrong| at a random point, at hidden width PITFALL_WIDTH,
    for the first claim of ``step`` (Phi its scalar, X its variable): SymPy's derivative of the
    explicit Phi against the wrong formula made explicit, both evaluated in 30 digits."""
    claim = step.claims[0]
    X = claim.X
    phi = scalar(claim.L).doit()
    derived = sp.Matrix([sp.diff(phi, X[k, 0]) for k in range(X.shape[0])])
    shown = sp.Matrix(_proved(wrong).as_explicit())
    rng = np.random.default_rng(seed)
    atoms = sorted((derived.atoms(MatrixElement) | shown.atoms(MatrixElement)), key=str)
    point = {a: sp.Rational(int(rng.integers(-9, 10)) or 1, 7) for a in atoms}
    return float(max(abs((derived - shown).xreplace(point).evalf(30))))


def _direct_path(S, gate):
    """dL/dh_t of the GRU with ``gate`` on the direct path from h_t+1."""
    return add(S[r"\frac{\partial \ell_{t}}{\partial h_{t}}"], had(gate, S[r"\frac{\partial L}{\partial h_{t + 1}}"]),
               mul(S["W_{hh}"].T, S[r"\delta^{hh}_{t + 1}"]))


def _wrong_step_on_direct_path(S, X):
    """dL/dh_t with u_t in place of u_t+1 on the direct path."""
    return _direct_path(S, S["u_{t}"])


def _candidate_weight_on_direct_path(S, X):
    """dL/dh_t with 1 - u_t+1, the candidate's weight, in place of u_t+1 on the direct path."""
    return _direct_path(S, one_minus(S["u_{t + 1}"]))


GRU_PITFALLS = (("h", "u_t in place of u_t+1 on the GRU's direct path", _wrong_step_on_direct_path),
                ("h", "1 - u_t+1 in place of u_t+1 on the GRU's direct path", _candidate_weight_on_direct_path))


def _pitfall_checks() -> list[verify.Check]:
    out = []
    for build, hand_steps, pitfalls in ((lstm_model, lstm_hand_steps, PITFALLS),
                                        (gru_model, gru_hand_steps, GRU_PITFALLS)):
        out += _pitfalls_of(build(PITFALL_WIDTH, 1), hand_steps, pitfalls)
    return out


def _pitfalls_of(model: Model, hand_steps, pitfalls: tuple) -> list[verify.Check]:
    """Each wrong formula refuted by its hand step's derivative, and the right one beside it agreeing."""
    steps = hand_steps(model)
    S = _hand_symbols(model)
    out = []
    for key, words, wrong in pitfalls:
        out.append(verify.check_bound(TOPIC, f"pitfall: {words} is refuted by the hand step's derivative, "
                                      f"m = {PITFALL_WIDTH}", 1e-6, refuted_by(steps[key], wrong(S, steps[key].claims[0].X)),
                                      strict=True))
        out.append(verify.check_bound(TOPIC, f"pitfall: the right formula beside it agrees, {words.split(' in place')[0]}"
                                      f" case, m = {PITFALL_WIDTH}",
                                      refuted_by(steps[key], steps[key].claims[0].claim), 1e-25))
    return out

# ---------------------------------------------------------------- the GRU backward pass by hand

def gru_hand_steps(model: Model | None = None) -> dict[str, HandStep]:
    """The GRU backward recursion derived step by step, as the page shows it: dL/dh_t (h_t's
    three uses add: l_t, h_t+1's term u_t+1 ⊙ h_t, the stacked pre-activations a^hh_t+1, whose
    three blocks are the gates' and the candidate's, inside the reset product), the gradients of
    the gate values and the candidate, the deltas at the pre-activations, and where the reset
    gate acts in the candidate's two blocks. Claims as in :func:`lstm_hand_steps`."""
    G_ = model or gru_model()
    fw, bw = dict(G_.forward), dict(G_.backward)
    S = _hand_symbols(G_)
    mw, nw = G_.width, G_.inputs
    sizes = (mw,) if not isinstance(mw, sp.Symbol) else (m,)
    both = (nw, mw) if isinstance(nw, sp.Symbol) else sizes
    cand = r"\tilde{h}"
    h, h_prev = G_.lhs("h"), S["h_{t - 1}"]
    r, u, ht = (G_.lhs(g) for g in G_.gates)
    dh, d_ih, d_hh = G_.lhs("dh"), G_.lhs("delta_ih"), G_.lhs("delta_hh")
    dl = S[r"\frac{\partial \ell_{t}}{\partial h_{t}}"]
    dh_next, d_hh_next = S[r"\frac{\partial L}{\partial h_{t + 1}}"], S[r"\delta^{hh}_{t + 1}"]
    r_next, u_next, ht_next = (S[f"{g}_{{t + 1}}"] for g in G_.gates)
    d_next = {g: S[rf"\delta^{{{g}}}_{{t + 1}}"] for g in G_.gates}
    W = {g: S[f"W_{{h{g}}}"] for g in G_.gates}
    Wx = {g: S[f"W_{{x{g}}}"] for g in G_.gates}
    bx = {g: S[f"b_{{x{g}}}"] for g in G_.gates}
    bh = {g: S[f"b_{{h{g}}}"] for g in G_.gates}
    W_hh, b_hh = S["W_{hh}"], S["b_{hh}"]
    x_next = S["x_{t + 1}"]
    G = _sym("g", mw)                                   # an upstream gradient, any value
    out = {}
    # h_t's uses at step t + 1: the convex combination's second term (u_t+1 and h~_t+1 are uses
    # of their own, counted in a^hh_t+1) and the stacked pre-activations W_hh h_t + b_hh
    h_next = add(had(one_minus(u_next), ht_next), had(u_next, h))
    a_hh_next = add(mul(W_hh, h), b_hh)
    J_h = _sym(r"\left(\frac{\partial h_{t + 1}}{\partial h_{t}}\right)_{u, \tilde{h}}", mw, mw)
    # the printer puts a name with a superscript in parentheses itself
    J_a = _sym(r"\frac{\partial a^{hh}_{t + 1}}{\partial h_{t}}", 3 * mw, mw)
    via_diag = add(dl, mul(diag(u_next), dh_next), mul(W_hh.T, d_hh_next))
    out["h"] = HandStep(dh, (add(dl, mul(J_h.T, dh_next), mul(J_a.T, d_hh_next)), via_diag, bw[dh]), (
        GradientClaim("GRU by hand, dL/dh_t: the gradients of h_t's three uses, l_t, h_t+1 and a^hh_t+1, add",
                      inner(dl, h) + inner(dh_next, h_next) + inner(d_hh_next, a_hh_next), h, bw[dh], sizes,
                      ((2,),)),
        vjp_claim("GRU by hand, dL/dh_t: (dh_t+1/dh_t)^T g = diag(u_t+1) g at fixed u_t+1 and h̃_t+1",
                  h_next, h, G, mul(diag(u_next), G), sizes),
        vjp_claim("GRU by hand, dL/dh_t: (da^hh_t+1/dh_t)^T delta^hh_t+1 = W_hh^T delta^hh_t+1",
                  a_hh_next, h, d_hh_next, mul(W_hh.T, d_hh_next), sizes),
        IdentityClaim("GRU by hand, dL/dh_t: diag(u_t+1) dL/dh_t+1 = u_t+1 ⊙ dL/dh_t+1, the recursion's direct path",
                      via_diag, bw[dh], sizes, ((2,),))))
    # the stacked use a^hh_t+1 unstacked: the reset gate's, the update gate's, and the candidate's
    # pre-activation, in which W_hh~ h_t + b_hh~ is multiplied by r_t+1
    pre_next = {g: add(mul(Wx[g], x_next), bx[g], mul(W[g], h), bh[g]) for g in G_.gates[:2]}
    pre_next[cand] = add(mul(Wx[cand], x_next), bx[cand], had(r_next, add(mul(W[cand], h), bh[cand])))
    blocks = add(mul(W["r"].T, d_next["r"]), mul(W["u"].T, d_next["u"]),
                 mul(W[cand].T, had(r_next, d_next[cand])))
    stacked = dict(G_.stacking)[W_hh]
    recursion_hh = _at(G_, bw[d_hh], {0: {"dr": d_next["r"], "du": d_next["u"], "d" + cand: d_next[cand],
                                          "r": r_next}})
    out["hh"] = HandStep(mul(W_hh.T, d_hh_next), (blocks,), (
        GradientClaim("GRU by hand, dL/dh_t: the pre-activations of r_t+1, u_t+1 and h̃_t+1 use h_t, the "
                      "candidate's inside r_t+1 ⊙ (W_hh̃ h_t + b_hh̃)",
                      sum((inner(d_next[g], pre_next[g]) for g in G_.gates), sp.Integer(0)), h, blocks, both,
                      ((1, 2),)),
        IdentityClaim("GRU by hand, dL/dh_t: W_hh^T delta^hh_t+1 with the recursion's blocks of delta^hh_t+1 is "
                      "the sum of the three blocks' products", _collapse_blocks(mul(stacked.T, recursion_hh)),
                      blocks, sizes, ((2,),))))
    # the values: h_t = (1 - u_t) ⊙ h~_t + u_t ⊙ h_t-1 uses h~_t once and u_t twice; r_t is a factor
    # of the candidate's pre-activation a^h~_t
    a_cand = fw[ht].expr
    recurrent = add(mul(W[cand], h_prev), bh[cand])
    d_cand = G_.lhs("d" + cand)
    two_terms = add(had(dh, neg(ht)), had(dh, h_prev))
    uses = {cand: (fw[h], dh, (had(dh, one_minus(u)),), "dL/dh_t ⊙ (1 - u_t)"),
            "u": (fw[h], dh, (two_terms, had(dh, add(h_prev, neg(ht)))), "dL/dh_t ⊙ (-h̃_t) + dL/dh_t ⊙ h_t-1"),
            "r": (a_cand, d_cand, (had(d_cand, recurrent),), "delta^h̃_t ⊙ (W_hh̃ h_t-1 + b_hh̃)")}
    gate = {"r": r, "u": u, cand: ht}
    value_grads = {}
    for g, (use, upstream, rows, plain) in uses.items():
        lhs = _sym(rf"\frac{{\partial L}}{{\partial {g}_{{t}}}}", mw)      # of the value, not the pre-activation
        value_grads[g] = lhs
        claims = [vjp_claim(f"GRU by hand: dL/d{_PLAIN[g]}_t = {plain}", _proved(use), gate[g], upstream,
                            _proved(rows[0]), sizes)]
        if len(rows) > 1:
            claims.append(IdentityClaim("GRU by hand: dL/du_t, u_t's two uses' terms collect into "
                                        "dL/dh_t ⊙ (h_t-1 - h̃_t)", rows[0], rows[1], sizes))
        out[f"value {g}"] = HandStep(lhs, rows, tuple(claims))
    # the deltas: through each activation at its pre-activation a^g_t. For r_t, the factor
    # W_hh~ h_t-1 + b_hh~ is held as a free vector q (it does not depend on a^r_t; written out,
    # SymPy's derivative leaves a sum of zeros that index_notation does not reduce)
    p_, q_ = _sym(r"a^{ih,\tilde{h}}_{t}", mw), _sym(r"a^{hh,\tilde{h}}_{t}", mw)
    for g in (cand, "u", "r"):
        d = G_.lhs("d" + g)
        a_g = _sym(rf"a^{{{g}}}_{{t}}", mw)
        act = sp.tanh if g == cand else sigma
        use, upstream, *_ = uses[g]
        local = dtanh(gate[g]) if act is sp.tanh else dsigma(gate[g])
        at_a = {gate[g]: Apply(act, a_g)} | ({recurrent: q_} if g == "r" else {})
        use_at_a, shown_at_a = use.xreplace(at_a), bw[d].xreplace(at_a)
        assert g != "r" or not (use_at_a.has(W[cand]) or shown_at_a.has(W[cand])), "q stands for W_hh~ h_t-1 + b_hh~"
        out[f"delta {g}"] = HandStep(d, (had(value_grads[g], local), bw[d]), (
            GradientClaim(f"GRU by hand: delta^{_PLAIN[g]}_t is the gradient at {_PLAIN[g]}_t's pre-activation",
                          inner(upstream, _proved(use_at_a)), a_g, _proved(shown_at_a), sizes, ((2,),)),))
    # where the reset gate acts: the candidate's pre-activation is p + r_t ⊙ q with p = W_xh~ x_t +
    # b_xh~ (block 3 of a^ih_t) and q = W_hh~ h_t-1 + b_hh~ (block 3 of a^hh_t)
    split = add(p_, had(r, q_))
    ih_block, hh_block = bw[d_ih].blocks[2, 0], bw[d_hh].blocks[2, 0]
    out["reset"] = HandStep(_sym(r"\frac{\partial L}{\partial a^{hh,\tilde{h}}_{t}}", mw), (hh_block,), (
        vjp_claim("GRU by hand: the candidate's block of delta^hh_t is r_t ⊙ delta^h̃_t, the gradient at "
                  "W_hh̃ h_t-1 + b_hh̃", split, q_, d_cand, hh_block, sizes),
        vjp_claim("GRU by hand: the candidate's block of delta^ih_t is delta^h̃_t, the gradient at "
                  "W_xh̃ x_t + b_xh̃", split, p_, d_cand, ih_block, sizes)))
    out["reset ih"] = HandStep(_sym(r"\frac{\partial L}{\partial a^{ih,\tilde{h}}_{t}}", mw), (ih_block,), ())
    return out


def activation_claims(width=m) -> list[GradientClaim]:
    """sigma' and tanh' at the pre-activation, written through the value: the VJP of s = act(a)
    with an upstream g is g ⊙ s ⊙ (1 - s) for the sigmoid, g ⊙ (1 - s^2) for tanh."""
    a_, G = _sym("a", width), _sym("g", width)
    return [vjp_claim(f"LSTM by hand: the VJP of {name} at a is g ⊙ {name}'(a), written through the value s = {name}(a)",
                      _proved(Apply(act, a_)), a_, G, _proved(had(G, local(Apply(act, a_)))), (m,))
            for name, act, local in (("sigma", sigma, dsigma), ("tanh", sp.tanh, dtanh))]


# ---------------------------------------------------------------- numerics

def init_lstm(n_in, m_hidden, rng, forget_bias=0.0, scale=1.0):
    """(W_ih, W_hh, b) with N(0, scale^2/fan_in) weights, zero biases but the forget gate's."""
    b = np.zeros(4 * m_hidden)
    b[m_hidden:2 * m_hidden] = forget_bias
    return (scale * rng.standard_normal((4 * m_hidden, n_in)) / np.sqrt(n_in),
            scale * rng.standard_normal((4 * m_hidden, m_hidden)) / np.sqrt(m_hidden), b)


def init_gru(n_in, m_hidden, rng, update_bias=0.0, scale=1.0):
    """(W_ih, W_hh, b_ih, b_hh) with N(0, scale^2/fan_in) weights, zero biases but the update
    gate's (in b_ih)."""
    b_ih = np.zeros(3 * m_hidden)
    b_ih[m_hidden:2 * m_hidden] = update_bias
    return (scale * rng.standard_normal((3 * m_hidden, n_in)) / np.sqrt(n_in),
            scale * rng.standard_normal((3 * m_hidden, m_hidden)) / np.sqrt(m_hidden), b_ih,
            np.zeros(3 * m_hidden))


def init_rnn(n_in, m_hidden, rng, radius=0.9):
    """(W_hx, W_hh, b_h) of a tanh RNN: W_hh scaled to spectral radius ``radius``, W_hx with
    variance 1/fan-in, zero bias."""
    W_hh = rng.standard_normal((m_hidden, m_hidden))
    W_hh *= radius / np.max(np.abs(np.linalg.eigvals(W_hh)))
    return rng.standard_normal((m_hidden, n_in)) / np.sqrt(n_in), W_hh, np.zeros(m_hidden)


_KERNELS = {"LSTM": (lstm_np.lstm_forward, lstm_np.lstm_backward),
            "GRU": (gru_np.gru_forward, gru_np.gru_backward),
            "RNN": (rnn_np.rnn_forward, rnn_np.rnn_backward)}


def state_gradient_by_lag(model: str, x, params, u, lags=None, direct_only: bool = False):
    """||dL/d(state_j)|| for L = u^T h_T at the given lags T - j (default 0..T), as an array.

    The state is h_k for the RNN and GRU and (h_k, c_k) for the LSTM. Each value is the
    gradient with respect to the initial state of the rest of the sequence, restarted from
    the state of step k (which reproduces the same trajectory). ``direct_only`` runs the
    backward pass with W_hh set to zero in its cache: the forward trajectory is unchanged, and
    the only way left back through time is the direct path (c_{t-1} via f_t, h_{t-1} via u_t).
    """
    if model not in _KERNELS:
        raise ValueError(f"model must be 'RNN', 'LSTM' or 'GRU', got {model!r}")
    forward, backward = _KERNELS[model]
    T_, N, _ = x.shape
    width = u.shape[-1]
    zeros = np.zeros((N, width))
    h, cache = _forward_from_rest(model, x, params, width)
    if model == "LSTM":
        states = [(zeros, zeros)] + [(h[s], cache.c[s]) for s in range(T_)]
    else:
        states = [(zeros,)] + [(h[s],) for s in range(T_)]
    norms = []
    for lag in (range(T_ + 1) if lags is None else lags):
        if lag == 0:
            norms.append(np.linalg.norm(u))
            continue
        k = T_ - lag
        dh = np.zeros((lag, N, width))
        dh[-1] = u
        _, cache = forward(x[k:], *states[k], *params)
        if direct_only:
            cache = cache._replace(W_hh=np.zeros_like(cache.W_hh))
        # (dx, dh0, [dc0,] ...): the state gradients follow dx
        state_grads = backward(dh, cache)[1:1 + len(states[k])]
        norms.append(np.sqrt(sum(np.sum(g**2) for g in state_grads)))
    return np.array(norms)


def _forward_from_rest(model: str, x, params, width: int):
    """The model's forward pass from a zero state (and zero cell for the LSTM): (h, cache)."""
    forward, _ = _KERNELS[model]
    zeros = np.zeros((x.shape[1], width))
    return forward(x, zeros, zeros, *params) if model == "LSTM" else forward(x, zeros, *params)


def gate_product_by_lag(model: str, x, params, u, lags):
    """The direct path in closed form: ||(prod_{s=k+1}^{T} g_s) ⊙ dL/d(state_T)|| with g the
    forget gate (LSTM; dL/dc_T = u ⊙ o_T ⊙ (1 - tanh^2 c_T)) or the update gate (GRU;
    dL/dh_T = u), from the forward pass's gates alone."""
    T_ = x.shape[0]
    width = u.shape[-1]
    _, cache = _forward_from_rest(model, x, params, width)
    g = cache.gates[:, :, width:2 * width]   # the forget gate (LSTM) or the update gate (GRU)
    end = u * cache.gates[-1, :, 3 * width:] * (1 - cache.tanh_c[-1] ** 2) if model == "LSTM" else u
    out = []
    for lag in lags:
        # steps k+1..T of the sequence restarted at k = T - lag: indices T - lag .. T - 1
        out.append(np.linalg.norm(np.prod(g[T_ - lag:], axis=0) * end) if lag > 0 else np.linalg.norm(u))
    return np.array(out)


def rest_jacobian_numeric(model: str, params) -> np.ndarray:
    """The one-step Jacobian at rest (zero input and state, zero candidate biases):
    diag(f) + diag(i) W_hc~ diag(o) for the LSTM (the Jacobian of (h, c) has the same
    nonzero eigenvalues), diag(u) + diag((1 - u) ⊙ r) W_hh~ for the GRU."""
    if model == "LSTM":
        _, W_hh, b = params
        w = W_hh.shape[1]
        i, f, o = (np_sigmoid(b[j * w:(j + 1) * w]) for j in (0, 1, 3))
        return np.diag(f) + np.diag(i) @ W_hh[2 * w:3 * w] @ np.diag(o)
    if model == "GRU":
        _, W_hh, b_ih, b_hh = params
        w = W_hh.shape[1]
        r, u = np_sigmoid(b_ih[:w] + b_hh[:w]), np_sigmoid(b_ih[w:2 * w] + b_hh[w:2 * w])
        return np.diag(u) + np.diag((1 - u) * r) @ W_hh[2 * w:]
    raise ValueError(f"model must be 'LSTM' or 'GRU', got {model!r}")


def rest_growth_rate(model: str, params) -> float:
    """Spectral radius of :func:`rest_jacobian_numeric`: at rest the gradient norm grows or
    decays like this number to the power of the lag."""
    return float(np.max(np.abs(np.linalg.eigvals(rest_jacobian_numeric(model, params)))))


def state_jacobian_at_rest(params, step: float = 1e-6) -> np.ndarray:
    """The LSTM's Jacobian of (h_t, c_t) with respect to (h_{t-1}, c_{t-1}) at rest, by
    central differences of ``lstm_forward`` over one step (2m x 2m)."""
    W_ih, W_hh, b = params
    w = W_hh.shape[1]
    x = np.zeros((1, 1, W_ih.shape[1]))

    def state(v):
        h, cache = lstm_np.lstm_forward(x, v[None, :w], v[None, w:], W_ih, W_hh, b)
        return np.concatenate([h[0, 0], cache.c[0, 0]])

    J = np.empty((2 * w, 2 * w))
    for j in range(2 * w):
        e = np.zeros(2 * w)
        e[j] = step
        J[:, j] = (state(e) - state(-e)) / (2 * step)
    return J


def forward_from_display(model: Model, x, states: dict, stacked: dict) -> np.ndarray:
    """The displayed forward equations evaluated in floating point (30 digits) for one
    sequence: x (T, n), states and stacked parameters as NumPy arrays (biases 1-D); the hidden
    states (T, m)."""
    F = lambda a: sp.Matrix(np.atleast_2d(a).T if np.ndim(a) == 1 else a).applyfunc(  # noqa: E731
        lambda v: sp.Float(float(v), 30))
    env = Env(model, _params(model, {k: F(v) for k, v in stacked.items()}), len(x))
    run_forward(model, env, [F(v) for v in x], {k: F(v) for k, v in states.items()})
    return np.array([[float(v) for v in env.seq["h"][s]] for s in range(1, len(x) + 1)])


def reset_before_candidate(x, h, W_ih, W_hh, b_ih, b_hh):
    """The original GRU's candidate (Cho et al.): the reset gate applied to h_{t-1} before
    the product, tanh(W_xh~ x + b_xh~ + W_hh~ (r ⊙ h) + b_hh~); for one step, (N, m)."""
    w = h.shape[1]
    r = np_sigmoid(x @ W_ih[:w].T + b_ih[:w] + h @ W_hh[:w].T + b_hh[:w])
    return np.tanh(x @ W_ih[2 * w:].T + b_ih[2 * w:] + (r * h) @ W_hh[2 * w:].T + b_hh[2 * w:])


# ---------------------------------------------------------------- the measurements

#: The page's measurement uses one sequence of T_MEASURE steps, input width N_IN and hidden
#: width M_HIDDEN, and compares these gate biases.
T_MEASURE, N_IN, M_HIDDEN = 100, 8, 32
FORGET_BIASES = (0.0, 1.0, 3.0)
UPDATE_BIASES = (0.0, 3.0)
RNN_RADIUS = 0.9
GRU_SCALE = 3.0
LAGS = np.arange(0, T_MEASURE + 1, 5)


@dataclass(frozen=True)
class Run:
    """One model's measurement: gradient norm by lag (and, driven, the direct path alone)."""

    kind: str
    params: tuple
    norms: np.ndarray
    direct: np.ndarray | None = None
    gate_mean: float = np.nan
    rho: float = np.nan


def _lstm(**kw):
    return init_lstm(N_IN, M_HIDDEN, np.random.default_rng(1), **kw)


def _gru(**kw):
    return init_gru(N_IN, M_HIDDEN, np.random.default_rng(1), **kw)


def driven_input():
    """The measurement's input sequence x (T_MEASURE, 1, N_IN) and unit gradient u (1, M_HIDDEN),
    and the generator that drew them (the RNN's weights are drawn from it next)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T_MEASURE, 1, N_IN))
    u = rng.standard_normal((1, M_HIDDEN))
    return x, u / np.linalg.norm(u), rng


@lru_cache(maxsize=1)
def driven():
    """({label: Run} on one random input sequence, the sequence x, the unit gradient u)."""
    x, u, rng = driven_input()
    models = {"RNN": ("RNN", init_rnn(N_IN, M_HIDDEN, rng, RNN_RADIUS))}
    models |= {f"LSTM, forget bias {fb:g}": ("LSTM", _lstm(forget_bias=fb)) for fb in FORGET_BIASES}
    models |= {f"GRU, update bias {ub:g}": ("GRU", _gru(update_bias=ub)) for ub in UPDATE_BIASES}
    out = {}
    for label, (kind, params) in models.items():
        run = Run(kind, params, state_gradient_by_lag(kind, x, params, u, LAGS))
        if kind != "RNN":
            zeros = np.zeros((1, M_HIDDEN))
            cache = (lstm_np.lstm_forward(x, zeros, zeros, *params) if kind == "LSTM"
                     else gru_np.gru_forward(x, zeros, *params))[1]
            run = replace(run, direct=state_gradient_by_lag(kind, x, params, u, LAGS, direct_only=True),
                          gate_mean=float(cache.gates[:, :, M_HIDDEN:2 * M_HIDDEN].mean()))
        out[label] = run
    return out, x, u


@lru_cache(maxsize=1)
def at_rest():
    """{label: Run} at rest: zero input, the same unit gradient, rho predicted from the weights."""
    _, x, u = driven()
    x0 = np.zeros_like(x)
    models = {"LSTM, forget bias 0": ("LSTM", _lstm()), "LSTM, forget bias 3": ("LSTM", _lstm(forget_bias=3.0)),
              "GRU, update bias 3": ("GRU", _gru(update_bias=3.0)),
              f"GRU, zero biases, weights x{GRU_SCALE:g}": ("GRU", _gru(scale=GRU_SCALE))}
    return {label: Run(kind, params, state_gradient_by_lag(kind, x0, params, u, LAGS),
                       rho=rest_growth_rate(kind, params)) for label, (kind, params) in models.items()}


def measured_rate(norms) -> float:
    """The growth factor per step between lag T/2 and lag T."""
    half = len(LAGS) // 2
    return float((norms[-1] / norms[half]) ** (1 / (LAGS[-1] - LAGS[half])))


def _gate(kind: str) -> str:
    return "forget" if kind == "LSTM" else "update"


def _rest_state(run: Run) -> np.ndarray:
    zero, z = np.zeros((T_MEASURE, 1, N_IN)), np.zeros((1, M_HIDDEN))
    return (lstm_np.lstm_forward(zero, z, z, *run.params)[0] if run.kind == "LSTM"
            else gru_np.gru_forward(zero, z, *run.params)[0])


def gru_rest_bound(params) -> float:
    """max u + max((1 - u) ⊙ r) ||W_hh~||_2: a bound on the spectral norm of the GRU's Jacobian
    at rest (triangle inequality), hence on its spectral radius."""
    _, W_hh, b_ih, b_hh = params
    w = W_hh.shape[1]
    r, u = np_sigmoid(b_ih[:w] + b_hh[:w]), np_sigmoid(b_ih[w:2 * w] + b_hh[w:2 * w])
    return float(u.max() + ((1 - u) * r).max() * np.linalg.norm(W_hh[2 * w:], 2))


def rest_state_factors(params) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) with the LSTM's (h, c) Jacobian at rest equal to A B: A = [diag(o); I] (2m x m),
    B = [diag(i) W_hc~, diag(f)] (m x 2m), the gates at the sigmoids of their biases. B A is
    the rest Jacobian diag(f) + diag(i) W_hc~ diag(o), and A B has its eigenvalues and m
    zeros (A B and B A have the same nonzero eigenvalues, with multiplicities)."""
    _, W_hh, b = params
    w = W_hh.shape[1]
    i, f, o = (np_sigmoid(b[j * w:(j + 1) * w]) for j in (0, 1, 3))
    A = np.vstack([np.diag(o), np.eye(w)])
    B = np.hstack([np.diag(i) @ W_hh[2 * w:3 * w], np.diag(f)])
    return A, B


# ---------------------------------------------------------------- the cell path, in numbers

#: One seeded LSTM cell run for the cell-path numbers: input width, hidden width, steps, the
#: forget-gate bias (Jozefowicz et al.'s 1), and the lags s at which the products are shown.
CELL_N, CELL_M, CELL_STEPS, CELL_FORGET_BIAS = 3, 4, 20, 1.0
CELL_LAGS = (1, 2, 5, 10, 20)


def state_jacobians(cache, k: int = 0):
    """The one-step Jacobian of (h_t, c_t) with respect to (h_t-1, c_t-1) for every step of
    sequence ``k`` of an ``lstm_forward`` cache, by blocks (T, m, m) each: c from c is the cell
    path diag(f_t); c from h the paths through h_t-1, diag(c_t-1 ⊙ f(1-f)) W_hf + diag(c~ ⊙
    i(1-i)) W_hi + diag(i ⊙ (1-c~^2)) W_hc~; h from c and h from h through h_t = o_t ⊙ tanh(c_t).
    Returns (cc, ch, hc, hh)."""
    W_hh = cache.W_hh
    w = W_hh.shape[1]
    gates = cache.gates[:, k]
    i, f, g, o = (gates[:, j * w:(j + 1) * w] for j in range(4))
    c_prev = np.concatenate([cache.c0[k][None], cache.c[:-1, k]])
    tc = cache.tanh_c[:, k]
    Wi, Wf, Wg, Wo = (W_hh[j * w:(j + 1) * w] for j in range(4))
    rows = lambda v, W: v[:, :, None] * W[None]  # noqa: E731  (diag(v_t) W for every t)
    cc = np.stack([np.diag(v) for v in f])
    ch = rows(c_prev * f * (1 - f), Wf) + rows(g * i * (1 - i), Wi) + rows(i * (1 - g**2), Wg)
    out = o * (1 - tc**2)                      # dh_t/dc_t, a diagonal
    hc = np.stack([np.diag(v) for v in out * f])
    hh = rows(tc * o * (1 - o), Wo) + out[:, :, None] * ch
    return cc, ch, hc, hh


def _full(cc, ch, hc, hh):
    """The (h, c) Jacobians (T, 2m, 2m), the state ordered (h, c)."""
    return np.concatenate([np.concatenate([hh, hc], axis=2), np.concatenate([ch, cc], axis=2)], axis=1)


@dataclass(frozen=True)
class CellPaths:
    """The gradient paths through one LSTM cell, from one seeded run (:func:`cell_paths`).

    Per step t (arrays over t = 1..T): ``forget`` the forget gate (T, m), ``cell`` the 2-norm of
    the cell path diag(f_t); ``through_h`` (t = 2..T) that of the paths from c_t-1 to c_t through
    h_t-1 = o_t-1 ⊙ tanh(c_t-1), dc_t/dh_t-1 diag(o_t-1 ⊙ (1 - tanh^2 c_t-1)) (the terms of
    eq-lstm-path after diag(f_t)). Over the last s steps
    (``lags``): the 2-norm of the c_T-from-c_T-s block of the product of the cell paths alone,
    of the full (h, c) Jacobians, and of the Jacobians with the cell path removed."""

    forget: np.ndarray
    cell: np.ndarray
    through_h: np.ndarray
    lags: tuple
    cell_only: np.ndarray
    full: np.ndarray
    without_cell: np.ndarray
    jacobians: np.ndarray
    run: tuple


def _cell_block_product(J: np.ndarray, s: int) -> np.ndarray:
    """The c_T-from-c_T-s block of J_T J_T-1 ... J_T-s+1 ((h, c) Jacobians, state (h, c))."""
    w = J.shape[1] // 2
    P = np.eye(2 * w)
    for Jt in J[len(J) - s:][::-1]:
        P = P @ Jt
    return P[w:, w:]


@lru_cache(maxsize=1)
def cell_paths(seed: int = 0) -> CellPaths:
    """The numbers of "why the additive cell path helps": one LSTM (CELL_N inputs, CELL_M
    hidden units, forget bias CELL_FORGET_BIAS) run from rest over CELL_STEPS random inputs."""
    rng = np.random.default_rng(seed)
    params = init_lstm(CELL_N, CELL_M, rng, forget_bias=CELL_FORGET_BIAS)
    x = rng.standard_normal((CELL_STEPS, 1, CELL_N))
    zeros = np.zeros((1, CELL_M))
    _, cache = lstm_np.lstm_forward(x, zeros, zeros, *params)
    cc, ch, hc, hh = state_jacobians(cache)
    J = _full(cc, ch, hc, hh)
    removed = _full(np.zeros_like(cc), ch, hc, hh)
    norm = lambda A: float(np.linalg.norm(A, 2))  # noqa: E731
    # c_t-1 -> h_t-1 -> c_t: dc_t/dh_t-1 diag(o_t-1 ⊙ (1 - tanh^2 c_t-1)), the bracket of eq-lstm-path
    # times its last factor (from step 2: h_0 is given, not computed from c_0)
    inside = cache.gates[:, 0, 3 * CELL_M:] * (1 - cache.tanh_c[:, 0] ** 2)
    through_h = np.array([norm(ch[s] * inside[s - 1][None, :]) for s in range(1, CELL_STEPS)])
    return CellPaths(cache.gates[:, 0, CELL_M:2 * CELL_M], np.array([norm(A) for A in cc]), through_h, CELL_LAGS,
                     np.array([norm(_cell_block_product(_full(cc, 0 * ch, 0 * hc, 0 * hh), s)) for s in CELL_LAGS]),
                     np.array([norm(_cell_block_product(J, s)) for s in CELL_LAGS]),
                     np.array([norm(_cell_block_product(removed, s)) for s in CELL_LAGS]), J, (x, params))


def _state_jacobian_by_complex_step(x, params, h_prev, c_prev, eps: float = 1e-30) -> np.ndarray:
    """d(h_t, c_t)/d(h_t-1, c_t-1) of one ``lstm_forward`` step from (h_prev, c_prev), by the
    complex step, column by column (2m x 2m)."""
    w = h_prev.shape[-1]
    J = np.empty((2 * w, 2 * w))
    for j in range(2 * w):
        e = np.zeros(2 * w, dtype=complex)
        e[j] = 1j * eps
        h, cache = lstm_np.lstm_forward(x, h_prev + e[None, :w], c_prev + e[None, w:], *params)
        J[:, j] = np.concatenate([h[0, 0], cache.c[0, 0]]).imag / eps
    return J


def _cell_path_checks() -> list[verify.Check]:
    paths = cell_paths()
    x, params = paths.run
    zeros = np.zeros((1, CELL_M))
    h, cache = lstm_np.lstm_forward(x, zeros, zeros, *params)
    hs = np.concatenate([zeros[None], h])
    cs = np.concatenate([zeros[None], cache.c])
    stepwise = np.stack([_state_jacobian_by_complex_step(x[s:s + 1], params, hs[s], cs[s])
                         for s in range(CELL_STEPS)])
    dims = f"n = {CELL_N}, m = {CELL_M}, T = {CELL_STEPS}"
    out = [verify.check_values(TOPIC, f"cell paths: the (h, c) Jacobian's blocks equal the complex step through "
                               f"lstm_forward, every step, {dims}", "complex-step", paths.jacobians, stepwise)]
    # the cell path alone: a product of diagonals, whose 2-norm is the largest product of one
    # unit's forget gates
    gate_products = np.array([np.max(np.prod(paths.forget[CELL_STEPS - s:], axis=0)) for s in CELL_LAGS])
    out.append(verify.check_values(TOPIC, "cell paths: the cell path's product over s steps has the 2-norm of the "
                                   "largest product of one unit's forget gates, every s shown", "closed-form",
                                   paths.cell_only, gate_products))
    several = np.array(CELL_LAGS) > 1         # over one step the c-c block is diag(f_t) itself
    out.append(verify.check_bound(TOPIC, "cell paths: over s > 1 steps the norm of the full product's c-c block "
                                  "differs from the cell path's by more than 1 %, every s shown",
                                  np.full(several.sum(), 0.01),
                                  np.abs(paths.full - paths.cell_only)[several] / paths.cell_only[several], strict=True))
    out.append(verify.check_bound(TOPIC, "cell paths: without the cell path the c-c block's norm is below the cell "
                                  "path's alone and the full product's, every s shown",
                                  np.concatenate([paths.without_cell, paths.without_cell]),
                                  np.concatenate([paths.cell_only, paths.full]), strict=True))
    return out


def _measurement_checks() -> list[verify.Check]:
    out = []
    runs, x, u = driven()
    lstm = np.array([runs[f"LSTM, forget bias {fb:g}"].norms[-1] for fb in FORGET_BIASES])
    out.append(verify.check_bound(TOPIC, "LSTM gradient at lag 100 grows with the forget bias 0, 1, 3",
                                  lstm[:-1], lstm[1:], strict=True))
    out.append(verify.check_bound(TOPIC, "zero biases: the gradient at lag 100 is below 1e-15, LSTM, GRU and RNN",
                                  np.array([runs[k].norms[-1] for k in ("LSTM, forget bias 0", "GRU, update bias 0", "RNN")]),
                                  1e-15))
    gru = [runs[f"GRU, update bias {ub:g}"].norms[-1] for ub in UPDATE_BIASES]
    out.append(verify.check_bound(TOPIC, "GRU gradient at lag 100 grows with the update bias 0, 3",
                                  gru[0], gru[1], strict=True))
    for kind in ("LSTM", "GRU"):
        labels = [k for k, r in runs.items() if r.kind == kind]
        out.append(verify.check_values(
            TOPIC, f"{kind}: the direct path alone equals the product of the {_gate(kind)} gates, "
            "every lag and bias",
            "closed-form", np.concatenate([runs[k].direct for k in labels]),
            np.concatenate([gate_product_by_lag(kind, x, runs[k].params, u, LAGS) for k in labels])))
    big = [runs["LSTM, forget bias 3"], runs["GRU, update bias 3"]]
    out.append(verify.check_bound(TOPIC, "bias 3: the direct path alone carries less than the whole gradient "
                                  "at lag 100, LSTM and GRU", np.array([r.direct[-1] for r in big]),
                                  np.array([r.norms[-1] for r in big]), strict=True))
    rest = at_rest()
    out.append(verify.check_bound(TOPIC, "at rest the state stays exactly 0, all four models",
                                  np.array([np.max(np.abs(_rest_state(r))) for r in rest.values()]), 0.0))
    out.append(verify.check_bound(
        TOPIC, "at rest the measured growth per step is within 1 % of ρ, all four models",
        np.array([abs(measured_rate(r.norms) / r.rho - 1) for r in rest.values()]), 0.01))
    out.append(verify.check_bound(
        TOPIC, "ρ at rest below 1, LSTM forget bias 0 and GRU update bias 3",
        np.array([rest["LSTM, forget bias 0"].rho, rest["GRU, update bias 3"].rho]), 1.0, strict=True))
    out.append(verify.check_bound(TOPIC, f"ρ at rest above 1, LSTM forget bias 3 and GRU with zero biases and weights "
                                  f"x{GRU_SCALE:g}", np.ones(2),
                                  np.array([rest["LSTM, forget bias 3"].rho,
                                            rest[f"GRU, zero biases, weights x{GRU_SCALE:g}"].rho]), strict=True))
    grus = [r for r in rest.values() if r.kind == "GRU"]
    norms = [np.linalg.norm(rest_jacobian_numeric("GRU", r.params), 2) for r in grus]
    out.append(verify.check_bound(
        TOPIC, "GRU at rest: ρ ≤ ‖J‖₂ ≤ max u + max((1 - u) r) ‖W_hh̃‖₂, both GRUs",
        np.array([r.rho for r in grus] + norms), np.array(norms + [gru_rest_bound(r.params) for r in grus])))
    out.append(verify.check_bound(TOPIC, "GRU update bias 3: the bound on ‖J‖₂ at rest is below 1",
                                  gru_rest_bound(rest["GRU, update bias 3"].params), 1.0, strict=True))
    params = rest["LSTM, forget bias 3"].params
    A, B = rest_state_factors(params)
    out.append(verify.check_values(TOPIC, "LSTM forget bias 3: the (h, c) Jacobian at rest is A B, "
                                   "A = [diag(o); I], B = [diag(i) W_hc̃, diag(f)]", "central-difference",
                                   state_jacobian_at_rest(params), A @ B))
    out.append(verify.check_values(TOPIC, "LSTM forget bias 3: B A is dc_t/dc_t-1 at rest", "float64",
                                   B @ A, rest_jacobian_numeric("LSTM", params)))
    return out


def _backward_checks(label: str, forward, backward, args: list, names: tuple, rng) -> list[verify.Check]:
    """``backward``'s gradient for every argument of ``forward`` against the complex step,
    entry by entry, with a random dl_t/dh_t on every step."""
    h, cache = forward(*args)
    dh = rng.standard_normal(h.shape)
    grads = backward(dh, cache)
    T_, N, n_in = args[0].shape
    dims = f"T = {T_}, N = {N}, n = {n_in}, m = {h.shape[2]}"
    out = []
    for j, name in enumerate(names):
        def f(v, j=j):
            return forward(*args[:j], v, *args[j + 1:])[0]
        out.append(verify.check_vjp(f, lambda _, j=j: grads[j], args[j],
                                    name=f"{label}: dL/d{name} against the complex step, {dims}", topic=TOPIC,
                                    dout=dh, rng=rng, method="complex-step", every_entry=True))
    return out


def _display_checks(rng) -> list[verify.Check]:
    """The displayed forward equations against the NumPy code, and what the text says about
    the models' structure."""
    out = []
    T_, N, n_in, width = 3, 2, 3, 2
    dims = f"T = {T_}, N = {N}, n = {n_in}, m = {width}"
    x = rng.standard_normal((T_, N, n_in))
    h0, c0 = rng.standard_normal((N, width)), rng.standard_normal((N, width))
    W_ih, W_hh, b = init_lstm(n_in, width, rng)
    b = b + 0.5 * rng.standard_normal(4 * width)
    lstm_p = (W_ih, W_hh, b)
    h, _ = lstm_np.lstm_forward(x, h0, c0, *lstm_p)
    model = lstm_model(width, n_in)
    stacked = dict(zip(("W_{ih}", "W_{hh}", "b"), lstm_p))
    shown = np.stack([forward_from_display(model, x[:, k], {"h": h0[k], "c": c0[k]}, stacked)
                      for k in range(N)], axis=1)
    out.append(verify.check_values(TOPIC, f"lstm_forward computes the displayed LSTM, {dims}",
                                   "sympy-vs-numpy", h, shown))
    swap = np.r_[width:2 * width, 0:width, 2 * width:4 * width]      # input and forget blocks swapped
    swapped = lstm_np.lstm_forward(x, h0, c0, W_ih[swap], W_hh[swap], b[swap])[0]
    out.append(verify.check_bound(TOPIC, "lstm_forward with the input and forget blocks swapped computes a "
                                  "different function", 1e-3, np.max(np.abs(swapped - h))))
    W_ih, W_hh, b_ih, b_hh = init_gru(n_in, width, rng)
    gru_p = (W_ih, W_hh, b_ih + 0.5 * rng.standard_normal(3 * width), 0.5 * rng.standard_normal(3 * width))
    h, cache = gru_np.gru_forward(x, h0, *gru_p)
    model = gru_model(width, n_in)
    shown = np.stack([forward_from_display(model, x[:, k], {"h": h0[k]},
                                           dict(zip(("W_{ih}", "W_{hh}", "b_{ih}", "b_{hh}"), gru_p)))
                      for k in range(N)], axis=1)
    out.append(verify.check_values(TOPIC, f"gru_forward computes the displayed GRU, {dims}",
                                   "sympy-vs-numpy", h, shown))
    after = cache.gates[0, :, 2 * width:]
    out.append(verify.check_bound(TOPIC, "the reset gate after W_hh̃ (frameworks) and before it (Cho et al.) "
                                  "give different candidates", 1e-3,
                                  np.max(np.abs(after - reset_before_candidate(x[0], h0, *gru_p)))))
    # the paths besides the direct one are not zero: keeping only diag(f_t) is a wrong gradient
    for model, via in ((lstm_model(JACOBIAN_WIDTH, 1), "h_t-1"), (gru_model(JACOBIAN_WIDTH, 1), "the gates")):
        others = jacobians(model.name)[2]
        point = {s: sp.Rational(int(rng.integers(-9, 10)), 7) for s in sorted(others.free_symbols, key=str)}
        out.append(verify.check_bound(TOPIC, f"{model.name}: the paths through {via} are not zero at a random "
                                      "point", 1e-3, float(others.xreplace(point).evalf(30).norm())))
    for n_in_, width_ in ((3, 5), (N_IN, M_HIDDEN)):
        got = [sum(a.size for a in init(n_in_, width_, rng)) for init in (init_lstm, init_gru)]
        want = [int(PARAMETER_COUNTS[k].subs({n: n_in_, m: width_})) for k in ("LSTM", "GRU")]
        out.append(verify.check_values(TOPIC, f"init_lstm and init_gru hold the displayed parameter counts, "
                                       f"n = {n_in_}, m = {width_}", "sympy-vs-numpy", got, want))
    return out


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the LSTM and GRU backward passes and one-step Jacobians proved
    at the sizes of PROOF_SIZES, the NumPy kernels compared, the experiments of the page run."""
    rng = np.random.default_rng(seed)
    out = list(proofs()) + _display_checks(rng)
    T_, N, n_in, width = 20, 3, 4, 5
    x = rng.standard_normal((T_, N, n_in))
    h0, c0 = rng.standard_normal((N, width)), rng.standard_normal((N, width))
    W_ih, W_hh, b = init_lstm(n_in, width, rng, forget_bias=1.0)
    b = b + 0.1 * rng.standard_normal(b.shape)
    out += _backward_checks("lstm_backward", lstm_np.lstm_forward, lstm_np.lstm_backward,
                            [x, h0, c0, W_ih, W_hh, b], ("x_t", "h_0", "c_0", "W_ih", "W_hh", "b"), rng)
    W_ih, W_hh, b_ih, b_hh = init_gru(n_in, width, rng)
    b_ih, b_hh = b_ih + 0.1 * rng.standard_normal(3 * width), 0.1 * rng.standard_normal(3 * width)
    out += _backward_checks("gru_backward", gru_np.gru_forward, gru_np.gru_backward,
                            [x, h0, W_ih, W_hh, b_ih, b_hh],
                            ("x_t", "h_0", "W_ih", "W_hh", "b_ih", "b_hh"), rng)
    return out + _measurement_checks() + _cell_path_checks()


# ---------------------------------------------------------------- what the page shows

def _tex(expr) -> str:
    # the upper limit T of a sum printed as {T}: common.tex turns every "^{T}" into a transpose
    return tex(expr, names={T: "{T}"})


def _rows(pairs, split=(), products=False) -> list[str]:
    """One aligned row per equation; a sum whose left-hand side is in ``split`` puts each of
    its further terms on a line of its own (narrow screens), and with ``products`` so does a ⊙
    product of four or more factors, after its first two (:func:`_split_products`)."""
    rows = []
    for lhs, rhs in pairs:
        if products and isinstance(rhs, HadamardProduct) and len(rhs.args) >= 4:
            first, rest = _split_products(rhs)
            rows += [f"{_tex(lhs)} &= {first}", f"&{rest}"]
        elif lhs in split and isinstance(rhs, sp.MatAdd):
            first, *rest = rhs.args
            rows.append(f"{_tex(lhs)} &= {_tex(first)}")
            rows += [f"&\\quad {{}} + {_tex(term)}" for term in rest]
        else:
            rows.append(f"{_tex(lhs)} &= {_tex(rhs)}")
    return rows


def _stacking(model: Model) -> str:
    """The stacked matrices, two per line."""
    parts = [f"{_tex(sym)} &= {_tex(stack)}" for sym, stack in model.stacking]
    return aligned([r", \qquad & ".join(parts[k:k + 2]) for k in range(0, len(parts), 2)])


def _path_lines(model: Model) -> str:
    """The one-step Jacobian, the direct path on the first line and each other path on its
    own line (printed from the terms of the proved expression)."""
    lhs, direct, others = model.jacobian
    if model.name == "LSTM":             # [t1 + t2 + t3] diag(...)
        bracket, tail = others.args
        first, *terms = [_tex(a) for a in bracket.args]
        return aligned([f"{_tex(lhs)} &= {_tex(direct)}", f"&\\quad {{}} + \\bigl[{first}",
                         *[f"&\\qquad {{}} + {t}" for t in terms[:-1]], f"&\\qquad {{}} + {terms[-1]}\\bigr]",
                         f"&\\quad {{}} \\cdot {_tex(tail)}"])
    first, second = others.args           # t1 + diag(...) [a + b]
    scale, (a, b) = second.args[0], second.args[1].args
    return aligned([f"{_tex(lhs)} &= {_tex(direct)}", f"&\\quad {{}} + {_tex(first)}",
                     f"&\\quad {{}} + {_tex(scale)}", f"&\\qquad {{}} \\cdot \\bigl[{_tex(a)}",
                     f"&\\qquad\\quad {{}} + {_tex(b)}\\bigr]"])


def _rest_equation(model: Model) -> str:
    lhs = model.jacobian[0]
    formula, gates = model.rest
    direct, weighted = formula.args
    values = [f"{_tex(k)} = {_tex(v)}" for k, v in gates.items()]
    return aligned([rf"\left.{_tex(lhs)}\right|_{{\text{{rest}}}} &= {_tex(direct)}",
                     rf"&\quad {{}} + {_tex(weighted)},", rf"&\text{{with }} {values[0]},"]
                    + [rf"&\phantom{{\text{{with }}}} {v}" + ("," if k < len(values) - 2 else "")
                       for k, v in enumerate(values[1:])])


def _split(expr) -> list[str]:
    """A sum's terms, the first on the relation's row and each other on a row of its own."""
    if isinstance(expr, sp.MatAdd):
        first, *rest = expr.args
        return [_tex(first)] + [f"\\quad {{}} + {_tex(term)}" for term in rest]
    return [_tex(expr)]


def _split_products(expr) -> list[str]:
    """:func:`_split`, and a ⊙ product of four or more factors with its first two factors on the
    relation's row and the others on a row of their own."""
    if isinstance(expr, HadamardProduct) and len(expr.args) >= 4:
        return [_tex(had(*expr.args[:2])), rf"\qquad {{}} \odot {_tex(had(*expr.args[2:]))}"]
    return _split(expr)


def _chain(lhs, rows, printed=None, split=_split) -> list[str]:
    """lhs = rows[0] = rows[1] = ..., one relation per row, long sums split (narrow screens)."""
    out = []
    for k, row in enumerate(rows):
        first, *more = [printed(row)] if printed else split(row)
        out.append(f"{(printed or _tex)(lhs) if k == 0 else ''} &= {first}")
        out += [f"&{term}" for term in more]
    return out


def _hand_exhibits() -> dict:
    steps = lstm_hand_steps()
    L_ = lstm_model()
    lhs, rows, _, _ = weight_steps()
    return {
        "eq_hand_h": Equation(aligned(_chain(steps["h"].lhs, steps["h"].rows)), proofs=("LSTM by hand, dL/dh_t",)),
        "eq_hand_c": Equation(aligned(_chain(steps["c"].lhs, steps["c"].rows)), proofs=("LSTM by hand, dL/dc_t",)),
        "eq_hand_values": Equation(aligned([r for g in L_.gates for r in _chain(steps[f"value {g}"].lhs, steps[f"value {g}"].rows)]),
                                   proofs=("LSTM by hand: dL/d",)),
        "eq_hand_deltas": Equation(aligned([r for g in L_.gates for r in _chain(steps[f"delta {g}"].lhs, steps[f"delta {g}"].rows)]),
                                   proofs=("LSTM by hand: delta^", "LSTM by hand: the VJP of")),
        "eq_hand_w": Equation(aligned(_chain(lhs, rows, _index_tex)), proofs=("LSTM by hand, dL/d(W_hh)_jk",)),
    }


def _gru_hand_exhibits() -> dict:
    steps = gru_hand_steps()
    G_ = gru_model()
    chain = lambda *keys: aligned([r for k in keys for r in _chain(steps[k].lhs, steps[k].rows,  # noqa: E731
                                                                    split=_split_products)])
    lhs, rows, _, _ = weight_steps("GRU")
    return {
        "eq_gru_hand_h": Equation(chain("h"), proofs=("GRU by hand, dL/dh_t: the gradients", "GRU by hand, dL/dh_t: (d",
                                                      "GRU by hand, dL/dh_t: diag")),
        "eq_gru_hand_hh": Equation(chain("hh"), proofs=("GRU by hand, dL/dh_t: the pre-activations",
                                                        "GRU by hand, dL/dh_t: W_hh^T")),
        "eq_gru_hand_values": Equation(chain(*(f"value {g}" for g in G_.gates[::-1])), proofs=("GRU by hand: dL/d",)),
        "eq_gru_hand_deltas": Equation(chain(*(f"delta {g}" for g in G_.gates[::-1])),
                                       proofs=("GRU by hand: delta^", "LSTM by hand: the VJP of")),
        "eq_gru_hand_reset": Equation(chain("reset", "reset ih"), proofs=("GRU by hand: the candidate's block",)),
        "eq_gru_hand_w": Equation(aligned(_chain(lhs, rows, _index_tex)), proofs=("GRU by hand, dL/d(W_hh)_jk",)),
    }


def _cell_exhibits() -> dict:
    p = cell_paths()
    fmt = lambda v: "0" if v == 0 else (f"{v:.3f}" if v >= 0.01 else f"{v:.1e}")  # noqa: E731
    return {
        "cell_n": str(CELL_N), "cell_m": str(CELL_M), "cell_steps": str(CELL_STEPS),
        "cell_bias": f"{CELL_FORGET_BIAS:g}", "cell_f_mean": f"{p.forget.mean():.2f}",
        "cell_step": f"{p.cell.mean():.2f}", "cell_through": f"{p.through_h.mean():.2f}",
        "cell_last_s": str(CELL_LAGS[-1]), "cell_only_end": fmt(p.cell_only[-1]), "cell_full_end": fmt(p.full[-1]),
        "cell_without_end": fmt(p.without_cell[-1]),
        "fig_cell_paths": cell_path_graph(p),
        "cell_table": Table(["$s$", "cell path only", "all paths", "no cell path"],
                            [(str(s), fmt(a), fmt(b), fmt(c)) for s, a, b, c in
                             zip(CELL_LAGS, p.cell_only, p.full, p.without_cell)], "rrrr"),
    }


def _gates_figure() -> Figure:
    runs, _, _ = driven()
    colors = {"RNN": "0.45", "LSTM, forget bias 0": "C0", "LSTM, forget bias 1": "C2",
              "LSTM, forget bias 3": "C1", "GRU, update bias 0": "C0", "GRU, update bias 3": "C1"}
    panels = []
    for kind in ("LSTM", "GRU"):
        curves = [Curve(LAGS, runs["RNN"].norms, f"RNN, ρ(W_hh) = {RNN_RADIUS:g}", "-", colors["RNN"])]
        for label, run in runs.items():
            if run.kind != kind:
                continue
            bias = label.split("bias ")[1]
            curves.append(Curve(LAGS, run.norms, f"bias {bias}", "-", colors[label]))
            if bias == "3":
                curves.append(Curve(LAGS, run.direct, "bias 3, direct path only", "--", colors[label]))
        panels.append(Panel(curves, title=f"{kind}, {_gate(kind)}-gate bias", xlabel="lag T − j",
                            ylabel="gradient norm" if kind == "LSTM" else "", yscale="log",
                            legend_loc="lower left"))
    return Figure(panels, size=(8, 3.6), sharey=True)


def _explode_figure() -> Figure:
    curves = []
    for k, (label, run) in enumerate(at_rest().items()):
        color = f"C{k}"
        curves.append(Curve(LAGS, run.norms, label, "-", color))
        curves.append(Curve(LAGS, run.norms[-1] * run.rho ** (LAGS - LAGS[-1]), None, ":", color))
    return Figure([Panel(curves, xlabel="lag T − j", ylabel="gradient norm", yscale="log",
                         legend_loc="lower left")], size=(6.4, 3.6))


def _e(v: float) -> str:
    return f"{v:.1e}"


def exhibits() -> dict:
    """What the LSTM/GRU page shows, every formula printed from the expression a check proved."""
    L, G_ = lstm_model(), gru_model()
    runs, _, _ = driven()
    rest = at_rest()
    fb3, ub3 = runs["LSTM, forget bias 3"], runs["GRU, update bias 3"]
    sizes = ", and ".join(f"$T = {s}$ with $m = {w}$, $n = {i}$" for s, w, i in PROOF_SIZES)
    gates_rows = []
    for label, run in runs.items():
        rnn = run.kind == "RNN"
        gates_rows.append((f"RNN, $\\rho(W_{{hh}}) = {RNN_RADIUS:g}$" if rnn else label, _e(run.norms[-1]),
                           "" if rnn else _e(run.direct[-1]), "" if rnn else f"{run.gate_mean:.3f}"))
    rest_rows = [(label, f"{r.rho:.3f}", f"{measured_rate(r.norms):.3f}", _e(r.norms[-1]))
                 for label, r in rest.items()]
    sig3 = float(np_sigmoid(np.array(3.0)))
    W_rnn = runs["RNN"].params[1]
    backward = {name: (f"{name} backward: dL/d", f"{name} induction") for name in ("LSTM", "GRU")}
    return {
        "eq_lstm": Equation(aligned(_rows(L.forward)), definition=True),
        "eq_lstm_stack": Equation(_stacking(L), definition=True),
        "eq_lstm_backward": Equation(aligned(_rows(L.backward, split=[L.lhs("dc")])), proofs=backward["LSTM"]),
        "eq_lstm_grads": Equation(aligned(_rows(L.gradients)), proofs=backward["LSTM"]),
        "eq_gru": Equation(aligned(_rows(G_.forward)), definition=True),
        "eq_gru_stack": Equation(_stacking(G_), definition=True),
        "eq_gru_backward": Equation(aligned(_rows(G_.backward, split=[G_.lhs("dh")], products=True)),
                                    proofs=backward["GRU"]),
        "eq_gru_grads": Equation(aligned(_rows(G_.gradients)), proofs=backward["GRU"]),
        "eq_lstm_path": Equation(_path_lines(L), proofs=("LSTM dc_t/dc_t-1 = diag(f_t) + the paths through h_t-1",)),
        "eq_gru_path": Equation(_path_lines(G_), proofs=("GRU dh_t/dh_t-1 = diag(u_t) + the paths through the gates",)),
        "eq_lstm_rest": Equation(_rest_equation(L), proofs=("LSTM dc_t/dc_t-1 at rest",)),
        "eq_gru_rest": Equation(_rest_equation(G_), proofs=("GRU dh_t/dh_t-1 at rest",)),
        "proof_sizes": Markdown(sizes),
        "count_lstm": Markdown(f"${_tex(PARAMETER_COUNTS['LSTM'])}$"),
        "count_gru": Markdown(f"${_tex(PARAMETER_COUNTS['GRU'])}$"),
        "count_ratio": Markdown(f"${_tex(PARAMETER_RATIO_LIMIT)}$"),
        "t_measure": str(T_MEASURE), "n_in": str(N_IN), "m_hidden": str(M_HIDDEN),
        "rnn_rho": f"{np.max(np.abs(np.linalg.eigvals(W_rnn))):.2g}",
        "rnn_lag": _e(runs["RNN"].norms[-1]),
        "sig3": f"{sig3:.3f}", "sig3_pow": _e(sig3 ** T_MEASURE),
        "lstm0_gate": f"{runs['LSTM, forget bias 0'].gate_mean:.2f}",
        "lstm0_lag": _e(runs["LSTM, forget bias 0"].norms[-1]),
        "gru0_lag": _e(runs["GRU, update bias 0"].norms[-1]),
        "lstm1_lag": _e(runs["LSTM, forget bias 1"].norms[-1]),
        "lstm3_gate": f"{fb3.gate_mean:.3f}", "lstm3_lag": f"{fb3.norms[-1]:.2f}",
        "lstm3_direct": _e(fb3.direct[-1]), "lstm3_ratio": f"{fb3.norms[-1] / fb3.direct[-1]:.0f}",
        "gru3_ratio": f"{ub3.norms[-1] / ub3.direct[-1]:.1f}", "gru3_lag": _e(ub3.norms[-1]),
        "gru3_direct": _e(ub3.direct[-1]),
        "rho_lstm0": f"{rest['LSTM, forget bias 0'].rho:.3f}",
        "rho_lstm3": f"{rest['LSTM, forget bias 3'].rho:.3f}",
        "rho_gru3": f"{rest['GRU, update bias 3'].rho:.3f}",
        "gru3_bound": f"{gru_rest_bound(rest['GRU, update bias 3'].params):.3f}",
        "rho_gru_scaled": f"{rest[f'GRU, zero biases, weights x{GRU_SCALE:g}'].rho:.3f}",
        "gru_scale": f"{GRU_SCALE:g}",
        "gates_table": Table(["model", "at lag 100", "direct path only", "mean gate"], gates_rows, "lrrr"),
        "explode_table": Table(["model", "$\\rho$", "measured per step", "at lag 100"], rest_rows, "lrrr"),
        "fig_gates": _gates_figure(),
        "fig_explode": _explode_figure(),
    } | _hand_exhibits() | _gru_hand_exhibits() | _cell_exhibits()


def cell_path_graph(paths: CellPaths | None = None) -> Graph:
    """The two ways back from c_t to c_t-1 through one LSTM step, each labelled with the 2-norm
    of its one-step Jacobian averaged over the run of :func:`cell_paths`: the cell path
    diag(f_t), and the paths through h_t-1 = o_t-1 * tanh(c_t-1) and the gates."""
    p = cell_paths() if paths is None else paths
    nodes = [Node("c_prev", "$c_{t-1}$", 0, 0), Node("toh", r"$o_{t-1} \odot \tanh$", 1.6, 1, True),
             Node("h_prev", "$h_{t-1}$", 1.6, 2), Node("mulf", r"$\odot\, f_t$", 0, 2, True),
             Node("gates", r"gates $i_t, f_t, \tilde c_t$", 1.6, 3, True), Node("add", "$+$", 0, 4, True),
             Node("c_t", "$c_t$", 0, 5)]
    edges = [Edge("c_prev", "mulf", "cell path", f"{p.cell.mean():.2f}", side="left"),
             Edge("mulf", "add", side="left"), Edge("c_prev", "toh"), Edge("toh", "h_prev"),
             Edge("h_prev", "gates", "through $h_{t-1}$", f"{p.through_h.mean():.2f}"), Edge("gates", "add"),
             Edge("add", "c_t")]
    return Graph(nodes, edges, unit=(1.2, 0.7), key=("", "2-norm of the step's Jacobian, mean over the run"))
