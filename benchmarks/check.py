"""Benchmark: time to verdict of `semialg check` (prints a table; not a test).

Part 1 runs each seed example as a fresh process (`python -m semialg check ...`,
process start included; target < 1 s wall each). Part 2 checks random ReLU
layers in 2-D and 3-D in-process and reports strata per second, the split
between stratification and checking, and, in the same run, the naive baseline
that sends every projection query to z3 (``method="smt"``) instead of deciding
linear strata by exact linear algebra. Target: a 2-D layer of 64 ReLUs (8,193
strata) checked in < 60 s.

Usage: python benchmarks/check.py [--quick]
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

from semialg.checks.conservative import check

SEEDS = [
    ("relu", "relu(x)", ["--rule", "tensorflow"]),
    ("relu2", "relu(-x) + x", ["--rule", "tensorflow"]),
    ("relu3", "1/2 * (relu(x) + relu(-x) + x)", ["--rule", "tensorflow"]),
    ("zero", "relu(-x) - relu(x) + x", ["--rule", "pytorch"]),
    ("identity", "x - (relu(-x) - relu(x) + x)", ["--rule", "pytorch"]),
    ("|x1|+|x2|", "abs(x1) + abs(x2)", ["--rule", "jax"]),
    ("|x|-|x| clarke", "abs(x) - abs(x)", ["--rule", "clarke"]),
    ("2-D |x| bad field", "abs(x)", ["--vars", "x,y", "--field", "sign(x), where(x == 0, 1, 0)"]),
    ("Lorenz field", "x*(10*(y - x)) + y*(x*(28 - z) - y) + z*(x*y - 8/3*z)",
     ["--vars", "x,y,z", "--field", "10*(y - x), x*(28 - z) - y, x*y - 8/3*z"]),
    ("circle kink", "relu(x**2 + y**2 - 1)", ["--rule", "clarke"]),
]


def relu_layer(k: int, dim: int, seed: int) -> str:
    """A sum of k ReLUs of random affine forms; in 2-D their lines are in general position
    (so the layer has exactly 2k^2 + 1 strata), using the stratify benchmark's generator."""
    rng = random.Random(seed)
    names = ["x", "y", "z"][:dim]
    if dim == 2:
        sys.path.insert(0, str(Path(__file__).parent))
        from stratify import generic_lines
        forms = [((a, b), c) for a, b, c in generic_lines(k, seed)]
    else:
        forms = [([rng.randint(-9, 9) or 1 for _ in names], rng.randint(-9, 9)) for _ in range(k)]
    return " + ".join("relu(" + " + ".join(f"{c}*{v}" for c, v in zip(w, names)) + f" + {b})" for w, b in forms)


def run_seeds() -> list[tuple]:
    rows = []
    for name, expr, extra in SEEDS:
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "semialg", "check", expr, *extra], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        verdict = next((ln.split(":", 1)[1].strip() for ln in proc.stdout.splitlines() if ln.startswith("verdict:")), "?")
        rows.append((name, verdict.lower(), proc.returncode, wall))
    return rows


def run_layers(quick: bool) -> list[tuple]:
    sizes = [(8, 2), (16, 2), (32, 2), (4, 3), (8, 3)] if quick else [(8, 2), (16, 2), (32, 2), (64, 2), (4, 3), (8, 3), (16, 3)]
    rows = []
    for k, dim in sizes:
        expr = relu_layer(k, dim, seed=k * 10 + dim)
        t0 = time.perf_counter()
        r = check(expr, rule="pytorch")
        total = time.perf_counter() - t0
        n = len(r.stratification.strata)
        naive = None
        if k <= 16:
            t1 = time.perf_counter()
            r2 = check(expr, rule="pytorch", method="smt")
            naive = time.perf_counter() - t1
            assert r2.verdict == r.verdict
        rows.append((f"{dim}-D layer of {k} ReLUs", n, r.verdict, r.timings["stratify"], r.timings["check"], total,
                     n / total, naive))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller layers only")
    args = ap.parse_args()
    print("Part 1: seed examples, one process each (target < 1 s wall)")
    print(f"{'example':<22} {'verdict':<18} {'exit':>4} {'wall s':>8}")
    for name, verdict, code, wall in run_seeds():
        print(f"{name:<22} {verdict:<18} {code:>4} {wall:>8.3f}")
    print()
    print("Part 2: random ReLU layers, in-process (target: 2-D, 64 ReLUs, 8,193 strata < 60 s)")
    print(f"{'instance':<24} {'strata':>7} {'verdict':<13} {'stratify s':>10} {'check s':>8} {'total s':>8} "
          f"{'strata/s':>9} {'naive s':>8} {'naive/ours':>10}")
    for name, n, verdict, ts, tc, total, rate, naive in run_layers(args.quick):
        ratio = f"{naive / total:.1f}x" if naive else "-"
        naive_s = f"{naive:.2f}" if naive else "-"
        print(f"{name:<24} {n:>7} {verdict:<13} {ts:>10.2f} {tc:>8.2f} {total:>8.2f} {rate:>9.0f} {naive_s:>8} {ratio:>10}")
    print()
    print("naive = every projection query sent to z3 (method='smt'), same stratification; "
          "the stratification time is shared, so the ratio understates the check-phase gain.")


if __name__ == "__main__":
    main()
