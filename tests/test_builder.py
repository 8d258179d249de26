"""semialg.frontends.builder: Python-built programs are the same nodes as parsed text."""
import math
from fractions import Fraction

import numpy as np
import pytest

from semialg.core.dag import Node
from semialg.core.errors import InputError, UnsupportedError
from semialg.frontends import builder as B
from semialg.frontends.builder import (
    Expr,
    abs_,
    clamp,
    clip,
    floor,
    hardtanh,
    heaviside,
    leaky_relu,
    max_,
    min_,
    program,
    relu,
    relu6,
    round_,
    sign,
    sort,
    step,
    variables,
    where,
)
from semialg.frontends.text import parse
from semialg.numeric import exact_value

x, y, z = variables("x y z")

SAME_AS_TEXT = [
    (lambda: relu(x + y), "relu(x + y)"),
    (lambda: relu(-x) - relu(x) + x, "relu(-x) - relu(x) + x"),
    (lambda: x - (relu(-x) - relu(x) + x), "x - (relu(-x) - relu(x) + x)"),
    (lambda: 1 - x, "1 - x"),
    (lambda: 2 * x * y + 3, "2 * x * y + 3"),
    (lambda: x / 4 - y / 0.5, "x / 4 - y / 0.5"),
    (lambda: 0.1 * x, "0.1 * x"),
    (lambda: Fraction(1, 3) * x, "x / 3"),
    (lambda: (x + y) ** 2 - x ** 3, "(x + y)**2 - x**3"),
    (lambda: x ** 1, "x"),
    (lambda: abs(x - 1), "abs(x - 1)"),
    (lambda: abs_(x) + abs_(y), "abs(x) + abs(y)"),
    (lambda: max_(x, y, 0), "max(x, y, 0)"),
    (lambda: min_([x, 1 - x]), "min(x, 1 - x)"),
    (lambda: clip(x, 0, 1), "clip(x, 0, 1)"),
    (lambda: clip(x, 0), "clip(x, 0, inf)"),
    (lambda: clip(x, 0, math.inf), "clip(x, 0, inf)"),
    (lambda: clip(x, -math.inf, 2), "clip(x, -inf, 2)"),
    (lambda: clip(x, hi=2), "clip(x, -inf, 2)"),
    (lambda: clamp(x, y, y + 1), "clamp(x, y, y + 1)"),
    (lambda: leaky_relu(x), "leaky_relu(x)"),
    (lambda: leaky_relu(x, 0.1), "leaky_relu(x, 1/10)"),
    (lambda: hardtanh(2 * x) + relu6(x), "hardtanh(2*x) + relu6(x)"),
    (lambda: sort(x, y, 0)[1], "sort(x, y, 0)[1]"),
    (lambda: where(x > 0, x, 0), "where(x > 0, x, 0)"),
    (lambda: where((x > 0) & (y <= 1), x * y, -x), "where(x > 0 and y <= 1, x * y, -x)"),
    (lambda: where((x > 0) & (y > 0) & (z > 0), 1, 0), "where(x > 0 and y > 0 and z > 0, 1, 0)"),
    (lambda: where((x > 0) | ~(y == 0), 1, 0), "where(x > 0 or not y == 0, 1, 0)"),
    (lambda: where(x != y, x, y), "where(x != y, x, y)"),
    (lambda: where(x >= 1, x, y), "where(x >= 1, x, y)"),
    (lambda: sign(x) * x + step(y) + heaviside(z), "sign(x) * x + step(y) + heaviside(z)"),
    (lambda: floor(x) + round(y) + round_(z), "floor(x) + round(y) + round(z)"),
    (lambda: 2 ** 3 * x, "8 * x"),
    (lambda: +x, "x"),
]


@pytest.mark.parametrize("build, text", SAME_AS_TEXT, ids=[t for _, t in SAME_AS_TEXT])
def test_builder_builds_the_parsed_nodes(build, text):
    built = program(build())
    parsed = parse(text)
    assert built.outputs[0] is parsed.outputs[0]
    assert built.inputs == parsed.inputs


def test_vector_outputs():
    p = program([max_(x, y), *sort(x, y)])
    assert p.outputs == parse("max(x, y), sort(x, y)").outputs
    assert program(sort(x, y)).outputs == parse("sort(x, y)").outputs
    assert program((x, [y, 1])).n_outputs == 3


def test_inputs():
    assert program(x + y).inputs == ("x", "y")
    assert program(x + y, inputs="y, x").inputs == ("y", "x")
    assert program(x, inputs=[x, y]).inputs == ("x", "y")
    assert program(3).inputs == ()
    with pytest.raises(InputError, match="not in the inputs"):
        program(x + y, inputs="x")
    with pytest.raises(InputError, match="listed twice"):
        program(x, inputs="x x")
    with pytest.raises(InputError, match="at least one output"):
        program([])


def test_exact_numbers():
    assert (x * 0.1).node.args[0].param == Fraction(1, 10)
    assert (x + 1e-3).node.args[1].param == Fraction(1, 1000)
    assert (x * np.float64(0.25)).node.args[0].param == Fraction(1, 4)
    assert (np.float64(0.5) * x).node is (x / 2).node
    assert (x * np.int64(3)).node is (3 * x).node


def test_variables_api():
    assert [v.node.param for v in variables(["a", "b"])] == ["a", "b"]
    (t,) = variables("t")
    assert isinstance(t, Expr) and t.node is Node.var("t")
    with pytest.raises(InputError, match="not a valid variable name"):
        variables("x 2y")
    with pytest.raises(InputError, match="no variable names"):
        variables("")


BAD = [
    (lambda: x / 0, InputError, "division by zero"),
    (lambda: x ** y, UnsupportedError, "non-constant exponent"),
    (lambda: 2 ** x, UnsupportedError, "non-constant exponent"),
    (lambda: (x > 0) + 1, InputError, "condition is used as a number"),
    (lambda: relu(x > 0), InputError, "condition is used as a number"),
    (lambda: where(x, 1, 0), InputError, "expected a condition"),
    (lambda: where(True, 1, 0), InputError, "Python truth value"),
    (lambda: x & y, InputError, "expected a condition"),
    (lambda: ~x, InputError, "expected a condition"),
    (lambda: program(x > 0), InputError, "an output is a condition"),
    (lambda: bool(x > 0), InputError, "has no truth value"),
    (lambda: 0 < x < 1, InputError, r"\(0 < x\) & \(x < 1\)"),
    (lambda: (x > 0) and (y > 0), InputError, "no truth value"),
    (lambda: x + "a", InputError, "cannot use 'a'"),
    (lambda: x + True, InputError, "truth value, not a number"),
    (lambda: x + math.inf, InputError, "not a finite real number"),
    (lambda: x + math.nan, InputError, "not a finite real number"),
    (lambda: max_(x), InputError, "at least 2 arguments"),
    (lambda: sort(), InputError, "at least 1 argument"),
    (lambda: clip(x, 1, 0), InputError, "lower bound 1 above upper bound 0"),
    (lambda: clip(x), InputError, "at least one finite bound"),
    (lambda: clip(x, math.inf, 1), InputError, "lower bound of clip cannot be inf"),
    (lambda: leaky_relu(x, y), InputError, "slope of leaky_relu must be a constant"),
    (lambda: round(x, 2), InputError, "ndigits"),
    (lambda: Expr("x"), InputError, "wraps a Node"),
]


@pytest.mark.parametrize("build, error, fragment", BAD, ids=[f[2] for f in BAD])
def test_bad_builds(build, error, fragment):
    with pytest.raises(error, match=fragment):
        build()


def test_expr_is_immutable_and_hashable():
    e = relu(x)
    with pytest.raises(AttributeError):
        e.node = x.node
    assert len({relu(x), relu(x), relu(y)}) == 2
    assert relu(x) is relu(x) and {relu(x): 1}[relu(x)] == 1
    import pickle
    assert pickle.loads(pickle.dumps(relu(x))) is relu(x)
    assert repr(e) == "Expr('relu(x)')"
    assert (x == y).node.op == "eq" and (x != 1).node.op == "ne"
    assert e.is_condition is False and (x < y).is_condition is True


def test_builder_values():
    p = program([relu(x - y), where(x > y, x, y) - max_(x, y)], inputs="x y")
    assert exact_value(p, [3, 1]) == (2, 0)
    assert exact_value(p, [-1, 4]) == (0, 0)


def test_module_exports_everything_it_documents():
    for name in B.__all__:
        assert hasattr(B, name)
