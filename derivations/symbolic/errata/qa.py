"""The errata's sentence-by-sentence pass over QA (gru-lstm-input-normalization.zh.txt): each checkable sentence
that the first reading (:mod:`.by_topic`) does not judge, with the evidence that judges it."""

from __future__ import annotations

import numpy as np

from ...numeric import gru, lstm, normalization
from ...numeric import gradient_descent as gradient_descent_np
from ...numeric import vanishing_exploding as vanishing_exploding_np
from .. import lstm_gru as lstm_gru_sym
from .. import vanishing_exploding as vanishing_exploding_sym
from . import Evidence, judges, Quote, _close, _rng
from .by_topic import _input_norm_shallow_and_deep, _layer_weight_grads, _quadratic_runs, _ratio, _stack

H_WHAT = "简单说一下什么是梯度爆炸和梯度消失"
H_GATES = "简述GRU和LSTM是如何解决梯度消失与梯度爆炸问题的"
H_INPUT = "为什么输入数据不稳定会导致梯度消失或者梯度爆炸问题?举例子用具体的数值详细说明"


# ------------------------------------------------------------------ what they are

@judges(("qa-explode-def", "QA", "Gradient descent",
         "Exploding gradients: the gradient becomes very large during backpropagation, the weight updates are too large and the network cannot converge.",
         "correct", "A step too large for the curvature ($\\eta\\lambda_{\\max} > 2$) diverges.", "",
         Quote(4, H_WHAT,
               "梯度爆炸指的是在反向传播过程中,梯度值变得非常大,导致权重更新过大,网络无法收敛。",
               "Exploding gradients means that during backpropagation the gradient values become very large, causing weight updates that are too large, so the network cannot converge.")))
def _qa_explode_def():
    first, last, book, start = _quadratic_runs(80)
    return Evidence(first[100] > 50 * first[1] and last[100] > 1e3 * start and last[1] < start, book,
                    f"quadratic, step 1/λ_max: 100× larger gradients give a {first[100] / first[1]:.0f}× larger first update "
                    f"and ‖w‖ = {last[100]:.0e} after 40 steps (diverges), against {last[1]:.1e} (from {start:.2f})")


@judges(("qa-vanish-def", "QA", "Vanishing and exploding gradients",
         "Vanishing gradients: the gradient becomes very small during backpropagation, the weight updates are too small and the network cannot learn useful features.",
         "correct", "As stated: $\\Delta W_l = -\\eta\\, \\delta_l h_{l-1}^\\top$ shrinks with $\\delta_l$, so the early layers barely move.", "",
         Quote(4, H_WHAT,
               "梯度消失则是指在反向传播过程中,梯度值变得非常小,导致权重更新过小,网络无法学习到有效的特征。",
               "Vanishing gradients means that during backpropagation the gradient values become very small, causing weight updates that are too small, so the network cannot learn useful features.")))
def _qa_vanish_def():
    W, cache, g, hs = _stack("sigmoid", "xavier", 81)
    dW = {f"W{l}": d for l, d in enumerate(_layer_weight_grads("sigmoid", cache, g, hs))}
    new = gradient_descent_np.gd_step({f"W{l}": w for l, w in enumerate(W)}, dW, 0.1)
    rel = [np.linalg.norm(new[f"W{l}"] - W[l]) / np.linalg.norm(W[l]) for l in (0, 29)]
    ratio = np.linalg.norm(g[0]) / np.linalg.norm(g[-1])
    return Evidence(ratio < 1e-6 and rel[0] < 1e-12, rel[0] < 1e-6 * rel[1] and _close(new["W29"] - W[29], -0.1 * dW["W29"], 1e-12),
                    f"30-layer Xavier sigmoid stack: ‖dL/dh₀‖/‖dL/dh₃₀‖ = {ratio:.0e}; one step (η = 0.1) moves the first "
                    f"layer's weights by {rel[0]:.0e} of their norm, the last layer's by {rel[1]:.0e}")


@judges(("qa-sigmoid-tanh", "QA", "Vanishing and exploding gradients",
         "These problems usually occur in deep networks, especially in networks with sigmoid or tanh activations.",
         "imprecise", "Deep sigmoid stacks vanish under the usual initializations ($\\sigma' \\le 1/4$); tanh with Glorot "
         "initialization keeps it within an order of magnitude over 30 layers, like ReLU with He.", "vanishing-exploding",
         Quote(4, H_WHAT,
               "这些问题通常会出现在深度神经网络中,特别是在使用激活函数为 sigmoid 或 tanh 的网络中。",
               "These problems usually appear in deep neural networks, especially in networks that use sigmoid or tanh as the activation function.")))
def _qa_sigmoid_tanh():
    r = {"sigmoid": _ratio("sigmoid", "xavier", 82), "tanh": _ratio("tanh", "xavier", 82),
         "ReLU": _ratio("relu", "he", 82)}
    shallow = _ratio("sigmoid", "xavier", 82, depth=3)
    return Evidence(r["sigmoid"] < 1e-3 and r["tanh"] < 1e-3,
                    r["sigmoid"] < 1e-3 and 0.1 < r["tanh"] < 10 and 0.1 < r["ReLU"] < 10,
                    "‖dL/dh₀‖/‖dL/dh_d‖, d = 30: " + ", ".join(f"{k} {v:.1e}" for k, v in r.items())
                    + f" (sigmoid and tanh with Xavier, ReLU with He); sigmoid at d = 3: {shallow:.1e}",
                    "for the sigmoid (in deep stacks)", r["sigmoid"] < 1e-3 < shallow)


# ------------------------------------------------------------------ gates

@judges(("qa-gate-roles", "QA", "LSTM and GRU",
         "The input gate controls the entry of new information, the output gate what is output, and the forget gate whether previous information is kept.",
         "correct", "As stated, with gates in $(0, 1)$: $c_t = f_t \\odot c_{t-1} + i_t \\odot \\tilde c_t$, $h_t = o_t \\odot \\tanh c_t$.", "",
         Quote(9, H_GATES,
               "其中,输入门用于控制新信息的输入,输出门用于控制输出信息的选择,遗忘门用于控制之前的信息是否需要保留。",
               "Among them, the input gate controls the input of new information, the output gate controls the selection of output information, and the forget gate controls whether previous information needs to be kept.")))
def _qa_gate_roles():
    H = 4
    W_ih, W_hh, _ = lstm_gru_sym.init_lstm(3, H, np.random.default_rng(83))
    rng = _rng(84)
    xs = [rng.standard_normal((1, 1, 3)) for _ in range(2)]
    h0, cs = rng.standard_normal((1, H)), [rng.standard_normal((1, H)) for _ in range(2)]

    def run(x, c0, **bias):
        b = np.zeros(4 * H)
        for k, v in bias.items():
            j = "ifgo".index(k)
            b[j * H:(j + 1) * H] = v
        h, cache = lstm.lstm_forward(x, h0, c0, W_ih, W_hh, b)
        return h[0], cache.c[0]
    keep = _close(run(xs[0], cs[0], i=-40, f=40)[1], cs[0], 1e-15)             # f = 1, i = 0: c_t = c_{t-1}
    drop = _close(run(xs[0], cs[0], f=-40)[1], run(xs[0], cs[1], f=-40)[1], 1e-15)   # f = 0: c_{t-1} forgotten
    # i = 0 (with f = 1): x_t does not enter c_t; i = 1: it does
    shut = (_close(run(xs[0], cs[0], i=-40, f=40)[1], run(xs[1], cs[0], i=-40, f=40)[1], 1e-15)
            and not _close(run(xs[0], cs[0], i=40, f=40)[1], run(xs[1], cs[0], i=40, f=40)[1], 1e-3))
    mute = float(np.max(np.abs(run(xs[0], cs[0], o=-40)[0]))) < 1e-15               # o = 0: nothing output
    b = 0.5 * rng.standard_normal(4 * H)
    h, cache = lstm.lstm_forward(xs[0], h0, cs[0], W_ih, W_hh, b)
    i, f, g, o = np.split(cache.gates[0], 4, axis=1)
    book = (_close(cache.c[0], f * cs[0] + i * g) and _close(h[0], o * np.tanh(cache.c[0]))
            and all(np.all((v > 0) & (v < 1)) for v in (i, f, o)))
    return Evidence(keep and drop and shut and mute, book,
                    "LSTM step with saturated gates: f = 1, i = 0 copies c_{t−1}; f = 0 makes c_t independent of c_{t−1}; "
                    "i = 0 keeps x_t out of c_t (i = 1 lets it in); o = 0 gives h_t = 0 (each to 1e-15)")


@judges(("qa-gru-solves", "QA", "LSTM and GRU",
         "The GRU likewise uses gates to solve the vanishing- and exploding-gradient problems.",
         "incorrect", "Whether a GRU's gradient vanishes or explodes depends on the update-gate bias and the weights; "
         "gating does not by itself keep it bounded.", "lstm-gru",
         Quote(9, H_GATES,
               "GRU(门控循环单元)也是引入门的思想来解决梯度消失和梯度爆炸问题的。",
               "GRU (gated recurrent unit) likewise introduces the idea of gates to solve the vanishing- and exploding-gradient problems.")))
def _qa_gru_solves():
    x = np.random.default_rng(0).standard_normal((100, 1, 8))
    u = np.ones((1, 32)) / np.sqrt(32)
    lag = lstm_gru_sym.state_gradient_by_lag("GRU", x, lstm_gru_sym.init_gru(8, 32, np.random.default_rng(1)), u, [100])[0]
    rho = {k: lstm_gru_sym.rest_growth_rate("GRU", lstm_gru_sym.init_gru(8, 32, np.random.default_rng(1), **kw))
           for k, kw in (("×3", {"scale": 3.0}), ("bias 3", {"update_bias": 3.0}))}
    return Evidence(lag > 1e-6 and rho["×3"] <= 1, lag < 1e-15 and rho["×3"] > 1 and rho["bias 3"] < 1,
                    f"GRU, zero biases: gradient reaching 100 steps back {lag:.0e} (vanishes); weights ×3: growth per step "
                    f"at rest {rho['×3']:.3f} (explodes); update bias 3: {rho['bias 3']:.3f}")


@judges(("qa-gru-two-gates", "QA", "LSTM and GRU",
         "The GRU has only two gates (update and reset) and is simpler than the LSTM.",
         "correct", "As stated: $3m(n+m+2)$ parameters against the LSTM's $4m(n+m+1)$ (the book's GRU has two "
         "bias vectors, as in PyTorch, its LSTM one).", "",
         Quote(9, H_GATES,
               "GRU只有两个门(更新门和重置门),相比于LSTM更加简单。",
               "GRU has only two gates (the update gate and the reset gate), and is simpler than LSTM.")))
def _qa_gru_two_gates():
    n, m = 8, 32
    g_params = lstm_gru_sym.init_gru(n, m, np.random.default_rng(85))
    l_params = lstm_gru_sym.init_lstm(n, m, np.random.default_rng(85))
    h, cache = gru.gru_forward(np.random.default_rng(86).standard_normal((1, 1, n)), np.zeros((1, m)), *g_params)
    r, u, cand = np.split(cache.gates[0], 3, axis=1)
    two = all(np.all((v > 0) & (v < 1)) for v in (r, u)) and np.any(cand < 0)
    counts = {k: sum(a.size for a in p) for k, p in (("GRU", g_params), ("LSTM", l_params))}
    formula = {k: int(lstm_gru_sym.PARAMETER_COUNTS[k].subs({lstm_gru_sym.m: m, lstm_gru_sym.n: n})) for k in counts}
    return Evidence(two and counts["GRU"] < counts["LSTM"], counts == formula,
                    f"GRU blocks: the reset and update gates r and u in (0, 1), the candidate takes negative values (not a gate); parameters at n = {n}, "
                    f"m = {m}: GRU {counts['GRU']}, LSTM {counts['LSTM']}")


# ------------------------------------------------------------------ input scale

@judges(("qa-input-every-step", "QA", "Normalization",
         "If the input data are unstable, every step's gradient in the chain rule is affected, leading to vanishing or exploding gradients.",
         "incorrect", "A rescaled input changes the gradients by a fixed factor, not one that grows or shrinks with "
         "depth: a sigmoid stack forgets it after a layer or two.",
         "vanishing-exploding",
         Quote(13, H_INPUT,
               "如果输入数据不稳定,那么在链式法则中,每一步的梯度都会受到影响,从而导致梯度消失或者梯度爆炸问题。",
               "If the input data are unstable, then in the chain rule the gradient of every step is affected, which leads to vanishing or exploding gradients.")))
def _qa_input_every_step():
    rng = _rng(87)
    W = vanishing_exploding_np.init_stack(10, 64, "xavier", rng)
    x = normalization.zscore(rng.standard_normal(256 * 64)).reshape(256, 64)
    m1 = vanishing_exploding_sym.mean_derivative_per_layer(x, W, "sigmoid")
    m30 = vanishing_exploding_sym.mean_derivative_per_layer(30 * x, W, "sigmoid")
    move = np.abs(m30 - m1)
    return Evidence(bool(np.all(move[1:] >= 0.1 * move[0])), bool(np.all(move[2:] < 0.01 * move[0])),
                    f"Xavier sigmoid stack, inputs ×30: mean σ′(z_l) moves by {move[0]:.3f} at layer 1, {move[1]:.4f} at layer 2, "
                    f"at most {move[2:].max():.0e} from layer 3 on")


@judges(("qa-norm-stable", "QA", "Normalization",
         "Normalizing the inputs keeps each feature's influence on the gradient relatively stable and so avoids vanishing or exploding gradients.",
         "imprecise", "In a shallow network like the source's example it restores the first layer's gradient; in a "
         "deep one vanishing and explosion come from the layers' Jacobians (weights and $f'$), which input "
         "normalization does not control.",
         "vanishing-exploding",
         Quote(13, H_INPUT,
               "这样可以保证每个特征值对梯度的影响都是相对稳定的,从而避免梯度消失或者梯度爆炸问题的发生。",
               "This ensures that each feature value's influence on the gradient is relatively stable, thereby avoiding vanishing or exploding gradients.")))
def _qa_norm_stable():
    r = {}
    for name, (act, scheme) in {"sigmoid, Xavier": ("sigmoid", "xavier"), "ReLU, too large": ("relu", "too large")}.items():
        rng = _rng(88)
        W = vanishing_exploding_np.init_stack(30, 64, scheme, rng)
        x = normalization.zscore(rng.standard_normal(64 * 64) * 50 + 7).reshape(64, 64)
        n = vanishing_exploding_np.layer_gradient_norms(x, W, act, rng=rng)
        r[name] = float(n[0] / n[-1])
    shallow = _input_norm_shallow_and_deep()          # the source's one-hidden-layer example
    return Evidence(all(1e-4 < v < 1e4 for v in r.values()), r["sigmoid, Xavier"] < 1e-4 and r["ReLU, too large"] > 1e6,
                    "read as general advice: standardized inputs, 30 layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: "
                    + ", ".join(f"{k} {v:.0e}" for k, v in r.items()) + "; in the source's one-hidden-layer network "
                    "standardizing the features restores the first layer's gradient (qa-input-norm)",
                    "in a shallow network like the source's example (one hidden layer)",
                    shallow.holds_under_condition)
