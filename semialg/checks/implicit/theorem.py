"""Nonsmooth implicit differentiation, exactly (theory §7; Bolte, Le, Pauwels, Silveti-Falls 2021).

``F: R^n x R^m -> R^m`` with ``F(x̂, ŷ) = 0``. :func:`implicit`

1. checks ``F(x̂, ŷ) = 0`` exactly (an error names the residual otherwise);
2. takes the conservative Jacobian ``J_F(x̂, ŷ)`` of the chosen rule (backprop with
   the rule's choices at the point, plus the limits from the neighbouring strata for
   rules that are not set-valued: the closure of the graph), convexified as the
   product of the convex hulls of its rows, and splits it as ``[A B]``;
3. decides exactly whether every ``B`` of that convex set is invertible: the
   unsatisfiability of ``∃λ in the simplices: det(Σ λ_i B_i) = 0``, or a singular
   ``B`` with its ``λ`` (:func:`~semialg.checks.implicit.jacsets.find_singular`);
4. does the same for Clarke's Jacobian ``Jac^c F(x̂, ŷ)`` and says when the two
   conditions differ;
5. when invertible, gives ``J_G(x̂) = {-B^{-1}A : [A B] ∈ conv J_F}``: the exact
   images of the vertices and an exact membership test (``A(λ) + B(λ)N = 0`` is linear);
6. for piecewise-linear ``F``, computes ``G`` itself cell by cell and compares its
   Clarke Jacobian with ``{-B^{-1}A : [A B] ∈ Jac^c F}`` (:mod:`.explicit`).

Verdicts: ``invertible`` (exit 0), ``not_invertible`` (1), ``unknown`` (3); bad
input raises :class:`~semialg.core.errors.InputError` (exit 2 in the CLI).

>>> r = implicit("2*y + abs(y) - x", x=["x"], y=["y"], at={"x": 0, "y": 0})
>>> r.verdict, [img[0][0] for _, img in r.images]           # B in [1, 3], A = -1
('invertible', [Fraction(1, 1), Fraction(1, 3)])
>>> r = implicit("abs(y) - x", x="x", y="y", at="x=0,y=0")
>>> r.verdict, r.singularity.weights, r.singularity.witness_matrix
('not_invertible', (Fraction(1, 2), Fraction(1, 2)), ((Fraction(0, 1),),))
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

from semialg.checks import VerdictResult
from semialg.checks.implicit.explicit import (
    CalculusComparison,
    ExplicitG,
    clarke_calculus,
    explicit_implicit,
    is_piecewise_linear,
)
from semialg.checks.implicit.jacsets import (
    Matrix,
    MatrixSet,
    Membership,
    Singularity,
    as_matrix,
    find_singular,
    image_membership,
    images,
)
from semialg.core.budget import Deadline
from semialg.core.dag import Program
from semialg.core.errors import InputError
from semialg.frontends.coerce import as_program
from semialg.frontends.text import parse_point, variable_names
from semialg.numeric import exact_value
from semialg.rules import Rule, derivative_at, field_polys, fmt_exact, get_rule
from semialg.stratification import Options, Stratification, StratifyError, stratify

INVERTIBLE, NOT_INVERTIBLE, UNKNOWN = "invertible", "not_invertible", "unknown"
EXIT = {INVERTIBLE: 0, NOT_INVERTIBLE: 1, UNKNOWN: 3}


@dataclass(frozen=True, repr=False)
class ImplicitResult(VerdictResult):
    """Everything :func:`implicit` found. ``program`` has the inputs ``x + y`` in that order.

    ``jacobian``: the convexified ``J_F`` (``[A B]``, ``m x (n+m)``); ``singularity``:
    the invertibility answer for its ``B`` part; ``clarke`` / ``clarke_singularity``:
    the same for ``Jac^c F`` (None when not computed); ``images``: ``(vertex choice,
    -B^{-1}A)`` per generating vertex; ``membership``: the answer for ``member``;
    ``explicit``: the pieces of ``G`` (piecewise-linear ``F``); ``calculus``: Clarke's
    calculus compared with ``Jac^c G``.
    """

    EXIT = EXIT

    program: Program
    x: tuple[str, ...]
    y: tuple[str, ...]
    point: tuple[Fraction, ...]
    rule: Rule
    verdict: str
    reason: str
    jacobian: MatrixSet
    singularity: Singularity
    clarke: MatrixSet | None = None
    clarke_singularity: Singularity | None = None
    comparison: str = ""
    images: tuple = ()
    membership: Membership | None = None
    explicit: ExplicitG | None = None
    calculus: CalculusComparison | None = None
    notes: tuple[str, ...] = ()
    timings: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def m(self) -> int:
        return len(self.y)

    def to_json(self) -> dict:
        """The JSON object of ``semialg implicit --json``."""
        from semialg.report.implicit import implicit_json
        return implicit_json(self)

    def to_text(self) -> str:
        """The text ``semialg implicit`` prints."""
        from semialg.report.implicit import implicit_text
        return implicit_text(self)


    @property
    def invertible(self) -> bool | None:
        return {INVERTIBLE: True, NOT_INVERTIBLE: False}.get(self.verdict)

    @property
    def clarke_invertible(self) -> bool | None:
        s = self.clarke_singularity
        return None if s is None else {"invertible": True, "singular": False}.get(s.status)

    def contains(self, matrix, timeout: float = 60.0) -> Membership:
        """Exact membership of an ``m x n`` matrix in ``J_G(x̂) = {-B^{-1}A : [A B] ∈ conv J_F}``.

        >>> r = implicit("2*y + abs(y) - x", "x", "y", "x=0,y=0")
        >>> r.contains([["1/2"]]).member, r.contains([[3]]).member
        (True, False)
        """
        if self.verdict != INVERTIBLE:
            raise InputError("J_G = {-B^{-1}A} is defined only when every B is invertible; here "
                             + self.reason)
        return image_membership(self.jacobian, self.n, _as_jacobian(matrix, self.m, self.n), int(timeout * 1000))


# --------------------------------------------------------------------------- input validation
def _names(value, flag: str) -> list[str]:
    return variable_names(value, flag)


def _program(F, x: list[str], y: list[str]) -> Program:
    if not isinstance(F, Program):
        F = as_program(F)
    free = F.free_variables()
    outputs = F.outputs
    both = sorted(set(x) & set(y))
    if both:
        raise InputError(f"'{both[0]}' is listed in both --x and --y; each variable goes in exactly one of them")
    if not y:
        raise InputError("--y must list the unknowns (at least one variable), e.g. --y y or --y y1,y2")
    missing = sorted(free - set(x) - set(y))
    if missing:
        raise InputError(f"F uses {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} in neither --x nor "
                         f"--y: --x and --y must partition the variables of F ({', '.join(sorted(free))})")
    program = Program(tuple(x + y), outputs)
    if program.n_outputs != len(y):
        k, m = program.n_outputs, len(y)
        raise InputError(f"F has {k} equation{'s' if k != 1 else ''} but {m} unknown{'s' if m != 1 else ''} in --y "
                         f"({', '.join(y)}): the implicit function theorem needs as many equations as unknowns "
                         "(write F as comma-separated outputs)")
    return program


def point_values(at, names: Sequence[str], what: str = "the point") -> tuple[Fraction, ...]:
    """Exact values for ``names`` from ``"u=0,v=1/2"``, a dict, a sequence or (one name) a number;
    the messages say ``what`` is being read.

    >>> point_values({"v": "1/2", "u": 0}, ["u", "v"])
    (Fraction(0, 1), Fraction(1, 2))
    >>> point_values([1], ["u", "v"], "θ")
    Traceback (most recent call last):
    semialg.core.errors.InputError: θ has 1 value(s); expected 2 (u, v)
    """
    if isinstance(at, str):
        return parse_point(at, list(names))
    if isinstance(at, dict):
        extra = sorted(set(map(str, at)) - set(names))
        if extra:
            raise InputError(f"'{extra[0]}' in {what} is not a variable; the variables are {', '.join(names)}")
        missing = [v for v in names if v not in at]
        if missing:
            raise InputError(f"{what} gives no value for {', '.join(missing)}")
        values = [at[v] for v in names]
    else:
        values = list(at) if not isinstance(at, (int, float, Fraction)) else [at]
        if len(values) != len(names):
            raise InputError(f"{what} has {len(values)} value(s); expected {len(names)} ({', '.join(names)})")
    out = []
    for name, v in zip(names, values):
        try:
            out.append(Fraction(repr(v) if isinstance(v, float) else v))
        except (TypeError, ValueError, ZeroDivisionError):
            raise InputError(f"value {v!r} for {name} is not an exact rational such as 1/2, -3 or 0.25") from None
    return tuple(out)


def _as_jacobian(matrix, m: int, n: int) -> Matrix:
    if isinstance(matrix, str):
        matrix = [[c for c in row.split(",")] for row in matrix.split(";")]
    try:
        mat = as_matrix(matrix)
    except (TypeError, ValueError, ZeroDivisionError):
        raise InputError(f"expected a {m}x{n} matrix of exact numbers (rows separated by ';', e.g. '1,0;0,1/2'), "
                         f"got {matrix!r}") from None
    if len(mat) != m or any(len(r) != n for r in mat):
        raise InputError(f"expected a {m}x{n} matrix (rows separated by ';'), got {len(mat)} row(s) of "
                         f"{', '.join(str(len(r)) for r in mat)} number(s)")
    return mat


def _residual_message(program: Program, point, residual) -> str:
    from semialg.core.dag import to_text
    bad = [(k, r) for k, r in enumerate(residual) if r != 0]
    where = ", ".join(f"{v}={fmt_exact(c)}" for v, c in zip(program.inputs, point))
    eqs = "; ".join(f"equation {k + 1} ({to_text([program.outputs[k]])[0]}) = {fmt_exact(r)}" for k, r in bad)
    return (f"F(x̂, ŷ) ≠ 0 at {where}: the residual is ({', '.join(fmt_exact(r) for r in residual)}), {eqs}; "
            "the implicit function theorem needs a point of the solution set F = 0")


# --------------------------------------------------------------------------- the check
def implicit(F, x, y, at, rule: str | Rule = "clarke", overrides: Sequence[str] = (), member=None,
             clarke: bool = True, explicit: bool = True, timeout: float = 60.0,
             time_limit: float | None = None) -> ImplicitResult:
    """Nonsmooth implicit differentiation of ``F(x, y) = 0`` at ``at`` (exact).

    ``F``: text (comma-separated outputs, one per unknown) or a :class:`Program`;
    ``x``, ``y``: the parameters and the unknowns (lists or ``"u,v"``), which must
    partition the variables of ``F``; ``at``: ``{"u": 0, ...}``, ``"u=0,v=0,..."``
    or a sequence in the order ``x + y``; ``rule``: ``clarke`` (default) or a
    framework preset, with ``overrides`` such as ``"relu'(0)=1"``; ``member``: an
    ``m x n`` matrix (rows, or ``"1,0;0,1/2"``) to test for membership in ``J_G``;
    ``clarke`` / ``explicit``: also compute ``Jac^c F`` / ``G`` itself (both need a
    stratification of ``F``); ``timeout``: seconds per solver query; ``time_limit``: seconds for the
    whole computation (None: none): past it :class:`~semialg.core.budget.TimeLimitReached` is raised
    (``semialg implicit`` answers unknown, exit 3).
    """
    t0 = time.perf_counter()
    deadline = Deadline.of(time_limit)
    xs, ys = _names(x, "--x"), _names(y, "--y")
    program = _program(F, xs, ys)
    n, m = len(xs), len(ys)
    point = point_values(at, xs + ys)
    residual = exact_value(program, point)
    if any(r != 0 for r in residual):
        raise InputError(_residual_message(program, point, residual))
    rule_obj = rule if isinstance(rule, Rule) else get_rule(rule, overrides)
    if rule_obj.field is not None:
        raise InputError("implicit takes a derivative rule (a preset with overrides), not a hand-written field")
    timeout_ms = int(timeout * 1000)
    timings = {"parse": time.perf_counter() - t0}
    notes: list[str] = []
    needs_closure = not (rule_obj.base == "clarke" and not rule_obj.overrides)
    strat = None
    if needs_closure or clarke or explicit:
        t1 = time.perf_counter()
        try:
            strat = stratify(program, Options(timeout_ms=timeout_ms, deadline=deadline))
        except StratifyError as exc:
            raise InputError(f"F must be locally Lipschitz (path differentiable): {exc}") from None
        timings["stratify"] = time.perf_counter() - t1
        _require_lipschitz(program, strat, timeout_ms, notes)
    t2 = time.perf_counter()
    rows = derivative_at(program, point, rule_obj)
    if needs_closure:
        rows = _with_closure(strat, program, point, rule_obj, rows, notes)
    jac = MatrixSet.from_rows(rows)
    deadline.check("invertibility")
    sing = find_singular(jac.columns(n, n + m), deadline.query_ms(timeout_ms))
    timings["invertibility"] = time.perf_counter() - t2
    clarke_set, clarke_sing = None, None
    if clarke:
        t3 = time.perf_counter()
        deadline.check("clarke")
        clarke_set, clarke_sing = _clarke(program, point, strat, n, m, deadline.query_ms(timeout_ms), notes)
        timings["clarke"] = time.perf_counter() - t3
    comparison = _compare(sing, clarke_sing)
    imgs, membership = (), None
    if sing.status == "singular":
        verdict = NOT_INVERTIBLE
        reason = (f"conv J_F(x̂, ŷ) contains a singular B ({_fmt_matrix(sing.witness_matrix)}, "
                  f"{_fmt_weights(jac.columns(n, n + m), sing.weights)}): the conservative implicit function "
                  "theorem does not apply")
    elif sing.status == "invertible":
        verdict = INVERTIBLE
        imgs = tuple(images(jac, n))
        reason = (f"every B in conv J_F(x̂, ŷ) is invertible (det(B) {'>' if sing.det_sign > 0 else '<'} 0 on the "
                  f"whole set): G exists near x̂ and J_G(x̂) = {{-B^{{-1}}A}} is a conservative Jacobian of G")
        if member is not None:
            membership = image_membership(jac, n, _as_jacobian(member, m, n), timeout_ms)
    else:
        verdict, reason = UNKNOWN, sing.reason
    g, calculus = None, None
    if explicit and strat is not None and (verdict == INVERTIBLE or (clarke_sing and clarke_sing.status == "invertible")):
        if is_piecewise_linear(strat):
            t4 = time.perf_counter()
            g = explicit_implicit(program, strat, n, point, timeout_ms)
            if clarke_set is not None and clarke_sing.status == "invertible" and g.clarke_vertices:
                calculus = clarke_calculus(g.clarke_vertices, clarke_set,
                                           jac if verdict == INVERTIBLE else None, n, timeout_ms)
            timings["explicit"] = time.perf_counter() - t4
        else:
            notes.append("F is not piecewise linear: G itself is not computed (only its conservative Jacobian)")
    return ImplicitResult(program, tuple(xs), tuple(ys), point, rule_obj, verdict, reason, jac, sing, clarke_set,
                          clarke_sing, comparison, imgs, membership, g, calculus, tuple(notes), timings)


def _require_lipschitz(program: Program, strat: Stratification, timeout_ms: int, notes: list[str]) -> None:
    from semialg.checks.lipschitz import NOT_LIPSCHITZ, UNDECIDED, lipschitz, needs_check
    if not needs_check(program):
        return
    lip = lipschitz(program, strat, timeout_ms)
    if lip.status == NOT_LIPSCHITZ:
        j = lip.witness
        raise InputError(f"F must be locally Lipschitz (path differentiable), but it jumps at "
                         f"({', '.join(fmt_exact(v) for v in j.point)}): value ({', '.join(fmt_exact(v) for v in j.value)}),"
                         f" limit ({', '.join(fmt_exact(v) for v in j.limit)}) from stratum {j.neighbour}")
    if lip.status == UNDECIDED:
        notes.append(f"continuity of F was not decided ({lip.reason})")


def _with_closure(strat: Stratification, program: Program, point, rule: Rule, rows, notes: list[str]):
    """Add the limits of the rule's field from every neighbouring stratum (the closure of its graph)."""
    home = strat.locate(point)
    out = [list(r) for r in rows]
    for cid in strat.above[home.id]:
        try:
            fields = field_polys(strat, strat.strata[cid], rule)
        except OverflowError as exc:
            notes.append(f"stratum {cid}: {exc}")
            continue
        for k, vertices in enumerate(fields):
            for g in vertices:
                v = tuple(p.eval(point) for p in g)
                if v not in out[k]:
                    out[k].append(v)
    if not strat.complete:
        notes.append("the stratification is incomplete (" + "; ".join(strat.reasons) + "): limits may be missing")
    return [sorted(r) for r in out]


def _clarke(program, point, strat, n, m, timeout_ms, notes):
    from semialg.checks.clarke import NotLipschitzError, UndecidedError, clarke_at
    try:
        cr = clarke_at(program, point, stratification=strat, timeout=timeout_ms / 1000)
    except NotLipschitzError as exc:
        raise InputError(f"F must be locally Lipschitz: {exc}") from None
    except UndecidedError as exc:
        notes.append(f"Clarke's Jacobian was not computed: {exc}")
        return None, None
    cset = MatrixSet.hull(cr.vertices)
    return cset, find_singular(cset.columns(n, n + m), timeout_ms)


def _compare(sing: Singularity, clarke_sing: Singularity | None) -> str:
    if clarke_sing is None or "unknown" in (sing.status, clarke_sing.status):
        return ""
    c_ok, j_ok = clarke_sing.status == "invertible", sing.status == "invertible"
    if c_ok and j_ok:
        return "the conditions agree: every B of Jac^c F and of conv J_F is invertible"
    if not c_ok and not j_ok:
        return "the conditions agree: both Jac^c F and conv J_F contain a singular B"
    if c_ok:
        return ("the conditions differ: every B of Clarke's Jacobian is invertible (Clarke's theorem gives a Lipschitz "
                "G), but the rule's conservative Jacobian, which is larger, contains a singular B: the chain rule's "
                "J_F gives no J_G here")
    return ("the conditions differ the other way: Jac^c F contains a singular B but conv J_F does not; since "
            "Jac^c F ⊂ conv D for every conservative D (theory §4), the rule is not conservative for F here")


# --------------------------------------------------------------------------- formatting helpers
def _fmt_matrix(mx) -> str:
    if mx is None:
        return "?"
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in mx) + "]"


def _fmt_weights(bset: MatrixSet, weights) -> str:
    if weights is None:
        return ""
    parts = []
    for g, ws in enumerate(bset.split_weights(weights)):
        parts.append("(" + ", ".join(fmt_exact(w) for w in ws) + ")")
    label = "weights per row" if len(parts) > 1 else "weights"
    return f"{label} {', '.join(parts)}"
