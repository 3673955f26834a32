"""The Hadamard product: SymPy proofs, the elementwise backward pass, strict shapes."""

from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derivations import verify
from derivations.numeric import activations as activations_np
from derivations.numeric import hadamard as hadamard_np
from derivations.symbolic import hadamard as hadamard_sym

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(hadamard_sym.PROPERTIES))
def test_property_is_proved(name):
    c = hadamard_sym.prove(name)
    assert c.passed, c


def test_a_false_property_is_refuted():
    # the prover must not accept a plausible-looking wrong identity
    c = verify.symbolic_identity("t", "wrong", hadamard_sym._at(hadamard_sym.HP(hadamard_sym.A, hadamard_sym.B), 0), hadamard_sym._at(hadamard_sym.HP(hadamard_sym.A, hadamard_sym.A), 0))
    assert not c.passed


def test_properties_are_proved_at_two_sizes():
    assert len(set(hadamard_sym.SHAPES)) == 2 and len(set(hadamard_sym.LENGTHS)) == 2
    for name in hadamard_sym.PROPERTIES:
        assert hadamard_sym.prove(name).name.endswith(hadamard_sym.sizes_text(name))
    # a matrix property is expanded at both m x n shapes, a vector one at both lengths
    rows = [hadamard_sym._at(hadamard_sym.PROPERTIES["commutative"][1], k).shape[0] for k in (0, 1)]
    assert rows == [r * c for r, c in hadamard_sym.SHAPES]
    assert [hadamard_sym._at(hadamard_sym.PROPERTIES["backprop"][1], k).shape[0] for k in (0, 1)] == list(hadamard_sym.LENGTHS)


def test_every_property_is_displayed_from_property_latex(exhibits_of):
    for name in hadamard_sym.PROPERTIES:
        assert hadamard_sym.property_latex(name) in exhibits_of("hadamard")[f"eq_{name}"].tex


def test_operation_counts():
    counts = hadamard_sym.operation_counts(3, 4)
    assert counts == {"vector": (16, 4), "matrix": (36, 12)}


def test_matrix_product_does_not_commute():
    assert hadamard_sym.matrix_product_commutes() is False


def test_worked_example():
    np.testing.assert_array_equal(hadamard_np.hadamard(hadamard_sym.EXAMPLE_A, hadamard_sym.EXAMPLE_B), [[5, 12], [21, 32]])


@pytest.mark.parametrize("f,f_grad,af", [
    (activations_np.sigmoid, activations_np.sigmoid_grad, lambda z: 1 / (1 + anp.exp(-z))),
    (activations_np.tanh, activations_np.tanh_grad, anp.tanh),
])
def test_elementwise_backward_agrees_with_autograd(f, f_grad, af, rng):
    z = rng.standard_normal((7, 5))
    g = rng.standard_normal((7, 5))
    expected = grad(lambda zz: anp.sum(g * af(zz)))(z)
    got = hadamard_np.elementwise_backward(g, z, f_grad)
    assert got.shape == z.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    c = verify.check_vjp(f, lambda gg: hadamard_np.elementwise_backward(gg, z, f_grad), z, name="vjp", topic="t",
                         dout=g)
    assert c.passed


@pytest.mark.parametrize("a_shape,b_shape", [((3, 1), (1, 3)), ((2, 3), (3, 2)), ((4,), (1, 4)),
                                             ((2, 2), (2,))])
def test_broadcasting_shapes_are_refused(a_shape, b_shape):
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        hadamard_np.hadamard(np.ones(a_shape), np.ones(b_shape))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"^b contains NaN"):
        hadamard_np.hadamard(np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match=r"^a must be an array of real floats"):
        hadamard_np.hadamard(np.ones(2, dtype=int), np.ones(2))
    with pytest.raises(ValueError, match=r"dout and z must have the same shape"):
        hadamard_np.elementwise_backward(np.ones((2, 3)), np.ones((3, 2)), activations_np.sigmoid_grad)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.data())
def test_hadamard_algebra_numerically_for_any_shape(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    arr = hnp.arrays(np.float64, shape, elements=st.floats(-10, 10))
    a, b, c = data.draw(arr), data.draw(arr), data.draw(arr)
    np.testing.assert_array_equal(hadamard_np.hadamard(a, b), hadamard_np.hadamard(b, a))
    np.testing.assert_allclose(hadamard_np.hadamard(a, b + c), hadamard_np.hadamard(a, b) + hadamard_np.hadamard(a, c),
                               rtol=1e-12, atol=1e-12)
    assert hadamard_np.hadamard(a, b).shape == shape


@pytest.mark.parametrize("size", hadamard_sym.WRONG_FORM_SIZES)
def test_shapes_of_the_wrong_forms(size):
    # u f undefined, f^T u is 1 x 1, u ⊙ f is m x 1: in SymPy and in NumPy alike
    symbolic, numeric = hadamard_sym._shapes_of_the_wrong_forms(size)
    assert symbolic == numeric == [1, 1, 1, size, 1]
    assert size > 1


def test_f_prime_at_the_activation_is_rejected_and_at_the_pre_activation_accepted(rng):
    sigmoid, sigmoid_grad = activations_np.sigmoid, activations_np.sigmoid_grad
    z = 2 * rng.standard_normal(hadamard_sym.WRONG_POINT_SHAPE)
    for point, ok in ((z, True), (sigmoid(z), False)):
        c = verify.check_vjp(sigmoid, lambda g, p=point: hadamard_np.elementwise_backward(g, p, sigmoid_grad), z, rng=rng,
                             method="complex-step", every_entry=True)
        assert c.passed is ok, (ok, c)
    (row,) = [c for c in hadamard_sym.checks() if c.name.startswith("elementwise_backward given h")]
    assert row.passed and row.method == "bound"


@pytest.mark.parametrize("wrong", ["no f'", "twice f'", "delta dropped"])
def test_a_wrong_hand_step_is_refuted(wrong):
    from dataclasses import replace as replaced

    import sympy as sp

    from derivations.symbolic import hadamard as hadamard_sym
    from derivations.symbolic.backprop import fprime
    chain = hadamard_sym.hand_steps()
    assert all(c.passed for c in chain.checks("t"))
    L, h, z, f, n = hadamard_sym._hL, hadamard_sym._hh, hadamard_sym._hz, hadamard_sym._hf, hadamard_sym._hn
    i, j = hadamard_sym._hi, hadamard_sym._hj
    from derivations.symbolic.index_steps import Partial
    term = {"no f'": sp.KroneckerDelta(i, j), "twice f'": sp.KroneckerDelta(i, j) * fprime(f)(z[i, 0]) * 2,
            "delta dropped": fprime(f)(z[j, 0])}[wrong]
    rows = list(chain.rows)
    rows[2] = sp.Sum(Partial(L, h[i, 0]) * term, (i, 0, n - 1))
    bad = replaced(chain, rows=tuple(rows))
    assert not all(c.passed for c in bad.checks("t"))
