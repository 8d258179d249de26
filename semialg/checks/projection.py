"""The projection formula, stratum by stratum (theory §4, step 2).

On every stratum ``S`` of dimension ``k >= 1``, for every vertex ``v`` of the rule's field on
``S`` and on each lower-dimensional neighbour above it (the closure of the graph),
``P_{T_x S}(v(x) - ∇f_S(x)) = 0`` must hold for all ``x`` in ``S``. Each stratum's question
needs only its own field and its neighbours', so strata are decided independently:
:func:`projection_checks` walks them in order, and :mod:`semialg.checks.parallel` hands blocks
of them to a Dask cluster with :func:`check_block`, merging the answers into the same reports.

A violation is re-checked exactly and confirmed numerically along the curve (:func:`witness_at`)
before it becomes a witness.

>>> from semialg.frontends.text import parse
>>> from semialg.rules import get_rule
>>> from semialg.stratification import stratify
>>> s = stratify(parse("abs(x)"))
>>> reports, witness, unknowns = projection_checks(s, get_rule("pytorch"), 1000)
>>> [r.status for r in reports], witness, unknowns
(['yes', 'skipped', 'yes'], None, [])
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

from semialg.checks.geometry import NO, UNKNOWN, YES, projection_violation
from semialg.checks.lifted import confirm_in_user_space, nonfinite_witness, with_reciprocals_stratum
from semialg.core.budget import Deadline
from semialg.core.collector import fewer_collections
from semialg.rules import Rule, field_polys
from semialg.stratification import Stratification, Stratum, exact_sign, point_sympy

NOT_CHECKED, SKIPPED = "not_checked", "skipped"


@dataclass(frozen=True)
class Witness:
    """A curve ``γ(τ) = point + τ·direction`` (inside the stratum; on a curved stratum,
    any C^1 curve in it with this velocity) along which the chain rule fails:
    ``d/dτ f(γ(0)) = derivative_along_curve`` but ``<v, γ'(0)> = field_along_curve``."""

    stratum: int
    output: int
    point: tuple
    direction: tuple
    derivative_along_curve: object
    field_along_curve: object
    field_value: tuple
    source: str
    numeric: dict | None = None


@dataclass(frozen=True)
class StratumReport:
    """What the check found on one stratum: its field vertices and its own status."""

    stratum: Stratum
    field: tuple            # per output: tuple of gradient vertices (tuples of Poly)
    status: str             # yes / no / unknown / skipped (0-dimensional) / not_checked
    reason: str = ""


@fewer_collections()
def projection_checks(strat: Stratification, rule: Rule, timeout_ms: int, progress=None, method: str = "algebra",
                      deadline: Deadline | None = None):
    """Decide every asked stratum in order: ``(reports, witness, unknowns)``; after the first
    witness the remaining strata are not checked."""
    fields: dict[int, list] = {}
    unknowns: list[str] = []
    last = time.perf_counter()
    t0 = last
    deadline = deadline or Deadline(None)
    for s in strat.strata:
        deadline.check("field values", s.id, len(strat.strata), unit="strata")
        if progress is not None and time.perf_counter() - last > 1.0:
            last = time.perf_counter()
            progress("field values", s.id, last - t0, len(strat.strata))
        fields[s.id] = field_values(strat, s, rule, unknowns)
    asked = strat.asked()
    witness = nonfinite_witness(strat, fields, rule) if strat.program.lifting is not None else None
    reports = []
    for done, s in enumerate(asked):
        deadline.check("check", done, len(asked), unit="strata")
        if progress is not None and time.perf_counter() - last > 1.0:
            last = time.perf_counter()
            progress("check", done, last - t0, len(asked))
        report, found, unknown = decide(strat, s, fields, rule, timeout_ms, method, deadline, witness is not None)
        witness = witness or found
        if unknown:
            unknowns.append(unknown)
        reports.append(report)
    return tuple(reports), witness, unknowns


def field_values(strat: Stratification, s: Stratum, rule: Rule, unknowns: list) -> list:
    """The rule's field vertices on ``s`` (none, with a note in ``unknowns``, when they overflow)."""
    try:
        return field_polys(strat, s, rule)
    except OverflowError as exc:
        unknowns.append(f"stratum {s.id}: {exc}")
        return []


def decide(strat: Stratification, s: Stratum, fields: dict, rule: Rule, timeout_ms: int, method: str,
           deadline: Deadline, after_witness: bool = False):
    """One stratum's answer: ``(report, witness or None, unknown note or None)``. ``fields`` holds
    the field of ``s`` and of its lower-dimensional neighbours above; ``after_witness``: a witness
    was found on an earlier stratum, so this one is not checked (only its dimension is reported)."""
    own = freeze(fields[s.id])
    if s.dim is None:
        return StratumReport(s, own, UNKNOWN, s.reason), None, f"stratum {s.id}: dimension unknown ({s.reason})"
    if s.dim == 0:
        return StratumReport(s, own, SKIPPED, "0-dimensional strata impose nothing"), None, None
    if after_witness:
        return StratumReport(s, own, NOT_CHECKED, "a witness was already found"), None, None
    status, reason, witness = YES, "", None
    for kind, sid in [("own", s.id)] + [("closure", c) for c in closure_sources(strat, s)]:
        for k, (piece, vertices) in enumerate(zip(s.piece, fields[sid])):
            grad = piece.gradient()
            for v in vertices:
                if not all(isinstance(c, type(grad[0])) for c in v):
                    status, reason = UNKNOWN, "the rule's value is not finite here, but it was not re-checked"
                    continue
                g = [vi - gi for vi, gi in zip(v, grad)]
                asked_on = with_reciprocals_stratum(strat, s, g) if strat.program.lifting is not None else s
                if asked_on is None:
                    status, reason = UNKNOWN, (f"the field of stratum {sid} involves 1/s for a root s that "
                                               "vanishes here: its limit is not decided")
                    continue
                answer = projection_violation(asked_on, g, deadline.query_ms(timeout_ms), method)
                if answer.status == NO:
                    witness = witness_at(strat, asked_on, k, v, answer, kind, sid, timeout_ms)
                    if witness is not None:
                        return StratumReport(s, own, NO, ""), witness, None
                    status, reason = UNKNOWN, "a violation was found but could not be re-checked exactly"
                elif answer.status == UNKNOWN:
                    status, reason = UNKNOWN, answer.reason
    return StratumReport(s, own, status, reason), None, (f"stratum {s.id}: {reason}" if status == UNKNOWN else None)


def closure_sources(strat: Stratification, s: Stratum) -> list[int]:
    """The neighbours above ``s`` whose field's limits must pass on ``s``: the lower-dimensional
    ones (a full-dimensional neighbour's field is its gradient, which passes by continuity)."""
    return [c for c in strat.above[s.id] if strat.strata[c].dim is not None and strat.strata[c].dim < strat.full_dim]


def freeze(field_sets) -> tuple:
    return tuple(tuple(vs) for vs in field_sets)


def witness_at(strat, s: Stratum, k: int, v, answer, kind, source_id, timeout_ms) -> Witness | None:
    """Re-check a violation exactly; confirm it numerically along the curve."""
    from semialg.checks.geometry import in_closure_at, segment_inside
    x, d = tuple(answer.point), tuple(answer.extra)
    pt = point_sympy(x)
    dd = point_sympy(d)
    if not s.contains(pt):
        return None
    if any(exact_sign(sum((gp.eval(pt) * di for gp, di in zip(e.gradient(), dd)), Fraction(0))) != 0 for e in s.equalities):
        return None  # the direction must be tangent
    if kind == "closure" and in_closure_at(x, strat.strata[source_id], timeout_ms) is not True:
        return None
    grad = s.piece[k].gradient()
    df = sum((gp.eval(pt) * di for gp, di in zip(grad, dd)), Fraction(0))
    fv = sum((vp.eval(pt) * di for vp, di in zip(v, dd)), Fraction(0))
    if exact_sign(df - fv) == 0:
        return None
    value = tuple(vp.eval(pt) for vp in v)
    source = "the rule's own value" if kind == "own" else f"the closure of the graph (limit from stratum {source_id})"
    lifting = strat.program.lifting
    if lifting is not None:   # the curve's projection to the user's variables (the lifted curve is its graph)
        n = lifting.n_user
        confirmation = confirm_in_user_space(lifting.user_program, k, x[:n], d[:n], value[:n], fv)
        return Witness(s.id, k, tuple(x[:n]), tuple(d[:n]), df, fv, value[:n], source, confirmation)
    from semialg import numeric  # numpy is loaded only when a witness needs confirming
    confirmation = numeric.confirm_along_curve(strat.program, k, v, s, x, d, segment=segment_inside(s, x, d))
    return Witness(s.id, k, x, d, df, fv, value, source, confirmation)


@fewer_collections()
def check_block(strat: Stratification, rule: Rule, ids: range, timeout_ms: int, method: str,
                seconds_left: float | None):
    """The serial walk over the strata ``ids`` (a block of consecutive ids), as a task on a worker:
    ``(reports, witness, field unknowns, check unknowns)`` for the asked strata among them, each
    report as ``(stratum id, field, status, reason)`` (the strata are the caller's: not shipped
    back). The fields of the block's neighbours above are computed here too."""
    deadline = Deadline.of(seconds_left)
    field_unknowns: list[str] = []
    fields: dict[int, list] = {i: field_values(strat, strat.strata[i], rule, field_unknowns) for i in ids}
    inside = strat.in_domain
    reports, unknowns, witness = [], [], None
    for i in ids:
        if inside is not None and not inside[i]:
            continue
        s = strat.strata[i]
        for c in closure_sources(strat, s) if s.dim else ():
            if c not in fields:
                fields[c] = field_values(strat, strat.strata[c], rule, [])   # its own block notes an overflow
        deadline.check("check", i, len(strat.strata), unit="strata")
        report, found, unknown = decide(strat, s, fields, rule, timeout_ms, method, deadline, witness is not None)
        witness = witness or found
        if unknown:
            unknowns.append(unknown)
        reports.append((i, report.field, report.status, report.reason))
    return tuple(reports), witness, field_unknowns, unknowns
