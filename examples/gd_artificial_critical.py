"""Gradient descent with backprop on f(x) = x - zero(x) + x² = x + x² lands exactly on the artificial critical point x = 0 and stays there; from x0 = 1 it never hits 0 and converges to the minimiser -1/2.

Claim (seed 004 "Issue II: artificial critical points" and "Artificial critical
points & asymptotics", seed 002 "Spurious critical point: identity(x) := x -
zero(x) = x but backprop identity(0) = 0"; theory §6). With ``relu'(0) = 0``
(PyTorch) and ``zero(x) = relu(-x) - relu(x) + x`` (the zero function, with
backprop value 1 at 0),

    f(x) = x - zero(x) + x**2 = x + x**2,      f'(x) = 1 + 2x,  minimiser -1/2,
    backprop f(0) = 1 - 1 + 0 = 0,             but ∂c f(0) = {f'(0)} = {1}.

Gradient descent ``x_{k+1} = x_k - γ backprop f(x_k)`` with ``γ = 1/4`` from
``x0 = 1/2`` takes one step, ``1/2 - (1/4)(1 + 1) = 0``, and then stops forever at
0, a point that is not critical for ``f`` at all (``f`` decreases to the left).
Off 0 backprop is ``1 + 2x``, so ``x_{k+1} + 1/2 = (x_k + 1/2) / 2``: the iterates
hit 0 exactly when ``x0 + 1/2`` is a power of 2 (``x0 ∈ {0, 1/2, 3/2, 7/2, ...}``);
from ``x0 = 1``, ``x_k = -1/2 + 3 / 2^(k+1)`` never equals 0 (3 is not a power of
2) and converges to ``-1/2``. Landing on such a point needs a special start:
for this step the bad starts form a countable set, in line with the talks'
theorem (seed 004 "Artificial critical points are never seen", for vanishing
steps and starts outside a null set).

Checked exactly (Fractions): every step uses ``semialg.derivative_at(f, [x],
"pytorch")``; run A reaches 0 at step 1 and stays (backprop 0 there); ``clarke_at``
gives {1} at 0 (0 is not Clarke critical) and ``critical`` reports 0 as an
artificial critical point (the whole stratum x = 0); run B never hits 0, its
distance to -1/2 halves exactly at every step, and ``clarke_at`` at -1/2 contains 0.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, header, identically_zero, pyplot, save, say

import semialg

ZERO = "relu(-x) - relu(x) + x"
F_TEXT = f"x - ({ZERO}) + x**2"
STEP = Fraction(1, 4)
STARTS = {"A": Fraction(1, 2), "B": Fraction(1)}
STEPS = 12


def descend(f, x0: Fraction, steps: int = STEPS) -> tuple[list[Fraction], list[Fraction]]:
    """Exact gradient descent with PyTorch's backprop value: the iterates and the derivatives used."""
    xs, ds = [x0], []
    for _ in range(steps):
        rows = semialg.derivative_at(f, [xs[-1]], "pytorch")
        assert len(rows[0]) == 1          # a framework gives one value
        d = rows[0][0][0]
        ds.append(d)
        xs.append(xs[-1] - STEP * d)
    return xs, ds


def main(plot_dir=None) -> dict:
    """Run exact backprop gradient descent from two starts; certify the artificial point and the minimiser."""
    header("gradient descent stopped by an artificial critical point")
    f = semialg.parse(F_TEXT, "x")
    assert identically_zero(f"({F_TEXT}) - (x + x**2)")       # f is x + x² as a function
    half = Fraction(1, 2)

    xs_a, ds_a = descend(f, STARTS["A"])
    assert xs_a[1] == 0 and ds_a[0] == 2                       # one step of size 1/4 along 1 + 2·(1/2)
    assert all(x == 0 for x in xs_a[1:]) and all(d == 0 for d in ds_a[1:])
    clarke0 = semialg.clarke_at(f, [0])
    assert clarke0.gradients == ((Fraction(1),),) and not clarke0.contains_zero
    crit = semialg.critical(f, rule="pytorch")
    assert crit.verdict == "artificial_critical_points" and crit.exit_code == 1
    assert [(a.sample, a.whole_stratum, a.stratum.dim) for a in crit.artificial] == [((Fraction(0),), True, 0)]
    assert semialg.check(f, rule="pytorch").verdict == "conservative"

    xs_b, ds_b = descend(f, STARTS["B"])
    assert all(x != 0 for x in xs_b)
    assert all(d == 1 + 2 * x for x, d in zip(xs_b, ds_b))    # backprop is f' off 0
    assert all(xs_b[k] == -half + Fraction(3, 2 ** (k + 1)) for k in range(len(xs_b)))
    assert all(xs_b[k + 1] + half == (xs_b[k] + half) / 2 for k in range(STEPS))
    # closed form: x_k = 0 iff 3 = 2^k, impossible for every k (not only the steps run here)
    assert semialg.clarke_at(f, [-half]).contains_zero        # -1/2 is (Clarke) critical: the true minimiser
    assert abs(xs_b[-1] + half) == Fraction(3, 2 ** (STEPS + 1))

    print(f"  f(x) = {F_TEXT} = x + x**2;  step {fmt(STEP)};  backprop at 0 = 0, Clarke set at 0 = {{1}}")
    for name, xs in (("A", xs_a), ("B", xs_b)):
        shown = ", ".join(fmt(x) for x in xs[:6])
        print(f"  run {name} from x0 = {fmt(xs[0])}: x_k = {shown}, ...  x_{STEPS} = {fmt(xs[-1])}")
    print("  run A: stuck at x = 0 from step 1 on (critical: artificial critical point, whole stratum x = 0)")
    print(f"  run B: x_k = -1/2 + 3/2^(k+1), never 0; |x_{STEPS} + 1/2| = {fmt(abs(xs_b[-1] + half))}; "
          "0 ∈ ∂c f(-1/2)")
    say("""
        Backprop on this program is a conservative field for f (semialg check), yet it vanishes at
        x = 0 where f' = 1: an artificial critical point. Exact gradient descent that lands on it
        stops there for good. Landing on it needs a special start (x0 + 1/2 a power of 2 for this
        step): from almost every start the iterates avoid it and converge to the true minimiser.
        """)
    return {"claim": "backprop GD from 1/2 (step 1/4) stops at the artificial critical point 0; from 1 it tends to -1/2",
            "run_A": xs_a, "run_B": xs_b, "clarke_at_0": clarke0.gradients,
            "pictures": [_plot(xs_a, xs_b, plot_dir)]}


def _plot(xs_a, xs_b, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4))
    grid = [i / 100 - 1.1 for i in range(241)]
    ax0.plot(grid, [x + x * x for x in grid], color="black", lw=1.5, label="f(x) = x - zero(x) + x² = x + x²")
    ax0.plot([-0.35, 0.35], [0, 0], color="tab:red", lw=2.5, label="backprop 'tangent' at 0: slope 0")
    ax0.plot([-0.35, 0.35], [-0.35, 0.35], color="tab:green", lw=1.2, ls="--", label="true tangent at 0: slope 1")
    for xs, colour, name in ((xs_a, "tab:red", "A"), (xs_b, "tab:blue", "B")):
        pts = [float(x) for x in xs]
        ax0.plot(pts, [x + x * x for x in pts], "o-", color=colour, ms=5, lw=0.8,
                 label=f"run {name}: x0 = {fmt(xs[0])}")
    ax0.plot([-0.5], [-0.25], "*", color="gold", ms=16, mec="black", label="minimiser -1/2")
    ax0.set_xlabel("x")
    ax0.set_ylabel("f(x)")
    ax0.set_title("exact gradient descent with PyTorch's backprop, step 1/4")
    ax0.legend(fontsize=8)
    ax0.grid(alpha=0.3)
    ks = range(len(xs_a))
    ax1.plot(ks, [float(x) for x in xs_a], "o-", color="tab:red", label="run A: 1/2, 0, 0, 0, ... (artificial)")
    ax1.plot(ks, [float(x) for x in xs_b], "o-", color="tab:blue", label="run B: -1/2 + 3/2^(k+1)")
    ax1.axhline(0, color="tab:red", lw=0.8, ls=":")
    ax1.axhline(-0.5, color="goldenrod", lw=1, ls="--")
    ax1.set_xlabel("iteration k")
    ax1.set_ylabel("x_k")
    ax1.set_title("iterates (exact Fractions)")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "gd_artificial_critical")


if __name__ == "__main__":
    main()
