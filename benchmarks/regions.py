"""Regions only (``semialg strata --regions``) against affinitree, and against the whole stratification.

    python benchmarks/regions.py            # medians of 5 interleaved rounds
    python benchmarks/regions.py --quick    # one round, the small instances

Columns (CPU seconds, ``time.process_time()``, ``gc.collect()`` before each run, the rounds
interleaved, medians): ``regions s`` (:func:`semialg.stratification.regions.regions`: the exact
walk that skips every branch with an equality), ``strata s`` (:func:`semialg.stratify`, every
stratum with samples, pieces and adjacency: what the checks need), ``affinitree s`` (the wall time of its
decision-tree builder on the same network, float64, single-threaded; a benchmark-only
dependency, ``pip install affinitree``) and the ratio ``regions / affinitree``; the counts: our regions, the full
stratification's open strata (they must agree) and affinitree's terminals.
The networks are those of ``benchmarks/stratify.py`` (integer weights in [-9, 9]).
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from stratify import affinitree_time, clear_caches, net_expr, net_weights  # noqa: E402

from semialg.frontends.text import parse  # noqa: E402
from semialg.stratification import stratify  # noqa: E402
from semialg.stratification.regions import regions  # noqa: E402

INSTANCES = [("2-D layer, 16 ReLUs", [2, 16], 2), ("2-D layer, 64 ReLUs", [2, 64], 2), ("2-D net [8, 8]", [2, 8, 8], 2),
             ("3-D net [8, 8]", [3, 8, 8], 3), ("3-D net [12, 12]", [3, 12, 12], 3)]
QUICK = 3


def cpu(fn):
    clear_caches()
    gc.collect()
    t0 = time.process_time()
    out = fn()
    return time.process_time() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    chosen = INSTANCES[:QUICK] if args.quick else INSTANCES
    rounds = 1 if args.quick else 5
    cases = []
    for name, dims, n in chosen:
        weights = net_weights(dims, seed=len(dims) * 100 + dims[-1])
        program = parse(net_expr(weights, n), ["x", "y", "z"][:n])
        cases.append((name, weights, n, program))
    times = {name: {"regions": [], "strata": [], "aff": []} for name, *_ in cases}
    counts = {}
    for _ in range(rounds):
        for name, weights, n, program in cases:
            t, found = cpu(lambda: regions(program))
            times[name]["regions"].append(t)
            t, strat = cpu(lambda: stratify(program))
            times[name]["strata"].append(t)
            aff = affinitree_time(weights, n, 1)
            if aff is not None:
                times[name]["aff"].append(aff[0])
            open_strata = sum(1 for s in strat.strata if s.dim == n)
            assert len(found.strata) == open_strata, (name, len(found.strata), open_strata)
            counts[name] = (len(found.strata), len(strat.strata), None if aff is None else aff[1])
    print(f"{'instance':<22} {'regions':>8} {'strata':>7} {'aff. terminals':>15} {'regions s':>10} {'strata s':>9} "
          f"{'affinitree s':>13} {'regions/aff':>12}")
    for name, *_ in cases:
        med = {k: statistics.median(v) if v else float("nan") for k, v in times[name].items()}
        r, s, a = counts[name]
        ratio = f"{med['regions'] / med['aff']:.1f}x" if times[name]["aff"] else "n/a"
        print(f"{name:<22} {r:>8} {s:>7} {a if a is not None else 'n/a':>15} {med['regions']:>10.3f} "
              f"{med['strata']:>9.3f} {med['aff']:>13.4f} {ratio:>12}")
    if not any(times[name]["aff"] for name, *_ in cases):
        print("note: affinitree is not installed (pip install affinitree): its columns are empty")


if __name__ == "__main__":
    main()
