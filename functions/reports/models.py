"""Pydantic models of the reports: published rows in, queries and reports out.

The row models are built from the column lists of :mod:`functions.aggregates` (one definition of
every column): :class:`StoreWindow` and :class:`ZoneWindow` are the Stream Analytics outputs
``store_windows`` and ``zone_windows``. :class:`ReportQuery` holds the query parameters of
``GET /api/report``; :class:`Filters`, :class:`Meta` and :class:`Report` are response payloads.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, create_model, field_serializer, field_validator, model_validator

from functions.aggregates import (
    CATEGORIES,
    COUNT_COLUMNS,
    STORE_DAY,
    STORE_WINDOW,
    TOTAL_COLUMNS,
    WINDOW_MINUTES,
    ZONE_WINDOW,
    Column,
)
from functions.contracts import ID_PATTERN, parse_iso, utc_iso

Level = Literal["store", "city", "region"]
LEVELS: tuple[Level, ...] = ("store", "city", "region")
"""From the finest to the coarsest grouping of stores."""

Granularity = Literal["15min", "hour", "day", "week", "month"]
GRANULARITIES: tuple[Granularity, ...] = ("15min", "hour", "day", "week", "month")
"""Points of a series: store-local quarter hours, hours, days, ISO weeks (Monday to Sunday) or months."""
SUB_DAY: tuple[Granularity, ...] = ("15min", "hour")
"""Granularities read from store windows; the others are read from daily rollups."""
GRANULARITY_MINUTES: dict[str, int] = {"15min": WINDOW_MINUTES, "hour": 60}
"""Minutes per point of the sub-day granularities."""

Compare = Literal["previous_period", "previous_year"]
"""``previous_period``: the same length just before; ``previous_year``: 52 weeks (364 days) earlier, so
the same weekdays."""
OutputFormat = Literal["json", "csv"]

GROUP_COLUMNS: tuple[str, ...] = ("store_id", "store_name", "city", "country", "region", "time_zone")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


_PY_TYPES: dict[str, type] = {"string": str, "datetime": datetime, "int": int, "float": float, "bool": bool}


def _fields(columns: tuple[Column, ...], skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Pydantic field definitions for ``columns``: counts are non-negative, nullable ones default to null."""
    fields: dict[str, Any] = {}
    for column in columns:
        if column.name in skip:
            continue
        annotation: Any = _PY_TYPES[column.type]
        constraints: dict[str, Any] = {"description": column.description}
        if column.type in ("int", "float"):
            constraints["ge"] = 0
        if column.nullable or column.role in ("key", "group"):
            annotation = annotation | None
            constraints["default"] = None
        fields[column.name] = (annotation, Field(**constraints))
    return fields


class _Row(BaseModel):
    """What every published row shares: UTC times in and ISO 8601 out, NaN read as null."""

    model_config = ConfigDict(extra="ignore")
    doc_type: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _nan_is_null(cls, data: Any) -> Any:
        """Writers built on pandas hand over NaN for SQL NULL."""
        if isinstance(data, dict):
            return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in data.items()}
        return data

    @field_validator("window_start", "window_end", "day_start", "day_end", check_fields=False)
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_serializer("window_start", "window_end", "day_start", "day_end", check_fields=False)
    def _iso(self, value: datetime) -> str:
        return utc_iso(value)

    def document(self) -> dict[str, Any]:
        """The row as a JSON-ready document, with ``id`` and ``doc_type``, as stored in Cosmos DB."""
        data = self.model_dump(mode="json")
        data["id"] = self.row_id()
        data["doc_type"] = self.doc_type
        return data

    def row_id(self) -> str:
        """The document id the job gives this row."""
        raise NotImplementedError


# The row models are built by create_model from the column lists in functions.aggregates (one home
# for the columns). For mypy, each base below declares the fields that code reads by name, with the
# types create_model gives them; demographic columns are read by name from the lists (getattr).
# tests/functions/reports/test_models.py checks each declaration against the built model.


class _StoreRowBase(_Row):
    """A store's row, a window or a day: the store's group columns and the totals of its windows."""

    if TYPE_CHECKING:
        store_id: str | None
        store_name: str | None
        city: str | None
        country: str | None
        region: str | None
        time_zone: str | None
        photos: int
        visit_photos: int
        visit_faces: int
        sightings: int
        visitors: int
        exits: int
        suppressed: bool


class _StoreWindowBase(_StoreRowBase):
    doc_type: ClassVar[str] = "store_window"

    if TYPE_CHECKING:
        window_start: datetime
        window_end: datetime

    @model_validator(mode="after")
    def _never_leak_suppressed(self) -> _StoreWindowBase:
        """A suppressed row never carries demographics: should a writer fill them anyway, they are
        dropped on validation, so nothing downstream can leak them."""
        if getattr(self, "suppressed", False):
            for column in COUNT_COLUMNS:
                if getattr(self, column) is not None:
                    object.__setattr__(self, column, None)
        return self

    def row_id(self) -> str:
        return f"{self.store_id}|{utc_iso(self.window_end)}"


class _ZoneWindowBase(_Row):
    doc_type: ClassVar[str] = "zone_window"

    if TYPE_CHECKING:
        store_id: str | None
        zone: str | None
        window_start: datetime
        window_end: datetime
        visits: int
        dwell_s_sum: float
        occupancy_mean: float
        occupancy_max: int

    def row_id(self) -> str:
        return f"{self.store_id}|{self.zone}|{utc_iso(self.window_end)}"


_R = TypeVar("_R", bound=_Row)


def _row_model(name: str, base: type[_R], columns: tuple[Column, ...], doc: str) -> type[_R]:
    """The row model ``name`` on ``base``, with a field per column but ``id`` and ``doc_type`` (which
    :meth:`_Row.document` adds)."""
    return create_model(name, __base__=base, __doc__=doc, **_fields(columns, skip=("id", "doc_type")))


StoreWindow = _row_model("StoreWindow", _StoreWindowBase, STORE_WINDOW,
                         "One store's 15-minute window (output ``store_windows``).")
"""One store's 15-minute window, output ``store_windows``; fields from :data:`functions.aggregates.STORE_WINDOW`."""

ZoneWindow = _row_model("ZoneWindow", _ZoneWindowBase, ZONE_WINDOW,
                        "One zone's 15-minute window (output ``zone_windows``).")
"""One zone's 15-minute window, output ``zone_windows``; fields from :data:`functions.aggregates.ZONE_WINDOW`."""


class _StoreDayBase(_StoreRowBase):
    doc_type: ClassVar[str] = "store_day"

    if TYPE_CHECKING:
        date: str
        day_start: datetime
        day_end: datetime
        windows: int
        occupancy_s: float
        occupancy_max: int
        published_faces: int

    def row_id(self) -> str:
        return f"{self.store_id}|{self.date}"


StoreDay = _row_model("StoreDay", _StoreDayBase, STORE_DAY, "One store's local day, rolled up from its store windows.")
"""One store's local day (``store_days``); fields from :data:`functions.aggregates.STORE_DAY`."""

OUTPUT_MODELS: dict[str, type[_Row]] = {"store_windows": StoreWindow, "zone_windows": ZoneWindow,
                                        "store_days": StoreDay}
"""What the reports read, by alias: the Stream Analytics outputs and the daily rollups."""

StoreWindowRow = _StoreWindowBase
"""The type of a :data:`StoreWindow` row, for annotations."""
ZoneWindowRow = _ZoneWindowBase
"""The type of a :data:`ZoneWindow` row, for annotations."""
StoreDayRow = _StoreDayBase
"""The type of a :data:`StoreDay` row, for annotations."""


class StoreRef(BaseModel):
    """A store as the report rows name it (from the Stream Analytics reference data)."""

    model_config = ConfigDict(frozen=True)

    store_id: str
    store_name: str | None = None
    city: str | None = None
    country: str | None = None
    region: str | None = None
    time_zone: str | None = None


class StoreOption(BaseModel):
    """A store in the filter tree."""

    store_id: str
    store_name: str | None = None
    time_zone: str | None = None


class CityNode(BaseModel):
    """A city in the filter tree, with its stores."""

    city: str
    country: str | None = None
    stores: list[StoreOption]


class RegionNode(BaseModel):
    """A region in the filter tree, with its cities."""

    region: str
    cities: list[CityNode]


class Filters(BaseModel):
    """``GET /api/filters``: regions > cities > stores the caller may read, and the time span the data covers."""

    regions: list[RegionNode]
    unassigned_stores: list[StoreOption] = Field(
        default_factory=list, description="Stores missing from the reference data (no city or region).",
    )
    first_window_start: datetime | None = None
    last_window_end: datetime | None = None
    k: int

    @field_serializer("first_window_start", "last_window_end")
    def _iso(self, value: datetime | None) -> str | None:
        return utc_iso(value) if value else None


class CategoryMeta(BaseModel):
    """A demographic category as reports show it."""

    name: str
    title: str
    values: list[str] = Field(description="Its values in order, the last one 'unknown'.")
    labels: dict[str, str]


class Meta(BaseModel):
    """``GET /api/meta``: what the dashboard needs to label everything, from the contracts."""

    k: int
    window_minutes: int
    granularities: list[str]
    categories: list[CategoryMeta]
    columns: dict[str, str] = Field(description="Every store window column and its description.")

    @classmethod
    def build(cls, k: int) -> Meta:
        """The metadata for ``k``."""
        return cls(
            k=k, window_minutes=WINDOW_MINUTES, granularities=list(GRANULARITIES),
            categories=[
                CategoryMeta(name=c.name, title=c.title, values=[*c.values, "unknown"],
                             labels={v: (v if v[0].isdigit() else v.capitalize()) for v in (*c.values, "unknown")})
                for c in CATEGORIES
            ],
            columns={c.name: c.description for c in STORE_WINDOW},
        )


class StoreFilters(BaseModel):
    """The optional store filters of a selection, coarsest first: a region, a city, a store."""

    model_config = ConfigDict(frozen=True)

    region: str | None = None
    city: str | None = None
    store_id: str | None = None


STORE_FILTERS: tuple[str, ...] = tuple(StoreFilters.model_fields)
"""``region``, ``city``, ``store_id``: the names of the store filters, coarsest first."""


class WindowSelection(StoreFilters):
    """Which rows a reader returns: optional store filters and a UTC time range.

    A window is selected when it lies wholly inside ``[start, end)``.
    """

    start: datetime | None = None
    end: datetime | None = None


class DaySelection(StoreFilters):
    """Which daily rollups a reader returns: optional store filters and store-local dates ``[first, last]``."""

    first: date | None = Field(default=None, description="First local date, inclusive.")
    last: date | None = Field(default=None, description="Last local date, inclusive.")


FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
"""Dates outside these are refused (422): nothing was counted before, and shifting a period must not overflow."""
MAX_SPAN_DAYS = 800
"""The longest range a report covers: a year and its comparison with room to spare."""
MAX_SUB_DAY_SPAN_DAYS = 93
"""The longest range of a quarter-hourly or hourly series (a quarter): longer ones ask for days."""
DEFAULT_SPAN_DAYS: dict[str, int] = {"15min": 1, "hour": 1, "day": 31, "week": 91, "month": 365}
"""The span of a report whose start is missing (it ends where asked, else with the newest data's local day)."""
HEATMAP_DAYS = 28
"""The span of a heatmap whose start is missing."""

_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


def _date_or_instant(value: Any) -> Any:
    """``YYYY-MM-DD`` is a store-local date; anything longer is an ISO 8601 instant (naive means UTC)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if _DATE_ONLY.fullmatch(text):
            return date.fromisoformat(text)
        try:
            return parse_iso(text)
        except (ValueError, OverflowError):
            raise ValueError(f"{text!r} is neither a date (YYYY-MM-DD) nor an ISO 8601 time") from None
    if isinstance(value, datetime):
        return _as_utc(value)
    return value


def _check_day(value: date | datetime | None) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"dates must lie between {FIRST_DAY} and {LAST_DAY}")


def period_text(value: date | datetime | None) -> str | None:
    """A range bound as reports print it: ``2026-11-23`` (a local date) or ``2026-11-23T08:00:00.000Z``."""
    if value is None:
        return None
    return utc_iso(value) if isinstance(value, datetime) else value.isoformat()


class _Scope(BaseModel):
    """Which stores: a region, a city or one store (none: every store the caller may read)."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(default=None, max_length=200, description="A sales region.")
    city: str | None = Field(default=None, max_length=200, description="A city.")
    store_id: str | None = Field(default=None, pattern=ID_PATTERN, description="One store.")
    start: datetime | date | None = Field(
        default=None,
        description="Start, inclusive. A date (YYYY-MM-DD) is a local day of each store: its local midnight. "
        "A time (ISO 8601, naive means UTC) is an instant. Default: a span before the end that depends on the "
        "view (a day by the hour, 31 days by day).",
    )
    end: datetime | date | None = Field(
        default=None,
        description="End, exclusive, of the same kind as start: end=2026-11-24 ends with the local day 2026-11-23. "
        "Default: the end of the newest data (its local day, for dates).",
    )
    format: OutputFormat = Field(
        default="json", description="json, or csv (also chosen by Accept: text/csv); the same suppression either way.",
    )

    @field_validator("region", "city", "store_id", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("start", "end", mode="before")
    @classmethod
    def _parse_bound(cls, value: Any) -> Any:
        return _date_or_instant(value)

    @model_validator(mode="after")
    def _consistent(self) -> Any:
        _check_day(self.start)
        _check_day(self.end)
        if self.start is not None and self.end is not None:
            if isinstance(self.start, datetime) != isinstance(self.end, datetime):
                raise ValueError("start and end must both be dates or both be times")
            if self.start >= self.end:
                raise ValueError("start must be before end")
            if self.span_days > MAX_SPAN_DAYS:
                raise ValueError(f"a report covers at most {MAX_SPAN_DAYS} days")
        return self

    @property
    def local_days(self) -> bool:
        """Whether the range is given in store-local dates (or not at all)."""
        return not isinstance(self.start, datetime) and not isinstance(self.end, datetime)

    @property
    def span_days(self) -> float:
        """Days between start and end (0 when either is open: the service bounds it, then checks again)."""
        if self.start is None or self.end is None:
            return 0.0
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            return (self.end - self.start).total_seconds() / 86400
        return float((self.end - self.start).days)


class ReportQuery(_Scope):
    """The parameters of ``GET /api/report``.

    ``region``, ``city`` and ``store_id`` select stores; every figure is summed from their 15-minute
    store windows or their daily rollups (see :mod:`functions.reports.service`). Times are each
    store's own: a day is a store-local day, an hour a store-local hour.
    """

    granularity: Granularity | None = Field(
        default=None,
        description="Points of the series, in store-local time: 15min, hour, day, week (ISO) or month. "
        "Default: hour for up to 31 days (or no range), day beyond.",
    )
    compare: Compare | None = Field(
        default=None,
        description="Also report the previous period of the same length, or the same weekdays 52 weeks "
        "earlier (previous_year), with the change in percent. Needs start and end.",
    )
    table: Literal["series", "groups", "zones"] = Field(
        default="series", description="Which table a CSV holds: the series (with the comparison), sub-groups or zones.",
    )

    @field_validator("granularity", "compare", mode="before")
    @classmethod
    def _blank_choice(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _periods(self) -> ReportQuery:
        if self.compare and (self.start is None or self.end is None):
            raise ValueError("compare needs start and end")
        if self.resolved_granularity in SUB_DAY and self.span_days > MAX_SUB_DAY_SPAN_DAYS:
            raise ValueError(f"a {self.resolved_granularity} series covers at most {MAX_SUB_DAY_SPAN_DAYS} days; "
                             "ask for days, weeks or months")
        return self

    @property
    def resolved_granularity(self) -> Granularity:
        """The explicit granularity, else hours for up to 31 days (or no range) and days beyond."""
        return self.granularity or ("hour" if self.span_days <= 31 else "day")


class HeatmapQuery(_Scope):
    """The parameters of ``GET /api/heatmap``: visitors by weekday and store-local hour.

    Without a start it covers the 28 local days before its end (default: the newest data's day). It
    reads store windows, so a longer range is cut to its last :data:`MAX_SUB_DAY_SPAN_DAYS` days (the
    answer's ``start`` says so).
    """


class RankingQuery(_Scope):
    """The parameters of ``GET /api/ranking``: the top and bottom stores of a region or city by visitors."""

    n: int = Field(default=5, ge=1, le=100, description="How many stores at the top and at the bottom.")


class Totals(BaseModel):
    """Counts that are never suppressed, summed over store windows."""

    visitors: int = Field(description="People who entered (entrance lines), each counted once.")
    exits: int = Field(description="People who left through the entrance lines.")
    photos: int = Field(description="Photos analysed (visit crops and whole frames).")
    visit_photos: int = Field(description="Visit crops analysed.")
    visit_faces: int = Field(description="Visit crops with a face: what breakdowns count.")
    sightings: int = Field(description="Faces in whole frames: sightings, never visitors.")


assert set(Totals.model_fields) == set(TOTAL_COLUMNS), "Totals must list the store window's total columns"


class Flow(BaseModel):
    """Occupancy and dwell of stores, from the door counts (see :mod:`functions.reports.rollup`)."""

    occupancy_s: float = Field(description="Person-seconds inside: occupancy (entries - exits since the local day "
                               "began, clamped at 0) times time.")
    avg_dwell_s: float | None = Field(default=None, description="Average visit length, seconds: occupancy_s / "
                                      "visitors (Little's law); null without visitors.")
    peak_occupancy: int | None = Field(default=None, description="Most people inside one store at a window's end "
                                       "(a single store only).")


class Breakdown(Totals, Flow):
    """Totals and the demographics of visits over a range, after k-anonymity is re-applied (see :mod:`.service`).

    When ``suppressed`` is true ``demographics`` is ``None``: shown as "suppressed", never as zero.
    """

    suppressed: bool
    breakdown_faces: int = Field(description="Visit faces the breakdown counts: those in published windows.")
    suppressed_faces: int = Field(description="Visit faces in suppressed windows, left out of the breakdown.")
    demographics: dict[str, dict[str, int]] | None = Field(
        default=None, description="Per category (gender, age, emotion), visit faces per value (with 'unknown').",
    )


class SeriesPoint(Breakdown):
    """One point of the series: a store-local quarter hour, hour, day, ISO week or month, over the selected stores."""

    period: str = Field(description="The point in local time: 2026-11-23T08:00, 2026-11-23, 2026-W48, 2026-11; "
                        "the repeated hour of a day that falls back has ' (2)' added.")
    local_start: str = Field(description="Local wall time the point starts, ISO 8601 without an offset.")
    window_start: datetime = Field(description="Its start in UTC (the earliest over the stores' zones).")
    window_end: datetime = Field(description="Its end in UTC (the latest over the stores' zones).")
    occupancy_mean: float | None = Field(
        default=None, description="People inside on average over the point (quarter hours and hours only).")

    @field_serializer("window_start", "window_end")
    def _iso(self, value: datetime) -> str:
        return utc_iso(value)


class GroupSummary(Breakdown):
    """One sub-group of the selection (a region's cities, a city's stores) over the range."""

    level: Level
    key: str
    label: str
    region: str | None = None
    city: str | None = None
    store_id: str | None = None


class ZoneSummary(BaseModel):
    """One zone of a store over the range: visits, dwell and occupancy (counts only, no k)."""

    zone: str
    visits: int
    avg_dwell_s: float | None = Field(description="Average dwell of the zone's visits, seconds.")
    dwell: dict[str, int] = Field(description="Visits per dwell bucket.")
    occupancy_mean: float | None = Field(description="People in the zone, averaged over the windows reported.")
    occupancy_max: int | None


CHANGE_FIELDS: tuple[str, ...] = ("visitors", "exits", "visit_faces", "avg_dwell_s", "occupancy_s")
"""The figures a comparison gives a change in percent for."""


class Comparison(Breakdown):
    """The same selection over the comparison period, point by point, and the change in percent."""

    compare: Compare
    start: date | datetime
    end: date | datetime
    series: list[SeriesPoint]
    change_pct: dict[str, float | None] = Field(
        description="(this period - that period) / that period * 100 per figure; null when that period has none.")

    @field_serializer("start", "end")
    def _bound(self, value: date | datetime) -> str | None:
        return period_text(value)


class Report(Breakdown):
    """``GET /api/report``: the time series, totals and visit breakdown of the selection."""

    granularity: Granularity
    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    start: date | datetime | None = None
    end: date | datetime | None = None
    time_basis: str = Field(description="Which clock the series uses: a store's zone, or each store's local "
                            "time when the stores span several zones.")
    time_zones: list[str] = Field(description="The zones of the stores in the report.")
    k: int
    windows: int = Field(description="Points in the series.")
    series: list[SeriesPoint]
    comparison: Comparison | None = None
    groups: list[GroupSummary] = Field(default_factory=list, description="Sub-groups one level down.")
    zones: list[ZoneSummary] = Field(default_factory=list, description="A store's zones (one store only).")
    rule: str = Field(description="The k-anonymity rule applied to the range, in words.")

    @field_serializer("start", "end")
    def _bound(self, value: date | datetime | None) -> str | None:
        return period_text(value)


WEEKDAYS: tuple[str, ...] = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class HeatCell(BaseModel):
    """Visitors in one store-local hour of one weekday over the range."""

    weekday: int = Field(ge=1, le=7, description="ISO weekday, 1 = Monday.")
    hour: int = Field(ge=0, le=23, description="Local hour.")
    visitors: int
    days: int = Field(description="Local days of this weekday in the range.")
    average: float = Field(description="Visitors per such day.")


class Heatmap(BaseModel):
    """``GET /api/heatmap``: the busiest times, weekday by local hour."""

    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    start: date | datetime
    end: date | datetime
    time_basis: str
    weekdays: list[str] = Field(default_factory=lambda: list(WEEKDAYS))
    cells: list[HeatCell] = Field(description="7 x 24 cells, Monday 00:00 first.")
    busiest: HeatCell | None = None

    @field_serializer("start", "end")
    def _bound(self, value: date | datetime) -> str | None:
        return period_text(value)


class RankedStore(BaseModel):
    """A store in a ranking."""

    rank: int
    store_id: str
    store_name: str | None = None
    city: str | None = None
    region: str | None = None
    visitors: int
    avg_dwell_s: float | None = None


class Ranking(BaseModel):
    """``GET /api/ranking``: the top and bottom stores by visitors."""

    region: str | None = None
    city: str | None = None
    start: date | datetime | None = None
    end: date | datetime | None = None
    stores: int = Field(description="Stores ranked.")
    top: list[RankedStore]
    bottom: list[RankedStore] = Field(description="Fewest visitors first.")

    @field_serializer("start", "end")
    def _bound(self, value: date | datetime | None) -> str | None:
        return period_text(value)
