"""The ``semialg`` command line.

One function pair per subcommand, registered in :data:`SUBCOMMANDS` as
``name -> (setup_parser, run)``: ``setup_parser(parser)`` adds the arguments to
the subcommand's ``argparse`` parser, ``run(args)`` prints the result on
stdout and returns the exit code (``report.OK`` ...). The first line of
``run.__doc__`` is the subcommand's help. Other modules add theirs with
``SUBCOMMANDS["check"] = (setup_check, run_check)`` (or :func:`register`).

Invariant: :func:`main` returns an exit code and never lets a
:class:`~semialg.errors.SemialgError` escape: the message (with a caret under
the offending column) goes to stderr and the code is 2 (``report.USAGE``).

>>> main(["eval", "relu(x) - relu(-x)", "--at", "x=-1/2"])
relu(x) - relu(-x) at x = -1/2
  -1/2  (-0.5)
0
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import Callable

from . import __version__, primitives, report
from .errors import ParseError, SemialgError
from .parse import parse, parse_point

SetupParser = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

SUBCOMMANDS: dict[str, tuple[SetupParser, Run]] = {}
"""Subcommand name -> (setup_parser, run), in the order ``semialg --help`` lists them."""


def register(name: str, setup_parser: SetupParser, run: Run) -> None:
    """Add a subcommand (later modules: strata, check, clarke, critical, implicit, examples)."""
    SUBCOMMANDS[name] = (setup_parser, run)


def emit(text: str) -> None:
    """Write one block of output (a newline is added) to the current ``sys.stdout``."""
    sys.stdout.write(text + "\n")


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``EXPR`` positional and ``--vars`` option shared by the subcommands."""
    parser.add_argument("expr", metavar="EXPR",
                        help="the function, e.g. 'relu(x) - relu(-x)'; comma-separated outputs for a map R^n -> R^m "
                             "(an expression starting with '-' goes after '--')")
    parser.add_argument("--vars", metavar="x,y", default=None,
                        help="input variables in order (default: the free variables, alphabetically)")


def load_program(args: argparse.Namespace):
    """Parse ``args.expr`` with ``args.vars``; SemialgError on bad input."""
    return parse(args.expr, args.vars)


# --------------------------------------------------------------------------- parse
def kinks(program) -> list[dict]:
    """The nonsmooth nodes of ``program`` (the ops the stratifier branches on), in topological order.

    >>> [k["text"] for k in kinks(parse("relu(x) + abs(y - 1)"))]
    ['relu(x)', 'abs(y - 1)']
    """
    from .dag import to_text

    nodes = [n for n in program.topological_order() if n.op in primitives.NONSMOOTH]
    texts = to_text(nodes) if nodes else []
    return [{"op": n.op, "text": t, "continuous": primitives.REGISTRY[n.op].continuous} for n, t in zip(nodes, texts)]


def continuity(program) -> tuple[bool | None, list[str]]:
    """``(True, [])`` when every primitive is continuous and no ``where`` can jump;
    otherwise ``(None, ops)``: undecided from the syntax alone (``sign(x) * x`` is
    continuous), ``semialg check`` decides.

    >>> continuity(parse("relu(x)")), continuity(parse("x * sign(x)"))
    ((True, []), (None, ['sign']))
    """
    ops = sorted({n.op for n in program.topological_order()
                  if n.op in primitives.REGISTRY and (not primitives.REGISTRY[n.op].continuous or n.op == "where")})
    return (True if not ops else None), ops


def setup_parse(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_parse(args: argparse.Namespace) -> int:
    """Show the canonical form, inputs, outputs and kinks of a program."""
    t0 = time.perf_counter()
    program = load_program(args)
    elapsed = time.perf_counter() - t0
    canonical = program.to_text()
    found = kinks(program)
    cont, jumpy = continuity(program)
    n_nodes = len(program.topological_order())
    if args.json:
        doc = report.header("parse", args.expr, program.inputs)
        doc.update({
            "canonical": canonical, "inputs": list(program.inputs), "n_outputs": program.n_outputs,
            "outputs": [t for t in canonical_outputs(program)], "nodes": n_nodes, "kinks": found,
            "continuous": cont, "discontinuous_primitives": jumpy, "timings": {"parse": round(elapsed, 6)},
        })
        emit(report.dump_json(doc))
        return report.OK
    lines = [
        f"function:   {args.expr}",
        f"canonical:  {canonical}",
        f"inputs:     {', '.join(program.inputs) or '(none)'}",
        f"outputs:    {program.n_outputs}",
        f"nodes:      {n_nodes}",
        f"kinks:      {len(found)}",
    ]
    width = max((len(k["text"]) for k in found), default=0)
    lines += [f"  {k['text']:<{width}}  [{k['op']}{'' if k['continuous'] else ', discontinuous'}]" for k in found]
    if cont:
        lines.append("continuous: yes (a composition of continuous primitives)")
    else:
        lines.append(f"continuous: not decided by the syntax (uses {', '.join(jumpy)}); `semialg check` decides")
    emit("\n".join(lines))
    return report.OK


def canonical_outputs(program) -> list[str]:
    from .dag import to_text

    return to_text(program.outputs)


# --------------------------------------------------------------------------- eval
def setup_eval(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--at", metavar="x=1/2,y=0", required=True, help="the point, exact rationals")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate a program exactly at a rational point."""
    from .numeric import exact_value

    program = load_program(args)
    point = parse_point(args.at, program.inputs)
    values = exact_value(program, point)
    if args.json:
        doc = report.header("eval", args.expr, program.inputs)
        doc.update({"point": report.fmt_vector(point), "value": report.fmt_vector(values),
                    "float": [report.fmt_float(v) for v in values]})
        emit(report.dump_json(doc))
        return report.OK
    where = ", ".join(f"{v} = {report.fmt_number(c)}" for v, c in zip(program.inputs, point))
    lines = [f"{args.expr} at {where}" if where else args.expr]
    lines += [f"  {report.fmt_number(v)}  ({report.fmt_float(v)!r})" for v in values]
    emit("\n".join(lines))
    return report.OK


register("parse", setup_parse, run_parse)
register("eval", setup_eval, run_eval)

# Subcommands defined in their own modules register themselves when imported.
from . import cli_check  # noqa: E402,F401  (check)
from . import cli_strata  # noqa: E402,F401  (strata)
from . import cli_implicit  # noqa: E402,F401  (implicit)
from . import cli_examples  # noqa: E402,F401  (examples)
from . import cli_clarke, cli_critical  # noqa: E402,F401  (clarke, critical)


# --------------------------------------------------------------------------- main
class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so :func:`main` controls exit codes."""

    def error(self, message):
        raise _UsageError(f"{self.prog}: error: {message}", self.format_usage())


class _UsageError(Exception):
    def __init__(self, message: str, usage: str):
        super().__init__(message)
        self.usage = usage


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, one subparser per entry of :data:`SUBCOMMANDS`."""
    parser = _Parser(prog="semialg",
                     description="Exact verification of nonsmooth derivatives of piecewise-polynomial programs.",
                     epilog="exit codes: 0 holds, 1 fails, 2 usage or input error, 3 unknown")
    parser.add_argument("--version", action="version", version=f"semialg {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.subcommand_parsers = {}
    for name, (setup, run) in SUBCOMMANDS.items():
        help_text = ((run.__doc__ or "").strip().splitlines() or [""])[0]
        subparser = sub.add_parser(name, help=help_text, description=help_text)
        setup(subparser)
        parser.subcommand_parsers[name] = subparser
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    The console script ``semialg`` is this function (``sys.exit(main())``).
    """
    err = sys.stderr
    parser = build_parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        if unknown:  # report it with the subcommand's own usage line, not the top-level one
            owner = parser.subcommand_parsers.get(args.command, parser)
            owner.error(f"unrecognized arguments: {' '.join(unknown)}")
    except _UsageError as exc:
        err.write(exc.usage + str(exc) + "\n")
        return report.USAGE
    except SystemExit as exc:  # --help / --version
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else report.USAGE)
    if args.command is None:
        err.write(parser.format_help())
        return report.USAGE
    _setup, run = SUBCOMMANDS[args.command]
    try:
        return run(args)
    except SemialgError as exc:
        message = exc.pretty() if isinstance(exc, ParseError) else str(exc)
        err.write(f"semialg {args.command}: error: {message}\n")
        return report.USAGE
    except RecursionError:
        err.write(f"semialg {args.command}: error: the expression is nested too deeply for the text parser; "
                  "build deep programs with the Python API (semialg.builder)\n")
        return report.USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
