"""Backpropagation through the two-layer network: derived and proved with SymPy, its cost counted.

The network (one sample, column vectors, docs/notation.md) is defined once, in :func:`model`:
z1 = W1 x + b1, h = f(z1), y_hat = W2 h + b2, L = 1/2 (y_hat - y)^T (y_hat - y), with x in
R^n, W1 (m, n), W2 (p, m) and f an undefined SymPy function (so the proofs cover the sigmoid,
tanh and every other differentiable f). The page prints these definitions; the proofs evaluate
the same definitions on explicit matrices of symbols (``common.explicit``) and differentiate the
loss; and a check substitutes f = sigmoid, tanh, ReLU into them and compares the loss and the
gradients with the NumPy code. So the displayed model, the proofs and the code cannot diverge.

Each gradient is written once as a matrix-symbol expression (what the page shows, with its
shape) and proved equal to SymPy's ``diff`` of the loss at two sizes (n, m, p), so that no size
can be printed into a general formula. The batched form (N samples as rows) likewise.

The cost of the passes is counted three ways that must agree: :func:`pass_costs` (the formula
the page states), the matrix products of the proved formulas (:func:`formula_costs`), and the
multiply-adds of the matrix products NumPy performs while the code runs
(:func:`count_multiply_adds`). :func:`exhibits` is everything the page shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table, aligned
from ..numeric import activations as activations_np
from ..numeric import backprop as backprop_np
from ..numeric.hadamard import elementwise_backward
from .common import explicit, matrix, tex, vector
from .index_notation import GradientClaim, vjp_claim
from .index_steps import Partial, StepChain, entry_of, evaluator, products_of_shape

__all__ = ["Gradient", "single_sample", "batched", "model", "auxiliary", "prove",
           "jacobian_chain_rule", "vector_chain_rule", "pass_costs", "formula_costs",
           "count_multiply_adds", "checks", "exhibits"]

TOPIC = "backprop"
#: The sizes (n, m, p) at which the single-sample gradients are proved, and (N, n, m, p) for a batch.
PROOF_SIZES = ((3, 2, 2), (2, 1, 3))
BATCH_PROOF_SIZES = ((3, 2, 1, 2), (2, 3, 2, 2))
DISPLAY_DIMS = sp.symbols("n m p", positive=True, integer=True)
BATCH_DISPLAY_DIMS = sp.symbols("N n m p", positive=True, integer=True)
HP = sp.HadamardProduct
LOSS = sp.Symbol("L")
_f = sp.Function("f")
_t, _s = sp.symbols("t s", real=True)


def fprime(f=_f) -> sp.Lambda:
    """t -> f'(t) (the derivative of f at s, evaluated at s = t): as SymPy writes it when it
    differentiates f(z) for an expression z."""
    return sp.Lambda(_t, sp.Subs(sp.diff(f(_s), _s), _s, _t))


def elementwise(f, Z):
    """f applied to every entry of the matrix expression Z."""
    return ElementwiseApplyFunction(f, Z)


@dataclass(frozen=True)
class Gradient:
    """One gradient: its name, the quantity it is of, and its closed form."""

    name: str        # e.g. "dL/dW2"
    of: str          # the key in the symbols dict of the quantity differentiated against
    closed_form: sp.Expr


# ----------------------------------------------------------------------------- the network


def single_sample(n, m, p):
    """The network's symbols and the closed-form gradients for one sample, widths n, m, p."""
    S = {k: sp.MatrixSymbol(k, *shape) for k, shape in {
        "x": (n, 1), "W1": (m, n), "b1": (m, 1), "W2": (p, m), "b2": (p, 1), "y": (p, 1),
        "z1": (m, 1), "h": (m, 1), "y_hat": (p, 1),
        "delta2": (p, 1), "fprime_z1": (m, 1), "delta1": (m, 1),
    }.items()}
    grads = [
        Gradient("dL/dy_hat", "y_hat", S["y_hat"] - S["y"]),
        Gradient("dL/dW2", "W2", S["delta2"] * S["h"].T),
        Gradient("dL/db2", "b2", S["delta2"]),
        Gradient("dL/dh", "h", S["W2"].T * S["delta2"]),
        Gradient("dL/dz1", "z1", HP(S["W2"].T * S["delta2"], S["fprime_z1"])),
        Gradient("dL/dW1", "W1", S["delta1"] * S["x"].T),
        Gradient("dL/db1", "b1", S["delta1"]),
    ]
    return S, grads


def batched(N, n, m, p):
    """Symbols and closed forms for a batch of N samples stored as the rows of X (N, n)."""
    S = {k: sp.MatrixSymbol(k, *shape) for k, shape in {
        "X": (N, n), "W1": (m, n), "b1": (m, 1), "W2": (p, m), "b2": (p, 1), "Y": (N, p),
        "Z1": (N, m), "H": (N, m), "Y_hat": (N, p),
        "Delta2": (N, p), "fprime_Z1": (N, m), "Delta1": (N, m), "ones": (N, 1),
    }.items()}
    grads = [
        Gradient("dL/dY_hat", "Y_hat", (S["Y_hat"] - S["Y"]) / N),
        Gradient("dL/dW2", "W2", S["Delta2"].T * S["H"]),
        Gradient("dL/db2", "b2", S["Delta2"].T * S["ones"]),
        Gradient("dL/dH", "H", S["Delta2"] * S["W2"]),
        Gradient("dL/dZ1", "Z1", HP(S["Delta2"] * S["W2"], S["fprime_Z1"])),
        Gradient("dL/dW1", "W1", S["Delta1"].T * S["X"]),
        Gradient("dL/db1", "b1", S["Delta1"].T * S["ones"]),
    ]
    return S, grads


def model(S, f=_f) -> list[tuple]:
    """The network's definitions in order, (quantity, definition): what the page prints and
    what the proofs evaluate and differentiate. ``S`` from :func:`single_sample` or :func:`batched`."""
    if "x" in S:
        r = S["y_hat"] - S["y"]
        return [(S["z1"], S["W1"] * S["x"] + S["b1"]),
                (S["h"], elementwise(f, S["z1"])),
                (S["y_hat"], S["W2"] * S["h"] + S["b2"]),
                (LOSS, sp.MatMul(sp.Rational(1, 2), sp.Transpose(r), r))]
    N = S["X"].shape[0]
    R = S["Y_hat"] - S["Y"]
    return [(S["Z1"], S["X"] * S["W1"].T + S["ones"] * S["b1"].T),
            (S["H"], elementwise(f, S["Z1"])),
            (S["Y_hat"], S["H"] * S["W2"].T + S["ones"] * S["b2"].T),
            (LOSS, sp.Trace(sp.MatMul(sp.Transpose(R), R)) / (2 * N))]


def _by_of(grads) -> dict:
    return {g.of: g for g in grads}


def auxiliary(S, grads, f=_f) -> list[tuple]:
    """The named intermediate results of the backward pass: f'(z1) and the deltas, each defined
    by the closed form that a check proves."""
    g = _by_of(grads)
    if "x" in S:
        return [(S["fprime_z1"], elementwise(fprime(f), S["z1"])),
                (S["delta2"], g["y_hat"].closed_form), (S["delta1"], g["z1"].closed_form)]
    return [(S["fprime_Z1"], elementwise(fprime(f), S["Z1"])),
            (S["Delta2"], g["Y_hat"].closed_form), (S["Delta1"], g["Z1"].closed_form)]


def as_matrix(expr, values: dict):
    """``common.explicit``, but a matrix expression stays a matrix when it is 1 x 1 (p = 1)."""
    out = explicit(expr, values)
    return sp.Matrix([[out]]) if getattr(expr, "is_Matrix", False) and not isinstance(out, sp.MatrixBase) else out


def evaluate(definitions, values: dict, free: dict | None = None) -> dict:
    """``values`` (explicit matrices for the inputs) extended by every defined quantity, in
    order; a quantity in ``free`` takes that value instead of its definition."""
    V = dict(values)
    for what, definition in definitions:
        if free and what in free:
            V[what] = free[what]
        else:   # the loss is a number, every other quantity a matrix (also when it is 1 x 1)
            V[what] = as_matrix(definition, V) if what.is_Matrix else explicit(definition, V)
    return V


def _symbolic_inputs(S) -> dict:
    if "x" in S:
        (n, _), (m, _), (p, _) = S["x"].shape, S["b1"].shape, S["y"].shape
        return {S["x"]: vector("x", n), S["W1"]: matrix("w1", m, n), S["b1"]: vector("b1", m),
                S["W2"]: matrix("w2", p, m), S["b2"]: vector("b2", p), S["y"]: vector("y", p)}
    (N, n), (m, _), (p, _) = S["X"].shape, S["b1"].shape, S["b2"].shape
    return {S["X"]: matrix("x", N, n), S["W1"]: matrix("w1", m, n), S["b1"]: vector("b1", m),
            S["W2"]: matrix("w2", p, m), S["b2"]: vector("b2", p), S["Y"]: matrix("y", N, p),
            S["ones"]: sp.ones(N, 1)}


def _diff_matrix(L, M: sp.Matrix) -> sp.Matrix:
    """The matrix of dL/dM_ij: SymPy's derivative, entry by entry."""
    return M.applyfunc(lambda e: sp.diff(L, e))


_PLAIN = {"dL/dy_hat": "y_hat - y", "dL/dW2": "delta2 h^T", "dL/db2": "delta2",
          "dL/dh": "W2^T delta2", "dL/dz1": "(W2^T delta2) ⊙ f'(z1)", "dL/dW1": "delta1 x^T",
          "dL/db1": "delta1",
          "dL/dY_hat": "(Y_hat - Y)/N", "dL/dW2 batch": "Delta2^T H", "dL/db2 batch": "Delta2^T 1",
          "dL/dH": "Delta2 W2", "dL/dZ1": "(Delta2 W2) ⊙ f'(Z1)",
          "dL/dW1 batch": "Delta1^T X", "dL/db1 batch": "Delta1^T 1"}


def _check_name(g: Gradient, batch: bool, sizes) -> str:
    plain = _PLAIN.get(g.name + " batch" if batch else g.name, _PLAIN.get(g.name))
    what = "(N, n, m, p)" if batch else "(n, m, p)"
    return f"{g.name} = {plain}: SymPy diff of L, {what} = {tuple(sizes)}"


def opaque(*exprs):
    """The expressions with every f(z) replaced by a symbol F_k and every f'(z) by a symbol D_k,
    one pair per distinct argument z, the same in all the expressions. An identity between the
    results, as polynomials in F_k, D_k and the network's symbols, holds for every f: it uses
    nothing about f and f' but that they are functions of z. (SymPy then compares polynomials,
    which is fast, instead of expressions in unevaluated derivatives.)"""
    F, D = {}, {}

    def value(e):
        return F.setdefault(e.args[0], sp.Symbol(f"F_{len(F)}"))

    def slope(e):
        return D.setdefault(e.point[0], sp.Symbol(f"D_{len(D)}"))

    def is_slope(e):
        return (isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative)
                and e.expr.expr.func == _f and len(e.point) == 1)

    out = []
    for e in exprs:
        e = e.replace(is_slope, slope)
        out.append(e.replace(lambda t: isinstance(t, AppliedUndef) and t.func == _f, value))
    return out


def prove(S, grads, sizes, batch: bool = False) -> list[verify.Check]:
    """Every closed form against SymPy's derivative of the model's loss, on explicit matrices."""
    inputs = _symbolic_inputs(S)
    V = evaluate(model(S) + auxiliary(S, grads), inputs)
    L = V[LOSS]

    def proof(g):
        q = S[g.of]
        if q in inputs:
            derived = _diff_matrix(L, inputs[q])
        else:   # a hidden quantity: free symbols in its place, then its value substituted
            free = matrix("free", *q.shape)
            L_q = evaluate(model(S), inputs, {q: free})[LOSS]
            derived = _diff_matrix(L_q, free).subs(dict(zip(free, V[q])))
        return verify.symbolic_identity(TOPIC, _check_name(g, batch, sizes),
                                        *opaque(derived, as_matrix(g.closed_form, V)))
    return [verify.timed(proof, g) for g in grads]


def prove_single_sample() -> list[verify.Check]:
    return [c for sizes in PROOF_SIZES for c in prove(*single_sample(*sizes), sizes)]


def prove_batched() -> list[verify.Check]:
    return [c for sizes in BATCH_PROOF_SIZES for c in prove(*batched(*sizes), sizes, batch=True)]


def size_claims() -> list[GradientClaim]:
    """Every gradient of the network at symbolic size (n, m, p for one sample; N, n, m, p for a
    batch), each as the vector-Jacobian product of the one definition that uses the quantity,
    with the upstream gradient (delta) a matrix of symbols: dL/dW2 is the VJP of y_hat's
    definition with delta2, dL/dz1 of y_hat's with h = f(z1) written in. The chain rule composes
    them into the whole network's gradient; each is instantiated at the explicit proof sizes."""
    m, n = sp.symbols("m n", positive=True, integer=True)
    W, x, grad_v = vector_chain_symbols(m, n)
    out = [vjp_claim("vector chain rule: grad_x l(W x) = W^T grad_v l", W * x, x, grad_v,
                     vector_chain_formula(m, n), (m, n), CHAIN_SIZES)]
    for batch in (False, True):
        dims = BATCH_DISPLAY_DIMS if batch else DISPLAY_DIMS
        S, grads = batched(*dims) if batch else single_sample(*dims)
        ones = {S["ones"]: sp.OneMatrix(dims[0], 1)} if batch else {}
        k = (lambda a, b: b) if batch else (lambda a, b: a)      # noqa: E731
        defs = {q: d.xreplace(ones) for q, d in model(S) + auxiliary(S, grads)}
        y_hat, z1, h = S[k("y_hat", "Y_hat")], S[k("z1", "Z1")], S[k("h", "H")]
        delta2, delta1 = S[k("delta2", "Delta2")], S[k("delta1", "Delta1")]
        fprime_z1 = S[k("fprime_z1", "fprime_Z1")]
        # the definition that uses each quantity, and the upstream gradient of its output
        uses = {y_hat: None, S["W2"]: (defs[y_hat], delta2), S["b2"]: (defs[y_hat], delta2),
                h: (defs[y_hat], delta2), z1: (defs[y_hat].xreplace({h: defs[h]}), delta2),
                S["W1"]: (defs[z1], delta1), S["b1"]: (defs[z1], delta1)}
        for g in grads:
            X = S[g.of]
            name = _check_name(g, batch, ()).split(":")[0]
            claim = g.closed_form.xreplace({**ones, fprime_z1: defs[fprime_z1]})
            instances = BATCH_PROOF_SIZES if batch else PROOF_SIZES
            if uses[X] is None:
                out.append(GradientClaim(name, defs[LOSS], X, claim, dims, instances))
            else:
                out.append(vjp_claim(name, *uses[X][:1], X, uses[X][1], claim, dims, instances))
    return out


#: The activations of the NumPy code, written in SymPy (independently of the NumPy code).
SYMPY_ACTIVATIONS = {"sigmoid": sp.Lambda(_t, 1 / (1 + sp.exp(-_t))),
                     "tanh": sp.Lambda(_t, sp.tanh(_t)),
                     "relu": sp.Lambda(_t, sp.Max(_t, 0))}


def model_against_numpy(activation: str, sizes, rng) -> verify.Check:
    """The model of the page with f substituted, evaluated in SymPy at random numbers, against
    the NumPy code's loss and gradients for the same sample (N = 1)."""
    n, m, p = sizes
    S, grads = single_sample(n, m, p)
    f = SYMPY_ACTIVATIONS[activation]
    arrays = {"x": rng.standard_normal(n), "W1": rng.standard_normal((m, n)), "b1": rng.standard_normal(m),
              "W2": rng.standard_normal((p, m)), "b2": rng.standard_normal(p), "y": rng.standard_normal(p)}
    inputs = {S[k]: sp.Matrix(v.reshape(v.shape[0], -1)) for k, v in arrays.items()}
    V = evaluate(model(S, f) + auxiliary(S, grads, f), inputs)
    by_of = _by_of(grads)
    sym = [float(V[LOSS])] + [float(e) for k in backprop_np.PARAMS for e in as_matrix(by_of[k].closed_form, V)]
    params = {k: arrays[k] for k in backprop_np.PARAMS}
    loss, g = backprop_np.two_layer_loss_and_grads(params, arrays["x"][None], arrays["y"][None], activation)
    got = [loss] + [e for k in backprop_np.PARAMS for e in g[k].ravel()]
    return verify.check_values(
        TOPIC, f"the model with f = {activation}: loss and gradients equal two_layer_loss_and_grads, "
               f"(n, m, p) = {sizes}", "sympy-vs-numpy", got, sym)


# ----------------------------------------------------------------------------- chain rule

_u = sp.Symbol("u", real=True)
# psi and phi, not g and h: on this page h is the hidden activation and y the target
_g, _h, _l = sp.Function("psi"), sp.Function("phi"), sp.Function("l")
#: The sizes (m, n) of W at which the vector chain rule is proved, and the sizes (k, n, m) of
#: psi: R^k -> R^n, phi: R^n -> R^m at which the Jacobian chain rule is.
CHAIN_SIZES = ((2, 3), (3, 2))
JACOBIAN_SIZES = ((2, 3, 2), (3, 2, 3))


def scalar_chain_rule():
    """(d/du phi(psi(u)) unevaluated, phi'(psi(u)) psi'(u) as an unevaluated product) for undefined
    phi, psi."""
    outer = sp.diff(_h(_t), _t).subs(_t, _g(_u))
    return sp.Derivative(_h(_g(_u)), _u), sp.Mul(outer, sp.diff(_g(_u), _u), evaluate=False)


def jacobian_chain_rule(k: int = 2, n: int = 3, m: int = 2):
    """(J of phi o psi at u, J_phi(psi(u)) J_psi(u)) for undefined psi: R^k -> R^n and phi: R^n ->
    R^m."""
    u = sp.Matrix(sp.symbols(f"u1:{k + 1}", real=True))
    ys = sp.symbols(f"v1:{n + 1}", real=True)
    gs = sp.Matrix([sp.Function(f"psi{i + 1}")(*u) for i in range(n)])
    hs = [sp.Function(f"phi{i + 1}") for i in range(m)]
    J_h = sp.Matrix([[sp.diff(hi(*ys), yj) for yj in ys] for hi in hs]).subs(dict(zip(ys, gs)))
    composed = sp.Matrix([hi(*gs) for hi in hs])
    return composed.jacobian(u), J_h * gs.jacobian(u)


def vector_chain_symbols(m, n):
    """W (m, n), x (n, 1) and the upstream gradient (m, 1) as matrix symbols."""
    return sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("x", n, 1), sp.MatrixSymbol("grad_v", m, 1)


def vector_chain_formula(m, n):
    """grad_x L = W^T grad_v L for v = W x: the formula the page shows."""
    W, _, gy = vector_chain_symbols(m, n)
    return W.T * gy


def vector_chain_rule(m: int, n: int):
    """(grad_x l(W x) by SymPy, the formula on explicit
    matrices) for an undefined l of m arguments."""
    W, x, gy = vector_chain_symbols(m, n)
    Wv, xv = matrix("w", m, n), vector("x", n)
    yv = Wv * xv
    ys = sp.symbols(f"v1:{m + 1}", real=True)
    grad_y = sp.Matrix([sp.diff(_l(*ys), yi) for yi in ys]).subs(dict(zip(ys, yv)))
    grad_x = sp.Matrix([sp.diff(_l(*yv), xi) for xi in xv])
    return grad_x, explicit(vector_chain_formula(m, n), {W: Wv, gy: grad_y})


def chain_rule_checks() -> list[verify.Check]:
    def scalar():
        lhs, rhs = scalar_chain_rule()
        return verify.symbolic_identity(TOPIC, "scalar chain rule: (phi o psi)' = phi'(psi) psi', phi and psi undefined",
                                        lhs.doit(), rhs)
    out = [verify.timed(scalar)]
    for k, n, m in JACOBIAN_SIZES:
        out.append(verify.timed(lambda: verify.symbolic_identity(
            TOPIC, f"Jacobian chain rule: J(phi o psi) = J_phi(psi) J_psi, psi: R^{k} to R^{n}, "
                   f"phi: R^{n} to R^{m} undefined", *jacobian_chain_rule(k, n, m))))
    for m, n in CHAIN_SIZES:
        out.append(verify.timed(lambda: verify.symbolic_identity(
            TOPIC, f"vector chain rule: grad_x l(W x) = W^T grad_v l, W {m}x{n}, l undefined",
            *vector_chain_rule(m, n))))
    return out


# ----------------------------------------------------------------------------- hand steps

# The entry indices of the hand derivations (i, j), the summation indices (k, and s over the
# samples of a batch), and the slacks that put the indices in range (index_steps).
_i, _j = sp.symbols("i j", integer=True, nonnegative=True)
_k, _r = sp.symbols("k s", integer=True, nonnegative=True)
_slack = sp.symbols("u v", integer=True, nonnegative=True)
# The quantities of each network in the order of the forward pass, each defined from the one
# before it (model); the deltas are the gradients at the pre-activations (notation).
_FORWARD = {False: ("z1", "h", "y_hat"), True: ("Z1", "H", "Y_hat")}
_DELTAS = {False: {"delta2": "y_hat", "delta1": "z1"}, True: {"Delta2": "Y_hat", "Delta1": "Z1"}}


def hand_step_evaluator(batch: bool = False):
    """The function that makes a displayed row of the network's hand derivations computable
    (:func:`~derivations.symbolic.index_steps.evaluator`): a delta is the partial derivative it is defined as
    (delta2_k = dL/dy_hat_k), f'(z1) its definition, the column of ones a OneMatrix."""
    S, grads = batched(*BATCH_DISPLAY_DIMS) if batch else single_sample(*DISPLAY_DIMS)
    ones = {S["ones"]: sp.OneMatrix(BATCH_DISPLAY_DIMS[0], 1)} if batch else {}
    defs = {q: d.xreplace(ones) for q, d in model(S)}
    fprime_of = S["fprime_Z1" if batch else "fprime_z1"]
    aux = dict(auxiliary(S, grads))[fprime_of]
    named = {S[d]: (lambda i, j, q=S[q]: Partial(LOSS, q[i, j])) for d, q in _DELTAS[batch].items()}
    named[fprime_of] = lambda i, j: aux[i, j]
    evaluate = evaluator(defs, [S[k] for k in _FORWARD[batch]], LOSS, named)
    return lambda expr: evaluate(sp.sympify(expr).xreplace(ones))


def _chain(name, rows, steps, sizes, evaluate, size_names="n, m, p", instance=None) -> StepChain:
    """A hand derivation of this page; an undecided step is evaluated at the small instance."""
    return StepChain(name, tuple(rows), tuple(steps), sizes, evaluate, size_names, (instance,))


def hand_steps() -> dict:
    """The hand derivations of the two-layer network's gradients, entry by entry: dL/dW2,
    dL/dh, dL/dz1 (= delta1) and dL/dW1 for one sample, and dL/dW2 for a batch; each a
    :class:`~derivations.symbolic.index_steps.StepChain` whose every equality is proved at symbolic size."""
    n, m, p = DISPLAY_DIMS
    S, grads = single_sample(n, m, p)
    g = _by_of(grads)
    W2, h, z1, y_hat, d2 = (S[k] for k in ("W2", "h", "z1", "y_hat", "delta2"))
    i, j, k, s = _i, _j, _k, _r
    u, v = _slack
    single = hand_step_evaluator()
    at = {n: 2, m: 2, p: 2, u: 1, v: 0, i: 0, j: 1}
    delta = sp.KroneckerDelta

    def weight_chain(w, z, d, a, sizes):
        """dL/dw_ij of the layer z = w a + b (keys of S), by hand: the chain rule through z,
        d = dL/dz and dz_k/dw_ij = [k = i] a_j, only k = i remains, an entry of d a^T."""
        W, Z, D, A = (S[key] for key in (w, z, d, a))
        rows = Z.shape[0]
        return _chain(f"dL/d{w} by hand", [
            Partial(LOSS, W[i, j]),
            sp.Sum(Partial(LOSS, Z[k, 0]) * Partial(Z[k, 0], W[i, j]), (k, 0, rows - 1)),
            sp.Sum(D[k, 0] * delta(k, i) * A[j, 0], (k, 0, rows - 1)),
            D[i, 0] * A[j, 0],
            entry_of(g[w].closed_form, i, j)],
            [f"the chain rule through {z}: dL/d{w}_ij = sum_k dL/d{z}_k d{z}_k/d{w}_ij",
             f"dL/d{z}_k = {d}_k and d{z}_k/d{w}_ij = delta_ki {a}_j",
             f"only k = i remains: sum_k {d}_k delta_ki {a}_j = {d}_i {a}_j",
             f"{d}_i {a}_j = ({d} {a}^T)_ij"],
            sizes, single, instance=at)

    out = {
        "W2": weight_chain("W2", "y_hat", "delta2", "h", {p: i + 1 + u, m: j + 1 + v}),
        "h": _chain("dL/dh by hand", [
            Partial(LOSS, h[j, 0]),
            sp.Sum(Partial(LOSS, y_hat[i, 0]) * Partial(y_hat[i, 0], h[j, 0]), (i, 0, p - 1)),
            sp.Sum(d2[i, 0] * W2[i, j], (i, 0, p - 1)),
            entry_of(g["h"].closed_form, j)],
            ["the chain rule through y_hat: dL/dh_j = sum_i dL/dy_hat_i dy_hat_i/dh_j",
             "dL/dy_hat_i = delta2_i and dy_hat_i/dh_j = W2_ij",
             "sum_i delta2_i W2_ij = (W2^T delta2)_j"],
            {m: j + 1 + v}, single, instance=at),
        "z1": _chain("dL/dz1 by hand", [
            Partial(LOSS, z1[j, 0]),
            sp.Sum(Partial(LOSS, h[k, 0]) * Partial(h[k, 0], z1[j, 0]), (k, 0, m - 1)),
            sp.Sum(Partial(LOSS, h[k, 0]) * fprime(_f)(z1[k, 0]) * delta(k, j), (k, 0, m - 1)),
            Partial(LOSS, h[j, 0]) * fprime(_f)(z1[j, 0]),
            entry_of(g["z1"].closed_form, j)],
            ["the chain rule through h: dL/dz1_j = sum_k dL/dh_k dh_k/dz1_j",
             "h_k = f(z1_k) depends on z1_j only if k = j: dh_k/dz1_j = f'(z1_k) delta_kj",
             "only k = j remains: dL/dz1_j = dL/dh_j f'(z1_j)",
             "dL/dh_j f'(z1_j) = ((W2^T delta2) ⊙ f'(z1))_j"],
            {m: j + 1 + v}, single, instance=at),
        "W1": weight_chain("W1", "z1", "delta1", "x", {m: i + 1 + u, n: j + 1 + v}),
    }
    N = BATCH_DISPLAY_DIMS[0]
    SB, bgrads = batched(*BATCH_DISPLAY_DIMS)
    Y_hat, H, D2, W2 = SB["Y_hat"], SB["H"], SB["Delta2"], SB["W2"]
    out["batch W2"] = _chain("dL/dW2 for a batch by hand", [
        Partial(LOSS, W2[i, j]),
        sp.Sum(Partial(LOSS, Y_hat[s, k]) * Partial(Y_hat[s, k], W2[i, j]), (k, 0, p - 1), (s, 0, N - 1)),
        sp.Sum(D2[s, k] * delta(k, i) * H[s, j], (k, 0, p - 1), (s, 0, N - 1)),
        sp.Sum(D2[s, i] * H[s, j], (s, 0, N - 1)),
        entry_of(_by_of(bgrads)["W2"].closed_form, i, j)],
        ["the chain rule through every entry of Y_hat: dL/dW2_ij = sum_s sum_k dL/dY_hat_sk dY_hat_sk/dW2_ij",
         "dL/dY_hat_sk = Delta2_sk and dY_hat_sk/dW2_ij = delta_ki H_sj",
         "only k = i remains: the sum over the samples s of Delta2_si H_sj",
         "sum_s Delta2_si H_sj = (Delta2^T H)_ij"],
        {p: i + 1 + u, m: j + 1 + v}, hand_step_evaluator(batch=True), "N, n, m, p",
        instance={N: 2, n: 2, u: 1, v: 0, i: 0, j: 1})
    return out


#: The gradients whose one product of the right shape the page's table shows, as pairs of the
#: quantity and the factors the hand steps leave (keys of the symbols dict).
SHAPE_MATCHES = (("W2", ("delta2", "h")), ("h", ("W2", "delta2")), ("W1", ("delta1", "x")))


def shape_match_checks() -> list[verify.Check]:
    """The shape-matching check, as a claim: of the products of two of the factors, each as it
    is or transposed, exactly one has the shape of the quantity, and it is the closed form
    (with n, m, p distinct symbols)."""
    S, grads = single_sample(*DISPLAY_DIMS)
    g = _by_of(grads)
    out = []
    for of, factors in SHAPE_MATCHES:
        found = products_of_shape([S[f] for f in factors], S[of].shape)
        claim = g[of].closed_form
        ok = found == [claim]
        out.append(verify.Check(
            TOPIC, f"shape matching: {_PLAIN[g[of].name]} is the only product of {' and '.join(factors)} "
                   f"(or their transposes) with the shape {S[of].shape[0]} x {S[of].shape[1]} of {of}",
            "symbolic", 0.0 if ok else float("inf"), 0.0, ok,
            "" if ok else f"the products of that shape are {found}"))
    # with p = m the check cannot decide: both orders of the outer product have W2's shape
    m = DISPLAY_DIMS[1]
    square = {DISPLAY_DIMS[2]: m}
    found = products_of_shape([S["delta2"].xreplace(square), S["h"]], S["W2"].xreplace(square).shape)
    want = [S["delta2"].xreplace(square) * S["h"].T, S["h"] * S["delta2"].xreplace(square).T]
    ok = set(found) == set(want) and len(found) == 2
    out.append(verify.Check(TOPIC, "shape matching with p = m: delta2 h^T and h delta2^T both have the shape of W2",
                            "symbolic", 0.0 if ok else float("inf"), 0.0, ok, "" if ok else f"found {found}"))
    return out


def hand_step_checks() -> list[verify.Check]:
    """Every equality of every hand derivation, proved at symbolic size, and the shape matching."""
    return [c for chain in hand_steps().values() for c in chain.checks(TOPIC)] + shape_match_checks()


def dropped_delta_check(rng) -> verify.Check:
    """The pitfall of step 2: dy_hat_k/dW2_ij taken as h_j for every k (the Kronecker delta
    dropped) gives (sum_k delta2_k) h_j in every row, not delta2_i h_j."""
    params = backprop_np.two_layer_init(3, 4, 2, rng, scale=1.0)
    x, y = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
    _, grads = backprop_np.two_layer_loss_and_grads(params, x, y, "tanh")
    delta2 = grads["b2"]                         # dL/db2 = delta2 for one sample
    h = np.tanh(x[0] @ params["W1"].T + params["b1"])
    wrong = np.outer(np.full(delta2.shape, delta2.sum()), h)
    return verify.check_bound(TOPIC, "dropping the Kronecker delta in dy_hat_k/dW2_ij gives a dL/dW2 that "
                              "differs from delta2 h^T by more than 10%, (n, m, p) = (3, 4, 2)", 0.1,
                              verify.rel_error(wrong, grads["W2"]), strict=True)


# ----------------------------------------------------------------------------- cost


def pass_costs(*widths) -> dict:
    """Multiply-adds of the matrix products of one forward and one backward pass, for one
    sample, through a network of affine layers with these widths (n, m, p for the two-layer
    network; n_0, ..., n_d for d layers), and its number of parameters P.

    Forward: W_l a_{l-1} for every layer. Backward: the weight gradient delta_l a_{l-1}^T of
    every layer, and W_l^T delta_l passed down by every layer but the first (dL/dx is not
    needed; ``backward_with_dx`` computes it too). Elementwise work (activations, f', the
    Hadamard products, biases, the loss) is O(sum of the widths) and not counted.
    """
    layers = list(zip(widths[:-1], widths[1:]))
    forward = sum(n_in * n_out for n_in, n_out in layers)
    weight_grads = sum(n_out * n_in for n_in, n_out in layers)
    passed_down = sum(n_in * n_out for n_in, n_out in layers[1:])
    first = layers[0][0] * layers[0][1]
    return {"forward": forward, "backward": weight_grads + passed_down,
            "backward_with_dx": weight_grads + passed_down + first,
            "params": sum((n_in + 1) * n_out for n_in, n_out in layers)}


def _matmul_cost(product: sp.MatMul):
    """Multiply-adds of a matrix product evaluated left to right (scalar factors are free)."""
    factors = [a for a in product.args if getattr(a, "is_Matrix", False)]
    cost, (rows, cols) = 0, factors[0].shape
    for b in factors[1:]:
        cost += rows * cols * b.shape[1]
        cols = b.shape[1]
    return cost


def formula_costs(n, m, p) -> dict:
    """The multiply-adds of the matrix products in the proved formulas, each distinct product
    counted once (the backward pass computes W2^T delta2 once and uses it twice): the forward
    definitions of z1 and y_hat, and the closed forms of every gradient."""
    S, grads = single_sample(n, m, p)
    forward = {mm for what, d in model(S)[:3] for mm in d.atoms(sp.MatMul)}
    backward = {mm for g in grads for mm in g.closed_form.atoms(sp.MatMul)}
    return {"forward": sum(map(_matmul_cost, forward)), "backward": sum(map(_matmul_cost, backward))}


class _Counted(np.ndarray):
    """An array whose matrix products (NumPy's matmul, the @ operator) add their multiply-adds
    to ``_Counted.total``; every result of an operation on one is counted as well."""

    total = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        args = [a.view(np.ndarray) if isinstance(a, _Counted) else a for a in inputs]
        if "out" in kwargs:
            kwargs["out"] = tuple(o.view(np.ndarray) if isinstance(o, _Counted) else o
                                  for o in kwargs["out"])
        result = getattr(ufunc, method)(*args, **kwargs)
        if ufunc is np.matmul and method == "__call__":
            _Counted.total += int(np.prod(np.shape(result))) * np.shape(args[0])[-1]
        return result.view(_Counted) if isinstance(result, np.ndarray) else result


def _counted(value):
    if isinstance(value, np.ndarray):
        return value.view(_Counted)
    if isinstance(value, dict):
        return {k: _counted(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_counted(v) for v in value)
    return value


def count_multiply_adds(fn, *args, **kwargs) -> int:
    """The multiply-adds of every matrix product NumPy performs while ``fn(*args, **kwargs)``
    runs on these arrays (arrays inside dicts, lists and tuples included)."""
    _Counted.total = 0
    fn(*_counted(args), **kwargs)
    return _Counted.total


def deep_init(widths, rng) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W_l, b_l) for layers of these widths, weights N(0, 1/fan_in)."""
    return [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out))
            for n_in, n_out in zip(widths[:-1], widths[1:])]


def deep_forward(layers, X, activation: str = "tanh"):
    """The output of :func:`deep_loss_and_grads`'s network: the forward pass alone."""
    f, _ = backprop_np.ACTIVATION_PAIRS[activation]
    A = X
    for k, (W, b) in enumerate(layers):
        A, _ = backprop_np.affine_forward(A, W, b)
        if k < len(layers) - 1:
            A = f(A)
    return A


def deep_loss_and_grads(layers, X, Y, activation: str = "tanh", input_grad: bool = False):
    """A network of affine layers with ``activation`` between them, written with the verified
    kernels (affine_forward, affine_backward, elementwise_backward) like the two-layer network:
    loss (1/N) sum 1/2 ||y_hat - y||^2, the list of (dW_l, db_l), and dL/dX if ``input_grad``
    (otherwise the first layer computes only its weight and bias gradients)."""
    f, f_grad = backprop_np.ACTIVATION_PAIRS[activation]
    caches, Zs, A = [], [], X
    for k, (W, b) in enumerate(layers):
        Z, cache = backprop_np.affine_forward(A, W, b)
        caches.append(cache)
        if k < len(layers) - 1:
            Zs.append(Z)
            A = f(Z)
    N = Y.shape[0]
    diff = Z - Y
    delta, grads, dX = diff / N, [None] * len(layers), None
    for k in reversed(range(len(layers))):
        if k == 0 and not input_grad:
            grads[0] = (delta.T @ caches[0].x, delta.sum(axis=0))
            break
        dA, dW, db = backprop_np.affine_backward(delta, caches[k])
        grads[k] = (dW, db)
        if k == 0:
            dX = dA
        else:
            delta = elementwise_backward(dA, Zs[k - 1], f_grad)
    return (0.5 * np.sum(diff**2) / N).item(), grads, dX     # a complex under the complex step


def counted_passes(widths, N: int = 1, input_grad: bool = False, seed: int = 0) -> dict:
    """The multiply-adds NumPy performs in the forward pass and in forward + backward of
    :func:`deep_loss_and_grads` (the two-layer network's code for two layers) on N samples."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((N, widths[0])), rng.standard_normal((N, widths[-1]))
    if len(widths) == 3 and not input_grad:
        params = backprop_np.two_layer_init(*widths, rng)
        forward = count_multiply_adds(backprop_np.two_layer_forward, params, X, "tanh")
        both = count_multiply_adds(backprop_np.two_layer_loss_and_grads, params, X, Y, "tanh")
    else:   # the values do not change the count: small constant weights, cheap to make
        layers = [(np.full((n_out, n_in), 1 / n_in), np.zeros(n_out)) for n_in, n_out in zip(widths[:-1], widths[1:])]
        forward = count_multiply_adds(deep_forward, layers, X)
        both = count_multiply_adds(deep_loss_and_grads, layers, X, Y, input_grad=input_grad)
    return {"forward": forward, "backward": both - forward}




def finite_difference_cost(sizes, seed: int = 0) -> int:
    """The multiply-adds of NumPy's matrix products while :func:`~derivations.verify.numeric_gradient`
    (central differences, the book's own gradient check) computes the gradient of the
    two-layer network's loss with respect to all its parameters, for one sample."""
    rng = np.random.default_rng(seed)
    params = backprop_np.two_layer_init(*sizes, rng, scale=1.0)
    X, Y = rng.standard_normal((1, sizes[0])), rng.standard_normal((1, sizes[-1]))
    shapes = [params[k].shape for k in backprop_np.PARAMS]
    theta = np.concatenate([params[k].ravel() for k in backprop_np.PARAMS])

    def loss(v):
        v, parts, start = v.view(_Counted), {}, 0
        for k, shape in zip(backprop_np.PARAMS, shapes):
            size = int(np.prod(shape))
            parts[k], start = v[start:start + size].reshape(shape), start + size
        return 0.5 * np.sum((backprop_np.two_layer_forward(parts, X, "tanh") - Y) ** 2)

    _Counted.total = 0
    verify.numeric_gradient(loss, theta)
    return _Counted.total


#: The networks of the cost table, and the widths of the figure.
COST_NETWORKS = ((784, 256, 10), (784, 1024, 10), (784, 256, 256, 256, 10), (1024,) * 9)
COUNTED_TWO_LAYER = ((784, 256, 10), (20, 30, 5))
DEEP_EXAMPLE = (784, 256, 256, 256, 10)
EQUAL_WIDTH, MAX_LAYERS = 256, 10
FD_SIZES = ((3, 4, 2), (2, 3, 1))
BATCH_COUNT = 8
HIDDEN_WIDTHS = tuple(int(w) for w in np.unique(np.geomspace(1, 4096, 40).astype(int)))


def _exact(name: str, got, want) -> verify.Check:
    """Two counts (integers) that must be equal."""
    got, want = np.asarray(got, dtype=np.int64), np.asarray(want, dtype=np.int64)
    ok = got.shape == want.shape and bool(np.all(got == want))
    err = float(np.max(np.abs(got - want))) if got.shape == want.shape else np.inf
    return verify.Check(TOPIC, name, "count", err, 0.0, ok, "" if ok else f"{got.tolist()} vs {want.tolist()}")


def _widths(widths) -> str:
    return "-".join(map(str, widths))


@lru_cache(maxsize=None)
def equal_width_ratios() -> dict:
    """backward / forward multiply-adds counted in NumPy for d = 1, ..., MAX_LAYERS layers of
    EQUAL_WIDTH, without and with dL/dx."""
    out = {"d": np.arange(1, MAX_LAYERS + 1), "without dx": [], "with dx": []}
    for d in out["d"]:
        widths = (EQUAL_WIDTH,) * (d + 1)
        for key, input_grad in (("without dx", False), ("with dx", True)):
            c = counted_passes(widths, input_grad=input_grad)
            out[key].append(c["backward"] / c["forward"])
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


def fd_over_backprop(widths) -> float:
    """The multiply-adds of a central-difference gradient (2P forward passes) over those of
    one forward and one backward pass."""
    c = pass_costs(*widths)
    return 2 * c["params"] * c["forward"] / (c["forward"] + c["backward"])


def cost_checks() -> list[verify.Check]:
    n, m, p = DISPLAY_DIMS
    formulas, stated = formula_costs(n, m, p), pass_costs(n, m, p)
    out = [verify.symbolic_identity(
        TOPIC, "products of the proved formulas: forward mn + pm, backward 2pm + mn = pass_costs, "
               "general n, m, p",
        sp.Matrix([formulas["forward"], formulas["backward"]]),
        sp.Matrix([stated["forward"], stated["backward"]]))]
    for sizes in COUNTED_TWO_LAYER:
        c, want = counted_passes(sizes), pass_costs(*sizes)
        out.append(_exact(f"NumPy two-layer pass, counted: forward and backward = pass_costs, "
                          f"(n, m, p) = {sizes}", [c["forward"], c["backward"]],
                          [want["forward"], want["backward"]]))
    c, c_dx, want = counted_passes(DEEP_EXAMPLE), counted_passes(DEEP_EXAMPLE, input_grad=True), pass_costs(*DEEP_EXAMPLE)
    out.append(_exact(f"NumPy pass of the {_widths(DEEP_EXAMPLE)} network, counted: forward, backward "
                      "and backward with dL/dx = pass_costs",
                      [c["forward"], c["backward"], c_dx["backward"]],
                      [want["forward"], want["backward"], want["backward_with_dx"]]))
    out.append(_exact(f"backward with dL/dx = 2 x forward, counted, {_widths(DEEP_EXAMPLE)}",
                      c_dx["backward"], 2 * c_dx["forward"]))
    r = equal_width_ratios()
    out.append(verify.check_values(
        TOPIC, f"d layers of width {EQUAL_WIDTH}, counted: backward / forward = 2 - 1/d, d = 1 to {MAX_LAYERS}",
        "closed-form", r["without dx"], 2 - 1 / r["d"]))
    out.append(verify.check_values(
        TOPIC, f"d layers of width {EQUAL_WIDTH}, counted, with dL/dx: backward / forward = 2, d = 1 to {MAX_LAYERS}",
        "closed-form", r["with dx"], np.full(r["with dx"].shape, 2.0)))
    for d in (1, 2, 3, 4):
        ws = sp.symbols(f"n0:{d + 1}", positive=True, integer=True)
        c = pass_costs(*ws)
        out.append(verify.symbolic_identity(
            TOPIC, f"pass_costs: B = 2F - n0 n1 and B with dL/dx = 2F, widths n0 to n{d} general, d = {d}",
            sp.Matrix([c["backward"], c["backward_with_dx"]]),
            sp.Matrix([2 * c["forward"] - ws[0] * ws[1], 2 * c["forward"]])))
    P_sym = pass_costs(n, m, p)["params"]
    out.append(verify.symbolic_identity(
        TOPIC, "central differences / backprop = 2P (n + p)/(2n + 3p) for the two-layer network, general n, m, p",
        fd_over_backprop((n, m, p)), 2 * P_sym * (n + p) / (2 * n + 3 * p)))
    one, many = counted_passes(COUNTED_TWO_LAYER[1]), counted_passes(COUNTED_TWO_LAYER[1], N=BATCH_COUNT)
    out.append(_exact(f"a batch of N = {BATCH_COUNT} costs N times one sample, counted, "
                      f"(n, m, p) = {COUNTED_TWO_LAYER[1]}",
                      [many["forward"], many["backward"]],
                      [BATCH_COUNT * one["forward"], BATCH_COUNT * one["backward"]]))
    for sizes in FD_SIZES:
        c = pass_costs(*sizes)
        out.append(_exact(f"central differences cost 2P forward passes, counted, (n, m, p) = {sizes}",
                          finite_difference_cost(sizes), 2 * c["params"] * c["forward"]))
    ratio = np.array([fd_over_backprop((784, w, 10)) / pass_costs(784, w, 10)["params"]
                      for w in HIDDEN_WIDTHS])
    out.append(verify.check_bound(TOPIC, "central differences / backprop is within 1% of P, "
                                  "n = 784, p = 10, m = 1 to 4096", np.abs(ratio - 1), 0.01))
    out.append(verify.check_values(TOPIC, "central differences / backprop over P is the same at every "
                                   "hidden width m = 1 to 4096, n = 784, p = 10", "closed-form",
                                   ratio, np.full(ratio.shape, ratio[0])))
    nets = list(COST_NETWORKS) + [(784, w, 10) for w in HIDDEN_WIDTHS]
    out.append(verify.check_bound(TOPIC, "central differences / backprop is at least 2P/3 for every network "
                                  "of the table and the figure",
                                  [2 * pass_costs(*w)["params"] / 3 for w in nets],
                                  [fd_over_backprop(w) for w in nets]))
    return out


# ----------------------------------------------------------------------------- pitfalls


def pitfall_checks(rng) -> list[verify.Check]:
    # the transposed outer product x delta1^T: with n = m it has the shape of W1, wrong values
    params = backprop_np.two_layer_init(3, 3, 2, rng, scale=1.0)
    x, y = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
    _, grads = backprop_np.two_layer_loss_and_grads(params, x, y, "tanh")
    delta1 = grads["b1"]                       # dL/db1 = delta1 for one sample
    wrong = np.outer(x[0], delta1)
    out = [verify.check_bound(TOPIC, "x delta1^T has the shape of W1 when n = m = 3, and differs from "
                              "dL/dW1 by more than 10%", 0.1, verify.rel_error(wrong, grads["W1"]), strict=True)]
    z = np.linspace(-4, 4, 17)
    h = activations_np.sigmoid(z)
    out.append(verify.check_values(TOPIC, "sigmoid_grad(z) = h(1 - h) at h = sigmoid(z), 17 points",
                                   "closed-form", activations_np.sigmoid_grad(z), h * (1 - h)))
    out.append(verify.check_bound(TOPIC, "sigmoid_grad(h) is not h(1 - h): they differ by more than 1%",
                                  0.01, verify.rel_error(activations_np.sigmoid_grad(h), h * (1 - h)), strict=True))
    return out


# ----------------------------------------------------------------------------- numeric


def batch_mean_check(rng) -> verify.Check:
    """The mean loss's gradients are the per-sample gradients summed and divided by N, once."""
    N = 10
    params = backprop_np.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((N, 3)), rng.standard_normal((N, 2))
    _, mean = backprop_np.two_layer_loss_and_grads(params, X, Y)
    per = [backprop_np.two_layer_loss_and_grads(params, X[i:i + 1], Y[i:i + 1])[1] for i in range(N)]
    return verify.check_values(
        TOPIC, f"batch of N = {N}: each gradient of the mean loss = (1/N) x the sum of the per-sample ones",
        "closed-form", np.concatenate([mean[k].ravel() for k in backprop_np.PARAMS]),
        np.concatenate([sum(g[k] for g in per).ravel() / N for k in backprop_np.PARAMS]))


def deep_gradient_check(rng) -> verify.Check:
    widths, N = (3, 4, 5, 2), 3
    layers = deep_init(widths, rng)
    X, Y = rng.standard_normal((N, widths[0])), rng.standard_normal((N, widths[-1]))
    _, grads, dX = deep_loss_and_grads(layers, X, Y, input_grad=True)
    flat = np.concatenate([a.ravel() for layer in layers for a in layer] + [X.ravel()])
    claimed = np.concatenate([a.ravel() for layer in grads for a in layer] + [dX.ravel()])

    def loss(v):
        out, start = [], 0
        for W, b in layers:
            Wv = v[start:start + W.size].reshape(W.shape)
            bv = v[start + W.size:start + W.size + b.size]
            out.append((Wv, bv))
            start += W.size + b.size
        return deep_loss_and_grads(out, v[start:].reshape(X.shape), Y)[0]

    return verify.check_gradient(loss, claimed, flat,
                                 name=f"network {_widths(widths)}, tanh: every dL/dW, dL/db and dL/dX, N={N}",
                                 topic=TOPIC, method="complex-step", every_entry=True)


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the chain rules and closed-form gradients proved on explicit
    matrices at two sizes each (PROOF_SIZES, BATCH_PROOF_SIZES, ...), NumPy compared, costs
    counted."""
    rng = np.random.default_rng(seed)
    out = chain_rule_checks() + hand_step_checks() + prove_single_sample() + prove_batched()
    out += [c for claim in size_claims() for c in claim.checks(TOPIC)]
    out += [model_against_numpy(a, PROOF_SIZES[0], rng) for a in backprop_np.ACTIVATION_PAIRS]
    out += cost_checks() + pitfall_checks(rng) + [dropped_delta_check(np.random.default_rng(seed + 19))]
    out.append(batch_mean_check(rng))
    for N, n, m in [(4, 3, 2), (32, 50, 20)]:
        x = rng.standard_normal((N, n))
        W = rng.standard_normal((m, n))
        b = rng.standard_normal(m)
        dout = rng.standard_normal((N, m))
        _, cache = backprop_np.affine_forward(x, W, b)
        dx, dW, db = backprop_np.affine_backward(dout, cache)
        shape = f"N={N}, n={n}, m={m}"
        out += [
            verify.check_vjp(lambda x_: backprop_np.affine_forward(x_, W, b)[0], lambda g: dx, x,
                             name=f"affine_backward dx, {shape}", topic=TOPIC, dout=dout, method="complex-step", every_entry=True),
            verify.check_vjp(lambda W_: backprop_np.affine_forward(x, W_, b)[0], lambda g: dW, W,
                             name=f"affine_backward dW, {shape}", topic=TOPIC, dout=dout, method="complex-step", every_entry=True),
            verify.check_vjp(lambda b_: backprop_np.affine_forward(x, W, b_)[0], lambda g: db, b,
                             name=f"affine_backward db, {shape}", topic=TOPIC, dout=dout, method="complex-step", every_entry=True),
        ]
    for activation in backprop_np.ACTIVATION_PAIRS:
        for N, n, m, p in [(3, 4, 3, 2), (64, 30, 20, 5)]:
            params = backprop_np.two_layer_init(n, m, p, rng, scale=1.0)
            params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
            X, Y = rng.standard_normal((N, n)), rng.standard_normal((N, p))
            _, grads = backprop_np.two_layer_loss_and_grads(params, X, Y, activation)
            for key in backprop_np.PARAMS:
                def loss(v, key=key):
                    return backprop_np.two_layer_loss_and_grads({**params, key: v}, X, Y, activation)[0]
                out.append(verify.check_gradient(loss, grads[key], params[key],
                                                 name=f"two-layer {activation}: dL/d{key}, N={N}, n={n}, m={m}, p={p}",
                                                 topic=TOPIC, rng=rng, method="complex-step", every_entry=True))
    out.append(deep_gradient_check(rng))
    return out


# ----------------------------------------------------------------------------- what the page shows

NAMES = {"delta2": r"\delta_2", "delta1": r"\delta_1", "fprime_z1": "f'(z_1)", "y_hat": r"\hat{y}",
         "z1": "z_1", "W1": "W_1", "W2": "W_2", "b1": "b_1", "b2": "b_2",
         "Delta2": r"\Delta_2", "Delta1": r"\Delta_1", "fprime_Z1": "f'(Z_1)", "Y_hat": r"\hat{Y}",
         "Z1": "Z_1", "ones": r"\mathbf{1}"}


def _names(S) -> dict:
    return {sym: NAMES.get(k, k) for k, sym in S.items()}


def gradient_latex(g: Gradient, S) -> str:
    """``dL/dW2 = delta2 h^T  in R^{p x m}``, printed from the closed form and its shape
    (for one sample or a batch alike)."""
    rows, cols = g.closed_form.shape
    shape = sp.latex(rows) if cols == 1 else rf"{sp.latex(rows)} \times {sp.latex(cols)}"
    names = _names(S)
    lhs = rf"\frac{{\partial L}}{{\partial {names[S[g.of]]}}}"
    return (rf"{lhs} = {tex(g.closed_form, names)} "
            rf"\in \mathbb{{R}}^{{{shape}}}")


def _primed(expr):
    """Derivatives of undefined one-argument functions written with primes, f'(z), for display."""
    def derivative(d):
        return (isinstance(d, sp.Derivative) and isinstance(d.expr, AppliedUndef)
                and len(d.expr.args) == 1 and d.variables == d.expr.args)

    expr = expr.replace(lambda e: isinstance(e, sp.Subs) and derivative(e.expr),
                        lambda e: sp.Function(e.expr.expr.func.__name__ + "'")(*e.point))
    return expr.replace(derivative, lambda d: sp.Function(d.expr.func.__name__ + "'")(*d.expr.args))


def _tex_primed(expr) -> str:
    def prime(match):   # f' stays f'; a Greek name such as phi' becomes \phi'
        name = match.group(1)
        return (name if len(name) == 1 else "\\" + name) + "'"
    return re.sub(r"\\operatorname\{([A-Za-z]+)'\}", prime, tex(_primed(expr)))


def definition_latex(what, definition, names) -> str:
    """``z_1 = W_1 x + b_1``: one definition of :func:`model`, printed from the object."""
    lhs = "L" if what is LOSS else names[what]
    if isinstance(definition, ElementwiseApplyFunction):   # f(z_1): the function at the argument's name
        rhs = _tex_primed(definition.function(sp.Symbol(names[definition.expr])))
    elif isinstance(definition, sp.MatMul) and definition.args[0].is_number:
        coefficient, rest = definition.as_coeff_mmul()
        rhs = f"{tex(coefficient)} {tex(rest, names)}"
    else:
        rhs = tex(definition, names)
    return f"{lhs} = {rhs}"


def model_latex(S, f=_f) -> str:
    """The model's definitions, one to a row, aligned at their "="."""
    names = _names(S)
    rows = [definition_latex(w, d, names).replace(" = ", " &= ", 1) for w, d in model(S, f)]
    return aligned([row + "," for row in rows[:-1]] + rows[-1:])


def _sizes(sizes, what="(n, m, p)") -> str:
    return f"{what} = " + " and ".join(map(str, sizes))


def _count(x) -> str:
    """A count to three significant digits: 203k, 15.7M."""
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if x >= scale:
            return f"{x / scale:.3g}{unit}"
    return f"{x:g}"


def _cost_table() -> Table:
    rows = []
    for widths in COST_NETWORKS:
        c = pass_costs(*widths)
        name = f"{widths[0]}, {len(widths) - 1} layers" if len(set(widths)) == 1 else _widths(widths)
        rows.append((name, _count(c["params"]), _count(c["forward"]), _count(c["backward"]),
                     f"{c['backward'] / c['forward']:.2f}"))
    return Table(["network", "$P$", "$F$", "$B$", "$B / F$"], rows, "lrrrr")


def _cost_figure() -> Figure:
    r = equal_width_ratios()
    d = r["d"]
    grid = np.linspace(1, MAX_LAYERS, 200)
    widths = np.array(HIDDEN_WIDTHS, dtype=float)
    fd = np.array([fd_over_backprop((784, w, 10)) for w in HIDDEN_WIDTHS])
    params = np.array([pass_costs(784, w, 10)["params"] for w in HIDDEN_WIDTHS], dtype=float)
    return Figure([
        Panel([Curve(d, r["with dx"], "with ∂L/∂x (counted)", "s", "C1"),
               Curve(grid, 2 - 1 / grid, "2 − 1/d", ":", "0.4"),
               Curve(d, r["without dx"], r"without (counted)", "o", "C0")],
              title=f"backward / forward, layers of width {EQUAL_WIDTH}",
              xlabel="layers d", ylabel="multiply-adds, backward / forward", ylim=(0.9, 2.1),
              legend_loc="lower right"),
        Panel([Curve(widths, fd, "central differences / backprop", "-", "C0"),
               Curve(widths, params, "P", "--", "0.2")],
              title="n = 784 inputs, p = 10 outputs", xlabel="hidden width m",
              xscale="log", yscale="log", legend_loc="upper left"),
    ], size=(7.2, 3.4))


def _shape(M) -> str:
    return rf"{tex(M.shape[0])} \times {tex(M.shape[1])}"


def _shape_table(S) -> Table:
    """The shape-matching check as a table: each gradient's shape, and the one product of the
    factors with that shape (SHAPE_MATCHES), with its factors' shapes."""
    names = _names(S)
    rows = []
    for of, factors in SHAPE_MATCHES:
        (product,) = products_of_shape([S[f] for f in factors], S[of].shape)
        shapes = "$" + "".join(f"({_shape(a)})" for a in product.args) + "$"
        rows.append((rf"$\partial L / \partial {names[S[of]]}$, ${_shape(S[of])}$",
                     f"${tex(product, names)}$", shapes))
    return Table(["gradient, shape", "product", "shapes"], rows, "lll")


def exhibits() -> dict:
    """Everything the backprop page shows, each formula printed from the object a check proved."""
    n, m, p = DISPLAY_DIMS
    S, grads = single_sample(n, m, p)
    SB, bgrads = batched(*BATCH_DISPLAY_DIMS)
    lhs, rhs = scalar_chain_rule()
    W, x, gy = vector_chain_symbols(m, n)
    chain_names = {gy: r"\nabla_v L"}
    two, deep = pass_costs(784, 256, 10), pass_costs(*DEEP_EXAMPLE)
    r = equal_width_ratios()
    out = {
        "eq_chain_scalar": Equation(rf"{tex(lhs)} = " + r" \, ".join(_tex_primed(a) for a in rhs.args),
                                    proofs=("scalar chain rule:",)),
        "eq_chain_vector": Equation(rf"v = {tex(W * x)}, \qquad \nabla_x L = "
                                    rf"{tex(vector_chain_formula(m, n), chain_names)}",
                                    proofs=("vector chain rule:",)),
        "chain_sizes": " and ".join(f"{a} × {b}" for a, b in CHAIN_SIZES),
        "eq_model": Equation(model_latex(S), definition=True),
        "proof_sizes": _sizes(PROOF_SIZES),
        "eq_batched_forward": Equation(model_latex(SB), definition=True),
        "batch_sizes": _sizes(BATCH_PROOF_SIZES, "(N, n, m, p)"),
        "cost_table": _cost_table(),
        "fig_cost": _cost_figure(),
        "bwd_over_fwd": f"{two['backward'] / two['forward']:.3f}",
        "first_share": f"{100 * 784 * 256 / two['forward']:.1f} %",
        "deep_example": _widths(DEEP_EXAMPLE),
        "two_layer_example": _widths((784, 256, 10)),
        "fd_two_layer": f"{fd_over_backprop((784, 256, 10)):,.0f}",
        "deep_ratio": f"{deep['backward'] / deep['forward']:.2f}",
        "deep_share": f"{100 * DEEP_EXAMPLE[0] * DEEP_EXAMPLE[1] / deep['forward']:.0f} %",
        "equal_width": str(EQUAL_WIDTH),
        "ratio_at_max": f"{r['without dx'][-1]:.2f}",
        "max_layers": str(MAX_LAYERS),
        "fd_over_p": f"{fd_over_backprop((784, 256, 10)) / two['params']:.3f}",
        "wrong_shape": Markdown(f"${_shape(S['x'] * S['delta1'].T)}$"),
        "right_shape": Markdown(f"${_shape(S['W1'])}$"),
    }
    chains = hand_steps()
    for key, chain in chains.items():
        names = _names(SB if key.startswith("batch") else S)
        out[f"eq_hand_{key.replace(' ', '_')}"] = Equation(chain.tex(names), proofs=(chain.name + ",",))
    out["shape_table"] = _shape_table(S)
    for g in grads:
        out[f"eq_{g.of}"] = Equation(gradient_latex(g, S), proofs=(_check_name(g, False, ()).split(":")[0] + ":",))
    for g in bgrads:
        out[f"eq_b_{g.of}"] = Equation(gradient_latex(g, SB), proofs=(_check_name(g, True, ()).split(":")[0] + ":",))
    return out
