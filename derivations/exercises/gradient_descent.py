"""Exercises of the gradient descent chapter (gradient_descent.html): the step-size limit, the
best fixed step on a quadratic and its contraction factor (answered in SymPy), and the number of
steps a millionfold reduction of the error takes.

The witnesses do not use the chapter's formulas: they run gradient descent on the quadratic
(``symbolic.gradient_descent.run_quadratic``), or search numerically for the step size that
makes the iteration's spectral radius (``iteration_radius``, the eigenvalues of I - eta A)
smallest.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from ..symbolic import gradient_descent as gd_sym
from . import Exercise, Mistake

#: The curvature lambda: SymPy spells it lamda (lambda is a Python keyword); it prints as lambda.
lam = sp.Symbol("lamda", positive=True)
lam_min, lam_max = sp.symbols("lamda_min lamda_max", positive=True)
kappa = sp.Symbol("kappa", positive=True)

_SECTION_1D = "gradient_descent.html#one-dimension-the-contraction-factor"
_SECTION_ND = "gradient_descent.html#many-dimensions-the-largest-curvature-decides"


def _value(answer, symbols: dict) -> sp.Expr:
    return sp.sympify(answer, locals=symbols)


def _factor_is_minus_one(answer) -> bool:
    """At the bound the contraction factor 1 - eta lambda is -1 (w flips sign and keeps its size),
    for every lambda: checked at lambda = 1/3, 1, 7."""
    bound = _value(answer, {"lamda": lam})
    return all(sp.simplify(1 - bound.subs(lam, v) * v) == -1 for v in (sp.Rational(1, 3), 1, 7))


def _best_radius(eigenvalues) -> tuple[float, float]:
    """The step eta in (0, 2/lambda_max) that makes the spectral radius of I - eta A smallest,
    for A = diag(eigenvalues), and that radius: a ternary search on the radius computed from
    the eigenvalues of I - eta A (convex in eta: a maximum of absolute values of linear
    functions)."""
    A = np.diag(np.asarray(eigenvalues, dtype=float))
    lo, hi = 0.0, 2.0 / float(np.max(eigenvalues))
    for _ in range(200):
        m1, m2 = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if gd_sym.iteration_radius(A, m1) <= gd_sym.iteration_radius(A, m2):
            hi = m2
        else:
            lo = m1
    best = 0.5 * (lo + hi)
    return best, gd_sym.iteration_radius(A, best)


#: The (lambda_min, lambda_max) and the kappa at which the best-step witnesses search; each A
#: has two more eigenvalues between the extremes.
_PAIRS = ((1.0, 30.0), (0.5, 2.0), (3.0, 7.0))
_KAPPAS = (2.0, 30.0, 1000.0)


def _spectrum(lo: float, hi: float) -> np.ndarray:
    return np.linspace(lo, hi, 4)


def _is_the_best_step(answer) -> bool:
    expr = _value(answer, {"lamda_min": lam_min, "lamda_max": lam_max})
    for lo, hi in _PAIRS:
        got = float(expr.subs({lam_min: lo, lam_max: hi}))
        if not np.isclose(got, _best_radius(_spectrum(lo, hi))[0], rtol=1e-7, atol=0):
            return False
    return True


def _is_the_best_rate(answer) -> bool:
    expr = _value(answer, {"kappa": kappa})
    for k in _KAPPAS:
        got = float(expr.subs(kappa, k))
        if not np.isclose(got, _best_radius(_spectrum(1.0, k))[1], rtol=1e-9, atol=0):
            return False
    return True


#: The millionfold-reduction exercise: A = diag(1, KAPPA) at the best fixed step.
KAPPA, REDUCTION = 1000.0, 1e-6
_A = np.diag([1.0, KAPPA])
_BEST = 2 / (1.0 + KAPPA)


def _steps(rate: float, reduction: float = REDUCTION) -> int:
    """The smallest s with rate^s <= reduction."""
    return int(np.ceil(np.log(reduction) / np.log(rate)))


@lru_cache(maxsize=None)
def _simulated_steps() -> int:
    """The first step s at which the error of gradient descent on 1/2 w^T A w, run from w_0 = (1, 1),
    is at most REDUCTION times its start. At the best step both eigen-factors 1 - eta lambda are
    +-rho, so the norm shrinks by exactly rho per step from every start: this one stands for all."""
    path = gd_sym.run_quadratic(_A, np.ones(2), _BEST, 2 * _steps(1 - 1 / KAPPA))
    ratios = np.linalg.norm(path, axis=1) / np.linalg.norm(path[0])
    return int(np.argmax(ratios <= REDUCTION))


def _takes_as_many_steps_as_the_run(answer) -> bool:
    return float(sp.N(sp.sympify(answer))) == _simulated_steps()


EXERCISES = (
    Exercise(
        id="gradient_descent.step_bound", chapter="gradient_descent", kind="symbolic",
        title="The largest step size that converges",
        statement=r"Gradient descent $w_{s+1} = w_s - \eta L'(w_s)$ on "
                  r"$L(w) = \frac{\lambda}{2} (w - w^*)^2$, $\lambda > 0$, converges from every start "
                  r"exactly when $0 < \eta < \eta_{\max}$. Give $\eta_{\max}$ as an expression in "
                  r"$\lambda$, written `lamda` (SymPy's spelling: `lambda` is a Python keyword).",
        hint=r"One step multiplies the error $w_s - w^*$ by $1 - \eta \lambda$; when is its modulus "
             r"below 1?",
        signature="an expression in lamda", solution=2 / lam, symbols={"lamda": lam},
        witness=_factor_is_minus_one,
        mistakes=(
            Mistake("the best step", "1/lambda is the step that reaches the minimum in one step, not "
                    "the largest that converges: up to 2/lambda the factor 1 - eta lambda stays inside "
                    "(-1, 1)", _SECTION_1D, 1 / lam),
            Mistake("the curvature inverted", "the bound is inversely proportional to the "
                    "curvature lambda: a steeper quadratic needs a smaller step", _SECTION_1D, 2 * lam),
        )),
    Exercise(
        id="gradient_descent.best_step", chapter="gradient_descent", kind="symbolic",
        title="The best fixed step on a quadratic",
        statement=r"Gradient descent with a fixed step $\eta$ on "
                  r"$L(w) = \frac{1}{2} (w - w^*)^\top A (w - w^*)$, $A \in \mathbb{R}^{n \times n}$ "
                  r"symmetric positive definite with eigenvalues from $\lambda_{\min}$ to "
                  r"$\lambda_{\max} > \lambda_{\min}$, multiplies the error's norm at worst by "
                  r"$\rho(I - \eta A)$ per step. Give the step $\eta$ that makes $\rho(I - \eta A)$ "
                  r"smallest, as an expression in `lamda_min` and `lamda_max`.",
        hint=r"$\rho(I - \eta A) = \max_i \lvert 1 - \eta \lambda_i \rvert$; only the two extreme "
             r"eigenvalues matter. One of the two terms decreases with $\eta$, the other increases.",
        signature="an expression in lamda_min, lamda_max", solution=2 / (lam_min + lam_max),
        symbols={"lamda_min": lam_min, "lamda_max": lam_max}, difficulty=2, witness=_is_the_best_step,
        names={lam_min: r"\lambda_{\min}", lam_max: r"\lambda_{\max}"},
        mistakes=(
            Mistake("the limit", "2/lambda_max is the largest step that converges, where the sharpest "
                    "direction stops contracting (its factor is -1); the best step balances it "
                    "against the flattest", _SECTION_ND, 2 / lam_max),
            Mistake("the sharpest direction in one step", "1/lambda_max removes the sharpest "
                    "direction in one step, but leaves the flattest with the factor "
                    "1 - lambda_min/lambda_max; a longer step shrinks that factor", _SECTION_ND, 1 / lam_max),
            Mistake("the flattest direction's limit", "2/lambda_min is the limit of the flattest "
                    "direction: beyond 2/lambda_max the sharpest direction diverges",
                    _SECTION_ND, 2 / lam_min),
        )),
    Exercise(
        id="gradient_descent.best_rate", chapter="gradient_descent", kind="symbolic",
        title="The contraction factor at the best step",
        statement=r"For the quadratic of the previous exercise, give the smallest spectral radius "
                  r"$\rho(I - \eta A)$ over all step sizes $\eta$, the factor by which the best fixed "
                  r"step shrinks the error's norm per step, as an expression in the condition number "
                  r"$\kappa = \lambda_{\max} / \lambda_{\min}$, written `kappa`.",
        hint=r"At the best step the flattest and the sharpest directions shrink by the same factor, "
             r"$1 - \eta \lambda_{\min} = \eta \lambda_{\max} - 1$; divide by $\lambda_{\min}$.",
        signature="an expression in kappa", solution=(kappa - 1) / (kappa + 1), symbols={"kappa": kappa},
        difficulty=2, witness=_is_the_best_rate,
        mistakes=(
            Mistake("the step 1/lambda_max", "1 - 1/kappa is the factor of the step 1/lambda_max, "
                    "set by the flattest direction; the best step is longer and shrinks it to "
                    "(kappa - 1)/(kappa + 1)", _SECTION_ND, 1 - 1 / kappa),
            Mistake("the loss's factor", "this is the square of the factor: the loss, quadratic in "
                    "the error, shrinks by rho^2 per step, the error's norm by rho",
                    _SECTION_ND, ((kappa - 1) / (kappa + 1)) ** 2),
            Mistake("the part removed", "2/(kappa + 1) = eta lambda_min is the part of the flattest "
                    "direction's error removed per step; the factor is what is left of it, "
                    "1 - 2/(kappa + 1)", _SECTION_ND, 2 / (kappa + 1)),
        )),
    Exercise(
        id="gradient_descent.millionfold_steps", chapter="gradient_descent", kind="number",
        title="Steps to a millionfold reduction",
        statement=r"Gradient descent on $L(w) = \frac{1}{2} w^\top A w$, "
                  r"$A = \operatorname{diag}(1, 1000)$ (so $\kappa = 1000$, $w^* = 0$), at the best "
                  r"fixed step $\eta = 2/(\lambda_{\min} + \lambda_{\max})$. Give the smallest number "
                  r"of steps $s$ after which $\lVert w_s \rVert \le 10^{-6} \lVert w_0 \rVert$ for "
                  r"every start $w_0$.",
        hint=r"At this step both eigen-factors $1 - \eta \lambda$ are $\pm \rho$, "
             r"$\rho = (\kappa - 1)/(\kappa + 1)$: every step multiplies the error's norm by exactly "
             r"$\rho$, whatever the start. Solve $\rho^s \le 10^{-6}$ for the integer $s$.",
        signature="the number of steps",
        solution=_steps(gd_sym.iteration_radius(_A, _BEST)), whole=True,
        difficulty=1, witness=_takes_as_many_steps_as_the_run,
        mistakes=(
            Mistake("the rate 1 - 1/kappa", "this count is for the factor 1 - 1/kappa of the step "
                    "1/lambda_max; the best step shrinks the error by (kappa - 1)/(kappa + 1) per step",
                    _SECTION_ND, _steps(1 - 1 / KAPPA)),
            Mistake("the loss reduced", "this reduces the loss a millionfold: the loss is quadratic "
                    "in the error, so the error needs twice as many steps",
                    _SECTION_ND, _steps(gd_sym.iteration_radius(_A, _BEST) ** 2)),
            Mistake("rounded down", "rounded down: log(1e-6)/log(rho) is not a whole number, and after "
                    "its integer part rho^s is still above 1e-6; round up",
                    _SECTION_ND, _steps(gd_sym.iteration_radius(_A, _BEST)) - 1),
        )),
)
