"""NumPy implementations: forward functions and their derivatives or backward passes.

Nothing here imports SymPy, so ``from derivations.numeric import activations`` is fast.
"""
