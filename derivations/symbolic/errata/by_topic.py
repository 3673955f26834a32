"""The errata's first reading: the claims of the five sources grouped by the book's topics,
with the evidence that judges them (see :mod:`derivations.symbolic.errata`)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ... import verify
from ...numeric import activations as activations_np
from ...numeric import backprop, clipping, gru, losses, lstm, normalization, rnn
from ...numeric import gradient_descent as gradient_descent_np
from ...numeric import hadamard as hadamard_np
from ...numeric import vanishing_exploding as vanishing_exploding_np
from .. import bptt as bptt_sym
from .. import clipping as clipping_sym
from .. import gradient_descent as gradient_descent_sym
from .. import lstm_gru as lstm_gru_sym
from .. import normalization as normalization_sym
from .. import residual as residual_sym
from .. import vanishing_exploding as vanishing_exploding_sym
from . import STATED, Evidence, Quote, _close, _rng, judges


# ------------------------------------------------------------------ Hadamard and backprop

@judges(("hbvn-hadamard-example", "HBVN", "Hadamard product and backprop",
         "The Hadamard product of [[1,2],[3,4]] and [[5,6],[7,8]] is [[5,12],[21,32]], unlike the matrix product.",
         "correct", "As stated.", "",
         Quote(20, "2. 计算例子:",
               "A \\circ B = \\begin{pmatrix} 1 \\cdot 5 & 2 \\cdot 6 \\ 3 \\cdot 7 & 4 \\cdot 8 \\end{pmatrix} = \\begin{pmatrix} 5 & 12 \\ 21 & 32 \\end{pmatrix}",
               "A ∘ B = [[1·5, 2·6],[3·7, 4·8]] = [[5, 12],[21, 32]]")))
def _hadamard_example():
    A, B_ = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[5.0, 6.0], [7.0, 8.0]])
    got = hadamard_np.hadamard(A, B_)
    stated = np.array([[5, 12], [21, 32]])
    return Evidence(bool(np.array_equal(got, stated)), bool(np.array_equal(got, stated) and not np.array_equal(got, A @ B_)),
                    f"A ⊙ B = {got.astype(int).tolist()}; the matrix product AB = {(A @ B_).astype(int).tolist()}")


@judges(("hbvn-hadamard-scaling", "HBVN", "Hadamard product and backprop",
         "The Hadamard product scales each coordinate independently.",
         "correct", "$a \\odot b = \\operatorname{diag}(a)\\, b$.", "",
         Quote(29, "阿达玛乘积的几何意义",
               "那么阿达玛乘积可以看作是在每个维度上独立缩放对应位置的元素。",
               "then the Hadamard product can be regarded as independently scaling the element at the corresponding position in each dimension.")))
def _hadamard_is_diagonal_scaling():
    rng = _rng(1)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    ok = _close(a * b, np.diag(a) @ b)
    return Evidence(ok, ok, f"a ⊙ b = diag(a) b on random 5-vectors: rel. error {verify.rel_error(a * b, np.diag(a) @ b):.0e}")


def _stack(activation, scheme, seed, depth=30, width=64, n=64, scale=1.0, batchnorm=False, weights=None):
    """A freshly initialized stack (or the given weights), its forward cache, the gradients
    dL/dh_l (l = 0..depth) for a random upstream gradient, and the layers' inputs h_l."""
    rng = _rng(seed)
    W = vanishing_exploding_np.init_stack(depth, width, scheme, rng) if weights is None else weights
    x = scale * rng.standard_normal((n, width))
    out, cache = vanishing_exploding_np.stack_forward(x, W, activation, batchnorm=batchnorm)
    grads = vanishing_exploding_np.stack_backward(rng.standard_normal(out.shape), cache)
    f, _ = backprop.activation_pair(activation)
    hs = [x] + [f(z) for z in cache[0][:-1]]
    return W, cache, grads, hs


def _layer_weight_grads(activation, cache, grads, hs):
    """dL/dW_l = (dL/dz_l)^T h_l for every layer of a plain stack, from what :func:`_stack` returns."""
    _, f_grad = backprop.activation_pair(activation)
    return [(grads[l + 1] * f_grad(z)).T @ hs[l] for l, z in enumerate(cache[0])]


def _weight_grads(activation, scheme, seed):
    """Every layer's dL/dW_l of a fresh stack (:func:`_stack`), and its weights."""
    W, cache, grads, hs = _stack(activation, scheme, seed)
    return _layer_weight_grads(activation, cache, grads, hs), W


def _ratio(activation, scheme, seed, depth=30, width=64):
    n = vanishing_exploding_sym.simulate(activation, scheme, _rng(seed), depth=depth, width=width)
    return float(n[0] / n[-1])


def _quadratic_runs(seed):
    rng = _rng(seed)
    A = gradient_descent_sym.random_spd(4, rng)
    lam = np.linalg.eigvalsh(A)
    lr = 1.0 / float(lam.max())
    w0 = rng.standard_normal(4)
    runs = {k: gradient_descent_sym.run_quadratic(k * A, w0, lr, 40) for k in (1, 100)}
    first = {k: np.linalg.norm(r[1] - r[0]) for k, r in runs.items()}
    last = {k: np.linalg.norm(r[-1]) for k, r in runs.items()}
    # divergence exactly when lr * lambda_max > 2: the spectral radius of I - lr kA is max |1 - lr k lambda_i|
    radius = {k: gradient_descent_sym.iteration_radius(k * A, lr) for k in (1, 100)}
    book = all(abs(radius[k] - np.max(np.abs(1 - lr * k * lam))) < 1e-9 for k in radius) and radius[1] < 1 < radius[100]
    return first, last, book, np.linalg.norm(w0)


def _rnn_h0_grad_norms(seed) -> dict:
    """‖dL/dh₀‖ of a tanh RNN (3 inputs, 8 units, 2 outputs) over 30 steps with small inputs and a
    target at the last step only, at spectral radius 0.9 and 1.5 of W_hh (the same draws)."""
    norms = {}
    for radius in (0.9, 1.5):
        rng = _rng(seed)
        params = bptt_sym.init_rnn(3, 8, 2, rng, radius=radius)
        x, h0 = 0.01 * rng.standard_normal((30, 1, 3)), 0.01 * rng.standard_normal((1, 8))
        targets = np.zeros((30, 1, 2))
        targets[-1] = rng.standard_normal((1, 2))
        norms[radius] = np.linalg.norm(rnn.rnn_loss_and_grads(params, x, targets, h0)[1]["h0"])
    return norms


def _two_layer(activation="sigmoid", K=1, seed=2):
    """One sample, column convention: x (D,), the book's gradients, and the pieces."""
    rng = _rng(seed)
    D, H = 2, 3
    p = backprop.two_layer_init(D, H, K, rng)
    p["b1"] = 0.1 * rng.standard_normal(H)
    x, y = rng.standard_normal((1, D)), rng.standard_normal((1, K))
    _, grads = backprop.two_layer_loss_and_grads(p, x, y, activation)
    z = p["W1"] @ x[0] + p["b1"]
    f, fp = backprop.ACTIVATION_PAIRS[activation]
    h = f(z)
    e = p["W2"] @ h + p["b2"] - y[0]
    return p, x[0], h, z, fp(z), e, grads


@judges(("hbvn-dz", "HBVN", "Hadamard product and backprop",
         "The gradient at the pre-activation is the upstream gradient times f′(z), elementwise.",
         "correct", "$\\partial L/\\partial z = \\partial L/\\partial h \\odot f'(z)$.", "",
         Quote(94, "2. 反向传播:",
               "\\frac{\\partial L}{\\partial z} = \\frac{\\partial L}{\\partial h} \\circ f’(z)",
               "∂L/∂z = ∂L/∂h ∘ f′(z)")))
def _dz_hadamard():
    p, x, h, z, fpz, e, grads = _two_layer()
    dz = (p["W2"].T @ e) * fpz
    ok = _close(np.outer(dz, x), grads["W1"])
    return Evidence(ok, ok, "δ = (W₂ᵀe) ⊙ f′(z) gives dL/dW₁ = δxᵀ equal to the verified gradient "
                    f"(rel. error {verify.rel_error(np.outer(dz, x), grads['W1']):.0e})")


@judges(("hbvn-dW-outer", "HBVN", "Hadamard product and backprop",
         "dL/dW = (dL/dz) xᵀ and dL/db = dL/dz for z = Wx + b.",
         "correct", "As stated (column vectors, one sample).", "",
         Quote(102, "3. 梯度更新:",
               "\\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial z} \\cdot x^T",
               "∂L/∂W = ∂L/∂z · xᵀ")))
def _dW_outer():
    p, x, h, z, fpz, e, grads = _two_layer()
    dz = (p["W2"].T @ e) * fpz
    ok = _close(np.outer(dz, x), grads["W1"]) and _close(dz, grads["b1"])
    return Evidence(ok, ok, f"δxᵀ has shape {np.outer(dz, x).shape} = shape of W₁; equal to the verified gradients")


@judges(("hbvn-dW2", "HBVN", "Hadamard product and backprop",
         "For ŷ = W₂H + b₂, dL/dW₂ = (ŷ − y)·H.",
         "incorrect",
         "$\\partial L/\\partial W_2 = (\\hat y - y) H^\\top$, an outer product with the shape of $W_2$.",
         "backprop",
         Quote(161, "输出层梯度(计算损失对 ( W_2 ) 的偏导数):",
               "\\frac{\\partial L}{\\partial W_2} = (\\hat{y} - y) \\cdot H",
               "∂L/∂W₂ = (ŷ − y) · H"),
         Quote(102, "3. 梯度更新:", "\\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial z} \\cdot x^T", "∂L/∂W = ∂L/∂z · xᵀ")))
def _dW2_no_transpose():
    p, x, h, z, fpz, e, grads = _two_layer(K=1)      # the source's setting: one output, L = (ŷ − y)²/2
    literal = e[0] * h[:, None]                       # (ŷ - y) · H with H a column
    holds = literal.shape == grads["W2"].shape and _close(literal, grads["W2"])
    return Evidence(holds, _close(np.outer(e, h), grads["W2"]),
                    f"with one output, as in the source, (ŷ−y)·H has shape {literal.shape} and W₂ has "
                    f"{grads['W2'].shape}: the right entries, transposed (the Jacobian layout; the source's own line 102 "
                    "gives a gradient its variable's shape); with 2 outputs the product of a 2×1 and a 3×1 column is "
                    "undefined")


@judges(("hbvn-dH", "HBVN", "Hadamard product and backprop",
         "dL/dH = (ŷ − y)·W₂.",
         "incorrect", "$\\partial L/\\partial H = W_2^\\top (\\hat y - y)$.", "backprop",
         Quote(179, "隐藏层梯度(计算损失对 ( W_1 ) 的偏导数):",
               "\\frac{\\partial L}{\\partial H} = \\frac{\\partial L}{\\partial \\hat{y}} \\cdot \\frac{\\partial \\hat{y}}{\\partial H} = (\\hat{y} - y) \\cdot W_2",
               "∂L/∂H = ∂L/∂ŷ · ∂ŷ/∂H = (ŷ − y) · W₂"),
         Quote(102, "3. 梯度更新:", "\\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial z} \\cdot x^T",
               "∂L/∂W = ∂L/∂z · xᵀ")))
def _dH_no_transpose():
    p, x, h, z, fpz, e, grads = _two_layer(K=1)
    literal = e[0] * p["W2"]                          # (ŷ - y) · W2: a row
    column = h[:, None]                               # H, a column in the source's W₁X + b₁
    dH = grads["b1"] / fpz                            # dL/dH, from the verified gradient
    return Evidence(literal.shape == column.shape and _close(literal, dH[:, None]),
                    _close(p["W2"].T @ e, dH) and _close(literal.ravel(), dH),
                    f"(ŷ−y)·W₂ has shape {literal.shape}, H has shape {column.shape}: the right entries, as a row "
                    "(the Jacobian ∂L/∂H); incorrect because the source's own line 102 gives a gradient its variable's "
                    "shape, which makes it W₂ᵀ(ŷ−y)")


@judges(("hbvn-dW1", "HBVN", "Hadamard product and backprop",
         "dL/dW₁ = (ŷ − y)·W₂·f(W₁X+b₁)(1 − f(W₁X+b₁))·X.",
         "incorrect", "$\\partial L/\\partial W_1 = \\bigl[W_2^\\top(\\hat y - y) \\odot f'(z_1)\\bigr] X^\\top$.",
         "backprop",
         Quote(207, "隐藏层梯度(计算损失对 ( W_1 ) 的偏导数):",
               "\\frac{\\partial L}{\\partial W_1} = (\\hat{y} - y) \\cdot W_2 \\cdot f(W_1 X + b_1) \\cdot (1 - f(W_1 X + b_1)) \\cdot X",
               "∂L/∂W₁ = (ŷ − y) · W₂ · f(W₁X + b₁) · (1 − f(W₁X + b₁)) · X")))
def _dW1_literal():
    p, x, h, z, fpz, e, grads = _two_layer(K=1)
    literal = (e[0] * p["W2"]) @ (h * (1 - h))        # (ŷ−y)·W₂·f(1−f), matrix products: (1,)
    literal = literal * x[:, None]                    # ... · X: (D, 1)
    book = np.outer((p["W2"].T @ e) * h * (1 - h), x)
    return Evidence(literal.shape == grads["W1"].shape, _close(book, grads["W1"]),
                    f"read as matrix products the expression has shape {literal.shape} (it sums over the hidden "
                    f"units), W₁ has {grads['W1'].shape}; the gradient is [W₂ᵀ(ŷ−y) ⊙ f′(z)] xᵀ")


@judges(("hbvn-chain", "HBVN", "Hadamard product and backprop",
         "The gradient for an early layer is the product of the later layers' Jacobians (chain rule), computed output first.",
         "correct", "As stated; in column convention the product is transposed.", "",
         Quote(293, "梯度从输出层传递到输入层的原因",
               "\\frac{\\partial L}{\\partial W_i} = \\frac{\\partial L}{\\partial a_{i+1}} \\cdot \\frac{\\partial a_{i+1}}{\\partial a_i} \\cdot \\frac{\\partial a_i}{\\partial W_i}",
               "∂L/∂W_i = ∂L/∂a_{i+1} · ∂a_{i+1}/∂a_i · ∂a_i/∂W_i")))
def _chain_of_jacobians():
    p, x, h, z, fpz, e, grads = _two_layer(activation="tanh")
    # dL/dz1 = dL/dy · dy/dh · dh/dz1 as a product of Jacobians (row vector times matrices)
    chain = e @ p["W2"] @ np.diag(fpz)
    ok = _close(chain, grads["b1"])
    return Evidence(ok, ok, "the row-vector product of Jacobians ∂L/∂ŷ · ∂ŷ/∂h · ∂h/∂z equals the verified dL/db₁; "
                    "its last factor, ∂z/∂W₁, then gives δxᵀ (hbvn-dW-outer)")


# ------------------------------------------------------------------ activations

@judges(("hbvn-sigmoid-grad", "HBVN", "Activations", "σ′(z) = σ(z)(1 − σ(z)).", "correct", "As stated.", "",
         Quote(195, "隐藏层梯度(计算损失对 ( W_1 ) 的偏导数):",
               "f’(z) = f(z) \\cdot (1 - f(z))",
               "f′(z) = f(z) · (1 − f(z))")),
        ("fblg-sigmoid-grad", "FBLG", "Activations", "For y = σ(z), dy/dz = y(1 − y).", "correct", "As stated.", "",
         Quote(52, "2.2 计算过程",
               "y = \\frac{1}{1 + e^{-z_2}} y=1+ez21 ,那么 ∂ y ∂ z 2 = y ( 1 − y ) \\frac{\\partial y}{\\partial z_2}=y(1-y)",
               "y = 1/(1+e^{−z₂}) (LaTeX, then a flattened copy), then ∂y/∂z₂ = y(1−y) (flattened copy, then LaTeX).")))
def _sigmoid_grad_formula():
    x = sp.Symbol("x", real=True)
    s = 1 / (1 + sp.exp(-x))
    z = np.linspace(-30, 30, 601)
    sig = activations_np.sigmoid(z)
    ok = sp.simplify(sp.diff(s, x) - s * (1 - s)) == 0 and _close(activations_np.sigmoid_grad(z), sig * (1 - sig), 1e-15)
    return Evidence(ok, ok, "SymPy: d/dx (1+e⁻ˣ)⁻¹ − σ(1−σ) simplifies to 0; the book's sigmoid_grad equals σ(1−σ) "
                    "on [−30, 30]")


def _sigmoid_grad_max() -> float:
    """The largest sigma' on a fine grid over [-40, 40]."""
    return float(np.max(activations_np.sigmoid_grad(np.linspace(-40, 40, 400001))))


@judges(("hbvn-sigmoid-range", "HBVN", "Activations",
         "σ′ lies between 0 and 1/4.",
         "correct", "$0 < \\sigma' \\le 1/4$, the maximum at $z = 0$.", "",
         Quote(219, "2. 梯度消失问题的原因:",
               "Sigmoid 的导数 ( f(z) \\cdot (1 - f(z)) ) 的值在 0 和 0.25 之间。",
               "The value of the sigmoid's derivative f(z)·(1 − f(z)) lies between 0 and 0.25.")))
def _sigmoid_grad_range():
    m = _sigmoid_grad_max()
    ok = m <= 0.25 and activations_np.sigmoid_grad(np.array(0.0)) == 0.25
    return Evidence(ok, ok, f"max σ′ on a fine grid = {m:.6f}, σ′(0) = 1/4, σ′(±40) = {activations_np.sigmoid_grad(np.array(40.0)):.1e}")


@judges(("hbvn-saturation", "HBVN", "Activations", "σ′ and tanh′ are tiny far from 0.", "correct", "As stated.", "",
         Quote(255, "总结:",
               "在使用 SigmoidTanh 等激活函数时,它们的导数在远离 0 的区域非常小,导致梯度在反向传播过程中逐层变小。",
               "when activation functions such as Sigmoid and Tanh are used, their derivatives are very small in the region far from 0, so the gradient becomes smaller layer by layer during backpropagation.")),
        ("ug-saturation", "UG", "Activations",
         "Sigmoid and tanh derivatives approach 0 for large |x|.",
         "correct", "As stated.", "",
         Quote(10, "一、根本原因",
               "某些非线性激活函数(如Sigmoid和Tanh)在输入值非常大或非常小时,其导数会趋近于零。",
               "Certain nonlinear activation functions (such as Sigmoid and Tanh) have derivatives that approach zero when the input is very large or very small.")),
        ("fblg-tanh", "FBLG", "Activations", "tanh is similar: its derivative is near 0 at both ends, which may likewise cause vanishing gradients.", "correct", "As stated.", "",
         Quote(102, "3.3 梯度消失",
               "Tanh 函数也存在类似的情况,在两端极限位置导数接近 0,同样可能引发梯度消失问题。",
               "The Tanh function has a similar situation: at the two extreme ends its derivative is close to 0, which may likewise cause vanishing gradients.")))
def _saturation():
    v = {f: float(g(np.array(5.0))) for f, g in (("σ′", activations_np.sigmoid_grad), ("tanh′", activations_np.tanh_grad))}
    ok = v["σ′"] < 0.01 and v["tanh′"] < 0.001
    return Evidence(ok, ok, f"σ′(5) = {v['σ′']:.1e}, tanh′(5) = {v['tanh′']:.1e}")


@judges(("fblg-sigmoid-explode", "FBLG", "Activations",
         "Some activations (e.g. the sigmoid at large or small inputs) have derivatives that tend to 0 or become "
         "very large; many units in such ranges produce abnormally large gradients, which may cause explosion.",
         "incorrect", "$\\sigma' \\le 1/4$ everywhere; it only tends to 0.", "activations",
         Quote(92, "3.2 梯度爆炸",
               "部分激活函数(如 Sigmoid 函数在输入值较大或较小时),其导数趋近于 0 或者非常大,当网络中较多神经元的激活函数处于这样的区间时,会导致梯度计算出现异常大的值,进而可能引发梯度爆炸情况。",
               "For some activation functions (e.g. the Sigmoid when the input is large or small), the derivative tends to 0 or becomes very large; when many neurons' activations are in such ranges, the gradient computation produces abnormally large values, which may in turn cause exploding gradients."),
         Quote(102, "3.3 梯度消失", "像 Sigmoid 函数,其导数在输入值较大或较小时趋近于 0。", "Like the Sigmoid function: its derivative tends to 0 when the input value is large or small.")))
def _sigmoid_grad_large():
    m = _sigmoid_grad_max()
    return Evidence(m > 1, m <= 0.25, f"σ′ never exceeds {m:.2f}; it tends to 0 at both ends, never to large values")


@judges(("ug-activation-large-derivative", "UG", "Activations",
         "If an activation's derivative is too large in some regions, this may cause exploding gradients.",
         "correct", "As stated, for a hypothetical activation: none of sigmoid, tanh, ReLU, leaky ReLU or softplus "
         "has $f' > 1$ (GELU and SiLU reach about 1.1, SELU 1.76: too little to explain explosion); in practice "
         "explosion comes from the weights.", "",
         Quote(10, "一、根本原因",
               "相反,如果激活函数的导数在某些区域过大,则可能导致梯度爆炸。",
               "Conversely, if the activation function's derivative is too large in some regions, this may cause exploding gradients.")))
def _max_activation_derivatives():
    z = np.linspace(-30, 30, 600001)
    ms = {"sigmoid": activations_np.sigmoid_grad(z).max(), "tanh": activations_np.tanh_grad(z).max(),
          "ReLU": activations_np.relu_grad(z).max(), "leaky ReLU": activations_np.leaky_relu_grad(z).max(),
          "softplus": activations_np.softplus_grad(z).max()}
    ok = max(ms.values()) <= 1
    # an activation with f' = 1.5 near 0 (1.5 tanh), 30 layers of orthogonal weights: the product grows
    rng = _rng(11)
    Q = [np.linalg.qr(rng.standard_normal((32, 32)))[0] for _ in range(30)]
    g = np.ones(32) / np.sqrt(32)
    for W in Q:
        g = W.T @ (1.5 * activations_np.tanh_grad(np.zeros(32)) * g)
    grows = bool(np.linalg.norm(g) > 1e3)
    return Evidence(grows, grows and ok, "with f′ = 1.5 (1.5·tanh at 0) and orthogonal weights, 30 layers multiply "
                    f"the gradient by {np.linalg.norm(g):.1e}; the largest derivative of the common activations: "
                    + ", ".join(f"{k} {v:.3g}" for k, v in ms.items()))


@judges(("bptt-tanh-range", "BPTT", "Activations",
         "tanh′ lies in [−1, 1], and is usually less than 1.",
         "imprecise", "$\\tanh' = 1 - \\tanh^2 \\in (0, 1]$: never negative.", "activations",
         Quote(126, "梯度消失",
               "比如,激活函數為 tanh ? \\tanh tanh ,它的導數值在 [-1, 1] 之間,且通常小于 1。",
               "For example, if the activation function is tanh, its derivative lies between [-1, 1], and is usually less than 1.")))
def _tanh_grad_range():
    x = sp.Symbol("x", real=True)
    d = sp.diff(sp.tanh(x), x)
    z = np.linspace(-20, 20, 400001)
    lo, hi = float(activations_np.tanh_grad(z).min()), float(activations_np.tanh_grad(z).max())
    positive = sp.simplify(d - (1 - sp.tanh(x) ** 2)) == 0 and lo >= 0
    return Evidence(lo < 0, positive and hi == 1.0,
                    f"tanh′ = 1 − tanh² (SymPy) on a grid over [−20, 20]: min {lo:.1e}, max {hi:g}: its values "
                    "fill (0, 1], never the negative half of [−1, 1]",
                    "as a bound, which is loose: the values fill only (0, 1]", bool(-1 <= lo and hi <= 1))


@judges(("fblg-relu-grad", "FBLG", "Activations",
         "ReLU's derivative is 1 for z > 0 and 0 for z ≤ 0.",
         "correct", "As stated (0 at z = 0 is a convention).", "",
         Quote(53, "2.2 计算过程",
               "当 z 2 > 0 z_2>0 z2>0 时, ∂ y ∂ z 2 = 1 \\frac{\\partial y}{\\partial z_2}=1 z2y=1 ,当 z 2 ≤ 0 z_{2} \\leq 0 z20 时, ∂ y ∂ z 2 = 0 \\frac{\\partial y}{\\partial z_2}=0",
               "when z₂ > 0, ∂y/∂z₂ = 1; when z₂ ≤ 0, ∂y/∂z₂ = 0 [the copied page repeats each formula in up to three renderings]")))
def _relu_grad():
    z = np.array([-2.0, -1e-300, 0.0, 1e-300, 3.0])
    g = activations_np.relu_grad(z)
    ok = g.tolist() == [0, 0, 0, 1, 1]
    return Evidence(ok, ok, f"relu_grad at {z.tolist()} = {g.tolist()}")


@judges(("bptt-leaky", "BPTT", "Activations",
         "Leaky ReLU also has a nonzero derivative for negative inputs, which avoids complete vanishing.",
         "correct", "As stated: no unit blocks the gradient entirely; it can still vanish through $W_{hh}$.", "",
         Quote(271, "解決梯度消失和梯度爆炸的方法",
               "例如,Leaky ReLU 在負區間也有非零導數,避免了完全的梯度消失問題。",
               "For example, Leaky ReLU also has a nonzero derivative on the negative interval, avoiding the problem of complete gradient vanishing.")))
def _leaky_nonzero():
    g = activations_np.leaky_relu_grad(np.array([-5.0, -0.1]))
    ok = bool(np.all(g == 0.01))
    return Evidence(ok, ok, f"leaky_relu_grad(−5), (−0.1) = {g.tolist()} (α = 0.01)")


# ------------------------------------------------------------------ losses

@judges(("fblg-mse", "FBLG", "Losses", "MSE is (1/n) Σ (ŷᵢ − yᵢ)².", "correct", "As stated.", "",
         Quote(33, "2.2 计算过程",
               "L = \\frac{1}{n} \\sum_{i=1}^{n} (\\hat{y}_i - y_i)^2",
               "L = (1/n) Σ_{i=1}^{n} (ŷ_i − y_i)²")))
def _mse_definition():
    rng = _rng(3)
    yh, y = rng.standard_normal(7), rng.standard_normal(7)
    ok = _close(losses.mse(yh, y)[0], np.mean((yh - y) ** 2))
    return Evidence(ok, ok, "losses.mse equals (1/n) Σ (ŷᵢ − yᵢ)² on random data")


_HATS = sp.symbols("\\hat{y}_1:4", real=True)       # for printing ŷ₁.. and y₁.. in the evidence
_YS = sp.symbols("y_1:4", real=True)


@judges(("fblg-mse-grad", "FBLG", "Losses",
         "The MSE derivative is (2/n) Σ (ŷᵢ − yᵢ).",
         "incorrect", "$\\partial L/\\partial \\hat y_i = \\tfrac{2}{n}(\\hat y_i - y_i)$, one entry per output.",
         "losses",
         Quote(48, "2.2 计算过程",
               "对 y 求偏导, ∂ L ∂ y = 2 n ∑ i = 1 n ( y ^ i − y i ) \\frac{\\partial L}{\\partial y} = \\frac{2}{n} \\sum_{i=1}^{n} (\\hat{y}_i - y_i)",
               "differentiating with respect to y: ∂L/∂y = (2/n) Σ_{i=1}^{n} (ŷ_i − y_i)")))
def _mse_grad_sum():
    n = 3
    yh, y = sp.symbols(f"yh1:{n + 1}", real=True), sp.symbols(f"y1:{n + 1}", real=True)
    L = sum((a - b) ** 2 for a, b in zip(yh, y)) / n
    grad = [sp.diff(L, a) for a in yh]
    stated = sp.Rational(2, n) * sum(a - b for a, b in zip(yh, y))
    rng = _rng(30)
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    code = _close(losses.mse(a, b)[1], 2 / n * (a - b))      # the book's code: one entry per output
    return Evidence(all(sp.expand(g - stated) == 0 for g in grad),
                    code and all(sp.expand(g - sp.Rational(2, n) * (a - b)) == 0 for g, a, b in zip(grad, yh, y)),
                    f"SymPy, n = {n}: ∂L/∂ŷ₁ = ${sp.latex(grad[0].subs(dict(zip(yh + y, _HATS + _YS))))}$, a vector entry, "
                    "not the sum")


@judges(("fblg-ce", "FBLG", "Losses", "Cross-entropy is −Σ yᵢ log ŷᵢ.", "correct", "As stated.", "",
         Quote(35, "2.2 计算过程",
               "L = -\\sum_{i=1}^{n} y_{i} \\log (\\hat{y}_{i})",
               "L = −Σ_{i=1}^{n} y_i log(ŷ_i)")))
def _ce_definition():
    rng = _rng(4)
    z = rng.standard_normal((5, 4))
    labels = rng.integers(0, 4, 5)
    onehot = np.eye(4)[labels]
    stated = np.mean(-np.sum(onehot * np.log(losses.softmax(z)), axis=1))
    ok = _close(losses.softmax_cross_entropy(z, labels)[0], stated)
    return Evidence(ok, ok, "−Σ yᵢ log ŷᵢ with ŷ = softmax(z) equals losses.softmax_cross_entropy (batch mean)")


@judges(("fblg-bce", "FBLG", "Losses",
         "Binary cross-entropy is −[y log ŷ + (1 − y) log(1 − ŷ)].",
         "correct", "As stated.", "",
         Quote(38, "2.2 计算过程",
               "L = -\\left[ y \\log(\\hat{y}) + (1 - y) \\log(1 - \\hat{y}) \\right]",
               "L = −[y log(ŷ) + (1 − y) log(1 − ŷ)]")))
def _bce_definition():
    rng = _rng(5)
    z, t = rng.standard_normal(6), rng.random(6)
    yh = activations_np.sigmoid(z)
    stated = np.mean(-(t * np.log(yh) + (1 - t) * np.log(1 - yh)))
    ok = _close(losses.binary_cross_entropy_with_logits(z, t)[0], stated)
    return Evidence(ok, ok, "−[y log ŷ + (1−y) log(1−ŷ)] with ŷ = σ(z) equals the stable BCE-with-logits")


@judges(("fblg-dz-dW", "FBLG", "Hadamard product and backprop",
         "∂z₂/∂W₂ = a₁, hence dL/dW₂.",
         "imprecise", "$\\partial z_{2,i}/\\partial (W_2)_{ij} = (a_1)_j$, the other entries 0: a 3-index array, "
         "and $\\partial L/\\partial W_2 = (\\partial L/\\partial z_2)\\, a_1^\\top$.", "backprop",
         Quote(56, "2.2 计算过程",
               "可知 ∂ z 2 ∂ W 2 = a 1 \\frac{\\partial \\mathbf{z}_2}{\\partial {W}_2}=a_1 W2z2=a1 。所以可求出",
               "it follows that ∂z₂/∂W₂ = a₁. Therefore one can obtain")))
def _dz_dW_shape():
    p, x, h, z, fpz, e, grads = _two_layer(K=2)      # the source's setting: p outputs, W₂ of shape (p, m)
    W = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"w{i}{j}"))
    a = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"a{i}"))
    dz_dW = sp.derive_by_array(list(W * a), list(W))     # ∂z_i/∂w_jk: 2 × 6 entries
    holds = sp.Array(dz_dW).shape == a.shape and sp.Array(dz_dW) == sp.Array(a)
    # entrywise: ∂z_i/∂W_ij = a_j and ∂z_i/∂W_kj = 0 for k ≠ i (derive_by_array: [W entry][z entry])
    entrywise = all(dz_dW[3 * k + j, i] == (a[j] if k == i else 0) for i in range(2) for k in range(2) for j in range(3))
    return Evidence(holds, _close(np.outer(e, h), grads["W2"]),
                    f"SymPy: ∂z₂/∂W₂ for W₂ of shape (2, 3) has {int(np.prod(sp.Array(dz_dW).shape))} entries "
                    f"(p·p·m), not the {len(a)} of a₁; read entrywise, ∂z₂ᵢ/∂(W₂)ᵢⱼ = (a₁)ⱼ and the rest 0; "
                    f"dL/dW₂ = (∂L/∂z₂) a₁ᵀ, shape {grads['W2'].shape}, equals the verified gradient",
                    "read entrywise: ∂z₂ᵢ/∂(W₂)ᵢⱼ = (a₁)ⱼ, the other entries 0", bool(entrywise))


@judges(("fblg-db", "FBLG", "Hadamard product and backprop",
         "∂z₂/∂b₂ = 1, so dL/db₂ = dL/dz₂.",
         "correct", "As stated for one sample (a sum over the batch).", "",
         Quote(58, "2.2 计算过程",
               "\\frac{\\partial L}{\\partial b_2} = \\frac{\\partial L}{\\partial z_2} \\cdot \\frac{\\partial z_2}{\\partial b_2} b2L=z2Lb2z2 ∂ z 2 ∂ b 2 = 1 \\frac{\\partial z_2}{\\partial{b}_2}=1",
               "∂L/∂b₂ = ∂L/∂z₂ · ∂z₂/∂b₂ ... ∂z₂/∂b₂ = 1 (the sentence continues: so ∂L/∂b₂ can be obtained).")))
def _db_identity():
    p, x, h, z, fpz, e, grads = _two_layer(K=2)
    ok = _close(e, grads["b2"])
    return Evidence(ok, ok, "dL/db₂ = ∂L/∂z₂ (one sample): equal to the verified gradient")


# ------------------------------------------------------------------ gradient descent

@judges(("fblg-gd", "FBLG", "Gradient descent", "Gradient descent updates θ ← θ − α∇L(θ).", "correct", "As stated.", "",
         Quote(72, "3.1 梯度下降",
               "\\theta_{\\text{new}} = \\theta_{\\text{old}} - \\alpha \\nabla L(\\theta_{\\text{old}})",
               "θ_new = θ_old − α ∇L(θ_old)")))
def _gd_update():
    rng = _rng(6)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    p = {"W": rng.standard_normal((1, 3)), "b": np.zeros(1)}
    L0, g = gradient_descent_np.least_squares_loss_and_grads(p, X, Y)
    new = gradient_descent_np.gd_step(p, g, 0.01)
    L1 = gradient_descent_np.least_squares_loss_and_grads(new, X, Y)[0]
    ok = L1 < L0 and _close(new["W"], p["W"] - 0.01 * g["W"])
    return Evidence(ok, ok, f"one step θ − α∇L with α = 0.01: loss {L0:.4f} → {L1:.4f}")


@judges(("fblg-steepest", "FBLG", "Gradient descent",
         "The gradient is the direction of steepest ascent.",
         "correct", "As stated.", "",
         Quote(70, "3.1 梯度下降",
               "函数在某一点的梯度 ∇ L ( θ ) \\nabla L(\\theta) L(θ) 表示函数在该点上升最快的方向。",
               "the gradient ∇L(θ) of the function at a point indicates the direction in which the function increases fastest at that point.")))
def _steepest_ascent():
    rng = _rng(7)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)}
    loss = lambda p: gradient_descent_np.least_squares_loss_and_grads(p, X, Y)[0]   # noqa: E731
    g = gradient_descent_np.least_squares_loss_and_grads(params, X, Y)[1]
    g_norm = np.sqrt(sum(np.sum(v ** 2) for v in g.values()))

    def slope(d):                              # the loss's slope along the unit direction d, central differences
        step = 1e-6
        return (loss({k: params[k] + step * d[k] for k in params}) - loss({k: params[k] - step * d[k] for k in params})) / (2 * step)
    dirs = [{k: v for k, v in zip(params, (rng.standard_normal((2, 3)), rng.standard_normal(2)))} for _ in range(500)]
    dirs = [{k: v / np.sqrt(sum(np.sum(u ** 2) for u in d.values())) for k, v in d.items()} for d in dirs]
    best = max(slope(d) for d in dirs)
    along = slope({k: v / g_norm for k, v in g.items()})
    ok = best <= along and abs(along - g_norm) <= 1e-6 * g_norm
    return Evidence(ok, ok, f"slope of the loss along ∇L/‖∇L‖ (central differences) {along:.4f} = ‖∇L‖ = {g_norm:.4f}; "
                    f"largest over 500 random unit directions {best:.4f}")


@judges(("fblg-lr", "FBLG", "Gradient descent",
         "Too large a learning rate may keep the algorithm from converging, or even make it diverge; too small a one converges slowly.",
         "correct", "On a quadratic, divergence exactly when $\\alpha > 2/\\lambda_{\\max}$.", "",
         Quote(74, "3.1 梯度下降",
               "如果学习率过大,可能会导致算法无法收敛,甚至发散;如果学习率过小,算法收敛速度会非常慢。",
               "If the learning rate is too large, the algorithm may fail to converge or even diverge; if it is too small, the algorithm converges very slowly.")))
def _lr_too_large():
    rng = _rng(8)
    A = gradient_descent_sym.random_spd(4, rng)
    lam = float(np.max(np.linalg.eigvalsh(A)))
    w0 = rng.standard_normal(4)
    below = np.linalg.norm(gradient_descent_sym.run_quadratic(A, w0, 1.9 / lam, 200)[-1])
    above = np.linalg.norm(gradient_descent_sym.run_quadratic(A, w0, 2.1 / lam, 200)[-1])
    tiny = np.linalg.norm(gradient_descent_sym.run_quadratic(A, w0, 0.01 / lam, 200)[-1])
    ok = below < 1e-3 and above > 1e3 and tiny > 0.5 * np.linalg.norm(w0)
    return Evidence(ok, ok, f"quadratic, 200 steps from ‖w₀‖ = {np.linalg.norm(w0):.2f}: α = 0.01/λ_max → ‖w‖ = "
                    f"{tiny:.2f} (slow); α = 1.9/λ_max → {below:.1e}; α = 2.1/λ_max → {above:.1e} (diverges)")


@judges(("fblg-sgd", "FBLG", "Gradient descent",
         "SGD's single-sample gradients are noisy, and it may oscillate near the minimum.",
         "correct", "As stated.", "",
         Quote(82, "3.1 梯度下降",
               "由于每次使用一个样本,梯度的估计会有很大的噪声,导致更新过程比较不稳定,可能会在最小值附近出现震荡,收敛速度可能会比较慢。",
               "Because each step uses a single sample, the gradient estimate is very noisy, making the updates rather unstable; it may oscillate near the minimum, and convergence may be rather slow.")))
def _sgd_noise():
    rng = _rng(9)
    X = rng.standard_normal((50, 3))
    Y = X @ rng.standard_normal((3, 1)) + 0.3 * rng.standard_normal((50, 1))
    W = np.linalg.lstsq(np.c_[X, np.ones(50)], Y, rcond=None)[0]
    p = {"W": W[:3].T, "b": W[3]}
    _, full = gradient_descent_np.least_squares_loss_and_grads(p, X, Y)
    per = [np.linalg.norm(gradient_descent_np.least_squares_loss_and_grads(p, X[i:i + 1], Y[i:i + 1])[1]["W"]) for i in range(50)]
    ok = np.linalg.norm(full["W"]) < 1e-12 and np.mean(per) > 1e-2
    return Evidence(ok, ok, f"at the least-squares minimum ‖∇L‖ = {np.linalg.norm(full['W']):.0e}, "
                    f"mean single-sample ‖∇L_i‖ = {np.mean(per):.2f}: constant-step SGD keeps moving")


@judges(("ug-update-rule", "UG", "Gradient descent",
         "The update is W_new = W_old − α W_old.",
         "incorrect", "$W \\leftarrow W - \\alpha\\, \\partial L/\\partial W$.", "gradient-descent",
         Quote(48, "、具体表现",
               "W_{new}=W_{old}-\\alpha W_{old}",
               "W_new = W_old − α·W_old [presented on line 46 as the gradient-descent update of the previous layer's weight matrix W]"),
         Quote(30, "2. 反向传播步骤", "new_parameter = old_parameter - learning_rate * gradient", "new_parameter = old_parameter − learning_rate × gradient")))
def _update_formula_wrong():
    w, c = sp.symbols("w c", real=True)
    a = gradient_descent_sym.eta
    L = (w - c) ** 2
    stated = w - a * w                         # W_new = W_old − α W_old
    right = gradient_descent_sym.gd_update(w, sp.diff(L, w))
    return Evidence(sp.diff(stated, c) != 0, sp.diff(right, c) != 0,
                    f"W − αW does not depend on the loss at all (∂/∂c of it = {sp.diff(stated, c)}); "
                    "it is weight decay. The step is W − α ∂L/∂W")


@judges(("ug-learning-rate", "UG", "Gradient descent",
         "Setting the learning rate, momentum and other optimizer parameters sensibly avoids vanishing or exploding gradients caused by weight updates that are too fast or too slow.",
         "imprecise", "The learning rate scales the update; it does not change how the gradient propagates "
         "backwards.", None,
         Quote(60, "、影响与解决方案",
               "调整优化算法参数:合理设置优化算法的学习率、动量等参数,以避免权重更新过快或过慢而导致的梯度消失或梯度爆炸问题。",
               "Adjust optimizer parameters: set the optimizer's learning rate, momentum and other parameters sensibly, so as to avoid vanishing or exploding gradients caused by weight updates that are too fast or too slow."),
         None, "The learning rate does not enter the backward pass: at given weights, the gradient's decay through the layers is whatever it is (a 20-layer sigmoid stack, computed). Over training, a rate that is too large can grow the weights, and so the gradients; a rate that is too small does not cause vanishing: vanishing causes small updates, not the reverse. So tuning the rate can avoid one kind of explosion and not vanishing."))
def _lr_and_vanishing():
    rng = _rng(10)
    norms = vanishing_exploding_sym.simulate("sigmoid", "xavier", rng, depth=20, width=32)
    ratio = norms[0] / norms[-1]
    return Evidence(None, ratio < 1e-3,
                    f"a 20-layer sigmoid stack: ‖dL/dh₀‖/‖dL/dh₂₀‖ = {ratio:.1e} at its initial weights, whatever the "
                    "learning rate (the backward pass does not take one)")


@judges(("qa-adam", "QA", "Gradient descent",
         "To solve vanishing and exploding gradients, one can use other activations such as ReLU, or other optimizers such as Adam.",
         "imprecise", "ReLU helps against vanishing, not explosion; Adam rescales each parameter's step, and the "
         "backpropagated gradient is the same.",
         None,
         Quote(4, "简单说一下什么是梯度爆炸和梯度消失",
               "为了解决这些问题,可以使用其他的激活函数,如 ReLU,或使用其他的优化算法,如 Adam。",
               "To solve these problems, one can use other activation functions such as ReLU, or other optimization algorithms such as Adam."),
         None, "ReLU removes the saturation that makes sigmoid stacks vanish (the claims hbvn-relu and ug-relu compute it), but does nothing for explosion: with too-large weights a 30-layer ReLU stack grows by about 10¹³. Adam makes the step nearly independent of the gradient's size (≈ η for gradients of 1 and 10⁻⁴, bounded for huge ones), which addresses the too-large and too-small updates the source's line 4 defines the problems by; it fails below ε, and it leaves the backpropagated gradient unchanged. Helpful, not a solution."))
def _adam_rescales():
    lr, eps = 1e-3, 1e-8
    steps = {g: lr * g / (abs(g) + eps) for g in (1.0, 1e-4, 1e-12)}   # Adam's first bias-corrected step
    return Evidence(None, abs(steps[1e-4] - lr) < 1e-6 and steps[1e-12] < 1e-6,
                    "Adam's first step lr·m̂/(√v̂+ε) for g = 1, 1e-4, 1e-12: "
                    + ", ".join(f"{v:.1e}" for v in steps.values())
                    + " — it rescales the update; the backpropagated gradient itself is unchanged, and below ε it vanishes too")


# ------------------------------------------------------------------ depth, init, residual, normalization

@judges(("fblg-product", "FBLG", "Vanishing and exploding gradients",
         "If every layer's local gradient is slightly above 1, the gradient grows exponentially over many layers, causing explosion.",
         "correct", "As stated.", "",
         Quote(90, "3.2 梯度爆炸",
               "如果每一层的局部梯度都稍大于 1,那么经过多层传递后,梯度就会呈指数级增长,最终导致梯度爆炸。",
               "If every layer's local gradient is slightly greater than 1, then after passing through many layers the gradient grows exponentially, eventually causing exploding gradients.")))
def _product_slightly_above_one():
    # 50 ReLU layers on positive inputs, W = c I: each layer's local factor is exactly c
    x = np.ones((1, 4))
    r = {c: (lambda n: n[0] / n[-1])(vanishing_exploding_np.layer_gradient_norms(x, [c * np.eye(4)] * 50, "relu"))
         for c in (1.1, 0.9)}
    return Evidence(r[1.1] > 100 and r[0.9] < 0.01, r[1.1] > 100 and r[0.9] < 0.01,
                    f"50 layers with local factor 1.1: ‖dL/dh₀‖/‖dL/dh₅₀‖ = {r[1.1]:.0f}; with 0.9: {r[0.9]:.1e}")


@judges(("hbvn-depth", "HBVN", "Vanishing and exploding gradients",
         "With sigmoid in every layer and its derivative near 0, the gradient shrinks layer after layer.",
         "correct", "As stated.", "",
         Quote(234, "多层神经网络中的梯度消失",
               "如果每一层都使用了 Sigmoid 激活函数,并且其导数在 0 附近,那么随着层数增加,梯度会在每一层中进一步缩小,导致前几层的梯度几乎为 0。",
               "If every layer uses a sigmoid activation and its derivative is near 0, then as the number of layers grows the gradient is reduced further at every layer, so the gradients of the first few layers are almost 0.")))
def _depth_vanishing_sigmoid():
    norms = vanishing_exploding_sym.simulate("sigmoid", "xavier", _rng(11), depth=30, width=64)
    r = norms[0] / norms[-1]
    return Evidence(r < 1e-4, r < 1e-4, f"30 sigmoid layers (Xavier): ‖dL/dh₀‖/‖dL/dh₃₀‖ = {r:.1e}")


@judges(("ug-init", "UG", "Initialization",
         "Weights initialized too large or too small may make gradients unstable.",
         "correct", "As stated.", "",
         Quote(12, "一、根本原因",
               "如果权重初始化过大或过小,都可能导致梯度在反向传播过程中不稳定。",
               "If the weights are initialized too large or too small, either may cause the gradients to be unstable during backpropagation.")),
        ("fblg-init", "FBLG", "Initialization",
         "Weights initialized too large easily give large gradients at the first backward pass, which may keep accumulating over training and cause explosion.",
         "correct", "As stated: too-large initial weights give large gradients at the first backward pass "
         "(computed); the sentence's 'may keep accumulating' over training is a hedge, not computed here.", "",
         Quote(91, "3.2 梯度爆炸",
               "如果神经网络的权重初始化不当,比如将权重初始化为较大的值,那么在一开始进行反向传播计算梯度时,就很容易产生较大的梯度,后续随着训练迭代,这种较大梯度可能不断累积,引发梯度爆炸。",
               "If the network's weights are initialized improperly, e.g. to large values, then large gradients easily arise when gradients are first computed by backpropagation; later, as training iterates, these large gradients may keep accumulating and cause exploding gradients.")))
def _init_scale():
    r = {s: _ratio("tanh", s, 12)
         for s in ("too small", "xavier", "too large")}
    ok = r["too small"] < 1e-6 and r["too large"] > 1e2 and 0.1 < r["xavier"] < 10
    return Evidence(ok, ok, "tanh, 30 layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: " + ", ".join(f"{k} {v:.1e}" for k, v in r.items()))


@judges(("ug-he-glorot", "UG", "Initialization",
         "He or Glorot initialization reduces gradient instability.",
         "correct", "With the matching activation (He for ReLU, Glorot for tanh).", "",
         Quote(57, "、影响与解决方案",
               "合理的权重初始化:采用合适的权重初始化方法(如He初始化或Glorot初始化)来设置网络权重的初始值,以减小梯度不稳定的风险。",
               "Sensible weight initialization: use a suitable initialization method (such as He or Glorot initialization) to set the initial weights, so as to reduce the risk of gradient instability.")))
def _he_glorot():
    r = {"tanh + Xavier": vanishing_exploding_sym.simulate("tanh", "xavier", _rng(13), depth=30, width=128),
         "ReLU + He": vanishing_exploding_sym.simulate("relu", "he", _rng(13), depth=30, width=128)}
    ratios = {k: v[0] / v[-1] for k, v in r.items()}
    ok = all(0.1 < v < 10 for v in ratios.values())
    return Evidence(ok, ok, "30 layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))


@judges(("hbvn-relu", "HBVN", "Vanishing and exploding gradients",
         "ReLU's derivative is 1 for positive inputs, so it vanishes less than sigmoid in deep networks.",
         "correct", "As stated (with He initialization).", "",
         Quote(245, "4. 解决梯度消失的常用方法",
               "ReLU 在正值区域的导数为 1,不会像 Sigmoid 那样导致梯度逐渐减小,因此 ReLU 减少了梯度消失的风险。",
               "ReLU's derivative in the positive region is 1; it does not make the gradient shrink gradually as the sigmoid does, so ReLU reduces the risk of vanishing gradients.")),
        ("ug-relu", "UG", "Vanishing and exploding gradients",
         "ReLU-family activations have a constant derivative for positive inputs and ease vanishing.",
         "correct", "As stated.", "",
         Quote(56, "、影响与解决方案",
               "使用ReLU及其变体(如Leaky ReLU、Parametric ReLU等)作为激活函数,这些激活函数在输入为正时具有恒定的导数,有助于缓解梯度消失问题。",
               "Use ReLU and its variants (such as Leaky ReLU, Parametric ReLU) as activation functions; these have a constant derivative for positive inputs, which helps alleviate the vanishing-gradient problem.")))
def _relu_vs_sigmoid():
    r = {a: _ratio(a, "he" if a == "relu" else "xavier", 14, width=128)
         for a in ("sigmoid", "relu")}
    ok = r["relu"] > 0.1 and r["sigmoid"] < 1e-4
    return Evidence(ok, ok, "30 layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: " + ", ".join(f"{k} {v:.1e}" for k, v in r.items()))


@judges(("hbvn-resnet", "HBVN", "Residual connections",
         "Skip connections let the gradient reach earlier layers directly.",
         "correct", "The block Jacobian is $I + \\partial F/\\partial h$.", "",
         Quote(251, "4. 解决梯度消失的常用方法",
               "ResNet 通过引入跳跃连接(Skip Connections)允许梯度直接传递到前面的层,避免了梯度在层层传递过程中逐渐消失。",
               "By introducing skip connections, ResNet lets the gradient pass directly to earlier layers, avoiding the gradual vanishing of the gradient as it is passed layer by layer.")),
        ("ug-residual", "UG", "Residual connections",
         "Residual connections ease vanishing gradients.",
         "correct", "As stated.", "",
         Quote(59, "、影响与解决方案",
               "残差连接允许梯度在反向传播时直接跳过某些层,从而缓解梯度消失的现象。",
               "Residual connections let the gradient skip certain layers directly during backpropagation, thereby alleviating vanishing gradients.")))
def _residual_path():
    plain = residual_sym.simulate("tanh", "too small", False, _rng(15), depth=30, width=64)
    res = residual_sym.simulate("tanh", "too small", True, _rng(15), depth=30, width=64)
    ok = plain[0] / plain[-1] < 1e-6 and res[0] / res[-1] > 0.5
    return Evidence(ok, ok, f"30 tanh layers with too-small weights, ‖dL/dh₀‖/‖dL/dh₃₀‖: plain {plain[0] / plain[-1]:.1e}, "
                    f"residual {res[0] / res[-1]:.2f} (Jacobian I + ∂F)")


@judges(("hbvn-bn", "HBVN", "Normalization",
         "Batch normalization can standardize each layer's activations so they stay in a suitable range, "
         "keeping gradients from becoming too small.",
         "correct", "As stated: with batch normalization before each sigmoid, the gradient reaching the "
         "first layer of a deep stack keeps its size; without it, it vanishes.", "",
         Quote(248, "4. 解决梯度消失的常用方法",
               "BatchNorm 可以对每一层的激活值进行标准化,使其保持在较为合适的范围内,避免梯度变得过小。",
               "BatchNorm can standardize each layer's activations so that they stay within a fairly suitable range, avoiding gradients becoming too small.")))
def _bn_keeps_sigmoid_gradient():
    r = _sigmoid_stack_ratios()
    # "not too small": the gradient at the input within a factor 10 of the output's, over 30 layers
    return Evidence(r["batch norm"] > 0.1, r["batch norm"] > 0.1 and r["plain"] < 1e-6,
                    "30 sigmoid layers (Xavier), ‖dL/dh₀‖/‖dL/dh₃₀‖: " + ", ".join(f"{k} {v:.1e}" for k, v in r.items())
                    + "; batch normalization's backward pass divides by the batch's standard deviation, "
                    "which makes up for the factors σ′ < 1/4")


def _sigmoid_stack_ratios(scheme="xavier", activation="sigmoid", depth=30) -> dict:
    """‖dL/dh₀‖/‖dL/dh_L‖ of a deep stack, without and with batch normalization before each activation."""
    rng = _rng(16)
    weights = vanishing_exploding_np.init_stack(depth, 64, scheme, rng)
    x = rng.standard_normal((128, 64))
    out = {}
    for name, bn in (("plain", False), ("batch norm", True)):
        n = vanishing_exploding_np.layer_gradient_norms(x, weights, activation, rng=_rng(160), batchnorm=bn)
        out[name] = n[0] / n[-1]
    return out


@judges(("hbvn-standardize-vanish", "HBVN", "Normalization",
         "Standardizing the inputs (of every layer: the section, lines 368 and 501, is about layer and batch "
         "normalization of each layer's output) "
         "keeps sigmoid and tanh away from extreme values, so their derivatives are not close to 0 and "
         "the gradient keeps propagating.",
         "correct", "As stated, for standardization before every activation (batch normalization).", "",
         Quote(502, "3. 总结:标准化如何解决数值不稳定、梯度消失与梯度爆炸问题",
               "梯度消失:通过标准化输入,激活函数(如 Sigmoid、Tanh)不会在极端值下工作,确保其导数不会接近 0,从而保持有效的梯度传播。",
               "Vanishing gradients: by standardizing the inputs, activation functions (such as Sigmoid, Tanh) do not operate at extreme values, which ensures their derivatives are not close to 0 and thereby maintains effective gradient propagation.")))
def _standardized_layers_keep_gradient():
    r = {act: _sigmoid_stack_ratios("too large", act) for act in ("sigmoid", "tanh")}
    kept = all(v["batch norm"] > 0.1 for v in r.values())
    return Evidence(kept, kept and r["sigmoid"]["plain"] < 1e-6,
                    "30 layers with too-large weights (variance 16/n), ‖dL/dh₀‖/‖dL/dh₃₀‖ without / with "
                    "batch normalization: " + "; ".join(f"{a} {v['plain']:.1e} / {v['batch norm']:.1e}" for a, v in r.items())
                    + " (tanh with such weights explodes rather than vanishes; with normalization neither vanishes)")



@judges(("qa-input-norm", "QA", "Normalization",
         "To avoid vanishing or exploding gradients, the input data need to be normalized so that every "
         "feature lies in a reasonable range.",
         "imprecise", "Needed only without per-layer normalization: in a shallow network like the source's example "
         "it restores the first layer's gradient, but batch normalization makes the input's scale irrelevant.",
         "vanishing-exploding",
         Quote(13, "为什么输入数据不稳定会导致梯度消失或者梯度爆炸问题?举例子用具体的数值详细说明",
               "因此,为了避免梯度消失或者梯度爆炸问题,我们需要对输入数据进行归一化处理,使得每个特征值的范围都在一个合理的范围内。",
               "Therefore, to avoid vanishing or exploding gradients, we need to normalize the input data so that every feature value lies within a reasonable range.")))
def _input_norm_shallow_and_deep():
    # the source's example: one hidden layer of 10 units and one output; one feature 1000 times too large
    rng = _rng(19)
    p = backprop.two_layer_init(4, 10, 1, rng)
    X, Y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))
    scaled = X * np.array([1e3, 1, 1, 1])
    standardized = np.column_stack([normalization.zscore(col) for col in scaled.T])
    base, raw, std = (np.linalg.norm(backprop.two_layer_loss_and_grads(p, v, Y, "tanh")[1]["W1"])
                      for v in (X, scaled, standardized))
    restored = raw < 0.2 * base and std > 0.5 * base
    # "need": a deep sigmoid stack with batch normalization before each activation, on raw inputs
    # with one feature 1000 times the others: nothing vanishes, though the input was not normalized
    weights = vanishing_exploding_np.init_stack(30, 64, "xavier", rng)
    x = rng.standard_normal((128, 64)) * np.r_[1e3, np.ones(63)]
    n = vanishing_exploding_np.layer_gradient_norms(x, weights, "sigmoid", rng=rng, batchnorm=True)
    needless = n[0] / n[-1] > 0.1
    return Evidence(not needless, needless and restored,
                    "read as general advice (the sentence concludes from the example): the source's network "
                    f"(10 hidden units; tanh assumed): ‖dL/dW₁‖ = {base:.2f}; with one feature ×1000, {raw:.2f}; after standardizing "
                    f"the features, {std:.2f}. 30 sigmoid layers with batch normalization on the raw input: "
                    f"‖dL/dh₀‖/‖dL/dh₃₀‖ = {n[0] / n[-1]:.2f}, no input normalization needed",
                    "without per-layer normalization, as in the source's one-hidden-layer example", bool(restored))


@judges(("hbvn-standardize-explode", "HBVN", "Normalization",
         "Standardization (of every layer, as in line 502) keeps input values from becoming too large, and so "
         "avoids exponential growth of the gradient in backpropagation.",
         "imprecise", "Standardizing every layer removes the growth that comes from the weights' scale, "
         "but a deep ReLU stack with batch normalization still grows geometrically with depth.", None,
         Quote(503, "3. 总结:标准化如何解决数值不稳定、梯度消失与梯度爆炸问题",
               "梯度爆炸:标准化防止输入值过大,从而避免反向传播时梯度指数级增长的问题,保持模型训练过程的稳定性。",
               "Exploding gradients: standardization prevents input values from becoming too large, thereby avoiding exponential growth of the gradient during backpropagation and keeping training stable.")))
def _standardized_layers_and_growth():
    bn = {s: _sigmoid_stack_ratios(s, "relu")["batch norm"] for s in ("xavier", "he", "too large")}
    plain = {s: _sigmoid_stack_ratios(s, "relu")["plain"] for s in ("xavier", "too large")}
    half = _sigmoid_stack_ratios("he", "relu", depth=15)["batch norm"]
    spread = max(bn.values()) / min(bn.values())
    return Evidence(bn["he"] < 10, bn["he"] > 10 and bn["he"] > 3 * half and plain["too large"] > 1e6,
                    "30 ReLU layers, ‖dL/dh₀‖/‖dL/dh₃₀‖ with batch normalization: "
                    + ", ".join(f"{k} {v:.0f}" for k, v in bn.items())
                    + f" (15 layers: {half:.0f}); without: Xavier {plain['xavier']:.0e}, too large {plain['too large']:.0e}",
                    "for the growth that comes from the size of the weights (the inputs to each layer growing): with "
                    "batch normalization the ratio is the same for every weight scale", spread < 1.5)


@judges(("qa-input-scale", "QA", "Normalization",
         "A very large input feature makes gradients explode, a very small one makes them vanish.",
         "imprecise", "It depends on the hidden activation, which the source does not name: with tanh a very large "
         "feature saturates the units and the first layer's gradient shrinks; with ReLU it grows with the feature. A "
         "very small feature shrinks only its own weights' gradient, roughly by its factor.", "vanishing-exploding",
         Quote(13, "为什么输入数据不稳定会导致梯度消失或者梯度爆炸问题?举例子用具体的数值详细说明",
               "如果输入数据中的某个特征值非常大,那么在计算隐藏层的激活值时,这个特征值会对每个神经元的激活值产生很大的影响,从而导致梯度爆炸问题。反之,如果输入数据中的某个特征值非常小,那么在计算隐藏层的激活值时,这个特征值会对每个神经元的激活值产生很小的影响,从而导致梯度消失问题。",
               "If some feature value in the input data is very large, then when the hidden-layer activations are computed this feature has a very large effect on every neuron's activation, thereby causing exploding gradients. Conversely, if some feature value in the input data is very small, then when the hidden-layer activations are computed this feature has a very small effect on every neuron's activation, thereby causing vanishing gradients.")))
def _input_scale_example():
    # the source's setting: one hidden layer of 10 units, one output; feature 0 scaled by s
    rng = _rng(19)
    p = backprop.two_layer_init(4, 10, 1, rng)
    X, Y = rng.standard_normal((8, 4)), rng.standard_normal((8, 1))
    column, layer, sat = {}, {}, {}
    for act in ("tanh", "relu"):
        for s in (1e-3, 1.0, 1e3):
            Xs = X.copy()
            Xs[:, 0] *= s
            g = backprop.two_layer_loss_and_grads(p, Xs, Y, act)[1]["W1"]
            column[act, s], layer[act, s] = np.linalg.norm(g[:, 0]), np.linalg.norm(g)
        sat[act] = float(np.mean(activations_np.tanh_grad(X * [1e3, 1, 1, 1] @ p["W1"].T + p["b1"]) < 1e-6))

    def as_stated(act):   # large feature: the first layer's gradient explodes; small: its column vanishes
        return layer[act, 1e3] > 10 * layer[act, 1.0] and column[act, 1e-3] < 0.1 * column[act, 1.0]
    small = column["tanh", 1e-3] / column["tanh", 1.0]
    return Evidence(as_stated("tanh"),
                    layer["tanh", 1e3] < layer["tanh", 1.0] and sat["tanh"] > 0.5 and 1e-4 < small < 1e-2,
                    "the source's network (10 hidden units, one output), feature 0 scaled by 1e-3, 1, 1e3: ‖dL/dW₁‖ "
                    + "; ".join(f"{a} " + ", ".join(f"{layer[a, s]:.1e}" for s in (1e-3, 1.0, 1e3)) for a in ("tanh", "relu"))
                    + f"; the feature's own column with tanh {column['tanh', 1e-3]:.1e} at 1e-3 against "
                    f"{column['tanh', 1.0]:.1e} ({sat['tanh']:.0%} of the tanh units' values saturated at 1e3)",
                    "with non-saturating hidden units (ReLU), which the source's example does not rule out, and "
                    "'vanishing' read as the small feature's own weight column",
                    as_stated("relu"))


@judges(("hbvn-input-size-updates", "HBVN", "Normalization",
         "Large activations entering a layer may make its weight updates too large.",
         "correct", "$\\partial L/\\partial W = \\delta x^\\top$ is proportional to the layer's input.", "",
         Quote(347, "1.1 数值不稳定",
               "较大的激活值:可能会导致权重更新幅度过大,网络难以收敛。",
               "Larger activation values: may cause weight updates that are too large, making it hard for the network to converge.")))
def _weight_grad_scales_with_input():
    rng = _rng(20)
    W, b = rng.standard_normal((3, 4)), np.zeros(3)
    x = rng.standard_normal((5, 4))
    dout = rng.standard_normal((5, 3))
    _, c1 = backprop.affine_forward(x, W, b)
    _, c2 = backprop.affine_forward(10 * x, W, b)
    g1, g2 = backprop.affine_backward(dout, c1).dW, backprop.affine_backward(dout, c2).dW
    ok = _close(g2, 10 * g1)
    return Evidence(ok, ok, "affine layer, same upstream gradient: inputs ×10 → dL/dW ×10 exactly (dW = δᵀx, rows are samples)")


@judges(("hbvn-zscore-mean", "HBVN", "Normalization",
         "After subtracting the mean, the mean is 0.",
         "correct", "As stated.", "",
         Quote(438, "使分布围绕 0 对称",
               "\\text{新的均值} = \\frac{1}{n} \\sum_{i=1}^{n} (x_i - \\mu) = 0",
               "new mean = (1/n) Σ_{i=1}^{n} (x_i − μ) = 0")))
def _zscore_mean_zero():
    ex = normalization_sym.worked_example()
    ok = sp.simplify(sum(ex["z"])) == 0
    return Evidence(ok, ok, "SymPy: the z-scores of (100, 50, 10, 5, 1) sum to exactly 0")


@judges(("hbvn-zscore-example", "HBVN", "Normalization",
         "For (100, 50, 10, 5, 1): variance 1600.16, σ ≈ 40, z ≈ (1.67, 0.42, −0.58, −0.71, −0.81).",
         "incorrect", "Variance 1422.96, σ ≈ 37.72, z ≈ (1.77, 0.45, −0.62, −0.75, −0.85); the source's σ "
         "and z follow correctly from its wrong variance.", "normalization",
         Quote(476, "原始数据",
               "\\sigma^2 = \\frac{1}{5} \\left((100 - 33.2)^2 + (50 - 33.2)^2 + \\dots + (1 - 33.2)^2\\right) = 1600.16",
               "σ² = (1/5)((100 − 33.2)² + (50 − 33.2)² + … + (1 − 33.2)²) = 1600.16")))
def _zscore_example_variance():
    ex = normalization_sym.worked_example()
    stated_var, stated_z = sp.Rational(160016, 100), [1.67, 0.42, -0.58, -0.71, -0.81]
    z = [float(v) for v in ex["z"]]
    return Evidence(ex["var"] == stated_var, abs(float(ex["var"]) - 1422.96) < 1e-9,
                    f"variance = {ex['var']} = {float(ex['var']):.2f} (not 1600.16), σ = {float(ex['std']):.2f} (not 40); "
                    "z = [" + ", ".join(f"{v:.2f}" for v in z) + "] (not " + str(stated_z) + ")")


@judges(("hbvn-zscore-symmetric", "HBVN", "Normalization",
         "Standardizing makes the data symmetric around 0.",
         "incorrect", "It centres and rescales; the skewness is unchanged.", "normalization",
         Quote(440, "使分布围绕 0 对称",
               "这意味着所有数据点的分布都围绕着 0 对称,避免了一部分数据点偏离中心过远。",
               "This means the distribution of all data points is symmetric around 0, which prevents some data points from lying too far from the center.")))
def _zscore_symmetric():
    ex = normalization_sym.worked_example()
    s = float(normalization_sym.skewness(ex["x"]))
    z = normalization.zscore(np.array(normalization_sym.EXAMPLE, float))
    sz = float(np.mean(z ** 3))                     # the skewness of standardized data: its third moment
    return Evidence(abs(sz) < 1e-12, abs(s - sz) < 1e-12 and abs(float(normalization_sym.skewness(ex["z"])) - sz) < 1e-12,
                    f"skewness before {s:.3f}, after {sz:.3f}: standardizing shifts and scales, it cannot make a skewed sample symmetric")


@judges(("hbvn-zscore-compress", "HBVN", "Normalization",
         "Standardizing compresses large values and expands small ones.",
         "incorrect", "It is an affine map: every gap is divided by the same σ, ratios of gaps are unchanged.",
         "normalization",
         Quote(417, "除以标准差:压缩大值,扩展小值",
               "通过除以标准差,大值被压缩,而小值被扩展:",
               "By dividing by the standard deviation, large values are compressed while small values are expanded:")))
def _zscore_compress():
    xs = np.array(normalization_sym.EXAMPLE, float)
    z = normalization.zscore(xs)
    before, after = (xs[0] - xs[1]) / (xs[1] - xs[2]), (z[0] - z[1]) / (z[1] - z[2])
    return Evidence(not np.isclose(before, after), np.isclose(before, after),
                    f"ratio of gaps (x₁−x₂)/(x₂−x₃) = {before:.3f} before and {after:.3f} after: an affine map, "
                    "nothing is compressed relative to anything else")


@judges(("hbvn-zscore-std", "HBVN", "Normalization",
         "The new standard deviation is (1/n) Σ ((xᵢ − μ)/σ)² = 1.",
         "imprecise", "That expression is the variance; both it and the standard deviation equal 1.", "",
         Quote(446, "让数据的标准差为 1",
               "\\text{新的标准差} = \\frac{1}{n} \\sum_{i=1}^{n} \\left(\\frac{x_i - \\mu}{\\sigma}\\right)^2 = 1",
               "new standard deviation = (1/n) Σ_{i=1}^{n} ((x_i − μ)/σ)² = 1"),
         Quote(384, "什么是归一化?", "\\sigma^2 = \\frac{1}{n} \\sum_{i=1}^{n} (x_i - \\mu)^2", "σ² = (1/n) Σ_{i=1}^{n} (x_i − μ)²")))
def _zscore_new_std():
    ex = normalization_sym.worked_example()
    second_moment = sum(v ** 2 for v in ex["z"]) / len(ex["z"])
    raw = normalization_sym.stats(ex["x"])[1]                       # the same expression on the raw data
    z_std = normalization_sym.stats(ex["z"])
    return Evidence(raw == ex["std"], sp.simplify(second_moment - 1) == 0 and raw == ex["var"],
                    f"SymPy: (1/n) Σ ẑᵢ² = 1 exactly, but the same expression on the raw data gives {float(raw):.2f}, "
                    f"the variance, not the standard deviation {float(ex['std']):.2f}",
                    "as a value: (1/n)Σẑᵢ² is the new variance, and the standard deviation, its square root, is also 1",
                    bool(sp.simplify(z_std[1] - 1) == 0 and sp.simplify(sp.sqrt(z_std[1]) - 1) == 0
                         and sp.simplify(second_moment - z_std[1]) == 0))


@judges(("hbvn-zscore-arith", "HBVN", "Normalization",
         "(100 − 50)/20 = 2.5 and (10 − 50)/20 = −2.",
         "correct", "As stated.", "",
         Quote(424, "除以标准差:压缩大值,扩展小值",
               "( \\hat{x}_1 = \\frac{50}{20} = 2.5 )",
               "x̂₁ = 50/20 = 2.5")))
def _zscore_arith():
    x_, m_ = normalization_sym.x[1], normalization_sym.mu
    rows = [(normalization_sym.normalized(1, with_eps=False).subs({x_: v, m_: m, normalization_sym.s: sd}), z)
            for v, m, sd, z in STATED["hbvn-zscore-arith"]]
    ok = all(sp.simplify(got - z) == 0 for got, z in rows)
    return Evidence(ok, ok, "the z-score (x − μ)/σ with the source's μ = 50, σ = 20: "
                    + ", ".join(f"{float(got):g}" for got, _ in rows))


# ------------------------------------------------------------------ BPTT

def _rnn_case(T=20, seed=21, h0_zero=False):
    rng = _rng(seed)
    D, H, K, N = 3, 4, 2, 1
    params = bptt_sym.init_rnn(D, H, K, rng)
    x = rng.standard_normal((T, N, D))
    h0 = np.zeros((N, H)) if h0_zero else 0.5 * rng.standard_normal((N, H))
    targets = rng.standard_normal((T, N, K))
    _, grads = rnn.rnn_loss_and_grads(params, x, targets, h0)
    h, cache = rnn.rnn_forward(x, h0, params["W_hx"], params["W_hh"], params["b_h"])
    e = h @ params["W_hy"].T + params["b_y"] - targets          # (T, N, K), N = 1
    return params, x, h0, h, e, grads


def _bptt_deltas(params, h, e, deriv_at_output=False):
    """delta_1..delta_T (N = 1) by the package's one recursion; with deriv_at_output,
    f' evaluated at the output h_t (the source's mistake)."""
    fprime = 1 - np.tanh(h) ** 2 if deriv_at_output else None
    return list(rnn.bptt_deltas(e @ params["W_hy"], h, params["W_hh"], fprime=fprime)[0][:, 0])


@judges(("bptt-hidden-delta", "BPTT", "BPTT",
         "The hidden delta is δ_tʸ W_hyᵀ · f′(h_t) + δ_{t+1}ʰ W_hhᵀ · f′(h_t).",
         "incorrect", "$\\delta_t = (1 - h_t^2) \\odot (W_{hy}^\\top e_t + W_{hh}^\\top \\delta_{t+1})$: "
         "$f'$ at $a_t$, matrices on the left.", "bptt",
         Quote(96, "反向傳播",
               "\\delta^h_t = \\delta^y_t W_{hy}^T \\cdot f'(h_t) + \\delta^h_{t+1} W_{hh}^T \\cdot f'(h_t)",
               "δ^h_t = δ^y_t W_hy^T · f'(h_t) + δ^h_{t+1} W_hh^T · f'(h_t)")))
def _bptt_hidden_delta():
    params, x, h0, h, e, grads = _rnn_case()
    wrong = sum(np.outer(d, x[t, 0]) for t, d in enumerate(_bptt_deltas(params, h, e, True)))
    right = sum(np.outer(d, x[t, 0]) for t, d in enumerate(_bptt_deltas(params, h, e)))
    err = verify.rel_error(wrong, grads["W_hx"])
    return Evidence(err < 1e-10, _close(right, grads["W_hx"], 1e-12),
                    f"f′ evaluated at h_t (tanh′(h_t)) instead of at a_t (1 − h_t²): dL/dW_hx off by {err:.1e}; "
                    "and δ_tʸ W_hyᵀ multiplies a K-vector by an H×K matrix from the wrong side")


@judges(("bptt-output-delta", "BPTT", "BPTT",
         "The output delta is ∂ℓ/∂y_t · g′(y_t).",
         "incorrect", "$g'$ is evaluated at the output layer's pre-activation, not at $y_t = g(\\cdot)$.", "activations",
         Quote(84, "反向傳播",
               "\\delta^y_t = \\frac{\\partial \\ell(y_t, \\hat{y}_t)}{\\partial y_t} \\cdot g'(y_t)",
               "δ^y_t = ∂ℓ(y_t, ŷ_t)/∂y_t · g'(y_t)"),
         Quote(51, "前向傳播", "y_t = g(W_{hy} h_t + b_y)", "y_t = g(W_hy h_t + b_y)")))
def _bptt_output_delta():
    # dL/dz for L = (g(z) - y)^2 / 2 with g the sigmoid: by central differences, against the
    # output error times g′ at the pre-activation z (the book) and at the output g(z) (the source)
    z, y, step = np.linspace(-3, 3, 7), 0.3, 1e-5
    loss = lambda v: 0.5 * (activations_np.sigmoid(v) - y) ** 2   # noqa: E731
    measured = (loss(z + step) - loss(z - step)) / (2 * step)
    error = activations_np.sigmoid(z) - y
    book = error * activations_np.sigmoid_grad(z)
    source = error * activations_np.sigmoid_grad(activations_np.sigmoid(z))   # g′ at y = g(z)
    e_book, e_source = verify.rel_error(book, measured), verify.rel_error(source, measured)
    return Evidence(e_source < 1e-6, e_book < 1e-6,
                    f"a sigmoid output, dL/dz by central differences on z ∈ [−3, 3]: (y − target)·g′(z) within "
                    f"{e_book:.0e}, (y − target)·g′(y) off by {e_source:.2f} (relative). Of the outputs the source "
                    "names, a linear one has g′ = 1 at every point; softmax is judged in bptt-g-input")


@judges(("bptt-whh-sum", "BPTT", "BPTT",
         "ΔW_hh = Σ_{t=2}^{T} δ_t h_{t−1}ᵀ (judged as the gradient).",
         "imprecise", "The sum starts at $t = 1$ with $h_0$; the source itself allows a random $h_0$.", "bptt",
         Quote(108, "反向傳播",
               "\\Delta W_{hh} = \\sum_{t=2}^T \\delta^h_t \\cdot h_{t-1}^T",
               "ΔW_hh = Σ_{t=2}^{T} δ^h_t · h_{t-1}^T [presented as the hidden-to-hidden 'weight update']"),
         Quote(30, "前向傳播", "或小的隨機值", "(h₀ = 0) or a small random value")))
def _bptt_whh_sum():
    params, x, h0, h, e, grads = _rnn_case()
    d = _bptt_deltas(params, h, e)
    hs = [h0[0]] + [h[t, 0] for t in range(len(d))]
    from_2 = sum(np.outer(d[t], hs[t]) for t in range(1, len(d)))
    full = from_2 + np.outer(d[0], hs[0])
    derived, wrong = bptt_sym.wrong_h0_sum()
    refuted = not verify.symbolic_identity("errata", "h0", derived, wrong).passed
    params, x, h0, h, e, grads_0 = _rnn_case(h0_zero=True)
    d = _bptt_deltas(params, h, e)
    from_2_at_0 = sum(np.outer(d[t], h[t - 1, 0]) for t in range(1, len(d)))
    return Evidence(_close(from_2, grads["W_hh"], 1e-12), _close(full, grads["W_hh"], 1e-12) and refuted,
                    f"with h₀ ≠ 0 the sum from t = 2 is off by {verify.rel_error(from_2, grads['W_hh']):.1e}; "
                    "SymPy refutes it on the unrolled loss; with h₀ = 0 it is off by "
                    f"{verify.rel_error(from_2_at_0, grads_0['W_hh']):.0e}",
                    "when h₀ = 0 (the source's first choice; it also allows a small random h₀)",
                    _close(from_2_at_0, grads_0["W_hh"], 1e-12))


@judges(("bptt-other-sums", "BPTT", "BPTT",
         "ΔW_hx = Σ_t δ_tʰ x_tᵀ and ΔW_hy = Σ_t δ_tʸ h_tᵀ (judged as the gradients; calling them the update is "
         "judged in bptt-update-sign).",
         "correct", "As gradients, with the correct δ's (the source's formulas for them, lines 84 and 96, are judged "
         "separately).", "",
         Quote(104, "反向傳播",
               "\\Delta W_{hx} = \\sum_{t=1}^T \\delta^h_t \\cdot x_t^T",
               "ΔW_hx = Σ_{t=1}^{T} δ^h_t · x_t^T [the input-to-hidden 'weight update'; line 112 gives ΔW_hy the same way]")))
def _bptt_other_sums():
    params, x, h0, h, e, grads = _rnn_case()
    d = _bptt_deltas(params, h, e)
    wx = sum(np.outer(d[t], x[t, 0]) for t in range(len(d)))
    wy = sum(np.outer(e[t, 0], h[t, 0]) for t in range(len(d)))
    ok = _close(wx, grads["W_hx"], 1e-12) and _close(wy, grads["W_hy"], 1e-12)
    return Evidence(ok, ok, "Σ δ_t x_tᵀ and Σ e_t h_tᵀ equal the verified dL/dW_hx and dL/dW_hy")


@judges(("bptt-collapsed", "BPTT", "BPTT",
         "Unrolled, δ_t = δ_tʸ (W_hyᵀ k^t).",
         "incorrect", "A sum over later steps, $\\sum_{s \\ge t} k^{s-t+1}(\\dots)$; small for early $t$.", "bptt",
         Quote(187, "梯度遞歸公式的展開",
               "\\delta^h_t = \\delta^y_t \\cdot (W_{hy}^T \\cdot k^t)",
               "δ^h_t = δ^y_t · (W_hy^T · k^t)"),
         Quote(179, "梯度遞歸公式的展開", "= \\delta^y_{T-2} W_{hy}^T \\cdot k + \\delta^y_{T-1} W_{hy}^T W_{hh}^T \\cdot k^2 + \\delta^y_T W_{hy}^T W_{hh}^T W_{hh}^T \\cdot k^3", "= δ^y_{T−2} W_hy^T · k + δ^y_{T−1} W_hy^T W_hh^T · k² + δ^y_T W_hy^T W_hh^T W_hh^T · k³")))
def _bptt_collapsed():
    # scalar case, W = I, unit output errors: the backward recursion delta_s = k (1 + delta_{s+1})
    # run from s = T down to t, against the book's sum and the source's collapsed k^t
    k, T, t = 0.5, 10, 1
    deltas, _ = rnn.bptt_deltas(np.ones((T, 1, 1)), np.zeros((T, 1, 1)), np.eye(1), fprime=np.full((T, 1, 1), k))
    unrolled = float(deltas[t - 1, 0, 0])
    return Evidence(abs(unrolled - k ** t) < 1e-12, abs(unrolled - sum(k ** (s - t + 1) for s in range(t, T + 1))) < 1e-12,
                    f"scalar case, T = {T}, k = 1/2: δ₁ = Σ_j k^j = {float(unrolled):.4f}, not k¹ = 0.5; "
                    "the error from step s reaches step t with k^(s−t+1): for k < 1 small at early t and growing with t, "
                    "the opposite of the source's k^t")


@judges(("bptt-k-powers", "BPTT", "BPTT",
         "0.5¹⁰ ≈ 0.00098, 0.5²⁰ ≈ 0.00000095, 1.5¹⁰ ≈ 57.67, 1.5²⁰ ≈ 33252.32.",
         "incorrect", "1.5²⁰ ≈ 3325.26 (the other three are right).", "bptt",
         Quote(243, "梯度爆炸示例",
               "\\delta^h_{20} = 1 \\cdot 1.5^{20} = 1 \\cdot 33252.32 = 33252.32",
               "δ^h_20 = 1 · 1.5^20 = 1 · 33252.32 = 33252.32")))
def _k_powers():
    # the source's worked example (lines 217, 223, 237, 243), one claim: its four values, and
    # the book's, which corrects the last; each side is judged against SymPy's exact powers
    stated = STATED["bptt-k-powers"]
    book = {**stated, (sp.Rational(3, 2), 20): 3325.26}

    def agree(values) -> bool:   # the source rounds; 1 % is generous
        return all(abs(v - float(k ** n)) <= 0.01 * float(k ** n) for (k, n), v in values.items())
    rows = [f"{float(k)}^{n} = {float(k ** n):.6g}" + ("" if agree({(k, n): v}) else f" (stated {v})")
            for (k, n), v in stated.items()]
    return Evidence(agree(stated), agree(book), "; ".join(rows))


@judges(("bptt-f-above-one", "BPTT", "BPTT",
         "If the activation's derivative f′(h_t) is greater than 1, repeated multiplication makes the "
         "gradient grow rapidly.",
         "imprecise", "Growth is set by the products of $f'$ and $W_{hh}$ together; $\\tanh' \\le 1$ and "
         "ReLU$' \\le 1$, and the growth comes from $W_{hh}$.", "bptt",
         Quote(131, "梯度爆炸",
               "數學上,如果激活函數的導數 f ′ ( h t ) f'(h_t) f(ht?) 大于 1,多次相乘后會迅速增長。",
               "Mathematically, if the activation function's derivative f'(h_t) is greater than 1, it grows rapidly after being multiplied many times."),
         Quote(132, "梯度爆炸", "比如,激活函數為 ReLU(修正線性單元),其導數在正區間為 1,如果某些參數或權重較大,梯度可能會迅速累積變大。", "For example, if the activation function is ReLU (rectified linear unit), its derivative is 1 on the positive interval; if some parameters or weights are large, the gradient may quickly accumulate and grow.")))
def _explosion_needs_weights():
    rng = _rng(22)
    H = 16
    Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
    hs = np.concatenate([np.zeros((1, H)), rnn.rnn_forward(0.1 * rng.standard_normal((40, 1, H)), np.zeros((1, H)),
                                                           np.eye(H), 1.5 * Q, np.zeros(H))[0][:, 0]])
    growth = np.linalg.norm(bptt_sym.hidden_jacobian(hs, 1.5 * Q, 40, 30), 2)
    def source_recursion(W_hh, steps=10):      # δ_t = f′ · W_hhᵀ δ_{t+1} with f′ = 1.5, from a unit δ
        dh = np.zeros((steps, 1, H))
        dh[-1] = 1 / np.sqrt(H)
        return np.linalg.norm(rnn.bptt_deltas(dh, np.zeros((steps, 1, H)), W_hh, fprime=np.full((steps, 1, H), 1.5))[0][0])
    shrink, grow = source_recursion(0.5 * Q), source_recursion(np.eye(H))    # ‖W_hh‖₂ = 0.5; W_hh = I
    return Evidence(shrink > 1, growth > 1,
                    f"10 steps of the source's recursion with f′ = 1.5: ‖W_hh‖₂ = 0.5 gives {shrink:.1e}, "
                    f"W_hh = I gives {grow:.0f}; and with tanh (f′ ≤ 1) and ‖W_hh‖₂ = 1.5 the 10-step Jacobian "
                    f"norm is {growth:.1f}: the growth comes from W_hh",
                    "when the W_hh factors do not shrink the product (e.g. W_hh = I, which the source assumes only "
                    "later, line 191; line 132 brings the weights in)",
                    bool(grow > 50))


@judges(("bptt-small-update", "BPTT", "Gradient descent",
         "A tiny gradient gives a tiny update ΔW = −η ∂L/∂W.",
         "correct", "As stated.", "",
         Quote(279, "為什么很小的梯度無法更新權重并導致無法捕捉長期依賴關系?",
               "當梯度接近零時,權重更新 Δ W \\Delta W ΔW 也會接近零。",
               "When the gradient is close to zero, the weight update ΔW is also close to zero.")))
def _grad_step_small():
    p, x, h, z, fpz, e, grads = _two_layer()
    lr = 0.1
    new = {k: p[k] - lr * grads[k] for k in p}
    ok = all(_close(new[k] - p[k], -lr * grads[k]) for k in p)
    return Evidence(ok, ok, "ΔW = −η ∂L/∂W: the update is proportional to the gradient, so a vanishing gradient gives a vanishing update")


@judges(("bptt-l2", "BPTT", "BPTT",
         "L2 regularization (weight decay) prevents overly active neurons (listed as a remedy for vanishing and exploding gradients).",
         "imprecise", "It shrinks weights over training; it does not bound the gradient at given weights.",
         None,
         Quote(262, "解決梯度消失和梯度爆炸的方法",
               "使用L2正則化(權重衰減)防止過度活躍的神經元。",
               "Use L2 regularization (weight decay) to prevent overly active neurons."),
         None, '“Overly active neurons” has no definition a computation could test. L2 shrinks the weights over training, which limits explosion (a smaller spectral radius of W_hh: ‖∂L/∂h₀‖ is computed at two radii); but the sentence lists it as a remedy for vanishing too, and smaller weights make vanishing worse. At given weights it does not bound the gradient at all.'))
def _l2_does_not_bound():
    norms = _rnn_h0_grad_norms(23)
    # an L2 term lam/2 ||W||^2 does not depend on the states: dL/dh_0 is exactly these numbers
    return Evidence(None, norms[1.5] > 5 * norms[0.9],
                    f"‖dL/dh₀‖ over 30 steps: {norms[0.9]:.1e} at ρ(W_hh) = 0.9, {norms[1.5]:.1e} at 1.5; an L2 term "
                    "does not depend on the states, so at given weights it leaves this gradient unchanged and can "
                    "only act slowly, through smaller weights")


# ------------------------------------------------------------------ clipping

@judges(("bptt-clipping", "BPTT", "Gradient clipping",
         "Limiting the gradient's absolute value to a threshold prevents explosion.",
         "correct", "As stated, in the usual sense: clipping each entry (by value) or the norm bounds the step an "
         "exploding gradient produces; the backpropagated gradient itself is unchanged. Only norm clipping keeps "
         "the direction.", "",
         Quote(258, "解決梯度消失和梯度爆炸的方法",
               "將梯度的絕對值限制在某個閾值范圍內,防止梯度爆炸。",
               "Limit the absolute value of the gradient to within some threshold range, to prevent gradient explosion.")))
def _value_clipping_direction():
    rng = _rng(24)
    g = {"W": 1e6 * rng.standard_normal((6, 6)) * np.linspace(0.1, 10, 36).reshape(6, 6)}   # an exploded gradient
    by_value = clipping.clip_grad_value(g, 1.0)
    by_norm, _ = clipping.clip_grad_norm(g, 1.0)

    a_val, a_norm = clipping_sym.angle_degrees(g, by_value), clipping_sym.angle_degrees(g, by_norm)
    bounded = np.abs(by_value["W"]).max() <= 1.0 and np.linalg.norm(by_norm["W"]) <= 1.0 + 1e-12
    return Evidence(bounded, bounded and a_norm < 1e-6 < a_val,
                    f"a gradient of norm {np.linalg.norm(g['W']):.0e} clipped at 1: largest entry by value "
                    f"{np.abs(by_value['W']).max():g}, norm by norm {np.linalg.norm(by_norm['W']):.6f}; angle to the "
                    f"unclipped gradient: value clipping {a_val:.1f}°, norm clipping {a_norm:.1e}°")


# ------------------------------------------------------------------ LSTM and GRU

def _lstm_init(bias=0.0, scale=1.0):
    return lstm_gru_sym.init_lstm(8, 32, np.random.default_rng(1), forget_bias=bias, scale=scale)


@judges(("qa-lstm-gates", "QA", "LSTM and GRU",
         "LSTM and GRU both control the flow of information with gates, and so solve the vanishing- and "
         "exploding-gradient problems.",
         "incorrect", "Gated networks can still explode (clipping is still used); they avoid vanishing only "
         "while the forget (update) gate stays near 1, e.g. with a positive forget-gate bias.", "lstm-gru",
         Quote(9, "简述GRU和LSTM是如何解决梯度消失与梯度爆炸问题的",
               "总的来说,LSTM和GRU都是通过引入门的机制来控制信息的流动和记忆,从而解决梯度消失和梯度爆炸问题。",
               "In summary, LSTM and GRU both control the flow of information and memory by introducing gating mechanisms, thereby solving the vanishing- and exploding-gradient problems.")),
        ("qa-lstm-avoids", "QA", "LSTM and GRU",
         "The LSTM's three gates control the flow of information and so avoid the vanishing- and exploding-gradient "
         "problems.",
         "incorrect", "The LSTM can still explode; it avoids vanishing only while the forget gate stays near 1, e.g. "
         "with a positive forget-gate bias.", "lstm-gru",
         Quote(9, "简述GRU和LSTM是如何解决梯度消失与梯度爆炸问题的",
               "来控制信息的流动,从而避免了梯度消失和梯度爆炸问题。",
               "(introducing three gates) to control the flow of information, thereby avoiding the vanishing- and exploding-gradient problems.")))
def _gates_explode_and_vanish():
    big_lstm, big_gru = _lstm_init(3.0, scale=3.0), lstm_gru_sym.init_gru(8, 32, np.random.default_rng(1), scale=3.0)
    rho = {"LSTM": lstm_gru_sym.rest_growth_rate("LSTM", big_lstm), "GRU": lstm_gru_sym.rest_growth_rate("GRU", big_gru)}
    x = np.random.default_rng(0).standard_normal((100, 1, 8))
    u = np.ones((1, 32)) / np.sqrt(32)
    # the gradient reaching 60 steps back, by the kernels' backward pass: at rest (zero input) and
    # driven by small inputs
    back = {(m, a): lstm_gru_sym.state_gradient_by_lag(m, a * x[:60], p, u, [60])[0] / np.linalg.norm(u)
            for m, p in (("LSTM", big_lstm), ("GRU", big_gru)) for a in (0.0, 0.01)}
    n0 = lstm_gru_sym.state_gradient_by_lag("LSTM", x, _lstm_init(0.0), u, [100])[0]
    n3 = lstm_gru_sym.state_gradient_by_lag("LSTM", x, _lstm_init(3.0), u, [100])[0]
    explode = all(r > 1 for r in rho.values()) and all(back[m, 0.0] > 1e2 for m in rho)
    return Evidence(not explode and n0 > 1e-6, explode and n3 > 1e-3,
                    "weights ×3: growth per step at rest LSTM (forget bias 3) " + f"{rho['LSTM']:.3f}, GRU {rho['GRU']:.3f}; "
                    "gradient reaching 60 steps back, zero input / inputs of size 0.01: "
                    + ", ".join(f"{m} ×{back[m, 0.0]:.1e} / ×{back[m, 0.01]:.1e}" for m in rho)
                    + f" (explosion near the resting state; driven by inputs of size 1 the same networks' gradients "
                    f"decay). Unit weights, 100 steps back: forget bias 0 → {n0:.1e}, forget bias 3 → {n3:.1e}")


@judges(("qa-three-gates", "QA", "LSTM and GRU",
         "The LSTM has three gates: input, forget and output.",
         "correct", "As stated; the fourth block, the candidate $\\tilde c_t$, is not a gate.", "",
         Quote(9, "简述GRU和LSTM是如何解决梯度消失与梯度爆炸问题的",
               "LSTM(长短期记忆网络)主要是通过引入三个门(输入门、输出门和遗忘门)",
               "LSTM (long short-term memory network) mainly works by introducing three gates (input gate, output gate and forget gate)")))
def _lstm_three_gates():
    W_ih, W_hh, b = _lstm_init()
    x = np.random.default_rng(2).standard_normal((1, 1, 8))
    _, cache = lstm.lstm_forward(x, np.zeros((1, 32)), np.zeros((1, 32)), W_ih, W_hh, b)
    i, f, g, o = np.split(cache.gates[0], 4, axis=1)
    in01 = all(np.all((v > 0) & (v < 1)) for v in (i, f, o))
    ok = W_ih.shape[0] == 4 * 32 and in01 and np.any(g < 0)
    return Evidence(ok, ok, "four blocks of 4H rows: three sigmoid gates i, f, o in (0, 1) and the tanh candidate c̃ "
                    "(takes negative values, so not a gate)")


@judges(("qa-gru-update", "QA", "LSTM and GRU",
         "The GRU's update gate controls how old and new state are combined.",
         "correct", "$h_t = (1 - u_t) \\odot \\tilde h_t + u_t \\odot h_{t-1}$.", "",
         Quote(9, "简述GRU和LSTM是如何解决梯度消失与梯度爆炸问题的",
               "更新门控制新旧信息的结合",
               "the update gate controls how new and old information are combined")))
def _gru_update_gate():
    H = 4
    W_ih, W_hh, b_ih, b_hh = lstm_gru_sym.init_gru(3, H, np.random.default_rng(3))
    b_ih[H:2 * H] = 40.0                            # z = sigma(40): h_t = h_{t-1} to rounding
    h0 = np.random.default_rng(4).standard_normal((1, H))
    h, _ = gru.gru_forward(np.random.default_rng(5).standard_normal((3, 1, 3)), h0, W_ih, W_hh, b_ih, b_hh)
    ok = _close(h[-1], h0, 1e-15)
    return Evidence(ok, ok, "with the update gate saturated at 1, h_t = h_{t−1} (the GRU copies its state): "
                    f"rel. change after 3 steps {verify.rel_error(h[-1], h0):.0e}")
