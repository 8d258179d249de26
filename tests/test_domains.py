"""Local domains: Box, Segment, Plane values; restriction of a program (exact); verdicts, the
segment's chain-rule balance, reports in original coordinates; the CLI flags and their errors."""
import json
import random
import time
from fractions import Fraction

import pytest

from semialg import exact_value
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.checks.critical import critical
from semialg.cli.app import main
from semialg.core import dag
from semialg.core.dag import Node, Program
from semialg.core.errors import InputError
from semialg.frontends.domains import Box, Plane, Segment
from semialg.frontends.restrict import Restriction, restrict, restrict_field
from semialg.frontends.text import parse
from semialg.rules import derivative_at
from semialg.stratification import stratify

F = Fraction


# --------------------------------------------------------------------------- value classes
BAD_VALUES = [
    (lambda: Box([0, 0], 0), "radius must be positive"),
    (lambda: Box([0, "a"], 1), "entry 2: 'a' is not an exact number"),
    (lambda: Box([], 1), "no coordinates"),
    (lambda: Box([True], 1), "truth value"),
    (lambda: Segment([0, 0], [0, 0]), "same point"),
    (lambda: Segment([0, 0], [1]), "different lengths (2, 1)"),
    (lambda: Plane([0, 0], [1, 1], [2, 2]), "parallel"),
    (lambda: Plane([0, 0], [1, 0], [0]), "different lengths"),
    (lambda: Segment([0], 5), "expected a list of numbers"),
    (lambda: Box([0], 1).condition_text(["x", "y"]), "1 coordinates but the program has 2 variables"),
    (lambda: Segment([0, 0], [1, 1]).point_at([1, 2]), "expected 1 parameter value, got 2"),
    (lambda: restrict(parse("x + y + z"), Segment([0, 0], [1, 1])), "2 coordinates but the program has 3"),
    (lambda: restrict(parse("x"), Box([0], 1)), "needs a Segment or a Plane"),
    (lambda: clarke_at("relu(x)", [0], domain=Segment([-1], [1])), "restricted coordinates (t)"),
    (lambda: check("relu(x)", domain=3), "domain= takes a condition"),
]


@pytest.mark.parametrize("make, message", BAD_VALUES)
def test_bad_inputs_say_what_was_expected(make, message):
    with pytest.raises(InputError, match=None) as info:
        make()
    assert message in str(info.value)


def test_value_classes():
    assert Box(["1/2", 0.1], 1).center == (F(1, 2), F(1, 10))
    s = Segment([0, 0], [1, 2])
    assert s.point_at([F(1, 4)]) == (F(1, 4), F(1, 2)) and s.directions == ((1, 2),)
    p = Plane.through([0, 0, 1], [1, 0, 1], [0, 1, 1])
    assert p.u == (1, 0, 0) and p.v == (0, 1, 0) and p.point_at([2, 3]) == (2, 3, 1)
    assert Box([0, 0], 1).contains([1, -1]) and not Box([0, 0], 1).contains([F(3, 2), 0])


# --------------------------------------------------------------------------- restriction is exact
def _random_program(rng: random.Random, n: int) -> Program:
    """A random nonlinear piecewise-polynomial program over x0..x{n-1}."""
    names = tuple(f"x{i}" for i in range(n))
    pool = [Node.var(v) for v in names]
    for _ in range(12):
        a, b = rng.choice(pool), rng.choice(pool)
        c = Node.const(F(rng.randint(-4, 4), rng.choice([1, 2, 4])))
        kind = rng.randrange(7)
        if kind == 0:
            node = dag.add(a, dag.mul(c, b))
        elif kind == 1:
            node = dag.mul(a, b)
        elif kind == 2:
            node = dag.power(a, 2)
        elif kind == 3:
            node = Node.make("relu", (dag.add(a, c),))
        elif kind == 4:
            node = Node.make("max", (a, b, c))
        elif kind == 5:
            node = Node.make("where", (Node.make("gt", (a, b)), a, dag.mul(c, b)))
        else:
            node = Node.make("abs", (dag.sub(a, b),))
        pool.append(node)
    return Program(names, (pool[-1], dag.add(pool[-2], pool[-3])))


@pytest.mark.parametrize("seed", range(8))
def test_restricted_value_equals_original_value_at_the_image(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 4)
    program = _random_program(rng, n)
    pts = [[F(rng.randint(-8, 8), 4) for _ in range(n)] for _ in range(3)]
    segment = Segment(pts[0], pts[1]) if pts[0] != pts[1] else Segment(pts[0], [v + 1 for v in pts[1]])
    plane = Plane(pts[0], [1] + [0] * (n - 1), [0, 1] + [0] * (n - 2))
    for domain in (segment, plane):
        r = restrict(program, domain)
        assert isinstance(r, Restriction) and r.program.inputs == domain.parameter_names
        for _ in range(6):
            params = [F(rng.randint(-12, 12), 8) for _ in range(domain.dim)]
            assert exact_value(r.program, params) == exact_value(program, r.to_original(params))


def test_backprop_of_the_restriction_is_the_directional_backprop():
    program = parse("relu(x - y) + max(x, 2 * y) * abs(y)")
    seg = Segment([-1, 0], [1, 1])
    r = restrict(program, seg)
    d = seg.directions[0]
    for t in [F(0), F(1, 3), F(1, 2), F(2, 3), F(1)]:
        [[full]] = derivative_at(program, r.to_original([t]), "pytorch")
        [[local]] = derivative_at(r.program, [t], "pytorch")
        assert local == (sum(g * di for g, di in zip(full, d)),)


def test_restrict_field_projects_the_jacobian_rows():
    program = parse("x * y, x + y")
    plane = Plane([1, 2], [1, 0], [1, 1])
    r = restrict(program, plane)
    field = parse("y, x, 1, 1", ["x", "y"])
    rf = restrict_field(field, r)
    assert rf.n_outputs == 4
    s, t = F(1, 2), F(3)
    x, y = r.to_original([s, t])
    assert exact_value(rf, [s, t]) == (y, y + x, 1, 2)


# --------------------------------------------------------------------------- verdicts
def test_relu_net_on_segment_and_plane_is_conservative_with_pytorch():
    f = "relu(x - y + 1/2) - relu(2*x + y - 1) + relu(relu(x + z) - y)"
    r = check(f, rule="pytorch", domain=Segment([-1, -1, 0], [2, 1, 1]))
    assert r.verdict == "conservative" and r.exit_code == 0
    assert r.program.inputs == ("t",) and r.domain.domain == Segment([-1, -1, 0], [2, 1, 1])
    assert "this is not conservativity on the whole space" in r.to_text()
    b = r.segment_integral
    assert b["equal"] and b["f_b_minus_f_a"] == b["integral"]
    program = parse(f)
    assert b["f_b_minus_f_a"][0] == exact_value(program, [2, 1, 1])[0] - exact_value(program, [-1, -1, 0])[0]
    p = check(f, rule="pytorch", domain=Plane([0, 0, 0], [1, 0, 0], [0, 1, 1]))
    assert p.verdict == "conservative" and p.program.inputs == ("s", "t")
    assert "on the plane through (0, 0, 0)" in p.to_json()["domain"]["statement"]


def test_bad_field_refuted_along_a_segment_with_the_witness_mapped_back():
    seg = Segment([-1, -1], [1, 1])
    r = check("abs(x) + abs(y)", field="where(x > 0, 1, -1), 1", domain=seg)
    assert r.verdict == "not_conservative"
    w = r.witness
    original = r.domain.to_original(w.point)
    assert original == seg.point_at(w.point) and original[0] == original[1] and original[0] < 0
    doc = r.to_json()
    assert doc["witness"]["original"] == [str(v) for v in original]
    assert all("original" in s for s in doc["strata"])
    assert f"= x ({original[0]}, {original[1]})" in r.to_text()
    b = r.segment_integral
    assert b["f_b_minus_f_a"] == [0] and b["integral"] == [2] and not b["equal"]
    assert "they differ by 2" in r.to_text() and doc["segment_integral"]["equal"] is False


@pytest.mark.parametrize("seed", range(4))
def test_segment_integral_equals_the_increment_when_conservative(seed):
    rng = random.Random(100 + seed)
    f = " + ".join(f"{rng.randint(-3, 3)} * relu({rng.randint(-2, 2)}*x + {rng.randint(-2, 2)}*y + "
                   f"{F(rng.randint(-4, 4), 4)})" for _ in range(4)) + " + x*y"
    a, b = [F(rng.randint(-8, 8), 4) for _ in range(2)], [F(rng.randint(-8, 8), 4) + 3 for _ in range(2)]
    r = check(f, rule="pytorch", domain=Segment(a, b), variables="x,y")
    assert r.verdict == "conservative"
    bal = r.segment_integral
    program = parse(f, ["x", "y"])
    increment = exact_value(program, b)[0] - exact_value(program, a)[0]
    assert bal["equal"] and bal["integral"] == [increment] == bal["f_b_minus_f_a"]


def test_box_domain_is_its_condition():
    r = check("abs(x - 1) + relu(y)", domain=Box([1, 0], "1/2"))
    assert r.verdict == "conservative" and r.domain == Box([1, 0], "1/2") and r.program.inputs == ("x", "y")
    assert r.to_json()["domain"]["kind"] == "box" and "in the box of radius 1/2 around (1, 0)" in r.to_text()
    assert len(clarke_at("abs(x - 1) + relu(y)", [1, 0], domain=Box([1, 0], 1)).vertices) == 4


def test_critical_and_stratify_on_a_segment():
    seg = Segment([-1, 0], [1, 0])
    c = critical("relu(-x) - relu(x) + x + y", domain=seg)
    assert [ps.sample for ps in c.spurious] == [(F(1, 2),)]
    assert c.to_json()["spurious"][0]["original"] == ["0", "0"]
    s = stratify(parse("relu(x - y)"), domain=Segment([0, 1], [2, 0]))
    assert [t.sample for t in s.asked() if t.dim == 0] == [(0,), (F(1, 3),), (1,)]
    assert [e["original"] for e in s.to_json()][:1] == [["0", "1"]]


def _mlp(rng, sizes):
    names = tuple(f"x{i}" for i in range(sizes[0]))
    layer = [Node.var(v) for v in names]
    weights = []
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        W = [[F(rng.randint(-8, 8), 64) for _ in range(n_in)] for _ in range(n_out)]
        b = [F(rng.randint(-8, 8), 16) for _ in range(n_out)]
        weights.append((W, b))
        pre = [dag.add(*[dag.mul(Node.const(w), x) for w, x in zip(row, layer) if w], Node.const(bj))
               for row, bj in zip(W, b)]
        layer = pre if k == len(sizes) - 2 else [Node.make("relu", (p,)) for p in pre]
    return Program(names, (dag.add(*layer),)), weights


def test_784_input_mlp_restricted_to_a_segment_is_checked_in_seconds():
    rng = random.Random(7)
    program, weights = _mlp(rng, [784, 16, 1])
    a = [F(rng.randint(0, 16), 16) for _ in range(784)]
    b = [F(rng.randint(0, 16), 16) for _ in range(784)]
    t0 = time.perf_counter()
    r = check(program, rule="pytorch", domain=Segment(a, b))
    seconds = time.perf_counter() - t0
    assert r.verdict == "conservative" and r.segment_integral["equal"], r.reason
    assert seconds < 20
    torch = pytest.importorskip("torch")
    W1, b1 = (torch.tensor([[float(w) for w in row] for row in weights[0][0]], dtype=torch.float64),
              torch.tensor([float(v) for v in weights[0][1]], dtype=torch.float64))
    W2, b2 = (torch.tensor([[float(w) for w in row] for row in weights[1][0]], dtype=torch.float64),
              torch.tensor([float(v) for v in weights[1][1]], dtype=torch.float64))
    d = torch.tensor([float(q - p) for p, q in zip(a, b)], dtype=torch.float64)
    for t in [F(1, 8), F(1, 2), F(7, 8)]:
        x = torch.tensor([float(v) for v in r.domain.to_original([t])], dtype=torch.float64, requires_grad=True)
        (W2 @ torch.relu(W1 @ x + b1) + b2).sum().backward()
        [[mine]] = derivative_at(r.program, [t], "pytorch")
        assert float(mine[0]) == pytest.approx(float(x.grad @ d), rel=1e-12, abs=1e-12)


# --------------------------------------------------------------------------- CLI
def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_segment_plane_box(capsys, tmp_path):
    code, out, _ = run(capsys, "check", "abs(x) + abs(y)", "--field", "where(x > 0, 1, -1), 1",
                       "--segment", "[-1,-1]", "1,1", "--json")
    doc = json.loads(out)
    assert code == 1 and doc["domain"]["kind"] == "segment" and doc["witness"]["original"] == ["-1/3", "-1/3"]
    assert doc["segment_integral"] == {"f_b_minus_f_a": ["0"], "integral": ["2"], "equal": False,
                                       "pieces": doc["segment_integral"]["pieces"]}
    (tmp_path / "a.json").write_text('[0, "1/2", 1]')
    code, out, _ = run(capsys, "strata", "relu(x - y) + z", "--segment", f"@{tmp_path / 'a.json'}", "1,1,1")
    assert code == 0 and "along the segment from (0, 1/2, 1) to (1, 1, 1)" in out
    code, out, _ = run(capsys, "critical", "relu(x - y)", "--plane", "0,0", "1,0", "0,1")
    assert code == 0 and "on the plane through (0, 0)" in out
    code, out, _ = run(capsys, "clarke", "abs(x) + abs(y)", "--at", "x=0,y=0", "--box", "0,0", "1")
    assert code == 0
    code, out, _ = run(capsys, "check", "relu(x)", "--box", "0", "1/2")
    assert code == 0 and "in the box of radius 1/2 around (0)" in out


CLI_ERRORS = [
    (["check", "relu(x-y)", "--segment", "0,1", "2"], "different lengths (2, 1); expected two points A and B"),
    (["check", "relu(x-y)", "--segment", "0,1", "2,a"], "'a' is not an exact number"),
    (["check", "relu(x-y)", "--segment", "0,1", "2,0", "--domain", "x > 0"], "give one of --domain, --box"),
    (["check", "relu(x-y)", "--segment", "0,1,0", "2,0,0"], "3 coordinates but the program has 2 variables"),
    (["check", "relu(x-y)", "--box", "0,0", "-1"], "e.g. --box 0,1/2 1/4"),
    (["check", "relu(x-y)", "--plane", "0,0", "1,1", "2,2"], "parallel"),
    (["check", "relu(x-y)", "--segment", "@/nonexistent/p.json", "1,1"], "cannot read"),
    (["critical", "relu(x-y)", "--plane", "0,0", "1,1"], "expected 3 arguments"),
]


@pytest.mark.parametrize("argv, message", CLI_ERRORS)
def test_cli_errors_exit_2_with_the_expected_form(capsys, argv, message):
    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err, err


def test_cli_box_and_segment_are_exclusive(capsys):
    try:
        code = main(["check", "relu(x-y)", "--segment", "0,1", "2,0", "--box", "0,0", "1"])
    except SystemExit as exc:
        code = exc.code
    assert code == 2 and "not allowed with argument" in capsys.readouterr().err
