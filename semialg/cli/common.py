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
    """A progress callback ``show(stage, done, seconds, total=None)`` printing the phase and
    ``done/total`` to stderr (only once a second has passed), e.g. ``[check] check: 1200/8193 strata``."""
    start = time.perf_counter()

    def show(stage: str, count: int, seconds: float, total: int | None = None) -> None:
        if time.perf_counter() - start >= 1.0:
            done = f"{count}/{total}" if total is not None else f"{count}"
            sys.stderr.write(f"\r[{label}] {stage}: {done} strata, {seconds:.1f} s ")
            sys.stderr.flush()
    return show


TIMEOUT_HELP = ("limit per solver query (a nonlinear query gets the same resource budget on any machine, about that "
                "many CPU seconds); a query that runs out makes the verdict unknown (default 60; 0: no limit)")
TIME_LIMIT_HELP = ("limit for the whole command; when it runs out (or on Ctrl-C) the answer is unknown (exit 3) "
                   "with the phase and the progress so far (default: none)")


def add_time_limit_argument(parser: argparse.ArgumentParser) -> None:
    """``--time-limit SECONDS``: a deadline for the whole command (``args.time_limit``, None: none)."""
    parser.add_argument("--time-limit", type=float, default=None, metavar="SECONDS", dest="time_limit",
                        help=TIME_LIMIT_HELP)


def add_rule_arguments(parser: argparse.ArgumentParser) -> None:
    """``--rule``, ``--set``, ``--field``, ``--domain``, ``--timeout``, ``--time-limit``, ``--json`` (shared with
    critical)."""
    parser.add_argument("--rule", default=None, metavar="|".join(PRESETS),
                        help="derivative rule: a framework preset or clarke (default: pytorch)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" or --set max.tie=first (repeatable)")
    parser.add_argument("--field", default=None, metavar="F1,F2,...",
                        help="a hand-written field, one component per variable, e.g. \"where(x > 0, 1, -1)\"")
    parser.add_argument("--domain", default=None, metavar="COND", help="restrict to a region, e.g. \"x**2 + y**2 <= 4\"")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help=TIMEOUT_HELP)
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


DOMAIN_FORMS = {
    "box": ("C R", "a center point C and a radius R (the cube |x_i - c_i| <= R)", "--box 0,1/2 1/4"),
    "segment": ("A B", "two points A and B (the segment x = A + t(B - A), 0 <= t <= 1)", "--segment 0,0 1,1/2"),
    "plane": ("O U V", "a point O and two directions U, V (the plane x = O + s U + t V)", "--plane 0,0,0 1,0,0 0,1,0"),
}


def add_domain_arguments(parser: argparse.ArgumentParser, kinds=("box", "segment", "plane")) -> None:
    """``--box C R``, ``--segment A B``, ``--plane O U V``: a local question (mutually exclusive with
    each other and with ``--domain``). Points are comma lists of exact numbers in variable order,
    or ``@file.json`` holding a JSON list; read them with :func:`domain_from_args`."""
    group = parser.add_mutually_exclusive_group()
    helps = {"box": "only the cube of radius R around the point C, e.g. --box 0,1/2 1/4",
             "segment": "restrict EXPR to the segment from A to B (variable t, 0 <= t <= 1) and answer along it, "
                        "e.g. --segment [-1,0] 1,1/2 (points: comma lists in variable order, in brackets when they "
                        "start with '-', or @file.json)",
             "plane": "restrict EXPR to the plane O + s U + t V (variables s, t), e.g. --plane 0,0,0 1,0,0 0,1,0"}
    for kind in kinds:
        metavar = DOMAIN_FORMS[kind][0].split()
        group.add_argument(f"--{kind}", nargs=len(metavar), metavar=tuple(metavar), default=None, help=helps[kind])


def _read_point(text: str, option: str):
    """A point from the command line: ``1,1/2,0``, ``[-1,0]`` (brackets let a point start with '-'),
    or ``@file.json`` (a JSON list)."""
    from semialg.core.errors import InputError
    if text.startswith("@"):
        import json
        try:
            with open(text[1:], encoding="utf-8") as handle:
                values = json.load(handle)
        except OSError as exc:
            raise InputError(f"{option}: cannot read {text[1:]}: {exc.strerror}") from None
        except ValueError as exc:
            raise InputError(f"{option}: {text[1:]} is not JSON ({exc})") from None
        if not isinstance(values, list):
            raise InputError(f"{option}: {text[1:]} must hold a JSON list of numbers, e.g. [0, \"1/2\", 1]")
        return [str(v) if isinstance(v, (int, float)) else v for v in values]
    text = text.strip()
    if text[:1] + text[-1:] in ("[]", "()"):   # a point starting with '-' is written [-1,0] (argparse)
        text = text[1:-1]
    return text


def domain_from_args(args: argparse.Namespace):
    """The ``domain=`` the API takes from ``--domain`` / ``--box`` / ``--segment`` / ``--plane``:
    a condition text, a Box, a Segment, a Plane or None. InputError (exit 2) on bad input."""
    from semialg.core.errors import InputError
    from semialg.frontends.domains import Box, Plane, Segment
    given = [k for k in DOMAIN_FORMS if getattr(args, k, None) is not None]
    if getattr(args, "domain", None) is not None:
        given.insert(0, "domain")
    if len(given) > 1:
        raise InputError(f"give one of --domain, --box, --segment, --plane (got {', '.join('--' + g for g in given)})")
    if not given or given[0] == "domain":
        return getattr(args, "domain", None)
    kind = given[0]
    form, what, example = DOMAIN_FORMS[kind]
    values = [_read_point(v, f"--{kind}") for v in getattr(args, kind)]
    try:
        if kind == "box":
            return Box(values[0], values[1])
        return Segment(*values) if kind == "segment" else Plane(*values)
    except InputError as exc:
        raise InputError(f"--{kind} {form}: {exc}; expected {what}, each point a comma list of exact numbers in "
                         f"variable order ([-1,0] when it starts with '-') or @file.json holding a JSON list, "
                         f"e.g. {example}") from None
