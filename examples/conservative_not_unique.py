"""Conservative fields are not unique: changing a field at isolated points keeps it conservative, and can plant artificial critical points.

Claim (seed 003 "Beware: conservative Jacobians are not unique and not defined
pointwise!", ``J̃_f(x) = J_f(x) ∪ {1}`` for x ∈ ℕ; seed 002 "D(x) = {∇f(x)} for
almost all x"; theory §4: 0-dimensional strata impose nothing). For the smooth
``f(x) = x²/2``, the field

    D(x) = 0 if x = ±1, else x

(closure of its graph: ``{x, 0}`` at ±1) is conservative for ``f``, yet 0 ∈ D(±1)
while ``f'(±1) = ±1``: two *artificial critical points*, with spurious value 0.
Likewise ``abs'(0) = [-1, 5]`` (a set larger than Clarke's [-1, 1]) is a
conservative field for ``|x|`` with the spurious value 5 at 0. On a line in the
plane this freedom disappears (see the ``tangent_component`` example).

Checked exactly: ``check`` says conservative for both fields, ``critical`` finds
the artificial critical points x = -1 and x = 1 (exit code 1) and the spurious
values, and ``clarke_at`` gives {-1}, {1} there.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, header, output_dir, say

from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.checks.critical import critical

F = "x**2/2"
FIELD = "where((x == 1) or (x == -1), 0, x)"


def main(plot_dir=None) -> dict:
    """Check both modified fields, find their artificial points and spurious values; plot."""
    header("conservative fields are not unique")
    r = check(F, field=FIELD)
    assert r.verdict == "conservative", r.reason
    c = critical(F, field=FIELD)
    assert c.verdict == "artificial_critical_points" and c.exit_code == 1
    points = sorted(a.sample for a in c.artificial)
    assert points == [(Fraction(-1),), (Fraction(1),)]
    for p in points:
        assert clarke_at(F, p).gradients == ((p[0],),)
    spurious = sorted((s.sample, s.field) for s in c.spurious)
    assert [s for s, _ in spurious] == points and all(f == (((Fraction(0),),),) for _, f in spurious)
    print(f"  f = {F}, D = {FIELD}: {r.verdict}; artificial critical points at "
          f"{', '.join(fmt(p[0]) for p in points)} (Clarke sets {{-1}} and {{1}})")

    r2 = check("abs(x)", rule="clarke", overrides=["abs'(0)=[-1,5]"])
    assert r2.verdict == "conservative"
    c2 = critical("abs(x)", rule="clarke", overrides=["abs'(0)=[-1,5]"])
    assert [(s.sample, s.field) for s in c2.spurious] == [((Fraction(0),), (((Fraction(5),),),))]
    assert c2.verdict == "no_artificial_critical_points"  # 0 is Clarke critical for |x| anyway
    print(f"  f = abs(x), abs'(0) = [-1, 5]: {r2.verdict}; spurious value 5 at 0 (Clarke [-1, 1])")
    say("""
        A conservative field is determined only up to what happens on lower-dimensional strata where
        curves cannot travel: in one dimension, at isolated points. There the field may take extra
        values (closed graph, locally bounded), including 0: artificial critical points that gradient
        methods with generic initialisation and step sizes avoid (Bolte & Pauwels), but that a
        criticality test on D alone would report.
        """)
    from semialg.plot import plot_1d
    out = output_dir(plot_dir)
    paths = [str(out / "conservative_not_unique.png"), str(out / "conservative_not_unique_abs.png")]
    plot_1d(c, paths[0])
    plot_1d(c2, paths[1])
    return {"claim": "x -> 0 at x = ±1, x elsewhere is conservative for x²/2, with artificial critical points ±1",
            "artificial": points, "pictures": paths}


if __name__ == "__main__":
    main()
