"""custom(a, grad=(...)): a hand-written derivative on one node inside a larger program, and
hand-written Jacobian fields for vector outputs."""
from __future__ import annotations

from fractions import Fraction

import pytest

import semialg
from semialg import check, derivative_at, parse


def test_text_round_trip_and_value():
    p = parse("2*custom(relu(x), grad=(step(x),)) + x")
    assert parse(p.to_text()).to_text() == p.to_text()
    assert semialg.exact_value(p, [3]) == (Fraction(9),)


@pytest.mark.parametrize("text, verdict", [
    ("custom(relu(x), grad=(step(x),))", "conservative"),                        # the usual relu'(0) choice
    ("custom(relu6(x), grad=(where(x > 0, 1, 0),))", "not_conservative"),          # forgot the cap at 6
    ("custom(relu6(x), grad=(where(x > 0 and x < 6, 1, 0),)) + relu(x)", "conservative"),
    ("3*custom(relu(x)*y, grad=(where(x > 0, y, 0), relu(x))) - x", "conservative"),  # inside a larger program
    ("custom(abs(x), grad=(sign(x), where(x == 0, 1, 0)))", "not_conservative"),    # tangent part on x = 0
])
def test_backprop_uses_the_nodes_own_derivative(text, verdict):
    r = check(text, variables="x,y" if "y" in text or "abs" in text else None)
    assert r.verdict == verdict, r.reason


def test_the_rest_of_the_program_is_still_differentiated():
    # d/dx [custom(x, grad=(5,)) * 2 + relu(x)] at x = 1 is 2*5 + 1
    assert derivative_at("custom(x, grad=(5,))*2 + relu(x)", [1]) == [[(Fraction(11),)]]
    x, = semialg.variables("x")
    built = semialg.custom(semialg.relu(x), grad=[semialg.step(x)]) * 2
    assert derivative_at(built, [0]) == [[(Fraction(0),)]]          # step(0) = 0: the hand-written value
    assert derivative_at(built, [1]) == [[(Fraction(2),)]]


@pytest.mark.parametrize("text, message", [
    ("custom(relu(x), grad=(1, 2))", "gives 2 gradient components but the program has 1 variable"),
    ("custom(relu(x))", "takes one expression and grad=(...)"),
    ("custom(relu(x), 1)", "takes one expression and grad=(...)"),
    ("custom(relu(x), grad=(1,), jvp=2)", "takes only the keyword grad="),
])
def test_bad_custom(text, message):
    with pytest.raises(semialg.SemialgError) as info:
        parse(text)
    assert message in str(info.value)


def test_jacobian_fields_for_vector_outputs():
    good = "where(x >= y, 1, 0), where(x >= y, 0, 1); where(x >= y, 0, 1), where(x >= y, 1, 0)"
    assert check("max(x, y), min(x, y)", field=good).verdict == "conservative"
    bad = "where(x >= y, 1, 0), where(x >= y, 0, 1); where(x >= y, 0, 1), where(x == y, 5, where(x > y, 1, 0))"
    r = check("max(x, y), min(x, y)", field=bad)
    assert r.verdict == "not_conservative" and r.witness.output == 1
    with pytest.raises(semialg.InputError, match="2 rows of 2 components"):
        check("max(x, y), min(x, y)", field="1, 0")
    with pytest.raises(semialg.InputError, match="the field has 3 rows"):
        check("max(x, y), min(x, y)", field="1, 0; 0, 1; 1, 1")
