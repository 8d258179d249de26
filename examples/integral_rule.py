"""Integral rule: for f(w, s) = s|w| and P = (δ₋₁ + δ₁)/2, F ≡ 0 but E[∂c f(·, s)](0) = [-1, 1]; that expectation is still conservative for F.

Claim (seed 000 "Failure of Clarke calculus: counterexample to a potential
Clarke integral rule" and "2. Nonsmooth Integral rule", "Theorem (Bolte, L.,
Pauwels 2022)"; theory §8). With ``f(w, s) = s|w|`` and ``P = ½δ₋₁ + ½δ₁``,

    F(w) = E_P f(w, s) = ½(-|w|) + ½|w| = 0,   so ∂c F(0) = {0},
    E_P ∂c_w f(0, s) = ½[-1, 1] + ½[-1, 1] = [-1, 1]  ⊋ ∂c F(0).

The Clarke subdifferential has no integral rule, but conservative fields do:
``E_P D(·, s)`` with ``D(·, s)`` conservative for ``f(·, s)`` (here Clarke's) is a
conservative field for ``F``. This is what justifies SGD with sampled backprop.

Checked exactly: ``clarke_at`` gives [-1, 1] for each ``f(·, ±1)`` and {0} for
``F``; the program ``½ f(w, -1) + ½ f(w, 1)`` differentiated with the ``clarke``
rule gives the field with hull [-1, 1] at 0, and ``check`` says it is
conservative for ``F``; ``F`` is identically 0; each framework preset also gives
conservative fields.

The same slide also takes ``P`` uniform on ``[-1, 1]`` and states ``[-1, 1]`` again;
for that measure the integrated Clarke set is ``[-1/2, 1/2]`` (theory §8): see the
``integral_rule_uniform`` example.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_interval, header, identically_zero, interval, interval_chart, pyplot, save, say

from semialg import abs_, program, variables
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.rules import derivative_at

ATOMS = ((Fraction(-1), Fraction(1, 2)), (Fraction(1), Fraction(1, 2)))  # (s_j, p_j)


def main(plot_dir=None) -> dict:
    """Compare E[Clarke] with Clarke of the expectation; check the expectation of fields is conservative."""
    header("the integral rule: conservative yes, Clarke no")
    (w,) = variables("w")
    pieces = [program(s * abs_(w), ["w"]) for s, _ in ATOMS]
    F = program(sum((p * (s * abs_(w)) for s, p in ATOMS), 0), ["w"])
    assert identically_zero(F)
    clarke_pieces = [interval(clarke_at(f, [0]).gradients) for f in pieces]
    assert clarke_pieces == [(-1, 1), (-1, 1)]
    expected = (sum(p * c[0] for (_, p), c in zip(ATOMS, clarke_pieces)),
                sum(p * c[1] for (_, p), c in zip(ATOMS, clarke_pieces)))
    assert expected == (-1, 1)
    clarke_F = interval(clarke_at(F, [0]).gradients)
    assert clarke_F == (0, 0)
    field = interval(derivative_at(F, [0], "clarke")[0])
    assert field == expected  # the program's Clarke-rule field is E_P ∂c f(·, s)
    verdicts = {rule: check(F, rule=rule).verdict for rule in ("clarke", "pytorch", "jax", "tensorflow")}
    assert set(verdicts.values()) == {"conservative"}, verdicts
    for (s, p), c in zip(ATOMS, clarke_pieces):
        print(f"  s = {fmt(s):>2} (prob {fmt(p)}): ∂c_w [{fmt(s)}·|w|](0) = {fmt_interval(*c)}")
    print(f"  E_P ∂c f(0, s) = {fmt_interval(*expected)}   but   F = E_P f(·, s) = 0 and ∂c F(0) = {fmt_interval(*clarke_F)}")
    print(f"  the field w -> E_P ∂c f(w, s) is conservative for F: {verdicts['clarke']}")
    say("""
        Differentiating under the expectation with Clarke sets overshoots ∂c F: there is no Clarke
        integral rule. But the expectation of conservative fields is a conservative field for the
        expectation, so a stochastic "gradient" (sample s, backprop f(·, s)) is an unbiased estimate
        of a conservative field of F, and the ODE / SGD convergence theory applies to it.
        """)
    return {"claim": "E_P ∂c f(0, s) = [-1, 1] ≠ {0} = ∂c F(0), while E_P D is conservative for F",
            "clarke_pieces": clarke_pieces, "expected": expected, "clarke_F": clarke_F, "verdicts": verdicts,
            "pictures": [_plot(clarke_pieces, expected, clarke_F, plot_dir)]}


def _plot(clarke_pieces, expected, clarke_F, plot_dir) -> str:
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(11, 4))
    ws = [i / 50 - 1.5 for i in range(151)]
    ax0.plot(ws, [-abs(v) for v in ws], color="tab:blue", label="f(w, -1) = -|w|")
    ax0.plot(ws, [abs(v) for v in ws], color="tab:orange", label="f(w, 1) = |w|")
    ax0.plot(ws, [0 for _ in ws], color="black", lw=2.5, label="F(w) = ½f(w,-1) + ½f(w,1) = 0")
    ax0.set_xlabel("w")
    ax0.set_ylabel("value")
    ax0.set_title("f(w, s) = s|w| under P = (δ₋₁ + δ₁)/2")
    ax0.legend(fontsize=8)
    ax0.grid(alpha=0.3)
    interval_chart(ax1, [("∂c f(·, -1)(0)", clarke_pieces[0], "tab:blue"),
                         ("∂c f(·, 1)(0)", clarke_pieces[1], "tab:orange"),
                         ("E_P ∂c f(·, s)(0)  (conservative for F)", expected, "tab:red"),
                         ("∂c F(0)", clarke_F, "black")], "derivative values at w = 0")
    ax1.set_xlim(-1.6, 1.9)
    ax1.set_title("no Clarke integral rule (exact)")
    fig.tight_layout()
    return save(fig, plot_dir, "integral_rule")


if __name__ == "__main__":
    main()
