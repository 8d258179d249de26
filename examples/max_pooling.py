"""Max pooling at a tie: on the slide's 4x4 input the bottom-right 2x2 window has two 5s; every framework's backprop value lies in the exact Clarke Jacobian conv{e_a, e_d}.

Claim (seed 000 "Example 1: neural networks", "MaxPooling": the 4x4 matrix
``[[3, 1, 13, 8], [7, 20, 6, 2], [7, 3, 5, 4], [6, 2, 1, 5]]`` pooled with 2x2
windows, stride 2, gives ``[[20, 13], [7, 5]]``; "max function is nonsmooth when
components are equal"; seed 002 "Nonsmoothness is needed: g_i = relu, sort,
maxpool, implicit layers"). Each pooled output is ``max(a, b, c, d)`` of its
window (row-major). Three windows have a unique maximum, so the pooled output is
smooth there and its Clarke Jacobian is one basis vector. The bottom-right
window ``(a, b, c, d) = (5, 4, 1, 5)`` is a tie between ``a`` and ``d``:

    Jac^c max(5, 4, 1, 5) = conv{(1, 0, 0, 0), (0, 0, 0, 1)} = {(t, 0, 0, 1 - t) : t ∈ [0, 1]}.

What backprop returns there depends on how the max is spelled
(docs/frameworks.md): ``max_pool`` (``torch.nn.functional.max_pool2d``,
``jax.lax.reduce_window``, ``tf.nn.max_pool2d``) sends everything to the first
maximal entry in row-major order, ``(1, 0, 0, 0)`` (semialg: the override
``max.tie=first``); the reductions ``amax`` / ``jnp.max`` / ``reduce_max`` split
evenly, ``(1/2, 0, 0, 1/2)`` (semialg's presets for a max of 4 arguments). Both
lie in the Clarke Jacobian (``t = 1`` and ``t = 1/2``), and both fields are
conservative: at this tie backprop is a Clarke selection, never an artifact.
A value such as ``(1/2, 1/2, 0, 0)`` (gradient to the non-maximal ``b``) is not.

Checked exactly: the pooled matrix with ``semialg.exact_value``; per window,
``derivative_at`` for pytorch, jax and tensorflow (with and without
``max.tie=first``), ``clarke_at`` (extreme points as Fractions) and exact
membership of every preset's value; ``check`` says conservative for each rule.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt_vec, header, interval_chart, pyplot, save, say

import semialg

MATRIX = ((3, 1, 13, 8),
          (7, 20, 6, 2),
          (7, 3, 5, 4),
          (6, 2, 1, 5))
POOLED = ((20, 13), (7, 5))            # as printed on the slide
FRAMEWORKS = ("pytorch", "jax", "tensorflow")
MAX_POOL = ("max.tie=first",)          # what max_pool's backward does at a tie (docs/frameworks.md)
WINDOW = semialg.parse("max(a, b, c, d)", "a b c d")


def windows():
    """((row, col) of the pooled output, [the 4 entries row-major], [their positions])."""
    for i in range(2):
        for j in range(2):
            cells = [(2 * i, 2 * j), (2 * i, 2 * j + 1), (2 * i + 1, 2 * j), (2 * i + 1, 2 * j + 1)]
            yield (i, j), [MATRIX[r][c] for r, c in cells], cells


def main(plot_dir=None) -> dict:
    """Pool the slide's matrix exactly; backprop of every preset and the Clarke Jacobian per window."""
    header("max pooling: what backprop returns at a tie")
    one, zero, half = Fraction(1), Fraction(0), Fraction(1, 2)
    pooled, table = {}, {}
    for (i, j), entries, cells in windows():
        pooled[i, j] = semialg.exact_value(WINDOW, entries)[0]
        clarke = semialg.clarke_at(WINDOW, entries)
        values = {}
        for rule in FRAMEWORKS:
            for label, overrides in (("reduction", ()), ("max_pool", MAX_POOL)):
                rows = semialg.derivative_at(WINDOW, entries, rule, overrides=overrides)
                assert len(rows) == 1 and len(rows[0]) == 1, rows    # one output, one value
                values[rule, label] = rows[0][0]
                assert clarke.contains(rows[0][0]), (entries, rule, label)
        table[i, j] = (entries, cells, clarke, values)
    assert tuple(tuple(pooled[i, j] for j in range(2)) for i in range(2)) == POOLED

    e = [tuple(one if k == n else zero for k in range(4)) for n in range(4)]
    for (i, j), (entries, _, clarke, values) in table.items():
        if (i, j) != (1, 1):                   # a unique maximum: smooth, every rule gives its basis vector
            winner = entries.index(max(entries))
            assert clarke.gradients == (e[winner],) and set(values.values()) == {e[winner]}
    entries, _, clarke, values = table[1, 1]
    assert clarke.gradients == (e[3], e[0])    # extreme points (0,0,0,1) and (1,0,0,0): a segment
    assert entries == [5, 4, 1, 5]
    split, first = (half, zero, zero, half), e[0]
    for rule in FRAMEWORKS:
        assert values[rule, "reduction"] == split and values[rule, "max_pool"] == first
    wrong = (half, half, zero, zero)
    assert not clarke.contains(wrong) and not clarke.contains_zero
    verdicts = {f"{rule}{'+' + MAX_POOL[0] if o else ''}": semialg.check(WINDOW, rule=rule, overrides=o).verdict
                for rule in (*FRAMEWORKS, "clarke") for o in ((), MAX_POOL) if not (rule == "clarke" and o)}
    assert set(verdicts.values()) == {"conservative"}, verdicts

    print("  input " + " ".join(str(list(r)) for r in MATRIX) + "  ->  pooled "
          + " ".join(str([int(pooled[i, j]) for j in range(2)]) for i in range(2)))
    for (i, j), (ent, _, cl, _) in table.items():
        print(f"  window ({i}, {j}) = {ent}: max {int(pooled[i, j])}, Clarke Jacobian vertices "
              + ", ".join(fmt_vec(g) for g in sorted(cl.gradients, reverse=True)))
    print("  the tie (a, b, c, d) = (5, 4, 1, 5):")
    print(f"    {'rule':<12}{'max_pool (first entry)':<26}{'max reduction (split)':<26}in the Clarke Jacobian")
    for rule in FRAMEWORKS:
        member = ", ".join("yes" if clarke.contains(values[rule, k]) else "no" for k in ("max_pool", "reduction"))
        print(f"    {rule:<12}{fmt_vec(values[rule, 'max_pool']):<26}{fmt_vec(values[rule, 'reduction']):<26}{member}")
    print(f"  Jac^c = {{(t, 0, 0, 1 - t) : t ∈ [0, 1]}};  {fmt_vec(wrong)} is not in it;  "
          f"check: conservative for all {len(verdicts)} rules")
    say("""
        At the tie the pooled value is not differentiable; backprop still returns one vector, and
        which one depends on the spelling: max_pool gives everything to the first maximal entry
        (row-major), a max reduction splits it between the tied entries. Both are convex
        combinations of the two one-sided gradients, i.e. points of the Clarke Jacobian segment,
        and both rules are conservative fields for max(a, b, c, d).
        """)
    return {"claim": "at the tie max(5, 4, 1, 5) every preset's backprop lies in Jac^c = conv{e_a, e_d}",
            "pooled": POOLED, "clarke_tie": clarke.gradients, "values": values, "verdicts": verdicts,
            "pictures": [_plot(table, plot_dir)]}


def _plot(table, plot_dir) -> str:
    import numpy as np
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.4), gridspec_kw={"width_ratios": [1, 1, 1.3]})
    for ax, label, title in ((axes[0], "max_pool", "max_pool backprop (first entry wins)"),
                             (axes[1], "reduction", "max reduction backprop (even split)")):
        grad = np.zeros((4, 4))
        for _entries, cells, _clarke, values in table.values():
            for (r, c), g in zip(cells, values["pytorch", label]):
                grad[r, c] = float(g)
        ax.imshow(grad, cmap="Blues", vmin=0, vmax=1.6)
        for r in range(4):
            for c in range(4):
                g = grad[r, c]
                ax.text(c, r, f"{MATRIX[r][c]}" + (f"\n∂ = {Fraction(g).limit_denominator()}" if g else ""),
                        ha="center", va="center", fontsize=9, weight="bold" if g else "normal")
        ax.axhline(1.5, color="black", lw=2)
        ax.axvline(1.5, color="black", lw=2)
        ax.add_patch(plt.Rectangle((1.5, 1.5), 2, 2, fill=False, ec="tab:red", lw=3))
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title + "\n(all three frameworks; red: the tied window)", fontsize=9)
    values = table[1, 1][3]
    first, split = values["pytorch", "max_pool"], values["pytorch", "reduction"]
    interval_chart(axes[2], [("Jac^c: weight t on a (d gets 1 - t)", (Fraction(0), Fraction(1)), "black"),
                             ("max_pool: t", (first[0], first[0]), "tab:blue"),
                             ("max reduction: t", (split[0], split[0]), "tab:orange")],
                   "t (the gradient is (t, 0, 0, 1 - t))")
    axes[2].set_xlim(-0.2, 1.45)
    axes[2].set_title("the tie max(5, 4, 1, 5): exact Clarke Jacobian and backprop values", fontsize=9)
    fig.tight_layout()
    return save(fig, plot_dir, "max_pooling")


if __name__ == "__main__":
    main()
