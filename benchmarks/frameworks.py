"""Benchmark: a JAX MLP checked from its trace against the same function typed by hand.

``traced``: ``check(f, framework="jax", example=...)``: trace ``f`` and ``jax.grad(f)``,
convert both jaxprs, check JAX's own derivative as the field. ``typed``: the program's
text (what a user would type) checked with ``--rule jax``. Same strata, same verdict; the
table gives CPU-time medians (``time.process_time``) of interleaved rounds, ``gc.collect()``
before each, and the ratio (the target is at most 2x). Prints a table; not a test.

Usage: python benchmarks/frameworks.py [--sizes 3-8-8,3-16-16] [--rounds 3]
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time


def mlp(sizes: list[int], seed: int):
    """A ReLU MLP R^d -> R with dyadic weights (multiples of 1/8), as a JAX function."""
    import jax
    import numpy as np
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        layers.append((np.round(rng.uniform(-1, 1, (fan_out, fan_in)) * 8) / 8,
                       np.round(rng.uniform(-1, 1, fan_out) * 8) / 8))
    head = np.round(rng.uniform(-1, 1, sizes[-1]) * 8) / 8

    def f(x):
        h = x
        for w, b in layers:
            h = jax.nn.relu(w @ h + b)
        return head @ h
    return f


def timed(fn):
    gc.collect()
    t0 = time.process_time()
    result = fn()
    return time.process_time() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2-8-8,3-8-8", help="comma-separated MLP sizes, e.g. 3-16-16")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import numpy as np
    from semialg.checks.conservative import check
    from semialg.frontends.jax import from_jax

    print("| MLP | strata | verdict | traced s | typed s | traced/typed |")
    print("|---|---|---|---|---|---|")
    for spec in args.sizes.split(","):
        sizes = [int(k) for k in spec.split("-")]
        f = mlp(sizes, seed=0)
        example = np.zeros(sizes[0])
        text = from_jax(f, example).to_text()
        times = {"traced": [], "typed": []}
        verdicts = set()
        strata = set()
        for _ in range(args.rounds):
            for name, run in (("traced", lambda: check(f, framework="jax", example=example)),
                              ("typed", lambda: check(text, rule="jax"))):
                seconds, result = timed(run)
                times[name].append(seconds)
                verdicts.add(result.verdict)
                strata.add(len(result.stratification.strata))
        traced, typed = statistics.median(times["traced"]), statistics.median(times["typed"])
        print(f"| {spec} | {'/'.join(map(str, sorted(strata)))} | {'/'.join(sorted(verdicts))} | {traced:.2f} | "
              f"{typed:.2f} | {traced / typed:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
