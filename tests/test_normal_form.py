"""The piecewise-linear normal form: its value is the program's, exactly, at random rational
points (random programs with relu/abs/max/min/clip/leaky_relu/hardtanh/relu6/sort, skip
connections and shared subexpressions); non-affine programs are refused with a reason."""
from __future__ import annotations

import random
import time
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.core.dag import Node, Program, add, mul
from semialg.core.errors import UnsupportedError
from semialg.frontends.normal_form import NotPiecewiseLinear, normal_form
from semialg.frontends.text import parse
from semialg.numeric import exact_value

UNARY = ["relu", "abs", "leaky_relu", "hardtanh", "relu6"]
NARY = ["max", "min", "sort", "clip", "clamp"]


def _coef(rng: random.Random) -> Fraction:
    return Fraction(rng.randint(-8, 8), rng.choice([1, 2, 4, 3]))


def random_pl_program(rng: random.Random, names=("x", "y"), size: int = 6) -> Program:
    """A random piecewise-linear program: each new node combines earlier ones (a DAG with sharing)."""
    pool = [Node.var(n) for n in names]

    def affine() -> Node:
        picks = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
        return add(*[mul(Node.const(_coef(rng) or 1), p) for p in picks], Node.const(_coef(rng)))

    for _ in range(size):
        op = rng.choice(UNARY + NARY)
        if op == "leaky_relu":
            node = Node.make(op, (affine(),), rng.choice([None, Fraction(1, 10), Fraction(2)]))
        elif op in UNARY:
            node = Node.make(op, (affine(),))
        elif op in ("max", "min"):
            node = Node.make(op, [affine() for _ in range(rng.randint(2, 3))])
        elif op == "sort":
            node = Node.make(op, [affine() for _ in range(3)], rng.randint(0, 2))
        else:
            lo = _coef(rng)
            side = rng.choice([None, "lo", "hi"])
            if side is None:
                node = Node.make(op, (affine(), Node.const(lo), Node.const(lo + rng.randint(0, 2))))
            else:
                node = Node.make(op, (affine(), Node.const(lo)), side)
        pool.append(node)
    outputs = [add(pool[-1], mul(Node.const(_coef(rng) or 1), rng.choice(pool)))]
    if rng.random() < 0.3:
        outputs.append(add(*rng.sample(pool, 2)))
    return Program(tuple(names), tuple(outputs))


def _point(rng: random.Random, n: int) -> list[Fraction]:
    return [Fraction(rng.randint(-12, 12), rng.choice([1, 2, 3, 4, 8])) for _ in range(n)]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10**9))
def test_normal_form_value_is_the_program_value(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, size=rng.randint(1, 8))
    nf = normal_form(program)
    small = nf.to_program()
    for _ in range(5):
        x = _point(rng, 2)
        assert nf.evaluate(x) == exact_value(program, x)
        assert exact_value(small, x) == exact_value(program, x)
    assert all(all(k < i for a in kink.args for k in a.kinks) for i, kink in enumerate(nf.kinks))
    assert all(kink.level == 1 + max([nf.kinks[k].level for a in kink.args for k in a.kinks], default=-1)
               for kink in nf.kinks)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**9))
def test_restriction_to_a_line_composes(seed):
    rng = random.Random(seed)
    program = random_pl_program(rng, names=("x", "y", "z"), size=5)
    nf = normal_form(program)
    a, d = _point(rng, 3), _point(rng, 3)
    line = nf.restrict(a, [d], ("t",))
    for t in (Fraction(0), Fraction(1, 3), Fraction(-5, 7), Fraction(2)):
        assert line.evaluate([t]) == exact_value(program, [p + t * q for p, q in zip(a, d)])


def test_kinks_keep_their_nodes_and_shared_subexpressions_are_one_kink():
    program = parse("relu(x - y) + 3 * relu(x - y) + max(relu(x - y), y, 0)")
    nf = normal_form(program)
    assert [k.op for k in nf.kinks] == ["relu", "max"]
    assert nf.kinks[0].node in program.topological_order()
    assert nf.outputs[0].kinks == {0: 4, 1: 1}
    assert nf.kinks[1].level == 1 and nf.depth == 2


def test_constant_kinks_fold_and_constant_factors_scale():
    nf = normal_form(parse("relu(x - x + 2) * y + (x - x) * abs(y) + abs(3 - 5)"))
    assert nf.kinks == () and nf.outputs[0].inputs == {1: 2} and nf.outputs[0].const == 2


@pytest.mark.parametrize("text, what", [
    ("relu(x) * y", "product of two non-constant"), ("x**2", "power"), ("where(x > 0, x, 0)", "predicate"),
    ("floor(x)", "floor"), ("clip(x, y, 1)", "non-constant bound"), ("sign(x) + y", "sign"),
])
def test_non_affine_programs_are_refused_with_a_reason(text, what):
    with pytest.raises(NotPiecewiseLinear) as info:
        normal_form(parse(text))
    assert what in info.value.reason and isinstance(info.value, UnsupportedError)


def _mlp(sizes, seed=0):
    rng = random.Random(seed)
    h = [Node.var(f"x{i}") for i in range(sizes[0])]
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        pre = [add(*[mul(Node.const(Fraction(rng.randint(-8, 8), 8) or 1), v) for v in h], Node.const(Fraction(rng.randint(-8, 8), 8)))
               for _ in range(n_out)]
        h = [Node.make("relu", (p,)) for p in pre] if k < len(sizes) - 2 else pre
    return Program(tuple(f"x{i}" for i in range(sizes[0])), (add(*h),))


def test_a_784_input_network_is_fast():
    program = _mlp([784, 64, 64, 10])
    start = time.process_time()
    nf = normal_form(program)
    assert time.process_time() - start < 3.0
    assert 100 < len(nf.kinks) <= 128 and nf.depth == 2   # kinks whose output weights sum to 0 are pruned
    x = [Fraction(i % 5 - 2, 4) for i in range(784)]
    assert nf.evaluate(x) == exact_value(program, x)
