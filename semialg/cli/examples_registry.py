"""The teaching examples: names, one-line claims, and how to run one.

Each example is a script ``examples/NAME.py`` in a source checkout (the
directory can be moved: set ``SEMIALG_EXAMPLES_DIR``). Its module docstring's
first line is the claim :func:`list_examples` shows; its ``main(plot_dir=None)``
computes with semialg's public API, asserts the claim exactly, prints a short
explanation and returns a dict (with the paths of its pictures under
``"pictures"``). :data:`EXAMPLES` fixes the order in which they are listed; a
test checks that it names exactly the scripts present.

>>> names = [e.name for e in list_examples()]
>>> names[:3]
['relu_variants', 'zero_identity', 'clarke_sum_rule']
>>> find("relu_variant")
Traceback (most recent call last):
...
semialg.core.errors.InputError: unknown example 'relu_variant'; did you mean 'relu_variants'? (`semialg examples` lists them)
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from semialg.core.errors import InputError

EXAMPLES: tuple[str, ...] = (
    "relu_variants",
    "zero_identity",
    "clarke_sum_rule",
    "max_pooling",
    "projection_formula",
    "tangent_component",
    "no_derivative_operator",
    "conservative_not_unique",
    "gd_artificial_critical",
    "descent_exceptional",
    "integral_rule",
    "integral_rule_uniform",
    "clarke_inverse",
    "deep_equilibrium",
    "lasso_hyperparameter",
    "lasso_rank_deficient",
    "bilevel_cycle",
    "lorenz_not_gradient",
    "sgd_relu_clarke",
    "relu_zero_probability",
    "norm_nan_trap",
)
"""Example names in teaching order (simplest first)."""


@dataclass(frozen=True)
class Example:
    """One example script: ``name``, the one-line ``summary`` (its docstring's first
    line), the full ``doc`` and the ``path`` of the script."""

    name: str
    summary: str
    doc: str
    path: Path


def examples_dir() -> Path:
    """The directory holding the example scripts: ``$SEMIALG_EXAMPLES_DIR``, else the installed
    package ``semialg.examples`` (``examples/`` of the checkout, shipped with every install)."""
    env = os.environ.get("SEMIALG_EXAMPLES_DIR")
    if env:
        path = Path(env)
    else:
        spec = importlib.util.find_spec("semialg.examples")
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        path = Path(locations[0]) if locations else Path(__file__).resolve().parents[2] / "examples"
    if not path.is_dir():
        raise InputError(f"the examples directory {path} does not exist; reinstall semialg (the examples ship with "
                         "it as semialg.examples) or set SEMIALG_EXAMPLES_DIR to the examples/ directory")
    return path


def _read(name: str, directory: Path) -> Example:
    path = directory / f"{name}.py"
    if not path.is_file():
        raise InputError(f"example script {path} is missing")
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    summary = doc.strip().splitlines()[0] if doc.strip() else "(no description)"
    return Example(name, summary, doc, path)


def list_examples() -> list[Example]:
    """All examples in teaching order, read without importing them (fast)."""
    directory = examples_dir()
    return [_read(name, directory) for name in EXAMPLES]


def find(name: str) -> Example:
    """The example called ``name``; :class:`~semialg.core.errors.InputError` with a suggestion otherwise."""
    if name not in EXAMPLES:
        close = difflib.get_close_matches(name, EXAMPLES, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise InputError(f"unknown example '{name}'{hint} (`semialg examples` lists them)")
    return _read(name, examples_dir())


def load(name: str) -> ModuleType:
    """Import ``examples/NAME.py`` as a module (its directory goes on ``sys.path`` for
    the shared helpers in ``examples/_common.py``)."""
    example = find(name)
    directory = str(example.path.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(f"semialg_example_{name}", example.path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "main", None)):
        raise InputError(f"example {name} has no main(plot_dir=None) function")
    return module


def run(name: str, plot_dir=None) -> dict:
    """Run one example (its assertions included) and return its result dict."""
    return load(name).main(plot_dir=plot_dir)
