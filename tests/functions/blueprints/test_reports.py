"""The reports API as an HTTP-triggered Functions blueprint over Cosmos DB."""

from __future__ import annotations

import json

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceResponseError
from cosmos_fake import FakeContainer
from fastapi.testclient import TestClient

import functions.blueprints.reports as blueprint
from footfall.reports.api import create_app
from footfall.reports.database import ReportDatabase
from functions.reports.access import AccessMap, AccessPolicy, encode_principal
from functions.reports.cosmos import CosmosReportDatabase
from functions.reports.models import Meta
from functions.reports.service import ReportService


@pytest.fixture
def cosmos_container(fleet) -> FakeContainer:
    return FakeContainer([*fleet.rows, *fleet.zone_rows])


@pytest.fixture
def filled_store(tmp_path, fleet) -> ReportDatabase:
    store = ReportDatabase(tmp_path / "reports.duckdb")
    store.write_output("store_windows", fleet.rows)
    store.write_output("zone_windows", fleet.zone_rows)
    return store


@pytest.fixture
def cosmos_service(cosmos_container, monkeypatch: pytest.MonkeyPatch) -> ReportService:
    service = ReportService(CosmosReportDatabase(cosmos_container), k=5)
    monkeypatch.setattr(blueprint, "get_service", lambda: service)
    return service


def call(function: func.FunctionBuilder, params: dict[str, str] | None = None,
         headers: dict[str, str] | None = None) -> func.HttpResponse:
    """Invoke a registered function the way the Functions host does: with an HttpRequest."""
    query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
    request = func.HttpRequest(method="GET", url=f"http://localhost/api/x?{query}", params=params or {}, body=b"",
                               headers=headers or {})
    return function.build().get_user_function()(request)


ROUTES = {"filters": blueprint.reports_filters, "meta": blueprint.reports_meta, "report": blueprint.reports_report,
          "heatmap": blueprint.reports_heatmap, "ranking": blueprint.reports_ranking}


def test_routes_are_get_only_and_left_to_app_service_authentication() -> None:
    for route, function in ROUTES.items():
        trigger = function.build().get_bindings_dict()["bindings"][0]
        assert trigger["type"] == "httpTrigger" and trigger["route"] == route
        assert [str(m.value) for m in trigger["methods"]] == ["GET"]
        # No function key: Entra ID sign-in (App Service authentication) guards the app, and the code
        # refuses requests without its principal header (see the access tests below).
        assert trigger["authLevel"] == func.AuthLevel.ANONYMOUS


def test_daily_rollup_runs_every_hour_on_a_timer() -> None:
    trigger = blueprint.rollup_store_days.build().get_bindings_dict()["bindings"][0]
    assert trigger["type"] == "timerTrigger" and trigger["schedule"] == "0 5 * * * *"


@pytest.mark.parametrize("params", [
    {"region": "Nordics"}, {"store_id": "S0004"}, {"city": "Madrid", "start": "2026-11-23T12:00:00Z"},
    {"region": "Iberia", "start": "2026-11-16", "end": "2026-11-30", "granularity": "day",
     "compare": "previous_period"},
    {"store_id": "S0101", "start": "2026-11-01", "end": "2026-12-01", "granularity": "week"},
])
def test_function_answers_exactly_like_the_local_api(cosmos_service, filled_store: ReportDatabase, params) -> None:
    """Cosmos here holds windows only (days summed from them); the local store has its daily rollups."""
    local = TestClient(create_app(filled_store, k=5), base_url="http://127.0.0.1")
    response = call(blueprint.reports_report, params)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert json.loads(response.get_body()) == local.get("/api/report", params=params).json()
    filters = call(blueprint.reports_filters)
    assert json.loads(filters.get_body()) == local.get("/api/filters").json()
    assert json.loads(call(blueprint.reports_meta).get_body()) == local.get("/api/meta").json()
    for view in ("heatmap", "ranking"):
        assert json.loads(call(ROUTES[view], {"region": "Nordics"}).get_body()) == local.get(
            f"/api/{view}", params={"region": "Nordics"}).json()


def test_function_exports_csv_like_the_local_api(cosmos_service, filled_store: ReportDatabase) -> None:
    local = TestClient(create_app(filled_store, k=5), base_url="http://127.0.0.1")
    params = {"region": "Nordics", "format": "csv"}
    response = call(blueprint.reports_report, params)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.get_body().decode() == local.get("/api/report", params=params).text
    accepted = call(blueprint.reports_heatmap, {"store_id": "S0001"}, {"Accept": "text/csv"})
    assert accepted.mimetype == "text/csv" and accepted.get_body().decode().startswith("weekday,")


def test_function_flags_suppressed_groups(cosmos_service) -> None:
    body = json.loads(call(blueprint.reports_report, {"store_id": "S0004"}).get_body())
    assert body["suppressed"] is True and body["demographics"] is None and body["visitors"] > 0


def test_function_refuses_bad_parameters_with_422(cosmos_service) -> None:
    response = call(blueprint.reports_report, {"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"})
    assert response.status_code == 422
    assert "start must be before end" in json.loads(response.get_body())["detail"][0]["msg"]


def test_each_request_is_a_server_span_with_its_route_and_status_and_no_query(cosmos_service, cosmos_container) -> None:
    """host.json keeps the host's own request records out (they would name blobs for the ingest function):
    the requests table gets this span instead, without the query string."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind, StatusCode

    from functions.telemetry import use_providers

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    use_providers(None, provider)
    try:
        assert call(blueprint.reports_report, {"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"}
                    ).status_code == 422
        cosmos_container.fail_with = ServiceResponseError("timed out")
        assert call(blueprint.reports_filters).status_code == 503
    finally:
        use_providers(None)

    bad, down = exporter.get_finished_spans()
    assert (bad.name, bad.kind, down.name, down.kind) == ("reports_report", SpanKind.SERVER, "reports_filters",
                                                          SpanKind.SERVER)
    assert bad.attributes is not None and down.attributes is not None
    assert (bad.attributes["http.route"], bad.attributes["http.response.status_code"]) == ("/api/report", 422)
    assert down.attributes["http.response.status_code"] == 503 and down.status.status_code == StatusCode.ERROR
    assert bad.status.status_code != StatusCode.ERROR
    assert not any("2026" in str(v) for v in bad.attributes.values())


def test_function_reports_503_when_cosmos_fails(cosmos_service, cosmos_container) -> None:
    cosmos_container.fail_with = ServiceResponseError("timed out")
    assert call(blueprint.reports_report, {"region": "Nordics"}).status_code == 503
    assert call(blueprint.reports_filters).status_code == 503


def test_missing_cosmos_settings_are_named_in_the_log_not_the_answer(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from functions import settings

    monkeypatch.delenv("FOOTFALL_COSMOS_ENDPOINT", raising=False)
    settings.use_settings(None)
    blueprint.get_service.cache_clear()
    try:
        with caplog.at_level("ERROR", logger=blueprint.log.name):
            response = call(blueprint.reports_report, {"region": "Nordics"})
    finally:
        settings.use_settings(None)
        blueprint.get_service.cache_clear()
    assert response.status_code == 500
    assert json.loads(response.get_body()) == {"detail": blueprint.NOT_CONFIGURED}
    assert "FOOTFALL_COSMOS_ENDPOINT" in caplog.text


def test_a_broken_access_map_is_not_echoed_to_an_unauthenticated_caller(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    from functions import settings

    group = "5f0c1d2e-0000-4000-8000-c0ffee000042"
    monkeypatch.setenv("FOOTFALL_REPORTS_AUTH", "app_service")
    monkeypatch.setenv("FOOTFALL_REPORTS_ACCESS", json.dumps({"groups": {group: {"regions": "Nordics-secret"}}}))
    settings.use_settings(None)
    blueprint.get_policy.cache_clear()
    try:
        with caplog.at_level("ERROR", logger=blueprint.log.name):
            response = call(blueprint.reports_report, {"region": "Nordics"})  # no principal header at all
    finally:
        settings.use_settings(None)
        blueprint.get_policy.cache_clear()
    assert response.status_code == 500
    body = response.get_body().decode()
    assert json.loads(body) == {"detail": blueprint.NOT_CONFIGURED}
    assert group not in body and "Nordics-secret" not in body
    assert "FOOTFALL_REPORTS_ACCESS" in caplog.text  # the operator learns which setting is wrong


def test_the_logged_configuration_problem_never_carries_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel, ValidationError

    from functions import settings

    key = "c2VjcmV0LWNvc21vcy1rZXk9PQ=="
    monkeypatch.setenv("FOOTFALL_COSMOS_KEY", key)
    settings.use_settings(None)
    try:
        problem = blueprint.configuration_problem(ValueError(f"the account refused key {key}"))
    finally:
        settings.use_settings(None)
    assert key not in problem and "<secret>" in problem

    class Model(BaseModel):
        k: int

    with pytest.raises(ValidationError) as invalid:
        Model.model_validate({"k": key})
    assert blueprint.configuration_problem(invalid.value) == "k: int_parsing"


def test_meta_carries_k_from_the_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions import settings

    monkeypatch.setenv("FOOTFALL_K", "8")
    settings.use_settings(None)
    try:
        body = json.loads(call(blueprint.reports_meta).get_body())
    finally:
        settings.use_settings(None)
    assert body == Meta.build(8).model_dump(mode="json") and body["k"] == 8


# --- access by region and store: App Service authentication's principal header ------------------

NORDICS_GROUP = "5f1c2a8e-0d3b-4c1e-9a77-2b6f4e1d0a01"
IBERIA_STORE_GROUP = "a07d9c34-6e2f-4b8a-8f10-c3d2e1f0b902"
HEAD_OFFICE_GROUP = "e3b6f5a1-7c9d-4e20-b1a4-d5c6b7a8f903"
ACCESS = {"groups": {NORDICS_GROUP: {"regions": ["Nordics"]}, IBERIA_STORE_GROUP: {"stores": ["S0101"]},
                     HEAD_OFFICE_GROUP: {"regions": ["*"]}}}


@pytest.fixture
def signed_in(cosmos_service, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The app as deployed: App Service authentication on, the group map in a reference file."""
    path = tmp_path / "access.json"
    path.write_text(json.dumps(ACCESS))
    monkeypatch.setattr(blueprint, "get_policy", lambda: AccessPolicy("app_service", AccessMap.parse(str(path))))


def as_member(*groups: str) -> dict[str, str]:
    """The headers App Service authentication adds for a signed-in Entra ID user in ``groups``."""
    return {"X-MS-CLIENT-PRINCIPAL": encode_principal(list(groups)), "X-MS-CLIENT-PRINCIPAL-IDP": "aad",
            "X-MS-CLIENT-PRINCIPAL-NAME": "manager@example.com"}


def test_a_regional_manager_reads_their_region(signed_in, fleet) -> None:
    response = call(blueprint.reports_report, {"region": "Nordics"}, as_member(NORDICS_GROUP))
    assert response.status_code == 200
    assert json.loads(response.get_body())["visitors"] == len(fleet.visits_where(region="Nordics"))
    store = call(blueprint.reports_report, {"store_id": "S0003"}, as_member(NORDICS_GROUP))
    assert json.loads(store.get_body())["visitors"] == len(fleet.visits_where(store_id="S0003"))


def test_another_region_or_its_store_is_403(signed_in) -> None:
    for params in ({"region": "Iberia"}, {"store_id": "S0101"}, {"city": "Madrid"}):
        response = call(blueprint.reports_report, params, as_member(NORDICS_GROUP))
        assert response.status_code == 403, params
        assert "not yours" in json.loads(response.get_body())["detail"]
    assert call(blueprint.reports_heatmap, {"region": "Iberia"}, as_member(NORDICS_GROUP)).status_code == 403
    assert call(blueprint.reports_ranking, {"region": "Iberia"}, as_member(NORDICS_GROUP)).status_code == 403


def test_no_identity_is_401_on_every_view(signed_in) -> None:
    for function in ROUTES.values():
        response = call(function, {"region": "Nordics"})
        assert response.status_code == 401
        assert "WWW-Authenticate" in response.headers
    garbled = call(blueprint.reports_report, {}, {"X-MS-CLIENT-PRINCIPAL": "not base64 json"})
    assert garbled.status_code == 401


def test_a_query_without_a_region_is_cut_to_the_callers_stores(signed_in, fleet) -> None:
    fleetwide = json.loads(call(blueprint.reports_report, {}, as_member(NORDICS_GROUP)).get_body())
    assert fleetwide["visitors"] == len(fleet.visits_where(region="Nordics"))
    assert [g["key"] for g in fleetwide["groups"]] == ["Nordics"]
    filters = json.loads(call(blueprint.reports_filters, {}, as_member(NORDICS_GROUP)).get_body())
    assert [r["region"] for r in filters["regions"]] == ["Nordics"] and filters["unassigned_stores"] == []
    one_store = json.loads(call(blueprint.reports_filters, {}, as_member(IBERIA_STORE_GROUP)).get_body())
    assert [s["store_id"] for r in one_store["regions"] for c in r["cities"] for s in c["stores"]] == ["S0101"]
    ranking = json.loads(call(blueprint.reports_ranking, {}, as_member(NORDICS_GROUP)).get_body())
    assert {s["store_id"] for s in ranking["top"] + ranking["bottom"]} <= {"S0001", "S0002", "S0003", "S0004"}


def test_groups_add_up_and_a_star_reads_everything(signed_in, fleet) -> None:
    both = call(blueprint.reports_report, {}, as_member(NORDICS_GROUP, IBERIA_STORE_GROUP))
    assert json.loads(both.get_body())["visitors"] == len(fleet.visits_where(region="Nordics")) + len(
        fleet.visits_where(store_id="S0101"))
    head_office = call(blueprint.reports_report, {"region": "Iberia"}, as_member(HEAD_OFFICE_GROUP))
    assert json.loads(head_office.get_body())["visitors"] == len(fleet.visits_where(region="Iberia"))
    nobody = call(blueprint.reports_report, {}, as_member("00000000-0000-0000-0000-000000000000"))
    assert nobody.status_code == 403 and "grant no regions" in json.loads(nobody.get_body())["detail"]
