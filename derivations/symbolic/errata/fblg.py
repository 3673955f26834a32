"""The errata's sentence-by-sentence pass over FBLG (forward-backward-losses-gradient-descent.zh.txt): each checkable sentence
that the first reading (:mod:`.by_topic`) does not judge, with the evidence that judges it."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ... import verify
from ...numeric import activations as activations_np
from ...numeric import backprop, losses
from ...numeric import gradient_descent as gradient_descent_np
from ...numeric import vanishing_exploding as vanishing_exploding_np
from .. import gradient_descent as gradient_descent_sym
from .. import vanishing_exploding as vanishing_exploding_sym
from . import Evidence, judges, Quote, _close, _rng
from .by_topic import _ratio, _two_layer

H12, H21, H22, H31, H32, H33 = "1.2 计算过程", "2.1 概念", "2.2 计算过程", "3.1 梯度下降", "3.2 梯度爆炸", "3.3 梯度消失"


# ------------------------------------------------------------------ forward pass (lines 15, 17)

def _layer_shapes(layer: int):
    """The shapes the source states for layer 1 (W1 m x n, b1 m x 1) or 2 (W2 p x m, b2 p x 1),
    against the book's two-layer network with n inputs, m hidden units, p outputs."""
    n, m, p = 4, 3, 2
    rng = _rng(40)
    params = backprop.two_layer_init(n, m, p, rng)
    stated = {1: ((m, n), (m, 1)), 2: ((p, m), (p, 1))}[layer]
    W, b = params[f"W{layer}"], params[f"b{layer}"]
    x_in = rng.standard_normal((n if layer == 1 else m, 1))          # a column input of the layer
    # the source's layer with matrices of its stated shapes, W x + b (column convention)
    Ws, bs = rng.standard_normal(stated[0]), rng.standard_normal(stated[1])
    out_shape = (Ws @ x_in + bs).shape
    source = W.shape == stated[0] and b.reshape(-1, 1).shape == stated[1] and out_shape == (stated[0][0], 1)
    # the book: its batched layer x W^T + b with its own shapes maps (N, D_in) to (N, D_out)
    X = rng.standard_normal((5, n))
    H = backprop.affine_forward(X, params["W1"], params["b1"])[0]
    out = backprop.affine_forward(H, params["W2"], params["b2"])[0]
    book = H.shape == (5, m) and out.shape == (5, p) and backprop.two_layer_forward(params, X).shape == (5, p)
    inp = "x" if layer == 1 else "a₁"
    return Evidence(source, book,
                    f"n, m, p = {n}, {m}, {p}: the book's W{layer} is {W.shape}, b{layer} has {b.size} entries; "
                    f"W{layer}{inp} + b{layer} with the stated shapes {stated[0]}, {stated[1]} gives {out_shape}")


@judges(("fblg-hidden-shapes", "FBLG", "Hadamard product and backprop",
         "With n inputs and m hidden units, W₁ is m × n and b₁ is m × 1.",
         "correct", "As stated.", "",
         Quote(15, H12,
               "对于输入层到隐藏层的连接,设权重矩阵为 W 1 W_1 W1 维度为(m x n),偏置向量为 b 1 b_1 b1 维度为(m x 1)。",
               "For the connection from the input layer to the hidden layer, let the weight matrix W₁ have dimension (m × n) and the bias vector b₁ have dimension (m × 1).")))
def _hidden_shapes():
    return _layer_shapes(1)


@judges(("fblg-output-shapes", "FBLG", "Hadamard product and backprop",
         "With m hidden units and p outputs, W₂ is p × m and b₂ is p × 1.",
         "correct", "As stated.", "",
         Quote(17, H12,
               "从隐藏层到输出层,设权重矩阵为 W 2 W_2 W2 维度为(p x m),偏置向量为 b 2 b_2 b2 维度为(p x 1)。",
               "From the hidden layer to the output layer, let the weight matrix W₂ have dimension (p × m) and the bias vector b₂ have dimension (p × 1).")))
def _output_shapes():
    return _layer_shapes(2)


def _net(seed, n=4, m=5, p=2, N=6):
    rng = _rng(seed)
    params = backprop.two_layer_init(n, m, p, rng)
    params["b1"], params["b2"] = 0.5 * rng.standard_normal(m), 0.5 * rng.standard_normal(p)
    return params, 2 * rng.standard_normal((N, n)), rng.standard_normal((N, p))


@judges(("fblg-hidden-forward", "FBLG", "Hadamard product and backprop",
         "The hidden layer computes z₁ = W₁x + b₁ and a₁ = f(z₁), with f for instance ReLU, max(0, z), or the sigmoid, 1/(1 + e^{−z}).",
         "correct", "As stated.", "",
         Quote(15, H12,
               "隐藏层的输入为 z 1 = W 1 x + b 1 z_1=W_1x+b_1 z1=W1x+b1 ,然后通过激活函数 f f f (如 ReLU( f ( z ) = m a x ( 0 , z ) f(z)=max(0,z) f(z)=max(0,z))、Sigmoid ( f ( z ) = 1 1 + e − z f(z)=\\frac{1}{1+e^{-z}} f(z)=1+ez1)等)得到隐藏层的输出 a 1 = f ( z 1 ) a_1=f(z_1) a1=f(z1)",
               "The hidden layer's input is z₁ = W₁x + b₁; then, through an activation function f (such as ReLU, f(z) = max(0, z), or Sigmoid, f(z) = 1/(1 + e^{−z})), the hidden layer's output a₁ = f(z₁) is obtained (each formula is repeated in flattened renderings).")))
def _hidden_forward():
    params, X, _ = _net(41)
    stated = {"relu": lambda z: np.maximum(0, z), "sigmoid": lambda z: 1 / (1 + np.exp(-z))}
    errs = {}
    for name, f in stated.items():
        a1 = f(params["W1"] @ X.T + params["b1"][:, None])            # z1 = W1 x + b1, one column per sample
        y = (params["W2"] @ a1 + params["b2"][:, None]).T
        errs[name] = verify.rel_error(y, backprop.two_layer_forward(params, X, name))
    z = np.linspace(-30, 30, 601)
    book = {"relu": verify.rel_error(activations_np.relu(z), np.maximum(0, z)),
            "sigmoid": verify.rel_error(activations_np.sigmoid(z), 1 / (1 + np.exp(-z)))}
    return Evidence(max(errs.values()) < 1e-12, max(book.values()) < 1e-12,
                    "f(W₁x + b₁) with f = max(0, z) and 1/(1 + e^{−z}) reproduces the book's network output "
                    f"(rel. errors {errs['relu']:.0e}, {errs['sigmoid']:.0e}); the book's relu and sigmoid equal "
                    f"these formulas on [−30, 30] ({book['relu']:.0e}, {book['sigmoid']:.0e})")


@judges(("fblg-output-forward", "FBLG", "Hadamard product and backprop",
         "The output layer computes z₂ = W₂a₁ + b₂ and, through an activation if needed, the output y = f(z₂).",
         "correct", "As stated (the book's network has a linear output, $y = z_2$).", "",
         Quote(17, H12,
               "输出层的输入为 z 2 = W 2 a 1 + b 2 z_2=W_2a_1+b_2 z2=W2a1+b2 ,再通过激活函数(如果需要)得到最终的输出 y = f ( z 2 ) y=f(z_2) y=f(z2)。",
               "The output layer's input is z₂ = W₂a₁ + b₂; then, through an activation function (if needed), the final output y = f(z₂) is obtained.")))
def _output_forward():
    params, X, _ = _net(42)
    a1 = activations_np.tanh(params["W1"] @ X.T + params["b1"][:, None])
    z2 = params["W2"] @ a1 + params["b2"][:, None]                     # the source's z2 = W2 a1 + b2
    err = verify.rel_error(z2.T, backprop.two_layer_forward(params, X, "tanh"))   # f = identity
    H = activations_np.tanh(backprop.affine_forward(X, params["W1"], params["b1"])[0])
    chained = backprop.affine_forward(H, params["W2"], params["b2"])[0]
    return Evidence(err < 1e-12, _close(chained, backprop.two_layer_forward(params, X, "tanh")),
                    f"W₂a₁ + b₂ (columns) against the book's network output: rel. error {err:.0e} "
                    "(the book's output activation is the identity)")


@judges(("fblg-softmax", "FBLG", "Losses",
         "In a multi-class task the output layer may use Softmax to turn the outputs into a probability distribution over the classes.",
         "correct", "As stated.", "",
         Quote(17, H12,
               "例如,在一个多分类任务中,输出层可能使用 Softmax 激活函数将输出转化为各个类别上的概率分布。",
               "For example, in a multi-class task the output layer may use a Softmax activation function to turn the output into a probability distribution over the classes.")))
def _softmax_distribution():
    z = _rng(43).standard_normal((6, 5)) * np.array([[1], [1], [10], [100], [1000], [1e4]])
    q = losses.softmax(z)
    dist = bool(np.all(q >= 0)) and _close(q.sum(axis=1), np.ones(6), 1e-14)
    moderate = z[:3]
    naive = np.exp(moderate) / np.exp(moderate).sum(axis=1, keepdims=True)
    return Evidence(dist, dist and _close(q[:3], naive, 1e-13),
                    f"softmax of logits up to ±1e4: entries in [{q.min():.0e}, {q.max():.2f}], row sums within "
                    f"{np.max(np.abs(q.sum(axis=1) - 1)):.0e} of 1; equal to e^z/Σe^z where that does not overflow")


# ------------------------------------------------------------------ backpropagation (lines 24, 42, 44, 51)

@judges(("fblg-backprop-grads", "FBLG", "Hadamard product and backprop",
         "Backpropagation, based on the chain rule and starting from the output layer, computes the gradient of the loss with respect to every weight and bias, for updating them in training.",
         "correct", "As stated.", "",
         Quote(24, H21,
               "它是基于链式法则,从输出层开始,反向计算损失函数关于网络中每个参数(权重和偏置)的梯度,以便在训练过程中更新参数,使得模型的预测输出与真实标签之间的损失函数值最小化。",
               "It is based on the chain rule: starting from the output layer, it computes backwards the gradient of the loss function with respect to every parameter (weights and biases) of the network, so that the parameters can be updated during training to minimize the loss between the model's predicted output and the true labels.")))
def _backprop_all_params():
    params, X, Y = _net(44, N=3)
    loss, grads = backprop.two_layer_loss_and_grads(params, X, Y, "tanh")
    errs = {}
    for k in backprop.PARAMS:
        def phi(v, k=k):
            return backprop.two_layer_loss_and_grads({**params, k: v}, X, Y, "tanh")[0]
        errs[k] = verify.rel_error(grads[k], verify.numeric_gradient(phi, params[k]))
    ok = max(errs.values()) < 1e-7
    step = gradient_descent_np.gd_step(params, grads, 1e-2)
    lower = backprop.two_layer_loss_and_grads(step, X, Y, "tanh")[0] < loss
    return Evidence(ok, ok and lower,
                    "the backward pass against central differences, per parameter: "
                    + ", ".join(f"{k} {v:.0e}" for k, v in errs.items()) + "; one step along them lowers the loss")


@judges(("fblg-chain-W2", "FBLG", "Hadamard product and backprop",
         "By the chain rule, ∂L/∂W₂ = ∂L/∂z₂ · ∂z₂/∂W₂.",
         "correct", "As stated, the product a contraction over the entries of $z_2$: "
         "$\\partial L/\\partial W_2 = (\\partial L/\\partial z_2)\\, a_1^\\top$.", "",
         Quote(42, H22,
               "\\frac{\\partial L}{\\partial {W}_2} = \\frac{\\partial L}{\\partial {z}_2} \\frac{\\partial {z}_2}{\\partial {W}_2}",
               "∂L/∂W₂ = ∂L/∂z₂ · ∂z₂/∂W₂")))
def _chain_W2():
    p, x, h, z, fpz, e, grads = _two_layer(K=2)                  # e = ŷ − y = ∂L/∂z₂ (linear output)
    W2, b2 = p["W2"], p["b2"]
    # ∂z₂/∂W₂ as a 3-index array J[k, i, j], by central differences of the book's affine layer
    J = np.stack([verify.numeric_gradient(lambda W, k=k: backprop.affine_forward(h[None], W, b2)[0][0, k], W2)
                  for k in range(len(b2))])
    chain = np.einsum("k,kij->ij", e, J)
    return Evidence(_close(chain, grads["W2"], 1e-8), _close(np.outer(e, h), grads["W2"]),
                    f"∂L/∂z₂ contracted with the 3-index ∂z₂/∂W₂ (shape {J.shape}) equals the verified dL/dW₂ "
                    f"(rel. error {verify.rel_error(chain, grads['W2']):.0e}), i.e. (∂L/∂z₂) a₁ᵀ")


@judges(("fblg-dz2-chain", "FBLG", "Hadamard product and backprop",
         "For y = f(z₂), ∂L/∂z₂ = ∂L/∂y · ∂y/∂z₂.",
         "correct", "As stated; for an elementwise activation the product is elementwise, "
         "$\\partial L/\\partial z_2 = \\partial L/\\partial y \\odot f'(z_2)$; for softmax it is the row "
         "$\\partial L/\\partial y$ times the full Jacobian $\\partial y/\\partial z_2$.", "",
         Quote(44, H22,
               "所以 ∂ L ∂ z 2 = ∂ L ∂ y ⋅ ∂ y ∂ z 2 \\frac{\\partial L}{\\partial z_2} = \\frac{\\partial L}{\\partial y} \\cdot \\frac{\\partial y}{\\partial z_2}",
               "Therefore ∂L/∂z₂ = ∂L/∂y · ∂y/∂z₂ (a flattened rendering, then the LaTeX).")))
def _dz2_chain():
    rng = _rng(45)
    z2, t = 2 * rng.standard_normal(5), rng.random(5)
    errs = {}
    for name, (f, fp) in backprop.ACTIVATION_PAIRS.items():
        measured = verify.numeric_gradient(lambda v: losses.mse(f(v), t)[0], z2)
        errs[name] = verify.rel_error(losses.mse(f(z2), t)[1] * fp(z2), measured)
    jac = losses.mse(activations_np.sigmoid(z2), t)[1] @ np.diag(activations_np.sigmoid_grad(z2))
    ok = max(errs.values()) < 1e-7
    return Evidence(ok, ok and _close(jac, losses.mse(activations_np.sigmoid(z2), t)[1] * activations_np.sigmoid_grad(z2)),
                    "MSE after y = f(z₂): ∂L/∂y ⊙ f′(z₂) against central differences in z₂: "
                    + ", ".join(f"{k} {v:.0e}" for k, v in errs.items()) + " (the row ∂L/∂y times diag f′ is the same)")


@judges(("fblg-linear-grad", "FBLG", "Activations",
         "For the linear activation y = z₂, ∂y/∂z₂ = 1.",
         "correct", "As stated (the identity matrix for vectors).", "",
         Quote(51, H22,
               "那么 ∂ y ∂ z 2 = 1 \\frac{\\partial y}{\\partial z_2}=1",
               "then ∂y/∂z₂ = 1")))
def _linear_grad():
    params, X, Y = _net(46, N=1)
    # the book's network has the linear output y = z₂ = W₂a₁ + b₂ and ∂z₂/∂b₂ = I: ∂y/∂b₂ is ∂y/∂z₂
    J = np.stack([verify.numeric_gradient(lambda b, k=k: backprop.two_layer_forward({**params, "b2": b}, X)[0, k],
                                          params["b2"]) for k in range(len(params["b2"]))])
    I = np.eye(len(params["b2"]))
    _, grads = backprop.two_layer_loss_and_grads(params, X, Y)
    dL_dy = (backprop.two_layer_forward(params, X) - Y)[0]          # ½‖ŷ − y‖², one sample
    return Evidence(_close(J, I, 1e-8), _close(grads["b2"], dL_dy),
                    f"∂y/∂z₂ of the book's linear output by central differences: {np.round(J, 6).tolist()}; "
                    "its backward pass passes dL/dy through unchanged (dL/db₂ = dL/dy)")


# ------------------------------------------------------------------ gradient descent (lines 67, 70, 74, 78)

def _double_well_run(x0, y0, lr=0.1, steps=400):
    """Gradient descent with the book's gd_step on L(x, y) = x⁴/4 − x²/2 + y²/2: minima at
    (±1, 0), a saddle point at (0, 0)."""
    p = {"x": np.array([x0]), "y": np.array([y0])}
    for _ in range(steps):
        p = gradient_descent_np.gd_step(p, {"x": p["x"] ** 3 - p["x"], "y": p["y"]}, lr)
    return float(p["x"][0]), float(p["y"][0])


@judges(("fblg-gd-minimum", "FBLG", "Gradient descent",
         "The basic idea of gradient descent is to update the parameters against the gradient, lowering the objective step by step until a local minimum (non-convex case) or the global minimum (convex case) is found.",
         "imprecise", "Only with a step size below $2/\\lambda_{\\max}$ of the Hessian; above it the iterates "
         "diverge, even on a convex quadratic. On a non-convex function it can also stop at a saddle point.",
         "gradient-descent",
         Quote(67, H31,
               "它的基本思想是沿着目标函数梯度(导数)的反方向更新模型参数,以逐步降低目标函数的值,直到找到一个局部最小值(在非凸函数情况下)或全局最小值(在凸函数情况下)。",
               "Its basic idea is to update the model parameters in the direction opposite to the gradient (derivative) of the objective function, so as to lower the objective's value step by step, until a local minimum (for non-convex functions) or the global minimum (for convex functions) is found.")))
def _gd_minimum():
    rng = _rng(47)
    A = gradient_descent_sym.random_spd(4, rng)
    lam = float(np.max(np.linalg.eigvalsh(A)))
    w0 = rng.standard_normal(4)
    convex = {f: float(np.linalg.norm(gradient_descent_sym.run_quadratic(A, w0, f / lam, 300)[-1])) for f in (1.9, 2.1)}
    found = lambda pt: abs(abs(pt[0]) - 1) < 1e-6 and abs(pt[1]) < 1e-6   # noqa: E731 a minimum (±1, 0)
    saddle, off = _double_well_run(0.0, 1.0), _double_well_run(0.01, 1.0)
    return Evidence(convex[2.1] < 1e-6 and found(saddle),
                    convex[1.9] < 1e-6 and convex[2.1] > 1e3,
                    f"convex quadratic, 300 steps: α = 1.9/λ_max → ‖w − w*‖ = {convex[1.9]:.0e}, α = 2.1/λ_max → "
                    f"{convex[2.1]:.0e}; x⁴/4 − x²/2 + y²/2 from (0, 1) ends at ({saddle[0]:.0e}, {saddle[1]:.0e}), "
                    f"a saddle, from (0.01, 1) at ({off[0]:.3f}, {off[1]:.0e}), a minimum",
                    "for a function bounded below with a minimizer, with a step size below 2/λ_max, from a start not "
                    "attracted to a saddle point",
                    convex[1.9] < 1e-6 and found(off))


@judges(("fblg-descent-direction", "FBLG", "Gradient descent",
         "Gradient descent updates the parameters in the direction opposite to the gradient, −∇L(θ).",
         "correct", "As stated: the slope along $-\\nabla L$ is $-\\lVert \\nabla L \\rVert^2 < 0$.", "",
         Quote(70, H31,
               "那么,梯度下降算法就是朝着与梯度相反的方向,即 − ∇ L ( θ ) -\\nabla L(\\theta) L(θ) 来更新参数。",
               "So the gradient-descent algorithm updates the parameters in the direction opposite to the gradient, that is −∇L(θ).")))
def _descent_direction():
    rng = _rng(48)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    p = {"W": rng.standard_normal((1, 3)), "b": np.zeros(1)}
    L0, g = gradient_descent_np.least_squares_loss_and_grads(p, X, Y)
    down = gradient_descent_np.least_squares_loss_and_grads(gradient_descent_np.gd_step(p, g, 1e-3), X, Y)[0]
    up = gradient_descent_np.least_squares_loss_and_grads({k: p[k] + 1e-3 * g[k] for k in p}, X, Y)[0]
    flat = np.concatenate([p["W"].ravel(), p["b"]])
    gflat = np.concatenate([g["W"].ravel(), g["b"]])

    def L(v):
        return gradient_descent_np.least_squares_loss_and_grads({"W": v[:3].reshape(1, 3), "b": v[3:]}, X, Y)[0]
    slope = float(verify.directional_derivative(L, flat, -gflat, "central-difference"))
    return Evidence(down < L0 < up, abs(slope + gflat @ gflat) <= 1e-6 * (gflat @ gflat),
                    f"loss {L0:.4f}: a step of 1e-3 along −∇L gives {down:.4f}, along +∇L {up:.4f}; "
                    f"slope along −∇L {slope:.4f} = −‖∇L‖² = {-(gflat @ gflat):.4f}")


@judges(("fblg-lr-step", "FBLG", "Gradient descent",
         "The learning rate α sets the size of each update step.",
         "correct", "As stated: the step is $\\alpha \\lVert \\nabla L \\rVert$ long.", "",
         Quote(74, H31,
               "其中 α \\alpha α 是学习率(Learning Rate),它决定了每次更新参数的步长大小。",
               "where α is the learning rate, which determines the size of the step of each parameter update.")))
def _lr_step():
    rng = _rng(49)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 1))
    p = {"W": rng.standard_normal((1, 3)), "b": rng.standard_normal(1)}
    _, g = gradient_descent_np.least_squares_loss_and_grads(p, X, Y)
    gnorm = np.sqrt(sum(np.sum(v ** 2) for v in g.values()))
    lens = {a: float(np.sqrt(sum(np.sum((gradient_descent_np.gd_step(p, g, a)[k] - p[k]) ** 2) for k in p)))
            for a in (0.01, 0.1, 1.0)}
    per_alpha = [v / a for a, v in lens.items()]
    return Evidence(max(per_alpha) - min(per_alpha) <= 1e-12 * max(per_alpha),
                    all(abs(v - a * gnorm) <= 1e-12 * a * gnorm for a, v in lens.items()),
                    "step lengths for α = 0.01, 0.1, 1: " + ", ".join(f"{v:.4g}" for v in lens.values())
                    + f" = α‖∇L‖ (‖∇L‖ = {gnorm:.4g})")


@judges(("fblg-sgd-update", "FBLG", "Gradient descent",
         "SGD updates θ_new = θ_old − α∇L(f(x_i; θ), y_i) with one randomly chosen sample.",
         "correct", "As stated (the gradient with respect to $\\theta$).", "",
         Quote(78, H31,
               "\\theta_{\\text{new}} = \\theta_{\\text{old}} - \\alpha \\nabla L(f(x_i; \\theta), y_i)",
               "θ_new = θ_old − α ∇L(f(x_i; θ), y_i)")))
def _sgd_update():
    rng = _rng(50)
    X, Y = rng.standard_normal((8, 3)), rng.standard_normal((8, 1))
    p0 = {"W": rng.standard_normal((1, 3)), "b": np.zeros(1)}
    lr = 0.05
    got, _ = gradient_descent_np.sgd(gradient_descent_np.least_squares_loss_and_grads, p0, X, Y, lr, 1, 1,
                                     np.random.default_rng(7))
    p_src, p_book = dict(p0), dict(p0)
    for i in np.random.default_rng(7).permutation(len(X)):      # the same random order of samples
        # the source: ∇_θ L(f(x_i; θ), y_i) for L = ½(f − y)², f = Wx + b, written out
        r = float((p_src["W"] @ X[i])[0] + p_src["b"][0] - Y[i, 0])
        p_src = {"W": p_src["W"] - lr * r * X[i][None], "b": p_src["b"] - lr * np.array([r])}
        # the book: its per-sample gradient and gd_step
        g = gradient_descent_np.least_squares_loss_and_grads(p_book, X[i:i + 1], Y[i:i + 1])[1]
        p_book = gradient_descent_np.gd_step(p_book, g, lr)
    src = all(_close(got[k], p_src[k]) for k in p0)
    book = all(_close(got[k], p_book[k]) for k in p0)
    return Evidence(src, book, "one epoch of the book's sgd with batch size 1 equals θ ← θ − α∇L(f(x_i; θ), y_i) "
                    "over the 8 samples in the same random order")


# ------------------------------------------------------------------ exploding and vanishing (lines 90, 100-102)

@judges(("fblg-layer-product", "FBLG", "Vanishing and exploding gradients",
         "In a deep network the gradient reaching earlier layers is passed back by multiplying layer after layer.",
         "correct", "As stated: $\\partial L/\\partial h_0 = W_1^\\top D_1 \\cdots W_d^\\top D_d\\, \\partial L/\\partial h_d$.", "",
         Quote(90, H32,
               "对于一个有很多层的网络,每一层的误差对前面各层参数的梯度是通过层层相乘的方式来传递的。",
               "For a network with many layers, the gradient of each layer's error with respect to the earlier layers' parameters is passed on by multiplying layer after layer.")))
def _layer_product():
    derived, product = vanishing_exploding_sym.jacobian_product_proof(depth=3, width=2)
    proved = sp.simplify(derived - product) == sp.zeros(*derived.shape)
    rng = _rng(51)
    weights = vanishing_exploding_np.init_stack(5, 4, "xavier", rng)
    x, g = rng.standard_normal((1, 4)), rng.standard_normal((1, 4))
    out, cache = vanishing_exploding_np.stack_forward(x, weights, "tanh")
    back = vanishing_exploding_np.stack_backward(g, cache)[0][0]
    explicit = g[0]
    for W, z in zip(reversed(weights), reversed(cache[0])):
        explicit = W.T @ (activations_np.tanh_grad(z[0]) * explicit)
    return Evidence(proved, proved and _close(back, explicit),
                    "SymPy: dL/dh₀ of a 3-layer stack (f undefined) equals the product W₁ᵀD₁W₂ᵀD₂W₃ᵀD₃ g; the book's "
                    f"backward pass through 5 tanh layers equals the explicit product (rel. error {verify.rel_error(back, explicit):.0e})")


@judges(("fblg-product-below", "FBLG", "Vanishing and exploding gradients",
         "With many layers, if every layer's local derivative is below 1, the gradient decays exponentially.",
         "imprecise", "With a common bound $c < 1$ on the factors the gradient shrinks at least like $c^d$; factors "
         "below 1 that approach 1 need not make it vanish.", "vanishing-exploding",
         Quote(100, H33,
               "当网络层数较多时,如果每一层的局部导数都小于 1,经过多层相乘传递后,梯度就会呈指数级衰减。",
               "When the network has many layers, if every layer's local derivative is less than 1, then after being multiplied through many layers the gradient decays exponentially.")))
def _product_below_one():
    rng = _rng(52)
    depth, width, c = 50, 16, 0.9
    weights = [c * np.linalg.qr(rng.standard_normal((width, width)))[0] for _ in range(depth)]   # ‖W‖₂ = 0.9, tanh′ ≤ 1
    n = vanishing_exploding_np.layer_gradient_norms(rng.standard_normal((8, width)), weights, "tanh", rng=rng)
    per_layer = n[:-1] / n[1:]
    # factors below 1 that approach 1: ReLU layers on positive inputs with W_l = (1 − 1/(l+1)²) I
    slow = [(1 - 1 / (l + 1) ** 2) * np.eye(width) for l in range(1, depth + 1)]
    m = vanishing_exploding_np.layer_gradient_norms(np.ones((1, width)), slow, "relu", rng=rng)
    bounded = n[0] / n[-1] <= c ** depth and n[0] / n[-1] < 1e-2 and bool(np.all(per_layer <= c * (1 + 1e-12)))
    return Evidence(bounded and m[0] / m[-1] < 1e-2, bounded and m[0] / m[-1] > 0.4,
                    f"{depth} tanh layers with ‖W‖₂ = {c}: every layer multiplies the gradient norm by at most "
                    f"{per_layer.max():.3f}; ‖dL/dh₀‖/‖dL/dh₅₀‖ = {n[0] / n[-1]:.1e} ≤ {c}⁵⁰ = {c ** depth:.1e}. "
                    f"{depth} layers with factors 1 − 1/(l+1)², each below 1: ratio {m[0] / m[-1]:.2f}",
                    "with a common bound c < 1 on the factors", bounded)


@judges(("fblg-init-small", "FBLG", "Initialization",
         "If the initial weights are too small, the gradients are small from the start and, as training iterates and they are multiplied through many layers, easily shrink until they vanish.",
         "correct", "As stated: the small gradients are multiplied through the layers within a backward pass "
         "(computed at the initial weights).", "",
         Quote(101, H33,
               "如果权重初始值设置得太小,在开始反向传播计算梯度时,得到的梯度值本身就比较小,随着训练迭代,在经过多层网络的传递过程中,小梯度不断相乘累积,就容易造成梯度越来越小,直至出现梯度消失状况。",
               "If the initial weights are set too small, the gradient values obtained when backpropagation first computes them are already fairly small; as training iterates, while passing through many layers the small gradients keep multiplying and accumulating, which easily makes the gradient smaller and smaller until vanishing gradients occur.")))
def _init_too_small():
    r = {(a, s): _ratio(a, s, 53)
         for a, s in (("tanh", "too small"), ("relu", "too small"), ("tanh", "xavier"), ("relu", "he"))}
    small = r[("tanh", "too small")] < 1e-6 and r[("relu", "too small")] < 1e-6
    return Evidence(small, small and 0.1 < r[("tanh", "xavier")] < 10 and 0.1 < r[("relu", "he")] < 10,
                    "30 layers, ‖dL/dh₀‖/‖dL/dh₃₀‖: " + ", ".join(f"{a} {s} {v:.1e}" for (a, s), v in r.items()))


@judges(("fblg-sigmoid-saturation", "FBLG", "Activations",
         "The sigmoid's derivative tends to 0 for large or small inputs.",
         "correct", "As stated: $\\sigma'(z) \\le e^{-\\lvert z \\rvert}$.", "",
         Quote(102, H33,
               "像 Sigmoid 函数,其导数在输入值较大或较小时趋近于 0。",
               "Like the Sigmoid function: its derivative tends to 0 when the input value is large or small.")))
def _sigmoid_tails():
    z = np.array([5.0, 10.0, 20.0, 40.0])
    right, left = activations_np.sigmoid_grad(z), activations_np.sigmoid_grad(-z)
    grid = np.linspace(-40, 40, 80001)
    bound = bool(np.all(activations_np.sigmoid_grad(grid) <= np.exp(-np.abs(grid)) * (1 + 1e-12)))
    tends = bool(np.all(np.diff(right) < 0) and np.all(np.diff(left) < 0) and max(right[-1], left[-1]) < 1e-15)
    return Evidence(tends, bound and tends,
                    "σ′(±5), σ′(±10), σ′(±20), σ′(±40) = " + ", ".join(f"{v:.1e}" for v in right)
                    + f"; σ′(z) ≤ e^(−|z|) on [−40, 40]: {bound}")


@judges(("fblg-saturation-depth", "FBLG", "Vanishing and exploding gradients",
         "In deeper networks, after several layers the neurons' inputs easily fall where the derivative is near 0, and multiplying by these tiny derivatives at every layer makes the gradient vanish.",
         "imprecise", "A sigmoid stack with standard initialization vanishes without saturating: "
         "$\\sigma' \\le 1/4$ at every layer is enough. Its units saturate only when the weights are large, and "
         "larger weights also offset the small $\\sigma'$ (the evidence: more units saturate at "
         "$n \\operatorname{Var}(w) = 64$ than at 16, and the gradient vanishes less).",
         "vanishing-exploding",
         Quote(102, H33,
               "对于较深的神经网络,经过若干层后,神经元的输入很容易落入导数接近 0 的区间,这样后续反向传播计算梯度时,每层传递过来的梯度都会乘上这个极小的导数,从而使得梯度不断变小,最终出现梯度消失现象。",
               "For deeper neural networks, after several layers the neurons' inputs easily fall into the interval where the derivative is close to 0, so that when backpropagation later computes the gradients, the gradient passed through each layer is multiplied by this tiny derivative, making the gradient smaller and smaller until vanishing gradients finally appear.")))
def _saturation_depth():
    # the book's sigmoid stacks (30 layers, width 128), n Var(w) = 1 (standard) and 16 (the book's "too large");
    # "saturated": the share of units with σ′ below a tenth of its maximum 1/4
    runs = {c: vanishing_exploding_sym.stack_run("sigmoid", c, with_norms=False) for c in (1.0, 16.0, 64.0)}
    std, big, huge = runs[1.0], runs[16.0], runs[64.0]
    holds = {c: r.saturated >= 0.1 and r.ratio < 1e-3 for c, r in runs.items()}
    return Evidence(holds[1.0], std.ratio < 1e-10 and float(np.min(std.mean_fprime)) > 0.2
                    and huge.saturated > big.saturated and huge.ratio > big.ratio,
                    "saturated: σ′ below 1/40, 'easily' read as at least 10% of the units. "
                    f"Sigmoid, 30 layers, n·Var(w) = 1: ‖dL/dh₀‖/‖dL/dh₃₀‖ = {std.ratio:.0e} with a fraction {std.saturated:.0e} "
                    f"of the units saturated (mean σ′ ≥ {np.min(std.mean_fprime):.2f} at every layer); n·Var(w) = 16: "
                    f"{big.saturated:.0%} saturated, ratio {big.ratio:.0e}; n·Var(w) = 64: {huge.saturated:.0%} "
                    f"saturated, ratio {huge.ratio:.0e}",
                    "with large initial weights (n·Var(w) = 16), which saturate the units",
                    holds[16.0])
