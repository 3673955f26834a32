"""Exercises of the lstm_gru chapter (lstm_gru.html)."""

EXERCISES = ()
