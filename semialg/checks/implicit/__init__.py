"""The implicit family: implicit functions, fixed points, unrolling and the Lasso (theory §7).

* :mod:`~semialg.checks.implicit.theorem`: :func:`implicit`, the nonsmooth implicit function theorem;
* :mod:`~semialg.checks.implicit.jacsets`: exact convex sets of Jacobians (invertibility, images);
* :mod:`~semialg.checks.implicit.explicit`: ``G`` itself for piecewise-linear ``F``;
* :mod:`~semialg.checks.implicit.fixedpoint`: fixed points and unrolled differentiation;
* :mod:`~semialg.checks.implicit.lasso`: the Lasso path through its fixed-point equation.
"""
from semialg.checks.implicit.theorem import ImplicitResult, implicit

__all__ = ["implicit", "ImplicitResult"]
