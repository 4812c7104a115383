"""Pydantic models of the reports: published rows in, queries and reports out.

The row models are built from the column lists of :mod:`functions.aggregates` (one definition of
every column): :class:`StoreWindow` and :class:`ZoneWindow` are the Stream Analytics outputs
``store_windows`` and ``zone_windows``. :class:`ReportQuery` holds the query parameters of
``GET /api/report``; :class:`Filters`, :class:`Meta` and :class:`Report` are response payloads.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_serializer, field_validator, model_validator

from functions.aggregates import (
    CATEGORIES, COUNT_COLUMNS, STORE_WINDOW, TOTAL_COLUMNS, WINDOW_MINUTES, ZONE_WINDOW, Column,
)
from functions.contracts import ID_PATTERN, utc_iso

Level = Literal["store", "city", "region"]
LEVELS: tuple[Level, ...] = ("store", "city", "region")
"""From the finest to the coarsest grouping of stores."""

Granularity = Literal["15min", "hour"]
GRANULARITY_MINUTES: dict[str, int] = {"15min": WINDOW_MINUTES, "hour": 60}
"""Minutes per point of a series at each granularity."""

GROUP_COLUMNS: tuple[str, ...] = ("store_id", "store_name", "city", "country", "region", "time_zone")


def _as_utc(value: datetime) -> datetime:
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


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

    @field_validator("window_start", "window_end", check_fields=False)
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_serializer("window_start", "window_end", check_fields=False)
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


class _StoreWindowBase(_Row):
    doc_type: ClassVar[str] = "store_window"

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
        return f"{getattr(self, 'store_id')}|{utc_iso(getattr(self, 'window_end'))}"


class _ZoneWindowBase(_Row):
    doc_type: ClassVar[str] = "zone_window"

    def row_id(self) -> str:
        return f"{getattr(self, 'store_id')}|{getattr(self, 'zone')}|{utc_iso(getattr(self, 'window_end'))}"


StoreWindow: type[_StoreWindowBase] = create_model(  # type: ignore[call-overload]
    "StoreWindow", __base__=_StoreWindowBase, __doc__="One store's 15-minute window (output ``store_windows``).",
    **_fields(STORE_WINDOW, skip=("id", "doc_type")),
)
"""One store's 15-minute window, output ``store_windows``; fields from :data:`functions.aggregates.STORE_WINDOW`."""

ZoneWindow: type[_ZoneWindowBase] = create_model(  # type: ignore[call-overload]
    "ZoneWindow", __base__=_ZoneWindowBase, __doc__="One zone's 15-minute window (output ``zone_windows``).",
    **_fields(ZONE_WINDOW, skip=("id", "doc_type")),
)
"""One zone's 15-minute window, output ``zone_windows``; fields from :data:`functions.aggregates.ZONE_WINDOW`."""

OUTPUT_MODELS: dict[str, type[_Row]] = {"store_windows": StoreWindow, "zone_windows": ZoneWindow}
"""The Stream Analytics outputs the reports read, by alias."""


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
    """``GET /api/filters``: regions > cities > stores, and the time span the data covers."""

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
    categories: list[CategoryMeta]
    columns: dict[str, str] = Field(description="Every store window column and its description.")

    @classmethod
    def build(cls, k: int) -> Meta:
        """The metadata for ``k``."""
        return cls(
            k=k, window_minutes=WINDOW_MINUTES,
            categories=[
                CategoryMeta(name=c.name, title=c.title, values=[*c.values, "unknown"],
                             labels={v: (v if v[0].isdigit() else v.capitalize()) for v in (*c.values, "unknown")})
                for c in CATEGORIES
            ],
            columns={c.name: c.description for c in STORE_WINDOW},
        )


class WindowSelection(BaseModel):
    """Which rows a reader returns: optional store filters and a time range.

    A row is selected when it lies wholly inside ``[start, end)``.
    """

    model_config = ConfigDict(frozen=True)

    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None


class ReportQuery(BaseModel):
    """The parameters of ``GET /api/report``.

    ``region``, ``city`` and ``store_id`` select stores; every figure is summed from their
    15-minute store windows (see :mod:`functions.reports.service`). ``granularity`` is the time
    resolution of the series (``15min`` or ``hour``); it defaults to ``15min`` for one store and
    ``hour`` otherwise. ``start`` and ``end`` are ISO 8601 (naive means UTC); windows wholly inside
    ``[start, end)`` are reported.
    """

    model_config = ConfigDict(extra="forbid")

    granularity: Granularity | None = Field(default=None, description="Time resolution of the series.")
    region: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=200)
    store_id: str | None = Field(default=None, pattern=ID_PATTERN)
    start: datetime | None = None
    end: datetime | None = None

    @field_validator("granularity", "region", "city", "store_id", "start", "end", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value) if value else None

    @model_validator(mode="after")
    def _consistent(self) -> ReportQuery:
        if self.start and self.end and self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    @property
    def resolved_granularity(self) -> Granularity:
        """The explicit granularity, else 15 minutes for one store and an hour otherwise."""
        return self.granularity or ("15min" if self.store_id else "hour")

    def selection(self) -> WindowSelection:
        """The store windows this report needs."""
        return WindowSelection(region=self.region, city=self.city, store_id=self.store_id,
                               start=self.start, end=self.end)


class Totals(BaseModel):
    """Counts that are never suppressed, summed over store windows."""

    visitors: int = Field(description="People who entered (entrance lines), each counted once.")
    exits: int = Field(description="People who left through the entrance lines.")
    photos: int = Field(description="Photos analysed (visit crops and whole frames).")
    visit_photos: int = Field(description="Visit crops analysed.")
    visit_faces: int = Field(description="Visit crops with a face: what breakdowns count.")
    sightings: int = Field(description="Faces in whole frames: sightings, never visitors.")


assert set(Totals.model_fields) == set(TOTAL_COLUMNS), "Totals must list the store window's total columns"


class SeriesPoint(Totals):
    """One point of the series: totals over the selected stores in one window or hour."""

    window_start: datetime
    window_end: datetime
    suppressed_faces: int = Field(description="Visit faces in store windows whose breakdown was suppressed.")

    @field_serializer("window_start", "window_end")
    def _iso(self, value: datetime) -> str:
        return utc_iso(value)


class Breakdown(Totals):
    """Totals and the demographics of visits over a range, after k-anonymity is re-applied (see :mod:`.service`).

    When ``suppressed`` is true ``demographics`` is ``None``: shown as "suppressed", never as zero.
    """

    suppressed: bool
    breakdown_faces: int = Field(description="Visit faces the breakdown counts: those in published windows.")
    suppressed_faces: int = Field(description="Visit faces in suppressed windows, left out of the breakdown.")
    demographics: dict[str, dict[str, int]] | None = Field(
        default=None, description="Per category (gender, age, emotion), visit faces per value (with 'unknown').",
    )


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


class Report(Breakdown):
    """``GET /api/report``: the time series, totals and visit breakdown of the selection."""

    granularity: Granularity
    window_minutes: int
    region: str | None = None
    city: str | None = None
    store_id: str | None = None
    store_name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    k: int
    windows: int = Field(description="Points in the series.")
    series: list[SeriesPoint]
    groups: list[GroupSummary] = Field(default_factory=list, description="Sub-groups one level down.")
    zones: list[ZoneSummary] = Field(default_factory=list, description="A store's zones (one store only).")
    rule: str = Field(description="The k-anonymity rule applied to the range, in words.")

    @field_serializer("start", "end")
    def _iso(self, value: datetime | None) -> str | None:
        return utc_iso(value) if value else None
