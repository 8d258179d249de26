"""``check(..., domain=Segment)`` for a piecewise-linear program: the exact line walk.

When the program has a piecewise-linear normal form (:mod:`semialg.frontends.normal_form`) and the
rule is a preset or override :class:`~semialg.rules.Rule` (not a hand-written field), the strata of
the restricted program ``t -> f(a + t (b - a))`` in ``[0, 1]`` are exactly the breakpoints of the
line walk (:mod:`semialg.stratification.linewalk`, dimension 0) and the open intervals between them
(dimension 1): on a segment every cell of the branch tree is an interval, and one branch pattern is
one interval. On a 1-dimensional stratum the projection formula says the rule's derivative along
the segment equals ``f``'s slope there; the walk decides exactly that, interval by interval, so the
verdict means what the general path's does (the chain rule along the segment). Several outputs:
every output on every interval (a Jacobian's rows).

:func:`~semialg.checks.conservative.check` builds its result from these strata. Anything else
returns None and :func:`~semialg.checks.conservative.check` takes the general path
unchanged: no normal form, a hand-written field, a rule without an entry for a kink, or a rule that
is set-valued on an open interval (the general path's vertex calculus combines sets along every
path of the DAG; the walk combines one vertex per kink, a smaller set).

>>> from semialg.frontends.domains import Segment
>>> from semialg.rules import get_rule
>>> from semialg.frontends.text import parse
>>> walk, restriction, strat = linewalk_strata(parse("relu(x - y)"), get_rule("pytorch"), Segment([0, 1], [2, 0]))
>>> walk.holds, strat.stats["method"], [s.sample for s in strat.strata if s.dim == 0]
(True, 'linewalk', [(Fraction(0, 1),), (Fraction(1, 3),), (Fraction(1, 1),)])
"""
from __future__ import annotations

import bisect
from fractions import Fraction

from semialg.core.poly import Poly
from semialg.frontends.domains import Segment
from semialg.frontends.normal_form import NotPiecewiseLinear, normal_form
from semialg.frontends.restrict import Restriction
from semialg.rules import Rule
from semialg.stratification import Stratification, Stratum
from semialg.stratification.linewalk import LineWalk, walk_unit

__all__ = ["linewalk_strata", "stratum_fields", "walk_to_stratification"]


class _SegmentLocator:
    """Which cell of the walk holds ``t``: cell ``2j`` is the breakpoint ``t_j``, ``2j + 1`` the interval after it."""

    def __init__(self, breakpoints):
        self.breakpoints = list(breakpoints)

    def locate(self, point):
        t = Fraction(point[0])
        if t < self.breakpoints[0] or t > self.breakpoints[-1]:
            return None
        j = bisect.bisect_left(self.breakpoints, t)
        return 2 * j if self.breakpoints[j] == t else 2 * j - 1


def walk_to_stratification(walk: LineWalk, restriction: Restriction, kink_nodes) -> Stratification:
    """The walk as the strata of the restricted program in ``[0, 1]``: breakpoints and intervals, in order."""
    names = ("t",)
    t_poly = Poly.variable(1, 0)
    strata = []
    point_labels = list(zip(*walk.point_labels)) if walk.point_labels else [()] * len(walk.breakpoints)
    interval_labels = list(zip(*walk.interval_labels)) if walk.interval_labels else [()] * walk.pieces
    for j, t in enumerate(walk.breakpoints):
        strata.append(Stratum(2 * j, 0, ((t_poly - t, 0),), (t,), point_labels[j],
                              tuple(Poly.constant(1, v) for v in walk.values[j]), names))
        if j < walk.pieces:
            t1 = walk.breakpoints[j + 1]
            piece = tuple(Poly.linear([s], v - s * t) for s, v in zip(walk.slopes[j], walk.values[j]))
            strata.append(Stratum(2 * j + 1, 1, ((t_poly - t, 1), (t_poly - t1, -1)), ((t + t1) / 2,),
                                  interval_labels[j], piece, names))
    above = tuple(tuple(c for c in (s.id - 1, s.id + 1) if 0 <= c < len(strata)) if s.dim == 0 else ()
                  for s in strata)
    stats = dict(walk.stats, solver_calls=0, solver_seconds=0.0)
    return Stratification(restriction.program, tuple(kink_nodes), tuple(strata), above, True, (), stats,
                          _SegmentLocator(walk.breakpoints), domain=restriction)


def _field(vertices, m: int) -> tuple:
    """Per output, the distinct rule values as 1-component gradient vectors (constant polynomials in t)."""
    return tuple(tuple((Poly.constant(1, v),) for v in dict.fromkeys(vertex[k] for vertex in vertices))
                 for k in range(m))


def linewalk_strata(program, rule: Rule, domain):
    """``(walk, restriction, stratification)`` of the line walk of ``program`` along the segment
    ``domain`` with ``rule``, or None when the walk does not apply (the general path then runs)."""
    if (not isinstance(domain, Segment) or not isinstance(rule, Rule) or rule.field is not None
            or len(domain.origin) != program.n_inputs):
        return None   # the general path says what is wrong with the input, as before
    try:
        nf = normal_form(program)
    except NotPiecewiseLinear:
        return None
    restricted = nf.restrict(domain.origin, domain.directions, ("t",))
    walk = walk_unit(restricted, rule)
    if walk.holds is None or walk.set_valued:
        return None
    small, kink_nodes = restricted.to_program_with_kinks()
    restriction = Restriction(small, domain, program, domain.condition_text())
    return walk, restriction, walk_to_stratification(walk, restriction, kink_nodes)


def stratum_fields(walk: LineWalk, strat: Stratification) -> list[tuple[tuple, str]]:
    """Per stratum: the rule's values (per output, 1-component vectors) and the status of the check there."""
    m = len(walk.values[0])
    out = []
    for s in strat.strata:
        if s.dim == 0:
            out.append((_field(walk.point_tangents[s.id // 2], m), "skipped"))
        else:
            failing = walk.witness is not None and walk.witness["interval"] == s.id // 2
            out.append((_field(walk.tangents[s.id // 2], m), "no" if failing else "yes"))
    return out
