"""Wide outputs: activation patterns, the kink legend, exact simplification of sign
conditions, and the width of the text reports of a 48-ReLU network.

Independent checks: the simplified conditions are evaluated exactly (as ``Simplified`` and as
their *text*, read back with Fractions) against the original conditions at many rational points,
on the set and off it; a pattern symbol is compared with the sign of the relu's argument at the
sample, evaluated exactly from the DAG with the primitives' own ``exact``.
"""
from __future__ import annotations

import io
import json
import random
import re
import contextlib
from fractions import Fraction

import pytest

from semialg.core.dag import walk_postorder
from semialg.core.poly import Poly
from semialg.core.primitives import REGISTRY
from semialg.frontends.builder import program, relu, variables
from semialg.frontends.text import parse
from semialg.stratification import stratify
from semialg.stratification.patterns import (
    Describer,
    activation_pattern,
    kink_legend,
    simplify,
    simplify_conditions,
)
from semialg.stratification.render import strata_text


def mlp(widths, seed=0):
    """A 2-input ReLU network with dyadic weights k/8, |k| <= 8."""
    rng = random.Random(seed)
    dy = lambda: Fraction(rng.randint(-8, 8), 8)
    x, y = variables("x y")
    h = [x, y]
    for width in widths:
        h = [relu(sum((dy() * v for v in h), dy())) for _ in range(width)]
    return program(sum(dy() * v for v in h))


@pytest.fixture(scope="module")
def strat48():
    return stratify(mlp([16, 16, 16], seed=2))


def run_cli(argv):
    from semialg.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(argv)
    return code, out.getvalue()


# --------------------------------------------------------------------------- exact evaluation
def sign(v):
    return (v > 0) - (v < 0)


def holds(conditions, point):
    return all(sign(p.eval(point)) == s for p, s in conditions)


def text_holds(texts, names, point):
    """Evaluate the simplified text itself: ``=`` as ``==``, every integer literal a Fraction."""
    env = {"F": Fraction, **dict(zip(names, point))}
    for t in texts:
        if t in ("true", "false"):
            if t == "false":
                return False
            continue
        expr = re.sub(r"(?<![<>=!])=(?!=)", "==", t)
        expr = re.sub(r"\b(\d+)\b", r"F(\1)", expr)
        if not eval(expr, env):   # noqa: S307 - our own test strings
            return False
    return True


def random_system(rng, n):
    """Random sign conditions that hold at a random rational point (so the set is nonempty),
    with equalities through the point, redundant copies and nonlinear conditions."""
    point = tuple(Fraction(rng.randint(-6, 6), rng.choice([1, 2, 3])) for _ in range(n))
    xs = Poly.variables(n)
    conds = []
    for _ in range(rng.randint(0, n)):                      # equalities through the point
        a = [rng.randint(-3, 3) for _ in range(n)]
        p = sum((c * v for c, v in zip(a, xs)), Poly.constant(n, 0))
        conds.append((p - p.eval(point), 0))
    for _ in range(rng.randint(1, 8)):                      # inequalities, strict at the point
        a = [rng.randint(-3, 3) for _ in range(n)]
        p = sum((c * v for c, v in zip(a, xs)), Poly.constant(n, rng.randint(-4, 4)))
        value = p.eval(point)
        if value == 0:
            p = p + 1
            value = p.eval(point)
        conds.append((p, sign(value)))
        if rng.random() < 0.3:                              # a weaker copy: implied
            conds.append((p + sign(value) * rng.randint(1, 3), sign(value)))
    if rng.random() < 0.4:                                  # a nonlinear condition
        q = xs[0] * xs[-1] - rng.randint(-3, 3)
        v = q.eval(point)
        conds.append((q, sign(v)))
    rng.shuffle(conds)
    return point, conds


def probe_points(rng, point, conds, n, count=60):
    """Points on the set (the point and moves inside the equalities' null space) and around it."""
    eqs = [p for p, s in conds if s == 0 and p.is_linear]
    pts = [point]
    for _ in range(count):
        d = [Fraction(rng.randint(-4, 4), rng.choice([1, 2, 4, 8])) for _ in range(n)]
        if eqs and rng.random() < 0.7:   # project d onto the null space of the equalities (exact Gram-Schmidt)
            basis = []
            for p in eqs:
                a = list(p.linear_coeffs())
                for b in basis:
                    f = sum(x * y for x, y in zip(a, b)) / sum(y * y for y in b)
                    a = [x - f * y for x, y in zip(a, b)]
                if any(a):
                    basis.append(a)
            for b in basis:
                f = sum(x * y for x, y in zip(d, b)) / sum(y * y for y in b)
                d = [x - f * y for x, y in zip(d, b)]
        scale = Fraction(1, rng.choice([1, 2, 4, 16]))
        pts.append(tuple(c + scale * e for c, e in zip(point, d)))
    return pts


@pytest.mark.parametrize("n", [1, 2, 3])
def test_simplification_keeps_the_set(n):
    rng = random.Random(100 + n)
    names = ["x", "y", "z"][:n]
    on_set = 0
    for _ in range(60):
        point, conds = random_system(rng, n)
        simple = simplify(conds, n)
        texts = simple.text(names)
        assert not simple.empty, (conds, texts)       # the point satisfies every condition
        assert len(simple.conditions) + len(simple.solved) <= len(conds)
        for q in probe_points(rng, point, conds, n):
            inside = holds(conds, q)
            on_set += inside
            assert simple.contains(q) == inside, (conds, texts, q)
            assert text_holds(texts, names, q) == inside, (conds, texts, q)
    assert on_set > 500      # the probes really visit the set, not only its outside


def test_issue_example_and_implied_conditions():
    (x,) = Poly.variables(1)
    assert simplify_conditions([(x + 1, 0), (x - 1, -1)], ["x"]) == ["x = -1"]
    assert simplify_conditions([(x, 1), (x - 1, 1)], ["x"]) == ["x > 1"]
    assert simplify_conditions([(x, 1), (x - 1, -1)], ["x"]) == ["0 < x < 1"]
    assert simplify_conditions([(x, 1), (x, -1)], ["x"]) == ["false"]
    assert simplify_conditions([], ["x"]) == ["true"]
    x, y = Poly.variables(2)
    # x > 0, y > 0 imply x + y > 0; x - y = 0 solves x
    assert simplify_conditions([(x, 1), (y, 1), (x + y, 1)], ["x", "y"]) == ["x > 0", "y > 0"]
    assert simplify_conditions([(x - y, 0), (y, 1), (x + y, 1)], ["x", "y"]) == ["x = y", "y > 0"]
    # a nonlinear condition is kept, with the equality substituted into it
    assert simplify_conditions([(x - 1, 0), (x * y - 2, -1)], ["x", "y"]) == ["x = 1", "y < 2"]
    assert simplify_conditions([(x * x + y * y - 4, -1)], ["x", "y"]) == ["x**2 + y**2 < 4"]


def test_small_programs_read_as_before():
    s = stratify(parse("relu(x)"))
    assert [simplify_conditions(t.conditions, ["x"]) for t in s.strata] == [["x < 0"], ["x = 0"], ["x > 0"]]
    text = strata_text(s)
    assert "x > 0" in text and "pattern" not in text
    assert strata_text(s, "full").splitlines()[1].split()[-2] == "conditions"
    code, out = run_cli(["strata", "relu(relu(x) - 1)"])
    assert code == 0 and "0 < x < 1" in out
    code, out = run_cli(["strata", "relu(relu(x) - 1)", "--conditions", "full"])
    assert "x > 0 and x - 1 < 0" in out
    code, out = run_cli(["strata", "relu(relu(x) - 1)", "--conditions", "pattern"])
    assert "#1 relu(#0 - 1)" in out and re.search(r"^ 2 .* \+ -$", out, re.M)


def exact_values(roots, names, point):
    """Every node's exact value at a rational point (the primitives' ``exact``; no stratification)."""
    env = dict(zip(names, point))
    values = {}
    for node in walk_postorder(roots):
        args = [values[id(a)] for a in node.args]
        op = node.op
        if op == "const":
            v = node.param
        elif op == "var":
            v = env[node.param]
        elif op == "add":
            v = sum(args, Fraction(0))
        elif op == "mul":
            v = Fraction(1)
            for a in args:
                v *= a
        elif op == "pow":
            v = args[0] ** node.param
        else:
            v = REGISTRY[op].exact(args, node.param)
        values[id(node)] = v
    return values


def test_patterns_of_a_48_relu_network(strat48):
    s = strat48
    assert len(s.branch_nodes) == 48
    patterns = [activation_pattern(s, t) for t in s.strata]
    assert all(len(p.replace(" ", "")) == 48 and set(p) <= set("+0- ") for p in patterns)
    assert len(set(patterns)) == len(patterns)            # linear cells: one stratum per pattern
    assert patterns[0].count(" ") == 2                     # three layers
    rng = random.Random(5)
    for t in rng.sample(list(s.strata), 40):
        values = exact_values([n.args[0] for n in s.branch_nodes], list(s.program.inputs), t.sample)
        expected = "".join("-0+"[sign(values[id(n.args[0])]) + 1] for n in s.branch_nodes)
        assert activation_pattern(s, t).replace(" ", "") == expected
        # the pattern's zeros are the stratum's codimension (48 independent generic kinks)
        assert expected.count("0") == 2 - t.dim
    legend = kink_legend(s)
    assert len(legend) == 48 and legend[0].startswith("#0 relu(") and "x" in legend[0]
    deeper = [line for line in legend if "#" in line[1:] .split(" ", 1)[1]]
    assert len(deeper) == 32 and not any(re.search(r"\b[xy]\b", line) for line in deeper)   # layers 2, 3 name kinks
    for k, line in enumerate(legend):                      # only kinks earlier in the order
        assert all(int(j) < k for j in re.findall(r"#(\d+)", line.split(" ", 1)[1]))


def test_width_of_strata_text(strat48):
    text = strata_text(strat48)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 220
    assert lines[1].startswith("pattern:") and lines[2].startswith("  #0 relu(")
    header = next(line for line in lines if line.lstrip().startswith("id "))
    assert header.split()[-2:] == ["pattern", "above"]
    full = strata_text(strat48, "full")
    assert max(map(len, full.splitlines())) > 1000         # the issue: a thousand characters of conditions
    d = Describer(strat48, "auto", strat48.strata)
    assert d.mode == "pattern"


def test_json_keys():
    code, out = run_cli(["strata", "relu(x - 1) + abs(y)", "--json"])
    doc = json.loads(out)
    entry = doc["strata"][4]
    assert list(entry)[:6] == ["id", "dim", "conditions", "sample", "piece", "above"]
    assert entry["pattern"] == "00" and entry["simplified"] == ["x = 1", "y = 0"]
    assert entry["conditions"] == ["x - 1 = 0", "y = 0"]
    code, out = run_cli(["check", "relu(x)", "--json"])
    doc = json.loads(out)
    assert list(doc["strata"][1]) == ["id", "dim", "conditions", "sample", "piece", "field", "status", "clarke",
                                      "pattern", "simplified"]
    assert doc["strata"][1]["pattern"] == "0" and doc["strata"][2]["simplified"] == ["x > 0"]
    code, out = run_cli(["critical", "relu(x) - relu(-x)", "--json"])
    doc = json.loads(out)
    assert doc["strata"][0]["pattern"] == "-+" and doc["strata"][0]["simplified"] == ["x < 0"]
    code, out = run_cli(["clarke", "abs(x) + relu(y - 1)", "--at", "x=0,y=1", "--json"])
    doc = json.loads(out)
    assert doc["stratum"]["pattern"] == "00" and doc["stratum"]["simplified"] == ["x = 0", "y = 1"]


def test_conditions_option_on_every_command():
    for mode in ("full", "simplified", "pattern", "auto"):
        code, out = run_cli(["check", "relu(x - 1)", "--conditions", mode])
        assert code == 0
        row = next(line for line in out.splitlines() if line.startswith(" 2 "))
        assert row.rstrip().endswith({"full": "x - 1 > 0", "simplified": "x > 1", "pattern": "+", "auto": "x > 1"}[mode])
    code, out = run_cli(["critical", "x - (relu(-x) - relu(x) + x)", "--conditions", "pattern"])
    assert code == 1 and "#0 relu(-x)" in out and "[00]" in out
    code, out = run_cli(["clarke", "abs(x) + relu(y - 1)", "--at", "x=0,y=1", "--conditions", "pattern"])
    assert code == 0 and "stratum 4 pattern: 00" in out
    code, out = run_cli(["clarke", "abs(x) + relu(y - 1)", "--at", "x=0,y=1"])
    assert "stratum 4 (x = 0, y = 1), dimension 0" in out


@pytest.mark.slow
def test_width_of_check_text_48_relus():
    from semialg.checks.conservative import check
    from semialg.checks.critical import for_check
    from semialg.report.check import check_text
    result = check(mlp([16, 16, 16], seed=2), rule="pytorch")
    critical = for_check(result)
    text = check_text(result, critical)
    assert max(map(len, text.splitlines())) <= 220
    assert max(map(len, check_text(result, critical, "full").splitlines())) > 1000
    pattern = check_text(result, critical, "pattern")
    row0 = next(line for line in pattern.splitlines() if line.lstrip().startswith("0 "))
    symbols = re.search(r"[+0-]+(?: [+0-]+)+$", row0)
    assert "pattern:" in pattern and symbols and len(symbols.group().replace(" ", "")) == 48


def test_width_of_check_text_one_wide_layer():
    """48 relus in one layer: every row's simplified conditions are short, so auto keeps them."""
    from semialg.checks.conservative import check
    from semialg.report.check import check_text
    result = check(mlp([48]), rule="pytorch")
    text = check_text(result)
    lines = text.splitlines()
    assert max(map(len, lines)) <= 220
    header = next(line for line in lines if line.lstrip().startswith("id "))
    assert header.split()[-1] == "conditions"
    assert max(map(len, check_text(result, None, "full").splitlines())) > 500
