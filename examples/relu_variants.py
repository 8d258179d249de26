"""Same function, different programs: backprop of relu, relu2, relu3 at 0 is 0, 1 and 1/2 in every framework.

Claim (seed 004 "Issue I: outputs are partly unpredictible" (sic) and seed 002
"Outputs are partly unpredictable", Bolte & Pauwels): with ``relu'(0) = 0`` (PyTorch,
JAX and TensorFlow all use it),

    relu(t) = max(0, t),  relu2(t) = relu(-t) + t,  relu3(t) = (relu(t) + relu2(t)) / 2

are the same function, yet backprop returns 0, 1 and 1/2 at ``t = 0``. The
spelling matters too (docs/frameworks.md): ``max(t, 0)`` gives 1/2 in PyTorch/JAX and
1 in TensorFlow; ``max(0, t)`` gives 0 in TensorFlow. Every one of these outputs
lies in the Clarke set ``[0, 1]`` and every preset's field is conservative for
the function (the chain rule of Clarke selections, seed 002 §4); they just are
different conservative fields.

Checked exactly: the programs are identical as functions (every piece of their
difference is the zero polynomial), ``semialg.rules.derivative_at`` gives the
table below at 0 as Fractions, ``clarke_at`` gives ``[0, 1]`` for each program,
and ``check`` says ``conservative`` for every (program, preset) pair.

Run: ``python examples/relu_variants.py`` or ``semialg examples relu_variants``.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_interval, header, identically_zero, interval, pyplot, save, say

from semialg import parse
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.rules import derivative_at

PROGRAMS = {
    "relu": "relu(x)",
    "relu2": "relu(-x) + x",
    "relu3": "1/2 * (relu(x) + relu(-x) + x)",
    "max(x,0)": "max(x, 0)",
    "max(0,x)": "max(0, x)",
    "relu2 via max": "max(-x, 0) + x",
}
FRAMEWORKS = ("pytorch", "jax", "tensorflow")
H = Fraction(1, 2)
EXPECTED = {  # backprop at 0 (docs/frameworks.md), per framework
    "relu": (0, 0, 0),
    "relu2": (1, 1, 1),
    "relu3": (H, H, H),
    "max(x,0)": (H, H, 1),
    "max(0,x)": (H, H, 0),
    "relu2 via max": (H, H, 0),
}


def main(plot_dir=None) -> dict:
    """Compute the backprop table, assert it exactly, draw it; return the table."""
    header("relu, relu2, relu3: one function, several backprops")
    table = {}
    for name, text in PROGRAMS.items():
        assert identically_zero(f"({text}) - relu(x)"), f"{name} is not relu"
        program = parse(text, ["x"])
        values = tuple(derivative_at(program, [0], fw)[0] for fw in FRAMEWORKS)
        assert all(len(v) == 1 for v in values)  # a preset returns one number
        values = tuple(v[0][0] for v in values)
        assert values == tuple(Fraction(e) for e in EXPECTED[name]), (name, values)
        lo, hi = interval(clarke_at(program, [0]).gradients)
        assert (lo, hi) == (0, 1), (name, lo, hi)
        assert all(lo <= v <= hi for v in values)  # backprop stays in the Clarke set here
        verdicts = {fw: check(program, rule=fw).verdict for fw in FRAMEWORKS}
        assert set(verdicts.values()) == {"conservative"}, verdicts
        table[name] = {"program": text, "backprop_at_0": dict(zip(FRAMEWORKS, values)),
                       "clarke_at_0": (lo, hi), "conservative": verdicts}
    width = max(len(t) for t in PROGRAMS.values())
    print(f"  {'program':<{width}}  " + "  ".join(f"{fw:>10}" for fw in FRAMEWORKS) + "   Clarke set at 0")
    for name, row in table.items():
        vals = "  ".join(f"{fmt(row['backprop_at_0'][fw]):>10}" for fw in FRAMEWORKS)
        print(f"  {row['program']:<{width}}  {vals}   {fmt_interval(*row['clarke_at_0'])}")
    say("""
        All six programs are the function max(0, x) (checked exactly: their differences are 0 on
        every stratum), and each framework's backprop is a conservative field for it (semialg check:
        conservative, 18 times). But the value at the kink depends on how the function is written:
        backprop is not an operator on functions, only on programs.
        """)
    pictures = [_plot(table, plot_dir)]
    return {"claim": "relu = relu2 = relu3 but backprop at 0 is 0, 1, 1/2", "table": table, "pictures": pictures}


def _plot(table, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1, 1.5]})
    xs = [i / 50 - 2 for i in range(201)]
    ax0.plot(xs, [max(0.0, x) for x in xs], color="k", lw=2, label="relu = relu2 = relu3")
    ax0.set_title("one function")
    ax0.set_xlabel("x")
    ax0.set_ylabel("f(x)")
    ax0.legend(loc="upper left")
    ax0.grid(alpha=0.3)
    names = list(table)
    ax1.axhspan(0, 1, color="tab:green", alpha=0.15, label="Clarke set [0, 1]")
    markers = {"pytorch": ("o", "tab:red"), "jax": ("s", "tab:blue"), "tensorflow": ("^", "tab:orange")}
    for j, fw in enumerate(FRAMEWORKS):
        m, c = markers[fw]
        ys = [float(table[n]["backprop_at_0"][fw]) for n in names]
        ax1.scatter([i + (j - 1) * 0.18 for i in range(len(names))], ys, marker=m, color=c, s=60, label=fw, zorder=3)
    ax1.set_xticks(range(len(names)))
    ax1.set_xticklabels([table[n]["program"] for n in names], rotation=25, ha="right", fontsize=8)
    ax1.set_ylim(-0.25, 1.3)
    ax1.set_ylabel("backprop value at x = 0")
    ax1.set_title("backprop at the kink depends on the program and the framework")
    ax1.legend(loc="upper left", fontsize=8, ncol=2)
    ax1.grid(alpha=0.3, axis="y")
    return save(fig, plot_dir, "relu_variants")


if __name__ == "__main__":
    main()
