"""Exercises of the residual chapter (residual.html): a residual layer's backward pass in NumPy,
the expansion of the product of its Jacobians, and the mean-field estimate.

The batched residual layer: Y = X + f(Z), Z = X W^T (+ b), for a batch X (N, n) of inputs (rows
are samples), W (n, n); G = dL/dY (N, n) is the gradient arriving from above.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from ..numeric import activations as activations_np
from ..symbolic import residual as residual_sym
from ..symbolic import vanishing_exploding as vanishing_exploding_sym
from . import Exercise, Mistake, gradient_witness

#: The sizes (N, n) at which an answer is tried.
SIZES = ((4, 3), (2, 5), (3, 2))


# ------------------------------------------------------------------ dL/dX of Y = X + tanh(X W^T)
def _inputs_tanh(rng, size):
    N, n = size
    return rng.standard_normal((N, n)), rng.standard_normal((N, n)), rng.standard_normal((n, n)) / np.sqrt(n)


def _loss_tanh(G, X, W):
    """sum(G * Y) for Y = X + tanh(X W^T): its gradient on Y is G (complex-step safe)."""
    return np.sum(G * (X + np.tanh(X @ W.T)))


def dx(G, X, W):
    """dL/dX = G + (f'(Z) * G) W, Z = X W^T, f = tanh: the skip passes G, the branch its
    vector-Jacobian product; the two add where X forks; (N, n)."""
    Z = X @ W.T
    return G + (activations_np.tanh_grad(Z) * G) @ W


def _branch_only(G, X, W):
    return (activations_np.tanh_grad(X @ W.T) * G) @ W


def _W_transposed(G, X, W):
    return G + (activations_np.tanh_grad(X @ W.T) * G) @ W.T


def _jacobian_not_transposed(G, X, W):
    """Each row g mapped by the Jacobian I + diag(f'(z)) W itself: g + f'(z) * (W g)."""
    return G + activations_np.tanh_grad(X @ W.T) * (G @ W.T)


def _fprime_at_branch_output(G, X, W):
    return G + (activations_np.tanh_grad(np.tanh(X @ W.T)) * G) @ W


# ------------------------------------------------------------------ dL/dW of Y = X + ReLU(X W^T + b)
def _inputs_relu(rng, size):
    N, n = size
    return (rng.standard_normal((N, n)), rng.standard_normal((N, n)), rng.standard_normal((n, n)) / np.sqrt(n),
            0.1 * rng.standard_normal(n))


def _loss_relu(G, X, W, b):
    """sum(G * Y) for Y = X + ReLU(X W^T + b) (complex-step safe)."""
    return np.sum(G * (X + activations_np.relu(X @ W.T + b)))


def _delta(G, X, W, b):
    """dL/dZ = ReLU'(Z) * G: only the branch reaches Z."""
    return activations_np.relu_grad(X @ W.T + b) * G


def dW(G, X, W, b):
    """dL/dW = (ReLU'(Z) * G)^T X, Z = X W^T + b: the plain layer's gradient, the skip does not
    involve W; (n, n)."""
    return _delta(G, X, W, b).T @ X


# ------------------------------------------------------------------ the product's expansion
d = sp.Symbol("d", positive=True, integer=True)


def _counts_the_terms(answer) -> bool:
    """SymPy expands (1 + A_1)(1 + A_2)...(1 + A_k) with non-commuting A's, k = 1..5, and counts
    the terms: the answer at d = k equals the count."""
    expr = sp.sympify(answer, locals={"d": d})
    for k in range(1, 6):
        As = sp.symbols(f"A1:{k + 1}", commutative=False)
        product = sp.expand(sp.Mul(*[1 + A for A in As]))
        if expr.subs(d, k) != len(sp.Add.make_args(product)):
            return False
    return True


# ------------------------------------------------------------------ the estimate as d -> oo
a = sp.Symbol("a", positive=True)


def _the_limit_of_the_estimate(answer) -> bool:
    """The chapter's estimate (residual_mean_field_ratio) with n Var(w) mean(f'^2) = a/d at every
    layer, its product evaluated and its limit d -> oo taken by SymPy, equals the answer."""
    V = vanishing_exploding_sym
    estimate = residual_sym.residual_mean_field_ratio.xreplace(
        {V._n_: 1, V._v_: a / V.d, V.MeanSq(V.ell): 1}).doit()
    limit = sp.limit(estimate, V.d, sp.oo)
    return sp.simplify(limit - sp.sympify(answer, locals={"a": a})) == 0


# ------------------------------------------------------------------ the estimate of the ReLU stack
DEPTH = residual_sym.DEPTH
#: n Var(w) of He's variance, and the mean of ReLU'(z)^2 when half the units are on.
HE, HALF = 2, sp.Rational(1, 2)
RELU_ESTIMATE = residual_sym.residual_mean_field_value(float(HE), np.full(DEPTH, float(HALF)))


def _the_estimate_exactly(answer) -> bool:
    """The chapter's estimate at d = 50 with n Var(w) = 2 and every mean(f'^2) = 1/2, its product
    evaluated exactly by SymPy, equals the answer to 1e-9."""
    V = vanishing_exploding_sym
    exact = residual_sym.residual_mean_field_ratio.xreplace(
        {V._n_: 1, V._v_: HE, V.MeanSq(V.ell): HALF, V.d: DEPTH}).doit()
    return abs(float(answer) - float(exact)) <= 1e-9 * float(exact)


_BATCH = ("a batch of $N$ samples, one per row, $X \\in \\mathbb{R}^{N \\times n}$, "
          "$W \\in \\mathbb{R}^{n \\times n}$, and the gradient arriving from above "
          "$G = \\partial L / \\partial Y \\in \\mathbb{R}^{N \\times n}$")

EXERCISES = (
    Exercise(
        id="residual.dx", chapter="residual", title="The backward pass of a residual layer",
        statement="The residual layer $Y = X + \\tanh(Z)$, $Z = X W^\\top$, for " + _BATCH + ". Write "
                  "`dx(G, X, W)` returning $\\partial L / \\partial X \\in \\mathbb{R}^{N \\times n}$.",
        hint="$X$ is used twice, by the skip and by the branch: the skip passes $G$ back unchanged, the "
             "branch its vector-Jacobian product, per sample $W^\\top (\\tanh'(z) \\odot g)$ and with "
             "rows as samples the row $\\tanh'(z) \\odot g$ times $W$: $(\\tanh'(Z) \\odot G)\\, W$. "
             "The two add.",
        signature="dx(G, X, W) -> array (N, n)", solution=dx, inputs=_inputs_tanh, sizes=SIZES, difficulty=2,
        witness=gradient_witness(_loss_tanh, 1, _inputs_tanh, (5, 4)),
        mistakes=(
            Mistake("identity dropped", "the identity path is missing: this is the branch's gradient "
                    "alone; the skip passes G back unchanged and it adds to the branch's",
                    "residual.html#gradients-add-where-paths-fork", _branch_only),
            Mistake("skip only", "only the skip path: the gradient does not flow through the layer "
                    "unchanged, the branch's vector-Jacobian product adds to it", "residual.html#pitfalls",
                    lambda G, X, W: G),
            Mistake("W transposed", "W is transposed in the branch's term: for rows of samples the "
                    "branch passes back (f'(Z) * G) W", "residual.html#the-jacobian-of-a-residual-layer",
                    _W_transposed),
            Mistake("Jacobian not transposed", "the layer's Jacobian is applied to G instead of its "
                    "transpose: f'(Z) must multiply G before W, not after",
                    "residual.html#the-jacobian-of-a-residual-layer", _jacobian_not_transposed),
            Mistake("f' at the output", "tanh' is taken at the branch's output tanh(Z) instead of the "
                    "pre-activation Z", "backprop.html#pitfalls", _fprime_at_branch_output),
        )),
    Exercise(
        id="residual.dW", chapter="residual", title="The branch's weights in a ReLU residual layer",
        statement="The residual layer $Y = X + \\mathrm{ReLU}(Z)$, $Z = X W^\\top + \\mathbf{1} b^\\top$ with "
                  "$b \\in \\mathbb{R}^{n}$ (a 1-D array), for " + _BATCH + ". Write `dW(G, X, W, b)` "
                  "returning $\\partial L / \\partial W \\in \\mathbb{R}^{n \\times n}$.",
        hint="The skip does not involve $W$: $W$ gets the gradient of a plain layer, "
             "$\\Delta^\\top X$ with $\\Delta = \\mathrm{ReLU}'(Z) \\odot G$, an outer product summed over "
             "the batch.",
        signature="dW(G, X, W, b) -> array (n, n)", solution=dW, inputs=_inputs_relu, sizes=SIZES, difficulty=2,
        witness=gradient_witness(_loss_relu, 2, _inputs_relu, (5, 4)),
        mistakes=(
            Mistake("transposed", "the transpose of dL/dW: rows index the layer's outputs, so it is "
                    "Delta^T X, not X^T Delta", "backprop.html#pitfalls", lambda *args: dW(*args).T),
            Mistake("skip credited to W", "the skip path is counted in dL/dW: the identity does not "
                    "involve W, whose gradient is that of a plain layer",
                    "residual.html#gradients-add-where-paths-fork",
                    lambda G, X, W, b: (_delta(G, X, W, b) + G).T @ X),
            Mistake("output instead of input", "the block's output Y is paired with the delta: the "
                    "weight gradient takes the layer's input X",
                    "computational_graph.html#the-algorithm-for-d-layers",
                    lambda G, X, W, b: _delta(G, X, W, b).T @ (X + np.maximum(X @ W.T + b, 0))),
            Mistake("no ReLU'", "ReLU's derivative is missing: a unit switched off (Z < 0) passes no "
                    "gradient to its weights", "computational_graph.html#a-network-small-enough-to-do-by-hand",
                    lambda G, X, W, b: G.T @ X),
        )),
    Exercise(
        id="residual.product_terms", chapter="residual", kind="symbolic",
        title="How many paths through d residual layers",
        statement="Expanding $(I + A_1)(I + A_2)(I + A_3)$ by hand gives one term per subset of the "
                  "factors. How many terms does the expansion of the product of $d$ factors "
                  "$(I + A_1) \\cdots (I + A_d)$ have (the matrices $A_\\ell$ generic, so that no two "
                  "terms combine)? Give an expression in $d$.",
        hint="Each factor contributes either its $I$ or its $A_\\ell$ to a term; the term that takes "
             "$I$ from every factor is $I$ itself, the path through no branch.",
        signature="an expression in d", solution=2 ** d, symbols={"d": d}, difficulty=1,
        witness=_counts_the_terms,
        mistakes=(
            Mistake("identity forgotten", "the identity term, the empty subset, is not counted: it is "
                    "the path through the skips only", "residual.html#across-layers", 2 ** d - 1),
            Mistake("first order only", "only I and the single A_l are counted: the products of two "
                    "or more A's are terms too", "residual.html#across-layers", d + 1),
            Mistake("added, not multiplied", "the factors' two terms are added over the layers: the "
                    "expansion takes one of two choices at every factor, and the choices multiply",
                    "residual.html#across-layers", 2 * d),
        )),
    Exercise(
        id="residual.estimate_limit", chapter="residual", kind="symbolic",
        title="The estimate when the branches shrink with depth",
        statement="In the chapter's mean-field estimate, the ratio "
                  "$\\lVert \\partial L / \\partial h_0 \\rVert / \\lVert \\partial L / \\partial h_d \\rVert$ "
                  "is about $\\prod_{\\ell=1}^{d} \\sqrt{1 + c_\\ell}$ with "
                  "$c_\\ell = n \\operatorname{Var}(w)\\, \\overline{f'(z_\\ell)^2}$; "
                  "put $c_\\ell = a / d$ at every layer, $a > 0$ "
                  "(scaling each branch's weights by $1/\\sqrt{d}$ divides $\\operatorname{Var}(w)$ by $d$). "
                  "What does the estimate tend to as $d \\to \\infty$? Give an expression in $a$.",
        hint="The product is $(1 + a/d)^{d/2}$; recall $(1 + a/d)^{d} \\to e^{a}$.",
        signature="an expression in a", solution=sp.exp(a / 2), symbols={"a": a}, difficulty=2,
        witness=_the_limit_of_the_estimate,
        mistakes=(
            Mistake("no square root", "this is the limit of the squared norm's ratio: the estimate of "
                    "the norm takes the square root of each factor", "residual.html#an-estimate-and-the-measurements",
                    sp.exp(a)),
            Mistake("each factor to 1", "each factor tends to 1, but there are d of them: the product "
                    "tends to a finite limit above 1, not to 1", "residual.html#an-estimate-and-the-measurements",
                    sp.Integer(1)),
            Mistake("first order", "this is the first order of the limit in a: the product of d factors "
                    "close to 1 tends to an exponential", "residual.html#an-estimate-and-the-measurements",
                    1 + a / 2),
        )),
    Exercise(
        id="residual.relu_estimate", chapter="residual", kind="number",
        title="The estimate for the ReLU stack",
        statement=f"The residual ReLU stack of the chapter's figure has depth $d = {DEPTH}$ and He's "
                  "variance, $n \\operatorname{Var}(w) = 2$. Suppose that at every layer half the units are "
                  "on, so that $\\overline{f'(z_\\ell)^2} = 1/2$ exactly. What is the mean-field estimate "
                  "of $\\lVert \\partial L / \\partial h_0 \\rVert / \\lVert \\partial L / \\partial h_d \\rVert$, "
                  "$\\prod_{\\ell=1}^{d} \\sqrt{1 + n \\operatorname{Var}(w)\\, \\overline{f'(z_\\ell)^2}}$? "
                  "(Compare it with the ratio the chapter's table measures.)",
        hint="Every factor is the same: the identity's 1 plus the branch's $2 \\cdot \\tfrac{1}{2}$, "
             "under a square root.",
        signature="the estimated ratio", solution=sp.nsimplify(RELU_ESTIMATE), difficulty=1, witness=_the_estimate_exactly, tolerance=1e-4,
        mistakes=(
            Mistake("no square root", "this is the estimate of the squared norm's ratio: each factor "
                    "of the norm's estimate is a square root", "residual.html#an-estimate-and-the-measurements",
                    2.0 ** DEPTH),
            Mistake("no identity", "the identity's 1 is missing from each factor: this is the estimate "
                    "of the plain He stack", "residual.html#an-estimate-and-the-measurements", 1.0),
            Mistake("every unit on", "ReLU' squared averages 1/2 when half the units are on, not 1",
                    "residual.html#an-estimate-and-the-measurements", 3.0 ** (DEPTH / 2)),
        )),
)
