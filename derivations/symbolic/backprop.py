"""Backpropagation through the two-layer network, derived and proved with SymPy.

Network (one sample, column vectors): z1 = W1 x + b1, H = f(z1), y_hat = W2 H + b2,
L = 1/2 ||y_hat - y||^2, with x in R^n, W1 (m, n), W2 (p, m) and f any differentiable
function (an undefined SymPy function, so the proof covers sigmoid, tanh and every other).

Each gradient is written once as a matrix-symbol expression (what the page shows, with
its shape) and proved equal to SymPy's ``diff`` of the scalar loss on explicit matrices of
symbols (n, m, p) = (3, 2, 2). The batched form (N samples as rows) is proved the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import backprop as num
from ..provenance import stored_checks
from .common import explicit, matrix, tex, vector

TOPIC = "backprop"
PROOF_DIMS = {"n": 3, "m": 2, "p": 2}
BATCH_PROOF_DIMS = {"N": 2, "n": 2, "m": 2, "p": 2}
HP = sp.HadamardProduct
_f = sp.Function("f")
_t = sp.Symbol("t", real=True)


def fprime(zi):
    """f'(z_i) as SymPy writes it when it differentiates f(z_i)."""
    return sp.diff(_f(_t), _t).subs(_t, zi)


@dataclass(frozen=True)
class Gradient:
    """One gradient: what it is of, its closed form, and the parameter it belongs to."""

    name: str        # e.g. "dL/dW2"
    of: str          # the parameter (or hidden quantity) differentiated against
    closed_form: sp.Expr


def single_sample(n, m, p):
    """The network's symbols and the closed-form gradients for one sample, dims n, m, p."""
    S = {k: sp.MatrixSymbol(k, *shape) for k, shape in {
        "x": (n, 1), "W1": (m, n), "b1": (m, 1), "W2": (p, m), "b2": (p, 1), "y": (p, 1),
        "H": (m, 1), "y_hat": (p, 1), "delta2": (p, 1), "fprime_z1": (m, 1), "delta1": (m, 1),
    }.items()}
    grads = [
        Gradient("dL/dy_hat", "y_hat", S["y_hat"] - S["y"]),
        Gradient("dL/dW2", "W2", S["delta2"] * S["H"].T),
        Gradient("dL/db2", "b2", S["delta2"]),
        Gradient("dL/dH", "H", S["W2"].T * S["delta2"]),
        Gradient("dL/dz1", "z1", HP(S["W2"].T * S["delta2"], S["fprime_z1"])),
        Gradient("dL/dW1", "W1", S["delta1"] * S["x"].T),
        Gradient("dL/db1", "b1", S["delta1"]),
    ]
    return S, grads


NAMES = {"delta2": r"\delta_2", "delta1": r"\delta_1", "fprime_z1": "f'(z_1)",
         "y_hat": r"\hat{y}", "W1": "W_1", "W2": "W_2", "b1": "b_1", "b2": "b_2",
         "Delta2": r"\Delta_2", "Delta1": r"\Delta_1", "fprime_Z1": "f'(Z_1)", "Y_hat": r"\hat{Y}",
         "ones": r"\mathbf{1}", "X": "X", "Y": "Y", "W1T": "W_1"}
_LHS = {"y_hat": r"\hat{y}", "W2": "W_2", "b2": "b_2", "H": "H", "z1": "z_1", "W1": "W_1",
        "b1": "b_1", "Y_hat": r"\hat{Y}", "Z1": "Z_1"}
DISPLAY_DIMS = sp.symbols("n m p", positive=True, integer=True)


def _names(S):
    return {sym: NAMES.get(k, k) for k, sym in S.items()}


#: The deltas the page names: dL/dz1 is delta_1, dL/dy_hat is delta_2 (capitals for a batch).
_DELTA = {"z1": r"\delta_1", "y_hat": r"\delta_2", "Z1": r"\Delta_1", "Y_hat": r"\Delta_2"}


def gradient_latex(g: Gradient, S) -> str:
    """``dL/dW2 = delta2 H^T  in R^{p x m}``, printed from the closed form and its shape
    (for one sample or a batch alike)."""
    rows, cols = g.closed_form.shape
    lhs = rf"\frac{{\partial L}}{{\partial {_LHS[g.of]}}}"
    if g.of in _DELTA:
        lhs = rf"{_DELTA[g.of]} = {lhs}"
    return (rf"{lhs} = {tex(g.closed_form, _names(S))} "
            rf"\in \mathbb{{R}}^{{{sp.latex(rows)} \times {sp.latex(cols)}}}")


def _single_sample_values(n, m, p):
    S, grads = single_sample(n, m, p)
    V = {S["x"]: vector("x", n), S["W1"]: matrix("w1", m, n), S["b1"]: vector("b1", m),
         S["W2"]: matrix("w2", p, m), S["b2"]: vector("b2", p), S["y"]: vector("y", p)}
    z1 = V[S["W1"]] * V[S["x"]] + V[S["b1"]]
    V[S["H"]] = z1.applyfunc(_f)
    V[S["y_hat"]] = V[S["W2"]] * V[S["H"]] + V[S["b2"]]
    V[S["delta2"]] = V[S["y_hat"]] - V[S["y"]]
    V[S["fprime_z1"]] = z1.applyfunc(fprime)
    V[S["delta1"]] = explicit(grads[4].closed_form, V)
    return S, grads, V, z1


def _diff_matrix(L, M: sp.Matrix) -> sp.Matrix:
    """The matrix of dL/dM_ij: SymPy's derivative, entry by entry."""
    return M.applyfunc(lambda e: sp.diff(L, e))


def prove_single_sample() -> list[verify.Check]:
    n, m, p = PROOF_DIMS.values()
    S, grads, V, z1 = _single_sample_values(n, m, p)
    r = V[S["y_hat"]] - V[S["y"]]
    L = (r.T * r)[0, 0] / 2
    # derivatives with respect to hidden quantities: make them free symbols first
    h, yh, zz = vector("h", m), vector("yh", p), vector("zz", m)
    L_of_h = ((V[S["W2"]] * h + V[S["b2"]] - V[S["y"]]).T * (V[S["W2"]] * h + V[S["b2"]] - V[S["y"]]))[0, 0] / 2
    L_of_yh = ((yh - V[S["y"]]).T * (yh - V[S["y"]]))[0, 0] / 2
    L_of_z = ((V[S["W2"]] * zz.applyfunc(_f) + V[S["b2"]] - V[S["y"]]).T
              * (V[S["W2"]] * zz.applyfunc(_f) + V[S["b2"]] - V[S["y"]]))[0, 0] / 2
    derived = {
        "y_hat": _diff_matrix(L_of_yh, yh).subs(dict(zip(yh, V[S["y_hat"]]))),
        "W2": _diff_matrix(L, V[S["W2"]]), "b2": _diff_matrix(L, V[S["b2"]]),
        "H": _diff_matrix(L_of_h, h).subs(dict(zip(h, V[S["H"]]))),
        "z1": _diff_matrix(L_of_z, zz).subs(dict(zip(zz, z1))),
        "W1": _diff_matrix(L, V[S["W1"]]), "b1": _diff_matrix(L, V[S["b1"]]),
    }
    return [verify.symbolic_identity(
        TOPIC, f"{g.name} = {_plain(g)}: SymPy diff of L, (n, m, p) = {(n, m, p)}",
        derived[g.of], explicit(g.closed_form, V)) for g in grads]


_PLAIN = {"dL/dy_hat": "y_hat - y", "dL/dW2": "delta2 H^T", "dL/db2": "delta2",
          "dL/dH": "W2^T delta2", "dL/dz1": "(W2^T delta2) ⊙ f'(z1)", "dL/dW1": "delta1 x^T",
          "dL/db1": "delta1",
          "dL/dY_hat": "(Y_hat - Y)/N", "dL/dW2 (batch)": "Delta2^T H", "dL/db2 (batch)": "Delta2^T 1",
          "dL/dH (batch)": "Delta2 W2", "dL/dZ1 (batch)": "(Delta2 W2) ⊙ f'(Z1)",
          "dL/dW1 (batch)": "Delta1^T X", "dL/db1 (batch)": "Delta1^T 1"}


def _plain(g: Gradient) -> str:
    return _PLAIN[g.name]


# ----------------------------------------------------------------------------- batched


def batched(N, n, m, p):
    """Symbols and closed forms for a batch of N samples stored as the rows of X (N, n)."""
    S = {k: sp.MatrixSymbol(k, *shape) for k, shape in {
        "X": (N, n), "W1": (m, n), "b1": (m, 1), "W2": (p, m), "b2": (p, 1), "Y": (N, p),
        "H": (N, m), "Y_hat": (N, p), "Delta2": (N, p), "fprime_Z1": (N, m), "Delta1": (N, m),
        "ones": (N, 1),
    }.items()}
    grads = [
        Gradient("dL/dY_hat", "Y_hat", (S["Y_hat"] - S["Y"]) / N),
        Gradient("dL/dW2 (batch)", "W2", S["Delta2"].T * S["H"]),
        Gradient("dL/db2 (batch)", "b2", S["Delta2"].T * S["ones"]),
        Gradient("dL/dH (batch)", "H", S["Delta2"] * S["W2"]),
        Gradient("dL/dZ1 (batch)", "Z1", HP(S["Delta2"] * S["W2"], S["fprime_Z1"])),
        Gradient("dL/dW1 (batch)", "W1", S["Delta1"].T * S["X"]),
        Gradient("dL/db1 (batch)", "b1", S["Delta1"].T * S["ones"]),
    ]
    return S, grads


def batched_forward_latex() -> str:
    N, n, m, p = sp.symbols("N n m p", positive=True, integer=True)
    S, _ = batched(N, n, m, p)
    names = _names(S)
    return (r"\begin{gathered}"
            rf"Z_1 = {tex(S['X'] * S['W1'].T + S['ones'] * S['b1'].T, names)}, \qquad "
            rf"H = f(Z_1), \\ "
            rf"\hat{{Y}} = {tex(S['H'] * S['W2'].T + S['ones'] * S['b2'].T, names)}, \qquad "
            rf"L = \frac{{1}}{{2N}} \lVert \hat{{Y}} - Y \rVert_F^2"
            r"\end{gathered}")


def prove_batched() -> list[verify.Check]:
    N, n, m, p = BATCH_PROOF_DIMS.values()
    S, grads = batched(N, n, m, p)
    V = {S["X"]: matrix("x", N, n), S["W1"]: matrix("w1", m, n), S["b1"]: vector("b1", m),
         S["W2"]: matrix("w2", p, m), S["b2"]: vector("b2", p), S["Y"]: matrix("y", N, p),
         S["ones"]: sp.ones(N, 1)}
    Z1 = explicit(S["X"] * S["W1"].T + S["ones"] * S["b1"].T, V)
    V[S["H"]] = Z1.applyfunc(_f)
    V[S["Y_hat"]] = explicit(S["H"] * S["W2"].T + S["ones"] * S["b2"].T, V)
    V[S["Delta2"]] = explicit(grads[0].closed_form, V)
    V[S["fprime_Z1"]] = Z1.applyfunc(fprime)
    V[S["Delta1"]] = explicit(grads[4].closed_form, V)

    def loss(Yh):
        R = Yh - V[S["Y"]]
        return sum(e**2 for e in R) / (2 * N)

    L = loss(V[S["Y_hat"]])
    Hs, Yhs, Zs = matrix("h", N, m), matrix("yh", N, p), matrix("zz", N, m)
    L_of_H = loss(Hs * V[S["W2"]].T + V[S["ones"]] * V[S["b2"]].T)
    L_of_Z = loss(Zs.applyfunc(_f) * V[S["W2"]].T + V[S["ones"]] * V[S["b2"]].T)
    derived = {
        "Y_hat": _diff_matrix(loss(Yhs), Yhs).subs(dict(zip(Yhs, V[S["Y_hat"]]))),
        "W2": _diff_matrix(L, V[S["W2"]]), "b2": _diff_matrix(L, V[S["b2"]]),
        "H": _diff_matrix(L_of_H, Hs).subs(dict(zip(Hs, V[S["H"]]))),
        "Z1": _diff_matrix(L_of_Z, Zs).subs(dict(zip(Zs, Z1))),
        "W1": _diff_matrix(L, V[S["W1"]]), "b1": _diff_matrix(L, V[S["b1"]]),
    }
    return [verify.symbolic_identity(
        TOPIC, f"{g.name.replace(' (batch)', '')} = {_plain(g)}: batch of N = {N}, SymPy diff of L",
        derived[g.of], explicit(g.closed_form, V)) for g in grads]


# ----------------------------------------------------------------------------- chain rule

_u = sp.Symbol("u", real=True)
_g, _h, _l = sp.Function("g"), sp.Function("h"), sp.Function("l")


def scalar_chain_rule():
    """(d/du h(g(u)), h'(g(u)) g'(u)) for undefined h and g."""
    outer = sp.diff(_h(_t), _t).subs(_t, _g(_u))
    return sp.diff(_h(_g(_u)), _u), outer * sp.diff(_g(_u), _u)


def vector_chain_rule(rows: int = 2, cols: int = 3):
    """(grad_x l(W x), W^T grad_y l(y) at y = W x) for an undefined l of ``rows`` arguments."""
    W, xv = matrix("w", rows, cols), vector("x", cols)
    yv = W * xv
    ys = sp.symbols(f"y1:{rows + 1}", real=True)
    grad_y = sp.Matrix([sp.diff(_l(*ys), yi) for yi in ys]).subs(dict(zip(ys, yv)))
    grad_x = sp.Matrix([sp.diff(_l(*yv), xi) for xi in xv])
    return grad_x, W.T * grad_y


def chain_rule_checks() -> list[verify.Check]:
    return [
        verify.symbolic_identity(TOPIC, "scalar chain rule: (h o g)' = h'(g) g', h and g undefined",
                                 *scalar_chain_rule()),
        verify.symbolic_identity(TOPIC, "vector chain rule: grad_x l(W x) = W^T grad_y l, W 2x3",
                                 *vector_chain_rule()),
    ]


# ----------------------------------------------------------------------------- cost


def pass_costs(n: int, m: int, p: int) -> dict[str, int]:
    """Multiply-adds of one forward and one backward pass for one sample, and the
    parameter count P (= the number of forward passes forward mode needs)."""
    forward = m * n + p * m                    # W1 x, W2 H
    backward = p * m + p * m + m * n           # dW2 = delta2 H^T, W2^T delta2, dW1 = delta1 x^T
    params = m * n + m + p * m + p
    return {"forward": forward, "backward": backward, "params": params}


# ----------------------------------------------------------------------------- numeric


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = chain_rule_checks() + prove_single_sample() + prove_batched()
    for N, D_in, D_out in [(4, 3, 2), (32, 50, 20)]:
        x = rng.standard_normal((N, D_in))
        W = rng.standard_normal((D_out, D_in))
        b = rng.standard_normal(D_out)
        dout = rng.standard_normal((N, D_out))
        _, cache = num.affine_forward(x, W, b)
        dx, dW, db = num.affine_backward(dout, cache)
        shape = f"N={N}, D_in={D_in}, D_out={D_out}"
        out += [
            verify.check_vjp(TOPIC, f"affine_backward dx, {shape}",
                             lambda x_: num.affine_forward(x_, W, b)[0], lambda g: dx, x, dout=dout),
            verify.check_vjp(TOPIC, f"affine_backward dW, {shape}",
                             lambda W_: num.affine_forward(x, W_, b)[0], lambda g: dW, W, dout=dout),
            verify.check_vjp(TOPIC, f"affine_backward db, {shape}",
                             lambda b_: num.affine_forward(x, W, b_)[0], lambda g: db, b, dout=dout),
        ]
    for activation in num.ACTIVATIONS:
        for N, D, H, K in [(3, 4, 3, 2), (64, 30, 20, 5)]:
            params = num.two_layer_init(D, H, K, rng, scale=1.0)
            params = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
            X, Y = rng.standard_normal((N, D)), rng.standard_normal((N, K))
            _, grads = num.two_layer_loss_and_grads(params, X, Y, activation)
            for key in num.PARAMS:
                def loss(v, key=key):
                    return num.two_layer_loss_and_grads({**params, key: v}, X, Y, activation)[0]
                out.append(verify.check_gradient(
                    TOPIC, f"two-layer {activation}: dL/d{key}, N={N}, D={D}, H={H}, K={K}",
                    loss, grads[key], params[key], rng=rng))
    return out
