"""``semialg check``: is a derivative rule conservative for a function?

Prints a verdict, its reason, a table of strata (conditions, exact sample,
piece, field vertices at the sample) and, for a refutation, the witness curve
with its exact numbers and the numeric confirmation. ``--json`` prints the
object of docs/cli.md; the exit code is 0 conservative, 1 not conservative / not
Lipschitz, 2 bad input, 3 unknown.
"""
from __future__ import annotations

import argparse
import contextlib
import sys

from semialg import report
from semialg.core.budget import Deadline
from semialg.core.errors import InputError
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


def check(*args, **kwargs):
    """:func:`semialg.checks.conservative.check`, imported on the first call: the checks and the
    stratifier behind them are loaded only when ``semialg check`` runs, not for ``--help``."""
    from semialg.checks.conservative import check as conservative_check
    return conservative_check(*args, **kwargs)


def setup_check(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    add_rule_arguments(parser)
    add_domain_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--framework", default=None, metavar="jax|torch",
                        help="EXPR is FILE.py:NAME, a JAX or PyTorch function (or module) in that file; check the "
                             "derivative the framework itself computes (its kink choices and custom rules)")
    parser.add_argument("--example", default=None, metavar="0,0",
                        help="with --framework: the example input the function is traced at (one value per scalar "
                             "argument, or the entries of its one vector argument)")
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="draw the function, field and Clarke sets (1-D) or strata and field (2-D); needs matplotlib")
    add_conditions_argument(parser)
    group = parser.add_argument_group("more than one process or machine (Dask distributed)")
    group.add_argument("--workers", type=int, default=None, metavar="N",
                       help="decide the strata on N local worker processes; the answer is the serial one")
    group.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="decide the strata on a running Dask cluster, e.g. tcp://10.0.0.5:8786")


def run_check(args: argparse.Namespace) -> int:
    """Decide whether a derivative rule (or --field) is a conservative field for EXPR."""
    function, framework, example = args.expr, None, None
    if args.framework is not None or args.example is not None:
        from semialg.frontends import native
        if args.framework is None:
            raise InputError("--example goes with --framework jax|torch (EXPR is then FILE.py:NAME)")
        framework = native.framework_name(args.framework)
        native.require(framework)
        if args.example is None:
            raise InputError(f"--framework {framework} needs --example, the input to trace the function at "
                             f"(e.g. --example 0,0)")
        example = native.parse_example(args.example)
        function = native.load_callable(args.expr)
    elif args.expr.endswith(".py") or (".py:" in args.expr and not args.expr.lstrip().startswith(("(", "-"))):
        raise InputError(f"{args.expr} is a Python file: give --framework jax|torch and --example (and FILE.py:NAME)")
    deadline = Deadline.of(args.time_limit)   # shared by the check and the Clarke sets after it
    data = data_from_args(args)
    if data is not None and framework is not None:
        raise InputError("--data binds data names of an expression; it does not go with --framework (trace the loss "
                         "at the data instead)")
    with _client(args) as client:
        result = check(function, variables_from_args(args), rule=args.rule, overrides=args.overrides,
                       field=args.field, domain=domain_from_args(args), timeout=args.timeout,
                       progress=progress_printer("check"), framework=framework, example=example, time_limit=deadline,
                       data=data, client=client)
    if result.timings.get("stratify", 0) + result.timings.get("check", 0) >= 1.0:
        sys.stderr.write("\n")
    from semialg.checks.critical import for_check
    critical = for_check(result, args.timeout, deadline)
    if args.plot:
        from semialg.plot import write_plot
        write_plot(result, args.plot, critical, "check")
    from semialg.report.check import check_text
    emit(report.dump_json(result.to_json(critical)) if args.json else check_text(result, critical, args.conditions))
    return result.exit_code



def _client(args: argparse.Namespace):
    """The Dask client of ``--workers`` / ``--scheduler`` (a null context without them)."""
    if args.workers is None and args.scheduler is None:
        return contextlib.nullcontext()
    if args.workers is not None and args.scheduler is not None:
        raise InputError("give --workers N (local processes) or --scheduler ADDRESS (a running cluster), not both")
    from semialg.checks.parallel import cluster
    return cluster(args.workers, args.scheduler)
