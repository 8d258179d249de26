"""Frontends: everything that turns a user's program into a :class:`~semialg.core.dag.Program`.

* :mod:`semialg.frontends.text`: the text parser (``parse("relu(x) - relu(-x)")``);
* :mod:`semialg.frontends.builder`: Python operator overloading (``relu(x - y) + abs(y)``);
* :mod:`semialg.frontends.sympy`: sympy expressions in and out.

A new frontend is a module here whose function returns a ``Program``; nothing
downstream needs to change.
"""
