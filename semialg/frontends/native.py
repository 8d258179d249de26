"""A framework's own function and derivative, as two programs.

``semialg check FILE.py:NAME --framework jax --example 0,0`` and
``semialg.check(f, framework="jax", example=(0.0, 0.0))`` come here: the callable is
loaded from its file (:func:`load_callable`), the example values become the framework's
float64 arrays (:func:`example_arguments`), and the framework's own tracer gives the
program and the derivative the framework computes (:func:`trace`). The check then decides
whether *that* derivative, custom rules included, is a conservative field.

How the example is read: a function of one array parameter gets the values as one vector
(``f(x)`` with ``x = [0., 0.]``); a function of as many scalar parameters as values gets one
each (``f(x, y)``).

>>> parse_example("0, 1/2, -3")
(Fraction(0, 1), Fraction(1, 2), Fraction(-3, 1))
>>> parse_example("0, a")
Traceback (most recent call last):
...
semialg.core.errors.InputError: --example: 'a' (entry 2) is not a number; give comma-separated numbers such as 0,1/2,-3
"""
from __future__ import annotations

import difflib
import importlib.util
import inspect
import os
from fractions import Fraction
from typing import Callable, Sequence

from semialg.core.dag import Program
from semialg.core.errors import InputError, SemialgError

__all__ = ["FRAMEWORKS", "load_callable", "parse_example", "positional_arity", "example_arguments", "trace",
           "framework_gradient"]

FRAMEWORKS = {"jax": "pip install jax jaxlib", "torch": "pip install torch==2.13.0"}
"""The frameworks whose own derivative can be checked, and how to install each."""

_ALIASES = {"pytorch": "torch", "jax": "jax", "torch": "torch"}


def framework_name(name: str) -> str:
    """``jax`` or ``torch`` (``pytorch`` accepted); InputError otherwise."""
    key = _ALIASES.get(str(name).lower())
    if key is None:
        raise InputError(f"--framework {name}: unknown framework; give one of: jax, torch")
    return key


def require(framework: str):
    """Import the framework, or say how to install it."""
    framework = framework_name(framework)
    try:
        return importlib.import_module(framework)
    except ImportError:
        raise InputError(f"--framework {framework} needs {framework} installed: {FRAMEWORKS[framework]}") from None


def load_callable(spec: str) -> Callable:
    """The object ``NAME`` defined in ``FILE.py`` for a spec ``FILE.py:NAME``."""
    path, sep, name = spec.rpartition(":")
    if not sep or not path.endswith(".py") or not name:
        raise InputError(f"{spec!r}: expected FILE.py:NAME, e.g. model.py:f (a Python file and the function or "
                         f"module object defined in it)")
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    module_name = "semialg_user_" + os.path.splitext(os.path.basename(path))[0].replace("-", "_")
    spec_obj = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec_obj)
    try:
        spec_obj.loader.exec_module(module)
    except Exception as exc:  # the user's file: report its error, not a traceback of ours
        raise InputError(f"{path}: running the file raised {type(exc).__name__}: {exc}") from None
    obj = getattr(module, name, None)
    if obj is None:
        defined = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_")
                         and getattr(v, "__module__", None) == module_name)
        close = difflib.get_close_matches(name, defined, n=1)
        hint = f"; did you mean {close[0]}?" if close else (f"; it defines: {', '.join(defined)}" if defined else "")
        raise InputError(f"{path} defines no {name}{hint}")
    if inspect.isclass(obj):
        raise InputError(f"{spec}: {name} is a class; check an instance (e.g. model = {name}() in the file, then "
                         f"{path}:model)")
    if not callable(obj):
        raise InputError(f"{spec}: {name} is a {type(obj).__name__}, not a function or module")
    return obj


def parse_example(text: str) -> tuple[Fraction, ...]:
    """``"0,1/2,-3"`` as exact numbers (the CLI's ``--example``)."""
    values = []
    for k, part in enumerate(text.split(","), 1):
        part = part.strip()
        try:
            values.append(Fraction(part))
        except (ValueError, ZeroDivisionError):
            raise InputError(f"--example: {part!r} (entry {k}) is not a number; give comma-separated numbers such as "
                             f"0,1/2,-3") from None
    return tuple(values)


def positional_arity(f: Callable) -> int | None:
    """How many positional parameters ``f`` (or a module's ``forward``) takes; None if unknown."""
    target = getattr(f, "forward", f)
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = [p for p in sig.parameters.values() if p.kind in kinds and p.default is inspect.Parameter.empty]
    if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in sig.parameters.values()):
        return None
    return len(params)


def example_arguments(f: Callable, example, framework: str) -> tuple:
    """The example as the framework's float64 arguments (see the module docstring)."""
    framework = framework_name(framework)
    if isinstance(example, tuple) and example and all(hasattr(e, "shape") for e in example):
        return example  # already the framework's arrays
    if hasattr(example, "shape"):
        return (example,)
    values = [float(Fraction(v) if isinstance(v, str) else v) for v in example]
    arity = positional_arity(f)
    if arity is not None and arity not in (1, len(values)):
        raise InputError(f"the function takes {arity} positional argument{'s' if arity != 1 else ''} but the example "
                         f"has {len(values)} value{'s' if len(values) != 1 else ''}: give one value per scalar "
                         f"argument, or the entries of its one vector argument")
    as_vector = arity == 1
    if framework == "jax":
        import numpy as np  # the framework's input container; JAX depends on numpy
        return (np.array(values, dtype=np.float64),) if as_vector else tuple(np.float64(v) for v in values)
    torch = require("torch")
    if as_vector:
        return (torch.tensor(values, dtype=torch.float64),)
    return tuple(torch.tensor(v, dtype=torch.float64) for v in values)


def trace(f: Callable, framework: str, example, names: Sequence[str] | None = None) -> tuple[Program, Program]:
    """``(program, derivative)``: the function and the derivative the framework itself computes."""
    framework = framework_name(framework)
    require(framework)
    args = example_arguments(f, example, framework)
    if framework == "jax":
        from semialg.frontends.jax import from_jax as function, jax_derivative as derivative
    else:
        from semialg.frontends.torch import from_torch as function, torch_derivative as derivative
    try:
        return function(f, *args, names=names), derivative(f, *args, names=names)
    except SemialgError:
        raise
    except Exception as exc:  # the user's function failed on the example (shape, dtype, ...)
        shapes = ", ".join(str(tuple(getattr(a, "shape", ()))) for a in args)
        raise InputError(f"tracing {getattr(f, '__name__', type(f).__name__)} with {framework} at the example "
                         f"(argument shapes {shapes}) raised {type(exc).__name__}: {str(exc).rstrip('.')}. Check that the example "
                         f"has the shape the function expects; if the function runs on it in {framework}, "
                         f"please report this") from None


def framework_gradient(f: Callable, framework: str, example, point: Sequence) -> tuple[float, ...]:
    """What the framework's own autodiff returns at ``point`` (floats; the Jacobian row-major).

    ``example`` fixes how the arguments are laid out (as for :func:`trace`); ``point`` holds
    the values of the flattened input variables. Used to confirm a witness with the
    framework itself: at a dyadic point in float64 the numbers are exact.
    """
    framework = framework_name(framework)
    args = example_arguments(f, [float(v) for v in point], framework) if not _is_arrays(example) else \
        _like(example, point, framework)
    argnums = tuple(range(len(args)))
    if framework == "jax":
        require("jax")
        from semialg.frontends.jax import _float64
        with _float64() as jax:
            import jax.numpy as jnp
            args = tuple(jnp.asarray(a, dtype=jnp.float64) for a in args)
            out = jax.jacrev(f, argnums=argnums)(*args)
            return tuple(float(v) for v in _flatten_jacobian(jnp, out, args))
    torch = require("torch")
    # torch.autograd (not torch.func): it also runs autograd.Functions without setup_context
    out = torch.autograd.functional.jacobian(f, args)
    return tuple(float(v) for v in _flatten_jacobian(torch, tuple(out), args))


def _is_arrays(example) -> bool:
    return hasattr(example, "shape") or (isinstance(example, tuple) and bool(example)
                                         and all(hasattr(e, "shape") for e in example))


def _like(example, point, framework):
    """Arrays shaped like the example's, filled with ``point`` in row-major order."""
    arrays = (example,) if hasattr(example, "shape") else example
    out, k = [], 0
    for a in arrays:
        size = 1
        for d in a.shape:
            size *= d
        values = [float(v) for v in point[k:k + size]]
        k += size
        if framework == "jax":
            import numpy as np
            out.append(np.array(values, dtype=np.float64).reshape(a.shape))
        else:
            import torch
            out.append(torch.tensor(values, dtype=torch.float64).reshape(a.shape))
    return tuple(out)


def _flatten_jacobian(lib, blocks, args) -> list[float]:
    """jacrev's blocks d(output)/d(arg_j) (shape output.shape + arg_j.shape, one per argument) as
    the rows of the Jacobian over the flattened inputs, concatenated row-major."""
    blocks = blocks if isinstance(blocks, tuple) else (blocks,)
    sizes = [max(1, _size(a)) for a in args]
    n_out = _size(blocks[0]) // sizes[0]
    matrices = [b.reshape(n_out, size).tolist() for b, size in zip(blocks, sizes)]
    return [v for i in range(n_out) for m in matrices for v in m[i]]


def _size(array) -> int:
    size = 1
    for d in array.shape:
        size *= d
    return size
