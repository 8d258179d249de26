"""Hash-consed expression DAG: :class:`Node` and :class:`Program`.

Invariant: two structurally equal nodes are the *same object* (hash-consing), so
equality is identity and a shared subexpression is stored once. Every walk is
iterative (an explicit stack), so programs nested 10,000 deep work.

>>> x = Node.var("x"); y = Node.var("y")
>>> Node.make("add", (x, y)) is Node.make("add", (x, y))
True
>>> p = Program(("x", "y"), (Node.make("relu", (Node.make("add", (x, y)),)),))
>>> p.to_text()
'relu(x + y)'
>>> len(p.topological_order())
4
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Iterable, Iterator

# Operators of the polynomial skeleton; every other op is a primitive name
# (see primitives.py) or a boolean/comparison op used inside ``where``.
ARITH_OPS = frozenset({"const", "var", "add", "mul", "pow"})
COMPARE_OPS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}
BOOL_OPS = frozenset({"and", "or", "not"})

_INTERN: dict[tuple, "Node"] = {}
_INTERN_LOCK = threading.Lock()


@dataclass(frozen=True, eq=False)
class Node:
    """One vertex of the DAG: an operator, its argument nodes and a parameter.

    ``param`` is a :class:`~fractions.Fraction` for ``const``, the name for
    ``var``, the integer exponent for ``pow``, the output index for ``sort``
    (the ``param``-th smallest), ``None`` otherwise. Build nodes with
    :meth:`make` (never the constructor) so that they are hash-consed.
    """

    op: str
    args: tuple["Node", ...] = ()
    param: object = None
    _key: tuple = field(default=(), repr=False)

    @staticmethod
    def make(op: str, args: Iterable["Node"] = (), param: object = None) -> "Node":
        """The unique node with this operator, arguments and parameter."""
        args = tuple(args)
        key = (op, tuple(id(a) for a in args), param)
        node = _INTERN.get(key)
        if node is None:
            with _INTERN_LOCK:
                node = _INTERN.get(key)
                if node is None:
                    node = Node(op, args, param, key)
                    _INTERN[key] = node
        return node

    @staticmethod
    def const(value) -> "Node":
        """A rational constant (ints, Fractions, decimal strings are exact)."""
        return Node.make("const", (), Fraction(value))

    @staticmethod
    def var(name: str) -> "Node":
        """An input variable."""
        return Node.make("var", (), name)

    @property
    def is_const(self) -> bool:
        return self.op == "const"

    def __repr__(self) -> str:  # short, non-recursive
        return f"Node({self.op}, {len(self.args)} args, {self.param!r})"

    def __reduce__(self):  # pickling keeps hash-consing
        return (Node.make, (self.op, self.args, self.param))


def walk_postorder(roots: Iterable[Node]) -> list[Node]:
    """Every node reachable from ``roots``, each once, arguments before users.

    Iterative depth-first search, so depth is not limited by Python's stack.
    """
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        stack: list[tuple[Node, int]] = [(root, 0)]
        seen.add(id(root))
        while stack:
            node, i = stack[-1]
            if i < len(node.args):
                stack[-1] = (node, i + 1)
                child = node.args[i]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def fold(roots: Iterable[Node], combine: Callable[[Node, list], object]) -> dict[int, object]:
    """Memoised bottom-up evaluation: ``combine(node, arg_values)`` per node, keyed by id."""
    values: dict[int, object] = {}
    for node in walk_postorder(roots):
        values[id(node)] = combine(node, [values[id(a)] for a in node.args])
    return values


# the auxiliary variables a lifted node carries as trailing arguments (semialgebraic lifting)
AUX_ARGS = {"sqrt": 2, "cbrt": 2, "rpow": 2, "norm": 2, "inv": 1}

_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "add": 5, "mul": 6, "neg": 7, "pow": 8, "atom": 9}


def _fmt_const(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1:
        return (str(value.numerator), _PRECEDENCE["atom"] if value >= 0 else _PRECEDENCE["neg"])
    return (f"{value.numerator}/{value.denominator}", _PRECEDENCE["mul"])


def _node_text(node: Node, parts: list[tuple[str, int]], text_of: Callable[[Node], tuple[str, int]]) -> tuple[str, int]:
    """Text of one node from the texts of its arguments (with precedences)."""
    P = _PRECEDENCE

    def wrap(part: tuple[str, int], level: int) -> str:
        text, prec = part
        return f"({text})" if prec < level else text

    op = node.op
    if op in AUX_ARGS and len(node.args) > 1 and node.args[-1].op == "var" and str(node.args[-1].param).startswith("_"):
        parts = parts[:len(parts) - AUX_ARGS[op]]   # a lifted node: its auxiliary variables are not written
    if op == "const":
        return _fmt_const(node.param)
    if op == "var":
        return (str(node.param), P["atom"])
    if op == "inv":
        return (f"1 / {wrap(parts[0], P['mul'] + 1)}", P["mul"])
    if op == "rpow":
        return (f"{wrap(parts[0], P['pow'] + 1)}**({_fmt_const(node.param)[0]})", P["pow"])
    if op == "add":
        out = wrap(parts[0], P["add"])
        for arg, part in zip(node.args[1:], parts[1:]):
            if arg.is_const and arg.param < 0:
                out += " - " + _fmt_const(-arg.param)[0]
            elif arg.op == "mul" and arg.args[0].is_const and arg.args[0].param < 0:
                out += " - " + wrap(text_of(mul(Node.const(-arg.args[0].param), *arg.args[1:])), P["add"] + 1)
            else:
                out += " + " + wrap(part, P["add"] + 1)
        return (out, P["add"])
    if op == "mul":
        if node.args[0].is_const and node.args[0].param == -1:
            rest = text_of(mul(*node.args[1:]))
            return ("-" + wrap(rest, P["mul"] + 1), P["neg"])
        texts = [wrap(parts[0], P["mul"])] + [wrap(p, P["mul"] + 1) for p in parts[1:]]
        if node.args[0].is_const and node.args[0].param < 0:
            return (" * ".join(texts), P["neg"])
        return (" * ".join(texts), P["mul"])
    if op == "pow":
        return (f"{wrap(parts[0], P['pow'] + 1)}**{node.param}", P["pow"])
    if op in COMPARE_OPS:
        return (f"{wrap(parts[0], P['cmp'] + 1)} {COMPARE_OPS[op]} {wrap(parts[1], P['cmp'] + 1)}", P["cmp"])
    if op == "and" or op == "or":
        return (f" {op} ".join(wrap(p, P[op] + 1) for p in parts), P[op])
    if op == "not":
        return ("not " + wrap(parts[0], P["not"]), P["not"])
    if op == "sort":
        return (f"sort({', '.join(p[0] for p in parts)})[{node.param}]", P["atom"])
    if op in ("clip", "clamp") and node.param is not None:  # one-sided: param names the finite bound
        bound = parts[1][0]
        lo, hi = (bound, "inf") if node.param == "lo" else ("-inf", bound)
        return (f"{op}({parts[0][0]}, {lo}, {hi})", P["atom"])
    if op == "custom":
        grads = ", ".join(p[0] for p in parts[1:]) + ("," if len(parts) == 2 else "")
        return (f"custom({parts[0][0]}, grad=({grads}))", P["atom"])
    if op == "leaky_relu" and node.param is not None:
        return (f"leaky_relu({parts[0][0]}, {_fmt_const(node.param)[0]})", P["atom"])
    return (f"{op}({', '.join(p[0] for p in parts)})", P["atom"])


def to_text(roots: Iterable[Node]) -> list[str]:
    """Text for each root that parses back to the same nodes (iterative)."""
    roots = list(roots)
    memo: dict[int, tuple[str, int]] = {}

    def text_of(node: Node) -> tuple[str, int]:
        for n in walk_postorder([node]):
            if id(n) not in memo:
                memo[id(n)] = _node_text(n, [memo[id(a)] for a in n.args], text_of)
        return memo[id(node)]

    for root in roots:
        text_of(root)
    return [memo[id(r)][0] for r in roots]


# --------------------------------------------------------------------------- canonical builders
def add(*terms: Node) -> Node:
    """Canonical sum: nested sums flattened, constants folded into one last term.

    >>> x = Node.var("x")
    >>> add(Node.const(1), x, Node.const(2)) is add(x, Node.const(3))
    True
    """
    flat: list[Node] = []
    const = Fraction(0)
    for t in terms:
        for u in (t.args if t.op == "add" else (t,)):
            if u.is_const:
                const += u.param
            else:
                flat.append(u)
    if const:
        flat.append(Node.const(const))
    if not flat:
        return Node.const(0)
    return flat[0] if len(flat) == 1 else Node.make("add", flat)


def mul(*factors: Node) -> Node:
    """Canonical product: nested products flattened, constants folded into one first factor."""
    flat: list[Node] = []
    const = Fraction(1)
    for f in factors:
        for u in (f.args if f.op == "mul" else (f,)):
            if u.is_const:
                const *= u.param
            else:
                flat.append(u)
    if const == 0 or not flat:
        return Node.const(const if flat == [] else 0)
    if const != 1:
        flat.insert(0, Node.const(const))
    return flat[0] if len(flat) == 1 else Node.make("mul", flat)


def neg(a: Node) -> Node:
    return mul(Node.const(-1), a)


def sub(a: Node, b: Node) -> Node:
    return add(a, neg(b))


def power(base: Node, k: int) -> Node:
    """``base**k`` for an integer ``k >= 0`` (constants folded)."""
    if k == 0:
        return Node.const(1)
    if k == 1:
        return base
    if base.is_const:
        return Node.const(base.param ** k)
    return Node.make("pow", (base,), k)


@dataclass(frozen=True)
class Program:
    """A map R^n -> R^m: input variable names in order and one node per output.

    >>> x = Node.var("x")
    >>> Program(("x",), (Node.make("abs", (x,)),)).n_inputs
    1
    """

    inputs: tuple[str, ...]
    outputs: tuple[Node, ...]
    lifting: object = field(default=None, compare=False)   # a frontends.lift.Lifting: aux variables

    @property
    def n_inputs(self) -> int:
        return len(self.inputs)

    @property
    def n_outputs(self) -> int:
        return len(self.outputs)

    def topological_order(self) -> list[Node]:
        """All nodes reachable from the outputs, arguments first."""
        return walk_postorder(self.outputs)

    def nodes_with_op(self, ops: Iterable[str]) -> list[Node]:
        wanted = set(ops)
        return [n for n in self.topological_order() if n.op in wanted]

    def free_variables(self) -> set[str]:
        return {n.param for n in self.topological_order() if n.op == "var"}

    def to_text(self) -> str:
        """Comma-separated outputs; parses back to the same program."""
        return ", ".join(to_text(self.outputs))

    def __str__(self) -> str:
        return self.to_text()

    def to_networkx(self):
        """A DiGraph with an edge argument -> user; node attributes ``op``, ``param``.

        Output nodes carry ``output=[indices]``. Node keys are consecutive integers
        in topological order.
        """
        import networkx as nx  # imported here: it costs 0.2 s at start-up

        graph = nx.DiGraph()
        index: dict[int, int] = {}
        for i, node in enumerate(self.topological_order()):
            index[id(node)] = i
            graph.add_node(i, op=node.op, param=node.param, output=[])
            for position, arg in enumerate(node.args):
                graph.add_edge(index[id(arg)], i, position=position)
        for k, out in enumerate(self.outputs):
            graph.nodes[index[id(out)]]["output"].append(k)
        return graph

    def iter_nodes(self) -> Iterator[Node]:
        return iter(self.topological_order())
