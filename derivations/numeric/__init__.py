"""NumPy implementations: forward functions and their derivatives or backward passes.

Nothing here imports SymPy, so ``from derivations.numeric import activations`` is fast.

A forward pass that has a backward returns ``(out, cache)``. The cache is a named tuple of
its own type (``AffineCache``, ``RNNCache``, ``LSTMCache``, ``GRUCache``, ``NormCache``,
``StackCache``) holding read-only copies of the arguments and outputs the backward needs:
editing ``x``, a weight or the returned output in place afterwards leaves the gradient as it
was, editing the cache raises, and a backward given another kind of cache says which one it
expects. The copies cost one pass over each cached argument.

The recurrent kernels (RNN, LSTM, GRU) compute in their arguments' common dtype: float32 in,
float32 states and gradients out; one float64 argument makes the run float64.
"""
