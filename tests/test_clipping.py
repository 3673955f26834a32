"""Gradient clipping: semantics (at the thresholds too), direction, bad input, and the training
experiment."""

import numpy as np
import pytest

from derivations.numeric import clipping as clipping_np
from derivations.symbolic import clipping as clipping_sym


def test_norm_clipping_semantics(rng):
    g = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    total = np.sqrt(sum(np.sum(v**2) for v in g.values()))
    out, reported = clipping_np.clip_grad_norm(g, 0.5)
    assert reported == pytest.approx(total, rel=1e-15)
    for k in g:
        np.testing.assert_allclose(out[k], g[k] * 0.5 / (total + 1e-6), rtol=1e-14)
        assert out[k] is not g[k]
    assert clipping_sym.angle_degrees(g, out) < 1e-12
    same, _ = clipping_np.clip_grad_norm(g, total * 2)
    for k in g:
        np.testing.assert_array_equal(same[k], g[k])


def test_value_clipping_changes_the_direction(rng):
    g = {"a": np.array([10.0, 0.1, -0.2])}
    out = clipping_np.clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(out["a"], [1.0, 0.1, -0.2])
    assert clipping_sym.angle_degrees(g, out) > 5


def test_training_with_clipping_learns_and_without_diverges(rng):
    x, y = clipping_sym.echo_task(np.random.default_rng(0))       # the book page's configuration
    unclipped = clipping_sym.train_rnn(x, y, 16, 0.05, 200, None)
    clipped = clipping_sym.train_rnn(x, y, 16, 0.05, 200, 1.0)
    assert np.isfinite(clipped.losses).all() and clipped.losses[-1] < clipped.losses[0] / 10
    assert not np.isfinite(unclipped.losses).all() and np.nanmax(unclipped.losses) > 1e100
    assert unclipped.stopped.startswith(f"step {clipping_sym.first_nan(unclipped.losses)},") and clipped.stopped == ""
    # the update lengths: lr times the (clipped) gradient norm
    stop = clipping_sym.first_nan(unclipped.losses)
    np.testing.assert_allclose(unclipped.steps[:stop], 0.05 * unclipped.norms[:stop], rtol=1e-10)
    assert np.all(clipped.steps <= 0.05 * 1.0)


def test_the_displayed_factor_is_the_one_the_code_uses():
    assert clipping_sym.clip_factor(1.0, 4.0) == 0.25 and clipping_sym.clip_factor(5.0, 4.0) == 1.0
    g = {"a": np.array([3.0, 4.0])}
    out, _ = clipping_np.clip_grad_norm(g, 1.0)
    np.testing.assert_allclose(out["a"], g["a"] * clipping_sym.clip_factor(1.0, 5.0 + clipping_sym.EPS), rtol=1e-15)


def test_page_numbers_are_what_the_checks_check(exhibits_of):
    ex = exhibits_of("clipping")
    runs = clipping_sym.experiment()
    assert ex["diverged_at"] == str(clipping_sym.first_nan(runs["no clipping"].losses))
    assert float(ex["angle_norm"]) == 0.0 and float(ex["angle_value"]) > 10
    assert ex["eq_clip_norm"].tex == r"g \leftarrow g \, \min\left(1, \frac{c}{\lVert g \rVert}\right)"


@pytest.mark.parametrize("call,exc,message", [
    (lambda: clipping_np.clip_grad_norm({"a": np.ones(2)}, -0.5), ValueError, "max_norm must be >= 0, got -0.5"),
    (lambda: clipping_np.clip_grad_norm({"a": np.ones(2)}, float("nan")), ValueError, "max_norm must be a number, got nan"),
    (lambda: clipping_np.clip_grad_norm({"a": np.ones(2)}, "1"), TypeError, "max_norm must be a real number"),
    (lambda: clipping_np.clip_grad_norm({}, 1.0), ValueError, "grads must be a non-empty dict"),
    (lambda: clipping_np.clip_grad_norm({"a": np.array([np.nan])}, 1.0), ValueError, r"grads\['a'\] contains NaN"),
    (lambda: clipping_np.clip_grad_value({"a": np.ones(2)}, -1.0), ValueError, "clip_value must be positive"),
])
def test_bad_input(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_max_norm_zero_and_infinity_as_in_torch():
    """torch.nn.utils.clip_grad_norm_ multiplies by min(1, max_norm / (total + 1e-6)): max_norm 0
    zeroes every gradient, max_norm inf leaves them as they are (hand-computed, norm 13)."""
    g = {"W": np.array([[3.0, 4.0], [0.0, 12.0]]), "b": np.array([-0.0, 0.0])}
    zero, total = clipping_np.clip_grad_norm(g, 0.0)
    assert total == 13.0 and all(np.array_equal(v, np.zeros_like(g[k])) for k, v in zero.items())
    same, total = clipping_np.clip_grad_norm(g, float("inf"))
    assert total == 13.0 and all(np.array_equal(v, g[k]) for k, v in same.items())
    zeros, total = clipping_np.clip_grad_norm({"W": np.zeros(3)}, 0.0)   # nothing to scale
    assert total == 0.0 and np.array_equal(zeros["W"], np.zeros(3))


def test_clipping_boundaries():
    g = {"W": np.array([3.0, 4.0])}                       # norm 5
    same, total = clipping_np.clip_grad_norm(g, 5.0)        # at the threshold: untouched
    assert total == 5.0 and np.array_equal(same["W"], g["W"])
    np.testing.assert_array_equal(clipping_np.clip_grad_value({"W": np.array([-3.0, 0.5, 4.0])}, 1.0)["W"],
                                  [-1.0, 0.5, 1.0])


def test_the_pitfalls_turn_the_gradient_and_the_right_clipping_does_not(exhibits_of):
    checks = {c.name: c for c in clipping_sym._pitfalls()}
    assert all(c.passed for c in checks.values()), checks
    g, by_norm, _ = clipping_sym.example()
    each = clipping_sym.clip_each_tensor(g, clipping_sym.EXAMPLE_C)
    # each tensor alone has norm at most c, but the factors differ from tensor to tensor
    factors = [np.linalg.norm(each[k]) / np.linalg.norm(g[k]) for k in sorted(g)]
    assert max(factors) / min(factors) > 2
    assert clipping_sym.angle_degrees(g, by_norm) < 1e-6 < clipping_sym.angle_degrees(g, each)
    mean, clipped_first, clipped_mean = clipping_sym.per_sample_example()
    assert np.allclose(clipped_mean["g"] / np.linalg.norm(clipped_mean["g"]), mean["g"] / np.linalg.norm(mean["g"]))
    ex = exhibits_of("clipping")
    assert float(ex["angle_each"]) > 10 and float(ex["angle_per_sample"]) > 10


def test_per_sample_clipping_of_equal_samples_is_clipping_the_mean():
    # the check must be able to fail: with every sample the same, clipping first changes nothing
    x = {"g": np.array([3.0, 4.0])}
    first = np.mean([clipping_np.clip_grad_norm(x, 1.0)[0]["g"] for _ in range(4)], axis=0)
    assert clipping_sym.angle_degrees(x, {"g": first}) < 1e-6
