"""Activation functions in SymPy: definitions, derived derivatives, and their checks.

Each :class:`Activation` holds the definition from first principles (the sigmoid and tanh
from exponentials, ReLU as a piecewise function), the textbook closed form of its
derivative (``sigma' = sigma (1 - sigma)``, ``tanh' = 1 - tanh^2``, ``softplus' = sigma``),
the range of the derivative as the textbooks state it, and the NumPy implementation. The
variable is the pre-activation ``z``.

:func:`checks` proves the closed forms, ranges, maxima, limits and the stable formulas with
SymPy, tests the NumPy code against central differences, the complex step and the SymPy
derivative itself, and measures what the page states about floating point (where each
function rounds to 0 or 1), about gradients through a layer, dead ReLU units and the kink.
:func:`exhibits` is everything the page shows, each formula printed from the expression a
check proved.

>>> from derivations.symbolic.activations import ACTIVATIONS, derivative
>>> derivative(ACTIVATIONS["sigmoid"])
exp(-z)/(1 + exp(-z))**2
"""

from __future__ import annotations

import inspect
import warnings
from dataclasses import dataclass, field
from functools import lru_cache, partial
from typing import Callable

import mpmath
import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table, aligned
from ..numeric import activations as activations_np
from ..numeric import backprop as backprop_np
from ..numeric import hadamard as hadamard_np
from .common import tex

__all__ = ["z", "alpha", "Activation", "ACTIVATIONS", "derivative", "derivative_range",
           "derivative_maximum", "one_sided_derivatives", "checks", "exhibits"]

TOPIC = "activations"

#: The pre-activation, the variable of every activation and derivative on the page.
z = sp.Symbol("z", real=True)
x = z  # the variable's former name, kept for callers
#: Leaky ReLU's slope for z < 0, kept symbolic in the derivation.
alpha = sp.Symbol("alpha", positive=True)
#: The numeric default of that slope, read from ``numeric.activations.leaky_relu``.
ALPHA = inspect.signature(activations_np.leaky_relu).parameters["alpha"].default
_t = sp.Symbol("t", positive=True)  # z = t and z = -t cover the two half-lines
#: How the page writes e^(-abs(z)), the quantity the stable formulas are built on.
u = sp.Symbol("u", positive=True)

sigmoid_def = 1 / (1 + sp.exp(-z))
tanh_def = (sp.exp(z) - sp.exp(-z)) / (sp.exp(z) + sp.exp(-z))

_sigma = sp.Function("sigma")
#: The textbook derivatives are written with sigma(z) and tanh(z); this expands them.
_EXPAND = {_sigma(z): sigmoid_def, sp.tanh(z): tanh_def}
_u1 = sp.exp(-sp.Abs(z))       # e^{-|z|}, shown as u
_u2 = sp.exp(-2 * sp.Abs(z))   # e^{-2|z|}, shown as u^2


@dataclass(frozen=True)
class Activation:
    """One activation: its SymPy definition, textbook derivative, and NumPy code."""

    name: str
    symbol: Callable[[sp.Expr], sp.Expr]  # how the page writes f(z), e.g. sigma(z)
    definition: sp.Expr
    #: The textbook derivative, written with sigma(z) and tanh(z) as the page shows it.
    textbook: sp.Expr
    #: The range of f' that textbooks state, proved against SymPy's function_range.
    derivative_range: sp.Set
    forward: Callable
    grad: Callable
    #: Formulas the NumPy code uses instead of the textbook ones, for stability:
    #: name -> (reference expression, the NumPy code's formula).
    stable_forms: dict[str, tuple[sp.Expr, sp.Expr]] = field(default_factory=dict)
    analytic: bool = True
    kinks: tuple[float, ...] = ()

    @property
    def closed_form(self) -> sp.Expr:
        """The textbook derivative with sigma(z) and tanh(z) replaced by their definitions."""
        return self.textbook.subs(_EXPAND)


_step = sp.Piecewise((1, z > 0), (0, True))

#: name -> Activation, for sigmoid, tanh, relu, leaky_relu and softplus.
#:
#: :meta hide-value:
ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "sigmoid", _sigma, sigmoid_def, textbook=_sigma(z) * (1 - _sigma(z)),
            derivative_range=sp.Interval.Lopen(0, sp.Rational(1, 4)),
            forward=activations_np.sigmoid, grad=activations_np.sigmoid_grad,
            stable_forms={
                "sigmoid": (sigmoid_def,
                            sp.Piecewise((1 / (1 + _u1), z >= 0), (_u1 / (1 + _u1), True))),
                "sigmoid_grad": (sp.diff(sigmoid_def, z), _u1 / (1 + _u1) ** 2),
            },
        ),
        Activation(
            "tanh", sp.tanh, tanh_def, textbook=1 - sp.tanh(z) ** 2,
            derivative_range=sp.Interval.Lopen(0, 1),
            forward=activations_np.tanh, grad=activations_np.tanh_grad,
            stable_forms={"tanh_grad": (sp.diff(tanh_def, z), 4 * _u2 / (1 + _u2) ** 2)},
        ),
        Activation(
            "relu", sp.Function("ReLU"), sp.Piecewise((z, z > 0), (0, True)), textbook=_step,
            derivative_range=sp.FiniteSet(0, 1),
            forward=activations_np.relu, grad=activations_np.relu_grad, analytic=False, kinks=(0.0,),
        ),
        Activation(
            "leaky_relu", sp.Function("LeakyReLU"),
            sp.Piecewise((z, z > 0), (alpha * z, True)),
            textbook=sp.Piecewise((1, z > 0), (alpha, True)),
            derivative_range=sp.FiniteSet(alpha, 1),
            forward=partial(activations_np.leaky_relu, alpha=ALPHA),
            grad=partial(activations_np.leaky_relu_grad, alpha=ALPHA), analytic=False, kinks=(0.0,),
        ),
        Activation(
            "softplus", sp.Function("softplus"), sp.log(1 + sp.exp(z)), textbook=_sigma(z),
            derivative_range=sp.Interval.open(0, 1),
            forward=activations_np.softplus, grad=activations_np.softplus_grad,
            stable_forms={"softplus": (sp.log(1 + sp.exp(z)), sp.Max(z, 0) + sp.log(1 + _u1))},
        ),
    ]
}
SMOOTH = ("sigmoid", "tanh")   # the two with a single interior maximum of f'


def derivative(act: Activation) -> sp.Expr:
    """f'(z), differentiated by SymPy from the definition."""
    return sp.diff(act.definition, z)


@lru_cache(maxsize=None)
def _derivative_range(name: str) -> sp.Set:
    d = derivative(ACTIVATIONS[name])
    if isinstance(d, sp.Piecewise):  # a step: the union of its pieces' values
        return sp.Union(*[sp.FiniteSet(expr) for expr, _ in d.args])
    return sp.calculus.util.function_range(d, z, sp.S.Reals)


def derivative_range(act: Activation) -> sp.Set:
    """The set of values f'(z) takes on the real line, computed by SymPy."""
    if ACTIVATIONS.get(act.name) is act:
        return _derivative_range(act.name)
    d = derivative(act)
    if isinstance(d, sp.Piecewise):
        return sp.Union(*[sp.FiniteSet(expr) for expr, _ in d.args])
    return sp.calculus.util.function_range(d, z, sp.S.Reals)


def derivative_maximum(act: Activation) -> tuple[sp.Expr, sp.Expr]:
    """(argmax, max) of f' for a smooth activation: its one critical point, and the value there."""
    if ACTIVATIONS.get(act.name) is act:
        return _derivative_maximum(act.name)
    return _maximum(act)


@lru_cache(maxsize=None)
def _derivative_maximum(name: str) -> tuple[sp.Expr, sp.Expr]:
    return _maximum(ACTIVATIONS[name])


def _maximum(act: Activation) -> tuple[sp.Expr, sp.Expr]:
    d = derivative(act)
    critical = sp.solve(sp.diff(d, z), z)
    if len(critical) != 1:
        raise ValueError(f"{act.name}: expected one critical point of f', got {critical}")
    z0 = critical[0]
    return z0, sp.simplify(d.subs(z, z0))


def derivative_latex(act: Activation, label: str | None = None) -> str:
    """``f'(z) = <derived> = <textbook form>``, the equation the page shows."""
    lhs = tex(sp.Derivative(act.symbol(z), z))
    d = derivative(act)
    derived = tex(sp.factor(sp.together(d)) if act.analytic else d)
    rhs = tex(act.textbook)
    if derived == rhs:
        return f"{lhs} = {rhs}"
    return f"{lhs} = {derived} = {rhs}"


def numeric_derivative(act: Activation, alpha_value: float = ALPHA) -> Callable:
    """SymPy's f' as a NumPy function (used to check the NumPy code's own formula)."""
    return sp.lambdify(z, derivative(act).subs(alpha, alpha_value), "numpy")


#: How far from a kink the numeric checks draw their inputs (far beyond the step of a
#: central difference, verify.CENTRAL_STEP).
KINK_MARGIN = 1e-3


def sample_inputs(act: Activation, shape, rng: np.random.Generator, scale: float = 3.0) -> np.ndarray:
    """Random inputs of the given shape, at least KINK_MARGIN away from every kink."""
    xs = scale * rng.standard_normal(shape)
    for k in act.kinks:
        near = np.abs(xs - k) < KINK_MARGIN
        xs[near] = k + np.copysign(KINK_MARGIN, xs[near] - k)
    return xs


def set_text(s: sp.Set) -> str:
    """A set in plain mathematical notation: (0, 1/4], {0, 1}."""
    if isinstance(s, sp.Interval):
        return f"{'(' if s.left_open else '['}{s.start}, {s.end}{')' if s.right_open else ']'}"
    return str(s)


def _set_check(name: str, derived: sp.Set, stated: sp.Set) -> verify.Check:
    ok = bool(sp.simplify(sp.Eq(derived, stated)) is sp.true) or derived == stated
    return verify.Check(TOPIC, name, "symbolic", 0.0 if ok else np.inf, 0.0, ok,
                        "" if ok else f"SymPy finds {derived}")


# ------------------------------------------------------------ identities the page states
#: tanh as a rescaled sigmoid, 2 sigma(2z) - 1, displayed with sigma and proved expanded.
tanh_as_sigmoid = sp.Add(2 * _sigma(2 * z), -1, evaluate=False)
#: sigma'(z) = sigma(z) sigma(-z) (so sigma' is even) and tanh'(z) = 4 sigma'(2z) (exercises).
sigmoid_grad_product = _sigma(z) * _sigma(-z)
_sigma_prime = sp.Function(r"\sigma'")
tanh_grad_via_sigmoid = 4 * _sigma_prime(2 * z)


def _expand_sigma(expr):
    """sigma(.) and sigma'(.) replaced by their definitions, at whatever argument."""
    return expr.replace(_sigma, lambda a: sigmoid_def.subs(z, a)).replace(
        _sigma_prime, lambda a: sp.diff(sigmoid_def, z).subs(z, a))


_w = sp.Symbol("w", positive=True)


def at_infinity(expr, sign: int = 1):
    """The limit of ``expr`` as z tends to sign * infinity, for an expression in e^z: with
    w = e^{-sign z}, which tends to 0+, it becomes a rational function of w, continuous at 0
    once cancelled, and the limit is its value there (ValueError if it is not rational)."""
    r = sp.cancel(expr.subs(z, -sign * sp.log(_w)))
    if not r.is_rational_function(_w) or sp.denom(r).subs(_w, 0) == 0:
        raise ValueError(f"at_infinity: {expr} is not a rational function of e^z continuous at the limit")
    return r.subs(_w, 0)


def one_sided_derivatives(act: Activation, at=0) -> tuple[sp.Expr, sp.Expr]:
    """(left, right) derivatives of the definition at ``at``, as SymPy limits."""
    f = act.definition
    left = sp.limit((f.subs(z, at - _t) - f.subs(z, at)) / (-_t), _t, 0)
    right = sp.limit((f.subs(z, at + _t) - f.subs(z, at)) / _t, _t, 0)
    return left, right


# ------------------------------------------------------------ the derivatives by hand
def _frac(expr):
    """A factor kept as written (a fraction inside a product is not merged into one)."""
    return sp.UnevaluatedExpr(expr)


def _d(expr):
    return sp.Derivative(expr, z)


_E = sp.exp
_den_s = sp.Add(1, _E(-z), evaluate=False)                   # 1 + e^{-z}
_num_t, _den_t = sp.Add(_E(z), -_E(-z), evaluate=False), sp.Add(_E(z), _E(-z), evaluate=False)


def _over(a, b):
    return sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False)


#: The hand derivations of the three derivatives the page states, name -> (rows, steps), each
#: row equal to the next; steps[k] names the equality rows[k] = rows[k + 1].
HAND_STEPS = {
    "sigmoid": ((
        _d(_sigma(z)),
        _d(sp.Pow(_den_s, -1, evaluate=False)),
        sp.Mul(-1, _over(_d(_den_s), sp.Pow(_den_s, 2, evaluate=False)), evaluate=False),
        _over(_E(-z), sp.Pow(_den_s, 2, evaluate=False)),
        sp.Mul(_frac(sp.Pow(_den_s, -1, evaluate=False)), _frac(_over(_E(-z), _den_s)), evaluate=False),
        sp.Mul(_sigma(z), 1 - _sigma(z), evaluate=False)),
        ("the definition sigma(z) = 1/(1 + e^-z)",
         "the chain rule: (1/u)' = -u'/u^2 with u = 1 + e^-z",
         "(1 + e^-z)' = -e^-z",
         "the fraction split into two factors",
         "e^-z/(1 + e^-z) = 1 - 1/(1 + e^-z) = 1 - sigma(z)")),
    "tanh": ((
        _d(sp.tanh(z)),
        _d(_over(_num_t, _den_t)),
        _over(sp.Add(sp.Pow(_den_t, 2, evaluate=False), -sp.Pow(_num_t, 2, evaluate=False), evaluate=False),
              sp.Pow(_den_t, 2, evaluate=False)),
        sp.Add(1, -_over(sp.Pow(_num_t, 2, evaluate=False), sp.Pow(_den_t, 2, evaluate=False)), evaluate=False),
        sp.Add(1, -sp.tanh(z) ** 2, evaluate=False)),
        ("the definition tanh(z) = (e^z - e^-z)/(e^z + e^-z)",
         "the quotient rule, (e^z - e^-z)' = e^z + e^-z and (e^z + e^-z)' = e^z - e^-z",
         "the fraction split, the first term 1",
         "the definition of tanh again")),
    "softplus": ((
        _d(sp.Function("softplus")(z)),
        _d(sp.log(sp.Add(1, _E(z), evaluate=False))),
        sp.Mul(_frac(sp.Pow(sp.Add(1, _E(z), evaluate=False), -1, evaluate=False)), _E(z), evaluate=False),
        sp.Pow(_den_s, -1, evaluate=False),
        _sigma(z)),
        ("the definition softplus(z) = log(1 + e^z)",
         "the chain rule: (log u)' = u'/u with u = 1 + e^z, and (1 + e^z)' = e^z",
         "numerator and denominator divided by e^z",
         "the definition of sigma")),
}


def hand_step_value(expr):
    """A row of a hand derivation made computable: sigma and softplus replaced by their
    definitions, derivatives taken, kept factors released, tanh written with exponentials."""
    e = expr.replace(sp.Function("softplus"), lambda a: ACTIVATIONS["softplus"].definition.subs(z, a))
    return _expand_sigma(e).doit().rewrite(sp.exp)


def hand_step_name(act: str, k: int) -> str:
    return f"{act}' by hand, step {k + 1}, {HAND_STEPS[act][1][k]}"


def hand_step_checks(steps: dict | None = None) -> list[verify.Check]:
    """Every equality of every hand derivation, proved by SymPy (``steps``: HAND_STEPS, or a
    mutated copy in the tests)."""
    out = []
    for act, (rows, _) in (steps or HAND_STEPS).items():
        for k, (a, b) in enumerate(zip(rows, rows[1:])):
            out.append(verify.symbolic_identity(TOPIC, hand_step_name(act, k), hand_step_value(a),
                                                hand_step_value(b)))
    return out


#: The pitfall of the sigmoid's steps, the inner derivative (1 + e^-z)' taken as +e^-z.
SIGN_DROPPED = sp.Mul(-1, _over(_E(-z), sp.Pow(_den_s, 2, evaluate=False)), evaluate=False)


def sign_dropped_check() -> verify.Check:
    """Step 3 of the sigmoid's derivation with the minus sign of (1 + e^-z)' dropped gives
    -sigma(1 - sigma), negative where sigma' is positive (its range)."""
    return verify.symbolic_identity(
        TOPIC, "sigma' by hand with the sign of (1 + e^-z)' = -e^-z dropped gives -sigma(z)(1 - sigma(z))",
        hand_step_value(SIGN_DROPPED), -hand_step_value(HAND_STEPS["sigmoid"][0][-1]))


def hand_step_latex(act: str) -> str:
    """The hand derivation of one activation's derivative, one relation per row."""
    return " = ".join(tex(r, order="none") for r in HAND_STEPS[act][0])


# --------------------------------------------------------------- floating-point limits
def first_true(pred: Callable[[float], bool], lo: float, hi: float) -> float:
    """The smallest s in [lo, hi] with pred(s), by bisection to one ulp (pred false at lo,
    true at hi, and monotone)."""
    if pred(lo) or not pred(hi):
        raise ValueError("first_true: pred must be false at lo and true at hi")
    while np.nextafter(lo, hi) < hi:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        lo, hi = (lo, mid) if pred(mid) else (mid, hi)
    return hi


def _scalar(f, s):
    with np.errstate(all="ignore"):
        return float(f(np.array(s)))


LN2 = sp.log(2)


def _float_rows():
    """The items of the page's float64 list: what rounds (a predicate of s >= 0), where the
    bisection searches, the closed form of the threshold (None: no closed form), the sign of
    z at s (-1: z = -s), whether the function is even (then z = -s is checked too), and the
    expression whose exact value at the threshold the list shows."""
    # exact values from the stable formulas (proved equal to the definitions): no cancellation
    forms = {k: stable for a in ACTIVATIONS.values() for k, (_, stable) in a.stable_forms.items()}
    naive = lambda v: 1 - np.tanh(v) ** 2  # noqa: E731
    return {
        "exp": dict(pred=lambda s: not np.isfinite(_scalar(np.exp, s)), hi=1e4,
                    closed=sp.log(sp.Float(np.finfo(np.float64).max, 30)), sign=1, even=False, exact=None),
        "sigmoid=1": dict(pred=lambda s: _scalar(activations_np.sigmoid, s) == 1.0, hi=1e4, closed=53 * LN2,
                          sign=1, even=False, exact=forms["sigmoid"].subs(z, -z)),   # 1 - sigma(z)
        "sigmoid=0": dict(pred=lambda s: _scalar(activations_np.sigmoid, -s) == 0.0, hi=1e4, closed=1075 * LN2,
                          sign=-1, even=False, exact=forms["sigmoid"]),
        "sigmoid_grad=0": dict(pred=lambda s: _scalar(activations_np.sigmoid_grad, s) == 0.0, hi=1e4,
                               closed=1075 * LN2, sign=1, even=True, f=activations_np.sigmoid_grad,
                               exact=forms["sigmoid_grad"]),
        "tanh_grad=0": dict(pred=lambda s: _scalar(activations_np.tanh_grad, s) == 0.0, hi=1e4,
                            closed=1075 * LN2 / 2, sign=1, even=True, f=activations_np.tanh_grad,
                            exact=forms["tanh_grad"]),
        "naive=0": dict(pred=lambda s: _scalar(naive, s) == 0.0, hi=40.0, closed=None, sign=1,
                        even=True, f=naive, exact=forms["tanh_grad"]),
    }


@lru_cache(maxsize=None)
def float_limits() -> dict[str, dict]:
    """Where the float64 computations round to 0, to 1 or overflow: each row of
    ``_float_rows()`` with the threshold ``found`` by bisection of the NumPy code, the number
    of ``violations`` (points among 1000 from the threshold to ``hi``, and their mirror images
    for an even function, where the rounding does not hold, plus one if it already holds
    just below the threshold), and the ``exact_value`` there (SymPy, 30 digits)."""
    rows = _float_rows()
    for r in rows.values():
        r["found"] = found = first_true(r["pred"], 1.0, r["hi"])
        beyond = np.linspace(found, r["hi"], 1000)
        bad = sum(not r["pred"](s) for s in beyond) + int(r["pred"](np.nextafter(found, 0)))
        if r["even"]:
            with np.errstate(all="ignore"):
                bad += int(np.sum(r["f"](-beyond) != r["f"](beyond)))
        r["violations"] = bad
        if r["exact"] is not None:
            at = r["sign"] * sp.Rational(found)   # the float, exactly
            r["exact_value"] = sp.N(r["exact"], 30, subs={z: at})
    return rows


#: The point at which the page compares the naive 1 - tanh^2 with tanh_grad.
TANH_BIG = 20.0
#: Where the page evaluates sigma' at the output by mistake.
PITFALL_Z = 2.0
#: The points of the saturation table.
TABLE_Z = (0, 1, 2, 5, 10, 20)
#: The inputs at which every NumPy function must stay finite, without a RuntimeWarning.
EXTREMES = (-1e4, -800.0, 800.0, 1e4)


def _tanh_big():
    exact = sp.N(sp.sech(sp.Float(TANH_BIG, 30)) ** 2, 30)
    return {"naive": float(1 - np.tanh(TANH_BIG) ** 2),
            "stable": float(activations_np.tanh_grad(np.array(TANH_BIG))), "exact": float(exact)}


def _pitfall():
    right = float(activations_np.sigmoid_grad(np.array(PITFALL_Z)))
    wrong = float(activations_np.sigmoid_grad(activations_np.sigmoid(np.array(PITFALL_Z))))
    d = derivative(ACTIVATIONS["sigmoid"])
    zz = sp.Float(PITFALL_Z, 30)
    return np.array([right, wrong]), np.array([float(d.subs(z, zz)),
                                               float(d.subs(z, sigmoid_def.subs(z, zz)))])


def _extremes_trouble() -> int:
    """How many non-finite values and RuntimeWarnings the NumPy functions produce at
    EXTREMES (the page says: none)."""
    bad = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for fname in activations_np.__all__:
            bad += int(np.sum(~np.isfinite(getattr(activations_np, fname)(np.array(EXTREMES)))))
    return bad + sum(issubclass(w.category, RuntimeWarning) for w in caught)


# a weight matrix whose square is zero, and the tanh' factors at z = (0, 2): the product of
# layers D W D W is not smaller than W W although every factor of D is at most 1
PRODUCT_W = sp.Matrix([[sp.Rational(1, 2), sp.Rational(1, 2)], [-sp.Rational(1, 2), -sp.Rational(1, 2)]])
PRODUCT_Z = (0, 2)


def softplus_excess() -> list[sp.Expr]:
    """softplus(z) - max(0, z) from the definition: its value at 0, its limits at +oo and
    -oo, and whether it increases for z < 0 and decreases for z > 0 (1 for yes), so that the
    value at 0 is its maximum."""
    zp, zn = sp.Symbol("z", positive=True), sp.Symbol("z", negative=True)
    excess = lambda v: ACTIVATIONS["softplus"].definition.subs(z, v) - sp.Max(v, 0)  # noqa: E731
    return [excess(sp.Integer(0)), sp.limit(excess(zp), zp, sp.oo), sp.limit(excess(zn), zn, -sp.oo),
            sp.Integer(bool(sp.simplify(sp.diff(excess(zn), zn)).is_positive)),
            sp.Integer(bool(sp.simplify(sp.diff(excess(zp), zp)).is_negative))]


@lru_cache(maxsize=None)
def _tanh_product():
    """Spectral norms of W W and D W D W with D = diag(tanh'(z)), NumPy and exact."""
    W = np.array(PRODUCT_W, dtype=float)
    D = np.diag(activations_np.tanh_grad(np.array(PRODUCT_Z, dtype=float)))
    numeric = (np.linalg.norm(W @ W, 2), np.linalg.norm(D @ W @ D @ W, 2))
    Ds = sp.diag(*[derivative(ACTIVATIONS["tanh"]).subs(z, v) for v in PRODUCT_Z])
    P = Ds * PRODUCT_W * Ds * PRODUCT_W
    # det W = 0, so P has rank at most 1 and its spectral norm is its Frobenius norm
    if PRODUCT_W.det() != 0:
        raise ValueError("PRODUCT_W must be singular for the Frobenius norm to be its spectral norm")
    # each is computed exactly by SymPy from PRODUCT_W (rank <= 1: spectral = Frobenius norm)
    frobenius = lambda M: sp.sqrt(sum(e ** 2 for e in M))  # noqa: E731
    return numeric, tuple(float(sp.N(frobenius(M), 30)) for M in (PRODUCT_W ** 2, P))


def _dead_unit(rng):
    """A two-layer ReLU network whose hidden unit 0 has z < 0 on every sample of the batch:
    the gradients of its weights and bias, and the largest gradient of the other units."""
    p = backprop_np.two_layer_init(4, 5, 2, rng)
    p["b1"] = np.zeros(5)
    p["b1"][0] = -50.0        # z_0 = w_0 . x - 50 < 0 for these inputs
    X, Y = rng.standard_normal((16, 4)), rng.standard_normal((16, 2))
    Z = X @ p["W1"].T + p["b1"]
    _, g = backprop_np.two_layer_loss_and_grads(p, X, Y, "relu")
    return float(Z[:, 0].max()), np.concatenate([g["W1"][0], [g["b1"][0]]]), g


# --------------------------------------------------------------------------- checks
def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic (SymPy proofs and numeric comparisons)."""
    rng = np.random.default_rng(seed)
    out: list[verify.Check] = []
    identity = partial(verify.symbolic_identity, TOPIC)
    for act in ACTIVATIONS.values():
        n = act.name
        d = derivative(act)
        out.append(identity(f"{n}: SymPy's derivative equals the textbook closed form",
                            d, act.closed_form))
        out.append(_set_check(f"{n}: the derivative's range is {set_text(act.derivative_range)}",
                              derivative_range(act), act.derivative_range))
        for what, (reference, stable) in act.stable_forms.items():
            at = (_t, -_t, sp.Integer(0))
            out.append(identity(f"{n}: the stable formula of {what} equals the definition for z>0, z<0 and z=0",
                                sp.Matrix([reference.subs(z, a) for a in at]),
                                sp.Matrix([stable.subs(z, a) for a in at])))
        if n == "softplus":
            out.append(identity("softplus(z) - max(0, z) is log 2 at z = 0, increases before, decreases after, "
                                "and tends to 0 at both tails", sp.Matrix(softplus_excess()),
                                sp.Matrix([sp.log(2), 0, 0, 1, 1])))
        for shape in [(3, 4), (64, 50)]:
            out.append(verify.check_derivative(act.forward, act.grad, sample_inputs(act, shape, rng),
                                               name=f"{n}_grad against central differences of {n}, shape {shape}",
                                               topic=TOPIC, rng=rng, every_entry=True))
        # the complex step: through the SymPy definition where it is analytic, else through the
        # NumPy code (its kink acts on the real part), which resolves ReLU's exact zeros
        f_cs, what = ((sp.lambdify(z, act.definition, "numpy"), "the SymPy definition") if act.analytic
                      else (act.forward, f"{n}, the NumPy code"))
        # atol 10 eps: NumPy's complex tanh and exp compute the imaginary part to about eps
        # absolute, not relative (5e-8 relative where tanh' is 2e-9), times the entry's upstream
        # gradient (standard normal), so an entry that small is judged to that
        for shape in [(3, 4), (64, 50)]:
            out.append(verify.check_derivative(f_cs, act.grad, sample_inputs(act, shape, rng),
                                               name=f"{n}_grad against the complex step of {what}, shape {shape}",
                                               topic=TOPIC, method="complex-step", rng=rng, every_entry=True,
                                               atol=10 * float(np.finfo(np.float64).eps)))
        pts = sample_inputs(act, 200, rng, scale=5.0)
        out.append(verify.check_against_sympy(
            TOPIC, f"{n}_grad equals SymPy's derivative at 200 points",
            act.grad(pts), d.subs(alpha, ALPHA), z, pts))
    out += hand_step_checks() + [sign_dropped_check()]
    out += _sigmoid_tanh_checks(rng)
    out += _kink_checks(rng)
    out += _float_checks()
    return out


def _sigmoid_tanh_checks(rng) -> list[verify.Check]:
    identity = partial(verify.symbolic_identity, TOPIC)
    sig, th = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"]
    out = [identity("sigmoid: sigma tends to 0 as z tends to -infinity and to 1 as z tends to +infinity",
                    sp.Matrix([at_infinity(sigmoid_def, -1), at_infinity(sigmoid_def)]), sp.Matrix([0, 1]))]
    grid = np.linspace(-40, 40, 400001)
    for act, word in ((sig, "sigma'"), (th, "tanh'")):
        z0, peak = derivative_maximum(act)
        rng_ = derivative_range(act)
        # the one critical point's value is the supremum of the range, and it is attained
        out.append(identity(f"{act.name}: the value of {word} at its one critical point z = {z0} "
                            f"is the supremum {peak} of its range, attained",
                            sp.Matrix([peak, int(peak in rng_)]), sp.Matrix([rng_.sup, 1])))
        out.append(verify.check_bound(TOPIC, f"{act.name}_grad never exceeds {peak} on 400001 points of [-40, 40]",
                                      act.grad(grid), float(peak)))
    d_s, d_t = derivative(sig), derivative(th)
    # (both derivatives are even, below: the limits at -infinity are the same)
    out.append(identity("in the tails sigma'(z) e^z tends to 1 and tanh'(z) e^(2z) to 4 as z tends to infinity",
                        sp.Matrix([at_infinity(d_s * sp.exp(z)), at_infinity(d_t * sp.exp(2 * z))]),
                        sp.Matrix([1, 4])))
    out.append(identity("sigma'(z) = sigma(z) sigma(-z), so sigma' is even",
                        d_s, _expand_sigma(sigmoid_grad_product)))
    out.append(identity("tanh(z) = 2 sigma(2z) - 1", tanh_def, _expand_sigma(tanh_as_sigmoid)))
    out.append(identity("tanh is odd: tanh(-z) = -tanh(z)", tanh_def.subs(z, -z), -tanh_def))
    out.append(identity("tanh'(z) = 4 sigma'(2z)", d_t, _expand_sigma(tanh_grad_via_sigmoid)))
    pts = np.array(TABLE_Z, dtype=float)
    exact = [float(sp.N(e.subs(z, int(v)), 30)) for e in (d_s, d_t) for v in TABLE_Z]
    out.append(verify.check_values(
        TOPIC, f"the table: sigmoid_grad and tanh_grad at z = {', '.join(map(str, TABLE_Z))} equal SymPy's values",
        "sympy-vs-numpy", np.concatenate([sig.grad(pts), th.grad(pts)]), exact))
    # through a layer: every entry of dL/dz = dL/dh ⊙ f'(z) is at most max f' times dL/dh
    Z, G = 3 * rng.standard_normal((64, 50)), rng.standard_normal((64, 50))
    for act in (sig, th):
        peak = derivative_maximum(act)[1]      # the SymPy maximum of f', the bound
        dz = hadamard_np.elementwise_backward(G, Z, act.grad)
        out.append(verify.check_bound(
            TOPIC, f"{act.name} layer: abs(dL/dz) <= {peak} abs(dL/dh) entrywise, shape (64, 50)",
            np.abs(dz), float(peak) * np.abs(G)))
    (ww, dwdw), (ww_exact, dwdw_exact) = _tanh_product()
    out.append(verify.check_values(
        TOPIC, "spectral norms of W W and D W D W, D = diag(tanh'(0), tanh'(2)): NumPy against SymPy",
        "sympy-vs-numpy", [ww, dwdw], [ww_exact, dwdw_exact]))
    out.append(verify.check_bound(
        TOPIC, "with tanh' <= 1 the spectral norm of D W D W still exceeds that of W W",
        ww, dwdw, strict=True))
    right_wrong, exact = _pitfall()
    out.append(verify.check_values(
        TOPIC, f"at z = {PITFALL_Z:g}: sigmoid_grad(z) and sigmoid_grad(sigmoid(z)) equal SymPy's sigma'(z) "
        "and sigma'(sigma(z))", "sympy-vs-numpy", right_wrong, exact))
    return out


def _kink_checks(rng) -> list[verify.Check]:
    relu, leaky = ACTIVATIONS["relu"], ACTIVATIONS["leaky_relu"]
    one_sided = [*one_sided_derivatives(relu), *one_sided_derivatives(leaky)]
    out = [verify.symbolic_identity(
        TOPIC, "one-sided derivatives at z = 0: 0 and 1 for ReLU, alpha and 1 for leaky ReLU",
        sp.Matrix(one_sided), sp.Matrix([0, 1, alpha, 1]))]
    kink = np.array([0.0])
    out.append(verify.check_values(
        TOPIC, "at the kink z = 0: relu_grad and leaky_relu_grad equal SymPy's piecewise derivatives, 0 and alpha",
        "sympy-vs-numpy", [relu.grad(kink)[0], leaky.grad(kink)[0]],
        [numeric_derivative(relu)(0.0), numeric_derivative(leaky)(0.0)]))
    h = verify.CENTRAL_STEP
    cd = (activations_np.relu(np.array(h)) - activations_np.relu(np.array(-h))) / (2 * h)
    out.append(verify.check_values(
        TOPIC, "central differences of relu at z = 0 give the mean of the one-sided derivatives",
        "central-difference", cd, float((one_sided[0] + one_sided[1]) / 2)))
    zmax, dead_grads, g = _dead_unit(rng)
    out.append(verify.check_bound(TOPIC, "the dead unit: its pre-activation is negative on every sample",
                                  zmax, 0.0, strict=True))
    out.append(verify.check_bound(
        TOPIC, "a ReLU unit with z < 0 on the whole batch gets exactly zero gradient for its weights and bias",
        np.abs(dead_grads), 0.0))
    return out


def _float_checks() -> list[verify.Check]:
    lim = float_limits()
    out = []
    names = {"exp": "np.exp(s) first overflows at s = ln(largest float64) (bisection)",
             "sigmoid=1": "sigmoid(z) first returns exactly 1 at z = 53 ln 2 (bisection)",
             "sigmoid=0": "sigmoid(-s) first returns exactly 0 at s = 1075 ln 2 (bisection)",
             "sigmoid_grad=0": "sigmoid_grad(z) first returns exactly 0 at z = 1075 ln 2 (bisection)",
             "tanh_grad=0": "tanh_grad(z) first returns exactly 0 at z = 1075 ln 2 / 2 (bisection)"}
    for key, name in names.items():
        out.append(verify.check_values(TOPIC, name, "sympy-vs-numpy", lim[key]["found"],
                                       float(lim[key]["closed"])))
    out.append(verify.check_bound(
        TOPIC, "each rounding of the float64 list holds at 1000 points from its threshold on (both signs "
        "for even functions) and not just below it", sum(r["violations"] for r in lim.values()), 0))
    big = _tanh_big()
    out.append(verify.check_values(TOPIC, f"tanh_grad({TANH_BIG:g}) equals SymPy's sech({TANH_BIG:g})^2",
                                   "sympy-vs-numpy", big["stable"], big["exact"]))
    out.append(verify.check_bound(
        TOPIC, "every function of numeric.activations is finite at +-800 and +-1e4, with no RuntimeWarning",
        _extremes_trouble(), 0))
    return out


# --------------------------------------------------------------------------- exhibits
FIG_ALPHA = 0.1   # leaky ReLU's slope in its figure: the default 0.01 would not show


def _activation_figure(name: str) -> Figure:
    act = ACTIVATIONS[name]
    zs = np.linspace(-6, 6, 601)
    forward, grad = act.forward, act.grad
    if name == "leaky_relu":
        zs = np.linspace(-3, 3, 601)
        forward = partial(activations_np.leaky_relu, alpha=FIG_ALPHA)
        grad = partial(activations_np.leaky_relu_grad, alpha=FIG_ALPHA)
    label = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\mathrm{ReLU}",
             "leaky_relu": r"\mathrm{LeakyReLU}", "softplus": r"\mathrm{softplus}"}[name]
    ylim = {"sigmoid": (-0.1, 1.1), "tanh": (-1.1, 1.1), "relu": (-0.5, 3),
            "leaky_relu": (-0.5, 3), "softplus": (-0.1, 3)}[name]
    hlines = [float(derivative_maximum(act)[1])] if name in SMOOTH else []
    return Figure([Panel(
        curves=[Curve(zs, forward(zs), f"${label}(z)$"), Curve(zs, grad(zs), f"${label}'(z)$", "--")],
        xlabel="pre-activation $z$", ylim=ylim, hlines=hlines, legend_loc="upper left")],
        size=(6.4, 3.0))


def _stable_forms_latex() -> str:
    rows = []
    for act in ACTIVATIONS.values():
        for what, (_, stable) in act.stable_forms.items():
            lhs = tex(act.symbol(z) if what == act.name else sp.Derivative(act.symbol(z), z))
            rows.append(f"{lhs} &= {tex(stable.subs(_u2, u ** 2).subs(_u1, u))}")
    return aligned(rows)


def _sci_latex(v, digits: int = 2) -> str:
    """A number (a float, or a SymPy Float below the float64 range) as LaTeX scientific
    notation, 1.8 \\times 10^{-4}."""
    v = sp.Float(v, 30)
    if v == 0:
        return "0"
    x = abs(v._to_mpmath(100))
    e = int(mpmath.floor(mpmath.log10(x)))
    m = round(float(x / mpmath.mpf(10) ** e), digits - 1)
    if m >= 10:
        m, e = m / 10, e + 1
    m = f"{'-' if v < 0 else ''}{m:.{digits - 1}f}"
    if e == 0:
        return m
    return rf"{m[:-1]}10^{{{e}}}" if m.lstrip("-") == "1" else rf"{m} \times 10^{{{e}}}"


def _float_list() -> Markdown:
    """Where each float64 computation first rounds, as a list (it reads on a phone)."""
    lim = float_limits()
    s0 = lambda key: f"{lim[key]['found']:.2f}"  # noqa: E731
    true = lambda key, one=False: (f"; the true value there is "  # noqa: E731
                                   f"${'1 - ' if one else ''}{_sci_latex(lim[key]['exact_value'])}$")
    items = [
        rf"`np.exp(s)` overflows to inf for $s \ge \ln(\text{{largest float64}}) \approx {s0('exp')}$.",
        rf"`sigmoid(z)` returns exactly 1 for $z \ge 53 \ln 2 \approx {s0('sigmoid=1')}$"
        + true("sigmoid=1", one=True) + ".",
        rf"`sigmoid(z)` returns exactly 0 for $z \le -1075 \ln 2 \approx -{s0('sigmoid=0')}$"
        + true("sigmoid=0") + ".",
        rf"`sigmoid_grad(z)` returns exactly 0 for $\lvert z \rvert \ge 1075 \ln 2 \approx {s0('sigmoid_grad=0')}$"
        + true("sigmoid_grad=0") + ".",
        rf"`tanh_grad(z)` returns exactly 0 for $\lvert z \rvert \ge \tfrac{{1075}}{{2}} \ln 2 \approx "
        rf"{s0('tanh_grad=0')}$" + true("tanh_grad=0") + ".",
        rf"The naive `1 - np.tanh(z)**2` returns exactly 0 for $\lvert z \rvert \ge z_0 \approx {s0('naive=0')}$, "
        "where `np.tanh(z)` first rounds to 1 (no closed form: it depends on the rounding of `np.tanh`)"
        + true("naive=0") + ".",
    ]
    return Markdown("\n".join(f"* {item}" for item in items))


def _saturation_table() -> Table:
    pts = np.array(TABLE_Z, dtype=float)
    s, t = activations_np.sigmoid_grad(pts), activations_np.tanh_grad(pts)
    fmt = lambda v: f"{v:.3g}" if v >= 1e-2 else _sci_latex(v, 3)  # noqa: E731
    return Table(["$z$", r"$\sigma'(z)$", r"$\tanh'(z)$"],
                 [(f"${v:g}$", f"${fmt(a)}$", f"${fmt(b)}$") for v, a, b in zip(pts, s, t)],
                 align="rrr")


def exhibits() -> dict:
    """What the activations page shows, each formula printed from the expression a check proved."""
    out: dict = {}
    for a in ACTIVATIONS.values():
        out[f"eq_{a.name}"] = Equation(derivative_latex(a), proofs=(f"{a.name}: SymPy's derivative equals the textbook closed form",))
        out[f"range_{a.name}"] = Markdown(f"${tex(derivative_range(a))}$")
        out[f"def_{a.name}"] = Markdown(f"${tex(sp.Eq(a.symbol(z), a.definition))}$")
        out[f"fig_{a.name}"] = _activation_figure(a.name)
    for name in SMOOTH:
        z0, peak = derivative_maximum(ACTIVATIONS[name])
        out[f"{name}_argmax"], out[f"{name}_max"] = str(z0), str(peak)
    for name in HAND_STEPS:
        out[f"eq_hand_{name}"] = Equation(hand_step_latex(name), proofs=(f"{name}' by hand,",))
    out["n_activations"] = str(len(ACTIVATIONS))
    out["tanh_as_sigmoid"] = Markdown(f"${tex(sp.Eq(sp.tanh(z), tanh_as_sigmoid, evaluate=False), order='none')}$")
    out["saturation_table"] = _saturation_table()
    out["sat_z"] = "5"
    sat = {n: float(ACTIVATIONS[n].grad(np.array(5.0))) for n in SMOOTH}
    out["sat_sigmoid"], out["sat_tanh"] = (Markdown(f"${_sci_latex(sat[k])}$") for k in ("sigmoid", "tanh"))
    kink = np.array([0.0])
    out["relu_grad_at_0"] = f"{float(activations_np.relu_grad(kink)[0]):g}"
    out["leaky_grad_at_0"] = f"{float(activations_np.leaky_relu_grad(kink)[0]):g}"
    out["alpha_default"] = f"{ALPHA:g}"
    out["fig_alpha"] = f"{FIG_ALPHA:g}"
    h = verify.CENTRAL_STEP
    out["relu_cd_at_0"] = f"{float((activations_np.relu(np.array(h)) - activations_np.relu(np.array(-h))) / (2 * h)):g}"
    out["eq_stable_forms"] = Equation(_stable_forms_latex(), proofs=tuple(
        f"{act.name}: the stable formula of {what} equals the definition"
        for act in ACTIVATIONS.values() for what in act.stable_forms))
    lim = float_limits()
    out["float_list"] = _float_list()
    out["exp_overflow_neg"] = Markdown(f"$-{lim['exp']['found']:.2f}$")
    out["sigmoid_zero_neg"] = Markdown(f"$-{lim['sigmoid=0']['found']:.2f}$")
    out["sigmoid_one_from"] = f"{lim['sigmoid=1']['found']:.2f}"
    out["naive_zero_from"] = f"{lim['naive=0']['found']:.2f}"
    out["naive_zero_exact"] = Markdown(f"${_sci_latex(lim['naive=0']['exact_value'])}$")
    tiny = max((lim[k]["exact_value"] for k in ("sigmoid=0", "sigmoid_grad=0", "tanh_grad=0")), key=float)
    out["tiny_max"] = Markdown(f"${_sci_latex(tiny)}$")
    out["one_gap"] = Markdown(f"${_sci_latex(lim['sigmoid=1']['exact_value'])}$")
    out["tanh_grad_zero_from"] = f"{lim['tanh_grad=0']['found']:.2f}"
    out["extremes"] = Markdown(" and ".join(f"$\\pm {_sci_latex(v, 1) if v >= 1e4 else f'{v:g}'}$"
                                            for v in sorted({abs(e) for e in EXTREMES})))
    out["kink_margin"] = Markdown(f"${_sci_latex(KINK_MARGIN, 1)}$")
    out["central_step"] = Markdown(f"${_sci_latex(verify.CENTRAL_STEP, 1)}$")
    big = _tanh_big()
    out["tanh_x_big"] = f"{TANH_BIG:g}"
    out["tanh_true"] = Markdown(f"${_sci_latex(big['exact'], 4)}$")
    out["tanh_stable_rel"] = f"{abs(big['stable'] - big['exact']) / big['exact']:.1g}"
    (ww, dwdw), _ = _tanh_product()
    out["product_W"] = Markdown(f"$W = {tex(PRODUCT_W)}$")
    out["product_z"] = f"({', '.join(map(str, PRODUCT_Z))})"
    out["product_ww"] = f"{ww:g}"
    out["product_dwdw"] = f"{dwdw:.2f}"
    (right, wrong), _ = _pitfall()
    out["pit_z"], out["pit_right"], out["pit_wrong"] = f"{PITFALL_Z:g}", f"{right:.4f}", f"{wrong:.4f}"
    out["eq_sigmoid_product"] = Markdown(f"$\\sigma'(z) = {tex(sigmoid_grad_product)}$")
    out["eq_tanh_via_sigmoid"] = Markdown(f"$\\tanh'(z) = {tex(tanh_grad_via_sigmoid)}$")
    return out
