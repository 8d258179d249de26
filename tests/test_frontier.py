"""semialg.stratification.frontier and the soundness cases of nonlinear programs.

Every case below gave a wrong answer before the frontier condition was certified for all
of a stratum (each was checked by hand: the expected values are computed in the comments).
"""
from __future__ import annotations

import time
from fractions import Fraction

import pytest

from semialg import check, critical, stratify
from semialg.checks.clarke import clarke_at
from semialg.core.poly import Poly
from semialg.frontends.text import parse
from semialg.stratification.cells import factored
from semialg.stratification.frontier import Frontier


def strata_of(text):
    s = stratify(parse(text))
    return s, {tuple(t.condition_text()): t for t in s.strata}


# --------------------------------------------------------------------------- the certificate
def test_factored_signs():
    x, y = Poly.variables(2)
    f = factored(x * x * y - x * x)          # x^2 (y - 1)
    assert [m for _, m in f.factors] == [2, 1]
    signs = {q: v for (q, _), v in zip(f.factors, (1, -1))}
    assert f.sign(signs) == -1               # x != 0, y < 1: negative
    signs = {q: v for (q, _), v in zip(f.factors, (0, 1))}
    assert f.sign(signs) == 0


def test_frontier_decides_each_part_of_a_split_line():
    x, y = Poly.variables(2)
    fr = Frontier(2, 10_000)
    quadrant = ((x, 1), (x * y, 1))
    answer, split, _ = fr.decide(((x, 0),), (Fraction(0), Fraction(0)), quadrant)
    assert answer is None and split == y
    assert fr.decide(((x, 0), (y, 1)), (Fraction(0), Fraction(1)), quadrant)[0] is True
    assert fr.decide(((x, 0), (y, -1)), (Fraction(0), Fraction(-1)), quadrant)[0] is False
    # disjoint relaxed closures: one query, no factor needed
    assert fr.decide(((x - 2, 0),), (Fraction(2), Fraction(0)), ((x * x + y * y - 1, -1),))[0] is False


def test_relu_of_relu_times_y_splits_the_line():
    s, by = strata_of("relu(relu(x)*y)")
    assert s.complete
    low, mid, high = by[("x = 0", "y < 0")], by[("x = 0", "y = 0")], by[("x = 0", "y > 0")]
    names = {t.id: tuple(t.condition_text()) for t in s.strata}
    assert {names[c] for c in s.above[low.id]} == {("x < 0",), ("x > 0", "x*y < 0")}
    assert {names[c] for c in s.above[high.id]} == {("x < 0",), ("x > 0", "x*y > 0")}
    assert mid.dim == 0 and len(s.above[mid.id]) == 6


@pytest.mark.parametrize("text", ["relu(x**3)", "abs(x**3)", "relu(x**2*y)", "relu((x - y)**3)",
                                  "relu((x**2 + y**2 - 1)**2)", "relu(x**2 - y**3)", "where(x**2 == y**3, x, x)"])
def test_singular_kinks_get_exact_strata_and_verdicts(text):
    """A kink and its squarefree part have the same zero set."""
    s = stratify(parse(text))
    assert s.complete and all(t.dim is not None for t in s.strata), s.reasons
    assert check(text).verdict == "conservative"


def test_relu_x_squared_y_neighbours():
    s, by = strata_of("relu(x**2*y)")
    names = {t.id: tuple(t.condition_text()) for t in s.strata}
    below = by[("x**2*y = 0", "x = 0", "y < 0")]
    assert [names[c] for c in s.above[below.id]] == [("x**2*y < 0",)]      # x^2 y <= 0 near (0, -1)


# --------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("text, point, value, limit", [
    ("relu(step(x)*(y**2 - 1))", None, None, 3),           # f(0, -2) = 0, f(t, -2) = 3 for t > 0
    ("relu(where(x - y**2 > 0, y - 1, -1))", None, 0, 1),   # f(4, 2) = 0, f(4 + t, 2) = 1
    ("floor(x/2 + floor(x))", (Fraction(0),), (0,), (-2,)),  # the left limit at 0 is floor(-1 - 0) = -2
])
def test_missed_jumps_are_found(text, point, value, limit):
    r = check(text)
    assert r.verdict == "not_lipschitz" and r.exit_code == 1
    j = r.jump
    if point is not None:
        assert j.point == point and j.value == value and j.limit == limit
    else:
        assert j.limit[0] - j.value[0] != 0 and (limit is None or abs(j.limit[0] - j.value[0]) == limit)


def test_clarke_refuses_a_jump():
    from semialg.checks.clarke import NotLipschitzError
    with pytest.raises(NotLipschitzError):
        clarke_at("relu(step(x)*(y**2 - 1))", "x=0,y=2")


def test_missed_artificial_critical_point_on_part_of_a_line():
    r = critical("relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)")
    assert r.verdict == "artificial_critical_points"
    assert [(ps.sample, ps.whole_stratum) for ps in r.artificial] == [((Fraction(0), Fraction(-2)), False)]
    assert r.artificial[0].clarke == (((Fraction(1), Fraction(0)),),)


def test_artificial_only_where_the_clarke_set_misses_zero():
    # on x = 0, y > 1 the Clarke set is conv{(-1/2, 0), (y - 3/2, 0)}: 0 is in it for y >= 3/2
    r = critical("relu(relu(x)*(y - 1)) - relu(x)/2 + relu(-x)/2")
    part = [ps for ps in r.artificial if ps.stratum.condition_text() == ["x = 0", "y - 1 > 0"]]
    assert len(part) == 1 and part[0].whole_stratum is False
    assert Fraction(1) < part[0].sample[1] < Fraction(3, 2)


def test_no_false_refutation_from_a_closure_point():
    field = ("where(where(z > 0, x + y**2, 1) == 0, 7, 0), "
             "z*sign(y) + where(where(z > 0, x + y**2, 1) == 0, 14*y, 0), abs(y)")
    r = check("z*abs(y)", variables="x,y,z", field=field)
    assert r.verdict == "conservative", r.reason


@pytest.mark.parametrize("text, field", [
    ("relu(x*y)", "where(x*y > 0, y, 0), where(x*y > 0, x, where(x == 0, 1, 0))"),
    ("abs(x)", "sign(x), where(x == 0, 10**400, 0)"),
])
def test_witness_confirmation_never_crashes(text, field):
    r = check(text, variables="x,y", field=field)
    assert r.verdict == "not_conservative"
    assert isinstance(r.witness.numeric, dict) and "confirmed" in r.witness.numeric


def test_refutation_needs_continuity(monkeypatch):
    from semialg.checks import conservative
    from semialg.checks.lipschitz import LipschitzResult
    monkeypatch.setattr(conservative, "lipschitz",
                        lambda *a, **k: LipschitzResult("undecided", reason="pretend the solver gave up"))
    r = check("abs(x)", variables="x,y", field="sign(x), where(x == 0, 1, 0)")
    assert r.verdict == "unknown" and "continuity is undecided" in r.reason


def test_bilinear_kink_is_fast():
    t0 = time.process_time()
    r = clarke_at("relu(w*z + b + u*x)", "w=1,z=1,b=-1,u=0,x=0")
    assert time.process_time() - t0 < 5.0
    assert sorted(r.vertices) == [((0, 0, 0, 0, 0),), ((1, 0, 1, 0, 1),)]
