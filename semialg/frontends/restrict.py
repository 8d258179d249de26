"""A program restricted to a segment or a plane, exactly: composition with an affine map.

:func:`restrict` rebuilds the DAG once, bottom-up (iterative, :func:`walk_postorder`): each
input variable ``x_i`` becomes the affine node ``origin_i + sum_k t_k d_k,i``, built with the
canonical :func:`~semialg.core.dag.add` / :func:`~semialg.core.dag.mul`, and every other node is
rebuilt over its new arguments. A 784-input network becomes a program of one or two variables.

Chain rule: the affine input map is smooth, so backprop of the composed program is exactly
``<D_f(x(t)), d_k>`` (backprop is linear in the seed and the map's own derivative is the
constant ``d_k``). Checking the restricted program with the same rule therefore checks the
rule's projection along the segment or plane: a conservative verdict is the chain rule along
the segment (not conservativity on the whole space); a refutation transfers to the original
program (the witness curve, mapped by the affine map, is a curve there).

>>> from semialg.frontends.text import parse
>>> from semialg.frontends.domains import Segment
>>> r = restrict(parse("relu(x - y)"), Segment([0, 1], [2, 0]))
>>> r.program.inputs, r.program.to_text(), r.condition
(('t',), 'relu(3 * t - 1)', 't >= 0 and t <= 1')
>>> r.to_original(["1/3"])
(Fraction(2, 3), Fraction(2, 3))
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.core import dag
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError
from semialg.frontends.domains import Box, Plane, Segment
from semialg.frontends.prune import prune
from semialg.frontends.reduce import Reduction

__all__ = ["Restriction", "restrict", "restrict_field", "localize", "describe_domain", "domain_to_json", "fmt_point"]


@dataclass(frozen=True)
class Restriction:
    """The program composed with a segment's or a plane's affine map.

    ``program``: the restricted program (inputs ``("t",)`` or ``("s", "t")``); ``domain``: the
    :class:`Segment` or :class:`Plane`; ``original``: the program before restriction;
    ``condition``: where the parameters live (``"t >= 0 and t <= 1"`` for a segment, None for a plane).
    """

    program: Program
    domain: Segment | Plane
    original: Program
    condition: str | None

    def to_original(self, point: Sequence) -> tuple:
        """The point ``origin + sum_k p_k d_k`` in the original coordinates (exact; algebraic
        parameter values give algebraic coordinates)."""
        if len(point) != self.domain.dim:
            raise InputError(f"expected {self.domain.dim} parameter value{'s' if self.domain.dim != 1 else ''} "
                             f"({', '.join(self.domain.parameter_names)}), got {len(point)}")
        try:
            return self.domain.point_at([Fraction(p) for p in point])
        except (TypeError, ValueError):  # an algebraic number: keep its own arithmetic
            return tuple(o + sum((p * d[i] for p, d in zip(point, self.domain.directions)), 0)
                         for i, o in enumerate(self.domain.origin))

    def describe(self, holds: bool | None = None) -> str:
        """One line: what a verdict on the restricted program proves (see :func:`describe_domain`)."""
        return describe_domain(self.domain, self.original.inputs, holds)


def _substitute(program: Program, domain: Segment | Plane) -> tuple[tuple[str, ...], dict[int, Node]]:
    """Every node of ``program`` rebuilt over the affine images of its variables, keyed by id."""
    names = tuple(domain.parameter_names)
    if len(domain.origin) != program.n_inputs:
        raise InputError(f"the {type(domain).__name__.lower()}'s points have {len(domain.origin)} coordinates but the "
                         f"program has {program.n_inputs} variables ({', '.join(program.inputs)})")
    params = [Node.var(name) for name in names]
    image: dict[str, Node] = {}
    for i, name in enumerate(program.inputs):
        terms = [dag.mul(Node.const(d[i]), p) for p, d in zip(params, domain.directions) if d[i] != 0]
        image[name] = dag.add(*terms, Node.const(domain.origin[i]))
    return names, image


def _rebuild(roots: Sequence[Node], image: dict[str, Node], domain: Segment | Plane | None = None) -> list[Node]:
    """The nodes over the images of the variables. With ``domain``, a subexpression affine in the
    parameters is collapsed to one node ``c + d_1 t_1 (+ d_2 t_2)`` (a 784-term pre-activation
    becomes ``c + d t``): its affine form ``(c, (d_1, ...))`` is carried instead of rebuilt nodes,
    and a node is made only where a non-affine user (a kink) or a root needs it."""
    new: dict[int, Node] = {}
    affine: dict[int, tuple] = {}
    if domain is not None:
        params = [Node.var(name) for name in domain.parameter_names]
        directions = domain.directions
        var_forms = {name: (domain.origin[i], tuple(d[i] for d in directions)) for i, name in enumerate(image)}
        zero = (Fraction(0),) * len(params)

    def node_of(key: int) -> Node:
        out = new.get(key)
        if out is None:
            c, d = affine[key]
            out = new[key] = dag.add(*[dag.mul(Node.const(di), p) for di, p in zip(d, params) if di], Node.const(c))
        return out

    for node in walk_postorder(roots):
        op, key = node.op, id(node)
        if domain is not None:
            if op == "const":
                affine[key], new[key] = (node.param, zero), node
                continue
            if op == "var" and node.param in var_forms:
                affine[key], new[key] = var_forms[node.param], image[node.param]
                continue
            if op in ("add", "mul") and all(id(a) in affine for a in node.args):
                forms = [affine[id(a)] for a in node.args]
                if op == "add":
                    affine[key] = (sum((f[0] for f in forms), Fraction(0)),
                                   tuple(sum(col, Fraction(0)) for col in zip(*(f[1] for f in forms))))
                    continue
                varying = [f for f in forms if any(f[1])]
                if len(varying) <= 1:
                    scale = Fraction(1)
                    for f in forms:
                        if not any(f[1]):
                            scale *= f[0]
                    base = varying[0] if varying else (Fraction(1), zero)
                    affine[key] = (base[0] * scale, tuple(di * scale for di in base[1]))
                    continue
        args = [node_of(id(a)) for a in node.args]
        if op == "const":
            out = node
        elif op == "var":
            if node.param not in image:
                raise InputError(f"the program uses the variable {node.param}, which is not one of its inputs "
                                 f"({', '.join(image)})")
            out = image[node.param]
        elif op == "add":
            out = dag.add(*args)
        elif op == "mul":
            out = dag.mul(*args)
        elif op == "pow":
            out = dag.power(args[0], node.param)
        else:
            out = Node.make(op, args, node.param)
        new[key] = out
    return [node_of(id(r)) for r in roots]


def restrict(program: Program, domain: Segment | Plane) -> Restriction:
    """``program`` composed with the affine map of ``domain`` (a :class:`Segment` or :class:`Plane`), exactly."""
    if not isinstance(domain, (Segment, Plane)):
        raise InputError(f"restrict needs a Segment or a Plane, got {type(domain).__name__}")
    names, image = _substitute(program, domain)
    outputs = _rebuild(program.outputs, image, domain)
    condition = domain.condition_text() if isinstance(domain, Segment) else None
    return Restriction(Program(names, tuple(outputs)), domain, program, condition)


def restrict_field(field: Program, restriction: Restriction) -> Program:
    """A hand-written field (``m * n`` outputs over the original variables: Jacobian rows) as the
    field of the restricted program: row ``j`` becomes ``(<F_j(x(t)), d_1>, ..., <F_j(x(t)), d_dim>)``."""
    original = restriction.original
    n, m = original.n_inputs, original.n_outputs
    if field.n_outputs != m * n:
        raise InputError(f"the field has {field.n_outputs} components, expected {m * n} (one per variable and output)")
    _, image = _substitute(Program(original.inputs, ()), restriction.domain)
    composed = _rebuild(field.outputs, image)
    rows = []
    for j in range(m):
        row = composed[j * n:(j + 1) * n]
        for d in restriction.domain.directions:
            rows.append(dag.add(*[dag.mul(Node.const(di), c) for di, c in zip(d, row) if di != 0]))
    return Program(restriction.program.inputs, tuple(rows))


def localize(program: Program, domain):
    """``(program to check, domain condition, record)`` for a ``domain=`` argument: a :class:`Box`
    (the program pruned on it, :func:`~semialg.frontends.prune.prune`, and no condition: the
    strata are cut to the box afterwards, :func:`~semialg.stratification.in_box.in_box`;
    record: the box), a :class:`Segment` or
    :class:`Plane` (the restricted program and the segment's condition; record: the
    :class:`Restriction`), or a condition (text or a node) as before (record: None)."""
    if isinstance(domain, Box):
        return prune(program, domain).program, None, domain
    if isinstance(domain, (Segment, Plane)):
        r = restrict(program, domain)
        return r.program, r.condition, r
    if domain is None or isinstance(domain, (str, Node)):
        return program, domain, None
    raise InputError(f"domain= takes a condition such as \"x**2 + y**2 <= 4\", a Box, a Segment or a Plane; "
                     f"got {type(domain).__name__}")


def fmt_point(point) -> str:
    """``(1, 1/2)``: exact coordinates."""
    def one(v):
        if isinstance(v, Fraction):
            return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
        return str(v)
    return "(" + ", ".join(one(v) for v in point) + ")"


def domain_to_json(domain, holds: bool | None = None) -> dict:
    """A Box, Segment, Plane or Restriction as JSON: its kind, points as exact strings, the statement.

    >>> domain_to_json(Box([0], "1/2"))["center"]
    ['0']
    """
    inner = domain.domain if isinstance(domain, Restriction) else domain
    exact = lambda values: [fmt_point([v])[1:-1] for v in values]  # noqa: E731
    kind = type(inner).__name__.lower()
    if isinstance(inner, Reduction):
        out = {"kind": "box", "center": exact(inner.center), "radius": exact([inner.radius])[0],
               "reduced": {"coordinates": list(inner.program.inputs), "basis": [exact(r) for r in inner.basis],
                           "linear": [exact(g) for g in inner.linear], "pruning": inner.pruned.summary()}}
    elif isinstance(inner, Box):
        out = {"kind": kind, "center": exact(inner.center), "radius": exact([inner.radius])[0]}
    elif isinstance(inner, Segment):
        out = {"kind": kind, "a": exact(inner.a), "b": exact(inner.b), "parameters": ["t"]}
    else:
        out = {"kind": kind, "origin": exact(inner.origin), "u": exact(inner.u), "v": exact(inner.v),
               "parameters": ["s", "t"]}
    if isinstance(domain, Restriction):
        out["original_variables"] = list(domain.original.inputs)
    out["statement"] = describe_domain(domain, (), holds)
    return out


def describe_domain(domain, names: Sequence[str] = (), holds: bool | None = None) -> str:
    """One line saying what a verdict on ``domain`` (a Box, Segment, Plane or its Restriction)
    proves. ``holds``: True for a verdict that holds, False for a refutation, None for neither.

    >>> describe_domain(Segment([0, 0], [1, 2]), ["x", "y"], True)
    'along the segment from (0, 0) to (1, 2) (x = a + t(b - a), 0 <= t <= 1): the rule satisfies the chain rule along this segment; this is not conservativity on the whole space'
    """
    if isinstance(domain, Restriction):
        names, domain = domain.original.inputs, domain.domain
    if isinstance(domain, Reduction):
        red = domain
        center = fmt_point(red.center) if len(red.center) <= 8 else f"a point of {len(red.center)} coordinates"
        where = (f"in the box of radius {fmt_point([red.radius])[1:-1]} around {center}, where f = g0.(x - c) + "
                 f"H(s) with s = B (x - c) in {red.dim} coordinate{'s' if red.dim != 1 else ''} ({red.pruned.summary()})")
        if holds is True:
            return f"{where}: the rule is conservative for H on all of R^{red.dim}, hence for f in the box"
        if holds is False:
            return f"{where}: the rule fails the chain rule for H on a stratum that meets the box, so it is not conservative"
        return f"{where}: the answer is about this box only"
    if isinstance(domain, Segment):
        where = (f"along the segment from {fmt_point(domain.a)} to {fmt_point(domain.b)} "
                 f"(x = a + t(b - a), 0 <= t <= 1)")
        what, shape = "along this segment", "segment"
    elif isinstance(domain, Plane):
        where = (f"on the plane through {fmt_point(domain.origin)} spanned by {fmt_point(domain.u)} and "
                 f"{fmt_point(domain.v)} (x = o + s u + t v)")
        what, shape = "on this plane", "plane"
    elif isinstance(domain, Box):
        where = f"in the box of radius {fmt_point([domain.radius])[1:-1]} around {fmt_point(domain.center)}"
        if names:
            where += f" ({domain.condition_text(list(names))})"
        if holds is True:
            return f"{where}: the rule is conservative in this box; this is not conservativity on the whole space"
        if holds is False:
            return f"{where}: the rule fails the chain rule in this box, so it is not conservative"
        return f"{where}: the answer is about this box only"
    else:
        raise InputError(f"not a local domain: {type(domain).__name__}")
    if holds is True:
        return f"{where}: the rule satisfies the chain rule {what}; this is not conservativity on the whole space"
    if holds is False:
        return f"{where}: the rule violates the chain rule {what}, so it is not conservative"
    return f"{where}: the answer is about f restricted to this {shape} (in its coordinates), not f on the whole space"
