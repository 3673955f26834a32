"""Backprop, Derived and Verified: the derivations behind the book, importable.

* ``derivations.numeric.<topic>``: NumPy forward and backward functions (no SymPy).
* ``derivations.symbolic.<topic>``: SymPy derivations and their ``checks()``.
* ``derivations.verify``: the checking core (symbolic identity, central difference,
  complex step, the Check record).

``python -m derivations`` runs every check and prints one table.
"""

__version__ = "0.1.0"
