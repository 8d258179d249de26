"""Rank-deficient Lasso: the implicit derivative does not exist, and unrolled ISTA returns a different derivative for each tie convention and each start, bounded but never unique.

Claim (seed 000, "Illustrative example: lasso hyperparameter optimization": "assume
X_Eᵀ X_E has full rank ... Invertibility condition is essential to satisfy: otherwise it can
give really pathological training dynamics!"; theory §7). For
``x̂(λ) ∈ argmin ½||Ax - b||² + λ||x||₁`` with ``A = [[1, 1]]`` (a repeated column), ``b = 2``,
``λ = 1``, every ``x ≥ 0`` with ``x₁ + x₂ = 1`` is a solution; at ``x̂ = (1, 0)`` the
equicorrelation set is ``E = {1, 2}`` and ``A_Eᵀ A_E = [[1, 1], [1, 1]]`` has rank 1.

Checked exactly (Fractions):

1. ``lasso_at`` certifies ``x̂ = (1, 0)`` and finds ``I - diag(q)(I - AᵀA)`` singular over ``M(θ)``,
   with the witness at ``q = 1_E`` (theory §7: the rank condition is necessary pointwise).
2. Exact ISTA ``x_{k+1} = ST(x_k - γAᵀ(Ax_k - b), γλ)`` with ``γ = 1/||A||² = 1/2`` started at
   ``x̂`` stays there with the tie ``z₂ = γλ`` at every step. Forward mode with PyTorch's/JAX's
   ``relu'(0) = 0`` gives ``D_k = (-(1 - 2^-k), 0) → (-1, 0)`` (contraction exactly 1/2); with
   ``relu'(0) = 1`` it gives ``(-1/2, -1/2)`` from the first step on, a choice whose ``I - B`` is
   singular: the implicit formula has no value for it. The two limits are the right and left
   derivatives of ``λ ↦ lim ISTA(λ)`` from this start (checked on exact ISTA at ``λ = 1 ± 1/10``).
3. From ``x₀ = 0`` exact ISTA lands in one step on another solution, ``(1/2, 1/2)``, with no tie:
   every rule returns ``(-1/2, -1/2)`` although ``I - B`` is singular there too. From ``x₀ = (3, 0)``
   the iterates approach ``(1, 0)`` without reaching it; PyTorch's ``D_k`` tends to ``(-1, 0)``.
4. Full-rank comparison (``A`` 3 x 2 of rank 2, a smooth point): every rule's ``D_k`` converges to
   the single implicit ``(I - B)^{-1}A`` (= Prop. 5's ``D`` / λ), the distances shrink by at most
   ``||B||_∞`` per step once the support is identified.

Correction. The slide writes the fixed point as ``β - prox_{e^λ||·||₁}(β - e^λ Xᵀ(Xβ - Y))`` for
``||Xβ - Y||² + e^λ||β||₁``: the step ``e^λ`` on the gradient and the missing ½ do not give the
optimality condition; we use ``x - prox_{λ||·||₁}(x - γAᵀ(Ax - b))`` for ``½||Ax - b||² + λ||x||₁``.
And "pathological" is not divergence here: for ``0 < γ ≤ 2/||A||²`` every ``B = diag(q)(I - γAᵀA)``
is ℓ2-nonexpansive, and at this kink both tie choices fix ``D* = (-1, 0)``, so every choice sequence
keeps ``||D_k - D*||₂ ≤ ||D_0 - D*||₂ = 1`` (asserted on every vertex of every ``D_k``): no linear
growth and no oscillation is possible for ISTA on this Lasso. The pathology is that the derivative
is an arbitrary selection, fixed by the tie convention and by which solution the solver lands on,
so hyperparameter descent follows whichever one the framework happens to compute.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_vec, header, pyplot, save, say

from semialg.checks.implicit.lasso import lasso_at
from semialg.checks.implicit.unrolling import ista_map, unroll_sets
from semialg.rules import get_rule

A, B, LAM, GAMMA, STEPS = [[1, 1]], [2], Fraction(1), Fraction(1, 2), 10
A_FULL, B_FULL, LAM_FULL, GAMMA_FULL, STEPS_FULL = [[2, 1], [1, 3], [0, 1]], [3, 1, 2], Fraction(1, 2), Fraction(1, 12), 40
RELU1 = get_rule("pytorch", ["relu'(0)=1"])
EPS = Fraction(1, 10)


def col(m):
    """A p x 1 matrix as a vector."""
    return tuple(r[0] for r in m)


def ista_limit_one_step(lam, x0):
    """Exact ISTA from ``x0``; returns the first iterate and whether it is a fixed point."""
    u = unroll_sets(ista_map(A, B, GAMMA), [lam], x0, 2, rules=["pytorch"])
    return u.iterates[1], u.iterates[1] == u.iterates[2]


def main(plot_dir=None) -> dict:
    """Check the claims exactly, print them, draw D_k per rule and the iterates."""
    header("Rank-deficient Lasso: no implicit derivative, and unrolling picks one by convention")
    pt = lasso_at(A, B, lam=LAM, x=[1.0, 0.0])
    assert pt.x == (1, 0) and pt.equicorrelation == (0, 1) and pt.support == (0,) and pt.gram_rank == 1
    assert pt.invertibility.status == "singular"
    assert pt.invertibility.witness_matrix == ((1, 1), (1, 1))      # I - diag(1_E)(I - AᵀA) = AᵀA
    print(f"  x̂ = {fmt_vec(pt.x)}, E = {[i + 1 for i in pt.equicorrelation]}, rank A_EᵀA_E = {pt.gram_rank}: "
          f"I - diag(q)(I - AᵀA) is singular at q = 1_E "
          f"(witness I - B = [{'; '.join(', '.join(fmt(v) for v in row) for row in pt.invertibility.witness_matrix)}])")

    T = ista_map(A, B, GAMMA)
    u = unroll_sets(T, [LAM], [1, 0], STEPS, rules=["pytorch", "jax", RELU1], fixed_point=pt.x)
    assert u.iterates == ((1, 0),) * (STEPS + 1) and u.kink_steps == tuple(range(STEPS))
    assert u.implicit is None and u.singular.status == "singular"
    pytorch = [col(d) for d in u.by_rule["pytorch"]]
    assert pytorch == [(-(1 - Fraction(1, 2 ** k)), 0) for k in range(STEPS + 1)]
    assert u.by_rule["jax"] == u.by_rule["pytorch"]
    relu1 = [col(d) for d in u.by_rule[RELU1.name]]
    assert relu1[1:] == [(Fraction(-1, 2), Fraction(-1, 2))] * STEPS
    assert u.targets["pytorch"] == ((-1,), (0,)) and u.targets[RELU1.name] is None
    assert u.contractions["pytorch"] == (Fraction(1, 2),) * STEPS
    d_star = (-1, 0)
    assert all((m[0][0] - d_star[0]) ** 2 + (m[1][0] - d_star[1]) ** 2 <= 1 for d in u.sets for m in d)
    print(f"  ISTA from x̂ (γ = {fmt(GAMMA)}): a tie at each of the {STEPS} steps; |D_k| = {[len(d) for d in u.sets]}")
    print(f"    pytorch/jax (relu'(0) = 0): D_k = (-(1 - 2^-k), 0) -> {fmt_vec(col(u.targets['pytorch']))}, ratio 1/2")
    print(f"    relu'(0) = 1:               D_k = (-1/2, -1/2) for k >= 1; its I - B is singular (no implicit value)")
    print(f"    every D in every D_k: ||D - (-1, 0)||₂ <= 1 (bounded: no drift)")

    left, fixed = ista_limit_one_step(LAM - EPS, [1, 0])
    assert fixed and left == (1 + EPS / 2, EPS / 2)
    right = (1 - EPS, Fraction(0))
    ur = unroll_sets(T, [LAM + EPS], [1, 0], 6, rules=["pytorch"], fixed_point=right)
    assert [x for x in ur.iterates] == [(1 - EPS * (1 - Fraction(1, 2 ** k)), 0) for k in range(7)]
    slope_left = tuple((a - b) / (-EPS) for a, b in zip(left, pt.x))
    slope_right = tuple((a - b) / EPS for a, b in zip(right, pt.x))
    assert slope_left == relu1[-1] and slope_right == col(u.targets["pytorch"])
    print(f"  lim ISTA(λ) from (1, 0): slope {fmt_vec(slope_right)} for λ > 1 (pytorch's limit), "
          f"{fmt_vec(slope_left)} for λ < 1 (relu'(0) = 1)")

    u0 = unroll_sets(T, [LAM], [0, 0], 4, rules=["pytorch", RELU1])
    assert u0.iterates[1:] == ((Fraction(1, 2), Fraction(1, 2)),) * 4 and u0.kink_steps == ()
    assert all(col(d) == (Fraction(-1, 2), Fraction(-1, 2)) for ds in u0.by_rule.values() for d in ds[1:])
    assert u0.implicit is None and u0.singular.status == "singular"
    u3 = unroll_sets(T, [LAM], [3, 0], 12, rules=["pytorch"], fixed_point=pt.x)
    assert all(x[1] == 0 and x[0] > 1 for x in u3.iterates) and u3.distances["pytorch"][-1] < Fraction(1, 100)
    print(f"  from x0 = 0: another solution {fmt_vec(u0.iterates[-1])} in one step, no tie, every rule D = (-1/2, -1/2),"
          f" I - B singular; from x0 = (3, 0): x_k -> (1, 0), pytorch D_k -> (-1, 0)")

    pf = lasso_at(A_FULL, B_FULL, lam=LAM_FULL)
    assert pf.full_rank and pf.free == () and pf.invertibility.status == "invertible"
    uf = unroll_sets(ista_map(A_FULL, B_FULL, GAMMA_FULL), [LAM_FULL], [0, 0], STEPS_FULL,
                     rules=["pytorch", "jax", RELU1], fixed_point=pf.x)
    (implicit,) = uf.implicit
    assert tuple(LAM_FULL * v for v in col(implicit)) == pf.vertices()[0][1]
    for name, dist in uf.distances.items():
        assert uf.targets[name] == implicit and dist[-1] < dist[1] / 100
        assert all(e1 <= uf.norms[name] * e0 for e0, e1 in zip(dist[2:], dist[3:]))
    print(f"  full rank ({len(A_FULL)} x 2, λ = {fmt(LAM_FULL)}): every rule's D_k -> {fmt_vec(col(implicit))} = D/λ of "
          f"Prop. 5; distance {float(uf.distances['pytorch'][-1]):.1e} after {STEPS_FULL} steps, ||B||_∞ = "
          f"{fmt(uf.norms['pytorch'])}")
    say("""
        When A_EᵀA_E is rank deficient the implicit derivative (I - B)^-1 A does not exist for
        q = 1_E, the Lasso solution is not unique, and forward-mode differentiation through ISTA
        still returns a number: bounded, but chosen by the tie convention (relu'(0)) and by the
        start. A hyperparameter method using it follows an arbitrary selection.
        """)
    limits = {"pytorch": pytorch[-1], "relu'(0)=1": relu1[-1]}
    return {"claim": "rank-deficient Lasso: singular at q = 1_E; unrolled D depends on the tie rule and the start, bounded",
            "invertibility": pt.invertibility.status, "limits": limits,
            "pictures": [_plot(u, u0, u3, uf, plot_dir)]}


def _hull_polygon(points):
    import math
    pts = sorted(set(points))
    if len(pts) < 3:
        return pts
    cx, cy = sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)
    return sorted(pts, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))


def _plot(u, u0, u3, uf, plot_dir) -> str:
    import numpy as np
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.6))
    ax = axes[0]
    ks = range(len(u.sets))
    for name, marker in (("pytorch", "o"), (RELU1.name, "s")):
        ds = np.array([[float(v) for v in col(d)] for d in u.by_rule[name]])
        ax.plot(ks, ds[:, 0], marker=marker, ms=4, ls="-", label=f"{name}: D₁")
        ax.plot(ks, ds[:, 1], marker=marker, ms=4, ls="--", label=f"{name}: D₂")
    for j, colour in ((0, "tab:blue"), (1, "tab:orange")):
        lo = [min(float(m[j][0]) for m in d) for d in u.sets]
        hi = [max(float(m[j][0]) for m in d) for d in u.sets]
        ax.fill_between(ks, lo, hi, color=colour, alpha=0.12)
    ax.set_xlabel("step k")
    ax.set_ylabel("D_k = dx_k/dλ")
    ax.set_title("rank deficient, start x̂ = (1, 0): D_k per rule\n(bands: the set D_k over all tie choices)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)

    ax = axes[1]
    for k in (1, 2, 3, len(u.sets) - 1):
        poly = _hull_polygon([(float(m[0][0]), float(m[1][0])) for m in u.sets[k]])
        xs, ys = zip(*(poly + poly[:1]))
        ax.plot(xs, ys, "-", lw=1.2, label=f"conv D_{k}")
    t = np.linspace(0, 2 * np.pi, 200)
    ax.plot(-1 + np.cos(t), np.sin(t), ":", color="#777777", label="||D - D*||₂ = 1 (bound)")
    ax.plot([-1], [0], "k*", ms=12, label="D* = (-1, 0), fixed by both choices")
    ax.plot([-0.5], [-0.5], "rs", ms=8, label="relu'(0)=1: (-1/2, -1/2)")
    ax.set_xlim(-1.15, 0.1)
    ax.set_ylim(-0.65, 0.3)
    ax.set_aspect("equal")
    ax.set_xlabel("D₁")
    ax.set_ylabel("D₂")
    ax.set_title("the sets D_k stay bounded (within 1 of D*)")
    ax.legend(fontsize=7, loc="lower left")
    ax.grid(alpha=0.3)

    ax = axes[2]
    ax.plot([0, 1], [1, 0], color="#999999", lw=6, alpha=0.5, label="solution set x₁ + x₂ = 1, x ≥ 0")
    for run, label in ((u, "x0 = (1, 0): stays (a tie)"), (u0, "x0 = 0: (1/2, 1/2), no tie"),
                       (u3, "x0 = (3, 0): -> (1, 0)")):
        xs = np.array([[float(v) for v in x] for x in run.iterates])
        ax.plot(xs[:, 0], xs[:, 1], "o-", ms=4, label=label)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    ax.set_title("exact ISTA iterates land on different solutions")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)

    ax = axes[3]
    for name, dist in uf.distances.items():
        ax.semilogy(range(len(dist)), [max(float(e), 1e-300) for e in dist], "-", label=name)
    norm = float(uf.norms["pytorch"])
    d2 = float(uf.distances["pytorch"][2])
    ax.semilogy(range(2, len(uf.iterates)), [d2 * norm ** (k - 2) for k in range(2, len(uf.iterates))], ":",
                color="#777777", label="||B||_∞^k bound")
    ax.set_xlabel("step k")
    ax.set_ylabel("max |D_k - (I - B)^-1 A|")
    ax.set_title("full rank: every rule -> the implicit D\n(no ties: the rules' curves coincide)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "lasso_rank_deficient")


if __name__ == "__main__":
    main()
