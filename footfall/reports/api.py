"""The reports API and dashboard as a FastAPI app, over any :class:`ReportReader`.

``GET /`` the dashboard, ``GET /static/...`` its files, ``GET /api/filters``, ``GET /api/meta``,
``GET /api/openapi.json``, ``GET /api/report`` (see :class:`functions.reports.models.ReportQuery`), ``GET /api/health``.
The same API runs in Azure as ``functions/blueprints/reports.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from functions.contracts import DEFAULT_K
from functions.reports.models import Filters, Meta, Report, ReportQuery
from functions.reports.reader import ReaderUnavailable, ReportReader
from functions.reports.service import ReportService

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(reader: ReportReader, *, k: int = DEFAULT_K) -> FastAPI:
    """The dashboard app answering from ``reader`` with k-anonymity ``k``."""
    service = ReportService(reader, k=k)
    # No Swagger/ReDoc pages: they load from a CDN. The schema stays at /api/openapi.json.
    app = FastAPI(title="footfall reports", version="1", docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.service = service

    @app.exception_handler(ReaderUnavailable)
    async def _unavailable(request: Request, exc: ReaderUnavailable) -> JSONResponse:
        return JSONResponse({"detail": "report store unavailable, retry later"}, status_code=503,
                            headers={"Retry-After": "1"})

    @app.get("/api/health")
    def health() -> dict[str, str]:
        """Liveness."""
        return {"status": "ok"}

    @app.get("/api/filters", response_model=Filters)
    def filters() -> Filters:
        """Regions > cities > stores and the span of the data."""
        return service.filters()

    @app.get("/api/meta", response_model=Meta)
    def meta() -> Meta:
        """k and the labels of every category and column (from the contracts)."""
        return service.meta()

    @app.get("/api/report", response_model=Report)
    def report(query: Annotated[ReportQuery, Query()]) -> Report:
        """Time series, k-anonymous breakdown and sub-groups of one selection."""
        return service.report(query)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
