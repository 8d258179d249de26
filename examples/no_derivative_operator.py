"""No derivative operator on functions: programs for the zero function make backprop at 0 take any value s.

Claim (seed 004 'Issue IV: Impossibility "theorem"': there is no nontrivial
operator ``Jac^A`` on Lipschitz functions with (a) ``Jac^A f ⊃ Jac^c f`` and (b)
the chain rule; seed 002 "Actually s × zero = 0 and backprop[s × zero](0) = s ∈ R
arbitrary"). The programs

    z_s(x) = s * (relu(-x) - relu(x) + x)

all compute the zero function, whose Clarke set is {0}. With relu'(0) = 0,
backprop z_s(0) = s. And the chain rule applied to Clarke sets, which any
operator satisfying (a) and (b) must contain, gives the whole interval
``[-|s|, |s|]`` at 0. So such an operator would assign to the zero function at 0
a set containing every real number: it cannot be locally bounded. Derivatives
of programs (conservative fields) are the way out: each ``z_s`` has its own.

Checked exactly: every ``z_s`` is identically 0 (piece by piece), its Clarke set
at 0 is {0} (``clarke_at``), ``derivative_at(z_s, 0, "pytorch") = s`` and
``derivative_at(z_s, 0, "clarke")`` has hull ``[-|s|, |s|]``; each field is
conservative for its program (``check``).
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_interval, header, identically_zero, interval, pyplot, save, say

from semialg import parse
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.rules import derivative_at

SCALES = (Fraction(-5), Fraction(-1), Fraction(1, 2), Fraction(2), Fraction(10), Fraction(1000))


def zero_program(s: Fraction) -> str:
    return f"({fmt(s)}) * (relu(-x) - relu(x) + x)"


def main(plot_dir=None) -> dict:
    """Compute backprop and the Clarke chain rule at 0 for every z_s; assert; plot."""
    header("no derivative operator on functions")
    rows = []
    for s in SCALES:
        text = zero_program(s)
        program = parse(text, ["x"])
        assert identically_zero(program)
        assert clarke_at(program, [0]).gradients == ((Fraction(0),),)
        backprop = derivative_at(program, [0], "pytorch")[0]
        assert backprop == [(s,)]
        chain = interval(derivative_at(program, [0], "clarke")[0])
        assert chain == (-abs(s), abs(s))
        assert check(program, rule="pytorch").verdict == "conservative"
        rows.append({"s": s, "program": text, "backprop": s, "clarke_chain_rule": chain})
        print(f"  {text:<36} = 0:  Clarke {{0}},  PyTorch backprop {fmt(s):>5},  chain rule of Clarke sets "
              f"{fmt_interval(*chain)}")
    say("""
        All these programs compute the same function 0, yet backprop at 0 can be any number s, and the
        Clarke chain rule any interval [-|s|, |s|]. An operator on *functions* that contains Clarke's
        Jacobian and obeys the chain rule would have to contain all of them at once: every real number.
        So backprop is not (a selection of) such an operator; it is a conservative field of the program.
        """)
    return {"claim": "s * zero(x) = 0 but backprop at 0 is s: no chain-rule operator on functions",
            "rows": rows, "pictures": [_plot(rows, plot_dir)]}


def _plot(rows, plot_dir) -> str:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    for i, r in enumerate(rows):
        lo, hi = (float(v) for v in r["clarke_chain_rule"])
        ax.plot([i, i], [lo, hi], color="tab:orange", lw=8, alpha=0.55, solid_capstyle="butt",
                label="chain rule of Clarke sets at 0" if i == 0 else None)
        ax.plot([i], [float(r["backprop"])], "o", color="tab:red", ms=8, label="PyTorch backprop at 0" if i == 0 else None)
        ax.plot([i], [0], "s", color="black", ms=7, label="Clarke set of the function at 0: {0}" if i == 0 else None)
    ax.set_yscale("symlog", linthresh=1)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"s = {fmt(r['s'])}" for r in rows])
    ax.set_ylabel("derivative value at x = 0 (symlog scale)")
    ax.set_title("programs s·(relu(-x) - relu(x) + x): all the zero function, backprop = s")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8, loc="upper left")
    return save(fig, plot_dir, "no_derivative_operator")


if __name__ == "__main__":
    main()
