"""A program pruned on a box: every kink that keeps one branch over the whole box is resolved.

Near an iterate most kinks of a network do not switch: a unit whose pre-activation stays
positive on the box is the identity there, one that stays negative is zero. :func:`prune`
proves this exactly and rebuilds the program with those nodes replaced by their branch, so
the stratifier sees only the kinks that may cross the box.

The proof is interval arithmetic over exact rationals on the closed box ``|x_i - c_i| <= r``:
every node gets an interval that contains its value at every point of the box (sums and
products of intervals, powers by cases on the sign, a primitive's interval the union of its
possible branches' values). A branch of a node is *possible* when each of its sign conditions
can hold on the argument intervals; the branches of a node are disjoint and cover the space
(the primitives' contract), so a node with exactly one possible branch equals that branch's
value on the whole box. Intervals over-approximate (a variable used twice is not correlated),
so pruning may keep a kink that does not actually switch: that is only slower, never wrong,
because a kept node is the original node.

Comparisons are pruned the same way (a comparison that is certainly true or false on the box),
and a ``where`` whose condition is decided becomes the branch it takes. ``custom`` nodes,
discontinuous primitives and ``sort`` with more than six arguments are kept as they are.

>>> from semialg.frontends.text import parse
>>> from semialg.frontends.domains import Box
>>> p = prune(parse("relu(x - 2) + relu(x + y) + max(x, y)"), Box([1, 1], "1/2"))
>>> p.program.to_text(), p.resolved, p.kept
('x + y + max(x, y)', 2, 1)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core import dag
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError
from semialg.core.poly import Poly
from semialg.core.primitives import COMPARISONS, NEG, POS, get
from semialg.frontends.domains import Box

__all__ = ["Pruned", "prune", "prune_near", "interval_of_poly", "possible_branches", "kink_summary"]

Interval = tuple  # (lo, hi) Fractions, or None: no bound known
_KEPT_AS_IS = frozenset({"custom", "floor", "round", "sign", "step", "heaviside"})
_MAX_SORT_ARGS = 6


@dataclass(frozen=True)
class Pruned:
    """``program`` equals the original on the closed ``box``; ``resolved`` kinks were replaced by
    their branch there, ``kept`` kinks may switch inside the box (or could not be decided)."""

    program: Program
    original: Program
    box: Box | None
    resolved: int
    kept: int

    def summary(self) -> str:
        """One line for reports: how many kinks the box leaves."""
        return kink_summary(self.resolved, self.kept)


def kink_summary(resolved: int, kept: int, where: str = "in the box") -> str:
    """``"2 of 9 kinks may switch in the box (7 keep one branch there and were resolved exactly)"``."""
    total = resolved + kept
    return (f"{kept} of {total} kink{'s' if total != 1 else ''} may switch {where} "
            f"({resolved} keep one branch there and were resolved exactly)")


def possible_branches(op: str, param, boxes: Sequence[Interval], nearby: bool = False) -> list:
    """The branches of primitive ``op`` whose sign conditions can hold when its arguments range over
    ``boxes`` (with ``nearby``: at points arbitrarily close to a point whose values they are)."""
    return [b for b in _branches(op, len(boxes), param)
            if all(_possible(s, interval_of_poly(p, boxes), nearby) for p, s in b.conditions)]


def _mul(a: Interval, b: Interval) -> Interval:
    if a is None or b is None:
        return None
    products = (a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1])
    return min(products), max(products)


def _power(a: Interval, k: int) -> Interval:
    if a is None:
        return None
    lo, hi = a
    if k == 0:
        return Fraction(1), Fraction(1)
    if k % 2 == 1 or lo >= 0:
        return (lo ** k, hi ** k) if lo >= 0 or k % 2 == 1 else (hi ** k, lo ** k)
    if hi <= 0:
        return hi ** k, lo ** k
    return Fraction(0), max(lo ** k, hi ** k)


def interval_of_poly(poly: Poly, boxes: Sequence[Interval]) -> Interval:
    """An interval containing ``poly`` on the product of ``boxes`` (one interval per variable).

    >>> x, y = Poly.variables(2)
    >>> interval_of_poly(x * y - x, [(Fraction(1), Fraction(2)), (Fraction(-1), Fraction(1))])
    (Fraction(-4, 1), Fraction(1, 1))
    """
    lo = hi = Fraction(0)
    for monomial, coeff in poly.terms.items():
        term: Interval = (coeff, coeff)
        for i, e in enumerate(monomial):
            if e:
                term = _mul(term, _power(boxes[i], e))
                if term is None:
                    return None
        lo, hi = lo + term[0], hi + term[1]
    return lo, hi


def _possible(sign: int, interval: Interval, nearby: bool) -> bool:
    """Can ``sign(p) == sign`` hold where ``p`` ranges over ``interval``? With ``nearby`` the
    interval is a value at a point and the question is about points arbitrarily close to it:
    a value 0 there allows every sign (the ties of the point are kept)."""
    if interval is None:
        return True
    lo, hi = interval
    if nearby:
        return hi >= 0 if sign == POS else lo <= 0 if sign == NEG else lo <= 0 <= hi
    return hi > 0 if sign == POS else lo < 0 if sign == NEG else lo <= 0 <= hi


_BRANCH_CACHE: dict = {}


def _branches(op: str, nargs: int, param):
    key = (op, nargs, param)
    if key not in _BRANCH_CACHE:
        _BRANCH_CACHE[key] = get(op).branches(Poly.variables(nargs), param)
    return _BRANCH_CACHE[key]


def _poly_node(poly, args: Sequence[Node]) -> Node:
    """The node computing ``poly`` (a Poly in the argument positions) of ``args``."""
    if not isinstance(poly, Poly):
        return Node.const(poly)
    terms = []
    for monomial, coeff in poly.terms.items():
        factors = [dag.power(args[i], e) if e > 1 else args[i] for i, e in enumerate(monomial) if e]
        terms.append(dag.mul(Node.const(coeff), *factors) if factors else Node.const(coeff))
    return dag.add(*terms) if terms else Node.const(0)


class _Pruner:
    """One bottom-up pass: the interval (or truth set) and the rebuilt node of every node."""

    def __init__(self, center: Sequence[Fraction], radius: Fraction, inputs: Sequence[str]):
        self.var = {name: (c - radius, c + radius) for name, c in zip(inputs, center)}
        self.nearby = radius == 0
        self.interval: dict[int, Interval] = {}
        self.truth: dict[int, frozenset] = {}
        self.new: dict[int, Node] = {}
        self.resolved = self.kept = 0

    def visit(self, node: Node) -> None:
        args = [self.new[id(a)] for a in node.args]
        same = all(a is b for a, b in zip(args, node.args))
        rebuilt = node if same else None
        boxes = [self.interval.get(id(a)) for a in node.args]
        op = node.op
        out_interval: Interval = None
        if op == "const":
            out_interval = (node.param, node.param)
        elif op == "var":
            if node.param not in self.var:
                raise InputError(f"the program uses {node.param}, which is not a variable of the box "
                                 f"({', '.join(self.var)})")
            out_interval = self.var[node.param]
        elif op == "add":
            if all(b is not None for b in boxes):
                out_interval = (sum(b[0] for b in boxes), sum(b[1] for b in boxes))
            rebuilt = rebuilt or dag.add(*args)
        elif op == "mul":
            out_interval = (Fraction(1), Fraction(1))
            for b in boxes:
                out_interval = _mul(out_interval, b)
            rebuilt = rebuilt or dag.mul(*args)
        elif op == "pow":
            out_interval = _power(boxes[0], node.param)
            rebuilt = rebuilt or dag.power(args[0], node.param)
        elif op in ("and", "or", "not"):
            self._logic(node, args)
            rebuilt = rebuilt or Node.make(op, args, node.param)
        elif op == "where":
            rebuilt, out_interval = self._where(node, args, boxes, rebuilt)
        else:
            rebuilt, out_interval = self._primitive(node, args, boxes, rebuilt)
        self.new[id(node)] = rebuilt
        if out_interval is not None:
            self.interval[id(node)] = out_interval

    def _logic(self, node: Node, args) -> None:
        sets = [self.truth.get(id(a), frozenset({True, False})) for a in node.args]
        if node.op == "not":
            self.truth[id(node)] = frozenset(not v for v in sets[0])
        elif node.op == "and":
            self.truth[id(node)] = frozenset({all(c) for c in _combinations(sets)})
        else:
            self.truth[id(node)] = frozenset({any(c) for c in _combinations(sets)})

    def _where(self, node, args, boxes, rebuilt):
        truth = self.truth.get(id(node.args[0]), frozenset({True, False}))
        if truth == frozenset({True}):
            return args[1], boxes[1]
        if truth == frozenset({False}):
            return args[2], boxes[2]
        a, b = boxes[1], boxes[2]
        hull = None if a is None or b is None else (min(a[0], b[0]), max(a[1], b[1]))
        return rebuilt or Node.make("where", args, node.param), hull

    def _primitive(self, node, args, boxes, rebuilt):
        op = node.op
        keep = rebuilt or Node.make(op, args, node.param)
        if op in _KEPT_AS_IS or (op == "sort" and len(args) > _MAX_SORT_ARGS):
            self.kept += 1
            return keep, (boxes[0] if op == "custom" else None)
        possible = possible_branches(op, node.param, boxes, self.nearby)
        if op in COMPARISONS:
            self.truth[id(node)] = frozenset(bool(b.value) for b in possible)
            return keep, None
        if len(possible) == 1:
            self.resolved += 1
            return _poly_node(possible[0].value, args), _value_interval(possible[0].value, boxes)
        self.kept += 1
        values = [_value_interval(b.value, boxes) for b in possible]
        if not values or any(v is None for v in values):
            return keep, None
        return keep, (min(v[0] for v in values), max(v[1] for v in values))


def _value_interval(value, boxes) -> Interval:
    if isinstance(value, Poly):
        return interval_of_poly(value, boxes)
    return None


def _combinations(sets):
    combos = [()]
    for s in sets:
        combos = [c + (v,) for c in combos for v in s]
    return combos


def prune(program: Program, box: Box) -> Pruned:
    """``program`` with every kink that keeps one branch on the closed ``box`` resolved, exactly.

    The result equals ``program`` at every point of the box (see the module docstring for the
    argument); outside the box it may differ, so it is only for questions asked in the box.
    """
    if not isinstance(box, Box):
        raise InputError(f"prune needs a Box, got {type(box).__name__}")
    return _run(program, box.center, box.radius, box)


def prune_near(program: Program, point: Sequence[Fraction]) -> Pruned:
    """``program`` with every kink whose branch is strict at ``point`` resolved: the result equals
    ``program`` on a neighbourhood of ``point`` (the arguments are continuous, so a strict sign
    persists nearby); the kinks tied at ``point`` are kept. ``Pruned.box`` is None.

    >>> from semialg.frontends.text import parse
    >>> prune_near(parse("relu(x) + relu(y - 1) + abs(x - y)"), [0, 0]).program.to_text()
    'relu(x) + abs(x - y)'
    """
    return _run(program, tuple(Fraction(v) for v in point), Fraction(0), None)


def _run(program: Program, center, radius, box) -> Pruned:
    if len(center) != program.n_inputs:
        raise InputError(f"the point has {len(center)} coordinates but the program has "
                         f"{program.n_inputs} variables ({', '.join(program.inputs)})")
    pruner = _Pruner(center, radius, program.inputs)
    for node in walk_postorder(program.outputs):
        pruner.visit(node)
    outputs = tuple(pruner.new[id(r)] for r in program.outputs)
    return Pruned(Program(program.inputs, outputs), program, box, pruner.resolved, pruner.kept)
