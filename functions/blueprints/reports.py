"""HTTP-triggered reports API on Cosmos DB: the same ``/api/filters`` and ``/api/report`` as the
local dashboard (``footfall dashboard``), answered by the same :class:`ReportService`.

Register with ``app.register_functions(bp)`` in ``function_app.py``. Settings: see
:class:`functions.settings.Settings` (``FOOTFALL_COSMOS_ENDPOINT`` and friends, ``FOOTFALL_K``).
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

import azure.functions as func
from pydantic import ValidationError

from functions.reports.cosmos import CosmosReportStore
from functions.reports.models import Meta, ReportQuery
from functions.reports.reader import ReaderUnavailable
from functions.reports.service import ReportService
from functions.settings import get_settings

log = logging.getLogger(__name__)

bp = func.Blueprint()


@lru_cache(maxsize=1)
def get_service() -> ReportService:
    """The process-wide service over Cosmos DB (one client per worker, reused across calls)."""
    settings = get_settings()
    return ReportService(CosmosReportStore.from_settings(settings), k=settings.k_anonymity)


def _json(payload: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(
        json.dumps(payload, separators=(",", ":")), status_code=status, mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


def handle_filters(service: ReportService) -> func.HttpResponse:
    """``GET /api/filters``."""
    try:
        return _json(service.filters().model_dump(mode="json"))
    except ReaderUnavailable as exc:
        log.warning("filters: %s", exc)
        return _json({"detail": "report store unavailable, retry later"}, 503)


def handle_report(req: func.HttpRequest, service: ReportService) -> func.HttpResponse:
    """``GET /api/report?granularity=&region=&city=&store_id=&start=&end=``: 422 on bad parameters."""
    try:
        query = ReportQuery.model_validate(dict(req.params))
    except ValidationError as exc:
        return _json({"detail": json.loads(exc.json(include_url=False, include_input=False))}, 422)
    try:
        return _json(service.report(query).model_dump(mode="json"))
    except ReaderUnavailable as exc:
        log.warning("report: %s", exc)
        return _json({"detail": "report store unavailable, retry later"}, 503)


def _not_configured(exc: Exception) -> func.HttpResponse:
    log.error("reports are not configured: %s", exc)
    return _json({"detail": f"reports are not configured: {exc}"}, 500)


@bp.route(route="filters", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def reports_filters(req: func.HttpRequest) -> func.HttpResponse:
    """Regions > cities > stores and the span of the data."""
    try:
        service = get_service()
    except ValueError as exc:
        return _not_configured(exc)
    return handle_filters(service)


@bp.route(route="meta", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def reports_meta(req: func.HttpRequest) -> func.HttpResponse:
    """k and the labels of every category and column."""
    settings = get_settings()
    return _json(Meta.build(settings.k_anonymity).model_dump(mode="json"))


@bp.route(route="report", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def reports_report(req: func.HttpRequest) -> func.HttpResponse:
    """Time series and k-anonymous breakdown of a selection."""
    try:
        service = get_service()
    except ValueError as exc:
        return _not_configured(exc)
    return handle_report(req, service)
