"""Proofs at symbolic size: a matrix formula's entries in index notation, with the sizes left
as symbols.

A gradient ``dL/dX = C`` of a scalar ``L`` is proved at symbolic size by writing ``L`` and
``C`` entry by entry (``M[i, j]`` of a SymPy matrix expression is its entry: a ``Sum`` over
a symbolic range for a product), differentiating ``L`` with respect to one entry ``X[a, b]``
whose indices are symbols, and showing that the difference to ``C[a, b]`` is zero. Two
devices make SymPy finish the proof:

* **ranges by construction**: the entry's indices are nonnegative symbols and each size they
  run over is written ``a + 1 + u`` with a nonnegative slack ``u``, so "``0 <= a < size``" holds
  by the symbols' assumptions and the conditions SymPy's delta summation attaches vanish;
* **the delta's index innermost**: a derivative of a sum is a sum of Kronecker deltas, and SymPy
  sums a delta only over its innermost limit, so :func:`collapse` moves each such limit inward.

A difference that does not reduce to zero is evaluated at small explicit sizes and a random
point: a nonzero value refutes the formula; no decision is a failure too, never a pass.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, replace

import sympy as sp
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import verify


def entry(expr, i, j=0):
    """The (i, j) entry of a matrix expression, in index notation (a product's entry is a
    ``Sum`` over its inner size); a scalar expression (a ``Trace``, an entry of a 1 x 1
    product) with every trace written as the sum of its diagonal."""
    if getattr(expr, "is_Matrix", False):
        return expr[i, j]
    return scalar(expr)


def scalar(expr):
    """A scalar built from matrix expressions, in index notation: Trace(M) is sum_k M[k, k]."""
    if getattr(expr, "is_Matrix", False):
        if expr.shape != (1, 1):
            raise ValueError(f"scalar: a {expr.shape} matrix is not a scalar")
        return scalar(expr[0, 0])

    def trace(t):
        M = t.arg
        k = sp.Dummy("k", integer=True)
        return sp.Sum(M[k, k], (k, 0, M.shape[0] - 1))
    return expr.replace(lambda t: isinstance(t, sp.Trace), trace)


def inner(G, out):
    """sum_ij G[i, j] out[i, j]: the scalar whose gradient with respect to an input is the
    vector-Jacobian product of ``out`` with the upstream gradient ``G`` (same shape)."""
    i, j = sp.Dummy("i", integer=True), sp.Dummy("j", integer=True)
    rows, cols = out.shape
    return sp.Sum(G[i, j] * out[i, j], (i, 0, rows - 1), (j, 0, cols - 1))


# ----------------------------------------------------------------------------- simplification

def collapse(expr):
    """``expr`` with every sum evaluated that SymPy can evaluate: a limit whose variable sits
    in a Kronecker delta is made innermost before it is summed (SymPy's delta summation acts on
    the innermost limit only), and nested sums are done from the inside out."""
    def visit(s):
        f, limits = collapse(s.function), list(s.limits)
        for k in [k for k, (_, lo, hi) in enumerate(limits) if (hi - lo).is_Integer][::-1]:
            f = sp.Sum(f, limits.pop(k)).doit()        # a range of explicit length: written out
        progress = True
        while progress and limits:
            progress = False
            f = sp.expand(f)
            for k, (v, lo, hi) in enumerate(limits):
                if any(v in d.free_symbols for d in f.atoms(sp.KroneckerDelta)):
                    f = sp.piecewise_fold(sp.Sum(f, (v, lo, hi)).doit())
                    limits.pop(k)
                    progress = True
                    break
        return sp.Sum(f, *limits) if limits else f
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.Sum):
        return visit(expr)
    if not expr.args:
        return expr
    return expr.func(*[collapse(a) for a in expr.args])


def _flatten(term):
    """(coefficient-free summand, limits) of one additive term: factors free of the summation
    variables moved inside, nested sums merged into one with all their limits."""
    limits = []
    factors = []
    for f in sp.Mul.make_args(term):
        while isinstance(f, sp.Sum):
            limits.extend(f.limits)
            f = f.function
            if isinstance(f, sp.Mul):
                factors.extend(sp.Mul.make_args(f)[:-1])
                f = sp.Mul.make_args(f)[-1]
        factors.append(f)
    return sp.Mul(*factors), tuple(limits)


def _canonical(summand, limits):
    """A sum with its variables renamed in order (k_0, k_1, ...) so that equal sums written
    with different dummy variables compare equal; the limits are ordered by their ranges."""
    order = sorted(range(len(limits)), key=lambda n: sp.default_sort_key(limits[n][1:]))
    rename, new = {}, []
    for pos, n in enumerate(order):
        v, lo, hi = limits[n]
        k = sp.Symbol(f"k_{pos}", integer=True)
        rename[v] = k
        new.append((k, lo, hi))
    return summand.xreplace(rename), tuple(new)


def _groups(d):
    """The terms of ``d`` grouped by their (canonical) summation ranges: ranges -> summand."""
    out: dict = {}
    for t in sp.Add.make_args(sp.expand(d)):
        f, limits = _flatten(t)
        f, limits = _canonical(f, limits)
        key = tuple((lo, hi) for _, lo, hi in limits)
        out[key] = out.get(key, 0) + f
    return out


def _canonical_dummies(e):
    """``e`` with the variable of every sum renamed after the sum's nesting height and range
    (bottom up), so that equal sums written with different dummy variables compare equal, also
    inside a function's argument (tanh(sum_k W[a, k] h[k]) from either side of an identity).
    Nested sums have different heights, so no variable is captured."""
    def visit(t):
        if not t.args:
            return t, 0
        parts = [visit(a) for a in t.args]
        height = max((h for _, h in parts), default=0)
        if not isinstance(t, sp.Sum):
            return t.func(*[a for a, _ in parts]), height
        f, limits = parts[0][0], []
        for pos, (v, lo, hi) in enumerate(t.limits):
            k = sp.Symbol(f"j_{height}_{pos}", integer=True)
            f = f.xreplace({v: k})
            limits.append((k, lo, hi))
        return sp.Sum(f, *limits), height + 1
    return visit(e)[0] if isinstance(e, sp.Basic) else e


def _opaque_entries(e):
    """``e`` with every matrix entry (and any remaining sum) replaced by a plain symbol, the
    same symbol for the same entry: what :func:`verify._zero_as_rational_function` can read."""
    from sympy.core.function import AppliedUndef

    e = _canonical_dummies(e)
    e = e.replace(lambda t: isinstance(t, sp.Subs), lambda t: t.doit())
    for kind in (sp.Derivative, AppliedUndef, (MatrixElement, sp.Indexed)):
        # f'(Z[a, b]) is one unknown, f(Z[a, b]) another, each entry another; named apart
        # (verify's random point gives a symbol a value fixed by its name)
        atoms = sorted(e.atoms(*kind) if isinstance(kind, tuple) else e.atoms(kind), key=sp.default_sort_key)
        e = e.xreplace({a: sp.Symbol(f"{kind.__name__ if not isinstance(kind, tuple) else 'entry'}_{k}", real=True)
                        for k, a in enumerate(atoms)})
    return e


def is_zero(d) -> bool:
    """True when ``d`` (index notation, already collapsed) is identically zero: grouped by
    summation range, each group's summand is the zero rational function of the matrix entries
    and the function applications in it (:func:`verify._zero_as_rational_function`)."""
    if d == 0:
        return True
    for summand in _groups(d).values():
        e = _opaque_entries(summand)
        if e != 0 and not verify._zero_as_rational_function(e) and sp.simplify(e) != 0:
            return False
    return True


# ----------------------------------------------------------------------------- instances

def instantiate(expr, values: dict):
    """``expr`` at explicit sizes and indices (``values``: symbol -> integer): every sum
    written out, matrix entries as plain symbols named after the entry (W2[0, 1] -> W2_0_1)."""
    e = expr.xreplace({s: sp.Integer(v) for s, v in values.items()}).doit()
    e = collapse(e) if e.has(sp.Sum) else e

    def name(m):
        return sp.Symbol(f"{m.parent}_{m.i}_{m.j}", real=True)
    return e.replace(lambda t: isinstance(t, MatrixElement) and t.i.is_Integer and t.j.is_Integer, name)


@dataclass(frozen=True)
class Entry:
    """An entry (a, b) of a matrix symbol and the substitution that puts it in range: each
    symbolic size it runs over is written as index + 1 + a nonnegative slack."""

    indices: tuple
    sizes: dict          # size symbol -> index + 1 + slack
    slacks: tuple


def entry_cases(X) -> list[Entry]:
    """The cases that cover every entry of X: one, unless both of X's sizes are the same symbol
    (a square matrix), when the entries with a <= b and with a > b are two cases."""
    rows, cols = X.shape
    a, b = sp.symbols("a b", integer=True, nonnegative=True)
    u, s, c = sp.symbols("u s c", integer=True, nonnegative=True)
    if cols == 1 and rows.is_Symbol:
        return [Entry((a, 0), {rows: a + 1 + u}, (u,))]
    if rows.is_Symbol and cols.is_Symbol and rows != cols:
        return [Entry((a, b), {rows: a + 1 + u, cols: b + 1 + s}, (u, s))]
    if rows.is_Symbol and rows == cols:
        # b = a + c, and b = a - 1 - c: the two orders of the indices
        return [Entry((a, a + c), {rows: a + c + 1 + u}, (u, c)),
                Entry((b + 1 + c, b), {rows: b + c + 2 + u}, (u, c))]
    if rows == 1 and cols.is_Symbol:
        return [Entry((0, b), {cols: b + 1 + s}, (s,))]
    raise ValueError(f"entry_cases: sizes {X.shape} must be symbols or 1")


# ----------------------------------------------------------------------------- proofs

def derivative_entry(L, X, case: Entry):
    """dL/dX[a, b] at symbolic size, collapsed: ``L`` a scalar in index notation."""
    sub = case.sizes
    Xs = X.xreplace(sub)
    return collapse(sp.diff(L.xreplace(sub), Xs[case.indices]))


def _refute(d, sizes, case: Entry, tries: int = 3):
    """A small instance (sizes, entry) where ``d`` is nonzero, and its value; None if none of
    ``tries`` instances shows it."""
    free = sorted((d.free_symbols & set(sizes)) | set(case.slacks)
                  | {s for i in case.indices for s in sp.sympify(i).free_symbols}, key=str)
    for t in range(tries):
        values = {s: (t + k) % 3 + (1 if s in sizes else 0) for k, s in enumerate(free)}
        try:
            e = _opaque_entries(instantiate(d, values))
        except (TypeError, ValueError):     # a condition SymPy cannot order: no witness here
            continue
        witness = verify._nonzero_at_random_point(e) if e != 0 else None
        if witness is not None:
            shown = {str(k): v for k, v in values.items() if k in sizes or k in case.indices}
            shown.update({str(k): int(v.xreplace(values)) for k, v in case.sizes.items()})
            return shown, witness
    return None


def _number(z: complex) -> str:
    return f"{z.real:.3g}" if z.imag == 0 else f"{z:.3g}"


def prove_gradient(topic: str, name: str, L, X, claim, sizes) -> verify.Check:
    """Prove dL/dX = ``claim`` at symbolic size: ``L`` a scalar (matrix expressions allowed:
    traces, entries), ``X`` a MatrixSymbol whose sizes are symbols or 1, ``claim`` a matrix
    expression of X's shape; ``sizes`` the size symbols. Every entry (a, b) at once, every
    size at once; the check records the proof's time."""
    start = time.perf_counter()
    if getattr(claim, "shape", None) != X.shape:
        return verify.Check(topic, name, "symbolic size", float("inf"), 0.0, False,
                            f"the claim's shape {getattr(claim, 'shape', ())} is not {X.shape}")
    L = scalar(L)
    for case in entry_cases(X):
        d = derivative_entry(L, X, case) - collapse(entry(claim.xreplace(case.sizes), *case.indices))
        if not is_zero(d):
            found = _refute(d, sizes, case)
            detail = ("undecided: SymPy could not reduce the difference to 0" if found is None else
                      f"the difference is {_number(found[1])} at "
                      + ", ".join(f"{k} = {v}" for k, v in found[0].items()))
            return verify.Check(topic, name, "symbolic size", float("inf"), 0.0, False, detail)
    return verify.Check(topic, name, "symbolic size", 0.0, 0.0, True,
                        seconds=time.perf_counter() - start)


def prove_vjp(topic: str, name: str, out, X, G, claim, sizes) -> verify.Check:
    """Prove that the vector-Jacobian product of ``out`` (a matrix expression in X) with the
    upstream gradient ``G`` (out's shape) is ``claim``: d/dX sum_ij G_ij out_ij = claim."""
    return prove_gradient(topic, name, inner(G, out), X, claim, sizes)


def instances_agree(topic: str, name: str, L, X, sizes: dict) -> verify.Check:
    """The symbolic-size derivative dL/dX[a, b], instantiated at the explicit ``sizes`` (size
    symbol -> integer) for every entry, against the derivative SymPy takes of ``L`` written
    out at those sizes with respect to each explicit entry: a guard against a symbolic-size
    derivative that is silently wrong (0, or transposed)."""
    start = time.perf_counter()
    L = scalar(L)
    rows, cols = (int(sp.sympify(s).xreplace(sizes)) for s in X.shape)
    cases = [(case, derivative_entry(L, X, case)) for case in entry_cases(X)]
    written_out = instantiate(L, sizes)
    got, want = sp.zeros(rows, cols), sp.zeros(rows, cols)
    for r, c in itertools.product(range(rows), range(cols)):
        for case, derivative in cases:
            values = _solve_case(case, (r, c), sizes)
            if values is not None:
                break
        else:
            return verify.Check(topic, name, "symbolic size, instantiated", float("inf"), 0.0, False,
                                f"no case covers entry ({r}, {c})")
        got[r, c] = instantiate(derivative, values).doit()
        want[r, c] = sp.diff(written_out, sp.Symbol(f"{X.name}_{r}_{c}", real=True)).doit()
    return replace(verify.symbolic_identity(topic, name, got, want), method="symbolic size, instantiated",
                   seconds=time.perf_counter() - start)


def _solve_case(case: Entry, rc, sizes):
    """The values of a case's index and slack symbols that give entry ``rc`` at ``sizes``
    (size symbol -> integer), or None if the case does not contain that entry."""
    unknowns = sorted({s for i in case.indices for s in sp.sympify(i).free_symbols} | set(case.slacks), key=str)
    equations = [sp.Eq(sp.sympify(i), v) for i, v in zip(case.indices, rc)]
    equations += [sp.Eq(e, sizes[s]) for s, e in case.sizes.items()]
    solution = sp.solve(equations, unknowns, dict=True)
    if len(solution) != 1 or any(not v.is_Integer or v < 0 for v in solution[0].values()):
        return None
    return {**{s: v for s, v in sizes.items() if s not in case.sizes}, **solution[0]}


def explicit_matrices(symbols, sizes: dict) -> dict:
    """MatrixSymbol -> an explicit matrix of real symbols named as :func:`instantiate` names
    entries, at the explicit ``sizes``."""
    out = {}
    for M in symbols:
        r, c = (int(sp.sympify(s).xreplace(sizes)) for s in M.shape)
        out[M] = sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{M.name}_{i}_{j}", real=True))
    return out


@dataclass(frozen=True)
class GradientClaim:
    """A claimed gradient dL/dX = ``claim`` at symbolic size, as data: its checks prove it
    (:func:`prove_gradient`) and compare the symbolic-size derivative with the explicit one at
    ``instances`` (:func:`instances_agree`); tests mutate ``claim`` and see the proof fail."""

    name: str               # the formula in plain text, e.g. "dL/dW2 = Delta2^T H"
    L: sp.Basic             # a scalar: a loss, or sum_ij G_ij out_ij for a vector-Jacobian product
    X: sp.MatrixSymbol
    claim: sp.Basic
    sizes: tuple            # the size symbols, in the order the names below list them
    instances: tuple = ()   # explicit sizes (tuples in the order of ``sizes``) to instantiate at

    def sizes_text(self) -> str:
        return ", ".join(map(str, self.sizes))

    def prove(self, topic: str) -> verify.Check:
        return prove_gradient(topic, f"{self.name}: index notation, any {self.sizes_text()}",
                              self.L, self.X, self.claim, self.sizes)

    def instance_checks(self, topic: str) -> list[verify.Check]:
        return [instances_agree(topic, f"{self.name}: the symbolic-size derivative at "
                                f"({self.sizes_text()}) = {tuple(v)} equals the explicit one",
                                self.L, self.X, dict(zip(self.sizes, v)))
                for v in self.instances]

    def checks(self, topic: str) -> list[verify.Check]:
        return [self.prove(topic), *self.instance_checks(topic)]


def vjp_claim(name: str, out, X, G, claim, sizes, instances=()) -> GradientClaim:
    """The claim that the vector-Jacobian product of ``out`` with ``G`` is ``claim``."""
    return GradientClaim(name, inner(G, out), X, claim, tuple(sizes), tuple(instances))
