"""Exceptions raised by semialg.

Every error a user can cause derives from :class:`SemialgError`; the CLI turns
each into a message and exit code 2, never a traceback.

>>> issubclass(ParseError, ValueError) and issubclass(ParseError, SemialgError)
True
"""
from __future__ import annotations


class SemialgError(Exception):
    """Base class of every error semialg raises on purpose."""


class ParseError(SemialgError, ValueError):
    """Text that is not a well-formed program (syntax, unknown name, wrong arity).

    ``column`` is 1-based when known.
    """

    def __init__(self, message: str, column: int | None = None, text: str | None = None):
        self.column = column
        self.text = text
        super().__init__(message)

    def pretty(self) -> str:
        """The message with a caret under the offending column, when known."""
        msg = str(self)
        if self.text is not None and self.column is not None and "\n" not in self.text:
            msg += "\n  " + self.text + "\n  " + " " * (self.column - 1) + "^"
        return msg


class UnsupportedError(ParseError):
    """A well-formed expression outside the semialgebraic fragment (sin, sqrt, 1/x...)."""


class InputError(SemialgError, ValueError):
    """Bad arguments other than the expression text (points, variable lists, options)."""
