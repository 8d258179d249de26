"""Continuity (hence local Lipschitz) checks: jumps found exactly, continuity proved."""
from fractions import Fraction as Q

import pytest

from semialg.checks.lipschitz import LIPSCHITZ, NOT_LIPSCHITZ, UNDECIDED, lipschitz, needs_check, surrogate
from semialg.frontends.text import parse
from semialg.numeric import exact_value


@pytest.mark.parametrize("expr", ["sign(x)", "where(x > 0, 1, 0)", "where(x*y > 0, x, 0)", "step(x - 1)",
                                  "heaviside(x) * y", "floor(x)", "round(2*x)", "where(x >= 0, x + 1, x)",
                                  "relu(x) + sign(x - y)"])
def test_jumps_are_found_and_recheck(expr):
    program = parse(expr)
    r = lipschitz(program)
    assert r.status == NOT_LIPSCHITZ, r.reason
    j = r.witness
    assert j.value != j.limit
    # the value at the point is the program's own exact value there
    assert tuple(exact_value(program, j.point)) == j.value


@pytest.mark.parametrize("expr", ["where(x > 0, x, 0)", "where(x >= 0, x, -x)", "where(x > y, x, y)",
                                  "where(x*y > 0, x*y, 0)", "sign(x) * x", "where(x**2 + y**2 < 1, 1, x**2 + y**2)"])
def test_continuous_where_programs(expr):
    assert lipschitz(parse(expr)).status == LIPSCHITZ


def test_continuous_primitives_need_no_check():
    p = parse("relu(x) + max(x, y, 0) + clip(x*y, -1, 1) + sort(x, y)[0]")
    assert not needs_check(p)
    assert lipschitz(p).status == LIPSCHITZ


def test_floor_surrogate_is_exact_near_zero():
    program, replaced = surrogate(parse("floor(x) + round(y)"))
    assert len(replaced) == 2
    for point in [(Q(-1, 2), Q(1, 4)), (Q(1, 2), Q(3, 4)), (Q(0), Q(1, 2))]:
        assert exact_value(program, point) == exact_value(parse("floor(x) + round(y)"), point)


def test_floor_of_a_constant_expression_is_not_wrongly_refuted():
    r = lipschitz(parse("floor(relu(x) - relu(x) + 1/2)"))
    assert r.status in (LIPSCHITZ, UNDECIDED)
