"""Exercises of the vanishing_exploding chapter (vanishing_exploding.html)."""

EXERCISES = ()
