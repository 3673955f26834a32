"""The errata's sentence-by-sentence pass over BPTT (bptt-derivation.zh-hant.txt): each checkable sentence
that the first reading (:mod:`.by_topic`) does not judge, with the evidence that judges it."""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import Evidence, judges, Quote, _close, _rng
from .by_topic import _rnn_case
from ... import verify
from ...numeric import activations as activations_np
from ...numeric import gradient_descent as gradient_descent_np
from ...numeric import losses, rnn
from .. import bptt as bptt_sym

_H_FORWARD = "前向傳播"
_H_LOSS = "計算損失"
_H_BACK = "反向傳播"
_H_EXPAND = "梯度遞歸公式的展開"
_H_FORMULA = "推導公式"
_H_VANISH_EX = "梯度消失示例"
_H_EXPLODE_EX = "梯度爆炸示例"
_H_FIXES = "解決梯度消失和梯度爆炸的方法"
_H_SMALL = "為什么很小的梯度無法更新權重并導致無法捕捉長期依賴關系?"

# the source's other statements that the claims below contradict
_Q51 = Quote(51, _H_FORWARD, "y_t = g(W_{hy} h_t + b_y)", "y_t = g(W_hy h_t + b_y)")
_Q126 = Quote(126, "梯度消失",
              "比如,激活函數為 tanh ? \\tanh tanh ,它的導數值在 [-1, 1] 之間,且通常小于 1。",
              "For example, if the activation function is tanh, its derivative lies between [-1, 1], and is usually less than 1.")
_Q132 = Quote(132, "梯度爆炸",
              "比如,激活函數為 ReLU(修正線性單元),其導數在正區間為 1,如果某些參數或權重較大,梯度可能會迅速累積變大。",
              "For example, with ReLU (rectified linear unit) as the activation, its derivative on the positive interval is 1; "
              "if some parameters or weights are large, the gradient may quickly accumulate and become large.")
_Q165 = Quote(165, _H_EXPAND, "\\delta^h_T = \\delta^y_T W_{hy}^T \\cdot k", "δ^h_T = δ^y_T W_hy^T · k")
_Q173 = Quote(173, _H_EXPAND, "= k \\delta^y_{T-1} W_{hy}^T + k^2 \\delta^y_T W_{hy}^T W_{hh}^T",
              "= k δ^y_{T-1} W_hy^T + k^2 δ^y_T W_hy^T W_hh^T (the expansion of δ^h_{T-1})")
_Q179 = Quote(179, _H_EXPAND,
              "= \\delta^y_{T-2} W_{hy}^T \\cdot k + \\delta^y_{T-1} W_{hy}^T W_{hh}^T \\cdot k^2 + "
              "\\delta^y_T W_{hy}^T W_{hh}^T W_{hh}^T \\cdot k^3",
              "= δ^y_{T-2} W_hy^T · k + δ^y_{T-1} W_hy^T W_hh^T · k^2 + δ^y_T W_hy^T W_hh^T W_hh^T · k^3 "
              "(the expansion of δ^h_{T-2})")
_Q277 = Quote(277, _H_SMALL, "\\Delta W = -\\eta \\cdot \\frac{\\partial \\mathcal{L}}{\\partial W}", "ΔW = −η · ∂L/∂W")


# ------------------------------------------------------------------ helpers

def _k_deltas(k, errors) -> np.ndarray:
    """delta_1..delta_T of the book's one recursion (rnn.bptt_deltas) in the source's simplified
    setting: one hidden unit, W_hh = W_hy = 1 (line 191), f' = k at every step (line 159), and
    errors[t-1] = delta^y_t."""
    e = np.asarray(errors, dtype=float)
    T = len(e)
    d, _ = rnn.bptt_deltas(e.reshape(T, 1, 1), np.zeros((T, 1, 1)), np.eye(1), fprime=np.full((T, 1, 1), float(k)))
    return d[:, 0, 0]


def _k_readings(T):
    """The two readings of the source's "initial gradient delta = 1" (line 205): an error of 1 at
    every step (line 193 writes one delta for all t) or at the last step only."""
    last = np.zeros(T)
    last[-1] = 1.0
    return {"δʸ = 1 at every step": np.ones(T), "δʸ = 1 at step T only": last}


def _relu_rnn_ratio(r, grad=None, T=30, m=4):
    """||delta_1|| / ||delta_T|| of a ReLU RNN with W_hh = r I, W_hx = I, positive inputs (every
    unit active, f' = 1 at every step) and an error at the last step only, through the book's
    recursion rnn.bptt_deltas with f' = grad(z_t) at the pre-activations."""
    grad = activations_np.relu_grad if grad is None else grad
    rng = _rng(41)
    x = np.abs(rng.standard_normal((T, 1, m)))
    W = r * np.eye(m)
    z, h = np.empty((T, 1, m)), np.empty((T, 1, m))
    prev = np.zeros((1, m))
    for t in range(T):
        z[t] = prev @ W.T + x[t]
        h[t] = prev = activations_np.relu(z[t])
    dh = np.zeros((T, 1, m))
    dh[-1] = rng.standard_normal((1, m))
    d, _ = rnn.bptt_deltas(dh, h, W, fprime=grad(z))
    return float(np.linalg.norm(d[0]) / np.linalg.norm(d[-1]))


def _softmax_jacobian(v):
    """d softmax(v) / dv = diag(s) - s s^T, s = softmax(v)."""
    s = losses.softmax(v)
    return np.diag(s) - np.outer(s, s)


def _central_jacobian(f, v, step=1e-6):
    """The Jacobian of f at v by central differences, column j = df/dv_j (verify's directional
    derivative along each coordinate)."""
    return np.stack([verify.directional_derivative(f, v, e, "central-difference", step)
                     for e in np.eye(len(v))], axis=1)


def _small_rnn(seed, T=20, radius=0.9):
    rng = _rng(seed)
    params = bptt_sym.init_rnn(3, 4, 2, rng, radius=radius)
    x, h0 = rng.standard_normal((T, 1, 3)), 0.5 * rng.standard_normal((1, 4))
    targets = rng.standard_normal((T, 1, 2))
    return params, x, targets, h0


def _tanh_run(r, T=60, m=16, seed=22):
    """States h_0..h_T (h_0 = 0) of a tanh RNN with W_hh = r Q, Q orthogonal, small inputs."""
    rng = _rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((m, m)))
    x = 0.1 * rng.standard_normal((T, 1, m))
    h, _ = rnn.rnn_forward(x, np.zeros((1, m)), np.eye(m), r * Q, np.zeros(m))
    return np.concatenate([np.zeros((1, m)), h[:, 0]]), r * Q


# ------------------------------------------------------------------ model and losses

@judges(("bptt-loss-past-states", "BPTT", "BPTT",
         "The loss depends not only on the current step's output but also on earlier steps' hidden states.",
         "correct", "As stated: $\\partial \\ell_T / \\partial h_j = (\\partial h_T / \\partial h_j)^\\top W_{hy}^\\top e_T$ for $j < T$.", "",
         Quote(21, "反向傳播通過時間(BPTT)算法",
               "因為損失不僅與當前時間步的輸出相關,還與之前時間步的隱藏狀態相關。",
               "because the loss is related not only to the output of the current time step but also to the hidden states of earlier time steps.")))
def _loss_past_states():
    params, x, targets, h0 = _small_rnn(50, T=8)
    h, cache = rnn.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    e_T = h[-1] @ params["W_hy"].T + params["b_y"] - targets[-1]
    dh = np.zeros_like(h)
    dh[-1] = e_T @ params["W_hy"]                                   # the loss of step T only
    g = rnn.rnn_backward(dh, cache)
    hs = np.concatenate([h0, h[:, 0]])
    T = len(h)
    by_jacobian = bptt_sym.hidden_jacobian(hs, params["W_hh"], T, 0).T @ dh[-1, 0]
    prev = bptt_sym.hidden_jacobian(hs, params["W_hh"], T, T - 1).T @ dh[-1, 0]
    n0, n1 = float(np.linalg.norm(g.dh0)), float(np.linalg.norm(prev))
    return Evidence(n0 > 1e-8 and n1 > 1e-8, n0 > 1e-8 and _close(g.dh0[0], by_jacobian, 1e-10),
                    f"loss of step T = {T} alone: ‖∂ℓ_T/∂h_(T−1)‖ = {n1:.2e}, ‖∂ℓ_T/∂h_0‖ = {n0:.2e} "
                    "(rnn_backward, equal to the Jacobian product (∂h_T/∂h_0)ᵀ W_hyᵀ e_T)")


@judges(("bptt-mse-over-time", "BPTT", "Losses",
         "The MSE loss of a sequence is Σ_t ½ (y_t − ŷ_t)², summed over all time steps.",
         "correct", "As stated (for vector outputs, $\\tfrac12 \\lVert y_t - \\hat y_t \\rVert^2$).", "",
         Quote(71, _H_LOSS, "L = \\sum_{t=1}^T \\frac{1}{2} (y_t - \\hat{y}_t)^2",
               "L = Σ_{t=1}^{T} ½ (y_t − ŷ_t)^2")))
def _mse_over_time():
    params, x, targets, h0 = _small_rnn(51)
    L, _ = rnn.rnn_loss_and_grads(params, x, targets, h0)
    h, _ = rnn.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    out = h @ params["W_hy"].T + params["b_y"]
    stated = sum(0.5 * np.sum((out[t] - targets[t]) ** 2) for t in range(len(h)))
    ok = _close(L, stated)
    return Evidence(ok, ok, f"Σ_t ½‖y_t − ŷ_t‖² over T = {len(h)} steps = {stated:.6f}, rnn_loss_and_grads's loss = {L:.6f}")


@judges(("bptt-bce-softmax", "BPTT", "Losses",
         "The cross-entropy loss of a sequence is −Σ_t [ŷ_t log y_t + (1 − ŷ_t) log(1 − y_t)].",
         "imprecise", "That is the binary cross-entropy, for a sigmoid output; with the softmax output the source names "
         "(usually softmax or linear), it is $-\\sum_t \\hat y_t^\\top \\log y_t$.", "losses",
         Quote(75, _H_LOSS,
               "L = -\\sum_{t=1}^T [\\hat{y}_t \\log(y_t) + (1 - \\hat{y}_t) \\log(1 - y_t)]",
               "L = −Σ_{t=1}^{T} [ŷ_t log(y_t) + (1 − ŷ_t) log(1 − y_t)]")))
def _bce_with_softmax():
    rng = _rng(52)
    T, K = 6, 3
    a = rng.standard_normal((T, K))
    labels = rng.integers(0, K, T)
    onehot = np.eye(K)[labels]
    formula = lambda y, t: float(-np.sum(t * np.log(y) + (1 - t) * np.log(1 - y)))  # noqa: E731
    y = losses.softmax(a)                                        # the output g of line 42
    ce = losses.softmax_cross_entropy(a, labels)[0] * T          # the batch mean, summed over t
    z, soft = rng.standard_normal(T), rng.random(T)              # a sigmoid output, targets in [0, 1]
    bce = losses.binary_cross_entropy_with_logits(z, soft)[0] * T
    under = _close(formula(activations_np.sigmoid(z), soft), bce, 1e-10)
    book = _close(ce, float(-np.sum(onehot * np.log(y))), 1e-10) and under
    return Evidence(_close(formula(y, onehot), ce, 1e-6), book,
                    f"softmax output, K = {K}, T = {T}: the formula gives {formula(y, onehot):.4f}, the cross-entropy "
                    f"−Σ ŷᵀ log y is {ce:.4f}; with a sigmoid output it equals the binary cross-entropy ({bce:.4f})",
                    "with a sigmoid output and targets in [0, 1] (binary cross-entropy)", under)


@judges(("bptt-g-input", "BPTT", "Activations",
         "g′(y_t) is the derivative of the output activation g with respect to its input y_t.",
         "incorrect", "$y_t = g(a_t)$ is g's output; the derivative is taken at its input "
         "$a_t = W_{hy} h_t + b_y$: $\\partial y_t / \\partial a_t = g'(a_t)$.", "activations",
         Quote(88, _H_BACK,
               "g ′ ( y t ) g'(y_t) g(yt?) 是輸出層激活函數 g g g 對其輸入 y t y_t yt? 的導數。",
               "g'(y_t) is the derivative of the output-layer activation function g with respect to its input y_t."),
         _Q51))
def _g_input():
    a = _rng(53).standard_normal(4)
    y = losses.softmax(a)                                        # line 51 (g = softmax, line 42)
    measured = _central_jacobian(losses.softmax, a)
    e_src, e_book = verify.rel_error(_softmax_jacobian(y), measured), verify.rel_error(_softmax_jacobian(a), measured)
    return Evidence(e_src < 1e-6, e_book < 1e-6,
                    f"g = softmax, y_t = g(a_t): ∂y_t/∂a_t by central differences equals g′(a_t) within {e_book:.0e}; "
                    f"g′ at y_t is off by {e_src:.2f} (relative)")


@judges(("bptt-dl-dy-chain", "BPTT", "Activations",
         "∂ℓ/∂y_t = ∂ℓ/∂g(y_t) · ∂g(y_t)/∂y_t.",
         "incorrect", "With $y_t = g(a_t)$ the output, $\\partial \\ell / \\partial y_t$ has no factor $g'$ (for the MSE "
         "it is $y_t - \\hat y_t$); $g'(a_t)$ enters $\\partial \\ell / \\partial a_t$.", "activations",
         Quote(91, _H_BACK,
               "\\frac{\\partial \\ell}{\\partial y_t} = \\frac{\\partial \\ell}{\\partial g(y_t)} \\cdot \\frac{\\partial g(y_t)}{\\partial y_t}",
               "∂ℓ/∂y_t = ∂ℓ/∂g(y_t) · ∂g(y_t)/∂y_t"),
         _Q51))
def _dl_dy_chain():
    rng = _rng(54)
    a, target = rng.standard_normal(4), rng.random(4)
    y = losses.softmax(a)
    loss_of_y = lambda v: np.atleast_1d(0.5 * np.sum((v - target) ** 2))                  # noqa: E731
    loss_of_a = lambda v: np.atleast_1d(0.5 * np.sum((losses.softmax(v) - target) ** 2))  # noqa: E731
    dl_dy = _central_jacobian(loss_of_y, y)[0]
    dl_da = _central_jacobian(loss_of_a, a)[0]
    stated = _softmax_jacobian(y).T @ (y - target)               # dl/d(output) times g' at y_t
    e_src = verify.rel_error(stated, dl_dy)
    book = _close(dl_dy, y - target, 1e-8) and _close(dl_da, _softmax_jacobian(a).T @ (y - target), 1e-8)
    return Evidence(e_src < 1e-6, book,
                    f"g = softmax, ℓ = ½‖y_t − ŷ_t‖²: ∂ℓ/∂y_t by central differences is y_t − ŷ_t; the stated "
                    f"product with g′(y_t) is off by {e_src:.2f} (relative); g′(a_t) belongs to ∂ℓ/∂a_t")


# ------------------------------------------------------------------ the backward pass

@judges(("bptt-current-future", "BPTT", "BPTT",
         "The hidden-layer gradient involves the influence of the current and of future time steps.",
         "correct", "As stated: $\\delta_t$ depends on $e_s$ for $s \\ge t$ only.", "",
         Quote(95, _H_BACK, "隱藏層的梯度計算涉及當前時間步和未來時間步的影響:",
               "The computation of the hidden-layer gradient involves the influence of the current time step and of future time steps:")))
def _current_and_future():
    params, x, h0, h, e, grads = _rnn_case()
    dh, W, t = e @ params["W_hy"], params["W_hh"], 10
    base = rnn.bptt_deltas(dh, h, W)[0][t]

    def moves(s):
        bumped = dh.copy()
        bumped[s] += 1.0
        return not np.allclose(rnn.bptt_deltas(bumped, h, W)[0][t], base, rtol=0, atol=1e-14)
    now, later, earlier = moves(t), moves(t + 3), moves(t - 3)
    return Evidence(now and later, now and later and not earlier,
                    f"changing the error of step s moves δ_t (t = {t + 1}): s = t {now}, s = t + 3 {later}, s = t − 3 {earlier}")


@judges(("bptt-descent-direction", "BPTT", "Gradient descent",
         "Gradient descent updates the weights against the gradient so that the loss decreases.",
         "correct", "As stated, for a small enough step.", "",
         Quote(101, _H_BACK,
               "梯度下降法的基本思想是沿著 梯度的反方向 更新權重,使得損失函數逐漸減小。",
               "The basic idea of gradient descent is to update the weights in the direction opposite to the gradient, so that the loss function gradually decreases.")))
def _descent_direction():
    params, x, targets, h0 = _small_rnn(55)
    L0, g = rnn.rnn_loss_and_grads(params, x, targets, h0)
    lr = 1e-2
    new = gradient_descent_np.gd_step(params, {k: g[k] for k in params}, lr)
    L1 = rnn.rnn_loss_and_grads(new, x, targets, h0)[0]
    against = all(_close(new[k] - params[k], -lr * g[k], 1e-10) for k in params)
    ok = against and L1 < L0
    return Evidence(ok, ok, f"RNN, one step θ − η∇L with η = {lr}: loss {L0:.5f} → {L1:.5f}")


@judges(("bptt-update-sign", "BPTT", "Gradient descent",
         "Summing the gradients over all time steps gives the update of the input-to-hidden weights.",
         "imprecise", "The sum is the gradient $\\partial L / \\partial W_{hx}$; the update is "
         "$\\Delta W_{hx} = -\\eta\\, \\partial L / \\partial W_{hx}$, as the source itself writes at line 277.",
         "gradient-descent",
         Quote(105, _H_BACK, "我們將所有時間步的梯度相加,得到輸入到隱藏層權重的更新量。",
               "We add up the gradients of all time steps to obtain the update amount of the input-to-hidden weights."),
         _Q277))
def _update_sign():
    params, x, targets, h0 = _small_rnn(56)
    L0, g = rnn.rnn_loss_and_grads(params, x, targets, h0)
    loss = lambda W: rnn.rnn_loss_and_grads({**params, "W_hx": W}, x, targets, h0)[0]  # noqa: E731
    scales = (1e-4, 1e-3, 1e-2)
    plus = {s: loss(params["W_hx"] + s * g["W_hx"]) for s in scales}        # ΔW_hx = +Σ δ_t x_tᵀ, any scale
    lr = 1e-3
    step = gradient_descent_np.gd_step({"W_hx": params["W_hx"]}, {"W_hx": g["W_hx"]}, lr)["W_hx"]
    book = loss(step) < L0 and _close(step - params["W_hx"], -lr * g["W_hx"], 1e-10)
    update = (step - params["W_hx"]).ravel()
    cosine = float(update @ g["W_hx"].ravel() / (np.linalg.norm(update) * np.linalg.norm(g["W_hx"])))
    return Evidence(any(v < L0 for v in plus.values()), book,
                    f"RNN loss {L0:.5f}; W_hx + s·Σ δ_t x_tᵀ gives " + ", ".join(f"{v:.5f} (s = {s:g})" for s, v in plus.items())
                    + f": it rises; W_hx − η Σ δ_t x_tᵀ (η = {lr:g}) gives {loss(step):.5f}; the update is "
                    f"parallel to the sum with cosine {cosine:.12f}",
                    "read as proportional: the update is −η times this sum", bool(abs(cosine + 1) < 1e-12))


# ------------------------------------------------------------------ vanishing and exploding over time

@judges(("bptt-vanish-or-explode", "BPTT", "BPTT",
         "As the number of time steps grows, the gradient may shrink to almost zero or become very large.",
         "correct", "As stated; which one depends on $W_{hh}$: $\\lVert \\partial h_t / \\partial h_j \\rVert_2 \\le "
         "\\lVert W_{hh} \\rVert_2^{\\,t-j}$ for tanh.", "",
         Quote(119, "梯度消失和梯度爆炸問題",
               "隨著時間步數增加,梯度的值可能會逐漸減小到幾乎為零(梯度消失)或變得非常大(梯度爆炸)",
               "As the number of time steps increases, the gradient's value may gradually shrink to almost zero (vanishing) or become very large (exploding)")))
def _vanish_or_explode():
    norms = bptt_sym.lag_norms()
    lags = np.arange(len(norms[0.5][0]))
    small, large = norms[0.5][0][-1], norms[1.5][0][-1]
    ok = small < 1e-6 and large > 100
    bounded = all(np.all(norms[r][0] <= bptt_sym.jacobian_bound(r, lags) * (1 + 1e-12)) for r in (0.5, 1.5))
    return Evidence(ok, ok and bounded,
                    f"tanh RNN, ‖∂h_T/∂h_(T−{lags[-1]})‖₂: {small:.1e} with ‖W_hh‖₂ = 0.5, {large:.0f} with ‖W_hh‖₂ = 1.5 "
                    "(the book's lag figure)")


@judges(("bptt-f-below-one", "BPTT", "BPTT",
         "If the activation's derivative f′(h_t) is below 1, repeated multiplication makes the gradient tend to zero.",
         "imprecise", "It holds when also $\\lVert W_{hh}\\rVert_2 < 1$ (generally when "
         "$\\sup f' \\cdot \\lVert W_{hh}\\rVert_2 < 1$): the factor per step is $\\operatorname{diag}(f') W_{hh}$, and "
         "with $\\tanh' < 1$ everywhere the gradient can still grow when $\\lVert W_{hh}\\rVert_2 = 1.5$.", "bptt",
         Quote(125, "梯度消失",
               "數學上,如果激活函數的導數 f ′ ( h t ) f'(h_t) f(ht?) 小于 1,多次相乘后會趨近于零。",
               "Mathematically, if the activation function's derivative f'(h_t) is less than 1, after being multiplied many times it approaches zero.")))
def _f_below_one():
    T = 60
    out = {}
    for r in (1.5, 0.9):
        hs, W = _tanh_run(r, T)
        out[r] = (float(np.max(1 - hs[1:] ** 2)), float(np.linalg.norm(bptt_sym.hidden_jacobian(hs, W, T, 0), 2)),
                  float(np.mean(1 - hs[1:] ** 2)))
    fmax, big, fmean = out[1.5]
    _, small, _ = out[0.9]
    bound = all(n <= float(bptt_sym.jacobian_bound(r, [T])[0]) * (1 + 1e-12) for r, (_, n, _) in out.items())
    return Evidence(fmax < 1 and big < 1e-2, bound and fmax < 1 and big > 1,
                    f"tanh RNN, {T} steps: with ‖W_hh‖₂ = 1.5 every tanh′ < 1 (mean {fmean:.2f}), yet ‖∂h_T/∂h_0‖₂ = {big:.1e}; "
                    f"with ‖W_hh‖₂ = 0.9 it is {small:.1e}",
                    "when also ‖W_hh‖₂ < 1", bool(out[0.9][0] < 1 and small < 1e-2))


@judges(("bptt-relu-large-weights", "BPTT", "Vanishing and exploding gradients",
         "ReLU's derivative is 1 on the positive side; if some parameters or weights are large, the gradient may quickly grow.",
         "correct", "As stated: with $f' = 1$ the factor per step is $W_{hh}$ itself.", "",
         _Q132))
def _relu_large_weights():
    z = np.linspace(1e-6, 50, 1001)
    ones = bool(np.all(activations_np.relu_grad(z) == 1))
    big, small = _relu_rnn_ratio(1.5), _relu_rnn_ratio(0.5)
    return Evidence(ones and big > 1e3, ones and np.isclose(big, 1.5 ** 29, rtol=1e-9, atol=0) and small < 1,
                    f"ReLU′ = 1 for z > 0; ReLU RNN over 30 steps, every unit active: ‖δ_1‖/‖δ_30‖ = {big:.2e} with "
                    f"W_hh = 1.5 I (= 1.5²⁹), {small:.1e} with W_hh = 0.5 I")


@judges(("bptt-relu-prevents", "BPTT", "Vanishing and exploding gradients",
         "Choosing a suitable activation (such as ReLU or Leaky ReLU) prevents vanishing and exploding gradients.",
         "imprecise", "Their derivatives are at most 1, so they cannot stop $W_{hh}$ from growing the gradient (the "
         "source's own line 132 says so for ReLU); ReLU keeps it from vanishing only with $W_{hh}$ near the identity.",
         "vanishing-exploding",
         Quote(270, _H_FIXES, "選擇適當的激活函數(如ReLU、Leaky ReLU等),防止梯度消失和爆炸。",
               "Choose an appropriate activation function (such as ReLU, Leaky ReLU, etc.) to prevent vanishing and exploding gradients."),
         _Q132))
def _relu_prevents():
    grads = {"ReLU": activations_np.relu_grad, "Leaky ReLU": activations_np.leaky_relu_grad}
    ratios = {(name, r): _relu_rnn_ratio(r, g) for name, g in grads.items() for r in (0.5, 1.0, 1.5)}
    z = np.linspace(-30, 30, 60001)
    at_most_one = all(float(g(z).max()) <= 1 for g in grads.values())
    return Evidence(all(1e-2 < v < 1e2 for v in ratios.values()),
                    at_most_one and all(np.isclose(v, r ** 29, rtol=1e-9, atol=0) for (_, r), v in ratios.items()),
                    "RNN over 30 steps, every unit active, ‖δ_1‖/‖δ_30‖: "
                    + ", ".join(f"{n} W_hh = {r} I: {v:.1e}" for (n, r), v in ratios.items())
                    + "; both derivatives are at most 1, so W_hh alone sets the factor r²⁹",
                    "with W_hh at the identity (the IRNN initialization)",
                    all(1e-2 < ratios[name, 1.0] < 1e2 for name in grads))


# ------------------------------------------------------------------ the constant-k model

@judges(("bptt-identity-collapse", "BPTT", "BPTT",
         "With W_hy and W_hh the identity, δ_tʰ = δ · k^t.",
         "incorrect", "With $W = I$, $\\delta_t = \\sum_{s \\ge t} k^{s-t+1} \\delta^y_s$ "
         "(the source's own line 173 gives $\\delta_{T-1} = k\\delta^y_{T-1} + k^2 \\delta^y_T$).", "bptt",
         Quote(193, _H_FORMULA, "\\delta^h_t = \\delta \\cdot k^t", "δ^h_t = δ · k^t"),
         _Q173))
def _identity_collapse():
    k, T = 0.5, 10
    t = np.arange(1, T + 1)
    got = {name: _k_deltas(k, e) for name, e in _k_readings(T).items()}
    every, last = got.values()
    book = (np.allclose(every, [sum(k ** j for j in range(1, T - s + 2)) for s in t], rtol=1e-12, atol=0)
            and np.allclose(last, k ** (T - t + 1), rtol=1e-12, atol=0) and np.isclose(every[-2], k + k ** 2, rtol=1e-12, atol=0))
    return Evidence(any(np.allclose(d, k ** t, rtol=1e-6, atol=0) for d in got.values()), book,
                    f"scalar case, W = I, k = {k}, T = {T}: δ_1 = {every[0]:.4f} (error at every step) or {last[0]:.2e} "
                    f"(at step T only), not k¹ = {k}; δ_(T−1) = {every[-2]:g} = k + k², not k⁹")


@judges(("bptt-which-steps-vanish", "BPTT", "BPTT",
         "If k < 1, k^t quickly goes to zero as t increases, causing vanishing gradients.",
         "incorrect", "$k^t \\to 0$ is true, but with line 193's indexing it puts the vanishing at the late steps: "
         "the error of step $s$ reaches step $t$ with $k^{s-t+1}$, so the gradient vanishes at the **early** steps, "
         "far from the error, as the source's own expansion (line 179) shows.", "bptt",
         Quote(195, _H_FORMULA,
               "如果激活函數的導數 k < 1 k < 1 k<1 ,那么 k t k^t kt 會隨著 t t t 增加而快速趨近于零,導致梯度消失。",
               "If the activation function's derivative k < 1, then k^t quickly approaches zero as t increases, causing vanishing gradients."),
         _Q179))
def _which_steps_vanish():
    k, T = 0.5, 20
    got = {name: _k_deltas(k, e) for name, e in _k_readings(T).items()}
    every, last = got.values()
    # as the source means it: the hidden gradient of the late steps is the one near zero
    src = any(d[-1] / d[0] < 1e-2 for d in got.values())
    book = bool(np.all(np.diff(last) > 0)) and np.isclose(last[0], k ** T, rtol=1e-12, atol=0) and every.min() >= k * (1 - 1e-12)
    return Evidence(src, book,
                    f"scalar case, W = I, k = {k}, T = {T}: error at step T only, δ_1 = {last[0]:.1e} and δ_T = {last[-1]:g} "
                    f"(δ_t grows with t); error at every step, δ_t ∈ [{every.min():g}, {every.max():.4f}]: never near zero")


@judges(("bptt-delta-T-power", "BPTT", "BPTT",
         "In the example, δ_Tʰ = δ · k^T.",
         "incorrect", "$\\delta_T = k\\,\\delta$, one factor (the source's own line 165); $\\delta\\, k^T$ is the "
         "gradient that reaches step 1 from the error of step $T$.", "bptt",
         Quote(213, _H_VANISH_EX, "\\delta^h_T = \\delta \\cdot k^T", "δ^h_T = δ · k^T"),
         _Q165))
def _delta_T_power():
    k, T = 0.5, 10
    got = {name: _k_deltas(k, e) for name, e in _k_readings(T).items()}
    last = got["δʸ = 1 at step T only"]
    book = all(np.isclose(d[-1], k, rtol=1e-12, atol=0) for d in got.values()) and np.isclose(last[0], k ** T, rtol=1e-12, atol=0)
    return Evidence(any(np.isclose(d[-1], k ** T, rtol=1e-6, atol=0) for d in got.values()), book,
                    f"scalar case, W = I, k = {k}, T = {T}: δ_T = {last[-1]:g} under both readings of δ = 1, "
                    f"not k^T = {k ** T:.2e}; k^T is δ_1 from the error at step T ({last[0]:.2e})")


@judges(("bptt-k-half", "BPTT", "Activations",
         "Take the activation derivative k = 0.5, i.e. below 1 at every step.",
         "correct", "As stated: $\\tanh'(z) = 1/2$ at $z = \\operatorname{artanh}(1/\\sqrt 2)$.", "",
         Quote(209, _H_VANISH_EX, "假設激活函數導數 k = 0.5 k = 0.5 k=0.5 ,即每一步的導數都小于 1。",
               "Assume the activation function's derivative k = 0.5, i.e. the derivative at every step is less than 1.")))
def _k_half():
    z = sp.Symbol("z", real=True)
    z0 = sp.atanh(1 / sp.sqrt(2))
    exact = sp.simplify(sp.diff(sp.tanh(z), z).subs(z, z0) - sp.Rational(1, 2)) == 0
    v = float(activations_np.tanh_grad(np.array(float(z0))))
    ok = exact and abs(v - 0.5) < 1e-12 and v < 1
    return Evidence(ok, ok, f"SymPy: tanh′(artanh(1/√2)) = 1/2 exactly; tanh_grad there = {v:.12f} < 1 "
                    "(a constant tanh′ of 0.5 is attainable)")


@judges(("bptt-k-above-one-tanh", "BPTT", "Activations",
         "Take the activation derivative k = 1.5, i.e. above 1 at every step.",
         "incorrect", "$\\tanh' = 1 - \\tanh^2 \\le 1$: with the example's tanh (line 204) no step has $k > 1$; "
         "growth needs $\\lVert W_{hh} \\rVert_2 > 1$.", "activations",
         Quote(229, _H_EXPLODE_EX, "假設激活函數導數 k = 1.5 k = 1.5 k=1.5 ,即每一步的導數都大于 1。",
               "Assume the activation function's derivative k = 1.5, i.e. the derivative at every step is greater than 1."),
         _Q126))
def _k_above_one_tanh():
    g = bptt_sym.gamma()                                       # max tanh', SymPy
    grid = float(activations_np.tanh_grad(np.linspace(-20, 20, 400001)).max())
    return Evidence(float(g) >= 1.5 or grid >= 1.5, bool(g == 1) and grid <= 1,
                    f"max tanh′ = {g} (SymPy, the book's γ), {grid:g} on a grid of [−20, 20]: k = 1.5 is not a tanh′ value")


# ------------------------------------------------------------------ remedies

@judges(("bptt-l2-penalty", "BPTT", "BPTT",
         "A penalty term added to the weight update keeps the weights from becoming too large.",
         "correct", "As stated: the L2 term $\\tfrac\\lambda2 \\lVert W \\rVert^2$ adds $-\\eta\\lambda W$ to each step.", "",
         Quote(263, _H_FIXES, "增加權重更新時的懲罰項,控制權重值不至于過大。",
               "Add a penalty term in the weight update, to keep the weight values from becoming too large.")))
def _l2_penalty():
    params, x, targets, h0 = _small_rnn(57, radius=1.2)
    lam, lr = 0.5, 0.05
    weights = [k for k in params if k.startswith("W")]

    def train(decay):
        p = dict(params)
        for _ in range(60):
            _, g = rnn.rnn_loss_and_grads(p, x, targets, h0)
            p = gradient_descent_np.gd_step(p, {k: g[k] + (decay * lam * p[k] if k in weights else 0) for k in p}, lr)
        return float(np.sqrt(sum(np.sum(p[k] ** 2) for k in weights)))
    plain, decayed = train(0.0), train(1.0)
    only = gradient_descent_np.gd_step(params, {k: lam * v for k, v in params.items()}, lr)
    shrink = all(_close(only[k], (1 - lr * lam) * params[k], 1e-12) for k in params)
    return Evidence(decayed < plain, shrink and decayed < plain,
                    f"60 steps of gradient descent on an RNN: weight norm {plain:.3f} without, {decayed:.3f} with "
                    f"λ = {lam}; the penalty alone multiplies W by 1 − ηλ = {1 - lr * lam:g} per step")
