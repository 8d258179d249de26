"""Critical sets, artificial critical points and spurious values: seed cases, nonlinear strata,
vector outputs, hand-written fields, the CLI (critical and the check JSON), and a hypothesis
property against an independent oracle (backprop at the point vs the Clarke set at the point)."""
import json
from fractions import Fraction as Q

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from semialg.checks.clarke import clarke_at, in_hull
from semialg.checks.critical import critical
from semialg.cli.app import main
from semialg.frontends.text import parse
from semialg.rules import derivative_at

IDENTITY = "x - (relu(-x) - relu(x) + x)"
IDENTITY_JAX = "x - (max(-x, 0) - max(x, 0) + x)"
ZERO = "relu(-x) - relu(x) + x"


def ids(sets):
    return [ps.stratum.id for ps in sets]


def test_identity_has_an_artificial_critical_point_under_pytorch():
    r = critical(IDENTITY, rule="pytorch")
    assert r.verdict == "artificial_critical_points" and r.exit_code == 1
    (a,) = r.artificial
    assert a.sample == (Q(0),) and a.whole_stratum is True and a.stratum.dim == 0
    assert a.field == (((Q(0),),),) and a.clarke == (((Q(1),),),)
    assert ids(r.clarke_critical) == [] and ids(r.d_critical) == [a.stratum.id]


@pytest.mark.parametrize("rule", ["jax", "pytorch", "tensorflow"])
def test_identity_spelled_with_max_has_none_under_jax_spellings(rule):
    r = critical(IDENTITY_JAX, rule=rule)
    # max(., 0) at 0 has derivative 1/2 under PyTorch/JAX, so D(0) = 1; TensorFlow's first-argument-wins
    # gives D(0) = 1 - (-1 - 1 + 1) = 2: not critical, but a spurious value
    assert r.artificial == () and r.exit_code == 0, r.reason
    if rule == "tensorflow":
        (s,) = r.spurious
        assert s.field == (((Q(2),),),) and s.clarke == (((Q(1),),),)
    else:
        assert r.spurious == ()


def test_zero_function_has_a_spurious_value_at_zero():
    r = critical(ZERO, rule="pytorch")
    (s,) = r.spurious
    assert s.sample == (Q(0),) and s.field == (((Q(1),),),) and s.clarke == (((Q(0),),),)
    assert s.whole_stratum is True
    assert r.artificial == () and r.exit_code == 0
    assert len(r.clarke_critical) == 3          # f = 0: every point is Clarke critical


def test_clarke_rule_backprop_is_not_the_clarke_jacobian():
    r = critical("relu(x) - relu(-x)", rule="clarke")   # backprop gives conv{0, 1, 2} at 0; Clarke is {1}
    (a,) = r.artificial
    assert a.sample == (Q(0),)
    (s,) = r.spurious
    assert set(s.field) == {((Q(0),),), ((Q(2),),)} and s.clarke == (((Q(1),),),)


def test_seed_functions_without_artificial_points():
    for expr in ("abs(x) + abs(y)", "max(x, y, -x - y)", "relu(x)", "abs(x)"):
        for rule in ("pytorch", "jax", "tensorflow", "clarke"):
            r = critical(expr, rule=rule)
            assert r.artificial == () and r.exit_code == 0, (expr, rule, r.reason)


def test_l1_norm_origin_is_clarke_critical_and_d_critical():
    r = critical("abs(x) + abs(y)", rule="pytorch")
    (c,) = r.clarke_critical
    assert c.stratum.dim == 0 and len(c.clarke) == 4
    assert ids(r.d_critical) == ids(r.clarke_critical)


def test_artificial_set_with_an_extra_equation():
    r = critical(IDENTITY + " + y**2", rule="pytorch")
    (a,) = r.artificial
    assert a.stratum.condition_text() == ["x = 0"] and a.whole_stratum is False
    assert [e.to_str(["x", "y"]) for e in a.equations] == ["2*y"]
    assert a.sample[1] == 0


def test_nonlinear_kinks():
    r = critical("relu(x**2 + y**2 - 1)", rule="pytorch")
    assert r.artificial == () and r.spurious == ()
    circle = [ps for ps in r.clarke_critical if ps.stratum.dim == 1]
    assert circle and circle[0].whole_stratum is True          # conv{0, 2x} contains 0 on the circle
    # smooth function x**2 + y**2 - 1 spelled with two relus: PyTorch gives 0 on the whole circle
    r = critical("relu(x**2 + y**2 - 1) - relu(1 - x**2 - y**2)", rule="pytorch")
    (a,) = r.artificial
    assert a.stratum.dim == 1 and a.whole_stratum is True
    x, y = a.sample
    assert x * x + y * y == 1
    inside = [ps for ps in r.d_critical if ps.stratum.dim == 2]
    assert inside and inside[0].whole_stratum is False and len(inside[0].equations) == 2


def test_vector_output_spurious_values():
    sort = "max(x, y), min(x, y)"
    assert critical(sort, rule="pytorch").spurious == ()            # (1/2, 1/2) rows: the average of the two
    (s,) = critical(sort, rule="tensorflow").spurious               # first argument wins in both: [[1,0],[1,0]]
    assert s.field == (((Q(1), Q(0)), (Q(1), Q(0))),)
    assert critical(sort, rule="tensorflow").artificial == ()


def test_hand_written_fields():
    assert critical("abs(x)", field="where(x > 0, 1, -1)").spurious == ()
    (s,) = critical("abs(x)", field="where(x > 0, 1, where(x < 0, -1, 2))").spurious
    assert s.sample == (Q(0),) and s.field == (((Q(2),),),)
    r = critical("abs(x - 1)", field="where(x > 1, 1, where(x < 1, -1, 0))")
    assert r.artificial == () and ids(r.d_critical) == ids(r.clarke_critical)


def test_not_lipschitz():
    r = critical("where(x > 0, x + 1, x)")
    assert r.verdict == "not_lipschitz" and r.exit_code == 1 and r.jump.point == (Q(0),)


# --------------------------------------------------------------------------- CLI
def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_critical_text_and_exit_codes(capsys):
    code, out, _ = run(capsys, "critical", IDENTITY)
    assert code == 1 and "ARTIFICIAL CRITICAL POINTS" in out and "Clarke = {(1)}" in out
    code, out, _ = run(capsys, "critical", IDENTITY_JAX, "--rule", "jax")
    assert code == 0 and "NO ARTIFICIAL CRITICAL POINTS" in out
    code, _, err = run(capsys, "critical", IDENTITY, "--rule", "torch")
    assert code == 2 and "did you mean 'pytorch'" in err
    code, out, _ = run(capsys, "critical", "--help")
    assert code == 0


def test_cli_critical_json(capsys):
    code, out, _ = run(capsys, "critical", IDENTITY + " + y**2", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["command"] == "critical" and data["verdict"] == "artificial_critical_points"
    (a,) = data["artificial_critical"]
    assert a["equations"] == ["2*y = 0"] and a["whole_stratum"] is False and a["sample"] == ["0", "0"]
    assert a["field"] == [["0", "0"]] and a["clarke"] == [["1", "0"]]
    for key in ("d_critical", "clarke_critical", "spurious", "strata", "timings", "unknown"):
        assert key in data
    assert all("clarke" in s for s in data["strata"])


def test_check_json_gains_clarke_and_critical_lists(capsys):
    code, out, _ = run(capsys, "check", ZERO, "--json")
    assert code == 0
    data = json.loads(out)
    assert data["artificial_critical"] == []
    (s,) = data["spurious"]
    assert s["stratum"] == 1 and s["sample"] == ["0"] and s["field"] == [["1"]] and s["clarke"] == [["0"]]
    assert [st_["clarke"] for st_ in data["strata"]] == [[["0"]], [["0"]], [["0"]]]
    code, out, _ = run(capsys, "check", IDENTITY, "--json")
    data = json.loads(out)
    assert code == 0 and data["artificial_critical"] == [
        {"stratum": 1, "dim": 0, "conditions": ["x = 0"], "sample": ["0"], "equations": [], "whole_stratum": True,
         "field": [["0"]], "clarke": [["1"]]}]
    code, out, _ = run(capsys, "check", "where(x > 0, 1, 0)", "--json")
    assert code == 1 and json.loads(out)["artificial_critical"] is None


def test_check_text_lists_them(capsys):
    code, out, _ = run(capsys, "check", IDENTITY)
    assert code == 0 and "artificial critical points (0 in conv D, 0 not in Clarke): 1" in out


# --------------------------------------------------------------------------- property: independent oracle
spelled = st.sampled_from(["relu({})", "max({}, 0)", "max(0, {})", "abs({})", "where({} > 0, {}, 0)", "clip({}, 0, 1)"])


@settings(max_examples=25)
@given(terms=st.lists(st.tuples(spelled, st.sampled_from([-2, -1, 1, 2]), st.sampled_from([0, 0, 1]), st.sampled_from([-1, 1])),
                      min_size=1, max_size=4), c=st.integers(-2, 2),
       rule=st.sampled_from(["pytorch", "jax", "tensorflow"]))
@example(terms=[("relu({})", -1, 0, -1), ("relu({})", 1, 0, 1)], c=0, rule="pytorch")      # relu(x) - relu(-x)
@example(terms=[("max({}, 0)", -1, 0, -1), ("abs({})", 1, 0, 1)], c=0, rule="tensorflow")
def test_artificial_and_spurious_agree_with_backprop_at_each_kink(terms, c, rule):
    expr = " + ".join(f"{w}*" + s.format(f"{a}*x + {b}", f"{a}*x + {b}") for s, w, b, a in terms) + f" + {c}*x"
    program = parse(expr, "x")
    r = critical(program, rule=rule)
    artificial, spurious = set(ids(r.artificial)), set(ids(r.spurious))
    for s in r.stratification.strata:
        d = derivative_at(program, s.sample, rule)[0]
        c = clarke_at(program, s.sample, stratification=r.stratification)
        zero_in_d = in_hull((Q(0),), d)
        assert (s.id in artificial) == (zero_in_d and not c.contains_zero), (expr, rule, s.id)
        assert (s.id in spurious) == any(not c.contains(v) for v in d), (expr, rule, s.id)
    assert r.exit_code == (1 if artificial else 0)
