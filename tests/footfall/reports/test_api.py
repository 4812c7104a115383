"""The reports API (FastAPI) over the DuckDB store: filters, reports, suppression, errors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from footfall.reports.api import create_app
from footfall.reports.database import ReportDatabase
from functions.reports.models import WindowSelection
from functions.reports.reader import ReaderUnavailable


@pytest.fixture
def client(filled_store: ReportDatabase) -> TestClient:
    return TestClient(create_app(filled_store, k=5), base_url="http://127.0.0.1")


def test_filters_list_regions_cities_and_stores(client: TestClient, fleet) -> None:
    body = client.get("/api/filters").json()
    assert [r["region"] for r in body["regions"]] == ["Benelux", "Iberia", "Nordics"]
    nordics = body["regions"][2]
    assert [(c["city"], c["country"]) for c in nordics["cities"]] == [("Oslo", "NO"), ("Stockholm", "SE")]
    assert [s["store_id"] for s in nordics["cities"][0]["stores"]] == ["S0003", "S0004"]
    assert nordics["cities"][0]["stores"][0]["time_zone"] == "Europe/Oslo"
    assert body["unassigned_stores"] == [{"store_id": "S0999", "store_name": None, "time_zone": None}]
    assert body["first_window_start"] == "2026-11-23T07:00:00.000Z"
    assert body["last_window_end"] == max(r["window_end"] for r in fleet.rows)
    assert body["k"] == 5


def test_meta_gives_the_labels_and_k(client: TestClient) -> None:
    body = client.get("/api/meta").json()
    assert body["k"] == 5 and body["window_minutes"] == 15
    assert [c["name"] for c in body["categories"]] == ["gender", "age", "emotion"]


def test_report_of_a_region_counts_visitors_at_the_doors_and_breaks_down_published_visits(
        client: TestClient, fleet) -> None:
    body = client.get("/api/report", params={"region": "Iberia"}).json()
    visits = fleet.visits_where(region="Iberia")
    assert body["visitors"] == len(visits) and body["granularity"] == "hour"
    assert sum(p["visitors"] for p in body["series"]) == len(visits)
    faces = fleet.faces_where(region="Iberia")
    covered = fleet.published_faces(region="Iberia")
    assert body["visit_faces"] == len(faces) and 0 < len(covered) < len(faces)
    assert body["suppressed"] is False and body["breakdown_faces"] == len(covered)
    genders = [v.face[0] for v in covered]
    assert body["demographics"]["gender"] == {"female": genders.count("female"), "male": genders.count("male"),
                                              "unknown": genders.count(None)}
    assert body["demographics"]["emotion"]["happiness"] == sum(v.face[2] == "happiness" for v in covered)
    assert sum(body["demographics"]["age"].values()) == len(covered)


def test_a_store_below_k_is_flagged_suppressed_never_zero(client: TestClient, fleet) -> None:
    body = client.get("/api/report", params={"store_id": "S0004"}).json()
    assert body["suppressed"] is True
    assert body["visit_faces"] == len(fleet.faces_where(store_id="S0004")) > 5  # more than k over the day ...
    assert body["breakdown_faces"] == 0  # ... but every window had fewer than k, so nothing is shown
    assert body["demographics"] is None
    assert all(p["suppressed_faces"] == p["visit_faces"] for p in body["series"])
    assert body["visitors"] == len(fleet.visits_where(store_id="S0004"))


def test_date_range_limits_the_windows(client: TestClient, fleet) -> None:
    body = client.get("/api/report", params={
        "store_id": "S0001", "start": "2026-11-23T17:00:00Z", "end": "2026-11-23T18:00:00Z",
        "granularity": "15min"}).json()
    assert [p["window_start"] for p in body["series"]] == [
        "2026-11-23T17:00:00.000Z", "2026-11-23T17:15:00.000Z", "2026-11-23T17:30:00.000Z", "2026-11-23T17:45:00.000Z"]
    start, end = datetime(2026, 11, 23, 17, tzinfo=UTC), datetime(2026, 11, 23, 18, tzinfo=UTC)
    assert body["visitors"] == sum(1 for v in fleet.visits_where(store_id="S0001") if start < v.entered <= end)
    assert (body["start"], body["end"]) == ("2026-11-23T17:00:00.000Z", "2026-11-23T18:00:00.000Z")
    assert {z["zone"] for z in body["zones"]} <= {"floor", "tills"}


@pytest.mark.parametrize("params", [
    {"granularity": "country"}, {"store_id": "bad id!"}, {"start": "yesterday"},
    {"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"}, {"unknown": "1"},
])
def test_bad_parameters_are_422(client: TestClient, params: dict) -> None:
    response = client.get("/api/report", params=params)
    assert response.status_code == 422, response.text


def test_a_busy_store_is_503_not_a_crash() -> None:
    class Busy:
        def store_windows(self, selection: WindowSelection):
            raise ReaderUnavailable("locked")

        def zone_windows(self, selection: WindowSelection):
            raise ReaderUnavailable("locked")

        def stores(self):
            raise ReaderUnavailable("locked")

        def time_range(self):
            raise ReaderUnavailable("locked")

    client = TestClient(create_app(Busy()), base_url="http://127.0.0.1")
    assert client.get("/api/report").status_code == 503
    assert client.get("/api/filters").status_code == 503


def test_dashboard_page_and_its_files_are_served_locally(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="report-data"' in page.text
    for asset in ("/static/app.js", "/static/charts.js", "/static/style.css"):
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 500
    assert "http" not in page.text.replace("http://www.w3.org", ""), "no CDN or remote asset"


def test_no_page_pulls_assets_from_a_cdn(client: TestClient) -> None:
    assert client.get("/api/docs").status_code == 404 and client.get("/redoc").status_code == 404
    schema = client.get("/api/openapi.json").json()
    assert {"/api/filters", "/api/report", "/api/meta"} <= set(schema["paths"])


def test_openapi_lists_every_parameter_and_csv(client: TestClient) -> None:
    schema = client.get("/api/openapi.json").json()
    assert {"/api/report", "/api/heatmap", "/api/ranking", "/api/filters", "/api/meta"} <= set(schema["paths"])
    report = schema["paths"]["/api/report"]["get"]
    assert {p["name"] for p in report["parameters"]} == {
        "region", "city", "store_id", "start", "end", "format", "granularity", "compare", "table"}
    granularity = next(p for p in report["parameters"] if p["name"] == "granularity")
    assert "ISO" in granularity["description"]
    assert set(report["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {p["name"] for p in schema["paths"]["/api/ranking"]["get"]["parameters"]} >= {"region", "n", "format"}
    assert {p["name"] for p in schema["paths"]["/api/heatmap"]["get"]["parameters"]} >= {"store_id", "start", "end"}


def test_every_view_exports_csv_with_the_same_suppression(client: TestClient, fleet) -> None:
    import csv
    import io

    asked = (({"store_id": "S0004", "format": "csv"}, {}), ({"store_id": "S0004"}, {"Accept": "text/csv"}))
    for params, headers in asked:
        response = client.get("/api/report", params=params, headers=headers)
        assert response.status_code == 200 and response.headers["content-type"] == "text/csv; charset=utf-8"
        assert response.headers["content-disposition"].startswith('attachment; filename="footfall-report_S0004')
        rows = list(csv.DictReader(io.StringIO(response.text)))
        total = rows[-1]
        assert total["period"] == "total" and int(total["visitors"]) == len(fleet.visits_where(store_id="S0004"))
        assert total["suppressed"] == "True" and total["gender_female"] == "" and total["age_65_plus"] == ""
    groups = list(csv.DictReader(io.StringIO(client.get("/api/report", params={
        "city": "Oslo", "format": "csv", "table": "groups"}).text)))
    kiosk = next(g for g in groups if g["key"] == "S0004")
    assert kiosk["suppressed"] == "True" and kiosk["gender_male"] == ""
    assert next(g for g in groups if g["key"] == "S0003")["gender_male"] != ""
    zones = client.get("/api/report", params={"store_id": "S0001", "format": "csv", "table": "zones"}).text
    assert zones.splitlines()[0].startswith("zone,visits,avg_dwell_s,dwell_lt_30s")
    heat = client.get("/api/heatmap", params={"store_id": "S0001", "format": "csv"}).text.splitlines()
    assert heat[0] == "weekday,weekday_name,hour,visitors,days,average" and len(heat) == 1 + 7 * 24
    ranking = client.get("/api/ranking", params={"region": "Nordics", "format": "csv"}).text.splitlines()
    assert ranking[0].startswith("position,rank,store_id") and len(ranking) == 1 + 4 + 4
    stores = client.get("/api/filters", params={"format": "csv"}).text.splitlines()
    assert stores[0] == "region,city,country,store_id,store_name,time_zone" and len(stores) == 1 + 8
    assert client.get("/api/report", params={"format": "json"}, headers={"Accept": "text/csv"}).json()["visitors"]


@pytest.mark.parametrize("params", [
    {"start": "0001-01-01"}, {"end": "9999-12-31"}, {"start": "2026-02-30"}, {"start": "99999-01-01"},
    {"start": "2026-11-23T10:00:00+99:00"}, {"start": "2020-01-01", "end": "2026-01-01"},
    {"start": "2026-01-01", "end": "2026-06-01", "granularity": "hour"}, {"compare": "previous_year"},
    {"format": "xml"}, {"table": "everything"},
])
def test_out_of_range_dates_are_422_never_500(client: TestClient, params: dict) -> None:
    for view in ("/api/report", "/api/heatmap", "/api/ranking"):
        if view != "/api/report" and set(params) & {"granularity", "compare", "table"}:
            continue
        response = client.get(view, params=params)
        assert response.status_code == 422, (view, params, response.text)


def test_the_local_dashboard_refuses_other_host_names_and_sends_security_headers(client: TestClient) -> None:
    for path in ("/", "/api/report", "/static/app.js"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        csp = response.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert response.headers["x-frame-options"] == "DENY"
    for host in ("evil.example", "192.168.1.20:8080", "127.0.0.1.nip.io"):
        assert client.get("/api/report", headers={"Host": host}).status_code == 400, host
    assert client.get("/api/report", headers={"Host": "localhost:8080"}).status_code == 200


def test_k_from_the_one_setting_reaches_the_api(tmp_path, fleet, monkeypatch: pytest.MonkeyPatch) -> None:
    from footfall.reports.server import dashboard_app
    from functions.settings import use_settings

    store = ReportDatabase(tmp_path / "reports.duckdb")
    monkeypatch.setenv("FOOTFALL_K", "40")
    use_settings(None)
    try:
        store.write_output("store_windows", fleet.rows)
        app = dashboard_app(tmp_path / "reports.duckdb")
    finally:
        use_settings(None)
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.get("/api/meta").json()["k"] == 40
    body = client.get("/api/report", params={"store_id": "S0001"}).json()
    assert body["k"] == 40 and "k=40" in body["rule"]
    # Only windows of at least 40 visit faces may feed a breakdown now: none in the fleet day.
    assert body["suppressed"] is True and body["demographics"] is None
    assert store.k == 40 and all(d["suppressed"] for d in store.rows("store_days"))
