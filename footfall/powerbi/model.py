"""Write the Power BI semantic model (TMDL) from the contracts.

The model's fact tables are the documents the Stream Analytics job and the reports service write to
Cosmos DB (:data:`functions.aggregates.DOC_TYPES`): every field of a document is a column of the same
name, with the description the contract gives it, so the model cannot drift from the documents
(``tests/powerbi`` and ``tests/footfall/powerbi`` fail when the committed files are stale). To them the
model adds what Power BI needs and the documents cannot carry: store-local time (Power Query has no IANA
time zones, so the zones of ``stores.csv`` are written out as offset periods from Python's
``zoneinfo``), the stores and cameras of the reference data, a date table of store-local days, the
parameter k, and the measures that keep the k rule.

Connection. The Azure Cosmos DB v2 connector (``CosmosDB.Contents``) in import mode with incremental
refresh: see ``powerbi/README.md`` for why not DirectQuery. The account endpoint, database and
container are parameters (``CosmosEndpoint``, ``CosmosDatabase``, ``CosmosContainer``); sign-in is
the user's or the service's Microsoft Entra ID (the account has keys disabled). Nothing secret is
written.

The k rule. A store window's demographics count only when it is published: not ``suppressed`` by the
job, and holding at least k visit faces (k is the model parameter ``K``, default
:data:`functions.contracts.DEFAULT_K`). A demographic count or share of any group (a store, a city, a
region, a day, a month) is blank when the published faces of that group are fewer than k; totals
(visitors, exits, photos) always sum everything.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from footfall.powerbi.access import AccessGroup
from footfall.powerbi.tmdl import SemanticModel, quote
from functions.aggregates import (
    CATEGORIES,
    DOC_TYPES,
    DWELL_COLUMNS,
    STORE_WINDOW,
    UNKNOWN,
    WINDOW_MINUTES,
    Column,
    ColumnType,
)
from functions.contracts import DEFAULT_K, CameraRecord, StoreRecord
from functions.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
POWERBI_DIR = REPO_ROOT / "powerbi"
PROJECT = "Footfall"
SEMANTIC_MODEL_DIR = POWERBI_DIR / f"{PROJECT}.SemanticModel"
DEFINITION_DIR = SEMANTIC_MODEL_DIR / "definition"
REPORT_DEFINITION_DIR = POWERBI_DIR / f"{PROJECT}.Report" / "definition"

COSMOS_DATABASE: str = Settings.model_fields["cosmos_database"].default
COSMOS_CONTAINER: str = Settings.model_fields["cosmos_container"].default
ENDPOINT_PLACEHOLDER = "https://<your-account>.documents.azure.com:443/"
"""The endpoint parameter's value in the repository: a placeholder the user replaces (no account, no key)."""

TIME_ZONE_YEARS = (2024, 2036)
"""Store-local time is computed for instants in these years [from, until): regenerate before 2036."""

HISTORY_MONTHS = 13
"""Incremental refresh keeps this many months of every document type (Cosmos keeps 400 days)."""
REFRESH_DAYS = 3
"""Each refresh reloads the last days (late and re-sent windows land there)."""
WINDOWS_PER_DAY = 24 * 60 // WINDOW_MINUTES
"""Store windows a store writes a day."""

TAB = "\t"
_NAMESPACE = uuid.UUID("6f0c5a52-8d0f-4b0e-9a54-1d6f6f0f0f16")

TMDL_TYPES: dict[ColumnType, str] = {
    "string": "string", "datetime": "dateTime", "int": "int64", "float": "double", "bool": "boolean",
}
"""Contract column type -> TMDL ``dataType``."""
M_TYPES: dict[ColumnType, str] = {
    "string": "type text", "datetime": "type datetimezone", "int": "Int64.Type", "float": "type number",
    "bool": "type logical",
}
"""Contract column type -> the Power Query type a document field is read as (datetimes then become UTC)."""


def stable_id(*parts: str) -> str:
    """A GUID that stays the same from one generation to the next (relationship names, logical ids)."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


# --- What the model holds ----------------------------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A column the model adds to a document table (computed in Power Query at refresh)."""

    name: str
    data_type: str
    m_expression: str
    m_type: str
    description: str
    format_string: str | None = None


@dataclass(frozen=True)
class DocTable:
    """A fact table: the documents of one ``doc_type``, every field a column."""

    name: str
    doc_type: str
    range_field: str
    """The field incremental refresh filters on (an ISO 8601 text that sorts as time does)."""
    range_format: str
    """How RangeStart/RangeEnd are written to compare with that field."""
    derived: tuple[Derived, ...]
    description: str

    @property
    def columns(self) -> tuple[Column, ...]:
        """The fields of its documents (:data:`functions.aggregates.DOC_TYPES`)."""
        return DOC_TYPES[self.doc_type]


_LOCAL_START = "local_start"
_LOCAL = (
    Derived("local_date", "dateTime", "each Date.From([local_start])", "type date",
            "The store's local date of the window start: relates to the Date table.", "yyyy-mm-dd"),
    Derived("local_hour", "int64", "each Time.Hour([local_start])", "Int64.Type",
            "The store's local hour of the window start (0-23)."),
)

STORE_WINDOWS = DocTable(
    "Store windows", "store_window", "window_end", "yyyy-MM-dd'T'HH:mm:ss",
    (Derived(_LOCAL_START, "dateTime", "each ToLocalTime([window_start], [time_zone])", "type datetime",
             "Start of the window in the store's local time (its time_zone).", "yyyy-mm-dd hh:nn"), *_LOCAL),
    "One store's 15-minute window (doc_type store_window): visitors and exits at the entrances, photos, "
    "and the demographics of visits, null when the job suppressed them (fewer than k visit faces).",
)
ZONE_WINDOWS = DocTable(
    "Zone windows", "zone_window", "window_end", "yyyy-MM-dd'T'HH:mm:ss",
    (Derived(_LOCAL_START, "dateTime",
             "each ToLocalTime([window_start], Record.FieldOrDefault(StoreTimeZones, [store_id], null))",
             "type datetime", "Start of the window in the store's local time (stores.csv time_zone).",
             "yyyy-mm-dd hh:nn"), *_LOCAL),
    "One zone of a store over 15 minutes (doc_type zone_window): visits, dwell and occupancy. Counts only.",
)
STORE_DAYS = DocTable(
    "Store days", "store_day", "date", "yyyy-MM-dd",
    (Derived("local_date", "dateTime", "each Date.FromText([date], [Format = \"yyyy-MM-dd\"])", "type date",
             "The store's local date (the document's date): relates to the Date table.", "yyyy-mm-dd"),),
    "One store's local day (doc_type store_day), rolled up from its store windows by the reports service. "
    "Its demographics sum only the day's windows the job published.",
)
DOC_TABLES: tuple[DocTable, ...] = (STORE_WINDOWS, STORE_DAYS, ZONE_WINDOWS)

STORES = "Stores"
CAMERAS = "Cameras"
DATE = "Date"
PARAMETERS = "Parameters"
DEMOGRAPHICS = "Demographic values"
STORE_HIERARCHY = "Region ▶ City ▶ Store"

_GROUP_DESCRIPTIONS = {c.name: c.description for c in STORE_WINDOW if c.role == "group"}
STORE_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, (_GROUP_DESCRIPTIONS.get(name) or info.description or name).split(" (stores.csv)")[0].rstrip("."))
    for name, info in StoreRecord.model_fields.items()
)
"""The columns of ``stores.csv`` (:class:`StoreRecord`), described as the contracts describe them."""
CAMERA_FIELDS: tuple[tuple[str, str], ...] = tuple(
    (name, (info.description or {"store_id": "The store (shop)", "camera_id": "The camera, unique within its store"}
            .get(name, name)).rstrip("."))
    for name, info in CameraRecord.model_fields.items()
)
"""The columns of ``cameras.csv`` (:class:`CameraRecord`)."""


def published_filter(k: str = "kValue") -> str:
    """The CALCULATE filters that keep only published store windows (``k`` is a DAX variable)."""
    table = quote_dax(STORE_WINDOWS.name)
    return f"{table}[suppressed] = FALSE(), {table}[visit_faces] >= {k}"


def quote_dax(table: str) -> str:
    """A table name as DAX writes it, always quoted: ``'Store windows'``."""
    return "'" + table.replace("'", "''") + "'"


def demographic_measure(column: Column) -> str:
    """The measure name of a demographic count: ``Gender Female``, ``Age band 35-44``."""
    category = next(c for c in CATEGORIES if c.name == column.category)
    return f"{category.title} {column.label}"


@dataclass(frozen=True)
class Measure:
    table: str
    name: str
    expression: str
    description: str
    folder: str
    format_string: str | None = None
    data_type: str | None = None


def measures() -> list[Measure]:
    """Every measure of the model, generated from the contracts."""
    sw, sd, zw = quote_dax(STORE_WINDOWS.name), quote_dax(STORE_DAYS.name), quote_dax(ZONE_WINDOWS.name)
    out: list[Measure] = []
    whole = "#,0"
    for column in STORE_WINDOW:
        if column.role == "total":
            out.append(Measure(STORE_WINDOWS.name, column.name.replace("_", " ").capitalize(),
                               f"SUM({sw}[{column.name}])", column.description, "Totals", whole))
    out += [
        Measure(STORE_WINDOWS.name, "Windows", f"COUNTROWS({sw})", "Store windows in the selection.", "Totals", whole),
        Measure(PARAMETERS, "k", f"MAX({quote_dax(PARAMETERS)}[k_anonymity])",
                "k of k-anonymity (the model parameter K): demographics of fewer visit faces are never shown.",
                "Privacy", whole),
        Measure(STORE_WINDOWS.name, "Published windows",
                f"VAR kValue = [k]\nRETURN CALCULATE(COUNTROWS({sw}), {published_filter()})",
                "Store windows whose demographics may be shown: not suppressed and at least k visit faces.",
                "Privacy", whole),
        Measure(STORE_WINDOWS.name, "Suppressed windows", "[Windows] - [Published windows]",
                "Store windows whose demographics are hidden (fewer than k visit faces). Their totals still count.",
                "Privacy", whole),
        Measure(STORE_WINDOWS.name, "Published faces",
                f"VAR kValue = [k]\nRETURN CALCULATE(SUM({sw}[visit_faces]), {published_filter()})",
                "Visit faces of the published windows: what every demographic count and share covers.",
                "Privacy", whole),
        Measure(STORE_WINDOWS.name, "Demographics status",
                "VAR faces = [Published faces]\nRETURN IF(ISBLANK([Windows]), BLANK(),\n"
                "    IF(faces >= [k], \"published\", \"suppressed: fewer than k published faces\"))",
                "Whether the selection's demographics can be shown (its published faces reach k).", "Privacy"),
    ]
    for column in STORE_WINDOW:
        if column.role != "demographic":
            continue
        name = demographic_measure(column)
        out.append(Measure(
            STORE_WINDOWS.name, name,
            f"VAR kValue = [k]\nVAR faces = [Published faces]\n"
            f"RETURN IF(faces >= kValue, CALCULATE(SUM({sw}[{column.name}]), {published_filter()}))",
            f"{column.description}, over published windows only; blank when the selection's published faces "
            "are fewer than k.", f"Demographics\\{column.category}", whole))
        out.append(Measure(
            STORE_WINDOWS.name, f"{name} %", f"DIVIDE([{name}], [Published faces])",
            f"Share of published visit faces whose {column.category} is {column.value}; blank below k.",
            f"Demographics\\{column.category}", "0.0%"))
    switch = ",\n".join(
        f"    \"{c.name}\", [{demographic_measure(c)}]" for c in STORE_WINDOW if c.role == "demographic")
    dv = quote_dax(DEMOGRAPHICS)
    out += [
        Measure(STORE_WINDOWS.name, "Faces",
                f"SWITCH(SELECTEDVALUE({dv}[column]),\n{switch}\n)",
                "The demographic count of the chosen value (Demographic values); blank below k.",
                "Demographics", whole),
        Measure(STORE_WINDOWS.name, "Share of faces", "DIVIDE([Faces], [Published faces])",
                "The chosen value's share of published visit faces; blank below k.", "Demographics", "0.0%"),
        Measure(STORE_WINDOWS.name, "Share shown",
                "IF(ISBLANK([Windows]) || NOT HASONEVALUE(" + dv + "[column]), BLANK(),\n"
                "    IF(ISBLANK([Faces]), \"suppressed\", FORMAT([Share of faces], \"0.0%\")))",
                "The share as text, or 'suppressed' when the group has fewer than k published faces (never 0).",
                "Demographics"),
    ]
    out += [
        Measure(ZONE_WINDOWS.name, "Zone visits", f"SUM({zw}[visits])",
                "Zone visits that ended in the selection.", "Zones", whole),
        Measure(ZONE_WINDOWS.name, "Dwell seconds", f"SUM({zw}[dwell_s_sum])",
                "Seconds the zone visits lasted, summed.", "Zones", whole),
        Measure(ZONE_WINDOWS.name, "Average dwell (s)", "DIVIDE([Dwell seconds], [Zone visits])",
                "Average seconds a zone visit lasted.", "Zones", "#,0.0"),
        Measure(ZONE_WINDOWS.name, "Occupancy (mean)",
                f"AVERAGEX(SUMMARIZE({zw}, {zw}[store_id], {zw}[window_end]), "
                f"CALCULATE(SUM({zw}[occupancy_mean])))",
                "People in the selected zones at once, on average over their windows.", "Zones", "#,0.0"),
        Measure(ZONE_WINDOWS.name, "Occupancy (max)", f"MAX({zw}[occupancy_max])",
                "Most people in one zone at once.", "Zones", whole),
    ]
    for column in DWELL_COLUMNS:
        out.append(Measure(ZONE_WINDOWS.name, f"Dwell {column.label}", f"SUM({zw}[{column.name}])",
                           column.description, "Zones\\Dwell", whole))
    date = quote_dax(DATE)
    days = "[Visitors (store days)]"
    out += [
        Measure(STORE_DAYS.name, "Visitors (store days)", f"SUM({sd}[visitors])",
                "People who entered, from the daily rollups: quick over long periods.", "Comparison", whole),
        Measure(STORE_DAYS.name, "Visitors previous period",
                f"VAR first = MIN({date}[Date])\nVAR last = MAX({date}[Date])\nVAR days = INT(last - first) + 1\n"
                f"RETURN CALCULATE({days}, REMOVEFILTERS({date}), DATESBETWEEN({date}[Date], first - days, first - 1))",
                "Visitors of the period of the same length just before the selected dates.", "Comparison", whole),
        Measure(STORE_DAYS.name, "Visitors last year",
                f"VAR first = MIN({date}[Date])\nVAR last = MAX({date}[Date])\n"
                f"RETURN CALCULATE({days}, REMOVEFILTERS({date}), DATESBETWEEN({date}[Date], first - 364, last - 364))",
                "Visitors of the same weekdays a year earlier (364 days before), as the reports API compares.",
                "Comparison", whole),
        Measure(STORE_DAYS.name, "Change vs previous period",
                f"DIVIDE({days} - [Visitors previous period], [Visitors previous period])",
                "Change of visitors against the previous period.", "Comparison", "+0.0%;-0.0%;0.0%"),
        Measure(STORE_DAYS.name, "Change vs last year",
                f"DIVIDE({days} - [Visitors last year], [Visitors last year])",
                "Change of visitors against the same weekdays a year earlier.", "Comparison", "+0.0%;-0.0%;0.0%"),
    ]
    return out


# --- Power Query (M) ---------------------------------------------------------------------------


def _m_text(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def _m_field(name: str) -> str:
    return name if name.isidentifier() and name.isascii() else f'#"{name}"'


def offset_periods(zone: str, years: tuple[int, int] = TIME_ZONE_YEARS) -> list[tuple[datetime, int]]:
    """The UTC instants from which ``zone`` has a new UTC offset (minutes), from the start of ``years``.

    The first period starts at the beginning of the first year; each later one at a change of offset
    (daylight saving time), found to the minute.
    """
    tz = ZoneInfo(zone)

    def offset(at: datetime) -> int:
        delta = at.astimezone(tz).utcoffset()
        assert delta is not None
        return int(delta.total_seconds() // 60)

    start = datetime(years[0], 1, 1, tzinfo=UTC)
    until = datetime(years[1], 1, 1, tzinfo=UTC)
    periods = [(start, offset(start))]
    step = timedelta(hours=6)  # no zone changes its offset twice within six hours
    at = start
    while at < until:
        nxt = at + step
        if offset(nxt) != periods[-1][1]:
            lo, hi = 0, int(step.total_seconds() // 60)  # minutes after ``at``: the change is in (lo, hi]
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(at + timedelta(minutes=mid)) == periods[-1][1] else (lo, mid)
            changed = at + timedelta(minutes=hi)
            periods.append((changed, offset(changed)))
        at = nxt
    return periods


def _m_datetime(at: datetime) -> str:
    return f"#datetime({at.year}, {at.month}, {at.day}, {at.hour}, {at.minute}, 0)"


def time_zone_offsets_m(zones: list[str]) -> str:
    """A Power Query record: each zone -> a list of {UTC start, offset minutes}, in time order."""
    lines = ["["]
    for i, zone in enumerate(sorted(set(zones))):
        periods = ", ".join(f"{{{_m_datetime(at)}, {minutes}}}" for at, minutes in offset_periods(zone))
        lines.append(f"    {_m_field(zone)} = {{{periods}}}" + ("," if i < len(set(zones)) - 1 else ""))
    lines.append("]")
    return "\n".join(lines)


TO_LOCAL_TIME_M = """(utc as nullable datetime, zone as nullable text) as nullable datetime =>
let
    periods = if zone = null then null else Record.FieldOrDefault(TimeZoneOffsets, zone, null),
    earlier = if utc = null or periods = null then {} else List.Select(periods, each _{0} <= utc),
    minutes = if List.IsEmpty(earlier) then null else List.Last(earlier){1}
in
    if minutes = null then null else utc + #duration(0, 0, minutes, 0)"""

CONTAINER_M = """let
    Source = CosmosDB.Contents(CosmosEndpoint),
    Database = Source{[Name = CosmosDatabase, Kind = "Database"]}[Data],
    Container = Database{[Name = CosmosContainer, Kind = "Table"]}[Data]
in
    Container"""


def doc_table_m(table: DocTable) -> str:
    """The Power Query of a fact table: its documents in the refresh range, typed, with local time."""
    names = ", ".join(_m_text(c.name) for c in table.columns)
    types = ", ".join(f"{{{_m_text(c.name)}, {M_TYPES[c.type]}}}" for c in table.columns)
    utc = ", ".join(
        f"{{{_m_text(c.name)}, each DateTimeZone.RemoveZone(DateTimeZone.ToUtc(_)), type datetime}}"
        for c in table.columns if c.type == "datetime")
    to_text = "DateTime.ToText" if "HH" in table.range_format else "Date.ToText"
    bound = "" if "HH" in table.range_format else "Date.From"
    steps = [
        f"From = {to_text}({bound}(RangeStart), [Format = {_m_text(table.range_format)}, Culture = \"en-US\"])",
        f"Until = {to_text}({bound}(RangeEnd), [Format = {_m_text(table.range_format)}, Culture = \"en-US\"])",
        f"Documents = Table.SelectRows(FootfallContainer, each [doc_type] = {_m_text(table.doc_type)}"
        f" and [{table.range_field}] >= From and [{table.range_field}] < Until)",
        f"Fields = Table.SelectColumns(Documents, {{{names}}})",
        f"Typed = Table.TransformColumnTypes(Fields, {{{types}}})",
    ]
    last = "Typed"
    if utc:
        steps.append(f"Utc = Table.TransformColumns(Typed, {{{utc}}})")
        last = "Utc"
    for derived in table.derived:
        step = "".join(part.capitalize() for part in derived.name.split("_"))
        steps.append(
            f"{step} = Table.AddColumn({last}, {_m_text(derived.name)}, {derived.m_expression}, {derived.m_type})")
        last = step
    body = ",\n    ".join(steps)
    return f"let\n    {body}\nin\n    {last}"


def _m_value(value: str | int | None) -> str:
    if value is None:
        return "null"
    return str(value) if isinstance(value, int) else _m_text(value)


def static_table_m(columns: list[tuple[str, str]], rows: list[list[str | int | None]]) -> str:
    """A Power Query table literal: ``#table(type table [...], {{...}, ...})``."""
    header = ", ".join(f"{_m_field(name)} = {m_type}" for name, m_type in columns)
    body = ",\n        ".join("{" + ", ".join(_m_value(v) for v in row) + "}" for row in rows)
    return f"#table(\n    type table [{header}],\n    {{\n        {body}\n    }}\n)"


DATE_M = """let
    Today = Date.From(DateTime.LocalNow()),
    First = #date(Date.Year(Today) - 2, 1, 1),
    Last = #date(Date.Year(Today) + 1, 12, 31),
    Dates = List.Dates(First, Duration.Days(Last - First) + 1, #duration(1, 0, 0, 0)),
    Base = Table.FromList(Dates, Splitter.SplitByNothing(), type table [Date = date]),
    Year = Table.AddColumn(Base, "Year", each Date.Year([Date]), Int64.Type),
    MonthNumber = Table.AddColumn(Year, "Month number", each Date.Month([Date]), Int64.Type),
    Month = Table.AddColumn(MonthNumber, "Month",
        each Date.ToText([Date], [Format = "MMM", Culture = "en-US"]), type text),
    YearMonthNumber = Table.AddColumn(Month, "Year month number",
        each Date.Year([Date]) * 100 + Date.Month([Date]), Int64.Type),
    YearMonth = Table.AddColumn(YearMonthNumber, "Year month",
        each Date.ToText([Date], [Format = "yyyy-MM", Culture = "en-US"]), type text),
    WeekdayNumber = Table.AddColumn(YearMonth, "Weekday number",
        each Date.DayOfWeek([Date], Day.Monday) + 1, Int64.Type),
    Weekday = Table.AddColumn(WeekdayNumber, "Weekday",
        each Date.ToText([Date], [Format = "ddd", Culture = "en-US"]), type text)
in
    Weekday"""


# --- TMDL writing ------------------------------------------------------------------------------


def _indent(text: str, depth: int) -> list[str]:
    return [(TAB * depth + line) if line.strip() else "" for line in text.split("\n")]


def _description(text: str, depth: int) -> list[str]:
    return [TAB * depth + "/// " + line for line in text.split("\n")] if text else []


def _expression_lines(head: str, expression: str, depth: int) -> list[str]:
    """``head = expression``: on one line when short and single-line, else below, two levels deeper."""
    if "\n" not in expression and len(head) + len(expression) < 110:
        return [TAB * depth + f"{head} = {expression}"]
    return [TAB * depth + f"{head} =", *_indent(expression, depth + 2)]


def _column_lines(name: str, data_type: str, description: str, *, source: str | None = None,
                  hidden: bool = False, fmt: str | None = None, summarize: str = "none",
                  sort_by: str | None = None, key: bool = False, expression: str | None = None) -> list[str]:
    lines = _description(description, 1)
    if expression is not None:
        lines += _expression_lines(f"column {quote(name)}", expression, 1)
    else:
        lines.append(f"{TAB}column {quote(name)}")
    lines.append(f"{TAB * 2}dataType: {data_type}")
    if key:
        lines.append(f"{TAB * 2}isKey")
    if hidden:
        lines.append(f"{TAB * 2}isHidden")
    if fmt:
        lines.append(f"{TAB * 2}formatString: {fmt}")
    lines.append(f"{TAB * 2}summarizeBy: {summarize}")
    if source is not None:
        lines.append(f"{TAB * 2}sourceColumn: {source}")
    if sort_by:
        lines.append(f"{TAB * 2}sortByColumn: {quote(sort_by)}")
    lines.append("")
    return lines


def _measure_lines(measure: Measure) -> list[str]:
    lines = _description(measure.description, 1)
    lines += _expression_lines(f"measure {quote(measure.name)}", measure.expression, 1)
    if measure.format_string:
        lines.append(f"{TAB * 2}formatString: {measure.format_string}")
    lines.append(f"{TAB * 2}displayFolder: {measure.folder}")
    lines.append("")
    return lines


def _partition_lines(name: str, kind: str, source: str) -> list[str]:
    return [f"{TAB}partition {quote(name)} = {kind}", f"{TAB * 2}mode: import",
            *_expression_lines("source", source, 2), ""]


def _table_file(name: str, description: str, body: list[str], *, data_category: str | None = None) -> str:
    lines = [*_description(description, 0), f"table {quote(name)}"]
    if data_category:
        lines.append(f"{TAB}dataCategory: {data_category}")
    lines.append("")
    return "\n".join(lines + body).rstrip("\n") + "\n"


def _measures_of(table: str, all_measures: list[Measure]) -> list[str]:
    lines: list[str] = []
    for measure in all_measures:
        if measure.table == table:
            lines += _measure_lines(measure)
    return lines


def doc_table_tmdl(table: DocTable, all_measures: list[Measure]) -> str:
    """The TMDL of a fact table: measures, every document field, derived columns, partition, refresh policy."""
    body = _measures_of(table.name, all_measures)
    for column in table.columns:
        visible = column.role in ("group", "time") or column.name in ("zone", "suppressed")
        fmt = "yyyy-mm-dd hh:nn" if column.type == "datetime" else ("#,0" if column.type == "int" else None)
        summarize = {"sum": "sum", "max": "max", "mean": "average", None: "none"}[column.combine]
        body += _column_lines(column.name, TMDL_TYPES[column.type], column.description, source=column.name,
                              hidden=not visible, fmt=fmt, summarize=summarize)
    for derived in table.derived:
        body += _column_lines(derived.name, derived.data_type, derived.description, source=derived.name,
                              fmt=derived.format_string)
    source = doc_table_m(table)
    body += _partition_lines(table.name, "m", source)
    body += [f"{TAB}refreshPolicy", f"{TAB * 2}policyType: basic", f"{TAB * 2}rollingWindowGranularity: month",
             f"{TAB * 2}rollingWindowPeriods: {HISTORY_MONTHS}", f"{TAB * 2}incrementalGranularity: day",
             f"{TAB * 2}incrementalPeriods: {REFRESH_DAYS}", *_expression_lines("sourceExpression", source, 2), ""]
    return _table_file(table.name, table.description, body)


def stores_tmdl(stores: list[StoreRecord]) -> str:
    """The stores of ``stores.csv`` with the region ▶ city ▶ store hierarchy."""
    body: list[str] = []
    for name, description in STORE_FIELDS:
        body += _column_lines(name, "string", description + " (stores.csv).", source=name)
    body += [f"{TAB}hierarchy '{STORE_HIERARCHY}'", "",
             f"{TAB * 2}level Region", f"{TAB * 3}column: region", "",
             f"{TAB * 2}level City", f"{TAB * 3}column: city", "",
             f"{TAB * 2}level Store", f"{TAB * 3}column: store_name", ""]
    rows: list[list[str | int | None]] = [[getattr(s, name) for name, _ in STORE_FIELDS] for s in stores]
    body += _partition_lines(STORES, "m", static_table_m([(n, "text") for n, _ in STORE_FIELDS], rows))
    return _table_file(STORES, "The stores of the reference data stream_analytics/stores.csv: where each is, its "
                       "time zone and opening hours. Row-level security roles filter this table.", body)


def cameras_tmdl(cameras: list[CameraRecord]) -> str:
    """The cameras of ``cameras.csv``."""
    body: list[str] = []
    for name, description in CAMERA_FIELDS:
        body += _column_lines(name, "string", description + " (cameras.csv).", source=name)
    rows: list[list[str | int | None]] = [[getattr(c, name) for name, _ in CAMERA_FIELDS] for c in cameras]
    body += _partition_lines(CAMERAS, "m", static_table_m([(n, "text") for n, _ in CAMERA_FIELDS], rows))
    return _table_file(CAMERAS, "The cameras of the reference data stream_analytics/cameras.csv: entrance "
                       "cameras count visitors, zone cameras watch the zones.", body)


def date_tmdl() -> str:
    """A date table of store-local days, marked as the model's date table."""
    body = _column_lines("Date", "dateTime", "A store-local day (every fact table relates its local date here).",
                         source="Date", key=True, fmt="yyyy-mm-dd")
    body += _column_lines("Year", "int64", "Calendar year.", source="Year")
    body += _column_lines("Month number", "int64", "Month 1-12.", source="Month number", hidden=True)
    body += _column_lines("Month", "string", "Month name.", source="Month", sort_by="Month number")
    body += _column_lines("Year month number", "int64", "Year * 100 + month.", source="Year month number",
                          hidden=True)
    body += _column_lines("Year month", "string", "yyyy-MM.", source="Year month", sort_by="Year month number")
    body += _column_lines("Weekday number", "int64", "ISO weekday: Monday 1 to Sunday 7.",
                          source="Weekday number", hidden=True)
    body += _column_lines("Weekday", "string", "Mon to Sun.", source="Weekday", sort_by="Weekday number")
    body += _column_lines("ISO week", "int64", "ISO 8601 week number.",
                          expression=f"WEEKNUM({quote_dax(DATE)}[Date], 21)")
    body += _partition_lines(DATE, "m", DATE_M)
    return _table_file(DATE, "Store-local days, from two years back to the end of next year.", body,
                       data_category="Time")


def parameters_tmdl(all_measures: list[Measure]) -> str:
    """One row holding the model parameter K, so that measures can read k."""
    body = _measures_of(PARAMETERS, all_measures)
    body += _column_lines("k_anonymity", "int64", "The model parameter K.", source="k_anonymity", hidden=True)
    source = ('if K < 2 or Number.Round(K) <> K then error "K must be a whole number of at least 2"\n'
              'else #table(type table [k_anonymity = Int64.Type], {{K}})')
    body += _partition_lines(PARAMETERS, "m", source)
    return _table_file(PARAMETERS, "The model's parameters as a one-row table (set K in the semantic model's "
                       "settings, then refresh).", body)


def demographics_tmdl() -> str:
    """The demographic values, one row each, for charts that break faces down by value."""
    rows: list[list[str | int | None]] = []
    for cat in CATEGORIES:
        for i, value in enumerate((*cat.values, UNKNOWN)):
            column = next(c for c in STORE_WINDOW if c.category == cat.name and c.value == value)
            rows.append([cat.name, cat.title, value, column.label, column.name, 99 if value == UNKNOWN else i])
    cols = [("category", "text"), ("category_title", "text"), ("value", "text"), ("label", "text"),
            ("column", "text"), ("sort", "Int64.Type")]
    body = _column_lines("category", "string", "gender, age or emotion.", source="category")
    body += _column_lines("category_title", "string", "How people read the category.", source="category_title")
    body += _column_lines("value", "string", "The value as the documents write it.", source="value", hidden=True)
    body += _column_lines("label", "string", "How people read the value.", source="label", sort_by="sort")
    body += _column_lines("column", "string", "The document column that counts it.", source="column", hidden=True)
    body += _column_lines("sort", "int64", "Order of the values (unknown last).", source="sort", hidden=True)
    body += _partition_lines(DEMOGRAPHICS, "m", static_table_m(cols, rows))
    return _table_file(DEMOGRAPHICS, "The demographic categories and values of the contracts.", body)


@dataclass(frozen=True)
class Relationship:
    from_table: str
    from_column: str
    to_table: str
    to_column: str

    @property
    def name(self) -> str:
        return stable_id("relationship", self.from_table, self.from_column, self.to_table, self.to_column)


RELATIONSHIPS: tuple[Relationship, ...] = (
    *(Relationship(t.name, "store_id", STORES, "store_id") for t in DOC_TABLES),
    *(Relationship(t.name, "local_date", DATE, "Date") for t in DOC_TABLES),
    Relationship(CAMERAS, "store_id", STORES, "store_id"),
)


def relationships_tmdl() -> str:
    lines: list[str] = []
    for rel in RELATIONSHIPS:
        lines += [f"relationship {rel.name}", f"{TAB}fromColumn: {quote(rel.from_table)}.{quote(rel.from_column)}",
                  f"{TAB}toColumn: {quote(rel.to_table)}.{quote(rel.to_column)}", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def role_filter(group: AccessGroup) -> str:
    """The DAX filter on Stores of a group's role: its regions and its stores."""
    stores = quote_dax(STORES)
    parts = []
    if group.regions:
        parts.append(f"{stores}[region] IN {{" + ", ".join(_m_text(r) for r in group.regions) + "}")
    if group.stores:
        parts.append(f"{stores}[store_id] IN {{" + ", ".join(_m_text(s) for s in group.stores) + "}")
    return " || ".join(parts) if parts else "FALSE()"


def role_tmdl(group: AccessGroup) -> str:
    lines = [*_description(f"Entra ID group {group.group_id}: make that group the member of this role.", 0),
             f"role {quote(group.name)}", f"{TAB}modelPermission: read", "",
             *_expression_lines(f"tablePermission {quote(STORES)}", role_filter(group), 1), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def expressions_tmdl(stores: list[StoreRecord], k: int) -> str:
    """Shared expressions: the parameters, the container query and the local-time helpers."""
    params = [
        ("CosmosEndpoint", _m_text(ENDPOINT_PLACEHOLDER), "Text",
         "The Cosmos DB account endpoint (terraform output, or the account's URI in the portal)."),
        ("CosmosDatabase", _m_text(COSMOS_DATABASE), "Text", "The database the job writes to."),
        ("CosmosContainer", _m_text(COSMOS_CONTAINER), "Text", "The container the job writes to."),
        ("K", str(k), "Number", "k of k-anonymity: set it to the deployment's k_anonymity (FOOTFALL_K)."),
        ("RangeStart", "#datetime(2026, 1, 1, 0, 0, 0)", "DateTime",
         "Incremental refresh: start of a partition (UTC). The service sets it; Desktop loads this range."),
        ("RangeEnd", "#datetime(2026, 1, 8, 0, 0, 0)", "DateTime", "Incremental refresh: end of a partition (UTC)."),
    ]
    lines: list[str] = []
    for name, value, kind, description in params:
        lines += [*_description(description, 0),
                  f'expression {name} = {value} meta [IsParameterQuery = true, Type = "{kind}", '
                  'IsParameterQueryRequired = true]', f"{TAB}queryGroup: Parameters", ""]
    helpers = [
        ("FootfallContainer", CONTAINER_M, "The Cosmos DB container, through the Azure Cosmos DB v2 connector."),
        ("TimeZoneOffsets", time_zone_offsets_m([s.time_zone for s in stores]),
         f"UTC offsets (minutes) of the stores' time zones from {TIME_ZONE_YEARS[0]} to {TIME_ZONE_YEARS[1]}, "
         "written from Python's zoneinfo by footfall.powerbi.model."),
        ("StoreTimeZones", "[\n" + ",\n".join(f"    {_m_field(s.store_id)} = {_m_text(s.time_zone)}" for s in stores)
         + "\n]", "Each store's time zone (stores.csv), for documents that do not carry it."),
        ("ToLocalTime", TO_LOCAL_TIME_M, "A UTC time in an IANA time zone's local time (null when unknown)."),
    ]
    for name, value, description in helpers:
        lines += [*_description(description, 0), *_expression_lines(f"expression {name}", value, 0),
                  f"{TAB}queryGroup: Helpers", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def model_tmdl(groups: list[AccessGroup]) -> str:
    tables = [t.name for t in DOC_TABLES] + [STORES, CAMERAS, DATE, PARAMETERS, DEMOGRAPHICS]
    lines = ["model Model", f"{TAB}culture: en-US", f"{TAB}defaultPowerBIDataSourceVersion: powerBI_V3",
             f"{TAB}sourceQueryCulture: en-US", f"{TAB}discourageImplicitMeasures", "",
             "queryGroup Parameters", "", "queryGroup Helpers", "",
             "annotation __PBI_TimeIntelligenceEnabled = 0", ""]
    lines += [f"ref table {quote(t)}" for t in tables] + [""]
    lines += [f"ref role {quote(g.name)}" for g in groups]
    return "\n".join(lines).rstrip("\n") + "\n"


DATABASE_TMDL = f"database {PROJECT}\n{TAB}compatibilityLevel: 1567\n"


def render(stores: list[StoreRecord], cameras: list[CameraRecord], groups: list[AccessGroup],
           k: int = DEFAULT_K) -> dict[str, str]:
    """Every TMDL file of the model, by path under ``definition/``."""
    all_measures = measures()
    files = {
        "database.tmdl": DATABASE_TMDL,
        "model.tmdl": model_tmdl(groups),
        "relationships.tmdl": relationships_tmdl(),
        "expressions.tmdl": expressions_tmdl(stores, k),
        f"tables/{STORES}.tmdl": stores_tmdl(stores),
        f"tables/{CAMERAS}.tmdl": cameras_tmdl(cameras),
        f"tables/{DATE}.tmdl": date_tmdl(),
        f"tables/{PARAMETERS}.tmdl": parameters_tmdl(all_measures),
        f"tables/{DEMOGRAPHICS}.tmdl": demographics_tmdl(),
    }
    for table in DOC_TABLES:
        files[f"tables/{table.name}.tmdl"] = doc_table_tmdl(table, all_measures)
    for group in groups:
        files[f"roles/{group.name}.tmdl"] = role_tmdl(group)
    return files


# --- Checks of a model read back ---------------------------------------------------------------


def document_mismatches(model: SemanticModel) -> list[str]:
    """Where the model's fact tables differ from the documents the job writes (empty when they match).

    Each fact table must hold every field of its document type, in the contract's order, with the
    contract's type and description, read from the field of the same name; besides them only the
    derived local-time columns, and nothing else.
    """
    problems: list[str] = []
    for spec in DOC_TABLES:
        table = model.tables.get(spec.name)
        if table is None:
            problems.append(f"no table {spec.name!r} for doc_type {spec.doc_type!r}")
            continue
        read = [c for c in table.columns.values() if c.expression is None]
        expected = [c.name for c in spec.columns] + [d.name for d in spec.derived]
        got = [c.name for c in read]
        if got != expected:
            missing = [n for n in expected if n not in got]
            extra = [n for n in got if n not in expected]
            problems.append(f"{spec.name}: columns differ from {spec.doc_type} documents"
                            f" (missing {missing}, not in the documents {extra})" if missing or extra
                            else f"{spec.name}: columns are not in the contract's order")
        calculated = [c.name for c in table.columns.values() if c.expression is not None]
        if calculated:
            problems.append(f"{spec.name}: calculated columns {calculated} are not document fields")
        for column in spec.columns:
            mc = table.columns.get(column.name)
            if mc is None:
                continue
            if mc.source_column != column.name:
                problems.append(f"{spec.name}[{column.name}] reads field {mc.source_column!r}")
            if mc.data_type != TMDL_TYPES[column.type]:
                problems.append(f"{spec.name}[{column.name}] is {mc.data_type}, the documents hold {column.type}")
            if mc.description != column.description:
                problems.append(f"{spec.name}[{column.name}] is not described as the contract describes it")
        source = table.partitions[0].properties.get("source", "") if table.partitions else ""
        if f'[doc_type] = "{spec.doc_type}"' not in source:
            problems.append(f"{spec.name}: its query does not read doc_type {spec.doc_type!r}")
        for column in spec.columns:
            if f'"{column.name}"' not in source:
                problems.append(f"{spec.name}: its query does not select field {column.name!r}")
    return problems
