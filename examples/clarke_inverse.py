"""Clarke inverse counterexample: for Φ(x, y) = (|x| + y, 2x + |y|), the Clarke Jacobian of Φ⁻¹ at 0 is not {M⁻¹ : M ∈ Jac^c Φ(0)}.

Claim (seed 000 "Counterexample to a potential Clarke implicit
differentiation", ``[Jac^c Ψ(0)]^{-1} ⊄ Jac^c Φ(0)`` with ``Ψ = Φ⁻¹``; seeds 001
and 003 "Question: Does it hold {-B⁻¹A : [A B] ∈ ∂^c F(x̂, ŷ)} = ∂^c G(x)?
No - need something beyond ∂^c"; theory §7).
``Φ`` is a piecewise-linear homeomorphism (its 4 Jacobians ``[[±1, 1], [2, ±1]]``
all have negative determinant). Its inverse ``Ψ`` is linear on the 4 cones
``Φ(quadrant)``, so ``Jac^c Ψ(0) = conv{B_q⁻¹}`` (4 vertices). Its barycenter
``N = [[0, 2/3], [4/3, 0]]`` is in ``Jac^c Ψ(0)``, but ``N⁻¹ = [[0, 3/4], [3/2, 0]]``
is not in ``Jac^c Φ(0) = {[[a, 1], [2, b]] : a, b ∈ [-1, 1]}``: Clarke's Jacobian
of the implicit/inverse function is *not* given by inverting Clarke's Jacobian.

Note (exact, and honest): the opposite inclusion holds here. Every
``M ∈ Jac^c Φ(0)`` has ``M⁻¹ ∈ Jac^c Ψ(0)`` (``semialg.implicit`` decides it for
the whole set by one nlsat query per facet; a rational grid is re-checked
below). So the phrasing "∃M ∈ Jac^c Φ(0) with M⁻¹ ∉ Jac^c Φ⁻¹(0)" (seed 003
"Counterexample", "Clarke's inverse mapping theorem fails"; theory §7) does not
hold for this Φ; the failure is ``Jac^c Ψ(0) ⊋ {M⁻¹}``.
The conservative calculus is fine: ``{-B⁻¹A : [A B] ∈ Jac^c F}`` (for
``F(u, v) = Φ(v) - u``) is a conservative Jacobian of ``Ψ`` whose convex hull is
``Jac^c Ψ(0)``.

Checked exactly: ``Ψ`` is built as a ``where`` program and ``Φ(Ψ(u)) = u`` is
verified piece by piece; ``clarke_at`` gives both Clarke Jacobians;
``semialg.checks.implicit.theorem.implicit`` gives the invertibility verdict and the
calculus comparison.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

from _common import fmt, header, identically_zero, pyplot, save, say

from semialg import abs_, program, variables, where
from semialg.checks.clarke import clarke_at
from semialg.checks.implicit.theorem import implicit

PHI = "abs(x) + y, 2*x + abs(y)"
SIGNS = ((1, 1), (-1, 1), (-1, -1), (1, -1))  # quadrants (sign x, sign y), counter-clockwise


def inverse2(m):
    (a, b), (c, d) = m
    det = Fraction(a * d - b * c)
    return ((d / det, -b / det), (-c / det, a / det))


def psi_program():
    """Ψ = Φ⁻¹ as a where-program: on the cone Φ(quadrant q), Ψ(u) = B_q⁻¹ u."""
    u1, u2 = variables("u1 u2")
    pieces = []
    for s1, s2 in SIGNS:
        inv = inverse2(((s1, 1), (2, s2)))
        v1 = inv[0][0] * u1 + inv[0][1] * u2
        v2 = inv[1][0] * u1 + inv[1][1] * u2
        pieces.append(((s1 * v1 >= 0) & (s2 * v2 >= 0), v1, v2))
    out1, out2 = pieces[-1][1], pieces[-1][2]
    for cond, v1, v2 in reversed(pieces[:-1]):
        out1, out2 = where(cond, v1, out1), where(cond, v2, out2)
    return program([out1, out2], ["u1", "u2"]), (u1, u2), (out1, out2)


def main(plot_dir=None) -> dict:
    """Build Ψ, compare Jac^c Ψ(0) with the inverses of Jac^c Φ(0) exactly; run semialg.implicit."""
    header("Clarke's Jacobian does not invert")
    psi, (u1, u2), (v1, v2) = psi_program()
    roundtrip = program([abs_(v1) + v2 - u1, 2 * v1 + abs_(v2) - u2], ["u1", "u2"])
    assert identically_zero(roundtrip)  # Φ(Ψ(u)) = u everywhere, exactly
    clarke_phi = clarke_at(PHI, [0, 0], variables=["x", "y"])
    clarke_psi = clarke_at(psi, [0, 0])
    assert len(clarke_phi.vertices) == 4 and len(clarke_psi.vertices) == 4
    assert set(clarke_psi.vertices) == {inverse2(m) for m in clarke_phi.vertices}
    n = tuple(tuple(sum(v[i][j] for v in clarke_psi.vertices) / 4 for j in range(2)) for i in range(2))
    n_inv = inverse2(n)
    assert n == ((0, Fraction(2, 3)), (Fraction(4, 3), 0)) and n_inv == ((0, Fraction(3, 4)), (Fraction(3, 2), 0))
    assert clarke_psi.contains(n) and not clarke_phi.contains(n_inv)
    print(f"  Jac^c Φ(0) = conv of {len(clarke_phi.vertices)} Jacobians [[±1, 1], [2, ±1]]")
    print("  Jac^c Ψ(0) = conv of their inverses: " + ", ".join(_m(v) for v in clarke_psi.vertices))
    print(f"  N = {_m(n)} ∈ Jac^c Ψ(0), but N⁻¹ = {_m(n_inv)} ∉ Jac^c Φ(0)")

    grid = [Fraction(k, 4) for k in range(-4, 5)]
    for a, b in itertools.product(grid, grid):  # every inverse of a Clarke matrix of Φ is in Jac^c Ψ(0)
        assert clarke_psi.contains(inverse2(((a, 1), (2, b))))
    r = implicit("abs(v1) + v2 - u1, 2*v1 + abs(v2) - u2", x=["u1", "u2"], y=["v1", "v2"],
                 at="u1=0,u2=0,v1=0,v2=0")
    assert r.verdict == "invertible" and r.exit_code == 0
    calc = r.calculus
    assert calc is not None and calc.clarke_outside == "yes" and calc.image_outside == "no"
    assert calc.conservative_ok is True
    assert set(r.explicit.clarke_vertices) == set(clarke_psi.vertices)
    print(f"  semialg.implicit: {r.verdict}; a point of Jac^c G(0) that is no -B⁻¹A: {_m(calc.clarke_witness[0])}; "
          f"every -B⁻¹A inside Jac^c G(0): {calc.image_outside == 'no'}; conservative calculus holds: "
          f"{calc.conservative_ok}")
    say("""
        Inverting Clarke Jacobians gives a non-convex set strictly inside Jac^c Ψ(0): Clarke's
        Jacobian has no inverse-function (or implicit-function) calculus. The set of inverses is
        nevertheless a conservative Jacobian of Ψ (its convex hull is Jac^c Ψ(0)), which is what the
        nonsmooth implicit function theorem of Bolte, Le, Pauwels and Silveti-Falls uses.
        (For this Φ every M⁻¹, M ∈ Jac^c Φ(0), does lie in Jac^c Ψ(0): the failure is the other way.)
        """)
    return {"claim": "Jac^c Φ⁻¹(0) contains N with N⁻¹ ∉ Jac^c Φ(0), for Φ = (|x| + y, 2x + |y|)",
            "N": n, "N_inverse": n_inv, "clarke_psi": clarke_psi.vertices,
            "pictures": [_plot(clarke_psi.vertices, n, plot_dir)]}


def _m(m) -> str:
    return "[" + "; ".join(", ".join(fmt(v) for v in row) for row in m) + "]"


def _plot(psi_vertices, n, plot_dir) -> str:
    import numpy as np
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 5.2))
    colours = ["#4c8bd6", "#e07b00", "#1b9e3a", "#c2185b"]
    names = {(1, 1): "x>0, y>0", (-1, 1): "x<0, y>0", (-1, -1): "x<0, y<0", (1, -1): "x>0, y<0"}
    from matplotlib.patches import Wedge
    for (s1, s2), c in zip(SIGNS, colours):
        b = np.array([[s1, 1], [2, s2]], dtype=float)
        rays = [b @ np.array([s1, 0.0]), b @ np.array([0.0, s2])]   # images of the quadrant's edges
        angles = [np.degrees(np.arctan2(r[1], r[0])) % 360 for r in rays]
        inside = np.degrees(np.arctan2(*(b @ np.array([s1, s2], dtype=float))[::-1])) % 360
        t1, t2 = angles if (inside - angles[0]) % 360 < (angles[1] - angles[0]) % 360 else angles[::-1]
        ax0.add_patch(Wedge((0, 0), 2.4, t1, t2, color=c, alpha=0.35, label=f"Φ(quadrant {names[(s1, s2)]})"))
        mid = np.radians(t1 + ((t2 - t1) % 360) / 2)
        radius = 1.45 if (t2 - t1) % 360 > 40 else 2.05
        ax0.annotate("Ψ' = " + _m(inverse2(((s1, 1), (2, s2)))), (radius * np.cos(mid), radius * np.sin(mid)),
                     fontsize=8, ha="center", va="center", bbox=dict(boxstyle="round", fc="white", ec=c, alpha=0.9))
    ax0.set_xlim(-2.5, 2.5)
    ax0.set_ylim(-2.5, 2.5)
    ax0.set_aspect("equal")
    ax0.set_xlabel("u1")
    ax0.set_ylabel("u2")
    ax0.set_title("Ψ = Φ⁻¹ is linear on 4 cones (Φ = (|x| + y, 2x + |y|))")
    ax0.legend(fontsize=7, loc="lower right")
    # projection on the entries (Ψ'_12, Ψ'_11) of the two sets
    a, b = np.meshgrid(np.linspace(-1, 1, 121), np.linspace(-1, 1, 121))
    d = 2 - a * b
    ax1.scatter((1 / d).ravel(), (-b / d).ravel(), s=2, color="#888888", alpha=0.4,
                label="inverses M⁻¹, M ∈ Jac^c Φ(0) (sampled)")
    pts = [(float(v[0][1]), float(v[0][0])) for v in psi_vertices]
    hull = sorted(pts, key=lambda p: np.arctan2(p[1] - 0.0, p[0] - 0.66))
    ax1.fill([p[0] for p in hull], [p[1] for p in hull], color="#4c8bd6", alpha=0.2, label="Jac^c Ψ(0) (exact hull)")
    ax1.plot([p[0] for p in pts], [p[1] for p in pts], "o", color="#4c8bd6", ms=7)
    ax1.plot([float(n[0][1])], [float(n[0][0])], "*", color="#d62728", ms=16, mec="black",
             label=f"N = {_m(n)}: in Jac^c Ψ(0), N⁻¹ ∉ Jac^c Φ(0)")
    ax1.set_xlabel("entry (1, 2) of the Jacobian")
    ax1.set_ylabel("entry (1, 1) of the Jacobian")
    ax1.set_title("Jac^c Ψ(0) vs inverses of Jac^c Φ(0) (2 of 4 entries)")
    ax1.legend(fontsize=8, loc="upper left")
    ax1.set_xlim(0.2, 1.3)
    ax1.set_ylim(-1.2, 1.5)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "clarke_inverse")


if __name__ == "__main__":
    main()
