"""A gradcheck-style assertion for test suites: is a derivative rule valid at one point?

:func:`assert_valid` answers exactly, at one rational point ``x``: the rule's value ``D(x)``
(the vertices backprop returns, :func:`semialg.rules.derivative_at`; for a hand-written
``field``, its exact value), the Clarke Jacobian ``Jac^c f(x)``
(:func:`semialg.checks.clarke.clarke_at`), whether ``conv D(x)`` lies in it, whether ``x`` is
an *artificial critical point* (``0 ∈ conv D(x)`` but ``0 ∉ Jac^c f(x)``, theory §6; scalar
functions only), and, when ``radius`` is given, whether the rule is conservative on the box
of that radius around ``x`` (:func:`semialg.checks.conservative.check` with that domain).
When something fails it raises :class:`AssertionError` with the exact numbers, so a pytest
failure explains itself.

>>> assert_valid("relu(x)", at={"x": 0})            # PyTorch's relu'(0) = 0 is in [0, 1]
<LocalReport ok: relu(x) at (x = 0), rule pytorch>
>>> assert_valid("relu(x) - relu(-x)", at={"x": 0}, rule="pytorch")   # the identity, D = {0}
Traceback (most recent call last):
...
AssertionError: assert_valid failed for relu(x) - relu(-x) at (x = 0), rule pytorch:
  - the rule's value is not in the Clarke Jacobian: D = conv{(0)} has (0) outside conv{(1)}
  - (x = 0) is an artificial critical point: 0 is in D = conv{(0)} but not in the Clarke Jacobian conv{(1)}
>>> r = assert_valid("abs(x)", at=[0], field="where(x > 0, 1, 1)", radius=1, raise_on_failure=False)
>>> r.ok, r.in_clarke, r.box_check.verdict, r.box_check.witness.point
(False, True, 'not_conservative', (Fraction(-1, 2),))
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from semialg.checks.clarke import Matrix, NotLipschitzError, UndecidedError, clarke_at, in_hull
from semialg.checks.conservative import CONSERVATIVE, NOT_LIPSCHITZ_V, CheckResult, _field_program, check
from semialg.checks.local import reduction_for
from semialg.core.dag import Program
from semialg.core.errors import InputError
from semialg.frontends.coerce import as_point, as_program
from semialg.frontends.domains import Box
from semialg.rules import Rule, derivative_at, fmt_exact, resolve_rule
from semialg.stratification import StratifyError

__all__ = ["LocalReport", "assert_valid"]

MAX_JACOBIANS = 256
"""For a vector output, the rule's Jacobian vertices are every combination of the outputs' gradient
vertices; more than this many is reported as a problem (not answered)."""


@dataclass(frozen=True, repr=False)
class LocalReport:
    """What :func:`assert_valid` found at one point (every number exact).

    ``value``: the vertices of the rule's value ``D(x)`` (Jacobians: ``m`` rows of ``n``
    Fractions; ``vertex[0]`` is the gradient of a scalar function). ``clarke``: the extreme
    points of the Clarke Jacobian, or None when it could not be computed (``problems`` says
    why: the function jumps, a query was undecided). ``in_clarke``: is ``conv D(x)`` inside
    it (None when unknown); ``outside``: the vertices of ``D(x)`` that are not.
    ``artificial_critical``: ``0 ∈ conv D(x)`` and ``0 ∉ Jac^c f(x)`` (None for a vector
    output or an unknown Clarke set). ``box_check``: the conservativity check on the box of
    ``radius`` around the point (None when no radius was given).
    """

    program: Program
    point: tuple[Fraction, ...]
    rule: Rule
    value: tuple[Matrix, ...]
    clarke: tuple[Matrix, ...] | None
    in_clarke: bool | None
    outside: tuple[Matrix, ...] = ()
    artificial_critical: bool | None = None
    radius: Fraction | None = None
    box_check: CheckResult | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """The value is in the Clarke set, the point is not artificial critical, and the box
        check (if asked) is conservative. Anything unknown is not ok."""
        return (self.in_clarke is True and self.artificial_critical is not True
                and (self.box_check is None or self.box_check.verdict == CONSERVATIVE))

    def __bool__(self) -> bool:
        return self.ok

    @property
    def function(self) -> str:
        return self.program.to_text()

    @property
    def where(self) -> str:
        """The point as text: ``(x = 0, y = 1/2)``."""
        return "(" + ", ".join(f"{v} = {fmt_exact(c)}" for v, c in zip(self.program.inputs, self.point)) + ")"

    @property
    def failures(self) -> tuple[str, ...]:
        """One sentence per failed (or unanswered) question, with the exact numbers; empty when ok."""
        out = []
        value = _fmt_set(self.value)
        if self.clarke is None:
            out.append("the Clarke Jacobian is unknown here, so the rule's value cannot be checked: "
                       + "; ".join(self.problems))
        elif self.in_clarke is None:
            out.append("whether the rule's value is in the Clarke Jacobian is unknown: " + "; ".join(self.problems))
        elif not self.in_clarke:
            out.append(f"the rule's value is not in the Clarke Jacobian: D = {value} has "
                       f"{', '.join(_fmt_matrix(v) for v in self.outside)} outside {_fmt_set(self.clarke)}")
        if self.artificial_critical:
            out.append(f"{self.where} is an artificial critical point: 0 is in D = {value} but not in the Clarke "
                       f"Jacobian {_fmt_set(self.clarke)}")
        if self.box_check is not None and self.box_check.verdict != CONSERVATIVE:
            out.append(_box_failure(self.box_check, self.radius,
                                    Box(self.point, self.radius).condition_text(self.program.inputs)))
        return tuple(out)

    def __repr__(self) -> str:
        status = "ok" if self.ok else f"FAILED ({len(self.failures)} problem{'s' if len(self.failures) != 1 else ''})"
        return f"<LocalReport {status}: {self.function} at {self.where}, rule {self.rule.name}>"

    def message(self) -> str:
        """The text of the :class:`AssertionError` :func:`assert_valid` raises (or ``ok`` lines)."""
        if self.ok:
            return f"assert_valid passed for {self.function} at {self.where}, rule {self.rule.name}"
        return (f"assert_valid failed for {self.function} at {self.where}, rule {self.rule.name}:\n"
                + "\n".join(f"  - {f}" for f in self.failures))

    def to_text(self) -> str:
        """Every answer, one per line.

        >>> print(assert_valid("abs(x)", at=[0]).to_text())
        abs(x) at (x = 0), rule pytorch: OK
          rule's value D = conv{(0)}
          Clarke Jacobian = conv{(-1), (1)}
          D inside the Clarke Jacobian: yes
          artificial critical point: no
        """
        lines = [f"{self.function} at {self.where}, rule {self.rule.name}: {'OK' if self.ok else 'FAILED'}",
                 f"  rule's value D = {_fmt_set(self.value)}",
                 f"  Clarke Jacobian = {_fmt_set(self.clarke) if self.clarke is not None else 'unknown'}",
                 f"  D inside the Clarke Jacobian: {_yes_no(self.in_clarke)}"]
        if self.program.n_outputs == 1:
            lines.append(f"  artificial critical point: {_yes_no(self.artificial_critical)}")
        if self.box_check is not None:
            lines.append(f"  on the box of radius {fmt_exact(self.radius)}: {self.box_check.verdict.upper().replace('_', ' ')} "
                         f"({self.box_check.reason})")
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  failed: {f}" for f in self.failures]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """A JSON object, exact numbers as strings (``"1/2"``).

        >>> j = assert_valid("max(x, 0)", at=[0], rule="pytorch").to_json()
        >>> j["value"], j["clarke"], j["ok"]
        ([['1/2']], [['0'], ['1']], True)
        """
        from semialg.report import header, vertices_json
        out = header("assert_valid", self.function, list(self.program.inputs))
        out.update({"point": [fmt_exact(c) for c in self.point], "rule": self.rule.name, "ok": self.ok,
                    "value": vertices_json(self.value),
                    "clarke": None if self.clarke is None else vertices_json(self.clarke),
                    "in_clarke": self.in_clarke, "outside": vertices_json(self.outside),
                    "artificial_critical": self.artificial_critical,
                    "radius": None if self.radius is None else fmt_exact(self.radius), "box_check": None,
                    "problems": list(self.problems), "failures": list(self.failures)})
        if self.box_check is not None:
            out["box_check"] = _box_json(self.box_check)
        return out

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self) if cycle else self.to_text())


def assert_valid(f, at, rule: str | Rule | None = "pytorch", radius=None, variables=None,
                 overrides: Sequence[str] = (), field=None, timeout: float = 60.0,
                 raise_on_failure: bool = True, data=None) -> LocalReport:
    """Check a derivative rule at one point, exactly; raise :class:`AssertionError` if it fails.

    ``f``: text, a :class:`~semialg.core.dag.Program`, a builder expression (anything
    :func:`~semialg.frontends.coerce.as_program` takes); ``at``: the point (a dict, a
    sequence in the order of the variables, or ``"x=1/2,y=0"``); ``rule``: ``pytorch``,
    ``jax``, ``tensorflow``, ``clarke`` or a :class:`~semialg.rules.Rule`; ``overrides``:
    strings such as ``"relu'(0)=1"``; ``field``: a hand-written derivative (one component per
    variable; rows separated by ``;`` for a vector output) that replaces the rule (leave
    ``rule`` at its default, or None, with it). ``radius``: also check conservativity on the
    box ``|x_i - at_i| <= radius``. ``timeout``: seconds per solver query.

    Fails (``ok`` False) when ``conv D(x)`` leaves the Clarke Jacobian, when ``x`` is an
    artificial critical point, when the box check is not conservative (the witness is in
    the message: its point, direction and the two rates) or unknown, and when a question
    cannot be answered (the function jumps at ``x``, an undecided query). With
    ``raise_on_failure=False`` the :class:`LocalReport` is returned either way.

    Bad input (a point of the wrong length, ``radius <= 0``, an unknown rule, a field with the
    wrong number of components) raises :class:`~semialg.core.errors.InputError`.

    >>> assert_valid("max(x, y)", at="x=1,y=1", rule="tensorflow").value   # first argument wins a tie
    (((Fraction(1, 1), Fraction(0, 1)),),)
    >>> assert_valid("relu(x)", at=[0], radius=0)
    Traceback (most recent call last):
    ...
    semialg.core.errors.InputError: the box's radius must be positive, got 0
    """
    program = as_program(f, variables, data)   # data=: the mean over fixed data points, in the parameters
    point = as_point(at, program.inputs)
    if not isinstance(timeout, (int, float, Fraction)) or isinstance(timeout, bool) or timeout <= 0:
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    box = None if radius is None else Box(point, radius)
    field_program = _field_program(field, program)
    if field_program is not None and rule == "pytorch":
        rule = None   # the default preset gives way to a hand-written field
    rule_obj = resolve_rule(rule, overrides, field_program, program)
    reduction = reduction_for(program, point) if rule_obj.field is None else None
    if reduction is not None and reduction.dim == 0:
        per_output = [[g0] for g0 in reduction.linear]
    elif reduction is not None:   # many inputs: the rule's value is g0 + D_H(0) B (semialg.frontends.reduce)
        per_output = [[reduction.gradient_of([list(v) if k == j else [Fraction(0)] * reduction.dim
                                              for j in range(len(reduction.linear))])[k] for v in vertices]
                      for k, vertices in enumerate(derivative_at(reduction.program, [Fraction(0)] * reduction.dim,
                                                                 rule_obj))]
    else:
        per_output = derivative_at(program, point, rule_obj)
    value = _jacobian_vertices(per_output, program.n_inputs)
    problems: list[str] = []
    if value is None:
        problems.append(f"the rule's value has more than {MAX_JACOBIANS} Jacobian vertices")
        value = ()
    clarke = None
    try:
        clarke = clarke_at(program, point, timeout=timeout).vertices   # reduced coordinates for many inputs
    except NotLipschitzError as exc:
        problems.append(str(exc))
    except (UndecidedError, StratifyError) as exc:
        problems.append(str(exc))
    in_clarke, outside, artificial = None, (), None
    if clarke is not None and value:
        hull = [_flat(v) for v in clarke]
        try:
            outside = tuple(v for v in value if not in_hull(_flat(v), hull, int(timeout * 1000)))
            in_clarke = not outside
            if program.n_outputs == 1:
                zero = (Fraction(0),) * program.n_inputs
                artificial = in_hull(zero, [_flat(v) for v in value], int(timeout * 1000)) and not in_hull(zero, hull)
        except UndecidedError as exc:
            problems.append(str(exc))
    box_check = None
    if box is not None:
        box_check = check(program, rule=rule_obj, domain=box, timeout=timeout)
    report = LocalReport(program, point, rule_obj, value, clarke, in_clarke, outside, artificial,
                         None if box is None else box.radius, box_check, tuple(problems))
    if raise_on_failure and not report.ok:
        raise AssertionError(report.message())
    return report


# --------------------------------------------------------------------------- helpers
def _jacobian_vertices(per_output: list, n: int) -> tuple[Matrix, ...] | None:
    """Every combination of the outputs' gradient vertices, as Jacobians (None: too many)."""
    combos = list(itertools.islice(itertools.product(*per_output), MAX_JACOBIANS + 1))
    if len(combos) > MAX_JACOBIANS:
        return None
    return tuple(sorted({tuple(tuple(Fraction(c) for c in row) for row in combo) for combo in combos}))


def _flat(matrix: Matrix) -> tuple[Fraction, ...]:
    return tuple(v for row in matrix for v in row)


def _fmt_vector(values) -> str:
    return "(" + ", ".join(fmt_exact(v) for v in values) + ")"


def _fmt_matrix(matrix: Matrix) -> str:
    """``(1, 0)`` for a gradient, ``[1, 0; 0, 1]`` for a Jacobian (its rows)."""
    if len(matrix) == 1:
        return _fmt_vector(matrix[0])
    return "[" + "; ".join(", ".join(fmt_exact(v) for v in row) for row in matrix) + "]"


def _fmt_set(vertices) -> str:
    return "conv{" + ", ".join(_fmt_matrix(v) for v in vertices) + "}"


def _yes_no(answer: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[answer]


def _box_failure(result: CheckResult, radius: Fraction, condition: str) -> str:
    """The box check's failure as one sentence with its exact witness."""
    box = f"on the box of radius {fmt_exact(radius)} around the point ({condition})"
    w = result.witness
    if result.verdict == NOT_LIPSCHITZ_V and result.jump is not None:
        j = result.jump
        return (f"{box} the function is not locally Lipschitz: it jumps at {_fmt_vector(j.point)}, where its value "
                f"is {_fmt_vector(j.value)} but its limit from stratum {j.neighbour} is {_fmt_vector(j.limit)}")
    if w is not None:
        output = f" (output {w.output})" if result.program.n_outputs > 1 else ""
        return (f"{box} the rule is not conservative{output}: at the point {_fmt_vector(w.point)}, along the "
                f"direction {_fmt_vector(w.direction)}, f changes at rate {fmt_exact(w.derivative_along_curve)} "
                f"but the rule's value {_fmt_vector(w.field_value)} gives {fmt_exact(w.field_along_curve)}")
    return f"{box} conservativity is unknown ({result.verdict}): {result.reason}"


def _box_json(result: CheckResult) -> dict:
    out = {"verdict": result.verdict, "reason": result.reason, "witness": None}
    w = result.witness
    if w is not None:
        out["witness"] = {"stratum": w.stratum, "output": w.output, "point": [fmt_exact(v) for v in w.point],
                          "direction": [fmt_exact(v) for v in w.direction],
                          "derivative_along_curve": fmt_exact(w.derivative_along_curve),
                          "field_along_curve": fmt_exact(w.field_along_curve),
                          "field_value": [fmt_exact(v) for v in w.field_value]}
    if result.jump is not None:
        j = result.jump
        out["witness"] = {"kind": "jump", "point": [fmt_exact(v) for v in j.point],
                          "value": [fmt_exact(v) for v in j.value], "limit": [fmt_exact(v) for v in j.limit]}
    return out
