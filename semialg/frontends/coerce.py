"""What a Python user has, turned into what the stages need: one place for every public function.

:func:`as_program` takes text, a :class:`~semialg.core.dag.Program`, a builder
:class:`~semialg.frontends.builder.Expr`, a sympy expression, a number, or a list of them
(a vector output). :func:`as_point` takes ``"x=1/2,y=0"``, ``"1/2, 0"``, a dict
(``{"x": 0, "y": "1/2"}``, names or sympy symbols as keys) or a sequence in the order of
the variables. Floats are read as the decimal they print as (``0.1`` is ``1/10``).

>>> import semialg
>>> x, y = semialg.variables("x y")
>>> as_program(semialg.relu(x) + y).to_text() == as_program("relu(x) + y").to_text()
True
>>> as_program(["max(x, y)", "min(x, y)"]).n_outputs
2
>>> as_point({"y": "1/2", "x": 0}, ("x", "y")), as_point("1/2, 0", ("x", "y"))
((Fraction(0, 1), Fraction(1, 2)), (Fraction(1, 2), Fraction(0, 1)))
"""
from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Sequence

from semialg.core.dag import Node, Program
from semialg.core.errors import InputError

ACCEPTED = ("text, a Program, a builder Expr, a sympy expression, or a list of them (one per output); or an ONNX "
            "model (a .onnx path)")


def _names(variables) -> list[str] | None:
    if variables is None:
        return None
    if isinstance(variables, str):
        return [v for v in variables.replace(",", " ").split() if v]
    return [str(v) for v in variables]


def _kind(obj) -> str:
    from semialg.frontends.builder import Expr
    if isinstance(obj, str):
        return "text"
    if isinstance(obj, (Expr, Node, numbers.Number)) and not isinstance(obj, bool):
        return "expr"
    if type(obj).__module__.split(".")[0] == "sympy":
        return "sympy"
    return "other"


def as_program(function, variables=None, data=None) -> Program:
    """A :class:`Program` from anything in :data:`ACCEPTED`; ``variables``: input names in order
    (a list or ``"x,y"``; default the free variables, alphabetically).

    ``data``: a dict name -> value or a list of them (see :func:`~semialg.frontends.data.bind_data`):
    the function is over parameter and data names, ``variables`` names the parameters (default: every
    other variable, alphabetically), and the result is the mean over the data points, a program over
    the parameters."""
    if data is not None:
        return _bound(function, variables, data)
    names = _names(variables)
    if isinstance(function, Program):
        if names is not None and list(function.inputs) != names:
            raise InputError(f"the program's variables are {', '.join(function.inputs)}, not {', '.join(names)}; "
                             "build it with those variables, or leave variables out")
        return function
    if _is_onnx(function):
        from semialg.frontends.onnx import from_onnx
        return from_onnx(function, names)
    if callable(function) and _kind(function) == "other":
        raise InputError(f"{getattr(function, '__name__', type(function).__name__)} is a Python function: to check a JAX "
                         f"or PyTorch function give framework='jax' or 'torch' and example=... (the input to trace "
                         f"it at); to check a formula, give it as text or build it with semialg.variables")
    items = list(function) if isinstance(function, (list, tuple)) else [function]
    if not items:
        raise InputError(f"expected the function as {ACCEPTED}; got an empty list")
    kinds = {_kind(item) for item in items}
    if kinds == {"text"}:
        from semialg.frontends.text import parse
        return parse(", ".join(items), names)
    if kinds <= {"expr"}:
        from semialg.frontends.builder import program
        return program(items, names)
    if kinds <= {"sympy", "expr"} and "sympy" in kinds:
        from semialg.frontends.sympy import from_sympy
        return from_sympy(items if isinstance(function, (list, tuple)) else function, names)
    bad = next(item for item in items if _kind(item) == "other" or (len(kinds) > 1 and _kind(item) == "text"))
    mixed = " (text cannot be mixed with other kinds in one list)" if len(kinds) > 1 and "text" in kinds else ""
    raise InputError(f"expected the function as {ACCEPTED}; got {type(bad).__name__} {bad!r:.60}{mixed}")


def _bound(function, variables, data) -> Program:
    """``function`` over the parameters and the data names, then the data bound (a name the
    function uses that is neither is reported by bind_data, with the suggestion)."""
    from semialg.frontends.data import bind_data, data_names
    params = _names(variables)
    program = function if isinstance(function, Program) else as_program(function)
    if params is None:
        given = data_names(data)
        params = [v for v in program.inputs if v not in given]
    elif not isinstance(function, Program):   # declared parameters may be unused (the loss is constant in them)
        program = Program(tuple(params) + tuple(v for v in program.inputs if v not in params), program.outputs)
    return bind_data(program, params, data)


def _is_onnx(function) -> bool:
    """An ONNX model: a ``.onnx`` path, or an ``onnx.ModelProto``."""
    if isinstance(function, str):
        return function.strip().endswith(".onnx") and " " not in function.strip()
    if hasattr(function, "__fspath__"):
        return str(function).endswith(".onnx")
    return type(function).__name__ == "ModelProto"


def _exact(name: str, value) -> Fraction:
    try:
        if isinstance(value, float):
            value = repr(value)  # 0.1 means 1/10, not the nearest double
        if type(value).__module__.split(".")[0] == "sympy" and getattr(value, "is_Rational", False):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, str):
            value = value.replace(" ", "")
        return Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"value {value!r} for {name} is not an exact rational such as 1/2, -3 or 0.25") from None


def as_point(point, variables: Sequence[str]) -> tuple[Fraction, ...]:
    """Exact coordinates of ``point`` in the order of ``variables`` (see the module docstring)."""
    names = list(variables)
    n = len(names)
    if isinstance(point, str):
        if "=" in point:
            from semialg.frontends.text import parse_point
            return parse_point(point, names)
        point = [p for p in point.replace(";", ",").split(",") if p.strip()]
    if isinstance(point, dict):
        given = {str(k): v for k, v in point.items()}
        unknown = [k for k in given if k not in names]
        if unknown:
            raise InputError(f"'{unknown[0]}' in the point is not a variable; the variables are {', '.join(names)}")
        missing = [v for v in names if v not in given]
        if missing:
            raise InputError(f"the point gives no value for {', '.join(missing)}")
        return tuple(_exact(v, given[v]) for v in names)
    try:
        coords = list(point)
    except TypeError:
        raise InputError(f"the point must be a dict, a sequence of {n} exact numbers or text such as "
                         f"{','.join(f'{v}=0' for v in names)}; got {point!r}") from None
    if len(coords) != n:
        raise InputError(f"the point has {len(coords)} coordinate{'s' if len(coords) != 1 else ''}; the function has "
                         f"{n} variable{'s' if n != 1 else ''} ({', '.join(names)})")
    return tuple(_exact(v, c) for v, c in zip(names, coords))
