"""Normalization: the z-score example, SymPy proofs, BN/LN backward against CD and autograd,
the default eps, the axes and smallest sizes accepted, bad input."""


import autograd.numpy as anp
import numpy as np
import pytest
import sympy as sp
from autograd import grad
from hypothesis import given, settings
from hypothesis import strategies as st

from derivations import verify
from derivations.numeric import normalization as normalization_np
from derivations.symbolic import normalization as normalization_sym


def R(*shape):
    return np.random.default_rng(sum(shape)).standard_normal(shape)


# --------------------------------------------------------------- the general-N machinery
i, j, k, N = normalization_sym.i, normalization_sym.j, normalization_sym.k, normalization_sym.N


def test_sum_out_agrees_with_explicit_sums_at_a_concrete_size(rng):
    """sum_out's power sums, given the values of a concrete batch, reproduce the sums."""
    size = 6
    xs, up = rng.standard_normal(size), rng.standard_normal(size)
    expr = sp.Sum(normalization_sym.Upstream(i) * (normalization_sym.x[i] - sp.Sum(normalization_sym.x[j], (j, 1, N)) / N) ** 2
                  + sp.KroneckerDelta(i, k) * normalization_sym.x[i] ** 3, (i, 1, N))
    values = {normalization_sym.x: xs, normalization_sym.Upstream: up}
    direct = normalization_sym._at_size(expr.subs(k, 2), N, size, values)
    summed = normalization_sym.sum_out(expr)
    numbers = {}
    for (key, size_), symbol in normalization_sym._POWER_SUMS.items():
        if size_ == N and symbol in summed.free_symbols:
            numbers[symbol] = sum(normalization_sym._at_size(key.xreplace({normalization_sym._IOTA: m}), N, size, values)
                                  for m in range(1, size + 1))
    numbers.update({normalization_sym.x[k]: xs[1], N: size})
    assert float(summed.xreplace({k: 2}).xreplace({normalization_sym.x[2]: xs[1]}).xreplace(numbers)) == pytest.approx(direct, rel=1e-12)


def test_normal_form_refutes_a_backward_pass_without_its_third_term():
    L = sp.Sum(normalization_sym.Upstream(i) * normalization_sym.bn_output(i), (i, 1, N))
    derived = normalization_sym.normal_form(sp.diff(normalization_sym.definitions(L), normalization_sym.x[k]),
                             normalization_sym.definitions(normalization_sym._add(normalization_sym.s ** 2, normalization_sym.eps)), normalization_sym.eps)
    a, b = normalization_sym.canonical(derived, normalization_sym._bn(normalization_sym.bn_dx(k)))
    assert a == b
    wrong = (normalization_sym.BN_COEFF * normalization_sym._add(*normalization_sym.BN_TERMS[:2])).xreplace({i: k})
    a, b = normalization_sym.canonical(derived, normalization_sym._bn(wrong))
    assert a != b
    check = verify.symbolic_identity("t", "wrong", a, b)
    assert not check.passed


def test_sum_out_refuses_what_it_cannot_sum():
    with pytest.raises(ValueError, match="cannot sum"):
        normalization_sym.sum_out(sp.Sum(sp.sqrt(normalization_sym.x[i] ** 2 + 1), (i, 1, N)))
    with pytest.raises(ValueError, match="start at 1"):
        normalization_sym.sum_out(sp.Sum(normalization_sym.x[i], (i, 0, N)))


def test_a_change_of_the_model_breaks_the_checks_against_numpy(monkeypatch):
    """Dividing the displayed variance by N - 1 changes the page's equation and fails the
    comparison with batchnorm_forward (which divides by N)."""
    sample = lambda size=N: sp.Sum(normalization_sym._add(normalization_sym.x[i], -normalization_sym.mu) ** 2, (i, 1, size)) / (size - 1)  # noqa: E731
    monkeypatch.setattr(normalization_sym, "variance", sample)
    normalization_sym.all_ones_test.cache_clear()
    assert r"\frac{1}{-1 + N}" in normalization_sym.exhibits()["eq_bn_forward"].tex
    failed = {c.name for c in normalization_sym.checks(0) if not c.passed}
    assert f"batchnorm_forward equals the displayed o, N = {normalization_sym.N_NUMERIC}" in failed
    assert f"batchnorm_backward equals the displayed dL/dx, N = {normalization_sym.N_NUMERIC}" in failed


def test_worked_example_exact_values():
    ex = normalization_sym.worked_example()
    assert ex["mean"] == sp.Rational(166, 5)
    assert ex["var"] == sp.Rational(35574, 25)          # population variance, 1422.96
    x = np.array(normalization_sym.EXAMPLE, dtype=float)
    assert float(ex["var"]) == pytest.approx(x.var(ddof=0), rel=1e-15)
    np.testing.assert_allclose(normalization_np.zscore(x), (x - x.mean()) / x.std(), rtol=1e-15)


def autograd_norm(x, gamma, beta, eps, axis):
    mu = anp.mean(x, axis=axis, keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=axis, keepdims=True)
    return gamma * (x - mu) / anp.sqrt(var + eps) + beta


@pytest.mark.parametrize("kind,axis", [("batchnorm", 0), ("layernorm", -1)])
# N = 2 is left to autograd (below): there x_hat = ±1 up to O(eps), the gradient is O(eps)
# and a finite difference of an almost constant function measures only its rounding.
@pytest.mark.parametrize("shape", [(3, 4), (7, 4), (64, 33)])
def test_backward_against_autograd_and_central_differences(kind, axis, shape, rng):
    fwd, bwd = getattr(normalization_np, f"{kind}_forward"), getattr(normalization_np, f"{kind}_backward")
    x = 5 * rng.standard_normal(shape) - 2
    gm, bt = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
    dout = rng.standard_normal(shape)                 # never all ones
    out, cache = fwd(x, gm, bt, eps=1e-4)
    np.testing.assert_allclose(out, autograd_norm(x, gm, bt, 1e-4, axis), rtol=1e-12, atol=1e-12)
    dx, dg, db = bwd(dout, cache)
    assert (dx.shape, dg.shape, db.shape) == (x.shape, gm.shape, bt.shape)
    phi = lambda x_, g_, b_: anp.sum(dout * autograd_norm(x_, g_, b_, 1e-4, axis))  # noqa: E731
    for got, argnum in ((dx, 0), (dg, 1), (db, 2)):
        np.testing.assert_allclose(got, grad(phi, argnum)(x, gm, bt), rtol=1e-9, atol=1e-12)
    c = verify.check_vjp(lambda v: fwd(v, gm, bt, eps=1e-4)[0], lambda g: dx, x, name=kind, topic="t", dout=dout)
    assert c.passed, c


def test_batch_of_two_against_autograd(rng):
    x, gm, bt = rng.standard_normal((2, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    dout = rng.standard_normal((2, 3))
    _, cache = normalization_np.batchnorm_forward(x, gm, bt, eps=1e-4)
    dx, _, _ = normalization_np.batchnorm_backward(dout, cache)
    expected = grad(lambda v: anp.sum(dout * autograd_norm(v, gm, bt, 1e-4, 0)))(x)
    np.testing.assert_allclose(dx, expected, rtol=1e-9, atol=1e-15)


def test_layernorm_on_higher_rank_and_single_sample(rng):
    x = rng.standard_normal((2, 3, 5))
    gm, bt = rng.uniform(0.5, 2, 5), rng.standard_normal(5)
    dout = rng.standard_normal(x.shape)
    _, cache = normalization_np.layernorm_forward(x, gm, bt)
    dx, dg, db = normalization_np.layernorm_backward(dout, cache)
    assert dx.shape == x.shape and dg.shape == (5,)
    c = verify.check_vjp(lambda v: normalization_np.layernorm_forward(v, gm, bt)[0], lambda g: dx, x, name="ln",
                         topic="t", dout=dout)
    assert c.passed
    one = rng.standard_normal((1, 5))
    out, _ = normalization_np.layernorm_forward(one, gm, bt)      # N = 1 is fine for layer norm
    assert np.isfinite(out).all()


def test_all_ones_upstream_gives_zero_dx(rng):
    x = rng.standard_normal((10, 4))
    _, cache = normalization_np.batchnorm_forward(x, np.ones(4), np.zeros(4))
    dx, _, _ = normalization_np.batchnorm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(dx, 0.0, atol=1e-14)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(N=st.integers(2, 9), D=st.integers(1, 6), seed=st.integers(0, 2**16),
       scale=st.sampled_from([1e-2, 1.0, 1e3]))
def test_batchnorm_output_statistics_for_random_shapes(N, D, seed, scale):
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal((N, D))
    out, _ = normalization_np.batchnorm_forward(x, np.ones(D), np.zeros(D), eps=1e-12 * scale**2)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(out.var(axis=0), 1.0, rtol=1e-6)


BAD = [
    (lambda: normalization_np.batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3)), r"x must have N >= 2 rows"),
    (lambda: normalization_np.batchnorm_forward(np.ones(3), np.ones(3), np.zeros(3)), r"x must be 2-D"),
    (lambda: normalization_np.batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3)), r"gamma must have shape \(D,\) = \(3,\)"),
    (lambda: normalization_np.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros((3, 1))), r"beta must have shape"),
    (lambda: normalization_np.batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), eps=0.0), r"eps must be positive"),
    (lambda: normalization_np.batchnorm_forward(np.full((4, 3), np.nan), np.ones(3), np.zeros(3)), r"x contains NaN"),
    (lambda: normalization_np.layernorm_forward(np.ones((4, 1)), np.ones(1), np.zeros(1)), r"at least 2 features"),
    (lambda: normalization_np.zscore(np.ones(4)), r"x is constant"),
    (lambda: normalization_np.zscore(np.ones(1)), r"at least 2 entries"),
]


@pytest.mark.parametrize("call,message", BAD)
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dout_of_the_wrong_shape(rng):
    _, cache = normalization_np.batchnorm_forward(rng.standard_normal((4, 3)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"dout must have the shape of x, \(4, 3\)"):
        normalization_np.batchnorm_backward(np.ones((3, 4)), cache)


def test_layernorm_acts_on_the_last_axis_of_any_rank():
    z = R(2, 3, 4)
    y, _ = normalization_np.layernorm_forward(z, np.ones(4), np.zeros(4))
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    y1, _ = normalization_np.layernorm_forward(z[0, 0], np.ones(4), np.zeros(4))   # a single 1-D vector
    np.testing.assert_allclose(y1, y[0, 0], rtol=1e-14)
    y2, _ = normalization_np.layernorm_forward(R(3, 2), np.ones(2), np.zeros(2))   # D = 2 is the minimum
    np.testing.assert_allclose(np.abs(y2), 1, rtol=1e-4)


def test_default_eps_is_1e_minus_5():
    x = R(4, 3)
    for fwd in (normalization_np.batchnorm_forward, normalization_np.layernorm_forward):
        np.testing.assert_array_equal(fwd(x, np.ones(3), np.zeros(3))[0], fwd(x, np.ones(3), np.zeros(3), eps=1e-5)[0])
        assert not np.array_equal(fwd(x, np.ones(3), np.zeros(3))[0], fwd(x, np.ones(3), np.zeros(3), eps=1e-3)[0])


def test_smallest_accepted_size_of_zscore():
    np.testing.assert_allclose(normalization_np.zscore(np.array([1.0, 3.0])), [-1.0, 1.0])


def test_eps_must_be_a_positive_number_not_a_bool():
    for fwd in (normalization_np.batchnorm_forward, normalization_np.layernorm_forward):
        with pytest.raises(TypeError, match="eps must be a real number, got bool"):
            fwd(R(4, 3), np.ones(3), np.zeros(3), eps=True)


@pytest.mark.parametrize("dtype,tol", [(np.float32, 1e-4), (np.float16, 4e-3)])
def test_statistics_are_accumulated_in_float64(dtype, tol):
    """float32 in, float32 out, with float64 statistics: a batch of 4096 rows with mean 1e3 was
    normalized with an error of 2.6e-3 (a float32 sum down each column); now within the input's
    own resolution (measured 3.0e-5 forward, 6.9e-7 backward; float16: 1.9e-3 and 5e-4)."""
    rng = np.random.default_rng(0)
    N, D = 4096, 64
    x = ((1e3 if dtype == np.float32 else 50) + rng.standard_normal((N, D))).astype(dtype)
    ones, zeros = np.ones(D, dtype), np.zeros(D, dtype)
    y, cache = normalization_np.batchnorm_forward(x, ones, zeros)
    y64, cache64 = normalization_np.batchnorm_forward(x.astype(np.float64), np.ones(D), np.zeros(D))
    dout = rng.standard_normal((N, D))
    grads = normalization_np.batchnorm_backward(dout.astype(dtype), cache)
    grads64 = normalization_np.batchnorm_backward(dout, cache64)
    assert y.dtype == dtype and all(g.dtype == dtype for g in grads)
    assert np.max(np.abs(y - y64)) <= tol
    for g, g64 in zip(grads, grads64):
        assert np.max(np.abs(g - g64)) <= tol * np.max(np.abs(g64))
    yl, _ = normalization_np.layernorm_forward(x.T.copy(), np.ones(N, dtype), np.zeros(N, dtype))
    assert yl.dtype == dtype
    assert np.max(np.abs(yl - normalization_np.layernorm_forward(x.T.astype(np.float64), np.ones(N), np.zeros(N))[0])) <= tol


# ------------------------------------------------------------------ speed (issue 17, item 7): what the fast paths keep

def test_nan_and_inf_are_found_through_the_sums_the_kernels_compute():
    """The NaN/inf check of x and dout is a sum the kernel computes anyway; it reports what
    float_array reports, for NaN, +inf, -inf and both infinities in one column (inf - inf)."""
    _, cache = normalization_np.batchnorm_forward(R(4, 3), np.ones(3), np.zeros(3))
    _, ln_cache = normalization_np.layernorm_forward(R(4, 3), np.ones(3), np.zeros(3))
    for bad in (np.nan, np.inf, -np.inf, "both"):
        a = R(4, 3)
        a[1:3, 1] = (np.inf, -np.inf) if bad == "both" else bad
        for call, name in ((lambda: normalization_np.batchnorm_forward(a, np.ones(3), np.zeros(3)), "x"),
                           (lambda: normalization_np.layernorm_forward(a, np.ones(3), np.zeros(3)), "x"),
                           (lambda: normalization_np.batchnorm_backward(a, cache), "dout"),
                           (lambda: normalization_np.layernorm_backward(a, ln_cache), "dout")):
            with pytest.raises(ValueError, match=f"^{name} contains NaN or infinite values$"):
                call()


def test_finite_inputs_whose_statistics_overflow_are_refused_not_normalized():
    """Entries near the float64 maximum: their sum (or their variance) overflows, and a mean of
    inf would make every output NaN (or an inv_std of 0 every output 0): refused by name."""
    big = np.full((4, 3), 1e308)
    with pytest.raises(ValueError, match=r"^x is too large: its sum over the normalized axes overflows"):
        normalization_np.batchnorm_forward(big, np.ones(3), np.zeros(3))
    spread = np.array([[1e200, -1e200, 0.0], [-1e200, 1e200, 1.0]])
    with pytest.raises(ValueError, match=r"^x is too large: its variance overflows"):
        normalization_np.layernorm_forward(spread, np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"^x is too large: its variance overflows"):
        normalization_np.batchnorm_forward(spread, np.ones(3), np.zeros(3))


def test_the_caller_arrays_are_not_modified_and_the_cache_is_read_only(rng):
    x, gm, bt, dout = rng.standard_normal((5, 3)), rng.uniform(0.5, 2, 3), rng.standard_normal(3), rng.standard_normal((5, 3))
    for a in (x, gm, bt, dout):
        a.flags.writeable = False           # an in-place update of a caller's array would raise
    for fwd, bwd in ((normalization_np.batchnorm_forward, normalization_np.batchnorm_backward),
                     (normalization_np.layernorm_forward, normalization_np.layernorm_backward)):
        out, cache = fwd(x, gm, bt)
        bwd(dout, cache)
        assert not any(a.flags.writeable for a in (cache.x_hat, cache.inv_std, cache.gamma))
        assert not np.shares_memory(out, cache.x_hat)


def test_layernorm_backward_takes_a_cache_of_layernorm_only():
    _, cache = normalization_np.batchnorm_forward(R(4, 3), np.ones(3), np.zeros(3))
    with pytest.raises(TypeError, match="^cache must be the NormCache that layernorm_forward returns, "
                                        "got one of batchnorm_forward$"):
        normalization_np.layernorm_backward(R(4, 3), cache)


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_layernorm_statistics_are_accumulated_in_float64(dtype):
    """A row of 4096 values with mean 1e3 (float32; 50 in float16): its normalized values and
    gradients within the input's own resolution of the float64 run's; dtype kept."""
    rng = np.random.default_rng(1)
    x = ((1e3 if dtype == np.float32 else 50) + rng.standard_normal((3, 4096))).astype(dtype)
    gm, bt, dout = rng.uniform(0.5, 2, 4096), rng.standard_normal(4096), rng.standard_normal((3, 4096))
    y, cache = normalization_np.layernorm_forward(x, gm.astype(dtype), bt.astype(dtype))
    y64, cache64 = normalization_np.layernorm_forward(x.astype(np.float64), gm, bt)
    tol = 1e-4 if dtype == np.float32 else 4e-3
    assert y.dtype == dtype and np.max(np.abs(y - y64)) <= tol * np.max(np.abs(y64))
    grads = normalization_np.layernorm_backward(dout.astype(dtype), cache)
    for g, g64 in zip(grads, normalization_np.layernorm_backward(dout, cache64)):
        assert g.dtype == dtype and np.max(np.abs(g - g64)) <= tol * np.max(np.abs(g64))


# ------------------------------------------------------------------ the complex step (issue 17, item 2)

@pytest.mark.parametrize("kind,shape,gshape", [("batchnorm", (5, 3), (3,)), ("layernorm", (4, 5), (5,)),
                                               ("layernorm", (2, 3, 4), (3, 4))])
def test_backward_equals_the_complex_step_of_the_forward(kind, shape, gshape, rng):
    """The backward pass against Im f(x + ih e_k)/h, entry by entry, for dx, dgamma and dbeta:
    the forward is the analytic continuation of the real one (complex statistics, the variance
    of xc * xc), so the complex step differentiates it to rounding."""
    fwd, bwd = getattr(normalization_np, f"{kind}_forward"), getattr(normalization_np, f"{kind}_backward")
    x = 3 * rng.standard_normal(shape) + 1
    gm, bt = rng.uniform(0.5, 2, gshape), rng.standard_normal(gshape)
    dout = rng.standard_normal(shape)
    dx, dg, db = bwd(dout, fwd(x, gm, bt, eps=1e-3)[1])
    for got, phi, at in ((dx, lambda v: np.sum(dout * fwd(v, gm, bt, eps=1e-3)[0]), x),
                         (dg, lambda v: np.sum(dout * fwd(x, v, bt, eps=1e-3)[0]), gm),
                         (db, lambda v: np.sum(dout * fwd(x, gm, v, eps=1e-3)[0]), bt)):
        np.testing.assert_allclose(got, verify.numeric_gradient(phi, at, "complex-step"), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("kind", ["batchnorm", "layernorm"])
def test_complex_input_with_zero_imaginary_part_gives_the_real_results(kind, rng):
    """x + 0i runs the complex arithmetic; its results are the real ones, with imaginary part 0."""
    fwd, bwd = getattr(normalization_np, f"{kind}_forward"), getattr(normalization_np, f"{kind}_backward")
    x, gm, bt, dout = rng.standard_normal((6, 4)), rng.uniform(0.5, 2, 4), rng.standard_normal(4), rng.standard_normal((6, 4))
    real_out, real_cache = fwd(x, gm, bt)
    cplx_out, cplx_cache = fwd(x.astype(complex), gm, bt)
    assert cplx_out.dtype == np.complex128 and not cplx_out.imag.any()
    np.testing.assert_allclose(cplx_out.real, real_out, rtol=1e-15, atol=1e-15)
    for r, c in zip(bwd(dout, real_cache), bwd(dout, cplx_cache)):
        assert c.dtype == np.complex128 and not c.imag.any()
        np.testing.assert_allclose(c.real, r, rtol=1e-14, atol=1e-15)


def test_zscore_of_complex_input_is_analytic_and_of_real_input_unchanged(rng):
    """The complex step through zscore equals autograd's gradient (std as sqrt(mean(xc^2)), not
    of abs(xc)^2); real input gives x.std()'s result to the bit in float64, and float32 input
    the float64 result rounded to float32 (statistics in float64); a complex step off a
    constant x is refused like the constant itself."""
    x, dout = rng.standard_normal(7), rng.standard_normal(7)
    expected = grad(lambda v: anp.sum(dout * (v - anp.mean(v)) / anp.std(v)))(x)
    got = verify.numeric_gradient(lambda v: np.sum(dout * normalization_np.zscore(v)), x, "complex-step")
    np.testing.assert_allclose(got, expected, rtol=1e-13)
    v = 5 * rng.standard_normal(1000) + 3
    np.testing.assert_array_equal(normalization_np.zscore(v), (v - v.mean()) / v.std())
    v32 = v.astype(np.float32)
    w = v32.astype(np.float64)
    z32 = normalization_np.zscore(v32)
    assert z32.dtype == np.float32
    np.testing.assert_array_equal(z32, ((w - w.mean()) / w.std()).astype(np.float32))
    with pytest.raises(ValueError, match="x is constant"):
        normalization_np.zscore(np.ones(4) + 1e-30j * np.arange(4))


# ------------------------------------------------------------------ layer norm over normalized_shape (item 6)

def test_layernorm_over_the_last_two_axes_hand_values():
    """gamma of shape (2, 2) normalizes the last two axes together, as torch's layer_norm with
    normalized_shape (2, 2). Sample 0 is [[0, 2], [0, 2]]: mean 1, variance 1, with eps = 3
    sqrt(var + eps) = 2, so x_hat = (x - 1)/2; sample 1 is sample 0 times 3 plus 1: mean 4,
    variance 9, with eps = 3 x_hat = (x - 4)/sqrt(12)."""
    s0 = np.array([[0.0, 2.0], [0.0, 2.0]])
    x = np.stack([s0, 3 * s0 + 1])
    gm, bt = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, 0.0], [0.0, -0.5]])
    out, cache = normalization_np.layernorm_forward(x, gm, bt, eps=3.0)
    xh0 = np.array([[-0.5, 0.5], [-0.5, 0.5]])
    xh1 = np.array([[-3.0, 3.0], [-3.0, 3.0]]) / np.sqrt(12)
    np.testing.assert_allclose(out, np.stack([gm * xh0 + bt, gm * xh1 + bt]), rtol=1e-15, atol=1e-15)
    assert cache.axis == (-2, -1) and cache.inv_std.shape == (2, 1, 1)
    dx, dg, db = normalization_np.layernorm_backward(np.ones_like(x), cache)
    np.testing.assert_allclose(dg, xh0 + xh1, rtol=1e-15)         # sum over the leading axis of x_hat
    np.testing.assert_allclose(db, 2 * np.ones((2, 2)), rtol=0)
    assert dx.shape == x.shape


def test_layernorm_over_two_axes_against_autograd_and_central_differences(rng):
    x = 2 * rng.standard_normal((3, 4, 5)) + 1
    gm, bt, dout = rng.uniform(0.5, 2, (4, 5)), rng.standard_normal((4, 5)), rng.standard_normal((3, 4, 5))
    out, cache = normalization_np.layernorm_forward(x, gm, bt, eps=1e-4)
    np.testing.assert_allclose(out, autograd_norm(x, gm, bt, 1e-4, (-2, -1)), rtol=1e-12, atol=1e-12)
    grads = normalization_np.layernorm_backward(dout, cache)
    assert [g.shape for g in grads] == [x.shape, gm.shape, bt.shape]
    phi = lambda x_, g_, b_: anp.sum(dout * autograd_norm(x_, g_, b_, 1e-4, (-2, -1)))  # noqa: E731
    for got, argnum in zip(grads, (0, 1, 2)):
        np.testing.assert_allclose(got, grad(phi, argnum)(x, gm, bt), rtol=1e-9, atol=1e-12)
    c = verify.check_vjp(lambda v: normalization_np.layernorm_forward(v, gm, bt, eps=1e-4)[0], lambda g: grads[0], x,
                         name="ln2", topic="t", dout=dout)
    assert c.passed, c


def test_layernorm_over_all_axes_of_x_and_a_gamma_of_one_axis_is_the_old_call(rng):
    x = rng.standard_normal((3, 4))
    gm, bt = rng.uniform(0.5, 2, (3, 4)), rng.standard_normal((3, 4))
    out, cache = normalization_np.layernorm_forward(x, gm, bt)       # one sample: the whole array
    np.testing.assert_allclose(out, autograd_norm(x, gm, bt, 1e-5, (0, 1)), rtol=1e-12, atol=1e-12)
    assert cache.inv_std.shape == (1, 1) and cache.axis == (-2, -1)
    _, last = normalization_np.layernorm_forward(x, gm[0], bt[0])
    assert last.axis == (-1,) and last.inv_std.shape == (3, 1)


@pytest.mark.parametrize("x,gm,bt,message", [
    (np.ones((2, 3)), np.float64(1.0), np.float64(0.0), r"gamma must have at least one axis"),
    (np.ones((2, 3)), np.ones((2, 2)), np.zeros((2, 2)), r"x must end with the shape of gamma, \(2, 2\)"),
    (np.ones(3), np.ones((1, 3)), np.zeros((1, 3)), r"x must end with the shape of gamma, \(1, 3\)"),
    (np.ones((2, 3)), np.ones(3), np.zeros((1, 3)), r"beta must have the shape of gamma, \(3,\), got \(1, 3\)"),
    (np.ones((2, 1, 1)), np.ones((1, 1)), np.zeros((1, 1)), r"at least 2 features on its last 2 axes"),
    (np.ones((2, 0, 3)), np.ones((0, 3)), np.zeros((0, 3)), r"at least 2 features on its last 2 axes"),
])
def test_layernorm_shapes_are_refused_by_name(x, gm, bt, message):
    with pytest.raises(ValueError, match=message):
        normalization_np.layernorm_forward(x, gm, bt)


# ------------------------------------------------------------------ batch norm's running statistics (item 6)

X_HAND = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0]])   # batch means (3, 4), biased variances (8/3, 8/3)


def test_running_statistics_follow_torch_hand_values():
    """PyTorch's update, by hand: running = 0.9 running + 0.1 batch, the variance unbiased
    (N/(N - 1) = 3/2: 8/3 -> 4) in the update though the normalization divides by N."""
    start = normalization_np.RunningStats.start(2)
    np.testing.assert_array_equal(start.mean, [0.0, 0.0])
    np.testing.assert_array_equal(start.var, [1.0, 1.0])
    out, cache, running = normalization_np.batchnorm_forward(X_HAND, np.ones(2), np.zeros(2), running=start)
    np.testing.assert_allclose(running.mean, [0.3, 0.4], rtol=1e-15)
    np.testing.assert_allclose(running.var, [0.9 + 0.4, 0.9 + 0.4], rtol=1e-15)
    np.testing.assert_allclose(out, normalization_np.batchnorm_forward(X_HAND, np.ones(2), np.zeros(2))[0], rtol=0)
    _, _, again = normalization_np.batchnorm_forward(X_HAND, np.ones(2), np.zeros(2), running=running, momentum=0.5)
    np.testing.assert_allclose(again.mean, [0.15 + 1.5, 0.2 + 2.0], rtol=1e-15)
    np.testing.assert_allclose(again.var, [0.65 + 2.0, 0.65 + 2.0], rtol=1e-15)
    np.testing.assert_array_equal(start.mean, [0.0, 0.0])     # the arguments are not updated in place


def test_inference_uses_the_running_statistics_hand_values():
    """Running mean (1, -2) and variance (3.99, 0.24) with eps = 0.01: sqrt(var + eps) = (2, 0.5);
    y = gamma (x - mean) / (2, 0.5) + beta, for a single sample too; the running statistics
    come back unchanged."""
    running = normalization_np.RunningStats(np.array([1.0, -2.0]), np.array([3.99, 0.24]))
    gm, bt = np.array([2.0, -1.0]), np.array([0.5, 0.25])
    out, cache, same = normalization_np.batchnorm_forward(X_HAND, gm, bt, eps=0.01, running=running, training=False)
    assert same is running and cache.running
    np.testing.assert_allclose(out, [[0.5, -7.75], [2.5, -15.75], [4.5, -11.75]], rtol=1e-15)
    one, _, _ = normalization_np.batchnorm_forward(X_HAND[:1], gm, bt, eps=0.01, running=running, training=False)
    np.testing.assert_allclose(one, [[0.5, -7.75]], rtol=1e-15)
    dout = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 4.0]])
    dx, dg, db = normalization_np.batchnorm_backward(dout, cache)
    np.testing.assert_allclose(dx, dout * [1.0, -2.0], rtol=1e-15)                # gamma / (2, 0.5)
    np.testing.assert_allclose(dg, [(1 * 0 + -1 * 1 + 0 * 2), 2 * 8 + 0.5 * 16 + 4 * 12], rtol=1e-15)
    np.testing.assert_allclose(db, [0.0, 6.5], rtol=1e-15)


def test_inference_backward_against_central_differences_and_autograd(rng):
    x, gm, bt = 2 * rng.standard_normal((6, 3)) + 1, rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    running = normalization_np.RunningStats(rng.standard_normal(3), rng.uniform(0.5, 2, 3))
    dout = rng.standard_normal(x.shape)
    fwd = lambda x_, g_, b_: normalization_np.batchnorm_forward(  # noqa: E731
        x_, g_, b_, running=running, training=False)[0]
    grads = normalization_np.batchnorm_backward(dout, normalization_np.batchnorm_forward(
        x, gm, bt, running=running, training=False)[1])
    expected = lambda x_, g_, b_: anp.sum(dout * (g_ * (x_ - running.mean) / anp.sqrt(running.var + 1e-5) + b_))  # noqa: E731
    for got, argnum, at in zip(grads, (0, 1, 2), (x, gm, bt)):
        np.testing.assert_allclose(got, grad(expected, argnum)(x, gm, bt), rtol=1e-12, atol=1e-14)
        f = [lambda v: fwd(v, gm, bt), lambda v: fwd(x, v, bt), lambda v: fwd(x, gm, v)][argnum]
        c = verify.check_vjp(f, lambda g, got=got: got, at, name="bn inference", topic="t", dout=dout)
        assert c.passed, c


def test_running_statistics_keep_their_dtype_and_take_the_complex_step(rng):
    x32 = rng.standard_normal((8, 3)).astype(np.float32)
    start = normalization_np.RunningStats.start(3, np.float32)
    out, _, running = normalization_np.batchnorm_forward(x32, np.ones(3, np.float32), np.zeros(3, np.float32), running=start)
    assert out.dtype == np.float32 and running.mean.dtype == np.float32 and running.var.dtype == np.float32
    out, _ = normalization_np.batchnorm_forward(x32, np.ones(3, np.float32), np.zeros(3, np.float32),
                                                running=running, training=False)[:2]
    assert out.dtype == np.float32
    # d running.var / d x through the complex step: 0.1 N/(N-1) d(biased var)/dx = 0.1 * 2 (x - mean) / (N - 1)
    x = rng.standard_normal((5, 2))
    step = normalization_np.batchnorm_forward(x + 0j, np.ones(2), np.zeros(2), running=normalization_np.RunningStats.start(2))[2]
    assert step.var.dtype == np.complex128
    got = verify.numeric_gradient(lambda v: normalization_np.batchnorm_forward(
        v, np.ones(2), np.zeros(2), running=normalization_np.RunningStats.start(2))[2].var.sum(), x, "complex-step")
    np.testing.assert_allclose(got, 0.1 * 2 * (x - x.mean(axis=0)) / 4, rtol=1e-13)


@pytest.mark.parametrize("kwargs,error,message", [
    ({"training": False}, ValueError, "running must be given when training is False"),
    ({"running": (np.zeros(2),)}, TypeError, r"running must be a RunningStats\(mean, var\), got tuple"),
    ({"running": np.zeros((2, 2))}, TypeError, "running must be a RunningStats"),
    ({"running": (np.zeros(3), np.ones(2))}, ValueError, r"running.mean must have shape \(D,\) = \(2,\), got \(3,\)"),
    ({"running": (np.zeros(2), np.array([1.0, -0.5]))}, ValueError, "running.var must be >= 0"),
    ({"running": (np.zeros(2), np.array([1.0, np.nan]))}, ValueError, "running.var contains NaN"),
    ({"running": (np.zeros(2), np.ones(2)), "momentum": 1.5}, ValueError, r"momentum must lie in \[0, 1\], got 1.5"),
    ({"running": (np.zeros(2), np.ones(2)), "momentum": None}, TypeError, "momentum must be a real number"),
    ({"training": 0}, TypeError, "training must be True or False, got int"),
])
def test_running_statistics_arguments_are_checked_by_name(kwargs, error, message):
    with pytest.raises(error, match=message):
        normalization_np.batchnorm_forward(X_HAND, np.ones(2), np.zeros(2), **kwargs)


def test_running_statistics_start_refuses_a_bad_size():
    for D in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="D must be a positive integer"):
            normalization_np.RunningStats.start(D)


# ------------------------------------------------------------------ issue 19: hand steps, inference mode, feature maps

def _hand_checks_passed():
    return {c.name: c.passed for c in normalization_sym.hand_step_checks()}


def test_every_hand_step_is_proved():
    passed = _hand_checks_passed()
    assert len(passed) == len(normalization_sym.DXHAT_STEP_NAMES) + 1 + len(normalization_sym.DX_STEP_NAMES)
    assert all(passed.values()), passed


def _mutated(attr, index, new):
    steps = list(getattr(normalization_sym, attr))
    steps[index] = new
    return tuple(steps)


nz = normalization_sym
_HAT_MUTANTS = {   # a wrong hand step of dx-hat_i/dx_k: the relations it touches must fail
    "the quotient rule's mu term with the wrong sign": (
        1, nz.DXHAT_STEPS[1].xreplace({nz.Partial(nz.mu, nz.x[nz.k]): -nz.Partial(nz.mu, nz.x[nz.k])}), (0, 1)),
    "dmu/dx_k = 1/(N - 1)": (2, nz.DXHAT_STEPS[2].xreplace({1 / nz.N: 1 / (nz.N - 1)}), (1, 2)),
    "the standard deviation s in place of sqrt(s2 + eps)": (
        3, nz._add(sp.KroneckerDelta(nz.i, nz.k), -1 / nz.N, -nz.x_hat[nz.i] * nz.x_hat[nz.k] / nz.N) / nz.s, (2,)),
}


@pytest.mark.parametrize("what", list(_HAT_MUTANTS))
def test_a_wrong_jacobian_step_is_refuted(monkeypatch, what):
    index, new, broken = _HAT_MUTANTS[what]
    monkeypatch.setattr(nz, "DXHAT_STEPS", _mutated("DXHAT_STEPS", index, new))
    results = [c.passed for c in nz.hand_step_checks()]
    assert [results[r] for r in range(3)] == [r not in broken for r in range(3)], what


_DX_MUTANTS = {
    "the chain rule without the sum over i": (1, nz.DX_STEPS[1].function, (0, 1)),
    "gamma dropped": (2, nz.DX_STEPS[2].xreplace({nz.gamma: 1}), (1, 2)),
    "the Jacobian's 1/N dropped": (3, sp.Sum(nz.gamma * nz.Upstream(nz.i) * nz._add(
        sp.KroneckerDelta(nz.i, nz.k), -nz.x_hat[nz.i] * nz.x_hat[nz.k] / nz.N) / nz._sqrt_var_eps(), (nz.i, 1, nz.N)),
        (2, 3)),
    "the variance sum dropped": (4, nz.BN_SUM_COEFF * nz._add(*nz.BN_SUM_TERMS[:2]), (3, 4)),
}


@pytest.mark.parametrize("what", list(_DX_MUTANTS))
def test_a_wrong_chain_rule_step_is_refuted(monkeypatch, what):
    index, new, broken = _DX_MUTANTS[what]
    monkeypatch.setattr(nz, "DX_STEPS", _mutated("DX_STEPS", index, new))
    results = [c.passed for c in nz.hand_step_checks()][4:]
    assert results == [r not in broken for r in range(5)], what


def test_dl_dxhat_and_the_inference_steps_refute_a_wrong_claim(monkeypatch):
    monkeypatch.setattr(nz, "DL_DXHAT", (nz.DL_DXHAT[0], nz.Upstream(nz.i)))
    assert not next(c for c in nz.hand_step_checks() if c.name == nz.DL_DXHAT_NAME).passed
    monkeypatch.undo()
    assert all(c.passed for c in nz.inference_step_checks())
    wrong = (nz.INF_STEPS[0], nz.INF_STEPS[1].xreplace({nz.v_r: nz.v_r ** 2}), nz.INF_STEPS[2])
    monkeypatch.setattr(nz, "INF_STEPS", wrong)
    assert [c.passed for c in nz.inference_step_checks()] == [True, False, False]


def test_the_raw_terms_are_21_at_n_3_and_a_wrong_formula_fails_their_sum(monkeypatch):
    assert len(nz.raw_terms(3)) == 21
    assert nz.raw_terms_check().passed
    T = nz.BN_TERMS
    monkeypatch.setattr(nz, "BN_TERMS", (T[0], T[1], -T[2]))
    assert not nz.raw_terms_check().passed


def test_the_inference_parameter_claims_are_refuted_when_wrong():
    import dataclasses
    claims = [c for c in nz.size_claims() if c.name in (nz.INFERENCE_DGAMMA_NAME, nz.INFERENCE_DBETA_NAME)]
    assert len(claims) == 2 and all(c.prove("t").passed for c in claims)
    wrong = dataclasses.replace(claims[0], claim=lambda: sp.Sum(nz.Upstream(nz.i) * nz.x[nz.i] / sp.sqrt(
        nz.v_r + nz.eps), (nz.i, 1, nz.N)))      # m_r forgotten
    assert not wrong.prove("t").passed
    assert not wrong.explicit("t", (2,)).passed


def autograd_bn2d(x, gamma, beta, eps):
    mu = anp.mean(x, axis=(0, 2, 3), keepdims=True)
    var = anp.mean((x - mu) ** 2, axis=(0, 2, 3), keepdims=True)
    return gamma[None, :, None, None] * (x - mu) / anp.sqrt(var + eps) + beta[None, :, None, None]


@pytest.mark.parametrize("shape", [(2, 3, 2, 2), (1, 2, 3, 4), (5, 1, 1, 1), (3, 4, 5, 2)])
def test_batchnorm2d_against_autograd_and_the_complex_step(shape, rng):
    x = 3 * rng.standard_normal(shape) + 1
    gm, bt = rng.uniform(0.5, 2, shape[1]), rng.standard_normal(shape[1])
    dout = rng.standard_normal(shape)
    out, cache = normalization_np.batchnorm2d_forward(x, gm, bt, eps=1e-4)
    np.testing.assert_allclose(out, autograd_bn2d(x, gm, bt, 1e-4), rtol=1e-12, atol=1e-12)
    grads = normalization_np.batchnorm2d_backward(dout, cache)
    assert [g.shape for g in grads] == [shape, gm.shape, bt.shape]
    phi = lambda x_, g_, b_: anp.sum(dout * autograd_bn2d(x_, g_, b_, 1e-4))  # noqa: E731
    for got, argnum in zip(grads, (0, 1, 2)):
        np.testing.assert_allclose(got, grad(phi, argnum)(x, gm, bt), rtol=1e-9, atol=1e-12)
    c = verify.check_vjp(lambda v: normalization_np.batchnorm2d_forward(v, gm, bt, eps=1e-4)[0], lambda g: grads[0], x,
                         name="bn2d", topic="t", dout=dout, method="complex-step", every_entry=True)
    assert c.passed, c


def test_batchnorm2d_running_statistics_and_inference_mode(rng):
    x = rng.standard_normal((2, 3, 2, 2)) + np.arange(3)[None, :, None, None]
    start = normalization_np.RunningStats.start(3)
    out, cache, running = normalization_np.batchnorm2d_forward(x, np.ones(3), np.zeros(3), running=start, momentum=0.5)
    values = x.transpose(1, 0, 2, 3).reshape(3, -1)
    np.testing.assert_allclose(running.mean, 0.5 * values.mean(axis=1), rtol=1e-14)
    np.testing.assert_allclose(running.var, 0.5 + 0.5 * values.var(axis=1, ddof=1), rtol=1e-14)  # 8/7 s^2
    one = x[:1]
    y, cache, same = normalization_np.batchnorm2d_forward(one, np.ones(3), np.zeros(3), running=running, training=False)
    assert same is running
    np.testing.assert_allclose(y, (one - running.mean[None, :, None, None]) / np.sqrt(running.var + 1e-5)[None, :, None, None],
                               rtol=1e-14)
    dout = rng.standard_normal(one.shape)
    dx = normalization_np.batchnorm2d_backward(dout, cache)[0]
    np.testing.assert_allclose(dx, dout / np.sqrt(running.var + 1e-5)[None, :, None, None], rtol=1e-14)


@pytest.mark.parametrize("call,error,message", [
    (lambda: normalization_np.batchnorm2d_forward(np.ones((4, 3)), np.ones(3), np.zeros(3)), ValueError,
     r"x must be 4-D \(N, C, H, W\)"),
    (lambda: normalization_np.batchnorm2d_forward(np.ones((1, 2, 1, 1)), np.ones(2), np.zeros(2)), ValueError,
     r"x must have N H W >= 2 values per channel"),
    (lambda: normalization_np.batchnorm2d_forward(np.ones((2, 0, 2, 2)), np.ones(0), np.zeros(0)), ValueError,
     r"at least one channel"),
    (lambda: normalization_np.batchnorm2d_forward(R(2, 3, 2, 2), np.ones(2), np.zeros(3)), ValueError,
     r"gamma must have shape \(C,\) = \(3,\)"),
    (lambda: normalization_np.batchnorm2d_forward(R(2, 3, 2, 2), np.ones(3), np.zeros((3, 1))), ValueError,
     r"beta must have shape \(C,\)"),
    (lambda: normalization_np.batchnorm2d_forward(np.full((2, 3, 2, 2), np.inf), np.ones(3), np.zeros(3)), ValueError,
     r"x contains NaN or infinite"),
    (lambda: normalization_np.batchnorm2d_forward(np.ones((2, 3, 2, 2), int), np.ones(3), np.zeros(3)), TypeError,
     r"x must be an array of real floats"),
    (lambda: normalization_np.batchnorm2d_forward(R(2, 3, 2, 2), np.ones(3), np.zeros(3), training=False), ValueError,
     r"running must be given when training is False"),
    (lambda: normalization_np.batchnorm2d_backward(np.ones((2, 3, 2, 2)), normalization_np.batchnorm_forward(
        R(4, 3), np.ones(3), np.zeros(3))[1]), TypeError, r"cache must be the ChannelCache that batchnorm2d_forward returns"),
    (lambda: normalization_np.batchnorm2d_backward(np.ones((2, 3, 2, 3)), normalization_np.batchnorm2d_forward(
        R(2, 3, 2, 2), np.ones(3), np.zeros(3))[1]), ValueError, r"dout must have the shape of x, \(2, 3, 2, 2\)"),
])
def test_batchnorm2d_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_batch_of_one_sample_is_fine_for_feature_maps_with_several_positions(rng):
    x = rng.standard_normal((1, 2, 3, 3))
    out, _ = normalization_np.batchnorm2d_forward(x, np.ones(2), np.zeros(2))
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), 0, atol=1e-14)


def test_the_train_eval_and_wrong_axes_checks_fail_when_their_code_is_wrong(monkeypatch):
    """Mutations: an update that keeps the biased variance, an inference mode that uses the
    batch's statistics, a batchnorm2d that forgets to move the channel axis."""
    passed = lambda: {c.name: c.passed for c in nz.train_eval_checks()}  # noqa: E731
    assert all(passed().values())
    real = normalization_np.batchnorm_forward

    def biased(x, gamma, beta, eps=1e-5, *, running=None, momentum=0.1, training=True):
        result = real(x, gamma, beta, eps, running=running, momentum=momentum, training=training)
        if running is None or not training:
            return result
        N_ = x.shape[0]
        shrunk = (result[2].var - (1 - momentum) * running.var) * (N_ - 1) / N_ + (1 - momentum) * running.var
        return result[0], result[1], normalization_np.RunningStats(result[2].mean, shrunk)
    monkeypatch.setattr(normalization_np, "batchnorm_forward", biased)
    nz.variance_bias.cache_clear()
    assert not passed()["batchnorm_forward's running variance (momentum 1) averages to 1 over all 2^N batches "
                        "of +-1 samples, N = 2, 3, 4, 5"]
    monkeypatch.undo()
    nz.variance_bias.cache_clear()

    def batch_stats_always(x, gamma, beta, eps=1e-5, *, running=None, momentum=0.1, training=True):
        if not training:
            if np.asarray(x).shape[0] < 2:
                return np.asarray(beta) + 0 * np.asarray(x), None, running
            return (*real(x, gamma, beta, eps), running)
        return real(x, gamma, beta, eps, running=running, momentum=momentum)
    monkeypatch.setattr(normalization_np, "batchnorm_forward", batch_stats_always)
    assert not passed()["in inference mode a sample's output is the same in any batch, a batch of one too (exactly)"]
    monkeypatch.undo()

    monkeypatch.setattr(normalization_np, "_channels_last", lambda a: a.reshape(-1, a.shape[1]))
    monkeypatch.setattr(normalization_np, "_channels_first", lambda a, shape: a.reshape(shape))
    failed = {c.name for c in nz.channel_checks(np.random.default_rng(0)) if not c.passed}
    assert "batchnorm2d_forward equals the displayed o with the N H W values of each channel as the batch, " \
           "shape (2, 3, 2, 2)" in failed
    assert "x.reshape(-1, C) without moving C last differs from per-channel batch norm (by more than 0.5)" in failed


def test_the_per_channel_claims_refute_a_count_of_n_or_a_channel_mix_up(monkeypatch):
    L, claim, radicand = nz.map_claims()
    got = sp.diff(L, nz.x[nz.k, nz.c4, nz.p4, nz.q4])
    assert nz._same_rational("t", "right", got, claim, radicand, "s").passed
    counted_n = nz.per_map(nz.definitions(nz.bn_dx(nz.k)), size=nz.N).xreplace({nz.gamma: nz.gamma_i[nz.c4]})
    assert not nz._same_rational("t", "N for N H W", got, counted_n, radicand, "s").passed
    other = sp.Symbol("d", positive=True, integer=True)        # another channel's gamma
    assert not nz._same_rational("t", "gamma_d", got, claim.xreplace({nz.gamma_i[nz.c4]: nz.gamma_i[other]}),
                                 radicand, "s").passed
    # the explicit witness fails too when the claim is wrong
    monkeypatch.setattr(nz, "map_claims", lambda: (L, counted_n, radicand))
    assert [c.passed for c in nz.map_checks()] == [True, False, False]
