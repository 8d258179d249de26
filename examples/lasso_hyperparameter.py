"""Lasso hyperparameter descent: the conservative Jacobian of θ ↦ x̂(e^θ) is exact, set-valued at the kinks of the path, and drives θ to the best validation error.

Claim (seed 003 "Recall the LASSO problem", "Verification of Invertibility -
Example With LASSO", Prop. 5 of Bolte, Le, Pauwels, Silveti-Falls 2021; seed
000 "Hyperparameter optimization... LASSO path β(·) is piecewise linear";
theory §7). ``x̂(θ) ∈ argmin ½||Ax - b||² + e^θ||x||₁`` solves the fixed-point
equation ``F(θ, x) = x - prox_{e^θ||·||₁}(x - Aᵀ(Ax - b)) = 0``. When
``A_Eᵀ A_E`` is full rank on the equicorrelation set ``E``, ``x̂`` is path
differentiable with the conservative Jacobian

    D(θ) = {-e^θ (I - diag(q)(I - AᵀA))⁻¹ diag(q) sign(x̂ - Aᵀ(Ax̂ - b)) : q ∈ M(θ)}

(``q = 1`` on the support, ``[0, 1]`` on ``E \\ S``, ``0`` off ``E``): a singleton
between the kinks of the path, two vertices at a kink: the one-sided slopes.
Gradient descent on a validation criterion ``C(x̂(θ))`` with ``D`` as the
derivative crosses the kinks and converges to the best θ.

Checked exactly (Fractions): the Lasso path (exact homotopy,
``semialg.checks.implicit.lasso.lasso_path``); at every knot ``λ_k`` the vertices of
``D`` are ``λ_k`` times the left and right slopes of the path and the rank
condition holds; the generic ``semialg.checks.implicit.theorem.implicit`` on the
piecewise-linear program ``F(λ, x)`` gives the same two slopes; the exact
minimiser ``λ*`` of the validation criterion along the path. Numerically
(float θ, exact ``D`` at ``λ = e^θ`` rounded to a rational): the descent
decreases the criterion and ends within 0.01 of ``θ* = log λ*``.
"""
from __future__ import annotations

import math
from fractions import Fraction

from _common import fmt, fmt_vec, header, pyplot, save, say

from semialg.checks.implicit.lasso import lasso_at, lasso_path, lasso_program
from semialg.checks.implicit.theorem import implicit

A = [[2, 1, 0], [1, 3, 1], [0, 1, 2], [1, 0, 1], [3, 1, 1], [1, 2, 3]]     # training design (6 x 3)
X_TRUE = [1, 0, -2]
NOISE = [Fraction(1, 3), Fraction(-1, 2), Fraction(1, 4), Fraction(0), Fraction(-1, 5), Fraction(1, 2)]
A_VAL = [[1, 1, 1], [2, 0, 1], [0, 2, 1], [1, -1, 2]]                      # validation design (4 x 3)
NOISE_VAL = [Fraction(-1, 4), Fraction(1, 3), Fraction(1, 5), Fraction(-1, 3)]
THETA0, STEP, ITERATIONS = 2.5, 0.4, 40


def _mv(m, x):
    return [sum(a * v for a, v in zip(row, x)) for row in m]


B = [v + n for v, n in zip(_mv(A, X_TRUE), NOISE)]
B_VAL = [v + n for v, n in zip(_mv(A_VAL, X_TRUE), NOISE_VAL)]


def criterion(x):
    """Validation error ½||A_val x - b_val||² (exact for Fractions)."""
    return sum((r - t) ** 2 for r, t in zip(_mv(A_VAL, x), B_VAL)) / 2


def criterion_grad(x):
    r = [u - t for u, t in zip(_mv(A_VAL, x), B_VAL)]
    return [sum(A_VAL[i][j] * r[i] for i in range(len(A_VAL))) for j in range(len(x))]


def best_on_path(knots):
    """Exact minimiser of λ ↦ C(x̂(λ)) over the path: a quadratic on each linear segment."""
    best = None
    for hi, lo in zip(knots, knots[1:]):
        ad = _mv(A_VAL, hi.slope)
        r0 = [u - t for u, t in zip(_mv(A_VAL, hi.x), B_VAL)]
        qa, qb = sum(v * v for v in ad), sum(u * v for u, v in zip(ad, r0))
        lam = min(max(hi.lam - qb / qa, lo.lam), hi.lam) if qa else hi.lam
        x = tuple(xi + (lam - hi.lam) * d for xi, d in zip(hi.x, hi.slope))
        if best is None or criterion(x) < best[1]:
            best = (lam, criterion(x), x, lo.lam < lam < hi.lam, hi.slope)
    return best


def main(plot_dir=None) -> dict:
    """Check D exactly at the kinks, then run the hyperparameter descent; plot path and criterion."""
    header("Lasso: conservative Jacobian of the solution path and hyperparameter descent")
    knots = lasso_path(A, B)
    print("  Lasso path knots (exact): " + ", ".join(f"λ = {fmt(k.lam)} (support {list(k.active)})" for k in knots))
    program = lasso_program(A, B)
    zero = tuple(Fraction(0) for _ in knots[0].x)
    above_slopes = [zero] + [k.slope for k in knots[:-2]]  # the path is x̂ = 0 above λ_max
    for above_slope, k in zip(above_slopes, knots[:-1]):  # every knot but λ = 0 is a kink of the path
        pt = lasso_at(A, B, lam=k.lam)
        assert pt.full_rank and pt.invertibility.status == "invertible"
        assert pt.free, "a kink must have E \\ S nonempty"
        vertices = {d for _, d in pt.vertices()}
        one_sided = {tuple(k.lam * s for s in k.slope), tuple(k.lam * s for s in above_slope)}
        assert vertices == one_sided, (vertices, one_sided)
        r = implicit(program, x=["lam"], y=[f"x{i + 1}" for i in range(3)], at=[k.lam, *k.x])
        assert r.verdict == "invertible"
        assert {tuple(row[0] for row in img) for _, img in r.images} == {k.slope, above_slope}
        print(f"  kink λ = {fmt(k.lam)}: D(θ) = conv{{{', '.join(fmt_vec(v) for v in sorted(vertices))}}} "
              f"= λ · (one-sided slopes of the path); semialg.implicit agrees")
    for lam in (Fraction(1, 2), Fraction(3), Fraction(10)):  # between kinks: a singleton, λ times the slope
        seg = next(hi for hi, lo in zip(knots, knots[1:]) if lo.lam < lam < hi.lam)
        assert [d for _, d in lasso_at(A, B, lam=lam).vertices()] == [tuple(lam * s for s in seg.slope)]
    lam_star, c_star, x_star, interior, slope = best_on_path(knots)
    assert interior  # the best λ is inside a segment: there C∘x̂ is smooth with derivative 0
    assert sum(g * s for g, s in zip(criterion_grad(x_star), slope)) == 0
    theta_star = math.log(lam_star)
    print(f"  exact best λ* = {fmt(lam_star)} (θ* = {theta_star:.5f}), validation error {fmt(c_star)}")

    thetas, values = [THETA0], []
    theta = THETA0
    for _ in range(ITERATIONS):
        pt = lasso_at(A, B, theta=theta)
        (_, d), *rest = pt.vertices()
        slope_c = sum(float(g) * float(v) for g, v in zip(criterion_grad(pt.x), d))  # a conservative derivative
        values.append(float(criterion(pt.x)))
        theta -= STEP * slope_c
        thetas.append(theta)
    assert values[-1] < values[0] and values[-1] - float(c_star) < 1e-6
    assert abs(theta - theta_star) < 1e-2, (theta, theta_star)
    print(f"  descent from θ0 = {THETA0}: θ = {theta:.5f} after {ITERATIONS} steps (|θ - θ*| = {abs(theta - theta_star):.1e}),"
          f" validation error {values[0]:.4f} -> {values[-1]:.6f}")
    say("""
        The solution path is piecewise linear in λ; at its kinks the Lasso solution is not
        differentiable, and the conservative Jacobian is the segment between the one-sided slopes
        (q in [0, 1]). Using it as a derivative, hyperparameter descent crosses both kinks and
        converges to the exact optimum of the validation error computed along the exact path.
        """)
    return {"claim": "D(θ) of Prop. 5 = λ·(one-sided path slopes) at the kinks; descent reaches θ*",
            "knots": [(k.lam, k.x) for k in knots], "lambda_star": lam_star, "theta_final": theta,
            "pictures": [_plot(knots, thetas, values, lam_star, plot_dir)]}


def _plot(knots, thetas, values, lam_star, plot_dir) -> str:
    import numpy as np
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.6))
    lams = np.exp(np.linspace(-2.5, math.log(float(knots[0].lam)) + 0.3, 400))
    def x_at(lam):
        for hi, lo in zip(knots, knots[1:]):
            if float(lo.lam) <= lam <= float(hi.lam):
                return [float(x) + (lam - float(hi.lam)) * float(s) for x, s in zip(hi.x, hi.slope)]
        return [0.0] * len(knots[0].x)
    xs = np.array([x_at(l) for l in lams])
    for j in range(xs.shape[1]):
        ax0.plot(np.log(lams), xs[:, j], lw=2, label=f"x̂_{j + 1}(θ)")
    for k in knots[:-1]:
        ax0.axvline(math.log(k.lam), color="#999999", ls="--", lw=1)
        ax1.axvline(math.log(k.lam), color="#999999", ls="--", lw=1)
    ax0.axvline(math.log(lam_star), color="tab:red", lw=1.2, label="θ* (exact best)")
    ax0.set_xlabel("θ = log λ")
    ax0.set_ylabel("Lasso coefficients")
    ax0.set_title("exact Lasso path (kinks dashed)")
    ax0.legend(fontsize=8)
    ax0.grid(alpha=0.3)
    cs = [float(criterion([Fraction(v) for v in x_at(l)])) for l in lams]
    ax1.plot(np.log(lams), cs, color="black", lw=1.8, label="validation error C(x̂(θ))")
    ax1.plot(thetas[:-1], values, "o-", color="tab:blue", ms=4, lw=0.8, label="hyperparameter descent with D(θ)")
    ax1.plot([thetas[0]], [values[0]], "s", color="tab:blue", ms=8, label=f"start θ0 = {THETA0}")
    ax1.axvline(math.log(lam_star), color="tab:red", lw=1.2, label="θ* (exact best)")
    ax1.set_yscale("log")
    ax1.set_xlabel("θ = log λ")
    ax1.set_ylabel("validation error (log scale)")
    ax1.set_title("descent on θ using the conservative Jacobian")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "lasso_hyperparameter")


if __name__ == "__main__":
    main()
