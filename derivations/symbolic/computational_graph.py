"""Backprop by hand: the computational graph, a worked example, and the algorithm for d layers.

The worked example is the two-layer network of :mod:`derivations.symbolic.backprop` with two
inputs, two ReLU units and one output, at numbers chosen so that every intermediate value is
a short decimal: :func:`worked_numbers` runs the NumPy kernels one step at a time, and a check
compares every number with the same network evaluated exactly (rationals) by SymPy from the
backprop chapter's definitions. :func:`two_layer_graph` draws it with those numbers.

The fork rule (a variable used twice receives the sum of its paths' gradients) is proved for
an undefined f; the L-layer recursion of :func:`derivations.numeric.backprop.mlp_backward` is
proved for one layer at symbolic size and checked entry by entry against the complex step; the
memory the caches hold is counted against depth. :func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import inspect
import tracemalloc
from fractions import Fraction
from functools import lru_cache

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Edge, Equation, Figure, Graph, Markdown, Node, Panel, Table
from ..numeric import activations as activations_np
from ..numeric import backprop as backprop_np
from ..numeric.hadamard import elementwise_backward
from . import backprop
from .common import fork_rule, tex
from .index_notation import vjp_claim

__all__ = ["WORKED", "worked_numbers", "exact_numbers", "two_layer_graph",
           "layer_claims", "cache_bytes_formula", "peak_memory", "memory_counts", "memory_peaks", "checks", "exhibits"]

TOPIC = "computational_graph"

#: The worked example's inputs as exact decimals, x (2,), W1 (2, 2), b1 (2,), W2 (1, 2), b2 (1,), y (1,),
#: with f = ReLU and L = 1/2 (y_hat - y)^2.
WORKED = {"x": [["1"], ["2"]], "W1": [["0.5", "-0.5"], ["1", "0.25"]], "b1": [["0.1"], ["-0.5"]],
          "W2": [["0.75", "-1.5"]], "b2": [["0.5"]], "y": [["0.5"]]}
#: The order in which the page lists the worked example's numbers.
FORWARD = ("z1", "h", "y_hat", "L")
BACKWARD = ("delta2", "dW2", "db2", "dh", "delta1", "dW1", "db1")


def _worked_arrays() -> dict[str, np.ndarray]:
    return {k: np.array([[float(v) for v in row] for row in rows]) for k, rows in WORKED.items()}


def worked_numbers(**inputs) -> dict[str, np.ndarray]:
    """Every intermediate of the worked example, computed by the NumPy kernels one step at a
    time, as column vectors and matrices in the book's shapes (z1 (2, 1), dW1 (2, 2), ...);
    ``inputs`` replaces some of WORKED's arrays, in its shapes (x=[[2], [1]]: an exercise's)."""
    a = {**_worked_arrays(), **{k: np.array(v, dtype=float) for k, v in inputs.items()}}
    relu, relu_grad = backprop_np.activation_pair("relu")
    x = a["x"].T                                                   # the batch of one sample: (1, n)
    z1, cache1 = backprop_np.affine_forward(x, a["W1"], a["b1"][:, 0])
    h = relu(z1)
    y_hat, cache2 = backprop_np.affine_forward(h, a["W2"], a["b2"][:, 0])
    delta2 = y_hat - a["y"].T                                      # dL/dy_hat for L = 1/2 (y_hat - y)^2
    dh, dW2, db2 = backprop_np.affine_backward(delta2, cache2)
    delta1 = elementwise_backward(dh, z1, relu_grad)
    _, dW1, db1 = backprop_np.affine_backward(delta1, cache1)
    L = 0.5 * float(np.sum((y_hat - a["y"].T) ** 2))
    col = lambda v: np.asarray(v).reshape(-1, 1)                   # noqa: E731
    return {"z1": col(z1), "h": col(h), "y_hat": col(y_hat), "L": np.array([[L]]),
            "delta2": col(delta2), "dW2": dW2, "db2": col(db2), "dh": col(dh),
            "delta1": col(delta1), "dW1": dW1, "db1": col(db1)}


#: The worked example's names -> the backprop chapter's symbols (single_sample's keys).
_SYMBOL = {"z1": "z1", "h": "h", "y_hat": "y_hat", "delta2": "delta2", "delta1": "delta1"}
_GRADIENT_OF = {"dW2": "W2", "db2": "b2", "dh": "h", "dW1": "W1", "db1": "b1"}


@lru_cache(maxsize=1)
def exact_numbers() -> dict[str, sp.Matrix]:
    """The same intermediates, evaluated exactly (rationals) by SymPy from the backprop
    chapter's definitions (``backprop.model`` and the proved closed forms) with f = ReLU."""
    S, grads = backprop.single_sample(2, 2, 1)
    relu = backprop.SYMPY_ACTIVATIONS["relu"]
    inputs = {S[k]: sp.Matrix([[sp.Rational(v) for v in row] for row in rows]) for k, rows in WORKED.items()}
    V = backprop.evaluate(backprop.model(S, relu) + backprop.auxiliary(S, grads, relu), inputs)
    by_of = {g.of: g for g in grads}
    out = {k: sp.Matrix(V[S[s]]) for k, s in _SYMBOL.items()}
    out["L"] = sp.Matrix([[V[backprop.LOSS]]])
    out.update({k: backprop.as_matrix(by_of[of].closed_form, V) for k, of in _GRADIENT_OF.items()})
    return {k: v.applyfunc(sp.nsimplify) for k, v in out.items()}


def _number(v, digits: int = 6) -> str:
    """A short decimal with a true minus sign: 2.25, -0.4, 0 (``digits`` significant digits)."""
    s = f"{float(v):.{digits}g}"
    return ("0" if s in ("-0", "0") else s).replace("-", "\N{MINUS SIGN}")


def vector_text(a, digits: int = 6) -> str:
    """(a1, a2)^T for a column, a for a 1 x 1, and rows separated by semicolons for a matrix."""
    a = np.asarray(a)
    n = lambda v: _number(v, digits)                               # noqa: E731
    if a.size == 1:
        return n(a.item())
    if a.shape[1] == 1:
        return "(" + ", ".join(n(v) for v in a[:, 0]) + ")\N{MODIFIER LETTER CAPITAL T}"
    return "[" + "; ".join(" ".join(n(v) for v in row) for row in a) + "]"


def _math_vector(a) -> str:
    """The same in MyST inline math."""
    a = np.asarray(a)
    num = lambda v: _number(v).replace("\N{MINUS SIGN}", "-")     # noqa: E731
    if a.size == 1:
        return f"${num(a.item())}$"
    if a.shape[1] == 1:
        return r"$(" + r",\ ".join(num(v) for v in a[:, 0]) + r")^\top$"
    return r"$\begin{bmatrix}" + r" \\ ".join(" & ".join(num(v) for v in row) for row in a) + r"\end{bmatrix}$"


def two_layer_graph(values: dict | None = None) -> Graph:
    """The two-layer network as a graph of operations, top (input) to bottom (loss), each edge
    labelled with the worked example's value and, in red, the gradient of L with respect to it."""
    v = worked_numbers() if values is None else values
    a = _worked_arrays()
    t = vector_text
    W1x = a["W1"] @ a["x"]
    W2h = a["W2"] @ v["h"]
    nodes = [Node("x", "$x$", 1, 0), Node("W1", "$W_1$", -1, 1), Node("mul1", r"$\times$", 1, 1, True),
             Node("b1", "$b_1$", -1, 2), Node("add1", "$+$", 1, 2, True),
             Node("f", "ReLU", 1, 3, True), Node("W2", "$W_2$", -1, 4), Node("mul2", r"$\times$", 1, 4, True),
             Node("b2", "$b_2$", -1, 5), Node("add2", "$+$", 1, 5, True), Node("y", "$y$", -1, 6),
             Node("loss", r"$\frac{1}{2}(\hat y - y)^2$", 1, 6, True), Node("L", "$L$", 1, 7)]
    edges = [Edge("x", "mul1", f"x = {t(a['x'])}"),
             Edge("W1", "mul1", t(a["W1"]), t(v["dW1"])),
             Edge("mul1", "add1", f"W\u2081x = {t(W1x)}", t(v["delta1"])),
             Edge("b1", "add1", t(a["b1"]), t(v["db1"])),
             Edge("add1", "f", f"z\u2081 = {t(v['z1'])}", f"\u03b4\u2081 = {t(v['delta1'])}"),
             Edge("f", "mul2", f"h = {t(v['h'])}", t(v["dh"])),
             Edge("W2", "mul2", t(a["W2"]), t(v["dW2"])),
             Edge("mul2", "add2", f"W\u2082h = {t(W2h)}", t(v["delta2"])),
             Edge("b2", "add2", t(a["b2"]), t(v["db2"])),
             Edge("add2", "loss", f"\u0177 = {t(v['y_hat'])}", f"\u03b4\u2082 = {t(v['delta2'])}"),
             Edge("y", "loss", t(a["y"])),
             Edge("loss", "L", f"L = {t(v['L'])}", "1")]
    return Graph(nodes, edges)


# ----------------------------------------------------------------------------- the fork rule

def _fork_numeric() -> verify.Check:
    """x used twice in tanh(x) x: the complex step of the whole against the sum of the two
    paths' derivatives (each use differentiated with the other held fixed)."""
    x = np.linspace(-2.0, 2.0, 9)
    paths = activations_np.tanh_grad(x) * x + np.tanh(x)     # the path through tanh, then the direct one
    return verify.check_derivative(lambda z: np.tanh(z) * z, lambda z: paths, x, method="complex-step",
                                   name="fork: d/dx [tanh(x) x] = the sum of its two paths, complex step, 9 points",
                                   topic=TOPIC)


# ----------------------------------------------------------------------------- forks, drawn

#: Batch norm's graph: one feature, a batch of three, gamma, beta, the default eps, and the
#: upstream gradient dL/do.
BN_EXAMPLE = {"x": (1.0, 2.0, 6.0), "gamma": 2.0, "beta": 0.5, "dout": (1.0, 0.5, -1.0)}


def batchnorm_paths(x, gamma: float, beta: float, dout, eps: float = 1e-5) -> dict[str, np.ndarray]:
    """Batch norm of one feature computed node by node, forward and backward: mu, u = x - mu
    (key "d"), v = mean(u^2), s = sqrt(v + eps), x_hat = u / s, o = gamma x_hat + beta; then each
    edge's gradient, with the two forks summed: x feeds mu and u, u feeds v and x_hat."""
    x, g = np.asarray(x, dtype=float), np.asarray(dout, dtype=float)
    N = len(x)
    mu = x.mean()
    d = x - mu
    v = np.mean(d ** 2)
    s = np.sqrt(v + eps)
    x_hat = d / s
    o = gamma * x_hat + beta
    dx_hat = gamma * g
    ds = -np.sum(dx_hat * d) / s ** 2                 # x_hat = d / s, through s
    dv = ds / (2 * s)
    dd_via_x_hat, dd_via_v = dx_hat / s, dv * 2 * d / N
    dd = dd_via_x_hat + dd_via_v                      # fork: d feeds x_hat and v
    dmu = -np.sum(dd)
    dx_direct, dx_via_mu = dd, np.full(N, dmu / N)
    return {"mu": mu, "d": d, "v": v, "s": s, "x_hat": x_hat, "o": o, "dx_hat": dx_hat, "ds": ds, "dv": dv,
            "dd_via_x_hat": dd_via_x_hat, "dd_via_v": dd_via_v, "dd": dd, "dmu": dmu,
            "dx_direct": dx_direct, "dx_via_mu": dx_via_mu, "dx": dx_direct + dx_via_mu}


def batchnorm_graph() -> Graph:
    """Batch norm of one feature as a graph: x forks into the mean and the difference, u into
    the variance and the division; each edge carries its value and gradient from a run."""
    e = BN_EXAMPLE
    p = batchnorm_paths(e["x"], e["gamma"], e["beta"], e["dout"])
    t = lambda a: vector_text(np.reshape(a, (-1, 1)), 3)   # noqa: E731
    nodes = [Node("x", "$x$", 0, 0), Node("mean", "mean", -1, 1, True), Node("sub", r"$-$", 0, 2, True),
             Node("sq", r"mean of $(\cdot)^2$", 1.6, 3, True), Node("sqrt", r"$\sqrt{\cdot + \epsilon}$", 1.6, 4, True),
             Node("div", r"$\div$", 0, 5, True), Node("aff", r"$\gamma \cdot + \beta$", 0, 6, True),
             Node("L", r"$L$", 0, 7)]
    N = len(e["x"])
    edges = [Edge("x", "mean", "", f"{_number(p['dmu'] / N, 3)} each", side="left", shift=(-0.1, -0.15)),
             Edge("x", "sub", f"x = {t(e['x'])}", t(p["dx_direct"])),
             Edge("mean", "sub", f"\u03bc = {t(p['mu'])}", t(p["dmu"]), side="left", shift=(-0.05, 0.25)),
             Edge("sub", "sq", "", t(p["dd_via_v"]), shift=(0.1, -0.35)),
             Edge("sub", "div", f"u = {t(p['d'])}", t(p["dd_via_x_hat"]), side="left"),
             Edge("sq", "sqrt", f"v = {t(p['v'])}", t(p["dv"])),
             Edge("sqrt", "div", f"s = {t(p['s'])}", t(p["ds"]), shift=(0.05, 0.2)),
             Edge("div", "aff", f"x\u0302 = {t(p['x_hat'])}", t(p["dx_hat"])),
             Edge("aff", "L", f"o = {t(p['o'])}", t(e["dout"]))]
    return Graph(nodes, edges, unit=(1.1, 0.75))


#: The unrolled RNN's graph: one input and one hidden unit, three steps, h_0 = 0, b = 0, and
#: the loss L = sum_t c_t h_t, so that dL/dh_t along the output path is c_t.
RNN_EXAMPLE = {"x": (1.0, -0.5, 0.25), "w_hx": 1.0, "w_hh": 0.5, "c": (0.5, -1.0, 1.0)}


def rnn_run() -> dict[str, np.ndarray]:
    """The unrolled RNN of RNN_EXAMPLE by the package's kernels: h (T,), deltas (T,), and the
    gradients of w_hh and w_hx."""
    from ..numeric import rnn as rnn_np

    e = RNN_EXAMPLE
    T = len(e["x"])
    x = np.reshape(e["x"], (T, 1, 1))
    h, cache = rnn_np.rnn_forward(x, np.zeros((1, 1)), [[e["w_hx"]]], [[e["w_hh"]]], [0.0])
    dh = np.reshape(e["c"], (T, 1, 1))
    deltas, _ = rnn_np.bptt_deltas(dh, h, [[e["w_hh"]]])
    grads = rnn_np.rnn_backward(dh, cache)
    return {"h": h.ravel(), "delta": np.asarray(deltas).ravel(), "dW_hh": grads.dW_hh.ravel(),
            "dW_hx": grads.dW_hx.ravel()}


def rnn_graph() -> Graph:
    """Three steps of the RNN h_t = tanh(w_hh h_{t-1} + w_hx x_t), time running down: h_t
    forks into the loss term c_t h_t (right) and the next step (down)."""
    e, r = RNN_EXAMPLE, rnn_run()
    T, w = len(e["x"]), e["w_hh"]
    n = lambda v: _number(v, 3)                               # noqa: E731
    nodes, edges = [Node("h0", "$h_0$", 0, 0)], []
    prev = "h0"
    for t in range(1, T + 1):
        y = 3 * t - 2
        h_prev = 0.0 if t == 1 else r["h"][t - 2]
        z = w * h_prev + e["w_hx"] * e["x"][t - 1]
        nodes += [Node(f"mul{t}", r"$\times w_{hh}$", 0, y, True), Node(f"in{t}", f"$w_{{hx}} x_{t}$", -1.3, y + 1),
                  Node(f"add{t}", "$+$", 0, y + 1, True), Node(f"tanh{t}", "tanh", 0, y + 2, True),
                  Node(f"loss{t}", f"$c_{t} h_{t}$", 1.4, y + 2)]
        edges += [Edge(prev, f"mul{t}", f"h{_SUB[t - 1]} = {n(h_prev)}", n(w * r["delta"][t - 1])),
                  Edge(f"mul{t}", f"add{t}", n(w * h_prev), n(r["delta"][t - 1])),
                  Edge(f"in{t}", f"add{t}", n(e["w_hx"] * e["x"][t - 1]), n(r["delta"][t - 1])),
                  Edge(f"add{t}", f"tanh{t}", f"z{_SUB[t]} = {n(z)}", f"\u03b4{_SUB[t]} = {n(r['delta'][t - 1])}"),
                  Edge(f"tanh{t}", f"loss{t}", f"h{_SUB[t]} = {n(r['h'][t - 1])}", n(e["c"][t - 1]))]
        prev = f"tanh{t}"
    return Graph(nodes, edges, unit=(1.1, 0.62))


_SUB = "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089"


def _fork_checks() -> list[verify.Check]:
    """The drawn forks against the kernels: batch norm's two paths per x_i add up to
    batchnorm_backward's dx; the RNN's dL/dh_t = c_t + w_hh delta_{t+1} gives the kernel's
    delta_t through tanh', and w_hh's gradient is the sum over its three uses, delta_t h_{t-1},
    which the complex step of the whole loss confirms."""
    from ..numeric import normalization as normalization_np

    e = BN_EXAMPLE
    p = batchnorm_paths(e["x"], e["gamma"], e["beta"], e["dout"])
    _, cache = normalization_np.batchnorm_forward(np.reshape(e["x"], (-1, 1)), [e["gamma"]], [e["beta"]])
    dx, _, _ = normalization_np.batchnorm_backward(np.reshape(e["dout"], (-1, 1)), cache)
    out = [verify.check_values(TOPIC, "batch norm's graph: the direct path plus the path through mu = batchnorm_backward's dx",
                               "float64", p["dx"], dx.ravel())]
    r, re_ = rnn_run(), RNN_EXAMPLE
    h, delta, c, w = r["h"], r["delta"], np.asarray(re_["c"]), re_["w_hh"]
    nxt = np.append(delta[1:], 0.0)
    out.append(verify.check_values(TOPIC, "RNN's graph: delta_t = (1 - h_t^2)(c_t + w_hh delta_t+1), the fork at h_t, T = 3",
                                   "float64", (1 - h ** 2) * (c + w * nxt), delta))
    h_prev = np.append(0.0, h[:-1])

    want = np.imag(_complex_rnn_loss(w + 1e-30j)) / 1e-30
    out.append(verify.check_values(TOPIC, "RNN's graph: dL/dw_hh = the sum over its 3 uses of delta_t h_t-1 = the complex step",
                                   "complex-step", np.array([np.sum(delta * h_prev), r["dW_hh"][0]]), np.array([want, want])))
    return out


def _complex_rnn_loss(w_hh):
    """L = sum_t c_t h_t of RNN_EXAMPLE in plain NumPy, for a complex w_hh."""
    e, h, L = RNN_EXAMPLE, 0.0, 0.0
    for x, c in zip(e["x"], e["c"]):
        h = np.tanh(w_hh * h + e["w_hx"] * x)
        L = L + c * h
    return L


# ----------------------------------------------------------------------------- d layers

_F = sp.Function("f")
_nl, _nk = sp.symbols("n_l n_(l-1)", positive=True, integer=True)
#: The symbols of layer l: W_l (n_l, n_{l-1}), b_l, a_{l-1}, z_{l-1} and delta_l = dL/dz_l.
LAYER = {"W": sp.MatrixSymbol(r"W_{\ell}", _nl, _nk), "b": sp.MatrixSymbol(r"b_{\ell}", _nl, 1),
         "h": sp.MatrixSymbol(r"a_{\ell-1}", _nk, 1), "z": sp.MatrixSymbol(r"z_{\ell-1}", _nk, 1),
         "delta": sp.MatrixSymbol(r"\delta_{\ell}", _nl, 1), "fprime": sp.MatrixSymbol(r"f'(z_{\ell-1})", _nk, 1)}
LAYER_SIZES = ((2, 3), (3, 2))


def layer_claims():
    """The backward step of layer l, z_l = W_l a_{l-1} + b_l with a_{l-1} = f(z_{l-1}), at symbolic
    size (n_l, n_{l-1}): each gradient as the vector-Jacobian product of z_l's definition with
    delta_l. Returns (name, displayed lhs, displayed closed form, claim)."""
    S = LAYER
    z = S["W"] * S["h"] + S["b"]
    z_of_zprev = S["W"] * backprop.elementwise(_F, S["z"]) + S["b"]
    fprime = backprop.elementwise(backprop.fprime(_F), S["z"])
    sizes = (_nl, _nk)
    rows = [("dL/dW_l = delta_l a_l-1^T", S["W"], S["delta"] * S["h"].T, z),
            ("dL/db_l = delta_l", S["b"], S["delta"], z),
            ("dL/da_l-1 = W_l^T delta_l", S["h"], S["W"].T * S["delta"], z),
            ("delta_l-1 = (W_l^T delta_l) o f'(z_l-1)", S["z"], sp.HadamardProduct(S["W"].T * S["delta"], S["fprime"]),
             z_of_zprev)]
    out = []
    for name, X, shown, out_expr in rows:
        claim = shown.xreplace({S["fprime"]: fprime})
        out.append((name, X, shown, vjp_claim(name, out_expr, X, S["delta"], claim, sizes, LAYER_SIZES)))
    return out


def _mlp_check(activation: str, widths, batch: int, seed: int) -> list[verify.Check]:
    """mlp_backward's gradients of every W_l and b_l against the complex step, entry by entry."""
    rng = np.random.default_rng(seed)
    layers = backprop_np.mlp_init(widths, rng)
    X = rng.standard_normal((batch, widths[0]))
    flat = [a for pair in layers for a in pair]

    def f(X, *params):
        pairs = list(zip(params[::2], params[1::2]))
        return _complex_mlp(pairs, X, activation)

    def vjp(dout):
        _, caches = backprop_np.mlp_forward(layers, X, activation)
        dX, grads = backprop_np.mlp_backward(dout, caches, activation)
        return [dX, *[g for pair in grads for g in pair]]

    name = (f"mlp_backward: dL/dX and every dL/dW_l, dL/db_l, {activation}, widths "
            f"{'-'.join(map(str, widths))}, N = {batch}, complex step")
    return [verify.check_vjp(f, vjp, X, *flat, method="complex-step", name=name, topic=TOPIC, rng=rng,
                             every_entry=True)]


_COMPLEX_F = {"tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z))}


def _complex_mlp(layers, X, activation):
    """The L-layer forward in plain NumPy that accepts complex input (for the complex step)."""
    A = X
    for l, (W, b) in enumerate(layers, start=1):
        Z = A @ W.T + b
        A = Z if l == len(layers) else _COMPLEX_F[activation](Z)
    return A


def _mlp_matches_two_layer() -> verify.Check:
    """mlp_forward/mlp_backward with d = 2 layers against two_layer_loss_and_grads (the loss's gradient
    passed in as dL/dY_hat = (Y_hat - Y)/N)."""
    rng = np.random.default_rng(5)
    params = backprop_np.two_layer_init(4, 3, 2, rng)
    X, Y = rng.standard_normal((6, 4)), rng.standard_normal((6, 2))
    _, want = backprop_np.two_layer_loss_and_grads(params, X, Y, "tanh")
    layers = [(params["W1"], params["b1"]), (params["W2"], params["b2"])]
    Y_hat, caches = backprop_np.mlp_forward(layers, X, "tanh")
    _, grads = backprop_np.mlp_backward((Y_hat - Y) / len(X), caches, "tanh")
    got = {"W1": grads[0][0], "b1": grads[0][1], "W2": grads[1][0], "b2": grads[1][1]}
    return verify.check_values(TOPIC, "mlp_backward with d = 2 layers equals two_layer_loss_and_grads, tanh, N = 6",
                               "float64", np.concatenate([got[k].ravel() for k in backprop_np.PARAMS]),
                               np.concatenate([want[k].ravel() for k in backprop_np.PARAMS]))


# ----------------------------------------------------------------------------- memory

MEMORY_WIDTH, MEMORY_BATCH, MEMORY_DEPTHS = 256, 64, tuple(range(1, 11))


def cache_bytes_formula(widths, batch: int, itemsize: int = 8) -> int:
    """Bytes of the activations the caches hold: each layer keeps its input A_{l-1} and its
    pre-activation Z_l, batch (n_{l-1} + n_l) numbers."""
    return itemsize * batch * sum(n + m for n, m in zip(widths, widths[1:]))


def peak_memory(depth: int, training: bool, width: int = MEMORY_WIDTH, batch: int = MEMORY_BATCH) -> int:
    """Peak bytes NumPy allocates (tracemalloc) for one pass of ``depth`` layers of ``width``:
    training (mlp_forward with its caches, then mlp_backward) or inference (each layer's output
    replaces the last)."""
    rng = np.random.default_rng(0)
    layers = backprop_np.mlp_init([width] * (depth + 1), rng)
    X = rng.standard_normal((batch, width))
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        if training:
            Y_hat, caches = backprop_np.mlp_forward(layers, X)
            backprop_np.mlp_backward(np.ones_like(Y_hat), caches)
            del caches
        else:
            A = X
            for W, b in layers:
                A = np.tanh(A @ W.T + b)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


@lru_cache(maxsize=1)
def memory_counts() -> dict:
    """Bytes counted from the arrays, for each depth of MEMORY_DEPTHS: the caches' activations
    (and the formula's count of them), and what one pass holds at its end: training, the caches
    (activations and the copies of W) and the gradients; inference, the largest input and
    output of one layer (each layer's output replaces the last). Exact, unlike a measurement."""
    rng = np.random.default_rng(0)
    out = {k: [] for k in ("activations", "formula", "train", "infer")}
    for d in MEMORY_DEPTHS:
        widths = [MEMORY_WIDTH] * (d + 1)
        layers = backprop_np.mlp_init(widths, rng)
        X = rng.standard_normal((MEMORY_BATCH, MEMORY_WIDTH))
        Y_hat, caches = backprop_np.mlp_forward(layers, X)
        _, grads = backprop_np.mlp_backward(np.ones_like(Y_hat), caches)
        held = backprop_np.cached_bytes(caches)
        out["activations"].append(held["activations"])
        out["formula"].append(cache_bytes_formula(widths, MEMORY_BATCH))
        out["train"].append(held["activations"] + held["weights"] + sum(g.nbytes for pair in grads for g in pair))
        A, most = X, 0
        for W, b in layers:
            out_ = np.tanh(A @ W.T + b)
            most, A = max(most, A.nbytes + out_.nbytes), out_
        out["infer"].append(most)
    return {k: np.array(v) for k, v in out.items()}


@lru_cache(maxsize=1)
def memory_peaks() -> dict:
    """Peak bytes measured by tracemalloc (:func:`peak_memory`), training and inference, for each
    depth of MEMORY_DEPTHS: for the tests only (a measurement varies by a few bytes between
    runs, so the page shows and checks the counts of :func:`memory_counts`)."""
    return {"train": np.array([peak_memory(d, True) for d in MEMORY_DEPTHS]),
            "infer": np.array([peak_memory(d, False) for d in MEMORY_DEPTHS])}


# ----------------------------------------------------------------------------- checks


def _worked_check() -> verify.Check:
    got, want = worked_numbers(), exact_numbers()
    g = np.concatenate([got[k].ravel() for k in (*FORWARD, *BACKWARD)])
    w = np.concatenate([np.array(want[k], dtype=float).ravel() for k in (*FORWARD, *BACKWARD)])
    return verify.check_values(TOPIC, "worked example: every NumPy intermediate equals SymPy's exact value",
                               "sympy-vs-numpy", g, w)


def checks() -> list[verify.Check]:
    """Every check of the page."""
    _, derived, claim = fork_rule()
    out = [_worked_check(),
           verify.symbolic_identity(TOPIC, "fork rule: d/dx f(x, x) = f_1(x, x) + f_2(x, x), f undefined",
                                    derived, claim),
           _fork_numeric(), *_fork_checks()]
    for name, _, _, claim in layer_claims():
        out += claim.checks(TOPIC)
    out += _mlp_check("tanh", (3, 5, 4, 4, 2), 3, 1) + _mlp_check("sigmoid", (2, 3, 3), 2, 2)
    out.append(_mlp_matches_two_layer())
    counts = memory_counts()
    same = bool(np.array_equal(counts["activations"], counts["formula"]))
    out.append(verify.Check(TOPIC, "cached activations: bytes held = 8 N sum (n_l-1 + n_l), depths 1 to 10",
                            "count", 0.0 if same else float(np.max(np.abs(counts["activations"] - counts["formula"]))),
                            0.0, same, "" if same else f"{counts['activations'].tolist()} vs {counts['formula'].tolist()}"))
    # (tracemalloc's peaks, which vary by a few bytes between runs, are compared with these
    # counts in tests/test_computational_graph.py: a page's checks must give the same numbers
    # every time the page runs)
    return out


def _source(*functions) -> Markdown:
    code = "\n\n".join(inspect.getsource(f).rstrip() for f in functions)
    return Markdown(f"```python\n{code}\n```")


def exhibits() -> dict:
    """Everything the page shows, by glue name."""
    v = worked_numbers()
    a = _worked_arrays()
    labels = {"z1": r"$z_1 = W_1 x + b_1$", "h": r"$h = \mathrm{ReLU}(z_1)$", "y_hat": r"$\hat y = W_2 h + b_2$",
              "L": r"$L = \frac{1}{2}(\hat y - y)^2$", "delta2": r"$\delta_2 = \hat y - y$",
              "dW2": r"$\partial L / \partial W_2 = \delta_2 h^\top$", "db2": r"$\partial L / \partial b_2 = \delta_2$",
              "dh": r"$\partial L / \partial h = W_2^\top \delta_2$",
              "delta1": r"$\delta_1 = \partial L / \partial h \odot \mathrm{ReLU}'(z_1)$",
              "dW1": r"$\partial L / \partial W_1 = \delta_1 x^\top$", "db1": r"$\partial L / \partial b_1 = \delta_1$"}
    inputs = Table(["input", "value"], [[f"${k[0]}_{k[1]}$" if len(k) == 2 else f"${k}$", _math_vector(a[k])]
                                        for k in WORKED])
    lhs, _, rhs = fork_rule()
    out = {"worked_inputs": inputs,
           "worked_forward": Table(["step", "value"], [[labels[k], _math_vector(v[k])] for k in FORWARD]),
           "worked_backward": Table(["step", "value"], [[labels[k], _math_vector(v[k])] for k in BACKWARD]),
           "fig_two_layer_graph": two_layer_graph(v),
           "fig_bn_graph": batchnorm_graph(), "fig_rnn_graph": rnn_graph(),
           "eq_fork": Equation(tex(sp.Eq(lhs, rhs, evaluate=False)), proofs=("fork rule:",)),
           "mlp_code": _source(backprop_np.mlp_forward, backprop_np.mlp_backward)}
    for key, (name, X, shown, _) in zip(("eq_layer_W", "eq_layer_b", "eq_layer_h", "eq_layer_delta"), layer_claims()):
        out[key] = Equation(tex(sp.Eq(sp.Symbol(r"\frac{\partial L}{\partial " + sp.latex(X) + "}"), shown,
                                      evaluate=False)), proofs=(name + ":",))
    counts = memory_counts()
    depths = np.array(MEMORY_DEPTHS)
    mb = 1 / 2 ** 20
    out["fig_memory"] = Figure([Panel([Curve(depths, counts["train"] * mb, "training: caches and gradients", "o-"),
                                       Curve(depths, counts["infer"] * mb, "inference", "s-"),
                                       Curve(depths, counts["formula"] * mb, "cached activations", "--")],
                                      xlabel="layers d", ylabel="bytes held (MiB)", legend_loc="upper left")],
                               size=(5.0, 3.4))
    out["mem_width"], out["mem_batch"] = str(MEMORY_WIDTH), str(MEMORY_BATCH)
    e, r = BN_EXAMPLE, RNN_EXAMPLE
    m = lambda v: Markdown(_math_vector(np.reshape(v, (-1, 1))))       # noqa: E731
    out["bn_x"], out["bn_dout"], out["bn_gamma"], out["bn_beta"] = m(e["x"]), m(e["dout"]), m(e["gamma"]), m(e["beta"])
    paths = batchnorm_paths(e["x"], e["gamma"], e["beta"], e["dout"])
    out["bn_dx"] = Markdown(_math_vector(np.round(paths["dx"], 3).reshape(-1, 1)))
    out["rnn_x"], out["rnn_c"] = m(r["x"]), m(r["c"])
    out["rnn_w_hh"], out["rnn_w_hx"] = m(r["w_hh"]), m(r["w_hx"])
    out["mem_per_layer"] = f"{cache_bytes_formula([MEMORY_WIDTH] * 2, MEMORY_BATCH) / 2 ** 20:.3g} MiB"
    out["mem_train_max"] = f"{counts['train'][-1] / 2 ** 20:.3g} MiB"
    out["mem_infer_max"] = f"{counts['infer'][-1] / 2 ** 20:.3g} MiB"
    out["mem_depth_max"] = str(MEMORY_DEPTHS[-1])
    return out
