"""The Hadamard product in SymPy: its algebra, and why backprop is full of it.

Each property is written once with SymPy matrix symbols (that is what the page shows) and
proved by substituting explicit matrices of symbols (2 x 3, or vectors of length 3).

>>> from derivations.symbolic.hadamard import PROPERTIES
>>> sorted(PROPERTIES)[:2]
['associative', 'commutative']
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from .. import verify
from ..numeric import activations as act
from ..numeric import hadamard as num
from ..provenance import stored_checks
from .common import explicit, matrix, tex, vector

TOPIC = "hadamard"
ROWS, COLS, N = 2, 3, 3

A, B, C = (sp.MatrixSymbol(s, ROWS, COLS) for s in "ABC")
a, b, g, z = (sp.MatrixSymbol(s, N, 1) for s in ("a", "b", "g", "z"))
fprime_z = sp.MatrixSymbol("fprime_z", N, 1)
J = sp.MatrixSymbol("J", N, N)
ONES = sp.MatrixSymbol("ones", ROWS, COLS)
ONES_R, ONES_C = sp.MatrixSymbol("ones_r", ROWS, 1), sp.MatrixSymbol("ones_c", COLS, 1)
NAMES = {fprime_z: "f'(z)", ONES: r"\mathbf{1}", ONES_R: r"\mathbf{1}", ONES_C: r"\mathbf{1}"}
HP = sp.HadamardProduct

_f = sp.Function("f")
_t = sp.Symbol("t", real=True)

#: Explicit matrices of symbols that the properties are proved on.
VALUES = {
    A: matrix("a", ROWS, COLS), B: matrix("b", ROWS, COLS), C: matrix("c", ROWS, COLS),
    a: vector("a", N), b: vector("b", N), g: vector("g", N), z: vector("z", N),
    ONES: sp.ones(ROWS, COLS), ONES_R: sp.ones(ROWS, 1), ONES_C: sp.ones(COLS, 1),
}
VALUES[fprime_z] = VALUES[z].applyfunc(lambda zi: sp.diff(_f(_t), _t).subs(_t, zi))
#: The Jacobian of h = f(z) elementwise, computed by SymPy from h itself.
VALUES[J] = VALUES[z].applyfunc(_f).jacobian(VALUES[z])

#: name -> (what it says in words, left side, right side), as matrix-symbol expressions.
PROPERTIES: dict[str, tuple[str, sp.Expr, sp.Expr]] = {
    "commutative": ("A ⊙ B = B ⊙ A", HP(A, B), HP(B, A)),
    "associative": ("(A ⊙ B) ⊙ C = A ⊙ (B ⊙ C)", HP(HP(A, B), C), HP(A, HP(B, C))),
    "distributive": ("A ⊙ (B + C) = A ⊙ B + A ⊙ C", HP(A, B + C), HP(A, B) + HP(A, C)),
    "identity": ("A ⊙ 1 = A", HP(A, ONES), A),
    "transpose": ("(A ⊙ B)^T = A^T ⊙ B^T", sp.Transpose(HP(A, B)), HP(A.T, B.T)),
    "diagonal": ("diag(a) b = a ⊙ b", DiagMatrix(a) * b, HP(a, b)),
    "trace": ("tr(A^T B) = sum of the entries of A ⊙ B", sp.Trace(A.T * B),
              ONES_R.T * HP(A, B) * ONES_C),
    "jacobian": ("the Jacobian of h = f(z) elementwise is diag(f'(z))", J, DiagMatrix(fprime_z)),
    "backprop": ("J^T g = g ⊙ f'(z)", J.T * g, HP(g, fprime_z)),
}

EXAMPLE_A = np.array([[1.0, 2.0], [3.0, 4.0]])
EXAMPLE_B = np.array([[5.0, 6.0], [7.0, 8.0]])


def property_latex(name: str) -> str:
    """The property as the page shows it, printed from the expressions that are proved."""
    _, lhs, rhs = PROPERTIES[name]
    return f"{tex(lhs, NAMES)} = {tex(rhs, NAMES)}"


def prove(name: str) -> verify.Check:
    """Prove a property on the explicit matrices of symbols in :data:`VALUES`."""
    words, lhs, rhs = PROPERTIES[name]
    return verify.symbolic_identity(TOPIC, f"{name}: {words}",
                                    explicit(lhs, VALUES), explicit(rhs, VALUES))


def matrix_product_commutes() -> bool:
    """Whether A B = B A for explicit 2 x 2 matrices of symbols (it does not)."""
    P, Q = matrix("p", 2, 2), matrix("q", 2, 2)
    return all(sp.expand(e) == 0 for e in P * Q - Q * P)


@stored_checks
def checks(seed: int = 0) -> list[verify.Check]:
    rng = np.random.default_rng(seed)
    out = [prove(name) for name in PROPERTIES]
    commutes = matrix_product_commutes()
    out.append(verify.Check(TOPIC, "the matrix product does not commute: PQ - QP != 0",
                            "symbolic", 0.0 if not commutes else np.inf, 0.0, not commutes))
    worked = num.hadamard(EXAMPLE_A, EXAMPLE_B)
    by_sympy = np.array(sp.Matrix(EXAMPLE_A).multiply_elementwise(sp.Matrix(EXAMPLE_B)), float)
    out.append(verify.check_values(TOPIC, "the 2x2 worked example: NumPy against SymPy",
                                   "sympy-vs-numpy", worked, by_sympy))
    for name, f_num, f_grad in [("sigmoid", act.sigmoid, act.sigmoid_grad),
                                ("tanh", act.tanh, act.tanh_grad)]:
        zs = 2 * rng.standard_normal((30, 40))
        out.append(verify.check_vjp(
            TOPIC, f"elementwise_backward(g, z, {name}_grad) = J^T g, shape (30, 40)",
            f_num, lambda gg: num.elementwise_backward(gg, zs, f_grad), zs, rng=rng))
    return out
