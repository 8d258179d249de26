"""Build programs in Python with operator overloading.

:class:`Expr` wraps one hash-consed :class:`~semialg.core.dag.Node`. Arithmetic uses
the canonical builders of :mod:`semialg.core.dag`, exactly as the parser does, so a
program built here is *the same nodes* as the parsed text:

>>> from semialg.frontends.text import parse
>>> x, y = variables("x y")
>>> program(relu(x + y)).outputs == parse("relu(x + y)").outputs
True
>>> program([max_(x, 0.1 * y), *sort(x, y)]).to_text()
'max(x, 1/10 * y), sort(x, y)[0], sort(x, y)[1]'

Numbers are exact: a float is read from its ``repr`` (``0.1`` is ``1/10``).
Comparisons (``< <= > >= == !=``) make *conditions*, combined with ``&``, ``|``
and ``~`` and used in :func:`where`. Because ``==`` builds a condition, compare
two expressions for identity with ``a.node is b.node``. Python's own ``and``,
``or``, ``not``, ``if`` and chained comparisons ``0 < x < 1`` need a truth value,
which an expression does not have: they raise :class:`~semialg.core.errors.InputError`.
"""
from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from semialg.core.dag import Node, Program, add, mul, neg, power, sub
from semialg.core.errors import InputError, UnsupportedError
from semialg.core.primitives import REGISTRY
from semialg.core.primitives.custom import check_custom_gradients

__all__ = ["Expr", "variables", "program", "custom", "relu", "abs_", "max_", "min_", "clip", "clamp", "leaky_relu",
           "hardtanh", "relu6", "sort", "where", "sign", "step", "heaviside", "floor", "round_", "sqrt", "cbrt", "norm"]

_PREDICATES = frozenset(name for name, prim in REGISTRY.items() if prim.predicate)
_WRAPPERS: dict[int, "Expr"] = {}  # id(node) -> its Expr; nodes are interned for good, so ids stay valid


def _exact(value) -> Fraction:
    """A Python number as an exact Fraction (floats via their shortest repr)."""
    if isinstance(value, bool):
        raise InputError(f"{value} is a truth value, not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InputError(f"{value} is not a finite real number")
        return Fraction(repr(float(value)))  # float(): numpy's repr is 'np.float64(...)'
    if isinstance(value, (int, Fraction, Decimal, numbers.Rational)):
        return Fraction(value)
    if isinstance(value, numbers.Real):  # numpy floats and the like
        return _exact(float(value))
    raise InputError(f"cannot use {value!r} ({type(value).__name__}) as a number; use ints, floats, Fractions or Exprs")


class Expr:
    """A numeric expression or a condition over input variables (immutable).

    ``node`` is the underlying hash-consed DAG node. Wrappers are interned too
    (one Expr per node), so ``relu(x) is relu(x)`` and Exprs work as set
    members and dict keys even though ``==`` builds a condition.
    """

    __slots__ = ("node",)
    __array_ufunc__ = None  # numpy scalars and arrays defer to Expr's reflected operators

    def __new__(cls, node: Node):
        if not isinstance(node, Node):
            raise InputError(f"Expr wraps a Node, got {type(node).__name__}")
        expr = _WRAPPERS.get(id(node))
        if expr is None:
            expr = object.__new__(cls)
            object.__setattr__(expr, "node", node)
            expr = _WRAPPERS.setdefault(id(node), expr)
        return expr

    def __reduce__(self):
        return (Expr, (self.node,))

    def __setattr__(self, name, value):
        raise AttributeError("Expr is immutable")

    @property
    def is_condition(self) -> bool:
        """True for comparisons and their and/or/not combinations."""
        return self.node.op in _PREDICATES

    def __repr__(self) -> str:
        return f"Expr({Program((), (self.node,)).to_text()!r})"

    def __hash__(self) -> int:
        return id(self.node)

    def __bool__(self):
        what = "a condition" if self.is_condition else "an expression"
        raise InputError(f"{what} has no truth value: use where(cond, a, b) to choose, & | ~ to combine conditions "
                         "(not and/or/not), and write 0 < x < 1 as (0 < x) & (x < 1)")

    # arithmetic -------------------------------------------------------------
    def __add__(self, other):
        return Expr(add(_num(self), _num(other)))

    def __radd__(self, other):
        return Expr(add(_num(other), _num(self)))

    def __sub__(self, other):
        return Expr(sub(_num(self), _num(other)))

    def __rsub__(self, other):
        return Expr(sub(_num(other), _num(self)))

    def __mul__(self, other):
        return Expr(mul(_num(self), _num(other)))

    def __rmul__(self, other):
        return Expr(mul(_num(other), _num(self)))

    def __truediv__(self, other):
        return Expr(_divide(_num(self), _num(other)))

    def __rtruediv__(self, other):
        return Expr(_divide(_num(other), _num(self)))

    def __pow__(self, other):
        return Expr(_power(_num(self), _num(other)))

    def __rpow__(self, other):
        return Expr(_power(_num(other), _num(self)))

    def __neg__(self):
        return Expr(neg(_num(self)))

    def __pos__(self):
        _num(self)
        return self

    def __abs__(self):
        return abs_(self)

    def __round__(self, ndigits=None):
        if ndigits is not None:
            raise InputError("round(expr, ndigits) is not supported; round(expr) rounds to the nearest integer")
        return round_(self)

    # conditions -------------------------------------------------------------
    def __lt__(self, other):
        return _compare("lt", self, other)

    def __le__(self, other):
        return _compare("le", self, other)

    def __gt__(self, other):
        return _compare("gt", self, other)

    def __ge__(self, other):
        return _compare("ge", self, other)

    def __eq__(self, other):  # type: ignore[override]
        return _compare("eq", self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _compare("ne", self, other)

    def __and__(self, other):
        return _bool("and", self, other)

    def __rand__(self, other):
        return _bool("and", other, self)

    def __or__(self, other):
        return _bool("or", self, other)

    def __ror__(self, other):
        return _bool("or", other, self)

    def __invert__(self):
        return Expr(Node.make("not", (_cond(self),)))


# --------------------------------------------------------------------------- coercions
def _node(value) -> Node:
    if isinstance(value, Expr):
        return value.node
    if isinstance(value, Node):
        return value
    return Node.const(_exact(value))


def _num(value) -> Node:
    node = _node(value)
    if node.op in _PREDICATES:
        raise InputError("a condition is used as a number; conditions go inside where(cond, a, b)")
    return node


def _cond(value) -> Node:
    if isinstance(value, bool):
        raise InputError(f"{value} is a Python truth value; conditions are comparisons of expressions such as x > 0")
    node = _node(value)
    if node.op not in _PREDICATES:
        raise InputError("expected a condition (a comparison such as x > 0, combined with & | ~), got a number")
    return node


def _const(value, what: str) -> Fraction:
    node = _num(value)
    if not node.is_const:
        raise InputError(f"{what} must be a constant")
    return node.param


def _divide(a: Node, b: Node) -> Node:
    if not b.is_const:   # a quotient: a reciprocal, lifted exactly (undefined where b = 0)
        return mul(a, Node.make("inv", (b,)))
    if b.param == 0:
        raise InputError("division by zero")
    return mul(a, Node.const(1 / b.param))


def _power(base: Node, exponent: Node) -> Node:
    if not exponent.is_const:
        raise UnsupportedError("a power with a non-constant exponent is not supported, because it is not a polynomial")
    k = exponent.param
    if k.denominator != 1:
        if base.is_const:
            raise UnsupportedError(f"the power **{k} of a constant is not supported; write the number")
        root = Node.make("rpow", (base,), abs(k))   # a rational power: the real root, lifted exactly
        return Node.make("inv", (root,)) if k < 0 else root
    if k < 0:
        if base.is_const and base.param != 0:
            return Node.const(base.param ** int(k))
        if base.is_const:
            raise InputError("zero to a negative power is undefined")
        return Node.make("inv", (power(base, int(-k)),))
    return power(base, int(k))


def _compare(op: str, a, b) -> Expr:
    return Expr(Node.make(op, (_num(a), _num(b))))


def _bool(op: str, a, b) -> Expr:
    args: list[Node] = []
    for c in (_cond(a), _cond(b)):  # flatten a & b & c into one node, like 'a and b and c'
        args.extend(c.args if c.op == op else (c,))
    return Expr(Node.make(op, args))


def _unary(op: str, a) -> Expr:
    return Expr(Node.make(op, (_num(a),)))


# --------------------------------------------------------------------------- public builders
def variables(names: str | Iterable[str]) -> tuple[Expr, ...]:
    """Input variables, one :class:`Expr` per name (always a tuple).

    >>> x, y = variables("x, y")
    >>> (x * y - 1).node.op, variables("t")
    ('add', (Expr('t'),))
    """
    if isinstance(names, str):
        names = names.replace(",", " ").split()
    names = list(names)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"{name!r} is not a valid variable name; use names such as x, y, u1")
    if not names:
        raise InputError("no variable names given; e.g. variables('x y')")
    return tuple(Expr(Node.var(name)) for name in names)


def relu(a) -> Expr:
    """``max(a, 0)`` as the ``relu`` primitive.

    >>> x, = variables("x"); relu(x - 1)
    Expr('relu(x - 1)')
    """
    return _unary("relu", a)


def abs_(a) -> Expr:
    """``|a|`` (also ``abs(expr)``).

    >>> x, = variables("x"); abs(x), abs_(-x)
    (Expr('abs(x)'), Expr('abs(-x)'))
    """
    return _unary("abs", a)


def max_(*args) -> Expr:
    """Largest of two or more arguments (a list may be given as the single argument).

    >>> x, y = variables("x y"); max_(x, y, 0)
    Expr('max(x, y, 0)')
    """
    return _nary("max", args)


def min_(*args) -> Expr:
    """Smallest of two or more arguments.

    >>> x, = variables("x"); min_([x, 1 - x])
    Expr('min(x, -x + 1)')
    """
    return _nary("min", args)


def _nary(op: str, args: tuple) -> Expr:
    if len(args) == 1 and not isinstance(args[0], (Expr, Node, numbers.Number)):
        args = tuple(args[0])
    if len(args) < 2:
        raise InputError(f"{op} takes at least 2 arguments, got {len(args)}")
    return Expr(Node.make(op, [_num(a) for a in args]))


def _bound(value, lower: bool):
    """A clip bound node, or None for an absent / infinite bound of the right sign."""
    if value is None:
        return None
    if isinstance(value, float) and math.isinf(value):
        if (value > 0) != lower:
            return None
        raise InputError(f"the {'lower' if lower else 'upper'} bound of clip cannot be {value}")
    return _num(value)


def _clip(op: str, a, lo, hi) -> Expr:
    a, lo_n, hi_n = _num(a), _bound(lo, True), _bound(hi, False)
    if lo_n is None and hi_n is None:
        raise InputError(f"{op} needs at least one finite bound")
    if lo_n is not None and hi_n is not None and lo_n.is_const and hi_n.is_const and lo_n.param > hi_n.param:
        raise InputError(f"{op} has lower bound {lo_n.param} above upper bound {hi_n.param}")
    if hi_n is None:
        return Expr(Node.make(op, (a, lo_n), "lo"))
    if lo_n is None:
        return Expr(Node.make(op, (a, hi_n), "hi"))
    return Expr(Node.make(op, (a, lo_n, hi_n)))


def clip(a, lo=None, hi=None) -> Expr:
    """``min(max(a, lo), hi)``; ``None`` or ``±math.inf`` makes it one-sided.

    >>> x, = variables("x"); clip(x, 0, math.inf), clip(x, -1, 1)
    (Expr('clip(x, 0, inf)'), Expr('clip(x, -1, 1)'))
    """
    return _clip("clip", a, lo, hi)


def clamp(a, lo=None, hi=None) -> Expr:
    """``clip`` spelled as ``torch.clamp`` / ``lax.clamp`` (frameworks differ by spelling).

    >>> x, = variables("x"); clamp(x, lo=0)
    Expr('clamp(x, 0, inf)')
    """
    return _clip("clamp", a, lo, hi)


def leaky_relu(a, slope=None) -> Expr:
    """``a`` if ``a >= 0`` else ``slope * a`` (slope a constant, default 1/100).

    >>> x, = variables("x"); leaky_relu(x, 0.2)
    Expr('leaky_relu(x, 1/5)')
    """
    param = None if slope is None else _const(slope, "the slope of leaky_relu")
    return Expr(Node.make("leaky_relu", (_num(a),), param))


def hardtanh(a) -> Expr:
    """``clip(a, -1, 1)`` as the ``hardtanh`` primitive."""
    return _unary("hardtanh", a)


def relu6(a) -> Expr:
    """``clip(a, 0, 6)`` as the ``relu6`` primitive."""
    return _unary("relu6", a)


def sqrt(a) -> Expr:
    """The square root (undefined for ``a < 0``), lifted exactly.

    >>> x, y = variables("x y"); sqrt(x**2 + y**2)
    Expr('sqrt(x**2 + y**2)')
    """
    return _unary("sqrt", a)


def cbrt(a) -> Expr:
    """The real cube root."""
    return _unary("cbrt", a)


def norm(*args) -> Expr:
    """The Euclidean norm of the arguments (one primitive: its framework spelling is ``vector_norm``).

    >>> x, y = variables("x y"); norm(x, y)
    Expr('norm(x, y)')
    """
    if not args:
        raise InputError("norm(a, b, ...) needs at least one argument")
    return Expr(Node.make("norm", tuple(_num(a) for a in args)))


def sort(*args) -> list[Expr]:
    """The arguments sorted ascending: a list whose entry ``k`` is the ``k``-th smallest.

    >>> x, y = variables("x y"); sort(x, y)
    [Expr('sort(x, y)[0]'), Expr('sort(x, y)[1]')]
    """
    if len(args) == 1 and not isinstance(args[0], (Expr, Node, numbers.Number)):
        args = tuple(args[0])
    if not args:
        raise InputError("sort takes at least 1 argument")
    nodes = [_num(a) for a in args]
    return [Expr(Node.make("sort", nodes, k)) for k in range(len(nodes))]


def custom(a, grad) -> Expr:
    """``a`` with a hand-written gradient ``grad`` (one component per input variable, in order):
    backprop uses it at this node, the way ``jax.custom_jvp`` is used (theory §3).

    >>> x, = variables("x"); custom(relu(x), grad=[step(x)])
    Expr('custom(relu(x), grad=(step(x),))')
    """
    components = list(grad) if isinstance(grad, (list, tuple)) else [grad]
    if not components:
        raise InputError("custom(a, grad=...) needs one gradient component per variable")
    return Expr(Node.make("custom", (_num(a), *[_num(g) for g in components])))


def where(cond, a, b) -> Expr:
    """``a`` where ``cond`` holds, ``b`` elsewhere.

    >>> x, y = variables("x y"); where((x > 0) & ~(y == 0), x, 0)
    Expr('where(x > 0 and not y == 0, x, 0)')
    """
    return Expr(Node.make("where", (_cond(cond), _num(a), _num(b))))


def sign(a) -> Expr:
    """-1, 0 or 1 (discontinuous)."""
    return _unary("sign", a)


def step(a) -> Expr:
    """1 if ``a > 0`` else 0 (discontinuous)."""
    return _unary("step", a)


def heaviside(a) -> Expr:
    """1 if ``a > 0``, 1/2 at 0, 0 below (discontinuous)."""
    return _unary("heaviside", a)


def floor(a) -> Expr:
    """Largest integer ``<= a`` (discontinuous)."""
    return _unary("floor", a)


def round_(a) -> Expr:
    """Nearest integer, ties to even (discontinuous); also ``round(expr)``.

    >>> x, = variables("x"); round(x / 2)
    Expr('round(1/2 * x)')
    """
    return _unary("round", a)


def program(outputs, inputs: str | Sequence | None = None) -> Program:
    """A :class:`Program` with these outputs (an Expr, a number, or a list of them).

    ``inputs``: variable names (or variable Exprs) in order; default the free
    variables sorted by name, as :func:`semialg.frontends.text.parse` does.

    >>> x, y = variables("x y")
    >>> p = program([x * y, *sort(x, y)], inputs="y x")
    >>> p.inputs, p.n_outputs
    (('y', 'x'), 3)
    """
    if isinstance(outputs, (Expr, Node, numbers.Number)) or not isinstance(outputs, Iterable):
        outputs = [outputs]
    flat: list = []
    for out in outputs:
        if isinstance(out, (list, tuple)):
            flat.extend(out)
        else:
            flat.append(out)
    if not flat:
        raise InputError("a program needs at least one output")
    nodes = []
    for out in flat:
        node = _node(out)
        if node.op in _PREDICATES:
            raise InputError("an output is a condition; outputs are numbers: use where(cond, a, b)")
        nodes.append(node)
    free = Program((), tuple(nodes)).free_variables()
    if inputs is None:
        names = tuple(sorted(free))
    else:
        if isinstance(inputs, str):
            inputs = inputs.replace(",", " ").split()
        names = tuple(v.node.param if isinstance(v, Expr) and v.node.op == "var" else v for v in inputs)
        for v in names:
            if not isinstance(v, str) or not v.isidentifier():
                raise InputError(f"{v!r} is not a variable name")
        if len(set(names)) != len(names):
            raise InputError("a variable is listed twice in the inputs")
        extra = sorted(free - set(names))
        if extra:
            raise InputError(f"variable '{extra[0]}' appears in the outputs but not in the inputs {', '.join(names)}")
    out = Program(names, tuple(nodes))
    check_custom_gradients(out)
    return out
