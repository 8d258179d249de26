"""The nonlinear stages' independent solver questions, asked ahead on other processes.

After the branch-tree walk, a nonlinear program's cells need two kinds of exact answers: each
cell's dimension (:func:`~semialg.stratification.nonlinear.dimension`, a rank question to z3
per nonlinear equality) and, for each pair of a cell and a larger neighbour, the frontier
certificate (:meth:`~semialg.stratification.frontier.Frontier.decide`). Every answer is a
function of the cells' conditions alone, so they can be asked anywhere and in any order.

With ``Options.parallel_map`` set (a ``map(function, items, deadline) -> list`` that runs
elsewhere: :func:`semialg.checks.parallel.dask_map` on a Dask cluster), these functions ask
them in batches before the serial stages run, and hand the answers over: ``refine`` looks each
cell's dimension up, and the frontier's caches are filled, so ``split_leaves`` and the
adjacency stage find their answers there. The serial stages then make the same decisions in
the same order: the strata are those of the serial run. A question they ask that was not
asked ahead (a cell made by a split) is asked at once, as before.

>>> _batches(list(range(5)), 2)
[[0, 1], [2, 3], [4]]
"""
from __future__ import annotations

from typing import Callable, Sequence

from semialg import smt
from semialg.stratification.frontier import Frontier, certified_pairs
from semialg.stratification.nonlinear import dimension

BATCH = 8   # frontier questions per task: each costs milliseconds of z3, a task about one of scheduling
# a dimension question can take a second of z3 (a rank drop on a curve): one per task, to balance


def dimensions(leaves: Sequence, n: int, timeout_ms: int, stats: smt.Stats, parallel_map: Callable,
               deadline=None) -> dict:
    """``{conditions: (dim, reason, splits)}`` for every leaf without a dimension."""
    todo = list(dict.fromkeys(leaf.conds for leaf in leaves if leaf.dim is None))
    if not todo:
        return {}
    answers: dict = {}
    batches = _batches(todo, 1)
    for batch, (results, counts) in zip(batches, parallel_map(dimension_batch, [(b, n, timeout_ms) for b in batches],
                                                              deadline)):
        answers.update(zip(batch, results))
        _add(stats, counts)
    return answers


def dimension_batch(task) -> tuple[list, tuple]:
    """One task: the dimensions of a batch of cells, and the solver work it took."""
    batch, n, timeout_ms = task
    stats = smt.Stats()
    return [dimension(conds, n, timeout_ms, stats) for conds in batch], _counts(stats)


def frontier_answers(leaves: Sequence, frontier: Frontier, n: int, free: int, parallel_map: Callable,
                     deadline=None) -> int:
    """Ask every frontier question ``split_leaves`` starts from and put the answers (and the
    solver answers behind them) into ``frontier``'s caches; returns how many pairs were asked."""
    pairs = certified_pairs(leaves)
    todo = [(s.conds, s.sample, leaves[j].conds) for i, s in enumerate(leaves)
            if s.dim is not None and s.dim != 0 and s.dim != n - free for j in pairs[i]]
    if not todo:
        return 0
    setup = (n, frontier._timeout_ms, frontier.roots, getattr(frontier, "n_user", None))
    for caches, counts in parallel_map(frontier_batch, [(setup, b) for b in _batches(todo, BATCH)], deadline):
        for name, cache in zip(CACHES, caches):
            getattr(frontier, name).update(cache)
        _add(frontier.stats, counts)
    return len(todo)


CACHES = ("_decided", "_meets", "_class", "_independent")


def frontier_batch(task) -> tuple[tuple, tuple]:
    """One task: a fresh frontier decides a batch of pairs; its caches and solver work come back."""
    (n, timeout_ms, roots, n_user), batch = task
    stats = smt.Stats()
    frontier = Frontier(n, timeout_ms, stats, None, roots)
    frontier.n_user = n_user
    for s_conds, sample, c_conds in batch:
        frontier.decide(s_conds, sample, c_conds)
    return tuple(getattr(frontier, name) for name in CACHES), _counts(stats)


def _batches(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _counts(stats: smt.Stats) -> tuple:
    return stats.calls, stats.linear_calls, stats.nonlinear_calls, stats.seconds, stats.unknown, list(stats.reasons)


def _add(stats: smt.Stats | None, counts: tuple) -> None:
    if stats is None:
        return
    calls, linear, nonlinear, seconds, unknown, reasons = counts
    stats.calls += calls
    stats.linear_calls += linear
    stats.nonlinear_calls += nonlinear
    stats.seconds += seconds
    stats.unknown += unknown
    stats.reasons.extend(reasons)
