"""Implicit layers: deep-equilibrium layers at a kink, exactly, beside a float anchor.

    python benchmarks/implicit.py            # m = 1, 2, 4, 8, 16 units; medians of 5 interleaved rounds
    python benchmarks/implicit.py --quick    # one round, m <= 4

Each row is a random relu layer ``z = relu(Wz + Ux + b)`` with 2 inputs, ``||W||_∞ = 1/2``
(a contraction), dyadic entries, and one unit moved exactly onto its kink at the input (the
bias of an inactive unit shifted by its pre-activation: the fixed point does not move).
Columns (CPU seconds, ``time.process_time()``, ``gc.collect()`` before each run, rounds
interleaved, medians):

- ``deq_at``: the exact fixed point, the contraction certificate, the implicit function
  theorem's invertibility decision and ``J_z*`` (``clarke=False``: no Clarke Jacobian of F);
- ``deq_at+clarke``: the same with Clarke's Jacobian of ``F`` (a stratification near the point);
- ``float``: the anchor: a numpy fixed-point iteration to 1e-13 and one-sided finite
  differences in each input direction (what a numeric tool gives: one number per side, no proof);
- ``vertices``: the vertices of ``J_z*(x)`` (2 at one kink).

The last row is the issue's one-neuron bilinear kink ``z - relu(w*z + b + u*x)`` with all four
of ``(w, b, u, x)`` as parameters, through the generic :func:`semialg.implicit` (pytorch rule:
the closure of its graph from the neighbouring strata of a nonlinear program).
"""
from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import semialg  # noqa: E402
from semialg.checks.implicit.deq import deq_at, fixed_points  # noqa: E402
from semialg.frontends.equilibrium import deq_layer  # noqa: E402


def layer_at_a_kink(m: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = np.round(rng.uniform(-1, 1, (m, m)) * 8) / 8
    W = W / (2 * max(1.0, np.abs(W).sum(axis=1).max()))            # ||W||_inf <= 1/2
    W = [[Fraction(v).limit_denominator(256) for v in row] for row in W]
    U = [[Fraction(int(v), 4) for v in row] for row in rng.integers(-4, 5, (m, 2))]
    b = [Fraction(int(v), 8) for v in rng.integers(-8, 9, m)]
    x = [Fraction(1, 4), Fraction(-1, 2)]
    for _ in range(20):
        layer = deq_layer(W, U, b)
        (z,), _ = fixed_points(layer, x)
        pre = layer.preactivation(x, z)
        inactive = [i for i, v in enumerate(pre) if v < 0]
        if inactive:
            i = inactive[0]
            b[i] -= pre[i]
            return deq_layer(W, U, b), x
        b = [v - 1 for v in b]
    raise RuntimeError("no inactive unit")


def float_anchor(layer, x, eps: float = 1e-6):
    W = np.array([[float(v) for v in r] for r in layer.W])
    U = np.array([[float(v) for v in r] for r in layer.U])
    b = np.array([float(v) for v in layer.b])

    def solve(xv):
        z = np.zeros(len(b))
        for _ in range(10_000):
            new = np.maximum(W @ z + U @ xv + b, 0)
            if np.abs(new - z).max() < 1e-13:
                return new
            z = new
        return z

    x0 = np.array([float(v) for v in x])
    z0 = solve(x0)
    return [(solve(x0 + eps * e) - z0) / eps for e in np.eye(len(x0))] + \
           [(z0 - solve(x0 - eps * e)) / eps for e in np.eye(len(x0))]


def timed(fn):
    gc.collect()
    start = time.process_time()
    out = fn()
    return time.process_time() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    sizes = [1, 2, 4] if args.quick else [1, 2, 4, 8, 16]
    rounds = 1 if args.quick else 5
    cases = {m: layer_at_a_kink(m) for m in sizes}
    runs = {m: {"deq_at": [], "deq_at+clarke": [], "float": []} for m in sizes}
    vertices = {}
    bilinear = []
    for _ in range(rounds):
        for m, (layer, x) in cases.items():
            t, r = timed(lambda: deq_at(layer, x, clarke=False))
            runs[m]["deq_at"].append(t)
            assert r.verdict == "invertible" and set(r.closed_form) == set(r.jacobian)
            vertices[m] = len(r.jacobian)
            if m <= 8:
                t, r2 = timed(lambda: deq_at(layer, x, clarke=True))
                runs[m]["deq_at+clarke"].append(t)
                assert r2.verdict == "invertible"
            runs[m]["float"].append(timed(lambda: float_anchor(layer, x))[0])
        t, r = timed(lambda: semialg.implicit("z - relu(w*z + b + u*x)", x="w,b,u,x", y="z",
                                              at="w=-1/2,b=1,u=2,x=-1/2,z=0", rule="pytorch"))
        assert r.verdict == "invertible"
        bilinear.append(t)
    print(f"{'units':>5} {'deq_at s':>10} {'deq_at+clarke s':>16} {'float s':>9} {'ratio exact/float':>18} {'vertices':>9}")
    for m in sizes:
        med = {k: statistics.median(v) if v else float("nan") for k, v in runs[m].items()}
        print(f"{m:>5} {med['deq_at']:>10.4f} {med['deq_at+clarke']:>16.4f} {med['float']:>9.4f} "
              f"{med['deq_at'] / med['float']:>18.1f} {vertices[m]:>9}")
    print(f"one-neuron bilinear kink z - relu(w*z + b + u*x), 4 free parameters, implicit (pytorch): "
          f"first run {bilinear[0]:.3f} s CPU, median of {rounds} {statistics.median(bilinear):.3f} s "
          "(later runs reuse the cached stratification of the same program)")


if __name__ == "__main__":
    main()
