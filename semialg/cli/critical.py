"""``semialg critical EXPR [--rule ...]``: artificial critical points and spurious values.

For every stratum: where ``0 ∈ conv D(x)`` (D-critical), where ``0 ∈ Jac^c f(x)``
(Clarke critical), where the first holds but not the second (artificial
critical points) and where ``D(x)`` leaves the Clarke set (spurious values),
each as the stratum plus extra equations, an exact sample and whether it is the
whole stratum. Exit 0 when there is no artificial critical point, 1 when there
are (or the function is not locally Lipschitz), 2 bad input, 3 unknown.
"""
from __future__ import annotations

import argparse
import sys

from semialg import report
from semialg.cli.common import (
    add_conditions_argument,
    add_data_arguments,
    add_domain_arguments,
    add_expression_arguments,
    add_rule_arguments,
    data_from_args,
    domain_from_args,
    emit,
    progress_printer,
    variables_from_args,
)


def setup_critical(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    add_rule_arguments(parser)
    add_domain_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="draw the function, the field and the Clarke sets (1-D), or the strata, the field and "
                             "the artificial critical points (2-D); needs matplotlib (the 'plot' extra)")
    add_conditions_argument(parser)
    parser.epilog = ("exit codes: 0 no artificial critical point, 1 there are artificial critical points (or the "
                     "function is not locally Lipschitz), 2 bad input, 3 unknown")


def run_critical(args: argparse.Namespace) -> int:
    """Find artificial critical points and spurious values of a derivative rule (exit 1 if artificial ones exist)."""
    from semialg.checks.critical import critical  # loaded when the command runs
    result = critical(args.expr, variables_from_args(args), rule=args.rule, overrides=args.overrides, field=args.field,
                      domain=domain_from_args(args), timeout=args.timeout, progress=progress_printer("critical"),
                      time_limit=args.time_limit, data=data_from_args(args))
    if sum(result.timings.values()) >= 1.0:
        sys.stderr.write("\n")
    if args.plot:
        from semialg.plot import write_plot
        write_plot(result, args.plot, None, "critical")
    from semialg.report.critical import critical_text
    emit(report.dump_json(result.to_json()) if args.json else critical_text(result, args.conditions))
    return result.exit_code

