"""Domains as values: a box around a point, a segment, a plane through a point.

A question about a real-size network is local: near this input, along this segment between
two inputs, on the plane through three. :class:`Box` is a region of the input space (the
program keeps its variables; the box is a condition). :class:`Segment` and :class:`Plane`
are affine maps ``t -> origin + t_1 u_1 (+ t_2 u_2)``: composing the program with the map
gives a program of one or two variables, exactly (theory §1: a semialgebraic function
composed with an affine map is semialgebraic, and its kinks are the kinks' preimages).

Points are exact: numbers, or text such as ``"1/2"``; floats are read as the decimal they
print as (``0.1`` is ``1/10``), as everywhere in semialg.

>>> Box([0, "1/2"], "1/4").condition_text(["x", "y"])
'x >= -1/4 and x <= 1/4 and y >= 1/4 and y <= 3/4'
>>> s = Segment([0, 0], [1, 2])
>>> s.dim, s.point_at([Fraction(1, 2)])
(1, (Fraction(1, 2), Fraction(1, 1)))
>>> Plane([0, 0, 0], [1, 0, 0], [0, 1, 1]).point_at([1, 2])
(Fraction(1, 1), Fraction(2, 1), Fraction(2, 1))
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Sequence

from semialg.core.errors import InputError

__all__ = ["Box", "Segment", "Plane", "exact_vector"]


def _exact(value, what: str) -> Fraction:
    if isinstance(value, bool):
        raise InputError(f"{what}: {value} is a truth value, not a number")
    if isinstance(value, float):
        return Fraction(repr(value))
    try:
        return Fraction(str(value).strip()) if isinstance(value, str) else Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError):
        raise InputError(f"{what}: {value!r} is not an exact number; give integers, fractions such as 1/2, "
                         f"or decimals") from None


def exact_vector(values, what: str) -> tuple[Fraction, ...]:
    """A point as exact numbers: a sequence, or text ``"1/2, 0, -3"``."""
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    try:
        items = list(values)
    except TypeError:
        raise InputError(f"{what}: expected a list of numbers, got {values!r}") from None
    if not items:
        raise InputError(f"{what}: the point has no coordinates")
    return tuple(_exact(v, f"{what}, entry {k + 1}") for k, v in enumerate(items))


def _same_length(what: str, *vectors: tuple) -> None:
    sizes = {len(v) for v in vectors}
    if len(sizes) > 1:
        raise InputError(f"{what}: the points have different lengths ({', '.join(str(len(v)) for v in vectors)})")


@dataclass(frozen=True)
class Box:
    """The points within ``radius`` of ``center`` in every coordinate (a cube, closed)."""

    center: tuple[Fraction, ...]
    radius: Fraction

    def __init__(self, center, radius):
        object.__setattr__(self, "center", exact_vector(center, "the box's center"))
        r = _exact(radius, "the box's radius")
        if r <= 0:
            raise InputError(f"the box's radius must be positive, got {r}")
        object.__setattr__(self, "radius", r)

    def condition_text(self, names: Sequence[str]) -> str:
        """The box as a condition over the variables ``names`` (in the program's order)."""
        if len(names) != len(self.center):
            raise InputError(f"the box's center has {len(self.center)} coordinates but the program has "
                             f"{len(names)} variables ({', '.join(names)})")
        parts = []
        for name, c in zip(names, self.center):
            parts += [f"{name} >= {_text(c - self.radius)}", f"{name} <= {_text(c + self.radius)}"]
        return " and ".join(parts)

    def contains(self, point: Sequence) -> bool:
        return all(abs(Fraction(p) - c) <= self.radius for p, c in zip(point, self.center))


@dataclass(frozen=True)
class Segment:
    """The segment from ``a`` to ``b``: ``t -> a + t (b - a)`` for ``t`` in [0, 1]."""

    a: tuple[Fraction, ...]
    b: tuple[Fraction, ...]

    def __init__(self, a, b):
        a, b = exact_vector(a, "the segment's start"), exact_vector(b, "the segment's end")
        _same_length("the segment", a, b)
        if a == b:
            raise InputError("the segment's start and end are the same point")
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)

    dim = 1
    parameter_names = ("t",)

    @property
    def origin(self) -> tuple[Fraction, ...]:
        return self.a

    @cached_property
    def directions(self) -> tuple[tuple[Fraction, ...], ...]:
        """``(b - a,)``, computed once (a 784-input restriction reads it once per coordinate)."""
        return (tuple(q - p for p, q in zip(self.a, self.b)),)

    def point_at(self, t: Sequence) -> tuple[Fraction, ...]:
        return _affine(self.origin, self.directions, t)

    def condition_text(self) -> str:
        """Where the parameter lives: ``0 <= t <= 1``."""
        return "t >= 0 and t <= 1"


@dataclass(frozen=True)
class Plane:
    """The plane ``(s, t) -> origin + s u + t v`` (all of it; add a condition to bound it)."""

    origin: tuple[Fraction, ...]
    u: tuple[Fraction, ...]
    v: tuple[Fraction, ...]

    def __init__(self, origin, u, v):
        origin = exact_vector(origin, "the plane's origin")
        u, v = exact_vector(u, "the plane's first direction"), exact_vector(v, "the plane's second direction")
        _same_length("the plane", origin, u, v)
        if not _independent(u, v):
            raise InputError("the plane's directions are parallel (or zero): give two independent directions")
        object.__setattr__(self, "origin", origin)
        object.__setattr__(self, "u", u)
        object.__setattr__(self, "v", v)

    dim = 2
    parameter_names = ("s", "t")

    @cached_property
    def directions(self) -> tuple[tuple[Fraction, ...], ...]:
        return (self.u, self.v)

    def point_at(self, st: Sequence) -> tuple[Fraction, ...]:
        return _affine(self.origin, self.directions, st)

    @staticmethod
    def through(p, q, r) -> "Plane":
        """The plane through three points: origin ``p``, directions ``q - p`` and ``r - p``."""
        p, q, r = (exact_vector(x, "a point of the plane") for x in (p, q, r))
        _same_length("the plane", p, q, r)
        return Plane(p, [b - a for a, b in zip(p, q)], [c - a for a, c in zip(p, r)])


def _affine(origin, directions, params) -> tuple[Fraction, ...]:
    if len(params) != len(directions):
        raise InputError(f"expected {len(directions)} parameter value{'s' if len(directions) != 1 else ''}, "
                         f"got {len(params)}")
    params = [Fraction(p) for p in params]
    return tuple(o + sum(p * d[i] for p, d in zip(params, directions)) for i, o in enumerate(origin))


def _independent(u, v) -> bool:
    """Are ``u`` and ``v`` linearly independent? (some 2x2 minor is nonzero)"""
    n = len(u)
    return any(u[i] * v[j] - u[j] * v[i] != 0 for i in range(n) for j in range(i + 1, n))


def _text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
