"""Branching on conditions: ``where``, the comparisons and the boolean connectives."""
from __future__ import annotations

from fractions import Fraction

from semialg.core.primitives.base import F0, F1, NEG, POS, ZERO, Branch, Primitive


class Where(Primitive):
    """``where(cond, a, b)``: ``a`` where the condition holds, ``b`` elsewhere.

    It does not branch itself: its comparisons do. Label ``(value_of_cond, on_boundary)``.
    """

    name, summary, example = "where", "a where cond holds, b elsewhere (cond: comparisons with and/or/not)", "where(x > 0, x, 0)"
    arity = (3, 3)

    def branches(self, args, param=None):
        cond, a, b = args
        return [Branch((bool(cond), False), (), a if cond else b)]

    def is_kink(self, label) -> bool:
        return label[1]

    def partials(self, label, nargs, param=None):
        take_a = (F0, F1, F0)
        take_b = (F0, F0, F1)
        if label[1]:  # at the boundary of the condition: both branches are limits
            return (take_a, take_b) if label[0] else (take_b, take_a)
        return (take_a,) if label[0] else (take_b,)

    def exact(self, args, param=None):
        return args[1] if args[0] else args[2]

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Piecewise((args[1], args[0]), (args[2], True))


class Compare(Primitive):
    """A comparison ``a OP b``; branches on ``sign(a - b)``."""

    arity = (2, 2)
    predicate = True
    truth: dict = {}
    symbol = ""

    def branches(self, args, param=None):
        d = args[0] - args[1]
        return [Branch(s, ((d, s),), self.truth[s]) for s in (NEG, ZERO, POS)]

    def value(self, label, args, param=None):
        return self.truth[label]

    def partials(self, label, nargs, param=None):
        return ((F0,) * nargs,)

    def exact(self, args, param=None):
        d = Fraction(args[0]) - Fraction(args[1])
        return self.truth[(d > 0) - (d < 0)]

    def to_sympy(self, args, param=None):
        import sympy
        ops = {"<": sympy.Lt, "<=": sympy.Le, ">": sympy.Gt, ">=": sympy.Ge, "==": sympy.Eq, "!=": sympy.Ne}
        return ops[self.symbol](args[0], args[1])


def _compare(name: str, symbol: str, neg: bool, zero: bool, pos: bool) -> type:
    return type(name.capitalize(), (Compare,), {
        "name": name, "symbol": symbol, "summary": f"comparison a {symbol} b", "example": f"where(x {symbol} 0, x, 0)",
        "truth": {NEG: neg, ZERO: zero, POS: pos},
    })


class _Bool(Primitive):
    predicate = True

    def branches(self, args, param=None):
        return [Branch(None, (), self.exact(args))]

    def partials(self, label, nargs, param=None):
        return ((F0,) * nargs,)

    def to_sympy(self, args, param=None):
        import sympy
        return {"and": sympy.And, "or": sympy.Or, "not": sympy.Not}[self.name](*args)


class And(_Bool):
    name, arity, summary, example = "and", (2, None), "conjunction of conditions", "where(x > 0 and y > 0, x*y, 0)"

    def exact(self, args, param=None):
        return all(args)


class Or(_Bool):
    name, arity, summary, example = "or", (2, None), "disjunction of conditions", "where(x > 0 or y > 0, 1, 0)"

    def exact(self, args, param=None):
        return any(args)


class Not(_Bool):
    name, arity, summary, example = "not", (1, 1), "negation of a condition", "where(not x > 0, 0, x)"

    def exact(self, args, param=None):
        return not args[0]


# --------------------------------------------------------------------------- discontinuous
