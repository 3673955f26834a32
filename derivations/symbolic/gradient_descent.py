"""Gradient descent in SymPy: the contraction factor on a quadratic and the step-size limit.

On L(w) = a/2 (w - w*)^2 one step of w <- w - alpha L'(w) multiplies the error by
1 - alpha a, so the iteration converges exactly when 0 < alpha < 2/a. In n dimensions,
L = 1/2 (w - w*)^T A (w - w*) gives the iteration matrix I - alpha A, and the limit is
alpha < 2 / lambda_max(A).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .. import verify
from ..numeric import gradient_descent as num
from ..provenance import stored_checks
from .common import matrix, vector

TOPIC = "gradient_descent"

w, w_star = sp.symbols("w w^*", real=True)
alpha = sp.Symbol("alpha", real=True)
a = sp.Symbol("a", positive=True)
quadratic = a / 2 * (w - w_star) ** 2
step = w - alpha * sp.diff(quadratic, w)
contraction = 1 - alpha * a

N_DIM = 2
A_sym = sp.Matrix(N_DIM, N_DIM, lambda i, j: sp.Symbol(f"A_{min(i, j) + 1}{max(i, j) + 1}", real=True))
wv, wv_star = vector("w", N_DIM), vector("ws", N_DIM)


def stable_step_sizes() -> sp.Set:
    """The set of alpha with abs(1 - alpha a) < 1, solved by SymPy."""
    return sp.solveset(sp.Abs(contraction) < 1, alpha, sp.S.Reals)


def spectral_radius(A: np.ndarray, lr: float) -> float:
    """max_i abs(1 - lr lambda_i(A)), the factor by which GD's error shrinks per step (at worst)."""
    return float(np.max(np.abs(1 - lr * np.linalg.eigvalsh(A))))


def random_spd(n: int, rng: np.random.Generator, cond: float = 30.0) -> np.ndarray:
    """A symmetric positive definite matrix with eigenvalues spread over [1, cond]."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return Q @ np.diag(np.geomspace(1.0, cond, n)) @ Q.T


def run_quadratic(A: np.ndarray, w0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """Gradient descent on 1/2 w^T A w (minimum at 0) with gd_step; returns the iterates."""
    params, path = {"w": w0}, [w0]
    for _ in range(steps):
        params = num.gd_step(params, {"w": A @ params["w"]}, lr)
        path.append(params["w"])
    return np.array(path)


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    ident = lambda name, x, y: verify.symbolic_identity(TOPIC, name, x, y)  # noqa: E731
    out = [
        ident("one GD step on a/2 (w - w*)^2: w' - w* = (1 - alpha a)(w - w*)",
              step - w_star, contraction * (w - w_star)),
    ]
    solved = stable_step_sizes()
    ok = solved == sp.Interval.open(0, 2 / a)
    out.append(verify.Check(TOPIC, "GD converges on the quadratic iff 0 < alpha < 2/a (solveset)",
                            "symbolic", 0.0 if ok else np.inf, 0.0, ok, "" if ok else str(solved)))
    L_n = ((wv - wv_star).T * A_sym * (wv - wv_star))[0, 0] / 2
    grad_n = sp.Matrix([sp.diff(L_n, wi) for wi in wv])
    out.append(ident(f"n = {N_DIM}: gradient of 1/2 (w - w*)^T A (w - w*) is A (w - w*), A symmetric",
                     grad_n, A_sym * (wv - wv_star)))
    out.append(ident(f"n = {N_DIM}: one GD step maps the error e to (I - alpha A) e",
                     wv - alpha * grad_n - wv_star, (sp.eye(N_DIM) - alpha * A_sym) * (wv - wv_star)))
    W = matrix("W", 2, 2)
    out.append(ident("W - alpha W is the GD step of 1/2 ||W||^2 only",
                     W - alpha * W.applyfunc(lambda e: sp.diff(sum(x**2 for x in W) / 2, e)),
                     (1 - alpha) * W))
    # numerically: the iterates are (I - lr A)^k w0, and 2/lambda_max separates the regimes
    A = random_spd(5, rng)
    lam_max = float(np.linalg.eigvalsh(A).max())
    w0 = rng.standard_normal(5)
    for factor, converges in ((0.98, True), (1.02, False)):
        lr = factor * 2 / lam_max
        path = run_quadratic(A, w0, lr, 400)
        closed = np.linalg.matrix_power(np.eye(5) - lr * A, 400) @ w0
        out.append(verify.check_values(
            TOPIC, f"GD iterates equal (I - lr A)^k w0, lr = {factor} * 2/lambda_max",
            "closed-form", path[-1], closed))
        rho = spectral_radius(A, lr)
        ratio = float(np.linalg.norm(path[-1]) / np.linalg.norm(w0))
        ok = (rho < 1) == converges and (ratio < 1) == converges
        out.append(verify.Check(
            TOPIC, f"lr = {factor} * 2/lambda_max {'converges' if converges else 'diverges'}: "
                   f"rho(I - lr A) = {rho:.4f}; error = |w_400| / |w_0|",
            "simulation", ratio, np.nan, ok))
    # the optimizers' own gradients are the verified ones
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    _, grads = num.least_squares_loss_and_grads(params, X, Y)
    for key in params:
        out.append(verify.check_gradient(
            TOPIC, f"least_squares dL/d{key}",
            lambda v, key=key: num.least_squares_loss_and_grads({**params, key: v}, X, Y)[0],
            grads[key], params[key], rng=rng))
    return out
