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

__all__ = ["entry", "scalar", "inner", "collapse", "is_zero", "canonical_bound", "instantiate", "written_out",
           "Entry", "entry_cases", "derivative_entry", "prove_gradient", "prove_vjp", "prove_identity",
           "prove_matrix_identity", "instances_agree", "entries_instances_agree", "sizes_at",
           "GradientClaim", "vjp_claim", "IdentityClaim"]


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
        f, limits = _within_ranges(collapse(s.function), s.limits), list(s.limits)
        for k in [k for k, (_, lo, hi) in enumerate(limits) if (hi - lo).is_Integer][::-1]:
            # a range of explicit length: written out (deep=False: SymPy's doit would retry each
            # inner sum it cannot do, such as sum_j e^{z_j}, at length; collapse does the rest)
            f = collapse(sp.Sum(f, limits.pop(k)).doit(deep=False))
        return _sum_terms(f, limits)
    if not isinstance(expr, sp.Basic):
        return expr
    if isinstance(expr, sp.Sum):
        return visit(expr)
    if not expr.args:
        return expr
    return expr.func(*[collapse(a) for a in expr.args])


def _within_ranges(f, limits):
    """``f`` with each Piecewise condition that the summation ``limits`` imply made True: an
    inner delta summed over [lo, hi] asks lo <= v <= hi of an outer summation variable v, which
    holds when v runs over that range (SymPy cannot know it of a bound variable)."""
    def implied(rel):
        if not isinstance(rel, (sp.LessThan, sp.GreaterThan)):
            return False
        gap = rel.rhs - rel.lhs if isinstance(rel, sp.LessThan) else rel.lhs - rel.rhs   # >= 0 is claimed
        return any(((gap - (hi - v)).is_nonnegative or (gap - (v - lo)).is_nonnegative) for v, lo, hi in limits)

    def simplify(pw):
        pairs = []
        for e, c in pw.args:
            parts = sp.And.make_args(c)
            if isinstance(c, (sp.And, sp.LessThan, sp.GreaterThan)) and all(map(implied, parts)):
                c = sp.true
            pairs.append((e, c))
        return sp.Piecewise(*pairs)
    return f.replace(lambda t: isinstance(t, sp.Piecewise), simplify) if f.has(sp.Piecewise) else f


def _sum_terms(f, limits):
    """The sum of ``f`` over ``limits``, term by term: a term's limit whose variable sits in a
    delta of the term is summed (SymPy's delta summation), and what it leaves is summed over the
    other limits in turn; a term with no such limit stays a sum. Term by term, SymPy does not
    search for a closed form of the terms it cannot sum (Gosper's algorithm on sum_k Y_ak e^Z_ab
    / S_a fails, slowly); deep=False: the summand's own sums are collapsed already."""
    if not limits:
        return f
    out = []
    for t in sp.Add.make_args(sp.expand(f)):
        deltas = t.atoms(sp.KroneckerDelta)
        k = next((k for k, (v, _, _) in enumerate(limits) if any(v in d.free_symbols for d in deltas)), None)
        if k is None:
            out.append(sp.Sum(t, *limits))
            continue
        rest = limits[:k] + limits[k + 1:]
        summed = sp.piecewise_fold(sp.Sum(t, limits[k]).doit(deep=False))
        out.append(_sum_terms(_within_ranges(summed, rest), rest))
    return sp.Add(*out)


def _flatten(term):
    """(coefficient-free summand, limits) of one additive term: factors free of the summation
    variables moved inside, nested sums merged into one with all their limits."""
    limits = []
    factors = []
    for f in sp.Mul.make_args(term):
        while isinstance(f, sp.Sum):
            # fresh variables where two sums multiplied use the same name for their own indices
            taken = {v for v, _, _ in limits}
            fresh = {v: sp.Dummy(v.name, integer=True) for v, _, _ in f.limits if v in taken}
            limits.extend((fresh.get(v, v), lo.xreplace(fresh), hi.xreplace(fresh)) for v, lo, hi in f.limits)
            f = f.function.xreplace(fresh)
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
    # a range may depend on an outer variable (i from 1 to n_k): renamed there too
    return summand.xreplace(rename), tuple((k, lo.xreplace(rename), hi.xreplace(rename)) for k, lo, hi in new)


def _groups(d):
    """The terms of ``d`` grouped by their (canonical) summation ranges: ranges -> summand."""
    out: dict = {}
    for t in sp.Add.make_args(sp.expand(d)):
        f, limits = _flatten(t)
        f, limits = _canonical(f, limits)
        key = tuple((lo, hi) for _, lo, hi in limits)
        out[key] = out.get(key, 0) + f
    return out


def canonical_bound(e):
    """``e`` with the variables bound by each Sum and Subs in it renamed by their place (the
    number of sums and substitutions nested inside, the position among the limits), so that
    f'(sum_k W_ik h_k) written with other dummy variables is the same expression."""
    def rename(t):
        inner = sum(1 for u in sp.preorder_traversal(t.args[0]) if isinstance(u, (sp.Sum, sp.Subs)))
        bound = [lim[0] for lim in t.limits] if isinstance(t, sp.Sum) else list(t.variables)
        new = {v: sp.Symbol(f"_b{inner}_{k}", **v.assumptions0) for k, v in enumerate(bound)}
        return t.xreplace(new)
    return e.replace(lambda t: isinstance(t, (sp.Sum, sp.Subs)), rename) if e.has(sp.Sum, sp.Subs) else e


def _opaque_entries(e):
    """``e`` with every matrix entry (and any remaining sum) replaced by a plain symbol, the
    same symbol for the same entry: what ``verify._zero_as_rational_function`` can read."""
    from sympy.core.function import AppliedUndef

    e = canonical_bound(e.replace(lambda t: isinstance(t, sp.Subs), lambda t: t.doit()))
    # a sum left inside a term (a softmax's denominator sum_j e^{Z_aj}, its variables named by
    # canonical_bound) is one unknown; a Subs left (f' at a sum: SymPy cannot substitute it)
    # another, like f'(Z[a, b])
    for kind in (sp.Sum, sp.Subs, sp.Derivative, AppliedUndef, (MatrixElement, sp.Indexed)):
        # f'(Z[a, b]) is one unknown, f(Z[a, b]) another, each entry another; named apart
        # (verify's random point gives a symbol a value fixed by its name)
        atoms = sorted(e.atoms(*kind) if isinstance(kind, tuple) else e.atoms(kind), key=sp.default_sort_key)
        e = e.xreplace({a: sp.Symbol(f"{kind.__name__ if not isinstance(kind, tuple) else 'entry'}_{k}", real=True)
                        for k, a in enumerate(atoms)})
    return e


def is_zero(d) -> bool:
    """True when ``d`` (index notation, already collapsed) is identically zero: grouped by
    summation range, each group's summand is the zero rational function of the matrix entries
    and the function applications in it (``verify._zero_as_rational_function``)."""
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
    """dL/dX[a, b] at symbolic size, collapsed: ``L`` a scalar in index notation. Computed once
    per (L, X, case): the proof and its instances at explicit sizes read the same derivative."""
    key = (L, X, case.indices, tuple(case.sizes.items()))
    if key not in _DERIVATIVES:
        sub = case.sizes
        _DERIVATIVES[key] = collapse(sp.diff(L.xreplace(sub), X.xreplace(sub)[case.indices]))
    return _DERIVATIVES[key]


_DERIVATIVES: dict = {}     # derivative_entry's results (SymPy expressions are immutable)


def _witness(d, values: dict, write):
    """The value of ``d`` written out at ``values`` (by ``write``: :func:`instantiate` or
    :func:`written_out`) at a random point, if it is nonzero there; else None."""
    try:
        e = _opaque_entries(write(d, values))
    except (TypeError, ValueError):     # a condition SymPy cannot order: no witness here
        return None
    return verify._nonzero_at_random_point(e) if e != 0 else None


def _refute(d, sizes, case: Entry, tries: int = 3):
    """A small instance (sizes, entry) where ``d`` is nonzero, and its value; None if none of
    ``tries`` instances shows it."""
    free = sorted((d.free_symbols & set(sizes)) | set(case.slacks)
                  | {s for i in case.indices for s in sp.sympify(i).free_symbols}, key=str)
    for t in range(tries):
        values = {s: (t + k) % 3 + (1 if s in sizes else 0) for k, s in enumerate(free)}
        witness = _witness(d, values, instantiate)
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
        d = derivative_entry(L, X, case) - entry_in_case(claim, case)
        if not is_zero(d):
            return _failed(topic, name, d, sizes, case)
    return verify.Check(topic, name, "symbolic size", 0.0, 0.0, True,
                        seconds=time.perf_counter() - start)


def result_cases(shape) -> list[Entry]:
    """The cases that cover every entry of a result of ``shape`` (:func:`entry_cases`); a
    1 x 1 result, a scalar, is its one entry (0, 0)."""
    if tuple(shape) == (1, 1):
        return [Entry((0, 0), {}, ())]
    return entry_cases(sp.MatrixSymbol("M", *shape))


def entry_in_case(expr, case: Entry):
    """Entry ``case.indices`` of ``expr`` (a matrix expression, or a scalar built from them) in
    index notation, with the case's sizes substituted, collapsed."""
    return collapse(entry(expr.xreplace(case.sizes), *case.indices))


def _shape(expr):
    return tuple(expr.shape) if getattr(expr, "is_Matrix", False) else (1, 1)


def prove_matrix_identity(topic: str, name: str, lhs, rhs, sizes) -> verify.Check:
    """Prove the matrix identity ``lhs = rhs`` at symbolic size, entry (a, b) for every a, b
    (both sides' sizes symbols or 1; a 1 x 1 side may be a scalar, such as a trace); a failure
    is refuted with a small instance as in :func:`prove_gradient`."""
    start = time.perf_counter()
    if _shape(lhs) != _shape(rhs):
        return verify.Check(topic, name, "symbolic size", float("inf"), 0.0, False,
                            f"shapes differ: {_shape(lhs)} vs {_shape(rhs)}")
    for case in result_cases(_shape(lhs)):
        d = entry_in_case(lhs, case) - entry_in_case(rhs, case)
        if not is_zero(d):
            return _failed(topic, name, d, sizes, case)
    return verify.Check(topic, name, "symbolic size", 0.0, 0.0, True, seconds=time.perf_counter() - start)


def _failed(topic: str, name: str, d, sizes, case: Entry) -> verify.Check:
    found = _refute(d, sizes, case)
    detail = ("undecided: SymPy could not reduce the difference to 0" if found is None else
              f"the difference is {_number(found[1])} at " + ", ".join(f"{k} = {v}" for k, v in found[0].items()))
    return verify.Check(topic, name, "symbolic size", float("inf"), 0.0, False, detail)


def prove_vjp(topic: str, name: str, out, X, G, claim, sizes) -> verify.Check:
    """Prove that the vector-Jacobian product of ``out`` (a matrix expression in X) with the
    upstream gradient ``G`` (out's shape) is ``claim``: d/dX sum_ij G_ij out_ij = claim."""
    return prove_gradient(topic, name, inner(G, out), X, claim, sizes)


def written_out(expr, values: dict):
    """``expr`` at explicit sizes: ``values`` (a size symbol, or an indexed size such as n[2],
    -> integer) substituted until every sum over them is written out."""
    def outer_written_out(t):
        # the outermost limit first: an inner range may depend on it (i from 1 to n_k)
        *inner, (v, lo, hi) = t.limits
        if not (hi - lo).is_Integer:
            return t
        body = sp.Sum(t.function, *inner) if inner else t.function
        return sp.Add(*[body.xreplace({v: lo + j}) for j in range(int(hi - lo) + 1)])

    e = sp.sympify(expr)
    for _ in range(4):       # a count K written out brings in the sizes n[1], ..., n[K]
        new = e.xreplace({s: sp.Integer(v) for s, v in values.items()})
        new = new.replace(lambda t: isinstance(t, sp.Sum), outer_written_out).doit()
        if new == e:
            break
        e = new
    return e


def prove_identity(topic: str, name: str, a, b, instances=()) -> verify.Check:
    """Prove the scalar identity a = b at symbolic size: both sides in index notation (sums over
    symbolic ranges, Kronecker deltas), their difference collapsed and zero by :func:`is_zero`.
    A difference that does not reduce is written out at the explicit ``instances`` (dicts for
    :func:`written_out`) and evaluated at a random point: a nonzero value refutes the identity,
    and no value found is a failure too (undecided)."""
    start = time.perf_counter()
    d = collapse(sp.sympify(a) - sp.sympify(b))
    if is_zero(d):
        return verify.Check(topic, name, "symbolic size", 0.0, 0.0, True, seconds=time.perf_counter() - start)
    detail = "undecided: SymPy could not reduce the difference to 0"
    for values in instances:
        witness = _witness(d, values, written_out)
        if witness is not None:
            detail = (f"the difference is {_number(witness)} at "
                      + ", ".join(f"{k} = {v}" for k, v in values.items()))
            break
    return verify.Check(topic, name, "symbolic size", float("inf"), 0.0, False, detail,
                        seconds=time.perf_counter() - start)


def instances_agree(topic: str, name: str, L, X, sizes: dict) -> verify.Check:
    """The symbolic-size derivative dL/dX[a, b], instantiated at the explicit ``sizes`` (size
    symbol -> integer) for every entry, against the derivative SymPy takes of ``L`` written
    out at those sizes with respect to each explicit entry: a guard against a symbolic-size
    derivative that is silently wrong (0, or transposed)."""
    start = time.perf_counter()
    L = scalar(L)
    rows, cols = (int(sp.sympify(s).xreplace(sizes)) for s in X.shape)
    cases = [(case, derivative_entry(L, X, case)) for case in entry_cases(X)]
    L_explicit = instantiate(L, sizes)
    got, want = sp.zeros(rows, cols), sp.zeros(rows, cols)
    for r, c in itertools.product(range(rows), range(cols)):
        covered = _covering(cases, (r, c), sizes)
        if covered is None:
            return _uncovered(topic, name, (r, c))
        derivative, values = covered
        got[r, c] = instantiate(derivative, values).doit()
        want[r, c] = sp.diff(L_explicit, sp.Symbol(f"{X.name}_{r}_{c}", real=True)).doit()
    return replace(verify.symbolic_identity(topic, name, got, want), method="symbolic size, instantiated",
                   seconds=time.perf_counter() - start)


def _solve_case(case: Entry, rc, sizes):
    """The values of a case's index and slack symbols that give entry ``rc`` at ``sizes``
    (size symbol -> integer), or None if the case does not contain that entry. Each equation
    (an index, or a size, equal to its value) is linear with unit coefficients in the symbols
    of :func:`entry_cases`; they are solved one unknown at a time."""
    equations = [(sp.sympify(i), v) for i, v in zip(case.indices, rc)]
    equations += [(e, sizes[s]) for s, e in case.sizes.items()]
    values: dict = {}
    while equations:
        for k, (lhs, want) in enumerate(equations):
            unknown = lhs.free_symbols - set(values)
            if len(unknown) <= 1:
                break
        else:
            return None
        lhs, want = equations.pop(k)
        rest = lhs.xreplace({**values, **{u: 0 for u in unknown}})
        if unknown:
            (u,) = unknown
            coefficient = lhs.coeff(u)
            value = (want - rest) / coefficient
            if not (value.is_Integer and value >= 0):
                return None
            values[u] = value
        elif rest != want:
            return None
    return {**{s: v for s, v in sizes.items() if s not in case.sizes}, **values}


def _covering(cases, rc, sizes):
    """(what the first case covering the explicit entry ``rc`` holds, the values of that case's
    indices and sizes) for ``cases``, pairs (case, what it holds); None when no case covers it."""
    for case, held in cases:
        values = _solve_case(case, rc, sizes)
        if values is not None:
            return held, values
    return None


def _uncovered(topic: str, name: str, rc) -> verify.Check:
    return verify.Check(topic, name, "symbolic size, instantiated", float("inf"), 0.0, False,
                        f"no case covers entry ({rc[0]}, {rc[1]})")


def sizes_at(sizes, values) -> str:
    """The sizes and their values as a check's name gives them: "n = 2", "(N, C) = (3, 2)"."""
    if len(sizes) == 1:
        return f"{sizes[0]} = {values[0]}"
    return f"({', '.join(map(str, sizes))}) = ({', '.join(map(str, values))})"


class _Claim:
    """What a claim of this module does with its ``name``, ``sizes`` and ``instances``: its
    name's sizes, and its checks (the proof, then one instance check per explicit size)."""

    def sizes_text(self) -> str:
        return ", ".join(map(str, self.sizes))

    def checks(self, topic: str) -> list[verify.Check]:
        return [self.prove(topic), *self.instance_checks(topic)]


@dataclass(frozen=True)
class GradientClaim(_Claim):
    """A claimed gradient dL/dX = ``claim`` at symbolic size, as data: its checks prove it
    (:func:`prove_gradient`) and compare the symbolic-size derivative with the explicit one at
    ``instances`` (:func:`instances_agree`); tests mutate ``claim`` and see the proof fail."""

    name: str               # the formula in plain text, e.g. "dL/dW2 = Delta2^T H"
    L: sp.Basic             # a scalar: a loss, or sum_ij G_ij out_ij for a vector-Jacobian product
    X: sp.MatrixSymbol
    claim: sp.Basic
    sizes: tuple            # the size symbols, in the order the names below list them
    instances: tuple = ()   # explicit sizes (tuples in the order of ``sizes``) to instantiate at

    def prove(self, topic: str) -> verify.Check:
        return prove_gradient(topic, f"{self.name}: index notation, any {self.sizes_text()}",
                              self.L, self.X, self.claim, self.sizes)

    def instance_checks(self, topic: str) -> list[verify.Check]:
        return [instances_agree(topic, f"{self.name}: the symbolic-size derivative at {sizes_at(self.sizes, v)} equals the explicit one",
                                self.L, self.X, dict(zip(self.sizes, v)))
                for v in self.instances]


def vjp_claim(name: str, out, X, G, claim, sizes, instances=()) -> GradientClaim:
    """The claim that the vector-Jacobian product of ``out`` with ``G`` is ``claim``."""
    return GradientClaim(name, inner(G, out), X, claim, tuple(sizes), tuple(instances))


# ----------------------------------------------------------------------------- identities

def entries_instances_agree(topic: str, name: str, exprs, sizes: dict) -> verify.Check:
    """The symbolic-size entries of each of ``exprs`` (index notation, one shape), instantiated
    at the explicit ``sizes`` (size symbol -> integer) for every entry, against the same
    expressions at those sizes made explicit by SymPy's matrix arithmetic: a guard against an
    index-notation entry that is silently wrong (0, or transposed)."""
    start = time.perf_counter()
    shape = _shape(exprs[0])
    explicit = []
    for expr in exprs:
        at = expr.xreplace({s: sp.Integer(v) for s, v in sizes.items()})
        explicit.append(at.as_explicit() if getattr(at, "is_Matrix", False) else sp.Matrix([[at.replace(
            lambda t: isinstance(t, sp.Trace), lambda t: t.arg.as_explicit().trace())]]))
    symbolic = [(case, [entry_in_case(e, case) for e in exprs]) for case in result_cases(shape)]
    got, want = [], []
    for r, c in itertools.product(*map(range, explicit[0].shape)):
        covered = _covering(symbolic, (r, c), sizes)
        if covered is None:
            return _uncovered(topic, name, (r, c))
        entries, values = covered
        got += [instantiate(e, values) for e in entries]
        want += [instantiate(M[r, c], sizes) for M in explicit]
    return replace(verify.symbolic_identity(topic, name, sp.Matrix(got), sp.Matrix(want)),
                   method="symbolic size, instantiated", seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class IdentityClaim(_Claim):
    """A matrix identity ``lhs = rhs`` at symbolic size, as data: its checks prove it
    (:func:`prove_matrix_identity`) and compare both sides' index notation with SymPy's explicit
    matrices at ``instances`` (:func:`entries_instances_agree`); tests mutate a side."""

    name: str
    lhs: sp.Basic
    rhs: sp.Basic
    sizes: tuple
    instances: tuple = ()

    def prove(self, topic: str) -> verify.Check:
        return prove_matrix_identity(topic, f"{self.name}: index notation, any {self.sizes_text()}",
                                     self.lhs, self.rhs, self.sizes)

    def instance_checks(self, topic: str) -> list[verify.Check]:
        return [entries_instances_agree(topic, f"{self.name}: both sides' entries at {sizes_at(self.sizes, v)} equal SymPy's "
                                        "explicit matrices", (self.lhs, self.rhs), dict(zip(self.sizes, v)))
                for v in self.instances]
