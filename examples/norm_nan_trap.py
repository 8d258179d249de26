"""The Euclidean norm at 0 and the where/sqrt NaN trap: NaN is a refutation, the Clarke set is a disc.

Claim (seed 002, its semialgebraic class: polynomials, square roots, quotients, norms): roots and
norms are semialgebraic, so they get the same exact treatment as relu. Three facts, decided
exactly:

* ``norm(x, y)`` is 1-Lipschitz, its Clarke set at 0 is the unit disc (the gradient
  ``(x, y)/|(x, y)|`` takes every unit vector near 0); PyTorch's ``vector_norm`` returns 0 there
  (inside the disc: a conservative field), JAX's ``jnp.linalg.norm`` NaN (it differentiates
  ``sqrt(x**2 + y**2)``: ``inf * 0``), and a NaN is never a value of a conservative field;
* ``where(x > 1, sqrt(x), 1)`` is Lipschitz and smooth away from 1, yet reverse mode returns NaN
  at every ``x <= 0``: the branch the ``where`` does not take still multiplies its adjoint 0 by
  ``sqrt'(x)``, which is inf at 0 and NaN below. The mathematical chain rule (rule ``clarke``)
  selects the branch and is conservative;
* ``sqrt(relu(x))`` is continuous but not locally Lipschitz: its difference quotient at 0 along
  ``+1`` is ``h**(-1/2)``, unbounded. No Clarke set, no conservative field: the check says
  ``not_lipschitz`` with that ray as the witness.

Run: ``python examples/norm_nan_trap.py`` or ``semialg examples norm_nan_trap``.
"""
from __future__ import annotations

import math
from fractions import Fraction

from _common import header, pyplot, save, say

from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.rules import derivative_at

NORM = "norm(x, y)"
TRAP = "where(x > 1, sqrt(x), 1)"
NOT_LIPSCHITZ = "sqrt(relu(x))"
RULE_NAN = "jax"          # the framework whose norm is NaN at 0
TRAP_POINTS = [Fraction(k, 4) for k in range(-8, 13)]


def main(plot_dir=None) -> dict:
    """Decide the three claims exactly, draw them, return the findings."""
    header("norms and roots: NaN is a refutation, the Clarke set is a disc")
    assert check(NORM, rule="pytorch").verdict == "conservative"
    refuted = check(NORM, rule=RULE_NAN).to_json()
    assert refuted["verdict"] == "not_conservative" and refuted["witness"]["kind"] == "non_finite", refuted["reason"]
    assert refuted["witness"]["point"] == ["0", "0"] and refuted["witness"]["value"] == ["nan", "nan"]
    disc = clarke_at(NORM, "x=0,y=0")
    center, form = disc.ellipsoid
    assert center == (0, 0) and form == ((1, 0), (0, 1))   # {g : g1**2 + g2**2 <= 1}
    assert disc.contains([Fraction(3, 5), Fraction(4, 5)]) and not disc.contains([Fraction(4, 5), Fraction(4, 5)])
    trap = {fw: check(TRAP, rule=fw).verdict for fw in ("pytorch", "jax", "clarke")}
    assert trap == {"pytorch": "not_conservative", "jax": "not_conservative", "clarke": "conservative"}, trap
    values = {x: derivative_at(TRAP, (x,), "pytorch")[0][0][0] for x in TRAP_POINTS}
    assert all((isinstance(v, float) and math.isnan(v)) == (x <= 0) for x, v in values.items()), values
    lip = check(NOT_LIPSCHITZ).to_json()
    assert lip["verdict"] == "not_lipschitz" and lip["witness"]["kind"] == "unbounded_slope"
    assert lip["witness"]["point"] == ["0"] and lip["witness"]["direction"] == ["1"]
    print(f"  {NORM}: pytorch conservative; {RULE_NAN} not conservative, value (nan, nan) at (0, 0)")
    print(f"  Clarke set of {NORM} at 0: {disc.to_json()['set']['description']}")
    print(f"  {TRAP}: " + ", ".join(f"{fw} {v}" for fw, v in trap.items()))
    print(f"  {NOT_LIPSCHITZ}: not Lipschitz, (f(h) - f(0))/h -> {lip['witness']['limit']} as h -> 0+")
    say("""
        A framework's NaN or inf is not "a value at a kink": a conservative field has finite, locally
        bounded values, so the rule is refuted at that point. PyTorch's 0 for the norm at 0 is one
        element of the disc; JAX's NaN is none. The where/sqrt trap has nothing to do with kinks: the
        untaken branch poisons reverse mode on the whole half-line x <= 0.
        """)
    pictures = [_plot(values, plot_dir)]
    return {"claim": "norm's Clarke set at 0 is the unit disc; NaN rules are refuted", "trap": trap,
            "pictures": pictures}


def _plot(values, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4.6))
    ticks = [i / 4 - 1 for i in range(9)]
    for a in ticks:
        for b in ticks:
            r = math.hypot(a, b)
            if r > 0:
                ax0.arrow(a, b, 0.16 * a / r, 0.16 * b / r, head_width=0.04, color="#777777", lw=0.6)
    t = [2 * math.pi * k / 200 for k in range(201)]
    ax0.fill([math.cos(s) for s in t], [math.sin(s) for s in t], color="tab:green", alpha=0.15,
             label="Clarke set at 0: the unit disc")
    ax0.plot([0], [0], "o", color="tab:red", ms=8, label="PyTorch: 0 (in the disc)")
    ax0.annotate("JAX: (nan, nan)", (0, 0), xytext=(0.25, -1.25), color="tab:blue",
                 arrowprops={"arrowstyle": "->", "color": "tab:blue"})
    ax0.set_aspect("equal")
    ax0.set_xlim(-1.4, 1.4)
    ax0.set_ylim(-1.4, 1.4)
    ax0.set_title("norm(x, y): gradients x/|x| and the limits at 0")
    ax0.legend(loc="upper left", fontsize=8)
    xs = [i / 50 - 2 for i in range(251)]
    ax1.plot(xs, [math.sqrt(x) if x > 1 else 1.0 for x in xs], color="k", lw=2, label="where(x > 1, sqrt(x), 1)")
    finite = [(float(x), float(v)) for x, v in values.items() if not (isinstance(v, float) and math.isnan(v))]
    ax1.plot(*zip(*finite), "o", color="tab:red", label="d/dx: PyTorch reverse mode (exact)")
    ax1.axvspan(-2, 0, color="tab:red", alpha=0.12, label="PyTorch / JAX reverse mode: NaN")
    ax1.set_xlabel("x")
    ax1.set_title("the untaken branch poisons reverse mode")
    ax1.legend(loc="upper left", fontsize=8)
    ax1.grid(alpha=0.3)
    return save(fig, plot_dir, "norm_nan_trap")


if __name__ == "__main__":
    main()
