"""Projection formula for |x1| + |x2|: on each of its 9 strata the field projected on the tangent space is the gradient of the piece.

Claim (seed 002 "Variational stratification [Bolte-Daniilidis-Lewis 2007],
Example: Projection formula f(x1, x2) = |x1| + |x2|", theory §4): a field ``D``
is conservative for ``f`` iff there is a stratification (here: 4 open
quadrants, 4 open half-axes, the origin) with ``f`` smooth on each stratum ``M``
and ``P_{T_x M} D(x) = {∇ f_M(x)}``. For the Clarke field of ``|x1| + |x2|``,
``D`` on the half-axis ``{x1 = 0, x2 > 0}`` is the segment ``[-1, 1] × {1}``; its
projection on the tangent line (the ``x2`` axis) is the single vector ``(0, 1)``
= the gradient of the piece ``x2`` restricted to that line. At the origin
(dimension 0) the whole square ``[-1, 1]^2`` is allowed.

Checked exactly: ``check`` (rules clarke, pytorch, jax, tensorflow) says
conservative, with 9 strata of dimensions 2, 1, 0; and for every stratum of
positive dimension and every field vertex at its sample, ``P_T(v - ∇f_S) = 0``
is recomputed here with Fractions (tangent basis from
``semialg.checks.geometry.tangent_basis``).
"""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

from _common import fmt_set, fmt_vec, header, output_dir, pyplot, save, say

from semialg.checks.conservative import check
from semialg.checks.geometry import tangent_basis

FUNCTION = "abs(x1) + abs(x2)"


def project(v, basis):
    """Exact orthogonal projection of ``v`` on ``span(basis)``: ``B (B^T B)^{-1} B^T v``."""
    k = len(basis)
    if k == 0:
        return tuple(Fraction(0) for _ in v)
    gram = [[sum(a * b for a, b in zip(bi, bj)) for bj in basis] for bi in basis]
    rhs = [sum(a * b for a, b in zip(bi, v)) for bi in basis]
    coeffs = _solve(gram, rhs)
    return tuple(sum(c * b[i] for c, b in zip(coeffs, basis)) for i in range(len(v)))


def _solve(a, b):
    """Gauss-Jordan over the rationals (a is invertible: a Gram matrix of a basis)."""
    n = len(b)
    m = [list(map(Fraction, row)) + [Fraction(bi)] for row, bi in zip(a, b)]
    for c in range(n):
        p = next(r for r in range(c, n) if m[r][c] != 0)
        m[c], m[p] = m[p], m[c]
        m[c] = [x / m[c][c] for x in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0:
                m[r] = [x - m[r][c] * y for x, y in zip(m[r], m[c])]
    return [m[r][n] for r in range(n)]


def main(plot_dir=None) -> dict:
    """Check the projection formula on every stratum exactly; draw the strata and the projections."""
    header("the projection formula for |x1| + |x2|")
    results = {rule: check(FUNCTION, rule=rule) for rule in ("clarke", "pytorch", "jax", "tensorflow")}
    assert {r.verdict for r in results.values()} == {"conservative"}
    result = results["clarke"]
    strata = result.stratification.strata
    assert Counter(s.dim for s in strata) == {2: 4, 1: 4, 0: 1}
    rows = []
    for rep in result.strata:
        s = rep.stratum
        basis = tangent_basis(s)
        grad = tuple(p.eval(s.sample) for p in s.piece[0].gradient())
        vertices = [tuple(p.eval(s.sample) for p in v) for v in rep.field[0]]
        projected = {project(v, basis) for v in vertices}
        if s.dim > 0:
            assert projected == {project(grad, basis)}, (s.condition_text(), projected)
        rows.append({"stratum": s.id, "dim": s.dim, "conditions": s.condition_text(), "sample": s.sample,
                     "field": vertices, "projected": sorted(projected), "grad_piece": grad})
    print(f"  {'stratum':<22} dim  {'sample':<8}  {'Clarke field D(x)':<38}  P_T D(x)")
    for r in rows:
        proj = fmt_set(r["projected"]) if r["dim"] > 0 else "(no condition: dim 0)"
        print(f"  {', '.join(r['conditions']):<22} {r['dim']:>3}  {fmt_vec(r['sample']):<8}  "
              f"{fmt_set(r['field']):<38}  {proj}")
    say("""
        On every stratum of positive dimension the projection of the (set-valued) field on the
        tangent space is one vector, the gradient of f restricted to the stratum: the chain rule
        holds along every curve. semialg decides this for all x at once, not only at the samples.
        """)
    from semialg.plot import plot_2d
    strata_png = str(output_dir(plot_dir) / "projection_formula_strata.png")
    plot_2d(result, strata_png)
    return {"claim": "P_T D(x) = grad f_S(x) on every stratum of |x1| + |x2| (Clarke field)", "rows": rows,
            "verdicts": {k: r.verdict for k, r in results.items()},
            "pictures": [strata_png, _plot(rows, plot_dir)]}


def _plot(rows, plot_dir) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.2, 7))
    ax.fill_between([-2, 2], -2, 2, color="#4c8bd6", alpha=0.12)
    for d in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        ax.plot([0, 2 * d[0]], [0, 2 * d[1]], color="#e07b00", lw=3, zorder=1)
    ax.plot([0], [0], "o", color="#222222", ms=9, zorder=5)
    first = True
    for r in rows:
        if r["dim"] != 1:
            continue
        p = tuple(float(c) * 1.2 for c in r["sample"])
        for v in r["field"]:
            ax.annotate("", xy=(p[0] + 0.55 * float(v[0]), p[1] + 0.55 * float(v[1])), xytext=p,
                        arrowprops=dict(arrowstyle="-|>", color="#c2185b", lw=1.8))
        ax.plot([p[0] + 0.55 * float(v[0]) for v in r["field"]], [p[1] + 0.55 * float(v[1]) for v in r["field"]],
                color="#c2185b", lw=1, ls=":", label="Clarke field D(x): a segment" if first else None)
        for w in r["projected"]:
            ax.annotate("", xy=(p[0] + 0.55 * float(w[0]), p[1] + 0.55 * float(w[1])), xytext=p,
                        arrowprops=dict(arrowstyle="-|>", color="#1b9e3a", lw=3.2))
        ax.plot([], [], color="#1b9e3a", lw=3.2, label="P_T D(x) = grad of f on the stratum" if first else None)
        ax.plot([p[0]], [p[1]], "o", color="#e07b00", ms=6)
        first = False
    square = [(-1, -1), (1, -1), (1, 1), (-1, 1), (-1, -1)]
    ax.plot([0.35 * a for a, _ in square], [0.35 * b for _, b in square], color="#c2185b", lw=1.5,
            label="D(0) = [-1, 1]^2 (dim 0: no condition)")
    ax.plot([], [], color="#e07b00", lw=3, label="1-D strata (half-axes)")
    ax.fill_between([], [], [], color="#4c8bd6", alpha=0.12, label="2-D strata (quadrants)")
    ax.set_xlim(-2, 2)
    ax.set_ylim(-2, 2)
    ax.set_aspect("equal")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title("projection formula for |x1| + |x2| (Clarke field)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09), ncol=2, fontsize=8)
    return save(fig, plot_dir, "projection_formula")


if __name__ == "__main__":
    main()
