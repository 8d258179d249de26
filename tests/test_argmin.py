"""Tests of the argmin front ends (semialg.frontends.argmin) and of their exact solution, conservative
Jacobian and hypergradient (semialg.checks.implicit.argmin), against independent oracles: scipy's
trust-constr on the original problem (solve itself uses L-BFGS-B / SLSQP), finite differences of those
numeric solutions, a sort-based simplex projection, and the Lasso's own closed forms."""
from __future__ import annotations

from fractions import Fraction as Fr

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, minimize

from semialg.checks.implicit.argmin import argmin_at, hypergradient, solve
from semialg.checks.implicit.jacsets import det
from semialg.checks.implicit.lasso import lasso_at, lasso_path, lasso_program
from semialg.checks.implicit.theorem import implicit
from semialg.core.errors import InputError
from semialg.frontends.argmin import argmin, prox_text
from semialg.frontends.text import parse
from semialg.numeric import exact_value

NAMES = ["x1", "x2", "x3"]
TIGHT = dict(gtol=1e-15, xtol=1e-16, barrier_tol=1e-16, initial_barrier_parameter=1e-10, maxiter=50000)


# --------------------------------------------------------------------------- instances and the independent solver
def instance(seed: int, n: int = 3):
    """h = 1/2 x^T Q x - (c + t d)^T x with Q = M^T M + I (integer, positive definite)."""
    rng = np.random.default_rng(seed)
    M = rng.integers(-2, 3, size=(n, n))
    return M.T @ M + np.eye(n, dtype=int), rng.integers(-3, 4, size=n), rng.integers(-2, 3, size=n)


def h_text(Q, c, d, names=NAMES) -> str:
    n = len(names)
    quad = " + ".join(f"({Q[i, j]})*{names[i]}*{names[j]}" for i in range(n) for j in range(n))
    lin = " + ".join(f"(({c[i]}) + ({d[i]})*t)*{names[i]}" for i in range(n))
    return f"1/2*({quad}) - ({lin})"


def scipy_solution(Q, c, d, t: float, penalty=None, constraints=()) -> np.ndarray:
    """trust-constr on the original problem; constraints: (row a, lo, hi) meaning lo <= a.x <= hi."""
    n = len(c)
    f = lambda x: 0.5 * x @ Q @ x - (c + d * t) @ x
    g = lambda x: Q @ x - (c + d * t)
    cons = [LinearConstraint(np.array([a], float), lo, hi) for a, lo, hi in constraints]
    if penalty is not None and penalty.startswith("l1"):
        w = float(Fr(penalty.split(":")[1])) if ":" in penalty else 1.0
        res = minimize(lambda z: f(z[:n] - z[n:]) + w * z.sum(), np.ones(2 * n),
                       jac=lambda z: np.concatenate([g(z[:n] - z[n:]) + w, -g(z[:n] - z[n:]) + w]),
                       method="trust-constr", bounds=Bounds(0, np.inf), options=TIGHT)
        return res.x[:n] - res.x[n:]
    bounds = None
    if penalty == "nonneg":
        bounds = Bounds(0, np.inf)
    elif penalty is not None and penalty.startswith("box"):
        lo, hi = (float(Fr(v)) for v in penalty.split(":")[1].split(","))
        bounds = Bounds(lo, hi)
    elif penalty == "simplex":
        bounds, cons = Bounds(0, 1), cons + [LinearConstraint(np.ones((1, n)), 1, 1)]
    x0 = np.full(n, 1.0 / n)
    return minimize(f, x0, jac=g, hess=lambda x: Q, method="trust-constr", bounds=bounds, constraints=cons,
                    options=TIGHT).x


def floats(v) -> np.ndarray:
    return np.array([float(a) for a in v])


def assert_exact_zero(problem, sol):
    assert all(r == 0 for r in exact_value(problem.program, sol.theta + sol.x + sol.multipliers))


PENALTIES = ["l1:1", "l1:3/2", "nonneg", "box:-1,1", "simplex"]
# KKT problems: constraint texts and the same constraints as (a, lo, hi) for scipy (t fixed to T below)
QPS = {
    "two inequalities": (["x1 + x2 <= 1", "x1 - x2 >= -1"], [([1, 1, 0], -np.inf, 1), ([1, -1, 0], -1, np.inf)]),
    "an equality and a bound": (["x1 + x2 + x3 == 1", "x1 >= 0"], [([1, 1, 1], 1, 1), ([1, 0, 0], 0, np.inf)]),
    "theta in a coefficient": (["x1 + t*x2 <= 1", "x3 <= 1/2"], "t"),
}
T = Fr(1, 3)


def qp_constraints(spec, t: float):
    if spec == "t":
        return [([1, t, 0], -np.inf, 1), ([0, 0, 1], -np.inf, 0.5)]
    return spec


# --------------------------------------------------------------------------- the exact solution vs scipy
@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_prox_solution_matches_scipy(penalty, seed):
    Q, c, d = instance(seed)
    problem = argmin(h_text(Q, c, d), x=NAMES, theta="t", penalty=penalty)
    sol = solve(problem, {"t": T})
    assert_exact_zero(problem, sol)
    assert floats(sol.x) == pytest.approx(scipy_solution(Q, c, d, float(T), penalty), abs=1e-6)


@pytest.mark.parametrize("name", sorted(QPS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kkt_solution_matches_scipy(name, seed):
    Q, c, d = instance(seed)
    texts, spec = QPS[name]
    problem = argmin(h_text(Q, c, d), texts, x=NAMES, theta="t")
    assert problem.kind == "kkt" and len(problem.multipliers) == 2
    sol = solve(problem, {"t": T})
    assert_exact_zero(problem, sol)
    assert floats(sol.x) == pytest.approx(scipy_solution(Q, c, d, float(T), None, qp_constraints(spec, float(T))),
                                          abs=1e-6)


def test_one_dimensional_closed_forms():
    """prox of the 1-D problems by hand: soft-threshold, relu, clip, and the simplex point."""
    for t in (Fr(-5, 2), Fr(-1, 3), Fr(1, 2), Fr(7, 4)):
        h = "1/2*(x1 - t)**2"
        assert solve(argmin(h, x="x1", theta="t", penalty="l1:1"), [t]).x == (max(abs(t) - 1, 0) * (1 if t > 0 else -1),)
        assert solve(argmin(h, x="x1", theta="t", penalty="nonneg"), [t]).x == (max(t, 0),)
        assert solve(argmin(h, x="x1", theta="t", penalty="box:-1,1"), [t]).x == (min(max(t, -1), 1),)
        assert solve(argmin(h, x="x1", theta="t", penalty="simplex"), [t]).x == (1,)
        kkt = argmin(h, ["x1 <= 1"], x="x1", theta="t")
        sol = solve(kkt, [t])
        assert sol.x == (min(t, 1),) and sol.multipliers == (max(t - 1, 0),)


def sort_projection(v):
    """Euclidean projection onto the simplex by sorting (Held, Wolfe, Crowder), exactly."""
    u = sorted(v, reverse=True)
    tau, total = None, Fr(0)
    for k, uk in enumerate(u, 1):
        total += uk
        if uk - (total - 1) / k > 0:
            tau = (total - 1) / k
    return [max(vi - tau, 0) for vi in v]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=7), min_size=1, max_size=4))
def test_simplex_prox_text_is_the_projection(v):
    names = [f"v{i}" for i in range(len(v))]
    prog = parse(", ".join(prox_text("simplex", names)), names)
    assert list(exact_value(prog, v)) == sort_projection(v)


@settings(max_examples=40, deadline=None)
@given(st.fractions(min_value=-3, max_value=3, max_denominator=7), st.fractions(min_value=0, max_value=2, max_denominator=5))
def test_l1_and_box_prox_texts(v, w):
    st_prog = parse(prox_text("l1:w", ["v"], "1/2")[0], ["v", "w"])
    assert exact_value(st_prog, [v, w]) == ((abs(v) - w / 2 if abs(v) > w / 2 else 0) * (1 if v > 0 else -1),)
    box = parse(prox_text("box:-1/2,1", ["v"])[0], ["v"])
    assert exact_value(box, [v]) == (min(max(v, Fr(-1, 2)), 1),)


# --------------------------------------------------------------------------- derivatives vs finite differences
def active_pattern(x, tol=1e-6):
    return tuple(np.round(x / tol).astype(int) == 0) if x is not None else None


@pytest.mark.parametrize("penalty", ["l1:1", "nonneg", "box:-1,1", "simplex"])
def test_smooth_point_jacobian_is_the_finite_difference(penalty):
    """At a θ with one vertex, J_x* equals the central difference of scipy's solutions; the same
    zero pattern at θ ± ε (critical regions of a parametric QP are convex) shows no kink between."""
    Q, c, d = instance(2)
    problem = argmin(h_text(Q, c, d), x=NAMES, theta="t", penalty=penalty)
    r = argmin_at(problem, {"t": T})
    assert r.verdict == "invertible" and len(r.jacobian_x) == 1
    eps = 1e-2
    lo, hi = (scipy_solution(Q, c, d, float(T) + s * eps, penalty) for s in (-1, 1))
    if penalty != "box:-1,1":
        assert active_pattern(lo) == active_pattern(hi)
    fd = (hi - lo) / (2 * eps)
    assert [float(row[0]) for row in r.jacobian_x[0]] == pytest.approx(list(fd), abs=1e-5)


@pytest.mark.parametrize("penalty", ["l1:1", "simplex"])
def test_the_step_changes_F_but_not_the_solution_map(penalty):
    Q, c, d = instance(2)
    r1, r2 = (argmin_at(argmin(h_text(Q, c, d), x=NAMES, theta="t", penalty=penalty, step=step), {"t": T})
              for step in (1, Fr(1, 7)))
    assert r1.problem.program != r2.problem.program
    assert r1.solution.x == r2.solution.x and r1.jacobian_x == r2.jacobian_x


@pytest.mark.parametrize("name", sorted(QPS))
def test_kkt_smooth_point_jacobian_is_the_finite_difference(name):
    Q, c, d = instance(3)
    texts, spec = QPS[name]
    problem = argmin(h_text(Q, c, d), texts, x=NAMES, theta="t")
    r = argmin_at(problem, {"t": T})
    assert r.verdict == "invertible" and len(r.jacobian_x) == 1
    eps = 1e-2
    lo, hi = (scipy_solution(Q, c, d, float(T) + s * eps, None, qp_constraints(spec, float(T) + s * eps))
              for s in (-1, 1))
    assert [float(row[0]) for row in r.jacobian_x[0]] == pytest.approx(list((hi - lo) / (2 * eps)), abs=1e-5)


KINKS = [   # (Q, c, d, penalty, constraints for argmin, the same for scipy, kink θ): one piece changes there
    # nonneg, Q nondiagonal: the unconstrained minimiser is (1 + t, t, 1), so x2 leaves 0 at t = 0
    (np.array([[2, 1, 0], [1, 2, 0], [0, 0, 1]]), np.array([2, 1, 1]), np.array([3, 3, 0]), "nonneg", [], [], Fr(0)),
    # the target (t, 1, 0) meets the constraint x1 + x2 <= 2 at t = 1
    (np.eye(3, dtype=int), np.array([0, 1, 0]), np.array([1, 0, 0]), None, ["x1 + x2 <= 2"],
     [([1, 1, 0], -np.inf, 2)], Fr(1)),
    # l1 (weight 1) on 1/2((x1 - t)^2 + (x2 - 2)^2 + (x3 - x1)^2): x1 leaves 0 at t = 1
    (np.array([[2, 0, -1], [0, 1, 0], [-1, 0, 1]]), np.array([0, 2, 0]), np.array([1, 0, 0]), "l1", [], [], Fr(1)),
]


@pytest.mark.parametrize("k", range(len(KINKS)))
def test_kink_one_sided_differences_are_vertices(k):
    Q, c, d, penalty, texts, cons, t0 = KINKS[k]
    problem = argmin(h_text(Q, c, d), texts, x=NAMES, theta="t", penalty=penalty)
    r = argmin_at(problem, [t0])
    assert r.verdict == "invertible" and len(r.jacobian_x) == 2
    eps = 1e-1      # the next kinks of these instances are farther than 2ε
    # one-sided differences from points off the kink (interior-point solvers are slow at the degenerate kink)
    lo2, lo1, hi1, hi2 = (scipy_solution(Q, c, d, float(t0) + s * eps, penalty, cons) for s in (-2, -1, 1, 2))
    vertices = [np.array([float(row[0]) for row in mx]) for mx in r.jacobian_x]
    right, left = (hi2 - hi1) / eps, (lo1 - lo2) / eps
    for one_sided in (right, left):
        assert min(np.max(np.abs(one_sided - v)) for v in vertices) < 1e-5
    assert np.max(np.abs(right - left)) > 1e-2          # a real kink: the two sides differ


# --------------------------------------------------------------------------- the Lasso as an instance
A = [[2, 1, 0, -2], [-1, -3, -3, -3], [-2, 2, 1, 3], [0, 1, 3, 2], [1, 0, 0, 3], [-2, 2, 1, -3]]
b = [-1, 3, 0, -3, 2, 2]
XS = ["x1", "x2", "x3", "x4"]


def old_lasso_program(A, b):
    """The hand-written F(lam, x) = x - ST(x - A^T(Ax - b), lam) lasso_program had before the argmin front end."""
    p = len(A[0])
    G = [[sum(Fr(A[r][i]) * A[r][j] for r in range(len(A))) for j in range(p)] for i in range(p)]
    c0 = [sum(Fr(A[r][i]) * b[r] for r in range(len(A))) for i in range(p)]
    names = [f"x{i + 1}" for i in range(p)]
    outs = []
    for i in range(p):
        z = " + ".join([f"({(1 if i == j else 0) - G[i][j]})*{names[j]}" for j in range(p)] + [f"({c0[i]})"])
        outs.append(f"{names[i]} - (relu({z} - lam) - relu(-({z}) - lam))")
    return parse(", ".join(outs), ["lam"] + names)


def lasso_problem(A, b):
    residuals = [" + ".join(f"({a})*{x}" for a, x in zip(row, XS)) + f" - ({bi})" for row, bi in zip(A, b)]
    return argmin("1/2*(" + " + ".join(f"({r})**2" for r in residuals) + ")", x=XS[:len(A[0])], theta="lam",
                  penalty="l1:lam")


@pytest.fixture(scope="module")
def path():
    return lasso_path(A, b)


def test_lasso_program_keeps_its_inputs_and_images(path):
    new, old = lasso_program(A, b), old_lasso_program(A, b)
    assert new.inputs == old.inputs == ("lam", *XS)
    lams = [k.lam for k in path[:3]] + [(path[1].lam + path[2].lam) / 2]
    for lam in lams:
        pt = lasso_at(A, b, lam=lam)
        at = [lam] + list(pt.x)
        assert exact_value(new, at) == exact_value(old, at) == (0,) * 4
        images = [{img for _, img in implicit(prog, ["lam"], XS, at, clarke=False, explicit=False).images}
                  for prog in (new, old)]
        assert images[0] == images[1] and images[0]


def test_lasso_vertices_are_lambda_times_argmin_jacobian(path):
    """dx/dθ = λ dx/dλ: lasso_at's vertices are λ times the argmin front end's J_x (kinks included)."""
    problem = lasso_problem(A, b)
    for lam in [path[0].lam, path[1].lam, (path[1].lam + path[2].lam) / 2, path[2].lam]:
        r = argmin_at(problem, {"lam": lam})
        assert r.solution.x == lasso_at(A, b, lam=lam).x
        got = {tuple(lam * row[0] for row in mx) for mx in r.jacobian_x}
        assert got == {tuple(d) for _, d in lasso_at(A, b, lam=lam).vertices()}


def test_rank_deficient_lasso_is_not_invertible_with_a_witness():
    problem = lasso_problem([[1, 1], [1, 1]], [1, 1])
    r = argmin_at(problem, {"lam": 1})
    assert r.verdict == "not_invertible" and r.jacobian_x == () and r.exit_code == 1
    assert det(r.implicit.singularity.witness_matrix) == 0
    h = hypergradient(problem, "x1 + x2", {"lam": 1})
    assert h.verdict == "not_invertible" and h.vertices == ()
    assert "singular witness" in h.to_text() and h.to_json()["hypergradient"] == []


def test_repeated_constraint_is_not_invertible():
    problem = argmin("1/2*((x1 - t)**2 + x2**2)", ["x1 + x2 <= 1", "2*x1 + 2*x2 <= 2"], x="x1,x2", theta="t")
    r = argmin_at(problem, {"t": 2})                # both constraints active: the multipliers are not unique
    assert r.verdict == "not_invertible"
    assert det(r.implicit.singularity.witness_matrix) == 0


# --------------------------------------------------------------------------- hypergradients
def test_hypergradient_matches_finite_differences_of_the_cost():
    Q, c, d = instance(2)
    cost = "(x1 - 1)**2 + x2*x3 + t*x1"
    C = lambda t, x: (x[0] - 1) ** 2 + x[1] * x[2] + t * x[0]
    for penalty in ["nonneg", "l1:1"]:
        problem = argmin(h_text(Q, c, d), x=NAMES, theta="t", penalty=penalty)
        h = hypergradient(problem, cost, {"t": T})
        assert h.verdict == "invertible" and len(h.vertices) == 1
        eps, t = 1e-2, float(T)
        fd = (C(t + eps, scipy_solution(Q, c, d, t + eps, penalty)) - C(t - eps, scipy_solution(Q, c, d, t - eps, penalty))) / (2 * eps)
        # C is quadratic in x along a linear piece of x*: the central difference is exact up to solver error
        assert float(h.vertices[0][0]) == pytest.approx(fd, abs=1e-5)
        assert h.to_json()["hypergradient"] == [[str(h.vertices[0][0])]]


def test_hypergradient_at_a_kink_has_the_two_one_sided_slopes():
    problem = argmin("1/2*(x1 - t)**2", x="x1", theta="t", penalty="nonneg")    # x* = relu(t)
    h = hypergradient(problem, "x1**2 + t", {"t": 0})
    assert h.verdict == "invertible" and set(h.vertices) == {(Fr(1),)}          # C' = 2 relu(t) relu'(t) + 1
    h = hypergradient(problem, "x1 + t", {"t": 0})
    assert set(h.vertices) == {(Fr(1),), (Fr(2),)}


# --------------------------------------------------------------------------- reports and guesses
def test_guess_is_verified_not_trusted():
    problem = argmin("1/2*(x1 - t)**2", ["x1 <= 1"], x="x1", theta="t")
    assert solve(problem, {"t": 2}, guess=[1]).multipliers == (1,)
    assert solve(problem, {"t": 2}, guess={"x1": 1, "mu1": 1}).x == (1,)
    with pytest.raises(InputError, match="not a solution"):
        solve(problem, {"t": 2}, guess=[1, 2])
    nonpoly = argmin("x1**4/4 - t*x1", x="x1", theta="t", penalty="nonneg")
    assert solve(nonpoly, {"t": 8}).x == (2,)           # a rational solution of a quartic h: rounded, then F = 0
    assert solve(nonpoly, {"t": 8}, guess=[2]).x == (2,)


def test_texts_and_json():
    problem = argmin("1/2*(x1 - t)**2", ["x1 <= 1"], x="x1", theta="t")
    r = argmin_at(problem, "t=2")
    text = r.to_text()
    assert "x* = (1), multipliers (mu1) = (1)" in text and "invertible" in text and "[0]" in text
    js = r.to_json()
    assert js["complete"] is True and r.complete
    assert js["x"] == {"x1": "1"} and js["multipliers"] == {"mu1": "1"} and js["jacobian_x"] == [[["0"]]]
    assert js["implicit"]["verdict"] == "invertible"
    assert "subject to x1 <= 1" in problem.to_text()


@pytest.mark.slow
def test_too_many_vertices_are_flagged():
    """13 coordinates at their l1 kink: 2^13 vertices, more than implicit lists (about 1 minute)."""
    xs = [f"x{i}" for i in range(13)]
    problem = argmin("1/2*(" + " + ".join(f"({x} - 1)**2" for x in xs) + ")", x=xs, theta="lam", penalty="l1:lam")
    r = argmin_at(problem, "lam=1")
    assert r.verdict == "invertible" and not r.complete and "more vertices than are listed" in r.to_text()


@pytest.mark.parametrize("call,message", [
    (lambda: argmin("x1**2", ["x1*x2 <= 1"], x="x1,x2", theta="t"), r"constraint 1 'x1\*x2 <= 1' is not linear in x"),
    (lambda: argmin("x1**2", ["x1 < 1"], x="x1", theta="t"), "must be 'lhs <= rhs'"),
    (lambda: argmin("x1**2", x="x1", theta="t", penalty="l2"), "unknown penalty 'l2'.*l1, l1:W, nonneg, box:lo,hi, simplex"),
    (lambda: argmin("x1**2", ["x1 <= 1"], x="x1", theta="t", penalty="nonneg"), "either penalty=.*or constraints="),
    (lambda: argmin("(x1 - z)**2", x="x1", theta="t", penalty="nonneg"), "'z' in the objective .* in neither x nor theta"),
    (lambda: argmin("(x1 - t)**2", x="x1,t", theta="t", penalty="nonneg"), "'t' is in both x and theta"),
    (lambda: argmin("abs(x1 - t)", x="x1", theta="t", penalty="nonneg"), "h must be smooth"),
    (lambda: argmin("x1**4", ["x1 <= t"], x="x1", theta="t"), "quadratic in x"),
    (lambda: argmin(" + ".join(f"y{i}**2" for i in range(7)) + " - t*y0", x=[f"y{i}" for i in range(7)], theta="t",
                    penalty="simplex"), "n <= 6"),
    (lambda: argmin("x1**2", x="x1", theta="t", penalty="box:2,1"), "lo <= hi"),
    (lambda: argmin("x1**2", x="x1", theta="t", penalty="l1:x1"), "W must be a number or an expression in θ"),
    (lambda: argmin("x1**2", x="x1", theta="t", step=0, penalty="nonneg"), "step must be positive"),
    (lambda: argmin("x1**2", ["mu1 <= 1"], x="x1,mu1", theta="t"), "names a KKT multiplier"),
    (lambda: solve(argmin("x1**4/4 - t*x1", x="x1", theta="t", penalty="nonneg"), {"t": 2}),
     "could not be certified.*guess="),
    (lambda: solve(argmin("(x1 - t)**2", x="x1", theta="t", penalty="l1:t"), {"t": -1}), "l1 weight t = -1 is negative"),
    (lambda: solve(argmin("(x1 - t)**2", x="x1", theta="t", penalty="l1"), {"s": 1}), "'s' in θ is not a variable; the variables are t"),
])
def test_bad_inputs(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_cli_argmin(capsys):
    import json

    from semialg.cli.app import main
    h = "1/2*((x1 - t)**2 + (x2 - 1)**2)"
    assert main(["argmin", h, "--constraint", "x1 + x2 <= 2", "--x", "x1,x2", "--theta", "t", "--at", "t=1"]) == 0
    out = capsys.readouterr().out
    assert "x* = (1, 1)" in out and "[1/2; -1/2]" in out and "[1; 0]" in out
    lasso = "1/2*((x1 + x2 - 3)**2 + (x1 - 2*x2)**2)"
    assert main(["argmin", lasso, "--x", "x1,x2", "--theta", "lam", "--penalty", "l1:lam", "--at", "lam=1",
                 "--cost", "1/2*(x1 - 1)**2 + 1/2*x2**2", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["command"] == "hypergradient" and js["verdict"] == "invertible" and js["hypergradient"] == [["-4/9"]]
    twice = ["--constraint", "x1 + x2 == t", "--constraint", "2*x1 + 2*x2 == 2*t"]
    assert main(["argmin", "1/2*(x1 - x2)**2", *twice, "--x", "x1,x2", "--theta", "t", "--at", "t=1",
                 "--guess", "x1=1/2,x2=1/2"]) == 1
    assert "not_invertible" in capsys.readouterr().out
    assert main(["argmin", h, "--constraint", "x1*x2 <= 2", "--x", "x1,x2", "--theta", "t", "--at", "t=1"]) == 2
    assert "not linear" in capsys.readouterr().err
