"""Measure what PyTorch and JAX return for roots, quotients and norms (values and derivatives).

For each case (a semialg program text, its PyTorch and JAX spellings, an exact point) the
installed frameworks are run in float64 on CPU, and the table gives, per framework:
the value, the reverse-mode gradient (``torch.autograd.grad`` / ``jax.grad``) and the
forward-mode gradient (``torch.func.jvp`` / ``jax.jvp`` along each basis direction, one
component per direction). Numbers are printed exactly when the float is a dyadic rational with
a small denominator (``3/4``), else as the float (``1.3333333333333333``); ``nan``, ``inf``,
``-inf`` and ``-0`` are printed as the frameworks return them, per input component. A ``*``
after a forward-mode entry marks a difference from reverse mode.

The cases are the ground truth for the presets ``pytorch`` and ``jax`` on the lifted primitives
(``sqrt``, ``cbrt``, ``/``, ``** (p/q)``, ``norm``, ``norm1``, ``norminf``); see
``docs/frameworks_lifted.md``. Not a test (``tests/test_presets_lifted.py`` is).

Usage: python benchmarks/measure_lifted.py [--dtype float64|float32] [--dtype-diff]
  --dtype-diff: print only the cases where float32 and float64 differ in their non-finite
  pattern (nan / inf / -inf / finite, per component).
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

F = Fraction


@dataclass(frozen=True)
class Case:
    """One measured program: ``text`` in semialg syntax, ``torch_fn`` / ``jax_fn`` take the list
    of scalar inputs (in ``names`` order) and return a scalar; ``None`` means no spelling."""
    label: str
    text: str
    names: tuple[str, ...]
    points: tuple[tuple[Fraction, ...], ...]
    torch_fn: Callable | None
    jax_fn: Callable | None


def _t():
    import torch
    return torch


def _j():
    import jax.numpy as jnp
    return jnp


def _torch_where(cond, a, b):
    torch = _t()
    return torch.where(cond, a, torch.zeros_like(a) + b)


def _shared_where(lib, a):
    s = lib.sqrt(a)   # one node, two uses: its cotangent is the sum before the partial multiplies it
    return lib.where(a > 0, s, -s)


def _relu_t(a):
    return _t().relu(a)


def _relu_j(a):
    import jax
    return jax.nn.relu(a)


def _power_cases() -> list[Case]:
    cases = []
    for p, q in ((1, 2), (3, 2), (2, 3), (-1, 2)):
        e = p / q
        pts = ((F(0),), (F(1, 4),), (F(-1, 4),)) + (((F(1, 8),), (F(-1, 8),)) if q == 3 else ())
        cases.append(Case(f"torch.pow / jnp.power(x, {p}/{q})", f"x ** ({p}/{q})", ("x",), pts,
                          lambda v, e=e: _t().pow(v[0], e), lambda v, e=e: _j().power(v[0], e)))
        cases.append(Case(f"x ** ({p}/{q}) (operator)", f"x ** ({p}/{q})", ("x",), pts,
                          lambda v, e=e: v[0] ** e, lambda v, e=e: v[0] ** e))
    return cases


def _norm_cases() -> list[Case]:
    def tn(ord_):
        if ord_ is None:   # the default spelling, ord=2
            return lambda v: _t().linalg.vector_norm(_t().stack(v))
        return lambda v: _t().linalg.vector_norm(_t().stack(v), ord=ord_)

    def jn(ord_):
        if ord_ is None:   # the default spelling (sqrt of the sum of squares)
            return lambda v: _j().linalg.norm(_j().stack(v))
        return lambda v: _j().linalg.norm(_j().stack(v), ord=ord_)

    pairs = ((F(0), F(0)), (F(0), F(1)), (F(1), F(0)))
    ties = ((F(1), F(-1)), (F(-1), F(1)), (F(1), F(1)), (F(-1), F(-1)))
    return [
        Case("vector_norm / linalg.norm (L2)", "norm(x, y)", ("x", "y"), pairs, tn(None), jn(None)),
        Case("L2 norm of one entry", "norm(x)", ("x",), ((F(0),), (F(-1, 2),)), tn(None), jn(None)),
        Case("hand-written sqrt(x**2 + y**2)", "sqrt(x**2 + y**2)", ("x", "y"), ((F(0), F(0)),),
             lambda v: _t().sqrt(v[0] ** 2 + v[1] ** 2), lambda v: _j().sqrt(v[0] ** 2 + v[1] ** 2)),
        Case("vector_norm ord=1 / linalg.norm ord=1", "norm1(x, y)", ("x", "y"), pairs + ties, tn(1), jn(1)),
        Case("vector_norm ord=inf / linalg.norm ord=inf", "norminf(x, y)", ("x", "y"), pairs + ties,
             tn(math.inf), jn(math.inf)),
        Case("L1 norm of three entries", "norm1(x, y, z)", ("x", "y", "z"), ((F(0), F(0), F(0)),), tn(1), jn(1)),
        Case("Linf norm of three entries", "norminf(x, y, z)", ("x", "y", "z"),
             ((F(0), F(0), F(0)), (F(1), F(-1), F(1)), (F(1, 2), F(-1), F(1))), tn(math.inf), jn(math.inf)),
    ]


def cases() -> list[Case]:
    """Every measured case, in table order."""
    x = ("x",)
    out = [
        Case("sqrt", "sqrt(x)", x, ((F(0),), (F(1, 4),), (F(-1, 4),)),
             lambda v: _t().sqrt(v[0]), lambda v: _j().sqrt(v[0])),
        Case("cbrt (jnp.cbrt; torch.pow(x, 1/3))", "cbrt(x)", x, ((F(0),), (F(-1, 8),), (F(1, 8),)),
             lambda v: _t().pow(v[0], 1 / 3), lambda v: _j().cbrt(v[0])),
        Case("cbrt as sign(x) * abs(x) ** (1/3)", "cbrt(x)", x, ((F(0),), (F(-1, 8),), (F(1, 8),)),
             lambda v: _t().sign(v[0]) * _t().abs(v[0]) ** (1 / 3),
             lambda v: _j().sign(v[0]) * _j().abs(v[0]) ** (1 / 3)),
        Case("sqrt of a negation, spelled -x", "sqrt(-x)", x, ((F(0),), (F(-1, 4),)),
             lambda v: _t().sqrt(-v[0]), lambda v: _j().sqrt(-v[0])),
        Case("sqrt of a negation, spelled 0 - x", "sqrt(-x)", x, ((F(0),), (F(-1, 4),)),
             lambda v: _t().sqrt(0 - v[0]), lambda v: _j().sqrt(0 - v[0])),
        Case("quotient a / b", "a / b", ("a", "b"),
             ((F(1), F(0)), (F(-1), F(0)), (F(0), F(0)), (F(1), F(2)), (F(3), F(-4))),
             lambda v: v[0] / v[1], lambda v: v[0] / v[1]),
        Case("quotient by a negation, spelled a / (-b)", "a / (-b)", ("a", "b"), ((F(1), F(0)),),
             lambda v: v[0] / (-v[1]), lambda v: v[0] / (-v[1])),
        Case("quotient 1 / x", "1 / x", x, ((F(0),), (F(-1, 2),)),
             lambda v: 1.0 / v[0], lambda v: 1.0 / v[0]),
        *_power_cases(),
        *_norm_cases(),
        Case("where(x > 0, sqrt(x), 0)", "where(x > 0, sqrt(x), 0)", x, ((F(0),), (F(-1),), (F(1),)),
             lambda v: _torch_where(v[0] > 0, _t().sqrt(v[0]), 0.0),
             lambda v: _j().where(v[0] > 0, _j().sqrt(v[0]), 0.0)),
        Case("where(x > 0, x / y, 0)", "where(x > 0, x / y, 0)", ("x", "y"),
             ((F(1), F(0)), (F(-1), F(0)), (F(0), F(0)), (F(1), F(2))),
             lambda v: _torch_where(v[0] > 0, v[0] / v[1], 0.0),
             lambda v: _j().where(v[0] > 0, v[0] / v[1], 0.0)),
        Case("where(x > 0, s, -s), s = sqrt(x) shared", "where(x > 0, sqrt(x), -sqrt(x))", x, ((F(0),), (F(1),)),
             lambda v: _shared_where(_t(), v[0]), lambda v: _shared_where(_j(), v[0])),
        Case("where(x > 0, sqrt(x), -sqrt(x)), sqrt computed twice", "where(x > 0, sqrt(x), -sqrt(x))", x,
             ((F(0),), (F(1),)),
             lambda v: _t().where(v[0] > 0, _t().sqrt(v[0]), -_t().sqrt(v[0])),
             lambda v: _j().where(v[0] > 0, _j().sqrt(v[0]), -_j().sqrt(v[0]))),
        Case("relu(x) ** (3/2)", "relu(x) ** (3/2)", x, ((F(0),), (F(1, 4),), (F(-1, 4),)),
             lambda v: _relu_t(v[0]) ** 1.5, lambda v: _relu_j(v[0]) ** 1.5),
        Case("sqrt(relu(x))", "sqrt(relu(x))", x, ((F(0),), (F(1, 4),), (F(-1, 4),)),
             lambda v: _t().sqrt(_relu_t(v[0])), lambda v: _j().sqrt(_relu_j(v[0]))),
    ]
    return out


# --------------------------------------------------------------------------- running the frameworks
def torch_measure(fn, point, dtype: str = "float64"):
    """(value, reverse gradient, forward gradient) of ``fn`` at ``point`` with PyTorch."""
    import torch
    import torch.func
    dt = getattr(torch, dtype)
    xs = [torch.tensor(float(p), dtype=dt, requires_grad=True) for p in point]
    out = fn(xs)
    if out.requires_grad:
        grads = torch.autograd.grad(out, xs, allow_unused=True)
        reverse = tuple(0.0 if g is None else g.item() for g in grads)
    else:
        reverse = (0.0,) * len(point)
    primals = tuple(torch.tensor(float(p), dtype=dt) for p in point)
    forward = []
    for i in range(len(point)):
        tangents = tuple(torch.tensor(float(i == k), dtype=dt) for k in range(len(point)))
        _, tangent_out = torch.func.jvp(lambda *v: fn(list(v)), primals, tangents)
        forward.append(tangent_out.item())
    return out.item(), reverse, tuple(forward)


def jax_measure(fn, point, dtype: str = "float64"):
    """(value, reverse gradient, forward gradient) of ``fn`` at ``point`` with JAX."""
    import jax
    import jax.numpy as jnp
    with jax.enable_x64(dtype == "float64"):
        dt = getattr(jnp, dtype)
        xs = tuple(jnp.asarray(float(p), dtype=dt) for p in point)
        g = lambda *v: fn(list(v))
        value, reverse = jax.value_and_grad(g, argnums=tuple(range(len(point))))(*xs)
        forward = []
        for i in range(len(point)):
            tangents = tuple(jnp.asarray(float(i == k), dtype=dt) for k in range(len(point)))
            forward.append(float(jax.jvp(g, xs, tangents)[1]))
        return float(value), tuple(float(r) for r in reverse), tuple(forward)


def measure(dtype: str = "float64"):
    """Rows ``(case, point, {framework: (value, reverse, forward)})`` for the installed frameworks."""
    import importlib.util
    runners = {}
    if importlib.util.find_spec("torch"):
        runners["PyTorch"] = ("torch_fn", torch_measure)
    if importlib.util.find_spec("jax"):
        runners["JAX"] = ("jax_fn", jax_measure)
    rows = []
    for case in cases():
        for point in case.points:
            got = {}
            for name, (attr, run) in runners.items():
                fn = getattr(case, attr)
                got[name] = None if fn is None else run(fn, point, dtype)
            rows.append((case, point, got))
    return rows


# --------------------------------------------------------------------------- formatting
def show(v: float) -> str:
    """A float as the frameworks return it: nan / inf / -inf / -0, exact small dyadics, else repr."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    f = Fraction(v)
    return str(f) if f.denominator <= 1 << 12 else repr(v)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def pattern(v: float) -> str:
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) else "finite"


def cell(result) -> tuple[str, str, str]:
    if result is None:
        return "-", "-", "-"
    value, reverse, forward = result
    fwd = [show(f) + ("" if same(f, r) else "*") for f, r in zip(forward, reverse)]
    paren = (lambda xs: xs[0] if len(xs) == 1 else "(" + ", ".join(xs) + ")")
    return show(value), paren([show(r) for r in reverse]), paren(fwd)


def table(rows, frameworks=("PyTorch", "JAX")) -> str:
    head = ["spelling", "semialg", "point"]
    for name in frameworks:
        head += [f"{name} value", f"{name} reverse", f"{name} forward"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, point, got in rows:
        where = ", ".join(f"{n}={p}" for n, p in zip(case.names, point))
        cells = [case.label, f"`{case.text}`", where]
        for name in frameworks:
            cells += cell(got.get(name))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def dtype_differences(rows64, rows32) -> str:
    """The rows whose non-finite pattern differs between float64 and float32."""
    lines = ["| spelling | point | framework | float64 (value; reverse; forward) | float32 |", "|---|---|---|---|---|"]
    for (case, point, got64), (_, _, got32) in zip(rows64, rows32):
        for name, r64 in got64.items():
            r32 = got32[name]
            if r64 is None:
                continue
            flat64 = [r64[0], *r64[1], *r64[2]]
            flat32 = [r32[0], *r32[1], *r32[2]]
            if [pattern(v) for v in flat64] != [pattern(v) for v in flat32]:
                where = ", ".join(f"{n}={p}" for n, p in zip(case.names, point))
                lines.append(f"| {case.label} | {where} | {name} | {'; '.join(cell(r64))} | {'; '.join(cell(r32))} |")
    return "\n".join(lines) if len(lines) > 2 else "(no differences in the nan/inf pattern)"


def versions() -> str:
    import importlib.util
    out = []
    if importlib.util.find_spec("torch"):
        import torch
        out.append(f"torch {torch.__version__}")
    if importlib.util.find_spec("jax"):
        import jax
        import jaxlib
        out.append(f"jax {jax.__version__} (jaxlib {jaxlib.__version__})")
    return ", ".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--dtype-diff", action="store_true")
    args = parser.parse_args(argv)
    import importlib.util
    if not any(importlib.util.find_spec(name) for name in ("torch", "jax")):
        raise SystemExit("neither torch nor jax is installed: nothing to measure (activate the venv?)")
    print(f"<!-- measured with {versions()}, CPU, {args.dtype if not args.dtype_diff else 'float64 vs float32'} -->")
    if args.dtype_diff:
        print(dtype_differences(measure("float64"), measure("float32")))
    else:
        print(table(measure(args.dtype)))


if __name__ == "__main__":
    main()
