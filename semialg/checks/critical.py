"""Critical sets, artificial critical points and spurious values of a derivative rule (theory §6).

On every stratum ``S`` the rule gives finitely many polynomial vertices ``v_i``
(``D(x) = conv{v_i(x)}``) and the Clarke Jacobian is ``conv{g_j(x)}`` over the
full-dimensional neighbours (:mod:`.clarke`). Four subsets of ``S`` are decided
exactly, each by one query of :func:`semialg.smt.convex_query` (Farkas form, no
sampling):

- ``D``-critical: ``0 ∈ conv{v_i(x)}``;
- Clarke critical: ``0 ∈ conv{g_j(x)}``;
- artificial critical: ``0 ∈ conv{v_i(x)}`` and ``∃w: <w, g_j(x)> > 0`` for all ``j``;
- spurious: some ``v_i(x) ∉ conv{g_j(x)}`` (``∃w: <w, v_i(x) - g_j(x)> > 0`` for all ``j``).

A nonempty set is reported as the stratum plus extra equations, an exact
sample (re-checked), and whether it is the whole stratum (decided by the
negation being unsat). Queries are first answered at the stratum's sample by
exact LPs; when every vertex is constant on ``S`` that decides the whole stratum
with no solver call on ``x``.

>>> r = critical("x - (relu(-x) - relu(x) + x)", rule="pytorch")   # the identity
>>> [(a.stratum.id, a.sample, a.whole_stratum) for a in r.artificial], r.exit_code
([(1, (Fraction(0, 1),), True)], 1)
>>> r = critical("x - (max(-x, 0) - max(x, 0) + x)", rule="jax")
>>> r.artificial, r.exit_code
((), 0)
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Callable, Sequence

from semialg import smt
from semialg.checks import VerdictResult, with_total
from semialg.checks.clarke import StratumClarke, _flat, clarke_on_stratum, hull_vertices_at, in_hull
from semialg.checks.geometry import YES, restrict, vanishes_on
from semialg.checks.lipschitz import NOT_LIPSCHITZ, Jump, lipschitz
from semialg.core.budget import Deadline, TimeLimitReached
from semialg.core.dag import Program
from semialg.core.poly import Poly
from semialg.frontends.domains import Box
from semialg.rules import Rule, field_polys, resolve_rule
from semialg.stratification import Options, Stratification, Stratum, point_sympy, stratify
from semialg.stratification.in_box import in_box

NONE, ARTIFICIAL, NOT_LIPSCHITZ_V, UNKNOWN_V = "no_artificial_critical_points", "artificial_critical_points", "not_lipschitz", "unknown"
EXIT = {NONE: 0, ARTIFICIAL: 1, NOT_LIPSCHITZ_V: 1, UNKNOWN_V: 3}
MAX_JACOBIANS = 256
Vector = tuple[Poly, ...]


@dataclass(frozen=True, repr=False)
class PointSet:
    """A nonempty subset of a stratum: ``{x ∈ stratum : equations(x) = 0, ...}``.

    ``sample`` is an exact point of the set (re-checked); ``whole_stratum`` is
    True / False / None (undecided); ``equations`` are extra polynomial equations
    cutting it out of the stratum when the set is the zero set of one vertex
    (empty when it is the whole stratum or not such a zero set). ``field`` and
    ``clarke`` are the rule's vertices and the Clarke vertices at ``sample``
    (for spurious values, ``field`` holds only the vertices outside the Clarke set).
    ``condition`` describes the set inside the stratum exactly (empty for the whole
    stratum), e.g. ``"2*y = 0 and 0 ∉ Jac^c f(x)"``.
    """

    kind: str
    stratum: Stratum
    sample: tuple
    whole_stratum: bool | None
    equations: tuple[Poly, ...] = ()
    field: tuple = ()
    clarke: tuple = ()
    reason: str = ""
    condition: str = ""

    def __repr__(self) -> str:
        names = list(self.stratum.names)
        extra = " and ".join(f"{e.to_str(names)} = 0" for e in self.equations) or self.condition
        where = f" where {extra}" if extra else ""
        return (f"<PointSet {self.kind} on stratum {self.stratum.id}{where}: "
                f"sample ({', '.join(str(v) for v in self.sample)}), whole stratum: {self.whole_stratum}>")


@dataclass(frozen=True, repr=False)
class CriticalResult(VerdictResult):
    """What :func:`critical` found: the four families of sets, per-stratum Clarke Jacobians, unknowns."""

    EXIT = EXIT

    verdict: str
    reason: str
    program: Program
    rule: Rule
    stratification: Stratification | None
    clarke: tuple[StratumClarke, ...] = ()
    d_critical: tuple[PointSet, ...] = ()
    clarke_critical: tuple[PointSet, ...] = ()
    artificial: tuple[PointSet, ...] = ()
    spurious: tuple[PointSet, ...] = ()
    unknowns: tuple[str, ...] = ()
    jump: Jump | None = None
    timings: dict = field(default_factory=dict)
    domain: object = None    # a Box, or the Restriction to a Segment/Plane (domain=); None otherwise

    def to_json(self) -> dict:
        """The JSON object of ``semialg critical --json``."""
        from semialg.report.critical import critical_json
        return critical_json(self)

    def to_text(self) -> str:
        """The text ``semialg critical`` prints."""
        from semialg.report.critical import critical_text
        return critical_text(self)



# --------------------------------------------------------------------------- one exact decision
@dataclass(frozen=True)
class _Decision:
    status: str                 # yes (nonempty) / no (empty) / unknown
    point: tuple | None = None
    whole: bool | None = None
    reason: str = ""


def _constant_on(stratum: Stratum, vectors: Sequence[Vector]) -> dict | None:
    """Map each polynomial to its constant value when every one is constant on the stratum, else None."""
    values = {}
    for p in {q for v in vectors for q in v}:
        if p.is_const:
            values[p] = p.const_value
        elif stratum.rational and stratum.linear and restrict(p, stratum).is_const:
            values[p] = p.eval(stratum.sample)
        else:
            return None
    return values


def _holds_at(point: tuple, members, separations) -> bool:
    """The property at a rational point, by exact LPs."""
    ev = lambda v: tuple(p.eval(point) for p in v)
    for p, hull in members:
        if not in_hull(ev(p), [ev(h) for h in hull]):
            return False
    for group in separations:
        if group and in_hull(tuple(Fraction(0) for _ in group[0]), [ev(g) for g in group]):
            return False
    return True


def _recheck(stratum: Stratum, point: tuple, members, separations, timeout_ms: int) -> bool:
    if all(isinstance(v, Fraction) for v in point):
        return stratum.contains(point) and _holds_at(point, members, separations)
    if not stratum.contains(point_sympy(point)):
        return False
    return smt.convex_query([], len(point), members, separations, at=point, timeout_ms=timeout_ms).status == smt.SAT


def decide(stratum: Stratum, members, separations, timeout_ms: int = 10_000, whole: bool = True) -> _Decision:
    """Is ``{x ∈ S : every member p(x) ∈ conv H(x), every separation 0 ∉ conv G(x)}`` nonempty,
    with an exact point, and is it the whole stratum? (theory §6, Farkas form)"""
    n = len(stratum.sample)
    vectors = [v for p, hull in members for v in [p, *hull]] + [g for group in separations for g in group]
    consts = _constant_on(stratum, vectors)
    point = None
    if stratum.rational:
        if _holds_at(tuple(stratum.sample), members, separations):
            point = tuple(stratum.sample)
        elif consts is not None:
            return _Decision("no")
    if point is None:
        r = smt.convex_query(stratum.conditions, n, members, separations, timeout_ms=timeout_ms)
        if r.status == smt.UNSAT:
            return _Decision("no")
        if r.status == smt.UNKNOWN:
            return _Decision("unknown", reason=r.reason)
        point = r.point
        if not _recheck(stratum, point, members, separations, timeout_ms):
            return _Decision("unknown", reason="the solver's point could not be re-checked exactly")
    if consts is not None:
        return _Decision("yes", point, True)
    if not whole:
        return _Decision("yes", point, None)
    # the negation: some member leaves its hull, or some separated set reaches 0
    zero = lambda d: tuple(Poly.constant(n, 0) for _ in range(d))
    disjuncts = [([], [[tuple(a - b for a, b in zip(p, h)) for h in hull]]) for p, hull in members]
    disjuncts += [([(zero(len(group[0])), list(group))], []) for group in separations if group]
    reasons = []
    for mem, sep in disjuncts:
        r = smt.convex_query(stratum.conditions, n, mem, sep, timeout_ms=timeout_ms)
        if r.status == smt.SAT:
            return _Decision("yes", point, False)
        if r.status == smt.UNKNOWN:
            reasons.append(r.reason)
    return _Decision("yes", point, None if reasons else True, "; ".join(reasons))


# --------------------------------------------------------------------------- per stratum
def _flat_jacobians(per_output: Sequence[Sequence[Vector]]) -> list[Vector]:
    """The rule's Jacobian vertices (one row per output, every combination), flattened."""
    if len(per_output) == 1:
        return [tuple(v) for v in per_output[0]]
    combos = itertools.islice(itertools.product(*per_output), MAX_JACOBIANS + 1)
    out = [tuple(p for row in combo for p in row) for combo in combos]
    if len(out) > MAX_JACOBIANS:
        raise OverflowError(f"more than {MAX_JACOBIANS} Jacobian vertices on a stratum")
    return out


def _key(v: Vector) -> tuple:
    return tuple(frozenset(p.terms.items()) for p in v)


def _values_at(vectors: Sequence[Vector], point: tuple, m: int, n: int) -> tuple:
    pt = point if all(isinstance(v, Fraction) for v in point) else point_sympy(point)
    out = []
    for v in vectors:
        flat = tuple(p.eval(pt) for p in v)
        out.append(tuple(tuple(flat[k * n:(k + 1) * n]) for k in range(m)))
    return tuple(out)


def _equations(stratum: Stratum, v: Vector, timeout_ms: int) -> tuple[Poly, ...]:
    """The components of a single vertex that do not vanish on the whole stratum."""
    eqs = []
    for p in dict.fromkeys(v):
        if p.is_zero:
            continue
        if not (p.is_const or vanishes_on(stratum, p, timeout_ms).status == YES):
            eqs.append(p)
    return tuple(eqs)


def analyze_stratum(strat: Stratification, stratum: Stratum, vertices: Sequence[Vector], sc: StratumClarke,
                    timeout_ms: int = 10_000) -> tuple[dict[str, PointSet], list[str]]:
    """The four sets on one stratum: ``{kind: PointSet}`` for the nonempty ones, and unknown reasons.

    ``vertices``: the rule's flattened Jacobian vertices on the stratum; ``sc``: its Clarke Jacobian.
    """
    n, m = strat.n, len(stratum.piece)
    G = [tuple(p for row in g for p in row) for g in sc.generators]
    V = list({_key(v): v for v in vertices}.values())
    found: dict[str, PointSet] = {}
    unknowns: list[str] = []
    where = f"stratum {stratum.id}"
    if not G:
        return found, [f"{where}: {sc.reason or 'no Clarke generators'}"]

    def record(kind, d: _Decision, eq_vertex=None, base: str = "", extra: str = ""):
        if d.status == "unknown":
            unknowns.append(f"{where}: {kind.replace('_', ' ')} undecided ({d.reason})")
            return
        if d.status != "yes":
            return
        eqs = _equations(stratum, eq_vertex, timeout_ms) if eq_vertex is not None and d.whole is not True else ()
        if tuple(d.point) == tuple(stratum.sample):
            clarke_v, reason = sc.vertices, sc.reason
        else:
            clarke_v, reason = hull_vertices_at(G, d.point, m, n, timeout_ms)
        fv = _values_at(V, d.point, m, n)
        parts = [", ".join(f"{e.to_str(stratum.names)} = 0" for e in eqs)] if eqs else ([base] if base else [])
        condition = "" if d.whole is True else " and ".join(parts + ([extra] if extra else []))
        found[kind] = PointSet(kind, stratum, tuple(d.point), d.whole, eqs, fv, clarke_v, d.reason or reason, condition)
        if d.whole is None:
            unknowns.append(f"{where}: whether the {kind.replace('_', ' ')} set is the whole stratum is undecided ({d.reason})")

    zero = tuple(Poly.constant(n, 0) for _ in range(n))
    sub = {_key(v) for v in V} <= {_key(g) for g in G}   # conv D ⊂ Clarke: nothing artificial or spurious
    if m == 1:
        dc = decide(stratum, [(zero, V)], [], timeout_ms)
        record("d_critical", dc, V[0] if len(V) == 1 else None, "0 ∈ conv D(x)")
        cc = decide(stratum, [(zero, G)], [], timeout_ms)
        record("clarke_critical", cc, G[0] if len(G) == 1 else None, "0 ∈ Jac^c f(x)")
        if not sub and dc.status != "no" and not (cc.status == "yes" and cc.whole):
            record("artificial", decide(stratum, [(zero, V)], [G], timeout_ms),
                   V[0] if len(V) == 1 and dc.whole is not True else None,
                   "0 ∈ conv D(x)" if dc.whole is not True else "", "" if cc.status == "no" else "0 ∉ Jac^c f(x)")
    if not sub:
        _spurious(stratum, V, G, m, n, timeout_ms, found, unknowns)
    return found, unknowns


def _spurious(stratum, V, G, m, n, timeout_ms, found, unknowns) -> None:
    """Some vertex ``v(x) ∉ conv{g_j(x)}``: one query per vertex until one is sat; whole stratum
    when ``∃x: every v(x) ∈ conv G(x)`` is unsat."""
    reasons = []
    for v in V:
        d = decide(stratum, [], [[tuple(a - b for a, b in zip(v, g)) for g in G]], timeout_ms, whole=False)
        if d.status == "unknown":
            reasons.append(d.reason)
            continue
        if d.status != "yes":
            continue
        point = d.point
        outside = [u for u in V if _recheck(stratum, point, [], [[tuple(a - b for a, b in zip(u, g)) for g in G]], timeout_ms)]
        consts = _constant_on(stratum, V + G)
        if consts is not None:
            whole, why = True, ""
        else:
            r = smt.convex_query(stratum.conditions, n, [(u, G) for u in V], [], timeout_ms=timeout_ms)
            whole = {smt.SAT: False, smt.UNSAT: True}.get(r.status)
            why = r.reason
        clarke_v, reason = hull_vertices_at(G, point, m, n, timeout_ms)
        found["spurious"] = PointSet("spurious", stratum, tuple(point), whole, (), _values_at(outside or [v], point, m, n),
                                     clarke_v, why or reason, "" if whole else "D(x) ⊄ Jac^c f(x)")
        if whole is None:
            unknowns.append(f"stratum {stratum.id}: whether every point has a spurious value is undecided ({why})")
        return
    if reasons:
        unknowns.append(f"stratum {stratum.id}: spurious values undecided ({'; '.join(reasons)})")


# --------------------------------------------------------------------------- whole program
def analyze(strat: Stratification, rule: Rule, timeout_ms: int = 10_000, fields: dict | None = None,
            progress: Callable[..., None] | None = None, deadline: Deadline | None = None) -> dict:
    """Every stratum's Clarke Jacobian and the four families of sets, for a continuous program.

    ``progress(stage, done, seconds, total)`` about once a second; ``deadline`` (a
    :class:`~semialg.core.budget.Deadline`): checked on every stratum (raises
    :class:`~semialg.core.budget.TimeLimitReached`), each query limited to the time remaining.

    Returns a dict with keys ``clarke`` (tuple of :class:`StratumClarke`, by stratum id),
    ``d_critical``, ``clarke_critical``, ``artificial``, ``spurious`` (tuples of
    :class:`PointSet`) and ``unknowns``. ``fields``: precomputed ``field_polys`` by stratum id.
    """
    out = {k: [] for k in ("clarke", "d_critical", "clarke_critical", "artificial", "spurious", "unknowns")}
    t0 = last = time.perf_counter()
    asked = {s.id for s in strat.asked()}
    deadline = deadline or Deadline(None)
    total = len(strat.strata)
    for s in strat.strata:
        deadline.check("critical", s.id, total, unit="strata")
        if progress is not None and time.perf_counter() - last > 1.0:
            last = time.perf_counter()
            progress("critical", s.id, last - t0, total)
        timeout_ms_here = deadline.query_ms(timeout_ms)
        if strat.program.lifting is not None:   # roots, quotients, norms
            sc, found, unknowns = _lifted_stratum(strat, s, rule, fields, s.id in asked, timeout_ms_here)
            out["clarke"].append(sc)
            out["unknowns"].extend(unknowns)
            for kind, ps in found.items():
                out[kind].append(ps)
            continue
        sc = clarke_on_stratum(strat, s, timeout_ms_here)
        out["clarke"].append(sc)
        if s.id not in asked:   # outside the domain: its Clarke set is listed, no question is asked there
            continue
        if sc.reason:
            out["unknowns"].append(f"stratum {s.id}: {sc.reason}")
        try:
            per_output = fields[s.id] if fields is not None and s.id in fields else field_polys(strat, s, rule)
            if not per_output:
                raise OverflowError("no field vertices")
            vertices = _flat_jacobians(per_output)
        except OverflowError as exc:
            out["unknowns"].append(f"stratum {s.id}: {exc}")
            continue
        found, unknowns = analyze_stratum(strat, s, vertices, sc, timeout_ms_here)
        out["unknowns"].extend(unknowns)
        for kind, ps in found.items():
            out[kind].append(ps)
    return {k: tuple(v) for k, v in out.items()}


def _lifted_stratum(strat: Stratification, s: Stratum, rule: Rule, fields, asked: bool, timeout_ms: int):
    """:func:`analyze_stratum` on a stratum of a lifted program: the Clarke generators are the open
    strata's gradients in the user's variables, and every question is asked on the stratum with the
    reciprocal relations its polynomials need (:func:`~semialg.checks.lifted_clarke.stratum_generators`)."""
    from semialg.checks.lifted_clarke import stratum_generators
    from semialg.core.primitives.semialgebraic import NonFinite
    per_output = fields[s.id] if fields is not None and s.id in fields else field_polys(strat, s, rule)
    vertices = _flat_jacobians(per_output) if per_output else []
    cells, gens, asked_on, reason = stratum_generators(strat, s, vertices if all(
        not isinstance(c, NonFinite) for v in vertices for c in v) else [])
    if asked_on is None:
        if asked and _inside_norm_ellipsoid(strat, s, vertices):
            return StratumClarke(s, cells, (), (), reason), {}, []
        return StratumClarke(s, cells, (), (), reason), {}, ([f"stratum {s.id}: {reason}"] if asked else [])
    m, n = len(s.piece), strat.n
    vertices_at, why = hull_vertices_at([_flat(g) for g in gens], asked_on.sample, m, n, timeout_ms) if gens else ((), "")
    sc = StratumClarke(asked_on, cells, gens, vertices_at, why)
    if not asked:
        return sc, {}, []
    if not vertices or any(isinstance(c, NonFinite) for v in vertices for c in v):
        return sc, {}, [f"stratum {s.id}: the rule's value is not finite here (no critical-point question)"]
    found, unknowns = analyze_stratum(strat, asked_on, vertices, sc, timeout_ms)
    k = strat.program.lifting.n_user   # report the sets in the user's coordinates
    cut = lambda vs: tuple(tuple(tuple(row[:k]) for row in v) for v in vs)
    found = {kind: replace(ps, sample=tuple(ps.sample[:k]), field=cut(ps.field), clarke=cut(ps.clarke))
             for kind, ps in found.items()}
    return sc, found, unknowns


def _inside_norm_ellipsoid(strat: Stratification, s: Stratum, vertices) -> bool:
    """On a point stratum of ``norm(A (x - x0)) + p``: the Clarke set is an ellipsoid containing 0
    (so nothing there is artificial); True when it contains every (finite) vertex of the rule too."""
    from semialg.checks.lifted_clarke import _norm_ellipsoid
    from semialg.core.primitives.semialgebraic import NonFinite
    lifting = strat.program.lifting
    point = lifting.user_point(s.sample)
    if s.dim != 0 or not all(isinstance(v, Fraction) for v in point) or not vertices:
        return False
    ellipsoid = _norm_ellipsoid(lifting.user_program, point)
    if ellipsoid is None:
        return False
    center, form = ellipsoid
    n = lifting.n_user
    for v in vertices:
        if any(isinstance(c, NonFinite) for c in v):
            return False
        d = [p.eval(s.sample) - c for p, c in zip(v[:n], center)]
        if sum((d[i] * form[i][j] * d[j] for i in range(n) for j in range(n)), Fraction(0)) > 1 or \
                sum((c * form[i][j] * center[j] for i, c in enumerate(center) for j in range(n)), Fraction(0)) > 1:
            return False
    return True


def for_check(result, timeout: float = 60.0, deadline: Deadline | None = None) -> dict | None:
    """:func:`analyze` for a :class:`~semialg.checks.conservative.CheckResult`, reusing its fields;
    None when the function is not Lipschitz or was not stratified (no Clarke sets then), or when
    ``deadline`` (the check's :class:`~semialg.core.budget.Deadline`) runs out first.

    >>> from semialg.checks.conservative import check
    >>> sets = for_check(check("relu(-x) - relu(x) + x"))
    >>> [ps.stratum.id for ps in sets["spurious"]], sets["artificial"]
    ([1], ())
    """
    if result.stratification is None or result.verdict == NOT_LIPSCHITZ_V:
        return None
    t0 = time.perf_counter()
    fields = {rep.stratum.id: [list(v) for v in rep.field] for rep in result.strata if rep.field}
    if deadline is not None and deadline.expired():
        return None
    try:
        sets = analyze(result.stratification, result.rule, int(timeout * 1000), fields=fields, deadline=deadline)
    except TimeLimitReached:
        return None
    sets["seconds"] = time.perf_counter() - t0
    return sets


def critical(function, variables=None, rule: str | Rule | None = None, overrides: Sequence[str] = (), field=None,
             domain=None, timeout: float = 60.0,
             progress: Callable[..., None] | None = None, time_limit: float | None = None,
             data=None) -> CriticalResult:
    """Artificial critical points and spurious values of ``rule`` (or a hand-written ``field``) for ``function``.

    Arguments as for :func:`semialg.checks.conservative.check` (``data`` with ``variables`` the
    parameters: the mean over the data points is analysed; ``domain`` may be a Box, Segment or
    Plane: on a segment or plane the sets are those of the restricted function ``t -> f(x(t))``,
    in its coordinates, with ``original`` points in the JSON). The verdict is
    ``artificial_critical_points`` (exit 1) when some stratum has a point with
    ``0 ∈ conv D(x)`` but ``0 ∉ Jac^c f(x)``, ``no_artificial_critical_points`` (exit 0)
    when every query is unsat, ``not_lipschitz`` (exit 1) or ``unknown`` (exit 3); ``time_limit``
    (seconds for the whole analysis) or Ctrl-C gives ``unknown`` with the phase and the strata done.

    >>> r = critical("relu(-x) - relu(x) + x", rule="pytorch")   # zero, with backprop value 1 at 0
    >>> [(s.stratum.id, s.sample, s.field, s.clarke) for s in r.spurious]
    [(1, (Fraction(0, 1),), (((Fraction(1, 1),),),), (((Fraction(0, 1),),),))]
    """
    from semialg.checks.conservative import _domain, _field_program, _localize
    from semialg.frontends.coerce import as_program
    t0 = time.perf_counter()
    progress = with_total(progress)
    deadline = Deadline.of(time_limit)
    program = as_program(function, variables, data)
    field_program = _field_program(field, program)
    rule_obj = resolve_rule(rule, overrides, field_program, program)
    program, rule_obj, domain, local = _localize(program, rule_obj, domain)
    timeout_ms = int(timeout * 1000)
    extra = tuple(rule_obj.field.outputs) if rule_obj.field is not None else ()
    sprog = (lambda k, s: progress("stratify", k, s, None)) if progress else None
    options = Options(timeout_ms=timeout_ms, domain=_domain(domain, program), extra_roots=extra, progress=sprog,
                      prune_domain=False, deadline=deadline)
    t1 = time.perf_counter()
    strat = None
    timings = {"parse": t1 - t0}
    try:
        strat = stratify(program, options)
        if isinstance(local, Box):
            strat = in_box(strat, local, timeout_ms, deadline)
        t2 = time.perf_counter()
        timings["stratify"] = t2 - t1
        deadline.check("continuity", len(strat.strata) if strat is not None else None, unit="strata")
        lip = lipschitz(program, strat, timeout_ms, options)
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        return _stopped(exc, deadline, program, rule_obj, strat, timings, local)
    if lip.status == NOT_LIPSCHITZ:
        from semialg.checks.conservative import _fmt_point, _fmt_vec
        j = lip.witness
        reason = (f"the function jumps at {_fmt_point(j.point)}: its value is {_fmt_vec(j.value)} but its limit "
                  f"from stratum {j.neighbour} is {_fmt_vec(j.limit)}; Clarke Jacobians need a locally Lipschitz function")
        timings["critical"] = time.perf_counter() - t2
        return CriticalResult(NOT_LIPSCHITZ_V, reason, program, rule_obj, strat, jump=j, timings=timings, domain=local)
    if strat.program.lifting is not None and lip.status == "lipschitz":   # a root may make the slope unbounded
        from semialg.checks.lifted import lifted_slopes
        lip = lifted_slopes(lip, strat, timeout_ms)
        if lip.status == NOT_LIPSCHITZ:
            w = lip.witness
            from semialg.checks.conservative import _fmt_point
            reason = (f"the slope is unbounded at {_fmt_point(w.point)} along {_fmt_point(w.direction)}; Clarke "
                      "Jacobians need a locally Lipschitz function")
            timings["critical"] = time.perf_counter() - t2
            return CriticalResult(NOT_LIPSCHITZ_V, reason, program, rule_obj, strat, timings=timings, domain=local)
    try:
        sets = analyze(strat, rule_obj, timeout_ms, progress=progress, deadline=deadline)
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        timings["critical"] = time.perf_counter() - t2
        return _stopped(exc, deadline, program, rule_obj, strat, timings, local)
    timings["critical"] = time.perf_counter() - t2
    unknowns = tuple(dict.fromkeys(list(sets["unknowns"]) + ([lip.reason] if lip.status != "lipschitz" else [])
                                   + list(strat.reasons)))
    kw = {k: sets[k] for k in ("clarke", "d_critical", "clarke_critical", "artificial", "spurious")}
    if program.n_outputs != 1:
        unknowns_note = "critical points are defined for scalar functions; only spurious values are reported"
    else:
        unknowns_note = ""
    if sets["artificial"]:
        a = sets["artificial"][0]
        count = len(sets["artificial"])
        reason = (f"artificial critical points on {count} strat{'um' if count == 1 else 'a'}, e.g. on stratum "
                  f"{a.stratum.id} ({', '.join(a.stratum.condition_text())}) at {_fmt(a.sample)}: 0 is in conv D "
                  f"but not in the Clarke set")
        verdict = ARTIFICIAL
    elif unknowns:
        reason, verdict = "; ".join(unknowns), UNKNOWN_V
    else:
        where = "" if strat.in_domain is None else " in the domain"
        reason = unknowns_note or f"0 ∈ conv D(x) implies 0 ∈ Clarke(x) on all {len(strat.asked())} strata{where}"
        verdict = NONE
    return CriticalResult(verdict, reason, program, rule_obj, strat, unknowns=unknowns, timings=timings, domain=local,
                          **kw)


def _stopped(exc: BaseException, deadline: Deadline, program, rule_obj, strat, timings, local) -> CriticalResult:
    """The unknown answer when the time limit ran out or Ctrl-C was pressed (the reason says how far it got)."""
    reason = str(exc) if isinstance(exc, TimeLimitReached) else deadline.reason(interrupted=True)
    return CriticalResult(UNKNOWN_V, reason, program, rule_obj, strat, unknowns=(reason,), timings=timings,
                          domain=local)


def _fmt(point) -> str:
    from semialg.rules import fmt_exact
    return "(" + ", ".join(fmt_exact(v) for v in point) + ")"
