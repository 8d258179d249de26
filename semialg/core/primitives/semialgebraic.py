"""Semialgebraic primitives that are not piecewise polynomial: real roots, reciprocals, the
Euclidean norm (theory §1, semialgebraic lifting).

Each is represented exactly by an auxiliary variable and its defining relation, so that cells,
samples and pieces stay polynomial in the lifted variables: ``t = a**(p/q)`` is ``t**p`` with
``s**q = a`` (``s >= 0`` for even ``q``); ``t = 1/b`` is ``t*b = 1``; ``t = norm(a1, ..)`` is
``t**2 = a1**2 + ..``, ``t >= 0``. A program is *lifted* (:mod:`semialg.frontends.lift`) before it
is stratified: every such node gets its auxiliary variables as extra trailing arguments, the
root ``s`` (pinned by the branch's relation) and, for roots and norms, a reciprocal ``r`` that
only the derivative uses (``r*s = 1`` is added to the questions that need it, never to the
cells, so that the closure relation is the one of the function's graph).

Branch labels: ``neg``, ``zero``, ``pos`` by the sign of the argument (for the norm: ``zero``
where every argument vanishes, ``pos`` elsewhere). A branch whose value is :data:`UNDEFINED`
is where the program has no value (a square root of a negative, a division by zero).

>>> from semialg.core.poly import Poly
>>> x, s, r = Poly.variables(3)
>>> [(b.label, len(b.conditions), b.value) for b in REGISTRY_LOCAL["sqrt"].branches([x, s, r])]
[('neg', 2, UNDEFINED), ('zero', 2, Poly(0)), ('pos', 3, Poly(x1))]
>>> REGISTRY_LOCAL["sqrt"].partials("pos", 3)
((Poly(1/2*x2), Fraction(0, 1), Fraction(0, 1)),)
"""
from __future__ import annotations

from fractions import Fraction

from semialg.core.poly import Poly
from semialg.core.primitives.base import F0, F1, NEG, POS, ZERO, Branch, Primitive


class _Undefined:
    """The value of a program where it is not defined (never a float NaN)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Undefined, ())


UNDEFINED = _Undefined()


class NonFinite:
    """A derivative value that a rule makes infinite or NaN (``sqrt'(0) = inf`` in every framework).

    ``kind``: ``"inf"`` (an unbounded partial) or ``"nan"``."""

    __slots__ = ("kind",)

    def __init__(self, kind: str = "inf"):
        self.kind = kind

    def __repr__(self) -> str:
        return f"NonFinite({self.kind!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, NonFinite) and other.kind == self.kind

    def __hash__(self) -> int:
        return hash(("nonfinite", self.kind))


class _Lifted(Primitive):
    """Base of the lifted primitives: ``n_aux`` trailing auxiliary arguments once lifted."""

    n_aux = 2
    kink_labels = ("zero",)
    semialgebraic = True

    def user_args(self, args):
        return args[:len(args) - self.n_aux]


class _RealRoot(_Lifted):
    """``a ** (p/q)`` for a reduced exponent with ``q >= 2``, ``p >= 1``: the value ``s**p`` where
    ``s`` is the real ``q``-th root of ``a`` (undefined for ``a < 0`` when ``q`` is even)."""

    arity = (1, 1)

    def exponent(self, param) -> Fraction:
        raise NotImplementedError(self.name)

    def branches(self, args, param=None):
        a, s = args[0], args[1]
        e = self.exponent(param)
        p, q = e.numerator, e.denominator
        rel = s ** q - a
        value = s ** p
        zero = Branch("zero", ((a, ZERO), (s, ZERO)), a * 0)
        pos = Branch("pos", ((a, POS), (s, POS), (rel, ZERO)), value)
        if q % 2 == 0:
            return [Branch("neg", ((a, NEG), (s, ZERO)), UNDEFINED), zero, pos]   # s pinned: cells stay graphs
        return [Branch("neg", ((a, NEG), (s, NEG), (rel, ZERO)), value), zero, pos]

    def value(self, label, args, param=None):
        for b in self.branches(args, param):
            if b.label == label:
                return b.value
        raise KeyError(label)

    def partials(self, label, nargs, param=None):
        """The partials with the root and reciprocal as the last two of ``nargs`` variables
        (:meth:`partials_at` with the lifted node's argument values is what the rules use)."""
        return self.partials_at(label, [None] * (nargs - 2) + Poly.variables(nargs)[nargs - 2:], param)

    def partials_at(self, label, args, param=None):
        """d/da a**e = e * s**(p - q) (``s`` the root), written with ``r = 1/s`` when ``p < q``; at
        ``a = 0`` it is 0 when ``e > 1`` and unbounded otherwise (the rules choose what to return)."""
        e = self.exponent(param)
        p, q = e.numerator, e.denominator
        nargs = len(args)
        pad = (F0,) * (nargs - 1)
        if label == "zero":
            return ((F0,) + pad,) if e > 1 else ((NonFinite("inf"),) + pad,)
        s, r = args[-2], args[-1]
        d = s ** (p - q) if p >= q else r ** (q - p)
        return ((d * e,) + pad,)

    def exact(self, args, param=None):
        """The value at a rational argument: a Fraction when it is rational, else a sympy number;
        :data:`UNDEFINED` where the root is not real."""
        a = Fraction(args[0])
        e = self.exponent(param)
        if a < 0 and e.denominator % 2 == 0:
            return UNDEFINED
        import sympy
        v = sympy.real_root(sympy.Rational(a.numerator, a.denominator), e.denominator) ** e.numerator
        v = sympy.nsimplify(v)
        return Fraction(int(v.p), int(v.q)) if v.is_Rational else v

    def to_sympy(self, args, param=None):
        import sympy
        e = self.exponent(param)
        return sympy.real_root(args[0], e.denominator) ** e.numerator


class Sqrt(_RealRoot):
    name, summary, example = "sqrt", "square root (undefined for a < 0)", "sqrt(x**2 + y**2)"

    def exponent(self, param):
        return Fraction(1, 2)


class Cbrt(_RealRoot):
    name, summary, example = "cbrt", "real cube root", "cbrt(x)"

    def exponent(self, param):
        return Fraction(1, 3)


class RationalPower(_RealRoot):
    """``a ** (p/q)`` written as a power (``x**(3/2)``): the exponent is the node's ``param``."""

    name, summary, example = "rpow", "a**(p/q), a rational exponent (written a**(3/2))", "relu(x)**(3/2)"

    def exponent(self, param):
        return Fraction(param)


class Reciprocal(_Lifted):
    """``1 / b``: ``t`` with ``t * b = 1``; undefined where ``b = 0``."""

    name, summary, example = "inv", "1 / b (written a / b; undefined where b = 0)", "x / (1 + y**2)"
    arity = (1, 1)
    n_aux = 1
    kink_labels = ()

    def branches(self, args, param=None):
        b, t = args[0], args[1]
        rel = t * b - 1
        return [Branch("neg", ((b, NEG), (rel, ZERO)), t), Branch("zero", ((b, ZERO), (t, ZERO)), UNDEFINED),
                Branch("pos", ((b, POS), (rel, ZERO)), t)]

    def partials(self, label, nargs, param=None):
        return self.partials_at(label, [None] + [Poly.variable(nargs, nargs - 1)], param)

    def partials_at(self, label, args, param=None):
        """d/db (1/b) = -1/b**2 = -t**2 (``t`` the lifted node's last argument)."""
        t = args[-1]
        return ((-(t * t), F0),)

    def exact(self, args, param=None):
        b = Fraction(args[0])
        return UNDEFINED if b == 0 else 1 / b

    def to_sympy(self, args, param=None):
        return 1 / args[0]


class Norm(_Lifted):
    """The Euclidean norm of its arguments: ``t`` with ``t**2 = a1**2 + ... + ak**2``, ``t >= 0``."""

    name, summary, example = "norm", "Euclidean norm sqrt(a1**2 + ... + ak**2)", "norm(x, y)"
    arity = (1, None)

    def branches(self, args, param=None):
        xs, t = self.user_args(args), args[-2]
        total = sum((a * a for a in xs[1:]), xs[0] * xs[0])
        zero = Branch("zero", tuple((a, ZERO) for a in xs) + ((t, ZERO),), t * 0)
        pos = Branch("pos", ((total, POS), (t, POS), (t * t - total, ZERO)), t)
        return [zero, pos]

    def partials(self, label, nargs, param=None):
        """At 0: the vertices ``±e_i`` of the cross-polytope inside the unit ball, the Clarke set there.
        They span the same affine hull as the ball, which is all the projection formula sees (it is
        affine in the field's value); Clarke reports use the ball itself. On the smooth branch the
        partials depend on the arguments: :meth:`partials_at`."""
        k = nargs - self.n_aux
        if label == "zero":
            return tuple(tuple(F1 * sgn if j == i else F0 for j in range(nargs)) for i in range(k) for sgn in (1, -1))
        raise ValueError("norm: the partials on the smooth branch need the argument values (partials_at)")

    def partials_at(self, label, args, param=None):
        """d/da_i norm = a_i / t = a_i * r, with the argument values ``args`` (lifted)."""
        if label == "zero":
            return self.partials(label, len(args), param)
        r = args[-1]
        return (tuple(a * r for a in self.user_args(args)) + (F0,) * self.n_aux,)

    def exact(self, args, param=None):
        import sympy
        total = sum(Fraction(a) ** 2 for a in args)
        v = sympy.sqrt(sympy.Rational(total.numerator, total.denominator))
        return Fraction(int(v.p), int(v.q)) if v.is_Rational else v

    def to_sympy(self, args, param=None):
        import sympy
        return sympy.sqrt(sum(a ** 2 for a in args))


REGISTRY_LOCAL = {cls.name: cls() for cls in (Sqrt, Cbrt, RationalPower, Reciprocal, Norm)}
LIFTED = frozenset(REGISTRY_LOCAL)
"""The names of the primitives that need auxiliary variables."""
