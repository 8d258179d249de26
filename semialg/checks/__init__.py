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
