"""Unit tests of the oracle itself (tests/oracle/), on hand-computed cases, so that it cannot
silently pass everything. None of these touch semialg."""
from __future__ import annotations

import random
from fractions import Fraction as F

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle import checks as K
from oracle import curves as C
from oracle import expr as E
from oracle import generate as G
from oracle import probes as P

XY = ("x", "y")
RNG = lambda s=0: random.Random(s)  # noqa: E731


def val(text, *point, names=XY):
    return E.value(E.parse(text), names[:len(point)], tuple(F(c) for c in point))


def grad(text, *point, names=XY):
    return E.grad(E.parse(text), names[:len(point)], tuple(F(c) for c in point))


# ---------------------------------------------------------------- parser and evaluator
def test_parser_exact_numbers_and_precedence():
    assert val("0.1 + 1/3") == F(13, 30)
    assert val("2*x**2 - -x", 3) == 21
    assert val("-x**2", 3) == -9  # ** binds tighter than unary minus
    assert val("(x - y)*(x + y)", 3, 1) == 8


def test_parser_conditions_and_semialg_equalities():
    c = E.parse_conditions(["x > 0", "x*y = 0"])
    assert E.evaluate(c, {"x": F(1), "y": F(0)}) is True
    assert E.evaluate(c, {"x": F(1), "y": F(1)}) is False
    assert E.evaluate(E.parse("x <= 1 and not y >= 2 or x == 5"), {"x": F(5), "y": F(9)}) is True
    assert E.evaluate(E.parse("0 < x < 1"), {"x": F(1, 2)}) is True


def test_parser_rejects_what_it_does_not_model():
    for bad in ["sqrt(x)", "x**y", "x / y", "exp(x)", "relu(x, y)"]:
        with pytest.raises(E.OracleParseError):
            E.parse(bad)


def test_primitive_values():
    assert val("relu(x)", -2) == 0 and val("relu(x)", 3) == 3
    assert val("abs(x)", F(-1, 2)) == F(1, 2)
    assert val("max(x, y)", 1, 2) == 2 and val("min(x, y)", 1, 2) == 1
    assert val("clip(x, -1, 1/2)", 3) == F(1, 2) and val("clip(x, -1, 1/2)", -3) == -1
    assert val("leaky_relu(x, 1/4)", -4) == -1
    assert val("hardtanh(x)", 5) == 1 and val("relu6(x)", 7) == 6
    assert val("where(x > 0, 1, 2)", 0) == 2
    assert val("step(x)", 0) == 0 and val("heaviside(x)", 0) == F(1, 2) and val("sign(x)", 0) == 0
    assert val("floor(x)", F(-1, 2)) == -1


def test_backprop_pytorch_conventions_at_kinks():
    assert grad("relu(x)", 0) == (0,)
    assert grad("abs(x)", 0) == (0,)
    assert grad("max(x, y)", 1, 1) == (F(1, 2), F(1, 2))
    assert grad("min(x, y)", 1, 1) == (F(1, 2), F(1, 2))
    assert grad("clip(x, 0, 1)", 0) == (1,) and grad("clip(x, 0, 1)", 1) == (1,)
    assert grad("leaky_relu(x, 1/4)", 0) == (F(1, 4),)
    assert grad("hardtanh(x)", 1) == (0,) and grad("relu6(x)", 0) == (0,)
    assert grad("where(x > 0, x, 0)", 0) == (0,) and grad("where(x >= 0, x, -x)", 0) == (1,)
    assert grad("step(x)*y", 0, 3) == (0, 0) and grad("sign(x)", 1) == (0,)


def test_backprop_chain_rule_away_from_kinks():
    # relu(relu(x)*y) at (2, 3): d/dx = y = 3, d/dy = x = 2
    assert grad("relu(relu(x)*y)", 2, 3) == (3, 2)
    assert grad("x**3*y - 2*x", 1, 2) == (4, 1)
    # the canonical artificial critical point: x - (relu(-x) - relu(x) + x) has backprop 0 at 0
    assert grad("x - (relu(-x) - relu(x) + x)", 0) == (0,)


def test_symbolic_field_equals_backprop():
    """generate.grad_text (the backprop as program text) agrees with expr.backprop."""
    text = "max(relu(x - y**2 + 1)*y, 1/2) + clip(x*y, -1, 1) + leaky_relu(abs(x + 2*y - 1), 1/10)*x"
    node = E.parse(text)
    fields = [E.parse(G.grad_text(node, v)) for v in XY]
    rng = RNG(3)
    pts = [(F(0), F(1)), (F(-1), F(0)), (F(1), F(0)), (F(3), F(2))]
    pts += [tuple(P.rand_rational(rng) for _ in XY) for _ in range(30)]
    for p in pts:
        env = E.env_of(XY, p)
        assert tuple(E.evaluate(f, env) for f in fields) == E.backprop(node, env, XY)[1], p


def test_kink_pattern():
    assert E.pattern([E.parse("relu(x) + max(x, y)")], {"x": F(0), "y": F(1)}) == (0, -1)
    assert E.kink_degrees(E.parse("relu(relu(x)*y) + abs(x**2 + y**2 - 1)")) == [2, 1, 2]


# ---------------------------------------------------------------- curves
def test_kink_sets_are_on_their_zero_sets():
    atoms = [C.Line(XY, (2, -1), 1), C.Parabola(XY, "x", "y", F(1, 2)), C.Hyperbola(XY, "x", "y"),
             C.Hyperbola(XY, "y", "x", 2), C.Circle(XY, "x", "y", F(1, 2)), C.Line("xyz", (0, 1, -3), 2),
             C.Circle("xyz", "z", "x", 2)]
    for a in atoms:
        node = a.node()
        for s in a.sets():
            for t in [F(-3), F(1, 3), F(5, 7)]:
                p = s.point([t] * s.n_params)
                assert E.evaluate(node, dict(zip(a.names, p))) == 0, (a.text, p)
    assert C.Circle(XY, "x", "y", 1).shifted(3).text == "x**2 + y**2 - 4"
    assert C.Circle(XY, "x", "y", 1).shifted(1) is None  # radius sqrt(2): not rational


@settings(max_examples=40, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(G.programs(), st.integers(0, 1000))
def test_generated_programs_round_trip(prog, seed):
    """Generated text parses back; to_text of the AST has the same values; the kink sets
    are nonempty and stay within the degree/kink budget."""
    assert E.parse(prog.text) == prog.node
    again = E.parse(G.to_text(prog.node))
    rng = RNG(seed)
    for _ in range(5):
        p = tuple(P.rand_rational(rng) for _ in prog.names)
        assert E.value(again, prog.names, p) == E.value(prog.node, prog.names, p)
    assert prog.sets
    degrees = E.kink_degrees(prog.node)
    assert len(degrees) <= 3 and sum(d > 1 for d in degrees) <= 1


# ---------------------------------------------------------------- probes
def test_jump_found_for_relu_step_times_quadratic():
    """relu(step(x)*(y**2 - 1)): f(0, 2) = 0 but f(t, 2) = 3 for t > 0."""
    node = E.parse("relu(step(x)*(y**2 - 1))")
    j = P.find_jump(node, XY, (F(0), F(2)), RNG())
    assert j is not None and j["value"] == 0 and j["near"] == 3
    assert P.find_jump(node, XY, (F(0), F(1, 2)), RNG()) is None  # y**2 - 1 < 0: no jump there
    assert P.find_jump(E.parse("abs(x) + relu(x*y)"), XY, (F(0), F(0)), RNG()) is None


def test_no_jumps_flags_a_conservative_claim_on_a_jumping_function():
    prog = G.Program("relu(step(x)*(y**2 - 1))", XY, C.Line(XY, (1, 0), 0).sets())
    out = K.no_jumps(prog, [], RNG(1), "claim")
    assert out and out[0]["kind"] == "missed_jump"


def test_neighbour_probe_relu_relu_times_y():
    """(0, 1) is not within 1e-9 of {x > 0, x*y < 0}, nor of {x >= 0, y <= 0}; it is near {x > 0, x*y > 0}."""
    q = (F(0), F(1))
    for r in P.NEIGHBOUR_RADII:
        assert P.near_points(E.parse_conditions(["x > 0", "x*y < 0"]), XY, q, r, RNG()) is None
        assert P.near_points(E.parse("x >= 0 and y <= 0"), XY, q, r, RNG()) is None
        assert P.near_points(E.parse_conditions(["x > 0", "x*y > 0"]), XY, q, r, RNG()) is not None


def test_neighbour_probe_finds_a_thin_wedge():
    """A 37-degree wedge in 3-D (plane and cylinder meeting transversally) is found."""
    cond = E.parse_conditions(["6*x + 2*y - 4*z - 1 < 0", "x**2 + z**2 - 4 < 0"])
    for seed in range(5):
        assert P.near_points(cond, "xyz", (F(-2), F(13, 2), F(0)), F(1, 10 ** 9), RNG(seed), k=0) is not None


def test_judge_strata_flags_false_neighbour():
    doc = {"verdict": "computed", "strata": [
        {"id": 0, "dim": 2, "conditions": ["x < 0"], "sample": ["-1", "0"], "piece": ["0"], "above": []},
        {"id": 1, "dim": 1, "conditions": ["x = 0"], "sample": ["0", "0"], "piece": ["0"], "above": [0, 2, 4]},
        {"id": 2, "dim": 2, "conditions": ["x > 0", "x*y < 0"], "sample": ["1", "-1"], "piece": ["0"], "above": []},
        {"id": 3, "dim": 1, "conditions": ["x > 0", "x*y = 0"], "sample": ["1", "0"], "piece": ["0"], "above": [2, 4]},
        {"id": 4, "dim": 2, "conditions": ["x > 0", "x*y > 0"], "sample": ["1", "1"], "piece": ["x*y"], "above": []}]}
    prog = G.Program("relu(relu(x)*y)", XY, C.Hyperbola(XY, "x", "y").sets())
    kinds = {(d["kind"], d["stratum"], d["neighbour"]) for seed in range(4) for d in K.judge_strata(prog, doc, RNG(seed))}
    assert ("false_neighbour", 1, 2) in kinds and ("false_neighbour", 1, 4) in kinds
    # with x = 0 split at y = 0 the claims are right
    doc["strata"][1] = {"id": 1, "dim": 1, "conditions": ["x = 0", "y > 0"], "sample": ["0", "1"],
                        "piece": ["0"], "above": [0, 4]}
    doc["strata"].append({"id": 5, "dim": 1, "conditions": ["x = 0", "y < 0"], "sample": ["0", "-1"],
                          "piece": ["0"], "above": [0, 2]})
    assert all(K.judge_strata(prog, doc, RNG(seed)) == [] for seed in range(4))
    # a wrong piece is seen too
    doc["strata"][4]["piece"] = ["2*x*y"]
    assert [d["kind"] for d in K.judge_strata(prog, doc, RNG())] == ["wrong_piece"]


def test_chain_rule_probe():
    node = E.parse("abs(x)")
    fld_bad = lambda p: (F(E.sgn(p[0])), F(1) if p[0] == 0 else F(0))  # noqa: E731  (THEORY.md 4)
    fld_good = lambda p: (F(E.sgn(p[0])), F(0))  # noqa: E731
    inside = lambda t: (F(0), t)  # noqa: E731  a curve inside the kink set x = 0
    assert P.chain_rule_check(node, XY, inside, F(1, 3), fld_bad, [node])[0] == "mismatch"
    assert P.chain_rule_check(node, XY, inside, F(1, 3), fld_good, [node])[0] == "ok"
    across = lambda t: (t, t)  # noqa: E731  crosses the kink at t = 0: skipped there
    assert P.chain_rule_check(node, XY, across, F(0), fld_good, [node])[0] == "skip"
    assert P.chain_rule_check(node, XY, across, F(1, 2), fld_good, [node])[0] == "ok"


def test_clarke_hull_and_critical_probes():
    node = E.parse("relu(relu(x)*y) + relu(x) - relu(-x) + x*(y + 2)")
    p = (F(0), F(-2))
    assert E.grad(node, XY, p) == (0, 0)  # backprop gives 0 ...
    grads = P.sample_gradients(node, XY, p, RNG())
    assert P.zero_excluded(grads)  # ... but every nearby gradient is near (1, 0)
    assert P.hull_distance((1, 0), [(F(1), F(0))]) < 1e-9
    assert P.hull_distance((0, 0), [(F(-1), F(0)), (F(1), F(0))]) < 1e-9
    assert P.hull_distance((0, 1), [(F(-1), F(0)), (F(1), F(0))]) == pytest.approx(1)
    assert P.hull_distance((F(1, 2),), [(F(0),), (F(1),)]) == 0
    assert P.zero_robustly_inside([(F(1), F(0)), (F(-1), F(1)), (F(-1), F(-1))])
    assert not P.zero_robustly_inside([(F(1), F(0)), (F(-1), F(0))])  # a segment has no interior
    prog = G.Program(G.to_text(node), XY,
                     C.Line(XY, (1, 0), 0).sets(), hints=[p])
    doc = {"verdict": "no_artificial_critical_points", "strata": []}
    assert [d["kind"] for d in K.judge_critical(prog, doc, RNG())] == ["missed_artificial"]
    prog2 = G.Program("x - (relu(-x) - relu(x) + x) + y**2", XY, C.Line(XY, (1, 0), 0).sets(), hints=[p])
    doc2 = {"verdict": "artificial_critical_points", "artificial_critical": [{"stratum": 1, "sample": ["0", "0"]}]}
    assert K.judge_critical(prog2, doc2, RNG()) == []
    prog3 = G.Program("abs(x) + abs(y)", XY, C.Line(XY, (1, 0), 0).sets())
    doc3 = {"verdict": "artificial_critical_points", "artificial_critical": [{"stratum": 1, "sample": ["0", "0"]}]}
    assert [d["kind"] for d in K.judge_critical(prog3, doc3, RNG())] == ["false_artificial"]


def test_judge_clarke_flags_a_too_small_hull():
    prog = G.Program("abs(x) + y", XY, C.Line(XY, (1, 0), 0).sets())
    doc = {"verdict": "computed", "vertices": [["1", "1"]]}
    assert [d["kind"] for d in K.judge_clarke(prog, doc, (F(0), F(0)), RNG())] == ["gradient_outside_clarke"]
    doc = {"verdict": "computed", "vertices": [["1", "1"], ["-1", "1"]]}
    assert K.judge_clarke(prog, doc, (F(0), F(0)), RNG()) == []


def test_judge_check_confirms_or_refutes_jumps():
    prog = G.Program("sign(x)", XY, C.Line(XY, (1, 0), 0).sets())
    ok = {"verdict": "not_lipschitz", "witness": {"kind": "jump", "point": ["0", "0"], "value": ["0"], "limit": ["-1"]}}
    assert K.judge_check(prog, ok, RNG()) == []
    prog2 = G.Program("abs(x)", XY, C.Line(XY, (1, 0), 0).sets())
    bad = {"verdict": "not_lipschitz", "witness": {"kind": "jump", "point": ["0", "0"], "value": ["0"], "limit": ["1"]}}
    assert [d["kind"] for d in K.judge_check(prog2, bad, RNG())] == ["unconfirmed_jump"]
    conservative = {"verdict": "conservative", "strata": []}
    assert [d["kind"] for d in K.judge_check(prog, conservative, RNG())][:1] == ["missed_jump"]
