"""PyTorch front end: a traced PyTorch function or ``nn.Module`` as a :class:`Program`.

:func:`from_torch` traces with ``torch.fx.experimental.proxy_tensor.make_fx`` at float64
example inputs to a graph of aten operators and converts it node by node (handlers in
:mod:`semialg.frontends.aten_ops`, the shape and indexing ones below). Every input entry
becomes a variable; parameters and buffers become exact constants (the dyadic numbers
PyTorch computes with). :func:`torch_derivative` converts the graph of PyTorch's *own*
derivative, ``make_fx(torch.func.grad(f))`` (``jacrev`` for several outputs): the backward
formulas at the kinks (``threshold_backward``, ``hardtanh_backward``, ties of ``max``
split by counts, the first maximum of a pooling window, a user's ``autograd.Function``
backward) are converted as they are, so ``check(from_torch(f, x), field=torch_derivative(f, x))``
decides whether what PyTorch computes is a conservative field.

Variables: one 1-D (or any non-scalar) input gives ``x0, x1, ...`` (row-major); scalar
inputs are named by the function's parameters; several inputs of which some are not
scalars give ``name0, name1, ...`` per parameter; ``names=`` overrides all of this.

Limits, all refused by name: smooth non-polynomial operators (``exp``, ``tanh``, ...),
division by a non-constant other than a count of ties, Python control flow on tensor
values (``if x > 0:`` would be specialised at the example point), integer truncation.
``sort`` indices assume a stable sort (PyTorch's CPU sort of small tensors is stable).
torch is imported only inside the functions, so this module imports without it.
"""
from __future__ import annotations

import inspect
import operator
from itertools import product

from semialg.core.dag import Node, Program, add
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.aten_ops import (
    HANDLERS, NOT_PIECEWISE_POLYNOMIAL, Call, Deferred, T,
    aten, build_tensor, compare, extreme, first_match_chain, index_equals, num, reduction_dims, where)
from semialg.frontends.tensors import ZERO, Tensor

__all__ = ["convert_graph", "from_torch", "torch_derivative"]

_DATA_DEPENDENT = frozenset("_local_scalar_dense is_nonzero item equal nonzero allclose _assert_async".split())


# --------------------------------------------------------------------------- public functions
def from_torch(fn_or_module, *example_inputs, names=None) -> Program:
    """The function ``fn_or_module`` computes, traced at ``example_inputs``, as a Program.

    ``names``: the variable names (a list or a string ``"a b c"``), one per input entry.
    Raises :class:`InputError` for bad arguments and :class:`UnsupportedError` naming the
    first operator that cannot be converted.
    """
    fn, inputs = _prepare(fn_or_module, example_inputs)
    variables = _variable_names(fn_or_module, inputs, names)
    graph_module = _trace(fn, inputs)
    outputs = convert_graph(graph_module, _placeholders(inputs, variables))
    return Program(variables, _flat_items(outputs))


def torch_derivative(fn_or_module, *example_inputs, names=None) -> Program:
    """The derivative PyTorch computes for ``fn_or_module``, as a Program over the same variables.

    A scalar output gives one output per variable (``torch.func.grad``); ``m`` outputs give
    ``m * n``, the Jacobian rows one after another (``torch.func.jacrev``). An
    ``autograd.Function`` without ``setup_context`` is differentiated with
    ``torch.autograd.grad`` instead (the same backward, traced the same way).
    """
    import torch

    fn, inputs = _prepare(fn_or_module, example_inputs)
    variables = _variable_names(fn_or_module, inputs, names)
    with torch.no_grad():
        parts = _output_tensors(fn(*inputs))
    m = sum(p.numel() for p in parts)
    argnums = tuple(range(len(inputs)))

    def flat_output(*xs):
        outs = _output_tensors(fn(*xs))
        return torch.cat([o.reshape(-1) for o in outs]) if len(outs) > 1 else outs[0].reshape(-1)

    def by_functorch(*xs):
        if m == 1:
            grads = torch.func.grad(lambda *a: flat_output(*a).reshape(()), argnums)(*xs)
            return torch.cat([g.reshape(-1) for g in grads])
        jacobians = torch.func.jacrev(flat_output, argnums)(*xs)
        return torch.cat([j.reshape(m, -1) for j in jacobians], dim=1).reshape(-1)

    def by_autograd(*xs):
        with torch.enable_grad():
            xs = [x.detach().requires_grad_(True) for x in xs]
            out = flat_output(*xs)
            rows = []
            for i in range(m):
                grads = torch.autograd.grad(out[i], xs, retain_graph=True, allow_unused=True)
                rows.append(torch.cat([(g if g is not None else torch.zeros_like(x)).reshape(-1)
                                       for g, x in zip(grads, xs)]))
            return torch.stack(rows).reshape(-1)

    try:
        graph_module = _trace(by_functorch, inputs)
    except InputError as error:
        if "setup_context" not in str(error):
            raise
        graph_module = _trace(by_autograd, inputs)
    field = convert_graph(graph_module, _placeholders(inputs, variables))
    return Program(variables, _flat_items(field))


# --------------------------------------------------------------------------- arguments and tracing
def _prepare(fn_or_module, example_inputs):
    """The callable (a float64 copy of a module whose weights are not float64) and float64 inputs."""
    import copy

    import torch

    if not callable(fn_or_module):
        raise InputError(f"expected a function or a torch.nn.Module, got {type(fn_or_module).__name__}")
    if not example_inputs:
        raise InputError("give example inputs after the function: from_torch(f, torch.tensor([0.5, -1.0]))")
    inputs = []
    for k, value in enumerate(example_inputs):
        if isinstance(value, torch.Tensor):
            if value.is_complex():
                raise InputError(f"example input {k} is complex; semialg works over the reals")
            inputs.append(value.detach().to(torch.float64))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            inputs.append(torch.tensor(float(value), dtype=torch.float64))
        else:
            raise InputError(f"example input {k} is a {type(value).__name__}; give tensors or numbers")
    signature = _signature(fn_or_module)
    if signature is not None:
        try:
            signature.bind(*inputs)
        except TypeError as error:
            raise InputError(f"{_label(fn_or_module)} does not take {len(inputs)} example input"
                             f"{'s' if len(inputs) != 1 else ''}: {error}") from None
    fn = fn_or_module
    if isinstance(fn, torch.nn.Module):
        tensors = list(fn.parameters()) + list(fn.buffers())
        if any(t.is_floating_point() and t.dtype != torch.float64 for t in tensors):
            fn = copy.deepcopy(fn).double()  # exact: every float32 is a float64
    return fn, inputs


def _signature(fn_or_module):
    target = getattr(fn_or_module, "forward", fn_or_module)
    try:
        return inspect.signature(target)
    except (TypeError, ValueError):
        return None


def _label(fn_or_module) -> str:
    return getattr(fn_or_module, "__name__", None) or type(fn_or_module).__name__


def _variable_names(fn_or_module, inputs, names) -> tuple[str, ...]:
    total = sum(t.numel() for t in inputs)
    if names is not None:
        names = names.replace(",", " ").split() if isinstance(names, str) else list(names)
        if len(names) != total:
            raise InputError(f"names= gives {len(names)} name{'s' if len(names) != 1 else ''} but the example inputs "
                             f"have {total} entr{'ies' if total != 1 else 'y'} (one name per entry, row-major)")
        bad = [n for n in names if not isinstance(n, str) or not n.isidentifier()]
        if bad:
            raise InputError(f"{bad[0]!r} is not a valid variable name; use names such as x, y, u1")
        if len(set(names)) != len(names):
            raise InputError("names= lists a name twice")
        return tuple(names)
    default = tuple(f"x{i}" for i in range(total))
    if len(inputs) == 1 and inputs[0].dim() > 0:
        return default
    signature = _signature(fn_or_module)
    params = [p.name for p in signature.parameters.values()
              if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)] if signature else []
    if len(params) < len(inputs):
        return default
    out = []
    for name, t in zip(params, inputs):
        out.extend([name] if t.dim() == 0 else [f"{name}{j}" for j in range(t.numel())])
    return tuple(out) if len(set(out)) == len(out) and all(n.isidentifier() for n in out) else default


def _placeholders(inputs, variables) -> list[Tensor]:
    out, start = [], 0
    for t in inputs:
        n = t.numel()
        out.append(Tensor(tuple(t.shape), tuple(Node.var(v) for v in variables[start:start + n])))
        start += n
    return out


def _output_tensors(value) -> list:
    """The tensors of an output (a tensor, or nested tuples / lists / dicts of them), in order."""
    import torch

    found, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, torch.Tensor):
            if not (v.is_floating_point() or v.dtype == torch.bool):
                raise InputError(f"an output has dtype {v.dtype}; outputs must be real tensors")
            found.append(v)
        elif isinstance(v, (tuple, list)):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            stack.extend(reversed(list(v.values())))
        else:
            raise InputError(f"an output is a {type(v).__name__}; the function must return tensors")
    if not found:
        raise InputError("the function returns no tensor")
    return found


def _trace(fn, inputs):
    """``make_fx`` at the example inputs; a graph with in-place operators is traced again, functionalized."""
    import torch
    from torch.fx.experimental.proxy_tensor import make_fx

    try:
        graph_module = make_fx(fn, tracing_mode="real")(*inputs)
        mutating = any(n.op == "call_function" and isinstance(n.target, torch._ops.OpOverload)
                       and n.target._schema.is_mutable for n in graph_module.graph.nodes)
        if mutating:
            functional = torch.func.functionalize(graph_module, remove="mutations_and_views")
            graph_module = make_fx(functional, tracing_mode="real")(*inputs)
    except (RuntimeError, TypeError, ValueError, IndexError) as error:
        if "_local_scalar_dense" in str(error) or "data-dependent" in str(error):
            raise UnsupportedError(f"tracing {_label(fn)}: a traced tensor is turned into a Python value (control "
                                   "flow such as `if x > 0:`, or .item()), which would fix the program at the "
                                   "example input; use torch.where") from None
        raise InputError(f"tracing {_label(fn)} at the example inputs failed: {type(error).__name__}: {error}") from error
    return graph_module


# --------------------------------------------------------------------------- the graph walk
def convert_graph(graph_module, placeholders: list[Tensor]):
    """Convert a ``make_fx`` graph, nodes in order, with an environment node -> value.

    ``placeholders``: one Tensor of variables per placeholder. Returns the converted output
    structure (Tensors inside the tuples / lists the graph returns).
    """
    import torch
    from torch.fx.node import map_arg

    env: dict = {}
    resolved: dict[int, object] = {}

    def value_of(fx_node):
        v = env[fx_node]
        if isinstance(v, Deferred):
            if id(v) not in resolved:
                resolved[id(v)] = v.compute()
            return resolved[id(v)]
        return v

    feed = iter(placeholders)
    for index, node in enumerate(graph_module.graph.nodes):
        if node.op == "placeholder":
            env[node] = next(feed)
        elif node.op == "get_attr":
            env[node] = _constant(_fetch_attr(graph_module, node.target), node, index)
        elif node.op == "call_function":
            args = _plain(map_arg(node.args, value_of), torch)
            kwargs = _plain(map_arg(node.kwargs, value_of), torch)
            env[node] = _call(node, index, args, kwargs)
        elif node.op == "output":
            return map_arg(node.args[0], value_of)
        else:
            raise UnsupportedError(f"graph node '{node.name}' (#{index}) is a {node.op}; make_fx graphs hold only "
                                   "placeholder, get_attr, call_function and output nodes")
    raise UnsupportedError("the traced graph has no output")


def _fetch_attr(graph_module, target: str):
    value = graph_module
    for part in target.split("."):
        value = getattr(value, part)
    return value


def _constant(value, node, index) -> Tensor:
    import torch

    if not isinstance(value, torch.Tensor):
        raise UnsupportedError(f"graph node '{node.name}' (#{index}) holds a {type(value).__name__}, not a tensor")
    value = value.detach().cpu()
    if value.is_complex():
        raise UnsupportedError(f"graph node '{node.name}' (#{index}) is a complex constant")
    try:
        return Tensor.constant(value.to(torch.float64) if value.is_floating_point() else value)
    except UnsupportedError as error:
        raise UnsupportedError(f"constant '{node.name}' (#{index}): {error}") from None


def _plain(structure, torch):
    """dtypes, devices and layouts as strings (the handlers never see torch objects)."""
    if isinstance(structure, (torch.dtype, torch.device, torch.layout, torch.memory_format)):
        return str(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_plain(v, torch) if isinstance(v, (list, tuple, torch.dtype)) else v for v in structure)
    if isinstance(structure, dict):
        return {k: _plain(v, torch) for k, v in structure.items()}
    return structure


def _where_in_graph(node, index: int, label: str) -> str:
    trace = (node.meta.get("stack_trace") or "").strip().splitlines()
    source = f", from {trace[-2].strip()}: {trace[-1].strip()}" if len(trace) >= 2 else ""
    return f"{label} at graph node '{node.name}' (#{index} of the traced graph{source})"


def _call(node, index: int, args, kwargs):
    import torch

    target = node.target
    if target is operator.getitem:
        return args[0][args[1]]
    if not isinstance(target, torch._ops.OpOverload):
        raise UnsupportedError(f"{_where_in_graph(node, index, str(target))}: not an aten operator; supported: "
                               f"{', '.join(sorted(HANDLERS))}")
    name, overload = target.overloadpacket.__name__, target._overloadname
    label = f"{target.namespace}.{name}.{overload}"
    if name not in HANDLERS and name.endswith("_copy") and name[:-5] in HANDLERS:
        name = name[:-5]  # functionalized views: view_copy is view
    where_ = _where_in_graph(node, index, label)
    if name in NOT_PIECEWISE_POLYNOMIAL:
        raise UnsupportedError(f"{where_}: {name} is not semialgebraic / not piecewise polynomial, so semialg cannot "
                               "represent it exactly; the supported operators are piecewise polynomial")
    if name in _DATA_DEPENDENT:
        raise UnsupportedError(f"{where_}: {name} turns a traced tensor into a Python value (control flow such as "
                               "`if x > 0:` or .item()), which the trace fixes at the example input; use torch.where")
    handler = HANDLERS.get(name) if target.namespace == "aten" else None
    if handler is None:
        raise UnsupportedError(f"{where_}: not supported by the PyTorch front end; supported aten operators: "
                               f"{', '.join(sorted(HANDLERS))}")
    value = node.meta.get("val")
    out_dtype = str(value.dtype) if isinstance(value, torch.Tensor) else None
    try:
        return handler(Call(name, overload, tuple(args), dict(kwargs), out_dtype))
    except InputError as error:
        raise InputError(f"{where_}: {error}") from error
    except UnsupportedError as error:
        raise UnsupportedError(f"{where_}: {error}") from error
    except (IndexError, KeyError, ValueError, TypeError, ZeroDivisionError, StopIteration) as error:
        raise UnsupportedError(f"{where_}: these arguments are not supported ({type(error).__name__}: {error})") \
            from error


def _flat_items(value) -> tuple[Node, ...]:
    """The output nodes, tensors flattened row-major, in the order the graph returns them."""
    found, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, Tensor):
            found.extend(num(i) for i in v.items)
        elif isinstance(v, (tuple, list)):
            stack.extend(reversed(v))
        elif isinstance(v, (int, float)):
            found.append(T(v).items[0])
        else:
            raise UnsupportedError(f"the traced graph returns a {type(v).__name__}")
    return tuple(found)


# --------------------------------------------------------------------------- pooling (routing by index)
def _pool_geometry(call: Call, x: Tensor):
    """Planes, input size, and per output axis the input positions of each window (PyTorch's rule)."""
    def pair(value):
        value = [value] if isinstance(value, int) else list(value)
        return value * (2 // len(value))
    kernel = pair(call.args[1])
    stride, padding, dilation = pair(call.arg(2, "stride") or kernel), pair(call.arg(3, "padding", 0)), \
        pair(call.arg(4, "dilation", 1))
    ceil_mode = call.arg(5, "ceil_mode", False)
    windows = []
    for axis in range(2):
        size = x.shape[-2 + axis]
        span = size + 2 * padding[axis] - dilation[axis] * (kernel[axis] - 1) - 1
        n_out = (-(-span // stride[axis]) if ceil_mode else span // stride[axis]) + 1
        if ceil_mode and (n_out - 1) * stride[axis] >= size + padding[axis]:
            n_out -= 1
        windows.append([[o * stride[axis] - padding[axis] + k * dilation[axis] for k in range(kernel[axis])
                         if 0 <= o * stride[axis] - padding[axis] + k * dilation[axis] < size] for o in range(n_out)])
    return x.shape[:-2], x.shape[-2:], windows


@aten("max_pool2d_with_indices")
def _max_pool2d(call: Call):
    """Values: the max of each window; indices: the first maximal element (PyTorch's CPU kernel)."""
    x = T(call.args[0]).map(num)
    lead, (_, w), (rows, cols) = _pool_geometry(call, x)
    shape = tuple(lead) + (len(rows), len(cols))
    values, index_items = [], []
    for idx in product(*(range(d) for d in shape)):
        cells = [(r, c) for r in rows[idx[-2]] for c in cols[idx[-1]]]
        entries = [x.at(tuple(idx[:-2]) + cell) for cell in cells]
        m = extreme("max", entries)
        values.append(m)
        index_items.append((entries, m, [r * w + c for r, c in cells]))

    def indices():
        return Tensor(shape, tuple(first_match_chain([compare("eq", e, m) for e in entries], positions)
                                   for entries, m, positions in index_items))
    return (Tensor(shape, tuple(values)), Deferred(indices))


@aten("max_pool2d_with_indices_backward")
def _max_pool2d_backward(call: Call):
    """Each window's gradient goes to the input position its index names (summed over windows)."""
    grad, x, indices = T(call.args[0]).map(num), T(call.args[1]), T(call.args[7])
    pool_call = Call("max_pool2d_with_indices", "", (x,) + tuple(call.args[2:7]))
    _, (_, w), (rows, cols) = _pool_geometry(pool_call, x)
    sums: dict[tuple, list[Node]] = {}
    for idx in product(*(range(d) for d in grad.shape)):
        for r in rows[idx[-2]]:
            for c in cols[idx[-1]]:
                hit = index_equals(indices.at(idx), r * w + c)
                if hit is not ZERO:
                    sums.setdefault(tuple(idx[:-2]) + (r, c), []).append(where(hit, grad.at(idx), ZERO))
    return build_tensor(x.shape, lambda idx: add(*sums.get(idx, [])))


# --------------------------------------------------------------------------- shapes
@aten("view", "reshape", "_unsafe_view", "_reshape_alias")
def _view(call: Call):
    return T(call.args[0]).reshape(tuple(call.args[1]))


@aten("t", "transpose", "permute", "numpy_T")
def _transpose(call: Call):
    x = T(call.args[0])
    if call.name == "permute":
        return x.transpose([d % x.ndim for d in call.args[1]])
    if x.ndim < 2:
        return x
    a, b = (0, 1) if call.name in ("t", "numpy_T") else (call.args[1] % x.ndim, call.args[2] % x.ndim)
    perm = list(range(x.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return x.transpose(perm)


@aten("expand", "broadcast_to")
def _expand(call: Call):
    x, sizes = T(call.args[0]), list(call.args[1])
    lead = len(sizes) - x.ndim
    return x.broadcast_to(tuple(x.shape[a - lead] if s == -1 else s for a, s in enumerate(sizes)))


@aten("unsqueeze")
def _unsqueeze(call: Call):
    x = T(call.args[0])
    d = call.args[1] % (x.ndim + 1)
    return x.reshape(x.shape[:d] + (1,) + x.shape[d:])


@aten("squeeze")
def _squeeze(call: Call):
    x = T(call.args[0])
    dims = call.arg(1, "dim")
    dims = range(x.ndim) if dims is None else reduction_dims(dims, x.ndim)
    return x.reshape(tuple(s for a, s in enumerate(x.shape) if not (a in dims and s == 1)))


def _range(size: int, start, end, step) -> range:
    start = 0 if start is None else start
    end = size if end is None else end
    start, end = (s + size if s < 0 else s for s in (start, end))
    return range(min(max(start, 0), size), min(max(end, 0), size), step or 1)


def _select_along(x: Tensor, d: int, positions) -> Tensor:
    positions = list(positions)
    return build_tensor(x.shape[:d] + (len(positions),) + x.shape[d + 1:],
                  lambda idx: x.at(idx[:d] + (positions[idx[d]],) + idx[d + 1:]))


@aten("select")
def _select(call: Call):
    x = T(call.args[0])
    d = call.args[1] % x.ndim
    out = _select_along(x, d, [call.args[2] % x.shape[d]])
    return out.reshape(x.shape[:d] + x.shape[d + 1:])


@aten("slice")
def _slice(call: Call):
    x = T(call.args[0])
    d = call.arg(1, "dim", 0) % x.ndim
    return _select_along(x, d, _range(x.shape[d], call.arg(2, "start"), call.arg(3, "end"), call.arg(4, "step", 1)))


@aten("select_backward", "slice_backward")
def _embed_backward(call: Call):
    """The gradient of a select / slice: ``grad`` placed into zeros of the input's shape."""
    grad, shape = T(call.args[0]), tuple(call.args[1])
    d = call.args[2] % len(shape)
    if call.name == "select_backward":
        positions, grad = [call.args[3] % shape[d]], grad.reshape(shape[:d] + (1,) + shape[d + 1:])
    else:
        positions = list(_range(shape[d], call.args[3], call.args[4], call.args[5]))
    where_in = {p: i for i, p in enumerate(positions)}
    return build_tensor(shape, lambda idx: grad.at(idx[:d] + (where_in[idx[d]],) + idx[d + 1:])
                  if idx[d] in where_in else ZERO)


@aten("cat", "concat")
def _cat(call: Call):
    parts = [T(t) for t in call.args[0] if T(t).shape != (0,)]
    return Tensor.concatenate(parts, call.arg(1, "dim", 0))


@aten("stack")
def _stack(call: Call):
    parts = [T(t) for t in call.args[0]]
    d = call.arg(1, "dim", 0) % (parts[0].ndim + 1)
    return Tensor.concatenate([p.reshape(p.shape[:d] + (1,) + p.shape[d:]) for p in parts], d)


@aten("split", "split_with_sizes", "unbind", "chunk")
def _split(call: Call):
    x = T(call.args[0])
    d = call.arg(1 if call.name == "unbind" else 2, "dim", 0) % x.ndim
    size = x.shape[d]
    if call.name == "unbind":
        return tuple(_select(Call("select", "", (x, d, i))) for i in range(size))
    if call.name == "split_with_sizes":
        sizes = list(call.args[1])
    else:
        step = call.args[1] if call.name == "split" else -(-size // call.args[1])
        sizes = [min(step, size - s) for s in range(0, size, step)]
    starts = [sum(sizes[:i]) for i in range(len(sizes))]
    return tuple(_select_along(x, d, range(s, s + n)) for s, n in zip(starts, sizes))


@aten("flip")
def _flip(call: Call):
    x = T(call.args[0])
    dims = reduction_dims(call.args[1], x.ndim)
    return build_tensor(x.shape, lambda idx: x.at(tuple(x.shape[a] - 1 - i if a in dims else i for a, i in enumerate(idx))))


def _diagonal_positions(shape, offset: int, d1: int, d2: int):
    n = max(0, min(shape[d1] - max(0, -offset), shape[d2] - max(0, offset)))
    return [(k + max(0, -offset), k + max(0, offset)) for k in range(n)]


@aten("diagonal", "diagonal_scatter")
def _diagonal(call: Call):
    """``diagonal(x, offset, dim1, dim2)``: the diagonal as the last axis; ``diagonal_scatter`` writes it."""
    x = T(call.args[0])
    i0 = 2 if call.name == "diagonal_scatter" else 1
    offset = call.arg(i0, "offset", 0)
    d1, d2 = call.arg(i0 + 1, "dim1", 0) % x.ndim, call.arg(i0 + 2, "dim2", 1) % x.ndim
    diag = _diagonal_positions(x.shape, offset, d1, d2)
    rest = [a for a in range(x.ndim) if a not in (d1, d2)]

    def source(idx, k):
        full = [0] * x.ndim
        for a, i in zip(rest, idx):
            full[a] = i
        full[d1], full[d2] = diag[k]
        return tuple(full)
    if call.name == "diagonal":
        return build_tensor(tuple(x.shape[a] for a in rest) + (len(diag),), lambda idx: x.at(source(idx[:-1], idx[-1])))
    src = T(call.args[1])
    written = {source(idx[:-1], idx[-1]): src.at(idx) for idx in product(*(range(d) for d in src.shape))}
    return build_tensor(x.shape, lambda idx: written.get(idx, x.at(idx)))


@aten("scatter")
def _scatter(call: Call):
    """``out = base; out[..., index[p], ...] = src[p]`` in order (a later write wins, as on CPU).

    Indices that are where chains (from ``sort`` / ``max.dim``) write conditionally.
    """
    if call.arg(4, "reduce") is not None:
        raise UnsupportedError("scatter with reduce= is not supported")
    base, index, src = T(call.args[0]), T(call.args[2]), T(call.args[3])
    d = call.args[1] % base.ndim
    out = dict(zip(product(*(range(s) for s in base.shape)), base.items))
    for p in product(*(range(s) for s in index.shape)):
        value = src.at(p) if src.ndim else src.items[0]
        target = index.at(p)
        if target.is_const:
            out[p[:d] + (int(target.param),) + p[d + 1:]] = value
            continue
        for i in range(base.shape[d]):
            hit = index_equals(target, i)
            if hit is not ZERO:
                q = p[:d] + (i,) + p[d + 1:]
                out[q] = where(hit, value, out[q])
    return Tensor(base.shape, tuple(out[idx] for idx in product(*(range(s) for s in base.shape))))
