"""Residual connections: the Jacobian of h + f(W h) is I + diag(f'(W h)) W.

SymPy proves the Jacobian at any width n in index notation (:func:`size_claims`: the
vector-Jacobian product of the layer with every upstream gradient G), with the backward pass
dL/dh_{l-1} = G + W^T (f'(W h) * G) and dL/dW, for an undefined f, and the same derivation by hand
(:func:`hand_checks`: gradients add where paths fork, d/dx f(x, x) = f_1 + f_2, then each step
of dL/dx_j at any n); and on explicit layers of
width 2 and 3, the display printed from the matrix-symbol expression whose explicit form is
proved; across depth the
Jacobians multiply, and the product of d factors I + A_l is the sum over every subset of layers
of the ordered product of their A_l (proved at d = 2 and 3), the identity included. Measured
on stacks of depth 50: skip connections remove the vanishing of sigmoid stacks, as the
mean-field estimate prod sqrt(1 + n Var(w) mean(f'^2)) predicts, but not the growth of ReLU
stacks with He's variance, which the estimate misses (which of its approximations fails is not
measured). :func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import functools
import itertools
import re

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Panel, Table
from ..numeric import backprop as backprop_np
from ..numeric import vanishing_exploding as vanishing_exploding_np
from . import vanishing_exploding as vanishing_exploding_sym
from .backprop import elementwise, fprime
from .common import FORK_F, as_partials, explicit, fork_rule, matrix, partial, vector
from .index_notation import GradientClaim, prove_identity, vjp_claim

__all__ = ["residual_layer", "residual_jacobian", "vector_fork_rule", "residual_hand_steps", "hand_checks", "residual_jacobian_proof", "residual_backward", "size_claims",
           "product_expansion_proof", "residual_mean_field_ratio", "simulate", "checks", "exhibits"]

TOPIC = "residual"
#: The widths of the explicit layers on which the Jacobian is proved, and the depths of the
#: product expansion.
PROOF_WIDTHS = (2, 3)
PRODUCT_DEPTHS = (2, 3)
#: The simulated stacks (width and batch as in the vanishing/exploding chapter).
DEPTH, WIDTH, N_SAMPLES = 50, 128, 64
#: (activation, initialization) of the three stacks compared.
CONFIGS = (("sigmoid", "xavier"), ("tanh", "xavier"), ("relu", "he"))
KINDS = ("plain", "residual", "residual, branch / sqrt(d)")
#: The residual mean-field estimate must agree with sigmoid and tanh stacks within this factor.
RESIDUAL_FACTOR = 1.25
#: ... and misses the ReLU stack with full-size branches by more than this factor.
RELU_MISS = 100.0

n, ell, d = vanishing_exploding_sym.n, vanishing_exploding_sym.ell, vanishing_exploding_sym.d
_f = sp.Function("f")
_t = sp.Symbol("t", real=True)
tex = vanishing_exploding_sym.tex


# ------------------------------------------------------------------ the model and its Jacobian
def residual_layer(Wk, h_prev, f=_f):
    """h + f(W h): the plain layer of the previous chapter plus its input (for matrix symbols,
    an unevaluated sum, so that it prints in this order)."""
    if isinstance(h_prev, sp.MatrixExpr):
        return sp.MatAdd(h_prev, vanishing_exploding_sym.layer(Wk, h_prev, f), evaluate=False)
    return h_prev + vanishing_exploding_sym.layer(Wk, h_prev, f)


def _fprime_of_Wh(size=n):
    return sp.MatrixSymbol("fprime_Wh", size, 1)


def residual_jacobian(size=n):
    """I + diag(f'(W h)) W, as a matrix-symbol expression."""
    return sp.MatAdd(sp.Identity(size), sp.DiagMatrix(_fprime_of_Wh(size)) * vanishing_exploding_sym.W("ell", size),
                     evaluate=False)


def residual_jacobian_proof(width: int = 3):
    """(SymPy's Jacobian of :func:`residual_layer` on explicit matrices, the displayed
    I + diag(f'(W h)) W evaluated on the same matrices), f undefined."""
    W, h = matrix("w", width, width), vector("h", width)
    out = residual_layer(W, h)
    fprime = (W * h).applyfunc(lambda zi: sp.diff(_f(_t), _t).subs(_t, zi))
    closed = explicit(residual_jacobian(width), {_fprime_of_Wh(width): fprime, vanishing_exploding_sym.W("ell", width): W,
                                                 sp.Identity(width): sp.eye(width)})
    return out.jacobian(h), closed


def product_expansion_proof(depth: int = 2, size: int = 2):
    """((I + A_1)(I + A_2)...(I + A_depth), the sum over every subset S of layers of the ordered
    product of A_l for l in S, the empty product being I), on explicit matrices of symbols."""
    As = [matrix(f"a{k}", size, size) for k in range(1, depth + 1)]
    I = sp.eye(size)
    lhs = I
    for A in As:
        lhs = lhs * (I + A)
    rhs = sp.zeros(size, size)
    for r in range(depth + 1):
        for subset in itertools.combinations(As, r):
            term = I
            for A in subset:
                term = term * A
            rhs += term
    return lhs, rhs


two_layer_product_proof = functools.partial(product_expansion_proof, 2, 2)

#: The upstream gradient dL/dh_l and the layer's input h_{l-1}, at symbolic width n.
_G = sp.MatrixSymbol("G", n, 1)
_h_prev = sp.MatrixSymbol("h_prev", n, 1)
#: The width at which the symbolic-width derivatives are compared with the explicit ones (each
#: comparison takes about a second; the explicit Jacobian proofs cover widths 2 and 3).
SIZE_INSTANCES = ((2,),)


def residual_backward(size=n):
    """dL/dh_{l-1} = G + W^T (f'(W h) * G): the upstream gradient G through the identity path
    plus its path through the branch, added where the two paths fork."""
    G = sp.MatrixSymbol("G", size, 1)
    return sp.MatAdd(G, vanishing_exploding_sym.W("ell", size).T * sp.HadamardProduct(_fprime_of_Wh(size), G),
                     evaluate=False)


def size_claims() -> list[GradientClaim]:
    """The residual layer's backward pass at symbolic width n, as vector-Jacobian products of
    h + f(W h) with an upstream gradient G: dL/dh_{l-1} = (I + diag(f'(W h)) W)^T G (for every
    G: the Jacobian), = G + W^T (f'(W h) * G), and dL/dW = (f'(W h) * G) h^T (W square: two
    cases of entries)."""
    W, h, G = vanishing_exploding_sym.W("ell"), _h_prev, _G
    out = residual_layer(W, h)
    fprime_of_Wh = {_fprime_of_Wh(): elementwise(fprime(), W * h)}
    return [vjp_claim("dL/dh_prev = (I + diag(f'(W h)) W)^T G", out, h, G,
                      (residual_jacobian().T * G).xreplace(fprime_of_Wh), (n,), SIZE_INSTANCES),
            vjp_claim("dL/dh_prev = G + W^T (f'(W h) * G)", out, h, G, residual_backward().xreplace(fprime_of_Wh), (n,)),
            vjp_claim("dL/dW = (f'(W h) * G) h_prev^T", out, W, G,
                      (sp.HadamardProduct(_fprime_of_Wh(), G) * h.T).xreplace(fprime_of_Wh), (n,), SIZE_INSTANCES)]

# ------------------------------------------------------------------ gradients add where paths fork
# The fork rule is common.fork_rule; here also for a vector, and on a concrete f numerically.


def vector_fork_rule(size: int = 2):
    """(the gradient of f(x, x) for x a vector of ``size`` entries, f undefined, by SymPy, in
    partials; the claimed grad_1 f + grad_2 f, f's gradients in its first and second vector
    arguments, at (x, x))."""
    x = vector("x", size)
    got = sp.Matrix([as_partials(sp.diff(FORK_F(*x, *x), v)) for v in x])
    want = sp.Matrix([partial(k + 1)(*x, *x) + partial(size + k + 1)(*x, *x) for k in range(size)])
    return got, want


def fork_numeric():
    """(the complex step of x -> f(x, x), f_1(x, x) + f_2(x, x)) for f(a, b) = a sin(b) + e^{a b}
    at x = 0.7, the partials written by hand."""
    f = lambda a, b: a * np.sin(b) + np.exp(a * b)  # noqa: E731
    x0 = 0.7
    return (np.imag(f(x0 + 1e-30j, x0 + 1e-30j)) / 1e-30,
            (np.sin(x0) + x0 * np.exp(x0 * x0)) + (x0 * np.cos(x0) + x0 * np.exp(x0 * x0)))


FORK = "fork rule: d/dx f(x, x) = f_1(x, x) + f_2(x, x), f undefined"

# The residual layer's backward pass by hand, for one layer y = x + f(z), z = W x, width n, and
# the upstream gradient G = dL/dy held fixed: L's dependence on x is that of sum_r G_r y_r. Entries
# 1-based, j in range by construction (n = j + u). A displayed step names dL/dx_j and dy_i/dx_j,
# writes z_i for sum_k W_ik x_k and f'(z_i) for f's derivative there; :func:`in_inputs` binds them.
_i, _j, _k, _r = sp.symbols("i j k r", positive=True, integer=True)
_u = sp.Symbol("u", nonnegative=True, integer=True)
G_i, x_i, W_ik, z_i = (sp.IndexedBase(name) for name in ("G", "x", "W", "z"))
_fp = sp.Function("f'")
DL_DX, DY_DX = sp.symbols("dL_dx_j dy_i_dx_j")
HAND_NAMES = {DL_DX: r"\frac{\partial L}{\partial x_j}", DY_DX: r"\frac{\partial y_i}{\partial x_j}"}
HAND_INSTANCES = ({_j: 2, _u: 1}, {_j: 1, _u: 2})
HAND = "dL/dx of y = x + f(W x) by hand"


def _z(r):
    return sp.Sum(W_ik[r, _k] * x_i[_k], (_k, 1, n))


def _y(r):
    return x_i[r] + _f(_z(r))


def in_inputs(step):
    """A displayed step as a function of x, W, G: dL/dx_j and dy_i/dx_j bound to SymPy's
    derivatives, z_i to sum_k W_ik x_k, f'(z_i) to f's derivative there, n = j + u."""
    meaning = {DL_DX: sp.diff(sp.Sum(G_i[_r] * _y(_r), (_r, 1, n)), x_i[_j]), DY_DX: sp.diff(_y(_i), x_i[_j])}
    e = step.xreplace(meaning)
    e = e.replace(lambda a: isinstance(a, sp.Indexed) and a.base == z_i, lambda a: _z(a.indices[0]))
    e = e.replace(lambda a: isinstance(a, sp.Function) and a.func == _fp,
                  lambda a: sp.Subs(sp.Derivative(_f(_t), _t), _t, a.args[0]))
    return e.xreplace({n: _j + _u})


def residual_hand_steps():
    """(reason, displayed step) of dL/dx_j for y = x + f(W x): the chain rule through y, the
    fork (the skip gives delta_ij, the branch f'(z_i) W_ij), the delta summed."""
    delta = sp.KroneckerDelta(_i, _j)
    mul = functools.partial(sp.Mul, evaluate=False)
    return [(None, DL_DX),
            ("the chain rule through y", sp.Sum(mul(G_i[_i], DY_DX), (_i, 1, n))),
            ("x used twice: the skip gives delta_ij, the branch f'(z_i) W_ij",
             sp.Sum(mul(G_i[_i], sp.Add(delta, mul(_fp(z_i[_i]), W_ik[_i, _j]), evaluate=False)), (_i, 1, n))),
            ("only i = j survives the delta",
             sp.Add(G_i[_j], sp.Sum(mul(W_ik[_i, _j], _fp(z_i[_i]), G_i[_i]), (_i, 1, n)), evaluate=False))]


def hand_tex(step) -> str:
    """LaTeX of a displayed step, f' printed as the derivative's prime."""
    out = tex(step, names=HAND_NAMES, order="none").replace(r"\operatorname{f'}", "f'")
    return re.sub(r"\{W\}_\{(\w),(\w)\}", r"{W}_{\1\2}", out)     # W_ij, as the prose writes it


def hand_checks(steps=None, fork=None) -> list[verify.Check]:
    """The fork rule (f undefined: scalar, and a vector of 2 entries; and on a concrete f by the
    complex step), and one check per equality of the residual layer's hand derivation, at any
    width n (tests pass a mutated chain or fork claim)."""
    got, want = fork_rule()[1:] if fork is None else fork
    out = [verify.timed(verify.symbolic_identity, TOPIC, FORK, got, want),
           verify.timed(verify.symbolic_identity, TOPIC, "fork rule for a vector x of 2 entries: "
                        "grad f(x, x) = grad_1 f + grad_2 f, f undefined", *vector_fork_rule(2)),
           verify.check_values(TOPIC, "fork rule on f(a, b) = a sin b + e^(a b) at x = 0.7: the complex step "
                               "of f(x, x) equals f_1 + f_2", "complex-step", *fork_numeric())]
    steps = residual_hand_steps() if steps is None else steps
    out += [prove_identity(TOPIC, f"{HAND}, step {m}: {reason}: index notation, any n", in_inputs(before),
                           in_inputs(after), HAND_INSTANCES)
            for m, ((_, before), (reason, after)) in enumerate(zip(steps, steps[1:]), start=1)]
    return out


#: The mean-field estimate of a residual stack. Each layer multiplies the gradient's squared norm
#: by 1 plus n Var(w) times the mean of the squared derivative, the identity plus the branch.
residual_mean_field_ratio = sp.Product(
    sp.sqrt(sp.Add(1, vanishing_exploding_sym._n_ * vanishing_exploding_sym._v_ * vanishing_exploding_sym.MeanSq(ell), evaluate=False)), (ell, 1, d))


def residual_mean_field_value(c: float, mean_squares) -> float:
    """The residual mean-field estimate, :data:`residual_mean_field_ratio`, evaluated at depth
    len(mean_squares) with n Var(w) equal to c."""
    k = len(mean_squares)
    per_layer = {vanishing_exploding_sym.MeanSq(ell): mean_squares, vanishing_exploding_sym._n_: np.ones(k), vanishing_exploding_sym._v_: np.full(k, c)}
    return float(vanishing_exploding_sym.evaluate_products(residual_mean_field_ratio, k, per_layer, {}))


# ------------------------------------------------------------------ simulations
def simulate(activation: str, scheme: str, residual: bool, rng, depth: int = DEPTH,
             width: int = WIDTH, n_samples: int = 64, branch_scale: float = 1.0) -> np.ndarray:
    """Gradient norm at each layer of a plain or residual stack (the residual branch's
    weights scaled by ``branch_scale``)."""
    weights = [branch_scale * W for W in vanishing_exploding_np.init_stack(depth, width, scheme, rng)]
    x = rng.standard_normal((n_samples, width))
    return vanishing_exploding_np.layer_gradient_norms(x, weights, activation, residual=residual, rng=rng)


def _kind(kind: str) -> tuple[bool, float]:
    return {"plain": (False, 1.0), "residual": (True, 1.0),
            "residual, branch / sqrt(d)": (True, 1 / np.sqrt(DEPTH))}[kind]


def runs(seed: int = 0) -> dict:
    """(activation, kind) -> VE.Run of the stacks compared."""
    out = {}
    for a, scheme in CONFIGS:
        for kind in KINDS:
            residual, scale = _kind(kind)
            out[(a, kind)] = vanishing_exploding_sym.stack_run(a, vanishing_exploding_sym.SCHEMES[scheme], depth=DEPTH, width=WIDTH,
                                          n_samples=N_SAMPLES, seed=seed, residual=residual,
                                          branch_scale=float(scale),
                                          with_norms=(a, kind) == ("sigmoid", "plain"))
    return out


def branch_second_moments(seed: int = 0) -> np.ndarray:
    """For the residual ReLU stack with He's variance: the mean of f(z_l)^2 (the branch) over
    the mean of h_{l-1}^2 (its input), per layer."""
    return runs(seed)[("relu", "residual")].branch_gain


# ------------------------------------------------------------------ checks
def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the Jacobian I + diag(f'(W h)) W proved, the residual stacks
    measured."""
    rng = np.random.default_rng(seed)
    out = [verify.timed(verify.symbolic_identity, TOPIC, f"Jacobian of h + f(W h) = I + diag(f'(W h)) W, width {w}, "
                        "f undefined", *residual_jacobian_proof(w)) for w in PROOF_WIDTHS]
    out += [c for claim in size_claims() for c in claim.checks(TOPIC)]
    out += hand_checks()
    out += [verify.timed(verify.symbolic_identity,
                         TOPIC, f"the product of {k} factors I + A_l is the sum over subsets of layers of the ordered "
                         f"products of their A_l, d = {k}", *product_expansion_proof(k)) for k in PRODUCT_DEPTHS]
    # numerically: the Jacobian of a residual layer, by central differences, is I + diag(f') W
    width = 5
    W = vanishing_exploding_np.init_stack(1, width, "xavier", rng)
    h = rng.standard_normal((1, width))
    for activation, (f, f_grad) in backprop_np.ACTIVATION_PAIRS.items():
        z = h @ W[0].T
        claimed = np.eye(width) + np.diag(f_grad(z)[0]) @ W[0]
        numeric = np.array([verify.numeric_gradient(
            lambda v, i=i: vanishing_exploding_np.stack_forward(v, W, activation, residual=True)[0][0, i], h)[0]
            for i in range(width)])
        out.append(verify.check_values(TOPIC, f"residual {activation} layer: Jacobian "
                                       "I + diag(f') W, full, against central differences",
                                       "central-difference", claimed, numeric))
    r = runs(seed)
    plain = r[("sigmoid", "plain")]
    out.append(verify.check_bound(
        TOPIC, f"plain sigmoid stack, d = {DEPTH}: every sample within the bound by the spectral norms and max f'",
        plain.g0, vanishing_exploding_sym.bound_value(plain.spectral, vanishing_exploding_sym.F_MAX["sigmoid"], plain.gd)))
    for a in ("sigmoid", "tanh"):
        rs = [r[(a, kind)] for kind in KINDS[1:]]
        out.append(verify.check_bound(
            TOPIC, f"residual {a} stacks, d = {DEPTH}, full and scaled branches: measured ratio within a factor "
            f"{RESIDUAL_FACTOR:g} of the residual mean-field estimate",
            vanishing_exploding_sym._log_gap([x.ratio for x in rs], [residual_mean_field_value(x.c, x.mean_sq_fprime) for x in rs]),
            np.log(RESIDUAL_FACTOR)))
    relu = r[("relu", "residual")]
    out.append(verify.check_bound(
        TOPIC, f"residual ReLU stack, He, d = {DEPTH}: the measured ratio exceeds the mean-field estimate "
        f"by more than a factor {RELU_MISS:g}",
        RELU_MISS * residual_mean_field_value(relu.c, relu.mean_sq_fprime), relu.ratio, strict=True))
    ratios = branch_second_moments(seed)
    out.append(verify.check_bound(
        TOPIC, f"residual ReLU stack, He, d = {DEPTH}: a branch's mean square equals its input's, "
        "within 10 % on average over the layers", abs(np.mean(np.log(ratios))), np.log(1.1)))
    out.append(verify.check_bound(
        TOPIC, f"residual ReLU stack, d = {DEPTH}: branches scaled by 1/sqrt(d) shrink the ratio",
        r[("relu", "residual, branch / sqrt(d)")].ratio, relu.ratio, strict=True))
    return out


# ------------------------------------------------------------------ what the page shows
def _figure(rr) -> Figure:
    panels = []
    for k, (a, scheme) in enumerate(CONFIGS):
        curves = []
        for kind in KINDS:
            x = rr[(a, kind)]
            curves.append(Curve(np.arange(len(x.norms)), x.norms / x.norms[-1], kind if k == 0 else None))
        panels.append(Panel(curves, title=f"{a}, {scheme}", xlabel="layer ℓ (0 = input)",
                            ylabel=r"$\|\partial L/\partial h_\ell\| \,/\, \|\partial L/\partial h_d\|$" if k == 0 else "",
                            yscale="log", legend_loc="lower right"))
    return Figure(panels, size=(8, 3.2))   # each panel its own range: a shared one flattens tanh


def exhibits() -> dict:
    """What the residual page shows, each formula printed from the expression a check proved."""
    rr = runs()
    ratio = lambda a, kind: rr[(a, kind)].ratio  # noqa: E731
    h_prev = _h_prev
    names = {h_prev: r"h_{\ell-1}", _fprime_of_Wh(): r"f'(W_\ell h_{\ell-1})"}
    table = Table(["stack", "plain", "residual", r"branches $\times 1/\sqrt{d}$"],
                  [(f"{a}, {s}", *[vanishing_exploding_sym._short(ratio(a, k)) for k in KINDS]) for a, s in CONFIGS], "lrrr")
    plain = rr[("sigmoid", "plain")]
    relu, relu_s = rr[("relu", "residual")], rr[("relu", "residual, branch / sqrt(d)")]
    return {
        "eq_residual_model": Equation(r"h_\ell = " + tex(residual_layer(vanishing_exploding_sym.W("ell"), h_prev), names=names,
                                                         order="none"), definition=True),
        "eq_residual_jacobian": Equation(r"\frac{\partial h_\ell}{\partial h_{\ell-1}} = "
                                         + tex(residual_jacobian(), names=names, order="none"),
                                         proofs=("Jacobian of h + f(W h) = I + diag(f'(W h)) W",
                                                 "dL/dh_prev = (I + diag(f'(W h)) W)^T G:")),
        "eq_fork": Equation(rf"{tex(fork_rule()[0])} = {tex(fork_rule()[2])}",
                            proofs=(FORK, "fork rule for a vector x", "fork rule on f(a, b)")),
        "eq_hand_residual": Equation(" = ".join(hand_tex(e) for _, e in residual_hand_steps()),
                                     proofs=(f"{HAND}, step",)),
        "eq_residual_backward": Equation(r"\frac{\partial L}{\partial h_{\ell-1}} = "
                                         + tex(residual_backward(), names={**names, _G: r"\frac{\partial L}{\partial h_\ell}"},
                                               order="none"),
                                         proofs=("dL/dh_prev = G + W^T (f'(W h) * G):",)),
        "eq_residual_dW": Equation(r"\frac{\partial L}{\partial W_\ell} = "
                                   + tex(sp.HadamardProduct(_fprime_of_Wh(), _G) * _h_prev.T,
                                         names={**names, _G: r"\frac{\partial L}{\partial h_\ell}"}),
                                   proofs=("dL/dW = (f'(W h) * G) h_prev^T:",)),
        # an estimate the chapter adopts and measures, not a claim a proof could settle
        "eq_residual_mean_field": Equation(rf"{tex(vanishing_exploding_sym.Norm(vanishing_exploding_sym.g0) / vanishing_exploding_sym.Norm(vanishing_exploding_sym.gd))} \approx "
                                           rf"{tex(residual_mean_field_ratio, order='none')}",
                                           proofs=(f"residual sigmoid stacks, d = {DEPTH}, full and scaled branches: measured ratio within",
                                                   f"residual tanh stacks, d = {DEPTH}, full and scaled branches: measured ratio within")),
        "proof_widths": " and ".join(map(str, PROOF_WIDTHS)),
        "product_depths": " and ".join(map(str, PRODUCT_DEPTHS)),
        "depth": str(DEPTH),
        "width": str(WIDTH),
        "n_samples": str(N_SAMPLES),
        "fig_residual": _figure(rr),
        "residual_table": table,
        "sig_plain": vanishing_exploding_sym._sci(ratio("sigmoid", "plain")),
        "sig_plain_bound": vanishing_exploding_sym._sci(float(vanishing_exploding_sym.bound_value(plain.spectral, vanishing_exploding_sym.F_MAX["sigmoid"], [1.0])[0])),
        "sig_res": f"{ratio('sigmoid', 'residual'):.2f}",
        "tanh_plain": vanishing_exploding_sym._sci(ratio("tanh", "plain")),
        "tanh_res": f"{ratio('tanh', 'residual'):.1f}",
        "res_factor": f"{RESIDUAL_FACTOR:g}",
        "relu_res": vanishing_exploding_sym._sci(relu.ratio),
        "relu_res_step": f"{relu.ratio ** (1 / DEPTH):.2f}",
        "relu_res_estimate": vanishing_exploding_sym._sci(residual_mean_field_value(relu.c, relu.mean_sq_fprime)),
        "relu_branch_ratio": f"{np.exp(np.mean(np.log(branch_second_moments()))):.2f}",
        "relu_res_small": f"{relu_s.ratio:.1f}",
        "tanh_res_small": f"{ratio('tanh', 'residual, branch / sqrt(d)'):.2f}",
    }
