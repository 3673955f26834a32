"""The Hadamard product: SymPy proofs, the elementwise backward pass, strict shapes."""

import re
from pathlib import Path

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from derivations import verify
from derivations.numeric import activations as act
from derivations.numeric import hadamard as had
from derivations.symbolic import hadamard as H

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", list(H.PROPERTIES))
def test_property_is_proved(name):
    c = H.prove(name)
    assert c.passed, c


def test_a_false_property_is_refuted():
    # the prover must not accept a plausible-looking wrong identity
    c = verify.symbolic_identity("t", "wrong", H._at(H.HP(H.A, H.B), 0), H._at(H.HP(H.A, H.A), 0))
    assert not c.passed


def test_properties_are_proved_at_two_sizes():
    assert len(set(H.SHAPES)) == 2 and len(set(H.LENGTHS)) == 2
    for name in H.PROPERTIES:
        assert H.prove(name).name.endswith(H.sizes_text(name))
    # a matrix property is expanded at both m x n shapes, a vector one at both lengths
    rows = [H._at(H.PROPERTIES["commutative"][1], k).shape[0] for k in (0, 1)]
    assert rows == [r * c for r, c in H.SHAPES]
    assert [H._at(H.PROPERTIES["backprop"][1], k).shape[0] for k in (0, 1)] == list(H.LENGTHS)


def test_exhibits_cover_every_glue_name_of_the_page():
    page = (ROOT / "docs" / "hadamard.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:\w+\}`([\w]+)", page)) | set(re.findall(r"^```\{glue:\w+\} (\w+)", page, re.M))
    shown = set(H.exhibits()) | {"n_checks", "checks_table"}
    assert used <= shown, used - shown
    for name in H.PROPERTIES:   # every property is displayed from property_latex
        assert H.property_latex(name) in H.exhibits()[f"eq_{name}"].tex


def test_operation_counts():
    counts = H.operation_counts(3, 4)
    assert counts == {"vector": (16, 4), "matrix": (36, 12)}


def test_matrix_product_does_not_commute():
    assert H.matrix_product_commutes() is False


def test_worked_example():
    np.testing.assert_array_equal(had.hadamard(H.EXAMPLE_A, H.EXAMPLE_B), [[5, 12], [21, 32]])


@pytest.mark.parametrize("f,f_grad,af", [
    (act.sigmoid, act.sigmoid_grad, lambda z: 1 / (1 + anp.exp(-z))),
    (act.tanh, act.tanh_grad, anp.tanh),
])
def test_elementwise_backward_agrees_with_autograd(f, f_grad, af, rng):
    z = rng.standard_normal((7, 5))
    g = rng.standard_normal((7, 5))
    expected = grad(lambda zz: anp.sum(g * af(zz)))(z)
    got = had.elementwise_backward(g, z, f_grad)
    assert got.shape == z.shape
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)
    c = verify.check_vjp("t", "vjp", f, lambda gg: had.elementwise_backward(gg, z, f_grad), z,
                         dout=g)
    assert c.error <= 1e-7


@pytest.mark.parametrize("a_shape,b_shape", [((3, 1), (1, 3)), ((2, 3), (3, 2)), ((4,), (1, 4)),
                                             ((2, 2), (2,))])
def test_broadcasting_shapes_are_refused(a_shape, b_shape):
    with pytest.raises(ValueError, match=r"a and b must have the same shape"):
        had.hadamard(np.ones(a_shape), np.ones(b_shape))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"^b contains NaN"):
        had.hadamard(np.ones(2), np.array([1.0, np.nan]))
    with pytest.raises(TypeError, match=r"^a must be an array of real floats"):
        had.hadamard(np.ones(2, dtype=int), np.ones(2))
    with pytest.raises(ValueError, match=r"dout and z must have the same shape"):
        had.elementwise_backward(np.ones((2, 3)), np.ones((3, 2)), act.sigmoid_grad)


@settings(max_examples=50, deadline=None, derandomize=True)
@given(st.data())
def test_hadamard_algebra_numerically_for_any_shape(data):
    shape = data.draw(hnp.array_shapes(min_dims=1, max_dims=4, max_side=4))
    arr = hnp.arrays(np.float64, shape, elements=st.floats(-10, 10))
    a, b, c = data.draw(arr), data.draw(arr), data.draw(arr)
    np.testing.assert_array_equal(had.hadamard(a, b), had.hadamard(b, a))
    np.testing.assert_allclose(had.hadamard(a, b + c), had.hadamard(a, b) + had.hadamard(a, c),
                               rtol=1e-12, atol=1e-12)
    assert had.hadamard(a, b).shape == shape


@pytest.mark.parametrize("size", H.WRONG_FORM_SIZES)
def test_shapes_of_the_wrong_forms(size):
    # u f undefined, f^T u is 1 x 1, u ⊙ f is m x 1: in SymPy and in NumPy alike
    symbolic, numeric = H._shapes_of_the_wrong_forms(size)
    assert symbolic == numeric == [1, 1, 1, size, 1]
    assert size > 1
