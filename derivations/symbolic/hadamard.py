"""The Hadamard product in SymPy: its algebra, and why backprop is full of it.

Each property is written once with SymPy matrix symbols of symbolic size (m x n matrices,
vectors of length n): that is what the page shows. It is proved at symbolic size, entry (a, b)
in index notation (:func:`size_claims`, with the elementwise layer's vector-Jacobian product
and :data:`EXTRA`'s identities), and again by substituting explicit matrices of symbols at two
sizes (:data:`SHAPES`, :data:`LENGTHS`), where the symbolic-size entries are instantiated too. :func:`checks` adds the numeric witnesses (the NumPy
``hadamard`` against the definition, the elementwise backward pass against central
differences, the Jacobians of the figure, the two-layer network's hidden delta) and the
operation counts the page states; :func:`exhibits` is everything the page shows.

>>> from derivations.symbolic.hadamard import PROPERTIES
>>> sorted(PROPERTIES)[:2]
['associative', 'commutative']
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction
from sympy.matrices.expressions.matexpr import MatrixElement

from .. import verify
from ..book import Equation, Figure, Markdown, Panel, aligned
from ..numeric import activations as activations_np
from ..numeric import backprop as backprop_np
from ..numeric import hadamard as hadamard_np
from . import index_notation as ix
from .backprop import fprime
from .common import explicit, matrix, tex, vector
from .index_steps import Partial, StepChain, entry_of, evaluator

__all__ = ["size_claims", "hand_steps", "EXTRA", "SHAPES", "LENGTHS", "PROPERTIES", "DEFINITION", "prove", "matrix_product_commutes",
           "operation_counts", "checks", "exhibits"]

TOPIC = "hadamard"
#: The sizes (m, n) at which the matrix properties are proved.
SHAPES = ((2, 3), (3, 2))
#: The lengths n at which the vector properties are proved.
LENGTHS = (2, 3)

m, n = sp.symbols("m n", positive=True, integer=True)
i, j = sp.symbols("i j", integer=True, nonnegative=True)
A, B, C = (sp.MatrixSymbol(s, m, n) for s in "ABC")
a, b, z = (sp.MatrixSymbol(s, n, 1) for s in ("a", "b", "z"))
dL_dh = sp.MatrixSymbol("dL_dh", n, 1)            # the upstream gradient dL/dh
fprime_z = sp.MatrixSymbol("fprime_z", n, 1)
J = sp.MatrixSymbol("J", n, n)
ONES = sp.MatrixSymbol("ones", m, n)
ONES_R, ONES_C = sp.MatrixSymbol("ones_r", m, 1), sp.MatrixSymbol("ones_c", n, 1)
# E is the m x n matrix of ones; 1_m and 1_n are columns of ones (docs/notation.md)
NAMES = {fprime_z: "f'(z)", dL_dh: r"\frac{\partial L}{\partial h}",
         ONES: "E", ONES_R: r"\mathbf{1}_m", ONES_C: r"\mathbf{1}_n"}
HP = sp.HadamardProduct

_f = sp.Function("f")
_t = sp.Symbol("t", real=True)

#: name -> (what it says in words, left side, right side), as matrix-symbol expressions.
PROPERTIES: dict[str, tuple[str, sp.Expr, sp.Expr]] = {
    "commutative": ("A ⊙ B = B ⊙ A", HP(A, B), HP(B, A)),
    "associative": ("(A ⊙ B) ⊙ C = A ⊙ (B ⊙ C)", HP(HP(A, B), C), HP(A, HP(B, C))),
    "distributive": ("A ⊙ (B + C) = A ⊙ B + A ⊙ C", HP(A, B + C), HP(A, B) + HP(A, C)),
    "identity": ("A ⊙ E = A, E the matrix of ones", HP(A, ONES), A),
    "transpose": ("(A ⊙ B)^T = A^T ⊙ B^T", sp.Transpose(HP(A, B)), HP(A.T, B.T)),
    "diagonal": ("diag(a) b = a ⊙ b", DiagMatrix(a) * b, HP(a, b)),
    "trace": ("tr(A^T B) = sum of the entries of A ⊙ B", sp.Trace(A.T * B),
              ONES_R.T * HP(A, B) * ONES_C),
    "jacobian": ("the Jacobian of h = f(z) elementwise is diag(f'(z))", J, DiagMatrix(fprime_z)),
    "backprop": ("J^T dL/dh = dL/dh ⊙ f'(z)", J.T * dL_dh, HP(dL_dh, fprime_z)),
}
#: The definition, entry (i, j) of A ⊙ B, displayed and evaluated on numbers by the checks.
DEFINITION = (MatrixElement(HP(A, B), i, j), A[i, j] * B[i, j])

EXAMPLE_A = np.array([[1.0, 2.0], [3.0, 4.0]])
EXAMPLE_B = np.array([[5.0, 6.0], [7.0, 8.0]])


def property_latex(name: str) -> str:
    """The property as the page shows it, printed from the expressions that are proved."""
    _, lhs, rhs = PROPERTIES[name]
    return f"{tex(lhs, NAMES)} = {tex(rhs, NAMES)}"


@lru_cache(maxsize=None)
def values(rows: int, cols: int, length: int) -> dict:
    """Explicit matrices of symbols for the matrix symbols at m = rows, n = cols (matrices)
    and n = length (vectors), keyed by the size-substituted matrix symbols."""
    at_m, at_v = {m: rows, n: cols}, {n: length}
    out = {A.subs(at_m): matrix("a", rows, cols), B.subs(at_m): matrix("b", rows, cols),
           C.subs(at_m): matrix("c", rows, cols), ONES.subs(at_m): sp.ones(rows, cols),
           ONES_R.subs(at_m): sp.ones(rows, 1), ONES_C.subs(at_m): sp.ones(cols, 1)}
    zv = vector("z", length)
    out.update({a.subs(at_v): vector("a", length), b.subs(at_v): vector("b", length),
                z.subs(at_v): zv, dL_dh.subs(at_v): vector("g", length),
                fprime_z.subs(at_v): zv.applyfunc(lambda zi: sp.diff(_f(_t), _t).subs(_t, zi)),
                # the Jacobian of h = f(z) elementwise, computed by SymPy from h itself
                J.subs(at_v): zv.applyfunc(_f).jacobian(zv)})
    return out


#: The vector-sized symbols: a property that has one is proved at n = LENGTHS.
_VECTORS = {a, b, z, dL_dh, fprime_z, J}


def _is_vector(expr) -> bool:
    return bool(expr.atoms(sp.MatrixSymbol) & _VECTORS)


def _at(expr, k: int) -> sp.Matrix:
    """``expr`` at the k-th size, on explicit matrices, as a column of its entries."""
    (rows, cols), length = SHAPES[k], LENGTHS[k]
    sub = {n: length} if _is_vector(expr) else {m: rows, n: cols}
    e = explicit(expr.subs(sub), values(rows, cols, length))
    return sp.Matrix(list(e)) if isinstance(e, sp.MatrixBase) else sp.Matrix([e])


def sizes_text(name: str) -> str:
    """Where a property is proved: 'm x n = 2 x 3 and 4 x 2' or 'n = 3 and 5'."""
    if _is_vector(PROPERTIES[name][1]):
        return "n = " + " and ".join(map(str, LENGTHS))
    return "m x n = " + " and ".join(f"{r} x {c}" for r, c in SHAPES)


def prove(name: str) -> verify.Check:
    """Prove a property on explicit matrices of symbols, at both sizes."""
    words, lhs, rhs = PROPERTIES[name]
    both = lambda e: sp.Matrix.vstack(_at(e, 0), _at(e, 1))  # noqa: E731
    return verify.symbolic_identity(TOPIC, f"{name}: {words}, {sizes_text(name)}", both(lhs), both(rhs))


# ----------------------------------------------------------------------------- at symbolic size
# The same properties proved for every size at once (derivations.symbolic.index_notation): the
# matrices of ones are OneMatrix, and f'(z) and the Jacobian J of h = f(z) are the matrices
# whose entries SymPy computes from h_r = f(z_r) with the index r a symbol.
_r, _c = sp.Dummy("r", integer=True), sp.Dummy("c", integer=True)
#: h = f(z) entry by entry, at symbolic length n.
H_ENTRIES = sp.FunctionMatrix(n, 1, sp.Lambda((_r, _c), _f(z[_r, _c])))


def _plain_deltas(e):
    """``e`` with the index range SymPy attaches to a Kronecker delta dropped: the indices of
    an entry are in range by construction (index_notation)."""
    return e.replace(lambda d: isinstance(d, sp.KroneckerDelta), lambda d: sp.KroneckerDelta(*d.args[:2]))


#: At symbolic size: the matrices of ones, f'(z) = dh_r/dz_r and J_rc = dh_r/dz_c, by SymPy.
SIZE_VALUES = {ONES: sp.OneMatrix(m, n), ONES_R: sp.OneMatrix(m, 1), ONES_C: sp.OneMatrix(n, 1),
               fprime_z: sp.FunctionMatrix(n, 1, sp.Lambda((_r, _c), sp.diff(H_ENTRIES[_r, 0], z[_r, 0]))),
               J: sp.FunctionMatrix(n, n, sp.Lambda((_r, _c), _plain_deltas(sp.diff(H_ENTRIES[_r, 0], z[_c, 0]))))}
W = sp.MatrixSymbol("W", m, n)            # a matrix whose rows diag(v) scales
v_m = sp.MatrixSymbol("v", m, 1)
#: The statements proved beyond PROPERTIES (name to words, lhs and rhs). The elementwise
#: layer's vector-Jacobian product, the row scaling and the first exercise.
EXTRA = {
    "layer": ("dL/dz = dL/dh ⊙ f'(z) for h = f(z) elementwise", None, HP(dL_dh, fprime_z)),
    "row scaling": ("diag(v) W = (v 1n^T) ⊙ W", DiagMatrix(v_m) * W, HP(v_m * ONES_C.T, W)),
    "exercise": ("diag(a) diag(b) = diag(a ⊙ b)", DiagMatrix(a) * DiagMatrix(b), DiagMatrix(HP(a, b))),
}


def _size_symbols(expr) -> tuple:
    return (n,) if _is_vector(expr) or not expr.has(m) else (m, n)


def size_claims() -> list:
    """Every property (and EXTRA) at symbolic size: an identity of matrix expressions (m x n
    matrices, vectors of length n), the elementwise layer's VJP as a gradient (EXTRA's lhs
    None); each instantiated at the sizes of the explicit proofs (SHAPES, LENGTHS)."""
    out = []
    for name, (words, lhs, rhs) in {**PROPERTIES, **EXTRA}.items():
        sizes = _size_symbols(rhs)
        instances = tuple((length,) for length in LENGTHS) if sizes == (n,) else SHAPES
        if lhs is None:
            out.append(ix.vjp_claim(f"{name}: {words}", H_ENTRIES, z, dL_dh, rhs.xreplace(SIZE_VALUES),
                                    sizes, instances))
        else:
            out.append(ix.IdentityClaim(f"{name}: {words}", lhs.xreplace(SIZE_VALUES), rhs.xreplace(SIZE_VALUES),
                                        sizes, instances))
    return out


def commutator_entry(size: int = 2) -> tuple[sp.Expr, sp.Expr]:
    """(PQ - QP)_11 for explicit size x size matrices of symbols, expanded by SymPy, and the
    polynomial the page shows for it."""
    P, Q = matrix("p", size, size), matrix("q", size, size)
    p12, p21, q12, q21 = P[0, 1], P[1, 0], Q[0, 1], Q[1, 0]
    return sp.expand((P * Q - Q * P)[0, 0]), p12 * q21 - p21 * q12


def matrix_product_commutes() -> bool:
    """Whether A B = B A for explicit 2 x 2 matrices of symbols (it does not)."""
    P, Q = matrix("p", 2, 2), matrix("q", 2, 2)
    return all(sp.expand(e) == 0 for e in P * Q - Q * P)


def multiplications(expr) -> int:
    """The scalar multiplications SymPy counts in an expression (or the entries of a matrix)."""
    items = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    ops = sum(sp.count_ops(e, visual=True) for e in items)
    return int(ops.coeff(sp.Symbol("MUL"))) if ops != 0 else 0


def operation_counts(rows: int, cols: int) -> dict[str, tuple[int, int]]:
    """Multiplications, counted by SymPy on matrices of symbols, of the dense products with
    a diagonal matrix stored as a full matrix (its zeros are multiplied too) and of the
    Hadamard forms: vector (length cols) and matrix (rows x cols) cases."""
    D_full = matrix("d", cols, cols)                 # a dense n x n matrix: what diag() stores
    v, g = vector("v", cols), vector("g", cols)
    W = matrix("w", rows, cols)
    Dm_full, vm = matrix("d", rows, rows), vector("v", rows)
    return {"vector": (multiplications(D_full * g), multiplications(v.multiply_elementwise(g))),
            "matrix": (multiplications(Dm_full * W),
                       multiplications((vm * sp.ones(1, cols)).multiply_elementwise(W)))}


#: The width and seed of the figure's two Jacobians.
FIG_N = 8


@lru_cache(maxsize=None)
def _jacobians():
    """Jacobians of h = sigmoid(z) and h = W x on FIG_N inputs, by central differences of the
    NumPy code (one row per output), with the point z0 and W."""
    rng = np.random.default_rng(0)
    z0 = rng.standard_normal(FIG_N)
    W = rng.standard_normal((FIG_N, FIG_N))
    jac = lambda f: np.array([verify.numeric_gradient(lambda v, k=k: f(v)[k], z0)  # noqa: E731
                              for k in range(FIG_N)])
    return z0, W, jac(activations_np.sigmoid), jac(lambda v: W @ v)


def _hidden_delta(rng):
    """One sample through the book's two-layer sigmoid network: delta1 computed as
    (W2^T delta2) ⊙ f'(z1), and the network's verified dL/db1 (which is delta1)."""
    p = backprop_np.two_layer_init(3, 4, 2, rng)
    p["b1"] = 0.1 * rng.standard_normal(4)
    x, y = rng.standard_normal((1, 3)), rng.standard_normal((1, 2))
    _, grads = backprop_np.two_layer_loss_and_grads(p, x, y, "sigmoid")
    z1 = p["W1"] @ x[0] + p["b1"]
    delta2 = p["W2"] @ activations_np.sigmoid(z1) + p["b2"] - y[0]      # dL/dy_hat for L = 1/2 ||y_hat - y||^2
    return hadamard_np.hadamard(p["W2"].T @ delta2, activations_np.sigmoid_grad(z1)), grads["b1"]


#: The column lengths m > 1 at which the shapes of the wrong forms are checked.
WRONG_FORM_SIZES = (4, 7)


def _shapes_of_the_wrong_forms(size: int) -> tuple[list[int], list[int]]:
    """[u f undefined (1 or 0), shape of f^T u, shape of u ⊙ f] for m x 1 columns u and f
    (m = size), once from SymPy's matrix symbols and once from NumPy arrays."""
    u, f = sp.MatrixSymbol("u", size, 1), sp.MatrixSymbol("f", size, 1)
    try:
        undefined = (u * f).shape is None
    except sp.ShapeError:
        undefined = True
    symbolic = [int(undefined), *(f.T * u).shape, *HP(u, f).shape]
    un, fn = np.ones((size, 1)), np.ones((size, 1))
    try:
        undefined = (un @ fn) is None
    except ValueError:
        undefined = True
    return symbolic, [int(undefined), *(fn.T @ un).shape, *hadamard_np.hadamard(un, fn).shape]


#: The shape at which f' evaluated at the wrong point (h = f(z), not z) is shown wrong.
WRONG_POINT_SHAPE = (7,)


# ----------------------------------------------------------------------------- by hand
# The elementwise layer h = f(z) of length n, with a loss L = sum_q phi(h_q) (phi undefined: a
# loss not linear in h); dL/dh stands for the partial derivatives dL/dh_i, f'(z) for the column
# of f's derivatives. Entry j, summation index i, the slack u puts j in range (n = j + 1 + u).
_hn = sp.Symbol("n", positive=True, integer=True)
_hj, _hi, _hq = sp.symbols("j i q", integer=True, nonnegative=True)
_hu = sp.Symbol("u", integer=True, nonnegative=True)
_hz, _hh = sp.MatrixSymbol("z", _hn, 1), sp.MatrixSymbol("h", _hn, 1)
_hG, _hFp = sp.MatrixSymbol(r"\frac{\partial L}{\partial h}", _hn, 1), sp.MatrixSymbol("f'(z)", _hn, 1)
_hf, _hphi, _hL = sp.Function("f"), sp.Function("phi"), sp.Symbol("L")


def hand_steps() -> StepChain:
    """dL/dz_j = sum_i dL/dh_i dh_i/dz_j = sum_i dL/dh_i [i = j] f'(z_j) = dL/dh_j f'(z_j) =
    (dL/dh ⊙ f'(z))_j for h = f(z) elementwise, each equality proved at any n."""
    defs = {_hh: ElementwiseApplyFunction(_hf, _hz),
            _hL: sp.Sum(_hphi(_hh[_hq, 0]), (_hq, 0, _hn - 1))}
    named = {_hG: lambda a, b: Partial(_hL, _hh[a, 0]), _hFp: lambda a, b: fprime(_hf)(_hz[a, 0])}
    j, i = _hj, _hi
    rows = (Partial(_hL, _hz[j, 0]),
            sp.Sum(Partial(_hL, _hh[i, 0]) * Partial(_hh[i, 0], _hz[j, 0]), (i, 0, _hn - 1)),
            sp.Sum(Partial(_hL, _hh[i, 0]) * sp.KroneckerDelta(i, j) * fprime(_hf)(_hz[j, 0]), (i, 0, _hn - 1)),
            Partial(_hL, _hh[j, 0]) * fprime(_hf)(_hz[j, 0]),
            entry_of(sp.HadamardProduct(_hG, _hFp), j))
    steps = ("the chain rule through h: dL/dz_j = sum_i dL/dh_i dh_i/dz_j",
             "h_i = f(z_i) depends on z_j only when i = j: dh_i/dz_j = [i = j] f'(z_j)",
             "only i = j survives the sum",
             "dL/dh_j f'(z_j) is entry j of dL/dh ⊙ f'(z)")
    return StepChain("dL/dz of h = f(z) by hand", rows, steps, {_hn: j + 1 + _hu},
                     evaluator(defs, [_hh], _hL, named), "n", ({j: 0, _hu: 1},))


def checks(seed: int = 0) -> list[verify.Check]:
    """Every witness of this topic: the properties proved at two sizes, NumPy against the
    definition, the counts."""
    rng = np.random.default_rng(seed)
    out = []
    # the definition: NumPy's hadamard against the displayed entry A_ij B_ij, at two shapes
    # the displayed A_ij B_ij as Python code (indexing and a product: no module needed)
    entry = sp.lambdify((A, B, i, j), DEFINITION[1], modules=[{}])
    for shape in [(2, 3), (4, 5)]:
        An, Bn = rng.standard_normal(shape), rng.standard_normal(shape)
        entries = [[entry(An, Bn, r, c) for c in range(shape[1])] for r in range(shape[0])]
        out.append(verify.check_values(
            TOPIC, f"hadamard(A, B) equals the displayed definition entry by entry, shape {shape}",
            "sympy-vs-numpy", hadamard_np.hadamard(An, Bn), entries))
    out += [verify.timed(prove, name) for name in PROPERTIES]
    out += [c for claim in size_claims() for c in claim.checks(TOPIC)]
    out += hand_steps().checks(TOPIC)
    got, shown = commutator_entry()
    out.append(verify.symbolic_identity(
        TOPIC, "the (1, 1) entry of PQ - QP is p12 q21 - p21 q12, for 2 x 2 matrices of symbols", got, shown))
    worked = (hadamard_np.hadamard(EXAMPLE_A, EXAMPLE_B), EXAMPLE_A @ EXAMPLE_B)
    SA, SB = sp.Matrix(EXAMPLE_A.astype(int)), sp.Matrix(EXAMPLE_B.astype(int))
    out.append(verify.check_values(TOPIC, "the 2x2 worked example: hadamard and the matrix product against SymPy",
                                   "sympy-vs-numpy", np.stack(worked),
                                   np.stack([np.array(SA.multiply_elementwise(SB), float),
                                             np.array(SA * SB, float)])))
    # the figure: Jacobians by central differences
    z0, W, J_act, J_lin = _jacobians()
    out.append(verify.check_values(TOPIC, f"central-difference Jacobian of sigmoid on {FIG_N} inputs "
                                   "= diag(sigmoid_grad(z))", "central-difference", J_act,
                                   np.diag(activations_np.sigmoid_grad(z0))))
    out.append(verify.check_bound(TOPIC, f"its off-diagonal entries are exactly 0, n = {FIG_N}",
                                  np.abs(J_act - np.diag(np.diag(J_act))), 0.0))
    out.append(verify.check_values(TOPIC, f"central-difference Jacobian of x -> W x on {FIG_N} inputs = W",
                                   "central-difference", J_lin, W))
    # the backward pass of an elementwise layer, one sample and a batch
    for name, f_num, f_grad, shape in [("sigmoid", activations_np.sigmoid, activations_np.sigmoid_grad, (30, 40)),
                                       ("tanh", activations_np.tanh, activations_np.tanh_grad, (7,))]:
        zs = 2 * rng.standard_normal(shape)
        out.append(verify.check_vjp(f_num, lambda gg: hadamard_np.elementwise_backward(gg, zs, f_grad), zs,
                                    name=f"elementwise_backward(dout, z, {name}_grad) = J^T dout, shape {shape}",
                                    topic=TOPIC, rng=rng, method="complex-step", every_entry=True))
    # the pitfall: f' evaluated at the activation h = f(z) instead of at z is a wrong VJP
    zs = 2 * rng.standard_normal(WRONG_POINT_SHAPE)
    at_h = verify.check_vjp(activations_np.sigmoid,
                            lambda gg: hadamard_np.elementwise_backward(gg, activations_np.sigmoid(zs),
                                                                        activations_np.sigmoid_grad),
                            zs, name="sigmoid_grad at h", topic=TOPIC, rng=rng, method="complex-step", every_entry=True)
    out.append(verify.check_bound(TOPIC, f"elementwise_backward given h = sigmoid(z) in place of z is rejected by "
                                  f"check_vjp, shape {WRONG_POINT_SHAPE}", at_h.tolerance, at_h.error, strict=True))
    mine, network = _hidden_delta(rng)
    out.append(verify.check_values(
        TOPIC, "delta1 = (W2^T delta2) ⊙ f'(z1) equals the two-layer network's dL/db1",
        "float64", mine, network))
    sympy_shapes, numpy_shapes = zip(*map(_shapes_of_the_wrong_forms, WRONG_FORM_SIZES))
    out.append(verify.check_values(
        TOPIC, f"shapes for m = {' and '.join(map(str, WRONG_FORM_SIZES))}: u f is undefined, f^T u is 1 x 1, "
        "u ⊙ f is m x 1, in SymPy and in NumPy", "sympy-vs-numpy", sympy_shapes, numpy_shapes))
    # costs: what diag(f'(z)) stored as a dense matrix costs against the Hadamard product
    for rows, cols in [(2, 3), (3, 5)]:
        counts = operation_counts(rows, cols)
        formulas = sp.Matrix([n ** 2, n, m ** 2 * n, m * n]).subs({m: rows, n: cols})
        out.append(verify.symbolic_identity(
            TOPIC, f"multiplications: n^2 for diag(v) g dense, n for v ⊙ g; m^2 n for diag(v) W dense, "
            f"m n row scaling; m, n = {rows}, {cols}",
            sp.Matrix([*counts["vector"], *counts["matrix"]]), formulas))
    fp, g, Wr = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal((6, 5))
    dense = np.concatenate([np.diag(fp) @ g, (np.diag(fp) @ Wr).ravel()])
    hadamard_form = np.concatenate([hadamard_np.hadamard(fp, g), hadamard_np.hadamard(np.outer(fp, np.ones(5)), Wr).ravel()])
    out.append(verify.check_values(
        TOPIC, "diag(v) g = v ⊙ g and diag(v) W = (v 1n^T) ⊙ W in NumPy, m = 6, n = 5",
        "float64", dense, hadamard_form))
    # broadcasting: NumPy's * on a column and a row is their outer product
    col, row = np.array([[1.0], [2.0], [3.0]]), np.array([[4.0, 5.0, 6.0]])
    out.append(verify.check_values(
        TOPIC, "NumPy's broadcasting product of a 3 x 1 column and a 1 x 3 row is their outer product",
        "float64", col * row, np.outer(col, row)))
    # the exercises
    for length in LENGTHS:
        av, bv = vector("a", length), vector("b", length)
        out.append(verify.symbolic_identity(
            TOPIC, f"exercise: diag(a) diag(b) = diag(a ⊙ b), n = {length}",
            sp.diag(*av) * sp.diag(*bv), sp.diag(*av.multiply_elementwise(bv))))
        s = vector("s", length)
        fa, fb = (sp.Matrix([sp.Function(f"{k}{q + 1}")(*s) for q in range(length)]) for k in ("a", "b"))
        out.append(verify.symbolic_identity(
            TOPIC, f"exercise: the Jacobian of a(s) ⊙ b(s) is diag(b) Ja + diag(a) Jb, n = {length}",
            fa.multiply_elementwise(fb).jacobian(s),
            sp.diag(*fb) * fa.jacobian(s) + sp.diag(*fa) * fb.jacobian(s)))
    return out


def _jacobian_figure() -> Figure:
    _, _, J_act, J_lin = _jacobians()
    ext = (0.5, FIG_N + 0.5, FIG_N + 0.5, 0.5)
    return Figure([
        Panel(image=J_act, extent=ext, title=r"$h = \sigma(z)$: $J = \mathrm{diag}(\sigma'(z))$",
              xlabel="input $j$", ylabel="output $i$", colorbar=r"$J_{ij}$", cmap="RdBu_r"),
        Panel(image=J_lin, extent=ext, title=r"$h = W x$: $J = W$",
              xlabel="input $j$", ylabel="output $i$", colorbar=r"$J_{ij}$", cmap="RdBu_r")],
        size=(7.5, 3.3))


def exhibits() -> dict:
    """What the Hadamard page shows, each formula printed from the expression a check proved."""
    # each property by its explicit proofs, its symbolic-size proof and their instances (one prefix)
    out: dict = {f"eq_{name}": Equation(property_latex(name), proofs=(f"{name}: {words}",))
                 for name, (words, _, _) in PROPERTIES.items()}
    out["eq_backprop"] = Equation(rf"\frac{{\partial L}}{{\partial z}} = {property_latex('backprop')}",
                                  proofs=(f"backprop: {PROPERTIES['backprop'][0]}", f"layer: {EXTRA['layer'][0]}"))
    chain = hand_steps()
    out["eq_hand"] = Equation(chain.tex(), proofs=(chain.name + ",",))
    lhs, rhs = DEFINITION
    out["eq_definition"] = Equation(f"{tex(lhs)} = {tex(rhs)}", definition=True)
    SA, SB = sp.Matrix(EXAMPLE_A.astype(int)), sp.Matrix(EXAMPLE_B.astype(int))
    out["eq_example"] = Equation(aligned([rf"{tex(SA)} \odot {tex(SB)} &= {tex(SA.multiply_elementwise(SB))},",
                                          rf"{tex(SA)} {tex(SB)} &= {tex(SA * SB)}"]),
                                 proofs=("the 2x2 worked example: hadamard and the matrix product against SymPy",))
    got, shown = commutator_entry()
    out["eq_pq"] = Equation(rf"(PQ - QP)_{{11}} = {tex(shown, order='none')}", proofs=(
        "the (1, 1) entry of PQ - QP is p12 q21 - p21 q12, for 2 x 2 matrices of symbols",))
    out["matrix_shapes"] = Markdown(" and ".join(f"${r} \\times {c}$" for r, c in SHAPES))
    out["vector_lengths"] = " and ".join(map(str, LENGTHS))
    out["fig_jacobians"] = _jacobian_figure()
    out["fig_n"] = str(FIG_N)
    col, row = np.array([[1.0], [2.0], [3.0]]), np.array([[4.0, 5.0, 6.0]])
    out["bcast_shape"] = str((col * row).shape)
    try:
        hadamard_np.hadamard(col, row)
    except ValueError as err:
        out["bcast_error"] = str(err)
    else:
        raise AssertionError("hadamard accepted operands of different shapes")
    return out
