"""Gradient almost everywhere is not enough: for f(x, y) = |x| the field (sign x, 1 if x = 0) is refuted, with a witness curve.

Claim (theory §4 "A check that only samples full-dimensional cells is wrong";
seed 002 "Gradient a.e.: D(x) = {∇f(x)} for almost all x" is a *consequence*
of conservativity, not a characterization; seed 004 'An "operator-free"
approach: The zero circulation idea'): the field

    D(x, y) = (sign(x), 1 if x == 0 else 0)

equals ``∇f`` off the line ``x = 0`` (a null set), yet it is not conservative
for ``f(x, y) = |x|``: along the curve ``γ(t) = (0, t)`` inside the line, ``f``
is constant while ``<D(γ), γ'> = 1``. The field ``(1 if x == 0 else sign(x), 0)``
(abs'(0) = 1, as JAX) is conservative.

Checked exactly: ``check(..., field=...)`` answers not_conservative with the
witness (point (0, 0), direction (0, 1), rates 0 vs 1) and confirms it
numerically along the curve; random sampling of the plane (what a naive test
does) never sees the difference; the second field is conservative.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from _common import fmt_vec, header, output_dir, say

from semialg.checks.conservative import check

F = "abs(x)"
BAD = "where(x > 0, 1, where(x < 0, -1, 0)), where(x == 0, 1, 0)"
GOOD = "where(x == 0, 1, where(x > 0, 1, -1)), 0"


def main(plot_dir=None) -> dict:
    """Refute the bad field with an exact witness, accept the good one; draw the witness."""
    header("|x| in the plane: gradient a.e. is not enough")
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, size=(10_000, 2))
    naive = np.all(np.sign(pts[:, 0]) == np.where(pts[:, 0] > 0, 1, np.where(pts[:, 0] < 0, -1, 0)))
    naive = naive and not np.any(pts[:, 0] == 0)  # the second component is 0 = ∂f/∂y at every sample
    assert naive  # sampling sees a gradient everywhere
    bad = check(F, variables=["x", "y"], field=BAD)
    assert bad.verdict == "not_conservative" and bad.exit_code == 1
    w = bad.witness
    assert w.point == (0, 0) and w.direction == (0, 1)
    assert (w.derivative_along_curve, w.field_along_curve) == (Fraction(0), Fraction(1))
    assert w.numeric and w.numeric["confirmed"]
    good = check(F, variables=["x", "y"], field=GOOD)
    assert good.verdict == "conservative"
    print(f"  field {BAD!r}\n    -> {bad.verdict}: {bad.reason}")
    print(f"    numeric confirmation over [0, {w.numeric['h']}]: f increases by {w.numeric['f_increment']}, "
          f"the field integrates to {w.numeric['field_integral']}")
    print(f"  field {GOOD!r}\n    -> {good.verdict}: {good.reason}")
    say("""
        10,000 random points see the gradient everywhere, because the bad value lives on the line
        x = 0, a set of measure zero. But an absolutely continuous curve can run inside that line,
        and the chain rule fails along it. semialg checks every stratum, including the line.
        """)
    return {"claim": "(sign x, 1[x = 0]) is the gradient of |x| a.e. but not conservative",
            "witness": {"point": w.point, "direction": w.direction, "rates": (w.derivative_along_curve,
                                                                              w.field_along_curve)},
            "pictures": [_plot(bad, plot_dir)]}


def _plot(result, plot_dir) -> str:
    from semialg.plot import mark_witness, plot_2d
    path = str(output_dir(plot_dir) / "tangent_component.png")
    fig = plot_2d(result)
    w = result.witness
    fig.axes[0].set_title(f"f = |x|, field D = (sign x, 1 if x = 0 else 0): not conservative\n"
                          f"witness at {fmt_vec(w.point)} along {fmt_vec(w.direction)}", fontsize=10)
    mark_witness(fig, result, path)
    return path


if __name__ == "__main__":
    main()
