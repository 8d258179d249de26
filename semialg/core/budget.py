"""A deadline for a whole command, and the record of how far it got.

A :class:`Deadline` is made once per command (``time_limit=`` in the API,
``--time-limit`` on the command line) and passed down explicitly (through
``stratification.Options.deadline`` and function arguments: no global state).
The hot loops call :meth:`Deadline.check` with the phase they are in and how
much is done; when the time is up it raises :class:`TimeLimitReached`, which the
check functions turn into an *unknown* verdict with :meth:`Deadline.reason`.
A solver query gets ``min(per-query limit, time remaining)`` by
:meth:`Deadline.query_ms`. The last phase and counts noted also let a Ctrl-C
(``KeyboardInterrupt``) be reported as "interrupted during ... (... so far)".

``Deadline(None)`` never expires but still records progress.

>>> d = Deadline(None)
>>> d.expired(), d.remaining_ms(), d.query_ms(5000), d.query_ms(0)
(False, None, 5000, 0)
>>> d.check("stratify", 1234, unit="strata")
>>> d.reason(interrupted=True)
'interrupted (Ctrl-C) during stratify (1,234 strata so far)'
>>> late = Deadline(0.0)
>>> late.expired(), late.query_ms(5000)
(True, 1)
>>> try:
...     late.check("check", 3, 10, unit="strata")
... except TimeLimitReached as exc:
...     print(exc)
time limit of 0 s reached during check (3/10 strata so far)
"""
from __future__ import annotations

import time


class TimeLimitReached(Exception):
    """The whole-command time limit ran out during ``phase`` (``str(exc)`` is the reason).

    Deliberately not a :class:`~semialg.core.errors.SemialgError`: it is not a user error
    (exit 2) but an unknown answer (exit 3), caught where a partial answer exists.
    """

    def __init__(self, phase: str, reason: str):
        self.phase = phase
        super().__init__(reason)


class Deadline:
    """A monotonic-clock deadline ``seconds`` from now (None: no limit) plus the progress noted.

    Mutable on purpose (the phase and counts noted by the loops); one per command.
    """

    __slots__ = ("seconds", "end", "phase", "done", "total", "unit")

    def __init__(self, seconds: float | None = None):
        if seconds is not None and seconds < 0:
            seconds = 0.0
        self.seconds = seconds
        self.end = None if seconds is None else time.monotonic() + seconds
        self.phase, self.done, self.total, self.unit = "start", None, None, ""

    @classmethod
    def of(cls, time_limit: "float | Deadline | None") -> "Deadline":
        """A Deadline from ``time_limit`` (seconds, None or 0: none; or an existing Deadline, shared)."""
        if isinstance(time_limit, Deadline):
            return time_limit
        return cls(time_limit if time_limit else None)

    def expired(self) -> bool:
        return self.end is not None and time.monotonic() >= self.end

    def remaining_ms(self) -> int | None:
        """Milliseconds left (0 when expired), None without a limit."""
        if self.end is None:
            return None
        return max(0, int((self.end - time.monotonic()) * 1000))

    def query_ms(self, timeout_ms: int | None) -> int | None:
        """The limit for one solver query: ``min(timeout_ms, remaining)`` (``timeout_ms`` None or 0 is
        no per-query limit); at least 1 ms once a deadline is set, so the query stops at once."""
        left = self.remaining_ms()
        if left is None:
            return timeout_ms
        left = max(1, left)
        return left if not timeout_ms else min(int(timeout_ms), left)

    def note(self, phase: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        """Record the phase and how much of it is done (for the reason given on a limit or Ctrl-C)."""
        self.phase, self.done, self.total, self.unit = phase, done, total, unit

    def check(self, phase: str, done: int | None = None, total: int | None = None, unit: str = "") -> None:
        """:meth:`note` the progress, then raise :class:`TimeLimitReached` if the time is up."""
        self.phase, self.done, self.total, self.unit = phase, done, total, unit
        if self.end is not None and time.monotonic() >= self.end:
            raise TimeLimitReached(phase, self.reason())

    def progress_text(self) -> str:
        """``"1,234 strata so far"`` / ``"40/129 strata so far"`` ('' when nothing was noted)."""
        if self.done is None:
            return ""
        count = f"{self.done:,}" if self.total is None else f"{self.done:,}/{self.total:,}"
        return f"{count} {self.unit} so far".replace("  ", " ")

    def reason(self, interrupted: bool = False) -> str:
        """Why the command stopped: the limit (or Ctrl-C), the phase and the progress noted."""
        what = "interrupted (Ctrl-C)" if interrupted else f"time limit of {_seconds(self.seconds)} s reached"
        detail = self.progress_text()
        return f"{what} during {self.phase}" + (f" ({detail})" if detail else "")


def _seconds(value: float | None) -> str:
    """``5`` for 5.0, ``0.5`` for 0.5."""
    if value is None:
        return "no"
    return f"{value:g}"
