"""The reports API and dashboard as a FastAPI app, over any :class:`ReportReader`.

``GET /`` the dashboard, ``GET /static/...`` its files, ``GET /api/filters``, ``GET /api/meta``,
``GET /api/report``, ``GET /api/heatmap``, ``GET /api/ranking`` (JSON, or CSV with ``format=csv`` or
``Accept: text/csv``), ``GET /api/openapi.json``, ``GET /api/health``. Every view is answered by
:class:`functions.reports.http.ReportsHttp`, as the Azure Functions blueprint does.

Locally the app serves loopback only: a request whose Host header is not ``127.0.0.1`` or
``localhost`` is refused (400; DNS rebinding cannot reach it), and every answer carries a strict
Content-Security-Policy (own files only, no framing), ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.trustedhost import TrustedHostMiddleware

from functions.contracts import DEFAULT_K
from functions.reports.access import OPEN, AccessPolicy
from functions.reports.http import ReportsHttp
from functions.reports.models import (
    Filters,
    Heatmap,
    HeatmapQuery,
    Meta,
    Ranking,
    RankingQuery,
    Report,
    ReportQuery,
)
from functions.reports.reader import ReportReader
from functions.reports.service import ReportService

STATIC_DIR = Path(__file__).resolve().parent / "static"
LOOPBACK_HOSTS: tuple[str, ...] = ("127.0.0.1", "localhost")
SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _responses(model: type, csv: bool = True) -> dict[int | str, dict[str, Any]]:
    content: dict[str, Any] = {"application/json": {}}
    if csv:
        content["text/csv"] = {"schema": {"type": "string"}}
    return {200: {"model": model, "content": content},
            401: {"description": "No identity (Azure, App Service authentication)"},
            403: {"description": "Outside the caller's regions and stores"},
            503: {"description": "Report database busy: retry"}}


def create_app(reader: ReportReader, *, k: int = DEFAULT_K, policy: AccessPolicy = OPEN,
               allowed_hosts: tuple[str, ...] = LOOPBACK_HOSTS, l_diversity: bool = False) -> FastAPI:
    """The dashboard app answering from ``reader`` with k-anonymity ``k`` (and l-diversity if asked)."""
    service = ReportService(reader, k=k, l_diversity=l_diversity)
    http = ReportsHttp(service, policy, k)
    # No Swagger/ReDoc pages: they load from a CDN. The schema stays at /api/openapi.json.
    app = FastAPI(title="footfall reports", version="2", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.service = service
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))

    @app.middleware("http")
    async def _security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def _answer(view: str, request: Request) -> Response:
        answer = http.answer(view, request.query_params, request.headers)
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=answer.headers)

    @app.get("/api/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    @app.get("/api/filters", response_model=Filters, responses=_responses(Filters))
    def filters(request: Request, format: Annotated[str | None, Query(
            description="json or csv (also chosen by Accept: text/csv)")] = None) -> Response:
        """Regions > cities > stores the caller may read, and the span of the data."""
        return _answer("filters", request)

    @app.get("/api/meta", response_model=Meta, responses=_responses(Meta, csv=False))
    def meta(request: Request) -> Response:
        """k, the granularities and the labels of every category and column (from the contracts)."""
        return _answer("meta", request)

    @app.get("/api/report", response_model=Report, responses=_responses(Report))
    def report(request: Request, query: Annotated[ReportQuery, Query()]) -> Response:
        """Store-local time series (with an optional comparison), k-anonymous breakdown, occupancy and dwell,
        sub-groups and zones of one selection."""
        return _answer("report", request)

    @app.get("/api/heatmap", response_model=Heatmap, responses=_responses(Heatmap))
    def heatmap(request: Request, query: Annotated[HeatmapQuery, Query()]) -> Response:
        """Busiest times: visitors by weekday and store-local hour."""
        return _answer("heatmap", request)

    @app.get("/api/ranking", response_model=Ranking, responses=_responses(Ranking))
    def ranking(request: Request, query: Annotated[RankingQuery, Query()]) -> Response:
        """The top and bottom stores of a region or city by visitors."""
        return _answer("ranking", request)

    @app.exception_handler(404)
    async def _not_found(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "not found"}, status_code=404)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
