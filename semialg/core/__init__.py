"""The core: errors, the hash-consed expression DAG, exact polynomials and the primitives.

Everything else builds on these four; they import nothing else of semialg.

* :mod:`semialg.core.errors`: the exceptions semialg raises on purpose;
* :mod:`semialg.core.dag`: :class:`~semialg.core.dag.Node` and :class:`~semialg.core.dag.Program`;
* :mod:`semialg.core.poly`: :class:`~semialg.core.poly.Poly`, exact sparse polynomials over the rationals;
* :mod:`semialg.core.primitives`: one class per primitive and the one registry.
"""
