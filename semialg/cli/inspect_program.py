"""``semialg parse`` and ``semialg eval``: look at a program (its DAG, kinks, continuity) and evaluate it exactly."""
from __future__ import annotations

import argparse
import time

from semialg import report
from semialg.cli.common import add_expression_arguments, emit, load_program
from semialg.core import primitives
from semialg.frontends.text import parse, parse_point  # noqa: F401  (parse: the doctests use it)


# --------------------------------------------------------------------------- parse
def kinks(program) -> list[dict]:
    """The nonsmooth nodes of ``program`` (the ops the stratifier branches on), in topological order.

    >>> [k["text"] for k in kinks(parse("relu(x) + abs(y - 1)"))]
    ['relu(x)', 'abs(y - 1)']
    """
    from semialg.core.dag import to_text

    nodes = [n for n in program.topological_order() if n.op in primitives.NONSMOOTH]
    texts = to_text(nodes) if nodes else []
    return [{"op": n.op, "text": t, "continuous": primitives.REGISTRY[n.op].continuous} for n, t in zip(nodes, texts)]


def continuity(program) -> tuple[bool | None, list[str]]:
    """``(True, [])`` when every primitive is continuous and no ``where`` can jump;
    otherwise ``(None, ops)``: undecided from the syntax alone (``sign(x) * x`` is
    continuous), ``semialg check`` decides.

    >>> continuity(parse("relu(x)")), continuity(parse("x * sign(x)"))
    ((True, []), (None, ['sign']))
    """
    ops = sorted({n.op for n in program.topological_order()
                  if n.op in primitives.REGISTRY and (not primitives.REGISTRY[n.op].continuous or n.op == "where")})
    return (True if not ops else None), ops


def setup_parse(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_parse(args: argparse.Namespace) -> int:
    """Show the canonical form, inputs, outputs and kinks of a program."""
    t0 = time.perf_counter()
    program = load_program(args)
    elapsed = time.perf_counter() - t0
    canonical = program.to_text()
    found = kinks(program)
    cont, jumpy = continuity(program)
    n_nodes = len(program.topological_order())
    if args.json:
        doc = report.header("parse", args.expr, program.inputs)
        doc.update({
            "canonical": canonical, "inputs": list(program.inputs), "n_outputs": program.n_outputs,
            "outputs": [t for t in canonical_outputs(program)], "nodes": n_nodes, "kinks": found,
            "continuous": cont, "discontinuous_primitives": jumpy, "timings": {"parse": round(elapsed, 6)},
        })
        emit(report.dump_json(doc))
        return report.OK
    lines = [
        f"function:   {args.expr}",
        f"canonical:  {canonical}",
        f"inputs:     {', '.join(program.inputs) or '(none)'}",
        f"outputs:    {program.n_outputs}",
        f"nodes:      {n_nodes}",
        f"kinks:      {len(found)}",
    ]
    width = max((len(k["text"]) for k in found), default=0)
    lines += [f"  {k['text']:<{width}}  [{k['op']}{'' if k['continuous'] else ', discontinuous'}]" for k in found]
    if cont:
        lines.append("continuous: yes (a composition of continuous primitives)")
    else:
        lines.append(f"continuous: not decided by the syntax (uses {', '.join(jumpy)}); `semialg check` decides")
    emit("\n".join(lines))
    return report.OK


def canonical_outputs(program) -> list[str]:
    from semialg.core.dag import to_text

    return to_text(program.outputs)


# --------------------------------------------------------------------------- eval
def setup_eval(parser: argparse.ArgumentParser) -> None:
    add_expression_arguments(parser)
    parser.add_argument("--at", metavar="x=1/2,y=0", required=True, help="the point, exact rationals")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate a program exactly at a rational point."""
    from semialg.numeric import exact_value

    program = load_program(args)
    point = parse_point(args.at, program.inputs)
    values = exact_value(program, point)
    if args.json:
        doc = report.header("eval", args.expr, program.inputs)
        doc.update({"point": report.fmt_vector(point), "value": report.fmt_vector(values),
                    "float": [report.fmt_float(v) for v in values]})
        emit(report.dump_json(doc))
        return report.OK
    where = ", ".join(f"{v} = {report.fmt_number(c)}" for v, c in zip(program.inputs, point))
    lines = [f"{args.expr} at {where}" if where else args.expr]
    lines += [f"  {report.fmt_number(v)}  ({report.fmt_float(v)!r})" for v in values]
    emit("\n".join(lines))
    return report.OK
