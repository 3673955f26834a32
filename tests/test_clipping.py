"""Gradient clipping: semantics, direction, bad input, and the training experiment."""

import numpy as np
import pytest

from derivations.numeric import clipping as clip
from derivations.symbolic import clipping as C


def test_all_registered_checks_pass():
    failed = [c for c in C.checks(seed=5) if not c.passed]
    assert not failed, failed


def test_norm_clipping_semantics(rng):
    g = {"a": rng.standard_normal((3, 4)), "b": rng.standard_normal(5)}
    total = np.sqrt(sum(np.sum(v**2) for v in g.values()))
    out, reported = clip.clip_grad_norm(g, 0.5)
    assert reported == pytest.approx(total, rel=1e-15)
    for k in g:
        np.testing.assert_allclose(out[k], g[k] * 0.5 / (total + 1e-6), rtol=1e-14)
        assert out[k] is not g[k]
    assert C.angle_degrees(g, out) < 1e-12
    same, _ = clip.clip_grad_norm(g, total * 2)
    for k in g:
        np.testing.assert_array_equal(same[k], g[k])


def test_value_clipping_changes_the_direction(rng):
    g = {"a": np.array([10.0, 0.1, -0.2])}
    out = clip.clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(out["a"], [1.0, 0.1, -0.2])
    assert C.angle_degrees(g, out) > 5


def test_training_with_clipping_learns_and_without_diverges(rng):
    x, y = C.echo_task(np.random.default_rng(0))       # the book page's configuration
    unclipped, _ = C.train_rnn(x, y, 16, 0.05, 200, None)
    clipped, _ = C.train_rnn(x, y, 16, 0.05, 200, 1.0)
    assert np.isfinite(clipped).all() and clipped[-1] < clipped[0] / 10
    assert not np.isfinite(unclipped).all() and np.nanmax(unclipped) > 1e100


@pytest.mark.parametrize("call,exc,message", [
    (lambda: clip.clip_grad_norm({"a": np.ones(2)}, 0.0), ValueError, "max_norm must be positive"),
    (lambda: clip.clip_grad_norm({"a": np.ones(2)}, "1"), TypeError, "max_norm must be a real number"),
    (lambda: clip.clip_grad_norm({}, 1.0), ValueError, "grads must be a non-empty dict"),
    (lambda: clip.clip_grad_norm({"a": np.array([np.nan])}, 1.0), ValueError, r"grads\['a'\] contains NaN"),
    (lambda: clip.clip_grad_value({"a": np.ones(2)}, -1.0), ValueError, "clip_value must be positive"),
])
def test_bad_input(call, exc, message):
    with pytest.raises(exc, match=message):
        call()
