"""Errors of the local Stream Analytics engine. Every one names what went wrong and where."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class DroppedEvents(BaseModel):
    """Events of one input that the engine dropped or re-timed, with the reason (a counted warning).

    Azure Stream Analytics logs these as data errors (a timestamp that is null or not a datetime,
    a value that fails a CAST) or counts them in its event-ordering metrics (early, late and
    out-of-order input events); the job carries on either way.
    """

    model_config = ConfigDict(frozen=True)

    input: str = Field(description="The input alias (or step) the events came from.")
    reason: str = Field(description="Why, in words: the rule or the data error.")
    action: Literal["dropped", "adjusted"] = Field(description="Whether the events were dropped or re-timed.")
    count: int = Field(ge=1, description="How many events.")
    line: int | None = Field(default=None, description="The query line of the clause that applied the rule.")

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"input {self.input!r}{where}: {self.count} event(s) {self.action}: {self.reason}"
