"""Exercises of the computational_graph chapter (computational_graph.html): the fork rule, the
backward pass of a ReLU network of d = 3 layers, the worked example and the caches' memory.

Batches are rows (docs/notation.md): a layer computes Z = A W^T + b, W (n_out, n_in).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..numeric import activations as activations_np
from ..numeric import backprop as backprop_np
from ..symbolic import computational_graph as graph_sym
from . import Exercise, Mistake, gradient_witness


# ------------------------------------------------------------------ the fork: a skip around tanh
#: The sizes (N, m) at which an answer is tried.
FORK_SIZES = ((4, 3), (2, 5), (3, 2))


def _inputs_fork(rng, size):
    N, m = size
    return rng.standard_normal((N, m)), rng.standard_normal((N, m)), rng.standard_normal((m, m)) / np.sqrt(m)


def _loss_fork(G, U, W2):
    """sum(G * Y_hat) for Y_hat = tanh(U) W2^T + U: its gradient on Y_hat is G (complex-step safe)."""
    return np.sum(G * (np.tanh(U) @ W2.T + U))


def du(G, U, W2):
    """dL/dU = (G W2) * tanh'(U) + G: the path through tanh and W2, plus the skip's; (N, m)."""
    return (G @ W2) * activations_np.tanh_grad(U) + G


# ------------------------------------------------------------------ a ReLU network of 3 layers
#: The sizes (N, n0, n1, n2, n3) at which an answer is tried.
MLP_SIZES = ((4, 3, 5, 2, 6), (2, 5, 3, 6, 4), (6, 4, 2, 5, 3))


def _inputs_mlp(rng, size):
    N, *widths = size
    out = [rng.standard_normal((N, widths[-1])), rng.standard_normal((N, widths[0]))]
    for n_in, n_out in zip(widths, widths[1:]):
        out += [rng.standard_normal((n_out, n_in)) / np.sqrt(n_in), 0.1 * rng.standard_normal(n_out)]
    return tuple(out)


def _loss_mlp(dY, X, W1, b1, W2, b2, W3, b3):
    """sum(dY * Y_hat) for the 3-layer ReLU network with an affine output (complex-step safe)."""
    A1 = activations_np.relu(X @ W1.T + b1)
    A2 = activations_np.relu(A1 @ W2.T + b2)
    return np.sum(dY * (A2 @ W3.T + b3))


def dW2(dY, X, W1, b1, W2, b2, W3, b3):
    """dL/dW2 from the package's mlp_forward and mlp_backward with f = ReLU; (n2, n1)."""
    _, caches = backprop_np.mlp_forward([(W1, b1), (W2, b2), (W3, b3)], X, "relu")
    _, grads = backprop_np.mlp_backward(dY, caches, "relu")
    return grads[1][0]


def _by_hand(dY, X, W1, b1, W2, b2, W3, b3, *, relu_at_output=False, relu_at_2=True, cache="A1"):
    """The backward pass written out, with a mistake switched on."""
    relu_grad = activations_np.relu_grad
    Z1 = X @ W1.T + b1
    A1 = np.maximum(Z1, 0)
    Z2 = A1 @ W2.T + b2
    Z3 = np.maximum(Z2, 0) @ W3.T + b3
    Delta3 = dY * relu_grad(Z3) if relu_at_output else dY
    Delta2 = (Delta3 @ W3) * relu_grad(Z2) if relu_at_2 else Delta3 @ W3
    return Delta2.T @ (A1 if cache == "A1" else Z1)


# ------------------------------------------------------------------ the worked example, redone
#: The exercise's input: x_2 != 1, so that forgetting the factor x_2 gives another number, and
#: both units on (z_1 = (0.35, 1.875)^T).
X_REDONE = [[2.0], [1.5]]
#: Every intermediate of the worked example at x = X_REDONE, by the package's kernels, step by step.
REDONE = graph_sym.worked_numbers(x=X_REDONE)
ROW, COL = 0, 1


def _the_complex_step_of_the_worked_loss(answer) -> bool:
    """The complex step of L = 1/2 (y_hat - y)^2 with respect to (W1)_{12}, at x = X_REDONE and
    the worked example's other inputs, equals the answer to 1e-9."""
    w = {k: np.array([[float(v) for v in row] for row in rows]) for k, rows in graph_sym.WORKED.items()}
    x, h = np.array(X_REDONE), 1e-30
    W1 = w["W1"].astype(complex)
    W1[ROW, COL] += 1j * h
    y_hat = w["W2"] @ activations_np.relu(W1 @ x + w["b1"]) + w["b2"]
    want = np.imag(0.5 * (y_hat - w["y"]) ** 2).item() / h
    return abs(float(answer) - want) <= 1e-9 * abs(want)


# ------------------------------------------------------------------ memory
MEM_DEPTH = 4
_COUNTS = graph_sym.memory_counts()
_AT = graph_sym.MEMORY_DEPTHS.index(MEM_DEPTH)
MEM_WIDTH, MEM_BATCH = graph_sym.MEMORY_WIDTH, graph_sym.MEMORY_BATCH


def _the_formula(answer) -> bool:
    """The answer equals the page's formula for the cached activations, 8 N sum_l (n_{l-1} + n_l)
    (cache_bytes_formula; the solution counts the arrays' bytes)."""
    return float(answer) == float(graph_sym.cache_bytes_formula([MEM_WIDTH] * (MEM_DEPTH + 1), MEM_BATCH))


_MLP_ARGS = ("the network of $d = 3$ layers $Z_\\ell = A_{\\ell-1} W_\\ell^\\top + \\mathbf{1} b_\\ell^\\top$, "
             "$A_0 = X \\in \\mathbb{R}^{N \\times n_0}$, $A_\\ell = \\mathrm{ReLU}(Z_\\ell)$ for $\\ell < 3$ and "
             "the affine output $\\hat Y = Z_3 \\in \\mathbb{R}^{N \\times n_3}$, with "
             "$W_\\ell \\in \\mathbb{R}^{n_\\ell \\times n_{\\ell-1}}$ and $b_\\ell \\in \\mathbb{R}^{n_\\ell}$ "
             "(1-D arrays); `dY` is $\\partial L / \\partial \\hat Y \\in \\mathbb{R}^{N \\times n_3}$")

EXERCISES = (
    Exercise(
        id="computational_graph.skip_fork", chapter="computational_graph",
        title="A skip around the activation: gradients add at the fork",
        statement="A network computes $\\hat y = W_2 f(W_1 x) + W_1 x$ with $f = \\tanh$ and $p = m$: the "
                  "first layer's output $u = W_1 x$ is used twice. In the batched layout, "
                  "$\\hat Y = \\tanh(U) W_2^\\top + U$ for $U \\in \\mathbb{R}^{N \\times m}$ (one sample per "
                  "row) and $W_2 \\in \\mathbb{R}^{m \\times m}$. Given $G = \\partial L / \\partial \\hat Y "
                  "\\in \\mathbb{R}^{N \\times m}$, write `du(G, U, W2)` returning "
                  "$\\partial L / \\partial U \\in \\mathbb{R}^{N \\times m}$.",
        hint="Draw the graph: $U$ forks into $\\tanh$ and into the final $+$. Each edge brings back its "
             "gradient, $(G W_2) \\odot \\tanh'(U)$ through the activation and $G$ through the skip, and "
             "the fork adds them.",
        signature="du(G, U, W2) -> array (N, m)", solution=du, inputs=_inputs_fork, sizes=FORK_SIZES,
        difficulty=1, witness=gradient_witness(_loss_fork, 1, _inputs_fork, (5, 4)),
        mistakes=(
            Mistake("skip overwritten", "the skip's gradient is overwritten by the path through tanh: "
                    "a value used twice gets the sum of its two gradients",
                    "computational_graph.html#gradients-add-where-paths-fork",
                    lambda G, U, W2: (G @ W2) * activations_np.tanh_grad(U)),
            Mistake("branch overwritten", "only the skip's gradient is kept: the path through tanh and "
                    "W2 adds to it", "computational_graph.html#gradients-add-where-paths-fork",
                    lambda G, U, W2: G),
            Mistake("W2 transposed", "W2 is transposed: for rows of samples the gradient through "
                    "tanh(U) W2^T is G W2", "backprop.html#pitfalls",
                    lambda G, U, W2: (G @ W2.T) * activations_np.tanh_grad(U) + G),
            Mistake("f' on the skip", "tanh' multiplies the skip's gradient too: the skip bypasses the "
                    "activation, so its gradient arrives at U unchanged",
                    "computational_graph.html#gradients-add-where-paths-fork",
                    lambda G, U, W2: (G @ W2 + G) * activations_np.tanh_grad(U)),
        )),
    Exercise(
        id="computational_graph.mlp_dW2", chapter="computational_graph",
        title="The backward pass of a ReLU network of three layers",
        statement="Take " + _MLP_ARGS + ". Write `dW2(dY, X, W1, b1, W2, b2, W3, b3)` returning "
                  "$\\partial L / \\partial W_2 \\in \\mathbb{R}^{n_2 \\times n_1}$: run the forward pass, then "
                  "the backward step from the last layer down to layer 2.",
        hint="$\\Delta_3 = \\partial L / \\partial \\hat Y$ (the output is affine), "
             "$\\Delta_2 = (\\Delta_3 W_3) \\odot \\mathrm{ReLU}'(Z_2)$, and "
             "$\\partial L / \\partial W_2 = \\Delta_2^\\top A_1$, with the shape of $W_2$.",
        signature="dW2(dY, X, W1, b1, W2, b2, W3, b3) -> array (n2, n1)", solution=dW2, inputs=_inputs_mlp,
        sizes=MLP_SIZES, difficulty=2, witness=gradient_witness(_loss_mlp, 4, _inputs_mlp, (5, 3, 4, 2, 6)),
        mistakes=(
            Mistake("transposed", "the transpose of dL/dW2: it is Delta_2^T A_1, rows indexed by layer "
                    "2's outputs", "backprop.html#pitfalls", lambda *args: dW2(*args).T),
            Mistake("ReLU' at the output", "ReLU's derivative is applied at the output layer, which is "
                    "affine: Delta_3 is dL/dY_hat itself", "computational_graph.html#pitfalls",
                    lambda *args: _by_hand(*args, relu_at_output=True)),
            Mistake("no ReLU' at layer 2", "ReLU's derivative at Z_2 is missing: Delta_3 W_3 is dL/dA_2, "
                    "and Delta_2 = dL/dZ_2 is it times ReLU'(Z_2)",
                    "computational_graph.html#the-algorithm-for-d-layers",
                    lambda *args: _by_hand(*args, relu_at_2=False)),
            Mistake("pre-activation cached", "Delta_2 is paired with the pre-activation Z_1: the weight "
                    "gradient takes the layer's input A_1 = ReLU(Z_1), which the forward pass must cache",
                    "computational_graph.html#the-algorithm-for-d-layers",
                    lambda *args: _by_hand(*args, cache="Z1")),
        )),
    Exercise(
        id="computational_graph.worked_redone", chapter="computational_graph", kind="number",
        title="The worked example at another input",
        statement="Redo the chapter's worked example (two inputs, two ReLU units, one output, "
                  "$L = \\tfrac{1}{2}(\\hat y - y)^2$) with "
                  f"$x = ({X_REDONE[0][0]:g},\\ {X_REDONE[1][0]:g})^\\top$ and every other input "
                  "unchanged. What is $(\\partial L / \\partial W_1)_{12}$, the entry in row 1, column 2: "
                  "the derivative with respect to the weight from $x_2$ into the first hidden unit?",
        hint="Start again from $z_1 = W_1 x + b_1$: is the first unit still switched off? Then "
             "$\\delta_2 = \\hat y - y$, $\\delta_1 = (W_2^\\top \\delta_2) \\odot \\mathrm{ReLU}'(z_1)$ and "
             "$\\partial L / \\partial W_1 = \\delta_1 x^\\top$.",
        signature="the entry (dL/dW1)_12", solution=float(REDONE["dW1"][ROW, COL]), difficulty=1, tolerance=1e-4,
        witness=_the_complex_step_of_the_worked_loss,
        mistakes=(
            Mistake("transposed", "this is the entry in row 2, column 1: (dL/dW1)_12 is delta_1,1 times x_2",
                    "computational_graph.html#a-network-small-enough-to-do-by-hand",
                    float(REDONE["dW1"][COL, ROW])),
            Mistake("sign", "the sign is flipped: delta_2 is y_hat - y, not y - y_hat",
                    "losses.html#mean-squared-error", -float(REDONE["dW1"][ROW, COL])),
            Mistake("unit still off", "the first unit is on at this input: z_1,1 is positive, so its row "
                    "of dL/dW1 is not zero", "computational_graph.html#a-network-small-enough-to-do-by-hand",
                    0.0),
            Mistake("x_2 forgotten", "this is delta_1,1 = (dL/db1)_1: the weight from x_2 multiplies x_2, "
                    "so its gradient is delta_1,1 times x_2",
                    "computational_graph.html#a-network-small-enough-to-do-by-hand",
                    float(REDONE["db1"][ROW, 0])),
            Mistake("the 1/2 dropped", "the loss's 1/2 is dropped: for L = (1/2)(y_hat - y)^2, delta_2 "
                    "is y_hat - y, not 2 (y_hat - y)", "losses.html#mean-squared-error",
                    2 * float(REDONE["dW1"][ROW, COL])),
        )),
    Exercise(
        id="computational_graph.cache_bytes", chapter="computational_graph", kind="number",
        title="What the backward pass must keep",
        statement=f"A network of $d = {MEM_DEPTH}$ layers, every width $n_\\ell = {MEM_WIDTH}$, runs on a batch of "
                  f"$N = {MEM_BATCH}$ in float64 (8 bytes a number). `mlp_forward` keeps, for every layer $\\ell$, "
                  "a cache holding its input $A_{\\ell-1}$ and its pre-activation $Z_\\ell$ (and the weights). "
                  "How many bytes do these arrays $A_{\\ell-1}$ and $Z_\\ell$, over all the layers, hold when "
                  "the backward pass starts? Give the number of bytes.",
        hint="Each of the $d$ caches holds two arrays of $N \\times n$ numbers: $A_{\\ell-1}$, which "
             "the backward step reads for $\\partial L / \\partial W_\\ell$, and $Z_\\ell$, which it reads "
             "for $f'(Z_\\ell)$ in the hidden layers; the output layer is affine, so its $Z_d$ is cached "
             "but its values are never read.",
        signature="the number of bytes", solution=sp.Integer(int(_COUNTS["activations"][_AT])), difficulty=1, witness=_the_formula,
        whole=True,
        mistakes=(
            Mistake("inputs only", "only the layers' inputs A_(l-1) are counted: each layer's cache also holds "
                    "its pre-activation Z_l (a hidden layer's for f'(Z_l))", "computational_graph.html#what-backprop-costs-in-memory",
                    float(_COUNTS["activations"][_AT]) / 2),
            Mistake("output's Z left out", "the output layer's Z_d is left out: the backward pass of "
                    "the affine output does not read it, but mlp_forward caches it like every layer's",
                    "computational_graph.html#what-backprop-costs-in-memory",
                    float(_COUNTS["activations"][_AT] - 8 * MEM_BATCH * MEM_WIDTH)),
            Mistake("inference", "this is what inference holds, one layer's input and output at a time: "
                    "training keeps every layer's until the backward pass has used them",
                    "computational_graph.html#what-backprop-costs-in-memory", float(_COUNTS["infer"][_AT])),
            Mistake("weights counted", "the copies of the weights W_l are counted too: the question asks "
                    "for the activations, the part that grows with the batch",
                    "computational_graph.html#what-backprop-costs-in-memory",
                    float(_COUNTS["activations"][_AT] + MEM_DEPTH * MEM_WIDTH ** 2 * 8)),
        )),
)
