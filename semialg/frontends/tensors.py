"""Tensors of DAG nodes: the array layer the framework front ends share.

A traced JAX or PyTorch program works on arrays; semialg's DAG works on scalars. A
:class:`Tensor` is a shape and its entries (hash-consed :class:`~semialg.core.dag.Node` s)
in row-major order, with the array operations the graph converters need: broadcasting,
reshape, transpose, slicing, padding, concatenation, reductions and ``dot_general``.
Nothing is evaluated: every operation builds nodes, so shared subexpressions stay shared.

Weights arrive as floats; :func:`exact_float` reads a float as the dyadic rational it *is*
(``Fraction(0.1)`` is 3602879701896397/36028797018963968), because that is the number the
framework computes with. Nothing is rounded.

>>> x, y = Tensor.variables(["x", "y"])
>>> w = Tensor.constant([[1.0, 2.0], [0.5, -1.0]], (2, 2))
>>> v = Tensor.stack([x, y])
>>> to_text(dot_general(w, v, ((1,), (0,))).map(lambda n: Node.make("relu", (n,))).items)
['relu(x + 2 * y)', 'relu(1/2 * x - y)']
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Callable, Iterable, Sequence

from semialg.core.dag import Node, add, mul, to_text
from semialg.core.errors import InputError, UnsupportedError

__all__ = ["Tensor", "exact_float", "dot_general", "broadcast_shapes", "divide", "divide_cases", "indicator", "ZERO", "ONE"]

ZERO = Node.const(0)
ONE = Node.const(1)


def exact_float(value) -> Fraction:
    """A float (Python, numpy or a framework scalar) as the exact dyadic rational it stores.

    >>> exact_float(0.5), exact_float(0.1) == Fraction(1, 10)
    (Fraction(1, 2), False)
    """
    if isinstance(value, bool):
        return Fraction(int(value))
    if isinstance(value, (int, Fraction)):
        return Fraction(value)
    f = float(value)
    if not math.isfinite(f):
        raise UnsupportedError(f"the traced program holds the constant {f}, which is not a finite real number")
    return Fraction(f)


def _strides(shape: Sequence[int]) -> tuple[int, ...]:
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= d
    return tuple(reversed(out))


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy's broadcasting rule.

    >>> broadcast_shapes((3, 1), (4,))
    (3, 4)
    """
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(ndim):
        sizes = {s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0} - {1}
        if len(sizes) > 1:
            raise InputError(f"shapes {', '.join(str(tuple(s)) for s in shapes)} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


@dataclass(frozen=True)
class Tensor:
    """An array of nodes: ``shape`` and the ``items`` in row-major order."""

    shape: tuple[int, ...]
    items: tuple[Node, ...]

    def __post_init__(self):
        if math.prod(self.shape) != len(self.items):
            raise ValueError(f"shape {self.shape} needs {math.prod(self.shape)} items, got {len(self.items)}")

    # ----------------------------------------------------------------- construction
    @staticmethod
    def scalar(node: Node) -> "Tensor":
        return Tensor((), (node,))

    @staticmethod
    def variables(names: Iterable[str]) -> list["Tensor"]:
        """One scalar tensor per variable name."""
        return [Tensor.scalar(Node.var(n)) for n in names]

    @staticmethod
    def stack(scalars: Sequence["Tensor"]) -> "Tensor":
        """Scalar tensors (or nodes) as a vector."""
        items = tuple(s.items[0] if isinstance(s, Tensor) else s for s in scalars)
        return Tensor((len(items),), items)

    @staticmethod
    def constant(values, shape: Sequence[int] | None = None) -> "Tensor":
        """A constant from nested sequences or a numpy-like array (floats read exactly)."""
        if hasattr(values, "tolist"):
            shape = tuple(values.shape) if shape is None else tuple(shape)
            values = values.tolist()
        flat: list = []
        stack = [values]
        while stack:  # iterative flatten, row-major
            v = stack.pop()
            if isinstance(v, (list, tuple)):
                stack.extend(reversed(v))
            else:
                flat.append(v)
        if shape is None:
            shape, probe = [], values
            while isinstance(probe, (list, tuple)):
                shape.append(len(probe))
                probe = probe[0] if probe else None
        return Tensor(tuple(shape), tuple(Node.const(exact_float(v)) for v in flat))

    @staticmethod
    def full(shape: Sequence[int], node: Node) -> "Tensor":
        return Tensor(tuple(shape), (node,) * math.prod(shape))

    # ----------------------------------------------------------------- access
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return len(self.items)

    def at(self, index: Sequence[int]) -> Node:
        return self.items[sum(i * s for i, s in zip(index, _strides(self.shape)))]

    def _gather(self, shape: Sequence[int], source: Callable[[tuple[int, ...]], tuple[int, ...] | None],
                fill: Node = ZERO) -> "Tensor":
        """A new tensor of ``shape`` whose entry at an index is ours at ``source(index)`` (or ``fill``)."""
        strides = _strides(self.shape)
        items = []
        for index in product(*(range(d) for d in shape)):
            src = source(index)
            items.append(fill if src is None else self.items[sum(i * s for i, s in zip(src, strides))])
        return Tensor(tuple(shape), tuple(items))

    def __repr__(self) -> str:
        text = to_text(self.items[:4])
        return f"Tensor(shape={self.shape}, items=[{', '.join(text)}{', ...' if self.size > 4 else ''}])"

    # ----------------------------------------------------------------- shape operations
    def reshape(self, shape: Sequence[int]) -> "Tensor":
        shape = tuple(shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            shape = tuple(self.size // known if d == -1 else d for d in shape)
        return Tensor(shape, self.items)

    def transpose(self, perm: Sequence[int]) -> "Tensor":
        shape = tuple(self.shape[p] for p in perm)
        inverse = [0] * len(perm)
        for i, p in enumerate(perm):
            inverse[p] = i
        return self._gather(shape, lambda idx: tuple(idx[inverse[a]] for a in range(len(perm))))

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        """numpy broadcasting of this tensor to ``shape``."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        lead = len(shape) - self.ndim
        if lead < 0 or any(d not in (1, shape[lead + a]) for a, d in enumerate(self.shape)):
            raise InputError(f"cannot broadcast shape {self.shape} to {shape}")
        return self._gather(shape, lambda idx: tuple(0 if d == 1 else idx[lead + a] for a, d in enumerate(self.shape)))

    def broadcast_in_dim(self, shape: Sequence[int], dims: Sequence[int]) -> "Tensor":
        """JAX's ``broadcast_in_dim``: our axis ``a`` becomes axis ``dims[a]`` of ``shape``."""
        return self._gather(tuple(shape), lambda idx: tuple(0 if d == 1 else idx[dims[a]] for a, d in enumerate(self.shape)))

    def slice(self, starts: Sequence[int], limits: Sequence[int], steps: Sequence[int] | None = None) -> "Tensor":
        steps = steps or (1,) * self.ndim
        shape = tuple(max(0, -(-(hi - lo) // st)) for lo, hi, st in zip(starts, limits, steps))
        return self._gather(shape, lambda idx: tuple(lo + i * st for i, lo, st in zip(idx, starts, steps)))

    def pad(self, low: Sequence[int], high: Sequence[int], interior: Sequence[int] | None = None,
            value: Node = ZERO) -> "Tensor":
        """JAX's ``pad`` (negative ``low``/``high`` crop)."""
        interior = interior or (0,) * self.ndim
        shape = tuple(lo + hi + d + max(0, d - 1) * it for d, lo, hi, it in zip(self.shape, low, high, interior))

        def source(idx):
            src = []
            for i, lo, it, d in zip(idx, low, interior, self.shape):
                q, r = divmod(i - lo, it + 1)
                if i - lo < 0 or r or q >= d:
                    return None
                src.append(q)
            return tuple(src)
        return self._gather(shape, source, value)

    @staticmethod
    def concatenate(tensors: Sequence["Tensor"], axis: int) -> "Tensor":
        first = tensors[0]
        axis %= first.ndim
        offsets, total = [], 0
        for t in tensors:
            offsets.append(total)
            total += t.shape[axis]
        shape = first.shape[:axis] + (total,) + first.shape[axis + 1:]
        items = []
        for index in product(*(range(d) for d in shape)):
            k = max(j for j, o in enumerate(offsets) if o <= index[axis])
            local = index[:axis] + (index[axis] - offsets[k],) + index[axis + 1:]
            items.append(tensors[k].at(local))
        return Tensor(shape, tuple(items))

    # ----------------------------------------------------------------- elementwise and reductions
    def map(self, fn: Callable[..., Node], *others: "Tensor") -> "Tensor":
        """``fn`` entrywise over this tensor and ``others``, broadcast together."""
        if not others:
            return Tensor(self.shape, tuple(fn(a) for a in self.items))
        shape = broadcast_shapes(self.shape, *(o.shape for o in others))
        parts = [t.broadcast_to(shape) for t in (self, *others)]
        return Tensor(shape, tuple(fn(*args) for args in zip(*(p.items for p in parts))))

    def reduce(self, fn: Callable[[list[Node]], Node], axes: Iterable[int]) -> "Tensor":
        """``fn`` over the entries along ``axes`` (e.g. ``lambda xs: add(*xs)``)."""
        axes = sorted({a % self.ndim for a in axes}) if self.ndim else []
        keep = [a for a in range(self.ndim) if a not in axes]
        shape = tuple(self.shape[a] for a in keep)
        groups: dict[tuple[int, ...], list[Node]] = {}
        for index in product(*(range(d) for d in self.shape)):
            groups.setdefault(tuple(index[a] for a in keep), []).append(self.at(index))
        return Tensor(shape, tuple(fn(groups[idx]) for idx in product(*(range(d) for d in shape))))


def dot_general(a: Tensor, b: Tensor, contracting: tuple[Sequence[int], Sequence[int]],
                batch: tuple[Sequence[int], Sequence[int]] = ((), ())) -> Tensor:
    """JAX's ``dot_general``: result axes are batch, then ``a``'s free, then ``b``'s free.

    Zero weights drop out of the sums (``mul`` folds them), so sparse layers stay small.
    """
    (ac, bc), (ab, bb) = contracting, batch
    afree = [d for d in range(a.ndim) if d not in ac and d not in ab]
    bfree = [d for d in range(b.ndim) if d not in bc and d not in bb]
    shape = tuple(a.shape[d] for d in ab) + tuple(a.shape[d] for d in afree) + tuple(b.shape[d] for d in bfree)
    csizes = [a.shape[d] for d in ac]
    items = []
    for index in product(*(range(d) for d in shape)):
        bi, ai, fi = index[:len(ab)], index[len(ab):len(ab) + len(afree)], index[len(ab) + len(afree):]
        terms = []
        for ci in product(*(range(d) for d in csizes)):
            aidx, bidx = [0] * a.ndim, [0] * b.ndim
            for d, i in zip(ab, bi):
                aidx[d] = i
            for d, i in zip(bb, bi):
                bidx[d] = i
            for d, i in zip(afree, ai):
                aidx[d] = i
            for d, i in zip(bfree, fi):
                bidx[d] = i
            for d, e, i in zip(ac, bc, ci):
                aidx[d], bidx[e] = i, i
            term = mul(a.at(aidx), b.at(bidx))
            if not (term.is_const and term.param == 0):
                terms.append(term)
        items.append(add(*terms))
    return Tensor(shape, tuple(items))


def indicator(condition: Node) -> Node:
    """A boolean as 0/1: ``where(condition, 1, 0)`` (what ``convert_element_type`` of a bool is)."""
    if condition.op == "const":
        return ONE if condition.param else ZERO
    return Node.make("where", (condition, ONE, ZERO))


def _indicator_count(node: Node) -> list[Node] | None:
    """The conditions when ``node`` is a sum of indicators ``where(c, 1, 0)`` (plus a constant), else None."""
    terms = node.args if node.op == "add" else (node,)
    conds = []
    for t in terms:
        if t.op == "where" and t.args[1] is ONE and t.args[2] is ZERO:
            conds.append(t.args[0])
        elif not t.is_const:
            return None
    return conds


def divide(numerator: Node, denominator: Node) -> Node:
    """``numerator / denominator`` where the DAG allows it exactly.

    By a constant: a product with its reciprocal. By a count of ties (a sum of indicators,
    as JAX writes the gradient of ``max`` split evenly between tied entries): by cases on
    the count, each case a division by a constant. Anything else is not a polynomial
    operation and is refused.

    >>> x, y = Node.var("x"), Node.var("y")
    >>> count = add(indicator(Node.make("eq", (x, y))), ONE)
    >>> to_text([divide(ONE, count)])
    ['where(where(x == y, 1, 0) + 1 == 1, 1, 1/2)']
    """
    if denominator.is_const:
        if denominator.param == 0:
            raise UnsupportedError("division by the constant 0")
        return mul(Node.const(1 / denominator.param), numerator)
    conds = _indicator_count(denominator)
    if conds is None:
        raise UnsupportedError(f"division by {to_text([denominator])[0]}: semialg divides only by constants "
                               f"and by counts of ties (sums of indicators)")
    offset = sum((t.param for t in (denominator.args if denominator.op == "add" else (denominator,)) if t.is_const),
                 Fraction(0))
    result = None
    for count in range(len(conds), -1, -1):  # the largest count last tried is the fallback
        value = offset + count
        case = mul(Node.const(1 / value), numerator) if value else None
        if case is None:
            continue
        result = case if result is None else Node.make(
            "where", (Node.make("eq", (denominator, Node.const(value))), case, result))
    if result is None:
        raise UnsupportedError("division by a count that is always 0")
    return result


def divide_cases(numerator: Node, denominator: Node) -> Node:
    """:func:`divide`, also when ``denominator`` is a tree of ``where`` s whose leaves
    :func:`divide` accepts: divide in each case (JAX's gradient of ``max(a, b)`` divides by
    ``where(a == b, 2, 1)``). Iterative over the where-tree.

    >>> x, y = Node.var("x"), Node.var("y")
    >>> to_text([divide_cases(x, Node.make("where", (Node.make("eq", (x, y)), Node.const(2), ONE)))])
    ['where(x == y, 1/2 * x, x)']
    """
    result: dict[int, Node] = {}
    stack: list[tuple[Node, bool]] = [(denominator, False)]
    while stack:  # post-order over the where-tree only (conditions are not divided)
        node, expanded = stack.pop()
        if id(node) in result:
            continue
        if node.op != "where":
            result[id(node)] = divide(numerator, node)
        elif expanded:
            cond, yes, no = node.args[0], result[id(node.args[1])], result[id(node.args[2])]
            result[id(node)] = yes if yes is no else (yes if cond.param else no) if cond.is_const else \
                Node.make("where", (cond, yes, no))
        else:
            stack.append((node, True))
            stack.extend((branch, False) for branch in node.args[1:] if id(branch) not in result)
    return result[id(denominator)]
