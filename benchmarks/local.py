"""Local questions on real-size networks: a random 784-h-h-10 ReLU MLP on a segment
between two random inputs, on the plane through three, and at a point where two units tie
(assert_valid: the Clarke Jacobian, whether backprop's value is in it, whether the point is an
artificial critical point, and the check on a small box around it, in reduced coordinates).

    python benchmarks/local.py            # 784-16-16-10, 784-64-64-10, 784-256-256-10; medians of 3 rounds
    python benchmarks/local.py --quick    # one round, the small sizes

Columns: the exact pieces (intervals) and verdict of ``check(..., domain=Segment, rule="pytorch")``
(the line walk), its CPU seconds, the general path's (``method="generic"``; skipped beyond 64-64:
minutes), and the pieces a float64 sampling of the segment finds (numpy, 10^4 and 10^6 evenly
spaced t: one piece per change of the ReLU sign pattern), with how many it misses. The plane row
is the general path with the quick wins (collapsed affine restriction, cached directions).
regioncam is not installed here. Times: ``time.process_time()``, ``gc.collect()`` before each
run, rounds interleaved, medians.
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

from semialg.checks.conservative import check  # noqa: E402
from semialg.core.dag import Node, Program, add, mul  # noqa: E402
from semialg.frontends.domains import Plane, Segment  # noqa: E402

GENERIC_LIMIT = 64


def mlp(sizes: list[int], seed: int = 0):
    """A random MLP: dyadic weights (multiples of 1/8), inputs multiples of 1/4."""
    rng = np.random.default_rng(seed)
    h = [Node.var(f"x{i}") for i in range(sizes[0])]
    weights = []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        W = np.round(rng.uniform(-1, 1, (b, a)) * 8) / 8
        bias = np.round(rng.uniform(-1, 1, b) * 8) / 8
        weights.append((W, bias))
        pre = [add(*[mul(Node.const(Fraction(W[j, i])), h[i]) for i in range(a) if W[j, i]], Node.const(Fraction(bias[j])))
               for j in range(b)]
        h = [Node.make("relu", (p,)) for p in pre] if k < len(sizes) - 2 else pre
    program = Program(tuple(f"x{i}" for i in range(sizes[0])), (add(*h),))
    points = [[Fraction(int(v), 4) for v in rng.integers(-4, 5, sizes[0])] for _ in range(3)]
    return program, weights, points


def float_pieces(weights, a, b, samples: int, chunk: int = 20000) -> int:
    """Pieces a float64 sampling finds: 1 + the number of consecutive samples whose ReLU sign patterns differ."""
    a = np.array([float(v) for v in a])
    d = np.array([float(v) for v in b]) - a
    changes, previous = 0, None
    ts = np.linspace(0.0, 1.0, samples)
    for start in range(0, samples, chunk):
        t = ts[start:start + chunk, None]
        h = a[None, :] + t * d[None, :]
        patterns = []
        for W, bias in weights[:-1]:
            pre = h @ W.T + bias
            patterns.append(pre > 0)
            h = np.maximum(pre, 0)
        p = np.concatenate(patterns, axis=1)
        if previous is not None:
            changes += int(np.any(p[0] != previous))
        changes += int(np.count_nonzero(np.any(p[1:] != p[:-1], axis=1)))
        previous = p[-1]
    return changes + 1


def timed(fn):
    gc.collect()
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round, the small sizes")
    parser.add_argument("--plane-limit", type=float, default=120.0, help="seconds for the plane row (default 120)")
    args = parser.parse_args(argv)
    rounds = 1 if args.quick else 3
    hidden = [16, 64] if args.quick else [16, 64, 256]
    nets = {h: mlp([784, h, h, 10]) for h in hidden}
    fast_t = {h: [] for h in hidden}
    generic_t = {h: [] for h in hidden}
    results, generic_results = {}, {}
    for _ in range(rounds):   # interleaved: every size once per round
        for h in hidden:
            program, _, (a, b, _) = nets[h]
            results[h], s = timed(lambda: check(program, domain=Segment(a, b), rule="pytorch"))
            fast_t[h].append(s)
            if h <= GENERIC_LIMIT:
                generic_results[h], s = timed(lambda: check(program, domain=Segment(a, b), rule="pytorch",
                                                            method="generic"))
                generic_t[h].append(s)
    print(f"segment between two random inputs, rule pytorch; CPU seconds, median of {rounds}")
    print(f"{'network':<16} {'pieces':>6} {'verdict':<13} {'linewalk s':>10} {'generic s':>10} "
          f"{'float 1e4':>10} {'float 1e6':>10}")
    for h in hidden:
        program, weights, (a, b, _) = nets[h]
        r = results[h]
        pieces = r.stratification.stats["pieces"]
        if h in generic_results:
            g = generic_results[h]
            same = g.verdict == r.verdict and sum(1 for s in g.stratification.asked() if s.dim == 1) == pieces
            generic = f"{statistics.median(generic_t[h]):.2f}" + ("" if same else " (differs!)")
        else:
            generic = "skipped"
        floats = []
        for n in (10**4, 10**6):
            found = float_pieces(weights, a, b, n)
            floats.append(f"{found}" + (f" (-{pieces - found})" if found < pieces else ""))
        print(f"784-{h}-{h}-10{'':<4} {pieces:>6} {r.verdict:<13} {statistics.median(fast_t[h]):>10.2f} {generic:>10} "
              f"{floats[0]:>10} {floats[1]:>10}")
    print(f"generic path skipped beyond {GENERIC_LIMIT}-{GENERIC_LIMIT} hidden units (minutes)")
    h = 16 if args.quick else 64
    program, _, (a, b, c) = nets[h]
    plane = Plane.through(a, b, c)
    r, s = timed(lambda: check(program, domain=plane, rule="pytorch", time_limit=args.plane_limit))
    cells = sum(1 for t in r.stratification.asked() if t.dim == 2) if r.stratification is not None else "-"
    print(f"\nplane through three random inputs (the whole plane), generic path with the quick wins")
    print(f"{'network':<16} {'2-D cells':>9} {'verdict':<13} {'generic s':>10} {'regioncam':>14}")
    print(f"784-{h}-{h}-10{'':<4} {cells:>9} {r.verdict:<13} {s:>10.2f} {'not installed':>14}")
    if r.verdict == "unknown":
        print(f"  ({r.reason[:160]})")
    point_rows(nets, hidden, rounds)


def tied_point(weights, x0, units=(0, 1)):
    """``x0`` moved (in two coordinates) so that the first-layer units ``units`` are exactly at their kink."""
    W, b = weights[0]
    n = len(x0)
    x = list(x0)
    pre = [sum(Fraction(W[j, i]) * x[i] for i in range(n) if W[j, i]) + Fraction(b[j]) for j in units]
    k0, k1 = next((p, q) for p in range(n) for q in range(p + 1, n)
                  if W[units[0], p] * W[units[1], q] - W[units[0], q] * W[units[1], p] != 0)
    a, c = Fraction(W[units[0], k0]), Fraction(W[units[0], k1])
    e, d = Fraction(W[units[1], k0]), Fraction(W[units[1], k1])
    det = a * d - c * e
    x[k0] += (-pre[0] * d + c * pre[1]) / det
    x[k1] += (-a * pre[1] + e * pre[0]) / det
    return x


def point_rows(nets, hidden, rounds) -> None:
    """assert_valid at a point where two first-layer units tie, with the box of radius 1/10^4 around it."""
    from semialg.checks.assert_valid import assert_valid
    times = {h: [] for h in hidden}
    reports = {}
    points = {h: tied_point(nets[h][1], nets[h][2][0]) for h in hidden}
    for _ in range(rounds):
        for h in hidden:
            program = nets[h][0]
            reports[h], s = timed(lambda: assert_valid(program, at=points[h], rule="pytorch",
                                                        radius=Fraction(1, 10 ** 4), raise_on_failure=False))
            times[h].append(s)
    print(f"\nat a point where two first-layer units tie (reduced coordinates), rule pytorch, box radius 1/10^4")
    print(f"{'network':<16} {'Clarke vertices':>15} {'D in Clarke':>11} {'artificial':>10} {'box':<13} {'CPU s':>7}")
    for h in hidden:
        r = reports[h]
        print(f"784-{h}-{h}-10{'':<4} {len(r.clarke or ()):>15} {str(r.in_clarke):>11} {str(r.artificial_critical):>10} "
              f"{r.box_check.verdict:<13} {statistics.median(times[h]):>7.2f}")


if __name__ == "__main__":
    main()
