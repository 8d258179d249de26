"""Parameters as variables, data fixed: the empirical loss as a program over the weights.

A network's loss ``L(w; x, y)`` is a program over parameter names ``w`` and data names
``x, y``. :func:`bind_data` substitutes the data, exactly, and keeps the parameters as the
variables: for several data points the result is the mean ``(1/N) sum_i L(w; x_i, y_i)``,
built with the canonical :func:`~semialg.core.dag.add` / :func:`~semialg.core.dag.mul` and
Fraction constants. The kinks of the bound program are polynomial in the weights (products of
weights and activations), so the whole pipeline (stratify, check, critical) applies unchanged.

Why the check of the bound program is the right question: substituting constants for some
inputs composes the program with a (constant) affine map, and backprop with respect to the
remaining inputs does not look at the data's seeds, so the rule's field of the bound program
is the parameter block of the rule's field of the original one at the data point; the mean
is a sum, and backprop is additive over the summands (theory §3: the rule is applied node by
node, and a sum node passes its seed to each term).

Data values are exact: Fractions, ints, text such as ``"1/2"`` or ``"-0.25"``, or floats,
read as the exact binary number they are (``Fraction(0.1)``, not ``1/10``: data points come
from float arrays, and the dyadic value is the one the network computed on).

>>> from semialg.frontends.text import parse
>>> loss = parse("(v * relu(w * x + b) - y)**2")
>>> bind_data(loss, ["v", "w", "b"], {"x": 2, "y": "1/2"}).to_text()
'(v * relu(2 * w + b) - 1/2)**2'
>>> mean = bind_data(loss, "v,w,b", [{"x": 1, "y": 0}, {"x": -1, "y": 1}])
>>> mean.inputs, mean.to_text()
(('v', 'w', 'b'), '1/2 * ((v * relu(w + b))**2 + (v * relu(-w + b) - 1)**2)')
"""
from __future__ import annotations

import difflib
import numbers
from fractions import Fraction
from typing import Mapping, Sequence

from semialg.core import dag
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError

__all__ = ["bind_data", "data_names"]


def _points(data) -> list[dict]:
    """The data as a non-empty list of dicts with string keys (one dict: one point)."""
    if isinstance(data, Mapping):
        points = [data]
    elif isinstance(data, (list, tuple)):
        points = list(data)
        if not points:
            raise InputError("data= is an empty list: give at least one data point, e.g. data={'x': 1, 'y': 0}, "
                             "or leave data= out to keep every name a variable")
    else:
        raise InputError(f"data= takes a dict name -> value (one data point) or a list of such dicts; "
                         f"got {type(data).__name__}, e.g. data=[{{'x': 1, 'y': 0}}, {{'x': '1/2', 'y': 1}}]")
    out = []
    for k, point in enumerate(points):
        if not isinstance(point, Mapping):
            raise InputError(f"data point {k + 1} is a {type(point).__name__}, not a dict name -> value; "
                             f"e.g. {{'x': 1, 'y': '1/2'}}")
        if not point:
            raise InputError(f"data point {k + 1} is empty: give a value for every data name")
        out.append({str(name): value for name, value in point.items()})
    return out


def data_names(data) -> list[str]:
    """The names the data points give values to, in order of first appearance.

    >>> data_names([{"x": 0, "y": 1}, {"y": 2, "x": 3, "z": 0}])
    ['x', 'y', 'z']
    """
    names: dict[str, None] = {}
    for point in _points(data):
        names.update(dict.fromkeys(point))
    return list(names)


def _exact(value, name: str, k: int, n_points: int) -> Fraction:
    where = f"{name} in data point {k + 1}" if n_points > 1 else name
    if isinstance(value, bool):
        raise InputError(f"the value of {where} is a truth value ({value}), not a number")
    try:
        if isinstance(value, float):
            return Fraction(value)  # the exact binary number (raises on nan and inf)
        if type(value).__module__.split(".")[0] == "sympy" and getattr(value, "is_Rational", False):
            return Fraction(int(value.p), int(value.q))
        if isinstance(value, str):
            return Fraction(value.replace(" ", ""))
        if isinstance(value, (numbers.Rational, Fraction)):
            return Fraction(value)
    except (ValueError, ZeroDivisionError, OverflowError):
        pass
    raise InputError(f"the value {value!r} of {where} is not an exact number: give an int, a Fraction, text such "
                     f"as 1/2 or -0.25, or a finite float")


def _param_names(params) -> list[str]:
    if isinstance(params, str):
        names = [p for p in params.replace(",", " ").split() if p]
    else:
        try:
            names = [str(p) for p in params]
        except TypeError:
            raise InputError(f"params must be a list of names or text such as 'w1,w2'; got {params!r}") from None
    repeated = sorted({p for p in names if names.count(p) > 1})
    if repeated:
        raise InputError(f"the parameter{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
                         f"{'are' if len(repeated) > 1 else 'is'} listed twice; give each parameter once")
    return names


def _unknown(kind: str, names: Sequence[str], inputs: Sequence[str]) -> InputError:
    close = [m for n in names for m in difflib.get_close_matches(n, inputs, 1)]
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    plural = len(names) > 1
    return InputError(f"the {kind} name{'s' if plural else ''} {', '.join(names)} {'are' if plural else 'is'} not "
                      f"{'variables' if plural else 'a variable'} of the program{hint}; its variables are "
                      f"{', '.join(inputs)}")


def _substitute(roots: Sequence[Node], image: Mapping[str, Node]) -> list[Node]:
    """Every node rebuilt bottom-up over the images of the variables (iterative walk)."""
    new: dict[int, Node] = {}
    for node in walk_postorder(roots):
        args = [new[id(a)] for a in node.args]
        if node.op == "var":
            if node.param not in image:
                raise InputError(f"the program uses the variable {node.param}, which is not one of its inputs "
                                 f"({', '.join(image)})")
            out = image[node.param]
        elif node.op == "const":
            out = node
        elif node.op == "add":
            out = dag.add(*args)
        elif node.op == "mul":
            out = dag.mul(*args)
        elif node.op == "pow":
            out = dag.power(args[0], node.param)
        else:
            out = Node.make(node.op, args, node.param)
        new[id(node)] = out
    return [new[id(r)] for r in roots]


def bind_data(program: Program, params, data) -> Program:
    """``program`` (over parameter and data names) with the data substituted: a program over
    ``params``, in that order (a list of names or ``"w1,w2"``).

    ``data``: a dict name -> value (one data point: the program at it) or a list of such dicts
    (the exact mean over the points, output by output). Every variable of ``program`` must be a
    parameter or get a value in every point; a name may not be both; every name must be a
    variable of the program. Bad input raises :class:`~semialg.core.errors.InputError` naming
    the names.

    >>> from semialg.frontends.text import parse
    >>> bind_data(parse("relu(w * x - 1)"), ["w"], [{"x": 0}, {"x": 0.5}]).to_text()
    '1/2 * (relu(-1) + relu(1/2 * w - 1))'
    """
    if not isinstance(program, Program):
        raise InputError(f"bind_data takes a Program (semialg.parse(text) makes one); got {type(program).__name__}")
    points = _points(data)
    names = _param_names(params)
    inputs = list(program.inputs)
    given = data_names(points)
    both = [n for n in given if n in names]
    if both:
        raise InputError(f"{', '.join(both)} {'are' if len(both) > 1 else 'is'} both a parameter and a data name: "
                         f"leave {'them' if len(both) > 1 else 'it'} out of the parameters (to fix the value) or "
                         f"out of the data (to keep a variable)")
    for kind, listed in (("parameter", names), ("data", given)):
        unknown = [n for n in listed if n not in inputs]
        if unknown:
            raise _unknown(kind, unknown, inputs)
    for k, point in enumerate(points):
        missing = [v for v in inputs if v not in names and v not in point]
        if missing:
            where = f"data point {k + 1}" if len(points) > 1 else "the data point"
            raise InputError(f"{where} gives no value for {', '.join(missing)}, which "
                             f"{'are not parameters' if len(missing) > 1 else 'is not a parameter'}: give "
                             f"{'their values' if len(missing) > 1 else 'its value'} in every data point, or list "
                             f"{'them' if len(missing) > 1 else 'it'} among the parameters")
    bound = []
    for k, point in enumerate(points):
        image = {v: Node.var(v) for v in names}
        image.update({v: Node.const(_exact(point[v], v, k, len(points))) for v in inputs if v not in names})
        bound.append(_substitute(program.outputs, image))
    if len(bound) == 1:
        return Program(tuple(names), tuple(bound[0]))
    weight = Node.const(Fraction(1, len(bound)))
    outputs = tuple(dag.mul(weight, dag.add(*terms)) for terms in zip(*bound))
    return Program(tuple(names), outputs)
