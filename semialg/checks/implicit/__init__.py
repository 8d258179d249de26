"""The implicit family: implicit functions, fixed points, unrolling and the Lasso (theory §7).

* :mod:`~semialg.checks.implicit.theorem`: :func:`implicit`, the nonsmooth implicit function theorem;
* :mod:`~semialg.checks.implicit.jacsets`: exact convex sets of Jacobians (invertibility, images);
* :mod:`~semialg.checks.implicit.explicit`: ``G`` itself for piecewise-linear ``F``;
* :mod:`~semialg.checks.implicit.fixedpoint`: fixed points and unrolled differentiation;
* :mod:`~semialg.checks.implicit.lasso`: the Lasso path through its fixed-point equation.
"""
__all__ = ["implicit", "ImplicitResult"]


def __getattr__(name: str):
    """``implicit`` and ``ImplicitResult`` from :mod:`~semialg.checks.implicit.theorem`, imported
    on first use (PEP 562): the theorem loads numpy, which the other modules here do not need."""
    if name in __all__:
        from semialg.checks.implicit import theorem
        value = globals()[name] = getattr(theorem, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
