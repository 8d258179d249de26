"""The JAX primitives semialg converts: one rule per ``jaxpr`` primitive name.

A rule takes the input :class:`~semialg.frontends.tensors.Tensor` s of one equation and an
:class:`Equation` (its parameters, dtypes and output shapes) and returns the output tensors.
Booleans are predicate nodes (comparisons, and/or/not) or the constants 0 / 1; integers and
floats are numeric nodes. Constants are folded, so iotas, index arithmetic and identity
matrices of a Jacobian stay constants. Call primitives (``jit``, ``custom_jvp_call``, ...)
are not here: the interpreter in :mod:`semialg.frontends.jax` inlines them.
JAX is never imported here: a rule sees only tensors, numbers and tuples.

>>> x, y = Tensor.variables(["x", "y"])
>>> eqn = Equation("max", {}, ("float64", "float64"), ((),), ("float64",))
>>> to_text(RULES["max"]([x, y], eqn)[0].items)
['max(x, y)']
>>> to_text(RULES["max"]([x, Tensor.scalar(ZERO)], eqn)[0].items)
['relu(x)']
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Callable, Sequence

from semialg.core.dag import Node, add, mul, neg, power, sub, to_text  # noqa: F401 (to_text: doctest)
from semialg.core.errors import UnsupportedError
from semialg.frontends.tensors import ONE, ZERO, Tensor, _strides, divide_cases, dot_general, indicator

__all__ = ["Equation", "RULES", "NOT_SEMIALGEBRAIC", "CALL_PRIMITIVES", "supported_names"]

NOT_SEMIALGEBRAIC = frozenset({
    "exp", "exp2", "log", "log1p", "expm1", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
    "tanh", "asinh", "acosh", "atanh", "logistic", "sqrt", "rsqrt", "cbrt", "erf", "erfc", "erf_inv", "lgamma",
    "digamma", "igamma", "bessel_i0e", "bessel_i1e", "polygamma", "zeta", "logaddexp"})
"""Primitives refused with "not semialgebraic / not piecewise polynomial"."""

CALL_PRIMITIVES = frozenset({"jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call",
                             "custom_vjp_call_jaxpr", "remat", "checkpoint", "remat2"})
"""Primitives whose inner jaxpr the interpreter inlines."""

_PREDICATE_OPS = frozenset({"lt", "le", "gt", "ge", "eq", "ne", "and", "or", "not"})


@dataclass(frozen=True)
class Equation:
    """What a rule needs to know about one jaxpr equation besides its input tensors."""

    name: str
    params: dict
    in_dtypes: tuple[str, ...]
    out_shapes: tuple[tuple[int, ...], ...]
    out_dtypes: tuple[str, ...]


def _refuse(eqn: Equation, why: str) -> UnsupportedError:
    return UnsupportedError(f"'{eqn.name}' {why}")


def _is_bool(dtype: str) -> bool:
    return dtype == "bool"


def _is_int(dtype: str) -> bool:
    return dtype.startswith(("int", "uint"))


def _all_const(*nodes: Node) -> bool:
    return all(n.is_const for n in nodes)


# --------------------------------------------------------------------------- scalar builders (constants folded)
def _max(a: Node, b: Node) -> Node:
    if _all_const(a, b):
        return a if a.param >= b.param else b
    if a is b:
        return a
    if b is ZERO:
        return Node.make("relu", (a,))
    if a is ZERO:
        return Node.make("relu", (b,))
    return Node.make("max", (a, b))


def _min(a: Node, b: Node) -> Node:
    if _all_const(a, b):
        return a if a.param <= b.param else b
    return a if a is b else Node.make("min", (a, b))


_COMPARE = {"lt": lambda p, q: p < q, "le": lambda p, q: p <= q, "gt": lambda p, q: p > q,
            "ge": lambda p, q: p >= q, "eq": lambda p, q: p == q, "ne": lambda p, q: p != q}


def _compare(op: str, a: Node, b: Node) -> Node:
    if _all_const(a, b):
        return ONE if _COMPARE[op](a.param, b.param) else ZERO
    if b.is_const and a.op == "where":
        return _compare_cases(op, a, b)
    return Node.make(op, (a, b))


def _compare_cases(op: str, tree: Node, const: Node) -> Node:
    """``tree op const`` for a ``where`` -tree with constant leaves (a sort permutation, a
    select of constants) as a formula over the tree's conditions; other trees are compared as is."""
    result: dict[int, Node] = {}
    stack: list[tuple[Node, bool]] = [(tree, False)]
    while stack:  # iterative post-order over the where-tree only
        node, expanded = stack.pop()
        if id(node) in result:
            continue
        if node.op != "where":
            if not node.is_const:
                return Node.make(op, (tree, const))
            result[id(node)] = ONE if _COMPARE[op](node.param, const.param) else ZERO
        elif expanded:
            cond, yes, no = node.args[0], result[id(node.args[1])], result[id(node.args[2])]
            result[id(node)] = yes if yes is no else _logic("or", [_logic("and", [cond, yes]),
                                                                     _logic("and", [_not(cond), no])])
        else:
            stack.append((node, True))
            stack.extend((branch, False) for branch in node.args[1:] if id(branch) not in result)
    return result[id(tree)]


def _logic(op: str, conds: Sequence[Node]) -> Node:
    """``and`` / ``or`` of conditions, constants 0/1 folded, nested ones flattened."""
    absorbing, neutral = (ZERO, ONE) if op == "and" else (ONE, ZERO)
    kept: list[Node] = []
    for c in conds:
        if c.is_const:
            if (c.param != 0) == (absorbing is ONE):
                return absorbing
            continue
        kept.extend(c.args if c.op == op else (c,))
    if not kept:
        return neutral
    return kept[0] if len(kept) == 1 else Node.make(op, kept)


def _not(c: Node) -> Node:
    if c.is_const:
        return ZERO if c.param else ONE
    return c.args[0] if c.op == "not" else Node.make("not", (c,))


def where(cond: Node, a: Node, b: Node) -> Node:
    """``a`` where ``cond`` holds else ``b``, folding constant conditions and equal branches."""
    if cond.is_const:
        return a if cond.param else b
    return a if a is b else Node.make("where", (cond, a, b))


# --------------------------------------------------------------------------- elementwise rules
def _elementwise(fn: Callable[..., Node]) -> Callable:
    def rule(ins: list[Tensor], eqn: Equation) -> list[Tensor]:
        out = ins[0].map(fn, *ins[1:])
        shape = eqn.out_shapes[0]
        return [out if out.shape == shape else out.broadcast_to(shape)]
    return rule


def _integer_pow(ins, eqn):
    k = eqn.params["y"]
    return [ins[0].map(lambda a: _power(eqn, a, k))]


def _power(eqn: Equation, base: Node, k) -> Node:
    k = Fraction(k)
    if k.denominator != 1:
        raise _refuse(eqn, f"with the exponent {k}: roots are not semialgebraic / not piecewise polynomial")
    if k >= 0:
        return power(base, int(k))
    if base.is_const and base.param != 0:
        return Node.const(base.param ** int(k))
    raise _refuse(eqn, f"with the negative exponent {k}: it divides by a non-constant")


def _pow(ins, eqn):
    def one(base: Node, exponent: Node) -> Node:
        if not exponent.is_const:
            raise _refuse(eqn, "with a non-constant exponent is not piecewise polynomial")
        return _power(eqn, base, exponent.param)
    return _elementwise(one)(ins, eqn)


def _unary_primitive(op: str, exact: Callable[[Fraction], Fraction]) -> Callable:
    return _elementwise(lambda a: Node.const(exact(a.param)) if a.is_const else Node.make(op, (a,)))


def _sign_exact(v: Fraction) -> Fraction:
    return Fraction((v > 0) - (v < 0))


def _round(ins, eqn):
    method = eqn.params.get("rounding_method")
    if "EVEN" not in str(method).upper() and str(method) != "1":
        raise _refuse(eqn, "rounds half away from zero; semialg's round rounds half to even "
                           "(use jnp.round, which rounds to even)")
    return _unary_primitive("round", lambda v: Fraction(round(v)))(ins, eqn)


def _ceil(ins, eqn):
    return [ins[0].map(lambda a: Node.const(-math.floor(-a.param)) if a.is_const
                       else neg(Node.make("floor", (neg(a),))))]


def _div(ins, eqn):
    if _is_int(eqn.out_dtypes[0]):
        def int_div(a: Node, b: Node) -> Node:
            if not _all_const(a, b) or b.param == 0:
                raise _refuse(eqn, "of integers is supported only between constants")
            q = abs(a.param) // abs(b.param)
            return Node.const(q if (a.param >= 0) == (b.param > 0) else -q)
        return _elementwise(int_div)(ins, eqn)
    return _elementwise(divide_cases)(ins, eqn)


def _select_n(ins, eqn):
    pred, cases = ins[0], ins[1:]
    if len(cases) == 1:
        return [cases[0].broadcast_to(eqn.out_shapes[0])]
    if _is_bool(eqn.in_dtypes[0]):
        return _elementwise(lambda c, a, b: where(c, b, a))([pred, *cases], eqn)

    def choose(p: Node, *values: Node) -> Node:
        result = values[-1]
        for k in range(len(values) - 2, -1, -1):
            result = where(_compare("eq", p, Node.const(k)), values[k], result)
        return result
    return _elementwise(choose)([pred, *cases], eqn)


def _clamp(ins, eqn):
    def one(lo: Node, a: Node, hi: Node) -> Node:
        if _all_const(lo, a, hi):
            return _min(_max(a, lo), hi)
        return Node.make("clamp", (a, lo, hi))
    return _elementwise(one)(ins, eqn)


def _logical(op: str) -> Callable:
    def rule(ins, eqn):
        if not all(_is_bool(d) for d in eqn.in_dtypes):
            if all(n.is_const for t in ins for n in t.items):
                fold = {"and": lambda p, q: p & q, "or": lambda p, q: p | q, "xor": lambda p, q: p ^ q}[op]
                return _elementwise(lambda a, b: Node.const(fold(int(a.param), int(b.param))))(ins, eqn)
            raise _refuse(eqn, "on integers is bitwise; semialg supports and/or/not on booleans only")
        if op == "xor":
            return _elementwise(lambda a, b: _logic("or", [_logic("and", [a, _not(b)]), _logic("and", [_not(a), b])]))(ins, eqn)
        return _elementwise(lambda a, b: _logic(op, [a, b]))(ins, eqn)
    return rule


def _logical_not(ins, eqn):
    if not _is_bool(eqn.in_dtypes[0]):
        if all(n.is_const for n in ins[0].items):
            return [ins[0].map(lambda a: Node.const(~int(a.param)))]
        raise _refuse(eqn, "on integers is bitwise; semialg supports not on booleans only")
    return [ins[0].map(_not)]


def _comparison(op: str) -> Callable:
    def rule(ins, eqn):
        if any(_is_bool(d) for d in eqn.in_dtypes) and not all(n.is_const for t in ins for n in t.items):
            if op not in ("eq", "ne"):
                raise _refuse(eqn, "between booleans is not supported")
            same = lambda a, b: _logic("or", [_logic("and", [a, b]), _logic("and", [_not(a), _not(b)])])  # noqa: E731
            return _elementwise(same if op == "eq" else (lambda a, b: _not(same(a, b))))(ins, eqn)
        return _elementwise(lambda a, b: _compare(op, a, b))(ins, eqn)
    return rule


def _convert_element_type(ins, eqn):
    source, target = eqn.in_dtypes[0], eqn.out_dtypes[0]
    x = ins[0]
    if _is_bool(source) and not _is_bool(target):
        return [x.map(indicator)]
    if _is_bool(target):
        return [x.map(lambda a: _compare("ne", a, ZERO))]
    if _is_int(target) and not _is_int(source):
        if all(n.is_const for n in x.items):
            return [x.map(lambda a: Node.const(int(a.param)))]
        raise _refuse(eqn, f"from {source} to {target} truncates to an integer; only constants are converted")
    if target in ("float32", "float16", "bfloat16") and source not in ("float32", "float16", "bfloat16"):
        raise _refuse(eqn, f"from {source} to {target} rounds; semialg computes exactly (keep float64)")
    return [x]


def _identity(ins, eqn):
    return list(ins)


# --------------------------------------------------------------------------- shape rules
def _broadcast_in_dim(ins, eqn):
    return [ins[0].broadcast_in_dim(eqn.params["shape"], tuple(int(d) for d in eqn.params["broadcast_dimensions"]))]


def _reshape(ins, eqn):
    x = ins[0]
    dims = eqn.params.get("dimensions")
    if dims is not None:
        x = x.transpose(tuple(int(d) for d in dims))
    return [x.reshape(eqn.out_shapes[0])]


def _to_out_shape(ins, eqn):
    return [ins[0].reshape(eqn.out_shapes[0])]


def _transpose(ins, eqn):
    return [ins[0].transpose(tuple(int(p) for p in eqn.params["permutation"]))]


def _rev(ins, eqn):
    x, axes = ins[0], {int(a) for a in eqn.params["dimensions"]}
    items = tuple(x.at(tuple(d - 1 - i if a in axes else i for a, (i, d) in enumerate(zip(index, x.shape))))
                  for index in product(*(range(d) for d in x.shape)))
    return [Tensor(x.shape, items)]


def _slice(ins, eqn):
    p = eqn.params
    return [ins[0].slice(p["start_indices"], p["limit_indices"], p.get("strides"))]


def _start_cases(eqn: Equation, starts: Sequence[Tensor], shape: Sequence[int], sizes: Sequence[int]):
    """``(condition, start tuple)`` for each place a dynamic slice can start (XLA clamps the
    start into range); a constant start has one case, an input-dependent one a case per position."""
    options = []
    for t, d, n in zip(starts, shape, sizes):
        node, last = t.items[0], d - n
        if node.is_const:
            options.append([(ONE, min(max(int(node.param), 0), last))])
        else:
            options.append([(ONE if last == 0 else _compare("le", node, Node.const(0)) if s == 0 else _compare("ge", node, Node.const(last))
                             if s == last else _compare("eq", node, Node.const(s)), s) for s in range(last + 1)])
    return [(_logic("and", [c for c, _ in combo]), tuple(s for _, s in combo)) for combo in product(*options)]


def _dynamic_slice(ins, eqn):
    x, sizes = ins[0], eqn.params["slice_sizes"]
    cases = _start_cases(eqn, ins[1:], x.shape, sizes)
    pieces = [(cond, x.slice(starts, [s + n for s, n in zip(starts, sizes)])) for cond, starts in cases]
    result = pieces[-1][1]
    for cond, piece in reversed(pieces[:-1]):
        result = Tensor(result.shape, tuple(where(cond, a, b) for a, b in zip(piece.items, result.items)))
    return [result]


def _dynamic_update_slice(ins, eqn):
    x, update = ins[0], ins[1]
    strides = _strides(x.shape)
    items = list(x.items)
    for cond, starts in reversed(_start_cases(eqn, ins[2:], x.shape, update.shape)):
        for index in product(*(range(d) for d in update.shape)):
            pos = sum((s + i) * st for s, i, st in zip(starts, index, strides))
            items[pos] = where(cond, update.at(index), items[pos])
    return [Tensor(x.shape, tuple(items))]


def _concatenate(ins, eqn):
    return [Tensor.concatenate(ins, int(eqn.params["dimension"]))]


def _pad(ins, eqn):
    config = eqn.params["padding_config"]
    low, high, interior = ([int(c[k]) for c in config] for k in range(3))
    return [ins[0].pad(low, high, interior, ins[1].items[0])]


def _split(ins, eqn):
    x, axis = ins[0], int(eqn.params["axis"])
    outs, start = [], 0
    for size in eqn.params["sizes"]:
        starts = [0] * x.ndim
        limits = list(x.shape)
        starts[axis], limits[axis] = start, start + int(size)
        outs.append(x.slice(starts, limits))
        start += int(size)
    return outs


def _iota(ins, eqn):
    shape, dim = tuple(eqn.params["shape"]), int(eqn.params["dimension"])
    return [Tensor(shape, tuple(Node.const(index[dim]) for index in product(*(range(d) for d in shape))))]


def _dot_general(ins, eqn):
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    ints = lambda seq: tuple(int(d) for d in seq)  # noqa: E731
    return [dot_general(ins[0], ins[1], (ints(lc), ints(rc)), (ints(lb), ints(rb)))]


# --------------------------------------------------------------------------- reductions
def _n_ary(op: str) -> Callable[[list[Node]], Node]:
    def reduce(nodes: list[Node]) -> Node:
        unique = list(dict.fromkeys(nodes))
        if all(n.is_const for n in unique):
            return (max if op == "max" else min)(unique, key=lambda n: n.param)
        return unique[0] if len(unique) == 1 else Node.make(op, unique)
    return reduce


def _reduction(fn: Callable[[list[Node]], Node]) -> Callable:
    def rule(ins, eqn):
        return [ins[0].reduce(fn, [int(a) for a in eqn.params["axes"]])]
    return rule


def _first_extreme(nodes: list[Node], strict: str, weak: str) -> list[Node]:
    """For each entry, the condition that it is the FIRST extreme one (XLA's tie rule):
    ``strict`` against the entries before it, ``weak`` against those after it."""
    return [_logic("and", [_compare(strict if j < i else weak, nodes[i], nodes[j]) for j in range(len(nodes)) if j != i])
            for i in range(len(nodes))]


def _arg_extreme(strict: str, weak: str) -> Callable:
    def rule(ins, eqn):
        (axis,) = eqn.params["axes"]

        def index(nodes: list[Node]) -> Node:
            conds = _first_extreme(nodes, strict, weak)
            return add(*(mul(Node.const(i), indicator(c)) for i, c in enumerate(conds)))
        return [ins[0].reduce(index, [int(axis)])]
    return rule


def _cumulative(combine: Callable[[Node, Node], Node]) -> Callable:
    def rule(ins, eqn):
        x, axis, reverse = ins[0], int(eqn.params["axis"]), bool(eqn.params.get("reverse", False))
        strides, items = _strides(x.shape), list(x.items)
        for index in product(*(range(d) for d in x.shape)):
            if index[axis] == 0:
                order = range(x.shape[axis] - 1, -1, -1) if reverse else range(x.shape[axis])
                acc = None
                for k in order:
                    pos = sum((k if a == axis else i) * s for a, (i, s) in enumerate(zip(index, strides)))
                    acc = x.items[pos] if acc is None else combine(acc, x.items[pos])
                    items[pos] = acc
        return [Tensor(x.shape, tuple(items))]
    return rule


# --------------------------------------------------------------------------- windows (pooling) and its gradient
def _window_positions(eqn: Equation, shape: Sequence[int], out_shape: Sequence[int]):
    """For each output index, the operand indices in its window (row-major window order);
    padding and base-dilation holes are left out (they hold the reduction's identity)."""
    p = eqn.params
    dims, strides = p["window_dimensions"], p["window_strides"]
    padding = p.get("padding", ((0, 0),) * len(shape))
    base = p.get("base_dilation") or (1,) * len(shape)
    wdil = p.get("window_dilation") or (1,) * len(shape)
    windows = []
    for out in product(*(range(d) for d in out_shape)):
        members = []
        for offset in product(*(range(d) for d in dims)):
            src = []
            for o, w, st, (lo, _), b, wd, n in zip(out, offset, strides, padding, base, wdil, shape):
                q, r = divmod(o * st + w * wd - lo, b)
                if r or not 0 <= q < n:
                    break
                src.append(q)
            else:
                members.append(tuple(src))
        windows.append((out, members))
    return windows


def _reduce_window(fn: Callable[[list[Node]], Node]) -> Callable:
    def rule(ins, eqn):
        x = ins[0]
        out_shape = eqn.out_shapes[0]
        items = []
        for _, members in _window_positions(eqn, x.shape, out_shape):
            if not members:
                raise _refuse(eqn, "has a window made only of padding (its value is infinite)")
            items.append(fn([x.at(m) for m in members]))
        return [Tensor(tuple(out_shape), tuple(items))]
    return rule


def _select_and_scatter_add(ins, eqn):
    source, operand = ins
    select = str(eqn.params["select_prim"])
    strict, weak = {"ge": ("gt", "ge"), "gt": ("gt", "ge"), "le": ("lt", "le"), "lt": ("lt", "le")}.get(
        select.split(".")[-1], (None, None))
    if strict is None:
        raise _refuse(eqn, f"with select_prim {select} is not supported (ge / le: max / min pooling)")
    contributions: dict[tuple[int, ...], list[Node]] = {}
    for out, members in _window_positions(eqn, operand.shape, source.shape):
        conds = _first_extreme([operand.at(m) for m in members], strict, weak)
        for member, cond in zip(members, conds):
            contributions.setdefault(member, []).append(where(cond, source.at(out), ZERO))
    items = tuple(add(*contributions.get(index, [])) for index in product(*(range(d) for d in operand.shape)))
    return [Tensor(operand.shape, items)]


# --------------------------------------------------------------------------- sort and scatter
def _sort(ins, eqn):
    p = eqn.params
    if int(p.get("num_keys", 1)) != 1:
        raise _refuse(eqn, f"with num_keys={p['num_keys']} is not supported (only num_keys=1)")
    axis = int(p["dimension"]) % max(1, ins[0].ndim)
    keys = ins[0]
    outs = [list(t.items) for t in ins]
    strides = _strides(keys.shape)
    n = keys.shape[axis]
    for index in product(*(range(d) for d in keys.shape)):
        if index[axis]:
            continue
        positions = [sum((k if a == axis else i) * s for a, (i, s) in enumerate(zip(index, strides))) for k in range(n)]
        lane = [keys.items[q] for q in positions]
        ranks = [add(*(indicator(_compare("le" if j < i else "lt", lane[j], lane[i])) for j in range(n) if j != i))
                 for i in range(n)]  # stable: equal keys keep their order
        for k, q in enumerate(positions):
            outs[0][q] = Node.const(sorted(x.param for x in lane)[k]) if all(x.is_const for x in lane) else \
                Node.make("sort", lane, k)
            for t, operand in enumerate(ins[1:], start=1):
                chosen = operand.items[positions[-1]]
                for i in range(n - 2, -1, -1):
                    chosen = where(_compare("eq", ranks[i], Node.const(k)), operand.items[positions[i]], chosen)
                outs[t][q] = chosen
    return [Tensor(t.shape, tuple(items)) for t, items in zip(ins, outs)]


def _scatter(combine: Callable[[Node, Node], Node] | None) -> Callable:
    def rule(ins, eqn):
        operand, indices, updates = ins
        dn = eqn.params["dimension_numbers"]
        rank = operand.ndim
        if (tuple(dn.update_window_dims) or tuple(dn.inserted_window_dims) != tuple(range(rank))
                or tuple(dn.scatter_dims_to_operand_dims) != tuple(range(rank))
                or tuple(getattr(dn, "operand_batching_dims", ()))):
            raise _refuse(eqn, "is supported only for scatters of single elements (no window dimensions)")
        batch = indices.shape[:-1]
        items = list(operand.items)
        strides = _strides(operand.shape)
        for b in product(*(range(d) for d in batch)):
            target = [indices.at(b + (d,)) for d in range(rank)]
            value = updates.at(b)
            if all(t.is_const for t in target):
                where_to = [int(t.param) for t in target]
                if all(0 <= w < n for w, n in zip(where_to, operand.shape)):  # out of bounds: dropped
                    pos = sum(w * s for w, s in zip(where_to, strides))
                    items[pos] = value if combine is None else combine(items[pos], value)
                continue
            for index in product(*(range(d) for d in operand.shape)):
                hit = _logic("and", [_compare("eq", t, Node.const(i)) for t, i in zip(target, index)])
                pos = sum(i * s for i, s in zip(index, strides))
                items[pos] = where(hit, value if combine is None else combine(items[pos], value), items[pos])
        return [Tensor(operand.shape, tuple(items))]
    return rule


# --------------------------------------------------------------------------- the table
RULES: dict[str, Callable[[list[Tensor], Equation], list[Tensor]]] = {
    "add": _elementwise(add), "add_any": _elementwise(add), "sub": _elementwise(sub), "mul": _elementwise(mul),
    "neg": _elementwise(neg), "integer_pow": _integer_pow, "pow": _pow,
    "square": _elementwise(lambda a: power(a, 2)), "max": _elementwise(_max), "min": _elementwise(_min),
    "abs": _unary_primitive("abs", abs), "sign": _unary_primitive("sign", _sign_exact),
    "floor": _unary_primitive("floor", lambda v: Fraction(math.floor(v))), "ceil": _ceil, "round": _round,
    "select_n": _select_n, "clamp": _clamp, "div": _div,
    "gt": _comparison("gt"), "ge": _comparison("ge"), "lt": _comparison("lt"), "le": _comparison("le"),
    "eq": _comparison("eq"), "ne": _comparison("ne"),
    "and": _logical("and"), "or": _logical("or"), "xor": _logical("xor"), "not": _logical_not,
    "convert_element_type": _convert_element_type,
    "copy": _identity, "copy_p": _identity, "stop_gradient": _identity, "optimization_barrier": _identity,
    "broadcast_in_dim": _broadcast_in_dim, "reshape": _reshape, "squeeze": _to_out_shape,
    "expand_dims": _to_out_shape, "transpose": _transpose, "rev": _rev, "slice": _slice, "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice, "concatenate": _concatenate, "pad": _pad, "split": _split,
    "iota": _iota, "dot_general": _dot_general,
    "reduce_sum": _reduction(lambda xs: add(*xs)), "reduce_max": _reduction(_n_ary("max")),
    "reduce_min": _reduction(_n_ary("min")), "reduce_prod": _reduction(lambda xs: mul(*xs)),
    "argmax": _arg_extreme("gt", "ge"), "argmin": _arg_extreme("lt", "le"),
    "cumsum": _cumulative(add), "cummax": _cumulative(_max), "cummin": _cumulative(_min),
    "cumprod": _cumulative(mul),
    "reduce_window_max": _reduce_window(_n_ary("max")), "reduce_window_min": _reduce_window(_n_ary("min")),
    "reduce_window_sum": _reduce_window(lambda xs: add(*xs)), "select_and_scatter_add": _select_and_scatter_add,
    "sort": _sort, "scatter-add": _scatter(add), "scatter_add": _scatter(add), "scatter": _scatter(None),
}
"""Rule per primitive name: ``rule(input_tensors, equation) -> output_tensors``."""


def supported_names() -> str:
    """The converted primitives, for error messages."""
    return ", ".join(sorted(RULES) + sorted(CALL_PRIMITIVES))


def is_predicate(node: Node) -> bool:
    """True for a condition node (a comparison or and/or/not)."""
    return node.op in _PREDICATE_OPS

