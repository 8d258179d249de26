"""How often backprop meets relu(0): exact ties are common in float16, absent in float64, for random ReLU networks (Bertoin et al. 2021).

Claim (seed 004 "Issue III: non-differentiability zones are not generally
activated" ("Wrong: ..."), figure "Estimation of the probability of applying relu to 0
in a feedforward network the weights of the linear term are sampled uniformly
at random between -1 and 1; variations in size and number of layers";
Bertoin, Bolte, Gerchinovitz, Pauwels, "Numerical influence of ReLU'(0) on
backpropagation", NeurIPS 2021). In exact arithmetic a random network hits a
kink with probability 0; in floating point the pre-activation ``Σ w x + b`` is
rounded at every addition and can cancel to *exactly* 0, and then backprop uses
the arbitrary value ``relu'(0)``. The lower the precision, the more often.

Measured (numpy, sequential accumulation in the working precision, fixed seed):
the fraction of samples whose forward pass evaluates relu at an exact 0, for
random MLPs (weights and biases uniform in [-1, 1], inputs uniform in [-1, 1])
of several widths and depths, in float16, float32 and float64. Checked: the
float16 frequency is positive and larger than float64's (which is 0 here);
and *exactly*, with Fractions: for every float16 tie, the exact value of the
same sum of the same float16 numbers is recomputed, showing that (almost)
every tie is a rounding artifact, not a true kink.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from _common import header, pyplot, save, say

DTYPES = (np.float16, np.float32, np.float64)
WIDTHS, DEPTH = (8, 16, 32, 64, 128), 3          # hidden layers of equal width
DEPTHS, WIDTH = (1, 2, 3, 4, 6), 32
NETS, BATCH, SEED = 8, 128, 2021


def forward(rng, dtype, widths, batch, ties: list | None = None) -> np.ndarray:
    """One random MLP on a random batch; returns per sample whether some relu saw an exact 0.

    Pre-activations are accumulated one term at a time, rounding to ``dtype`` after every
    operation (what a naive kernel in that precision does). ``ties`` collects
    ``(inputs, weight column, bias)`` of every exact zero, for the exact re-check.
    """
    x = rng.uniform(-1, 1, size=(batch, widths[0])).astype(dtype)
    hit = np.zeros(batch, dtype=bool)
    for k_in, k_out in zip(widths[:-1], widths[1:]):
        w = rng.uniform(-1, 1, size=(k_in, k_out)).astype(dtype)
        b = rng.uniform(-1, 1, size=k_out).astype(dtype)
        z = np.broadcast_to(b, (batch, k_out)).astype(dtype)
        for j in range(k_in):
            z = (z + (x[:, j:j + 1] * w[j]).astype(dtype)).astype(dtype)
        zero = z == 0
        hit |= zero.any(axis=1)
        if ties is not None:
            for s, n in zip(*np.nonzero(zero)):
                ties.append((x[s].copy(), w[:, n].copy(), b[n]))
        x = np.maximum(z, dtype(0))
    return hit


def frequency(dtype, widths, rng, ties=None, batches: list | None = None) -> float:
    """Fraction of (network, sample) pairs whose forward pass meets relu(0); appends to
    ``batches`` whether each network's whole batch met it at least once."""
    hits = [forward(rng, dtype, widths, BATCH, ties) for _ in range(NETS)]
    if batches is not None:
        batches.extend(bool(h.any()) for h in hits)
    return float(np.mean([h.mean() for h in hits]))


def exact_value(x, w, b) -> Fraction:
    """The exact real value of Σ x_j w_j + b for these floating-point numbers (no rounding)."""
    return sum((Fraction(float(xi)) * Fraction(float(wi)) for xi, wi in zip(x, w)), Fraction(float(b)))


def main(plot_dir=None) -> dict:
    """Measure tie frequencies per precision, size and depth; re-check float16 ties exactly; plot."""
    header("probability that backprop meets relu(0) in floating point")
    by_width, by_depth, ties16, batches = {}, {}, [], {}
    for dtype in DTYPES:
        rng = np.random.default_rng(SEED)
        batches[dtype.__name__] = []
        by_width[dtype.__name__] = [frequency(dtype, [w] * (DEPTH + 1), rng, ties16 if dtype is np.float16 else None,
                                              batches[dtype.__name__]) for w in WIDTHS]
        rng = np.random.default_rng(SEED + 1)
        by_depth[dtype.__name__] = [frequency(dtype, [WIDTH] * (d + 1), rng) for d in DEPTHS]
    f16 = by_width["float16"] + by_depth["float16"]
    f64 = by_width["float64"] + by_depth["float64"]
    assert sum(f16) > 0 and sum(f16) > sum(f64), (f16, f64)
    assert max(by_width["float16"]) > max(by_width["float64"])
    assert ties16, "no float16 tie recorded"
    artifacts = sum(1 for x, w, b in ties16 if exact_value(x, w, b) != 0)
    assert artifacts >= 0.9 * len(ties16)  # exact zeros of the real sum are (almost) never the reason
    print(f"  fraction of samples meeting relu(0), {DEPTH} hidden layers, {NETS} nets x {BATCH} inputs per width:")
    print("    width     " + "".join(f"{w:>10}" for w in WIDTHS))
    for name, values in by_width.items():
        print(f"    {name:<9} " + "".join(f"{v:>10.4f}" for v in values))
    print(f"  same, width {WIDTH}, by number of hidden layers:")
    print("    depth     " + "".join(f"{d:>10}" for d in DEPTHS))
    for name, values in by_depth.items():
        print(f"    {name:<9} " + "".join(f"{v:>10.4f}" for v in values))
    share = {k: sum(v) / len(v) for k, v in batches.items()}
    assert share["float16"] > share["float64"]
    print("  share of whole batches of " + str(BATCH) + " inputs meeting relu(0) somewhere: "
          + ", ".join(f"{k} {v:.0%}" for k, v in share.items()))
    print(f"  float16 ties recorded: {len(ties16)}; exact (Fraction) value of the same sum nonzero for {artifacts} "
          f"of them: rounding artifacts, not kinks")
    say("""
        In exact arithmetic these networks never evaluate relu at 0. In float16 a few samples in a
        thousand do, so a sizeable share of whole minibatches does, purely because of rounding;
        backprop then returns relu'(0), whose value (0 in PyTorch / JAX / TensorFlow) changes the
        computed "gradient".
        float32 and float64 did not tie here; Bertoin et al. report float32 ties when training on
        real data. Conservative-field theory explains why training still works.
        """)
    return {"claim": "relu(0) is met in float16 forward passes far more often than in float64",
            "by_width": by_width, "by_depth": by_depth, "batch_share": share, "float16_ties": len(ties16), "rounding_artifacts": artifacts,
            "pictures": [_plot(by_width, by_depth, plot_dir)]}


def _plot(by_width, by_depth, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4), sharey=True)
    style = {"float16": ("o-", "tab:red"), "float32": ("s--", "tab:blue"), "float64": ("^:", "tab:green")}
    for name, values in by_width.items():
        ax0.plot(WIDTHS, values, style[name][0], color=style[name][1], label=name, ms=7)
    for name, values in by_depth.items():
        ax1.plot(DEPTHS, values, style[name][0], color=style[name][1], label=name, ms=7)
    ax0.set_xscale("log", base=2)
    ax0.set_xticks(WIDTHS)
    ax0.set_xticklabels([str(w) for w in WIDTHS])
    ax0.set_xlabel(f"width ({DEPTH} hidden layers)")
    ax0.set_ylabel("fraction of samples meeting relu(0)")
    ax0.set_title("by width")
    ax1.set_xticks(DEPTHS)
    ax1.set_xlabel(f"number of hidden layers (width {WIDTH})")
    ax1.set_title("by depth")
    for ax in (ax0, ax1):
        ax.grid(alpha=0.3)
        ax.legend(title="precision", fontsize=9)
    fig.suptitle("random ReLU MLPs, weights/biases/inputs uniform in [-1, 1]: exact relu(0) in the forward pass "
                 f"({NETS} nets x {BATCH} inputs per point)", fontsize=10)
    fig.tight_layout()
    return save(fig, plot_dir, "relu_zero_probability")


if __name__ == "__main__":
    main()
