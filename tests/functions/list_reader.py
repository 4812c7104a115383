"""A ReportReader over rows in memory, for the reports service's tests."""

from __future__ import annotations

from functions.reports.models import StoreRef, StoreWindow, WindowSelection, ZoneWindow


class ListReader:
    """A ReportReader over in-memory rows, filtering like the real stores do."""

    def __init__(self, rows: list[dict], stores: list[StoreRef] | None = None, zone_rows: list[dict] = ()) -> None:
        self.rows = [StoreWindow.model_validate(r) for r in rows]
        self.zone_rows = [ZoneWindow.model_validate(r) for r in zone_rows]
        self._stores = stores or []
        self.selections: list[WindowSelection] = []

    def _in_range(self, row, selection: WindowSelection) -> bool:
        return (selection.start is None or row.window_start >= selection.start) and (
            selection.end is None or row.window_end <= selection.end)

    def store_windows(self, selection: WindowSelection) -> list:
        self.selections.append(selection)
        return [r for r in self.rows if self._in_range(r, selection)
                and all(getattr(selection, f) in (None, getattr(r, f)) for f in ("region", "city", "store_id"))]

    def zone_windows(self, selection: WindowSelection) -> list:
        return [z for z in self.zone_rows if self._in_range(z, selection)
                and selection.store_id in (None, z.store_id)]

    def store_days(self, selection) -> list:
        return []  # nothing rolled up: days are summed from the windows

    def stores(self) -> list[StoreRef]:
        return self._stores

    def time_range(self):
        if not self.rows:
            return None, None
        return min(r.window_start for r in self.rows), max(r.window_end for r in self.rows)
