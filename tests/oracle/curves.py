"""Kink atoms whose zero sets have exact rational parametrisations.

An *atom* is a polynomial text (``2*x - y + 1``, ``x - y**2 + 1/2``, ``x*y``,
``x**2 + y**2 - 1``) together with the parametrised pieces of its zero set
(:class:`KinkSet`: a map from ``n - 1`` rational parameters to an exact point of
``{atom = 0}``). Generated programs keep the kink sets of all their atoms, so that
points *on* the lower-dimensional strata, and curves *inside* them, are available
exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction as F
from typing import Callable

from . import expr as E


@dataclass(frozen=True)
class KinkSet:
    """A parametrised piece of a zero set: ``point(params)`` is an exact point of it."""
    label: str
    n_params: int
    point: Callable = field(compare=False)

    def curve(self, base, direction):
        """The curve ``t -> point(base + t*direction)`` inside the set."""
        return lambda t: self.point([b + t * d for b, d in zip(base, direction)])


def fmt(c: F) -> str:
    c = F(c)
    return str(c.numerator) if c.denominator == 1 else f"{c.numerator}/{c.denominator}"


def poly_text(terms) -> str:
    """[(coef, monomial_text or '')] -> '2*x - y + 1/2' (zero terms dropped)."""
    out = ""
    for c, m in terms:
        c = F(c)
        if c == 0:
            continue
        sign = "-" if c < 0 else "+"
        a = abs(c)
        body = fmt(a) if not m else (m if a == 1 else f"{fmt(a)}*{m}")
        out += (("-" if sign == "-" else "") + body) if not out else f" {sign} {body}"
    return out or "0"


class Atom:
    """A kink polynomial with a parametrised zero set (in ``names``, 2 or 3 variables)."""
    text: str

    def sets(self) -> list[KinkSet]:
        raise NotImplementedError

    def shifted(self, c):
        """The atom ``self - c`` (same family), or None when its zero set is not rational."""
        return None

    def node(self):
        return E.parse(self.text)


def _embed(names, pair, free_vals, xy):
    """Place a 2-D point xy at the coordinates ``pair``; the other coordinates take free_vals."""
    out, it = [], iter(free_vals)
    for v in names:
        out.append(xy[pair.index(v)] if v in pair else next(it))
    return tuple(out)


class Line(Atom):
    """sum(a_i * v_i) + c."""

    def __init__(self, names, coeffs, c):
        self.names, self.coeffs, self.c = tuple(names), tuple(F(a) for a in coeffs), F(c)
        assert any(self.coeffs)
        self.text = poly_text([(a, v) for a, v in zip(self.coeffs, self.names)] + [(self.c, "")])

    def sets(self):
        k = next(i for i, a in enumerate(self.coeffs) if a != 0)
        n = len(self.names)

        def point(params):
            params = list(params)
            vals = params[:k] + [F(0)] + params[k:]
            s = sum(a * v for i, (a, v) in enumerate(zip(self.coeffs, vals)) if i != k) + self.c
            vals[k] = -s / self.coeffs[k]
            return tuple(vals)
        return [KinkSet(self.text, n - 1, point)]

    def shifted(self, c):
        return Line(self.names, self.coeffs, self.c - F(c))


class Parabola(Atom):
    """u - w**2 + c on the pair (u, w): zero set u = w**2 - c."""

    def __init__(self, names, u, w, c):
        self.names, self.u, self.w, self.c = tuple(names), u, w, F(c)
        self.text = poly_text([(1, u), (-1, f"{w}**2"), (self.c, "")])

    def sets(self):
        pair = (self.u, self.w)

        def point(params):
            t = params[0]
            return _embed(self.names, pair, params[1:], (t * t - self.c, t))
        return [KinkSet(self.text, len(self.names) - 1, point)]

    def shifted(self, c):
        return Parabola(self.names, self.u, self.w, self.c - F(c))


class Hyperbola(Atom):
    """u*w - c: the two axes when c = 0, else the curve (c/t, t)."""

    def __init__(self, names, u, w, c=0):
        self.names, self.u, self.w, self.c = tuple(names), u, w, F(c)
        self.text = poly_text([(1, f"{u}*{w}"), (-self.c, "")])

    def sets(self):
        pair = (self.u, self.w)
        n = len(self.names)
        if self.c == 0:
            return [KinkSet(f"{self.u} = 0", n - 1, lambda p: _embed(self.names, pair, p[1:], (F(0), p[0]))),
                    KinkSet(f"{self.w} = 0", n - 1, lambda p: _embed(self.names, pair, p[1:], (p[0], F(0))))]

        def point(params):
            t = params[0] if params[0] != 0 else F(1, 7)
            return _embed(self.names, pair, params[1:], (self.c / t, t))
        return [KinkSet(self.text, n - 1, point)]

    def shifted(self, c):
        return Hyperbola(self.names, self.u, self.w, self.c + F(c))


class Circle(Atom):
    """u**2 + w**2 - r**2 (r rational): ((1-t^2)/(1+t^2), 2t/(1+t^2)) * r."""

    def __init__(self, names, u, w, r):
        self.names, self.u, self.w, self.r = tuple(names), u, w, F(r)
        self.text = poly_text([(1, f"{u}**2"), (1, f"{w}**2"), (-self.r ** 2, "")])

    def sets(self):
        pair = (self.u, self.w)

        def point(params):
            t = params[0]
            d = 1 + t * t
            return _embed(self.names, pair, params[1:], (self.r * (1 - t * t) / d, self.r * 2 * t / d))
        return [KinkSet(self.text, len(self.names) - 1, point)]

    def shifted(self, c):
        r2 = self.r ** 2 + F(c)
        if r2 <= 0:
            return None
        num, den = r2.numerator, r2.denominator
        rn, rd = int(num ** 0.5 + 0.5), int(den ** 0.5 + 0.5)
        if rn * rn == num and rd * rd == den:
            return Circle(self.names, self.u, self.w, F(rn, rd))
        return None


def axis_sets(names, var, roots=(0,)):
    """The hyperplanes var = root (for factors such as ``y`` or ``(y**2 - 1)``)."""
    coeffs = [1 if v == var else 0 for v in names]
    return [s for r in roots for s in Line(names, coeffs, -F(r)).sets()]
