"""Activation functions in SymPy: definitions, derived derivatives, and their checks.

Each :class:`Activation` holds the definition from first principles (the sigmoid and tanh
from exponentials, ReLU as a piecewise function), the textbook closed form of its
derivative (``sigma' = sigma (1 - sigma)``, ``tanh' = 1 - tanh^2``, ``softplus' = sigma``),
the range of the derivative as the textbooks state it, and the NumPy implementation.
:func:`checks` proves the closed forms and ranges with SymPy and tests the NumPy code
against central differences, the complex step and the SymPy derivative itself.

>>> from derivations.symbolic.activations import ACTIVATIONS, derivative
>>> derivative(ACTIVATIONS["sigmoid"])
exp(-x)/(1 + exp(-x))**2
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import activations as num
from ..provenance import stored_checks

TOPIC = "activations"

x = sp.Symbol("x", real=True)
#: Leaky ReLU's slope for x < 0, kept symbolic in the derivation.
alpha = sp.Symbol("alpha", positive=True)
#: The numeric default of that slope (``leaky_relu(x, alpha=0.01)``).
ALPHA = 0.01
_t = sp.Symbol("t", positive=True)  # x = t and x = -t cover the two half-lines

sigmoid_def = 1 / (1 + sp.exp(-x))
tanh_def = (sp.exp(x) - sp.exp(-x)) / (sp.exp(x) + sp.exp(-x))


_sigma = sp.Function("sigma")
#: The textbook derivatives are written with sigma(x) and tanh(x); this expands them.
_EXPAND = {_sigma(x): sigmoid_def, sp.tanh(x): tanh_def}
_z1 = sp.exp(-sp.Abs(x))       # e^{-|x|}
_z2 = sp.exp(-2 * sp.Abs(x))   # e^{-2|x|}


@dataclass(frozen=True)
class Activation:
    """One activation: its SymPy definition, textbook derivative, and NumPy code."""

    name: str
    symbol: Callable[[sp.Expr], sp.Expr]  # how the page writes f(x), e.g. sigma(x)
    definition: sp.Expr
    #: The textbook derivative, written with sigma(x) and tanh(x) as the page shows it.
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
        """The textbook derivative with sigma(x) and tanh(x) replaced by their definitions."""
        return self.textbook.subs(_EXPAND)


_step = sp.Piecewise((1, x > 0), (0, True))

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "sigmoid", _sigma, sigmoid_def, textbook=_sigma(x) * (1 - _sigma(x)),
            derivative_range=sp.Interval.Lopen(0, sp.Rational(1, 4)),
            forward=num.sigmoid, grad=num.sigmoid_grad,
            stable_forms={
                "sigmoid": (sigmoid_def,
                            sp.Piecewise((1 / (1 + _z1), x >= 0), (_z1 / (1 + _z1), True))),
                "sigmoid_grad": (sp.diff(sigmoid_def, x), _z1 / (1 + _z1) ** 2),
            },
        ),
        Activation(
            "tanh", sp.tanh, tanh_def, textbook=1 - sp.tanh(x) ** 2,
            derivative_range=sp.Interval.Lopen(0, 1),
            forward=num.tanh, grad=num.tanh_grad,
            stable_forms={"tanh_grad": (sp.diff(tanh_def, x), 4 * _z2 / (1 + _z2) ** 2)},
        ),
        Activation(
            "relu", sp.Function("ReLU"), sp.Piecewise((x, x > 0), (0, True)), textbook=_step,
            derivative_range=sp.FiniteSet(0, 1),
            forward=num.relu, grad=num.relu_grad, analytic=False, kinks=(0.0,),
        ),
        Activation(
            "leaky_relu", sp.Function("LeakyReLU"),
            sp.Piecewise((x, x > 0), (alpha * x, True)),
            textbook=sp.Piecewise((1, x > 0), (alpha, True)),
            derivative_range=sp.FiniteSet(alpha, 1),
            forward=partial(num.leaky_relu, alpha=ALPHA),
            grad=partial(num.leaky_relu_grad, alpha=ALPHA), analytic=False, kinks=(0.0,),
        ),
        Activation(
            "softplus", sp.Function("softplus"), sp.log(1 + sp.exp(x)), textbook=_sigma(x),
            derivative_range=sp.Interval.open(0, 1),
            forward=num.softplus, grad=num.softplus_grad,
            stable_forms={"softplus": (sp.log(1 + sp.exp(x)), sp.Max(x, 0) + sp.log(1 + _z1))},
        ),
    ]
}


def derivative(act: Activation) -> sp.Expr:
    """f'(x), differentiated by SymPy from the definition."""
    return sp.diff(act.definition, x)


def derivative_range(act: Activation) -> sp.Set:
    """The set of values f'(x) takes on the real line, computed by SymPy."""
    d = derivative(act)
    if isinstance(d, sp.Piecewise):  # a step: the union of its pieces' values
        return sp.Union(*[sp.FiniteSet(expr) for expr, _ in d.args])
    return sp.calculus.util.function_range(d, x, sp.S.Reals)


def derivative_maximum(act: Activation) -> tuple[sp.Expr, sp.Expr]:
    """(argmax, max) of f' for a smooth activation: its one critical point, and the value there."""
    d = derivative(act)
    critical = sp.solve(sp.diff(d, x), x)
    if len(critical) != 1:
        raise ValueError(f"{act.name}: expected one critical point of f', got {critical}")
    x0 = critical[0]
    return x0, sp.simplify(d.subs(x, x0))


def derivative_latex(act: Activation, label: str | None = None) -> str:
    """``f'(x) = <derived> = <textbook form>``, the equation the page shows."""
    lhs = sp.latex(sp.Derivative(act.symbol(x), x))
    d = derivative(act)
    derived = sp.latex(sp.factor(sp.together(d)) if act.analytic else d)
    rhs = sp.latex(act.textbook)
    if derived == rhs:
        return f"{lhs} = {rhs}"
    return f"{lhs} = {derived} = {rhs}"


def numeric_derivative(act: Activation, alpha_value: float = ALPHA) -> Callable:
    """SymPy's f' as a NumPy function (used to check the NumPy code's own formula)."""
    return sp.lambdify(x, derivative(act).subs(alpha, alpha_value), "numpy")


def sample_inputs(act: Activation, shape, rng: np.random.Generator, scale: float = 3.0) -> np.ndarray:
    """Random inputs of the given shape, at least 1e-3 away from every kink."""
    xs = scale * rng.standard_normal(shape)
    for k in act.kinks:
        near = np.abs(xs - k) < 1e-3
        xs[near] = k + np.copysign(1e-3, xs[near] - k)
    return xs


@stored_checks
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
            for half, sub in (("x>0", _t), ("x<0", -_t)):
                out.append(identity(f"{n}: the stable formula of {what} is exact for {half}",
                                    reference.subs(x, sub), stable.subs(x, sub)))
        for shape in [(3, 4), (64, 50)]:
            out.append(verify.check_derivative(
                TOPIC, f"{n}_grad against central differences of {n}, shape {shape}",
                act.forward, act.grad, sample_inputs(act, shape, rng), rng=rng))
        if act.analytic:
            f_sym = sp.lambdify(x, act.definition, "numpy")
            for shape in [(3, 4), (64, 50)]:
                out.append(verify.check_derivative(
                    TOPIC, f"{n}_grad against the complex step of the SymPy definition, shape {shape}",
                    f_sym, act.grad, sample_inputs(act, shape, rng), method="complex-step",
                    rng=rng))
        pts = np.concatenate([sample_inputs(act, 200, rng, scale=5.0), list(act.kinks)])
        out.append(verify.check_against_sympy(
            TOPIC, f"{n}_grad equals SymPy's derivative at 200 points"
            + (" and the kink" if act.kinks else ""),
            act.grad(pts), derivative(act).subs(alpha, ALPHA), x, pts))
    return out


def set_text(s: sp.Set) -> str:
    """A set in plain mathematical notation: (0, 1/4], {0, 1}."""
    if isinstance(s, sp.Interval):
        return f"{'(' if s.left_open else '['}{s.start}, {s.end}{')' if s.right_open else ']'}"
    return str(s)


def _set_check(name: str, derived: sp.Set, stated: sp.Set) -> verify.Check:
    ok = bool(sp.simplify(sp.Eq(derived, stated)) is sp.true) or derived == stated
    return verify.Check(TOPIC, name, "symbolic", 0.0 if ok else np.inf, 0.0, ok,
                        "" if ok else f"SymPy finds {derived}")
