"""Every z3 query semialg makes (the only module that imports z3).

Queries are over conjunctions of *sign conditions* ``(p, s)`` meaning
``sign(p(x)) == s`` for an exact :class:`~semialg.poly.Poly` ``p``. Linear systems
go to z3's linear real arithmetic (incremental, push/pop); nonlinear ones to a
fresh ``qfnra-nlsat`` solver per query (measured 10-25x faster than push/pop on
nonlinear kinks). Every answer is three-valued: :data:`SAT` with an exact model,
:data:`UNSAT`, or :data:`UNKNOWN` with z3's reason (timeouts included).

>>> from semialg.poly import Poly
>>> x, y = Poly.variables(2)
>>> r = check([(x + y - 1, 0), (x - y, 1)], 2)
>>> r.status, sum(r.point) == 1, r.point[0] > r.point[1]
('sat', True, True)
>>> check([(x * x + 1, -1)], 2).status
'unsat'
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import z3

from .poly import Poly

SAT, UNSAT, UNKNOWN = "sat", "unsat", "unknown"
Condition = tuple[Poly, int]


@dataclass(frozen=True)
class AlgebraicNumber:
    """A real algebraic number: the ``index``-th real root (0-based, increasing) of
    the integer polynomial with ``coefficients`` (highest degree first), with a float beside it.

    >>> AlgebraicNumber((1, 0, -2), 1, 1.4142135623730951).to_sympy()
    sqrt(2)
    """

    coefficients: tuple[int, ...]
    index: int
    approx: float

    def to_sympy(self):
        import sympy
        t = sympy.Symbol("t")
        return sympy.real_roots(sympy.Poly(list(self.coefficients), t))[self.index]

    def __float__(self):
        return self.approx

    def __str__(self):
        """``root(P(t), i)``: the i-th real root (0-based, increasing) of P, e.g. ``root(t**2 - 2, 1)``."""
        import sympy
        t = sympy.Symbol("t")
        return f"root({sympy.Poly(list(self.coefficients), t).as_expr()}, {self.index})"


@dataclass(frozen=True)
class Result:
    """The answer to one query: ``status`` and, when sat, an exact ``point``."""

    status: str
    point: tuple | None = None
    reason: str = ""


@dataclass
class Stats:
    """Counters of solver work (mutable on purpose: one per stratification run)."""

    calls: int = 0
    linear_calls: int = 0
    nonlinear_calls: int = 0
    seconds: float = 0.0
    unknown: int = 0
    reasons: list = field(default_factory=list)


def _variables(nvars: int):
    return [z3.Real(f"x{i}") for i in range(nvars)]


def _val(c: Fraction):
    return z3.RealVal(c.numerator) if c.denominator == 1 else z3.Q(c.numerator, c.denominator)


def to_z3(p: Poly, xs):
    """The polynomial as a z3 arithmetic term over the variables ``xs``."""
    terms = []
    for mono, c in p.terms.items():
        factors = [xs[i] if e == 1 else xs[i] ** e for i, e in enumerate(mono) if e]
        if not factors:
            terms.append(_val(c))
            continue
        prod = factors[0]
        for f in factors[1:]:
            prod = prod * f
        terms.append(prod if c == 1 else _val(c) * prod)
    if not terms:
        return z3.RealVal(0)
    return terms[0] if len(terms) == 1 else z3.Sum(*terms)


def _atom(p: Poly, s: int, xs):
    t = to_z3(p, xs)
    return t < 0 if s < 0 else (t == 0 if s == 0 else t > 0)


def _model_value(v) -> Fraction | AlgebraicNumber:
    if z3.is_rational_value(v):
        return Fraction(v.numerator_as_long(), v.denominator_as_long())
    if z3.is_algebraic_value(v):
        poly = v.poly()
        coeffs = _poly_coefficients(poly)
        approx = float(Fraction(v.approx(30).as_fraction()))
        roots = sorted(r for r in _real_roots(coeffs))
        index = min(range(len(roots)), key=lambda i: abs(roots[i] - approx)) if roots else 0
        return AlgebraicNumber(coeffs, index, approx)
    raise ValueError(f"unexpected model value {v}")


def _poly_coefficients(poly) -> tuple[int, ...]:
    """Integer coefficients (highest first) of z3's defining polynomial (z3 gives lowest first)."""
    coeffs = [int(str(c)) for c in poly]
    return tuple(reversed(coeffs))


def _real_roots(coeffs: Sequence[int]) -> list[float]:
    import numpy as np
    roots = np.roots(np.array(coeffs, dtype=float))
    return [float(r.real) for r in roots if abs(r.imag) < 1e-9]


def _point_from_model(model, xs) -> tuple:
    return tuple(_model_value(model.eval(x, model_completion=True)) for x in xs)


def _solver_for(conds: Sequence[Condition], timeout_ms: int | None):
    linear = all(p.is_linear for p, _ in conds)
    solver = z3.SolverFor("QF_LRA") if linear else z3.Tactic("qfnra-nlsat").solver()
    if timeout_ms:
        solver.set("timeout", int(timeout_ms))
    return solver, linear


def check(conds: Sequence[Condition], nvars: int, timeout_ms: int | None = 10_000, stats: Stats | None = None) -> Result:
    """Is the conjunction of sign conditions satisfiable? (fresh solver)"""
    import time
    t0 = time.perf_counter()
    xs = _variables(nvars)
    solver, linear = _solver_for(conds, timeout_ms)
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    answer = solver.check()
    result = _result(answer, solver, xs)
    if stats is not None:
        stats.calls += 1
        stats.seconds += time.perf_counter() - t0
        if linear:
            stats.linear_calls += 1
        else:
            stats.nonlinear_calls += 1
        if result.status == UNKNOWN:
            stats.unknown += 1
            stats.reasons.append(result.reason)
    return result


def _result(answer, solver, xs) -> Result:
    if answer == z3.sat:
        return Result(SAT, _point_from_model(solver.model(), xs))
    if answer == z3.unsat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=str(solver.reason_unknown()) or "z3 returned unknown")


class IncrementalLinear:
    """A linear-arithmetic solver kept along a depth-first walk (push/pop).

    >>> from semialg.poly import Poly
    >>> x, = Poly.variables(1)
    >>> inc = IncrementalLinear(1)
    >>> inc.push([(x, 1)]); inc.check([(x - 1, -1)]).status
    'sat'
    >>> inc.check([(x, -1)]).status
    'unsat'
    """

    def __init__(self, nvars: int, timeout_ms: int | None = 10_000, stats: Stats | None = None):
        self.xs = _variables(nvars)
        self.solver = z3.SolverFor("QF_LRA")
        if timeout_ms:
            self.solver.set("timeout", int(timeout_ms))
        self.stats = stats
        self.depth = 0

    def push(self, conds: Sequence[Condition]):
        self.solver.push()
        self.depth += 1
        for p, s in conds:
            self.solver.add(_atom(p, s, self.xs))

    def pop(self, levels: int = 1):
        self.solver.pop(levels)
        self.depth -= levels

    def check(self, extra: Sequence[Condition]) -> Result:
        import time
        t0 = time.perf_counter()
        assumptions = [_atom(p, s, self.xs) for p, s in extra]
        answer = self.solver.check(*assumptions)
        result = _result(answer, self.solver, self.xs)
        if self.stats is not None:
            self.stats.calls += 1
            self.stats.linear_calls += 1
            self.stats.seconds += time.perf_counter() - t0
            if result.status == UNKNOWN:
                self.stats.unknown += 1
                self.stats.reasons.append(result.reason)
        return result


def rank_drop(conds: Sequence[Condition], equalities: Sequence[Poly], nvars: int,
              timeout_ms: int | None = 10_000, stats: Stats | None = None) -> Result:
    """Is there a point of the cell where the gradients of ``equalities`` are linearly dependent?

    ``∃x, λ: cell(x), Σ λ_i ∇p_i(x) = 0, Σ λ_i² = 1`` (sat means the rank drops).
    """
    import time
    t0 = time.perf_counter()
    xs = _variables(nvars)
    lams = [z3.Real(f"lam{i}") for i in range(len(equalities))]
    solver = z3.Tactic("qfnra-nlsat").solver()
    if timeout_ms:
        solver.set("timeout", int(timeout_ms))
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    grads = [[to_z3(p.diff(j), xs) for j in range(nvars)] for p in equalities]
    for j in range(nvars):
        solver.add(z3.Sum(*[lam * g[j] for lam, g in zip(lams, grads)]) == 0)
    solver.add(z3.Sum(*[lam * lam for lam in lams]) == 1)
    result = _result(solver.check(), solver, xs)
    if stats is not None:
        stats.calls += 1
        stats.nonlinear_calls += 1
        stats.seconds += time.perf_counter() - t0
    return result


def _exact_coordinates(point: Sequence):
    """z3 terms for a point's coordinates: rationals as values, an algebraic number as a
    fresh variable pinned by its polynomial and a rational isolating interval."""
    import sympy
    coords, pinning = [], []
    for i, v in enumerate(point):
        if isinstance(v, AlgebraicNumber):
            a = z3.Real(f"alg{i}")
            t = sympy.Symbol("t")
            lo, hi = sympy.Poly(list(v.coefficients), t).intervals()[v.index][0]
            lo, hi = Fraction(int(lo.p), int(lo.q)), Fraction(int(hi.p), int(hi.q))
            deg = len(v.coefficients) - 1
            pinning.append(z3.Sum(*[c * a ** (deg - k) if deg - k else z3.RealVal(c)
                                    for k, c in enumerate(v.coefficients)]) == 0)
            pinning.append(a >= _val(lo) if lo == hi else z3.And(a > _val(lo), a < _val(hi)))
            if lo == hi:
                pinning.append(a == _val(lo))
            coords.append(a)
        else:
            coords.append(_val(Fraction(v)))
    return coords, pinning


def in_closure(point: Sequence, conds: Sequence[Condition], nvars: int, timeout_ms: int | None = 10_000) -> Result:
    """Does ``point`` lie in the closure of the cell? ``∀ε>0 ∃y∈cell: |y - point|² < ε``.

    Answered as the unsatisfiability of its negation (sat = not in the closure).
    Returns :data:`SAT` when the point *is* in the closure, :data:`UNSAT` when not.
    """
    ys = _variables(nvars)
    eps = z3.Real("eps")
    coords, pinning = _exact_coordinates(point)
    dist = z3.Sum(*[(y - c) * (y - c) for y, c in zip(ys, coords)]) if nvars else z3.RealVal(0)
    inside = z3.And(*[_atom(p, s, ys) for p, s in conds]) if conds else z3.BoolVal(True)
    negation = z3.And(eps > 0, z3.ForAll(ys, z3.Not(z3.And(inside, dist < eps)))) if nvars else z3.Not(inside)
    solver = z3.Solver()
    if timeout_ms:
        solver.set("timeout", int(timeout_ms))
    solver.add(negation)
    for constraint in pinning:
        solver.add(constraint)
    answer = solver.check()
    if answer == z3.unsat:
        return Result(SAT)
    if answer == z3.sat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=str(solver.reason_unknown()) or "quantified query undecided")


def exists_nonzero(conds: Sequence[Condition], polys: Sequence[Poly], nvars: int,
                   tangent_rows: Sequence[Sequence[Poly]] | None = None,
                   timeout_ms: int | None = 10_000) -> Result:
    """``∃x∈cell, ∃t: N(x) t = 0, Σ_j polys_j(x) t_j ≠ 0`` (the projection-formula query of THEORY §4).

    ``tangent_rows``: rows of ``N`` (gradients of the active equalities). Without
    rows, ``t`` is free, i.e. the query is ``∃x: some polys_j(x) ≠ 0``. The model
    is returned as ``point + direction`` (a tuple of 2*nvars values).
    """
    xs = _variables(nvars)
    ts = [z3.Real(f"t{i}") for i in range(nvars)]
    solver = z3.Tactic("qfnra-nlsat").solver() if not all(p.is_linear for p, _ in conds) or any(
        not q.is_linear for q in polys) or tangent_rows else z3.SolverFor("QF_NRA")
    if timeout_ms:
        solver.set("timeout", int(timeout_ms))
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for row in tangent_rows or []:
        solver.add(z3.Sum(*[to_z3(g, xs) * t for g, t in zip(row, ts)]) == 0)
    solver.add(z3.Sum(*[to_z3(q, xs) * t for q, t in zip(polys, ts)]) != 0)
    answer = solver.check()
    if answer == z3.sat:
        model = solver.model()
        return Result(SAT, _point_from_model(model, xs) + _point_from_model(model, ts))
    if answer == z3.unsat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=str(solver.reason_unknown()) or "z3 returned unknown")


def simplex_combination_zero(vectors: Sequence[Sequence[Poly]], conds: Sequence[Condition], nvars: int,
                             strict_separation: Sequence[Sequence[Poly]] | None = None,
                             timeout_ms: int | None = 10_000) -> Result:
    """``∃x∈cell, λ in the simplex: Σ λ_i v_i(x) = 0`` and, when ``strict_separation``
    is given, ``∃w: <w, g_j(x)> > 0`` for every ``g_j`` in it (Farkas: 0 ∉ conv g).

    Used for artificial critical points (THEORY §6). Model: point, λ (and w).
    """
    xs = _variables(nvars)
    k = len(vectors)
    lams = [z3.Real(f"lam{i}") for i in range(k)]
    dim = len(vectors[0]) if vectors else 0
    ws = [z3.Real(f"w{i}") for i in range(dim)]
    solver = z3.Tactic("qfnra-nlsat").solver()
    if timeout_ms:
        solver.set("timeout", int(timeout_ms))
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for lam in lams:
        solver.add(lam >= 0)
    solver.add(z3.Sum(*lams) == 1 if k > 1 else lams[0] == 1)
    for j in range(dim):
        solver.add(z3.Sum(*[lam * to_z3(v[j], xs) for lam, v in zip(lams, vectors)]) == 0)
    for g in strict_separation or []:
        solver.add(z3.Sum(*[w * to_z3(gj, xs) for w, gj in zip(ws, g)]) > 0)
    answer = solver.check()
    if answer == z3.sat:
        model = solver.model()
        return Result(SAT, _point_from_model(model, xs) + _point_from_model(model, lams))
    if answer == z3.unsat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=str(solver.reason_unknown()) or "z3 returned unknown")
