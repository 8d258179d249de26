"""Benchmark: this checkout against an earlier version of semialg, in the same run (a table, not a test).

Both versions run side by side in long-lived worker processes, one per instance and version
(the earlier one from a temporary ``git worktree`` of ``--base``). Each round sends every
instance to both of its workers, in alternating order; a worker runs ``gc.collect()`` and then
times the instance with ``time.process_time`` (CPU seconds, so a busy machine inflates both
alike). The table gives the median over rounds of each, and their ratio (new / old: below 1 is
faster). The machine is shared and noisy: read the ratios, not the seconds.

Instances use only the public API both versions have (``parse``, ``stratify``, ``check``):
linear ones (ReLU layers and nets, the arrangement and branch-tree engines) and nonlinear
ones (where the new version does more work to certify adjacency on all of a stratum).

Usage: python benchmarks/versus.py [--base REV] [--rounds N] [--quick]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORKER = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
import semialg
from semialg import parse, stratify, check
INSTANCES = json.loads(sys.argv[2])
stratify(parse("relu(x*y - 1)"))   # not timed: loads z3 and its nlsat tactic once, as a warm process has
for line in sys.stdin:
    name = line.strip()
    kind, text, variables = INSTANCES[name]
    gc.collect()
    t0 = time.process_time()
    if kind == "stratify":
        out = len(stratify(parse(text, variables)).strata)
    elif kind == "check_phase":   # the check phase alone (its own clock: the stratification excluded)
        r = check(text, variables)
        out = r.verdict
        print(json.dumps([r.timings["check"], out]), flush=True)
        continue
    else:
        r = check(text, variables)
        out = r.verdict
    dt = time.process_time() - t0
    print(json.dumps([dt, out]), flush=True)
"""


def relu_layer(k: int, dim: int, seed: int) -> str:
    rng = random.Random(seed)
    names = ["x", "y", "z"][:dim]
    terms = []
    for _ in range(k):
        coeffs = [rng.randint(-9, 9) or 1 for _ in range(dim)]
        form = " + ".join(f"{c}*{v}" for c, v in zip(coeffs, names))
        terms.append(f"relu({form} + {rng.randint(-9, 9)})")
    return " + ".join(terms)


def generic_layer(k: int, seed: int) -> str:
    """A 2-D layer of k ReLUs whose lines are in general position (2k² + 1 strata), as in check.py."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from stratify import generic_lines
    return " + ".join(f"relu({a}*x + {b}*y + {c})" for a, b, c in generic_lines(k, seed))


def relu_net(dims: list[int], seed: int) -> str:
    """A dense ReLU net as text, inputs x, y, z (bent kinks: the branch-tree engine)."""
    rng = random.Random(seed)
    layer = ["x", "y", "z"][:dims[0]]
    for a, b in zip(dims[:-1], dims[1:]):
        layer = [f"relu({' + '.join(f'{rng.randint(-9, 9) or 1}*({u})' for u in layer)} + {rng.randint(-9, 9)})"
                 for _ in range(b)]
    return " + ".join(layer)


def instances(quick: bool) -> dict:
    out = {
        "stratify 2-D layer 32 (arrangement)": ("stratify", relu_layer(32, 2, 1), "x,y"),
        "stratify 3-D layer 8 (arrangement)": ("stratify", relu_layer(8, 3, 2), "x,y,z"),
        "stratify 2-D net [2,6,6] (tree)": ("stratify", relu_net([2, 6, 6], 3), "x,y"),
        "stratify 3-D net [3,6,6] (tree)": ("stratify", relu_net([3, 6, 6], 4), "x,y,z"),
        "check 2-D layer 16": ("check", relu_layer(16, 2, 5), "x,y"),
        "check 3-D layer 8": ("check", relu_layer(8, 3, 6), "x,y,z"),
        "check 2-D net [2,5,5] (tree)": ("check", relu_net([2, 5, 5], 7), "x,y"),
        "nonlinear: stratify circle kink": ("stratify", "relu(x**2 + y**2 - 1) + relu(x)", "x,y"),
        "nonlinear: stratify relu(relu(x)*y)": ("stratify", "relu(relu(x)*y)", "x,y"),
        "nonlinear: check relu(x*y - 1) + abs(x)": ("check", "relu(x*y - 1) + abs(x)", "x,y"),
    }
    if not quick:
        out["stratify 2-D layer 64 (arrangement)"] = ("stratify", relu_layer(64, 2, 8), "x,y")
        out["check 2-D layer 32"] = ("check", relu_layer(32, 2, 9), "x,y")
        # issue 13's check-phase targets (wall seconds of the phase, on its own clock)
        out["check phase: 2-D layer 64 (target < 0.75 s)"] = ("check_phase", generic_layer(64, 642), "x,y")
        out["check phase: 3-D net [3,12,12] (target < 5 s)"] = ("check_phase", relu_net([3, 12, 12], 7), "x,y,z")
        out["check phase: 2-D layer 128 (target < 5 s)"] = ("check_phase", generic_layer(128, 1282), "x,y")
    return out


class Worker:
    """A long-lived process of the version in ``tree``: each instance name sent to it is run once
    and answered with a JSON line ``[seconds, result]`` (``script``: the loop that does it)."""

    def __init__(self, tree: Path, table: dict, script: str = WORKER):
        self.proc = subprocess.Popen([sys.executable, "-c", script, str(tree), json.dumps(table)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=dict(os.environ, PYTHONPATH=str(tree)))

    def run(self, name: str) -> tuple[float, object]:
        self.proc.stdin.write(name + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the worker died on {name!r}")
        dt, out = json.loads(line)
        return dt, out

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@contextlib.contextmanager
def base_tree(base: str):
    """A temporary ``git worktree`` of revision ``base`` (removed on exit)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), base],
                       check=True, capture_output=True)
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)


def interleaved(workers: dict, names, rounds: int) -> tuple[dict, dict]:
    """Every instance of ``names`` on its ``(name, "old")`` and ``(name, "new")`` workers, ``rounds``
    times, the order alternating: ``(times, results)`` keyed by ``(name, side)`` (the last result)."""
    times = {(name, side): [] for name in names for side in ("old", "new")}
    results = {}
    for r in range(rounds):
        for i, name in enumerate(names):
            for side in ("old", "new") if (r + i) % 2 == 0 else ("new", "old"):
                dt, out = workers[(name, side)].run(name)
                times[(name, side)].append(dt)
                results[(name, side)] = out
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
    return times, results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="HEAD~1", help="the earlier version (a git revision; default HEAD~1)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="fewer and smaller instances")
    args = ap.parse_args(argv)
    table = instances(args.quick)
    with base_tree(args.base) as old_tree:
        # one process per instance and version: an instance's heap (and the collector's work on
        # it) would slow the instances after it in a shared process
        trees = {"old": old_tree, "new": ROOT}
        workers = {(name, side): Worker(tree, {name: table[name]}) for name in table for side, tree in trees.items()}
        times, outputs = interleaved(workers, list(table), args.rounds)
        for w in workers.values():
            w.close()
    print(f"CPU seconds, median of {args.rounds} interleaved rounds; base = {args.base}")
    print("| instance | old s | new s | new/old | old result | new result |")
    print("|---|---|---|---|---|---|")
    for name in table:
        old = statistics.median(times[(name, "old")])
        new = statistics.median(times[(name, "new")])
        print(f"| {name} | {old:.3f} | {new:.3f} | {new / old if old else float('nan'):.2f} | "
              f"{outputs[(name, 'old')]} | {outputs[(name, 'new')]} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
