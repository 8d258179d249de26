"""semialg.numeric: float evaluation agrees with exact evaluation and with sympy.

The property tests generate random programs (DAGs with shared subexpressions)
and random rational points, and compare three independent evaluations:
``numeric.evaluate`` (numpy), ``numeric.exact_value`` (Fractions, each
primitive's ``exact``) and ``sympy`` (``to_sympy`` then ``subs``).
"""
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import assume, given
from hypothesis import strategies as st

from semialg.core.dag import Node, Program, add
from semialg.core.errors import InputError
from semialg.core.primitives import REGISTRY
from semialg.frontends import builder as B
from semialg.frontends.sympy import symbols_for, to_sympy
from semialg.frontends.text import parse
from semialg.numeric import evaluate, exact_value, make_function, primitive_function

# --------------------------------------------------------------------------- strategies
DYADIC = st.builds(lambda n, d: Fraction(n, d), st.integers(-8, 8), st.sampled_from([1, 2, 4]))
RATIONAL = st.builds(lambda n, d: Fraction(n, d), st.integers(-9, 9), st.integers(1, 7))
# points hit kinks often: zero, ties between coordinates, small halves
POINT_COORD = st.one_of(st.sampled_from([Fraction(0), Fraction(1), Fraction(-1), Fraction(1, 2)]), DYADIC)

CONTINUOUS_OPS = ["add", "sub", "mul", "neg", "relu", "abs", "max", "min", "clip", "clip_expr", "clip_one_sided",
                  "leaky_relu", "hardtanh", "relu6", "sort", "square", "scale"]
JUMPY_OPS = ["where", "sign", "heaviside", "step", "floor", "round"]


@st.composite
def conditions(draw, pool, numbers):
    def comparison():
        a, b = draw(st.sampled_from(pool)), draw(st.one_of(st.sampled_from(pool), numbers))
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        return {"<": a.__lt__, "<=": a.__le__, ">": a.__gt__, ">=": a.__ge__, "==": a.__eq__, "!=": a.__ne__}[op](b)

    cond = comparison()
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["and", "or", "not"]))
        if kind == "not":
            cond = ~cond
        elif kind == "and":
            cond = cond & comparison()
        else:
            cond = cond | comparison()
    return cond


@st.composite
def programs(draw, numbers=DYADIC, ops=tuple(CONTINUOUS_OPS + JUMPY_OPS), max_ops=8):
    """A random program in x, y: a pool of expressions grown by random operations (so subexpressions are shared)."""
    x, y = B.variables("x y")
    pool = [x, y] + [B.Expr(Node.const(draw(numbers))) for _ in range(draw(st.integers(0, 2)))]
    pick = lambda: draw(st.sampled_from(pool))
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(ops))
        if op == "add":
            e = pick() + pick()
        elif op == "sub":
            e = pick() - pick()
        elif op == "mul":
            e = pick() * pick()
        elif op == "neg":
            e = -pick()
        elif op == "square":
            e = pick() ** 2
        elif op == "scale":
            e = draw(numbers) * pick() + draw(numbers)
        elif op in ("relu", "abs", "hardtanh", "relu6", "sign", "heaviside", "step", "floor", "round"):
            e = {"relu": B.relu, "abs": B.abs_, "hardtanh": B.hardtanh, "relu6": B.relu6, "sign": B.sign,
                 "heaviside": B.heaviside, "step": B.step, "floor": B.floor, "round": B.round_}[op](pick())
        elif op in ("max", "min"):
            args = [pick() for _ in range(draw(st.integers(2, 3)))]
            e = (B.max_ if op == "max" else B.min_)(*args)
        elif op == "clip":
            lo, hi = sorted([draw(numbers), draw(numbers)])
            e = B.clip(pick(), lo, hi)
        elif op == "clip_expr":
            a, lo, hi = pick(), pick(), pick()
            if lo.node.is_const and hi.node.is_const and lo.node.param > hi.node.param:
                lo, hi = hi, lo  # constant bounds must be ordered; expression bounds may cross
            e = B.clip(a, lo, hi)
        elif op == "clip_one_sided":
            e = draw(st.sampled_from([B.clip, B.clamp]))(pick(), *draw(st.sampled_from(
                [(draw(numbers), None), (None, draw(numbers))])))
        elif op == "leaky_relu":
            e = B.leaky_relu(pick(), draw(st.one_of(st.none(), numbers)))
        elif op == "sort":
            args = [pick() for _ in range(draw(st.integers(1, 3)))]
            e = draw(st.sampled_from(B.sort(*args)))
        elif op == "where":
            e = B.where(draw(conditions(pool, numbers)), pick(), pick())
        else:  # pragma: no cover
            raise AssertionError(op)
        pool.append(e)
    outputs = [pool[-1]] + ([pick()] if draw(st.booleans()) else [])
    return B.program(outputs, inputs="x y")


def exact_intermediates(program, point):
    """Exact values of every numeric node (to check float representability and magnitudes)."""
    numeric_nodes = tuple(n for n in program.topological_order()
                          if not (n.op in REGISTRY and REGISTRY[n.op].predicate))
    return exact_value(Program(program.inputs, numeric_nodes), point)


def sympy_values(program, point):
    symbols = symbols_for(program.inputs)
    subs = {s: sympy.Rational(v.numerator, v.denominator) for s, v in zip(symbols, point)}
    out = []
    for expr in to_sympy(program, symbols):
        value = sympy.sympify(expr).subs(subs).doit()  # doit: sympy can leave Min(-1, 1) unevaluated
        assert value.is_Rational, f"sympy did not reduce to a rational: {value}"
        out.append(Fraction(int(value.p), int(value.q)))
    return tuple(out)


def representable(value: Fraction) -> bool:
    try:
        return Fraction(float(value)) == value
    except OverflowError:
        return False


# --------------------------------------------------------------------------- properties
@given(programs(), st.lists(st.tuples(POINT_COORD, POINT_COORD), min_size=1, max_size=4))
def test_three_evaluations_agree_exactly_on_dyadic_points(program, points):
    """With dyadic constants and points whose every intermediate is a double, floats are exact:
    evaluate == exact_value == sympy, even across jumps (where/sign/floor/round)."""
    for point in points:
        assume(all(representable(v) for v in exact_intermediates(program, point)))
    floats = evaluate(program, np.array([[float(c) for c in p] for p in points]))
    assert floats.shape == (len(points), program.n_outputs)
    for row, point in zip(floats, points):
        exact = exact_value(program, point)
        assert all(isinstance(v, Fraction) for v in exact)
        assert tuple(Fraction(float(v)) for v in row) == exact, program.to_text()
        assert sympy_values(program, point) == exact, program.to_text()


@given(programs(numbers=RATIONAL, ops=tuple(CONTINUOUS_OPS), max_ops=7),
       st.tuples(RATIONAL, RATIONAL))
def test_continuous_programs_agree_within_tolerance(program, point):
    """General rationals (1/3 is not a double): continuous programs agree up to rounding."""
    exact = exact_value(program, point)
    assert sympy_values(program, point) == exact, program.to_text()
    scale = 1 + max(abs(float(v)) for v in exact_intermediates(program, point))
    floats = evaluate(program, np.array([[float(c) for c in point]]))[0]
    np.testing.assert_allclose(floats, [float(v) for v in exact], rtol=0, atol=1e-9 * scale ** 2)


# --------------------------------------------------------------------------- examples
def test_evaluate_shapes_and_vectorisation():
    p = parse("relu(x - y), abs(x) * y")
    pts = np.array([[1.0, 2.0], [3.0, -1.0], [0.0, 0.0]])
    out = evaluate(p, pts)
    assert out.shape == (3, 2) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [[0, 2], [4, -3], [0, 0]])
    for row, pt in zip(out, pts):
        assert tuple(row) == tuple(float(v) for v in exact_value(p, [Fraction(c) for c in pt]))


def test_evaluate_accepts_lists_and_single_points():
    p = parse("x * y")
    assert evaluate(p, [[2, 3]]).tolist() == [[6.0]]
    assert evaluate(p, [2, 3]).tolist() == [[6.0]]  # one point
    q = parse("relu(x)")
    assert evaluate(q, [-1, 2]).tolist() == [[0.0], [2.0]]  # one input: a column
    assert evaluate(parse("3"), np.zeros((2, 0))).tolist() == [[3.0], [3.0]]


def test_evaluate_rejects_bad_shapes():
    with pytest.raises(InputError, match=r"shape \(N, 2\)"):
        evaluate(parse("x + y"), np.zeros((4, 3)))


def test_discontinuous_values_at_the_jump():
    p = parse("sign(x), step(x), heaviside(x), floor(x), round(x), where(x >= 0, 1, -1)")
    pts = np.array([[0.0], [-0.5], [0.5], [1.5], [2.5]])
    expected = [[0, 0, 0.5, 0, 0, 1], [-1, 0, 0, -1, 0, -1], [1, 1, 1, 0, 0, 1], [1, 1, 1, 1, 2, 1],
                [1, 1, 1, 2, 2, 1]]
    np.testing.assert_array_equal(evaluate(p, pts), expected)
    for row, pt in zip(expected, pts):
        assert exact_value(p, [Fraction(pt[0])]) == tuple(Fraction(v) for v in row)


def test_sort_and_leaky_relu():
    p = parse("sort(x, y, 0), leaky_relu(x), leaky_relu(x, 1/10)")
    assert exact_value(p, [-2, 1]) == (-2, 0, 1, Fraction(-1, 50), Fraction(-1, 5))
    np.testing.assert_allclose(evaluate(p, [[-2, 1]]), [[-2, 0, 1, -0.02, -0.2]])


def test_exact_value_input_checks():
    p = parse("x + y")
    with pytest.raises(InputError, match="2 inputs"):
        exact_value(p, [1])
    with pytest.raises(InputError, match="exact rationals"):
        exact_value(p, ["a", 1])
    assert exact_value(p, ["1/2", 0.25]) == (Fraction(3, 4),)


def test_make_function():
    f = make_function(parse("max(x, y) - min(x, y)"))
    assert f(1, 3) == 2.0
    grid = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(-1, 1, 4))
    assert f(*grid).shape == (4, 3)
    g = make_function(parse("x, -x"))
    assert g(np.array([1.0, 2.0])).shape == (2, 2)
    with pytest.raises(InputError, match="expected 2 arguments"):
        f(1)


def test_primitive_functions_are_cached():
    assert primitive_function("relu", 1) is primitive_function("relu", 1)
    assert primitive_function("sort", 3, 0) is not primitive_function("sort", 3, 1)


def test_deep_program_evaluates_iteratively():
    depth = 10_000
    x = Node.var("x")
    node = x
    for i in range(depth):
        node = add(Node.make("relu" if i % 2 else "abs", (node,)), Node.const(Fraction(-1, 2)))
    p = Program(("x",), (node,))
    # abs(x) - 1/2 then relu(.) - 1/2 ...: from x = 3 the value decreases by 1/2 per level while positive
    value = exact_value(p, [3])[0]
    out = evaluate(p, np.array([[3.0], [-3.0]]))
    assert out.shape == (2, 1)
    assert float(value) == out[0, 0]
    assert exact_value(p, [-3])[0] == Fraction(float(out[1, 0]))
