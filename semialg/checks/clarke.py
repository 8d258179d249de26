"""Exact Clarke Jacobians at a point and on every stratum (theory §5).

For a continuous piecewise-polynomial ``f`` (Scholtes, Prop. 4.3.1)
``Jac^c f(x) = conv{Jac f_C(x) : C full-dimensional, x ∈ closure(C)}``. The
polytope is computed from the *pieces*, never through the chain rule (Clarke
calculus fails: ``relu(x) - relu(-x)`` is ``x``, whose Clarke set is ``{1}``,
not ``[0, 2]``), and reduced to its extreme points by exact LPs
(:func:`semialg.smt.convex_query`, linear real arithmetic over the rationals).

A vertex is a Jacobian: a tuple of ``m`` rows (outputs) of ``n`` Fractions
(inputs); for a scalar function, ``vertex[0]`` is the gradient.

>>> r = clarke_at("abs(x) + abs(y)", [0, 0])
>>> sorted(tuple(str(v) for v in vx[0]) for vx in r.vertices)
[('-1', '-1'), ('-1', '1'), ('1', '-1'), ('1', '1')]
>>> r.contains_zero, r.contains(((Fraction(1, 2), Fraction(-1)),))
(True, True)
>>> clarke_at("relu(x) - relu(-x)", [0]).vertices
(((Fraction(1, 1),),),)
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd
from typing import Sequence

from semialg import smt
from semialg.checks.geometry import in_closure_at
from semialg.checks.lipschitz import NOT_LIPSCHITZ, UNDECIDED, Jump, lipschitz
from semialg.checks.local import reduction_for
from semialg.core.budget import Deadline, TimeLimitReached
from semialg.core.dag import Program
from semialg.core.errors import InputError, SemialgError
from semialg.core.poly import Poly, rank
from semialg.frontends.coerce import as_point, as_program
from semialg.stratification import Options, Stratification, Stratum, exact_sign, point_sympy, stratify

Matrix = tuple[tuple[Fraction, ...], ...]
PolyMatrix = tuple[tuple[Poly, ...], ...]


class NotLipschitzError(SemialgError):
    """The function jumps, so the Clarke formula of theory §5 does not apply; ``jump`` is the exact witness."""

    def __init__(self, message: str, jump: Jump):
        super().__init__(message)
        self.jump = jump


class UndecidedError(SemialgError):
    """A solver query needed for the answer was undecided (timeout, nonlinear case); the message says which."""


@dataclass(frozen=True, repr=False)
class ClarkeResult:
    """The Clarke Jacobian of ``program`` at ``point``: the convex hull of ``vertices``.

    Invariant: ``vertices`` are the extreme points (no duplicates, none inside the
    hull of the others), sorted; each is ``m`` rows of ``n`` exact Fractions.
    ``stratum`` contains the point; ``cells`` are the ids of the full-dimensional
    strata whose closure contains it (whose Jacobians generate the hull).
    """

    vertices: tuple[Matrix, ...]
    stratum: Stratum
    cells: tuple[int, ...]
    point: tuple[Fraction, ...]
    program: Program
    stratification: Stratification
    reduction: object = None   # many inputs: the Reduction whose H the stratum and cells belong to
    ellipsoid: tuple | None = None   # (center, form): {g : (g - c)^T form (g - c) <= 1}, not a polytope (a norm's kink)

    @property
    def n(self) -> int:
        return self.program.n_inputs

    def __repr__(self) -> str:
        return f"<ClarkeResult: {len(self.vertices)} vertices at {tuple(str(v) for v in self.point)} for {self.program.to_text()}>"

    def to_json(self, seconds: float | None = None) -> dict:
        """The JSON object of ``semialg clarke --json``."""
        from semialg.report.clarke import clarke_json
        return clarke_json(self, seconds)

    def to_text(self) -> str:
        """The text ``semialg clarke`` prints.

        >>> print(clarke_at("abs(x)", [0]).to_text().splitlines()[2])
        Clarke Jacobian = conv of 2 vertex gradients:
        """
        from semialg.report.clarke import clarke_text
        return clarke_text(self)

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self) if cycle else self.to_text())

    def _repr_html_(self) -> str:
        from semialg.report import html
        return html(self.to_json())

    @property
    def m(self) -> int:
        return self.program.n_outputs

    def contains(self, matrix) -> bool:
        """Exact membership of a Jacobian (``m`` rows of ``n`` numbers; for a scalar
        function a flat gradient of ``n`` numbers is accepted too) in the hull.

        >>> r = clarke_at("relu(x)", [0])
        >>> r.contains([Fraction(1, 3)]), r.contains([2]), r.contains([[1]])
        (True, False, True)
        """
        flat = _flatten_input(matrix, self.m, self.n)
        if self.ellipsoid is not None:
            center, form = self.ellipsoid
            d = [g - c for g, c in zip(flat, center)]
            return sum((d[i] * form[i][j] * d[j] for i in range(len(d)) for j in range(len(d))), Fraction(0)) <= 1
        vertices = [_flat(v) for v in self.vertices]
        if not all(isinstance(c, Fraction) for v in vertices for c in v):   # algebraic limits (a lifted program)
            if len(vertices) == 1:
                return all(exact_sign(a - b) == 0 for a, b in zip(flat, vertices[0]))
            raise UndecidedError("membership in a hull of algebraic vertices is not computed")
        return in_hull(flat, vertices)

    @property
    def contains_zero(self) -> bool:
        """Is the zero Jacobian in the hull (``x`` is Clarke critical, for a scalar function)?"""
        return self.contains(tuple((Fraction(0),) * self.n for _ in range(self.m)))

    @property
    def gradients(self) -> tuple[tuple[Fraction, ...], ...]:
        """For a scalar function: the vertices as gradient vectors."""
        if self.m != 1:
            raise InputError("gradients is for scalar functions; use vertices (Jacobians) for vector outputs")
        return tuple(v[0] for v in self.vertices)



# --------------------------------------------------------------------------- exact hulls
def _flat(matrix) -> tuple:
    return tuple(v for row in matrix for v in row)


def _flatten_input(matrix, m: int, n: int) -> tuple[Fraction, ...]:
    try:
        rows = [list(r) for r in matrix] if matrix and isinstance(matrix[0], (list, tuple)) else [list(matrix)]
        values = [[Fraction(v) for v in r] for r in rows]
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"expected a {m}x{n} Jacobian of exact numbers, got {matrix!r}") from None
    if len(values) != m or any(len(r) != n for r in values):
        raise InputError(f"expected a Jacobian with {m} row(s) of {n} number(s), got {matrix!r}")
    return tuple(v for r in values for v in r)


def _const(vec: Sequence) -> tuple[Poly, ...]:
    return tuple(Poly.constant(0, v) for v in vec)


def _dot(a, b) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))


def _directions(point, vertices) -> list:
    """Cheap candidate functionals for exact certificates: the axes and ``point - centroid``."""
    d = len(point)
    k = len(vertices)
    centroid = tuple(sum(v[i] for v in vertices) / k for i in range(d))
    dirs = [tuple(point[i] - centroid[i] for i in range(d))]
    for i in range(d):
        e = tuple(Fraction(int(i == j)) for j in range(d))
        dirs += [e, tuple(-c for c in e)]
    return [u for u in dirs if any(u)]


def _cross(o, a, b) -> Fraction:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _hull_2d(pts: Sequence[tuple]) -> list[tuple]:
    """The vertices of the convex hull of sorted, distinct points in the plane, counter-clockwise
    from the least: Andrew's monotone chain with exact cross products (a point on an edge, a
    zero turn, is not a vertex). Every step is exact, so no LP is needed in the plane.

    >>> _hull_2d([(0, 0), (1, 0), (1, 1), (2, 0), (0, 2)])
    [(0, 0), (2, 0), (0, 2)]
    """
    if len(pts) <= 2:
        return list(pts)
    lower: list = []
    for p in pts:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = lower[:-1] + upper[:-1]
    return hull if len(hull) >= 2 else [pts[0], pts[-1]]


def _fractions(vec) -> tuple:
    return tuple(v if type(v) is Fraction else Fraction(v) for v in vec)


def _integers(points: Sequence[tuple]) -> list[tuple[int, int]]:
    """Rational points (Fractions) times the least common denominator of their coordinates: the
    same turns (every cross product is multiplied by its square), in integer arithmetic."""
    den = 1
    for p in points:
        for v in p:
            d = v.denominator
            if d != 1:
                den = den * d // gcd(den, d)
    return [tuple(v.numerator * (den // v.denominator) for v in p) for p in points]


def _extreme_2d(pts: Sequence[tuple]) -> list[tuple]:
    """The extreme points of sorted, distinct rational points in the plane, sorted."""
    back = dict(zip(_integers(pts), pts))
    return sorted(back[q] for q in _hull_2d(sorted(back)))


def _in_hull_2d(point: tuple, vertices: Sequence[tuple]) -> bool:
    """Is ``point`` in the convex hull of ``vertices`` (the plane, exact)?"""
    scaled = _integers([point, *vertices])
    point = scaled[0]
    hull = _hull_2d(sorted(set(scaled[1:])))
    if len(hull) == 1:
        return point == hull[0]
    if len(hull) == 2:   # a segment: collinear, and between the ends
        a, b = hull
        return _cross(a, b, point) == 0 and min(a, b) <= point <= max(a, b)
    return all(_cross(a, b, point) >= 0 for a, b in zip(hull, hull[1:] + hull[:1]))


def in_hull(point: Sequence[Fraction], vertices: Sequence[Sequence[Fraction]], timeout_ms: int = 60_000) -> bool:
    """Exact membership of a rational point in the convex hull of rational points (an exact LP).

    Exact shortcuts first (a vertex; in the plane, the exact hull; a separating functional among
    the axes and ``point - centroid``; a segment), then the LP of :func:`semialg.smt.convex_query`.

    >>> in_hull((Fraction(0), Fraction(0)), [(1, 0), (-1, 1), (-1, -1)])
    True
    >>> in_hull((1, 1), [(1, 0), (-1, 1), (-1, -1)])
    False
    """
    point = _fractions(point)
    vertices = [_fractions(vx) for vx in vertices]
    if not vertices:
        return False
    if point in vertices:
        return True
    if len(vertices) == 1:
        return False
    if len(point) == 1:
        return min(v[0] for v in vertices) <= point[0] <= max(v[0] for v in vertices)
    if len(point) == 2:
        return _in_hull_2d(point, vertices)
    for u in _directions(point, vertices):
        if _dot(u, point) > max(_dot(u, v) for v in vertices):
            return False  # a separating hyperplane: an exact certificate
    if len(vertices) == 2:
        a, b = vertices
        d = tuple(y - x for x, y in zip(a, b))
        t = _dot(tuple(p - x for p, x in zip(point, a)), d) / _dot(d, d)
        return 0 <= t <= 1 and all(x + t * di == p for x, di, p in zip(a, d, point))
    r = smt.convex_query([], 0, members=[(_const(point), [_const(v) for v in vertices])], timeout_ms=timeout_ms)
    if r.status == smt.UNKNOWN:
        raise UndecidedError(f"an exact LP was undecided ({r.reason})")
    return r.status == smt.SAT


def extreme_points(points: Sequence[Sequence[Fraction]]) -> list[tuple[Fraction, ...]]:
    """The extreme points of the convex hull of finitely many rational points, sorted (exact).

    In the plane, the exact monotone-chain hull. Otherwise a point that is the unique maximiser
    of a linear functional is extreme (checked exactly for the axes and ``p - centroid``); the
    others are decided by an LP each.

    >>> extreme_points([(0, 0), (2, 0), (0, 2), (1, 1), (Fraction(1, 2), Fraction(1, 2)), (0, 0)])
    [(Fraction(0, 1), Fraction(0, 1)), (Fraction(0, 1), Fraction(2, 1)), (Fraction(2, 1), Fraction(0, 1))]
    """
    pts = sorted(set(_fractions(p) for p in points))
    if len(pts) <= 2:
        return pts
    if len(pts[0]) == 1:
        return [pts[0], pts[-1]]
    if len(pts[0]) == 2:
        return _extreme_2d(pts)
    base = pts[0]
    if len(pts) <= len(base) + 1 and rank([[a - b for a, b in zip(p, base)] for p in pts[1:]]) == len(pts) - 1:
        return pts  # affinely independent: a simplex, every point is a vertex
    out = []
    for i, p in enumerate(pts):
        others = pts[:i] + pts[i + 1:]
        if any(_dot(u, p) > max(_dot(u, v) for v in others) for u in _directions(p, pts)):
            out.append(p)
        elif not in_hull(p, others):
            out.append(p)
    return out


def _reshape(flat: Sequence, m: int, n: int) -> Matrix:
    return tuple(tuple(flat[k * n:(k + 1) * n]) for k in range(m))


# --------------------------------------------------------------------------- per stratum
def piece_jacobian(stratum: Stratum) -> PolyMatrix:
    """The polynomial Jacobian of the stratum's piece: ``m`` rows of ``n`` polynomials."""
    return tuple(p.gradient() for p in stratum.piece)


def _poly_key(jac: PolyMatrix) -> tuple:
    return tuple(frozenset(p.terms.items()) for row in jac for p in row)


@dataclass(frozen=True)
class StratumClarke:
    """The Clarke Jacobian on a stratum: ``generators`` (polynomial Jacobians of the
    full-dimensional neighbours ``cells``, deduplicated) and ``vertices``, its extreme
    points at the stratum's sample (exact; sympy algebraic numbers at an algebraic sample)."""

    stratum: Stratum
    cells: tuple[int, ...]
    generators: tuple[PolyMatrix, ...]
    vertices: tuple
    reason: str = ""

    def at(self, point: Sequence) -> tuple[Matrix, ...]:
        """The extreme points of the hull at a rational point of the stratum (exact)."""
        point = tuple(Fraction(v) for v in point)
        values = [_flat(tuple(tuple(p.eval(point) for p in row) for row in g)) for g in self.generators]
        m = len(self.stratum.piece)
        return tuple(_reshape(v, m, len(point)) for v in extreme_points(values))


def clarke_generators(strat: Stratification, stratum: Stratum) -> tuple[tuple[int, ...], tuple[PolyMatrix, ...]]:
    """Ids of the full-dimensional strata whose closure contains ``stratum`` (itself if it is
    full-dimensional), and their distinct polynomial Jacobians.

    >>> from semialg.frontends.text import parse
    >>> s = stratify(parse("relu(x)"))
    >>> cells, gens = clarke_generators(s, s.strata[1])
    >>> cells, [str(g[0][0]) for g in gens]
    ((0, 2), ['Poly(0)', 'Poly(1)'])
    """
    n = strat.n
    ids = ([stratum.id] if stratum.dim == n else []) + [c for c in strat.above[stratum.id] if strat.strata[c].dim == n]
    gens: dict[tuple, PolyMatrix] = {}
    for c in ids:
        jac = piece_jacobian(strat.strata[c])
        gens.setdefault(_poly_key(jac), jac)
    return tuple(ids), tuple(gens.values())


def clarke_on_stratum(strat: Stratification, stratum: Stratum, timeout_ms: int = 60_000) -> StratumClarke:
    """The Clarke Jacobian on ``stratum``: its generators and its vertices at the sample.

    >>> from semialg.frontends.text import parse
    >>> s = stratify(parse("max(x, y, -x - y)"))
    >>> origin = [t for t in s.strata if t.dim == 0][0]
    >>> c = clarke_on_stratum(s, origin)
    >>> len(c.vertices), in_hull((0, 0), [vx[0] for vx in c.vertices])
    (3, True)
    """
    cells, gens = clarke_generators(strat, stratum)
    m, n = len(stratum.piece), strat.n
    if not gens:
        return StratumClarke(stratum, cells, gens, (), "no full-dimensional cell contains this stratum in its closure")
    vertices, reason = hull_vertices_at([_flat(g) for g in gens], stratum.sample, m, n, timeout_ms)
    return StratumClarke(stratum, cells, gens, vertices, reason)


def _same_at(flat, other, val, val_other, point, timeout_ms: int) -> bool:
    """Do two generators take the same value at an algebraic point? Signs of their differences
    from z3's pinned model of the point (fast); sympy's exact arithmetic when z3 cannot say."""
    diffs = [p - q for p, q in zip(flat, other) if not (p - q).is_zero]
    if not diffs:
        return True
    signs = smt.exact_signs(point, diffs, timeout_ms)
    if signs is not None:
        return all(v == 0 for v in signs)
    return all(exact_sign(a - b) == 0 for a, b in zip(val, val_other))


def hull_vertices_at(generators: Sequence[Sequence[Poly]], point: Sequence, m: int, n: int,
                     timeout_ms: int = 60_000) -> tuple[tuple, str]:
    """Extreme points of ``conv{g(point)}`` for flat polynomial vectors ``g`` (``m*n`` entries),
    reshaped to ``m x n``; ``point`` rational (exact LPs) or algebraic (sympy numbers, pinned
    LPs). Returns ``(vertices, reason)``; ``reason`` is nonempty when an LP was undecided
    (the undecided points are kept, so the hull is still right)."""
    if all(isinstance(v, (Fraction, int)) for v in point):
        pt = tuple(Fraction(v) for v in point)
        values = [tuple(p.eval(pt) for p in g) for g in generators]
        return tuple(_reshape(v, m, n) for v in extreme_points(values)), ""
    sym = point_sympy(point)
    values, kept = [], []
    for flat in generators:
        val = tuple(p.eval(sym) for p in flat)
        if any(_same_at(flat, other, val, v_other, point, timeout_ms) for other, v_other in zip(kept, values)):
            continue
        values.append(val)
        kept.append(tuple(flat))
    out, reason = [], ""
    for i, flat in enumerate(kept):
        others = kept[:i] + kept[i + 1:]
        r = smt.convex_query([], n, members=[(flat, others)], at=point, timeout_ms=timeout_ms) if others else None
        if r is None or r.status != smt.SAT:
            out.append(values[i])
        if r is not None and r.status == smt.UNKNOWN:
            reason = f"extreme points at an algebraic point undecided ({r.reason}); redundant points may be listed"
    return tuple(_reshape(v, m, n) for v in out), reason


# --------------------------------------------------------------------------- at a point
def require_lipschitz(program: Program, strat: Stratification | None, timeout_ms: int) -> None:
    """Raise :class:`NotLipschitzError` (with the jump) or :class:`UndecidedError` unless ``program`` is continuous."""
    from semialg.rules import fmt_exact
    lip = lipschitz(program, strat, timeout_ms)
    if lip.status == NOT_LIPSCHITZ:
        j = lip.witness
        fmt = lambda p: "(" + ", ".join(fmt_exact(v) for v in p) + ")"
        raise NotLipschitzError(f"the function is not locally Lipschitz, so it has no Clarke Jacobian formula: it jumps "
                                f"at {fmt(j.point)}, where its value is {fmt(j.value)} but its limit from stratum "
                                f"{j.neighbour} is {fmt(j.limit)}", j)
    if lip.status == UNDECIDED:
        raise UndecidedError(f"could not decide whether the function is locally Lipschitz: {lip.reason}")


def clarke_at(program, point, *, stratification: Stratification | None = None, timeout: float = 60.0,
              variables=None, domain: str | None = None, check_lipschitz: bool = True,
              time_limit: float | None = None, data=None) -> ClarkeResult:
    """The exact Clarke Jacobian of ``program`` at a rational ``point`` (coordinates in the
    order of ``program.inputs``; Fractions, ints, strings such as ``"1/2"``).

    ``program``: text, a :class:`Program`, a builder expression or sympy; ``point``: a dict, a
    sequence or ``"x=0,y=1/2"``. ``stratification``: reuse one already
    computed for this program (many points). ``domain``: a condition such as
    ``"x**2 + y**2 <= 4"`` (a point outside it is an input error). ``check_lipschitz=False``
    skips the continuity check (for callers that already ran it on this program). Raises :class:`NotLipschitzError` if the
    function jumps, :class:`UndecidedError` if a solver query was undecided,
    :class:`~semialg.core.errors.InputError` for a malformed point. ``time_limit``: seconds for
    the whole computation (None: none); when it runs out, :class:`UndecidedError` says in which
    phase and how far it got. ``data`` (with ``variables`` the parameters): the Clarke Jacobian
    of the mean over the data points, in the parameters (see :func:`~semialg.frontends.data.bind_data`).

    >>> r = clarke_at("max(x, y, -x - y)", [0, 0])
    >>> len(r.vertices), r.contains_zero, r.stratum.dim, len(r.cells)
    (3, True, 0, 3)
    >>> [[[str(v) for v in row] for row in vx] for vx in clarke_at("max(x, y), min(x, y)", [1, 1]).vertices]
    [[['0', '1'], ['1', '0']], [['1', '0'], ['0', '1']]]
    """
    program = as_program(program, variables, data)
    from semialg.frontends.lift import needs_lifting
    if needs_lifting(program) and domain is None:   # roots, quotients, norms: semialg.checks.lifted_clarke
        return _lifted_clarke_at(program, as_point(point, program.inputs), int(timeout * 1000), stratification)
    from semialg.frontends.domains import Plane, Segment
    if isinstance(domain, (Segment, Plane)):
        kind = type(domain).__name__.lower()
        raise InputError(f"clarke_at takes domain= a Box or a condition, not a {kind}: restrict the program first "
                         f"(semialg.frontends.restrict.restrict(program, {kind})) and give the point in the restricted "
                         f"coordinates ({', '.join(domain.parameter_names)}) with the restricted program")
    pt = as_point(point, program.inputs)
    timeout_ms = int(timeout * 1000)
    deadline = Deadline.of(time_limit)
    reduction = reduction_for(program, pt) if stratification is None and domain is None else None
    if reduction is not None and reduction.dim < program.n_inputs:
        # f = g0.(x - c) + H(B (x - c)): Jac^c f(c) = g0 + Jac^c H(0) B (Clarke's chain rule, B onto R^m)
        if reduction.dim == 0:   # no kink near the point: f is affine there (H constant, on a dummy variable)
            inner = clarke_at(Program(("s1",), reduction.program.outputs), (Fraction(0),), check_lipschitz=False)
            mapped = [reduction.gradient_of([()] * len(reduction.linear))]
        else:
            inner = clarke_at(reduction.program, (Fraction(0),) * reduction.dim, timeout=timeout,
                              time_limit=time_limit, check_lipschitz=False)
            mapped = sorted(dict.fromkeys(reduction.gradient_of([list(row) for row in v]) for v in inner.vertices))
        return ClarkeResult(tuple(mapped), inner.stratum, inner.cells, pt, program, inner.stratification, reduction)
    if stratification is None:
        from semialg.checks.conservative import _domain
        try:
            stratification = stratify(program, Options(timeout_ms=timeout_ms, domain=_domain(domain, program),
                                                       prune_domain=False, deadline=deadline))
        except TimeLimitReached as exc:
            raise UndecidedError(str(exc)) from None
    strat = stratification
    if check_lipschitz:
        require_lipschitz(program, strat, timeout_ms)
    stratum = strat.locate(pt)
    if strat.in_domain is not None and not strat.in_domain[stratum.id]:
        raise InputError(f"the point {tuple(pt)} is outside the domain")
    m, n = program.n_outputs, program.n_inputs
    if stratum.dim == n:
        cells = [stratum.id]
    else:
        cells = []
        full = strat.full_dimensional()
        for k, c in enumerate(full):
            try:
                deadline.check("clarke", k, len(full), unit="full-dimensional cells")
            except TimeLimitReached as exc:
                raise UndecidedError(str(exc)) from None
            inside = in_closure_at(pt, c, deadline.query_ms(timeout_ms))
            if inside is None:
                raise UndecidedError(f"whether {pt} lies in the closure of stratum {c.id} was undecided")
            if inside:
                cells.append(c.id)
    if not cells:
        raise UndecidedError("no full-dimensional cell contains the point in its closure (is the domain thin here?)")
    values = [_flat(tuple(tuple(p.eval(pt) for p in row) for row in piece_jacobian(strat.strata[c]))) for c in cells]
    vertices = tuple(_reshape(v, m, n) for v in extreme_points(values))
    return ClarkeResult(vertices, stratum, tuple(sorted(cells)), pt, program, strat)


def _lifted_clarke_at(program: Program, pt, timeout_ms: int, strat) -> ClarkeResult:
    """:func:`clarke_at` for a program with roots, quotients or norms: locally Lipschitz first (continuity,
    then bounded slopes), then the gradient limits of :func:`~semialg.checks.lifted_clarke.limits_at`."""
    from semialg.checks.lifted import NOT_LIPSCHITZ as UNBOUNDED, UNDECIDED as UNSURE, slopes
    from semialg.checks.lifted_clarke import LimitsUndecided, limits_at
    from semialg.rules import fmt_exact
    strat = strat or stratify(program, timeout_ms=timeout_ms)
    require_lipschitz(program, strat, timeout_ms)
    bound = slopes(strat, timeout_ms)
    if bound.status == UNBOUNDED:
        w = bound.witness
        raise NotLipschitzError(f"the function is not locally Lipschitz, so it has no Clarke Jacobian: its slope is "
                                f"unbounded at ({', '.join(fmt_exact(v) for v in w.point)}) along "
                                f"({', '.join(fmt_exact(v) for v in w.direction)})", w)
    if bound.status == UNSURE:
        raise UndecidedError(f"could not decide whether the function is locally Lipschitz: {bound.reason}")
    try:
        stratum, cells, values, ellipsoid = limits_at(strat, program, pt)
    except LimitsUndecided as exc:
        raise UndecidedError(str(exc)) from None
    if ellipsoid is not None:
        return ClarkeResult((), stratum, cells, pt, program, strat, ellipsoid=ellipsoid)
    if all(isinstance(v, Fraction) for vec in values for v in vec):
        values = extreme_points(values)
    return ClarkeResult(tuple((tuple(v),) for v in values), stratum, cells, pt, program, strat)
