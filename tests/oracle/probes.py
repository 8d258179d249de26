"""Exact and numeric probes: jumps, chain rule along curves, neighbours, Clarke hulls.

Every function takes the oracle AST (``tests.oracle.expr``) and exact points (tuples of
Fractions); nothing here knows about semialg.
"""
from __future__ import annotations

import random
from fractions import Fraction as F

import numpy as np

from . import expr as E

RADII = (F(1, 10 ** 7), F(1, 10 ** 9))  # jump probes
NEIGHBOUR_RADII = (F(1, 10 ** 6), F(1, 10 ** 9))  # adjacency probes


def rand_rational(rng: random.Random, lo=-2, hi=2, den=97) -> F:
    return F(rng.randint(lo * den, hi * den), den)


def rand_direction(rng: random.Random, n: int) -> tuple:
    """A random nonzero rational direction with entries in [-1, 1] (max-norm 1)."""
    while True:
        d = [F(rng.randint(-1000, 1000), 1000) for _ in range(n)]
        m = max(abs(c) for c in d)
        if m:
            return tuple(c / m for c in d)


def directions(rng, n, k):
    """The 2n signed axes, then k random directions."""
    out = []
    for i in range(n):
        for s in (1, -1):
            out.append(tuple(F(s) if j == i else F(0) for j in range(n)))
    return out + [rand_direction(rng, n) for _ in range(k)]


def add(p, d, r):
    return tuple(a + r * b for a, b in zip(p, d))


def fval(node, names, p):
    return E.value(node, names, p)


# --------------------------------------------------------------------------- 1. jumps
def find_jump(node, names, p, rng, k=12, threshold=F(1, 10 ** 4)):
    """Probe continuity of ``node`` at the exact point ``p``.

    For each direction d (axes and k random ones) compare f(p) with f(p + r d) for every r in
    :data:`RADII`; a difference above ``threshold`` at every radius that does not shrink
    (ratio >= 1/2 from the largest to the smallest radius) is a jump. Returns None or a dict
    with the direction and the values.
    """
    f0 = fval(node, names, p)
    for d in directions(rng, len(names), k):
        diffs = [abs(fval(node, names, add(p, d, r)) - f0) for r in RADII]
        if all(x > threshold for x in diffs) and diffs[-1] * 2 >= diffs[0]:
            return {"point": p, "direction": d, "value": f0,
                    "near": fval(node, names, add(p, d, RADII[-1])), "radius": RADII[-1]}
    return None


# --------------------------------------------------------------------------- 2. chain rule
def chain_rule_check(node, names, curve, t, field_fn, pattern_nodes, h=F(1, 10 ** 8)):
    """Compare d/dt f(gamma(t)) with <v(gamma(t)), gamma'(t)> at one exact t.

    ``curve``: t -> exact point; ``field_fn``: point -> vector (exact); ``pattern_nodes``:
    the ASTs whose kink pattern must be constant on {t-h, t, t+h} (the program's, and the
    field's when it is hand-written). Returns ``("skip", why)`` when the point is a kink along
    the curve (pattern changes, or the left and right quotients disagree), ``("ok", q, fv)``
    or ``("mismatch", q, fv)`` where q is the central quotient and fv the field's value.
    """
    pts = [curve(t - h), curve(t), curve(t + h)]
    envs = [E.env_of(names, p) for p in pts]
    pats = [E.pattern(pattern_nodes, e) for e in envs]
    if not (pats[0] == pats[1] == pats[2]):
        return ("skip", "pattern")
    fs = [E.evaluate(node, e) for e in envs]
    left, right = (fs[1] - fs[0]) / h, (fs[2] - fs[1]) / h
    q = (fs[2] - fs[0]) / (2 * h)
    scale = 1 + abs(float(q))
    if abs(float(left - right)) > 1e-4 * scale:
        return ("skip", "one-sided")
    tangent = tuple((b - a) / (2 * h) for a, b in zip(pts[0], pts[2]))
    v = field_fn(pts[1])
    fv = sum(a * b for a, b in zip(v, tangent))
    if abs(float(q - fv)) > 1e-5 * (scale + abs(float(fv))):
        return ("mismatch", q, fv)
    return ("ok", q, fv)


def random_curves(rng, names, base=None):
    """Random lines and parabolas through random (or given) points: t -> exact point."""
    n = len(names)
    out = []
    for _ in range(2):
        p = base or tuple(rand_rational(rng) for _ in range(n))
        d = rand_direction(rng, n)
        out.append(("line", lambda t, p=p, d=d: add(p, d, t)))
        c = rand_direction(rng, n)
        out.append(("parabola", lambda t, p=p, d=d, c=c: tuple(a + t * b + t * t * e for a, b, e in zip(p, d, c))))
    return out


# --------------------------------------------------------------------------- 3. neighbours
def points_of(condition_node, names, sets, rng, per_set=6, extra=()):
    """Exact points satisfying ``condition_node`` found on the parametrised kink sets."""
    found = []
    for p in extra:
        if E.evaluate(condition_node, E.env_of(names, p)):
            found.append(p)
    for s in sets:
        for _ in range(per_set):
            p = s.point([rand_rational(rng) for _ in range(s.n_params)])
            if E.evaluate(condition_node, E.env_of(names, p)):
                found.append(p)
    return found


def _comparisons(cond):
    if cond[0] == "cmp":
        return [cond]
    if cond[0] == "and":
        return [c for part in cond[1] for c in _comparisons(part)]
    return []


def targeted_directions(condition_node, names, q, rng, k=4):
    """Directions into a wedge: d with <grad p_i(q), d> = sigma_i for the comparisons p_i
    of the condition that vanish at q (sigma = +1 for > and >=, -1 for < and <=, 0 for ==),
    by least squares, plus small perturbations of it."""
    env = E.env_of(names, q)
    rows, rhs = [], []
    for c in _comparisons(condition_node):
        diff = ("sub", c[2], c[3])
        val, g = E.backprop(diff, env, names)
        if val != 0:
            continue
        rows.append([float(x) for x in g])
        rhs.append({">": 1.0, ">=": 1.0, "<": -1.0, "<=": -1.0}.get(c[1], 0.0))
    if not rows or not any(rhs):
        return []
    sol = np.linalg.lstsq(np.array(rows), np.array(rhs), rcond=None)[0]
    m = float(np.abs(sol).max())
    if not np.isfinite(m) or m == 0:
        return []
    base = [F(x / m).limit_denominator(10 ** 6) for x in sol]
    out = [tuple(base)]
    for _ in range(k):
        out.append(tuple(b + F(rng.randint(-100, 100), 1000) for b in base))
    return out


def near_points(condition_node, names, q, r, rng, k=48):
    """A point within max-norm about ``r`` of q that satisfies the condition (exact), or None.

    Tries the directions into the wedge the vanishing comparisons cut out (see
    :func:`targeted_directions`), the signed axes and ``k`` random directions, each at
    radius r and r/2."""
    for d in targeted_directions(condition_node, names, q, rng) + directions(rng, len(names), k):
        for s in (F(1), F(1, 2)):
            p = add(q, d, r * s)
            if E.evaluate(condition_node, E.env_of(names, p)):
                return p
    return None


# --------------------------------------------------------------------------- 4/5. Clarke
def sample_gradients(node, names, p, rng, radius=F(1, 10 ** 6), k=40):
    """Gradients at random points within ``radius`` of p.

    A random rational point lies, almost surely, inside one full-dimensional cell, where
    the backprop gradient is the gradient of the piece (a kink quantity that is 0 there
    vanishes on the whole cell, e.g. ``relu(relu(x)*y)`` on x < 0, and then its branch
    does not matter); so these are true gradients, and their hull lies inside the Clarke
    set at p up to O(radius)."""
    out = []
    for _ in range(k):  # random directions only: p + r*axis can run inside a kink set
        q = add(p, rand_direction(rng, len(names)), radius * F(rng.randint(500, 1000), 1000))
        out.append(E.backprop(node, E.env_of(names, q), names)[1])
    return out


def hull_distance(g, vertices) -> float:
    """Max-norm distance from g to conv(vertices) (an LP; exact 0 when inside)."""
    V = np.array([[float(c) for c in v] for v in vertices], dtype=float)
    g = np.array([float(c) for c in g], dtype=float)
    m, n = V.shape
    if n == 1:
        lo, hi = V.min(), V.max()
        return float(max(lo - g[0], g[0] - hi, 0.0))
    from scipy.optimize import linprog
    # variables: lambda (m), s; minimise s; -s <= V^T lambda - g <= s; sum lambda = 1
    c = np.zeros(m + 1)
    c[-1] = 1
    A = np.vstack([np.hstack([V.T, -np.ones((n, 1))]), np.hstack([-V.T, -np.ones((n, 1))])])
    b = np.concatenate([g, -g])
    A_eq = np.hstack([np.ones((1, m)), np.zeros((1, 1))])
    res = linprog(c, A_ub=A, b_ub=b, A_eq=A_eq, b_eq=[1], bounds=[(0, None)] * m + [(0, None)], method="highs")
    return float(res.fun) if res.success else float("inf")


def zero_robustly_inside(vertices, margin=1e-4) -> bool:
    """Is the cross-polytope of radius ``margin`` around 0 inside conv(vertices)?"""
    n = len(vertices[0])
    for i in range(n):
        for s in (1, -1):
            e = [0.0] * n
            e[i] = s * margin
            if hull_distance(e, vertices) > 1e-12:
                return False
    return True


def zero_excluded(vertices, margin=1e-3) -> bool:
    """Is 0 at max-norm distance > margin from conv(vertices) (a separating direction)?"""
    return hull_distance([0.0] * len(vertices[0]), vertices) > margin
