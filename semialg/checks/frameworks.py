"""The presets measured against the installed frameworks: what backprop returns at each kink.

:func:`measure` runs every installed framework (PyTorch, JAX; imported lazily, an absent one
is skipped and the table says so) on a fixed list of kinks and spellings, the rows of the
summary table of docs/frameworks.md that a framework can spell, in float64 reverse mode, and
puts beside each measured derivative the preset's value,
:func:`semialg.rules.derivative_at` of the semialg spelling of the row. A row *agrees* when
the two are equal exactly (float64 holds the dyadic values exactly; an even split over three
tied entries, 1/3, is compared to within 2**-40). The spelling is the code that ran, so the
table shows exactly what was measured.

The kink list without any framework (``measure`` needs torch or jax to fill it):

>>> [k.kink for k in KINKS[:3]]
['relu at 0', 'relu spelled maximum(x, 0)', 'relu spelled maximum(0, x)']
>>> sorted({fw for k in KINKS for fw in k.spellings})
['jax', 'pytorch']
"""
from __future__ import annotations

import contextlib
import importlib
import importlib.util
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from semialg.core.errors import InputError
from semialg.frontends.tensors import exact_float
from semialg.frontends.text import parse
from semialg.rules import MODELLED_VERSIONS, derivative_at, fmt_exact, get_rule

SUPPORTED = ("pytorch", "jax")
MODULES = {"pytorch": "torch", "jax": "jax"}
INSTALL = {"pytorch": "pip install torch==2.13.0", "jax": "pip install jax jaxlib"}
ROUNDING = Fraction(1, 2 ** 40)
"""Tolerance (relative) for a non-dyadic preset value such as 1/3, which float64 rounds."""


@dataclass(frozen=True)
class Spelling:
    """How one framework spells a kink: ``code`` (a Python expression over ``v``, the input
    vector, and its entries ``x, y, z`` or the row's variable names), with the semialg
    ``program`` and rule ``overrides`` it corresponds to (None: the row's program)."""

    code: str
    program: str | None = None
    overrides: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kink:
    """One row of the kink list: a description, the semialg spelling, its variables, the point."""

    kink: str
    program: str
    variables: tuple[str, ...]
    point: tuple[Fraction, ...]
    spellings: dict = field(default_factory=dict, hash=False, compare=False)


def _kink(kink: str, program: str, point: str, variables: str = "x", **spellings) -> Kink:
    values = tuple(Fraction(p) for p in point.split(","))
    spelled = {fw: (s if isinstance(s, Spelling) else Spelling(s)) for fw, s in spellings.items()}
    return Kink(kink, program, tuple(variables.split(",")), values, spelled)


_ZERO_T = "torch.zeros_like(x)"
_SORT17 = ",".join("1" if i % 3 == 0 else "0" for i in range(17))   # 1, 0, 0, 1, 0, 0, ...: three-way ties and more
_VARS17 = ",".join(f"x{i}" for i in range(17))
KINKS: tuple[Kink, ...] = (
    _kink("relu at 0", "relu(x)", "0", pytorch="torch.relu(x)", jax="jax.nn.relu(x)"),
    _kink("relu spelled maximum(x, 0)", "max(x, 0)", "0",
          pytorch=f"torch.maximum(x, {_ZERO_T})", jax="jnp.maximum(x, 0.0)"),
    _kink("relu spelled maximum(0, x)", "max(0, x)", "0",
          pytorch=f"torch.maximum({_ZERO_T}, x)", jax="jnp.maximum(0.0, x)"),
    _kink("relu spelled clamp(x, min=0)", "clamp(x, 0, inf)", "0",
          pytorch="torch.clamp(x, min=0.0)", jax="lax.clamp(0.0, x, jnp.inf)"),
    _kink("relu spelled clip(x, min=0)", "clip(x, 0, inf)", "0",
          pytorch="torch.clip(x, min=0.0)", jax="jnp.clip(x, min=0.0)"),
    _kink("abs at 0", "abs(x)", "0", pytorch="torch.abs(x)", jax="jnp.abs(x)"),
    _kink("sign at 0", "sign(x)", "0", pytorch="torch.sign(x)", jax="jnp.sign(x)"),
    _kink("floor at 0", "floor(x)", "0", pytorch="torch.floor(x)", jax="jnp.floor(x)"),
    _kink("round at 1/2", "round(x)", "1/2", pytorch="torch.round(x)", jax="jnp.round(x)"),
    _kink("maximum(x, y) at a tie", "max(x, y)", "0,0", "x,y", pytorch="torch.maximum(x, y)", jax="jnp.maximum(x, y)"),
    _kink("minimum(x, y) at a tie", "min(x, y)", "0,0", "x,y", pytorch="torch.minimum(x, y)", jax="jnp.minimum(x, y)"),
    _kink("fmax(x, y) at a tie", "max(x, y)", "0,0", "x,y",
          pytorch=Spelling("torch.fmax(x, y)", overrides=("max.tie=first",)),
          jax=Spelling("jnp.fmax(x, y)", overrides=("max.tie=last",))),
    _kink("max reduction, two tied", "max(x, y, z)", "1,0,1", "x,y,z", pytorch="torch.amax(v)", jax="jnp.max(v)"),
    _kink("max reduction, three tied", "max(x, y, z)", "1,1,1", "x,y,z", pytorch="torch.amax(v)", jax="jnp.max(v)"),
    _kink("min reduction, two tied", "min(x, y, z)", "0,1,0", "x,y,z", pytorch="torch.amin(v)", jax="jnp.min(v)"),
    _kink("torch.max(x, dim).values with ties", "max(x, y, z)", "1,0,1", "x,y,z",
          pytorch=Spelling("torch.max(v, dim=0).values", overrides=("max.tie=first",))),
    _kink("torch.min(x, dim).values with ties", "min(x, y, z)", "0,1,0", "x,y,z",
          pytorch=Spelling("torch.min(v, dim=0).values", overrides=("min.tie=first",))),
    _kink("sort ascending, ties", "sort(x, y, z)", "1,0,1", "x,y,z", pytorch="torch.sort(v).values", jax="jnp.sort(v)"),
    _kink("sort ascending, 17 entries, ties",
          f"sort({_VARS17.replace(',', ', ')})", _SORT17, _VARS17,
          pytorch="torch.sort(v, stable=True).values", jax="jnp.sort(v)"),
    _kink("sort descending, ties", "-sort(-x, -y, -z)[0], -sort(-x, -y, -z)[1], -sort(-x, -y, -z)[2]", "1,0,1", "x,y,z",
          pytorch="torch.sort(v, descending=True).values",
          jax=Spelling("jnp.sort(v, descending=True)", "sort(x, y, z)[2], sort(x, y, z)[1], sort(x, y, z)[0]")),
    _kink("clip(x, 0, 1) at 0", "clip(x, 0, 1)", "0", pytorch="torch.clip(x, 0.0, 1.0)", jax="jnp.clip(x, 0.0, 1.0)"),
    _kink("clip(x, 0, 1) at 1", "clip(x, 0, 1)", "1", pytorch="torch.clip(x, 0.0, 1.0)", jax="jnp.clip(x, 0.0, 1.0)"),
    _kink("clamp(x, 0, 1) at 0", "clamp(x, 0, 1)", "0", pytorch="torch.clamp(x, 0.0, 1.0)", jax="lax.clamp(0.0, x, 1.0)"),
    _kink("clamp(x, 0, 1) at 1", "clamp(x, 0, 1)", "1", pytorch="torch.clamp(x, 0.0, 1.0)", jax="lax.clamp(0.0, x, 1.0)"),
    _kink("clip(x, y, z) at x = y < z", "clip(x, y, z)", "0,0,1", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="jnp.clip(x, y, z)"),
    _kink("clip(x, y, z) at x = y = z", "clip(x, y, z)", "0,0,0", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="jnp.clip(x, y, z)"),
    _kink("clip(x, y, z) at x < y = z", "clip(x, y, z)", "-1,0,0", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="jnp.clip(x, y, z)"),
    _kink("clamp(x, y, z) at x = y < z", "clamp(x, y, z)", "0,0,1", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="lax.clamp(y, x, z)"),
    _kink("clamp(x, y, z) at x = y = z", "clamp(x, y, z)", "0,0,0", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="lax.clamp(y, x, z)"),
    _kink("clamp(x, y, z) at x < y = z", "clamp(x, y, z)", "-1,0,0", "x,y,z",
          pytorch="torch.clamp(x, y, z)", jax="lax.clamp(y, x, z)"),
    _kink("leaky_relu(x, 1/8) at 0", "leaky_relu(x, 1/8)", "0",
          pytorch="F.leaky_relu(x, 0.125)", jax="jax.nn.leaky_relu(x, 0.125)"),
    _kink("hardtanh at -1", "hardtanh(x)", "-1", pytorch="F.hardtanh(x)", jax="jax.nn.hard_tanh(x)"),
    _kink("hardtanh at 1", "hardtanh(x)", "1", pytorch="F.hardtanh(x)", jax="jax.nn.hard_tanh(x)"),
    _kink("relu6 at 0", "relu6(x)", "0", pytorch="F.relu6(x)", jax="jax.nn.relu6(x)"),
    _kink("relu6 at 6", "relu6(x)", "6", pytorch="F.relu6(x)", jax="jax.nn.relu6(x)"),
    _kink("where(x > 0, x, 0) at 0", "where(x > 0, x, 0)", "0",
          pytorch=f"torch.where(x > 0, x, {_ZERO_T})", jax="jnp.where(x > 0, x, 0.0)"),
    _kink("where(x >= 0, x, -x) at 0", "where(x >= 0, x, -x)", "0",
          pytorch="torch.where(x >= 0, x, -x)", jax="jnp.where(x >= 0, x, -x)"),
    _kink("max_pool 2x2 with ties", "max(a, b, c, d)", "1,1,0,1", "a,b,c,d",
          pytorch=Spelling("F.max_pool2d(v.reshape(1, 1, 2, 2), 2).reshape(())", overrides=("max.tie=first",)),
          jax=Spelling('lax.reduce_window(v.reshape(2, 2), -jnp.inf, lax.max, (2, 2), (1, 1), "VALID").reshape(())',
                       overrides=("max.tie=first",))),
    _kink("L1 norm, a component at 0", "abs(x) + abs(y)", "0,1", "x,y",
          pytorch="torch.linalg.vector_norm(v, ord=1)", jax="jnp.linalg.norm(v, ord=1)"),
)
"""The kinks measured, in the order of docs/frameworks.md."""

Matrix = tuple[tuple[Fraction, ...], ...]


@dataclass(frozen=True)
class KinkRow:
    """One (kink, framework) measurement. ``measured``/``preset``: one gradient per output
    (``preset`` is None when the preset gives several vertices; ``note`` says how many)."""

    kink: str
    framework: str
    spelling: str
    program: str
    overrides: tuple[str, ...]
    variables: tuple[str, ...]
    point: tuple[Fraction, ...]
    measured: Matrix
    preset: Matrix | None
    agrees: bool
    note: str = ""

    @property
    def rule(self) -> str:
        return get_rule(self.framework, self.overrides).name

    def to_json(self) -> dict:
        return {"kink": self.kink, "framework": self.framework, "spelling": self.spelling, "program": self.program,
                "rule": self.rule, "point": {v: fmt_exact(p) for v, p in zip(self.variables, self.point)},
                "measured": [[fmt_exact(c) for c in g] for g in self.measured],
                "preset": None if self.preset is None else [[fmt_exact(c) for c in g] for g in self.preset],
                "agrees": self.agrees, "note": self.note}


@dataclass(frozen=True)
class FrameworkVersion:
    """A framework asked for: its installed version (None when absent) and the one its preset models."""

    framework: str
    installed: str | None
    modelled: str | None
    note: str = ""

    def to_json(self) -> dict:
        return {"framework": self.framework, "installed": self.installed, "modelled": self.modelled,
                "note": self.note}


@dataclass(frozen=True)
class KinkTable:
    """The measured table: ``rows`` (one per kink and installed framework) and ``versions``."""

    rows: tuple[KinkRow, ...]
    versions: tuple[FrameworkVersion, ...]

    @property
    def disagreements(self) -> tuple[KinkRow, ...]:
        return tuple(r for r in self.rows if not r.agrees)

    @property
    def agrees(self) -> bool:
        """Every measured row agrees with its preset (vacuously true with no rows)."""
        return not self.disagreements

    def to_text(self) -> str:
        lines = ["presets against the installed frameworks (float64, reverse mode)"]
        for v in self.versions:
            installed = f"{MODULES[v.framework]} {v.installed}" if v.installed is not None else "not installed"
            lines.append(f"  {v.framework:<8} installed: {installed:<20} preset models: {v.modelled or '-'}"
                         + (f"   ({v.note})" if v.note else ""))
        header = ("kink", "framework", "spelling", "semialg", "at", "measured", "preset", "")
        body = [(r.kink, r.framework, r.spelling, _shorten(r.program) + "".join(f" --set {o}" for o in r.overrides),
                 _fmt_point(r.point), _fmt_matrix(r.measured, exact=r.agrees),
                 _fmt_matrix(r.preset) if r.preset is not None else r.note,
                 "ok" if r.agrees else "DIFFERS") for r in self.rows]
        body = [tuple(_fit(cell, {2: 34, 3: 30, 4: 18}.get(i, 24)) if i >= 2 else cell for i, cell in enumerate(row)) for row in body]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines.append("")
        for row in [header, *body]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        n, bad = len(self.rows), len(self.disagreements)
        lines.append("")
        if not n:
            lines.append("no framework measured")
        elif bad:
            lines.append(f"{bad} of {n} rows DIFFER: the preset does not model the installed framework there")
        else:
            lines.append(f"all {n} rows agree")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"versions": [v.to_json() for v in self.versions], "agrees": self.agrees,
                "n_rows": len(self.rows), "n_disagreements": len(self.disagreements),
                "rows": [r.to_json() for r in self.rows]}


def _fit(cell: str, width: int) -> str:
    """A table cell cut to ``width`` characters (the JSON has it whole)."""
    return cell if len(cell) <= width else cell[:width - 3] + "..."


def _fmt_point(point: Sequence[Fraction]) -> str:
    """``0`` for one variable, ``1, 0, 1`` for several; long points abbreviated (the JSON has them whole)."""
    shown = [fmt_exact(p) for p in point]
    if len(shown) > 6:
        return ", ".join(shown[:6]) + f", ... ({len(shown)} entries)"
    return ", ".join(shown)


def _shorten(program: str) -> str:
    """``sort(x0, x1, ..., x16)`` for a long argument list (the JSON has the program whole)."""
    if len(program) <= 70 or "(" not in program:
        return program
    head, args = program.split("(", 1)
    items = args.rstrip(")").split(", ")
    return f"{head}({', '.join(items[:2])}, ..., {items[-1]})" if len(items) > 4 else program


def _fmt_number(value: Fraction, exact: bool) -> str:
    """Exact text; a rounded measurement (a 1/3 split) shows as ``≈1/3``."""
    short = value.limit_denominator(1024)
    return fmt_exact(value) if short == value or exact and value.denominator <= 2 ** 20 else "≈" + fmt_exact(short)


def _fmt_matrix(rows: Matrix, exact: bool = True) -> str:
    """A gradient ``(1/2, 1/2)`` (a number for one variable); a Jacobian with unit rows as ``[e1 e0 e2]``."""
    if len(rows) == 1:
        g = rows[0]
        return _fmt_number(g[0], exact) if len(g) == 1 else "(" + ", ".join(_fmt_number(c, exact) for c in g) + ")"
    if all(sorted(r) == [0] * (len(r) - 1) + [1] for r in rows):
        units = [f"e{list(r).index(1)}" for r in rows]
        return "[" + " ".join(units if len(units) <= 8 else units[:6] + ["...", units[-1]]) + "]"
    return "[" + "; ".join(", ".join(_fmt_number(c, exact) for c in r) for r in rows) + "]"


# --------------------------------------------------------------------------- measuring
def installed_version(framework: str) -> str | None:
    """``torch.__version__`` / ``jax.__version__``, or None when the framework is not importable."""
    module = MODULES[framework]
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return str(importlib.import_module(module).__version__)
    except ImportError:
        return None


def not_installed_message(framework: str) -> str:
    return (f"{framework} is not installed (no module '{MODULES[framework]}'); install it with "
            f"`{INSTALL[framework]}` or leave out --framework to measure what is installed")


def check_frameworks(frameworks: Sequence[str]) -> tuple[str, ...]:
    """The framework names, validated: InputError for a name other than pytorch or jax."""
    names = tuple(frameworks)
    for name in names:
        if name not in SUPPORTED:
            raise InputError(f"unknown framework '{name}'; semialg measures {', '.join(SUPPORTED)}"
                             + (" (tensorflow is not measured: its preset is the table of docs/frameworks.md)"
                                if name == "tensorflow" else ""))
    return names


def _torch_jacobian(code: str, point: Sequence[Fraction], variables: Sequence[str]) -> Matrix:
    import torch
    import torch.nn.functional as functional
    v = torch.tensor([float(p) for p in point], dtype=torch.float64, requires_grad=True)
    names = {"torch": torch, "F": functional, "v": v, **{name: v[i] for i, name in enumerate(variables)}}
    out = eval(compile(code, "<spelling>", "eval"), names)  # noqa: S307 - a spelling from KINKS, never user text
    outputs = [out] if out.ndim == 0 else list(out)
    rows = []
    zero = (Fraction(0),) * len(point)
    for o in outputs:
        if not o.requires_grad:   # a constant output
            rows.append(zero)
            continue
        (grad,) = torch.autograd.grad(o, v, retain_graph=True, allow_unused=True)
        rows.append(zero if grad is None else tuple(exact_float(g) for g in grad.tolist()))
    return tuple(rows)


def _jax_jacobian(code: str, point: Sequence[Fraction], variables: Sequence[str]) -> Matrix:
    import jax
    import jax.numpy as jnp
    from jax import lax

    def function(v):
        names = {"jax": jax, "jnp": jnp, "lax": lax, "v": v, **{name: v[i] for i, name in enumerate(variables)}}
        return eval(compile(code, "<spelling>", "eval"), names)  # noqa: S307 - a spelling from KINKS

    with _float64(jax):
        v = jnp.asarray([float(p) for p in point], dtype=jnp.float64)
        jac = jax.jacrev(function)(v)
        values = jac.tolist()
    rows = [values] if jac.ndim == 1 else values
    return tuple(tuple(exact_float(c) for c in r) for r in rows)


@contextlib.contextmanager
def _float64(jax):
    """JAX in float64 for the measurement only (``jax.enable_x64``; older JAX: the config flag, restored)."""
    if hasattr(jax, "enable_x64"):
        with jax.enable_x64(True):
            yield
        return
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


_RUNNERS = {"pytorch": _torch_jacobian, "jax": _jax_jacobian}


def _agree(measured: Matrix, preset: Matrix) -> bool:
    """Equal exactly where the preset's value is dyadic, within :data:`ROUNDING` (relative) elsewhere."""
    if len(measured) != len(preset):
        return False
    for m_row, p_row in zip(measured, preset):
        if len(m_row) != len(p_row):
            return False
        for m, p in zip(m_row, p_row):
            dyadic = p.denominator & (p.denominator - 1) == 0
            if (m != p) if dyadic else abs(m - p) > ROUNDING * (1 + abs(p)):
                return False
    return True


def measure_kink(kink: Kink, framework: str) -> KinkRow:
    """One row: run the framework's spelling of ``kink`` and the preset's ``derivative_at``."""
    spelling = kink.spellings[framework]
    program_text = spelling.program or kink.program
    program = parse(program_text, list(kink.variables))
    measured = _RUNNERS[framework](spelling.code, kink.point, kink.variables)
    per_output = derivative_at(program, kink.point, get_rule(framework, spelling.overrides))
    note, preset = "", None
    if all(len(vertices) == 1 for vertices in per_output):
        preset = tuple(vertices[0] for vertices in per_output)
    else:
        note = f"{max(len(v) for v in per_output)} vertices (a set, not one value)"
    agrees = preset is not None and _agree(measured, preset)
    return KinkRow(kink.kink, framework, spelling.code, program_text, spelling.overrides, kink.variables,
                   kink.point, measured, preset, agrees, note)


def measure(frameworks: Sequence[str] = SUPPORTED, kinks: Sequence[Kink] = KINKS) -> KinkTable:
    """Measure every kink in every installed framework of ``frameworks`` against its preset.

    A framework that is not installed is skipped; its line in ``versions`` says so (and how
    to install it). InputError for a name other than ``pytorch`` / ``jax``.
    """
    names = check_frameworks(frameworks)
    versions, rows = [], []
    for name in names:
        installed = installed_version(name)
        modelled = MODELLED_VERSIONS.get(name)
        if installed is None:
            versions.append(FrameworkVersion(name, None, modelled, f"skipped: {INSTALL[name]}"))
            continue
        same = modelled is not None and installed.split("+")[0] == modelled.split()[-1]
        versions.append(FrameworkVersion(name, installed, modelled,
                                         "" if same else "another version than the preset models"))
        rows.extend(measure_kink(k, name) for k in kinks if name in k.spellings)
    order = {k.kink: i for i, k in enumerate(kinks)}
    rows.sort(key=lambda r: (order[r.kink], names.index(r.framework)))   # kink by kink, frameworks side by side
    return KinkTable(tuple(rows), tuple(versions))
