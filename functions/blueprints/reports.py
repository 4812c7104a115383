"""The reports API on Cosmos DB as HTTP functions, and the daily rollup timer.

``GET /api/filters``, ``/api/meta``, ``/api/report``, ``/api/heatmap``, ``/api/ranking`` answer exactly
as the local dashboard's API does (:class:`functions.reports.http.ReportsHttp`). In Azure the
Function App sits behind App Service authentication with Microsoft Entra ID
(``infra/terraform/function.tf``): the routes are anonymous to the Functions host, the platform
turns away unauthenticated callers, and ``FOOTFALL_REPORTS_AUTH=app_service`` makes the code
refuse any request without the principal header (401) and filter every query to the caller's
groups (``FOOTFALL_REPORTS_ACCESS``; 403 outside them).

``rollup_store_days`` runs every hour and writes the rollup of each store-local day that ended at
least an hour ago and has none yet, so every store's day is rolled up once, soon after its own
midnight.

Register with ``app.register_functions(bp)`` in ``function_app.py``.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from functools import lru_cache

import azure.functions as func
from opentelemetry.trace import SpanKind, Status, StatusCode
from pydantic import SecretStr, ValidationError

from functions.reports.access import AccessMap, AccessPolicy
from functions.reports.cosmos import CosmosReportDatabase
from functions.reports.http import Answer, ReportsHttp
from functions.reports.service import ReportService
from functions.settings import get_settings
from functions.telemetry import invocation_span

log = logging.getLogger(__name__)

bp = func.Blueprint()

ROLLUP_SCHEDULE = "0 5 * * * *"
"""Every hour at :05 (NCRONTAB with seconds): some store's local midnight has just passed."""


@lru_cache(maxsize=1)
def get_store() -> CosmosReportDatabase:
    """The process-wide Cosmos DB store (one client per worker, reused across calls)."""
    return CosmosReportDatabase.from_settings(get_settings())


@lru_cache(maxsize=1)
def get_service() -> ReportService:
    """The process-wide service over Cosmos DB."""
    settings = get_settings()
    return ReportService(get_store(), k=settings.k_anonymity, l_diversity=settings.l_diversity)


@lru_cache(maxsize=1)
def get_policy() -> AccessPolicy:
    """Who may read what: App Service authentication and the group map, from the settings."""
    settings = get_settings()
    return AccessPolicy(settings.reports_auth, AccessMap.parse(settings.reports_access))


def _response(answer: Answer) -> func.HttpResponse:
    return func.HttpResponse(answer.body, status_code=answer.status, mimetype=answer.media_type.split(";")[0],
                             charset="utf-8", headers=answer.headers)


NOT_CONFIGURED = "reports are not configured; the function's log says why"
"""The whole answer to a caller when the settings are wrong: it is sent before any authentication, so it
names nothing (an error about FOOTFALL_REPORTS_ACCESS could quote the access map)."""


def configuration_problem(exc: Exception) -> str:
    """What is wrong with the settings, for the log: a settings validation error by field and error type
    only (never the input), any other error's text with every secret setting's value cut out."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['type']}"
                         for error in exc.errors())
    text = str(exc)
    try:
        settings = get_settings()
    except ValueError:
        return text
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            text = text.replace(value.get_secret_value(), "<secret>")
    return text


def _not_configured(exc: Exception) -> func.HttpResponse:
    log.error("reports are not configured: %s", configuration_problem(exc))
    return func.HttpResponse(json.dumps({"detail": NOT_CONFIGURED}), status_code=500, mimetype="application/json")


def handle(view: str, req: func.HttpRequest) -> func.HttpResponse:
    """Answer one view of the API for a Functions request, in a request span named ``reports_<view>`` with its
    route and status code (host.json keeps the host's own request records out)."""
    with invocation_span(f"reports_{view}", kind=SpanKind.SERVER) as span:
        span.set_attributes({"http.request.method": "GET", "http.route": f"/api/{view}"})
        try:
            http = ReportsHttp(get_service, get_policy(), get_settings().k_anonymity)
            response = _response(http.answer(view, dict(req.params), dict(req.headers)))
        except ValueError as exc:
            response = _not_configured(exc)
        span.set_attribute("http.response.status_code", response.status_code)
        if response.status_code >= 500:
            span.set_status(Status(StatusCode.ERROR))
        return response


@bp.route(route="filters", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def reports_filters(req: func.HttpRequest) -> func.HttpResponse:
    """Regions > cities > stores the caller may read, and the span of the data."""
    return handle("filters", req)


@bp.route(route="meta", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def reports_meta(req: func.HttpRequest) -> func.HttpResponse:
    """k, the granularities and the labels of every category and column."""
    return handle("meta", req)


@bp.route(route="report", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def reports_report(req: func.HttpRequest) -> func.HttpResponse:
    """Store-local series, comparison, k-anonymous breakdown, occupancy and dwell of a selection."""
    return handle("report", req)


@bp.route(route="heatmap", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def reports_heatmap(req: func.HttpRequest) -> func.HttpResponse:
    """Busiest times: visitors by weekday and store-local hour."""
    return handle("heatmap", req)


@bp.route(route="ranking", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def reports_ranking(req: func.HttpRequest) -> func.HttpResponse:
    """Top and bottom stores of a region or city."""
    return handle("ranking", req)


@bp.timer_trigger(arg_name="timer", schedule=ROLLUP_SCHEDULE, run_on_startup=False, use_monitor=True)
def rollup_store_days(timer: func.TimerRequest) -> None:
    """Roll up every store-local day that has ended and has no rollup yet."""
    written = get_store().roll_up_ended_days(datetime.now(UTC), get_settings().k_anonymity)
    log.info("rolled up %d store days", written)
