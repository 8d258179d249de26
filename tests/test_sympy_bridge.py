"""semialg.frontends.sympy: Program <-> sympy, the supported fragment and clear refusals."""
import random
from fractions import Fraction

import pytest
import sympy

from semialg.core.dag import Node
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends.sympy import from_sympy, symbols_for, to_sympy
from semialg.frontends.text import parse
from semialg.numeric import exact_value

x, y, z = sympy.symbols("x y z")
rx, ry = sympy.symbols("x y", real=True)

FROM_SYMPY = [
    (x + 2 * y - 1, "x + 2 * y - 1"),
    (x * y ** 3, "x * y**3"),
    ((x + y) ** 2, "(x + y)**2"),
    (x / 4, "1/4 * x"),
    (2 ** -2 * x, "1/4 * x"),
    (sympy.Float(0.1) * x, "1/10 * x"),
    (sympy.Float("2.5"), "5/2"),
    (sympy.Rational(-3, 7), "-3/7"),
    (sympy.Max(x, 0), "max(0, x)"),
    (sympy.Max(x, y, z), "max(x, y, z)"),
    (sympy.Min(x, 1 - x), "min(x, -x + 1)"),
    (sympy.Abs(x - y), "abs(x - y)"),
    (sympy.sign(x), "sign(x)"),
    (sympy.floor(x / 2), "floor(1/2 * x)"),
    (sympy.ceiling(x), "-floor(-x)"),
    (sympy.Heaviside(x), "heaviside(x)"),
    (sympy.Heaviside(x, 0), "step(x)"),
    (sympy.Heaviside(x, 1), "where(x > 0, 1, where(x < 0, 0, 1))"),
    (sympy.Piecewise((x, x > 0), (0, True)), "where(x > 0, x, 0)"),
    (sympy.Piecewise((x, x > 1), (y, x < -1), (0, True)), "where(x > 1, x, where(x < -1, y, 0))"),
    (sympy.Piecewise((x, sympy.And(x > 0, y <= 1)), (-x, True)), "where(y <= 1 and x > 0, x, -x)"),  # sympy's order
    (sympy.Piecewise((1, sympy.Or(sympy.Eq(x, 0), sympy.Ne(y, 1))), (0, True)), "where(x == 0 or y != 1, 1, 0)"),
    (sympy.Piecewise((1, sympy.Not(x >= y)), (0, True)), "where(x < y, 1, 0)"),  # sympy rewrites Not(x >= y)
    (sympy.Function("round_half_even")(x), "round(x)"),
    (sympy.Integer(3), "3"),
]


@pytest.mark.parametrize("expr, text", FROM_SYMPY, ids=[str(e) for e, _ in FROM_SYMPY])
def test_from_sympy(expr, text):
    p = from_sympy(expr)
    assert p.to_text() == text
    assert p.outputs == parse(text, p.inputs).outputs  # same canonical nodes as the parser


LIFTED = [(sympy.sqrt(x), "sqrt(x)"), (x ** sympy.Rational(3, 2), "x**(3/2)"), (1 / x, "1 / x"),
          (x / y, "x * (1 / y)"), (x ** -2, "1 / x**2"), (sympy.sqrt(x ** 2 + y ** 2), "sqrt(x**2 + y**2)")]


@pytest.mark.parametrize("expr, text", LIFTED, ids=[str(e) for e, _ in LIFTED])
def test_from_sympy_roots_and_quotients_are_lifted(expr, text):
    """Roots and quotients become the parser's nodes (the same canonical DAG), and back."""
    p = from_sympy(expr)
    assert p.outputs == parse(text, p.inputs).outputs
    back = to_sympy(p)[0]
    back = back.subs({v: sympy.Symbol(v.name) for v in back.free_symbols})   # the bridge's symbols are real
    assert sympy.simplify(back - expr) == 0


UNSUPPORTED = [
    (sympy.sin(x), ["'sin'", "because", "periodic"]),
    (sympy.exp(x) + 1, ["'exp'", "because", "transcendental"]),
    (sympy.log(x), ["'log'", "because"]),
    (sympy.tanh(x), ["'tanh'", "because"]),
    (x ** y, ["power y"]),
    (sympy.pi * x, ["'pi'", "not a rational number"]),
    (sympy.sqrt(2) * x, ["irrational constant"]),
    (sympy.oo, ["not a finite real number"]),
    (sympy.Piecewise((x, x > 0)), ["undefined where no condition holds"]),
    (sympy.Mod(x, 2), ["'Mod'", "because"]),
    (sympy.Heaviside(x, y), ["value at 0"]),
    (sympy.Function("f")(x), ["'f'", "because"]),
]


@pytest.mark.parametrize("expr, fragments", UNSUPPORTED, ids=[str(e) for e, _ in UNSUPPORTED])
def test_from_sympy_unsupported(expr, fragments):
    with pytest.raises(UnsupportedError) as info:
        from_sympy(expr)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_from_sympy_conditions_and_numbers_are_checked():
    with pytest.raises(InputError, match="used as a number"):
        from_sympy(x > 0)
    with pytest.raises(InputError, match="expected a condition"):
        from_sympy(sympy.Piecewise((1, sympy.And(x > 0, sympy.Symbol("b"))), (0, True)))


def test_from_sympy_variables():
    assert from_sympy(y + x).inputs == ("x", "y")
    assert from_sympy(y + x, "y, x").inputs == ("y", "x")
    assert from_sympy([x, 3], ["x", "t"]).inputs == ("x", "t")
    with pytest.raises(InputError, match="variable 'y'"):
        from_sympy(x + y, ["x"])


def test_from_sympy_several_outputs_and_python_numbers():
    p = from_sympy([sympy.Max(x, y), sympy.Min(x, y), 0.5, Fraction(1, 3)])
    assert p.n_outputs == 4
    assert exact_value(p, [1, 2]) == (2, 1, Fraction(1, 2), Fraction(1, 3))


def test_to_sympy_symbols_and_shapes():
    p = parse("relu(x) + y**2, sort(x, y)[1], where(x > y, 1, 0)")
    exprs = to_sympy(p)
    assert len(exprs) == 3
    assert exprs[0] == sympy.Max(rx, 0) + ry ** 2
    assert exprs[1] == sympy.Max(rx, ry)
    assert all(s.is_real for s in symbols_for(p.inputs))
    assert to_sympy(p, [x, y])[0] == sympy.Max(x, 0) + y ** 2
    with pytest.raises(InputError):
        to_sympy(p, [x])


TEXTS = [
    "relu(x) - relu(-x)", "x - (relu(-x) - relu(x) + x)", "max(x, y, 0) - min(x, 2*y)", "clip(x, -1, 1) + clip(y, 0, inf)",
    "clip(x, y, y + 1)", "leaky_relu(x) + leaky_relu(y, 1/10)", "hardtanh(2*x) + relu6(3*y)", "sort(x, y, 0)",
    "where(x > 0 and not y == 0, x*y, -x)", "where(x >= y or x < -1, 1, 0)", "sign(x) * y + step(y) - heaviside(x)",
    "floor(x) + round(y)", "abs(abs(x) - 1)", "(x - y)**3", "1/2",
]


@pytest.mark.parametrize("text", TEXTS)
def test_round_trip_is_the_same_function(text):
    p = parse(text)
    q = from_sympy(to_sympy(p), p.inputs)
    assert q.inputs == p.inputs and q.n_outputs == p.n_outputs
    rng = random.Random(text)
    grid = [Fraction(v, 2) for v in range(-6, 7)]
    for _ in range(60):
        point = [rng.choice(grid) for _ in p.inputs]
        assert exact_value(q, point) == exact_value(p, point), (text, point)


def test_deep_expressions_convert_without_recursion():
    # deeper than Python's recursion limit; sympy's own assumption system recurses on deep
    # Max/Abs nests, so the deep expression here is a polynomial (sympy keeps it unexpanded)
    depth = 1500
    e, value = x, Fraction(1, 2)
    point = [Fraction(1, 2), Fraction(-1)]  # x, y
    for i in range(depth):
        e = (e - 1) * y if i % 2 else (e + x) * 2
        value = (value - 1) * point[1] if i % 2 else (value + point[0]) * 2
    p = from_sympy(e)
    assert len(p.topological_order()) > depth
    assert exact_value(p, point)[0] == value
    assert exact_value(from_sympy(to_sympy(p)), point) == exact_value(p, point)


def test_node_for_true_condition():
    p = from_sympy(sympy.Piecewise((x, sympy.Or(x > 0, sympy.true)), (0, True)))
    assert p.to_text() == "x"  # sympy simplifies the condition away
    q = from_sympy(sympy.Piecewise((x, y > 0), (1, True)), "x y")
    assert q.outputs[0].args[0] is Node.make("gt", (Node.var("y"), Node.const(0)))


def test_round_evaluates_in_sympy_and_numpy():
    from semialg.numeric import evaluate

    p = parse("round(round(x / 2) + 1/2)")
    (expr,) = to_sympy(p)
    assert expr.subs(symbols_for(["x"])[0], 1) == 0  # round(1/2) = 0, round(0 + 1/2) = 0
    assert expr.subs(symbols_for(["x"])[0], 3) == 2  # round(3/2) = 2, round(5/2) = 2
    assert evaluate(p, [[1.0], [3.0]]).tolist() == [[0.0], [2.0]]
    assert from_sympy(expr).outputs == p.outputs
