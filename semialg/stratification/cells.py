"""Exact helpers shared by the stratifier modules (signs, normal forms, evaluation on a branch).

Invariant: nothing here uses floats to decide anything; a sign is computed
exactly (Fractions, or sympy's exact algebraic arithmetic for algebraic points).

>>> from semialg.core.poly import Poly
>>> x, y = Poly.variables(2)
>>> normalize(-2 * x + 4 * y - 2, 1)
(Poly(x0 - 2*x1 + 1), -1)
>>> linear_key(x - 2 * y + 1)
(1, 1, -2)
>>> exact_sign(Fraction(-1, 3)), exact_sign(0)
(-1, 0)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core import primitives
from semialg.core.dag import Node
from semialg.core.errors import SemialgError
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import UNDEFINED
from semialg.smt import AlgebraicNumber

Condition = tuple[Poly, int]
SIGN_TEXT = {-1: "<", 0: "=", 1: ">"}


class StratifyError(SemialgError):
    """The program cannot be stratified (e.g. floor/round, whose jumps are unbounded in number)."""


def exact_sign(value) -> int:
    """Sign of an exact number (Fraction, int, or a sympy algebraic expression)."""
    if isinstance(value, (Fraction, int)):
        return (value > 0) - (value < 0)
    import sympy
    expr = sympy.nsimplify(value) if not isinstance(value, sympy.Basic) else value
    if expr.is_Rational:
        return int(sympy.sign(expr))
    if expr.is_zero:
        return 0
    from sympy.polys.numberfields import minimal_polynomial
    t = sympy.Symbol("t")
    if minimal_polynomial(expr, t) == t:
        return 0
    approx = sympy.N(expr, 60)
    if approx == 0:
        raise ArithmeticError("could not decide the sign of an algebraic number")
    return 1 if approx > 0 else -1


_NORMAL: dict = {}


def normalize(p: Poly, s: int) -> Condition:
    """Scale a condition so that equal half-spaces have equal keys (content 1,
    leading coefficient > 0 in the order highest degree, then x0 before x1 ...)."""
    hit = _NORMAL.get(p)
    if hit is None:
        _, q = p.primitive()
        flip = False
        if q.terms:
            lead = q.terms[min(q.terms, key=lambda m: (-sum(m), tuple(-e for e in m)))]
            if lead < 0:
                q, flip = -q, True
        if len(_NORMAL) > 200_000:
            _NORMAL.clear()
        hit = _NORMAL[p] = (q, flip)
    q, flip = hit
    return (q, -s) if flip else (q, s)


def linear_key(p: Poly) -> tuple[int, ...]:
    """A linear polynomial with integer coefficients as ``(c, a_1..a_n)`` (for :mod:`semialg.stratification.polyhedra`)."""
    n = p.nvars
    out = [0] * (n + 1)
    for m, c in p.terms.items():
        k = next((i for i, e in enumerate(m) if e), None)
        if c.denominator != 1:
            raise ValueError("linear_key needs integer coefficients (normalize first)")
        out[0 if k is None else k + 1] = c.numerator
    return tuple(out)


def point_sympy(point: Sequence):
    """Coordinates as exact numbers that support +, * and signs (Fractions or sympy algebraics)."""
    return tuple(v.to_sympy() if isinstance(v, AlgebraicNumber) else v for v in point)


def rationalize(point: Sequence, conds: Sequence[Condition]) -> tuple:
    """A rational point satisfying ``conds`` near an algebraic one, if rounding finds one."""
    if all(isinstance(v, Fraction) for v in point):
        return tuple(point)
    for digits in (2, 4, 8, 16, 32):
        cand = tuple(v if isinstance(v, Fraction) else Fraction(v.approx).limit_denominator(10 ** digits) for v in point)
        if all(exact_sign(p.eval(cand)) == s for p, s in conds):
            return cand
    return tuple(point)


def holds_at(conds: Sequence[Condition], point: Sequence) -> bool:
    """Do all sign conditions hold exactly at ``point``?"""
    pt = point if all(isinstance(v, Fraction) for v in point) else point_sympy(point)
    return all(exact_sign(p.eval(pt)) == s for p, s in conds)


def is_branching(node: Node) -> bool:
    """Nodes the branch tree splits on: nonsmooth primitives and comparisons (not where/and/or/not)."""
    return node.op in primitives.NONSMOOTH and node.op != "where"


def smooth_value(node: Node, args: list, n: int, var_index: dict[str, int]):
    """Value (Poly or bool) of a node that does not branch, from its arguments' values
    (:data:`~semialg.core.primitives.semialgebraic.UNDEFINED` where an argument has none,
    except the branch a ``where`` does not take)."""
    op = node.op
    if op == "where":
        if args[0] is UNDEFINED:
            return UNDEFINED
        return args[1] if args[0] else args[2]
    for a in args:
        if a is UNDEFINED:
            return UNDEFINED
    if op == "add":
        if len(args) > 2 and all(isinstance(a, Poly) for a in args):
            return sum_polys(args, n)
        total = args[0]
        for a in args[1:]:
            total = total + a
        return total
    if op == "mul":
        if len(args) == 2 and isinstance(args[0], Poly) and args[0].is_const and isinstance(args[1], Poly):
            c = args[0].const_value
            return Poly._raw(n, {m: v * c for m, v in args[1].terms.items()}) if c else Poly._raw(n, {})
        prod = args[0]
        for a in args[1:]:
            prod = prod * a
        return prod
    if op == "const":
        return Poly.constant(n, node.param)
    if op == "var":
        return Poly.variable(n, var_index[node.param])
    if op == "pow":
        return args[0] ** node.param
    if op == "where":
        return args[1] if args[0] else args[2]
    if op in ("and", "or", "not"):
        return primitives.REGISTRY[op].exact(args)
    raise StratifyError(f"no value rule for node {op}")


def sum_polys(polys: Sequence[Poly], n: int) -> Poly:
    """The sum of many polynomials in one pass (integer arithmetic when every coefficient is an integer)."""
    acc: dict = {}
    get = acc.get
    for p in polys:
        for m, c in p.terms.items():
            if c.denominator != 1:
                break
            acc[m] = get(m, 0) + c.numerator
        else:
            continue
        break
    else:
        return Poly._raw(n, {m: Fraction(v) for m, v in acc.items() if v})
    acc.clear()
    for p in polys:
        for m, c in p.terms.items():
            acc[m] = acc.get(m, 0) + c
    return Poly._raw(n, {m: v for m, v in acc.items() if v})


def branch_value(node: Node, args: list, label):
    """Value of a branching node on the branch ``label``."""
    if label == "undefined" or any(a is UNDEFINED for a in args):
        return UNDEFINED
    try:
        return primitives.REGISTRY[node.op].value(label, args, node.param)
    except KeyError:
        raise StratifyError(f"{node.op} has no branch {label!r}") from None


def evaluate_memoized(order: Sequence[Node], inputs: Sequence[str], labels: dict[int, object],
                      deps: dict[int, tuple[int, ...]], memo: dict) -> dict[int, object]:
    """:func:`evaluate_with_labels` with a memo shared across strata: a node's value depends only
    on the labels of the branching nodes below it (``deps[id(node)]``, their ids)."""
    n = len(inputs)
    var_index = {name: i for i, name in enumerate(inputs)}
    values: dict[int, object] = {}
    for node in order:
        key = (id(node), tuple(labels[d] for d in deps[id(node)]))
        value = memo.get(key)
        if value is None:
            args = [values[id(a)] for a in node.args]
            if id(node) in labels:
                value = branch_value(node, args, labels[id(node)])
            else:
                value = smooth_value(node, args, n, var_index)
            memo[key] = value
        values[id(node)] = value
    return values


def branch_dependencies(order: Sequence[Node]) -> dict[int, tuple[int, ...]]:
    """For each node, the ids of the branching nodes in its subtree (itself included), in order."""
    position = {id(node): i for i, node in enumerate(order)}
    deps: dict[int, tuple[int, ...]] = {}
    for node in order:
        below = set()
        for a in node.args:
            below.update(deps[id(a)])
        if is_branching(node):
            below.add(id(node))
        deps[id(node)] = tuple(sorted(below, key=position.__getitem__))
    return deps


def evaluate_with_labels(order: Sequence[Node], inputs: Sequence[str], labels: dict[int, object]) -> dict[int, object]:
    """Values of nodes in ``order`` (arguments first) given the branch label of each branching node."""
    n = len(inputs)
    var_index = {name: i for i, name in enumerate(inputs)}
    values: dict[int, object] = {}
    for node in order:
        args = [values[id(a)] for a in node.args]
        if id(node) in labels:
            values[id(node)] = branch_value(node, args, labels[id(node)])
        else:
            values[id(node)] = smooth_value(node, args, n, var_index)
    return values


@dataclass(frozen=True)
class Factored:
    """``p = c · Π q^m`` with normalised irreducible ``q``: ``sign p = sign_c · Π sign(q)^m``."""

    sign_c: int
    factors: tuple[tuple[Poly, int], ...]

    def sign(self, signs: dict) -> int:
        """The sign of ``p`` given the sign of every factor."""
        out = self.sign_c
        for q, m in self.factors:
            out *= signs[q] ** m
        return out


_FACTORED: dict = {}


def factored(p: Poly) -> Factored:
    """Exact factorisation over the rationals (sympy), cached.

    >>> x, y = Poly.variables(2)
    >>> factored(-2 * x ** 3 * y + 2 * x ** 3)
    Factored(sign_c=-1, factors=((Poly(x0), 3), (Poly(x1 - 1), 1)))
    """
    hit = _FACTORED.get(p)
    if hit is not None:
        return hit
    if p.is_const:
        hit = Factored(exact_sign(p.const_value), ())
    elif p.is_linear:
        q, t = normalize(p, 1)
        hit = Factored(t, ((q, 1),))
    else:
        import sympy
        xs = sympy.symbols(f"x0:{p.nvars}")
        coeff, parts = sympy.factor_list(p.to_sympy(xs), *xs)
        sign_c = exact_sign(Fraction(int(sympy.Rational(coeff).p), int(sympy.Rational(coeff).q)))
        factors = []
        for expr, m in parts:
            q, t = normalize(Poly.from_sympy(expr, xs), 1)
            sign_c *= t ** int(m)
            factors.append((q, int(m)))
        hit = Factored(sign_c, tuple(sorted(factors, key=lambda qm: repr(qm[0]))))
    if len(_FACTORED) > 50_000:
        _FACTORED.clear()
    _FACTORED[p] = hit
    return hit
