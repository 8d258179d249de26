"""The exact line walk against brute force and against the general path.

Brute force: exact evaluation on a fine rational grid of the segment (every sign change of a
kink's condition lies in one reported interval; the labels computed at each grid point equal
the reported ones; f is affine with the reported slope on every interval; values at breakpoints
are the program's). Verdicts: ``check(..., domain=Segment)`` with the line walk and with
``method="generic"`` (the stratifier) agree on random programs and segments, including segments
inside a kink set, where the rule's kink value matters."""
from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.checks.conservative import check
from semialg.core import primitives
from semialg.core.dag import Node, Program
from semialg.frontends.domains import Segment
from semialg.frontends.normal_form import PIECEWISE_LINEAR, normal_form
from semialg.frontends.text import parse
from semialg.numeric import exact_value
from semialg.rules import Rule, _label_at, get_rule
from semialg.stratification.linewalk import walk_segment
from tests.test_normal_form import _mlp, _point, random_pl_program

GRID = 240


def _segment(rng: random.Random, n: int):
    a = _point(rng, n)
    b = _point(rng, n)
    if rng.random() < 0.3:   # a segment along a diagonal or an axis: kink sets contain pieces of it
        b = [a[0] + (b[0] - a[0])] * n if rng.random() < 0.5 else [a[0]] + b[1:]
        a = [a[0]] * n if rng.random() < 0.5 else a
    if a == b:
        b = [v + 1 for v in b]
    return a, b


def _labels_at(nf, x):
    z = nf.kink_values(x)
    out = []
    for kink in nf.kinks:
        args = [a.value(x, z) for a in kink.args]
        out.append(_label_at(primitives.REGISTRY[kink.op], kink.op, args, kink.param)[0])   # (label, tie)
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**9))
def test_walk_matches_brute_force_on_a_grid(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, size=rng.randint(1, 7))
    nf = normal_form(program)
    a, b = _segment(rng, 2)
    walk = walk_segment(nf, a, b)
    bps = walk.breakpoints
    assert bps[0] == 0 and bps[-1] == 1 and list(bps) == sorted(set(bps))
    at = lambda t: [p + t * (q - p) for p, q in zip(a, b)]   # noqa: E731
    for j, t in enumerate(bps):
        assert walk.values[j] == exact_value(program, at(t))
        assert tuple(pl[j] for pl in walk.point_labels) == tuple(_labels_at(nf, at(t)))
    grid = sorted(set([Fraction(i, GRID) for i in range(GRID + 1)]) | set(bps))
    i = 0
    for t in grid:
        while i < walk.pieces - 1 and t >= bps[i + 1]:
            i += 1
        if t in bps:
            continue
        # inside interval i: every kink has the reported label, f is affine with the reported slope
        assert bps[i] < t < bps[i + 1]
        assert tuple(_labels_at(nf, at(t))) == walk.labels_on(i)
        f = exact_value(program, at(t))
        assert f == tuple(v + s * (t - bps[i]) for v, s in zip(walk.values[i], walk.slopes[i]))
    # every breakpoint but the ends is a change of some kink's label
    for j in range(1, len(bps) - 1):
        assert any(not (pl[j] == il[j - 1] == il[j]) for pl, il in zip(walk.point_labels, walk.interval_labels))


RULES = ["pytorch", "jax", "tensorflow", "clarke"]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**9))
def test_verdicts_equal_the_general_path(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, size=rng.randint(1, 5))
    a, b = _segment(rng, 2)
    rule = rng.choice(RULES)
    fast = check(program, domain=Segment(a, b), rule=rule)
    generic = check(program, domain=Segment(a, b), rule=rule, method="generic")
    assert generic.stratification.stats["method"] != "linewalk"
    assert fast.verdict == generic.verdict, (program.to_text(), a, b, rule, fast.reason, generic.reason)
    if fast.stratification.stats["method"] == "linewalk":
        ours = [s.sample for s in fast.stratification.strata if s.dim == 0]
        theirs = sorted(s.sample for s in generic.stratification.asked() if s.dim == 0)
        assert set(ours) <= set(theirs)
        kinks = [n for n in program.topological_order() if n.op in PIECEWISE_LINEAR]
        if len(normal_form(program).kinks) == len(kinks):   # no kink pruned (one multiplied by 0, as in g - g)
            assert ours == theirs
            assert len(fast.stratification.strata) == len(generic.stratification.asked())
        assert fast.segment_integral["f_b_minus_f_a"] == generic.segment_integral["f_b_minus_f_a"]


class OnesAtTies(Rule):
    """A wrong rule: max'(tie) = (1, 1), so max(t, t) would grow at rate 2."""

    def _kink_max(self, node, label, nargs):
        return (tuple(Fraction(1) if i in label else Fraction(0) for i in range(nargs)),)


@pytest.mark.parametrize("text, rule, verdict", [
    ("relu(x - y)", "pytorch", "conservative"),
    ("relu(x - y)", "clarke", "conservative"),
    ("max(x, y)", "pytorch", "conservative"),
    ("max(x, y)", OnesAtTies(), "not_conservative"),
    ("relu(max(x, y) - x) + y", OnesAtTies(), "conservative"),      # pytorch's relu'(0) = 0 hides the tie
    ("relu(max(x, y) - x) + y", OnesAtTies(overrides=(("relu'(0)", (Fraction(1),)),)), "not_conservative"),
    ("max(x, y) - min(x, y)", "jax", "conservative"),
])
def test_segment_inside_a_kink_set(text, rule, verdict):
    segment = Segment([0, 0], [1, 1])
    fast = check(parse(text), domain=segment, rule=rule)
    generic = check(parse(text), domain=segment, rule=rule, method="generic")
    assert fast.verdict == generic.verdict == verdict
    if verdict == "not_conservative":
        assert fast.stratification.stats["method"] == "linewalk"
        assert fast.witness.derivative_along_curve == 1 and fast.witness.field_along_curve == 2
        assert fast.segment_integral["equal"] is False


def test_walk_gives_the_tangent_of_a_set_valued_rule_per_vertex_combination():
    walk = walk_segment(parse("relu(x - y) + abs(x - y) * 3"), [0, 0], [1, 1], get_rule("clarke"))
    assert walk.pieces == 1 and walk.set_valued == (0,) and walk.holds is True
    walk = walk_segment(parse("max(x, y) + 0 * x"), [0, 0], [1, 1], OnesAtTies())
    assert walk.holds is False and walk.witness["tangent"] == 2 and walk.witness["slope"] == 1


def test_ties_below_the_maximum_are_not_breakpoints():
    # y and 1 - x tie at t = 1/2 but stay below 3 + x: no kink of max there
    walk = walk_segment(parse("max(y, 1 - x, 3 + x)"), [0, 0], [1, 1])
    assert walk.breakpoints == (0, 1) and walk.stats["dropped_breakpoints"] == 1


def test_a_784_input_network_on_a_segment():
    program = _mlp([784, 64, 64, 10], seed=1)
    rng = random.Random(3)
    a = [Fraction(rng.randint(-4, 4), 4) for _ in range(784)]
    b = [Fraction(rng.randint(-4, 4), 4) for _ in range(784)]
    start = time.process_time()
    result = check(program, domain=Segment(a, b), rule="pytorch")
    assert time.process_time() - start < 5.0
    assert result.verdict == "conservative" and result.stratification.stats["method"] == "linewalk"
    assert result.segment_integral["equal"] is True
    strata = result.stratification.strata
    for s in strata[::7]:
        x = result.domain.to_original(s.sample)
        assert exact_value(program, x) == tuple(p.eval(s.sample) for p in s.piece)
    assert result.to_json()["verdict"] == "conservative" and "linewalk" not in result.to_text()[:0]
