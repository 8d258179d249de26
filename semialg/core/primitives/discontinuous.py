"""The discontinuous primitives (sign, step, heaviside, floor, round): parsed so that the
checks can say the program is not locally Lipschitz, never accepted as Lipschitz."""
from __future__ import annotations

import math
from fractions import Fraction

from semialg.core.primitives.base import F0, HALF, NEG, POS, ZERO, Branch, Primitive, _SignSplit


class Sign(_SignSplit):
    name, summary, example = "sign", "-1, 0 or 1 (discontinuous)", "sign(x)"
    continuous = False
    values = {"neg": (0, -1), "zero": (0, 0), "pos": (0, 1)}

    def slopes_at_kink(self, param=None):
        return (0,)

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.sign(args[0])


class Step(Sign):
    name, summary, example = "step", "1 if a > 0 else 0 (discontinuous)", "step(x)"
    values = {"neg": (0, 0), "zero": (0, 0), "pos": (0, 1)}

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Piecewise((1, args[0] > 0), (0, True))


class Heaviside(Sign):
    name, summary, example = "heaviside", "1 if a > 0, 1/2 at 0, 0 if a < 0 (discontinuous; sympy's Heaviside)", "heaviside(x)"
    values = {"neg": (0, 0), "zero": (0, HALF), "pos": (0, 1)}

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Heaviside(args[0], sympy.Rational(1, 2))


class Floor(Primitive):
    """``floor(a)``: jumps at every integer value of ``a``; near ``a == k`` it is
    ``k`` for ``a >= k`` and ``k - 1`` below, which :meth:`branches` uses with ``param = k``."""

    name, summary, example = "floor", "largest integer <= a (discontinuous)", "floor(x)"
    continuous = False
    kink_labels = ("zero",)

    def branches(self, args, param=None):
        k = Fraction(param or 0)
        a = args[0]
        return [Branch("neg", ((a - k, NEG),), a * 0 + (k - 1)),
                Branch("zero", ((a - k, ZERO),), a * 0 + k),
                Branch("pos", ((a - k, POS),), a * 0 + k)]

    def partials(self, label, nargs, param=None):
        return ((F0,),)

    def exact(self, args, param=None):
        return Fraction(math.floor(Fraction(args[0])))

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.floor(args[0])


class Round(Floor):
    """``round(a)``: nearest integer, ties to even (Python, numpy); near ``a = 1/2`` it is
    ``0`` for ``a <= 1/2`` and ``1`` above."""

    name, summary, example = "round", "nearest integer, ties to even (discontinuous)", "round(x)"

    def branches(self, args, param=None):
        a = args[0]
        return [Branch("neg", ((a - HALF, NEG),), a * 0),
                Branch("zero", ((a - HALF, ZERO),), a * 0),
                Branch("pos", ((a - HALF, POS),), a * 0 + 1)]

    def exact(self, args, param=None):
        return Fraction(round(Fraction(args[0])))

    def to_sympy(self, args, param=None):
        return round_half_even()(args[0])


_ROUND: list = []


def round_half_even():
    """The sympy function class ``round_half_even`` (nearest integer, ties to even).

    It evaluates at rational arguments, so ``subs`` yields numbers. ``numeric`` maps the name to numpy's
    ``round`` and :func:`from_sympy` reads either back as ``round``.

    >>> import sympy
    >>> f = round_half_even()
    >>> f(sympy.Rational(5, 2)), f(sympy.Rational(-3, 2)), f(sympy.Symbol("x"))
    (2, -2, round_half_even(x))
    """
    if not _ROUND:
        import sympy

        class round_half_even(sympy.Function):  # noqa: N801 - the name numeric and from_sympy know
            """Nearest integer, ties to even (Python's and numpy's ``round``)."""

            @classmethod
            def eval(cls, a):
                if a.is_Rational:
                    return sympy.Integer(round(Fraction(int(a.p), int(a.q))))
                return None

        _ROUND.append(round_half_even)
    return _ROUND[0]
