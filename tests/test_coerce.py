"""semialg.frontends.coerce: every public function takes what a Python user has."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

import semialg
from semialg.frontends.coerce import as_point, as_program

x, y = semialg.variables("x y")
X, Y = sympy.symbols("x y", real=True)

SAME_FUNCTION = [
    "relu(x - y) + abs(y)",
    semialg.relu(x - y) + abs(y),
    semialg.parse("relu(x - y) + abs(y)"),
    sympy.Max(X - Y, 0) + sympy.Abs(Y),
]


@pytest.mark.parametrize("function", SAME_FUNCTION, ids=["text", "expr", "program", "sympy"])
def test_every_public_function_takes_every_kind(function):
    assert semialg.check(function).verdict == "conservative"
    assert len(semialg.stratify(function).strata) == len(semialg.stratify("relu(x - y) + abs(y)").strata)
    assert semialg.lipschitz(function).status == "lipschitz"
    assert semialg.critical(function).exit_code in (0, 1)
    r = semialg.clarke_at(function, {"x": 0, "y": 0})
    assert len(r.vertices) == 4
    text = as_program(function).to_text()          # sympy's Max(x - y, 0) is max(x - y, 0), not relu: 1/2 at a tie
    assert semialg.derivative_at(function, [0, 0], "pytorch") == semialg.derivative_at(text, "x=0,y=0")


def test_lists_are_vector_outputs():
    for outputs in (["max(x, y)", "min(x, y)"], [semialg.max_(x, y), semialg.min_(x, y)], [sympy.Max(X, Y), sympy.Min(X, Y)]):
        assert as_program(outputs).n_outputs == 2
    assert semialg.check(["max(x, y)", "min(x, y)"], rule="jax").verdict == "conservative"


@pytest.mark.parametrize("point", [{"x": 0, "y": "1/2"}, {X: 0, Y: sympy.Rational(1, 2)}, [0, "1/2"], (0, 0.5),
                                   "x=0,y=1/2", "0, 1/2"])
def test_points(point):
    assert as_point(point, ("x", "y")) == (Fraction(0), Fraction(1, 2))


def test_float_is_the_decimal_it_prints_as():
    assert as_point([0.1], ("x",)) == (Fraction(1, 10),)


BAD = [
    (3j, None, "cannot use 3j (complex) as a number"),
    (object(), None, "expected the function as text, a Program"),
    ([], None, "got an empty list"),
    (["relu(x)", x], None, "text cannot be mixed"),
    (semialg.parse("relu(x) + y"), "y,x", "the program's variables are x, y, not y, x"),
]


@pytest.mark.parametrize("function, variables, message", BAD)
def test_bad_functions(function, variables, message):
    with pytest.raises(semialg.InputError) as info:
        as_program(function, variables)
    assert message in str(info.value)


@pytest.mark.parametrize("point, message", [
    ({"z": 0, "x": 1}, "'z' in the point is not a variable"),
    ({"x": 0}, "no value for y"),
    ([1], "the point has 1 coordinate; the function has 2 variables"),
    (5, "the point must be a dict"),
    (["a", 0], "value 'a' for x is not an exact rational"),
])
def test_bad_points(point, message):
    with pytest.raises(semialg.InputError) as info:
        as_point(point, ("x", "y"))
    assert message in str(info.value)
