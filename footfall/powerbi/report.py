"""Write the Power BI report (PBIR): four pages over the semantic model.

PBIR is the report format of Power BI Desktop's developer mode: ``definition/report.json``,
``version.json``, ``pages/pages.json``, one folder per page with its ``page.json`` and one folder per
visual with its ``visual.json``. Each file names the public JSON schema it follows
(``https://developer.microsoft.com/json-schemas/fabric/item/report/definition/...``); the tests validate
every file against copies of those schemas kept in ``tests/powerbi/schemas``.

Every field a visual shows is a :class:`Field` of the model (a column or a measure), so a visual cannot
name what the model does not have: the tests check each against the TMDL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from footfall.powerbi.model import (
    DATE,
    DEMOGRAPHICS,
    STORE_DAYS,
    STORE_WINDOWS,
    STORES,
    ZONE_WINDOWS,
)
from footfall.powerbi.tmdl import SemanticModel
from functions.aggregates import CATEGORIES

SCHEMAS = "https://developer.microsoft.com/json-schemas/fabric"
REPORT_SCHEMA = f"{SCHEMAS}/item/report/definition/report/2.1.0/schema.json"
VERSION_SCHEMA = f"{SCHEMAS}/item/report/definition/versionMetadata/1.0.0/schema.json"
PAGES_SCHEMA = f"{SCHEMAS}/item/report/definition/pagesMetadata/1.0.0/schema.json"
PAGE_SCHEMA = f"{SCHEMAS}/item/report/definition/page/2.0.0/schema.json"
VISUAL_SCHEMA = f"{SCHEMAS}/item/report/definition/visualContainer/2.1.0/schema.json"
"""The June 2025 set of the PBIR schemas: Power BI Desktop has read these since that release."""

PAGE_WIDTH, PAGE_HEIGHT = 1280, 720


@dataclass(frozen=True)
class Field:
    """A column or a measure of the model."""

    table: str
    name: str
    kind: Literal["column", "measure"] = "column"

    def expression(self, source: str | None = None) -> dict[str, Any]:
        ref = {"Source": source} if source else {"Entity": self.table}
        key = "Column" if self.kind == "column" else "Measure"
        return {key: {"Expression": {"SourceRef": ref}, "Property": self.name}}


def column(table: str, name: str) -> Field:
    return Field(table, name, "column")


def measure(table: str, name: str) -> Field:
    return Field(table, name, "measure")


@dataclass(frozen=True)
class Visual:
    """One visual: its type, title, place on the page, fields per role and filters."""

    name: str
    visual_type: str
    title: str
    position: tuple[int, int, int, int]
    roles: dict[str, tuple[Field, ...]]
    filters: tuple[tuple[Field, tuple[str, ...]], ...] = ()
    """Visual-level filters: a column and the values it keeps."""


@dataclass(frozen=True)
class Page:
    name: str
    display_name: str
    purpose: str
    visuals: tuple[Visual, ...] = field(default_factory=tuple)


# --- The pages ---------------------------------------------------------------------------------

DAY = column(DATE, "Date")
REGION = column(STORES, "region")
STORE_NAME = column(STORES, "store_name")
VISITORS = measure(STORE_WINDOWS.name, "Visitors")
DAY_VISITORS = measure(STORE_DAYS.name, "Visitors (store days)")


def _slicers(page: str, second: Field) -> tuple[Visual, ...]:
    return (
        Visual(f"{page}-dates", "slicer", "Local days", (16, 16, 300, 80), {"Values": (DAY,)}),
        Visual(f"{page}-{second.name.replace('_', '-')}", "slicer", second.name.replace("_", " ").capitalize(),
               (332, 16, 300, 80), {"Values": (second,)}),
    )


def _cards(page: str, fields: tuple[Field, ...], top: int = 16, left: int = 648) -> tuple[Visual, ...]:
    width = (PAGE_WIDTH - left - 16 - 8 * (len(fields) - 1)) // len(fields)
    return tuple(
        Visual(f"{page}-card-{i + 1}", "card", f.name, (left + i * (width + 8), top, width, 80), {"Values": (f,)})
        for i, f in enumerate(fields)
    )


OVERVIEW = Page("overview", "Overview", "Visitors and their trend by region, per store-local day.", (
    *_slicers("overview", REGION),
    *_cards("overview", (VISITORS, measure(STORE_WINDOWS.name, "Exits"),
                         measure(ZONE_WINDOWS.name, "Average dwell (s)"))),
    Visual("overview-trend", "lineChart", "Visitors by region, per local day", (16, 112, 824, 592),
           {"Category": (DAY,), "Y": (DAY_VISITORS,), "Series": (REGION,)}),
    Visual("overview-regions", "clusteredBarChart", "Visitors by region", (856, 112, 408, 592),
           {"Category": (REGION,), "Y": (DAY_VISITORS,)}),
))

LOCAL_HOUR = column(STORE_WINDOWS.name, "local_hour")
STORE = Page("store", "Store", "One store's hours in its local time, and its busiest weekday and hour.", (
    *_slicers("store", STORE_NAME),
    *_cards("store", (VISITORS, measure(ZONE_WINDOWS.name, "Occupancy (mean)"),
                      measure(ZONE_WINDOWS.name, "Occupancy (max)"))),
    Visual("store-hours", "clusteredColumnChart", "Visitors by local hour", (16, 112, 600, 296),
           {"Category": (LOCAL_HOUR,), "Y": (VISITORS,)}),
    Visual("store-weekday-hour", "pivotTable", "Visitors by weekday and local hour", (632, 112, 632, 296),
           {"Rows": (column(DATE, "Weekday"),), "Columns": (LOCAL_HOUR,), "Values": (VISITORS,)}),
    Visual("store-zones", "tableEx", "Zones: visits, dwell and occupancy", (16, 424, 1248, 280),
           {"Values": (column(ZONE_WINDOWS.name, "zone"), measure(ZONE_WINDOWS.name, "Zone visits"),
                       measure(ZONE_WINDOWS.name, "Average dwell (s)"),
                       measure(ZONE_WINDOWS.name, "Occupancy (mean)"),
                       measure(ZONE_WINDOWS.name, "Occupancy (max)"))}),
))

_COMPARISON = tuple(measure(STORE_DAYS.name, n) for n in (
    "Visitors (store days)", "Visitors previous period", "Change vs previous period", "Visitors last year",
    "Change vs last year"))
COMPARISON = Page("comparison", "Comparison",
                  "The selected days against the period before and the same weekdays a year earlier.", (
    *_slicers("comparison", REGION),
    *_cards("comparison", _COMPARISON[1:], top=16),
    Visual("comparison-trend", "lineChart", "Visitors and the same weekdays a year earlier", (16, 112, 1248, 296),
           {"Category": (DAY,), "Y": (DAY_VISITORS, _COMPARISON[3])}),
    Visual("comparison-stores", "tableEx", "Stores: this period, the previous one and last year",
           (16, 424, 1248, 280), {"Values": (REGION, STORE_NAME, *_COMPARISON)}),
))

_LABEL = column(DEMOGRAPHICS, "label")
_CATEGORY = column(DEMOGRAPHICS, "category")
_SHARE = measure(STORE_WINDOWS.name, "Share of faces")
DEMOGRAPHICS_PAGE = Page("demographics", "Demographics",
                         "Who visits, from published windows only; groups under k say 'suppressed', never 0.", (
    *_slicers("demographics", REGION),
    *_cards("demographics", (measure(STORE_WINDOWS.name, "Demographics status"),
                             measure(STORE_WINDOWS.name, "Published faces"),
                             measure(STORE_WINDOWS.name, "Suppressed windows"))),
    *(Visual(f"demographics-{cat.name}", "clusteredBarChart", f"{cat.title}: share of published faces",
             (16 + i * 420, 112, 408, 296), {"Category": (_LABEL,), "Y": (_SHARE,)},
             filters=((_CATEGORY, (cat.name,)),))
      for i, cat in enumerate(CATEGORIES)),
    Visual("demographics-stores", "pivotTable", "Shares by store ('suppressed' below k published faces)",
           (16, 424, 1248, 280),
           {"Rows": (REGION, STORE_NAME), "Columns": (column(DEMOGRAPHICS, "category_title"), _LABEL),
            "Values": (measure(STORE_WINDOWS.name, "Share shown"),)}),
))

PAGES: tuple[Page, ...] = (OVERVIEW, STORE, COMPARISON, DEMOGRAPHICS_PAGE)


# --- JSON --------------------------------------------------------------------------------------


def _literal(value: str) -> dict[str, Any]:
    return {"expr": {"Literal": {"Value": value}}}


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _projection(f: Field) -> dict[str, Any]:
    return {"field": f.expression(), "queryRef": f"{f.table}.{f.name}", "nativeQueryRef": f.name}


def _filter(visual: str, index: int, f: Field, values: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": f"{visual}-filter-{index + 1}",
        "field": f.expression(),
        "type": "Categorical",
        "filter": {
            "Version": 2,
            "From": [{"Name": "t", "Entity": f.table, "Type": 0}],
            "Where": [{"Condition": {"In": {
                "Expressions": [f.expression("t")],
                "Values": [[{"Literal": {"Value": _text(v)}}] for v in values],
            }}}],
        },
        "isHiddenInViewMode": True,
    }


def visual_json(visual: Visual, z: int) -> dict[str, Any]:
    x, y, width, height = visual.position
    doc: dict[str, Any] = {
        "$schema": VISUAL_SCHEMA,
        "name": visual.name,
        "position": {"x": x, "y": y, "z": z, "width": width, "height": height, "tabOrder": z},
        "visual": {
            "visualType": visual.visual_type,
            "query": {"queryState": {
                role: {"projections": [_projection(f) for f in fields]} for role, fields in visual.roles.items()
            }},
            "visualContainerObjects": {"title": [{"properties": {
                "show": _literal("true"), "text": _literal(_text(visual.title)),
            }}]},
            "drillFilterOtherVisuals": True,
        },
    }
    if visual.filters:
        doc["filterConfig"] = {"filters": [_filter(visual.name, i, f, v) for i, (f, v) in enumerate(visual.filters)]}
    return doc


def page_json(page: Page) -> dict[str, Any]:
    return {"$schema": PAGE_SCHEMA, "name": page.name, "displayName": page.display_name,
            "displayOption": "FitToPage", "height": PAGE_HEIGHT, "width": PAGE_WIDTH}


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render() -> dict[str, str]:
    """Every file of the report's ``definition/`` folder, by path."""
    files = {
        "report.json": _dump({
            "$schema": REPORT_SCHEMA,
            "themeCollection": {},
            "settings": {"useStylableVisualContainerHeader": True, "exportDataMode": "AllowSummarized",
                         "defaultDrillFilterOtherVisuals": True, "allowChangeFilterTypes": True},
        }),
        "version.json": _dump({"$schema": VERSION_SCHEMA, "version": "2.0.0"}),
        "pages/pages.json": _dump({"$schema": PAGES_SCHEMA, "pageOrder": [p.name for p in PAGES],
                                   "activePageName": PAGES[0].name}),
    }
    for page in PAGES:
        files[f"pages/{page.name}/page.json"] = _dump(page_json(page))
        for z, visual in enumerate(page.visuals):
            files[f"pages/{page.name}/visuals/{visual.name}/visual.json"] = _dump(visual_json(visual, z * 1000))
    return files


def fields(doc: Any) -> list[tuple[str, str, str]]:
    """Every (kind, table, name) a PBIR document refers to: ``Column``/``Measure`` with an ``Entity``
    (or a ``Source`` alias declared in a filter's ``From``)."""
    found: list[tuple[str, str, str]] = []

    def walk(node: Any, aliases: dict[str, str]) -> None:
        if isinstance(node, dict):
            if "From" in node and isinstance(node["From"], list):
                aliases = {**aliases, **{f["Name"]: f["Entity"] for f in node["From"] if "Entity" in f}}
            for key in ("Column", "Measure"):
                ref = node.get(key)
                if isinstance(ref, dict) and "Property" in ref:
                    source = ref.get("Expression", {}).get("SourceRef", {})
                    table = source.get("Entity") or aliases.get(source.get("Source", ""), "?")
                    found.append((key.lower(), table, ref["Property"]))
            for value in node.values():
                walk(value, aliases)
        elif isinstance(node, list):
            for value in node:
                walk(value, aliases)

    walk(doc, {})
    return found


def missing_fields(definition: Path, model: SemanticModel) -> list[str]:
    """Every column or measure a PBIR file under ``definition`` names that the model does not have."""
    problems: list[str] = []
    for path in sorted(definition.rglob("*.json")):
        for kind, table_name, name in fields(json.loads(path.read_text(encoding="utf-8"))):
            table = model.tables.get(table_name)
            where = path.relative_to(definition).as_posix()
            if table is None:
                problems.append(f"{where}: no table {table_name!r}")
            elif kind == "column" and name not in table.columns:
                problems.append(f"{where}: no column {table_name}[{name}]")
            elif kind == "measure" and name not in table.measures:
                problems.append(f"{where}: no measure {table_name}[{name}]")
    return problems
