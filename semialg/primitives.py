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
['abs', 'and', 'clamp', 'clip']
>>> REGISTRY["relu"].partials(REGISTRY["relu"].branch_labels(1)[1], 1)
((Fraction(0, 1),), (Fraction(1, 1),))
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from .poly import Poly

NEG, ZERO, POS = -1, 0, 1
Vector = tuple[Fraction, ...]
F0, F1, HALF = Fraction(0), Fraction(1), Fraction(1, 2)


@dataclass(frozen=True)
class Branch:
    """One branch of a nonsmooth node.

    ``conditions``: pairs ``(p, s)`` meaning ``sign(p) == s``; ``value``: the
    node's value on the branch (a :class:`Poly`, or a bool for predicates);
    ``label``: hashable name used by derivative rules.
    """

    label: object
    conditions: tuple[tuple[Poly, int], ...]
    value: object


def _unit(n: int, i: int) -> Vector:
    return tuple(F1 if j == i else F0 for j in range(n))


class Primitive:
    """Base class. Subclasses set ``name``, ``arity`` and ``continuous``."""

    name: str = ""
    arity: tuple[int, int | None] = (1, 1)  # (min, max); max None = n-ary
    continuous: bool = True
    predicate: bool = False  # boolean-valued (comparisons, and/or/not)
    summary: str = ""
    example: str = ""
    # labels of the open (smooth) branches and of the kinks, for documentation and rules
    kink_labels: tuple = ()

    def branches(self, args: Sequence, param=None) -> list[Branch]:
        raise NotImplementedError(f"{self.name}: branches")  # every subclass overrides

    def partials(self, label, nargs: int, param=None) -> tuple[Vector, ...]:
        raise NotImplementedError(f"{self.name}: partials")

    def exact(self, args: Sequence[Fraction], param=None):
        raise NotImplementedError(f"{self.name}: exact")

    def to_sympy(self, args: Sequence, param=None):
        raise NotImplementedError(f"{self.name}: to_sympy")

    def value(self, label, args: Sequence, param=None):
        """The value on branch ``label`` (what :meth:`branches` gives there, without the others)."""
        for b in self.branches(args, param):
            if b.label == label:
                return b.value
        raise KeyError(f"{self.name} has no branch {label!r}")

    def branch_labels(self, nargs: int, param=None) -> list:
        """All labels this primitive can produce with ``nargs`` arguments."""
        dummy = Poly.variables(nargs) if nargs else []
        return [b.label for b in self.branches(dummy, param)]

    def is_kink(self, label) -> bool:
        return label in self.kink_labels


# --------------------------------------------------------------------------- sign-based
class _SignSplit(Primitive):
    """Primitives of one argument that branch on its sign: ``neg``, ``zero``, ``pos``."""

    kink_labels = ("zero",)
    values: dict = {}
    slopes: dict = {}

    def branches(self, args, param=None):
        (a,) = args[:1]
        return [
            Branch("neg", ((a, NEG),), self._piece("neg", args)),
            Branch("zero", ((a, ZERO),), self._piece("zero", args)),
            Branch("pos", ((a, POS),), self._piece("pos", args)),
        ]

    def _piece(self, label, args):
        a = args[0]
        slope, const = self.values[label]
        return a * slope + const if isinstance(a, Poly) else slope * a + const

    def value(self, label, args, param=None):
        return self._piece(label, args)

    def partials(self, label, nargs, param=None):
        if label == "zero":
            return tuple((Fraction(s),) + (F0,) * (nargs - 1) for s in self.slopes_at_kink(param))
        return ((Fraction(self.values[label][0]),) + (F0,) * (nargs - 1),)

    def slopes_at_kink(self, param=None):
        return (self.values["neg"][0], self.values["pos"][0])

    def exact(self, args, param=None):
        a = Fraction(args[0])
        label = "neg" if a < 0 else "zero" if a == 0 else "pos"
        slope, const = self.values[label]
        return slope * a + const


class Relu(_SignSplit):
    name, summary, example = "relu", "max(a, 0)", "relu(x - 1)"
    values = {"neg": (0, 0), "zero": (0, 0), "pos": (1, 0)}

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Max(args[0], 0)


class Abs(_SignSplit):
    name, summary, example = "abs", "|a|", "abs(x) + abs(y)"
    values = {"neg": (-1, 0), "zero": (0, 0), "pos": (1, 0)}

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Abs(args[0])


class LeakyRelu(Primitive):
    """``leaky_relu(a, s)``: ``a`` for ``a >= 0``, ``s * a`` otherwise.

    The slope ``s`` is a constant stored as the node's ``param`` (default 1/100,
    as in PyTorch), so the node has one argument.
    """

    name, summary, example = "leaky_relu", "a if a >= 0 else s*a (s a constant, default 1/100)", "leaky_relu(x, 1/10)"
    arity = (1, 1)
    kink_labels = ("zero",)

    @staticmethod
    def slope(param) -> Fraction:
        return Fraction(1, 100) if param is None else Fraction(param)

    def branches(self, args, param=None):
        a = args[0]
        return [
            Branch("neg", ((a, NEG),), a * self.slope(param)),
            Branch("zero", ((a, ZERO),), a * 0),
            Branch("pos", ((a, POS),), a),
        ]

    def partials(self, label, nargs, param=None):
        s = self.slope(param)
        return {"neg": ((s,),), "pos": ((F1,),)}.get(label, ((s,), (F1,)))

    def exact(self, args, param=None):
        a = Fraction(args[0])
        return a if a >= 0 else self.slope(param) * a

    def to_sympy(self, args, param=None):
        import sympy
        s = self.slope(param)
        return sympy.Piecewise((args[0], args[0] >= 0), (sympy.Rational(s.numerator, s.denominator) * args[0], True))


# --------------------------------------------------------------------------- max / min
class Max(Primitive):
    """``max(a1, ..., an)``; branch label = frozenset of the indices attaining the max."""

    name, summary, example = "max", "largest argument (2 args: elementwise maximum; more: a reduction)", "max(x, y, 0)"
    arity = (2, None)
    sense = 1

    def branches(self, args, param=None):
        n = len(args)
        out = []
        for size in range(1, n + 1):
            for tied in itertools.combinations(range(n), size):
                rep = tied[0]
                conds = tuple((args[i] - args[rep], ZERO) for i in tied[1:])
                conds += tuple(((args[rep] - args[j]) * self.sense, POS) for j in range(n) if j not in tied)
                out.append(Branch(frozenset(tied), conds, args[rep]))
        return out

    def is_kink(self, label) -> bool:
        return len(label) > 1

    def value(self, label, args, param=None):
        return args[min(label)]

    def partials(self, label, nargs, param=None):
        return tuple(_unit(nargs, i) for i in sorted(label))

    def exact(self, args, param=None):
        return max(map(Fraction, args)) if self.sense > 0 else min(map(Fraction, args))

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Max(*args) if self.sense > 0 else sympy.Min(*args)


class Min(Max):
    name, summary, example = "min", "smallest argument (2 args: elementwise minimum; more: a reduction)", "min(x, 1 - x)"
    sense = -1


# --------------------------------------------------------------------------- clip family
class Clip(Primitive):
    """``clip(a, lo, hi) = min(max(a, lo), hi)``; one-sided when ``param`` is ``'lo'``/``'hi'``.

    Labels: ``below``, ``at_lo``, ``mid``, ``at_hi``, ``above`` and, for
    non-constant bounds that cross, ``lo_above_hi`` / ``lo_eq_hi`` variants.
    """

    name, summary, example = "clip", "min(max(a, lo), hi); clip(a, lo, inf) and clip(a, -inf, hi) are one-sided", "clip(x, 0, 1)"
    arity = (3, 3)
    kink_labels = ("at_lo", "at_hi", "at_both", "tie_lo_hi")

    def _bounds(self, args, param):
        if param == "lo":
            return args[0], args[1], None
        if param == "hi":
            return args[0], None, args[1]
        return args[0], args[1], args[2]

    def branches(self, args, param=None):
        a, lo, hi = self._bounds(args, param)
        out = []
        lo_branches = [("below", ((a - lo, NEG),), lo), ("at_lo", ((a - lo, ZERO),), a), ("mid", ((a - lo, POS),), a)] if lo is not None else [("mid", (), a)]
        for lab1, conds1, m in lo_branches:
            if hi is None:
                out.append(Branch(lab1, conds1, m))
                continue
            for s2, lab2 in ((NEG, None), (ZERO, "eq"), (POS, "above")):
                conds = conds1 + ((m - hi, s2),)
                if s2 == NEG:
                    label, value = lab1, m
                elif s2 == POS:
                    label, value = ("above" if lab1 == "mid" else "above_" + lab1), hi
                else:
                    label = {"mid": "at_hi", "at_lo": "at_both", "below": "tie_lo_hi"}[lab1]
                    value = m
                out.append(Branch(label, conds, value))
        return out

    def partials(self, label, nargs, param=None):
        # argument positions: a=0, then the finite bounds in order
        pos_lo = 1 if param in (None, "lo") else None
        pos_hi = (2 if param is None else 1) if param in (None, "hi") else None
        e = lambda i: _unit(nargs, i)
        table = {
            "mid": (e(0),), "below": (e(pos_lo),) if pos_lo is not None else (),
            "at_lo": (e(0), e(pos_lo)) if pos_lo is not None else (),
            "at_hi": (e(0), e(pos_hi)) if pos_hi is not None else (),
        }
        if label in table:
            return table[label]
        if label.startswith("above"):
            return (e(pos_hi),)
        if label == "at_both":
            return (e(0), e(pos_lo), e(pos_hi))
        if label == "tie_lo_hi":
            return (e(pos_lo), e(pos_hi))
        raise KeyError(label)

    def exact(self, args, param=None):
        a, lo, hi = self._bounds([Fraction(v) for v in args], param)
        m = a if lo is None else max(a, lo)
        return m if hi is None else min(m, hi)

    def to_sympy(self, args, param=None):
        import sympy
        a, lo, hi = self._bounds(list(args), param)
        m = a if lo is None else sympy.Max(a, lo)
        return m if hi is None else sympy.Min(m, hi)


class Clamp(Clip):
    """``clamp(a, lo, hi)``: the same function as ``clip``, spelled as ``torch.clamp``/``lax.clamp``."""

    name, example = "clamp", "clamp(x, 0, inf)"
    summary = "the same function as clip (min(max(a, lo), hi)), spelled as torch.clamp / lax.clamp: presets differ"


class _FixedClip(Primitive):
    """A clip with constant bounds under its own name (spelling matters to frameworks)."""

    arity = (1, 1)
    kink_labels = ("at_lo", "at_hi")
    lo: Fraction = F0
    hi: Fraction = F1

    def branches(self, args, param=None):
        a = args[0]
        lo, hi = self.lo, self.hi
        return [
            Branch("below", ((a - lo, NEG),), a * 0 + lo),
            Branch("at_lo", ((a - lo, ZERO),), a),
            Branch("mid", ((a - lo, POS), (a - hi, NEG)), a),
            Branch("at_hi", ((a - hi, ZERO),), a),
            Branch("above", ((a - hi, POS),), a * 0 + hi),
        ]

    def partials(self, label, nargs, param=None):
        return {"below": ((F0,),), "above": ((F0,),), "mid": ((F1,),)}.get(label, ((F0,), (F1,)))

    def exact(self, args, param=None):
        return min(max(Fraction(args[0]), self.lo), self.hi)

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.Min(sympy.Max(args[0], self.lo), self.hi)


class Hardtanh(_FixedClip):
    name, summary, example = "hardtanh", "clip(a, -1, 1)", "hardtanh(2*x)"
    lo, hi = Fraction(-1), Fraction(1)


class Relu6(_FixedClip):
    name, summary, example = "relu6", "clip(a, 0, 6)", "relu6(x)"
    lo, hi = Fraction(0), Fraction(6)


# --------------------------------------------------------------------------- sort
class Sort(Primitive):
    """``sort(a1..an)[k]``: the k-th smallest argument (0-based, ascending).

    Label ``(L, T)``: the indices strictly below the k-th value and those tied with it.
    """

    name, summary, example = "sort", "sorted arguments, ascending (a vector output; sort(...)[k] is one entry)", "sort(x, y, 0)"
    arity = (1, None)

    def branches(self, args, param=None):
        k = param or 0
        n = len(args)
        out = []
        for tsize in range(1, n + 1):
            for tied in itertools.combinations(range(n), tsize):
                rest = [i for i in range(n) if i not in tied]
                for lsize in range(len(rest) + 1):
                    if not (lsize <= k < lsize + tsize):
                        continue
                    for below in itertools.combinations(rest, lsize):
                        rep = tied[0]
                        conds = tuple((args[i] - args[rep], ZERO) for i in tied[1:])
                        conds += tuple((args[rep] - args[j], POS) for j in below)
                        conds += tuple((args[j] - args[rep], POS) for j in rest if j not in below)
                        out.append(Branch((frozenset(below), frozenset(tied)), conds, args[rep]))
        return out

    def is_kink(self, label) -> bool:
        return len(label[1]) > 1

    def value(self, label, args, param=None):
        return args[min(label[1])]

    def partials(self, label, nargs, param=None):
        return tuple(_unit(nargs, i) for i in sorted(label[1]))

    def exact(self, args, param=None):
        return sorted(map(Fraction, args))[param or 0]

    def to_sympy(self, args, param=None):
        import sympy
        # the k-th order statistic as a max over k-subsets of mins (exact, branch-free)
        k = param or 0
        n = len(args)
        return sympy.Max(*[sympy.Min(*sub) for sub in itertools.combinations(args, n - k)])


# --------------------------------------------------------------------------- where and predicates
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
        from .sympy_bridge import round_half_even  # a sympy function that evaluates at rationals
        return round_half_even()(args[0])


# --------------------------------------------------------------------------- registry
_CLASSES = [
    Relu, Abs, LeakyRelu, Max, Min, Clip, Clamp, Hardtanh, Relu6, Sort, Where,
    _compare("lt", "<", True, False, False), _compare("le", "<=", True, True, False),
    _compare("gt", ">", False, False, True), _compare("ge", ">=", False, True, True),
    _compare("eq", "==", False, True, False), _compare("ne", "!=", True, False, True),
    And, Or, Not, Sign, Step, Heaviside, Floor, Round,
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
