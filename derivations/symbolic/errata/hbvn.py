"""The errata's sentence-by-sentence pass over HBVN (hadamard-backprop-vanishing-normalization.zh.txt): each checkable sentence
that the first reading (:mod:`.by_topic`) does not judge, with the evidence that judges it."""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import Evidence, judges, Quote, _close, _rng
from .. import backprop as backprop_sym
from .by_topic import _ratio, _sigmoid_stack_ratios, _two_layer
from ... import verify
from ...numeric import activations as activations_np
from ...numeric import backprop, hadamard as hadamard_np, losses, normalization
from .. import normalization as normalization_sym

H_NORM = "什么是归一化?"
H_CENTER = "减去均值:拉近数据与中心的距离"
H_DIVIDE = "除以标准差:压缩大值,扩展小值"
H_BIGSMALL = "大数被压缩,小数被扩展"
H_HIDDEN = "隐藏层梯度(计算损失对 ( W_1 ) 的偏导数):"


# ------------------------------------------------------------------ Hadamard product

@judges(("hbvn-hadamard-def", "HBVN", "Hadamard product and backprop",
         "The Hadamard product C of A and B has entries C_ij = A_ij · B_ij.",
         "correct", "As stated, for $A$ and $B$ of the same shape.", "",
         Quote(8, "1. 定义:", "C_{ij} = A_{ij} \\cdot B_{ij}", "C_ij = A_ij · B_ij")))
def _hadamard_definition():
    rng = _rng(101)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    C = hadamard_np.hadamard(A, B)
    loop = np.array([[A[i, j] * B[i, j] for j in range(3)] for i in range(2)])
    ok = _close(C, loop, 0.0)
    return Evidence(ok, ok, f"hadamard(A, B) equals A_ij·B_ij entry by entry on random 2×3 matrices "
                    f"(rel. error {verify.rel_error(C, loop):.0e})")


@judges(("hbvn-hadamard-vs-matmul", "HBVN", "Hadamard product and backprop",
         "Ordinary matrix multiplication combines vectors linearly and can realize global linear maps such as "
         "rotations and scalings, whereas the Hadamard product only multiplies elementwise.",
         "correct", "$a \\odot x = \\operatorname{diag}(a)\\,x$: only diagonal maps (scalings and sign flips along "
         "the axes), so no rotation other than by 0 or π.", "",
         Quote(27, "阿达玛乘积的几何意义",
               "普通的矩阵乘法涉及向量间的线性组合,可以实现诸如旋转、缩放等全局的线性变换,而阿达玛乘积只是逐元素的相乘",
               "ordinary matrix multiplication involves linear combinations of vectors and can realize global linear "
               "transformations such as rotation and scaling, whereas the Hadamard product is only element-wise "
               "multiplication")))
def _matmul_vs_hadamard():
    rng = _rng(102)
    th = 0.7
    R = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    x, a = rng.standard_normal(2), rng.standard_normal(2)
    diagonal = _close(hadamard_np.hadamard(a, x), np.diag(a) @ x)
    best = np.diag(R).copy()                              # the closest diagonal map to R (Frobenius)
    miss = float(np.linalg.norm(R - np.diag(best)))
    rotates = bool(np.isclose(np.linalg.norm(R @ x), np.linalg.norm(x))) and miss > 0.1
    ok = diagonal and rotates
    return Evidence(ok, ok, f"a ⊙ x = diag(a) x (the book's hadamard); a rotation by 0.7 rad is a matrix product, "
                    f"and the nearest diagonal map misses it by ‖R − diag‖_F = {miss:.3f}")


@judges(("hbvn-hadamard-forward", "HBVN", "Hadamard product and backprop",
         "In the forward and backward passes, the activation outputs often need to be multiplied elementwise "
         "with weights or gradients.",
         "imprecise", "In a dense layer the forward pass multiplies activations by the weights as a matrix product, "
         "$W h$. Elementwise products appear in the backward pass ($\\delta = \\partial L/\\partial h \\odot f'(z)$) "
         "and, in the forward pass, in gates and masks (LSTM/GRU, dropout), and with the weights only in weight "
         "masks (DropConnect, pruning), not in a dense layer's ordinary product.", "hadamard",
         Quote(40, "1. 逐元素操作:",
               "在神经网络的前向传播反向传播中,激活函数的输出往往需要逐元素与权重或梯度相乘。",
               "In the forward and backward passes of a neural network, the outputs of the activation functions "
               "often need to be multiplied element-wise with weights or gradients.")))
def _forward_is_matmul():
    rng = _rng(103)
    z, W, b = rng.standard_normal((1, 4)), rng.standard_normal((3, 4)), np.zeros(3)
    h = activations_np.sigmoid(z)
    out, _ = backprop.affine_forward(h, W, b)
    elementwise = h * W                                   # broadcasts to (3, 4): not the layer's output
    forward_elementwise = elementwise.shape == out.shape and _close(elementwise, out)
    dout = rng.standard_normal((1, 4))
    dz = hadamard_np.elementwise_backward(dout, z, activations_np.sigmoid_grad)
    measured = verify.numeric_gradient(lambda v: float(np.sum(dout * activations_np.sigmoid(v))), z)
    backward_elementwise = _close(dz, measured, 1e-8)
    return Evidence(forward_elementwise, backward_elementwise and _close(out, h @ W.T + b),
                    f"forward: the layer output has shape {out.shape} = h Wᵀ, an elementwise h ⊙ W would have "
                    f"{elementwise.shape}; backward: dL/dz = dL/dh ⊙ σ′(z) matches central differences "
                    f"(rel. error {verify.rel_error(dz, measured):.0e})",
                    "in the backward pass (the upstream gradient times f′(z))", backward_elementwise)


@judges(("hbvn-dropout-weights", "HBVN", "Hadamard product and backprop",
         "In some regularization methods such as Dropout, the Hadamard product is used to adjust the weights "
         "elementwise, helping to control overfitting.",
         "imprecise", "Dropout multiplies the activations (units) by a random 0/1 mask; on the weights this is "
         "a mask that zeros whole columns of the next layer's $W$, not single weights.", None,
         Quote(44, "2. 权重控制:",
               "在一些正则化方法(如 Dropout)中,它用于逐元素调整权重,帮助控制过拟合现象。",
               "in some regularization methods (such as Dropout) it is used to adjust the weights element-wise, "
               "helping to control overfitting.")))
def _dropout_masks_units():
    rng = _rng(104)
    W, h = rng.standard_normal((5, 6)), rng.standard_normal(6)
    keep = 0.5
    mask = (rng.random(6) < keep) / keep
    dropped = W @ hadamard_np.hadamard(h, mask)           # Dropout: mask the units
    weight_mask = np.outer(np.ones(W.shape[0]), mask)     # the same thing as a mask on W
    equivalent = _close((W * weight_mask) @ h, dropped)
    rank = int(np.linalg.matrix_rank(weight_mask))
    return Evidence(rank > 1, equivalent and rank == 1,
                    f"Dropout of the units gives W(h ⊙ m) = (W ⊙ 1mᵀ) h: the equivalent weight mask has rank {rank} "
                    "(every row the same: whole columns of W dropped, not single weights)",
                    "when the mask acts on units, i.e. on whole columns of the next weight matrix", equivalent)


# ------------------------------------------------------------------ backprop

@judges(("hbvn-dL-dh", "HBVN", "Hadamard product and backprop",
         "For L = ½(h − y)², ∂L/∂h = h − y.",
         "correct", "As stated.", "",
         Quote(81, "2. 反向传播:", "\\frac{\\partial L}{\\partial h} = h - y", "∂L/∂h = h − y")))
def _dL_dh():
    hs, ys = sp.symbols("h y", real=True)
    sym = sp.simplify(sp.diff(sp.Rational(1, 2) * (hs - ys) ** 2, hs) - (hs - ys)) == 0
    rng = _rng(105)
    h, y = rng.standard_normal(4), rng.standard_normal(4)
    code = _close(len(h) / 2 * losses.mse(h, y)[1], h - y)   # ½Σ(h−y)² = (n/2)·MSE
    ok = sym and code
    return Evidence(ok, ok, "SymPy: d/dh ½(h − y)² − (h − y) = 0; the book's MSE gradient times n/2 equals h − y")


@judges(("hbvn-dh-dz", "HBVN", "Hadamard product and backprop",
         "∂h/∂z = f′(z) for h = f(z).",
         "correct", "Entrywise: $\\partial h_i/\\partial z_j = f'(z_i)\\,\\delta_{ij}$; the Jacobian is "
         "$\\operatorname{diag}(f'(z))$.", "",
         Quote(87, "2. 反向传播:", "\\frac{\\partial h}{\\partial z} = f’(z)", "∂h/∂z = f′(z)")))
def _elementwise_jacobian():
    z = _rng(106).standard_normal(5)
    J = np.column_stack([verify.directional_derivative(activations_np.sigmoid, z, e, "central-difference")
                         for e in np.eye(5)])
    want = np.diag(activations_np.sigmoid_grad(z))
    ok = _close(J, want, 1e-8)
    return Evidence(ok, ok, f"Jacobian of the sigmoid by central differences = diag(σ′(z)) "
                    f"(rel. error {verify.rel_error(J, want):.0e}, off-diagonal entries 0)")


def _dH_dW1_tensor(p, x):
    """∂H/∂W₁ by central differences, shape (H, H, D): T[j, a, b] = ∂H_j/∂(W₁)_ab."""
    Hn, D = p["W1"].shape
    T = np.empty((Hn, Hn, D))
    for a in range(Hn):
        for b in range(D):
            E = np.zeros_like(p["W1"])
            E[a, b] = 1.0
            T[:, a, b] = verify.directional_derivative(
                lambda W: activations_np.sigmoid(W @ x + p["b1"]), p["W1"], E, "central-difference")
    return T


@judges(("hbvn-chain-W1", "HBVN", "Hadamard product and backprop",
         "By the chain rule, ∂L/∂W₁ = ∂L/∂H · ∂H/∂W₁.",
         "correct", "As stated, the product contracting over the hidden units.", "",
         Quote(171, H_HIDDEN,
               "\\frac{\\partial L}{\\partial W_1} = \\frac{\\partial L}{\\partial H} \\cdot \\frac{\\partial H}{\\partial W_1}",
               "∂L/∂W₁ = ∂L/∂H · ∂H/∂W₁")))
def _chain_contraction():
    p, x, h, z, fpz, e, grads = _two_layer(K=1)
    T = _dH_dW1_tensor(p, x)
    got = np.einsum("j,jab->ab", p["W2"].T @ e, T)
    ok = _close(got, grads["W1"], 1e-8)
    return Evidence(ok, ok, "∂L/∂H contracted with ∂H/∂W₁ (central differences, a 3-index tensor) equals the verified "
                    f"dL/dW₁ (rel. error {verify.rel_error(got, grads['W1']):.0e})")


@judges(("hbvn-dH-dW1", "HBVN", "Hadamard product and backprop",
         "∂H/∂W₁ = f′(W₁X + b₁)·X = f(W₁X + b₁)(1 − f(W₁X + b₁))·X.",
         "imprecise", "$\\partial H_j/\\partial (W_1)_{ak} = \\delta_{ja}\\, f'(z_j)\\, x_k$: a 3-index tensor whose "
         "only nonzero entries are $f'(z_j) x_k$.", "backprop",
         Quote(201, H_HIDDEN,
               "\\frac{\\partial H}{\\partial W_1} = f’(W_1 X + b_1) \\cdot X = f(W_1 X + b_1) \\cdot (1 - f(W_1 X + b_1)) \\cdot X",
               "∂H/∂W₁ = f′(W₁X + b₁) · X = f(W₁X + b₁) · (1 − f(W₁X + b₁)) · X")))
def _dH_dW1_entrywise():
    p, x, h, z, fpz, e, grads = _two_layer(K=1)
    T = _dH_dW1_tensor(p, x)
    literal = np.outer(fpz, x)                            # the most generous reading of f′(z) · X
    Hn = len(h)
    diag_ok = _close(np.stack([T[j, j] for j in range(Hn)]), literal, 1e-8)
    off = max(float(np.abs(T[j, a]).max()) for j in range(Hn) for a in range(Hn) if a != j)
    under = diag_ok and off < 1e-12
    book = _close(T, np.einsum("ja,jk->jak", np.eye(Hn), np.outer(h * (1 - h), x)), 1e-8)
    return Evidence(literal.shape == T.shape, book,
                    f"∂H/∂W₁ has shape {T.shape}; f′(z)·X is at best a {literal.shape} matrix, which holds exactly "
                    f"its nonzero entries ∂H_j/∂W₁[j,k] = f′(z_j)x_k (all others {off:.0e})",
                    "read entrywise: ∂H_j/∂W₁[j,k] = f′(z_j) x_k, the other entries 0", under)


@judges(("hbvn-saturated-update", "HBVN", "Vanishing and exploding gradients",
         "When the hidden activations are near 0 or 1 (line 226), the gradient, which contains f′(W₁X + b₁), is "
         "close to 0, so W₁ updates very slowly or not at all.",
         "correct", "As stated.", "",
         Quote(227, "具体表现",
               "由于梯度的计算包含 ( f’(W_1 X + b_1) ),整个梯度会接近 0,这意味着隐藏层的权重 ( W_1 ) 更新非常慢,甚至没有更新。",
               "Because the computation of the gradient contains f′(W₁X + b₁), the whole gradient will be close to 0, "
               "which means the hidden layer's weights W₁ update very slowly, or not at all.")))
def _saturated_update():
    rng = _rng(107)
    p = backprop.two_layer_init(3, 4, 1, rng)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    base = np.linalg.norm(backprop.two_layer_loss_and_grads(p, X, Y)[1]["W1"])
    p["b1"] = np.full(4, 20.0)                            # hidden activations σ(z) ≈ 1: saturated
    _, g = backprop.two_layer_loss_and_grads(p, X, Y)
    Z1 = X @ p["W1"].T + p["b1"]
    H = activations_np.sigmoid(Z1)
    delta = ((H @ p["W2"].T + p["b2"] - Y) / len(X)) @ p["W2"] * activations_np.sigmoid_grad(Z1)
    ratio = np.linalg.norm(g["W1"]) / base
    ok_book = _close(g["W1"], delta.T @ X) and float(np.max(activations_np.sigmoid_grad(Z1))) < 1e-6
    return Evidence(ratio < 1e-6, ok_book,
                    f"saturated hidden units (σ′ ≤ {np.max(activations_np.sigmoid_grad(Z1)):.0e}): ‖dL/dW₁‖ is "
                    f"{ratio:.0e} of its unsaturated value; dL/dW₁ = [(ŷ−y)W₂ ⊙ σ′(z)]ᵀX (rows are samples)")


@judges(("hbvn-solutions-ensure", "HBVN", "Vanishing and exploding gradients",
         "Solutions include ReLU, Batch Normalization and residual networks, to ensure that gradients stay stable "
         "during backpropagation and do not vanish layer by layer.",
         "imprecise", "They keep the gradient from vanishing (ReLU only with a matching initialization: with "
         "too-small weights a ReLU stack still vanishes), but none ensures it stays stable: a batch-normalized ReLU "
         "stack grows geometrically.", "initialization",
         Quote(259, "总结:",
               "解决方案包括使用 ReLU 激活函数Batch Normalization残差网络 等技术,来确保梯度在反向传播中保持稳定,不会逐层消失。",
               "Solutions include techniques such as the ReLU activation function, Batch Normalization and residual "
               "networks, to ensure that the gradient stays stable during backpropagation and does not vanish layer "
               "by layer.")))
def _tools_need_init():
    r = {s: _ratio("relu", s, 108)
         for s in ("too small", "he")}
    stable = 0.1 < r["he"] < 10
    bn = {a: _sigmoid_stack_ratios(s, a)["batch norm"] for a, s in (("sigmoid", "xavier"), ("relu", "he"))}
    return Evidence(r["too small"] > 1e-3 and bn["relu"] < 10, r["too small"] < 1e-3 and stable and bn["relu"] > 10,
                    f"30 ReLU layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: too-small weights {r['too small']:.1e}, "
                    f"He {r['he']:.2f}; with batch normalization: sigmoid {bn['sigmoid']:.2f}, ReLU {bn['relu']:.0f}",
                    "read as 'do not vanish', with a matching initialization for ReLU (He)",
                    stable and bn["sigmoid"] > 0.1)


@judges(("hbvn-grad-meaning", "HBVN", "Gradient descent",
         "∂L/∂W tells how the loss L changes when W is adjusted slightly.",
         "correct", "For any $V$ of $W$'s shape, $L(W + tV) - L(W)$ is "
         "$t \\sum_{ij} (\\partial L/\\partial W)_{ij} V_{ij}$ up to $o(t)$.", "",
         Quote(278, "梯度的定义",
               "这个偏导数告诉我们,当我们稍微调整权重 ( W ) 时,损失函数 ( L ) 会如何变化。",
               "This partial derivative tells us how the loss function L changes when we slightly adjust the "
               "weight W.")))
def _directional():
    rng = _rng(109)
    p = backprop.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    _, g = backprop.two_layer_loss_and_grads(p, X, Y)
    V = rng.standard_normal(p["W1"].shape)
    d = float(verify.directional_derivative(
        lambda W: backprop.two_layer_loss_and_grads(dict(p, W1=W), X, Y)[0], p["W1"], V, "central-difference"))
    pred = float(np.sum(g["W1"] * V))
    ok = abs(d - pred) <= 1e-8 * max(1.0, abs(pred))
    return Evidence(ok, ok, f"rate of change of L along a random V: {d:.8f} by central differences, "
                    f"⟨∂L/∂W₁, V⟩ = {pred:.8f}")


@judges(("hbvn-must-backward", "HBVN", "Hadamard product and backprop",
         "The loss's dependence on early layers cannot be computed directly but depends on how they affect later "
         "layers, so the gradient must be computed by passing from the output layer to the input layer.",
         "imprecise", "Forward-mode differentiation gives the same gradient with no backward pass (finite "
         "differences approximate it); backpropagation is the efficient way: one backward pass for all $P$ "
         "parameters instead of $P$ forward-mode passes ($2P$ forward passes for central differences).", "backprop",
         Quote(300, "梯度从输出层传递到输入层的原因",
               "每一层的输出依赖于前一层的输出,损失函数对早期层的影响无法直接计算,而是依赖于它如何影响后面的层。因此,梯度必须通过从输出层向输入层的传递来计算。",
               "Each layer's output depends on the previous layer's output; the loss's dependence on the early "
               "layers cannot be computed directly, but depends on how they affect the later layers. Therefore the "
               "gradient must be computed by passing from the output layer to the input layer.")))
def _forward_only_gradient():
    rng = _rng(110)
    p = backprop.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    calls = [0]

    def forward_loss(W):                                  # forward pass only, no backward propagation
        calls[0] += 1
        return 0.5 * float(np.sum((backprop.two_layer_forward(dict(p, W1=W), X) - Y) ** 2)) / len(X)
    fd = verify.numeric_gradient(forward_loss, p["W1"])
    _, g = backprop.two_layer_loss_and_grads(p, X, Y)
    same = _close(fd, g["W1"], 1e-7)
    widths = (784, 256, 10)                               # the cost of each way, multiply-adds counted
    c = backprop_sym.counted_passes(widths)
    P = backprop_sym.pass_costs(*widths)["params"]
    efficient = c["backward"] <= 2 * c["forward"] and 2 * P * c["forward"] > 1e4 * (c["forward"] + c["backward"])
    return Evidence(not same, same and efficient,
                    f"dL/dW₁ from {calls[0]} forward passes alone (central differences) equals backprop's "
                    f"(rel. error {verify.rel_error(fd, g['W1']):.0e}); for a 784-256-10 network backprop costs "
                    f"{c['forward'] + c['backward']:,} multiply-adds (counted), central differences "
                    f"{2 * P * c['forward']:.1e}",
                    "as the efficient way: one backward pass instead of 2P forward passes", efficient)


@judges(("hbvn-uses-dL-dH", "HBVN", "Hadamard product and backprop",
         "The hidden-layer gradients depend on the previously computed ∂L/∂H, because the hidden parameters "
         "affect the loss through the output layer.",
         "correct", "$\\partial L/\\partial W_1 = [\\partial L/\\partial H \\odot f'(Z_1)]^\\top X$, with the samples "
         "as the rows of $X$ and $Z_1$ (one sample, as a column: $[\\partial L/\\partial H \\odot f'(z_1)]\\, x^\\top$).", "",
         Quote(330, "反向传播步骤",
               "这里的梯度依赖于前面已经计算好的 ( \\frac{\\partial L}{\\partial H} ),因为隐藏层参数的影响通过输出层传递到了损失函数。",
               "The gradients here depend on the previously computed ∂L/∂H, because the influence of the hidden "
               "layer's parameters is passed to the loss function through the output layer.")))
def _from_dL_dH():
    rng = _rng(111)
    p = backprop.two_layer_init(3, 4, 2, rng)
    X, Y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    _, grads = backprop.two_layer_loss_and_grads(p, X, Y)
    Z1, c1 = backprop.affine_forward(X, p["W1"], p["b1"])
    Yh, c2 = backprop.affine_forward(activations_np.sigmoid(Z1), p["W2"], p["b2"])
    dH = backprop.affine_backward((Yh - Y) / len(X), c2).dx
    dZ = hadamard_np.elementwise_backward(dH, Z1, activations_np.sigmoid_grad)
    dW1 = backprop.affine_backward(dZ, c1).dW
    ok = _close(dW1, grads["W1"])
    return Evidence(ok, ok, "dL/dH from the output layer, then (dL/dH ⊙ σ′(Z₁))ᵀX (rows are samples), equals the verified dL/dW₁ "
                    f"(rel. error {verify.rel_error(dW1, grads['W1']):.0e})")


# ------------------------------------------------------------------ activations, normalization

@judges(("hbvn-small-activations", "HBVN", "Normalization",
         "Small activation values may make the network's updates very slow, even almost impossible.",
         "correct", "$\\partial L/\\partial W = \\delta x^\\top$ is proportional to the layer's input.", "",
         Quote(348, "1.1 数值不稳定",
               "较小的激活值:可能会使网络的更新速度变得非常慢,甚至几乎无法更新。",
               "Smaller activation values: may make the network's update speed very slow, or even almost unable "
               "to update.")))
def _small_inputs_small_updates():
    rng = _rng(112)
    W, b = rng.standard_normal((3, 4)), np.zeros(3)
    x, dout = rng.standard_normal((5, 4)), rng.standard_normal((5, 3))
    g1 = backprop.affine_backward(dout, backprop.affine_forward(x, W, b)[1]).dW
    g2 = backprop.affine_backward(dout, backprop.affine_forward(1e-3 * x, W, b)[1]).dW
    ok = _close(g2, 1e-3 * g1) and _close(g1, dout.T @ x)
    return Evidence(ok, ok, "affine layer, same upstream gradient: inputs ×10⁻³ → dL/dW ×10⁻³ exactly (dW = δᵀx, rows are samples)")


@judges(("hbvn-small-near-zero", "HBVN", "Activations",
         "Vanishing usually happens with sigmoid or tanh because their derivatives are very small near 0.",
         "incorrect", "$\\sigma'$ and $\\tanh'$ are largest at 0 ($1/4$ and $1$); they are tiny far from 0.",
         "activations",
         Quote(351, "1.2 梯度消失(Vanishing Gradient)",
               "这通常发生在**非线性激活函数(如 Sigmoid 或 Tanh)**的应用中,因为它们的导数在接近 0 时非常小,容易导致较早层的梯度趋于零。",
               "This usually happens with non-linear activation functions (such as Sigmoid or Tanh), because their "
               "derivatives are very small near 0, which easily drives the gradients of the earlier layers toward "
               "zero."),
         Quote(255, "总结:",
               "在使用 SigmoidTanh 等激活函数时,它们的导数在远离 0 的区域非常小,导致梯度在反向传播过程中逐层变小。",
               "when activation functions such as Sigmoid and Tanh are used, their derivatives are very small in "
               "the region far from 0, so the gradient becomes smaller layer by layer during backpropagation.")))
def _largest_at_zero():
    near, grid = np.linspace(-0.1, 0.1, 201), np.linspace(-10, 10, 200001)
    s_near, t_near = float(activations_np.sigmoid_grad(near).min()), float(activations_np.tanh_grad(near).min())
    s_far, t_far = float(activations_np.sigmoid_grad(np.array(5.0))), float(activations_np.tanh_grad(np.array(5.0)))
    s_grid, t_grid = activations_np.sigmoid_grad(grid), activations_np.tanh_grad(grid)
    book = (grid[np.argmax(s_grid)] == 0 and s_grid.max() == 0.25 and grid[np.argmax(t_grid)] == 0
            and t_grid.max() == 1.0)
    far_small = s_far < 0.01 and t_far < 0.001           # line 255's statement
    return Evidence(s_near < 0.01 and t_near < 0.001, bool(book) and far_small,
                    "read as inputs near 0, as line 255's contrast (far from 0) implies: "
                    f"on |z| ≤ 0.1, σ′ ≥ {s_near:.4f} and tanh′ ≥ {t_near:.4f} (their maxima 1/4 and 1 are at z = 0); "
                    f"at z = 5, σ′ = {s_far:.1e}, tanh′ = {t_far:.1e}, as line 255 says")


def _bn_weight_grads(c):
    """A batch-normalized layer BN(X (cW)ᵀ): its output and dL/dW for a fixed upstream gradient."""
    rng = _rng(113)
    X, W, G = rng.standard_normal((32, 8)), rng.standard_normal((6, 8)), rng.standard_normal((32, 6))
    out, cache = normalization.batchnorm_forward(X @ (c * W).T, np.ones(6), np.zeros(6), eps=1e-12)
    dZ = normalization.batchnorm_backward(G, cache)[0]
    return out, dZ.T @ X                                  # dL/dW' at W' = cW, through Z = X W'ᵀ


@judges(("hbvn-norm-keeps-gradients", "HBVN", "Normalization",
         "Normalization (layer or batch norm) can help alleviate or solve these problems; the key is that it "
         "controls each layer's output range, so that every layer's activations and gradients stay in an "
         "appropriate range.",
         "imprecise", "It keeps the backpropagated gradient from vanishing and removes the weights' scale, but it "
         "bounds neither the gradient (a deep ReLU stack still grows geometrically) nor $\\partial L/\\partial W$ "
         "($\\propto 1/c$ for weights $cW$).", None,
         Quote(368, "2. 为什么标准化能解决这些问题?",
               "标准化(如层归一化、批归一化)能够帮助缓解或解决上述问题,其关键在于它控制每层输出的数值范围,从而使得每一层的激活值和梯度都保持在一个适当的范围内。",
               "Standardization (such as layer normalization and batch normalization) can help alleviate or solve "
               "the problems above; the key is that it controls the numerical range of each layer's output, so "
               "that every layer's activations and gradients stay within an appropriate range.")))
def _normalized_gradients():
    r = {a: _sigmoid_stack_ratios(s, a)["batch norm"] for a, s in (("sigmoid", "xavier"), ("tanh", "too large"),
                                                                    ("relu", "he"))}
    in_range = {a: 1e-2 < v < 1e2 for a, v in r.items()}     # within a factor 100 over 30 layers
    out1, g1 = _bn_weight_grads(1.0)
    out2, g2 = _bn_weight_grads(10.0)
    ratio = float(np.linalg.norm(g1) / np.linalg.norm(g2))
    return Evidence(all(in_range.values()), in_range["sigmoid"] and not in_range["relu"] and abs(ratio / 10 - 1) < 1e-2,
                    "30 layers with batch normalization before each activation, ‖dL/dh₀‖/‖dL/dh₃₀‖: "
                    + ", ".join(f"{a} {v:.2g}" for a, v in r.items())
                    + f"; a batch-normalized layer with weights ×10 gives the same outputs and ‖dL/dW‖/{ratio:.1f}",
                    "for sigmoid and tanh layers, the activations the source discusses",
                    in_range["sigmoid"] and in_range["tanh"])


@judges(("hbvn-norm-updates", "HBVN", "Normalization",
         "Normalization keeps each layer's output in a fixed range, preventing values that are too large or too "
         "small and ensuring that the update sizes during training are neither too large nor too small.",
         "incorrect", "The outputs are fixed whatever the weights' scale $c$, but $\\partial L/\\partial W$ scales "
         "as $1/c$: normalization does not bound the updates.", "normalization",
         Quote(501, "3. 总结:标准化如何解决数值不稳定、梯度消失与梯度爆炸问题",
               "数值不稳定:标准化将每层的输出控制在一个固定范围内,防止数值过大或过小,确保模型在训练时的更新幅度不会过大或过小。",
               "Numerical instability: standardization keeps each layer's output within a fixed range, preventing "
               "values that are too large or too small, and ensures that the model's update sizes during training "
               "are neither too large nor too small.")))
def _normalized_layer_weight_scale():
    out1, g1 = _bn_weight_grads(1.0)
    out2, g2 = _bn_weight_grads(1e-3)
    same_out = _close(out2, out1, 1e-6)
    ratio = float(np.linalg.norm(g2) / np.linalg.norm(g1))
    return Evidence(same_out and 0.1 <= ratio <= 10, same_out and abs(ratio * 1e-3 - 1) < 1e-4,
                    f"batch-normalized layer with weights cW: the same outputs at c = 1 and 10⁻³ (rel. error "
                    f"{verify.rel_error(out2, out1):.0e}), but ‖dL/dW‖ is {ratio:.0f} times larger at c = 10⁻³")


@judges(("hbvn-zscore-result", "HBVN", "Normalization",
         "Normalization subtracts the mean and divides by the standard deviation, giving data with mean 0 and "
         "standard deviation 1.",
         "correct", "As stated (population standard deviation).", "",
         Quote(372, H_NORM,
               "归一化的核心步骤是将数据通过减去均值除以标准差,从而得到一个具有均值为 0标准差为 1 的标准化数据分布。",
               "The core step of normalization is to subtract the mean from the data and divide by the standard "
               "deviation, thereby obtaining a standardized data distribution with mean 0 and standard deviation 1.")))
def _zscore_mean0_std1():
    x = _rng(114).standard_normal(1000) * 7 + 3
    z = normalization.zscore(x)
    ok = abs(float(z.mean())) < 1e-12 and abs(float(z.std()) - 1) < 1e-12
    return Evidence(ok, ok, f"zscore of 1000 values: mean {z.mean():.0e}, standard deviation {z.std():.15f}")


@judges(("hbvn-mean-def", "HBVN", "Normalization", "The mean is μ = (1/n) Σ xᵢ.", "correct", "As stated.", "",
         Quote(378, H_NORM, "\\mu = \\frac{1}{n} \\sum_{i=1}^{n} x_i", "μ = (1/n) Σ_{i=1}^{n} x_i")),
        ("hbvn-variance-def", "HBVN", "Normalization", "The variance is σ² = (1/n) Σ (xᵢ − μ)².",
         "correct", "As stated (the population variance, the book's convention).", "",
         Quote(384, H_NORM, "\\sigma^2 = \\frac{1}{n} \\sum_{i=1}^{n} (x_i - \\mu)^2",
               "σ² = (1/n) Σ_{i=1}^{n} (x_i − μ)²")),
        ("hbvn-zscore-def", "HBVN", "Normalization", "Each point is normalized as x̂ᵢ = (xᵢ − μ)/σ.",
         "correct", "As stated.", "",
         Quote(391, H_NORM, "\\hat{x}_i = \\frac{x_i - \\mu}{\\sigma}", "x̂_i = (x_i − μ)/σ")))
def _zscore_formulas():
    x = _rng(115).standard_normal(9) * 4 + 1
    mu_ = sum(x) / len(x)
    var = sum((v - mu_) ** 2 for v in x) / len(x)
    z = normalization.zscore(x)
    ok = _close(z, (x - mu_) / np.sqrt(var), 1e-13)
    ex = normalization_sym.worked_example()
    ok = ok and ex["mean"] == sp.Rational(166, 5) and ex["var"] == sp.Rational(35574, 25)
    return Evidence(ok, ok, "normalization.zscore equals (x − (1/n)Σx)/√((1/n)Σ(x − μ)²) on random data; on "
                    f"(100, 50, 10, 5, 1) μ = {ex['mean']}, σ² = {ex['var']}")


def _cv_of_gaps(v):
    g = np.diff(np.sort(v))
    return float(g.std() / g.mean())


@judges(("hbvn-more-compact", "HBVN", "Normalization",
         "After normalization the data concentrate near the mean, and their range becomes more compact and "
         "uniform.",
         "incorrect", "The range is divided by $\\sigma$ (it shrinks only if $\\sigma > 1$); the shape, and how "
         "evenly the points are spread, is unchanged.", "normalization",
         Quote(395, H_NORM,
               "经过这个过程,所有数据点的分布会集中在均值附近,并且这些数据的分布范围会变得更加紧凑和均匀。",
               "After this process, the distribution of all data points concentrates near the mean, and the range "
               "of the data becomes more compact and uniform.")),
        ("hbvn-smaller-range", "HBVN", "Normalization",
         "Together the two steps make the standardized points spread more evenly over a smaller range.",
         "incorrect", "The range is divided by $\\sigma$ (it shrinks only if $\\sigma > 1$); the spacing of the "
         "points keeps its proportions.", "normalization",
         Quote(457, H_BIGSMALL,
               "这两个步骤结合起来,导致了原始数据经过标准化后,数据点更加均匀地分布在一个较小的范围内",
               "These two steps combined cause the data points, after standardization, to be distributed more "
               "evenly within a smaller range")))
def _shape_unchanged():
    big = np.array(normalization_sym.EXAMPLE, float)       # σ ≈ 37.7
    small = big / 100                                     # σ ≈ 0.377
    res = {}
    for name, x in (("σ < 1", small), ("σ > 1", big)):
        z = normalization.zscore(x)
        res[name] = (np.ptp(z) < np.ptp(x), _cv_of_gaps(z) < _cv_of_gaps(x) - 1e-9, np.ptp(x), np.ptp(z),
                     _close(np.diff(np.sort(z)), np.diff(np.sort(x)) / x.std(), 1e-12))
    src = res["σ < 1"][0] and res["σ < 1"][1]
    under = res["σ > 1"][0] and res["σ > 1"][1]
    book = res["σ < 1"][4] and res["σ > 1"][4]
    return Evidence(src, book,
                    f"(100, 50, 10, 5, 1)/100 (σ < 1): range {res['σ < 1'][2]:.2f} → {res['σ < 1'][3]:.2f}, larger; "
                    f"(100, 50, 10, 5, 1): range {res['σ > 1'][2]:.0f} → {res['σ > 1'][3]:.2f}, but in both every gap "
                    "is divided by the same σ, so the spacing is no more even",
                    "when σ > 1", under)


@judges(("hbvn-center-subtract", "HBVN", "Normalization",
         "Values far above the mean have a larger mean subtracted, which shortens their distance to the center; "
         "smaller points have a smaller mean subtracted, which increases their distance to the center.",
         "incorrect", "The same $\\mu$ is subtracted from every point: centring is a shift and leaves every "
         "distance to the mean unchanged.", "normalization",
         Quote(404, H_CENTER,
               "例如,假设有一些数据值远高于均值,它们会被减去一个较大的均值,从而缩短与中心的距离。反之,较小的数据点则会被减去一个较小的均值,增加与中心的距离。",
               "For example, suppose some data values are far above the mean; a larger mean is subtracted from them, "
               "shortening their distance to the center. Conversely, a smaller mean is subtracted from the smaller "
               "data points, increasing their distance to the center.")),
        ("hbvn-center-x1", "HBVN", "Normalization",
         "If x₁ = 100 and μ = 50, then x₁ − μ = 50, and the point is moved toward the center.",
         "incorrect", "The arithmetic is right, but the distance to the mean is 50 before and after.",
         "normalization",
         Quote(408, H_CENTER,
               "如果数据点 ( x_1 = 100 ),均值 ( \\mu = 50 ),那么 ( x_1 - \\mu = 100 - 50 = 50 ),数据点被向中心移动。",
               "If the data point x₁ = 100 and the mean μ = 50, then x₁ − μ = 100 − 50 = 50, and the data point is "
               "moved toward the center.")),
        ("hbvn-center-x2", "HBVN", "Normalization",
         "If x₂ = 10 and μ = 50, then x₂ − μ = −40, and the point is relatively moved toward the center.",
         "incorrect", "The arithmetic is right, but the distance to the mean is 40 before and after.",
         "normalization",
         Quote(409, H_CENTER,
               "如果数据点 ( x_2 = 10 ),均值 ( \\mu = 50 ),那么 ( x_2 - \\mu = 10 - 50 = -40 ),数据点被相对向中心移动。",
               "If the data point x₂ = 10 and the mean μ = 50, then x₂ − μ = 10 − 50 = −40, and the data point is "
               "relatively moved toward the center.")),
        ("hbvn-center-shrink", "HBVN", "Normalization",
         "Subtracting the mean makes points far from the center shrink toward the mean, while points near the "
         "mean do not change noticeably.",
         "incorrect", "Subtracting $\\mu$ shifts every point by the same amount; every distance to the mean is "
         "unchanged.", "normalization",
         Quote(411, H_CENTER,
               "这种操作会使得原本偏离中心的数据点向均值收缩,而原本靠近均值的数据点不会有明显的变化。",
               "This operation makes data points originally far from the center shrink toward the mean, while data "
               "points originally close to the mean do not change noticeably.")))
def _centering_is_a_shift():
    ex = normalization_sym.worked_example()
    xs, mu_ = ex["x"], ex["mean"]
    centred = [v - mu_ for v in xs]
    new_mu = normalization_sym.stats(centred)[0]
    before = [abs(v - mu_) for v in xs]
    after = [abs(c - new_mu) for c in centred]
    subtracted = {v - c for v, c in zip(xs, centred)}
    # the source's own numbers: x₁ = 100, x₂ = 10, μ = 50 (after centring the center is 0)
    own = [(abs(x - 50), abs((x - 50) - 0)) for x in (100, 10)]
    shrinks = any(a < b for a, b in zip(after, before)) or any(a < b for b, a in own)
    book = all(a == b for a, b in zip(after, before)) and len(subtracted) == 1 and new_mu == 0
    return Evidence(shrinks, book,
                    f"the source's numbers: x₁ = 100 is {own[0][0]} from the mean before centring and {own[0][1]} after; "
                    f"x₂ = 10 is {own[1][0]} and {own[1][1]}; on (100, 50, 10, 5, 1) the same μ = {float(mu_)} is subtracted from every "
                    "point and every |xᵢ − μ| is unchanged")


@judges(("hbvn-divide-larger-sd", "HBVN", "Normalization",
         "A larger x_i is divided by a larger standard deviation, which reduces its variation so it no longer "
         "deviates excessively from the mean.",
         "incorrect", "Every point is divided by the same $\\sigma$.", "normalization",
         Quote(419, H_DIVIDE,
               "较大的数 ( x_i ) 被除以较大的标准差,会使得它的变化幅度缩小,从而数据点不再过度偏离均值。",
               "A larger number x_i is divided by a larger standard deviation, which reduces its amplitude of "
               "variation, so the data point no longer deviates excessively from the mean."),
         Quote(420, H_DIVIDE,
               "较小的数 ( x_i ) 被除以同样的标准差时",
               "when a smaller number x_i is divided by the same standard deviation")))
def _same_divisor():
    x = np.array(normalization_sym.EXAMPLE, float)
    z = normalization.zscore(x)
    div = (x - x.mean()) / z
    larger = div[np.argmax(x)] > div[np.argmin(x)] * (1 + 1e-9)
    same = bool(np.allclose(div, div[0], rtol=1e-12, atol=0))
    return Evidence(larger, same and bool(np.isclose(div[0], x.std(), rtol=1e-12, atol=0)),
                    "(xᵢ − μ)/x̂ᵢ on (100, 50, 10, 5, 1): " + ", ".join(f"{v:.4f}" for v in div)
                    + " — one σ for every point, as line 420 says")


@judges(("hbvn-relatively-larger", "HBVN", "Normalization",
         "A smaller x_i divided by the same standard deviation becomes relatively somewhat larger.",
         "incorrect", "Dividing every centred value by one $\\sigma$ keeps their ratios.", "normalization",
         Quote(420, H_DIVIDE,
               "较小的数 ( x_i ) 被除以同样的标准差时,它的数值会变得相对较大一些。",
               "When a smaller number x_i is divided by the same standard deviation, its value becomes relatively "
               "somewhat larger.")),
        ("hbvn-relatively-closer", "HBVN", "Normalization",
         "Smaller values are expanded, so that they are relatively closer to the mean.",
         "incorrect", "Each point's distance to the mean, measured in standard deviations, is unchanged.",
         "normalization",
         Quote(455, H_BIGSMALL,
               "较小的值扩展,使得它们相对更加靠近均值。",
               "Smaller values are expanded, so that they are relatively closer to the mean.")))
def _relative_positions_unchanged():
    x = np.array(normalization_sym.EXAMPLE, float)
    c, z = x - x.mean(), normalization.zscore(x)
    r_before, r_after = abs(c[-1] / c[0]), abs(z[-1] / z[0])          # smallest vs largest point
    d_before, d_after = np.abs(c) / x.std(), np.abs(z - z.mean()) / z.std()
    changed = (r_after > r_before * (1 + 1e-9)) or bool(np.any(d_after < d_before * (1 - 1e-9)))
    book = np.isclose(r_before, r_after, rtol=1e-12) and _close(d_after, d_before, 1e-12)
    return Evidence(changed, bool(book),
                    f"|x₅ − μ|/|x₁ − μ| = {r_before:.4f} before, |x̂₅/x̂₁| = {r_after:.4f} after; distances to the mean "
                    "in standard deviations: " + ", ".join(f"{v:.3f}" for v in d_before) + " before and after")


def _sample_mu50_sd20():
    """The smallest sample containing 100 and 10 with mean 50 and standard deviation 20 (n = 11)."""
    s = np.sqrt((4400 - 4100 - 100 / 9) / 8)
    rest = 50 - 10 / 9 + s * np.array([1, -1, 1, -1, 1, -1, 1, -1, 0])
    return np.concatenate([[100.0, 10.0], rest])


@judges(("hbvn-example-compressed", "HBVN", "Normalization",
         "Now the large value has been compressed and the small value has grown in absolute value, so the "
         "distribution becomes more uniform and extreme values are suppressed.",
         "incorrect", "With the source's own numbers $50 \\to 2.5$ and $-40 \\to -2$: both divided by 20, the ratio "
         "$1.25$ is unchanged and $|{-2}| < |{-40}|$.", "normalization",
         Quote(427, H_DIVIDE,
               "此时,大的数值已经被压缩,小的数值在绝对值上有所增大,从而数据的整体分布变得更加均匀,数据的极端值被抑制。",
               "At this point the large value has been compressed and the small value has increased somewhat in "
               "absolute value, so the overall distribution of the data becomes more uniform and the extreme values "
               "are suppressed.")))
def _source_example_ratio():
    x = _sample_mu50_sd20()
    z = normalization.zscore(x)
    z1, z2 = float(z[0]), float(z[1])
    grew = abs(z2) > abs(10 - 50) or abs(z2) > 10
    compressed = abs(z1 / z2) < 50 / 40 * (1 - 1e-9)
    book = np.isclose(abs(z1 / z2), 50 / 40, rtol=1e-12) and np.isclose(x.mean(), 50) and np.isclose(x.std(), 20)
    return Evidence(grew and compressed, bool(book),
                    f"on an 11-point sample with μ = 50, σ = 20 (the smallest size that allows them): 100 → {z1:.2f}, "
                    f"10 → {z2:.2f}; |x̂₁/x̂₂| = {abs(z1 / z2):.3f} = 50/40, and |x̂₂| = {abs(z2):.0f} is smaller than "
                    "both 40 and 10")


@judges(("hbvn-gap-disparity", "HBVN", "Normalization",
         "Dividing by the standard deviation makes the range of fluctuation consistent, so the gap between large "
         "and small values is no longer so disparate.",
         "imprecise", "Every gap is divided by $\\sigma$: absolute gaps shrink only if $\\sigma > 1$; measured "
         "against the spread, or against each other, they are unchanged.", "normalization",
         Quote(448, "让数据的标准差为 1",
               "这个操作使得数据的波动范围变得一致,从而大值和小值的差距不再过于悬殊。",
               "This operation makes the range of fluctuation of the data consistent, so the gap between large and "
               "small values is no longer so disparate.")))
def _gap_disparity():
    x = np.array(normalization_sym.EXAMPLE, float)       # σ ≈ 37.7
    gaps = {}
    for name, v in (("σ > 1", x), ("σ < 1", x / 100)):
        z = normalization.zscore(v)
        gaps[name] = (np.ptp(v), np.ptp(z), _close(np.diff(np.sort(z)), np.diff(np.sort(v)) / v.std(), 1e-12))
    shrinks = {k: g[1] < g[0] for k, g in gaps.items()}
    return Evidence(all(shrinks.values()), all(g[2] for g in gaps.values()),
                    f"max − min: (100, 50, 10, 5, 1) {gaps['σ > 1'][0]:.0f} → {gaps['σ > 1'][1]:.2f}; the same data "
                    f"/100 (σ < 1) {gaps['σ < 1'][0]:.2f} → {gaps['σ < 1'][1]:.2f}; in both every gap is divided by σ",
                    "when σ > 1 (absolute gaps; the source's example 99 → 2.62)", shrinks["σ > 1"])


@judges(("hbvn-example-mean", "HBVN", "Normalization",
         "The mean of (100, 50, 10, 5, 1) is 33.2.",
         "correct", "As stated.", "",
         Quote(471, "原始数据", "\\mu = \\frac{100 + 50 + 10 + 5 + 1}{5} = 33.2",
               "μ = (100 + 50 + 10 + 5 + 1)/5 = 33.2")))
def _example_mean():
    m = normalization_sym.worked_example()["mean"]
    ok = m == sp.Rational(332, 10)
    return Evidence(ok, ok, f"SymPy: mean = {m} = {float(m)}")


@judges(("hbvn-example-symmetric", "HBVN", "Normalization",
         "In the example, the extreme values (100 and 1) are compressed into a smaller range, and all points are "
         "distributed symmetrically around 0.",
         "incorrect", "The range shrinks here because $\\sigma \\approx 37.7 > 1$, but the z-scores are as skewed as "
         "the data.", "normalization",
         Quote(496, "归一化后的数据",
               "我们可以看到,原始数据中的极端值(如 100 和 1)经过归一化后,被压缩到了一个较小的范围内,并且所有数据点都围绕着 0,对称分布。",
               "We can see that the extreme values of the original data (such as 100 and 1), after normalization, "
               "are compressed into a smaller range, and all data points are distributed symmetrically around 0.")))
def _example_not_symmetric():
    ex = normalization_sym.worked_example()
    z = np.array([float(v) for v in ex["z"]])
    s_x, s_z = float(normalization_sym.skewness(ex["x"])), float(normalization_sym.skewness(ex["z"]))
    smaller = np.ptp(z) < np.ptp(np.array(normalization_sym.EXAMPLE, float))
    return Evidence(bool(smaller) and abs(s_z) < 1e-12, abs(s_x - s_z) < 1e-12 and abs(s_z) > 0.1,
                    f"range 99 → {np.ptp(z):.2f} (smaller, as σ > 1), but skewness {s_x:.3f} before and {s_z:.3f} "
                    "after: not symmetric")
