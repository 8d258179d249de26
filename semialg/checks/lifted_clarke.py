"""Clarke Jacobians of programs with roots, quotients and norms (theory §5, semialgebraic lifting).

At a point where every open stratum's gradient is continuous up to the point (no reciprocal of a
root that vanishes there), the Clarke Jacobian is the convex hull of finitely many limits, the
gradients of the open strata evaluated at the point (exact, possibly algebraic numbers). Where a
gradient has no limit (``norm(x, y)`` at 0: the gradient ``(x, y)/|(x, y)|`` takes every unit
vector nearby), the set is the convex hull of a curve's limits, not a polytope. One such family is
computed exactly: ``f = norm(A (x - x0)) + p(x)`` with ``A`` of full column rank and ``p`` a
polynomial. The norm's gradient near ``x0`` is ``A^T u`` for every unit ``u`` in the range of
``A``, so (Clarke's sum rule is an equality with a C^1 term) the Clarke set is the ellipsoid
``{grad p(x0) + A^T u : |u| <= 1} = {g : (g - c)^T (A^T A)^-1 (g - c) <= 1}``, ``c = grad p(x0)``.
Anything else of this kind is reported as undecided, with the reason.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> limits_at(stratify(parse("norm(x, y)")), parse("norm(x, y)"), (Fraction(0), Fraction(0)))[3]
((Fraction(0, 1), Fraction(0, 1)), ((Fraction(1, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(1, 1))))
>>> limits_at(stratify(parse("sqrt(x**2 + 1)")), parse("sqrt(x**2 + 1)"), (Fraction(0),))[2]
[(Fraction(0, 1),)]
"""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from semialg.checks.lifted import _sign_on
from semialg.core.dag import Node, walk_postorder
from semialg.core.errors import SemialgError
from semialg.core.poly import Poly, rank
from semialg.frontends.lift import lift_point, reciprocal_relations
from semialg.rules import Rule, field_polys, fmt_exact, with_reciprocals
from semialg.stratification.cells import exact_sign, point_sympy


def stratum_generators(strat, stratum, vertices) -> tuple:
    """``(cells, generators, asked_on, reason)`` for the Clarke Jacobian on a stratum of a lifted
    program: the open strata meeting it, their gradients in the user's variables (zero along the
    auxiliary ones, so they compare with a rule's vertices), and the stratum with the relations
    ``r*s = 1`` those polynomials and ``vertices`` need; ``asked_on`` is None (and ``reason`` says
    why) where a gradient has no limit on the stratum (a reciprocal of a root that vanishes there)."""
    lifting = strat.program.lifting
    cells = [stratum.id] if stratum.dim == strat.full_dim else \
        [c for c in strat.above[stratum.id] if strat.strata[c].dim == strat.full_dim]
    gens = {}
    for c in cells:
        for g in field_polys(strat, strat.strata[c], Rule("clarke"))[0]:
            gens.setdefault(tuple(frozenset(p.terms.items()) for p in g), g)
    polys = [p for g in gens.values() for p in g] + [p for v in vertices for p in v]
    pinned = {i: _sign_on(stratum, i) for i in lifting.roots}
    if reciprocal_relations(strat.program, polys, pinned) is None:
        return tuple(cells), (), None, ("a gradient has no limit on this stratum (1/s for a root s that vanishes "
                                        "here): its Clarke set is not a polytope; clarke_at computes the norm's")
    from semialg.checks.lifted import with_reciprocals_stratum
    return tuple(cells), tuple((g,) for g in gens.values()), with_reciprocals_stratum(strat, stratum, polys), ""


class LimitsUndecided(SemialgError):
    """The Clarke set at the point is not computed (the reason says why)."""


def limits_at(strat, program, point: Sequence[Fraction]) -> tuple:
    """``(stratum, cells, values, ellipsoid)``: the stratum of the point, the open strata meeting
    there, and either the limits of their gradients at the point (``values``, exact) or, where a
    gradient has no limit, the ellipsoid of :func:`_norm_ellipsoid` (``values`` None). The caller
    has checked that the function is locally Lipschitz."""
    lifted = strat.program
    full = lift_point(lifted, point)
    sym = point_sympy(full)
    stratum = next((s for s in strat.strata if all(exact_sign(p.eval(sym)) == sg for p, sg in s.conditions)), None)
    if stratum is None:
        from semialg.core.errors import InputError
        raise InputError(f"the program is undefined at ({', '.join(fmt_exact(v) for v in point)})")
    cells = [stratum.id] if stratum.dim == strat.full_dim else \
        [c for c in strat.above[stratum.id] if strat.strata[c].dim == strat.full_dim]
    if not cells:
        raise LimitsUndecided("no full-dimensional cell contains the point in its closure")
    n = lifted.lifting.n_user
    pinned = {i: _sign_on(stratum, i) for i in lifted.lifting.roots}
    values, singular = [], False
    at = point_sympy(with_reciprocals(lifted.lifting, full))
    for c in cells:
        for g in field_polys(strat, strat.strata[c], Rule("clarke"))[0]:
            g = g[:n]
            if reciprocal_relations(lifted, g, pinned) is None:
                singular = True
                continue
            values.append(tuple(_exact(p.eval(at)) for p in g))
    if singular:
        ellipsoid = _norm_ellipsoid(program, point)
        if ellipsoid is None:
            raise LimitsUndecided("the Clarke set here is the convex hull of a curve of limit gradients (a gradient "
                                  "has no limit at the point); it is computed exactly only for norm(A (x - x0)) "
                                  "plus a polynomial")
        return stratum, tuple(sorted(cells)), None, ellipsoid
    distinct = []
    for v in values:
        if not any(all(exact_sign(a - b) == 0 for a, b in zip(v, w)) for w in distinct):
            distinct.append(v)
    return stratum, tuple(sorted(cells)), sorted(distinct, key=lambda v: tuple(float(x) for x in v)), None


def _exact(v):
    if isinstance(v, Fraction):
        return v
    import sympy
    v = sympy.nsimplify(v)
    return Fraction(int(v.p), int(v.q)) if v.is_Rational else v


def _polynomial(node: Node, names: Sequence[str]) -> Poly | None:
    """The polynomial a node computes, or None when it holds a nonsmooth primitive."""
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    values: dict[int, Poly] = {}
    for m in walk_postorder([node]):
        args = [values[id(a)] for a in m.args]
        if m.op == "const":
            values[id(m)] = Poly.constant(n, m.param)
        elif m.op == "var":
            values[id(m)] = Poly.variable(n, index[m.param])
        elif m.op == "add":
            values[id(m)] = sum(args[1:], args[0])
        elif m.op == "mul":
            out = args[0]
            for a in args[1:]:
                out = out * a
            values[id(m)] = out
        elif m.op == "pow":
            values[id(m)] = args[0] ** m.param
        else:
            return None
    return values[id(node)]


def _norm_ellipsoid(program, point) -> tuple | None:
    """``(center, form)`` when ``program`` is ``norm(A (x - point)) + p(x)`` with ``A`` of full column
    rank, or the same norm written ``sqrt((x - point)^T Q (x - point))`` with ``Q`` positive definite
    (``Q = A^T A``): the ellipsoid ``{g : (g - c)^T Q^-1 (g - c) <= 1}``, ``c = grad p(point)``."""
    if program.n_outputs != 1:
        return None
    out = program.outputs[0]
    terms = list(out.args) if out.op == "add" else [out]
    norms = [t for t in terms if t.op in ("norm", "sqrt")]
    if len(norms) != 1:
        return None
    names = list(program.inputs)
    n = len(names)
    rest_poly = Poly.constant(n, 0)
    for t in terms:
        if t is norms[0]:
            continue
        p = _polynomial(t, names)
        if p is None:
            return None
        rest_poly = rest_poly + p
    gram = _norm_gram(norms[0], names, point) if norms[0].op == "norm" else _sqrt_gram(norms[0], names, point)
    if gram is None:
        return None
    center = tuple(rest_poly.diff(i).eval(point) for i in range(n))
    return center, tuple(tuple(r) for r in _inverse(gram))


def _norm_gram(node: Node, names, point) -> list | None:
    """``A^T A`` for ``norm(A (x - point))`` with ``A`` of full column rank, else None."""
    n = len(names)
    rows = []
    for a in node.args:
        p = _polynomial(a, names)
        if p is None or p.degree > 1 or p.eval(point) != 0:
            return None
        rows.append([p.diff(i).eval(point) if p.degree == 1 else Fraction(0) for i in range(n)])
    if rank(rows) < n:
        return None
    return [[sum((rows[k][i] * rows[k][j] for k in range(len(rows))), Fraction(0)) for j in range(n)] for i in range(n)]


def _sqrt_gram(node: Node, names, point) -> list | None:
    """``Q`` for ``sqrt(q)`` with ``q = (x - point)^T Q (x - point)``, ``Q`` positive definite, else None."""
    n = len(names)
    p = _polynomial(node.args[0], names)
    if p is None or p.degree != 2 or p.eval(point) != 0 or any(p.diff(i).eval(point) for i in range(n)):
        return None
    q = [[p.diff(i).diff(j).eval(point) / 2 for j in range(n)] for i in range(n)]
    for k in range(1, n + 1):   # Sylvester's criterion: every leading principal minor positive
        if _det([row[:k] for row in q[:k]]) <= 0:
            return None
    return q


def _det(m: list[list[Fraction]]) -> Fraction:
    """Exact determinant by elimination."""
    a = [list(r) for r in m]
    n, det = len(a), Fraction(1)
    for c in range(n):
        pivot = next((r for r in range(c, n) if a[r][c] != 0), None)
        if pivot is None:
            return Fraction(0)
        if pivot != c:
            a[c], a[pivot] = a[pivot], a[c]
            det = -det
        det *= a[c][c]
        for r in range(c + 1, n):
            f = a[r][c] / a[c][c]
            a[r] = [x - f * y for x, y in zip(a[r], a[c])]
    return det


def _inverse(m: list[list[Fraction]]) -> list[list[Fraction]]:
    """Exact inverse by Gauss-Jordan elimination (``m`` invertible)."""
    n = len(m)
    a = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if a[r][col] != 0)
        a[col], a[pivot] = a[pivot], a[col]
        p = a[col][col]
        a[col] = [v / p for v in a[col]]
        for r in range(n):
            if r != col and a[r][col] != 0:
                f = a[r][col]
                a[r] = [v - f * w for v, w in zip(a[r], a[col])]
    return [row[n:] for row in a]
