"""The ONNX operator converters behind :func:`semialg.frontends.onnx.from_onnx`.

Each converter takes a :class:`Call` (one ONNX node: its input tensors, their element types,
its attributes) and returns its output :class:`~semialg.frontends.tensors.Tensor` s of DAG
nodes. :data:`OPERATORS` maps the ONNX operator type to its converter; everything else is
refused by :func:`unsupported`. Constants fold: a primitive of constants is a constant, so
shape computations (Shape -> Gather -> Concat -> Reshape) come out as plain integers.

>>> _nary("max", [Node.var("x"), Node.const(0), Node.var("x")]).args == (Node.var("x"), Node.const(0))
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from itertools import product
from typing import Callable, Sequence

from semialg.core import primitives
from semialg.core.dag import Node, add, mul, neg, power, sub
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.tensors import ONE, ZERO, Tensor, broadcast_shapes, divide, dot_general, exact_float, indicator

__all__ = ["Call", "OPERATORS", "SUPPORTED_OPS", "NOT_PIECEWISE_POLYNOMIAL", "output_type", "unsupported",
           "array_tensor", "FLOAT_TYPES", "BOOL"]

# TensorProto element types (onnx.TensorProto.FLOAT, ...), spelled out so the module imports without onnx.
FLOAT_TYPES = frozenset({1, 10, 11, 16})  # FLOAT, FLOAT16, DOUBLE, BFLOAT16
_INT_TYPES = frozenset({2, 3, 4, 5, 6, 7, 12, 13})  # UINT8, INT8, UINT16, INT16, INT32, INT64, UINT32, UINT64
BOOL = 9

NOT_PIECEWISE_POLYNOMIAL = frozenset({
    "Sigmoid", "Tanh", "Exp", "Log", "Sqrt", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh",
    "Asinh", "Acosh", "Atanh", "Erf", "Softplus", "Softsign", "Softmax", "LogSoftmax", "Elu", "Selu", "Celu",
    "Gelu", "Mish", "Reciprocal"})
"""Operators refused because they are not piecewise polynomial (the message says so)."""


@dataclass(frozen=True)
class Call:
    """One ONNX node being converted: its inputs (``None`` for an absent optional one) and attributes."""

    node: object
    index: int
    inputs: tuple
    input_types: tuple
    attrs: dict
    opset: int

    def arg(self, i: int) -> Tensor | None:
        return self.inputs[i] if i < len(self.inputs) else None

    def attr(self, name: str, default=None):
        return self.attrs.get(name, default)

    def where(self) -> str:
        name = f" '{self.node.name}'" if self.node.name else ""
        return f"ONNX node #{self.index}{name} ({self.node.op_type})"


# --------------------------------------------------------------------------- small helpers
def _prim(op: str, args: Sequence[Node], param=None) -> Node:
    """A primitive node, folded to a constant when every argument is one."""
    if all(a.is_const for a in args):
        value = primitives.get(op).exact([a.param for a in args], param)
        return Node.const(int(value) if isinstance(value, bool) else value)
    return Node.make(op, tuple(args), param)


def _nary(op: str, args: Sequence[Node]) -> Node:
    """``max``/``min``/``and``/``or`` of one or more nodes (repeats and neutral constants dropped)."""
    unique = list(dict.fromkeys(args))
    if op in ("and", "or"):
        absorbing = op == "or"  # and: a false constant decides; or: a true one
        if any(a.is_const and bool(a.param) == absorbing for a in unique):
            return ONE if absorbing else ZERO
        unique = [a for a in unique if not a.is_const]
        if not unique:
            return ZERO if absorbing else ONE
    return unique[0] if len(unique) == 1 else _prim(op, unique)


def _where(cond: Node, a: Node, b: Node) -> Node:
    if cond.is_const:
        return a if cond.param else b
    return a if a is b else Node.make("where", (cond, a, b))


def _ints(tensor: Tensor | None, what: str) -> list[int]:
    """The entries of a tensor that must be constant integers (shapes, axes, indices)."""
    if tensor is None:
        raise InputError(f"{what} is missing")
    out = []
    for item in tensor.items:
        if not item.is_const or item.param.denominator != 1:
            raise UnsupportedError(f"{what} must be constant integers (a static shape); it depends on the inputs")
        out.append(int(item.param))
    return out


def _scalar_bound(tensor: Tensor | None) -> Node | None:
    if tensor is None:
        return None
    if tensor.size != 1:
        raise InputError(f"a Clip bound must be a scalar, got shape {tensor.shape}")
    return tensor.items[0]


def _axis(axis: int, ndim: int) -> int:
    if not -ndim <= axis < max(ndim, 1):
        raise InputError(f"axis {axis} is out of range for rank {ndim}")
    return axis % ndim if ndim else 0


def _take(tensor: Tensor, index_lists: Sequence[Sequence[int]]) -> Tensor:
    """The sub-tensor of the entries whose index along each axis is in that axis's list (outer product)."""
    shape = tuple(len(ix) for ix in index_lists)
    items = tuple(tensor.at(idx) for idx in product(*index_lists))
    return Tensor(shape, items)


def _scale(tensor: Tensor, factor: Fraction) -> Tensor:
    return tensor if factor == 1 else tensor.map(lambda n: mul(Node.const(factor), n))


def array_tensor(array) -> Tensor:
    """A numpy array (an initializer or a Constant) as a constant tensor, read exactly."""
    if array.dtype.kind not in "biuf":
        raise UnsupportedError(f"a constant of dtype {array.dtype} (only numbers and booleans are supported)")
    return Tensor.constant(array, array.shape)


# --------------------------------------------------------------------------- operators
def _elementwise(fn: Callable[..., Node]) -> Callable[[Call], list[Tensor]]:
    def convert(call: Call) -> list[Tensor]:
        present = [t for t in call.inputs if t is not None]
        return [present[0].map(fn, *present[1:])]
    return convert


def _variadic(op: str) -> Callable[[Call], list[Tensor]]:
    def convert(call: Call) -> list[Tensor]:
        present = [t for t in call.inputs if t is not None]
        if len(present) == 1:
            return [present[0]]
        return [present[0].map(lambda *xs: _nary(op, xs), *present[1:])]
    return convert


def _gemm(call: Call) -> list[Tensor]:
    a, b, c = call.arg(0), call.arg(1), call.arg(2)
    if a.ndim != 2 or b.ndim != 2:
        raise InputError(f"Gemm needs 2-D A and B, got shapes {a.shape} and {b.shape}")
    if call.attr("transA", 0):
        a = a.transpose((1, 0))
    if call.attr("transB", 0):
        b = b.transpose((1, 0))
    out = _scale(dot_general(a, b, ((1,), (0,))), exact_float(call.attr("alpha", 1.0)))
    if c is not None:
        out = out.map(add, _scale(c, exact_float(call.attr("beta", 1.0))).broadcast_to(out.shape))
    return [out]


def _matmul(call: Call) -> list[Tensor]:
    """numpy's ``matmul``: 1-D operands promoted and the promoted axis dropped, batch axes broadcast."""
    a, b = call.arg(0), call.arg(1)
    if a.ndim == 0 or b.ndim == 0:
        raise InputError("MatMul does not take scalars")
    a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
    b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b
    batch = broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    a2 = a2.broadcast_to(batch + a2.shape[-2:])
    b2 = b2.broadcast_to(batch + b2.shape[-2:])
    k = len(batch)
    if a2.shape[-1] != b2.shape[-2]:
        raise InputError(f"MatMul of shapes {a.shape} and {b.shape}: inner sizes differ")
    out = dot_general(a2, b2, ((k + 1,), (k,)), (tuple(range(k)), tuple(range(k))))
    shape = batch + ((a2.shape[-2],) if a.ndim > 1 else ()) + ((b2.shape[-1],) if b.ndim > 1 else ())
    return [out.reshape(shape)]


def _div(call: Call) -> list[Tensor]:
    a, b = call.arg(0), call.arg(1)
    if call.input_types[0] in _INT_TYPES:  # integer division truncates: only shape arithmetic on constants
        values_a, values_b = _ints(a, "an integer Div's numerator"), _ints(b, "an integer Div's denominator")
        if any(v < 0 for v in values_a + values_b) or 0 in values_b:
            raise UnsupportedError("integer Div of negative numbers or by 0")
        return [a.map(lambda x, y: Node.const(int(x.param) // int(y.param)), b)]
    return [a.map(divide, b)]


def _pow(call: Call) -> list[Tensor]:
    exponents = call.arg(1)
    if not all(e.is_const and e.param.denominator == 1 and e.param >= 0 for e in exponents.items):
        raise UnsupportedError("Pow with an exponent that is not a constant integer >= 0 is not polynomial")
    return [call.arg(0).map(lambda x, e: power(x, int(e.param)), exponents)]


def _leaky_relu(call: Call) -> list[Tensor]:
    slope = exact_float(call.attr("alpha", _float32(0.01)))
    return [call.arg(0).map(lambda n: _prim("leaky_relu", (n,), slope))]


def _float32(value: float) -> float:
    """``value`` rounded to float32, as ONNX stores a float attribute."""
    import struct
    return struct.unpack("f", struct.pack("f", value))[0]


def _clip(call: Call) -> list[Tensor]:
    lo = _scalar_bound(call.arg(1)) if "min" not in call.attrs else Node.const(exact_float(call.attrs["min"]))
    hi = _scalar_bound(call.arg(2)) if "max" not in call.attrs else Node.const(exact_float(call.attrs["max"]))

    def clip(a: Node) -> Node:
        if lo is not None and hi is not None:
            if lo.is_const and hi.is_const and lo.param > hi.param:
                return hi  # ONNX: every value becomes max when min > max
            return _prim("clip", (a, lo, hi))
        if lo is not None:
            return _prim("clip", (a, lo), "lo")
        return _prim("clip", (a, hi), "hi") if hi is not None else a
    return [call.arg(0).map(clip)]


def _cast(call: Call) -> list[Tensor]:
    source, target, x = call.input_types[0], call.attr("to"), call.arg(0)
    if target == BOOL:
        return [x if source == BOOL else x.map(lambda n: _prim("ne", (n, ZERO)))]
    if target not in FLOAT_TYPES | _INT_TYPES:
        raise UnsupportedError(f"Cast to the ONNX type {target}")
    if source == BOOL:
        return [x.map(indicator)]
    if target in _INT_TYPES and source not in _INT_TYPES:
        if not all(n.is_const for n in x.items):
            raise UnsupportedError("Cast of a float that depends on the inputs to an integer (a truncation)")
        return [x.map(lambda n: Node.const(math.trunc(n.param)))]
    return [x]


def _max_pool(call: Call) -> list[Tensor]:
    x = call.arg(0)
    if len(call.node.output) > 1 and call.node.output[1]:
        raise UnsupportedError("MaxPool's Indices output")
    if call.attr("ceil_mode", 0):
        raise UnsupportedError("MaxPool with ceil_mode=1 (only ceil_mode=0)")
    kernel = list(call.attr("kernel_shape"))
    k = len(kernel)
    if x.ndim != k + 2:
        raise InputError(f"MaxPool with a {k}-D kernel needs a rank-{k + 2} input (N, C, ...), got {x.shape}")
    strides = list(call.attr("strides", [1] * k))
    dilations = list(call.attr("dilations", [1] * k))
    spatial = x.shape[2:]
    extent = [(kk - 1) * d + 1 for kk, d in zip(kernel, dilations)]
    auto_pad = call.attr("auto_pad", b"NOTSET")
    auto_pad = auto_pad.decode() if isinstance(auto_pad, bytes) else auto_pad
    if auto_pad in ("NOTSET", ""):
        pads = list(call.attr("pads", [0] * (2 * k)))
        begin, end = pads[:k], pads[k:]
    elif auto_pad == "VALID":
        begin, end = [0] * k, [0] * k
    elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        total = [max(0, (-(-n // s) - 1) * s + e - n) for n, s, e in zip(spatial, strides, extent)]
        small = [t // 2 for t in total]
        begin = small if auto_pad == "SAME_UPPER" else [t - s for t, s in zip(total, small)]
        end = [t - b for t, b in zip(total, begin)]
    else:
        raise UnsupportedError(f"MaxPool with auto_pad={auto_pad}")
    out_spatial = [(n + b + e - ext) // s + 1 for n, b, e, ext, s in zip(spatial, begin, end, extent, strides)]
    items = []
    for n, c, *out in product(range(x.shape[0]), range(x.shape[1]), *(range(o) for o in out_spatial)):
        windows = []
        for axis, o in enumerate(out):
            start = o * strides[axis] - begin[axis]
            windows.append([p for p in (start + j * dilations[axis] for j in range(kernel[axis]))
                            if 0 <= p < spatial[axis]])
        cells = [x.at((n, c) + pos) for pos in product(*windows)]
        if not cells:
            raise UnsupportedError("a MaxPool window that lies entirely in the padding (its value is -inf)")
        items.append(_nary("max", cells))
    return [Tensor(x.shape[:2] + tuple(out_spatial), tuple(items))]


def _reshape(call: Call) -> list[Tensor]:
    x, shape = call.arg(0), _ints(call.arg(1), "Reshape's shape")
    if not call.attr("allowzero", 0):
        shape = [x.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    if shape.count(-1) > 1:
        raise InputError(f"Reshape to {shape}: at most one -1")
    out = x.reshape(shape)
    if math.prod(out.shape) != x.size:
        raise InputError(f"Reshape of {x.shape} ({x.size} entries) to {shape}")
    return [out]


def _flatten(call: Call) -> list[Tensor]:
    x = call.arg(0)
    axis = call.attr("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    return [x.reshape((math.prod(x.shape[:axis]), math.prod(x.shape[axis:])))]


def _concat(call: Call) -> list[Tensor]:
    parts = [t for t in call.inputs if t is not None]
    return [Tensor.concatenate(parts, _axis(call.attr("axis"), parts[0].ndim))]


def _transpose(call: Call) -> list[Tensor]:
    x = call.arg(0)
    return [x.transpose(call.attr("perm", list(range(x.ndim))[::-1]))]


def _axes(call: Call, rank: int) -> list[int] | None:
    """The ``axes`` of Squeeze/Unsqueeze: an attribute before opset 13, an input from then on."""
    if "axes" in call.attrs:
        axes = list(call.attrs["axes"])
    elif call.arg(1) is not None:
        axes = _ints(call.arg(1), f"{call.node.op_type}'s axes")
    else:
        return None
    return sorted({_axis(a, rank) for a in axes})


def _squeeze(call: Call) -> list[Tensor]:
    x = call.arg(0)
    axes = _axes(call, x.ndim)
    axes = [a for a, d in enumerate(x.shape) if d == 1] if axes is None else axes
    if any(x.shape[a] != 1 for a in axes):
        raise InputError(f"Squeeze of axes {axes} of shape {x.shape}: those sizes are not 1")
    return [x.reshape(tuple(d for a, d in enumerate(x.shape) if a not in axes))]


def _unsqueeze(call: Call) -> list[Tensor]:
    x = call.arg(0)
    probe = call.attrs.get("axes") or (_ints(call.arg(1), "Unsqueeze's axes") if call.arg(1) is not None else None)
    if probe is None:
        raise InputError("Unsqueeze needs axes")
    axes = _axes(call, x.ndim + len(probe))
    shape, rest = [], iter(x.shape)
    for a in range(x.ndim + len(axes)):
        shape.append(1 if a in axes else next(rest))
    return [x.reshape(shape)]


def _identity(call: Call) -> list[Tensor]:
    if call.node.op_type == "Dropout":
        if len(call.node.output) > 1 and call.node.output[1]:
            raise UnsupportedError("Dropout's mask output")
        mode = call.arg(2)
        if mode is not None and not (mode.items[0].is_const and not mode.items[0].param):
            raise UnsupportedError("Dropout in training mode (only inference, where it is the identity)")
    return [call.arg(0)]


def _constant(call: Call) -> list[Tensor]:
    from onnx import numpy_helper

    attrs = call.attrs
    if "value" in attrs:
        return [array_tensor(numpy_helper.to_array(attrs["value"]))]
    if "value_float" in attrs or "value_int" in attrs:
        return [Tensor.scalar(Node.const(exact_float(attrs.get("value_float", attrs.get("value_int")))))]
    if "value_floats" in attrs or "value_ints" in attrs:
        return [Tensor.constant(list(attrs.get("value_floats", attrs.get("value_ints"))))]
    raise UnsupportedError(f"a Constant given as {', '.join(attrs) or 'nothing'} (supported: value, value_float(s), "
                           f"value_int(s))")


def _shape(call: Call) -> list[Tensor]:
    dims = list(call.arg(0).shape)
    start, end = call.attr("start", 0), call.attr("end", len(dims))
    return [Tensor.constant(dims[start:end], (len(dims[start:end]),))]


def _gather(call: Call) -> list[Tensor]:
    data, indices = call.arg(0), call.arg(1)
    axis = _axis(call.attr("axis", 0), data.ndim)
    flat = [i % data.shape[axis] for i in _ints(indices, "Gather's indices")]
    lists = [range(d) for d in data.shape]
    lists[axis] = flat
    out = _take(data, lists)
    return [out.reshape(data.shape[:axis] + indices.shape + data.shape[axis + 1:])]


def _slice(call: Call) -> list[Tensor]:
    data = call.arg(0)
    if "starts" in call.attrs:  # opset < 10
        starts, ends = list(call.attrs["starts"]), list(call.attrs["ends"])
        axes, steps = list(call.attr("axes", range(len(starts)))), [1] * len(starts)
    else:
        starts, ends = _ints(call.arg(1), "Slice's starts"), _ints(call.arg(2), "Slice's ends")
        axes = _ints(call.arg(3), "Slice's axes") if call.arg(3) is not None else list(range(len(starts)))
        steps = _ints(call.arg(4), "Slice's steps") if call.arg(4) is not None else [1] * len(starts)
    lists = [list(range(d)) for d in data.shape]
    for start, stop, axis, step in zip(starts, ends, axes, steps):
        axis = _axis(axis, data.ndim)
        if step == 0:
            raise InputError("Slice with step 0")
        lists[axis] = list(range(data.shape[axis]))[slice(start, stop, step)]
    return [_take(data, lists)]


def _expand(call: Call) -> list[Tensor]:
    x = call.arg(0)
    return [x.broadcast_to(broadcast_shapes(x.shape, _ints(call.arg(1), "Expand's shape")))]


def _constant_of_shape(call: Call) -> list[Tensor]:
    from onnx import numpy_helper

    shape = _ints(call.arg(0), "ConstantOfShape's shape")
    value = call.attr("value")
    fill = ZERO if value is None else array_tensor(numpy_helper.to_array(value)).items[0]
    return [Tensor.full(shape, fill)]


def _compare(op: str) -> Callable[[Call], list[Tensor]]:
    return _elementwise(lambda a, b: _prim(op, (a, b)))


def _where_op(call: Call) -> list[Tensor]:
    return [call.arg(0).map(_where, call.arg(1), call.arg(2))]


OPERATORS: dict[str, Callable[[Call], list[Tensor]]] = {
    "Gemm": _gemm, "MatMul": _matmul,
    "Add": _elementwise(add), "Sub": _elementwise(sub), "Mul": _elementwise(mul), "Div": _div,
    "Neg": _elementwise(neg), "Pow": _pow, "Sum": _elementwise(add),
    "Abs": _elementwise(lambda n: _prim("abs", (n,))), "Sign": _elementwise(lambda n: _prim("sign", (n,))),
    "Relu": _elementwise(lambda n: _prim("relu", (n,))), "LeakyRelu": _leaky_relu,
    "Max": _variadic("max"), "Min": _variadic("min"), "Clip": _clip, "Where": _where_op,
    "Greater": _compare("gt"), "GreaterOrEqual": _compare("ge"), "Less": _compare("lt"),
    "LessOrEqual": _compare("le"), "Equal": _compare("eq"),
    "And": _variadic("and"), "Or": _variadic("or"), "Not": _elementwise(lambda n: _prim("not", (n,))),
    "Cast": _cast, "MaxPool": _max_pool,
    "Reshape": _reshape, "Flatten": _flatten, "Concat": _concat, "Transpose": _transpose,
    "Squeeze": _squeeze, "Unsqueeze": _unsqueeze, "Identity": _identity, "Dropout": _identity,
    "Constant": _constant, "Shape": _shape, "Gather": _gather, "Slice": _slice, "Expand": _expand,
    "ConstantOfShape": _constant_of_shape,
}
"""ONNX operator type -> converter (a function of the :class:`Call`, returning the output tensors)."""

SUPPORTED_OPS = tuple(sorted(OPERATORS))
"""The ONNX operators :func:`from_onnx` converts."""

BOOL_RES = frozenset({"Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Equal", "And", "Or", "Not"})


def output_type(call: Call) -> int | None:
    """The element type of a node's first output, from its operator and input types."""
    op = call.node.op_type
    if op in BOOL_RES:
        return BOOL
    if op == "Cast":
        return call.attr("to")
    if op in ("Shape", "Size"):
        return 7
    if op == "Where":
        return call.input_types[1]
    if op in ("Constant", "ConstantOfShape"):
        value = call.attrs.get("value")
        if value is not None:
            return value.data_type
        return 7 if ("value_int" in call.attrs or "value_ints" in call.attrs) else 1
    return call.input_types[0] if call.input_types else None


def unsupported(call: Call) -> UnsupportedError:
    """The error for a node whose operator has no converter: the operator, the node, the list."""
    op = call.node.op_type
    why = "is not piecewise polynomial" if op in NOT_PIECEWISE_POLYNOMIAL else "is not supported"
    domain = f" of the domain '{call.node.domain}'" if call.node.domain not in ("", "ai.onnx") else ""
    return UnsupportedError(f"{call.where()}: the operator {op}{domain} {why}; supported ONNX operators: "
                            f"{', '.join(SUPPORTED_OPS)}")
