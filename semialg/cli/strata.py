"""``semialg strata EXPR``: every stratum of a program, exactly (theory §1-2).

Prints a table (id, dimension, exact sample, polynomial piece, the sign
conditions -- simplified, or for wide programs the activation pattern with a
legend, see ``--conditions`` -- and the neighbours above) or, with ``--json``, one JSON object in the format of
docs/cli.md. Progress goes to stderr when the run takes longer than a second.
Exit codes: 0 computed, 2 bad input, 3 incomplete (a solver query was
undecided; the reasons are printed).

>>> from semialg.cli import main
>>> main(["strata", "relu(x)"])
relu(x)   variables: x   3 strata (method: arrangement)
id  dim  sample  piece  conditions  above
 0    1  -1      0      x < 0
 1    0  0       0      x = 0       0, 2
 2    1  1       x      x > 0
0
"""
from __future__ import annotations

import argparse
import sys
import time

from semialg import report
from semialg.cli.common import add_conditions_argument, add_time_limit_argument
from semialg.core.budget import Deadline, TimeLimitReached
from semialg.cli.common import add_data_arguments, add_domain_arguments, add_expression_arguments, domain_from_args
from semialg.cli.common import emit, load_program
from semialg.frontends.text import parse


def setup_strata(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--domain", default=None, metavar="COND",
                        help="restrict to a region, e.g. \"x**2 + y**2 <= 4\" or \"-1 <= x <= 1 and -1 <= y <= 1\"")
    add_domain_arguments(parser)
    add_data_arguments(parser)
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (nonlinear kinks only; default 60; 0: no limit)")
    add_time_limit_argument(parser)
    parser.add_argument("--method", default="auto", choices=["auto", "tree", "smt"],
                        help="auto: exact face enumeration for one-layer linear kinks, else the branch tree "
                             "(tree: always the branch tree; smt: the branch tree asking z3 for every branch)")
    parser.add_argument("--regions", action="store_true",
                        help="only the open cells (the linear regions a float region tool counts), exactly: no "
                             "lower-dimensional strata, no adjacency")
    parser.add_argument("--jsonl", action="store_true",
                        help="with --regions: stream one JSON object per region as it is found (not held in memory), "
                             "then a summary object")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of a table")
    add_conditions_argument(parser)
    parser.epilog = "exit codes: 0 computed, 2 bad input, 3 incomplete (a solver query was undecided)"


def _progress(label: str = "strata"):
    start = time.perf_counter()

    def show(count: int, seconds: float) -> None:
        if time.perf_counter() - start >= 1.0:
            sys.stderr.write(f"\r[{label}] stratify: {count} strata, {seconds:.1f} s ")
            sys.stderr.flush()
    return show


def run_strata(args: argparse.Namespace) -> int:
    """List the strata of EXPR: conditions, dimension, exact sample, piece, neighbours above."""
    from semialg.report.check import domain_json, domain_statement  # loaded when the command runs
    from semialg.stratification import Options, stratify
    t0 = time.perf_counter()
    program = load_program(args)
    local = domain_from_args(args)
    domain = (parse(f"where({local}, 1, 0)", list(program.inputs)).outputs[0].args[0] if isinstance(local, str)
              else local)
    t1 = time.perf_counter()
    if args.jsonl and not args.regions:
        from semialg.core.errors import InputError
        raise InputError("--jsonl streams the regions: use it with --regions (the strata need their adjacency, "
                         "so they are computed as a whole)")
    if args.regions:
        return _regions(args, program, domain)
    deadline = Deadline.of(args.time_limit)
    options = Options(timeout_ms=max(0, int(args.timeout * 1000)), domain=domain, method=args.method,
                      progress=_progress(), deadline=deadline)
    try:
        strat = stratify(program, options)
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        return _stopped(args, program, exc, deadline, time.perf_counter() - t1)
    program = strat.program
    t2 = time.perf_counter()
    if t2 - t1 >= 1.0:
        sys.stderr.write("\n")
    code = report.OK if strat.complete else report.UNKNOWN
    if args.json:
        doc = report.header("strata", program.to_text(), program.inputs)
        if strat.domain is not None:
            doc["domain"] = domain_json(strat.domain, "")
        doc.update({"verdict": "computed" if strat.complete else "unknown",
                    "reason": "; ".join(strat.reasons) if strat.reasons else
                    f"{len(strat.strata)} strata ({strat.stats.get('method')})",
                    "method": strat.stats.get("method"), "complete": strat.complete,
                    "strata": strat.to_json(),
                    "stats": {k: v for k, v in strat.stats.items() if k != "method"},
                    "timings": {"parse": round(t1 - t0, 6), "stratify": round(t2 - t1, 6)}})
        emit(report.dump_json(doc))
        return code
    from semialg.stratification.render import strata_text
    text = strata_text(strat, args.conditions)
    if strat.domain is not None:
        first, rest = (text.split("\n", 1) + [""])[:2]
        text = f"{first}\n  {domain_statement(strat.domain, '')}\n{rest}"
    emit(text)
    return code


def _regions(args: argparse.Namespace, program, domain) -> int:
    """``--regions``: the open cells only (semialg.stratification.regions)."""
    from semialg.core.errors import InputError
    from semialg.stratification.regions import regions
    if domain is not None:
        raise InputError("--regions takes no domain: it lists the open cells of the whole space")
    t1 = time.perf_counter()
    deadline = Deadline.of(args.time_limit)
    import json

    from semialg.stratification.render import sample_text
    names = list(program.inputs)

    def write_line(s):   # --jsonl: each region as it is found, not kept
        sys.stdout.write(json.dumps({"id": s.id, "sample": [sample_text(v) for v in s.sample],
                                     "piece": [p.to_str(names) for p in s.piece],
                                     "conditions": s.condition_text()}) + "\n")
    sink = write_line if args.jsonl else None
    try:
        found = regions(program, timeout=max(0.0, args.timeout), time_limit=args.time_limit,
                        progress=_progress("regions"), sink=sink)
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        return _stopped(args, program, exc, deadline, time.perf_counter() - t1)
    if args.jsonl:
        doc = report.header("strata", program.to_text(), program.inputs)
        doc.update({"verdict": "computed" if found.complete else "unknown", "regions_only": True,
                    "n_regions": found.stats["regions"], "complete": found.complete, "reasons": list(found.reasons),
                    "stats": found.stats})
        sys.stdout.write(json.dumps(report.to_jsonable(doc)) + "\n")
    elif args.json:
        doc = report.header("strata", program.to_text(), program.inputs)
        doc.update({"verdict": "computed" if found.complete else "unknown", **found.to_json()})
        emit(report.dump_json(doc))
    else:
        emit(found.to_text())
    return report.OK if found.complete else report.UNKNOWN


def _stopped(args: argparse.Namespace, program, exc: BaseException, deadline: Deadline, seconds: float) -> int:
    """The time limit ran out or Ctrl-C was pressed: the reason (phase, strata so far), exit 3."""
    reason = str(exc) if isinstance(exc, TimeLimitReached) else deadline.reason(interrupted=True)
    if seconds >= 1.0:
        sys.stderr.write("\n")
    if args.json:
        doc = report.header("strata", program.to_text(), program.inputs)
        doc.update({"verdict": "unknown", "reason": reason, "complete": False, "strata": None,
                    "timings": {"stratify": round(seconds, 6)}})
        emit(report.dump_json(doc))
    else:
        emit(f"{program.to_text()}   variables: {', '.join(program.inputs)}\nverdict: UNKNOWN\n  {reason}")
    return report.UNKNOWN
