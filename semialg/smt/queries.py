"""The questions the stages ask z3: rank drops, closure membership, nonzero polynomials on a
set, convex combinations, simplex queries, exact signs at algebraic points, point
enumeration, and the naive sign-cell count used as a benchmark baseline."""
from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from semialg.core.poly import Poly
from semialg.smt.encoding import (  # z3: imported on first use (see encoding._Z3OnFirstUse)
    SAT,
    UNKNOWN,
    UNSAT,
    AlgebraicNumber,
    Condition,
    Result,
    Stats,
    _atom,
    _model_value,
    _point_from_model,
    _result,
    _solver_for,
    _val,
    _variables,
    linear_solver,
    nonlinear_solver,
    record,
    timed_check,
    to_z3,
    unknown_reason,
    z3,
)


def rank_drop(conds: Sequence[Condition], equalities: Sequence[Poly], nvars: int,
              timeout_ms: int | None = 10_000, stats: Stats | None = None) -> Result:
    """Is there a point of the cell where the gradients of ``equalities`` are linearly dependent?

    ``∃x, λ: cell(x), Σ λ_i ∇p_i(x) = 0, Σ λ_i² = 1`` (sat means the rank drops).
    """
    import time
    t0 = time.perf_counter()
    xs = _variables(nvars)
    lams = [z3.Real(f"lam{i}") for i in range(len(equalities))]
    solver = nonlinear_solver()
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    grads = [[to_z3(p.diff(j), xs) for j in range(nvars)] for p in equalities]
    for j in range(nvars):
        solver.add(z3.Sum(*[lam * g[j] for lam, g in zip(lams, grads)]) == 0)
    solver.add(z3.Sum(*[lam * lam for lam in lams]) == 1)
    result = _result(timed_check(solver, timeout_ms), solver, xs)
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
    solver.add(negation)
    for constraint in pinning:
        solver.add(constraint)
    answer = timed_check(solver, timeout_ms)
    if answer == z3.unsat:
        return Result(SAT)
    if answer == z3.sat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=unknown_reason(solver, "quantified query undecided"))


def exists_nonzero(conds: Sequence[Condition], polys: Sequence[Poly], nvars: int,
                   tangent_rows: Sequence[Sequence[Poly]] | None = None,
                   timeout_ms: int | None = 10_000) -> Result:
    """``∃x∈cell, ∃t: N(x) t = 0, Σ_j polys_j(x) t_j ≠ 0`` (the projection-formula query of theory §4).

    ``tangent_rows``: rows of ``N`` (gradients of the active equalities). Without
    rows, ``t`` is free, i.e. the query is ``∃x: some polys_j(x) ≠ 0``. The model
    is returned as ``point + direction`` (a tuple of 2*nvars values).
    """
    xs = _variables(nvars)
    ts = [z3.Real(f"t{i}") for i in range(nvars)]
    solver = nonlinear_solver() if not all(p.is_linear for p, _ in conds) or any(
        not q.is_linear for q in polys) or tangent_rows else z3.SolverFor("QF_NRA")
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for row in tangent_rows or []:
        solver.add(z3.Sum(*[to_z3(g, xs) * t for g, t in zip(row, ts)]) == 0)
    solver.add(z3.Sum(*[to_z3(q, xs) * t for q, t in zip(polys, ts)]) != 0)
    return _result(timed_check(solver, timeout_ms), solver, xs, ts)


def simplex_combination_zero(vectors: Sequence[Sequence[Poly]], conds: Sequence[Condition], nvars: int,
                             strict_separation: Sequence[Sequence[Poly]] | None = None,
                             timeout_ms: int | None = 10_000) -> Result:
    """``∃x∈cell, λ in the simplex: Σ λ_i v_i(x) = 0`` and, when ``strict_separation``
    is given, ``∃w: <w, g_j(x)> > 0`` for every ``g_j`` in it (Farkas: 0 ∉ conv g).

    Used for artificial critical points (theory §6). Model: point, λ (and w).
    """
    xs = _variables(nvars)
    k = len(vectors)
    lams = [z3.Real(f"lam{i}") for i in range(k)]
    dim = len(vectors[0]) if vectors else 0
    ws = [z3.Real(f"w{i}") for i in range(dim)]
    solver = nonlinear_solver()
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for lam in lams:
        solver.add(lam >= 0)
    solver.add(z3.Sum(*lams) == 1 if k > 1 else lams[0] == 1)
    for j in range(dim):
        solver.add(z3.Sum(*[lam * to_z3(v[j], xs) for lam, v in zip(lams, vectors)]) == 0)
    for g in strict_separation or []:
        solver.add(z3.Sum(*[w * to_z3(gj, xs) for w, gj in zip(ws, g)]) > 0)
    return _result(timed_check(solver, timeout_ms), solver, xs, lams)


def convex_query(conds: Sequence[Condition], nvars: int,
                 members: Sequence[tuple[Sequence[Poly], Sequence[Sequence[Poly]]]] = (),
                 separations: Sequence[Sequence[Sequence[Poly]]] = (),
                 at: Sequence | None = None, timeout_ms: int | None = 10_000) -> Result:
    """``∃x∈cell`` such that every ``(p, hull)`` in ``members`` has ``p(x) ∈ conv{h(x) : h ∈ hull}``
    (``∃λ`` in the simplex, ``Σ λ_j h_j(x) = p(x)``) and every list ``G`` in ``separations``
    has ``∃w: <w, g(x)> > 0`` for all ``g ∈ G`` (Gordan/Farkas: ``0 ∉ conv G(x)``).

    The exact LP behind Clarke polytopes, artificial critical points and spurious
    values (theory §5-6). Vectors are tuples of :class:`Poly` in ``nvars``
    variables; ``at`` pins ``x`` to an exact point (Fractions or
    :class:`AlgebraicNumber`); the cell's conditions are then checked at it too.
    Linear real arithmetic when every vector is constant (or ``at`` is rational)
    and the cell is linear; nlsat otherwise. Model: the point ``x``.

    >>> from semialg.core.poly import Poly
    >>> c = lambda *v: tuple(Poly.constant(0, a) for a in v)
    >>> convex_query([], 0, members=[(c(0, 0), [c(1, 0), c(-1, 1), c(-1, -1)])]).status
    'sat'
    >>> convex_query([], 0, members=[(c(2, 0), [c(1, 0), c(-1, 1), c(-1, -1)])]).status
    'unsat'
    >>> x, = Poly.variables(1)
    >>> r = convex_query([(x, 1)], 1, separations=[[(x - 1,)]])   # ∃x > 0: 0 ∉ conv{x - 1}
    >>> r.status, r.point[0] != 1
    ('sat', True)
    """
    if at is not None and all(isinstance(v, (Fraction, int)) for v in at):
        point = tuple(Fraction(v) for v in at)
        for p, s in conds:
            value = p.eval(point)
            if (value > 0) - (value < 0) != s:
                return Result(UNSAT)
        const = lambda vec: tuple(Poly.constant(0, q.eval(point)) for q in vec)
        members = [(const(p), [const(h) for h in hull]) for p, hull in members]
        separations = [[const(g) for g in group] for group in separations]
        result = convex_query([], 0, members, separations, None, timeout_ms)
        return Result(result.status, point if result.status == SAT else None, result.reason)
    if any(not hull for _, hull in members):
        return Result(UNSAT)
    vectors = [v for p, hull in members for v in [p, *hull]] + [g for group in separations for g in group]
    linear = at is None and all(p.is_linear for p, _ in conds) and all(q.is_const for v in vectors for q in v)
    solver = linear_solver() if linear else nonlinear_solver()
    if at is not None:
        xs, pinning = _exact_coordinates(at)
        for constraint in pinning:
            solver.add(constraint)
    else:
        xs = _variables(nvars)
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for k, (p, hull) in enumerate(members):
        lams = [z3.Real(f"lam{k}_{j}") for j in range(len(hull))]
        for lam in lams:
            solver.add(lam >= 0)
        solver.add(z3.Sum(*lams) == 1 if len(lams) > 1 else lams[0] == 1)
        for i in range(len(p)):
            solver.add(z3.Sum(*[lam * to_z3(h[i], xs) for lam, h in zip(lams, hull)]) == to_z3(p[i], xs))
    for k, group in enumerate(separations):
        if not group:
            continue
        ws = [z3.Real(f"w{k}_{i}") for i in range(len(group[0]))]
        for g in group:
            solver.add(z3.Sum(*[w * to_z3(gi, xs) for w, gi in zip(ws, g)]) > 0 if ws else z3.BoolVal(False))
    answer = timed_check(solver, timeout_ms)
    if answer == z3.sat:
        if at is not None:
            return Result(SAT, tuple(at))
        return Result(SAT, _point_from_model(solver.model(), xs))
    if answer == z3.unsat:
        return Result(UNSAT)
    return Result(UNKNOWN, reason=unknown_reason(solver))


def simplex_query(nvars: int, simplices: Sequence[Sequence[int]], conds: Sequence[Condition] = (),
                  timeout_ms: int | None = 10_000) -> Result:
    """``∃λ ∈ R^nvars`` with ``λ_i >= 0`` and ``Σ_{i∈g} λ_i = 1`` for every group ``g`` of
    ``simplices`` (a product of simplices), satisfying every sign condition of ``conds``.

    The query behind nonsmooth implicit differentiation (theory §7): ``λ`` are the
    convex weights of the vertices of a conservative Jacobian; ``det(Σ λ_i B_i) = 0``
    asks for a singular matrix in the hull, ``A(λ) + B(λ) N = 0`` (linear) for the
    membership of ``N`` in ``{-B^{-1} A}``. Linear real arithmetic when every
    condition is linear, nlsat otherwise. Model: ``λ`` (exact; algebraic
    coordinates are :class:`AlgebraicNumber`).

    >>> from semialg.core.poly import Poly
    >>> a, b = Poly.variables(2)
    >>> r = simplex_query(2, [[0, 1]], [(a - b, 0)])          # the midpoint of the segment
    >>> r.status, r.point
    ('sat', (Fraction(1, 2), Fraction(1, 2)))
    >>> simplex_query(2, [[0, 1]], [(a * b - 1, 0)]).status   # ab <= 1/4 on the simplex
    'unsat'
    """
    import time
    t0 = time.perf_counter()
    lams = _variables(nvars)
    linear = all(p.is_linear for p, _ in conds)
    solver = linear_solver() if linear else nonlinear_solver()
    for lam in lams:
        solver.add(lam >= 0)
    for group in simplices:
        solver.add(z3.Sum(*[lams[i] for i in group]) == 1 if len(group) > 1 else lams[group[0]] == 1)
    for p, s in conds:
        solver.add(_atom(p, s, lams))
    result = _result(timed_check(solver, timeout_ms), solver, lams)
    if result.status == UNKNOWN and not result.reason:
        result = Result(UNKNOWN, reason=f"z3 returned unknown after {time.perf_counter() - t0:.1f} s")
    return result


# --------------------------------------------------------------------------- exact evaluation at algebraic points
def exact_signs(point: Sequence, polys: Sequence[Poly], timeout_ms: int | None = 10_000) -> list[int] | None:
    """Exact signs of ``polys`` at a point of Fractions and :class:`AlgebraicNumber` s.

    One nlsat call pins the algebraic coordinates (defining polynomial and isolating
    interval); z3's model evaluation then compares algebraic numbers exactly. None
    when the pinning query is not answered (timeout).

    >>> from semialg.core.poly import Poly
    >>> x, y = Poly.variables(2)
    >>> r2 = AlgebraicNumber((1, 0, -2), 1, 1.4142135623730951)
    >>> exact_signs((r2, Fraction(1)), [x * x - 2, x - y, x * y - 2])
    [0, 1, -1]
    """
    if all(isinstance(v, (Fraction, int)) for v in point):
        out = []
        for p in polys:
            v = p.eval(tuple(Fraction(c) for c in point))
            out.append((v > 0) - (v < 0))
        return out
    key = tuple(point)
    pinned = _PINNED.get(key)
    if pinned is None:
        coords, pinning = _exact_coordinates(point)
        solver = nonlinear_solver()
        for constraint in pinning:
            solver.add(constraint)
        if timed_check(solver, timeout_ms) != z3.sat:
            return None
        if len(_PINNED) > 4096:
            _PINNED.clear()
        pinned = _PINNED[key] = (coords, solver.model(), {})
    coords, model, known = pinned
    out = []
    for p in polys:
        sign = known.get(p)
        if sign is None:
            term = to_z3(p, coords)
            if z3.is_true(model.eval(term == 0, model_completion=True)):
                sign = 0
            else:
                sign = 1 if z3.is_true(model.eval(term > 0, model_completion=True)) else -1
            known[p] = sign
        out.append(sign)
    return out


_PINNED: dict = {}   # algebraic point -> (z3 coordinates, a model pinning them, signs already computed)


def enumerate_points(conds: Sequence[Condition], nvars: int, limit: int = 64,
                     timeout_ms: int | None = 10_000, free: int = 0) -> list[tuple] | None:
    """Every point of a finite cell (a 0-dimensional stratum), exact; None if undecided
    or more than ``limit`` points. Each model is blocked by ``x != model(x)`` (z3's
    algebraic numerals are exact) until the cell has no more points.

    >>> from semialg.core.poly import Poly
    >>> x, y = Poly.variables(2)
    >>> sorted(float(p[0]) for p in enumerate_points([(x * x - 2, 0), (y - x, 0)], 2))
    [-1.4142135623730951, 1.4142135623730951]
    """
    xs = _variables(nvars)
    solver = nonlinear_solver() if not all(p.is_linear for p, _ in conds) else linear_solver()
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    points = []
    while len(points) <= limit:
        answer = timed_check(solver, timeout_ms)
        if answer == z3.unsat:
            return points
        if answer != z3.sat:
            return None
        model = solver.model()
        values = [model.eval(x, model_completion=True) for x in xs]
        points.append(tuple(_model_value(v) for v in values))
        kept = nvars - free
        solver.add(z3.Or(*[x != v for x, v in zip(xs[:kept], values[:kept])]) if kept else z3.BoolVal(False))
    return None


def naive_sign_cells(kinks: Sequence[Poly], nvars: int, timeout_ms: int | None = None) -> tuple[int, int]:
    """The naive baseline of the benchmarks: a depth-first walk over the sign vectors of
    ``kinks`` with one incremental linear solver, one ``push``/``check``/``pop`` per
    branch and no model extraction. Returns ``(feasible sign vectors, solver calls)``.

    >>> from semialg.core.poly import Poly
    >>> x, y = Poly.variables(2)
    >>> naive_sign_cells([x, y, x + y - 1], 2)
    (19, 39)
    """
    xs = _variables(nvars)
    solver = linear_solver()
    atoms = [[_atom(p, s, xs) for s in (-1, 0, 1)] for p in kinks]
    cells = calls = 0
    frames = [0]                     # per level, the next sign to try; one push per fixed level
    while frames:
        level = len(frames) - 1
        if level == len(kinks):
            cells += 1
            frames.pop()
            solver.pop()
            continue
        k = frames[-1]
        if k == 3:
            frames.pop()
            if frames:
                solver.pop()
            continue
        frames[-1] += 1
        solver.push()
        solver.add(atoms[level][k])
        calls += 1
        if timed_check(solver, timeout_ms) == z3.sat:
            frames.append(0)
        else:
            solver.pop()
    return cells, calls


def meets_relaxed(conds: Sequence[Condition], relaxed: Sequence[Condition], nvars: int,
                  timeout_ms: int | None = 10_000, stats: Stats | None = None) -> Result:
    """Is there a point of the cell ``conds`` where the *relaxed* conditions hold (``p = 0`` for
    ``s = 0``, ``s·p >= 0`` otherwise)? The relaxed set contains the closure of the cell
    ``relaxed``, so ``unsat`` proves that the first cell misses that closure everywhere.

    >>> x, y = Poly.variables(2)
    >>> meets_relaxed([(x, 0)], [(x, 1), (y, 1)], 2).status
    'sat'
    >>> meets_relaxed([(x, 0), (y, -1)], [(x, 1), (x * y, 1), (y, 1)], 2).status
    'unsat'
    """
    import time
    t0 = time.perf_counter()
    xs = _variables(nvars)
    solver, linear = _solver_for(list(conds) + list(relaxed))
    for p, s in conds:
        solver.add(_atom(p, s, xs))
    for p, s in relaxed:
        t = to_z3(p, xs)
        solver.add(t == 0 if s == 0 else (t >= 0 if s > 0 else t <= 0))
    return record(stats, t0, linear, _result(timed_check(solver, timeout_ms), solver, xs))
