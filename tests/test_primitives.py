"""semialg.core.primitives: every registered primitive is complete and self-consistent.

The tests loop over ``REGISTRY``: a primitive that forgets its summary, example,
branches, partials, exact value or sympy form fails here loudly, as does one
whose branches overlap or leave a gap, or whose pieces disagree with ``exact``.
"""
import itertools
import random
from fractions import Fraction

import pytest
import sympy

from semialg.core import primitives
from semialg.core.dag import BOOL_OPS, COMPARE_OPS
from semialg.core.poly import Poly
from semialg.core.primitives.semialgebraic import LIFTED
from semialg.core.primitives import NEG, POS, REGISTRY, ZERO
from semialg.frontends.text import parse

# the lifted primitives (roots, reciprocals, norms) carry auxiliary arguments: tests/test_lifted.py
NAMES = sorted(set(REGISTRY) - LIFTED)
DISCONTINUOUS = {"sign", "step", "heaviside", "floor", "round"}  # theory §1

# Argument kinds: "num" (a real number) or "cond" (a truth value). Default: all numbers.
ARG_KINDS = {"where": ("cond", "num", "num"), **{op: "cond" for op in BOOL_OPS}}

# (number of arguments, param) configurations beyond the default (every arity up to 4, param None).
CONFIGS = {
    "leaky_relu": [(1, None), (1, Fraction(1, 10)), (1, Fraction(-1, 2)), (1, Fraction(2))],
    "sort": [(n, k) for n in (1, 2, 3, 4) for k in range(n)],
    "clip": [(3, None), (2, "lo"), (2, "hi")],
    "clamp": [(3, None), (2, "lo"), (2, "hi")],
    "floor": [(1, None), (1, 0), (1, 3), (1, -2)],
}

# Primitives whose branches describe the function only near one jump (the one at ``param``):
# the window, as a half-open interval [lo, hi) of the argument, where the branches are exact.
LOCAL_WINDOW = {
    "floor": lambda param: (Fraction(param or 0) - 1, Fraction(param or 0) + 1),
    "round": lambda param: (Fraction(-1, 2), Fraction(3, 2)),
}

# values drawn often enough to produce ties and zeros (kinks)
VALUES = [Fraction(v) for v in (-2, -1, Fraction(-1, 2), 0, 0, Fraction(1, 3), Fraction(1, 2), 1, 1, 2, 6, 7)]


def configurations(name):
    if name in CONFIGS:
        return CONFIGS[name]
    lo, hi = REGISTRY[name].arity
    top = min(hi if hi is not None else lo + 2, 4)
    return [(n, None) for n in range(lo, top + 1)]


def kinds(name, nargs):
    spec = ARG_KINDS.get(name, "num")
    return tuple(spec) if isinstance(spec, tuple) else (spec,) * nargs


def random_args(rng, name, nargs, param):
    ks = kinds(name, nargs)
    if name in LOCAL_WINDOW:
        lo, hi = LOCAL_WINDOW[name](param)
        choices = [lo, lo + Fraction(1, 3), (lo + hi) / 2, hi - Fraction(1, 7)] + [v for v in VALUES if lo <= v < hi]
        return [rng.choice(choices)]
    return [rng.choice([True, False]) if k == "cond" else rng.choice(VALUES) for k in ks]


def symbolic_args(name, nargs, values):
    """Poly variables for the numeric arguments (truth values stay as given), and their point."""
    ks = kinds(name, nargs)
    num_positions = [i for i, k in enumerate(ks) if k == "num"]
    polys = Poly.variables(len(num_positions))
    args, point = [], []
    for i, k in enumerate(ks):
        if k == "num":
            args.append(polys[num_positions.index(i)])
            point.append(values[i])
        else:
            args.append(values[i])
    return args, tuple(point), num_positions


def holds(conditions, point):
    for poly, s in conditions:
        v = poly.eval(point)
        if (v > 0) - (v < 0) != s:
            return False
    return True


def value_at(value, point):
    return value.eval(point) if isinstance(value, Poly) else value


def gradient(value, point, num_positions, nargs):
    """The gradient of a branch value with respect to all arguments (truth values: 0)."""
    grad = [Fraction(0)] * nargs
    if isinstance(value, Poly):
        for j, pos in enumerate(num_positions):
            grad[pos] = Fraction(value.diff(j).eval(point))
    return tuple(grad)


CASES = [(name, nargs, param) for name in NAMES for nargs, param in configurations(name)]


def case_id(case):
    name, nargs, param = case
    return f"{name}-{nargs}" + ("" if param is None else f"-{param}")


# --------------------------------------------------------------------------- the registry itself
@pytest.mark.parametrize("name", NAMES)
def test_declares_name_arity_summary_example(name):
    prim = REGISTRY[name]
    assert prim.name == name
    lo, hi = prim.arity
    assert isinstance(lo, int) and lo >= 1 and (hi is None or hi >= lo)
    assert isinstance(prim.summary, str) and prim.summary.strip(), f"{name}: missing summary"
    assert isinstance(prim.example, str) and prim.example, f"{name}: missing example"
    program = parse(prim.example)
    assert name in {n.op for n in program.topological_order()}, f"{name}: its example {prim.example!r} does not use it"
    assert isinstance(prim.continuous, bool) and isinstance(prim.predicate, bool)


def test_discontinuous_and_predicate_sets():
    assert {n for n, p in REGISTRY.items() if not p.continuous} == DISCONTINUOUS
    assert {n for n, p in REGISTRY.items() if p.predicate} == set(COMPARE_OPS) | set(BOOL_OPS)
    assert primitives.NONSMOOTH == set(REGISTRY) - set(BOOL_OPS)


def test_tables_name_registered_primitives():
    for table in (ARG_KINDS, CONFIGS, LOCAL_WINDOW):
        assert set(table) <= set(REGISTRY), "a test table names an unknown primitive"
    for alias, target in primitives.ALIASES.items():
        assert target in REGISTRY and primitives.get(alias) is REGISTRY[target]


def test_compare_ops_match_dag():
    for op, symbol in COMPARE_OPS.items():
        assert REGISTRY[op].symbol == symbol


# --------------------------------------------------------------------------- branches
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_branches_partition_and_match_exact(case):
    name, nargs, param = case
    prim = REGISTRY[name]
    rng = random.Random(f"{name}{nargs}{param}")
    for _ in range(60):
        values = random_args(rng, name, nargs, param)
        args, point, _ = symbolic_args(name, nargs, values)
        branches = prim.branches(args, param)
        assert branches, f"{name}: no branches"
        active = [b for b in branches if holds(b.conditions, point)]
        assert len(active) == 1, f"{name}{values}: {len(active)} branches hold ({[b.label for b in active]})"
        expected = prim.exact(values, param)
        got = value_at(active[0].value, point)
        assert got == expected, f"{name}{values} param={param}: branch {active[0].label} gives {got}, exact {expected}"
        if prim.predicate:
            assert isinstance(expected, bool)
        else:
            assert isinstance(expected, Fraction) and not isinstance(expected, bool)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_branch_labels_and_kinks(case):
    name, nargs, param = case
    prim = REGISTRY[name]
    args, _, _ = symbolic_args(name, nargs, [True] * nargs)
    branches = prim.branches(args, param)
    labels = [b.label for b in branches]
    assert len(set(map(repr, labels))) == len(labels), f"{name}: duplicate branch labels {labels}"
    for b in branches:
        hash(b.label)
        assert all(s in (NEG, ZERO, POS) for _, s in b.conditions)
        if prim.is_kink(b.label):
            assert any(s == ZERO for _, s in b.conditions), f"{name}: kink {b.label} lies on no equation"
        if not any(s == ZERO for _, s in b.conditions):
            assert not prim.is_kink(b.label), f"{name}: open branch {b.label} is called a kink"
    if name != "where":
        assert prim.branch_labels(nargs, param) == labels


# --------------------------------------------------------------------------- partials
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_partials_defined_for_every_label(case):
    name, nargs, param = case
    prim = REGISTRY[name]
    rng = random.Random(f"partials{name}{nargs}{param}")
    seen = {}
    smooth_gradients = set()
    for _ in range(80):
        values = random_args(rng, name, nargs, param)
        args, point, num_positions = symbolic_args(name, nargs, values)
        for b in prim.branches(args, param):
            seen.setdefault(repr(b.label), (b, point, num_positions))
            if not prim.is_kink(b.label):
                smooth_gradients.add(gradient(b.value, point, num_positions, nargs))
    extra = []
    if name == "where":  # the condition's boundary: both sides are limits
        extra = [(True, True), (False, True)]
    for label in [b.label for b, _, _ in seen.values()] + extra:
        vertices = prim.partials(label, nargs, param)
        assert isinstance(vertices, tuple) and vertices, f"{name}: no partials for {label!r}"
        for v in vertices:
            assert len(v) == nargs, f"{name}: partial {v} for {label!r} has the wrong length"
            assert all(isinstance(c, (int, Fraction)) for c in v)
        if prim.predicate:
            assert vertices == ((Fraction(0),) * nargs,)
            continue
        if not prim.is_kink(label):
            assert len(vertices) == 1, f"{name}: smooth branch {label!r} has {len(vertices)} vertices"
            if repr(label) in seen:
                b, point, num_positions = seen[repr(label)]
                assert vertices[0] == gradient(b.value, point, num_positions, nargs), \
                    f"{name}: partials on {label!r} are not the gradient of the piece"
        else:
            for v in vertices:
                assert tuple(map(Fraction, v)) in smooth_gradients, \
                    f"{name}: Clarke vertex {v} at {label!r} is not the gradient of a neighbouring piece"
            if prim.continuous:
                assert len(vertices) >= 2, f"{name}: kink {label!r} of a continuous primitive has one vertex"


# --------------------------------------------------------------------------- sympy
def _sympy_value(expr):
    expr = expr.replace(sympy.Function("round_half_even"),
                        lambda a: sympy.Integer(round(Fraction(int(a.p), int(a.q)))))
    return expr


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_to_sympy_agrees_with_exact(case):
    name, nargs, param = case
    prim = REGISTRY[name]
    rng = random.Random(f"sympy{name}{nargs}{param}")
    symbols = sympy.symbols(f"a0:{nargs}", real=True)
    for _ in range(12):
        values = random_args(rng, name, nargs, param)
        sym_args = [sympy.true if v is True else sympy.false if v is False else s
                    for v, s in zip(values, symbols)]
        expr = prim.to_sympy(sym_args, param)
        subs = {s: sympy.Rational(v.numerator, v.denominator)
                for s, v in zip(symbols, values) if not isinstance(v, bool)}
        got = _sympy_value(sympy.sympify(expr).subs(subs).doit())
        expected = prim.exact(values, param)
        if isinstance(expected, bool):
            assert bool(got) is expected, f"{name}{values}: sympy {got}, exact {expected}"
        else:
            assert got.is_Rational and Fraction(int(got.p), int(got.q)) == expected, \
                f"{name}{values} param={param}: sympy gives {got}, exact {expected}"


def test_every_registered_primitive_is_exercised():
    covered = {name for name, _, _ in CASES}
    assert covered == set(REGISTRY) - LIFTED   # the lifted ones: tests/test_lifted.py::test_lifted_branches_*


def test_missing_parts_fail_loudly():
    """A subclass that forgets a method raises NotImplementedError instead of returning nonsense."""
    bare = type("Bare", (primitives.Primitive,), {"name": "bare"})()
    for call in (lambda: bare.branches([Poly.variables(1)[0]]), lambda: bare.partials("pos", 1),
                 lambda: bare.exact([Fraction(0)]), lambda: bare.to_sympy([sympy.Symbol("a")])):
        with pytest.raises(NotImplementedError):
            call()


def test_relu_facts():
    relu = REGISTRY["relu"]
    assert relu.partials("zero", 1) == ((Fraction(0),), (Fraction(1),))
    assert relu.exact([Fraction(-3)]) == 0 and relu.exact([Fraction(5, 2)]) == Fraction(5, 2)


def test_max_ties_are_kinks_with_all_tied_vertices():
    mx = REGISTRY["max"]
    labels = mx.branch_labels(3)
    assert frozenset({0, 1, 2}) in labels
    assert mx.partials(frozenset({0, 2}), 3) == ((1, 0, 0), (0, 0, 1))
    assert len(list(itertools.chain(labels))) == 7  # nonempty subsets of {0,1,2}
