"""semialg.assert_valid: the local, gradcheck-style assertion (value in the Clarke set, no
artificial critical point, conservativity on a box), its report, its messages and its input errors."""
import json
from fractions import Fraction as Q

import pytest

import semialg
from semialg.checks.assert_valid import LocalReport, assert_valid
from semialg.core.errors import InputError


# --------------------------------------------------------------------------- the doctest cases
def test_relu_at_zero_passes_with_pytorch():
    r = assert_valid("relu(x)", at={"x": 0})
    assert isinstance(r, LocalReport) and r.ok and bool(r)
    assert r.value == (((Q(0),),),)                       # PyTorch's relu'(0) = 0
    assert r.clarke == (((Q(0),),), ((Q(1),),))           # Clarke = [0, 1]
    assert r.in_clarke is True and r.artificial_critical is False and r.box_check is None
    assert repr(r) == "<LocalReport ok: relu(x) at (x = 0), rule pytorch>"


def test_the_identity_written_with_relus_raises():
    with pytest.raises(AssertionError) as info:
        assert_valid("relu(x) - relu(-x)", at={"x": 0}, rule="pytorch")
    message = str(info.value)
    assert "relu(x) - relu(-x) at (x = 0), rule pytorch" in message
    assert "artificial critical point" in message
    assert "D = conv{(0)}" in message and "conv{(1)}" in message


def test_the_public_name_is_lazy_and_the_same_function():
    assert "assert_valid" in semialg.__all__
    assert semialg.assert_valid is assert_valid


# --------------------------------------------------------------------------- the table
ARTIFICIAL = "artificial critical point"
OUTSIDE = "not in the Clarke Jacobian"

TABLE = [
    # program, point, rule, expected failure reasons (empty: ok)
    ("relu(x)", [0], "pytorch", ()),
    ("relu(x)", [0], "jax", ()),
    ("relu(x)", [0], "tensorflow", ()),
    ("abs(x)", [0], "pytorch", ()),          # abs'(0) = 0
    ("abs(x)", [0], "jax", ()),              # abs'(0) = 1
    ("abs(x)", [0], "tensorflow", ()),
    ("max(x, 0)", [0], "pytorch", ()),       # 1/2
    ("max(x, y)", [1, 1], "pytorch", ()),    # (1/2, 1/2)
    ("max(x, y)", [1, 1], "jax", ()),
    ("max(x, y)", [1, 1], "tensorflow", ()),  # (1, 0): the first argument wins a tie
    ("min(x, y)", [2, 2], "tensorflow", ()),
    ("relu(x) - relu(-x)", ["1/2"], "pytorch", ()),            # off the kink, the identity's 1
    ("relu(x) - relu(-x)", [0], "pytorch", (ARTIFICIAL, OUTSIDE)),
    ("relu(x) - relu(-x)", [0], "jax", (ARTIFICIAL, OUTSIDE)),
    ("relu(x) - relu(-x)", [0], "tensorflow", (ARTIFICIAL, OUTSIDE)),
    ("abs(x) - relu(x)", [0], "pytorch", ()),                  # 0 in [-1, 0]
    ("abs(x) - relu(x)", [0], "jax", (OUTSIDE,)),              # 1 - 0 = 1 not in [-1, 0]
    ("max(x, y) - max(y, x)", [0, 0], "pytorch", ()),          # split ties cancel
    ("max(x, y) - max(y, x)", [0, 0], "jax", ()),
    ("max(x, y) - max(y, x)", [0, 0], "tensorflow", (OUTSIDE,)),   # (1, 0) - (0, 1) for the zero function
    ("max(x, y), min(x, y)", [1, 1], "pytorch", ()),
    ("max(x, y), min(x, y)", [1, 1], "tensorflow", (OUTSIDE,)),    # the Jacobian [1, 0; 1, 0]
]


@pytest.mark.parametrize("program, point, rule, reasons", TABLE, ids=lambda v: str(v))
def test_table(program, point, rule, reasons):
    r = assert_valid(program, at=point, rule=rule, raise_on_failure=False)
    assert r.ok == (not reasons)
    assert len(r.failures) == len(reasons)
    for reason in reasons:
        assert any(reason in f for f in r.failures), (reason, r.failures)
    if reasons:
        with pytest.raises(AssertionError) as info:
            assert_valid(program, at=point, rule=rule)
        assert all(reason in str(info.value) for reason in reasons)
    else:
        assert assert_valid(program, at=point, rule=rule).ok


@pytest.mark.parametrize("program, point", [
    ("relu(x)", [0]), ("relu(x)", ["-1/3"]), ("abs(x)", [0]), ("abs(x)", [2]), ("max(x, y)", [0, 0]),
    ("max(x, y)", ["1/2", 0]), ("min(x, y, 0)", [0, 0]), ("clip(x, 0, 1)", [0]), ("clip(x, 0, 1)", [1]),
    ("abs(x) + abs(y)", [0, 0]), ("max(x, y, -x - y)", [0, 0]), ("relu(x - y)", [1, 1]),
])
def test_the_clarke_rule_is_ok_where_each_kink_is_one_primitive(program, point):
    r = assert_valid(program, at=point, rule="clarke")
    assert r.ok and r.in_clarke and not r.artificial_critical


def test_the_clarke_preset_is_the_chain_rule_of_clarke_partials_not_the_clarke_jacobian():
    """The preset composes Clarke partials (Clarke calculus): for relu(x) - relu(-x) = x it gives
    [0, 2] at 0, which is conservative but not inside the Clarke Jacobian {1}."""
    r = assert_valid("relu(x) - relu(-x)", at=[0], rule="clarke", raise_on_failure=False)
    assert r.value == (((Q(0),),), ((Q(1),),), ((Q(2),),))
    assert r.clarke == (((Q(1),),),)
    assert r.outside == (((Q(0),),), ((Q(2),),)) and r.artificial_critical is True and not r.ok


def test_overrides_change_the_verdict():
    bad = assert_valid("relu(x) - relu(-x)", at=[0], raise_on_failure=False)
    # relu'(0)=1/2 gives 1/2 + 1/2 = 1 for the identity: the Clarke value; relu'(0)=1 gives 2
    good = assert_valid("relu(x) - relu(-x)", at=[0], overrides=["relu'(0)=1/2"])
    two = assert_valid("relu(x) - relu(-x)", at=[0], overrides=["relu'(0)=1"], raise_on_failure=False)
    assert two.value == (((Q(2),),),) and two.outside == two.value and two.artificial_critical is False
    assert not bad.ok and good.ok and good.value == (((Q(1),),),)
    assert good.rule.name == "pytorch+relu'(0)=1/2"


def test_a_builder_expression_and_a_text_point():
    x, y = semialg.variables("x y")
    r = assert_valid(semialg.relu(x - y) + abs(y), at="x=1/2,y=1/2")
    assert r.ok and r.point == (Q(1, 2), Q(1, 2))


def test_vector_output_has_no_artificial_critical_answer():
    r = assert_valid("max(x, y), min(x, y)", at=[1, 1])
    assert r.artificial_critical is None
    assert r.value == (((Q(1, 2), Q(1, 2)), (Q(1, 2), Q(1, 2))),)
    assert "artificial" not in r.to_text()


# --------------------------------------------------------------------------- the box check
def test_a_bad_hand_written_field_is_refuted_on_the_box_with_the_witness_in_the_message():
    # abs(x) with the field 1 everywhere: right at 1/2 (Clarke {1}), wrong for x < 0
    assert assert_valid("abs(x)", at=["1/2"], field="where(x > 0, 1, 1)").ok   # no radius: the point alone
    with pytest.raises(AssertionError) as info:
        assert_valid("abs(x)", at=["1/2"], field="where(x > 0, 1, 1)", radius=1)
    message = str(info.value)
    r = assert_valid("abs(x)", at=["1/2"], field="where(x > 0, 1, 1)", radius=1, raise_on_failure=False)
    w = r.box_check.witness
    assert r.in_clarke and not r.artificial_critical and r.box_check.verdict == "not_conservative"
    assert -Q(1, 2) <= w.point[0] < 0 and w.direction == (Q(1),)
    assert w.derivative_along_curve == -1 and w.field_along_curve == 1
    assert "not conservative" in message and "radius 1 around the point (x >= -1/2 and x <= 3/2)" in message
    assert f"at the point ({w.point[0]})" in message and "along the direction (1)" in message
    assert "f changes at rate -1" in message and "gives 1" in message
    assert len(r.failures) == 1


def test_the_box_check_passes_for_a_preset():
    r = assert_valid("relu(x) + abs(y)", at=[0, 0], radius="1/2")
    assert r.ok and r.radius == Q(1, 2) and r.box_check.verdict == "conservative"


def test_a_box_far_from_the_kink_passes_even_for_a_bad_field():
    # the field is wrong only for x < 0; the box [1/4, 3/4] does not reach it
    r = assert_valid("abs(x)", at=["1/2"], field="where(x > 0, 1, 1)", radius="1/4")
    assert r.ok and r.box_check.verdict == "conservative"


def test_an_unknown_box_verdict_is_not_ok(monkeypatch):
    from semialg.checks import assert_valid as module
    from semialg.checks.conservative import CheckResult

    def undecided(program, **kwargs):
        return CheckResult("unknown", "a solver query timed out", program, kwargs["rule"], None, ())
    monkeypatch.setattr(module, "check", undecided)
    r = assert_valid("relu(x)", at=[1], radius=1, raise_on_failure=False)
    assert not r.ok and r.in_clarke
    assert r.failures == ("on the box of radius 1 around the point (x >= 0 and x <= 2) conservativity is unknown "
                          "(unknown): a solver query timed out",)
    with pytest.raises(AssertionError, match="unknown.*timed out"):
        assert_valid("relu(x)", at=[1], radius=1)


def test_a_jump_makes_the_clarke_set_unknown_and_fails():
    r = assert_valid("where(x > 0, 1, 0)", at=[0], raise_on_failure=False)
    assert not r.ok and r.clarke is None and r.in_clarke is None
    assert "not locally Lipschitz" in r.failures[0] and "jumps at (0)" in r.failures[0]
    floor = assert_valid("floor(x)", at=["1/2"], raise_on_failure=False)   # no finite stratification
    assert not floor.ok and floor.clarke is None and "floor jumps at every integer" in floor.failures[0]


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("kwargs, match", [
    (dict(f="relu(x)", at=[0, 1]), "2 coordinates"),
    (dict(f="relu(x) + y", at={"x": 0}), "no value for y"),
    (dict(f="relu(x)", at=[0], radius=0), "radius must be positive"),
    (dict(f="relu(x)", at=[0], radius=-1), "radius must be positive"),
    (dict(f="relu(x)", at=[0], radius="wide"), "not an exact number"),
    (dict(f="relu(x)", at=[0], rule="torch"), "did you mean 'pytorch'"),
    (dict(f="relu(x) + y", at=[0, 0], field="1"), "1 component"),
    (dict(f="abs(x)", at=[0], rule="jax", field="1"), "exclude each other"),
    (dict(f="relu(x)", at=[0], overrides=["abs'(0)=1"]), "does nothing"),
    (dict(f="relu(x)", at=[0], timeout=0), "timeout"),
    (dict(f="relu(x)", at=["x"]), "not an exact rational"),
])
def test_bad_input_is_an_input_error(kwargs, match):
    with pytest.raises(InputError, match=match):
        assert_valid(**kwargs)


# --------------------------------------------------------------------------- the report
def test_raise_on_failure_false_returns_the_report():
    r = assert_valid("relu(x) - relu(-x)", at=[0], raise_on_failure=False)
    assert isinstance(r, LocalReport) and not r and not r.ok
    assert repr(r) == "<LocalReport FAILED (2 problems): relu(x) - relu(-x) at (x = 0), rule pytorch>"
    assert "FAILED" in r.to_text().splitlines()[0]
    with pytest.raises(Exception):
        r.ok = True   # frozen   # type: ignore[misc]


def test_to_json_is_exact():
    r = assert_valid("max(x, 0) + relu(y)", at=["1/3", 0], rule="pytorch")
    j = json.loads(json.dumps(r.to_json()))
    assert j["point"] == ["1/3", "0"] and j["rule"] == "pytorch" and j["ok"] is True
    assert j["value"] == [["1", "0"]] and j["clarke"] == [["1", "0"], ["1", "1"]]
    assert j["in_clarke"] is True and j["artificial_critical"] is False and j["outside"] == []
    k = assert_valid("max(x, 0)", at=[0], rule="pytorch").to_json()
    assert k["value"] == [["1/2"]] and k["clarke"] == [["0"], ["1"]]


def test_to_json_of_a_refuted_box_has_the_witness():
    r = assert_valid("abs(x)", at=["1/2"], field="where(x > 0, 1, 1)", radius=1, raise_on_failure=False)
    j = json.loads(json.dumps(r.to_json()))
    assert j["ok"] is False and j["radius"] == "1" and j["rule"] == "field"
    w = j["box_check"]["witness"]
    assert j["box_check"]["verdict"] == "not_conservative"
    assert w["direction"] == ["1"] and w["derivative_along_curve"] == "-1" and w["field_along_curve"] == "1"
    assert w["point"] == [str(r.box_check.witness.point[0])]
    assert j["failures"] == list(r.failures)
