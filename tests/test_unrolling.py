"""Tests of set-valued unrolling (semialg.checks.implicit.unrolling) against independent oracles:
a brute-force enumeration of every tie-choice sequence written here from the soft-threshold's tie
structure, the float forward mode semialg.numeric.ista_unroll, finite differences of T, and the
exact Lasso solution of semialg.checks.implicit.lasso."""
import itertools
from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from semialg.checks.clarke import in_hull
from semialg.checks.implicit.fixedpoint import forward_backward
from semialg.checks.implicit.lasso import lasso_at
from semialg.checks.implicit.unrolling import (inf_norm, ista_map, jacobian_at, max_entry, prune_to_vertices,
                                               unroll_sets)
from semialg.core.errors import InputError
from semialg.numeric import evaluate, exact_value, ista_unroll
from semialg.rules import get_rule

RELU1 = get_rule("pytorch", ["relu'(0)=1"])


# --------------------------------------------------------------------------- an independent ISTA, exactly
def gram(A):
    return [[sum(Fr(A[r][i]) * A[r][j] for r in range(len(A))) for j in range(len(A[0]))] for i in range(len(A[0]))]


def ista_pieces(A, b, gamma, lam, x):
    """z = x - γAᵀ(Ax - b), t = γλ and the soft threshold's vertex Jacobians [∂_λ, ∂_x] per row, written
    from the tie structure: q_i = 1 if |z_i| > t, 0 if |z_i| < t, {0, 1} at a tie |z_i| = t."""
    G, p = gram(A), len(A[0])
    c = [sum(Fr(A[r][i]) * b[r] for r in range(len(A))) for i in range(p)]
    z = [x[i] - gamma * (sum(G[i][j] * x[j] for j in range(p)) - c[i]) for i in range(p)]
    t = gamma * lam
    rows = []
    for i in range(p):
        qs = [1] if abs(z[i]) > t else [0] if abs(z[i]) < t else [0, 1]
        sgn = 1 if z[i] > 0 else -1
        rows.append([(-gamma * q * sgn,) + tuple(q * ((1 if i == j else 0) - gamma * G[i][j]) for j in range(p))
                     for q in qs])
    nxt = [(abs(zi) - t) * (1 if zi > 0 else -1) if abs(zi) > t else Fr(0) for zi in z]
    return z, t, rows, nxt


def brute_force(A, b, gamma, lam, x0, steps):
    """Every D_K over every choice sequence (no hull, no pruning), plus the iterates and the per-step vertices."""
    xs, vertex_steps, x = [tuple(map(Fr, x0))], [], [Fr(v) for v in x0]
    for _ in range(steps):
        _, _, rows, x = ista_pieces(A, b, gamma, lam, x)
        vertex_steps.append([tuple(r) for r in itertools.product(*rows)])
        xs.append(tuple(x))
    p = len(x0)
    finals = set()
    for choice in itertools.product(*[range(len(v)) for v in vertex_steps]):
        d = [Fr(0)] * p
        for k, c in enumerate(choice):
            jac = vertex_steps[k][c]
            d = [jac[i][0] + sum(jac[i][1 + j] * d[j] for j in range(p)) for i in range(p)]
        finals.add(tuple(d))
    return xs, vertex_steps, finals


def flat(m):
    return tuple(v for row in m for v in row)


# --------------------------------------------------------------------------- the map itself
@settings(max_examples=25)
@given(st.lists(st.fractions(-3, 3, max_denominator=4), min_size=3, max_size=3))
def test_ista_map_is_ista(point):
    A, b, gamma = [[1, 2], [0, 1], [1, -1]], [1, 2, 0], Fr(1, 5)
    lam, x = abs(point[0]) + Fr(1, 10), point[1:]
    assert exact_value(ista_map(A, b, gamma), [lam, *x]) == tuple(ista_pieces(A, b, gamma, lam, x)[3])


# --------------------------------------------------------------------------- sets against brute force
@pytest.mark.parametrize("A, b, gamma, lam, x0, steps", [
    ([[1]], [1], Fr(1, 2), 1, [0], 4),                   # 1-D: a tie at every step (x̄ = 0, z = t)
    ([[1]], [3], Fr(1, 2), 2, [-1], 3),                  # 1-D: a tie at x0 only (z = t = 1), then smooth
    ([[1, 1]], [2], Fr(1, 2), 1, [1, 0], 4),             # 2-D, repeated column: one tie at every step
    ([[1, 0], [0, 1]], [1, 1], Fr(1, 2), 1, [0, 0], 3),  # 2-D: two independent ties at every step
])
def test_sets_match_brute_force(A, b, gamma, lam, x0, steps):
    xs, vertex_steps, finals = brute_force(A, b, gamma, Fr(lam), x0, steps)
    u = unroll_sets(ista_map(A, b, gamma), [lam], x0, steps, jacobian="conservative")
    assert u.iterates == tuple(xs)
    assert u.kink_steps == tuple(k for k, v in enumerate(vertex_steps) if len(v) > 1)
    for mine, theirs in zip(u.jacobians, vertex_steps):
        assert set(mine) == set(theirs)
    listed = [flat(m) for m in u.sets[-1]]
    assert set(listed) <= finals                       # every listed vertex is some sequence's D_K
    assert all(in_hull(f, listed) for f in finals)      # and the hull holds every sequence's D_K
    if len(finals) > 1:
        assert u.kink_steps


@pytest.mark.parametrize("A, b, gamma, x", [
    ([[1, 0], [0, 1]], [1, 1], Fr(1, 2), [0, 0]),                                   # two ties, full rank
    ([[1, 1]], [2], Fr(1, 2), [1, 0]),                                              # repeated column
    ([[1, 0, 0], [0, 1, 1]], [2, 1], Fr(1, 2), [1, 0, 0]),                          # two equal free columns
    ([[1, 0, 0, 1], [0, 1, 0, 1], [0, 0, 1, -1]], [2, 2, 1], Fr(1, 4), [1, 1, 0, 0]),  # a4 = a1 + a2 - a3
])
def test_clarke_equals_the_tie_product(A, b, gamma, x):
    """The tie structure of ST (q_i ∈ {0, 1} at |z_i| = t, written here) against the exact Clarke
    Jacobian (stratification) and the chain-rule product: the tie hyperplanes have independent
    normals (-γ, ±(e_i - γG_i)) here, so every sign pattern is a piece and the three agree."""
    T = ista_map(A, b, gamma)
    _, _, rows, _ = ista_pieces(A, b, gamma, 1, x)
    ties = {tuple(r) for r in itertools.product(*rows)}
    assert len(ties) >= 2
    assert set(jacobian_at(T, [1, *x], [], "clarke").vertices) == ties
    assert set(jacobian_at(T, [1, *x], [], "conservative").vertices) == ties


def test_prune_keeps_the_hull():
    pts = [((Fr(0), Fr(0)),), ((Fr(1), Fr(0)),), ((Fr(0), Fr(1)),), ((Fr(1, 3), Fr(1, 3)),), ((Fr(1), Fr(0)),)]
    kept, done = prune_to_vertices(pts)
    assert done and set(kept) == {pts[0], pts[1], pts[2]}


# --------------------------------------------------------------------------- rules against the float forward mode
@pytest.mark.parametrize("x0, rule, kink_q", [([0, 0, 0], "pytorch", 0.0), ([0, 0, 0], "jax", 0.0)])
def test_rule_forward_mode_equals_float_ista_unroll(x0, rule, kink_q):
    A = [[2, 1, 0], [1, 3, 1], [0, 1, 2], [1, 0, 1]]
    b, lam, gamma, steps = [3, -1, 2, 1], Fr(3, 2), Fr(1, 20), 25
    u = unroll_sets(ista_map(A, b, gamma), [lam], x0, steps, rules=[rule], jacobian="conservative")
    xs, Ds = ista_unroll(np.array(A, float), np.array(b, float), float(lam), steps, gamma=float(gamma),
                         x0=np.array(x0, float), kink_q=kink_q)
    assert np.allclose([[float(v) for v in x] for x in u.iterates], xs, atol=1e-9)
    # ista_unroll differentiates in θ = log λ: D_θ = λ D_λ
    assert np.allclose([[float(lam * r[0]) for r in d] for d in u.by_rule[rule]], Ds, atol=1e-9)


@pytest.mark.parametrize("rule, kink_q", [("pytorch", 0.0), (RELU1, 1.0)])
def test_rule_at_exact_ties_equals_float_kink_choice(rule, kink_q):
    """x0 = the solution (1, 0) of the repeated-column Lasso: z_2 = t exactly at every step (exact in floats too)."""
    A, b, lam, gamma, steps = [[1, 1]], [2], Fr(1), Fr(1, 2), 6
    u = unroll_sets(ista_map(A, b, gamma), [lam], [1, 0], steps, rules=[rule])
    assert u.kink_steps == tuple(range(steps))
    xs, Ds = ista_unroll(np.array(A, float), np.array(b, float), 1.0, steps, gamma=0.5, x0=np.array([1.0, 0.0]),
                         kink_q=kink_q)
    name = rule if isinstance(rule, str) else rule.name
    assert np.allclose([[float(r[0]) for r in d] for d in u.by_rule[name]], Ds, atol=1e-12)


# --------------------------------------------------------------------------- convergence to the implicit D
def test_full_rank_rules_converge_to_the_implicit_vertex():
    A, b, lam, gamma = [[2, 1], [1, 3], [0, 1]], [3, 1, 2], Fr(1, 2), Fr(1, 12)
    pt = lasso_at(A, b, lam=lam)
    assert pt.full_rank and pt.free == ()
    u = unroll_sets(ista_map(A, b, gamma), [lam], [0, 0], 40, fixed_point=pt.x)
    assert u.limit_point == pt.x and u.singular.status == "invertible" and len(u.implicit) == 1
    D = pt.vertices()[0][1]
    assert tuple(lam * r[0] for r in u.implicit[0]) == D          # λ dx̂/dλ = dx̂/dθ of Prop. 5
    for name in ("pytorch", "jax"):
        dist, norm = u.distances[name], u.norms[name]
        assert u.targets[name] == u.implicit[0]
        assert dist[-1] < Fr(1, 10 ** 3) * dist[1]
        # after the support is identified the Jacobian is constant: e_{k+1} <= ||B||_inf e_k, exactly
        settled = next(k for k in range(len(u.iterates)) if all((x != 0) == (y != 0) for x, y in zip(u.iterates[k], pt.x)))
        for e0, e1 in zip(dist[settled + 1:], dist[settled + 2:]):
            assert e1 <= norm * e0
    assert u.rates == u.distances["pytorch"]
    assert max(u.gaps) == u.distances["pytorch"][-1]


def test_kink_without_fixed_point_has_no_implicit_set():
    u = unroll_sets(ista_map([[1, 1], [1, 3]], [2, 1], Fr(1, 8)), [Fr(1, 4)], [0, 0], 3)
    assert u.limit_point is None and u.implicit is None and u.rates == ()
    assert "not a certified fixed point" in u.to_text()


# --------------------------------------------------------------------------- the step γ in both blocks
def test_forward_backward_gamma_placement_matches_finite_differences():
    A, b, lam, gamma = [[2, 1], [1, 3]], [3, -2], Fr(1, 3), Fr(1, 10)
    x = [Fr(1, 2), Fr(-1, 4)]
    z, t, rows, _ = ista_pieces(A, b, gamma, lam, x)
    assert all(abs(zi) != t for zi in z)                          # a smooth point
    G = gram(A)
    # T(λ, u) = ST(u, γλ): [∂_λ, ∂_u] = [-γ q sign(u), diag(q)]; ∇h(λ, x) = Aᵀ(Ax - b): [0, G]
    q = [1 if abs(zi) > t else 0 for zi in z]
    jt = [[[-gamma * q[i] * (1 if z[i] > 0 else -1)] + [q[i] if i == j else 0 for j in range(2)] for i in range(2)]]
    jb = [[[0] + list(G[i]) for i in range(2)]]
    (fb,) = forward_backward(jt, jb, gamma, 1)
    h = 1e-6
    prog = ista_map(A, b, gamma)
    base = np.array([float(lam)] + [float(v) for v in x])
    fd = np.zeros((2, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        fd[:, j] = (evaluate(prog, np.array([base + e]))[0] - evaluate(prog, np.array([base - e]))[0]) / (2 * h)
    assert np.allclose([[float(v) for v in row] for row in fb], fd, atol=1e-7)
    # the slide's variant without γ in the x-block, B(I - D): wrong against the finite differences
    slide = [[q[i] * ((1 if i == j else 0) - G[i][j]) for j in range(2)] for i in range(2)]
    assert not np.allclose([[float(v) for v in row] for row in slide], fd[:, 1:], atol=1e-3)
    exact = jacobian_at(prog, [lam, *x], [get_rule("pytorch")]).vertices
    assert exact == (fb,)


def test_forward_backward_gamma_in_the_parameter_block():
    """θ in the smooth part (h = ½||Ax - θb||², threshold fixed): C = ∂_θ∇h = -Aᵀb ≠ 0, so the
    θ-block A - γBC carries γ; without it the finite differences disagree."""
    from semialg.frontends.text import parse
    A, b, gamma, mu = [[2, 1], [1, 3]], [3, -2], Fr(1, 10), Fr(1, 3)
    G, c = gram(A), [sum(Fr(A[r][i]) * b[r] for r in range(2)) for i in range(2)]
    z = [f"({(i == 0) - gamma * G[i][0]})*x1 + ({(i == 1) - gamma * G[i][1]})*x2 + ({gamma * c[i]})*th" for i in range(2)]
    prog = parse(", ".join(f"relu({zi} - {gamma * mu}) - relu(-({zi}) - {gamma * mu})" for zi in z), ["th", "x1", "x2"])
    th, x = Fr(1), [Fr(1, 2), Fr(-1, 4)]
    zv = [x[i] - gamma * (sum(G[i][j] * x[j] for j in range(2)) - th * c[i]) for i in range(2)]
    q = [1 if abs(v) > gamma * mu else 0 for v in zv]
    jt = [[[0] + [q[i] if i == j else 0 for j in range(2)] for i in range(2)]]
    jb = [[[-c[i]] + list(G[i]) for i in range(2)]]
    (fb,) = forward_backward(jt, jb, gamma, 1)
    h, base = 1e-6, np.array([1.0, 0.5, -0.25])
    fd = np.zeros((2, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = h
        fd[:, j] = (evaluate(prog, np.array([base + e]))[0] - evaluate(prog, np.array([base - e]))[0]) / (2 * h)
    assert any(q) and np.allclose([[float(v) for v in row] for row in fb], fd, atol=1e-7)
    dropped = [q[i] * c[i] for i in range(2)]                           # A - BC: γ dropped in the θ-block
    assert not np.allclose([float(v) for v in dropped], fd[:, 0], atol=1e-3)


# --------------------------------------------------------------------------- the rank-deficient Lasso
def test_rank_deficient_is_not_invertible_and_rules_disagree():
    A, b, lam, gamma = [[1, 1]], [2], Fr(1), Fr(1, 2)
    pt = lasso_at(A, b, lam=lam, x=[1.0, 0.0])
    assert pt.x == (1, 0) and pt.equicorrelation == (0, 1) and pt.gram_rank == 1 and not pt.full_rank
    assert pt.invertibility.status == "singular"
    qE = [Fr(1), Fr(1)]
    G = gram(A)
    assert pt.invertibility.witness_matrix == tuple(tuple((1 if i == j else 0) - qE[i] * ((1 if i == j else 0) - G[i][j])
                                                          for j in range(2)) for i in range(2))
    u = unroll_sets(ista_map(A, b, gamma), [lam], [1, 0], 8, rules=["pytorch", RELU1], fixed_point=pt.x)
    assert u.implicit is None and u.singular.status == "singular"
    assert u.by_rule["pytorch"] == tuple(((-(1 - Fr(1, 2 ** k)),), (Fr(0),)) for k in range(9))
    assert u.by_rule[RELU1.name][1:] == (((Fr(-1, 2),), (Fr(-1, 2),)),) * 8
    assert u.targets["pytorch"] == ((Fr(-1),), (Fr(0),)) and u.targets[RELU1.name] is None
    assert u.contractions["pytorch"] == (Fr(1, 2),) * 8 and u.norms["pytorch"] == 1
    # bounded, not drifting: both vertex maps fix D* = (-1, 0) and are ℓ2-nonexpansive
    for d in u.sets:
        assert all(((m[0][0] + 1) ** 2 + m[1][0] ** 2) <= 1 for m in d)


def test_example_claims(tmp_path):
    import importlib.util
    import pathlib
    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "lasso_rank_deficient.py"
    spec = importlib.util.spec_from_file_location("lasso_rank_deficient", path)
    module = importlib.util.module_from_spec(spec)
    import sys
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
        out = module.main(plot_dir=tmp_path)
    finally:
        sys.path.remove(str(path.parent))
    assert out["invertibility"] == "singular" and out["limits"]["pytorch"] != out["limits"]["relu'(0)=1"]
    assert all(pathlib.Path(p).exists() for p in out["pictures"])


# --------------------------------------------------------------------------- errors and output
def test_input_errors():
    T = ista_map([[1, 1]], [2], Fr(1, 2))
    with pytest.raises(InputError, match="expected 1 parameters"):
        unroll_sets(T, [1], [0], 2)
    with pytest.raises(InputError, match="not a fixed point"):
        unroll_sets(T, [1], [0, 0], 2, fixed_point=[0, 0])
    with pytest.raises(InputError, match="jacobian must be"):
        unroll_sets(T, [1], [0, 0], 2, jacobian="bouligand")
    with pytest.raises(InputError, match="positive"):
        ista_map([[1]], [1], 0)
    with pytest.raises(InputError, match="returns a set"):
        unroll_sets(T, [1], [1, 0], 1, rules=["clarke"])


def test_json_and_text_are_exact():
    u = unroll_sets(ista_map([[1]], [1], Fr(1, 2)), [1], [0], 2, rules=["pytorch", RELU1])
    j = u.to_json()
    assert j["by_rule"][RELU1.name][-1] == [["-3/4"]] and sorted(j["implicit"]) == [[["-1"]], [["0"]]]
    assert j["contractions"][RELU1.name] == ["1/2", "1/2"] and j["invertibility"] == "invertible"
    assert "implicit set" in u.to_text()
    assert max_entry(((Fr(-2), Fr(1)),)) == 2 and inf_norm(((Fr(-2), Fr(1)),)) == 3
