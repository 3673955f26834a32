"""The checking core must pass right claims and fail wrong ones, use the options it is given
(step, tolerance, generator, method) and report exactly what it checked."""

import dataclasses
import time

import numpy as np
import pytest
import sympy as sp

from derivations import verify
from derivations.numeric import activations as activations_np
from derivations.symbolic import verification

x_sym = sp.Symbol("x", real=True)
sigma = 1 / (1 + sp.exp(-x_sym))


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)


def test_rel_error_matches_its_definition(rng):
    a, b = rng.standard_normal((2, 7, 3))
    expected = np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b)))
    assert verify.rel_error(a, b) == pytest.approx(expected, rel=1e-15)
    assert verify.rel_error(a, a) == 0.0
    assert verify.rel_error(np.zeros(4), np.full(4, 1e-10)) == pytest.approx(1e-10 / 1e-8)


def test_rel_error_refuses_shape_mismatch():
    with pytest.raises(ValueError, match="shapes differ"):
        verify.rel_error(np.zeros((2, 3)), np.zeros((3, 2)))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (40, 30)])  # in full, and along directions
def test_right_derivative_passes(shape, rng):
    x = rng.standard_normal(shape)
    for method in ("central-difference", "complex-step"):
        f = activations_np.sigmoid if method == "central-difference" else (lambda z: 1 / (1 + np.exp(-z)))
        c = verify.check_derivative(f, activations_np.sigmoid_grad, x, name="sigmoid", topic="t", method=method,
                                    rng=rng)
        assert c.passed, c
        assert c.error <= verify.TOLERANCES[method]


@pytest.mark.parametrize("shape", [(3, 4), (40, 30)])
def test_wrong_sigmoid_derivative_fails(shape, rng):
    x = rng.standard_normal(shape)
    wrong = lambda z: activations_np.sigmoid(z) * (1 + activations_np.sigmoid(z))  # noqa: E731  sigma (1 + sigma)
    c = verify.check_derivative(activations_np.sigmoid, wrong, x, name="sigmoid", topic="t", rng=rng)
    assert not c.passed and c.error > 0.1


@pytest.mark.parametrize("n", [3, 12])  # 9 entries (in full) and 144 (directions)
def test_transposed_gradient_fails(n, rng):
    u, W = rng.standard_normal(n), rng.standard_normal((n, n))
    right = verify.check_vjp(lambda W_: W_ @ u, lambda g: np.outer(g, u), W, name="W u", topic="t", rng=rng)
    wrong = verify.check_vjp(lambda W_: W_ @ u, lambda g: np.outer(u, g), W, name="W u", topic="t", rng=rng)
    assert right.passed, right
    assert not wrong.passed and wrong.error > 0.1


@pytest.mark.parametrize("shape", [(6,), (30, 20)])
def test_gradient_off_by_factor_two_fails(shape, rng):
    x = rng.standard_normal(shape)
    loss = lambda z: 0.5 * np.sum(z**2)  # noqa: E731
    assert verify.check_gradient(loss, x, x, name="half square", topic="t").passed
    c = verify.check_gradient(loss, 2 * x, x, name="half square", topic="t")
    assert not c.passed and c.error == pytest.approx(1 / 2, rel=1e-6)  # |2x - x| / max(|2x|, |x|)


def test_gradient_of_wrong_shape_fails(rng):
    W = rng.standard_normal((2, 3))
    u = rng.standard_normal(3)
    c = verify.check_vjp(lambda W_: W_ @ u, lambda g: np.outer(u, g), W, name="W u", topic="t", rng=rng)
    assert not c.passed and "shape" in c.detail


def test_symbolic_identity_proves_and_refutes():
    assert verify.symbolic_identity("t", "ok", sp.diff(sigma, x_sym), sigma * (1 - sigma)).passed
    wrong = verify.symbolic_identity("t", "bad", sp.diff(sigma, x_sym), sigma * (1 + sigma))
    assert not wrong.passed and wrong.error == np.inf


def test_symbolic_identity_on_matrices_checks_shape_and_entries():
    a, b = sp.symbols("a b")
    M = sp.Matrix([[a, b], [b, a]])
    assert verify.symbolic_identity("t", "ok", M, M.T).passed
    assert not verify.symbolic_identity("t", "bad", M, sp.Matrix([[a, a], [b, b]])).passed
    assert not verify.symbolic_identity("t", "shape", M, sp.Matrix([a, b])).passed


def test_undecided_identity_is_a_failure(monkeypatch):
    # An expression simplify cannot reduce and .equals cannot decide must not pass.
    monkeypatch.setattr(sp, "simplify", lambda e, *a, **k: e)
    monkeypatch.setattr(sp.Expr, "equals", lambda self, other, failing_expression=False: None)
    c = verify.symbolic_identity("t", "undecided", sp.sin(x_sym) ** 2 + sp.cos(x_sym) ** 2, 1)
    assert not c.passed and "could not decide" in c.detail


def test_require_raises_with_the_failed_checks_named():
    good = verify.Check("t", "fine", "symbolic", 0.0, 0.0, True)
    bad = verify.Check("t", "broken formula", "central-difference", 0.5, 1e-7, False)
    assert verify.require([good]) == [good]
    with pytest.raises(verify.CheckFailed, match="broken formula"):
        verify.require([good, bad])


def test_tables_list_every_check():
    checks = [verify.Check("t", "a|b", "symbolic", 0.0, 0.0, True),
              verify.Check("t", "c", "complex-step", 2e-16, 1e-12, True)]
    md = verify.markdown_table(checks)
    assert md.count("\n") == 3 and r"a\|b" in md and "2.0e-16" in md
    assert "complex-step" in verify.text_table(checks)


def test_unknown_method_is_refused(rng):
    with pytest.raises(ValueError, match="method"):
        verify.check_derivative(activations_np.sigmoid, activations_np.sigmoid_grad, rng.standard_normal(3), name="x",
                                topic="t", method="forward-difference")


def test_check_values_uses_the_methods_tolerance(rng):
    a = rng.standard_normal((3, 4))
    ok = verify.check_values("t", "same", "sympy-vs-numpy", a, a * (1 + 1e-15))
    assert ok.passed and ok.tolerance == verify.TOLERANCES["sympy-vs-numpy"]
    bad = verify.check_values("t", "loose", "sympy-vs-numpy", a, a * (1 + 1e-11))
    assert not bad.passed and bad.error > 1e-13
    assert verify.check_values("t", "loose", "closed-form", a, a * (1 + 1e-11)).passed


def test_rational_stage_treats_function_applications_as_variables():
    import sympy as sp

    from derivations.verify import _zero_as_rational_function as zero

    x, y = sp.symbols("x y", real=True)
    s = (1 + sp.tanh(x * y / 2)) / 2
    # the chain rule through tanh: a polynomial identity in x, y and tanh(x y / 2)
    assert zero(sp.diff(s, x) - y * s * (1 - s))
    # exp turns sums into products: e^x e^-x = 1, and a softmax's quotients, are field identities
    assert zero(sp.exp(x) * sp.exp(-x) - 1)
    assert zero(sp.exp(2 * x + y) / (sp.exp(x) + sp.exp(y)) - sp.exp(x) * sp.exp(x + y) / (sp.exp(x) + sp.exp(y)))
    # nonzero rational functions, and identities that need more than field arithmetic, are not claimed
    assert not zero(sp.diff(s, x) - s * (1 - s))
    assert not zero(1 / (x + y))
    assert not zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    # the later stages still decide what the polynomial stage leaves
    assert verify.symbolic_identity("t", "exp", sp.exp(x) * sp.exp(-x), 1).passed
    assert not verify.symbolic_identity("t", "chain", sp.diff(s, x), s * (1 - s)).passed


def test_row_formats_every_cell_exactly():
    c = verify.Check("t", "a | b", "central-difference", 1.234e-9, 1e-7, True, "d")
    assert c.row() == ("t", "a | b", "central-difference", "1.2e-09", "1e-07", "pass")
    exact = verify.Check("t", "n", "symbolic", 0.0, 0.0, False)
    assert exact.row() == ("t", "n", "symbolic", "0.0e+00", "0 (exact)", "FAIL")
    refuted = verify.Check("t", "n", "computed", np.inf, float("nan"), False)
    assert refuted.row()[3:] == ("inf", "n/a", "FAIL")


def test_markdown_and_text_tables_exactly():
    checks = [verify.Check("t", "x | y", "symbolic", 0.0, 0.0, True),
              verify.Check("u", "long check name", "complex-step", 3e-16, 1e-12, True)]
    assert verify.markdown_table(checks) == "\n".join([
        "| topic | check | method | error | tolerance | result |",
        "|---|---|---|---|---|---|",
        "| t | x \\| y | symbolic | 0.0e+00 | 0 (exact) | pass |",
        "| u | long check name | complex-step | 3.0e-16 | 1e-12 | pass |"])
    assert verify.markdown_table(checks[:1], with_topic=False).splitlines()[:2] == [
        "| check | method | error | tolerance | result |", "|---|---|---|---|---|"]
    checks[1] = dataclasses.replace(checks[1], seconds=1.234)
    lines = verify.text_table(checks).splitlines()
    assert lines[0].split() == list(verify.HEADER) + ["time"]
    widths = [len(w) for w in lines[1].split("  ")]
    assert widths == [5, 15, 12, 7, 9, 6, 6]
    assert lines[3].startswith("u      long check name  complex-step  3.0e-16  1e-12      pass    1.23 s")
    assert lines[2].rstrip().endswith("pass")             # no time measured: the cell is blank


def test_timed_measures_the_call():
    def slow():
        time.sleep(0.05)
        return verify.Check("t", "slow", "symbolic", 0.0, 0.0, True)
    c = verify.timed(slow)
    assert c.name == "slow" and 0.05 <= c.seconds < 5


def test_require_message_and_pass_through():
    ok = verify.Check("t", "fine", "symbolic", 0.0, 0.0, True)
    assert verify.require(ok) == [ok] and verify.require([ok, ok]) == [ok, ok]
    bad = verify.Check("top", "broken", "central-difference", 3.2e-5, 1e-7, False, "in full")
    with pytest.raises(verify.CheckFailed) as e:
        verify.require([ok, bad])
    assert str(e.value) == "check failed:\n  top: broken [central-difference] error 3.2e-05 > tol 1e-07 (in full)"
    assert "fine" not in str(e.value)


def test_check_helpers_fill_every_field(rng):
    x = rng.standard_normal(4)
    c = verify.check_values("top", "nm", "closed-form", x, x)
    assert (c.topic, c.name, c.method, c.tolerance, c.passed, c.error) == ("top", "nm", "closed-form", 1e-10, True, 0.0)
    c = verify.check_gradient(lambda v: float(np.sum(v**2)), 2 * x, x, name="g", topic="top")
    assert (c.topic, c.name, c.method, c.passed, c.entries) == ("top", "g", "central-difference", True, 4)
    assert 1e-6 <= c.tolerance < 2e-6       # rtol, plus the worst entry's rounding relative to it
    c = verify.check_derivative(np.sin, np.cos, x, name="d", topic="top", method="complex-step")
    assert (c.topic, c.name, c.method, c.passed, c.entries) == ("top", "d", "complex-step", True, 4)
    assert 1e-10 <= c.tolerance < 1.001e-10
    s = sp.Symbol("s")
    c = verify.check_against_sympy("top", "sy", np.sin(x), sp.sin(s), s, x)
    assert (c.topic, c.name, c.method, c.passed) == ("top", "sy", "sympy-vs-numpy", True)


def test_symbolic_identity_every_verdict_exactly():
    # every field of the Check each branch returns: a branch that said passed=True, dropped the
    # detail or checked one entry of a matrix only would prove a wrong formula
    x, f = sp.Symbol("x", real=True), sp.Function("f")
    fail = lambda detail: verify.Check("t", "n", "symbolic", np.inf, 0.0, False, detail)  # noqa: E731
    # every field but the measured time
    ident = lambda a, b: dataclasses.replace(verify.symbolic_identity("t", "n", a, b), seconds=0.0)  # noqa: E731
    proved = verify.Check("t", "n", "symbolic", 0.0, 0.0, True)
    assert ident((x + 1) ** 2, x**2 + 2 * x + 1) == proved                       # as polynomials
    assert ident(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1) == proved                    # by simplify
    assert ident(sp.Matrix([x]), x) == fail("matrix against scalar")
    assert ident(x, sp.Matrix([x])) == fail("matrix against scalar")
    assert ident(sp.Matrix([[x, x]]), sp.Matrix([x, x])) == fail("shapes differ: (1, 2) vs (2, 1)")
    assert ident(x, x + 1) == fail("the difference is -1+0j at a random point")
    # a difference of exactly 1, as it stands or once expanded, is a refutation too
    assert ident(x + 1, x) == fail("the difference is 1+0j at a random point")
    assert ident((x + 1) ** 2, x**2 + 2 * x) == fail("the difference is 1+0j at a random point")
    # an undefined function has no value at a random point: simplify finds the difference 1
    trig_f = sp.sin(f(x)) ** 2 + sp.cos(f(x)) ** 2
    assert ident(trig_f, 0) == fail("nonzero difference: 1")
    # every entry of a matrix is checked, not only up to the first one proved
    assert ident(sp.Matrix([sp.sin(x) ** 2 + sp.cos(x) ** 2, trig_f]), sp.Matrix([1, 0])) == fail(
        "nonzero difference: 1")
    assert ident(sp.Matrix([trig_f - 1, x]), sp.Matrix([0, x + 1])) == fail(
        "the difference is -1+0j at a random point")
    # cos(pi/7) - cos(2 pi/7) + cos(3 pi/7) = 1/2: simplify leaves it, only .equals proves it
    heptagon = sp.cos(sp.pi / 7) - sp.cos(2 * sp.pi / 7) + sp.cos(3 * sp.pi / 7)
    assert sp.simplify(heptagon - sp.Rational(1, 2)) != 0
    assert ident(heptagon, sp.Rational(1, 2)) == proved
    assert ident(sp.Matrix([heptagon, x]), sp.Matrix([sp.Rational(1, 2), x + 1])) == fail(
        "the difference is -1+0j at a random point")


def test_undecided_entries_are_counted(monkeypatch):
    monkeypatch.setattr(sp, "simplify", lambda e, *a, **k: e)
    monkeypatch.setattr(sp.Expr, "equals", lambda self, other, failing_expression=False: None)
    f = sp.Function("f")
    undecidable = sp.sin(f(x_sym)) ** 2 + sp.cos(f(x_sym)) ** 2   # no value at a random point
    one = verify.symbolic_identity("t", "n", undecidable, 1)
    assert dataclasses.replace(one, seconds=0.0) == verify.Check("t", "n", "symbolic", np.inf, 0.0, False,
                                                                 "SymPy could not decide 1 entry")
    assert one.seconds > 0         # the comparison's time, measured
    two = verify.symbolic_identity("t", "n", sp.Matrix([undecidable, x_sym, undecidable]), sp.Matrix([1, x_sym, 1]))
    assert two.detail == "SymPy could not decide 2 entries" and not two.passed


def test_check_bound_every_verdict_exactly():
    ok = verify.check_bound("t", "b", [1.0, 2.0], 3.0)
    assert (ok.method, ok.error, ok.tolerance, ok.passed) == ("bound", -1.0, 0.0, True)
    assert ok.row()[4] == "0 (bound)"
    assert verify.check_bound("t", "b", 3.0, 3.0).passed
    assert not verify.check_bound("t", "b", 3.0, 3.0, strict=True).passed
    over = verify.check_bound("t", "b", [1.0, 3.5], [2.0, 3.0])   # one entry past its bound
    assert not over.passed and over.error == 0.5
    assert verify.check_bound("t", "b", 1e300, np.inf, strict=True).passed   # an infinite bound
    for value, bound in [(np.nan, 1.0), (1.0, np.nan), ([], 1.0)]:
        bad = verify.check_bound("t", "b", value, bound)
        assert not bad.passed and bad.error == np.inf and bad.detail == "empty, or NaN"


def test_random_point_evaluates_each_subexpression_once_and_falls_back_to_sympy():
    x, y = sp.symbols("x y", real=True)
    j = sp.Symbol("j", integer=True, positive=True)
    # what mpmath cannot evaluate (a Sum) is evaluated by SymPy: still refuted at once
    wrong_sum = verify.symbolic_identity("t", "n", sp.Sum(x**j, (j, 1, 3)), x + x**2 + x**3 + 1)
    assert not wrong_sum.passed and "random point" in wrong_sum.detail
    # shared subexpressions are valued once, and every entry sees the same point
    values = {}
    shared = sp.tanh(x * y + 1)
    assert verify._nonzero_at_random_point(shared ** 2 - shared ** 2 + x - x, values) is None
    first = dict(values)
    assert verify._nonzero_at_random_point(shared + 1, values) is not None
    assert all(values[k] == v for k, v in first.items()) and shared in values
    # a difference far below the values it comes from is not claimed at the point (it could be
    # rounding): the later stages decide it
    big = sp.exp(sp.Integer(60)) * x
    assert verify._nonzero_at_random_point(big - big * (1 + sp.Rational(1, 10**60))) is None
    assert not verify.symbolic_identity("t", "n", big, big * (1 + sp.Rational(1, 10**60))).passed


def test_value_at_evaluates_numbers_powers_and_functions_at_the_point():
    import mpmath

    x = sp.Symbol("x", positive=True)
    expr = x**3 / (1 + x) + sp.pi * sp.Float(0.5) + sp.tanh(x) + sp.log(x) * sp.exp(-x) + sp.Abs(x - 1) + sp.I
    with mpmath.workdps(50):
        got = complex(verify._value_at(expr, {}))
    want = complex(expr.subs(x, verify._random_value(x)).evalf(50))
    assert abs(got - want) < 1e-30 * abs(want)
    with pytest.raises(TypeError, match="no value for a f at a random point"):
        verify._value_at(sp.Function("f")(x), {})


def test_random_point_scale_and_the_sympy_fallback():
    x = sp.Symbol("x", positive=True)
    j = sp.Symbol("j", integer=True, positive=True)
    # 1e-13 against values of 1e17: not claimed at the point (the fast path's scale); the
    # fallback, which has no scale, would have called it nonzero
    big = sp.exp(sp.Integer(40)) * x
    d = big - big * (1 + sp.Rational(1, 10**30))
    assert verify._nonzero_at_random_point(d) is None
    assert verify._nonzero_at_random_point(d + 1) is not None
    # the fallback: a Sum is evaluated by SymPy; a value with a pole has no verdict
    assert verify._nonzero_at_random_point(sp.Sum(x**j, (j, 1, 2)) - x) is not None
    assert verify._nonzero_at_random_point(sp.Sum(x**j, (j, 1, 2)) - x - x**2) is None
    assert verify._nonzero_at_random_point(sp.Sum(1 / (j - 2), (j, 1, 3)) + x) is None


def test_each_exponential_argument_is_its_own_variable_and_expand_checks_every_entry():
    from derivations.verify import _zero_as_rational_function as zero

    x, y = sp.symbols("x y", real=True)
    assert not zero(sp.exp(x) - sp.exp(y))
    assert zero(sp.exp(x + y) - sp.exp(x) * sp.exp(y))
    # sqrt(x) is no variable of the rational stage and the identity has no value to refute at
    # a point: expand proves the first entry, and the second entry is still checked
    p = sp.Symbol("p", positive=True)
    by_expand = sp.sqrt(p) * (sp.sqrt(p) + 1)
    assert not zero(by_expand - p - sp.sqrt(p))
    assert verify.symbolic_identity("t", "n", by_expand, p + sp.sqrt(p)).passed
    wrong = verify.symbolic_identity("t", "n", sp.Matrix([by_expand, p]), sp.Matrix([p + sp.sqrt(p), p + 1]))
    assert not wrong.passed and "random point" in wrong.detail


def test_check_vjp_reports_shape_mismatch_and_step():
    x = R(3)
    c = verify.check_vjp(lambda v: v * 2, lambda g: np.ones(4), x, name="n", topic="t")
    assert (c.topic, c.name, c.method, c.error, c.tolerance, c.passed) == ("t", "n", "central-difference", np.inf, 1e-6, False)
    assert c.detail == "the gradient for v has shape (4,), v has shape (3,)"
    c = verify.check_vjp(lambda v: v * 2, lambda g: 2 * g, x, name="n", topic="t", step=1e-5)
    assert c.passed and c.detail.startswith("in full, h = 1e-05; worst entry v[")
    big = R(100)
    c = verify.check_vjp(lambda v: v * 2, lambda g: 2 * g, big, name="n", topic="t")
    assert c.passed and c.detail.startswith("along 4 random directions for arguments over 64 entries; worst entry v along")
    with pytest.raises(ValueError, match="dout has shape"):
        verify.check_vjp(lambda v: v, lambda g: g, x, name="n", topic="t", dout=np.ones(2))


def test_require_lists_each_failure_on_its_own_line_detail_only_when_there_is_one():
    a = verify.Check("t", "a", "central-difference", 1.0, 1e-7, False)
    b = verify.Check("t", "b", "complex-step", 2.0, 1e-12, False, "along 4 random directions")
    with pytest.raises(verify.CheckFailed) as e:
        verify.require([a, b])
    assert str(e.value) == ("check failed:\n"
                            "  t: a [central-difference] error 1 > tol 1e-07\n"
                            "  t: b [complex-step] error 2 > tol 1e-12 (along 4 random directions)")


def test_numeric_derivatives_use_the_step_they_are_given():
    # a central difference of x^3 is exact up to h^2: (f(x+h) - f(x-h)) / 2h = 3x^2 + h^2
    x = np.array([0.5, 2.0])
    cube = lambda v: np.sum(v**3)  # noqa: E731
    np.testing.assert_allclose(verify.numeric_gradient(cube, x, step=0.1), 3 * x**2 + 0.01, rtol=1e-12)
    np.testing.assert_allclose(verify.directional_derivative(cube, x, np.array([1.0, 0.0]), "central-difference", 0.1),
                               3 * 0.25 + 0.01, rtol=1e-12)
    exact = lambda g: g * 3 * x**2  # noqa: E731
    assert verify.check_vjp(cube, exact, x, name="n", topic="t", dout=np.float64(1.0)).passed
    coarse = verify.check_vjp(cube, exact, x, name="n", topic="t", dout=np.float64(1.0), step=0.1)
    assert not coarse.passed and coarse.error == pytest.approx(0.01 / (0.75 + 0.01), rel=1e-6)  # the worst entry, x = 0.5
    big = np.linspace(0.5, 1.5, 100)   # checked along random directions: the step still reaches them
    coarse = verify.check_vjp(cube, lambda g: g * 3 * big**2, big, name="n", topic="t", dout=np.float64(1.0),
                              step=0.1)
    assert not coarse.passed and coarse.error > 1e-4
    with pytest.raises(ValueError, match="'central-difference' or 'complex-step', got 'forward'"):
        verify.directional_derivative(cube, x, x, "forward")


def test_check_vjp_checks_in_full_up_to_and_including_the_limit():
    for size, how in ((verify.FULL_CHECK_MAX_SIZE, "in full"),
                      (verify.FULL_CHECK_MAX_SIZE + 1, f"along {verify.N_DIRECTIONS} random directions for arguments over "
                                                       f"{verify.FULL_CHECK_MAX_SIZE} entries")):
        x = R(size)
        assert verify.check_vjp(np.sin, lambda g: g * np.cos(x), x, name="n", topic="t").detail.startswith(how + "; worst")


def test_check_vjp_uses_the_tolerance_and_the_generator_it_is_given():
    x = R(5)
    c = verify.check_vjp(np.sin, lambda g: g * np.cos(x), x, name="n", topic="t", rtol=1e-3)
    assert c.tolerance == pytest.approx(1e-3, rel=1e-3) and c.passed
    off = lambda g: g * np.cos(x) * (1 + 1e-5)  # noqa: E731  (wrong by 1e-5, relative)
    assert verify.check_vjp(np.sin, off, x, name="n", topic="t", rtol=1e-4).passed
    assert not verify.check_vjp(np.sin, off, x, name="n", topic="t").passed
    # the random upstream gradient comes from rng: two generators, two different errors
    errs = {verify.check_vjp(np.sin, off, x, name="n", topic="t", rng=np.random.default_rng(s)).error for s in (1, 2)}
    assert len(errs) == 2


def test_an_exact_match_passes_even_at_zero_tolerance():
    x = R(3)
    c = verify.check_values("t", "n", "symbolic", x, x.copy())
    assert (c.error, c.tolerance, c.passed) == (0.0, 0.0, True)


def test_rel_error_of_unsigned_integers_does_not_wrap_around():
    assert verify.rel_error(np.array([1], np.uint8), np.array([2], np.uint8)) == pytest.approx(1 / 3)


def test_an_exact_vjp_passes_at_zero_tolerance():
    # the complex step of a linear map is exact: Im(2 (x + i h)) / h = 2
    x = R(3)
    c = verify.check_vjp(lambda v: 2 * v, lambda g: 2 * g, x, name="n", topic="t", dout=np.ones(3),
                         method="complex-step", rtol=0.0)
    assert (c.error, c.passed) == (0.0, True)


def test_rel_error_of_empty_arrays_is_zero():
    assert verify.rel_error(np.empty((0, 3)), np.empty((0, 3))) == 0.0


def test_check_gradient_passes_its_options_on():
    x = R(4)
    c = verify.check_gradient(lambda v: np.sum(np.sin(v)), np.cos(x), x, name="g", topic="t", method="complex-step",
                              rtol=1e-14)
    assert (c.method, c.passed) == ("complex-step", True) and 1e-14 <= c.tolerance < 1e-13


def test_all_names_the_public_api():
    """``__all__`` names every public function and class of the checker, and only what exists."""
    import inspect

    defined = {n for n, v in vars(verify).items() if not n.startswith("_")
               and (inspect.isfunction(v) or inspect.isclass(v)) and v.__module__ == verify.__name__}
    assert defined <= set(verify.__all__) and all(hasattr(verify, n) for n in verify.__all__)


# ----------------------------------------------------------------- per entry (issue 17)

@pytest.mark.parametrize("method", ["central-difference", "complex-step"])
def test_a_wrong_entry_among_large_ones_fails(method):
    # outputs scaled [1e4, 1e4, 1e-3, 1e-3]: a VJP 100 % wrong in the last entry is 1e-7 of the
    # largest entry, which an error scaled by the whole array passes (rel_error below 1e-7)
    f, x, dout, right, wrong = verification.scaled_example()      # the verification page's example
    assert verify.rel_error(wrong, right) < 1e-7
    assert verify.check_vjp(f, lambda g: right, x, dout=dout, method=method).passed
    c = verify.check_vjp(f, lambda g: wrong, x, dout=dout, method=method)
    # the central difference resolves the 1e-3 entries to ~1.5 % (rounding ~eps 1e4 / h), enough
    assert not c.passed and c.error == pytest.approx(0.5, rel=1e-2 if method == "central-difference" else 1e-12), c
    assert c.detail.startswith(f"in full; worst entry v[3]: analytic {wrong[-1]:.6g}, numeric "), c.detail


def test_every_argument_is_checked_and_named():
    rng = np.random.default_rng(3)
    W, x = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def layer(W, x):
        return np.tanh(W @ x)

    def vjp(g, wrong_entry=None):
        d = g * (1 - layer(W, x) ** 2)
        dW, dx = np.outer(d, x), W.T @ d
        if wrong_entry is not None:
            dW[wrong_entry] *= 1.001
        return dW, dx

    for method in ("central-difference", "complex-step"):
        assert verify.assert_vjp(layer, vjp, W, x, method=method).entries == 16
    c = verify.check_vjp(layer, lambda g: vjp(g, (1, 2)), W, x, name="mine", topic="layers")
    assert not c.passed and "worst entry W[1, 2]: analytic " in c.detail, c
    with pytest.raises(verify.CheckFailed, match=r"layers: mine \[central-difference\] .*worst entry W\[1, 2\]"):
        verify.assert_vjp(layer, lambda g: vjp(g, (1, 2)), W, x, name="mine", topic="layers")
    c = verify.check_vjp(layer, lambda g: vjp(g)[0], W, x)       # one gradient for two arguments
    assert not c.passed and c.detail == "vjp returned 3 gradients for 2 arguments", c.detail
    c = verify.check_vjp(layer, lambda g: vjp(g)[::-1], W, x)    # in the wrong order
    assert not c.passed and c.detail == "the gradient for W has shape (4,), W has shape (3, 4)", c.detail


def test_lower_precision_and_real_only_functions_fail_with_the_reason():
    x = R(5)
    c = verify.check_vjp(lambda v: np.sin(v).astype(np.float32), lambda g: g * np.cos(x), x)
    assert not c.passed and "f returned float32 for float64 arguments" in c.detail, c.detail
    c = verify.check_vjp(lambda v: np.sin(np.real(v)), lambda g: g * np.cos(x), x, method="complex-step")
    assert not c.passed and c.detail == ("the complex step cannot run through f: f returned real values for "
                                         "complex input (it drops the imaginary part)"), c.detail


def test_an_entry_below_the_methods_resolution_is_reported_not_passed():
    # f = 1e10 + 1e-12 x: central differences round at ~eps 1e10 / h = 2e-12 * 32 > 1e-12;
    # the complex step subtracts nothing and resolves the 1e-12 exactly
    x = R(3)
    f = lambda v: 1e10 + 1e-12 * v  # noqa: E731
    c = verify.check_vjp(f, lambda g: 1e-12 * g, x)
    assert not c.passed and (c.unresolved, c.entries) == (3, 3), c
    assert "no entry above the method's resolution" in c.detail and "3 of 3 entries below" in c.detail
    assert c.row()[-1] == "FAIL (3 of 3 unresolved)"
    c = verify.check_vjp(f, lambda g: 1e-12 * g, x, method="complex-step")
    assert c.passed and c.unresolved == 0, c
    # one resolved entry and two below the resolution (~eps 1e4 / h): passes, and the row says
    # how many it could not see
    g = lambda v: np.array([1e4 * np.sin(v[0]), 1e-12 * v[1], 1e-12 * v[2]])  # noqa: E731
    c = verify.check_vjp(g, lambda d: d * np.array([1e4 * np.cos(x[0]), 1e-12, 1e-12]), x, dout=np.ones(3))
    assert c.passed and (c.unresolved, c.entries) == (2, 3) and c.row()[-1] == "pass (2 of 3 unresolved)", c


def test_an_entry_seen_to_worse_than_a_tenth_is_unresolved_not_judged():
    # the scaled example with s_4 = 2e-5: central differences see the last entry only to
    # ~0.76 of its size, so a doubled entry there must not be judged (and passed)
    s = np.array([1e4, 1e4, 1e-3, 2e-5])
    x, dout = np.array([0.3, -0.2, 0.5, 0.7]), np.array([0.7, -1.1, 0.4, 1.3])
    wrong = dout * s * np.cos(x)
    wrong[-1] *= 2
    c = verify.check_vjp(lambda v: s * np.sin(v), lambda g: wrong, x, dout=dout)
    assert c.passed and c.unresolved == 1 and c.row()[-1] == "pass (1 of 4 unresolved)", c
    c = verify.check_vjp(lambda v: s * np.sin(v), lambda g: wrong, x, dout=dout, method="complex-step")
    assert not c.passed and c.unresolved == 0 and "worst entry v[3]" in c.detail, c


# ------------------------------------------------------------------ the verification page's pitfalls
def test_the_pitfall_checks_pass_and_each_can_fail(monkeypatch):
    vs = verification
    assert all(c.passed for c in vs.pitfall_checks())
    # away from the kink the same ReLU backward is accepted: the rejection is the kink's
    monkeypatch.setattr(vs, "KINK_OFFSET", 1e4)
    _, far = vs.relu_at_kink()
    assert far.passed, far
    # at the step used, in float64, the central difference meets its tolerance
    assert vs.central_difference_error(verify.CENTRAL_STEP) < verify.TOLERANCES["central-difference"]
    # in float32 the same step's rounding error, about eps32 / h, is far above the tolerance
    assert vs.central_difference_error(verify.CENTRAL_STEP, np.float32) > 1e-3
    monkeypatch.setattr(vs, "BAD_STEPS", (1e-5, 1e-5))
    (_, _, steps, _) = vs.pitfall_checks()
    assert not steps.passed, steps
