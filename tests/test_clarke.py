"""Exact Clarke Jacobians: seed cases, vector outputs, nonlinear kinks, bad input, the CLI,
and hypothesis properties (invariance under relu/max/where rewriting; numeric gradients nearby)."""
import json
from fractions import Fraction as Q

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.checks.clarke import NotLipschitzError, clarke_at, clarke_on_stratum, extreme_points, in_hull
from semialg.cli.app import main
from semialg.core.errors import InputError
from semialg.frontends.text import parse
from semialg.numeric import evaluate
from semialg.stratification import stratify


def grads(result):
    """The vertices of a scalar function's Clarke set, as a set of tuples of Fractions."""
    return {v[0] for v in result.vertices}


def q(*values):
    return tuple(Q(v) for v in values)


# --------------------------------------------------------------------------- seed cases
def test_l1_norm_at_origin_is_the_square():
    r = clarke_at("abs(x) + abs(y)", [0, 0])
    assert grads(r) == {q(1, 1), q(1, -1), q(-1, 1), q(-1, -1)}
    assert r.stratum.dim == 0 and len(r.cells) == 4
    assert r.contains_zero and r.contains([Q(1, 2), Q(-1, 3)]) and not r.contains([Q(3, 2), 0])


def test_l1_norm_on_an_axis_is_a_segment():
    r = clarke_at("abs(x) + abs(y)", [0, Q(1, 2)])
    assert grads(r) == {q(1, 1), q(-1, 1)}
    assert not r.contains_zero


def test_max_of_three_is_a_triangle_containing_zero():
    r = clarke_at("max(x, y, -x - y)", [0, 0])
    assert grads(r) == {q(1, 0), q(0, 1), q(-1, -1)}
    assert r.contains_zero
    assert r.contains([Q(1, 3), Q(1, 3)])          # the barycentre-ish point on an edge
    assert not r.contains([Q(1, 2), Q(1, 2) + Q(1, 100)])


@pytest.mark.parametrize("expr", ["x - (relu(-x) - relu(x) + x)", "relu(x) - relu(-x)", "x"])
def test_identity_spellings_have_clarke_one(expr):
    # Clarke calculus would give [0, 2] for relu(x) - relu(-x); from the pieces it is {1}
    r = clarke_at(expr, [0])
    assert grads(r) == {q(1)} and not r.contains_zero


def test_sum_rule_fails_but_we_do_not_use_it():
    assert grads(clarke_at("abs(x) - abs(x)", [0])) == {q(0)}
    assert grads(clarke_at("relu(-x) - relu(x) + x", [0])) == {q(0)}   # zero


def test_relu_and_abs_at_zero():
    assert grads(clarke_at("relu(x)", [0])) == {q(0), q(1)}
    assert grads(clarke_at("abs(x)", [0])) == {q(-1), q(1)}
    assert grads(clarke_at("abs(x)", [Q(-1, 2)])) == {q(-1)}


def test_nonlinear_kink_circle():
    f = "relu(x**2 + y**2 - 1)"
    assert grads(clarke_at(f, [1, 0])) == {q(0, 0), q(2, 0)}
    r = clarke_at(f, [Q(3, 5), Q(4, 5)])
    assert grads(r) == {q(0, 0), q(Q(6, 5), Q(8, 5))}
    assert r.contains([Q(3, 5), Q(4, 5)]) and not r.contains([Q(4, 5), Q(3, 5)])
    assert grads(clarke_at(f, [2, 0])) == {q(4, 0)}
    assert grads(clarke_at(f, [0, 0])) == {q(0, 0)}


def test_nonlinear_kink_parabola_and_product():
    assert grads(clarke_at("relu(y - x**2)", [0, 0])) == {q(0, 0), q(0, 1)}
    assert grads(clarke_at("relu(y - x**2)", [1, 1])) == {q(0, 0), q(-2, 1)}
    assert grads(clarke_at("relu(x*y)", [0, 0])) == {q(0, 0)}           # both pieces are flat at the origin
    assert grads(clarke_at("relu(x*y)", [0, 1])) == {q(0, 0), q(1, 0)}


def test_vector_output_sort_gives_permutation_matrices():
    r = clarke_at("max(x, y), min(x, y)", [1, 1])
    assert set(r.vertices) == {(q(1, 0), q(0, 1)), (q(0, 1), q(1, 0))}
    assert r.m == 2 and r.n == 2
    assert r.contains([[Q(1, 2), Q(1, 2)], [Q(1, 2), Q(1, 2)]])          # PyTorch's tie rule is inside
    assert not r.contains([[1, 0], [1, 0]])                               # TensorFlow's is not
    assert not r.contains_zero
    with pytest.raises(InputError, match="scalar"):
        r.gradients


def test_where_is_handled_from_pieces():
    r = clarke_at("where(x > 0, x, 0) + abs(y)", [0, 0])
    assert grads(r) == {q(0, 1), q(0, -1), q(1, 1), q(1, -1)}


def test_reuse_of_a_stratification_and_stratum_level_clarke():
    program = parse("abs(x) + abs(y)")
    strat = stratify(program)
    for point in ([0, 0], [0, 1], [1, 1]):
        assert clarke_at(program, point, stratification=strat).stratum.contains(tuple(Q(v) for v in point))
    origin = strat.locate((Q(0), Q(0)))
    sc = clarke_on_stratum(strat, origin)
    assert {v[0] for v in sc.vertices} == grads(clarke_at(program, [0, 0]))
    assert len(sc.generators) == 4 and len(sc.cells) == 4


def test_exact_hull_helpers():
    assert extreme_points([(0,), (3,), (1,), (2,)]) == [q(0), q(3)]
    square = [(1, 1), (1, -1), (-1, 1), (-1, -1), (0, 0), (1, 0)]
    assert set(extreme_points(square)) == {q(1, 1), q(1, -1), q(-1, 1), q(-1, -1)}
    assert in_hull((0, 0, 0), [(1, 0, 0), (0, 1, 0), (0, 0, 1), (-1, -1, -1)])
    assert not in_hull((1, 1, 0), [(1, 0, 0), (0, 1, 0), (0, 0, 1)])
    assert not in_hull((0,), [])


# --------------------------------------------------------------------------- bad input
BAD_POINTS = [
    ("relu(x)", [0, 0], "the point has 2 coordinates; the function has 1 variable (x)"),
    ("relu(x) + y", [0], "the point has 1 coordinate; the function has 2 variables (x, y)"),
    ("relu(x)", ["a"], "value 'a' for x is not an exact rational"),
    ("relu(x)", [None], "value None for x is not an exact rational"),
    ("relu(x)", 3, "a sequence of 1 exact numbers"),
]


@pytest.mark.parametrize("expr,point,message", BAD_POINTS)
def test_bad_points(expr, point, message):
    with pytest.raises(InputError) as info:
        clarke_at(expr, point)
    assert message in str(info.value)


def test_point_outside_the_domain():
    with pytest.raises(InputError, match="outside the domain"):
        clarke_at("relu(x)", [-1], domain="x >= 0")


def test_float_coordinates_mean_their_decimal_text():
    assert clarke_at("relu(x - 1/10)", [0.1]).point == (Q(1, 10),)


def test_not_lipschitz_is_refused_with_the_jump():
    with pytest.raises(NotLipschitzError) as info:
        clarke_at("where(x > 0, 1, 0)", [1])
    assert info.value.jump.point == (Q(0),)
    assert "jumps at (0)" in str(info.value)


# --------------------------------------------------------------------------- CLI
def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_text(capsys):
    code, out, _ = run(capsys, "clarke", "abs(x) + abs(y)", "--at", "x=0,y=0")
    assert code == 0
    assert "conv of 4 vertex gradients" in out and "(-1, -1)" in out and "Clarke critical" in out


def test_cli_json(capsys):
    code, out, _ = run(capsys, "clarke", "max(x, y, -x-y)", "--at", "x=0,y=0", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["command"] == "clarke" and data["verdict"] == "computed"
    assert sorted(data["vertices"]) == [["-1", "-1"], ["0", "1"], ["1", "0"]]
    assert data["contains_zero"] is True and data["stratum"]["dim"] == 0 and data["point"] == ["0", "0"]


def test_cli_vector_json(capsys):
    code, out, _ = run(capsys, "clarke", "max(x, y), min(x, y)", "--at", "x=1/2,y=1/2", "--json")
    assert code == 0
    assert sorted(json.loads(out)["vertices"]) == [[["0", "1"], ["1", "0"]], [["1", "0"], ["0", "1"]]]


def test_cli_exit_codes_for_bad_input_and_jumps(capsys):
    code, _, err = run(capsys, "clarke", "relu(x) + y", "--at", "x=0")
    assert code == 2 and "no value for y" in err
    code, _, err = run(capsys, "clarke", "relu(x)", "--at", "x=1/0")
    assert code == 2 and "not an exact rational" in err
    code, _, err = run(capsys, "clarke", "relu(x)")
    assert code == 2 and "--at" in err
    code, out, _ = run(capsys, "clarke", "where(x > 0, 1, 0)", "--at", "x=0", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["verdict"] == "not_lipschitz" and data["witness"]["point"] == ["0"]


# --------------------------------------------------------------------------- properties
def _relu_spellings(u: str) -> list[str]:
    return [f"relu({u})", f"max({u}, 0)", f"max(0, {u})", f"where({u} > 0, {u}, 0)", f"(({u}) + abs({u}))/2",
            f"clip({u}, 0, inf)"]


coef = st.integers(-2, 2)
unit = st.tuples(coef, coef, st.sampled_from([0, 0, 0, 1, -1])).filter(lambda t: t[0] or t[1])
weight = st.sampled_from([-2, -1, 1, 2])


def _affine(a, b, c, point) -> str:
    # the kink a*x + b*y + d passes through `point` when c == 0, else it is shifted by c
    d = -(a * point[0] + b * point[1]) + c
    return f"{a}*x + {b}*y + {d}"


@settings(max_examples=20)
@given(units=st.lists(unit, min_size=1, max_size=3), weights=st.lists(weight, min_size=3, max_size=3),
       spelling=st.lists(st.integers(0, 5), min_size=3, max_size=3), point=st.tuples(st.integers(-1, 1), st.integers(-1, 1)))
def test_clarke_is_invariant_under_rewriting_and_contains_nearby_gradients(units, weights, spelling, point):
    kinks = [_affine(a, b, c, point) for a, b, c in units]
    plain = " + ".join(f"{w}*relu({u})" for w, u in zip(weights, kinks)) + " + x"
    rewritten = " + ".join(f"{w}*{_relu_spellings(u)[s]}" for w, u, s in zip(weights, kinks, spelling)) + " + x"
    r1 = clarke_at(parse(plain, "x,y"), point)
    r2 = clarke_at(parse(rewritten, "x,y"), point)
    assert set(r1.vertices) == set(r2.vertices), (plain, rewritten)
    # every gradient at generic points near `point` is (in the limit) in the Clarke set
    program = parse(plain, "x,y")
    rng = np.random.default_rng(abs(hash((plain, point))) % 2**32)
    h, eps = 1e-7, 1e-4
    for _ in range(12):
        y = np.array(point, dtype=float) + eps * rng.normal(size=2)
        g = [(evaluate(program, [y + h * e])[0, 0] - evaluate(program, [y - h * e])[0, 0]) / (2 * h)
             for e in np.eye(2)]
        rounded = [Q(v).limit_denominator(8) for v in g]
        if max(abs(float(a) - b) for a, b in zip(rounded, g)) > 1e-5:
            continue  # a kink between y - h and y + h
        assert r1.contains(rounded), (plain, point, g)


@settings(max_examples=15)
@given(a=st.integers(1, 3), c=st.integers(-2, 2), s=st.sampled_from(["relu", "abs"]))
def test_nonlinear_pieces_clarke_contains_gradients_from_both_sides(a, c, s):
    # f = s(x**2 - a) + c*x: kinks at ±sqrt(a) are irrational when a is not a square, so test at a rational
    # kink of x**2 - a**2 instead, where both one-sided derivatives are exact
    f = f"{s}(x**2 - {a * a}) + {c}*x"
    r = clarke_at(f, [a])
    inside, outside = (0 if s == "relu" else -2 * a) + c, 2 * a + c
    assert {v[0][0] for v in r.vertices} == {Q(inside), Q(outside)}


# --------------------------------------------------------------------------- the exact hull in the plane
def _lp_in_hull(point, vertices) -> bool:
    """The LP of the general path, asked directly: is ``point`` a convex combination of ``vertices``?"""
    from semialg import smt
    from semialg.core.poly import Poly
    const = lambda v: tuple(Poly.constant(0, Q(c)) for c in v)
    r = smt.convex_query([], 0, members=[(const(point), [const(v) for v in vertices])], timeout_ms=60_000)
    assert r.status != smt.UNKNOWN
    return r.status == smt.SAT


_plane_points = st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3)), min_size=1, max_size=7)


@settings(max_examples=60, deadline=None)
@given(_plane_points, st.tuples(st.integers(-3, 3), st.integers(-3, 3)))
def test_in_hull_in_the_plane_agrees_with_the_lp(vertices, point):
    """The monotone-chain test in the plane against the exact LP (collinear and repeated points included)."""
    assert in_hull(point, vertices) == _lp_in_hull(point, vertices)


@settings(max_examples=60, deadline=None)
@given(_plane_points)
def test_extreme_points_in_the_plane_are_the_points_outside_the_others_hull(points):
    distinct = sorted(set((Q(a), Q(b)) for a, b in points))
    expected = [p for p in distinct if len(distinct) <= 2 or not _lp_in_hull(p, [q for q in distinct if q != p])]
    assert extreme_points(points) == expected
