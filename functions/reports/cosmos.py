"""Cosmos DB adapter of the reports: reads (and can write) the Stream Analytics ``cosmos`` output.

The container is partitioned on ``/pk`` (``"{level}|{key}"``, the key being the store id, city
or region, as ``stream_analytics/footfall.asaql`` builds it). A report on one store, city or
region at its own level reads that single partition (``partition_key="store|S0001"``); a
report that sums finer groups (the cities of a region, the fleet) queries across partitions.

Timestamps are ISO 8601 UTC strings in the documents, compared as strings by Cosmos DB. Writers
differ in the fraction they print (``08:15:00.000Z`` from footfall, ``08:15:00.0000000Z`` from
Stream Analytics), so the bounds sent are whole seconds that order correctly against every
fraction (``>= "…T08:15:00"``, ``<= "…T09:00:00Z"``), and the exact range is re-checked on the
parsed rows.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Protocol

from azure.core.exceptions import AzureError
from pydantic import ValidationError

from functions.contracts import parse_iso
from functions.reports.models import StoreRef, WindowRow, WindowSelection
from functions.reports.reader import ReaderUnavailable
from functions.settings import Settings

log = logging.getLogger(__name__)

_STORE_FIELDS = "c.store_id, c.store_name, c.city, c.country, c.region"


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
    return ts.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def upper_bound(ts: datetime) -> str:
    """A string no smaller than any ISO rendering of a time at or before ``ts`` (ceiled to the second)."""
    ts = ts.astimezone(timezone.utc)
    if ts.microsecond:
        ts = ts.replace(microsecond=0) + timedelta(seconds=1)
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_windows_query(selection: WindowSelection) -> tuple[str, list[dict[str, Any]], str | None]:
    """The SQL, parameters and partition key (or ``None`` for cross-partition) of a selection."""
    clauses = ["c.level = @level"]
    params: list[dict[str, Any]] = [{"name": "@level", "value": selection.level}]
    for field in ("region", "city", "store_id"):
        value = getattr(selection, field)
        if value is not None:
            clauses.append(f"c.{field} = @{field}")
            params.append({"name": f"@{field}", "value": value})
    if selection.start is not None:
        clauses.append("c.window_start >= @start")
        params.append({"name": "@start", "value": lower_bound(selection.start)})
    if selection.end is not None:
        clauses.append("c.window_end <= @end")
        params.append({"name": "@end", "value": upper_bound(selection.end)})
    own_key = {"store": selection.store_id, "city": selection.city, "region": selection.region}[selection.level]
    partition_key = f"{selection.level}|{own_key}" if own_key is not None else None
    return f"SELECT * FROM c WHERE {' AND '.join(clauses)}", params, partition_key


class CosmosReportStore:
    """:class:`~functions.reports.reader.ReportReader` over a Cosmos DB container; also a writer.

    Give it a ``ContainerProxy`` (or build one with :meth:`from_settings`).
    """

    def __init__(self, container: ContainerLike, *, directory_days: int = 62) -> None:
        self.container = container
        self.directory_days = directory_days

    @classmethod
    def from_settings(cls, settings: Settings) -> "CosmosReportStore":
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
        return cls(container, directory_days=settings.reports_directory_days)

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

    def windows(self, selection: WindowSelection) -> list[WindowRow]:
        """The selected rows; documents that do not validate are logged and skipped."""
        query, params, partition_key = build_windows_query(selection)
        rows = []
        for item in self._query(query, params, partition_key):
            try:
                row = WindowRow.model_validate(item)
            except ValidationError as exc:
                log.warning("skipping invalid report document %s: %s", item.get("id"), exc)
                continue
            if (selection.start is None or row.window_start >= selection.start) and (
                    selection.end is None or row.window_end <= selection.end):
                rows.append(row)
        return rows

    def _newest(self) -> datetime | None:
        values = self._query("SELECT VALUE MAX(c.window_end) FROM c", [])
        return parse_iso(values[0]) if values and values[0] else None

    def time_range(self) -> tuple[datetime | None, datetime | None]:
        """Earliest window start and latest window end (two cross-partition aggregates)."""
        firsts = self._query("SELECT VALUE MIN(c.window_start) FROM c", [])
        first = parse_iso(firsts[0]) if firsts and firsts[0] else None
        return first, self._newest()

    def stores(self) -> list[StoreRef]:
        """Distinct stores of the store rows in the last ``directory_days`` before the newest window."""
        newest = self._newest()
        if newest is None:
            return []
        since = lower_bound(newest - timedelta(days=self.directory_days))
        items = self._query(
            f"SELECT DISTINCT {_STORE_FIELDS} FROM c WHERE c.level = @level AND c.window_end >= @since",
            [{"name": "@level", "value": "store"}, {"name": "@since", "value": since}],
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
        """Upsert rows of output ``cosmos`` as documents (by ``id``); returns how many were written."""
        if alias != "cosmos":
            raise ValueError(f"Cosmos DB holds output 'cosmos' only, not {alias!r}")
        written = 0
        for row in rows:
            self.container.upsert_item(WindowRow.model_validate(row).document())
            written += 1
        return written
