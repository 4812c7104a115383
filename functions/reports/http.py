"""The reports API, independent of the web framework: one answer per view, as JSON or CSV.

Both the local FastAPI app (``footfall/reports/api.py``) and the Azure Functions blueprint
(``functions/blueprints/reports.py``) hand a view name, the query parameters and the request headers
to :meth:`ReportsHttp.answer`, so they answer alike: 401 without an identity (Azure), 403 outside
the caller's regions and stores, 422 for bad parameters (out-of-range dates included), 503 when the
report database is busy. CSV (``format=csv`` or ``Accept: text/csv``) holds the same figures as the JSON,
with the same suppression: a suppressed breakdown is empty cells, never zeros.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from functions.aggregates import CATEGORIES, DWELL_COLUMNS
from functions.reports.access import AccessDenied, AccessPolicy, NotAuthenticated, Scope
from functions.reports.models import (
    Breakdown,
    Filters,
    Heatmap,
    HeatmapQuery,
    Meta,
    Ranking,
    RankingQuery,
    Report,
    ReportQuery,
    period_text,
)
from functions.reports.reader import ReaderUnavailable
from functions.reports.service import ReportService

log = logging.getLogger(__name__)

VIEWS: tuple[str, ...] = ("filters", "meta", "report", "heatmap", "ranking")
_QUERIES: dict[str, type[BaseModel]] = {"report": ReportQuery, "heatmap": HeatmapQuery, "ranking": RankingQuery}
CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"

_DEMOGRAPHIC_HEADERS: tuple[tuple[str, str, str], ...] = tuple(
    (cat.name, value, cat.column(value)) for cat in CATEGORIES for value in (*cat.values, "unknown"))
_BREAKDOWN_HEADERS: tuple[str, ...] = (
    "visitors", "exits", "occupancy_s", "avg_dwell_s", "peak_occupancy", "photos", "visit_photos", "visit_faces",
    "sightings", "suppressed", "breakdown_faces", "suppressed_faces", *(c for _, _, c in _DEMOGRAPHIC_HEADERS))


@dataclass
class Answer:
    """An HTTP answer: status, media type, body and extra headers."""

    status: int
    media_type: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The body parsed as JSON (tests)."""
        return json.loads(self.body)


def _flat(item: Breakdown) -> dict[str, Any]:
    row = item.model_dump(mode="json", exclude={"demographics", "series", "groups", "zones", "comparison"})
    for name, value, column in _DEMOGRAPHIC_HEADERS:
        row[column] = None if item.demographics is None else item.demographics[name][value]
    return row


def _csv(headers: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def report_csv(report: Report, table: str = "series") -> str:
    """A report as CSV: its series (and the comparison's, and a total row each), its sub-groups or its zones."""
    if table == "groups":
        head = ["level", "key", "label", "region", "city", "store_id", *_BREAKDOWN_HEADERS]
        return _csv(head, [_flat(g) for g in report.groups])
    if table == "zones":
        head = ["zone", "visits", "avg_dwell_s", *(c.name for c in DWELL_COLUMNS), "occupancy_mean", "occupancy_max"]
        return _csv(head, [{**z.model_dump(exclude={"dwell"}),
                            **{f"dwell_{k}": v for k, v in z.dwell.items()}} for z in report.zones])
    head = ["series", "period", "local_start", "window_start", "window_end", "occupancy_mean", *_BREAKDOWN_HEADERS]
    rows = [{**_flat(p), "series": "current"} for p in report.series]
    rows.append({**_flat(report), "series": "current", "period": "total", "local_start": None,
                 "window_start": period_text(report.start), "window_end": period_text(report.end)})
    if report.comparison is not None:
        name = report.comparison.compare
        rows.extend({**_flat(p), "series": name} for p in report.comparison.series)
        rows.append({**_flat(report.comparison), "series": name, "period": "total", "local_start": None,
                     "window_start": period_text(report.comparison.start),
                     "window_end": period_text(report.comparison.end)})
        rows.append({"series": "change_pct", "period": "total",
                     **{k: v for k, v in report.comparison.change_pct.items()}})
    return _csv(head, rows)


def heatmap_csv(heatmap: Heatmap) -> str:
    """The busiest-times grid as CSV: weekday, hour, visitors, days, average."""
    return _csv(["weekday", "weekday_name", "hour", "visitors", "days", "average"],
                [{**c.model_dump(), "weekday_name": heatmap.weekdays[c.weekday - 1]} for c in heatmap.cells])


def ranking_csv(ranking: Ranking) -> str:
    """The ranking as CSV: the top stores, then the bottom ones."""
    head = ["position", "rank", "store_id", "store_name", "city", "region", "visitors", "avg_dwell_s"]
    return _csv(head, [{"position": "top", **s.model_dump()} for s in ranking.top]
                + [{"position": "bottom", **s.model_dump()} for s in ranking.bottom])


def filters_csv(filters: Filters) -> str:
    """The stores the caller may read as CSV."""
    rows = [{"region": r.region, "city": c.city, "country": c.country, **s.model_dump()}
            for r in filters.regions for c in r.cities for s in c.stores]
    rows += [{**s.model_dump()} for s in filters.unassigned_stores]
    return _csv(["region", "city", "country", "store_id", "store_name", "time_zone"], rows)


def wants_csv(params: Mapping[str, str], headers: Mapping[str, str]) -> bool:
    """``format=csv``, or no ``format`` and an Accept header naming text/csv."""
    fmt = (params.get("format") or "").strip().lower()
    if fmt:
        return fmt == "csv"
    accept = next((v for k, v in headers.items() if k.lower() == "accept"), "")
    return "text/csv" in accept.lower()


def _filename(view: str, query: BaseModel | None) -> str:
    parts = [view]
    if query is not None:
        for name in ("store_id", "city", "region", "start", "end", "granularity", "compare"):
            value = getattr(query, name, None)
            if value is not None:
                parts.append(str(period_text(value) if name in ("start", "end") else value))
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in "_".join(parts))
    return f"footfall-{safe[:120]}.csv"


class ReportsHttp:
    """Answers every view of the reports API for a service and an access policy.

    ``service`` may be a factory, called on the first view that reads data (``meta`` needs only k).
    """

    def __init__(self, service: ReportService | Callable[[], ReportService], policy: AccessPolicy, k: int) -> None:
        self._service = service
        self.policy = policy
        self.k = k

    @property
    def service(self) -> ReportService:
        """The service (built by the factory on first use)."""
        if not isinstance(self._service, ReportService):
            self._service = self._service()
        return self._service

    def _json(self, payload: Any, status: int = 200) -> Answer:
        return Answer(status, JSON_TYPE, json.dumps(payload, separators=(",", ":")), {"Cache-Control": "no-store"})

    def answer(self, view: str, params: Mapping[str, str], headers: Mapping[str, str]) -> Answer:
        """The answer to ``GET /api/<view>?<params>`` with ``headers``."""
        if view not in VIEWS:
            return self._json({"detail": "not found"}, 404)
        try:
            scope = self.policy.scope(headers)
        except NotAuthenticated as exc:
            return Answer(401, JSON_TYPE, json.dumps({"detail": str(exc)}),
                          {"WWW-Authenticate": 'Bearer realm="footfall reports"', "Cache-Control": "no-store"})
        if scope.empty and view != "meta":
            return self._json({"detail": "your groups grant no regions or stores"}, 403)
        query: BaseModel | None = None
        if view in _QUERIES:
            try:
                query = _QUERIES[view].model_validate(dict(params))
            except ValidationError as exc:
                return self._json({"detail": json.loads(exc.json(include_url=False, include_input=False))}, 422)
        try:
            model, to_csv = self._view(view, query, scope)
        except ValidationError as exc:  # a missing bound filled in made the span too long
            return self._json({"detail": json.loads(exc.json(include_url=False, include_input=False))}, 422)
        except AccessDenied as exc:
            return self._json({"detail": str(exc)}, 403)
        except ReaderUnavailable as exc:
            log.warning("%s: %s", view, exc)
            answer = self._json({"detail": "report database unavailable, retry later"}, 503)
            answer.headers["Retry-After"] = "1"
            return answer
        if to_csv is not None and wants_csv(params, headers):
            return Answer(200, CSV_TYPE, to_csv(model), {
                "Cache-Control": "no-store", "Content-Disposition": f'attachment; filename="{_filename(view, query)}"'})
        return self._json(model.model_dump(mode="json"))

    def _view(self, view: str, query: Any, scope: Scope) -> tuple[BaseModel, Callable[[Any], str] | None]:
        if view == "meta":
            return Meta.build(self.k), None
        if view == "filters":
            return self.service.filters(scope), filters_csv
        if view == "heatmap":
            return self.service.heatmap(query, scope), heatmap_csv
        if view == "ranking":
            return self.service.ranking(query, scope), ranking_csv
        table = query.table
        return self.service.report(query, scope), lambda report: report_csv(report, table)
