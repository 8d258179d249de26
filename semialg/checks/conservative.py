"""Is a derivative rule a conservative field for the program? (theory §4)

The projection-formula decision procedure: (1) the program must be continuous
(:mod:`.lipschitz`); (2) on every stratum ``S`` of dimension ``k >= 1``, for every
vertex ``v`` of the rule's field on ``S`` and of every lower-dimensional
neighbour above (the closure of the graph), ``P_{T_x S}(v(x) - ∇f_S(x)) = 0`` for
all ``x`` in ``S``; (3) all unsat: *conservative* (the chain rule then holds
along every absolutely continuous curve, since a.e. ``γ(t)`` lies in a stratum
with ``γ'(t)`` tangent to it); one sat: *not conservative*, the violating set is
relatively open in ``S``, and the curve through the model point along the model
direction is a witness, re-checked exactly and confirmed numerically.

Full-dimensional neighbours need no closure query: their field equals ``∇f_C``
identically once they pass, and ``P_{T S} ∇f_C = ∇(f_C|_S) = ∇(f_S|_S)`` by continuity.

>>> r = check("relu(x)", rule="pytorch")
>>> r.verdict, r.exit_code
('conservative', 0)
>>> w = check("abs(x)", field="where(x > 0, 1, 1)").witness
>>> w.direction, w.derivative_along_curve, w.field_along_curve
((Fraction(1, 1),), Fraction(-1, 1), Fraction(1, 1))
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

from semialg.checks import VerdictResult, with_total
from semialg.checks.lifted import NonFiniteWitness, UnboundedSlope, lifted_slopes
from semialg.checks.lipschitz import LIPSCHITZ, NOT_LIPSCHITZ, Jump, lipschitz
from semialg.checks.projection import StratumReport, Witness, projection_checks
from semialg.core.budget import Deadline, TimeLimitReached
from semialg.core.dag import Program
from semialg.core.errors import InputError
from semialg.frontends.coerce import as_program
from semialg.frontends.domains import Box
from semialg.frontends.text import parse
from semialg.rules import Rule, fmt_exact, resolve_rule
from semialg.stratification import Options, Stratification, StratifyError, stratify
from semialg.stratification.in_box import in_box

CONSERVATIVE, NOT_CONSERVATIVE, NOT_LIPSCHITZ_V, UNKNOWN_V = "conservative", "not_conservative", "not_lipschitz", "unknown"
EXIT = {CONSERVATIVE: 0, NOT_CONSERVATIVE: 1, NOT_LIPSCHITZ_V: 1, UNKNOWN_V: 3}


@dataclass(frozen=True, repr=False)
class CheckResult(VerdictResult):
    """The answer of :func:`check`: verdict, reason, witness, per-stratum reports, timings."""

    EXIT = EXIT

    verdict: str
    reason: str
    program: Program
    rule: Rule
    stratification: Stratification | None
    strata: tuple[StratumReport, ...]
    witness: Witness | None = None
    jump: Jump | None = None
    timings: dict = field(default_factory=dict)
    domain: object = None            # a Box, or the Restriction to a Segment/Plane (domain=); None otherwise
    segment_integral: dict | None = None   # for a Segment: the exact chain-rule balance (see segment_balance)

    def to_json(self, critical: dict | None = None) -> dict:
        """The JSON object of ``semialg check --json`` (``critical``: the sets of
        :func:`semialg.checks.critical.for_check`, to include Clarke sets)."""
        from semialg.report.check import check_json
        return check_json(self, critical)

    def to_text(self, critical: dict | None = None) -> str:
        """The text ``semialg check`` prints.

        >>> r = check("relu(x)")
        >>> bool(r), repr(r), r.to_text().splitlines()[1]
        (True, '<CheckResult conservative: relu(x), rule pytorch>', 'verdict: CONSERVATIVE')
        """
        from semialg.report.check import check_text
        return check_text(self, critical)



def _field_program(field_text, program: Program) -> Program | None:
    """A hand-written field (text, Exprs, sympy, a Program: anything :func:`as_program` takes), over
    the function's variables."""
    if field_text is None:
        return None
    m, n = program.n_outputs, program.n_inputs
    rows = None
    if isinstance(field_text, str) and ";" in field_text:   # a Jacobian written row by row: "a, b; c, d"
        rows = [r for r in field_text.split(";")]
        field_text = ", ".join(rows)
    fp = as_program(field_text, list(program.inputs)) if not isinstance(field_text, Program) else field_text
    if rows is not None and len(rows) != m:
        raise InputError(f"the field has {len(rows)} row{'s' if len(rows) != 1 else ''} but the function has {m} "
                         f"output{'s' if m != 1 else ''}: give one row (n components) per output, rows separated by ';'")
    if fp.n_outputs != m * n:
        shape = (f"one component per variable ({', '.join(program.inputs)}), separated by commas" if m == 1 else
                 f"a Jacobian: {m} rows of {n} components, rows separated by ';' (e.g. \"1, 0; 0, 1\")")
        raise InputError(f"the field has {fp.n_outputs} component{'s' if fp.n_outputs != 1 else ''} but the function "
                         f"has {m} output{'s' if m != 1 else ''} and {n} variable{'s' if n != 1 else ''}: give {shape}")
    return fp


def check(function, variables=None, rule: str | Rule | None = None, overrides: Sequence[str] = (), field=None,
          domain=None, timeout: float = 60.0,
          progress: Callable[..., None] | None = None, method: str = "algebra",
          framework: str | None = None, example=None, time_limit: float | None = None, data=None,
          client=None) -> CheckResult:
    """Decide whether ``rule`` (or a hand-written ``field``) is conservative for ``function``.

    ``function``: text or :class:`Program`; ``rule``: ``pytorch``, ``jax``,
    ``tensorflow`` or ``clarke`` (or a :class:`Rule`); ``overrides``: strings such
    as ``"relu'(0)=1"``; ``field``: text with one component per variable;
    ``domain``: a condition such as ``"x**2 + y**2 <= 4"``, a :class:`~semialg.frontends.domains.Box`,
    or a :class:`~semialg.frontends.domains.Segment` / ``Plane``: the program (and a hand-written
    field) is then composed with its affine map and the restricted program checked (the chain rule
    along the segment or plane; ``result.domain`` holds the
    :class:`~semialg.frontends.restrict.Restriction`, witnesses also in original coordinates, and a
    segment adds the exact balance ``result.segment_integral``; a piecewise-linear program on a
    segment is decided by the exact line walk, :mod:`semialg.checks.segment`, unless
    ``method="generic"``); ``timeout``: seconds per solver query; ``method="smt"`` sends every
    projection query to z3 (for benchmarking against exact linear algebra). Never raises on a mathematical
    outcome: the verdict says it.

    ``framework="jax"`` or ``"torch"`` with ``example`` (the example arguments, or the values
    of the flattened inputs): ``function`` is that framework's Python function (or
    ``torch.nn.Module``), traced at the example, and the field checked is the derivative the
    framework itself computes there (rule ``native``: its kink choices and custom rules).

    ``time_limit``: seconds for the whole check (None or 0: none); each solver query then gets
    ``min(timeout, time remaining)``. When it runs out, or on Ctrl-C (``KeyboardInterrupt``)
    during stratify / check, the verdict is unknown with the reason ("time limit of 5 s reached
    during check (1,200/8,193 strata so far)"). ``progress(stage, done, seconds, total)`` is
    called about once a second (``total`` None when not known).

    ``data``: fixed data points (a dict name -> value, or a list of them) with ``variables``
    naming the parameters: the function checked is the mean over the points, a program over the
    parameters (:func:`~semialg.frontends.data.bind_data`); ``result.program`` is that mean.

    ``client``: a Dask ``distributed.Client`` (:func:`semialg.checks.parallel.cluster`): a
    nonlinear program's dimension and frontier questions are asked on its workers ahead of the
    serial stratification stages, a piecewise-linear branch tree is walked there in subtrees,
    and the strata's projection-formula questions are decided
    there in blocks; the strata, reports, witness and verdict are those of the serial run (a
    lifted program's check phase, which first looks for a NaN/inf value over all strata, stays
    serial).
    """
    t0 = time.perf_counter()
    progress = with_total(progress)
    deadline = Deadline.of(time_limit)
    if framework is not None and data is not None:
        raise InputError("data= binds data names of a program; with framework= trace the loss at the data instead")
    if framework is not None:
        program, rule_obj = _native(function, framework, example, variables, rule, overrides, field)
    else:
        if example is not None:
            raise InputError("example= is for framework functions; give framework='jax' or 'torch' with it")
        program = as_program(function, variables, data)
        field_program = _field_program(field, program)
        rule_obj = resolve_rule(rule, overrides, field_program, program)
    if method == "algebra" and framework is None:   # a piecewise-linear program on a segment: the exact line walk
        fast = _linewalk_check(program, rule_obj, domain, t0)
        if fast is not None:
            return fast
    method = "algebra" if method == "generic" else method
    if isinstance(domain, Box) and framework is None and rule_obj.field is None:
        reduced = _reduced_box_check(program, rule_obj, domain, timeout, progress, method, time_limit)
        if reduced is not None:
            return reduced
    program, rule_obj, domain, local = _localize(program, rule_obj, domain)
    timeout_ms = int(timeout * 1000)
    domain_node = _domain(domain, program)
    t1 = time.perf_counter()
    timings = {"parse": t1 - t0}
    extra = tuple(rule_obj.field.outputs) if rule_obj.field is not None else ()
    stratify_progress = (lambda k, s: progress("stratify", k, s, None)) if progress else None
    pmap = None
    if client is not None:
        from semialg.checks.parallel import dask_map
        pmap = dask_map(client)
    options = Options(timeout_ms=timeout_ms, domain=domain_node, extra_roots=extra, progress=stratify_progress,
                      prune_domain=False, deadline=deadline, parallel_map=pmap)
    try:
        strat = stratify(program, options)
        if isinstance(local, Box):
            strat = in_box(strat, local, timeout_ms, deadline)
    except StratifyError:
        strat = None  # floor/round: only the Lipschitz check (on a local surrogate) applies
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        timings["stratify"] = time.perf_counter() - t1
        return _with_domain(local, _stopped(exc, deadline, program, rule_obj, None, timings))
    t2 = time.perf_counter()
    timings["stratify"] = t2 - t1
    try:
        deadline.check("continuity", len(strat.strata) if strat is not None else None, unit="strata")
        lip = lipschitz(program, strat, timeout_ms, options)
        if lip.status != NOT_LIPSCHITZ and strat is not None and strat.program.lifting is not None:
            lip = lifted_slopes(lip, strat, timeout_ms, deadline)   # a root can make a continuous slope unbounded
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        timings["check"] = time.perf_counter() - t2
        return _with_domain(local, _stopped(exc, deadline, program, rule_obj, strat, timings))
    if lip.status == NOT_LIPSCHITZ and isinstance(lip.witness, UnboundedSlope):
        timings["check"] = time.perf_counter() - t2
        w = lip.witness
        reason = (f"the slope is unbounded at {_fmt_point(w.point)}: (f(x + h d) - f(x)) / h -> {w.limit} as h -> 0+ "
                  f"along d = {_fmt_point(w.direction)}")
        return _with_domain(local, CheckResult(NOT_LIPSCHITZ_V, reason, program, rule_obj, strat, (), None, w, timings))
    if lip.status == NOT_LIPSCHITZ:
        timings["check"] = time.perf_counter() - t2
        j = lip.witness
        reason = (f"the function jumps at {_fmt_point(j.point)}: its value is {_fmt_vec(j.value)} but its limit "
                  f"from stratum {j.neighbour} is {_fmt_vec(j.limit)}")
        return _with_domain(local, CheckResult(NOT_LIPSCHITZ_V, reason, program, rule_obj, strat, (), None, j, timings))
    if strat is None:
        timings["check"] = time.perf_counter() - t2
        return _with_domain(local, CheckResult(UNKNOWN_V, lip.reason, program, rule_obj, None, (), None, None, timings))
    try:
        if client is not None and strat.program.lifting is None:
            from semialg.checks.parallel import projection_checks_on
            reports, witness, unknowns = projection_checks_on(client, strat, rule_obj, timeout_ms, progress, method,
                                                              deadline)
        else:
            reports, witness, unknowns = projection_checks(strat, rule_obj, timeout_ms, progress, method, deadline)
    except (TimeLimitReached, KeyboardInterrupt) as exc:
        timings["check"] = time.perf_counter() - t2
        return _with_domain(local, _stopped(exc, deadline, program, rule_obj, strat, timings))
    timings["check"] = time.perf_counter() - t2
    if witness is not None and lip.status != LIPSCHITZ:
        # theory §4, step 4: a field is refuted only for a function known to be continuous.
        what = "the rule's value is not finite" if isinstance(witness, NonFiniteWitness) else "a projection-formula violation was found"
        reason = (f"{what} on stratum {witness.stratum}, but continuity is "
                  f"undecided ({lip.reason}), so no refutation is given")
        return _with_domain(local, CheckResult(UNKNOWN_V, reason, program, rule_obj, strat, reports, None, None, timings))
    if isinstance(witness, NonFiniteWitness) and (lip.status != LIPSCHITZ or strat.reasons):
        reason = (f"the rule's value at {_fmt_point(witness.point)} is not finite, but "
                  + (f"continuity is undecided ({lip.reason})" if lip.status != LIPSCHITZ else
                     f"the stratification is incomplete ({'; '.join(strat.reasons)})") + ", so no refutation is given")
        return _with_domain(local, CheckResult(UNKNOWN_V, reason, program, rule_obj, strat, reports, None, None, timings))
    if isinstance(witness, NonFiniteWitness):
        reason = (f"the rule's value at {_fmt_point(witness.point)} (stratum {witness.stratum}) is "
                  f"({', '.join(witness.value)}): not finite, so not a conservative field there")
        return _with_domain(local, CheckResult(NOT_CONSERVATIVE, reason, program, rule_obj, strat, reports, witness, None, timings))
    if witness is not None:
        if framework is not None and local is None:
            witness = _confirm_with_framework(witness, function, framework, example, program)
        reason = (f"on stratum {witness.stratum} ({', '.join(strat.strata[witness.stratum].condition_text())}), along the "
                  f"curve through {_fmt_point(witness.point)} with direction {_fmt_point(witness.direction)}, f changes at "
                  f"rate {fmt_exact(witness.derivative_along_curve)} but the field gives {fmt_exact(witness.field_along_curve)}")
        return _with_domain(local, CheckResult(NOT_CONSERVATIVE, reason, program, rule_obj, strat, reports, witness, None, timings))
    problems = unknowns + ([lip.reason] if lip.status != LIPSCHITZ else [])
    problems += [r for r in strat.reasons if not any(r in u for u in problems)]
    if problems:
        return _with_domain(local, CheckResult(UNKNOWN_V, "; ".join(dict.fromkeys(problems)), program, rule_obj, strat, reports, None, None, timings))
    asked = strat.asked()
    where = "" if strat.in_domain is None else " in the domain"
    reason = (f"the projection formula holds on all {len(asked)} strata{where} "
              f"({sum(1 for s in asked if s.dim and s.dim > 0)} of positive dimension)")
    return _with_domain(local, CheckResult(CONSERVATIVE, reason, program, rule_obj, strat, reports, None, None, timings))


def _reduced_box_check(program: Program, rule: Rule, box: Box, timeout, progress, method, time_limit):
    """A box around a point of a piecewise-linear program with many inputs: the check of the kink
    part ``H`` in reduced coordinates (:mod:`semialg.checks.local`), or None when it does not apply.

    ``f = g0.(x - c) + H(B (x - c))`` on the box and the rule's value is ``g0 + D_H B`` (B has
    independent rows), so the rule is conservative for f on the box when it is for H on all of
    R^m; a violation for H refutes f only where its stratum meets the box (an exact query)."""
    from dataclasses import replace
    from semialg import smt
    from semialg.checks.local import box_preimage, reduction_for
    red = reduction_for(program, box.center, box.radius)
    if red is None:
        return None
    inner = check(red.program, rule=rule, timeout=timeout, progress=progress, method=method, time_limit=time_limit)
    if inner.verdict != NOT_CONSERVATIVE:
        return replace(inner, domain=red)
    stratum = inner.stratification.strata[inner.witness.stratum]
    status, x = box_preimage(red, stratum.conditions, int(timeout * 1000))
    if status == smt.SAT:
        return replace(inner, domain=red, reason=f"{inner.reason}; that stratum meets the box at x = {_fmt_point(x)}")
    where = "does not meet" if status == smt.UNSAT else "may not meet (the query was undecided)"
    return replace(inner, verdict=UNKNOWN_V, domain=red, witness=None,
                   reason=f"the kink part H fails the projection formula on stratum {stratum.id}, which {where} the "
                          f"box; inside the box the question is open")


def _linewalk_check(program: Program, rule: Rule, domain, t0: float) -> CheckResult | None:
    """The check along a segment by the exact line walk (:mod:`semialg.checks.segment`), or None."""
    from dataclasses import replace
    from semialg.checks.segment import linewalk_strata, stratum_fields
    t1 = time.perf_counter()
    found = linewalk_strata(program, rule, domain)
    if found is None:
        return None
    walk, restriction, strat = found
    t2 = time.perf_counter()
    reports = tuple(StratumReport(s, f, status, "0-dimensional strata impose nothing" if s.dim == 0 else "")
                    for s, (f, status) in zip(strat.strata, stratum_fields(walk, strat)))
    timings = {"parse": t1 - t0, "linewalk": t2 - t1}
    w, witness = walk.witness, None
    if w is None:
        verdict = CONSERVATIVE
        reason = (f"the projection formula holds on all {len(strat.strata)} strata in the domain ({walk.pieces} of "
                  f"positive dimension; exact line walk of the piecewise-linear normal form)")
    else:
        verdict, sid = NOT_CONSERVATIVE, 2 * w["interval"] + 1
        witness = Witness(sid, w["output"], (w["t"],), (Fraction(1),), w["slope"], w["tangent"], (w["tangent"],),
                          "the rule's own value")
        reason = (f"on stratum {sid} ({', '.join(strat.strata[sid].condition_text())}), along the curve through "
                  f"{_fmt_point(witness.point)} with direction (1), f changes at rate {fmt_exact(w['slope'])} but "
                  f"the field gives {fmt_exact(w['tangent'])}")
    timings["check"] = time.perf_counter() - t2
    result = CheckResult(verdict, reason, restriction.program, rule, strat, reports, witness, None, timings, restriction)
    return replace(result, segment_integral=segment_balance(result))


def _native(function, framework, example, variables, rule, overrides, field) -> tuple[Program, Rule]:
    """The traced program and the rule ``native``: the framework's own derivative as the field."""
    from semialg.frontends import native
    name = native.framework_name(framework)
    if rule not in (None, "native") or overrides or field is not None:
        given = "--field" if field is not None else ("--set" if overrides else f"--rule {rule}")
        raise InputError(f"{given} cannot be combined with --framework {name}: the framework's own derivative is the "
                         f"rule checked (rule native); leave {given} out, or check a program with a preset instead")
    if example is None:
        raise InputError(f"--framework {name} needs an example input to trace the function at (--example 0,0 or "
                         f"example=...)")
    names = None if variables is None else ([v.strip() for v in variables.split(",")] if isinstance(variables, str)
                                            else list(variables))
    program, derivative = native.trace(function, name, example, names)
    if derivative.n_outputs != program.n_inputs * program.n_outputs:
        raise InputError(f"the traced derivative has {derivative.n_outputs} components, expected "
                         f"{program.n_inputs * program.n_outputs}")
    return program, Rule(field=derivative, label=f"native {name}")


def _confirm_with_framework(w: Witness, function, framework, example, program: Program) -> Witness:
    """The framework's own autodiff at the witness point, beside the field value the check used.

    At a rational point the framework computes in float64, so for a dyadic point the numbers
    are exact; the check itself never rests on them (it decided on the exact program).
    """
    from dataclasses import replace
    from semialg.frontends import native
    numeric = dict(w.numeric or {})
    try:
        point = [float(Fraction(v)) for v in w.point]
    except (TypeError, ValueError):
        return w  # an algebraic point: no float input represents it exactly
    row = native.framework_gradient(function, framework, example, point)
    n = program.n_inputs
    gradient = row[w.output * n:(w.output + 1) * n]
    expected = [float(Fraction(v)) for v in w.field_value]
    numeric["framework"] = {"name": native.framework_name(framework), "gradient": list(gradient),
                            "equals_field_value": all(abs(a - b) <= 1e-9 * max(1.0, abs(b))
                                                      for a, b in zip(gradient, expected))}
    return replace(w, numeric=numeric)


def _localize(program: Program, rule: Rule, domain):
    """``(program, rule, domain condition, record)`` for ``domain=``: a Box becomes its condition;
    a Segment/Plane restricts the program (and a hand-written field) to its affine map."""
    from dataclasses import replace
    from semialg.frontends.restrict import Restriction, localize, restrict_field
    program_local, condition, record = localize(program, domain)
    if isinstance(record, Restriction) and rule.field is not None:
        rule = replace(rule, field=restrict_field(rule.field, record))
    return program_local, rule, condition, record


def _with_domain(record, result: CheckResult) -> CheckResult:
    """The result with its local domain recorded (and, for a segment, the exact chain-rule balance)."""
    if record is None:
        return result
    from dataclasses import replace
    from semialg.frontends.domains import Segment
    balance = None
    if (getattr(record, "domain", None).__class__ is Segment and result.stratification is not None
            and result.verdict in (CONSERVATIVE, NOT_CONSERVATIVE)):
        balance = segment_balance(result)
    return replace(result, domain=record, segment_integral=balance)


def _integral(poly, lo: Fraction, hi: Fraction) -> Fraction:
    """The exact integral of a polynomial in one variable over ``[lo, hi]``."""
    total = Fraction(0)
    for (e,), c in poly.terms.items():
        total += c * (hi ** (e + 1) - lo ** (e + 1)) / (e + 1)
    return total


def segment_balance(result: CheckResult) -> dict:
    """The chain rule along a segment, exactly: ``f(b) - f(a)`` (per output) against the sum over
    the pieces (the 1-D strata between consecutive 0-dimensional ones in ``[0, 1]``) of the exact
    integral of the rule's value (a polynomial in ``t`` on each piece). Equal when conservative.

    Returns ``{"f_b_minus_f_a", "integral", "equal", "pieces": [{"from", "to", "stratum", "integral"}]}``
    (exact Fractions), or ``{"reason": ...}`` when a piece endpoint is not rational."""
    strat = result.stratification
    asked = strat.asked()
    ends = [s.sample[0] for s in asked if s.dim == 0]
    if not all(isinstance(v, Fraction) for v in ends):
        return {"reason": "a piece endpoint is an algebraic number; the balance is computed for rational endpoints only"}
    ends = sorted(set(ends) | {Fraction(0), Fraction(1)})
    fields = {rep.stratum.id: rep.field for rep in result.strata}
    m = result.program.n_outputs
    totals, pieces, notes = [Fraction(0)] * m, [], []
    for lo, hi in zip(ends, ends[1:]):
        s = strat.locate(((lo + hi) / 2,))
        parts = []
        for k in range(m):
            vertices = fields[s.id][k]
            if len({tuple(v) for v in vertices}) > 1:
                notes.append(f"the rule is set-valued on stratum {s.id}; its first vertex is integrated")
            parts.append(_integral(vertices[0][0], lo, hi))
        totals = [a + b for a, b in zip(totals, parts)]
        pieces.append({"from": lo, "to": hi, "stratum": s.id, "integral": parts})
    first, last = strat.locate((Fraction(0),)), strat.locate((Fraction(1),))
    delta = [last.piece[k].eval((Fraction(1),)) - first.piece[k].eval((Fraction(0),)) for k in range(m)]
    out = {"f_b_minus_f_a": delta, "integral": totals, "equal": delta == totals, "pieces": pieces}
    if notes:
        out["note"] = "; ".join(dict.fromkeys(notes))
    return out


def _domain(domain, program: Program):
    if domain is None:
        return None
    from semialg.frontends.domains import Box
    if isinstance(domain, Box):
        domain = domain.condition_text(list(program.inputs))
    if not isinstance(domain, str):
        return domain
    node = parse(f"where({domain}, 1, 0)", list(program.inputs)).outputs[0].args[0]
    return node


def _stopped(exc: BaseException, deadline: Deadline, program, rule_obj, strat, timings) -> CheckResult:
    """The unknown answer when the time limit ran out or Ctrl-C was pressed: what was done so far."""
    reason = str(exc) if isinstance(exc, TimeLimitReached) else deadline.reason(interrupted=True)
    return CheckResult(UNKNOWN_V, reason, program, rule_obj, strat, (), None, None, timings)


def _fmt_point(p) -> str:
    return "(" + ", ".join(fmt_exact(v) for v in p) + ")"


def _fmt_vec(p) -> str:
    return _fmt_point(p) if len(p) > 1 else fmt_exact(p[0])
