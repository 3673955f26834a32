"""Vanishing and exploding gradients: the gradient at a layer is a product of Jacobians.

For a stack h_l = f(W_l h_{l-1}) of depth d, SymPy proves

    dL/dh_0 = W_1^T D_1 W_2^T D_2 ... W_d^T D_d dL/dh_d,   D_l = diag(f'(z_l)),

for an undefined f at two (depth, width) pairs; the display is printed from the matrix-symbol
product whose explicit expansion is proved. Its norm is at most
prod_l norm2(W_l) max(abs(f'))^d norm(dL/dh_d), checked per sample on simulated stacks; for
the sigmoid max(abs(sigma')) = 1/4. The mean-field estimate prod_l sqrt(n Var(w) mean(f'(z_l)^2))
evaluated with each stack's measured mean(f'^2) agrees with the measured ratios within a factor
of 3; a larger variance restores a sigmoid stack's gradient, at the cost of saturating its units,
because the sigmoid's outputs have mean 1/2 (the centred sigma - 1/2 balances at n Var(w) near 16).
:func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import functools
import zlib
import dataclasses
from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table
from ..numeric import backprop as backprop_np
from ..numeric import vanishing_exploding as vanishing_exploding_np
from ..numeric.initialization import normal_weights
from .common import explicit, matrix, vector
from .common import tex as common_tex
from .backprop import fprime
from .index_notation import GradientClaim, vjp_claim
from .index_steps import Partial, StepChain, entry_of, evaluator
from .initialization import squared_norm_through_transpose

__all__ = ["layer", "jacobian_product", "jacobian_product_proof", "F_MAX", "bound_rhs",
           "mean_field_ratio", "mean_field_fixed_point", "mean_field_gain", "Run", "stack_run",
           "simulate", "checks", "exhibits"]

TOPIC = "vanishing_exploding"
#: (depth, width) of the explicit stacks on which the Jacobian product is proved.
PROOF_SIZES = ((3, 2), (2, 3))
#: The simulated stacks (depth d, width n, batch size N).
DEPTH, WIDTH, N_SAMPLES = 30, 128, 64
#: The four initializations, as c in Var(w) = c / n (from the numeric module's schemes).
SCHEMES = {name: var(WIDTH) * WIDTH for name, var in vanishing_exploding_np.INIT_SCHEMES.items()}
#: The sweep of c = n Var(w) for sigmoid stacks.
SWEEP = (1, 4, 16, 64, 128, 256)
#: The sigmoid sweep crosses from vanishing to exploding between these two values of n Var(w).
CROSSING = (64, 128)
#: The mean-field estimate must agree with the measured ratio within this factor.
MEAN_FIELD_FACTOR = 3.0
#: The input-scaling experiment (a Xavier sigmoid stack of this depth and width, a batch of
#: standardized inputs, and the factor they are multiplied by).
SCALE_DEPTH, SCALE_WIDTH, SCALE_SAMPLES, INPUT_SCALE = 10, 64, 256, 30.0
ACTIVATION_NAMES = tuple(backprop_np.ACTIVATION_PAIRS)

# ------------------------------------------------------------------ symbols and printing
n = sp.Symbol("n", positive=True, integer=True)     # the width
d = sp.Symbol("d", positive=True, integer=True)     # the depth
ell = sp.Symbol("ell", positive=True, integer=True)  # a layer
fmax = sp.Symbol("M", positive=True)                 # max |f'|
g0, gd = sp.symbols("g_0 g_d")                       # dL/dh_0, dL/dh_d (in norms)
_W_l = sp.IndexedBase("W")
_f = sp.Function("f")
_t = sp.Symbol("t", real=True)
z = sp.Symbol("z", real=True)

NAMES = {ell: r"\ell", sp.Symbol("v_w"): r"\operatorname{Var}(w)", fmax: r"\max\lvert f'\rvert",
         g0: r"\partial L / \partial h_0", gd: r"\partial L / \partial h_d"}


class Norm(sp.Function):
    """The Euclidean norm of a vector (display; evaluated by substituting its value)."""

    def _latex(self, printer):
        return rf"\left\lVert {printer._print(self.args[0])} \right\rVert"


class SpectralNorm(sp.Function):
    """The spectral norm norm2(W) (display; evaluated by substituting its value)."""

    def _latex(self, printer):
        return rf"\lVert {printer._print(self.args[0])} \rVert_2"


class MeanSq(sp.Function):
    """mean(f'(z_l)^2) over the batch and the units of layer l (display; substituted)."""

    def _latex(self, printer):
        return rf"\overline{{f'(z_{{{printer._print(self.args[0])}}})^2}}"


def tex(expr, names: dict | None = None, **settings) -> str:
    """common.tex with this chapter's display names."""
    return common_tex(expr, {**NAMES, **(names or {})}, **settings)


# ------------------------------------------------------------------ the model and the product
def W(k, size=n):
    return sp.MatrixSymbol(f"W_{k}", size, size)


def h(k, size=n):
    return sp.MatrixSymbol(f"h_{k}", size, 1)


def layer(Wk, h_prev, f=_f):
    """One layer of the stack, f(W h) entrywise: for matrix symbols (the display) and for
    explicit matrices (the proof) alike."""
    return (Wk * h_prev).applyfunc(f)


def _D(k, size=n):
    return sp.MatrixSymbol(f"D_{k}", size, size)


def _fprime_of_z(k, size=n):
    return sp.MatrixSymbol(f"fprime_{k}", size, 1)


def activation_jacobian(k, size=n):
    """D_k = diag(f'(z_k))."""
    return sp.DiagMatrix(_fprime_of_z(k, size))


def layer_factor(k, size=n):
    """Layer k's share of the product: W_k^T D_k (its Jacobian, transposed)."""
    return (W(k, size).T, _D(k, size))


def _upstream(size=n):
    return sp.MatrixSymbol("g", size, 1)


def jacobian_product(depth, size=n):
    """W_1^T D_1 ... W_depth^T D_depth dL/dh_depth, as one flat matrix-symbol product."""
    return sp.MatMul(*[a for k in range(1, depth + 1) for a in layer_factor(k, size)], _upstream(size))


def _fprime(zk):
    return sp.diff(_f(_t), _t).subs(_t, zk)


def jacobian_product_proof(depth: int = 3, width: int = 2):
    """(SymPy's dL/dh_0 of the stack built with :func:`layer`, the displayed product evaluated
    on the same explicit matrices), f undefined."""
    Ws = [matrix(f"w{k}", width, width) for k in range(1, depth + 1)]
    h0, g = vector("h0", width), vector("g", width)
    hk, values = h0, {_upstream(width): g}
    for k, Wk in enumerate(Ws, 1):
        zk = Wk * hk
        hk = layer(Wk, hk)
        values[W(k, width)] = Wk
        values[_D(k, width)] = explicit(activation_jacobian(k, width),
                                        {_fprime_of_z(k, width): zk.applyfunc(_fprime)})
    L = (g.T * hk)[0, 0]
    derived = sp.Matrix([sp.diff(L, v) for v in h0])
    return derived, explicit(jacobian_product(depth, width), values)


#: The name of the induction over depth (its base and its step are one layer's VJP).
DEPTH_INDUCTION = ("dL/dh_0 = W1^T D1 ... Wd^T Dd dL/dh_d for every depth d, any width n: induction, "
                   "base and step the VJP of one layer f(W h)")


def one_layer_claim() -> GradientClaim:
    """dL/dh_0 = W_1^T D_1 g for h_1 = f(W_1 h_0), D_1 = diag(f'(W_1 h_0)), any width n and any
    upstream g = dL/dh_1: the base of the induction over depth, and its step (a stack of d
    layers is one layer below a stack of d - 1, whose dL/dh_1 is the product for d - 1 by the
    hypothesis)."""
    z1 = W(1) * h(0)
    claim = sp.MatMul(*layer_factor(1), _upstream()).xreplace(
        {_D(1): activation_jacobian(1).xreplace({_fprime_of_z(1): ElementwiseApplyFunction(fprime(_f), z1)})})
    return vjp_claim("one layer: dL/dh_0 = W1^T D1 dL/dh_1 for h_1 = f(W1 h_0)", layer(W(1), h(0)), h(0), _upstream(), claim, (n,),
                     tuple((w,) for _, w in PROOF_SIZES))


def depth_induction_checks() -> list[verify.Check]:
    """The induction over depth (method "induction"), and its one-layer VJP at two explicit
    widths against the explicit derivative."""
    claim = one_layer_claim()
    proof = claim.prove(TOPIC)
    return [dataclasses.replace(proof, name=DEPTH_INDUCTION, method="induction"), *claim.instance_checks(TOPIC)]


# ------------------------------------------------------------------ the product, by hand
# The entry indices of the hand steps, and the slacks that put them in range (index_steps).
_j, _k = sp.symbols("j k", integer=True, nonnegative=True)
_c, _u = sp.symbols("c u", integer=True, nonnegative=True)
_q = sp.Symbol("q", integer=True, nonnegative=True)
LOSS = sp.Symbol("L")
_phi = sp.Function("phi")
#: The depths of the unrolled product and the explicit widths at which its steps are proved
#: written out (depth 3 at width 3 would take seconds).
UNROLLED_WIDTHS = {3: (2,), 2: (3,)}


@dataclass(frozen=True)
class HandStack:
    """A stack of ``depth`` layers h_l = f(W_l h_{l-1}), z_l = W_l h_{l-1}, for the hand steps,
    with the loss L = sum_q phi(h_depth,q) (phi undefined: a loss that is not linear in the
    output, whose partial derivatives are phi'); ``G[l]`` stands for dL/dh_l, ``J[l]`` for the
    Jacobian dh_l/dh_{l-1} and ``D[l]`` for diag(f'(z_l)), each defined by what ``evaluate``
    writes for its entries."""

    h: tuple
    W: tuple
    z: tuple
    J: tuple
    D: tuple
    G: tuple
    evaluate: object
    names: dict


def hand_stack(depth: int, first: int = 1, width=n) -> HandStack:
    """The layers ``first`` .. ``first + depth - 1`` of a stack (first = "ell": one layer l, its
    input h_{l-1}), as matrix symbols, and the evaluator of its hand steps."""
    labels = ([r"\ell - 1", r"\ell"] if first == "ell" else [str(k) for k in range(first - 1, first + depth)])
    keys = ["prev", "ell"] if first == "ell" else labels
    h = tuple(sp.MatrixSymbol(f"h_{k}", width, 1) for k in keys)
    W, z, J, D = ((None,) + tuple(sp.MatrixSymbol(f"{s}_{k}", *shape) for k in keys[1:])
                  for s, shape in (("W", (width, width)), ("z", (width, 1)), ("J", (width, width)), ("D", (width, width))))
    G = tuple(sp.MatrixSymbol(f"G_{k}", width, 1) for k in keys)
    defs, order = {}, []
    for l in range(1, len(keys)):
        defs[z[l]], defs[h[l]] = W[l] * h[l - 1], ElementwiseApplyFunction(_f, z[l])
        order += [z[l], h[l]]
    defs[LOSS] = sp.Sum(_phi(h[-1][_q, 0]), (_q, 0, width - 1))
    named = {G[l]: (lambda a, b, l=l: Partial(LOSS, h[l][a, 0])) for l in range(len(keys))}
    for l in range(1, len(keys)):
        named[J[l]] = lambda a, b, l=l: Partial(h[l][a, 0], h[l - 1][b, 0])
        named[D[l]] = lambda a, b, l=l: sp.KroneckerDelta(a, b) * fprime(_f)(z[l][a, 0])
    names = {}
    for l, label in enumerate(labels):
        names[h[l]] = f"h_{{{label}}}"
        names[G[l]] = rf"\frac{{\partial L}}{{\partial h_{{{label}}}}}"
        if l:
            names.update({W[l]: f"W_{{{label}}}", z[l]: f"z_{{{label}}}", J[l]: f"J_{{{label}}}", D[l]: f"D_{{{label}}}"})
    return HandStack(h, W, z, J, D, G, evaluator(defs, order, LOSS, named), names)


def hand_steps() -> dict:
    """The hand steps from the chain rule to the product of Jacobians: one layer's chain rule
    (dL/dh_{l-1} = J_l^T dL/dh_l) and its Jacobian (J_l = D_l W_l), entry by entry at any width
    n; and the product unrolled over a stack of depth 3 (and 2), written out at widths 2 and 3."""
    s = hand_stack(1, "ell")
    (hp, h1), W1, z1, J1, D1, G1 = s.h, s.W[1], s.z[1], s.J[1], s.D[1], s.G[1]
    j, k, c, u = _j, _k, _c, _u
    square = ({j: k + c, n: k + c + 1 + u}, {k: j + 1 + c, n: j + c + 2 + u})
    out = {
        "layer": StepChain("one layer's chain rule by hand", (
            Partial(LOSS, hp[j, 0]),
            sp.Sum(Partial(LOSS, h1[k, 0]) * Partial(h1[k, 0], hp[j, 0]), (k, 0, n - 1)),
            sp.Sum(Partial(LOSS, h1[k, 0]) * J1[k, j], (k, 0, n - 1)),
            entry_of(J1.T * G1, j)),
            ("the chain rule through h_ell: dL/dh_{ell-1,j} = sum_k dL/dh_ell,k dh_ell,k/dh_{ell-1,j}",
             "dh_ell,k/dh_{ell-1,j} = (J_ell)_kj, the Jacobian's entry",
             "sum_k dL/dh_ell,k (J_ell)_kj = (J_ell^T dL/dh_ell)_j"),
            {n: j + 1 + u}, s.evaluate, "n", ({j: 0, u: 1},)),
        "jacobian": StepChain("the layer's Jacobian by hand", (
            Partial(h1[k, 0], hp[j, 0]),
            fprime(_f)(z1[k, 0]) * Partial(z1[k, 0], hp[j, 0]),
            fprime(_f)(z1[k, 0]) * W1[k, j],
            entry_of(D1 * W1, k, j)),
            ("the chain rule through z_ell,k: dh_ell,k/dh_{ell-1,j} = f'(z_ell,k) dz_ell,k/dh_{ell-1,j}",
             "dz_ell,k/dh_{ell-1,j} = (W_ell)_kj",
             "f'(z_ell,k) (W_ell)_kj = (D_ell W_ell)_kj"),
            square, s.evaluate, "n", ({j: 0, k: 1, c: 0, u: 1},)),
    }
    for depth, widths in UNROLLED_WIDTHS.items():
        t = hand_stack(depth)
        rows = [t.G[0]] + [sp.MatMul(*[t.J[a].T for a in range(1, l + 1)], t.G[l]) for l in range(1, depth + 1)]
        rows.append(sp.MatMul(*[x for a in range(1, depth + 1) for x in (t.W[a].T, t.D[a])], t.G[depth]))
        steps = tuple(f"dL/dh_{l - 1} = J_{l}^T dL/dh_{l}, one layer's chain rule" for l in range(1, depth + 1))
        out[f"depth {depth}"] = StepChain(
            f"the product of Jacobians by hand, depth {depth}", tuple(rows),
            steps + ("J_l^T = W_l^T D_l at every layer",), {}, lambda r, t=t: t.evaluate(entry_of(r, _j)),
            "n = " + " and ".join(map(str, widths)), (), tuple({n: w, _j: w - 1} for w in widths))
    return out


def hand_step_names() -> dict:
    """The display names of the hand steps' symbols (one layer, and the stack of depth 3)."""
    return {**hand_stack(1, "ell").names, **hand_stack(3).names}


def hand_step_checks() -> list[verify.Check]:
    return [c for chain in hand_steps().values() for c in chain.checks(TOPIC)]


# ------------------------------------------------------------------ the bound, by hand
#: The stacks on which each step of the one-layer bound is measured (depth, width, batch).
BOUND_STEP_STACK = (6, 16, 8)
#: The explicit sizes at which the two norm facts are proved.
NORM_SIZES = (2, 3)


def bound_step_rows():
    """The one-layer bound as rows, each related to the next by the relation before it:
    norm(dL/dh_{l-1}) = norm(W_l^T D_l dL/dh_l) <= norm2(W_l^T) norm2(D_l) norm(dL/dh_l)
    = norm2(W_l) norm2(D_l) norm(dL/dh_l) <= norm2(W_l) max(abs(f')) norm(dL/dh_l)."""
    s = hand_stack(1, "ell")
    (hp_grad, g), Wl, Dl = s.G, s.W[1], s.D[1]
    rows = [Norm(hp_grad), Norm(sp.MatMul(Wl.T, Dl, g)),
            sp.Mul(SpectralNorm(Wl.T), SpectralNorm(Dl), Norm(g), evaluate=False),
            sp.Mul(SpectralNorm(Wl), SpectralNorm(Dl), Norm(g), evaluate=False),
            sp.Mul(SpectralNorm(Wl), fmax, Norm(g), evaluate=False)]
    return rows, ("=", r"\le", "=", r"\le"), s.names


def bound_step_tex() -> str:
    rows, relations, names = bound_step_rows()
    out = tex(rows[0], names, order="none")
    for rel, row in zip(relations, rows[1:]):
        out += f" {rel} {tex(row, names, order='none')}"
    return out


def bound_step_terms(activation: str, rng) -> np.ndarray:
    """The five rows of :func:`bound_step_rows` for every layer and sample of a stack of
    BOUND_STEP_STACK (He's variance), from NumPy: the first from stack_backward, the others
    from the weights and f'(z) of the forward pass; shape (5, layers x samples)."""
    depth, width, batch = BOUND_STEP_STACK
    weights = vanishing_exploding_np.init_stack(depth, width, "he", rng)
    x = rng.standard_normal((batch, width))
    out, cache = vanishing_exploding_np.stack_forward(x, weights, activation)
    grads = vanishing_exploding_np.stack_backward(rng.standard_normal(out.shape), cache)
    f_grad = backprop_np.ACTIVATION_PAIRS[activation][1]
    rows = []
    for l, (W, z) in enumerate(zip(weights, cache[0])):
        for s in range(batch):
            D, g = np.diag(f_grad(z[s])), grads[l + 1][s]
            norm_W, norm_WT, norm_D, norm_g = (np.linalg.norm(M, 2) for M in (W, W.T, D, g[:, None]))
            rows.append([np.linalg.norm(grads[l][s]), np.linalg.norm(W.T @ D @ g),
                         norm_WT * norm_D * norm_g, norm_W * norm_D * norm_g,
                         norm_W * float(F_MAX[activation]) * norm_g])
    return np.array(rows).T


def norm_facts(size: int):
    """(charpoly of W^T W, of W W^T) for an explicit size x size W of symbols, and (the
    eigenvalues of D^T D, the squares d_i^2) for D = diag(d_1, ..., d_size): the two facts
    behind the equality and the last step of the bound (norm2(W^T) = norm2(W), and
    norm2(D) = max abs(d_i))."""
    Wm = matrix("w", size, size)
    lam = sp.Symbol("lambda")
    d = vector("d", size)
    Dm = sp.diag(*d)
    eig = (Dm.T * Dm).eigenvals(multiple=True)
    return ((Wm.T * Wm).charpoly(lam).as_expr(), (Wm * Wm.T).charpoly(lam).as_expr(),
            sorted(eig, key=sp.default_sort_key), sorted([e ** 2 for e in d], key=sp.default_sort_key))


def wrong_side_check(rng) -> verify.Check:
    """The pitfall of the Jacobian's hand steps: D_l scales the rows of W_l (the index of the
    output, k); J_l = W_l D_l, the columns scaled, passes back D_l W_l^T g instead of
    W_l^T D_l g."""
    W = rng.standard_normal((5, 5)) / np.sqrt(5)
    x, g = rng.standard_normal((1, 5)), rng.standard_normal((1, 5))
    _, cache = vanishing_exploding_np.stack_forward(x, [W], "tanh")
    right = vanishing_exploding_np.stack_backward(g, cache)[0][0]
    D = np.diag(backprop_np.ACTIVATION_PAIRS["tanh"][1](cache[0][0][0]))
    wrong = D @ W.T @ g[0]
    return verify.check_bound(TOPIC, "the diagonal on the wrong side: D_l W_l^T dL/dh_l differs from "
                              "stack_backward's W_l^T D_l dL/dh_l by more than 10%, tanh, width 5",
                              0.1, verify.rel_error(wrong, right), strict=True)


def bound_step_checks(seed: int = 0) -> list[verify.Check]:
    """Each step of the one-layer bound: the two norm facts proved at NORM_SIZES, and every
    relation measured at every layer and sample of the three activations' stacks."""
    out = []
    for size in NORM_SIZES:
        a, b, eig, squares = norm_facts(size)
        out.append(verify.symbolic_identity(
            TOPIC, f"the bound by hand: W^T W and W W^T have the same characteristic polynomial, so "
                   f"norm2(W^T) = norm2(W), W {size}x{size}", a, b))
        out.append(verify.symbolic_identity(
            TOPIC, f"the bound by hand: the eigenvalues of D^T D are d_i^2, so norm2(D) = max abs(d_i), "
                   f"D = diag(d) {size}x{size}", sp.Matrix(eig), sp.Matrix(squares)))
    rng = np.random.default_rng(seed + 19)
    out.append(wrong_side_check(rng))
    terms = np.concatenate([bound_step_terms(a, rng) for a in ACTIVATION_NAMES], axis=1)
    depth, width, batch = BOUND_STEP_STACK
    where = f"sigmoid, tanh and relu stacks of depth {depth}, width {width}, every layer and sample"
    out += [
        verify.check_values(TOPIC, f"the bound by hand, step 1: norm(dL/dh_(l-1)) = norm(W_l^T D_l dL/dh_l), {where}",
                            "float64", terms[0], terms[1]),
        verify.check_bound(TOPIC, f"the bound by hand, step 2: norm(W_l^T D_l g) <= norm2(W_l^T) norm2(D_l) norm(g), {where}",
                           terms[1], terms[2]),
        verify.check_values(TOPIC, f"the bound by hand, step 3: norm2(W_l^T) = norm2(W_l), {where}",
                            "float64", terms[2], terms[3]),
        verify.check_bound(TOPIC, f"the bound by hand, step 4: norm2(D_l) <= max abs(f'), {where}",
                           terms[3], terms[4]),
    ]
    return out


def sigmoid_derivative_maximum() -> tuple[sp.Expr, sp.Expr]:
    """(argmax, max) of sigma'(z), from SymPy's derivative of 1 / (1 + e^-z)."""
    dsig = sp.diff(1 / (1 + sp.exp(-z)), z)
    (z0,) = sp.solve(sp.diff(dsig, z), z)
    return z0, sp.simplify(dsig.subs(z, z0))


def sigmoid_bound(depth: int) -> sp.Rational:
    """max(abs(sigma'))^depth = (1/4)^depth, the activations' share of the bound."""
    return sigmoid_derivative_maximum()[1] ** depth


#: The largest value of abs(f') for each activation (1/4 for the sigmoid, derived by
#: ``sigmoid_derivative_maximum``; 1 for tanh and ReLU).
F_MAX = {"sigmoid": sigmoid_derivative_maximum()[1], "tanh": sp.Integer(1), "relu": sp.Integer(1)}

#: The bound norm(dL/dh_0) <= prod_l norm2(W_l) max(abs(f'))^d norm(dL/dh_d), displayed and evaluated.
bound_rhs = sp.Mul(sp.Product(SpectralNorm(_W_l[ell]), (ell, 1, d)), fmax ** d, Norm(gd),
                   evaluate=False)
_n_, _v_ = sp.symbols("n v_w")   # without assumptions, so that the square root prints as one root
#: The mean-field estimate of norm(dL/dh_0) / norm(dL/dh_d).
mean_field_ratio = sp.Product(sp.sqrt(_n_ * _v_ * MeanSq(ell)), (ell, 1, d))
_u = sp.Symbol("u", positive=True)


def evaluate_products(expr, depth: int, per_layer: dict, scalars: dict):
    """A displayed expression at a given depth, numerically: every Product over l = 1..d is
    the product over the layers of its factor, evaluated with ``per_layer`` (a map from the
    factor's per-layer expression, such as SpectralNorm(W[l]) or MeanSq(l), to an array of its
    values for l = 1..depth); the rest is evaluated with ``scalars`` (a map from symbols or
    sub-expressions to numbers or arrays)."""
    expr = expr.subs(d, depth)
    products = {}
    for p in expr.atoms(sp.Product):
        (var, lo, hi), = p.limits
        if (var, lo, hi) != (ell, 1, depth):
            raise ValueError(f"expected a product over l = 1..{depth}, got {p.limits}")
        keys = [k for k in per_layer if p.function.has(k)]
        args = sp.symbols(f"a0:{len(keys)}")
        fn = sp.lambdify(args, p.function.xreplace(dict(zip(keys, args))), "numpy")
        values = np.broadcast_to(fn(*[np.asarray(per_layer[k], dtype=float) for k in keys]), (depth,))
        products[p] = sp.Float(float(np.prod(values)))
    rest = expr.xreplace(products)
    keys = list(scalars)
    args = sp.symbols(f"b0:{len(keys)}")
    fn = sp.lambdify(args, rest.xreplace(dict(zip(keys, args))), "numpy")
    return fn(*[np.asarray(scalars[k], dtype=float) for k in keys])


def bound_value(spectral_norms, f_max, upstream_norms) -> np.ndarray:
    """:data:`bound_rhs` at depth len(spectral_norms), evaluated per sample."""
    depth = len(spectral_norms)
    per_layer = {SpectralNorm(_W_l[ell]): spectral_norms}
    return np.asarray(evaluate_products(bound_rhs, depth, per_layer,
                                        {fmax: float(f_max), Norm(gd): np.asarray(upstream_norms, dtype=float)}),
                      dtype=float)


def mean_field_value(c: float, mean_squares) -> float:
    """:data:`mean_field_ratio` at depth len(mean_squares), n Var(w) = c."""
    per_layer = {MeanSq(ell): mean_squares, _n_: np.ones(len(mean_squares)), _v_: np.full(len(mean_squares), c)}
    return float(evaluate_products(mean_field_ratio, len(mean_squares), per_layer, {}))


# ------------------------------------------------------------------ simulations
def simulate(activation: str, scheme: str, rng, depth: int = DEPTH, width: int = WIDTH,
             n_samples: int = 64) -> np.ndarray:
    """Gradient norm at each layer l = 0..depth of a freshly initialized stack."""
    weights = vanishing_exploding_np.init_stack(depth, width, scheme, rng)
    x = rng.standard_normal((n_samples, width))
    return vanishing_exploding_np.layer_gradient_norms(x, weights, activation, rng=rng)


def mean_derivative_per_layer(x, weights, activation: str) -> np.ndarray:
    """The mean of f'(z_l) over the batch and units, at each layer l = 1..L."""
    _, cache = vanishing_exploding_np.stack_forward(x, weights, activation)
    f_grad = backprop_np.ACTIVATION_PAIRS[activation][1]
    return np.array([float(np.mean(f_grad(z))) for z in cache[0]])


@dataclass(frozen=True)
class Run:
    """One simulated stack: what the page shows and the checks use."""

    activation: str
    c: float                      # n Var(w)
    norms: np.ndarray             # ||dL/dh_l|| (over the batch) for l = 0..d
    g0: np.ndarray                # ||dL/dh_0|| per sample
    gd: np.ndarray                # ||dL/dh_d|| per sample
    spectral: np.ndarray          # ||W_l||_2, l = 1..d (empty unless computed)
    mean_fprime: np.ndarray       # mean f'(z_l), l = 1..d
    mean_sq_fprime: np.ndarray    # mean f'(z_l)^2, l = 1..d
    saturated: float              # the fraction of units (all layers) with f'(z) < max f' / 10
    branch_gain: np.ndarray       # mean f(z_l)^2 / mean h_{l-1}^2: a layer's output (the branch,
                                  # in a residual stack) over its input, l = 1..d

    @property
    def ratio(self) -> float:
        """norm(dL/dh_0) / norm(dL/dh_d), the norms over the batch."""
        return float(self.norms[0] / self.norms[-1])

    @property
    def mean_slope(self) -> float:
        """The mean of f'(z_l) over all layers, samples and units."""
        return float(np.mean(self.mean_fprime))


def spectral_norms(weights, steps: int = 40) -> np.ndarray:
    """norm2(W_l) of each matrix, the square root of the largest eigenvalue of W_l^T W_l, by
    Lanczos with full reorthogonalization on all matrices at once (matrix-vector products only,
    no threaded LAPACK). A Ritz value never exceeds the largest eigenvalue, so the result is
    never above norm2(W_l), and after ``steps`` steps it agrees with it to rounding (tested
    against numpy.linalg.norm(W, 2))."""
    Ws = np.stack(weights)
    count, n, _ = Ws.shape
    steps = min(steps, n)
    Q = np.zeros((count, steps + 1, n))
    alpha, beta = np.zeros((count, steps)), np.zeros((count, steps))
    Q[:, 0] = 1 / np.sqrt(n)
    for j in range(steps):
        v = np.einsum("kji,kj->ki", Ws, np.einsum("kij,kj->ki", Ws, Q[:, j]))
        alpha[:, j] = np.einsum("ki,ki->k", v, Q[:, j])
        basis = Q[:, :j + 1]
        v -= np.einsum("kj,kji->ki", np.einsum("kji,ki->kj", basis, v), basis)
        beta[:, j] = np.linalg.norm(v, axis=1)
        if np.any(beta[:, j] < 1e-14 * np.abs(alpha[:, j])):   # an invariant subspace: T is exact
            steps = j + 1
            break
        Q[:, j + 1] = v / beta[:, j:j + 1]
    top = [np.linalg.eigvalsh(np.diag(alpha[k, :steps]) + np.diag(beta[k, :steps - 1], 1)
                              + np.diag(beta[k, :steps - 1], -1))[-1] for k in range(count)]
    return np.sqrt(np.array(top))


def _rng(seed: int, *key) -> np.random.Generator:
    """A generator for one run, from the seed and the run's parameters (not the call order)."""
    return np.random.default_rng([seed, zlib.crc32(repr(key).encode())])


@functools.lru_cache(maxsize=None)
def stack_run(activation: str, c: float, depth: int = DEPTH, width: int = WIDTH,
              n_samples: int = N_SAMPLES, seed: int = 0, residual: bool = False,
              branch_scale: float = 1.0, with_norms: bool = True) -> Run:
    """A stack of ``depth`` layers with Var(w) = c / width (the weights then scaled by
    ``branch_scale``), standard normal inputs and a standard normal upstream gradient; the
    spectral norms of its weights (an eigenvalue problem per layer) only ``with_norms``."""
    rng = _rng(seed, activation, c, depth, width, n_samples, residual, branch_scale)
    weights = [branch_scale * normal_weights(width, width, c / width, rng) for _ in range(depth)]
    x = rng.standard_normal((n_samples, width))
    out, cache = vanishing_exploding_np.stack_forward(x, weights, activation, residual)
    grads = vanishing_exploding_np.stack_backward(rng.standard_normal(out.shape), cache)
    f, f_grad = backprop_np.ACTIVATION_PAIRS[activation]
    fp = [f_grad(zl) for zl in cache[0]]
    gain, h = [], x
    for zl in cache[0]:
        branch = f(zl)
        gain.append(float(np.mean(branch ** 2) / np.mean(h ** 2)))
        h = h + branch if residual else branch
    return Run(activation, c * branch_scale ** 2, np.array([np.linalg.norm(g) for g in grads]),
               np.linalg.norm(grads[0], axis=1), np.linalg.norm(grads[-1], axis=1),
               spectral_norms(weights) if with_norms else np.array([]),
               np.array([float(np.mean(v)) for v in fp]), np.array([float(np.mean(v ** 2)) for v in fp]),
               float(np.mean(np.stack(fp) < float(F_MAX[activation]) / 10)), np.array(gain))


def scheme_runs(seed: int = 0) -> dict:
    """(activation, scheme) -> Run, for the four initializations."""
    return {(a, s): stack_run(a, c, seed=seed) for a in ACTIVATION_NAMES for s, c in SCHEMES.items()}


def sweep_runs(seed: int = 0) -> dict:
    """c -> Run of a sigmoid stack with Var(w) = c / n."""
    return {c: stack_run("sigmoid", float(c), seed=seed) for c in SWEEP}


@functools.lru_cache(maxsize=None)
def _hermite_nodes(k: int = 201) -> tuple[np.ndarray, np.ndarray]:
    u, wts = np.polynomial.hermite_e.hermegauss(k)
    return u, wts / np.sum(wts)


def gauss_expectation(fn) -> float:
    """E[fn(u)] for u ~ N(0, 1), by Gauss-Hermite quadrature (201 nodes)."""
    u, wts = _hermite_nodes()
    return float(np.sum(wts * fn(u)))


#: The activations of the mean-field fixed point, those of the stacks and the centred sigmoid
#: sigma - 1/2 (the same derivative, outputs of mean zero).
MEAN_FIELD_ACTIVATIONS = {**backprop_np.ACTIVATION_PAIRS,
                          "centred sigmoid": (lambda v: backprop_np.ACTIVATION_PAIRS["sigmoid"][0](v) - 0.5,
                                              backprop_np.ACTIVATION_PAIRS["sigmoid"][1])}
#: The centred sigmoid's mean-field gain crosses 1 between these two values of n Var(w).
CENTRED_CROSSING = (16, 17)


@functools.lru_cache(maxsize=None)
def mean_field_fixed_point(c: float, activation: str = "sigmoid",
                           iterations: int = 400) -> tuple[float, float, float]:
    """(chi, mean f', s) at the mean-field fixed point of a deep stack with n Var(w) = c: the
    pre-activations' second moment s solves s = c E[f(sqrt(s) xi)^2] for xi ~ N(0, 1) (iterated
    from s = 1), and chi = c E[f'(sqrt(s) xi)^2] is the factor by which a layer multiplies the
    gradient's squared norm."""
    f, f_grad = MEAN_FIELD_ACTIVATIONS[activation]
    s = 1.0
    for _ in range(iterations):
        s, previous = c * gauss_expectation(lambda u: f(np.sqrt(s) * u) ** 2), s
        if abs(s - previous) <= 1e-13 * s:
            break
    return (c * gauss_expectation(lambda u: f_grad(np.sqrt(s) * u) ** 2),
            gauss_expectation(lambda u: f_grad(np.sqrt(s) * u)), s)


def mean_field_gain(c: float, activation: str = "sigmoid", iterations: int = 400) -> tuple[float, float]:
    """(chi, mean f') at the mean-field fixed point (:func:`mean_field_fixed_point`)."""
    return mean_field_fixed_point(float(c), activation, iterations)[:2]


@functools.lru_cache(maxsize=None)
def critical_c() -> float:
    """The n Var(w) at which the mean-field gain of a deep sigmoid stack is 1 (bisection)."""
    lo, hi = float(SWEEP[0]), float(SWEEP[-1])
    for _ in range(50):
        mid = np.sqrt(lo * hi)
        lo, hi = (mid, hi) if mean_field_gain(mid)[0] < 1 else (lo, mid)
    return float(np.sqrt(lo * hi))


#: The grid of n Var(w) on which the mean-field gain and fixed point are checked.
MEAN_FIELD_GRID = tuple(float(c) for c in np.geomspace(SWEEP[0], SWEEP[-1], 25))


@dataclass(frozen=True)
class InputScaling:
    mean_fprime: dict             # scale -> mean sigma'(z_l), l = 1..d
    rms_fprime_1: dict            # scale -> rms sigma'(z_1)
    through_first: dict           # scale -> ||dL/dh_0|| / ||dL/dh_1||
    total: float                  # ||dL/dh_0|| / ||dL/dh_d||, standardized inputs
    g0: np.ndarray                # per sample, standardized and scaled inputs
    gd: np.ndarray
    spectral: np.ndarray


@functools.lru_cache(maxsize=None)
def input_scaling(seed: int = 0) -> InputScaling:
    """A Xavier sigmoid stack fed standardized inputs, and the same inputs times INPUT_SCALE
    (same weights, same upstream gradient)."""
    rng = _rng(seed, "input scaling")
    weights = vanishing_exploding_np.init_stack(SCALE_DEPTH, SCALE_WIDTH, "xavier", rng)
    x = rng.standard_normal((SCALE_SAMPLES, SCALE_WIDTH))
    upstream = rng.standard_normal(x.shape)
    f_grad = backprop_np.ACTIVATION_PAIRS["sigmoid"][1]
    mean, rms, through, grads = {}, {}, {}, {}
    for s in (1.0, INPUT_SCALE):
        _, cache = vanishing_exploding_np.stack_forward(s * x, weights, "sigmoid")
        g = vanishing_exploding_np.stack_backward(upstream, cache)
        fp = [f_grad(zl) for zl in cache[0]]
        mean[s] = np.array([float(np.mean(v)) for v in fp])
        rms[s] = float(np.sqrt(np.mean(fp[0] ** 2)))
        through[s] = float(np.linalg.norm(g[0]) / np.linalg.norm(g[1]))
        grads[s] = g
    g = grads[1.0]
    return InputScaling(mean, rms, through, float(np.linalg.norm(g[0]) / np.linalg.norm(g[-1])),
                        np.concatenate([np.linalg.norm(grads[s][0], axis=1) for s in grads]),
                        np.concatenate([np.linalg.norm(grads[s][-1], axis=1) for s in grads]),
                        spectral_norms(weights))


# ------------------------------------------------------------------ checks
def _log_gap(measured, predicted) -> np.ndarray:
    return np.abs(np.log(np.asarray(measured) / np.asarray(predicted)))


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the Jacobian product proved, the bound and mean-field estimate
    measured."""
    rng = np.random.default_rng(seed)
    out = [verify.timed(lambda: verify.symbolic_identity(
        TOPIC, f"dL/dh_0 = {' '.join(f'W{k}^T D{k}' for k in range(1, depth + 1))} dL/dh_{depth}, "
        f"depth {depth}, width {width}, f undefined", *jacobian_product_proof(depth, width)))
        for depth, width in PROOF_SIZES]
    out += depth_induction_checks() + hand_step_checks() + bound_step_checks(seed)
    for activation in ACTIVATION_NAMES:
        for residual in (False, True):
            weights = vanishing_exploding_np.init_stack(3, 6, "he", rng)
            x = rng.standard_normal((3, 6))
            dout = rng.standard_normal((3, 6))
            _, cache = vanishing_exploding_np.stack_forward(x, weights, activation, residual)
            dx = vanishing_exploding_np.stack_backward(dout, cache)[0]
            kind = "residual" if residual else "plain"
            out.append(verify.check_vjp(lambda v: vanishing_exploding_np.stack_forward(v, weights, activation, residual)[0],
                                        lambda g: dx, x,
                                        name=f"stack_backward, {kind} {activation} stack of depth 3, width 6, He init",
                                        topic=TOPIC, dout=dout, method="complex-step", every_entry=True))
    for shape in ((2, 3), (3, 2)):
        out.append(verify.symbolic_identity(
            TOPIC, f"E of the squared norm of W^T u = n Var(w) m E[u^2], W of shape (m, n) = {shape}",
            *squared_norm_through_transpose(*shape)))
    # max|f'|: SymPy's maximum of sigma' (and 1 for tanh, relu) against the NumPy derivatives
    grid = np.linspace(-20, 20, 10001)
    out.append(verify.check_values(
        TOPIC, "max of f' on 10001 points of [-20, 20] equals max f' = 1/4 (sigmoid, SymPy), 1 (tanh), 1 (relu)",
        "sympy-vs-numpy", [np.max(backprop_np.ACTIVATION_PAIRS[a][1](grid)) for a in ACTIVATION_NAMES],
        [float(F_MAX[a]) for a in ACTIVATION_NAMES]))
    # the bound, per sample, at two depths
    runs, sweep = scheme_runs(seed), sweep_runs(seed)
    for a in ACTIVATION_NAMES:
        rs = [runs[(a, s)] for s in SCHEMES] + (list(sweep.values()) if a == "sigmoid" else [])
        out.append(verify.check_bound(
            TOPIC, f"bound on dL/dh_0 by the spectral norms and max f', {a}, d = {DEPTH}, "
            f"{'4 initializations and the sweep' if a == 'sigmoid' else '4 initializations'}, every sample",
            np.concatenate([r.g0 for r in rs]),
            np.concatenate([bound_value(r.spectral, F_MAX[a], r.gd) for r in rs])))
    sc = input_scaling(seed)
    out.append(verify.check_bound(
        TOPIC, f"bound on dL/dh_0 by the spectral norms and max f', sigmoid, d = {SCALE_DEPTH}, "
        "inputs standardized and scaled, every sample",
        sc.g0, bound_value(sc.spectral, F_MAX["sigmoid"], sc.gd)))
    # the mean-field estimate against the measured ratios
    for a in ACTIVATION_NAMES:
        rs = [runs[(a, s)] for s in SCHEMES]
        out.append(verify.check_bound(
            TOPIC, f"{a}, 4 initializations, d = {DEPTH}: measured ratio within a factor "
            f"{MEAN_FIELD_FACTOR:g} of the mean-field estimate",
            _log_gap([r.ratio for r in rs], [mean_field_value(r.c, r.mean_sq_fprime) for r in rs]),
            np.log(MEAN_FIELD_FACTOR)))
    rs = list(sweep.values())
    out.append(verify.check_bound(
        TOPIC, f"sigmoid, n Var(w) = {SWEEP[0]} to {SWEEP[-1]}, d = {DEPTH}: measured ratio within a "
        f"factor {MEAN_FIELD_FACTOR:g} of the mean-field estimate",
        _log_gap([r.ratio for r in rs], [mean_field_value(r.c, r.mean_sq_fprime) for r in rs]),
        np.log(MEAN_FIELD_FACTOR)))
    # the sigmoid sweep: from vanishing to exploding, through saturation
    c_lo, c_hi = CROSSING
    out.append(verify.check_bound(
        TOPIC, f"sigmoid, d = {DEPTH}: the ratio is below 1 at n Var(w) = {c_lo} and above 1 at {c_hi}",
        [sweep[c_lo].ratio, 1.0], [1.0, sweep[c_hi].ratio], strict=True))
    out.append(verify.check_bound(
        TOPIC, f"sigmoid, n Var(w) = {SWEEP[0]} to {SWEEP[-1]}: the mean of sigma'(z) falls as n Var(w) grows",
        np.diff([r.mean_fprime.mean() for r in rs]), 0.0, strict=True))
    fixed = [mean_field_fixed_point(c) for c in MEAN_FIELD_GRID]
    out.append(verify.check_bound(
        TOPIC, f"the mean-field gain of a deep sigmoid stack increases with n Var(w) at "
        f"{len(MEAN_FIELD_GRID)} points from {SWEEP[0]} to {SWEEP[-1]}",
        -np.diff([fp[0] for fp in fixed]), 0.0, strict=True))
    out.append(verify.check_bound(
        TOPIC, f"sigmoid mean-field fixed point: s >= n Var(w)/4 at {len(MEAN_FIELD_GRID)} points of "
        f"n Var(w) from {SWEEP[0]} to {SWEEP[-1]} (E[sigma] = 1/2)",
        np.array(MEAN_FIELD_GRID) / 4, [fp[2] for fp in fixed]))
    cs = critical_c()
    out.append(verify.check_bound(
        TOPIC, "mean-field critical n Var(w) lies between the last vanishing and the first exploding sigmoid stack",
        [c_lo, cs], [cs, c_hi], strict=True))
    k_lo, k_hi = CENTRED_CROSSING
    out.append(verify.check_bound(
        TOPIC, f"centred sigmoid sigma - 1/2: the mean-field gain crosses 1 between n Var(w) = {k_lo} and "
        f"{k_hi}, below the sigmoid's critical n Var(w)",
        [mean_field_gain(k_lo, "centred sigmoid")[0], 1.0, k_hi],
        [1.0, mean_field_gain(k_hi, "centred sigmoid")[0], cs], strict=True))
    # input scaling
    s1, sb = 1.0, INPUT_SCALE
    out.append(verify.check_bound(
        TOPIC, f"inputs times {INPUT_SCALE:g}: the mean of sigma'(z_1) falls", sc.mean_fprime[sb][0],
        sc.mean_fprime[s1][0], strict=True))
    out.append(verify.check_bound(
        TOPIC, f"inputs times {INPUT_SCALE:g}: the gradient through layer 1 shrinks by the ratio of "
        "the rms of sigma'(z_1), within 15 %",
        _log_gap(sc.through_first[sb] / sc.through_first[s1], sc.rms_fprime_1[sb] / sc.rms_fprime_1[s1]),
        np.log(1.15)))
    gap = np.abs(sc.mean_fprime[sb] - sc.mean_fprime[s1])
    out.append(verify.check_bound(
        TOPIC, f"inputs times {INPUT_SCALE:g}: from layer 3 on, mean sigma'(z_l) moves by under "
        "1 % of its move at layer 1", gap[2:], 0.01 * gap[0], strict=True))
    return out


# ------------------------------------------------------------------ what the page shows
def _sci(v: float, digits: int = 1) -> str:
    """A ratio for glued prose: 0.011, 3.4 or 551 as such, 1.2e-05 as 1.2e-5."""
    if 100 <= abs(v) < 1000:
        return f"{v:.0f}"
    if 0.01 <= abs(v) < 100:
        return f"{v:.{digits + 1}g}"
    m, e = f"{v:.{digits}e}".split("e")
    return f"{m}e{int(e)}"


def _short(v: float) -> str:
    """A ratio for a table cell narrow enough for a phone: 0.14, 3.4, 39, 550 or 7e-49."""
    if 10 <= abs(v) < 1000:
        return f"{v:.0f}"
    return f"{v:.2g}" if 0.01 <= abs(v) < 10 else f"{v:.0e}"


def _stacks_figure(runs) -> Figure:
    panels = []
    for k, a in enumerate(ACTIVATION_NAMES):
        curves = []
        for s in SCHEMES:
            r = runs[(a, s)]
            curves.append(Curve(np.arange(len(r.norms)), r.norms / r.norms[-1], s if k == 0 else None))
        panels.append(Panel(curves, title=a, xlabel="layer ℓ (0 = input)",
                            ylabel=r"$\|\partial L/\partial h_\ell\| \,/\, \|\partial L/\partial h_d\|$" if k == 0 else "",
                            yscale="log", legend_loc="lower right"))
    # each panel its own vertical range: one shared 1e-51..1e15 axis flattens tanh and ReLU
    return Figure(panels, size=(8, 3.2))


def exhibits() -> dict:
    """What the vanishing/exploding page shows, each formula printed from the expression a
    check proved or evaluated."""
    runs, sweep, sc = scheme_runs(), sweep_runs(), input_scaling()
    ratio = lambda a, s: runs[(a, s)].ratio  # noqa: E731
    h_prev = sp.MatrixSymbol("h_prev", n, 1)
    model = r"h_\ell = " + tex(layer(W("ell"), h_prev), names={h_prev: r"h_{\ell-1}"})
    product = " ".join([tex(sp.MatMul(*layer_factor(1))), tex(sp.MatMul(*layer_factor(2))), r"\cdots",
                        tex(sp.MatMul(*layer_factor("d"))), r"\frac{\partial L}{\partial h_d}"])
    d_def = tex(activation_jacobian("ell"), names={_fprime_of_z("ell"): r"f'(z_\ell)"})
    lhs = tex(Norm(g0) / Norm(gd))
    c_lo, c_hi = CROSSING
    z0, smax = sigmoid_derivative_maximum()
    best = max(SCHEMES, key=lambda s: ratio("sigmoid", s))
    table = Table(["initialization", *ACTIVATION_NAMES], [
        (s, *[_short(ratio(a, s)) for a in ACTIVATION_NAMES]) for s in SCHEMES], "l" + "r" * len(ACTIVATION_NAMES))
    sweep_table = Table(
        [r"$n \operatorname{Var}(w)$", r"$\lVert W_\ell \rVert_2$", r"$\sigma'(z_\ell)$", "ratio (estimate)"],
        [(f"{c:g}", f"{r.spectral.mean():.1f}", f"{r.mean_slope:.3f}",
          f"{_short(r.ratio)} ({_short(mean_field_value(r.c, r.mean_sq_fprime))})") for c, r in sweep.items()],
        "rrrr")
    xavier_relu = runs[("relu", "xavier")]
    too_small_bounds = {a: float(bound_value(runs[(a, "too small")].spectral, F_MAX[a], [1.0])[0])
                        for a in ACTIVATION_NAMES}
    xav_sig = runs[("sigmoid", "xavier")]
    chains, names = hand_steps(), hand_step_names()
    hand = {f"eq_hand_{key.replace(' ', '')}": Equation(chain.tex(names), proofs=(chain.name + ",",))
            for key, chain in chains.items() if key != "depth 2"}     # depth 2: checked, not shown
    return {
        **hand,
        "eq_bound_step": Equation(bound_step_tex(), proofs=("the bound by hand",)),
        "eq_model": Equation(model, definition=True),
        "eq_jacobian_product": Equation(rf"\frac{{\partial L}}{{\partial h_0}} = {product}",
                                        proofs=("dL/dh_0 = W1^T D1", "one layer:")),
        "d_def": Markdown(rf"$D_\ell = {d_def}$"),
        "eq_bound": Equation(tex(sp.Le(Norm(g0), bound_rhs, evaluate=False), order="none"),
                             proofs=("bound on dL/dh_0 by the spectral norms and max f',",)),
        "eq_mean_field": Equation(rf"{lhs} \approx {tex(mean_field_ratio)}",
                                  proofs=tuple(f"{a}, 4 initializations, d = {DEPTH}: measured ratio within a factor"
                                               for a in ACTIVATION_NAMES)),
        "proof_sizes": " and ".join(f"depth {dd}, width {w}" for dd, w in PROOF_SIZES),
        "sig_max": str(smax),
        "sig_argmax": str(z0),
        "sig_inv": str(1 / smax),
        "norms_needed": Markdown(rf"$\prod_\ell \lVert W_\ell \rVert_2 \ge {tex((1 / smax) ** d)}$"),
        "depth": str(DEPTH),
        "width": str(WIDTH),
        "n_samples": str(N_SAMPLES),
        "bound_d": _sci(float(sigmoid_bound(DEPTH))),
        "schemes_c": ", ".join(f"{c:g} ({s})" for s, c in SCHEMES.items()),
        "fig_stacks": _stacks_figure(runs),
        "ratio_table": table,
        "sweep_table": sweep_table,
        "sigmoid_best": _sci(ratio("sigmoid", best)),
        "sigmoid_best_scheme": best,
        "relu_he": f"{ratio('relu', 'he'):.2f}",
        "relu_he_active": f"{runs[('relu', 'he')].mean_fprime.mean():.2f}",
        "relu_he_step": f"{ratio('relu', 'he') ** (1 / DEPTH):.2f}",
        "all_min": _sci(min(r.ratio for r in [*runs.values(), *sweep.values()])),
        "all_max": _sci(max(r.ratio for r in [*runs.values(), *sweep.values()])),
        "saturated_lo": f"{sweep[CROSSING[0]].saturated:.0%}",
        "saturated_hi": f"{sweep[CROSSING[1]].saturated:.0%}",
        "tanh_xavier": f"{ratio('tanh', 'xavier'):.2f}",
        "relu_large": _sci(ratio("relu", "too large")),
        "tanh_large": _sci(ratio("tanh", "too large")),
        "tanh_large_mean_fprime": f"{runs[('tanh', 'too large')].mean_fprime.mean():.2f}",
        "relu_xavier": _sci(ratio("relu", "xavier")),
        "relu_xavier_step": f"{ratio('relu', 'xavier') ** (1 / DEPTH):.2f}",
        "relu_xavier_active": f"{xavier_relu.mean_fprime.mean():.2f}",
        "inv_sqrt2": f"{float(1 / sp.sqrt(2)):.2f}",
        "too_small_max_bound": _sci(max(too_small_bounds.values())),
        "xavier_sig_bound": _sci(float(bound_value(xav_sig.spectral, F_MAX["sigmoid"], [1.0])[0])),
        "xavier_sig_ratio": _sci(xav_sig.ratio),
        "mf_factor": f"{MEAN_FIELD_FACTOR:g}",
        "sweep_min": f"{SWEEP[0]:g}",
        "sweep_max": f"{SWEEP[-1]:g}",
        "c_lo": f"{c_lo:g}",
        "c_hi": f"{c_hi:g}",
        "ratio_lo": _sci(sweep[c_lo].ratio),
        "ratio_hi": _sci(sweep[c_hi].ratio),
        "ratio_max": _sci(sweep[SWEEP[-1]].ratio),
        "fprime_lo": f"{sweep[c_lo].mean_fprime.mean():.3f}",
        "fprime_hi": f"{sweep[c_hi].mean_fprime.mean():.3f}",
        "c_crit": f"{critical_c():.0f}",
        "fprime_crit": f"{mean_field_gain(critical_c())[1]:.3f}",
        "mf_grid": str(len(MEAN_FIELD_GRID)),
        "s_crit": f"{mean_field_fixed_point(critical_c())[2]:.0f}",
        "s_crit_bound": f"{critical_c() / 4:.0f}",
        "centred_lo": f"{CENTRED_CROSSING[0]:g}",
        "centred_hi": f"{CENTRED_CROSSING[1]:g}",
        "centred_fprime": f"{mean_field_gain(CENTRED_CROSSING[1], 'centred sigmoid')[1]:.3f}",
        "centred_s": f"{mean_field_fixed_point(float(CENTRED_CROSSING[1]), 'centred sigmoid')[2]:.2f}",
        "scale_depth": str(SCALE_DEPTH),
        "scale_width": str(SCALE_WIDTH),
        "input_scale": f"{INPUT_SCALE:g}",
        "d1_small": f"{sc.mean_fprime[1.0][0]:.3f}",
        "d1_big": f"{sc.mean_fprime[INPUT_SCALE][0]:.3f}",
        "d2_small": f"{sc.mean_fprime[1.0][1]:.3f}",
        "d2_big": f"{sc.mean_fprime[INPUT_SCALE][1]:.3f}",
        "g_ratio_scale": f"{sc.through_first[INPUT_SCALE] / sc.through_first[1.0]:.2f}",
        "rms_ratio_scale": f"{sc.rms_fprime_1[INPUT_SCALE] / sc.rms_fprime_1[1.0]:.2f}",
        "g_small_total": _sci(sc.total),
        "scale_bound": _sci(float(bound_value(sc.spectral, F_MAX["sigmoid"], [1.0])[0])),
    }
