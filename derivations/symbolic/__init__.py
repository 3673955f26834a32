"""SymPy derivations, one module per topic, each with a ``checks()`` list of witnesses."""

from __future__ import annotations

from importlib import import_module

#: The topics in the book's order; each is ``derivations.symbolic.<topic>``.
TOPICS = ("activations", "hadamard", "backprop", "losses", "gradient_descent")


def all_checks(topics=TOPICS):
    """Run every registered check of the given topics; returns the list of Check records."""
    results = []
    for topic in topics:
        if topic not in TOPICS:
            raise ValueError(f"unknown topic {topic!r}; the topics are {', '.join(TOPICS)}")
        results.extend(import_module(f"{__name__}.{topic}").checks())
    return results
