"""Exercises of the residual chapter (residual.html)."""

EXERCISES = ()
