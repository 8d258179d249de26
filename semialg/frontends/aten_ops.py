"""The aten operators the PyTorch front end converts, one small handler each.

:mod:`semialg.frontends.torch` traces a program with ``make_fx`` to a graph of aten
operators (``aten.addmm``, ``aten.relu``, ``aten.threshold_backward``, ...) and calls the
handler registered in :data:`HANDLERS` for each node (the elementwise, reduction and dtype
handlers are here, the shape, indexing and pooling ones in that module), with the node's
arguments already converted:
tensors are :class:`~semialg.frontends.tensors.Tensor` s of DAG nodes, Python numbers
stay numbers. Nothing here imports torch: dtypes arrive as strings (``"torch.bool"``).

Booleans are DAG conditions (comparisons and and/or/not); a condition used as a number
becomes ``where(c, 1, 0)`` (:func:`num`), a number used as a condition ``n != 0``
(:func:`cond`). Integer results that PyTorch computes by search (the indices of ``max``
along a dimension, of ``sort``, of ``max_pool2d``) are *where chains* with constant
leaves, ``where(c0, 0, where(c1, 1, 2))``; :func:`index_equals` turns "this index is
``i``" back into a condition, which is how ``scatter`` and the max-pool backward route
a gradient.

>>> from semialg.core.dag import to_text
>>> x, y = Node.var("x"), Node.var("y")
>>> to_text([index_equals(where(Node.make("eq", (x, y)), ZERO, ONE), 1)])
['not x == y']
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product

from semialg.core.dag import BOOL_OPS, COMPARE_OPS, Node, add, mul, neg, power, sub
from semialg.core.errors import UnsupportedError
from semialg.frontends.tensors import ONE, ZERO, Tensor, divide, dot_general, exact_float, indicator

__all__ = ["HANDLERS", "NOT_PIECEWISE_POLYNOMIAL", "Call", "Deferred", "T", "aten", "build_tensor", "compare",
           "cond", "extreme", "first_match_chain", "index_equals", "num", "reduction_dims", "where"]


# --------------------------------------------------------------------------- conditions and numbers
def is_condition(node: Node) -> bool:
    return node.op in COMPARE_OPS or node.op in BOOL_OPS


def num(node: Node) -> Node:
    """A node used as a number: conditions become ``where(c, 1, 0)``."""
    return indicator(node) if is_condition(node) else node


def cond(node: Node) -> Node:
    """A node used as a condition: constants fold to 1/0, numbers become ``n != 0``."""
    if is_condition(node):
        return node
    if node.is_const:
        return ONE if node.param else ZERO
    return Node.make("ne", (node, ZERO))


def logical(op: str, *conditions: Node) -> Node:
    """``and`` / ``or`` of conditions, constants folded, nested ones flattened."""
    absorbing, flat = (ZERO if op == "and" else ONE), []
    for c in map(cond, conditions):
        if c.is_const:
            if c is absorbing:
                return absorbing
            continue
        for part in (c.args if c.op == op else (c,)):
            if part not in flat:
                flat.append(part)
    if not flat:
        return ONE if op == "and" else ZERO
    return flat[0] if len(flat) == 1 else Node.make(op, flat)


def logical_not(c: Node) -> Node:
    c = cond(c)
    if c.is_const:
        return ZERO if c.param else ONE
    return c.args[0] if c.op == "not" else Node.make("not", (c,))


def compare(op: str, a: Node, b: Node) -> Node:
    a, b = num(a), num(b)
    if a.is_const and b.is_const:
        d = a.param - b.param
        return ONE if {"lt": d < 0, "le": d <= 0, "gt": d > 0, "ge": d >= 0, "eq": d == 0, "ne": d != 0}[op] else ZERO
    return Node.make(op, (a, b))


def where(c: Node, a: Node, b: Node) -> Node:
    c = cond(c)
    if c.is_const:
        return num(a) if c.param else num(b)
    a, b = num(a), num(b)
    return a if a is b else Node.make("where", (c, a, b))


def index_equals(index: Node, value: int) -> Node:
    """The condition ``index == value`` for an index that is a where chain with constant leaves.

    ``where(c, k, rest) == v`` is ``c or rest == v`` when ``k == v`` and ``not c and rest == v``
    otherwise, so the first-maximum chain of ``max_pool2d`` becomes "``c_v`` and no earlier ``c``".
    """
    options, earlier = [], []
    node = index
    while node.op == "where" and node.args[1].is_const:
        if node.args[1].param == value:
            options.append(logical("and", *earlier, node.args[0]))
        earlier.append(logical_not(node.args[0]))
        node = node.args[2]
    last = (ONE if node.param == value else ZERO) if node.is_const else compare("eq", node, Node.const(value))
    options.append(logical("and", *earlier, last))
    return logical("or", *options)


# --------------------------------------------------------------------------- calls
@dataclass(frozen=True)
class Deferred:
    """A value computed only when a ``getitem`` asks for it (the indices of ``max.dim``)."""

    compute: Callable[[], object]


@dataclass(frozen=True)
class Call:
    """One aten call: the operator's name and overload, converted arguments, the dtype of the result."""

    name: str
    overload: str
    args: tuple
    kwargs: dict = field(default_factory=dict)
    out_dtype: str | None = None

    def arg(self, i: int, key: str, default=None):
        if i < len(self.args):
            return self.args[i]
        return self.kwargs.get(key, default)


HANDLERS: dict[str, Callable[[Call], object]] = {}

NOT_PIECEWISE_POLYNOMIAL = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
    "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "sigmoid", "sqrt", "rsqrt", "reciprocal", "erf",
    "erfc", "erfinv", "gelu", "silu", "mish", "softplus", "elu", "selu", "celu", "logsumexp", "_softmax",
    "_log_softmax", "softmax", "log_softmax", "logit", "tanh_backward", "sigmoid_backward", "gelu_backward",
    "silu_backward", "elu_backward", "softplus_backward", "hardsigmoid", "hardswish", "xlogy", "special_erf",
    "lgamma", "digamma"})
"""Operators outside the piecewise-polynomial fragment (refused with that reason)."""


def aten(*names: str):
    def register(fn):
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def T(value) -> Tensor:
    """A converted argument as a Tensor (Python numbers become constants)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float, Fraction)):
        return Tensor.scalar(Node.const(exact_float(value)))
    raise UnsupportedError(f"expected a tensor or a number, got {type(value).__name__} {value!r}")


def _const(value, what: str) -> Fraction:
    if isinstance(value, Tensor):
        if value.size != 1 or not value.items[0].is_const:
            raise UnsupportedError(f"{what} must be a constant")
        return num(value.items[0]).param
    return exact_float(value)


def build_tensor(shape, entry: Callable[[tuple], Node]) -> Tensor:
    shape = tuple(shape)
    return Tensor(shape, tuple(entry(idx) for idx in product(*(range(d) for d in shape))))


def reduction_dims(dims, ndim: int) -> list[int]:
    """Reduction dims: None or [] mean all (PyTorch's convention), negatives wrap."""
    if dims is None or (isinstance(dims, (list, tuple)) and not dims):
        return list(range(ndim))
    dims = [dims] if isinstance(dims, int) else list(dims)
    return sorted({d % ndim for d in dims}) if ndim else []


def _keep(t: Tensor, source: Tensor, dims: list[int], keepdim) -> Tensor:
    return t.reshape(tuple(1 if a in dims else d for a, d in enumerate(source.shape))) if keepdim else t


def _bool_out(call: Call) -> bool:
    return call.out_dtype == "torch.bool"


# --------------------------------------------------------------------------- arithmetic
@aten("add", "sub")
def _add(call: Call):
    a, b = T(call.args[0]), T(call.args[1])
    alpha = Node.const(exact_float(call.arg(2, "alpha", 1)))
    if _bool_out(call):
        return a.map(lambda u, v: logical("or", u, v), b)
    sign = Node.const(-1 if call.name == "sub" else 1)
    return a.map(lambda u, v: add(num(u), mul(sign, alpha, num(v))), b)


@aten("rsub")
def _rsub(call: Call):
    a, b = T(call.args[0]), T(call.args[1])
    alpha = Node.const(exact_float(call.arg(2, "alpha", 1)))
    return a.map(lambda u, v: sub(num(v), mul(alpha, num(u))), b)


@aten("mul")
def _mul(call: Call):
    a, b = T(call.args[0]), T(call.args[1])
    if _bool_out(call):
        return a.map(lambda u, v: logical("and", u, v), b)
    return a.map(lambda u, v: mul(num(u), num(v)), b)


@aten("neg")
def _neg(call: Call):
    return T(call.args[0]).map(lambda u: neg(num(u)))


@aten("div")
def _div(call: Call):
    if call.arg(2, "rounding_mode") is not None:
        raise UnsupportedError(f"div with rounding_mode={call.arg(2, 'rounding_mode')!r} (a floor or trunc of a "
                               "quotient) is not supported")
    return T(call.args[0]).map(lambda u, v: divide(num(u), num(v)), T(call.args[1]))


@aten("pow")
def _pow(call: Call):
    base, exponent = call.args[0], call.args[1]
    k = _const(exponent, "the exponent of pow (a tensor exponent)")
    if k.denominator != 1 or k < 0:
        raise UnsupportedError(f"pow with exponent {k}: only non-negative integer powers are piecewise polynomial")
    return T(base).map(lambda u: power(num(u), int(k)))


def _matmul2(a: Tensor, b: Tensor) -> Tensor:
    """``a @ b`` for 1-D and 2-D operands and batches of matrices with equal batch shapes."""
    if a.ndim == 1 and b.ndim == 1:
        return dot_general(a, b, ((0,), (0,)))
    if a.ndim <= 2 and b.ndim <= 2:
        return dot_general(a, b, ((a.ndim - 1,), (0,)))
    if a.ndim == b.ndim and a.shape[:-2] == b.shape[:-2]:
        batch = tuple(range(a.ndim - 2))
        return dot_general(a, b, ((a.ndim - 1,), (b.ndim - 2,)), (batch, batch))
    raise UnsupportedError(f"matmul of shapes {a.shape} and {b.shape} (broadcast batch dimensions) is not supported")


@aten("mm", "bmm", "matmul", "mv", "dot")
def _mm(call: Call):
    return _matmul2(T(call.args[0]).map(num), T(call.args[1]).map(num))


@aten("addmm")
def _addmm(call: Call):
    bias, a, b = T(call.args[0]), T(call.args[1]), T(call.args[2])
    beta = Node.const(exact_float(call.arg(3, "beta", 1)))
    alpha = Node.const(exact_float(call.arg(4, "alpha", 1)))
    product_ = _matmul2(a.map(num), b.map(num))
    return product_.map(lambda p, c: add(mul(alpha, p), mul(beta, num(c))), bias)


@aten("linear")
def _linear(call: Call):
    x, w = T(call.args[0]).map(num), T(call.args[1]).map(num)
    out = dot_general(x, w, ((x.ndim - 1,), (1,)))
    bias = call.arg(2, "bias")
    return out if bias is None else out.map(lambda p, c: add(p, num(c)), T(bias))


# --------------------------------------------------------------------------- piecewise-linear primitives
def _unary(op: str, param=None):
    return lambda call: T(call.args[0]).map(lambda u: Node.make(op, (num(u),), param))


HANDLERS["relu"] = _unary("relu")
HANDLERS["abs"] = _unary("abs")
HANDLERS["sign"] = HANDLERS["sgn"] = _unary("sign")
HANDLERS["floor"] = _unary("floor")


@aten("ceil")
def _ceil(call: Call):
    return T(call.args[0]).map(lambda u: neg(Node.make("floor", (neg(num(u)),))))


@aten("round")
def _round(call: Call):
    if call.arg(1, "decimals", 0):
        raise UnsupportedError("round with decimals is not supported")
    return _unary("round")(call)


@aten("leaky_relu")
def _leaky_relu(call: Call):
    return _unary("leaky_relu", exact_float(call.arg(1, "negative_slope", 0.01)))(call)


@aten("leaky_relu_backward")
def _leaky_relu_backward(call: Call):
    """PyTorch: ``grad if self > 0 else grad * slope`` (the slope at 0)."""
    slope = Node.const(exact_float(call.args[2]))
    return T(call.args[0]).map(lambda g, x: where(compare("gt", x, ZERO), g, mul(slope, num(g))), T(call.args[1]))


@aten("threshold_backward")
def _threshold_backward(call: Call):
    """PyTorch: ``0 if self <= threshold else grad``."""
    th = Node.const(exact_float(call.args[2]))
    return T(call.args[0]).map(lambda g, x: where(compare("le", x, th), ZERO, g), T(call.args[1]))


@aten("threshold")
def _threshold(call: Call):
    th, value = Node.const(exact_float(call.args[1])), Node.const(exact_float(call.args[2]))
    return T(call.args[0]).map(lambda x: where(compare("le", x, th), value, x))


def clamp_node(x: Node, lo: Node | None, hi: Node | None, op: str = "clamp") -> Node:
    """``min(max(x, lo), hi)`` as a ``clamp`` node (one-sided when a bound is None)."""
    x = num(x)
    if lo is not None and hi is not None and lo.is_const and hi.is_const and lo.param > hi.param:
        return hi  # PyTorch: every entry becomes max
    if hi is None:
        return Node.make(op, (x, num(lo)), "lo")
    if lo is None:
        return Node.make(op, (x, num(hi)), "hi")
    return Node.make(op, (x, num(lo), num(hi)))


@aten("hardtanh")
def _hardtanh(call: Call):
    lo, hi = exact_float(call.arg(1, "min_val", -1)), exact_float(call.arg(2, "max_val", 1))
    if (lo, hi) == (-1, 1):
        return _unary("hardtanh")(call)
    if (lo, hi) == (0, 6):
        return _unary("relu6")(call)
    return T(call.args[0]).map(lambda u: clamp_node(u, Node.const(lo), Node.const(hi)))


@aten("hardtanh_backward")
def _hardtanh_backward(call: Call):
    """PyTorch: ``0 if self <= min_val or self >= max_val else grad``."""
    lo, hi = Node.const(exact_float(call.args[2])), Node.const(exact_float(call.args[3]))
    return T(call.args[0]).map(
        lambda g, x: where(logical("or", compare("le", x, lo), compare("ge", x, hi)), ZERO, g), T(call.args[1]))


@aten("clamp", "clip", "clamp_min", "clamp_max")
def _clamp(call: Call):
    x = T(call.args[0])
    if call.name == "clamp_min":
        lo, hi = call.args[1], None
    elif call.name == "clamp_max":
        lo, hi = None, call.args[1]
    else:
        lo, hi = call.arg(1, "min"), call.arg(2, "max")
    if lo is None and hi is None:
        raise UnsupportedError("clamp without bounds")
    bounds = [T(b) for b in (lo, hi) if b is not None]
    def entry(u, *bs):
        it = iter(bs)
        return clamp_node(u, next(it) if lo is not None else None, next(it) if hi is not None else None)
    return x.map(entry, *bounds)


@aten("maximum", "minimum", "fmax", "fmin")
def _maximum(call: Call):
    op = "max" if call.name in ("maximum", "fmax") else "min"
    return T(call.args[0]).map(lambda u, v: num(u) if u is v else Node.make(op, (num(u), num(v))), T(call.args[1]))


def extreme(op: str, items) -> Node:
    items = [num(i) for i in items]
    return items[0] if len(items) == 1 else Node.make(op, items)


def first_match_chain(conditions: list[Node], values: list[int]) -> Node:
    """``where(c0, v0, where(c1, v1, ... v_last))``: the first value whose condition holds."""
    result = Node.const(values[-1])
    for c, v in zip(reversed(conditions[:-1]), reversed(values[:-1])):
        result = where(c, Node.const(v), result)
    return result


def _argextreme(line: list[Node], extreme: Node) -> Node:
    """Index of the first entry equal to the extreme (PyTorch's ``max.dim`` / ``max_pool2d`` choice)."""
    return first_match_chain([compare("eq", e, extreme) for e in line], list(range(len(line))))


@aten("amax", "amin", "max", "min")
def _reduce_extreme(call: Call):
    op = "max" if call.name in ("amax", "max") else "min"
    x = T(call.args[0])
    if call.name in ("max", "min") and call.overload == "other":
        return _maximum(Call("maximum" if op == "max" else "minimum", "", call.args))
    dim = call.arg(1, "dim")
    if call.name in ("max", "min") and call.overload == "dim":
        d = dim % x.ndim if x.ndim else 0
        keepdim = call.arg(2, "keepdim", False)
        values = _keep(x.reduce(lambda xs: extreme(op, xs), [d]) if x.ndim else x, x, [d], keepdim)

        def indices():
            if not x.ndim:
                return Tensor.scalar(ZERO)
            lines = x.transpose([a for a in range(x.ndim) if a != d] + [d])
            n = x.shape[d]
            out = [_argextreme(list(lines.items[i:i + n]), values.items[i // n]) for i in range(0, lines.size, n)]
            return _keep(Tensor(values.reshape([s for a, s in enumerate(x.shape) if a != d]).shape, tuple(out)),
                         x, [d], keepdim)
        return (values, Deferred(indices))
    dims = reduction_dims(dim, x.ndim)
    return _keep(x.reduce(lambda xs: extreme(op, xs), dims), x, dims, call.arg(2, "keepdim", False))


@aten("sort")
def _sort(call: Call):
    x = T(call.args[0])
    dim = call.arg(1, "dim", -1) if call.overload != "stable" else call.kwargs.get("dim", -1)
    descending = call.arg(2, "descending", False) if call.overload != "stable" else call.kwargs.get("descending", False)
    if not x.ndim:
        return (x, Deferred(lambda: Tensor.scalar(ZERO)))
    d = dim % x.ndim
    perm = [a for a in range(x.ndim) if a != d] + [d]
    inverse = [perm.index(a) for a in range(x.ndim)]
    lines = x.transpose(perm)
    n = x.shape[d]
    groups = [[num(v) for v in lines.items[i:i + n]] for i in range(0, lines.size, n)]
    order = (lambda k: n - 1 - k) if descending else (lambda k: k)
    values = [v[0] if n == 1 else Node.make("sort", v, order(k)) for v in groups for k in range(n)]

    def indices():
        """Stable order: entry j goes to position #{i: x_i before x_j} + #{i < j: x_i == x_j}."""
        before = "gt" if descending else "lt"
        out = []
        for v in groups:
            ranks = [add(*[indicator(compare(before, v[i], v[j])) for i in range(n) if i != j],
                         *[indicator(compare("eq", v[i], v[j])) for i in range(j)]) for j in range(n)]
            out.extend(first_match_chain([compare("eq", r, Node.const(k)) for r in ranks], list(range(n)))
                       for k in range(n))
        return Tensor(lines.shape, tuple(out)).transpose(inverse)
    return (Tensor(lines.shape, tuple(values)).transpose(inverse), Deferred(indices))


# --------------------------------------------------------------------------- comparisons and logic
def _comparison(call: Call):
    return T(call.args[0]).map(lambda u, v: compare(call.name, u, v), T(call.args[1]))


for _op in COMPARE_OPS:
    HANDLERS[_op] = _comparison


@aten("where")
def _where(call: Call):
    return T(call.args[0]).map(where, T(call.args[1]), T(call.args[2]))


@aten("logical_and", "logical_or", "bitwise_and", "bitwise_or", "logical_xor", "bitwise_xor")
def _logical(call: Call):
    if call.name.startswith("bitwise") and call.out_dtype != "torch.bool":
        raise UnsupportedError(f"{call.name} of integer tensors is not supported (only of booleans)")
    kind = call.name.split("_")[1]
    if kind == "xor":
        return T(call.args[0]).map(lambda u, v: compare("ne", indicator(cond(u)), indicator(cond(v))), T(call.args[1]))
    return T(call.args[0]).map(lambda u, v: logical(kind, u, v), T(call.args[1]))


@aten("logical_not", "bitwise_not")
def _logical_not(call: Call):
    if call.name == "bitwise_not" and call.out_dtype != "torch.bool":
        raise UnsupportedError("bitwise_not of integer tensors is not supported (only of booleans)")
    return T(call.args[0]).map(logical_not)


@aten("isnan", "isinf", "isfinite", "isneginf", "isposinf")
def _isnan(call: Call):
    """Exact real numbers are finite: never NaN, never infinite."""
    return Tensor.full(T(call.args[0]).shape, ONE if call.name == "isfinite" else ZERO)


@aten("masked_fill")
def _masked_fill(call: Call):
    return T(call.args[0]).map(lambda x, m, v: where(m, v, x), T(call.args[1]), T(call.args[2]))


# --------------------------------------------------------------------------- conversions, copies, constants
_FLOATS = ("torch.float64", "torch.float32", "torch.float16", "torch.bfloat16")


def convert_dtype(x: Tensor, dtype: str | None) -> Tensor:
    """``x.to(dtype)``: floats are no-ops (exact), booleans become 0/1 or conditions;
    a float to an integer type truncates, which is refused unless the values are constants."""
    if dtype is None or dtype in _FLOATS:
        return x.map(num)
    if dtype == "torch.bool":
        return x.map(cond)
    if all(is_condition(i) or (i.is_const and i.param.denominator == 1) or i.op == "where" for i in x.items):
        return x.map(num)
    raise UnsupportedError(f"conversion to {dtype} (a truncation of real numbers) is not supported")


@aten("_to_copy", "to", "type_as")
def _to_copy(call: Call):
    if call.name == "type_as":
        return convert_dtype(T(call.args[0]), call.out_dtype)
    dtype = call.kwargs.get("dtype")
    if dtype is None:
        dtype = next((a for a in call.args[1:] if isinstance(a, str) and a.startswith("torch.")), None)
    return convert_dtype(T(call.args[0]), dtype)


@aten("detach", "alias", "clone", "lift_fresh_copy", "lift_fresh", "contiguous", "view_as", "copy",
      "positive", "_conj", "resolve_conj", "resolve_neg")
def _identity(call: Call):
    if call.name == "copy":  # copy(self, src): the values of src in self's shape
        return T(call.args[1]).broadcast_to(T(call.args[0]).shape)
    if call.name == "view_as":
        return T(call.args[0]).reshape(T(call.args[1]).shape)
    return T(call.args[0])


def _fill_value(call: Call, i: int, key: str) -> Node:
    value = call.arg(i, key)
    return num(T(value).items[0]) if isinstance(value, Tensor) else Node.const(exact_float(value))


@aten("zeros_like", "ones_like", "full_like", "fill", "zeros", "ones", "full", "new_zeros", "new_ones", "new_full",
      "scalar_tensor")
def _constants(call: Call):
    name = call.name
    if name == "scalar_tensor":
        return Tensor.scalar(_fill_value(call, 0, "s"))
    if name in ("zeros_like", "ones_like", "full_like", "fill"):
        shape = T(call.args[0]).shape
    elif name.startswith("new_"):
        shape = tuple(call.args[1])
    else:
        shape = tuple(call.args[0])
    value = (ZERO if "zeros" in name else ONE if "ones" in name else
             _fill_value(call, 1 if name in ("full_like", "fill", "full") else 2, "fill_value"))
    return Tensor.full(shape, value)


@aten("arange")
def _arange(call: Call):
    """``arange(end)``, ``arange(start, end)``, ``arange(start, end, step)`` (constants)."""
    numbers = [a for a in call.args if isinstance(a, (int, float))]
    start, end, step = ([0] + numbers + [1])[:3] if len(numbers) == 1 else (numbers + [1])[:3]
    start, end, step = (exact_float(v) for v in (start, end, step))
    count = max(0, math.ceil((end - start) / step))
    return Tensor((count,), tuple(Node.const(start + k * step) for k in range(count)))


# --------------------------------------------------------------------------- reductions
@aten("sum", "mean")
def _sum(call: Call):
    x = T(call.args[0]).map(num)
    dims = reduction_dims(call.arg(1, "dim"), x.ndim)
    out = _keep(x.reduce(lambda xs: add(*xs), dims), x, dims, call.arg(2, "keepdim", False))
    if call.name == "mean":
        count = math.prod(x.shape[d] for d in dims)
        out = out.map(lambda s: mul(Node.const(Fraction(1, count)), s))
    return out
