"""The published aggregates: every column the Stream Analytics job writes, described once.

* :data:`STORE_WINDOW` - one store's 15-minute window: photos analysed, visitors and exits counted
  at the entrances, and the demographics of visits (k-anonymous). The one aggregate the job
  publishes for reports; every coarser level (city, region, fleet) and period (hour, day, week,
  month) is computed from it by the reports service, with the same k rule.
* :data:`ZONE_WINDOW` - one zone of a store over the same 15 minutes: visits, dwell and occupancy
  (the store-layout view; counts only, so no k applies).
* :data:`STORE_DAY` - one store's local day, rolled up from its store windows by the reports
  service so that a year of a store is hundreds of documents, not tens of thousands.

The Stream Analytics query (``footfall/stream_job.py`` writes ``stream_analytics/footfall.asaql``),
the report database's tables, the report row models, the dashboard's labels and the Power BI model are
generated from these lists, and tests fail when a generated file is stale.

k-anonymity. A store window's demographic columns are null and ``suppressed`` is true when it holds
fewer than k visit faces (``visit_faces < k``); its totals stay. Only visit crops feed demographics
(one face per visit), so k counts distinct visits, never repeated sightings of one person.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from functions.contracts import AGE_BANDS, DWELL_BUCKET_NAMES, DWELL_BUCKETS_S, EMOTIONS, GENDERS

ColumnType = Literal["string", "datetime", "int", "float", "bool"]
ColumnRole = Literal["key", "group", "time", "total", "demographic", "flag"]
Rollup = Literal["sum", "max", "mean"]

WINDOW_MINUTES = 15
"""Length of the published store and zone windows (tumbling, UTC-aligned; every real UTC offset is a
multiple of 15 minutes, so they are local quarter hours too)."""

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Column:
    """One column of a published aggregate."""

    name: str
    type: ColumnType
    role: ColumnRole
    description: str
    nullable: bool = False
    category: str | None = None
    """For a demographic count: ``gender``, ``age`` or ``emotion``."""
    value: str | None = None
    """For a demographic count: the category's value (``female``, ``35-44``, ...) or ``unknown``."""
    label: str = ""
    """How people read it: ``Female``, ``35-44``, ``Happiness``, ``Unknown``."""
    rollup: Rollup | None = None
    """How rows combine into a longer period or a larger group (``None``: counts and totals add up)."""

    @property
    def combine(self) -> Rollup | None:
        """How the column combines: its ``rollup``, else ``sum`` for totals and demographic counts, else none."""
        return self.rollup or ("sum" if self.role in ("total", "demographic") else None)


@dataclass(frozen=True)
class Category:
    """A demographic category: its values in order, then ``unknown``."""

    name: str
    title: str
    values: tuple[str, ...]
    event_field: str
    """The FaceRecord field it reads."""

    def column(self, value: str) -> str:
        """The column name of one value: ``gender_female``, ``age_35_44``, ``age_65_plus``, ``emotion_unknown``."""
        slug = value.replace("-", "_").replace("+", "_plus")
        return f"{self.name}_{slug}"

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column of the category, values then unknown."""
        return tuple(self.column(v) for v in (*self.values, UNKNOWN))


CATEGORIES: tuple[Category, ...] = (
    Category("gender", "Gender", GENDERS, "gender"),
    Category("age", "Age band", AGE_BANDS, "age_band"),
    Category("emotion", "Emotion", EMOTIONS, "emotion"),
)


def _label(value: str) -> str:
    return value if value[0].isdigit() else value.capitalize()


DEMOGRAPHIC_COLUMNS: tuple[Column, ...] = tuple(
    Column(
        cat.column(value), "int", "demographic",
        f"Visit faces whose {cat.title.lower()} is {value}" if value != UNKNOWN
        else f"Visit faces whose {cat.title.lower()} is unknown (not estimated, gated by quality, or turned off)",
        nullable=True, category=cat.name, value=value, label=_label(value),
    )
    for cat in CATEGORIES
    for value in (*cat.values, UNKNOWN)
)
"""Counts per category value over the window's visit faces; each category adds up to ``visit_faces``.
Null when the window is suppressed."""

_STORE_GROUP: tuple[Column, ...] = (
    Column("store_id", "string", "group", "The store (shop)."),
    Column("store_name", "string", "group", "Its name (stores.csv); null when the store is missing there.", True),
    Column("city", "string", "group", "Its city (stores.csv).", True),
    Column("country", "string", "group", "Its country, ISO 3166-1 alpha-2 (stores.csv).", True),
    Column("region", "string", "group", "Its sales region (stores.csv).", True),
    Column("time_zone", "string", "group", "Its IANA time zone (stores.csv): its days and hours are local.", True),
)
_WINDOW_TIME: tuple[Column, ...] = (
    Column("window_start", "datetime", "time", "Start of the 15-minute window (UTC, exclusive)."),
    Column("window_end", "datetime", "time", "End of the window (UTC, inclusive): the row's time."),
)

STORE_WINDOW: tuple[Column, ...] = (
    Column("id", "string", "key", "Document id: store_id|window_end."),
    Column("doc_type", "string", "key", "Always store_window."),
    *_STORE_GROUP,
    *_WINDOW_TIME,
    Column("photos", "int", "total", "Photos analysed: visit crops and whole frames."),
    Column("visit_photos", "int", "total", "Visit crops analysed: one per visit the edge module photographed."),
    Column("visit_faces", "int", "total", "Visit crops in which a face was found: the faces a breakdown counts (k)."),
    Column("sightings", "int", "total", "Faces seen in whole frames: sightings, never visitors."),
    Column("visitors", "int", "total", "People who entered: in-crossings of the entrance cameras' lines."),
    Column("exits", "int", "total", "People who left: out-crossings of the entrance cameras' lines."),
    *DEMOGRAPHIC_COLUMNS,
    Column("suppressed", "bool", "flag", "True when visit_faces < k: every demographic column is then null."),
)

def _dwell_span(index: int) -> str:
    bounds = DWELL_BUCKETS_S
    if index == 0:
        return f"under {bounds[0]} s"
    if index == len(bounds):
        return f"{bounds[-1]} s or more"
    return f"{bounds[index - 1]}-{bounds[index]} s"


DWELL_COLUMNS: tuple[Column, ...] = tuple(
    Column(f"dwell_{name}", "int", "total", f"Zone visits that lasted {_dwell_span(i)}.", label=_dwell_span(i))
    for i, name in enumerate(DWELL_BUCKET_NAMES)
)
"""The dwell histogram of a zone window, one column per bucket of :data:`DWELL_BUCKETS_S`."""


ZONE_WINDOW: tuple[Column, ...] = (
    Column("id", "string", "key", "Document id: store_id|zone|window_end."),
    Column("doc_type", "string", "key", "Always zone_window."),
    Column("store_id", "string", "group", "The store (shop)."),
    Column("zone", "string", "group", "The zone, unique within its store (cameras.csv)."),
    *_WINDOW_TIME,
    Column("visits", "int", "total", "Zone visits that ended in the window."),
    Column("dwell_s_sum", "float", "total", "Seconds those visits spent in the zone, summed (average = sum / visits)."),
    *DWELL_COLUMNS,
    Column("occupancy_mean", "float", "total", "People in the zone, averaged over the minutes the camera reported.",
           rollup="mean"),
    Column("occupancy_max", "int", "total", "Most people in the zone at once.", rollup="max"),
)

STORE_DAY: tuple[Column, ...] = (
    Column("id", "string", "key", "Document id: store_id|date."),
    Column("doc_type", "string", "key", "Always store_day."),
    *_STORE_GROUP,
    Column("date", "string", "time", "The store's local date, YYYY-MM-DD."),
    Column("day_start", "datetime", "time", "Local midnight starting the day, in UTC."),
    Column("day_end", "datetime", "time", "Local midnight ending the day, in UTC (23 or 25 hours later on DST days)."),
    Column("windows", "int", "total", "Store windows rolled up."),
    *(c for c in STORE_WINDOW if c.role == "total"),
    Column("occupancy_s", "float", "total",
           "People inside times seconds (person-seconds) from the day's first to its last window, with occupancy "
           "= entries - exits since the local day began, clamped at 0. Average dwell = occupancy_s / visitors."),
    Column("occupancy_max", "int", "total", "Most people inside at the end of a window (the same occupancy).",
           rollup="max"),
    Column("published_faces", "int", "total", "Visit faces in the day's published windows: what its breakdown covers."),
    *(Column(c.name, c.type, c.role, c.description.replace("Visit faces", "Visit faces of published windows"),
             nullable=False, category=c.category, value=c.value, label=c.label) for c in DEMOGRAPHIC_COLUMNS),
    Column("suppressed", "bool", "flag", "True when published_faces < k."),
    Column("k", "int", "flag", "The k the day was rolled up with: its published windows hold at least k visit faces. "
           "Reports use its breakdown only under the same k (null: written before k was recorded).", nullable=True),
    Column("l_diversity", "bool", "flag", "Whether l-diversity also decided which windows were published (their "
           "known values of every category are not all one). Reports use its breakdown only under the same rule.",
           nullable=True),
)
"""A store's local day. Demographic sums come only from the day's published store windows, so a
parent (a region's week) that sums store days never includes a suppressed window."""

DOC_TYPES: dict[str, tuple[Column, ...]] = {
    "store_window": STORE_WINDOW, "zone_window": ZONE_WINDOW, "store_day": STORE_DAY,
}


def names(columns: tuple[Column, ...], *roles: ColumnRole) -> tuple[str, ...]:
    """The names of the columns with one of ``roles`` (all columns when none is given)."""
    return tuple(c.name for c in columns if not roles or c.role in roles)


COUNT_COLUMNS: tuple[str, ...] = names(STORE_WINDOW, "demographic")
"""The demographic count columns, in order."""
TOTAL_COLUMNS: tuple[str, ...] = names(STORE_WINDOW, "total")
"""The totals of a store window: never suppressed."""
