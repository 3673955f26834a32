"""The checking core: every formula in the book is accepted through these functions.

Two kinds of witness:

* symbolic: :func:`symbolic_identity` proves ``a == b`` with SymPy. An identity SymPy
  cannot decide is a failure, never a pass.
* numeric: :func:`check_vjp` (and :func:`check_gradient`, :func:`check_derivative` built on
  it) compares a claimed gradient with central differences (float64) or the complex step,
  entry by entry, each entry against the method's rounding at that entry;
  :func:`check_values` compares two computations of the same values with :func:`rel_error`.

Each returns a :class:`Check`; :func:`require` raises :class:`CheckFailed` on a failed one.
This module imports SymPy lazily, so numeric checks stay light.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

import numpy as np
from numpy.typing import ArrayLike

if TYPE_CHECKING:            # SymPy is imported lazily (numeric checks stay light)
    import sympy as sp

__all__ = [
    "TOLERANCES", "CENTRAL_STEP", "COMPLEX_STEP", "FULL_CHECK_MAX_SIZE", "N_DIRECTIONS",
    "Check", "CheckFailed", "require", "HEADER", "markdown_table", "text_table",
    "symbolic_identity", "timed", "rel_error", "check_values", "check_bound", "check_against_sympy",
    "directional_derivative", "numeric_gradient", "RESOLUTION_FACTOR", "MAX_RESOLUTION", "check_vjp", "assert_vjp",
    "check_gradient", "check_derivative", "SECOND_ORDER_STEP", "check_second_order",
]

#: Tolerances, by method. For the two numerical derivatives (:func:`check_vjp`) they are
#: relative, per entry, on top of the rounding error each entry's evaluations show: the central
#: difference's truncation error is O(h^2) relative (about 1e-13 at h = 1e-6), the complex
#: step's analytic side loses up to ~1e-11 where it subtracts nearly equal numbers (1 - tanh^2
#: near saturation). For :func:`check_values`, on :func:`rel_error`: the difference between
#: the NumPy code and SymPy's result evaluated in float64, and the like.
TOLERANCES = {
    "symbolic": 0.0,
    "central-difference": 1e-6,
    "complex-step": 1e-10,
    "sympy-vs-numpy": 1e-13,
    # two independent float64 computations of the same numbers (no SymPy involved)
    "float64": 1e-13,
    # an iterated computation against its closed form: rounding accumulates over the steps
    "closed-form": 1e-10,
    # a measured value against a bound it must respect: exact, the error is how far past it
    "bound": 0.0,
    # the complex step of a claimed gradient against a mixed second central difference of the
    # function: truncation O(h^2) relative, ~1e-8 at h = 1e-4, with a margin
    "second-order": 1e-5,
}
#: The step h of the central difference, near the optimum (3 eps)^(1/3) ~ 9e-6 for O(1) inputs.
CENTRAL_STEP = 1e-6
#: The step h of the complex step; any tiny h works because nothing is subtracted.
COMPLEX_STEP = 1e-20
#: The step of the mixed second central difference, near the optimum eps^(1/4) ~ 1.2e-4.
SECOND_ORDER_STEP = 1e-4
#: The largest input checked entry by entry ("in full"); larger inputs are checked
#: along random directions with standard normal entries.
FULL_CHECK_MAX_SIZE = 64
#: The number of random directions for large inputs.
N_DIRECTIONS = 4


@dataclass(frozen=True)
class Check:
    """One verified (or refuted) claim: what was compared, how, and how closely."""

    topic: str
    name: str
    method: str
    error: float
    tolerance: float
    passed: bool
    detail: str = ""
    unresolved: int = 0     # entries below the numerical method's resolution: not verified by it
    entries: int = 0        # entries (or directions) a numeric check compared
    seconds: float = 0.0    # the time a proof took (derivation and comparison), when measured

    def row(self) -> tuple[str, str, str, str, str, str]:
        """The check as table cells: topic, check, method, error, tolerance, result."""
        return (
            self.topic,
            self.name,
            self.method,
            f"{self.error:.1e}" if np.isfinite(self.error) else str(self.error),
            ("n/a" if np.isnan(self.tolerance)
             else _tolerance_text(self.tolerance) if self.tolerance
             else "0 (bound)" if self.method == "bound" else "0 (exact)"),
            ("FAIL" if not self.passed else "pass")
            + (f" ({self.unresolved} of {self.entries} unresolved)" if self.unresolved else ""),
        )


def _tolerance_text(t: float) -> str:
    # a set tolerance (1e-06) in one digit; one a per-entry check computed (0.0152) in two
    one = f"{t:.0e}"
    return one if float(one) == t else f"{t:.1e}"


class CheckFailed(AssertionError):
    """Raised by :func:`require` when a check did not pass."""


def require(checks: Check | Iterable[Check]) -> list[Check]:
    """Raise :class:`CheckFailed` naming every failed check; return the checks otherwise."""
    checks = [checks] if isinstance(checks, Check) else list(checks)
    failed = [c for c in checks if not c.passed]
    if failed:
        lines = [f"{': '.join(p for p in (c.topic, c.name) if p) or 'unnamed check'} [{c.method}] "
                 f"error {c.error:.3g} > tol {c.tolerance:.0e}"
                 + (f" ({c.detail})" if c.detail else "") for c in failed]
        raise CheckFailed("check failed:\n  " + "\n  ".join(lines))
    return checks


HEADER = ("topic", "check", "method", "error", "tolerance", "result")


def markdown_table(checks: Sequence[Check], *, with_topic: bool = True) -> str:
    """The checks as a Markdown (GFM) table, for the book's Verified boxes and report."""
    cols = slice(0, 6) if with_topic else slice(1, 6)
    rows = [HEADER[cols]] + [c.row()[cols] for c in checks]
    rows = [[cell.replace("|", r"\|") for cell in r] for r in rows]
    lines = ["| " + " | ".join(r) + " |" for r in rows]
    lines.insert(1, "|" + "---|" * len(rows[0]))
    return "\n".join(lines)


def text_table(checks: Sequence[Check]) -> str:
    """The checks as a fixed-width text table, for the terminal, with the time of each proof
    that measured it (:attr:`Check.seconds`)."""
    rows = [HEADER + ("time",)] + [c.row() + (f"{c.seconds:.2f} s" if c.seconds else "",) for c in checks]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*r) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- symbolic


def symbolic_identity(topic: str, name: str, a: sp.Basic | sp.MatrixBase, b: sp.Basic | sp.MatrixBase) -> Check:
    """Prove ``a == b`` (SymPy expressions or matrices of equal shape).

    Passes when every entry of ``a - b`` is exactly zero as a rational function of its
    function applications (see ``_zero_as_rational_function``), after ``expand``, or after
    ``simplify``, or when SymPy's ``.equals(0)`` returns True. Fails at once when an entry is
    nonzero at a random point (``_nonzero_at_random_point``); ``.equals`` returning None
    (undecided) or False is a failure too. The check records the comparison's time (wrap the
    derivation and the call in :func:`timed` to record both).
    """
    return timed(_symbolic_identity, topic, name, a, b)


def _symbolic_identity(topic: str, name: str, a, b) -> Check:
    import sympy as sp

    a, b = sp.sympify(a), sp.sympify(b)
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        if not (isinstance(a, sp.MatrixBase) and isinstance(b, sp.MatrixBase)):
            return Check(topic, name, "symbolic", np.inf, 0.0, False, "matrix against scalar")
        if a.shape != b.shape:
            return Check(topic, name, "symbolic", np.inf, 0.0, False,
                         f"shapes differ: {a.shape} vs {b.shape}")
        diffs = list(a - b)
    else:
        diffs = [a - b]
    undecided = 0
    values: dict = {}   # the random point's subexpression values, shared by the entries
    for d in diffs:
        # rational-function arithmetic settles most identities cheaply; a random point
        # refutes most false ones (before expand or simplify, which can take minutes to
        # fail on a large difference); expand and simplify decide the rest
        if d == 0 or _zero_as_rational_function(d):
            continue
        witness = _nonzero_at_random_point(d, values)
        if witness is not None:
            return Check(topic, name, "symbolic", np.inf, 0.0, False,
                         f"the difference is {witness:.3g} at a random point")
        if sp.expand(d) == 0:
            continue
        d = sp.simplify(d)
        if d == 0:
            continue
        verdict = d.equals(0)
        if verdict is True:
            continue
        if verdict is None:
            undecided += 1
            continue
        return Check(topic, name, "symbolic", np.inf, 0.0, False, f"nonzero difference: {d}")
    if undecided:
        return Check(topic, name, "symbolic", np.inf, 0.0, False,
                     f"SymPy could not decide {undecided} entr{'y' if undecided == 1 else 'ies'}")
    return Check(topic, name, "symbolic", 0.0, 0.0, True)


def _zero_as_rational_function(d) -> bool:
    """True if ``d`` is the zero rational function once every function application in it
    (sigma(a), tanh(a), ...) is replaced by a fresh variable, and every exp(k_1 a_1 + ...)
    with integer k_i by the product v_1^k_1 ... of one variable per a_i.

    A sufficient condition, and an exact one: both replacements respect sums, products and
    quotients (exp turns sums into products), so a zero result means ``d`` is zero wherever
    it is defined, whatever the functions are. It is what a chain-rule identity reduces to
    (both sides are sums of products of the same applications; a softmax's are quotients of
    sums of exponentials), and SymPy's sparse polynomial rings and fields do that arithmetic
    far faster than ``expand`` or ``simplify`` on expression trees (the GRU proofs: 0.3 s
    instead of 10 s per entry). False when ``d`` is not rational in those variables or is
    not zero; the caller goes on.
    """
    import sympy as sp
    from sympy.polys.fields import field
    from sympy.polys.polyerrors import CoercionFailed, PolynomialError
    from sympy.polys.rings import ring

    # only the outermost applications: their arguments disappear with them, and
    # d.atoms() would walk every nested argument of a deep unrolled expression
    opaque, exponent, seen, stack = {}, {}, set(), [d]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, sp.exp):
            terms = node.args[0].as_coefficients_dict()
            if all(k.is_Integer for k in terms.values()):
                opaque[node] = sp.Mul(*[exponent.setdefault(a, sp.Dummy()) ** k for a, k in terms.items()])
                continue
        if isinstance(node, sp.Function):
            opaque[node] = sp.Dummy()
        else:
            stack.extend(node.args)
    e = d.xreplace(opaque)
    gens = sorted(e.free_symbols, key=sp.default_sort_key)
    if not gens:                   # the replacement may cancel everything: e^x e^-x - 1
        return e == 0
    for domain in (ring, field):   # polynomials first: a ring multiplies without gcds
        try:
            return domain(gens, sp.QQ)[0].from_expr(e) == 0
        except (ValueError, TypeError, PolynomialError, CoercionFailed):
            continue
    return False


def _nonzero_at_random_point(d, values: dict | None = None, digits: int = 50):
    """The value of ``d`` at a random point of its symbols if it is clearly nonzero, else None.

    Symbols are given values consistent with their assumptions (positive ones positive).
    ``d`` is evaluated in mpmath at ``digits`` digits, each distinct subexpression once
    (``values`` keeps them, and may be shared by calls on expressions with common parts), and
    called nonzero when it exceeds 1e-20 times the largest value met on the way: far above
    the rounding, so a nonzero result is a counterexample. An expression with something
    mpmath cannot evaluate (an undefined function) is evaluated by SymPy to ``digits``
    significant digits instead, or, with an undefined function, left to simplify.
    """
    import mpmath
    import sympy as sp

    values = {} if values is None else values
    with mpmath.workdps(digits):
        try:
            value = _value_at(d, values)
            scale = max([abs(v) for v in values.values() if mpmath.isfinite(v)] + [mpmath.mpf(1)])
        except (TypeError, ValueError, ZeroDivisionError, OverflowError):
            try:
                value = sp.N(d.xreplace({s: _random_value(s) for s in d.free_symbols}), digits)
            except (TypeError, ValueError, ZeroDivisionError):
                return None
            if not value.is_number or value.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
                return None
            value, scale = complex(value), 1.0
        if not mpmath.isfinite(value):
            return None
        value = complex(value)
    return value if abs(value) > 1e-20 * float(scale) else None


def _random_value(s):
    """A symbol's value at the random point: a rational k/997, 0 < k < 1000, fixed by the
    symbol's name (so every expression sharing the symbol sees the same value), of random
    sign unless the symbol is positive."""
    import zlib

    import sympy as sp

    rng = np.random.default_rng(zlib.crc32(s.name.encode()))
    sign = 1 if s.is_positive or s.is_nonnegative else (-1) ** int(rng.integers(2))
    return sp.Rational(int(rng.integers(1, 1000)), 997) * sign


def _value_at(expr, values: dict):
    """``expr`` at the point of :func:`_random_value`, in mpmath's working precision."""
    import mpmath
    import sympy as sp
    from sympy.core.function import AppliedUndef

    if expr in values:
        return values[expr]
    if expr.is_Symbol:
        r = _random_value(expr)
        v = mpmath.mpf(r.p) / r.q
    elif expr.is_Rational:
        v = mpmath.mpf(expr.p) / expr.q
    elif expr.is_Number or expr.is_NumberSymbol or expr is sp.I:
        v = mpmath.mpmathify(expr.evalf(mpmath.mp.dps))
    elif expr.is_Add:
        v = mpmath.fsum(_value_at(a, values) for a in expr.args)
    elif expr.is_Mul:
        v = mpmath.fprod(_value_at(a, values) for a in expr.args)
    elif expr.is_Pow:
        v = mpmath.power(_value_at(expr.base, values), _value_at(expr.exp, values))
    elif isinstance(expr, sp.Function) and not isinstance(expr, AppliedUndef) and expr.func in _mpmath_functions():
        v = _mpmath_functions()[expr.func](*[_value_at(a, values) for a in expr.args])
    else:
        raise TypeError(f"no value for a {type(expr).__name__} at a random point")
    values[expr] = v
    return v


@lru_cache(maxsize=1)
def _mpmath_functions() -> dict:
    """The SymPy functions :func:`_value_at` evaluates, and their mpmath counterparts."""
    import mpmath
    import sympy as sp

    return {sp.exp: mpmath.exp, sp.log: mpmath.log, sp.tanh: mpmath.tanh, sp.sin: mpmath.sin,
            sp.cos: mpmath.cos, sp.Abs: abs, sp.Max: lambda *a: max(a), sp.Min: lambda *a: min(a)}


# --------------------------------------------------------------------------- numeric


def timed(prove: Callable[..., Check], *args, **kwargs) -> Check:
    """``prove(*args, **kwargs)``, the Check it returns with :attr:`Check.seconds` set to the
    time the call took (a proof's derivation as well as its comparison)."""
    import time
    from dataclasses import replace

    start = time.perf_counter()
    check = prove(*args, **kwargs)
    return replace(check, seconds=time.perf_counter() - start)


def rel_error(a: ArrayLike, b: ArrayLike) -> float:
    """``max|a - b| / max(1e-8, max(|a| + |b|))``: the error of a comparison of values
    (:func:`check_values`); gradients against a numerical derivative are judged entry by entry
    (:func:`check_vjp`).

    Scaled by the largest entry, so entries that underflow (a derivative of 1e-40 far in
    a tail) do not dominate; the 1e-8 floor keeps an all-zero pair from dividing by zero.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(1e-8, float(np.max(np.abs(a) + np.abs(b))))
    return float(np.max(np.abs(a - b))) / scale


def check_values(topic: str, name: str, method: str, got: ArrayLike, want: ArrayLike) -> Check:
    """Compare two arrays (or numbers) obtained independently, with the tolerance of
    ``method`` from :data:`TOLERANCES`."""
    tol = TOLERANCES[method]
    err = rel_error(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64))
    return Check(topic, name, method, err, tol, bool(err <= tol))


def check_bound(topic: str, name: str, value: ArrayLike, bound: ArrayLike, *, strict: bool = False) -> Check:
    """A computed value against a bound computed independently (a threshold, another run):
    passes when ``value <= bound`` (``value < bound`` if ``strict``) for every entry; the error
    is the largest ``value - bound`` (negative when the bound holds with room), the tolerance 0.
    An infinite bound is a bound; NaN anywhere, or no entries, is a failure."""
    value = np.asarray(value, dtype=np.float64)
    bound = np.broadcast_to(np.asarray(bound, dtype=np.float64), value.shape)
    if value.size == 0 or np.isnan(value).any() or np.isnan(bound).any():
        return Check(topic, name, "bound", np.inf, 0.0, False, "empty, or NaN")
    err = float(np.max(value - bound))
    ok = bool(np.all(value < bound) if strict else np.all(value <= bound))
    return Check(topic, name, "bound", err, 0.0, ok)


def check_against_sympy(topic: str, name: str, numeric: ArrayLike, expr: sp.Expr, symbol: sp.Symbol,
                        points: ArrayLike) -> Check:
    """Compare NumPy values ``numeric`` at ``points`` with SymPy's ``expr`` evaluated there.

    This pins down what neither numerical derivative can see: conventions at kinks, and
    the NumPy code's formula against SymPy's own result.
    """
    import sympy as sp

    points = np.asarray(points, dtype=np.float64)
    expected = np.broadcast_to(sp.lambdify(symbol, expr, "numpy")(points), points.shape)
    return check_values(topic, name, "sympy-vs-numpy", numeric, expected)


def directional_derivative(f: Callable, x: np.ndarray, v: np.ndarray, method: str,
                           step: float | None = None) -> np.ndarray:
    """d/dt f(x + t v) at t = 0, by central difference or complex step (f may be array-valued)."""
    if method == "central-difference":
        h = CENTRAL_STEP if step is None else step
        return (np.asarray(f(x + h * v), dtype=np.float64)
                - np.asarray(f(x - h * v), dtype=np.float64)) / (2 * h)
    if method == "complex-step":
        h = COMPLEX_STEP
        return np.imag(np.asarray(f(x + 1j * h * v))) / h
    raise ValueError(f"method must be 'central-difference' or 'complex-step', got {method!r}")


def numeric_gradient(phi: Callable, x: np.ndarray, method: str = "central-difference",
                     step: float | None = None) -> np.ndarray:
    """The full gradient of a scalar function ``phi`` at ``x``, one coordinate at a time."""
    x = np.asarray(x, dtype=np.float64)
    grad = np.empty_like(x)
    e = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e[i] = 1.0
        grad[i] = directional_derivative(phi, x, e, method, step)
        e[i] = 0.0
    return grad


#: The margin on a numerical derivative's rounding error at one entry, which
#: :func:`check_vjp` estimates from the very evaluations the derivative makes.
RESOLUTION_FACTOR = 32.0
#: The largest ``rho_i / max(|a_i|, |n_i|)`` at which an entry counts as resolved: an entry the
#: method sees only to worse than a tenth of its size is reported unresolved, not judged.
MAX_RESOLUTION = 0.1


def _argument_names(f: Callable, n: int) -> list[str]:
    """The names of ``f``'s first ``n`` positional parameters, for messages (args[j] if unknown)."""
    import inspect

    try:
        params = [p.name for p in inspect.signature(f).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[j] if j < len(params) else f"args[{j}]" for j in range(n)]


def _derivatives(terms: Callable, x: np.ndarray, directions, method: str, h: float):
    """For each direction v: the numerical derivative of phi = sum(terms(z)) along v at x, and
    its rounding error estimated from the same evaluations (RESOLUTION_FACTOR eps times the
    sum of the magnitudes of the terms, over 2h for a central difference)."""
    eps = np.finfo(np.float64).eps
    numeric, resolution = [], []
    for v in directions:
        if method == "central-difference":
            tp, tm = terms(x + h * v), terms(x - h * v)
            numeric.append((np.sum(tp) - np.sum(tm)) / (2 * h))
            resolution.append(RESOLUTION_FACTOR * eps * (np.sum(np.abs(tp)) + np.sum(np.abs(tm))) / (2 * h))
        else:
            d = np.imag(terms(x + 1j * h * v)) / h
            numeric.append(np.sum(d))
            resolution.append(RESOLUTION_FACTOR * eps * np.sum(np.abs(d)))
    return np.array(numeric, dtype=np.float64), np.array(resolution, dtype=np.float64)


def _judge(analytic: np.ndarray, numeric: np.ndarray, res: np.ndarray, rtol: float, atol: float):
    """The per-entry criterion: for each entry, (ratio, scale, |difference|, tolerance,
    unresolved) with scale = max(|a|, |n|), tolerance = rtol scale + rho + atol, unresolved when
    rho exceeds MAX_RESOLUTION scale (0 against 0 with no rounding is resolved: exact), and
    ratio = |difference| / tolerance, -1 for an unresolved entry (never the worst)."""
    scale = np.maximum(np.abs(analytic), np.abs(numeric))
    diff = np.abs(analytic - numeric)
    tol = rtol * scale + res + atol
    unresolved = scale * MAX_RESOLUTION < res
    ratio = np.where(unresolved, -1.0, diff / np.where(tol > 0, tol, np.inf))
    return ratio, scale, diff, tol, unresolved


def check_vjp(f: Callable, vjp: Callable, *args: ArrayLike, dout: ArrayLike | None = None,
              method: str = "central-difference", rtol: float | None = None, atol: float = 0.0,
              name: str = "", topic: str = "", rng: np.random.Generator | None = None,
              step: float | None = None, every_entry: bool = False) -> Check:
    """Check a claimed vector-Jacobian product, entry by entry: ``vjp(dout)`` must be
    ``J^T dout`` for ``f(*args)``, one gradient per argument (an array for one argument).

    With ``phi(z) = sum(dout * f(z))`` (``dout`` random unless given), each entry ``i`` of each
    argument is compared with the numerical derivative ``n_i`` of ``phi`` along that coordinate:
    it passes when ``|a_i - n_i| <= rtol max(|a_i|, |n_i|) + rho_i + atol``, where ``rho_i`` is
    the method's rounding error at that entry, estimated from the evaluations themselves (the
    verification page gives its formula). An entry with ``max(|a_i|, |n_i|) < rho_i / MAX_RESOLUTION`` is below
    what the method resolves: it is counted as not verified, never as passed, and a check with
    no resolved entry fails. Arguments of more than :data:`FULL_CHECK_MAX_SIZE` entries are
    checked along :data:`N_DIRECTIONS` random directions (standard normal entries) instead of
    every coordinate, unless ``every_entry`` (a direction mixes the entries: a wrong one 1e-20
    the size of the others cannot show). The Check's error and tolerance are the worst
    entry's, relative to its size; its detail names the argument, the entry, both values and
    the unresolved count. ``rtol`` defaults to ``TOLERANCES[method]``; ``step`` overrides the
    central difference's h. ``f`` must compute in float64 (and, for the complex step, accept
    complex input).
    """
    if method not in ("central-difference", "complex-step"):
        raise ValueError(f"method must be 'central-difference' or 'complex-step', got {method!r}")
    if not args:
        raise ValueError("check_vjp needs at least one argument of f")
    rng = np.random.default_rng(0) if rng is None else rng
    rtol = TOLERANCES[method] if rtol is None else rtol
    h = (CENTRAL_STEP if step is None else step) if method == "central-difference" else COMPLEX_STEP
    args = [np.asarray(a, dtype=np.float64) for a in args]
    names = _argument_names(f, len(args))

    def failed(detail: str) -> Check:
        return Check(topic, name, method, np.inf, rtol, False, detail)

    y = np.asarray(f(*args))
    if y.dtype != np.float64:
        return failed(f"f returned {y.dtype} for float64 arguments: it computes in lower precision "
                      "than the check resolves; check it in float64" if y.dtype.kind == "f" and
                      y.dtype.itemsize < 8 else f"f returned {y.dtype}, not float64")
    dout = rng.standard_normal(y.shape) if dout is None else np.asarray(dout, dtype=np.float64)
    if dout.shape != y.shape:
        raise ValueError(f"dout has shape {dout.shape}, f(*args) has shape {y.shape}")
    claimed = vjp(dout)
    claimed = [claimed] if len(args) == 1 and not isinstance(claimed, (tuple, list)) else list(claimed)
    if len(claimed) != len(args):
        return failed(f"vjp returned {len(claimed)} gradients for {len(args)} arguments")
    worst, counts = None, [0, 0]                       # (ratio, detail pieces), [entries, unresolved]
    how = "in full"
    for j, (x, a) in enumerate(zip(args, claimed)):
        a = np.asarray(a, dtype=np.float64)
        if a.shape != x.shape:
            return failed(f"the gradient for {names[j]} has shape {a.shape}, {names[j]} has shape {x.shape}")

        def terms(z, j=j):
            out = np.asarray(f(*args[:j], z, *args[j + 1:]))
            if method == "complex-step" and not np.iscomplexobj(out):
                raise TypeError("f returned real values for complex input (it drops the imaginary part)")
            return dout * out

        if every_entry or x.size <= FULL_CHECK_MAX_SIZE:
            def directions(x=x):
                e = np.zeros_like(x)
                for i in np.ndindex(x.shape):
                    e[i] = 1.0
                    yield e
                    e[i] = 0.0
            analytic, labels, extra = a.ravel(), [f"{names[j]}{list(i)}" for i in np.ndindex(x.shape)], 0.0
            dirs = directions()
        else:
            v = rng.standard_normal((N_DIRECTIONS,) + x.shape)
            # Entries of size ~1, like the coordinate steps of a full check; a unit vector
            # would make the derivative along it ~sqrt(size) times smaller than its rounding error.
            analytic = np.array([np.sum(a * vi) for vi in v])
            extra = RESOLUTION_FACTOR * np.finfo(np.float64).eps * np.array([np.sum(np.abs(a * vi)) for vi in v])
            labels, dirs = [f"{names[j]} along random direction {k + 1}" for k in range(N_DIRECTIONS)], v
            how = f"along {N_DIRECTIONS} random directions for arguments over {FULL_CHECK_MAX_SIZE} entries"
        try:
            numeric, res = _derivatives(terms, x, dirs, method, h)
        except (TypeError, ValueError) as e:
            if method == "complex-step":
                return failed(f"the complex step cannot run through f: {e}")
            raise
        ratio, scale, diff, tol, unresolved = _judge(analytic, numeric, res + extra, rtol, atol)
        counts[0] += analytic.size
        counts[1] += int(unresolved.sum())
        k = int(np.argmax(ratio)) if ratio.size else 0
        if ratio.size and ratio[k] >= 0 and (worst is None or ratio[k] > worst[0]):
            worst = (ratio[k], labels[k], analytic[k], numeric[k], diff[k], scale[k], tol[k])
    if step is not None and method == "central-difference":
        how += f", h = {step:g}"
    note = (f"; {counts[1]} of {counts[0]} entries below the {method}'s resolution, not verified by it"
            if counts[1] else "")
    if worst is None:
        return Check(topic, name, method, np.nan, rtol, False, f"{how}: no entry above the method's resolution{note}",
                     counts[1], counts[0])
    ratio, label, av, nv, d, sc, tl = worst
    err, tol_rel = (d / sc, tl / sc) if sc > 0 else (0.0, rtol)
    detail = (f"{how}; worst entry {label}: analytic {av:.6g}, numeric {nv:.6g}, |difference| {d:.2g}, "
              f"relative {err:.2g} (its tolerance {tol_rel:.2g}){note}")
    return Check(topic, name, method, float(err), float(tol_rel), bool(ratio <= 1.0), detail, counts[1], counts[0])


def check_second_order(f: Callable, grad: Callable, x: ArrayLike, *, dout: ArrayLike | None = None,
                       rtol: float | None = None, name: str = "", topic: str = "",
                       rng: np.random.Generator | None = None, directions: int = N_DIRECTIONS) -> Check:
    """Check that a claimed VJP is right to first order in ``x`` as well as at ``x``: the
    gradient of the VJP. ``grad(z)`` must return ``J(z)^T dout`` for ``f`` at ``z`` (the backward
    pass run on the forward's cache at ``z``), and accept complex input.

    With ``phi(z) = sum(dout * f(z))`` and random standard normal directions ``v``, ``w``:
    ``<w, Im grad(x + i h v) / h>`` (the complex step of the claimed gradient, ``w^T H v``) is
    compared with the mixed second central difference of ``phi``,
    ``(phi(x+sv+sw) - phi(x+sv-sw) - phi(x-sv+sw) + phi(x-sv-sw)) / 4s^2``,
    ``s`` = :data:`SECOND_ORDER_STEP`, by the per-entry criterion of :func:`check_vjp` (each
    direction pair an entry; its rounding ``K eps`` times the four sums' magnitudes over ``4s^2``,
    plus ``K eps sum|w_j g_j|`` for the claimed side's inner product).
    A backward that is right at ``x`` but uses a value that does not move with ``x`` (a stale
    cache, a constant where a function of the input belongs) passes :func:`check_vjp` and fails here.
    """
    method = "second-order"
    rng = np.random.default_rng(0) if rng is None else rng
    rtol = TOLERANCES[method] if rtol is None else rtol
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(f(x))
    dout = rng.standard_normal(y.shape) if dout is None else np.asarray(dout, dtype=np.float64)
    s, hc, eps = SECOND_ORDER_STEP, COMPLEX_STEP, np.finfo(np.float64).eps
    analytic, numeric, res = [], [], []
    for _ in range(directions):
        v, w = rng.standard_normal((2,) + x.shape)
        try:
            g = np.asarray(grad(x + 1j * hc * v))
        except (TypeError, ValueError) as e:
            return Check(topic, name, method, np.inf, rtol, False, f"the complex step cannot run through grad: {e}")
        if g.shape != x.shape or not np.iscomplexobj(g):
            return Check(topic, name, method, np.inf, rtol, False,
                         f"grad must return a complex array of x's shape {x.shape}, got {g.dtype} {g.shape}")
        gw = np.imag(g) * w / hc
        analytic.append(np.sum(gw))
        terms = [dout * np.asarray(f(x + a * s * v + b * s * w)) for a, b in ((1, 1), (1, -1), (-1, 1), (-1, -1))]
        numeric.append((np.sum(terms[0]) - np.sum(terms[1]) - np.sum(terms[2]) + np.sum(terms[3])) / (4 * s * s))
        res.append(RESOLUTION_FACTOR * eps * (sum(np.sum(np.abs(t)) for t in terms) / (4 * s * s)
                                              + np.sum(np.abs(gw))))
    analytic, numeric, res = (np.array(a, dtype=np.float64) for a in (analytic, numeric, res))
    ratio, scale, diff, tol, unresolved = _judge(analytic, numeric, res, rtol, 0.0)
    k = int(np.argmax(ratio))
    note = (f"; {int(unresolved.sum())} of {directions} direction pairs below the resolution, not verified"
            if unresolved.any() else "")
    if unresolved.all():
        return Check(topic, name, method, np.nan, rtol, False, f"no direction pair above the resolution{note}",
                     int(unresolved.sum()), directions)
    err, tol_rel = (diff[k] / scale[k], tol[k] / scale[k]) if scale[k] > 0 else (0.0, rtol)
    detail = (f"w^T H v along {directions} random direction pairs; worst pair {k + 1}: claimed {analytic[k]:.6g}, "
              f"numeric {numeric[k]:.6g}, |difference| {diff[k]:.2g}, relative {err:.2g} (its tolerance "
              f"{tol_rel:.2g}){note}")
    return Check(topic, name, method, float(err), float(tol_rel), bool(ratio[k] <= 1.0), detail,
                 int(unresolved.sum()), directions)


def assert_vjp(f: Callable, vjp: Callable, *args: ArrayLike, **kwargs) -> Check:
    """:func:`check_vjp`, raising :class:`CheckFailed` with its detail (the argument, the entry,
    both values) when it fails; the Check otherwise."""
    return require(check_vjp(f, vjp, *args, **kwargs))[0]


def check_gradient(loss: Callable, grad: ArrayLike | Sequence[ArrayLike], *args: ArrayLike, **kwargs) -> Check:
    """Check a claimed gradient of a scalar ``loss(*args)``: an array for one argument, one per
    argument otherwise (:func:`check_vjp` with ``dout = 1``)."""
    grads = [grad] if len(args) == 1 else list(grad)
    return check_vjp(loss, lambda g: tuple(g * np.asarray(gr) for gr in grads) if len(args) > 1
                     else g * np.asarray(grads[0]), *args, dout=np.float64(1.0), **kwargs)


def check_derivative(f: Callable, df: Callable, x: ArrayLike, **kwargs) -> Check:
    """Check a claimed elementwise derivative ``df`` of an elementwise ``f`` at ``x``.

    The claimed Jacobian is ``diag(df(x))``, so its VJP is ``dout * df(x)``; the numeric
    side differentiates ``f`` as a general map, so a non-elementwise ``f`` also fails.
    """
    return check_vjp(f, lambda g: g * np.asarray(df(x)), x, **kwargs)
