"""Local questions on many inputs: pruning on a box, the reduced coordinates, strata cut to a box,
and assert_valid / check(domain=Box) on 784-input programs.

Independent references: exact evaluation of the original program (``exact_value``) at random
rational points of the box, and the direct computations (``clarke_at``, ``check`` with the box
given as a plain condition) on programs with few inputs."""
from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest
from test_normal_form import random_pl_program

from semialg.checks import local
from semialg.checks.assert_valid import assert_valid
from semialg.checks.clarke import clarke_at
from semialg.checks.conservative import check
from semialg.core.dag import Node, Program, add, mul
from semialg.frontends.domains import Box
from semialg.frontends.normal_form import NotPiecewiseLinear
from semialg.frontends.prune import prune, prune_near
from semialg.frontends.reduce import reduce_near
from semialg.frontends.text import parse
from semialg.numeric import exact_value
from semialg.rules import Rule
from semialg.stratification import stratify

NAMES5 = ("a", "b", "c", "d", "g")


def _in_box(rng, center, radius, corners=False):
    if corners:
        return [c + rng.choice([-radius, radius]) for c in center]
    return [c + radius * Fraction(rng.randint(-1000, 1000), 1000) for c in center]


def _grid_center(rng, n):
    return [Fraction(rng.randint(-4, 4), 2) for _ in range(n)]


@pytest.mark.parametrize("seed", range(40))
def test_pruned_program_equals_the_original_on_the_closed_box(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, NAMES5 if seed % 2 else ("x", "y"), size=7)
    if seed % 5 == 0:   # a polynomial program too: kinks times variables
        program = Program(program.inputs, (mul(program.outputs[0], Node.var(program.inputs[0])),))
    center = _grid_center(rng, program.n_inputs)
    radius = Fraction(rng.choice([1, 2, 5]), 8)
    pruned = prune(program, Box(center, radius))
    assert pruned.resolved + pruned.kept >= 1
    for k in range(30):
        x = _in_box(rng, center, radius, corners=k < 6)
        assert exact_value(pruned.program, x) == exact_value(program, x), (program.to_text(), x)


def test_pruning_resolves_only_what_keeps_its_sign():
    p = prune(parse("relu(x - 1) + relu(x) + abs(y + 1/2)"), Box([0, 0], "1/2"))
    assert p.program.to_text() == "relu(x) + abs(y + 1/2)" and (p.resolved, p.kept) == (1, 2)
    p = prune(parse("relu(x - 1) + relu(x) + abs(y + 1/2)"), Box([0, 0], "1/4"))
    assert p.program.to_text() == "relu(x) + y + 1/2"
    near = prune_near(parse("max(x, y) + where(x > 1, x, 0) + relu(y)"), [0, 0])
    assert near.program.to_text() == "max(x, y) + relu(y)"


@pytest.mark.parametrize("seed", range(30))
def test_reduction_reproduces_the_program_exactly(seed):
    rng = random.Random(100 + seed)
    program = random_pl_program(rng, NAMES5, size=6)
    center = _grid_center(rng, 5)
    radius = Fraction(rng.choice([0, 1, 3]), 4)
    red = reduce_near(program, center, radius)
    assert red.dim <= len(red.program.topological_order())
    scale = radius if radius else Fraction(1, 10 ** 9)
    for k in range(20):
        x = _in_box(rng, center, scale, corners=k < 4)
        h_value = exact_value(red.program, red.coordinates(x)) if red.dim else exact_value(red.program, [])
        linear = [sum(g * (xi - c) for g, xi, c in zip(row, x, center)) for row in red.linear]
        assert tuple(a + b for a, b in zip(linear, h_value)) == tuple(exact_value(program, x))


def test_reduction_refuses_polynomial_programs():
    with pytest.raises(NotPiecewiseLinear):
        reduce_near(parse("relu(x) * y + a + b + c + d", ["x", "y", "a", "b", "c", "d"]), [0] * 6)
    assert local.reduction_for(parse("relu(x) * y + a + b + c + d", ["x", "y", "a", "b", "c", "d"]), [0] * 6) is None
    assert local.reduction_for(parse("relu(x)"), [0]) is None   # few inputs: the direct path


def _kink_point(rng, program):
    """A point where the first kink of ``program`` is tied, found by moving one coordinate."""
    center = _grid_center(rng, program.n_inputs)
    from semialg.frontends.normal_form import normal_form
    nf = normal_form(program)
    for kink in nf.kinks:
        arg = kink.args[0]
        if arg.inputs and not arg.kinks:
            i, c = next(iter(arg.inputs.items()))
            value = arg.const + sum(v * center[j] for j, v in arg.inputs.items())
            center[i] -= value / c
            return center
    return center


@pytest.mark.parametrize("seed", range(12))
def test_clarke_in_reduced_coordinates_equals_the_direct_computation(seed):
    rng = random.Random(200 + seed)
    program = random_pl_program(rng, NAMES5, size=4)
    point = _kink_point(rng, program)
    direct = {tuple(map(tuple, v)) for v in clarke_at(program, point, stratification=stratify(program)).vertices}
    reduced = clarke_at(program, point)            # five inputs: clarke_at works in reduced coordinates
    assert reduced.reduction is not None
    assert {tuple(map(tuple, v)) for v in reduced.vertices} == direct, program.to_text()


class OnesAtTies(Rule):
    """A wrong rule: max'(tie) = (1, 1)."""

    def _kink_max(self, node, label, nargs):
        return (tuple(Fraction(1) if i in label else Fraction(0) for i in range(nargs)),)


@pytest.mark.parametrize("text, rule, verdict", [
    ("relu(a - b) + abs(c + d - g) + max(a, g)", "pytorch", "conservative"),
    ("max(a + b, c - d) + relu(g)", OnesAtTies(), "not_conservative"),
    ("max(a + b, c - d) - max(c - d, a + b) + g", "jax", "conservative"),
])
def test_box_check_in_reduced_coordinates_agrees_with_the_direct_check(monkeypatch, text, rule, verdict):
    program = parse(text, list(NAMES5))
    box = Box([0, 0, 0, 0, 0], "1/2")
    direct = check(program, rule=rule, domain=box.condition_text(list(NAMES5)))
    monkeypatch.setattr(local, "LOCAL_DIM", 2)
    reduced = check(program, rule=rule, domain=box)
    assert reduced.program.inputs[0] == "s1" and reduced.domain.dim < 5
    assert direct.verdict == reduced.verdict == verdict
    if verdict == "not_conservative":
        assert "meets the box at x = " in reduced.reason


def test_a_violation_outside_the_box_is_not_a_refutation(monkeypatch):
    # |a| = relu(a) + relu(-a) is at most 1/2 in the box, but interval arithmetic only bounds it by 1,
    # so the max's tie (|a| = 3/4, outside the box) is kept: H is refuted there, f in the box is not
    program = parse("max(relu(a) + relu(-a) + b, 3/4 + b) + c + d + g", list(NAMES5))
    monkeypatch.setattr(local, "LOCAL_DIM", 2)
    reduced = check(program, rule=OnesAtTies(), domain=Box([0, 0, 0, 0, 0], "1/2"))
    assert reduced.verdict == "unknown" and "which does not meet the box" in reduced.reason
    inside = check(program, rule=OnesAtTies(), domain=Box([0, 0, 0, 0, 0], "1"))
    assert inside.verdict == "not_conservative"


def test_strata_cut_to_a_box_keep_only_what_meets_it():
    s = stratify(parse("abs(x) + abs(y - 1)"), domain=Box([0, 0], "1/2"))
    assert sorted(t.dim for t in s.strata) == [1, 2, 2]    # the line x = 0 and its two sides
    assert all(t.contains(t.sample) and Box([0, 0], "1/2").contains(t.sample) for t in s.strata)
    assert [t.condition_text() for t in s.strata if t.dim == 1] == [["x = 0"]]
    assert s.domain == Box([0, 0], "1/2")


# --------------------------------------------------------------------------- 784 inputs
def _mlp(sizes, seed=1):
    import numpy as np
    rng = np.random.default_rng(seed)
    xs = [Node.var(f"x{i}") for i in range(sizes[0])]
    h, weights = xs, []
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        W = np.round(rng.uniform(-1, 1, (b, a)) * 8) / 8
        bias = np.round(rng.uniform(-1, 1, b) * 8) / 8
        weights.append((W, bias))
        pre = [add(*[mul(Node.const(Fraction(W[j, i])), h[i]) for i in range(a) if W[j, i]],
                   Node.const(Fraction(bias[j]))) for j in range(b)]
        h = [Node.make("relu", (p,)) for p in pre] if k < len(sizes) - 2 else pre
    x0 = [Fraction(int(v), 4) for v in rng.integers(-4, 5, sizes[0])]
    return Program(tuple(f"x{i}" for i in range(sizes[0])), (add(*h),)), weights, x0


def test_assert_valid_at_a_tie_of_a_784_input_network():
    program, weights, x0 = _mlp([784, 16, 16, 10])
    W, b = weights[0]
    k = next(i for i in range(784) if W[0, i])
    pre = sum(Fraction(W[0, i]) * x0[i] for i in range(784)) + Fraction(b[0])
    x0[k] -= pre / Fraction(W[0, k])       # unit 0 of the first layer exactly at its kink
    t = time.process_time()
    report = assert_valid(program, at=x0, rule="pytorch", radius=Fraction(1, 10 ** 6), raise_on_failure=False)
    assert time.process_time() - t < 30
    assert report.ok and report.in_clarke and report.artificial_critical is False
    assert report.box_check.verdict == "conservative"
    clarke = report.clarke
    assert len(clarke) in (1, 2)            # the unit's two sides (one if its output weight is dead)
    # the two vertices differ by a multiple of the unit's weight row
    if len(clarke) == 2:
        diff = [a - b for a, b in zip(clarke[0][0], clarke[1][0])]
        ratio = {d / Fraction(W[0, i]) for i, d in enumerate(diff) if W[0, i]}
        assert len(ratio) == 1 and all(d == 0 for i, d in enumerate(diff) if not W[0, i])


def test_an_artificial_critical_point_in_784_dimensions():
    import numpy as np
    rng = np.random.default_rng(3)
    w = [Fraction(int(v), 8) for v in rng.integers(-8, 9, 784)]
    xs = [Node.var(f"x{i}") for i in range(784)]
    linear = add(*[mul(Node.const(c), x) for c, x in zip(w, xs) if c])
    identity = add(Node.make("relu", (linear,)), mul(Node.const(-1), Node.make("relu", (mul(Node.const(-1), linear),))))
    program = Program(tuple(f"x{i}" for i in range(784)), (identity,))
    report = assert_valid(program, at=[0] * 784, rule="pytorch", raise_on_failure=False)
    assert report.artificial_critical is True and report.in_clarke is False
    assert report.clarke == ((tuple(w),),)      # relu(L) - relu(-L) = L: its Clarke set is {w}
    fixed = assert_valid(program, at=[0] * 784, rule="pytorch", overrides=["relu'(0)=1/2"])
    assert fixed.ok
