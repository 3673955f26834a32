"""SymPy derivations, one module per topic, each with a ``checks()`` list of witnesses.

:mod:`derivations.symbolic.topics` lists the topics and runs all their checks.
"""
