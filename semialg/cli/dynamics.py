"""``semialg descent``: exact gradient descent with a framework rule, its kink landings, and the
exceptional starts or step sizes of a one-variable piecewise-linear function.

Without ``--exceptional-starts`` / ``--exceptional-steps`` it runs ``--steps`` steps of GD (or heavy
ball with ``--momentum``) in exact rationals from ``--x0`` and reports every iterate that lands on
a kink (a stratum of lower dimension), whether it is D-critical, Clarke-critical, artificial.
Exit codes: 0 no artificial landing, 1 an artificial landing, 2 bad input, 3 unknown (stopped).
With ``--exceptional-starts A,B`` (step ``--lr``) or ``--exceptional-steps A,B`` (start ``--x0``)
it lists the exact finite set of values in ``[A, B]`` from which an iterate lands on a kink
within ``--steps`` steps; exit 1 if one of them lands on an artificial critical point.
"""
from __future__ import annotations

import argparse

from semialg import report
from semialg.cli.common import add_expression_arguments, add_time_limit_argument, emit, variables_from_args
from semialg.rules import PRESETS


def setup_descent(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--x0", default=None, metavar="x=1/2,y=0",
                        help="the start (exact; a point over the variables); required unless --exceptional-starts")
    parser.add_argument("--steps", type=int, default=20, metavar="N", help="the number of steps, or the horizon (default 20)")
    parser.add_argument("--lr", default="1/10", metavar="1/10", help="the step size, exact (default 1/10)")
    parser.add_argument("--momentum", default="0", metavar="0", help="heavy-ball momentum in [0, 1) (default 0)")
    parser.add_argument("--rule", default="pytorch", metavar="|".join(p for p in PRESETS if p != "clarke"),
                        help="the framework rule whose backprop value is the step's derivative (default pytorch)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                        help="override a kink value, e.g. --set \"relu'(0)=1\" (repeatable)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--exceptional-starts", default=None, metavar="A,B",
                      help="list every start in [A, B] whose orbit lands on a kink within --steps (1-D piecewise linear)")
    mode.add_argument("--exceptional-steps", default=None, metavar="A,B",
                      help="list every step size in [A, B] for which the orbit from --x0 lands on a kink (1-D)")
    parser.add_argument("--no-clarke", action="store_true", help="do not compute Clarke sets at the landings")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")


def _interval(text: str, flag: str):
    from semialg.core.errors import InputError
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise InputError(f"{flag} takes two exact numbers A,B (e.g. {flag} -3,3), got {text!r}")
    return parts[0], parts[1]


def run_descent(args: argparse.Namespace) -> int:
    """Exact gradient descent with a framework rule: kink landings, artificial critical points."""
    from semialg.checks import dynamics
    from semialg.core.errors import InputError
    from semialg.frontends.coerce import as_program
    program = as_program(args.expr, variables_from_args(args))
    if args.exceptional_starts is not None:
        result = dynamics.exceptional_initialisations(program, args.lr, args.steps,
                                                      _interval(args.exceptional_starts, "--exceptional-starts"),
                                                      rule=args.rule, overrides=args.overrides)
        code = 1 if result.artificial_points else 0
    elif args.exceptional_steps is not None:
        if args.x0 is None:
            raise InputError("--exceptional-steps needs the start --x0 (e.g. --x0 x=-2)")
        x0 = args.x0.split("=")[-1]
        result = dynamics.exceptional_steps(program, x0, args.steps, _interval(args.exceptional_steps, "--exceptional-steps"),
                                            rule=args.rule, overrides=args.overrides)
        code = 1 if result.artificial_points else 0
    else:
        if args.x0 is None:
            raise InputError("descent needs a start: --x0 x=1/2 (or --exceptional-starts A,B)")
        result = dynamics.descent(program, args.x0, args.steps, rule=args.rule, lr=args.lr, momentum=args.momentum,
                                  overrides=args.overrides, clarke=not args.no_clarke, time_limit=args.time_limit)
        code = result.exit_code
    emit(report.dump_json(result.to_json()) if args.json else result.to_text())
    return code
