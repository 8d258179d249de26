"""semialg: exact verification of nonsmooth derivatives of piecewise-polynomial programs.

The public API. Programs come from text (:func:`parse`), from sympy
(:func:`from_sympy`) or from Python (:func:`variables`, :func:`program` and the
primitive builders); :func:`evaluate` (numpy floats) and :func:`exact_value`
(Fractions) compute them.

>>> import semialg
>>> x, y = semialg.variables("x y")
>>> p = semialg.program(semialg.relu(x - y) + abs(y))
>>> p.to_text() == semialg.parse("relu(x - y) + abs(y)").to_text()
True
>>> semialg.exact_value(p, ["1/2", "-1/4"])
(Fraction(1, 1),)
"""
__version__ = "0.1.0"

from . import errors
from .builder import (Expr, abs_, clamp, clip, floor, hardtanh, heaviside, leaky_relu, max_, min_, program,
                      relu, relu6, round_, sign, sort, step, variables, where)
from .dag import Node, Program
from .errors import InputError, ParseError, SemialgError, UnsupportedError
from .numeric import evaluate, exact_value, make_function
from .parse import parse, parse_point
from .sympy_bridge import from_sympy, to_sympy
from .checks.implicit import implicit

__all__ = [
    "__version__", "errors", "SemialgError", "ParseError", "UnsupportedError", "InputError",
    "Node", "Program", "parse", "parse_point",
    "Expr", "variables", "program", "relu", "abs_", "max_", "min_", "clip", "clamp", "leaky_relu", "hardtanh",
    "relu6", "sort", "where", "sign", "step", "heaviside", "floor", "round_",
    "evaluate", "exact_value", "make_function", "to_sympy", "from_sympy",
    "implicit",
]
