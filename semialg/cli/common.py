"""Helpers shared by the subcommands: output, the common arguments, progress on stderr."""
from __future__ import annotations

import argparse
import sys
import time

from semialg.frontends.text import parse
from semialg.rules import PRESETS


def emit(text: str) -> None:
    """Write one block of output (a newline is added) to the current ``sys.stdout``."""
    sys.stdout.write(text + "\n")


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``EXPR`` positional and ``--vars`` option shared by the subcommands."""
    parser.add_argument("expr", metavar="EXPR",
                        help="the function, e.g. 'relu(x) - relu(-x)'; comma-separated outputs for a map R^n -> R^m "
                             "(an expression starting with '-' goes after '--')")
    parser.add_argument("--vars", "--variables", metavar="x,y", default=None, dest="vars",
                        help="input variables in order (default: the free variables, alphabetically)")


def load_program(args: argparse.Namespace):
    """Parse ``args.expr`` with ``args.vars``; SemialgError on bad input."""
    return parse(args.expr, args.vars)


def progress_printer(label: str = "semialg"):
    """A progress callback printing to stderr (only once a second has passed)."""
    start = time.perf_counter()

    def show(stage: str, count: int, seconds: float) -> None:
        if time.perf_counter() - start >= 1.0:
            sys.stderr.write(f"\r[{label}] {stage}: {count} strata, {seconds:.1f} s ")
            sys.stderr.flush()
    return show


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rule``, ``--set``, ``--field``, ``--domain``, ``--timeout``, ``--json`` (shared with critical)."""
    parser.add_argument("--rule", default=None, metavar="|".join(PRESETS),
                        help="derivative rule: a framework preset or clarke (default: pytorch)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" or --set max.tie=first (repeatable)")
    parser.add_argument("--field", default=None, metavar="F1,F2,...",
                        help="a hand-written field, one component per variable, e.g. \"where(x > 0, 1, -1)\"")
    parser.add_argument("--domain", default=None, metavar="COND", help="restrict to a region, e.g. \"x**2 + y**2 <= 4\"")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="limit per solver query (a nonlinear query gets the same resource budget on any machine, "
                             "about that many CPU seconds); a query that runs out makes the verdict unknown (default 60)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")
