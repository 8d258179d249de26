"""The Lorenz field is not a gradient: semialg refutes it against its only possible potential, and its circulation around the unit square is 18 ≠ 0.

Claim (seed 000 "Pathological examples: lorenz attractor", seed 001
"Pathological Examples - Lorenz Attractor", seed 003 "Pathological Examples -
Optimizing a Quadratic Two Ways"; seed 004 'An "operator-free" approach: The
zero circulation idea').
For ``L(x, y, z) = (10(y - x), x(28 - z) - y, xy - 8/3 z)``, the implicit
formulation ``max uᵀz s.t. z ∈ argmin ||s - L(u)||⁴`` differentiated with a
pseudo-inverse (whose implicit Jacobian is 0) makes "gradient ascent" follow
``u' = L(u)``: the Lorenz flow, which never converges. No function has ``L`` as
its gradient (or as a conservative field): a conservative field has zero
circulation around every loop (Poincaré), and ``L`` does not.

Checked exactly: if ``L`` were ``∇f`` then ``f(u) = f(0) + ∫₀¹ <L(tu), u> dt``; that
candidate is ``f = -5x² + 19xy - y²/2 - 4/3 z²`` (computed with sympy), and
``check(f, field=L)`` answers not_conservative with an exact witness (while
``∇f`` itself passes); the circulation of ``L`` around the unit square of the
plane ``z = 0`` is computed as a sum of exact polynomial line integrals:
``18`` (= ∬ curl(L)·e_z dA, Stokes, also exact). The ascent trajectory is
numeric (float64 Euler steps).

Differentiated through ``semialg.implicit``: the lower problem's optimality
condition is ``G(u, s) = ||s - L(u)||² (s - L(u)) = 0`` (the gradient of
``||v||⁴`` is ``4||v||² v``; the slides write the power 3, which is not the
gradient), zero exactly at ``s = L(u)``. Being cubic in ``v = s - L(u)``, its
Jacobian there is ``J_G = [0 | 0]``: ``implicit`` answers not_invertible with the
singular witness ``B = 0`` at every point of the trajectory it is asked about, so
the implicit function theorem gives nothing; the pseudo-inverse's ``-B⁺A = 0`` is
what turns the "gradient" of ``uᵀz(u)`` into ``z + (∂z)ᵀu = L(u)``.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy
from _common import fmt, fmt_vec, header, pyplot, save, say

from semialg.checks.conservative import check
from semialg.checks.implicit.theorem import implicit

X, Y, Z, T = sympy.symbols("x y z t")
L = (10 * (Y - X), X * (28 - Z) - Y, X * Y - sympy.Rational(8, 3) * Z)
SQUARE = [(0, 0, 0), (1, 0, 0), (1, 1, 0), (0, 1, 0)]
TRIANGLE = [(1, 0, 0), (0, 1, 0), (0, 0, 1)]


def circulation(loop) -> Fraction:
    """∮ <L, dγ> around a closed polygon (exact: each side is a polynomial integral in t)."""
    total = sympy.Integer(0)
    for a, b in zip(loop, loop[1:] + loop[:1]):
        point = {v: sympy.Rational(p) + T * (sympy.Rational(q) - sympy.Rational(p)) for v, p, q in zip((X, Y, Z), a, b)}
        velocity = [sympy.Rational(q) - sympy.Rational(p) for p, q in zip(a, b)]
        integrand = sum(comp.subs(point) * v for comp, v in zip(L, velocity))
        total += sympy.integrate(sympy.expand(integrand), (T, 0, 1))
    return Fraction(int(total.p), int(total.q))


def main(plot_dir=None) -> dict:
    """Refute L as a gradient exactly (semialg check and circulation); draw the field and the ascent."""
    header("the Lorenz field is not a gradient")
    potential = sympy.integrate(sum(comp.subs({X: T * X, Y: T * Y, Z: T * Z}, simultaneous=True) * v
                                    for comp, v in zip(L, (X, Y, Z))), (T, 0, 1))
    potential = sympy.expand(potential)
    assert sympy.simplify(potential - (-5 * X**2 + 19 * X * Y - Y**2 / 2 - sympy.Rational(4, 3) * Z**2)) == 0
    f_text = str(potential)
    field_text = ", ".join(str(c) for c in L)
    result = check(f_text, variables=["x", "y", "z"], field=field_text)
    assert result.verdict == "not_conservative" and result.exit_code == 1
    w = result.witness
    assert w.derivative_along_curve != w.field_along_curve and w.numeric["confirmed"]
    grad_text = ", ".join(str(sympy.diff(potential, v)) for v in (X, Y, Z))
    assert check(f_text, variables=["x", "y", "z"], field=grad_text).verdict == "conservative"
    print(f"  candidate potential f = {f_text}")
    print(f"  check(f, field=L): {result.verdict}: {result.reason}")
    square, triangle = circulation(SQUARE), circulation(TRIANGLE)
    curl = (sympy.diff(L[2], Y) - sympy.diff(L[1], Z), sympy.diff(L[0], Z) - sympy.diff(L[2], X),
            sympy.diff(L[1], X) - sympy.diff(L[0], Y))
    stokes = sympy.integrate(sympy.integrate(curl[2].subs(Z, 0), (X, 0, 1)), (Y, 0, 1))
    assert square == 18 == stokes and triangle != 0
    print(f"  curl L = ({', '.join(str(c) for c in curl)}) ≠ 0")
    print(f"  circulation around the unit square in z = 0: {fmt(square)} (Stokes: {stokes}); "
          f"around the triangle e1 -> e2 -> e3: {fmt(triangle)}")
    traj = _ascent()
    assert np.all(np.isfinite(traj)) and np.ptp(traj[len(traj) // 2:, 0]) > 20  # keeps wandering: the attractor
    singular = [_implicit_at(u) for u in ((1, 2, 3), (Fraction(1, 2), -1, 4), tuple(Fraction(v).limit_denominator(8)
                                                                                   for v in traj[-1]))]
    print(f"  implicit on ||s - L(u)||²(s - L(u)) = 0 at s = L(u), {len(singular)} points: J_G = [0 | 0], "
          "verdict not_invertible (B = 0): the pseudo-inverse gives ∂z = 0, so the 'gradient' of uᵀz is L(u)")
    say("""
        A conservative field (in particular a gradient) has zero circulation around every loop; the
        Lorenz field circulates 18 around the unit square, so it is the derivative of no function.
        "Gradient ascent" with it is the Lorenz flow: it wanders on the strange attractor forever.
        """)
    return {"claim": "L is not conservative for any f: check refutes the only candidate; circulation 18 ≠ 0",
            "potential": f_text, "witness": (w.point, w.direction, w.derivative_along_curve, w.field_along_curve),
            "circulation": square, "implicit": singular, "pictures": [_plot(traj, square, w, plot_dir)]}


def _implicit_at(u) -> str:
    """``implicit`` on the lower problem's optimality condition at ``(u, L(u))``: [0 | 0], not invertible."""
    ux, uy, uz = (Fraction(v) for v in u)
    s = (10 * (uy - ux), ux * (28 - uz) - uy, ux * uy - Fraction(8, 3) * uz)
    v = [f"s{i + 1} - ({c})" for i, c in enumerate(("10*(u2 - u1)", "u1*(28 - u3) - u2", "u1*u2 - 8/3*u3"))]
    square = " + ".join(f"({e})**2" for e in v)
    at = {"u1": ux, "u2": uy, "u3": uz, "s1": s[0], "s2": s[1], "s3": s[2]}
    r = implicit(", ".join(f"({square})*({e})" for e in v), x="u1,u2,u3", y="s1,s2,s3", at=at, clarke=False, explicit=False)
    assert r.verdict == "not_invertible" and r.singularity.witness_matrix == ((0, 0, 0),) * 3
    assert all(v == 0 for _, mx in r.jacobian.vertices() for row in mx for v in row)   # J_G = [0 | 0]
    return r.verdict


def _ascent(steps: int = 6000, h: float = 0.005) -> np.ndarray:
    """u_{k+1} = u_k + h L(u_k) (float64): the ascent "with the implicit gradient" of the seeds."""
    u = np.array([1.0, 1.0, 1.0])
    out = np.empty((steps, 3))
    for k in range(steps):
        x, y, z = u
        u = u + h * np.array([10 * (y - x), x * (28 - z) - y, x * y - 8 / 3 * z])
        out[k] = u
    return out


def _plot(traj, square, w, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12.5, 5.2))
    gx, gy = np.meshgrid(np.linspace(-1, 2, 16), np.linspace(-1, 2, 16))
    u, v = 10 * (gy - gx), gx * 28 - gy
    norm = np.hypot(u, v) + 1e-12
    ax0.quiver(gx, gy, u / norm, v / norm, norm, cmap="viridis", angles="xy", scale=22, width=0.004)
    sq = np.array(SQUARE + SQUARE[:1], dtype=float)
    ax0.plot(sq[:, 0], sq[:, 1], color="#d62728", lw=2.5, label=f"loop: unit square, ∮ L·dγ = {fmt(square)}")
    for a, b in zip(SQUARE, SQUARE[1:] + SQUARE[:1]):
        mid = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        ax0.annotate("", xy=(mid[0] + (b[0] - a[0]) * 0.1, mid[1] + (b[1] - a[1]) * 0.1), xytext=mid,
                     arrowprops=dict(arrowstyle="-|>", color="#d62728", lw=2))
    ax0.set_aspect("equal")
    ax0.set_xlabel("x")
    ax0.set_ylabel("y")
    ax0.set_title("Lorenz field in the plane z = 0 (directions; colour = length)")
    ax0.legend(loc="upper left", fontsize=9, framealpha=0.95)
    ax1.plot(traj[:, 0], traj[:, 2], color="#1f5fbf", lw=0.4)
    ax1.plot(traj[:1, 0], traj[:1, 2], "s", color="black", ms=6, label="start (1, 1, 1)")
    ax1.set_xlabel("x")
    ax1.set_ylabel("z")
    ax1.set_title("ascent along L (float64 Euler, h = 0.005): never converges")
    ax1.text(0.02, 0.02, "implicit on ||s - L(u)||²(s - L(u)) = 0 at s = L(u):\nJ_G = [0 | 0], NOT invertible; "
             "a pseudo-inverse gives ∂z = 0,\nso the 'gradient' of uᵀz(u) is L(u): this flow",
             transform=ax1.transAxes, fontsize=8, ha="left", va="bottom",
             bbox=dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9))
    ax1.legend(loc="upper left", fontsize=9)
    ax1.grid(alpha=0.3)
    fig.suptitle(f"semialg check(f, field=L): not conservative; witness at {fmt_vec(w.point)} along {fmt_vec(w.direction)}: "
                 f"d/dt f = {fmt(w.derivative_along_curve)} but <L, γ'> = {fmt(w.field_along_curve)}", fontsize=10)
    fig.tight_layout()
    return save(fig, plot_dir, "lorenz_not_gradient")


if __name__ == "__main__":
    main()
