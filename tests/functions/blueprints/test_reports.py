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
from footfall.reports.store import ReportStore
from functions.reports.models import Meta
from functions.reports.cosmos import CosmosReportStore
from functions.reports.service import ReportService


@pytest.fixture
def cosmos_container(fleet) -> FakeContainer:
    return FakeContainer([*fleet.rows, *fleet.zone_rows])


@pytest.fixture
def filled_store(tmp_path, fleet) -> ReportStore:
    store = ReportStore(tmp_path / "reports.duckdb")
    store.write_output("store_windows", fleet.rows)
    store.write_output("zone_windows", fleet.zone_rows)
    return store


@pytest.fixture
def cosmos_service(cosmos_container, monkeypatch: pytest.MonkeyPatch) -> ReportService:
    service = ReportService(CosmosReportStore(cosmos_container), k=5)
    monkeypatch.setattr(blueprint, "get_service", lambda: service)
    return service


def call(function: func.FunctionBuilder, params: dict[str, str] | None = None) -> func.HttpResponse:
    """Invoke a registered function the way the Functions host does: with an HttpRequest."""
    query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
    request = func.HttpRequest(method="GET", url=f"http://localhost/api/x?{query}", params=params or {}, body=b"")
    return function.build().get_user_function()(request)


def test_routes_are_get_only_behind_a_function_key() -> None:
    for function, route in ((blueprint.reports_filters, "filters"), (blueprint.reports_report, "report"),
                            (blueprint.reports_meta, "meta")):
        trigger = function.build().get_bindings_dict()["bindings"][0]
        assert trigger["type"] == "httpTrigger" and trigger["route"] == route
        assert [str(m.value) for m in trigger["methods"]] == ["GET"]
        assert trigger["authLevel"] == func.AuthLevel.FUNCTION


def test_function_answers_exactly_like_the_local_api(cosmos_service, filled_store: ReportStore) -> None:
    local = TestClient(create_app(filled_store, k=5))
    for params in ({"region": "Nordics"}, {"store_id": "S0004"}, {"city": "Madrid", "start": "2026-11-23T12:00:00Z"}):
        response = call(blueprint.reports_report, params)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert json.loads(response.get_body()) == local.get("/api/report", params=params).json()
    filters = call(blueprint.reports_filters)
    assert json.loads(filters.get_body()) == local.get("/api/filters").json()
    assert json.loads(call(blueprint.reports_meta).get_body()) == local.get("/api/meta").json()


def test_function_flags_suppressed_groups(cosmos_service) -> None:
    body = json.loads(call(blueprint.reports_report, {"store_id": "S0004"}).get_body())
    assert body["suppressed"] is True and body["demographics"] is None and body["visitors"] > 0


def test_function_refuses_bad_parameters_with_422(cosmos_service) -> None:
    response = call(blueprint.reports_report, {"start": "2026-11-24T00:00:00Z", "end": "2026-11-23T00:00:00Z"})
    assert response.status_code == 422
    assert "start must be before end" in json.loads(response.get_body())["detail"][0]["msg"]


def test_function_reports_503_when_cosmos_fails(cosmos_service, cosmos_container) -> None:
    cosmos_container.fail_with = ServiceResponseError("timed out")
    assert call(blueprint.reports_report, {"region": "Nordics"}).status_code == 503
    assert call(blueprint.reports_filters).status_code == 503


def test_missing_cosmos_settings_are_named_in_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions import settings

    monkeypatch.delenv("FOOTFALL_COSMOS_ENDPOINT", raising=False)
    settings.get_settings.cache_clear()
    blueprint.get_service.cache_clear()
    try:
        response = call(blueprint.reports_report, {"region": "Nordics"})
    finally:
        settings.get_settings.cache_clear()
        blueprint.get_service.cache_clear()
    assert response.status_code == 500
    assert "FOOTFALL_COSMOS_ENDPOINT" in json.loads(response.get_body())["detail"]


def test_meta_carries_k_from_the_one_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions import settings

    monkeypatch.setenv("FOOTFALL_K", "8")
    settings.get_settings.cache_clear()
    try:
        body = json.loads(call(blueprint.reports_meta).get_body())
    finally:
        settings.get_settings.cache_clear()
    assert body == Meta.build(8).model_dump(mode="json") and body["k"] == 8
