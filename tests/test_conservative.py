"""The conservativity checker: seed examples, refutations with re-checked witnesses, unknowns,
and hypothesis properties (soundness of refutations, chain-rule theorem for presets)."""
from fractions import Fraction as Q

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from semialg.checks.conservative import check
from semialg.frontends.text import parse
from semialg.rules import derivative_at
from semialg.stratification import exact_sign, point_sympy

PRESETS = ["pytorch", "jax", "tensorflow", "clarke"]
RELU2 = "relu(-x) + x"
RELU3 = "1/2 * (relu(x) + relu(-x) + x)"
ZERO = "relu(-x) - relu(x) + x"
IDENTITY = "x - (relu(-x) - relu(x) + x)"
LORENZ_F = "x * (10*(y - x)) + y * (x*(28 - z) - y) + z * (x*y - 8/3*z)"
LORENZ_L = "10*(y - x), x*(28 - z) - y, x*y - 8/3*z"


def assert_witness_rechecks(result):
    """Every refutation's witness re-checks exactly: the point is in the stratum, the direction
    is tangent, and the two rates differ; and it was confirmed numerically."""
    w = result.witness
    assert w is not None
    s = result.stratification.strata[w.stratum]
    pt, d = point_sympy(w.point), point_sympy(w.direction)
    assert s.contains(pt)
    for e in s.equalities:
        assert exact_sign(sum((g.eval(pt) * di for g, di in zip(e.gradient(), d)), Q(0))) == 0
    grad = s.piece[w.output].gradient()
    rate = sum((g.eval(pt) * di for g, di in zip(grad, d)), Q(0))
    assert exact_sign(rate - w.derivative_along_curve) == 0
    assert exact_sign(rate - w.field_along_curve) != 0
    assert w.numeric["confirmed"], w.numeric


@pytest.mark.parametrize("rule", PRESETS)
@pytest.mark.parametrize("expr", ["relu(x)", RELU2, RELU3, ZERO, IDENTITY, "abs(x) + abs(y)", "abs(x) - abs(x)"])
def test_seed_functions_are_conservative_under_every_preset(expr, rule):
    r = check(expr, rule=rule)
    assert r.verdict == "conservative", r.reason
    assert r.exit_code == 0


def test_two_d_abs_example_of_theory():
    bad = check("abs(x)", "x,y", field="sign(x), where(x == 0, 1, 0)")
    assert bad.verdict == "not_conservative" and bad.exit_code == 1
    assert bad.stratification.strata[bad.witness.stratum].dim == 1   # refuted on the line x = 0
    assert_witness_rechecks(bad)
    good = check("abs(x)", "x,y", field="where(x == 0, 1, sign(x)), 0")
    assert good.verdict == "conservative"


def test_lorenz_field_is_not_a_gradient():
    r = check(LORENZ_F, "x,y,z", field=LORENZ_L)
    assert r.verdict == "not_conservative"
    assert_witness_rechecks(r)


def test_gradient_of_lorenz_potential_is_accepted():
    # the true gradient of f(u) = u^T L(u), written by hand
    grad = ("10*(y - x) - 10*x + y*(28 - z) + z*y, 10*x + x*(28 - z) - 2*y + z*x, -y*x + x*y - 16/3*z")
    assert check(LORENZ_F, "x,y,z", field=grad).verdict == "conservative"


@pytest.mark.parametrize("field", ["where(x > 0, 1, 1)", "where(x > 1, 1, -1)", "2*sign(x)", "where(x > 0, 1, 0)"])
def test_wrong_fields_for_abs_are_refuted(field):
    r = check("abs(x)", field=field)
    assert r.verdict == "not_conservative"
    assert_witness_rechecks(r)


def test_wrong_field_only_on_a_kink_line_in_3d():
    r = check("relu(x + y) + z", "x,y,z", field="where(x + y > 0, 1, 0), where(x + y > 0, 1, where(x + y == 0, 1/2, 0)), 1")
    assert r.verdict == "not_conservative"
    assert r.stratification.strata[r.witness.stratum].dim == 2
    assert_witness_rechecks(r)


def test_nonlinear_kink_refutation_is_exact():
    r = check("relu(x**2 + y**2 - 1)", field="where(x**2 + y**2 > 1, 2*x, 0), where(x**2 + y**2 >= 1, 2*y, 0)")
    assert r.verdict == "not_conservative"
    assert_witness_rechecks(r)


def test_not_lipschitz_verdicts():
    for expr in ["sign(x)", "where(x > 0, 1, 0)", "where(x*y > 0, x, 0)", "floor(x)", "step(x - 1)"]:
        r = check(expr)
        assert r.verdict == "not_lipschitz", expr
        assert r.exit_code == 1
        assert r.jump.value != r.jump.limit


def test_timeout_gives_unknown_with_reason():
    r = check("relu(x**4*y**3 + y**4*z**3 + z**4*x**3 - x*y*z - 1)", rule="clarke", timeout=0.001)
    assert r.verdict == "unknown"
    assert "timeout" in r.reason
    assert r.exit_code == 3


def test_vector_output_and_domain():
    assert check("max(x, y), min(x, y)", rule="jax").verdict == "conservative"
    r = check("relu(x) + relu(y)", domain="x**2 + y**2 <= 4", rule="tensorflow")
    assert r.verdict == "conservative"
    strat = r.stratification
    assert all(s.contains(s.sample) for s in strat.strata)
    asked = strat.asked()
    assert all(sum(float(v) ** 2 for v in s.sample) <= 4 + 1e-12 for s in asked)
    # the questions are asked in the disc (its closure: 17 strata); the cells outside are kept
    assert len(asked) == 17 and len(strat.strata) > len(asked)
    assert {rep.stratum.id for rep in r.strata} == {s.id for s in asked}


def test_domain_does_not_change_the_clarke_set():
    """A domain restricts where the questions are asked, not the function (theory §4)."""
    from semialg.checks.critical import critical
    r = critical("relu(x)", domain="x >= 0")
    assert r.verdict == "no_artificial_critical_points" and not r.artificial
    origin = [sc for sc in r.clarke if sc.stratum.dim == 0][0]
    assert sorted(v[0][0] for v in origin.vertices) == [0, 1]
    thin = critical("relu(x - y)", domain="x == y")
    assert [ps.stratum.dim for ps in thin.d_critical] == [1]
    assert len(thin.d_critical[0].clarke) == 2          # conv{(0, 0), (1, -1)}, not conv{}


# --------------------------------------------------------------------------- properties
@st.composite
def relu_programs(draw, nvars=2):
    """Random continuous programs: sums of relu/abs/max/min/clip of random linear forms."""
    names = ["x", "y", "z"][:nvars]
    coef = st.integers(-3, 3)
    k = draw(st.integers(1, 3))
    terms = []
    for _ in range(k):
        lin = " + ".join(f"({draw(coef)})*{v}" for v in names) + f" + ({draw(coef)})"
        prim = draw(st.sampled_from(["relu({})", "abs({})", "max({}, 0)", "min(0, {})", "clip({}, -1, 1)",
                                     "leaky_relu({}, 1/4)", "hardtanh({})", "relu6({})", "max({}, x, y)"]))
        terms.append(f"({draw(st.integers(-2, 2))}) * " + prim.format(lin))
    inner = " + ".join(terms)
    if draw(st.booleans()):
        inner = f"relu({inner} + ({draw(coef)}))"
    return inner


SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(relu_programs(), st.sampled_from(PRESETS))
def test_presets_are_always_conservative(expr, rule):
    """The chain-rule theorem: backprop with Clarke selections of Lipschitz primitives is a
    selection of a conservative field. A not_conservative here is a bug in the checker."""
    r = check(expr, rule=rule)
    assert r.verdict == "conservative", (expr, rule, r.reason)


@SLOW
@given(st.integers(-3, 3), st.integers(-3, 3), st.integers(-2, 2), st.integers(-3, 3).filter(bool),
       st.integers(-2, 2), st.sampled_from([0, 1]))
def test_perturbed_fields_are_refuted(a, b, c, r_num, d, component):
    """A correct field perturbed on an open set is refuted, and the witness re-checks."""
    if a == 0 and b == 0:
        a = 1
    f = f"relu({a}*x + {b}*y + {c})"
    field = [f"where({a}*x + {b}*y + {c} > 0, {a}, 0)", f"where({a}*x + {b}*y + {c} > 0, {b}, 0)"]
    assert check(f, field=", ".join(field)).verdict == "conservative"
    field[component] += f" + where(x - y > {d}, {r_num}, 0)"
    r = check(f, field=", ".join(field))
    assert r.verdict == "not_conservative"
    assert_witness_rechecks(r)


def _segment_intervals(strat, a, d):
    """The pieces of the segment a + t d, t in [0, 1], cut by the strata (all linear here):
    exact (t0, t1) intervals of positive length."""
    out = []
    for s in strat.strata:
        lo, hi, ok = Q(0), Q(1), True
        for p, sign in s.conditions:
            c0 = p.eval(a)
            c1 = sum((g * di for g, di in zip(p.linear_coeffs(), d)), Q(0))
            if sign == 0:
                if c1 != 0 or c0 != 0:
                    ok = False  # meets the stratum in at most one point
                continue
            # sign * (c0 + t c1) > 0
            a0, a1 = sign * c0, sign * c1
            if a1 == 0:
                ok = ok and a0 > 0
            elif a1 > 0:
                lo = max(lo, -a0 / a1)
            else:
                hi = min(hi, -a0 / a1)
        if ok and lo < hi:
            out.append((lo, hi))
    return sorted(out)


@SLOW
@given(relu_programs(), st.sampled_from(PRESETS), st.lists(st.integers(-20, 20), min_size=4, max_size=4))
def test_conservative_verdict_survives_integration_along_curves(expr, rule, ends):
    """Along a random segment, f(b) - f(a) equals the integral of <backprop, b - a>, computed
    exactly: the segment is cut at its crossings with every stratum, and on each piece the
    rule's value at the midpoint (every vertex, exact) times the length is summed."""
    r = check(expr, rule=rule)
    assert r.verdict == "conservative"
    program = parse(expr)
    a = (Q(ends[0], 7), Q(ends[1], 7))
    b = (Q(ends[2], 7), Q(ends[3], 7))
    d = (b[0] - a[0], b[1] - a[1])
    pieces = _segment_intervals(r.stratification, a, d)
    assert sum(t1 - t0 for t0, t1 in pieces) == 1  # the strata cover the segment up to finitely many points
    integral = Q(0)
    for t0, t1 in pieces:
        tm = (t0 + t1) / 2
        point = [a[0] + tm * d[0], a[1] + tm * d[1]]
        rates = {sum((gi * di for gi, di in zip(g, d)), Q(0)) for g in derivative_at(program, point, rule)[0]}
        assert len(rates) == 1, (expr, point, rates)  # every vertex gives the same rate along the curve
        integral += rates.pop() * (t1 - t0)
    from semialg.numeric import exact_value
    assert integral == exact_value(program, list(b))[0] - exact_value(program, list(a))[0]
