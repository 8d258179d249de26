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

from semialg.core.dag import Node, Program
from semialg.core.errors import InputError, ParseError, SemialgError, UnsupportedError
from semialg.frontends.builder import (
    Expr,
    abs_,
    cbrt,
    clamp,
    clip,
    custom,
    floor,
    hardtanh,
    heaviside,
    leaky_relu,
    max_,
    min_,
    norm,
    program,
    relu,
    relu6,
    round_,
    sign,
    sort,
    sqrt,
    step,
    variables,
    where,
)
from semialg.frontends.sympy import from_sympy, to_sympy
from semialg.frontends.text import parse, parse_point

__all__ = [
    "__version__", "SemialgError", "ParseError", "UnsupportedError", "InputError",
    "Node", "Program", "parse", "parse_point",
    "Expr", "variables", "program", "relu", "abs_", "max_", "min_", "clip", "clamp", "leaky_relu", "hardtanh",
    "relu6", "sort", "where", "custom", "sign", "step", "heaviside", "floor", "round_", "sqrt", "cbrt", "norm",
    "evaluate", "exact_value", "make_function", "to_sympy", "from_sympy",
    "check", "stratify", "lipschitz", "clarke_at", "critical", "implicit", "derivative_at", "get_rule",
    "from_jax", "jax_derivative", "from_torch", "torch_derivative", "from_onnx", "assert_valid",
    "deq_layer", "deq_at", "descent", "exceptional_initialisations", "exceptional_steps", "unroll_sets",
    "argmin", "argmin_at", "hypergradient",
]

# The checks load the stratifier (and z3 when they ask it), the evaluators numpy: imported on
# first use (PEP 562), so that `import semialg` loads none of numpy, networkx, z3, sympy, flint.
_LAZY = {
    "evaluate": "semialg.numeric", "exact_value": "semialg.numeric", "make_function": "semialg.numeric",
    "check": "semialg.checks.conservative", "stratify": "semialg.stratification", "lipschitz": "semialg.checks.lipschitz",
    "clarke_at": "semialg.checks.clarke", "critical": "semialg.checks.critical", "implicit": "semialg.checks.implicit",
    "derivative_at": "semialg.rules", "get_rule": "semialg.rules", "assert_valid": "semialg.checks.assert_valid",
    "deq_layer": "semialg.frontends.equilibrium", "deq_at": "semialg.checks.implicit.deq",
    "descent": "semialg.checks.dynamics", "exceptional_initialisations": "semialg.checks.dynamics",
    "exceptional_steps": "semialg.checks.dynamics", "unroll_sets": "semialg.checks.implicit.unrolling",
    "argmin": "semialg.frontends.argmin", "argmin_at": "semialg.checks.implicit.argmin",
    "hypergradient": "semialg.checks.implicit.argmin",
    # the framework front ends (their framework is imported only when called)
    "from_jax": "semialg.frontends.jax", "jax_derivative": "semialg.frontends.jax",
    "from_torch": "semialg.frontends.torch", "torch_derivative": "semialg.frontends.torch",
    "from_onnx": "semialg.frontends.onnx",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'semialg' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
