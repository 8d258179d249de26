"""A one-neuron deep-equilibrium layer z = relu(w z + b + u x) at a kink: every B of the conservative Jacobian is invertible and J_z*(x̂) = {0, 4/3}, the two one-sided slopes of z*(x).

Claim (seed 000 "Other applications": "Implicit layers, Deep equilibrium
networks, z = σ(Wz + b + Ux)"; seed 001 "Deep Learning with Implicit Layers";
seed 003 "Theorem (Bolte, Le, Pauwels, S.F. 2021)", the path differentiable
implicit function theorem ``D_G(x) = {-B⁻¹A : [A B] ∈ D_F(x, G(x))}``; theory §7). The layer's output is the fixed
point ``z*(x)`` of ``z = relu(w z + b + u x)``, i.e. the zero of

    F(x, z) = z - relu(w z + b + u x),    here w = -1/2, b = 1, u = 2.

Since ``|w| < 1`` and relu is 1-Lipschitz, ``z ↦ relu(w z + b + u x)`` is a
contraction: the fixed point is unique. At ``x̂ = -1/2`` the fixed point is
``ẑ = 0`` and the relu argument ``w ẑ + b + u x̂`` is exactly 0: a kink. With
``q ∈ [0, 1]`` the relu derivative (Clarke's set; a framework's ``relu'(0) = 0``
plus the limits from the neighbouring strata), ``[A B] = [-q u, 1 - q w] =
[-2q, 1 + q/2]``: ``B ∈ [1, 3/2]`` is never singular, so the implicit function
theorem applies and the conservative Jacobian of ``z*`` at ``x̂`` has the vertices
``-A/B = 0`` (``q = 0``) and ``4/3`` (``q = 1``). Indeed ``z*(x) = (2/3) relu(1 + 2x)``:
slopes 0 and 4/3 on either side of ``x̂``. With every parameter free, the
Jacobian of ``z*`` with respect to ``(w, b, u, x)`` has the vertices ``(0, 0, 0, 0)``
and ``(0, 2/3, -1/3, 4/3)`` (``∂z/∂w = 0`` because ``ẑ = 0``).

For ``w = 1`` instead (not a contraction) the same kink has ``B = 1 - q``, singular
at ``q = 1``: the verdict is ``not_invertible`` (and ``z = relu(z)`` has every
``z ≥ 0`` as a fixed point there).

Checked exactly with ``semialg.implicit`` (verdict ``invertible`` for the clarke rule
and the three framework presets, the images ``-B⁻¹A`` as Fractions, ``G`` computed
piece by piece, whose Clarke Jacobian is ``conv{0, 4/3}``); the closed form ``z*``
solves ``F(x, z*(x)) = 0`` identically and ``clarke_at`` gives ``[0, 4/3]`` at ``x̂``;
exact forward iterations ``z_{k+1} = relu(w z_k + b + u x)`` approach ``z*`` at
rational ``x`` at least as fast as ``2^-k`` (the contraction); ``w = 1`` is ``not_invertible`` with a singular ``B = 0``.
``semialg.deq_at`` finds the same fixed point exactly, certifies the contraction
(``|w| = 1/2 < 1``) and gives the same ``J_z*`` by the theorem and by the closed form.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_vec, header, identically_zero, interval, pyplot, save, say

import semialg

W, B, U = Fraction(-1, 2), Fraction(1), Fraction(2)
X_HAT, Z_HAT = Fraction(-1, 2), Fraction(0)
LAYER = "z - relu(w*z + b + u*x)"
Z_STAR = "2/3 * relu(1 + 2*x)"                     # the fixed point in closed form (see the docstring)


def layer(w=None, b=None, u=None) -> str:
    """F(x, z) with the weights as rational constants (default: W, B, U)."""
    w, b, u = (W if w is None else w), (B if b is None else b), (U if u is None else u)
    return f"z - relu({w}*z + {b} + {u}*x)"


def forward(x: Fraction, z0: Fraction = Fraction(5), steps: int = 40) -> list[Fraction]:
    """The layer's forward pass: exact fixed-point iterates z_0, ..., z_steps."""
    zs = [z0]
    for _ in range(steps):
        zs.append(max(W * zs[-1] + B + U * x, Fraction(0)))
    return zs


def main(plot_dir=None) -> dict:
    """Differentiate the DEQ layer at its kink with semialg.implicit; compare with the closed form."""
    header("a deep-equilibrium layer differentiated at a kink")
    F = layer()
    at = {"x": X_HAT, "z": Z_HAT}
    assert W * Z_HAT + B + U * X_HAT == 0 and abs(W) < 1          # a kink, and a contraction
    assert identically_zero(F.replace("z", f"({Z_STAR})"))        # F(x, z*(x)) = 0 for every x

    results = {rule: semialg.implicit(F, x=["x"], y=["z"], at=at, rule=rule)
               for rule in ("clarke", "pytorch", "jax", "tensorflow")}
    images = {}
    for rule, r in results.items():
        assert r.verdict == "invertible", (rule, r.reason)
        images[rule] = sorted(img[0][0] for _, img in r.images)
        assert images[rule] == [0, Fraction(4, 3)], (rule, images[rule])
    r = results["clarke"]
    b_values = sorted({vertex[0][1] for group in r.jacobian.groups for vertex in group})
    a_values = sorted({vertex[0][0] for group in r.jacobian.groups for vertex in group})
    assert b_values == [1, Fraction(3, 2)] and a_values == [-2, 0]
    assert r.clarke_invertible and r.explicit is not None and r.explicit.complete
    assert sorted(v[0][0] for v in r.explicit.clarke_vertices) == [0, Fraction(4, 3)]
    assert r.contains([[Fraction(2, 3)]]).member and not r.contains([[Fraction(3, 2)]]).member
    clarke_z = interval(semialg.clarke_at(Z_STAR, [X_HAT]).gradients)
    assert clarke_z == (0, Fraction(4, 3))
    for x in (Fraction(-1), X_HAT, Fraction(-1, 4), Fraction(1, 3), Fraction(1)):
        star = semialg.exact_value(semialg.parse(Z_STAR), [x])[0]
        zs = forward(x)
        assert all(abs(z - star) <= abs(zs[0] - star) / 2 ** k for k, z in enumerate(zs)), x

    full = semialg.implicit(LAYER, x=["w", "b", "u", "x"], y=["z"],
                            at={"w": W, "b": B, "u": U, "x": X_HAT, "z": Z_HAT})
    assert full.verdict == "invertible"
    full_images = sorted(img[0] for _, img in full.images)
    assert full_images == [(0, 0, 0, 0), (0, Fraction(2, 3), Fraction(-1, 3), Fraction(4, 3))]

    bad = semialg.implicit(layer(w=Fraction(1)), x=["x"], y=["z"], at=at)
    assert bad.verdict == "not_invertible" and bad.singularity.witness_matrix == ((Fraction(0),),)

    # the same layer through the DEQ front end: the fixed point found and certified exactly, the
    # contraction certificate |w| < 1, and J_z* from the theorem and from (1 - dw)^-1 d u
    deq = semialg.deq_at(semialg.deq_layer([[W]], [[U]], [B]), [X_HAT])
    assert deq.z == (Z_HAT,) and deq.certificate.norm == "inf" and deq.certificate.value == abs(W)
    assert [m[0][0] for m in deq.jacobian] == images["clarke"] and set(deq.closed_form) == set(deq.jacobian)

    print(f"  F(x, z) = {F};  fixed point at x̂ = {fmt(X_HAT)}: ẑ = {fmt(Z_HAT)}, relu argument = 0 (a kink)")
    print(f"  conv J_F(x̂, ẑ): A ∈ [{fmt(a_values[0])}, {fmt(a_values[1])}], B ∈ [{fmt(b_values[0])}, {fmt(b_values[1])}]"
          f"  -> {r.verdict} (det B > 0 on the whole set, decided exactly)")
    print("  J_z*(x̂) = {-B⁻¹A}: vertices " + ", ".join(fmt(v) for v in images["clarke"])
          + "  (the same for " + ", ".join(k for k in images if k != "clarke") + ")")
    print(f"  closed form z*(x) = {Z_STAR}: Clarke Jacobian at x̂ = [{fmt(clarke_z[0])}, {fmt(clarke_z[1])}]; "
          "forward iterations converge to it")
    print("  parameters (w, b, u, x): J_z* vertices " + ", ".join(fmt_vec(v) for v in full_images))
    print(f"  w = 1 (no contraction): {bad.verdict}, singular B = {fmt(bad.singularity.witness_matrix[0][0])}")
    print(f"  semialg.deq_at: z* = {fmt(deq.z[0])} ({deq.how}); contraction {deq.certificate.text}")
    say("""
        At the kink the layer's output z*(x) is not differentiable, yet implicit differentiation
        is sound: every B = 1 - q·w of the conservative Jacobian is invertible (|w| < 1), and
        {-B⁻¹A} is a conservative Jacobian of z*, here exactly its two one-sided slopes.
        Implicit differentiation with a framework's relu'(0) = 0 (q = 0) returns the slope 0,
        one of them. Without the contraction (w = 1) the condition fails at the same kink.
        """)
    return {"claim": "at the kink of z = relu(-z/2 + 1 + 2x), x̂ = -1/2, B is invertible and J_z*(x̂) = {0, 4/3}",
            "verdict": r.verdict, "images": images["clarke"], "full_images": full_images, "w1": bad.verdict,
            "pictures": [_plot(plot_dir)]}


def _plot(plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.4))
    xs = [i / 100 - 1.5 for i in range(251)]
    ax0.plot(xs, [2 / 3 * max(1 + 2 * x, 0) for x in xs], color="black", lw=2, label="z*(x) = (2/3) relu(1 + 2x)")
    xh = float(X_HAT)
    for slope, colour in ((0, "tab:blue"), (4 / 3, "tab:orange")):
        ax0.plot([xh - 0.5, xh + 0.5], [slope * -0.5, slope * 0.5], color=colour, lw=1.2, ls="--",
                 label=f"slope {fmt(Fraction(slope).limit_denominator())}: a vertex of {{-B⁻¹A}}")
    ax0.plot([xh], [0], "o", color="tab:red", ms=8, label="the kink x̂ = -1/2, ẑ = 0")
    ax0.set_xlabel("x")
    ax0.set_ylabel("z*(x)")
    ax0.set_title("the layer's output and its conservative Jacobian at the kink")
    ax0.legend(fontsize=8)
    ax0.grid(alpha=0.3)
    zs = [i / 100 - 0.5 for i in range(251)]
    for x, colour in ((-1.0, "tab:blue"), (xh, "tab:red"), (0.25, "tab:green")):
        ax1.plot(zs, [max(float(W) * z + float(B) + float(U) * x, 0) for z in zs], color=colour,
                 label=f"relu(-z/2 + 1 + 2x), x = {x:g}")
        star = 2 / 3 * max(1 + 2 * x, 0)
        ax1.plot([star], [star], "o", color=colour, ms=7)
    ax1.plot(zs, zs, color="black", lw=1, ls=":", label="z (fixed points on this line)")
    ax1.set_xlabel("z")
    ax1.set_ylabel("relu(w z + b + u x)")
    ax1.set_title("the fixed-point map: a contraction (slope 0 or -1/2)")
    ax1.legend(fontsize=8)
    ax1.grid(alpha=0.3)
    fig.tight_layout()
    return save(fig, plot_dir, "deep_equilibrium")


if __name__ == "__main__":
    main()
