"""Semialgebraic lifting: roots, quotients and norms (semialg.frontends.lift, semialg.checks.lifted,
semialg.checks.lifted_clarke, semialg.rules.lifted).

Every expectation here is computed independently of the code under test: values with sympy's
exact radicals, gradients by central differences in mpmath at smooth points, the frameworks'
behaviour from the installed frameworks in tests/test_presets_lifted.py. The oracle's randomised
comparisons are in tests/test_oracle_lifted.py.
"""
from __future__ import annotations

import json
import random
from fractions import Fraction

import mpmath
import pytest
import sympy

import semialg
from semialg.cli import main
from semialg.frontends.lift import lift, lift_point
from semialg.frontends.text import parse
from semialg.stratification import stratify

F = Fraction


# --------------------------------------------------------------------------- the done-criteria
def test_norm_is_conservative_for_pytorch_and_not_for_jax():
    assert semialg.check("norm(x, y)", rule="pytorch").verdict == "conservative"
    r = semialg.check("norm(x, y)", rule="jax")
    assert r.verdict == "not_conservative"
    w = r.to_json()["witness"]
    assert w["kind"] == "non_finite" and w["point"] == ["0", "0"] and w["value"] == ["nan", "nan"]


def test_sqrt_of_relu_is_not_lipschitz_with_its_witness():
    r = semialg.check("sqrt(relu(x))")
    assert r.verdict == "not_lipschitz"
    w = r.to_json()["witness"]
    assert w["kind"] == "unbounded_slope" and w["point"] == ["0"] and w["direction"] == ["1"]
    # independently: the difference quotient sqrt(h)/h grows without bound
    quotients = [mpmath.sqrt(h) / h for h in (mpmath.mpf(10) ** -4, mpmath.mpf(10) ** -8)]
    assert quotients[1] > 50 * quotients[0]


def test_clarke_of_the_norm_at_0_is_the_unit_disc():
    r = semialg.clarke_at("norm(x, y)", "x=0,y=0")
    doc = r.to_json()
    assert doc["set"]["kind"] == "ellipsoid" and doc["set"]["center"] == ["0", "0"]
    assert doc["set"]["form"] == [["1", "0"], ["0", "1"]]
    assert "unit disc" in r.to_text()
    # membership, exact: every limit gradient (x, y)/|(x, y)| at a rational point of the circle
    for a, b in ((F(3, 5), F(4, 5)), (F(-5, 13), F(12, 13)), (F(0), F(-1))):
        assert r.contains([a, b])
    assert r.contains([0, 0]) and not r.contains([F(3, 4), F(3, 4)])


def test_clarke_of_a_scaled_shifted_norm_is_an_ellipsoid():
    r = semialg.clarke_at("norm(x - 1, 2*y) + x", "x=1,y=0")
    center, form = r.ellipsoid
    assert center == (1, 0) and form == ((1, 0), (0, F(1, 4)))
    assert r.contains([2, 0]) and r.contains([1, 2]) and not r.contains([1, F(21, 10)])


def test_cli_done_criteria(capsys):
    assert main(["check", "norm(x, y)", "--rule", "pytorch"]) == 0
    assert "CONSERVATIVE" in capsys.readouterr().out
    assert main(["check", "norm(x, y)", "--rule", "jax", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "not_conservative" and doc["witness"]["point"] == ["0", "0"]
    assert main(["check", "sqrt(relu(x))"]) == 1
    assert "NOT LIPSCHITZ" in capsys.readouterr().out
    main(["clarke", "norm(x, y)", "--at", "x=0,y=0"])
    assert "unit disc" in capsys.readouterr().out


# --------------------------------------------------------------------------- parsing and lifting
ROUND_TRIP = ["sqrt(x)", "cbrt(x - y)", "x / y", "x**(3/2)", "x**(-1/2)", "norm(x, y, 1)", "2 / (x**2 + 1)",
              "where(x > 0, sqrt(x), 0)"]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_text_round_trips(text):
    p = parse(text)
    assert parse(p.to_text()).outputs == p.outputs
    assert lift(p).to_text() == p.to_text()


def test_norm1_and_norminf_are_piecewise_linear():
    assert lift(parse("norm1(x, y)")).lifting is None
    assert parse("norminf(x, y)").to_text() == "max(max(abs(x), abs(y)), 0)"


def test_builder_builds_the_same_nodes():
    x, y = semialg.variables("x y")
    assert semialg.program(semialg.sqrt(x) + x / y).outputs == parse("sqrt(x) + x / y").outputs
    assert semialg.program(semialg.norm(x, y) + x ** F(3, 2)).outputs == parse("norm(x, y) + x**(3/2)").outputs


def test_lifted_point_is_exact():
    p = lift(parse("sqrt(x) + 1 / y"))
    full = lift_point(p, (F(2), F(4)))
    assert full[:2] == (F(2), F(4)) and sympy.simplify(full[2] - sympy.sqrt(2)) == 0 and full[3] == F(1, 4)


# --------------------------------------------------------------------------- the lifted primitives
from semialg.core.poly import Poly  # noqa: E402
from semialg.core.primitives import REGISTRY  # noqa: E402
from semialg.core.primitives.semialgebraic import LIFTED, UNDEFINED  # noqa: E402

LIFTED_CASES = [("sqrt", None, 1), ("cbrt", None, 1), ("rpow", F(3, 2), 1), ("rpow", F(2, 3), 1), ("inv", None, 1),
                ("norm", None, 1), ("norm", None, 2), ("norm", None, 3)]


def _sympy_value(op, param, args):
    a = [sympy.Rational(v.numerator, v.denominator) for v in args]
    if op == "sqrt":
        return sympy.sqrt(a[0]) if a[0] >= 0 else None
    if op == "cbrt":
        return sympy.real_root(a[0], 3)
    if op == "rpow":
        if a[0] < 0 and param.denominator % 2 == 0:
            return None
        return sympy.real_root(a[0], param.denominator) ** param.numerator
    if op == "inv":
        return 1 / a[0] if a[0] != 0 else None
    return sympy.sqrt(sum(v ** 2 for v in a))


def test_lifted_branches_partition_and_match_sympy():
    """At every argument, exactly one branch holds at the lifted point (root = the sympy value), and
    its value is that value; UNDEFINED exactly where sympy's real value does not exist."""
    assert {op for op, _, _ in LIFTED_CASES} == set(LIFTED)
    grid = [F(-9, 4), F(-1), F(0), F(1, 4), F(2)]
    for op, param, k in LIFTED_CASES:
        prim = REGISTRY[op]
        n = k + prim.n_aux
        xs = Poly.variables(n)
        branches = prim.branches(xs[:k] + xs[k:], param)
        for args in ([a] for a in grid) if k == 1 else ((a, b) for a in grid for b in grid) if k == 2 else [(F(0),) * 3, (F(1), F(0), F(-2))]:
            args = list(args)
            truth = _sympy_value(op, param, args)
            root = sympy.Integer(0) if truth is None else truth if op in ("inv", "norm") else \
                sympy.real_root(sympy.Rational(args[0].numerator, args[0].denominator), param.denominator if op == "rpow" else 2 if op == "sqrt" else 3)
            point = [sympy.Rational(a.numerator, a.denominator) for a in args] + [root] + \
                ([1 / root if root != 0 else sympy.Integer(0)] if prim.n_aux == 2 else [])
            holding = [b for b in branches if all(sympy.sign(sympy.nsimplify(p.eval(point))) == s for p, s in b.conditions)]
            assert len(holding) == 1, (op, param, args, [b.label for b in holding])
            value = holding[0].value
            if truth is None:
                assert value is UNDEFINED, (op, args)
            else:
                assert sympy.simplify(value.eval(point) - truth) == 0, (op, args)
                assert holding[0].label != "zero" or truth == 0


def test_lifted_primitives_declare_themselves():
    for op in LIFTED:
        prim = REGISTRY[op]
        assert prim.summary and op in {n.op for n in parse(prim.example).topological_order()}


# --------------------------------------------------------------------------- strata and domains
def test_strata_of_sqrt_relu_are_graphs_over_the_line():
    s = stratify("sqrt(relu(x))")
    assert sorted(t.dim for t in s.strata) == [0, 1, 1]
    origin = next(t for t in s.strata if t.dim == 0)
    assert sorted(s.above[origin.id]) == sorted(t.id for t in s.strata if t.dim == 1)


def test_undefined_cells_are_a_finding_with_samples():
    doc = semialg.check("sqrt(x) + 1 / y").to_json()
    reasons = {u["reason"] for u in doc["undefined"]}
    assert reasons == {"an even root of a negative number", "a division by 0"}
    for u in doc["undefined"]:
        x, y = (sympy.Rational(v) for v in u["sample"])
        assert x < 0 or y == 0   # independently: sqrt(x) or 1/y has no real value there


def test_where_hides_its_untaken_branch_from_the_domain():
    s = stratify("where(x > 0, sqrt(x), 0)")
    assert not s.undefined and sorted(t.dim for t in s.strata) == [0, 1, 1]


# --------------------------------------------------------------------------- verdicts
CASES = [
    ("norm(x, y) + relu(x)", "pytorch", "conservative"),
    ("x / (1 + y**2)", "pytorch", "conservative"),
    ("x * y / (1 + x**2)", "clarke", "conservative"),
    ("sqrt(1 + x**2)", "jax", "conservative"),
    ("relu(x)**(3/2)", "pytorch", "conservative"),
    ("abs(x)**(3/2)", "clarke", "conservative"),
    ("sqrt(x**2 + y**2)", "pytorch", "not_conservative"),   # the hand-written norm: 0 * inf at 0
    ("where(x > 0, sqrt(x), 0)", "pytorch", "not_lipschitz"),   # continuous, but sqrt's slope at 0+
    ("where(x > 1, sqrt(x), 1)", "pytorch", "not_conservative"),   # the NaN trap of the untaken branch
    ("where(x > 1, sqrt(x), 1)", "jax", "not_conservative"),
    ("where(x > 1, sqrt(x), 1)", "clarke", "conservative"),
    ("cbrt(x)", "jax", "not_lipschitz"),
    ("sqrt(x)", "clarke", "not_lipschitz"),
    ("x**(2/3) + y", "pytorch", "not_lipschitz"),
]


@pytest.mark.parametrize("text, rule, verdict", CASES, ids=[f"{c[0]} {c[1]}" for c in CASES])
def test_verdicts(text, rule, verdict):
    assert semialg.check(text, rule=rule, time_limit=60).verdict == verdict


def test_nan_witness_agrees_with_the_exact_reverse_mode():
    w = semialg.check("where(x > 1, sqrt(x), 1)", rule="pytorch").to_json()["witness"]
    assert w["kind"] == "non_finite" and w["value"] == ["nan"]
    x = sympy.Rational(w["point"][0])
    assert x <= 0   # where the untaken sqrt is at 0 or has no real value


def _numeric_gradient(text, point, h=mpmath.mpf(10) ** -20):
    mpmath.mp.dps = 50
    names = sorted(parse(text).free_variables())
    expr = sympy.sympify(text.replace("norm(x, y)", "sqrt(x**2 + y**2)"), locals={n: sympy.Symbol(n) for n in names})
    f = sympy.lambdify([sympy.Symbol(n) for n in names], expr, "mpmath")
    out = []
    for i in range(len(names)):
        up = [mpmath.mpf(v.numerator) / v.denominator for v in point]
        down = list(up)
        up[i] += h
        down[i] -= h
        out.append((f(*up) - f(*down)) / (2 * h))
    return out


@pytest.mark.parametrize("text", ["x / (1 + y**2)", "sqrt(1 + x**2 + y**2)", "x * cbrt(1 + y**2)", "norm(x, y)"])
def test_derivative_at_smooth_points_matches_finite_differences(text):
    rng = random.Random(7)
    for _ in range(4):
        point = (F(rng.randint(1, 9), 4), F(rng.randint(-9, 9), 4))
        exact = semialg.derivative_at(text, point, "pytorch")[0][0]
        numeric = _numeric_gradient(text, point)
        for e, n in zip(exact, numeric):
            assert abs(float(sympy.N(e, 30)) - float(n)) < 1e-12


def test_clarke_at_a_smooth_point_is_the_exact_gradient():
    r = semialg.clarke_at("sqrt(x**2 + y**2 + 1)", "x=1,y=1")
    (g,) = r.vertices
    assert all(sympy.simplify(v - sympy.sqrt(3) / 3) == 0 for v in g[0])


def test_artificial_critical_points_of_lifted_programs():
    # f = sqrt(1 + x**2) - x: f'(0) = -1, but PyTorch's relu'(0) = 0 makes backprop 0 there
    r = semialg.critical("sqrt(1 + x**2) - relu(x) + relu(-x)", rule="pytorch")
    assert r.verdict == "artificial_critical_points"
    (a,) = r.artificial
    assert a.sample == (0,) and a.field == (((0,),),) and a.clarke == (((-1,),),)
    assert semialg.critical("sqrt(1 + x**2) - x", rule="pytorch").verdict == "no_artificial_critical_points"
    # the norm at 0: its Clarke disc holds 0 and PyTorch's value 0; JAX's NaN leaves it undecided
    assert semialg.critical("norm(x, y)", rule="pytorch").verdict == "no_artificial_critical_points"
    assert semialg.critical("norm(x, y)", rule="jax").verdict == "unknown"
    assert semialg.critical("sqrt(relu(x))").verdict == "not_lipschitz"


def test_not_semialgebraic_stays_refused():
    for text in ("exp(x)", "log(x)", "sin(x)"):
        with pytest.raises(semialg.UnsupportedError, match="not semialgebraic"):
            parse(text)


# --------------------------------------------------------------------------- invariance under rewriting
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=12, deadline=None)
@given(a=st.integers(-3, 3), b=st.integers(-3, 3), c=st.integers(-3, 3), d=st.integers(-3, 3),
       x0=st.integers(-2, 2), y0=st.integers(-2, 2))
def test_norm_and_its_square_root_spelling_have_the_same_clarke_ellipsoid(a, b, c, d, x0, y0):
    """norm(A (x - x0)) and sqrt(|A (x - x0)|**2) are one function: the same Clarke set at x0, whose
    boundary holds the numeric gradients at points near x0 (central differences, 40 digits)."""
    if a * d - b * c == 0:
        return
    u, v = f"{a}*(x - {x0}) + {b}*(y - {y0})", f"{c}*(x - {x0}) + {d}*(y - {y0})"
    point = f"x={x0},y={y0}"
    e1 = semialg.clarke_at(f"norm({u}, {v})", point).ellipsoid
    e2 = semialg.clarke_at(f"sqrt(({u})**2 + ({v})**2)", point).ellipsoid
    assert e1 == e2 and e1[0] == (0, 0)
    form = e1[1]
    mpmath.mp.dps = 40
    for k in range(5):
        t = 2 * mpmath.pi * k / 5
        px, py = x0 + mpmath.mpf(10) ** -6 * mpmath.cos(t), y0 + mpmath.mpf(10) ** -6 * mpmath.sin(t)
        f = lambda X, Y: mpmath.sqrt((a * (X - x0) + b * (Y - y0)) ** 2 + (c * (X - x0) + d * (Y - y0)) ** 2)
        h = mpmath.mpf(10) ** -15
        g = ((f(px + h, py) - f(px - h, py)) / (2 * h), (f(px, py + h) - f(px, py - h)) / (2 * h))
        q = sum(g[i] * mpmath.mpf(form[i][j].numerator) / form[i][j].denominator * g[j] for i in range(2) for j in range(2))
        assert abs(q - 1) < 1e-8


# --------------------------------------------------------------------------- forward mode against the frameworks
FORWARD_CASES = [  # (semialg text, torch function, jax function, dyadic point): forward differs from reverse here
    ("where(x > 0, sqrt(x), 0)", lambda t, x: t.where(x > 0, t.sqrt(x), t.zeros_like(x)), "where", (0,)),
    ("where(x > 0, sqrt(x), 0)", lambda t, x: t.where(x > 0, t.sqrt(x), t.zeros_like(x)), "where", (-1,)),
    ("sqrt(relu(x))", lambda t, x: t.sqrt(t.relu(x)), "sqrt_relu", (0,)),
    ("sqrt(relu(x))", lambda t, x: t.sqrt(t.relu(x)), "sqrt_relu", (-F(1, 4),)),
    ("sqrt(x)", lambda t, x: t.sqrt(x), "sqrt", (0,)),
    ("sqrt(x)", lambda t, x: t.sqrt(x), "sqrt", (F(1, 4),)),
]


def _jax_function(kind):
    import jax.numpy as jnp
    import jax
    return {"where": lambda x: jnp.where(x > 0, jnp.sqrt(x), 0.0), "sqrt_relu": lambda x: jnp.sqrt(jax.nn.relu(x)),
            "sqrt": jnp.sqrt}[kind]


def _same(a, b) -> bool:
    import math
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return float(a) == float(b)


@pytest.mark.parametrize("text, torch_fn, jax_kind, point", FORWARD_CASES,
                         ids=[f"{c[0]} at {c[3][0]}" for c in FORWARD_CASES])
def test_forward_presets_match_the_installed_frameworks(text, torch_fn, jax_kind, point):
    torch = pytest.importorskip("torch")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    x = float(point[0])
    _, t_torch = torch.func.jvp(lambda v: torch_fn(torch, v), (torch.tensor(x, dtype=torch.float64),),
                                (torch.tensor(1.0, dtype=torch.float64),))
    _, t_jax = jax.jvp(_jax_function(jax_kind), (x,), (1.0,))
    assert _same(semialg.derivative_at(text, point, "pytorch-forward")[0][0][0], float(t_torch))
    assert _same(semialg.derivative_at(text, point, "jax-forward")[0][0][0], float(t_jax))
