"""Exact geometry of one stratum: tangent spaces, restrictions, points where a polynomial is nonzero.

A *linear* stratum ``S`` is a nonempty relatively open convex subset of its
affine hull ``aff(S) = {sample + B t}`` (``B`` a basis of the null space of the
equalities' gradients). A polynomial vanishes on ``S`` iff its restriction to
``aff(S)`` is the zero polynomial (an open subset of an affine space is Zariski
dense in it), so these questions need no solver. Nonlinear strata go to z3.

>>> from semialg.frontends.text import parse
>>> from semialg.stratification import stratify
>>> s = stratify(parse("relu(x - y)"))
>>> line = [t for t in s.strata if t.dim == 1][0]
>>> tangent_basis(line)
((Fraction(1, 1), Fraction(1, 1)),)
>>> x, y = Poly.variables(2)
>>> vanishes_on(line, x - y).status, vanishes_on(line, x).status
('yes', 'no')
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.poly import Poly, nullspace
from semialg.stratification import Stratum, exact_sign, point_in_closure, point_sympy

YES, NO, UNKNOWN = "yes", "no", "unknown"

F0 = Fraction(0)


@dataclass(frozen=True)
class Answer:
    """``status`` yes/no/unknown; for ``no`` an exact ``point`` of the stratum (and ``extra`` values)."""

    status: str
    point: tuple | None = None
    extra: tuple | None = None
    reason: str = ""


def primitive_vector(v: Sequence[Fraction]) -> tuple[Fraction, ...]:
    """The positive multiple of a rational vector with coprime integer entries.

    >>> primitive_vector((Fraction(2), Fraction(4, 3)))
    (Fraction(3, 1), Fraction(2, 1))
    """
    from math import gcd, lcm
    den = lcm(*[Fraction(x).denominator for x in v]) if v else 1
    ints = [int(Fraction(x) * den) for x in v]
    g = gcd(*ints) if any(ints) else 1
    return tuple(Fraction(i // g) for i in ints)


def tangent_basis(stratum: Stratum) -> tuple[tuple[Fraction, ...], ...]:
    """A basis of the tangent space of a linear stratum (exact).

    It depends only on the stratum's equalities, which many strata share (every edge on one
    line of an arrangement), so the basis is memoised by their coefficient rows."""
    n = len(stratum.sample)
    return _nullspace_of(tuple(p.linear_coeffs() for p in stratum.equalities), n)


@functools.lru_cache(maxsize=8192)
def _nullspace_of(rows: tuple, n: int) -> tuple[tuple[Fraction, ...], ...]:
    if not rows:
        return tuple(tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n))
    return tuple(nullspace([list(r) for r in rows], n))


def restrict(p: Poly, stratum: Stratum, basis: Sequence[Sequence[Fraction]] | None = None) -> Poly:
    """``t -> p(sample + B t)``: the polynomial on the affine hull of a linear stratum."""
    basis = tangent_basis(stratum) if basis is None else basis
    k = len(basis)
    n = len(stratum.sample)
    images = []
    for i in range(n):
        images.append(Poly.linear([b[i] for b in basis], stratum.sample[i]) if k else Poly.constant(0, stratum.sample[i]))
    return p.compose(images) if k else Poly.constant(0, p.eval(stratum.sample))


def _linear_identically_zero(p: Poly, stratum: Stratum, basis) -> bool:
    if p.eval(stratum.sample) != 0:
        return False
    grad = p.linear_coeffs()
    return all(sum(g * b for g, b in zip(grad, v)) == 0 for v in basis)


def nonzero_point(stratum: Stratum, polys: Sequence[Poly], basis=None) -> tuple | None:
    """A rational point of a linear stratum where some of ``polys`` is nonzero, if one is found.

    Tries the sample, then points ``sample + δ Σ c_i b_i`` with shrinking δ: a
    nonzero polynomial on ``aff(S)`` cannot vanish on the open set ``S``.
    """
    basis = tangent_basis(stratum) if basis is None else basis
    s = stratum.sample
    if any(p.eval(s) != 0 for p in polys):
        return tuple(s)
    k = len(basis)
    coefficient_choices = [c for c in itertools.product((1, -1, 2, 3), repeat=k)][:64] if k else []
    for e in range(1, 40):
        delta = Fraction(1, 2 ** e)
        for coeffs in coefficient_choices:
            point = tuple(s[i] + delta * sum(c * b[i] for c, b in zip(coeffs, basis)) for i in range(len(s)))
            if stratum.contains(point) and any(p.eval(point) != 0 for p in polys):
                return point
    return None


def vanishes_on(stratum: Stratum, p: Poly, timeout_ms: int = 10_000) -> Answer:
    """Does ``p`` vanish at every point of the stratum? (exact; z3 for nonlinear strata)"""
    return all_vanish_on(stratum, [p], timeout_ms)


def all_vanish_on(stratum: Stratum, polys: Sequence[Poly], timeout_ms: int = 10_000) -> Answer:
    """Do all ``polys`` vanish on the stratum? ``no`` comes with a point where one does not."""
    polys = [p for p in polys if not p.is_zero]
    if not polys:
        return Answer(YES)
    if stratum.rational and stratum.linear:
        basis = tangent_basis(stratum)
        if all((_linear_identically_zero(p, stratum, basis) if p.is_linear else restrict(p, stratum, basis).is_zero)
               for p in polys):
            return Answer(YES)
        point = nonzero_point(stratum, polys, basis)
        if point is None:
            return Answer(UNKNOWN, reason="no rational point found where the polynomial is nonzero")
        return Answer(NO, point)
    point = point_sympy(stratum.sample)
    if any(exact_sign(p.eval(point)) != 0 for p in polys):
        return Answer(NO, tuple(stratum.sample))
    result = smt.exists_nonzero(stratum.conditions, polys, len(stratum.sample), None, timeout_ms)
    if result.status == smt.UNSAT:
        return Answer(YES)
    if result.status == smt.SAT:
        n = len(stratum.sample)
        return Answer(NO, result.point[:n])
    return Answer(UNKNOWN, reason=result.reason)


def projection_violation(stratum: Stratum, g: Sequence[Poly], timeout_ms: int = 10_000, method: str = "algebra") -> Answer:
    """Is ``P_{T_x S} g(x) = 0`` for every ``x`` in ``S``? (theory §4, step 2)

    ``no`` carries ``point`` and ``extra = direction``: a tangent direction ``d``
    with ``<g(point), d> != 0``. ``method="smt"`` sends every stratum to z3 (the
    naive baseline of ``benchmarks/check.py``); the default decides linear strata
    by exact algebra on the affine hull.
    """
    n = len(stratum.sample)
    if stratum.dim == 0:
        return Answer(YES)
    if method == "algebra" and stratum.rational and stratum.linear:
        basis = tangent_basis(stratum)
        if all(gi.is_const for gi in g):   # a constant g (a piecewise-linear program): <g, b> for each b
            c = [gi.const_value for gi in g]
            w = [sum((ci * b[i] for i, ci in enumerate(c) if ci), F0) for b in basis]
            if not any(w):
                return Answer(YES)
            direction = tuple(sum(wj * b[i] for wj, b in zip(w, basis)) for i in range(n))
            return Answer(NO, tuple(stratum.sample), primitive_vector(direction))
        projected = [sum((gi * b[i] for i, gi in enumerate(g)), Poly.constant(n, 0)) for b in basis]
        answer = all_vanish_on(stratum, projected, timeout_ms)
        if answer.status != NO:
            return answer
        x = answer.point
        w = [p.eval(x) for p in projected]
        direction = tuple(sum(wj * b[i] for wj, b in zip(w, basis)) for i in range(n))
        return Answer(NO, x, primitive_vector(direction))
    rows = [p.gradient() for p in stratum.equalities]
    if method == "algebra" and stratum.rational:
        # try the sample first: the tangent space there is exact linear algebra
        at = [[q.eval(stratum.sample) for q in row] for row in rows]
        basis = nullspace(at, n) if at else [tuple(Fraction(int(i == j)) for j in range(n)) for i in range(n)]
        w = [sum((gi.eval(stratum.sample) * b[i] for i, gi in enumerate(g)), Fraction(0)) for b in basis]
        if any(w):
            direction = tuple(sum(wj * b[i] for wj, b in zip(w, basis)) for i in range(n))
            return Answer(NO, tuple(stratum.sample), primitive_vector(direction))
    result = smt.exists_nonzero(stratum.conditions, list(g), n, rows, timeout_ms)
    if result.status == smt.UNSAT:
        return Answer(YES)
    if result.status == smt.SAT:
        return Answer(NO, result.point[:n], result.point[n:])
    return Answer(UNKNOWN, reason=result.reason)


def in_closure_at(point: Sequence, cell: Stratum, timeout_ms: int = 10_000) -> bool | None:
    """Is ``point`` in the closure of ``cell``? Exact: relaxed conditions for linear cells, z3 otherwise."""
    pt = point_sympy(point)
    relaxed = all((exact_sign(p.eval(pt)) == 0) if s == 0 else (exact_sign(p.eval(pt)) * s >= 0)
                  for p, s in cell.conditions)
    if not relaxed:
        return False
    if cell.linear:
        return True
    rational = all(isinstance(v, Fraction) for v in point)
    # certificates first (independent gradients of the vanishing kinks, a segment into the cell),
    # then z3's quantified query
    return point_in_closure(tuple(point), rational, cell.conditions, cell.sample, len(point), timeout_ms)


def segment_inside(stratum: Stratum, point: Sequence, direction: Sequence, max_halvings: int = 60) -> Fraction | None:
    """The largest ``h = 2^-k`` for which the segment ``point + t·direction``, ``0 <= t <= h``,
    lies in the stratum, decided exactly (None when there is none, or the point is not rational).

    Equalities must vanish identically along the line; each strict condition, a polynomial
    in ``t`` with the right sign at ``t = 0``, must have no real root in ``(0, h]`` (exact
    root counting, sympy's Sturm sequences).

    >>> from semialg.frontends.text import parse
    >>> from semialg.stratification import stratify
    >>> s = stratify(parse("relu(relu(x)*y)")).locate((0, -1))
    >>> segment_inside(s, (Fraction(0), Fraction(-1)), (Fraction(0), Fraction(1)))
    Fraction(1, 2)
    """
    if not all(isinstance(v, Fraction) for v in tuple(point) + tuple(direction)):
        return None
    import sympy
    t = sympy.Symbol("t")
    images = [Poly(1, {(0,): Fraction(c), (1,): Fraction(e)}) for c, e in zip(point, direction)]
    strict = []
    for p, s in stratum.conditions:
        q = p.compose(images)
        if s == 0:
            if not q.is_zero:
                return None
            continue
        if exact_sign(q.eval((Fraction(0),))) != s:
            return None
        if not q.is_const:
            strict.append(sympy.Poly(q.to_sympy([t]), t, domain="QQ"))
    for k in range(max_halvings + 1):
        h = Fraction(1, 2 ** k)
        if all(q.count_roots(0, sympy.Rational(h.numerator, h.denominator)) == 0 for q in strict):
            return h
    return None
