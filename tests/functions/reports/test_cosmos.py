"""The Cosmos DB adapter at the azure-cosmos boundary: queries, partition keys, pages, upserts."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from azure.core.exceptions import ServiceRequestError

from footfall.reports.database import ReportDatabase
from functions.reports.cosmos import CosmosReportDatabase
from functions.reports.models import DaySelection, ReportQuery, StoreWindow, WindowSelection
from functions.reports.reader import ReaderUnavailable, ReportReader
from functions.reports.service import ReportService
from functions.settings import Settings

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def test_adapter_is_a_report_reader(cosmos_container) -> None:
    assert isinstance(CosmosReportDatabase(cosmos_container), ReportReader)


def test_store_report_reads_one_partition_with_parameters(cosmos_container, fleet) -> None:
    store = CosmosReportDatabase(cosmos_container)
    rows = store.store_windows(WindowSelection(store_id="S0001", start=T0.replace(hour=12), end=T0.replace(hour=13)))
    [call] = cosmos_container.calls
    assert call.kwargs["partition_key"] == "S0001"
    assert call.kwargs["enable_cross_partition_query"] is None
    assert call.parameters == {"@doc_type": "store_window", "@store_id": "S0001",
                               "@start": "2026-11-23T12:00:00", "@end": "2026-11-23T13:00:00Z"}
    assert "S0001" not in call.query, "values travel as parameters, never inside the SQL"
    expected = [r["id"] for r in fleet.rows_where(store_id="S0001")
                if "2026-11-23T12" <= r["window_start"] < "2026-11-23T13"]
    assert sorted(r.row_id() for r in rows) == sorted(expected) and len(rows) == 4


def test_region_report_queries_across_partitions_and_walks_every_page(cosmos_container, fleet) -> None:
    cosmos_container.page_size = 5
    rows = CosmosReportDatabase(cosmos_container).store_windows(WindowSelection(region="Nordics"))
    [call] = cosmos_container.calls
    assert call.kwargs["partition_key"] is None and call.kwargs["enable_cross_partition_query"] is True
    assert call.parameters == {"@doc_type": "store_window", "@region": "Nordics"}
    assert len(rows) == len(fleet.rows_where(region="Nordics")) > 100
    assert all(r.region == "Nordics" for r in rows)


def test_zone_windows_of_a_store_come_from_its_partition(cosmos_container, fleet) -> None:
    rows = CosmosReportDatabase(cosmos_container).zone_windows(WindowSelection(store_id="S0003"))
    [call] = cosmos_container.calls
    assert call.kwargs["partition_key"] == "S0003" and call.parameters["@doc_type"] == "zone_window"
    assert sorted(r.row_id() for r in rows) == sorted(z["id"] for z in fleet.zone_rows if z["store_id"] == "S0003")


def test_zone_windows_of_a_city_are_those_of_its_stores(cosmos_container, fleet) -> None:
    rows = CosmosReportDatabase(cosmos_container).zone_windows(WindowSelection(city="Oslo"))
    assert {r.store_id for r in rows} == {"S0003", "S0004"}
    assert len(rows) == sum(1 for z in fleet.zone_rows if z["store_id"] in ("S0003", "S0004"))


@pytest.mark.parametrize("fraction", [".000Z", ".0000000Z", "Z"])
def test_range_bounds_hold_whatever_fraction_the_writer_printed(fleet, make_container, fraction: str) -> None:
    """Stream Analytics writes ``…:00.0000000Z``, footfall ``…:00.000Z``: both must select the same windows."""
    docs = [{**r, "window_start": r["window_start"].replace(".000Z", fraction),
             "window_end": r["window_end"].replace(".000Z", fraction)} for r in fleet.rows_where(store_id="S0001")]
    store = CosmosReportDatabase(make_container(docs))
    rows = store.store_windows(WindowSelection(store_id="S0001", start=T0.replace(hour=12), end=T0.replace(hour=13)))
    assert [r.window_start.strftime("%H:%M") for r in sorted(rows, key=lambda r: r.window_start)] == [
        "12:00", "12:15", "12:30", "12:45"]
    odd = store.store_windows(WindowSelection(store_id="S0001", start=T0.replace(hour=12, microsecond=500),
                                              end=T0.replace(hour=13, microsecond=500)))
    assert len(odd) == 3, "a start just after 12:00 excludes the 12:00 window, exactly"


def test_time_range_and_store_directory(cosmos_container, fleet) -> None:
    store = CosmosReportDatabase(cosmos_container, directory_days=31)
    first, last = store.time_range()
    assert first == T0.replace(hour=7) and last == max(datetime.fromisoformat(r["window_end"]) for r in fleet.rows)
    stores = {s.store_id: s for s in store.stores()}
    assert len(stores) == 8 and stores["S0102"].city == "Lisbon" and stores["S0999"].region is None
    assert stores["S0102"].time_zone == "Europe/Lisbon"
    distinct = [c for c in cosmos_container.calls if c.query and c.query.startswith("SELECT DISTINCT")]
    assert distinct[0].parameters["@doc_type"] == "store_window"
    assert distinct[0].parameters["@since"] == (last - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%S")


def test_empty_container_reads_as_empty(make_container) -> None:
    store = CosmosReportDatabase(make_container([]))
    assert store.time_range() == (None, None)
    assert store.stores() == []
    assert store.store_windows(WindowSelection()) == []


def test_invalid_documents_are_skipped_and_logged(cosmos_container, fleet, caplog: pytest.LogCaptureFixture) -> None:
    cosmos_container.documents["broken"] = {"id": "broken", "store_id": "S0001", "doc_type": "store_window",
                                            "window_start": "not a time", "photos": -1}
    with caplog.at_level(logging.WARNING):
        rows = CosmosReportDatabase(cosmos_container).store_windows(WindowSelection())
    assert len(rows) == len(fleet.rows) and "broken" in caplog.text


def test_sdk_errors_become_reader_unavailable(cosmos_container) -> None:
    cosmos_container.fail_with = ServiceRequestError("connection refused")
    with pytest.raises(ReaderUnavailable, match="connection refused"):
        CosmosReportDatabase(cosmos_container).store_windows(WindowSelection())


def test_write_output_upserts_json_documents_by_id_with_their_doc_type(fleet, make_container) -> None:
    container = make_container([])
    store = CosmosReportDatabase(container)
    assert store.write_output("store_windows", fleet.rows[:10]) == 10
    assert store.write_output("store_windows", fleet.rows[:10]) == 10
    assert store.write_output("zone_windows", fleet.zone_rows[:3]) == 3
    assert len(container.documents) == 13
    body = container.calls[0].kwargs["body"]
    assert (body["id"], body["doc_type"], body["store_id"]) == (fleet.rows[0]["id"], "store_window", "S0001")
    assert body["window_end"] == fleet.rows[0]["window_end"]
    with pytest.raises(ValueError, match="powerbi"):
        store.write_output("powerbi", fleet.rows[:1])


@pytest.mark.parametrize("query", [
    ReportQuery(),
    ReportQuery(region="Nordics"),
    ReportQuery(city="Oslo", start="2026-11-23T10:00:00Z", end="2026-11-23T16:00:00Z"),
    ReportQuery(store_id="S0004"),
    ReportQuery(granularity="15min", region="Iberia"),
])
def test_cosmos_and_duckdb_answer_every_report_alike(cosmos_container, tmp_path, fleet, query: ReportQuery) -> None:
    local = ReportDatabase(tmp_path / "reports.duckdb")
    local.write_output("store_windows", fleet.rows)
    local.write_output("zone_windows", fleet.zone_rows)
    from_cosmos = ReportService(CosmosReportDatabase(cosmos_container)).report(query)
    from_duckdb = ReportService(local).report(query)
    assert from_cosmos.model_dump(mode="json") == from_duckdb.model_dump(mode="json")
    assert from_cosmos.visitors > 0


def test_filters_from_cosmos_and_duckdb_agree(cosmos_container, tmp_path, fleet) -> None:
    local = ReportDatabase(tmp_path / "reports.duckdb")
    local.write_output("store_windows", fleet.rows)
    assert ReportService(CosmosReportDatabase(cosmos_container)).filters() == ReportService(local).filters()


class RecordingClient:
    """Stands in for ``azure.cosmos.CosmosClient``: records how it was built and which container was asked for."""

    instances: list[RecordingClient] = []

    def __init__(self, url: str, credential: object, **kwargs: object) -> None:
        self.url, self.credential, self.path = url, credential, []
        RecordingClient.instances.append(self)

    def get_database_client(self, name: str) -> RecordingClient:
        self.path.append(("database", name))
        return self

    def get_container_client(self, name: str) -> str:
        self.path.append(("container", name))
        return "container-proxy"


def test_from_settings_uses_the_key_when_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("azure.cosmos.CosmosClient", RecordingClient)
    settings = Settings(FOOTFALL_COSMOS_ENDPOINT="https://acct.documents.azure.com:443/",
                              FOOTFALL_COSMOS_KEY="a2V5", FOOTFALL_COSMOS_CONTAINER="windows")
    store = CosmosReportDatabase.from_settings(settings)
    client = RecordingClient.instances[-1]
    assert (client.url, client.credential) == ("https://acct.documents.azure.com:443/", "a2V5")
    assert client.path == [("database", "footfall"), ("container", "windows")]
    assert store.container == "container-proxy"


def test_from_settings_signs_in_with_managed_identity_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    sentinel = object()
    monkeypatch.setattr("azure.cosmos.CosmosClient", RecordingClient)
    monkeypatch.setattr("azure.identity.DefaultAzureCredential", lambda: sentinel)
    CosmosReportDatabase.from_settings(Settings(FOOTFALL_COSMOS_ENDPOINT="https://acct.documents.azure.com:443/"))
    assert RecordingClient.instances[-1].credential is sentinel


def test_from_settings_needs_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOOTFALL_COSMOS_ENDPOINT", raising=False)
    with pytest.raises(ValueError, match="FOOTFALL_COSMOS_ENDPOINT"):
        CosmosReportDatabase.from_settings(Settings())


def test_daily_rollups_of_a_store_come_from_its_partition(fleet, make_container) -> None:
    from functions.reports.rollup import roll_up_days

    days = roll_up_days([StoreWindow.model_validate(r) for r in fleet.rows], 5)
    container = make_container(days)
    store = CosmosReportDatabase(container)
    (day,) = store.store_days(DaySelection(store_id="S0001", first=date(2026, 11, 23), last=date(2026, 11, 23)))
    assert day.visitors == len(fleet.visits_where(store_id="S0001"))
    call = container.calls[-1]
    assert call.kwargs["partition_key"] == "S0001"
    assert call.parameters == {"@doc_type": "store_day", "@store_id": "S0001", "@first": "2026-11-23",
                               "@last": "2026-11-23"}
    region = store.store_days(DaySelection(region="Nordics"))
    assert len(region) == 4 and container.calls[-1].kwargs["enable_cross_partition_query"] is True


def test_the_timer_rolls_up_each_ended_local_day_once_with_its_own_ttl(fleet, make_container) -> None:
    container = make_container(fleet.rows)
    store = CosmosReportDatabase(container, rollup_ttl_days=1100)
    # 23:30 UTC: Stockholm's day (ends 23:00 UTC) is not an hour old yet; Lisbon's and UTC's have not ended.
    assert store.roll_up_ended_days(datetime(2026, 11, 23, 23, 30, tzinfo=UTC), k=5) == 0
    # 01:10 UTC next day: every European store's day ended at least an hour ago (Lisbon and UTC: 00:00).
    assert store.roll_up_ended_days(datetime(2026, 11, 24, 1, 10, tzinfo=UTC), k=5) == 8
    days = [d for d in container.documents.values() if d["doc_type"] == "store_day"]
    assert len(days) == 8 and all(d["ttl"] == 1100 * 86400 for d in days)
    assert sum(d["visitors"] for d in days) == len(fleet.visits)
    upserts = sum(1 for c in container.calls if c.method == "upsert_item")
    assert store.roll_up_ended_days(datetime(2026, 11, 24, 2, 10, tzinfo=UTC), k=5) == 0  # once
    assert sum(1 for c in container.calls if c.method == "upsert_item") == upserts


# --- the daily rollups stay true to their windows (Cosmos DB timer and local re-roll alike) -----------

D = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
QUARTER = timedelta(minutes=15)


class Backend:
    """A report store as the reports use it: windows are written, days rolled up (in Azure by the daily
    timer with its 3-day look-back, locally on every write)."""

    def __init__(self, kind: str, tmp_path, k: int = 5) -> None:
        from cosmos_fake import FakeContainer

        self.kind, self.k = kind, k
        self.cosmos = CosmosReportDatabase(FakeContainer()) if kind == "cosmos" else None
        self.store = self.cosmos or ReportDatabase(tmp_path / "reports.duckdb", k=k, l_diversity=False)

    def write(self, rows: list[dict]) -> None:
        self.store.write_output("store_windows", rows)

    def timer(self, now: datetime) -> None:
        if self.cosmos is not None:
            self.cosmos.roll_up_ended_days(now, self.k)


BACKENDS = ("cosmos", "duckdb")


def _quarters(start: datetime, n: int, visitors: int) -> list[dict]:
    from fleet import store_row

    return [store_row("S9999", start + i * QUARTER, visitors=visitors) for i in range(n)]


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_day_rolled_up_before_all_its_windows_came_is_rolled_up_again(kind: str, tmp_path) -> None:
    backend = Backend(kind, tmp_path)
    backend.write(_quarters(D, 4, 10))
    backend.timer(datetime(2026, 11, 21, 3, 0, tzinfo=UTC))
    backend.write(_quarters(D + timedelta(hours=5), 4, 10))  # the job emits the afternoon later (restart, late events)
    backend.timer(datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    for d in range(1, 5):  # the day falls well behind the newest data
        backend.write(_quarters(D + timedelta(days=d), 1, 1))
        backend.timer(D + timedelta(days=d + 1, hours=14))
    (day,) = backend.store.store_days(DaySelection(store_id="S9999", first=D.date(), last=D.date()))
    assert (day.visitors, day.windows, day.k, day.l_diversity) == (80, 8, 5, False)
    service = ReportService(backend.store, k=5)
    for granularity in ("day", "week", "month", "hour"):
        report = service.report(ReportQuery(store_id="S9999", start="2026-11-20", end="2026-11-21",
                                            granularity=granularity))
        assert report.visitors == 80, granularity


@pytest.mark.parametrize("kind", BACKENDS)
def test_days_without_a_rollup_are_read_from_their_windows(kind: str, tmp_path) -> None:
    backend = Backend(kind, tmp_path)
    for d in range(8):  # the timer is down for a week, longer than its look-back
        backend.write(_quarters(D + timedelta(days=d), 2, 3))
    backend.timer(D + timedelta(days=8, hours=14))
    report = ReportService(backend.store, k=5).report(
        ReportQuery(store_id="S9999", start="2026-11-20", end="2026-11-28", granularity="day"))
    assert [p.visitors for p in report.series] == [6] * 8 and report.visitors == 48


def test_the_timer_rewrites_only_the_days_whose_windows_changed(make_container) -> None:
    store = CosmosReportDatabase(make_container())
    store.write_output("store_windows", _quarters(D, 4, 10) + _quarters(D + timedelta(days=1), 4, 10))
    now = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
    assert store.roll_up_ended_days(now, 5) == 2
    assert store.roll_up_ended_days(now, 5) == 0  # nothing changed: nothing written
    store.write_output("store_windows", _quarters(D + timedelta(days=1, hours=6), 1, 7))
    assert store.roll_up_ended_days(now, 5) == 1
    assert store.roll_up_ended_days(now, 10) == 2  # another k: both days are summed again under it
