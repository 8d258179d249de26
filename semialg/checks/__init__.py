"""The checks: Lipschitz continuity, conservativity, Clarke Jacobians, critical points, implicit functions."""
from __future__ import annotations

from typing import ClassVar


class VerdictResult:
    """Shared by the result dataclasses of the checks: the exit code of ``verdict`` (from the
    class's ``EXIT`` table, the codes of docs/cli.md) and the program's canonical text."""

    EXIT: ClassVar[dict] = {}

    @property
    def exit_code(self) -> int:
        return self.EXIT[self.verdict]

    @property
    def function(self) -> str:
        return self.program.to_text()
