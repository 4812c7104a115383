"""Errors of the local Stream Analytics engine. Every one names what went wrong and where."""

from __future__ import annotations


class AsaError(Exception):
    """A job, script or test configuration the local engine cannot run."""


class AsaSyntaxError(AsaError):
    """The script does not parse as Stream Analytics SQL."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


class UnsupportedConstruct(AsaError):
    """The script uses Stream Analytics SQL that the local engine does not implement.

    The engine refuses rather than guess, so a query never silently gives a wrong answer.
    """

    def __init__(self, construct: str, line: int | None = None, hint: str = "") -> None:
        self.construct = construct
        self.line = line
        where = f" (line {line})" if line else ""
        super().__init__(
            f"unsupported construct {construct}{where}: not implemented by the local engine"
            + (f"; {hint}" if hint else "")
        )
