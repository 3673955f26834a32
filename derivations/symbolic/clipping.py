"""Gradient clipping: norm clipping keeps the gradient's direction, value clipping does not.

The displayed rule g <- g min(1, c / ||g||) is :data:`CLIP_FACTOR`; SymPy proves that it
leaves a gradient of norm min(||g||, c) on both sides of the threshold for K tensors of any
sizes n_k (index notation, :func:`size_claims`; and on vectors of two sizes), that its factor
is positive, and that the clipped gradient is the gradient times that factor (its squared norm
and its inner product with g, for any K and n_k; cos^2 = 1 at two sizes). The
NumPy functions are checked against the displayed rule (with the code's epsilon) and against
their closed forms; :func:`train_rnn` runs the seeded experiment of the page, and
:func:`exhibits` is what the page shows.
"""

from __future__ import annotations

import time
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import sympy as sp

from .. import verify
from ..book import Curve, Equation, Figure, Panel
from ..numeric import clipping as clipping_np
from ..numeric import gradient_descent as gradient_descent_np
from ..numeric import rnn
from . import index_notation
from .bptt import init_rnn
from .common import tex, vector

__all__ = ["CLIP_FACTOR", "global_norm_squared", "size_claims", "echo_task", "Run", "train_rnn", "angle_degrees", "checks", "exhibits"]

TOPIC = "clipping"
#: The threshold c, the global norm of g and a scale lambda.
c = sp.Symbol("c", positive=True)
g_norm = sp.Symbol(r"\lVert g \rVert", positive=True)
lam = sp.Symbol(r"\lambda", positive=True)
#: Norm clipping multiplies every gradient by this factor.
CLIP_FACTOR = sp.Min(1, c / g_norm)
#: The epsilon ``clip_grad_norm`` adds to the norm in its factor, as PyTorch's ``clip_grad_norm_`` does.
EPS = 1e-6
#: The sizes of the gradient vector in the explicit proofs.
SIZES = (2, 5)

#: K gradient tensors of any sizes: tensor k has n_k entries g_{k,i}.
K = sp.Symbol("K", positive=True, integer=True)
n_k = sp.IndexedBase("n", positive=True, integer=True)
g_ki = sp.IndexedBase("g", real=True)
_k, _i = sp.symbols("k i", integer=True, positive=True)
#: Above the threshold c = norm g / (1 + v), below it c = norm g (1 + v), v > 0.
_v = sp.Symbol("v", positive=True)
#: The sizes (n_1, ..., n_K) at which the K-tensor sums are written out and compared with the
#: explicit proofs' stacked vector: one tensor of 2 and of 5 entries (the explicit sizes), and
#: three tensors.
TENSOR_INSTANCES = ((2,), (5,), (1, 2, 2))


def over_tensors(entry):
    """sum_{k=1}^K sum_{i=1}^{n_k} entry: a sum over every entry of the K tensors."""
    return sp.Sum(entry, (_i, 1, n_k[_k]), (_k, 1, K))


#: The squared global norm, the sum over k and i of g_{k,i}^2 (the K tensors' entries as one vector).
global_norm_squared = over_tensors(g_ki[_k, _i] ** 2)
#: The norm of tensor 1 alone: the wrong norm to clip K tensors with.
first_tensor_norm = sp.sqrt(sp.Sum(g_ki[1, _i] ** 2, (_i, 1, n_k[1])))
#: The clipped gradient's norm, min(||g||, c).
CLIPPED_NORM = sp.Min(g_norm, c)


def size_claims(norm=None) -> list[tuple[str, sp.Expr, sp.Expr]]:
    """(name, lhs, rhs) of the clipping claims for K tensors of any sizes, in index notation:
    every entry g_{k,i} multiplied by the factor min(1, c / ``norm``); ``norm`` is the global
    norm sqrt(sum_k sum_i g_{k,i}^2) (tests give another one and see the claims fail)."""
    true_norm = sp.sqrt(global_norm_squared)
    norm = true_norm if norm is None else norm
    factor = CLIP_FACTOR.subs(g_norm, norm)
    true_factor = CLIP_FACTOR.subs(g_norm, true_norm)
    out = [("squared norm of g min(1, c/norm g) = min(1, c/norm g)^2 norm g^2",
            over_tensors((factor * g_ki[_k, _i]) ** 2), true_factor ** 2 * global_norm_squared),
           ("g . (g min(1, c/norm g)) = min(1, c/norm g) norm g^2",
            over_tensors(g_ki[_k, _i] * factor * g_ki[_k, _i]), true_factor * global_norm_squared)]
    for side, threshold, expected in (("above", true_norm / (1 + _v), "c"), ("below", true_norm * (1 + _v), "norm g")):
        at = {c: threshold}
        out.append((f"squared norm of g min(1, c/norm g) = ({expected})^2 when norm g is {side} c",
                    over_tensors((factor.subs(at) * g_ki[_k, _i]) ** 2),
                    CLIPPED_NORM.subs(g_norm, true_norm).subs(at) ** 2))
    return out


def sum_tex(s: sp.Sum) -> str:
    """A sum over several limits printed as nested sums, the outermost limit first."""
    return "".join(rf"\sum_{{{tex(v)} = {tex(lo)}}}^{{{tex(hi)}}} " for v, lo, hi in reversed(s.limits)) + tex(s.function)


def _tensor_sizes(sizes) -> dict:
    return {K: len(sizes), **{n_k[k + 1]: v for k, v in enumerate(sizes)}}


def stacked(expr, sizes):
    """A K-tensor expression written out at ``sizes`` (n_1, ..., n_K), each entry g_{k,i} named
    as the entry of the stacked vector (common.vector's g_1, g_2, ...) that it is."""
    offsets = np.cumsum((0,) + tuple(sizes))
    names = {g_ki[k + 1, i + 1]: sp.Symbol(f"g_{offsets[k] + i + 1}", real=True)
             for k, size in enumerate(sizes) for i in range(size)}
    return index_notation.written_out(expr, _tensor_sizes(sizes)).xreplace(names)


def _size_proofs() -> list[verify.Check]:
    """The claims proved for any K and n_k, and each claim's K-tensor sum written out at
    TENSOR_INSTANCES against the same quantity computed on the stacked vector, as the explicit
    proofs compute it (a guard against a sum over the wrong ranges)."""
    out = [index_notation.prove_identity(TOPIC, f"{name}: K tensors, index notation, any K, n_k", lhs, rhs,
                                         [_tensor_sizes(s) for s in TENSOR_INSTANCES])
           for name, lhs, rhs in size_claims()]
    start = time.perf_counter()
    name, lhs, rhs = size_claims(norm=first_tensor_norm)[2]
    wrong = index_notation.prove_identity(TOPIC, name, lhs, rhs, [_tensor_sizes((1, 1))])   # two tensors suffice
    refuted = wrong.detail.startswith("the difference is")
    out.append(verify.Check(TOPIC, "with the norm of tensor 1 in place of the global norm, the clipped squared "
                            "norm is not c^2 above c: refuted", "symbolic size", 0.0 if refuted else np.inf, 0.0,
                            refuted, wrong.detail, seconds=time.perf_counter() - start))
    for sizes in TENSOR_INSTANCES:
        start = time.perf_counter()
        g = vector("g", sum(sizes))
        norm = sp.sqrt((g.T * g)[0, 0])
        got, want = [stacked(global_norm_squared, sizes)], [norm ** 2]
        for side, threshold in (("above", norm / (1 + _v)), ("below", norm * (1 + _v))):
            clipped = g * CLIP_FACTOR.subs({g_norm: norm, c: threshold})
            got.append(stacked(size_claims()[2 if side == "above" else 3][1], sizes))
            want.append((clipped.T * clipped)[0, 0])
        check = verify.symbolic_identity(
            TOPIC, f"norm g^2 and the clipped squared norms above and below c: the K-tensor sums at "
            f"(n_1, ..., n_K) = {sizes} equal the stacked vector's", sp.Matrix(got), sp.Matrix(want))
        out.append(replace(check, method="symbolic size, instantiated", seconds=time.perf_counter() - start))
    return out


def cosine_squared(a, b):
    """cos^2 of the angle between column vectors a and b (no square roots to undo)."""
    return (a.T * b)[0, 0] ** 2 / ((a.T * a)[0, 0] * (b.T * b)[0, 0])


def angle_degrees(a: dict, b: dict) -> float:
    """The angle between two gradient dicts seen as single vectors, in degrees."""
    u = np.concatenate([np.ravel(a[k]) for k in sorted(a)])
    v = np.concatenate([np.ravel(b[k]) for k in sorted(b)])
    u, v = u / np.linalg.norm(u), v / np.linalg.norm(v)
    # Kahan's form: accurate near 0 and 180 degrees, where arccos of the cosine is not
    return float(np.degrees(2 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def clip_factor(max_norm: float, norm: float) -> float:
    """The displayed factor min(1, c / ||g||) at c = max_norm,
    ||g|| = norm, from the SymPy object."""
    return float(CLIP_FACTOR.subs({c: max_norm, g_norm: norm}))


def echo_task(rng, T: int = 30, N: int = 32, delay: int = 3):
    """Inputs x (T, N, 1) and targets y_t = x_{t - delay} (zero before): a memory task."""
    x = rng.standard_normal((T, N, 1))
    y = np.zeros_like(x)
    y[delay:] = x[:-delay]
    return x, y


class Run(NamedTuple):
    """One training run: per step, the loss, the global gradient norm before clipping and the
    length of the update (NaN from the step the run stopped at on); why it stopped."""

    losses: np.ndarray
    norms: np.ndarray
    steps: np.ndarray
    stopped: str


def train_rnn(x, y, hidden: int, lr: float, steps: int, max_norm: float | None, seed: int = 1,
              radius: float = 1.2) -> Run:
    """Full-batch gradient descent on the echo task, with norm clipping at ``max_norm`` or none.

    A diverging run stops when a floating-point overflow or invalid operation is raised
    (``np.errstate``: nothing is silently turned into inf) or the numeric code refuses a
    non-finite value.
    """
    params = init_rnn(x.shape[2], hidden, y.shape[2], np.random.default_rng(seed), radius=radius)
    h0 = np.zeros((x.shape[1], hidden))
    losses, norms, lengths = (np.full(steps, np.nan) for _ in range(3))
    stopped = ""
    with np.errstate(over="raise", invalid="raise"):
        for k in range(steps):
            try:
                loss, grads = rnn.rnn_loss_and_grads(params, x, y, h0)
                grads.pop("h0")
                norm = clipping_np.global_norm(grads)
            except (FloatingPointError, ValueError) as err:
                stopped = f"step {k}, loss and gradient: {err}"
                break
            losses[k], norms[k] = loss, norm
            if max_norm is not None:
                grads, _ = clipping_np.clip_grad_norm(grads, max_norm)
            try:
                new = gradient_descent_np.gd_step(params, grads, lr)
            except (FloatingPointError, ValueError) as err:
                stopped = f"step {k}, update: {err}"
                break
            lengths[k] = clipping_np.global_norm({key: new[key] - params[key] for key in params})
            params = new
    return Run(losses, norms, lengths, stopped)


# ------------------------------------------------------------------ the page's numbers

#: The experiment's sequence length, delay, spectral radius of W_hh, steps, learning rate,
#: hidden units and clipping threshold.
EXPERIMENT = {"T": 30, "delay": 3, "radius": 1.2, "steps": 300, "lr": 0.05, "hidden": 16, "max_norm": 1.0}


@lru_cache(maxsize=1)
def experiment() -> dict:
    """{"no clipping": Run, "norm clipped": Run} on the same task and initialization."""
    e = EXPERIMENT
    x, y = echo_task(np.random.default_rng(0), T=e["T"], delay=e["delay"])
    return {label: train_rnn(x, y, e["hidden"], e["lr"], e["steps"], max_norm, radius=e["radius"])
            for label, max_norm in (("no clipping", None), ("norm clipped", e["max_norm"]))}


def first_nan(values: np.ndarray) -> int:
    """The first index at which ``values`` is NaN (the length if none)."""
    bad = np.flatnonzero(~np.isfinite(values))
    return int(bad[0]) if bad.size else len(values)


#: The threshold of the page's example.
EXAMPLE_C = 1.0


@lru_cache(maxsize=1)
def example():
    """A gradient of an RNN's three parameters with large entries in W_hh's, clipped both ways
    at EXAMPLE_C: (gradient, by norm, by value)."""
    rng = np.random.default_rng(3)
    g = {"W_hh": 4 * rng.standard_normal((16, 16)), "W_hx": rng.standard_normal((16, 1)),
         "b_h": 0.1 * rng.standard_normal(16)}
    return g, clipping_np.clip_grad_norm(g, EXAMPLE_C)[0], clipping_np.clip_grad_value(g, EXAMPLE_C)


def clip_each_tensor(grads: dict, max_norm: float) -> dict:
    """The pitfall: every tensor clipped by its own norm, clip_grad_norm applied to each alone."""
    return {k: clipping_np.clip_grad_norm({k: v}, max_norm)[0][k] for k, v in grads.items()}


#: The batch of the clip-before-averaging pitfall: per-sample gradients of PER_SAMPLE_DIM
#: entries, one of them OUTLIER times larger than the others, clipped at EXAMPLE_C.
BATCH, PER_SAMPLE_DIM, OUTLIER = 8, 10, 20.0


@lru_cache(maxsize=1)
def per_sample_example():
    """(the batch mean of per-sample gradients, the mean of the per-sample gradients each
    clipped at EXAMPLE_C, the mean clipped at EXAMPLE_C), each as a gradient dict."""
    rng = np.random.default_rng(4)
    samples = rng.standard_normal((BATCH, PER_SAMPLE_DIM))
    samples[0] *= OUTLIER
    mean = {"g": samples.mean(axis=0)}
    clipped_first = {"g": np.mean([clipping_np.clip_grad_norm({"g": x}, EXAMPLE_C)[0]["g"] for x in samples], axis=0)}
    return mean, clipped_first, clipping_np.clip_grad_norm(mean, EXAMPLE_C)[0]


def _pitfalls() -> list[verify.Check]:
    """The pitfalls of the page measured: per-tensor clipping and per-sample clipping turn the
    gradient, clipping the batch mean does not."""
    g, by_norm, _ = example()
    each = clip_each_tensor(g, EXAMPLE_C)
    mean, clipped_first, clipped_mean = per_sample_example()
    tol = verify.TOLERANCES["closed-form"]
    after = angle_degrees(mean, clipped_mean)
    return [verify.check_bound(TOPIC, "clipping each tensor by its own norm turns the example gradient by more "
                               "than 10 degrees", 10.0, angle_degrees(g, each), strict=True),
            verify.check_bound(TOPIC, f"clipping each of {BATCH} per-sample gradients before averaging turns "
                               "the batch mean by more than 10 degrees", 10.0, angle_degrees(mean, clipped_first),
                               strict=True),
            verify.Check(TOPIC, "clipping the batch mean keeps its direction (angle in degrees)", "closed-form",
                         after / 180, tol, after / 180 <= tol)]


def _proofs() -> list[verify.Check]:
    ident = lambda name, a, b: verify.timed(verify.symbolic_identity, TOPIC, name, a, b)  # noqa: E731
    v = sp.Symbol("v", positive=True)     # c = ||g|| / (1 + v) above the threshold, ||g|| (1 + v) below
    out = []
    for size in SIZES:
        g = vector("g", size)
        norm = sp.sqrt((g.T * g)[0, 0])
        for side, threshold, expected in (("above", norm / (1 + v), "c"), ("below", norm * (1 + v), "norm g")):
            clipped = g * CLIP_FACTOR.subs({g_norm: norm, c: threshold})
            clipped_norm = sp.sqrt(sp.factor((clipped.T * clipped)[0, 0]))    # factor: an exact rewrite
            out.append(ident(f"squared norm of g min(1, c/norm g) = ({expected})^2 when norm g is {side} c, "
                             f"size {size}", (clipped.T * clipped)[0, 0], (threshold if side == "above" else norm) ** 2))
            out.append(ident(f"clipping twice at c is clipping once, norm g {side} c, size {size}",
                             clipped * CLIP_FACTOR.subs({g_norm: clipped_norm, c: threshold}), clipped))
        out.append(ident(f"cos^2(g, lambda g) = 1 for every lambda > 0, size {size}",
                         cosine_squared(g, lam * g), 1))
        out.append(ident(f"g . (lambda g) = lambda times norm g squared, size {size}",
                         (g.T * (lam * g))[0, 0], lam * norm ** 2))
    start = time.perf_counter()
    positive = bool(CLIP_FACTOR.is_positive)
    out.append(verify.Check(TOPIC, "min(1, c/norm g) > 0 for c > 0 (SymPy): clipping keeps the direction",
                            "symbolic", 0.0 if positive else np.inf, 0.0, positive,
                            seconds=time.perf_counter() - start))
    return out


def _numeric(rng) -> list[verify.Check]:
    grads = {"W": 3 * rng.standard_normal((4, 5)), "b": rng.standard_normal(4)}
    total = np.sqrt(np.sum(grads["W"] ** 2) + np.sum(grads["b"] ** 2))
    clipped, reported = clipping_np.clip_grad_norm(grads, 1.0)
    out = [verify.check_values(TOPIC, name, "closed-form", got, want) for name, got, want in (
        ("clip_grad_norm reports the global norm before clipping", reported, total),
        (f"clipped global norm = max_norm total / (total + {EPS:g})",
         clipping_np.global_norm(clipped), total / (total + EPS)),
        ("clip_grad_norm scales W and b by the same factor",
         clipped["W"] / grads["W"], np.full(grads["W"].shape, clipped["b"][0] / grads["b"][0])))]
    for side, max_norm in (("above", total / 10), ("below", 10 * total)):
        got, _ = clipping_np.clip_grad_norm(grads, max_norm)
        factor = clip_factor(max_norm, total + EPS)
        out.append(verify.check_values(
            TOPIC, f"clip_grad_norm = g min(1, c/(norm g + {EPS:g})), norm g {side} c", "sympy-vs-numpy",
            np.concatenate([got[k].ravel() for k in grads]),
            np.concatenate([factor * grads[k].ravel() for k in grads])))
    at_c = {"W": np.array([3.0, 4.0])}                   # global norm exactly 5.0 in float64
    out.append(verify.check_values(TOPIC, "at norm g = c exactly, clip_grad_norm leaves g unchanged",
                                   "float64", clipping_np.clip_grad_norm(at_c, 5.0)[0]["W"], at_c["W"]))
    twice, _ = clipping_np.clip_grad_norm(clipped, 1.0)
    out.append(verify.check_values(TOPIC, "clip_grad_norm applied twice at the same max_norm is applied once",
                                   "float64", np.concatenate([twice[k].ravel() for k in grads]),
                                   np.concatenate([clipped[k].ravel() for k in grads])))
    same, _ = clipping_np.clip_grad_norm(grads, 10 * total)
    tol = verify.TOLERANCES["closed-form"]
    err = max(verify.rel_error(same[k], grads[k]) for k in grads)  # each array on its own scale
    out.append(verify.Check(TOPIC, "below max_norm, clip_grad_norm changes nothing", "closed-form",
                            err, tol, err <= tol))
    g, by_norm, by_value = example()
    ang = angle_degrees(g, by_norm)
    out.append(verify.Check(TOPIC, "norm clipping: angle to the unclipped gradient (degrees)",
                            "closed-form", ang / 180, tol, ang / 180 <= tol))
    out.append(verify.check_values(TOPIC, "clip_grad_value = sign(g) min(abs(g), c), entry by entry",
                                   "closed-form", np.concatenate([by_value[k].ravel() for k in g]),
                                   np.concatenate([np.sign(g[k].ravel()) * np.minimum(np.abs(g[k].ravel()), EXAMPLE_C)
                                                   for k in g])))
    changed = np.concatenate([(by_value[k] != g[k]).ravel() for k in g])
    above = np.concatenate([(np.abs(g[k]) > EXAMPLE_C).ravel() for k in g])
    out.append(verify.check_values(TOPIC, "value clipping changes exactly the entries above c in magnitude",
                                   "closed-form", changed.astype(float), above.astype(float)))
    out.append(verify.check_bound(TOPIC, "value clipping turns the example gradient by more than 10 degrees",
                                  10.0, angle_degrees(g, by_value), strict=True))
    return out


def _experiment() -> list[verify.Check]:
    runs = experiment()
    free, clipped = runs["no clipping"], runs["norm clipped"]
    e = EXPERIMENT
    return [
        verify.check_bound(TOPIC, f"without clipping the run overflows before step {e['steps']}",
                           first_nan(free.losses), e["steps"], strict=True),
        verify.Check(TOPIC, "the unclipped run stops where computing its loss and gradient overflows",
                     "closed-form", 0.0, 0.0,
                     free.stopped.startswith(f"step {first_nan(free.losses)}, loss and gradient: overflow")),
        verify.check_bound(TOPIC, "with clipping the loss stays finite and falls more than tenfold",
                           10 * clipped.losses[-1:], clipped.losses[:1], strict=True),
        verify.check_values(TOPIC, f"every clipped step has length lr max_norm norm/(norm + {EPS:g})",
                            "closed-form", clipped.steps,
                            e["lr"] * e["max_norm"] * clipped.norms / (clipped.norms + EPS)),
        verify.check_bound(TOPIC, "the clipped run's gradient norm stays above max_norm: every step is clipped",
                           e["max_norm"], np.min(clipped.norms), strict=True),
    ]


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the clipping rule proved, the NumPy functions compared, the
    experiment run."""
    rng = np.random.default_rng(seed)
    return _proofs() + _size_proofs() + _numeric(rng) + _experiment() + _pitfalls()


#: The top of the loss panel, as log10 of the loss, high enough to show the unclipped loss
#: leave, low enough to show the clipped run learn.
LOSS_PANEL_TOP = 3.0


def _figure() -> Figure:
    runs = experiment()
    styles = {"no clipping": ("-", "C3"), "norm clipped": ("-", "C0")}
    labels = {"no clipping": "no clipping", "norm clipped": f"norm clipped to {EXPERIMENT['max_norm']:g}"}
    panels = []
    # log10 on a linear axis: the unclipped values reach 1e300, where a log axis's ticks overflow
    for k, (field, ylabel, ylim) in enumerate((
            ("losses", "log10 training loss", (-0.6, LOSS_PANEL_TOP)),
            ("norms", "log10 global gradient norm\n(before clipping)", None))):
        curves = [Curve(np.arange(len(getattr(r, field))), np.log10(getattr(r, field)),
                        labels[label] if k == 0 else None, *styles[label]) for label, r in runs.items()]
        panels.append(Panel(curves, xlabel="gradient-descent step", ylabel=ylabel, ylim=ylim,
                            legend_loc="upper right"))
    return Figure(panels, size=(8, 3.2))


def exhibits() -> dict:
    """What the clipping page shows."""
    g, by_norm, by_value = example()
    runs = experiment()
    free, clipped = runs["no clipping"], runs["norm clipped"]
    e = EXPERIMENT
    stop = first_nan(free.losses)
    return {
        "eq_clip_norm": Equation(rf"g \leftarrow g \, {tex(CLIP_FACTOR)}", definition=True),
        "eq_global_norm": Equation(rf"\lVert g \rVert^2 = {sum_tex(global_norm_squared)}", definition=True),
        "eq_clipped_norm": Equation(
            rf"\Bigl\lVert g \, {tex(CLIP_FACTOR)} \Bigr\rVert = {tex(CLIPPED_NORM)}",
            proofs=("squared norm of g min(1, c/norm g) = (c)^2 when norm g is above c",
                    "squared norm of g min(1, c/norm g) = (norm g)^2 when norm g is below c",
                    "norm g^2 and the clipped squared norms above and below c")),
        "sizes": " and ".join(map(str, SIZES)),
        "tensor_instances": ", ".join(str(s) for s in TENSOR_INSTANCES),
        "eps": f"{EPS:g}",
        "angle_each": f"{angle_degrees(g, clip_each_tensor(g, EXAMPLE_C)):.1f}",
        "batch": str(BATCH), "outlier": f"{OUTLIER:g}",
        "angle_per_sample": f"{angle_degrees(*per_sample_example()[:2]):.1f}",
        "total": f"{clipping_np.global_norm(g):.1f}",
        "angle_norm": f"{angle_degrees(g, by_norm):.1f}",
        "angle_value": f"{angle_degrees(g, by_value):.1f}",
        "norm_after": f"{clipping_np.global_norm(by_norm):.4f}",
        "value_after": f"{clipping_np.global_norm(by_value):.1f}",
        "example_c": f"{EXAMPLE_C:g}",
        "n_cut_whh": str(int(np.sum(np.abs(g["W_hh"]) > EXAMPLE_C))), "n_whh": str(g["W_hh"].size),
        "fig_clip": _figure(),
        "T": str(e["T"]), "delay": str(e["delay"]), "radius": f"{e['radius']:g}",
        "lr": f"{e['lr']:g}", "steps": str(e["steps"]), "H": str(e["hidden"]),
        "max_norm": f"{e['max_norm']:g}", "max_step": f"{e['lr'] * e['max_norm']:g}",
        "diverged_at": str(stop),
        "loss_top": f"{10 ** LOSS_PANEL_TOP:g}",
        "leaves_at": str(int(np.argmax(free.losses > 10 ** LOSS_PANEL_TOP))),
        "first_norm": f"{free.norms[0]:.1f}",
        "peak_loss": f"{np.nanmax(free.losses):.1e}",
        "last_norm": f"{free.norms[stop - 1]:.1e}",
        "clip_first": f"{clipped.losses[0]:.2f}",
        "clip_last": f"{clipped.losses[-1]:.3f}",
        "clip_min_norm": f"{np.min(clipped.norms):.2f}",
    }
