"""Gradient descent: the update, its contraction on quadratics, SGD, and training a network.

The update theta <- theta - eta * grad is written once, :func:`gd_update`: the page prints it,
the proofs apply it to L(w) = lambda/2 (w - w*)^2 and to L(w) = 1/2 (w - w*)^T A (w - w*) (at n = 2
and 3, as matrix-symbol expressions expanded with ``common.explicit``), and a check compares it
with the NumPy ``gd_step``. On the quadratic one step multiplies the error by 1 - eta lambda, so the
iteration converges exactly when 0 < eta < 2/lambda (SymPy's solveset, regime by regime); in n
dimensions the iteration matrix is I - eta A and the limit is eta < 2 / lambda_max(A).

The runs the page shows (the quadratics, full-batch GD against SGD on a least-squares problem,
the two-layer network of the backprop chapter at three step sizes) are computed here once
(functools.lru_cache) and shared by :func:`checks` and :func:`exhibits`, so every number the
page states is the number a check tested.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Markdown, Panel, Table, aligned
from ..numeric import backprop as backprop_np
from ..numeric import gradient_descent as gradient_descent_np
from .common import explicit, matrix, tex, vector
from .index_notation import GradientClaim, prove_matrix_identity

__all__ = ["gd_update", "contraction", "REGIMES", "stable_step_sizes", "regime_step_sizes",
           "quadratic_n", "spectral_radius", "random_spd", "run_quadratic", "checks", "exhibits"]

TOPIC = "gradient_descent"

# ----------------------------------------------------------------------------- the update

eta = sp.Symbol("eta", real=True)
theta, grad_L = sp.symbols("theta grad_L", real=True)
UPDATE_NAMES = {theta: r"\theta", grad_L: r"\nabla_\theta L(\theta)", eta: r"\eta"}


def gd_update(param, gradient):
    """One gradient-descent step, param - eta * gradient: the one definition the page prints
    and every proof and the NumPy check use (kept unevaluated for scalars, so that it prints
    in this order)."""
    if isinstance(param, sp.Expr) and not param.is_Matrix:
        return sp.Add(param, sp.Mul(-1, eta, gradient, evaluate=False), evaluate=False)
    return param - eta * gradient


# ----------------------------------------------------------------------------- one dimension

w, w_k, w_star = sp.symbols("w w_s w^*", real=True)   # w_k: the iterate at step s
#: The curvature of the one-dimensional quadratic, lambda (as the eigenvalues lambda_i later).
a = sp.Symbol("lambda", positive=True)
quadratic = sp.Mul(a / 2, (w - w_star) ** 2, evaluate=False)
derivative = sp.factor(sp.diff(quadratic, w))                     # a (w - w*)
step = gd_update(w_k, derivative.subs(w, w_k))                    # w_{k+1}
#: The factor 1 - eta lambda by which one step multiplies the error w_s - w* on the quadratic.
contraction = 1 - eta * a
error_map = sp.Mul(contraction, w_k - w_star, evaluate=False)    # (1 - eta a)(w_k - w*)
W_NAMES = {w_k: "w_s", w_star: "w^*", eta: r"\eta"}

#: The step size in units of the curvature, x = eta a, for which the factor is 1 - x.
x = sp.Symbol("x", real=True)
factor_x = contraction.subs(eta, x / a)
#: The regimes of the iteration for eta > 0, each a condition on the factor 1 - eta a and
#: what the iterates do then. SymPy solves the step sizes of each (:func:`regime_step_sizes`).
REGIMES = (
    (sp.And(0 < factor_x, factor_x < 1), "approach $w^*$ from one side"),
    (sp.Eq(factor_x, 0), "reach $w^*$ in one step"),
    (sp.And(-1 < factor_x, factor_x < 0), "oscillate around $w^*$ and converge"),
    (sp.Eq(factor_x, -1), "oscillate forever, $\\lvert w_s - w^* \\rvert$ constant"),
    (factor_x < -1, "oscillate and diverge"),
)
#: The sets of x = eta a that the regimes' names claim (compared with the solved ones).
REGIME_SETS = (sp.Interval.open(0, 1), sp.FiniteSet(1), sp.Interval.open(1, 2), sp.FiniteSet(2),
               sp.Interval.open(2, sp.oo))


def _solve(condition) -> sp.Set:
    """The real x satisfying ``condition`` (a relation, or an And of relations), by solveset."""
    if isinstance(condition, sp.And):
        return sp.Intersection(*map(_solve, condition.args))
    if isinstance(condition, sp.Eq):
        return sp.solveset(condition.lhs - condition.rhs, x, sp.S.Reals)
    return sp.solveset(condition, x, sp.S.Reals)


def stable_step_sizes() -> sp.Set:
    """The set of x = eta a with abs(1 - eta a) < 1, that is -1 < 1 - eta a < 1, solved by SymPy."""
    return _solve(sp.And(-1 < factor_x, factor_x < 1))


def regime_step_sizes() -> list[sp.Set]:
    """For each regime, the step sizes x = eta a > 0 in it, solved by SymPy."""
    return [_solve(cond).intersect(sp.Interval.open(0, sp.oo)) for cond, _ in REGIMES]


#: The step sizes (as multiples of 1/a) of the figure of the one-dimensional quadratic.
FACTORS = (0.1, 0.5, 1.0, 1.5, 1.9, 2.0, 2.05)
QUADRATIC_STEPS = 40


def run_quadratic(A: np.ndarray, w0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on 1/2 w^T A w (minimum at 0) with gd_step; returns the iterates."""
    params, path = {"w": w0}, [w0]
    for _ in range(steps):
        params = gradient_descent_np.gd_step(params, {"w": A @ params["w"]}, lr)
        path.append(params["w"])
    return np.array(path)


@lru_cache(maxsize=None)
def one_dimensional_runs() -> dict:
    """The iterates w_k - w* for a = 1, w_0 - w* = 1 and each step size of FACTORS."""
    return {f: run_quadratic(np.array([[1.0]]), np.array([1.0]), f, QUADRATIC_STEPS)[:, 0] for f in FACTORS}


# ----------------------------------------------------------------------------- n dimensions

#: The sizes n at which the n-dimensional formulas are proved.
N_SIZES = (2, 3)


def quadratic_n(n):
    """The loss 1/2 (w - w*)^T A (w - w*), the claimed gradient A (w - w*), GD's step from
    w_k, and the claimed error map (I - eta A)(w_k - w*), as matrix-symbol expressions."""
    A, wv, ws, wk = (sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("w", n, 1),
                     sp.MatrixSymbol("w^*", n, 1), sp.MatrixSymbol("w_s", n, 1))
    loss = sp.MatMul(sp.Rational(1, 2), sp.Transpose(wv - ws), A, wv - ws)
    gradient = A * (wv - ws)
    step_n = gd_update(wk, gradient.xreplace({wv: wk}))
    return {"A": A, "w": wv, "w*": ws, "w_k": wk, "loss": loss, "gradient": gradient,
            "step": step_n,
            "error_map": sp.MatMul(sp.MatAdd(sp.Identity(n), -eta * A, evaluate=False), wk - ws)}


def prove_n(n: int) -> list[verify.Check]:
    Q = quadratic_n(n)
    A = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"A_{min(i, j) + 1}{max(i, j) + 1}", real=True))  # symmetric
    values = {Q["A"]: A, Q["w"]: vector("w", n), Q["w*"]: vector("ws", n), Q["w_k"]: vector("wk", n),
              sp.Identity(n): sp.eye(n)}
    L = explicit(Q["loss"], values)
    derived = sp.Matrix([sp.diff(L, wi) for wi in values[Q["w"]]])
    return [
        verify.symbolic_identity(TOPIC, f"n = {n}: the gradient of 1/2 (w - w_star)^T A (w - w_star) is A (w - w_star), "
                                 "A symmetric", derived, explicit(Q["gradient"], values)),
        verify.symbolic_identity(TOPIC, f"n = {n}: one GD step maps the error r to (I - eta A) r",
                                 explicit(Q["step"] - Q["w*"], values), explicit(Q["error_map"], values)),
    ]


def prove_any_n() -> list[verify.Check]:
    """The two claims of :func:`prove_n` at symbolic n, in index notation: the gradient with A
    written (B + B^T)/2 for a general B (every symmetric A is one), and the error map."""
    n = sp.Symbol("n", positive=True, integer=True)
    Q = quadratic_n(n)
    B = sp.MatrixSymbol("B", n, n)
    symmetric = {Q["A"]: (B + B.T) / 2}
    gradient = GradientClaim("the gradient of 1/2 (w - w_star)^T A (w - w_star) is A (w - w_star), A symmetric",
                             Q["loss"].xreplace(symmetric), Q["w"], Q["gradient"].xreplace(symmetric), (n,),
                             tuple((k,) for k in N_SIZES))
    return [*gradient.checks(TOPIC),
            prove_matrix_identity(TOPIC, "one GD step maps the error r to (I - eta A) r: index notation, any n",
                           Q["step"] - Q["w*"], Q["error_map"], (n,))]


def random_spd(n: int, rng: np.random.Generator, cond: float = 30.0) -> np.ndarray:
    """A symmetric positive definite matrix with eigenvalues spread over [1, cond]."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


def spectral_radius(A: np.ndarray, lr: float) -> float:
    """max_i abs(1 - lr lambda_i(A)), the factor by which GD's error shrinks per step (at worst)."""
    return float(np.max(np.abs(1 - lr * np.linalg.eigvalsh(A))))


def iteration_radius(A: np.ndarray, lr: float) -> float:
    """The spectral radius of the iteration matrix I - lr A itself (its eigenvalues, computed
    without A's): a second computation of :func:`spectral_radius`."""
    return float(np.max(np.abs(np.linalg.eigvals(np.eye(len(A)) - lr * A))))


SPD_SIZE, SPD_STEPS = 5, 400
SPD_FACTORS = (0.98, 1.02)     # step sizes as multiples of 2 / lambda_max


@lru_cache(maxsize=None)
def spd_problem(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    A = random_spd(SPD_SIZE, rng)
    lam, Q = np.linalg.eigh(A)
    w0 = rng.standard_normal(SPD_SIZE)
    runs = {f: run_quadratic(A, w0, f * 2 / lam[-1], SPD_STEPS) for f in SPD_FACTORS}
    best = 2 / (lam[-1] + lam[0])
    return {"A": A, "lam": lam, "Q": Q, "w0": w0, "runs": runs, "best": best,
            "best_run": run_quadratic(A, w0, best, SPD_STEPS)}


# ----------------------------------------------------------------------------- SGD

SGD = {"N": 500, "n": 10, "noise": 0.1, "epochs": 30, "batch": 10, "gd_lr": 0.5, "sgd_lr": 0.05}


def decaying(epoch: int) -> float:
    """The decaying schedule of the page: eta_j = eta / (1 + j) in epoch j."""
    return SGD["sgd_lr"] / (1 + epoch)


@lru_cache(maxsize=None)
def regression(seed: int = 1) -> dict:
    """The least-squares problem (N samples, n features, one output) and its minimum."""
    rng = np.random.default_rng(seed)
    N, n = SGD["N"], SGD["n"]
    X = rng.standard_normal((N, n))
    Y = X @ rng.standard_normal((1, n)).T + 0.5 + SGD["noise"] * rng.standard_normal((N, 1))
    Xa = np.c_[X, np.ones(N)]
    sol = np.linalg.lstsq(Xa, Y, rcond=None)[0]
    minimum = {"W": sol[:n].T, "b": sol[n]}
    return {"X": X, "Y": Y, "hessian": Xa.T @ Xa / N, "minimum": minimum,
            "floor": gradient_descent_np.least_squares_loss_and_grads(minimum, X, Y)[0],
            "p0": {"W": np.zeros((1, n)), "b": np.zeros(1)}}


@lru_cache(maxsize=None)
def sgd_runs() -> dict:
    """Loss per epoch: full-batch GD, SGD with a constant step, SGD with :func:`decaying`."""
    R = regression()
    ls = gradient_descent_np.least_squares_loss_and_grads
    _, gd = gradient_descent_np.gradient_descent(ls, R["p0"], R["X"], R["Y"], SGD["gd_lr"], SGD["epochs"] + 1)
    _, const = gradient_descent_np.sgd(ls, R["p0"], R["X"], R["Y"], SGD["sgd_lr"], SGD["epochs"], SGD["batch"],
                       np.random.default_rng(2))
    _, decay = gradient_descent_np.sgd(ls, R["p0"], R["X"], R["Y"], decaying, SGD["epochs"], SGD["batch"],
                       np.random.default_rng(2))
    return {"gd": gd, "sgd": const, "decay": decay}


def hessian(loss_and_grads, params: dict, X, Y, h: float = 1e-5) -> np.ndarray:
    """The Hessian of the loss in all parameters, by central differences of the (verified)
    gradients, one parameter at a time, symmetrized."""
    keys = list(params)
    flat = np.concatenate([np.ravel(params[k]) for k in keys])
    shapes = [np.shape(params[k]) for k in keys]

    def grad_at(v):
        p, start = {}, 0
        for k, shape in zip(keys, shapes):
            size = int(np.prod(shape))
            p[k], start = v[start:start + size].reshape(shape), start + size
        g = loss_and_grads(p, X, Y)[1]
        return np.concatenate([np.ravel(g[k]) for k in keys])

    H = np.empty((flat.size, flat.size))
    for i in range(flat.size):
        e = np.zeros_like(flat)
        e[i] = h
        H[:, i] = (grad_at(flat + e) - grad_at(flat - e)) / (2 * h)
    return H


# ----------------------------------------------------------------------------- the network

#: The two-layer network of the backprop chapter on y = sin(x1) cos(x2); its step sizes are
#: multiples of 2 / lambda_max of the loss's Hessian at the start (the quadratic's limit).
NET = {"N": 256, "n": 2, "m": 32, "p": 1, "steps": 500, "multiples": (0.8, 1.2, 1.6), "activation": "tanh"}


def target(X):
    return (np.sin(X[:, 0]) * np.cos(X[:, 1]))[:, None]


@lru_cache(maxsize=None)
def network_problem(seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (NET["N"], NET["n"]))
    params = backprop_np.two_layer_init(NET["n"], NET["m"], NET["p"], rng)
    X_new = rng.uniform(-2, 2, (NET["N"], NET["n"]))
    return {"X": X, "Y": target(X), "params": params, "X_new": X_new, "Y_new": target(X_new),
            "net": partial(backprop_np.two_layer_loss_and_grads, activation=NET["activation"])}


def descend(loss_and_grads, params, X, Y, lr, steps, snapshots: dict | None = None):
    """Full-batch gradient descent with :func:`~derivations.numeric.gradient_descent.gd_step`, recording the
    loss before each step, until the numeric code refuses a value: returns (params, losses, the
    step that was refused or None, its message). The loss itself is not tested: an infinite loss
    with finite gradients is stepped on (overflow warnings are silenced). If ``snapshots`` is a
    dict, its keys are steps and the parameters before each of them are stored as its values."""
    losses = []
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(steps + 1):
            if snapshots is not None and k in snapshots:
                snapshots[k] = params
            if k == steps:
                break
            try:
                loss, grads = loss_and_grads(params, X, Y)
                params = gradient_descent_np.gd_step(params, grads, lr)
            except ValueError as e:
                return params, np.array(losses), k, str(e)
            losses.append(loss)
    return params, np.array(losses), None, ""


def lambda_max(H: np.ndarray) -> float:
    """The largest eigenvalue of the symmetric part of H."""
    return float(np.linalg.eigvalsh((H + H.T) / 2)[-1])


#: The steps of the run at 1.2 times the limit at which lambda_max is computed; the loss of that
#: run falls at every step from FALLS_FROM on, and that of the run at 1.6 times the limit rises
#: at every step from RISES_FROM until it overflows.
SHARPNESS_STEPS = (0, 6, 50, 100, 200, 300, 400, 500)
FALLS_FROM, RISES_FROM = 4, 13


@lru_cache(maxsize=None)
def network_runs() -> dict:
    """The Hessian at the start, and a run at each multiple of 2 / lambda_max: its step size,
    parameters, losses, the step refused (or None) and the message; lambda_max along the run
    at 1.2 times the limit, at SHARPNESS_STEPS."""
    P = network_problem()
    H0 = hessian(P["net"], P["params"], P["X"], P["Y"])
    limit = 2 / lambda_max(H0)
    out = {"H0": H0, "limit": limit}
    above = NET["multiples"][1]
    for c in NET["multiples"]:
        snaps = dict.fromkeys(SHARPNESS_STEPS) if c == above else None
        params, losses, refused, message = descend(P["net"], P["params"], P["X"], P["Y"], c * limit,
                                                   NET["steps"], snaps)
        out[c] = {"lr": c * limit, "params": params, "losses": losses, "refused": refused, "message": message}
        if c == above:
            out["sharpness"] = np.array([lambda_max(hessian(P["net"], snaps[k], P["X"], P["Y"]))
                                         for k in SHARPNESS_STEPS])
    out["lambda_end"] = out["sharpness"][-1]
    return out


def power_iteration_lambda_max(loss_and_grads, params: dict, X, Y, iterations: int = 60,
                               h: float = 1e-4, seed: int = 0) -> float:
    """lambda_max of the loss's Hessian by power iteration on Hessian-vector products, each a
    central difference of the gradient along the vector (no Hessian matrix is formed): a second
    method for the largest eigenvalue (valid when it is also the largest in absolute value)."""
    keys = list(params)
    shapes = [np.shape(params[k]) for k in keys]
    flat = np.concatenate([np.ravel(params[k]) for k in keys])

    def grad_at(v):
        p, start = {}, 0
        for k, shape in zip(keys, shapes):
            size = int(np.prod(shape))
            p[k], start = v[start:start + size].reshape(shape), start + size
        return np.concatenate([np.ravel(g) for g in (loss_and_grads(p, X, Y)[1][k] for k in keys)])

    v = np.random.default_rng(seed).standard_normal(flat.size)
    v /= np.linalg.norm(v)
    lam = 0.0
    for _ in range(iterations):
        Hv = (grad_at(flat + h * v) - grad_at(flat - h * v)) / (2 * h)
        lam = float(v @ Hv)
        v = Hv / np.linalg.norm(Hv)
    return lam


# ----------------------------------------------------------------------------- checks


def _refuted_run(name: str, refused, message: str) -> verify.Check:
    """A run that must stop with a ValueError from the numeric code."""
    ok = refused is not None and bool(message)
    return verify.Check(TOPIC, name, "simulation", 0.0 if ok else np.inf, 0.0, ok,
                        message if ok else "the run was not refused")


def update_checks(rng) -> list[verify.Check]:
    ident = lambda name, x_, y_: verify.symbolic_identity(TOPIC, name, x_, y_)  # noqa: E731
    P, G = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    update = [float(gd_update(theta, grad_L).subs({theta: p, grad_L: g, eta: 0.1}))
              for p, g in zip(P.ravel(), G.ravel())]
    out = [verify.check_values(TOPIC, "the update theta - eta grad equals gd_step", "sympy-vs-numpy",
                               gradient_descent_np.gd_step({"W": P}, {"W": G}, 0.1)["W"].ravel(), update)]
    Wm = matrix("W", 2, 2)
    out.append(ident("W - eta W is the GD step on L = 1/2 sum W_ij^2, whatever the data",
                     gd_update(Wm, Wm.applyfunc(lambda e: sp.diff(sum(v**2 for v in Wm) / 2, e))),
                     (1 - eta) * Wm))
    return out


def one_dimensional_checks() -> list[verify.Check]:
    out = [verify.symbolic_identity(TOPIC, "one GD step on lambda/2 (w - w_star)^2: w_s+1 - w_star = (1 - eta lambda)(w_s - w_star)",
                                    step - w_star, error_map)]
    solved = stable_step_sizes()
    ok = solved == sp.Interval.open(0, 2)
    out.append(verify.Check(TOPIC, "GD converges on the quadratic iff abs(1 - eta lambda) < 1 iff 0 < eta lambda < 2 (solveset)",
                            "symbolic", 0.0 if ok else np.inf, 0.0, ok, "" if ok else str(solved)))
    names = ("0 < 1 - eta lambda < 1 iff 0 < eta lambda < 1", "1 - eta lambda = 0 iff eta lambda = 1",
             "-1 < 1 - eta lambda < 0 iff 1 < eta lambda < 2", "1 - eta lambda = -1 iff eta lambda = 2",
             "1 - eta lambda < -1 iff eta lambda > 2")
    for name, got, want in zip(names, regime_step_sizes(), REGIME_SETS):
        ok = got == want
        out.append(verify.Check(TOPIC, f"{name}, eta > 0 (solveset)", "symbolic", 0.0 if ok else np.inf,
                                0.0, ok, "" if ok else str(got)))
    runs = one_dimensional_runs()
    k = np.arange(QUADRATIC_STEPS + 1)
    rel = max(verify.rel_error(runs[f], (1 - f) ** k) for f in FACTORS)
    out.append(verify.Check(TOPIC, f"1-D iterates = (1 - eta lambda)^s (w_0 - w_star), eta lambda = "
                            f"{', '.join(map(str, FACTORS))}, {QUADRATIC_STEPS} steps",
                            "closed-form", rel, verify.TOLERANCES["closed-form"],
                            rel <= verify.TOLERANCES["closed-form"]))
    return out


def spd_checks() -> list[verify.Check]:
    S = spd_problem()
    A, lam, Q, w0 = S["A"], S["lam"], S["Q"], S["w0"]
    out = []
    lr = SPD_FACTORS[0] * 2 / lam[-1]
    k = np.arange(SPD_STEPS + 1)[:, None]
    out.append(verify.check_values(
        TOPIC, f"in the eigenbasis of A each error coordinate is multiplied by 1 - eta lambda_i per step, "
               f"n = {SPD_SIZE}, {SPD_STEPS} steps", "closed-form",
        S["runs"][SPD_FACTORS[0]] @ Q, (1 - lr * lam) ** k * (Q.T @ w0)))
    for f, converges in zip(SPD_FACTORS, (True, False)):
        lr = f * 2 / lam[-1]
        rho = iteration_radius(A, lr)
        ratio = float(np.linalg.norm(S["runs"][f][-1]) / np.linalg.norm(w0))
        if converges:
            out.append(verify.check_bound(TOPIC, f"eta = {f} x 2/lambda_max: rho(I - eta A) < 1 and "
                                          f"the error shrinks over {SPD_STEPS} steps", [rho, ratio], 1.0, strict=True))
        else:
            out.append(verify.check_bound(TOPIC, f"eta = {f} x 2/lambda_max: rho(I - eta A) > 1 and "
                                          f"the error grows over {SPD_STEPS} steps", [1.0, 1.0], [rho, ratio], strict=True))
    grid = np.linspace(0.01, 2, 400) / lam[-1]
    measured = np.array([iteration_radius(A, g) for g in grid])
    out.append(verify.check_values(
        TOPIC, "rho(I - eta A) = max(1 - eta lambda_min, eta lambda_max - 1), 400 step sizes up to 2/lambda_max",
        "closed-form", measured, np.maximum(1 - grid * lam[0], grid * lam[-1] - 1)))
    kappa = lam[-1] / lam[0]
    rho_best = iteration_radius(A, S["best"])
    out.append(verify.check_values(TOPIC, "at eta = 2/(lambda_max + lambda_min): rho = (kappa - 1)/(kappa + 1)",
                                   "closed-form", rho_best, (kappa - 1) / (kappa + 1)))
    lo, hi = sp.symbols("lambda_min lambda_max", positive=True)
    best_eta, kap = 2 / (hi + lo), hi / lo
    out.append(verify.symbolic_identity(
        TOPIC, "at eta = 2/(lambda_max + lambda_min): 1 - eta lambda_min = eta lambda_max - 1 = "
               "(kappa - 1)/(kappa + 1), any 0 < lambda_min <= lambda_max (SymPy)",
        sp.Matrix([1 - best_eta * lo, best_eta * hi - 1]), sp.Matrix([(kap - 1) / (kap + 1)] * 2)))
    out.append(verify.check_bound(TOPIC, "no step size of the grid of 400 contracts faster than 2/(lambda_max + lambda_min)",
                                  rho_best, measured.min()))
    M = np.eye(SPD_SIZE) - S["best"] * A
    out.append(verify.check_values(TOPIC, "at the best step the spectral norm of I - eta A equals its spectral "
                                   "radius (A symmetric)", "closed-form", np.linalg.norm(M, 2), rho_best))
    norms = np.linalg.norm(S["best_run"], axis=1) / np.linalg.norm(w0)
    out.append(verify.check_bound(TOPIC, f"norm of r_s <= rho^s norm of r_0 along the run at the best step, {SPD_STEPS} steps",
                                  norms, rho_best ** np.arange(SPD_STEPS + 1) * (1 + 1e-12)))
    return out


def sgd_checks(rng) -> list[verify.Check]:
    R, runs = regression(), sgd_runs()
    ls = gradient_descent_np.least_squares_loss_and_grads
    out = []
    # the gradients the optimizers use are verified, and so is the curvature they see
    X3, Y3 = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    _, grads = ls(params, X3, Y3)
    for key in params:
        out.append(verify.check_gradient(lambda v, key=key: ls({**params, key: v}, X3, Y3)[0], grads[key],
                                         params[key], name=f"least_squares dL/d{key}", topic=TOPIC, rng=rng,
                                         method="complex-step", every_entry=True))
    H = hessian(ls, R["p0"], R["X"], R["Y"])
    out.append(verify.check_values(TOPIC, "least-squares Hessian by central differences of the gradients "
                                   "= [X 1]^T [X 1] / N", "central-difference", H, R["hessian"]))
    lam = regression_curvature()
    out.append(verify.check_bound(TOPIC, f"full-batch eta = {SGD['gd_lr']} < 2/lambda_max of the regression",
                                  SGD["gd_lr"], 2 / lam["data"], strict=True))
    # SGD's batch gradients average to the full gradient over an epoch
    X, Y, p0 = R["X"], R["Y"], R["p0"]
    order = np.random.default_rng(5).permutation(len(X))
    batches = [ls(p0, X[order[i:i + SGD["batch"]]], Y[order[i:i + SGD["batch"]]])[1]
               for i in range(0, len(X), SGD["batch"])]
    full = ls(p0, X, Y)[1]
    out.append(verify.check_values(
        TOPIC, f"the mean of an epoch's batch gradients = the full gradient, batches of {SGD['batch']}, "
               f"N = {SGD['N']}", "closed-form",
        np.concatenate([np.mean([g[k] for g in batches], axis=0).ravel() for k in ("W", "b")]),
        np.concatenate([full[k].ravel() for k in ("W", "b")])))
    uneven = 30
    parts = [ls(p0, X[order[i:i + uneven]], Y[order[i:i + uneven]])[1] for i in range(0, len(X), uneven)]
    mean_uneven = np.concatenate([np.mean([g[k] for g in parts], axis=0).ravel() for k in ("W", "b")])
    out.append(verify.check_bound(
        TOPIC, f"batches of {uneven}, N = {SGD['N']} ({uneven} does not divide N): the mean of an epoch's batch "
               "gradients differs from the full gradient by more than 1e-6", 1e-6,
        verify.rel_error(mean_uneven, np.concatenate([full[k].ravel() for k in ("W", "b")])), strict=True))
    gd, sg, dec, floor = runs["gd"], runs["sgd"], runs["decay"], R["floor"]
    losses = np.concatenate([gd, sg, dec])
    out.append(verify.check_bound(TOPIC, "the least-squares minimum is below every loss of the three runs",
                                  np.full(losses.shape, floor), losses))
    out.append(verify.check_bound(TOPIC, "after one epoch SGD's loss is below full-batch GD's", sg[1], gd[1], strict=True))
    out.append(verify.check_bound(TOPIC, f"after {SGD['epochs']} epochs full-batch GD is closer to the minimum than SGD",
                                  gd[-1] - floor, sg[-1] - floor, strict=True))
    out.append(verify.check_bound(TOPIC, f"full-batch GD reaches the minimum to rounding: excess loss below 1e-12 "
                                  f"after {SGD['epochs']} epochs", gd[-1] - floor, 1e-12))
    noise = minimum_gradients()
    out.append(verify.check_bound(TOPIC, "at the minimum the full gradient vanishes: norm below 1e-12",
                                  noise["full"], 1e-12))
    out.append(verify.check_bound(TOPIC, f"at the minimum the batch gradients (batches of {SGD['batch']}) do not: "
                                  "mean norm above 1e-3", 1e-3, noise["batch"], strict=True))
    out.append(verify.check_values(TOPIC, "the decaying schedule's first epoch is the constant one's",
                                   "closed-form", dec[:2], sg[:2]))
    out.append(verify.check_bound(TOPIC, f"after {SGD['epochs']} epochs SGD with eta/(1 + j) is closer to the "
                                  "minimum than with a constant eta", dec[-1] - floor, sg[-1] - floor, strict=True))
    _, l_gd = gradient_descent_np.gradient_descent(ls, p0, X, Y, 0.3, 4)
    _, l_sgd = gradient_descent_np.sgd(ls, p0, X, Y, 0.3, 3, len(X), np.random.default_rng(0))
    out.append(verify.check_values(TOPIC, "SGD with one batch of all N samples is full-batch GD",
                                   "closed-form", l_sgd, l_gd))
    # pitfalls: the limit moves with the data's scale and with the batch convention
    scaled = lam["scaled"]
    out.append(verify.check_bound(TOPIC, f"inputs x {SCALE}: eta = {SGD['gd_lr']} is beyond 2/lambda_max",
                                  2 / scaled, SGD["gd_lr"], strict=True))
    _, l_scaled = gradient_descent_np.gradient_descent(ls, p0, SCALE * X, Y, SGD["gd_lr"], SCALED_STEPS)
    out.append(verify.check_bound(TOPIC, f"inputs x {SCALE}: eta = {SGD['gd_lr']} makes the loss grow at each of "
                                  f"{SCALED_STEPS - 1} steps",
                                  l_scaled[:-1] - l_scaled[1:], 0.0, strict=True))
    n_sum = 100
    per = [ls(p0, X[i:i + 1], Y[i:i + 1])[1] for i in range(n_sum)]
    mean = ls(p0, X[:n_sum], Y[:n_sum])[1]
    out.append(verify.check_values(
        TOPIC, f"summing instead of averaging multiplies the gradient by N, N = {n_sum}", "closed-form",
        np.concatenate([sum(g[k] for g in per).ravel() for k in ("W", "b")]),
        np.concatenate([n_sum * mean[k].ravel() for k in ("W", "b")])))
    return out


SCALE, SCALED_STEPS = 10, 10


@lru_cache(maxsize=None)
def regression_curvature() -> dict:
    """lambda_max of the least-squares Hessian for the data and for the inputs scaled by SCALE."""
    R = regression()
    N = len(R["X"])
    Xs = np.c_[SCALE * R["X"], np.ones(N)]
    return {"data": float(np.linalg.eigvalsh(R["hessian"])[-1]),
            "min": float(np.linalg.eigvalsh(R["hessian"])[0]),
            "scaled": float(np.linalg.eigvalsh(Xs.T @ Xs / N)[-1])}


@lru_cache(maxsize=None)
def minimum_gradients() -> dict:
    """At the least-squares minimum: the norm of the full gradient and the mean norm of the
    gradients of the batches of one shuffled epoch."""
    R = regression()
    ls, X, Y, p = gradient_descent_np.least_squares_loss_and_grads, R["X"], R["Y"], R["minimum"]
    norm = lambda g: float(np.sqrt(sum(np.sum(v**2) for v in g.values())))  # noqa: E731
    order = np.random.default_rng(5).permutation(len(X))
    batch = [norm(ls(p, X[order[i:i + SGD["batch"]]], Y[order[i:i + SGD["batch"]]])[1])
             for i in range(0, len(X), SGD["batch"])]
    return {"full": norm(ls(p, X, Y)[1]), "batch": float(np.mean(batch))}


@lru_cache(maxsize=None)
def start_lambda_by_power_iteration() -> float:
    P = network_problem()
    return power_iteration_lambda_max(P["net"], P["params"], P["X"], P["Y"])


def network_checks() -> list[verify.Check]:
    P, R = network_problem(), network_runs()
    below, above, beyond = NET["multiples"]
    out = [verify.check_values(TOPIC, "the network's Hessian by central differences is symmetric",
                               "central-difference", R["H0"], R["H0"].T),
           verify.check_values(TOPIC, "lambda_max at the start: eigenvalues of the central-difference Hessian "
                               "= power iteration on Hessian-vector products", "central-difference",
                               2 / R["limit"], start_lambda_by_power_iteration())]
    l = R[below]["losses"]
    out.append(verify.check_bound(TOPIC, f"eta = {below} x 2/lambda_max: the loss falls at every one of "
                                  f"{NET['steps']} steps", l[1:] - l[:-1], 0.0, strict=True))
    test = P["net"](R[below]["params"], P["X_new"], P["Y_new"])[0]
    out.append(verify.check_bound(TOPIC, f"eta = {below} x 2/lambda_max: training loss and the loss on "
                                  f"{NET['N']} new points below 1/100 of the start",
                                  [l[-1], test], l[0] / 100))
    l = R[above]["losses"]
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: the loss first rises above its start",
                                  l[0], l[:10].max(), strict=True))
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: the loss falls at every step from step "
                                  f"{FALLS_FROM} to {NET['steps']}", l[FALLS_FROM + 1:] - l[FALLS_FROM:-1], 0.0,
                                  strict=True))
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: the loss ends below 1/100 of the start",
                                  l[-1], l[0] / 100))
    sharp, lr = R["sharpness"], R[above]["lr"]
    inner = ", ".join(map(str, SHARPNESS_STEPS[1:-1]))
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: lambda_max < 2/eta at steps {inner}",
                                  sharp[1:-1] * lr / 2, 1.0, strict=True))
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: lambda_max grows from step "
                                  f"{SHARPNESS_STEPS[1]} to step {SHARPNESS_STEPS[-1]}",
                                  sharp[1:-1], sharp[2:], strict=True))
    out.append(verify.check_bound(TOPIC, f"eta = {above} x 2/lambda_max: at the end lambda_max is within 0.1% "
                                  "of 2/eta", abs(R["lambda_end"] * R[above]["lr"] / 2 - 1), 1e-3))
    l = R[beyond]["losses"]
    overflow = int(np.argmax(~np.isfinite(l)))
    out.append(verify.check_bound(TOPIC, f"eta = {beyond} x 2/lambda_max: the loss rises at every step from step "
                                  f"{RISES_FROM} until it overflows", l[RISES_FROM:overflow - 1] - l[RISES_FROM + 1:overflow],
                                  0.0, strict=True))
    refused = R[beyond]["refused"]
    stepped = refused is not None and overflow < refused and not np.any(np.isfinite(l[overflow:refused]))
    out.append(verify.Check(TOPIC, f"eta = {beyond} x 2/lambda_max: gd_step keeps stepping on an infinite loss "
                            "(finite gradients) until the backward pass raises", "simulation",
                            0.0 if stepped else np.inf, 0.0, bool(stepped),
                            "" if stepped else f"overflow at {overflow}, refused at {refused}"))
    out.append(_refuted_run(f"eta = {beyond} x 2/lambda_max: the loss overflows and the numeric code raises "
                            "ValueError", R[beyond]["refused"], R[beyond]["message"]))
    return out


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the update and its contraction proved, the quadratic, regression
    and network runs of the page checked against the step-size bounds."""
    rng = np.random.default_rng(seed)
    out = update_checks(rng) + one_dimensional_checks()
    for n in N_SIZES:
        out += prove_n(n)
    out += prove_any_n()
    return out + spd_checks() + sgd_checks(rng) + network_checks()


# ----------------------------------------------------------------------------- what the page shows


def _f(x_, digits=3) -> str:
    return f"{x_:.{digits}g}"


def _regime_table() -> Table:
    def show(S):   # a single value as itself, an interval as an interval
        return f"${tex(S.args[0]) if isinstance(S, sp.FiniteSet) and len(S) == 1 else tex(S)}$"

    rows = []
    for (cond, what), solved in zip(REGIMES, regime_step_sizes()):
        rows.append((show(solved), show(sp.imageset(sp.Lambda(x, factor_x), solved)), what))
    return Table([r"$\eta \lambda$", r"$1 - \eta \lambda$", "the iterates"], rows, "ccl")


#: The step sizes of the right panel (the sign of the error), and its number of steps.
SIGNED, SIGNED_STEPS = (0.5, 1.5, 2.0, 2.05), 10


def _quadratic_figure() -> Figure:
    runs = one_dimensional_runs()
    k = np.arange(QUADRATIC_STEPS + 1)
    # eta a and 2 - eta a have the same |factor|: solid for eta a <= 1, dashed beyond
    left = [Curve(k, np.maximum(np.abs(runs[f]), 1e-17), f"ηλ = {f}", "-" if f <= 1 else "--")
            for f in FACTORS]
    ks = np.arange(SIGNED_STEPS + 1)
    right = [Curve(ks, runs[f][:SIGNED_STEPS + 1], f"ηλ = {f}", "o-", f"C{FACTORS.index(f)}")
             for f in SIGNED]
    return Figure([
        Panel(left, title="distance |wₛ − w*|", xlabel="step s", yscale="log", ylim=(1e-17, 1e3),
              legend_loc="lower left"),
        Panel(right, title="error wₛ − w*, first steps", xlabel="step s", legend_loc="lower left"),
    ], size=(8, 3.6))


def _sgd_figure() -> Figure:
    runs, floor = sgd_runs(), regression()["floor"]
    e = np.arange(SGD["epochs"] + 1)
    steps = SGD["N"] // SGD["batch"]
    excess = lambda l: np.maximum(l - floor, 1e-16)  # noqa: E731
    return Figure([Panel([
        Curve(e, excess(runs["gd"]), f"full batch, η = {SGD['gd_lr']} (1 step per epoch)", "o-"),
        Curve(e, excess(runs["sgd"]), f"SGD, batch {SGD['batch']}, η = {SGD['sgd_lr']} ({steps} steps per epoch)", "s-"),
        Curve(e, excess(runs["decay"]), f"SGD, batch {SGD['batch']}, η_j = {SGD['sgd_lr']}/(1 + j)", "^-")],
        xlabel="epoch j (passes over the data)", ylabel="L − L_min", yscale="log", legend_loc="lower left")],
        size=(6.4, 3.6))


PLOT_TOP = 1e2


def _train_figure() -> Figure:
    runs = network_runs()
    curves = []
    for c in NET["multiples"]:
        l = runs[c]["losses"]
        above = np.flatnonzero(~(l <= PLOT_TOP))        # drawn until it leaves the plot
        l = l[:above[0] + 1] if above.size else l
        l = np.minimum(l, 10 * PLOT_TOP)
        curves.append(Curve(np.arange(1, len(l) + 1), l, f"η = {c} × 2/λ_max"))
    return Figure([Panel(curves, xlabel="gradient-descent step s + 1", ylabel="training loss", xscale="log",
                         yscale="log", ylim=(1e-3, PLOT_TOP), legend_loc="lower left")], size=(6.4, 3.4))


def exhibits() -> dict:
    """Everything the gradient-descent page shows."""
    S, runs, floor = spd_problem(), sgd_runs(), regression()["floor"]
    lam = S["lam"]
    rho_best = iteration_radius(S["A"], S["best"])
    Qn = quadratic_n(sp.Symbol("n", positive=True, integer=True))
    n_names = {Qn["w*"]: "w^*", Qn["w_k"]: "w_s"}
    net, curv, noise = network_runs(), regression_curvature(), minimum_gradients()
    below, above, beyond = NET["multiples"]
    P = network_problem()
    l_below, l_above, l_beyond = (net[c]["losses"] for c in NET["multiples"])
    overflow = int(np.argmax(~np.isfinite(l_beyond)))
    return {
        "eq_gd": Equation(rf"\theta \leftarrow {tex(gd_update(theta, grad_L), UPDATE_NAMES, order='none')}", definition=True),
        "eq_quadratic": Equation(
            aligned([rf"L(w) &= {tex(quadratic, W_NAMES)},", rf"w_{{s+1}} &= {tex(step, W_NAMES, order='none')},",
                     rf"w_{{s+1}} - w^* &= {tex(error_map, W_NAMES, order='none')}"]),
            proofs=("one GD step on lambda/2 (w - w_star)^2: w_s+1 - w_star = (1 - eta lambda)(w_s - w_star)",)),
        "stable_set": Markdown(rf"$\eta \lambda \in {tex(stable_step_sizes())}$"),
        "regimes": _regime_table(),
        "fig_quadratic": _quadratic_figure(),
        "factors": ", ".join(map(str, FACTORS)),
        "quadratic_steps": str(QUADRATIC_STEPS),
        "last_factor": str(FACTORS[-1]),
        "diverge_final": _f(abs(one_dimensional_runs()[FACTORS[-1]][-1])),
        "eq_quadratic_n": Equation(
            aligned([rf"L(w) &= {tex(Qn['loss'].as_coeff_mmul()[0])} {tex(Qn['loss'].as_coeff_mmul()[1], n_names)},",
                     rf"\nabla L(w) &= {tex(Qn['gradient'], n_names)},",
                     rf"w_{{s+1}} - w^* &= {tex(Qn['error_map'], n_names)}"]),
            proofs=(*(f"n = {k}:" for k in N_SIZES),
                    "the gradient of 1/2 (w - w_star)^T A (w - w_star) is A (w - w_star), A symmetric:",
                    "one GD step maps the error r to (I - eta A) r:")),
        "n_sizes": " and ".join(map(str, N_SIZES)),
        "spd_size": f"{SPD_SIZE} × {SPD_SIZE}",
        "lam_min": _f(lam[0]), "lam_max": _f(lam[-1]), "spd_limit": _f(2 / lam[-1], 4),
        "spd_in": str(SPD_FACTORS[0]), "spd_out": str(SPD_FACTORS[1]),
        "rho_in": _f(iteration_radius(S["A"], SPD_FACTORS[0] * 2 / lam[-1]), 4),
        "rho_out": _f(iteration_radius(S["A"], SPD_FACTORS[1] * 2 / lam[-1]), 4),
        "kappa": _f(lam[-1] / lam[0]), "rho_best": _f(rho_best, 4),
        "steps_1e6": str(int(np.ceil(np.log(1e-6) / np.log(rho_best)))),
        "sgd_N": str(SGD["N"]), "sgd_n": str(SGD["n"]), "gd_lr": str(SGD["gd_lr"]), "sgd_lr": str(SGD["sgd_lr"]),
        "batch": str(SGD["batch"]), "steps_per_epoch": str(SGD["N"] // SGD["batch"]), "epochs": str(SGD["epochs"]),
        "ls_limit": _f(2 / curv["data"]),
        "gd_e1": _f(runs["gd"][1]), "sgd_e1": _f(runs["sgd"][1]),
        "gd_excess": f"{runs['gd'][-1] - floor:.1e}", "sgd_excess": f"{runs['sgd'][-1] - floor:.1e}",
        "decay_excess": f"{runs['decay'][-1] - floor:.1e}", "floor": _f(floor),
        "full_norm": f"{noise['full']:.0e}", "batch_norm": _f(noise["batch"], 2),
        "fig_sgd": _sgd_figure(),
        "net_m": str(NET["m"]), "net_N": str(NET["N"]), "net_steps": str(NET["steps"]),
        "lam0": _f(2 / net["limit"]), "net_limit": _f(net["limit"]),
        "below": str(below), "above": str(above), "beyond": str(beyond),
        "lr_below": _f(net[below]["lr"]), "lr_above": _f(net[above]["lr"]), "lr_beyond": _f(net[beyond]["lr"]),
        "first": _f(l_below[0]), "last_below": _f(l_below[-1]),
        "test": _f(P["net"](net[below]["params"], P["X_new"], P["Y_new"])[0]),
        "peak": _f(l_above.max()), "peak_ratio": _f(l_above.max() / l_above[0], 2),
        "last_above": _f(l_above[-1]), "lam_end": _f(net["lambda_end"], 4),
        "two_over_lr": _f(2 / net[above]["lr"], 4),
        "falls_from": str(FALLS_FROM), "rises_from": str(RISES_FROM),
        "sharp_step": str(SHARPNESS_STEPS[1]), "sharp_ratio": _f(net["sharpness"][1] * net[above]["lr"] / 2, 2),
        "sharp_last_below": str(SHARPNESS_STEPS[-2]),
        "sharpness_table": Table(["step $s$", r"$\lambda_{\max}$", r"$\eta \lambda_{\max} / 2$"],
                                 [(str(k), _f(v, 4), f"{v * net[above]['lr'] / 2:.3f}")
                                  for k, v in zip(SHARPNESS_STEPS, net["sharpness"])], "rrr"),
        "lam0_power": _f(start_lambda_by_power_iteration()),
        "overflow_step": str(overflow), "refused_step": str(net[beyond]["refused"]),
        "refused_message": Markdown(f"`ValueError: {net[beyond]['message']}`"),
        "fig_train": _train_figure(),
        "scale": str(SCALE), "scaled_steps": str(SCALED_STEPS - 1), "lam_data": _f(curv["data"]), "lam_scaled": _f(curv["scaled"]),
    }
