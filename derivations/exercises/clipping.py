"""Exercises of the clipping chapter (clipping.html): norm clipping of one and of several arrays in
NumPy, the cosine that value clipping leaves, and the length of a clipped step (numbers)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..numeric import clipping as clipping_np
from ..numeric import rnn as rnn_np
from ..symbolic import clipping as clipping_sym
from ..symbolic.bptt import init_rnn
from . import Exercise, Mistake

#: The sizes (n,) at which an answer is tried; the threshold is above the norm in some draws
#: and below it in others (the seeds are fixed: the tests check that both happen).
SIZES = ((3,), (7,), (2,))
#: The sizes (m, n) of the global clipping exercise: dW (m, n) and db (m,).
GLOBAL_SIZES = ((3, 2), (2, 4), (5, 1))


def _inputs(rng, size):
    g = rng.standard_normal(size)
    return g, float(np.linalg.norm(g) * rng.choice([0.5, 2.0]))


def clip(g, c):
    """g min(1, c / norm(g)): the gradient unchanged below the threshold c, scaled to norm c above it."""
    return g * min(1.0, c / np.linalg.norm(g))


def _agrees_with_the_kernel(answer) -> bool:
    """The answer equals the book's kernel, clip_grad_norm, below and above the threshold."""
    rng = np.random.default_rng(11)
    for c_over_norm in (0.5, 2.0):
        g = rng.standard_normal(5)
        c = c_over_norm * float(np.linalg.norm(g))
        want = clipping_np.clip_grad_norm({"g": g}, c)[0]["g"]
        if not np.allclose(answer(g, c), want, rtol=1e-5, atol=0):
            return False
    return True


def _global_inputs(rng, size):
    """dW (m, n), db (m,) and a threshold c at half or twice their global norm; dW's entries
    larger than db's, as in the page's example."""
    m, n = size
    dW, db = 3 * rng.standard_normal((m, n)), 0.3 * rng.standard_normal(m)
    total = float(np.sqrt(np.sum(dW ** 2) + np.sum(db ** 2)))
    return dW, db, total * float(rng.choice([0.5, 2.0]))


def _stacked(dW, db):
    return np.concatenate([dW, db[:, None]], axis=1)


def clip_global(dW, db, c):
    """dW and db scaled by one factor, min(1, c / ||(dW, db)||), the global norm of both; returned
    side by side, (m, n + 1)."""
    return _stacked(dW, db) * min(1.0, c / np.sqrt(np.sum(dW ** 2) + np.sum(db ** 2)))


def _each(dW, db, c):
    each = clipping_sym.clip_each_tensor({"W": dW, "b": db}, c)
    return _stacked(each["W"], each["b"])


def _scaled(dW, db, c, norm):
    return _stacked(dW, db) * min(1.0, c / norm)


def _global_agrees_with_the_kernel(answer) -> bool:
    """The answer equals clip_grad_norm on the dict {W, b} (its eps moves it by 1e-6 relative),
    below and above the threshold."""
    rng = np.random.default_rng(12)
    for c_over_norm in (0.5, 0.8, 2.0):
        dW, db = 3 * rng.standard_normal((4, 3)), 0.3 * rng.standard_normal(4)
        c = c_over_norm * clipping_np.global_norm({"W": dW, "b": db})
        want = clipping_np.clip_grad_norm({"W": dW, "b": db}, c)[0]
        got = np.asarray(answer(dW, db, c), dtype=float)
        if got.shape != (4, 4) or not np.allclose(got, _stacked(want["W"], want["b"]), rtol=1e-5, atol=0):
            return False
    return True


#: The gradient and the threshold of the value clipping exercise.
VALUE_G, VALUE_C = (4.0, -1.0, 0.5), 1.0


def _value_cosine() -> float:
    """cos(g, clip_grad_value(g, c)), from the page's angle_degrees."""
    g = {"g": np.array(VALUE_G)}
    return float(np.cos(np.radians(clipping_sym.angle_degrees(g, clipping_np.clip_grad_value(g, VALUE_C)))))


def _value_cosine_exact(answer) -> bool:
    """SymPy's exact cosine of g and its entries clipped to [-c, c], Max(-c, Min(c, g_i))."""
    g = sp.Matrix([sp.nsimplify(v) for v in VALUE_G])
    c = sp.nsimplify(VALUE_C)
    v = g.applyfunc(lambda e: sp.Max(-c, sp.Min(c, e)))
    cosine = (g.T * v)[0, 0] / sp.sqrt((g.T * g)[0, 0] * (v.T * v)[0, 0])
    return abs(float(answer) - float(cosine)) <= 1e-12 * abs(float(cosine))


def _norms_ratio() -> float:
    g = np.array(VALUE_G)
    return float(np.linalg.norm(np.clip(g, -VALUE_C, VALUE_C)) / np.linalg.norm(g))


def _sign_lost() -> float:
    g = np.array(VALUE_G)
    v = np.minimum(np.abs(g), VALUE_C)
    return float(g @ v / (np.linalg.norm(g) * np.linalg.norm(v)))


#: The learning rate and the threshold of the step exercise (the figure's run has 0.05 and 1).
STEP_LR, STEP_C = 0.2, 0.25


def _echo():
    e = clipping_sym.EXPERIMENT
    return clipping_sym.echo_task(np.random.default_rng(0), T=e["T"], delay=e["delay"])


def _first_step() -> float:
    """The first update's length, from train_rnn (the function that runs the figure's runs)."""
    e = clipping_sym.EXPERIMENT
    x, y = _echo()
    return float(clipping_sym.train_rnn(x, y, e["hidden"], STEP_LR, 1, STEP_C, radius=e["radius"]).steps[0])


def _first_norm() -> float:
    """The global norm of the first gradient, from rnn_loss_and_grads at the runs' initialization."""
    e = clipping_sym.EXPERIMENT
    x, y = _echo()
    params = init_rnn(x.shape[2], e["hidden"], y.shape[2], np.random.default_rng(1), radius=e["radius"])
    _, grads = rnn_np.rnn_loss_and_grads(params, x, y, np.zeros((x.shape[1], e["hidden"])))
    grads.pop("h0")
    return clipping_np.global_norm(grads)


def _step_witness(answer) -> bool:
    """eta c ||g|| / (||g|| + eps), ||g|| recomputed from the loss's gradient at the initialization."""
    norm = _first_norm()
    want = STEP_LR * STEP_C * norm / (norm + clipping_sym.EPS)
    return abs(float(answer) - want) <= 1e-9 * want


EXERCISES = (
    Exercise(
        id="clipping.clip_norm", chapter="clipping", title="Clipping a gradient's norm",
        statement=r"Write `clip(g, c)` returning the gradient $g \in \mathbb{R}^n$ clipped to the norm "
                  r"$c > 0$: unchanged when $\lVert g \rVert \le c$, scaled to norm $c$ otherwise "
                  r"(without PyTorch's $\varepsilon$).",
        hint=r"One factor, $\min(1, c / \lVert g \rVert)$, multiplies every entry: the direction is kept.",
        signature="clip(g, c) -> array (n,)", solution=clip, inputs=_inputs, sizes=SIZES, witness=_agrees_with_the_kernel,
        mistakes=(
            Mistake("value clipping", "each entry is clipped to [-c, c]: that is value clipping, "
                    "which changes the direction; norm clipping scales the whole vector",
                    "clipping.html#norm-clipping-and-value-clipping", lambda g, c: np.clip(g, -c, c)),
            Mistake("always rescaled", "the gradient is scaled to norm c even when its norm is below "
                    "c: clipping only shrinks", "clipping.html#norm-clipping-and-value-clipping",
                    lambda g, c: g * c / np.linalg.norm(g)),
        )),
    Exercise(
        id="clipping.global_norm", chapter="clipping", title="Clipping several arrays by their global norm",
        statement=r"A layer's gradients are `dW` $\in \mathbb{R}^{m \times n}$ and `db` $\in \mathbb{R}^m$. "
                  r"Write `clip_global(dW, db, c)` that norm-clips them together at the threshold $c > 0$ "
                  r"(as `clip_grad_norm` does, without its $\varepsilon$) and returns both side by side, "
                  r"`np.concatenate([dW_clipped, db_clipped[:, None]], axis=1)`, shape $(m, n + 1)$.",
        hint=r"The global norm is that of all entries as one vector, "
             r"$\lVert g \rVert^2 = \sum_{j,k} (dW)_{j,k}^2 + \sum_j (db)_j^2$; both arrays are "
             r"multiplied by the same factor $\min(1, c / \lVert g \rVert)$.",
        signature="clip_global(dW, db, c) -> array (m, n + 1)", solution=clip_global, inputs=_global_inputs,
        sizes=GLOBAL_SIZES, difficulty=1, witness=_global_agrees_with_the_kernel,
        mistakes=(
            Mistake("each array by its own norm", "each array is clipped by its own norm: they get "
                    "different factors and the gradient turns; one factor, from the global norm, "
                    "scales both", "clipping.html#pitfalls", _each),
            Mistake("sum of the norms", "the norms of the arrays are added; the global norm is the "
                    "square root of the sum of their squares",
                    "clipping.html#norm-clipping-and-value-clipping",
                    lambda dW, db, c: _scaled(dW, db, c, np.linalg.norm(dW) + np.linalg.norm(db))),
            Mistake("squared norm", "the factor divides c by the squared global norm; it divides by "
                    "the norm itself", "clipping.html#norm-clipping-and-value-clipping",
                    lambda dW, db, c: _scaled(dW, db, c, np.sum(dW ** 2) + np.sum(db ** 2))),
            Mistake("value clipping", "each entry is clipped to [-c, c]: that is value clipping, which "
                    "turns the gradient", "clipping.html#norm-clipping-and-value-clipping",
                    lambda dW, db, c: np.clip(_stacked(dW, db), -c, c)),
        )),
    Exercise(
        id="clipping.value_cosine", chapter="clipping", kind="number", difficulty=1,
        title="How far value clipping turns a gradient",
        statement=r"Clip every entry of the gradient $g = (4, -1, 1/2)$ to $[-c, c]$ with $c = 1$ "
                  r"(value clipping, `clip_grad_value`), giving $v$. Give the cosine of the angle "
                  r"between $g$ and $v$, $g \cdot v / (\lVert g \rVert \lVert v \rVert)$.",
        hint=r"Each entry is clipped on its own, keeping its sign: $v_i = \max(-c, \min(c, g_i))$.",
        signature="the cosine", solution=_value_cosine(), witness=_value_cosine_exact,
        tolerance=1e-4,
        mistakes=(
            Mistake("direction kept", "1 is the cosine of norm clipping, which scales the whole "
                    "vector; value clipping cuts some entries only and turns it",
                    "clipping.html#norm-clipping-and-value-clipping", 1.0),
            Mistake("norm ratio", "this is the ratio of the norms, norm(v)/norm(g), not the cosine of "
                    "the angle", "clipping.html#norm-clipping-and-value-clipping", _norms_ratio()),
            Mistake("sign lost", "the entries were clipped in magnitude and lost their sign: "
                    "clipping -1 to [-1, 1] leaves -1", "clipping.html#norm-clipping-and-value-clipping",
                    _sign_lost()),
        )),
    Exercise(
        id="clipping.step_length", chapter="clipping", kind="number", difficulty=2,
        title="The length of a clipped step",
        statement=(r"The two training runs of the chapter's experiment start from the same initialization, "
                   rf"where the global norm of the gradient is {_first_norm():.1f}. The clipped run takes "
                   rf"its first gradient-descent step with $\eta = {clipping_sym.EXPERIMENT['lr']:g}$ and "
                   rf"$c = {clipping_sym.EXPERIMENT['max_norm']:g}$. How long (the global norm of the change "
                   rf"of all parameters) would that first step be with $\eta = {STEP_LR:g}$ and "
                   rf"$c = {STEP_C:g}$, everything else the same? Give the length to a relative $10^{-4}$ "
                   r"(the $\varepsilon = 10^{-6}$ of `clip_grad_norm` moves it by far less)."),
        hint=r"A clipped gradient has norm $c \lVert g \rVert / (\lVert g \rVert + \varepsilon)$, "
             r"just under $c$, and the step multiplies it by $\eta$.",
        signature="the step's length", solution=_first_step(), witness=_step_witness, tolerance=1e-4,
        mistakes=(
            Mistake("not clipped", "this is the unclipped step, eta times the gradient's norm: "
                    "above the threshold the clipped gradient has norm c",
                    "clipping.html#the-experiment", STEP_LR * _first_norm()),
            Mistake("eta forgotten", "this is the clipped gradient's norm, c; the step is eta times "
                    "it", "clipping.html#the-experiment", STEP_C),
            Mistake("c forgotten", "this is eta alone, as if the clipped gradient had norm 1; it has "
                    "norm c", "clipping.html#the-experiment", STEP_LR),
            Mistake("the factor as the step", "this is eta times the factor c/norm(g); the factor "
                    "multiplies the gradient, so the step is eta c", "clipping.html#the-experiment",
                    STEP_LR * STEP_C / _first_norm()),
        )),
)
