"""Benchmark: the speed targets, each measured with its anchor in the same run (a table, not a test).

One row per target: our figure, the anchor's (an earlier version of semialg from a temporary
``git worktree`` of ``--base``, affinitree, regioncam), the target, and MET / NOT MET. Times
are CPU seconds (``time.process_time``, ``gc.collect()`` before each run) in long-lived worker
processes, one per instance and version (so one instance's heap does not slow the next), the
rounds interleaved, medians; where the target is a wall time
(a whole command, start-up) it is a fresh process's wall time. Memory is the peak resident
size (``ru_maxrss``) of a fresh process doing only that run. The machine is shared and noisy:
read the ratios.

Anchors that are not installed leave their column empty (``pip install affinitree``,
``pip install regioncam`` and the Debian package ``qepcad`` are benchmark-only dependencies).
QEPCAD B's figure is its CAD phase, the time it reports after its initialisation.

Usage: python benchmarks/targets.py [--base REV] [--rounds N] [--skip-long]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from stratify import QUADRATICS, affinitree_time, generic_lines, net_weights, qepcad_time  # noqa: E402
from versus import Worker, base_tree, generic_layer, interleaved, relu_net  # noqa: E402

CLI = "import sys; from semialg.cli import main; sys.exit(main())"

WORKER = r"""
import gc, json, sys, time
sys.path.insert(0, sys.argv[1])
from semialg import check, parse, stratify
import semialg.checks.conservative as conservative
CLOCK = [0.0]
def clocked(f):   # the check phase's own CPU time: the continuity check and the projection checks
    def run(*a, **k):
        t0 = time.process_time()
        try:
            return f(*a, **k)
        finally:
            CLOCK[0] += time.process_time() - t0
    return run
for name in ("lipschitz", "projection_checks", "_projection_checks"):
    if hasattr(conservative, name):
        setattr(conservative, name, clocked(getattr(conservative, name)))
INSTANCES = json.loads(sys.argv[2])
stratify(parse("relu(x*y - 1)"))   # not timed: loads z3 and its nlsat tactic once, as a warm process has
for line in sys.stdin:
    kind, text, variables = INSTANCES[line.strip()]
    program = parse(text, variables)   # not timed: the parser is not what the targets are about
    gc.collect()
    t0 = time.process_time()
    if kind == "check_phase":
        CLOCK[0] = 0.0
        r = check(text, variables)
        out = [CLOCK[0], r.verdict]
    elif kind == "regions":
        from semialg.stratification.regions import regions
        out = [None, len(regions(program).strata)]
        out[0] = time.process_time() - t0
    else:
        out = [None, len(stratify(program).strata)]
        out[0] = time.process_time() - t0
    print(json.dumps(out), flush=True)
"""

MEMORY = r"""
import resource, sys
sys.path.insert(0, sys.argv[1])
from semialg import parse, stratify
s = stratify(parse(sys.argv[2], sys.argv[3]))
print(len(s.strata), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def net_text(dims: list[int], seed: int) -> tuple[str, str]:
    """The dense ReLU net of benchmarks/stratify.py (integer weights in [-9, 9]), inputs x1..xn."""
    names = [f"x{i}" for i in range(1, dims[0] + 1)]
    layer = names
    for W, c in net_weights(dims, seed):
        layer = [f"relu({' + '.join(f'{w}*({v})' for w, v in zip(row, layer))} + {b})" for row, b in zip(W, c)]
    return ", ".join(layer), ",".join(names)


def regioncam_seconds(lines, rounds: int) -> tuple[float, int] | None:
    """regioncam's CPU time for the faces of the 2-D layer (float32, a box of half-width 1000)."""
    try:
        import numpy as np
        import regioncam
    except ImportError:
        return None
    W = np.array([[a, b] for a, b, _ in lines], dtype=np.float32).T
    b = np.array([c for _, _, c in lines], dtype=np.float32)
    times, faces = [], 0
    for _ in range(rounds):
        t0 = time.process_time()
        cam = regioncam.Regioncam(size=1000.0)
        cam.linear(W, b)
        cam.relu()
        times.append(time.process_time() - t0)
        faces = cam.num_faces + cam.num_edges + cam.num_vertices
    return statistics.median(times), faces


def wall(argv: list[str], tree: Path, runs: int) -> float:
    times = []
    env = dict(os.environ, PYTHONPATH=str(tree))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # run in the tree: ``python -c`` puts the working directory first on sys.path
    subprocess.run([sys.executable] + argv, env=env, capture_output=True, cwd=tree)   # bytecode cached first
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable] + argv, env=env, capture_output=True, check=True, cwd=tree)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_mb(tree: Path, text: str, variables: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", MEMORY, str(tree), text, variables], capture_output=True, text=True,
                         check=True, cwd=tree, env=dict(os.environ, PYTHONPATH=str(tree))).stdout.split()
    return int(out[1]) / 1024, int(out[0])


def heavy_on_import(tree: Path) -> list[str]:
    code = ("import sys; import semialg; print(','.join(m for m in ('numpy', 'networkx', 'z3', 'sympy') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tree,
                         env=dict(os.environ, PYTHONPATH=str(tree))).stdout.strip()
    return [m for m in out.split(",") if m]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="HEAD~1", help="the earlier version (a git revision; default HEAD~1)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-long", action="store_true", help="leave out the 5-D net and the 256-unit layer")
    args = ap.parse_args(argv)
    layer64, layer128 = generic_layer(64, 642), generic_layer(128, 1282)
    net388, v388 = net_text([3, 8, 8], 0)
    table = {
        "check64": ("check_phase", layer64, "x,y"),
        "check_net": ("check_phase", relu_net([3, 12, 12], 7), "x,y,z"),
        "check128": ("check_phase", layer128, "x,y"),
        "strat388": ("stratify", net388, v388),
        "regions388": ("regions", net388, v388),
        "strat64": ("stratify", layer64, "x,y"),
        "nonlinear": ("stratify", " + ".join(f"relu({q})" for q in QUADRATICS["circle, parabola, line"]), "x,y"),
    }
    long_rows = {} if args.skip_long else {"strat5d": ("stratify",) + net_text([5, 10, 10], 0)}
    rows = []
    with base_tree(args.base) as old_tree:
        trees = {"old": old_tree, "new": ROOT}
        everything = {**table, **long_rows}
        workers = {(k, side): Worker(tree, {k: everything[k]}, WORKER) for k in everything for side, tree in trees.items()}
        times, results = interleaved(workers, list(table), args.rounds)
        for k in long_rows:   # one run each: minutes
            for side in ("new", "old"):
                dt, out = workers[(k, side)].run(k)
                times[(k, side)], results[(k, side)] = [dt], out
            print(f"{k} done", file=sys.stderr)
        for w in workers.values():
            w.close()
        med = {key: statistics.median(v) for key, v in times.items()}
        e2e = {side: wall(["-c", CLI, "check", layer64, "--vars", "x,y"], tree, args.rounds)
               for side, tree in trees.items()}
        start = {side: wall(["-c", CLI, "check", "relu(x)", "--rule", "pytorch"], tree, 7) for side, tree in trees.items()}
        heavy = {side: heavy_on_import(tree) for side, tree in trees.items()}
        mem = ({side: peak_mb(tree, generic_layer(256, 2562), "x,y") for side, tree in trees.items()}
               if not args.skip_long else None)
    aff = affinitree_time(net_weights([3, 8, 8], 0), 3, args.rounds)
    cam = regioncam_seconds(generic_lines(64, 642), max(args.rounds, 5))

    def row(name, new, old, anchor, anchor_name, limit, met, unit="s", result=""):
        rows.append((name, new, old, anchor, anchor_name, limit, met, unit, result))

    for key, name, limit in (("check64", "check phase, 2-D layer of 64 ReLUs", 0.75),
                             ("check_net", "check phase, 3-D net [3, 12, 12]", 5.0),
                             ("check128", "check phase, 2-D layer of 128 ReLUs", 5.0)):
        new = med[(key, "new")]
        row(name, new, med[(key, "old")], None, "", f"< {limit} s", new < limit, result=results[(key, "new")])
    row("semialg check, 2-D layer of 64 ReLUs, whole command (wall)", e2e["new"], e2e["old"], None, "", "< 2 s",
        e2e["new"] < 2)
    new = med[("strat388", "new")]
    row("stratify 3-D net [3, 8, 8]: all strata, samples, pieces, adjacency", new, med[("strat388", "old")],
        aff[0] if aff else None, "affinitree", "<= 3x affinitree", bool(aff) and new <= 3 * aff[0],
        result=f"{results[('strat388', 'new')]} strata")
    new = med[("regions388", "new")]
    row("regions only, 3-D net [3, 8, 8]", new, med[("regions388", "old")], aff[0] if aff else None, "affinitree",
        "<= affinitree", bool(aff) and new <= aff[0],
        result=f"{results[('regions388', 'new')]} regions, affinitree {aff[1] if aff else '-'}")
    new = med[("strat64", "new")]
    row("stratify 2-D layer of 64 ReLUs, exact", new, med[("strat64", "old")], cam[0] if cam else None, "regioncam",
        "<= 20x regioncam", bool(cam) and new <= 20 * cam[0],
        result=f"{results[('strat64', 'new')]} strata, regioncam {cam[1] if cam else '-'} faces")
    q = qepcad_time(QUADRATICS["circle, parabola, line"])
    new = med[("nonlinear", "new")]
    row("stratify 2-D nonlinear: circle, parabola, line", new, med[("nonlinear", "old")], q[0] if q else None,
        "QEPCAD B (CAD phase)", "<= 5x QEPCAD B", bool(q) and new <= 5 * q[0],
        result=f"{results[('nonlinear', 'new')]} strata, QEPCAD B {q[2] if q else '-'} CAD cells")
    if long_rows:
        new = med[("strat5d", "new")]
        row("stratify 5-D net [5, 10, 10] (one run)", new, med[("strat5d", "old")], None, "", "< 30 s", new < 30,
            result=f"{results[('strat5d', 'new')]} strata")
    if mem:
        row("peak memory, stratify a 2-D layer of 256 ReLUs", mem["new"][0], mem["old"][0], None, "", "< 600 MB",
            mem["new"][0] < 600, unit="MB", result=f"{mem['new'][1]} strata")
    row("start-up: semialg check \"relu(x)\" --rule pytorch (wall, median of 7)", start["new"], start["old"], None, "",
        "< 0.15 s", start["new"] < 0.15)
    rows.append(("import semialg loads numpy, networkx, z3, sympy?", ", ".join(heavy["new"]) or "none",
                 ", ".join(heavy["old"]) or "none", None, "", "none", not heavy["new"], "", ""))

    print(f"base = {args.base}; CPU seconds, medians of {args.rounds} interleaved rounds unless the row says otherwise")
    print("| target | new | old | new/old | anchor | new/anchor | wanted | met | result |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, new, old, anchor, anchor_name, limit, met, unit, result in rows:
        if isinstance(new, str):
            print(f"| {name} | {new} | {old} | | | | {limit} | {'MET' if met else 'NOT MET'} | |")
            continue
        fmt = (lambda v: f"{v:.0f} MB") if unit == "MB" else (lambda v: f"{v:.3f} s")
        ratio = f"{new / old:.2f}" if old else ""
        anc = f"{anchor_name} {anchor:.4f} s" if anchor is not None else ("n/a" if anchor_name else "")
        vs = f"{new / anchor:.1f}x" if anchor else ""
        print(f"| {name} | {fmt(new)} | {fmt(old)} | {ratio} | {anc} | {vs} | {limit} | "
              f"{'MET' if met else 'NOT MET'} | {result} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
