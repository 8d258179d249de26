"""Backprop gradient descent lands on an artificial critical point only from exceptional starts and steps: for a piecewise-linear f these are finite sets, computed exactly.

Claim (seed 004 "Artificial critical points are never seen" and "Theorem
(B-Pauwels)": for almost every initialisation and step size, backprop descent
never meets the artificial critical points; seed 004 "Issue II: artificial
critical points"; theory §6). Take, with PyTorch's ``relu'(0) = 0``,

    f(x) = |x - 1| + zero(x) + relu(-1 - x) = |x - 1| + relu(-1 - x),
    zero(x) = relu(-x) - relu(x) + x   (the zero function, backprop 1 at 0).

Its kinks are -1 (backprop -1, Clarke [-2, -1]: not critical), 0 (backprop
-1 + 1 = 0 but Clarke {-1}: an artificial critical point) and 1 (backprop 0,
Clarke [-1, 1]: the minimiser). The GD map ``T(x) = x - γ D(x)`` is a
translation on each open piece, so the starts whose orbit hits a kink within
``N`` steps are preimages of the kinks, and for a fixed start the step sizes
that hit one solve ``x0 - γ S_k = c`` along each itinerary (``S_k`` the sum of
the slopes met): both are finite sets (``semialg.checks.dynamics``).

Checked exactly (Fractions), for γ = 3/10 and x0 ∈ [-3, 3], and for x0 = -2 and
γ ∈ [1/20, 2], 20 steps: ``critical`` finds exactly the artificial point 0;
every exceptional start (step) lands where the set says, by exact forward
descent (``descent``), those on 0 stop there for good; a rational start (step)
next to each one never lands within the horizon; in [-1, 0] the artificial
starts are exactly 0, -3/10, -3/5, -9/10 (one step of 3/10 each), and the
steps 1/(2k) (k ≤ 10) reach the kink -1 from -2 at step k, as
``x_k = -2 + 2γk`` says. A finite set has measure 0: from almost every start
and step, descent never stops at the artificial point.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, header, identically_zero, pyplot, save, say

from semialg import parse
from semialg.checks.critical import critical
from semialg.checks.dynamics import descent, exceptional_initialisations, exceptional_steps

ZERO = "relu(-x) - relu(x) + x"
F_TEXT = f"abs(x - 1) + ({ZERO}) + relu(-1 - x)"
LR = Fraction(3, 10)
X_INTERVAL = (Fraction(-3), Fraction(3))
X0 = Fraction(-2)
LR_INTERVAL = (Fraction(1, 20), Fraction(2))
STEPS = 20
NUDGE = Fraction(1, 1009)       # a neighbour of each exceptional value (prime denominator: off every lattice)


def main(plot_dir=None) -> dict:
    """The exceptional starts and steps of backprop GD on f; each confirmed by exact forward descent."""
    header("exceptional starts and steps of backprop gradient descent")
    f = parse(F_TEXT, "x")
    assert identically_zero(f"({F_TEXT}) - (abs(x - 1) + relu(-1 - x))")     # zero(x) changes nothing
    crit = critical(f, rule="pytorch")
    assert [a.sample for a in crit.artificial] == [(Fraction(0),)]

    starts = exceptional_initialisations(f, LR, STEPS, X_INTERVAL)
    assert [(str(k.point), k.artificial) for k in starts.kinks] == [("-1", False), ("0", True), ("1", False)]
    for h in starts.hits:
        run = descent(f, [h.value], STEPS, lr=LR)
        assert run.landings and run.landings[0].step == h.step and run.landings[0].point == (h.kink,)
        assert (run.verdict == "artificial_landing") == bool(h.artificial)
        if h.artificial:
            assert run.stationary.point == (0,) and run.stationary.step == h.step    # stuck at 0 for good
        near = h.value + NUDGE
        if near not in starts.points:
            assert descent(f, [near], STEPS, lr=LR).landings == ()
    assert [v for v in starts.artificial_points if -1 <= v <= 0] == [Fraction(-9, 10), Fraction(-3, 5),
                                                                       Fraction(-3, 10), Fraction(0)]

    steps = exceptional_steps(f, X0, STEPS, LR_INTERVAL)
    for h in steps.hits:
        run = descent(f, [X0], STEPS, lr=h.value)
        assert run.landings and run.landings[0].step == h.step and run.landings[0].point == (h.kink,)
        near = h.value + NUDGE
        if near not in steps.points:
            assert descent(f, [X0], STEPS, lr=near).landings == ()
    at_minus_one = {h.value: h.step for h in steps.hits if h.kink == -1}
    assert all(at_minus_one.get(Fraction(1, 2 * k)) == k for k in range(1, 11))        # -2 + 2·γ·k = -1

    n_art = len(starts.artificial_points)
    print(f"  f(x) = {F_TEXT};  kinks -1 (D = -1), 0 (D = 0, artificial), 1 (D = 0, the minimiser)")
    print(f"  step {fmt(LR)}, x0 in [-3, 3], {STEPS} steps: {len(starts.hits)} exceptional starts, {n_art} of them "
          f"stop at the artificial point 0, e.g. {', '.join(fmt(v) for v in starts.artificial_points[:5])}")
    print(f"  x0 = {fmt(X0)}, step in [1/20, 2]: {len(steps.hits)} exceptional steps, "
          f"{len(steps.artificial_points)} of them stop at 0, e.g. "
          f"{', '.join(fmt(v) for v in steps.artificial_points[-5:])}")
    print(f"  each confirmed by exact descent; each value + {fmt(NUDGE)} never lands within {STEPS} steps")
    say("""
        Landing on a kink needs the start (or the step) to solve an exact equation: the exceptional
        values form a finite set for each horizon, a countable one over all horizons, so a random
        start and step avoid the artificial critical point 0 with probability one. Descent from an
        exceptional start, though, stops there for good, where f still decreases (f' = -1).
        """)
    return {"claim": "backprop GD meets the artificial critical point only from finitely many starts / steps "
                     "per horizon", "starts": starts, "steps": steps, "pictures": [_plot(f, starts, steps, plot_dir)]}


def _plot(f, starts, steps, plot_dir) -> str:
    from semialg import exact_value
    plt = pyplot()
    fig, (ax0, ax1, ax2) = plt.subplots(3, 1, figsize=(11, 9), gridspec_kw={"height_ratios": [2, 1, 1]})
    grid = [Fraction(k, 20) - 3 for k in range(121)]
    ax0.plot([float(x) for x in grid], [float(exact_value(f, [x])[0]) for x in grid], color="black", lw=1.5,
             label="f(x) = |x - 1| + zero(x) + relu(-1 - x)")
    for k in starts.kinks:
        kind, colour = (("artificial critical point", "tab:red") if k.artificial else
                        ("Clarke critical: the minimiser", "tab:green") if k.clarke_critical else
                        ("not critical", "grey"))
        ax0.plot([float(k.point)], [float(exact_value(f, [k.point])[0])], "o", ms=10, color=colour,
                 label=f"kink {fmt(k.point)}: backprop {fmt(k.value)} ({kind})")
    ax0.set_title("f and its kinks (PyTorch backprop)")
    ax0.legend(fontsize=8)
    ax0.grid(alpha=0.3)
    panels = ((ax1, starts, f"start x0 (step {fmt(LR)})"), (ax2, steps, f"step size (x0 = {fmt(X0)})"))
    for ax, result, xlabel in panels:
        for artificial, marker in ((False, "o"), (True, "X")):
            hits = [h for h in result.hits if bool(h.artificial) == artificial]
            sc = ax.scatter([float(h.value) for h in hits], [1 if artificial else 0] * len(hits),
                            c=[h.step for h in hits], cmap="viridis", vmin=0, vmax=STEPS, marker=marker, s=60)
        ax.set_yticks([0, 1])
        ax.set_yticklabels(["lands on -1 or 1", "lands on 0 (artificial)"])
        ax.set_ylim(-0.6, 1.6)
        ax.set_xlabel(xlabel)
        ax.grid(alpha=0.3, axis="x")
        fig.colorbar(sc, ax=ax, label="step of the landing")
    ax1.set_title(f"the exact exceptional starts ({len(starts.hits)} points in [-3, 3], {STEPS} steps)")
    ax2.set_title(f"the exact exceptional step sizes ({len(steps.hits)} points in [1/20, 2])")
    ax2.set_xscale("log")
    fig.tight_layout()
    return save(fig, plot_dir, "descent_exceptional")


if __name__ == "__main__":
    main()
