"""Nonsmooth primitives: one class each, registered once in :data:`REGISTRY`.

A primitive states only local facts (the style of CVXPY atoms):

* :meth:`Primitive.branches` -- given the polynomial values of its arguments on
  the current cell, the list of :class:`Branch` es: sign conditions on
  polynomials (guards) and the polynomial (or boolean) value on that branch.
  The branches of one node are disjoint and cover R^n.
* :meth:`Primitive.partials` -- on a branch, the Clarke generalized Jacobian of
  the primitive *as a function of its arguments* there: a tuple of vertex
  vectors (one vertex on a smooth branch, several at a kink).
* :meth:`Primitive.exact` -- the value at rational arguments.
* :meth:`Primitive.to_sympy` -- the same function as a sympy expression.

Composition (the branch tree, the chain rule) lives in ``stratify`` and
``rules``, never here.

>>> sorted(REGISTRY)[:4]
['abs', 'and', 'cbrt', 'clamp']
>>> REGISTRY["relu"].partials(REGISTRY["relu"].branch_labels(1)[1], 1)
((Fraction(0, 1),), (Fraction(1, 1),))
"""
from __future__ import annotations

from semialg.core.primitives.base import NEG, POS, ZERO, Branch, Primitive
from semialg.core.primitives.custom import Custom
from semialg.core.primitives.discontinuous import Floor, Heaviside, Round, Sign, Step
from semialg.core.primitives.logic import And, Not, Or, Where, _compare
from semialg.core.primitives.semialgebraic import Cbrt, Norm, RationalPower, Reciprocal, Sqrt
from semialg.core.primitives.piecewise_linear import Abs, Clamp, Clip, Hardtanh, LeakyRelu, Max, Min, Relu, Relu6, Sort

__all__ = ["REGISTRY", "ALIASES", "NONSMOOTH", "COMPARISONS", "get", "Branch", "Primitive", "NEG", "ZERO", "POS"]


# --------------------------------------------------------------------------- registry
_CLASSES = [
    Relu, Abs, LeakyRelu, Max, Min, Clip, Clamp, Hardtanh, Relu6, Sort, Where,
    _compare("lt", "<", True, False, False), _compare("le", "<=", True, True, False),
    _compare("gt", ">", False, False, True), _compare("ge", ">=", False, True, True),
    _compare("eq", "==", False, True, False), _compare("ne", "!=", True, False, True),
    And, Or, Not, Sign, Step, Heaviside, Floor, Round, Custom, Sqrt, Cbrt, RationalPower, Reciprocal, Norm,
]
REGISTRY: dict[str, Primitive] = {cls.name: cls() for cls in _CLASSES}
"""Every primitive by name: the one place a primitive is registered."""

ALIASES = {"maximum": "max", "minimum": "min", "amax": "max", "amin": "min", "hard_tanh": "hardtanh",
           "Abs": "abs", "Max": "max", "Min": "min", "step_function": "step"}
"""Other spellings accepted by the parser for the same primitive."""

NONSMOOTH = frozenset(name for name, p in REGISTRY.items() if name not in {"and", "or", "not"})
"""Primitives whose nodes the stratifier branches on (comparisons included)."""


def get(name: str) -> Primitive:
    """The registered primitive called ``name`` (aliases resolved); KeyError otherwise."""
    return REGISTRY[ALIASES.get(name, name)]

COMPARISONS = frozenset({"lt", "le", "gt", "ge", "eq", "ne"})
"""Comparison primitives (their branch label is the sign of ``a - b``)."""
