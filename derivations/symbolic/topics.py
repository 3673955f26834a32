"""The registered topics, in the book's order, and every check of every topic.

Imports are static on purpose: the book's build reads them to know which pages depend on
which modules (docs/_ext/fresh_pages.py).
"""

from __future__ import annotations

from . import (activations, backprop, bptt, clipping, computational_graph, errata, gradient_descent, hadamard,
               initialization, losses, lstm_gru, normalization, residual, vanishing_exploding,
               verification)

# topic name -> its symbolic module (each has TOPIC and checks()); a plain comment, not a
# documented attribute: its value's repr holds file paths, which would make the API page
# depend on where the book is built.
MODULES = {m.TOPIC: m for m in (verification, activations, hadamard, backprop, computational_graph, losses, gradient_descent,
                                 vanishing_exploding, initialization, normalization, residual, bptt,
                                 clipping, lstm_gru, errata)}
#: The topics in the book's order.
TOPICS = tuple(MODULES)


def all_checks(topics=TOPICS):
    """Run every registered check of the given topics; returns the list of Check records."""
    results = []
    for topic in topics:
        if topic not in MODULES:
            raise ValueError(f"unknown topic {topic!r}; the topics are {', '.join(TOPICS)}")
        results.extend(MODULES[topic].checks())
    return results
