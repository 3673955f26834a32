"""Hostile inputs, table-driven over every public numeric function.

Each array argument (or array entry of a dict argument) is replaced in turn by a corrupted
version: NaN, +-inf, an empty array, integer, complex and string dtypes, a wrong shape, and
+-1e4 entries. The function must either return finite outputs (of the right shape where the
shape follows from the inputs) or raise ValueError/TypeError with a message naming the
argument; never a silent NaN or a broadcast wrong shape. RuntimeWarnings are errors
(pyproject), so an overflow on the way to a finite answer fails too.

Also here: the validators of scalar and array arguments (`real_number`, `float_array` in
derivations.numeric._validate), and messages of bad inputs across modules: a message says what
was given and what was expected.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from derivations.numeric import (activations, backprop, clipping, gradient_descent, gru, hadamard,
                                 initialization, losses, lstm, normalization, rnn,
                                 vanishing_exploding)
from derivations.numeric._validate import float_array, real_number


def R(*shape):
    return np.random.default_rng(sum(shape) + len(shape)).standard_normal(shape)


def _two_layer_params():
    return {"W1": R(4, 3), "b1": R(4), "W2": R(2, 4), "b2": R(2)}


def _layers():
    return [(R(4, 3), R(4)), (R(2, 4), R(2))]


def _rnn_params():
    return {"W_hx": R(4, 3), "W_hh": 0.5 * R(4, 4), "b_h": R(4), "W_hy": R(2, 4), "b_y": R(2)}


def _cache(forward, *args):
    return forward(*args)[1]


# name -> (function, valid keyword arguments (a factory), shape_follows: the input whose shape the
# (first) output must keep, or None)
ELEMENTWISE = ["sigmoid", "sigmoid_grad", "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu",
               "leaky_relu_grad", "softplus", "softplus_grad"]
CASES = {f"activations.{n}": (getattr(activations, n), lambda: {"x": R(5, 3)}, "x") for n in ELEMENTWISE}
CASES.update({
    "hadamard.hadamard": (hadamard.hadamard, lambda: {"a": R(3, 4), "b": R(3, 4)}, "a"),
    "hadamard.elementwise_backward": (hadamard.elementwise_backward,
                                      lambda: {"dout": R(3, 4), "z": R(3, 4), "f_grad": activations.tanh_grad}, "z"),
    "backprop.affine_forward": (backprop.affine_forward, lambda: {"x": R(5, 3), "W": R(4, 3), "b": R(4)}, None),
    "backprop.affine_backward": (backprop.affine_backward, lambda: {
        "dout": R(5, 4), "cache": _cache(backprop.affine_forward, R(5, 3), R(4, 3), R(4))}, None),
    "backprop.two_layer_forward": (backprop.two_layer_forward,
                                   lambda: {"params": _two_layer_params(), "X": R(6, 3)}, None),
    "backprop.two_layer_loss_and_grads": (backprop.two_layer_loss_and_grads,
                                          lambda: {"params": _two_layer_params(), "X": R(6, 3), "Y": R(6, 2)}, None),
    "backprop.mlp_forward": (backprop.mlp_forward, lambda: {"layers": _layers(), "X": R(6, 3)}, None),
    "backprop.mlp_backward": (backprop.mlp_backward, lambda: {
        "dA": R(6, 2), "caches": _cache(backprop.mlp_forward, _layers(), R(6, 3))}, None),
    "initialization.tanh_stack_forward": (initialization.tanh_stack_forward,
                                          lambda: {"x": R(5, 3), "weights": [R(4, 3), R(4, 4)]}, None),
    "initialization.tanh_stack_backward": (initialization.tanh_stack_backward, lambda: {
        "dout": R(5, 4), "hs": initialization.tanh_stack_forward(R(5, 3), [R(4, 3), R(4, 4)]),
        "weights": [R(4, 3), R(4, 4)]}, None),
    "losses.mse": (losses.mse, lambda: {"y_hat": R(6, 2), "y": R(6, 2)}, None),
    "losses.log_softmax": (losses.log_softmax, lambda: {"logits": R(6, 3)}, "logits"),
    "losses.softmax": (losses.softmax, lambda: {"logits": R(6, 3)}, "logits"),
    "losses.softmax_cross_entropy": (losses.softmax_cross_entropy,
                                     lambda: {"logits": R(6, 3), "labels": np.array([0, 1, 2, 0, 1, 2])}, None),
    "losses.binary_cross_entropy_with_logits": (losses.binary_cross_entropy_with_logits,
                                                lambda: {"logits": R(6), "targets": np.linspace(0, 1, 6)}, None),
    "gradient_descent.gd_step": (gradient_descent.gd_step,
                                 lambda: {"params": {"W": R(2, 3)}, "grads": {"W": R(2, 3)}, "lr": 0.1}, None),
    "gradient_descent.least_squares_loss_and_grads": (
        gradient_descent.least_squares_loss_and_grads,
        lambda: {"params": {"W": R(2, 3), "b": R(2)}, "X": R(6, 3), "Y": R(6, 2)}, None),
    "vanishing_exploding.stack_forward": (vanishing_exploding.stack_forward,
                                          lambda: {"x": R(5, 4), "weights": [R(4, 4), R(4, 4)]}, None),
    "vanishing_exploding.stack_backward": (vanishing_exploding.stack_backward, lambda: {
        "dout": R(5, 4), "cache": _cache(vanishing_exploding.stack_forward, R(5, 4), [R(4, 4), R(4, 4)])}, None),
    "vanishing_exploding.layer_gradient_norms": (vanishing_exploding.layer_gradient_norms,
                                                 lambda: {"x": R(5, 4), "weights": [R(4, 4), R(4, 4)]}, None),
    "normalization.zscore": (normalization.zscore, lambda: {"x": R(7)}, "x"),
    "normalization.batchnorm_forward": (normalization.batchnorm_forward,
                                        lambda: {"x": R(6, 3), "gamma": R(3), "beta": R(3)}, None),
    "normalization.batchnorm_backward": (normalization.batchnorm_backward, lambda: {
        "dout": R(6, 3), "cache": _cache(normalization.batchnorm_forward, R(6, 3), R(3), R(3))}, None),
    "normalization.batchnorm2d_forward": (normalization.batchnorm2d_forward,
                                          lambda: {"x": R(2, 3, 2, 2), "gamma": R(3), "beta": R(3)}, None),
    "normalization.batchnorm2d_backward": (normalization.batchnorm2d_backward, lambda: {
        "dout": R(2, 3, 2, 2), "cache": _cache(normalization.batchnorm2d_forward, R(2, 3, 2, 2), R(3), R(3))}, None),
    "normalization.layernorm_forward": (normalization.layernorm_forward,
                                        lambda: {"x": R(6, 3), "gamma": R(3), "beta": R(3)}, None),
    "normalization.layernorm_backward": (normalization.layernorm_backward, lambda: {
        "dout": R(6, 3), "cache": _cache(normalization.layernorm_forward, R(6, 3), R(3), R(3))}, None),
    "rnn.rnn_forward": (rnn.rnn_forward, lambda: {
        "x": R(5, 2, 3), "h0": R(2, 4), "W_hx": R(4, 3), "W_hh": 0.5 * R(4, 4), "b_h": R(4)}, None),
    "rnn.rnn_backward": (rnn.rnn_backward, lambda: {"dh": R(5, 2, 4), "cache": _cache(
        rnn.rnn_forward, R(5, 2, 3), R(2, 4), R(4, 3), 0.5 * R(4, 4), R(4))}, None),
    "rnn.rnn_backward_chunked": (rnn.rnn_backward_chunked, lambda: {"dh": R(5, 2, 4), "cache": _cache(
        rnn.rnn_forward, R(5, 2, 3), R(2, 4), R(4, 3), 0.5 * R(4, 4), R(4)), "chunk": 2}, None),
    "rnn.bptt_deltas": (rnn.bptt_deltas, lambda: {
        "dh": R(5, 2, 4), "h": np.tanh(R(5, 2, 4)), "W_hh": 0.5 * R(4, 4)}, None),
    "rnn.rnn_loss_and_grads": (rnn.rnn_loss_and_grads, lambda: {
        "params": _rnn_params(), "x": R(5, 2, 3), "targets": R(5, 2, 2), "h0": R(2, 4)}, None),
    "clipping.global_norm": (clipping.global_norm, lambda: {"grads": {"W": R(3, 3), "b": R(3)}}, None),
    "clipping.clip_grad_norm": (clipping.clip_grad_norm,
                                lambda: {"grads": {"W": R(3, 3), "b": R(3)}, "max_norm": 1.0}, None),
    "clipping.clip_grad_value": (clipping.clip_grad_value,
                                 lambda: {"grads": {"W": R(3, 3), "b": R(3)}, "clip_value": 0.5}, None),
    "lstm.lstm_forward": (lstm.lstm_forward, lambda: {
        "x": R(5, 2, 3), "h0": R(2, 4), "c0": R(2, 4), "W_ih": R(16, 3), "W_hh": R(16, 4), "b": R(16)}, None),
    "lstm.lstm_backward": (lstm.lstm_backward, lambda: {"dh": R(5, 2, 4), "cache": _cache(
        lstm.lstm_forward, R(5, 2, 3), R(2, 4), R(2, 4), R(16, 3), R(16, 4), R(16))}, None),
    "gru.gru_forward": (gru.gru_forward, lambda: {
        "x": R(5, 2, 3), "h0": R(2, 4), "W_ih": R(12, 3), "W_hh": R(12, 4), "b_ih": R(12), "b_hh": R(12)}, None),
    "gru.gru_backward": (gru.gru_backward, lambda: {"dh": R(5, 2, 4), "cache": _cache(
        gru.gru_forward, R(5, 2, 3), R(2, 4), R(12, 3), R(12, 4), R(12), R(12))}, None),
})
# Functions of one elementwise argument accept any shape (and an empty array).
ANY_SHAPE = {n for n, (_, _, follows) in CASES.items() if follows} - {"hadamard.hadamard",
                                                                      "hadamard.elementwise_backward"}
# ... and so do the entries of a gradient dict (each its own array), and logits with one more class
ANY_SHAPE |= {"clipping.global_norm", "clipping.clip_grad_norm", "clipping.clip_grad_value",
              "losses.softmax_cross_entropy"}
# Arguments whose shape may change where the corruption changes it: layer norm takes any number
# of leading (batch) axes, and batchnorm2d feature maps of any height and width (the last axis).
AXES_OK = {("normalization.layernorm_forward", "x"), ("normalization.batchnorm2d_forward", "x")}
# Inputs where +-1e4 is a legitimate value that must give a finite answer (logits, activations).
LARGE_OK = {"x", "logits", "z", "a", "b", "dout", "y_hat", "y", "X", "Y", "dh"}


def corruptions(arr: np.ndarray):
    """(label, corrupted array, expected): expected 'raise' or 'either'."""
    out = []
    for label, v in (("NaN", np.nan), ("+inf", np.inf), ("-inf", -np.inf)):
        bad = arr.astype(float).copy()
        bad.flat[bad.size // 2] = v
        out.append((label, bad, "raise"))
    out.append(("int dtype", np.round(arr).astype(np.int64), "raise"))
    out.append(("complex64 dtype", arr.astype(np.complex64), "raise"))  # complex128 is the complex step
    out.append(("string dtype", arr.astype(str), "raise"))
    out.append(("empty", np.empty((0,) + arr.shape[1:]), "either"))
    wrong = np.concatenate([arr, arr[..., :1]], axis=-1) if arr.ndim else np.array([arr, arr])
    out.append(("wrong shape", wrong, "shape"))
    out.append(("extra axis", arr[None], "rank"))  # a rank error names the argument itself
    out.append(("+1e4", 1e4 + arr, "large"))     # large, not constant (a constant has no z-score)
    out.append(("-1e4", -1e4 + arr, "large"))
    return out


def array_slots(kwargs):
    """(slot name for messages, getter, setter) for every array argument and dict entry."""
    slots = []
    for name, value in kwargs.items():
        if isinstance(value, np.ndarray) and value.dtype.kind == "f":
            slots.append((name, name))
        elif isinstance(value, dict):
            slots += [((name, key), key) for key, v in value.items() if isinstance(v, np.ndarray)]
        elif isinstance(value, list) and value and isinstance(value[0], np.ndarray):
            slots += [((name, i), f"{name}[{i}]") for i in range(len(value))]
    return slots


def with_value(kwargs, slot, new):
    kw = dict(kwargs)
    if isinstance(slot, str):
        kw[slot] = new
    else:
        name, key = slot
        container = kw[name].copy() if isinstance(kw[name], dict) else list(kw[name])
        container[key] = new
        kw[name] = container
    return kw


def get(kwargs, slot):
    return kwargs[slot] if isinstance(slot, str) else kwargs[slot[0]][slot[1]]


def spellings(slot):
    """How a message may name an argument: x; params['W1'] or W1; weights[0]."""
    if isinstance(slot, str):
        return [slot]
    name, key = slot
    return [f"{name}[{key}]"] if isinstance(key, int) else [f"{name}['{key}']", key]


def named(name: str, message: str) -> bool:
    """``name`` appears in ``message`` as a whole word: 'XXx' or 'params_x' do not name x."""
    return re.search(rf"(?<![\w'\[]){re.escape(name)}(?![\w'\]])", message) is not None


def finite_leaves(out):
    if isinstance(out, dict):
        return [x for v in out.values() for x in finite_leaves(v)]
    if isinstance(out, (tuple, list)):
        return [x for v in out for x in finite_leaves(v)]
    if isinstance(out, (np.ndarray, float, int, np.floating)):
        return [np.asarray(out)]
    return []   # caches' non-array fields, strings




def test_every_public_numeric_function_is_in_the_table():
    import derivations.numeric as pkg
    from importlib import import_module
    from pkgutil import iter_modules

    public = set()
    for m in iter_modules(pkg.__path__):
        if m.name.startswith("_"):
            continue
        mod = import_module(f"derivations.numeric.{m.name}")
        public |= {f"{m.name}.{n}" for n in mod.__all__
                   if callable(getattr(mod, n)) and not isinstance(getattr(mod, n), type)}
    # constructors and random initializers take sizes, not arrays, and activation_pair a name:
    # tested in their own files
    untested = {"backprop.two_layer_init", "backprop.activation_pair", "backprop.mlp_init", "backprop.cached_bytes", "vanishing_exploding.init_stack", "gradient_descent.gradient_descent",
                "gradient_descent.sgd", "initialization.xavier_variance", "initialization.he_variance",
                "initialization.xavier_normal", "initialization.he_normal", "initialization.normal_weights",
                # sizes, a name and a gain, not arrays: their bad arguments are tested in test_initialization
                "initialization.calculate_gain", "initialization.fans", "initialization.fan",
                "initialization.init_std", "initialization.uniform_bound", "initialization.normal_init",
                "initialization.uniform_init", "initialization.xavier_uniform", "initialization.he_uniform"}
    assert public - untested - set(CASES) == set()


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_inputs(case):
    fn, make, follows = CASES[case]
    tried = 0
    for slot, label_name in array_slots(make()):
        kwargs = make()
        for label, bad, expect in corruptions(get(kwargs, slot)):
            tried += 1
            kw = with_value(make(), slot, bad)
            where = f"{case}({label_name} = {label})"
            try:
                out = fn(**kw)
            except (ValueError, TypeError) as e:
                assert expect != "large" or label_name not in LARGE_OK, f"{where} raised for a legitimate value: {e}"
                # a value error names the argument; a shape mismatch may name the other side of it
                names = spellings(slot) if expect in ("raise", "large", "rank") else [
                    n for other in array_slots(kw) for n in spellings(other[0])] + list(kw)
                assert any(named(n, str(e)) for n in names), f"{where}: the message names no argument: {e}"
                continue
            assert expect != "raise", f"{where} returned instead of raising"
            if expect in ("shape", "rank"):
                assert case in ANY_SHAPE or (case, slot) in AXES_OK, f"{where} accepted a mismatched shape"
            leaves = finite_leaves(out)
            assert all(np.all(np.isfinite(x)) for x in leaves if x.dtype.kind in "fc"), f"{where} returned NaN/inf"
            if follows and isinstance(slot, str) and slot == follows:
                first = out[0] if isinstance(out, tuple) else out
                assert np.shape(first) == np.shape(bad), f"{where} returned shape {np.shape(first)}"
    assert tried >= 9


def test_batch_statistic_of_one_sample_is_refused():
    with pytest.raises(ValueError, match="N = 1|at least 2"):
        normalization.batchnorm_forward(R(1, 3), R(3), R(3))
    with pytest.raises(ValueError, match="x"):
        normalization.zscore(R(1))


@pytest.mark.parametrize("fn,args", [
    (rnn.rnn_backward, lambda: (R(4, 2, 4), _cache(rnn.rnn_forward, R(5, 2, 3), R(2, 4), R(4, 3), R(4, 4), R(4)))),
    (lstm.lstm_backward, lambda: (R(4, 2, 4), _cache(lstm.lstm_forward, R(5, 2, 3), R(2, 4), R(2, 4), R(16, 3),
                                                      R(16, 4), R(16)))),
    (gru.gru_backward, lambda: (R(4, 2, 4), _cache(gru.gru_forward, R(5, 2, 3), R(2, 4), R(12, 3), R(12, 4), R(12),
                                                    R(12)))),
    (rnn.rnn_loss_and_grads, lambda: (_rnn_params(), R(5, 2, 3), R(4, 2, 2), R(2, 4))),
])
def test_mismatched_sequence_lengths_raise(fn, args):
    with pytest.raises(ValueError, match="dh|targets"):
        fn(*args())


def test_number_of_hostile_inputs():
    n = sum(len(array_slots(make())) * len(corruptions(R(2, 3))) for _, make, _ in CASES.values())
    print(f"{n} hostile inputs over {len(CASES)} functions")
    assert n > 500


@pytest.mark.parametrize("labels,match", [
    (np.array([0, 1, 3, 0, 1, 2]), "labels"),          # class 3 of 3
    (np.array([0, 1, -1, 0, 1, 2]), "labels"),         # negative
    (np.array([0, 1, 2, 0, 1]), "labels"),             # wrong length
    (np.array([0.0, 1, 2, 0, 1, 2]), "labels"),        # float dtype
    (np.array(["0", "1", "2", "0", "1", "2"]), "labels"),
])
def test_bad_class_labels_raise(labels, match):
    with pytest.raises((ValueError, TypeError), match=match):
        losses.softmax_cross_entropy(R(6, 3), labels)


@pytest.mark.parametrize("targets", [np.array([0, 1, 3]), np.array([0.0, 1.0, 2.0])])
def test_bad_rnn_class_targets_raise(targets):
    with pytest.raises((ValueError, TypeError), match="targets"):
        rnn.rnn_loss_and_grads(_rnn_params(), R(3, 1, 3), targets.reshape(3, 1), R(1, 4), loss="ce")


@pytest.mark.parametrize("case", sorted(c for c in CASES if any(isinstance(v, dict) for v in CASES[c][1]().values())))
def test_a_dict_argument_must_be_a_dict_with_its_keys(case):
    fn, make, _ = CASES[case]
    kwargs = make()
    for name, value in kwargs.items():
        if not isinstance(value, dict):
            continue
        for bad in (list(value.values()), {}, {**value, "extra": next(iter(value.values()))},
                    {k: v for k, v in list(value.items())[1:]}):
            if case.startswith("clipping.") and isinstance(bad, dict) and bad:
                continue   # any non-empty dict of arrays is a valid set of gradients
            with pytest.raises((ValueError, TypeError), match=re.escape(name)):
                fn(**{**kwargs, name: bad})


def test_params_errors_say_what_was_given():
    with pytest.raises(ValueError, match=r"got \['W1', 'b1'\]"):
        backprop.two_layer_forward({"W1": R(2, 2), "b1": R(2)}, R(3, 2))
    with pytest.raises(ValueError, match="got list"):
        backprop.two_layer_forward([R(2, 2)], R(3, 2))
    with pytest.raises(ValueError, match="params must be a dict with keys W, b"):
        gradient_descent.least_squares_loss_and_grads({"W": R(1, 2)}, R(3, 2), R(3, 1))
    with pytest.raises(ValueError, match="do not fit"):
        gradient_descent.least_squares_loss_and_grads({"W": R(1, 2), "b": R(2)}, R(3, 2), R(3, 1))


@pytest.mark.parametrize("value,kw,error,message", [
    (True, {}, TypeError, "x must be a real number, got bool"),
    ("1", {}, TypeError, "x must be a real number, got str"),
    (np.array([1.0]), {}, TypeError, "x must be a real number, got ndarray"),
    (float("nan"), {}, ValueError, "x must be finite, got nan"),
    (float("inf"), {"positive": True}, ValueError, "x must be finite, got inf"),
    (float("nan"), {"infinite": True}, ValueError, "x must be a number, got nan"),
    (float("-inf"), {"nonnegative": True, "infinite": True}, ValueError, "x must be >= 0, got -inf"),
    (0.0, {"positive": True}, ValueError, "x must be positive, got 0.0"),
    (-1e-300, {"nonnegative": True}, ValueError, "x must be >= 0, got -1e-300"),
])
def test_real_number_refuses_what_no_scalar_argument_may_be(value, kw, error, message):
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        real_number(value, "x", **kw)


@pytest.mark.parametrize("value,kw", [(0, {"nonnegative": True}), (np.float32(2.5), {"positive": True}),
                                      (np.int64(-3), {}), (1e-300, {"positive": True})])
def test_real_number_returns_a_python_float(value, kw):
    out = real_number(value, "x", **kw)
    assert type(out) is float and out == float(value)


def test_messages_report_the_sizes_that_were_expected():
    with pytest.raises(ValueError, match=r"b must have shape \(D_out,\) = \(2,\), got \(3,\)"):
        backprop.affine_forward(R(4, 3), R(2, 3), R(3))
    with pytest.raises(ValueError, match="got N = 1"):
        normalization.batchnorm_forward(R(1, 5), np.ones(5), np.zeros(5))


def test_sgd_names_its_data_arguments():
    params = {"W": R(1, 2), "b": R(1)}
    X, Y = R(6, 2), R(6, 1)
    for bad_X, bad_Y, name in ((X * np.nan, Y, "X"), (X, Y * np.nan, "Y")):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            gradient_descent.sgd(gradient_descent.least_squares_loss_and_grads, params, bad_X, bad_Y,
                                 0.1, 1, 2, np.random.default_rng(0))
    for args, name in (((0, 3), "n_in"), ((3, 0), "n_out")):
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            initialization.xavier_variance(*args)
    with pytest.raises(ValueError, match="y_hat must not be empty"):
        losses.mse(np.empty((0, 2)), np.empty((0, 2)))


def test_type_errors_name_the_type_that_was_given():
    cases = [
        (lambda: activations.leaky_relu(R(3), alpha="0.1"), "alpha must be a real number, got str"),
        (lambda: gradient_descent.gd_step({"W": R(2)}, {"W": R(2)}, "0.1"), "lr must be a real number, got str"),
        (lambda: clipping.clip_grad_norm({"W": R(2)}, "1"), "max_norm must be a real number, got str"),
        (lambda: gradient_descent.gd_step([R(2)], {"W": R(2)}, 0.1), "params must be a dict of arrays, got list"),
        (lambda: rnn.rnn_loss_and_grads((R(2),), R(3, 1, 2), R(3, 1, 1), R(1, 2)), r"got tuple"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=message):
            call()
    with pytest.raises(ValueError, match=r"grads\['W'\] has shape \(3,\), params\['W'\] has \(2,\)"):
        gradient_descent.gd_step({"W": R(2)}, {"W": R(3)}, 0.1)


def test_python_floats_and_lists_are_accepted_as_float_arrays():
    x = float_array(0.5, "x")
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.shape == () and x == 0.5
    assert activations.sigmoid(0.0) == 0.5
    np.testing.assert_array_equal(activations.relu([-1.0, 2.0]), [0.0, 2.0])
    with pytest.raises(ValueError, match=r"\bx contains NaN"):
        float_array(float("nan"), "x")


@pytest.mark.parametrize("call,message", [
    (lambda: normalization.batchnorm_forward(np.zeros((3, 0)), np.zeros(0), np.zeros(0)),
     "x must have at least one feature (D >= 1), got shape (3, 0)"),
    (lambda: rnn.rnn_forward(np.zeros((2, 1, 3)), np.zeros((1, 0)), np.zeros((0, 3)), np.zeros((0, 0)), np.zeros(0)),
     "h0 must have at least one hidden unit (m >= 1), got shape (1, 0)"),
    (lambda: rnn.rnn_forward(np.zeros((2, 1, 0)), np.zeros((1, 2)), np.zeros((2, 0)), np.zeros((2, 2)), np.zeros(2)),
     "x must have at least one input feature (n >= 1), got shape (2, 1, 0)"),
    (lambda: lstm.lstm_forward(np.zeros((2, 1, 3)), np.zeros((1, 0)), np.zeros((1, 0)), np.zeros((0, 3)),
                               np.zeros((0, 0)), np.zeros(0)),
     "h0 must have at least one hidden unit (m >= 1), got shape (1, 0)"),
    (lambda: gru.gru_forward(np.zeros((2, 1, 0)), np.zeros((1, 2)), np.zeros((6, 0)), np.zeros((6, 2)),
                             np.zeros(6), np.zeros(6)),
     "x must have at least one input feature (n >= 1), got shape (2, 1, 0)"),
])
def test_empty_feature_and_hidden_sizes_are_refused_by_name(call, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        call()


def _grads_after_edit(forward, backward, args, dout, edit):
    """The gradients computed from a cache, without and with ``edit(args, out)`` (an in-place
    change of an argument or of the returned output) between the forward and the backward."""
    out, cache = forward(*[a.copy() for a in args])
    clean = backward(dout, cache)
    args = [a.copy() for a in args]
    out, cache = forward(*args)
    edit(args, out)
    return clean, backward(dout, cache)


_rng = np.random.default_rng(7)
_T, _N, _n, _m = 4, 3, 2, 5
_seq = dict(x=_rng.standard_normal((_T, _N, _n)), h0=_rng.standard_normal((_N, _m)))


@pytest.mark.parametrize("forward,backward,args,out_shape,edit", [
    (backprop.affine_forward, backprop.affine_backward,          # x *= 3 after the forward pass
     [_rng.standard_normal((4, 3)), _rng.standard_normal((2, 3)), _rng.standard_normal(2)], (4, 2),
     lambda a, out: a[0].__imul__(3.0)),
    (backprop.affine_forward, backprop.affine_backward,          # an optimizer step on W, too early
     [_rng.standard_normal((4, 3)), _rng.standard_normal((2, 3)), _rng.standard_normal(2)], (4, 2),
     lambda a, out: a[1].__isub__(0.1)),
    (rnn.rnn_forward, rnn.rnn_backward,
     [_seq["x"], _seq["h0"], _rng.standard_normal((_m, _n)), _rng.standard_normal((_m, _m)), _rng.standard_normal(_m)],
     (_T, _N, _m), lambda a, out: out.__imul__(0.5)),
    (lstm.lstm_forward, lstm.lstm_backward,                      # h *= 0.5 before lstm_backward
     [_seq["x"], _seq["h0"], _rng.standard_normal((_N, _m)), _rng.standard_normal((4 * _m, _n)),
      _rng.standard_normal((4 * _m, _m)), _rng.standard_normal(4 * _m)],
     (_T, _N, _m), lambda a, out: out.__imul__(0.5)),
    (gru.gru_forward, gru.gru_backward,
     [_seq["x"], _seq["h0"], _rng.standard_normal((3 * _m, _n)), _rng.standard_normal((3 * _m, _m)),
      _rng.standard_normal(3 * _m), _rng.standard_normal(3 * _m)],
     (_T, _N, _m), lambda a, out: (a[3].__imul__(2.0), a[0].fill(0.0))),
    (normalization.batchnorm_forward, normalization.batchnorm_backward,
     [_rng.standard_normal((6, 3)), _rng.standard_normal(3), _rng.standard_normal(3)], (6, 3),
     lambda a, out: a[1].__imul__(-1.0)),
])
def test_an_in_place_edit_after_the_forward_pass_cannot_change_the_gradient(forward, backward, args,
                                                                           out_shape, edit):
    """The issue's cases: x *= 3 after affine_forward changed dW by 105 %, h *= 0.5 before
    lstm_backward dW_hh by 50 %. A cache now holds read-only copies of the arguments and the
    outputs it needs."""
    dout = _rng.standard_normal(out_shape)
    clean, edited = _grads_after_edit(forward, backward, args, dout, edit)
    for a, b in zip(clean, edited):
        assert np.array_equal(a, b)


def test_a_cache_cannot_be_edited_through():
    _, cache = backprop.affine_forward(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="read-only"):
        cache.x[0, 0] = 5.0
    _, cache = lstm.lstm_forward(_seq["x"], _seq["h0"], np.zeros((_N, _m)), np.zeros((4 * _m, _n)),
                                 np.zeros((4 * _m, _m)), np.zeros(4 * _m))
    with pytest.raises(ValueError, match="read-only"):
        cache.gates[0] *= 2


def test_a_cache_of_the_wrong_kind_is_named():
    x, h0 = _seq["x"], _seq["h0"]
    h, lstm_cache = lstm.lstm_forward(x, h0, np.zeros((_N, _m)), np.zeros((4 * _m, _n)),
                                      np.zeros((4 * _m, _m)), np.zeros(4 * _m))
    cases = [
        (lambda: rnn.rnn_backward(h, lstm_cache), "cache must be the RNNCache that rnn_forward returns, got LSTMCache"),
        (lambda: lstm.lstm_backward(h, tuple(lstm_cache)[:7]),
         "cache must be the LSTMCache that lstm_forward returns, got tuple"),
        (lambda: gru.gru_backward(h, None), "cache must be the GRUCache that gru_forward returns, got NoneType"),
        (lambda: backprop.affine_backward(np.ones((2, 2)), (np.ones((2, 3)), np.ones((2, 3)))),
         "cache must be the AffineCache that affine_forward returns, got tuple"),
        (lambda: normalization.batchnorm_backward(
            np.ones((2, 3)), normalization.layernorm_forward(np.ones((2, 3)) * [1, 2, 3], np.ones(3), np.zeros(3))[1]),
         "cache must be the NormCache that batchnorm_forward returns, got one of layernorm_forward"),
        (lambda: vanishing_exploding.stack_backward(np.ones((2, 3)), ([], [], "tanh", False, None)),
         "cache must be the StackCache that stack_forward returns, got tuple"),
    ]
    for call, message in cases:
        with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
            call()


@pytest.mark.parametrize("forward,backward,shapes", [
    (rnn.rnn_forward, rnn.rnn_backward, [(6, 3, 4), (3, 5), (5, 4), (5, 5), (5,)]),
    (lstm.lstm_forward, lstm.lstm_backward, [(6, 3, 4), (3, 5), (3, 5), (20, 4), (20, 5), (20,)]),
    (gru.gru_forward, gru.gru_backward, [(6, 3, 4), (3, 5), (15, 4), (15, 5), (15,), (15,)]),
])
def test_recurrent_kernels_keep_float32(forward, backward, shapes):
    """float32 in, float32 out (the issue: float32 input gave float64 output with float32
    error): the states and every gradient are float32 and agree with the float64 run to float32
    accuracy; one float64 argument makes the whole run float64."""
    rng = np.random.default_rng(3)
    args = [0.5 * rng.standard_normal(s) for s in shapes]
    dh = rng.standard_normal((6, 3, 5))
    h64, cache64 = forward(*args)
    grads64 = backward(dh, cache64)
    h32, cache32 = forward(*[a.astype(np.float32) for a in args])
    grads32 = backward(dh.astype(np.float32), cache32)
    assert h32.dtype == np.float32 and all(g.dtype == np.float32 for g in grads32)
    for a, b in [(h32, h64), *zip(grads32, grads64)]:
        assert np.max(np.abs(a - b)) <= 1e-5 * np.max(np.abs(b))
    mixed, _ = forward(*[a.astype(np.float32) for a in args[:-1]], args[-1])
    assert mixed.dtype == np.float64
