"""The one read interface of the reports: implemented by the local DuckDB store and by Cosmos DB."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from functions.reports.models import StoreRef, WindowRow, WindowSelection


@runtime_checkable
class ReportReader(Protocol):
    """Reads Stream Analytics output rows (output ``cosmos``) for the reports."""

    def windows(self, selection: WindowSelection) -> list[WindowRow]:
        """Rows of ``selection.level`` matching its filters, wholly inside ``[start, end)``.

        The order is unspecified; callers sort.
        """
        ...

    def stores(self) -> list[StoreRef]:
        """Every store the store-level rows name, with its city, country and region."""
        ...

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """The earliest ``window_start`` and the latest ``window_end``; ``(None, None)`` when empty."""
        ...


class ReaderUnavailable(RuntimeError):
    """The backing store cannot be read right now (locked, throttled, unreachable): retry later."""
