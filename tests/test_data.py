"""Parameters as variables, data fixed: bind_data, data= in the API, --params / --data on the CLI."""
import json
import random
from fractions import Fraction

import pytest

import semialg
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.checks.critical import critical
from semialg.cli.app import main
from semialg.core.errors import InputError
from semialg.frontends.data import bind_data, data_names
from semialg.frontends.domains import Box
from semialg.frontends.text import parse
from semialg.numeric import exact_value
from semialg.stratification import stratify

ONE_UNIT = "(v * relu(w * x + b) - y)**2"
TWO_POINTS = [{"x": 1, "y": 0}, {"x": -1, "y": 1}]


def _rational(rng):
    return Fraction(rng.randint(-12, 12), rng.choice([1, 2, 3, 4, 8]))


# --------------------------------------------------------------------------- exact values
@pytest.mark.parametrize("text", [
    ONE_UNIT,
    "max(w1 * x - y, relu(w2 + x * y)) * w1 + abs(w2 - x)",
    "where(x > 0, w1**2 * x, min(w1, w2 * y)), clip(w1 * y + w2, -1, 1)",   # two outputs
])
def test_bound_values_match_substitution_by_hand(text):
    """The bound program at a parameter point equals the mean of the original program evaluated at
    (parameter point, data point), exactly, at random rational points and data."""
    rng = random.Random(text)
    program = parse(text)
    data_vars = [v for v in program.inputs if v in ("x", "y")]
    params = [v for v in program.inputs if v not in data_vars]
    for n_points in (1, 2, 3):
        data = [{v: _rational(rng) for v in data_vars} for _ in range(n_points)]
        bound = bind_data(program, params, data if n_points > 1 else data[0])
        assert bound.inputs == tuple(params)
        for _ in range(5):
            theta = {p: _rational(rng) for p in params}
            by_hand = [exact_value(program, [{**theta, **d}[v] for v in program.inputs]) for d in data]
            mean = tuple(sum(values) / n_points for values in zip(*by_hand))
            assert exact_value(bound, [theta[p] for p in params]) == mean


def test_parameter_order_and_value_kinds():
    program = parse(ONE_UNIT)
    bound = bind_data(program, "b, w, v", {"x": "1/2", "y": 0.1})
    assert bound.inputs == ("b", "w", "v")
    # a float is the exact binary number, not the decimal it prints as
    assert exact_value(bound, [0, 0, 0]) == (Fraction(0.1) ** 2,)
    assert Fraction(0.1) != Fraction(1, 10)
    assert bind_data(program, ["v", "w", "b"], {"x": Fraction(2), "y": -1}).to_text() == \
        "(v * relu(2 * w + b) + 1)**2"


def test_mean_is_one_node_per_output_over_the_parameters():
    bound = bind_data(parse(ONE_UNIT), "v,w,b", TWO_POINTS)
    assert bound.to_text() == "1/2 * ((v * relu(w + b))**2 + (v * relu(-w + b) - 1)**2)"
    assert bound.free_variables() == {"v", "w", "b"}
    assert data_names([{"y": 0, "x": 1}, {"x": 2, "y": 1, "z": 3}]) == ["y", "x", "z"]


@pytest.mark.parametrize("params,data,message", [
    ("v,w", {"x": 1, "y": 0}, "gives no value for b, which is not a parameter"),
    ("v,w,b", [{"x": 1, "y": 0}, {"x": 2}], "data point 2 gives no value for y"),
    ("v,w,b,x", {"x": 1, "y": 0}, "x is both a parameter and a data name"),
    ("v,w,b", {"x": 1, "y": 0, "yy": 2}, "the data name yy is not a variable of the program (did you mean y?)"),
    ("v,w,b,q", {"x": 1, "y": 0}, "the parameter name q is not a variable"),
    ("v,w,b", [], "data= is an empty list"),
    ("v,w,b", [{}], "data point 1 is empty"),
    ("v,w,b", "x=1", "data= takes a dict name -> value"),
    ("v,w,b", [{"x": 1, "y": 0}, [1, 0]], "data point 2 is a list"),
    ("v,w,b", {"x": "one", "y": 0}, "the value 'one' of x is not an exact number"),
    ("v,w,b", {"x": float("nan"), "y": 0}, "is not an exact number"),
    ("v,w,b", {"x": True, "y": 0}, "truth value"),
    ("v,v,w,b", {"x": 1, "y": 0}, "the parameter v is listed twice"),
])
def test_bad_input_names_the_names(params, data, message):
    with pytest.raises(InputError) as info:
        bind_data(parse(ONE_UNIT), params, data)
    assert message in str(info.value)


def test_bind_data_needs_a_program():
    with pytest.raises(InputError, match="takes a Program"):
        bind_data(ONE_UNIT, "v,w,b", TWO_POINTS)


# --------------------------------------------------------------------------- the API
def test_api_binds_first_then_proceeds():
    hand = "1/2 * ((v * relu(w + b))**2 + (v * relu(-w + b) - 1)**2)"
    r = check(ONE_UNIT, "v,w,b", rule="pytorch", data=TWO_POINTS)
    ref = check(hand, "v,w,b", rule="pytorch")
    assert r.program.to_text() == hand and r.program.inputs == ("v", "w", "b")
    assert (r.verdict, len(r.stratification.strata)) == (ref.verdict, len(ref.stratification.strata))
    assert len(stratify(ONE_UNIT, variables="v,w,b", data=TWO_POINTS).strata) == len(ref.stratification.strata)
    # default parameters: every name the data does not fix, alphabetically
    assert check(ONE_UNIT, rule="pytorch", data=TWO_POINTS).program.inputs == ("b", "v", "w")
    # Clarke at (v, w, b) = (1, 0, 0): both kinks w + b = 0, b - w = 0 pass through it; the four
    # cells' gradients (v relu(w+b) terms) are (0,0,0) where both units are off and (0, 1, -1)
    # where only the second is on (the others vanish at the point): computed by hand.
    vertices = clarke_at(ONE_UNIT, [1, 0, 0], variables="v,w,b", data=TWO_POINTS).vertices
    assert sorted(tuple(map(str, v[0])) for v in vertices) == [("0", "0", "0"), ("0", "1", "-1")]
    assert semialg.assert_valid(ONE_UNIT, [1, 1, 1], variables="v,w,b", data=TWO_POINTS).ok


def test_api_bad_input():
    with pytest.raises(InputError, match="gives no value for y"):
        check(ONE_UNIT, "v,w,b", data={"x": 1})
    with pytest.raises(InputError, match="data= binds data names"):
        check(ONE_UNIT, "v,w,b", data=TWO_POINTS, framework="torch", example=[0])


@pytest.mark.parametrize("overrides", [(), ("relu'(0)=1",), ("relu'(0)=5",)])
def test_one_unit_network_is_conservative_for_any_relu_choice(overrides):
    """Backprop with any fixed value s of relu'(0) is conservative: in one variable a field that
    differs from the derivative only at 0 is conservative (an absolutely continuous curve has
    gamma' = 0 a.e. on {gamma = 0}), and compositions of conservative fields are conservative
    (Bolte-Pauwels 2021, the chain rule for conservative fields). So even s = 5, outside Clarke's
    [0, 1], gives a conservative field for the empirical loss in (v, w, b)."""
    r = check(ONE_UNIT, "v,w,b", rule="pytorch", overrides=overrides, data=TWO_POINTS)
    assert r.verdict == "conservative", r.reason


def test_a_wrong_field_over_the_parameters_is_refuted():
    """The control: a hand-written field over the parameters that drops the relu factor's
    derivative in w (the true d/dw of (v relu(w + b) - 1)**2 is 2 (v relu(w+b) - 1) v [w+b>0])."""
    r = check("(v * relu(w * x + b) - y)**2", "v,w,b", data={"x": 1, "y": 1},
              field="2 * (v * relu(w + b) - 1) * relu(w + b), 0, 2 * (v * relu(w + b) - 1) * v * where(w + b > 0, 1, 0)")
    assert r.verdict == "not_conservative"


def test_critical_artificial_point_in_parameter_space():
    """f(w; x, y) = (relu(w x) - relu(-w x) - y)**2 with data (1, 1), (-1, 0): the mean is
    ((w - 1)**2 + w**2) / 2, smooth, derivative 2w - 1, so Clarke critical only at w = 1/2. Backprop
    with relu'(0) = 0 gives 0 at w = 0 (every relu factor is cut there): an artificial critical
    point at w = 0, found exactly; on the box (3/4, 5/4) there is none."""
    text, data = "(relu(w * x) - relu(-w * x) - y)**2", [{"x": 1, "y": 1}, {"x": -1, "y": 0}]
    r = critical(text, "w", rule="pytorch", data=data)
    assert r.verdict == "artificial_critical_points"
    assert [a.sample for a in r.artificial] == [(Fraction(0),)]
    assert r.exit_code == 1
    local = critical(text, "w", rule="pytorch", data=data, domain=Box([1], "1/4"))
    assert local.verdict == "no_artificial_critical_points", local.reason
    # with relu'(0) = 1/2 the field at 0 is 2 (0 - 1) (1/2 + 1/2) / 2 + 2 (0 - 0) ... = -1 = f'(0): none
    half = critical(text, "w", rule="pytorch", overrides=["relu'(0)=1/2"], data=data)
    assert half.verdict == "no_artificial_critical_points", half.reason


# --------------------------------------------------------------------------- the CLI
def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_check_and_critical_json(capsys):
    data = ["--data", "x=1,y=0", "--data", "x=-1,y=1"]
    code, out, _ = run(capsys, "check", ONE_UNIT, "--params", "v,w,b", *data, "--json")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "conservative"
    assert doc["variables"] == ["v", "w", "b"]
    assert doc["function"] == "1/2 * ((v * relu(w + b))**2 + (v * relu(-w + b) - 1)**2)"
    code, out, _ = run(capsys, "critical", "(relu(w * x) - relu(-w * x) - y)**2", "--params", "w",
                       "--data", "x=1,y=1", "--data", "x=-1,y=0", "--json")
    assert code == 1 and json.loads(out)["verdict"] == "artificial_critical_points"
    code, out, _ = run(capsys, "critical", "(relu(w * x) - relu(-w * x) - y)**2", "--params", "w",
                       "--data", "x=1,y=1", "--data", "x=-1,y=0", "--box", "1", "1/4")
    assert code == 0, out


def test_cli_strata_clarke_and_json_file(capsys, tmp_path):
    points = tmp_path / "points.json"
    points.write_text(json.dumps([{"x": 1, "y": 0}, {"x": -1, "y": "1"}]))
    code, out, _ = run(capsys, "strata", ONE_UNIT, "--params", "v,w,b", "--data", f"@{points}", "--json")
    assert code == 0 and len(json.loads(out)["strata"]) == 9
    code, out, _ = run(capsys, "clarke", ONE_UNIT, "--vars", "v,w,b", "--data", f"@{points}", "--at", "v=1,w=0,b=0",
                       "--json")
    assert code == 0 and len(json.loads(out)["vertices"]) == 2
    # a box around an iterate: the center is over the parameters
    code, out, _ = run(capsys, "check", ONE_UNIT, "--params", "v,w,b", "--data", f"@{points}", "--box", "1,1,1", "1/2")
    assert code == 0 and "CONSERVATIVE" in out


@pytest.mark.parametrize("argv,message", [
    (["--params", "v,w", "--data", "x=1,y=0"], "gives no value for b"),
    (["--params", "v,w,b", "--data", "x=1,y"], "expected name=value pairs"),
    (["--params", "v,w,b", "--data", "x=1,x=2,y=0"], "x is given twice"),
    (["--params", "v,w,b", "--vars", "v,b,w", "--data", "x=1,y=0"], "differ: they are the same option"),
    (["--params", "v,w,b", "--data", "@/nonexistent/points.json"], "cannot read"),
    (["--params", "v,w,b", "--data", "x=1,y=0", "--box", "0,0", "1"], "3 variables"),
])
def test_cli_bad_input_exit_2(capsys, argv, message):
    code, _, err = run(capsys, "check", ONE_UNIT, *argv)
    assert code == 2
    assert message in err


def test_cli_data_file_must_be_objects(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    code, _, err = run(capsys, "check", ONE_UNIT, "--params", "v,w,b", "--data", f"@{bad}")
    assert code == 2 and "JSON list of objects" in err
