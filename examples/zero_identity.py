"""zero = relu2 - relu is the zero function but backprop gives 1 at 0; x - zero(x) is the identity with an artificial critical point at 0.

Claim (seed 004 "Issue II: artificial critical points", seed 002 "Artifacts"
and "Spurious critical point", theory §6): with ``relu'(0) = 0``,

    zero(x) = relu(-x) - relu(x) + x  (= relu2(x) - relu(x)) is 0 everywhere,
    backprop zero(0) = 1             (a *spurious value*: Clarke's set is {0});
    identity(x) = x - zero(x) = x,   backprop identity(0) = 0,

so gradient descent "stops" at 0 on the identity: ``0`` is an *artificial
critical point* (0 ∈ D(0) but the Clarke set is {1}). And ``s * zero`` is still
0 while backprop gives ``s`` at 0, for any ``s``.

Checked exactly: ``semialg.checks.critical.critical`` finds the spurious value
``1`` on the stratum ``x = 0`` of ``zero`` and the artificial critical point 0 of
``identity`` (the whole 0-dimensional stratum ``x = 0``, exit code 1); the
backprop field is still conservative (``check``: conservative), as the theory
says: conservative fields can have artificial critical points. JAX spelling
``max(-x, 0) - max(x, 0) + x`` (1/2 at ties) has none.
"""
from __future__ import annotations

from fractions import Fraction

from _common import fmt, fmt_set, header, identically_zero, output_dir, say

from semialg import parse
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.checks.critical import critical
from semialg.rules import derivative_at

ZERO = "relu(-x) - relu(x) + x"
IDENTITY = "x - (relu(-x) - relu(x) + x)"


def main(plot_dir=None) -> dict:
    """Find the spurious value of zero and the artificial critical point of the identity; plot both."""
    header("zero and the identity's artificial critical point")
    assert identically_zero(ZERO) and identically_zero(f"({IDENTITY}) - x")

    zero = critical(ZERO, rule="pytorch")
    assert [s.sample for s in zero.spurious] == [(Fraction(0),)]
    spur = zero.spurious[0]
    assert spur.field == (((Fraction(1),),),) and spur.clarke == (((Fraction(0),),),)
    print(f"  zero(x) = {ZERO}:  backprop at 0 = {fmt(spur.field[0][0][0])}, Clarke set at 0 = "
          f"{fmt_set(v[0] for v in spur.clarke)}  -> spurious value")

    ident = critical(IDENTITY, rule="pytorch")
    assert ident.verdict == "artificial_critical_points" and ident.exit_code == 1
    assert [(a.sample, a.whole_stratum, a.stratum.dim) for a in ident.artificial] == [((Fraction(0),), True, 0)]
    clarke0 = clarke_at(IDENTITY, [0])
    assert clarke0.gradients == ((Fraction(1),),) and not clarke0.contains_zero
    assert derivative_at(parse(IDENTITY), [0], "pytorch")[0] == [(Fraction(0),)]
    print(f"  identity(x) = {IDENTITY}:  backprop at 0 = 0, Clarke set at 0 = "
          f"{fmt_set(clarke0.gradients)}  -> artificial critical point at x = 0")

    assert check(IDENTITY, rule="pytorch").verdict == "conservative"
    assert check(ZERO, rule="pytorch").verdict == "conservative"
    scaled = {}
    for s in (Fraction(-3), Fraction(1, 2), Fraction(7)):
        text = f"({s}) * ({ZERO})"
        assert identically_zero(text)
        scaled[s] = derivative_at(parse(text), [0], "pytorch")[0][0][0]
        assert scaled[s] == s
    print("  s * zero(x) is 0, yet backprop at 0 gives s: " +
          ", ".join(f"s = {fmt(s)} -> {fmt(v)}" for s, v in scaled.items()))

    jax = critical("x - (max(-x, 0) - max(x, 0) + x)", rule="jax")
    assert jax.verdict == "no_artificial_critical_points" and not jax.spurious
    say("""
        Both backprop fields are conservative (semialg check), so they are legitimate "derivatives"
        of these programs; but conservative fields may contain values outside the Clarke set
        (spurious values) and create critical points the function does not have. Spelled with
        max (JAX splits ties 1/2, 1/2), the same identity has no artificial critical point.
        """)
    pictures = _plots(zero, ident, plot_dir)
    return {"claim": "identity(x) = x - zero(x) has an artificial critical point at 0 under relu'(0) = 0",
            "spurious": spur.field, "artificial": [a.sample for a in ident.artificial], "scaled": scaled,
            "pictures": pictures}


def _plots(zero, ident, plot_dir) -> list[str]:
    from semialg.plot import plot_1d
    out = output_dir(plot_dir)
    paths = [str(out / "zero_spurious.png"), str(out / "identity_artificial.png")]
    plot_1d(zero, paths[0])
    plot_1d(ident, paths[1])
    return paths


if __name__ == "__main__":
    main()
