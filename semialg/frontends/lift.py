"""Semialgebraic lifting (theory §1): auxiliary variables for roots, quotients and norms.

``lift(program)`` gives every :mod:`~semialg.core.primitives.semialgebraic` node its auxiliary
variables as trailing arguments (``sqrt(a)`` becomes ``sqrt(a, _s1, _r1)``) and appends them to
the inputs. The lifted program is what the stratifier and the checks see: its cells live in the
space of ``(x, s)``, where each ``s`` is pinned by its branch's relation (``s**2 = a, s > 0``), so
every cell is the graph of a continuous function of ``x`` over a cell of ``x``-space (the
projection is a homeomorphism onto the domain of definition, and a diffeomorphism on each cell:
dimensions, closures and samples are those of ``x``-space). The reciprocals ``r = 1/s`` that the
derivatives use are never constrained in the cells (each cell is a cylinder along them, one
dimension each, subtracted by the stratifier); a question that evaluates a derivative adds
``r*s = 1`` itself (:func:`reciprocal_relations`).

>>> from semialg.frontends.text import parse
>>> p = lift(parse("sqrt(x) + norm(x, y)"))
>>> p.inputs, p.lifting.n_user, p.lifting.free
(('x', 'y', '_s1', '_s2', '_r1', '_r2'), 2, 2)
>>> lift(parse("relu(x)")).lifting is None
True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import LIFTED, REGISTRY_LOCAL


@dataclass(frozen=True)
class Lifting:
    """What :func:`lift` added: ``n_user`` user variables first, then per lifted node its root
    variable and (roots and norms) its reciprocal. ``reciprocals``: ``(r index, s index)``;
    ``free``: how many variables the cells leave unconstrained (the reciprocals)."""

    n_user: int
    user_program: Program
    roots: tuple[int, ...]
    reciprocals: tuple[tuple[int, int], ...]
    nodes: tuple[Node, ...]          # the lifted nodes, in the order of their variables
    mapped: dict = field(default_factory=dict, compare=False, repr=False)   # id(original node) -> lifted node

    def node_of(self, node: Node) -> Node:
        """The lifted version of a node of the user's program (or of an extra root lifted with it)."""
        return self.mapped.get(id(node), node)

    @property
    def free(self) -> int:
        return len(self.reciprocals)

    def user_point(self, point: Sequence) -> tuple:
        """The user's coordinates of a lifted point."""
        return tuple(point[:self.n_user])


def needs_lifting(program: Program) -> bool:
    return any(n.op in LIFTED for n in program.topological_order())


def lift(program: Program, extra: Sequence[Node] = ()) -> Program:
    """The lifted program (the same object when there is nothing to lift, or it is lifted already).
    ``extra``: more roots lifted with it, with the same auxiliary variables (a hand-written field,
    a domain); ``lifting.node_of`` maps them."""
    extra = tuple(e for e in extra if e is not None)
    if program.lifting is not None:
        return program
    if not needs_lifting(program) and not any(n.op in LIFTED for n in walk_postorder(extra)):
        return program
    names = set(program.inputs) | program.free_variables()
    new: dict[int, Node] = {}
    root_names, recip_names, nodes = [], [], []
    counter = 0

    def fresh(prefix: str) -> str:
        name = f"{prefix}{counter}"
        while name in names:
            name = "_" + name
        names.add(name)
        return name

    for node in walk_postorder(tuple(program.outputs) + extra):
        args = tuple(new[id(a)] for a in node.args)
        if node.op in LIFTED:
            counter += 1
            prim = REGISTRY_LOCAL[node.op]
            aux = [fresh("_s")]
            root_names.append(aux[0])
            if prim.n_aux == 2:
                aux.append(fresh("_r"))
                recip_names.append((aux[1], aux[0]))
            lifted = Node.make(node.op, args + tuple(Node.var(a) for a in aux), node.param)
            nodes.append(lifted)
            new[id(node)] = lifted
        elif args == node.args:
            new[id(node)] = node
        else:
            new[id(node)] = Node.make(node.op, args, node.param)
    # the roots after the user's variables, the reciprocals last (the cells' free directions)
    inputs = list(program.inputs) + root_names + [r for r, _ in recip_names]
    index = {name: i for i, name in enumerate(inputs)}
    roots = [index[name] for name in root_names]
    recips = [(index[r], index[s]) for r, s in recip_names]
    info = Lifting(program.n_inputs, program, tuple(roots), tuple(recips), tuple(nodes), new)
    return Program(tuple(inputs), tuple(new[id(o)] for o in program.outputs), info)


def reciprocal_relations(program: Program, polys: Sequence[Poly], pinned: dict[int, int]) -> list | None:
    """The conditions ``r*s - 1 = 0`` for the reciprocals that ``polys`` use, or None when one of them
    belongs to a root that is zero on the cell (``pinned``: sign of each root variable there):
    then ``1/s`` is unbounded near the cell and the question has no polynomial form."""
    info = program.lifting
    if info is None:
        return []
    used = set()
    for p in polys:
        if not isinstance(p, Poly):
            continue
        for m in p.terms:
            for r, s in info.reciprocals:
                if m[r]:
                    used.add((r, s))
    n = program.n_inputs
    out = []
    for r, s in sorted(used):
        if pinned.get(s, 0) == 0:
            return None
        out.append((Poly.variable(n, r) * Poly.variable(n, s) - 1, 0))
    return out


def lift_point(program: Program, point: Sequence[Fraction]) -> tuple:
    """A user point with its auxiliary coordinates (exact: Fractions, or sympy numbers for
    irrational roots); :data:`~semialg.core.primitives.semialgebraic.UNDEFINED` coordinates where
    the program has no value there."""
    from semialg.core.primitives.semialgebraic import UNDEFINED
    info = program.lifting
    if info is None:
        return tuple(point)
    import sympy
    values: dict[int, object] = {}
    full = list(point) + [Fraction(0)] * (program.n_inputs - info.n_user)
    index = {name: i for i, name in enumerate(program.inputs)}
    for node in walk_postorder(program.outputs):
        if node.op == "var":
            values[id(node)] = full[index[node.param]]
            continue
        args = [values[id(a)] for a in node.args]
        values[id(node)] = _evaluate(node, args, full, index, sympy)
    return tuple(full)


def _evaluate(node, args, full, index, sympy):
    from semialg.core import primitives
    from semialg.core.primitives.semialgebraic import UNDEFINED
    op = node.op
    if op == "where":
        return args[1] if args[0] else args[2]
    if any(a is UNDEFINED for a in args):
        return UNDEFINED
    if op == "const":
        return node.param
    if op == "add":
        return sum(args[1:], args[0])
    if op == "mul":
        out = args[0]
        for a in args[1:]:
            out = out * a
        return out
    if op == "pow":
        return args[0] ** node.param
    prim = primitives.REGISTRY[op]
    if op in LIFTED:
        user = prim.user_args(args)
        symbolic = [sympy.nsimplify(a) if not isinstance(a, Fraction) else a for a in user]
        if all(isinstance(a, Fraction) for a in user):
            if op == "inv":
                value = prim.exact(user, node.param)
                root = value
            elif op == "norm":
                value = prim.exact(user, node.param)
                root = value
            else:
                value = prim.exact(user, node.param)
                e = prim.exponent(node.param)
                root = UNDEFINED if value is UNDEFINED else _root(user[0], e.denominator, sympy)
        else:
            expr = prim.to_sympy([sympy.sympify(a) if not isinstance(a, Fraction) else sympy.Rational(a.numerator, a.denominator)
                                  for a in symbolic], node.param)
            value = sympy.nsimplify(expr)
            root = value if op in ("inv", "norm") else sympy.real_root(symbolic[0], prim.exponent(node.param).denominator)
        s_index = index[node.args[len(node.args) - prim.n_aux].param]
        full[s_index] = Fraction(0) if root is UNDEFINED else _exact(root)
        if prim.n_aux == 2:
            r_index = index[node.args[-1].param]
            s = full[s_index]
            full[r_index] = Fraction(0) if s == 0 else _exact(1 / (s if not isinstance(s, Fraction) else s))
        return value
    if prim.predicate:
        return prim.exact(args, node.param)
    return prim.exact(args, node.param)


def _root(a: Fraction, q: int, sympy):
    v = sympy.real_root(sympy.Rational(a.numerator, a.denominator), q)
    return v


def _exact(v):
    if isinstance(v, Fraction):
        return v
    import sympy
    v = sympy.nsimplify(v)
    return Fraction(int(v.p), int(v.q)) if v.is_Rational else v
