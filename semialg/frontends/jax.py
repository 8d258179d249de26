"""JAX programs in: :func:`from_jax` (the function) and :func:`jax_derivative` (the derivative JAX computes).

Both trace with ``jax.make_jaxpr`` at example arguments (in float64) and convert the jaxpr
equation by equation (the rules are in :mod:`semialg.frontends.jaxpr_ops`) into one DAG over
scalar input variables. Inputs are flattened: a single 1-D input gives ``x0, x1, ...``,
scalar inputs keep their Python parameter names (``x, y``), other arrays give
``name_i_j``; ``names=`` overrides. Closed-over weights become exact constants
(:func:`~semialg.frontends.tensors.exact_float`). Calls (``jit``, ``custom_jvp_call``,
``custom_vjp_call``, ...) are inlined: in the primal program the primal function runs; in the
jaxpr of ``jax.grad`` JAX has already applied the custom rule, so
``check(from_jax(f, x), field=jax_derivative(f, x))`` checks the derivative JAX really computes,
ties and kinks included.

The interpreter is iterative (an explicit stack of call frames), and equations whose results
are never used (JAX leaves primal computations in gradient jaxprs) are skipped.

JAX is imported inside the functions, so this module imports without it.
"""
from __future__ import annotations

import inspect
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Sequence

from semialg.core.dag import Node, Program, walk_postorder
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.jaxpr_ops import CALL_PRIMITIVES, NOT_SEMIALGEBRAIC, RULES, Equation, is_predicate, supported_names
from semialg.frontends.tensors import Tensor, exact_float, indicator

__all__ = ["from_jax", "jax_derivative", "convert_jaxpr", "count_nodes"]


@contextmanager
def _float64():
    """JAX with 64-bit floats inside (``jax.enable_x64``, a scoped setting), the previous setting after.

    When x64 was off, JAX's caches are cleared on the way out: jax 0.10.2 otherwise reuses a
    matmul traced here in float64 for later float32 calls of the user's function and fails
    (``RuntimeProgramInputMismatch``).
    """
    import jax

    was_on = bool(jax.config.read("jax_enable_x64"))
    try:
        with jax.enable_x64(True):
            yield jax
    finally:
        if not was_on:
            jax.clear_caches()


# --------------------------------------------------------------------------- arguments and names
def _positional_names(f, count: int) -> list[str]:
    """The Python parameter name each of ``count`` positional arguments binds to
    (``InputError`` when ``f`` cannot take that many)."""
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):
        return [f"x{i}" for i in range(count)]
    try:
        signature.bind(*range(count))
    except TypeError as exc:
        params = [p.name for p in signature.parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
        raise InputError(f"{getattr(f, '__name__', 'the function')} takes the arguments ({', '.join(params)}) but "
                         f"{count} example argument{'s were' if count != 1 else ' was'} given ({exc}); give one "
                         f"example array or number per argument") from None
    names: list[str] = []
    for p in signature.parameters.values():
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names.extend(f"{p.name}{i}" for i in range(count - len(names)))
        if len(names) >= count:
            break
    return names[:count]


def _as_arrays(example_args) -> list:
    import numpy as np

    arrays = []
    for k, arg in enumerate(example_args):
        try:
            array = np.asarray(arg, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"example argument {k} ({type(arg).__name__}) is not a number or an array of numbers; "
                             f"from_jax takes arrays and scalars (flatten pytrees first)") from None
        arrays.append(array)
    return arrays


def _variable_names(f, arrays: list, names) -> list[list[str]]:
    """The scalar variable names of each example argument, in row-major order."""
    import numpy as np

    total = sum(int(a.size) for a in arrays)
    if names is not None:
        flat = names.replace(",", " ").split() if isinstance(names, str) else list(names)
        if len(flat) != total:
            raise InputError(f"names= gives {len(flat)} name{'s' if len(flat) != 1 else ''} but the example "
                             f"arguments hold {total} scalar{'s' if total != 1 else ''} (one name per entry, row-major)")
    else:
        params = _positional_names(f, len(arrays))
        if len(arrays) == 1 and arrays[0].ndim == 1:
            flat = [f"x{i}" for i in range(total)]
        else:
            flat = []
            for param, array in zip(params, arrays):
                if array.ndim == 0:
                    flat.append(param)
                else:
                    flat.extend(f"{param}_{'_'.join(map(str, index))}" for index in np.ndindex(*array.shape))
    for name in flat:
        if not isinstance(name, str) or not name.isidentifier():
            raise InputError(f"{name!r} is not a valid variable name; pass names=[...] with names such as x0, w_1_2")
    if len(set(flat)) != len(flat):
        duplicate = next(n for n in flat if flat.count(n) > 1)
        raise InputError(f"the variable name {duplicate!r} occurs twice; pass names=[...] with distinct names")
    out, start = [], 0
    for array in arrays:
        out.append(flat[start:start + int(array.size)])
        start += int(array.size)
    return out


def _prepare(f, example_args, names):
    if not callable(f):
        raise InputError(f"from_jax needs a function, got {type(f).__name__}")
    if not example_args:
        raise InputError("give example arguments (one array or number per argument of the function) to trace it at")
    _positional_names(f, len(example_args))  # the argument count, before JAX's own error
    arrays = _as_arrays(example_args)
    var_names = _variable_names(f, arrays, names)
    inputs = [Tensor(tuple(a.shape), tuple(Node.var(n) for n in group)) for a, group in zip(arrays, var_names)]
    return arrays, [n for group in var_names for n in group], inputs


# --------------------------------------------------------------------------- the interpreter
@dataclass(frozen=True)
class _Frame:
    """One jaxpr being interpreted: its live equations, its variables, and the call it answers."""

    jaxpr: object
    equations: tuple
    env: dict
    location: str
    caller: object = None  # the call equation whose outputs this frame's outputs become


def _is_literal(var) -> bool:
    from jax.extend.core import Literal

    return isinstance(var, Literal)


def _constant(value) -> Tensor:
    import numpy as np

    array = np.asarray(value)
    return Tensor.constant(array) if array.ndim else Tensor.scalar(Node.const(exact_float(array.item())))


def _live_equations(jaxpr) -> tuple:
    """``(index, equation)`` for the equations some output depends on, in order."""
    live = {v for v in jaxpr.outvars if not _is_literal(v)}
    kept = []
    for index in range(len(jaxpr.eqns) - 1, -1, -1):
        eqn = jaxpr.eqns[index]
        if any(v in live for v in eqn.outvars):
            kept.append((index, eqn))
            live.update(v for v in eqn.invars if not _is_literal(v))
    return tuple(reversed(kept))


def _read(env: dict, var) -> Tensor:
    if _is_literal(var):
        return _constant(var.val)
    return env[var]


def _inner_jaxpr(eqn):
    """The closed jaxpr a call primitive runs (``jaxpr``, ``call_jaxpr`` or ``fun_jaxpr``), and its consts."""
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        inner = eqn.params.get(key)
        if inner is not None:
            if hasattr(inner, "consts") and hasattr(inner, "jaxpr"):
                return inner.jaxpr, list(inner.consts)
            return inner, []
    raise UnsupportedError(f"the call '{eqn.primitive.name}' has no inner jaxpr that semialg can read")


def _source_line(eqn) -> str:
    try:
        from jax._src import source_info_util
        return source_info_util.summarize(eqn.source_info)
    except Exception:  # noqa: BLE001 (private API; the location is a courtesy)
        return ""


def _where(frame: _Frame, index: int, eqn) -> str:
    line = _source_line(eqn)
    return f"equation {index} ('{eqn.primitive.name}') of {frame.location}" + (f", at {line}" if line else "")


def _dtype(aval) -> str:
    return str(getattr(aval, "dtype", "float64"))


def _apply(frame: _Frame, index: int, eqn) -> list[Tensor]:
    name = eqn.primitive.name
    if name in NOT_SEMIALGEBRAIC:
        raise UnsupportedError(f"'{name}' at {_where(frame, index, eqn)} is not semialgebraic / not piecewise "
                               f"polynomial, so semialg cannot convert it. Supported JAX primitives: {supported_names()}")
    rule = RULES.get(name)
    if rule is None:
        raise UnsupportedError(f"the JAX primitive '{name}' at {_where(frame, index, eqn)} is not supported. "
                               f"Supported JAX primitives: {supported_names()}")
    try:
        ins = [_read(frame.env, v) for v in eqn.invars]
        equation = Equation(name, dict(eqn.params), tuple(_dtype(v.aval) for v in eqn.invars),
                            tuple(tuple(int(d) for d in v.aval.shape) for v in eqn.outvars),
                            tuple(_dtype(v.aval) for v in eqn.outvars))
        return rule(ins, equation)
    except UnsupportedError as exc:
        what = str(exc) if str(exc).startswith(f"'{name}'") else f"'{name}': {exc}"
        raise UnsupportedError(f"{what} (at {_where(frame, index, eqn)}). Supported JAX primitives: "
                               f"{supported_names()}") from None


def convert_jaxpr(closed_jaxpr, inputs: Sequence[Tensor]) -> list[Tensor]:
    """The output tensors of ``closed_jaxpr`` applied to ``inputs`` (one tensor per invar)."""
    jaxpr = closed_jaxpr.jaxpr
    if len(inputs) != len(jaxpr.invars):
        raise InputError(f"the jaxpr takes {len(jaxpr.invars)} inputs, {len(inputs)} given")
    env = dict(zip(jaxpr.constvars, (_constant(c) for c in closed_jaxpr.consts)))
    env.update(zip(jaxpr.invars, inputs))
    stack: list[list] = [[_Frame(jaxpr, _live_equations(jaxpr), env, "the traced program"), 0]]
    result: list[Tensor] = []
    while stack:
        frame, position = stack[-1]
        if position == len(frame.equations):
            stack.pop()
            outs = [_read(frame.env, v) for v in frame.jaxpr.outvars]
            if stack:
                stack[-1][0].env.update(zip(frame.caller.outvars, outs))
            else:
                result = outs
            continue
        stack[-1][1] = position + 1
        index, eqn = frame.equations[position]
        name = eqn.primitive.name
        if name in CALL_PRIMITIVES:
            inner, consts = _inner_jaxpr(eqn)
            inner_env = dict(zip(inner.constvars, (_constant(c) for c in consts)))
            inner_env.update(zip(inner.invars, (_read(frame.env, v) for v in eqn.invars)))
            label = eqn.params.get("name", "")
            location = f"{name} '{label}' called at equation {index} of {frame.location}"
            stack.append([_Frame(inner, _live_equations(inner), inner_env, location, eqn), 0])
            continue
        outs = _apply(frame, index, eqn)
        frame.env.update(zip(eqn.outvars, outs))
    return result


def count_nodes(nodes: Sequence[Node]) -> int:
    """Distinct nodes reachable from ``nodes`` (shared subexpressions counted once)."""
    return len(walk_postorder(nodes))


def _numeric_items(tensor: Tensor) -> tuple[Node, ...]:
    return tuple(indicator(n) if is_predicate(n) else n for n in tensor.items)


# --------------------------------------------------------------------------- public functions
def from_jax(f, *example_args, names=None) -> Program:
    """The program ``f`` computes, traced by JAX at ``example_args``, over scalar variables.

    Outputs are the entries of ``f``'s outputs, flattened (row-major, in pytree order).
    Raises :class:`~semialg.core.errors.UnsupportedError` naming the first primitive
    outside the piecewise-polynomial fragment, :class:`~semialg.core.errors.InputError`
    for bad arguments.
    """
    with _float64() as jax:
        arrays, variables, inputs = _prepare(f, example_args, names)
        closed = jax.make_jaxpr(f)(*arrays)
        outputs = convert_jaxpr(closed, inputs)
    if not outputs or not any(t.size for t in outputs):
        raise InputError("the function returns no numbers")
    return Program(tuple(variables), tuple(n for t in outputs for n in _numeric_items(t)))


def jax_derivative(f, *example_args, names=None) -> Program:
    """The derivative JAX computes for ``f``, as a program over the same variables as :func:`from_jax`.

    A scalar output: the jaxpr of ``jax.grad(f)`` (one output per variable). Otherwise the
    jaxpr of ``jax.jacrev`` of the flattened outputs: ``m * n`` outputs, the Jacobian rows
    row-major. Whatever JAX does at kinks (``select_n`` on comparisons, dividing by tie
    counts for ``max``, ``custom_jvp`` / ``custom_vjp`` rules) is in that jaxpr and so in the
    program: use it as ``check(from_jax(f, x), field=jax_derivative(f, x))``.
    """
    with _float64() as jax:
        import jax.numpy as jnp

        arrays, variables, inputs = _prepare(f, example_args, names)
        argnums = tuple(range(len(arrays)))
        shapes = jax.tree_util.tree_leaves(jax.eval_shape(f, *arrays))
        if not shapes:
            raise InputError("the function returns no numbers, so it has no derivative")
        for s in shapes:
            if not jnp.issubdtype(s.dtype, jnp.floating):
                raise InputError(f"the function returns a {s.dtype} output; jax_derivative needs float outputs")
        scalar = len(shapes) == 1 and tuple(shapes[0].shape) == ()
        if scalar:
            derivative = jax.grad(f, argnums=argnums)
        else:
            def flat_outputs(*args):
                return jnp.concatenate([jnp.ravel(leaf) for leaf in jax.tree_util.tree_leaves(f(*args))])
            derivative = jax.jacrev(flat_outputs, argnums=argnums)
        closed = jax.make_jaxpr(derivative)(*arrays)
        parts = convert_jaxpr(closed, inputs)
    if scalar:
        outputs = tuple(n for t in parts for n in _numeric_items(t))
    else:
        m = sum(int(_size(s.shape)) for s in shapes)
        blocks = [t.reshape((m, t.size // m if m else 0)) for t in parts]
        outputs = _numeric_items(Tensor.concatenate(blocks, 1)) if len(blocks) > 1 else _numeric_items(blocks[0])
    return Program(tuple(variables), tuple(outputs))


def _size(shape) -> int:
    out = 1
    for d in shape:
        out *= int(d)
    return out
