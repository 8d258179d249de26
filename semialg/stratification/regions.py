"""The regions of a program only: its open cells (theory §2), without the lower-dimensional strata
and without adjacency.

This is what the float region tools (affinitree, regioncam) count for a ReLU network, computed
exactly: the branch tree is walked with every branch that carries an equality skipped, so each
leaf is a nonempty open set on which every branch is fixed (strict sign conditions; a witness
point found exactly). It answers "how many linear regions, and which" and is not a
stratification: the checks need the lower strata and their adjacency (:func:`stratify`).

>>> r = regions("relu(x) + relu(y) + relu(x + y - 1)")
>>> len(r.strata), sorted(len(s.conditions) for s in r.strata), r.complete
(7, [3, 3, 3, 3, 3, 3, 3], True)
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from semialg.core.budget import Deadline
from semialg.core.collector import fewer_collections
from semialg.core.errors import InputError
from semialg.frontends.coerce import as_program
from semialg.frontends.lift import needs_lifting
from semialg.stratification.branch_tree import Options, Walker, _cone_point
from semialg.stratification.strata import Stratum


@dataclass(frozen=True)
class Regions:
    """The open cells of ``program``: ``strata`` (each of full dimension; ``conditions`` strict),
    ``complete`` (False when a solver query was undecided; ``reasons`` says which) and ``stats``."""

    program: object
    strata: tuple[Stratum, ...]
    complete: bool
    reasons: tuple[str, ...]
    stats: dict

    def to_json(self) -> dict:
        """The body of ``semialg strata --regions --json`` (the command adds the common header keys)."""
        from semialg.stratification.render import sample_text
        names = list(self.program.inputs)
        out = {}
        out.update({"regions_only": True, "n_regions": len(self.strata), "complete": self.complete,
                    "reasons": list(self.reasons), "stats": self.stats,
                    "regions": [{"id": s.id, "dim": s.dim, "sample": [sample_text(v) for v in s.sample],
                                 "piece": [p.to_str(names) for p in s.piece], "conditions": s.condition_text()}
                                for s in self.strata]})
        return out

    def to_text(self, limit: int = 64) -> str:
        """A table of the regions (the first ``limit``), after a headline with the count."""
        from semialg.stratification.render import sample_text
        names = list(self.program.inputs)
        lines = [f"{self.program.to_text()}   variables: {', '.join(names)}   {len(self.strata)} regions "
                 f"(open cells only; method: regions, {self.stats['seconds']:.3f} s)"]
        for s in self.strata[:limit]:
            lines.append(f"  {s.id:>4}  ({', '.join(sample_text(v) for v in s.sample)})  "
                         f"piece {', '.join(p.to_str(names) for p in s.piece)}  [{' and '.join(s.condition_text())}]")
        if len(self.strata) > limit:
            lines.append(f"  ... {len(self.strata) - limit} more (--json lists them)")
        lines += [f"note: {r}" for r in self.reasons]
        return "\n".join(lines)


class _Sink:
    """Stands for the walker's list of leaves when the regions are streamed: each leaf is turned
    into its region and handed on at once, and only the count is kept."""

    def __init__(self, make, emit):
        self.make, self.emit, self.count = make, emit, 0

    def append(self, leaf) -> None:
        if leaf.sample is None:
            leaf.sample = _cone_point(leaf.cone)
            leaf.dim = leaf.cone.dim
        self.emit(self.make(self.count, leaf))
        self.count += 1

    def __len__(self) -> int:
        return self.count

    def __iter__(self):
        return iter(())


@fewer_collections()
def regions(program, *, variables=None, timeout: float = 60.0, time_limit: float | None = None,
            progress=None, sink=None) -> Regions:
    """The open cells (linear regions) of ``program``, exactly.

    ``program``: text, a Program, a builder expression or sympy; ``timeout``: seconds per solver
    query (nonlinear kinks only); ``time_limit``: seconds for the whole walk (past it
    :class:`~semialg.core.budget.TimeLimitReached`); ``progress(count, seconds)``: about once a second.
    ``sink``: called with each region as it is found, which is then not kept (``strata`` is
    empty, ``stats["regions"]`` counts them): the output, not the memory, bounds a long run.
    Programs with roots, quotients or norms are refused (their cells live in lifted coordinates).

    >>> regions("abs(x) + abs(y)").stats["regions"]
    4
    >>> seen = []
    >>> regions("relu(x) + relu(y)", sink=seen.append).strata, [tuple(map(str, r.sample)) for r in seen]
    ((), [('-1', '-1'), ('-1', '1'), ('1', '-1'), ('1', '1')])
    """
    program = as_program(program, variables)
    if needs_lifting(program):
        raise InputError("regions of programs with roots, quotients or norms are not computed "
                         "(their cells live in lifted coordinates): use semialg strata")
    t0 = time.perf_counter()
    options = Options(timeout_ms=int(timeout * 1000), method="tree", regions_only=True, progress=progress,
                      deadline=Deadline.of(time_limit))
    n = program.n_inputs
    names = tuple(program.inputs)

    def region(k: int, leaf) -> Stratum:
        if any(s == 0 for _, s in leaf.conds):     # cannot happen: every branch with an equality was skipped
            raise AssertionError("a region with an equality")
        dim = leaf.dim if leaf.cone is not None else n   # strict conditions with a witness: an open set
        if dim != n:
            raise AssertionError(f"region {k} has dimension {dim} < {n}")
        return Stratum(k, n, leaf.conds, tuple(leaf.sample), leaf.labels, leaf.piece, names)

    walker = Walker(program, options)
    if sink is not None:
        walker.leaves = _Sink(region, sink)
    walker.run()
    strata = [] if sink is not None else [region(k, leaf) for k, leaf in enumerate(walker.leaves)]
    count = len(walker.leaves) if sink is not None else len(strata)
    stats = {"method": "regions", "regions": count, "solver_calls": walker.stats.calls,
             "seconds": time.perf_counter() - t0}
    reasons = tuple(dict.fromkeys(walker.reasons))
    return Regions(program, tuple(strata), not reasons, reasons, stats)
