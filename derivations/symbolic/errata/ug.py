"""The errata's sentence-by-sentence pass over UG (unstable-gradients.zh.txt): each checkable sentence
that the first reading (:mod:`.by_topic`) does not judge, with the evidence that judges it."""

from __future__ import annotations

import numpy as np
import sympy as sp

from ... import verify
from ...numeric import activations as activations_np
from ...numeric import backprop, normalization
from ...numeric import gradient_descent as gradient_descent_np
from ...numeric import vanishing_exploding as vanishing_exploding_np
from .. import gradient_descent as gradient_descent_sym
from . import Evidence, judges, Quote, _close, _rng
from .by_topic import _quadratic_runs, _ratio, _rnn_h0_grad_norms, _stack, _weight_grads

H_ROOT = "一、根本原因"
H_CONCEPTS = "1. 几个基本概念"
H_STEPS = "2. 反向传播步骤"
H_SHOW = "、具体表现"
H_FIX = "、影响与解决方案"

#: line 30, the source's correct statement of the update (the contradicting quote of line 42)
LINE30 = Quote(30, H_STEPS,
               "new_parameter = old_parameter - learning_rate * gradient",
               "new_parameter = old_parameter − learning_rate × gradient")


# ------------------------------------------------------------------ helpers

def _net(seed=60, activation="tanh"):
    rng = _rng(seed)
    p = backprop.two_layer_init(3, 4, 2, rng)
    p["b1"] = 0.1 * rng.standard_normal(4)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    loss, grads = backprop.two_layer_loss_and_grads(p, X, Y, activation)
    return p, X, Y, loss, grads


def _loss_at(p, X, Y, activation="tanh"):
    return lambda name: (lambda v: backprop.two_layer_loss_and_grads({**p, name: v}, X, Y, activation)[0])


# ------------------------------------------------------------------ depth

@judges(("ug-depth-accumulate", "UG", "Vanishing and exploding gradients",
         "As the number of layers grows, the gradient's changes accumulate layer by layer during backpropagation, which may lead to vanishing or exploding gradients.",
         "correct", "As stated: $\\partial L/\\partial h_0 = W_1^\\top D_1 \\cdots W_d^\\top D_d\\, \\partial L/\\partial h_d$.", "",
         Quote(4, H_ROOT,
               "随着网络层数的增加,梯度在反向传播过程中会逐层累积变化,这种变化可能导致梯度消失或梯度爆炸。",
               "As the number of layers increases, the gradient's changes accumulate layer by layer during backpropagation, and these changes may lead to vanishing or exploding gradients.")),
        ("ug-too-many-layers", "UG", "Vanishing and exploding gradients",
         "With too many layers these transformations may accumulate, making the gradient very small (vanishing) or very large (exploding).",
         "correct", "As stated: the per-layer factors multiply, so the effect grows exponentially with depth.", "",
         Quote(8, H_ROOT,
               "当层数过多时,这种变换可能会累积,导致梯度在反向传播过程中变得非常小(梯度消失)或非常大(梯度爆炸)。",
               "When there are too many layers, these transformations may accumulate, making the gradient very small (vanishing gradient) or very large (exploding gradient) during backpropagation.")))
def _depth_compounds():
    # the source: |log ratio| grows with depth, to extremes at depth 30 (ReLU, too small / too large)
    r = {(s, d): _ratio("relu", s, 61, depth=d) for s in ("too small", "too large") for d in (5, 15, 30)}
    grows = all(abs(np.log10(r[(s, 5)])) < abs(np.log10(r[(s, 15)])) < abs(np.log10(r[(s, 30)]))
                for s in ("too small", "too large"))
    source = grows and r[("too small", 30)] < 1e-6 and r[("too large", 30)] > 1e6
    # the book: dL/dh_0 is the product of the layers' Jacobians applied to dL/dh_d (one sample)
    W, cache, grads, hs = _stack("tanh", "xavier", 62, depth=6, width=5, n=1)
    g = grads[-1][0]
    for l in reversed(range(6)):
        g = g @ (np.diag(activations_np.tanh_grad(cache[0][l][0])) @ W[l])
    return Evidence(source, _close(g, grads[0][0], 1e-12),
                    "ReLU stacks, ‖dL/dh₀‖/‖dL/dh_d‖ at d = 5, 15, 30: too small "
                    + ", ".join(f"{r[('too small', d)]:.0e}" for d in (5, 15, 30)) + "; too large "
                    + ", ".join(f"{r[('too large', d)]:.0e}" for d in (5, 15, 30))
                    + f"; dL/dh₀ = the product of the Jacobians (rel. error {verify.rel_error(g, grads[0][0]):.0e})")


@judges(("ug-layer-transform", "UG", "Vanishing and exploding gradients",
         "Deep networks usually have several hidden layers, and each layer transforms the gradient in some way.",
         "correct", "Each layer multiplies the gradient by its Jacobian: $g_{l-1} = W_l^\\top (f'(z_l) \\odot g_l)$, with $g_l = \\partial L/\\partial h_l$.", "",
         Quote(8, H_ROOT,
               "深度神经网络通常包含多个隐藏层,每一层都会对梯度进行一定的变换。",
               "Deep neural networks usually contain several hidden layers, and each layer applies a certain transformation to the gradient.")))
def _layer_transforms():
    W, cache, grads, hs = _stack("tanh", "xavier", 63, depth=8, width=16)
    change = [np.linalg.norm(grads[l] - grads[l + 1]) / np.linalg.norm(grads[l + 1]) for l in range(8)]
    step = all(_close(grads[l], (grads[l + 1] * activations_np.tanh_grad(cache[0][l])) @ W[l], 1e-12)
               for l in range(8))
    return Evidence(min(change) > 0.1, step,
                    f"tanh stack of 8 layers: each layer changes the gradient by {min(change):.2f} to {max(change):.2f} "
                    "(relative), and each backward step is exactly (g ⊙ f′(z)) W")


# ------------------------------------------------------------------ activations and initialization

def _first_layer(scale):
    """A Xavier sigmoid stack (depth 10, width 64) on standardized inputs times ``scale``:
    mean and rms of sigma'(z_1), and ||dL/dh_0|| / ||dL/dh_1|| (same weights, same upstream)."""
    rng = _rng(64)
    W = vanishing_exploding_np.init_stack(10, 64, "xavier", rng)
    x = normalization.zscore(rng.standard_normal(256 * 64)).reshape(256, 64)
    up = rng.standard_normal(x.shape)
    _, cache = vanishing_exploding_np.stack_forward(scale * x, W, "sigmoid")
    g = vanishing_exploding_np.stack_backward(up, cache)
    fp = activations_np.sigmoid_grad(cache[0][0])
    return float(np.mean(fp)), float(np.sqrt(np.mean(fp ** 2))), float(np.linalg.norm(g[0]) / np.linalg.norm(g[1]))


@judges(("ug-saturation-shrinks", "UG", "Vanishing and exploding gradients",
         "This (derivatives near zero for very large or small inputs) makes the gradient shrink gradually during backpropagation, which in turn causes vanishing gradients.",
         "correct", "As stated: a layer passes the gradient on multiplied by $f'(z)$, so saturated units pass little.", "",
         Quote(10, H_ROOT,
               "这会导致梯度在反向传播过程中逐渐减小,进而引发梯度消失问题。",
               "This causes the gradient to shrink gradually during backpropagation, which in turn causes the vanishing-gradient problem.")))
def _saturation_shrinks():
    (m1, r1, t1), (m30, r30, t30) = _first_layer(1.0), _first_layer(30.0)
    return Evidence(m30 < m1 / 2 and t30 < t1 / 2, abs((t30 / t1) / (r30 / r1) - 1) < 0.15,
                    f"Xavier sigmoid stack, inputs ×30: mean σ′(z₁) {m1:.3f} → {m30:.3f}, the gradient passed through "
                    f"layer 1 shrinks ×{t30 / t1:.2f}, the ratio of the rms of σ′(z₁) ({r30 / r1:.2f})")


@judges(("ug-vanish-causes", "UG", "Vanishing and exploding gradients",
         "Vanishing is mainly caused by activations whose gradient tends to zero for large or small inputs, and by improper weight initialization, among other reasons.",
         "correct", "As stated (the list is open); a sigmoid stack vanishes even unsaturated, since $\\sigma' \\le 1/4$.", "",
         Quote(36, H_SHOW,
               "这主要是由于激活函数在输入值较大或较小时梯度趋近于零,以及权重初始化不当等原因造成的。",
               "This is mainly caused by the activation function's gradient tending to zero when its input is large or small, and by improper weight initialization, among other reasons.")))
def _vanish_causes():
    (_, _, t1), (_, _, t30) = _first_layer(1.0), _first_layer(30.0)
    small = _ratio("tanh", "too small", 66)
    sig = _ratio("sigmoid", "xavier", 66)
    W, cache, grads, hs = _stack("sigmoid", "xavier", 66)
    least_mean = min(float(np.mean(activations_np.sigmoid_grad(z))) for z in cache[0])
    return Evidence(t30 < t1 / 2 and small < 1e-6, least_mean > 0.15 and sig < 1e-4,
                    f"saturating layer 1 (inputs ×30) shrinks the gradient through it ×{t30 / t1:.2f}; tanh with too-small "
                    f"weights: ratio {small:.0e} over 30 layers; an unsaturated Xavier sigmoid stack (mean σ′ ≥ {least_mean:.2f} "
                    f"at every layer) still gives {sig:.0e}")


# ------------------------------------------------------------------ backprop

@judges(("ug-gradient-def", "UG", "Hadamard product and backprop",
         "The gradient is the partial derivative of the loss with respect to the network parameters, the rate of change of the loss with respect to them at that point.",
         "correct", "As stated: $\\nabla_\\theta L \\cdot v = \\tfrac{d}{dt} L(\\theta + t v)\\rvert_{t=0}$.", "",
         Quote(22, H_CONCEPTS,
               "梯度:损失函数相对于网络参数的偏导数,表示了损失函数在该点处相对于参数的变化率。",
               "Gradient: the partial derivatives of the loss function with respect to the network parameters, representing the rate of change of the loss with respect to the parameters at that point.")))
def _gradient_is_rate():
    p, X, Y, loss, grads = _net()
    at = _loss_at(p, X, Y)
    num = verify.numeric_gradient(at("W1"), p["W1"])
    v = _rng(67).standard_normal(p["W1"].shape)
    rate = float(verify.directional_derivative(at("W1"), p["W1"], v, "central-difference"))
    book = float(np.sum(grads["W1"] * v))
    return Evidence(_close(num, grads["W1"], 1e-7), abs(rate - book) <= 1e-7 * abs(book),
                    f"two-layer net: central differences of L in each entry of W₁ match backprop (rel. error "
                    f"{verify.rel_error(num, grads['W1']):.0e}); rate along a random direction {rate:.6f} = ∇L·v = {book:.6f}")


def _backward_by_hand(p, X, Y):
    """delta_2 = (Y_hat - Y)/N at the output, then back through W_2 and tanh' to layer 1."""
    Z1, c1 = backprop.affine_forward(X, p["W1"], p["b1"])
    Yh, c2 = backprop.affine_forward(activations_np.tanh(Z1), p["W2"], p["b2"])
    back2 = backprop.affine_backward((Yh - Y) / len(X), c2)          # output error -> dW2, dH
    dZ1 = back2.dx * activations_np.tanh_grad(Z1)                    # chain rule through tanh
    back1 = backprop.affine_backward(dZ1, c1)
    return back1.dW, back2.dW, dZ1


@judges(("ug-backward-order", "UG", "Hadamard product and backprop",
         "Starting from the output layer, the chain rule gives each hidden layer's error, layer by layer.",
         "correct", "As stated: $\\delta_l = (W_{l+1}^\\top \\delta_{l+1}) \\odot f'(z_l)$ from $\\delta_L$.", "",
         Quote(28, H_STEPS,
               "从输出层开始,使用链式法则逐层计算每个隐藏层的误差。",
               "Starting from the output layer, use the chain rule to compute each hidden layer's error, layer by layer.")),
        ("ug-backward-gradients", "UG", "Hadamard product and backprop",
         "The chain rule lets the output layer's error be propagated back to every layer and each layer's gradient be computed.",
         "correct", "As stated: $\\partial L/\\partial W_l = \\delta_l h_{l-1}^\\top$.", "",
         Quote(28, H_STEPS,
               "链式法则允许我们将输出层的误差反向传播到每一层,并计算每层的梯度。",
               "The chain rule allows us to propagate the output layer's error back to every layer and compute each layer's gradient.")))
def _backward_from_output():
    p, X, Y, loss, grads = _net()
    dW1, dW2, _ = _backward_by_hand(p, X, Y)
    at = _loss_at(p, X, Y)
    num1, num2 = verify.numeric_gradient(at("W1"), p["W1"]), verify.numeric_gradient(at("W2"), p["W2"])
    source = _close(dW1, num1, 1e-7) and _close(dW2, num2, 1e-7)
    return Evidence(source, _close(dW1, grads["W1"]) and _close(dW2, grads["W2"]),
                    "output error (Ŷ−Y)/N sent back through W₂ and tanh′: dL/dW₂, dL/dW₁ match central differences "
                    f"(rel. error {max(verify.rel_error(dW1, num1), verify.rel_error(dW2, num2)):.0e}) and the book's backprop")


@judges(("ug-neuron-gradient", "UG", "Hadamard product and backprop",
         "Each neuron's gradient is the partial derivative of the loss with respect to that neuron's weights.",
         "correct", "As stated: row $i$ of $\\partial L/\\partial W$ is $\\delta_i\\, x^\\top$, the derivative in neuron $i$'s incoming weights.", "",
         Quote(28, H_STEPS,
               "对于每一层,我们计算该层每个神经元的梯度,这个梯度表示了损失函数相对于该神经元权重的偏导数。",
               "For each layer we compute the gradient of every neuron of the layer; this gradient represents the partial derivative of the loss with respect to that neuron's weights.")))
def _neuron_row():
    p, X, Y, loss, grads = _net()
    rows = []
    for i in range(p["W1"].shape[0]):
        def phi(w, i=i):
            W1 = p["W1"].copy()
            W1[i] = w
            return backprop.two_layer_loss_and_grads({**p, "W1": W1}, X, Y, "tanh")[0]
        rows.append(verify.numeric_gradient(phi, p["W1"][i]))
    _, _, dZ1 = _backward_by_hand(p, X, Y)
    source = all(_close(r, grads["W1"][i], 1e-7) for i, r in enumerate(rows))
    book = all(_close(grads["W1"][i], dZ1[:, i] @ X) for i in range(len(rows)))
    return Evidence(source, book, f"each of the {len(rows)} rows of dL/dW₁ equals the central-difference gradient in that "
                    "neuron's incoming weights alone, and δᵢ xᵀ summed over the batch")


# ------------------------------------------------------------------ gradient descent

@judges(("ug-gd-rule", "UG", "Gradient descent",
         "Gradient descent updates new_parameter = old_parameter − learning_rate × gradient, the learning rate controlling the step size.",
         "correct", "As stated: $\\theta \\leftarrow \\theta - \\eta\\, \\nabla_\\theta L$.", "",
         Quote(30, H_STEPS,
               "梯度下降算法的更新公式为:new_parameter = old_parameter - learning_rate * gradient,其中learning_rate是学习率,用于控制更新的步长。",
               "The gradient-descent update formula is new_parameter = old_parameter - learning_rate * gradient, where learning_rate is the learning rate, used to control the step size of the update.")))
def _gd_rule():
    p, X, Y, loss, grads = _net()
    steps = {lr: gradient_descent_np.gd_step(p, grads, lr) for lr in (0.01, 0.02)}
    size = {lr: np.sqrt(sum(np.sum((new[k] - p[k]) ** 2) for k in p)) for lr, new in steps.items()}
    formula = all(_close(new[k], p[k] - lr * grads[k]) for lr, new in steps.items() for k in p)
    after = backprop.two_layer_loss_and_grads(steps[0.01], X, Y, "tanh")[0]
    return Evidence(formula and abs(size[0.02] / size[0.01] - 2) < 1e-12, formula and after < loss,
                    f"gd_step = θ − η∇L; step length {size[0.01]:.2e} at η = 0.01, {size[0.02]:.2e} at 0.02; "
                    f"the loss falls {loss:.5f} → {after:.5f}")


@judges(("ug-update-is-gradient", "UG", "Gradient descent",
         "The update (size of change) of each weight, i.e. the gradient, is ΔW; a layer's gradient is the partial derivative of the loss with respect to its weight matrix.",
         "imprecise", "The update is $\\Delta W = -\\alpha\\, \\partial L/\\partial W$, the gradient times $-\\alpha$, as line 30 says.",
         "gradient-descent",
         Quote(42, H_SHOW,
               "假设神经网络每次反向传播时,对权重矩阵W中各个权重值的更新(变化量大小)即梯度为\\Delta W,某一层权重矩阵的梯度等于损失函数对该层权重矩阵的偏导数。",
               "Suppose that, at each backpropagation, the update (size of the change) of each weight in the weight matrix W, i.e. the gradient, is ΔW; the gradient of a layer's weight matrix equals the partial derivative of the loss with respect to that layer's weight matrix."),
         LINE30))
def _update_vs_gradient():
    p, X, Y, loss, grads = _net()
    lr = 0.1
    new = gradient_descent_np.gd_step(p, grads, lr)
    upd = {k: new[k] - p[k] for k in p}
    same = all(_close(upd[k], grads[k], 1e-9) for k in p)
    u, g = np.concatenate([upd[k].ravel() for k in p]), np.concatenate([grads[k].ravel() for k in p])
    cos = float(u @ g / (np.linalg.norm(u) * np.linalg.norm(g)))
    return Evidence(same, all(_close(upd[k], -lr * grads[k]) for k in p),
                    f"one step with α = {lr}: ‖update‖/‖gradient‖ = {np.linalg.norm(u) / np.linalg.norm(g):.2f}, "
                    f"cosine {cos:.3f}: the update is −α times the gradient, not the gradient",
                    "read as proportional: the update is a fixed multiple (−α) of the gradient",
                    abs(cos + 1) < 1e-12)


@judges(("ug-delta-quotient", "UG", "Gradient descent",
         "ΔW = ΔLoss / ΔW.",
         "incorrect", "$\\partial L/\\partial W = \\lim \\Delta L/\\Delta W$, and the update is $\\Delta W = -\\alpha\\, \\partial L/\\partial W$.",
         "gradient-descent",
         Quote(44, H_SHOW,
               "\\Delta W=\\frac{\\Delta Loss}{\\Delta W}",
               "ΔW = ΔLoss / ΔW")))
def _delta_quotient():
    w, c, h = sp.symbols("w c h", real=True)
    eta = gradient_descent_sym.eta
    L = (w - c) ** 2
    g = sp.diff(L, w)
    dW = sp.expand(gradient_descent_sym.gd_update(w, g) - w)              # the update, -eta dL/dw
    dLoss = sp.expand(L.subs(w, w + dW) - L)
    residual = sp.factor(sp.expand(dW ** 2 - dLoss))                      # dW = dLoss/dW  <=>  this = 0
    steps = sp.solve(residual, eta)
    quotient = sp.limit(((w + h - c) ** 2 - L) / h, h, 0)
    return Evidence(any(s.is_positive for s in steps), sp.simplify(quotient - g) == 0 and sp.simplify(dW + eta * g) == 0,
                    f"SymPy, L = (w − c)², ΔW = −η ∂L/∂w: ΔW² − ΔLoss = ${sp.latex(residual)}$, zero only for η = "
                    + ", ".join(str(v) for v in steps) + ": no gradient step satisfies it; read with line 42's ΔW = "
                    "the gradient, it is a difference quotient, equal to ∂L/∂w only in the limit")


@judges(("ug-lr-speed", "UG", "Gradient descent",
         "The learning rate α controls the speed of gradient descent; both too large and too small a value are bad.",
         "correct", "On a quadratic, convergence exactly when $0 < \\alpha < 2/\\lambda_{\\max}$, slow when $\\alpha\\lambda_{\\min} \\ll 1$.", "",
         Quote(50, H_SHOW,
               "\\alpha是学习率,它控制了整个神经网络梯度下降时的速度,该值过大过小都不好",
               "α is the learning rate; it controls the speed of gradient descent for the whole network, and too large or too small a value is bad")))
def _lr_speed():
    rng = _rng(68)
    A = gradient_descent_sym.random_spd(4, rng)
    lam = float(np.max(np.linalg.eigvalsh(A)))
    w0 = rng.standard_normal(4)
    final = {f: np.linalg.norm(gradient_descent_sym.run_quadratic(A, w0, f / lam, 300)[-1]) for f in (0.01, 1.0, 2.1)}
    start = np.linalg.norm(w0)
    source = final[0.01] > 0.3 * start and final[1.0] < 1e-3 * start and final[2.1] > 1e3 * start
    # the iteration's spectral radius at alpha = f / lambda_max is |1 - f| for f near 2 (lambda_min/lambda_max = 1/30)
    radius = {f: gradient_descent_sym.iteration_radius(A, f / lam) for f in (1.99, 2.01)}
    book = all(abs(r - abs(1 - f)) < 1e-9 for f, r in radius.items()) and radius[1.99] < 1 < radius[2.01]
    return Evidence(source, book, "quadratic, 300 steps from ‖w₀‖ = "
                    f"{start:.2f}: α = 0.01/λ_max → {final[0.01]:.2f}, 1/λ_max → {final[1.0]:.0e}, 2.1/λ_max → {final[2.1]:.0e}; "
                    f"the iteration's spectral radius is {radius[1.99]:.4f} at 1.99/λ_max and {radius[2.01]:.4f} at 2.01/λ_max")


# ------------------------------------------------------------------ how it shows

@judges(("ug-early-layers-slow", "UG", "Vanishing and exploding gradients",
         "Vanishing gradients: the gradient shrinks progressively during backpropagation, so hidden layers near the input update very slowly or not at all.",
         "correct", "As stated: $\\Delta W_l = -\\alpha\\, \\delta_l h_{l-1}^\\top$ shrinks with $\\delta_l$.", "",
         Quote(36, H_SHOW,
               "梯度消失:在反向传播过程中,梯度值逐渐减小,导致靠近输入层的隐藏层权重更新非常缓慢甚至无法更新。",
               "Vanishing gradients: during backpropagation the gradient values shrink progressively, so the weights of the hidden layers near the input layer are updated very slowly or not at all.")))
def _early_layers_slow():
    dW, W = _weight_grads("sigmoid", "xavier", 69)
    ratio = np.linalg.norm(dW[0]) / np.linalg.norm(dW[-1])
    params = {f"W{l}": w for l, w in enumerate(W)}
    new = gradient_descent_np.gd_step(params, {f"W{l}": g for l, g in enumerate(dW)}, 0.1)
    last = f"W{len(W) - 1}"
    rel = [np.linalg.norm(new[k] - w) / np.linalg.norm(w) for k, w in (("W0", W[0]), (last, W[-1]))]
    return Evidence(ratio < 1e-6, rel[0] < 1e-6 * rel[1] and _close(new[last] - W[-1], -0.1 * dW[-1], 1e-12),
                    f"30-layer Xavier sigmoid stack: ‖dL/dW₁‖/‖dL/dW₃₀‖ = {ratio:.0e}; one step θ − 0.1∇L moves W₃₀ by "
                    f"{rel[1]:.0e} of its norm and W₁ by {rel[0]:.0e}")


@judges(("ug-layers-differ", "UG", "Vanishing and exploding gradients",
         "The gradient updates ΔW of different layers differ, even by orders of magnitude when gradients vanish or explode.",
         "correct", "As stated: with a stable initialization they stay within an order of magnitude.", "",
         Quote(42, H_SHOW,
               "神经网络中不同层的权重矩阵的梯度更新\\Delta W是不一致的,甚至当发生梯度消失/爆炸时,数量级上都是不一致的",
               "The gradient updates ΔW of the weight matrices of different layers are not the same, and when vanishing/exploding gradients occur they differ even in order of magnitude")))
def _layers_differ():
    spread = {}
    for name, (a, s) in {"sigmoid, Xavier": ("sigmoid", "xavier"), "tanh, too large": ("tanh", "too large"),
                         "ReLU, He": ("relu", "he")}.items():
        n = [np.linalg.norm(g) for g in _weight_grads(a, s, 70)[0]]
        spread[name] = max(n) / min(n)
    source = spread["ReLU, He"] > 1 and spread["sigmoid, Xavier"] > 1e3 and spread["tanh, too large"] > 1e3
    return Evidence(source, spread["ReLU, He"] < 10 and min(spread["sigmoid, Xavier"], spread["tanh, too large"]) > 1e3,
                    "largest/smallest ‖dL/dW_l‖ over 30 layers: " + ", ".join(f"{k} {v:.1e}" for k, v in spread.items()))


@judges(("ug-explode-unstable", "UG", "Gradient descent",
         "Exploding gradients means the gradient becomes very large during backpropagation, so weight updates are too large and the network is unstable.",
         "correct", "A step $\\eta$ too large for the curvature ($\\eta\\lambda_{\\max} > 2$) diverges.", "",
         Quote(38, H_SHOW,
               "梯度爆炸指的是在反向传播过程中梯度值变得非常大,导致权重更新过大,网络不稳定。",
               "Exploding gradients means the gradient values become very large during backpropagation, making the weight updates too large and the network unstable.")))
def _explode_unstable():
    first, last, book, start = _quadratic_runs(71)
    return Evidence(first[100] > 50 * first[1] and last[100] > 1e3 * start and last[1] < start, book,
                    f"quadratic, same step α = 1/λ_max: with 100× larger gradients the first update is {first[100] / first[1]:.0f}× "
                    f"larger and after 40 steps ‖w‖ = {last[100]:.0e} (diverges) instead of {last[1]:.1e} (from {start:.2f})")


@judges(("ug-explode-where", "UG", "Vanishing and exploding gradients",
         "Explosion may happen with overly large values in matrix multiplications, or in RNNs with long-term dependencies.",
         "correct", "As stated: the gradient is multiplied by the weight matrices' Jacobians, once per layer or time step.", "",
         Quote(38, H_SHOW,
               "这可能发生在网络中存在数值不稳定的操作,例如矩阵乘法中的过大值,或者在循环神经网络(RNN)中存在长期依赖问题时。",
               "This may happen when the network contains numerically unstable operations, such as overly large values in matrix multiplications, or when a recurrent neural network (RNN) has long-term dependency problems.")))
def _explode_where():
    large, he = _ratio("relu", "too large", 72), _ratio("relu", "he", 72)
    norms = _rnn_h0_grad_norms(73)
    return Evidence(large > 1e6 and norms[1.5] > 100 * norms[0.9], 0.1 < he < 10 and norms[1.5] > 100 * norms[0.9],
                    f"ReLU, 30 layers: ratio {large:.0e} with too-large weights, {he:.2f} with He; tanh RNN over 30 steps: "
                    f"‖dL/dh₀‖ = {norms[0.9]:.1e} at ρ(W_hh) = 0.9, {norms[1.5]:.1e} at 1.5")


# ------------------------------------------------------------------ batch normalization

@judges(("ug-bn-inputs", "UG", "Normalization",
         "Batch normalization normalizes the input of every layer, making each layer's input distribution more stable.",
         "correct", "As stated: each feature has batch mean 0 and variance $s^2/(s^2+\\epsilon)$ whatever the weights.", "",
         Quote(58, H_FIX,
               "在每一层的输入处进行归一化操作,使每一层的输入分布更加稳定。",
               "Normalize at the input of every layer, making each layer's input distribution more stable.")))
def _bn_inputs():
    spans = {}
    for bn in (False, True):
        for s in ("too small", "too large"):
            W, cache, grads, hs = _stack("tanh", s, 74, batchnorm=bn)
            v = [float(np.var(z)) for z in cache[0]]
            spans[(bn, s)] = (min(v), max(v))
    source = all(0.9 < lo and hi < 1.1 for (bn, s), (lo, hi) in spans.items() if bn)
    z = _rng(75).standard_normal((32, 6)) * 1e-3 + 5.0
    out, _ = normalization.batchnorm_forward(z, np.ones(6), np.zeros(6))
    s2 = np.var(z, axis=0)
    book = _close(np.var(out, axis=0), s2 / (s2 + 1e-5), 1e-10) and np.max(np.abs(out.mean(axis=0))) < 1e-12
    return Evidence(source, book, "tanh stacks, variance of the pre-activations over 30 layers: "
                    + ", ".join(f"{'BN' if bn else 'plain'} {s} {lo:.0e}…{hi:.0e}" for (bn, s), (lo, hi) in spans.items()))


@judges(("ug-bn-eases", "UG", "Normalization",
         "Batch normalization also alleviates gradient instability to some extent.",
         "correct", "As stated: it undoes the weights' scale layer by layer; the activations' own factors $f'$ "
         "remain, and a deep ReLU stack still grows geometrically with depth.", "",
         Quote(58, H_FIX,
               "同时也在一定程度上缓解梯度不稳定问题",
               "and at the same time it also alleviates the gradient-instability problem to some extent")))
def _bn_eases():
    rng = _rng(76)
    W = vanishing_exploding_np.init_stack(30, 64, "too small", rng)
    r = {}
    for bn in (False, True):
        g = _stack("tanh", "too small", 76, weights=W, batchnorm=bn)[2]
        r[bn] = float(np.linalg.norm(g[0]) / np.linalg.norm(g[-1]))
    return Evidence(abs(np.log10(r[True])) < abs(np.log10(r[False])) / 5, r[False] < 1e-20 and 1e-2 < r[True] < 1e2,
                    f"30 tanh layers, too-small weights: ‖dL/dh₀‖/‖dL/dh₃₀‖ = {r[False]:.0e} plain, {r[True]:.1f} with batch norm")
