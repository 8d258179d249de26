"""``semialg clarke EXPR --at x=0,y=0``: the exact Clarke Jacobian at a rational point.

Prints the stratum containing the point, the full-dimensional cells meeting
there, and the vertices (extreme points) of the Clarke polytope, exactly:
gradients for a scalar function, Jacobians (rows) for a vector one. Exit 0 when
computed, 1 when the function is not locally Lipschitz (with the jump), 2 for
bad input, 3 when a solver query was undecided.
"""
from __future__ import annotations

import argparse
import time

from semialg import report
from semialg.cli.common import add_conditions_argument, add_time_limit_argument
from semialg.cli.common import add_data_arguments, add_domain_arguments, add_expression_arguments, domain_from_args
from semialg.cli.common import emit, load_program
from semialg.frontends.text import parse_point
from semialg.rules import fmt_exact


def setup_clarke(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--at", metavar="x=0,y=1/2", required=True, help="the point, exact rationals, every variable")
    add_domain_arguments(parser, kinds=("box",))
    add_data_arguments(parser)
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (default 60; 0: no limit)")
    add_time_limit_argument(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of text")
    add_conditions_argument(parser)
    parser.epilog = ("exit codes: 0 computed, 1 the function is not locally Lipschitz (the jump is shown), "
                     "2 bad input, 3 undecided")


def run_clarke(args: argparse.Namespace) -> int:
    """Compute the exact Clarke Jacobian of EXPR at a rational point (its vertices)."""
    from semialg.checks.clarke import NotLipschitzError, UndecidedError, clarke_at  # loaded when the command runs
    t0 = time.perf_counter()
    program = load_program(args)
    point = parse_point(args.at, program.inputs)
    doc = report.header("clarke", program.to_text(), program.inputs)
    doc["point"] = report.fmt_vector(point)
    where = ", ".join(f"{v} = {fmt_exact(c)}" for v, c in zip(program.inputs, point))
    try:
        r = clarke_at(program, point, timeout=args.timeout, domain=domain_from_args(args), time_limit=args.time_limit)
    except NotLipschitzError as exc:
        j = exc.jump
        doc.update({"verdict": "not_lipschitz", "reason": str(exc), "vertices": None,
                    "witness": {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour,
                                "point": report.fmt_vector(j.point), "value": report.fmt_vector(j.value),
                                "limit": report.fmt_vector(j.limit)}})
        emit(report.dump_json(doc) if args.json else f"{program.to_text()} at {where}\nverdict: NOT LIPSCHITZ\n  {exc}")
        return report.FAILS
    except UndecidedError as exc:
        doc.update({"verdict": "unknown", "reason": str(exc), "vertices": None})
        emit(report.dump_json(doc) if args.json else f"{program.to_text()} at {where}\nverdict: UNKNOWN\n  {exc}")
        return report.UNKNOWN
    elapsed = time.perf_counter() - t0
    from semialg.report.clarke import clarke_text
    emit(report.dump_json(r.to_json(elapsed)) if args.json else clarke_text(r, args.conditions))
    return report.OK


