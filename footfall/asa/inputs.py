"""Load input files (JSON lines/arrays, CSV, Parquet) into DuckDB tables.

A raw input table keeps the rows in file order (files in name order, lines in file order), so
its ``rowid`` is the arrival order; the arrival time is ``EventEnqueuedUtcTime`` as Event Hubs
stamps it, when the data has it (see :func:`arrival_sql`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
from pydantic import BaseModel, ConfigDict

from footfall.asa.errors import AsaError
from footfall.asa.translate import q
from functions.contracts import SCHEMA_V1

FRAME_V1_COLUMNS: dict[str, str] = {
    "schema": "VARCHAR",
    "event_id": "VARCHAR",
    "captured_at": "VARCHAR",
    "store_id": "VARCHAR",
    "camera_id": "VARCHAR",
    "face_count": "BIGINT",
    "faces": "STRUCT(age BIGINT, age_band VARCHAR, gender VARCHAR, emotion VARCHAR, emotion_score DOUBLE)[]",
    "analyzer": "VARCHAR",
    "processed_at": "VARCHAR",
    "EventEnqueuedUtcTime": "VARCHAR",
}
"""DuckDB columns of a FrameEvent v1 (functions/contracts.py), plus Event Hubs' enqueue time.

Declared rather than sniffed so that a file whose frames all have zero faces still reads
``faces`` as a list of face records, and so 5 million lines parse without a sampling pass."""

ARRIVAL_COLUMN = "EventEnqueuedUtcTime"


class InputSource(BaseModel):
    """One input of a run: where its events are and how they are encoded."""

    model_config = ConfigDict(frozen=True)

    alias: str
    path: Path
    format: Literal["Json", "Csv", "Parquet"] = "Json"
    is_reference: bool = False
    arrival: Literal["file_order", "capture_time"] = "file_order"
    """How events without ``EventEnqueuedUtcTime`` arrive: in file order (test inputs), or each
    at its own ``captured_at`` (a replay of the local event log, see :func:`load_input`)."""


def _files(src: InputSource) -> list[Path]:
    path = src.path
    if path.is_dir():
        patterns = {"Json": ["frames-*.jsonl", "*.jsonl", "*.json"], "Csv": ["*.csv"], "Parquet": ["*.parquet"]}
        for pattern in patterns[src.format]:
            found = sorted(p for p in path.glob(pattern) if p.is_file())
            if found:
                return found
        return []
    if not path.exists():
        raise AsaError(f"input {src.alias!r}: {path} does not exist")
    return [path]


def _is_frame_v1(files: list[Path]) -> bool:
    """Whether the events are FrameEvent v1 (judged by the first event), or there are none."""
    for f in files:
        with f.open("rb") as fh:
            head = fh.read(4096)
        if head.strip():
            return SCHEMA_V1.encode() in head
    return True


def arrival_sql(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "") -> str:
    """SQL for the arrival time of a raw input table's rows (NULL when it has none)."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {q(table)}").fetchall()}
    return f"asa_datetime({prefix}{q(ARRIVAL_COLUMN)})" if ARRIVAL_COLUMN in columns else "NULL::TIMESTAMP"


def load_input(con: duckdb.DuckDBPyConnection, src: InputSource, table: str) -> int:
    """Create ``table`` from the input's files; returns the number of events/rows."""
    files = _files(src)
    names = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    if src.format == "Csv":
        if not files:
            raise AsaError(f"input {src.alias!r}: no CSV file in {src.path}")
        reader = f"read_csv({names}, header = true, all_varchar = true)"
    elif src.format == "Parquet":
        if not files:
            raise AsaError(f"input {src.alias!r}: no Parquet file in {src.path}")
        reader = f"read_parquet({names})"
    elif _is_frame_v1(files):
        cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in FRAME_V1_COLUMNS.items()) + "}"
        if not files or all(f.stat().st_size == 0 for f in files):
            reader = "(SELECT " + ", ".join(f"NULL::{v} AS {q(k)}" for k, v in FRAME_V1_COLUMNS.items()) + " LIMIT 0)"
        else:
            reader = f"read_json({names}, format = 'auto', columns = {cols})"
    else:
        if not files:
            raise AsaError(f"input {src.alias!r}: no JSON file in {src.path}")
        reader = f"read_json({names}, format = 'auto', sample_size = -1)"
    try:
        con.execute(f"CREATE TABLE {q(table + '__raw')} AS SELECT * FROM {reader}")
    except duckdb.Error as exc:
        raise AsaError(f"input {src.alias!r}: cannot read {src.path}: {exc}") from None
    described = con.execute(f"DESCRIBE {q(table + '__raw')}").fetchall()
    # JSON has no datetime type: Stream Analytics keeps such values as strings, so undo
    # DuckDB's date sniffing (ISO 8601 UTC, milliseconds).
    fix = [f"strftime(CAST({q(name)} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%gZ') AS {q(name)}"
           if typ.startswith("TIMESTAMP") else f"strftime({q(name)}, '%Y-%m-%d') AS {q(name)}"
           for name, typ, *_ in described if src.format == "Json" and (typ.startswith("TIMESTAMP") or typ == "DATE")]
    if fix:
        con.execute(f"CREATE OR REPLACE TABLE {q(table + '__raw')} AS "
                    f"SELECT * REPLACE ({', '.join(fix)}) FROM {q(table + '__raw')}")
    columns = {name for name, *_ in described}
    if src.arrival == "capture_time" and "captured_at" in columns:
        # The local event log is written in processing order, which in a replay (a day's photos
        # analysed in minutes by several workers) has nothing to do with when the events would
        # have reached Event Hubs. In Azure cameras upload as they capture, so an event arrives
        # at about its capture time: replay it that way, or the out-of-order policy would shove
        # most frames into later windows.
        arrival = f"coalesce({q(ARRIVAL_COLUMN)}, captured_at)" if ARRIVAL_COLUMN in columns else "captured_at"
        select = (f"SELECT * REPLACE ({arrival} AS {q(ARRIVAL_COLUMN)})" if ARRIVAL_COLUMN in columns
                  else f"SELECT *, {arrival} AS {q(ARRIVAL_COLUMN)}")
        con.execute(f"CREATE OR REPLACE TABLE {q(table + '__raw')} AS "
                    f"{select} FROM {q(table + '__raw')} ORDER BY {arrival}")
    con.execute(f"ALTER TABLE {q(table + '__raw')} RENAME TO {q(table)}")
    return int(con.execute(f"SELECT count(*) FROM {q(table)}").fetchone()[0])
