"""The continuous piecewise-linear primitives: relu, abs, leaky_relu, max, min, clip, clamp,
hardtanh, relu6 and sort. Each states its branches and its Clarke set at a kink."""
from __future__ import annotations

import itertools
from fractions import Fraction

from semialg.core.primitives.base import F0, F1, NEG, POS, ZERO, Branch, Primitive, _SignSplit, _unit


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
