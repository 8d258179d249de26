"""The strata of a program inside an open box, without putting the box into the stratification.

A box in ``n`` variables is ``2n`` hyperplanes; given to the stratifier as a domain they take
part in the arrangement (a 20-variable box alone has ``3^20`` faces). Instead the program is
first pruned on the box (:func:`~semialg.frontends.prune.prune`: exact, equal to the program on
the closed box), stratified on the whole space, and then each stratum ``S`` is intersected with
the open box ``B``:

* ``S ∩ B`` is empty: the stratum is dropped (an exact solver answer);
* otherwise ``S ∩ B`` is open in ``S`` (``B`` is open), so it is a C^1 manifold of the same
  dimension; its conditions are those of ``S`` and the ``2n`` strict bounds of ``B``, and its
  sample a point of it (the old one if it lies in ``B``, else the solver's exact model).

Adjacency: for strata ``S'`` and ``S`` that both meet ``B``, ``S' ∩ B`` lies in the closure of
``S ∩ B`` exactly when ``S'`` lies in the closure of ``S`` (one direction: a point of ``S' ∩ B``
is a limit of points of ``S`` that are eventually in the open ``B``; the other: the frontier
condition of the stratification), so ``above`` is the old relation restricted to the kept strata.
Everything downstream (the projection formula, Clarke sets, critical points) then asks its
questions on ``S ∩ B`` only: a verdict is about the open box.

Each stratum's own conditions come first; :attr:`Stratum.shown` says how many, so reports print
the box once instead of ``2n`` bounds per stratum.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Sequence

from semialg import smt
from semialg.core.budget import Deadline
from semialg.core.poly import Poly
from semialg.frontends.domains import Box
from semialg.core.primitives import POS

__all__ = ["in_box", "box_conditions"]


def box_conditions(box: Box, n: int) -> tuple:
    """The open box as strict sign conditions ``x_i - (c_i - r) > 0`` and ``(c_i + r) - x_i > 0``."""
    out = []
    for i, c in enumerate(box.center):
        x = Poly.variable(n, i)
        out += [(x - (c - box.radius), POS), (Poly.constant(n, c + box.radius) - x, POS)]
    return tuple(out)


def _strictly_inside(point: Sequence, box: Box) -> bool:
    return all(isinstance(v, Fraction) and abs(v - c) < box.radius for v, c in zip(point, box.center))


@dataclass(frozen=True)
class _BoxLocator:
    """Locates a point among the kept strata: the old locator, then the id map; None outside the box."""

    inner: object
    new_id: dict
    box: Box

    def locate(self, point):
        if not _strictly_inside(point, self.box):
            return None
        found = self.inner.locate(point) if self.inner is not None else None
        return None if found is None else self.new_id.get(found)


def in_box(strat, box: Box, timeout_ms: int | None = 10_000, deadline: Deadline | None = None):
    """``strat`` (a Stratification of the whole space) cut to the open ``box``: the strata that
    meet it, with the box's bounds added to their conditions and a sample inside it, renumbered,
    ``above`` restricted, ``domain`` set to the box. A stratum whose intersection with the box
    the solver cannot decide is kept (with its old sample) and the result marked incomplete.
    ``deadline``: checked before each stratum (raises :class:`~semialg.core.budget.TimeLimitReached`)."""
    n = strat.n
    bounds = box_conditions(box, n)
    kept, new_id, reasons = [], {}, list(strat.reasons)
    deadline = deadline or Deadline(None)
    for s in strat.strata:
        deadline.check("cutting the strata to the box", s.id, len(strat.strata), unit="strata")
        sample = s.sample
        if not _strictly_inside(sample, box):
            answer = smt.check(tuple(s.conditions) + bounds, n, deadline.query_ms(timeout_ms))
            if answer.status == smt.UNSAT:
                continue
            if answer.status == smt.SAT:
                sample = tuple(answer.point)
            else:
                reasons.append(f"whether stratum {s.id} meets the box is undecided ({answer.reason})")
        new_id[s.id] = len(kept)
        kept.append(replace(s, id=len(kept), conditions=tuple(s.conditions) + bounds, sample=sample,
                            shown=len(s.conditions)))
    above = tuple(tuple(sorted(new_id[a] for a in strat.above[old] if a in new_id))
                  for old in new_id)
    stats = dict(strat.stats, box_strata_dropped=len(strat.strata) - len(kept))
    return replace(strat, strata=tuple(kept), above=above, complete=strat.complete and len(reasons) == len(strat.reasons),
                   reasons=tuple(reasons), stats=stats, tree=_BoxLocator(strat.tree, new_id, box),
                   in_domain=None, domain=box, _walks={}, _values={})
