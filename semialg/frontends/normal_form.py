"""The piecewise-linear normal form of a program: affine maps between a list of kinks.

A program built from sums, products by constants and the continuous piecewise-linear
primitives (relu, abs, leaky_relu, max, min, hardtanh, relu6, clip/clamp with constant
bounds, sort) is, after naming every kink's output ``z_k``, a finite list of *affine* maps:
each kink's arguments are affine in the inputs ``x`` and the earlier ``z_j``, and so is every
output. This is the abs-normal form of Griewank's piecewise-linear differentiation (there the
kinks are all ``abs``; here each kink keeps its own primitive, because a derivative rule's
choice at a kink depends on the primitive and its spelling):

    z_k = phi_k(A_k x + B_k z_{<k} + c_k),      y = A x + B z + c.

One forward pass over the DAG builds it (iterative, dictionaries merged; a product is allowed
only when all factors but one are constant). The affine parts carry everything smooth, so a
chain rule through the program is the chain rule through the kinks alone (composition of
linear maps is associative: how the affine parts were grouped does not matter).

>>> from semialg.frontends.text import parse
>>> nf = normal_form(parse("relu(x - y) + 2 * max(x, 0)"))
>>> [(k.op, k.level) for k in nf.kinks]
[('relu', 0), ('max', 0)]
>>> nf.outputs[0].kinks
{0: Fraction(1, 1), 1: Fraction(2, 1)}
>>> nf.evaluate([3, 1])
(Fraction(8, 1),)
>>> nf.to_program().to_text()
'relu(x - y) + 2 * max(x, 0)'
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from operator import mul
from typing import Sequence

from semialg.core import dag, primitives
from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError, UnsupportedError

__all__ = ["AffineForm", "Kink", "NormalForm", "NotPiecewiseLinear", "normal_form"]

PIECEWISE_LINEAR = frozenset({"relu", "abs", "leaky_relu", "max", "min", "hardtanh", "relu6", "clip", "clamp", "sort"})
"""The primitives a normal form keeps as kinks (continuous, affine on every branch)."""

ONE, ZERO = Fraction(1), Fraction(0)
_EMPTY: dict = {}


class NotPiecewiseLinear(UnsupportedError):
    """The program has no piecewise-linear normal form: ``reason`` says which node is not affine
    in the inputs and the kink outputs (a product of two non-constant factors, a power, a predicate,
    ``where``, a custom gradient, a discontinuous primitive, clip with non-constant bounds).

    An :class:`~semialg.core.errors.UnsupportedError`: the expression is well formed but outside the
    fragment; callers fall back to the general (semialgebraic) machinery."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(f"no piecewise-linear normal form: {reason}; the general stratifier handles this program")


@dataclass(frozen=True)
class AffineForm:
    """``const + sum_i inputs[i] * x_i + sum_k kinks[k] * z_k`` (sparse; no zero coefficients)."""

    const: Fraction
    inputs: dict
    kinks: dict

    @property
    def is_constant(self) -> bool:
        return not self.inputs and not self.kinks

    def value(self, x: Sequence, z: Sequence) -> Fraction:
        """The exact value at inputs ``x`` and kink outputs ``z``."""
        total = self.const
        for i, c in self.inputs.items():
            total += c * x[i]
        for k, c in self.kinks.items():
            total += c * z[k]
        return total


@dataclass(frozen=True)
class Kink:
    """One kink ``z = op(args)``: ``node`` is the original DAG node (a rule's partials need it),
    ``args`` its arguments as affine forms, ``level`` 1 + the largest level among the kinks its
    arguments use (0 when they use none)."""

    node: Node
    op: str
    param: object
    args: tuple[AffineForm, ...]
    level: int


@dataclass(frozen=True)
class NormalForm:
    """Inputs, kinks in topological order (a kink's arguments use only earlier kinks), outputs."""

    inputs: tuple[str, ...]
    kinks: tuple[Kink, ...]
    outputs: tuple[AffineForm, ...]

    @property
    def depth(self) -> int:
        """The number of kink levels."""
        return 1 + max((k.level for k in self.kinks), default=-1)

    def kink_values(self, point: Sequence) -> list[Fraction]:
        """Every kink's exact output at a rational point (in the order of :attr:`kinks`)."""
        x = [Fraction(v) for v in point]
        if len(x) != len(self.inputs):
            raise InputError(f"expected {len(self.inputs)} coordinates ({', '.join(self.inputs)}), got {len(x)}")
        z: list[Fraction] = []
        for kink in self.kinks:
            args = [a.value(x, z) for a in kink.args]
            z.append(Fraction(primitives.REGISTRY[kink.op].exact(args, kink.param)))
        return z

    def evaluate(self, point: Sequence) -> tuple[Fraction, ...]:
        """The outputs at a rational point, exactly."""
        z = self.kink_values(point)
        x = [Fraction(v) for v in point]
        return tuple(o.value(x, z) for o in self.outputs)

    def to_program(self) -> Program:
        """The small DAG: input variables, one node per kink over its affine arguments, the outputs."""
        return self.to_program_with_kinks()[0]

    def to_program_with_kinks(self) -> tuple[Program, tuple[Node, ...]]:
        """:meth:`to_program` and the node of each kink in it (in the order of :attr:`kinks`)."""
        variables = [Node.var(name) for name in self.inputs]
        kink_nodes: list[Node] = []
        constants: dict[Fraction, Node] = {}

        def term(c: Fraction, node: Node) -> Node:
            # dag.mul's canonical form, built directly: ``node`` is a variable or a kink, never a product
            if c == 1:
                return node
            const = constants.get(c)
            if const is None:
                const = constants[c] = Node.const(c)
            return Node.make("mul", (const, node))

        def affine(form: AffineForm) -> Node:
            terms = [term(c, variables[i]) for i, c in sorted(form.inputs.items())]
            terms += [term(c, kink_nodes[k]) for k, c in sorted(form.kinks.items())]
            return dag.add(*terms, Node.const(form.const)) if len(terms) < 2 else Node.make(
                "add", terms + [Node.const(form.const)] if form.const else terms)

        for kink in self.kinks:
            kink_nodes.append(Node.make(kink.op, [affine(a) for a in kink.args], kink.param))
        return Program(self.inputs, tuple(affine(o) for o in self.outputs)), tuple(kink_nodes)

    def restrict(self, origin: Sequence, directions: Sequence[Sequence], names: Sequence[str]) -> "NormalForm":
        """The normal form of ``p -> f(origin + sum_k p_k directions[k])`` over the parameters ``names``
        (exact; the kinks keep their nodes, their input parts become affine in the parameters)."""
        origin = [Fraction(v) for v in origin]
        directions = [[Fraction(v) for v in d] for d in directions]
        if len(origin) != len(self.inputs) or any(len(d) != len(origin) for d in directions):
            raise InputError(f"the affine map has {len(origin)} coordinates; the program has {len(self.inputs)} inputs")
        vectors = [origin] + directions
        scales = [lcm(*(v.denominator for v in vec)) for vec in vectors]
        integer = [[v.numerator * (s // v.denominator) for v in vec] for vec, s in zip(vectors, scales)]

        def image(form: AffineForm) -> AffineForm:
            if not form.inputs:
                return form
            keys, coeffs = list(form.inputs), list(form.inputs.values())
            dens = [c.denominator for c in coeffs]
            row = lcm(*dens)
            nums = [c.numerator for c in coeffs] if dens.count(row) == len(dens) else \
                [c.numerator * (row // d) for c, d in zip(coeffs, dens)]
            dots = [Fraction(sum(map(mul, nums, map(vec.__getitem__, keys))), row * s) for vec, s in zip(integer, scales)]
            params = {k: d for k, d in enumerate(dots[1:]) if d}
            return AffineForm(form.const + dots[0], params, form.kinks)

        kinks = tuple(Kink(k.node, k.op, k.param, tuple(image(a) for a in k.args), k.level) for k in self.kinks)
        return NormalForm(tuple(names), kinks, tuple(image(o) for o in self.outputs))


def _scaled(form: tuple, c: Fraction) -> tuple:
    """``c * form`` (coefficient maps never hold zeros: a zero factor gives the constant 0)."""
    if not c:
        return (ZERO, _EMPTY, _EMPTY)
    const, inputs, kinks = form
    return (const if const is ZERO else const * c, {i: (c if v is ONE else c * v) for i, v in inputs.items()},
            {k: (c if v is ONE else c * v) for k, v in kinks.items()})


def _merge(target: dict, source: dict) -> None:
    for key, v in source.items():
        old = target.get(key)
        target[key] = v if old is None else old + v


def _sum_dicts(dicts: list) -> dict:
    """The sum of sparse coefficient maps (C-speed when their keys are disjoint, as in a dense layer)."""
    if not dicts:
        return _EMPTY
    if len(dicts) == 1:
        return dicts[0]
    items = [item for d in dicts for item in d.items()]
    out = dict(items)
    if len(out) == len(items):
        return out
    out = {}
    _merge_all(out, dicts)
    return _nonzero(out)


def _merge_all(target: dict, dicts: list) -> None:
    for d in dicts:
        _merge(target, d)


def _nonzero(d: dict) -> dict:
    return d if all(d.values()) else {k: v for k, v in d.items() if v}


def _is_constant(form: tuple) -> bool:
    return not form[1] and not form[2]


def _freeze(form: tuple) -> AffineForm:
    const, inputs, kinks = form
    return AffineForm(Fraction(const), inputs, kinks)   # the maps hold no zeros (see _sum_dicts, _scaled)


def normal_form(program) -> NormalForm:
    """The piecewise-linear normal form of ``program`` (a :class:`Program`, or anything
    :func:`~semialg.frontends.coerce.as_program` takes); raises :class:`NotPiecewiseLinear`.

    A kink whose arguments are all constant is folded into its value.

    >>> from semialg.frontends.text import parse
    >>> normal_form(parse("relu(x) * y"))
    Traceback (most recent call last):
    ...
    semialg.frontends.normal_form.NotPiecewiseLinear: no piecewise-linear normal form: a product of two non-constant factors (relu(x) * y); the general stratifier handles this program
    """
    if not isinstance(program, Program):
        from semialg.frontends.coerce import as_program
        program = as_program(program)
    index = {name: i for i, name in enumerate(program.inputs)}
    forms: dict[int, tuple] = {}
    kinks: list[Kink] = []
    levels: list[int] = []
    for node in walk_postorder(program.outputs):
        op = node.op
        if op == "const":
            form = (node.param, _EMPTY, _EMPTY)
        elif op == "var":
            if node.param not in index:
                raise InputError(f"the program uses the variable {node.param}, which is not one of its inputs "
                                 f"({', '.join(program.inputs)})")
            form = (ZERO, {index[node.param]: ONE}, _EMPTY)
        elif op == "add":
            parts = [forms[id(a)] for a in node.args]
            const = ZERO
            for c, _, _ in parts:
                if c is not ZERO:
                    const += c
            form = (const, _sum_dicts([f[1] for f in parts if f[1]]), _sum_dicts([f[2] for f in parts if f[2]]))
        elif op == "mul":
            args = [forms[id(a)] for a in node.args]
            varying = [f for f in args if not _is_constant(f)]
            if len(varying) > 1:
                raise NotPiecewiseLinear(f"a product of two non-constant factors ({_text(node)})")
            c = ONE
            for f in args:
                if _is_constant(f):
                    c *= f[0]
            form = _scaled(varying[0], c) if varying else (c, _EMPTY, _EMPTY)
        elif op == "pow":
            base = forms[id(node.args[0])]
            if not _is_constant(base):
                raise NotPiecewiseLinear(f"a power of a non-constant base ({_text(node)})")
            form = (base[0] ** node.param, _EMPTY, _EMPTY)
        elif op in PIECEWISE_LINEAR:
            args = [forms[id(a)] for a in node.args]
            if op in ("clip", "clamp") and any(not _is_constant(f) for f in args[1:]):
                raise NotPiecewiseLinear(f"{op} with a non-constant bound ({_text(node)})")
            if all(_is_constant(f) for f in args):
                value = primitives.REGISTRY[op].exact([f[0] for f in args], node.param)
                form = (Fraction(value), _EMPTY, _EMPTY)
            else:
                frozen = tuple(_freeze(f) for f in args)
                used = [levels[k] for f in frozen for k in f.kinks]
                level = 1 + max(used) if used else 0
                kinks.append(Kink(node, op, node.param, frozen, level))
                levels.append(level)
                form = (ZERO, _EMPTY, {len(kinks) - 1: ONE})
        else:
            what = "a predicate" if op in primitives.REGISTRY and primitives.REGISTRY[op].predicate else (
                "a custom gradient" if op == "custom" else "where" if op == "where" else
                f"the primitive {op}, which is not continuous and piecewise linear")
            raise NotPiecewiseLinear(f"{what} ({_text(node)})")
        forms[id(node)] = form
    outputs = tuple(_freeze(forms[id(o)]) for o in program.outputs)
    return _prune(NormalForm(tuple(program.inputs), tuple(kinks), outputs))


def _prune(nf: NormalForm) -> NormalForm:
    """Drop the kinks no output depends on (a kink multiplied by an expression equal to 0, such as
    ``(x - x) * abs(y)``, is in the DAG but not in the function)."""
    used = {k for o in nf.outputs for k in o.kinks}
    for k in range(len(nf.kinks) - 1, -1, -1):
        if k in used:
            used.update(j for a in nf.kinks[k].args for j in a.kinks)
    if len(used) == len(nf.kinks):
        return nf
    new_index = {k: i for i, k in enumerate(sorted(used))}

    def moved(form: AffineForm) -> AffineForm:
        return AffineForm(form.const, form.inputs, {new_index[k]: c for k, c in form.kinks.items()})

    kinks = tuple(Kink(kink.node, kink.op, kink.param, tuple(moved(a) for a in kink.args), kink.level)
                  for k, kink in enumerate(nf.kinks) if k in used)
    return NormalForm(nf.inputs, kinks, tuple(moved(o) for o in nf.outputs))


def _text(node: Node, limit: int = 60) -> str:
    """A node's text, shortened (a reason names the node, not the whole network)."""
    if len(walk_postorder([node])) > 200:
        return f"a {node.op} node with {len(node.args)} arguments"
    text = dag.to_text([node])[0]
    return text if len(text) <= limit else text[:limit - 3] + "..."
