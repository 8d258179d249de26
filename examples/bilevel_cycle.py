"""Bilevel cycle: with s ∈ argmax{(a+b)(-3x+y+2) : a∈[0,3], b∈[0,5]}, the loss (x-s₁)² + 4(y-s₂)² jumps (not Lipschitz) and backprop gradient descent cycles forever.

Claim (seed 000 "Pathological examples: cycles", seed 001 "Pathological
Examples - Cycles", seed 003 "Pathological Examples - Cyclic Trajectories";
the talks print the coefficient as -3x in one (seed 000) and -2x in the others,
we use -3x as in issue 7):

    min ℓ(x, y) = (x - s₁)² + 4(y - s₂)²,  s = s(x, y) ∈ argmax{(a + b)(-3x + y + 2) : a ∈ [0, 3], b ∈ [0, 5]}.

The inner argmax is ``(3, 5)`` where ``c = -3x + y + 2 > 0`` and ``(0, 0)`` where
``c < 0``: modelled as ``s = where(c > 0, (3, 5), (0, 0))``. The composed loss is
discontinuous across the line ``c = 0``, so it has no conservative field and
the convergence theory of nonsmooth gradient methods does not apply.
Backprop (the derivative of the selected branch, ``ds = 0``) sends every
point of ``c > 0`` towards ``(3, 5)``, which lies in ``c < 0``, and every point
of ``c < 0`` towards ``(0, 0)``, which lies in ``c > 0``: gradient descent crosses
the line again and again and never converges.

Checked exactly: ``check`` answers not_lipschitz with a jump witness on the
line; each piece's minimiser lies in the other region (exact signs of ``c``);
on the line, the normal component of each side's field changes sign at
``x = 19/9`` (side c > 0) and ``x = 8/9`` (side c < 0), so nowhere do both
sides push into the line (no attracting sliding segment); gradients used in the
descent equal ``semialg.rules.derivative_at`` (pytorch) at the iterates
(rationals). Numerically: the iterates keep crossing the line (dozens of
crossings in the last half of the run) and the loss keeps oscillating.

Differentiated through ``semialg.implicit``: the inner problem is a linear
program over a box, whose solutions are the zeros of the projected-gradient
fixed point ``F(x, y, s) = s - clip(s + c(x, y)·(1, 1), [0, 3] × [0, 5]) = 0``.
Off the line (``c ≠ 0``) the solution is a vertex and the clip is saturated:
``[A | B] = [0 | I]``, invertible, and the implicit Jacobian of ``s`` is 0, so the
hypergradient ``∇ℓ + (∂s)ᵀ∇_s ℓ`` is exactly the backprop gradient that cycles.
On the line every point of the box solves the inner problem: at an inner point
``B = 0``, at the corner ``(3, 5)`` the clip's kink gives ``B = diag(1 - q)``,
singular at ``q = 1``; both are ``not_invertible``: the theorem gives no
derivative where the loss jumps.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from _common import fmt, fmt_vec, header, pyplot, save, say

from semialg import parse
from semialg.checks.conservative import check
from semialg.checks.implicit.theorem import implicit
from semialg.rules import derivative_at

C = "-3*x + y + 2"
INNER = f"a - clip(a + ({C}), 0, 3), b - clip(b + ({C}), 0, 5)"   # s = (a, b): projected-gradient fixed point
LOSS = f"(x - where({C} > 0, 3, 0))**2 + 4*(y - where({C} > 0, 5, 0))**2"
START, STEP, ITERATIONS = (0.5, -1.0), 0.02, 4000


def c_value(x, y):
    return -3 * x + y + 2


def backprop(p):
    """The backprop gradient of the loss (selected branch of the argmax, ds = 0), float64."""
    x, y = p
    s1, s2 = (3.0, 5.0) if c_value(x, y) > 0 else (0.0, 0.0)
    return np.array([2 * (x - s1), 8 * (y - s2)])


def main(plot_dir=None) -> dict:
    """Refute Lipschitz continuity exactly, analyse the line exactly, run GD and watch it cycle."""
    header("bilevel problem: a discontinuous loss and cycling gradient descent")
    program = parse(LOSS, ["x", "y"])
    result = check(program)
    assert result.verdict == "not_lipschitz" and result.exit_code == 1
    jump = result.jump
    assert c_value(*jump.point) == 0 and jump.value != jump.limit
    print(f"  semialg check: {result.verdict}: {result.reason}")

    assert c_value(3, 5) < 0 and c_value(0, 0) > 0  # each branch's minimiser is in the other region
    # On the line y = 3x - 2 (normal n = (-3, 1), pointing into c > 0), the flow -∇ℓ of each side:
    #   side c > 0: -n·∇ℓ₁ = -(-6(x - 3) + 8(y - 5)) = 38 - 18x  (pushes into the line iff x > 19/9)
    #   side c < 0: -n·∇ℓ₀ = -(-6x + 8y)           = 16 - 18x  (pushes into the line iff x < 8/9)
    def normal_flow(x, s):
        y = 3 * x - 2
        gx, gy = 2 * (x - s[0]), 8 * (y - s[1])
        return -(-3 * gx + gy)
    hi, lo = Fraction(19, 9), Fraction(8, 9)
    assert normal_flow(hi, (3, 5)) == 0 and normal_flow(lo, (0, 0)) == 0
    assert normal_flow(hi + 1, (3, 5)) < 0 < normal_flow(hi - 1, (3, 5))
    assert normal_flow(lo - 1, (0, 0)) > 0 > normal_flow(lo + 1, (0, 0))
    print(f"  on the line c = 0: the side c > 0 flows into it only for x > {fmt(hi)}, the side c < 0 only for "
          f"x < {fmt(lo)}: no attracting sliding segment")

    through = _through_implicit(program)
    print(f"  implicit on the inner fixed point s = clip(s + c·(1, 1)): off the line invertible with ∂s = 0 "
          f"(hypergradient = backprop); on the line {through['line']} (B singular)")

    traj = [np.array(START)]
    p = traj[0].copy()
    for k in range(ITERATIONS):
        g = backprop(p)
        if k % 400 == 0:  # the float gradient is what semialg's exact backprop returns at this rational point
            exact = derivative_at(program, [Fraction(float(v)) for v in p], "pytorch")[0]
            assert len(exact) == 1 and np.allclose([float(v) for v in exact[0]], g, rtol=1e-12, atol=1e-12)
        p = p - STEP * g
        traj.append(p.copy())
    traj = np.array(traj)
    side = c_value(traj[:, 0], traj[:, 1]) > 0
    losses = np.where(side, (traj[:, 0] - 3) ** 2 + 4 * (traj[:, 1] - 5) ** 2, traj[:, 0] ** 2 + 4 * traj[:, 1] ** 2)
    late = slice(ITERATIONS // 2, None)
    crossings = int(np.sum(side[late][1:] != side[late][:-1]))
    assert crossings >= 20, crossings
    assert np.ptp(losses[late]) > 1.0 and np.all(np.abs(traj) < 10)  # bounded, yet not converging
    print(f"  gradient descent from {fmt_vec(START)} with step {STEP}: {crossings} crossings of the line in the last "
          f"{ITERATIONS // 2} steps; the loss keeps oscillating between {losses[late].min():.2f} and {losses[late].max():.2f}")
    say("""
        The loss of the bilevel problem is not continuous (semialg finds the jump), so backprop is not a
        conservative field of anything and descent guarantees are void: each branch's gradient points to
        a minimiser that lies across the line, and the iterates cycle around the line forever.
        """)
    return {"claim": "the bilevel loss is not Lipschitz (exact jump) and backprop gradient descent cycles",
            "jump": {"point": jump.point, "value": jump.value, "limit": jump.limit}, "crossings": crossings,
            "implicit": through,
            "pictures": [_plot(traj, losses, jump, plot_dir)]}


def _through_implicit(program) -> dict:
    """The inner argmax through ``implicit``: invertible with ∂s = 0 off the line, not invertible on it."""
    for x, y, s in ((0, 0, (3, 5)), (Fraction(3, 2), -1, (0, 0)), (Fraction(1, 3), Fraction(7, 2), (3, 5))):
        r = implicit(INNER, x="x,y", y="a,b", at={"x": x, "y": y, "a": s[0], "b": s[1]})
        assert r.verdict == "invertible" and [mx for _, mx in r.images] == [((0, 0), (0, 0))]
        # the hypergradient with ∂s = 0 is the gradient of the selected branch: backprop's value
        hyper = (2 * (x - s[0]), 8 * (y - s[1]))
        assert derivative_at(program, [x, y], "pytorch")[0] == [hyper]
    line = []
    for s in ((Fraction(3, 2), Fraction(5, 2)), (3, 5), (0, 0)):           # on c = 0 every s of the box solves it
        r = implicit(INNER, x="x,y", y="a,b", at={"x": Fraction(2, 3), "y": 0, "a": s[0], "b": s[1]})
        assert r.verdict == "not_invertible"
        line.append(r.verdict)
    return {"off_line": "invertible, ds = 0", "line": line[0].replace("_", " ")}


def _plot(traj, losses, jump, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12.5, 5), gridspec_kw={"width_ratios": [1.1, 1]})
    xs, ys = np.meshgrid(np.linspace(-0.5, 3.5, 300), np.linspace(-1.5, 5.8, 300))
    ax0.contourf(xs, ys, c_value(xs, ys) > 0, levels=[-0.5, 0.5, 1.5], colors=["#f6d7b0", "#cfe0f5"], alpha=0.9)
    line_x = np.linspace(-0.5, 3.5, 10)
    ax0.plot(line_x, 3 * line_x - 2, color="black", lw=1.5, label="-3x + y + 2 = 0 (the loss jumps)")
    ax0.plot(traj[:, 0], traj[:, 1], color="#c2185b", lw=0.6, alpha=0.8, label="gradient descent iterates")
    ax0.plot(traj[:1, 0], traj[:1, 1], "s", color="#c2185b", ms=8, label="start")
    ax0.plot([3], [5], "*", color="tab:blue", ms=14, mec="black", label="where the c > 0 branch pulls: (3, 5)")
    ax0.plot([0], [0], "*", color="tab:orange", ms=14, mec="black", label="where the c < 0 branch pulls: (0, 0)")
    ax0.plot([float(jump.point[0])], [float(jump.point[1])], "X", color="black", ms=10,
             label=f"jump witness {fmt_vec(jump.point)}: {fmt(jump.value[0])} vs {fmt(jump.limit[0])}")
    ax0.text(0.2, 4.2, "c > 0: s = (3, 5)", fontsize=10, color="#1f4e8c")
    ax0.text(2.45, 1.6, "c < 0: s = (0, 0)", fontsize=10, color="#8a4b00")
    ax0.text(-0.4, 5.45, "implicit on s = clip(s + c·(1, 1)): invertible with ∂s = 0 off the line\n"
             "(hypergradient = backprop); NOT invertible on it (every s of the box solves it)",
             fontsize=7.5, va="top", bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9))
    ax0.set_xlim(-0.5, 3.5)
    ax0.set_ylim(-1.5, 5.8)
    ax0.set_xlabel("x")
    ax0.set_ylabel("y")
    ax0.set_title("backprop gradient descent cycles across the jump")
    ax0.legend(fontsize=7.5, loc="lower right", framealpha=0.95)
    last = np.arange(len(losses) - 600, len(losses))
    ax1.plot(last, losses[last], ".-", color="#c2185b", lw=0.8, ms=3)
    ax1.set_xlabel(f"iteration (the last 600 of {len(losses) - 1})")
    ax1.set_ylabel("loss ℓ(x_k, y_k)")
    ax1.set_yscale("log")
    ax1.set_title("the loss never settles")
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "bilevel_cycle")


if __name__ == "__main__":
    main()
