"""The stratify stage: a program's input space cut into strata (theory §1-2).

:func:`stratify` is the one entry point; the engines sit behind it:

* :mod:`~semialg.stratification.fastpath` and :mod:`~semialg.stratification.arrangement`:
  a global hyperplane arrangement, faces enumerated with integer arithmetic;
* :mod:`~semialg.stratification.branch_tree`: the branch tree over the DAG, linear cells as
  double-description cones (:mod:`~semialg.stratification.polyhedra`);
* :mod:`~semialg.stratification.nonlinear`: nonlinear dimensions, samples and splits;
* :mod:`~semialg.stratification.cells`: sign conditions and exact evaluation shared by the engines;
* :mod:`~semialg.stratification.adjacency`: which strata lie in which closures (the frontier condition).

>>> from semialg.frontends.text import parse
>>> [t.dim for t in stratify(parse("abs(x)")).strata]
[1, 0, 1]
"""
from semialg.stratification.cells import StratifyError, exact_sign, is_branching, normalize, point_sympy
from semialg.stratification.nonlinear import in_closure as point_in_closure
from semialg.stratification.strata import Options, Stratification, Stratum, stratify

__all__ = ["stratify", "Options", "Stratification", "Stratum", "StratifyError", "exact_sign", "is_branching",
           "normalize", "point_in_closure", "point_sympy"]
