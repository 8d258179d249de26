"""Tests of the Lasso path (semialg.checks.implicit.lasso), fixed points and unrolling (semialg.checks.implicit.fixedpoint),
checked against independent oracles: scikit-learn's lars_path, finite differences, coordinate descent."""
import math
from fractions import Fraction as Fr

import numpy as np
import pytest

from semialg.checks.implicit.fixedpoint import fixed_point_jacobian, forward_backward, unroll
from semialg.checks.implicit.lasso import identity_check, lasso_at, lasso_path, lasso_program
from semialg.checks.implicit.theorem import implicit
from semialg.core.errors import InputError
from semialg.numeric import ista_unroll, lasso_solve

# generic integer data (no ties): 6 samples, 4 features
A = [[2, 1, 0, -2], [-1, -3, -3, -3], [-2, 2, 1, 3], [0, 1, 3, 2], [1, 0, 0, 3], [-2, 2, 1, -3]]
b = [-1, 3, 0, -3, 2, 2]
X, Y = np.array(A, float), np.array(b, float)


@pytest.fixture(scope="module")
def path():
    return lasso_path(A, b)


@pytest.fixture(scope="module")
def lars():
    sk = pytest.importorskip("sklearn.linear_model")
    alphas, _, coefs = sk.lars_path(X, Y, method="lasso")
    return alphas * len(b), coefs.T          # sklearn's objective is ours divided by n_samples


def test_exact_path_matches_lars_path(path, lars):
    lams, coefs = lars
    assert [float(k.lam) for k in path] == pytest.approx(list(lams), rel=1e-12)
    for k, c in zip(path, coefs):
        assert [float(v) for v in k.x] == pytest.approx(list(c), abs=1e-12)
    for k, (c0, c1), (l0, l1) in zip(path, zip(coefs, coefs[1:]), zip(lams, lams[1:])):
        assert [float(v) for v in k.slope] == pytest.approx(list((c1 - c0) / (l1 - l0)), abs=1e-9)


def test_smooth_point_D_is_the_derivative(path, lars):
    """Between knots: D is a singleton = λ dx̂/dλ (lars slope) = central finite differences in θ."""
    lams, coefs = lars
    lam = (path[1].lam + path[2].lam) / 2
    pt = lasso_at(A, b, lam=lam)
    assert pt.free == () and pt.full_rank and pt.invertibility.status == "invertible"
    (q, D), = pt.vertices()
    assert [float(v) for v in D] == pytest.approx([float(lam * s) for s in path[1].slope], abs=1e-12)
    theta, h = math.log(lam), 1e-6
    fd = (lasso_solve(X, Y, math.exp(theta + h)) - lasso_solve(X, Y, math.exp(theta - h))) / (2 * h)
    assert [float(v) for v in D] == pytest.approx(list(fd), abs=1e-6)
    assert pt.certificate.startswith("the numeric solution's support")
    assert pt.contains(D) == () and pt.contains([0, 0, 0, 1]) is None


@pytest.mark.parametrize("k", [0, 1, 2])
def test_kinks_D_contains_both_one_sided_derivatives(path, lars, k):
    """At a knot (exact rational λ_k) E \\ S = {j}: D is the image of q_j ∈ [0, 1]; the left and
    right derivatives of x̂(θ) (λ times the lars slopes) are D at the two corners, so the
    Clarke Jacobian of x̂ there (their hull) lies in conv D."""
    lams, coefs = lars
    knot = path[k]
    pt = lasso_at(A, b, lam=knot.lam)
    assert len(pt.free) == 1 and pt.full_rank and pt.invertibility.status == "invertible"
    below = path[k].slope
    above = path[k - 1].slope if k > 0 else (0,) * 4
    got = {tuple(d) for _, d in pt.vertices()}
    assert got == {tuple(knot.lam * s for s in below), tuple(knot.lam * s for s in above)}
    for side in (below, above):
        assert pt.contains([knot.lam * s for s in side]) is not None
    lars_below = (coefs[k + 1] - coefs[k]) / (lams[k + 1] - lams[k])
    assert sorted(tuple(float(v) for v in d) for d in got)[0] == pytest.approx(
        sorted([tuple(float(knot.lam) * lars_below), tuple(float(knot.lam) * np.array([float(v) for v in above]))])[0],
        abs=1e-9)
    mid = [(a + c) / 2 for a, c in zip(*got)]
    assert pt.contains(mid) is not None or len(got) == 1      # a segment: the midpoint is D(q) for some q


def test_generic_implicit_engine_reproduces_the_slide_formula(path):
    prog = lasso_program(A, b)
    for knot in path[:3]:
        pt = lasso_at(A, b, lam=knot.lam)
        r = implicit(prog, ["lam"], ["x1", "x2", "x3", "x4"], [knot.lam] + list(pt.x), clarke=False, explicit=False)
        assert r.verdict == "invertible"
        assert {tuple(knot.lam * row[0] for row in img) for _, img in r.images} == {tuple(d) for _, d in pt.vertices()}
        assert identity_check(pt)


def test_rank_deficient_equicorrelation_set_is_refuted():
    """Duplicate columns: A_E^T A_E is singular and q = 1 on E gives a singular ∂_x F (exact witness)."""
    pt = lasso_at([[1, 1], [1, 1]], [1, 1], lam=1)
    assert pt.equicorrelation == (0, 1) and pt.gram_rank == 1 and not pt.full_rank
    inv = pt.invertibility
    assert inv.status == "singular"
    from semialg.checks.implicit.jacsets import det
    assert det(inv.witness_matrix) == 0


def test_fixed_point_unrolling_converges_to_the_implicit_derivative(path):
    lam = (path[2].lam + path[3].lam) / 2
    pt = lasso_at(A, b, lam=lam)
    gamma = Fr(1, 40)                                  # ||A^T A|| < 40: a contraction on the support
    (q, D), = pt.vertices()
    jh = pt.jacobian_h(q, gamma)
    a_h, b_h = tuple(r[:1] for r in jh), tuple(r[1:] for r in jh)
    assert tuple(r[0] for r in fixed_point_jacobian(a_h, b_h)) == D      # independent of γ at a vertex
    u = unroll(a_h, b_h, steps=200)
    assert u.converges and u.errors[-1] < Fr(1, 10 ** 3) * u.errors[0]
    xs, Ds = ista_unroll(X, Y, float(lam), 4000, gamma=float(gamma))
    assert list(xs[-1]) == pytest.approx([float(v) for v in pt.x], abs=1e-9)
    assert list(Ds[-1]) == pytest.approx([float(v) for v in D], abs=1e-7)


def test_forward_backward_product_gives_the_lasso_fixed_point_jacobian(path):
    """J_H = {[A_T - γ B_T C, B_T (I - γ D)]}: T = soft-thresholding at γe^θ (Clarke Jacobian
    [-γλ diag(q) s, diag(q)]), ℬ(x) = A^T(Ax - b) (C = 0, D = A^T A)."""
    pt = lasso_at(A, b, lam=path[1].lam)
    gamma = Fr(1, 10)
    p = pt.p
    G = [[sum(Fr(A[r][i]) * A[r][j] for r in range(len(A))) for j in range(p)] for i in range(p)]
    jb = [[[0] + G[i] for i in range(p)]]
    for q, _ in pt.vertices():
        qv = pt._q(q)
        jt = [[[-gamma * pt.lam * qv[i] * pt.signs[i]] + [qv[i] if i == j else 0 for j in range(p)] for i in range(p)]]
        assert forward_backward(jt, jb, gamma, 1) == [pt.jacobian_h(q, gamma)]


@pytest.mark.parametrize("kwargs,message", [
    (dict(lam=0), "must be positive"),
    (dict(lam=1, theta=0.0), "exactly one of lam"),
    (dict(lam="x"), "not an exact number"),
])
def test_bad_lasso_input(kwargs, message):
    with pytest.raises(InputError, match=message):
        lasso_at(A, b, **kwargs)
    with pytest.raises(InputError, match="b has 2 entries"):
        lasso_at(A, [1, 2], lam=1)
