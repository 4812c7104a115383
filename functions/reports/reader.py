"""The one read interface of the reports: implemented by the local DuckDB store and by Cosmos DB."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol, runtime_checkable

from functions.reports.models import (
    DaySelection,
    StoreDayRow,
    StoreRef,
    StoreWindowRow,
    WindowSelection,
    ZoneWindowRow,
)


@runtime_checkable
class ReportReader(Protocol):
    """Reads the Stream Analytics outputs ``store_windows`` and ``zone_windows``, and the daily rollups
    ``store_days``, for the reports."""

    def store_windows(self, selection: WindowSelection) -> list[StoreWindowRow]:
        """:class:`~functions.reports.models.StoreWindow` rows matching the selection's store filters,
        wholly inside ``[start, end)``. The order is unspecified; callers sort."""
        ...

    def zone_windows(self, selection: WindowSelection) -> list[ZoneWindowRow]:
        """:class:`~functions.reports.models.ZoneWindow` rows of the selected stores, likewise."""
        ...

    def store_days(self, selection: DaySelection) -> list[StoreDayRow]:
        """:class:`~functions.reports.models.StoreDay` rollups of the selected stores whose local ``date``
        lies in ``[first, last]``. The order is unspecified."""
        ...

    def stores(self) -> list[StoreRef]:
        """Every store the store windows name, with its city, country, region and time zone."""
        ...

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """The earliest ``window_start`` and the latest ``window_end``; ``(None, None)`` when empty."""
        ...


class ReaderUnavailable(RuntimeError):
    """The backing store cannot be read right now (locked, throttled, unreachable): retry later."""
