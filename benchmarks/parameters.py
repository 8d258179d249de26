"""Benchmark: parameters as variables, data fixed: the empirical loss of a small ReLU
network near an iterate (prints tables; not a test).

The loss of a ``2-H-1`` network (or deeper, ``--widths 2,4,4,1``) with squared error on three
fixed data points, as a program over the weights (``bind_data``: the exact mean over the points).
For each box radius around a fixed dyadic iterate: the kinks the box leaves after pruning
(``semialg.frontends.prune``), the strata, the verdicts and the CPU seconds of
``check(..., rule="pytorch", domain=Box(iterate, r))`` and of ``critical(...)`` with the same
arguments (medians of 3 interleaved rounds, ``gc.collect()`` and ``time.process_time()`` around
each call; z3 runs in-process, so its time is counted). Every call has a time limit: past it the
verdict is unknown and the row says so. Then the same at one radius for growing widths and depth,
and, for comparison, check with the box given as a plain condition (no pruning, no box cut).

Target: the 2-4-1 network (17 parameters), 3 data points, checked in under 60 s.

Usage: python benchmarks/parameters.py [--quick] [--time-limit SECONDS] [--timeout SECONDS]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time
from fractions import Fraction

from semialg.checks.conservative import check
from semialg.checks.critical import critical
from semialg.frontends.coerce import as_program
from semialg.frontends.domains import Box

DATA = [{"x1": 1, "x2": 0, "y": 1}, {"x1": 0, "x2": 1, "y": 0}, {"x1": -1, "x2": "1/2", "y": "1/2"}]
# small dyadic values; unit 1's pre-activation at the first data point is 0 at the iterate (an
# iterate on a kink, where relu'(0) matters), the others are between 1/16 and 1 away from 0.
FIRST_LAYER = [("1/2", "-1/4", "-1/2"), ("-1/4", "1/2", "1/8"), ("1/4", "1/4", "1/4"), ("-1/2", "-1/2", "1/16"),
               ("3/8", "-1/8", "1/8"), ("-1/8", "-3/8", "1/4"), ("1/8", "1/2", "-1/8"), ("-3/8", "1/8", "3/8")]
OUTPUT = ["1/2", "-1/2", "1/4", "1/2", "-1/4", "1/8", "-1/8", "3/8"]


def network(widths: tuple[int, ...]) -> tuple[str, list[str], list[Fraction]]:
    """The loss text of a ReLU network with these layer widths (inputs x1, x2, ...; output minus y,
    squared), its parameter names in order, and the iterate (one dyadic value per parameter)."""
    inputs = [f"x{i + 1}" for i in range(widths[0])]
    layer, params, iterate = inputs, [], []
    for depth, width in enumerate(widths[1:], start=1):
        last = depth == len(widths) - 1
        units = []
        for j in range(width):
            name = "c" if last and width == 1 else f"b{depth}_{j + 1}" if len(widths) > 3 else f"b{j + 1}"
            weights = [(f"v{k + 1}" if last and len(widths) == 3 else
                        f"w{depth}_{j + 1}{k + 1}" if len(widths) > 3 else f"w{j + 1}{k + 1}") for k in range(len(layer))]
            params += weights + [name]
            if last:
                iterate += [Fraction(OUTPUT[k % len(OUTPUT)]) for k in range(len(layer))] + [Fraction(1, 8)]
            else:
                row = FIRST_LAYER[(j + depth - 1) % len(FIRST_LAYER)]
                iterate += [Fraction(row[k % 2]) / (1 if depth == 1 else 2) for k in range(len(layer))] + [Fraction(row[2])]
            affine = " + ".join(f"{w} * {h}" for w, h in zip(weights, layer))
            units.append(f"{affine} + {name}" if last else f"relu({affine} + {name})")
        layer = units
    return f"({layer[0]} - y)**2", params, iterate


def kinks_left(program, box: Box) -> int | None:
    try:
        from semialg.frontends.prune import prune
    except ImportError:
        return None
    return prune(program, box).kept


def _one(kind: str, text: str, params, box, limit: float, timeout: float):
    gc.collect()
    t = time.process_time()
    if kind == "check":
        r = check(text, params, rule="pytorch", data=DATA, domain=box, time_limit=limit, timeout=timeout)
    elif kind == "critical":
        r = critical(text, params, rule="pytorch", data=DATA, domain=box, time_limit=limit, timeout=timeout)
    else:   # the box as a plain condition: no pruning, no box cut
        condition = box.condition_text(params)
        r = check(text, params, rule="pytorch", data=DATA, domain=condition, time_limit=limit, timeout=timeout)
    seconds = time.process_time() - t
    strata = len(r.stratification.strata) if r.stratification is not None else None
    return seconds, r.verdict, strata, r.reason


def measure(widths, radii, rounds: int, limit: float, timeout: float, kinds=("check", "critical")) -> list[dict]:
    text, params, iterate = network(widths)
    program = as_program(text, params, DATA)
    rows = []
    for r in radii:
        box = Box(iterate, r)
        rows.append({"widths": widths, "params": len(params), "radius": Fraction(r),
                     "kinks": kinks_left(program, box), "runs": {k: [] for k in kinds}})
    for _ in range(rounds):            # interleaved: every configuration once per round
        for row in rows:
            for kind in kinds:
                row["runs"][kind].append(_one(kind, text, params, Box(iterate, row["radius"]), limit, timeout))
    return rows


def _cell(runs) -> tuple[str, str, str]:
    seconds = statistics.median(s for s, *_ in runs)
    verdicts = sorted({v for _, v, *_ in runs})
    strata = runs[-1][2]
    return "/".join(verdicts), "-" if strata is None else str(strata), f"{seconds:.2f}"


def print_table(title: str, rows: list[dict]) -> None:
    kinds = list(rows[0]["runs"])
    print(f"\n{title}")
    head = f"{'widths':>9} {'params':>6} {'radius':>7} {'kinks':>5}"
    for kind in kinds:
        head += f"  {kind + ' verdict':>30} {'strata':>6} {'CPU s':>7}"
    print(head)
    for row in rows:
        line = (f"{'-'.join(map(str, row['widths'])):>9} {row['params']:>6} {str(row['radius']):>7} "
                f"{'?' if row['kinks'] is None else row['kinks']:>5}")
        for kind in kinds:
            verdict, strata, seconds = _cell(row["runs"][kind])
            line += f"  {verdict:>30} {strata:>6} {seconds:>7}"
        print(line, flush=True)
    for row in rows:
        for kind in kinds:
            _, verdict, _, reason = row["runs"][kind][-1]
            if verdict == "unknown":
                print(f"  {'-'.join(map(str, row['widths']))} r={row['radius']} {kind}: {reason[:160]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round instead of three")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per call (default 60)")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per solver query (default 10)")
    parser.add_argument("--radii", default="1/64,1/32,1/16,1/8,1/4", help="comma list of box radii")
    parser.add_argument("--widths", default="2,4,1", help="the target network's layer widths")
    args = parser.parse_args()
    rounds = 1 if args.quick else 3
    widths = tuple(int(w) for w in args.widths.split(","))
    radii = [Fraction(r) for r in args.radii.split(",")]
    text, params, iterate = network(widths)
    print(f"network {args.widths}: {len(params)} parameters, {len(DATA)} data points; loss per point:\n  {text}")
    print(f"iterate: {', '.join(f'{p}={v}' for p, v in zip(params, iterate))}")
    print(f"rounds: {rounds}; time limit {args.time_limit:g} s per call, {args.timeout:g} s per solver query")
    print_table("radius sweep (rule pytorch, box around the iterate)",
                measure(widths, radii, rounds, args.time_limit, args.timeout))
    small = [Fraction(1, 32)]
    print_table("width and depth at radius 1/32",
                [row for w in [(2, 2, 1), (2, 4, 1), (2, 6, 1), (2, 8, 1), (2, 2, 2, 1), (2, 3, 3, 1)]
                 for row in measure(w, small, rounds, args.time_limit, args.timeout)])
    print_table("for comparison: check with the box as a plain condition (no pruning, no box cut; one round)",
                measure(widths, radii[:2], 1, args.time_limit, args.timeout, kinds=("unpruned",)))


if __name__ == "__main__":
    main()
