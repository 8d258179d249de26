"""The per-stratum checks on more than one process or machine, with Dask distributed.

Each stratum's projection-formula question needs only its own field and its neighbours' above
(:mod:`semialg.checks.projection`), so the strata are cut into blocks of consecutive ids, the
stratification is sent once to every worker, and each block is one task running the serial walk
(:func:`~semialg.checks.projection.check_block`). The merge puts the blocks back in order and
keeps the serial run's rule that the first witness (in stratum order) ends the checking: every
later stratum is reported ``not_checked``, and its notes are dropped, so the reports, the
witness and the unknowns are those of the serial run.

``workers=N`` starts N local worker processes (one thread each: the checks are pure Python and
hold the GIL); ``scheduler="tcp://host:8786"`` uses a running cluster, whose workers need
semialg installed. Dask is an optional dependency (``pip install "semialg[distributed]"``).

>>> from semialg.checks.conservative import check
>>> with cluster(workers=2) as client:                     # doctest: +SKIP
...     check("abs(x) + abs(y)", client=client).verdict
'conservative'
"""
from __future__ import annotations

import contextlib
import math
import time
from typing import Callable

from semialg.checks.projection import NOT_CHECKED, StratumReport, check_block
from semialg.core.budget import Deadline
from semialg.core.errors import InputError

MIN_BLOCK = 64        # strata per task at least: a Dask task costs about a millisecond to schedule
BLOCKS_PER_WORKER = 8  # enough blocks to balance workers whose strata cost unequal times


def available() -> bool:
    """Is Dask distributed installed?"""
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def cluster(workers: int | None = None, scheduler: str | None = None):
    """A Dask client: on ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``) or on a new
    local cluster of ``workers`` processes, closed on exit."""
    if not available():
        raise InputError("--workers and --scheduler need Dask distributed: pip install \"semialg[distributed]\" "
                         "(or pip install \"dask[distributed]\")")
    from distributed import Client, LocalCluster
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}; start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        try:
            yield client
        finally:
            client.close()
        return
    if workers is None or workers < 1:
        raise InputError(f"--workers takes a positive number of processes, not {workers}")
    local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                         silence_logs=50)
    client = Client(local)
    try:
        yield client
    finally:
        client.close()
        local.close()


def dask_map(client) -> Callable:
    """``map(function, items, deadline) -> list`` on ``client``'s workers, in order (the
    stratifier's ``Options.parallel_map``); on the deadline or Ctrl-C the tasks are cancelled."""
    def run(function, items, deadline=None):
        futures = client.map(function, items, pure=False)
        _wait(client, futures, deadline or Deadline(None), "solver questions asked ahead")
        return client.gather(futures)
    return run


def _wait(client, futures, deadline: Deadline, phase: str, progress=None, sizes=None, total=None) -> None:
    """Wait for ``futures``, checking ``deadline`` and reporting ``progress`` about once a second."""
    from distributed import wait
    t0 = last = time.perf_counter()
    pending = set(futures)
    try:
        while pending:
            deadline.check(phase, len(futures) - len(pending), len(futures), unit="tasks")
            if progress is not None and time.perf_counter() - last > 1.0:
                last = time.perf_counter()
                done = sum(size for size, f in zip(sizes, futures) if f not in pending)
                progress(phase, done, last - t0, total)
            try:
                pending = set(wait(list(pending), timeout=0.5, return_when="FIRST_COMPLETED").not_done)
            except TimeoutError:   # none finished within the half second: check the deadline again
                pass
    except BaseException:
        client.cancel(futures)
        raise


def worker_count(client) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))


def blocks(n_strata: int, n_workers: int) -> list[range]:
    """Consecutive id ranges: about ``BLOCKS_PER_WORKER`` per worker, none under ``MIN_BLOCK``.

    >>> [(b.start, b.stop) for b in blocks(200, 2)]
    [(0, 64), (64, 128), (128, 192), (192, 200)]
    """
    size = max(MIN_BLOCK, math.ceil(n_strata / (n_workers * BLOCKS_PER_WORKER)))
    return [range(i, min(i + size, n_strata)) for i in range(0, n_strata, size)]


def projection_checks_on(client, strat, rule, timeout_ms: int, progress=None, method: str = "algebra",
                         deadline: Deadline | None = None):
    """:func:`~semialg.checks.projection.projection_checks` with the blocks run on ``client``'s
    workers: the same ``(reports, witness, unknowns)``."""
    deadline = deadline or Deadline(None)
    parts = blocks(len(strat.strata), worker_count(client))
    shared_strat = client.scatter(strat, broadcast=True, hash=False)
    shared_rule = client.scatter(rule, broadcast=True, hash=False)
    seconds_left = None if deadline.end is None else max(0.0, deadline.end - time.monotonic())
    futures = [client.submit(check_block, shared_strat, shared_rule, part, timeout_ms, method, seconds_left,
                             pure=False) for part in parts]
    _wait(client, futures, deadline, "check", progress, [len(p) for p in parts], len(strat.strata))
    return merge(strat, client.gather(futures))


def merge(strat, results) -> tuple:
    """The blocks' answers in stratum order, as the serial walk gives them: field notes first
    (every stratum's, in order), then the checks' notes up to the first witness; after it every
    stratum of positive dimension is ``not_checked``."""
    reports, field_notes, check_notes, witness = [], [], [], None
    for block_reports, block_witness, block_field_notes, block_notes in results:
        field_notes.extend(block_field_notes)
        if witness is None:
            reports.extend(StratumReport(strat.strata[i], f, status, reason) for i, f, status, reason in block_reports)
            check_notes.extend(block_notes)
            witness = block_witness
            continue
        for i, f, status, reason in block_reports:
            s = strat.strata[i]
            if s.dim is None:
                check_notes.append(f"stratum {i}: dimension unknown ({s.reason})")
            elif s.dim != 0:
                status, reason = NOT_CHECKED, "a witness was already found"
            reports.append(StratumReport(s, f, status, reason))
    return tuple(reports), witness, field_notes + check_notes
