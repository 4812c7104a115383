"""Load input files (JSON lines/arrays, CSV, Parquet) into DuckDB tables.

A raw input table keeps the rows in file order (files in name order, lines in file order), so
its ``rowid`` is the arrival order; the arrival time is ``EventEnqueuedUtcTime`` as Event Hubs
stamps it, when the data has it (see :func:`arrival_sql`), and the input partition is
``PartitionId`` (as Event Hubs gives it) or else ``PartitionKey`` (as the local event log records
the key the sender chose), see :func:`partition_sql`.

JSON values are read as Stream Analytics reads them: a string that looks like a date stays that
very string (DuckDB's date sniffing is switched off), so ``SELECT *`` passes it through unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

import duckdb
from pydantic import BaseModel, ConfigDict

from footfall.asa.errors import AsaError, DroppedEvents
from footfall.asa.translate import q
from functions.contracts import COUNT_SCHEMA, DWELL_BUCKET_NAMES, FRAME_SCHEMA

log = logging.getLogger(__name__)

_FACE = "STRUCT(age BIGINT, age_band VARCHAR, gender VARCHAR, emotion VARCHAR, emotion_score DOUBLE)"
_LINE = "STRUCT(line VARCHAR, entries BIGINT, exits BIGINT)"
_DWELL = "STRUCT(" + ", ".join(f"{name} BIGINT" for name in DWELL_BUCKET_NAMES) + ")"
_ZONE = (f"STRUCT(zone VARCHAR, occupancy_mean DOUBLE, occupancy_max BIGINT, visits BIGINT, dwell_s_sum DOUBLE, "
         f"dwell_histogram {_DWELL})")
_LOGGED = {"EventEnqueuedUtcTime": "VARCHAR", "PartitionKey": "VARCHAR", "PartitionId": "VARCHAR"}

EVENT_COLUMNS: dict[str, dict[str, str]] = {
    FRAME_SCHEMA: {
        "schema": "VARCHAR", "event_id": "VARCHAR", "captured_at": "VARCHAR", "store_id": "VARCHAR",
        "camera_id": "VARCHAR", "kind": "VARCHAR", "face_count": "BIGINT", "faces": f"{_FACE}[]",
        "analyzer": "VARCHAR", "processed_at": "VARCHAR", **_LOGGED,
    },
    COUNT_SCHEMA: {
        "schema": "VARCHAR", "event_id": "VARCHAR", "store_id": "VARCHAR", "camera_id": "VARCHAR",
        "window_start": "VARCHAR", "window_end": "VARCHAR", "frames": "BIGINT", "lines": f"{_LINE}[]",
        "zones": f"{_ZONE}[]", **_LOGGED,
    },
}
"""DuckDB columns of the project's own events (FrameEvent v2 and CountEvent v1 in functions/contracts.py),
by schema, plus what Event Hubs adds (enqueue time, partition id) and the partition key the local
event log records.

Declared rather than sniffed so that a file whose frames all have zero faces still reads ``faces``
as a list of face records, and so 5 million lines parse without a sampling pass."""

ARRIVAL_COLUMN = "EventEnqueuedUtcTime"
LOG_STREAMS = ("frames", "counts")
"""The streams of the local event log (functions/sinks/local_log.py)."""
PARTITION_COLUMNS = ("PartitionId", "PartitionKey")
"""Columns naming an event's input partition, in order of preference."""
_NO_SNIFFING = "dateformat = '%%none', timestampformat = '%%none'"
"""read_json options that keep date-like JSON strings as strings."""


class InputSource(BaseModel):
    """One input of a run: where its events are and how they are encoded."""

    model_config = ConfigDict(frozen=True)

    alias: str
    path: Path
    format: Literal["Json", "Csv", "Parquet"] = "Json"
    is_reference: bool = False
    arrival: Literal["file_order", "capture_time"] = "file_order"
    """``file_order``: each event arrives at its recorded ``EventEnqueuedUtcTime``; events
    without one arrive in file order with no known arrival time (test inputs).
    ``capture_time``: a replay of the local event log, where every event arrives at its own
    ``captured_at`` whatever was recorded (see :func:`load_input`)."""


def _files(src: InputSource) -> list[Path]:
    path = src.path
    if path.is_dir():
        patterns = {"Json": [f"{src.alias}-*.jsonl", "*.jsonl", "*.json"], "Csv": ["*.csv"], "Parquet": ["*.parquet"]}
        if src.format == "Json" and any(path.glob(f"{stream}-*.jsonl") for stream in LOG_STREAMS):
            # The local event log keeps one stream per input in one folder: <alias>-YYYYMMDD.jsonl only.
            patterns["Json"] = [f"{src.alias}-*.jsonl"]
        for pattern in patterns[src.format]:
            found = sorted(p for p in path.glob(pattern) if p.is_file())
            if found:
                return found
        return []
    if not path.exists():
        raise AsaError(f"input {src.alias!r}: {path} does not exist")
    return [path]


def _event_columns(files: list[Path], alias: str) -> dict[str, str] | None:
    """The declared columns when the events are one of our schemas (judged by the first event).

    No event at all: the columns of the schema the input alias carries in this project, if any.
    """
    for f in files:
        with f.open("rb") as fh:
            head = fh.read(4096)
        if head.strip():
            return next((cols for schema, cols in EVENT_COLUMNS.items() if schema.encode() in head), None)
    return {"frames": EVENT_COLUMNS[FRAME_SCHEMA], "counts": EVENT_COLUMNS[COUNT_SCHEMA]}.get(alias.lower())


def _json_format(files: list[Path]) -> str:
    """``array`` when the first file holds a JSON array, else ``newline_delimited`` (one event a line)."""
    for f in files:
        with f.open("rb") as fh:
            head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head:
            return "array" if head.startswith(b"[") else "newline_delimited"
    return "auto"


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Any, ...]:
    """The one row of an aggregate query."""
    row = con.execute(sql).fetchone()
    if row is None:
        raise AsaError(f"no row from {sql[:80]!r}")
    return row


def arrival_sql(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "") -> str:
    """SQL for the arrival time of a raw input table's rows (NULL when it has none)."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {q(table)}").fetchall()}
    return f"asa_datetime({prefix}{q(ARRIVAL_COLUMN)})" if ARRIVAL_COLUMN in columns else "NULL::TIMESTAMP"


def partition_sql(con: duckdb.DuckDBPyConnection, table: str, prefix: str = "") -> str:
    """SQL for the input partition of a raw input table's rows (one partition when it has none)."""
    columns = {r[0] for r in con.execute(f"DESCRIBE {q(table)}").fetchall()}
    for name in PARTITION_COLUMNS:
        if name in columns:
            return f"CAST({prefix}{q(name)} AS VARCHAR)"
    return "NULL::VARCHAR"


OWN_FIELDS = "__fields"
"""Hidden column of an input whose events do not all have the same fields: each event's own field
names, so ``SELECT *`` writes an event with the fields it had, not NULLs for the others'."""


def _keep_own_fields(con: duckdb.DuckDBPyConnection, table: str, names: str, fmt: str) -> None:
    objects = f"read_json_objects({names}, format = '{fmt}')"
    if fetch_one(con, f"SELECT count(DISTINCT json_keys(json)) FROM {objects}")[0] > 1:
        con.execute(f"CREATE OR REPLACE TABLE {q(table)} AS SELECT r.*, o.{OWN_FIELDS} FROM {q(table)} AS r "
                    f"POSITIONAL JOIN (SELECT json_keys(json) AS {OWN_FIELDS} FROM {objects}) AS o")


def load_input(con: duckdb.DuckDBPyConnection, src: InputSource, table: str,
               columns: set[str] | None = None, dropped: list[DroppedEvents] | None = None) -> int:
    """Create ``table`` from the input's files; returns the number of events/rows.

    ``columns`` (lower-case names) limits what is read from FrameEvent JSON and Parquet files
    to what the query can use (arrival time and partition always); None reads every field.
    A line of a JSON-lines input that is not valid JSON is dropped and counted in ``dropped``, as
    Azure Stream Analytics drops an event it cannot deserialize and carries on (the local event
    log's last line is torn while a writer is appending it).
    """
    files = _files(src)
    always = (ARRIVAL_COLUMN, *PARTITION_COLUMNS, "captured_at", "window_end")  # arrival, partition, replay time
    keep = None if columns is None else columns | {c.lower() for c in always}
    names = "[" + ", ".join("'" + str(f).replace("'", "''") + "'" for f in files) + "]"
    if src.format == "Csv":
        if not files:
            raise AsaError(f"input {src.alias!r}: no CSV file in {src.path}")
        reader = f"read_csv({names}, header = true, all_varchar = true)"
    elif src.format == "Parquet":
        if not files:
            raise AsaError(f"input {src.alias!r}: no Parquet file in {src.path}")
        reader = f"read_parquet({names})"
        if keep is not None:
            present = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()]
            wanted = [c for c in present if c.lower() in keep] or present[:1]
            reader = f"(SELECT {', '.join(q(c) for c in wanted)} FROM {reader})"
    elif (declared := _event_columns(files, src.alias)) is not None:
        if keep is not None:
            declared = {k: v for k, v in declared.items() if k.lower() in keep}
        cols = "{" + ", ".join(f"'{k}': '{v}'" for k, v in declared.items()) + "}"
        if not files or all(f.stat().st_size == 0 for f in files):
            reader = "(SELECT " + ", ".join(f"NULL::{v} AS {q(k)}" for k, v in declared.items()) + " LIMIT 0)"
        else:
            reader = f"read_json({names}, format = '{_json_format(files)}', columns = {cols}, {_NO_SNIFFING})"
    else:
        if not files:
            raise AsaError(f"input {src.alias!r}: no JSON file in {src.path}")
        reader = f"read_json({names}, format = 'auto', sample_size = -1, {_NO_SNIFFING})"
    try:
        try:
            con.execute(f"CREATE TABLE {q(table + '__raw')} AS SELECT * FROM {reader}")
        except duckdb.InvalidInputException as exc:
            if "format = 'newline_delimited'" not in reader or "Malformed JSON" not in str(exc):
                raise
            con.execute(f"CREATE TABLE {q(table + '__raw')} AS SELECT * FROM "
                        f"{reader.removesuffix(')')}, ignore_errors = true)")
            # DuckDB turns a line it cannot parse into a row of NULLs: those rows are the bad lines.
            bad = int(fetch_one(con, f"SELECT count(*) FROM {q(table + '__raw')} WHERE COLUMNS(*) IS NULL")[0])
            con.execute(f"DELETE FROM {q(table + '__raw')} WHERE rowid IN "
                        f"(SELECT rowid FROM {q(table + '__raw')} WHERE COLUMNS(*) IS NULL)")
            if bad > 0:
                report = DroppedEvents(input=src.alias, action="dropped", count=bad,
                                       reason="not valid JSON (data error: the event cannot be deserialized)")
                log.warning("%s", report)
                if dropped is not None:
                    dropped.append(report)
        if reader.startswith("read_json(") and "sample_size" in reader:
            _keep_own_fields(con, table + "__raw", names, _json_format(files))
    except duckdb.Error as exc:
        raise AsaError(f"input {src.alias!r}: cannot read {src.path}: {exc}") from None
    described = con.execute(f"DESCRIBE {q(table + '__raw')}").fetchall()
    columns = {name for name, *_ in described}
    event_time = next((c for c in ("captured_at", "window_end") if c in columns), None)
    if src.arrival == "capture_time" and event_time is not None:
        # The demo's event log is written in processing order: a simulated day analysed in
        # minutes by several workers, so the recorded arrival times are minutes apart while
        # the capture times span a day. In Azure cameras upload as they capture (and send their
        # counts as each minute ends), so a replay takes each event to arrive at its own time
        # (the recorded partition is kept).
        arrival = event_time
        select = (f"SELECT * REPLACE ({arrival} AS {q(ARRIVAL_COLUMN)})" if ARRIVAL_COLUMN in columns
                  else f"SELECT *, {arrival} AS {q(ARRIVAL_COLUMN)}")
        con.execute(f"CREATE OR REPLACE TABLE {q(table + '__raw')} AS "
                    f"{select} FROM {q(table + '__raw')} ORDER BY {arrival}")
    con.execute(f"ALTER TABLE {q(table + '__raw')} RENAME TO {q(table)}")
    return int(fetch_one(con, f"SELECT count(*) FROM {q(table)}")[0])
