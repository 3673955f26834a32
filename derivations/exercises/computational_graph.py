"""Exercises of the computational_graph chapter (computational_graph.html)."""

EXERCISES = ()
