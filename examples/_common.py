"""Shared helpers for the teaching examples (not an example itself).

Every example script imports this module for: where pictures go
(:func:`output_dir`), a headless matplotlib (:func:`pyplot`), exact number
formatting (:func:`fmt`, :func:`fmt_vec`, :func:`fmt_set`) and the explanation
printer (:func:`say`). Pictures default to ``examples/output/`` (gitignored).
"""
from __future__ import annotations

import os
import sys
import textwrap
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # `python examples/NAME.py` from a source checkout
    sys.path.insert(0, str(ROOT))

# examples/output/ in a source checkout; an installed copy (site-packages) writes to the working directory
DEFAULT_OUTPUT = HERE / "output" if (HERE.parent / "pyproject.toml").exists() else Path.cwd() / "semialg-examples-output"


def output_dir(plot_dir=None) -> Path:
    """The directory for pictures (created): ``plot_dir``, ``$SEMIALG_PLOT_DIR``, ``examples/output/`` in
    a source checkout, or ``./semialg-examples-output`` for an installed copy."""
    path = Path(plot_dir) if plot_dir is not None else Path(os.environ.get("SEMIALG_PLOT_DIR", DEFAULT_OUTPUT))
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot():
    """``matplotlib.pyplot`` with the non-interactive Agg backend."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, plot_dir, name: str) -> str:
    """Save ``fig`` as ``<plot_dir>/<name>.png``, close it, return the path."""
    path = output_dir(plot_dir) / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return str(path)


def fmt(v) -> str:
    """Exact text of a number: ``Fraction(1, 2)`` -> ``'1/2'``."""
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"
    return str(v)


def fmt_vec(v) -> str:
    """``(1/2, -1)``; a 1-vector prints as its single entry."""
    v = tuple(v)
    return fmt(v[0]) if len(v) == 1 else "(" + ", ".join(fmt(x) for x in v) + ")"


def fmt_set(vectors) -> str:
    """A finite set (or the vertex set of a hull) as ``{0, 1}``; scalars sorted."""
    items = sorted(tuple(v) for v in vectors)
    return "{" + ", ".join(fmt_vec(v) for v in items) + "}"


def interval(values) -> tuple[Fraction, Fraction]:
    """The hull ``[min, max]`` of scalar vertices (1-vectors or numbers)."""
    flat = [v[0] if isinstance(v, (tuple, list)) else v for v in values]
    while flat and isinstance(flat[0], (tuple, list)):
        flat = [v[0] for v in flat]
    return min(flat), max(flat)


def fmt_interval(lo, hi) -> str:
    return f"{{{fmt(lo)}}}" if lo == hi else f"[{fmt(lo)}, {fmt(hi)}]"


def say(text: str) -> None:
    """Print a dedented explanation paragraph."""
    print(textwrap.dedent(text).strip("\n"))


def header(title: str) -> None:
    print(f"== {title} ==")


def identically_zero(program) -> bool:
    """Exact: the program (text or Program) is the zero map, i.e. every output's piece
    vanishes on every stratum (``semialg.checks.geometry.all_vanish_on``)."""
    from semialg import parse
    from semialg.checks.geometry import YES, all_vanish_on
    from semialg.stratification import stratify
    if isinstance(program, str):
        program = parse(program)
    answers = [all_vanish_on(s, list(s.piece)).status for s in stratify(program).strata]
    return all(a == YES for a in answers)


def interval_chart(ax, rows, xlabel: str = "derivative values") -> None:
    """Draw exact intervals as horizontal bars, one per row ``(label, (lo, hi), colour)``
    (top to bottom; a row ``None`` leaves a gap); a point interval is a dot."""
    n = len(rows)
    labels = []
    for i, row in enumerate(rows):
        y = n - 1 - i
        if row is None:
            labels.append("")
            continue
        label, (lo, hi), colour = row
        labels.append(label)
        if lo == hi:
            ax.plot([float(lo)], [y], "o", color=colour, ms=9)
        else:
            ax.plot([float(lo), float(hi)], [y, y], color=colour, lw=7, solid_capstyle="butt")
        ax.annotate(fmt_interval(lo, hi), (float(hi), y), xytext=(8, -4), textcoords="offset points", fontsize=9)
    ax.set_yticks(range(n))
    ax.set_yticklabels(list(reversed(labels)), fontsize=9)
    ax.axvline(0, color="#999999", lw=0.8)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3, axis="x")
