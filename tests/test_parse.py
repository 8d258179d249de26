"""semialg.parse: the grammar, exact numbers, and a table of bad inputs with their messages."""
from fractions import Fraction

import pytest

from semialg.core.dag import Node, to_text
from semialg.core.errors import InputError, ParseError, SemialgError, UnsupportedError
from semialg.frontends.text import parse, parse_point

# (text, variables, error class, [message fragments], column or None)
BAD_INPUTS = [
    # formulas written for somewhere else, with the fix
    ("relu(x) && x > 0", None, ParseError, ["write 'and' for '&&'"], 10),
    ("relu(x) || 1", None, ParseError, ["write 'or' for '||'"], 10),
    ("ReLU(x)", None, ParseError, ["unknown function 'ReLU'", "did you mean 'relu'"], 1),
    ("2x + 1", None, ParseError, ["write 2*x for 2x"], 1),
    ("2(x + 1)", None, ParseError, ["write 2*(...)"], 1),
    ("torch.relu(x)", None, ParseError, ["'torch.relu'", "semialg writes relu(x)", "--rule pytorch"], 1),
    ("np.maximum(x, 0)", None, ParseError, ["'np.maximum'", "semialg writes max(a, b)"], 1),
    ("jnp.clip(x, 0, 1)", None, ParseError, ["semialg writes clip(x, lo, hi)"], 1),
    ("relu(\u2212x)", None, ParseError, ["unicode minus: write '-'"], 6),
    ("relu(x) \u2264 1", None, ParseError, ["write '<=' for"], 9),
    # unknown names, with suggestions
    ("rleu(x)", None, ParseError, ["unknown function 'rleu'", "did you mean 'relu'"], 1),
    ("relu6(x) + maxx(x, y)", None, ParseError, ["unknown function 'maxx'", "did you mean 'max'"], 12),
    ("absx(x)", None, ParseError, ["did you mean 'abs'"], 1),
    ("hardtahn(x)", None, ParseError, ["did you mean 'hardtanh'"], 1),
    ("zzzq(x)", None, ParseError, ["unknown function 'zzzq'", "known functions:", "relu"], 1),
    ("xx + y", ["x", "y", "xy"], ParseError, ["unknown variable 'xx'", "the variables are x, y, xy"], 1),
    ("x + z", ["x", "y"], ParseError, ["unknown variable 'z'", "the variables are x, y"], 5),
    ("x < y < z", ["x", "y"], ParseError, ["unknown variable 'z'"], 9),
    # outside the semialgebraic / piecewise-polynomial fragment: say why
    ("sin(x)", None, UnsupportedError, ["'sin'", "not supported, because", "periodic"], 1),
    ("exp(x) + 1", None, UnsupportedError, ["'exp'", "because", "transcendental"], 1),
    ("2 * log(x)", None, UnsupportedError, ["'log'", "because"], 5),
    ("tanh(x)", None, UnsupportedError, ["'tanh'", "because", "hardtanh"], 1),
    ("softplus(x)", None, UnsupportedError, ["because", "relu"], 1),
    ("ceil(x)", None, UnsupportedError, ["because", "-floor(-a)"], 1),
    ("pi * x", None, UnsupportedError, ["'pi'", "because", "transcendental"], 1),
    ("e + x", None, UnsupportedError, ["'e'", "because"], 1),
    ("x**y", None, UnsupportedError, ["non-constant exponent", "because"], 4),
    ("2**(1/2)", None, UnsupportedError, ["the power **1/2 at column 5 of a constant", "write the number"], 5),
    ("0**(-1)", None, ParseError, ["zero to a negative power at column 5 is undefined"], 5),
    ("rpow(x)", None, ParseError, ["rpow at column 1 is internal", "a**(p/q)"], 1),
    ("norm1()", None, ParseError, ["norm1(a, b, ...) at column 1 takes one or more arguments"], 1),
    ("norm()", None, ParseError, ["norm", "argument"], 1),
    ("cbrt(x, y)", None, ParseError, ["cbrt", "takes 1 argument, got 2"], 1),
    ("x % 2", None, UnsupportedError, ["operator '%'"], 1),
    ("x // 2", None, UnsupportedError, ["operator '//'"], 1),
    ("x > 0 & y > 0", None, UnsupportedError, ["operator '&'", "combine conditions with 'and'"], 5),
    ("(x > 0) | (y > 0)", None, UnsupportedError, ["operator '|'", "combine conditions with 'or'"], 1),
    ("x / 0", None, ParseError, ["division by zero"], 5),
    # syntax
    ("x^2", None, ParseError, ["'^' at column 2", "write x**2"], 2),
    ("relu(x", None, ParseError, ["syntax error at column 5", "never closed"], 5),
    ("  x + * y", None, ParseError, ["syntax error at column 7"], 7),
    ("x = 1", None, ParseError, ["syntax error at column 3"], 3),
    ("", None, ParseError, ["empty expression"], None),
    ("   ", None, ParseError, ["empty expression"], None),
    ("lambda x: x", None, ParseError, ["is not part of the expression language"], 1),
    ("[x, y]", None, ParseError, ["is not part of the expression language"], 1),
    ("'a' + x", None, ParseError, ["constant 'a'", "not a real number"], 1),
    ("True * x", None, ParseError, ["constant True", "not a real number"], 1),
    ("math.sqrt(x)", None, ParseError, ["only plain function names can be called"], 1),
    ("~x", None, ParseError, ["operator '~'", "use not"], 1),
    ("x is y", None, ParseError, ["only the comparisons < <= > >= == != are supported"], 6),
    # arity and arguments
    ("relu(x, y)", None, ParseError, ["relu at column 1 takes 1 argument, got 2"], 1),
    ("hardtanh(x, 1)", None, ParseError, ["hardtanh", "takes 1 argument, got 2"], 1),
    ("max(x)", None, ParseError, ["max", "takes at least 2 arguments, got 1"], 1),
    ("where(x > 0, x)", None, ParseError, ["where", "takes 3 arguments (cond, a, b), got 2"], 1),
    ("leaky_relu(x, 1, 2)", None, ParseError, ["leaky_relu", "takes 1 or 2 arguments"], 1),
    ("leaky_relu(x, y)", None, ParseError, ["slope of leaky_relu", "must be a constant"], 15),
    ("relu(x=1)", None, ParseError, ["takes no keyword arguments"], 8),
    ("relu", None, ParseError, ["'relu'", "is a function; call it"], 1),
    # sort needs an index inside expressions
    ("sort(x, y) + 1", None, ParseError, ["returns a vector", "sort(x, y)[0]"], 1),
    ("relu(sort(x, y))", None, ParseError, ["returns a vector"], 6),
    ("sort(x, y)[2]", None, ParseError, ["sort index", "from 0 to 1"], 12),
    ("sort(x, y)[x]", None, ParseError, ["sort index"], 12),
    ("x[0]", None, ParseError, ["indexing", "only supported on sort"], 1),
    # conditions vs numbers
    ("x > 0", None, ParseError, ["a condition at column 1 is used as a number", "where(cond, a, b)"], 1),
    ("relu(x > 0)", None, ParseError, ["condition", "used as a number"], 6),
    ("where(x > 0, 1, 0) + (y < 1)", None, ParseError, ["used as a number"], 23),
    ("where(x, 1, 0)", None, ParseError, ["expected a condition at column 7"], 7),
    ("where(x > 0 and y, 1, 0)", None, ParseError, ["expected a condition at column 17"], 17),
    ("not x", None, ParseError, ["expected a condition"], 5),
    ("x if x else y", None, ParseError, ["expected a condition"], 6),
    # clip bounds
    ("clip(x, 1, 0)", None, ParseError, ["lower bound 1 above upper bound 0"], 1),
    ("clip(x, inf, 1)", None, ParseError, ["lower bound of clip", "cannot be +inf"], 9),
    ("clip(x, 0, -inf)", None, ParseError, ["upper bound of clip", "cannot be -inf"], 12),
    ("clip(x, -inf, inf)", None, ParseError, ["needs at least one finite bound"], 1),
    ("clip(x, foo=1)", None, ParseError, ["no keyword 'foo'"], 1),
    ("clip(x, 0, 1, 2)", None, ParseError, ["takes (a, lo, hi)"], 1),
    ("inf * x", None, ParseError, ["'inf'", "only allowed as a bound of clip"], 1),
]


@pytest.mark.parametrize("text, variables, error, fragments, column", BAD_INPUTS,
                         ids=[repr(case[0]) for case in BAD_INPUTS])
def test_bad_input_messages(text, variables, error, fragments, column):
    with pytest.raises(error) as info:
        parse(text, variables)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert isinstance(info.value, SemialgError) and isinstance(info.value, ValueError)
    assert info.value.column == column
    if column is not None:
        assert f"column {column}" in message
        caret = info.value.pretty().splitlines()
        assert caret[-2] == "  " + text and caret[-1] == "  " + " " * (column - 1) + "^"


def test_bad_table_is_large_enough():
    assert len(BAD_INPUTS) >= 30


BAD_POINTS = [
    ("x=1/2", ["the point gives no value for y", "x=0,y=0"]),
    ("x=1/2,y", ["'y' in the point is not of the form name=value"]),
    ("x=a,y=0", ["value 'a' for x is not an exact rational"]),
    ("x=1/0,y=0", ["value '1/0' for x"]),
    ("z=1,x=0,y=0", ["'z' in the point is not a variable", "the variables are x, y"]),
    ("xx=1,y=0", ["did you mean 'x'"]),
    ("x=1,y=2,x=3", ["'x' is given twice"]),
    ("", ["no value for x, y"]),
    ("x==1,y=0", ["not an exact rational"]),
]


@pytest.mark.parametrize("text, fragments", BAD_POINTS)
def test_bad_points(text, fragments):
    with pytest.raises(InputError) as info:
        parse_point(text, ["x", "y"])
    for fragment in fragments:
        assert fragment in str(info.value)


def test_points_are_exact_and_ordered():
    assert parse_point("y=0.1, x=-3/4", ["x", "y"]) == (Fraction(-3, 4), Fraction(1, 10))
    assert parse_point("x = 2; y = 1e-3", ["x", "y"]) == (Fraction(2), Fraction(1, 1000))
    assert parse_point("", []) == ()


def test_bad_variable_lists():
    with pytest.raises(InputError, match="not a valid variable name"):
        parse("x", ["x", "2y"])
    with pytest.raises(InputError, match="listed twice"):
        parse("x", "x, x")
    with pytest.raises(InputError, match="expected the expression as text"):
        parse(3)


# --------------------------------------------------------------------------- good inputs
def test_numbers_are_exact():
    x = Node.var("x")
    assert parse("0.1 * x").outputs == parse("x / 10").outputs == parse("1/10 * x").outputs
    assert parse("0.1 * x").outputs[0].args[0].param == Fraction(1, 10)
    assert parse("1e-3 + x").outputs[0].args[1].param == Fraction(1, 1000)
    assert parse("1_000 * x").outputs[0].args[0].param == 1000
    assert parse("2**-2 * x").outputs[0].args[0].param == Fraction(1, 4)
    assert parse("x * 3 / 4").outputs[0].args == (Node.const(Fraction(3, 4)), x)
    assert parse("1e400 * x").outputs[0].args[0].param == 10 ** 400


def test_variables_default_sorted_and_explicit_order():
    assert parse("y + x").inputs == ("x", "y")
    assert parse("y + x", "y x").inputs == ("y", "x")
    assert parse("x", ["x", "unused"]).inputs == ("x", "unused")
    assert parse("3").inputs == ()


def test_vector_outputs_and_sort():
    p = parse("max(x, y), min(x, y)")
    assert p.n_outputs == 2
    s = parse("sort(x, y, 0)")
    assert s.n_outputs == 3 and [o.param for o in s.outputs] == [0, 1, 2]
    assert s.outputs[0] is parse("sort(x, y, 0)[0]").outputs[0]


def test_spellings_are_distinct_nodes():
    """relu(x), max(x, 0), max(0, x) and clip(x, 0, inf) are the same function spelled differently."""
    ops = [parse(t).outputs[0] for t in ("relu(x)", "max(x, 0)", "max(0, x)", "clip(x, 0, inf)", "clamp(x, min=0)")]
    assert len({id(o) for o in ops}) == 5
    assert ops[3].op == "clip" and ops[3].param == "lo"
    assert ops[4].op == "clamp" and ops[4].param == "lo"


def test_aliases_and_keywords():
    assert parse("maximum(x, y)").outputs == parse("max(x, y)").outputs
    assert parse("clip(x, lo=0, hi=1)").outputs == parse("clip(x, 0, 1)").outputs
    assert parse("clip(x, a_max=1)").outputs == parse("clip(x, -inf, 1)").outputs
    assert parse("clip(x, None, 1)").outputs == parse("clip(x, -inf, 1)").outputs


def test_conditions():
    p = parse("where(0 < x < 1, x, 0)")
    cond = p.outputs[0].args[0]
    assert cond.op == "and" and [c.op for c in cond.args] == ["lt", "lt"]
    assert parse("x if x > 0 else 0").outputs == parse("where(x > 0, x, 0)").outputs
    assert parse("where(not x > 0, 1, 0)").outputs[0].args[0].op == "not"


def test_columns_account_for_leading_spaces():
    with pytest.raises(ParseError) as info:
        parse("   rleu(x)")
    assert info.value.column == 4


def test_hash_consing_shares_subexpressions():
    p = parse("relu(x - y) + relu(x - y) * 2")
    assert len([n for n in p.topological_order() if n.op == "relu"]) == 1


# --------------------------------------------------------------------------- round trips (parse <-> to_text)
ROUND_TRIP = [
    "x", "-x", "x - 1", "1 - x", "-(x * y)", "-2 * x + 3", "x**2 - 2*x*y + y**3", "(x + y)**2", "(-x)**3",
    "1/2 * x - 3/4", "x * (y - 1)", "relu(x) - relu(-x)", "abs(x - y) / 3", "max(x, y, 0)", "min(x, 1 - x)",
    "clip(x, 0, 1)", "clip(x, 0, inf)", "clamp(x, -inf, 2)", "clip(x, y, y + 1)", "leaky_relu(x)",
    "leaky_relu(x, 1/10)", "leaky_relu(x, -1/2)", "hardtanh(2*x)", "relu6(x - 3)", "sort(x, y, 0)",
    "sort(x, y)[1] - sort(x, y)[0]", "where(x > 0, x, 0)", "where(x > 0 and y <= 1, x * y, -x)",
    "where(x > 0 or not y == 0, 1, 0)", "where(not (x > 0 and y > 0), x, y)", "where((x > 0 or y > 0) and x < 1, x, 0)",
    "x if x != y else 0", "where(0 < x < 1, x, 0)", "sign(x) * x", "step(x) + heaviside(y)", "floor(x) + round(y)",
    "max(x, y), min(x, y)", "relu(relu(x) - 1)", "-relu(-x)", "-(x - 1)**2", "x - (relu(-x) - relu(x) + x)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_to_text_round_trip(text):
    p = parse(text)
    canonical = p.to_text()
    again = parse(canonical, p.inputs)
    assert again.outputs == p.outputs, canonical
    assert again.to_text() == canonical
    assert to_text(p.outputs) == [t.strip() for t in _split_outputs(canonical, p.n_outputs)]


def _split_outputs(text: str, n: int) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([" and 1 or ch in ")]" and -1 or 0
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    assert len(parts) == n
    return parts
