"""Benchmark: the stratifier against its speed anchors (prints a table; not a test).

Columns: instance, kinks, strata, seconds (best of a few runs, caches cleared),
ms per stratum, ``cells s`` (the cells alone: face enumeration, or the branch-tree
walk), and, measured in the same run,

* ``naive``: a plain DFS over the sign vectors of the kinks with one incremental
  z3 push/pop check per branch (layers with k <= 12 kinks), and the speedup;
* ``affinitree`` (a benchmark-only dependency, ``pip install affinitree``): its
  time to build the linear regions of the same network, and our time over it;
  the column says so when it is not installed;
* ``qepcad`` (Debian package ``qepcad``): a full CAD of the same polynomials in
  2-D (its time after initialisation, as it reports it), and our time over it.

Targets (issue 3): >= 100x the naive baseline at k = 12; a 2-D layer of 64 ReLUs
(8,193 strata) in < 5 s; a 3-D [8, 8] two-layer ReLU net within 3x of
affinitree; nonlinear kinks in 2-D within 5x of QEPCAD B.

Usage: python benchmarks/stratify.py [--quick]
"""
from __future__ import annotations

import argparse
import itertools
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

from semialg import smt
from semialg.core.poly import Poly
from semialg.frontends.text import parse
from semialg.stratification import cells, nonlinear, stratify


# --------------------------------------------------------------------------- instances
def generic_lines(k: int, seed: int) -> list[tuple[int, int, int]]:
    """k lines a x + b y + c = 0 in general position (checked exactly)."""
    rng = random.Random(seed)
    lines: list[tuple[int, int, int]] = []
    while len(lines) < k:
        a, b, c = (rng.randint(-99, 99) for _ in range(3))
        if (a, b) == (0, 0) or any(a * e - b * d == 0 for d, e, _ in lines):
            continue
        if any(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g) == 0
               for (d, e, f), (g, h, i) in itertools.combinations(lines, 2)):
            continue
        lines.append((a, b, c))
    return lines


def net_weights(dims: list[int], seed: int) -> list[tuple[list[list[int]], list[int]]]:
    rng = random.Random(seed)
    return [([[rng.randint(-9, 9) for _ in range(a)] for _ in range(b)], [rng.randint(-9, 9) for _ in range(b)])
            for a, b in zip(dims[:-1], dims[1:])]


def net_expr(weights, n: int) -> str:
    cur = ["x", "y", "z", "w"][:n]
    for W, c in weights:
        cur = [f"relu({' + '.join(f'{w}*({v})' for w, v in zip(row, cur))} + {b})" for row, b in zip(W, c)]
    return ", ".join(cur)


QUADRATICS = {
    "3 quadratics": ["x**2 + y**2 - 1", "x**2 - y", "x*y - 1"],
    "2 circles": ["x**2 + y**2 - 1", "x**2 + y**2 - 2*x"],
    "circle, parabola, line": ["x**2 + y**2 - 4", "y - x**2 + 1", "x + y - 1/2"],
}


# --------------------------------------------------------------------------- timing
def clear_caches():
    smt.clear_caches()
    cells._NORMAL.clear()
    nonlinear._GLOBAL_RANK.clear()


def timed(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        clear_caches()
        t0 = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - t0
        if elapsed < best:
            best, out = elapsed, result
    return best, out


def cells_seconds(strat) -> float:
    """The cells alone: face enumeration (arrangement) or the walk and dimensions (branch tree)."""
    return strat.stats.get("seconds_faces", strat.stats["seconds_cells"])


def naive(kinks: list[Poly], n: int) -> tuple[float, int, int]:
    """The naive baseline (:func:`semialg.smt.naive_sign_cells`): a plain DFS over sign vectors,
    one incremental z3 push/check/pop per branch. (seconds, cells, solver calls)"""
    t0 = time.perf_counter()
    cells_, calls = smt.naive_sign_cells(kinks, n)
    return time.perf_counter() - t0, cells_, calls


def affinitree_time(weights, n: int, repeat: int) -> tuple[float, int] | None:
    try:
        import numpy as np
        from affinitree import AffFunc, Architecture, builder
    except ImportError:
        return None
    best, regions = float("inf"), 0
    for _ in range(repeat):
        arch = Architecture(n)
        for W, c in weights:
            arch.linear(AffFunc.from_mats(np.array(W, dtype=float), np.array(c, dtype=float)))
            arch.relu()
        saved = os.dup(1)               # affinitree prints progress on stdout
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        try:
            t0 = time.perf_counter()
            tree = builder.from_layers(arch, None, None)
            best = min(best, time.perf_counter() - t0)
        finally:
            os.dup2(saved, 1)
            os.close(devnull)
            os.close(saved)
        regions = tree.num_terminals()
    return best, regions


def qepcad_time(polys: list[str]) -> tuple[float, float, int] | None:
    """(seconds after initialisation as QEPCAD reports them, wall seconds, cells) of a full CAD."""
    exe = shutil.which("qepcad")
    if exe is None:
        return None
    formula = " /\\ ".join(f"{p.replace('**', '^').replace('*', ' ')} > 0" for p in polys)
    script = f"[ bench ]\n(x,y)\n2\n[ {formula} ].\nfull-cad\ngo\ngo\ngo\nd-stat\ngo\nfinish\n"
    env = dict(os.environ, qe=os.environ.get("qe", "/usr/lib/qepcad"))
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as fh:
        fh.write(script)
        fh.seek(0)
        out = subprocess.run([exe, "+N20000000"], stdin=fh, capture_output=True, text=True, timeout=120, env=env).stdout
    wall = time.perf_counter() - t0
    total = re.search(r"System time: (\d+) milliseconds", out)
    init = re.search(r"System time after the initialization: (\d+) milliseconds", out)
    cells_ = re.search(r"^Cells\s+\d+\s+\d+\s+(\d+)", out, re.M)
    if not total or not init:
        return None
    return int(init.group(1)) / 1000, wall, int(cells_.group(1)) if cells_ else -1


# --------------------------------------------------------------------------- the table
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small instances only")
    args = ap.parse_args(argv)
    rows = []
    notes = []
    have_aff = affinitree_time(net_weights([2, 2], 0), 2, 1) is not None
    have_qepcad = shutil.which("qepcad") is not None
    if not have_aff:
        notes.append("affinitree is not installed (pip install affinitree): its column is empty")
    if not have_qepcad:
        notes.append("QEPCAD B is not installed (apt-get install qepcad): its column is empty")

    layer_sizes = [4, 8, 12, 16, 32] + ([] if args.quick else [64])
    for k in layer_sizes:
        lines = generic_lines(k, seed=k)
        text = " + ".join(f"relu({a}*x + {b}*y + {c})" for a, b, c in lines)
        program = parse(text)
        secs, strat = timed(lambda: stratify(program), 3 if k <= 32 else 1)
        row = {"instance": f"2-D layer, {k} ReLUs", "kinks": k, "strata": len(strat.strata), "seconds": secs,
               "method": strat.stats["method"], "cells": cells_seconds(strat)}
        if k <= 12:
            kinks = [Poly.linear([a, b], c) for a, b, c in lines]
            nsecs, ncells, calls = naive(kinks, 2)
            assert ncells == len(strat.strata), (ncells, len(strat.strata))
            row["naive"] = nsecs
            row["naive_calls"] = calls
        aff = affinitree_time([([[a, b] for a, b, _ in lines], [c for _, _, c in lines])], 2, 3)
        if aff:
            row["affinitree"], row["regions"] = aff
        rows.append(row)
        if k == 16:   # the same layer through the branch tree (double description), for comparison
            secs, strat = timed(lambda: stratify(program, method="tree"), 3)
            rows.append({"instance": "  same, branch tree", "kinks": k, "strata": len(strat.strata),
                         "seconds": secs, "method": "tree", "cells": cells_seconds(strat)})

    nets = [[2, 4, 4], [2, 8, 8], [3, 8, 8]] + ([] if args.quick else [[3, 12, 12]])
    for dims in nets:
        weights = net_weights(dims, seed=0)
        program = parse(net_expr(weights, dims[0]))
        secs, strat = timed(lambda: stratify(program), 3 if dims != [3, 12, 12] else 1)
        row = {"instance": f"{dims[0]}-D net {dims[1:]}", "kinks": sum(dims[1:]), "strata": len(strat.strata),
               "seconds": secs, "method": strat.stats["method"], "cells": cells_seconds(strat)}
        aff = affinitree_time(weights, dims[0], 3)
        if aff:
            row["affinitree"], row["regions"] = aff
            assert aff[1] == sum(1 for s in strat.strata if s.dim == dims[0]), "region counts differ"
        rows.append(row)

    for name, polys in QUADRATICS.items():
        program = parse(" + ".join(f"relu({p})" for p in polys))
        secs, strat = timed(lambda: stratify(program), 3)
        row = {"instance": f"2-D {name}", "kinks": len(polys), "strata": len(strat.strata), "seconds": secs,
               "method": strat.stats["method"], "cells": cells_seconds(strat)}
        q = qepcad_time(polys)
        if q:
            row["qepcad"], row["qepcad_wall"], row["qepcad_cells"] = q
        rows.append(row)

    print(f"{'instance':<28} {'kinks':>5} {'strata':>6} {'method':<11} {'seconds':>8} {'ms/str':>7} {'cells s':>8} "
          f"{'naive s':>8} {'speedup':>8} {'cells x':>8} {'affinitree s':>12} {'ours/aff':>8} {'qepcad s':>8} "
          f"{'ours/qep':>8}")
    for r in rows:
        ms = 1000 * r["seconds"] / max(1, r["strata"])
        naive_s = f"{r['naive']:8.3f}" if "naive" in r else f"{'':>8}"
        speed = f"{r['naive'] / r['seconds']:7.0f}x" if "naive" in r else f"{'':>8}"
        cspeed = f"{r['naive'] / r['cells']:7.0f}x" if "naive" in r else f"{'':>8}"
        aff_s = f"{r['affinitree']:12.3f}" if "affinitree" in r else f"{'-' if have_aff else 'n/a':>12}"
        aff_r = f"{r['seconds'] / r['affinitree']:7.1f}x" if "affinitree" in r else f"{'':>8}"
        q_s = f"{r['qepcad']:8.3f}" if "qepcad" in r else f"{'-' if have_qepcad else 'n/a':>8}"
        q_r = f"{r['seconds'] / r['qepcad']:7.1f}x" if r.get("qepcad") else f"{'':>8}"
        print(f"{r['instance']:<28} {r['kinks']:>5} {r['strata']:>6} {r['method']:<11} {r['seconds']:8.3f} {ms:7.3f} "
              f"{r['cells']:8.3f} {naive_s} {speed} {cspeed} {aff_s} {aff_r} {q_s} {q_r}")
    print()
    for r in rows:
        if "regions" in r:
            notes.append(f"{r['instance']}: affinitree {r['regions']} regions (full-dimensional cells only)")
        if "qepcad" in r:
            notes.append(f"{r['instance']}: QEPCAD B {r['qepcad_cells']} CAD cells, {r['qepcad_wall']:.3f} s wall "
                         "including process start")
        if "naive_calls" in r:
            notes.append(f"{r['instance']}: naive baseline {r['naive_calls']} z3 calls")
    for note in notes:
        print("note:", note)
    print()
    verdicts = []
    k12 = next((r for r in rows if r["kinks"] == 12 and "naive" in r), None)
    if k12:
        verdicts.append((f">= 100x the naive baseline at k = 12, whole stratification "
                         f"({k12['naive'] / k12['seconds']:.0f}x)", k12["naive"] / k12["seconds"] >= 100))
        verdicts.append((f">= 100x the naive baseline at k = 12, cells alone ({k12['naive'] / k12['cells']:.0f}x)",
                         k12["naive"] / k12["cells"] >= 100))
    k64 = next((r for r in rows if r["instance"] == "2-D layer, 64 ReLUs"), None)
    if k64:
        verdicts.append((f"64-ReLU 2-D layer < 5 s ({k64['seconds']:.2f} s, {k64['strata']} strata)", k64["seconds"] < 5))
    n388 = next((r for r in rows if r["instance"] == "3-D net [8, 8]"), None)
    if n388 and "affinitree" in n388:
        ratio = n388["seconds"] / n388["affinitree"]
        verdicts.append((f"3-D [8, 8] net within 3x of affinitree ({ratio:.1f}x)", ratio <= 3))
    qs = [r for r in rows if r.get("qepcad")]
    if qs:
        worst = max(r["seconds"] / r["qepcad"] for r in qs)
        verdicts.append((f"2-D nonlinear within 5x of QEPCAD B (worst {worst:.1f}x)", worst <= 5))
    for text, ok in verdicts:
        print(f"target {'MET' if ok else 'NOT MET'}: {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
