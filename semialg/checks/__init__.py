"""The checks: Lipschitz continuity, conservativity, Clarke Jacobians, critical points, implicit functions."""
from __future__ import annotations

from typing import ClassVar


class VerdictResult:
    """Shared by the result dataclasses of the checks: the exit code of ``verdict`` (from the
    class's ``EXIT`` table, the codes of docs/cli.md), the program's canonical text, and how a
    result reads in a REPL or a notebook. Subclasses define ``to_text()`` and ``to_json()``.

    ``bool(result)`` is True when the property holds (exit code 0); ``repr`` is one line;
    IPython and Jupyter show ``to_text()`` / an HTML table of ``to_json()``.
    """

    EXIT: ClassVar[dict] = {}

    @property
    def exit_code(self) -> int:
        return self.EXIT[self.verdict]

    @property
    def function(self) -> str:
        return self.program.to_text()

    def __bool__(self) -> bool:
        return self.exit_code == 0

    def __repr__(self) -> str:
        rule = getattr(self, "rule", None)
        extra = f", rule {rule.name}" if rule is not None else ""
        return f"<{type(self).__name__} {self.verdict}: {self.function}{extra}>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(repr(self) if cycle else self.to_text())

    def _repr_html_(self) -> str:
        from semialg.report import html
        return html(self.to_json())


def with_total(progress):
    """A progress callback called as ``progress(stage, done, seconds, total)``; one written for
    the earlier three arguments ``(stage, done, seconds)`` is adapted (``total`` dropped).

    >>> seen = []
    >>> with_total(lambda stage, done, seconds: seen.append(done))("check", 3, 0.1, 10)
    >>> seen
    [3]
    """
    if progress is None:
        return None
    import inspect
    try:
        params = inspect.signature(progress).parameters.values()
    except (TypeError, ValueError):
        return progress
    if any(p.kind == p.VAR_POSITIONAL for p in params) or sum(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 4:
        return progress
    return lambda stage, done, seconds, total=None: progress(stage, done, seconds)
