"""The implicit function ``G`` itself, for piecewise-linear ``F``, and Clarke's calculus put to the test.

theory §7. Near ``(x̂, ŷ)`` every stratum ``S`` of ``F`` whose closure contains the
point carries an affine piece ``F_S``. Solving ``F_S(x, y) = 0`` together with the
equalities of ``S`` for ``y`` (exact row reduction) gives an affine candidate
``G_S``; it is a piece of ``G`` when the set of ``x`` with ``(x, G_S(x)) ∈ S`` is a
full-dimensional cone at ``x̂`` (an exact linear feasibility query). ``G`` is
piecewise linear, so its Clarke Jacobian is the convex hull of the Jacobians of
those pieces (Scholtes, Prop. 4.3.1).

:func:`clarke_calculus` compares ``Jac^c G(x̂)`` with the set Clarke's calculus
would predict, ``I = {-B^{-1}A : [A B] ∈ Jac^c F(x̂, ŷ)}``, in both directions,
exactly: an image outside the polytope (a facet inequality violated, one nlsat
query per facet) and a point of the polytope that is not an image (linear).

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> F = parse("abs(x) + y - u, 2*x + abs(y) - v", ["u", "v", "x", "y"])
>>> g = explicit_implicit(F, stratify(F), 2, [0, 0, 0, 0])
>>> len(g.pieces), len(g.clarke_vertices)
(4, 4)
>>> sorted(tuple(p.text(["u", "v"])) for p in g.pieces)[0]     # inverse of the piece on x < 0 < y
('-1/3*u + 1/3*v', '2/3*u + 1/3*v')
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.checks.clarke import extreme_points, in_hull
from semialg.checks.implicit.jacsets import (
    rationalize_weights,
    F0,
    Matrix,
    MatrixSet,
    Membership,
    adjugate_poly,
    as_matrix,
    det,
    det_poly,
    image_membership,
    implicit_image,
    polytope,
)
from semialg.core.poly import Poly, row_echelon
from semialg.stratification import Stratification

Condition = tuple[Poly, int]


@dataclass(frozen=True)
class GPiece:
    """``G(x) = formula(x)`` (affine, exact) on the open cone ``region`` at ``x̂``
    (the conditions active at ``x̂``; the others hold near ``x̂``), coming from
    stratum ``stratum`` of ``F`` (whose conditions are ``cell``)."""

    stratum: int
    region: tuple[Condition, ...]
    formula: tuple[Poly, ...]
    jacobian: Matrix
    cell: tuple[str, ...] = ()

    def text(self, names: Sequence[str]) -> list[str]:
        return [p.to_str(names) for p in self.formula]

    def region_text(self, names: Sequence[str]) -> list[str]:
        sym = {-1: "<", 0: "=", 1: ">"}
        return [f"{p.to_str(names)} {sym[s]} 0" for p, s in self.region] or ["true (a neighbourhood)"]


@dataclass(frozen=True)
class ExplicitG:
    """The pieces of ``G`` near ``x̂`` and the extreme points of ``Jac^c G(x̂)``.

    ``notes``: strata skipped for a reason worth saying (non-unique solutions,
    undecided queries). ``complete`` is False when a query was undecided.
    """

    pieces: tuple[GPiece, ...]
    clarke_vertices: tuple[Matrix, ...]
    notes: tuple[str, ...]
    complete: bool

    def contains(self, matrix) -> bool:
        """Exact membership in ``Jac^c G(x̂)``."""
        return in_hull(_flat(as_matrix(matrix)), [_flat(v) for v in self.clarke_vertices])


def is_piecewise_linear(strat: Stratification) -> bool:
    """Every piece affine and every condition linear."""
    return all(s.linear and all(p.is_linear for p in s.piece) for s in strat.strata)


def explicit_implicit(program, strat: Stratification, n: int, point: Sequence, timeout_ms: int = 60_000) -> ExplicitG:
    """The pieces of ``G`` near ``x̂`` (inputs of ``program``: the ``n`` x-variables, then the y's).

    Requires ``F`` piecewise linear near the point (:func:`is_piecewise_linear`).
    """
    point = tuple(Fraction(v) for v in point)
    m = program.n_outputs
    xhat, yhat = point[:n], point[n:]
    home = strat.locate(point)
    pieces: list[GPiece] = []
    notes: list[str] = []
    complete = True
    xs = Poly.variables(n) if n else []
    for sid in (home.id,) + tuple(strat.above[home.id]):
        s = strat.strata[sid]
        rows = []
        for p in list(s.piece) + list(s.equalities):
            c = p.linear_coeffs()
            rows.append(list(c[n:]) + list(c[:n]) + [p.const_value])
        rref, pivots = row_echelon(rows)
        if any(piv >= m for piv in pivots):
            continue  # the solutions in S project to a lower-dimensional set of x (or none)
        if len(pivots) < m:
            notes.append(f"on stratum {sid} F(x, y) = 0 does not determine y (a continuum of solutions)")
            continue
        formula = tuple(Poly.linear([-v for v in row[m:m + n]], -row[-1]) if n else Poly.constant(0, -row[-1])
                        for row in rref)
        if tuple(f.eval(xhat) for f in formula) != yhat:
            continue
        images = list(xs) + list(formula)
        region, empty = [], False
        for p, sign in s.conditions:
            q = p.compose(images) if n else Poly.constant(0, p.eval(list(yhat)))
            value = q.eval(xhat)
            if sign == 0:
                if not q.is_zero:
                    empty = True
                    break
                continue
            if value != 0:
                if (value > 0) - (value < 0) != sign:
                    empty = True
                    break
                continue
            if q.is_const:
                empty = True
                break
            region.append((q, sign))
        if empty:
            continue
        if region:
            r = smt.check(region, n, timeout_ms)
            if r.status == smt.UNSAT:
                continue
            if r.status == smt.UNKNOWN:
                complete = False
                notes.append(f"whether stratum {sid} gives a piece of G was undecided ({r.reason})")
                continue
        jac = tuple(tuple(f.linear_coeffs()) if n else () for f in formula)
        pieces.append(GPiece(sid, tuple(region), formula, jac, tuple(s.condition_text())))
    vertices = extreme_points([_flat(pc.jacobian) for pc in pieces]) if pieces else []
    return ExplicitG(tuple(pieces), tuple(_reshape(v, m, n) for v in vertices), tuple(notes), complete)


def _flat(mx) -> tuple:
    return tuple(v for row in mx for v in row)


def _reshape(flat, m, n) -> Matrix:
    return tuple(tuple(flat[i * n:(i + 1) * n]) for i in range(m))


# --------------------------------------------------------------------------- Clarke's calculus, both ways
@dataclass(frozen=True)
class CalculusComparison:
    """``Jac^c G(x̂)`` against ``I = {-B^{-1}A : [A B] ∈ Jac^c F(x̂, ŷ)}`` and against the rule's ``J_G``.

    ``image_outside``: ``"yes"`` with ``image_witness = (weights, [A B], -B^{-1}A)``
    when some image lies outside ``Jac^c G`` (exact), ``"no"`` when every image is
    inside, ``"unknown"``. ``clarke_outside``: a point ``N`` of ``Jac^c G`` that is
    no image (``clarke_witness = (N, convex weights over clarke_vertices)``),
    ``"yes"``/``"not_found"`` (among the candidates tried). ``conservative_ok``:
    every vertex of ``Jac^c G`` is ``-B^{-1}A`` for some ``[A B]`` in the rule's
    convexified ``J_F``, so ``Jac^c G ⊂ conv J_G`` (the conservative calculus holds).
    """

    image_outside: str
    image_witness: tuple | None
    clarke_outside: str
    clarke_witness: tuple | None
    conservative_ok: bool | None
    conservative_members: tuple[Membership, ...]
    reason: str = ""

    @property
    def clarke_calculus_holds(self) -> bool | None:
        """Does ``Jac^c G = I`` hold? False with a witness; None when undecided."""
        if self.image_outside == "yes" or self.clarke_outside == "yes":
            return False
        return None


def clarke_calculus(g_vertices: Sequence[Matrix], clarke_f: MatrixSet, rule_j: MatrixSet | None, n: int,
                    timeout_ms: int = 60_000) -> CalculusComparison:
    """Compare ``Jac^c G`` (its extreme points) with the images of ``Jac^c F`` and of the rule's ``J_F``.

    Assumes every ``B`` of both sets is invertible.
    """
    m = clarke_f.shape[0]
    flat_g = [_flat(v) for v in g_vertices]
    outside, witness, reason = _image_outside(flat_g, clarke_f, n, m, timeout_ms)
    c_status, c_witness = "not_found", None
    for cand, weights in _candidates(flat_g):
        mem = image_membership(clarke_f, n, _reshape(cand, m, n), timeout_ms)
        if mem.status == "no":
            c_status, c_witness = "yes", (_reshape(cand, m, n), weights)
            break
    members: list[Membership] = []
    ok = None
    if rule_j is not None:
        members = [image_membership(rule_j, n, v, timeout_ms) for v in g_vertices]
        ok = True if all(mb.status == "yes" for mb in members) else (False if any(mb.status == "no" for mb in members)
                                                                    else None)
    return CalculusComparison(outside, witness, c_status, c_witness, ok, tuple(members), reason)


def _candidates(flat_g: Sequence[tuple]):
    """Points of the polytope to try: the barycenter, then midpoints of pairs of vertices."""
    k = len(flat_g)
    if k < 2:
        return
    w = Fraction(1, k)
    yield tuple(sum((v[i] for v in flat_g), F0) * w for i in range(len(flat_g[0]))), tuple([w] * k)
    half = Fraction(1, 2)
    for a in range(k):
        for b in range(a + 1, k):
            weights = tuple(half if j in (a, b) else F0 for j in range(k))
            yield tuple((x + y) * half for x, y in zip(flat_g[a], flat_g[b])), weights


def _image_outside(flat_g, jset: MatrixSet, n: int, m: int, timeout_ms: int):
    """Exact: is some ``-B(λ)^{-1}A(λ)`` outside ``conv(flat_g)``? One query per facet / equality."""
    poly = jset.poly_matrix()
    a_part = [row[:n] for row in poly]
    b_part = [row[n:] for row in poly]
    p = det_poly(b_part)
    adj = adjugate_poly(b_part)
    # X(λ) det(B(λ)) = -adj(B) A, entrywise polynomial
    numer = [[-sum((adj[i][l] * a_part[l][j] for l in range(m)), Poly.constant(jset.nvars, 0)) for j in range(n)]
             for i in range(m)]
    flat_numer = [numer[i][j] for i in range(m) for j in range(n)]
    ref = jset.vertices(limit=1)[0][1]
    s = 1 if det(tuple(row[n:] for row in ref)) > 0 else -1
    try:
        poly_g = polytope(flat_g)
    except OverflowError as exc:
        return "unknown", None, str(exc)
    queries = []
    for e, f in poly_g.equalities:
        q = sum((c * x for c, x in zip(e, flat_numer) if c), Poly.constant(jset.nvars, 0)) - p * f
        if not q.is_zero:
            queries += [(q, 1), (q, -1)]
    for a, b in poly_g.facets:
        q = sum((c * x for c, x in zip(a, flat_numer) if c), Poly.constant(jset.nvars, 0)) - p * b
        if not q.is_zero:
            queries.append((q * s, 1))
    reasons = []
    for q, sign in queries:
        r = smt.simplex_query(jset.nvars, jset.simplices, [(q, sign)], timeout_ms)
        if r.status == smt.SAT:
            lam = _rational_model(r.point, jset, q, sign)
            if lam is None:
                reasons.append("an image outside was found at an algebraic point only")
                continue
            mx = jset.at(lam)
            img = implicit_image(tuple(row[:n] for row in mx), tuple(row[n:] for row in mx))
            if img is not None and not in_hull(_flat(img), flat_g):
                return "yes", (lam, mx, img), ""
            reasons.append("a solver model could not be re-checked exactly")
        elif r.status == smt.UNKNOWN:
            reasons.append(r.reason)
    if reasons:
        return "unknown", None, "; ".join(dict.fromkeys(reasons))
    return "no", None, ""


def _rational_model(point, jset: MatrixSet, q: Poly, sign: int):
    """Rational weights near the solver's model where ``q`` has the sign ``sign`` (None if rounding fails)."""
    try:
        return rationalize_weights(point, jset, lambda lam: (lambda v: (v > 0) - (v < 0))(q.eval(lam)) == sign)
    except ArithmeticError:
        return None
