"""Derivative rules: every row of docs/frameworks.md, overrides, Clarke sets, bad rule input."""
from fractions import Fraction as Q

import pytest

from semialg.core.errors import InputError
from semialg.frontends.text import parse
from semialg.rules import derivative_at, get_rule, parse_override

H = Q(1, 2)

# (expression, point, {rule: expected gradient at the point}) -- one line per entry of docs/frameworks.md.
FRAMEWORKS_ROWS = [
    ("relu(x)", [0], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("max(x, 0)", [0], {"pytorch": (H,), "jax": (H,), "tensorflow": (1,)}),
    ("max(0, x)", [0], {"pytorch": (H,), "jax": (H,), "tensorflow": (0,)}),
    ("clamp(x, 0, inf)", [0], {"pytorch": (1,)}),
    ("abs(x)", [0], {"pytorch": (0,), "jax": (1,), "tensorflow": (0,)}),
    ("sign(x)", [0], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("floor(x)", [0], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("round(x)", [H], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("max(x, y)", [0, 0], {"pytorch": (H, H), "jax": (H, H), "tensorflow": (1, 0)}),
    ("min(x, y)", [0, 0], {"pytorch": (H, H), "jax": (H, H), "tensorflow": (1, 0)}),
    ("max(x, y, z)", [1, 1, 1], {r: (Q(1, 3),) * 3 for r in ("pytorch", "jax", "tensorflow")}),
    ("max(x, y, z)", [1, 1, 0], {r: (H, H, 0) for r in ("pytorch", "jax", "tensorflow")}),
    ("min(x, y, z)", [0, 0, 0], {r: (Q(1, 3),) * 3 for r in ("pytorch", "jax", "tensorflow")}),
    ("clip(x, 0, 1)", [0], {"pytorch": (1,), "jax": (H,), "tensorflow": (1,)}),
    ("clip(x, 0, 1)", [1], {"pytorch": (1,), "jax": (H,), "tensorflow": (1,)}),
    ("clamp(x, 0, 1)", [0], {"pytorch": (1,), "jax": (0,)}),
    ("clamp(x, 0, 1)", [1], {"pytorch": (1,), "jax": (0,)}),
    ("leaky_relu(x, 1/5)", [0], {"pytorch": (Q(1, 5),), "jax": (1,), "tensorflow": (Q(1, 5),)}),
    ("hardtanh(x)", [-1], {"pytorch": (0,), "jax": (1,), "tensorflow": (1,)}),
    ("hardtanh(x)", [1], {"pytorch": (0,), "jax": (1,), "tensorflow": (1,)}),
    ("relu6(x)", [0], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("relu6(x)", [6], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("where(x > 0, x, 0)", [0], {"pytorch": (0,), "jax": (0,), "tensorflow": (0,)}),
    ("where(x >= 0, x, -x)", [0], {"pytorch": (1,), "jax": (1,), "tensorflow": (1,)}),
]


@pytest.mark.parametrize("expr,point,expected", FRAMEWORKS_ROWS, ids=[f"{r[0]}@{r[1]}" for r in FRAMEWORKS_ROWS])
def test_frameworks_table(expr, point, expected):
    program = parse(expr)
    for rule, gradient in expected.items():
        got = derivative_at(program, point, rule)
        assert got == [[tuple(Q(g) for g in gradient)]], (rule, got)


@pytest.mark.parametrize("rule", ["pytorch", "jax", "tensorflow"])
def test_sort_ties_stable_ascending(rule):
    # x = [1, 0, 1]: Jacobian rows e1, e0, e2 in all three frameworks
    got = derivative_at(parse("sort(x0, x1, x2)", "x0,x1,x2"), [1, 0, 1], rule)
    rows = [g[0] for g in got]
    assert rows == [(0, 1, 0), (1, 0, 0), (0, 0, 1)]


def test_torch_max_dim_first_index_is_an_override():
    got = derivative_at(parse("max(x, y, z)"), [1, 1, 1], get_rule("pytorch", ["max.tie=first"]))
    assert got == [[(1, 0, 0)]]


def test_clarke_rule_gives_sets():
    assert derivative_at(parse("relu(x)"), [0], "clarke") == [[(0,), (1,)]]
    assert derivative_at(parse("abs(x)"), [0], "clarke") == [[(-1,), (1,)]]
    assert derivative_at(parse("max(x, y, z)"), [0, 0, 0], "clarke") == [[(0, 0, 1), (0, 1, 0), (1, 0, 0)]]
    # the chain rule with Clarke sets: relu(x) - relu(x) has vertices 0 and also +-1 combinations
    assert set(derivative_at(parse("relu(x) + relu(2*x)"), [0], "clarke")[0]) == {(0,), (1,), (2,), (3,)}


def test_spelling_matters_for_relu():
    # relu, relu2 and relu3 of the seeds: the same function, three backprop values at 0 under TensorFlow
    relu2 = "relu(-x) + x"
    relu3 = "1/2 * (relu(x) + relu(-x) + x)"
    assert derivative_at(parse("relu(x)"), [0], "tensorflow") == [[(0,)]]
    assert derivative_at(parse(relu2), [0], "tensorflow") == [[(1,)]]
    assert derivative_at(parse(relu3), [0], "tensorflow") == [[(H,)]]


def test_overrides():
    assert derivative_at(parse("relu(x)"), [0], get_rule("pytorch", ["relu'(0)=1"])) == [[(1,)]]
    assert derivative_at(parse("relu(x)"), [0], get_rule("pytorch", ["relu'(0)=[0,1]"])) == [[(0,), (1,)]]
    assert derivative_at(parse("abs(x)"), [0], get_rule("jax", ["abs'(0)=-1/2"])) == [[(-H,)]]
    assert derivative_at(parse("hardtanh(x)"), [1], get_rule("pytorch", ["hardtanh'(1)=1"])) == [[(1,)]]
    assert get_rule("jax", ["relu'(0)=1"]).name == "jax+relu'(0)=1"


@pytest.mark.parametrize("text,message", [
    ("relu'(0)", "not of the form KEY=VALUE"),
    ("rleu'(0)=1", "did you mean \"relu'(0)\"".replace('"', "'")),
    ("relu'(0)=one", "not an exact number"),
    ("max.tie=middle", "takes one of split, first, last, clarke"),
    ("relu'(0)=[]", "empty value"),
])
def test_bad_overrides(text, message):
    with pytest.raises(InputError, match=None) as info:
        parse_override(text)
    assert message in str(info.value)


def test_unknown_rule_suggests():
    with pytest.raises(InputError, match="did you mean 'pytorch'"):
        get_rule("torch")


def test_point_with_wrong_length():
    with pytest.raises(InputError, match="2 variables"):
        derivative_at(parse("max(x, y)"), [0], "jax")
