"""Output conventions shared by every command: exact numbers, exit codes, JSON.

Invariant: numbers leave semialg exactly (rationals as strings ``"1/2"``, never
as floats); a float, when shown, sits *beside* the exact value. Exit codes are
those of docs/cli.md: 0 the property holds, 1 it fails, 2 usage or input error,
3 unknown.

>>> fmt_number(Fraction(-3, 4)), fmt_number(3)
('-3/4', '3')
>>> dump_json({"value": [Fraction(1, 2)], "ok": True})
'{\\n  "value": [\\n    "1/2"\\n  ],\\n  "ok": true\\n}'
"""
from __future__ import annotations

import json
import math
from fractions import Fraction
from typing import Any, Sequence

from semialg import __version__
from semialg.rules import fmt_exact

__all__ = ["OK", "FAILS", "USAGE", "UNKNOWN", "EXIT_CODES", "fmt_number", "fmt_float", "fmt_vector",
           "header", "to_jsonable", "dump_json", "exact_list", "sample_json", "vertices_json", "html"]


def __getattr__(name: str):
    """``html``, the one HTML renderer (shared with :mod:`semialg.stratification.render`), is
    imported on first use (PEP 562): the stratifier behind it is not needed to print a report."""
    if name == "html":
        from semialg.stratification.render import html
        globals()["html"] = html
        return html
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


OK = 0
"""The property holds (conservative, computed)."""
FAILS = 1
"""The property fails (not conservative, not Lipschitz, not invertible)."""
USAGE = 2
"""Usage or input error (bad expression, bad point, bad option)."""
UNKNOWN = 3
"""Undecided (solver timeout, undecidable case), with the reason."""
EXIT_CODES = {"ok": OK, "fails": FAILS, "usage": USAGE, "unknown": UNKNOWN}


def fmt_number(value) -> str:
    """Exact text of a rational: ``"3"``, ``"-1/2"``; bools as ``"true"``/``"false"``.

    >>> fmt_number(Fraction(6, 4)), fmt_number(Fraction(4, 2)), fmt_number(True)
    ('3/2', '2', 'true')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Fraction):
        return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    if isinstance(value, str):
        return value
    raise TypeError(f"fmt_number expects an exact number (int or Fraction), got {type(value).__name__}")


def fmt_float(value) -> float | None:
    """The nearest float, or None when it does not fit in a double (JSON has no inf).

    >>> fmt_float(Fraction(1, 4)), fmt_float(Fraction(10) ** 400)
    (0.25, None)
    """
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def fmt_vector(values: Sequence) -> list[str]:
    """A vector of exact numbers as a list of strings.

    >>> fmt_vector([Fraction(1, 3), 0])
    ['1/3', '0']
    """
    return [fmt_number(v) for v in values]


def headline(text: str, limit: int = 240) -> str:
    """A program's text for a report's first line: whole, or cut with its length said.

    >>> headline("relu(x)")
    'relu(x)'
    >>> headline("x + " * 100 + "y", 20)
    'x + x + x + x + x + ... (401 characters)'
    """
    if len(text) <= limit:
        return text
    return text[:limit].rstrip() + f" ... ({len(text)} characters)"


def header(command: str, function: str, variables: Sequence[str]) -> dict:
    """The keys every ``--json`` output starts with.

    >>> header("parse", "relu(x)", ["x"])["command"]
    'parse'
    """
    return {"semialg": __version__, "command": command, "function": function, "variables": list(variables)}


def to_jsonable(obj: Any) -> Any:
    """``obj`` with Fractions as exact strings, tuples/sets as lists, numpy scalars as numbers.

    Iterative over nested containers. Floats that are not finite become None.

    >>> to_jsonable({"a": (Fraction(1, 2), {3}), "b": float("inf")})
    {'a': ['1/2', [3]], 'b': None}
    """
    def leaf(value):
        if isinstance(value, (bool, str)) or value is None:
            return value
        if isinstance(value, Fraction):
            return fmt_number(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return value if math.isfinite(value) else None
        if hasattr(value, "item") and callable(value.item):  # numpy scalar
            return leaf(value.item())
        return str(value)

    def container(value):
        if isinstance(value, dict):
            return {}
        if isinstance(value, (list, tuple)):
            return []
        if isinstance(value, (set, frozenset)):
            return []
        return None

    root = container(obj)
    if root is None:
        return leaf(obj)
    stack = [(obj, root)]
    while stack:
        src, dst = stack.pop()
        if isinstance(src, dict):
            items = [(str(k) if not isinstance(k, str) else k, v) for k, v in src.items()]
        elif isinstance(src, (set, frozenset)):
            items = list(enumerate(sorted(src, key=lambda v: (str(type(v)), v) if not isinstance(v, (int, Fraction))
                                          else ("0", v))))
        else:
            items = list(enumerate(src))
        for key, value in items:
            sub = container(value)
            converted = leaf(value) if sub is None else sub
            if isinstance(dst, dict):
                dst[key] = converted
            else:
                dst.append(converted)
            if sub is not None:
                stack.append((value, sub))
    return root


def dump_json(obj: Any, indent: int | None = 2) -> str:
    """One JSON document for ``obj`` (see :func:`to_jsonable`); never emits NaN/Infinity.

    >>> dump_json([Fraction(2, 3)], indent=None)
    '["2/3"]'
    """
    return json.dumps(to_jsonable(obj), indent=indent, allow_nan=False)


def exact_list(values) -> list[str]:
    return [fmt_exact(v) for v in values]


def sample_json(stratum) -> dict:
    out = {"sample": exact_list(stratum.sample)}
    if not stratum.rational:
        out["sample_float"] = [float(v) for v in stratum.sample]
    return out


def vertices_json(vertices: Sequence) -> list:
    """Vertices as exact strings: ``[["1", "0"], ...]`` for scalar functions, ``[[[row], ...], ...]`` otherwise."""
    if vertices and len(vertices[0]) == 1:
        return [[fmt_exact(v) for v in vx[0]] for vx in vertices]
    return [[[fmt_exact(v) for v in row] for row in vx] for vx in vertices]
