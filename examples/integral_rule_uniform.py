"""Integral rule, uniform measure: for f(w, s) = s|w| and P uniform on [-1, 1], F ≡ 0 but the Aumann integral of the Clarke sets at 0 is [-1/2, 1/2] (not [-1, 1]); it is still a conservative field for F.

Claim (seed 000 "Failure of Clarke calculus: counterexample to a potential
Clarke integral rule", which takes ``P = ½δ₋₁ + ½δ₁`` "or P the uniform density
on [-1, 1]" and gives ``E[∂c_w f(0, ξ)] = [-1, 1]`` for both; theory §8 corrects
the uniform case). The discrete measure is the ``integral_rule`` example; this
is the uniform one. With ``f(w, s) = s|w|`` and ``dP(s) = ds/2`` on ``[-1, 1]``,

    F(w) = ∫ s|w| dP(s) = |w| ∫ s dP(s) = 0,           so ∂c F(0) = {0},
    ∂c_w f(0, s) = [-|s|, |s|],   ∫ ∂c_w f(0, s) dP(s) = [-∫|s| dP, ∫|s| dP] = [-1/2, 1/2].

The Aumann integral (the set of integrals of measurable selections ``g(s) ∈
[-|s|, |s|]``) is an interval whose endpoints are the integrals of the endpoint
selections ``±|s|``: ``∫|s| ds/2 = 1/2``. So the slide's ``[-1, 1]`` is right for
the two-point measure and too large by a factor 2 for the uniform one; in both
cases it is strictly larger than ``∂c F(0) = {0}``: no Clarke integral rule. The
integral of conservative fields is conservative (seed 000 "2. Nonsmooth Integral
rule", "Theorem (Bolte, L., Pauwels 2022)"): splitting ``P`` at ``s = 0``,
``F = E[s⁺]|w| - E[s⁻]|w| = ¼|w| - ¼|w|``, whose Clarke-rule field at 0 is
``¼[-1, 1] - ¼[-1, 1] = [-1/2, 1/2]``, exactly the Aumann integral.

Checked exactly: the integrals with sympy (``F = 0``, ``∫|s| dP = 1/2``,
``E[s⁺] = E[s⁻] = 1/4``); ``clarke_at`` gives ``[-|s|, |s|]`` for ``f(·, s)`` at
rational ``s``; the program ``¼|w| - ¼|w|`` is identically 0 with ``clarke_at`` = {0},
its ``clarke`` field has hull ``[-1/2, 1/2]`` and ``check`` says conservative; the
midpoint discretisations ``P_n = (1/n) Σ δ_{s_j}`` (n = 2, 4, 10) give exactly the
same ``[-1/2, 1/2]`` (midpoints integrate ``|s|`` exactly on each half), whereas
``½δ₋₁ + ½δ₁`` gives ``[-1, 1]``.
"""
from __future__ import annotations

from fractions import Fraction

import sympy

from _common import fmt, fmt_interval, header, identically_zero, interval, interval_chart, pyplot, save, say

import semialg

DENSITY = sympy.Rational(1, 2)                   # uniform on [-1, 1]
MIDPOINTS = (2, 4, 10)


def exact(q) -> Fraction:
    """A sympy rational as a Fraction."""
    q = sympy.Rational(q)
    return Fraction(int(q.p), int(q.q))


def discretised(n: int) -> str:
    """F_n(w) = (1/n) Σ_j s_j |w| over the n midpoints s_j of [-1, 1], as a program (one term per atom)."""
    atoms = [Fraction(2 * j - 1, n) - 1 for j in range(1, n + 1)]
    return " + ".join(f"({Fraction(1, n) * s})*abs(w)" for s in atoms)


def main(plot_dir=None) -> dict:
    """Integrate the Clarke sets exactly; compare with ∂c F(0) = {0} and with the two-point measure."""
    header("the integral rule for the uniform measure on [-1, 1]")
    s, w = sympy.symbols("s w", real=True)
    F_sym = sympy.integrate(s * sympy.Abs(w) * DENSITY, (s, -1, 1))
    assert sympy.simplify(F_sym) == 0                                  # F ≡ 0
    hi = exact(sympy.integrate(sympy.Abs(s) * DENSITY, (s, -1, 1)))    # ∫ |s| dP
    lo = exact(sympy.integrate(-sympy.Abs(s) * DENSITY, (s, -1, 1)))   # ∫ -|s| dP
    aumann = (lo, hi)
    assert aumann == (Fraction(-1, 2), Fraction(1, 2))
    pos = exact(sympy.integrate(s * DENSITY, (s, 0, 1)))               # E[s⁺]
    neg = exact(sympy.integrate(-s * DENSITY, (s, -1, 0)))             # E[s⁻]
    assert pos == neg == Fraction(1, 4)

    for q in (Fraction(-1), Fraction(-1, 3), Fraction(1, 2), Fraction(1)):
        assert interval(semialg.clarke_at(f"({q})*abs(w)", [0]).gradients) == (-abs(q), abs(q)), q

    F = f"{pos}*abs(w) - {neg}*abs(w)"
    assert identically_zero(F)
    clarke_F = interval(semialg.clarke_at(F, [0]).gradients)
    assert clarke_F == (0, 0)
    field = interval(semialg.derivative_at(F, [0], "clarke")[0])
    assert field == aumann and field != (-1, 1)                         # the slide's [-1, 1] is the two-point answer
    assert semialg.check(F, rule="clarke").verdict == "conservative"

    sums = {}
    for n in MIDPOINTS:
        Fn = discretised(n)
        assert identically_zero(Fn) and interval(semialg.clarke_at(Fn, [0]).gradients) == (0, 0)
        sums[n] = interval(semialg.derivative_at(Fn, [0], "clarke")[0])
        assert sums[n] == aumann, (n, sums[n])
    two_point = interval(semialg.derivative_at("(-1/2)*abs(w) + (1/2)*abs(w)", [0], "clarke")[0])
    assert two_point == (-1, 1)

    print("  F(w) = ∫ s|w| dP(s) = " + str(sympy.simplify(F_sym)) + f",  ∂c F(0) = {fmt_interval(*clarke_F)}")
    print(f"  ∂c_w f(0, s) = [-|s|, |s|];  ∫ ∂c_w f(0, s) dP(s) = [{fmt(lo)}, {fmt(hi)}]  (Aumann integral, exact)")
    print(f"  F = E[s+]|w| - E[s-]|w| = {F}: clarke field at 0 = {fmt_interval(*field)}; check: conservative")
    print("  midpoint measures P_n: " + ", ".join(f"n = {n}: {fmt_interval(*v)}" for n, v in sums.items())
          + f";  (δ₋₁ + δ₁)/2: {fmt_interval(*two_point)}")
    say("""
        For the uniform measure the integrated Clarke set is [-1/2, 1/2] (the integral of |s| is
        1/2), half the two-point measure's [-1, 1] that the slide states for both; either way it
        is strictly larger than the Clarke set {0} of F ≡ 0. The integral of conservative fields
        is a conservative field of F, and that is what sampled backprop estimates.
        """)
    return {"claim": "P uniform on [-1, 1]: ∫ ∂c f(0, s) dP = [-1/2, 1/2] ≠ {0} = ∂c F(0)",
            "aumann": aumann, "clarke_F": clarke_F, "field": field, "midpoints": sums, "two_point": two_point,
            "pictures": [_plot(aumann, clarke_F, two_point, plot_dir)]}


def _plot(aumann, clarke_F, two_point, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(12, 4.2))
    grid = [i / 100 - 1 for i in range(201)]
    ax0.fill_between(grid, [-abs(v) for v in grid], [abs(v) for v in grid], color="tab:red", alpha=0.25,
                     label="∂c_w f(0, s) = [-|s|, |s|]")
    ax0.plot(grid, [abs(v) for v in grid], color="tab:red", lw=1.2)
    ax0.plot(grid, [-abs(v) for v in grid], color="tab:red", lw=1.2)
    ax0.axhline(0.5, color="black", ls="--", lw=1, label="±∫ |s| dP(s) = ±1/2: the Aumann integral's ends")
    ax0.axhline(-0.5, color="black", ls="--", lw=1)
    ax0.set_xlabel("s")
    ax0.set_ylabel("derivative values at w = 0")
    ax0.set_title("Clarke sets of f(·, s) = s|·| at 0, s uniform on [-1, 1]")
    ax0.legend(fontsize=8, loc="lower right")
    ax0.grid(alpha=0.3)
    interval_chart(ax1, [("(δ₋₁ + δ₁)/2: Σ p ∂c f(0, s)  (integral_rule)", two_point, "tab:blue"),
                         ("uniform: ∫ ∂c f(0, s) dP  (Aumann)", aumann, "tab:red"),
                         ("∂c F(0), F ≡ 0", clarke_F, "black")], "derivative values at w = 0")
    ax1.set_xlim(-1.3, 1.6)
    ax1.set_title("no Clarke integral rule: exact sets")
    fig.tight_layout()
    return save(fig, plot_dir, "integral_rule_uniform")


if __name__ == "__main__":
    main()
