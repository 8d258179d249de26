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
    """Parse ``args.expr`` with ``args.vars`` (or ``--params``), the ``--data`` bound if given
    (:func:`data_from_args`); SemialgError on bad input."""
    data = data_from_args(args)
    if data is not None:
        from semialg.frontends.coerce import as_program
        return as_program(args.expr, variables_from_args(args), data)
    return parse(args.expr, variables_from_args(args))


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


CONDITIONS_HELP = ("how the text describes each stratum: every sign condition (full), the conditions simplified "
                   "exactly (simplified), or the activation pattern, one symbol per kink with a legend (pattern); "
                   "auto: simplified when every row's fit in 80 characters, else the pattern (default auto)")


def add_conditions_argument(parser: argparse.ArgumentParser) -> None:
    """``--conditions auto|full|simplified|pattern`` (``args.conditions``): how text output describes strata."""
    parser.add_argument("--conditions", default="auto", choices=["auto", "full", "simplified", "pattern"],
                        metavar="auto|full|simplified|pattern", help=CONDITIONS_HELP)


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


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    """``--params w1,w2,...`` (the variables, in order, like ``--vars``) and ``--data x=1/2,y=-1``
    (repeatable, one data point each, or ``@points.json``); read them with :func:`data_from_args`
    and :func:`variables_from_args`."""
    parser.add_argument("--params", metavar="w1,w2,...", default=None, dest="params",
                        help="the parameters, in order: the variables once --data fixes the other names (an alias "
                             "of --vars)")
    parser.add_argument("--data", action="append", default=None, metavar="x=1/2,y=-1", dest="data",
                        help="a data point (repeatable): EXPR becomes the mean over the points, a function of "
                             "--params; or @points.json holding a JSON list of objects {\"x\": \"1/2\", ...}")


def variables_from_args(args: argparse.Namespace):
    """``--params`` or ``--vars`` (the same option under two names); InputError if both differ."""
    from semialg.core.errors import InputError
    params, names = getattr(args, "params", None), getattr(args, "vars", None)
    if params is not None and names is not None and params.replace(" ", "") != names.replace(" ", ""):
        raise InputError(f"--params {params} and --vars {names} differ: they are the same option, give one")
    return params if params is not None else names


def _data_point(text: str, option: str = "--data") -> dict:
    """``x=1/2,y=-1`` as a dict name -> text (the values are read exactly by bind_data)."""
    from semialg.core.errors import InputError
    point = {}
    for item in (p for p in text.split(",") if p.strip()):
        name, eq, value = item.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            raise InputError(f"{option} {text}: expected name=value pairs separated by commas, e.g. "
                             f"--data x1=1/2,x2=-1,y=0 (got '{item.strip()}')")
        if name in point:
            raise InputError(f"{option} {text}: {name} is given twice")
        point[name] = value
    if not point:
        raise InputError(f"{option}: empty data point; expected e.g. --data x1=1/2,x2=-1,y=0")
    return point


def _data_file(path: str) -> list[dict]:
    """``@points.json``: a JSON list of objects (or one object); numbers as written (0.1 is 1/10)."""
    import json
    from semialg.core.errors import InputError
    try:
        with open(path, encoding="utf-8") as handle:
            values = json.load(handle)
    except OSError as exc:
        raise InputError(f"--data: cannot read {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise InputError(f"--data: {path} is not JSON ({exc})") from None
    values = [values] if isinstance(values, dict) else values
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise InputError(f"--data: {path} must hold a JSON list of objects, e.g. [{{\"x\": \"1/2\", \"y\": 0}}]")
    return [{k: (str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v) for k, v in point.items()}
            for point in values]


def data_from_args(args: argparse.Namespace):
    """The ``data=`` the API takes from the ``--data`` options: None, or a list of dicts."""
    given = getattr(args, "data", None)
    if not given:
        return None
    points: list[dict] = []
    for text in given:
        points += _data_file(text[1:]) if text.startswith("@") else [_data_point(text)]
    if not points:
        from semialg.core.errors import InputError
        raise InputError("--data: the file holds no data points; give at least one")
    return points
