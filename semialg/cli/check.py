"""``semialg check``: is a derivative rule conservative for a function?

Prints a verdict, its reason, a table of strata (conditions, exact sample,
piece, field vertices at the sample) and, for a refutation, the witness curve
with its exact numbers and the numeric confirmation. ``--json`` prints the
object of docs/cli.md; the exit code is 0 conservative, 1 not conservative / not
Lipschitz, 2 bad input, 3 unknown.
"""
from __future__ import annotations

import argparse
import sys

from semialg import report
from semialg.checks.conservative import check
from semialg.cli.common import (
    add_expression_arguments,
    add_rule_arguments,
    emit,
    progress_printer,
)

def setup_check(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    add_rule_arguments(parser)
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="draw the function, field and Clarke sets (1-D) or strata and field (2-D); needs matplotlib")


def run_check(args: argparse.Namespace) -> int:
    """Decide whether a derivative rule (or --field) is a conservative field for EXPR."""
    result = check(args.expr, args.vars, rule=args.rule, overrides=args.overrides, field=args.field,
                   domain=args.domain, timeout=args.timeout, progress=progress_printer("check"))
    if result.timings.get("stratify", 0) + result.timings.get("check", 0) >= 1.0:
        sys.stderr.write("\n")
    from semialg.checks.critical import for_check
    critical = for_check(result, args.timeout)
    if args.plot:
        from semialg.plot import write_plot
        write_plot(result, args.plot, critical, "check")
    emit(report.dump_json(result.to_json(critical)) if args.json else result.to_text(critical))
    return result.exit_code

