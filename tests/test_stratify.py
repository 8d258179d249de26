"""Tests of the stratifier (semialg.stratify and the modules behind it), all exact.

Counts fixed by theory, samples in their own stratum and no other, point location
of 10,000 float points (converted exactly) against numeric evaluation, spellings
of the same function, and the three engines (arrangement, branch tree with
double description, branch tree with z3 for every branch) against each other.
"""
from __future__ import annotations

import itertools
import json
import random
from collections import Counter
from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg import numeric, smt
from semialg.core.errors import InputError
from semialg.core.poly import Poly, nullspace, solve_affine
from semialg.frontends.text import parse
from semialg.stratification import StratifyError, stratify
from semialg.stratification.arrangement import enumerate_faces
from semialg.stratification.polyhedra import Cone


# --------------------------------------------------------------------------- helpers
def generic_lines(k: int, seed: int) -> list[tuple[int, int, int]]:
    """k lines a*x + b*y + c = 0 in general position (no two parallel, no three concurrent), exactly."""
    rng = random.Random(seed)
    lines: list[tuple[int, int, int]] = []
    while len(lines) < k:
        a, b, c = (rng.randint(-9, 9) for _ in range(3))
        if (a, b) == (0, 0):
            continue
        if any(a * e - b * d == 0 for d, e, _ in lines):
            continue
        if any(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g) == 0
               for (d, e, f), (g, h, i) in itertools.combinations(lines, 2)):
            continue
        lines.append((a, b, c))
    return lines


def layer(lines) -> str:
    return " + ".join(f"relu({a}*x + {b}*y + {c})" for a, b, c in lines)


def net(dims: list[int], seed: int) -> str:
    rng = random.Random(seed)
    cur = ["x", "y", "z"][:dims[0]]
    for a, b in zip(dims[:-1], dims[1:]):
        cur = [f"relu({' + '.join(f'{rng.randint(-5, 5)}*({v})' for v in cur)} + {rng.randint(-5, 5)})"
               for _ in range(b)]
    return ", ".join(cur)


def signs_at(point, polys) -> list[int]:
    """Exact signs at a rational or algebraic point."""
    return smt.exact_signs(point, polys)


def in_stratum(stratum, point) -> bool:
    signs = signs_at(point, [p for p, _ in stratum.conditions])
    return all(v == s for v, (_, s) in zip(signs, stratum.conditions))


def key(stratum) -> tuple:
    return (stratum.conditions, stratum.labels, stratum.dim, stratum.piece)


def agree_on(stratum, p: Poly, q: Poly) -> bool:
    """Do two polynomials agree on a linear stratum? (compose with its affine parametrization)"""
    d = p - q
    if d.is_zero:
        return True
    eqs = stratum.equalities
    n = len(stratum.sample)
    if not eqs:
        return False
    rows = [list(e.linear_coeffs()) for e in eqs]
    base = solve_affine(rows, [-e.const_value for e in eqs])
    basis = nullspace(rows, n)
    m = len(basis)
    ts = Poly.variables(m) if m else []
    images = [sum((ts[k] * basis[k][i] for k in range(m)), Poly.constant(m, base[i])) for i in range(n)]
    return (d.compose(images) if m else Poly.constant(0, d.eval(base))).is_zero


def same_strata(a, b) -> bool:
    return ([key(s) for s in a.strata] == [key(s) for s in b.strata]) and a.above == b.above


# --------------------------------------------------------------------------- counts fixed by theory
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8, 12])
def test_lines_in_general_position(k):
    """n lines in general position: n^2 edges, C(n,2) vertices, 1 + n + C(n,2) regions, 2n^2 + 1 strata."""
    s = stratify(parse(layer(generic_lines(k, seed=k))))
    dims = Counter(t.dim for t in s.strata)
    assert len(s.strata) == 2 * k * k + 1
    assert dims == Counter({0: comb(k, 2), 1: k * k, 2: 1 + k + comb(k, 2)}) - Counter()
    assert s.complete and s.stats["method"] == "arrangement" and s.stats["solver_calls"] == 0


@pytest.mark.parametrize("k", [2, 4, 6])
def test_lines_by_the_branch_tree(k):
    auto = stratify(parse(layer(generic_lines(k, seed=10 + k))))
    tree = stratify(parse(layer(generic_lines(k, seed=10 + k))), method="tree")
    assert len(tree.strata) == 2 * k * k + 1 and tree.stats["solver_calls"] == 0
    assert same_strata(auto, tree)


@pytest.mark.parametrize("text, count, dims", [
    ("relu(x)", 3, [0, 1, 1]),
    ("relu(x**2 + y**2 - 1)", 3, [1, 2, 2]),
    ("relu(relu(x) - 1)", 5, [0, 0, 1, 1, 1]),
    ("abs(x) + abs(y)", 9, [0, 1, 1, 1, 1, 2, 2, 2, 2]),
    ("max(x, y, 0)", 7, [0, 1, 1, 1, 2, 2, 2]),
    ("relu(x*y)", 7, [0, 1, 1, 1, 1, 2, 2]),          # the singular origin is split off
    ("relu(x) + relu(x + y**2)", 6, [0, 1, 1, 2, 2, 2]),  # x = 0, x + y^2 = 0 is a point, not a line
])
def test_counts(text, count, dims):
    s = stratify(parse(text))
    assert len(s.strata) == count
    assert sorted(t.dim for t in s.strata) == dims
    assert s.complete


def test_dependent_equalities_give_a_point():
    s = stratify(parse("relu(x) + relu(x + y**2)"))
    both = [t for t in s.strata if len(t.equalities) >= 2]
    assert len(both) == 1 and both[0].dim == 0 and both[0].sample == (0, 0)


# --------------------------------------------------------------------------- samples
PROGRAMS = [
    layer(generic_lines(4, 3)), "relu(relu(x) - y)", "abs(x) + abs(y)", "max(x, y, 0)",
    "relu(x**2 + y**2 - 1) + relu(x**2 - y) + relu(x*y - 1)", "relu(x*y)", "clip(x, 0, 1) + relu(y - x)",
    net([2, 3, 2], 1), "relu(x**2 + y**2 - 1) + relu(x - 1/2)", "sort(x, y, 0)",
    "hardtanh(x + y) + leaky_relu(x - y)", "relu(x) + relu(y) + relu(z - x)",
]


@pytest.mark.parametrize("text", PROGRAMS)
def test_every_sample_lies_in_its_own_stratum_and_no_other(text):
    s = stratify(parse(text))
    for t in s.strata:
        inside = [u.id for u in s.strata if in_stratum(u, t.sample)]
        assert inside == [t.id], (t.id, inside)


@pytest.mark.parametrize("text", PROGRAMS)
def test_adjacency_is_a_closure_relation(text):
    """above is irreflexive, goes up in dimension, and is transitive (closure of closure)."""
    s = stratify(parse(text))
    g = s.graph()
    for t in s.strata:
        assert t.id not in s.above[t.id]
        for c in s.above[t.id]:
            assert s.strata[c].dim > t.dim
            assert g.has_edge(t.id, c)
            assert set(s.above[c]) <= set(s.above[t.id])


def _exact_signs_of_floats(polys, pts) -> list[tuple]:
    """Exact sign vectors of the polynomials at float points (each float is a dyadic rational)."""
    out = []
    linear = all(p.is_linear and all(c.denominator == 1 for c in p.terms.values()) for p in polys)
    keys = [[(m.index(1) if sum(m) else -1, int(c)) for m, c in p.terms.items()] for p in polys] if linear else None
    for pt in pts:
        exact = [Fraction(float(v)) for v in pt]
        if linear:   # integer arithmetic over the common power-of-two denominator
            den = max(v.denominator for v in exact)
            nums = [int(v * den) for v in exact]
            signs = []
            for terms in keys:
                total = 0
                for i, c in terms:
                    total += c * (den if i < 0 else nums[i])
                signs.append((total > 0) - (total < 0))
        else:
            signs = []
            for p in polys:
                v = p.eval(exact)
                signs.append((v > 0) - (v < 0))
        out.append(tuple(signs))
    return out


def _exact_one_stratum(strat, points) -> list[int]:
    """For each float point (exactly as a rational), the one stratum containing it (asserted exactly)."""
    polys = list({p: None for t in strat.strata for p, _ in t.conditions})
    index = {p: i for i, p in enumerate(polys)}
    groups: dict = {}
    for k, signs in enumerate(_exact_signs_of_floats(polys, points)):
        groups.setdefault(signs, []).append(k)
    owner = [None] * len(points)
    for signs, members in groups.items():
        match = [t.id for t in strat.strata if all(signs[index[p]] == s for p, s in t.conditions)]
        assert len(match) == 1, (signs, match)
        for k in members:
            owner[k] = match[0]
    return owner


def _float_eval(p: Poly, pts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(pts))
    for m, c in p.terms.items():
        term = np.full(len(pts), float(c))
        for i, e in enumerate(m):
            if e:
                term = term * pts[:, i] ** e
        out += term
    return out


@pytest.mark.parametrize("text", [layer(generic_lines(8, 5)), net([2, 4, 3], 7) + ", x*y - relu(x)",
                                  "relu(x**2 + y**2 - 1) + relu(x**2 - y)"])
def test_ten_thousand_float_points(text):
    """Each of 10,000 random float points (exact as rationals) is in exactly one stratum,
    and that stratum's piece equals the program's (numeric) value there."""
    program = parse(text)
    strat = stratify(program)
    rng = np.random.default_rng(0)
    pts = rng.normal(scale=2.0, size=(10_000, program.n_inputs))
    owner = np.array(_exact_one_stratum(strat, pts))
    values = numeric.evaluate(program, pts)
    for t in strat.strata:
        mine = owner == t.id
        if mine.any():
            got = np.stack([_float_eval(p, pts[mine]) for p in t.piece], axis=1)
            assert np.allclose(got, values[mine], rtol=1e-9, atol=1e-9), t.id
    for k in range(0, len(pts), 500):   # point location and the pieces agree, exactly
        exact = tuple(Fraction(float(v)) for v in pts[k])
        assert strat.locate(exact).id == owner[k]
        assert tuple(p.eval(exact) for p in strat.strata[owner[k]].piece) == numeric.exact_value(program, exact)


@settings(max_examples=60)
@given(st.lists(st.fractions(min_value=-4, max_value=4, max_denominator=6), min_size=2, max_size=2))
def test_rational_points_located_exactly(coords):
    program = parse("relu(relu(x) - y) + abs(x + y - 1) + max(x, 2*y, 1/2)")
    strat = _cached(program)
    t = strat.locate(coords)
    assert t.contains(coords)
    assert tuple(p.eval(coords) for p in t.piece) == numeric.exact_value(program, coords)


_CACHE: dict = {}


def _cached(program):
    if id(program) not in _CACHE:
        _CACHE.clear()
        _CACHE[id(program)] = (program, stratify(program))
    return _CACHE[id(program)][1]


# --------------------------------------------------------------------------- spellings
@pytest.mark.parametrize("texts", [
    ("relu(x)", "max(x, 0)", "where(x > 0, x, 0)"),
    ("relu(x - y)", "max(x - y, 0)", "where(x > y, x - y, 0)"),
    ("abs(x)", "max(x, -x)", "where(x > 0, x, -x)"),
])
def test_spellings_give_the_same_strata_and_pieces(texts):
    strats = [stratify(parse(t, "x,y" if "y" in texts[0] else "x")) for t in texts]

    def by_conditions(strat):   # the same strata up to order: index them by their conditions
        cond = lambda t: frozenset(t.conditions)
        return {cond(t): (t, frozenset(cond(strat.strata[c]) for c in strat.above[t.id])) for t in strat.strata}

    first = by_conditions(strats[0])
    for other in map(by_conditions, strats[1:]):
        assert set(other) == set(first)
        for c, (a, up) in first.items():
            b, up_b = other[c]
            assert (a.dim, up) == (b.dim, up_b)
            assert all(agree_on(a, p, q) for p, q in zip(a.piece, b.piece))


# --------------------------------------------------------------------------- engines agree
_PRIMS = ["relu({a})", "abs({a})", "max({a}, {b})", "min({a}, {b})", "clip({a}, -1, 1)", "hardtanh({a})",
          "leaky_relu({a}, 1/4)", "where({a} > 0, {b}, {a})", "relu6({a})", "sort({a}, {b})[1]"]


def _random_affine(rng, names) -> str:
    return " + ".join(f"{rng.randint(-3, 3)}*{v}" for v in names) + f" + {rng.randint(-3, 3)}"


@pytest.mark.parametrize("seed", range(12))
def test_arrangement_equals_branch_tree(seed):
    rng = random.Random(seed)
    names = ["x", "y", "z"][:2 + seed % 2]
    terms = [rng.choice(_PRIMS).format(a=_random_affine(rng, names), b=_random_affine(rng, names))
             for _ in range(2 + seed % 4)]
    program = parse(" + ".join(terms), ",".join(names))
    auto = stratify(program)
    tree = stratify(program, method="tree")
    assert auto.stats["method"] == "arrangement"
    assert same_strata(auto, tree)
    if seed < 6:
        assert same_strata(tree, stratify(program, method="smt"))


def test_arrangement_strata_keep_a_branch_code():
    """A global arrangement's strata keep one byte per kink and rebuild their labels and
    conditions on access: the same values as the branch tree's, through pickling, equality,
    hashing and dataclass replace."""
    import dataclasses
    import pickle
    program = parse(layer(generic_lines(6, seed=3)))
    auto, tree = stratify(program), stratify(program, method="tree")
    assert auto.stats["method"] == "arrangement"
    for a, t in zip(auto.strata, tree.strata):
        assert "labels" not in vars(a) and "conditions" not in vars(a)
        assert (a.labels, a.conditions) == (t.labels, t.conditions)
        same = dataclasses.replace(t, sample=a.sample)   # the engines choose different samples
        assert a == same and hash(a) == hash(same)
        back = pickle.loads(pickle.dumps(a))
        assert back == a and back.conditions == a.conditions
        moved = dataclasses.replace(a, reason="moved")
        assert (moved.labels, moved.conditions, moved.reason) == (a.labels, a.conditions, "moved")
    with pytest.raises(AttributeError):
        auto.strata[0].no_such_field


@pytest.mark.parametrize("seed", range(6))
def test_double_description_equals_z3_on_bent_nets(seed):
    program = parse(net([2, 3, 3] if seed % 2 else [3, 3, 2], seed))
    tree = stratify(program)
    assert tree.stats["method"] == "tree" and tree.stats["solver_calls"] == 0
    assert same_strata(tree, stratify(program, method="smt"))


@pytest.mark.parametrize("text", ["clip(x, 1, 1) + relu(y)", "clip(x, 0, inf) + relu(y - x)",
                                  "sign(x) + step(y) + heaviside(x - y)", "where(x > 0 and y < 1, x, y)",
                                  "max(x, y) + min(x, y)", "relu(3) + relu(x)", "relu(x) + relu(2*x) + relu(-x)"])
def test_arrangement_equals_branch_tree_on_corner_cases(text):
    program = parse(text, "x,y")
    auto = stratify(program)
    assert auto.stats["method"] == "arrangement"
    assert same_strata(auto, stratify(program, method="tree"))


def test_three_argument_max_takes_the_branch_tree():
    assert stratify(parse("max(x, y, 0)")).stats["method"] == "tree"
    assert stratify(parse("max(x, y) + relu(x)")).stats["method"] == "arrangement"


def test_double_description_matches_face_enumeration():
    rng = random.Random(1)
    for _ in range(40):
        n = rng.randint(1, 3)
        planes = list({tuple(rng.randint(-2, 2) for _ in range(n)) + (rng.randint(-2, 2),) for _ in range(rng.randint(1, 6))})
        planes = [h for h in planes if any(h[:n])]
        prim = {}
        for h in planes:  # one representative per hyperplane
            prim.setdefault(tuple(Fraction(v, h[next(i for i in range(n) if h[i])]) for v in h), h)
        planes = list(prim.values())
        faces = enumerate_faces(planes, n)
        cells = [(Cone.whole_space(n), ())]
        for h in planes:
            cells = [(child, sig + (s,)) for cone, sig in cells
                     for s, child in zip((-1, 0, 1), cone.split((h[n],) + h[:n])) if child is not None]
        assert sorted(sig for _, sig in cells) == sorted(tuple(b - 1 for b in f.sigma) for f in faces.faces)
        for cone, sig in cells:
            f = faces.faces[faces.index[bytes(s + 1 for s in sig)]]
            assert cone.dim == f.dim


# --------------------------------------------------------------------------- domain, roots, errors
def test_box_domain():
    domain = parse("where(-1 <= x and x <= 1 and -1 <= y and y <= 1, 1, 0)").outputs[0].args[0]
    s = stratify(parse("relu(x - y)"), domain=domain)
    assert all(-1 <= v <= 1 for t in s.strata for v in t.sample)
    assert s.stats["method"] == "arrangement"
    assert len(s.strata) == 11  # 4 corners, 4 open sides, the open diagonal (corner to corner), 2 triangles
    with pytest.raises(InputError):
        s.locate((2, 0))


def test_round_domain():
    domain = parse("where(x**2 + y**2 <= 4, 1, 0)", "x,y").outputs[0].args[0]
    s = stratify(parse("relu(x)", "x,y"), domain=domain)
    assert s.complete
    assert all(float(t.sample[0]) ** 2 + float(t.sample[1]) ** 2 <= 4 + 1e-9 for t in s.strata)
    assert sorted(t.dim for t in s.strata) == [0, 1, 1, 1, 2, 2]   # (0, ±2) is one finite stratum


def test_extra_roots_add_branches():
    field = parse("where(x > 1, 1, 0)").outputs[0]
    s = stratify(parse("relu(x)"), extra_roots=(field,))
    assert len(s.strata) == 5


def test_floor_is_refused_and_bad_method():
    with pytest.raises(StratifyError, match="floor"):
        stratify(parse("floor(x)"))
    with pytest.raises(InputError, match="method"):
        stratify(parse("relu(x)"), method="fast")


def test_max_strata_is_enforced():
    with pytest.raises(StratifyError, match="more than 100 strata"):
        stratify(parse(layer(generic_lines(12, 1))), max_strata=100)
    with pytest.raises(StratifyError, match="more than 5 strata"):
        stratify(parse(net([2, 3, 3], 1)), max_strata=5)


def test_locate_checks_the_dimension():
    with pytest.raises(InputError, match="coordinates"):
        stratify(parse("relu(x)")).locate((0, 0))


def test_discontinuous_argument_reports_the_frontier_failure():
    s = stratify(parse("relu(where(x > 0, y, y - 1))"))
    assert not s.complete and any("frontier" in r for r in s.reasons)


def test_finite_stratum_split_when_its_points_differ():
    """x^2 = 1/4 on y = 0 is two points; only one lies on the kink x = 1/2's side... both are
    adjacent to different cells of relu(x - 1/2), so the stratum is split, one point each."""
    s = stratify(parse("relu(x**2 + y**2 - 1/4) + relu(y) + relu(x - 1/3)"))
    points = [t for t in s.strata if t.dim == 0]
    assert all(len([u for u in points if in_stratum(u, t.sample)]) == 1 for t in points)
    for t in s.strata:
        assert in_stratum(t, t.sample)


def test_progress_is_called():
    calls = []
    stratify(parse(layer(generic_lines(40, 2))), progress=lambda k, sec: calls.append(k), method="auto")
    assert all(isinstance(k, int) for k in calls)


@pytest.mark.slow
def test_sixty_four_lines():
    """The benchmark's 2-D layer: 64 ReLUs in general position, 8,193 strata, exactly."""
    s = stratify(parse(layer(generic_lines(64, 64))))
    assert len(s.strata) == 2 * 64 * 64 + 1
    assert Counter(len(a) for a, t in zip(s.above, s.strata) if t.dim == 0) == Counter({8: comb(64, 2)})


# --------------------------------------------------------------------------- CLI
def test_cli_table_and_json(capsys):
    from semialg.cli.app import main
    assert main(["strata", "relu(x) + abs(y)"]) == 0
    out = capsys.readouterr().out
    assert "9 strata" in out and "x = 0 and y = 0" in out
    assert main(["strata", "relu(x**2 + y**2 - 2)", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["command"] == "strata" and doc["complete"] and len(doc["strata"]) == 3
    circle = doc["strata"][1]
    assert circle["dim"] == 1 and circle["conditions"] == ["x**2 + y**2 - 2 = 0"] and circle["above"] == [0, 2]
    assert all("/" in v or v.lstrip("-").isdigit() for v in circle["sample"])   # a rational point
    assert main(["strata", "relu(x)", "--domain", "-1 <= x <= 1", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["strata"]) == 5
    assert main(["strata", "rleu(x)"]) == 2


def test_cli_algebraic_sample_has_a_float(capsys):
    from semialg.cli.app import main
    assert main(["strata", "relu(x**2 - 2)", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    roots = [t for t in doc["strata"] if t["dim"] == 0]
    assert roots and all(t["sample"][0].startswith("root(") and abs(abs(t["sample_float"][0]) - 2 ** 0.5) < 1e-12
                         for t in roots)
