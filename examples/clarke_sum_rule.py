"""Clarke calculus fails: the Clarke set of |x| - |x| at 0 is {0}, but the sum of the Clarke sets is [-2, 2].

Claim (seed 002 "No convexity, no calculus", seed 000 "But do calculus rules
apply to Clarke derivatives? No.", theory §5): for ``g(x) = |x|``

    ∂^c(g - g)(0) = ∂^c(x ↦ 0)(0) = {0}  ⊊  ∂^c g(0) + ∂^c(-g)(0) = [-1, 1] + [-1, 1] = [-2, 2].

The sum rule holds only as an inclusion. So Clarke sets must be computed from
the pieces of the function (Scholtes), never by the chain rule. The chain rule
applied with Clarke sets (the ``clarke`` rule of semialg) is still a
*conservative field* for ``g - g`` (checked), just larger than Clarke's.
Same story for ``relu(x) - relu(-x) = x``: Clarke {1}, chain rule [0, 2].

Checked exactly with ``clarke_at`` (extreme points as Fractions),
``derivative_at(..., "clarke")`` (the chain rule with Clarke sets) and ``check``.
"""
from __future__ import annotations

from _common import fmt_interval, header, interval, interval_chart, pyplot, save, say

from semialg import parse
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.rules import derivative_at

CASES = (  # (f, g, f + g): Clarke of the sum vs sum of the Clarke sets at 0
    ("abs(x)", "-abs(x)", "abs(x) - abs(x)"),
    ("relu(x)", "-relu(-x)", "relu(x) - relu(-x)"),
)


def main(plot_dir=None) -> dict:
    """Compare Clarke of a sum with the sum of Clarke sets, exactly; draw the intervals."""
    header("the Clarke sum rule is only an inclusion")
    rows = []
    for f, g, total in CASES:
        cf, cg = interval(clarke_at(f, [0]).gradients), interval(clarke_at(g, [0]).gradients)
        minkowski = (cf[0] + cg[0], cf[1] + cg[1])
        ctotal = interval(clarke_at(total, [0]).gradients)
        chain = interval(derivative_at(parse(total), [0], "clarke")[0])
        assert chain == minkowski  # the chain rule with Clarke sets is the Minkowski sum
        assert minkowski[0] <= ctotal[0] and ctotal[1] <= minkowski[1] and ctotal != minkowski
        assert check(total, rule="clarke").verdict == "conservative"
        rows.append({"f": f, "g": g, "sum": total, "clarke_f": cf, "clarke_g": cg, "sum_of_clarke": minkowski,
                     "clarke_of_sum": ctotal})
        print(f"  ∂c[{f}](0) = {fmt_interval(*cf)},  ∂c[{g}](0) = {fmt_interval(*cg)},  "
              f"sum = {fmt_interval(*minkowski)};  but ∂c[{total}](0) = {fmt_interval(*ctotal)}")
    assert rows[0]["clarke_of_sum"] == (0, 0) and rows[0]["sum_of_clarke"] == (-2, 2)
    assert rows[1]["clarke_of_sum"] == (1, 1) and rows[1]["sum_of_clarke"] == (0, 2)
    say("""
        Clarke's subdifferential has no exact sum rule outside convex / smooth / regular functions.
        The chain rule with Clarke sets still gives a conservative field (semialg check: conservative),
        which is the right object for backprop; the Clarke set itself must come from the pieces.
        """)
    return {"claim": "Clarke(|x| - |x|)(0) = {0} but Clarke|x|(0) + Clarke(-|x|)(0) = [-2, 2]", "rows": rows,
            "pictures": [_plot(rows, plot_dir)]}


def _plot(rows, plot_dir) -> str:
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    xs = [i / 50 - 1.5 for i in range(151)]
    ax = axes[0]
    ax.plot(xs, [abs(x) for x in xs], color="tab:blue", label="|x|")
    ax.plot(xs, [-abs(x) for x in xs], color="tab:orange", label="-|x|")
    ax.plot(xs, [0 for _ in xs], color="black", lw=2.5, label="|x| - |x| = 0")
    ax.set_xlabel("x")
    ax.set_ylabel("value")
    ax.set_title("|x|, -|x| and their sum")
    ax.legend()
    ax.grid(alpha=0.3)
    ax = axes[1]
    chart = []
    for r in rows:
        chart += [(f"∂c {r['f']}", r["clarke_f"], "tab:blue"), (f"∂c {r['g']}", r["clarke_g"], "tab:orange"),
                  ("sum of the two", r["sum_of_clarke"], "tab:red"), (f"∂c [{r['sum']}]", r["clarke_of_sum"], "black"),
                  None]
    interval_chart(ax, chart[:-1], "derivative values at x = 0")
    ax.set_xlim(-2.5, 3.2)
    ax.set_title("Clarke of a sum ⊊ sum of Clarke sets (exact)")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return save(fig, plot_dir, "clarke_sum_rule")


if __name__ == "__main__":
    main()
