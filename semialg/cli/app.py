"""The ``semialg`` command line.

One function pair per subcommand, registered in :data:`SUBCOMMANDS` as
``name -> (setup_parser, run)``: ``setup_parser(parser)`` adds the arguments to
the subcommand's ``argparse`` parser, ``run(args)`` prints the result on
stdout and returns the exit code (``report.OK`` ...). The first line of
``run.__doc__`` is the subcommand's help. A new subcommand is a module of
``semialg.cli`` with its two functions and one entry in the table below.

Invariant: :func:`main` returns an exit code and never lets a
:class:`~semialg.core.errors.SemialgError` escape: the message (with a caret under
the offending column) goes to stderr and the code is 2 (``report.USAGE``).

>>> main(["eval", "relu(x) - relu(-x)", "--at", "x=-1/2"])
relu(x) - relu(-x) at x = -1/2
  -1/2  (-0.5)
0
"""
from __future__ import annotations

import argparse
import difflib
import sys
from typing import Callable

from semialg import __version__, report
from semialg.cli import check, clarke, critical, dynamics, examples, frameworks, implicit, inspect_program, strata
from semialg.core.budget import TimeLimitReached
from semialg.core.errors import ParseError, SemialgError

SetupParser = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], int]

SUBCOMMANDS: dict[str, tuple[SetupParser, Run]] = {
    "parse": (inspect_program.setup_parse, inspect_program.run_parse),
    "eval": (inspect_program.setup_eval, inspect_program.run_eval),
    "check": (check.setup_check, check.run_check),
    "strata": (strata.setup_strata, strata.run_strata),
    "implicit": (implicit.setup_implicit, implicit.run_implicit),
    "argmin": (implicit.setup_argmin, implicit.run_argmin),
    "deq": (implicit.setup_deq, implicit.run_deq),
    "descent": (dynamics.setup_descent, dynamics.run_descent),
    "examples": (examples.setup_examples, examples.run_examples),
    "clarke": (clarke.setup_clarke, clarke.run_clarke),
    "critical": (critical.setup_critical, critical.run_critical),
    "frameworks": (frameworks.setup_frameworks, frameworks.run_frameworks),
}
"""Subcommand name -> (setup_parser, run), in the order ``semialg --help`` lists them."""


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


def _protect_leading_minus(parser: argparse.ArgumentParser, argv: list[str]) -> list[str]:
    """``semialg check "-relu(x)"``: an expression that starts with '-' is not an option. The
    first such word where the subcommand expects ``EXPR`` (not an option's value) gets a
    leading space, which argparse reads as a positional and the parser strips."""
    if not argv or argv[0] not in parser.subcommand_parsers:
        return argv
    sub = parser.subcommand_parsers[argv[0]]
    if not any(a.dest == "expr" for a in sub._actions):
        return argv
    out, expecting_value = list(argv), False
    for i in range(1, len(out)):
        word = out[i]
        if expecting_value:
            expecting_value = False
            continue
        if word == "--":
            break
        if word.startswith("-") and not word.startswith("--") and word not in sub._option_string_actions:
            out[i] = " " + word
            break
        if word.startswith("--"):
            action = sub._option_string_actions.get(word.split("=", 1)[0])
            expecting_value = action is not None and action.nargs != 0 and "=" not in word
            continue
        break   # the first positional is EXPR
    return out


def _unknown_command(parser: argparse.ArgumentParser, argv: list[str]) -> str | None:
    """``semialg chek``: the message with the closest subcommand, or None when the word is known."""
    if not argv or argv[0].startswith("-") or argv[0] in parser.subcommand_parsers:
        return None
    close = difflib.get_close_matches(argv[0], list(SUBCOMMANDS), n=1, cutoff=0.5)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"semialg: error: unknown command '{argv[0]}'{hint} (the commands: {', '.join(SUBCOMMANDS)})\n"


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    The console script ``semialg`` is this function (``sys.exit(main())``).
    """
    err = sys.stderr
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown_command = _unknown_command(parser, argv)
    if unknown_command:
        err.write(parser.format_usage() + unknown_command)
        return report.USAGE
    argv = _protect_leading_minus(parser, argv)
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
    except (KeyboardInterrupt, TimeLimitReached) as exc:
        # the check functions answer unknown themselves where a partial answer exists; this is
        # the rest (Ctrl-C while parsing or printing, a phase without its own handler)
        reason = str(exc) if isinstance(exc, TimeLimitReached) else f"interrupted (Ctrl-C) during {args.command}"
        return _unknown(args, reason)
    except RecursionError:
        err.write(f"semialg {args.command}: error: the expression is nested too deeply for the text parser; "
                  "build deep programs with the Python API (semialg.frontends.builder)\n")
        return report.USAGE
    except Exception as exc:  # noqa: BLE001 - never a traceback: an internal failure is an unknown answer
        reason = f"internal error ({type(exc).__name__}: {exc}); the answer is unknown; please report this input"
        return _unknown(args, reason)


def _unknown(args: argparse.Namespace, reason: str) -> int:
    """Exit 3 with ``reason`` on stderr (and the JSON object with verdict unknown under ``--json``)."""
    sys.stderr.write(f"\nsemialg {args.command}: {reason}\n")
    if getattr(args, "json", False):
        doc = report.header(args.command, getattr(args, "expr", ""), [])
        doc.update({"verdict": "unknown", "reason": reason})
        sys.stdout.write(report.dump_json(doc) + "\n")
    return report.UNKNOWN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
