"""Benchmark: `check` serial against a local 2-worker Dask cluster (prints a table; not a test).

Each run is a fresh process (so z3's caches are cold in both), interleaved serial / workers
over the rounds. Columns: the wall-clock medians of stratify + check (the cluster's start-up is
its own column: paid once per command), their ratio (serial / workers: above 1 is a speed-up),
the CPU seconds of the calling process, and the stratification's own wall medians (a tree
engine's subtrees are walked on the workers). Wall time is what parallel work buys; the machine
is shared and noisy, so read the ratios.

Usage: python benchmarks/parallel.py [--rounds N] [--workers N] [--quick]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def instances(quick: bool) -> dict:
    sys.path.insert(0, str(HERE))
    from check import relu_layer
    from versus import relu_net
    out = {
        "2-D layer of 32 ReLUs": relu_layer(32, 2, 322),
        "3-D net [3,8,8] (tree)": relu_net([3, 8, 8, 1], 7),
        "nonlinear: 5 kinks, 2-D": "relu(x*y - 1) + relu(x**2 + y**2 - 4) + relu(x**2 - y - 1) + abs(x - y) + relu(x*y + x - 2)",
    }
    if not quick:
        out["2-D layer of 64 ReLUs"] = relu_layer(64, 2, 642)
        out["3-D net [3,10,10] (tree)"] = relu_net([3, 10, 10, 1], 7)
        out["3-D net [3,12,12] (tree)"] = relu_net([3, 12, 12, 1], 7)
        out["nonlinear: 3 circles + 2 lines"] = ("relu(x**2 + y**2 - 1) + relu((x-1)**2 + y**2 - 2) + "
                                                  "relu(x**2 + (y-1)**2 - 3) + abs(x - y) + abs(x + 2*y - 1)")
    return out


def one(text: str, workers: int) -> dict:
    """One run in this process: timings of the check (workers 0: serial)."""
    import time
    from semialg.checks.conservative import check
    t0 = time.perf_counter()
    c0 = time.process_time()
    if workers:
        from semialg.checks.parallel import cluster
        with cluster(workers=workers) as client:
            up = time.perf_counter() - t0
            r = check(text, client=client)
    else:
        up = 0.0
        r = check(text)
    return {"startup": up, "work": r.timings["stratify"] + r.timings["check"], "stratify": r.timings["stratify"],
            "cpu": time.process_time() - c0,
            "verdict": r.verdict, "strata": len(r.stratification.strata)}


def run(text: str, workers: int) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--one", json.dumps([text, workers])], capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode:
        raise RuntimeError(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one is not None:
        text, workers = json.loads(args.one)
        print(json.dumps(one(text, workers)))
        return
    print(f"check, serial vs {args.workers} local Dask workers: wall medians of {args.rounds} interleaved rounds, "
          "fresh processes")
    print(f"{'instance':<32} {'strata':>7} {'serial s':>9} {'workers s':>10} {'serial/workers':>15} "
          f"{'cluster up s':>13} {'cpu serial':>11} {'cpu caller':>11} {'stratify: serial s':>19} {'workers s':>10}"
          "  same verdict")
    for name, text in instances(args.quick).items():
        serial, par = [], []
        for r in range(args.rounds):
            order = [(serial, 0), (par, args.workers)] if r % 2 == 0 else [(par, args.workers), (serial, 0)]
            for bucket, w in order:
                bucket.append(run(text, w))
        s = statistics.median(x["work"] for x in serial)
        p = statistics.median(x["work"] for x in par)
        up = statistics.median(x["startup"] for x in par)
        same = all(x["verdict"] == serial[0]["verdict"] and x["strata"] == serial[0]["strata"] for x in serial + par)
        print(f"{name:<32} {serial[0]['strata']:>7} {s:>9.2f} {p:>10.2f} {s / p:>14.2f}x {up:>13.2f} "
              f"{statistics.median(x['cpu'] for x in serial):>11.2f} {statistics.median(x['cpu'] for x in par):>11.2f}"
              f" {statistics.median(x['stratify'] for x in serial):>19.2f} "
              f"{statistics.median(x['stratify'] for x in par):>10.2f}  {same}", flush=True)


if __name__ == "__main__":
    main()
