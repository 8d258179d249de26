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
from semialg.checks.critical import CriticalResult, critical
from semialg.cli.common import add_expression_arguments, add_rule_arguments, emit, progress_printer
from semialg.cli.critical_sets import MAX_ROWS, clarke_json, sample_of_point, sets_json, sets_text


def result_json(result: CriticalResult) -> dict:
    out = report.header("critical", result.function, list(result.program.inputs))
    out.update({"rule": result.rule.name, "verdict": result.verdict, "reason": result.reason})
    strata = []
    names = list(result.program.inputs)
    for sc in result.clarke:
        s = sc.stratum
        entry = {"id": s.id, "dim": s.dim, "conditions": s.condition_text()}
        entry.update(sample_of_point(s.sample))
        entry["piece"] = [p.to_str(names) for p in s.piece]
        entry["clarke"] = clarke_json(sc)
        strata.append(entry)
    out["strata"] = strata
    out.update(sets_json(result))
    out["unknown"] = list(result.unknowns)
    out["witness"] = None
    if result.jump is not None:
        j = result.jump
        out["witness"] = {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour,
                          "point": report.fmt_vector(j.point), "value": report.fmt_vector(j.value),
                          "limit": report.fmt_vector(j.limit)}
    out["timings"] = {k: round(v, 6) for k, v in result.timings.items()}
    return out


def result_text(result: CriticalResult) -> str:
    lines = [f"{result.function}   rule: {result.rule.name}   variables: {', '.join(result.program.inputs)}",
             f"verdict: {result.verdict.upper().replace('_', ' ')}", f"  {result.reason}"]
    if result.verdict != "not_lipschitz":
        lines.append("")
        lines += sets_text(result, outputs=result.program.n_outputs)
    if result.unknowns:
        lines += ["", "undecided:"] + [f"  {u}" for u in result.unknowns[:MAX_ROWS]]
    lines += ["", "time: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items())]
    return "\n".join(lines)


def setup_critical(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    add_rule_arguments(parser)
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="draw the function, the field and the Clarke sets (1-D), or the strata, the field and "
                             "the artificial critical points (2-D); needs matplotlib (the 'plot' extra)")
    parser.epilog = ("exit codes: 0 no artificial critical point, 1 there are artificial critical points (or the "
                     "function is not locally Lipschitz), 2 bad input, 3 unknown")


def run_critical(args: argparse.Namespace) -> int:
    """Find artificial critical points and spurious values of a derivative rule (exit 1 if artificial ones exist)."""
    result = critical(args.expr, args.vars, rule=args.rule, overrides=args.overrides, field=args.field,
                      domain=args.domain, timeout=args.timeout, progress=progress_printer("critical"))
    if sum(result.timings.values()) >= 1.0:
        sys.stderr.write("\n")
    if args.plot:
        from semialg.plot import write_plot
        write_plot(result, args.plot, None, "critical")
    emit(report.dump_json(result_json(result)) if args.json else result_text(result))
    return result.exit_code

