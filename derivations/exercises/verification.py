"""Exercises of the verification chapter (verification.html)."""

EXERCISES = ()
