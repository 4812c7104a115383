"""Write the Stream Analytics query, ``stream_analytics/footfall.asaql``, from the contracts.

The columns come from :mod:`functions.aggregates` and the categories from :mod:`functions.contracts`,
so the query cannot drift from the report tables, the row models or the Power BI model. The file is
committed (Azure deploys it, the local engine runs it); ``tests/footfall/test_stream_job.py`` fails
when it is stale. Run ``footfall asa generate`` after changing a contract.

k appears in the query once, in the line that flags a window as suppressed
(:data:`K_PATTERN`); :func:`with_k` sets another k there, and Terraform does the same with
``replace()``, so the one setting reaches the job.
"""

from __future__ import annotations

import re
from pathlib import Path

from functions.aggregates import (
    CATEGORIES,
    DWELL_COLUMNS,
    STORE_WINDOW,
    UNKNOWN,
    WINDOW_MINUTES,
    ZONE_WINDOW,
    Column,
    names,
)
from functions.contracts import COUNT_SCHEMA, DEFAULT_K, DWELL_BUCKET_NAMES

QUERY_PATH = Path(__file__).resolve().parent.parent / "stream_analytics" / "footfall.asaql"
POWERBI_QUERY_PATH = QUERY_PATH.with_name("footfall.powerbi.asaql")
"""The same job that also feeds the deprecated Power BI streaming output (Terraform ``powerbi_output``)."""

K_PATTERN = r"visit_faces < [0-9]+ THEN 1"
"""The one place k appears in the query (a regular expression; Terraform replaces the same text)."""

INPUTS = ("frames", "counts", "stores", "cameras")
OUTPUTS = ("store_windows", "zone_windows")

_INDENT = " " * 8
_ID_SEPARATOR = ", '|', "

DEDUPLICATION_HOURS = 1
"""How far back a redelivered event (same ``event_id``) is recognised: Event Hubs and IoT Hub
redeliver within seconds to minutes (a consumer restart, a retried send)."""
_FIRST_DELIVERY = f"LAG(event_id) OVER (PARTITION BY event_id LIMIT DURATION(hour, {DEDUPLICATION_HOURS})) IS NULL"
"""True for the first delivery of an event: no earlier event with its event_id within the duration
(LAG, evaluated over the input stream before WHERE, as the LAG reference page defines it)."""


def _lines(items: list[str]) -> str:
    return (",\n" + _INDENT).join(items)


def _per_store_window(name: str, source: str, items: list[str]) -> str:
    """The step ``name``: ``items`` selected from ``source`` per store and tumbling window."""
    return f"""{name} AS (
    SELECT
        {_lines(items)}
    FROM {source}
    GROUP BY store_id, TumblingWindow(minute, {WINDOW_MINUTES})
)"""


def _photo_counts() -> str:
    """Per store and window: photos, visit faces, sightings and the demographics of visit faces."""
    first_row = "(face_index IS NULL OR face_index = 0)"
    items = [
        "store_id",
        f"SUM(CASE WHEN {first_row} THEN 1 ELSE 0 END) AS photos",
        f"SUM(CASE WHEN kind = 'visit' AND {first_row} THEN 1 ELSE 0 END) AS visit_photos",
        "SUM(CASE WHEN kind = 'visit' AND face_index IS NOT NULL THEN 1 ELSE 0 END) AS visit_faces",
        "SUM(CASE WHEN kind = 'frame' AND face_index IS NOT NULL THEN 1 ELSE 0 END) AS sightings",
        "0 AS visitors",
        "0 AS exits",
    ]
    for cat in CATEGORIES:
        for value in cat.values:
            items.append(f"SUM(CASE WHEN kind = 'visit' AND {cat.event_field} = '{value}' THEN 1 ELSE 0 END)"
                         f" AS {cat.column(value)}")
        items.append(f"SUM(CASE WHEN kind = 'visit' AND face_index IS NOT NULL AND {cat.event_field} IS NULL "
                     f"THEN 1 ELSE 0 END) AS {cat.column(UNKNOWN)}")
    return _per_store_window("PhotoCounts", "FaceRows", items)


def _entrance_counts() -> str:
    """Per store and window: in- and out-crossings of the entrance cameras' lines, in the same shape."""
    items = ["store_id", "0 AS photos", "0 AS visit_photos", "0 AS visit_faces", "0 AS sightings",
             "SUM(entries) AS visitors", "SUM(exits) AS exits"]
    items += [f"0 AS {name}" for name in names(STORE_WINDOW, "demographic")]
    return _per_store_window("EntranceCounts", "EntranceLines", items)


def _store_totals() -> str:
    summed = [*names(STORE_WINDOW, "total"), *names(STORE_WINDOW, "demographic")]
    items = ["store_id", *(f"SUM({n}) AS {n}" for n in summed)]
    return _per_store_window("StoreTotals", "StoreParts", items)


def _window_row_select(name: str, doc_type: str, id_parts: tuple[str, ...]) -> str | None:
    """The expression of a column every window row has (``id``: its parts and the window's end, as the row
    models' ``row_id``; ``doc_type``; ``window_start``; ``window_end``), else ``None``."""
    if name == "id":
        parts = [*id_parts, "CAST(System.Timestamp() AS nvarchar(max))"]
        return f"CONCAT({_ID_SEPARATOR.join(parts)}) AS id"
    if name == "doc_type":
        return f"'{doc_type}' AS doc_type"
    if name == "window_start":
        return f"DATEADD(minute, -{WINDOW_MINUTES}, System.Timestamp()) AS window_start"
    if name == "window_end":
        return "System.Timestamp() AS window_end"
    return None


def _store_select(column: Column) -> str:
    name = column.name
    common = _window_row_select(name, "store_window", ("t.store_id",))
    if common is not None:
        return common
    if name == "store_id":
        return "t.store_id"
    if column.role == "group":
        return f"s.{name}"
    if column.role == "total":
        return f"t.{name}"
    if column.role == "demographic":
        return f"CASE WHEN t.suppressed = 1 THEN NULL ELSE t.{name} END AS {name}"
    if name == "suppressed":
        return "CAST(t.suppressed AS bit) AS suppressed"
    raise ValueError(f"no query expression for store window column {name!r}")


def _zone_select(column: Column) -> str:
    name = column.name
    common = _window_row_select(name, "zone_window", ("store_id", "zone"))
    if common is not None:
        return common
    if name in ("store_id", "zone"):
        return name
    function = {"sum": "SUM", "max": "MAX", "mean": "AVG"}[column.combine or "sum"]
    return f"{function}({name}) AS {name}"


def render(k: int = DEFAULT_K, powerbi: bool = False) -> str:
    """The whole query, with ``k``; with ``powerbi`` the store windows also go to output ``powerbi``."""
    if k < 1:
        raise ValueError("k must be at least 1")
    dwell = [f"zone.ArrayValue.dwell_histogram.{bucket} AS {column.name}"
             for bucket, column in zip(DWELL_BUCKET_NAMES, DWELL_COLUMNS, strict=True)]
    face_fields = [f"face.ArrayValue.{cat.event_field} AS {cat.event_field}" for cat in CATEGORIES]
    store_columns = ",\n    ".join(_store_select(c) for c in STORE_WINDOW)
    store_select = f"""SELECT
    {store_columns}
INTO {{output}}
FROM Flagged t
LEFT OUTER JOIN stores s ON t.store_id = s.store_id
"""
    powerbi_select = "\n" + store_select.format(output="powerbi") if powerbi else ""
    powerbi_note = ("\n--   powerbi        the store windows again, for Power BI streaming"
                    " (deprecated: see infra/README.md)."
                    if powerbi else "")
    zone_columns = ",\n    ".join(_zone_select(c) for c in ZONE_WINDOW)
    return f"""-- footfall: the Stream Analytics job. GENERATED by `footfall asa generate` from functions/contracts.py
-- and functions/aggregates.py; do not edit by hand (tests/footfall/test_stream_job.py checks it is current).
--
-- Inputs
--   frames  (Event Hubs, JSON)  FrameEvent footfall.frame.v2: one analysed photo; kind 'visit' (a visit crop,
--                               at most one face: the visitor's) or 'frame' (a whole frame: sightings).
--   counts  (IoT Hub, JSON)     CountEvent footfall.count.v1: one camera's minute of line crossings and zones.
--   stores  (reference, CSV)    store_id -> store_name, city, country, region, time_zone, opening_hours.
--   cameras (reference, CSV)    store_id, camera_id -> role (entrance | zone), zones.
-- Outputs (Cosmos DB, partition key /store_id, upsert by id)
--   store_windows  one row per store and {WINDOW_MINUTES}-minute window: the one published aggregate.
--   zone_windows   one row per zone and {WINDOW_MINUTES}-minute window: visits, dwell, occupancy.{powerbi_note}
--
-- Visitors are entries over the lines of entrance cameras (cameras.csv role = 'entrance'), never faces.
-- Demographics count visit faces only, so k counts distinct visits. A store window with fewer than k
-- visit faces keeps its totals and has every demographic column NULL (suppressed = 1). Cities, regions,
-- the fleet, hours, days, weeks and months are computed from these rows by the reports service.
--
-- Windows are tumbling and UTC-aligned; a window (start, end] holds events stamped after start up to end.
-- A CountEvent is stamped with its minute's end, so the minute 08:14-08:15 belongs to the window ending 08:15.

WITH FrameEvents AS (
    -- Event Hubs delivers at least once: a redelivered event has the same event_id and is counted once.
    SELECT store_id, camera_id, kind, faces
    FROM frames TIMESTAMP BY captured_at
    WHERE {_FIRST_DELIVERY}
),

CountEvents AS (
    -- Only CountEvents are counted (the schema check guards against anything else routed here), each event_id once.
    SELECT store_id, camera_id, lines, zones
    FROM counts TIMESTAMP BY window_end
    WHERE schema = '{COUNT_SCHEMA}'
    AND {_FIRST_DELIVERY}
),

FaceRows AS (
    -- OUTER APPLY keeps a photo without faces as one row with a NULL face, so every photo gives exactly
    -- one row whose face_index is NULL or 0.
    SELECT
        f.store_id,
        f.kind,
        face.ArrayIndex AS face_index,
        {_lines(face_fields)}
    FROM FrameEvents f
    OUTER APPLY GetArrayElements(f.faces) AS face
),

{_photo_counts()},

EntranceLines AS (
    SELECT
        c.store_id,
        line.ArrayValue.entries AS entries,
        line.ArrayValue.exits AS exits
    FROM CountEvents c
    CROSS APPLY GetArrayElements(c.lines) AS line
    JOIN cameras cam ON c.store_id = cam.store_id AND c.camera_id = cam.camera_id
    WHERE cam.role = 'entrance'
),

{_entrance_counts()},

StoreParts AS (
    SELECT * FROM PhotoCounts
    UNION
    SELECT * FROM EntranceCounts
),

{_store_totals()},

Flagged AS (
    SELECT
        *,
        CASE WHEN visit_faces < {k} THEN 1 ELSE 0 END AS suppressed
    FROM StoreTotals
),

ZoneMinutes AS (
    SELECT
        c.store_id,
        zone.ArrayValue.zone AS zone,
        zone.ArrayValue.visits AS visits,
        zone.ArrayValue.dwell_s_sum AS dwell_s_sum,
        {_lines(dwell)},
        zone.ArrayValue.occupancy_mean AS occupancy_mean,
        zone.ArrayValue.occupancy_max AS occupancy_max
    FROM CountEvents c
    CROSS APPLY GetArrayElements(c.zones) AS zone
)

{store_select.format(output="store_windows")}{powerbi_select}
SELECT
    {zone_columns}
INTO zone_windows
FROM ZoneMinutes
GROUP BY store_id, zone, TumblingWindow(minute, {WINDOW_MINUTES})
"""


def with_k(query: str, k: int) -> str:
    """``query`` with its k set to ``k`` (the same replacement Terraform makes)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    replaced, count = re.subn(K_PATTERN, f"visit_faces < {k} THEN 1", query)
    if count != 1:
        raise ValueError(f"the query must hold {K_PATTERN!r} exactly once, found {count}")
    return replaced


def write() -> list[Path]:
    """Write both queries (without and with the Power BI output) with the default k."""
    QUERY_PATH.write_text(render(), encoding="utf-8")
    POWERBI_QUERY_PATH.write_text(render(powerbi=True), encoding="utf-8")
    return [QUERY_PATH, POWERBI_QUERY_PATH]
