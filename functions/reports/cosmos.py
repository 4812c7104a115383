"""Cosmos DB adapter of the reports: reads (and can write) the Stream Analytics outputs.

One container holds every document of the job (``store_windows`` and ``zone_windows``) and of the
reports' own daily rollups (``store_days``), told apart by ``doc_type`` and partitioned on
``/store_id``: a store's whole history is one logical partition (a year of 15-minute windows is
about 35,000 documents, some 50 MB, far below the 20 GB limit), so the query managers run most, one
store over a period, reads one partition, and a year of it reads some 365 daily rollups plus the
windows of the days not rolled up yet. A report over a city or region is a cross-partition query
filtered on ``region`` or ``city`` (indexed): a region's week reads 7 rollups per store. Rollups
carry their own ``ttl`` (``FOOTFALL_ROLLUP_TTL_DAYS``), so they can outlive the windows' 400 days.

Timestamps are ISO 8601 UTC strings in the documents, compared as strings by Cosmos DB. Writers
differ in the fraction they print (``08:15:00.000Z`` from footfall, ``08:15:00.0000000Z`` from
Stream Analytics), so the bounds sent are whole seconds that order correctly against every
fraction (``>= "…T08:15:00"``, ``<= "…T09:00:00Z"``), and the exact range is re-checked on the
parsed rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from azure.core.exceptions import AzureError
from pydantic import ValidationError

from functions.contracts import parse_iso
from functions.reports.models import (
    OUTPUT_MODELS,
    STORE_FILTERS,
    DaySelection,
    StoreDayRow,
    StoreFilters,
    StoreRef,
    StoreWindowRow,
    WindowSelection,
    ZoneWindowRow,
)
from functions.reports.reader import ReaderUnavailable
from functions.reports.rollup import MAX_OFFSET, day_bounds, roll_up_days, zone
from functions.settings import Settings

log = logging.getLogger(__name__)

_STORE_FIELDS = "c.store_id, c.store_name, c.city, c.country, c.region, c.time_zone"
_STORE_WINDOWS: list[dict[str, Any]] = [{"name": "@doc_type", "value": "store_window"}]


class ContainerLike(Protocol):
    """The part of :class:`azure.cosmos.ContainerProxy` this adapter uses."""

    def query_items(self, query: str, **kwargs: Any) -> Iterable[Any]:
        """Run a parametrized query; iterating the result walks every page."""
        ...

    def upsert_item(self, body: dict[str, Any], **kwargs: Any) -> Any:
        """Insert or replace the item with the body's ``id`` in its partition."""
        ...


def lower_bound(ts: datetime) -> str:
    """A string no greater than any ISO rendering of a time at or after ``ts`` (floored to the second)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def upper_bound(ts: datetime) -> str:
    """A string no smaller than any ISO rendering of a time at or before ``ts`` (ceiled to the second)."""
    ts = ts.astimezone(UTC)
    if ts.microsecond:
        ts = ts.replace(microsecond=0) + timedelta(seconds=1)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _select(doc_type: str, selection: StoreFilters, fields: tuple[str, ...],
            bounds: tuple[tuple[str, str, str, str | None], ...]) -> tuple[str, list[dict[str, Any]], str | None]:
    """The SQL, parameters and partition key (or ``None`` for cross-partition) of the ``doc_type`` documents
    whose ``fields`` equal the selection's (those set) and within ``bounds``: a field, an operator, the
    parameter's name and its value (``("date", ">=", "first", "2026-11-23")``; a ``None`` value is no bound)."""
    clauses = ["c.doc_type = @doc_type"]
    params: list[dict[str, Any]] = [{"name": "@doc_type", "value": doc_type}]
    for field in fields:
        value = getattr(selection, field)
        if value is not None:
            clauses.append(f"c.{field} = @{field}")
            params.append({"name": f"@{field}", "value": value})
    for column, operator, name, bound in bounds:
        if bound is not None:
            clauses.append(f"c.{column} {operator} @{name}")
            params.append({"name": f"@{name}", "value": bound})
    return f"SELECT * FROM c WHERE {' AND '.join(clauses)}", params, selection.store_id


def build_windows_query(doc_type: str, selection: WindowSelection) -> tuple[str, list[dict[str, Any]], str | None]:
    """The SQL, parameters and partition key (or ``None`` for cross-partition) of a selection."""
    fields = STORE_FILTERS if doc_type == "store_window" else ("store_id",)
    return _select(doc_type, selection, fields, (
        ("window_start", ">=", "start", None if selection.start is None else lower_bound(selection.start)),
        ("window_end", "<=", "end", None if selection.end is None else upper_bound(selection.end)),
    ))


def build_days_query(selection: DaySelection) -> tuple[str, list[dict[str, Any]], str | None]:
    """The SQL, parameters and partition key of a selection of daily rollups (dates as ISO strings)."""
    return _select("store_day", selection, STORE_FILTERS, (
        ("date", ">=", "first", None if selection.first is None else selection.first.isoformat()),
        ("date", "<=", "last", None if selection.last is None else selection.last.isoformat()),
    ))


class CosmosReportDatabase:
    """:class:`~functions.reports.reader.ReportReader` over a Cosmos DB container; also a writer.

    Give it a ``ContainerProxy`` (or build one with :meth:`from_settings`).
    """

    def __init__(self, container: ContainerLike, *, directory_days: int = 62,
                 rollup_ttl_days: int | None = None, l_diversity: bool = False) -> None:
        self.container = container
        self.directory_days = directory_days
        self.rollup_ttl_days = rollup_ttl_days
        self.l_diversity = l_diversity
        """Whether the daily rollups publish only l-diverse windows (``FOOTFALL_L_DIVERSITY``), as the API does."""

    @classmethod
    def from_settings(cls, settings: Settings) -> CosmosReportDatabase:
        """Connect with the account key when set, else with ``DefaultAzureCredential`` (managed identity)."""
        from azure.cosmos import CosmosClient

        if not settings.cosmos_endpoint:
            raise ValueError("FOOTFALL_COSMOS_ENDPOINT is not set")
        if settings.cosmos_key is not None:
            credential: Any = settings.cosmos_key.get_secret_value()
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
        client = CosmosClient(settings.cosmos_endpoint, credential=credential)
        container = client.get_database_client(settings.cosmos_database).get_container_client(
            settings.cosmos_container
        )
        return cls(container, directory_days=settings.reports_directory_days,
                   rollup_ttl_days=settings.rollup_ttl_days, l_diversity=settings.l_diversity)

    def _query(self, query: str, params: list[dict[str, Any]], partition_key: str | None = None) -> list[Any]:
        kwargs: dict[str, Any] = {"parameters": params}
        if partition_key is not None:
            kwargs["partition_key"] = partition_key
        else:
            kwargs["enable_cross_partition_query"] = True
        try:
            return list(self.container.query_items(query, **kwargs))
        except AzureError as exc:
            raise ReaderUnavailable(f"Cosmos DB query failed: {exc}") from exc

    def _valid(self, alias: str, items: Iterable[Any]) -> list[Any]:
        """Documents as rows; those that do not validate are logged and skipped."""
        model = OUTPUT_MODELS[alias]
        rows = []
        for item in items:
            try:
                rows.append(model.model_validate(item))
            except ValidationError as exc:
                log.warning("skipping invalid report document %s: %s", item.get("id"), exc)
        return rows

    def _windows(self, alias: str, selection: WindowSelection) -> list[Any]:
        """The selected rows of one output, wholly inside the range."""
        query, params, partition_key = build_windows_query(OUTPUT_MODELS[alias].doc_type, selection)
        return [row for row in self._valid(alias, self._query(query, params, partition_key))
                if (selection.start is None or row.window_start >= selection.start)
                and (selection.end is None or row.window_end <= selection.end)]

    def store_days(self, selection: DaySelection) -> list[StoreDayRow]:
        """The selected daily rollups (one store: one partition)."""
        query, params, partition_key = build_days_query(selection)
        return self._valid("store_days", self._query(query, params, partition_key))

    def store_windows(self, selection: WindowSelection) -> list[StoreWindowRow]:
        """The selected store windows."""
        return self._windows("store_windows", selection)

    def zone_windows(self, selection: WindowSelection) -> list[ZoneWindowRow]:
        """Zone windows of the selected stores (one store: one partition; else the stores of the region or city)."""
        if selection.store_id is None and (selection.region or selection.city):
            stores = {r.store_id for r in self.store_windows(selection)}
            return [z for z in self._windows("zone_windows", selection) if z.store_id in stores]
        return self._windows("zone_windows", selection)

    def _newest(self) -> datetime | None:
        values = self._query("SELECT VALUE MAX(c.window_end) FROM c WHERE c.doc_type = @doc_type", _STORE_WINDOWS)
        return parse_iso(values[0]) if values and values[0] else None

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Earliest window start and latest window end (two cross-partition aggregates)."""
        firsts = self._query("SELECT VALUE MIN(c.window_start) FROM c WHERE c.doc_type = @doc_type", _STORE_WINDOWS)
        first = parse_iso(firsts[0]) if firsts and firsts[0] else None
        return first, self._newest()

    def stores(self) -> list[StoreRef]:
        """Distinct stores of the store rows in the last ``directory_days`` before the newest window."""
        newest = self._newest()
        if newest is None:
            return []
        since = lower_bound(newest - timedelta(days=self.directory_days))
        items = self._query(
            f"SELECT DISTINCT {_STORE_FIELDS} FROM c WHERE c.doc_type = @doc_type AND c.window_end >= @since",
            [*_STORE_WINDOWS, {"name": "@since", "value": since}],
        )
        stores: dict[str, StoreRef] = {}
        for item in items:
            if not item.get("store_id"):
                continue
            store = StoreRef.model_validate(item)
            known = stores.get(store.store_id)
            if known is None or (known.region is None and store.region is not None):
                stores[store.store_id] = store
        return list(stores.values())

    def write_output(self, alias: str, rows: Iterable[dict[str, Any]]) -> int:
        """Upsert rows of ``store_windows``, ``zone_windows`` or ``store_days`` as documents; returns how many.

        Daily rollups get ``ttl`` (seconds) when ``rollup_ttl_days`` is set, overriding the container's."""
        if alias not in OUTPUT_MODELS:
            raise ValueError(f"unknown output alias {alias!r}; expected one of {tuple(OUTPUT_MODELS)}")
        written = 0
        for row in rows:
            document = OUTPUT_MODELS[alias].model_validate(row).document()
            if alias == "store_days" and self.rollup_ttl_days:
                document["ttl"] = self.rollup_ttl_days * 86400
            self.container.upsert_item(document)
            written += 1
        return written

    def roll_up_ended_days(self, now: datetime, k: int, *, lookback_days: int = 3,
                           grace: timedelta = timedelta(hours=1)) -> int:
        """Write the rollup of every store-local day that ended at least ``grace`` before ``now``, in the
        last ``lookback_days``, unless its rollup already says the same (the daily timer). Returns how many
        were written.

        One cross-partition read of those days' windows and one of their rollups, as before any check: the
        rollup is recomputed from the windows and compared with the stored one, so a day whose windows
        changed (more of them after a job restart, late events, another ``k``) is written again, and one
        whose windows did not is not written (no write RUs on a rerun). Days older than the look-back are
        never rewritten: the reports read the windows of any day without a rollup that applies.
        """
        since = now - timedelta(days=lookback_days + 2)
        windows = self.store_windows(WindowSelection(start=since, end=now))
        first = (since + timedelta(days=1) + MAX_OFFSET).date()  # its local midnight is after `since` in every zone
        stored = {d.row_id(): d.document() for d in self.store_days(DaySelection(first=first))}
        model = OUTPUT_MODELS["store_days"]
        todo = []
        for document in roll_up_days(windows, k, self.l_diversity):
            day = date.fromisoformat(document["date"])
            ended = day_bounds(day, zone(document["time_zone"]))[1]
            if day < first or ended + grace > now:
                continue
            if stored.get(document["id"]) == model.model_validate(document).document():
                continue
            todo.append(document)
        return self.write_output("store_days", todo)
