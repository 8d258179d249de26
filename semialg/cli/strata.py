"""``semialg strata EXPR``: every stratum of a program, exactly (theory §1-2).

Prints a table (id, dimension, sign conditions, exact sample, polynomial piece,
neighbours above) or, with ``--json``, one JSON object in the format of
docs/cli.md. Progress goes to stderr when the run takes longer than a second.
Exit codes: 0 computed, 2 bad input, 3 incomplete (a solver query was
undecided; the reasons are printed).

>>> from semialg.cli import main
>>> main(["strata", "relu(x)"])
relu(x)   variables: x   3 strata (method: arrangement)
 id  dim  conditions  sample  piece  above
  0    1  x < 0       -1      0
  1    0  x = 0       0       0      0, 2
  2    1  x > 0       1       x
0
"""
from __future__ import annotations

import argparse
import sys
import time

from semialg import report
from semialg.cli.common import add_expression_arguments, emit, load_program
from semialg.frontends.text import parse
from semialg.smt import AlgebraicNumber
from semialg.stratification import Options, Stratification, stratify
from semialg.stratification.cells import SIGN_TEXT


def setup_strata(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--domain", default=None, metavar="COND",
                        help="restrict to a region, e.g. \"x**2 + y**2 <= 4\" or \"-1 <= x <= 1 and -1 <= y <= 1\"")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per solver query (nonlinear kinks only; default 60)")
    parser.add_argument("--method", default="auto", choices=["auto", "tree", "smt"],
                        help="auto: exact face enumeration for one-layer linear kinks, else the branch tree "
                             "(tree: always the branch tree; smt: the branch tree asking z3 for every branch)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (docs/cli.md) instead of a table")
    parser.epilog = "exit codes: 0 computed, 2 bad input, 3 incomplete (a solver query was undecided)"


def _progress(label: str = "strata"):
    start = time.perf_counter()

    def show(count: int, seconds: float) -> None:
        if time.perf_counter() - start >= 1.0:
            sys.stderr.write(f"\r[{label}] {count} strata, {seconds:.1f} s ")
            sys.stderr.flush()
    return show


def sample_text(value) -> str:
    """An exact coordinate: ``"1/2"`` or ``"root(t**2 - 2, 1)"``."""
    return str(value) if isinstance(value, AlgebraicNumber) else report.fmt_number(value)


class _Texts:
    """Text of conditions and pieces, each polynomial formatted once (strata share them)."""

    def __init__(self, names):
        self.names = list(names)
        self.memo: dict = {}

    def poly(self, p) -> str:
        text = self.memo.get(id(p))
        if text is None:
            text = self.memo[id(p)] = p.to_str(self.names)
            self.memo[id(p), "keep"] = p          # keep p alive so its id is not reused
        return text

    def conditions(self, s) -> list[str]:
        return [f"{self.poly(p)} {SIGN_TEXT[t]} 0" for p, t in s.conditions] or ["true"]


def strata_json(strat: Stratification) -> list[dict]:
    """The strata as the JSON objects of docs/cli.md (exact strings; floats beside algebraic samples)."""
    texts = _Texts(strat.program.inputs)
    out = []
    for s in strat.strata:
        entry = {"id": s.id, "dim": s.dim, "conditions": texts.conditions(s),
                 "sample": [sample_text(v) for v in s.sample],
                 "piece": [texts.poly(p) for p in s.piece],
                 "above": list(strat.above[s.id])}
        if not s.rational:
            entry["sample_float"] = [float(v) for v in s.sample]
        if s.dim is None:
            entry["reason"] = s.reason
        out.append(entry)
    return out


def run_strata(args: argparse.Namespace) -> int:
    """List the strata of EXPR: conditions, dimension, exact sample, piece, neighbours above."""
    t0 = time.perf_counter()
    program = load_program(args)
    domain = parse(f"where({args.domain}, 1, 0)", list(program.inputs)).outputs[0].args[0] if args.domain else None
    t1 = time.perf_counter()
    options = Options(timeout_ms=max(1, int(args.timeout * 1000)), domain=domain, method=args.method,
                      progress=_progress())
    strat = stratify(program, options)
    t2 = time.perf_counter()
    if t2 - t1 >= 1.0:
        sys.stderr.write("\n")
    code = report.OK if strat.complete else report.UNKNOWN
    if args.json:
        doc = report.header("strata", program.to_text(), program.inputs)
        doc.update({"verdict": "computed" if strat.complete else "unknown",
                    "reason": "; ".join(strat.reasons) if strat.reasons else
                    f"{len(strat.strata)} strata ({strat.stats.get('method')})",
                    "method": strat.stats.get("method"), "complete": strat.complete,
                    "strata": strata_json(strat),
                    "stats": {k: v for k, v in strat.stats.items() if k != "method"},
                    "timings": {"parse": round(t1 - t0, 6), "stratify": round(t2 - t1, 6)}})
        emit(report.dump_json(doc))
        return code
    rows = [("id", "dim", "conditions", "sample", "piece", "above")]
    texts = _Texts(program.inputs)
    for s in strat.strata:
        rows.append((str(s.id), "?" if s.dim is None else str(s.dim), " and ".join(texts.conditions(s)),
                     "(" + ", ".join(sample_text(v) for v in s.sample) + ")" if len(s.sample) != 1
                     else sample_text(s.sample[0]),
                     ", ".join(texts.poly(p) for p in s.piece),
                     ", ".join(map(str, strat.above[s.id]))))
    widths = [max(len(r[k]) for r in rows) for k in range(len(rows[0]))]
    right = {0, 1}
    lines = [f"{program.to_text()}   variables: {', '.join(program.inputs)}   "
             f"{len(strat.strata)} strata (method: {strat.stats.get('method')})"]
    for r in rows:
        cells = [c.rjust(w) if k in right else c.ljust(w) for k, (c, w) in enumerate(zip(r, widths))]
        lines.append("  ".join(cells).rstrip())
    if not strat.complete:
        lines.append("incomplete: " + "; ".join(strat.reasons))
    emit("\n".join(lines))
    return code

