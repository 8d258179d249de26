"""Is the program continuous, hence locally Lipschitz? (theory §4, step 1)

A continuous piecewise-polynomial map is locally Lipschitz. A composition of
continuous primitives is continuous, so only programs with ``where`` or a
discontinuous primitive need work: for every stratum ``S`` and neighbour above
``C``, the pieces must agree on ``S`` (``f_C = f_S``); a point of ``S`` in the
closure of ``C`` where they differ is a jump, re-checked exactly.

``floor`` and ``round`` jump at infinitely many places; on ``-2 <= a < 2`` (``floor``)
or near ``a = 1/2`` (``round``) they equal a ``where`` with finitely many steps, and a
jump of that surrogate is a jump of the program when every such argument lies strictly
inside its window both at the point and in the limit from the neighbour.

>>> from semialg.frontends.text import parse
>>> r = lipschitz(parse("where(x > 0, 1, 0)"))
>>> r.status, r.witness.point, r.witness.value, r.witness.limit
('not_lipschitz', (Fraction(0, 1),), (Fraction(0, 1),), (Fraction(1, 1),))
>>> lipschitz(parse("where(x > 0, x, 0)")).status
'lipschitz'
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from semialg.checks.geometry import NO, UNKNOWN, all_vanish_on, in_closure_at
from semialg.core import primitives
from semialg.core.dag import Node, Program
from semialg.frontends.coerce import as_program
from semialg.stratification import Options, Stratification, stratify

LIPSCHITZ, NOT_LIPSCHITZ, UNDECIDED = "lipschitz", "not_lipschitz", "unknown"
_WINDOWS = {"floor": (Fraction(-2), Fraction(2)), "round": (Fraction(-1, 2), Fraction(3, 2))}


@dataclass(frozen=True)
class Jump:
    """A discontinuity: at ``point`` (in stratum ``stratum``) the program is ``value``,
    while its limit from the neighbouring stratum ``neighbour`` is ``limit``."""

    stratum: int
    neighbour: int
    point: tuple
    value: tuple
    limit: tuple


@dataclass(frozen=True)
class LipschitzResult:
    """Whether a program is locally Lipschitz: ``status`` (lipschitz / not_lipschitz / undecided),
    the jump that proves it is not, and the reason. ``bool`` is True when it is Lipschitz.

    >>> r = lipschitz("where(x > 0, 1, 0)")
    >>> bool(r), r.to_json()["witness"]["limit"]
    (False, ['1'])
    """

    status: str
    witness: Jump | None = None
    reason: str = ""

    def __bool__(self) -> bool:
        return self.status == LIPSCHITZ

    def to_json(self) -> dict:
        """``{"verdict", "reason", "witness"}`` with exact numbers as text."""
        from semialg.report import exact_list
        j = self.witness
        witness = None if j is None else {"kind": "jump", "stratum": j.stratum, "neighbour": j.neighbour,
                                          "point": exact_list(j.point), "value": exact_list(j.value),
                                          "limit": exact_list(j.limit)}
        return {"verdict": self.status, "reason": self.reason, "witness": witness}

    def to_text(self) -> str:
        why = self.reason or ("the function jumps" if self.witness is not None else "")
        lines = [f"{self.status.upper().replace('_', ' ')}: {why}"]
        if self.witness is not None:
            j = self.witness
            lines.append(f"  at {tuple(str(v) for v in j.point)} the value is {tuple(str(v) for v in j.value)}; "
                         f"the limit from stratum {j.neighbour} is {tuple(str(v) for v in j.limit)}")
        return "\n".join(lines)


def needs_check(program: Program) -> bool:
    """True unless the program is built from continuous primitives only (then it is continuous)."""
    for node in program.topological_order():
        if node.op == "where" or (node.op in primitives.REGISTRY and not primitives.REGISTRY[node.op].continuous
                                  and not primitives.REGISTRY[node.op].predicate):
            return True
    return False


def surrogate(program: Program) -> tuple[Program, list[tuple[Node, Node]]]:
    """Replace floor/round by their local two-branch models; returns
    (program, [(original node, its argument, the argument in the new program)])."""
    mapping: dict[int, Node] = {}
    replaced = []
    for node in program.topological_order():
        args = [mapping[id(a)] for a in node.args]
        if node.op == "floor":
            new = Node.const(-2)  # floor on [-2, 2): the steps at -1, 0 and 1
            for step in (-1, 0, 1):
                new = Node.make("where", (Node.make("ge", (args[0], Node.const(step))), Node.const(step), new))
            replaced.append((node, node.args[0], args[0]))
        elif node.op == "round":
            new = Node.make("where", (Node.make("gt", (args[0], Node.const(Fraction(1, 2)))), Node.const(1), Node.const(0)))
            replaced.append((node, node.args[0], args[0]))
        else:
            new = Node.make(node.op, args, node.param)
        mapping[id(node)] = new
    return Program(program.inputs, tuple(mapping[id(o)] for o in program.outputs)), replaced


def lipschitz(program, strat: Stratification | None = None, timeout_ms: int = 10_000,
              options: Options | None = None, variables=None) -> LipschitzResult:
    """Decide whether ``program`` (anything :func:`~semialg.frontends.coerce.as_program` takes)
    is locally Lipschitz (continuous), with a jump as witness."""
    program = as_program(program, variables)
    if not needs_check(program):
        return LipschitzResult(LIPSCHITZ, reason="a composition of continuous primitives is continuous")
    has_floor = any(n.op in _WINDOWS for n in program.topological_order())
    target = program
    replaced: list = []
    if has_floor:
        target, replaced = surrogate(program)
        strat = stratify(target, options or Options(timeout_ms=timeout_ms))
    elif strat is None:
        strat = stratify(program, options or Options(timeout_ms=timeout_ms))
    reasons = []
    for s in strat.asked():   # a jump at a point of the domain, from any side
        for c_id in strat.above[s.id]:
            c = strat.strata[c_id]
            diffs = [pc - ps for pc, ps in zip(c.piece, s.piece)]
            answer = all_vanish_on(s, diffs, timeout_ms)
            if answer.status == UNKNOWN:
                reasons.append(f"continuity across strata {s.id}/{c.id} undecided ({answer.reason})")
                continue
            if answer.status != NO:
                continue
            jump = _confirm(program, strat, s, c, answer.point, replaced, timeout_ms)
            if jump is not None:
                return LipschitzResult(NOT_LIPSCHITZ, jump)
            reasons.append(f"a jump between strata {s.id} and {c.id} could not be re-checked exactly")
    if has_floor:
        return LipschitzResult(UNDECIDED, reason="; ".join(["floor/round: no jump found near a = -1, 0, 1 (floor) / "
                                                            "a = 1/2 (round); other integers are not examined"] + reasons))
    if reasons or not strat.complete:
        return LipschitzResult(UNDECIDED, reason="; ".join(reasons + list(strat.reasons)))
    return LipschitzResult(LIPSCHITZ, reason="the pieces agree across every stratum and neighbour above")


def _confirm(program, strat, s, c, point, replaced, timeout_ms) -> Jump | None:
    """Re-check a jump exactly: the point is in S and in the closure of C, the values differ,
    and (for floor/round) every replaced argument lies inside the window where the surrogate is exact."""
    if not all(isinstance(v, Fraction) for v in point):
        return None
    if not s.contains(point) or in_closure_at(point, c, timeout_ms) is not True:
        return None
    value = tuple(p.eval(point) for p in s.piece)
    limit = tuple(p.eval(point) for p in c.piece)
    if value == limit:
        return None
    if replaced:
        from semialg.numeric import exact_value
        helper = Program(program.inputs, tuple(arg for _, arg, _ in replaced))
        args = exact_value(helper, point)
        for (node, _, _), a in zip(replaced, args):
            lo, hi = _WINDOWS[node.op]
            if not lo < a < hi:
                return None
        # the limit is the surrogate's only if every argument also stays inside its window as the
        # point is approached from the neighbour: its limit there lies strictly inside
        on_c = strat.node_values(c, [new for _, _, new in replaced])
        for node, _, new in replaced:
            lo, hi = _WINDOWS[node.op]
            value_c = on_c[id(new)]
            limit_arg = value_c.eval(point) if hasattr(value_c, "eval") else Fraction(value_c)
            if not lo < limit_arg < hi:
                return None
        if tuple(exact_value(program, point)) != value:
            return None
    return Jump(s.id, c.id, tuple(point), value, limit)
