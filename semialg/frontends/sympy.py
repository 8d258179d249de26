"""Conversions between :class:`~semialg.core.dag.Program` and sympy expressions.

:func:`to_sympy` gives one sympy expression per output (each primitive through
its own ``to_sympy``); :func:`from_sympy` reads the piecewise-polynomial
fragment of sympy back into canonical DAG nodes: ``Add, Mul, Pow`` (integer
exponents), numbers (a ``Float`` is read exactly from its decimal string),
symbols, ``Max, Min, Abs, Piecewise, Heaviside, sign, floor, ceiling``,
relationals and ``And/Or/Not``. Anything else (``sin``, ``exp``, ``sqrt``, ...)
raises :class:`~semialg.core.errors.UnsupportedError` saying why.

Invariant: both directions are iterative (explicit stacks), and
``from_sympy(to_sympy(p))`` is the same *function* as ``p`` (not always the same
spelling: ``relu(x)`` comes back as ``max(0, x)``, since sympy writes it ``Max(0, x)``).

>>> import sympy
>>> x, y = sympy.symbols("x y")
>>> from_sympy(sympy.Max(x - y, 0) + sympy.Rational(1, 2) * abs(y)).to_text()
'1/2 * abs(y) + max(0, x - y)'
>>> from semialg.frontends.text import parse
>>> to_sympy(parse("relu(x) - relu(-x)"))
[-Max(0, -x) + Max(0, x)]
"""
from __future__ import annotations

from fractions import Fraction
from typing import Iterable, Sequence

from semialg.core.dag import AUX_ARGS, Node, Program, add, mul, power
from semialg.core.errors import InputError, UnsupportedError
from semialg.core.primitives import REGISTRY
from semialg.core.primitives.discontinuous import round_half_even

__all__ = ["to_sympy", "from_sympy", "symbols_for", "round_half_even"]

_PREDICATES = frozenset(name for name, prim in REGISTRY.items() if prim.predicate)


def symbols_for(names: Sequence[str]) -> list:
    """The sympy symbols :func:`to_sympy` uses: real symbols with these names.

    >>> symbols_for(["x"])[0].is_real
    True
    """
    import sympy

    return [sympy.Symbol(name, real=True) for name in names]


def to_sympy(program: Program, symbols: Sequence | None = None) -> list:
    """One sympy expression per output of ``program``.

    Variables become real symbols (:func:`symbols_for`) unless ``symbols`` (one
    per input, in order) is given. ``round`` becomes :func:`round_half_even`
    (numpy's ``round`` implements it in ``numeric``).

    >>> from semialg.frontends.text import parse
    >>> to_sympy(parse("where(x > 0, x**2, -x), clip(y, 0, 1)"))
    [Piecewise((x**2, x > 0), (-x, True)), Min(1, Max(0, y))]
    """
    import sympy

    syms = list(symbols) if symbols is not None else symbols_for(program.inputs)
    if len(syms) != program.n_inputs:
        raise InputError(f"expected {program.n_inputs} symbols (one per input), got {len(syms)}")
    by_name = dict(zip(program.inputs, syms))
    values: dict[int, object] = {}
    for node in program.topological_order():
        args = [values[id(a)] for a in node.args]
        op = node.op
        if op == "const":
            value = sympy.Rational(node.param.numerator, node.param.denominator)
        elif op == "var":
            value = by_name.get(node.param)
            if value is None:
                value = sympy.Symbol(node.param, real=True)
        elif op == "add":
            value = sympy.Add(*args)
        elif op == "mul":
            value = sympy.Mul(*args)
        elif op == "pow":
            value = sympy.Pow(args[0], int(node.param))
        elif op in AUX_ARGS and len(node.args) > 1 and node.args[-1].op == "var":   # a lifted node: its user arguments
            value = REGISTRY[op].to_sympy(args[:len(args) - AUX_ARGS[op]], node.param)
        elif op == "round":
            value = round_half_even()(args[0])
        else:
            value = REGISTRY[op].to_sympy(args, node.param)
        values[id(node)] = value
    return [values[id(o)] for o in program.outputs]


# --------------------------------------------------------------------------- from sympy
_NOT_SUPPORTED_WHY = {
    "sqrt": "roots are not piecewise polynomial", "Pow": "only constant integer exponents are polynomial",
    "exp": "it is transcendental (not semialgebraic)", "log": "it is transcendental (not semialgebraic)",
    "sin": "it is periodic (not semialgebraic)", "cos": "it is periodic (not semialgebraic)",
    "tan": "it is periodic (not semialgebraic)", "tanh": "it is transcendental (not semialgebraic); hardtanh is the piecewise-linear version",
    "Mod": "it is not continuous and not supported", "DiracDelta": "it is a distribution, not a function",
}
_RELATIONALS = {"StrictLessThan": "lt", "LessThan": "le", "StrictGreaterThan": "gt", "GreaterThan": "ge",
                "Equality": "eq", "Unequality": "ne"}


def _why(name: str) -> str:
    from semialg.frontends.text import NOT_SEMIALGEBRAIC

    return _NOT_SUPPORTED_WHY.get(name) or NOT_SEMIALGEBRAIC.get(name.lower()) or \
        "it is outside the piecewise-polynomial fragment semialg verifies"


def _children(expr) -> list:
    """The subexpressions :func:`_convert` needs converted before ``expr``."""
    import sympy

    if isinstance(expr, sympy.Piecewise):
        out = []
        for pair in expr.args:
            out.append(pair.expr)
            if pair.cond not in (sympy.true, sympy.false):
                out.append(pair.cond)
        return out
    if isinstance(expr, (sympy.Heaviside, sympy.Pow)):
        return [expr.args[0]]
    if expr.is_Atom:
        return []
    return list(expr.args)


def _is_condition(node: Node) -> bool:
    return node.op in _PREDICATES


def _number(expr) -> Node:
    import sympy

    if expr.is_Rational:
        return Node.const(Fraction(int(expr.p), int(expr.q)))
    if isinstance(expr, sympy.Float):
        if not expr.is_finite:
            raise UnsupportedError(f"the number {expr} is not supported, because it is not a finite real number")
        return Node.const(Fraction(str(expr)))
    if expr in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
        raise UnsupportedError(f"'{expr}' is not supported, because it is not a finite real number")
    raise UnsupportedError(f"the number {expr} is not supported, because it is not rational "
                           "(only rational constants are allowed)")


class _Converter:
    def __init__(self, variables: Sequence[str] | None):
        self.variables = list(variables) if variables is not None else None
        self.seen: set[str] = set()

    def number(self, node: Node, expr) -> Node:
        if _is_condition(node):
            raise InputError(f"the condition {expr} is used as a number; conditions go inside Piecewise")
        return node

    def condition(self, node: Node, expr) -> Node:
        if not _is_condition(node):
            raise InputError(f"expected a condition (a relational such as x > 0), got {expr}")
        return node

    def convert(self, expr, done: dict) -> Node:
        """One sympy node from its already converted children in ``done``."""
        import sympy

        num = lambda e: self.number(done[e], e)
        name = type(expr).__name__
        if expr.is_Number or expr in (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan):
            return _number(expr)
        if expr.is_Symbol:
            sym = expr.name
            if self.variables is not None and sym not in self.variables:
                raise InputError(f"variable '{sym}' appears in the expression but not in the variables "
                                 f"{', '.join(self.variables)}")
            self.seen.add(sym)
            return Node.var(sym)
        if expr is sympy.true or expr is sympy.false:
            zero = Node.const(0)
            return Node.make("eq" if expr is sympy.true else "ne", (zero, zero))
        if isinstance(expr, sympy.NumberSymbol) or expr is sympy.I:
            raise UnsupportedError(f"'{expr}' is not supported, because it is not a rational number")
        if isinstance(expr, sympy.Add):
            return add(*[num(a) for a in expr.args])
        if isinstance(expr, sympy.Mul):
            return mul(*[num(a) for a in expr.args])
        if isinstance(expr, sympy.Pow):
            base, exponent = expr.args
            if not exponent.is_Rational:
                raise UnsupportedError(f"the power {exponent} in {expr} is not supported, because only constant "
                                       "rational exponents are semialgebraic")
            b = num(base)
            if not exponent.is_Integer:   # a rational power (sympy writes sqrt(a) as a**(1/2)): lifted exactly
                if b.is_const:
                    raise UnsupportedError(f"the irrational constant {expr} is not supported (only rational constants)")
                e = Fraction(int(exponent.p), int(exponent.q))
                root = Node.make("sqrt", (b,)) if abs(e) == Fraction(1, 2) else Node.make("rpow", (b,), abs(e))
                return Node.make("inv", (root,)) if e < 0 else root
            k = int(exponent)
            if k < 0:
                if b.is_const and b.param != 0:
                    return Node.const(b.param ** k)
                return Node.make("inv", (power(b, -k),))
            return power(b, k)
        if isinstance(expr, (sympy.Max, sympy.Min)):
            return Node.make("max" if isinstance(expr, sympy.Max) else "min", [num(a) for a in expr.args])
        if isinstance(expr, sympy.Abs):
            return Node.make("abs", (num(expr.args[0]),))
        if isinstance(expr, sympy.sign):
            return Node.make("sign", (num(expr.args[0]),))
        if isinstance(expr, sympy.floor):
            return Node.make("floor", (num(expr.args[0]),))
        if isinstance(expr, sympy.ceiling):
            return mul(Node.const(-1), Node.make("floor", (mul(Node.const(-1), num(expr.args[0])),)))
        if name == "round_half_even" and len(expr.args) == 1:
            return Node.make("round", (num(expr.args[0]),))
        if isinstance(expr, sympy.Heaviside):
            return self.heaviside(expr, num(expr.args[0]))
        if isinstance(expr, sympy.Piecewise):
            return self.piecewise(expr, done)
        if name in _RELATIONALS:
            return Node.make(_RELATIONALS[name], (num(expr.args[0]), num(expr.args[1])))
        if isinstance(expr, (sympy.And, sympy.Or)):
            op = "and" if isinstance(expr, sympy.And) else "or"
            return Node.make(op, [self.condition(done[a], a) for a in expr.args])
        if isinstance(expr, sympy.Not):
            return Node.make("not", (self.condition(done[expr.args[0]], expr.args[0]),))
        fname = getattr(expr.func, "__name__", name)
        raise UnsupportedError(f"'{fname}' in {expr} is not supported, because {_why(fname)}")

    def heaviside(self, expr, a: Node) -> Node:
        import sympy

        h0 = expr.args[1] if len(expr.args) > 1 else sympy.Rational(1, 2)
        if h0 == sympy.Rational(1, 2):
            return Node.make("heaviside", (a,))
        if h0 == 0:
            return Node.make("step", (a,))
        if not h0.is_Rational:
            raise UnsupportedError(f"{expr} is not supported, because its value at 0 ({h0}) is not a rational number")
        zero, one = Node.const(0), Node.const(1)
        at_zero = Node.const(Fraction(int(h0.p), int(h0.q)))
        return Node.make("where", (Node.make("gt", (a, zero)), one,
                                   Node.make("where", (Node.make("lt", (a, zero)), zero, at_zero))))

    def piecewise(self, expr, done: dict) -> Node:
        import sympy

        pairs = list(expr.args)
        cut = next((i for i, p in enumerate(pairs) if p.cond is sympy.true), None)
        if cut is None:
            raise UnsupportedError(f"{expr} is not supported, because it is undefined where no condition holds; "
                                   "add a final (value, True) piece")
        pairs = [p for p in pairs[:cut + 1] if p.cond is not sympy.false]
        result = self.number(done[pairs[-1].expr], pairs[-1].expr)
        for pair in reversed(pairs[:-1]):
            cond = self.condition(done[pair.cond], pair.cond)
            result = Node.make("where", (cond, self.number(done[pair.expr], pair.expr), result))
        return result


def from_sympy(exprs, variables: Sequence[str] | str | None = None) -> Program:
    """A :class:`Program` from a sympy expression or a sequence of them (the outputs).

    ``variables``: input names in order (default: the free symbols, sorted by
    name). Raises :class:`UnsupportedError` outside the fragment.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> from_sympy(sympy.Piecewise((x, x > 0), (0, True))).to_text()
    'where(x > 0, x, 0)'
    >>> from_sympy([sympy.Heaviside(x), sympy.Heaviside(x, 0), 0.25 * x]).to_text()
    'heaviside(x), step(x), 1/4 * x'
    >>> from_sympy(sympy.sin(x))
    Traceback (most recent call last):
    ...
    semialg.core.errors.UnsupportedError: 'sin' in sin(x) is not supported, because it is periodic (not semialgebraic)
    """
    import sympy

    if isinstance(variables, str):
        variables = [v for v in variables.replace(",", " ").split() if v]
    if isinstance(exprs, (sympy.Basic, int, float, Fraction)) or not isinstance(exprs, Iterable):
        exprs = [exprs]
    exprs = [sympy.sympify(e) if not isinstance(e, Fraction) else sympy.Rational(e.numerator, e.denominator)
             for e in exprs]
    conv = _Converter(variables)
    done: dict = {}
    for root in exprs:
        stack = [(root, False)]
        while stack:
            expr, expanded = stack.pop()
            if expr in done:
                continue
            if expanded:
                done[expr] = conv.convert(expr, done)
                continue
            stack.append((expr, True))
            stack.extend((c, False) for c in reversed(_children(expr)) if c not in done)
    outputs = tuple(conv.number(done[e], e) for e in exprs)
    inputs = tuple(variables) if variables is not None else tuple(sorted(conv.seen))
    return Program(inputs, outputs)
