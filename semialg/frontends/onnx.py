"""ONNX models in: :func:`from_onnx` turns an ONNX graph into a :class:`~semialg.core.dag.Program`.

The graph inputs (the initializers excluded) become scalar variables, flattened row-major:
one input gives ``x0 .. x{n-1}``; several give ``{input}_{i}`` (a scalar input keeps its own
name), with the input names made into identifiers (see :func:`variable_names_for`). The
initializers become exact constants (each float read as the dyadic rational it stores),
``graph.node`` is walked once in order with an environment ``value name -> Tensor`` of DAG
nodes, and the graph outputs, flattened and concatenated, are the program's outputs.

Operators (opset 13-21, and the older spellings of ``axes``/``min``/``max``/``starts``... as attributes):
Gemm, MatMul, Add, Sub, Mul, Div (by constants), Neg, Abs, Sign, Pow (constant integer
exponent >= 0), Sum, Relu, LeakyRelu, Max, Min, Clip, Where, Greater, GreaterOrEqual, Less,
LessOrEqual, Equal, And, Or, Not, Cast, MaxPool, Reshape, Flatten, Concat, Transpose,
Squeeze, Unsqueeze, Identity, Dropout (inference), Constant, Shape, Gather, Slice, Expand,
ConstantOfShape. Anything else raises :class:`~semialg.core.errors.UnsupportedError` naming
the operator, the node and its index. Cast between float types is read as the identity
(semialg computes in exact arithmetic, so it ignores every float rounding alike).

The ``onnx`` package is imported inside the functions that need it, so this module imports
without it.

>>> variable_names_for([("input.1", (1, 2)), ("t", ())])
['input_1_0', 'input_1_1', 't']
"""
from __future__ import annotations

import math
import re
from typing import Sequence

from semialg.core.dag import Node, Program
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.onnx_ops import (BOOL, FLOAT_TYPES, OPERATORS, SUPPORTED_OPS, Call, array_tensor, output_type,
                                        unsupported)
from semialg.frontends.tensors import Tensor, indicator
from semialg.frontends.text import variable_names

__all__ = ["from_onnx", "variable_names_for", "SUPPORTED_OPS"]

# --------------------------------------------------------------------------- the model
def _sanitise(name: str) -> str:
    text = re.sub(r"\W", "_", name)
    return text if text and not text[0].isdigit() else "v_" + text


def variable_names_for(inputs: Sequence[tuple[str, Sequence[int]]]) -> list[str]:
    """Scalar variable names for graph inputs given as ``(name, shape)``, flattened row-major.

    One input: ``x0 .. x{n-1}``. Several: ``{name}_{i}`` with ``name`` made an identifier
    (a scalar input: ``name`` alone).

    >>> variable_names_for([("onnx::Gemm_0", (1, 3))])
    ['x0', 'x1', 'x2']
    """
    if len(inputs) == 1:
        return [f"x{i}" for i in range(math.prod(inputs[0][1]))]
    names = []
    for name, shape in inputs:
        base = _sanitise(name)
        names.extend([base] if len(shape) == 0 else [f"{base}_{i}" for i in range(math.prod(shape))])
    return names


def _load(path_or_model):
    """The ModelProto of a path, bytes or a ModelProto, checked by ``onnx.checker``."""
    import io
    import os

    import onnx

    if isinstance(path_or_model, onnx.ModelProto):
        model, where = path_or_model, "the model"
    elif isinstance(path_or_model, (bytes, bytearray)):
        where = "the bytes"
        try:
            model = onnx.load(io.BytesIO(bytes(path_or_model)))
        except Exception as error:
            raise InputError(f"{where} are not an ONNX model: {error}") from None
    elif isinstance(path_or_model, (str, os.PathLike)):
        where = f"'{os.fspath(path_or_model)}'"
        if not os.path.isfile(path_or_model):
            raise InputError(f"{where} is not a file")
        try:
            model = onnx.load(path_or_model)
        except Exception as error:
            raise InputError(f"{where} is not an ONNX model (it does not parse as one: {error})") from None
    else:
        raise InputError(f"from_onnx takes a path, bytes or an onnx.ModelProto, got {type(path_or_model).__name__}")
    if model.ir_version == 0 and not model.graph.node and not model.graph.input:
        raise InputError(f"{where} is not an ONNX model (it has no IR version and no graph)")
    try:
        onnx.checker.check_model(model)
    except Exception as error:
        raise InputError(f"{where} is not a valid ONNX model: {error}") from None
    return model


def _graph_inputs(graph) -> list[tuple[str, tuple[int, ...], int]]:
    """``(name, static shape, element type)`` of each graph input that is not an initializer."""
    initializers = {t.name for t in graph.initializer}
    out = []
    for value in graph.input:
        if value.name in initializers:
            continue
        if not value.type.HasField("tensor_type"):
            raise UnsupportedError(f"graph input '{value.name}' is not a tensor")
        tensor_type = value.type.tensor_type
        if tensor_type.elem_type not in FLOAT_TYPES:
            raise UnsupportedError(f"graph input '{value.name}' has the ONNX element type {tensor_type.elem_type}; "
                                   f"semialg's variables are real numbers (float inputs only)")
        if not tensor_type.HasField("shape"):
            raise InputError(f"graph input '{value.name}' has no shape; semialg needs static input shapes")
        dims = []
        for dim in tensor_type.shape.dim:
            if not dim.HasField("dim_value"):
                raise InputError(f"graph input '{value.name}' has the dynamic dimension '{dim.dim_param or '?'}'; "
                                 f"semialg needs static input shapes (export without dynamic axes)")
            dims.append(dim.dim_value)
        out.append((value.name, tuple(dims), tensor_type.elem_type))
    return out


def from_onnx(path_or_model, names: Sequence[str] | str | None = None) -> Program:
    """The :class:`Program` an ONNX model computes (see the module docstring for the rules).

    ``path_or_model``: a file path, the bytes of a model, or an ``onnx.ModelProto``;
    ``names``: the scalar variable names, one per input entry (row-major, inputs in order),
    replacing the default ``x0..`` / ``{input}_{i}``. Raises :class:`InputError` for
    something that is not a valid ONNX model or has dynamic input shapes, and
    :class:`UnsupportedError` for an operator outside the supported list.
    """
    from onnx import helper, numpy_helper

    model = _load(path_or_model)
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
    inputs = _graph_inputs(graph)
    default = variable_names_for([(name, shape) for name, shape, _ in inputs])
    if names is None:
        names = default
        if len(set(names)) != len(names):
            raise InputError(f"the input names {[n for n, _, _ in inputs]} give repeated variable names; pass names=")
    else:
        names = variable_names(names, "names=")
        if len(names) != len(default):
            raise InputError(f"names= has {len(names)} names; the model's inputs have {len(default)} entries "
                             f"({', '.join(f'{n}{list(s)}' for n, s, _ in inputs)})")
    env: dict[str, Tensor] = {}
    types: dict[str, int | None] = {}
    position = 0
    for name, shape, elem_type in inputs:
        size = math.prod(shape)
        env[name] = Tensor(shape, tuple(Node.var(v) for v in names[position:position + size]))
        types[name] = elem_type
        position += size
    for initializer in graph.initializer:
        try:
            env[initializer.name] = array_tensor(numpy_helper.to_array(initializer))
        except UnsupportedError as error:
            raise UnsupportedError(f"initializer '{initializer.name}': {error}") from None
        types[initializer.name] = initializer.data_type
    producer = {out: i for i, node in enumerate(graph.node) for out in node.output if out}
    for index, node in enumerate(graph.node):
        for name in node.input:
            if name and name not in env:
                later = producer.get(name)
                if later is not None and later >= index:
                    raise InputError(f"the graph is not topologically sorted: node #{index} '{node.name}' "
                                     f"({node.op_type}) reads '{name}', which node #{later} produces later")
                raise InputError(f"node #{index} '{node.name}' ({node.op_type}) reads '{name}', which no node, "
                                 f"input or initializer defines")
        call = Call(node, index, tuple(env[n] if n else None for n in node.input),
                     tuple(types.get(n) for n in node.input),
                     {a.name: helper.get_attribute_value(a) for a in node.attribute}, opset)
        if node.domain not in ("", "ai.onnx") or node.op_type not in OPERATORS:
            raise unsupported(call)
        try:
            outputs = OPERATORS[node.op_type](call)
        except UnsupportedError as error:
            raise UnsupportedError(f"{call.where()}: {error}") from None
        except (InputError, ValueError, IndexError, KeyError, TypeError) as error:
            raise InputError(f"{call.where()}: {error}") from None
        kind = output_type(call)
        for name, tensor in zip(node.output, outputs):
            if name:
                env[name], types[name] = tensor, kind
    result = []
    for value in graph.output:
        if value.name not in env:
            raise InputError(f"the graph output '{value.name}' is not computed by any node")
        tensor = env[value.name]
        result.extend(tensor.map(indicator).items if types.get(value.name) == BOOL else tensor.items)
    if not result:
        raise InputError("the model has no outputs")
    return Program(tuple(names), tuple(result))
