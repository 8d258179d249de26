"""``semialg critical EXPR [--rule ...]``: artificial critical points and spurious values.

For every stratum: where ``0 ∈ conv D(x)`` (D-critical), where ``0 ∈ Jac^c f(x)``
(Clarke critical), where the first holds but not the second (artificial
critical points) and where ``D(x)`` leaves the Clarke set (spurious values),
each as the stratum plus extra equations, an exact sample and whether it is the
whole stratum. Exit 0 when there is no artificial critical point, 1 when there
are (or the function is not locally Lipschitz), 2 bad input, 3 unknown.

The JSON helpers here (:func:`sets_json`, :func:`clarke_json`) are shared with
``semialg check``.
"""
from __future__ import annotations

import argparse
import sys

from . import report
from .checks.clarke import vertices_json
from .checks.critical import CriticalResult, critical
from .cli import add_expression_arguments, emit, register
from .rules import fmt_exact

MAX_ROWS = 40
KINDS = (("artificial", "artificial_critical", "artificial critical points (0 in conv D, 0 not in Clarke)"),
         ("spurious", "spurious", "spurious values (D(x) not inside the Clarke set)"),
         ("d_critical", "d_critical", "D-critical sets (0 in conv D)"),
         ("clarke_critical", "clarke_critical", "Clarke critical sets (0 in the Clarke set)"))


def _sample(point) -> dict:
    out = {"sample": [fmt_exact(v) for v in point]}
    if not all(hasattr(v, "denominator") for v in point):
        out["sample_float"] = [float(v) for v in point]
    return out


def point_set_json(ps) -> dict:
    """One :class:`~semialg.checks.critical.PointSet` as JSON (DESIGN.md)."""
    names = list(ps.stratum.names)
    out = {"stratum": ps.stratum.id, "dim": ps.stratum.dim, "conditions": ps.stratum.condition_text()}
    out.update(_sample(ps.sample))
    out["equations"] = [f"{e.to_str(names)} = 0" for e in ps.equations]
    out["whole_stratum"] = ps.whole_stratum
    if ps.condition:
        out["condition"] = ps.condition
    out["field"] = vertices_json(ps.field)
    out["clarke"] = vertices_json(ps.clarke)
    if ps.reason:
        out["reason"] = ps.reason
    return out


def sets_json(sets) -> dict:
    """The four families of sets (a :class:`CriticalResult` or the dict of ``analyze``) as JSON lists."""
    get = (lambda k: getattr(sets, k)) if isinstance(sets, CriticalResult) else sets.get
    return {key: [point_set_json(ps) for ps in get(attr)] for attr, key, _ in KINDS}


def clarke_json(sc) -> list | None:
    """A stratum's Clarke vertices at its sample, as exact strings (None when there are none)."""
    return vertices_json(sc.vertices) if sc.vertices else None


def _vec(vx) -> str:
    if len(vx) == 1:
        return "(" + ", ".join(fmt_exact(v) for v in vx[0]) + ")"
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in vx) + "]"


def hull_text(vertices) -> str:
    """``conv{(0), (1)}``, or ``{(1)}`` for a single vertex."""
    inner = ", ".join(_vec(v) for v in vertices)
    return "{" + inner + "}" if len(vertices) == 1 else "conv{" + inner + "}"


def point_set_text(ps) -> str:
    where = ", ".join(ps.stratum.condition_text())
    extra = f" where {ps.condition}" if ps.condition else ""
    whole = {True: "the whole stratum", False: "part of the stratum", None: "whole stratum undecided"}[ps.whole_stratum]
    sample = "(" + ", ".join(fmt_exact(v) for v in ps.sample) + ")"
    return (f"  stratum {ps.stratum.id} [{where}]{extra}: {whole}; at {sample}: "
            f"D = {hull_text(ps.field)}, Clarke = {hull_text(ps.clarke)}")


def sets_text(sets, include_critical: bool = True) -> list[str]:
    """Text lines for the families of sets (artificial and spurious first)."""
    get = (lambda k: getattr(sets, k)) if isinstance(sets, CriticalResult) else sets.get
    lines = []
    for attr, _, title in KINDS if include_critical else KINDS[:2]:
        found = get(attr)
        lines.append(f"{title}: {len(found) if found else 'none'}")
        lines += [point_set_text(ps) for ps in found[:MAX_ROWS]]
        if len(found) > MAX_ROWS:
            lines.append(f"  ... {len(found) - MAX_ROWS} more (--json lists all)")
    return lines


def result_json(result: CriticalResult) -> dict:
    out = report.header("critical", result.function, list(result.program.inputs))
    out.update({"rule": result.rule.name, "verdict": result.verdict, "reason": result.reason})
    strata = []
    names = list(result.program.inputs)
    for sc in result.clarke:
        s = sc.stratum
        entry = {"id": s.id, "dim": s.dim, "conditions": s.condition_text()}
        entry.update(_sample(s.sample))
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
        lines += sets_text(result, include_critical=result.program.n_outputs == 1)
    if result.unknowns:
        lines += ["", "undecided:"] + [f"  {u}" for u in result.unknowns[:MAX_ROWS]]
    lines += ["", "time: " + ", ".join(f"{k} {v:.3f} s" for k, v in result.timings.items())]
    return "\n".join(lines)


def setup_critical(parser: argparse.ArgumentParser) -> None:
    from .cli_check import add_rule_arguments
    add_expression_arguments(parser)
    add_rule_arguments(parser)
    parser.add_argument("--plot", metavar="FILE.png", default=None,
                        help="draw the function, the field and the Clarke sets (1-D), or the strata, the field and "
                             "the artificial critical points (2-D); needs matplotlib (the 'plot' extra)")
    parser.epilog = ("exit codes: 0 no artificial critical point, 1 there are artificial critical points (or the "
                     "function is not locally Lipschitz), 2 bad input, 3 unknown")


def run_critical(args: argparse.Namespace) -> int:
    """Find artificial critical points and spurious values of a derivative rule (exit 1 if artificial ones exist)."""
    from .cli_check import progress_printer
    result = critical(args.expr, args.vars, rule=args.rule, overrides=args.overrides, field=args.field,
                      domain=args.domain, timeout=args.timeout, progress=progress_printer("critical"))
    if sum(result.timings.values()) >= 1.0:
        sys.stderr.write("\n")
    if args.plot:
        from .plot import write_plot
        write_plot(result, args.plot, None, "critical")
    emit(report.dump_json(result_json(result)) if args.json else result_text(result))
    return result.exit_code


register("critical", setup_critical, run_critical)
