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
    """A user point with its auxiliary coordinates, exact (Fractions, or sympy numbers for irrational
    roots): each root and reciprocal at its value there, the reciprocals of the roots as ``1/s``
    (0 where ``s = 0``), and 0 for a node without a value there (where the program does not use it).

    >>> from semialg.frontends.text import parse
    >>> p = lift(parse("sqrt(x) + 1 / y"))
    >>> lift_point(p, (Fraction(4), Fraction(2)))
    (Fraction(4, 1), Fraction(2, 1), Fraction(2, 1), Fraction(1, 2), Fraction(1, 2))
    """
    info = program.lifting
    if info is None:
        return tuple(point)
    import sympy
    from semialg.core import primitives
    full: list = list(point) + [Fraction(0)] * (program.n_inputs - info.n_user)
    index = {name: i for i, name in enumerate(program.inputs)}
    values: dict[int, object] = {}
    for node in walk_postorder(program.outputs):
        args = [values[id(a)] for a in node.args]
        op = node.op
        if op == "var":
            value = sympy.nsimplify(full[index[node.param]])
        elif op == "const":
            value = sympy.Rational(node.param.numerator, node.param.denominator)
        elif op == "where":
            value = None if args[0] is None else args[1] if bool(args[0]) else args[2]
        elif any(a is None for a in args):
            value = None
        elif op == "add":
            value = sympy.Add(*args)
        elif op == "mul":
            value = sympy.Mul(*args)
        elif op == "pow":
            value = args[0] ** node.param
        else:
            prim = primitives.REGISTRY[op]
            user = prim.user_args(args) if op in LIFTED else args
            value = prim.to_sympy(list(user), node.param)
            if op in LIFTED:
                value = sympy.nsimplify(value)
                if value.has(sympy.zoo, sympy.nan) or value.is_real is False:
                    value = None   # no real value: the program has none here unless a where drops it
                root = value if op in ("inv", "norm") or value is None else \
                    sympy.real_root(user[0], prim.exponent(node.param).denominator)
                s_index = index[node.args[len(node.args) - prim.n_aux].param]
                full[s_index] = _exact(root) if root is not None else Fraction(0)
                if prim.n_aux == 2:
                    s = full[s_index]
                    full[index[node.args[-1].param]] = _exact(1 / sympy.nsimplify(s)) if s != 0 else Fraction(0)
        values[id(node)] = value
    return tuple(full)


def _exact(v):
    if isinstance(v, Fraction):
        return v
    import sympy
    v = sympy.nsimplify(v)
    return Fraction(int(v.p), int(v.q)) if v.is_Rational else v
